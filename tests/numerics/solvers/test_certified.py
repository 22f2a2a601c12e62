"""Certified enclosures (ball-arithmetic state reduction): every enclosure contains the exact rational value
computed independently (Fraction state reduction, or an exact linear solve with python-flint fmpq_mat), widths
stay small at every ε down to 1e-400, spec-06 traps, unreachable targets, precision control, dispatch."""
import math
from fractions import Fraction as F

import flint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metacot.numerics.solvers.hitting as H
from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError, MetacotError, PrecisionError, UnreachableTargetError
from metacot.numerics.families import random_chain, ring, uniform_escape
from metacot.numerics.numbers import Interval
from metacot.numerics.solvers.certified import (certified_absorption_probabilities, certified_hitting_times,
                                                 certified_stationary_law)
from strategies import chains, eps_decades

# Width bounds. Ball arithmetic on non-negative numbers only (subtraction-free): each operation adds about
# 2^-prec to the relative radius of its result and nothing is cancelled, so the relative width of a result is
# ≲ (operations on its dependency path)·2^-prec. The strategy chains have ≤ 16 states (≤ 16³ ≈ 4·10³ operations):
# at 128 bits (2^-128 ≈ 2.9e-39) that is ≤ 1.2e-35; W128 = 1e-30 leaves five decades of room. At 53 bits
# (1.1e-16) the same count gives ≤ 5e-13; W53 = 1e-10 leaves more than two decades.
W128 = F(1, 10**30)
W53 = F(1, 10**10)
# the automatic precision guarantees the default target relative width rtol = 1e-20 (certified.RTOL)
AUTO = F(1, 10**20)


def _clamp(chain, eps):
    return eps if eps <= chain.eps_max else chain.eps_max / 2


def _assert_encloses(exact, cert, width=AUTO):
    assert len(exact) == len(cert)
    for a, b in zip(exact, cert):
        if a == math.inf:
            assert b == math.inf
            continue
        assert isinstance(b, Interval)
        assert a in b, (a, b)
        assert b.relative_width() <= width, (a, b, float(b.relative_width()))


def _wide_eps():
    """ε = m·10^-d over every decade from 1e-1 to 1e-400 (far below the float range)."""
    return st.builds(lambda m, d: F(m, 10**d), st.integers(1, 9), st.integers(1, 400))


# --------------------------------------------------------------------------- hitting times
@given(chains(), eps_decades(1, 40), st.data())
def test_hitting_times_enclose_exact(chain, eps, data):
    eps = _clamp(chain, eps)
    target = data.draw(st.integers(0, chain.n - 1))
    exact = H.expected_hitting_times(chain, target, eps, "exact")
    cert = certified_hitting_times(chain, target, eps)
    _assert_encloses(exact, cert)
    assert cert[target] == Interval(0, 0)


@settings(max_examples=15)
@given(chains(), _wide_eps())
def test_hitting_times_enclose_exact_over_400_decades(chain, eps):
    eps = _clamp(chain, eps)
    exact = H.expected_hitting_times(chain, chain.target, eps, "exact")
    _assert_encloses(exact, certified_hitting_times(chain, chain.target, eps, prec=128), W128)
    _assert_encloses(exact, certified_hitting_times(chain, chain.target, eps, prec=53), W53)


@pytest.mark.parametrize("eps", ["1e-300", "1e-400", "3e-1000"])
def test_tiny_eps_encloses_exact(eps):
    """ε below the float range: arb has an unbounded exponent, E[τ] ~ 1e400 is enclosed tightly."""
    c = random_chain(3, [3, 2, 4], extra_edges=2)
    e = F(eps)
    exact = H.expected_hitting_times(c, c.target, e, "exact")
    cert = certified_hitting_times(c, c.target, eps)
    _assert_encloses(exact, cert)
    assert cert[0].lo > 10 ** (int(eps.split("e-")[1]) - 3)   # E_0[τ] ≈ h/ε
    # ring(3, 2): E_0[τ] = (K−1)·M/(q·ε) + O(1) = 4/ε + O(1), so ε·E_0[τ] = 4 up to the width (≤ 1e-20) + O(ε)
    r = ring(3, 2)
    h = certified_hitting_times(r, r.target, eps)
    assert abs(h[0].mid * e - 4) < F(1, 10**19)
    _assert_encloses(H.expected_hitting_times(r, r.target, e, "exact"), h)


def test_width_does_not_depend_on_eps():
    """The width at fixed precision is the same at ε = 1e-2 and 1e-300 (no cancellation anywhere)."""
    c = uniform_escape(4, 3)
    w = []
    for d in (2, 300):
        h = certified_hitting_times(c, c.target, F(1, 10**d), prec=64)
        w.append(max(v.relative_width() for v in h if v != math.inf))
    # both are ~n·2^-64 ≈ 1e-18; a factor 10 allows for the different operand values
    assert max(w) <= 10 * min(w) and max(w) < F(1, 10**15)


def test_unreachable_targets_are_inf():
    r = ring(3, 2)
    # ε = 0: the clusters are closed, the target (in C_2) is not reached from C_0 or C_1
    h = certified_hitting_times(r, r.target, 0)
    for x in range(r.n):
        if r.cluster_of[x] == r.cluster_of[r.target]:
            assert isinstance(h[x], Interval)
        else:
            assert h[x] == math.inf
    # a trap: from state 1 the walk can fall into the absorbing state 2 and never reach 0
    c = Chain.from_dense([[1, 0, 0], ["1/2", "1/4", "1/4"], [0, 0, 1]])
    h = certified_hitting_times(c, 0, 0)
    assert h == [Interval(0, 0), math.inf, math.inf]
    with pytest.raises(UnreachableTargetError):
        H.hitting_time(c, 1, 0, 0, method="certified")


def test_float_chain_entries_taken_at_their_binary_values():
    """A float chain's kernel is the exact binary rationals it stores (diagonal = 1 − off-diagonal mass).

    Independent reference: the linear system (diag(e) − A) h = 1 solved exactly with flint.fmpq_mat.
    """
    c = ring(3, 3, exact=False)
    eps = 1e-250                                 # a float ε is taken at its exact binary value
    e = F(eps)
    P0, P1 = c.csr(0).toarray(), c.csr(1).toarray()
    n, tgt = c.n, c.target
    unknown = [x for x in range(n) if x != tgt]
    off = [[(F(P0[x, y]) + e * F(P1[x, y])) if x != y else F(0) for y in range(n)] for x in range(n)]
    M = flint.fmpq_mat(len(unknown), len(unknown))
    for i, x in enumerate(unknown):
        d = sum(off[x], F(0))
        M[i, i] = flint.fmpq(d.numerator, d.denominator)
        for j, y in enumerate(unknown):
            if y != x and off[x][y]:
                M[i, j] = flint.fmpq(-off[x][y].numerator, off[x][y].denominator)
    sol = M.solve(flint.fmpq_mat(len(unknown), 1, [1] * len(unknown)))
    exact = [F(0)] * n
    for i, x in enumerate(unknown):
        q = sol[i, 0]
        exact[x] = F(int(q.p), int(q.q))
    cert = certified_hitting_times(c, tgt, eps)
    _assert_encloses(exact, cert)
    fl = H.expected_hitting_times(c, tgt, eps, "float")
    assert all(abs(F(float(f)) / v.mid - 1) < F(1, 10**12) for f, v in zip(fl, cert) if v != Interval(0, 0))


# --------------------------------------------------------------------------- absorption probabilities
@settings(max_examples=20)
@given(chains(), eps_decades(1, 40), st.data())
def test_absorption_probabilities_enclose_exact(chain, eps, data):
    eps = _clamp(chain, eps)
    a = data.draw(st.integers(0, chain.n - 1))
    b = data.draw(st.integers(0, chain.n - 1).filter(lambda y: y != a))
    exact = H.hitting_probabilities(chain, a, eps, avoid=[b], method="exact")
    cert = certified_absorption_probabilities(chain, a, eps, avoid=[b])
    _assert_encloses(exact, cert)
    assert cert[a] == Interval(1, 1) and cert[b] == Interval(0, 0)
    # no avoid set: the chain is irreducible for ε > 0, the target is hit with probability exactly 1
    assert all(u == Interval(1, 1) or 1 in u for u in certified_absorption_probabilities(chain, a, eps))


def test_absorption_probabilities_tiny_eps_and_unreachable():
    c = random_chain(11, [2, 3, 2], extra_edges=1)
    e = F(1, 10**400)
    exact = H.hitting_probabilities(c, c.target, e, avoid=[0], method="exact")
    _assert_encloses(exact, certified_absorption_probabilities(c, c.target, "1e-400", avoid=[0]))
    # ε = 0: states outside the target's cluster never reach it, u = 0 exactly
    u = certified_absorption_probabilities(c, c.target, 0)
    for x in range(c.n):
        if c.cluster_of[x] != c.cluster_of[c.target]:
            assert u[x] == Interval(0, 0)
    with pytest.raises(MetacotError, match="both in target and avoid"):
        certified_absorption_probabilities(c, 1, e, avoid=[1])


# --------------------------------------------------------------------------- stationary law
@pytest.mark.parametrize("a", ["1e-2", "1e-17", "1e-300", "1e-400"])
def test_two_state_stationary_trap(a):
    """Spec 06: [[1−a, a], [a/2, 1−a/2]] has π = (1/3, 2/3) for every a > 0 (naive LU gives (0, 1) at 1e-17)."""
    c = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])
    pi = certified_stationary_law(c, a)
    assert F(1, 3) in pi[0] and F(2, 3) in pi[1]
    assert max(p.relative_width() for p in pi) <= AUTO
    pf = H.stationary_law(c.to_float(), float(a) if a != "1e-400" else F(1, 10**400), "certified")
    # float chain, float ε: the off-diagonal entries are a' and a'/2 for the binary value a' of a, so π is
    # still exactly (1/3, 2/3)
    assert F(1, 3) in pf[0] and F(2, 3) in pf[1]


@settings(max_examples=15)
@given(chains(), eps_decades(1, 40))
def test_stationary_law_encloses_exact(chain, eps):
    eps = _clamp(chain, eps)
    exact = H.stationary_law(chain, eps, "exact")
    _assert_encloses(exact, certified_stationary_law(chain, eps))
    _assert_encloses(exact, certified_stationary_law(chain, eps, prec=53), W53)


def test_stationary_unichains_and_closed_classes():
    """As the exact GTH: zero on transient states, one closed class needed (two raise ChainError)."""
    for P in ([[1, 0], ["1/2", "1/2"]], [["1/2", "1/2"], [0, 1]],
              [["1/3", "1/3", "1/3"], [0, "1/2", "1/2"], [0, "1/4", "3/4"]]):
        c = Chain.from_dense(P)
        exact = H.stationary_law(c, 0, "exact")
        cert = certified_stationary_law(c, 0)
        _assert_encloses(exact, cert)
        assert all(v == Interval(0, 0) for p, v in zip(exact, cert) if p == 0)
    two = Chain.from_dense([[1, 0, 0], [0, 1, 0], ["1/2", "1/4", "1/4"]])
    with pytest.raises(ChainError, match="closed classes"):
        H.stationary_law(two, 0, "exact")
    with pytest.raises(ChainError, match="2 closed classes"):
        certified_stationary_law(two, 0)


# --------------------------------------------------------------------------- precision control, dispatch
def test_precision_cap_is_an_error_not_a_wide_interval():
    c = ring(3, 2)
    with pytest.raises(PrecisionError, match="precision cap of 256 bits") as exc:
        certified_hitting_times(c, c.target, "1e-30", rtol=F(1, 10**200), max_prec=256)
    assert "\n" not in str(exc.value)
    # a tighter target makes the automatic loop raise the precision until it is met
    h = certified_hitting_times(c, c.target, "1e-30", rtol=F(1, 10**200), max_prec=1024)
    assert max(v.relative_width() for v in h) <= F(1, 10**200)
    with pytest.raises(MetacotError, match="prec"):
        certified_hitting_times(c, c.target, "1e-30", prec=0)


def test_dispatch_through_hitting_module():
    c = random_chain(7, [3, 3])
    e = F(1, 10**50)
    exact = H.expected_hitting_times(c, c.target, e, "exact")
    assert "certified" in H.METHODS
    _assert_encloses(exact, H.expected_hitting_times(c, c.target, e, "certified"))
    v = H.hitting_time(c, 0, c.target, e, method="certified")
    assert isinstance(v, Interval) and exact[0] in v
    pe = H.hitting_probabilities(c, c.target, e, avoid=[1], method="exact")
    _assert_encloses(pe, H.hitting_probabilities(c, c.target, e, avoid=[1], method="certified"))
    _assert_encloses(H.stationary_law(c, e, "exact"), H.stationary_law(c, e, "certified"))
