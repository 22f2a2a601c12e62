"""Claims ppo.* (spec 03, paper Sec. 3 Alg. 3, App. D; spec 08 F9): PPO-Clip with the search advantage.

Every part measures with metacot.numerics.algorithms.ppo (and the search / hitting solvers) and returns the
statement's symbols; statements and the derivations of the proved parts live in metacot.theory.pretrain_ppo.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp
from hypothesis import strategies as st

from metacot.numerics.algorithms.ppo import (SIGN_SHIFT, fine_tuned_family, gd_drift_tv_limit, gd_step_exact,
                                             log_ratio_contraction, ppo_clip, tv_summary)
from metacot.numerics.algorithms.search import prm_guided
from metacot.numerics.families import family_chain
from metacot.numerics.numbers import Approximation
from metacot.numerics.solvers.hitting import hitting_laurent, hitting_time
from metacot.numerics.solvers.meta_chain import meta_hitting_times
from metacot.numerics.solvers.stationary import stationary_law
from metacot.numerics.verify.conjectures import claim, random_chains
from metacot.numerics.verify.evidence import Inconclusive
from metacot.theory import hitting as th_hit
from metacot.theory import pretrain_ppo as th
from metacot.theory.symbols import E_tau, M as s_M, eta as s_eta, h_meta, q as s_q

PAPER = "Sec. 3, Alg. 3; App. D"


def _run(params, edges=None):
    """PPO-Clip on the instance's chain with Ê = E_s (oracle search) unless ``edges`` is given."""
    chain = family_chain(params)
    eps = chain.check_eps(params["eps"])
    found = list(chain.sparse_edges()) if edges is None else edges
    inner = params.get("inner", "exact")
    eta = params.get("eta")
    return chain, eps, ppo_clip(chain, eps, found, params["eps_max"], params["c"], inner=inner,
                                eta=None if eta is None else float(eta))


def _qx(chain):
    q = {}
    for (x, _), w in chain.sparse_edges().items():
        q[x] = q.get(x, 0) + w
    return q


# =============================================================================== R1 ppo.geometric-growth
growth = claim(
    id="ppo.geometric-growth", paper=PAPER, statement=th.geometric_growth,
    description="Exact inner maximisation (the smallest update reaching the clip boundary) multiplies every found-edge "
                "probability by exactly 1 + c per iteration: p_n = eps q (1+c)^n until the cap, reached after "
                "n* = ceil(log(eps_max/(eps q(x)))/log(1+c)) iterations. Sign-gradient inner loops (the found logits "
                "gain h = 2 eta (sign) or eta (sign-sparse) per step on the rest) give the per-iteration ratio "
                "rho_{k*} = e^{k* h}/(1 - s + s e^{k* h}) with k* = ceil(delta/h), inside [1+c, (1+c) e^h).")


@growth.part("proved-growth", statement=th.growth_relation, rung="proved", instances=[{"inner": "exact"}])
def growth_proved(inner):
    """p_n for symbolic ε, q, c, n: the exact update's ratio from the softmax, then rsolve
    (metacot.theory.pretrain_ppo.exact_growth_law)."""
    return {th.p_n: th.exact_growth_law()}


@growth.part("proved-iterations", statement=th.iterations_relation, rung="proved", instances=[{"inner": "exact"}])
def iterations_proved(inner):
    """n* for symbolic ε, q, ε_max, c: the first n with s_n ≥ ε_max (metacot.theory.pretrain_ppo.exact_iterations)."""
    return {th.n_star: th.exact_iterations()}


_BAND_POINTS = [{th.c: Fraction(1, 2), th.sigma_s: Fraction(1), th.a_frac: Fraction(0), th.b_frac: Fraction(1, 10**9)},
                {th.c: Fraction(1, 4), th.sigma_s: Fraction(1, 10**6), th.a_frac: Fraction(0),
                 th.b_frac: Fraction(1, 10**9)},
                {th.c: Fraction(2), th.sigma_s: Fraction(3), th.a_frac: Fraction(1, 3), th.b_frac: Fraction(1, 7)}]


@growth.part("proved-sign-band", statement=th.sign_band_relation, rung="proved", instances=[{"inner": "sign"}],
             sample_points=_BAND_POINTS)
def sign_band_proved(inner):
    """ρ_{k*} on the whole domain 0 < s < 1/(1+c), h > 0 (positive reparametrisation σ, a, b):
    metacot.theory.pretrain_ppo.sign_band_ratio; sympy decides both ends from the factored differences. The
    sample points (a = 0: k*h = δ exactly; b → 0: the stop one step past δ) are where a perturbed band fails."""
    return th.sign_band_ratio()


def _r1_exact_grid(quick):
    inst = [{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/5", "c": "1/4"},
            {"family": "random", "seed": 3, "sizes": [2, 3, 2], "eps": "1/10000", "eps_max": "1/20", "c": "1/10"}]
    if not quick:
        inst += [{"family": "uniform-escape", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/5"},
                 {"family": "ring", "K": 4, "M": 5, "eps": "1e-8", "eps_max": "1/100", "c": "1/5"},
                 {"family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2"},
                 {"family": "random", "seed": 8, "sizes": [3, 2, 2], "eps": "1e-6", "eps_max": "1/10", "c": "1"}]
    return inst


@growth.part("exact", statement=th.growth_relation, rung="exact", instances=_r1_exact_grid(False),
             quick=_r1_exact_grid(True))
def growth_exact(**params):
    """Exact (Fraction) trajectories: every found-edge probability after every iteration n before its source's cap."""
    chain, eps, r = _run(params)
    sparse = chain.sparse_edges()
    out = []
    for n, probs in enumerate(r.history.edge_probs, start=1):
        for (x, y), p in zip(r.history.edges, probs):
            if n < r.iterations_per_source[x]:
                out.append({th.p_n: p, s_q: sparse[(x, y)], th.n_iter: n})
    return out


@growth.part("exact-iterations", statement=th.iterations_relation, rung="exact", instances=_r1_exact_grid(False),
             quick=_r1_exact_grid(True))
def iterations_exact(**params):
    """Iterations each source needs to reach ε_max (exact run), q = q(x) its total sparse weight."""
    chain, eps, r = _run(params)
    q = _qx(chain)
    return [{th.n_star: r.iterations_per_source[x], s_q: q[x], "note": f"source {x}"} for x in sorted(q)]


def _r1_sign_grid(quick):
    inst = [{"inner": "sign", "family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/5", "c": "1/4",
             "eta": 0.05},
            {"inner": "sign-sparse", "family": "random", "seed": 3, "sizes": [2, 3, 2], "eps": "1/1000",
             "eps_max": "1/20", "c": "1/10", "eta": 0.2}]
    if not quick:
        inst += [{"inner": "sign-sparse", "family": "random", "seed": 3, "sizes": [2, 3, 2], "eps": "1/10000",
                  "eps_max": "1/20", "c": "1/10", "eta": 0.2},
                 {"inner": "sign", "family": "uniform-escape", "K": 3, "M": 4, "eps": "1/10000", "eps_max": "1/10",
                  "c": "1/5", "eta": 0.01},
                 {"inner": "sign", "family": "random", "seed": 3, "sizes": [2, 3, 2], "eps": "1/10000",
                  "eps_max": "1/20", "c": "1/10", "eta": 0.2},
                 {"inner": "sign-sparse", "family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/5",
                  "c": "1/4", "eta": 0.05},
                 {"inner": "sign-sparse", "family": "ring", "K": 3, "M": 3, "eps": "1e-8", "eps_max": "1/100",
                  "c": "1/2", "eta": 0.4}]
    return inst


@growth.part(
    "sign", statement=sp.And(th.sign_closed_relation, th.sign_steps_relation), rung="numerical",
    instances=_r1_sign_grid(False), quick=_r1_sign_grid(True), tolerance=1e-12, relative=True,
    justification="float sign loops: rho = s_{n+1}/s_n is a ratio of two float sums of softmax probabilities "
                  "(relative rounding ~1e-15 per evaluation, a few hundred steps): tolerance 1e-12 relative; k* "
                  "is the inner step count of that iteration and source (an integer; ceil(delta/h) is evaluated "
                  "in ball arithmetic from the float s and h; no instance sits within 1e-9 of a tie).")
def growth_sign(**params):
    """Every non-final iteration of every source: measured ratio, inner steps, found mass before it, h."""
    chain, eps, r = _run(params)
    h = SIGN_SHIFT[params["inner"]] * float(params["eta"])
    q = _qx(chain)
    prev = {x: float(eps * q[x]) for x in q}
    out = []
    em = float(Fraction(params["eps_max"]))
    for mass, steps in zip(r.history.found_mass, r.history.inner_steps_per_source):
        for x, k in steps.items():
            if mass[x] < em * (1 - 1e-12):        # not the capped (partial) last iteration
                out.append({th.rho_k: mass[x] / prev[x], th.k_star: k, th.s_found: prev[x], th.h_shift: h})
            prev[x] = mass[x]
    if not out:
        raise Inconclusive("no uncapped iteration")
    return out


# =============================================================================== R2 ppo.preserves-dense (corrected)
preserves = claim(
    id="ppo.preserves-dense", paper=PAPER, statement=th.preserves_dense,
    description="For the exact and the sign inner loops only the logits of found edges move relative to the rest: "
                "rows without found edges are untouched, inside a source row every non-found probability is "
                "scaled by the same factor (1 - eps_max)/(1 - s0), and TV(p_new(x,.), p_old(x,.)) = eps_max - s0(x). "
                "Stationary-weighted: TV_mu = eps_max mu(sources) - sum mu s0 <= eps_max mu(sources), whatever the "
                "blocks' stationary laws (the n_out eps_max/M form needs uniform pi_k: ppo.tv-weighted-bound).")


def _r2_exact_grid(quick):
    inst = [{"inner": "exact", "family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2"},
            {"inner": "exact", "family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2"},
            {"inner": "exact", "family": "random", "seed": 7, "sizes": [3, 2, 3], "eps": "1e-9", "eps_max": "1/20",
             "c": "1/2"}]
    if not quick:
        inst += [{"inner": "exact", "family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/2"},
                 {"inner": "exact", "family": "uniform-escape", "K": 4, "M": 3, "eps": "1/1000", "eps_max": "1/10",
                  "c": "1/3"},
                 {"inner": "exact", "family": "random", "seed": 5, "sizes": [3, 2, 3], "ds": True, "eps": "1/1000",
                  "eps_max": "1/20", "c": "1/2"},
                 {"inner": "exact", "family": "random", "seed": 7, "sizes": [4, 3, 3], "eps": "1/1000",
                  "eps_max": "1/20", "c": "1/2"}]
    return inst


def _r2_sign_grid(quick):
    inst = [{"inner": "sign", "family": "random", "seed": 5, "sizes": [3, 2, 3], "eps": "1/1000", "eps_max": "1/20",
             "c": "1/2", "eta": 0.1},
            {"inner": "sign", "family": "random", "seed": 7, "sizes": [3, 2, 3], "eps": "1e-9", "eps_max": "1/20",
             "c": "1/2", "eta": 0.1}]
    if not quick:
        inst += [{"inner": "sign-sparse", "family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2",
                  "eta": 0.2},
                 {"inner": "sign", "family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2",
                  "eta": 0.05},
                 {"inner": "sign-sparse", "family": "random", "seed": 5, "sizes": [3, 2, 3], "ds": True,
                  "eps": "1/1000", "eps_max": "1/20", "c": "1/2", "eta": 0.3}]
    return inst


def _r2_ratio_cases(r, t):
    out = []
    for x, rc in t.rows.items():
        fy = set(r.found[x])
        old = r.initial[x] if r.exact else {y: float(v) for y, v in enumerate(r.initial[x]) if v > 0}
        for y, v in old.items():
            if y not in fy and v > 0:
                p = r.kernel[x].get(y, Fraction(0)) if r.exact else float(r.kernel[x, y])
                out.append({th.p_new: p, th.p0: v, th.s0: rc.s0, th.TV_x: rc.tv, "note": f"row {x}, entry {y}"})
    return out


_SIGN_JUST = ("float sign loops: every probability and TV is a sum / product of a few hundred float operations "
              "(1.1e-16 relative each): tolerance 1e-11 relative")


@preserves.part("proved-row", statement=sp.And(th.preserves_dense_ratio, th.preserves_tv_row), rung="proved",
                instances=[{"inner": "exact", "row": "generic"}])
def preserves_proved(inner, row):
    """Generic source row below the cap (two found entries, two others, symbolic): the exact updates compose into
    s₀ → ε_max (metacot.theory.pretrain_ppo.capped_row); every non-found entry and the row's TV."""
    return th.capped_row(2, 2)[1]


@preserves.part("untouched", statement=th.preserves_untouched, rung="exact",
                instances=_r2_exact_grid(False) + _r2_sign_grid(False), quick=_r2_exact_grid(True) + _r2_sign_grid(True))
def preserves_untouched(**params):
    """TV of every row without found edges (exact runs: Fractions; sign runs: the float rows, untouched bit for bit)."""
    chain, eps, r = _run(params)
    t = tv_summary(r)
    if not t.untouched:
        raise Inconclusive("every row is a source")
    return [{th.TV_off: v, "note": f"row {x}"} for x, v in t.untouched.items()]


@preserves.part("exact-dense-ratio", statement=th.preserves_dense_ratio, rung="exact", instances=_r2_exact_grid(False),
                quick=_r2_exact_grid(True))
def preserves_ratio(**params):
    """Every non-found entry of every source row: p_new against p_old·(1 − ε_max)/(1 − s₀) (exact run)."""
    chain, eps, r = _run(params)
    return _r2_ratio_cases(r, tv_summary(r))


@preserves.part("exact-row-tv", statement=th.preserves_tv_row, rung="exact", instances=_r2_exact_grid(False),
                quick=_r2_exact_grid(True))
def preserves_row_tv(**params):
    """TV of every source row against ε_max − s₀(x) (exact run)."""
    chain, eps, r = _run(params)
    return [{th.TV_x: rc.tv, th.s0: rc.s0, "note": f"row {x}"} for x, rc in tv_summary(r).rows.items()]


@preserves.part("exact-weighted", statement=sp.And(th.tv_weighted_exact, th.tv_weighted_source_bound), rung="exact",
                instances=_r2_exact_grid(False), quick=_r2_exact_grid(True))
def preserves_weighted(**params):
    """TV_μ with μ the exact stationary law of the pretrained kernel; the ε = 10⁻⁹ instance makes the bound tight to
    10⁻¹⁰ (m₀ = O(ε))."""
    chain, eps, r = _run(params)
    t = tv_summary(r)
    return {th.TV_mu: t.tv_mu, th.mu_S: t.mu_sources, th.m_0: t.m0}


@preserves.part("sign", statement=sp.And(th.preserves_dense_ratio, th.preserves_tv_row), rung="numerical",
                instances=_r2_sign_grid(False), quick=_r2_sign_grid(True), tolerance=1e-11, relative=True,
                justification=_SIGN_JUST)
def preserves_sign(**params):
    """Sign inner loops: every non-found entry of every source row, with its row's TV."""
    chain, eps, r = _run(params)
    return _r2_ratio_cases(r, tv_summary(r))


@preserves.part("sign-weighted", statement=sp.And(th.tv_weighted_exact, th.tv_weighted_source_bound),
                rung="numerical", instances=_r2_sign_grid(False), quick=_r2_sign_grid(True), tolerance=1e-11,
                relative=True, justification=_SIGN_JUST)
def preserves_sign_weighted(**params):
    """Sign inner loops: TV_μ (float stationary law of the pretrained kernel)."""
    return preserves_weighted(**params)


# ------------------------------------------------------------- refuted: TV_mu <= n_out eps_max / M
tv_weighted = claim(
    id="ppo.tv-weighted-bound", paper=PAPER, statement=th.tv_weighted_spec_relation, expect="refuted",
    reason="TV_mu = sum over sources of mu(x)(eps_max - s0(x)) is about eps_max times the stationary mass of the "
           "sources, which exceeds n_out/M when a block's stationary law puts more than 1/M on its source: on "
           "tv-weighted-4 (block [[1/2, 1/2], [1/3, 2/3]], source with pi = 3/5) TV_mu = 198/3667 > 1/20",
    counterexample="exact/family=tv-weighted-4,eps=1/1000,eps_max=1/10,c=1/2", corrected="ppo.preserves-dense",
    search={"chain": random_chains(2, 3, 3), "eps": st.sampled_from([Fraction(1, 1000), Fraction(1, 100)]),
            "eps_max": st.sampled_from([Fraction(1, 10), Fraction(1, 5)]), "c": st.just(Fraction(1, 2))},
    description="The first spec's stationary-weighted bound TV_mu <= n_out eps_max/M for every inner loop (n_out = "
                "most sources in one cluster, M = the smallest cluster size, the most lenient reading). It needs "
                "uniform stationary laws inside the clusters (doubly stochastic blocks).")


def _tvw_grid(quick):
    inst = [{"family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2"},
            {"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/2"}]
    if not quick:
        inst += [{"family": "random", "seed": 5, "sizes": [3, 2, 3], "ds": True, "eps": "1/1000", "eps_max": "1/20",
                  "c": "1/2"}]
    return inst


@tv_weighted.part("exact", rung="exact", instances=_tvw_grid(False), quick=_tvw_grid(True),
                  mutation=lambda st: th.tv_weighted_source_bound)
def tv_weighted_exact(chain=None, **params):
    """Exact PPO with Ê = E_s; TV_μ, n_out and the smallest cluster size (the audit's mutation is the corrected
    bound TV_μ ≤ ε_max·μ(sources), which the counterexample satisfies)."""
    if chain is not None:                       # a point of the search space: a Chain object
        qmax = max(_qx(chain).values())
        eps = min(params["eps"], params["eps_max"] / (2 * qmax))
        r = ppo_clip(chain, eps, list(chain.sparse_edges()), params["eps_max"], params["c"])
    else:
        chain, eps, r = _run(params)
    t = tv_summary(r)
    return {th.TV_mu: t.tv_mu, th.n_out: t.n_out, s_M: t.M_min, th.mu_S: t.mu_sources}


# ------------------------------------------------------------- refuted: plain gradient ascent keeps dense ratios
GD_CE = {"family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2", "eta": 5}


def _gd_rows(r):
    out = []
    for x, rc in tv_summary(r).rows.items():
        spread = (max(rc.factors) / min(rc.factors) - 1) if rc.factors else 0.0
        out.append({th.TV_x: float(rc.tv), th.kappa_spread: float(spread), th.s0: float(rc.s0),
                    th.Delta_p: float(rc.delta_p), th.S2: float(rc.sum_pbar2), "note": f"row {x}"})
    return out


gd_preserves = claim(
    id="ppo.gd-preserves-dense", paper=PAPER, statement=th.gd_preserves_spec, expect="refuted",
    reason="plain gradient ascent moves every non-found logit by -eta mu p(z) s_A, in proportion to p(z), so unequal "
           "dense probabilities contract toward each other: on two-one (eps = 1/1000, eps_max = 1/20, c = 1/2, "
           "eta = 5) the dense ratios change and TV(p_new(0,.), p_old(0,.)) = 0.2004 > eps_max",
    counterexample="gd/" + ",".join(f"{k}={v}" for k, v in GD_CE.items()), corrected="ppo.preserves-dense",
    description="The first spec's R2 for the plain gradient-ascent inner loop: only the logits of found edges move, "
                "the dense ratios are unchanged (kappa_spread = max/min of p_new/p_old over non-found entries - 1 = 0) "
                "and TV <= eps_max. What plain gradient ascent does instead is ppo.gd-drift.")


@gd_preserves.part("gd", rung="numerical", instances=[GD_CE, {"family": "ring", "K": 3, "M": 3, "eps": "1/1000",
                                                            "eps_max": "1/20", "c": "1/2", "eta": 5}],
                   mutation=lambda st: th.gd_tv_bound, tolerance=1e-12, relative=False,
                   justification="float PPO values (a few hundred float operations per entry): tolerance 1e-12 "
                                 "absolute; the audit's mutation is the gradient-ascent TV bound of ppo.gd-drift, "
                                 "which the counterexample satisfies")
def gd_preserves_measure(**params):
    """Plain gradient-ascent PPO: every source row's TV and the spread of its non-found factors."""
    chain, eps, r = _run(dict(params, inner="gd"))
    return _gd_rows(r)


# =============================================================================== R5 ppo.gd-drift
gd_drift = claim(
    id="ppo.gd-drift", paper=PAPER, statement=th.gd_drift,
    description="Plain gradient-ascent inner loop, while no found edge is clipped: one step on row x with found set A "
                "(mass s_A) is Delta W[x,z] = eta mu(x) p(z)(1[z in A] - s_A), so the row sum of logits is conserved "
                "and non-found logit differences change by -eta mu s_A (p(z) - p(z')): dense ratios are kept iff the "
                "non-found probabilities are equal, otherwise they contract toward uniform with the order kept "
                "(0 < kappa < 1). The TV moved is at most (eps_max - s0) + (1 - eps_max) tanh(theta Delta p/4), "
                "theta = log(eps_max/s0)/((1 - eps_max)^2 (1 + sum pbar^2)) (flow limit; see the tv-bound part).")


@gd_drift.part("proved-step", statement=th.gd_step, rung="proved", instances=[{"row": "generic"}])
def gd_drift_proved(row):
    """Generic row, two found logits and three others, symbolic logits, η, μ: ΔW = η ∂J/∂W by sympy
    (metacot.theory.pretrain_ppo.gd_logit_step)."""
    dW_, p, sA = th.gd_logit_step(2, 3)
    cases = []
    for y, z, zp in ((0, 2, 3), (1, 4, 2)):
        cases.append({th.dW_A: dW_[y], th.p_y: p[y], th.dW_R: dW_[z], th.p_z: p[z], th.p_zp: p[zp],
                      th.dW_pair: dW_[z] - dW_[zp], th.dW_sum: sum(dW_), th.s_A: sA})
    return cases


def _gd_step_grid(quick):
    inst = [{"family": "two-one", "eps": "1/1000", "eta": 5},
            {"family": "random", "seed": 7, "sizes": [3, 2, 3], "eps": "1/1000", "eta": "1/2"}]
    if not quick:
        inst += [{"family": "tv-weighted-4", "eps": "1/100", "eta": 2},
                 {"family": "random", "seed": 3, "sizes": [2, 3, 2], "extra": 3, "eps": "1/1000", "eta": 1}]
    return inst


@gd_drift.part("exact-step", statement=th.gd_step, rung="exact", instances=_gd_step_grid(False),
               quick=_gd_step_grid(True))
def gd_drift_exact(**params):
    """Every source row of the pretrained kernel (exact), W = log p_old: the first inner step in Fractions
    (metacot.numerics.algorithms.ppo.gd_step_exact), μ = exact stationary law of the kernel."""
    chain = family_chain(params)
    eps = chain.check_eps(params["eps"])
    eta = Fraction(params["eta"])
    rows = chain.kernel_exact(eps)
    mu = stationary_law(chain, eps, method="exact")
    src = {}
    for (x, y) in chain.sparse_edges():
        src.setdefault(x, []).append(y)
    cases = []
    for x, ys in sorted(src.items()):
        row = {y: v for y, v in rows[x].items() if v > 0}
        d = gd_step_exact(row, ys, mu[x], eta)
        sA = sum(row[y] for y in ys)
        rest = sorted(z for z in row if z not in ys)
        pairs = list(zip(rest, rest[1:] + rest[:1])) or [(None, None)]
        for y in ys:
            for z, zp in pairs:
                if z is None:
                    continue
                cases.append({th.dW_A: d[y], th.p_y: row[y], th.dW_R: d[z], th.p_z: row[z], th.p_zp: row[zp],
                              th.dW_pair: d[z] - d[zp], th.dW_sum: sum(d.values()), th.s_A: sA, th.mu: mu[x],
                              s_eta: eta, "note": f"row {x}, y = {y}, z = {z}, z' = {zp}"})
    return cases


def _gd_grid(quick):
    inst = [{"family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2", "eta": 5},
            {"family": "random", "seed": 7, "sizes": [3, 2, 3], "eps": "1/100", "eps_max": "1/10", "c": "1/2",
             "eta": 5}]
    if not quick:
        inst += [{"family": "random", "seed": 7, "sizes": [3, 2, 3], "eps": "1/1000", "eps_max": "1/20", "c": "1/2",
                  "eta": 5},
                 {"family": "two-one", "eps": "1/1000", "eps_max": "1/20", "c": "1/2", "eta": "1/5"},
                 {"family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2", "eta": 2},
                 {"family": "random", "seed": 1, "sizes": [2, 3, 2], "eps": "1/1000", "eps_max": "1/10", "c": "1/2",
                  "eta": 7},
                 {"family": "two-one", "eps": "1/10000", "eps_max": "1/20", "c": "1/2", "eta": 5}]
    return inst


def _nonuniform_rows(r):
    out = []
    for x, rc in tv_summary(r).rows.items():
        if len(rc.dense) >= 2 and max(rc.dense) > min(rc.dense):
            out.append(x)
    return out


@gd_drift.part("contraction", statement=th.gd_contraction, rung="numerical", instances=_gd_grid(False),
               quick=_gd_grid(True), mutation=lambda st: sp.Eq(th.kappa, 1),
               justification="kappa = log(p_new(z)/p_new(z'))/log(p_old(z)/p_old(z')) for the largest and smallest "
                             "non-found entries of every source row with unequal ones; float, error 1e-12 (a ratio of "
                             "logs of O(1) float ratios). The relation has slack, so the audit checks the alternative "
                             "kappa = 1 (dense ratios kept: the refuted ppo.gd-preserves-dense), which it rejects.")
def gd_drift_contraction(**params):
    """Log-ratio contraction after the whole gradient-ascent PPO run."""
    chain, eps, r = _run(dict(params, inner="gd"))
    rows = _nonuniform_rows(r)
    if not rows:
        raise Inconclusive("no source row with unequal non-found probabilities")
    return [{th.kappa: Approximation(log_ratio_contraction(r, x), 1e-12), "note": f"row {x}"} for x in rows]


@gd_drift.part("equal-rows", statement=th.gd_equal_rows, rung="numerical",
               instances=[{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/2", "eta": 5},
                          {"family": "uniform-escape", "K": 3, "M": 2, "eps": "1/1000", "eps_max": "1/20",
                           "c": "1/4", "eta": 1}],
               quick=[{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/2", "eta": 5}],
               tolerance=1e-11, relative=True, justification=_SIGN_JUST.replace("sign", "gradient-ascent"))
def gd_drift_equal(**params):
    """Complete-graph blocks (equal non-found probabilities): gradient ascent moves nothing but the found mass."""
    chain, eps, r = _run(dict(params, inner="gd"))
    return [{th.TV_x: float(rc.tv), th.s0: float(rc.s0), "note": f"row {x}"} for x, rc in tv_summary(r).rows.items()]


@gd_drift.part(
    "tv-bound", statement=th.gd_tv_bound, rung="numerical", instances=_gd_grid(False), quick=_gd_grid(True),
    mutation=lambda st: sp.Le(th.TV_x, th.eps_max - th.s0), tolerance=1e-12, relative=False,
    justification="float values (tolerance 1e-12 absolute for rounding: rows with one dense state meet the bound "
                  "with equality). The bound is derived in the flow limit eta -> 0 with one "
                  "found edge per source (ds/dtau = s^2 (1-s)^2 (1 + sum pbar^2)); its theta uses the initial sum pbar^2, "
                  "which decreases along the run (the rigorous form uses 1/m, m dense states), and tanh(L/4) bounds "
                  "the TV of a law whose log-ratio oscillation is L. It holds here with a factor ~1.5-2 to spare, also "
                  "at eta = 5; the audit checks the alternative TV <= eps_max - s0 (nothing but the found mass moves), "
                  "which non-uniform rows reject.")
def gd_drift_tv(**params):
    """Every source row: TV against the spec's bound with the row's Δp and Σ p̄² (initial dense law)."""
    chain, eps, r = _run(dict(params, inner="gd"))
    return [{th.TV_x: float(rc.tv), th.s0: float(rc.s0), th.Delta_p: float(rc.delta_p),
             th.S2: float(rc.sum_pbar2), "note": f"row {x}"} for x, rc in tv_summary(r).rows.items()]


# =============================================================================== F9 ppo.gd-drift-limit (conjecture)
def _conj_rows(chain):
    """Source rows with ≥ 2 dense states: (x, P0(x,·), {y: q(x,y)}, the conjectured limit TV as a Fraction)."""
    src = {}
    for (x, y), w in chain.sparse_edges().items():
        src.setdefault(x, {})[y] = w
    out = []
    for x, f in sorted(src.items()):
        p0 = {y: v for y, v in chain.row_dicts(0)[x].items() if v > 0}
        if len(p0) < 2:
            continue
        out.append((x, p0, f))
    return out


def _conj_value(p0, eps_max):
    m = len(p0)
    return (eps_max + sum((abs(v - (1 - eps_max) / m) for v in p0.values()), Fraction(0))) / 2


gd_limit = claim(
    id="ppo.gd-drift-limit", paper="spec 08 F9 (conjecture)", statement=th.gd_drift_limit,
    search={"chain": random_chains(2, 3, 3), "eps_max": st.sampled_from([Fraction(1, 20), Fraction(1, 10)]),
            "c": st.just(Fraction(1, 2)), "eta_mu": st.sampled_from([2, 8]), "decades": st.just(5)},
    description="Conjecture (spec 08 F9): for the plain gradient-ascent inner loop, lim_{eps->0} TV(p_new(x,.), "
                "p_old(x,.)) equals TV(P0(x,.), r) where r puts eps_max on the found edges of x and (1 - eps_max)"
                "*uniform on its dense support: the dense conditional law contracts all the way to uniform as "
                "s0 = eps q(x) -> 0 (the contraction time grows like log(eps_max/s0)). eta_mu = eta*mu(x) is the "
                "row's effective step (rows decouple). Source rows with one dense state satisfy it trivially and "
                "are skipped.")


@gd_limit.part(
    "limit", rung="numerical", tolerance=0.01, relative=False, mutation=lambda st: sp.Eq(th.TV_lim, th.eps_max),
    instances=[{"family": "two-one", "eps_max": "1/20", "c": "1/2", "eta_mu": 2, "decades": 4},
               {"family": "two-one", "eps_max": "1/10", "c": "1/2", "eta_mu": 8, "decades": 6},
               {"family": "tv-weighted-4", "eps_max": "1/20", "c": "1/2", "eta_mu": 2, "decades": 5}],
    quick=[{"family": "two-one", "eps_max": "1/20", "c": "1/2", "eta_mu": 2, "decades": 4}],
    justification="TV(eps) at s0 = eps q(x) = eps_max*10^-j (j = 1..decades), Aitken's Delta^2 on the last three "
                  "(the dense log-ratios contract like s0^{1/(m+1)}: geometric per decade); error = three times "
                  "its change from the previous triple (a-posteriori; the per-decade ratio drifts by ~0.02 with the "
                  "discrete inner loop) + 1e-12. TV_conj is exact. Holds when the whole interval is within 0.01 of "
                  "TV_conj, fails when it lies wholly outside (an extrapolation error bar wider than that leaves the "
                  "point inconclusive). The tolerance is above the default audit's perturbation, so the audit checks "
                  "the alternative lim TV = eps_max (only the found mass moves, the refuted R2), which it rejects.")
def gd_limit_measure(eps_max, c, eta_mu, decades=5, chain=None, **params):
    """Every source row with ≥ 2 dense states (metacot.numerics.algorithms.ppo.gd_drift_tv_limit)."""
    if chain is None:
        chain = family_chain(params)
    rows = _conj_rows(chain)
    if not rows:
        raise Inconclusive("no source row with two or more dense states")
    out = []
    for x, p0, f in rows:
        qx = sum(f.values())
        eps_list = [Fraction(eps_max) / 10 ** j / qx for j in range(1, int(decades) + 1)]
        v, err, tvs = gd_drift_tv_limit(p0, f, eps_list, eps_max, c, float(eta_mu))
        out.append({th.TV_lim: Approximation(v, err), th.TV_conj: _conj_value(p0, Fraction(eps_max)),
                    "note": f"row {x}: TV at s0 = eps_max*10^-1..-{decades}: " + ", ".join(f"{t:.5f}" for t in tvs)})
    return out


# =============================================================================== R3 ppo.internalises-prm
internalises = claim(
    id="ppo.internalises-prm", paper=PAPER, statement=th.ppo_internalises,
    description="With Ê = E_s and the exact pretrained model, exact PPO ends on the PRM-guided kernel of spec 02 S4: "
                "at every source, (1 - eps_max) P0(x,.) + eps_max q(x,.)/q(x); RL internalises the PRM. Hence "
                "lim eps_max E[tau] = h_meta_PRM (exact Laurent coefficient of the fine-tuned family in eps_max) and "
                "for ring E[tau] = (K-1)M/eps_max + (K - M - 1) exactly.")


@internalises.part("proved-row", statement=th.prm_row, rung="proved", instances=[{"row": "generic"}])
def internalises_proved(row):
    """Generic source row (two found edges, three other entries, symbolic weights, base row, ε, ε_max): the exact
    updates compose, so the run is one update ε q(x) → ε_max (metacot.theory.pretrain_ppo.generic_fine_tuned_row)."""
    found, rest = th.generic_fine_tuned_row(2, 3)
    return found + rest


def _r3_grid(quick):
    inst = [{"family": "random", "seed": 11, "sizes": [2, 3, 2], "eps": "1e-7", "eps_max": "1/100", "c": "1/3"},
            {"family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2"}]
    if not quick:
        inst += [{"family": "uniform-escape", "K": 3, "M": 3, "eps": "1e-7", "eps_max": "1/100", "c": "1/2"},
                 {"family": "random", "seed": 3, "sizes": [2, 3, 2], "extra": 3, "eps": "1e-6", "eps_max": "1/20",
                  "c": "1/2"}]
    return inst


@internalises.part("exact-kernel", statement=th.prm_row, rung="exact", instances=_r3_grid(False), quick=_r3_grid(True))
def internalises_kernel(**params):
    """Every entry of every source row of the fine-tuned kernel (exact run) against the PRM-guided row."""
    chain, eps, r = _run(params)
    P0 = chain.row_dicts(0)
    sparse = chain.sparse_edges()
    q = _qx(chain)
    out = []
    for x in sorted(r.found):
        for y in sorted(set(r.kernel[x]) | set(P0[x])):
            out.append({th.p_ppo: r.kernel[x].get(y, Fraction(0)), th.P0_xy: P0[x].get(y, Fraction(0)),
                        th.q_xy: sparse.get((x, y), Fraction(0)), th.q_x: q[x]})
    return out


@internalises.part("ring-hitting", statement=th.ppo_ring_hitting, rung="exact",
                   instances=[{"family": "ring", "K": K, "M": M, "eps": "1e-6", "eps_max": em, "c": "1/2"}
                              for K, M in ((3, 3), (5, 2), (4, 6)) for em in ("1/10", "1/1000")],
                   quick=[{"family": "ring", "K": 3, "M": 3, "eps": "1e-6", "eps_max": "1/100", "c": "1/2"}])
def internalises_ring(**params):
    """Exact E[τ] of the fine-tuned ring (rational state reduction on the exact kernel)."""
    chain, eps, r = _run(params)
    return {E_tau: hitting_time(r.chain("kernel"), chain.start, chain.target, 0, method="exact")}


def _r3_limit_grid(quick):
    inst = [{"family": "random", "seed": 11, "sizes": [2, 3, 2], "eps": "1e-7", "c": "1/3"}]
    if not quick:
        inst += [{"family": "uniform-escape", "K": 3, "M": 3, "eps": "1e-7", "c": "1/2"},
                 {"family": "tv-weighted-4", "eps": "1/1000", "c": "1/2"}]
    return inst


@internalises.part("prm-limit", statement=th.ppo_prm_limit, rung="exact", instances=_r3_limit_grid(False),
                   quick=_r3_limit_grid(True))
def internalises_limit(**params):
    """The fine-tuned kernels at ε_max = 1/100, 1/50, 1/20 lie exactly on one line in ε_max
    (metacot.numerics.algorithms.ppo.fine_tuned_family); its exact E[τ](ε_max) (state reduction over QQ(ε_max)):
    pole order and ε_max⁻¹ coefficient, against h^meta of the PRM-guided chain (spec 02 S4)."""
    chain = family_chain(params)
    eps = chain.check_eps(params["eps"])
    found = list(chain.sparse_edges())
    G = fine_tuned_family(chain, eps, found, params["c"], [Fraction(1, 100), Fraction(1, 50), Fraction(1, 20)])
    f = hitting_laurent(G, chain.target)[chain.start]
    lab = chain.cluster_of
    h = meta_hitting_times(prm_guided(chain, found))[int(lab[chain.start])][int(lab[chain.target])]
    return {th_hit.pole_order: f.pole_order(), th_hit.a_m1: f.laurent(-1).get(-1, Fraction(0)), h_meta: h}


# =============================================================================== R4 ppo.no-false-edges
no_false = claim(
    id="ppo.no-false-edges", paper=PAPER, statement=th.no_false_edges,
    description="With Ê from a search that returned false positives (dense edges misread as sparse), exact PPO grows "
                "them like true edges: every found edge of x ends at eps_max p0(x,y)/s0(x) (false positives take "
                "their share of eps_max) and the rest of the row at (1 - eps_max) p0/(1 - s0); rows with s0 >= "
                "eps_max are untouched. The damage to E[tau] (why search recovery S1 matters) is in the notes.")


def _r4_grid(quick):
    inst = [{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/2", "c": "1/2", "false": [[0, 1]]}]
    if not quick:
        inst += [{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "eps_max": "1/10", "c": "1/2", "false": [[0, 1]]},
                 {"family": "ring", "K": 3, "M": 20, "eps": "1/10000", "eps_max": "1/5", "c": "1/2",
                  "false": [[1, 2], [21, 22]]},
                 {"family": "tv-weighted-4", "eps": "1/1000", "eps_max": "1/10", "c": "1/2", "false": [[3, 2]]}]
    return inst


def _r4_cases(params, found_side):
    chain = family_chain(params)
    false = [tuple(e) for e in params["false"]]
    chain, eps, r = _run(params, edges=list(chain.sparse_edges()) + false)
    out = []
    for x, ys in r.found.items():
        s0 = sum((r.initial[x][y] for y in ys), Fraction(0))
        if s0 >= r.eps_max:
            continue
        for y, v in r.initial[x].items():
            if (y in ys) == found_side:
                out.append({th.p_final: r.kernel[x].get(y, Fraction(0)), th.p0: v, th.s0: s0,
                            "note": f"({x}, {y})" + (" false positive" if (x, y) in false else "")})
    return chain, eps, r, out


@no_false.part("proved-found", statement=th.ppo_final_share, rung="proved", instances=[{"row": "generic"}])
def no_false_proved_found(row):
    """Generic row, any found set (a false positive is a found edge like any other), symbolic entries and cap:
    metacot.theory.pretrain_ppo.capped_row."""
    return th.capped_row(2, 2)[0]


@no_false.part("proved-rest", statement=th.ppo_final_rest, rung="proved", instances=[{"row": "generic"}])
def no_false_proved_rest(row):
    """The other entries of the same generic row."""
    return th.capped_row(2, 2)[1]


@no_false.part("found", statement=th.ppo_final_share, rung="exact", instances=_r4_grid(False), quick=_r4_grid(True))
def no_false_found(**params):
    """Every found edge (true or false) of every source; the damage E_FP[τ]/E_PRM[τ] in the note."""
    chain, eps, r, out = _r4_cases(params, True)
    r_true = ppo_clip(chain, eps, list(chain.sparse_edges()), r.eps_max, r.clip)
    E_true = hitting_time(r_true.chain("kernel"), chain.start, chain.target, 0, method="exact")
    E_fp = hitting_time(r.chain("kernel"), chain.start, chain.target, 0, method="exact")
    E_pre = hitting_time(chain, chain.start, chain.target, eps, method="exact")
    out[0]["note"] += (f"; E[tau]: pretrained {float(E_pre):.6g}, PPO on E_s {float(E_true):.6g}, with false "
                       f"positives {float(E_fp):.6g} (damage x{float(E_fp / E_true):.4g})")
    return out


@no_false.part("rest", statement=th.ppo_final_rest, rung="exact", instances=_r4_grid(False), quick=_r4_grid(True))
def no_false_rest(**params):
    """Every other entry of every source row."""
    return _r4_cases(params, False)[3]
