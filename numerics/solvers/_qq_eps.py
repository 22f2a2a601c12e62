"""Exact state reduction over the field QQ(ε) for committors and moments of τ (spec 06, 08 F2/F3).

The same subtraction-free reduction as :func:`metacot.numerics.solvers.reduction.hitting_reduction`,
run on rational functions of ε; results are returned as
:class:`metacot.numerics.solvers.hitting.RationalFunction` (``.laurent(order)``, ``.evaluate(eps)``,
``.pole_order()``), the type :func:`~metacot.numerics.solvers.hitting.hitting_laurent` returns.
Reachability uses the generic support of P(ε) (entries that are not identically zero in ε).
"""
from __future__ import annotations

from fractions import Fraction

from metacot.numerics.errors import MetacotError


def field():
    """(F, ε) with F = QQ(ε) (sympy fraction field) and ε its generator as an element of F."""
    from sympy import QQ, Symbol

    e = Symbol("epsilon")
    F = QQ.frac_field(e)
    return F, F(e)


def kernel_rows(chain, F, E) -> list[dict]:
    """Rows of P(ε) = P0 + ε·P1 over F, entries that are identically zero dropped (exact chains only)."""
    if not chain.exact:
        raise MetacotError("exact rational functions of eps need an exact chain (rational entries such as '3/7')")
    from sympy import QQ

    def conv(v):
        return F(QQ(v.numerator, v.denominator))

    rows = []
    for a, b in zip(chain.row_dicts(0), chain.row_dicts(1)):
        row = {j: conv(v) for j, v in a.items()}
        for j, v in b.items():
            row[j] = row.get(j, F.zero) + E * conv(v)
        rows.append({j: v for j, v in row.items() if v != 0})
    return rows


def to_rational_function(v):
    """An element of QQ(ε) as a RationalFunction (coefficients lowest degree first, Fractions)."""
    from metacot.numerics.solvers.hitting import RationalFunction

    def coeffs(p):
        d = p.degree()
        cs = [Fraction(0)] * (max(d, 0) + 1)
        for (k,), c in p.terms():
            cs[k] = Fraction(int(c.numerator), int(c.denominator))
        return tuple(cs)

    return RationalFunction(coeffs(v.numer), coeffs(v.denom))


def constant(c) -> object:
    """The constant rational function c."""
    from metacot.numerics.solvers.hitting import RationalFunction

    return RationalFunction((Fraction(c),), (Fraction(1),))
