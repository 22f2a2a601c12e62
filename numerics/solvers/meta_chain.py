"""The meta-chain on clusters (spec 00): rates r(k,l), λ_k, generator L, jump chain J, h^meta.

r(k,l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l} P1(x,y)   (k ≠ l),   λ_k = Σ_{l≠k} r(k,l),
L(k,l) = r(k,l), L(k,k) = −λ_k,   J(k,l) = r(k,l)/λ_k,
h^meta(k→l) = expected hitting time of l for the CTMC with generator L.
Exact chains give Fractions throughout; float chains give float64 via GTH/state reduction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import LimitError, MetacotError
from metacot.numerics.solvers.reduction import almost_sure_states, gth_stationary, hitting_reduction


#: guard rails (about 10 s each): Σ m_k³ of the dense GTH solves of the blocks (exact Fractions, float64),
#: and K·(K + nonzero rates) for all-pairs h^meta
BLOCK_GTH_WORK_MAX = {True: 5 * 10**6, False: 10**10}
ALL_PAIRS_WORK_MAX = 3 * 10**5


def cluster_stationary_laws(chain: Chain) -> list[list]:
    """π_k, the stationary law of each block P0|C_k (π_k P0|C_k = π_k, Σ π_k = 1; spec 00).

    The weights of the meta-chain rates r(k, l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l} P1(x, y) and of the mean
    exit time (claim hitting.escape-law); the block is irreducible, so π_k is unique and positive. Exact
    chains: an exact linear solve (FLINT) per distinct block; float chains: GTH in float64.

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list
        One law per cluster, in the order of ``chain.clusters`` and of the states inside it: lists of
        Fraction (exact chain) or float ndarrays.

    Raises
    ------
    LimitError
        Σ_k |C_k|³ beyond the budget of the exact (5·10⁶) or float (10¹⁰) block solves.

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> cluster_stationary_laws(ring(3, 2, 1))[0]          # complete blocks: uniform
    [Fraction(1, 2), Fraction(1, 2)]
    >>> cluster_stationary_laws(random_chain(0, [2, 3]))
    [[Fraction(5, 8), Fraction(3, 8)], [Fraction(209, 777), Fraction(75, 259), Fraction(49, 111)]]
    """
    work = sum(len(c) ** 3 for c in chain.clusters)
    if work > BLOCK_GTH_WORK_MAX[chain.exact]:
        big = max(len(c) for c in chain.clusters)
        raise LimitError(f"the stationary laws of the {chain.K} blocks of P0 (largest {big} states) cost "
                         f"sum of cubed block sizes = {work:.2g} > {BLOCK_GTH_WORK_MAX[chain.exact]:.0e} "
                         f"(about 10 s) in {'exact' if chain.exact else 'float'} arithmetic"
                         + ("; use the chain in float (Chain.to_float(), or an .npz chain file)" if chain.exact
                            else "; the meta-chain of blocks this large is out of reach"))
    rows = chain.row_dicts(0) if not chain.exact else chain._rows[0]
    if chain.exact:
        return _exact_block_laws(chain, rows)
    out = []
    for c in chain.clusters:
        pos = {x: i for i, x in enumerate(c)}
        B = np.zeros((len(c), len(c)))
        for a, x in enumerate(c):
            for y, v in rows[x].items():
                B[a][pos[y]] = v
        out.append(np.asarray(gth_stationary(B)))
    return out


def _exact_block_laws(chain: Chain, rows) -> list[list[Fraction]]:
    """π_k of every block of an exact chain; blocks with equal entries (in local order) are solved once.

    Each law solves π (I − P0|C_k) = 0, Σ π = 1 exactly: FLINT (`fmpq_mat.solve` with one equation replaced
    by the normalisation; the block is irreducible, so the system is regular) or GTH over Fractions when
    python-flint is missing. The law is unique, so the values do not depend on the method.
    """
    from metacot.numerics.solvers.exact import have_flint

    memo = {}
    out = []
    use_flint = have_flint()
    for c in chain.clusters:
        pos = {x: i for i, x in enumerate(c)}
        key = tuple(tuple(sorted((pos[y], v) for y, v in rows[x].items())) for x in c)
        pi = memo.get(key)
        if pi is None:
            m = len(c)
            if m == 1:
                pi = [Fraction(1)]
            elif use_flint:
                import flint

                A = flint.fmpq_mat(m, m)
                for a, row in enumerate(key):        # A = (P − I)ᵀ, last equation → Σ π = 1
                    for b, v in row:
                        if b != m - 1:
                            A[b, a] += flint.fmpq(v.numerator, v.denominator)
                    if a != m - 1:
                        A[a, a] -= 1
                for a in range(m):
                    A[m - 1, a] = 1
                rhs = flint.fmpq_mat(m, 1, [0] * (m - 1) + [1])
                X = A.solve(rhs)
                pi = [Fraction(int(X[i, 0].p), int(X[i, 0].q)) for i in range(m)]
            else:  # pragma: no cover - python-flint is a dependency
                B = [[Fraction(0)] * m for _ in range(m)]
                for a, row in enumerate(key):
                    for b, v in row:
                        B[a][b] = v
                pi = list(gth_stationary(B))
            memo[key] = pi
        out.append(list(pi))
    return out


def _zero(chain):
    return Fraction(0) if chain.exact else 0.0


def meta_rate_rows(chain: Chain) -> list[dict]:
    """Sparse meta rates: row k is {l: r(k, l)} over the clusters l ≠ k with r(k, l) ≠ 0.

    Exact Fractions for exact chains, floats otherwise. Cost O(n + nonzeros of P1), independent of K².

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> meta_rate_rows(ring(3, 2, 1))
    [{1: Fraction(1, 2)}, {2: Fraction(1, 2)}, {0: Fraction(1, 2)}]
    """
    lab = chain.cluster_of
    pis = cluster_stationary_laws(chain)
    rows1 = chain._rows[1] if chain.exact else chain.row_dicts(1)
    out = [dict() for _ in range(chain.K)]
    for k, c in enumerate(chain.clusters):
        rk = out[k]
        pk = pis[k]
        for a, x in enumerate(c):
            r1 = rows1[x]
            if not r1:
                continue
            w = pk[a]
            for y, v in r1.items():
                l = int(lab[y])
                if l != k:
                    rk[l] = rk[l] + w * v if l in rk else w * v
    zero = _zero(chain)
    return [{l: v for l, v in r.items() if v != zero} for r in out]


def meta_rates(chain: Chain):
    """The meta-chain rates r(k, l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l} P1(x, y), k ≠ l, as a K×K matrix (spec 00).

    Per unit of ε·(steps): the cluster label jumps from k to l at rate ε·r(k, l) per step, i.e. at rate
    r(k, l) on the timescale t/ε. In the row-rescaled form P1(x, y) = q(x, y) across clusters, so
    r(k, l) = Σ_x π_k(x) Σ_{y∈C_l} q(x, y). Claims hitting.leading-order, hitting.meta-chain, distill.*.

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list of lists of Fraction (exact chain) or float ndarray
        r[k][l], diagonal 0.

    Raises
    ------
    LimitError
        The block laws are beyond their cost limit (:func:`cluster_stationary_laws`).

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> meta_rates(ring(3, 2, 1))[0]                       # r(k, k+1) = q/M
    [Fraction(0, 1), Fraction(1, 2), Fraction(0, 1)]
    >>> meta_rates(random_chain(0, [2, 3]))
    [[Fraction(0, 1), Fraction(15, 32)], [Fraction(1243, 3108), Fraction(0, 1)]]
    """
    K = chain.K
    rows = meta_rate_rows(chain)
    if not chain.exact:
        r = np.zeros((K, K))
        for k, row in enumerate(rows):
            for l, v in row.items():
                r[k, l] = v
        return r
    zero = Fraction(0)
    r = [[zero] * K for _ in range(K)]
    for k, row in enumerate(rows):
        rk = r[k]
        for l, v in row.items():
            rk[l] = v
    return r


def escape_rates(chain: Chain):
    """The escape rates λ_k = Σ_{l≠k} r(k, l) of the meta-chain, in units of ε per step (spec 00).

    A walk started in C_k from π_k leaves it after about 1/(ε λ_k) steps: ε·E_{π_k}[σ_k] → 1/λ_k and
    ε λ_k σ_k ⇒ Exp(1) (claim hitting.escape-law; see
    :func:`~metacot.numerics.solvers.hitting.mean_exit_time`).

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list of Fraction (exact chain) or float ndarray
        One rate per cluster.

    Raises
    ------
    LimitError
        The block laws are beyond their cost limit (:func:`cluster_stationary_laws`).

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> escape_rates(ring(3, 2, 1))                        # q/M
    [Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)]
    >>> escape_rates(random_chain(0, [2, 3]))
    [Fraction(15, 32), Fraction(1243, 3108)]
    """
    r = meta_rates(chain)
    return [sum(row, _zero(chain)) for row in r] if chain.exact else r.sum(axis=1)


def meta_generator(chain: Chain):
    """The meta-chain generator L(k, l) = r(k, l) (k ≠ l), L(k, k) = −λ_k (spec 00; rows sum to 0).

    On the timescale t/ε the cluster label of X^ε converges to the continuous-time Markov chain with
    generator L (claim hitting.meta-chain: the label law at step ⌊t/ε⌋ approaches e^{tL}); the eigenvalues
    of −L are the rescaled gaps of the K eigenvalues of P(ε) nearest 1 (claim hitting.spectrum).

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list of lists of Fraction (exact chain) or float ndarray
        K×K, in units of ε per step.

    Raises
    ------
    LimitError
        The block laws are beyond their cost limit (:func:`cluster_stationary_laws`).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> meta_generator(ring(3, 2, 1))
    [[Fraction(-1, 2), Fraction(1, 2), Fraction(0, 1)],
     [Fraction(0, 1), Fraction(-1, 2), Fraction(1, 2)],
     [Fraction(1, 2), Fraction(0, 1), Fraction(-1, 2)]]
    >>> meta_generator(ring(3, 2, 1).to_float()).sum(axis=1)
    array([0., 0., 0.])
    """
    r = meta_rates(chain)
    K = len(r)
    if chain.exact:
        L = [list(row) for row in r]
        for k in range(K):
            L[k][k] = -sum(r[k], Fraction(0))
        return L
    L = np.array(r, dtype=float)
    np.fill_diagonal(L, -L.sum(axis=1))
    return L


def jump_chain(chain: Chain):
    """The jump chain J(k, l) = r(k, l)/λ_k of the meta-chain: the law of the next cluster visited (spec 00).

    Dimensionless (a stochastic K×K matrix with zero diagonal where λ_k > 0); a cluster with λ_k = 0 is
    absorbing (J(k, k) = 1). Distillation keeps it (claim distill.escape-preserved: the distilled model's
    escape law converges to J), and its hitting times count the distilled steps (distill.order-K).

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list of lists of Fraction (exact chain) or float ndarray

    Raises
    ------
    LimitError
        The block laws are beyond their cost limit (:func:`cluster_stationary_laws`).

    Examples
    --------
    >>> from metacot.numerics.families import uniform_escape
    >>> jump_chain(uniform_escape(3, 2, 1))
    [[Fraction(0, 1), Fraction(1, 2), Fraction(1, 2)],
     [Fraction(1, 2), Fraction(0, 1), Fraction(1, 2)],
     [Fraction(1, 2), Fraction(1, 2), Fraction(0, 1)]]
    """
    r = meta_rates(chain)
    K = len(r)
    if chain.exact:
        J = []
        for k in range(K):
            lam = sum(r[k], Fraction(0))
            J.append([Fraction(int(k == l)) for l in range(K)] if lam == 0 else [v / lam for v in r[k]])
        return J
    lam = r.sum(axis=1)
    J = np.zeros_like(r)
    for k in range(K):
        if lam[k] > 0:
            J[k] = r[k] / lam[k]
        else:
            J[k, k] = 1.0
    return J


def ctmc_hitting_times(rates, target: int, exact: bool):
    """Expected hitting times of `target` for a CTMC with off-diagonal rates (inf where not a.s.).

    `rates`: a K×K matrix (list of lists or ndarray; the diagonal is ignored) or sparse rows (a list of dicts
    {l: rate}, as `meta_rate_rows`). Solved by state reduction (exact Fractions or float).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> ctmc_hitting_times([{1: F(1), 2: F(1)}, {2: F(2)}, {0: F(1)}], 2, True)
    [Fraction(3, 4), Fraction(1, 2), Fraction(0, 1)]
    """
    K = len(rates)
    zero = Fraction(0) if exact else 0.0
    if K and isinstance(rates[0], dict):
        rows = [{l: v for l, v in r.items() if l != k and v != 0} for k, r in enumerate(rates)]
    else:
        rows = [{l: v for l, v in enumerate(r) if l != k and v != 0} for k, r in enumerate(rates)]
    adj = [list(r) for r in rows]
    ok = almost_sure_states(adj, {target})
    unknown = [k for k in range(K) if ok[k] and k != target]
    idx = {k: i for i, k in enumerate(unknown)}
    A = [{idx[l]: v for l, v in rows[k].items() if l in idx} for k in unknown]
    t = [rows[k].get(target, zero) for k in unknown]
    h = hitting_reduction(A, t, [zero + 1] * len(unknown)) if unknown else []
    out = [math.inf] * K
    out[target] = zero
    for k, v in zip(unknown, h):
        out[k] = v
    return out


def meta_hitting_time(chain: Chain, k: int, l: int):
    """h^meta(k → l): expected hitting time of cluster l from cluster k for the meta-chain CTMC (one column).

    Costs one sparse solve on the K clusters (O(K + nonzero rates) for ring-like meta-chains), so it stays fast
    for large K where all pairs (`meta_hitting_times`) would be K times as much.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> meta_hitting_time(ring(4000, 5), 0, 3999)      # (K − 1)·M/q
    Fraction(19995, 1)
    """
    K = chain.K
    for what, v in (("k", k), ("l", l)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < K:
            raise MetacotError(f"unknown cluster {what} = {v!r} (clusters are 0..{K - 1})")
    return ctmc_hitting_times(meta_rate_rows(chain), int(l), chain.exact)[int(k)]


def check_all_pairs_work(K: int, nonzero_rates: int = 0) -> None:
    """LimitError when all-pairs h^meta on K clusters costs more than ALL_PAIRS_WORK_MAX = K·(K + nonzero rates)
    (checked with K alone before the rates are computed, then with their count)."""
    work = K * (K + nonzero_rates)
    if work > ALL_PAIRS_WORK_MAX:
        raise LimitError(f"h^meta for all {K}x{K} cluster pairs costs K·(K + nonzero rates) >= {work:.2g} > "
                         f"{ALL_PAIRS_WORK_MAX:.0e} (about 10 s); compute one column instead: "
                         "ctmc_hitting_times(meta_rates(chain), l, chain.exact) (`metacot meta CHAIN --target Y`)")


def meta_hitting_times(chain: Chain):
    """h^meta[k][l]: the expected hitting time of cluster l from cluster k for the meta-chain CTMC, all pairs.

    Column l solves L h = −1 off l, h(l) = 0 (spec 00), by subtraction-free reduction on the rates; in
    units of 1/ε steps: ε·E_x[τ_y] → h^meta(k → l) for x ∈ C_k, y ∈ C_l (claim hitting.leading-order). For
    ring(K, M, q), h^meta(1 → K) = (K−1)·M/q; for uniform-escape, (K−1)·M/q for every pair. One column
    costs one sparse solve: see :func:`meta_hitting_time` for a single pair at large K.

    Parameters
    ----------
    chain : Chain
        A chain with clusters.

    Returns
    -------
    list of lists
        K×K; Fractions for an exact chain, floats otherwise; 0 on the diagonal, ``math.inf`` where l is
        not reached almost surely from k.

    Raises
    ------
    LimitError
        K·(K + nonzero rates) > 3·10⁵ (all pairs would take more than about 10 s), or the block laws are
        beyond their cost limit.

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> meta_hitting_times(ring(3, 2, 1))[0]               # h(1 → 2) = M/q, h(1 → 3) = 2M/q
    [Fraction(0, 1), Fraction(2, 1), Fraction(4, 1)]
    >>> meta_hitting_times(random_chain(0, [2, 3]))        # 1/r(k, l) for two clusters
    [[Fraction(0, 1), Fraction(32, 15)], [Fraction(3108, 1243), Fraction(0, 1)]]
    """
    check_all_pairs_work(chain.K)
    r = meta_rate_rows(chain)
    K = len(r)
    check_all_pairs_work(K, sum(map(len, r)))
    cols = [ctmc_hitting_times(r, l, chain.exact) for l in range(K)]
    return [[cols[l][k] for l in range(K)] for k in range(K)]


def jump_hitting_times(chain: Chain):
    """h^jump[k][l]: expected number of jumps of the jump chain J to reach l from k."""
    J = jump_chain(chain)
    K = len(J)
    # Jump chain: DTMC with off-diagonal J; cost 1 per jump equals a CTMC with rates J (exit mass 1).
    cols = [ctmc_hitting_times([[J[k][m] if m != k else 0 for m in range(K)] for k in range(K)], l, chain.exact)
            for l in range(K)]
    return [[cols[l][k] for l in range(K)] for k in range(K)]


@dataclass
class MetaSummary:
    clusters: list
    rates: list
    lam: list
    h_meta: list

    def to_json(self):
        from metacot.numerics.numbers import to_json_value

        return {"clusters": self.clusters, "rates": to_json_value(self.rates),
                "lambda": to_json_value(self.lam), "h_meta": to_json_value(self.h_meta)}


def meta_summary(chain: Chain) -> MetaSummary:
    r = meta_rates(chain)
    lam = [sum(row, Fraction(0)) for row in r] if chain.exact else r.sum(axis=1).tolist()
    h = meta_hitting_times(chain)
    rr = r if chain.exact else r.tolist()
    return MetaSummary(chain.clusters, rr, lam, h)


def cluster_index(chain: Chain, state: int) -> int:
    if not 0 <= state < chain.n:
        raise MetacotError(f"unknown state {state} (states are 0..{chain.n - 1})")
    return int(chain.cluster_of[state])


# ----------------------------------------------------------------------------- paths, moments, absorption
def min_sparse_crossings(chain: Chain, start: int, target: int):
    """D = the fewest inter-cluster (sparse) transitions on any path start → target in supp P(ε), 0 < ε.

    0–1 breadth-first search on the generic support of P(ε) = P0 + ε·P1 (an edge costs 1 when it joins
    two clusters, 0 inside a cluster). Claim hitting.task-difficulty (spec 01 H5): every path crosses at
    least D sparse edges, so lim_{ε→0} ε·E[τ] ≥ D / max_k λ_k.

    Parameters
    ----------
    chain : Chain
        A chain with clusters.
    start, target : int
        States.

    Returns
    -------
    int, or math.inf when the target cannot be reached.

    Raises
    ------
    MetacotError
        Unknown state.

    Examples
    --------
    >>> from metacot.numerics.families import ring, uniform_escape
    >>> c = ring(6, 3)
    >>> min_sparse_crossings(c, c.start, c.target)
    5
    >>> c = uniform_escape(6, 3)
    >>> min_sparse_crossings(c, c.start, c.target)
    1
    """
    from collections import deque

    for x in (start, target):
        cluster_index(chain, int(x))          # validates the state
    start, target = int(start), int(target)
    lab = chain.cluster_of
    rows = [set(a) | {j for j, v in b.items() if v != 0} for a, b in zip(chain.row_dicts(0), chain.row_dicts(1))]
    dist = [math.inf] * chain.n
    dist[start] = 0
    dq = deque([start])
    while dq:
        x = dq.popleft()
        for y in rows[x]:
            w = int(lab[x] != lab[y])
            if dist[x] + w < dist[y]:
                dist[y] = dist[x] + w
                if w == 0:
                    dq.appendleft(y)
                else:
                    dq.append(y)
    return dist[target]


@dataclass(frozen=True)
class MetaMoments:
    """Moments of the meta-chain hitting time T of one cluster l, per start cluster k (units 1/ε).

    Attributes
    ----------
    mean : list
        h(k) = E_k[T] (L h = −1 off l, h(l) = 0).
    second_moment : list
        m₂(k) = E_k[T²] (L m₂ = −2h off l, m₂(l) = 0).
    variance : list
        m₂ − h².
    """

    mean: list
    second_moment: list
    variance: list


def ctmc_hitting_moments(rates, target: int, exact: bool):
    """First and second moments of the hitting time of `target` for a CTMC with off-diagonal `rates`.

    h solves λ_k h(k) = 1 + Σ_l r(k,l) h(l) and m₂ solves λ_k m₂(k) = 2h(k) + Σ_l r(k,l) m₂(l) (k ≠ target),
    i.e. L h = −1 and L m₂ = −2h: the same subtraction-free reduction with cost vectors 1 and 2h.
    inf where the target is not hit almost surely.

    Returns
    -------
    (h, m2) : two lists indexed by state

    Examples
    --------
    Two states, rate 1/2 from 0 to 1: T ~ Exp(1/2), E T = 2, E T² = 8.

    >>> from fractions import Fraction
    >>> ctmc_hitting_moments([[0, Fraction(1, 2)], [0, 0]], 1, True)
    ([Fraction(2, 1), Fraction(0, 1)], [Fraction(8, 1), Fraction(0, 1)])
    """
    K = len(rates)
    zero = Fraction(0) if exact else 0.0
    adj = [[l for l in range(K) if l != k and rates[k][l] != 0] for k in range(K)]
    ok = almost_sure_states(adj, {target})
    unknown = [k for k in range(K) if ok[k] and k != target]
    idx = {k: i for i, k in enumerate(unknown)}
    A = [{idx[l]: rates[k][l] for l in adj[k] if l in idx} for k in unknown]
    t = [rates[k][target] for k in unknown]
    h_out, m_out = [math.inf] * K, [math.inf] * K
    h_out[target] = m_out[target] = zero
    if unknown:
        h = hitting_reduction(A, t, [zero + 1] * len(unknown))
        m2 = hitting_reduction(A, t, [2 * v for v in h])
        for k, a, b in zip(unknown, h, m2):
            h_out[k], m_out[k] = a, b
    return h_out, m_out


def meta_hitting_moments(chain: Chain, target: int) -> MetaMoments:
    """E_k[T], E_k[T²] and Var_k(T) of the meta-chain hitting time T of cluster `target` (spec 08 F2).

    The meta chain is the CTMC with generator L (spec 00); claim hitting.moments compares
    ε²·Var(τ) → Var_k(T) (exact ε⁻² Laurent coefficient of Var(τ)(ε)). Exact for exact chains.

    Parameters
    ----------
    chain : Chain
    target : int
        Target cluster index l.

    Returns
    -------
    MetaMoments

    Raises
    ------
    MetacotError
        Unknown cluster.

    Examples
    --------
    ring(K, M, q): T from cluster 0 is a sum of K − 1 independent Exp(q/M) times, Var = (K−1)M²/q².

    >>> from metacot.numerics.families import ring, uniform_escape
    >>> meta_hitting_moments(ring(4, 3, 1), 3).variance[0]
    Fraction(27, 1)
    >>> meta_hitting_moments(uniform_escape(4, 3, 1), 3).variance[0]     # Exp((K−1)M/q): Var = h²
    Fraction(81, 1)
    """
    K = chain.K
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < K:
        raise MetacotError(f"unknown cluster {target!r} (clusters are 0..{K - 1})")
    r = meta_rates(chain)
    h, m2 = ctmc_hitting_moments(r, int(target), chain.exact)
    var = [v if v == math.inf else b - v * v for v, b in zip(h, m2)]
    return MetaMoments(h, m2, var)


def _cluster_set(chain: Chain, clusters, what: str) -> set[int]:
    if isinstance(clusters, (int, np.integer)) and not isinstance(clusters, bool):
        clusters = [clusters]
    out = set()
    for k in clusters:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < chain.K:
            raise MetacotError(f"unknown cluster {k!r} in {what} (clusters are 0..{chain.K - 1})")
        out.add(int(k))
    return out


def jump_absorption_probabilities(chain: Chain, A, B) -> list:
    """u(k) = P_k(the jump chain J hits a cluster of A before one of B), for every cluster k (spec 08 F3).

    u = 1 on A, 0 on B and on clusters that cannot reach A avoiding B; elsewhere
    λ_k u(k) = Σ_{l∈A} r(k,l) + Σ_{l∉A∪B} r(k,l) u(l), solved by subtraction-free reduction on the rates
    (the jump chain of L, J(k,l) = r(k,l)/λ_k, has the same absorption probabilities). Claim
    hitting.committor: lim_{ε→0} P_x(τ_{C_A} < τ_{C_B}) = u(k) for every x ∈ C_k.

    Parameters
    ----------
    chain : Chain
    A, B : int or iterable of int
        Disjoint sets of cluster indices, A non-empty.

    Returns
    -------
    list (Fraction for exact chains, float otherwise), one value per cluster.

    Raises
    ------
    MetacotError
        Unknown or overlapping clusters, A empty.

    Examples
    --------
    >>> from metacot.numerics.families import uniform_escape, ring
    >>> jump_absorption_probabilities(uniform_escape(5, 2), [3], [4])
    [Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 1), Fraction(0, 1)]
    >>> jump_absorption_probabilities(ring(4, 2), [2], [3])
    [Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(0, 1)]
    """
    import scipy.sparse as sps

    from metacot.numerics.solvers.reduction import absorption_reduction, reach_back

    a = _cluster_set(chain, A, "A")
    b = _cluster_set(chain, B, "B")
    if not a:
        raise MetacotError("cluster set A is empty")
    if a & b:
        raise MetacotError(f"clusters {sorted(a & b)} are in both A and B (the sets must be disjoint)")
    r = meta_rates(chain)
    K = len(r)
    zero = Fraction(0) if chain.exact else 0.0
    ii = [k for k in range(K) for l in range(K) if l != k and r[k][l] != 0]
    jj = [l for k in range(K) for l in range(K) if l != k and r[k][l] != 0]
    S = sps.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(K, K), dtype=bool)
    amask = np.zeros(K, dtype=bool)
    amask[list(a)] = True
    stop = amask.copy()
    stop[list(b)] = True
    reach = reach_back(S, amask, stop)
    rows = [{l: r[k][l] for l in range(K)} for k in range(K)]
    out = [zero + 1 if k in a else zero for k in range(K)]
    for k, v in zip(*absorption_reduction(rows, a, set(np.flatnonzero(stop).tolist()), reach, zero)):
        out[k] = v
    return out


def meta_characteristic_polynomial(chain: Chain, clusters=None) -> list:
    """Coefficients (lowest degree first, monic) of det(νI + L) (exact chains): its roots are the
    eigenvalues ν_j of −L, the rescaled gaps of the K eigenvalues of P(ε) nearest 1 (spec 08 F4).

    Parameters
    ----------
    chain : Chain
        Exact chain.
    clusters : iterable of int, optional
        Restrict to these clusters: det(νI + L|_S) with the full diagonal −λ_k kept (escape out of S
        counts), e.g. one cluster k gives ν − λ_k (its quasi-stationary exit rate).

    Returns
    -------
    list of Fraction

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> meta_characteristic_polynomial(ring(2, 2))          # L = [[-1/2, 1/2], [1/2, -1/2]]: ν(ν − 1)
    [Fraction(0, 1), Fraction(-1, 1), Fraction(1, 1)]
    >>> meta_characteristic_polynomial(ring(2, 2), [0])     # ν − λ_0
    [Fraction(-1, 2), Fraction(1, 1)]
    """
    from flint import fmpq, fmpq_mat

    if not chain.exact:
        raise MetacotError("the exact characteristic polynomial of L needs an exact chain (rational entries)")
    L = meta_generator(chain)
    idx = list(range(len(L))) if clusters is None else sorted(_cluster_set(chain, clusters, "clusters"))
    m = len(idx)
    # charpoly of −L is det(νI + L)
    M = fmpq_mat(m, m, [fmpq((-L[a][b]).numerator, (-L[a][b]).denominator) for a in idx for b in idx])
    return [Fraction(int(c.p), int(c.q)) for c in M.charpoly().coeffs()]


def sparse_weights(chain: Chain):
    """W(k, l) = Σ_{x∈C_k} Σ_{y∈C_l} P1(x, y) for k ≠ l (0 on the diagonal): the total sparse weight from
    cluster k into cluster l (in the row-rescaled form, the sum of the edge weights q(x, y)).

    With doubly stochastic blocks of size M every π_k is uniform, so r(k, l) = W(k, l)/M and
    h^meta = M·h̃ with h̃ the hitting times of the CTMC with rates W (claim hitting.general-scaling).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> sparse_weights(ring(3, 2, 1))
    [[Fraction(0, 1), Fraction(1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(0, 1), Fraction(1, 1)], [Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)]]
    """
    K = chain.K
    lab = chain.cluster_of
    W = [[_zero(chain)] * K for _ in range(K)]
    for x, row in enumerate(chain.row_dicts(1)):
        k = int(lab[x])
        for y, v in row.items():
            l = int(lab[y])
            if l != k:
                W[k][l] = W[k][l] + v
    return W if chain.exact else np.array(W, dtype=float)
