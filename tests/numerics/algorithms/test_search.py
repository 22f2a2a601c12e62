"""Sparse Edge Search (spec 02): black-box search, exact helpers, PRM-guided chain, CLI."""
import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metacot.numerics.cli.main import main
from metacot.numerics.errors import MetacotError
from metacot.numerics.families import entry_state, random_chain, ring, uniform_escape
from metacot.numerics.solvers.meta_chain import cluster_stationary_laws, escape_rates, meta_rates
from metacot.numerics.algorithms import search as alg
from metacot.numerics.algorithms.search import (default_horizon, edge_cover_expectation, merge_bound, no_cover_probability,
                             prm_guided, search_chain, search_replicas, sparse_edge_search)
from metacot.numerics.solvers.monte_carlo import KernelSampler
from strategies import chains
from metacot.theory import search as th
from metacot.theory.symbols import M as sM, N as sN, T0 as sT0


class BlackBoxSampler:
    """Only `n` and `step` exist: the walk is drawn by inverse CDF from a dense kernel hidden in a closure
    (independent of metacot.numerics.solvers.monte_carlo). __slots__ leaves no other attribute to read."""

    __slots__ = ("n", "step")

    def __init__(self, chain, eps, seed):
        P = np.cumsum(chain.kernel_dense(eps), axis=1)
        P[:, -1] = 1.0
        rng = np.random.default_rng(seed)

        def step(states):
            u = rng.random(states.shape)
            return (u[..., None] < P[states]).argmax(axis=-1).astype(np.int64)

        self.n = chain.n
        self.step = step


def _clean_failures(chain, res):
    """(merged rounds, false-positive rounds) judged with the true clusters and edges."""
    sparse = set(chain.sparse_edges())
    lab = chain.cluster_of
    merged = [r for r in res.rounds if len({int(lab[x]) for x in r.cluster}) > 1]
    false = [r for r in res.rounds if r.edge is not None and r.edge not in sparse]
    return merged, false


# ----------------------------------------------------------------------------- the search itself
def test_ring_clean_regime_finds_every_edge_in_K_rounds():
    # M = 2, T0 = 1, N = 16 from an entry state: no sparse move is possible at step 1 (no merge) and
    # P(no cover) = 2^-16 per round, so with this seed every round records the next ring edge.
    c = ring(5, 2, 1)
    res = search_chain(c, "1/1000", entry_state(0, 2), 16, 1, 10**6, 5, seed=4)
    assert res.edges == [(2 * k, entry_state((k + 1) % 5, 2)) for k in range(5)]
    assert set(res.edges) == set(c.sparse_edges())
    assert res.clusters == c.clusters
    assert [r.frontier for r in res.rounds] == [1, 3, 5, 7, 9]
    for r in res.rounds:
        assert r.cost == 16 * r.escape_step and 1 < r.escape_step <= 10**6
    assert res.cost == sum(r.cost for r in res.rounds)
    assert res.rounds_to_discover(c.sparse_edges()) == 5


def test_search_uses_only_step_on_a_black_box_sampler():
    c = ring(3, 3, 1)
    bb = BlackBoxSampler(c, Fraction(1, 2000), seed=1)
    with pytest.raises(AttributeError):
        bb.kernel = None  # nothing but n and step can even be attached
    # S1 bound for these parameters: R·(N·T0·ε·q + P_nocover) = 3·(8·6/2000 + 2·(2/3)^48) ≈ 0.072
    res = sparse_edge_search(bb, 2, 8, 6, 10**5, 3, seed=2)
    merged, false = _clean_failures(c, res)
    assert len(res.rounds) == 3 and not merged and not false
    assert res.edges == sorted(c.sparse_edges())  # from state 2 (cluster 0): 0→5, 3→8, 6→2 in order


def test_same_seed_same_result_and_replicas_agree():
    c = ring(3, 4, 1)
    a = search_chain(c, "1/500", 0, 4, 8, 10**5, 4, seed=11)
    b = search_chain(c, "1/500", 0, 4, 8, 10**5, 4, seed=11)
    assert a.edges == b.edges and a.cost == b.cost and a.to_json() == b.to_json()
    d = search_chain(c, "1/500", 0, 4, 8, 10**5, 4, seed=12)
    assert d.cost != a.cost  # a different seed gives a different walk (costs are ~10^4-valued)
    # the vectorised multi-replica engine with one replica is the same algorithm
    s1 = KernelSampler(c, Fraction(1, 500), seed=5)
    s2 = KernelSampler(c, Fraction(1, 500), seed=5)
    one = sparse_edge_search(s1, 0, 4, 8, 10**5, 4, seed=3)
    rep = search_replicas(s2, 0, 4, 8, 10**5, 4, 1, seed=3)[0]
    assert one.to_json()["rounds"] == rep.to_json()["rounds"]


def test_warmup_escape_is_a_merge_and_empty_rounds_keep_the_frontier():
    # T0 ≫ M/(Nqε): walkers cross during the warm-up, Ĉ spans two clusters (failure mode (a))
    c = ring(2, 2, 1)
    res = search_chain(c, "1/2", 1, 4, 50, 60, 3, seed=0)
    merged, _ = _clean_failures(c, res)
    assert merged
    # horizon = T0 + 1 with T0 ≥ cover time: most rounds end empty; an empty round keeps the frontier
    res = search_chain(ring(2, 3, 1), "1/1000", 2, 2, 30, 31, 4, seed=1)
    for prev, r in zip(res.rounds, res.rounds[1:]):
        if prev.edge is None:
            assert r.frontier == prev.frontier and prev.cost == 2 * 31 and prev.escape_step is None


@settings(max_examples=6)
@given(chains(max_k=3, max_size=3), st.integers(0, 2**31 - 1))
def test_no_false_positives_inside_the_window(chain, seed):
    """T0 chosen so that P_nocover ≤ 1e-4 per round and ε so that the merge bound R·N·T0·ε·q_max ≤ 2e-3:
    the search fails with probability ≤ 2.3e-3 (spec S1), and every round with Ĉ = one true cluster must
    record a true sparse edge (deterministic: the first exit from a closed class of P0 is a sparse move)."""
    N, R = 32, chain.K
    fronts = {chain.start} | {y for (_, y) in chain.sparse_edges()}
    T0 = next((T for T in range(1, 60) if max(no_cover_probability(chain, x, N, T) for x in fronts) <= 1e-4), None)
    assume(T0 is not None)
    qmax = merge_bound(chain, 1, 1, 1)
    eps = min(Fraction(chain.eps_max), Fraction(2, 1000) / (R * N * T0 * qmax))
    lam = [v for v in map(float, escape_rates(chain)) if v > 0]
    assume(R * (T0 + 1 / (N * float(eps) * min(lam))) <= 40000)  # keep the example under ~1 s
    res = search_chain(chain, eps, chain.start, N, T0, default_horizon(chain, eps, N, T0), R, seed=seed)
    merged, false = _clean_failures(chain, res)
    assert not merged and not false
    assert set(res.edges) <= set(chain.sparse_edges())
    for r in res.rounds:
        if r.edge is not None and sorted(r.cluster) in chain.clusters:
            assert r.edge in chain.sparse_edges()


@pytest.mark.parametrize("kw, msg", [
    (dict(n_walkers=0), "number of walkers"),
    (dict(warmup=10, horizon=10), "must exceed the warm-up"),
    (dict(warmup=-1), "warm-up"),
    (dict(start=99), "unknown start state"),
    (dict(rounds=0), "number of rounds"),
])
def test_bad_parameters(kw, msg):
    args = dict(start=0, n_walkers=2, warmup=2, horizon=100, rounds=1, seed=0)
    args.update(kw)
    s = KernelSampler(ring(2, 2, 1), "1/10", seed=0)
    with pytest.raises(MetacotError, match=msg):
        sparse_edge_search(s, **args)


def test_sampler_without_step_is_rejected():
    with pytest.raises(MetacotError, match="step"):
        sparse_edge_search(object(), 0, 1, 1, 2, 1)


# ----------------------------------------------------------------------------- exact helpers
@pytest.mark.parametrize("M,N,T0", [(2, 1, 1), (3, 2, 2), (4, 2, 8), (5, 3, 4)])
def test_no_cover_matches_closed_form_for_complete_blocks(M, N, T0):
    c = ring(2, M, 1)
    cf = th.nocover_complete.subs({sM: M, sN: N, sT0: T0}).doit()
    got = no_cover_probability(c, 0, N, T0)
    assert cf.is_Rational and sp.Rational(got.numerator, got.denominator) == cf


def test_no_cover_matches_path_enumeration():
    c = random_chain(3, [3, 2])
    rows = c.row_dicts(0)
    C = c.clusters[0]
    N, T0, x0 = 2, 3, C[0]
    # law of the visited set of one walker over all paths of length T0
    law = {}
    for path in itertools.product(C, repeat=T0):
        p, x = Fraction(1), x0
        for y in path:
            p *= rows[x].get(y, Fraction(0))
            x = y
        if p:
            key = frozenset((x0,) + path)
            law[key] = law.get(key, 0) + p
    miss = sum((pa * pb for (a, pa), (b, pb) in itertools.product(law.items(), repeat=2) if (a | b) != set(C)),
               Fraction(0))
    assert no_cover_probability(c, x0, N, T0) == miss


def test_edge_cover_expectation():
    J2 = [[0, 1], [1, 0]]
    assert edge_cover_expectation(J2, 0) == 2  # the walk alternates: both edges in 2 jumps (coupon: 3)
    # ring jump chain: the K edges in exactly K jumps
    Jr = [[Fraction(int(l == (k + 1) % 4)) for l in range(4)] for k in range(4)]
    assert edge_cover_expectation(Jr, 0) == 4
    # K = 3 uniform walk on the complete digraph: exact 62/5, against a direct simulation of the walk
    J3 = [[Fraction(0) if k == l else Fraction(1, 2) for l in range(3)] for k in range(3)]
    e = edge_cover_expectation(J3, 0)
    assert e == Fraction(62, 5)
    rng = np.random.default_rng(0)
    T = []
    for _ in range(20000):
        v, seen, t = 0, set(), 0
        while len(seen) < 6:
            w = (v + 1 + int(rng.integers(2))) % 3
            seen.add((v, w))
            v, t = w, t + 1
        T.append(t)
    m, se = np.mean(T), np.std(T) / math.sqrt(len(T))
    assert abs(m - float(e)) < 4 * se  # 4 standard errors: a false alarm has probability ~6e-5


# ----------------------------------------------------------------------------- PRM-guided chain
@pytest.mark.parametrize("K,M,q", [(3, 2, "2"), (4, 3, "1/3")])
def test_prm_on_ring_is_ring_with_unit_weight(K, M, q):
    c = ring(K, M, q)
    G = prm_guided(c, c.sparse_edges(), "1/10")
    ref = ring(K, M, 1)
    assert G.row_dicts(0) == ref.row_dicts(0) and G.row_dicts(1) == ref.row_dicts(1)
    assert G.eps_max == 1 and G.clusters == c.clusters and G.start == c.start and G.target == c.target


def test_prm_meta_rates_follow_the_spec_formula():
    c = random_chain(5, [3, 2, 3], extra_edges=3)
    E = c.sparse_edges()
    G = prm_guided(c, E)
    qx = {}
    for (x, _), w in E.items():
        qx[x] = qx.get(x, 0) + w
    pis = cluster_stationary_laws(c)
    lab = c.cluster_of
    r = [[Fraction(0)] * c.K for _ in range(c.K)]
    for (x, y), w in E.items():
        k = int(lab[x])
        r[k][int(lab[y])] += pis[k][c.clusters[k].index(x)] * w / qx[x]
    assert meta_rates(G) == r


def test_prm_keeps_pretrained_rows_on_the_ray():
    c = random_chain(2, [2, 3, 2], extra_edges=2)
    E = sorted(c.sparse_edges())
    known = E[:2]
    eps, emax = Fraction(1, 100), Fraction(1, 10)
    G = prm_guided(c, known, emax, eps=eps)
    P = c.kernel_exact(eps)
    Gk = G.kernel_exact(emax)
    sources = {x for x, _ in known}
    for x in range(c.n):
        if x not in sources:
            assert Gk[x] == P[x]
        else:
            out = sum(v for y, v in Gk[x].items() if (x, y) in known)
            assert out == emax


def test_prm_rejects_false_positive_edges():
    c = ring(3, 2, 1)
    with pytest.raises(MetacotError, match="not a sparse edge"):
        prm_guided(c, [(0, 1)])
    with pytest.raises(MetacotError, match="no found edges"):
        prm_guided(c, [])
    G = prm_guided(c, [(0, 1), (0, 3)], weights={(0, 1): 1})
    assert G.kernel_exact(Fraction(1, 10))[0][3] == Fraction(1, 20)


# ----------------------------------------------------------------------------- cover times of the frontier walk
def _reachable_cover_system(J, start):
    """Independent method: the absorbing chain on (vertex, covered set) states reachable from (start, ∅),
    solved as one sparse float system (scipy) — not the DP by decreasing covered sets."""
    import scipy.sparse as sps
    import scipy.sparse.linalg as spl

    K = len(J)
    edges = [(k, l) for k in range(K) for l in range(K) if k != l and J[k][l]]
    full = frozenset(edges)
    index, order = {(start, frozenset()): 0}, [(start, frozenset())]
    i = 0
    while i < len(order):
        v, S = order[i]
        for w in range(K):
            if J[v][w] and (S | {(v, w)}) != full:
                key = (w, S | {(v, w)})
                if key not in index:
                    index[key] = len(order)
                    order.append(key)
        i += 1
    n = len(order)
    rows, cols, vals = [], [], []
    for (v, S), a in index.items():
        rows.append(a), cols.append(a), vals.append(1.0)
        for w in range(K):
            key = (w, S | {(v, w)})
            if J[v][w] and key[1] != full:
                rows.append(a), cols.append(index[key]), vals.append(-float(J[v][w]))
    A = sps.csr_matrix((vals, (rows, cols)), shape=(n, n))
    return float(spl.spsolve(A.tocsc(), np.ones(n))[0])


@pytest.mark.parametrize("K", [2, 3, 4])
def test_edge_cover_dp_against_the_reachable_state_system(K):
    J = alg.complete_digraph_walk(K)
    exact = alg.edge_cover_expectation(J, 0)
    assert exact == {2: 2, 3: Fraction(62, 5)}.get(K, exact)     # the values spec 02 gives
    # float DP and the independent sparse system agree with the exact rational to ~1e-12 relative
    # (well-conditioned systems of a few thousand unknowns in float64)
    assert abs(alg.edge_cover_expectation(J, 0, method="float") - float(exact)) <= 1e-12 * float(exact)
    assert abs(_reachable_cover_system(J, 0) - float(exact)) <= 1e-10 * float(exact)


def test_edge_cover_float_dp_K5_against_a_walk_simulation():
    v = alg.complete_digraph_edge_cover(5)
    e = alg.edge_cover_samples(alg.complete_digraph_walk(5), 0, 20000, seed=3)
    assert abs(e.mean - v) < 4 * e.se     # 4 se: a false alarm has probability ~6e-5


def test_edge_cover_of_a_subset_and_bad_edges():
    Jr = [[Fraction(int(l == (k + 1) % 5)) for l in range(5)] for k in range(5)]
    assert alg.edge_cover_expectation(Jr, 0, edges=[(0, 1), (1, 2), (2, 3), (3, 4)]) == 4
    assert alg.edge_cover_expectation(Jr, 2, edges=[(1, 2)]) == 5       # around the ring once
    with pytest.raises(MetacotError, match="not an edge"):
        alg.edge_cover_expectation(Jr, 0, edges=[(0, 2)])


def test_cluster_cover_matches_coupon_sum_and_simulation():
    for K in range(2, 9):
        H = sum(Fraction(1, i) for i in range(1, K))
        assert alg.cluster_cover_expectation(alg.complete_digraph_walk(K), 0) == (K - 1) * H
    # a non-uniform walk against a direct simulation (independent of the DP)
    J = [[Fraction(0), Fraction(3, 4), Fraction(1, 4), Fraction(0)], [Fraction(1, 2), Fraction(0), Fraction(1, 4), Fraction(1, 4)],
         [Fraction(1, 3), Fraction(1, 3), Fraction(0), Fraction(1, 3)], [Fraction(1), Fraction(0), Fraction(0), Fraction(0)]]
    exact = alg.cluster_cover_expectation(J, 0)
    rng = np.random.default_rng(2)
    P = np.array(J, dtype=float)
    T = []
    for _ in range(20000):
        v, seen, t = 0, {0}, 0
        while len(seen) < 4:
            v = int(rng.choice(4, p=P[v]))
            seen.add(v)
            t += 1
        T.append(t)
    assert abs(np.mean(T) - float(exact)) < 4 * np.std(T) / math.sqrt(len(T))


def test_round_exit_law_against_dense_absorption():
    c = random_chain(4, [2, 3, 2], extra_edges=3)
    eps = Fraction(1, 7)
    J = alg.round_exit_law(c, eps)
    P = c.kernel_dense(eps)
    for k, C in enumerate(c.clusters):
        x = C[-1]
        Q = P[np.ix_(C, C)]
        for l, D in enumerate(c.clusters):
            if l == k:
                continue
            # absorption in C_l before any other cluster: (I − Q)^-1 P(C, C_l) 1, dense float solve
            u = np.linalg.solve(np.eye(len(C)) - Q, P[np.ix_(C, D)].sum(axis=1))
            assert abs(float(J[k][l]) - u[C.index(x)]) < 1e-12
        assert sum(J[k]) == 1
    assert alg.round_exit_law(ring(4, 3, 1), eps) == [[Fraction(int(l == (k + 1) % 4)) for l in range(4)]
                                                      for k in range(4)]


# ----------------------------------------------------------------------------- Monte Carlo estimators
def test_failure_rate_is_the_exact_no_cover_probability():
    # M = 2, T0 = 1, from the entry state: a missed source forces a dense edge, a covered round cannot
    # fail (no escape is possible at step 1), so P(fail) = P_nocover = 2^-N exactly
    for N in (1, 2):
        e = alg.failure_rate(ring(2, 2, 1), "1/100", 1, N, 1, 1, 3000, seed=N, horizon=40)
        assert abs(e.mean - 2.0 ** -N) < 4 * math.sqrt(2.0 ** -N * (1 - 2.0 ** -N) / 3000)


def test_success_rate_matches_the_exact_law_for_M2_T0_1():
    # uniform escape, M = 2, T0 = 1, from an entry state: rounds are covered independently w.p. 1 − 2^-N and
    # then record an edge to a uniform other cluster: P(success) = (1 − 2^-N)^R (1 − ((K−2)/(K−1))^R)
    K, N, R = 3, 3, 4
    out, every = alg.success_rates(uniform_escape(K, 2, 1), "1/4", entry_state(0, 2), N, 1, R, 4000, seed=5)
    p = (1 - 2.0 ** -N) ** R * (1 - 0.5 ** R)
    assert abs(out.mean - p) < 4 * math.sqrt(p * (1 - p) / 4000)
    # every cluster reached: for K = 3 from C_1, the walk must visit both others
    p_all = (1 - 2.0 ** -N) ** R * (1 - 2 * 0.5 ** R)
    assert abs(every.mean - p_all) < 4 * math.sqrt(p_all * (1 - p_all) / 4000)


def test_ties_are_broken_uniformly():
    # ε q = 1, N = 64: at the first detection step several walkers escape together; the recorded destination
    # must still be uniform on the two other clusters
    res = alg.run_search_replicas(uniform_escape(3, 2, 1), 1, entry_state(0, 2), 64, 1, 1, 4000, seed=9)
    assert all(r.rounds[0].escape_step == 2 for r in res)    # P(no escape at step 2) = (1/2)^64
    to1 = sum(r.rounds[0].edge[1] == entry_state(1, 2) for r in res)
    assert abs(to1 / 4000 - 0.5) < 4 * math.sqrt(0.25 / 4000)


def test_ideal_round_cost_and_discovery_statistics():
    c = ring(3, 2, 1)
    exact = 16 + 16 / (1 - (1 - 1 / 40) ** 16)           # ε = 1/20, q = 1, M = 2
    e = alg.ideal_round_cost(c, "1/20", entry_state(0, 2), 16, 1, 6, 400, seed=1)
    assert abs(e.mean - exact) < 4 * e.se
    st = alg.discovery_statistics(c, "1/20", entry_state(0, 2), 16, 1, c.sparse_edges(), 300, seed=2)
    assert st["censored"] == 0 and st["rounds"].mean == 3 and st["cluster_rounds"].mean == 2
    assert abs(st["cost"].mean - 3 * exact) < 4 * st["cost"].se


def test_two_point_log_slope_and_estimates():
    lo, hi = alg.mean_estimate([9.0, 11.0]), alg.mean_estimate([90.0, 110.0])
    s = alg.two_point_log_slope(lo, hi, 2, 20)
    assert abs(s.mean - 1) < 1e-12 and abs(s.se - math.hypot(0.1, 0.1) / math.log(10)) < 1e-12
    assert alg.binomial_estimate(0, 10).se == 0
    with pytest.raises(MetacotError):
        alg.mean_estimate([1.0])
    with pytest.raises(MetacotError):
        alg.binomial_estimate(3, 2)


def test_search_succeeded_and_round_judgements():
    c = uniform_escape(3, 2, 1)
    res = search_chain(c, "1/4", entry_state(0, 2), 16, 1, 40, 6, seed=3)
    assert all(alg.round_is_ideal(c, r) for r in res.rounds)
    assert alg.search_succeeded(c, res, entry_state(0, 2), c.target) == (
        any(y == c.target for _, y in res.edges))
    assert not alg.search_failed(c, res)


def test_prm_meta_rates_equal_the_guided_chains_meta_rates():
    c = random_chain(5, [3, 2, 3], extra_edges=3)
    E = sorted(c.sparse_edges())
    for known in (E, E[1:]):
        assert alg.prm_meta_rates(c, known) == meta_rates(prm_guided(c, known))


# ----------------------------------------------------------------------------- CLI
def test_cli_search_json(tmp_path, capsys):
    path = tmp_path / "ring.json"
    assert main(["family", "ring", "--K", "3", "--M", "2", "--out", str(path)]) == 0
    capsys.readouterr()
    argv = ["search", str(path), "--start", "1", "--walkers", "16", "--warmup", "1", "--rounds", "3",
            "--seed", "2", "--json", "--prm", "1/10", "--target", "5"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"edges", "clusters", "cost", "rounds", "prm"} <= set(out)
    assert out["cost"] == sum(r["cost"] for r in out["rounds"])
    assert all(isinstance(e, list) and len(e) == 2 for e in out["edges"])
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == out  # same seed, same output
    if sorted(map(tuple, out["edges"])) == sorted(ring(3, 2, 1).sparse_edges()):
        # guided ring = ring(K, M, 1) at ε_max: exact E[τ] from state 1 to 5, and before at ε = 1/1000
        from metacot.numerics.solvers.hitting import hitting_time
        assert Fraction(out["prm"]["E_tau_after"]) == hitting_time(ring(3, 2, 1), 1, 5, Fraction(1, 10))
        assert Fraction(out["prm"]["E_tau_before"]) == hitting_time(ring(3, 2, 1), 1, 5, Fraction(1, 1000))
    assert main(["search", str(path), "--walkers", "2", "--warmup", "1", "--rounds", "1"]) == 0
    assert "found" in capsys.readouterr().out


@pytest.mark.parametrize("extra, msg", [
    (["--walkers", "0", "--warmup", "1", "--rounds", "1"], "walkers"),
    (["--walkers", "2", "--warmup", "5", "--rounds", "1", "--horizon", "5"], "must exceed"),
    (["--walkers", "2", "--warmup", "1", "--rounds", "1", "--start", "77"], "unknown start"),
    (["--walkers", "2", "--warmup", "1", "--rounds", "1", "--eps", "3"], "eps"),
])
def test_cli_bad_input(tmp_path, capsys, extra, msg):
    path = tmp_path / "ring.json"
    main(["family", "ring", "--K", "2", "--M", "2", "--out", str(path)])
    capsys.readouterr()
    assert main(["search", str(path)] + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and msg in err and err.count("\n") == 1


@pytest.mark.slow
def test_ring_8_16_runs_in_seconds():
    import time

    t = time.perf_counter()
    res = search_chain(ring(8, 16, 1), "1/1000", 0, 8, 32, 10**6, 8, seed=1)
    assert time.perf_counter() - t < 20 and len(res.rounds) == 8
