"""Monte Carlo: alias sampler law, determinism, hitting-time samples vs exact values (4 standard errors)."""
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError, UnreachableTargetError
from metacot.numerics.families import random_chain, ring
from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.solvers.monte_carlo import (KernelSampler, SimulationTruncatedError, monte_carlo_hitting_time,
                               sample_trajectory, simulate_hitting_times)
from strategies import chains

P_MIN = 1e-4  # chi-square tests are deterministic (seeded); 1e-4 makes a false alarm on a correct sampler rare


def test_one_step_law_chi_square():
    c = random_chain(3, [3, 2, 4], extra_edges=3)
    eps = F(1, 10)
    P = c.kernel(eps).toarray()
    s = KernelSampler(c, eps, seed=11)
    W = 200_000
    for x in range(c.n):
        counts = np.bincount(s.step(np.full(W, x)), minlength=c.n)
        sup = P[x] > 0
        assert counts[~sup].sum() == 0                 # never leaves the support
        assert stats.chisquare(counts[sup], W * P[x, sup]).pvalue > P_MIN


def test_dense_row_law_chi_square():
    """A 40-state complete block: the vectorised Vose construction on many slots per row."""
    rng = np.random.default_rng(0)
    B = rng.random((40, 40)) ** 3
    B /= B.sum(1, keepdims=True)
    c = Chain.from_dense(B)
    s = KernelSampler(c, 0.0, seed=2)
    W = 400_000
    for x in (0, 17, 39):
        counts = np.bincount(s.step(np.full(W, x)), minlength=40)
        assert stats.chisquare(counts, W * B[x]).pvalue > P_MIN


def test_seeded_determinism_and_threads():
    c = ring(4, 3).to_float()
    a = KernelSampler(c, 0.01, seed=5).run(np.zeros(200_000, dtype=np.int64), 5)
    b = KernelSampler(c, 0.01, seed=5).run(np.zeros(200_000, dtype=np.int64), 5)
    assert (a == b).all()
    t1 = KernelSampler(c, 0.01, seed=5, threads=2).run(np.zeros(200_000, dtype=np.int64), 5)
    t2 = KernelSampler(c, 0.01, seed=5, threads=2).run(np.zeros(200_000, dtype=np.int64), 5)
    assert (t1 == t2).all()
    assert not (KernelSampler(c, 0.01, seed=6).run(np.zeros(1000, dtype=np.int64), 5) ==
                KernelSampler(c, 0.01, seed=5).run(np.zeros(1000, dtype=np.int64), 5)).all()


def test_trajectory_follows_support():
    c = random_chain(1, [2, 3])
    x = sample_trajectory(c, F(1, 5), 0, 500, seed=3)
    assert x.dtype == np.int64 and x.shape == (501,) and x[0] == 0
    P = c.kernel(F(1, 5)).toarray()
    assert all(P[a, b] > 0 for a, b in zip(x[:-1], x[1:]))
    assert (sample_trajectory(c, F(1, 5), 0, 500, seed=3) == x).all()


@settings(max_examples=8)
@given(chains(max_k=3, max_size=3), st.sampled_from([F(1, 5), F(1, 10), F(1, 30)]), st.integers(0, 1000))
def test_mc_mean_within_4_standard_errors(chain, eps, seed):
    eps = eps if eps <= chain.eps_max else chain.eps_max / 2
    exact = hitting_time(chain, chain.start, chain.target, eps, "exact")
    est = monte_carlo_hitting_time(chain, chain.start, chain.target, eps, 3000, seed, return_sample=True)
    assert est.sample.shape == (3000,) and est.sample.min() >= 0
    assert abs(est.mean - float(exact)) <= 4 * est.stderr    # CLT: a 4-SE miss has probability ~6e-5


def test_mc_start_array_and_zero_time():
    c = ring(3, 2)
    starts = np.array([5, 5, 0, 1])
    tau = simulate_hitting_times(c, F(1, 10), starts, 5, 4, seed=0)
    assert tau[0] == 0 and tau[1] == 0 and tau[2] > 0 and tau[3] > 0


def test_truncation_is_reported_not_hidden():
    c = ring(3, 2)
    with pytest.raises(SimulationTruncatedError) as info:
        simulate_hitting_times(c, F(1, 1000), 0, c.target, 100, seed=1, max_steps=10)
    e = info.value
    assert e.times.shape == (100,) and (~e.hit).sum() > 0 and (e.times[~e.hit] == -1).all()


def test_bad_inputs():
    c = ring(3, 2)
    split = Chain.from_dense([[1, 0], [0, 1]], [[0, 0], [0, 0]])
    with pytest.raises(UnreachableTargetError):
        simulate_hitting_times(split, F(1, 10), 0, 1, 10, seed=0)
    with pytest.raises(MetacotError, match="unknown start"):
        simulate_hitting_times(c, F(1, 10), 9, 5, 10, seed=0)
    with pytest.raises(MetacotError, match="n_walkers"):
        simulate_hitting_times(c, F(1, 10), 0, 5, 0, seed=0)
    with pytest.raises(MetacotError, match="walker states"):
        KernelSampler(c, F(1, 10), seed=0).step(np.array([7]))
    with pytest.raises(MetacotError):
        KernelSampler(c, F(2), seed=0)
    with pytest.raises(MetacotError, match="at least 2"):
        monte_carlo_hitting_time(c, 0, 5, F(1, 10), 1, seed=0)


def test_dkw_band_and_empirical_survival():
    from metacot.numerics.solvers.monte_carlo import dkw_halfwidth, empirical_survival

    # Massart: c = sqrt(ln(2/α)/(2n)); at n = 2000, α = 0.05: sqrt(ln 40 / 4000) = 0.030368…
    assert abs(dkw_halfwidth(2000, 0.05) - 0.0303682) < 1e-6
    assert empirical_survival(np.array([3, 1, 2, 2]), [0, 1, 2, 2.5, 3]) == [1.0, 0.75, 0.25, 0.25, 0.0]
    # coverage: the band holds for seeded Exp(1) samples (level 1e-3: a failure here would be a bug)
    x = np.random.default_rng(5).exponential(size=5000)
    s = np.linspace(0.05, 4, 60)
    dev = np.abs(np.array(empirical_survival(x, s)) - np.exp(-s))
    assert dev.max() <= dkw_halfwidth(5000, 1e-3)
    with pytest.raises(MetacotError):
        dkw_halfwidth(0, 0.1)
    with pytest.raises(MetacotError):
        empirical_survival(np.array([]), [1])
