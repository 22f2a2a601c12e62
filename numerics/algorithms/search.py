"""Sparse Edge Search (paper Sec. 3, Alg. 2; spec 02) and the PRM-guided chain (claim search.prm-gain).

Search (black-box): the algorithm only calls `sampler.step(states)` (one step of P(ε) per walker) and
reads `sampler.n`; it never sees the kernel, ε or the true clusters. One round, from frontier x:
  1. start N walkers at x; run T0 steps (warm-up); Ĉ = every state any walker visited (x included);
  2. keep stepping all walkers; the first transition (u → y) with y ∉ Ĉ is recorded in Ê, y becomes
     the frontier and the round ends; if none happens by step T_max (the horizon) the round ends empty
     and the frontier stays.
Cost = walker-steps = N·(steps taken in the round). Walkers that escape at the same step: one of them,
chosen uniformly with the search's own generator (`seed`), is "first".

What the claims of spec 02 and spec 08 F6 compute, in one place:

- exact: the no-cover probability of N walkers and the merge bound (S1); the exit law of a round, the
  expected edge-cover and vertex-cover times of the frontier walk (exact DP, a vectorised float DP, and a
  Monte Carlo of the walk; S3); the PRM-guided chain and its meta rates (S4);
- judging rounds and searches against the true model (clean, ideal, failed, succeeded);
- Monte Carlo estimators of the search itself returning :class:`~metacot.numerics.numbers.Estimate`
  (failure and success rates, ideal-round cost, discovery cost and rounds, two-point log-log slopes).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import Estimate


# ----------------------------------------------------------------------------- results
class RoundRecord(NamedTuple):
    """One round: frontier (start state), Ĉ, recorded edge (or None), escape step t ∈ (T0, T_max], cost N·t."""

    index: int
    frontier: int
    cluster: list
    edge: tuple | None
    escape_step: int | None
    cost: int
    new_edge: bool

    def to_json(self):
        return {"round": self.index, "frontier": self.frontier, "cluster": list(self.cluster),
                "edge": None if self.edge is None else [int(self.edge[0]), int(self.edge[1])],
                "escape_step": self.escape_step, "cost": self.cost, "new_edge": self.new_edge}


@dataclass
class SearchResult:
    """Ê (discovery order), discovered cluster sets (overlapping Ĉ merged), per-round records, total cost."""

    edges: list
    clusters: list
    rounds: list
    cost: int
    params: dict = field(default_factory=dict)

    def edge_set(self) -> set:
        return set(self.edges)

    def rounds_to_discover(self, edges) -> int | None:
        """First round r (1-based) after which every edge of `edges` is in Ê; None if never."""
        need = set(map(tuple, edges))
        seen = set()
        for rec in self.rounds:
            if rec.edge is not None:
                seen.add(rec.edge)
            if need <= seen:
                return rec.index
        return None

    def cost_until(self, r: int) -> int:
        """Walker-steps spent in rounds 1..r."""
        return int(sum(rec.cost for rec in self.rounds[:r]))

    def to_json(self):
        return {"edges": [[int(x), int(y)] for x, y in self.edges], "clusters": self.clusters,
                "cost": int(self.cost), "rounds": [r.to_json() for r in self.rounds], "params": self.params}


# ----------------------------------------------------------------------------- validation
def _positive_int(v, what, minimum=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < minimum:
        raise MetacotError(f"{what} must be an integer ≥ {minimum}, got {v!r}")
    return int(v)


def _check_params(sampler, start, n_walkers, warmup, horizon, rounds):
    if not callable(getattr(sampler, "step", None)):
        raise MetacotError("sampler must have a step(states) method")
    n = getattr(sampler, "n", None)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise MetacotError("sampler must expose its number of states as a positive integer `n`")
    n = int(n)
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= int(start) < n:
        raise MetacotError(f"unknown start state {start!r} (states are 0..{n - 1})")
    N = _positive_int(n_walkers, "number of walkers N")
    T0 = _positive_int(warmup, "warm-up T0", 0)
    H = _positive_int(horizon, "horizon T_max")
    if H <= T0:
        raise MetacotError(f"horizon T_max = {H} must exceed the warm-up T0 = {T0}: no step is left to detect an "
                           "escape")
    R = _positive_int(rounds, "number of rounds R")
    return n, int(start), N, T0, H, R


# ----------------------------------------------------------------------------- the search
def _run_replicas(sampler, start, N, T0, H, R, B, rng, stop_edges=None):
    """B independent searches, vectorised over all B·N walkers; returns a list of B SearchResult.

    stop_edges (experiment aid, uses outside knowledge): a replica stops once Ê ⊇ stop_edges.
    Bookkeeping is vectorised over the rounds that end at the same step; the search's own generator
    `rng` draws one uniform per replica in which several walkers escape at the same step (tie-break).
    """
    n = sampler.n
    visited = np.zeros((B, n), dtype=bool)
    visited[:, start] = True
    S = np.full((B, N), start, dtype=np.int64)
    reps = np.arange(B)                       # active replica ids (rows of S)
    t = np.zeros(B, dtype=np.int64)           # steps taken in the current round (per active row)
    frontier = np.full(B, start, dtype=np.int64)
    done_rounds = np.zeros(B, dtype=np.int64)
    records = [[] for _ in range(B)]
    found = [dict() for _ in range(B)]        # edge -> round index (insertion = discovery order)
    stop = None if stop_edges is None else {tuple(map(int, e)) for e in stop_edges}
    first = True
    while reps.size:
        S_new = np.asarray(sampler.step(S))
        if first:
            if S_new.shape != S.shape:
                raise MetacotError(f"sampler.step returned shape {S_new.shape}, expected {S.shape}")
            first = False
        t += 1
        warm = t <= T0
        if warm.any():
            rr = reps[warm]
            visited[rr[:, None], S_new[warm]] = True
        rows = np.flatnonzero(~warm)
        if not rows.size:
            S = S_new
            continue
        esc = ~visited[reps[rows][:, None], S_new[rows]]
        cnt = esc.sum(axis=1)
        hit = cnt > 0
        hit_rows = rows[hit]
        # first escaping walker; a uniformly chosen one where several escape at the same step
        walker = esc[hit].argmax(axis=1)
        multi = np.flatnonzero(cnt[hit] > 1)
        if multi.size:
            rank = (rng.random(multi.size) * cnt[hit][multi]).astype(np.int64)
            csum = np.cumsum(esc[hit][multi], axis=1)
            walker[multi] = (csum > rank[:, None]).argmax(axis=1)
        empty_rows = rows[~hit][t[rows[~hit]] >= H]
        if not hit_rows.size and not empty_rows.size:
            S = S_new
            continue
        end_rows = np.concatenate([hit_rows, empty_rows])
        src = np.concatenate([S[hit_rows, walker], np.full(empty_rows.size, -1, dtype=np.int64)])
        dst = np.concatenate([S_new[hit_rows, walker], np.full(empty_rows.size, -1, dtype=np.int64)])
        bs = reps[end_rows]
        sub = visited[bs]
        counts = sub.sum(axis=1)
        members = np.nonzero(sub)[1].tolist()
        offs = np.concatenate([[0], np.cumsum(counts)]).tolist()
        steps = t[end_rows].tolist()
        fr = frontier[bs].tolist()
        has = src >= 0
        frontier[bs[has]] = dst[has]
        done_rounds[bs] += 1
        finished = done_rounds[bs] >= R
        srcl, dstl = src.tolist(), dst.tolist()
        for j, b in enumerate(bs.tolist()):
            x, y = srcl[j], dstl[j]
            rec_b, found_b = records[b], found[b]
            if x >= 0:
                edge = (x, y)
                new = edge not in found_b
                if new:
                    found_b[edge] = len(rec_b) + 1
                    if stop is not None and not finished[j] and stop <= found_b.keys():
                        finished[j] = True
                rec_b.append(RoundRecord(len(rec_b) + 1, fr[j], members[offs[j]:offs[j + 1]], edge, steps[j],
                                         N * steps[j], new))
            else:
                rec_b.append(RoundRecord(len(rec_b) + 1, fr[j], members[offs[j]:offs[j + 1]], None, None,
                                         N * steps[j], False))
        keep = np.ones(reps.size, dtype=bool)
        keep[end_rows[finished]] = False
        go = end_rows[keep[end_rows]]
        if go.size:
            gb = reps[go]
            visited[gb] = False
            visited[gb, frontier[gb]] = True
            S_new[go, :] = frontier[gb][:, None]
            t[go] = 0
        if not keep.all():
            reps, S_new, t = reps[keep], S_new[keep], t[keep]
        S = S_new
    out = []
    for b in range(B):
        recs = records[b]
        out.append(SearchResult(edges=list(found[b].keys()), clusters=_merge_sets([r.cluster for r in recs]),
                                rounds=recs, cost=int(sum(r.cost for r in recs))))
    return out


def _merge_sets(sets):
    """Union of overlapping sets (the discovered clusters), each sorted, ordered by smallest state
    (union–find over the states, linear in the total size)."""
    parent = {}

    def find(x):
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for s in sets:
        if not s:
            continue
        for x in s:
            parent.setdefault(x, x)
        r0 = find(s[0])
        for x in s[1:]:
            rx = find(x)
            if rx != r0:
                parent[rx] = r0
    groups = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda c: c[0])


def _search_rng(seed):
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1]) if seed is not None \
        else np.random.default_rng()


def sparse_edge_search(sampler, start, n_walkers, warmup, horizon, rounds, seed=None) -> SearchResult:
    """Sparse Edge Search, Algorithm 2 of the paper (spec 02), with black-box access to the chain.

    Only ``sampler.step(states)`` and ``sampler.n`` are used. Each round starts N walkers at the frontier x,
    runs T0 warm-up steps (Ĉ = every state visited), then records the first transition (u → y) with
    y ∉ Ĉ as a sparse edge and moves the frontier to y; a round with no escape by step T_max ends empty.
    Cost, in walker-steps: N·(escape step) per round, N·T_max for an empty round; an ideal round on
    complete-graph blocks costs N·T0 + N/(1 − (1 − εq/M)^N) in expectation (claim search.cost), and
    R = Θ(K log K) rounds of N = Θ(log K) walkers find every sparse edge with high probability
    (search.recovery, search.rounds, search.success-whp).

    Parameters
    ----------
    sampler : object
        Has ``n`` (number of states) and ``step(states) -> next states`` (int arrays of the same shape),
        e.g. :class:`~metacot.numerics.solvers.monte_carlo.KernelSampler` of P(ε); it owns the walk's
        randomness (seed it at construction).
    start : int
        The first frontier (X_in).
    n_walkers : int
        N ≥ 1.
    warmup : int
        T0 ≥ 0.
    horizon : int
        T_max > T0, the steps per round, warm-up included.
    rounds : int
        R ≥ 1.
    seed : int, optional
        The search's own randomness (tie-break among walkers escaping at the same step). Same sampler seed
        and same `seed` ⇒ same result; None draws fresh entropy.

    Returns
    -------
    SearchResult
        ``edges`` (Ê in discovery order), ``clusters`` (the Ĉ of all rounds, overlapping ones merged),
        ``rounds`` (one RoundRecord each), ``cost`` (walker-steps).

    Raises
    ------
    MetacotError
        A sampler without ``step``/``n``, an unknown start, parameters out of range (T_max ≤ T0, …).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.monte_carlo import KernelSampler
    >>> c = ring(3, 2, 1)
    >>> res = sparse_edge_search(KernelSampler(c, "1/1000", seed=0), c.start, 4, 10, 5000, 4, seed=0)
    >>> res.edges, res.clusters
    ([(0, 3), (2, 5), (4, 1)], [[0, 1], [2, 3], [4, 5]])
    >>> set(res.edges) == set(c.sparse_edges()), len(res.rounds)
    (True, 4)
    """
    n, x0, N, T0, H, R = _check_params(sampler, start, n_walkers, warmup, horizon, rounds)
    res = _run_replicas(sampler, x0, N, T0, H, R, 1, _search_rng(seed))[0]
    res.params = {"start": x0, "n_walkers": N, "warmup": T0, "horizon": H, "rounds": R, "seed": seed}
    return res


def search_replicas(sampler, start, n_walkers, warmup, horizon, rounds, replicas, seed=None, *,
                    stop_edges=None) -> list:
    """`replicas` independent searches run side by side (one vectorised walk of replicas·N walkers).

    Same semantics as sparse_edge_search per replica. stop_edges: an experiment aid for the claims (it uses
    knowledge of the true edges, which the algorithm itself never has): a replica stops once Ê ⊇ stop_edges.
    """
    n, x0, N, T0, H, R = _check_params(sampler, start, n_walkers, warmup, horizon, rounds)
    B = _positive_int(replicas, "replicas")
    out = _run_replicas(sampler, x0, N, T0, H, R, B, _search_rng(seed), stop_edges)
    for r in out:
        r.params = {"start": x0, "n_walkers": N, "warmup": T0, "horizon": H, "rounds": R, "seed": seed}
    return out


def search_chain(chain: Chain, eps, start, n_walkers, warmup, horizon, rounds, seed=None) -> SearchResult:
    """Run the search on P(ε) of `chain` through a seeded KernelSampler (the only access the search gets)."""
    from metacot.numerics.solvers.monte_carlo import KernelSampler

    sampler = KernelSampler(chain, eps, seed=None if seed is None else np.random.SeedSequence(seed).spawn(2)[0])
    return sparse_edge_search(sampler, start, n_walkers, warmup, horizon, rounds, seed=seed)


def default_horizon(chain: Chain, eps, n_walkers: int, warmup: int, factor: int = 20) -> int:
    """T0 + factor·max_k 1/(N ε λ_k) over clusters with λ_k > 0 (a round ends empty w.p. ≈ e^−factor)."""
    from metacot.numerics.solvers.meta_chain import escape_rates

    lam = [float(v) for v in escape_rates(chain)]
    pos = [v for v in lam if v > 0]
    if not pos:
        raise MetacotError("no cluster has a positive escape rate: there are no sparse edges to find")
    return int(warmup) + int(math.ceil(factor / (n_walkers * float(eps) * min(pos))))


# ----------------------------------------------------------------------------- S1: exact no-cover probability
def _sub_rows(chain: Chain, cluster):
    rows = chain.row_dicts(0)
    return {x: {y: v for y, v in rows[x].items()} for x in cluster}


def no_cover_probability(chain: Chain, start, n_walkers: int, warmup: int, *, max_cluster: int = 12):
    """Probability that N independent P0-walkers from `start` miss some state of its cluster in T0 steps.

    Exact by inclusion–exclusion over the missed set A (Fractions for exact chains):
    ``Σ_{∅≠A⊆C∖{start}} (−1)^{|A|+1} a_A^N`` with ``a_A = P_start(X_1, …, X_T0 ∉ A)`` under P0 (spec 02
    S1, claim search.recovery; the search.success-whp bound uses its complete-graph closed form).

    Parameters
    ----------
    chain : Chain
    start : int
        The walkers' common start state.
    n_walkers, warmup : int
        N ≥ 1 and T0 ≥ 0.
    max_cluster : int
        Largest cluster handled (2^(M−1) subsets are enumerated).

    Returns
    -------
    Fraction or float

    Raises
    ------
    MetacotError
        The cluster is larger than `max_cluster`.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> no_cover_probability(ring(2, 2, 1), 1, 3, 1)   # all 3 walkers stay at state 1: (1/2)^3
    Fraction(1, 8)
    """
    x0 = int(start)
    k = int(chain.cluster_of[x0])
    C = list(chain.clusters[k])
    if len(C) > max_cluster:
        raise MetacotError(f"cluster of size {len(C)} is too large for the exact no-cover probability "
                           f"(limit {max_cluster})")
    N = _positive_int(n_walkers, "N")
    T0 = _positive_int(warmup, "T0", 0)
    rows = _sub_rows(chain, C)
    one = Fraction(1) if chain.exact else 1.0
    zero = one - one
    others = [x for x in C if x != x0]
    total = zero
    for mask in range(1, 1 << len(others)):
        A = {others[i] for i in range(len(others)) if mask >> i & 1}
        keep = [x for x in C if x not in A]
        # a = P_x0(X_1..X_T0 ∉ A): vector iteration v_{t}(x) = Σ_y P0(x,y) v_{t-1}(y) on C∖A
        v = {x: one for x in keep}
        for _ in range(T0):
            v = {x: sum((p * v[y] for y, p in rows[x].items() if y in v), zero) for x in keep}
        a = v[x0]
        sign = 1 if bin(mask).count("1") % 2 == 1 else -1
        total = total + sign * a ** N
    return total


def max_escape_weight(chain: Chain):
    """q_max = max_x q(x), q(x) = Σ_{y ∉ C(x)} P1(x, y): the largest total sparse weight of a state.

    Examples
    --------
    >>> from metacot.numerics.families import uniform_escape
    >>> max_escape_weight(uniform_escape(4, 2, "1/2"))
    Fraction(1, 2)
    """
    qx = {}
    for (x, _), v in chain.sparse_edges().items():
        qx[x] = qx.get(x, 0) + v
    return max(qx.values()) if qx else 0


def merge_bound(chain: Chain, eps, n_walkers: int, warmup: int):
    """Union bound N·T0·ε·q_max on P(some walker crosses a sparse edge during the warm-up) of one round
    (spec 02 S1).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> merge_bound(ring(3, 2, 1), Fraction(1, 100), 4, 5)
    Fraction(1, 5)
    """
    return n_walkers * warmup * eps * max_escape_weight(chain)


# ----------------------------------------------------------------------------- judging rounds and searches
# These use the true clusters and sparse edges (knowledge the search itself never has).
def round_is_clean(chain: Chain, rec: RoundRecord) -> bool:
    """A round is clean when Ĉ lies inside one true cluster (no merge) and its recorded edge, if any, is
    a true sparse edge (no false positive); S1 counts a search as failed when some round is not clean.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 2, 1)
    >>> round_is_clean(c, RoundRecord(1, 1, [0, 1], (0, 3), 5, 10, True))
    True
    >>> round_is_clean(c, RoundRecord(1, 1, [1], (1, 0), 2, 4, True))   # a dense edge recorded
    False
    """
    lab = chain.cluster_of
    if len({int(lab[x]) for x in rec.cluster}) > 1:
        return False
    return rec.edge is None or rec.edge in chain.sparse_edges()


def round_is_ideal(chain: Chain, rec: RoundRecord) -> bool:
    """An ideal round (spec 02 S2): Ĉ is exactly the frontier's true cluster (full cover, no merge) and
    the round records a true sparse edge.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 2, 1)
    >>> round_is_ideal(c, RoundRecord(1, 1, [0, 1], (0, 3), 5, 10, True))
    True
    >>> round_is_ideal(c, RoundRecord(1, 1, [0, 1], None, None, 40, False))   # ended empty
    False
    """
    if rec.edge is None or rec.edge not in chain.sparse_edges():
        return False
    k = int(chain.cluster_of[rec.frontier])
    return sorted(rec.cluster) == sorted(chain.clusters[k])


def search_failed(chain: Chain, result: SearchResult) -> bool:
    """Some round of the search is not clean (:func:`round_is_clean`): the failure event of S1."""
    return not all(round_is_clean(chain, r) for r in result.rounds)


def search_succeeded(chain: Chain, result: SearchResult, start: int, target=None) -> bool:
    """Success (spec 08 F6): every recorded edge is a true sparse edge and the recorded edges contain a
    path from the cluster of `start` to the cluster of `target` (to every cluster when target is None).

    The path is one in the cluster graph with an arc (C(x), C(y)) for every recorded (x, y).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)
    >>> res = SearchResult(edges=[(0, 3), (2, 5)], clusters=[], rounds=[], cost=0)
    >>> search_succeeded(c, res, 1, c.target), search_succeeded(c, res, 1)
    (True, True)
    >>> search_succeeded(c, SearchResult(edges=[(0, 3), (1, 0)], clusters=[], rounds=[], cost=0), 1, 5)
    False
    """
    sparse = chain.sparse_edges()
    if any(e not in sparse for e in result.edges):
        return False
    lab = chain.cluster_of
    adj = {}
    for x, y in result.edges:
        adj.setdefault(int(lab[x]), set()).add(int(lab[y]))
    seen, todo = {int(lab[start])}, [int(lab[start])]
    while todo:
        k = todo.pop()
        for l in adj.get(k, ()):
            if l not in seen:
                seen.add(l)
                todo.append(l)
    if target is None:
        return len(seen) == chain.K
    return int(lab[target]) in seen


# ----------------------------------------------------------------------------- Monte Carlo estimators
def mean_estimate(values) -> Estimate:
    """Sample mean, its standard error s/√n and n (an :class:`~metacot.numerics.numbers.Estimate`).

    Examples
    --------
    >>> mean_estimate([1, 2, 3, 4])
    Estimate(mean=2.5, se=0.6454972243679028, n=4)
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise MetacotError(f"a Monte Carlo mean needs at least 2 samples, got {x.size}")
    return Estimate(float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size)), int(x.size))


def binomial_estimate(successes: int, n: int) -> Estimate:
    """Success rate p̂ = successes/n with the binomial standard error √(p̂(1 − p̂)/n).

    Examples
    --------
    >>> binomial_estimate(30, 120)
    Estimate(mean=0.25, se=0.03952847075210474, n=120)
    """
    if n < 1 or not 0 <= successes <= n:
        raise MetacotError(f"binomial estimate needs 0 <= successes <= n, n >= 1; got {successes}/{n}")
    p = successes / n
    return Estimate(p, math.sqrt(p * (1 - p) / n), int(n))


def two_point_log_slope(lo: Estimate, hi: Estimate, x_lo, x_hi) -> Estimate:
    """Slope (log m_hi − log m_lo)/(log x_hi − log x_lo) of two Monte Carlo means, with the delta-method
    standard error √((se_lo/m_lo)² + (se_hi/m_hi)²)/|log(x_hi/x_lo)| (claim search.cost, slopes).

    Examples
    --------
    >>> e = two_point_log_slope(Estimate(10.0, 0.1, 100), Estimate(40.0, 0.4, 100), 1, 4)
    >>> round(e.mean, 12), round(e.se, 6)
    (1.0, 0.010201)
    """
    d = math.log(float(x_hi)) - math.log(float(x_lo))
    if d == 0 or lo.mean <= 0 or hi.mean <= 0:
        raise MetacotError("a log-log slope needs positive means at two distinct points")
    se = math.hypot(lo.se / lo.mean, hi.se / hi.mean) / abs(d)
    return Estimate((math.log(hi.mean) - math.log(lo.mean)) / d, se, min(lo.n, hi.n))


def run_search_replicas(chain: Chain, eps, start, n_walkers, warmup, rounds, replicas, *, seed: int,
                        horizon=None, stop_edges=None) -> list:
    """`replicas` searches on P(ε) of `chain` (a seeded KernelSampler, the only access the search has).

    Parameters
    ----------
    chain : Chain
    eps : number or str
        ε, parsed exactly and checked against the chain's range.
    start : int
        First frontier state.
    n_walkers, warmup, rounds, replicas : int
        N, T0, R and the number of independent searches.
    seed : int
        The sampler's stream is SeedSequence([seed, 1]), the search's own stream derives from `seed`:
        the same seed gives the same results.
    horizon : int, optional
        T_max; default :func:`default_horizon`.
    stop_edges : iterable of (x, y), optional
        A replica stops once Ê contains them (uses knowledge of the true edges; for experiments).

    Returns
    -------
    list of SearchResult

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> [len(r.rounds) for r in run_search_replicas(ring(2, 2, 1), "1/10", 1, 4, 1, 3, 2, seed=0)]
    [3, 3]
    """
    from metacot.numerics.solvers.monte_carlo import KernelSampler

    eps = chain.check_eps(eps)
    H = default_horizon(chain, eps, n_walkers, warmup) if horizon is None else horizon
    sampler = KernelSampler(chain, eps, seed=np.random.SeedSequence([int(seed), 1]))
    return search_replicas(sampler, start, n_walkers, warmup, H, rounds, replicas, seed=int(seed),
                           stop_edges=stop_edges)


def failure_rate(chain: Chain, eps, start, n_walkers, warmup, rounds, replicas, *, seed: int,
                 horizon=None) -> Estimate:
    """Monte Carlo rate of failed searches (some round merges or records a dense edge; claim
    search.recovery), with its binomial standard error.

    Parameters are those of :func:`run_search_replicas` (`rounds` = R per search).

    Returns
    -------
    Estimate
        Failed fraction of the `replicas` searches, se √(p̂(1 − p̂)/replicas).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> e = failure_rate(ring(2, 2, 1), "1/1000", 1, 1, 1, 1, 200, seed=0, horizon=30)   # P_nocover = 1/2
    >>> abs(e.mean - 0.5) < 4 * e.se
    True
    """
    res = run_search_replicas(chain, eps, start, n_walkers, warmup, rounds, replicas, seed=seed, horizon=horizon)
    return binomial_estimate(sum(search_failed(chain, r) for r in res), len(res))


def success_rates(chain: Chain, eps, start, n_walkers, warmup, rounds, replicas, *, seed: int, target=None,
                  horizon=None) -> tuple[Estimate, Estimate]:
    """Monte Carlo success rates of the search (claim search.success-whp): (reaching the cluster of
    `target`, default chain.target; reaching every cluster), each with all recorded edges true
    (:func:`search_succeeded`).

    Parameters are those of :func:`run_search_replicas`; `target` a state of the answer cluster.

    Returns
    -------
    (Estimate, Estimate)
        Success rates with binomial standard errors.

    Examples
    --------
    >>> from metacot.numerics.families import uniform_escape, entry_state
    >>> out, every = success_rates(uniform_escape(3, 2, 1), "1/4", entry_state(0, 2), 8, 1, 6, 50, seed=1)
    >>> 0.8 <= out.mean <= 1 and every.mean <= out.mean
    True
    """
    target = chain.target if target is None else target
    res = run_search_replicas(chain, eps, start, n_walkers, warmup, rounds, replicas, seed=seed, horizon=horizon)
    n_out = sum(search_succeeded(chain, r, start, target) for r in res)
    n_all = sum(search_succeeded(chain, r, start) for r in res)
    return binomial_estimate(n_out, len(res)), binomial_estimate(n_all, len(res))


def ideal_round_cost(chain: Chain, eps, start, n_walkers, warmup, rounds, replicas, *, seed: int,
                     horizon=None) -> Estimate:
    """Mean walker-steps of the ideal rounds (:func:`round_is_ideal`) whose frontier is not the source of
    a sparse edge, over `replicas` searches of `rounds` rounds (claim search.cost, per-round form).

    Parameters are those of :func:`run_search_replicas`.

    Returns
    -------
    Estimate
        Mean cost, its standard error, and the number of ideal rounds it averages.

    Raises
    ------
    MetacotError
        Fewer than two ideal rounds.

    Excluding merged rounds leaves the law of the detection phase unchanged (given no escape during the
    warm-up, a complete-graph walker is uniform at T0); excluding uncovered rounds tilts it by
    O(P_nocover) only.

    Examples
    --------
    >>> from metacot.numerics.families import ring, entry_state
    >>> e = ideal_round_cost(ring(2, 2, 1), "1/20", entry_state(0, 2), 16, 1, 4, 100, seed=3)
    >>> abs(e.mean - 64.05) < 4 * e.se and e.n > 300     # exact: 16 + 16/(1 − (39/40)^16) ≈ 64.05
    True
    """
    sources = {x for x, _ in chain.sparse_edges()}
    res = run_search_replicas(chain, eps, start, n_walkers, warmup, rounds, replicas, seed=seed, horizon=horizon)
    costs = [r.cost for s in res for r in s.rounds if r.frontier not in sources and round_is_ideal(chain, r)]
    return mean_estimate(costs)


def discovery_statistics(chain: Chain, eps, start, n_walkers, warmup, edges, replicas, *, seed: int,
                         horizon=None, max_rounds=None) -> dict:
    """Monte Carlo of the search until Ê ⊇ `edges` (claims search.cost and search.rounds).

    Parameters
    ----------
    chain, eps, start, n_walkers, warmup, replicas, seed, horizon
        As for :func:`run_search_replicas`.
    edges : iterable of (x, y)
        The edges to discover (each replica stops once it has them all).
    max_rounds : int, optional
        Round cap per search.

    Returns
    -------
    dict
        ``cost`` (walker-steps), ``rounds`` (rounds until Ê ⊇ edges) and ``cluster_rounds`` (rounds until
        every cluster has been a frontier: the frontier walk has visited all K clusters) as Estimates over
        the searches that finished, and ``censored`` (searches that had not found every edge after
        `max_rounds`, default 20·|edges| + 20).

    Examples
    --------
    >>> from metacot.numerics.families import ring, entry_state
    >>> c = ring(3, 2, 1)
    >>> st = discovery_statistics(c, "1/50", entry_state(0, 2), 16, 1, c.sparse_edges(), 20, seed=0)
    >>> st["rounds"].mean, st["rounds"].se, st["cluster_rounds"].mean, st["censored"]
    (3.0, 0.0, 2.0, 0)
    """
    edges = sorted(tuple(map(int, e)) for e in edges)
    R = 20 * len(edges) + 20 if max_rounds is None else int(max_rounds)
    res = run_search_replicas(chain, eps, start, n_walkers, warmup, R, replicas, seed=seed, horizon=horizon,
                              stop_edges=edges)
    lab = chain.cluster_of
    costs, rounds, cl_rounds, censored = [], [], [], 0
    for s in res:
        r = s.rounds_to_discover(edges)
        if r is None:
            censored += 1
            continue
        costs.append(s.cost_until(r))
        rounds.append(r)
        seen = {int(lab[start])}
        for rec in s.rounds:
            if rec.edge is not None:
                seen.add(int(lab[rec.edge[1]]))
            if len(seen) == chain.K:
                cl_rounds.append(rec.index)
                break
    out = {"censored": censored, "cost": None, "rounds": None, "cluster_rounds": None}
    if len(costs) >= 2:
        out.update(cost=mean_estimate(costs), rounds=mean_estimate(rounds))
    if len(cl_rounds) >= 2:
        out["cluster_rounds"] = mean_estimate(cl_rounds)
    return out


# ----------------------------------------------------------------------------- S3: the frontier walk
def round_exit_law(chain: Chain, eps, frontiers=None):
    """J(k, l) = P_{f_k}(the walk first leaves C_k into C_l) at P(ε), f_k the frontier state of cluster k.

    Parameters
    ----------
    chain : Chain
    eps : number
        ε (rational for an exact result).
    frontiers : list of int, optional
        One state per cluster, in cluster order.

    Returns
    -------
    list of lists
        K×K exit law (zero diagonal); Fractions for exact input.

    Raises
    ------
    MetacotError
        `frontiers` does not give one state of every cluster.

    Notes
    -----
    For single-source families (ring, uniform-escape) every escape leaves from the one source with the
    same destination law, so this is also the law of the edge an ideal round of N walkers records: the
    search's frontier performs the jump walk J (spec 02 S3). Exact (Fractions) for exact chains and
    rational ε, by the absorption solver; `frontiers` defaults to each cluster's last state (the entry
    state of the canonical families).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import uniform_escape
    >>> round_exit_law(uniform_escape(3, 2, 1), Fraction(1, 10))[0]
    [Fraction(0, 1), Fraction(1, 2), Fraction(1, 2)]
    """
    from metacot.numerics.solvers.hitting import hitting_probabilities

    K = chain.K
    fr = [c[-1] for c in chain.clusters] if frontiers is None else [int(x) for x in frontiers]
    if len(fr) != K or any(int(chain.cluster_of[x]) != k for k, x in enumerate(fr)):
        raise MetacotError("frontiers must give one state of every cluster, in cluster order")
    zero = Fraction(0) if chain.exact else 0.0
    J = [[zero] * K for _ in range(K)]
    for l in range(K):
        others = [x for m, c in enumerate(chain.clusters) if m != l for x in c]
        for k in range(K):
            if k == l:
                continue
            avoid = [x for x in others if int(chain.cluster_of[x]) != k]
            u = hitting_probabilities(chain, chain.clusters[l], eps, avoid=avoid)
            J[k][l] = u[fr[k]]
    return J


def complete_digraph_walk(K: int) -> list:
    """The simple random walk on the complete digraph on K vertices: J(k, l) = 1/(K−1) for l ≠ k.

    Examples
    --------
    >>> complete_digraph_walk(3)[0]
    [Fraction(0, 1), Fraction(1, 2), Fraction(1, 2)]
    """
    K = _positive_int(K, "K", 2)
    return [[Fraction(0) if k == l else Fraction(1, K - 1) for l in range(K)] for k in range(K)]


@functools.lru_cache(maxsize=None)
def complete_digraph_edge_cover(K: int):
    """Directed-edge cover time C_edge of the walk on the complete digraph from a vertex: exact (Fraction)
    for K ≤ 4, float dynamic programme for K = 5 (2^20 covered sets); cached (claim search.rounds).

    Examples
    --------
    >>> complete_digraph_edge_cover(3)
    Fraction(62, 5)
    """
    K = _positive_int(K, "K", 2)
    if K > 5:
        raise MetacotError(f"K = {K}: the edge-cover DP needs 2^{K * (K - 1)} sets; use edge_cover_samples")
    return edge_cover_expectation(complete_digraph_walk(K), 0, method="exact" if K <= 4 else "float")


def _walk_edges(J, edges):
    K = len(J)
    allowed = [(k, l) for k in range(K) for l in range(K) if k != l and J[k][l] != 0]
    if edges is None:
        return allowed
    out = []
    for e in edges:
        e = (int(e[0]), int(e[1]))
        if e not in allowed:
            raise MetacotError(f"edge {e} is not an edge of the walk (J({e[0]}, {e[1]}) = 0)")
        if e not in out:
            out.append(e)
    return out


def edge_cover_expectation(J, start: int, *, edges=None, method: str = "exact", max_edges: int = 16):
    """Expected number of jumps of the walk J (K×K, no self-loops) from `start` until it has traversed
    every edge of `edges` (default: every (k, l) with J(k, l) > 0) at least once (spec 02 S3).

    Parameters
    ----------
    J : K×K nested list
        Jump probabilities (rows sum to 1, zero diagonal).
    start : int
    edges : iterable of (k, l), optional
        The edges that must be traversed; other edges may be used freely.
    method : {"exact", "float"}
    max_edges : int
        Largest number of target edges for the exact programme.

    Returns
    -------
    Fraction (exact) or float

    Raises
    ------
    MetacotError
        Self-loops, an edge J does not have, too many edges, or an edge that is never reached.

    Notes
    -----
    Dynamic programme over covered sets S ⊆ edges:
    ``E(v, S) = 1 + Σ_w J(v,w)·E(w, S ∪ ({(v,w)} ∩ edges))``, ``E(·, edges) = 0``; for each S the K
    unknowns E(·, S) solve one linear system, sets taken in decreasing size. method="exact": Fractions
    (2^|edges| systems, |edges| ≤ max_edges); method="float": all systems of one size solved at once with
    numpy (|edges| ≤ max(max_edges, 22); K = 5 with its 20 edges takes about a second).

    Examples
    --------
    >>> edge_cover_expectation(complete_digraph_walk(2), 0)      # the walk alternates: 2 (coupon collector: 3)
    Fraction(2, 1)
    >>> edge_cover_expectation(complete_digraph_walk(3), 0)
    Fraction(62, 5)
    """
    K = len(J)
    if any(J[k][k] != 0 for k in range(K)):
        raise MetacotError("edge_cover_expectation needs a walk without self-loops (J(k, k) = 0)")
    target = _walk_edges(J, edges)
    m = len(target)
    if method == "float":
        if m > max(max_edges, 22):
            raise MetacotError(f"{m} edges: the float edge-cover DP needs 2^{m} sets (limit 22)")
        return _edge_cover_float(J, start, target)
    if method != "exact":
        raise MetacotError(f"unknown method {method!r} (exact, float)")
    if m > max_edges:
        raise MetacotError(f"{m} edges: the exact edge-cover expectation needs 2^{m} sets (limit {max_edges}); "
                           "use method='float' (up to 22 edges) or edge_cover_samples")
    from flint import fmpq, fmpq_mat

    J = [[fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in row] for row in J]
    bit = {e: 1 << i for i, e in enumerate(target)}
    full = (1 << m) - 1
    zero, one = fmpq(0), fmpq(1)
    E = {full: [zero] * K}
    for S in sorted(range(full), key=lambda s: -bin(s).count("1")):
        # (I − A) x = b with A(v,w) = J(v,w) where (v,w) leaves S unchanged, b(v) = 1 + Σ_new J(v,w) E(w, S+e)
        A = [[zero] * K for _ in range(K)]
        b = [one] * K
        for v in range(K):
            A[v][v] = one
            for w in range(K):
                p = J[v][w]
                if p == 0 or v == w:
                    continue
                e = bit.get((v, w), 0)
                if e == 0 or S & e:
                    A[v][w] -= p
                else:
                    b[v] += p * E[S | e][w]
        try:
            x = fmpq_mat(K, K, [a for row in A for a in row]).solve(fmpq_mat(K, 1, b))
        except ZeroDivisionError:
            raise MetacotError("singular system in the edge-cover DP (some edge is never reached)") from None
        E[S] = [x[i, 0] for i in range(K)]
    v = E[0][int(start)]
    return Fraction(int(v.p), int(v.q))


def _edge_cover_float(J, start, target) -> float:
    K = len(J)
    Jf = np.array([[float(v) for v in row] for row in J])
    m = len(target)
    full = (1 << m) - 1
    E = np.zeros((full + 1, K))
    tset = set(target)
    base = np.eye(K) - np.array([[Jf[v, w] if (v, w) not in tset else 0.0 for w in range(K)] for v in range(K)])
    sets = np.arange(full + 1, dtype=np.int64)
    pop = np.zeros(full + 1, dtype=np.int64)
    for i in range(m):
        pop += (sets >> i) & 1
    for c in range(m - 1, -1, -1):
        Ss = sets[pop == c]
        A = np.broadcast_to(base, (Ss.size, K, K)).copy()
        b = np.ones((Ss.size, K))
        for i, (v, w) in enumerate(target):
            has = ((Ss >> i) & 1).astype(bool)
            A[has, v, w] -= Jf[v, w]
            nb = ~has
            b[nb, v] += Jf[v, w] * E[Ss[nb] | (1 << i), w]
        E[Ss] = np.linalg.solve(A, b[..., None])[..., 0]
    return float(E[0, int(start)])


def cluster_cover_expectation(J, start: int, *, max_vertices: int = 14):
    """Expected number of jumps of the walk J from `start` until it has visited every vertex (for the
    search: rounds until every cluster has been a frontier; spec 02 S3, (K−1)·H_{K−1} for the complete
    digraph). DP over visited sets V ∋ v: ``E(v, V) = 1 + Σ_w J(v,w)·E(w, V ∪ {w})``, E(·, all) = 0.

    Parameters
    ----------
    J : K×K nested list
        Jump probabilities (Fractions or ints give an exact result).
    start : int
    max_vertices : int
        Largest K (2^K visited sets).

    Returns
    -------
    Fraction or float

    Examples
    --------
    >>> cluster_cover_expectation(complete_digraph_walk(4), 0)    # 3·H_3 = 11/2
    Fraction(11, 2)
    """
    K = len(J)
    if K > max_vertices:
        raise MetacotError(f"{K} vertices: the cluster-cover DP needs 2^{K} sets (limit {max_vertices})")
    exact = all(isinstance(v, (int, Fraction)) for row in J for v in row)
    conv = Fraction if exact else float
    J = [[conv(v) for v in row] for row in J]
    full = (1 << K) - 1
    E = {full: [conv(0)] * K}
    for V in sorted(range(1, full), key=lambda s: -bin(s).count("1")):
        inside = [v for v in range(K) if V >> v & 1]
        pos = {v: i for i, v in enumerate(inside)}
        n = len(inside)
        A = [[conv(0)] * n for _ in range(n)]
        b = [conv(1)] * n
        for v in inside:
            i = pos[v]
            A[i][i] += conv(1)
            for w in range(K):
                p = J[v][w]
                if p == 0:
                    continue
                if V >> w & 1:
                    A[i][pos[w]] -= p
                else:
                    b[i] += p * E[V | (1 << w)][w]
        x = _solve(A, b)
        E[V] = [conv(0)] * K
        for v, val in zip(inside, x):
            E[V][v] = val
    return E[1 << int(start)][int(start)]


def edge_cover_samples(J, start: int, samples: int, *, seed: int, edges=None) -> Estimate:
    """Monte Carlo of the edge-cover time of the walk J (jumps until every edge of `edges` was traversed),
    all `samples` walks run side by side (claim search.rounds for K where the DP is out of reach).

    Parameters
    ----------
    J : K×K nested list
    start : int
    samples : int
        Number of independent walks (≥ 2).
    seed : int
        Stream SeedSequence([seed, 7]).
    edges : iterable of (k, l), optional

    Returns
    -------
    Estimate

    Examples
    --------
    >>> e = edge_cover_samples(complete_digraph_walk(3), 0, 4000, seed=1)
    >>> abs(e.mean - 12.4) < 4 * e.se      # exact 62/5
    True
    """
    K = len(J)
    target = _walk_edges(J, edges)
    idx = {e: i for i, e in enumerate(target)}
    Jf = np.array([[float(v) for v in row] for row in J])
    cum = np.cumsum(Jf, axis=1)
    cum[:, -1] = 1.0
    code = np.full((K, K), -1, dtype=np.int64)
    for (v, w), i in idx.items():
        code[v, w] = i
    n = _positive_int(samples, "samples", 2)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    v = np.full(n, int(start), dtype=np.int64)
    covered = np.zeros((n, len(target)), dtype=bool)
    left = np.full(n, len(target), dtype=np.int64)
    steps = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    while active.size:
        u = rng.random(active.size)
        w = (u[:, None] < cum[v[active]]).argmax(axis=1)
        c = code[v[active], w]
        newc = (c >= 0)
        rows = active[newc]
        fresh = ~covered[rows, c[newc]]
        covered[rows[fresh], c[newc][fresh]] = True
        left[rows[fresh]] -= 1
        steps[active] += 1
        v[active] = w
        active = active[left[active] > 0]
    return mean_estimate(steps)


def _solve(A, b):
    """Gaussian elimination with pivot search (exact over Fractions)."""
    K = len(b)
    A = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(K):
        p = max(range(c, K), key=lambda r: abs(A[r][c]))
        if A[p][c] == 0:
            raise MetacotError("singular system in the cover-time DP (some edge or vertex is never reached)")
        A[c], A[p] = A[p], A[c]
        for r in range(K):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [x - f * y for x, y in zip(A[r], A[c])]
    return [A[i][K] / A[i][i] for i in range(K)]


# ----------------------------------------------------------------------------- S4: the PRM-guided chain
def prm_guided(chain: Chain, found_edges, eps_max=None, *, eps=None, weights=None) -> Chain:
    """The PRM-guided chain G(s) = P0 + s·G1, affine in s = ε_max (spec 02 S4).

    At each source x of a known edge: G(x,·) = (1 − s)·P0(x,·) + s·Σ_{(x,y)∈Ê} q(x,y)/q̂(x)·δ_y, i.e. every
    known edge (x,y) is taken with probability s·q(x,y)/q̂(x) (total s per source) and the rest of the row
    is P0 rescaled by 1 − s. Weights: q(x,y) = P1(x,y) of the original chain (its sparse-edge weight; for
    the row-rescaled form this is the paper's q(x,y)), or `weights[(x,y)]` if given; q̂(x) = Σ of q over the
    KNOWN edges from x (= the paper's q(x) once all of x's edges are known). Unknown edges from a guided
    source get probability 0 (the PRM rewards known edges only).
    Other rows: P0 (default: the original ε-perturbation is dropped, the ε ≪ ε_max limit; exact for a
    row-rescaled chain once every source is known, since P1 vanishes on non-source rows), or, if `eps` is
    given, the pretrained row P0 + ε·P1 kept exactly along the ray ε = (ε/ε_max)·s, which needs eps_max.
    A found edge that is not a sparse edge of the chain (P1(x,y) ≤ 0 or inside a cluster: a false
    positive of the search) raises MetacotError unless `weights` supplies its weight.
    Returns a Chain with the same clusters, start and target; valid for 0 ≤ s ≤ its eps_max (≤ 1).
    Once every source is known, its meta rates are r_PRM(k, l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l} q(x,y)/q̂(x)
    (:func:`prm_meta_rates`) and E_PRM[τ] ≈ h^meta_PRM/ε_max steps: the hitting time drops from Θ(KM/ε)
    to Θ(KM/ε_max) (claims search.prm-gain, ppo.internalises-prm).

    Parameters
    ----------
    chain : Chain
        The pretrained chain P0 + ε·P1 (with clusters).
    found_edges : iterable of (x, y)
        Ê, e.g. ``sparse_edge_search(...).edges``; duplicates are ignored.
    eps_max : number or str, optional
        ε_max ∈ (0, 1]; needed (and used) only together with `eps`, to keep the pretrained rows on the
        ray ε = (ε/ε_max)·s.
    eps : number or str, optional
        The pretrained ε kept on the unguided rows (default: those rows are P0).
    weights : dict {(x, y): weight}, optional
        Weights of found edges instead of P1(x, y) (required for false positives).

    Returns
    -------
    Chain
        The affine family G(s) = P0 + s·G1 (evaluate it at s = ε_max); exact when the chain, the weights
        and ε/ε_max are.

    Raises
    ------
    MetacotError
        No found edge, a malformed or self-loop edge, a false positive without a weight, a weight ≤ 0,
        ε_max outside (0, 1], or `eps` without `eps_max`; EpsilonError for `eps` out of range.

    Examples
    --------
    ring(3, 2, 1/4) with every sparse edge known: E[τ] = (K−1)·M/(q ε) = 1600 steps at ε = 1/100 for the
    pretrained chain, (K−1)·M/ε_max = 8 steps for the guided one at ε_max = 1/2.

    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> c = ring(3, 2, "1/4")
    >>> g = prm_guided(c, c.sparse_edges())
    >>> g.kernel_exact("1/2")[0]                           # (1 − s)·P0(0, ·) + s·δ_3
    {0: Fraction(1, 4), 1: Fraction(1, 4), 3: Fraction(1, 2)}
    >>> hitting_time(c, c.start, c.target, "1/100"), hitting_time(g, g.start, g.target, "1/2")
    (Fraction(1600, 1), Fraction(8, 1))
    """
    from metacot.numerics.numbers import parse_number

    edges = []
    for e in found_edges:
        try:
            x, y = (int(e[0]), int(e[1]))
        except (TypeError, ValueError, IndexError):
            raise MetacotError(f"found edges must be (x, y) pairs of states, got {e!r}") from None
        for s in (x, y):
            if not 0 <= s < chain.n:
                raise MetacotError(f"found edge ({x}, {y}): unknown state {s} (states are 0..{chain.n - 1})")
        if x == y:
            raise MetacotError(f"found edge ({x}, {y}) is a self-loop")
        if (x, y) not in edges:
            edges.append((x, y))
    if not edges:
        raise MetacotError("no found edges: the PRM-guided chain needs at least one known sparse edge")
    sparse = chain.sparse_edges()
    q = {}
    for x, y in edges:
        if weights is not None and (x, y) in weights:
            w = parse_number(weights[(x, y)], what=f"weight of ({x}, {y})")
            if w <= 0:
                raise MetacotError(f"weight of found edge ({x}, {y}) must be positive")
        elif (x, y) in sparse:
            w = sparse[(x, y)]
        else:
            v = chain.row_dicts(1)[x].get(y, 0)
            raise MetacotError(f"found edge ({x}, {y}) is not a sparse edge of the chain (P1({x},{y}) = {v}, "
                               f"clusters {int(chain.cluster_of[x])} → {int(chain.cluster_of[y])}): a false "
                               "positive of the search; drop it or pass its weight")
        q[(x, y)] = w
    if eps_max is not None:
        eps_max = parse_number(eps_max, what="eps_max") if not isinstance(eps_max, float) else eps_max
        if not 0 < eps_max <= 1:
            raise MetacotError(f"eps_max = {eps_max} is outside (0, 1]")
    ratio = None
    if eps is not None:
        if eps_max is None:
            raise MetacotError("keeping the pretrained ε on unguided rows needs eps_max (the ray ε/ε_max)")
        eps = chain.check_eps(eps)
        ratio = eps / eps_max if chain.exact and isinstance(eps, Fraction) and isinstance(eps_max, Fraction) \
            else float(eps) / float(eps_max)
    qhat = {}
    for (x, _), w in q.items():
        qhat[x] = qhat.get(x, 0) + w
    exact = chain.exact and all(isinstance(w, Fraction) for w in q.values()) and \
        (ratio is None or isinstance(ratio, Fraction))
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)
    conv = (lambda v: v) if exact else float
    P0, G1 = {}, {}
    for x in range(chain.n):
        for y, v in r0[x].items():
            P0[(x, y)] = conv(v)
        if x in qhat:
            for y, v in r0[x].items():
                G1[(x, y)] = G1.get((x, y), 0) - conv(v)
        elif ratio is not None:
            for y, v in r1[x].items():
                G1[(x, y)] = G1.get((x, y), 0) + conv(ratio) * conv(v)
    for (x, y), w in q.items():
        G1[(x, y)] = G1.get((x, y), 0) + conv(w) / conv(qhat[x])
    name = f"PRM-guided {chain.name or 'chain'} ({len(edges)} known edges)"
    return Chain(chain.n, P0, G1, chain.clusters, start=chain.start, target=chain.target, name=name)


def prm_meta_rates(chain: Chain, found_edges) -> list:
    """Meta rates of the PRM-guided chain from the formula of spec 02 S4:
    ``r_PRM(k, l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l, (x,y)∈Ê} q(x,y)/q̂(x)``, q(x, y) = P1(x, y) and q̂(x) the
    known weight of x (claim search.prm-gain: the ε_max^-1 coefficient of E_PRM[τ] is the CTMC hitting
    time of these rates).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 5)
    >>> prm_meta_rates(c, c.sparse_edges())[0]
    [Fraction(0, 1), Fraction(1, 2), Fraction(0, 1)]
    """
    from metacot.numerics.solvers.meta_chain import cluster_stationary_laws

    sparse = chain.sparse_edges()
    known = [(int(x), int(y)) for x, y in found_edges]
    bad = [e for e in known if e not in sparse]
    if bad:
        raise MetacotError(f"found edge {bad[0]} is not a sparse edge of the chain")
    qhat = {}
    for x, y in known:
        qhat[x] = qhat.get(x, 0) + sparse[(x, y)]
    pis = cluster_stationary_laws(chain)
    lab = chain.cluster_of
    zero = Fraction(0) if chain.exact else 0.0
    r = [[zero] * chain.K for _ in range(chain.K)]
    for x, y in known:
        k = int(lab[x])
        r[k][int(lab[y])] += pis[k][chain.clusters[k].index(x)] * sparse[(x, y)] / qhat[x]
    return r
