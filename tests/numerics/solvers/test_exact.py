"""The FLINT exact backend (metacot.numerics.solvers.exact) against independent exact references.

References: exact state reduction over Fractions (`reduction.hitting_reduction` on the rows of P(ε)) for
values at one ε, and state reduction over the field QQ(ε) with sympy (`hitting._hitting_laurent_sympy`) for
the rational functions. Both are exact, so every comparison is equality, not a tolerance.
"""
import math
import random
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metacot.numerics.solvers.exact as X
from metacot.numerics.chain import Chain
from metacot.numerics.families import random_chain, ring, uniform_escape
from metacot.numerics.solvers import hitting as H
from metacot.numerics.solvers.reduction import almost_sure_states, hitting_reduction
from strategies import chains, eps_decades


def fraction_reference(chain, targets, eps):
    """E_x[τ] at ε by Fraction state reduction on the rows of P(ε) (the pre-FLINT exact path)."""
    rows = chain.kernel_exact(eps)
    ok = almost_sure_states([list(r) for r in rows], targets)
    unknown = [x for x in range(chain.n) if ok[x] and x not in targets]
    idx = {x: i for i, x in enumerate(unknown)}
    A = [{idx[y]: v for y, v in rows[x].items() if y in idx and y != x} for x in unknown]
    t = [sum((v for y, v in rows[x].items() if y in targets), F(0)) for x in unknown]
    h = hitting_reduction(A, t, [F(1)] * len(unknown)) if unknown else []
    out = [math.inf] * chain.n
    for y in targets:
        out[y] = F(0)
    for x, v in zip(unknown, h):
        out[x] = v
    return out


def affine_chain(n, seed):
    """A general affine chain (not row-rescaled): P1 moves mass between random entries of every row."""
    rng = random.Random(seed)
    P0, P1 = {}, {}
    for x in range(n):
        cols = sorted({x, (x + 1) % n, rng.randrange(n)})
        w = {y: rng.randint(1, 6) for y in cols}
        tot = sum(w.values())
        for y, v in w.items():
            P0[(x, y)] = F(v, tot)
        if rng.random() < 0.8:
            a, z = rng.choice(cols), rng.randrange(n)
            if a != z:
                P1[(x, a)] = P1.get((x, a), 0) - F(1, 3)
                P1[(x, z)] = P1.get((x, z), 0) + F(1, 3)
    return Chain(n, P0, P1, start=0, target=n - 1)


def test_flint_is_the_backend():
    assert X.have_flint()


@settings(max_examples=40)
@given(chains(max_k=5, max_size=5), eps_decades(0, 12), st.integers(0, 3))
def test_exact_values_equal_fraction_reduction(chain, eps, ntargets):
    eps = min(eps, chain.eps_max)
    rng = random.Random(chain.n * 7919 + ntargets)
    targets = {chain.target} | set(rng.sample(range(chain.n), min(ntargets, chain.n)))
    assert X.exact_hitting_times(chain, targets, eps) == fraction_reference(chain, targets, eps)


@pytest.mark.parametrize("chain", [ring(8, 16), random_chain(0, sizes=[10] * 4), uniform_escape(5, 6, 2),
                                   ring(30, 10), random_chain(3, sizes=[9, 1, 14, 6], extra_edges=4)],
                         ids=lambda c: c.name)
def test_exact_values_equal_fraction_reduction_on_larger_chains(chain):
    for eps in (F(0), F(1, 1000), F(1, 3), F(chain.eps_max)):
        assert X.exact_hitting_times(chain, {chain.target}, eps) == fraction_reference(chain, {chain.target}, eps)


def test_block_dense_and_sparse_paths_agree(monkeypatch):
    c = random_chain(11, sizes=[12, 7, 15, 9, 11], extra_edges=5)
    ref = fraction_reference(c, {c.target}, F(1, 50))
    for small, block_max, dense_max in ((0, 400, 200), (0, 0, 200), (0, 0, 0)):   # block, dense, sparse fmpq
        monkeypatch.setattr(X, "DENSE_EXACT_SMALL", small)
        monkeypatch.setattr(X, "BLOCK_EXACT_MAX", block_max)
        monkeypatch.setattr(X, "DENSE_EXACT_MAX", dense_max)
        monkeypatch.setattr(X, "DENSE_EXACT_FILL", 2.0)
        c.__dict__.pop("_exact_pattern", None)
        assert X.exact_hitting_times(c, {c.target}, F(1, 50)) == ref


def test_unreached_and_transient_states():
    # 0 → {0, 1}, 1 → 1 (a trap) at ε = 0; P1 opens 1 → 2 (the target); state 3 is never reached from 2
    P0 = {(0, 0): F(1, 2), (0, 1): F(1, 2), (1, 1): F(1), (2, 2): F(1), (3, 3): F(1, 2), (3, 2): F(1, 2)}
    P1 = {(1, 1): F(-1), (1, 2): F(1)}
    c = Chain(4, P0, P1)
    assert X.exact_hitting_times(c, {2}, F(0)) == [math.inf, math.inf, 0, 2]
    h = X.exact_hitting_times(c, {2}, F(1, 4))
    assert h == fraction_reference(c, {2}, F(1, 4)) and h[1] == 4 and h[0] == 6
    f = X.hitting_rational_functions(c, {2})
    assert f[2] == ((0,), (1,)) and f[1] == ((F(1),), (F(0), F(1)))       # E_1[τ](ε) = 1/ε
    assert H.hitting_laurent(c, 2)[0].evaluate(F(1, 4)) == 6


@settings(max_examples=30)
@given(chains(max_k=4, max_size=4))
def test_rational_functions_equal_sympy_reference(chain):
    targets = {chain.target}
    ref = H._hitting_laurent_sympy(chain, targets)
    new = H.hitting_laurent(chain, chain.target)
    assert [None if f is None else (f.num, f.den) for f in new] == \
        [None if f is None else (f.num, f.den) for f in ref]


@pytest.mark.parametrize("chain", [ring(4, 3, "1/2"), ring(8, 4), uniform_escape(4, 3, 1),
                                   random_chain(5, sizes=[3, 4, 2], extra_edges=3), affine_chain(12, 1)],
                         ids=lambda c: c.name or "affine")
def test_woodbury_and_interpolation_agree_with_sympy(monkeypatch, chain):
    ref = [None if f is None else (f.num, f.den) for f in H._hitting_laurent_sympy(chain, {chain.target})]
    for woodbury in (10**9, -1):     # force the Woodbury form, then force evaluation + interpolation
        monkeypatch.setattr(X, "WOODBURY_MAX", woodbury)
        monkeypatch.setattr(X, "use_woodbury", lambda m, s, w=woodbury: s <= w)
        assert X.hitting_rational_functions(chain, {chain.target}) == ref


@pytest.mark.parametrize("seed", range(4))
def test_general_affine_chains(seed):
    c = affine_chain(16, seed)
    f = H.hitting_laurent(c, c.target)
    for eps in (F(1, 7), F(1, 1000)):
        if eps < c.eps_max:   # inside (0, eps_max) the support of P(ε) is the generic one
            h = fraction_reference(c, {c.target}, eps)
            assert [None if g is None else g.evaluate(eps) for g in f] == [None if v == math.inf else v for v in h]


@pytest.mark.parametrize("seed", range(6))
def test_values_where_entries_of_p_vanish(seed):
    # at ε = eps_max an entry P0 + ε·P1 can reach 0, which can change the support and the a.s.-hitting set;
    # the backend then builds the rows of P(ε) itself instead of the generic support
    c = affine_chain(16, seed)
    e = F(c.eps_max)
    pat = X._pattern(c)
    shrinks = sum(map(len, c.kernel_exact(e))) < sum(map(len, pat.cols))   # kernel_exact drops zero entries
    assert shrinks and (e.numerator, e.denominator) in pat.vanish_at
    assert ((e / 2).numerator, (e / 2).denominator) not in pat.vanish_at
    for eps in (e, e / 2, F(0)):
        assert X.exact_hitting_times(c, {c.target}, eps) == fraction_reference(c, {c.target}, eps)


def test_chains_with_cached_integer_form_pickle():
    # the integer form and the FLINT matrices cached on a chain must not stop it from pickling (Dask, fork)
    import pickle

    c = random_chain(0, sizes=[10] * 4)
    eps = F(1, 1000)
    h = X.exact_hitting_times(c, {c.target}, eps)
    c2 = pickle.loads(pickle.dumps(c))
    assert X.exact_hitting_times(c2, {c2.target}, eps) == h == fraction_reference(c, {c.target}, eps)


def test_normal_form_is_lowest_terms_with_integer_coefficients():
    for c in (ring(5, 4, "1/3"), random_chain(8, sizes=[4, 3, 5])):
        for f in H.hitting_laurent(c, c.target):
            num, den = f.num, f.den
            assert all(v.denominator == 1 for v in num + den) and den[-1] > 0
            assert math.gcd(*[int(v) for v in num + den]) == 1
            import sympy
            e = sympy.Symbol("e")
            pn = sum(int(v) * e**k for k, v in enumerate(num))
            pd = sum(int(v) * e**k for k, v in enumerate(den))
            assert sympy.degree(sympy.gcd(pn, pd), e) <= 0


def test_ring_leading_coefficient_closed_form():
    # lim ε·E_0[τ] = h^meta(1 → K) = (K − 1)·M/q (spec 00) on ring(K, M, q)
    for K, M, q in ((5, 4, 1), (8, 16, 1), (4, 3, F(1, 2))):
        co = H.laurent_coefficients(ring(K, M, q), 0, ring(K, M, q).target, order=1)
        assert co[-1] == (K - 1) * M / F(q)


def test_300_state_laurent_coefficients():
    c = random_chain(5, sizes=[30] * 10)
    co = H.laurent_coefficients(c, c.start, c.target, order=1)
    assert set(co) == {-1, 0, 1} and co[-1] > 0
    f = H.hitting_laurent(c, c.target)[c.start]
    # f(ε) − a₋₁/ε − a₀ = a₁ε + O(ε²): at ε = 1e-12 the remainder is a₁ε to 1 part in 10⁶ at least
    eps = F(1, 10**12)
    rem = f.evaluate(eps) - co[-1] / eps - co[0]
    assert abs(rem - co[1] * eps) <= abs(co[1] * eps) / 10**6
