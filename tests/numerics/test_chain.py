"""Chain model: storage, validation errors, valid ε range, clusters, families."""
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given

from metacot import Chain, ChainError, EpsilonError, MetacotError, random_chain, ring, uniform_escape
from metacot.numerics.chain import row_rescaled_chain
from strategies import chains, eps_decades, two_cluster_chain


def test_row_rescaled_construction_is_exact():
    c = two_cluster_chain()
    assert c.exact and c.n == 3
    P1 = c.row_dicts(1)
    # P1 = Q − diag(q)·P0: row 1 has q(1) = 1/2
    assert P1[1] == {0: F(-1, 8), 1: F(-3, 8), 2: F(1, 2)}
    assert P1[2] == {2: F(-1), 0: F(1)}
    assert c.eps_max == 1  # 1/max q(x)
    assert c.clusters == [[0, 1], [2]]
    assert c.sparse_edges() == {(1, 2): F(1, 2), (2, 0): F(1)}


def test_kernel_rows_sum_to_one_exactly():
    c = two_cluster_chain()
    for eps in (F(0), F(1, 3), F(1)):
        for row in c.kernel_exact(eps):
            assert sum(row.values()) == 1
            assert all(v >= 0 for v in row.values())


@given(chains(), eps_decades(0, 30))
def test_rows_of_P_eps_sum_to_one_in_valid_range(chain, eps):
    eps = min(eps, chain.eps_max)
    P = chain.kernel_exact(eps)
    assert all(sum(r.values()) == 1 for r in P)
    assert all(v > 0 for r in P for v in r.values())
    Pf = chain.kernel(eps)
    # float64 rows: P0 entries rounded to 1 ulp, plus ε·P1 terms: error ≤ n·2^-52 ≈ 1e-15 for n ≤ 16
    assert np.allclose(np.asarray(Pf.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-14)


def test_valid_eps_range_general_affine():
    # P1 pulls 2/3 of row 0's mass: P(ε)[0,0] = 1/3 − ε·(1/2) ≥ 0 ⇔ ε ≤ 2/3
    c = Chain(2, [[0, 0, "1/3"], [0, 1, "2/3"], [1, 1, 1]], [[0, 0, "-1/2"], [0, 1, "1/2"], [1, 1, 0]])
    assert c.valid_eps_range() == (0, F(2, 3))
    c.check_eps("2/3")
    with pytest.raises(EpsilonError, match="outside the valid range"):
        c.check_eps("0.7")
    with pytest.raises(EpsilonError):
        c.check_eps(-1e-3)
    with pytest.raises(EpsilonError, match="not finite"):
        c.check_eps(float("nan"))


def test_eps_parsing_is_exact():
    c = ring(3, 2, 1)
    assert c.check_eps("1e-30") == F(1, 10**30)
    assert c.check_eps("1/1000") == F(1, 1000)


@pytest.mark.parametrize("n, P0, P1, message", [
    (2, [[0, 0, "1/2"], [0, 1, "1/3"], [1, 1, 1]], [], "row 0 of P0 sums to 5/6"),
    (2, [[0, 0, 1], [1, 1, 1]], [[0, 0, "-1/2"], [0, 1, "1/4"]], "row 0 of P1 sums to -1/4"),
    (2, [[0, 0, "3/2"], [0, 1, "-1/2"], [1, 1, 1]], [], "negative"),
    (2, [[0, 0, 1], [1, 1, 1]], [[0, 0, "1/2"], [0, 1, "-1/2"]], "negative for every"),
    (2, [[0, 2, 1], [1, 1, 1]], [], "out of range"),
    (2, [[0, 0, float("nan")], [1, 1, 1]], [], "not finite"),
    (2, [[0, 0, float("inf")], [1, 1, 1]], [], "not finite"),
    (2, [[0, 0, "abc"], [1, 1, 1]], [], "cannot parse"),
    (0, [], [], "positive integer"),
    (2, [[0, 0]], [], "triples"),
])
def test_validation_errors(n, P0, P1, message):
    with pytest.raises(ChainError, match=message):
        Chain(n, P0, P1)


def test_float_rows_validated_with_tolerance_then_renormalised():
    P0 = np.array([[0.3, 0.7 + 1e-14], [0.0, 1.0]])
    c = Chain.from_dense(P0)
    assert not c.exact
    assert abs(c.dense(0)[0].sum() - 1.0) <= 2.3e-16  # exactly renormalised up to the final rounding
    with pytest.raises(ChainError, match="sums to"):
        Chain.from_dense(np.array([[0.3, 0.7 + 1e-9], [0.0, 1.0]]))


def test_cluster_validation():
    c = two_cluster_chain()
    P0 = c.row_dicts(0)
    P1 = c.row_dicts(1)
    e0 = {(i, j): v for i, r in enumerate(P0) for j, v in r.items()}
    e1 = {(i, j): v for i, r in enumerate(P1) for j, v in r.items()}
    with pytest.raises(ChainError, match="not a closed class"):
        Chain(3, e0, e1, clusters=[[0], [1, 2]])
    with pytest.raises(ChainError, match="in no cluster"):
        Chain(3, e0, e1, clusters=[[0, 1]])
    with pytest.raises(ChainError, match="in clusters 0 and 1"):
        Chain(3, e0, e1, clusters=[[0, 1], [1, 2]])
    with pytest.raises(ChainError, match="out of range"):
        Chain(3, e0, e1, clusters=[[0, 1], [7]])
    assert Chain(3, e0, e1, clusters=[[2], [0, 1]]).clusters == [[2], [0, 1]]


def test_periodic_and_reducible_blocks_are_rejected():
    flip = {(0, 1): 1, (1, 0): 1}
    with pytest.raises(ChainError, match="periodic"):
        Chain(2, flip, None).clusters
    with pytest.raises(ChainError, match="periodic"):
        Chain(2, flip, None, clusters=[[0, 1]])
    # {0,1} closed but 0 → 1 only: the block is reducible (0 is transient)
    red = {(0, 1): 1, (1, 1): 1}
    with pytest.raises(ChainError, match="reducible"):
        Chain(2, red, None, clusters=[[0, 1]])
    with pytest.raises(ChainError, match="transient"):
        Chain(2, red, None).clusters


def test_canonical_families_structure():
    c = ring(4, 3, "1/2")
    assert c.n == 12 and c.K == 4 and c.eps_max == 2
    assert c.sparse_edges() == {(0, 5): F(1, 2), (3, 8): F(1, 2), (6, 11): F(1, 2), (9, 2): F(1, 2)}
    assert (c.start, c.target) == (0, 11)
    u = uniform_escape(3, 2, 1)
    assert u.sparse_edges() == {(0, 3): F(1, 2), (0, 5): F(1, 2), (2, 1): F(1, 2), (2, 5): F(1, 2),
                                (4, 1): F(1, 2), (4, 3): F(1, 2)}
    with pytest.raises(MetacotError, match="K must be"):
        ring(1, 3, 1)
    with pytest.raises(MetacotError, match="q must be positive"):
        ring(3, 3, 0)


def test_random_chain_is_seeded():
    a, b = random_chain(7, [2, 3, 1]), random_chain(7, [2, 3, 1])
    assert a.row_dicts(0) == b.row_dicts(0) and a.row_dicts(1) == b.row_dicts(1)
    assert a.row_dicts(1) != random_chain(8, [2, 3, 1]).row_dicts(1)


@given(chains(doubly_stochastic=True))
def test_doubly_stochastic_blocks_have_uniform_law(chain):
    from metacot.numerics.solvers.meta_chain import cluster_stationary_laws

    for c, pi in zip(chain.clusters, cluster_stationary_laws(chain)):
        assert pi == [F(1, len(c))] * len(c)


def test_large_float_chain_from_csr():
    import scipy.sparse as sp

    n = 1000
    P0 = sp.identity(n, format="csr")
    P1 = sp.csr_matrix((n, n))
    c = Chain.from_csr(P0, P1)
    assert c.eps_max == math.inf and c.K == n


@pytest.mark.parametrize("family", [ring, uniform_escape])
def test_float_family_build_equals_exact(family):
    a, b = family(5, 3, "1/2"), family(5, 3, "1/2", exact=False)
    assert not b.exact and b.clusters == a.clusters and (b.start, b.target) == (a.start, a.target)
    # entries 1/3, 1/6, 1/2·(1/4)… are each one correctly rounded float: identical to float(Fraction)
    np.testing.assert_array_equal(a.dense(0), b.dense(0))
    np.testing.assert_allclose(a.dense(1), b.dense(1), rtol=2.3e-16, atol=0)
    assert b.eps_max == float(a.eps_max)


# ----------------------------------------------------------------------------- vectorised validation
def _old_block_check(chain, clusters):
    """The per-block reference: scipy SCCs and a BFS period for every block separately."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    S = sp.csr_matrix(chain.support(None))
    for k, c in enumerate(clusters):
        sub = S[c][:, c]
        loop = bool(sub.diagonal().any())
        if len(c) == 1:
            if not loop:
                return ("reducible", k)
            continue
        if connected_components(sub, directed=True, connection="strong")[0] != 1:
            return ("reducible", k)
        if not loop:
            order, pred = breadth_first_order(sub, 0, directed=True)
            level = np.zeros(len(c), dtype=int)
            for v in order[1:]:
                level[v] = level[pred[v]] + 1
            g = 0
            coo = sub.tocoo()
            for u, v in zip(coo.row, coo.col):
                g = math.gcd(g, int(level[u] + 1 - level[v]))
            if g != 1:
                return ("periodic", k)
    return None


@pytest.mark.parametrize("seed", range(40))
def test_block_checks_match_per_block_reference(seed):
    """Random block-diagonal supports (cycles of several lengths, with or without chords and loops)."""
    import random

    rng = random.Random(seed)
    sizes = [rng.randint(1, 6) for _ in range(rng.randint(1, 6))]
    P0, o, clusters = {}, 0, []
    for s_ in sizes:
        c = list(range(o, o + s_))
        clusters.append(c)
        kind = rng.choice(["cycle", "cycle2", "loop", "chord", "broken"])
        for i, x in enumerate(c):
            nxt = c[(i + 1) % s_]
            if kind == "cycle2" and s_ % 2 == 0:          # bipartite: x → x±1 (period 2)
                row = {nxt: 1, c[(i - 1) % s_]: 1}
            elif kind == "broken" and i == s_ - 1 and s_ > 1:
                row = {x: 1}                              # last state absorbing: reducible block
            else:
                row = {nxt: 1}
            if kind == "loop" and i == 0:
                row[x] = 1
            if kind == "chord" and s_ > 2 and i == 0:
                row[c[2 % s_]] = 1
            tot = sum(row.values())
            for y, v in row.items():
                P0[(x, y)] = F(v, tot)
        o += s_
    c = Chain(o, P0, None)
    ref = _old_block_check(c, clusters)
    if ref is None:
        assert Chain(o, P0, None, clusters=clusters).K == len(clusters)
    else:
        with pytest.raises(ChainError, match=f"block {ref[1]} of P0 .* is {ref[0]}"):
            Chain(o, P0, None, clusters=clusters)


def test_cluster_list_errors_report_the_first_problem_in_order():
    e0 = {(i, i): 1 for i in range(4)}
    for clusters, message in [([[0], [], [1, 2, 3]], "cluster 1 is empty"),
                              ([[0, 1], [1, 2, 3]], "state 1 is in clusters 0 and 1"),
                              ([[0, 5], [1, 2, 3]], "cluster 0: state index 5 out of range"),
                              ([[0, 1.0], [2, 3]], "cluster 0: state index 1.0 is not an integer"),
                              ([[0, True], [2, 3]], "cluster 0: state index True is not an integer"),
                              ([[0], [1, 2]], "state 3 is in no cluster"),
                              ([[0, 10**30], [2, 3]], "out of range")]:
        with pytest.raises(ChainError, match=message):
            Chain(4, e0, None, clusters=clusters)
    assert Chain(4, e0, None, clusters=[[np.int64(3)], [0], [1], [2]]).clusters == [[3], [0], [1], [2]]


def test_cluster_labels_give_the_same_chain_as_lists():
    import scipy.sparse as sp

    a = ring(50, 4, "1/3", exact=False)
    b = Chain.from_csr(a.csr(0), a.csr(1), clusters=a.clusters, start=a.start, target=a.target)
    assert a.has_given_clusters and b.has_given_clusters
    assert a.clusters == b.clusters and (a.cluster_of == b.cluster_of).all()
    assert a.with_clusters(a.clusters).clusters == a.clusters
    with pytest.raises(ChainError, match="not a closed class"):
        Chain.from_csr(a.csr(0), a.csr(1), cluster_labels=np.arange(a.n) % 50)
    with pytest.raises(ChainError, match="is empty"):
        Chain.from_csr(sp.identity(3, format="csr"), sp.csr_matrix((3, 3)), cluster_labels=np.array([0, 2, 2]))


def test_large_float_ring_is_built_without_python_lists():
    c = ring(20000, 5, exact=False)
    assert "_given_list" not in c.__dict__                 # clusters stay labels until someone reads them
    assert c.cluster_of[:12].tolist() == [0] * 5 + [1] * 5 + [2] * 2 and c.K == 20000
    assert c.clusters[1] == [5, 6, 7, 8, 9] and c.eps_max == 1.0


def test_computed_clusters_in_order_of_smallest_state():
    # closed classes {0, 3}, {1}, {2, 4} of P0, found without clusters given
    P0 = {(0, 3): 1, (3, 0): F(1, 2), (3, 3): F(1, 2), (1, 1): 1, (2, 4): F(1, 2), (2, 2): F(1, 2), (4, 2): 1}
    c = Chain(5, P0, None)
    assert c.clusters == [[0, 3], [1], [2, 4]] and c.cluster_of.tolist() == [0, 1, 2, 0, 2]


def test_exact_construction_keeps_rows_exact():
    c = ring(30, 4, "2/7")
    r = c.row_dicts(1)[0]
    assert r == {0: F(-1, 14), 1: F(-1, 14), 2: F(-1, 14), 3: F(-1, 14), 7: F(2, 7)}
    assert all(sum(row.values()) == 1 for row in c.row_dicts(0))
    # an entry that cancels to 0 is dropped, as in the row dicts built one entry at a time
    d = Chain(2, [(0, 0, "1/2"), (0, 1, "1/2"), (1, 1, 1), (1, 1, "0")], [(0, 0, "1/4"), (0, 0, "-1/4")])
    assert d.row_dicts(1) == [{}, {}] and d.row_dicts(0)[1] == {1: F(1)}
