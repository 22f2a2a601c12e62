"""Double-double arithmetic on float64 arrays: error-free transformations for the sparse reduction.

A double-double number is an unevaluated sum hi + lo of two float64 arrays with |lo| ≤ ulp(hi)/2, about
106 significant bits. `solvers.reduction` carries the right-hand sides and solutions of the float state
reduction in this form (the eliminated rates stay float64): on long chains of clusters the rounding of
the propagated costs, one per elimination level, is what limits float64 accuracy, while the rates
themselves are computed to full relative accuracy (spec 06).

* `two_sum(a, b)` — s + e = a + b exactly (Knuth).
* `two_prod(a, b)` — p + e = a·b exactly (Dekker, on frexp mantissas: no overflow or underflow in the
  splitting at any magnitude; the error term is exact while a·b is at least 2⁻⁹⁶⁹ in magnitude).
* `mul(hi, lo, f)`, `div(hi, lo, d)`, `add(ahi, alo, bhi, blo)` — double-double by float64 and sums.
* `scatter_add(hi, lo, index, vhi, vlo)` — hi + lo += v at `index`, repeated indices included.

A value whose high word overflows to ±inf stays ±inf with a zero low word (no NaN from inf − inf); call
these under ``np.errstate(over="ignore", invalid="ignore")`` where overflow is expected.
"""
from __future__ import annotations

import numpy as np

_SPLIT = 134217729.0   # 2**27 + 1, Veltkamp's splitting constant for float64


def two_sum(a, b):
    """s, e with s = fl(a + b) and s + e = a + b exactly (Knuth's TwoSum, any order of magnitude).

    Examples
    --------
    >>> two_sum(1.0, 2.0 ** -60)
    (1.0, 8.673617379884035e-19)
    """
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a, b):
    """s, e with s + e = a + b exactly, for |a| ≥ |b| (or a = 0); an infinite a stays (a, 0)."""
    s = a + b
    e = b - (s - a)
    bad = ~np.isfinite(a)
    if bad.any():
        s, e = np.where(bad, a, s), np.where(bad, 0.0, e)
    return s, e


_SAFE = 2.0 ** 995     # below this magnitude Veltkamp's split of a float64 cannot overflow


def _split(x):
    c = _SPLIT * x
    h = c - (c - x)
    return h, x - h


def two_prod(a, b):
    """p, e with p = fl(a·b) and p + e = a·b exactly (Dekker's product on frexp mantissas).

    Examples
    --------
    >>> p, e = two_prod(1.0 + 2.0 ** -30, 1.0 + 2.0 ** -30)
    >>> float(p), float(e)
    (1.0000000018626451, 8.673617379884035e-19)
    >>> p, e = two_prod(3e300, 7e-300)       # Dekker's splitting of 3e300 itself would overflow
    >>> float(p), float(e)
    (21.000000000000004, -1.4265300213943384e-15)
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    p = a * b
    if a.size and b.size and np.abs(a).max() < _SAFE and np.abs(b).max() < _SAFE:
        ah, al = _split(a)
        bh, bl = _split(b)
        return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl
    ma, ea = np.frexp(a)
    mb, eb = np.frexp(b)
    ah, al = _split(ma)
    bh, bl = _split(mb)
    pm = ma * mb
    em = ((ah * bh - pm) + ah * bl + al * bh) + al * bl
    e = np.ldexp(em, ea + eb)
    e = np.where(np.isfinite(p), e, 0.0)
    return p, e


def add(ahi, alo, bhi, blo):
    """(ahi + alo) + (bhi + blo) as a normalised double-double (relative error ≈ 2⁻¹⁰⁵).

    Examples
    --------
    >>> [float(v) for v in add(1.0, 0.0, 2.0 ** -60, 0.0)]
    [1.0, 8.673617379884035e-19]
    """
    s, e = two_sum(ahi, bhi)
    return _fast_two_sum(s, e + (alo + blo))


def mul(hi, lo, f):
    """(hi + lo)·f for a float64 f, as a normalised double-double.

    Examples
    --------
    >>> [float(v) for v in mul(3.0, 0.0, 1.0 / 3.0)]
    [1.0, -5.551115123125783e-17]
    """
    p, e = two_prod(hi, f)
    return _fast_two_sum(p, e + lo * f)


def div(hi, lo, d):
    """(hi + lo)/d for a float64 d > 0, as a normalised double-double.

    Examples
    --------
    >>> [float(v) for v in div(1.0, 0.0, 3.0)]
    [0.3333333333333333, 1.850371707708594e-17]
    """
    q = hi / d
    p, e = two_prod(q, d)
    r = ((hi - p) - e + lo) / d
    return _fast_two_sum(q, r)


def scatter_add(hi, lo, index, vhi, vlo):
    """hi + lo += vhi + vlo at rows `index` (in place, repeated rows each added once, in order).

    The additions to one row are made in turn (the k-th contribution to every row at once, k = 0, 1, …),
    each a double-double `add`. hi, lo are (m,) or (m, r); vhi, vlo have one row per index.

    Examples
    --------
    >>> hi, lo = np.zeros(2), np.zeros(2)
    >>> scatter_add(hi, lo, np.array([0, 0, 1]), np.array([1.0, 2.0 ** -60, 1.0]), np.zeros(3))
    >>> hi.tolist(), lo.tolist()
    ([1.0, 1.0], [8.673617379884035e-19, 0.0])
    """
    index = np.asarray(index)
    if index.size == 0:
        return
    if index.size > 1 and (index[1:] < index[:-1]).any():
        order = np.argsort(index, kind="stable")
        si = index[order]
    else:               # already sorted (CSR row order, the common case): no sort needed
        order, si = None, index
    first = np.r_[True, si[1:] != si[:-1]]
    start = np.flatnonzero(first)
    count = np.diff(np.r_[start, si.size])
    k = 0
    live = start
    while live.size:
        sel = live + k if order is None else order[live + k]
        rows = index[sel]
        hi[rows], lo[rows] = add(hi[rows], lo[rows], vhi[sel], vlo[sel])
        k += 1
        live = start[count > k]
