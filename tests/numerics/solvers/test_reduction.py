"""Subtraction-free reductions in metacot.numerics.solvers.reduction: dense blocked, sparse clustered, generic, GTH, reachability."""
import random
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import metacot.numerics.solvers.reduction as L
from metacot.numerics.errors import ChainError

REL = 1e-12  # componentwise-stable reductions: relative error ~ m·1e-16 (m ≤ 60 here)


def random_system(seed, m, tiny=0.0, density=0.5, labels=None):
    """Random exact substochastic system: rational off-diagonal rates, exit mass, costs.

    With `labels`, edges across labels are rare and scaled by `tiny` (a metastable system)."""
    rng = random.Random(seed)
    rows, t, c = [], [], []
    for x in range(m):
        r = {}
        for y in range(m):
            if y != x and rng.random() < density:
                w = F(rng.randint(1, 9), 10)
                if labels is not None and labels[x] != labels[y]:
                    if rng.random() < 0.7:
                        continue
                    w *= F(tiny) if tiny else 1
                r[y] = w
        if x > 0 and x - 1 not in r:   # a path x → x−1 → … → 0 makes the system well posed (0 has exit mass)
            cross = labels is not None and labels[x] != labels[x - 1]
            r[x - 1] = F(1, 10) * (F(tiny) if (tiny and cross) else 1)
        rows.append(r)
        t.append(F(rng.randint(0, 3), 10) * (F(tiny) if (tiny and labels is not None) else 1))
        c.append(F(rng.randint(1, 5)))
    t[0] += F(1, 10) * (F(tiny) if (tiny and labels is not None) else 1)
    return rows, t, c


def exact_solution(rows, t, c):
    """Reference: the generic reduction in 50-digit mpmath (exact Fractions with 10^-280 rates are too slow)."""
    import mpmath

    with mpmath.workdps(50):
        cv = lambda v: mpmath.mpf(v.numerator) / v.denominator
        h = L.hitting_reduction([{y: cv(v) for y, v in r.items()} for r in rows], [cv(v) for v in t],
                                [cv(v) for v in c])
        return [float(v) for v in h]


def to_dense(rows, m):
    A = np.zeros((m, m))
    for x, r in enumerate(rows):
        for y, v in r.items():
            A[x, y] = float(v)
    return A


def rel_err(h, ex):
    ex = np.array([float(v) for v in ex])
    return float(np.max(np.abs(np.asarray(h) - ex) / np.abs(ex)))


@settings(max_examples=20)
@given(st.integers(0, 10**6), st.integers(1, 40), st.sampled_from([1, 3, 7, 128]))
def test_dense_blocked_matches_exact(seed, m, block):
    rows, t, c = random_system(seed, m)
    ex = exact_solution(rows, t, c)
    h = L.hitting_reduction_dense(to_dense(rows, m), [float(v) for v in t], [float(v) for v in c], block=block)
    assert rel_err(h, ex) <= REL


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(4, 30), st.integers(2, 280))
def test_dense_metastable_tiny_rates(seed, m, d):
    """Cross-cluster rates and exits of size 10^-d (down to 1e-280): relative accuracy independent of d."""
    labels = [x % 3 for x in range(m)]
    rows, t, c = random_system(seed, m, tiny=F(1, 10**d), labels=labels)
    ex = exact_solution(rows, t, c)
    h = L.hitting_reduction_dense(to_dense(rows, m), [float(v) for v in t], [float(v) for v in c])
    assert rel_err(h, ex) <= REL


def test_dense_multiple_right_hand_sides_and_plain_solve():
    rng = np.random.default_rng(0)
    m = 200
    A = rng.random((m, m))
    np.fill_diagonal(A, 0)
    A /= A.sum(1, keepdims=True) * 1.25
    t = 1 - A.sum(1)
    C = rng.random((m, 3))
    H = L.hitting_reduction_dense(A, t, C)
    ref = np.linalg.solve(np.eye(m) - A, C)   # well conditioned here (exit mass 0.2 per row): plain LU is fine
    assert np.max(np.abs(H / ref - 1)) <= REL
    assert np.allclose(L.hitting_reduction_dense(A, t, C[:, 1]), H[:, 1], rtol=1e-15, atol=0)


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(2, 10), st.integers(1, 5), st.integers(1, 200))
def test_sparse_clustered_matches_exact(seed, k, size, d):
    m = k * size
    labels = [x // size for x in range(m)]
    rows, t, c = random_system(seed, m, tiny=F(1, 10**d), labels=labels, density=0.6)
    ex = exact_solution(rows, t, c)
    old = L.SPARSE_DENSE_MAX
    L.SPARSE_DENSE_MAX = 3   # force several levels of interior elimination
    try:
        A = sp.csr_matrix(to_dense(rows, m))
        h = L.hitting_reduction_sparse(A, [float(v) for v in t], [float(v) for v in c], labels)
    finally:
        L.SPARSE_DENSE_MAX = old
    assert rel_err(h, ex) <= REL


def test_reductions_reject_negative_input_and_dead_ends():
    with pytest.raises(ChainError):
        L.hitting_reduction_dense(np.array([[0, -0.5], [0.5, 0]]), [0.5, 0.5], [1, 1])
    with pytest.raises(ChainError, match="no exit mass"):
        L.hitting_reduction_dense(np.array([[0, 1.0], [1.0, 0]]), [0.0, 0.0], [1, 1])
    with pytest.raises(ChainError, match="no exit mass"):
        L.hitting_reduction([{1: F(1)}, {0: F(1)}], [F(0), F(0)], [F(1), F(1)])


def test_gth_two_state_trap_all_fields():
    """π = (1/3, 2/3) for [[1−a, a], [a/2, 1−a/2]] at every a (spec 06 regression)."""
    for a in (1e-17, 1e-200):
        pi = L.gth_stationary(np.array([[1 - a, a], [a / 2, 1 - a / 2]]))
        assert np.allclose(pi, [1 / 3, 2 / 3], rtol=1e-15, atol=0)
    a = F(1, 10**17)
    assert L.gth_stationary([[1 - a, a], [a / 2, 1 - a / 2]]) == [F(1, 3), F(2, 3)]


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.integers(1, 25), st.floats(0.05, 0.4))
def test_almost_sure_states_csr_matches_python(seed, n, density):
    rng = random.Random(seed)
    adj = [[y for y in range(n) if rng.random() < density] for _ in range(n)]
    targets = {rng.randrange(n)}
    S = sp.csr_matrix((np.ones(sum(map(len, adj))), ([x for x in range(n) for _ in adj[x]],
                                                     [y for x in range(n) for y in adj[x]])), shape=(n, n))
    mask = np.zeros(n, dtype=bool)
    mask[list(targets)] = True
    assert (L.almost_sure_states_csr(S, mask) == L.almost_sure_states(adj, targets)).all()


# ----------------------------------------------------------------------------- blocked dense kernel, BLAS update
def test_inplace_gemm_on_strided_views_matches_numpy():
    rng = np.random.default_rng(1)
    X = rng.random((70, 90))
    Y = X.copy()
    L._gemm_acc(X[:40, :50], X[:40, 50:80], X[40:70, :50])       # row strides 90, unit column stride
    Y[:40, :50] += Y[:40, 50:80] @ Y[40:70, :50]
    # same products, possibly summed in another order by BLAS: agreement to a few ulps of the entries
    assert np.allclose(X, Y, rtol=1e-14, atol=0)
    with pytest.raises(ValueError):
        L._gemm_acc(X[:40, :50], X[:40, 50:80], X[40:69, :50])


@settings(max_examples=10)
@given(st.integers(0, 10**6), st.integers(300, 700), st.integers(2, 280))
def test_dense_recursive_blocks_tiny_rates(seed, m, d):
    """Above one block (recursion down to GTH_BASE inside blocks of DENSE_BLOCK), accuracy stays ~1e-16·m.

    A birth–death system with rational rates, every 25th link of size 10^-d (a metastable chain of 25-state
    wells): solved densely in float64, against its exact rational solution (the Fraction reduction has no
    fill-in on a tridiagonal system, so the reference is cheap)."""
    rng = random.Random(seed)
    rows, t = [], []
    tiny = F(1, 10**d)
    for x in range(m):
        r = {}
        if x > 0:
            r[x - 1] = F(rng.randint(1, 9), 10) * (tiny if x % 25 == 0 else 1)
        if x < m - 1:
            r[x + 1] = F(rng.randint(1, 9), 10) * (tiny if (x + 1) % 25 == 0 else 1)
        rows.append(r)
        t.append(tiny if x == 0 else F(0))
    c = [F(rng.randint(1, 5)) for _ in range(m)]
    ex = L.hitting_reduction(rows, t, c)
    h = L.hitting_reduction_dense(to_dense(rows, m), [float(v) for v in t], [float(v) for v in c])
    assert rel_err(h, ex) <= REL


# ----------------------------------------------------------------------------- sparse: cluster interiors and rounds
@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(3, 12), st.integers(1, 9), st.integers(1, 250),
       st.sampled_from(["rounds", "interiors", "both"]))
def test_sparse_rounds_and_interiors_match_exact(seed, k, size, d, mode):
    """Force the independent-set rounds (no dense switch before 3 states) and/or the cluster interiors."""
    m = k * size
    labels = [x // size for x in range(m)]
    rows, t, c = random_system(seed, m, tiny=F(1, 10**d), labels=labels, density=0.4)
    ex = exact_solution(rows, t, c)
    old = L.SPARSE_DENSE_MAX, L.SPARSE_DENSE_FILL, L.ROUNDS_DENSE_MAX
    L.SPARSE_DENSE_MAX, L.SPARSE_DENSE_FILL, L.ROUNDS_DENSE_MAX = 3, 2.0, 3
    try:
        A = sp.csr_matrix(to_dense(rows, m))
        lab = None if mode == "rounds" else labels
        if mode == "interiors":
            L.SPARSE_DENSE_MAX = L.ROUNDS_DENSE_MAX = m - 1        # one interior level, then dense
        cf = [float(v) for v in c]
        h = L.hitting_reduction_sparse(A, [float(v) for v in t], cf, lab)
        # two right-hand sides at once (double-double columns): each column as alone
        H2 = L.hitting_reduction_sparse(A, [float(v) for v in t], np.column_stack([cf, np.ones(m)]), lab)
    finally:
        L.SPARSE_DENSE_MAX, L.SPARSE_DENSE_FILL, L.ROUNDS_DENSE_MAX = old
    assert rel_err(h, ex) <= REL
    assert np.array_equal(H2[:, 0], h)


def test_sparse_padded_cluster_shapes_match_dense():
    """Many cluster shapes: interior counts padded to multiples of 4 (padding states change nothing)."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(2, 40, 60)
    labels = np.repeat(np.arange(sizes.size), sizes)
    m = labels.size
    A = sp.random(m, m, density=0.2, random_state=4, format="csr")
    A = A.multiply(labels[:, None] == labels[None, :]).tocsr()     # within clusters
    cross = sp.random(m, m, density=0.002, random_state=5, format="csr") * 1e-9
    A = (A + cross + sp.diags(np.full(m - 1, 0.5), -1)).tocsr()
    t = np.zeros(m)
    t[0] = 1e-9
    old = L.SPARSE_DENSE_MAX
    L.SPARSE_DENSE_MAX = 10
    try:
        h = L.hitting_reduction_sparse(A, t, np.ones(m), labels)
    finally:
        L.SPARSE_DENSE_MAX = old
    ref = L.hitting_reduction_dense(A.toarray(), t, np.ones(m))
    assert np.max(np.abs(h / ref - 1)) <= REL


def test_absorbing_solve_dense_and_sparse_agree():
    from metacot.numerics.families import ring

    c = ring(60, 7, exact=False)
    P = c.offdiag_kernel(1e-9)
    absorb = np.zeros(c.n, dtype=bool)
    absorb[[c.target, 5]] = True
    u1, H1 = L.absorbing_solve(P, absorb, None, c.cluster_of, dense_max=0)       # sparse
    u2, H2 = L.absorbing_solve(P, absorb, None, None, dense_max=10**6)           # dense
    assert (u1 == u2).all() and np.max(np.abs(H1 / H2 - 1)) <= REL


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.integers(1, 40), st.floats(0.02, 0.4))
def test_almost_sure_python_search_matches_sparse_search(seed, n, density):
    rng = random.Random(seed)
    adj = [[y for y in range(n) if rng.random() < density] for _ in range(n)]
    targets = set(rng.sample(range(n), rng.randint(1, 3) if n >= 3 else 1))
    old = L.ALMOST_SURE_PY_MAX
    try:
        L.ALMOST_SURE_PY_MAX = -1
        via_csr = L.almost_sure_states(adj, targets)
    finally:
        L.ALMOST_SURE_PY_MAX = old
    assert (L._almost_sure_py(adj, targets) == via_csr).all()
