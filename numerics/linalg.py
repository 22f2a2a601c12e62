"""Subtraction-free state reduction (GTH family): stationary laws and mean hitting times.

All routines work on off-diagonal rates only; the diagonal ("stay") term of a row is rebuilt
from its exit mass, never from 1 − p, so relative accuracy does not depend on ε (spec 06).
The generic (dict-row) versions run over any field: Fraction (exact), mpmath.mpf (high
precision), float, or a sympy fraction field in ε (rational functions, for Laurent expansions).
"""
from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .errors import ChainError


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

    adj_rows[x] is an iterable of successors of x (support of the kernel). A state fails iff it
    can reach, avoiding targets, a state from which the targets are unreachable.
    """
    n = len(adj_rows)
    pred = [[] for _ in range(n)]
    for x in range(n):
        if x in targets:
            continue
        for y in adj_rows[x]:
            if y != x:
                pred[y].append(x)
    reach = np.zeros(n, dtype=bool)
    dq = deque(targets)
    for t in targets:
        reach[t] = True
    while dq:
        y = dq.popleft()
        for x in pred[y]:
            if not reach[x]:
                reach[x] = True
                dq.append(x)
    bad = ~reach
    dq = deque(np.flatnonzero(bad).tolist())
    while dq:
        y = dq.popleft()
        for x in pred[y]:
            if not bad[x]:
                bad[x] = True
                dq.append(x)
    return ~bad


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


def hitting_reduction_dense(A: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Float64 dense state reduction for the same system as `hitting_reduction` (O(m³), vectorised).

    A: m×m off-diagonal rates (diagonal ignored), t: exit mass into the target, c: cost per visit.
    """
    A = np.array(A, dtype=float)
    t = np.array(t, dtype=float)
    c = np.array(c, dtype=float)
    m = A.shape[0]
    np.fill_diagonal(A, 0.0)
    e = np.empty(m)
    for z in range(m - 1, -1, -1):
        ez = A[z, :z].sum() + t[z]
        if ez <= 0:
            raise ChainError(f"state {z} has no exit mass during elimination (target unreachable)")
        e[z] = ez
        if z == 0:
            break
        f = A[:z, z] / ez
        A[:z, :z] += np.outer(f, A[z, :z])
        t[:z] += f * t[z]
        c[:z] += f * c[z]
    h = np.empty(m)
    h[0] = c[0] / e[0]
    for z in range(1, m):
        h[z] = (c[z] + A[z, :z] @ h[:z]) / e[z]
    return h
