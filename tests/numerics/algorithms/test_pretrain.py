"""Tests for metacot.numerics.algorithms.pretrain (Alg. 1): gradients, decoupling, GD monotonicity, two-stage, SGD, CLI."""
import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.cli.main import main
from metacot.numerics.errors import MetacotError
from metacot.numerics.families import ring, uniform_escape
from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.algorithms.pretrain import (default_theta, gradient_descent, kl_rows, model_chain, population_gradient,
                               population_loss, row_gd_trajectory, sgd_pretrain, sgd_samples_to_tolerance,
                               softmax_rows, stationary_law, step_size, true_kernel, two_stage_pretrain)
from strategies import chains


def _truth(chain, eps):
    P = true_kernel(chain, eps)
    return P, stationary_law(P)


def test_gradient_matches_central_differences():
    chain = ring(2, 3, 1)
    P, mu = _truth(chain, Fraction(1, 10))
    rng = np.random.default_rng(0)
    W = rng.normal(size=P.shape)
    mask = np.ones(P.shape, dtype=bool)
    mask[1, 4] = False  # a masked spurious pair: gradient 0 there
    G = population_gradient(W, P, mu, mask)
    h = 1e-6
    for x, y in [(0, 0), (0, 3), (2, 5), (1, 2), (5, 0)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[x, y] += h
        Wm[x, y] -= h
        fd = (population_loss(Wp, P, mu, mask) - population_loss(Wm, P, mu, mask)) / (2 * h)
        # central differences: truncation O(h²)·L''' ~ 1e-12, rounding ~1e-16/h ~ 1e-10
        assert abs(fd - G[x, y]) <= 1e-8
    assert G[1, 4] == 0.0


def test_gradient_formula_for_tiny_probabilities_with_mpmath():
    """p̂ ~ 1e-40: float finite differences are useless; mpmath at 100 digits resolves μ(p̂ − p) ~ 1e-41."""
    mpmath.mp.dps = 100
    try:
        w = [mpmath.mpf(0), mpmath.mpf(-92), mpmath.mpf(-1)]
        p = [mpmath.mpf("0.5"), mpmath.mpf("1e-40"), mpmath.mpf("0.5") - mpmath.mpf("1e-40")]
        mu = mpmath.mpf("0.25")

        def loss(v):
            Z = mpmath.fsum(mpmath.exp(a) for a in v)
            return -mu * mpmath.fsum(pi * (a - mpmath.log(Z)) for pi, a in zip(p, v))

        h = mpmath.mpf("1e-30")
        for j in range(3):
            vp, vm = list(w), list(w)
            vp[j] += h
            vm[j] -= h
            fd = (loss(vp) - loss(vm)) / (2 * h)
            Z = mpmath.fsum(mpmath.exp(a) for a in w)
            exact = mu * (mpmath.exp(w[j]) / Z - p[j])
            # truncation h²/6·max|L3| ≤ h²/6·μ·0.0962 ≈ 4e-63, rounding 1e-100/h = 1e-70: 1e-60 still resolves the
            # 1e-41 gradient of the tiny pair to 19 digits
            assert abs(fd - exact) <= mpmath.mpf("1e-60")
        # the float implementation agrees with the mp value for the tiny pair: exp of an argument ≈ −92 turns the
        # argument's 1.1e-16 relative rounding into ~1e-14 relative error in p̂, times the cancellation in p̂ − p
        G = population_gradient(np.array([[0.0, -92.0, -1.0]] * 3), np.array([[0.5, 1e-40, 0.5 - 1e-40]] * 3),
                                np.array([0.25, 0.5, 0.25]))
        Z = mpmath.fsum(mpmath.exp(a) for a in w)
        ref = mu * (mpmath.exp(w[1]) / Z - p[1])
        assert abs(G[0, 1] - float(ref)) <= 1e-13 * abs(float(ref))
    finally:
        mpmath.mp.dps = 15


def test_rows_decouple():
    chain = uniform_escape(3, 2, 1)
    P, mu = _truth(chain, Fraction(1, 20))
    rng = np.random.default_rng(1)
    W = rng.normal(size=P.shape)
    G = population_gradient(W, P, mu)
    W2 = W.copy()
    W2[3] += rng.normal(size=P.shape[1])
    G2 = population_gradient(W2, P, mu)
    assert np.array_equal(np.delete(G, 3, axis=0), np.delete(G2, 3, axis=0))
    # the loss is a μ-weighted sum of row losses
    rows = [population_loss(W[[x]], P[[x]], np.array([mu[x]])) for x in range(P.shape[0])]
    assert abs(sum(rows) - population_loss(W, P, mu)) <= 1e-14 * abs(sum(rows))


def test_kl_rows_against_direct_formula():
    P = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    W = np.log(np.array([[0.4, 0.5, 0.1], [0.25, 0.25, 0.5], [0.9, 0.05, 0.05]]))
    Q = softmax_rows(W)
    direct = [sum(p * np.log(p / q) for p, q in zip(P[x], Q[x]) if p > 0) for x in range(3)]
    assert np.allclose(kl_rows(P, W), direct, rtol=1e-13, atol=0)


@settings(max_examples=15)
@given(chain=chains(max_k=3, max_size=3), frac=st.sampled_from([Fraction(1, 2), Fraction(1, 10), Fraction(1, 100)]),
       eta_scale=st.sampled_from([0.25, 0.5, 1.0]))
def test_gd_never_increases_population_loss(chain, frac, eta_scale):
    eps = chain.eps_max * frac
    P, mu = _truth(chain, eps)
    eta = eta_scale / mu.max()  # η ≤ 1/max μ: each row's Hessian has norm ≤ μ(x)/2, so GD descends
    W = np.zeros(P.shape)
    prev = population_loss(W, P, mu)
    for _ in range(60):
        W = gradient_descent(W, P, mu, eta, 1)
        cur = population_loss(W, P, mu)
        assert cur <= prev + 1e-14 * abs(prev)  # float rounding of an O(1) sum
        prev = cur


def test_two_stage_ring_prunes_exactly_the_true_support_and_converges():
    chain = ring(3, 3, 1)
    eps = Fraction(1, 100)
    res = two_stage_pretrain(chain, eps, 100, 2000)
    P = res.P
    assert np.array_equal(res.mask, P > 0)
    assert res.pruned_true_pairs == 0 and res.kept_spurious_pairs == 0
    assert res.theta == pytest.approx(0.005, rel=1e-15)
    # two-stage KL is tiny; one-stage GD for the same 2100 steps is stuck at Θ(1/t)
    one = two_stage_pretrain(chain, eps, 2100, 0, theta=0)  # θ = 0: nothing pruned
    assert res.history.kl[-1] < 1e-20 < 1e-3 < one.history.kl[-1]
    h_true = hitting_time(chain, 0, chain.target, eps, method="exact")
    h_model = hitting_time(res.chain, 0, chain.target, eps, method="float")
    assert h_model == pytest.approx(float(h_true), rel=1e-9)  # training error ~1e-13 in log p


def test_model_chain_forms_reproduce_the_kernel():
    chain = ring(2, 3, 1)
    eps = Fraction(1, 50)
    res = two_stage_pretrain(chain, eps, 300, 0, theta=0)  # θ = 0: spurious cross-cluster pairs kept
    assert res.kernel[0, 3] > 0  # (0, 3) is a spurious pair between the two clusters
    K = res.kernel
    aff = model_chain(K, chain, eps, kind="affine")
    assert np.max(np.abs(aff.kernel(eps).toarray() - K)) <= 1e-15
    ker = model_chain(K, chain, eps, kind="kernel")
    assert np.max(np.abs(ker.kernel(0).toarray() - K)) <= 1e-15
    exact_rows = chain.kernel_exact(eps)
    ex = model_chain(exact_rows, chain, eps, kind="affine")
    assert ex.exact and ex.kernel_exact(eps) == exact_rows
    with pytest.raises(MetacotError):
        model_chain(K, chain, eps, kind="bogus")


def test_row_trajectory_float_matches_mpmath_and_the_spurious_constant():
    p = [Fraction(99, 300)] * 3 + [Fraction(1, 100)] + [Fraction(0)] * 5
    a = row_gd_trajectory(p, Fraction(1, 9), Fraction(9), [500, 5000], dps=30)
    b = row_gd_trajectory([float(v) for v in p], 1 / 9, 9.0, [500, 5000])
    assert max(abs(float(x) - y) / y for x, y in zip(a[5000], b[5000])) <= 1e-12  # float drift over 5000 steps
    # p̂_t·n_x·η·μ·t/d₊ = 1 + O(log(ημ p_min t)/(ημ p_min t)); at ημ p_min t = 50 it is within 3%
    assert abs(float(a[5000][8]) * 9 * 1 * 5000 / 4 - 1) <= 0.03


def test_sgd_is_seeded_and_learns():
    chain = ring(2, 2, 1)
    eps = Fraction(1, 10)
    a = sgd_pretrain(chain, eps, 300, 300, batch=64, eta=1.0, seed=3)
    b = sgd_pretrain(chain, eps, 300, 300, batch=64, eta=1.0, seed=3)
    c = sgd_pretrain(chain, eps, 300, 300, batch=64, eta=1.0, seed=4)
    assert np.array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)
    assert a.history.kl[-1] < 0.1 * a.history.kl[0]


def test_step_size_schedules():
    # η_t = η0/(1 + τ/t0) with τ = t − 1 (whole run) or t − T1 − 1 (stage 2 only); exact binary fractions here
    assert step_size("constant", 2.0, None, 50, 2, 10) == 2.0
    assert step_size("inverse-time", 2.0, 4.0, 1, 1, 10) == 2.0
    assert step_size("inverse-time", 2.0, 4.0, 13, 2, 10) == 2.0 / 4.0       # τ = 12: 1 + 3
    assert step_size("inverse-time-stage2", 2.0, 4.0, 7, 1, 10) == 2.0      # stage 1: constant
    assert step_size("inverse-time-stage2", 2.0, 4.0, 11, 2, 10) == 2.0     # first stage-2 step: τ = 0
    assert step_size("inverse-time-stage2", 2.0, 4.0, 15, 2, 10) == 1.0     # τ = 4: 1 + 1


def test_decaying_step_removes_the_sgd_noise_floor():
    """Constant-step SGD stalls at KL ≈ Σ_j λ_j·η/(4B) (logit variance η/(2B) per mode); with η_t = η0/(1 + t/t0)
    the stage-2 error keeps falling. Same seed, same samples: the decayed run ends ≥ 5× lower."""
    chain = ring(2, 2, 1)
    eps = Fraction(1, 10)
    const = sgd_pretrain(chain, eps, 200, 4000, batch=64, seed=0, start="stationary")
    decay = sgd_pretrain(chain, eps, 200, 4000, batch=64, seed=0, start="stationary",
                         schedule="inverse-time-stage2", t0=20)
    assert const.pruned_true_pairs == decay.pruned_true_pairs == 0
    # identical stage 1 (same seed, same constant step): the records at the prune agree exactly
    i_c, i_d = const.history.step.index(200), decay.history.step.index(200)
    assert const.history.kl[i_c] == decay.history.kl[i_d]
    assert decay.history.kl[-1] * 5 < const.history.kl[-1]
    # the constant-step default is unchanged by the new keywords
    again = sgd_pretrain(chain, eps, 200, 4000, batch=64, seed=0, start="stationary", schedule="constant")
    assert np.array_equal(again.W, const.W)


def test_sgd_sample_counts_follow_the_population_prune_and_are_seeded():
    from metacot.numerics.algorithms.pretrain import clean_prune_time

    chain = ring(3, 3, 1)
    eps = Fraction(1, 40)
    a = sgd_samples_to_tolerance(chain, eps, 1e-3, batch=1024, seed=1)
    b = sgd_samples_to_tolerance(chain, eps, 1e-3, batch=1024, seed=1)
    assert a.to_json() == b.to_json()
    P = true_kernel(chain, eps)
    mu = stationary_law(P)
    T_pop, _ = clean_prune_time(P, mu, 1 / mu.max(), default_theta(P))
    # B = 1024: SGD tracks the exact-gradient dynamics (logit noise std √(η/2B) ≈ 0.07 vs the prune margin log 2);
    # seed 1 gives 33 steps = T_pop, seed 0 gives 36; ±25% allows for the noise moving the first clean check
    assert 0.75 * T_pop <= a.steps_stage1 <= 1.25 * T_pop
    assert a.samples_stage1 == 1024 * a.steps_stage1 and a.kl_at_stop <= 1e-3
    # stage 2 stops at the first step with KL ≤ tol: the KL at the stop is below tol, not far below (one step earlier
    # it was above); a stricter tolerance needs more samples
    c = sgd_samples_to_tolerance(chain, eps, 1e-4, batch=1024, seed=1)
    assert c.steps_stage1 == a.steps_stage1 and c.samples_stage2 > a.samples_stage2


def test_bad_inputs_raise_clear_errors():
    chain = ring(2, 2, 1)
    with pytest.raises(MetacotError, match="eta"):
        two_stage_pretrain(chain, Fraction(1, 10), 5, 5, eta=0)
    with pytest.raises(MetacotError, match="T1"):
        two_stage_pretrain(chain, Fraction(1, 10), -1, 5)
    with pytest.raises(MetacotError, match="theta"):
        two_stage_pretrain(chain, Fraction(1, 10), 5, 5, theta=2)
    with pytest.raises(MetacotError, match="eps"):
        two_stage_pretrain(chain, 5, 5, 5)
    with pytest.raises(MetacotError, match="batch"):
        sgd_pretrain(chain, Fraction(1, 10), 5, 5, batch=0)
    with pytest.raises(MetacotError, match="schedule"):
        sgd_pretrain(chain, Fraction(1, 10), 5, 5, schedule="cosine")
    with pytest.raises(MetacotError, match="t0"):
        sgd_pretrain(chain, Fraction(1, 10), 5, 5, schedule="inverse-time")
    with pytest.raises(MetacotError, match="t0"):
        sgd_pretrain(chain, Fraction(1, 10), 5, 5, schedule="inverse-time", t0=-1)
    with pytest.raises(MetacotError, match="start"):
        sgd_pretrain(chain, Fraction(1, 10), 5, 5, start="uniform")
    with pytest.raises(MetacotError, match="tol"):
        sgd_samples_to_tolerance(chain, Fraction(1, 10), 0)


def test_cli_pretrain_json(tmp_path, capsys):
    path = tmp_path / "ring.json"
    assert main(["family", "ring", "--K", "3", "--M", "3", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["pretrain", str(path), "--eps", "1/100", "--steps", "100,2000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == [100, 2000] and out["pruned_true_pairs"] == 0
    assert out["hitting_true"] == pytest.approx(599.0, rel=1e-12)  # exact value 599 for ring(3,3,1) at 1/100
    assert out["hitting_model"] == pytest.approx(599.0, rel=1e-9)
    assert main(["pretrain", str(path), "--eps", "1/100", "--steps", "10,10", "--sgd", "--batch", "8",
                 "--seed", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "sgd"
    assert main(["pretrain", str(path), "--eps", "1/100", "--steps", "10"]) == 2
    assert "T1,T2" in capsys.readouterr().err


# ----------------------------------------------------------------------------- measurements of the claims
from metacot.numerics.algorithms.pretrain import (aitken, clean_prune_time, fitted_kl_rate,  # noqa: E402
                                                  hitting_ratio_limit, loglog_slope, one_stage_kl_limits, richardson, slowest_mode_rates,
                                                  spurious_decay_limits, stage_two_kl_rate, two_stage_kl_curve)


def test_richardson_and_aitken_are_exact_on_their_model_sequences():
    f = [Fraction(7) + Fraction(3, t) - Fraction(2, t * t) for t in (8, 16, 32, 64)]
    assert richardson(f)[2] == [7.0, 7.0]                     # both powers removed: exact in binary fractions
    assert aitken(*[5 - 3 * 0.25 ** k for k in (2, 3, 4)]) == 5.0
    assert aitken(1.0, 1.0, 1.0) == 1.0                       # a converged sequence


def test_kl_rows_series_branch_matches_mpmath():
    """The small-δ series keeps the KL accurate where expm1(δ) − δ cancels (δ ~ 1e-7)."""
    P = np.array([[0.25, 0.75]])
    W = np.log(P) + np.array([[2e-7, -1e-7]])
    mpmath.mp.dps = 50
    try:
        w = [mpmath.mpf(float(v)) for v in W[0]]
        Z = mpmath.fsum(mpmath.exp(v) for v in w)
        ref = mpmath.fsum(mpmath.mpf(p) * (mpmath.log(mpmath.mpf(p)) - (v - mpmath.log(Z))) for p, v in zip([0.25, 0.75], w))
    finally:
        mpmath.mp.dps = 15
    assert abs(kl_rows(P, W)[0] / float(ref) - 1) < 1e-8     # float δ carries ~1e-16/1e-7 relative error


def test_clean_prune_time_is_the_first_clean_step():
    P, mu = _truth(ring(3, 3, 1), Fraction(1, 1000))
    eta, theta = 1 / mu.max(), default_theta(P)
    T1, W = clean_prune_time(P, mu, eta, theta)
    Wm = gradient_descent(np.zeros_like(P), P, mu, eta, T1 - 1)     # one step earlier: not yet clean
    p_prev, p = softmax_rows(Wm), softmax_rows(W)
    assert p[P == 0].max() < theta <= p[P > 0].min()
    assert not (p_prev[P == 0].max() < theta <= p_prev[P > 0].min())
    with pytest.raises(MetacotError, match="no clean prune"):
        clean_prune_time(P, mu, eta, theta, t_max=10)


def test_slowest_mode_of_the_ring_source_row_has_its_closed_form():
    """Source row of ring(3, 3): p = ((1−ε)/3 ×3, ε); the symmetric mode of diag p − ppᵀ has λ = 4ε(1 − ε)/3, the
    antisymmetric ones (1 − ε)/3; GD from W = 0 excites only the symmetric one."""
    eps = Fraction(1, 100)
    P, mu = _truth(ring(3, 3, 1), eps)
    eta = 1 / mu.max()
    lam_all, _ = slowest_mode_rates(P, mu, eta, P > 0)
    assert abs(lam_all[0] - 4 * 0.01 * 0.99 / 3) < 1e-15
    r = stage_two_kl_rate(P, mu, eta, default_theta(P))
    assert r.clean and r.share > 0.999 and abs(r.lam - 4 * 0.01 * 0.99 / 3) < 1e-15
    pred = -2 * math.log1p(-eta * r.mu_row * r.lam)
    assert abs(r.rate / pred - 1) <= r.error / r.rate + 1e-9 and r.error / r.rate < 1e-7


def test_spurious_limits_against_a_high_precision_row_trajectory():
    """The full-matrix float GD limit against the same Stolz–Richardson estimate from the mpmath trajectory of one
    row (rows decouple), and against the spec's constant d₊/(n_x η μ)."""
    eps = Fraction(1, 10)
    chain = ring(2, 2, 1)
    P, mu = _truth(chain, eps)
    eta = 1 / mu.max()
    lims = {r.row: r for r in spurious_decay_limits(P, mu, eta, 200, 4)}
    x = 0
    row = [chain.kernel_exact(eps)[x].get(y, Fraction(0)) for y in range(chain.n)]
    ts = [200 * 2 ** j for j in range(4)]
    traj = row_gd_trajectory(row, Fraction(mu[x]), eta, ts + [t + 1 for t in ts], dps=30)
    y = row.index(0)
    D = [1 / traj[t + 1][y] - 1 / traj[t][y] for t in ts]
    ref = 1 / float(richardson([float(v) for v in D])[2][-1])
    assert abs(lims[x].value / ref - 1) < 1e-10                 # float vs 30-digit trajectories, 1600 steps
    for r in lims.values():
        assert abs(r.value - r.d_plus / (r.n_x * eta * r.mu)) <= r.error


def test_one_stage_constant_is_the_spurious_mass_of_the_row():
    P, mu = _truth(uniform_escape(3, 2, 1), Fraction(1, 10))
    eta = 1 / mu.max()
    sp_ = {r.row: r for r in spurious_decay_limits(P, mu, eta, 500, 5)}
    for r in one_stage_kl_limits(P, mu, eta, 500, 5):
        s = sp_[r.row]
        # KL_x = (n_x − d₊) p̂_spurious + O(p̂²): the two limits agree to their errors
        assert abs(r.value - (s.n_x - s.d_plus) * s.mu * s.value) <= r.error + (s.n_x - s.d_plus) * s.mu * s.error
    assert abs(loglog_slope(P, mu, eta, 2000, 32000) + 1) < 5e-3


def test_two_stage_curve_contrast_and_fitted_rate():
    P, mu = _truth(ring(2, 2, 1), Fraction(1, 10))
    eta = 1 / mu.max()
    T1, mask, kl2, kl1, _, _ = two_stage_kl_curve(P, mu, eta, default_theta(P), 150)
    assert (mask == (P > 0)).all()
    assert kl2[-1] < 1e-12 and kl1[-1] > 1e-4                 # exponential vs Θ(1/t)
    r = stage_two_kl_rate(P, mu, eta, default_theta(P))
    assert abs(fitted_kl_rate(r.kl) / r.rate - 1) < 1e-3
    assert abs(fitted_kl_rate(np.exp(-0.05 * np.arange(1000))) - 0.05) < 1e-12
    with pytest.raises(MetacotError, match="fit window"):
        fitted_kl_rate([1.0, 0.5])


def test_hitting_ratio_limit_is_one_with_exact_hitting_times():
    r = hitting_ratio_limit(ring(3, 3, 1), Fraction(1, 100), 100, 8)
    assert r.clean and abs(r.value - 1) <= r.error < 1e-9
    # the ratios approach 1 geometrically from above (slower pretrained escape before convergence)
    dev = [v - 1 for v in r.ratios]
    assert all(a > b > 0 for a, b in zip(dev, dev[1:]))
    with pytest.raises(MetacotError, match="count"):
        hitting_ratio_limit(ring(3, 3, 1), Fraction(1, 100), 100, 3)
