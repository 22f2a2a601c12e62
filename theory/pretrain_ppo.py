"""Spec 03 (paper Sec. 3, Alg. 1 and Alg. 3, App. D): pretraining and PPO-Clip, as sympy statements.

Symbols: d₊ = |supp p^ε(x,·)|, n_x = unmasked logits of row x, μ = μ(x), η step, t GD steps,
q_min smallest sparse weight, p_min smallest positive kernel entry, c clip, ε_max PPO cap.
"""
import sympy as sp

from .symbols import K, M, c, eps, eps_max, eta, q, t, E_tau, h_meta

d_plus = sp.Symbol("d_+", integer=True, positive=True)
n_x = sp.Symbol("n_x", integer=True, positive=True)
mu = sp.Symbol("mu", positive=True)
mu_min = sp.Symbol("mu_min", positive=True)
q_min = sp.Symbol("q_min", positive=True)
p_min = sp.Symbol("p_min", positive=True)
n_sparse = sp.Symbol("s", integer=True, nonnegative=True)      # sparse (small true) pairs in the row
n_iter = sp.Symbol("n", integer=True, nonnegative=True)          # PPO iteration
n_out = sp.Symbol("n_out", integer=True, positive=True)          # sources per cluster
p_hat_spurious = sp.Function("phat")(t)                          # stage-1 spurious probability
KL_t = sp.Function("KL")(t)

# P1: stage-1 GD from W = 0, spurious pair: p̂_t ~ d₊/(n_x η μ t) as t → ∞.
spurious_decay = d_plus / (n_x * eta * mu * t)
spurious_decay_relation = sp.Eq(sp.Limit(p_hat_spurious / spurious_decay, t, sp.oo), 1)
# Clean prune at θ = ε q_min/2: T1 ≈ 2 d₊/(n_x η μ ε q_min) (solve spurious_decay = θ for t).
T1_clean_prune = sp.solve(sp.Eq(spurious_decay, eps * q_min / 2), t)[0]
# This project's sharpening: at the crossover the s sparse pairs still sink like spurious ones, so
# T1 / T1_clean_prune lies in [(d₊ − s)/d₊, 1].
T1_band = sp.Interval((d_plus - n_sparse) / d_plus, 1)

# P2: after pruning, KL decays linearly with rate ≥ 2 η μ_min p_min per step (λ₂(diag p − p pᵀ) ≥ p_min).
kl_rate_bound = 2 * eta * mu_min * p_min
two_stage_relation = sp.Le(KL_t, sp.Symbol("C", positive=True) * sp.exp(-kl_rate_bound * t))
# T2 to reach error tol from KL_0: log(KL_0/tol)/rate.
tol = sp.Symbol("tol", positive=True)
KL0 = sp.Symbol("KL_0", positive=True)
T2_to_tol = sp.log(KL0 / tol) / kl_rate_bound

# P3: the pretrained model's hitting time matches the truth as the training error → 0.
E_tau_model = sp.Symbol("E_phat_tau", positive=True)
recovers_kernel_relation = sp.Eq(sp.Limit(E_tau_model / E_tau, sp.Symbol("KL", positive=True), 0), 1)

# R1: exact inner maximisation multiplies every found-edge probability by (1+c) until the cap.
ppo_growth = eps * q * (1 + c) ** n_iter
ppo_iterations = sp.ceiling(sp.log(eps_max / (eps * q)) / sp.log(1 + c))
# Sign-gradient steps of size η: per-iteration ratio in [1+c, (1+c)e^{2η}] (every logit moves: found +η,
# the rest −η), and in [1+c, (1+c)e^{η}] when only the found (sparse) logits move (inner "sign-sparse").
sign_band = sp.Interval(1 + c, (1 + c) * sp.exp(2 * eta))
sign_sparse_band = sp.Interval(1 + c, (1 + c) * sp.exp(eta))
# Derivation (this project): the found logits of a row stay tied and gain h per inner step relative to the
# rest (h = 2η for "sign", η for "sign-sparse"); at found mass s, after k steps ρ_k = e^{kh}/(1 − s + s e^{kh}).
# ρ = 1+c at the shift δ with e^δ = (1+c)(1−s)/(1−(1+c)s); the loop stops at k* = ⌈δ/h⌉, so
# ρ_{k*} ∈ [1+c, ρ(δ + h)) with ρ(δ + h) = (1+c)e^h/(1 + (1+c)s(e^h − 1)) < (1+c)e^h (sup as s → 0).
h_shift = sp.Symbol("h", positive=True)
s_found = sp.Symbol("s", positive=True)
k_inner = sp.Symbol("k", integer=True, nonnegative=True)
sign_ratio_after_k = sp.exp(k_inner * h_shift) / (1 - s_found + s_found * sp.exp(k_inner * h_shift))
sign_clip_shift = sp.log((1 + c) * (1 - s_found) / (1 - (1 + c) * s_found))
sign_ratio_sharp_upper = (1 + c) * sp.exp(h_shift) / (1 + (1 + c) * s_found * (sp.exp(h_shift) - 1))

# R4: with false positives in Ê, every found edge of x (true or false) ends at the same share of ε_max:
# p_final(x,y) = ε_max·p0(x,y)/s0(x), s0(x) = initial found mass (rows with s0 ≥ ε_max untouched).
p0 = sp.Symbol("p_0", positive=True)
s0 = sp.Symbol("s_0", positive=True)
p_final = sp.Symbol("p_final", positive=True)
ppo_final_share = sp.Eq(p_final, eps_max * p0 / s0)

# R2: TV(p_new(x,·), p_old(x,·)) = mass moved to the found edges ≤ ε_max at a source, 0 elsewhere;
# stationary-weighted TV ≤ n_out·ε_max/M.
tv_source_bound = eps_max
tv_weighted_bound = n_out * eps_max / M

# R3: the fine-tuned chain is the PRM-guided chain: lim ε_max·E[τ] = h^meta_PRM; ring: (K−1)M/ε_max.
ppo_hitting_limit = sp.Eq(sp.Limit(eps_max * E_tau, eps_max, 0), h_meta)
ppo_hitting_ring = (K - 1) * M / eps_max
