"""Statements and derivations of metacot.theory.search (spec 02, spec 08 F6) against independent computations."""
import itertools
import math
from fractions import Fraction

import pytest
import sympy as sp

from metacot.theory import search as th
from metacot.theory.symbols import K, M, N, T0, eps, eps_max, q


def _ideal_round_brute(Nv, T0v, p, terms=20000):
    """Σ_s N(T0 + s) P(S = s), S ≥ 1 the first step at which one of N walkers escapes (truncated series)."""
    r = (1 - p) ** Nv
    return sum(Nv * (T0v + s) * r ** (s - 1) * (1 - r) for s in range(1, terms))


def test_ideal_round_cost_is_the_closed_form_and_the_series():
    assert sp.simplify(th.ideal_round_cost() - th.cost_round_exact) == 0
    for Nv, T0v, Mv, qv, e in [(16, 1, 2, 1, 0.01), (4, 16, 8, 1, 0.005), (3, 2, 5, 2, 0.1)]:
        val = float(th.ideal_round_cost().subs({N: Nv, T0: T0v, M: Mv, q: qv, eps: sp.Float(e)}))
        # truncation after 20000 terms leaves r^20000 ≤ 1e-9 of the tail: relative 1e-8 is ample
        assert val == pytest.approx(_ideal_round_brute(Nv, T0v, e * qv / Mv), rel=1e-8)


def test_ideal_round_cost_expansion():
    co = th.ideal_round_cost_expansion()
    assert sp.simplify(co[-1] - M / q) == 0 and sp.simplify(co[0] - N * T0 - (N - 1) / 2) == 0
    # numerically: f(ε) − M/(qε) → c_0 with an O(ε) remainder
    f = th.cost_round_exact.subs({N: 16, T0: 1, M: 2, q: 1})
    rem = [float(f.subs(eps, sp.Rational(1, 10**k)) - 2 * 10**k) for k in (4, 6)]
    assert abs(rem[1] - (16 + 7.5)) < 1e-4 < abs(rem[0] - (16 + 7.5))


def test_cluster_cover_time_is_the_harmonic_sum():
    assert sp.simplify(th.cluster_cover_time_derived() - th.cluster_cover_time) == 0
    for Kv in range(2, 10):
        coupon = sum(Fraction(Kv - 1, Kv - j) for j in range(1, Kv))
        assert th.cluster_cover_time.subs(K, Kv) == sp.Rational(coupon.numerator, coupon.denominator)


def test_prm_ring_law_and_its_exact_instances():
    from metacot.numerics.families import ring
    from metacot.numerics.solvers.hitting import hitting_time

    assert sp.simplify(th.prm_ring_hitting_time() - th.prm_exact_rhs) == 0
    for Kv, Mv, em in [(3, 2, Fraction(1, 7)), (4, 3, Fraction(1, 1000))]:
        c = ring(Kv, Mv, 1)        # the guided ring is ring(K, M, 1) in ε_max
        val = th.prm_exact_rhs.subs({K: Kv, M: Mv, eps_max: sp.Rational(em.numerator, em.denominator)})
        assert hitting_time(c, c.start, c.target, em, "exact") == Fraction(int(val.p), int(val.q))


@pytest.mark.parametrize("m,draws", [(2, 1), (2, 5), (3, 2), (3, 4), (4, 3)])
def test_no_cover_closed_form_against_enumeration(m, draws):
    # start = state 0 is visited; draws iid uniform on m states must hit 1..m-1
    miss = sum(1 for seq in itertools.product(range(m), repeat=draws) if set(seq) | {0} != set(range(m)))
    assert th.no_cover_complete(m, draws) == sp.Rational(miss, m ** draws)
    assert th.nocover_complete.subs({M: m, N: draws, T0: 1}).doit() == sp.Rational(miss, m ** draws)
    assert th.no_cover_complete(M, N).subs({M: m, N: draws}) == sp.Rational(miss, m ** draws)


def test_walkers_and_rounds():
    for Kv in (4, 8, 16, 64):
        assert th.walkers_and_rounds(Kv, 4, 2) == (math.ceil(4 * math.log(Kv)), math.ceil(2 * Kv * math.log(Kv)))


def test_slopes():
    assert th.slope_K_relation.rhs == 1
    x = sp.Symbol("x", positive=True)
    assert sp.simplify(th.two_point_slope(x ** 3, x, 2, 8) - 3) == 0
    # the exact 1/ε slope tends to 1 as the window widens (Θ(M/ε)), from below
    s = th.slope_eps_relation.rhs.subs({N: 16, T0: 1, M: 2, q: 1})
    vals = [float(s.subs({th.eps_1: sp.Rational(1, 10**k), th.eps_2: sp.Rational(1, 10**(k + 1))})) for k in (2, 4, 6)]
    assert vals[0] < vals[1] < vals[2] < 1 and 1 - vals[2] < 1e-4


def _bounds(Kv, Nv, Rv, Mv=2, T0v=1, e=sp.Rational(1, 4), H=None):
    H = T0v + math.ceil(20 * Mv / (Nv * float(e))) if H is None else H
    sub = {K: Kv, N: Nv, th.R: Rv, M: Mv, T0: T0v, eps: e, q: 1, th.T_max: H}
    return (th.success_lower.subs(sub), th.success_lower_all.subs(sub), th.success_upper.subs(sub))


def test_success_bounds_tend_to_one_and_stay_away_with_one_walker_or_K_rounds():
    prev = -1
    for Kv in (4, 8, 16, 32, 64, 256, 1024):
        Nv, Rv = th.walkers_and_rounds(Kv, 4, 2)
        lo, lo_all, up = _bounds(Kv, Nv, Rv)
        assert lo_all <= lo <= up <= 1 and lo > prev
        prev = lo
        _, _, up1 = _bounds(Kv, 1, Rv)                 # N = 1: (1/2)^R
        _, _, upK = _bounds(Kv, Nv, Kv)                # R = K: ≤ 1 − ((K−2)/(K−1))^K < 1 − e^-1·(1 − 1/K)
        assert up1 < 1e-3 and upK < 0.81
    assert prev > 0.999


def test_refuted_forms_at_their_counterexamples():
    assert th.rounds_uniform_spec.subs(K, 2) == 3 and th.rounds_uniform_spec.subs(K, 3) == sp.Rational(147, 10)
    spec = th.cost_total_ring_spec.subs({K: 2, M: 2, N: 16, T0: 1, q: 1, eps: sp.Rational(1, 1000)})
    corrected = th.cost_all_exact.subs({K: 2, M: 2, N: 16, T0: 1, q: 1, eps: sp.Rational(1, 1000)})
    assert spec == 2016 and 4040 < float(corrected) < 4050
