"""Spec 04 and spec 08 F8 (paper Sec. 4, Alg. 4): meta-chain distillation, as sympy statements.

Notation. q̂(k,l) is the fitted K×K per-step meta kernel (rows sum to 1), Z = log q̂ its logits,
w = e^β the time-rescaling factor: Z⁺ = Z + β(11ᵀ − I), so for l ≠ k

    q̂⁺(k,l) = w·q̂(k,l) / (q̂(k,k) + w·(1 − q̂(k,k))),    q̂⁺(k,k) = q̂(k,k) / (q̂(k,k) + w·(1 − q̂(k,k))).

p̂ is the kernel Algorithm 4 learns (the T → ∞ limit of the fit), p̂(k,l) = Σ_{x∈C_k} π^ε(x)·P^ε(x, C_l)/π^ε(C_k);
ℓ_k = 1 − p̂(k,k) its escape probabilities, Ĵ(k,l) = p̂(k,l)/ℓ_k its jump chain with expected visits N̂_k and
hitting time ĥ^jump_ε; "auto" rescaling takes e^β = b/ℓ_min. The rescaled chain leaves cluster k with
probability p⁺_k = wℓ_k/(1 − ℓ_k + wℓ_k), so a visit to k lasts 1/p⁺_k = 1 + (ℓ_min/b)(1 − ℓ_k)/ℓ_k steps and

    E_dist = ĥ^jump_ε + (ℓ_min/b)·Σ_k N̂_k (1 − ℓ_k)/ℓ_k  ≤  (1 + (1 − ℓ_min)/b)·ĥ^jump_ε        (D3, corrected)

(ℓ_min/ℓ_k ≤ 1 and 1 − ℓ_k ≤ 1 − ℓ_min), with equality when all ℓ_k are equal (ring). The form first stated,
E_dist ≤ (1 + 1/b)·h^jump with the true jump chain's h^jump, fails at every ε on the equal-rates-4 chain.
Without rescaling (w = 1) the DTMC with the exact meta kernel q∘ = I + εL has ε·E_dist = h^meta exactly:
(I − q∘)E = 1 off the target is −εL·E = 1, i.e. εE solves the meta chain's L h = −1                (D4).
theory/ imports only sympy.
"""
import sympy as sp

from .hitting import a_m1, pole_order
from .symbols import K, M, T, b, beta, eps, h_meta, lam, q, E_tau

# ------------------------------------------------------------------ symbols (LaTeX names)
w = sp.Symbol("w", positive=True)                                      # w = e^β, the rescaling factor
q_kk = sp.Symbol(r"\hat{q}_{kk}", positive=True)                       # fitted stay probability q̂(k,k)
q_kl = sp.Symbol(r"\hat{q}_{kl}", nonnegative=True)                    # fitted off-diagonal entry q̂(k,l)
lam_min = sp.Symbol(r"\lambda_{\min}", positive=True)                  # min_j λ_j (true meta chain)
pi_k = sp.Symbol(r"\pi(C_k)", positive=True)                           # stationary mass of cluster k
r_kl = sp.Symbol("r_{kl}", nonnegative=True)                           # meta rate r(k,l)
h_jump = sp.Symbol(r"h^{\mathrm{jump}}", positive=True)                # true jump-chain hitting time
E_dist = sp.Symbol(r"E_{\mathrm{dist}}", positive=True)                # distilled model's expected steps
# D1
J_plus = sp.Symbol(r"\hat{J}^{+}_{kl}", nonnegative=True)              # escape law after rescaling
J_kl = sp.Symbol("J_{kl}", nonnegative=True)                           # true jump chain entry
J_eps_0 = sp.Symbol(r"\hat{J}^{(0)}_{kl}", real=True)                  # ε⁰ coefficient of the learned escape law
J_pool = sp.Symbol(r"\bar{J}_{kl}", real=True)                         # pooled Monte Carlo escape law
J_eps = sp.Symbol(r"\hat{J}^{\varepsilon}_{kl}", nonnegative=True)     # learned escape law at ε (T → ∞)
Z2 = sp.Symbol(r"\overline{Z^2}", real=True)                           # normalised squared escape-law error
# D2
q_pool = sp.Symbol(r"\bar{q}_{kl}", real=True)                         # pooled Monte Carlo estimate of q̂(k,l)
p_kl = sp.Symbol(r"\hat{p}_{kl}", nonnegative=True)                    # learned-limit kernel entry at ε
p_kl_0 = sp.Symbol(r"\hat{p}^{(0)}_{kl}", real=True)                   # its Taylor coefficients at ε = 0
p_kl_1 = sp.Symbol(r"\hat{p}^{(1)}_{kl}", real=True)
se_rel = sp.Symbol(r"\sigma_{\mathrm{rel}}", real=True)                # relative spread of q̂(k,l) over datasets
# D3
h_jump_hat = sp.Symbol(r"\hat{h}^{\mathrm{jump}}_{\varepsilon}", positive=True)
ell_min = sp.Symbol(r"\ell_{\min}", positive=True)
visit_sum = sp.Symbol(r"\hat{\Sigma}", nonnegative=True)              # Σ_k N̂_k (1 − ℓ_k)/ℓ_k
h_jump_hat_0 = sp.Symbol(r"\hat{h}^{\mathrm{jump},(0)}", real=True)    # ε⁰ coefficient of ĥ^jump_ε
c_1 = sp.Symbol("c_1", real=True)                                      # ĥ^jump_ε = h^jump (1 + c₁ε + O(ε²))
E_dist_0 = sp.Symbol(r"E_{\mathrm{dist}}^{(0)}", real=True)            # ε⁰ coefficient of E_dist(ε)
visit_sum_0 = sp.Symbol(r"\Sigma_0", nonnegative=True)                 # Σ_k N_k λ_min/λ_k (true jump chain)
# D4
eps_E_dist = sp.Symbol(r"\varepsilon E_{\mathrm{dist}}", positive=True)
eps_E_dist_fit = sp.Symbol(r"\varepsilon \hat{E}_{\mathrm{dist}}", real=True)   # from a kernel fitted to data
L_eps_E = sp.Symbol(r"(L\,\varepsilon E_{\mathrm{dist}})_k", real=True)         # row k of L applied to εE
# D5
C_dist = sp.Symbol(r"\bar{C}_{\mathrm{dist}}", positive=True)          # Monte Carlo mean sampling cost
# F8
ell_min_0 = sp.Symbol(r"\ell_{\min}^{(0)}", real=True)
ell_min_1 = sp.Symbol(r"\ell_{\min}^{(1)}", real=True)


def rescaled_offdiag(qkl, qkk, scale):
    """q̂⁺(k,l) (l ≠ k) after Z⁺ = Z + β(11ᵀ − I), with scale = e^β."""
    return scale * qkl / (qkk + scale * (1 - qkk))


def rescaled_stay(qkk, scale):
    """q̂⁺(k,k) = q̂(k,k) / (q̂(k,k) + e^β (1 − q̂(k,k)))."""
    return qkk / (qkk + scale * (1 - qkk))


# ================================================================== D1 distill.escape-preserved
# The escape law of row k after rescaling equals the fitted one, for every β.
escape_preserved = sp.Eq(J_plus, q_kl / (1 - q_kk))
# As ε → 0 the learned escape law tends to the jump chain: its ε⁰ Taylor coefficient is J(k,l).
escape_limit = sp.Eq(J_eps_0, J_kl)
# Monte Carlo: the pooled escape law estimates its T → ∞ limit; the normalised squared error is 1.
escape_pooled = sp.Eq(J_pool, J_eps)
escape_error_rate = sp.Eq(Z2, 1)
escape_statement = sp.And(escape_preserved, escape_limit, escape_pooled, escape_error_rate)


def rescaled_escape_law(rows: int = 3):
    """One softmax row of `rows` logits z_0 (diagonal), z_1, …, with the off-diagonal logits shifted by β:
    for every l ≥ 1 the triple (q̂⁺(0,l)/(1 − q̂⁺(0,0)), q̂(0,l), q̂(0,0)) as expressions in z and β,
    derived from softmax(Z + β(11ᵀ − I)) (claim distill.escape-preserved, rung proved).

    Examples
    --------
    >>> Jp, qkl, qkk = rescaled_escape_law(3)[0]
    >>> sp.simplify(Jp - qkl / (1 - qkk))
    0
    """
    z = sp.symbols(f"z0:{rows}", real=True)
    den = sum(sp.exp(zj) for zj in z)
    qrow = [sp.exp(zj) / den for zj in z]
    zp = [z[0]] + [zj + beta for zj in z[1:]]
    denp = sum(sp.exp(zj) for zj in zp)
    qprow = [sp.exp(zj) / denp for zj in zp]
    return [(qprow[l] / (1 - qprow[0]), qrow[l], qrow[0]) for l in range(1, rows)]


def escape_identity_residual(rows: int = 3):
    """q̂⁺(k,l)/(1 − q̂⁺(k,k)) − q̂(k,l)/(1 − q̂(k,k)) for each l, simplified (0 for every β)."""
    return [sp.simplify(a - c / (1 - d)) for a, c, d in rescaled_escape_law(rows)]


# ================================================================== D2 distill.per-step-meta
# q̂(k,l) estimates its T → ∞ limit p̂(k,l), and p̂(k,l) = ε r(k,l) + O(ε²) = ε r(k,l)(1 + O(ε)).
per_step_meta = eps * r_kl
relative_standard_error = 1 / sp.sqrt(T * pi_k * eps * r_kl)
per_step_pooled = sp.Eq(q_pool, p_kl)
per_step_expansion = sp.And(sp.Eq(p_kl_0, 0), sp.Eq(p_kl_1, r_kl))
per_step_spread = sp.Eq(se_rel, relative_standard_error)
per_step_meta_statement = sp.And(per_step_pooled, per_step_expansion, per_step_spread)

# ================================================================== D3 distill.order-K
auto_scale = b / (eps * lam_min)                 # exact meta kernel: ℓ_k = ελ_k, so e^β = b/(ελ_min)
auto_beta = sp.log(auto_scale)
escape_probability_rescaled = sp.simplify(rescaled_offdiag(eps * lam, 1 - eps * lam, auto_scale))
steps_per_visit = sp.simplify(1 / escape_probability_rescaled)          # = 1 + (1 − ελ) λ_min / (b λ)
steps_per_visit_bound = 1 + 1 / b
# The corrected, exact finite-ε form on the learned kernel (identity and bound).
order_K_identity = sp.Eq(E_dist, h_jump_hat + ell_min / b * visit_sum)
order_K_bound_corrected = sp.Le(E_dist, (1 + (1 - ell_min) / b) * h_jump_hat)
order_K_corrected = sp.And(order_K_identity, order_K_bound_corrected)
# The expansion: ĥ^jump_ε → h^jump, c₁ = 0 for ring and uniform escape; E_dist(ε) has no pole and
# E_dist(0) = h^jump + Σ_k N_k (λ_min/λ_k)/b (the identity at ε → 0: ℓ_min/ℓ_k → λ_min/λ_k, 1 − ℓ_k → 1).
order_K_limit = sp.And(sp.Eq(h_jump_hat_0, h_jump), sp.Eq(pole_order, 0), sp.Eq(E_dist_0, h_jump + visit_sum_0 / b))
order_K_expansion_single_exit = sp.And(order_K_limit, sp.Eq(c_1, 0))
order_K_expansion_multi_exit = sp.And(order_K_limit, sp.Gt(c_1 ** 2, 0))
# The form first stated (refuted on the learned kernel): E_dist ≤ (1 + 1/b)·h^jump with the TRUE h^jump.
order_K_bound = sp.Le(E_dist, h_jump * (1 + 1 / b))
# ring(K, M, q), exact meta kernel: λ_k = q/M for every k, h^jump = K − 1, so exactly
ring_distilled_steps = (K - 1) * (1 + (1 - eps * q / M) / b)
ring_distilled_steps_limit = sp.limit(ring_distilled_steps, eps, 0)
# equal-rates-4 (numerics.families.equal_rates_4): the learned kernel has Ĵ^ε(1,0) = (1 + ε)/2, so
# ĥ^jump = 4/(1 − ε) and E_dist = 4/(1 − ε) + 4/b > 4(1 + 1/b) = (1 + 1/b)·h^jump for every 0 < ε < 1, b > 0.
counterexample_steps = 4 / (1 - eps) + 4 / b
counterexample_bound = 4 * (1 + 1 / b)
counterexample_excess = sp.simplify(counterexample_steps - counterexample_bound)   # = 4ε/(1 − ε) > 0


def order_k_identity_symbolic():
    """The terms of the order-K identity for a generic 3-cluster kernel, derived symbolically (claim
    distill.order-K, rung proved): start 0, target 2, symbolic escape entries p̂(0,1), p̂(0,2), p̂(1,0), p̂(1,2) > 0
    and a symbolic ℓ_min > 0 in e^β = b/ℓ_min (the identity holds for every positive value; the bound needs
    ℓ_min ≤ ℓ_k). E_dist solves the rescaled chain's system E_k = 1 + Σ_l p̂⁺(k,l) E_l; N̂_k and ĥ^jump solve
    the jump chain's systems. Returns {symbol: expression} for E_dist, ĥ^jump, Σ_k N̂_k(1 − ℓ_k)/ℓ_k, ℓ_min.

    Examples
    --------
    >>> t = order_k_identity_symbolic()
    >>> sp.simplify(t[E_dist] - t[h_jump_hat] - t[ell_min] / b * t[visit_sum])
    0
    """
    p01, p02, p10, p12 = sp.symbols("p01 p02 p10 p12", positive=True)
    lmin = ell_min
    ell = [p01 + p02, p10 + p12]
    off = {(0, 1): p01, (0, 2): p02, (1, 0): p10, (1, 2): p12}
    J = {kl: v / ell[kl[0]] for kl, v in off.items()}
    n0, n1 = sp.symbols("n0 n1")
    # expected visits N_j from 0 before 2: N = e_0 + N·J restricted to {0, 1}
    vis = sp.solve([sp.Eq(n0, 1 + n1 * J[(1, 0)]), sp.Eq(n1, n0 * J[(0, 1)])], [n0, n1], dict=True)[0]
    h0, h1 = sp.symbols("h0 h1")
    hj = sp.solve([sp.Eq(h0, 1 + J[(0, 1)] * h1), sp.Eq(h1, 1 + J[(1, 0)] * h0)], [h0, h1], dict=True)[0][h0]
    scale = b / lmin
    den = [(1 - ell[k]) + scale * ell[k] for k in range(2)]
    e0, e1 = sp.symbols("e0 e1")
    E = sp.solve([sp.Eq(e0, 1 + (1 - ell[0]) / den[0] * e0 + scale * p01 / den[0] * e1),
                  sp.Eq(e1, 1 + (1 - ell[1]) / den[1] * e1 + scale * p10 / den[1] * e0)], [e0, e1], dict=True)[0][e0]
    vsum = vis[n0] * (1 - ell[0]) / ell[0] + vis[n1] * (1 - ell[1]) / ell[1]
    return {E_dist: E, h_jump_hat: hj, visit_sum: vsum, ell_min: lmin}


def equal_rates_distilled_steps():
    """E_dist(ε, b) of the equal-rates-4 chain's learned kernel, derived symbolically (claim
    distill.order-K-literal, rung proved).

    Clusters C_0 = {0}, C_1 = {1, 2} (uniform block), C_2 = {3}; sparse edges 0→1, 1→0, 2→3, 3→0 of
    weight 1. Stationary balance of P(ε): state 1 receives ½ of the mass of C_1 that stays plus the flow
    ε·μ_0 from state 0; state 2 receives the other ½. Solving μP = μ in sympy gives μ(1 | C_1) = (1 + ε)/2,
    so the learned kernel of C_1 is p̂(1,0) = εμ(1|C_1), p̂(1,2) = εμ(2|C_1), ℓ_1 = ε, while ℓ_0 = ℓ_2 = ε.
    With e^β = b/ℓ_min each visit lasts 1 + (1 − ε)/b steps, and the jump chain 0 → 1 → {0, 2} gives
    N̂_0 = N̂_1 = 1/Ĵ(1,2); E_dist = (N̂_0 + N̂_1)(1 + (1 − ε)/b).

    Examples
    --------
    >>> sp.simplify(equal_rates_distilled_steps() - counterexample_steps)
    0
    """
    m0, m1, m2, m3 = sp.symbols("mu0:4", positive=True)
    h = sp.Rational(1, 2)
    P = {(0, 0): 1 - eps, (0, 1): eps, (1, 1): h * (1 - eps), (1, 2): h * (1 - eps), (1, 0): eps,
         (2, 1): h * (1 - eps), (2, 2): h * (1 - eps), (2, 3): eps, (3, 3): 1 - eps, (3, 0): eps}
    mu = [m0, m1, m2, m3]
    eqs = [sp.Eq(mu[y], sum(mu[x] * v for (x, yy), v in P.items() if yy == y)) for y in range(1, 4)]
    eqs.append(sp.Eq(sum(mu), 1))
    sol = sp.solve(eqs, mu, dict=True)[0]
    c1 = sol[m1] + sol[m2]
    p10 = sp.simplify(sol[m1] * eps / c1)                  # learned p̂(1,0)
    p12 = sp.simplify(sol[m2] * eps / c1)                  # learned p̂(1,2)
    ell = [eps, sp.simplify(p10 + p12), eps]               # ℓ_0, ℓ_1, ℓ_2 (= ε each)
    J12 = sp.simplify(p12 / ell[1])
    visits = [1 / J12, 1 / J12]                            # N̂_0 = N̂_1: each round trip 0 → 1 → 0 repeats
    lmin = eps
    per_visit = [1 + lmin / b * (1 - e) / e for e in ell[:2]]
    return sp.simplify(sum(n * s for n, s in zip(visits, per_visit)))


# ================================================================== D4 distill.timescale
# Without rescaling the distilled chain keeps the timescale: E_dist(ε) of the learned kernel has a simple
# pole at ε = 0 with ε⁻¹ coefficient h^meta (lim ε·E_dist = h^meta, stated through what is measured).
timescale_relation = sp.And(sp.Eq(pole_order, 1), sp.Eq(a_m1, h_meta))
timescale_relation_limit_form = sp.Eq(sp.Limit(eps * E_dist, eps, 0), h_meta)          # for display
timescale_exact_meta = sp.Eq(eps_E_dist, h_meta)                 # exact meta kernel: at every ε
timescale_generator = sp.Eq(L_eps_E, -1)                         # εE solves L h = −1 off the target
timescale_fitted = sp.Eq(eps_E_dist_fit, eps_E_dist)             # Monte Carlo fit vs its T → ∞ limit


def timescale_generator_rows(K_states: int = 3):
    """Row k of L·(εE) for k ≠ target, for the DTMC with kernel q∘ = I + εL on K_states states with
    generic symbolic rates r_kl > 0 (E = its expected steps to the last state, solved by sympy):
    each simplifies to −1, i.e. εE solves the meta chain's L h = −1 (claim distill.timescale, rung proved).

    Examples
    --------
    >>> [sp.simplify(v) for v in timescale_generator_rows(2)]
    [-1]
    """
    n = K_states
    r = {(k, l): sp.Symbol(f"r_{k}{l}", positive=True) for k in range(n) for l in range(n) if k != l}
    L = sp.Matrix(n, n, lambda k, l: r[(k, l)] if k != l else -sum(r[(k, j)] for j in range(n) if j != k))
    qo = sp.eye(n) + eps * L                                # the exact per-step meta kernel q∘
    target = n - 1
    Es = sp.symbols(f"E0:{n - 1}")
    E = list(Es) + [sp.Integer(0)]
    eqs = [sp.Eq(E[k], 1 + sum(qo[k, l] * E[l] for l in range(n))) for k in range(n - 1)]
    sol = sp.solve(eqs, Es, dict=True)[0]
    Ev = [sol[e] for e in Es] + [sp.Integer(0)]
    return [sum(L[k, l] * eps * Ev[l] for l in range(n)) for k in range(n) if k != target]


# ================================================================== D5 distill.compression
# A sample costs E_dist steps of the distilled model (measured by Monte Carlo), against E[τ] of the chain:
# for ring and uniform escape (K−1 jumps, every ℓ_k = εq/(M + εq) on the learned kernel, F1 for E[τ])
compression_cost = sp.Eq(C_dist, E_dist)
canonical_learned_escape = eps * q / (M + eps * q)        # ℓ of ring / uniform-escape, M ≥ 2 (F8 below)
canonical_distilled_steps = (K - 1) * (1 + (1 - canonical_learned_escape) / b)
canonical_hitting_time = (K - 1) * M / (q * eps) + (K - M - 1)                  # spec 08 F1
canonical_speedup = canonical_hitting_time / canonical_distilled_steps
compression_speedup = sp.Eq(E_tau / C_dist, canonical_speedup)
compression_statement = sp.And(compression_cost, compression_speedup)


def canonical_distilled_steps_lumped():
    """E_dist of the model distilled from the learned kernel of ring(K, M, q), M ≥ 2, derived symbolically:
    the jump chain is the K-cycle, every cluster has the same learned escape probability ℓ
    (:func:`canonical_escape_lumped`), so with e^β = b/ℓ each of the K − 1 clusters before the target costs a
    geometric number of steps with success probability p⁺ = wℓ/(1 − ℓ + wℓ) (claim distill.compression).

    Examples
    --------
    >>> sp.simplify(canonical_distilled_steps_lumped() - canonical_distilled_steps)
    0
    """
    ell = canonical_escape_lumped()
    scale = b / ell
    p_plus = rescaled_offdiag(ell, 1 - ell, scale)            # the whole escape mass leaves to the next cluster
    return sp.simplify((K - 1) / p_plus)


# ================================================================== F8 distill.beta-order
# e^β = b/ℓ_min with ℓ the learned escape probability: for ring and uniform escape (M ≥ 2) exactly
#   e^β = b(M + εq)/(εq),   β = log(bM/(qε)) + log(1 + εq/M) ∈ [log(bM/(qε)), log(bM/(qε)) + εq/M],
# so β − log(M/ε) = log(b/q) + O(ε) stays bounded as ε → 0 and M grows. For any chain ℓ_min(ε) = ελ_min + O(ε²):
# β = log(b/(ελ_min)) + O(ε).
beta_shift = beta - sp.log(b * M / (q * eps))
beta_order_canonical = sp.And(sp.Eq(w, b * (M + eps * q) / (eps * q)), sp.Ge(beta_shift, 0),
                              sp.Le(beta_shift, eps * q / M))
beta_order_scale = sp.Eq(w, b * (M + eps * q) / (eps * q))
beta_order_general = sp.And(sp.Eq(ell_min_0, 0), sp.Eq(ell_min_1, lam_min))


def canonical_escape_lumped():
    """The learned escape probability ℓ of every cluster of ring(K, M, q) and uniform-escape(K, M, q), M ≥ 2,
    derived symbolically (claims distill.beta-order, distill.compression).

    In stationarity, the source s of C_k receives the mass of C_k that stays, spread uniformly by the
    complete-graph block: π(s) = (π(C_k) − εq·π(s))/M (sparse edges land on the entry state, not on s).
    With π(C_k) = 1 this is solved by sympy; ℓ = εq·π(s)/π(C_k).

    Examples
    --------
    >>> canonical_escape_lumped()
    \\varepsilon*q/(M + \\varepsilon*q)
    """
    ps = sp.Symbol("pi_s", positive=True)
    sol = sp.solve(sp.Eq(ps, (1 - eps * q * ps) / M), ps)[0]
    return sp.simplify(eps * q * sol)


__all__ = ["w", "q_kk", "q_kl", "lam_min", "pi_k", "r_kl", "h_jump", "E_dist", "J_plus", "J_kl", "J_eps_0", "J_pool",
           "J_eps", "Z2", "q_pool", "p_kl", "p_kl_0", "p_kl_1", "se_rel", "h_jump_hat", "ell_min", "visit_sum",
           "h_jump_hat_0", "c_1", "E_dist_0", "visit_sum_0", "eps_E_dist", "eps_E_dist_fit", "L_eps_E", "C_dist",
           "ell_min_0", "ell_min_1", "rescaled_offdiag", "rescaled_stay", "escape_preserved", "escape_limit",
           "escape_pooled", "escape_error_rate", "escape_statement", "rescaled_escape_law", "escape_identity_residual",
           "per_step_meta", "relative_standard_error", "per_step_pooled", "per_step_expansion", "per_step_spread",
           "per_step_meta_statement", "auto_scale", "auto_beta", "escape_probability_rescaled", "steps_per_visit",
           "steps_per_visit_bound", "order_K_identity", "order_K_bound_corrected", "order_K_corrected",
           "order_K_limit", "order_K_expansion_single_exit", "order_K_expansion_multi_exit", "order_K_bound",
           "ring_distilled_steps", "ring_distilled_steps_limit", "counterexample_steps", "counterexample_bound",
           "counterexample_excess", "equal_rates_distilled_steps", "order_k_identity_symbolic", "timescale_relation",
           "timescale_relation_limit_form", "timescale_exact_meta", "timescale_generator", "timescale_fitted",
           "timescale_generator_rows", "compression_cost", "canonical_learned_escape", "canonical_distilled_steps",
           "canonical_hitting_time", "canonical_speedup", "compression_speedup", "compression_statement",
           "canonical_distilled_steps_lumped", "beta_shift", "beta_order_canonical", "beta_order_scale",
           "beta_order_general", "canonical_escape_lumped", "a_m1", "pole_order"]
