"""Laws at a time T: ν·P(ε)^T, the survival of a set, the cluster label, and the meta-chain law e^{tL}.

* :func:`law_at_time` — the law of X_T started from ν, ν·P(ε)^T (P^T by repeated squaring);
* :func:`survival_probability` — P_ν(σ_S > T) = ν·Q^T·1 with Q = P(ε) restricted to S and
  σ_S = inf{t ≥ 0 : X_t ∉ S} the exit time of S (claim hitting.escape-law, spec 01 H3);
* :func:`cluster_law_at_time` — P_ν(label(X_T) = l) for every cluster l;
* :func:`meta_law_at_time` — (e^{tL})(k, ·), the law of the meta chain at time t (units 1/ε);
* :func:`meta_law_error` — max_l |P_x(label(X_⌊t/ε⌋) = l) − (e^{tL})(k, l)|, x ∈ C_k (claim
  hitting.meta-chain, spec 01 H4: O(ε)).

Methods. ``"certified"`` (default): python-flint ``arb_mat`` balls from the exact rational entries of
P(ε) (floats at their binary values), powers by repeated squaring (``arb_mat ** T``: log₂T squarings),
e^{tL} by ``arb_mat.exp``; the results are :class:`~metacot.numerics.numbers.Interval` s that contain the
exact value. Products of non-negative entries widen the balls only through rounding: after k squarings
the absolute radius is about T·n·2^−prec, so the precision starts at 128 bits and doubles until every
result has relative width ≤ ``rtol`` (differences such as :func:`meta_law_error` need the most).
``"mp"``: mpmath matrices at ``dps`` digits, the same squarings (a high-precision reference without a
rigorous bound; its rounding error is about T·n·10^−dps).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import Interval, exact_value, parse_number, to_mpf

METHODS = ("certified", "mp")
RTOL = Fraction(1, 10**20)       # default target relative width of certified results
MAX_PREC = 8192                  # bits: cap of the automatic precision loop


# ----------------------------------------------------------------------------- inputs
def _check_time(T) -> int:
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise MetacotError(f"the time T must be a non-negative integer number of steps, got {T!r}")
    return int(T)


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise MetacotError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    return method


def steps_at(t, eps) -> int:
    """⌊t/ε⌋, the number of steps that corresponds to time t on the meta-chain scale (t, ε exact).

    Examples
    --------
    >>> steps_at("3/2", "1e-3")
    1500
    """
    t = parse_number(t, what="t")
    eps = parse_number(eps, what="eps")
    if not isinstance(t, Fraction) or not isinstance(eps, Fraction):
        t, eps = exact_value(t), exact_value(eps)
    if t < 0 or eps <= 0:
        raise MetacotError(f"need t >= 0 and eps > 0, got t = {t}, eps = {eps}")
    return int(t / eps)


def _kernel_rows(chain, eps) -> tuple[list[dict[int, Fraction]], Fraction]:
    """Rows of P(ε) exactly in rationals (floats at their binary values), diagonal included."""
    from metacot.numerics.solvers.certified import _offdiag_rows

    e = exact_value(chain.check_eps(eps, allow_zero=True))
    off = _offdiag_rows(chain, e)
    rows = []
    for x, r in enumerate(off):
        row = dict(r)
        d = 1 - sum(r.values(), Fraction(0))
        if d:
            row[x] = d
        rows.append(row)
    return rows, e


def _initial(chain, initial) -> list[tuple[int, Fraction]]:
    from metacot.numerics.solvers.moments import initial_law

    return [(x, exact_value(w)) for x, w in initial_law(chain, initial)]


def _states(chain, states) -> list[int]:
    from metacot.numerics.solvers.committor import _state_set

    s = sorted(_state_set(chain, states, "S"))
    if not s:
        raise MetacotError("the state set S is empty")
    return s


# ----------------------------------------------------------------------------- the two arithmetics
def _certified(compute, prec, rtol, max_prec, what):
    from metacot.numerics.solvers.certified import _with_precision

    return _with_precision(compute, prec, rtol, max_prec, what)


def _arb_matrix(rows, idx):
    from flint import arb_mat, fmpq

    pos = {x: i for i, x in enumerate(idx)}
    m = len(idx)
    M = arb_mat(m, m)
    for x in idx:
        for y, v in rows[x].items():
            if y in pos and v:
                M[pos[x], pos[y]] = fmpq(v.numerator, v.denominator)
    return M


def _mp_matrix(rows, idx):
    import mpmath

    pos = {x: i for i, x in enumerate(idx)}
    m = len(idx)
    M = mpmath.zeros(m, m)
    for x in idx:
        for y, v in rows[x].items():
            if y in pos and v:
                M[pos[x], pos[y]] = to_mpf(v)
    return M


def matrix_power_row(v, Q, T: int):
    """v·Q^T by repeated squaring (about log₂T squarings of Q), for mpmath matrices.

    Parameters
    ----------
    v : mpmath.matrix
        A 1×m row.
    Q : mpmath.matrix
        An m×m matrix.
    T : int
        Power, T ≥ 0.

    Returns
    -------
    mpmath.matrix
        The 1×m row v·Q^T (at the current mpmath precision).

    Examples
    --------
    >>> import mpmath
    >>> Q = mpmath.matrix([[0.5, 0.5], [0.25, 0.75]])
    >>> r = matrix_power_row(mpmath.matrix([[1, 0]]), Q, 40)
    >>> mpmath.nstr(r[0, 0], 10), mpmath.nstr(r[0, 1], 10)      # → the stationary law (1/3, 2/3)
    ('0.3333333333', '0.6666666667')
    """
    T = _check_time(T)
    out = v.copy()
    P = Q.copy()
    while T:
        if T & 1:
            out = out * P
        T >>= 1
        if T:
            P = P * P
    return out


# ----------------------------------------------------------------------------- laws of the chain
def law_at_time(chain, initial, eps, T, method: str = "certified", *, dps: int = 50, prec=None, rtol=RTOL,
                max_prec: int = MAX_PREC) -> list:
    """The law ν·P(ε)^T of X_T for the chain started from ν, one probability per state.

    Parameters
    ----------
    chain : Chain
    initial : int, dict or sequence
        ν: a start state, {state: weight} or n weights (see
        :func:`metacot.numerics.solvers.moments.initial_law`).
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    T : int
        Number of steps.
    method : {"certified", "mp"}
        See the module docstring.
    dps : int
        Digits for "mp".
    prec, rtol, max_prec
        Certified precision: fixed bits, or automatic until relative width ≤ rtol (cap max_prec bits).

    Returns
    -------
    list of Interval (certified) or mpf (mp)

    Raises
    ------
    MetacotError
        Bad T, method, initial law or ε.

    Examples
    --------
    ring(2, 1, q = 1) is the 2-state chain flipping with probability ε: P_0(X_T = 0) = (1 + (1 − 2ε)^T)/2.

    >>> from metacot.numerics.families import ring
    >>> p = law_at_time(ring(2, 1), 0, "1/4", 3)
    >>> Fraction(9, 16) in p[0], Fraction(7, 16) in p[1]
    (True, True)
    """
    _check_method(method)
    T = _check_time(T)
    rows, _ = _kernel_rows(chain, eps)
    law = _initial(chain, initial)
    idx = list(range(chain.n))
    if method == "mp":
        import mpmath

        with mpmath.workdps(dps):
            v = mpmath.zeros(1, chain.n)
            for x, w in law:
                v[0, x] = to_mpf(w)
            r = matrix_power_row(v, _mp_matrix(rows, idx), T)
            return [+r[0, j] for j in range(chain.n)]

    def compute(bits):
        from flint import arb_mat, ctx, fmpq

        from metacot.numerics.solvers.certified import _ball_interval

        with ctx.workprec(bits):
            v = arb_mat(1, chain.n)
            for x, w in law:
                v[0, x] = fmpq(w.numerator, w.denominator)
            r = v * (_arb_matrix(rows, idx) ** T)
            return [_ball_interval(r[0, j]) for j in range(chain.n)]

    return _certified(compute, prec, rtol, max_prec, "law at time T")


def survival_probability(chain, states, initial, eps, T, method: str = "certified", *, dps: int = 50, prec=None,
                         rtol=RTOL, max_prec: int = MAX_PREC):
    """P_ν(σ_S > T) = ν·Q^T·1: the probability that X_0, …, X_T all lie in S (Q = P(ε) restricted to S).

    σ_S = inf{t ≥ 0 : X_t ∉ S} is the exit time of S (steps); weight of ν outside S counts as σ_S = 0.
    Claim hitting.escape-law (spec 01 H3): from π_k, P(ε·λ_k·σ_k > s) → e^{−s}.

    Parameters
    ----------
    chain : Chain
    states : int or iterable of int
        The set S (e.g. a cluster ``chain.clusters[k]``).
    initial : int, dict or sequence
        ν (see :func:`law_at_time`).
    eps, T, method, dps, prec, rtol, max_prec
        As :func:`law_at_time`.

    Returns
    -------
    Interval (certified) or mpf (mp)

    Examples
    --------
    ring(2, 2, q = 1): from the uniform law on C_0 = {0, 1} the walk leaves C_0 with probability ε/2
    per step and otherwise stays uniform on C_0, so P(σ > T) = (1 − ε/2)^T:

    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 2)
    >>> survival_probability(c, c.clusters[0], {0: "1/2", 1: "1/2"}, "1/10", 0)
    Interval(lo=Fraction(1, 1), hi=Fraction(1, 1))
    >>> Fraction(19, 20) ** 2 in survival_probability(c, c.clusters[0], {0: "1/2", 1: "1/2"}, "1/10", 2)
    True
    """
    _check_method(method)
    T = _check_time(T)
    S = _states(chain, states)
    rows, _ = _kernel_rows(chain, eps)
    pos = {x: i for i, x in enumerate(S)}
    law = [(pos[x], w) for x, w in _initial(chain, initial) if x in pos]
    m = len(S)
    if method == "mp":
        import mpmath

        with mpmath.workdps(dps):
            v = mpmath.zeros(1, m)
            for i, w in law:
                v[0, i] = to_mpf(w)
            r = matrix_power_row(v, _mp_matrix(rows, S), T)
            return +mpmath.fsum(r[0, j] for j in range(m))

    def compute(bits):
        from flint import arb, arb_mat, ctx, fmpq

        from metacot.numerics.solvers.certified import _ball_interval

        with ctx.workprec(bits):
            v = arb_mat(1, m)
            for i, w in law:
                v[0, i] = fmpq(w.numerator, w.denominator)
            r = v * (_arb_matrix(rows, S) ** T)
            tot = arb(0)
            for j in range(m):
                tot += r[0, j]
            return [_ball_interval(tot)]

    return _certified(compute, prec, rtol, max_prec, "survival probability")[0]


def cluster_law_at_time(chain, initial, eps, T, method: str = "certified", **kw) -> list:
    """P_ν(label(X_T) = l) = Σ_{x∈C_l} (ν·P(ε)^T)(x), one value per cluster l (exact sums of the state
    probabilities: Intervals add endpoint-wise).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> p = cluster_law_at_time(ring(2, 1), 0, "1/4", 3)
    >>> Fraction(9, 16) in p[0]
    True
    """
    law = law_at_time(chain, initial, eps, T, method, **kw)
    out = []
    for c in chain.clusters:
        if method == "mp":
            import mpmath

            with mpmath.workdps(kw.get("dps", 50)):
                out.append(+mpmath.fsum(law[x] for x in c))
        else:
            out.append(Interval(sum((law[x].lo for x in c), Fraction(0)), sum((law[x].hi for x in c), Fraction(0))))
    return out


# ----------------------------------------------------------------------------- the meta chain
def _meta_matrix_rows(chain, t: Fraction):
    """t·L exactly in rationals (float chains: their binary values)."""
    from metacot.numerics.solvers.meta_chain import meta_generator

    L = meta_generator(chain)
    K = len(L)
    return [[t * exact_value(L[a][b]) for b in range(K)] for a in range(K)]


def meta_law_at_time(chain, cluster: int, t, method: str = "certified", *, dps: int = 50, prec=None, rtol=RTOL,
                     max_prec: int = MAX_PREC) -> list:
    """(e^{tL})(k, ·): the law at time t (units 1/ε) of the meta chain started in cluster k.

    Parameters
    ----------
    chain : Chain
    cluster : int
        k.
    t : Fraction, int or str
        Time on the meta-chain scale (t ≥ 0).
    method, dps, prec, rtol, max_prec
        As :func:`law_at_time` ("mp": ``mpmath.expm``; certified: ``arb_mat.exp``).

    Returns
    -------
    list of Interval (certified) or mpf (mp), one per cluster

    Examples
    --------
    ring(2, 2, q = 1): L = [[−1/2, 1/2], [1/2, −1/2]], so (e^{tL})(0, 0) = (1 + e^{−t})/2.

    >>> import math
    >>> from metacot.numerics.families import ring
    >>> p = meta_law_at_time(ring(2, 2), 0, 1)
    >>> abs(float(p[0].mid) - (1 + math.exp(-1)) / 2) < 1e-15
    True
    """
    _check_method(method)
    K = chain.K
    if isinstance(cluster, bool) or not isinstance(cluster, (int, np.integer)) or not 0 <= cluster < K:
        raise MetacotError(f"unknown cluster {cluster!r} (clusters are 0..{K - 1})")
    t = exact_value(parse_number(t, what="t"))
    if t < 0:
        raise MetacotError(f"t must be >= 0, got {t}")
    tL = _meta_matrix_rows(chain, t)
    k = int(cluster)
    if method == "mp":
        import mpmath

        with mpmath.workdps(dps + 10):
            E = mpmath.expm(mpmath.matrix([[to_mpf(v) for v in row] for row in tL]))
        with mpmath.workdps(dps):
            return [+E[k, l] for l in range(K)]

    def compute(bits):
        from flint import arb_mat, ctx, fmpq

        from metacot.numerics.solvers.certified import _ball_interval

        with ctx.workprec(bits):
            E = arb_mat([[fmpq(v.numerator, v.denominator) for v in row] for row in tL]).exp()
            return [_ball_interval(E[k, l]) for l in range(K)]

    return _certified(compute, prec, rtol, max_prec, "meta-chain law")


def meta_law_error(chain, start: int, t, eps, method: str = "certified", *, dps: int = 50, prec=None, rtol=RTOL,
                   max_prec: int = MAX_PREC):
    """max_l |P_x(label(X_T) = l) − (e^{tL})(k, l)|, T = ⌊t/ε⌋, x = start ∈ C_k (claim hitting.meta-chain).

    Spec 01 H4: the cluster label on the timescale t/ε follows the meta chain, with an error O(ε).
    Both laws are computed in the same arithmetic (certified: balls, the difference enclosed rigorously;
    mp: ``dps`` digits).

    Parameters
    ----------
    chain : Chain
    start : int
        x.
    t : Fraction, int or str
        Meta-chain time.
    eps : Fraction, int, str, float
        ε > 0.
    method, dps, prec, rtol, max_prec
        As :func:`law_at_time`.

    Returns
    -------
    Interval (certified) or mpf (mp)

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> e3 = meta_law_error(ring(3, 2), 0, 1, "1e-3")
    >>> e4 = meta_law_error(ring(3, 2), 0, 1, "1e-4")
    >>> 9 < float(e3.mid / e4.mid) < 11          # O(ε)
    True
    """
    from metacot.numerics.solvers.meta_chain import cluster_index

    _check_method(method)
    k = cluster_index(chain, start)
    T = steps_at(t, chain.check_eps(eps))
    if method == "mp":
        import mpmath

        with mpmath.workdps(dps):
            p = cluster_law_at_time(chain, int(start), eps, T, "mp", dps=dps)
            E = meta_law_at_time(chain, k, t, "mp", dps=dps)
            return +max(abs(a - b) for a, b in zip(p, E))
    rows, _ = _kernel_rows(chain, eps)
    tL = _meta_matrix_rows(chain, exact_value(parse_number(t, what="t")))
    n, K = chain.n, chain.K
    clusters = chain.clusters
    x0 = int(start)

    def compute(bits):
        from flint import arb, arb_mat, ctx, fmpq

        from metacot.numerics.solvers.certified import _ball_interval

        with ctx.workprec(bits):
            v = arb_mat(1, n)
            v[0, x0] = 1
            law = v * (_arb_matrix(rows, list(range(n))) ** T)
            E = arb_mat([[fmpq(w.numerator, w.denominator) for w in row] for row in tL]).exp()
            worst = None
            for l, c in enumerate(clusters):
                p = arb(0)
                for x in c:
                    p += law[0, x]
                d = abs(p - E[k, l])
                worst = d if worst is None else worst.max(d)
            return [_ball_interval(worst)]

    return _certified(compute, prec, rtol, max_prec, "meta-law error")[0]
