"""Parsing and printing of numbers: exact rationals stay exact, floats print with 17 significant digits.

One home for the number conventions shared by chain files, the command line and JSON reports:
:func:`parse_number` (exact parsing, with guard rails on the size of what it builds),
:func:`format_number`, :func:`to_json_value`, :func:`to_mpf` (Fraction → mpmath) and the seed rule
:func:`check_seed`. The module imports neither numpy nor mpmath at load time (the command line starts
fast); it recognises their numbers when they are in use.
"""
from __future__ import annotations

import dataclasses
import math
import re
import sys
from fractions import Fraction
from numbers import Rational

from metacot.numerics.errors import LimitError, MetacotError

_RATIONAL = re.compile(r"^\s*([+-]?)(\d+)\s*/\s*([+-]?)(\d+)\s*$", re.ASCII)
_DECIMAL = re.compile(r"^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$", re.ASCII)

#: largest |decimal exponent| parse_number turns into an exact rational ("1e-10000" is fine; the exact
#: value of "1e-100000000" would need 10^8 digits)
EXACT_EXPONENT_MAX = 10_000
#: most digits in one number literal that parse_number reads exactly
EXACT_DIGITS_MAX = 10_000
#: seeds are integers 0 ≤ seed ≤ SEED_MAX (2^32 − 1) for every stochastic routine and command
SEED_MAX = 2**32 - 1
_STR_DIGITS_SAFE = 4000  # below Python's default int/str conversion limit (4300 digits)


def _shown(text: str, limit: int = 40) -> str:
    """`text` for an error message, cut in the middle when it is long."""
    text = str(text)
    return repr(text) if len(text) <= limit else repr(text[:20] + "…" + text[-12:]) + f" ({len(text)} characters)"


def _int_from_digits(digits: str) -> int:
    """int(digits) for a string of decimal digits of any length up to EXACT_DIGITS_MAX."""
    if len(digits) <= _STR_DIGITS_SAFE:
        return int(digits)
    import decimal

    return int(decimal.Decimal(digits))


def _int_str(n: int) -> str:
    """str(n) for an int of any size (Python refuses str() beyond 4300 digits by default)."""
    if n.bit_length() <= 3.32 * _STR_DIGITS_SAFE:
        return str(n)
    import decimal

    return str(decimal.Decimal(n))


def _check_digits(digits: str, text, what: str) -> None:
    if len(digits) > EXACT_DIGITS_MAX:
        raise LimitError(f"{what}: {_shown(text)} has {len(digits)} digits, above the limit {EXACT_DIGITS_MAX} "
                         "for exact parsing; round it, or write it as a shorter rational 'a/b'")


def parse_number(value, *, what: str = "value") -> Fraction | float:
    """Parse a JSON/CLI number: rational or decimal strings and ints are exact, JSON floats stay float.

    Parameters
    ----------
    value : str, int, float or Fraction
        ``"3/7"``, ``"0.25"``, ``"1e-30"`` (exact), an int (exact) or a float (kept as float).
    what : str
        Name of the quantity, used in error messages.

    Returns
    -------
    Fraction or float

    Raises
    ------
    MetacotError
        Unparsable, infinite or NaN input; zero denominator.
    LimitError
        A decimal exponent beyond ±EXACT_EXPONENT_MAX or more than EXACT_DIGITS_MAX digits (the exact
        value would be too large to compute with); raised before anything large is built.

    Examples
    --------
    >>> parse_number("1e-30") == Fraction(1, 10**30)
    True
    >>> parse_number("3/7"), parse_number(0.25)
    (Fraction(3, 7), 0.25)
    >>> parse_number("1e-100000000")
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.LimitError: value: '1e-100000000' has a decimal exponent of magnitude 100000000, above the limit 10000 for exact parsing; use a number between 1e-10000 and 1e+10000
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
        return _parse_text(value, what)
    raise MetacotError(f"{what}: expected a number, got {type(value).__name__}")


def _parse_text(value: str, what: str) -> Fraction:
    m = _RATIONAL.match(value)
    if m:
        s1, a, s2, b = m.groups()
        _check_digits(a, value, what)
        _check_digits(b, value, what)
        num, den = _int_from_digits(a), _int_from_digits(b)
        if den == 0:
            raise MetacotError(f"{what}: zero denominator in {_shown(value)}")
        sign = -1 if (s1 == "-") != (s2 == "-") else 1
        return Fraction(sign * num, den)
    m = _DECIMAL.match(value)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.groups()
        frac = frac or ""
        _check_digits(whole + frac, value, what)
        e_digits = (exp or "0").lstrip("+-")
        e = int(e_digits) if len(e_digits) <= 12 else 10**12
        if e > EXACT_EXPONENT_MAX:
            raise LimitError(f"{what}: {_shown(value)} has a decimal exponent of magnitude "
                             f"{e if len(e_digits) <= 12 else 'above 10^12'}, above the limit "
                             f"{EXACT_EXPONENT_MAX} for exact parsing; use a number between "
                             f"1e-{EXACT_EXPONENT_MAX} and 1e+{EXACT_EXPONENT_MAX}")
        e = -e if exp and exp.startswith("-") else e
        mant = _int_from_digits((whole + frac) or "0")
        e -= len(frac)
        x = Fraction(mant * 10**e) if e >= 0 else Fraction(mant, 10**-e)
        return -x if sign == "-" else x
    if value.strip().lower() in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}:
        raise MetacotError(f"{what}: {value!r} is not finite")
    raise MetacotError(f"{what}: cannot parse {_shown(value)} as a number (use 'a/b', a decimal, or a number)")


def _mpmath():
    """The mpmath module if it is loaded (an mpf can only exist then), else None."""
    return sys.modules.get("mpmath")


def format_number(x, digits: int | None = None) -> str:
    """Exact values as rationals ("1025/4"); floats with 17 significant digits; infinity as "inf".

    Parameters
    ----------
    x : int, Fraction, float, numpy or mpmath number
    digits : int, optional
        Significant digits for floats and mpmath numbers (default 17); exact values ignore it.

    Examples
    --------
    >>> format_number(Fraction(1025, 4)), format_number(0.1), format_number(float("inf"))
    ('1025/4', '0.10000000000000001', 'inf')
    >>> import mpmath
    >>> with mpmath.workdps(40):
    ...     format_number(mpmath.mpf(1) / 3, digits=30)
    '0.333333333333333333333333333333'
    """
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return _int_str(x)
    if isinstance(x, Fraction):
        return _int_str(x.numerator) if x.denominator == 1 else f"{_int_str(x.numerator)}/{_int_str(x.denominator)}"
    mp = _mpmath()
    if mp is not None and isinstance(x, mp.mpf):
        if mp.isinf(x):
            return "inf" if x > 0 else "-inf"
        if mp.isnan(x):
            return "nan"
        if digits is None:
            return mp.nstr(x, 17, min_fixed=-4, max_fixed=17)
        d = max(1, int(digits))  # all `d` digits shown, trailing zeros included: they are correct digits
        return mp.nstr(x, d, min_fixed=-4, max_fixed=min(d, 17), strip_zeros=False)
    try:
        xf = float(x)
    except (TypeError, ValueError, OverflowError):
        return str(x)
    if math.isinf(xf):
        return "inf" if xf > 0 else "-inf"
    if math.isnan(xf):
        return "nan"
    return format(xf, f".{17 if digits is None else max(1, min(int(digits), 17))}g")


def format_brief(x, digits: int = 6) -> str:
    """A short form of a number for headers and messages: its :func:`format_number` form when at most
    24 characters, else ``digits`` significant digits (``1e-400`` rather than a 401-digit denominator).

    Examples
    --------
    >>> format_brief(Fraction(1, 1000)), format_brief(Fraction(1, 10**400)), format_brief(Fraction(10**30, 3))
    ('1/1000', '1e-400', '3.33333e+29')
    """
    s = format_number(x)
    if len(s) <= 24:
        return s
    if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        import mpmath

        with mpmath.workdps(digits + 10):
            s = mpmath.nstr(to_mpf(Fraction(x)), digits)
        return s.replace(".0e", "e")
    return format_number(x, digits)


def to_json_value(x):
    """JSON form of a value: exact → rational string, float → number (inf/nan → string), containers
    recursively; objects with a ``to_json()`` method use it, dataclasses become a dict of their fields.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Result:
    ...     value: Fraction
    ...     errors: tuple
    >>> to_json_value(Result(Fraction(1, 3), (0.5, float("inf"))))
    {'value': '1/3', 'errors': [0.5, 'inf']}
    """
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return format_number(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else format_number(x)
    if isinstance(x, dict):
        return {str(k): to_json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json_value(v) for v in x]
    mp = _mpmath()
    if mp is not None and isinstance(x, mp.mpf):
        return format_number(x)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(x, np.ndarray):
            return [to_json_value(v) for v in x.tolist()]
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return to_json_value(float(x))
        if isinstance(x, np.bool_):
            return bool(x)
    to_json = getattr(x, "to_json", None)
    if callable(to_json) and not isinstance(x, type):
        return to_json_value(to_json())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: to_json_value(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, Rational):
        return format_number(Fraction(x.numerator, x.denominator))
    return str(x)


def to_mpf(x):
    """x as an ``mpmath.mpf`` at the working precision (one home for Fraction → mpf).

    A Fraction p/q is rounded once, correctly, to the current ``mpmath.mp.prec`` bits (not p and q
    separately); ints, floats, decimal strings and mpf values go through ``mpmath.mpf``.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     print(to_mpf(Fraction(1, 3)))
    0.333333333333333333333333333333
    >>> print(to_mpf(Fraction(1, 10**400)))  # far below the float range
    1.0e-400
    """
    import mpmath

    if isinstance(x, Fraction) or (isinstance(x, Rational) and not isinstance(x, (bool, int))):
        p, q = int(x.numerator), int(x.denominator)
        return mpmath.mpf(mpmath.libmp.from_rational(p, q, mpmath.mp.prec, mpmath.libmp.round_nearest))
    return mpmath.mpf(x)


def eps_decade_list(lo: int, hi: int) -> list:
    """The exact decades ε = 10^−lo, 10^−(lo+1), …, 10^−hi as Fractions (one home for decade grids;
    the hypothesis strategy of random decades is :func:`metacot.numerics.verify.conjectures.eps_decades`).

    Raises
    ------
    MetacotError
        lo, hi not integers with 0 ≤ lo ≤ hi ≤ EXACT_EXPONENT_MAX.

    Examples
    --------
    >>> eps_decade_list(2, 4)
    [Fraction(1, 100), Fraction(1, 1000), Fraction(1, 10000)]
    """
    if not (isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and not isinstance(hi, bool)
            and 0 <= lo <= hi <= EXACT_EXPONENT_MAX):
        raise MetacotError(f"decades need integers 0 <= lo <= hi <= {EXACT_EXPONENT_MAX}, got {lo!r}, {hi!r}")
    return [Fraction(1, 10**d) for d in range(lo, hi + 1)]


def check_seed(seed, what: str = "seed") -> int:
    """The seed rule of every stochastic routine and command: an integer 0 ≤ seed ≤ SEED_MAX (2^32 − 1).

    Raises
    ------
    MetacotError
        Not an integer, or outside the range (the message names the range).

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.MetacotError: seed must be an integer in 0..4294967295 (2^32 - 1), got -1
    """
    np = sys.modules.get("numpy")
    if np is not None and isinstance(seed, np.integer):
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise MetacotError(f"{what} must be an integer in 0..{SEED_MAX} (2^32 - 1), got {seed!r}")
    return seed


def is_exact(x) -> bool:
    """True for exact numbers (int or Fraction, not bool).

    Examples
    --------
    >>> is_exact(Fraction(1, 2)), is_exact(0.5)
    (True, False)
    """
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
        Lower and upper endpoint, ``lo <= hi`` (ints and floats are converted exactly).

    Raises
    ------
    ValueError
        ``lo > hi``.

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

    @classmethod
    def from_arb(cls, b) -> "Interval":
        """The exact rational endpoints [mid − rad, mid + rad] of a finite python-flint ``arb`` ball.

        Examples
        --------
        >>> from flint import arb, fmpq
        >>> I = Interval.from_arb(arb(fmpq(1, 3)))
        >>> Fraction(1, 3) in I and float(I.width()) < 1e-15
        True
        """
        if not b.is_finite():
            raise ValueError("the ball is not finite")
        return cls(exact_value(b.mid()) - exact_value(b.rad()), exact_value(b.mid()) + exact_value(b.rad()))

    def decimal_strings(self, digits: int = 20) -> tuple[str, str]:
        """[lo, hi] as decimal strings rounded outward to ``digits`` significant digits."""
        return (_decimal_outward(self.lo, digits, down=True), _decimal_outward(self.hi, digits, down=False))


@_dataclass(frozen=True)
class Approximation:
    """A computed value with an a-priori absolute error bound, ``|x − value| ≤ error`` (rung *numerical*).

    Unlike :class:`Interval` the bound is a priori (an analysis of the method), not outward-rounded
    arithmetic. A claim decides on the whole error interval [value − error, value + error].

    Parameters
    ----------
    value : float, mpmath.mpf or Fraction
        The computed value.
    error : number, default 0.0
        The a-priori bound on |x − value| (non-negative; not checked).

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

    A claim's relation must hold at some point of the normal confidence interval mean ± z·se, z from the
    part's confidence level (the prediction is not rejected at that level).

    Parameters
    ----------
    mean : float
        The sample mean.
    se : float
        Its standard error, sd/√n.
    n : int, default 0
        The sample size.

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


def exact_value(x) -> Fraction:
    """The exact rational value of a number: ints and Fractions as they are; floats, numpy scalars,
    mpmath numbers and python-flint ``arb`` midpoints / radii (exact dyadics) at their exact binary value.

    Parameters
    ----------
    x : int, Fraction, float, numpy scalar, mpmath.mpf, sympy Rational, or an exact flint arb / fmpq
        A finite number.

    Returns
    -------
    Fraction

    Raises
    ------
    MetacotError
        x is not a finite number.

    Examples
    --------
    >>> exact_value(0.5), exact_value(Fraction(1, 3))
    (Fraction(1, 2), Fraction(1, 3))
    >>> exact_value(0.1) == Fraction(3602879701896397, 2**55)
    True
    """
    if isinstance(x, bool):
        raise MetacotError(f"expected a number, got {x!r}")
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, Rational):
        return Fraction(x.numerator, x.denominator)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise MetacotError(f"{x!r} is not finite")
        return Fraction(x)
    mp = _mpmath()  # an mpf exists only once mpmath is loaded (the module does not import it at load time)
    if mp is not None and isinstance(x, mp.mpf):
        if not mp.isfinite(x):
            raise MetacotError(f"{x} is not finite")
        man, exp = x.man_exp
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    mod = type(x).__module__
    if mod.startswith("numpy"):
        return exact_value(x.item())
    if mod.startswith("sympy"):
        import sympy

        if isinstance(x, sympy.Rational):
            return Fraction(int(x.p), int(x.q))
        if isinstance(x, sympy.Float):
            import mpmath

            return exact_value(mpmath.mpf(x))
    if mod.startswith("flint"):
        import flint

        if isinstance(x, flint.fmpq):
            return Fraction(int(x.p), int(x.q))
        if isinstance(x, flint.fmpz):
            return Fraction(int(x))
        if isinstance(x, flint.arb) and x.is_exact() and x.is_finite():
            man, exp = x.man_exp()
            man, exp = int(man), int(exp)
            return Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    raise MetacotError(f"expected a finite number, got {type(x).__name__}")


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
