"""Error-free transformations of metacot.numerics.solvers.double_double against exact rationals.

two_sum and two_prod are exact (equality with Fractions); add, mul and div are double-double operations with
relative error below 2⁻¹⁰⁴ (two roundings of the 106-bit result); scatter_add equals the exact sum of the
contributions per row to the same bound. Magnitudes range over 2^±1000, where plain Dekker splitting would
overflow; results near the underflow threshold are excluded (there the low word is subnormal, so fewer than
106 bits are representable at all).
"""
from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.solvers import double_double as DD

DD_REL = 2.0 ** -104      # two roundings of a 106-bit significand (Joldes–Muller–Popescu bounds are ≤ 3·2⁻¹⁰⁶)


def floats(lo=-1000, hi=1000):
    return st.builds(lambda m, e: float(np.ldexp(m, e)), st.floats(0.5, 1.0, exclude_max=True), st.integers(lo, hi))


def dd(hi, lo):
    return F(float(hi)) + F(float(lo))


def rel(x, ex):
    return abs(x - ex) / abs(ex)


@settings(max_examples=300)
@given(floats(), floats())
def test_two_sum_and_two_prod_are_exact(a, b):
    s, e = DD.two_sum(a, b)
    assert F(s) + F(e) == F(a) + F(b)
    if 2.0 ** -960 < a * b < 2.0 ** 1000:
        p, e = DD.two_prod(np.array([a]), np.array([b]))
        assert dd(p[0], e[0]) == F(a) * F(b)


@settings(max_examples=300)
@given(floats(-500, 500), floats(-500, 500), st.floats(0, 1), st.booleans())
def test_add_mul_div_to_106_bits(a, b, frac, neg):
    alo = a * frac * 2.0 ** -54            # a valid low word: |alo| ≤ ulp(a)/2
    x = F(a) + F(alo)
    if 2.0 ** -960 < a * b < 2.0 ** 1000:     # away from underflow of the low word (module docstring)
        hi, lo = DD.mul(np.array([a]), np.array([alo]), np.array([b]))
        assert rel(dd(hi[0], lo[0]), x * F(b)) <= DD_REL
    if 2.0 ** -960 < a / b < 2.0 ** 1000:
        hi, lo = DD.div(np.array([a]), np.array([alo]), np.array([b]))
        assert rel(dd(hi[0], lo[0]), x / F(b)) <= DD_REL
    c = -b if neg else b
    clo = c * frac * 2.0 ** -55
    hi, lo = DD.add(np.array([a]), np.array([alo]), np.array([c]), np.array([clo]))
    ex = x + F(c) + F(clo)
    if ex:
        # cancellation can only shrink the result below the inputs; the error is ≤ 2⁻¹⁰⁴ of the larger input
        assert abs(dd(hi[0], lo[0]) - ex) <= DD_REL * max(abs(x), abs(F(c)))


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 4), floats(-60, 60)), min_size=1, max_size=30))
def test_scatter_add_sums_repeated_rows(contrib):
    idx = np.array([i for i, _ in contrib])
    v = np.array([x for _, x in contrib])
    hi, lo = np.zeros(5), np.zeros(5)
    DD.scatter_add(hi, lo, idx, v, np.zeros_like(v))
    for r in range(5):
        ex = sum((F(x) for i, x in contrib if i == r), F(0))
        terms = [abs(F(x)) for i, x in contrib if i == r]
        # k additions of positive terms: each error-free up to 2⁻¹⁰⁶ of the running sum
        assert abs(dd(hi[r], lo[r]) - ex) <= len(terms) * DD_REL * sum(terms, F(0))


def test_two_prod_does_not_overflow_at_extreme_magnitudes():
    p, e = DD.two_prod(np.array([1e300, 3e-300]), np.array([1e-290, 7e290]))
    assert [dd(p[0], e[0]), dd(p[1], e[1])] == [F(1e300) * F(1e-290), F(3e-300) * F(7e290)]
