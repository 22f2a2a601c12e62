"""Statements and derivations of theory/hitting.py: the lumped forms against exact computations, the
statements' symbols, and that the proved parts can fail (a perturbed model gives a different expression)."""
from fractions import Fraction as F

import mpmath
import pytest
import sympy as sp

from metacot.numerics.families import random_chain, ring, uniform_escape
from metacot.numerics.solvers.hitting import hitting_time, mean_exit_time
from metacot.numerics.solvers.meta_chain import (escape_rates, meta_characteristic_polynomial, meta_hitting_times,
                                                 min_sparse_crossings)
from metacot.numerics.solvers.moments import hitting_moments
from metacot.numerics.solvers.spectrum import characteristic_polynomial, meta_eigenvalues
from metacot.numerics.verify.evidence import decide
from metacot.theory import hitting as th
from metacot.theory.symbols import K, M, E_tau, eps, h_meta, q

POINTS = [(3, 2, F(1), F(1, 3)), (4, 3, F(1, 2), F(1, 100)), (6, 4, F(3), F(1, 7)), (2, 5, F(2), F(1, 10**9))]


def _at(expr, K_, M_, q_, e_=F(1)):
    v = sp.nsimplify(expr.subs({K: K_, M: M_, q: sp.Rational(q_.numerator, q_.denominator),
                                eps: sp.Rational(e_.numerator, e_.denominator)}))
    return F(int(v.p), int(v.q))


@pytest.mark.parametrize("K_,M_,q_,e_", POINTS)
def test_lumped_hitting_times_equal_exact_solves(K_, M_, q_, e_):
    for fam, E in ((ring, th.ring_hitting_time_lumped()), (uniform_escape, th.uniform_escape_hitting_time_lumped())):
        c = fam(K_, M_, q_)
        assert _at(E, K_, M_, q_, e_) == hitting_time(c, c.start, c.target, e_, "exact")


@pytest.mark.parametrize("K_,M_,q_,e_", POINTS)
def test_lumped_variances_equal_exact_moments(K_, M_, q_, e_):
    for fam, V in ((ring, th.ring_hitting_variance_lumped()), (uniform_escape, th.uniform_escape_hitting_variance_lumped())):
        c = fam(K_, M_, q_)
        assert _at(V, K_, M_, q_, e_) == hitting_moments(c, c.target, e_, initial=c.start, method="exact").variance


def test_exit_time_from_stationary_law_and_task_difficulty():
    for K_, M_, q_, e_ in POINTS:
        c = ring(K_, M_, q_)
        assert _at(th.canonical_exit_time_from_stationary(), K_, M_, q_, e_) == mean_exit_time(c, 1, e_, "exact")
        D, lam = th.ring_task_difficulty()
        assert _at(D, K_, M_, q_) == min_sparse_crossings(c, c.start, c.target)
        assert _at(lam, K_, M_, q_) == max(escape_rates(c))
        assert _at(th.limit_coefficient(th.ring_hitting_time_lumped()), K_, M_, q_) == meta_hitting_times(c)[0][K_ - 1]


def test_proved_decisions_and_their_failure_on_a_perturbed_model():
    ok = decide(th.exact_canonical, {E_tau: th.ring_hitting_time_lumped()})
    assert (ok.verdict, ok.rung) == ("holds", "proved")
    # a wrong model (the source leaves w.p. 2εq) gives another expression: the proof fails
    wrong = th.ring_hitting_time_lumped().subs(q, 2 * q)
    assert decide(th.exact_canonical, {E_tau: wrong}).verdict == "fails"
    assert decide(th.canonical_limit, {th.a_m1: th.limit_coefficient(th.uniform_escape_hitting_time_lumped())}).verdict \
        == "holds"
    v = th.limit_coefficient(th.ring_hitting_variance_lumped(), 2)
    assert decide(th.moments_ring, {th.v_m2: v}).verdict == "holds"
    assert decide(th.moments_ring, {th.v_m2: v * (K - 1)}).verdict == "fails"   # the uniform-escape value


def test_secant_slopes():
    assert th.slope_eps == -1 and th.slope_M_doubling == 1
    assert sp.limit(th.slope_K_doubling, K, sp.oo) == 1 and th.slope_K_limit == 1
    assert float(th.slope_K_doubling.subs(K, 16)) == pytest.approx(1.0473057147783567, rel=1e-15)


def test_rescaled_branch_polynomials_against_the_meta_chain():
    c = random_chain(3, [3, 2, 3], extra_edges=2)
    chi = characteristic_polynomial(c)
    lam, e = chi.gens
    low, monic = th.rescaled_branch_polynomials(chi, lam, e, c.K)
    assert all(v == 0 for v in low)
    assert [F(int(x.p), int(x.q)) for x in monic] == meta_characteristic_polynomial(c)
    # the roots of the monic polynomial are the ν_j of spectrum.meta_eigenvalues (an independent eig)
    nu = sp.Symbol("nu")
    roots = sorted((complex(r) for r in sp.Poly(sum(cf * nu**i for i, cf in enumerate(monic)), nu).nroots(n=30)),
                   key=lambda z: (z.real, z.imag))
    mp = sorted((complex(z) for z in meta_eigenvalues(c)), key=lambda z: (z.real, z.imag))
    assert all(abs(a - b) < 1e-12 for a, b in zip(roots, mp))


def test_rescaled_branch_polynomials_detects_a_non_metastable_spectrum():
    lam, e = sp.symbols("lambda epsilon")
    low, monic = th.rescaled_branch_polynomials((lam - 1) * (lam - sp.Rational(1, 2)), lam, e, 2)
    assert any(v != 0 for v in low)          # one eigenvalue stays at 1/2: no second slow branch


def test_statement_symbols():
    assert th.canonical.free_symbols == {th.pole_order, th.a_m1, K, M, q}
    assert th.escape_survival_rate.free_symbols == {th.S_1, th.S_2, th.s, th.eps_1, th.eps_2}
    assert th.meta_chain_rate.free_symbols == {th.err_1, th.err_2, th.eps_1, th.eps_2}
    assert th.general_scaling_M.free_symbols == {h_meta, M, th.h_tilde}
    assert th.task_difficulty_ring.rhs.subs({th.D: K - 1, th.lam_max: q / M}) == (K - 1) * M / q


def test_mp_gap_matches_statement_prediction_numerically():
    # spectrum_remainder's ingredients on a 2-cluster chain: gap/ε → ν with remainder O(ε)
    from metacot.numerics.solvers.spectrum import eigenvalues_near_one

    c = random_chain(1, [2, 2], extra_edges=1)
    nu = max(meta_eigenvalues(c), key=abs)
    g = max(eigenvalues_near_one(c, "1e-20", 2, "mp", dps=40).gaps, key=abs)
    with mpmath.workdps(40):
        assert abs(g / mpmath.mpf("1e-20") - nu) < 1e-15
