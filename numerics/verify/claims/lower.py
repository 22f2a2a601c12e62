"""Claims of spec 05 and spec 08 F10 (paper Sec. 5, App. E): the logical task, local vs global information.

L1 lower.sq-dimension, L2 lower.sda-average, L3 lower.local-indistinguishable, L5 lower.learner-demo,
F10 lower.access-levels. Definitions, sources (Blum et al. STOC 1994; Feldman, Grigorescu, Reyzin, Vempala,
Xiao, J. ACM 2017), which of their statements were verified, the constants (proved there for STAT(τ),
γ̄ = τ²) and the four access levels: metacot.theory.lower_bounds. Every correlation is computed by enumeration
(metacot.numerics.lower_bounds.sq); every value is an exact integer or Fraction.

spec 05's L4 lower.global-easy ("the global learner answers every path with 0 errors in L multiplications")
is not registered: the learner reads E_s from the model it is given and multiplies once per transition by
construction, so the check cannot fail (spec 08 "Demonstrations"); the book shows it. What can fail — that
the global view determines the concept, so its induced class has SQ dimension 1 and SDA 0 — is level (4) of
lower.access-levels, and the global learner's exact identification of every target is part of
lower.learner-demo.
"""
from __future__ import annotations

import math

import numpy as np

from metacot.numerics.lower_bounds.groups import get_group
from metacot.numerics.lower_bounds.logical import (bayes_error, global_success_rate, indistinguishable_pair, view,
                                                   view_bytes)
from metacot.numerics.lower_bounds.sq import (access_levels_dimensions, correlation_matrix,
                                              max_offdiagonal_correlation, max_row_abs_sum, query_lower_bound, sda,
                                              simulate_learners, sq_dimension)
from metacot.numerics.verify.conjectures import claim
from metacot.numerics.verify.evidence import Inconclusive
from metacot.theory import lower_bounds as th

PAPER = "Sec. 5, App. E (logical task: local vs global information)"


def _exact_int(x, what):
    if x == math.inf:
        raise Inconclusive(f"{what} is unbounded (every set of concepts has small average correlation)")
    return int(x)


# ============================================================================ L1 lower.sq-dimension
sq_dim = claim(
    id="lower.sq-dimension", paper=PAPER, statement=th.L1_statement,
    description="Parities chi_S on uniform {0,1}^m are pairwise uncorrelated (proved for symbolic m by factorising "
                "the expectation over coordinates; computed by enumeration for m <= 12), so SQ-DIM = 2^m; an "
                "exact-identification STAT(tau) learner needs ceil((2^m - 1)/(ceil(1/tau^2) - 1)) queries (Bessel).")


@sq_dim.part("proved", instances=[{"class": "parity"}], rung="proved", statement=th.L1_proved_statement)
def sq_dim_proved(**_):
    """E_x[χ̃_S χ̃_T] factorised over the m coordinates, for symbolic m and |S Δ T| = j ≥ 1, and the diagonal;
    the class size Σ_k C(m, k) (theory.lower_bounds.parity_correlation_symbolic / parity_class_size_symbolic)."""
    off, diag = th.parity_correlation_symbolic()
    return {th.chi_off: off, th.chi_diag: diag, th.SQDIM: th.parity_class_size_symbolic()}


def _l1(quick):
    return [{"m": k, "tau": "1/4"} for k in (range(1, 9) if quick else range(1, 13))] + \
        [{"m": k, "tau": t} for k, t in (((6, "1/2"),) if quick else ((6, "1/2"), (10, "1/3")))]


@sq_dim.part("exact", instances=_l1(False), quick=_l1(True), rung="exact")
def sq_dim_exact(m, tau):
    """Enumeration: the largest off-diagonal |χ(S,T)| of the 2^m × 2^m correlation matrix, the certified SQ-DIM
    bracket (sq_dimension, exact here), and the query lower bound ⌈(N − 1)/e_max⌉ from the certified e_max of
    SDA(τ²) (query_lower_bound)."""
    corr = correlation_matrix("z2", m)
    b = sq_dimension(corr)
    if not b.exact:
        raise Inconclusive(f"SQ-DIM only bracketed in [{b.lower}, {b.upper}]")
    res = sda(corr, tau * tau)
    return {th.chi_off: max_offdiagonal_correlation(corr), th.SQDIM: b.lower,
            th.Q_min: _exact_int(query_lower_bound(corr.N, res.max_eliminated), "the query bound"),
            "note": f"e_max = {res.max_eliminated} concepts ruled out per STAT({tau}) query"}


# ============================================================================ L2 lower.sda-average
sda_avg = claim(
    id="lower.sda-average", paper=PAPER, statement=th.L2_statement,
    description="SDA (Feldman, Grigorescu, Reyzin, Vempala, Xiao 2017; decision-problem form, rho with the diagonal) "
                "computed exactly: parity = ceil(2^m/(ceil(1/gamma) - 1)) - 1, exponential in m and in K = m + 1; "
                "S_3 labels (answers compared for equality): the certified lower end of the SDA bracket is at least "
                "the row-sum bound, the row sum obeys R(m) <= 7 (3/2)^(m-1) (this project's conjecture, checked "
                "for m <= 12), so SDA >= Omega(gamma (4/3)^m).")


def _l2_z2(quick):
    out = [{"m": k, "gamma": "1/16"} for k in (range(1, 10) if quick else range(1, 13))]
    out += [{"K": K, "gamma": "1/16"} for K in ((4, 8) if quick else (3, 5, 7, 9, 11))]
    return out + ([] if quick else [{"m": k, "gamma": "1/4"} for k in range(1, 11)])


@sda_avg.part("z2", instances=_l2_z2(False), quick=_l2_z2(True), rung="exact", statement=th.L2_z2_statement)
def sda_z2(gamma, m=None, K=None):
    """Exact SDA(γ̄) of the parity class (sda; its bracket is exact), m = K − 1 candidates for ring-like tasks."""
    m = m if m is not None else K - 1
    res = sda(correlation_matrix("z2", m), gamma)
    if not res.exact:
        raise Inconclusive(f"SDA only bracketed in [{res.lower}, {res.upper}]")
    return {th.SDA_Z2: _exact_int(res.lower, "SDA"), th.m: m, th.gamma_bar: gamma,
            "note": f"s* = {res.s_star}"}


def _l2_s3(quick):
    out = [{"m": k, "gamma": "1"} for k in (range(1, 9) if quick else range(1, 13))]
    return out + ([] if quick else [{"m": k, "gamma": "1/4"} for k in (10, 11)])


@sda_avg.part("s3", instances=_l2_s3(False), quick=_l2_s3(True), rung="exact", statement=th.L2_s3_statement)
def sda_s3(m, gamma):
    """S_3 labels: the certified lower end of the SDA(γ̄) bracket, the exact maximal row sum R of |χ| and N = 2^m."""
    corr = correlation_matrix(get_group("s3"), m)
    res = sda(corr, gamma)
    return {th.SDA_S3: _exact_int(res.lower, "SDA"), th.R_rowsum: max_row_abs_sum(corr), th.N_concepts: corr.N,
            th.gamma_bar: gamma, "note": f"SDA in [{res.lower}, {res.upper}], s* = {res.s_star}"}


# ============================================================================ L3 lower.local-indistinguishable
local = claim(
    id="lower.local-indistinguishable", paper=PAPER, statement=th.L3_statement,
    description="Two chains (candidate e a true sparse edge vs a decoy inside one cluster) whose radius-r views of "
                "the path (states, edges and exact probabilities) are byte-identical while the answers differ: the "
                "best learner that sees only that view errs with probability 1/2 on the uniform pair; the global "
                "views differ.")


def _l3(quick):
    base = [{"m": 3, "flip": 1, "r": 1, "group": "z2"}, {"m": 4, "flip": 2, "r": 2, "group": "s3"},
            {"m": 5, "flip": 0, "r": 0, "group": "s3"}]
    return base if quick else base + [{"m": 8, "flip": 5, "r": 3, "group": "s3"},
                                      {"m": 6, "flip": 5, "r": 4, "group": "z2"},
                                      {"m": 7, "flip": 3, "r": 2, "group": "s3", "base": [0, 1, 0, 1, 0, 1, 0]}]


@local.part("exact", instances=_l3(False), quick=_l3(True), rung="exact")
def local_exact(m, flip, r, group, base=None):
    """indistinguishable_pair: distinct radius-r views and answers among the two tasks, the Bayes error of a learner
    seeing the radius-r view (bayes_error), and distinct global views."""
    mask = list(base) if base is not None else None
    A, B, path = indistinguishable_pair(m, flip, r, group, mask)
    n_views = len({view_bytes(view(t, path, "local", r)) for t in (A, B)})
    n_wider = len({view_bytes(view(t, path, "local", r + 1)) for t in (A, B)})
    return {th.views_local: n_views, th.answers: len({A.answer(path), B.answer(path)}),
            th.P_err: bayes_error([A, B], path, "local", r),
            th.views_global: len({view_bytes(view(t, path, "global")) for t in (A, B)}),
            "note": f"answers {A.answer(path).label} vs {B.answer(path).label}; radius-{r + 1} views: {n_wider} distinct"}


# ============================================================================ L5 lower.learner-demo
learner = claim(
    id="lower.learner-demo", paper=PAPER, statement=th.L5_statement,
    description="A seeded SQ learner through the adversarial STAT(tau) oracle stays below the success bound "
                "min(1, (q e_max + 1)/N) at every query budget q (equal at q = 0), so it cannot identify S with "
                "fewer queries than L1's bound; the global learner, reading E_s from the whole model, identifies "
                "every target.")


def _l5(quick):
    return [{"m": k, "tau": "1/4"} for k in ((6, 8) if quick else (6, 8, 10))]


@learner.part("exact", instances=_l5(False), quick=_l5(True), rung="exact")
def learner_exact(m, tau, rng_seed):
    """simulate_learners (seeded sweep learner; exact success fraction over all N targets per budget) and the
    global learner on candidate_task for every target S (N ≤ 64) or 32 seeded targets (exact success fraction)."""
    curve = simulate_learners(m, tau, seed=rng_seed)
    N = 1 << m
    targets = None if N <= 64 else np.random.default_rng(rng_seed).choice(N, size=32, replace=False).tolist()
    g = global_success_rate(m, targets)
    return [{th.success: s, th.q_queries: q, th.e_max: curve.e_max, th.N_concepts: N, th.success_global: g,
             "note": f"budget {q}, query bound {curve.query_bound}"} for q, s in zip(curve.budgets, curve.sweep_success)]


# ============================================================================ F10 lower.access-levels
access = claim(
    id="lower.access-levels", paper="Sec. 5 (the four access levels)", statement=th.access_levels_statement,
    description="Each access level (1) no pretraining, (2) the generated path, (3) its radius-r neighbourhood, "
                "(4) global search is the information the learner receives; grouping the 2^m parity concepts by "
                "their view of the path (computed on the candidate chains) gives the classes a learner still "
                "faces. Exactly: SQ-DIM = 2^m and SDA = ceil(2^m/(ceil(1/gamma) - 1)) - 1 for (1)-(3) (the views "
                "are identical for all concepts), SQ-DIM = 1 and SDA = 0 for (4) (every concept has its own view). "
                "Definitions and how they may differ from the paper's: theory/lower_bounds.py.")


def _f10(quick):
    if quick:
        return [{"m": k, "r": 1, "gamma": "1/4"} for k in (2, 4, 5)]
    return [{"m": k, "r": 1, "gamma": "1/4"} for k in range(1, 9)] + [{"m": k, "r": 2, "gamma": "1/4"} for k in (3, 6)] \
        + [{"m": 6, "r": 1, "gamma": "1/16"}]


@access.part("exact", instances=_f10(False), quick=_f10(True), rung="exact")
def access_exact(m, r, gamma):
    """access_levels_dimensions: for each level, the exact SQ-DIM and SDA(γ̄) brackets, maximised over the induced
    classes; the note shows the number of distinct views per level and, as a contrast, at radius r + 1."""
    *dims, wider = access_levels_dimensions(m, list(th.LEVELS) + [("local", r + 1)], gamma, r)
    out = {th.m: m, th.gamma_bar: gamma}
    for d in dims:
        if not (d.sq_dimension.exact and d.sda.exact):
            raise Inconclusive(f"level {d.level}: SQ-DIM in {d.sq_dimension}, SDA in {d.sda}")
        out[th.SQDIM_level[d.level]] = _exact_int(d.sq_dimension.lower, "SQ-DIM")
        out[th.SDA_level[d.level]] = _exact_int(d.sda.lower, "SDA")
    out["note"] = ("views per level " + ", ".join(f"{d.level}: {d.n_views}" for d in dims)
                   + f"; radius {r + 1} (beyond the construction): {wider.n_views} views, SQ-DIM {wider.sq_dimension.lower}")
    return out
