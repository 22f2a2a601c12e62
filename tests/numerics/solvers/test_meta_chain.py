"""Meta-chain: rates, λ, L, J, h^meta against hand computations and properties."""
from fractions import Fraction as F

import numpy as np
from hypothesis import given

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
