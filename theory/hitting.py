"""Specs 01 and 08 (paper Sec. 2, App. B–C): metastable hitting times, as sympy statements.

Every statement is ``measured REL predicted``: its free symbols are parameters (K, M, q, ε, …) and
measured quantities (Laurent coefficients, hitting times at two points, Monte Carlo estimates, …);
limits are stated through what is measured (spec 07).

H1 hitting.leading-order    E_x[τ_y](ε) has a simple pole with ε⁻¹ coefficient h^meta(k → l)
H2 hitting.canonical        ring / uniform-escape: ε·E[τ] → (K−1)M/q; log–log secant slopes in ε, K, M
H3 hitting.escape-law       ε·E_{π_k}[σ_k] → 1/λ_k;  P(ε·λ_k·σ_k > s) → e^{−s} (error O(ε))
H4 hitting.meta-chain       |P(label(X_⌊t/ε⌋) = l) − (e^{tL})(k, l)| = O(ε)
H5 hitting.task-difficulty  lim ε·E[τ] ≥ D / max_k λ_k, equality for ring
F1 hitting.exact-canonical  E[τ] = (K−1)M/(qε) + K − M − 1 for every ε (M ≥ 2)
F2 hitting.moments          ε²·Var(τ) → Var(T^meta); ring: (K−1)M²/q²
F3 hitting.committor        lim P_x(τ_{C_A} < τ_{C_B}) = jump-chain absorption probability from x's cluster
F4 hitting.spectrum         the K eigenvalues of P(ε) nearest 1 are 1 − εν_j + O(ε²) (ν_j: eigenvalues of −L)
F5 hitting.general-scaling  h^meta = M·h̃ (doubly stochastic blocks); ring meta-graphs: h^meta/((K−1)M) ∈
                            [1/w_max, 1/w_min]; the fixed band fails for general meta-graphs (refuted form)
"""
from functools import lru_cache

import sympy as sp

from .model import (block_exit_moments, canonical_escape_rate, h_meta_canonical, leading_order_relation,
                    ring_meta_hitting_moments, uniform_escape_committor, uniform_escape_hitting_moments,
                    uniform_escape_jump_absorption, uniform_escape_meta_hitting_moments)
from .symbols import D, K, M, E_tau, eps, h_meta, lam, q, t

# ================================================================== shared measured symbols
a_m1 = sp.Symbol("a_{-1}", real=True)                  # ε^{-1} Laurent coefficient of E[τ](ε) (measured)
pole_order = sp.Symbol(r"p_{\mathrm{pole}}", integer=True)       # order of the pole of E[τ](ε) at ε = 0 (measured)
eps_1 = sp.Symbol("epsilon_1", positive=True)          # the two ε of a secant slope (measured points)
eps_2 = sp.Symbol("epsilon_2", positive=True)
E_1 = sp.Symbol("E_1", positive=True)                  # E[τ] at the first / second point of a secant slope
E_2 = sp.Symbol("E_2", positive=True)


def secant_slope(f, x, x1, x2):
    """log(f(x2)/f(x1)) / log(x2/x1): the log–log slope of f between two points (simplified).

    Examples
    --------
    >>> secant_slope(1 / eps, eps, eps_1, eps_2)
    -1
    >>> secant_slope((K - 1) * M, K, K, 2 * K)
    (-log(K - 1) + log(2*K - 1))/log(2)
    """
    num = sp.expand_log(sp.log(sp.simplify(f.subs(x, x2) / f.subs(x, x1))), force=True)
    den = sp.expand_log(sp.log(x2 / x1), force=True)
    return sp.simplify(num / den)


# ================================================================== H1
# lim_{ε→0} ε·E_x[τ_y] = h^meta(k → l), stated through what is measured: E_x[τ_y](ε) is a rational
# function of ε with a simple pole at 0 whose ε^{-1} Laurent coefficient a_{-1} equals h^meta(k → l).
leading_order = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, h_meta))
leading_order_limit_form = leading_order_relation      # the same statement as a limit (for display)

# ================================================================== H2
canonical_leading = h_meta_canonical / eps             # E[τ] ≈ (K−1)·M/(q·ε)
canonical = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, h_meta_canonical))
canonical_limit = sp.Eq(a_m1, h_meta_canonical)        # a_{-1} = lim ε·E[τ] (proved parts: the limit itself)
canonical_relation = sp.Eq(sp.Limit(eps * E_tau, eps, 0), h_meta_canonical)     # display form
# measured log–log secant slopes of E[τ] equal those of the leading term (K−1)M/(qε) between the same points
slope_eps = secant_slope(canonical_leading, eps, eps_1, eps_2)                  # = −1
slope_K_doubling = secant_slope(canonical_leading, K, K, 2 * K)                 # → 1 as K → ∞
slope_M_doubling = secant_slope(canonical_leading, M, M, 2 * M)                 # = 1
measured_slope_eps = sp.log(E_2 / E_1) / sp.log(eps_2 / eps_1)
measured_slope_doubling = sp.log(E_2 / E_1) / sp.log(2)
canonical_slope_eps = sp.Eq(measured_slope_eps, slope_eps)
canonical_slope_K = sp.Eq(measured_slope_doubling, slope_K_doubling)
canonical_slope_M = sp.Eq(measured_slope_doubling, slope_M_doubling)
slope_K = sp.simplify(K * sp.diff(sp.log(canonical_leading), K))                # local slope K/(K−1)
slope_M = sp.simplify(M * sp.diff(sp.log(canonical_leading), M))                # = 1
slope_K_limit = sp.limit(slope_K, K, sp.oo)                                     # = 1

# ================================================================== H3
s = sp.Symbol("s", positive=True)                      # rescaled time ε·λ_k·σ_k
sigma = sp.Symbol("sigma_k", positive=True)            # exit time of C_k
E_sigma = sp.Symbol("E_sigma_k", positive=True)        # E_{π_k}[σ_k]
escape_law = sp.exp(-s)                                # limit survival of ε·λ_k·σ_k
escape_mean = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, 1 / lam))
escape_mean_limit = sp.Eq(a_m1, 1 / lam)
escape_mean_relation = sp.Eq(sp.Limit(eps * E_sigma, eps, 0), 1 / lam)          # display form
S_hat = sp.Symbol(r"\hat{S}", nonnegative=True)        # Monte Carlo survival P(ε·λ·σ > s) (with its band)
escape_law_band = sp.Eq(S_hat, escape_law)
# the rate alternative the Monte Carlo power is computed against: ε·λ·σ ~ Exp(mean 11/10)
escape_law_alternative = sp.Eq(S_hat, sp.exp(-s * sp.Rational(10, 11)))
S_1 = sp.Symbol("S_1", nonnegative=True)               # exact P(σ > T_i) = π Q^{T_i} 1 at ε_i, ε_i·λ·T_i = s
S_2 = sp.Symbol("S_2", nonnegative=True)
escape_survival_rate = sp.Eq(sp.log(sp.Abs(S_2 - escape_law) / sp.Abs(S_1 - escape_law)) / sp.log(eps_2 / eps_1), 1)
escape_law_relation = sp.Eq(sp.Limit(sp.Symbol("P_survival_eps"), eps, 0), escape_law)  # display form

# ================================================================== H4
p_label = sp.Symbol("p_eps_kl", nonnegative=True)      # P_x(label of X_⌊t/ε⌋ = l), x ∈ C_k
expm_tL = sp.Symbol("expm_tL_kl", nonnegative=True)    # (e^{tL})(k, l)
err_1 = sp.Symbol(r"\delta_1", positive=True)          # max_l |p_label − expm_tL| at ε_1, ε_2
err_2 = sp.Symbol(r"\delta_2", positive=True)
meta_chain_relation = sp.Eq(sp.Limit(p_label, eps, 0), expm_tL)                 # display form
meta_chain_slope = sp.Integer(1)                       # d log err / d log ε
meta_chain_rate = sp.Eq(sp.log(err_2 / err_1) / sp.log(eps_2 / eps_1), meta_chain_slope)

# ================================================================== H5
lam_max = sp.Symbol(r"\lambda_{\max}", positive=True)       # max_k λ_k
task_difficulty_bound = D / lam_max                    # D · min_k 1/λ_k
task_difficulty = sp.And(sp.Eq(pole_order, 1), sp.Ge(a_m1, task_difficulty_bound))
task_difficulty_ring = sp.Eq(a_m1, task_difficulty_bound)
task_difficulty_relation = sp.Ge(sp.Limit(eps * E_tau, eps, 0), task_difficulty_bound)  # display form
# ring(K, M, q): λ_k = q/M for every k and D = K − 1, so the bound is (K−1)·M/q = h^meta (equality)
ring_lambda = q / M
ring_D = K - 1
ring_bound = sp.simplify(task_difficulty_bound.subs({D: ring_D, lam_max: ring_lambda}))
ring_equality = sp.Eq(ring_bound, h_meta_canonical, evaluate=False)

# ================================================================== F1 (spec 08)
# ring(K, M, q) and uniform-escape(K, M, q) from the source of C_1 to the entry state of C_K, 0 < ε ≤ 1/q:
#   E[τ] = (K−1)·M/(qε) + (K − M − 1)   (M ≥ 2),      E[τ] = (K−1)/(qε)   (M = 1).
exact_canonical_rhs = (K - 1) * M / (q * eps) + (K - M - 1)
exact_canonical = sp.Eq(E_tau, exact_canonical_rhs)
exact_canonical_m1 = sp.Eq(E_tau, (K - 1) / (q * eps))

# ================================================================== F2
var_pole = sp.Symbol(r"p_{\mathrm{Var}}", integer=True)           # pole order of Var(τ)(ε) (measured)
v_m2 = sp.Symbol("v_{-2}", real=True)                              # ε^{-2} coefficient of Var(τ)(ε)
s_m2 = sp.Symbol("s_{-2}", real=True)                              # ε^{-2} coefficient of E[τ²](ε)
var_meta = sp.Symbol(r"\mathrm{Var}(T^{\mathrm{meta}})", nonnegative=True)
m2_meta = sp.Symbol(r"E[(T^{\mathrm{meta}})^{2}]", nonnegative=True)
moments = sp.And(sp.Eq(var_pole, 2), sp.Eq(v_m2, var_meta), sp.Eq(s_m2, m2_meta))
moments_limit = sp.Eq(v_m2, var_meta)                  # proved parts: v_{-2} = lim ε²·Var(τ)
moments_ring = sp.Eq(v_m2, (K - 1) * M ** 2 / q ** 2)  # spec 08: ring

# ================================================================== F3
q_0 = sp.Symbol("q_0", nonnegative=True)               # lim_{ε→0} P_x(τ_A < τ_B): ε⁰ coefficient of q_x(ε)
u_jump = sp.Symbol("u^J", nonnegative=True)            # jump-chain absorption probability from x's cluster
committor_pole = sp.Symbol(r"p_{q}", integer=True)     # pole order of q_x(ε) at 0 (0: bounded)
committor_limit = sp.And(sp.Eq(committor_pole, 0), sp.Eq(q_0, u_jump))

# ================================================================== F4
# χ(λ, ε) = det(λI − P(ε)); the K eigenvalues near 1 are 1 − εν + o(ε) with ν the roots of det(νI + L) iff
# [ε^j] χ(1 − εν, ε) ≡ 0 for j < K and [ε^K] χ(1 − εν, ε) ∝ det(νI + L) (Schur complement on the K slow modes).
n_low = sp.Symbol(r"n_{<K}", integer=True, nonnegative=True)  # nonzero coefficients of [ε^j]χ(1−εν, ε), j < K
c_i = sp.Symbol("c_i", real=True)                      # coefficient of ν^i of the monic [ε^K] χ(1 − εν, ε)
m_i = sp.Symbol("m_i", real=True)                      # coefficient of ν^i of det(νI + L)
spectrum_charpoly = sp.And(sp.Eq(n_low, 0), sp.Eq(c_i, m_i))
g1_re, g1_im, g2_re, g2_im = sp.symbols(r"\Re{g_1} \Im{g_1} \Re{g_2} \Im{g_2}", real=True)  # gaps 1 − λ at ε_1, ε_2
nu_re, nu_im = sp.symbols(r"\Re{\nu} \Im{\nu}", real=True)        # the meta eigenvalue paired with the gap
_R1 = sp.sqrt((g1_re / eps_1 - nu_re) ** 2 + (g1_im / eps_1 - nu_im) ** 2)   # |gap/ε − ν| at ε_1
_R2 = sp.sqrt((g2_re / eps_2 - nu_re) ** 2 + (g2_im / eps_2 - nu_im) ** 2)
# gap = εν + O(ε²)  ⇔  |gap/ε − ν| = O(ε): its log–log slope in ε is 1
spectrum_remainder = sp.Eq(sp.log(_R2 / _R1) / sp.log(eps_2 / eps_1), 1)

# ================================================================== F5
w_min = sp.Symbol("w_min", positive=True)              # range of the sparse-edge weights
w_max = sp.Symbol("w_max", positive=True)
d_out = sp.Symbol("d", integer=True, positive=True)    # sparse out-degree of every cluster
h_tilde = sp.Symbol(r"\tilde{h}", positive=True)       # hitting time of the CTMC with rates w(k, l) = Σ q(x, y)
general_scaling_M = sp.Eq(h_meta, M * h_tilde)         # doubly stochastic blocks: L = L̃/M exactly
scaled_h_meta = h_meta / ((K - 1) * M)
general_scaling_ring_band = sp.And(sp.Ge(scaled_h_meta, 1 / w_max), sp.Le(scaled_h_meta, 1 / w_min))
# the fixed band as first stated for any strongly connected meta-graph (refuted), and the bound that holds:
general_scaling_band = sp.Le(scaled_h_meta, 1 / w_min)
general_scaling_upper = sp.Le(scaled_h_meta, (d_out * w_max / w_min) ** (K - 1) / w_min)


# ================================================================== derivations (proved parts)
@lru_cache(maxsize=None)
def ring_hitting_time_lumped():
    """E[τ] of ring(K, M, q) (M ≥ 2) from the source of C_1 to the entry of C_K, derived symbolically.

    Lumping: inside a complete-graph block P0(x, ·) is uniform on the block, so every non-source state
    has the same expected exit time b and the source has a. One step of the model gives
        b = 1 + (1/M)·a + ((M−1)/M)·b,
        a = 1 + (1 − εq)·((1/M)·a + ((M−1)/M)·b)     (the source leaves along its sparse edge w.p. εq),
    solved by sympy (:func:`metacot.theory.model.block_exit_moments`). A sparse edge lands on the entry
    state of the next cluster, a non-source state (M ≥ 2), so E[τ] = a + (K − 2)·b (the walk stops on
    entering C_K). Returns the expression in K, M, q, ε (claim hitting.exact-canonical, rung proved).

    Examples
    --------
    >>> sp.simplify(ring_hitting_time_lumped() - exact_canonical_rhs)
    0
    """
    m = block_exit_moments()
    return sp.simplify(m["a"] + (K - 2) * m["b"])


@lru_cache(maxsize=None)
def ring_hitting_variance_lumped():
    """Var(τ) of ring(K, M, q) (M ≥ 2), source of C_1 to the entry of C_K, derived symbolically.

    τ = σ_1 + … + σ_{K−1}, the exit times of the clusters before C_K; by the strong Markov property they
    are independent, σ_1 started at a source and the others at an entry (non-source) state, so
    Var(τ) = Var_a + (K − 2)·Var_b with the lumped block moments of
    :func:`metacot.theory.model.block_exit_moments` (claim hitting.moments, rung proved).

    Examples
    --------
    >>> sp.factor(sp.limit(eps**2 * ring_hitting_variance_lumped(), eps, 0))
    M**2*(K - 1)/q**2
    """
    m = block_exit_moments()
    return sp.simplify(m["a2"] - m["a"] ** 2 + (K - 2) * (m["b2"] - m["b"] ** 2))


def uniform_escape_hitting_time_lumped():
    """E[τ] of uniform-escape(K, M, q) (M ≥ 2), source of C_1 to the entry of C_K, derived symbolically
    (:func:`metacot.theory.model.uniform_escape_hitting_moments`: the number of clusters visited is
    geometric, every non-target cluster lumps to {source, non-source}).

    Examples
    --------
    >>> sp.simplify(uniform_escape_hitting_time_lumped() - exact_canonical_rhs)
    0
    """
    return uniform_escape_hitting_moments()[0]


@lru_cache(maxsize=None)
def uniform_escape_hitting_variance_lumped():
    """Var(τ) = E[τ²] − E[τ]² of uniform-escape(K, M, q) (M ≥ 2) from the lumped system.

    Examples
    --------
    >>> sp.factor(sp.limit(eps**2 * uniform_escape_hitting_variance_lumped(), eps, 0))
    M**2*(K - 1)**2/q**2
    """
    h, m2 = uniform_escape_hitting_moments()
    return sp.simplify(m2 - h ** 2)


@lru_cache(maxsize=None)
def limit_coefficient(expr, order: int = 1):
    """lim_{ε→0} ε^order · expr: the ε^{−order} Laurent coefficient when the pole order is ≤ order.

    Examples
    --------
    >>> limit_coefficient(ring_hitting_time_lumped())
    M*(K - 1)/q
    """
    return sp.simplify(sp.limit(eps ** order * expr, eps, 0))


@lru_cache(maxsize=None)
def canonical_exit_time_from_stationary():
    """E_{π_k}[σ_k] for a complete block of ring / uniform-escape: π_k uniform, so
    (a + (M − 1)·b)/M with the lumped exit times a (source), b (other states).

    Examples
    --------
    >>> canonical_exit_time_from_stationary()
    M/(\\varepsilon*q)
    """
    m = block_exit_moments()
    return sp.simplify((m["a"] + (M - 1) * m["b"]) / M)


def ring_task_difficulty():
    """(D, λ_max) for ring(K, M, q): every sparse edge goes from C_k to C_{k+1}, so a path from C_1 to C_K
    crosses at least (K − 1) − 0 of them; every cluster escapes at λ = q/M
    (:func:`metacot.theory.model.canonical_escape_rate`).

    Examples
    --------
    >>> ring_task_difficulty()
    (K - 1, q/M)
    """
    first, last = 0, K - 1             # cluster indices of C_1 and C_K; each sparse edge adds 1
    return last - first, canonical_escape_rate()


def rescaled_branch_polynomials(chi, lam_symbol, eps_symbol, K_branches: int):
    """Read the K slow eigenvalue branches off a characteristic polynomial χ(λ, ε) = det(λI − P(ε)).

    Substituting λ = 1 − εν gives R(ν, ε) = Σ_j ε^j p_j(ν). The K eigenvalues near 1 are 1 − εν_j + o(ε)
    with ν_j the roots of p_K exactly when p_0, …, p_{K−1} vanish identically (then R/ε^K → p_K
    uniformly on compacts and the other n − K roots ν leave every compact set). Spec 08 F4 compares the
    monic p_K with det(νI + L).

    Parameters
    ----------
    chi : sympy expression or Poly
        χ in the symbols ``lam_symbol`` and ``eps_symbol``.
    K_branches : int
        K.

    Returns
    -------
    (low, monic)
        ``low``: the coefficients (in ν) of p_0, …, p_{K−1}, all Rationals; ``monic``: the coefficients
        of p_K / lc(p_K), lowest degree first.

    Examples
    --------
    A 2-state chain P(0, 1) = ε, P(1, 0) = ε/2: χ = (λ − 1)(λ − 1 + 3ε/2), L = [[−1, 1], [1/2, −1/2]].

    >>> lam_, e_ = sp.symbols("lambda epsilon")
    >>> rescaled_branch_polynomials((lam_ - 1) * (lam_ - 1 + 3 * e_ / 2), lam_, e_, 2)
    ([0, 0, 0, 0, 0, 0], [0, -3/2, 1])
    """
    nu = sp.Symbol("nu")
    expr = chi.as_expr() if isinstance(chi, sp.Poly) else chi
    R = sp.Poly(sp.expand(expr.subs(lam_symbol, 1 - eps_symbol * nu)), eps_symbol, nu)
    coeff = {}
    for (j, i), c in R.terms():
        coeff.setdefault(j, {})[i] = c
    deg = sp.Poly(expr, lam_symbol).degree()
    low = []
    for j in range(K_branches):
        row = coeff.get(j, {})
        low += [sp.Rational(row.get(i, 0)) for i in range(deg + 1)]
    top = coeff.get(K_branches, {})
    if not top:
        return low, []
    d = max(top)
    lc = top[d]
    return low, [sp.Rational(top.get(i, 0)) / lc for i in range(d + 1)]


__all__ = [
    # shared
    "a_m1", "pole_order", "eps_1", "eps_2", "E_1", "E_2", "secant_slope", "limit_coefficient",
    # H1, H2
    "leading_order", "leading_order_limit_form", "canonical_leading", "canonical", "canonical_limit",
    "canonical_relation", "slope_eps", "slope_K_doubling", "slope_M_doubling", "measured_slope_eps",
    "measured_slope_doubling", "canonical_slope_eps", "canonical_slope_K", "canonical_slope_M", "slope_K",
    "slope_M", "slope_K_limit",
    # H3
    "s", "sigma", "E_sigma", "escape_law", "escape_mean", "escape_mean_limit", "escape_mean_relation", "S_hat",
    "escape_law_band", "escape_law_alternative", "S_1", "S_2", "escape_survival_rate", "escape_law_relation",
    # H4
    "p_label", "expm_tL", "err_1", "err_2", "meta_chain_relation", "meta_chain_slope", "meta_chain_rate",
    # H5
    "lam_max", "task_difficulty_bound", "task_difficulty", "task_difficulty_ring", "task_difficulty_relation",
    "ring_lambda", "ring_D", "ring_bound", "ring_equality",
    # F1
    "exact_canonical_rhs", "exact_canonical", "exact_canonical_m1",
    # F2
    "var_pole", "v_m2", "s_m2", "var_meta", "m2_meta", "moments", "moments_limit", "moments_ring",
    # F3
    "q_0", "u_jump", "committor_pole", "committor_limit",
    # F4
    "n_low", "c_i", "m_i", "spectrum_charpoly", "g1_re", "g1_im", "g2_re", "g2_im", "nu_re", "nu_im",
    "spectrum_remainder", "rescaled_branch_polynomials",
    # F5
    "w_min", "w_max", "d_out", "h_tilde", "general_scaling_M", "scaled_h_meta", "general_scaling_ring_band",
    "general_scaling_band", "general_scaling_upper",
    # derivations
    "ring_hitting_time_lumped", "ring_hitting_variance_lumped", "uniform_escape_hitting_time_lumped",
    "uniform_escape_hitting_variance_lumped", "canonical_exit_time_from_stationary", "ring_task_difficulty",
    "ring_meta_hitting_moments", "uniform_escape_meta_hitting_moments", "uniform_escape_committor",
    "uniform_escape_jump_absorption", "canonical_escape_rate",
    "t", "D", "lam", "h_meta",
]
