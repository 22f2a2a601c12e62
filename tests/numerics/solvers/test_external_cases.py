"""Peer libraries' published test cases, run against metacot's exact, mp and float paths.

* deeptime: the closed-form 3-state birth–death chain of its MFPT tests — hitting times to single
  states, to sets, and between sets (π-weighted origin). Source: deeptime-ml/deeptime,
  tests/markov/tools/analysis/test_mfpt.py (TestMfptDense.setUp, test_mfpt, test_mfpt_between_sets).
* QuantEcon: the matrices of its ``gth_solve`` tests — a 2×2 stochastic matrix, KMR (sequential move)
  with ε = 1e-2 (N = 27) and 1e-14 (N = 3), a generator, a 1×1 chain, unichains with a transient state,
  and the reducible identity. Source: QuantEcon/QuantEcon.py, quantecon/markov/tests/test_gth_solve.py.

The matrices are written here from their definitions (the libraries are not dependencies).
"""
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError
from metacot.numerics.solvers.hitting import expected_hitting_times
from metacot.numerics.solvers.moments import mean_first_passage_time
from metacot.numerics.solvers.stationary import stationary_distribution, stationary_law

# Tolerances.
# deeptime's floats (0.7, 0.5, …) are the rationals 7/10, … rounded once (relative 1.1e-16); the hitting
# times of this 3-state chain have condition number O(10) in the entries, and the float state reduction
# adds ≤ n·1.1e-16: 1e-14 relative leaves a factor ≥ 10 of room.
DEEPTIME_FLOAT_REL = 1e-14
# GTH is entrywise relatively accurate: |π̂(x) − π(x)| ≤ O(n³)·u·π(x) (O'Cinneide 1993); for the
# 28-state KMR chain 2·28³·1.1e-16 ≈ 4.9e-12, plus the rounding of the float input entries.
GTH_FLOAT_REL_28 = 5e-12
QUANTECON_TOL = 1e-15      # QuantEcon's own TOL in test_gth_solve.py (sum, non-negativity, πP = π)
MP_REL = 1e-40             # dps = 50 on 3–28 states: ~n·1e-50 rounding, ten digits of room


# --------------------------------------------------------------------------- deeptime: 3-state birth–death
P1_, P2_, Q2_, Q3_ = F(7, 10), F(1, 2), F(2, 5), F(3, 5)   # deeptime: p1 = 0.7, p2 = 0.5, q2 = 0.4, q3 = 0.6


def _birth_death(kind=F):
    p1, p2, q2, q3 = (kind(v) for v in (P1_, P2_, Q2_, Q3_))
    return [[1 - p1, p1, 0 * p1], [q2, 1 - q2 - p2, p2], [0 * p1, q3, 1 - q3]]


def _deeptime_expected():
    """deeptime's closed forms (TestMfptDense.setUp), evaluated exactly."""
    p1, p2, q2, q3 = P1_, P2_, Q2_, Q3_
    m0 = [F(0), (p2 + q3) / (q2 * q3), (p2 + q2 + q3) / (q2 * q3)]
    m1 = [1 / p1, F(0), 1 / q3]
    m2 = [(p2 + p1 + q2) / (p1 * p2), (p1 + q2) / (p1 * p2), F(0)]
    m01 = [F(0), F(0), 1 / q3]
    m12 = [1 / p1, F(0), F(0)]
    mu = [F(1), p1 / q2, p1 * p2 / q2 / q3]
    between = {
        ((1, 2), (0,)): 1 / p1,                                                    # o0t12
        ((0, 1), (2,)): 1 / q3,                                                    # o2t01
        ((2,), (0, 1)): (m2[0] * mu[0] + m2[1] * mu[1]) / (mu[0] + mu[1]),         # o01t2
        ((0,), (1, 2)): (m0[1] * mu[1] + m0[2] * mu[2]) / (mu[1] + mu[2]),         # o12t0
    }
    return {(0,): m0, (1,): m1, (2,): m2, (0, 1): m01, (1, 2): m12}, mu, between


@pytest.fixture(scope="module")
def bd_exact():
    return Chain.from_dense([[str(v) for v in r] for r in _birth_death()])


@pytest.fixture(scope="module")
def bd_float():
    # deeptime's own float matrix: np.array([[1.0 - p1, p1, 0.0], …]) with p1 = 0.7, …
    p1, p2, q2, q3 = 0.7, 0.5, 0.4, 0.6
    return Chain.from_dense(np.array([[1.0 - p1, p1, 0.0], [q2, 1.0 - q2 - p2, p2], [0.0, q3, 1.0 - q3]]))


def test_deeptime_mfpt_exact(bd_exact):
    single_and_sets, _, _ = _deeptime_expected()
    for target, expected in single_and_sets.items():
        assert expected_hitting_times(bd_exact, list(target), 0, "exact") == expected
        assert mean_first_passage_time(bd_exact, list(target), 0, method="exact") == expected
    # the concrete numbers: m0 = (0, 55/12, 25/4), m2 = (32/7, 22/7, 0)
    assert single_and_sets[(0,)] == [0, F(55, 12), F(25, 4)]
    assert single_and_sets[(2,)] == [F(32, 7), F(22, 7), 0]


def test_deeptime_mfpt_between_sets_exact(bd_exact):
    _, mu, between = _deeptime_expected()
    for (target, origin), expected in between.items():
        assert mean_first_passage_time(bd_exact, list(target), 0, origin=list(origin), method="exact") == expected
    assert between[((2,), (0, 1))] == F(282, 77) and between[((0,), (1, 2))] == F(235, 44)
    tot = sum(mu)
    assert stationary_law(bd_exact, 0, "exact") == [m / tot for m in mu]   # deeptime's μ, normalised


@pytest.mark.parametrize("method", ["float", "mp"])
def test_deeptime_mfpt_float_and_mp(bd_exact, bd_float, method):
    single_and_sets, mu, between = _deeptime_expected()
    chain = bd_float if method == "float" else bd_exact
    tol = DEEPTIME_FLOAT_REL if method == "float" else MP_REL
    for target, expected in single_and_sets.items():
        got = mean_first_passage_time(chain, list(target), 0, method=method)
        for g, e in zip(got, expected):
            assert (g == 0 and e == 0) or abs(float(g) / float(e) - 1) <= tol or \
                (method == "mp" and abs(g / (mpmath.mpf(e.numerator) / e.denominator) - 1) <= tol)
    for (target, origin), expected in between.items():
        got = mean_first_passage_time(chain, list(target), 0, origin=list(origin), method=method)
        with mpmath.workdps(60):
            rel = abs(mpmath.mpf(got) / (mpmath.mpf(expected.numerator) / expected.denominator) - 1)
        assert rel <= tol, (target, origin, got, expected)


def test_deeptime_mfpt_certified_encloses(bd_exact):
    _, _, between = _deeptime_expected()
    for (target, origin), expected in between.items():
        I = mean_first_passage_time(bd_exact, list(target), 0, origin=list(origin), method="certified")
        assert expected in I and I.relative_width() < F(1, 10**18)


# --------------------------------------------------------------------------- QuantEcon gth_solve
def kmr_sequential(N, p, eps):
    """KMR model, sequential move (QuantEcon's KMR_Markov_matrix_sequential), exactly in rationals:
    P[0,0] = 1 − ε/2, P[0,1] = ε/2; for 0 < n < N
    P[n,n−1] = (n/N)·(ε/2 + (1−ε)·(1[(n−1)/(N−1) < p] + ½·1[(n−1)/(N−1) = p])),
    P[n,n+1] = ((N−n)/N)·(ε/2 + (1−ε)·(1[n/(N−1) > p] + ½·1[n/(N−1) = p])), P[n,n] the rest;
    P[N,N−1] = ε/2, P[N,N] = 1 − ε/2."""
    half = F(1, 2)
    P = [[F(0)] * (N + 1) for _ in range(N + 1)]
    P[0][0], P[0][1] = 1 - eps * half, eps * half
    for n in range(1, N):
        a, b = F(n - 1, N - 1), F(n, N - 1)
        P[n][n - 1] = F(n, N) * (eps * half + (1 - eps) * ((a < p) + (a == p) * half))
        P[n][n + 1] = F(N - n, N) * (eps * half + (1 - eps) * ((b > p) + (b == p) * half))
        P[n][n] = 1 - P[n][n - 1] - P[n][n + 1]
    P[N][N - 1], P[N][N] = eps * half, 1 - eps * half
    return P


def _quantecon_checks(x, P):
    """QuantEcon's StationaryDistSumOne, StationaryDistNonnegative, StationaryDistLeftEigenVec."""
    x = np.asarray(x, dtype=float)
    A = np.asarray(P, dtype=float)
    assert abs(x.sum() - 1) <= QUANTECON_TOL
    assert np.all(x >= -QUANTECON_TOL)
    assert np.max(np.abs(x @ A - x)) <= QUANTECON_TOL


@pytest.mark.parametrize("N, eps", [(27, F(1, 100)), (3, F(1, 10**14))])
def test_quantecon_kmr(N, eps):
    P = kmr_sequential(N, F(1, 3), eps)
    exact = stationary_distribution(P)
    # exact: π P = π and Σ π = 1 hold exactly
    assert sum(exact) == 1 and all(v > 0 for v in exact)
    assert [sum(exact[i] * P[i][j] for i in range(N + 1)) for j in range(N + 1)] == exact
    flt = stationary_distribution(np.array([[float(v) for v in r] for r in P]))
    _quantecon_checks(flt, P)
    for a, b in zip(flt, exact):
        assert abs(a / float(b) - 1) <= GTH_FLOAT_REL_28
    # the same chain through the Chain API (exact, mp, float): P(ε) with ε folded into P0
    chain = Chain.from_dense([[str(v) for v in r] for r in P])
    assert stationary_law(chain, 0, "exact") == exact
    with mpmath.workdps(60):
        for a, b in zip(stationary_law(chain, 0, "mp"), exact):
            assert abs(a / (mpmath.mpf(b.numerator) / b.denominator) - 1) <= MP_REL


def test_quantecon_kmr_as_affine_chain_in_eps():
    """KMR is affine in the mutation rate: P(ε) = P(0) + ε·(P(1) − P(0)). The metacot chain at ε = 1e-14
    is the QuantEcon matrix; exact and float agree entrywise at ε down to 1e-100 (π then has entries of
    order ε² = 1e-200; at 1e-300 they underflow float64)."""
    P0, P1 = kmr_sequential(3, F(1, 3), F(0)), kmr_sequential(3, F(1, 3), F(1))
    D = [[str(b - a) for a, b in zip(r0, r1)] for r0, r1 in zip(P0, P1)]
    chain = Chain.from_dense([[str(v) for v in r] for r in P0], D)
    assert stationary_law(chain, "1e-14", "exact") == stationary_distribution(kmr_sequential(3, F(1, 3), F(1, 10**14)))
    fchain = chain.to_float()
    for e in ("1e-14", "1e-50", "1e-100"):
        ex = stationary_law(chain, e, "exact")
        fl = stationary_law(fchain, float(F(e)), "float")
        for a, b in zip(fl, ex):
            assert abs(a / float(b) - 1) <= GTH_FLOAT_REL_28


def test_quantecon_stochastic_2x2():
    assert stationary_distribution([[F(2, 5), F(3, 5)], [F(1, 5), F(4, 5)]]) == [F(1, 4), F(3, 4)]
    x = stationary_distribution(np.array([[0.4, 0.6], [0.2, 0.8]]))
    assert np.allclose(x, [0.25, 0.75], rtol=0, atol=QUANTECON_TOL)


def test_quantecon_generator():
    """[[-3, 3], [4, -4]] (a generator) → (4/7, 3/7): only off-diagonal entries are read."""
    assert stationary_distribution([[F(-3), F(3)], [F(4), F(-4)]]) == [F(4, 7), F(3, 7)]
    x = stationary_distribution(np.array([[-3.0, 3.0], [4.0, -4.0]]))
    assert np.allclose(x, [4 / 7, 3 / 7], rtol=0, atol=QUANTECON_TOL)
    # the uniformised chain I + G/4 has the same law
    assert stationary_law(Chain.from_dense([["1/4", "3/4"], [1, 0]]), 0) == [F(4, 7), F(3, 7)]


def test_quantecon_one_by_one():
    assert list(stationary_distribution(np.array([[1.0]]))) == [1.0]
    assert stationary_distribution([[F(1)]]) == [F(1)]
    assert stationary_law(Chain.from_dense([[1]]), 0) == [F(1)]


@pytest.mark.parametrize("P", [[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
def test_quantecon_unichain_with_transient_state(P):
    """QuantEcon: gth_solve([[0.5, 0.5], [0, 1]]) == [0, 1] and gth_solve([[0, 1], [0, 1]]) == [0, 1]."""
    assert list(stationary_distribution(np.array(P))) == [0.0, 1.0]
    exact = [[F(v) for v in r] for r in P]
    assert stationary_distribution(exact) == [F(0), F(1)]
    chain = Chain.from_dense([[str(F(v)) for v in r] for r in P])
    assert stationary_law(chain, 0, "exact") == [0, 1]
    assert list(stationary_law(chain, 0, "float")) == [0.0, 1.0]
    I = stationary_law(chain, 0, "certified")
    assert I[0].hi == 0 and I[1].lo == I[1].hi == 1


def test_quantecon_reducible_identity_is_refused():
    """QuantEcon returns (1, 0) for the identity (one of its two stationary laws); metacot refuses a
    non-unique answer with a one-line error naming the closed classes."""
    with pytest.raises(ChainError, match=r"2 closed classes \(\{0\}, \{1\}\).*not unique"):
        stationary_distribution(np.eye(2))


def test_quantecon_non_square_raises():
    with pytest.raises(ValueError, match="square"):          # ChainError is a ValueError, as in QuantEcon
        stationary_distribution(np.array([[0.4, 0.6]]))
    with pytest.raises(ValueError, match="square"):
        stationary_distribution(np.array([0.4, 0.6]))
