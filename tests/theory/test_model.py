"""The lumped canonical families (theory/model.py) against exact computations on the full chains."""
from fractions import Fraction as F

import pytest
import sympy as sp

from metacot.numerics.families import ring, uniform_escape
from metacot.numerics.solvers.committor import committor
from metacot.numerics.solvers.hitting import exit_times
from metacot.numerics.solvers.meta_chain import (cluster_stationary_laws, escape_rates, jump_absorption_probabilities,
                                                 meta_hitting_moments)
from metacot.numerics.solvers.moments import hitting_moments
from metacot.theory import model as tm
from metacot.theory.symbols import K, M, eps, q

POINTS = [(3, 2, F(1), F(1, 3)), (4, 3, F(1, 2), F(1, 100)), (5, 4, F(3), F(1, 7)), (2, 5, F(2), F(1, 1000))]


def _at(expr, K_, M_, q_, e_):
    v = sp.nsimplify(expr.subs({K: K_, M: M_, q: sp.Rational(q_.numerator, q_.denominator),
                                eps: sp.Rational(e_.numerator, e_.denominator)}))
    return F(int(v.p), int(v.q))


@pytest.mark.parametrize("K_,M_,q_,e_", POINTS)
def test_block_exit_moments_match_the_chain(K_, M_, q_, e_):
    m = tm.block_exit_moments()
    c = ring(K_, M_, q_)
    h = exit_times(c, 0, e_, "exact")                    # C_0 = {source 0, non-sources 1..M−1}
    assert _at(m["a"], K_, M_, q_, e_) == h[0] and _at(m["b"], K_, M_, q_, e_) == h[1]
    outside = [x for x in range(c.n) if x >= M_]
    mom = hitting_moments(c, outside, e_, method="exact")
    assert _at(m["a2"], K_, M_, q_, e_) == mom.second_moment[0]
    assert _at(m["b2"], K_, M_, q_, e_) == mom.second_moment[1]


@pytest.mark.parametrize("K_,M_,q_,e_", POINTS)
def test_uniform_escape_moments_match_the_chain(K_, M_, q_, e_):
    h, m2 = tm.uniform_escape_hitting_moments()
    c = uniform_escape(K_, M_, q_)
    mom = hitting_moments(c, c.target, e_, initial=c.start, method="exact")
    assert _at(h, K_, M_, q_, e_) == mom.mean and _at(m2, K_, M_, q_, e_) == mom.second_moment


def test_escape_rate_and_stationary_mass():
    assert tm.block_stationary_source_mass() == 1 / M
    for K_, M_, q_, _ in POINTS:
        c = ring(K_, M_, q_)
        assert cluster_stationary_laws(c)[0][0] == F(1, M_)
        assert all(v == _at(tm.canonical_escape_rate(), K_, M_, q_, F(1)) for v in escape_rates(c))


@pytest.mark.parametrize("K_,M_,q_,e_", [(3, 2, F(1), F(1, 3)), (5, 3, F(1, 2), F(1, 10)), (4, 2, F(2), F(1, 9))])
def test_uniform_escape_committor_and_jump_chain(K_, M_, q_, e_):
    c = uniform_escape(K_, M_, q_)
    cs, cu = tm.uniform_escape_committor()
    qv = committor(c, c.clusters[0], c.clusters[1], e_, "exact")
    third = c.clusters[2]
    assert qv[third[0]] == _at(cs, K_, M_, q_, e_) and qv[third[-1]] == _at(cu, K_, M_, q_, e_)
    u = jump_absorption_probabilities(c, [0], [1])
    assert u[2] == _at(tm.uniform_escape_jump_absorption(), K_, M_, q_, e_)


def test_meta_moments_of_the_canonical_families():
    for K_, M_, q_, _ in POINTS:
        h, v = tm.ring_meta_hitting_moments()
        mm = meta_hitting_moments(ring(K_, M_, q_), K_ - 1)
        assert (_at(h, K_, M_, q_, F(1)), _at(v, K_, M_, q_, F(1))) == (mm.mean[0], mm.variance[0])
        h, v = tm.uniform_escape_meta_hitting_moments()
        mm = meta_hitting_moments(uniform_escape(K_, M_, q_), K_ - 1)
        assert (_at(h, K_, M_, q_, F(1)), _at(v, K_, M_, q_, F(1))) == (mm.mean[0], mm.variance[0])


def test_holding_moments():
    lam = sp.Symbol("lambda", positive=True)
    assert tm.ctmc_holding_moments(lam) == (1 / lam, 2 / lam**2)
