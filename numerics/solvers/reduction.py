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

from metacot.numerics.errors import ChainError


# ----------------------------------------------------------------------------- stationary laws
def gth_stationary(P) -> list | np.ndarray:
    """Stationary law π of an irreducible kernel by GTH elimination (π P = π, Σπ = 1).

    P: dense float ndarray (vectorised float64 path) or a square list of lists over any
    field (exact Fractions, mpf). Only off-diagonal entries are read.
    """
    if isinstance(P, np.ndarray) or sp.issparse(P):
        return _gth_float(np.array(P.toarray() if sp.issparse(P) else P, dtype=float))
    A = [list(r) for r in P]
    n = len(A)
    zero = A[0][0] * 0
    for k in range(n - 1, 0, -1):
        s = sum((A[k][j] for j in range(k)), zero)
        if s == 0:
            raise ChainError("kernel is reducible: GTH found a state with no exit mass to lower states")
        for i in range(k):
            A[i][k] = A[i][k] / s
        for i in range(k):
            aik = A[i][k]
            if aik != 0:
                rowk = A[k]
                rowi = A[i]
                for j in range(k):
                    if rowk[j] != 0:
                        rowi[j] = rowi[j] + aik * rowk[j]
    pi = [zero + 1]
    for k in range(1, n):
        pi.append(sum((pi[i] * A[i][k] for i in range(k)), zero))
    tot = sum(pi, zero)
    return [p / tot for p in pi]


def _gth_float(A: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    for k in range(n - 1, 0, -1):
        s = A[k, :k].sum()
        if s <= 0:
            raise ChainError("kernel is reducible: GTH found a state with no exit mass to lower states")
        A[:k, k] /= s
        A[:k, :k] += np.outer(A[:k, k], A[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ A[:k, k]
    return pi / pi.sum()


# ----------------------------------------------------------------------------- hitting times
def almost_sure_states(adj_rows: Sequence, targets: set[int]) -> np.ndarray:
    """Boolean mask of states from which the target set is hit with probability 1.

    adj_rows[x] is an iterable of successors of x (support of the kernel); see almost_sure_states_csr.
    """
    n = len(adj_rows)
    ii = [x for x in range(n) for _ in adj_rows[x]]
    jj = [y for x in range(n) for y in adj_rows[x]]
    S = sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(n, n), dtype=bool)
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    return almost_sure_states_csr(S, tmask)


def hitting_reduction(rows: Sequence[dict], exit_mass: Sequence, cost: Sequence, order=None) -> list:
    """Solve e(x) h(x) = c(x) + Σ_{y≠x} A(x,y) h(y) with e(x) = Σ_{y≠x} A(x,y) + t(x), by state reduction.

    rows[x] = {y: A(x,y)} (off-diagonal rates/probabilities among the unknown states, y ≠ x),
    exit_mass[x] = t(x) (mass straight into the target), cost[x] = c(x) (1 per step for a DTMC;
    1 per unit time for a CTMC with rates). Eliminates states in `order` (default: 0..m−1),
    folds each state's mass into its neighbours, and rebuilds every exit mass as a sum of
    non-negative terms. Works over any field. Returns h as a list.
    """
    m = len(rows)
    A = [dict(r) for r in rows]
    for x in range(m):
        A[x].pop(x, None)
    t = list(exit_mass)
    c = list(cost)
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
        record.append((z, rz, ez, c[z]))
        for y in rz:
            cols[y].discard(z)
        for i in cols[z]:
            if not alive[i]:
                continue
            ri = A[i]
            f = ri.pop(z) / ez
            t[i] = t[i] + f * t[z]
            c[i] = c[i] + f * c[z]
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
    h = [None] * m
    last = order[-1]
    e_last = t[last]
    for v in A[last].values():
        e_last = e_last + v  # all of these point to eliminated states: cannot happen for a valid order
    if A[last]:
        raise ChainError("internal: last state still has neighbours")
    if e_last == 0:
        raise ChainError(f"state {last} has no exit mass (target unreachable)")
    h[last] = c[last] / e_last
    for z, rz, ez, cz in reversed(record):
        acc = cz
        for y, v in rz.items():
            acc = acc + v * h[y]
        h[z] = acc / ez
    return h


def _eliminate_local(A: np.ndarray, ext: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Solve (diag(e) − A) X = R subtraction-free, e = off-diagonal row sums of A + ext (unblocked GTH).

    A: b×b (diagonal ignored, overwritten), ext ≥ 0: exit mass of each state out of the set,
    R: b×r right-hand sides (overwritten). Returns X (b×r). Every operation adds or multiplies
    non-negative numbers, except nothing: diagonals are rebuilt from exit mass (spec 06).
    """
    b = A.shape[0]
    np.fill_diagonal(A, 0.0)
    e = np.empty(b)
    for z in range(b - 1, -1, -1):
        ez = A[z, :z].sum() + ext[z]
        if not ez > 0:
            raise ChainError("a state has no exit mass during elimination (target unreachable)")
        e[z] = ez
        if z == 0:
            break
        f = A[:z, z] / ez
        A[:z, :z] += np.outer(f, A[z, :z])
        ext[:z] += f * ext[z]
        R[:z] += np.outer(f, R[z])
    X = np.empty_like(R)
    X[0] = R[0] / e[0]
    for z in range(1, b):
        X[z] = (R[z] + A[z, :z] @ X[:z]) / e[z]
    return X


DENSE_BLOCK = 128  # block size of the blocked reduction (level-3 BLAS for the Schur updates)


def hitting_reduction_dense(A: np.ndarray, t: np.ndarray, c: np.ndarray, *, block: int | None = None) -> np.ndarray:
    """Float64 dense state reduction for the same system as `hitting_reduction` (O(m³), blocked).

    A: m×m off-diagonal rates (diagonal ignored), t: exit mass into the target, c: cost per visit
    (a vector, or an m×r matrix of several right-hand sides). Solves e(x) h(x) = c(x) + Σ_{y≠x} A(x,y) h(y),
    e(x) = Σ_{y≠x} A(x,y) + t(x). Blocks B of trailing states are eliminated at once: with
    N_B = (diag(e_B) − A_BB)^{-1} ≥ 0 computed by subtraction-free GTH inside the block,
    A_RR += A_RB N_B A_BR, t_R += A_RB N_B t_B, c_R += A_RB N_B c_B (products and sums of non-negative
    numbers only; self-loops dropped, exit mass rebuilt), then h_B = N_B (c_B + A_BR h_R).
    Relative accuracy ~ m·1e-16 independent of ε (spec 06).
    """
    A = np.array(A, dtype=float)
    t = np.array(t, dtype=float).ravel()
    c = np.array(c, dtype=float)
    vec = c.ndim == 1
    C = c.reshape(len(c), -1).copy()
    m = A.shape[0]
    if m == 0:
        return C[:, 0] if vec else C
    if np.any(A < 0) or np.any(t < 0):
        raise ChainError("state reduction needs non-negative rates and exit masses")
    np.fill_diagonal(A, 0.0)
    bs = DENSE_BLOCK if block is None else max(1, int(block))
    stack = []
    z1 = m
    while z1 > 0:
        z0 = max(0, z1 - bs)
        B = slice(z0, z1)
        ext = A[B, :z0].sum(axis=1) + t[B]
        N = _eliminate_local(A[B, B].copy(), ext, np.eye(z1 - z0))
        XR = N @ A[B, :z0]          # where the chain leaves B to, per state of R
        Xc = N @ C[B]               # accumulated cost inside B
        if z0 > 0:
            ARB = A[:z0, B]
            A[:z0, :z0] += ARB @ XR
            np.fill_diagonal(A[:z0, :z0], 0.0)
            t[:z0] += ARB @ (N @ t[B])
            C[:z0] += ARB @ Xc
        stack.append((z0, z1, XR, Xc))
        z1 = z0
    H = np.empty_like(C)
    for z0, z1, XR, Xc in reversed(stack):
        H[z0:z1] = Xc + XR @ H[:z0] if z0 > 0 else Xc
    return H[:, 0] if vec else H


# ----------------------------------------------------------------------------- vectorised reachability
def reach_back(S: sp.spmatrix, src_mask: np.ndarray, absorbing: np.ndarray | None = None) -> np.ndarray:
    """States that can reach a state of `src_mask` along the support of S (src states included).

    Out-edges of `absorbing` states are removed first (default: the src states themselves).
    BFS on the reversed graph from a virtual source node n linked to every src state.
    """
    from scipy.sparse.csgraph import breadth_first_order

    n = S.shape[0]
    src_mask = np.asarray(src_mask, dtype=bool)
    absorbing = src_mask if absorbing is None else np.asarray(absorbing, dtype=bool)
    src = np.flatnonzero(src_mask)
    if src.size == 0:
        return np.zeros(n, dtype=bool)
    G = sp.csr_matrix(sp.diags((~absorbing).astype(float)) @ sp.csr_matrix(S != 0, dtype=float))
    G.setdiag(0.0)
    G.eliminate_zeros()
    GT = sp.csr_matrix(G.T)
    link = sp.csr_matrix((np.ones(src.size), (np.zeros(src.size, dtype=int), src)), shape=(1, n))
    ext = sp.bmat([[GT, None], [link, sp.csr_matrix((1, 1))]], format="csr")
    order = breadth_first_order(ext, n, directed=True, return_predecessors=False)
    out = np.zeros(n + 1, dtype=bool)
    out[order] = True
    return out[:n]


def almost_sure_states_csr(S: sp.spmatrix, target_mask: np.ndarray) -> np.ndarray:
    """Mask of states from which the targets are hit a.s. (S[x, y] ≠ 0: x → y possible; targets absorbing).

    A state fails iff, avoiding the targets, it can reach a state from which the targets are unreachable.
    """
    tmask = np.asarray(target_mask, dtype=bool)
    reach = reach_back(S, tmask, tmask)
    return ~reach_back(S, ~reach, tmask)


# ----------------------------------------------------------------------------- sparse clustered reduction
SPARSE_DENSE_MAX = 2000   # below this size the reduced system is solved by the dense blocked reduction
SPARSE_COARSEN = 8        # consecutive labels merged per level when reducing interface systems


def _dense_rank(labels):
    _, inv = np.unique(labels, return_inverse=True)
    return inv.astype(np.int64)


def _reduce_interiors(A: sp.csr_matrix, t: np.ndarray, C: np.ndarray, labels: np.ndarray):
    """Eliminate, cluster by cluster, every state with no edge to or from another cluster (its interior).

    Batched over clusters of equal shape (numpy 3-D arrays), subtraction-free as in `_eliminate_local`.
    Returns None if there is no interior state, else (keep, A_red, t_red, C_red, back) where keep lists the
    interface states (kept, in the reduced system's order) and back(H_keep) -> H for all states.
    """
    m = A.shape[0]
    A = sp.csr_matrix(A)
    coo = A.tocoo()
    cross = labels[coo.row] != labels[coo.col]
    iface = np.zeros(m, dtype=bool)
    iface[coo.row[cross]] = True
    iface[coo.col[cross]] = True
    if iface.all():
        return None
    # local positions: per cluster, interface states first then interior states
    order = np.lexsort((np.arange(m), ~iface, labels))
    lab_sorted = labels[order]
    starts = np.flatnonzero(np.r_[True, lab_sorted[1:] != lab_sorted[:-1]])
    sizes = np.diff(np.r_[starts, m])
    nf = np.add.reduceat(iface[order].astype(np.int64), starts)
    cl_of_sorted = np.repeat(np.arange(starts.size), sizes)
    local = np.empty(m, dtype=np.int64)
    local[order] = np.arange(m) - starts[cl_of_sorted]
    cl = np.empty(m, dtype=np.int64)
    cl[order] = cl_of_sorted
    r = C.shape[1]
    keep = np.flatnonzero(iface)
    H_parts = []  # (states (G×s), Ab, Cb, e, f) per shape group for the back-substitution
    red_rows, red_cols, red_vals = [coo.row[cross]], [coo.col[cross]], [coo.data[cross]]
    t_red = t.copy()
    C_red = C.copy()
    within = ~cross & (coo.row != coo.col)
    shapes = np.stack([sizes, nf], axis=1)
    uniq, grp = np.unique(shapes, axis=0, return_inverse=True)
    grp = grp.ravel()
    pos_in_grp = np.empty(starts.size, dtype=np.int64)
    for g in range(len(uniq)):
        members = np.flatnonzero(grp == g)
        pos_in_grp[members] = np.arange(members.size)
    wr, wc, wv = coo.row[within], coo.col[within], coo.data[within]
    for g, (s, f) in enumerate(uniq):
        members = np.flatnonzero(grp == g)
        G = members.size
        states = order[starts[members][:, None] + np.arange(s)[None, :]]  # G×s global states, local order
        sel = grp[cl[wr]] == g
        Ab = np.zeros((G, s, s))
        Ab[pos_in_grp[cl[wr[sel]]], local[wr[sel]], local[wc[sel]]] = wv[sel]
        tb = t[states].copy()
        Cb = C[states].copy()           # G×s×r
        e = np.empty((G, s))
        for z in range(s - 1, f - 1, -1):
            ez = Ab[:, z, :z].sum(axis=1) + tb[:, z]
            if not np.all(ez > 0):
                raise ChainError("a state has no exit mass during elimination (target unreachable)")
            e[:, z] = ez
            fz = Ab[:, :z, z] / ez[:, None]                      # G×z
            Ab[:, :z, :z] += fz[:, :, None] * Ab[:, z, None, :z]
            tb[:, :z] += fz * tb[:, z, None]
            Cb[:, :z] += fz[:, :, None] * Cb[:, z, None, :]
        if f > 0:
            fi = states[:, :f]
            t_red[fi] = tb[:, :f]
            C_red[fi] = Cb[:, :f]
            blk = Ab[:, :f, :f].copy()
            idx = np.arange(f)
            blk[:, idx, idx] = 0.0                              # self-loops dropped (exit mass rebuilt)
            gi, a, b = np.nonzero(blk)
            red_rows.append(fi[gi, a])
            red_cols.append(fi[gi, b])
            red_vals.append(blk[gi, a, b])
        H_parts.append((states, Ab, Cb, e, int(s), int(f)))
    pos = -np.ones(m, dtype=np.int64)
    pos[keep] = np.arange(keep.size)
    rr, cc, vv = np.concatenate(red_rows), np.concatenate(red_cols), np.concatenate(red_vals)
    A_red = sp.csr_matrix((vv, (pos[rr], pos[cc])), shape=(keep.size, keep.size))
    A_red.sum_duplicates()

    def back(H_keep):
        H = np.empty((m, r))
        H[keep] = H_keep
        for states, Ab, Cb, e, s, f in H_parts:
            Hb = np.empty((states.shape[0], s, r))
            Hb[:, :f] = H[states[:, :f]]
            for z in range(f, s):
                Hb[:, z] = (Cb[:, z] + np.einsum("gj,gjr->gr", Ab[:, z, :z], Hb[:, :z])) / e[:, z, None]
            H[states[:, f:]] = Hb[:, f:]
        return H

    return keep, A_red, t_red[keep], C_red[keep], back


def hitting_reduction_sparse(A: sp.spmatrix, t: np.ndarray, c: np.ndarray, labels=None) -> np.ndarray:
    """Sparse float64 state reduction for the system of `hitting_reduction` (A off-diagonal, CSR).

    Clustered chains: each level eliminates the interior states of every cluster in vectorised
    batches, leaving the interface states (ends of inter-cluster edges); the next level merges
    SPARSE_COARSEN consecutive labels. Once the system has ≤ SPARSE_DENSE_MAX states it is solved by
    the dense blocked reduction; if a level makes no progress, by the generic dict reduction.
    Subtraction-free throughout. c: vector or m×r matrix. labels: cluster label per state (speed only).
    """
    A = sp.csr_matrix(A, dtype=float)
    A.setdiag(0.0)
    A.eliminate_zeros()
    m = A.shape[0]
    t = np.asarray(t, dtype=float).ravel().copy()
    c = np.asarray(c, dtype=float)
    vec = c.ndim == 1
    C = c.reshape(m, -1).copy()
    if (A.nnz and A.data.min() < 0) or np.any(t < 0):
        raise ChainError("state reduction needs non-negative rates and exit masses")
    labels = np.zeros(m, dtype=np.int64) if labels is None else _dense_rank(np.asarray(labels))
    H = _solve_sparse_levels(A, t, C, labels, coarsen=1)
    return H[:, 0] if vec else H


def _solve_sparse_levels(A, t, C, labels, coarsen):
    m = A.shape[0]
    if m <= SPARSE_DENSE_MAX:
        return hitting_reduction_dense(A.toarray(), t, C)
    lab = _dense_rank(labels) // coarsen
    red = _reduce_interiors(A, t, C, lab)
    if red is None or red[0].size > 0.9 * m:
        if coarsen < m and np.unique(lab).size > 1:
            return _solve_sparse_levels(A, t, C, labels, max(2, coarsen * SPARSE_COARSEN))
        rows = [dict(zip(A.indices[A.indptr[i]:A.indptr[i + 1]].tolist(),
                         A.data[A.indptr[i]:A.indptr[i + 1]].tolist())) for i in range(m)]
        order = np.lexsort((np.arange(m), labels)).tolist()
        cols = []
        for j in range(C.shape[1]):
            cols.append(hitting_reduction(rows, t.tolist(), C[:, j].tolist(), order=order))
        return np.array(cols).T
    keep, A_red, t_red, C_red, back = red
    if keep.size == 0:
        return back(np.empty((0, C.shape[1])))
    H_keep = _solve_sparse_levels(A_red, t_red, C_red, labels[keep], SPARSE_COARSEN)
    return back(H_keep)
