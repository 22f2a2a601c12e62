"""Claims of spec 05 (paper Sec. 5, App. E): the logical task, local vs global information.

L1 lower.sq-dimension, L2 lower.sda-average, L3 lower.local-indistinguishable, L4 lower.global-easy,
L5 lower.learner-demo. Definitions, sources (Blum et al. STOC 1994; Feldman, Grigorescu, Reyzin, Vempala,
Xiao, J. ACM 2017), which of their statements were verified, and the constants (all proved there for
STAT(τ), γ̄ = τ²): theory/lower_bounds.py. Every correlation is
computed by enumeration (metacot.numerics.lower_bounds.sq); every comparison is exact (integers / Fractions), tolerance 0.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import sympy as sp

from metacot.numerics.families import ring, uniform_escape
from metacot.numerics.lower_bounds.groups import get_group
from metacot.numerics.lower_bounds.logical import (candidate_task, global_learner, indistinguishable_pair, labelled_family_task,
                       local_learner_constant, view, view_bytes)
from metacot.numerics.verify.legacy import Claim, InstanceResult, register
from metacot.numerics.lower_bounds.sq import (correlation_matrix, max_row_abs_sum, query_lower_bound, simulate_learners, sda,
                  sq_dimension)
from metacot.theory import lower_bounds as th
from metacot.theory.symbols import m as sm, tau as stau

PAPER = "Sec. 5, App. E (logical task: local vs global information)"
EXACT = "0 (exact integer/rational arithmetic: enumerated correlations, exact SDA brackets)"


def _verdict(ok: bool) -> str:
    return "holds" if ok else "fails"


def _int_or_inf(x):
    return "inf" if x == math.inf else int(x)


# ============================================================================ L1 lower.sq-dimension
def _l1_instances(quick):
    ms = range(1, 9) if quick else range(1, 13)
    return [{"m": k, "tau": "1/4"} for k in ms]


def _l1_check(params, seed):
    m, tau = int(params["m"]), Fraction(params["tau"])
    t0 = time.perf_counter()
    corr = correlation_matrix("z2", m)
    N = corr.N
    off = corr.num.copy()
    np.fill_diagonal(off, 0)
    max_off = Fraction(int(np.abs(off).max()), corr.den) if N > 1 else Fraction(0)
    diag_ok = bool(np.all(np.diag(corr.num) == corr.den))
    sq = sq_dimension(corr)
    res = sda(corr, tau * tau)
    qb = query_lower_bound(N, res.max_eliminated)
    # exact sympy -> Fraction (int() would silently round a wrong, non-integer closed form)
    predicted = {"max_offdiag_corr": Fraction(str(th.parity_offdiag_correlation)),
                 "sq_dimension": Fraction(str(th.sq_dim_parity.subs(sm, m))),
                 "query_bound": int(th.query_bound_parity.subs({sm: m, stau: sp.Rational(tau.numerator, tau.denominator)}))}
    measured = {"max_offdiag_corr": max_off, "sq_dimension": sq.lower if sq.exact else [sq.lower, sq.upper],
                "query_bound": _int_or_inf(qb)}
    ok = diag_ok and measured == predicted
    err = 0 if ok else 1
    return InstanceResult(params, predicted, measured, err, 0, _verdict(ok),
                          f"{N}x{N} correlation matrix by enumeration in {time.perf_counter() - t0:.2f} s; "
                          f"e_max={res.max_eliminated} concepts ruled out per STAT({tau}) query")


register(Claim(
    id="lower.sq-dimension", paper=PAPER, statement=th.L1_statement,
    instances=_l1_instances, check=_l1_check, tolerance=EXACT,
    description="Parities χ_S on uniform {0,1}^m are pairwise uncorrelated (computed), so SQ-DIM = 2^m; "
                "an exact-identification STAT(τ) learner needs ⌈(2^m−1)/(⌈1/τ²⌉−1)⌉ queries (Bessel)."))


# ============================================================================ L2 lower.sda-average
def _l2_instances(quick):
    out = [{"group": "z2", "m": k, "gamma": "1/16"} for k in (range(1, 10) if quick else range(1, 13))]
    out += [{"group": "z2", "K": K, "gamma": "1/16"} for K in ((4, 8) if quick else (3, 5, 7, 9, 11))]
    out += [{"group": "s3", "m": k, "gamma": "1"} for k in (range(1, 9) if quick else range(1, 13))]
    if not quick:
        out += [{"group": "s3", "m": k, "gamma": "1/4"} for k in (10, 11)]
    return out


def _l2_check(params, seed):
    group = get_group(params["group"])
    m = int(params["m"]) if "m" in params else int(params["K"]) - 1
    gam = Fraction(params["gamma"])
    g_sym = sp.Rational(gam.numerator, gam.denominator)
    t0 = time.perf_counter()
    corr = correlation_matrix(group, m)
    res = sda(corr, gam)
    measured_sda = _int_or_inf(res.lower) if res.exact else [_int_or_inf(res.lower), _int_or_inf(res.upper)]
    if group.name == "Z2":
        pred = int(th.sda_parity.subs({sm: m, th.gamma_bar: g_sym}))
        ok = res.exact and res.lower == pred
        return InstanceResult(params, {"sda": pred}, {"sda": measured_sda}, 0 if ok else abs(res.lower - pred), 0,
                              _verdict(ok), f"m={m}, N={corr.N}, s*={res.s_star}; {time.perf_counter() - t0:.2f} s")
    R = max_row_abs_sum(corr)
    rowsum_bound = int(th.sda_rowsum_bound.subs({th.N_concepts: corr.N, th.R_rowsum: sp.Rational(R.numerator, R.denominator),
                                                 th.gamma_bar: g_sym}))
    conj_R = Fraction(7) * Fraction(3, 2) ** (m - 1)
    conj_bound = int(th.sda_s3_bound.subs({sm: m, th.gamma_bar: g_sym}))
    ok = (R <= conj_R) and res.lower >= rowsum_bound and res.lower >= conj_bound
    predicted = {"sda_at_least": conj_bound, "R_at_most": conj_R}
    measured = {"sda": measured_sda, "R": R, "rowsum_bound": rowsum_bound}
    return InstanceResult(params, predicted, measured, 0 if ok else 1, 0, _verdict(ok),
                          f"N={corr.N}; SDA certified in [{_int_or_inf(res.lower)}, {_int_or_inf(res.upper)}] "
                          f"(s*={res.s_star}; witness of size {res.witness_size} with rho={float(res.witness_rho):.4g}); "
                          f"{time.perf_counter() - t0:.2f} s")


register(Claim(
    id="lower.sda-average", paper=PAPER, statement=th.L2_statement,
    instances=_l2_instances, check=_l2_check, tolerance=EXACT,
    description="SDA (Feldman, Grigorescu, Reyzin, Vempala, Xiao 2017; decision-problem form, ρ with the diagonal) "
                "computed exactly: parity = ⌈2^m/(⌈1/γ̄⌉−1)⌉−1 (exponential in m and "
                "in K = m+1); S_3 labels (answers compared for equality): certified lower bound ≥ the row-sum bound "
                "and R(m) ≤ 7(3/2)^(m−1), so SDA ≥ Ω(γ̄ (4/3)^m)."))


# ============================================================================ L3 lower.local-indistinguishable
def _l3_instances(quick):
    base = [{"m": 3, "flip": 1, "r": 1, "group": "z2"}, {"m": 4, "flip": 2, "r": 2, "group": "s3"},
            {"m": 5, "flip": 0, "r": 0, "group": "s3"}]
    if quick:
        return base
    return base + [{"m": 8, "flip": 5, "r": 3, "group": "s3"}, {"m": 6, "flip": 5, "r": 4, "group": "z2"},
                   {"m": 7, "flip": 3, "r": 2, "group": "s3", "base": "0101010"}]


def _l3_check(params, seed):
    m, flip, r = int(params["m"]), int(params["flip"]), int(params["r"])
    base = [int(c) for c in params["base"]] if "base" in params else None
    A, B, path = indistinguishable_pair(m, flip, r, params["group"], base)
    va, vb = view_bytes(view(A, path, "local", r)), view_bytes(view(B, path, "local", r))
    wa, wb = view_bytes(view(A, path, "local", r + 1)), view_bytes(view(B, path, "local", r + 1))
    ans_a, ans_b = A.answer(path), B.answer(path)
    # any learner that sees only the radius-r view answers both alike; three concrete ones (the last one
    # memorised task A's answer, so it attains the bound 1/2 exactly):
    learners = [local_learner_constant(True), local_learner_constant(False), lambda task, v: ans_a]
    errors = []
    for f in learners:
        out_a, out_b = f(A, view(A, path, "local", r)), f(B, view(B, path, "local", r))
        errors.append(Fraction(int(out_a != ans_a) + int(out_b != ans_b), 2))
    global_differs = view_bytes(view(A, path, "global")) != view_bytes(view(B, path, "global"))
    measured = {"views_equal": va == vb, "answers_differ": ans_a != ans_b, "min_local_error": min(errors),
                "global_views_differ": global_differs}
    predicted = {"views_equal": True, "answers_differ": True, "min_local_error": Fraction(str(th.local_error_lower)),
                 "global_views_differ": True}
    ok = (measured["views_equal"] and measured["answers_differ"] and measured["global_views_differ"]
          and measured["min_local_error"] >= predicted["min_local_error"])
    return InstanceResult(params, predicted, measured, 0 if ok else 1, 0, _verdict(ok),
                          f"K_A={A.chain.K}, K_B={B.chain.K}, path length {len(path) - 1}, view {len(va)} bytes; "
                          f"answers {ans_a.label} vs {ans_b.label}; radius-{r + 1} views "
                          f"{'differ' if wa != wb else 'ALSO EQUAL'}")


register(Claim(
    id="lower.local-indistinguishable", paper=PAPER, statement=th.L3_statement,
    instances=_l3_instances, check=_l3_check, tolerance=EXACT,
    description="Two chains (candidate e a true sparse edge vs a decoy inside one cluster) whose radius-r views "
                "of the path are byte-identical while the answers differ: every local learner errs w.p. ≥ 1/2."))


# ============================================================================ L4 lower.global-easy
def _l4_instances(quick):
    out = [{"kind": "candidates", "m": 6, "r": 1, "group": "s3", "paths": 20, "eps": "1/2"},
           {"kind": "ring", "K": 4, "M": 3, "group": "s3", "paths": 20, "eps": "1/2"}]
    if quick:
        return out
    return out + [{"kind": "candidates", "m": 10, "r": 2, "group": "s3", "paths": 40, "eps": "1/2"},
                  {"kind": "candidates", "m": 8, "r": 1, "group": "z2", "paths": 40, "eps": "1/2"},
                  {"kind": "uniform-escape", "K": 5, "M": 3, "group": "s3", "paths": 40, "eps": "1/2"}]


def _l4_check(params, seed):
    rng = np.random.default_rng(seed)
    if params["kind"] == "candidates":
        mask = [int(v) for v in rng.integers(0, 2, size=int(params["m"]))]
        task = candidate_task(mask, int(params["r"]), params["group"])
    elif params["kind"] == "ring":
        task = labelled_family_task(ring(int(params["K"]), int(params["M"])), params["group"], seed)
    else:
        task = labelled_family_task(uniform_escape(int(params["K"]), int(params["M"])), params["group"], seed)
    paths = task.sample_paths(int(params["paths"]), params["eps"], seed)
    learner = global_learner(task)
    errors, linear = 0, True
    for p in paths:
        g, mults = learner(p)
        errors += int(g != task.answer(p))
        linear &= mults == th.global_cost.subs(th.L_path, len(p) - 1)  # L multiplications for L transitions
    distinct = len({task.answer(p) for p in paths})
    measured = {"errors": errors, "multiplications_equal_path_length": linear,
                "E_s_recovered": sorted(learner.sparse_edges) == sorted(task.sparse_edges)}
    predicted = {"errors": 0, "multiplications_equal_path_length": True, "E_s_recovered": True}
    ok = measured == predicted
    lens = [len(p) - 1 for p in paths]
    return InstanceResult(params, predicted, measured, errors, 0, _verdict(ok),
                          f"{len(paths)} paths, lengths {min(lens)}..{max(lens)}, {distinct} distinct answer(s); "
                          f"|E_s|={len(task.sparse_edges)}")


register(Claim(
    id="lower.global-easy", paper=PAPER, statement=th.L4_statement,
    instances=_l4_instances, check=_l4_check, tolerance=EXACT,
    description="Given the whole model, E_s = edges between closed classes of P0; the answer of every sampled path "
                "is then its ordered label product, one multiplication per transition, with 0 errors."))


# ============================================================================ L5 lower.learner-demo
def _l5_instances(quick):
    ms = (6, 8) if quick else (6, 8, 10)
    return [{"m": k, "tau": "1/4", "global_targets": 8 if quick else 16} for k in ms]


def _l5_check(params, seed):
    m, tau = int(params["m"]), Fraction(params["tau"])
    curve = simulate_learners(m, tau, seed=seed)
    N = 1 << m
    below = all(s <= b for s, b in zip(curve.sweep_success, curve.bound))
    fails_before_bound = all(s < 1 for q, s in zip(curve.budgets, curve.sweep_success) if q < curve.query_bound)
    # global learner: reads E_s from the whole model of a candidate chain with target mask S
    rng = np.random.default_rng(seed + 1)
    targets = rng.choice(N, size=min(int(params["global_targets"]), N), replace=False)
    g_ok = 0
    for S in targets:
        mask = [(int(S) >> e) & 1 for e in range(m)]
        task = candidate_task(mask, 1, "z2")
        found = global_learner(task).sparse_edges
        S_hat = sum(1 << e for e, c in enumerate(task.candidates) if c in found)
        g_ok += int(S_hat == int(S))
    g_rate = Fraction(g_ok, len(targets))
    measured = {"success_within_bound": below, "fails_below_query_bound": fails_before_bound,
                "global_success": g_rate,
                "curve": {str(q): s for q, s in zip(curve.budgets, curve.sweep_success)}}
    predicted = {"success_within_bound": True, "fails_below_query_bound": True, "global_success": Fraction(1),
                 "curve": {str(q): b for q, b in zip(curve.budgets, curve.bound)}}
    ok = below and fails_before_bound and g_rate == 1
    return InstanceResult(params, predicted, measured, 0 if ok else 1, 0, _verdict(ok),
                          f"N={N}, e_max={curve.e_max}, query bound {curve.query_bound}; predicted = upper bound "
                          f"min(1,(q·e_max+1)/N) on success, measured = sweep learner (all {N} targets)")


register(Claim(
    id="lower.learner-demo", paper=PAPER, statement=th.L5_statement,
    instances=_l5_instances, check=_l5_check, tolerance=EXACT,
    description="A seeded SQ learner through the adversarial STAT(τ) oracle stays below the success bound "
                "(q·e_max+1)/N and cannot identify S with fewer queries than L1's bound; the global learner succeeds."))
