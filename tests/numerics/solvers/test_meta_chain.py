"""Meta-chain: rates, λ, L, J, h^meta against hand computations and properties."""
from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings

from metacot import meta_generator, meta_hitting_times, meta_rates, ring, uniform_escape
from metacot.numerics.solvers.meta_chain import cluster_stationary_laws, escape_rates, jump_chain, jump_hitting_times
from strategies import chains
from strategies import two_cluster_chain


def test_hand_computed_two_cluster_case():
    c = two_cluster_chain()
    assert cluster_stationary_laws(c) == [[F(1, 3), F(2, 3)], [F(1)]]
    # r(0,1) = π(1)·q(1,2) = 2/3 · 1/2; r(1,0) = q(2,0) = 1
    assert meta_rates(c) == [[0, F(1, 3)], [F(1), 0]]
    assert escape_rates(c) == [F(1, 3), F(1)]
    assert meta_generator(c) == [[F(-1, 3), F(1, 3)], [F(1), F(-1)]]
    assert jump_chain(c) == [[0, 1], [1, 0]]
    assert meta_hitting_times(c) == [[0, 3], [1, 0]]


def test_three_cluster_ctmc_by_hand():
    # C0 = {0}, C1 = {1}, C2 = {2}; 0→1 (1), 0→2 (1), 1→2 (2), 2→0 (1). h(0→2): λ0 = 2,
    # h0 = 1/2 + 1/2 h1, h1 = 1/2 ⇒ h0 = 3/4.
    from metacot.numerics.chain import row_rescaled_chain

    c = row_rescaled_chain([[[1]], [[1]], [[1]]], {(0, 1): 1, (0, 2): 1, (1, 2): 2, (2, 0): 1})
    h = meta_hitting_times(c)
    assert h[0][2] == F(3, 4) and h[1][2] == F(1, 2)
    assert h[2][0] == 1 and h[1][0] == F(3, 2)
    assert jump_hitting_times(c)[0][2] == F(3, 2)


def test_canonical_h_meta():
    assert meta_hitting_times(ring(5, 4, 1))[0][4] == 16          # (K−1)M/q
    assert meta_hitting_times(ring(4, 3, F(1, 2)))[0][3] == 18
    h = meta_hitting_times(uniform_escape(5, 4, 2))
    assert all(h[k][l] == 8 for k in range(5) for l in range(5) if k != l)


@given(chains())
def test_random_meta_rates_nonnegative_and_generator_rows_sum_to_zero(chain):
    r = meta_rates(chain)
    assert all(v >= 0 for row in r for v in row)
    L = meta_generator(chain)
    assert all(sum(row) == 0 for row in L)
    J = jump_chain(chain)
    assert all(sum(row) == 1 for row in J)


@given(chains())
def test_float_meta_matches_exact(chain):
    exact = meta_hitting_times(chain)
    approx = meta_hitting_times(chain.to_float())
    ex = np.array([[float(v) for v in row] for row in exact])
    # both are subtraction-free eliminations on K ≤ 4 states: relative error ≤ ~50 ulps
    np.testing.assert_allclose(np.array(approx, dtype=float), ex, rtol=1e-13)


# --------------------------------------------------------------------------- paths, moments, absorption, charpoly
import math  # noqa: E402

import pytest  # noqa: E402
import sympy  # noqa: E402

from metacot.numerics.chain import row_rescaled_chain  # noqa: E402
from metacot.numerics.errors import MetacotError  # noqa: E402
from metacot.numerics.families import random_clustered, restart  # noqa: E402
from metacot.numerics.solvers.meta_chain import (ctmc_hitting_moments, ctmc_hitting_times,  # noqa: E402
                                                 jump_absorption_probabilities, meta_characteristic_polynomial,
                                                 meta_hitting_moments, min_sparse_crossings, sparse_weights)


def test_min_sparse_crossings_by_hand():
    assert min_sparse_crossings(ring(6, 3), 0, ring(6, 3).target) == 5
    assert min_sparse_crossings(uniform_escape(6, 3), 0, uniform_escape(6, 3).target) == 1
    # 0 →(sparse) 1 →(dense) 2 →(sparse) 3; the shortcut 0 → 3 is absent: D = 2. State 4 is unreachable.
    c = row_rescaled_chain([[[1]], [["1/2", "1/2"], ["1/2", "1/2"]], [[1]], [[1]]],
                           {(0, 1): 1, (2, 3): 1, (3, 0): 1, (4, 0): 1})
    assert min_sparse_crossings(c, 0, 3) == 2 and min_sparse_crossings(c, 1, 3) == 1
    assert min_sparse_crossings(c, 0, 4) == math.inf
    with pytest.raises(MetacotError):
        min_sparse_crossings(c, 0, 9)


@given(chains())
def test_task_difficulty_bound_on_random_chains(chain):
    # h^meta(k → l) ≥ D / λ_max: every meta path crosses ≥ D clusters, each holding ≥ 1/λ_max on average
    D = min_sparse_crossings(chain, chain.start, chain.target)
    lam = max(v for v in escape_rates(chain) if v > 0)
    k, l = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
    assert meta_hitting_times(chain)[k][l] >= D / lam


def _sympy_ctmc_moments(rates, target):
    """Independent solve: restricted generator, h = −L⁻¹1, m₂ = −2 L⁻¹ h (sympy, exact)."""
    K = len(rates)
    idx = [k for k in range(K) if k != target]
    L = sympy.Matrix(K, K, lambda a, b: sympy.Rational(rates[a][b]) if a != b else -sum(
        (sympy.Rational(rates[a][c]) for c in range(K) if c != a), sympy.Integer(0)))
    Lr = L.extract(idx, idx)
    h = -Lr.inv() * sympy.ones(len(idx), 1)
    m2 = -2 * Lr.inv() * h
    return idx, h, m2


@given(chains())
def test_meta_moments_against_sympy_linear_solve(chain):
    r = meta_rates(chain)
    l = int(chain.cluster_of[chain.target])
    h, m2 = ctmc_hitting_moments(r, l, True)
    if any(v == math.inf for v in h):
        return
    idx, hs, ms = _sympy_ctmc_moments(r, l)
    for i, k in enumerate(idx):
        assert h[k] == F(int(hs[i].p), int(hs[i].q)) and m2[k] == F(int(ms[i].p), int(ms[i].q))
    mm = meta_hitting_moments(chain, l)
    assert all(v == b - a * a for v, a, b in zip(mm.variance, mm.mean, mm.second_moment))


def test_meta_moments_canonical_closed_forms():
    for K, M, q in ((4, 3, 1), (6, 2, F(1, 2))):
        m = meta_hitting_moments(ring(K, M, q), K - 1)
        assert m.mean[0] == (K - 1) * M / q and m.variance[0] == (K - 1) * M**2 / q**2
        u = meta_hitting_moments(uniform_escape(K, M, q), K - 1)
        assert u.variance[0] == ((K - 1) * M / q) ** 2          # Exp((K−1)M/q)
    assert ctmc_hitting_moments([[0, 0.5], [0, 0]], 1, False) == ([2.0, 0.0], [8.0, 0.0])
    with pytest.raises(MetacotError):
        meta_hitting_moments(ring(3, 2), 3)


def _sympy_absorption(J, A, B):
    """Independent solve of u = J u off A ∪ B with u = 1 on A, 0 on B (all other clusters reach A ∪ B here)."""
    K = len(J)
    idx = [k for k in range(K) if k not in A and k not in B]
    Jm = sympy.Matrix(K, K, lambda a, b: sympy.Rational(J[a][b]))
    Q = Jm.extract(idx, idx)
    R = Jm.extract(idx, sorted(A)) * sympy.ones(len(A), 1)
    u = (sympy.eye(len(idx)) - Q).inv() * R
    return {k: F(int(u[i].p), int(u[i].q)) for i, k in enumerate(idx)}


@settings(max_examples=15)
@given(chains(min_k=3, max_k=4))
def test_jump_absorption_against_linear_solve(chain):
    J = jump_chain(chain)
    K = chain.K
    for A, B in (([0], [1]), ([K - 1], [0, 1])):
        u = jump_absorption_probabilities(chain, A, B)
        assert all(u[a] == 1 for a in A) and all(u[b] == 0 for b in B)
        try:
            ref = _sympy_absorption(J, A, B)
        except ValueError:      # singular: some cluster cannot reach A ∪ B (u = 0 there by definition)
            continue
        assert all(u[k] == v for k, v in ref.items())


def test_jump_absorption_inputs():
    c = uniform_escape(4, 2)
    assert jump_absorption_probabilities(c, [2], [3])[:2] == [F(1, 2), F(1, 2)]
    with pytest.raises(MetacotError, match="both"):
        jump_absorption_probabilities(c, [1], [1, 2])
    with pytest.raises(MetacotError, match="empty"):
        jump_absorption_probabilities(c, [], [1])


@settings(max_examples=15)
@given(chains())
def test_meta_charpoly_against_sympy(chain):
    L = sympy.Matrix(meta_generator(chain))
    nu = sympy.Symbol("nu")
    ref = sympy.Poly((nu * sympy.eye(L.rows) + L).det(), nu).all_coeffs()[::-1]
    assert meta_characteristic_polynomial(chain) == [F(int(c.p), int(c.q)) for c in ref]
    lam = escape_rates(chain)
    assert meta_characteristic_polynomial(chain, [0]) == [-lam[0], 1]


def test_sparse_weights_and_uniform_blocks():
    for seed, K, M, d in ((0, 6, 4, 2), (1, 5, 3, 3), (2, 8, 1, 1)):
        c = random_clustered(seed, K, M, d)
        W, r = sparse_weights(c), meta_rates(c)
        assert all(r[k][l] == W[k][l] / M for k in range(K) for l in range(K))      # π_k uniform
        assert all(sum(1 for l in range(K) if W[k][l] != 0) == d for k in range(K))  # out-degree
        assert all(W[k][(k + 1) % K] != 0 for k in range(K))                          # the cycle
        assert all(F(1, 4) <= W[k][l] <= 1 for k in range(K) for l in range(K) if W[k][l])
        assert cluster_stationary_laws(c)[0] == [F(1, M)] * M


def test_restart_family_hitting_time():
    # K = 3, weights a (forward), b (back): h̃ = (2a + b)/a², h^meta = M·h̃
    for M, a, b in ((1, 1, 1), (2, F(1, 2), 3), (3, 2, F(1, 4))):
        c = restart(3, M, a, b)
        assert ctmc_hitting_times(meta_rates(c), 2, True)[0] == M * (2 * a + b) / a**2
    # unit weights: h_0 = 1 + h_1, h_k = 1/2 + (h_{k+1} + h_0)/2 (1 ≤ k ≤ K−2), h_{K−1} = 0 ⇒ h_0 = 2^{K−1} − 1
    for K in (4, 12):
        assert ctmc_hitting_times(meta_rates(restart(K, 1)), K - 1, True)[0] == 2 ** (K - 1) - 1
