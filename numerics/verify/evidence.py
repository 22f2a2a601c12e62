"""Deciding a claim's relation on measured values, and the ladder of evidence (spec 07).

A claim's statement is a sympy relation (``Eq``, ``Le``, ``Lt``, ``Ge``, ``Gt``) or a conjunction of
them, ``measured REL predicted``: its free symbols are parameters (bound from the instance) and measured
quantities (bound from the measurement). This module binds them and decides the relation.

The rung of a decision follows from the kind of the values that entered it, the weakest one winning:

=============  ======================================================================================
proved         a value is a sympy expression in the claim's symbols (derived from the model for all
               parameters); the relation is decided symbolically (``simplify``, assumptions), and a
               symbolic difference that sympy cannot reduce is evaluated at sample points (a nonzero
               value is a counterexample: the decision can fail)
exact          every value is an exact rational; the relation is decided exactly
certified      some value is an :class:`~metacot.numerics.numbers.Interval` (rigorous enclosure); the
               relation must hold at every point of the enclosure (ball arithmetic, python-flint ``arb``)
numerical      some value is a float, an ``mpmath.mpf`` or an :class:`~metacot.numerics.numbers.Approximation`
               (a priori error bound); the relation must hold on the whole error interval
statistical    some value is an :class:`~metacot.numerics.numbers.Estimate`; the relation must hold at some
               point of the confidence interval mean ± z·se (the prediction is not rejected at that level)
=============  ======================================================================================

Tolerance: ``Eq`` holds when |lhs − rhs| ≤ tol (relative: tol·|rhs|); ``Le`` when lhs ≤ rhs + tol, and so
on. ``error`` = lhs − rhs (measured − predicted); ``slack`` = the margin by which the relation holds
(negative: violated): tol − |lhs − rhs| for ``Eq``, rhs + tol − lhs for ``Le``/``Lt``, lhs − rhs + tol
for ``Ge``/``Gt``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import Approximation, Estimate, Interval, exact_value

RUNGS = ("proved", "exact", "certified", "numerical", "statistical")
RELATIONS = {sympy.Eq: "==", sympy.Le: "<=", sympy.Lt: "<", sympy.Ge: ">=", sympy.Gt: ">"}
WORKING_BITS = 256          # arb working precision for non-exact decisions (≈ 77 digits)


class Inconclusive(MetacotError):
    """Raised by a measure function when its instance can neither hold nor fail (outside the regime the
    statement is about, a quantity that is undefined there, …); the instance is reported ``inconclusive``
    with the message as its note, and ``metacot refute`` skips the point instead of counting it.

    Examples
    --------
    >>> import sympy as sp
    >>> from fractions import Fraction
    >>> from metacot.numerics.verify.conjectures import define_conjecture, grid
    >>> from metacot.numerics.verify.runner import run_claims
    >>> x = sp.Symbol("x")
    >>> def measure(eps):
    ...     if Fraction(eps) > Fraction(1, 2):
    ...         raise Inconclusive(f"eps = {eps} is outside the metastable regime")
    ...     return {x: 1}
    >>> c = define_conjecture(id="doc.inconclusive", statement=sp.Eq(x, 1), measure=measure,
    ...                       grid=grid(eps=["1/4", "3/4"]), register_claim=False)
    >>> [(r.verdict, r.note) for r in run_claims([c])[0].results]
    [('holds', ''), ('inconclusive', 'eps = 3/4 is outside the metastable regime')]
    """


class StatementError(MetacotError):
    """The statement cannot be evaluated with the values given (a symbol unbound, a non-number, …)."""


def strongest(rungs) -> str | None:
    """The strongest rung among ``rungs`` (None when empty).

    Examples
    --------
    >>> strongest(["statistical", "exact", "numerical"])
    'exact'
    """
    rs = [r for r in rungs if r in RUNGS]
    return min(rs, key=RUNGS.index) if rs else None


def weakest(rungs) -> str | None:
    """The weakest rung among ``rungs`` (None when empty)."""
    rs = [r for r in rungs if r in RUNGS]
    return max(rs, key=RUNGS.index) if rs else None


def relations_of(statement) -> list:
    """The relational atoms of a statement: the relation itself, or the arguments of an ``And``."""
    if isinstance(statement, sympy.And):
        out = []
        for a in statement.args:
            out += relations_of(a)
        return out
    if type(statement) in RELATIONS:
        return [statement]
    raise StatementError(f"statement must be a sympy relation (Eq, Le, Lt, Ge, Gt) or And of them, "
                         f"got {type(statement).__name__}: {str(statement)[:80]}")


# --------------------------------------------------------------------------------------- values
def value_rung(v) -> str:
    """The rung a single value supports: see the module docstring."""
    if isinstance(v, Estimate):
        return "statistical"
    if isinstance(v, Interval):
        return "certified"
    if isinstance(v, Approximation):
        return "numerical"
    if isinstance(v, bool):
        raise StatementError(f"a boolean ({v}) is not a number")
    if isinstance(v, (int, Fraction)):
        return "exact"
    if isinstance(v, sympy.Basic):
        if v.free_symbols:
            return "proved"
        if isinstance(v, sympy.Rational):
            return "exact"
        if v.is_number and not v.has(sympy.Float):
            return "exact"            # exact irrational constants such as log(2)
        return "numerical"
    try:
        import flint

        if isinstance(v, flint.arb):
            return "certified"
        if isinstance(v, (flint.fmpq, flint.fmpz)):
            return "exact"
    except ImportError:  # pragma: no cover
        pass
    return "numerical"


def to_sympy_value(v, what: str = "value"):
    """A measured or parameter value as something the statement can take: exact values become sympy
    Rationals, symbolic ones stay, others are kept for interval evaluation (returned unchanged)."""
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, bool):
        raise StatementError(f"{what} is a boolean ({v}), expected a number")
    if isinstance(v, int):
        return sympy.Integer(v)
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    try:
        import numpy as np

        if isinstance(v, np.integer):
            return sympy.Integer(int(v))
        if isinstance(v, np.floating):
            return float(v)
    except ImportError:  # pragma: no cover
        pass
    try:
        import flint

        if isinstance(v, flint.fmpq):
            return sympy.Rational(int(v.p), int(v.q))
        if isinstance(v, flint.fmpz):
            return sympy.Integer(int(v))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, (float, Interval, Approximation, Estimate)):
        return v
    try:
        import mpmath

        if isinstance(v, mpmath.mpf):
            return v
    except ImportError:  # pragma: no cover
        pass
    try:
        import flint

        if isinstance(v, flint.arb):
            return v
    except ImportError:  # pragma: no cover
        pass
    raise StatementError(f"{what} is a {type(v).__name__}, expected a number")


def is_finite_value(v) -> bool:
    """False for NaN or infinite values (and enclosures / estimates with such endpoints)."""
    parts = []
    if isinstance(v, Estimate):
        parts = [v.mean, v.se]
    elif isinstance(v, Approximation):
        parts = [v.value, v.error]
    elif isinstance(v, Interval):
        return True
    elif isinstance(v, sympy.Basic):
        return not (v.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan))
    else:
        parts = [v]
    for p in parts:
        try:
            if not math.isfinite(float(p)):
                return False
        except (TypeError, ValueError, OverflowError):
            try:
                import mpmath

                if isinstance(p, mpmath.mpf) and not mpmath.isfinite(p):
                    return False
            except ImportError:  # pragma: no cover
                pass
    return True


# ------------------------------------------------------------------- ball arithmetic (python-flint)
def _arb_of(v, z: float | None):
    """A ball enclosing the value (for an Estimate: its confidence interval at z)."""
    from flint import arb, fmpq

    def ball(lo: Fraction, hi: Fraction):
        mid = (lo + hi) / 2
        rad = (hi - lo) / 2
        b = arb(fmpq(mid.numerator, mid.denominator))
        if rad:
            b = b + arb(0, arb(fmpq(rad.numerator, rad.denominator)).upper())
        return b

    if isinstance(v, Interval):
        return ball(v.lo, v.hi)
    if isinstance(v, Estimate):
        lo, hi = v.ci(z if z is not None else 0.0)
        return ball(Fraction(lo), Fraction(hi))
    if isinstance(v, Approximation):
        val, err = exact_value(v.value), abs(exact_value(v.error))
        return ball(val - err, val + err)
    if isinstance(v, arb):
        return v
    return ball(exact_value(v), exact_value(v))


def _arb_eval(expr, env: dict, z):
    """Evaluate a sympy expression in ball arithmetic; env maps symbols to values."""
    from flint import arb, fmpq

    if expr in env:
        return _arb_of(env[expr], z)
    if isinstance(expr, sympy.Rational):
        return arb(fmpq(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Float):
        return arb(fmpq(*exact_value(expr).as_integer_ratio()))
    if expr is sympy.pi:
        return arb.pi()
    if expr is sympy.E:
        return arb.const_e()
    if isinstance(expr, sympy.Add):
        out = arb(0)
        for a in expr.args:
            out = out + _arb_eval(a, env, z)
        return out
    if isinstance(expr, sympy.Mul):
        out = arb(1)
        for a in expr.args:
            out = out * _arb_eval(a, env, z)
        return out
    if isinstance(expr, sympy.Pow):
        base = _arb_eval(expr.base, env, z)
        e = expr.exp
        if isinstance(e, sympy.Integer):
            k = int(e)
            return base ** k if k >= 0 else 1 / (base ** (-k))
        if e == sympy.Rational(1, 2):
            return base.sqrt()
        return (base.log() * _arb_eval(e, env, z)).exp()
    if isinstance(expr, sympy.exp):
        return _arb_eval(expr.args[0], env, z).exp()
    if isinstance(expr, sympy.log):
        if len(expr.args) == 2:
            return _arb_eval(expr.args[0], env, z).log() / _arb_eval(expr.args[1], env, z).log()
        return _arb_eval(expr.args[0], env, z).log()
    if isinstance(expr, sympy.Abs):
        return abs(_arb_eval(expr.args[0], env, z))
    if isinstance(expr, (sympy.Min, sympy.Max)):
        vals = [_arb_eval(a, env, z) for a in expr.args]
        out = vals[0]
        for v in vals[1:]:
            out = out.min(v) if isinstance(expr, sympy.Min) else out.max(v)
        return out
    if isinstance(expr, sympy.floor):
        return _arb_eval(expr.args[0], env, z).floor()
    if isinstance(expr, sympy.ceiling):
        return _arb_eval(expr.args[0], env, z).ceil()
    if isinstance(expr, sympy.tanh):
        return _arb_eval(expr.args[0], env, z).tanh()
    if isinstance(expr, sympy.sqrt):  # pragma: no cover  (sympy writes sqrt as Pow)
        return _arb_eval(expr.args[0], env, z).sqrt()
    if expr.is_number:
        v = sympy.N(expr, 80)
        return arb(str(v)) + arb(0, arb(2) ** (-200))
    missing = sorted(s.name for s in expr.free_symbols if s not in env)
    if missing:
        raise StatementError(f"statement symbol(s) {', '.join(missing)} have no value")
    raise StatementError(f"cannot evaluate {type(expr).__name__} in a statement: {str(expr)[:60]}")


# --------------------------------------------------------------------------------------- deciding
@dataclass
class Decision:
    """The outcome of deciding one relation: sides, error = lhs − rhs, slack (≥ 0 holds), verdict, rung."""

    relation: str            # "==", "<=", ...
    predicted: Any           # rhs (exact Fraction, float, Interval, or sympy expression)
    measured: Any            # lhs
    error: Any               # lhs − rhs
    slack: Any               # margin by which the relation holds (negative: violated)
    verdict: str             # holds | fails | inconclusive
    rung: str
    note: str = ""


def _split_sides(rel):
    return rel.lhs, rel.rhs


def _bind(expr, env):
    """Substitute the exact and symbolic values of env; leave interval-valued symbols free."""
    subs = {s: v for s, v in env.items() if isinstance(v, sympy.Basic)}
    return expr.xreplace(subs) if subs else expr


def _as_fraction(x) -> Fraction | None:
    if isinstance(x, sympy.Rational):
        return Fraction(int(x.p), int(x.q))
    return None


def decide(rel, env: dict, *, tolerance=0, relative: bool = False, z: float | None = None,
           rung_floor: str | None = None, sample_points=None) -> Decision:
    """Decide one relation ``lhs REL rhs`` with the values ``env`` ({symbol: value}).

    Parameters
    ----------
    rel : sympy relational
        ``Eq``, ``Le``, ``Lt``, ``Ge`` or ``Gt``.
    env : dict
        Values of the free symbols: exact numbers, sympy expressions (symbolic: rung proved),
        Interval / Approximation / float / mpf / Estimate.
    tolerance : number
        Allowed deviation (absolute, or relative to |rhs| when ``relative``).
    z : float, optional
        Normal quantile of the confidence interval used for Estimate values (required with them).
    sample_points : list of dict, optional
        For symbolic decisions sympy cannot settle: points of the domain ({symbol: value}) at which the
        difference is evaluated; a violation there is a counterexample (verdict fails).

    Returns
    -------
    Decision

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", positive=True)
    >>> decide(sp.Eq(x, 2 * y), {x: 6, y: 3}).verdict
    'holds'
    >>> decide(sp.Le(x, y), {x: 6, y: 3}).slack
    Fraction(-3, 1)
    >>> K = sp.Symbol("K", positive=True)
    >>> decide(sp.Eq(x, (K**2 - 1) / (K - 1)), {x: K + 1}).rung
    'proved'
    """
    if type(rel) not in RELATIONS:
        raise StatementError(f"not a relation: {rel}")
    op = RELATIONS[type(rel)]
    lhs, rhs = _split_sides(rel)
    used = (lhs.free_symbols | rhs.free_symbols)
    vals = {s: to_sympy_value(env[s], str(s)) for s in used if s in env}
    for s, v in vals.items():
        if not is_finite_value(v):
            return Decision(op, None, v, None, None, "inconclusive", "numerical", f"{s} = {v} is not finite")
    rungs = [value_rung(v) for v in vals.values()] or ["exact"]
    rung = weakest(rungs + ([rung_floor] if rung_floor else []))
    unbound = used - set(vals)
    interval_vals = {s: v for s, v in vals.items() if not isinstance(v, sympy.Basic)}
    L, R = _bind(lhs, vals), _bind(rhs, vals)
    if unbound or "proved" in rungs:
        if "proved" not in rungs or interval_vals:
            missing = sorted(s.name for s in unbound)
            raise StatementError(f"statement symbol(s) {', '.join(missing)} have no value")
        return _decide_symbolic(op, L, R, tolerance, relative, sample_points)
    if not interval_vals:
        return _decide_exact(op, L, R, tolerance, relative, rung)
    if any(isinstance(v, Estimate) for v in interval_vals.values()) and z is None:
        raise StatementError("a Monte Carlo estimate needs the part's confidence (z) to be decided")
    return _decide_balls(op, L, R, interval_vals, tolerance, relative, z, rung)


def _tol_abs_exact(tolerance, relative, R):
    t = Fraction(tolerance)
    return t * abs(R) if relative else t


def _decide_exact(op, L, R, tolerance, relative, rung) -> Decision:
    Lf, Rf = _as_fraction(L), _as_fraction(R)
    if Lf is None or Rf is None:
        # exact but irrational (log 2, …): equality symbolically, the rest with high-precision balls
        if op == "==" and tolerance == 0 and sympy.simplify(L - R) == 0:
            return Decision(op, R, L, sympy.Integer(0), sympy.Integer(0), "holds", rung)
        return _decide_balls(op, L, R, {}, tolerance, relative, None, rung)
    tol = _tol_abs_exact(tolerance, relative, Rf)
    err = Lf - Rf
    strict = op in ("<", ">") and tol == 0
    if op == "==":
        slack = tol - abs(err)
    elif op in ("<=", "<"):
        slack = Rf + tol - Lf
    else:
        slack = Lf - Rf + tol
    ok = slack > 0 if strict else slack >= 0
    return Decision(op, Rf, Lf, err, slack, "holds" if ok else "fails", rung)


def _decide_balls(op, L, R, env, tolerance, relative, z, rung) -> Decision:
    from flint import arb, ctx

    old = ctx.prec
    ctx.prec = WORKING_BITS
    try:
        Lb, Rb = _arb_eval(L, env, z), _arb_eval(R, env, z)
        t = _arb_of(Fraction(tolerance) if not isinstance(tolerance, float) else tolerance, None)
        tol = t * abs(Rb) if relative else t
        d = Lb - Rb
        if op == "==":
            slack = tol - abs(d)
        elif op in ("<=", "<"):
            slack = Rb + tol - Lb
        else:
            slack = Lb - Rb + tol
        strict = op in ("<", ">") and tolerance == 0
        statistical = rung == "statistical"
        s_iv = Interval.from_arb(slack)
        if statistical:
            # the prediction is not rejected when some point of the confidence region satisfies it
            ok_any = s_iv.hi > 0 if strict else s_iv.hi >= 0
            verdict = "holds" if ok_any else "fails"
        else:
            ok_all = s_iv.lo > 0 if strict else s_iv.lo >= 0
            none = s_iv.hi <= 0 if strict else s_iv.hi < 0
            verdict = "holds" if ok_all else ("fails" if none else "inconclusive")
        note = "" if verdict != "inconclusive" else "the enclosure straddles the relation's boundary"
        # statistical: the slack at the most favourable point of the confidence region (≥ 0 iff it holds)
        shown_slack = float(s_iv.hi) if statistical else _present(slack)
        return Decision(op, _present(Rb, R), _present(Lb, L, env), _present(d), shown_slack, verdict, rung,
                        note)
    finally:
        ctx.prec = old


def _present(b, expr=None, env=None):
    """What a report shows for a ball: the measured value itself when the side is one symbol, an exact
    side as a Fraction, anything else as the float nearest the ball's midpoint."""
    if expr is not None and env is not None and expr in env:
        return env[expr]
    if expr is not None and isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    return float(Interval.from_arb(b).mid)


def _decide_symbolic(op, L, R, tolerance, relative, sample_points) -> Decision:
    """Symbolic decision (rung proved): simplify the difference; fall back to sample points to refute."""
    if tolerance not in (0, Fraction(0)):
        raise StatementError("a proved (symbolic) part must have tolerance 0")
    diff = sympy.simplify(sympy.together(L - R))
    if op == "==":
        if diff == 0:
            return Decision(op, R, L, sympy.Integer(0), sympy.Integer(0), "holds", "proved")
        return _refute_at_points(op, L, R, diff, sample_points)
    sign_expr = diff if op in (">=", ">") else -diff    # must be ≥ 0 (or > 0)
    sign_expr = sympy.factor(sympy.simplify(sign_expr))
    pos = sign_expr.is_positive
    nonneg = sign_expr.is_nonnegative
    if (op in (">", "<") and pos) or (op in (">=", "<=") and (nonneg or pos)):
        return Decision(op, R, L, diff, sign_expr, "holds", "proved")
    if (op in (">=", "<=") and sign_expr.is_negative) or (op in (">", "<") and sign_expr.is_nonpositive):
        return Decision(op, R, L, diff, sign_expr, "fails", "proved", "sympy: the relation is false on the domain")
    return _refute_at_points(op, L, R, diff, sample_points)


def _refute_at_points(op, L, R, diff, sample_points) -> Decision:
    points = list(sample_points or []) or _default_points(diff)
    for pt in points:
        v = diff.xreplace({s: sympy.nsimplify(val) for s, val in pt.items()})
        if v.free_symbols:
            continue
        v = sympy.nsimplify(v) if v.is_Float else v
        bad = (v != 0) if op == "==" else ((v < 0) if op in (">=",) else (v <= 0) if op == ">" else
                                           (v > 0) if op == "<=" else (v >= 0))
        if bool(bad):
            shown = ", ".join(f"{k}={val}" for k, val in pt.items())
            return Decision(op, R, L, diff, None, "fails", "proved",
                            f"counterexample at {shown}: lhs − rhs = {v}")
    return Decision(op, R, L, diff, None, "inconclusive", "proved",
                    "sympy could not decide the relation and no sample point violates it")


def _default_points(expr) -> list[dict]:
    """A few generic points respecting the symbols' assumptions (positive / integer / nonnegative)."""
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    base_int = [3, 5, 7, 4, 9]
    base_real = [Fraction(1, 7), Fraction(3, 11), Fraction(5, 2), Fraction(1, 3), Fraction(13, 5)]
    pts = []
    for i in range(5):
        pt = {}
        for j, s in enumerate(syms):
            if s.is_integer:
                pt[s] = base_int[(i + j) % 5]
            else:
                pt[s] = base_real[(i + j) % 5]
        pts.append(pt)
    return pts


def perturb_relation(rel, delta=Fraction(1, 10**6)):
    """One relation with its right side made stricter by the relative amount ``delta``:
    ``Eq``: rhs·(1 + δ) (rhs + δ when rhs is 0); ``Le``/``Lt``: rhs − δ·(|rhs| + 1); ``Ge``/``Gt``:
    rhs + δ·(|rhs| + 1)."""
    d = sympy.Rational(delta.numerator, delta.denominator) if isinstance(delta, Fraction) else sympy.nsimplify(delta)
    lhs, rhs = rel.lhs, rel.rhs
    if isinstance(rel, sympy.Eq):
        new = rhs * (1 + d) if rhs != 0 else rhs + d
    elif isinstance(rel, (sympy.Le, sympy.Lt)):
        new = rhs - d * (sympy.Abs(rhs) + 1)
    else:
        new = rhs + d * (sympy.Abs(rhs) + 1)
    return type(rel)(lhs, new, evaluate=False)


def perturb(statement, delta=Fraction(1, 10**6), index: int | None = None):
    """The statement with relation ``index`` (every relation when None) perturbed by
    :func:`perturb_relation`. Used by the mutation audit: a check whose verdict does not move under it
    cannot tell the statement from a wrong one.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> perturb(sp.Eq(x, 2))
    Eq(x, 1000001/500000)
    """
    rels = relations_of(statement)
    out = [perturb_relation(r, delta) if index is None or i == index else r for i, r in enumerate(rels)]
    return out[0] if len(out) == 1 else sympy.And(*out, evaluate=False)
