"""Subtraction-free state reduction (GTH family): stationary laws and mean hitting times.

All routines work on off-diagonal rates only; the diagonal ("stay") term of a row is rebuilt
from its exit mass, never from 1 − p, so relative accuracy does not depend on ε (spec 06).
The generic (dict-row) versions run over any field: Fraction (exact), mpmath.mpf (high
precision), float, or a sympy fraction field in ε (rational functions, for Laurent expansions).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

from metacot.numerics.solvers import double_double as DD
from metacot.numerics.errors import ChainError


# ----------------------------------------------------------------------------- stationary laws
def gth_stationary(P) -> list | np.ndarray:
    """Stationary law π of a kernel by GTH elimination (π P = π, Σπ = 1); unichains allowed.

    P: dense float ndarray / scipy sparse (vectorised float64 path) or a square list of lists over any
    field (exact Fractions, mpf). Only off-diagonal entries are read. A call of
    :func:`metacot.numerics.solvers.stationary.stationary_distribution` (the one home; more than one
    closed class raises ChainError).
    """
    from metacot.numerics.solvers.stationary import stationary_distribution

    return stationary_distribution(P)


# ----------------------------------------------------------------------------- hitting times
def almost_sure_states(adj_rows: Sequence, targets: set[int]) -> np.ndarray:
    """Boolean mask of states from which the target set is hit with probability 1.

    adj_rows[x] is an iterable of successors of x (support of the kernel); see almost_sure_states_csr.
    Small inputs (at most ALMOST_SURE_PY_MAX edges) are searched in plain Python (no sparse matrix built).

    Examples
    --------
    >>> almost_sure_states([[0, 1], [0, 2], [2]], {0}).tolist()
    [True, False, False]
    """
    n = len(adj_rows)
    if sum(map(len, adj_rows)) <= ALMOST_SURE_PY_MAX:
        return _almost_sure_py(adj_rows, targets)
    ii = [x for x in range(n) for _ in adj_rows[x]]
    jj = [y for x in range(n) for y in adj_rows[x]]
    S = sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(n, n), dtype=bool)
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    return almost_sure_states_csr(S, tmask)


ALMOST_SURE_PY_MAX = 20000  # edges up to which almost_sure_states runs a plain-Python search


def _almost_sure_py(adj_rows, targets) -> np.ndarray:
    """almost_sure_states by two breadth-first searches on the reversed graph (targets absorbing)."""
    n = len(adj_rows)
    rev = [[] for _ in range(n)]
    for x in range(n):
        if x in targets:
            continue
        for y in adj_rows[x]:
            if y != x:
                rev[y].append(x)

    def back(seeds):
        seen = [False] * n
        stack = list(seeds)
        for v in stack:
            seen[v] = True
        while stack:
            v = stack.pop()
            for u in rev[v]:
                if not seen[u]:
                    seen[u] = True
                    stack.append(u)
        return seen

    reach = back(targets)
    bad = back([x for x in range(n) if not reach[x]])
    return np.array([not b for b in bad], dtype=bool)


def hitting_reduction(rows: Sequence[dict], exit_mass: Sequence, cost: Sequence, order=None) -> list:
    """Solve e(x) h(x) = c(x) + Σ_{y≠x} A(x,y) h(y) with e(x) = Σ_{y≠x} A(x,y) + t(x), by state reduction.

    rows[x] = {y: A(x,y)} (off-diagonal rates/probabilities among the unknown states, y ≠ x),
    exit_mass[x] = t(x) (mass straight into the target), cost[x] = c(x) (1 per step for a DTMC;
    1 per unit time for a CTMC with rates). Eliminates states in `order` (default: 0..m−1),
    folds each state's mass into its neighbours, and rebuilds every exit mass as a sum of
    non-negative terms. Works over any field. Returns h as a list (`hitting_reduction_many` with one
    right-hand side).
    """
    return [h[0] for h in hitting_reduction_many(rows, exit_mass, [[v] for v in cost], order)]


def hitting_reduction_many(rows: Sequence[dict], exit_mass: Sequence, costs: Sequence, order=None) -> list:
    """`hitting_reduction` for several right-hand sides at once: costs[x] = [c_1(x), …, c_r(x)].

    One elimination serves every column (zero cost entries are skipped). Works over any field.
    Returns H as a list of rows, H[x] = [h_1(x), …, h_r(x)].

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> hitting_reduction_many([{1: F(1, 2)}, {}], [F(1, 2), F(1, 2)], [[F(1), F(0)], [F(1), F(1)]])
    [[Fraction(2, 1), Fraction(1, 1)], [Fraction(2, 1), Fraction(2, 1)]]
    """
    m = len(rows)
    A = [dict(r) for r in rows]
    for x in range(m):
        A[x].pop(x, None)
    t = list(exit_mass)
    C = [list(c) for c in costs]
    cols = [set() for _ in range(m)]
    for x in range(m):
        for y in A[x]:
            cols[y].add(x)
    alive = [True] * m
    order = list(range(m)) if order is None else list(order)
    record = []
    for z in order[:-1]:
        rz = A[z]
        ez = t[z]
        for v in rz.values():
            ez = ez + v
        if ez == 0:
            raise ChainError(f"state {z} has no exit mass during elimination (target unreachable)")
        alive[z] = False
        cz = C[z]
        record.append((z, rz, ez, cz))
        for y in rz:
            cols[y].discard(z)
        for i in cols[z]:
            if not alive[i]:
                continue
            ri = A[i]
            f = ri.pop(z) / ez
            t[i] = t[i] + f * t[z]
            ci = C[i]
            for k, v in enumerate(cz):
                if not (v == 0):      # an exact zero only (a ball around 0 is not skipped)
                    ci[k] = ci[k] + f * v
            for y, v in rz.items():
                if y == i:
                    continue  # self-loop: dropped, the exit mass is rebuilt from off-diagonal terms
                if y in ri:
                    ri[y] = ri[y] + f * v
                else:
                    ri[y] = f * v
                    cols[y].add(i)
        cols[z] = set()
        A[z] = None
    H = [None] * m
    last = order[-1]
    e_last = t[last]
    for v in A[last].values():
        e_last = e_last + v  # all of these point to eliminated states: cannot happen for a valid order
    if A[last]:
        raise ChainError("internal: last state still has neighbours")
    if e_last == 0:
        raise ChainError(f"state {last} has no exit mass (target unreachable)")
    H[last] = [v / e_last for v in C[last]]
    for z, rz, ez, cz in reversed(record):
        acc = list(cz)
        for y, v in rz.items():
            hy = H[y]
            for k in range(len(acc)):
                acc[k] = acc[k] + v * hy[k]
        H[z] = [a / ez for a in acc]
    return H


# ----------------------------------------------------------------------------- dense blocked reduction
def _blas_dgemm():
    """The Fortran BLAS dgemm of scipy (scipy.linalg.cython_blas) as a ctypes function, or None.

    Used for in-place Schur updates C += A·B on strided sub-blocks (no temporary, no extra pass);
    numpy's ``C += A @ B`` is the fallback.
    """
    try:
        import ctypes

        import scipy.linalg.cython_blas as cblas

        cap = cblas.__pyx_capi__["dgemm"]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
        get_ptr.restype, get_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        ptr = get_ptr(cap, get_name(cap))
        ip, dp, vp = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_double), ctypes.c_void_p
        proto = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ip, ip, ip, dp, vp, ip, vp, ip, dp, vp, ip)
        fn = proto(ptr)
        one = ctypes.c_double(1.0)
        ref = ctypes.byref
        c_int = ctypes.c_int

        def gemm_acc(C, A, B):
            """C += A @ B for float64 2-D views with unit stride along rows (row-major, any row stride)."""
            m, k = A.shape
            n = B.shape[1]
            if m == 0 or n == 0 or k == 0:
                return
            ldc, lda, ldb = C.strides[0] // 8, A.strides[0] // 8, B.strides[0] // 8
            # column-major view: Cᵀ (n×m) += Bᵀ (n×k) · Aᵀ (k×m)
            fn(b"N", b"N", ref(c_int(n)), ref(c_int(m)), ref(c_int(k)), ref(one), B.ctypes.data, ref(c_int(max(ldb, 1))),
               A.ctypes.data, ref(c_int(max(lda, 1))), ref(one), C.ctypes.data, ref(c_int(max(ldc, 1))))

        # self-test on a strided block before trusting it
        X = np.arange(30.0).reshape(5, 6)
        Y = X.copy()
        gemm_acc(X[:3, :3], X[:3, 3:5], X[3:5, :3])
        Y[:3, :3] += Y[:3, 3:5] @ Y[3:5, :3]
        return gemm_acc if np.array_equal(X, Y) else None
    except Exception:  # pragma: no cover - scipy without cython_blas capsules
        return None


def _gemm_acc_numpy(C, A, B):
    C += A @ B


def _row_views_ok(*arrs):
    return all(a.dtype == np.float64 and a.ndim == 2 and (a.shape[1] <= 1 or a.strides[1] == 8)
               and a.strides[0] % 8 == 0 and a.strides[0] > 0 for a in arrs)


_GEMM = None


def _gemm_acc(C, A, B):
    """C += A @ B in place (BLAS dgemm on the strided views when possible)."""
    global _GEMM
    if A.shape[1] != B.shape[0] or C.shape != (A.shape[0], B.shape[1]):
        raise ValueError(f"gemm shapes {C.shape} += {A.shape} @ {B.shape} do not match")
    if _GEMM is None:
        _GEMM = _blas_dgemm() or _gemm_acc_numpy
    if _GEMM is not _gemm_acc_numpy and _row_views_ok(C, A, B) and min(C.shape[1], A.shape[1]) > 1:
        _GEMM(C, A, B)
    else:
        C += A @ B


GTH_BASE = 8       # blocks of at most this many states are eliminated one state at a time
DENSE_BLOCK = 256  # block size of the blocked reduction (level-3 BLAS for the Schur updates)


def _gth_small(A: np.ndarray, t: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Unblocked subtraction-free elimination of a small system (A, t, C overwritten); returns H.

    Works on W = [A | t | C]: eliminating state z (last first) adds f·W[z] to the rows above it,
    f = A[:z, z]/e_z with e_z = Σ_{y<z} A(z, y) + t(z) (off-diagonal exit mass); diagonal entries and
    columns of eliminated states are never read again. Back-substitution: h_z = (c_z + Σ_{y<z} A(z,y) h_y)/e_z.
    """
    m = A.shape[0]
    W = np.empty((m, m + 1 + C.shape[1]))
    W[:, :m] = A
    W[:, m] = t
    W[:, m + 1:] = C
    e = np.empty(m)
    for z in range(m - 1, -1, -1):
        ez = W[z, :z].sum() + W[z, m]
        if not ez > 0:
            raise ChainError("a state has no exit mass during elimination (target unreachable)")
        e[z] = ez
        if z:
            W[:z] += np.multiply.outer(W[:z, z] / ez, W[z])
    X = W[:, m + 1:]
    X[0] /= e[0]
    for z in range(1, m):
        X[z] += W[z, :z] @ X[:z]
        X[z] /= e[z]
    return X


def _dense_solve(A: np.ndarray, t: np.ndarray, C: np.ndarray, bs: int) -> np.ndarray:
    """Blocked subtraction-free reduction, in place on A (m×m, C-ordered), t (m,), C (m×r); returns H (m×r).

    Trailing blocks B of `bs` states are eliminated one after the other: N_B = (diag(e_B) − A_BB)^{-1} ≥ 0 by a
    recursive call (exit mass e rebuilt from off-diagonal rates plus the mass leaving B), then
    A_RR += A_RB (N_B A_BR) (one in-place GEMM), t_R += A_RB N_B t_B, C_R += A_RB N_B C_B. Only products and
    sums of non-negative numbers occur; diagonal entries of A are never read (they collect self-loop mass).
    """
    m = A.shape[0]
    if m <= GTH_BASE:
        return _gth_small(A, t, C)
    bs = max(GTH_BASE, min(bs, m))
    inner = max(GTH_BASE, bs // 4)
    stack = []
    z1 = m
    while z1 > 0:
        z0 = max(0, z1 - bs)
        b = z1 - z0
        A_BR = A[z0:z1, :z0]
        ext = A_BR.sum(axis=1) + t[z0:z1] if z0 else t[z0:z1].copy()
        N = _dense_solve(A[z0:z1, z0:z1], ext, np.eye(b), inner) if b > GTH_BASE \
            else _gth_small(A[z0:z1, z0:z1], ext, np.eye(b))
        Xc = N @ C[z0:z1]
        XR = None
        if z0:
            XR = N @ A_BR
            A_RB = A[:z0, z0:z1]
            _gemm_acc(A[:z0, :z0], A_RB, XR)
            t[:z0] += A_RB @ (N @ t[z0:z1])
            C[:z0] += A_RB @ Xc
        stack.append((z0, z1, XR, Xc))
        z1 = z0
    H = np.empty_like(C)
    for z0, z1, XR, Xc in reversed(stack):
        H[z0:z1] = Xc
        if z0:
            H[z0:z1] += XR @ H[:z0]
    return H


def hitting_reduction_dense(A: np.ndarray, t: np.ndarray, c: np.ndarray, *, block: int | None = None) -> np.ndarray:
    """Float64 dense state reduction for the system of `hitting_reduction` (O(m³), blocked, level-3 BLAS).

    Solves e(x) h(x) = c(x) + Σ_{y≠x} A(x,y) h(y), e(x) = Σ_{y≠x} A(x,y) + t(x), for m states.
    Blocks B of trailing states are eliminated at once: with N_B = (diag(e_B) − A_BB)^{-1} ≥ 0 computed
    by the same reduction inside the block (recursively, down to GTH_BASE states eliminated one by one),
    A_RR += A_RB N_B A_BR, t_R += A_RB N_B t_B, c_R += A_RB N_B c_B (products and sums of non-negative
    numbers only; self-loops dropped, exit mass rebuilt), then h_B = N_B (c_B + A_BR h_R). The Schur update
    is one in-place BLAS dgemm per block. Relative accuracy ~ m·1e-16 independent of ε (spec 06).

    Parameters
    ----------
    A : (m, m) array_like
        Off-diagonal rates A(x, y) ≥ 0 among the unknown states (the diagonal is ignored).
    t : (m,) array_like
        Exit mass t(x) ≥ 0 straight into the target.
    c : (m,) or (m, r) array_like
        Cost per visit (1 per step for hitting times), one column per right-hand side.
    block : int, optional
        Block size (default DENSE_BLOCK).

    Returns
    -------
    ndarray
        h, of the shape of `c`.

    Raises
    ------
    ChainError
        On negative input, or when a state has no exit mass (the target is unreachable from it).

    Examples
    --------
    Two states, 0 → 1 with probability 1/2, 1 → 0 with probability 1/4, both leaving with probability 1/4
    per step: (3/4)·h0 = 1 + h1/2 and h1/2 = 1 + h0/4, so h = (4, 4):

    >>> hitting_reduction_dense([[0, 0.5], [0.25, 0]], [0.25, 0.25], [1.0, 1.0]).tolist()
    [4.0, 4.0]
    """
    A = np.array(A, dtype=np.float64, order="C")
    t = np.array(t, dtype=np.float64).ravel()
    c = np.asarray(c, dtype=np.float64)
    vec = c.ndim == 1
    C = np.array(c.reshape(len(c), -1), dtype=np.float64, order="C")
    m = A.shape[0]
    if m == 0:
        return C[:, 0] if vec else C
    if A.min() < 0 or t.min() < 0:
        raise ChainError("state reduction needs non-negative rates and exit masses")
    np.fill_diagonal(A, 0.0)
    H = _dense_solve(A, t, C, DENSE_BLOCK if block is None else max(1, int(block)))
    return H[:, 0] if vec else H


# ----------------------------------------------------------------------------- sparse clustered reduction
SPARSE_DENSE_MAX = 256     # systems of at most this many states are solved by the dense blocked reduction
ROUNDS_DENSE_MAX = 16      # elimination rounds go on down to this many states (log depth, not sequential)
GTH_DD_MAX = 256           # dense remainders up to this size are reduced with double-double right-hand sides
SPARSE_DENSE_CAP = 6000    # a reduced system this small and this dense (SPARSE_DENSE_FILL) goes dense too
SPARSE_DENSE_FILL = 0.08   # nnz/m² above which a reduced system is treated as dense
CLUSTER_BATCH_MAX = 64     # clusters up to this size have their interiors eliminated in vectorised batches
CLUSTER_SHAPES_MAX = 24    # more distinct cluster shapes than this: interior counts padded to multiples of 4
ROUND_COST_FACTOR = 4      # a round eliminates states of fill cost (in-degree·out-degree) ≤ max(4, factor·least cost)


def _dense_rank(labels):
    _, inv = np.unique(labels, return_inverse=True)
    return inv.astype(np.int64).ravel()


def _csr_parts(A):
    """(indptr, indices, data, rows) of a CSR matrix; rows = row index of every stored entry."""
    indptr = A.indptr
    return indptr, A.indices, A.data, np.repeat(np.arange(A.shape[0], dtype=A.indices.dtype), np.diff(indptr))


def _csr_from_coo(r, c, v, m):
    """CSR with duplicates summed (entries given in any order)."""
    M = sp.csr_matrix((v, (r, c)), shape=(m, m))
    M.sum_duplicates()
    return M


def _ragged_arange(starts, counts):
    """Concatenation of arange(starts[k], starts[k] + counts[k]) over k."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    shift = np.repeat(starts - (ends - counts), counts)
    return np.arange(total, dtype=np.int64) + shift


def _pad_bucket(x, step):
    return ((x + step - 1) // step) * step


def _reduce_interiors(A: sp.csr_matrix, t: np.ndarray, C: np.ndarray, labels: np.ndarray):
    """Eliminate, cluster by cluster, every state with no edge to or from another cluster (its interior).

    Clusters of at most CLUSTER_BATCH_MAX states are processed in vectorised batches. Each cluster gets a
    padded block of s = f + p slots (f: its interface states, rounded up to a power of two; p: its interior
    states, rounded up to a multiple of 4); padding slots have no edges (interface padding is never
    eliminated, interior padding has exit mass 1, so neither changes anything). Clusters of equal padded
    shape form a batch W = [A | t | C] (G×s×(s+1+r)), all batches living in one flat buffer filled by a
    single scatter; each batch is reduced state by state, last first, as in `_gth_small`: subtraction-free.
    Returns None if nothing is eliminated, else (keep, A_red, t_red, C_red, back) where keep lists the
    states kept (in the reduced system's order) and back(H_keep) -> H for every state.
    """
    m = A.shape[0]
    indptr, indices, data = A.indptr, A.indices, A.data
    deg = np.diff(indptr)
    lab_e = labels.astype(np.int32) if labels.size and labels.max() < 2**31 - 1 else labels
    cross = np.repeat(lab_e, deg)
    cross = cross != lab_e[indices]
    kc = np.flatnonzero(cross)
    rc = (np.searchsorted(indptr, kc, side="right") - 1).astype(np.int64)
    cc = indices[kc].astype(np.int64)
    iface = np.zeros(m, dtype=bool)
    iface[rc] = True
    iface[cc] = True
    nlab = int(labels.max()) + 1 if m else 0
    size = np.bincount(labels, minlength=nlab)
    nf = np.bincount(labels[iface], minlength=nlab)
    batch = (size <= CLUSTER_BATCH_MAX) & (size > nf)
    if not batch.any():
        return None
    r = C.shape[1]
    # padded shape of every batch cluster: f interface slots, then p interior slots
    fpad = np.where(nf > 0, 2 ** np.ceil(np.log2(np.maximum(nf, 1))).astype(np.int64), 0)
    ppad = size - nf                            # exact interior counts when they give few batches
    if np.unique(fpad[batch] * 4096 + ppad[batch]).size > CLUSTER_SHAPES_MAX:
        ppad = _pad_bucket(ppad, 4)
    key = np.where(batch, fpad * 4096 + ppad, -1)
    uniq, gid = np.unique(key, return_inverse=True)
    gid = gid.ravel()
    if uniq[0] == -1:
        uniq, gid = uniq[1:], gid - 1           # gid −1: cluster not batched
    # slot of every state inside its cluster's block: interface states first, then interior states
    cls = labels.astype(np.int64) * 2 + (~iface)
    order = np.argsort(cls, kind="stable")
    cs = cls[order]
    newgrp = np.r_[True, cs[1:] != cs[:-1]]
    first = np.flatnonzero(newgrp)
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m) - first[np.cumsum(newgrp) - 1]
    slotpos = np.where(iface, rank, fpad[labels] + rank)
    # flat buffer: batch g is an array of shape (s, w, G) (w = s + 1 + r columns [A | t | C]; the G clusters of
    # the batch along the last, contiguous axis, so every elimination step is a long vector operation)
    f_g, p_g = np.divmod(uniq, 4096)
    s_g = f_g + p_g
    w_g = s_g + 1 + r
    bl = np.flatnonzero(gid >= 0)
    if uniq.size > 1:
        bl = bl[np.argsort(gid[bl], kind="stable")]
    gstart = np.searchsorted(gid[bl], np.arange(uniq.size + 1))
    G_g = np.diff(gstart)
    base_g = np.r_[0, np.cumsum(G_g * s_g * w_g)]
    pos = np.zeros(nlab, dtype=np.int64)
    pos[bl] = np.arange(bl.size) - gstart[gid[bl]]
    cb = np.full(nlab, -1, dtype=np.int64)
    cb[bl] = gid[bl]
    total = int(base_g[-1])
    dummy = total                                # scratch entry for values that are not scattered
    buf = np.zeros(total + 1)
    sg = cb[labels]
    in_b = sg >= 0
    sgc = np.maximum(sg, 0)
    Gx = G_g[sgc]
    ot = np.int32 if total + 1 < 2**31 - 1 else np.int64
    colmul = (slotpos * Gx).astype(ot)           # column stride of each state's slot
    rowoff = np.where(in_b, base_g[sgc] + slotpos * w_g[sgc] * Gx + pos[labels], dummy)
    off = np.repeat(rowoff.astype(ot), deg)
    off += colmul[indices]
    off[kc] = dummy
    if not in_b.all():
        big = np.flatnonzero(~cross & ~np.repeat(in_b, deg))
        off[big] = dummy
    else:
        big = np.zeros(0, dtype=np.int64)
    buf[off] = data
    xs = np.flatnonzero(in_b)
    tcol = rowoff[xs] + s_g[sg[xs]] * Gx[xs]
    buf[tcol] = t[xs]
    for j in range(r):
        buf[tcol + (1 + j) * Gx[xs]] = C[xs, j]
    elim = ~iface & in_b
    t_red = t.copy()
    C_red = C.copy()
    parts = []
    red_r, red_c, red_v = [rc], [cc], [data[kc]]
    if big.size:
        red_r.append((np.searchsorted(indptr, big, side="right") - 1).astype(np.int64))
        red_c.append(indices[big].astype(np.int64))
        red_v.append(data[big])
    xs_g = sg[xs]
    if uniq.size > 1:
        xo = np.argsort(xs_g, kind="stable")
        xs, xs_g = xs[xo], xs_g[xo]
    xbound = np.searchsorted(xs_g, np.arange(uniq.size + 1))
    for g in range(uniq.size):
        f, s, w, G = int(f_g[g]), int(s_g[g]), int(w_g[g]), int(G_g[g])
        W = buf[base_g[g]:base_g[g + 1]].reshape(s, w, G)
        slot = np.full((s, G), -1, dtype=np.int64)
        xg = xs[xbound[g]:xbound[g + 1]]
        slot[slotpos[xg], pos[labels[xg]]] = xg
        W[f:, s] += slot[f:] < 0                   # interior padding: exit mass 1, no edges
        e = np.empty((s, G))
        for z in range(s - 1, f - 1, -1):
            ez = W[z, :z].sum(axis=0) + W[z, s]
            if not np.all(ez > 0):
                raise ChainError("a state has no exit mass during elimination (target unreachable)")
            e[z] = ez
            if z:
                fz = W[:z, z] / ez                  # (z, G)
                W[:z, :z] += fz[:, None, :] * W[z, None, :z]
                W[:z, s:] += fz[:, None, :] * W[z, None, s:]
        if f:
            fi = slot[:f]
            ok = fi >= 0
            t_red[fi[ok]] = W[:f, s][ok]
            C_red[fi[ok]] = np.moveaxis(W[:f, s + 1:], 1, 2)[ok]
            blk = W[:f, :f]
            idx = np.arange(f)
            blk[idx, idx] = 0.0                    # self-loops dropped (exit mass rebuilt)
            aa, bb, gi = np.nonzero(blk)
            red_r.append(fi[aa, gi])
            red_c.append(fi[bb, gi])
            red_v.append(blk[aa, bb, gi])
        parts.append((slot, W, e, s, f))
    keep = np.flatnonzero(~elim)
    newpos = -np.ones(m, dtype=np.int64)
    newpos[keep] = np.arange(keep.size)
    rr, cc2, vv = np.concatenate(red_r), np.concatenate(red_c), np.concatenate(red_v)
    A_red = _csr_from_coo(newpos[rr], newpos[cc2], vv, keep.size)

    def back(H_keep):
        H = np.zeros((m, r))
        H[keep] = H_keep
        for slot, W, e, s, f in parts:
            G = slot.shape[1]
            Hb = np.zeros((s, r, G))
            if f:
                fi = slot[:f]
                ok = fi >= 0
                Hb[:f].transpose(0, 2, 1)[ok] = H[fi[ok]]
            for z in range(f, s):
                Hb[z] = (W[z, s + 1:] + np.einsum("jg,jrg->rg", W[z, :z], Hb[:z])) / e[z]
            si = slot[f:]
            ok = si >= 0
            H[si[ok]] = Hb[f:].transpose(0, 2, 1)[ok]
        return H

    return keep, A_red, t_red[keep], C_red[keep], back


_HASH = np.uint64(0x9E3779B97F4A7C15)


def _priority(cost, m):
    """Elimination priority: fill cost first, then a fixed pseudo-random tie-break (deterministic)."""
    h = (np.arange(m, dtype=np.uint64) * _HASH) >> np.uint64(40)
    return (cost.astype(np.int64) << np.int64(24)) | h.astype(np.int64)


def _eliminate_round(A: sp.csr_matrix, t: np.ndarray):
    """One round of sparse elimination: an independent set Z of low fill-cost states is eliminated at once.

    Z has no edge between two of its states, so N_Z = diag(1/e_Z) and the Schur update is
    A_RR += A_RZ diag(1/e_Z) A_ZR, t_R += A_RZ t_Z/e_Z: sums of products of non-negative numbers (self-loops
    i → z → i dropped, exit mass rebuilt from off-diagonal rates). The right-hand side is updated by the
    caller from the record: C_R += A_RZ C_Z/e_Z, i.e. C[src] += f·C[z] (`_solve_rounds`). Returns
    (A_R, t_R, record), record = (Z, keep, ZR, e, src, z, f); the state of least priority is always selected,
    so every round eliminates at least one state.
    """
    m = A.shape[0]
    indptr, indices, data, rows = _csr_parts(A)
    outdeg = np.diff(indptr)
    indeg = np.bincount(indices, minlength=m)
    cost = indeg * outdeg
    thr = max(4, ROUND_COST_FACTOR * int(cost.min()))
    cand = cost <= thr
    pr = _priority(cost, m)
    both = cand[rows] & cand[indices]
    u, v = rows[both], indices[both]
    loser = np.where(pr[u] > pr[v], u, v)
    zmask = cand.copy()
    zmask[loser] = False
    Z = np.flatnonzero(zmask)
    e = np.bincount(rows, weights=data, minlength=m)[Z] + t[Z]
    if not np.all(e > 0):
        raise ChainError("a state has no exit mass during elimination (target unreachable)")
    inv_e = np.zeros(m)
    inv_e[Z] = 1.0 / e
    fromZ = zmask[rows]
    toZ = zmask[indices]
    rr = ~fromZ & ~toZ
    # fill: for every edge i → z (z ∈ Z) and every edge z → j: (i, j, A(i,z)/e_z · A(z,j))
    ki = np.flatnonzero(toZ)
    zi = indices[ki]
    fi = data[ki] * inv_e[zi]
    cnt = outdeg[zi]
    src = np.repeat(rows[ki], cnt)
    posn = _ragged_arange(indptr[zi].astype(np.int64), cnt)
    dst = indices[posn]
    val = np.repeat(fi, cnt) * data[posn]
    nl = src != dst
    src_i = rows[ki]
    t_new = t + np.bincount(src_i, weights=fi * t[zi], minlength=m)
    keep = np.flatnonzero(~zmask)
    newpos = -np.ones(m, dtype=np.int64)
    newpos[keep] = np.arange(keep.size)
    r_all = np.concatenate([rows[rr], src[nl]])
    c_all = np.concatenate([indices[rr], dst[nl]])
    v_all = np.concatenate([data[rr], val[nl]])
    A_new = _csr_from_coo(newpos[r_all], newpos[c_all], v_all, keep.size)
    # back-substitution data: h_z = (C_z + Σ_j A(z, j) h_j) / e_z
    zsel = np.flatnonzero(fromZ)
    ZR = sp.csr_matrix((data[zsel], (np.searchsorted(Z, rows[zsel]), newpos[indices[zsel]])),
                       shape=(Z.size, keep.size))
    return A_new, t_new[keep], (Z, keep, ZR, e, src_i, zi, fi)


def _elimination_rounds(A: sp.csr_matrix, t: np.ndarray, on_round=None):
    """Rounds of `_eliminate_round` until the system has ROUNDS_DENSE_MAX states or is small and dense (or a
    round removes under 1 % of the states of a system small enough to finish dense).

    Returns (A, t, stack): the remaining system and [(m, record)] per round; ``on_round(m, record)`` is
    called after each round (the right-hand side updates of `_solve_rounds`).
    """
    stack = []
    while True:
        m = A.shape[0]
        if m <= ROUNDS_DENSE_MAX or (m <= SPARSE_DENSE_CAP and A.nnz > SPARSE_DENSE_FILL * m * m):
            break
        A, t, rec = _eliminate_round(A, t)
        stack.append((m, rec))
        if on_round is not None:
            on_round(m, rec)
        if rec[0].size < 0.01 * m and A.shape[0] <= SPARSE_DENSE_CAP:
            break
    return A, t, stack


def _solve_rounds(A: sp.csr_matrix, t: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Independent-set elimination rounds (`_elimination_rounds`), then the dense reduction of the rest.

    The rates (A, t, exit masses e) are eliminated in float64; the right-hand side and the solution are
    carried in double-double arithmetic (`solvers.double_double`) through the rounds, the final dense
    reduction (`_gth_dd`) and the back-substitution, and rounded once at the end. The rates are accurate to
    a few roundings at any depth; the propagated costs would lose about one rounding per level (about 15
    levels at 10⁵ states), which the double-double form avoids. A result beyond the float range is inf.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _solve_rounds_dd(A, t, C)


def _solve_rounds_dd(A: sp.csr_matrix, t: np.ndarray, C: np.ndarray) -> np.ndarray:
    rhs = [np.array(C, dtype=np.float64), np.zeros(C.shape)]   # C = hi + lo
    saved = []

    def propagate(m, rec):          # C[src] += f·C[z]; keep C_Z for the back-substitution
        Z, keep, _, _, src, zi, fi = rec
        Ch, Cl = rhs
        saved.append((Ch[Z], Cl[Z]))
        ph, pl = DD.mul(Ch[zi], Cl[zi], fi[:, None])
        DD.scatter_add(Ch, Cl, src, ph, pl)
        rhs[:] = [Ch[keep], Cl[keep]]

    A, t, stack = _elimination_rounds(A, t, propagate)
    Ch, Cl = rhs
    if A.shape[0] <= GTH_DD_MAX:
        Hh, Hl = _gth_dd(A.toarray(), np.array(t, dtype=np.float64), Ch, Cl)
    else:   # a large dense remainder: the blocked float reduction (level-3 BLAS)
        Hh = _dense_solve(A.toarray(), np.array(t, dtype=np.float64), Ch + Cl, DENSE_BLOCK)
        Hl = np.zeros_like(Hh)
    for (m, (Z, keep, ZR, e, _, _, _)), (CZh, CZl) in zip(reversed(stack), reversed(saved)):
        # h_Z = (C_Z + ZR·h_keep)/e_Z
        Sh, Sl = CZh.copy(), CZl.copy()
        ZR = sp.csr_matrix(ZR)
        rows = np.repeat(np.arange(Z.size), np.diff(ZR.indptr))
        ph, pl = DD.mul(Hh[ZR.indices], Hl[ZR.indices], ZR.data[:, None])
        DD.scatter_add(Sh, Sl, rows, ph, pl)
        qh, ql = DD.div(Sh, Sl, e[:, None])
        Nh, Nl = np.empty((m, C.shape[1])), np.empty((m, C.shape[1]))
        Nh[keep], Nl[keep] = Hh, Hl
        Nh[Z], Nl[Z] = qh, ql
        Hh, Hl = Nh, Nl
    return np.where(np.isfinite(Hh), Hh + Hl, Hh)


def _gth_dd(A: np.ndarray, t: np.ndarray, Ch: np.ndarray, Cl: np.ndarray):
    """`_gth_small` with the right-hand side and the solution in double-double: returns (H_hi, H_lo).

    The rates are eliminated in float64 exactly as in `_gth_small` (A, t overwritten); C[:z] += f·C[z] and
    h_z = (c_z + Σ_{y<z} A(z, y) h_y)/e_z are error-free transformations. The sums of the back-substitution
    are accumulated column by column: once h_y is known, A(z, y)·h_y is added to every later row z.
    """
    m = A.shape[0]
    W = np.empty((m, m + 1))
    W[:, :m] = A
    W[:, m] = t
    Ch, Cl = Ch.copy(), Cl.copy()
    e = np.empty(m)
    for z in range(m - 1, -1, -1):
        ez = W[z, :z].sum() + W[z, m]
        if not ez > 0:
            raise ChainError("a state has no exit mass during elimination (target unreachable)")
        e[z] = ez
        if z:
            f = W[:z, z] / ez
            W[:z] += np.multiply.outer(f, W[z])
            ph, pl = DD.mul(Ch[z][None, :], Cl[z][None, :], f[:, None])
            Ch[:z], Cl[:z] = DD.add(Ch[:z], Cl[:z], ph, pl)
    Hh, Hl = np.empty_like(Ch), np.empty_like(Cl)
    for z in range(m):
        Hh[z], Hl[z] = DD.div(Ch[z], Cl[z], e[z])
        if z + 1 < m:
            col = W[z + 1:, z]
            ph, pl = DD.mul(Hh[z][None, :], Hl[z][None, :], col[:, None])
            Ch[z + 1:], Cl[z + 1:] = DD.add(Ch[z + 1:], Cl[z + 1:], ph, pl)
    return Hh, Hl


def stationary_reduction_sparse(A: sp.spmatrix) -> np.ndarray:
    """Stationary law π of an irreducible sparse rate matrix (π A = π A·1 row by row; Σ π = 1) by GTH in rounds.

    The GTH elimination of `stationary.stationary_distribution` in the order of `_eliminate_round`: each
    round removes an independent set Z of states of least fill cost (the rates of the chain censored on the
    rest are A_RR + A_RZ diag(1/e_Z) A_ZR, self-loops dropped, e_z = Σ_y A(z, y) the exit rate of z), down to
    ROUNDS_DENSE_MAX states or a small dense remainder, which dense GTH solves; then
    π_z = Σ_i π_i A(i, z)/e_z restores the eliminated states, round by round. Only sums and products of
    non-negative numbers occur, so every entry of π keeps its relative accuracy at any ε (entries of size
    1e-300 included), about one rounding per elimination level (log₂ n levels along chains of clusters).

    Parameters
    ----------
    A : (m, m) sparse matrix
        Off-diagonal rates A(x, y) ≥ 0 of an irreducible chain (the diagonal is ignored): a stochastic
        kernel, or a generator.

    Returns
    -------
    ndarray
        π, positive, summing to 1.

    Raises
    ------
    ChainError
        On a negative rate, or when a state has no exit rate (the chain is reducible).

    Examples
    --------
    A 3-cycle 0 → 1 → 2 → 0 with rates 1, 2 and 4 (π ∝ 1/rate):

    >>> import scipy.sparse as sp
    >>> A = sp.csr_matrix(([1.0, 2.0, 4.0], ([0, 1, 2], [1, 2, 0])), shape=(3, 3))
    >>> (stationary_reduction_sparse(A) * 7).round(12).tolist()
    [4.0, 2.0, 1.0]
    """
    from metacot.numerics.solvers.stationary import _gth_float

    A = sp.csr_matrix(A, dtype=np.float64)
    m = A.shape[0]
    if A.nnz and A.data.min() < 0:
        raise ChainError("the stationary reduction needs non-negative rates")
    A = A.copy()
    A.setdiag(0.0)
    A.eliminate_zeros()
    A.sort_indices()
    if m == 1:
        return np.ones(1)
    A, _, stack = _elimination_rounds(A, np.zeros(m))
    pi = _gth_float(A.toarray()) if A.shape[0] > 1 else np.ones(1)
    for k, (Z, keep, _, _, src, zi, fi) in reversed(stack):
        full = np.zeros(k)
        full[keep] = pi
        full[Z] = np.bincount(zi, weights=fi * full[src], minlength=k)[Z]
        pi = full
    return pi / pi.sum()


def hitting_reduction_sparse(A: sp.spmatrix, t: np.ndarray, c: np.ndarray, labels=None) -> np.ndarray:
    """Sparse float64 state reduction for the system of `hitting_reduction` (A off-diagonal, CSR).

    Clustered chains (`labels` given): first the interior states of every cluster of at most
    CLUSTER_BATCH_MAX states (states with no edge to another cluster) are eliminated in vectorised
    batches. The remaining system is reduced by rounds of sparse elimination: each round eliminates an
    independent set of states of least fill cost (in-degree × out-degree) at once, with sparse matrix
    products, down to ROUNDS_DENSE_MAX states (so the elimination depth is logarithmic along long chains
    of clusters), or until the system is small and dense; a dense reduction finishes it. Subtraction-free
    throughout, independent of ε (spec 06): the rates are eliminated in float64, and the right-hand sides
    and solutions of the rounds are carried in double-double (`solvers.double_double`), so the rounding of
    the propagated costs does not accumulate with depth. On rings of 10⁵ states the relative error of
    E_0[τ] is ≤ 2e-16 at every ε from 1e-2 to 1e-300 (benchmarks/bench_speed.py, section accuracy).

    Parameters
    ----------
    A : (m, m) sparse matrix
        Off-diagonal rates A(x, y) ≥ 0 (the diagonal is ignored).
    t : (m,) array_like
        Exit mass into the target.
    c : (m,) or (m, r) array_like
        Cost per visit, one column per right-hand side.
    labels : (m,) array_like, optional
        Cluster label of every state (speed only: the answer does not depend on it).

    Returns
    -------
    ndarray
        h, of the shape of `c`.

    Raises
    ------
    ChainError
        On negative input, or when a state has no exit mass.

    Examples
    --------
    A path 0 → 1 → … → 9 → target at rate 1/2 per step (h(x) = 2·(10 − x)):

    >>> import scipy.sparse as sp
    >>> A = sp.diags([0.5] * 9, 1, shape=(10, 10), format="csr")
    >>> t = [0.0] * 9 + [0.5]
    >>> hitting_reduction_sparse(A, t, [1.0] * 10).tolist()[:3]
    [20.0, 18.0, 16.0]
    """
    A = sp.csr_matrix(A, dtype=np.float64)
    m = A.shape[0]
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()
    t = np.array(t, dtype=np.float64).ravel()
    c = np.asarray(c, dtype=np.float64)
    vec = c.ndim == 1
    C = np.array(c.reshape(m, -1), dtype=np.float64, order="C")
    if (A.nnz and A.data.min() < 0) or (t.size and t.min() < 0):
        raise ChainError("state reduction needs non-negative rates and exit masses")
    rows = np.repeat(np.arange(m, dtype=A.indices.dtype), np.diff(A.indptr))
    off = (A.indices != rows) & (A.data != 0)
    if not off.all():
        A = sp.csr_matrix((A.data[off], A.indices[off], np.r_[0, np.cumsum(np.bincount(rows[off], minlength=m))]),
                          shape=(m, m))
    H = _sparse_solve(A, t, C, labels)
    return H[:, 0] if vec else H


def _sparse_solve(A: sp.csr_matrix, t: np.ndarray, C: np.ndarray, labels) -> np.ndarray:
    """`hitting_reduction_sparse` on clean input (canonical CSR, off-diagonal, positive entries); t, C owned."""
    back = None
    if labels is not None and A.shape[0] > SPARSE_DENSE_MAX:
        red = _reduce_interiors(A, t, C, _dense_rank(np.asarray(labels)))
        if red is not None:
            _, A, t, C, back = red
    H = _solve_rounds(A, t, C) if A.shape[0] else np.zeros((0, C.shape[1]))
    return back(H) if back is not None else H


# ----------------------------------------------------------------------------- vectorised reachability
def _edges(S):
    """(rows, cols) of the stored nonzero off-diagonal entries of a sparse matrix (CSR order)."""
    S = sp.csr_matrix(S)
    n = S.shape[0]
    rows = np.repeat(np.arange(n, dtype=S.indices.dtype), np.diff(S.indptr))
    sel = S.indices != rows
    if S.dtype != bool:
        sel &= S.data != 0
    else:
        sel &= S.data
    return rows[sel], S.indices[sel]


def _bfs_from(n, rows, cols, src):
    """Mask of the states reached from the states `src` along the edges rows → cols (src included)."""
    from scipy.sparse.csgraph import breadth_first_order

    out = np.zeros(n + 1, dtype=bool)
    if src.size == 0:
        return out[:n]
    # a virtual state n with an edge to every source
    rr = np.concatenate([rows, np.full(src.size, n, dtype=rows.dtype)])
    cc = np.concatenate([cols, src.astype(cols.dtype)])
    G = sp.csr_matrix((np.ones(rr.size, dtype=np.int8), (rr, cc)), shape=(n + 1, n + 1))
    out[breadth_first_order(G, n, directed=True, return_predecessors=False)] = True
    return out[:n]


def absorption_reduction(rows, targets, stop, reach, zero, *, order_of=None):
    """Solve for u(x) = P_x(hit ``targets`` before the rest of ``stop``) on the states x ∉ stop with
    ``reach[x]`` (u = 0 on the other states off the targets), in any exact field (Fractions, mpf, QQ(ε)).

    Subtraction-free: each unknown's diagonal is its exit mass t(x) (mass leaving the unknowns), c(x) its
    mass into ``targets``; solved by :func:`hitting_reduction` in the order ``order_of(unknown)`` (default:
    as listed). Used by hitting probabilities, committors and the jump chain's absorption probabilities.

    Parameters
    ----------
    rows : list of dict
        rows[x] = {y: P(x, y)} (the diagonal is ignored).
    targets, stop : set of int
        targets ⊆ stop; the walk is stopped on ``stop``.
    reach : sequence of bool
        States that can reach the targets (the others have u = 0).
    zero : field element
    order_of : callable, optional
        unknown -> elimination order (positions into ``unknown``).

    Returns
    -------
    unknown : list of int
        The states solved for.
    values : list
        u on ``unknown``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> rows = [{1: F(1, 2), 2: F(1, 2)}, {0: F(1)}, {2: F(1)}]
    >>> absorption_reduction(rows, {2}, {2}, [True, True, True], F(0))
    ([0, 1], [Fraction(1, 1), Fraction(1, 1)])
    """
    unknown = [x for x in range(len(rows)) if reach[x] and x not in stop]
    idx = {x: i for i, x in enumerate(unknown)}
    A, t, c = [], [], []
    for x in unknown:
        r, tx, cx = {}, zero, zero
        for y, v in rows[x].items():
            if y == x or v == 0:
                continue
            if y in idx:
                r[idx[y]] = v
            else:
                tx = tx + v
                if y in targets:
                    cx = cx + v
        A.append(r)
        t.append(tx)
        c.append(cx)
    if not unknown:
        return [], []
    return unknown, hitting_reduction(A, t, c, order=order_of(unknown) if order_of else None)


def reach_back(S: sp.spmatrix, src_mask: np.ndarray, absorbing: np.ndarray | None = None) -> np.ndarray:
    """States that can reach a state of `src_mask` along the support of S (src states included).

    Out-edges of `absorbing` states are removed first (default: the src states themselves).
    Breadth-first search on the reversed graph from a virtual state linked to every src state.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> S = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 1]]))
    >>> reach_back(S, np.array([False, True, False])).tolist()
    [True, True, False]
    """
    n = S.shape[0]
    src_mask = np.asarray(src_mask, dtype=bool)
    absorbing = src_mask if absorbing is None else np.asarray(absorbing, dtype=bool)
    rows, cols = _edges(S)
    live = ~absorbing[rows]
    return _bfs_from(n, cols[live], rows[live], np.flatnonzero(src_mask))


def almost_sure_states_csr(S: sp.spmatrix, target_mask: np.ndarray) -> np.ndarray:
    """Mask of states from which the targets are hit a.s. (S[x, y] ≠ 0: x → y possible; targets absorbing).

    A state fails iff, avoiding the targets, it can reach a state from which the targets are unreachable.
    A strongly connected support (the usual case for ε > 0) needs no search.

    Examples
    --------
    State 2 is a trap, state 1 can fall into it; only the target 0 and nothing else hits 0 a.s.:

    >>> import scipy.sparse as sp
    >>> S = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]]))
    >>> almost_sure_states_csr(S, np.array([True, False, False])).tolist()
    [True, False, False]
    """
    from scipy.sparse.csgraph import connected_components

    tmask = np.asarray(target_mask, dtype=bool)
    n = S.shape[0]
    if not tmask.any():
        return np.zeros(n, dtype=bool)
    S = sp.csr_matrix(S)
    if n == 1 or connected_components(S, directed=True, connection="strong", return_labels=False) == 1:
        if S.dtype == bool or not (S.data == 0).any():
            return np.ones(n, dtype=bool)
    rows, cols = _edges(S)
    live = ~tmask[rows]
    r, c = cols[live], rows[live]            # reversed graph, targets absorbing
    reach = _bfs_from(n, r, c, np.flatnonzero(tmask))
    return ~_bfs_from(n, r, c, np.flatnonzero(~reach))


# ----------------------------------------------------------------------------- absorbing systems of a kernel
DENSE_FILL_MIN = 0.02   # systems denser than this (nnz/m²) and not larger than `dense_max` are solved dense


def absorbing_solve(P: sp.spmatrix, absorb: np.ndarray, cost=None, labels=None, *, dense_max: int = 3000):
    """Solve e(x) h(x) = c(x) + Σ_{y∉absorb, y≠x} P(x,y) h(y) on the states x outside `absorb`.

    e(x) = Σ_{y≠x} P(x,y) (off-diagonal exit mass, the mass into `absorb` included), so h is the expected
    total cost until absorption (hitting times for c = 1, absorption probabilities for c(x) = P(x, A)).
    Every state outside `absorb` must reach it almost surely. Dense blocked reduction for systems of at most
    `dense_max` states that are not sparse (nnz ≥ DENSE_FILL_MIN·m²), sparse clustered reduction otherwise.

    Parameters
    ----------
    P : (n, n) sparse matrix
        Kernel rates; the diagonal is ignored.
    absorb : (n,) bool array
        Absorbing states.
    cost : (n,) or (n, r) array_like, optional
        Cost per visit (default 1), read on the states outside `absorb`.
    labels : (n,) array_like, optional
        Cluster labels (speed only).
    dense_max : int
        Largest system solved by the dense reduction.

    Returns
    -------
    unknown : ndarray
        Indices of the states outside `absorb`.
    H : ndarray
        Solution rows on `unknown`, shape (len(unknown), r).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> P = sp.csr_matrix(np.array([[0.5, 0.5], [0.0, 1.0]]))
    >>> unknown, H = absorbing_solve(P, np.array([False, True]))
    >>> unknown.tolist(), H[:, 0].tolist()
    ([0], [2.0])
    """
    P = sp.csr_matrix(P)
    n = P.shape[0]
    absorb = np.asarray(absorb, dtype=bool)
    unknown = np.flatnonzero(~absorb)
    C = np.ones((unknown.size, 1)) if cost is None else \
        np.array(np.asarray(cost, dtype=np.float64).reshape(n, -1)[unknown], dtype=np.float64, order="C")
    if unknown.size == 0:
        return unknown, np.zeros((0, C.shape[1]))
    indptr, indices, data = P.indptr, P.indices, np.asarray(P.data, dtype=np.float64)
    if data.size and data.min() < 0:
        raise ChainError("state reduction needs non-negative rates and exit masses")
    deg = np.diff(indptr)
    ca = absorb[indices]
    ra = np.repeat(absorb, deg)
    rows = None
    if ca.any():
        kk = np.flatnonzero(ca & ~ra)
        rk = np.searchsorted(indptr, kk, side="right") - 1
        t = np.bincount(rk, weights=data[kk], minlength=n)[unknown]
    else:
        t = np.zeros(unknown.size)
    live = ~ca & ~ra
    if indices.size:
        rows = np.repeat(np.arange(n, dtype=indices.dtype), deg)
        live &= indices != rows
        live &= data != 0
    it = indices.dtype
    newpos = (np.cumsum(~absorb) - 1).astype(it)
    cs = np.zeros(live.size + 1, dtype=np.int32 if live.size < 2**31 - 1 else np.int64)
    np.cumsum(live, out=cs[1:])
    m = unknown.size
    # rows in `absorb` keep no entry, so the sub-matrix row pointers are the live counts at the unknown rows
    sub_indptr = np.concatenate([cs[indptr[unknown]], cs[-1:]])
    sub = sp.csr_matrix((data[live], newpos[indices[live]], sub_indptr), shape=(m, m))
    if m <= dense_max and (sub.nnz >= DENSE_FILL_MIN * m * m or m <= SPARSE_DENSE_MAX):
        H = _dense_solve(sub.toarray(), t, C, DENSE_BLOCK)
    else:
        lab = None if labels is None else np.asarray(labels)[unknown]
        H = _sparse_solve(sub, t, C, lab)
    return unknown, H
