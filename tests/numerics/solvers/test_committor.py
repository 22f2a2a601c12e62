"""Committors / absorption probabilities: an independent exact dense solve, all methods, the ε → 0 limit."""
from fractions import Fraction as F

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.solvers.committor import absorption_probabilities, committor, committor_laurent
from metacot.numerics.solvers.meta_chain import jump_chain
from strategies import chains, eps_decades

# Tolerances.
FLOAT_REL = 1e-12   # subtraction-free state reduction: relative error ≲ n·1.1e-16 at every ε (spec 06), n ≤ 16
MP_REL = 1e-40      # dps = 50: ~n·1e-50 rounding; ten digits of room


def _clamp(chain, eps):
    return eps if eps <= chain.eps_max else chain.eps_max / 2


def _dense_committor(rows, n, A, B):
    """Independent reference: solve (I − P_UU) q_U = P_UA·1 on U = states outside A ∪ B with sympy (exact).
    Valid when every state reaches A ∪ B (true for the irreducible chains used here)."""
    U = [x for x in range(n) if x not in A and x not in B]
    R = lambda v: sympy.Rational(v.numerator, v.denominator)  # noqa: E731
    M = sympy.zeros(len(U), len(U))
    b = sympy.zeros(len(U), 1)
    for i, x in enumerate(U):
        M[i, i] = 1
        for y, v in rows[x].items():
            if y in A:
                b[i] += R(v)
            elif y not in B:
                M[i, U.index(y)] -= R(v)
    q = M.LUsolve(b) if U else []
    out = [F(1) if x in A else F(0) for x in range(n)]
    for i, x in enumerate(U):
        num, den = sympy.fraction(q[i])
        out[x] = F(int(num), int(den))
    return out


@st.composite
def chain_and_sets(draw):
    chain = draw(chains())
    states = list(range(chain.n))
    A = draw(st.sets(st.sampled_from(states), min_size=1, max_size=max(1, chain.n // 2)))
    rest = [x for x in states if x not in A]
    B = draw(st.sets(st.sampled_from(rest), min_size=1, max_size=len(rest))) if rest else set()
    return chain, sorted(A), sorted(B)


@settings(max_examples=20)
@given(chain_and_sets(), eps_decades(1, 30))
def test_committor_matches_dense_solve_and_methods_agree(case, eps):
    chain, A, B = case
    eps = _clamp(chain, eps)
    ex = committor(chain, A, B, eps, "exact")
    assert ex == _dense_committor(chain.kernel_exact(eps), chain.n, set(A), set(B))
    for a, b in zip(committor(chain, A, B, eps, "float"), ex):
        assert (b == 0 and a == 0) or abs(a / float(b) - 1) <= FLOAT_REL
    with mpmath.workdps(60):
        for a, b in zip(committor(chain, A, B, eps, "mp"), ex):
            assert (b == 0 and a == 0) or abs(a / (mpmath.mpf(b.numerator) / b.denominator) - 1) <= MP_REL
    for I, b in zip(committor(chain, A, B, eps, "certified"), ex):
        assert b in I
    if B:
        # the chain is irreducible for ε > 0: A ∪ B is hit a.s., so q_{A,B} + q_{B,A} = 1
        back = committor(chain, B, A, eps, "exact")
        assert all(u + v == 1 for u, v in zip(ex, back))
        U = absorption_probabilities(chain, [A, B], eps, "exact")
        assert U[0] == ex and U[1] == back


@settings(max_examples=12)
@given(chains(min_k=3), st.data())
def test_laurent_evaluates_exactly_and_limit_is_jump_chain_absorption(chain, data):
    """The rational function evaluates to the exact committor; its ε → 0 limit from x ∈ C_k equals the jump
    chain's probability to reach cluster l before cluster m from k (spec 08 F3)."""
    K = chain.K
    l, m = data.draw(st.lists(st.integers(0, K - 1), min_size=2, max_size=2, unique=True))
    A, B = chain.clusters[l], chain.clusters[m]
    q = committor_laurent(chain, A, B)
    eps = _clamp(chain, F(1, 1000))
    assert [f.evaluate(eps) for f in q] == committor(chain, A, B, eps, "exact")
    # jump chain absorption probabilities (independent: a K-state exact dense solve)
    J = jump_chain(chain)
    rows = [{b: J[a][b] for b in range(K) if J[a][b] != 0} for a in range(K)]
    ref = _dense_committor(rows, K, {l}, {m})
    for x in range(chain.n):
        assert q[x].pole_order() == 0
        assert q[x].laurent(0)[0] == ref[int(chain.cluster_of[x])], x


def test_birth_death_closed_form():
    """Gambler's ruin on 0..4 with up-probability p = 2/3 (down 1/3), committor of {4} against {0}:
    q(x) = (1 − r^x)/(1 − r^4) with r = (1/3)/(2/3) = 1/2."""
    p, qd = F(2, 3), F(1, 3)
    n = 5
    P = [[F(0)] * n for _ in range(n)]
    P[0][0] = P[4][4] = F(1)
    for x in range(1, 4):
        P[x][x + 1], P[x][x - 1] = p, qd
    c = Chain.from_dense([[str(v) for v in r] for r in P])
    r = qd / p
    expected = [(1 - r ** x) / (1 - r ** 4) for x in range(n)]
    assert committor(c, [4], [0], 0) == expected
    assert committor(c, 4, 0, 0, "float").tolist() == pytest.approx([float(v) for v in expected], rel=FLOAT_REL, abs=0)
    # B empty: P_x(ever hit 4); the walk is absorbed at 0 or 4, so this is the same committor here
    assert committor(c, [4], [], 0) == expected


def test_errors():
    c = Chain.from_dense([["1/2", "1/2"], ["1/2", "1/2"]])
    with pytest.raises(MetacotError, match="empty"):
        committor(c, [], [1], 0)
    with pytest.raises(MetacotError, match="in both A and B"):
        committor(c, [0, 1], [1], 0)
    with pytest.raises(MetacotError, match="unknown state 5"):
        committor(c, [5], [1], 0)
    with pytest.raises(MetacotError, match="disjoint"):
        absorption_probabilities(c, [[0], [0, 1]], 0)
    with pytest.raises(MetacotError, match="exact chain"):
        committor_laurent(c.to_float(), [0], [1])
