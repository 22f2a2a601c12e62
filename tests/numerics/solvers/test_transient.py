"""Laws at a time T (transient.py) against exact rational matrix powers, closed forms and scipy's expm."""
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.errors import MetacotError
from metacot.numerics.families import random_chain, ring
from metacot.numerics.solvers.meta_chain import cluster_stationary_laws, meta_generator
from metacot.numerics.solvers.transient import (cluster_law_at_time, law_at_time, matrix_power_row, meta_law_at_time,
                                                meta_law_error, steps_at, survival_probability)
from strategies import chains


def _exact_rows(chain, eps):
    """P(ε) as exact dense rows (independent of transient.py: Chain.kernel_exact)."""
    rows = chain.kernel_exact(F(eps))
    return [[rows[x].get(y, F(0)) for y in range(chain.n)] for x in range(chain.n)]


def _exact_row_power(v, P, T):
    """v·P^T by T exact vector–matrix products (the naive independent computation)."""
    n = len(P)
    for _ in range(T):
        v = [sum((v[i] * P[i][j] for i in range(n)), F(0)) for j in range(n)]
    return v


@settings(max_examples=10)
@given(chains(max_k=3, max_size=3), st.integers(0, 12), st.sampled_from(["1/10", "1/3", "1e-5"]))
def test_law_at_time_encloses_the_exact_power(chain, T, eps):
    eps = min(F(eps), chain.eps_max)
    exact = _exact_row_power([F(int(x == chain.start)) for x in range(chain.n)], _exact_rows(chain, eps), T)
    law = law_at_time(chain, chain.start, eps, T)
    assert all(e in iv for e, iv in zip(exact, law))
    assert all(iv.width() <= F(1, 10**19) for iv in law)           # rtol 1e-20 on entries ≤ 1
    mp = law_at_time(chain, chain.start, eps, T, "mp", dps=40)
    with mpmath.workdps(60):
        # 40 digits, T ≤ 12 products of non-negative numbers: rounding ≤ 1e-37
        assert all(abs(m - mpmath.mpf(e.numerator) / e.denominator) < 1e-37 for m, e in zip(mp, exact))


def test_two_state_closed_form_at_large_T():
    # ring(2, 1, q = 1): P_0(X_T = 0) = (1 + (1 − 2ε)^T)/2, checked at T = 10^6 with 60 mp digits
    c = ring(2, 1)
    p = law_at_time(c, 0, "1e-7", 10**6)
    assert float(p[0].relative_width()) <= 1e-20
    with mpmath.workdps(80):
        ref = (1 + (1 - 2 * mpmath.mpf("1e-7")) ** 10**6) / 2        # 80 digits: error ≲ 1e-74
        lo = mpmath.mpf(p[0].lo.numerator) / p[0].lo.denominator
        hi = mpmath.mpf(p[0].hi.numerator) / p[0].hi.denominator
        assert lo - mpmath.mpf(10) ** -70 <= ref <= hi + mpmath.mpf(10) ** -70


def test_survival_complete_block_is_geometric():
    # ring(3, 2): from the uniform law on C_0 the exit time is geometric with parameter ελ = ε/2
    c = ring(3, 2)
    pi = dict(zip(c.clusters[0], cluster_stationary_laws(c)[0]))
    for T in (0, 1, 7, 50):
        assert F(39, 40) ** T in survival_probability(c, c.clusters[0], pi, "1/20", T)


@settings(max_examples=10)
@given(chains(max_k=3, max_size=3), st.integers(0, 10))
def test_survival_matches_exact_restricted_power(chain, T):
    eps = min(F(1, 7), chain.eps_max)
    Cs = chain.clusters[0]
    P = _exact_rows(chain, eps)
    Q = [[P[x][y] for y in Cs] for x in Cs]
    pi = cluster_stationary_laws(chain)[0]
    exact = sum(_exact_row_power(list(pi), Q, T), F(0))
    assert exact in survival_probability(chain, Cs, dict(zip(Cs, pi)), eps, T)
    # weight outside S counts as σ = 0: a point mass outside C_0 survives with probability 0
    outside = next(x for x in range(chain.n) if x not in Cs)
    assert survival_probability(chain, Cs, outside, eps, T) == survival_probability(chain, Cs, outside, eps, T, prec=64)
    assert 0 in survival_probability(chain, Cs, outside, eps, T)


def test_cluster_law_sums_state_probabilities():
    c = random_chain(4, [2, 3, 2], extra_edges=2)
    exact = _exact_row_power([F(int(x == 1)) for x in range(c.n)], _exact_rows(c, F(1, 9)), 6)
    law = cluster_law_at_time(c, 1, "1/9", 6)
    for k, cl in enumerate(c.clusters):
        assert sum((exact[x] for x in cl), F(0)) in law[k]


def test_meta_law_matches_scipy_expm():
    c = random_chain(9, [2, 3, 2, 2], extra_edges=3)
    L = np.array(meta_generator(c), dtype=float)
    E = scipy.linalg.expm(1.5 * L)
    for k in range(c.K):
        got = meta_law_at_time(c, k, "3/2")
        # scipy's expm (Padé, float64) on a 4×4 generator with entries ≤ 2: accurate to ~1e-15
        assert np.allclose([float(v.mid) for v in got], E[k], rtol=0, atol=1e-13)
        mp = meta_law_at_time(c, k, "3/2", "mp", dps=30)
        with mpmath.workdps(50):
            # mpmath.expm at 40 digits vs the enclosure (relative width ≤ 1e-20 on entries ≤ 1)
            assert all(abs(a - mpmath.mpf(b.mid.numerator) / b.mid.denominator) < 1e-19 for a, b in zip(mp, got))


def test_meta_law_error_is_order_eps_and_agrees_with_mp():
    c = ring(3, 2)
    e6, e7 = meta_law_error(c, 0, 1, "1e-6"), meta_law_error(c, 0, 1, "1e-7")
    # err = c1 ε + O(ε²): ten times smaller for ten times smaller ε, to relative O(ε) ≈ 1e-6
    assert abs(float(e6.mid / e7.mid) - 10) < 1e-4
    m6 = meta_law_error(c, 0, 1, "1e-6", "mp", dps=50)
    with mpmath.workdps(60):
        # mp: 50 digits, 20 squarings (rounding ≈ T·n·1e-50) against the certified enclosure (relative width
        # ≤ 1e-20 on an error of 4e-7): they agree to 1e-26
        assert abs(m6 - mpmath.mpf(e6.mid.numerator) / e6.mid.denominator) < 1e-26


def test_meta_law_error_against_independent_computation():
    # ε = 1/10, t = 1: T = 10 steps by naive exact products and e^{L} by scipy
    c = random_chain(3, [3, 2, 3], extra_edges=2)
    eps = F(1, 10)
    law = _exact_row_power([F(int(x == 0)) for x in range(c.n)], _exact_rows(c, eps), 10)
    E = scipy.linalg.expm(np.array(meta_generator(c), dtype=float))
    k0 = int(c.cluster_of[0])
    ref = max(abs(float(sum((law[x] for x in cl), F(0))) - E[k0, l]) for l, cl in enumerate(c.clusters))
    assert abs(float(meta_law_error(c, 0, 1, eps).mid) - ref) < 1e-13     # float64 expm: ~1e-15


def test_matrix_power_row_matches_repeated_products():
    Q = mpmath.matrix([[0.5, 0.25], [0.125, 0.75]])
    v = mpmath.matrix([[0.3, 0.7]])
    ref = v.copy()
    for _ in range(13):
        ref = ref * Q
    got = matrix_power_row(v, Q, 13)
    assert all(abs(got[0, j] - ref[0, j]) < 1e-14 for j in range(2))
    assert matrix_power_row(v, Q, 0) == v


def test_steps_and_input_errors():
    assert steps_at("1", "1e-3") == 1000 and steps_at("1/3", "1/10") == 3
    c = ring(2, 2)
    with pytest.raises(MetacotError, match="non-negative integer"):
        law_at_time(c, 0, "1/10", -1)
    with pytest.raises(MetacotError, match="unknown method"):
        law_at_time(c, 0, "1/10", 2, "float")
    with pytest.raises(MetacotError, match="unknown cluster"):
        meta_law_at_time(c, 5, 1)
    with pytest.raises(MetacotError, match="empty"):
        survival_probability(c, [], 0, "1/10", 2)
