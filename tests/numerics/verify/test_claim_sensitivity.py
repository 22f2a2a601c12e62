"""Mutation audit: every built-in claim's check CAN fail (developers' guide: "a check that cannot fail is a
defect").

For each of the 26 claims we run the claim's own `check(params, seed)` on one of its quick instances
(`claim.instances(True)`, seed as `metacot verify --quick` derives it) twice:
  * unmutated: the verdict must be "holds" (or, for the four claims that fail on purpose, holding instances
    hold and the counterexample instances fail);
  * with the PREDICTION side deliberately wrong by a small but real amount — a theory expression / constant
    the check imports (theory.*), or the numerics helper the check uses for the prediction, as imported in the
    claim module — and the verdict must become "fails".
Exact checks are mutated by a relative 1e-6 (or +1 for integer-valued closed forms); statistical checks by a
factor outside their stated tolerance (10% unless noted). Where a check's prediction is written inline (no theory
expression or helper to patch) the measured side is perturbed instead; the comparison is symmetric, so this
still shows the check can fail. `monkeypatch` undoes every patch after each test.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import metacot.numerics.algorithms.distill
import metacot.numerics.solvers.meta_chain
import metacot.numerics.lower_bounds.sq
from metacot.numerics.verify.registry import load_builtin_claims
from metacot.numerics.verify.runner import instance_seed

import metacot.numerics.verify.claims.distill as cdistill
import metacot.numerics.verify.claims.hitting as chitting
import metacot.numerics.verify.claims.ppo as cppo
import metacot.numerics.verify.claims.pretrain as cpretrain
import metacot.numerics.verify.claims.search as csearch
from metacot.theory import distillation as tdist
from metacot.theory import hitting as thit
from metacot.theory import lower_bounds as tlow
from metacot.theory import search as tsearch

REL = Fraction(1_000_001, 1_000_000)   # exact mutation factor 1 + 1e-6
SREL = sp.Rational(1_000_001, 1_000_000)


def _claim(cid):
    return load_builtin_claims()[cid]


def run(cid, idx, expect_kind=None):
    """Run quick instance `idx` of claim `cid` with the seed `verify --quick` (seed 0) gives it."""
    c = _claim(cid)
    params = c.instances(True)[idx]
    if expect_kind is not None:
        for k, v in expect_kind.items():
            assert params.get(k) == v, f"{cid} quick instance {idx} is {params}, expected {expect_kind}"
    return c.check(dict(params), instance_seed(0, cid, idx))


def run_full(cid, idx, expect_kind=None):
    """Run FULL-set instance `idx` of claim `cid` (`claim.instances(False)`) with the seed `metacot verify` (seed 0)
    gives it."""
    c = _claim(cid)
    params = c.instances(False)[idx]
    if expect_kind is not None:
        for k, v in expect_kind.items():
            assert params.get(k) == v, f"{cid} full instance {idx} is {params}, expected {expect_kind}"
    return c.check(dict(params), instance_seed(0, cid, idx))


def assert_full_mutations_fail(monkeypatch, cid, idx, mutations, expect_kind=None):
    """Unmutated full-set instance holds; each mutation [(obj, name, value), ...] makes it fail."""
    base = run_full(cid, idx, expect_kind)
    assert base.verdict == "holds", (cid, idx, base.verdict, base.note)
    for patches in mutations:
        with monkeypatch.context() as m:
            for obj, name, value in patches:
                m.setattr(obj, name, value)
            res = run_full(cid, idx, expect_kind)
        assert res.verdict == "fails", (cid, idx, "mutation not detected", res.error, res.tolerance, res.note)
    return base


def scale(x, f):
    """Multiply every number in a (nested list / ndarray / scalar) structure by f (Fraction f for Fractions)."""
    if isinstance(x, np.ndarray):
        return x * float(f)
    if isinstance(x, (list, tuple)):
        return type(x)(scale(v, f) for v in x)
    if isinstance(x, Fraction):
        return x * Fraction(f)
    if isinstance(x, (int, float, np.floating, np.integer)):
        return x * f if isinstance(f, Fraction) and isinstance(x, int) else float(x) * float(f)
    return x


def scaled(fn, f):
    def wrapper(*a, **k):
        return scale(fn(*a, **k), f)
    return wrapper


def assert_mutation_fails(monkeypatch, cid, idx, patches, expect_kind=None):
    """Unmutated instance holds; with `patches` [(obj, name, value)] applied it fails."""
    base = run(cid, idx, expect_kind)
    assert base.verdict == "holds", (cid, idx, base.verdict, base.note)
    for obj, name, value in patches:
        monkeypatch.setattr(obj, name, value)
    res = run(cid, idx, expect_kind)
    assert res.verdict == "fails", (cid, idx, "mutation not detected", res.error, res.tolerance, res.note)
    return base, res


# ============================================================================ hitting.*
def test_hitting_leading_order(monkeypatch):
    assert_mutation_fails(monkeypatch, "hitting.leading-order", 4,
                          [(chitting, "meta_hitting_times", scaled(chitting.meta_hitting_times, REL))])


@pytest.mark.parametrize("idx,name,value", [
    (0, "canonical_leading", thit.canonical_leading * SREL),                 # exact Laurent coefficient
    (6, "slope_eps", thit.slope_eps * sp.Rational(1001, 1000)),              # tolerance 1e-4 absolute
    (7, "slope_K_doubling", thit.slope_K_doubling * sp.Rational(100001, 100000)),  # tolerance 1e-6
    (8, "slope_M", thit.slope_M * sp.Rational(100001, 100000)),                    # tolerance 1e-6
])
def test_hitting_canonical(monkeypatch, idx, name, value):
    assert_mutation_fails(monkeypatch, "hitting.canonical", idx, [(thit, name, value)])


@pytest.mark.parametrize("idx,part,factor", [
    (0, "mean", REL),                  # exact eps^-1 coefficient vs 1/lambda_k
    (2, "survival", Fraction(101, 100)),  # a 1% error in lambda stops the O(eps) shrinking
    (4, "ks", Fraction(11, 10)),       # KS test at level 1%, 3000 walkers: a 10% error in lambda is rejected
])
def test_hitting_escape_law(monkeypatch, idx, part, factor):
    assert_mutation_fails(monkeypatch, "hitting.escape-law", idx,
                          [(chitting, "escape_rates", scaled(chitting.escape_rates, factor))], {"part": part})


def test_hitting_meta_chain(monkeypatch):
    # a 0.1% error in the meta generator L leaves an eps-independent error floor: the fitted slope collapses
    assert_mutation_fails(monkeypatch, "hitting.meta-chain", 0,
                          [(chitting, "meta_generator", scaled(chitting.meta_generator, Fraction(1001, 1000)))])


def test_hitting_meta_chain_slope_constant(monkeypatch):
    assert_mutation_fails(monkeypatch, "hitting.meta-chain", 0,
                          [(thit, "meta_chain_slope", sp.Rational(115, 100))])   # tolerance 0.1


def test_hitting_task_difficulty_ring(monkeypatch):
    # ring: equality D/lambda_max = (K-1)M/q; lambda off by 1e-6 breaks it
    assert_mutation_fails(monkeypatch, "hitting.task-difficulty", 0,
                          [(chitting, "escape_rates", scaled(chitting.escape_rates, REL))], {"family": "ring"})


def test_hitting_task_difficulty_random(monkeypatch):
    # inequality: shrink every lambda until the bound D/lambda_max exceeds the true coefficient by 1e-6
    base = run("hitting.task-difficulty", 2, {"family": "random"})
    assert base.verdict == "holds"
    f = Fraction(base.predicted) / Fraction(base.measured) / REL      # < 1
    monkeypatch.setattr(chitting, "escape_rates", scaled(chitting.escape_rates, f))
    assert run("hitting.task-difficulty", 2).verdict == "fails"


# ============================================================================ search.*
def test_search_recovery_closed_form(monkeypatch):
    # the exact no-cover enumeration is cross-checked against the closed form: 1e-6 off fails
    assert_mutation_fails(monkeypatch, "search.recovery", 1,
                          [(tsearch, "nocover_complete", tsearch.nocover_complete * SREL)])


def test_search_recovery_bound(monkeypatch):
    # upper bound R(N T0 eps q_max + P_nocover) = 0.384 vs true rate ~0.08 at T0 = 64 (a union bound, slack ~5x):
    # it fails once the bound is below the 99.9% lower Clopper-Pearson limit (~0.04), here merge bound / 20
    assert_mutation_fails(monkeypatch, "search.recovery", 2,
                          [(csearch, "merge_bound", scaled(csearch.merge_bound, Fraction(1, 20)))], {"T0": 64})


def test_search_cost_round(monkeypatch):
    # quick instance (256 searches): 3.29 se ~ 10% of the prediction, a 10% error is not reliably resolved
    # (≥ 99.9% power needs 6.38 se ~ 20%): 30% error in lambda_k (prediction -23%)
    assert_mutation_fails(monkeypatch, "search.cost", 0,
                          [(metacot.numerics.solvers.meta_chain, "escape_rates", scaled(metacot.numerics.solvers.meta_chain.escape_rates, Fraction(13, 10)))],
                          {"check": "round"})


@pytest.mark.parametrize("factor", [sp.Rational(11, 10), sp.Rational(9, 10)])
def test_search_cost_total(monkeypatch, factor):
    # 1024 searches: 3.29 se ~ 5% of the prediction, so a 10% error either way fails
    assert_mutation_fails(monkeypatch, "search.cost", 1,
                          [(tsearch, "cost_total_ring_all_edges", tsearch.cost_total_ring_all_edges * factor)],
                          {"check": "total-all-edges"})


def test_search_cost_counterexample_and_path():
    assert run("search.cost", 2, {"check": "total-spec"}).verdict == "fails"    # spec counts K-1 rounds, ring has K edges
    assert run("search.cost", 3, {"check": "total-path"}).verdict == "holds"


def test_search_cost_slope(monkeypatch):
    # predicted slope in K raised by 0.5 (K^(1/2) factor); the quick fitted-slope tolerance is ~0.06 here
    assert_mutation_fails(monkeypatch, "search.cost", 4,
                          [(tsearch, "cost_total_ring_all_edges",
                            tsearch.cost_total_ring_all_edges * sp.sqrt(tsearch.K))], {"vary": "K"})


def test_search_rounds(monkeypatch):
    c = _claim("search.rounds")
    verdicts = [run("search.rounds", i).verdict for i in range(len(c.instances(True)))]
    kinds = [p["check"] for p in c.instances(True)]
    for k, v in zip(kinds, verdicts):
        assert v == ("fails" if k in ("uniform-coupon-spec", "ring-spec") else "holds"), (k, v)
    # K = 2: the edge-cover time is exactly 2 (se 0): a 1e-6 error in the exact expectation fails
    monkeypatch.setattr(csearch, "edge_cover_expectation", scaled(csearch.edge_cover_expectation, REL))
    assert run("search.rounds", 0, {"check": "uniform-exact-vs-mc", "K": 2}).verdict == "fails"


def test_search_rounds_ring(monkeypatch):
    assert_mutation_fails(monkeypatch, "search.rounds", 5,
                          [(tsearch, "rounds_ring_all_edges", tsearch.rounds_ring_all_edges * SREL)],
                          {"check": "ring-all-edges"})


# ---------------------------------------------------------------- search.cost FULL set: a 10% error is resolved
# (3.29 + 3.09) se ≤ 10% of the prediction (≥ 99.9% power at 99.9% confidence); each run takes 2-9 s
TEN = [sp.Rational(11, 10), sp.Rational(9, 10)]


@pytest.mark.slow
@pytest.mark.parametrize("idx,family", [(0, "ring"), (7, "random")])
def test_search_cost_round_full(monkeypatch, idx, family):
    # the per-round prediction N·T0 + 1/(ε λ) (metacot.theory.search.cost_round) 10% too high / too low; 3.29 se ≈ 4.2%
    assert_full_mutations_fail(monkeypatch, "search.cost", idx,
                               [[(tsearch, "cost_round", tsearch.cost_round * f)] for f in TEN],
                               {"check": "round", "family": family})


@pytest.mark.slow
def test_search_cost_total_full(monkeypatch):
    # ring(6, 4), ε = 1e-4, 1024 searches: 3.29 se ≈ 4.3% of the predicted total K(N·T0 + M/(qε))
    assert_full_mutations_fail(monkeypatch, "search.cost", 8,
                               [[(tsearch, "cost_total_ring_all_edges", tsearch.cost_total_ring_all_edges * f)]
                                for f in TEN], {"check": "total-all-edges", "K": 6})


@pytest.mark.slow
@pytest.mark.parametrize("idx,vary,var", [(4, "K", tsearch.K), (5, "M", tsearch.M), (6, "inv_eps", 1 / tsearch.eps)])
def test_search_cost_slope_full(monkeypatch, idx, vary, var):
    # predicted slope ± 0.1 (a factor var^(±1/10) on the predicted total; 10% of the slope ≈ 1); tolerance
    # 3.29·se(slope) ≈ 0.034 on the full grids [2, 8, 32] / [500, 2000, 8000]
    assert_full_mutations_fail(monkeypatch, "search.cost", idx,
                               [[(tsearch, "cost_total_ring_all_edges",
                                  tsearch.cost_total_ring_all_edges * var ** e)]
                                for e in (sp.Rational(1, 10), -sp.Rational(1, 10))],
                               {"check": "slope", "vary": vary})


@pytest.mark.parametrize("idx,patch", [
    (0, lambda mp: mp.setattr(metacot.numerics.solvers.meta_chain, "meta_hitting_times", scaled(metacot.numerics.solvers.meta_chain.meta_hitting_times, REL))),
    (1, lambda mp: mp.setattr(tsearch, "h_meta_prm_canonical", tsearch.h_meta_prm_canonical * SREL)),
    (2, lambda mp: mp.setattr(tsearch, "gain_limit", tsearch.gain_limit * SREL)),
    (6, lambda mp: mp.setattr(tsearch, "gain_limit", tsearch.gain_limit * sp.Rational(1001, 1000))),  # tol 3.3e-4
])
def test_search_prm_gain(monkeypatch, idx, patch):
    base = run("search.prm-gain", idx)
    assert base.verdict == "holds"
    patch(monkeypatch)
    assert run("search.prm-gain", idx).verdict == "fails"


# ============================================================================ distill.*
def test_distill_escape_preserved_symbolic(monkeypatch):
    orig = tdist.escape_identity_residual
    assert_mutation_fails(monkeypatch, "distill.escape-preserved", 0,
                          [(tdist, "escape_identity_residual",
                            lambda rows=3: [r + sp.Rational(1, 10**6) for r in orig(rows)])])


def test_distill_escape_preserved_identity(monkeypatch):
    orig = cdistill.fit_meta_kernel

    def fit(counts):                       # the "before" escape law (the prediction) off by 1e-6
        f = orig(counts)
        law = scale(f.escape_law(), REL)
        object.__setattr__(f, "escape_law", lambda: law)
        return f
    assert_mutation_fails(monkeypatch, "distill.escape-preserved", 1, [(cdistill, "fit_meta_kernel", fit)],
                          {"kind": "identity"})


def _move_escape_mass(fraction):
    """stationary_label_kernel with `fraction` of p_ε(k,l1) moved to p_ε(k,l2) in every row k whose first two
    other clusters l1, l2 both have positive mass (and l2 enough of it): J^ε(k,l1) = p_ε(k,l1)/(1 − p_ε(k,k)) is
    off by exactly −fraction (relative), J^ε(k,l2) by the compensating amount; rows stay stochastic. Rows with a
    structural zero are left alone, so no entry gets an infinite relative error."""
    orig = cdistill.stationary_label_kernel

    def wrong(chain, eps, *a, **k):
        p, mass = orig(chain, eps, *a, **k)
        p = [list(r) for r in p]
        changed = 0
        for kk, row in enumerate(p):
            l1, l2 = [l for l in range(len(row)) if l != kk][:2]
            d = row[l1] * fraction
            if row[l1] > 0 and row[l2] > 0 and row[l2] + d > 0:
                row[l1] -= d
                row[l2] += d
                changed += 1
        assert changed, "the mutation changed no row"
        return p, mass
    return wrong


def test_distill_escape_preserved_convergence(monkeypatch):
    # move 20% of the exact limit escape law J^eps of every cluster from one target to the other (rows stay
    # stochastic); both the RMS rate check (alone it resolves ~15% errors in J^eps here) and the pooled z-test fail
    assert_mutation_fails(monkeypatch, "distill.escape-preserved", 2,
                          [(cdistill, "stationary_label_kernel", _move_escape_mass(Fraction(1, 5)))],
                          {"kind": "convergence"})


@pytest.mark.parametrize("idx,T,family", [
    (2, 15000, "uniform-escape"),
    (3, 60000, "uniform-escape"),
    (7, 20000, "random"),
    pytest.param(8, 80000, "random", marks=pytest.mark.slow),            # ~2 s per run, 3 runs
    pytest.param(6, 240000, "uniform-escape", marks=pytest.mark.slow),   # ~6 s per run
])
def test_distill_escape_preserved_convergence_full(monkeypatch, idx, T, family):
    # FULL-set convergence instances: a 10% error in J^ε (either direction) fails; the pooled escape law has
    # SE ≤ 1.2% of J^ε on every entry (measured over 4 seeds), so (4 + 3.09)·SE ≤ 8.5% < 10%
    assert_full_mutations_fail(monkeypatch, "distill.escape-preserved", idx,
                               [[(cdistill, "stationary_label_kernel", _move_escape_mass(f))]
                                for f in (Fraction(1, 10), Fraction(-1, 10))],
                               {"kind": "convergence", "T": T, "family": family})


def test_distill_per_step_meta(monkeypatch):
    # meta rates 0.1% off: the relative bias p_eps/(eps r) - 1 no longer shrinks with eps
    assert_mutation_fails(monkeypatch, "distill.per-step-meta", 0,
                          [(cdistill, "meta_rates", scaled(cdistill.meta_rates, Fraction(1001, 1000)))])


def test_distill_order_k(monkeypatch):
    assert run("distill.order-K", 3, {"kind": "learned-limit", "family": "ring"}).verdict == "holds"
    assert run("distill.order-K", 4, {"family": "equal-rates-4"}).verdict == "fails"    # the counterexample
    assert_mutation_fails(monkeypatch, "distill.order-K", 0,
                          [(tdist, "ring_distilled_steps", tdist.ring_distilled_steps * SREL)],
                          {"kind": "exact-meta", "family": "ring"})


def test_distill_order_k_bound(monkeypatch):
    # inequality E_dist <= (1 + 1/b) h^jump: a bound 1e-6 below the largest E_dist fails
    base = run("distill.order-K", 1, {"kind": "exact-meta"})
    assert base.verdict == "holds"
    f = Fraction(base.measured) / Fraction(base.predicted) / REL
    monkeypatch.setattr(cdistill, "jump_hitting_times", scaled(cdistill.jump_hitting_times, f))
    assert run("distill.order-K", 1).verdict == "fails"


def test_distill_order_k_estimated(monkeypatch):
    assert_mutation_fails(monkeypatch, "distill.order-K", 5,
                          [(cdistill, "jump_hitting_times", scaled(cdistill.jump_hitting_times, Fraction(9, 10)))],
                          {"kind": "estimated"})


@pytest.mark.parametrize("idx,factor", [(0, REL), (2, REL), (3, Fraction(11, 10))])
def test_distill_timescale(monkeypatch, idx, factor):
    assert_mutation_fails(monkeypatch, "distill.timescale", idx,
                          [(cdistill, "meta_hitting_times", scaled(cdistill.meta_hitting_times, factor))])


def test_distill_compression_parameters(monkeypatch):
    assert_mutation_fails(monkeypatch, "distill.compression", 0,
                          [(tdist, "compression_factor", tdist.compression_factor * SREL)])


def test_distill_compression_sampling(monkeypatch):
    # exact expected steps (the prediction) 5% off; tolerance 4 se ~ 1% of it
    orig = metacot.numerics.algorithms.distill.DistilledModel.expected_steps
    assert_mutation_fails(monkeypatch, "distill.compression", 1,
                          [(metacot.numerics.algorithms.distill.DistilledModel, "expected_steps",
                            lambda self, *a, **k: orig(self, *a, **k) * Fraction(105, 100))], {"kind": "sampling"})


# ============================================================================ lower.*
@pytest.mark.parametrize("name,value", [
    ("sq_dim_parity", tlow.sq_dim_parity * SREL),
    ("parity_offdiag_correlation", sp.Rational(1, 10**6)),
    ("query_bound_parity", tlow.query_bound_parity + 1),
])
def test_lower_sq_dimension(monkeypatch, name, value):
    assert_mutation_fails(monkeypatch, "lower.sq-dimension", 3, [(tlow, name, value)])


def test_lower_sda_average_parity(monkeypatch):
    assert_mutation_fails(monkeypatch, "lower.sda-average", 3, [(tlow, "sda_parity", tlow.sda_parity + 1)],
                          {"group": "z2"})


def test_lower_sda_average_s3(monkeypatch):
    # certified SDA lower limit >= row-sum bound: a bound one above the certified value fails
    base = run("lower.sda-average", 13, {"group": "s3"})
    assert base.verdict == "holds"
    sda_lo = base.measured["sda"] if isinstance(base.measured["sda"], int) else base.measured["sda"][0]
    monkeypatch.setattr(tlow, "sda_rowsum_bound",
                        tlow.sda_rowsum_bound + (sda_lo - base.measured["rowsum_bound"] + 1))
    assert run("lower.sda-average", 13).verdict == "fails"


def test_lower_local_indistinguishable(monkeypatch):
    assert_mutation_fails(monkeypatch, "lower.local-indistinguishable", 0,
                          [(tlow, "local_error_lower", tlow.local_error_lower * SREL)])


def test_lower_global_easy(monkeypatch):
    assert_mutation_fails(monkeypatch, "lower.global-easy", 1, [(tlow, "global_cost", tlow.global_cost + 1)])


def test_lower_learner_demo(monkeypatch):
    # the sweep learner attains the success bound min(1, (q e_max + 1)/N) somewhere: 1e-6 lower fails
    orig = metacot.numerics.lower_bounds.sq.success_upper_bound
    assert_mutation_fails(monkeypatch, "lower.learner-demo", 0,
                          [(metacot.numerics.lower_bounds.sq, "success_upper_bound", lambda *a: orig(*a) / REL)])


# ============================================================================ ppo.*
def test_ppo_geometric_growth_exact(monkeypatch):
    orig = cppo.predicted_iterations          # n* one too many: the iteration count and p_n must disagree
    assert_mutation_fails(monkeypatch, "ppo.geometric-growth", 0,
                          [(cppo, "predicted_iterations", lambda *a: orig(*a) + 1)], {"inner": "exact"})


def test_ppo_geometric_growth_sign(monkeypatch):
    # sign inner loop: measured per-iteration ratios lie in [1.286, 1.349] inside the band [1.25, 1.3815]; a band
    # whose upper end is 3% too low fails (the n* count is only an upper bound here, with slack)
    th = cppo.th
    assert_mutation_fails(monkeypatch, "ppo.geometric-growth", 2,
                          [(th, "sign_band", th.sp.Interval(1 + th.c, (1 + th.c) * th.sp.exp(2 * th.eta) * 97 / 100))],
                          {"inner": "sign"})


def test_ppo_geometric_growth_sign_sparse(monkeypatch):
    # sign-sparse (only found logits move): ratios in [1.2546, 1.3026] inside [1.25, (1+c)e^eta = 1.3141]; a band
    # 1% lower at the top fails, and so does a closed-form ratio e^{k h}/(1 - s + s e^{k h}) 1e-6 off
    th = cppo.th
    assert_mutation_fails(monkeypatch, "ppo.geometric-growth", 3,
                          [(th, "sign_sparse_band", th.sp.Interval(1 + th.c, (1 + th.c) * th.sp.exp(th.eta) * 99 / 100))],
                          {"inner": "sign-sparse"})
    monkeypatch.undo()
    orig = cppo.sign_iteration_ratio
    assert_mutation_fails(monkeypatch, "ppo.geometric-growth", 3,
                          [(cppo, "sign_iteration_ratio", lambda *a: (orig(*a)[0] * 1.000001,) + orig(*a)[1:])],
                          {"inner": "sign-sparse"})


def test_ppo_preserves_dense(monkeypatch):
    assert run("ppo.preserves-dense", 1).verdict == "holds"
    assert run("ppo.preserves-dense", 2, {"inner": "gd"}).verdict == "fails"   # the gradient-ascent counterexample
    # weighted TV = 99/3001 vs bound n_out eps_max/M = 1/30 (slack 1%): a bound 2% lower fails
    assert_mutation_fails(monkeypatch, "ppo.preserves-dense", 0,
                          [(cppo.th, "tv_weighted_bound", cppo.th.tv_weighted_bound * sp.Rational(98, 100))])


def test_ppo_internalises_prm(monkeypatch):
    # h^meta_PRM 1e-4 off: the relative error of eps_max E[tau] stops shrinking 10x per decade
    assert_mutation_fails(monkeypatch, "ppo.internalises-prm", 0,
                          [(cppo, "meta_hitting_times", scaled(cppo.meta_hitting_times, Fraction(10001, 10000)))])


def test_ppo_no_false_edges(monkeypatch):
    assert_mutation_fails(monkeypatch, "ppo.no-false-edges", 0,
                          [(cppo.th, "ppo_final_share",
                            sp.Eq(cppo.th.p_final, cppo.th.ppo_final_share.rhs * SREL))])


# ============================================================================ pretrain.*
def test_pretrain_spurious_decay_asymptotic(monkeypatch):
    # prediction d+/(n eta mu t) is inline: perturb the measured p-hat by 5% (tolerance 2% on the ratio)
    orig = cpretrain.row_gd_trajectory

    def traj(*a, **k):
        out = orig(*a, **k)
        return {t: [v * 105 / 100 for v in row] for t, row in out.items()}
    assert_mutation_fails(monkeypatch, "pretrain.spurious-decay", 0, [(cpretrain, "row_gd_trajectory", traj)],
                          {"kind": "asymptotic"})


def test_pretrain_spurious_decay_prune(monkeypatch):
    # prediction 2 d+/(n eta mu eps q_min) is inline: a measured T1 10% above it leaves the band [(d+-s)/d+, 1]
    orig = cpretrain.clean_prune_time
    base = run("pretrain.spurious-decay", 1, {"kind": "prune"})
    assert base.verdict == "holds"
    monkeypatch.setattr(cpretrain, "clean_prune_time",
                        lambda *a, **k: (int(base.predicted * 1.1) + 1, orig(*a, **k)[1]))
    assert run("pretrain.spurious-decay", 1).verdict == "fails"


def test_pretrain_two_stage(monkeypatch):
    orig = cpretrain.slowest_mode_rates

    def rates(*a, **k):
        lam, r = orig(*a, **k)
        return lam, r * 1.05                     # predicted local rate 5% off; tolerance 1%
    assert_mutation_fails(monkeypatch, "pretrain.two-stage", 0, [(cpretrain, "slowest_mode_rates", rates)])


def test_pretrain_recovers_kernel(monkeypatch):
    orig = cpretrain.hitting_time

    def ht(*a, method="auto", **k):              # the exact E_p[tau] (the prediction) 1e-6 off
        v = orig(*a, method=method, **k)
        return v * REL if method == "exact" else v
    assert_mutation_fails(monkeypatch, "pretrain.recovers-kernel", 0, [(cpretrain, "hitting_time", ht)])
