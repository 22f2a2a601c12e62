"""theory/lower_bounds.py: the symbolic parity derivations against enumeration, and the statements' shape."""
from fractions import Fraction

import pytest
import sympy as sp

from metacot.numerics.lower_bounds.sq import correlation_matrix, query_lower_bound, sda
from metacot.numerics.verify.evidence import relations_of
from metacot.theory import lower_bounds as th


@pytest.mark.parametrize("mv", [1, 2, 5, 9])
def test_parity_correlation_against_enumeration(mv):
    off, diag = th.parity_correlation_symbolic()
    c = correlation_matrix("z2", mv)
    j = next(s for s in off.free_symbols if s.name == "j")
    N = 1 << mv
    for S, T in ((0, 1), (N - 1, 0), (3 % N, 5 % N)):
        d = bin(S ^ T).count("1")
        val = off.subs({th.m: mv, j: d}).doit() if d else diag.subs(th.m, mv).doit()
        assert Fraction(str(sp.nsimplify(val))) == c.entry(S, T)


def test_parity_symbolic_values():
    off, diag = th.parity_correlation_symbolic()
    assert sp.simplify(off.doit()) == 0 and sp.simplify(diag.doit()) == 1
    assert sp.simplify(th.parity_class_size_symbolic().doit() - 2 ** th.m) == 0


@pytest.mark.parametrize("mv, t", [(4, Fraction(1, 4)), (7, Fraction(1, 3)), (10, Fraction(1, 2))])
def test_query_bound_closed_form(mv, t):
    res = sda(correlation_matrix("z2", mv), t * t)
    q = query_lower_bound(1 << mv, res.max_eliminated)
    assert q == int(th.query_bound_parity.subs({th.m: mv, th.tau: sp.Rational(t.numerator, t.denominator)}))


def test_access_level_statement():
    rels = relations_of(th.access_levels_statement)
    assert len(rels) == 8
    assert {r.lhs for r in rels} == set(th.SQDIM_level.values()) | set(th.SDA_level.values())
    glob = {r.lhs: r.rhs for r in rels}
    assert glob[th.SQDIM_level["global"]] == 1 and glob[th.SDA_level["global"]] == 0
    assert glob[th.SQDIM_level["local"]] == 2 ** th.m
    g = sp.Rational(1, 4)
    assert [int(th.sda_parity.subs({th.m: k, th.gamma_bar: g})) for k in range(1, 7)] == [0, 1, 2, 5, 10, 21]


def test_l3_and_l5_statements():
    assert th.L3_statement.free_symbols == {th.views_local, th.answers, th.P_err, th.views_global}
    assert th.success_bound.subs({th.q_queries: 0, th.e_max: 15, th.N_concepts: 256}) == sp.Rational(1, 256)
