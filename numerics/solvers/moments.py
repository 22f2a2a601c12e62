"""Moments of hitting times: from an initial law, between sets, second moments and variance (spec 08 F2).

τ_A = inf{t ≥ 0 : X_t ∈ A} (units: steps). With h(x) = E_x[τ_A] and Q = P(ε) restricted to the
states outside A that hit A almost surely:

* first moment   (I − Q) h  = 1,
* second moment  (I − Q) m₂ = 2h − 1   (m₂(x) = E_x[τ_A²]),
* variance       Var_x(τ_A) = m₂(x) − h(x)².

Derivation of the second: for x ∉ A, τ = 1 + τ∘θ₁, so E_x[τ²] = 1 + 2 Σ_y P(x,y) h(y) + Σ_y P(x,y) m₂(y),
and Σ_y P(x,y) h(y) = h(x) − 1; hence m₂(x) = (2h(x) − 1) + Σ_y P(x,y) m₂(y). Both systems are solved by
the same subtraction-free state reduction (cost vector 1, then 2h − 1 ≥ 1), so m₂ keeps the accuracy of h
at every ε. From an initial law ν: E_ν[τ^k] = Σ_x ν(x) E_x[τ^k] and Var_ν(τ) = E_ν[τ²] − (E_ν[τ])².
deeptime's ``mfpt(T, target, origin)`` is :func:`mean_first_passage_time`: ν = π restricted to the
origin set and renormalised. :func:`hitting_moments_laurent` gives h, m₂ and Var as exact rational
functions of ε; F2 compares the ε⁻² coefficient of Var(τ) with the variance of the meta-chain hitting
time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from metacot.numerics.errors import MetacotError, UnreachableTargetError
from metacot.numerics.numbers import Interval, to_mpf

METHODS = ("auto", "exact", "mp", "float")
FLOAT_ROW_TOL = 1e-12  # float initial laws: |Σν − 1| ≤ this, then renormalised (as chain rows, spec 06)


@dataclass(frozen=True)
class HittingMoments:
    """Mean, second moment and variance of τ_A (steps, steps², steps²): per state or under a law.

    Attributes
    ----------
    mean, second_moment, variance
        Lists (exact: Fraction, mp: mpf), float ndarrays, or scalars (from an initial law);
        ``inf`` where A is not hit almost surely.
    method : str
        The method that produced the values.
    """

    mean: object
    second_moment: object
    variance: object
    method: str


@dataclass(frozen=True)
class HittingMomentsLaurent:
    """E[τ], E[τ²] and Var(τ) as exact RationalFunctions of ε (``.laurent(order)``, ``.evaluate(eps)``)."""

    mean: object
    second_moment: object
    variance: object


# ----------------------------------------------------------------------------- inputs
def _pick(chain, eps, method, allowed=METHODS):
    if method not in allowed:
        raise MetacotError(f"unknown method {method!r} for this quantity (choose from {', '.join(allowed)})")
    if method == "auto":
        from metacot.numerics.solvers.hitting import EXACT_AUTO_MAX_N

        return "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N) else "float"
    return method


def initial_law(chain, initial) -> list[tuple[int, object]]:
    """Parse an initial law ν into [(state, weight > 0), …] with Σ weight = 1.

    Parameters
    ----------
    chain : Chain
    initial : int, dict or sequence
        A start state (point mass), a dict {state: weight}, or a length-n sequence of weights.
        Weights: ints, Fractions or rational strings ("1/3") stay exact and must sum to exactly 1;
        floats must sum to 1 within 1e-12 and are renormalised.

    Returns
    -------
    list of (int, weight)

    Raises
    ------
    MetacotError
        Unknown states, negative weights, or weights not summing to 1.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> initial_law(ring(2, 2), {0: "1/4", 1: "3/4"})
    [(0, Fraction(1, 4)), (1, Fraction(3, 4))]
    """
    from metacot.numerics.numbers import parse_number

    n = chain.n
    if isinstance(initial, (int, np.integer)) and not isinstance(initial, bool):
        if not 0 <= int(initial) < n:
            raise MetacotError(f"unknown start state {initial!r} (states are 0..{n - 1})")
        return [(int(initial), Fraction(1))]
    if isinstance(initial, dict):
        items = list(initial.items())
    else:
        try:
            vals = list(initial)
        except TypeError:
            raise MetacotError(f"initial law must be a state, a dict {{state: weight}} or {n} weights, "
                               f"got {initial!r}") from None
        if len(vals) != n:
            raise MetacotError(f"initial law has {len(vals)} weights, expected one per state ({n})")
        items = list(enumerate(vals))
    out = []
    seen = set()
    for x, w in items:
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= int(x) < n:
            raise MetacotError(f"unknown state {x!r} in the initial law (states are 0..{n - 1})")
        if int(x) in seen:
            raise MetacotError(f"state {x} appears twice in the initial law")
        seen.add(int(x))
        w = parse_number(w.item() if isinstance(w, np.generic) else w, what=f"initial law weight of state {x}")
        if w < 0:
            raise MetacotError(f"initial law weight of state {x} is negative ({w})")
        if w:
            out.append((int(x), w))
    if not out:
        raise MetacotError("initial law has no positive weight")
    if all(isinstance(w, Fraction) for _, w in out):
        tot = sum((w for _, w in out), Fraction(0))
        if tot != 1:
            from metacot.numerics.numbers import format_number

            raise MetacotError(f"initial law weights sum to {format_number(tot)}, not 1")
        return out
    tot = math.fsum(float(w) for _, w in out)
    if abs(tot - 1.0) > FLOAT_ROW_TOL:
        raise MetacotError(f"initial law weights sum to {tot!r}, not 1 (tolerance {FLOAT_ROW_TOL:g})")
    return [(x, float(w) / tot) for x, w in out]


def _is_inf(v) -> bool:
    return v is None or (not isinstance(v, Interval) and (v == math.inf or (isinstance(v, mpmath.mpf)
                                                                            and mpmath.isinf(v))))


def _average(values, law, what: str, target_text: str):
    """Σ ν(x) values[x] in the field of the values (Fraction, mpf, float or Interval with exact weights)."""
    for x, _ in law:
        if _is_inf(values[x]):
            raise UnreachableTargetError(f"target {target_text} is not reached almost surely from state {x}, "
                                         f"which has positive initial weight: {what} is infinite")
    first = values[law[0][0]]
    if isinstance(first, Interval):
        lo = sum((Fraction(w) * values[x].lo for x, w in law), Fraction(0))
        hi = sum((Fraction(w) * values[x].hi for x, w in law), Fraction(0))
        return Interval(lo, hi)
    if isinstance(first, Fraction) and all(isinstance(w, Fraction) for _, w in law):
        return sum((w * values[x] for x, w in law), Fraction(0))
    if isinstance(first, mpmath.mpf):
        return mpmath.fsum(_mpf(w) * values[x] for x, w in law)
    return math.fsum(float(w) * float(values[x]) for x, w in law)


def _mpf(w):
    return to_mpf(w)


def _target_text(chain, target) -> str:
    from metacot.numerics.solvers.hitting import _targets

    ts = sorted(_targets(chain, target))
    return str(ts[0]) if len(ts) == 1 else "{" + ", ".join(map(str, ts)) + "}"


# ----------------------------------------------------------------------------- means from a law / between sets
def hitting_time_from(chain, initial, target, eps, method: str = "auto", *, dps: int = 50):
    """E_ν[τ_A] = Σ_x ν(x) E_x[τ_A] (steps) for an initial law ν.

    Parameters
    ----------
    chain : Chain
    initial : int, dict or sequence
        ν, as :func:`initial_law` (a state, {state: weight}, or n weights).
    target : int or iterable of int
        The set A.
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    method : {"auto", "exact", "mp", "float", "certified"}
        As :func:`~metacot.numerics.solvers.hitting.expected_hitting_times`; certified returns an
        Interval (exact weighted sums of the per-state enclosures).
    dps : int
        Decimal digits for "mp".

    Returns
    -------
    Fraction, mpf, float or Interval

    Raises
    ------
    UnreachableTargetError
        ν charges a state from which A is not hit almost surely.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)
    >>> hitting_time_from(c, {0: "1/2", 1: "1/2"}, c.target, "1/100")
    Fraction(401, 1)
    """
    from metacot.numerics.solvers.hitting import expected_hitting_times

    law = initial_law(chain, initial)
    h = expected_hitting_times(chain, target, eps, method, dps=dps)
    if method == "mp":
        with mpmath.workdps(dps):
            return _average(h, law, "E[tau]", _target_text(chain, target))
    return _average(h, law, "E[tau]", _target_text(chain, target))


def mean_first_passage_time(chain, target, eps, origin=None, method: str = "auto", *, dps: int = 50):
    """Mean first passage time to a set, deeptime's ``mfpt(T, target, origin)`` (steps).

    Without `origin`: the vector E_x[τ_A] for every state x. With an origin set O:

        mfpt(O → A) = Σ_{x∈O} π(x) E_x[τ_A] / Σ_{x∈O} π(x),

    π the stationary law of P(ε) (GTH, unichains allowed), i.e. E_ν[τ_A] for ν = π restricted to O
    and renormalised (the chain observed in O at stationarity). τ_A = inf{t ≥ 0 : X_t ∈ A}, so states
    of O ∩ A contribute 0.

    Parameters
    ----------
    chain : Chain
    target : int or iterable of int
        The set A.
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    origin : int or iterable of int, optional
        The set O.
    method : {"auto", "exact", "mp", "float", "certified"}
        Method of both the hitting times and π; certified: Interval (quotient of interval sums).
    dps : int
        Decimal digits for "mp".

    Returns
    -------
    per-state values (no origin) or one value

    Raises
    ------
    MetacotError
        π(O) = 0 (every origin state is transient): give an initial law to :func:`hitting_time_from`.
    UnreachableTargetError
        A state of O with π > 0 does not hit A almost surely.

    Examples
    --------
    deeptime's 3-state birth–death case (p1 = 7/10, q2 = 2/5, p2 = 1/2, q3 = 3/5):
    mfpt({0, 1} → 2) = (m2[0] μ0 + m2[1] μ1)/(μ0 + μ1) with μ ∝ (1, p1/q2, p1 p2/(q2 q3)).

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([["3/10", "7/10", 0], ["2/5", "1/10", "1/2"], [0, "3/5", "2/5"]])
    >>> mean_first_passage_time(c, 2, 0)
    [Fraction(32, 7), Fraction(22, 7), Fraction(0, 1)]
    >>> mean_first_passage_time(c, 2, 0, origin=[0, 1])
    Fraction(282, 77)
    """
    from metacot.numerics.solvers.committor import _state_set
    from metacot.numerics.solvers.hitting import expected_hitting_times
    from metacot.numerics.solvers.stationary import stationary_law

    h = expected_hitting_times(chain, target, eps, method, dps=dps)
    if origin is None:
        return h
    O = sorted(_state_set(chain, origin, "origin"))
    if not O:
        raise MetacotError("the origin set is empty")
    pi = stationary_law(chain, eps, method, dps=dps)
    text = _target_text(chain, target)
    if method == "certified":
        w = [(x, pi[x]) for x in O if pi[x].hi > 0]
        if not w:
            raise MetacotError("the origin set has stationary mass 0 (all its states are transient); "
                               "use an initial law (hitting_time_from) instead")
        for x, _ in w:
            if _is_inf(h[x]):
                raise UnreachableTargetError(f"target {text} is not reached almost surely from origin state {x}")
        num_lo = sum((p.lo * h[x].lo for x, p in w), Fraction(0))
        num_hi = sum((p.hi * h[x].hi for x, p in w), Fraction(0))
        den_lo = sum((p.lo for _, p in w), Fraction(0))
        den_hi = sum((p.hi for _, p in w), Fraction(0))
        if den_lo <= 0:
            raise MetacotError("the stationary mass of the origin set is not bounded away from 0 by its enclosure")
        return Interval(num_lo / den_hi, num_hi / den_lo)
    ctx = mpmath.workdps(dps) if isinstance(pi[0], mpmath.mpf) else _Null()
    with ctx:
        w = [(x, pi[x]) for x in O if pi[x] > 0]
        if not w:
            raise MetacotError("the origin set has stationary mass 0 (all its states are transient); "
                               "use an initial law (hitting_time_from) instead")
        for x, _ in w:
            if _is_inf(h[x]):
                raise UnreachableTargetError(f"target {text} is not reached almost surely from origin state {x}")
        if isinstance(pi[0], Fraction):
            tot = sum((p for _, p in w), Fraction(0))
            return sum((p * h[x] for x, p in w), Fraction(0)) / tot
        if isinstance(pi[0], mpmath.mpf):
            return mpmath.fsum(p * h[x] for x, p in w) / mpmath.fsum(p for _, p in w)
        return math.fsum(float(p) * float(h[x]) for x, p in w) / math.fsum(float(p) for _, p in w)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


# ----------------------------------------------------------------------------- second moments
def _moments_field(chain, targets, eps, method, dps):
    """(h, m2) per state over Fraction / mpf by two state reductions; inf where A is not hit a.s."""
    from metacot.numerics.solvers.hitting import _cluster_order, _system
    from metacot.numerics.solvers.reduction import hitting_reduction
    from metacot.numerics.solvers.stationary import _kernel_field_rows

    rows = _kernel_field_rows(chain, eps, method)
    zero = Fraction(0) if method == "exact" else mpmath.mpf(0)
    inf = math.inf if method == "exact" else mpmath.inf
    ok, unknown, A, t = _system(rows, targets, zero)
    n = chain.n
    h_out, m_out = [inf] * n, [inf] * n
    for y in targets:
        h_out[y] = m_out[y] = zero
    if unknown:
        order = _cluster_order(chain, unknown)
        h = hitting_reduction(A, t, [zero + 1] * len(unknown), order=order)
        m2 = hitting_reduction(A, t, [2 * v - 1 for v in h], order=order)
        for x, a, b in zip(unknown, h, m2):
            h_out[x], m_out[x] = a, b
    return h_out, m_out


def _moments_float(chain, targets, eps):
    from metacot.numerics.solvers.hitting import DENSE_FLOAT_MAX_N, _float_labels, _float_solve
    from metacot.numerics.solvers.reduction import almost_sure_states_csr

    P = chain.offdiag_kernel(eps)
    n = chain.n
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    ok = almost_sure_states_csr(P, tmask)
    absorb = tmask | ~ok
    labels = _float_labels(chain) if n > DENSE_FLOAT_MAX_N else None
    h = np.full(n, np.inf)
    m2 = np.full(n, np.inf)
    h[tmask] = m2[tmask] = 0.0
    unknown, H = _float_solve(P, absorb, None, labels)
    if unknown.size:
        h[unknown] = H[:, 0]
        cost = np.zeros((n, 1))
        cost[unknown, 0] = 2.0 * H[:, 0] - 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            _, M = _float_solve(P, absorb, cost, labels)
        if not np.all(np.isfinite(M)):
            raise MetacotError(f"E[tau^2] overflows float64 (E[tau] up to {float(np.max(H)):.3g}, its square exceeds "
                               "1.8e308): use method 'exact' or 'mp'")
        m2[unknown] = M[:, 0]
    return h, m2


def hitting_moments(chain, target, eps, initial=None, method: str = "auto", *, dps: int = 50) -> HittingMoments:
    """E[τ_A], E[τ_A²] and Var(τ_A) at P(ε), per state or under an initial law (steps, steps²).

    m₂ solves (I − Q) m₂ = 2h − 1 by the same subtraction-free state reduction as h (module
    docstring); Var = m₂ − h². Under a law ν: E_ν[τ²] = Σ ν m₂ and Var_ν = E_ν[τ²] − (E_ν τ)².

    Accuracy. exact: exact rationals. mp: ~dps digits on h and m₂. float: h and m₂ to relative error
    ≲ n·1e-16 at every ε; the variance is a difference, with absolute error ≲ n·1e-16·(m₂ + h²), so its
    relative error is that times (m₂ + h²)/Var — small for metastable chains (τ nearly exponential,
    Var ≈ h²), large when τ is nearly deterministic (use exact or mp there).

    Parameters
    ----------
    chain : Chain
    target : int or iterable of int
        The set A.
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    initial : int, dict or sequence, optional
        An initial law (see :func:`initial_law`); default: every start state separately.
    method : {"auto", "exact", "mp", "float"}
    dps : int
        Decimal digits for "mp".

    Returns
    -------
    HittingMoments
        Per-state lists/arrays (``initial=None``) or scalars; inf where A is not hit a.s.

    Raises
    ------
    UnreachableTargetError
        The initial law charges a state from which A is not hit almost surely.

    Examples
    --------
    Geometric time on a 2-state chain, P(0, 1) = a = 1/4: E[τ] = 1/a, E[τ²] = (2 − a)/a², Var = (1 − a)/a².

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], [1, -1]])
    >>> m = hitting_moments(c, 1, "1/4", initial=0)
    >>> m.mean, m.second_moment, m.variance
    (Fraction(4, 1), Fraction(28, 1), Fraction(12, 1))
    """
    from metacot.numerics.solvers.hitting import _targets

    targets = _targets(chain, target)
    eps = chain.check_eps(eps, allow_zero=True)
    method = _pick(chain, eps, method)
    text = _target_text(chain, target)
    if method == "float":
        h, m2 = _moments_float(chain, targets, eps)
        if initial is None:
            with np.errstate(invalid="ignore"):
                var = np.where(np.isinf(h), np.inf, m2 - h * h)
            return HittingMoments(h, m2, var, method)
        law = initial_law(chain, initial)
        a = _average(h, law, "E[tau]", text)
        b = _average(m2, law, "E[tau^2]", text)
        return HittingMoments(a, b, b - a * a, method)
    ctx = mpmath.workdps(dps) if method == "mp" else _Null()
    with ctx:
        h, m2 = _moments_field(chain, targets, eps, method, dps)
        if initial is None:
            var = [v if _is_inf(v) else b - v * v for v, b in zip(h, m2)]
            return HittingMoments(h, m2, var, method)
        law = initial_law(chain, initial)
        a = _average(h, law, "E[tau]", text)
        b = _average(m2, law, "E[tau^2]", text)
        return HittingMoments(a, b, b - a * a, method)


def hitting_moments_laurent(chain, target, initial=None):
    """E[τ_A](ε), E[τ_A²](ε) and Var(τ_A)(ε) as exact rational functions of ε (per state or under ν).

    Exact state reduction over QQ(ε) (generic support, 0 < ε < eps_max): h from cost 1, m₂ from cost
    2h − 1, Var = m₂ − h² (under ν: Σν m₂ − (Σν h)²). Typical pole orders for a metastable chain: 1
    (mean), 2 (second moment and variance); spec 08 F2 compares the ε⁻² coefficient of Var with the
    variance of the meta-chain hitting time.

    Parameters
    ----------
    chain : Chain
        Exact chain.
    target : int or iterable of int
    initial : int, dict or sequence, optional
        Exact initial law (see :func:`initial_law`).

    Returns
    -------
    HittingMomentsLaurent
        Lists of RationalFunction per state (None where A is not hit a.s. for small ε), or single
        RationalFunctions under ν.

    Raises
    ------
    UnreachableTargetError
        Under ν: a state of positive weight does not hit A almost surely for small ε.
    MetacotError
        A float chain, an unknown target, inexact initial weights.

    Examples
    --------
    ring(2, 1, q = 1/2) is the 2-state chain with P(0, 1) = ε/2: Var(τ) = (1 − ε/2)/(ε/2)².

    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 1, "1/2")
    >>> L = hitting_moments_laurent(c, c.target, initial=0)
    >>> L.variance.laurent(0)
    {-2: Fraction(4, 1), -1: Fraction(-2, 1), 0: Fraction(0, 1)}
    >>> L.mean.pole_order(), L.second_moment.pole_order()
    (1, 2)
    """
    from metacot.numerics.solvers import _qq_eps
    from metacot.numerics.solvers.hitting import _cluster_order, _system, _targets
    from metacot.numerics.solvers.reduction import hitting_reduction

    targets = _targets(chain, target)
    F, E = _qq_eps.field()
    rows = _qq_eps.kernel_rows(chain, F, E)
    ok, unknown, A, t = _system(rows, targets, F.zero)
    n = chain.n
    hF: list = [None] * n
    mF: list = [None] * n
    for y in targets:
        hF[y] = mF[y] = F.zero
    if unknown:
        order = _cluster_order(chain, unknown)
        h = hitting_reduction(A, t, [F.one] * len(unknown), order=order)
        two = F(2)
        m2 = hitting_reduction(A, t, [two * v - F.one for v in h], order=order)
        for x, a, b in zip(unknown, h, m2):
            hF[x], mF[x] = a, b
    conv = _qq_eps.to_rational_function
    if initial is None:
        return HittingMomentsLaurent([None if v is None else conv(v) for v in hF],
                                     [None if v is None else conv(v) for v in mF],
                                     [None if v is None else conv(b - v * v) for v, b in zip(hF, mF)])
    law = initial_law(chain, initial)
    from sympy import QQ

    a, b = F.zero, F.zero
    for x, w in law:
        if hF[x] is None:
            raise UnreachableTargetError(f"target {_target_text(chain, target)} is not reached almost surely "
                                         f"from state {x} (positive initial weight) for small eps")
        if not isinstance(w, Fraction):
            raise MetacotError("exact rational functions need exact initial weights (e.g. '1/3')")
        wf = F(QQ(w.numerator, w.denominator))
        a = a + wf * hF[x]
        b = b + wf * mF[x]
    return HittingMomentsLaurent(conv(a), conv(b), conv(b - a * a))
