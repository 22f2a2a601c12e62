"""Spec 01 (paper Sec. 2, App. B–C): metastable hitting times, as sympy statements.

H1 hitting.leading-order   lim_{ε→0} ε·E_x[τ_y] = h^meta(k → l)   (x ∈ C_k, y ∈ C_l, k ≠ l)
H2 hitting.canonical       ring / uniform-escape: ε·E[τ] → (K−1)·M/q; log–log slopes −1 (ε), → 1 (K), 1 (M)
H3 hitting.escape-law      ε·E_{π_k}[σ_k] → 1/λ_k;  P(ε·λ_k·σ_k > s) → e^{−s}
H4 hitting.meta-chain      P(label(X_⌊t/ε⌋) = l) → (e^{tL})(k, l), error O(ε)
H5 hitting.task-difficulty lim ε·E[τ] ≥ D · min_k 1/λ_k (D = fewest sparse edges on a path), equality for ring
"""
import sympy as sp

from .model import h_meta_canonical, leading_order_relation
from .symbols import D, K, M, E_tau, eps, lam, q, t

s = sp.Symbol("s", positive=True)                      # rescaled time ε·λ_k·σ_k
sigma = sp.Symbol("sigma_k", positive=True)            # exit time of C_k
E_sigma = sp.Symbol("E_sigma_k", positive=True)        # E_{π_k}[σ_k]
lam_max = sp.Symbol("lambda_max", positive=True)       # max_k λ_k
p_label = sp.Symbol("p_eps_kl", nonnegative=True)      # P_x(label of X_⌊t/ε⌋ = l), x ∈ C_k
expm_tL = sp.Symbol("expm_tL_kl", nonnegative=True)    # (e^{tL})(k, l)
meta_error = sp.Symbol("err_eps", nonnegative=True)    # max_l |p_label − expm_tL|

# ---------------------------------------------------------------- H1
# The ε^{-1} Laurent coefficient of E_x[τ_y](ε) equals h^meta(k → l) exactly.
leading_order = leading_order_relation

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

__all__ = ["leading_order", "canonical_leading", "canonical_relation", "slope_eps", "slope_K", "slope_M",
           "slope_K_limit", "slope_K_doubling", "escape_mean_relation", "escape_law", "escape_law_relation",
           "meta_chain_relation", "meta_chain_rate", "meta_chain_slope", "task_difficulty_bound",
           "task_difficulty_relation", "ring_bound", "ring_equality", "s", "sigma", "E_sigma", "lam_max", "t"]
