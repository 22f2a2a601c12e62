"""Canonical chain families of spec 00: ring, uniform-escape, random; all exact (Fractions)."""
from __future__ import annotations

import random as _random
from fractions import Fraction

from metacot.numerics.chain import Chain, row_rescaled_chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import parse_number


def _check_family_args(K, M, q):
    if isinstance(K, bool) or not isinstance(K, int) or K < 2:
        raise MetacotError(f"K must be an integer ≥ 2, got {K!r}")
    if isinstance(M, bool) or not isinstance(M, int) or M < 1:
        raise MetacotError(f"M must be an integer ≥ 1, got {M!r}")
    q = parse_number(q, what="q")
    if q <= 0:
        raise MetacotError(f"q must be positive, got {q}")
    return q


def complete_block(M: int):
    """Lazy random walk on the complete graph K_M with self-loops: every entry 1/M (π uniform)."""
    return [[Fraction(1, M)] * M for _ in range(M)]


def source_state(k: int, M: int) -> int:
    """The source of cluster k's sparse edges: its first state."""
    return k * M


def entry_state(k: int, M: int) -> int:
    """Where sparse edges into cluster k land: its last state."""
    return k * M + M - 1


def ring(K: int, M: int, q=1, *, exact: bool = True) -> Chain:
    """ring(K, M, q): K complete-graph clusters of size M; the source of C_k has one sparse edge of
    weight q into the entry state of C_{k+1 mod K}. start = 0 ∈ C_1, target = entry of C_K.
    h^meta(1 → K) = (K−1)·M/q; eps_max = 1/q. exact=False builds float64 CSR directly (large K)."""
    q = _check_family_args(K, M, q)
    edges = {(source_state(k, M), entry_state((k + 1) % K, M)): q for k in range(K)}
    name = f"ring(K={K}, M={M}, q={q})"
    if not exact:
        return _complete_blocks_float(K, M, edges, name)
    return row_rescaled_chain([complete_block(M)] * K, edges, start=0, target=entry_state(K - 1, M), name=name)


def uniform_escape(K: int, M: int, q=1, *, exact: bool = True) -> Chain:
    """uniform-escape(K, M, q): as ring, but the source of C_k has an edge of weight q/(K−1) into the
    entry state of every other cluster. h^meta(k → l) = (K−1)·M/q for all k ≠ l."""
    q = _check_family_args(K, M, q)
    w = q / (K - 1)
    edges = {(source_state(k, M), entry_state(l, M)): w for k in range(K) for l in range(K) if l != k}
    name = f"uniform-escape(K={K}, M={M}, q={q})"
    if not exact:
        return _complete_blocks_float(K, M, edges, name)
    return row_rescaled_chain([complete_block(M)] * K, edges, start=0, target=entry_state(K - 1, M), name=name)


def _complete_blocks_float(K: int, M: int, edges: dict, name: str) -> Chain:
    """Float64 row-rescaled chain with K complete blocks of size M (vectorised; same kernel as the exact build)."""
    import numpy as np
    import scipy.sparse as sp

    n = K * M
    rows = np.repeat(np.arange(n), M)
    cols = (np.arange(n) // M * M).repeat(M) + np.tile(np.arange(M), n)
    P0 = sp.csr_matrix((np.full(n * M, 1.0 / M), (rows, cols)), shape=(n, n))
    src = np.array([x for x, _ in edges], dtype=np.int64)
    dst = np.array([y for _, y in edges], dtype=np.int64)
    w = np.array([float(v) for v in edges.values()])
    qx = np.bincount(src, weights=w, minlength=n)
    Q = sp.csr_matrix((w, (src, dst)), shape=(n, n))
    P1 = Q - sp.diags(qx) @ P0
    clusters = [list(range(k * M, k * M + M)) for k in range(K)]
    return Chain.from_csr(P0, P1, clusters=clusters, start=0, target=entry_state(K - 1, M), name=name)


def random_block(rng: _random.Random, M: int, *, doubly_stochastic: bool = False, denominator: int = 12,
                 density: float = 0.6):
    """A random irreducible aperiodic stochastic M×M block with rational entries.

    Positive diagonal and a cyclic shift guarantee irreducibility and aperiodicity; other entries
    appear with probability `density`. Doubly stochastic: a rational mixture of permutation matrices.
    """
    if M == 1:
        return [[Fraction(1)]]
    if doubly_stochastic:
        perms = [list(range(M)), [(i + 1) % M for i in range(M)]]
        for _ in range(rng.randint(0, 3)):
            p = list(range(M))
            rng.shuffle(p)
            perms.append(p)
        w = [rng.randint(1, denominator) for _ in perms]
        tot = sum(w)
        B = [[Fraction(0)] * M for _ in range(M)]
        for wi, p in zip(w, perms):
            for i in range(M):
                B[i][p[i]] += Fraction(wi, tot)
        return B
    B = []
    for i in range(M):
        w = [0] * M
        w[i] = rng.randint(1, denominator)
        w[(i + 1) % M] = rng.randint(1, denominator)
        for j in range(M):
            if w[j] == 0 and rng.random() < density:
                w[j] = rng.randint(1, denominator)
        tot = sum(w)
        B.append([Fraction(x, tot) for x in w])
    return B


def random_chain(seed: int, sizes=None, *, K: int | None = None, max_size: int = 4, extra_edges: int = 2,
                 doubly_stochastic: bool = False, denominator: int = 12) -> Chain:
    """A seeded random metastable chain in row-rescaled form (exact).

    Clusters of the given sizes (or K random sizes in 1..max_size); sparse edges: a cycle through all
    clusters (so every cluster is reached) plus `extra_edges` random ones, weights in {1..4}/4.
    start = first state, target = last state.
    """
    rng = _random.Random(seed)
    if sizes is None:
        K = K if K is not None else rng.randint(2, 4)
        sizes = [rng.randint(1, max_size) for _ in range(K)]
    sizes = list(sizes)
    if len(sizes) < 2:
        raise MetacotError("random_chain needs at least 2 clusters")
    blocks = [random_block(rng, M, doubly_stochastic=doubly_stochastic, denominator=denominator) for M in sizes]
    offs = [0]
    for M in sizes:
        offs.append(offs[-1] + M)
    Kc = len(sizes)

    def pick(k):
        return offs[k] + rng.randrange(sizes[k])

    edges = {}
    for k in range(Kc):
        edges[(pick(k), pick((k + 1) % Kc))] = Fraction(rng.randint(1, 4), 4)
    for _ in range(extra_edges):
        k, l = rng.sample(range(Kc), 2)
        edges[(pick(k), pick(l))] = Fraction(rng.randint(1, 4), 4)
    return row_rescaled_chain(blocks, edges, start=0, target=offs[-1] - 1, name=f"random(seed={seed}, sizes={sizes})")


def family_chain(params: dict) -> Chain:
    """The chain a claim instance names: family 'ring' | 'uniform-escape' (K, M, q = 1) or 'random'
    (seed, sizes, extra = 2, ds = False). Shared by the claims, `metacot refute` and the book."""
    fam = str(params.get("family", "")).replace("_", "-")
    if fam == "ring":
        return ring(params["K"], params["M"], params.get("q", 1))
    if fam == "uniform-escape":
        return uniform_escape(params["K"], params["M"], params.get("q", 1))
    if fam == "random":
        return random_chain(params["seed"], params.get("sizes"), extra_edges=params.get("extra", 2),
                            doubly_stochastic=bool(params.get("ds", False)))
    raise MetacotError(f"unknown chain family {params.get('family')!r} (ring, uniform-escape, random)")
