"""Claims of specs 01 and 08 (paper Sec. 2, App. B–C): metastable hitting times.

hitting.leading-order, hitting.canonical, hitting.escape-law, hitting.meta-chain, hitting.task-difficulty
(spec 01 H1–H5) and hitting.exact-canonical, hitting.moments, hitting.committor, hitting.spectrum,
hitting.general-scaling (+ the refuted hitting.general-scaling-band) (spec 08 F1–F5). Statements live in
:mod:`metacot.theory.hitting`; every measure function computes with the library (solvers/) and returns
the statement's measured symbols, never a prediction or a verdict.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from metacot.numerics.families import family_chain
from metacot.numerics.numbers import Estimate, to_mpf
from metacot.numerics.solvers.certified import certified_hitting_times
from metacot.numerics.solvers.committor import committor_laurent
from metacot.numerics.solvers.hitting import hitting_laurent, hitting_time
from metacot.numerics.solvers.meta_chain import (cluster_stationary_laws, ctmc_hitting_times, escape_rates,
                                                 jump_absorption_probabilities, meta_characteristic_polynomial,
                                                 meta_hitting_moments, meta_hitting_times, meta_rates,
                                                 min_sparse_crossings, sparse_weights)
from metacot.numerics.solvers.moments import hitting_moments_laurent
from metacot.numerics.solvers.monte_carlo import dkw_halfwidth, empirical_survival, simulate_hitting_times
from metacot.numerics.solvers.spectrum import (characteristic_polynomial, eigenvalues_near_one, meta_eigenvalues,
                                               quasi_stationary_exit)
from metacot.numerics.solvers.transient import meta_law_error, survival_probability
from metacot.numerics.verify.conjectures import claim
from metacot.numerics.verify.evidence import Inconclusive
from metacot.numerics.verify.registry import Z_CONFIDENCE
from metacot.theory import hitting as th
from metacot.theory import symbols as S

PAPER = "Sec. 2, App. B–C"
PAPER_08 = "Sec. 2, App. C (spec 08)"


def _chain(params: dict):
    """The chain of an instance: its family keys only (other parameters are the part's own)."""
    keys = ("family", "K", "M", "q", "seed", "sizes", "extra", "ds", "degree", "w_min", "w_max", "levels",
            "forward", "back")
    p = {k: params[k] for k in keys if k in params}
    if "q" in p and not isinstance(p["q"], str):
        p["q"] = str(p["q"])
    return family_chain(p)


def _outside(chain, k: int) -> list[int]:
    return [x for x in range(chain.n) if int(chain.cluster_of[x]) != k]


def _law(chain, k: int) -> dict:
    """π_k as {state: weight} (exact)."""
    return dict(zip(chain.clusters[k], cluster_stationary_laws(chain)[k]))


# =============================================================================== H1 hitting.leading-order
leading_order = claim(
    id="hitting.leading-order", paper=PAPER, statement=th.leading_order,
    description="For x in C_k, y in C_l (k != l): E_x[tau_y](eps) is an exact rational function of eps with a "
                "simple pole at 0 whose eps^-1 Laurent coefficient equals the meta-chain hitting time "
                "h_meta(k -> l), for every such x and y (the limit lim eps*E_x[tau_y] = h_meta, stated through "
                "what is measured).")


def _h1_instances(quick):
    specs = [(0, [2, 3]), (1, [3, 2, 2]), (2, [2, 3, 2, 3]), (3, [4, 3, 4]), (4, [1, 3, 2]), (5, [3, 3, 3, 1])]
    if not quick:
        specs += [(s, [2 + (s % 3), 1 + (s % 4), 3, 2 + (s % 2)]) for s in range(6, 24)]
    return [{"family": "random", "seed": s, "sizes": z, "extra": 2 + s % 3, "ds": bool(s % 2)} for s, z in specs]


@leading_order.part("exact", instances=_h1_instances(False), quick=_h1_instances(True), rung="exact")
def leading_order_exact(**params):
    """Every pair (x outside C_l, y in C_l), l the target's cluster: pole order and ε^{-1} coefficient of the
    exact rational function E_x[τ_y](ε) (state reduction over QQ(ε)), against h^meta(k → l)."""
    chain = family_chain(params)
    lab = chain.cluster_of
    h = meta_hitting_times(chain)
    l = int(lab[chain.target])
    cases = []
    for y in chain.clusters[l]:
        f = hitting_laurent(chain, y)
        for x in range(chain.n):
            k = int(lab[x])
            if k == l:
                continue
            if f[x] is None:
                raise Inconclusive(f"E_{x}[tau_{y}] is infinite for small eps (target not reached a.s.)")
            co = f[x].laurent(-1)
            cases.append({th.pole_order: f[x].pole_order(), th.a_m1: co.get(-1, Fraction(0)),
                          th.h_meta: h[k][l], "note": f"x = {x}, y = {y}"})
    return cases


# =============================================================================== H2 hitting.canonical
canonical = claim(
    id="hitting.canonical", paper=PAPER, statement=th.canonical,
    description="ring(K, M, q) and uniform-escape(K, M, q): E[tau](eps) has a simple pole at eps = 0 with "
                "eps^-1 coefficient (K-1)M/q (lim eps*E[tau] = (K-1)M/q), so E[tau] = Theta(KM/eps) with that "
                "constant: proved for symbolic K, M, q by lumping, exact Laurent coefficients on a grid, and the "
                "log-log secant slopes of exact E[tau] in eps (-1), in K (that of K - 1) and in M (1).")

_SLOPE_TOL = Fraction(1, 10**20)
_SLOPE_WHY = ("E[tau] = A/eps + B exactly (hitting.exact-canonical: A = (K-1)M/q, B = K - M - 1), so the secant "
              "slope of E differs from that of A/eps by at most 2*eps*|B|/A/ln 2 <= 3e-28 for eps <= 1e-30 and "
              "|B|/A <= 100 (every instance here); E is an exact rational and the logs are evaluated in 256-bit "
              "ball arithmetic (rounding < 1e-70); 1e-20 absolute leaves room, and a statement changed by "
              "1e-6 fails")


@canonical.part("proved", instances=[{"family": "ring"}, {"family": "uniform-escape"}], rung="proved",
                statement=th.canonical_limit)
def canonical_proved(family):
    """a_{-1} = lim_{ε→0} ε·E[τ] for symbolic K, M ≥ 2, q: E[τ](ε) from the lumped blocks
    (theory.hitting.ring_hitting_time_lumped / uniform_escape_hitting_time_lumped), limit by sympy; a finite
    nonzero limit is a simple pole with that ε⁻¹ coefficient."""
    E = th.ring_hitting_time_lumped() if family == "ring" else th.uniform_escape_hitting_time_lumped()
    return {th.a_m1: th.limit_coefficient(E)}


def _h2_grid(quick):
    g = [(2, 1, "1"), (3, 2, "1"), (4, 3, "1/2")] if quick else \
        [(K, M, q) for K in (2, 3, 5) for M in (1, 2, 4) for q in ("1", "1/2")]
    return [{"family": f, "K": K, "M": M, "q": q} for f in ("ring", "uniform-escape") for K, M, q in g]


@canonical.part("exact", instances=_h2_grid(False), quick=_h2_grid(True))
def canonical_exact(family, K, M, q):
    """Pole order and ε⁻¹ Laurent coefficient of the exact rational function E[τ](ε) (state reduction over
    QQ(ε)); the ε⁰ coefficient (first finite-ε correction) in the note."""
    chain = _chain(locals())
    f = hitting_laurent(chain, chain.target)[chain.start]
    co = f.laurent(0)
    return {th.pole_order: f.pole_order(), th.a_m1: co.get(-1, Fraction(0)),
            "note": f"eps^0 coefficient {co.get(0, Fraction(0))}"}


def _E(chain, eps):
    return hitting_time(chain, chain.start, chain.target, eps, "exact")


@canonical.part("eps-slope", statement=th.canonical_slope_eps, tolerance=_SLOPE_TOL, relative=False,
                justification=_SLOPE_WHY,
                instances=[{"family": f, "K": K, "M": M, "q": q, "eps_1": "1e-30", "eps_2": "1e-31"}
                           for f in ("ring", "uniform-escape") for K, M, q in ((4, 3, "1"), (5, 4, "1/2"), (12, 6, "2"))],
                quick=[{"family": "ring", "K": 4, "M": 3, "q": "1", "eps_1": "1e-30", "eps_2": "1e-31"}])
def canonical_eps_slope(family, K, M, q, eps_1, eps_2):
    """Exact E[τ] at ε_1 and ε_2: the log–log secant slope in ε."""
    chain = _chain(locals())
    return {th.E_1: _E(chain, eps_1), th.E_2: _E(chain, eps_2), th.eps_1: eps_1, th.eps_2: eps_2}


@canonical.part("K-slope", statement=th.canonical_slope_K, tolerance=_SLOPE_TOL, relative=False,
                justification=_SLOPE_WHY,
                instances=[{"family": f, "K": K, "M": M, "q": "1", "eps": "1e-30"}
                           for f, K, M in (("ring", 16, 3), ("ring", 48, 3), ("ring", 64, 2), ("uniform-escape", 16, 2),
                                           ("uniform-escape", 24, 3))],
                quick=[{"family": "ring", "K": 16, "M": 3, "q": "1", "eps": "1e-30"}])
def canonical_k_slope(family, K, M, q, eps):
    """Exact E[τ] of the family at K and at 2K (same M, q, ε): the log–log secant slope in K."""
    c1 = _chain({"family": family, "K": K, "M": M, "q": q})
    c2 = _chain({"family": family, "K": 2 * K, "M": M, "q": q})
    return {th.E_1: _E(c1, eps), th.E_2: _E(c2, eps)}


@canonical.part("M-slope", statement=th.canonical_slope_M, tolerance=_SLOPE_TOL, relative=False,
                justification=_SLOPE_WHY,
                instances=[{"family": f, "K": K, "M": M, "q": "1", "eps": "1e-30"}
                           for f, K, M in (("ring", 3, 8), ("ring", 3, 24), ("uniform-escape", 4, 8), ("ring", 8, 16))],
                quick=[{"family": "ring", "K": 3, "M": 8, "q": "1", "eps": "1e-30"}])
def canonical_m_slope(family, K, M, q, eps):
    """Exact E[τ] of the family at M and at 2M (same K, q, ε): the log–log secant slope in M."""
    c1 = _chain({"family": family, "K": K, "M": M, "q": q})
    c2 = _chain({"family": family, "K": K, "M": 2 * M, "q": q})
    return {th.E_1: _E(c1, eps), th.E_2: _E(c2, eps)}


# =============================================================================== H3 hitting.escape-law
escape_law = claim(
    id="hitting.escape-law", paper=PAPER, statement=th.escape_mean,
    description="The exit time sigma_k of cluster k started from pi_k: E_pi[sigma_k](eps) has a simple pole with "
                "eps^-1 coefficient 1/lambda_k (eps*E[sigma_k] -> 1/lambda_k), and eps*lambda_k*sigma_k => Exp(1): "
                "the Monte Carlo survival function stays in the 99.9% Dvoretzky-Kiefer-Wolfowitz band around "
                "e^-s, and the exact survival pi_k Q^T 1 at eps*lambda_k*T = s differs from e^-s by O(eps) "
                "(certified enclosures, log-log slope 1).")

_KS_CONFIDENCE = "99.9%"
_KS_ALPHA = 1e-3            # the simultaneous level of the band (two-sided 99.9%)
_KS_POINTS = [Fraction(j, 8) for j in range(1, 33)]      # s = 1/8 … 4
_H3_MC_EPS = ["1/300", "1/300", "1/30", "1/60", "1/300"]  # ε·λ_k ≤ 1/480 on the instances of _h3_instances


@escape_law.part("proved", instances=[{"family": "canonical"}], rung="proved", statement=th.escape_mean_limit)
def escape_law_proved(family):
    """Complete blocks (ring, uniform-escape), symbolic M, q: E_π[σ] from the lumped block
    (theory.hitting.canonical_exit_time_from_stationary), its limit ε·E → a_{-1}, and λ = π(source)·q from
    the lumped stationary law (theory.model.canonical_escape_rate)."""
    return {th.a_m1: th.limit_coefficient(th.canonical_exit_time_from_stationary()),
            S.lam: th.canonical_escape_rate()}


def _h3_instances(quick):
    out = [{"family": "ring", "K": 3, "M": 3, "q": "1", "cluster": 0},
           {"family": "random", "seed": 7, "sizes": [3, 4, 2], "extra": 2, "cluster": 1}]
    if not quick:
        out += [{"family": "random", "seed": 11, "sizes": [4, 3, 3], "extra": 3, "ds": True, "cluster": 0},
                {"family": "uniform-escape", "K": 4, "M": 4, "q": "1/2", "cluster": 2},
                {"family": "random", "seed": 5, "sizes": [2, 5, 3], "extra": 2, "cluster": 1}]
    return out


@escape_law.part("exact", instances=_h3_instances(False), quick=_h3_instances(True))
def escape_law_exact(cluster, **params):
    """Pole order and ε⁻¹ coefficient of E_{π_k}[σ_k](ε), the exact rational function of the mean exit time
    (moments.hitting_moments_laurent from the law π_k, target = every state outside C_k), and λ_k."""
    chain = _chain(params)
    f = hitting_moments_laurent(chain, _outside(chain, cluster), initial=_law(chain, cluster)).mean
    co = f.laurent(0)
    return {th.pole_order: f.pole_order(), th.a_m1: co.get(-1, Fraction(0)), S.lam: escape_rates(chain)[cluster],
            "note": f"E_pi[sigma_k] = ({co.get(-1)})/eps + ({co.get(0, 0)}) + O(eps)"}


@escape_law.part(
    "law", statement=th.escape_law_band, rung="statistical", confidence=_KS_CONFIDENCE,
    mutation=lambda st: th.escape_law_alternative,
    justification="Kolmogorov-Smirnov test as a relation: n walkers from pi_k, S_hat(s) = fraction with "
                  "eps*lambda_k*sigma_k > s at s = 1/8, 2/8, ..., 4; each S_hat carries the half-width "
                  "c = sqrt(ln(2/alpha)/(2n)) of the Dvoretzky-Kiefer-Wolfowitz band (Massart constant, valid for "
                  "every n and for lattice laws) as z*se, so the relation holds iff e^-s lies in the simultaneous "
                  "band: level alpha = 1e-3 (99.9%) for the law at eps. That law differs from Exp(1) by O(eps): eps is "
                  "chosen per instance so that eps*lambda_k <= 1/480, where the exact survival at the checkpoints "
                  "(transient.survival_probability) is within 1.6e-3 of e^-s, against c = 0.0195 (n = 10^4). Power against the named alternative 'eps*lambda*"
                  "sigma ~ Exp with mean 1.1' (the declared mutation): at s = 1 the two survival functions differ "
                  "by 0.035 and the sampling sd of S_hat is 0.0048, so the band excludes the alternative with "
                  "probability >= 99.9% at that point alone.",
    instances=[dict(p, eps=e, walkers=10000) for p, e in zip(_h3_instances(False), _H3_MC_EPS)],
    quick=[dict(p, eps=e, walkers=10000) for p, e in zip(_h3_instances(True), _H3_MC_EPS)])
def escape_law_mc(rng_seed, cluster, eps, walkers, **params):
    """Seeded Monte Carlo exit times of C_k from π_k (monte_carlo.simulate_hitting_times) and the empirical
    survival of ε·λ_k·σ_k at the band points."""
    chain = _chain(params)
    law = _law(chain, cluster)
    lam = escape_rates(chain)[cluster]
    rng = np.random.default_rng(np.random.SeedSequence([rng_seed, 1]))
    states = np.asarray(list(law), dtype=np.int64)
    starts = states[rng.choice(states.size, size=walkers, p=np.asarray([float(w) for w in law.values()]))]
    sigma = simulate_hitting_times(chain, eps, starts, _outside(chain, cluster), walkers,
                                   np.random.SeedSequence([rng_seed, 2]))
    half = dkw_halfwidth(walkers, _KS_ALPHA)
    z = Z_CONFIDENCE[_KS_CONFIDENCE]
    surv = empirical_survival(sigma, [s / (eps * lam) for s in _KS_POINTS])
    return [{th.s: s, th.S_hat: Estimate(v, half / z, walkers)} for s, v in zip(_KS_POINTS, surv)]


_SURV_T = [10**11, 10**12]


@escape_law.part(
    "survival", statement=th.escape_survival_rate, rung="certified", tolerance=Fraction(1, 10**8), relative=False,
    justification="S_i = pi_k Q^T_i 1 enclosed by certified matrix powers (transient.survival_probability, "
                  "relative width <= 1e-20), at eps_i = s/(lambda_k T_i), T_i = 1e11, 1e12, so eps_i*lambda_k*T_i = s "
                  "exactly. With s fixed, S - e^-s is analytic in eps (Perron mode of Q; the other modes are "
                  "(1 - gap)^T ~ 0): S - e^-s = c1*eps + c2*eps^2 + ..., so the secant slope of log|S - e^-s| is "
                  "1 + O(|c2/c1|*eps) < 1e-9 for eps <= 1e-10 and |c2/c1| <= 10; the tolerance 1e-8 covers that, "
                  "and a statement changed by 1e-6 fails",
    instances=[dict(p, s=["1/2", "1", "2"], T=_SURV_T) for p in _h3_instances(False)],
    quick=[dict(p, s=["1/2", "1", "2"], T=_SURV_T) for p in _h3_instances(True)])
def escape_law_survival(cluster, s, T, **params):
    """Certified P_{π_k}(σ_k > T_i) at ε_i = s/(λ_k T_i), for each s."""
    chain = _chain(params)
    law = _law(chain, cluster)
    lam = escape_rates(chain)[cluster]
    out = []
    for sv in (Fraction(x) for x in s):
        e1, e2 = (sv / (lam * Ti) for Ti in T)
        S1, S2 = (survival_probability(chain, chain.clusters[cluster], law, e, Ti) for e, Ti in zip((e1, e2), T))
        out.append({th.s: sv, th.S_1: S1, th.S_2: S2, th.eps_1: e1, th.eps_2: e2})
    return out


# =============================================================================== H4 hitting.meta-chain
meta_chain = claim(
    id="hitting.meta-chain", paper=PAPER, statement=th.meta_chain_rate,
    description="The law of the cluster label at time floor(t/eps) approaches the meta-chain law e^{tL}(k, .) with an "
                "error max_l |P(label = l) - e^{tL}(k, l)| = O(eps): certified enclosures of both laws (ball "
                "arithmetic matrix powers and exponential) at two tiny eps, log-log slope of the error 1.")


def _h4_instances(quick):
    out = [{"family": "ring", "K": 3, "M": 2, "q": "1", "start": 0, "t": "1"},
           {"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2, "start": 0, "t": "1/2"}]
    if not quick:
        out += [{"family": "random", "seed": 9, "sizes": [2, 3, 2, 2], "extra": 3, "start": 4, "t": "2"},
                {"family": "uniform-escape", "K": 4, "M": 3, "q": "1/2", "start": 1, "t": "3/2"},
                {"family": "random", "seed": 21, "sizes": [4, 4, 3], "extra": 2, "ds": True, "start": 5, "t": "1"}]
    return [dict(p, eps_1="1e-11", eps_2="1e-12") for p in out]


@meta_chain.part(
    "certified", rung="certified", tolerance=Fraction(1, 10**8), relative=False,
    justification="delta_i = max_l |P_x(label(X_T) = l) - e^{tL}(k, l)|, T = t/eps_i (an integer here), enclosed by "
                  "transient.meta_law_error (certified, relative width <= 1e-20). The error is analytic in eps: "
                  "delta = c1*eps + c2*eps^2 + ... (the within-cluster transient is (1 - gap)^T ~ 0 at T >= 1e11), so "
                  "the secant slope between eps = 1e-11 and 1e-12 is 1 + O(|c2/c1|*eps) < 1e-9 for |c2/c1| <= 100; "
                  "tolerance 1e-8, so a statement changed by 1e-6 fails",
    instances=_h4_instances(False), quick=_h4_instances(True))
def meta_chain_certified(start, t, eps_1, eps_2, **params):
    """Certified meta-law errors at ε_1 and ε_2."""
    chain = _chain(params)
    return {th.err_1: meta_law_error(chain, start, t, eps_1), th.err_2: meta_law_error(chain, start, t, eps_2),
            th.eps_1: eps_1, th.eps_2: eps_2}


# =============================================================================== H5 hitting.task-difficulty
task_difficulty = claim(
    id="hitting.task-difficulty", paper=PAPER, statement=th.task_difficulty,
    description="If every path start -> target crosses at least D sparse edges then E[tau](eps) has a simple pole "
                "with eps^-1 coefficient >= D / max_k lambda_k (lim eps*E[tau] >= D * min_k 1/lambda_k); for ring "
                "D = K - 1 and equality (K-1)M/q (proved for symbolic K, M, q, exact on instances).")


@task_difficulty.part("proved-ring", instances=[{"family": "ring"}], rung="proved", statement=th.task_difficulty_ring)
def task_difficulty_proved(family):
    """ring(K, M, q), symbolic: a_{-1} = lim ε·E[τ] of the lumped E[τ], D and λ_max from the ring's
    structure and the lumped stationary law (theory.hitting.ring_task_difficulty)."""
    D, lam = th.ring_task_difficulty()
    return {th.a_m1: th.limit_coefficient(th.ring_hitting_time_lumped()), S.D: D, th.lam_max: lam}


def _h5_measure(chain):
    f = hitting_laurent(chain, chain.target)[chain.start]
    if f is None:
        raise Inconclusive("the target is not reached almost surely for small eps")
    lam = [v for v in escape_rates(chain) if v > 0]
    D = min_sparse_crossings(chain, chain.start, chain.target)
    return {th.pole_order: f.pole_order(), th.a_m1: f.laurent(-1).get(-1, Fraction(0)), S.D: D,
            th.lam_max: max(lam), "note": f"D = {D}, lambda_max = {max(lam)}"}


def _h5_instances(quick):
    out = [{"family": "ring", "K": K, "M": M, "q": q} for K, M, q in ([3, 2, "1"], [5, 3, "1/2"])]
    out += [{"family": "random", "seed": s, "sizes": z, "extra": 1 + s % 3, "ds": bool(s % 2)}
            for s, z in ((0, [2, 3, 2]), (1, [3, 1, 2, 2]), (2, [2, 2, 2, 2, 2]))]
    if not quick:
        out += [{"family": "ring", "K": K, "M": M, "q": q} for K, M, q in ([8, 2, "1"], [4, 4, "3/4"])]
        out += [{"family": "uniform-escape", "K": 4, "M": 2, "q": "1"}]
        out += [{"family": "random", "seed": s, "sizes": [2 + s % 3, 2, 1 + s % 2, 3], "extra": s % 4}
                for s in range(3, 15)]
    return out


@task_difficulty.part("exact", instances=_h5_instances(False), quick=_h5_instances(True))
def task_difficulty_exact(**params):
    """Exact pole order and ε⁻¹ coefficient of E[τ](ε), D by 0–1 BFS (meta_chain.min_sparse_crossings),
    λ_max = the largest escape rate."""
    return _h5_measure(_chain(params))


@task_difficulty.part("exact-ring", statement=th.task_difficulty_ring,
                      instances=[{"family": "ring", "K": K, "M": M, "q": q}
                                 for K, M, q in ([3, 2, "1"], [5, 3, "1/2"], [8, 2, "1"], [4, 4, "3/4"])],
                      quick=[{"family": "ring", "K": 5, "M": 3, "q": "1/2"}])
def task_difficulty_exact_ring(**params):
    """ring: the bound is attained (exact rational equality)."""
    return _h5_measure(_chain(params))


# =============================================================================== F1 hitting.exact-canonical
exact_canonical = claim(
    id="hitting.exact-canonical", paper="Sec. 2, App. C (E[tau] = Theta(KM/eps) with its constant)",
    statement=th.exact_canonical,
    description="ring(K, M, q) and uniform-escape(K, M, q), from the source of C_1 to the entry state of C_K: "
                "E[tau] = (K-1)M/(q eps) + (K - M - 1) exactly for every 0 < eps <= 1/q (M >= 2); "
                "(K-1)/(q eps) for M = 1 (spec 08 F1).")


@exact_canonical.part("proved-ring", instances=[{"family": "ring"}], rung="proved")
def exact_canonical_proved_ring(family):
    """E[τ] of ring(K, M, q) for symbolic K, M ≥ 2, q, ε: the lumped two-state system of each block solved
    by sympy (metacot.theory.hitting.ring_hitting_time_lumped), never the closed form itself."""
    return {th.E_tau: th.ring_hitting_time_lumped()}


def _f1_grid(quick):
    grid_ = [(2, 2, "1"), (3, 2, "1"), (4, 3, "1/2"), (5, 4, "3")] if quick else \
        [(K, M, q) for K in (2, 3, 5, 8) for M in (2, 3, 5) for q in ("1", "1/2", "3")]
    eps = ["1/3", "1/1000", "1e-30"]
    return [{"family": fam, "K": K, "M": M, "q": q, "eps": e}
            for fam in ("ring", "uniform-escape") for K, M, q in grid_ for e in eps]


@exact_canonical.part("exact", instances=_f1_grid(False), quick=_f1_grid(True), rung="exact")
def exact_canonical_exact(family, K, M, q, eps):
    """Exact E[τ] (rational state reduction) of the family chain at rational ε ≤ 1/q."""
    chain = family_chain({"family": family, "K": K, "M": M, "q": str(q)})
    eps = min(eps, chain.eps_max)
    return {th.E_tau: hitting_time(chain, chain.start, chain.target, eps, "exact")}


@exact_canonical.part("exact-M1", statement=th.exact_canonical_m1, rung="exact",
                      instances=[{"family": f, "K": K, "M": 1, "q": q, "eps": e} for f in ("ring", "uniform-escape")
                                 for K, q in ((2, "1"), (4, "1/2"), (7, "2")) for e in ("1/5", "1e-20")],
                      quick=[{"family": "ring", "K": 4, "M": 1, "q": "1/2", "eps": "1e-20"}])
def exact_canonical_m1(family, K, M, q, eps):
    """M = 1: every cluster is its own source, so each costs 1/(εq): E[τ] = (K−1)/(qε) (exact)."""
    chain = family_chain({"family": family, "K": K, "M": M, "q": str(q)})
    return {th.E_tau: hitting_time(chain, chain.start, chain.target, min(eps, chain.eps_max), "exact")}


@exact_canonical.part("proved-uniform-escape", instances=[{"family": "uniform-escape"}], rung="proved")
def exact_canonical_proved_uniform(family):
    """E[τ] of uniform-escape(K, M, q), symbolic K, M ≥ 2, q, ε: the non-target clusters lumped to
    {source, non-source} (the number of clusters visited is geometric with success 1/(K−1)), the 2×2
    system solved by sympy (theory.hitting.uniform_escape_hitting_time_lumped)."""
    return {th.E_tau: th.uniform_escape_hitting_time_lumped()}


def _f1_certified(quick):
    sizes = [("ring", 16, 3, "1"), ("uniform-escape", 8, 4, "1/2")] if quick else \
        [("ring", 16, 3, "1"), ("ring", 64, 8, "1"), ("ring", 32, 16, "1/2"), ("uniform-escape", 8, 4, "1/2"),
         ("uniform-escape", 32, 4, "1"), ("uniform-escape", 16, 8, "3")]
    eps = ["1e-2", "1e-300"] if quick else ["1e-2", "1e-50", "1e-150", "1e-300"]
    return [{"family": f, "K": K, "M": M, "q": q, "eps": e} for f, K, M, q in sizes for e in eps]


@exact_canonical.part(
    "certified", rung="certified", tolerance=Fraction(1, 10**18), relative=True,
    justification="E[tau] enclosed by certified_hitting_times (subtraction-free state reduction in ball arithmetic; "
                  "the automatic precision loop guarantees relative width <= 1e-20, measured ~1e-34): the relation "
                  "holds when the whole enclosure lies within relative 1e-18 of the closed form, so it shows "
                  "|E[tau] - rhs| <= 1e-18*rhs rigorously at n up to 512 states and eps down to 1e-300; a statement "
                  "changed by 1e-6 fails",
    instances=_f1_certified(False), quick=_f1_certified(True))
def exact_canonical_certified(family, K, M, q, eps):
    """Certified enclosure of E[τ] for larger family chains at ε from 1e-2 to 1e-300."""
    chain = _chain(locals())
    return {th.E_tau: certified_hitting_times(chain, chain.target, eps)[chain.start]}


# =============================================================================== F2 hitting.moments
moments = claim(
    id="hitting.moments", paper=PAPER_08, statement=th.moments,
    description="Second moments: Var(tau)(eps) has a pole of order 2 whose eps^-2 coefficient is the variance of the "
                "meta-chain hitting time (L m2 = -2h off the target), and that of E[tau^2] is E[(T^meta)^2] "
                "(eps^2*Var(tau) -> Var(T^meta)); ring: (K-1)M^2/q^2 (proved by lumping), uniform-escape: "
                "((K-1)M/q)^2, the law of an exponential.")


@moments.part("proved-ring", instances=[{"family": "ring"}], rung="proved", statement=th.moments_ring)
def moments_proved_ring(family):
    """ring(K, M, q), symbolic: Var(τ) = Var_a + (K − 2)·Var_b from the lumped block moments
    (theory.hitting.ring_hitting_variance_lumped), v_{-2} = lim ε²·Var(τ) by sympy."""
    return {th.v_m2: th.limit_coefficient(th.ring_hitting_variance_lumped(), 2)}


@moments.part("proved-meta", instances=[{"family": "ring"}, {"family": "uniform-escape"}], rung="proved",
              statement=th.moments_limit)
def moments_proved_meta(family):
    """Both canonical families, symbolic: v_{-2} from the lumped chain and Var(T^meta) from the lumped meta
    chain (ring: K − 1 independent Exp(λ) holding times; uniform-escape: Exp(λ/(K−1)))."""
    if family == "ring":
        v, meta = th.ring_hitting_variance_lumped(), th.ring_meta_hitting_moments()
    else:
        v, meta = th.uniform_escape_hitting_variance_lumped(), th.uniform_escape_meta_hitting_moments()
    return {th.v_m2: th.limit_coefficient(v, 2), th.var_meta: meta[1]}


def _f2_instances(quick):
    out = [{"family": "ring", "K": 3, "M": 2, "q": "1"},
           {"family": "uniform-escape", "K": 3, "M": 2, "q": "1/2"},
           {"family": "random", "seed": 0, "sizes": [2, 3], "extra": 2},
           {"family": "random", "seed": 4, "sizes": [3, 2, 2], "extra": 2, "ds": True}]
    if not quick:
        out += [{"family": "ring", "K": 5, "M": 3, "q": "1/2"}, {"family": "uniform-escape", "K": 4, "M": 3, "q": "2"},
                {"family": "ring", "K": 4, "M": 1, "q": "1"}]
        out += [{"family": "random", "seed": s, "sizes": [2 + s % 2, 1 + s % 3, 2, 3][: 2 + s % 3], "extra": s % 3,
                 "ds": bool(s % 2)} for s in range(5, 17)]
    return out


def _f2_measure(chain):
    lab = chain.cluster_of
    l = int(lab[chain.target])
    L = hitting_moments_laurent(chain, chain.target)
    meta = meta_hitting_moments(chain, l)
    out = []
    for x in range(chain.n):
        k = int(lab[x])
        if k == l:
            continue
        var, m2 = L.variance[x], L.second_moment[x]
        if var is None:
            raise Inconclusive(f"the target is not reached almost surely from state {x} for small eps")
        out.append({th.var_pole: var.pole_order(), th.v_m2: var.laurent(-2).get(-2, Fraction(0)),
                    th.s_m2: m2.laurent(-2).get(-2, Fraction(0)), th.var_meta: meta.variance[k],
                    th.m2_meta: meta.second_moment[k], "note": f"x = {x}"})
    return out


@moments.part("exact", instances=_f2_instances(False), quick=_f2_instances(True))
def moments_exact(**params):
    """Every start x outside the target's cluster: Var(τ)(ε) and E[τ²](ε) as exact rational functions
    (second moments by the same state reduction, cost 2h − 1: moments.hitting_moments_laurent), their
    pole orders and ε⁻² coefficients, against the meta chain's moments (meta_chain.meta_hitting_moments)."""
    return _f2_measure(_chain(params))


@moments.part("exact-ring", statement=th.moments_ring,
              instances=[{"family": "ring", "K": K, "M": M, "q": q} for K, M, q in ((3, 2, "1"), (5, 3, "1/2"), (4, 1, "2"))],
              quick=[{"family": "ring", "K": 5, "M": 3, "q": "1/2"}])
def moments_exact_ring(**params):
    """ring from its start: the exact ε⁻² coefficient of Var(τ)(ε)."""
    chain = _chain(params)
    var = hitting_moments_laurent(chain, chain.target, initial=chain.start).variance
    return {th.v_m2: var.laurent(-2).get(-2, Fraction(0))}


# =============================================================================== F3 hitting.committor
committor = claim(
    id="hitting.committor", paper=PAPER_08, statement=th.committor_limit,
    description="For disjoint sets of clusters A, B and every state x of a third cluster k: the committor "
                "q_x(eps) = P_x(hit C_A before C_B) is an exact rational function without pole whose eps^0 "
                "coefficient (its eps -> 0 limit) is the jump chain's absorption probability P_k(J hits A before B).")


def _f3_instances(quick):
    out = [{"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 3},
           {"family": "uniform-escape", "K": 4, "M": 2, "q": "1"},
           {"family": "random", "seed": 8, "sizes": [2, 2, 2, 2], "extra": 4, "ds": True}]
    if not quick:
        out += [{"family": "ring", "K": 4, "M": 2, "q": "1"}, {"family": "uniform-escape", "K": 5, "M": 3, "q": "1/2"}]
        out += [{"family": "random", "seed": s, "sizes": [2 + s % 2, 1 + s % 3, 2, 2][: 3 + s % 2], "extra": 2 + s % 3,
                 "ds": bool(s % 2)} for s in range(10, 22)]
    return out


@committor.part("exact", instances=_f3_instances(False), quick=_f3_instances(True))
def committor_exact(**params):
    """All pairs (A = {l}, B = {m}) and (A = {l}, B = every other cluster but one): exact committors over
    QQ(ε) (committor.committor_laurent) at every state of the remaining clusters, against
    meta_chain.jump_absorption_probabilities."""
    chain = _chain(params)
    K = chain.K
    pairs = [([l], [m]) for l in range(K) for m in range(K) if l != m]
    if K >= 4:
        pairs += [([l], [m for m in range(K) if m not in (l, (l + 1) % K)]) for l in range(K)]
    out = []
    for A, B in pairs:
        qx = committor_laurent(chain, [x for k in A for x in chain.clusters[k]], [x for k in B for x in chain.clusters[k]])
        u = jump_absorption_probabilities(chain, A, B)
        for k in range(K):
            if k in A or k in B:
                continue
            for x in chain.clusters[k]:
                out.append({th.committor_pole: qx[x].pole_order(), th.q_0: qx[x].laurent(0).get(0, Fraction(0)),
                            th.u_jump: u[k], "note": f"A = {A}, B = {B}, x = {x}"})
    return out


# =============================================================================== F4 hitting.spectrum
spectrum = claim(
    id="hitting.spectrum", paper=PAPER_08, statement=th.spectrum_charpoly,
    description="The K eigenvalues of P(eps) nearest 1 are 1 - eps*nu_j + O(eps^2), nu_j the eigenvalues of -L; "
                "restricted to a cluster C_k the quasi-stationary exit eigenvalue is 1 - eps*lambda_k + O(eps^2). "
                "Exact: in the characteristic polynomial chi(1 - eps*nu, eps) the coefficients of eps^0..eps^(K-1) "
                "vanish and that of eps^K is proportional to det(nu*I + L) (n <= 10). Numerical: 50-digit mpmath "
                "eigenvalues at eps = 1e-11, 1e-12 with |gap/eps - nu| = O(eps) (slope 1; the fitted eps^2 "
                "coefficient is reported).")


def _f4_charpoly_instances(quick):
    out = [{"family": "ring", "K": 3, "M": 2, "q": "1"},
           {"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2},
           {"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2, "block": 0}]
    if not quick:
        out += [{"family": "uniform-escape", "K": 3, "M": 3, "q": "1/2"}, {"family": "ring", "K": 2, "M": 4, "q": "1"},
                {"family": "random", "seed": 1, "sizes": [2, 2, 2], "extra": 2},
                {"family": "random", "seed": 6, "sizes": [3, 3, 2, 2], "extra": 3, "ds": True},
                {"family": "random", "seed": 6, "sizes": [3, 3, 2, 2], "extra": 3, "ds": True, "block": 1},
                {"family": "ring", "K": 3, "M": 3, "q": "2", "block": 2}]
    return out


@spectrum.part("charpoly", instances=_f4_charpoly_instances(False), quick=_f4_charpoly_instances(True))
def spectrum_charpoly(block=None, **params):
    """Exact bivariate characteristic polynomial (spectrum.characteristic_polynomial; of P(ε) restricted to
    C_block when given, K = 1 there), its rescaled branch polynomials (theory.hitting.
    rescaled_branch_polynomials) and det(νI + L) (meta_chain.meta_characteristic_polynomial)."""
    chain = _chain(params)
    if block is None:
        chi, K, meta = characteristic_polynomial(chain), chain.K, meta_characteristic_polynomial(chain)
    else:
        chi = characteristic_polynomial(chain, states=chain.clusters[block])
        K, meta = 1, meta_characteristic_polynomial(chain, [block])
    lam, e = chi.gens
    low, monic = th.rescaled_branch_polynomials(chi, lam, e, K)
    nonzero = sum(1 for c in low if c != 0)
    monic = [Fraction(int(c.p), int(c.q)) for c in monic]
    size = max(len(monic), len(meta))
    monic += [Fraction(0)] * (size - len(monic))
    meta = list(meta) + [Fraction(0)] * (size - len(meta))
    return [{th.n_low: nonzero, th.c_i: c, th.m_i: m, "note": f"coefficient of nu^{i}"}
            for i, (c, m) in enumerate(zip(monic, meta))]


_F4_EPS = {"eps_1": "1e-11", "eps_2": "1e-12"}
_F4_WHY = ("gap_j = eps*nu_j + c_j*eps^2 + O(eps^3) for a simple nu_j (analytic branch), so |gap/eps - nu| = |c_j|*eps "
           "+ O(eps^2) and its secant slope between eps = 1e-11 and 1e-12 is 1 + O(eps*|d_j/c_j|) < 1e-9 for "
           "|d_j/c_j| <= 100. Eigenvalues by mpmath at 50 + 12 + 10 digits (two runs, estimated error < 1e-60 "
           "absolute, against a remainder eps^2*|c_j| ~ 1e-24), so rounding is negligible; tolerance 1e-8 absolute, "
           "a statement changed by 1e-6 fails. The eigenvalue nu = 0 (the stationary eigenvalue 1 of P, gap 0 "
           "exactly) is not a branch to fit and is left out.")


def _f4_mp_instances(quick):
    out = [{"family": "ring", "K": 3, "M": 2, "q": "1"}, {"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2}]
    if not quick:
        out += [{"family": "random", "seed": 1, "sizes": [2, 2, 2], "extra": 2},
                {"family": "random", "seed": 6, "sizes": [3, 3, 2, 2], "extra": 3, "ds": True},
                {"family": "uniform-escape", "K": 2, "M": 3, "q": "1"}]
    return [dict(p, **_F4_EPS) for p in out]


def _fitted_remainder(gap, eps, nu):
    """(gap − εν)/ε² (the fitted ε² coefficient, for the note)."""
    e = Fraction(eps)
    import mpmath

    em = to_mpf(e)
    return mpmath.nstr((gap - em * nu) / em ** 2, 6)


@spectrum.part("mp-remainder", statement=th.spectrum_remainder, rung="numerical", tolerance=Fraction(1, 10**8),
               relative=False, justification=_F4_WHY, instances=_f4_mp_instances(False), quick=_f4_mp_instances(True))
def spectrum_mp_remainder(eps_1, eps_2, **params):
    """mpmath eigenvalues of P(ε) nearest 1 (spectrum.eigenvalues_near_one, 50 digits) at ε_1, ε_2, each gap
    paired with the meta eigenvalue ν (spectrum.meta_eigenvalues) nearest gap/ε."""
    import mpmath

    chain = _chain(params)
    g1 = eigenvalues_near_one(chain, eps_1, chain.K, "mp", dps=50).gaps
    g2 = eigenvalues_near_one(chain, eps_2, chain.K, "mp", dps=50).gaps
    e1 = to_mpf(eps_1)
    e2 = to_mpf(eps_2)
    out = []
    for nu in meta_eigenvalues(chain, dps=50):
        if abs(nu) < mpmath.mpf(10) ** -40:
            continue
        a = min(g1, key=lambda g: abs(g / e1 - nu))
        b = min(g2, key=lambda g: abs(g / e2 - nu))
        out.append({th.g1_re: mpmath.re(a), th.g1_im: mpmath.im(a), th.g2_re: mpmath.re(b), th.g2_im: mpmath.im(b),
                    th.nu_re: mpmath.re(nu), th.nu_im: mpmath.im(nu), th.eps_1: eps_1, th.eps_2: eps_2,
                    "note": f"nu = {mpmath.nstr(nu, 12)}; fitted eps^2 coefficient {_fitted_remainder(b, eps_2, nu)}"})
    return out


@spectrum.part("qsd-remainder", statement=th.spectrum_remainder, rung="numerical", tolerance=Fraction(1, 10**8),
               relative=False, justification=_F4_WHY.replace("eigenvalue nu = 0", "complete blocks (remainder 0)"),
               instances=[dict(p, cluster=k, **_F4_EPS) for p, k in
                          (({"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2}, 0),
                           ({"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2}, 2),
                           ({"family": "random", "seed": 6, "sizes": [3, 3, 2, 2], "extra": 3, "ds": True}, 1),
                           ({"family": "random", "seed": 7, "sizes": [3, 4, 2], "extra": 2}, 1))],
               quick=[dict({"family": "random", "seed": 3, "sizes": [3, 2, 3], "extra": 2}, cluster=0, **_F4_EPS)])
def spectrum_qsd_remainder(cluster, eps_1, eps_2, **params):
    """Quasi-stationary exit rate 1 − ρ_k of P(ε)|C_k (spectrum.quasi_stationary_exit, mp, 50 digits) at
    ε_1, ε_2 against ν = λ_k (complete blocks have 1 − ρ = ελ exactly and are not used)."""
    chain = _chain(params)
    g1 = quasi_stationary_exit(chain, cluster, eps_1, "mp", dps=50).exit_rate
    g2 = quasi_stationary_exit(chain, cluster, eps_2, "mp", dps=50).exit_rate
    lam = escape_rates(chain)[cluster]
    return {th.g1_re: g1, th.g1_im: 0, th.g2_re: g2, th.g2_im: 0, th.nu_re: lam, th.nu_im: 0,
            th.eps_1: eps_1, th.eps_2: eps_2}


# =============================================================================== F5 hitting.general-scaling
general_scaling = claim(
    id="hitting.general-scaling", paper=PAPER_08 + ": Theta(KM/eps) beyond the canonical families",
    statement=th.general_scaling_M,
    description="Random clustered chains (family 'clustered': K doubly stochastic random blocks of size M, a random "
                "strongly connected meta-graph of out-degree d, weights on a grid in [w_min, w_max]): the exact "
                "leading coefficient is h_meta = M * h_tilde, h_tilde the hitting time of the CTMC with rates "
                "w(k, l) = sum of the sparse weights from C_k to C_l, whatever the blocks and the states carrying "
                "the edges (the exponent in M is exactly 1, K and M up to 64). For out-degree 1 (a random-weight "
                "ring) h_meta/((K-1)M) lies in the fixed band [1/w_max, 1/w_min] for every realisation and every K. "
                "For out-degree >= 2 no fixed band holds: see the refuted hitting.general-scaling-band.")


def _f5_m_instances(quick):
    if quick:
        return [{"family": "clustered", "seed": 0, "K": 8, "M": 4, "degree": 2},
                {"family": "clustered", "seed": 1, "K": 6, "M": 3, "degree": 3}]
    return ([{"family": "clustered", "seed": s, "K": K, "M": M, "degree": d}
             for s, K, M, d in ((0, 8, 4, 2), (1, 6, 3, 3), (2, 64, 2, 2), (3, 64, 8, 3), (4, 16, 64, 2), (5, 4, 64, 3),
                                (6, 32, 16, 1))]
            + [{"family": "clustered", "seed": 7, "K": 16, "M": M, "degree": 2} for M in (1, 2, 8, 32)])


def _f5_h(chain):
    l = int(chain.cluster_of[chain.target])
    return ctmc_hitting_times(meta_rates(chain), l, chain.exact)[int(chain.cluster_of[chain.start])]


@general_scaling.part("M-exact", instances=_f5_m_instances(False), quick=_f5_m_instances(True))
def general_scaling_m_exact(**params):
    """h^meta(C_0 → C_{K−1}) from the meta rates (π_k by exact GTH of each block) and h̃ from the sparse
    weights (meta_chain.sparse_weights), both by exact CTMC state reduction."""
    chain = _chain(params)
    l = int(chain.cluster_of[chain.target])
    ht = ctmc_hitting_times(sparse_weights(chain), l, True)[0]
    return {S.h_meta: _f5_h(chain), th.h_tilde: ht}


@general_scaling.part(
    "M-float", rung="numerical", tolerance=1e-12, relative=True,
    justification="float64 chain (Chain.to_float: the exact entries rounded once), pi_k by float GTH and both CTMC "
                  "hitting times by subtraction-free reduction: each has relative error <= ~(n_k + K)*2.2e-16 "
                  "~ 3e-14 at blocks of 64 and K = 64; 1e-12 covers the sum of both",
    instances=[{"family": "clustered", "seed": 8, "K": 64, "M": 64, "degree": 2}],
    quick=[{"family": "clustered", "seed": 8, "K": 8, "M": 16, "degree": 2}])
def general_scaling_m_float(**params):
    """As M-exact in float64 (K = M = 64: 4096 states, beyond the exact GTH budget)."""
    chain = _chain(params).to_float()
    l = int(chain.cluster_of[chain.target])
    ht = ctmc_hitting_times(sparse_weights(chain), l, False)[0]
    return {S.h_meta: float(_f5_h(chain)), th.h_tilde: float(ht)}


def _f5_ring_instances(quick):
    out = [{"family": "clustered", "seed": 0, "K": 16, "M": 3, "degree": 1, "w_min": "1/4", "w_max": "1/4"},
           {"family": "clustered", "seed": 1, "K": 16, "M": 3, "degree": 1, "w_min": "1", "w_max": "1"},
           {"family": "clustered", "seed": 2, "K": 32, "M": 2, "degree": 1, "w_min": "1/4", "w_max": "1"}]
    if not quick:
        out += [{"family": "clustered", "seed": s, "K": K, "M": M, "degree": 1, "w_min": lo, "w_max": hi}
                for s, K, M, lo, hi in ((3, 64, 2, "1/4", "1"), (4, 64, 4, "1/10", "1"), (5, 8, 64, "1/2", "1"),
                                        (6, 64, 8, "1", "2"), (7, 2, 5, "1/3", "3"))]
    return out


@general_scaling.part("ring-band", statement=th.general_scaling_ring_band, instances=_f5_ring_instances(False),
                      quick=_f5_ring_instances(True))
def general_scaling_ring_band(**params):
    """Out-degree 1 (the meta-graph is the cycle): exact h^meta(C_0 → C_{K−1}); the band edges are the
    instance's weight range (equal edges give the tight instances)."""
    return {S.h_meta: _f5_h(_chain(params))}


general_scaling_band = claim(
    id="hitting.general-scaling-band", paper=PAPER_08 + ": Theta(KM/eps) beyond the canonical families",
    statement=th.general_scaling_band, expect="refuted",
    reason="a strongly connected meta-graph with weights in [w_min, w_max] can make h_meta/((K-1)M) grow "
           "exponentially in K (restart: every cluster also leads back to C_0; unit weights give 2^(K-1) - 1), "
           "and draws of random out-degree-2 and -3 meta-graphs leave the ring's band [1/w_max, 1/w_min] too",
    counterexample="restart/family=restart,K=3,M=1,w_min=1,w_max=1,d=2", corrected="hitting.general-scaling")


@general_scaling_band.part(
    "restart", mutation=lambda st: th.general_scaling_upper,
    instances=[{"family": "restart", "K": K, "M": M, "w_min": 1, "w_max": 1, "d": 2} for K, M in ((3, 1), (4, 2), (8, 2), (16, 1))],
    quick=[{"family": "restart", "K": 3, "M": 1, "w_min": 1, "w_max": 1, "d": 2}])
def general_scaling_restart(**params):
    """restart(K, M): exact h^meta(C_0 → C_{K−1}) (about 2^K: from every cluster the walk returns to C_0
    w.p. 1/2). The declared mutation is the bound that does hold for out-degree d,
    h^meta/((K−1)M) ≤ (d·w_max/w_min)^{K−1}/w_min."""
    return {S.h_meta: _f5_h(_chain(params))}


def _ensemble_note(rows):
    """Quantile band and fitted exponent of h^meta in K − 1 (OLS of log h on log(K − 1), 95% interval)."""
    by_K = {}
    for K, x in rows:
        by_K.setdefault(K, []).append(float(x))
    parts = [f"K={K}: X in [{np.quantile(v, .05):.3g}, {np.quantile(v, .95):.3g}] (5-95%), median {np.median(v):.3g}, "
             f"max {max(v):.3g}" for K, v in sorted(by_K.items())]
    Ks = np.array([K for K, _ in rows], dtype=float)
    h = np.array([float(x) * (K - 1) for K, x in rows])
    (slope, _), cov = np.polyfit(np.log(Ks - 1), np.log(h), 1, cov=True)
    return "; ".join(parts) + f"; fitted exponent of h_meta/M in K-1: {slope:.3f} +- {1.96 * np.sqrt(cov[0, 0]):.3f}"


@general_scaling_band.part(
    "ensemble", mutation=lambda st: th.general_scaling_upper,
    instances=[{"family": "clustered", "degree": d, "Ks": [4, 8, 16, 32, 64], "M": 2, "w_min": "1/4", "w_max": "1",
                "seeds": 30} for d in (2, 3)],
    quick=[{"family": "clustered", "degree": 2, "Ks": [4, 8], "M": 2, "w_min": "1/4", "w_max": "1", "seeds": 10}])
def general_scaling_ensemble(seeds, Ks, M, degree, w_min, w_max, family):
    """The fixed band on random out-degree-d chains: exact h^meta for K in Ks and seeds 0 … seeds − 1 (every
    one must satisfy the relation; the note gives, per K, the 5–95% band of X = h^meta/((K−1)M), its median
    and maximum, and the fitted exponent of h^meta/M in K − 1 with its 95% interval)."""
    out, rows = [], []
    for K in Ks:
        for seed in range(seeds):
            chain = _chain({"family": family, "seed": seed, "K": K, "M": M, "degree": degree, "w_min": w_min,
                            "w_max": w_max})
            h = _f5_h(chain)
            rows.append((K, h / ((K - 1) * M)))
            out.append({S.h_meta: h, S.K: K, th.d_out: degree, "note": f"K = {K}, seed {seed}"})
    note = _ensemble_note(rows)
    for o in out:
        o["note"] += "; " + note
    return out
