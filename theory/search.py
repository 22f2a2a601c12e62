"""Spec 02 (paper Sec. 3, Alg. 2) and spec 08 F6: Sparse Edge Search and the PRM, as sympy statements.

S1 search.recovery     P_fail ≤ R·(N·T0·ε·q_max + P_nocover)
S2 search.cost         ideal round: E[C_round] = N·T0 + N/(1 − (1 − εq/M)^N) (proved); ring: K rounds for all
                       edges, K − 1 for the path; two-point log–log slopes of the exact form
S3 search.rounds       rounds to record every edge of uniform escape = edge-cover time C_edge of the walk on
                       the complete digraph; rounds until every cluster was a frontier = (K−1)·H_{K−1}
                       (proved); ring: K (all edges), K − 1 (path)
S4 search.prm-gain     guided chain: pole order 1 and a_{-1} = h^meta_PRM; guided ring and uniform escape:
                       E_PRM[τ] = (K−1)M/ε_max + (K − M − 1) (proved); gain = ratio of the two exact laws
F6 search.success-whp  P(success) ≥ 1 − R·(merge + no-cover + empty) − P(not reached); with M = 2, T0 = 1
                       also P(success) ≤ (1 − P_nocover)^R·(1 − ((K−2)/(K−1))^R)
Refuted (spec 02 "Refuted sharpenings"): cost_spec (ring total with K − 1 rounds) and rounds_coupon
(coupon collector over K(K − 1) edges).

Symbols: N walkers, warm-up T0, horizon T_max, R rounds, K clusters of size M, sparse weight q, ε, ε_max.
"""
import sympy as sp

from . import hitting as _hitting
from .symbols import K, M, N, T0, q, eps, eps_max, lam, E_tau, h_meta

R = sp.Symbol("R", integer=True, positive=True)               # number of rounds
T_max = sp.Symbol("T_max", integer=True, positive=True)       # horizon of a round (steps, warm-up included)
j = sp.Symbol("j", integer=True, nonnegative=True)            # summation index
mm = sp.Symbol("m", integer=True, positive=True)              # number of coupons (edges)
q_max = sp.Symbol(r"q_{\max}", positive=True)                     # max_x q(x)
P_nocover = sp.Symbol(r"P_{\mathrm{nocover}}", nonnegative=True)          # exact no-cover probability of one round
P_fail = sp.Symbol(r"P_{\mathrm{fail}}", nonnegative=True)                # P(some round merges or records a dense edge)


# ================================================================ S1 search.recovery
# Per round: P(merge) ≤ N·T0·ε·q_max (union bound over walker-steps of the warm-up).
merge_bound = N * T0 * eps * q_max
# Over R rounds (coupling with the P0 walk until the first sparse move): P_fail ≤ R·(N·T0·ε·q_max + P_nocover).
recovery_bound = R * (merge_bound + P_nocover)
recovery_relation = sp.Le(P_fail, recovery_bound)
# Complete-graph block (P0 = 1/M, as in ring / uniform-escape): after one step every walker is uniform, so
# Ĉ = {start} ∪ {N·T0 iid uniform draws}; inclusion–exclusion over the j missed states (≠ start):
nocover_complete = sp.Sum((-1) ** (j + 1) * sp.binomial(M - 1, j) * (1 - j / M) ** (N * T0), (j, 1, M - 1))


class no_cover_complete(sp.Function):
    """P(N·T0 iid uniform draws on M states, plus the start, miss a state): the closed form
    Σ_{j=1}^{M−1} (−1)^{j+1} C(M−1, j)(1 − j/M)^{N·T0} of :data:`nocover_complete`, written as a function of
    (M, N·T0) that evaluates itself once both are integers (so a statement using it decides exactly).

    Examples
    --------
    >>> no_cover_complete(2, 3)
    1/8
    >>> no_cover_complete(M, N * T0).subs({M: 3, N: 2, T0: 1})
    7/9
    """

    @classmethod
    def eval(cls, m, draws):
        if m.is_Integer and draws.is_Integer:
            m, d = int(m), int(draws)
            return sp.Add(*[(-1) ** (i + 1) * sp.binomial(m - 1, i) * (1 - sp.Rational(i, m)) ** d
                            for i in range(1, m)])
        return None


nocover_relation = sp.Eq(P_nocover, no_cover_complete(M, N * T0))
# The timescale window of the spec: cover time ≪ T0 ≪ M/(N q ε).
window_upper = M / (N * q * eps)


# ================================================================ S2 search.cost
C_round = sp.Symbol(r"C_{\mathrm{round}}", positive=True)   # E[walker-steps of an ideal round] (measured)
C_all = sp.Symbol(r"C_{\mathrm{all}}", positive=True)       # E[walker-steps until every sparse edge of ring is recorded]
C_path = sp.Symbol(r"C_{\mathrm{path}}", positive=True)     # E[walker-steps until the path C_1 → … → C_K is recorded]
p_escape = eps * q / M                            # escape probability of one walker per step (complete block)
# Ideal round on complete-graph blocks, started at an entry state: N·T0 + N/(1 − (1 − εq/M)^N).
cost_round_exact = N * T0 + N / (1 - (1 - p_escape) ** N)
cost_round_relation = sp.Eq(C_round, cost_round_exact)
# General blocks, to leading order: N·T0 + 1/(ε λ_k).
cost_round = N * T0 + 1 / (eps * lam)
# ring(K, M, q) has K sparse edges (indices mod K), one recorded per ideal round: K rounds; the path K − 1.
cost_all_exact = K * cost_round_exact
cost_path_exact = (K - 1) * cost_round_exact
cost_all_relation = sp.Eq(C_all, cost_all_exact)
cost_path_relation = sp.Eq(C_path, cost_path_exact)
cost_total_ring_all_edges = K * (N * T0 + M / (q * eps))     # leading order of cost_all_exact (for the book)
# The spec-literal total (refuted: ring has K edges, not K − 1).
cost_total_ring_spec = (K - 1) * (N * T0 + M / (q * eps))
cost_spec_relation = sp.Eq(C_all, cost_total_ring_spec)


def ideal_round_cost():
    """E[walker-steps] of an ideal round on a complete-graph block, derived symbolically (claim search.cost,
    rung proved).

    Model: the round starts at an entry state (not the source), so after step 1 each walker is uniform on
    C_k and, while it has not escaped, stays uniform; at each later step it escapes with probability
    p = εq/M (it is at the source w.p. 1/M and takes the sparse edge w.p. εq), independently of the other
    walkers. An ideal round has no escape during the warm-up, so by memorylessness the number S ≥ 1 of
    detection steps until the first of N walkers escapes has P(S > s) = r^s with r = (1 − p)^N, and
    E[cost] = N·T0 + N·E[S] with E[S] = Σ_{s≥0} P(S > s). The geometric series is summed by sympy with the
    ratio written as 1/(1 + u), u > 0 (0 < r < 1 for 0 < εq/M < 1), then u = 1/r − 1.

    Examples
    --------
    >>> sp.simplify(ideal_round_cost() - cost_round_exact)
    0
    """
    u = sp.Symbol("u", positive=True)
    s = sp.Symbol("s", integer=True, nonnegative=True)
    r = sp.Symbol("r", positive=True)
    series = sp.summation((1 / (1 + u)) ** s, (s, 0, sp.oo))          # Σ_{s≥0} (1/(1+u))^s, |1/(1+u)| < 1
    expected_steps = sp.simplify(series.subs(u, 1 / r - 1))             # = 1/(1 − r)
    return N * T0 + N * expected_steps.subs(r, (1 - p_escape) ** N)


def ideal_round_cost_expansion(order: int = 1):
    """Laurent coefficients {-1: c_{-1}, 0: c_0} in ε of :func:`ideal_round_cost` (the derived form, not
    the statement): c_{-1} = M/q and c_0 = N·T0 + (N − 1)/2, so E[C_round] = N·T0 + M/(qε) + (N−1)/2 + O(ε).

    Examples
    --------
    >>> co = ideal_round_cost_expansion()
    >>> co[-1], sp.factor(co[0] - N * T0)
    (M/q, (N - 1)/2)
    """
    f = ideal_round_cost()
    ser = sp.series(f, eps, 0, order).removeO()
    ser = sp.expand(ser)
    return {k: sp.simplify(ser.coeff(eps, k)) for k in range(-1, order)}


c_m1 = sp.Symbol("c_{-1}", real=True)     # ε^{-1} coefficient of E[C_round] (measured from the derivation)
c_0 = sp.Symbol("c_0", real=True)         # ε^0 coefficient
cost_expansion_relation = sp.And(sp.Eq(c_m1, M / q), sp.Eq(c_0, N * T0 + (N - 1) / 2))

# Two-point log–log slopes of the exact expected cost (the paper's Θ(KM/ε): each → 1).
s_K = sp.Symbol("s_K", real=True)
s_M = sp.Symbol("s_M", real=True)
s_eps = sp.Symbol(r"s_{1/\epsilon}", real=True)
K_1, K_2 = sp.symbols("K_1 K_2", integer=True, positive=True)
M_1, M_2 = sp.symbols("M_1 M_2", integer=True, positive=True)
eps_1, eps_2 = sp.symbols("epsilon_1 epsilon_2", positive=True)


def two_point_slope(expr, var, lo, hi):
    """(log expr(hi) − log expr(lo))/(log hi − log lo): the log–log slope of `expr` in `var` between two
    points (symbols or numbers).

    Examples
    --------
    >>> two_point_slope(K * M, K, K_1, K_2)
    1
    """
    return sp.log(expr.subs(var, hi) / expr.subs(var, lo)) / sp.log(hi / lo)


slope_K_relation = sp.Eq(s_K, two_point_slope(cost_all_exact, K, K_1, K_2))          # = 1 exactly
slope_M_relation = sp.Eq(s_M, two_point_slope(cost_round_exact, M, M_1, M_2))
slope_eps_relation = sp.Eq(s_eps, sp.log(cost_round_exact.subs(eps, eps_2) / cost_round_exact.subs(eps, eps_1))
                           / sp.log(eps_1 / eps_2))                                 # slope in 1/ε, ε_2 < ε_1


# ================================================================ S3 search.rounds
R_edges = sp.Symbol(r"\bar{R}_{edges}", positive=True)       # E[rounds until all K(K−1) edges are recorded]
C_edge = sp.Symbol(r"C_{\mathrm{edge}}", positive=True)                # directed-edge cover time of the complete digraph
R_clusters = sp.Symbol(r"\bar{R}_{clusters}", positive=True)  # E[rounds until every cluster was a frontier]
R_ring_all = sp.Symbol(r"\bar{R}_{ring}", positive=True)     # E[rounds until every ring edge is recorded]
R_ring_path = sp.Symbol(r"\bar{R}_{path}", positive=True)    # E[rounds until the path C_1 → … → C_K]
p_exit = sp.Symbol("p_{exit}", nonnegative=True)             # P(an ideal round from C_k records an edge into C_l)

exit_uniform_relation = sp.Eq(p_exit, 1 / (K - 1))
rounds_edges_relation = sp.Eq(R_edges, C_edge)
cluster_cover_time = (K - 1) * sp.harmonic(K - 1)
rounds_clusters_relation = sp.Eq(R_clusters, cluster_cover_time)
rounds_ring_relation = sp.And(sp.Eq(R_ring_all, K), sp.Eq(R_ring_path, K - 1))
rounds_ring_all_edges = K                # for the book
rounds_ring_spec = K - 1
# Refuted: coupon collector over the m = K(K−1) edges.
coupon_collector = mm * sp.harmonic(mm)
rounds_uniform_spec = coupon_collector.subs(mm, K * (K - 1))
rounds_coupon_relation = sp.Eq(R_edges, rounds_uniform_spec)
rounds_uniform_order = K ** 2 * sp.log(K)   # Θ(K² log K)


def cluster_cover_time_derived():
    """Expected rounds until every cluster of uniform-escape(K, M, q) has been a frontier, derived
    symbolically (claim search.rounds, rung proved).

    Model: each ideal round moves the frontier to a cluster l uniform on the K − 1 others. While j clusters
    have been frontiers the next round brings a new one with probability p_j = (K − j)/(K − 1), so the wait
    W_j is geometric with P(W_j > t) = (1 − p_j)^t and E[W_j] = Σ_{t≥0} (1 − p_j)^t (sympy sums the series
    with the ratio 1/(1 + u), u > 0); the cover time is Σ_{j=1}^{K−1} E[W_j], summed by sympy after the index
    change i = K − j.

    Examples
    --------
    >>> sp.simplify(cluster_cover_time_derived() - cluster_cover_time)
    0
    """
    u = sp.Symbol("u", positive=True)
    t = sp.Symbol("t", integer=True, nonnegative=True)
    jj = sp.Symbol("j", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    p_new = (K - jj) / (K - 1)
    series = sp.summation((1 / (1 + u)) ** t, (t, 0, sp.oo))           # Σ_t ratio^t, ratio = 1/(1+u) < 1
    wait = sp.simplify(series.subs(u, 1 / (1 - p_new) - 1))           # ratio = 1 − p_j  ⇒  E[W_j] = 1/p_j
    return sp.summation(sp.simplify(wait.subs(jj, K - i)), (i, 1, K - 1))


# ================================================================ S4 search.prm-gain
E_PRM = sp.Symbol(r"\mathbb{E}_{\mathrm{PRM}}[\tau]", positive=True)                     # E_PRM[τ](ε_max), exact
h_meta_PRM = sp.Symbol(r"h^{\mathrm{meta}}_{\mathrm{PRM}}", positive=True)           # CTMC hitting time of the guided rates r_PRM
a_PRM = sp.Symbol(r"a^{\mathrm{PRM}}_{-1}", real=True)                  # ε_max^{-1} Laurent coefficient of E_PRM[τ]
pole_PRM = sp.Symbol(r"p^{\mathrm{PRM}}_{\mathrm{pole}}", integer=True)          # order of its pole at ε_max = 0
prm_limit_relation = sp.And(sp.Eq(pole_PRM, 1), sp.Eq(a_PRM, h_meta_PRM))
prm_limit_display = sp.Eq(sp.Limit(eps_max * E_PRM, eps_max, 0), h_meta_PRM)
# Guided ring / uniform escape: r_PRM gives λ = 1/M per cluster; exactly ring(K, M, 1) in ε_max (spec 08 F1).
prm_exact_rhs = (K - 1) * M / eps_max + (K - M - 1)
prm_exact_relation = sp.Eq(E_PRM, prm_exact_rhs)
h_meta_prm_canonical = (K - 1) * M
hitting_prm_canonical_leading = h_meta_prm_canonical / eps_max
# Gain at finite ε, ε_max (both laws exact): the ratio of F1's law to the guided law.
gain = sp.Symbol(r"G_{\mathrm{PRM}}", positive=True)                    # E_pre[τ](ε) / E_PRM[τ](ε_max), exact
gain_exact_relation = sp.Eq(gain, _hitting.exact_canonical_rhs / prm_exact_rhs)
gain_limit = eps_max / (q * eps)
# lim gain·ε/ε_max = 1/q: stated through the ratio of the two exact ε^{-1} coefficients.
rho_lead = sp.Symbol(r"\rho_{-1}", positive=True)             # a_{-1}^{pre} / a_{-1}^{PRM} (measured)
gain_limit_relation = sp.Eq(rho_lead, 1 / q)


def prm_ring_hitting_time():
    """E_PRM[τ] of the PRM-guided ring(K, M, q) as a function of ε_max, derived symbolically (claim
    search.prm-gain, rung proved).

    Model: the guide takes the known edge (x, y) of a source x with probability ε_max·q(x, y)/q̂(x), the
    rest of the row is P0 scaled by 1 − ε_max. With every ring edge known q̂(x) = q(x, y) = q, so the source
    leaves along its edge with probability ε_max·q/q — the guided ring is the ring whose source escape
    probability εq equals that. Substituting ε = ε_max·(q/q)/q into the lumped ring law
    (:func:`metacot.theory.hitting.ring_hitting_time_lumped`, the 2×2 block system solved by sympy) gives
    the guided law.

    Examples
    --------
    >>> sp.simplify(prm_ring_hitting_time() - prm_exact_rhs)
    0
    """
    known_weight = q                                   # q̂(x): the one known edge of the source
    guided_escape = eps_max * q / known_weight         # P(source takes its edge) under the guide
    return sp.simplify(_hitting.ring_hitting_time_lumped().subs(eps, guided_escape / q))


# ================================================================ F6 search.success-whp
P_succ = sp.Symbol(r"P_{\mathrm{succ}}", nonnegative=True)           # P(no false edge and Ê has a path C_in → C_out)
P_succ_all = sp.Symbol(r"P_{\mathrm{succ}}^{\mathrm{all}}", nonnegative=True)  # … and a path from C_in to every cluster
a_walkers = sp.Symbol("a", positive=True)                   # N = ⌈a·ln K⌉
c_rounds = sp.Symbol("c", positive=True)                    # R = ⌈c·K·ln K⌉


def walkers_and_rounds(K_value: int, a, c):
    """(N, R) = (⌈a·ln K⌉, ⌈c·K·ln K⌉), the paper's N = Θ(log K) walkers and R = Θ(K log K) rounds.

    Examples
    --------
    >>> walkers_and_rounds(16, 4, 2)
    (12, 89)
    """
    Kv = sp.Integer(K_value)
    n_w = sp.ceiling(sp.nsimplify(a) * sp.log(Kv))
    n_r = sp.ceiling(sp.nsimplify(c) * Kv * sp.log(Kv))
    return int(n_w), int(n_r)


# Per round started at an entry state of a complete-graph block (the frontier of every round while all
# previous rounds were ideal): merge = some walker escapes during warm-up steps 2..T0 (step 1 leaves the
# entry state inside the block); no cover (P0 coupling); empty = no escape during steps 2..T_max.
merge_round = 1 - (1 - p_escape) ** (N * (T0 - 1))
empty_round = (1 - p_escape) ** (N * (T_max - 1))
not_reached = ((K - 2) / (K - 1)) ** R                       # the uniform frontier walk misses C_out in R jumps
round_failure = merge_round + no_cover_complete(M, N * T0) + empty_round
success_lower = 1 - R * round_failure - not_reached
success_lower_all = 1 - R * round_failure - (K - 1) * not_reached   # union over the K − 1 other clusters
# M = 2, T0 = 1: a missed state forces a false edge, covers are independent of the recorded destinations.
success_upper = (1 - no_cover_complete(M, N * T0)) ** R * (1 - not_reached)
success_whp_relation = sp.And(sp.Ge(P_succ, success_lower), sp.Ge(P_succ_all, success_lower_all),
                              sp.Le(P_succ, success_upper))
success_lower_relation = sp.And(sp.Ge(P_succ, success_lower), sp.Ge(P_succ_all, success_lower_all))
success_sandwich_relation = sp.And(sp.Ge(P_succ, success_lower), sp.Le(P_succ, success_upper))


__all__ = [
    "R", "T_max", "q_max", "P_nocover", "P_fail", "merge_bound", "recovery_bound", "recovery_relation",
    "nocover_complete", "no_cover_complete", "nocover_relation", "window_upper",
    "C_round", "C_all", "C_path", "p_escape", "cost_round_exact", "cost_round_relation", "cost_round",
    "cost_all_exact", "cost_path_exact", "cost_all_relation", "cost_path_relation", "cost_total_ring_all_edges",
    "cost_total_ring_spec", "cost_spec_relation", "ideal_round_cost", "ideal_round_cost_expansion", "c_m1", "c_0",
    "cost_expansion_relation", "s_K", "s_M", "s_eps", "K_1", "K_2", "M_1", "M_2", "eps_1", "eps_2",
    "two_point_slope", "slope_K_relation", "slope_M_relation", "slope_eps_relation",
    "R_edges", "C_edge", "R_clusters", "R_ring_all", "R_ring_path", "p_exit", "exit_uniform_relation",
    "rounds_edges_relation", "cluster_cover_time", "rounds_clusters_relation", "rounds_ring_relation",
    "coupon_collector", "rounds_uniform_spec", "rounds_coupon_relation", "rounds_uniform_order",
    "cluster_cover_time_derived",
    "E_PRM", "h_meta_PRM", "a_PRM", "pole_PRM", "prm_limit_relation", "prm_limit_display", "prm_exact_rhs",
    "prm_exact_relation", "h_meta_prm_canonical", "hitting_prm_canonical_leading", "gain", "gain_exact_relation",
    "gain_limit", "rho_lead", "gain_limit_relation", "prm_ring_hitting_time",
    "P_succ", "P_succ_all", "a_walkers", "c_rounds", "walkers_and_rounds", "merge_round", "empty_round",
    "not_reached", "round_failure", "success_lower", "success_lower_all", "success_upper",
    "success_whp_relation", "success_lower_relation", "success_sandwich_relation",
    "K", "M", "N", "T0", "q", "eps", "eps_max", "lam", "E_tau", "h_meta", "sp",
]
