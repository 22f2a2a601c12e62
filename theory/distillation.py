"""Spec 04 (paper Sec. 4, Alg. 4): meta-chain distillation, as sympy statements.

Notation. q̂(k,l) is the fitted K×K per-step meta kernel (rows sum to 1), Z = log q̂ its logits,
w = e^β the time-rescaling factor: Z⁺ = Z + β(11ᵀ − I), so for l ≠ k

    q̂⁺(k,l) = w·q̂(k,l) / (q̂(k,k) + w·(1 − q̂(k,k))),    q̂⁺(k,k) = q̂(k,k) / (q̂(k,k) + w·(1 − q̂(k,k))).

The exact per-step meta kernel is q∘(k,l) = ε r(k,l), q∘(k,k) = 1 − ε λ_k; "auto" rescaling takes
w = b / (ε·min_j λ_j) (for estimates: w = b / min_j (1 − q̂(j,j)), the same formula with λ̂).
With that w the rescaled chain leaves cluster k with probability
    p_k = w ε λ_k / (1 − ε λ_k + w ε λ_k) = a_k / (1 − ε λ_k + a_k),  a_k = b λ_k / λ_min ≥ b,
so each visit to k lasts 1/p_k = 1 + (1 − ε λ_k)·λ_min / (b λ_k) ≤ 1 + 1/b steps, and the jump chain
(escape probabilities) is unchanged.  Summing over the expected visits N_k of the jump chain:
    E_dist[steps k_in → k_out] = Σ_k N_k / p_k ≤ (1 + 1/b)·h^jump(k_in → k_out).        (D3)
Without rescaling (w = 1) the DTMC with kernel q∘ has ε·E_dist = h^meta exactly.              (D4)
theory/ imports only sympy.
"""
import sympy as sp

from .symbols import K, M, T, b, beta, eps, h_meta, lam, n, q

# --- generic symbols for one row of the kernel (K = 3 suffices to state the row identity)
w = sp.Symbol("w", positive=True)                      # w = e^β, the rescaling factor
q_kk = sp.Symbol("qhat_kk", positive=True)             # fitted stay probability q̂(k,k)
q_kl = sp.Symbol("qhat_kl", nonnegative=True)          # fitted off-diagonal entry q̂(k,l)
lam_min = sp.Symbol("lambda_min", positive=True)       # min_j λ_j
pi_k = sp.Symbol("pi_k", positive=True)                # stationary mass π(C_k) of cluster k
r_kl = sp.Symbol("r_kl", positive=True)                # meta rate r(k,l)
h_jump = sp.Symbol("h_jump", positive=True)            # jump-chain hitting time h^jump(k_in → k_out)
E_dist = sp.Symbol("E_dist", positive=True)            # distilled chain's expected steps to the target


def rescaled_offdiag(qkl, qkk, scale):
    """q̂⁺(k,l) (l ≠ k) after Z⁺ = Z + β(11ᵀ − I), with scale = e^β."""
    return scale * qkl / (qkk + scale * (1 - qkk))


def rescaled_stay(qkk, scale):
    """q̂⁺(k,k) = q̂(k,k) / (q̂(k,k) + e^β (1 − q̂(k,k)))."""
    return qkk / (qkk + scale * (1 - qkk))


# D1 distill.escape-preserved: the escape law of row k does not depend on β.
escape_after = rescaled_offdiag(q_kl, q_kk, sp.exp(beta)) / (1 - rescaled_stay(q_kk, sp.exp(beta)))
escape_before = q_kl / (1 - q_kk)
escape_preserved = sp.Eq(escape_after, escape_before)


def escape_identity_residual(rows: int = 3):
    """Residual q̂⁺(k,l)/(1 − q̂⁺(k,k)) − q̂(k,l)/(1 − q̂(k,k)) for a generic softmax row of `rows`
    logits z_j and a shift β on the off-diagonal ones; simplifies to 0 (D1, exact for every β)."""
    z = sp.symbols(f"z0:{rows}", real=True)
    den = sum(sp.exp(zj) for zj in z)
    qrow = [sp.exp(zj) / den for zj in z]
    zp = [z[0]] + [zj + beta for zj in z[1:]]          # row k = 0: off-diagonal logits shifted by β
    denp = sum(sp.exp(zj) for zj in zp)
    qprow = [sp.exp(zj) / denp for zj in zp]
    return [sp.simplify(qprow[l] / (1 - qprow[0]) - qrow[l] / (1 - qrow[0])) for l in range(1, rows)]


# D2 distill.per-step-meta: q̂(k,l) ≈ ε r(k,l) with relative standard error 1/√(T π(C_k) ε r(k,l)).
per_step_meta = eps * r_kl
relative_standard_error = 1 / sp.sqrt(T * pi_k * eps * r_kl)
mean_qhat_kl = sp.Symbol("E_qhat_kl", positive=True)    # the T → ∞ limit of q̂(k,l)
relative_se_qhat_kl = sp.Symbol("SE_rel_qhat_kl", positive=True)
per_step_meta_statement = sp.Tuple(sp.Eq(mean_qhat_kl, eps * r_kl * (1 + sp.O(eps))),
                                   sp.Eq(relative_se_qhat_kl, relative_standard_error))

# D3 distill.order-K: auto scale e^β = b/(ε λ_min); per-visit holding time and the bound.
auto_scale = b / (eps * lam_min)
auto_beta = sp.log(auto_scale)
escape_probability_rescaled = sp.simplify(
    rescaled_offdiag(eps * lam, 1 - eps * lam, auto_scale))            # p_k with λ_k = lam
steps_per_visit = sp.simplify(1 / escape_probability_rescaled)          # = 1 + (1 − ελ) λ_min / (b λ)
steps_per_visit_bound = 1 + 1 / b
order_K_bound = sp.Le(E_dist, h_jump * (1 + 1 / b))
# ring(K, M, q): λ_k = q/M for every k, h^jump = K − 1, so exactly
ring_distilled_steps = (K - 1) * (1 + (1 - eps * q / M) / b)
# limit ε → 0 (independent of ε): (K − 1)(1 + 1/b)
ring_distilled_steps_limit = sp.limit(ring_distilled_steps, eps, 0)

# D3 counterexample (claim fails for the learned kernel): 4 states, clusters {0}, {1,2}, {3}, block {1,2}
# uniform, sparse edges 0→1, 1→0, 2→3, 3→0 of weight 1 (all λ_k = 1, h^jump(0 → 2) = 4). The T → ∞ limit
# of the fitted kernel has J^ε(1,0) = (1 + ε)/2, so ĥ^jump = 4/(1 − ε), and with the auto scale
#   E_dist = 4/(1 − ε) + 4/b  >  4(1 + 1/b) = (1 + 1/b)·h^jump   for every 0 < ε < 1 and every b > 0.
counterexample_steps = 4 / (1 - eps) + 4 / b
counterexample_bound = 4 * (1 + 1 / b)
counterexample_excess = sp.simplify(counterexample_steps - counterexample_bound)   # = 4ε/(1 − ε) > 0

# D4 distill.timescale: with β = 0 the DTMC on q∘ has ε·E_dist = h^meta (exactly, for every ε).
timescale_relation = sp.Eq(sp.Limit(eps * E_dist, eps, 0), h_meta)

# D5 distill.compression: n² logits → K² logits; n = K·M gives the factor M².
parameters_original = n ** 2
parameters_distilled = K ** 2
compression_factor = sp.simplify((K * M) ** 2 / K ** 2)                # = M²
# cost of one sample to the answer: Θ(KM/ε) steps (original) vs (K−1)(1 + 1/b) (distilled ring)
sampling_speedup_ring = sp.simplify(((K - 1) * M / (q * eps)) / ring_distilled_steps)
compression_relation = sp.Eq(parameters_original / parameters_distilled, M ** 2)

__all__ = ["w", "q_kk", "q_kl", "lam_min", "pi_k", "r_kl", "h_jump", "E_dist", "rescaled_offdiag", "rescaled_stay",
           "escape_preserved", "escape_identity_residual", "per_step_meta", "relative_standard_error", "per_step_meta_statement", "auto_scale",
           "auto_beta", "escape_probability_rescaled", "steps_per_visit", "steps_per_visit_bound", "order_K_bound",
           "ring_distilled_steps", "ring_distilled_steps_limit", "counterexample_steps",
           "counterexample_bound", "counterexample_excess", "timescale_relation", "parameters_original",
           "parameters_distilled", "compression_factor", "sampling_speedup_ring", "compression_relation"]
