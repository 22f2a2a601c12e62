"""Parsing and printing of numbers: exact rationals stay exact, floats print with 17 significant digits."""
from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Rational

import mpmath

from metacot.numerics.errors import MetacotError

_RATIONAL = re.compile(r"^\s*[+-]?\d+\s*/\s*[+-]?\d+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def parse_number(value, *, what: str = "value") -> Fraction | float:
    """Parse a JSON/CLI number: rational or decimal strings and ints are exact (Fraction), JSON floats stay float.

    "3/7" -> Fraction(3, 7); "1e-30" -> Fraction(1, 10**30); 0.25 (a float) -> 0.25.
    """
    if isinstance(value, bool):
        raise MetacotError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MetacotError(f"{what}: {value!r} is not finite")
        return value
    if isinstance(value, str):
        s = value.strip()
        if _RATIONAL.match(s):
            num, den = (int(t) for t in s.split("/"))
            if den == 0:
                raise MetacotError(f"{what}: zero denominator in {value!r}")
            return Fraction(num, den)
        if _DECIMAL.match(s):
            return Fraction(s)
        if s.lower() in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}:
            raise MetacotError(f"{what}: {value!r} is not finite")
        raise MetacotError(f"{what}: cannot parse {value!r} as a number (use 'a/b', a decimal, or a number)")
    raise MetacotError(f"{what}: expected a number, got {type(value).__name__}")


def format_number(x) -> str:
    """Exact values as rationals ("1025/4"); floats with 17 significant digits; infinity as "inf"."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if isinstance(x, mpmath.mpf):
        if mpmath.isinf(x):
            return "inf" if x > 0 else "-inf"
        return mpmath.nstr(x, 17, min_fixed=-4, max_fixed=17)
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isinf(xf):
        return "inf" if xf > 0 else "-inf"
    if math.isnan(xf):
        return "nan"
    return format(xf, ".17g")


def to_json_value(x):
    """JSON form of a number: exact -> rational string, float -> number (inf/nan -> string)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return format_number(x)
    if isinstance(x, mpmath.mpf):
        return format_number(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else format_number(x)
    if isinstance(x, dict):
        return {str(k): to_json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json_value(v) for v in x]
    try:
        import numpy as np

        if isinstance(x, np.ndarray):
            return [to_json_value(v) for v in x.tolist()]
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return to_json_value(float(x))
    except ImportError:  # pragma: no cover
        pass
    return str(x)


def is_exact(x) -> bool:
    return isinstance(x, (Fraction, int)) and not isinstance(x, bool)


# ------------------------------------------------------------------------------------------------------
# Values with their quality attached: what the claim framework (metacot.numerics.verify) decides on.
# A plain Fraction/int is exact; a sympy expression with free symbols is symbolic (rung "proved").
# ------------------------------------------------------------------------------------------------------
from dataclasses import dataclass as _dataclass  # noqa: E402


@_dataclass(frozen=True)
class Interval:
    """A rigorous enclosure ``lo ≤ x ≤ hi`` of a real number (rung *certified*).

    ``lo`` and ``hi`` are exact rationals (:class:`fractions.Fraction`), e.g. the endpoints of an
    outward-rounded ball arithmetic result; the true value is guaranteed to lie in ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : Fraction
        Lower and upper endpoint, ``lo <= hi``.

    Examples
    --------
    >>> from fractions import Fraction
    >>> I = Interval(Fraction(1, 3) - Fraction(1, 10**20), Fraction(1, 3) + Fraction(1, 10**20))
    >>> Fraction(1, 3) in I
    True
    >>> float(I.relative_width()) < 1e-19
    True
    """

    lo: Fraction
    hi: Fraction

    def __post_init__(self):
        lo, hi = Fraction(self.lo), Fraction(self.hi)
        if lo > hi:
            raise ValueError(f"Interval needs lo <= hi, got [{lo}, {hi}]")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def __contains__(self, x) -> bool:
        return self.lo <= Fraction(x) <= self.hi

    @property
    def mid(self) -> Fraction:
        return (self.lo + self.hi) / 2

    def width(self) -> Fraction:
        return self.hi - self.lo

    def relative_width(self) -> Fraction:
        """(hi − lo)/min(|lo|, |hi|); infinite when the interval contains 0 (as a Fraction or math.inf)."""
        m = min(abs(self.lo), abs(self.hi))
        if self.lo <= 0 <= self.hi or m == 0:
            return math.inf if self.hi != self.lo else Fraction(0)
        return (self.hi - self.lo) / m

    def decimal_strings(self, digits: int = 20) -> tuple[str, str]:
        """[lo, hi] as decimal strings rounded outward to ``digits`` significant digits."""
        return (_decimal_outward(self.lo, digits, down=True), _decimal_outward(self.hi, digits, down=False))


@_dataclass(frozen=True)
class Approximation:
    """A computed value with an a-priori absolute error bound, ``|x − value| ≤ error`` (rung *numerical*).

    ``value`` is a float, an ``mpmath.mpf`` or a Fraction; ``error`` a non-negative number. Unlike
    :class:`Interval` the bound is a priori (an analysis of the method), not outward-rounded arithmetic.

    Examples
    --------
    >>> a = Approximation(0.1, 1e-17)
    >>> a.lo < 0.1 < a.hi
    True
    """

    value: object
    error: object = 0.0

    @property
    def lo(self):
        return self.value - self.error

    @property
    def hi(self):
        return self.value + self.error


@_dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate: sample mean, its standard error and the sample size (rung *statistical*).

    Examples
    --------
    >>> e = Estimate(10.0, 0.5, 400)
    >>> e.ci(2.0)
    (9.0, 11.0)
    """

    mean: float
    se: float
    n: int = 0

    def ci(self, z: float) -> tuple[float, float]:
        """The two-sided normal interval mean ± z·se."""
        return (self.mean - z * self.se, self.mean + z * self.se)


def _decimal_outward(x: Fraction, digits: int, *, down: bool) -> str:
    """x rounded to `digits` significant decimal digits, toward −∞ (down) or +∞, as a string."""
    x = Fraction(x)
    if x == 0:
        return "0"
    sign = -1 if x < 0 else 1
    a = abs(x)
    e = len(str(a.numerator // a.denominator)) - 1 if a >= 1 else -len(str(a.denominator // a.numerator))
    # the estimate above is off by at most one: normalise to 10^e <= a < 10^(e+1)
    while Fraction(10) ** e > a:
        e -= 1
    while Fraction(10) ** (e + 1) <= a:
        e += 1
    scale = Fraction(10) ** (digits - 1 - e)
    m = a * scale
    toward_zero = (down and sign > 0) or (not down and sign < 0)
    mi = m.numerator // m.denominator if toward_zero else -((-m.numerator) // m.denominator)
    s = str(mi)
    exp10 = e + (len(s) - digits)          # rounding up may add a digit (9.99… → 10.0…)
    body = s[1:].rstrip("0")
    mant = s[0] + ("." + body if body else "")
    sgn = "-" if sign < 0 else ""
    return f"{sgn}{mant}e{exp10:+d}" if exp10 != 0 else f"{sgn}{mant}"
