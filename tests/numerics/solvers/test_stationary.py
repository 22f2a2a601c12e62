"""Stationary laws (one home: metacot.numerics.solvers.stationary): unichains, methods, the callers."""
import random
from fractions import Fraction as F

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError
from metacot.numerics.solvers.stationary import recurrent_classes, stationary_distribution, stationary_law
from strategies import chains, eps_decades, rel_to_exact as _rel

# Tolerances.
FLOAT_REL = 1e-12   # GTH float: entrywise relative error O(n³)·1.1e-16 (O'Cinneide 1993), n ≤ 16 here
MP_REL = 1e-40      # dps = 50: ~n·1e-50 rounding; ten digits of room


def _clamp(chain, eps):
    return eps if eps <= chain.eps_max else chain.eps_max / 2


def _nullspace_law(P):
    """Independent reference: the left null vector of P − I (sympy, exact), normalised; unique for unichains."""
    M = sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in r] for r in P])
    ns = (M.T - sympy.eye(M.shape[0])).nullspace()
    assert len(ns) == 1
    v = ns[0] / sum(ns[0])
    return [F(int(sympy.fraction(x)[0]), int(sympy.fraction(x)[1])) for x in v]


@st.composite
def unichains(draw, max_closed=4, max_transient=4):
    """A random exact unichain: an irreducible aperiodic closed class plus transient states that lead into it,
    states shuffled."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = random.Random(seed)
    r = draw(st.integers(1, max_closed))
    t = draw(st.integers(1, max_transient))
    n = r + t
    perm = list(range(n))
    rng.shuffle(perm)
    closed, trans = perm[:r], perm[r:]
    P = [[F(0)] * n for _ in range(n)]
    for i, x in enumerate(closed):
        w = {closed[(i + 1) % r]: rng.randint(1, 6), x: rng.randint(1, 6)}   # cycle + self-loop: irreducible, aperiodic
        for y in closed:
            if rng.random() < 0.4:
                w[y] = w.get(y, 0) + rng.randint(1, 6)
        tot = sum(w.values())
        for y, v in w.items():
            P[x][y] += F(v, tot)
    for i, x in enumerate(trans):
        w = {rng.choice(closed): rng.randint(1, 6)}            # leads into the closed class
        for y in trans[:i] + [x] + trans[i + 1:]:
            if rng.random() < 0.5:
                w[y] = w.get(y, 0) + rng.randint(1, 6)
        tot = sum(w.values())
        for y, v in w.items():
            P[x][y] += F(v, tot)
    return P, sorted(closed), sorted(trans)


@settings(max_examples=30)
@given(unichains())
def test_unichain_matches_nullspace_and_is_zero_on_transient(case):
    P, closed, trans = case
    pi = stationary_distribution(P)
    assert pi == _nullspace_law(P)
    assert all(pi[x] == 0 for x in trans) and all(pi[x] > 0 for x in closed)
    flt = stationary_distribution(np.array([[float(v) for v in r] for r in P]))
    assert all(flt[x] == 0.0 for x in trans)
    for x in closed:
        assert _rel(flt[x], pi[x]) <= FLOAT_REL
    chain = Chain.from_dense([[str(v) for v in r] for r in P])
    assert stationary_law(chain, 0, "exact") == pi
    for a, b in zip(stationary_law(chain, 0, "mp"), pi):
        assert (b == 0 and a == 0) or _rel(a, b) <= MP_REL
    for I, b in zip(stationary_law(chain, 0, "certified"), pi):
        assert b in I


@settings(max_examples=15)
@given(chains(), eps_decades(1, 60))
def test_methods_agree_on_metastable_chains(chain, eps):
    eps = _clamp(chain, eps)
    ex = stationary_law(chain, eps, "exact")
    assert sum(ex) == 1
    for a, b in zip(stationary_law(chain, eps, "float"), ex):
        assert _rel(a, b) <= FLOAT_REL
    for a, b in zip(stationary_law(chain, eps, "mp"), ex):
        assert _rel(a, b) <= MP_REL


def test_unichain_in_eps_transient_cluster():
    """Cluster {0, 1} leaks into the absorbing state 2 at rate ε and never comes back: π = (0, 0, 1) for ε > 0,
    while at ε = 0 the chain has two closed classes and the law is not unique."""
    c = Chain.from_dense([["1/2", "1/2", 0], ["1/2", "1/2", 0], [0, 0, 1]],
                         [[0, 0, 0], ["-1/2", "-1/2", 1], [0, 0, 0]])
    assert stationary_law(c, "1e-40") == [0, 0, 1]
    assert list(stationary_law(c.to_float(), 1e-300, "float")) == [0.0, 0.0, 1.0]
    with pytest.raises(ChainError, match="2 closed classes"):
        stationary_law(c, 0)
    with pytest.raises(ChainError, match="transient"):
        stationary_law(c, "1e-40", irreducible=True)


def test_recurrent_classes():
    import scipy.sparse as sp

    S = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]))
    classes, transient = recurrent_classes(S)
    assert classes == [[1, 2], [3]] and transient.tolist() == [True, False, False, False]


def test_one_home_callers_agree():
    """reduction.gth_stationary, hitting.stationary_law, distill.stationary_law and pretrain.stationary_law are
    calls of the one home and give identical results."""
    from metacot.numerics.algorithms import distill, pretrain
    from metacot.numerics.families import random_chain
    from metacot.numerics.solvers import hitting, reduction

    c = random_chain(11, [3, 2, 2])
    eps = F(1, 10**6)
    ref = stationary_law(c, eps, "exact")
    assert hitting.stationary_law(c, eps, "exact") == ref
    assert distill.stationary_law(c, eps) == ref
    P = [[row.get(j, F(0)) for j in range(c.n)] for row in c.kernel_exact(eps)]
    assert reduction.gth_stationary(P) == ref
    fl = stationary_law(c, eps, "float")
    assert np.array_equal(pretrain.stationary_law(c.kernel_dense(eps)), fl)
    assert np.array_equal(distill.stationary_law(c, eps, exact=False), fl)
    # the callers that need μ > 0 keep refusing transient states
    uni = np.array([[0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(ChainError, match="transient"):
        pretrain.stationary_law(uni)


def test_bad_inputs():
    with pytest.raises(ChainError, match="negative"):
        stationary_distribution(np.array([[0.5, -0.5], [0.5, 0.5]]))
    with pytest.raises(ChainError, match="square"):
        stationary_distribution([[F(1), F(0)]])
    with pytest.raises(ChainError, match="empty"):
        stationary_distribution(np.zeros((0, 0)))
    c = Chain.from_dense([["1/2", "1/2"], ["1/2", "1/2"]])
    from metacot.numerics.errors import MetacotError

    with pytest.raises(MetacotError, match="unknown method"):
        stationary_law(c, 0, "magic")
    with pytest.raises(MetacotError, match="exact"):
        stationary_law(c.to_float(), 0, "exact")


# --------------------------------------------------------------------------- the sparse float path (rounds)
SPARSE_REL = 1e-14   # GTH in rounds vs exact: measured ≤ 1.9e-15 on these chains at ε = 1e-2 … 1e-200 (the
#                      dense float GTH: ≤ 2.3e-15); input rounding of the rational entries is included


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sparse_reduction_equals_exact_entrywise(seed):
    from metacot.numerics.families import random_chain, random_clustered
    from metacot.numerics.solvers import stationary as S
    from metacot.numerics.solvers.reduction import stationary_reduction_sparse

    c = random_clustered(seed, K=14, M=8) if seed % 2 else random_chain(seed, K=40, max_size=5, extra_edges=3)
    for eps in (F(1, 100), F(1, 10**40), F(1, 10**200)):
        eps = min(eps, c.eps_max / 2)
        ex = stationary_law(c, eps, "exact")
        K = c.to_float().kernel(float(eps))
        pi = stationary_reduction_sparse(K)
        assert max(_rel(p, e) for p, e in zip(pi, ex)) <= SPARSE_REL
        assert np.allclose(pi, S._gth_float(K.toarray()), rtol=SPARSE_REL, atol=0)


def test_large_sparse_kernels_take_the_rounds_path():
    from metacot.numerics.families import random_clustered
    from metacot.numerics.solvers import stationary as S

    c = random_clustered(1, K=50, M=8).to_float()
    K = c.kernel(1e-9)
    assert c.n > S.SPARSE_LAW_MIN_N and S._use_sparse(K) and not S._use_sparse(K[:300, :300].toarray())
    pi = stationary_law(c, 1e-9, "float")
    assert np.allclose(pi, S._gth_float(K.toarray()), rtol=SPARSE_REL, atol=0)


def test_sparse_law_of_a_unichain_and_a_reducible_matrix():
    import scipy.sparse as sp

    from metacot.numerics.solvers.reduction import stationary_reduction_sparse

    # a 600-state cycle with rates 1 + (x mod 3) (π ∝ 1/rate), plus 100 transient states feeding into it
    n, m = 600, 100
    rows = list(range(n)) + list(range(n, n + m))
    cols = [(x + 1) % n for x in range(n)] + [(x * 7) % n for x in range(m)]
    vals = [1.0 + (x % 3) for x in range(n)] + [0.5] * m
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n + m, n + m))
    pi = stationary_distribution(A)
    w = np.array([1 / (1.0 + (x % 3)) for x in range(n)])
    assert np.all(pi[n:] == 0)
    # 600 states, a few roundings each: relative error a few 1e-16 entrywise
    assert np.allclose(pi[:n], w / w.sum(), rtol=1e-14, atol=0)
    assert np.allclose(stationary_reduction_sparse(A[:n, :n]), w / w.sum(), rtol=1e-14, atol=0)
    with pytest.raises(ChainError, match="transient"):
        stationary_distribution(A, irreducible=True)
    two = sp.block_diag([A[:n, :n], A[:n, :n]], format="csr")     # two closed classes: no unique law
    with pytest.raises(ChainError):
        stationary_distribution(two)


def test_float_law_of_a_large_sparse_ring():
    # no size limit for sparse kernels (the dense GTH stops at 10⁴ states): π of ring(20000, 5) (10⁵ states)
    # is uniform on the ring up to O(ε) corrections, sums to 1, and satisfies π P = π to rounding
    from metacot.numerics.families import ring

    c = ring(20000, 5, exact=False)
    pi = stationary_law(c, 1e-8, "float")
    assert pi.shape == (c.n,) and abs(pi.sum() - 1) < 1e-12
    assert np.all(np.abs(pi * c.n - 1) < 1e-7)
    r = pi @ c.kernel(1e-8) - pi
    assert np.max(np.abs(r)) <= 1e-15 * np.max(pi)


@pytest.mark.parametrize("seed", range(4))
def test_flint_exact_law_equals_exact_gth(seed):
    # two exact methods, so equality: FLINT's linear solve on the closed class vs GTH over Fractions
    from metacot.numerics.families import random_chain
    from metacot.numerics.solvers import exact as X
    from metacot.numerics.solvers import stationary as S

    c = random_chain(seed, K=8 + 4 * seed, max_size=4, extra_edges=2)
    rows = c.kernel_exact(F(1, 10**(3 + 20 * seed)))
    D = [[r.get(j, F(0)) for j in range(c.n)] for r in rows]
    assert c.n >= X.STATIONARY_FLINT_MIN_N and S._use_flint(D)
    assert stationary_distribution(D) == S._gth_generic(D)
    # a unichain: one more state, transient, feeding state 0; the law is 0 there and unchanged elsewhere
    U = [row + [F(0)] for row in D] + [[F(1, 2)] + [F(0)] * (c.n - 1) + [F(1, 2)]]
    assert stationary_distribution(U) == S._gth_generic(D) + [F(0)]


def test_dense_methods_refuse_sizes_beyond_their_limit():
    # exact / mp / certified laws build dense n×n matrices: refused before any work (the float path has no limit)
    from metacot.numerics.errors import LimitError
    from metacot.numerics.families import ring
    from metacot.numerics.solvers import stationary as S

    big = ring(S.DENSE_LAW_MAX_N // 5 + 1, 5)
    for method in ("exact", "mp", "certified"):
        with pytest.raises(LimitError, match="dense n×n matrices"):
            stationary_law(big, F(1, 1000), method)
    assert abs(stationary_law(big, F(1, 1000), "float").sum() - 1) < 1e-12
    one_block = Chain.from_dense([[F(1, 400)] * 400 for _ in range(400)])   # one 400-state block: 400³ > budget
    with pytest.raises(LimitError, match="cost limit"):
        stationary_law(one_block, 0, "mp")
