"""Spec 01 (paper Sec. 2, App. B–C): metastable hitting times, as sympy statements.

H1 hitting.leading-order   lim_{ε→0} ε·E_x[τ_y] = h^meta(k → l)   (x ∈ C_k, y ∈ C_l, k ≠ l)
H2 hitting.canonical       ring / uniform-escape: ε·E[τ] → (K−1)·M/q; log–log slopes −1 (ε), → 1 (K), 1 (M)
H3 hitting.escape-law      ε·E_{π_k}[σ_k] → 1/λ_k;  P(ε·λ_k·σ_k > s) → e^{−s}
H4 hitting.meta-chain      P(label(X_⌊t/ε⌋) = l) → (e^{tL})(k, l), error O(ε)
H5 hitting.task-difficulty lim ε·E[τ] ≥ D · min_k 1/λ_k (D = fewest sparse edges on a path), equality for ring
"""
import sympy as sp

from .model import h_meta_canonical, leading_order_relation
from .symbols import D, K, M, E_tau, eps, h_meta, lam, q, t

s = sp.Symbol("s", positive=True)                      # rescaled time ε·λ_k·σ_k
sigma = sp.Symbol("sigma_k", positive=True)            # exit time of C_k
E_sigma = sp.Symbol("E_sigma_k", positive=True)        # E_{π_k}[σ_k]
lam_max = sp.Symbol("lambda_max", positive=True)       # max_k λ_k
p_label = sp.Symbol("p_eps_kl", nonnegative=True)      # P_x(label of X_⌊t/ε⌋ = l), x ∈ C_k
expm_tL = sp.Symbol("expm_tL_kl", nonnegative=True)    # (e^{tL})(k, l)
meta_error = sp.Symbol("err_eps", nonnegative=True)    # max_l |p_label − expm_tL|

# ---------------------------------------------------------------- H1
# lim_{ε→0} ε·E_x[τ_y] = h^meta(k → l), stated through what is measured: E_x[τ_y](ε) is a rational
# function of ε with a simple pole at 0 whose ε^{-1} Laurent coefficient a_{-1} equals h^meta(k → l).
a_m1 = sp.Symbol("a_{-1}", real=True)                  # ε^{-1} Laurent coefficient of E_x[τ_y](ε) (measured)
pole_order = sp.Symbol("p_{pole}", integer=True)       # order of the pole of E_x[τ_y](ε) at ε = 0 (measured)
leading_order = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, h_meta))
leading_order_limit_form = leading_order_relation      # the same statement as a limit (for display)

# ---------------------------------------------------------------- H2
canonical_leading = h_meta_canonical / eps             # E[τ] ≈ (K−1)·M/(q·ε)
canonical_relation = sp.Eq(sp.Limit(eps * E_tau, eps, 0), h_meta_canonical)
# log–log slopes of the leading term: d log E / d log x for x = ε, K, M
slope_eps = sp.simplify(eps * sp.diff(sp.log(canonical_leading), eps))          # = −1
slope_K = sp.simplify(K * sp.diff(sp.log(canonical_leading), K))                # = K/(K−1) → 1
slope_M = sp.simplify(M * sp.diff(sp.log(canonical_leading), M))                # = 1
slope_K_limit = sp.limit(slope_K, K, sp.oo)                                     # = 1
# finite-K slope between K and 2K, the value the exact check compares with (→ 1 as K → ∞)
slope_K_doubling = sp.log((2 * K - 1) / (K - 1)) / sp.log(2)

# ---------------------------------------------------------------- H3
escape_mean_relation = sp.Eq(sp.Limit(eps * E_sigma, eps, 0), 1 / lam)
escape_law = sp.exp(-s)                                # limit survival of ε·λ_k·σ_k
escape_law_relation = sp.Eq(sp.Limit(sp.Symbol("P_survival_eps"), eps, 0), escape_law)

# ---------------------------------------------------------------- H4
meta_chain_relation = sp.Eq(sp.Limit(p_label, eps, 0), expm_tL)
C_meta = sp.Symbol("C_meta", positive=True)                  # chain-dependent constant
meta_chain_rate = sp.Eq(meta_error, C_meta * eps)                # error shrinks linearly: err ≈ C·ε
meta_chain_slope = sp.Integer(1)                                 # d log err / d log ε

# ---------------------------------------------------------------- H5
task_difficulty_bound = D / lam_max                    # D · min_k 1/λ_k
task_difficulty_relation = sp.Ge(sp.Limit(eps * E_tau, eps, 0), task_difficulty_bound)
# ring(K, M, q): λ_k = q/M for every k and D = K − 1, so the bound is (K−1)·M/q = h^meta (equality)
ring_lambda = q / M
ring_D = K - 1
ring_bound = sp.simplify(task_difficulty_bound.subs({D: ring_D, lam_max: ring_lambda}))
ring_equality = sp.Eq(ring_bound, h_meta_canonical, evaluate=False)

# ---------------------------------------------------------------- F1 (spec 08)
# ring(K, M, q) from the source of C_1 to the entry state of C_K, every 0 < ε ≤ 1/q:
#   E[τ] = (K−1)·M/(qε) + (K − M − 1)   (M ≥ 2),      E[τ] = (K−1)/(qε)   (M = 1).
exact_canonical_rhs = (K - 1) * M / (q * eps) + (K - M - 1)
exact_canonical = sp.Eq(E_tau, exact_canonical_rhs)
exact_canonical_m1 = sp.Eq(E_tau, (K - 1) / (q * eps))


def ring_hitting_time_lumped():
    """E[τ] of ring(K, M, q) (M ≥ 2) from the source of C_1 to the entry of C_K, derived symbolically.

    Lumping: inside a complete-graph block P0(x, ·) is uniform on the block, so every non-source state
    has the same expected exit time b and the source has a. One step of the model gives
        b = 1 + (1/M)·a + ((M−1)/M)·b,
        a = 1 + (1 − εq)·((1/M)·a + ((M−1)/M)·b)     (the source leaves along its sparse edge w.p. εq),
    solved by sympy. A sparse edge lands on the entry state of the next cluster, a non-source state
    (M ≥ 2), so E[τ] = a + (K − 2)·b (the walk stops on entering C_K). Returns the expression in
    K, M, q, ε (claim hitting.exact-canonical, rung proved).

    Examples
    --------
    >>> sp.simplify(ring_hitting_time_lumped() - exact_canonical_rhs)
    0
    """
    a, b = sp.symbols("a b")
    sol = sp.solve([sp.Eq(b, 1 + a / M + (M - 1) / M * b),
                    sp.Eq(a, 1 + (1 - eps * q) * (a / M + (M - 1) / M * b))], [a, b], dict=True)[0]
    return sp.simplify(sol[a] + (K - 2) * sol[b])


__all__ = ["a_m1", "pole_order", "leading_order_limit_form", "exact_canonical_rhs", "exact_canonical",
           "exact_canonical_m1", "ring_hitting_time_lumped",
           "leading_order", "canonical_leading", "canonical_relation", "slope_eps", "slope_K", "slope_M",
           "slope_K_limit", "slope_K_doubling", "escape_mean_relation", "escape_law", "escape_law_relation",
           "meta_chain_relation", "meta_chain_rate", "meta_chain_slope", "task_difficulty_bound",
           "task_difficulty_relation", "ring_bound", "ring_equality", "s", "sigma", "E_sigma", "lam_max", "t"]
