"""Sparse Edge Search (paper Sec. 3, Alg. 2; spec 02) and the PRM-guided chain (claim search.prm-gain).

Search (black-box): the algorithm only calls `sampler.step(states)` (one step of P(ε) per walker) and
reads `sampler.n`; it never sees the kernel, ε or the true clusters. One round, from frontier x:
  1. start N walkers at x; run T0 steps (warm-up); Ĉ = every state any walker visited (x included);
  2. keep stepping all walkers; the first transition (u → y) with y ∉ Ĉ is recorded in Ê, y becomes
     the frontier and the round ends; if none happens by step T_max (the horizon) the round ends empty
     and the frontier stays.
Cost = walker-steps = N·(steps taken in the round). Walkers that escape at the same step: one of them,
chosen uniformly with the search's own generator (`seed`), is "first".

Helpers for the claims: exact no-cover probability of N walkers (S1), exact expected edge-cover time of a
jump chain (S3), and `prm_guided` (S4).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError


# ----------------------------------------------------------------------------- results
@dataclass
class RoundRecord:
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
        det = ~warm
        ended = []                            # (row, edge or None)
        if det.any():
            rows = np.flatnonzero(det)
            esc = ~visited[reps[rows][:, None], S_new[rows]]
            hit = esc.any(axis=1)
            for j in np.flatnonzero(hit):
                i = rows[j]
                w_all = np.flatnonzero(esc[j])
                w = int(w_all[0]) if w_all.size == 1 else int(w_all[rng.integers(w_all.size)])
                ended.append((int(i), (int(S[i, w]), int(S_new[i, w]))))
            for i in rows[~hit]:
                if t[i] >= H:
                    ended.append((int(i), None))
        if ended:
            keep = np.ones(reps.size, dtype=bool)
            for i, edge in ended:
                b = int(reps[i])
                steps = int(t[i])
                cluster = np.flatnonzero(visited[b]).tolist()
                new = False
                if edge is not None:
                    new = edge not in found[b]
                    if new:
                        found[b][edge] = len(records[b]) + 1
                records[b].append(RoundRecord(len(records[b]) + 1, int(frontier[b]), cluster, edge,
                                              steps if edge is not None else None, N * steps, new))
                if edge is not None:
                    frontier[b] = edge[1]
                done_rounds[b] += 1
                if done_rounds[b] >= R or (stop is not None and stop <= found[b].keys()):
                    keep[i] = False
                    continue
                visited[b] = False
                visited[b, frontier[b]] = True
                S_new[i, :] = frontier[b]
                t[i] = 0
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
    """Union of overlapping sets (the discovered clusters), each sorted, ordered by smallest state."""
    merged = []
    for s in sets:
        s = set(s)
        rest = []
        for m in merged:
            if m & s:
                s |= m
            else:
                rest.append(m)
        merged = rest + [s]
    return sorted((sorted(m) for m in merged), key=lambda c: c[0])


def _search_rng(seed):
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1]) if seed is not None \
        else np.random.default_rng()


def sparse_edge_search(sampler, start, n_walkers, warmup, horizon, rounds, seed=None) -> SearchResult:
    """Algorithm 2 (spec 02) with black-box access: only `sampler.step(states)` and `sampler.n` are used.

    n_walkers N ≥ 1, warm-up T0 ≥ 0, horizon T_max > T0 (steps per round, warm-up included), rounds R ≥ 1.
    `seed` drives the search's own randomness (tie-break among walkers escaping at the same step); the
    sampler owns the walk's randomness (seed it at construction). Same sampler seed and same `seed` ⇒ same
    result. Cost per round = N·(escape step), or N·T_max for an empty round. Claims S1–S3 use it.
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
    """P(no cover): probability that N independent P0-walkers from `start` miss some state of start's cluster
    during steps 0..T0 (spec 02 S1). Exact (Fractions for exact chains) by inclusion–exclusion:
        Σ_{∅≠A⊆C∖{start}} (−1)^{|A|+1} a_A^N,  a_A = P_start(walker avoids A during steps 1..T0).
    For clusters up to `max_cluster` states (2^(M−1) subsets).
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


def merge_bound(chain: Chain, eps, n_walkers: int, warmup: int):
    """Union bound on P(some walker crosses a sparse edge during warm-up) per round: N·T0·ε·q_max,
    q_max = max_x q(x) = max_x Σ_{y∉C(x)} P1(x,y) (spec 02 S1)."""
    se = chain.sparse_edges()
    qx = {}
    for (x, _), v in se.items():
        qx[x] = qx.get(x, 0) + v
    qmax = max(qx.values()) if qx else 0
    return n_walkers * warmup * eps * qmax


# ----------------------------------------------------------------------------- S3: exact edge-cover time
def edge_cover_expectation(J, start: int, *, max_edges: int = 16):
    """Exact expected number of jumps for the jump chain J (K×K, J(k,k) = 0 off absorbing states) started at
    `start` to traverse every edge (k,l), k≠l, J(k,l) > 0 at least once (spec 02 S3).

    E(v,S) = 1 + Σ_w J(v,w)·E(w, S ∪ {(v,w)}), E(·, all) = 0; for each covered set S the K unknowns E(·,S)
    solve a linear system (Fractions), S taken in decreasing size. 2^(#edges) sets: #edges ≤ max_edges.
    """
    K = len(J)
    exact = isinstance(J[0][0], Fraction) or all(isinstance(v, (int, Fraction)) for row in J for v in row)
    conv = (lambda v: Fraction(v)) if exact else float
    J = [[conv(v) for v in row] for row in J]
    edges = [(k, l) for k in range(K) for l in range(K) if k != l and J[k][l] != 0]
    m = len(edges)
    if m > max_edges:
        raise MetacotError(f"{m} edges: the exact edge-cover expectation needs 2^{m} sets (limit {max_edges})")
    if any(J[k][k] != 0 for k in range(K)):
        raise MetacotError("edge_cover_expectation needs a jump chain without self-loops")
    bit = {e: 1 << i for i, e in enumerate(edges)}
    full = (1 << m) - 1
    E = {full: [conv(0)] * K}
    for S in sorted(range(full), key=lambda s: -bin(s).count("1")):
        # (I − A) x = b with A(v,w) = J(v,w) for (v,w) ∈ S, b(v) = 1 + Σ_{(v,w)∉S} J(v,w) E(w, S+e)
        A = [[conv(0)] * K for _ in range(K)]
        b = [conv(1)] * K
        for v in range(K):
            A[v][v] = conv(1)
            for w in range(K):
                p = J[v][w]
                if p == 0 or v == w:
                    continue
                e = bit[(v, w)]
                if S & e:
                    A[v][w] -= p
                else:
                    b[v] += p * E[S | e][w]
        E[S] = _solve(A, b)
    return E[0][start]


def _solve(A, b):
    """Gaussian elimination with pivot search (exact over Fractions)."""
    K = len(b)
    A = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(K):
        p = max(range(c, K), key=lambda r: abs(A[r][c]))
        if A[p][c] == 0:
            raise MetacotError("singular system in edge_cover_expectation (some edge is never reached)")
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
