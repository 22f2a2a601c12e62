"""Spec 03 (paper Sec. 3, Alg. 1 and Alg. 3, App. D) and spec 08 F7, F9: pretraining and PPO-Clip, as sympy
statements ``measured REL predicted`` and the derivations of the proved parts.

Pretraining (softmax next-state model, one logit per pair, GD on the population cross-entropy):
  P1 pretrain.spurious-decay    lim t·p̂_t(y|x) = d₊/(n_x η μ) for a spurious pair; clean-prune step band
  P2 pretrain.two-stage         KL decay rate after the prune = −2 log(1 − η μ_* λ_*) ≥ 2 η μ_min p_min
  P3 pretrain.recovers-kernel   lim E_p̂[τ]/E_p[τ] = 1 along stage 2
  F7 pretrain.one-stage-stuck   one-stage error Θ(1/t): slope −1, lim t·μ KL = (n_x − d₊)d₊/(n_x η)
PPO-Clip with Â = 1[(x, y) ∈ Ê]:
  R1 ppo.geometric-growth       p_n = ε q (1+c)^n, n* = ⌈log(ε_max/(εq))/log(1+c)⌉, sign band
  R2 ppo.preserves-dense        exact / sign loops: TV_x = ε_max − s₀(x), TV_μ = ε_max μ(S) − Σ μ s₀ ≤ ε_max μ(S)
  R3 ppo.internalises-prm       fine-tuned row = PRM-guided row; ring: E[τ] = (K−1)M/ε_max + K − M − 1
  R4 ppo.no-false-edges         p_final = ε_max p₀/s₀ on every found edge, (1 − ε_max) p₀/(1 − s₀) elsewhere
  R5 ppo.gd-drift               one plain gradient-ascent step ΔW[x,z] = η μ p(z)(1[z ∈ A] − s_A)
  F9 ppo.gd-drift-limit         conjecture: lim_{ε→0} TV_x = TV(p_old(x,·), ε_max on Ê_x + (1 − ε_max)·uniform)
and the refuted sharpenings (plain gradient ascent keeps dense ratios; TV_μ ≤ n_out ε_max/M).

Symbols: d₊ = |supp p^ε(x,·)|, n_x = unmasked logits of row x, μ = μ(x), η step, t GD steps, q_min smallest
sparse weight, p_min smallest positive kernel entry, c clip, ε_max PPO cap, s₀(x) initial found mass.
"""
import sympy as sp

from .hitting import a_m1, pole_order
from .symbols import K, M, c, eps, eps_max, eta, q, t, E_tau, h_meta

# ============================================================================== pretraining
d_plus = sp.Symbol("d_+", integer=True, positive=True)           # |supp p(x,·)|
n_x = sp.Symbol("n_x", integer=True, positive=True)              # unmasked logits of row x
m_spur = sp.Symbol("m_s", integer=True, positive=True)           # spurious pairs of the row (n_x − d₊)
mu = sp.Symbol("mu", positive=True)                              # μ(x)
mu_min = sp.Symbol(r"\mu_{\min}", positive=True)
q_min = sp.Symbol("q_min", positive=True)
p_min = sp.Symbol(r"p_{\min}", positive=True)
n_sparse = sp.Symbol("s", integer=True, nonnegative=True)        # sparse (small true) pairs in the row
p_hat_spurious = sp.Function("phat")(t)                          # stage-1 spurious probability
KL_t = sp.Function("KL")(t)

# ---------------------------------------------------------------- P1
# stage-1 GD from W = 0, spurious pair: p̂_t ~ d₊/(n_x η μ t) as t → ∞ (display form)
spurious_decay = d_plus / (n_x * eta * mu * t)
spurious_decay_relation = sp.Eq(sp.Limit(p_hat_spurious / spurious_decay, t, sp.oo), 1)
# stated through what is measured: L = lim t·p̂_t(y|x) (Stolz: 1/lim Δ(1/p̂_t))
L_spur = sp.Symbol(r"L_{\mathrm{spur}}", positive=True)
spurious_decay_limit = sp.Eq(L_spur, d_plus / (n_x * eta * mu))


def equal_row_spurious_limit():
    """lim t·p̂_t(y|x) for a spurious pair of a row whose d₊ true probabilities are equal (1/d₊ each, e.g. every
    non-source row of ring / uniform-escape), derived from the GD map for every d₊, n_x = d₊ + m_s, ημ > 0.

    From W = 0 the true logits stay tied (value a) and so do the m_s spurious ones (b); GD conserves the row
    sum, d₊a + m_s b = 0. With u = b − a = n_x b/d₊ and v = e^{−u} the spurious probability is
    p̂ = e^b/(d₊e^a + m_s e^b) = 1/(d₊ v + m_s), and the step b ← b − ημ p̂ gives
        v_{t+1} = g(v_t),  g(v) = v·exp(n_x ημ p̂/d₊).
    v_t increases to ∞ (g(v) > v, and a finite limit would be a fixed point), and sympy finds
    lim_{v→∞} (g(v) − v) = ℓ; by Stolz–Cesàro v_t/t → ℓ, so t·p̂_t = t/(d₊ v_t + m_s) → 1/(d₊ ℓ).
    Returns ``{L_spur: …, d_plus: d, n_x: d + m_s, eta: η, mu: μ}`` with d, m_s, η, μ symbolic
    (claim pretrain.spurious-decay, rung proved).

    Examples
    --------
    >>> r = equal_row_spurious_limit()
    >>> sp.simplify(r[L_spur] - r[d_plus] / (r[n_x] * eta * mu))
    0
    """
    d, m = d_plus, m_spur
    a, b = sp.symbols("a b", real=True)
    v = sp.Symbol("v", positive=True)
    n = d + m
    a_tied = sp.solve(sp.Eq(d * a + m * b, 0), a)[0]                      # row-sum conservation
    p_hat = sp.exp(b) / (d * sp.exp(a_tied) + m * sp.exp(b))
    u = sp.simplify(b - a_tied)                                           # = n b/d
    b_of_v = sp.solve(sp.Eq(sp.exp(-u), v), b)[0]
    p_of_v = sp.simplify(p_hat.subs(b, b_of_v))                           # 1/(d v + m)
    du_db = sp.diff(u, b)                                                 # u moves n/d per unit of b
    g = v * sp.exp(du_db * eta * mu * p_of_v)                             # e^{−u} after b ← b − ημ p̂
    ell = sp.limit(sp.simplify(g - v), v, sp.oo)
    L = sp.simplify(sp.limit(p_of_v * v, v, sp.oo) / ell)                 # t·p̂ ~ (v p̂)/(v/t) → (1/d)/ℓ
    return {L_spur: L, d_plus: d, n_x: n, eta: eta, mu: mu}


# clean prune at θ = p_min/2 (p_min = ε q_min for row-rescaled chains): the asymptotic law crosses θ at
T1_clean_prune = sp.solve(sp.Eq(spurious_decay, eps * q_min / 2), t)[0]
T_1 = sp.Symbol("T_1", positive=True)                            # measured clean-prune step (slowest row)
T1_pred = 2 * d_plus / (n_x * eta * mu * p_min)
# This project's sharpening: at the crossover the s sparse pairs of the row still sink like spurious ones,
# so T1 / T1_pred lies in [(d₊ − s)/d₊, 1] (checked, not proved: the row is not yet asymptotic at T1).
T1_band = sp.Interval((d_plus - n_sparse) / d_plus, 1)
prune_band = sp.And(sp.Ge(T_1, (d_plus - n_sparse) / d_plus * T1_pred), sp.Le(T_1, T1_pred))
spurious_decay_statement = sp.And(spurious_decay_limit, prune_band)

# ---------------------------------------------------------------- P2
r_KL = sp.Symbol("r_{KL}", positive=True)                        # asymptotic decay rate of KL per step (measured)
lam_star = sp.Symbol("lambda_*", positive=True)                  # slowest excited eigenvalue of diag p − p pᵀ
mu_star = sp.Symbol("mu_*", positive=True)                       # μ of its row
kl_rate_linear = -2 * sp.log(1 - eta * mu_star * lam_star)       # GD is linear near the optimum
kl_rate_bound = 2 * eta * mu_min * p_min                         # λ_* ≥ p_min (interlacing), −log(1−x) ≥ x
two_stage_rate = sp.Eq(r_KL, kl_rate_linear)
two_stage_bound = sp.Ge(r_KL, kl_rate_bound)
two_stage_relation = sp.And(two_stage_rate, two_stage_bound)
tol = sp.Symbol("tol", positive=True)
KL0 = sp.Symbol("KL_0", positive=True)
T2_to_tol = sp.log(KL0 / tol) / kl_rate_bound                   # stage-2 steps to error tol from KL_0

# ---------------------------------------------------------------- P3
E_tau_model = sp.Symbol("E_phat_tau", positive=True)
recovers_kernel_relation = sp.Eq(sp.Limit(E_tau_model / E_tau, sp.Symbol("KL", positive=True), 0), 1)
rho_inf = sp.Symbol(r"\rho_{\infty}", positive=True)                    # lim of E_p̂[τ]/E_p[τ] along stage 2 (measured)
recovers_kernel = sp.Eq(rho_inf, 1)

# ---------------------------------------------------------------- F7 (spec 08)
sigma_1 = sp.Symbol("sigma_1", real=True)                        # log–log slope of the one-stage KL (measured)
L_KL = sp.Symbol("L_{KL}", positive=True)                        # lim t·μ(x) KL_x(t) without pruning (measured)
r_fit = sp.Symbol(r"\hat{r}_{KL}", positive=True)                # fitted two-stage log-KL slope (measured)
one_stage_slope = sp.Eq(sigma_1, -1)
# the row's KL is its spurious mass (n_x − d₊)·p̂ to first order, so P1 gives
one_stage_constant = sp.Eq(L_KL, (n_x - d_plus) * d_plus / (n_x * eta))
two_stage_fit = sp.Eq(r_fit, kl_rate_linear)
one_stage_stuck = sp.And(one_stage_slope, one_stage_constant, two_stage_fit)

# ============================================================================== PPO-Clip
n_iter = sp.Symbol("n", integer=True, nonnegative=True)          # PPO iteration
n_out = sp.Symbol(r"n_{\mathrm{out}}", integer=True, positive=True)          # sources per cluster

# ---------------------------------------------------------------- R1
p_n = sp.Symbol("p_n", positive=True)                            # found-edge probability after n iterations
n_star = sp.Symbol("n^*", integer=True, nonnegative=True)        # iterations used to reach ε_max (measured)
ppo_growth = eps * q * (1 + c) ** n_iter
ppo_iterations = sp.ceiling(sp.log(eps_max / (eps * q)) / sp.log(1 + c))
growth_relation = sp.Eq(p_n, ppo_growth)
iterations_relation = sp.Eq(n_star, ppo_iterations)
# Sign-gradient steps of size η: per-iteration ratio in [1+c, (1+c)e^{2η}] (every logit moves: found +η,
# the rest −η), and in [1+c, (1+c)e^{η}] when only the found (sparse) logits move (inner "sign-sparse").
sign_band = sp.Interval(1 + c, (1 + c) * sp.exp(2 * eta))
sign_sparse_band = sp.Interval(1 + c, (1 + c) * sp.exp(eta))
# Derivation: the found logits of a row stay tied and gain h per inner step relative to the rest (h = 2η for
# "sign", η for "sign-sparse"); at found mass s, after k steps ρ_k = e^{kh}/(1 − s + s e^{kh}).
# ρ = 1+c at the shift δ with e^δ = (1+c)(1−s)/(1−(1+c)s); the loop stops at k* = ⌈δ/h⌉, so
# ρ_{k*} ∈ [1+c, ρ(δ + h)) with ρ(δ + h) = (1+c)e^h/(1 + (1+c)s(e^h − 1)) < (1+c)e^h (sup as s → 0).
h_shift = sp.Symbol("h", positive=True)
s_found = sp.Symbol("s", positive=True)
k_inner = sp.Symbol("k", integer=True, nonnegative=True)
sign_ratio_after_k = sp.exp(k_inner * h_shift) / (1 - s_found + s_found * sp.exp(k_inner * h_shift))
sign_clip_shift = sp.log((1 + c) * (1 - s_found) / (1 - (1 + c) * s_found))
sign_ratio_sharp_upper = (1 + c) * sp.exp(h_shift) / (1 + (1 + c) * s_found * (sp.exp(h_shift) - 1))
rho_k = sp.Symbol("rho_{k^*}", positive=True)                    # measured per-iteration ratio s_{n+1}/s_n
k_star = sp.Symbol("k^*", integer=True, positive=True)           # measured inner steps of that iteration
sign_closed_relation = sp.Eq(rho_k, sign_ratio_after_k.subs(k_inner, k_star))
sign_steps_relation = sp.Eq(k_star, sp.ceiling(sign_clip_shift / h_shift))
sign_band_relation = sp.And(sp.Ge(rho_k, 1 + c), sp.Lt(rho_k, (1 + c) * sp.exp(h_shift)))
geometric_growth = sp.And(growth_relation, iterations_relation, sign_band_relation)
# positive reparametrisation of the sign-band domain (used by the proof): s = 1/((1+c)(1+σ)) ⇔ (1+c)s < 1;
# k*h = δ + θh with θ ∈ [0, 1) ⇔ e^{θh} = 1 + a (a ≥ 0), e^{(1−θ)h} = 1 + b (b > 0)
sigma_s = sp.Symbol("sigma", positive=True)
a_frac = sp.Symbol("a", nonnegative=True)
b_frac = sp.Symbol("b", positive=True)


def shifted_found_mass(s, delta):
    """Found mass after a common shift δ of the found logits of a row with found mass s (softmax):
    s e^δ/(1 − s + s e^δ)."""
    return s * sp.exp(delta) / (1 - s + s * sp.exp(delta))


def exact_inner_shift():
    """e^δ of the exact inner maximisation: the smallest common shift of the found logits putting every found edge
    on the clip boundary ρ = 1 + c, solved by sympy from the softmax (ρ = shifted mass / s).

    Examples
    --------
    >>> sp.simplify(exact_inner_shift() - (1 + c) * (1 - s_found) / (1 - (1 + c) * s_found))
    0
    """
    E = sp.Symbol("E", positive=True)
    rho = shifted_found_mass(s_found, sp.log(E)) / s_found
    return sp.solve(sp.Eq(rho, 1 + c), E)[0]


def exact_growth_law():
    """p_n(x, y) of the exact inner loop before the cap, derived: one exact update multiplies every found edge by
    ρ = (shifted mass)/s at e^δ = :func:`exact_inner_shift` (simplified by sympy, independent of s), and
    p_{n+1} = ρ p_n with p_0 = ε q(x, y) is solved by ``rsolve``. Returns the expression in ε, q, c, n
    (claim ppo.geometric-growth, rung proved).

    Examples
    --------
    >>> sp.simplify(exact_growth_law() - ppo_growth)
    0
    """
    rho = sp.simplify(shifted_found_mass(s_found, sp.log(exact_inner_shift())) / s_found)
    if rho.has(s_found):
        raise ValueError("the exact update's ratio depends on the found mass")
    p = sp.Function("p")
    sol = sp.rsolve(p(n_iter + 1) - rho * p(n_iter), p(n_iter), {p(0): eps * q})
    return sp.simplify(sol)


def exact_iterations():
    """n* of the exact inner loop, derived: the found mass of a source is s_n = Σ_y p_n(x, y) = ε q(x)(1+c)^n by
    :func:`exact_growth_law`; the cap is reached at the smallest n with s_n ≥ ε_max, i.e. the ceiling of the
    root of s_n = ε_max (sympy ``solve``). Returns the expression in ε, q, ε_max, c.

    Examples
    --------
    >>> sp.simplify(exact_iterations().args[0] - ppo_iterations.args[0])
    0
    """
    x = sp.Symbol("x", positive=True)
    s_n = exact_growth_law().subs(n_iter, x)
    root = sp.solve(sp.Eq(s_n, eps_max), x)[0]
    return sp.ceiling(sp.simplify(root))


def sign_band_ratio():
    """ρ_{k*} of a sign inner loop on the positive reparametrisation of its domain, derived.

    The tied found logits gain h per step on the rest, so after k steps the ratio is the shifted mass over s
    at δ = kh (:func:`shifted_found_mass`); the loop stops at the first k with ρ ≥ 1 + c, k* = ⌈δ*/h⌉ with
    e^{δ*} = :func:`exact_inner_shift` (ρ is increasing in kh), so k*h = δ* + θh, θ ∈ [0, 1). With
    s = 1/((1+c)(1+σ)), e^{θh} = 1 + a, e^{(1−θ)h} = 1 + b (σ, b > 0, a ≥ 0) every point of the domain
    0 < s, (1+c)s < 1, h > 0 is covered. Returns ``{rho_k: ρ_{k*}, h_shift: log((1+a)(1+b))}``
    (claim ppo.geometric-growth, rung proved: the band 1 + c ≤ ρ_{k*} < (1+c)e^h follows by sympy's sign
    facts on the factored differences).

    Examples
    --------
    >>> r = sign_band_ratio()
    >>> sp.factor(sp.simplify(r[rho_k] - (1 + c)))
    a*sigma*(c + 1)/(a + sigma + 1)
    """
    s = 1 / ((1 + c) * (1 + sigma_s))
    e_delta = exact_inner_shift().subs(s_found, s)
    e_kh = e_delta * (1 + a_frac)
    rho = sp.simplify(shifted_found_mass(s, sp.log(e_kh)) / s)
    return {rho_k: rho, h_shift: sp.log((1 + a_frac) * (1 + b_frac))}


# ---------------------------------------------------------------- R2 (corrected) and its refuted forms
TV_x = sp.Symbol(r"\mathrm{TV}_{x}", nonnegative=True)                      # TV(p_new(x,·), p_old(x,·)) of one row
TV_off = sp.Symbol(r"\mathrm{TV}_{\mathrm{off}}", nonnegative=True)                  # the same for a row without found edges
TV_mu = sp.Symbol(r"\mathrm{TV}_{\mu}", nonnegative=True)                    # Σ_x μ(x) TV_x
mu_S = sp.Symbol("mu_S", positive=True)                         # μ(sources)
m_0 = sp.Symbol("m_0", positive=True)                           # Σ_{x source} μ(x) s₀(x)
s0 = sp.Symbol("s_0", positive=True)                            # initial found mass of a row
p0 = sp.Symbol("p_0", positive=True)                            # an initial probability p_old(x, y)
p_new = sp.Symbol(r"p_{\mathrm{new}}", nonnegative=True)                    # its fine-tuned value
preserves_untouched = sp.Eq(TV_off, 0)
preserves_dense_ratio = sp.Eq(p_new, p0 * (1 - eps_max) / (1 - s0))
preserves_tv_row = sp.Eq(TV_x, eps_max - s0)
tv_weighted_exact = sp.Eq(TV_mu, eps_max * mu_S - m_0)
tv_weighted_source_bound = sp.Le(TV_mu, eps_max * mu_S)
preserves_dense = sp.And(preserves_untouched, preserves_dense_ratio, preserves_tv_row, tv_weighted_exact,
                         tv_weighted_source_bound)
# refuted: the stationary-weighted bound of the first spec (needs uniform π_k)
tv_source_bound = eps_max
tv_weighted_spec = n_out * eps_max / M
tv_weighted_spec_relation = sp.Le(TV_mu, tv_weighted_spec)
# refuted: "only the logits of found edges move; dense ratios unchanged; TV ≤ ε_max" for plain gradient ascent
kappa_spread = sp.Symbol(r"\kappa_{\mathrm{spread}}", nonnegative=True)      # max/min of p_new/p_old over non-found, − 1
gd_preserves_spec = sp.And(sp.Eq(kappa_spread, 0), sp.Le(TV_x, eps_max))

# ---------------------------------------------------------------- R3
p_ppo = sp.Symbol(r"p_{\mathrm{PPO}}", nonnegative=True)                    # fine-tuned probability of one entry
P0_xy = sp.Symbol("P_0(x,y)", nonnegative=True)                 # base kernel entry (dense)
q_xy = sp.Symbol("q(x,y)", positive=True)                       # sparse weight of a found edge
q_x = sp.Symbol("q(x)", positive=True)                          # Σ of q over the found edges of x
# the PRM-guided row of spec 02 S4 at a source x: G(x,y) = (1 − ε_max) P0(x,y) + ε_max q(x,y)/q(x)
# (q(x,y) = 0 off the found edges, P0(x,y) = 0 on them: sparse edges leave the cluster)
prm_row = sp.Eq(p_ppo, (1 - eps_max) * P0_xy + eps_max * q_xy / q_x)
ppo_ring_hitting = sp.Eq(E_tau, (K - 1) * M / eps_max + (K - M - 1))
ppo_prm_limit = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, h_meta))
ppo_internalises = sp.And(prm_row, ppo_ring_hitting, ppo_prm_limit)
ppo_hitting_limit = sp.Eq(sp.Limit(eps_max * E_tau, eps_max, 0), h_meta)
ppo_hitting_ring = (K - 1) * M / eps_max


def exact_inner_update(row_found, row_rest, s, s_new):
    """One exact-inner (or capped) update of a row from found mass s to s_new: found entries ×s_new/s, the rest
    ×(1 − s_new)/(1 − s) (every found edge has ρ = s_new/s, the other probabilities of the row share one factor)."""
    return [v * s_new / s for v in row_found], [v * (1 - s_new) / (1 - s) for v in row_rest]


def _check_updates_compose():
    """Two exact updates s → s' → s'' equal the single update s → s'' (symbolic s, s', s'' and entries)."""
    s, s1, s2 = sp.symbols("s s' s''", positive=True)
    f_gen, r_gen = sp.symbols("f r", positive=True)
    f1, r1 = exact_inner_update([f_gen], [r_gen], s, s1)
    f2, r2 = exact_inner_update(f1, r1, s1, s2)
    f12, r12 = exact_inner_update([f_gen], [r_gen], s, s2)
    if sp.simplify(f2[0] - f12[0]) != 0 or sp.simplify(r2[0] - r12[0]) != 0:
        raise ValueError("exact updates do not compose")


def capped_row(n_found: int = 2, n_rest: int = 2):
    """The row exact PPO ends on, for a generic row and any found set (true sparse edges or false positives),
    derived symbolically.

    Row: found entries f_j/T and the rest r_i/T (f, r > 0, T = Σf + Σr), s₀ = Σ f_j/T, cap ε_max = s₀ + d
    (d > 0: the row is below the cap). The exact updates compose (:func:`exact_inner_update`), so the run is the
    single update s₀ → ε_max. Returns ``(found, rest)``: lists of ``{p_final: …, p_new: …, p0: …, s0: s₀,
    eps_max: s₀ + d, TV_x: TV(p_new(x,·), p_old(x,·))}`` (claims ppo.no-false-edges, ppo.preserves-dense, rung
    proved).

    Examples
    --------
    >>> found, rest = capped_row(1, 1)
    >>> sp.simplify(rest[0][TV_x] - (rest[0][eps_max] - rest[0][s0]))
    0
    """
    _check_updates_compose()
    f = sp.symbols(f"f_1:{n_found + 1}", positive=True)
    r = sp.symbols(f"r_1:{n_rest + 1}", positive=True)
    d = sp.Symbol("d", positive=True)
    T = sum(f) + sum(r)
    pf, pr = [v / T for v in f], [v / T for v in r]
    s_0 = sum(pf)
    em = s_0 + d
    nf, nr = exact_inner_update(pf, pr, s_0, em)
    tv = sp.simplify((sum(sp.Abs(sp.factor(a - b)) for a, b in zip(nf + nr, pf + pr))) / 2)

    def case(new, old):
        v = sp.simplify(new)
        return {p_final: v, p_new: v, p0: old, s0: s_0, eps_max: em, TV_x: tv}
    return [case(a, b) for a, b in zip(nf, pf)], [case(a, b) for a, b in zip(nr, pr)]


def generic_fine_tuned_row(n_found: int = 2, n_rest: int = 3):
    """The fine-tuned row of exact PPO on a generic source row, derived symbolically.

    Row: found edges with weights w_j (p_old = ε w_j), the rest (1 − ε q(x))·a_i with Σ a_i = 1 the base row
    (q(x) = Σ w_j, 0 < ε q(x) < ε_max). Every iteration is :func:`exact_inner_update` from s to
    s' = min((1+c)s, ε_max); sympy shows that two updates s → s' → s'' compose to s → s'' for symbolic
    s, s', s'', so the whole run (any number of iterations, capped at ε_max) is the single update
    ε q(x) → ε_max. Returns a list of ``{p_ppo: …, q_xy: w_j, q_x: Σw, P0_xy: 0}`` (found entries) and one of
    ``{p_ppo: …, P0_xy: a_i, q_xy: 0, q_x: Σw}`` (the rest) (claim ppo.internalises-prm, rung proved).

    Examples
    --------
    >>> found, rest = generic_fine_tuned_row(1, 2)
    >>> sp.simplify(found[0][p_ppo] - eps_max), sp.simplify(rest[0][p_ppo] - (1 - eps_max) * rest[0][P0_xy])
    (0, 0)
    """
    w = sp.symbols(f"w_1:{n_found + 1}", positive=True)
    a = list(sp.symbols(f"a_1:{n_rest}", positive=True))
    a.append(1 - sum(a))
    Q = sum(w)
    found0 = [eps * wj for wj in w]
    rest0 = [(1 - eps * Q) * ai for ai in a]
    _check_updates_compose()
    found1, rest1 = exact_inner_update(found0, rest0, eps * Q, eps_max)
    return ([{p_ppo: sp.simplify(v), q_xy: wj, q_x: Q, P0_xy: 0} for v, wj in zip(found1, w)],
            [{p_ppo: sp.simplify(v), P0_xy: ai, q_xy: 0, q_x: Q} for v, ai in zip(rest1, a)])


# ---------------------------------------------------------------- R4
p_final = sp.Symbol(r"p_{\mathrm{final}}", positive=True)
ppo_final_share = sp.Eq(p_final, eps_max * p0 / s0)
ppo_final_rest = sp.Eq(p_final, (1 - eps_max) * p0 / (1 - s0))
no_false_edges = sp.And(ppo_final_share, ppo_final_rest)

# ---------------------------------------------------------------- R5
dW_A = sp.Symbol(r"\Delta W_y", real=True)                       # change of a found logit (y ∈ A)
dW_R = sp.Symbol(r"\Delta W_z", real=True)                       # change of a non-found logit
dW_sum = sp.Symbol(r"\Sigma\Delta W", real=True)                 # the row sum of the changes
dW_pair = sp.Symbol(r"\Delta(W_z - W_{z'})", real=True)          # change of a difference of non-found logits
p_y = sp.Symbol("p_y", positive=True)
p_z = sp.Symbol("p_z", positive=True)
p_zp = sp.Symbol("p_{z'}", positive=True)
s_A = sp.Symbol("s_A", positive=True)
gd_step_found = sp.Eq(dW_A, eta * mu * p_y * (1 - s_A))
gd_step_rest = sp.Eq(dW_R, -eta * mu * p_z * s_A)
gd_row_sum = sp.Eq(dW_sum, 0)
gd_pair = sp.Eq(dW_pair, -eta * mu * s_A * (p_z - p_zp))
gd_step = sp.And(gd_step_found, gd_step_rest, gd_row_sum, gd_pair)
kappa = sp.Symbol("kappa", real=True)                           # log(p_new(z)/p_new(z'))/log(p_old(z)/p_old(z'))
gd_contraction = sp.And(sp.Gt(kappa, 0), sp.Lt(kappa, 1))
Delta_p = sp.Symbol(r"\Delta p", nonnegative=True)               # spread of the dense probabilities of the row
S2 = sp.Symbol(r"\Sigma\bar{p}^2", positive=True)               # Σ p̄² of the initial dense conditional law
theta_bound = sp.log(eps_max / s0) / ((1 - eps_max) ** 2 * (1 + S2))
gd_tv_bound_rhs = (eps_max - s0) + (1 - eps_max) * sp.tanh(theta_bound * Delta_p / 4)
gd_tv_bound = sp.Le(TV_x, gd_tv_bound_rhs)
gd_equal_rows = preserves_tv_row                               # equal dense probabilities: nothing drifts
gd_drift = sp.And(gd_step, gd_contraction, gd_tv_bound)


def gd_logit_step(n_found: int = 2, n_rest: int = 3):
    """One plain gradient-ascent step on the surrogate of a generic row, derived by differentiating the softmax.

    Logits w (symbols), found positions 0..n_found−1, all below the clip (A = found), J = μ Σ_{y∈A} p_W(y)
    (the clipped surrogate min(ρ Â, clip(ρ)Â) weighted by p_old equals p_W(y) there); ΔW = η ∂J/∂w by
    sympy. Returns ``(dW, p, s_A)`` as lists of expressions in w, η, μ (claim ppo.gd-drift, rung proved).

    Examples
    --------
    >>> dW_, p, sA = gd_logit_step(1, 2)
    >>> sp.simplify(dW_[1] + eta * mu * p[1] * sA)
    0
    """
    w = sp.symbols(f"w_0:{n_found + n_rest}", real=True)
    Z = sum(sp.exp(v) for v in w)
    p = [sp.exp(v) / Z for v in w]
    J = mu * sum(p[:n_found])
    dW_ = [sp.simplify(eta * sp.diff(J, v)) for v in w]
    return dW_, p, sum(p[:n_found])


# ---------------------------------------------------------------- F9 (spec 08): conjecture
TV_lim = sp.Symbol("TV_lim", nonnegative=True)                  # lim_{ε→0} TV_x of the plain gradient-ascent loop
TV_conj = sp.Symbol("TV_conj", nonnegative=True)               # TV(P0(x,·), ε_max on Ê_x + (1 − ε_max)·uniform)
gd_drift_limit = sp.Eq(TV_lim, TV_conj)

__all__ = ["d_plus", "n_x", "m_spur", "mu", "mu_min", "q_min", "p_min", "n_sparse", "spurious_decay",
           "spurious_decay_relation", "L_spur", "spurious_decay_limit", "equal_row_spurious_limit",
           "T1_clean_prune", "T_1", "T1_pred", "T1_band", "prune_band", "spurious_decay_statement", "r_KL",
           "lam_star", "mu_star", "kl_rate_linear", "kl_rate_bound", "two_stage_rate", "two_stage_bound",
           "two_stage_relation", "T2_to_tol", "recovers_kernel_relation", "rho_inf", "recovers_kernel", "sigma_1",
           "L_KL", "r_fit", "one_stage_slope", "one_stage_constant", "two_stage_fit", "one_stage_stuck", "n_iter",
           "n_out", "p_n", "n_star", "ppo_growth", "ppo_iterations", "growth_relation", "iterations_relation",
           "sign_band", "sign_sparse_band", "h_shift", "s_found", "k_inner", "sign_ratio_after_k",
           "sign_clip_shift", "sign_ratio_sharp_upper", "rho_k", "k_star", "sign_closed_relation",
           "sign_steps_relation", "sign_band_relation", "geometric_growth", "sigma_s", "a_frac", "b_frac",
           "shifted_found_mass", "exact_inner_shift", "exact_growth_law", "exact_iterations", "sign_band_ratio",
           "TV_x", "TV_off", "TV_mu", "mu_S", "m_0", "s0", "p0", "p_new", "preserves_untouched",
           "preserves_dense_ratio", "preserves_tv_row", "tv_weighted_exact", "tv_weighted_source_bound",
           "preserves_dense", "tv_source_bound", "tv_weighted_spec", "tv_weighted_spec_relation", "kappa_spread",
           "gd_preserves_spec", "p_ppo", "P0_xy", "q_xy", "q_x", "prm_row", "ppo_ring_hitting",
           "ppo_prm_limit", "ppo_internalises", "ppo_hitting_limit", "ppo_hitting_ring", "exact_inner_update",
           "capped_row",
           "generic_fine_tuned_row", "p_final", "ppo_final_share", "ppo_final_rest", "no_false_edges", "dW_A",
           "dW_R", "dW_sum", "dW_pair", "p_y", "p_z", "p_zp", "s_A", "gd_step_found", "gd_step_rest", "gd_row_sum", "gd_pair",
           "gd_step", "kappa", "gd_contraction", "Delta_p", "S2", "theta_bound", "gd_tv_bound_rhs", "gd_tv_bound",
           "gd_equal_rows", "gd_drift", "gd_logit_step", "TV_lim", "TV_conj", "gd_drift_limit"]
