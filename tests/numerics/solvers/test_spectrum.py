"""Eigenvalues near 1, implied timescales, quasi-stationary exit rates, exact characteristic polynomials."""
import math
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.families import random_chain, ring
from metacot.numerics.solvers.meta_chain import escape_rates, meta_generator
from metacot.numerics.solvers.spectrum import (characteristic_polynomial, eigenvalues_near_one, implied_timescale,
                                               meta_eigenvalues, meta_prediction, quasi_stationary_exit)
from strategies import chains

# Tolerances.
MP_REL = 1e-40        # gaps 1 − λ at dps = 50 (working precision dps + log10(1/ε) + 10): ≥ 50 correct digits
FLOAT_QSD_REL = 1e-13  # quasi-stationary exit rate in float: subtraction-free, ≲ M·(iterations)·1.1e-16


def _m(v):
    return mpmath.mpf(v.numerator) / v.denominator if isinstance(v, F) else mpmath.mpf(v)


def two_state():
    """P(ε) = [[1 − ε, ε], [ε/2, 1 − ε/2]]: eigenvalues 1 and 1 − 3ε/2 (trace − 1)."""
    return Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])


@pytest.mark.parametrize("eps", [F(1, 10), F(1, 10**12), F(1, 10**30), F(1, 10**80)])
def test_two_state_closed_form_mp_and_certified(eps):
    c = two_state()
    s = eigenvalues_near_one(c, eps, 2, "mp")
    gap = 3 * eps / 2
    with mpmath.workdps(200):
        assert abs(s.gaps[1] / _m(gap) - 1) <= MP_REL
        assert s.timescales[0] == mpmath.inf
        assert abs(s.timescales[1] / (-1 / mpmath.log1p(-_m(gap))) - 1) <= MP_REL
        assert s.errors[1] <= _m(gap) * MP_REL
    cert = eigenvalues_near_one(c, eps, 2, "certified")
    assert gap in cert.gaps[1].re and 0 in cert.gaps[1].im and 1 in cert.eigenvalues[0].re
    assert cert.timescales[0] == math.inf
    with mpmath.workdps(200):
        t = -1 / mpmath.log1p(-_m(gap))
        I = cert.timescales[1]
        assert _m(I.lo) <= t <= _m(I.hi)


def test_float_error_estimate_covers_the_error():
    """Float gaps vs 50-digit mp: the reported error estimate bounds the actual error, and the gap's relative
    error is ≈ 1e-16/gap as documented (so float is fine at ε = 1e-3, useless at 1e-20)."""
    c = random_chain(7, [3, 2, 3])
    for eps in (F(1, 10**3), F(1, 10**8), F(1, 10**20)):
        ref = eigenvalues_near_one(c, eps, 3, "mp")
        fl = eigenvalues_near_one(c, eps, 3, "float")
        for g, e in zip(fl.gaps, fl.errors):
            actual = min(abs(mpmath.mpc(g) - r) for r in ref.gaps)
            assert actual <= e, (eps, g, e, actual)


@settings(max_examples=8)
@given(chains(max_k=3, max_size=3), st.integers(8, 40))
def test_mp_agrees_with_certified_and_meta_prediction(chain, d):
    """mp gaps lie in (or within their error estimate of) the certified enclosures; and F4: the K gaps divided
    by ε are the eigenvalues ν_j of −L up to O(ε). Certified may refuse only a (numerically) multiple
    eigenvalue near 1, which arb cannot isolate."""
    from metacot.numerics.errors import PrecisionError

    eps = F(1, 10**d)
    K = chain.K
    mp = eigenvalues_near_one(chain, eps, K, "mp")
    try:
        cert = eigenvalues_near_one(chain, eps, K, "certified")
    except PrecisionError:
        with mpmath.workdps(80):
            close = min(abs(a - b) / abs(a) for i, a in enumerate(mp.gaps) for b in mp.gaps[i + 1:] if abs(a) > 0)
        assert close < 1e-20
        cert = None
    with mpmath.workdps(80):
        for g, err in zip(mp.gaps, mp.errors) if cert is not None else ():
            box = min(cert.gaps, key=lambda b: abs(mpmath.mpc(_m(b.re.mid), _m(b.im.mid)) - g))
            assert _m(box.re.lo) - err <= g.real <= _m(box.re.hi) + err
            assert _m(box.im.lo) - err <= g.imag <= _m(box.im.hi) + err
        nus = meta_eigenvalues(chain)
        scale = max(abs(v) for v in nus)
        for g in mp.gaps:
            best = min(abs(g / _m(eps) - v) for v in nus)
            assert best <= 1e3 * scale * _m(eps) * max(1, scale), (g, nus)   # O(ε) remainder


def test_ring_meta_eigenvalues_closed_form():
    """ring(K, M, q): the meta-chain is the directed K-cycle with rate q/M, so ν_j = (q/M)(1 − ω^j)."""
    K, M, q = 4, 3, F(1, 2)
    nus = meta_eigenvalues(ring(K, M, q))
    expected = sorted((float(q / M) * (1 - np.exp(2j * np.pi * j / K)) for j in range(K)), key=abs)
    for a, b in zip(sorted(nus, key=lambda z: (round(float(abs(z)), 12), float(z.imag))),
                    sorted(expected, key=lambda z: (round(abs(z), 12), z.imag))):
        assert abs(complex(a) - b) <= 1e-15
    pred = meta_prediction(ring(K, M, q), "1e-10", 2)
    assert pred[0] == 1


@settings(max_examples=10)
@given(chains(max_size=4), st.integers(6, 60))
def test_quasi_stationary_exit(chain, d):
    """1 − ρ from the subtraction-free inverse iteration equals the Perron gap of the block from mpmath.eig;
    float keeps full relative precision at any ε; F4: (1 − ρ_k)/ε = λ_k + O(ε)."""
    eps = F(1, 10**d)
    lam = escape_rates(chain)
    for k, C in enumerate(chain.clusters):
        q = quasi_stationary_exit(chain, k, eps)
        with mpmath.workdps(60):
            assert abs(sum(q.law) - 1) <= 1e-45 and all(p > 0 for p in q.law)
            if len(C) <= 6:
                blk = eigenvalues_near_one(chain, eps, 1, "mp", states=C)
                assert abs(blk.gaps[0] - q.exit_rate) <= blk.errors[0] + q.exit_rate * MP_REL
            if lam[k]:
                assert abs(q.exit_rate / _m(eps) - _m(lam[k])) <= 1e3 * _m(eps) * (1 + _m(lam[k])) ** 2
        if d <= 250:
            qf = quasi_stationary_exit(chain.to_float(), k, float(eps), "float")
            with mpmath.workdps(60):
                assert abs(mpmath.mpf(qf.exit_rate) / q.exit_rate - 1) <= FLOAT_QSD_REL


def test_quasi_stationary_closed_cluster_and_errors():
    c = Chain.from_dense([["1/2", "1/2", 0], ["1/2", "1/2", 0], [0, 0, 1]])
    q = quasi_stationary_exit(c, None, 0, states=[0, 1])
    assert q.exit_rate == 0 and q.timescale == mpmath.inf
    with pytest.raises(MetacotError, match="unknown cluster"):
        quasi_stationary_exit(c, 7, 0)
    with pytest.raises(MetacotError, match="unknown method"):
        quasi_stationary_exit(c, 0, 0, "exact")
    with pytest.raises(MetacotError, match="count"):
        eigenvalues_near_one(c, 0, 0)
    with pytest.raises(MetacotError, match="unknown method"):
        eigenvalues_near_one(c, 0, 1, "magic")


@settings(max_examples=10)
@given(chains(max_k=3, max_size=3))
def test_characteristic_polynomial_vs_sympy(chain):
    """flint charpoly at rational ε vs sympy's Berkowitz charpoly (independent), and the bivariate polynomial
    (interpolated exactly in ε) evaluated at that ε."""
    if chain.n > 8:
        return
    eps = chain.eps_max / 3
    rows = chain.kernel_exact(eps)
    M = sympy.Matrix(chain.n, chain.n, lambda i, j: sympy.Rational(rows[i].get(j, F(0)).numerator,
                                                                    rows[i].get(j, F(0)).denominator))
    lam = sympy.Symbol("lambda")
    ref = sympy.Poly(M.charpoly(lam).as_expr(), lam).all_coeffs()[::-1]
    got = characteristic_polynomial(chain, eps)
    assert got == [F(int(sympy.fraction(c)[0]), int(sympy.fraction(c)[1])) for c in ref]
    biv = characteristic_polynomial(chain)
    e = sympy.Symbol("epsilon")
    at = sympy.Poly(biv.as_expr().subs(e, sympy.Rational(eps.numerator, eps.denominator)), lam).all_coeffs()[::-1]
    assert [sympy.Rational(c.numerator, c.denominator) for c in got] == at
    # every eigenvalue is a root: 1 is one (stochastic matrix)
    assert sum(got) == 0


def test_implied_timescale():
    assert implied_timescale(0.5) == pytest.approx(1 / math.log(2), rel=1e-15)
    assert implied_timescale(1.0) == math.inf and implied_timescale(-1.0) == math.inf
    with mpmath.workdps(50):
        assert abs(implied_timescale(mpmath.mpf("0.5")) - 1 / mpmath.log(2)) < mpmath.mpf(10) ** -45


def test_meta_generator_eigenvalues_are_those_of_minus_L():
    c = random_chain(4, [2, 3, 2])
    L = meta_generator(c)
    nus = meta_eigenvalues(c)
    with mpmath.workdps(50):
        A = mpmath.matrix([[-_m(v) for v in r] for r in L])
        for nu in nus:
            assert abs(mpmath.det(A - nu * mpmath.eye(len(L)))) < mpmath.mpf(10) ** -40


def test_float_sparse_arpack_path_matches_dense(monkeypatch):
    """Above DENSE_EIG_MAX_N the float path uses ARPACK (which='LR' on P − I); forced here on a 24-state ring."""
    import metacot.numerics.solvers.spectrum as S

    c = ring(8, 3, 1).to_float()
    dense = eigenvalues_near_one(c, 1e-3, 4, "float")
    monkeypatch.setattr(S, "DENSE_EIG_MAX_N", 5)
    sparse = eigenvalues_near_one(c, 1e-3, 4, "float")
    for g, e in zip(sparse.gaps, sparse.errors):
        assert min(abs(g - h) for h in dense.gaps) <= e + max(dense.errors)
