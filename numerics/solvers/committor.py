"""Committors and absorption probabilities between sets of states (spec 08 F3).

q_{A,B}(x) = P_x(τ_A < τ_B), τ_S = inf{t ≥ 0 : X_t ∈ S}: the forward committor of A against B, also
the absorption probability into A of the chain stopped on A ∪ B. One solve for both:
:func:`~metacot.numerics.solvers.hitting.hitting_probabilities` (subtraction-free state reduction;
exact / mp / float / certified). :func:`committor_laurent` gives q(ε) as exact rational functions of ε,
whose ε⁰ coefficient is the ε → 0 limit that claim ``hitting.committor`` compares with the jump chain.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from metacot.numerics.errors import MetacotError


def _state_set(chain, states, what: str) -> set[int]:
    if isinstance(states, (int, np.integer)) and not isinstance(states, bool):
        states = [states]
    try:
        states = list(states)
    except TypeError:
        raise MetacotError(f"set {what} must be a state or a list of states, got {states!r}") from None
    out = set()
    for y in states:
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)) or not 0 <= int(y) < chain.n:
            raise MetacotError(f"unknown state {y!r} in set {what} (states are 0..{chain.n - 1})")
        out.add(int(y))
    return out


def _check_sets(chain, A, B):
    a = _state_set(chain, A, "A")
    b = _state_set(chain, B, "B")
    if not a:
        raise MetacotError("set A is empty: the committor needs at least one state in A")
    if a & b:
        raise MetacotError(f"states {sorted(a & b)} are in both A and B (the sets must be disjoint)")
    return a, b


def committor(chain, A, B, eps, method: str = "auto", *, dps: int = 50):
    """Forward committor q(x) = P_x(τ_A < τ_B) at P(ε), for every state x.

    q = 1 on A, 0 on B; elsewhere e(x) q(x) = P(x, A) + Σ_{y ∉ A∪B, y≠x} P(x, y) q(y) with e(x) the exit
    mass of x, solved by subtraction-free state reduction. States that cannot reach A without
    passing through B get 0 (they never hit A first). With B empty, q(x) = P_x(τ_A < ∞), the
    absorption probability into A.

    Parameters
    ----------
    chain : Chain
    A, B : int or iterable of int
        Disjoint state sets; A non-empty, B may be empty.
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max (strings parse exactly).
    method : {"auto", "exact", "mp", "float", "certified"}
        As :func:`~metacot.numerics.solvers.hitting.hitting_probabilities`: exact Fractions, mpmath
        at `dps` digits, float64 state reduction (relative error ≲ n·1e-16 at any ε), or certified
        enclosures (:class:`~metacot.numerics.numbers.Interval`, ball arithmetic).
    dps : int
        Decimal digits for "mp".

    Returns
    -------
    list (exact: Fraction, mp: mpf, certified: Interval) or float ndarray
        One probability per state.

    Raises
    ------
    MetacotError
        A empty, A and B overlapping, unknown states or method; EpsilonError for ε out of range.

    Examples
    --------
    The 3-state birth–death chain of deeptime's tests (p1 = 7/10, q2 = 2/5, p2 = 1/2, q3 = 3/5):
    from the middle, the chain steps down with probability 2/5 and up with 1/2.

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([["3/10", "7/10", 0], ["2/5", "1/10", "1/2"], [0, "3/5", "2/5"]])
    >>> committor(c, [2], [0], 0)
    [Fraction(0, 1), Fraction(5, 9), Fraction(1, 1)]
    """
    a, b = _check_sets(chain, A, B)
    from metacot.numerics.solvers.hitting import hitting_probabilities

    return hitting_probabilities(chain, sorted(a), eps, avoid=sorted(b), method=method, dps=dps)


def absorption_probabilities(chain, sets, eps, method: str = "auto", *, dps: int = 50):
    """U[i][x] = P_x(the first of the disjoint sets S_0, …, S_{m−1} that X hits is S_i), at P(ε).

    U[i] = committor(S_i, ⋃_{j≠i} S_j). Where none of the sets is reachable every U[i][x] = 0; else
    Σ_i U[i][x] = 1 whenever the union is hit almost surely.

    Parameters
    ----------
    chain : Chain
    sets : list of (int or iterable of int)
        Disjoint, non-empty state sets (at least one).
    eps, method, dps
        As :func:`committor`.

    Returns
    -------
    list
        One committor vector per set (types as :func:`committor`).

    Raises
    ------
    MetacotError
        No set, an empty set, overlapping sets, unknown states or method; EpsilonError for ε out of range.

    Examples
    --------
    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0, 0], ["1/4", "1/4", "1/2"], [0, 0, 1]])
    >>> [u[1] for u in absorption_probabilities(c, [[0], [2]], 0)]
    [Fraction(1, 3), Fraction(2, 3)]
    """
    sets = [_state_set(chain, s, f"S_{i}") for i, s in enumerate(sets)]
    if not sets:
        raise MetacotError("absorption probabilities need at least one set of states")
    seen: dict[int, int] = {}
    for i, s in enumerate(sets):
        if not s:
            raise MetacotError(f"set S_{i} is empty")
        for x in s:
            if x in seen:
                raise MetacotError(f"state {x} is in sets S_{seen[x]} and S_{i} (the sets must be disjoint)")
            seen[x] = i
    out = []
    for i, s in enumerate(sets):
        others = set().union(*(t for j, t in enumerate(sets) if j != i))
        out.append(committor(chain, s, others, eps, method, dps=dps))
    return out


def committor_laurent(chain, A, B) -> list:
    """q(x)(ε) = P_x(τ_A < τ_B) at P(ε) for every state x, as an exact RationalFunction of ε.

    Exact state reduction over QQ(ε) on the generic support of P(ε) (0 < ε < eps_max). The committor
    is bounded, so it has no pole at ε = 0: ``.laurent(0)[0]`` is lim_{ε→0} q(x), the quantity of
    spec 08 F3 (equal, for x in cluster C_k, to the jump chain's absorption probability from k).

    Parameters
    ----------
    chain : Chain
        Exact chain.
    A, B : int or iterable of int
        Disjoint state sets, A non-empty.

    Returns
    -------
    list of RationalFunction
        One per state (constants 1 on A, 0 on B and on states that cannot reach A avoiding B).

    Raises
    ------
    MetacotError
        A float chain, A empty, A and B overlapping, unknown states.

    Examples
    --------
    Two clusters {0, 1} and {2}, plus the absorbing state 3; from cluster {0, 1} the sparse edges
    lead to 2 (weight 1, from state 1) and to 3 (weight 1, from state 0), and π_0 = (1/2, 1/2):

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([["1/2", "1/2", 0, 0], ["1/2", "1/2", 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    ...                      [["-1/2", "-1/2", 0, 1], ["-1/2", "-1/2", 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    >>> q = committor_laurent(c, [2], [3])
    >>> q[0].laurent(1)
    {0: Fraction(1, 2), 1: Fraction(-1, 2)}
    >>> q[0].evaluate(Fraction(1, 2))
    Fraction(1, 4)
    """
    a, b = _check_sets(chain, A, B)
    import scipy.sparse as sp

    from metacot.numerics.solvers import _qq_eps
    from metacot.numerics.solvers.hitting import _cluster_order
    from metacot.numerics.solvers.reduction import absorption_reduction, reach_back

    F, E = _qq_eps.field()
    rows = _qq_eps.kernel_rows(chain, F, E)
    n = chain.n
    ii = [x for x, r in enumerate(rows) for _ in r]
    jj = [y for r in rows for y in r]
    S = sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(n, n), dtype=bool)
    amask = np.zeros(n, dtype=bool)
    amask[list(a)] = True
    stop = amask.copy()
    stop[list(b)] = True
    reach = reach_back(S, amask, stop)        # can reach A without passing through B
    out = [_qq_eps.constant(1 if x in a else 0) for x in range(n)]
    unknown, values = absorption_reduction(rows, set(a), set(np.flatnonzero(stop).tolist()), reach, F.zero,
                                           order_of=lambda u: _cluster_order(chain, u))
    for x, v in zip(unknown, values):
        out[x] = _qq_eps.to_rational_function(v)
    return out

