"""Certified enclosures: subtraction-free state reduction in outward-rounded ball arithmetic (spec 06, 07).

The reductions of :mod:`metacot.numerics.solvers.reduction` use only +, × and ÷ of non-negative numbers
(every diagonal term is rebuilt from exit mass, never formed as 1 − p). Run on python-flint ``arb``
balls, every intermediate quantity is a ball around a non-negative number, so no cancellation can
widen it: relative radii grow like (operations on the path)·2^−prec, whatever ε is. The result of each
routine is a list of :class:`~metacot.numerics.numbers.Interval` with exact rational endpoints
[mid − rad, mid + rad] of the final balls, guaranteed to contain the true value (rung *certified*).

What "the true value" means. The kernel is P(ε) = P0 + ε·P1 evaluated exactly in rationals:

* exact chains: the Fraction entries as given; ε rational (int, Fraction, or a decimal string such as
  ``"1e-400"``, parsed exactly by :meth:`Chain.check_eps`);
* float chains: each stored float64 entry is an exact binary rational and is taken at that value
  (after the chain's own row renormalisation of P0);
* a float (or mpmath) ε is taken at its exact binary value ``Fraction(eps)``; pass a string or a
  Fraction to mean a decimal rational exactly.

Only off-diagonal entries are read; the diagonal is 1 − (off-diagonal row sum), as in every state
reduction. An off-diagonal entry P0 + ε·P1 that is negative in exact arithmetic (possible for float
chains within rounding of eps_max) is set to 0, as :meth:`Chain.kernel` does. ε may be far below the
float range (1e-400): arb has an unbounded exponent range, and Fractions carry the inputs exactly.

Precision. With ``prec=None`` the working precision starts at ``START_PREC`` bits and doubles until
every enclosure has relative width ≤ ``rtol`` (exact zeros count as width 0); past ``max_prec`` bits
a :class:`~metacot.numerics.errors.PrecisionError` is raised instead of returning a wide interval.
An explicit ``prec`` runs once at that precision and returns the enclosures whatever their width
(still rigorous).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from flint import arb, ctx, fmpq

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError, MetacotError, PrecisionError
from metacot.numerics.numbers import Interval, exact_value
from metacot.numerics.solvers.reduction import almost_sure_states, hitting_reduction, reach_back

START_PREC = 128           # bits of the first pass (≈ 38 digits; 100–200-state chains come out near 1e-32)
MAX_PREC = 4096            # precision cap of the automatic loop (error beyond it)
RTOL = Fraction(1, 10**20)  # default target relative width of every enclosure

_ZERO = Interval(Fraction(0), Fraction(0))
_ONE = Interval(Fraction(1), Fraction(1))


# ----------------------------------------------------------------------------- inputs and outputs
def _exact_eps(chain: Chain, eps) -> Fraction:
    return exact_value(chain.check_eps(eps, allow_zero=True))


def _offdiag_rows(chain: Chain, eps: Fraction) -> list[dict[int, Fraction]]:
    from metacot.numerics.solvers.stationary import exact_offdiag_rows

    return exact_offdiag_rows(chain, eps)

def _ball(q: Fraction):
    """q as an arb ball at the working precision (exact 0 stays an exact zero)."""
    return arb(fmpq(q.numerator, q.denominator)) if q else arb(0)


def _ball_interval(b) -> Interval:
    """The exact rational endpoints [mid − rad, mid + rad] of a finite arb ball."""
    if not b.is_finite():
        raise PrecisionError("the enclosure is not finite (raise the precision)")
    return Interval.from_arb(b)


def _worst_width(values) -> Fraction | float:
    """Largest relative width among the Interval values (exact zeros count as 0; others ignored)."""
    worst = Fraction(0)
    for v in values:
        if isinstance(v, Interval):
            w = v.relative_width()
            if w > worst:
                worst = w
    return worst


def _with_precision(compute, prec, rtol, max_prec, what: str) -> list:
    """Run compute(bits) -> list (Intervals and specials) at `prec`, or at doubling precisions until
    the worst relative width is ≤ rtol; raise PrecisionError past max_prec."""
    if prec is not None:
        if isinstance(prec, bool) or not isinstance(prec, (int, np.integer)) or prec < 2:
            raise MetacotError(f"prec must be an integer number of bits ≥ 2, got {prec!r}")
        return compute(int(prec))
    rtol = exact_value(rtol)
    if rtol <= 0:
        raise MetacotError(f"rtol must be positive, got {rtol}")
    if isinstance(max_prec, bool) or not isinstance(max_prec, (int, np.integer)) or max_prec < 2:
        raise MetacotError(f"max_prec must be an integer number of bits ≥ 2, got {max_prec!r}")
    bits = min(START_PREC, int(max_prec))
    while True:
        try:
            out = compute(bits)
            worst = _worst_width(out)
        except PrecisionError:
            out, worst = None, math.inf
        if worst <= rtol:
            return out
        if bits >= max_prec:
            shown = "not finite" if worst == math.inf else f"{float(worst):.3g}"
            raise PrecisionError(
                f"{what}: relative width {shown} > rtol = {float(rtol):.3g} at the precision cap of {max_prec} bits; "
                "pass a larger max_prec or a looser rtol")
        bits = min(2 * bits, int(max_prec))


def _targets(chain: Chain, target) -> set[int]:
    from metacot.numerics.solvers.hitting import _targets as targets_of

    return targets_of(chain, target)


def _order(chain: Chain, unknown):
    from metacot.numerics.solvers.hitting import _cluster_order

    return _cluster_order(chain, unknown)


def _support(rows, n) -> sp.csr_matrix:
    ii = [x for x, r in enumerate(rows) for _ in r]
    jj = [y for r in rows for y in r]
    return sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(n, n), dtype=bool)


def _reduce(A, t, c, order, bits):
    """hitting_reduction on balls at `bits` bits: A, t, c exact rationals (converted once, outward)."""
    with ctx.workprec(bits):
        Ab = [{y: _ball(v) for y, v in r.items()} for r in A]
        h = hitting_reduction(Ab, [_ball(v) for v in t], [_ball(v) for v in c], order=order)
        return [_ball_interval(v) for v in h]


# ----------------------------------------------------------------------------- hitting times
def certified_hitting_times(chain: Chain, target, eps, *, prec: int | None = None, rtol=RTOL,
                            max_prec: int = MAX_PREC) -> list:
    """Enclosures of E_x[τ_target] for every state x at P(ε), τ = inf{t ≥ 0 : X_t ∈ target} (steps).

    Solves e(x) h(x) = 1 + Σ_{y≠x} P(x, y) h(y) on the states that hit the target almost surely, with
    exit mass e(x) = Σ_{y≠x, y∉target} P(x, y) + P(x, target), by the state reduction
    :func:`~metacot.numerics.solvers.reduction.hitting_reduction` run on arb balls, eliminating cluster
    by cluster. Certified evidence for the hitting.* claims (spec 01, 07).

    Parameters
    ----------
    chain : Chain
        Exact or float chain (floats are taken at their exact binary values).
    target : int or iterable of int
        Target state(s).
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max; strings and Fractions are exact, floats their binary value.
    prec : int, optional
        Fixed working precision in bits (one pass). Default: automatic, see ``rtol``.
    rtol : number
        Target relative width of every enclosure for the automatic precision (default 1e-20).
    max_prec : int
        Precision cap in bits of the automatic loop (default 4096).

    Returns
    -------
    list
        One entry per state: an :class:`~metacot.numerics.numbers.Interval` containing E_x[τ],
        ``Interval(0, 0)`` on the target, ``math.inf`` where the target is not hit almost surely.

    Raises
    ------
    MetacotError
        Unknown target state; ε out of range (EpsilonError).
    PrecisionError
        The width target is not met at ``max_prec`` bits.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 2)
    >>> h = certified_hitting_times(c, c.target, "1e-400")
    >>> h[c.target]
    Interval(lo=Fraction(0, 1), hi=Fraction(0, 1))
    >>> 2 * 10**400 - 1 in h[0]          # E_0[τ] = 2/ε − 1 exactly for ring(2, 2)
    True
    >>> float(h[0].relative_width()) <= 1e-20
    True
    """
    targets = _targets(chain, target)
    e = _exact_eps(chain, eps)
    rows = _offdiag_rows(chain, e)
    n = chain.n
    ok = almost_sure_states([list(r) for r in rows], targets)
    unknown = [x for x in range(n) if ok[x] and x not in targets]
    idx = {x: i for i, x in enumerate(unknown)}
    A, t = [], []
    for x in unknown:
        r, tx = {}, Fraction(0)
        for y, v in rows[x].items():
            if y in idx:
                r[idx[y]] = v
            else:  # an almost-sure state only leads to almost-sure states or the target
                tx += v
        A.append(r)
        t.append(tx)
    order = _order(chain, unknown)

    def compute(bits):
        h = _reduce(A, t, [Fraction(1)] * len(unknown), order, bits) if unknown else []
        out = [math.inf] * n
        for y in targets:
            out[y] = _ZERO
        for x, v in zip(unknown, h):
            out[x] = v
        return out

    return _with_precision(compute, prec, rtol, max_prec, "certified hitting times")


# ----------------------------------------------------------------------------- absorption probabilities
def _avoid_set(chain: Chain, avoid) -> set[int]:
    if avoid is None or (isinstance(avoid, (list, tuple, set, frozenset)) and not len(avoid)):
        return set()
    return _targets(chain, avoid)


def certified_absorption_probabilities(chain: Chain, target, eps, avoid=(), *, prec: int | None = None,
                                       rtol=RTOL, max_prec: int = MAX_PREC) -> list[Interval]:
    """Enclosures of u(x) = P_x(hit `target` before `avoid`) at P(ε), for every state x.

    u = 1 on the target, 0 on `avoid` and on states that cannot reach the target without passing
    through `avoid`; on the other states e(x) u(x) = P(x, target) + Σ_{y≠x} P(x, y) u(y), with e(x)
    their exit mass, solved by subtraction-free state reduction in ball arithmetic (conventions of
    :func:`~metacot.numerics.solvers.hitting.hitting_probabilities`).

    Parameters
    ----------
    chain : Chain
        Exact or float chain (floats at their exact binary values).
    target, avoid : int or iterable of int
        Disjoint state sets; `avoid` may be empty.
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    prec, rtol, max_prec
        Precision control, as in :func:`certified_hitting_times`.

    Returns
    -------
    list of Interval
        One enclosure per state.

    Raises
    ------
    MetacotError
        Unknown states, or a state in both target and avoid.
    PrecisionError
        The width target is not met at ``max_prec`` bits.

    Examples
    --------
    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0, 0], ["1/3", "1/3", "1/3"], [0, 0, 1]])
    >>> u = certified_absorption_probabilities(c, 2, 0, avoid=[0])
    >>> Fraction(1, 2) in u[1], u[0], u[2]
    (True, Interval(lo=Fraction(0, 1), hi=Fraction(0, 1)), Interval(lo=Fraction(1, 1), hi=Fraction(1, 1)))
    """
    targets = _targets(chain, target)
    avoid_set = _avoid_set(chain, avoid)
    if targets & avoid_set:
        raise MetacotError(f"states {sorted(targets & avoid_set)} are both in target and avoid")
    e = _exact_eps(chain, eps)
    rows = _offdiag_rows(chain, e)
    n = chain.n
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    stop = tmask.copy()
    stop[list(avoid_set)] = True
    reach = reach_back(_support(rows, n), tmask, stop)   # can reach the target avoiding `avoid`
    unknown = [x for x in range(n) if reach[x] and not stop[x]]
    idx = {x: i for i, x in enumerate(unknown)}
    A, t, c = [], [], []
    for x in unknown:
        r, tx, cx = {}, Fraction(0), Fraction(0)
        for y, v in rows[x].items():
            if y in idx:
                r[idx[y]] = v
            else:
                tx += v
                if y in targets:
                    cx += v
        A.append(r)
        t.append(tx)
        c.append(cx)
    order = _order(chain, unknown)

    def compute(bits):
        u = _reduce(A, t, c, order, bits) if unknown else []
        out = [_ZERO] * n
        for y in targets:
            out[y] = _ONE
        for x, v in zip(unknown, u):
            out[x] = v
        return out

    return _with_precision(compute, prec, rtol, max_prec, "certified absorption probabilities")


# ----------------------------------------------------------------------------- stationary law
def _gth_balls(D):
    """GTH on a dense square list of arb balls (diagonal ignored); mirrors reduction.gth_stationary."""
    A = [list(r) for r in D]
    n = len(A)
    zero = arb(0)
    for k in range(n - 1, 0, -1):
        rowk = A[k]
        s = zero
        for j in range(k):
            s = s + rowk[j]
        if s.is_zero():  # exact zero: every term structurally zero
            raise ChainError("kernel is reducible: GTH found a state with no exit mass to lower states")
        for i in range(k):
            aik = A[i][k]
            if aik.is_zero():  # an exact zero contributes nothing; a ball meeting 0 is never skipped
                continue
            aik = aik / s
            rowi = A[i]
            rowi[k] = aik
            for j in range(k):
                rowi[j] = rowi[j] + aik * rowk[j]
    pi = [arb(1)]
    for k in range(1, n):
        acc = zero
        for i in range(k):
            acc = acc + pi[i] * A[i][k]
        pi.append(acc)
    tot = zero
    for p in pi:
        tot = tot + p
    return [p / tot for p in pi]


def certified_stationary_law(chain: Chain, eps, *, prec: int | None = None, rtol=RTOL,
                             max_prec: int = MAX_PREC) -> list[Interval]:
    """Enclosures of the stationary law π of P(ε) (π P = π, Σ π = 1) by GTH elimination in ball arithmetic.

    The Grassmann–Taksar–Heyman reduction eliminates states n−1, …, 1; the exit mass of state k is the
    sum of its off-diagonal entries towards lower states, never 1 − P(k, k), so the enclosures stay
    tight at every ε (spec 06 trap: [[1−a, a], [a/2, 1−a/2]] → (1/3, 2/3) for every a > 0). Unichains
    are handled as by :func:`~metacot.numerics.solvers.stationary.stationary_distribution`: GTH on the
    unique closed class R of P(ε), π = 0 exactly on the transient states; more than one closed class
    raises ChainError.

    Parameters
    ----------
    chain : Chain
        Exact or float chain (floats at their exact binary values).
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    prec, rtol, max_prec
        Precision control, as in :func:`certified_hitting_times`.

    Returns
    -------
    list of Interval
        One enclosure of π(x) per state.

    Raises
    ------
    ChainError
        P(ε) has more than one closed class (the stationary law is not unique).
    PrecisionError
        The width target is not met at ``max_prec`` bits.

    Examples
    --------
    >>> from metacot.numerics.chain import Chain
    >>> a = Fraction(1, 10**400)
    >>> c = Chain.from_dense([[1 - a, a], [a / 2, 1 - a / 2]])
    >>> pi = certified_stationary_law(c, 0)
    >>> Fraction(1, 3) in pi[0], Fraction(2, 3) in pi[1]
    (True, True)
    """
    from metacot.numerics.solvers.stationary import recurrent_classes

    e = _exact_eps(chain, eps)
    rows = _offdiag_rows(chain, e)
    n = chain.n
    classes, _ = recurrent_classes(_support(rows, n))
    if len(classes) != 1:
        heads = ", ".join("{" + ", ".join(map(str, c[:3])) + (", …" if len(c) > 3 else "") + "}" for c in classes[:4])
        raise ChainError(f"the kernel has {len(classes)} closed classes ({heads}{', …' if len(classes) > 4 else ''}): "
                         "its stationary law is not unique; restrict the chain to one closed class")
    R = classes[0]
    pos = {x: i for i, x in enumerate(R)}

    def compute(bits):
        with ctx.workprec(bits):
            zero = arb(0)
            D = [[zero] * len(R) for _ in R]
            for x in R:
                for y, v in rows[x].items():   # R is closed: every off-diagonal entry of x stays in R
                    D[pos[x]][pos[y]] = _ball(v)
            pi = _gth_balls(D)
        out = [_ZERO] * n
        for x, p in zip(R, pi):
            out[x] = _ball_interval(p)
        return out

    return _with_precision(compute, prec, rtol, max_prec, "certified stationary law")
