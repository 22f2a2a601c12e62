"""Meta-chain distillation (spec 04, Alg. 4): labelling, data, fit, rescaling, distilled chain, CLI, claims."""
import json
import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.cli.main import main
from metacot.numerics.algorithms.distill import (Labelling, LabellingError, auto_scale, compress, cross_entropy, distill,
                              distillation_pairs, distilled_model, escape_error_ratio, exact_meta_kernel,
                              fit_logits_gd, fit_meta_kernel, generate_data, learned_escape_law,
                              learned_steps_rational, limit_visit_sum, order_k_expansion, order_k_terms,
                              pooled_kernel_estimate, pooled_ratio_estimate, relative_spread_estimate,
                              rescale_kernel, rescale_logits, scale_from_beta, softmax_rows, stationary_label_kernel,
                              stationary_label_kernel_rational, timescale_estimate, transition_counts)
from metacot.numerics.errors import InsufficientDataError, MetacotError
from metacot.numerics.families import equal_rates_4, family_chain, random_chain, ring, uniform_escape
from metacot.numerics.io import save_chain
from metacot.numerics.solvers.meta_chain import escape_rates, jump_hitting_times, meta_hitting_times
from strategies import chains
from metacot.theory import distillation as th
from metacot.theory.symbols import K as K_sym, M as M_sym, b as b_sym, eps as eps_sym, q as q_sym


def exact_steps_sympy(kernel, k_in, k_out):
    """Independent check: solve (I − Q) h = 1 on the non-target states with sympy's exact LU."""
    K = len(kernel)
    idx = [k for k in range(K) if k != k_out]
    A = sp.Matrix([[sp.Rational(int(k == l)) - sp.Rational(kernel[k][l].numerator, kernel[k][l].denominator)
                    for l in idx] for k in idx])
    h = A.LUsolve(sp.ones(len(idx), 1))
    v = h[idx.index(k_in)]
    return F(int(v.p), int(v.q))


@st.composite
def stochastic_kernels(draw, min_k=2, max_k=4):
    """Random exact K×K stochastic matrices with positive diagonal and some escape in every row."""
    K = draw(st.integers(min_k, max_k))
    rows = []
    for k in range(K):
        w = [draw(st.integers(0, 5)) for _ in range(K)]
        w[k] = draw(st.integers(1, 50))
        w[(k + 1) % K] = max(w[(k + 1) % K], 1)
        tot = sum(w)
        rows.append([F(x, tot) for x in w])
    return rows


# ----------------------------------------------------------------------------- labelling and compression
def test_labelling_from_chain_and_compress():
    c = ring(3, 2)
    lab = Labelling.from_chain(c)
    assert lab.K == 3 and lab.n == 6 and lab.source == "ground truth"
    assert lab.compress(np.array([0, 1, 2, 5, 4])).tolist() == [0, 0, 1, 2, 2]
    assert lab(3) == 1
    assert lab.matching([[4, 5], [0, 1], [2, 3]]) == [1, 2, 0]
    assert lab.matching([[0, 1, 2, 3], [4, 5]]) is None


@pytest.mark.parametrize("sets, message", [
    ([[0, 1], [2]], "does not cover state 3"),
    ([[0, 1], [1, 2, 3]], "state 1 is in clusters 0 and 1"),
    ([[0, 1, 2, 3], []], "cluster 1 of the labelling is empty"),
    ([[0, 1, 2, 3, 7]], "outside 0..3"),
    ([[0, 1.5, 2, 3]], "not a state index"),
    ([], "no clusters"),
])
def test_bad_labellings_are_clear_errors(sets, message):
    with pytest.raises(LabellingError, match=message):
        Labelling.from_sets(sets, 4)


def test_compress_rejects_states_outside_the_labelling():
    lab = Labelling.from_sets([[0, 1], [2]], 3)
    with pytest.raises(LabellingError, match="state 5"):
        compress([0, 5], lab)


def test_pairs_and_counts_by_hand():
    y = np.array([0, 0, 1, 1, 0, 2])
    assert distillation_pairs(y).tolist() == [[0, 0], [0, 1], [1, 1], [1, 0], [0, 2]]
    assert transition_counts(y, 3).tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    # several sequences: pairs never straddle two sequences
    assert transition_counts([[0, 1], [1, 0]], 2).tolist() == [[0, 1], [1, 0]]
    assert distillation_pairs([3]).shape == (0, 2)


# ----------------------------------------------------------------------------- the fit
def test_closed_form_fit_is_exact_frequencies():
    fit = fit_meta_kernel(np.array([[6, 2], [1, 3]]))
    assert fit.probs == [[F(3, 4), F(1, 4)], [F(1, 4), F(3, 4)]]
    assert fit.occupancy == [8, 4] and fit.escapes == [2, 1]
    assert fit.escape_law() == [[0, 1], [1, 0]]
    assert fit.escape_rates(F(1, 100)) == [25, 25]


@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2), min_size=9, max_size=9))
def test_closed_form_minimises_cross_entropy(counts, noise):
    c = np.array(counts, dtype=np.int64)
    for k in range(3):
        c[k, k] += 1                                   # every cluster visited
    fit = fit_meta_kernel(c)
    ce = fit.cross_entropy()
    other = fit.logits() + np.array(noise).reshape(3, 3)
    other[np.isneginf(other)] = -5.0                   # a competitor with finite logits everywhere
    # Gibbs' inequality: the empirical frequencies minimise the cross-entropy; 1e-12 absorbs float rounding
    assert ce <= cross_entropy(other, c) + 1e-12


def test_gradient_descent_reaches_the_closed_form():
    counts = np.array([[50, 5, 3], [4, 40, 6], [2, 8, 30]])
    fit = fit_meta_kernel(counts)
    Z, hist = fit_logits_gd(counts, steps=4000, lr=2.0)
    assert all(a >= b - 1e-15 for a, b in zip(hist, hist[1:]))   # GD on a convex loss: CE never increases
    target = np.array([[float(v) for v in r] for r in fit.probs])
    # linear convergence with rate ≥ lr·min q̂ ≈ 0.08 per step: after 4000 steps far below 1e-9
    np.testing.assert_allclose(softmax_rows(Z), target, atol=1e-9)
    assert abs(hist[-1] - fit.cross_entropy()) < 1e-12


@pytest.mark.parametrize("counts, message", [
    (np.zeros((2, 2), dtype=int), "empty"),
    (np.array([[3, 1], [0, 0]]), "cluster 1 is never visited"),
])
def test_fit_without_data_is_insufficient(counts, message):
    with pytest.raises(InsufficientDataError, match=message):
        fit_meta_kernel(counts)


def test_fit_rejects_bad_counts():
    with pytest.raises(MetacotError, match="square"):
        fit_meta_kernel(np.ones((2, 3), dtype=int))
    with pytest.raises(MetacotError, match="non-negative integers"):
        fit_meta_kernel(np.array([[1.5, 1], [1, 1]]))


def test_no_escape_gives_insufficient_data_not_division_by_zero():
    fit = fit_meta_kernel(np.array([[10, 0, 1], [0, 7, 0], [1, 0, 5]]))   # cluster 1 never escapes
    with pytest.raises(InsufficientDataError, match="no escape from cluster 1"):
        fit.escape_law()
    with pytest.raises(InsufficientDataError, match="no escape from cluster 1"):
        auto_scale(fit.probs, 10)
    model = distilled_model(fit.probs, beta=3.0, k_in=0, k_out=2)
    assert model.expected_steps() < math.inf                      # 0 → 2 never passes through 1
    model = distilled_model(fit.probs, k_in=1, k_out=2)
    with pytest.raises(InsufficientDataError, match="no escape from cluster"):
        model.expected_steps()


# ----------------------------------------------------------------------------- rescaling
@given(stochastic_kernels(), st.fractions(min_value=F(1, 1000), max_value=10 ** 9))
def test_rescaling_preserves_the_escape_law_exactly(kernel, w):
    plus = rescale_kernel(kernel, w)
    assert all(sum(r) == 1 for r in plus)
    for k, (a, c) in enumerate(zip(plus, kernel)):
        for l in range(len(kernel)):
            if l != k:
                assert a[l] / (1 - a[k]) == c[l] / (1 - c[k])


@given(stochastic_kernels(), st.floats(-5, 20))
def test_rescale_kernel_equals_softmax_of_shifted_logits(kernel, beta):
    direct = np.array(rescale_kernel(kernel, math.exp(beta)))
    Z = np.log(np.array([[float(v) for v in r] for r in kernel], dtype=float).clip(1e-300))
    Z[np.array([[v == 0 for v in r] for r in kernel])] = -np.inf
    via_logits = softmax_rows(rescale_logits(Z, beta))
    # two float routes to the same softmax; entries ≤ 1, a few ulps per operation
    np.testing.assert_allclose(direct, via_logits, rtol=1e-12, atol=1e-15)


def test_scale_from_beta_and_bad_values():
    assert scale_from_beta(0) == 1 and isinstance(scale_from_beta("0"), F)
    assert scale_from_beta(2.0) == math.exp(2.0)
    with pytest.raises(MetacotError, match="too large"):
        scale_from_beta(1000)
    with pytest.raises(MetacotError, match="positive"):
        auto_scale([[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]], 0)
    with pytest.raises(MetacotError, match="not both"):
        distilled_model([[F(1)]], beta=1, scale=2)


def test_distilled_model_rejects_non_stochastic_kernel():
    with pytest.raises(MetacotError, match="not a stochastic matrix"):
        distilled_model([[F(1, 2), F(1, 3)], [F(1, 2), F(1, 2)]])


# ----------------------------------------------------------------------------- the distilled chain (exact)
@given(stochastic_kernels(min_k=3), st.sampled_from([None, "auto", F(7)]))
def test_expected_steps_match_an_independent_exact_solve(kernel, how):
    K = len(kernel)
    model = distilled_model(kernel, beta="auto" if how == "auto" else None, scale=how if isinstance(how, F) else None,
                            k_in=0, k_out=K - 1)
    assert model.expected_steps() == exact_steps_sympy(model.kernel, 0, K - 1)


@pytest.mark.parametrize("K, M, q, e, b", [(3, 3, 1, F(1, 100), 10), (5, 4, F(1, 2), F(1, 10 ** 9), 1),
                                          (4, 2, 2, F(1, 7), F(5, 2))])
def test_ring_closed_form(K, M, q, e, b):
    c = ring(K, M, q)
    model = distilled_model(exact_meta_kernel(c, e), beta="auto", b=b, k_in=0, k_out=K - 1)
    closed = th.ring_distilled_steps.subs({K_sym: K, M_sym: M, q_sym: sp.nsimplify(str(q)), b_sym: sp.nsimplify(str(b)),
                                           eps_sym: sp.Rational(e.numerator, e.denominator)})
    assert model.expected_steps() == F(str(closed))
    assert model.expected_steps() <= (1 + 1 / F(b)) * (K - 1)


@given(chains(), st.sampled_from([F(1), F(10)]), st.integers(2, 12))
def test_order_K_bound_holds_on_the_exact_meta_kernel(chain, b, d):
    e = min(F(1, 10 ** d), chain.eps_max)
    lab = Labelling.from_chain(chain)
    k_in, k_out = lab(chain.start), lab(chain.target)
    if k_in == k_out:
        return
    model = distilled_model(exact_meta_kernel(chain, e), beta="auto", b=b, k_in=k_in, k_out=k_out)
    h_jump = jump_hitting_times(chain)[k_in][k_out]
    assert model.expected_steps() <= (1 + 1 / b) * h_jump
    assert model.jump_steps() == h_jump                        # the rescaling keeps the jump chain


@settings(max_examples=10)
@given(chains(max_k=3, max_size=3), st.sampled_from([F(1), F(10)]))
def test_learned_limit_obeys_the_bound_of_its_own_jump_chain(chain, b):
    e = min(F(1, 100), chain.eps_max)
    lab = Labelling.from_chain(chain)
    k_in, k_out = lab(chain.start), lab(chain.target)
    if k_in == k_out:
        return
    p, mass = stationary_label_kernel(chain, e)
    assert sum(mass) == 1 and all(sum(r) == 1 for r in p)
    model = distilled_model(p, beta="auto", b=b, k_in=k_in, k_out=k_out)
    assert model.expected_steps() <= (1 + 1 / b) * model.jump_steps()


def test_order_K_counterexample_closed_form():
    """The spec's D3 inequality with the true h^jump fails for the T → ∞ learned kernel (every ε, b)."""
    c = equal_rates_4()
    assert family_chain({"family": "equal-rates-4"}).n == 4
    assert escape_rates(c) == [1, 1, 1] and jump_hitting_times(c)[0][2] == 4
    for e, b in ((F(1, 100), F(1)), (F(1, 10 ** 12), F(10)), (F(1, 3), F(1, 2))):
        p, _ = stationary_label_kernel(c, e)
        # hand computation: μ(1 | C_1) = (1 + ε)/2, so p(1,0) = ε(1 + ε)/2 and p(1,2) = ε(1 − ε)/2
        assert p[1][0] == e * (1 + e) / 2 and p[1][2] == e * (1 - e) / 2
        E = distilled_model(p, beta="auto", b=b, k_in=0, k_out=2).expected_steps()
        assert E == 4 / (1 - e) + 4 / b
        assert E > (1 + 1 / b) * 4
        # the exact meta kernel obeys the bound
        Eq = distilled_model(exact_meta_kernel(c, e), beta="auto", b=b, k_in=0, k_out=2).expected_steps()
        assert Eq <= (1 + 1 / b) * 4


@given(chains(), st.integers(2, 12))
def test_beta_zero_reproduces_h_meta_exactly(chain, d):
    e = min(F(1, 10 ** d), chain.eps_max)
    lab = Labelling.from_chain(chain)
    k_in, k_out = lab(chain.start), lab(chain.target)
    model = distilled_model(exact_meta_kernel(chain, e), k_in=k_in, k_out=k_out)
    assert e * model.expected_steps() == meta_hitting_times(chain)[k_in][k_out]


def test_exact_meta_kernel_rows():
    c = uniform_escape(3, 2, 1)
    q = exact_meta_kernel(c, F(1, 100))
    assert q == [[F(199, 200) if k == l else F(1, 400) for l in range(3)] for k in range(3)]
    qf = exact_meta_kernel(c.to_float(), 0.01)
    np.testing.assert_allclose(np.array(qf), np.array(q, dtype=float), rtol=1e-15)


# ----------------------------------------------------------------------------- Monte Carlo: data and estimates
def test_same_seed_same_data_and_model():
    c = uniform_escape(3, 2, 1)
    a = distill(c, F(1, 100), 3000, seed=5, walkers=10)
    b = distill(c, F(1, 100), 3000, seed=5, walkers=10)
    assert np.array_equal(a.data.counts, b.data.counts) and a.model.kernel == b.model.kernel
    one = distill(c, F(1, 100), 20000, seed=2)
    assert np.array_equal(one.data.counts, distill(c, F(1, 100), 20000, seed=2).data.counts)
    assert one.data.labels.size == 20001
    assert not np.array_equal(a.data.counts, distill(c, F(1, 100), 3000, seed=6, walkers=10).data.counts)


def test_counts_match_the_compressed_trajectory():
    from metacot.numerics.solvers.monte_carlo import sample_trajectory

    c = ring(3, 2)
    traj = sample_trajectory(c, F(1, 20), 0, 500, 9)
    lab = Labelling.from_chain(c)
    y = lab.compress(traj)
    pairs = distillation_pairs(y)
    counts = transition_counts(y, 3)
    assert counts.sum() == 500 and all(counts[k, l] == np.sum((pairs[:, 0] == k) & (pairs[:, 1] == l))
                                       for k in range(3) for l in range(3))


def test_estimate_is_within_four_standard_errors_of_the_learned_limit():
    c = uniform_escape(3, 2, 1)
    e = F(1, 100)
    data = generate_data(c, e, 20000, seed=11, walkers=100, start="stationary")
    fit = fit_meta_kernel(data.counts)
    p, _ = stationary_label_kernel(c, e)
    for k in range(3):
        for l in range(3):
            if k != l:
                # Poisson count: relative SE 1/√(N_k p); z = 4 (99.994%) for a fixed seed
                se = math.sqrt(float(p[k][l]) / fit.occupancy[k])
                assert abs(float(fit.probs[k][l]) - float(p[k][l])) <= 4 * se


def test_sampling_the_distilled_model():
    c = ring(4, 3)
    model = distilled_model(exact_meta_kernel(c, F(1, 10 ** 6)), beta="auto", b=10, k_in=0, k_out=3)
    traj = model.sample(50, seed=1)
    assert traj.shape == (51,) and traj[0] == 0 and set(traj.tolist()) <= {0, 1, 2, 3}
    steps = model.sample_steps_to_target(3000, seed=2).astype(float)
    se = steps.std(ddof=1) / math.sqrt(steps.size)
    assert abs(steps.mean() - float(model.expected_steps())) <= 4 * se   # z = 4, fixed seed


@pytest.mark.parametrize("kwargs, error, message", [
    ({"steps": 50}, InsufficientDataError, "never visited"),
    ({"steps": 0}, MetacotError, "positive integer"),
    ({"steps": 100, "walkers": 0}, MetacotError, "walkers"),
    ({"steps": 100, "labelling": [[0, 1, 2], [3, 4, 5]]}, LabellingError, "does not cover state 6"),
])
def test_distill_bad_inputs(kwargs, error, message):
    c = ring(3, 3)
    with pytest.raises(error, match=message):
        distill(c, F(1, 1000), seed=0, **kwargs)


def test_too_short_to_escape_every_cluster_is_insufficient_data():
    # every cluster is visited (walkers start everywhere) but T is far below 1/(ε λ): no escapes at all
    c = ring(3, 3)
    with pytest.raises(InsufficientDataError, match="no escape from cluster"):
        distill(c, F(1, 10 ** 6), 5, seed=0, walkers=9, start=np.arange(9))


def test_distill_with_a_search_style_labelling():
    c = ring(3, 2)
    res = distill(c, F(1, 50), 20000, seed=3, labelling=[[4, 5], [0, 1], [2, 3]])
    assert res.data.labelling.source == "given"
    assert (res.model.k_in, res.model.k_out) == (1, 0)       # start 0 ∈ set 1, target 5 ∈ set 0
    assert res.fit.escape_law() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]   # ring order 1 → 2 → 0 in these labels


# ----------------------------------------------------------------------------- theory
def test_theory_identities():
    assert th.escape_identity_residual(3) == [0, 0]
    assert sp.simplify(th.steps_per_visit - (1 + (1 - th.eps * th.lam) * th.lam_min / (th.b * th.lam))) == 0
    assert sp.simplify(th.ring_distilled_steps_limit - (K_sym - 1) * (1 + 1 / b_sym)) == 0
    assert sp.simplify(th.counterexample_excess - 4 * eps_sym / (1 - eps_sym)) == 0


# ----------------------------------------------------------------------------- the order-K identity (D3)
@given(stochastic_kernels(min_k=3), st.sampled_from([F(1), F(10), F(1, 3)]))
def test_order_k_identity_and_bound_on_any_kernel(kernel, b):
    """The identity is algebra on any kernel; E_dist comes from the rescaled model's own solve."""
    K = len(kernel)
    t = order_k_terms(kernel, b, 0, K - 1)
    assert t.E_dist == exact_steps_sympy(distilled_model(kernel, beta="auto", b=b).kernel, 0, K - 1)
    assert t.E_dist == t.h_jump + t.ell_min / b * t.visit_sum
    assert t.E_dist <= (1 + (1 - t.ell_min) / b) * t.h_jump
    assert t.h_jump == sum(t.visits) and t.visits[K - 1] == 0
    assert t.ell_min == min(1 - kernel[k][k] for k in range(K)) and t.scale == b / t.ell_min


def test_order_k_bound_is_tight_when_escapes_are_equal():
    p, _ = stationary_label_kernel(ring(4, 3, 1), F(1, 50))
    t = order_k_terms(p, 2, 0, 3)
    assert len(set(t.ell)) == 1 and t.E_dist == (1 + (1 - t.ell_min) / 2) * t.h_jump
    assert t.ell_min == F(1, 50) / (3 + F(1, 50))         # εq/(M + εq): the learned escape probability


@pytest.mark.parametrize("chain", [ring(3, 3, 1), uniform_escape(3, 2, F(1, 2)), equal_rates_4(),
                                   random_chain(3, [2, 2, 3], extra_edges=3)], ids=lambda c: c.name)
def test_rational_functions_agree_with_the_exact_values(chain):
    """Two routes: GTH over QQ(ε) evaluated at ε, and Fractions at that ε."""
    lab = Labelling.from_chain(chain)
    k_in, k_out = lab(chain.start), lab(chain.target)
    pr, mr = stationary_label_kernel_rational(chain)
    t_rf = order_k_expansion(chain, F(3, 2))
    for e in (F(1, 7), F(1, 1000)):
        p, mass = stationary_label_kernel(chain, e)
        assert [[f.evaluate(e) for f in row] for row in pr] == p and [f.evaluate(e) for f in mr] == mass
        t = order_k_terms(p, F(3, 2), k_in, k_out)
        assert t_rf.E_dist.evaluate(e) == t.E_dist and t_rf.h_jump.evaluate(e) == t.h_jump
        assert t_rf.ell_min.evaluate(e) == t.ell_min and t_rf.visit_sum.evaluate(e) == t.visit_sum
        assert [[f.evaluate(e) for f in row] for row in t_rf.jump] == learned_escape_law(chain, e)
        E0 = distilled_model(p, k_in=k_in, k_out=k_out).expected_steps()
        assert learned_steps_rational(chain).evaluate(e) == E0


def test_expansion_c1_values_and_limit():
    """c₁ = 0 with one exit law per cluster (ring: ĥ^jump_ε = K − 1 exactly); equal-rates-4: ĥ = 4/(1 − ε)."""
    t = order_k_expansion(ring(4, 2, 1), 10)
    assert t.h_jump.laurent(3) == {0: F(3), 1: F(0), 2: F(0), 3: F(0)}
    t = order_k_expansion(equal_rates_4(), 1)
    assert t.h_jump.laurent(2) == {0: F(4), 1: F(4), 2: F(4)}
    # E_dist(0) = h^jump + Σ N_k λ_min/λ_k / b (all λ equal: Σ = h^jump)
    assert limit_visit_sum(equal_rates_4(), 0, 2) == 4
    assert t.E_dist.pole_order() == 0 and t.E_dist.laurent(0)[0] == 4 + F(4, 1)
    c = random_chain(3, [2, 2, 3], extra_edges=3)
    t = order_k_expansion(c, 10)
    h = jump_hitting_times(c)[0][2]
    assert t.h_jump.laurent(0)[0] == h and t.h_jump.laurent(1)[1] != 0
    assert t.E_dist.laurent(0)[0] == h + limit_visit_sum(c, 0, 2) / 10


def test_learned_steps_rational_has_the_meta_timescale():
    for c in (ring(3, 3), random_chain(11, [2, 3, 1, 2])):
        f = learned_steps_rational(c)
        lab = Labelling.from_chain(c)
        assert f.pole_order() == 1
        assert f.laurent(-1)[-1] == meta_hitting_times(c)[lab(c.start)][lab(c.target)]


def test_expansion_refuses_large_chains():
    from metacot.numerics.errors import LimitError

    with pytest.raises(LimitError, match="n <= 64"):
        stationary_label_kernel_rational(ring(3, 30))


# ----------------------------------------------------------------------------- Monte Carlo summaries
def test_pooled_ratio_estimate_by_hand():
    est = pooled_ratio_estimate([1, 3, 2], [4, 4, 2])
    r = F(6, 10)
    se2 = F(3, 2) * sum((n - r * d) ** 2 for n, d in ((1, 4), (3, 4), (2, 2))) / 100
    assert est.mean == pytest.approx(float(r), rel=1e-15) and est.se == pytest.approx(math.sqrt(se2), rel=1e-12)
    assert est.n == 3
    with pytest.raises(MetacotError, match="at least 2 walkers"):
        pooled_ratio_estimate([1], [2])
    with pytest.raises(InsufficientDataError):
        pooled_ratio_estimate([0, 0], [0, 0])


def test_pooled_kernel_estimate_matches_pooled_counts():
    per = np.array([[[5, 1, 2], [1, 6, 0], [2, 0, 7]], [[3, 3, 0], [2, 4, 1], [0, 1, 8]]])
    q = pooled_kernel_estimate(per)
    J = pooled_kernel_estimate(per, escape_law=True)
    tot = per.sum(axis=0)
    for k in range(3):
        assert J[k][k] is None
        for l in range(3):
            assert q[k][l].mean == pytest.approx(tot[k, l] / tot[k].sum(), rel=1e-15)
            if l != k:
                assert J[k][l].mean == pytest.approx(tot[k, l] / (tot[k].sum() - tot[k, k]), rel=1e-15)


def test_escape_error_ratio_is_one_for_binomial_escapes():
    """Synthetic walkers whose escapes are exact binomial draws: E[Z²] = 1 (z = 4, fixed seed)."""
    rng = np.random.default_rng(3)
    W = 4000
    per = np.zeros((W, 3, 3), dtype=np.int64)
    for k in range(3):
        e = rng.poisson(6, size=W)
        n = rng.binomial(e, 0.3)
        per[:, k, (k + 1) % 3], per[:, k, (k + 2) % 3], per[:, k, k] = n, e - n, 100
    J = [[0, F(3, 10), F(7, 10)], [F(7, 10), 0, F(3, 10)], [F(3, 10), F(7, 10), 0]]
    z2 = escape_error_ratio(per, J, [(0, 1), (1, 2), (2, 0)])
    assert abs(z2.mean - 1) <= 4 * z2.se and z2.n <= W


def test_relative_spread_and_timescale_estimates():
    rng = np.random.default_rng(5)
    W = 3000
    per = np.zeros((W, 2, 2), dtype=np.int64)
    per[:, 0, 1] = rng.poisson(50, W)
    per[:, 0, 0] = 10000 - per[:, 0, 1]
    per[:, 1, 0] = rng.poisson(50, W)
    per[:, 1, 1] = 10000 - per[:, 1, 0]
    s = relative_spread_estimate(per, 0, 1, F(1, 200))
    assert abs(s.mean - 1 / math.sqrt(50)) <= 4 * s.se     # Poisson(50): relative sd 1/√50
    est = timescale_estimate(per, F(1, 100), 0, 1)
    assert abs(est.mean - 0.01 * 200) <= 4 * est.se        # E_dist of the fit ≈ 1/q̂(0,1) = 200


def test_sampling_cost_estimate():
    model = distilled_model(exact_meta_kernel(ring(4, 3), F(1, 10 ** 6)), beta="auto", b=10, k_in=0, k_out=3)
    est = model.sampling_cost(3000, seed=2)
    assert abs(est.mean - float(model.expected_steps())) <= 4 * est.se and est.n == 3000


def test_generate_data_counts_match_a_step_by_step_reference():
    """The chunked counting gives the counts of the plain step-by-step loop with the same draws."""
    from metacot.numerics.solvers.monte_carlo import KernelSampler

    c, e, T, W = random_chain(3, [2, 2, 3], extra_edges=3), F(1, 20), 700, 9
    data = generate_data(c, e, T, seed=4, walkers=W, start=np.arange(W) % c.n, keep_per_walker=True)
    rng = np.random.default_rng(4)
    sampler = KernelSampler(c, e, rng=rng)
    lab = Labelling.from_chain(c).label
    s = np.arange(W) % c.n
    ref = np.zeros((W, c.K, c.K), dtype=np.int64)
    for _ in range(T):
        nxt = sampler.step(s)
        np.add.at(ref, (np.arange(W), lab[s], lab[nxt]), 1)
        s = nxt
    assert np.array_equal(data.per_walker, ref)


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def ring_file(tmp_path):
    path = tmp_path / "ring.json"
    save_chain(ring(3, 3), str(path))
    return str(path)


def test_cli_json(ring_file, capsys):
    rc = main(["distill", ring_file, "--eps", "1/100", "--steps", "40000", "--walkers", "4", "--seed", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["escape_law"] == [["0", "1", "0"], ["0", "0", "1"], ["1", "0", "0"]]
    assert out["truth"]["max_escape_error"] == 0.0
    res = distill(ring(3, 3), F(1, 100), 10000, seed=1, walkers=4, start=0)
    assert F(out["expected_steps_distilled"]) == res.model.expected_steps()
    assert F(out["expected_steps_distilled"]) <= F(out["order_K_bound"]) == F(11, 5)
    assert F(out["E_tau_original"]) == 599
    assert out["parameters"] == {"original": 81, "distilled": 9}


def test_cli_text_and_beta_zero(ring_file, capsys):
    assert main(["distill", ring_file, "--eps", "1/100", "--steps", "40000", "--beta", "0"]) == 0
    text = capsys.readouterr().out
    assert "escape law" in text and "beta = 0" in text and "E[tau] of the original chain: 599" in text


@pytest.mark.parametrize("argv, message", [
    (["--eps", "1/100", "--steps", "30"], "insufficient data"),
    (["--eps", "1/100", "--steps", "1000", "--beta", "fast"], "beta"),
    (["--eps", "2", "--steps", "1000"], "outside the valid range"),
    (["--eps", "1/100", "--steps", "1000", "--labels", "search"], "--search-walkers"),
    (["--eps", "1/100", "--steps", "3", "--walkers", "5"], "at least the number of walkers"),
])
def test_cli_bad_inputs(ring_file, capsys, argv, message):
    assert main(["distill", ring_file] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and len(err.strip().splitlines()) == 1


def test_cli_needs_a_target(tmp_path, capsys):
    c = random_chain(1, [2, 2])
    c.target = None
    path = tmp_path / "c.json"
    save_chain(c, str(path))
    assert main(["distill", str(path), "--eps", "1/100", "--steps", "100"]) == 2
    assert "no target" in capsys.readouterr().err


# ----------------------------------------------------------------------------- claims (quick, exact parts)
def test_claims_registered_and_exact_parts():
    from metacot.numerics.verify.claims import distill as claims  # noqa: F401  (registers the claims)
    from metacot.numerics.verify.registry import REGISTRY
    from metacot.numerics.verify.runner import run_claims

    ids = ["distill.escape-preserved", "distill.per-step-meta", "distill.order-K", "distill.order-K-literal",
           "distill.timescale", "distill.compression", "distill.beta-order"]
    assert all(i in REGISTRY for i in ids)
    lit = REGISTRY["distill.order-K-literal"]
    assert lit.expect == "refuted" and lit.corrected == "distill.order-K"
    d3 = REGISTRY["distill.order-K"]
    exact = [p for p in d3.parts if p.name in ("identity", "expansion-single-exit")]
    from dataclasses import replace

    rep = run_claims([replace(d3, parts=exact)], quick=True)[0]
    assert rep.verdict == "holds" and {r.rung for r in rep.results} == {"exact"}
    rep = run_claims([replace(lit, parts=[lit.parts[0]])], quick=True)[0]
    ce = next(r for r in rep.results if r.id == lit.counterexample)
    assert ce.verdict == "fails" and ce.measured == F(796, 99) and ce.predicted == 8
