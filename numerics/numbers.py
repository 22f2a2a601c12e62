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
