"""Moments of τ: closed forms (geometric time, ring), an independent series / dense solve, all methods,
initial laws and π-weighted origins, exact Laurent coefficients."""
import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError, UnreachableTargetError
from metacot.numerics.families import random_chain, ring, uniform_escape
from metacot.numerics.solvers.hitting import expected_hitting_times
from metacot.numerics.solvers.moments import (hitting_moments, hitting_moments_laurent, hitting_time_from,
                                              initial_law, mean_first_passage_time)
from metacot.numerics.solvers.stationary import stationary_law
from strategies import chains, eps_decades, rel_to_exact as _rel

# Tolerances.
FLOAT_REL = 1e-12    # h and m₂ by subtraction-free state reduction: relative error ≲ n·1.1e-16 at any ε (n ≤ 16)
MP_REL = 1e-40       # dps = 50: ~n·1e-50 rounding; ten digits of room
SERIES_REL = 1e-10   # float series Σ(2t+1)P(τ>t) summed to a survival of 1e-25: rounding ~T·1e-16 with T ≲ 1e5


def _clamp(chain, eps):
    return eps if eps <= chain.eps_max else chain.eps_max / 2


def two_state():
    """P(ε) = [[1 − ε, ε], [ε, 1 − ε]]: from 0, τ_1 is geometric with success probability a = ε."""
    return Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], [1, -1]])


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("a", [F(1, 2), F(1, 7), F(1, 10**6), F(3, 10**40)])
def test_geometric_time_closed_form(a):
    """E[τ] = 1/a, E[τ²] = (2 − a)/a², Var(τ) = (1 − a)/a² (τ ∈ {1, 2, …} geometric)."""
    c = two_state()
    m = hitting_moments(c, 1, a, initial=0, method="exact")
    assert (m.mean, m.second_moment, m.variance) == (1 / a, (2 - a) / a ** 2, (1 - a) / a ** 2)
    mm = hitting_moments(c, 1, a, initial=0, method="mp")
    for v, e in ((mm.mean, 1 / a), (mm.second_moment, (2 - a) / a ** 2), (mm.variance, (1 - a) / a ** 2)):
        assert _rel(v, e) <= MP_REL
    mf = hitting_moments(c.to_float(), 1, float(a), initial=0, method="float")
    # float: Var = m₂ − h² with h² ≈ m₂/2 here, so Var keeps the relative accuracy of m₂ up to a factor 3
    for v, e in ((mf.mean, 1 / a), (mf.second_moment, (2 - a) / a ** 2), (mf.variance, (1 - a) / a ** 2)):
        assert abs(v / float(e) - 1) <= 3 * FLOAT_REL


def test_geometric_laurent():
    L = hitting_moments_laurent(two_state(), 1, initial=0)
    assert L.mean.laurent(1) == {-1: 1, 0: 0, 1: 0}
    assert L.second_moment.laurent(0) == {-2: 2, -1: -1, 0: 0}
    assert L.variance.laurent(0) == {-2: 1, -1: -1, 0: 0}


@pytest.mark.parametrize("family", [ring, uniform_escape])
@pytest.mark.parametrize("K, M, q", [(2, 1, F(1)), (3, 2, F(1)), (4, 3, F(1, 2)), (5, 2, F(2))])
def test_canonical_families_laurent(family, K, M, q):
    """Spec 08 F1 (mean exactly (K−1)M/(qε) + (K − M − 1) for M ≥ 2, (K−1)/(qε) for M = 1) and, for the
    ring, F2's ε⁻² coefficient of Var(τ): the meta-chain variance (K−1)·(M/q)² (a sum of K−1 independent
    exponential holding times of rate q/M)."""
    c = family(K, M, q)
    L = hitting_moments_laurent(c, c.target, initial=0)
    mean = L.mean.laurent(3)
    const = K - M - 1 if M >= 2 else 0
    assert mean == {-1: (K - 1) * M / q, 0: const, 1: 0, 2: 0, 3: 0}
    if family is ring:
        assert L.variance.laurent(-2) == {-2: (K - 1) * (M / q) ** 2}


def _series_moments(P, x, target, tail=1e-25, max_steps=10**6):
    """Independent float reference: E[τ] = Σ_t P(τ > t), E[τ²] = Σ_t (2t+1) P(τ > t), with
    P(τ > t) = (Q^t 1)(x), Q = P off the target (τ = 0 when x is the target)."""
    n = P.shape[0]
    keep = np.ones(n, dtype=bool)
    keep[list(target)] = False
    Q = P * keep[None, :] * keep[:, None]
    s = np.zeros(n)
    s[x] = 1.0 if keep[x] else 0.0
    m1 = m2 = 0.0
    t = 0
    while s.sum() > tail and t < max_steps:
        S = s.sum()
        m1 += S
        m2 += (2 * t + 1) * S
        s = s @ Q
        t += 1
    assert t < max_steps
    return m1, m2


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_second_moment_against_the_survival_series(seed):
    """E[τ²] from the state reduction with cost 2h − 1 vs the series Σ (2t+1) P(τ > t) (an independent route:
    it uses the law of τ, not the recursion)."""
    c = random_chain(seed, [2, 3, 2])
    eps = c.eps_max / 2
    m = hitting_moments(c, c.target, eps, method="exact")
    P = c.kernel_dense(eps)
    for x in range(c.n):
        m1, m2 = _series_moments(P, x, [c.target])
        assert abs(m1 / float(m.mean[x]) - 1) <= SERIES_REL if m.mean[x] else m1 == 0
        assert abs(m2 / float(m.second_moment[x]) - 1) <= SERIES_REL if m.second_moment[x] else m2 == 0


def _dense_moments(chain, eps, target):
    """Independent exact reference: (I − Q) h = 1, (I − Q) m₂ = 2h − 1 by sympy LU on the non-target states."""
    rows = chain.kernel_exact(eps)
    U = [x for x in range(chain.n) if x != target]
    R = lambda v: sympy.Rational(v.numerator, v.denominator)  # noqa: E731
    M = sympy.eye(len(U))
    for i, x in enumerate(U):
        for y, v in rows[x].items():
            if y != target:
                M[i, U.index(y)] -= R(v)
    h = M.LUsolve(sympy.ones(len(U), 1))
    m2 = M.LUsolve(2 * h - sympy.ones(len(U), 1))
    conv = lambda e: F(int(sympy.fraction(e)[0]), int(sympy.fraction(e)[1]))  # noqa: E731
    H, M2 = [F(0)] * chain.n, [F(0)] * chain.n
    for i, x in enumerate(U):
        H[x], M2[x] = conv(h[i]), conv(m2[i])
    return H, M2


@settings(max_examples=15)
@given(chains(max_k=3, max_size=3), eps_decades(1, 30))
def test_moments_methods_agree_with_dense_solve(chain, eps):
    eps = _clamp(chain, eps)
    t = chain.target
    ex = hitting_moments(chain, t, eps, method="exact")
    H, M2 = _dense_moments(chain, eps, t)
    assert list(ex.mean) == H and list(ex.second_moment) == M2
    assert list(ex.variance) == [b - a * a for a, b in zip(H, M2)]
    assert all(v >= 0 for v in ex.variance)
    fl = hitting_moments(chain, t, eps, method="float")
    mp = hitting_moments(chain, t, eps, method="mp")
    for x in range(chain.n):
        if x == t:
            continue
        assert _rel(fl.mean[x], H[x]) <= FLOAT_REL and _rel(fl.second_moment[x], M2[x]) <= FLOAT_REL
        assert _rel(mp.mean[x], H[x]) <= MP_REL and _rel(mp.second_moment[x], M2[x]) <= MP_REL
        var = M2[x] - H[x] ** 2
        # float variance: absolute error ≤ (rel error of m₂ + 2·rel error of h)·(m₂ + h²)
        assert abs(fl.variance[x] - float(var)) <= 3 * FLOAT_REL * float(M2[x] + H[x] ** 2)
    lau = hitting_moments_laurent(chain, t)
    assert [f.evaluate(eps) for f in lau.second_moment] == M2
    assert [f.evaluate(eps) for f in lau.variance] == list(ex.variance)


# --------------------------------------------------------------------------- laws, origins
def test_hitting_time_from_law_and_certified():
    c = random_chain(5, [3, 2, 2])
    eps = F(1, 10**8)
    h = expected_hitting_times(c, c.target, eps, "exact")
    law = {0: F(1, 3), 2: F(1, 6), 4: F(1, 2)}
    expected = sum(w * h[x] for x, w in law.items())
    assert hitting_time_from(c, law, c.target, eps, "exact") == expected
    vec = [law.get(x, 0) for x in range(c.n)]
    assert hitting_time_from(c, vec, c.target, eps, "exact") == expected
    assert _rel(hitting_time_from(c, law, c.target, eps, "float"), expected) <= FLOAT_REL
    assert _rel(hitting_time_from(c, law, c.target, eps, "mp"), expected) <= MP_REL
    assert expected in hitting_time_from(c, law, c.target, eps, "certified")
    m = hitting_moments(c, c.target, eps, initial=law, method="exact")
    per = hitting_moments(c, c.target, eps, method="exact")
    assert m.mean == expected
    assert m.second_moment == sum(w * per.second_moment[x] for x, w in law.items())
    assert m.variance == m.second_moment - expected ** 2
    L = hitting_moments_laurent(c, c.target, initial=law)
    assert L.variance.evaluate(eps) == m.variance


def test_mfpt_origin_is_stationary_weighted():
    c = random_chain(8, [2, 3, 2])
    eps = F(1, 10**5)
    pi = stationary_law(c, eps, "exact")
    h = expected_hitting_times(c, [c.target], eps, "exact")
    O = c.clusters[0]
    expected = sum(pi[x] * h[x] for x in O) / sum(pi[x] for x in O)
    assert mean_first_passage_time(c, c.target, eps, origin=O, method="exact") == expected
    assert _rel(mean_first_passage_time(c, c.target, eps, origin=O, method="float"), expected) <= FLOAT_REL
    assert _rel(mean_first_passage_time(c, c.target, eps, origin=O, method="mp"), expected) <= MP_REL
    I = mean_first_passage_time(c, c.target, eps, origin=O, method="certified")
    assert expected in I and I.relative_width() <= F(1, 10**15)
    # with an origin overlapping the target the target states contribute 0
    both = O + [c.target]
    e2 = sum(pi[x] * h[x] for x in both) / sum(pi[x] for x in both)
    assert mean_first_passage_time(c, c.target, eps, origin=both, method="exact") == e2


def test_errors_and_edge_cases():
    split = Chain.from_dense([[1, 0, 0], [0, 1, 0], ["1/2", "1/2", 0]])   # 0 and 1 absorbing
    with pytest.raises(UnreachableTargetError, match="state 0"):
        hitting_time_from(split, {0: "1/2", 2: "1/2"}, 1, 0)
    m = hitting_moments(split, 1, 0)
    assert m.mean[0] == math.inf and m.variance[0] == math.inf and m.mean[2] == math.inf
    with pytest.raises(MetacotError, match="sum to 1/2"):
        initial_law(split, {0: "1/4", 1: "1/4"})
    with pytest.raises(MetacotError, match="negative"):
        initial_law(split, {0: "-1", 1: "2"})
    with pytest.raises(MetacotError, match="one per state"):
        initial_law(split, [1, 0])
    law = initial_law(split, [0.5, 0.5 + 1e-14, 0])     # float weights within 1e-12 of 1: renormalised
    assert [x for x, _ in law] == [0, 1] and math.fsum(w for _, w in law) == pytest.approx(1.0, abs=1e-16)
    # an origin set of transient states has stationary mass 0
    uni = Chain.from_dense([["1/2", "1/2", 0], [0, 1, 0], [0, "1/2", "1/2"]])   # unichain, class {1}
    with pytest.raises(MetacotError, match="stationary mass 0"):
        mean_first_passage_time(uni, 1, 0, origin=[0, 2])
    big = two_state().to_float()
    with pytest.raises(MetacotError, match="overflows float64"):
        hitting_moments(big, 1, 1e-200, method="float")
    with pytest.raises(MetacotError, match="unknown method"):
        hitting_moments(big, 1, 1e-3, method="certified")


@settings(max_examples=15)
@given(chains(max_k=3, max_size=3))
def test_variance_eps_minus_2_coefficient_is_the_meta_variance(chain):
    """Spec 08 F2 on random chains: the ε⁻² Laurent coefficient of Var_x(τ) equals Var(T^meta) from the cluster
    of x, with the CTMC moments λ_k m₂(k) = 2h(k) + Σ_l r(k,l) m₂(l) solved independently on the K clusters."""
    from metacot.numerics.solvers.meta_chain import ctmc_hitting_times, meta_rates
    from metacot.numerics.solvers.reduction import hitting_reduction

    r = meta_rates(chain)
    K = len(r)
    l = int(chain.cluster_of[chain.target])
    h = ctmc_hitting_times(r, l, True)
    unk = [k for k in range(K) if k != l]
    idx = {k: i for i, k in enumerate(unk)}
    A = [{idx[m]: r[k][m] for m in unk if m != k and r[k][m]} for k in unk]
    m2 = hitting_reduction(A, [r[k][l] for k in unk], [2 * h[k] for k in unk])
    lau = hitting_moments_laurent(chain, chain.target)
    for x in range(chain.n):
        k = int(chain.cluster_of[x])
        if k != l:
            assert lau.variance[x].laurent(-2) == {-2: m2[idx[k]] - h[k] ** 2}
