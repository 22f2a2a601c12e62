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
    """ring(K, M, q) of spec 00: K complete-graph clusters of size M on a directed cycle of sparse edges.

    Cluster C_k = {kM, …, kM + M − 1} has the block P0(x, y) = 1/M (π_k uniform); its source state kM has one
    sparse edge of weight q into the entry state (k+1)M + M − 1 of C_{k+1 mod K}, in the row-rescaled form
    (:func:`~metacot.numerics.chain.row_rescaled_chain`), so eps_max = 1/q. start = 0 ∈ C_1, target = the
    entry state of C_K. Meta-chain: r(k, k+1) = q/M, h^meta(1 → K) = (K−1)·M/q (in units of 1/ε steps), and
    exactly E[τ] = (K−1)·M/(q ε) + K − M − 1 steps (claims hitting.canonical, hitting.exact-canonical).

    Parameters
    ----------
    K : int
        Number of clusters, ≥ 2.
    M : int
        Cluster size, ≥ 1.
    q : number or str, default 1
        Sparse-edge weight, > 0 (strings such as ``"1/2"`` parse exactly).
    exact : bool, default True
        False builds the float64 CSR chain directly (fast for K·M up to about 10⁷ states).

    Returns
    -------
    Chain

    Raises
    ------
    MetacotError
        K < 2, M < 1, or q ≤ 0.

    Examples
    --------
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> c = ring(3, 2, 1)
    >>> c
    <Chain 'ring(K=3, M=2, q=1)' n=6 exact eps_max=1>
    >>> c.clusters, c.start, c.target
    ([[0, 1], [2, 3], [4, 5]], 0, 5)
    >>> c.sparse_edges()
    {(0, 3): Fraction(1, 1), (2, 5): Fraction(1, 1), (4, 1): Fraction(1, 1)}
    >>> hitting_time(c, c.start, c.target, "1/100")      # (K−1)·M/(q ε) + K − M − 1
    Fraction(400, 1)
    """
    q = _check_family_args(K, M, q)
    edges = {(source_state(k, M), entry_state((k + 1) % K, M)): q for k in range(K)}
    name = f"ring(K={K}, M={M}, q={q})"
    if not exact:
        return _complete_blocks_float(K, M, edges, name)
    return row_rescaled_chain([complete_block(M)] * K, edges, start=0, target=entry_state(K - 1, M), name=name)


def uniform_escape(K: int, M: int, q=1, *, exact: bool = True) -> Chain:
    """uniform-escape(K, M, q) of spec 00: as :func:`ring`, but the source of C_k has a sparse edge of weight
    q/(K−1) into the entry state of every other cluster.

    Meta-chain: r(k, l) = q/((K−1)M) for every k ≠ l, λ_k = q/M, and h^meta(k → l) = (K−1)·M/q for all
    k ≠ l (units of 1/ε steps; claims hitting.canonical, search.success-whp). eps_max = 1/q; start = 0 ∈ C_1,
    target = the entry state of C_K.

    Parameters
    ----------
    K : int
        Number of clusters, ≥ 2.
    M : int
        Cluster size, ≥ 1.
    q : number or str, default 1
        Total sparse weight out of each cluster's source, > 0.
    exact : bool, default True
        False builds the float64 CSR chain directly.

    Returns
    -------
    Chain

    Raises
    ------
    MetacotError
        K < 2, M < 1, or q ≤ 0.

    Examples
    --------
    >>> from metacot.numerics.solvers.meta_chain import meta_hitting_times
    >>> c = uniform_escape(3, 2, 1)
    >>> sorted(c.sparse_edges().items())[:2]
    [((0, 3), Fraction(1, 2)), ((0, 5), Fraction(1, 2))]
    >>> meta_hitting_times(c)[0]                            # (K−1)·M/q to every other cluster
    [Fraction(0, 1), Fraction(4, 1), Fraction(4, 1)]
    """
    q = _check_family_args(K, M, q)
    w = q / (K - 1)
    edges = {(source_state(k, M), entry_state(l, M)): w for k in range(K) for l in range(K) if l != k}
    name = f"uniform-escape(K={K}, M={M}, q={q})"
    if not exact:
        return _complete_blocks_float(K, M, edges, name)
    return row_rescaled_chain([complete_block(M)] * K, edges, start=0, target=entry_state(K - 1, M), name=name)


def _complete_blocks_float(K: int, M: int, edges: dict, name: str) -> Chain:
    """Float64 row-rescaled chain with K complete blocks of size M, built as CSR arrays directly.

    P0 has M entries 1/M per row; P1 = Q − diag(q)·P0 has entries only in the rows of the sources
    (−q(x)/M on the block, +q(x, y) on the edges). Clusters are passed as labels (no Python lists), so a
    ring of 10⁷ states builds in seconds. Same kernel as the exact build, entry by entry correctly rounded.
    """
    import numpy as np
    import scipy.sparse as sp

    n = K * M
    idx = np.int32 if n * M < 2**31 else np.int64
    states = np.arange(n, dtype=idx)
    P0 = sp.csr_matrix((np.full(n * M, 1.0 / M), (np.repeat(states // M * M, M) + np.tile(np.arange(M, dtype=idx), n)),
                        np.arange(0, n * M + 1, M, dtype=idx)), shape=(n, n))
    P0.has_canonical_format = True
    src = np.fromiter((x for x, _ in edges), dtype=np.int64, count=len(edges))
    dst = np.fromiter((y for _, y in edges), dtype=np.int64, count=len(edges))
    w = np.fromiter((float(v) for v in edges.values()), dtype=np.float64, count=len(edges))
    qx = np.bincount(src, weights=w, minlength=n)
    # q(x)·P0(x, ·) = q(x)/M on the source rows: identical to diag(q)·P0 entry by entry
    srcs = np.flatnonzero(qx)
    rows = np.concatenate([src, np.repeat(srcs, M)])
    cols = np.concatenate([dst, (np.repeat(srcs // M * M, M) + np.tile(np.arange(M), srcs.size))])
    vals = np.concatenate([w, -np.repeat(qx[srcs] * (1.0 / M), M)])
    P1 = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    P1.sum_duplicates()
    return Chain.from_csr(P0, P1, cluster_labels=np.arange(n, dtype=np.int64) // M, start=0,
                          target=entry_state(K - 1, M), name=name)


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
    """A seeded random metastable chain in the row-rescaled form of spec 00 (exact rationals).

    Blocks from :func:`random_block` (positive diagonal and a cyclic shift, so irreducible and aperiodic;
    rows of integer weights in 1..`denominator`, normalised); sparse edges: a cycle C_1 → C_2 → … → C_K → C_1 from
    and to uniformly chosen states (so every cluster is reached) plus `extra_edges` random ones, weights in
    {1, 2, 3, 4}/4 (a repeated pair keeps the last weight drawn). start = the first state, target = the
    last. Used by the property-based tests and by ``family_chain({"family": "random", …})``.

    Parameters
    ----------
    seed : int
        Seed of :class:`random.Random`; the same seed and arguments give the same chain.
    sizes : list of int, optional
        Cluster sizes (at least two clusters). Default: K sizes drawn uniformly from 1..max_size.
    K : int, optional
        Number of clusters when `sizes` is not given (default: drawn from 2..4); ignored otherwise.
    max_size : int, default 4
    extra_edges : int, default 2
    doubly_stochastic : bool, default False
        Doubly stochastic blocks (rational mixtures of permutations), so every π_k is uniform.
    denominator : int, default 12
        Largest integer weight before normalisation of a block row.

    Returns
    -------
    Chain
        Named ``random(seed=…, sizes=[…])``.

    Raises
    ------
    MetacotError
        Fewer than two clusters, or a size that is not an integer ≥ 1.

    Examples
    --------
    >>> c = random_chain(0, [2, 3])
    >>> c.clusters, c.start, c.target
    ([[0, 1], [2, 3, 4]], 0, 4)
    >>> c.sparse_edges()
    {(0, 3): Fraction(3, 4), (3, 1): Fraction(1, 1), (4, 0): Fraction(1, 4)}
    >>> c.row_dicts(0)[1]
    {0: Fraction(5, 6), 1: Fraction(1, 6)}
    """
    rng = _random.Random(seed)
    if sizes is None:
        K = K if K is not None else rng.randint(2, 4)
        sizes = [rng.randint(1, max_size) for _ in range(K)]
    sizes = list(sizes)
    if len(sizes) < 2:
        raise MetacotError("random_chain needs at least 2 clusters")
    if not all(isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in sizes):
        raise MetacotError(f"random_chain: cluster sizes must be integers >= 1, got {sizes}")
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


def random_clustered(seed: int, K: int, M: int, degree: int = 2, w_min="1/4", w_max="1", levels: int = 3) -> Chain:
    """A seeded random clustered chain of spec 08 F5 (exact): K doubly stochastic random blocks of size M
    and a random strongly connected meta-graph of out-degree `degree`.

    Meta-graph: the cycle C_0 → C_1 → … → C_{K−1} → C_0 (strong connectivity; the target cluster C_{K−1} is
    K − 1 cycle steps from C_0) plus, from every cluster, degree − 1 edges to distinct uniformly chosen
    clusters other than itself and its cycle successor. Each meta edge is one sparse edge from a uniformly
    chosen state of C_k to one of C_l, with weight uniform on the grid w_min + i·(w_max − w_min)/levels,
    i = 0..levels. Blocks: :func:`random_block` (doubly stochastic, so π_k is uniform). start = state 0,
    target = the last state (in C_{K−1}).

    Examples
    --------
    >>> c = random_clustered(0, 4, 3, degree=2)
    >>> (c.n, c.K)
    (12, 4)
    """
    if isinstance(K, bool) or not isinstance(K, int) or K < 2:
        raise MetacotError(f"K must be an integer ≥ 2, got {K!r}")
    if isinstance(M, bool) or not isinstance(M, int) or M < 1:
        raise MetacotError(f"M must be an integer ≥ 1, got {M!r}")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= max(1, K - 1):
        raise MetacotError(f"degree must be an integer in 1..K−1 = {K - 1}, got {degree!r}")
    lo, hi = parse_number(w_min, what="w_min"), parse_number(w_max, what="w_max")
    if not (isinstance(lo, Fraction) and isinstance(hi, Fraction) and 0 < lo <= hi):
        raise MetacotError(f"need exact weights 0 < w_min <= w_max, got {w_min!r}, {w_max!r}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise MetacotError(f"levels must be a positive integer, got {levels!r}")
    rng = _random.Random(seed)
    blocks = [random_block(rng, M, doubly_stochastic=True) for _ in range(K)]
    edges = {}
    for k in range(K):
        succ = (k + 1) % K
        others = [l for l in range(K) if l not in (k, succ)]
        for l in [succ] + rng.sample(others, min(degree - 1, len(others))):
            w = lo + (hi - lo) * Fraction(rng.randint(0, levels), levels)
            x, y = k * M + rng.randrange(M), l * M + rng.randrange(M)
            edges[(x, y)] = edges.get((x, y), Fraction(0)) + w
    return row_rescaled_chain(blocks, edges, start=0, target=K * M - 1,
                              name=f"clustered(seed={seed}, K={K}, M={M}, degree={degree}, w=[{lo}, {hi}])")


def restart(K: int, M: int, forward=1, back=1) -> Chain:
    """restart(K, M, forward, back): complete blocks of size M on the cycle C_0 → … → C_{K−1} → C_0 (edges of
    weight `forward` from the source of C_k to the entry of C_{k+1}), plus an edge of weight `back` from the
    source of every C_k, 1 ≤ k ≤ K − 2, back to the entry of C_0. A strongly connected meta-graph of
    out-degree 2 whose h^meta(C_0 → C_{K−1}) grows exponentially in K (spec 08 F5, refuted fixed band).
    start = 0, target = entry of C_{K−1}.

    Examples
    --------
    >>> c = restart(3, 1)
    >>> (c.n, c.start, c.target)
    (3, 0, 2)
    """
    fw = _check_family_args(K, M, forward)
    bk = parse_number(back, what="back")
    if bk <= 0:
        raise MetacotError(f"back must be positive, got {bk}")
    edges = {(source_state(k, M), entry_state((k + 1) % K, M)): fw for k in range(K)}
    for k in range(1, K - 1):
        edges[(source_state(k, M), entry_state(0, M))] = bk
    return row_rescaled_chain([complete_block(M)] * K, edges, start=0, target=entry_state(K - 1, M),
                              name=f"restart(K={K}, M={M}, forward={fw}, back={bk})")


def equal_rates_4() -> Chain:
    """The named 4-state counterexample of spec 04 D3 ("equal-rates-4").

    Clusters {0}, {1, 2}, {3}; the block {1, 2} is uniform (doubly stochastic); sparse edges 0→1, 1→0,
    2→3, 3→0 of weight 1, so every escape rate λ_k is 1 and h^jump(C_0 → C_2) = 4. Its cluster {1, 2}
    has two sources whose exit laws differ, so the escape law Algorithm 4 learns at ε > 0 differs from
    the jump chain by O(ε) (claims distill.order-K-literal, distill.order-K). start = 0, target = 3.

    Examples
    --------
    >>> c = equal_rates_4()
    >>> (c.n, c.K, c.start, c.target)
    (4, 3, 0, 3)
    """
    h = Fraction(1, 2)
    return row_rescaled_chain([[[1]], [[h, h], [h, h]], [[1]]], {(0, 1): 1, (1, 0): 1, (2, 3): 1, (3, 0): 1},
                              start=0, target=3, name="equal-rates-4")


def two_one() -> Chain:
    """The named 3-state counterexample of spec 03 R2/R5 ("two-one"): the smallest chain whose source row has
    unequal dense probabilities.

    Clusters {0, 1} with the non-doubly-stochastic block [[1/4, 3/4], [1/2, 1/2]] (π = (2/5, 3/5)) and {2};
    sparse edges 0 → 2 and 2 → 0 of weight 1. Plain gradient-ascent PPO moves the dense logits of row 0 in
    proportion to their probabilities (claims ppo.gd-preserves-dense, ppo.gd-drift, ppo.gd-drift-limit).
    start = 0, target = 2.

    Examples
    --------
    >>> c = two_one()
    >>> (c.n, c.K, c.kernel_exact(Fraction(1, 1000))[0][1])
    (3, 2, Fraction(2997, 4000))
    """
    return row_rescaled_chain([[[Fraction(1, 4), Fraction(3, 4)], [Fraction(1, 2), Fraction(1, 2)]], [[1]]],
                              {(0, 2): 1, (2, 0): 1}, start=0, target=2, name="two-one")


def tv_weighted_4() -> Chain:
    """The named 4-state counterexample of spec 03 R2 ("tv-weighted-4"), found by ``metacot refute`` over random
    chains: the smallest chain on which PPO's stationary-weighted TV exceeds n_out·ε_max/M.

    Clusters {0, 1} (uniform block, π = (1/2, 1/2)) and {2, 3} with the non-doubly-stochastic block
    [[1/2, 1/2], [1/3, 2/3]] (π = (2/5, 3/5)); sparse edges 0 → 2 and 3 → 0 of weight 1. The source 3 carries
    π(3) = 3/5 > 1/M of its cluster (claim ppo.tv-weighted-bound). start = 0, target = 2.

    Examples
    --------
    >>> c = tv_weighted_4()
    >>> (c.n, c.K, sorted(c.sparse_edges()))
    (4, 2, [(0, 2), (3, 0)])
    """
    h = Fraction(1, 2)
    return row_rescaled_chain([[[h, h], [h, h]], [[h, h], [Fraction(1, 3), Fraction(2, 3)]]],
                              {(0, 2): 1, (3, 0): 1}, start=0, target=2, name="tv-weighted-4")


NAMED_CHAINS = {"equal-rates-4": equal_rates_4, "two-one": two_one, "tv-weighted-4": tv_weighted_4}


def family_chain(params: dict) -> Chain:
    """The chain a claim instance names by its parameters (shared by the claims, ``metacot refute`` and the
    book).

    Parameters
    ----------
    params : dict
        ``params["family"]`` (``_`` and ``-`` alike) and its arguments: ``"ring"`` or ``"uniform-escape"``
        (K, M, q = 1: :func:`ring`, :func:`uniform_escape`); ``"random"`` (seed, sizes, extra = 2,
        ds = False: :func:`random_chain`); ``"clustered"`` (seed, K, M, degree = 2, w_min = "1/4",
        w_max = "1", levels = 3: :func:`random_clustered`); ``"restart"`` (K, M, forward = 1, back = 1:
        :func:`restart`); or a named chain of NAMED_CHAINS (``"equal-rates-4"``, ``"two-one"``,
        ``"tv-weighted-4"``). Other keys (eps, …) are ignored.

    Returns
    -------
    Chain

    Raises
    ------
    MetacotError
        Unknown family, a missing required argument (K, M or seed), or arguments the family refuses.

    Examples
    --------
    >>> family_chain({"family": "ring", "K": 3, "M": 2, "eps": "1/100"})
    <Chain 'ring(K=3, M=2, q=1)' n=6 exact eps_max=1>
    >>> family_chain({"family": "random", "seed": 0, "sizes": [2, 3]})
    <Chain 'random(seed=0, sizes=[2, 3])' n=5 exact eps_max=1>
    >>> family_chain({"family": "equal_rates_4"})
    <Chain 'equal-rates-4' n=4 exact eps_max=1>
    """
    fam = str(params.get("family", "")).replace("_", "-")
    if fam in NAMED_CHAINS:
        return NAMED_CHAINS[fam]()
    try:
        if fam == "ring":
            return ring(params["K"], params["M"], params.get("q", 1))
        if fam == "uniform-escape":
            return uniform_escape(params["K"], params["M"], params.get("q", 1))
        if fam == "clustered":
            return random_clustered(params["seed"], params["K"], params["M"], params.get("degree", 2),
                                    params.get("w_min", "1/4"), params.get("w_max", "1"), params.get("levels", 3))
        if fam == "restart":
            return restart(params["K"], params["M"], params.get("forward", 1), params.get("back", 1))
        if fam == "random":
            return random_chain(params["seed"], params.get("sizes"), extra_edges=params.get("extra", 2),
                                doubly_stochastic=bool(params.get("ds", False)))
    except KeyError as exc:
        raise MetacotError(f"chain family {fam!r} needs the parameter {exc.args[0]!r}") from None
    raise MetacotError(f"unknown chain family {params.get('family')!r} (ring, uniform-escape, random, "
                       f"clustered, restart, "
                       f"{', '.join(NAMED_CHAINS)})")
