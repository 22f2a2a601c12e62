"""Expected hitting times E_x[τ_y] of P(ε) = P0 + ε·P1 (spec 01, 06).

One entry point, `expected_hitting_times(chain, target, eps, method=...)`, with methods
  exact   – Fractions, exact rational answer (exact chain, rational ε);
  mp      – mpmath at `dps` digits (default 50), for ε down to 1e-30 and below;
  float   – float64 subtraction-free state reduction (relative error ≤ 1e-12 for ε down to 1e-300):
            dense blocked (n ≤ DENSE_FLOAT_MAX_N) or sparse clustered (linalg.hitting_reduction_sparse);
  auto    – exact for exact chains with rational ε and n ≤ 400, float otherwise;
  certified – rigorous enclosures (Interval per state) by state reduction in ball arithmetic
            (python-flint arb, automatic precision; metacot.numerics.solvers.certified);
  mc      – Monte Carlo, only in `hitting_time(..., method="mc", n_walkers=, seed=)`; for the standard
            error and the raw sample use `simulate.monte_carlo_hitting_time`.
Also here (one home each): `hitting_probabilities` (absorption probabilities), `exit_times` /
`mean_exit_time` (exit times from a cluster); `stationary_law` calls solvers.stationary (the home of stationary laws).
`hitting_laurent` gives E_x[τ_y](ε) as an exact rational function of ε and its Laurent
coefficients at ε = 0 (claim hitting.leading-order).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import scipy.sparse as sp

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError, LimitError, MetacotError, UnreachableTargetError
from metacot.numerics.solvers.reduction import (absorbing_solve, absorption_reduction, almost_sure_states, almost_sure_states_csr, reach_back,
                                                hitting_reduction, hitting_reduction_dense,
                                                hitting_reduction_sparse)
from metacot.numerics.numbers import Interval, format_brief, format_number, to_mpf

METHODS = ("auto", "exact", "laurent", "mp", "float", "certified")
EXACT_AUTO_MAX_N = 400
DENSE_FLOAT_MAX_N = 3000
#: guard rails of the exact, mp and Laurent paths (about 10 s each on one core), in units of
#: `elimination_work`; beyond them a LimitError suggests the float (or certified) method
EXACT_WORK_MAX = 5 * 10**6
LAURENT_WORK_MAX = 5 * 10**6  # per exact solve of the FLINT backend (metacot.numerics.solvers.exact)


def elimination_work(chain: Chain) -> int:
    """Cost model of exact state reduction in cluster order: n + Σ_k m_k³ over the strongly connected
    components (sizes m_k) of P0, since fill-in stays inside a component.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> elimination_work(ring(3, 2, 1))  # 6 states, three 2-state blocks
    30
    """
    sizes = np.bincount(np.asarray(_float_labels(chain)))
    return chain.n + int(np.sum(sizes.astype(np.float64) ** 3))


def check_exact_work(chain: Chain, method: str, dps: int = 50) -> None:
    """LimitError before an exact, mp or Laurent solve whose `elimination_work` is beyond its budget."""
    work = elimination_work(chain) * (max(1.0, dps / 50) if method == "mp" else 1)
    if method == "laurent":  # the FLINT backend does `laurent_solves` exact solves (1: Woodbury form)
        from metacot.numerics.solvers.exact import laurent_solves

        work *= laurent_solves(chain)
    limit = LAURENT_WORK_MAX if method == "laurent" else EXACT_WORK_MAX
    if work > limit:
        way = ("use exact values at a few small eps (method 'exact') or the float method" if method == "laurent"
               else "use method 'float' (relative error about n·1e-16 at any eps down to 1e-300) or 'certified'")
        raise LimitError(f"method '{method}' on this chain (n = {chain.n}) is beyond its cost limit: "
                         f"n + sum of cubed block sizes of P0 = {work:.2g} > {limit:.0e} (about 10 s); {way}")


def _targets(chain: Chain, target) -> set[int]:
    ts = [target] if isinstance(target, (int, np.integer)) else list(target)
    if not ts:
        raise MetacotError("target set is empty")
    out = set()
    for y in ts:
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)) or not 0 <= int(y) < chain.n:
            raise MetacotError(f"unknown target state {y!r} (states are 0..{chain.n - 1})")
        out.add(int(y))
    return out


def _check_state(chain: Chain, x, what="start"):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= int(x) < chain.n:
        raise MetacotError(f"unknown {what} state {x!r} (states are 0..{chain.n - 1})")
    return int(x)


def _system(rows, targets, zero):
    """Reduce kernel rows to the off-diagonal system on the a.s.-hitting non-target states."""
    n = len(rows)
    ok = almost_sure_states([list(r.keys()) for r in rows], targets)
    unknown = [x for x in range(n) if ok[x] and x not in targets]
    idx = {x: i for i, x in enumerate(unknown)}
    A, t = [], []
    for x in unknown:
        r, tx = {}, zero
        for y, v in rows[x].items():
            if y in targets:
                tx = tx + v
            elif y != x:
                r[idx[y]] = v
        A.append(r)
        t.append(tx)
    return ok, unknown, A, t


def _assemble(n, targets, ok, unknown, h, zero, inf):
    out = [inf] * n
    for y in targets:
        out[y] = zero
    for x, v in zip(unknown, h):
        out[x] = v
    return out


def _cluster_order(chain: Chain, unknown):
    """Elimination order: cluster by cluster (keeps fill-in inside clusters), when clusters are known."""
    try:
        lab = chain.cluster_of
    except ChainError:
        return None
    pos = sorted(range(len(unknown)), key=lambda i: (lab[unknown[i]], unknown[i]))
    return pos


def expected_hitting_times(chain: Chain, target, eps, method: str = "auto", *, dps: int = 50):
    """h(x) = E_x[τ_target] for every state x at P(ε), in steps; τ = inf{t ≥ 0 : X_t ∈ target}.

    h = 0 on the target and h(x) = 1 + Σ_y P(ε)(x, y) h(y) elsewhere, solved by subtraction-free state
    reduction (GTH family) in the field of the method, cluster by cluster; states from which the target is
    not hit almost surely get inf. Metastable chains have h(x) ≈ h^meta(k → l)/ε for x ∈ C_k, target in
    C_l (claim hitting.leading-order; the exact Laurent expansion is :func:`hitting_laurent`). Claims:
    hitting.* (spec 01).

    Parameters
    ----------
    chain : Chain
    target : int or iterable of int
        The target state or set of states.
    eps : Fraction, int, str, float or mpf
        ε with 0 ≤ ε ≤ eps_max (strings parse exactly: ``"1/100"``, ``"1e-30"``).
    method : {"auto", "exact", "laurent", "mp", "float", "certified"}
        exact: Fractions (exact chain, rational ε); laurent: the exact rational function of ε evaluated
        at ε; mp: mpmath at `dps` digits (any ε, e.g. 1e-300); float: float64 state reduction (relative
        error ≲ n·1e-16 for ε down to 1e-300); certified: enclosures in ball arithmetic; auto: exact for an
        exact chain with rational ε, n ≤ 400 and an affordable elimination, else float.
    dps : int, default 50
        Decimal digits for "mp".

    Returns
    -------
    list or ndarray
        One value per state: list of Fraction (exact, laurent; ``math.inf`` where infinite), list of mpf
        (mp), list of Interval (certified; Interval(0, 0) on the target), float ndarray (float).

    Raises
    ------
    MetacotError
        Unknown method or target state, an empty target, exact requested for a float chain or an
        irrational ε; LimitError when an exact, mp or Laurent solve is beyond its cost limit.
    EpsilonError
        ε outside [0, eps_max].

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)
    >>> expected_hitting_times(c, c.target, "1/100")
    [Fraction(400, 1), Fraction(402, 1), Fraction(199, 1), Fraction(201, 1), Fraction(1004, 101), Fraction(0, 1)]
    >>> expected_hitting_times(c, c.target, 0.01, method="float").round(6)
    array([400.      , 402.      , 199.      , 201.      ,   9.940594,   0.      ])
    """
    if method not in METHODS:
        raise MetacotError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    if method == "certified":
        from metacot.numerics.solvers.certified import certified_hitting_times

        return certified_hitting_times(chain, target, eps)
    targets = _targets(chain, target)
    eps = chain.check_eps(eps, allow_zero=True)
    if method == "auto":
        method = "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N
                             and elimination_work(chain) <= EXACT_WORK_MAX) else "float"
    if method in ("exact", "laurent"):
        if not chain.exact:
            raise MetacotError("method 'exact' needs an exact chain (rational entries); use 'mp' or 'float'")
        if not isinstance(eps, Fraction):
            raise MetacotError("method 'exact' needs a rational eps")
        if method == "laurent":
            f = hitting_laurent(chain, target)
            return [g.evaluate(eps) for g in f]
        check_exact_work(chain, method)
        from metacot.numerics.solvers.exact import exact_hitting_times, have_flint

        if have_flint():
            return exact_hitting_times(chain, targets, eps)
        rows = chain.kernel_exact(eps)
        zero, one, inf = Fraction(0), Fraction(1), math.inf
    elif method == "mp":
        check_exact_work(chain, method, dps)
        with mpmath.workdps(dps):
            return _mp_hitting(chain, targets, eps, dps)
    else:
        return _float_hitting(chain, targets, eps)
    ok, unknown, A, t = _system(rows, targets, zero)
    if not unknown:
        return _assemble(chain.n, targets, ok, unknown, [], zero, inf)
    h = hitting_reduction(A, t, [one] * len(unknown), order=_cluster_order(chain, unknown))
    return _assemble(chain.n, targets, ok, unknown, h, zero, inf)


def _mp_hitting(chain, targets, eps, dps):
    mpf = mpmath.mpf
    e = to_mpf(eps)
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)
    conv = to_mpf
    rows = []
    for a, b in zip(r0, r1):
        row = {j: conv(v) for j, v in a.items()}
        for j, v in b.items():
            row[j] = row.get(j, mpf(0)) + e * conv(v)
        rows.append({j: v for j, v in row.items() if v != 0 and j is not None})
    # entries that are 0 + ε·(negative) never occur in valid chains; tiny negatives from ε = eps_max rounding:
    rows = [{j: (v if v > 0 else mpf(0)) for j, v in r.items()} for r in rows]
    rows = [{j: v for j, v in r.items() if v != 0} for r in rows]
    ok, unknown, A, t = _system(rows, targets, mpf(0))
    if not unknown:
        return _assemble(chain.n, targets, ok, unknown, [], mpf(0), mpmath.inf)
    h = hitting_reduction(A, t, [mpf(1)] * len(unknown), order=_cluster_order(chain, unknown))
    return _assemble(chain.n, targets, ok, unknown, h, mpf(0), mpmath.inf)


def _float_labels(chain: Chain) -> np.ndarray:
    """Cluster labels used only to order the sparse elimination: given clusters, else SCCs of P0 (cheap)."""
    if chain.has_given_clusters:
        return chain.cluster_of
    from scipy.sparse.csgraph import connected_components

    _, lab = connected_components(chain.csr(0), directed=True, connection="strong")
    return lab


def _float_solve(P: "sp.csr_matrix", absorb: np.ndarray, cost_cols: np.ndarray | None, labels=None):
    """Float64 subtraction-free solve on the states outside `absorb` (all must reach `absorb` a.s.).

    P: off-diagonal kernel (CSR); exit mass = mass into absorb; cost: 1 per step (cost_cols None) or the
    given n×r matrix evaluated on the unknown states. Returns (unknown indices, solution rows).
    """
    return absorbing_solve(P, absorb, cost_cols, labels, dense_max=DENSE_FLOAT_MAX_N)


def _float_hitting(chain, targets, eps):
    P = chain.offdiag_kernel(eps)
    n = chain.n
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    ok = almost_sure_states_csr(P, tmask)
    out = np.full(n, np.inf)
    out[tmask] = 0.0
    absorb = tmask | ~ok  # states that do not hit a.s. are never entered from a.s. states
    unknown, H = _float_solve(P, absorb, None, _float_labels(chain))
    out[unknown] = H[:, 0]
    return out


def hitting_time(chain: Chain, start, target, eps, method: str = "auto", *, dps: int = 50,
                 n_walkers: int = 20000, seed=None):
    """E_start[τ_target] at P(ε) as one number, in steps (τ = inf{t ≥ 0 : X_t ∈ target}).

    The entry `start` of :func:`expected_hitting_times`, or the Monte Carlo mean of `n_walkers` walkers for
    method "mc" (use :func:`~metacot.numerics.solvers.monte_carlo.monte_carlo_hitting_time` for its
    standard error and the raw sample). For ring(K, M, q), E[τ] = (K−1)·M/(q ε) + K − M − 1 exactly
    (claims hitting.canonical, hitting.exact-canonical); in general ε·E[τ] → h^meta (hitting.leading-order).

    Parameters
    ----------
    chain : Chain
    start : int
        X_in.
    target : int or iterable of int
    eps : Fraction, int, str, float or mpf
        ε with 0 ≤ ε ≤ eps_max (strings parse exactly).
    method : {"auto", "exact", "laurent", "mp", "float", "certified", "mc"}
        As :func:`expected_hitting_times`, plus "mc" (Monte Carlo).
    dps : int, default 50
        Decimal digits for "mp".
    n_walkers : int, default 20000
        Walkers for "mc".
    seed : int, optional
        Seed for "mc" (same seed, same value); None draws fresh entropy.

    Returns
    -------
    Fraction, mpf, float or Interval
        By method, as :func:`expected_hitting_times`; a float for "mc".

    Raises
    ------
    UnreachableTargetError
        The target is not hit almost surely from `start` (E[τ] is infinite).
    MetacotError
        Unknown state or method (and the errors of :func:`expected_hitting_times`).
    EpsilonError
        ε outside [0, eps_max].

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)                              # (K−1)·M/(q ε) + K − M − 1 = 4/ε
    >>> hitting_time(c, c.start, c.target, "1/100")
    Fraction(400, 1)
    >>> hitting_time(c, c.start, c.target, "1e-30", method="mp")
    mpf('4.0e+30')
    >>> 4 * 10**30 in hitting_time(c, c.start, c.target, "1e-30", method="certified")
    True
    >>> abs(hitting_time(c, c.start, c.target, "1/10", method="mc", n_walkers=4000, seed=0) - 40) < 2
    True
    """
    x = _check_state(chain, start)
    if method == "mc":
        from metacot.numerics.solvers.monte_carlo import monte_carlo_hitting_time

        _targets(chain, target)
        return monte_carlo_hitting_time(chain, x, target, eps, n_walkers, seed).mean
    h = expected_hitting_times(chain, target, eps, method, dps=dps)
    v = h[x]
    if v == math.inf or (isinstance(v, mpmath.mpf) and mpmath.isinf(v)):
        raise UnreachableTargetError(
            f"target {format_number(target) if isinstance(target, int) else target} is not reached almost surely "
            f"from state {x} at eps = {format_brief(eps)}: E[tau] is infinite")
    return v


# ----------------------------------------------------------------------------- probabilities, exits, stationary
def _field_rows(chain: Chain, eps, method: str, dps: int):
    """Rows of P(ε) as dicts over the method's field: ('exact', Fraction) or ('mp', mpf)."""
    if method == "exact":
        if not chain.exact or not isinstance(eps, Fraction):
            raise MetacotError("method 'exact' needs an exact chain and a rational eps; use 'mp' or 'float'")
        return chain.kernel_exact(eps), Fraction(0), Fraction(1)
    mpf = mpmath.mpf
    e = to_mpf(eps)
    conv = to_mpf
    rows = []
    for a, b in zip(chain.row_dicts(0), chain.row_dicts(1)):
        row = {j: conv(v) for j, v in a.items()}
        for j, v in b.items():
            row[j] = row.get(j, mpf(0)) + e * conv(v)
        rows.append({j: v for j, v in row.items() if v > 0})
    return rows, mpf(0), mpf(1)


def _pick_method(chain, eps, method):
    if method == "auto":
        return "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N) else "float"
    if method not in ("exact", "mp", "float"):
        raise MetacotError(f"unknown method {method!r} for this quantity (choose from auto, exact, mp, float, certified)")
    return method


def hitting_probabilities(chain: Chain, target, eps, avoid=(), method: str = "auto", *, dps: int = 50):
    """u(x) = P_x(hit `target` before `avoid`) at P(ε) (absorption probabilities), for every state x.

    u = 1 on target, 0 on avoid and on states that cannot reach target ∪ avoid; elsewhere
    e(x) u(x) = P(x, target) + Σ_{y≠x} P(x,y) u(y), e(x) = 1 − P(x, x) the exit mass, solved by
    subtraction-free state reduction. Dimensionless. With `avoid` empty, u(x) = P_x(τ_target < ∞). The
    committor of :mod:`metacot.numerics.solvers.committor` (claim hitting.committor) is the same solve.

    Parameters
    ----------
    chain : Chain
    target : int or iterable of int
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max (strings parse exactly).
    avoid : int or iterable of int, default ()
        States that stop the walk without success; disjoint from `target`.
    method : {"auto", "exact", "mp", "float", "certified"}
        As :func:`expected_hitting_times` (auto: exact for an exact chain with rational ε and n ≤ 400,
        else float).
    dps : int, default 50
        Decimal digits for "mp".

    Returns
    -------
    list or ndarray
        One probability per state: Fractions (exact), mpf (mp), Intervals (certified) or a float ndarray.

    Raises
    ------
    MetacotError
        Unknown or empty target, a state in both target and avoid, unknown method; LimitError for an exact
        or mp solve beyond its cost limit (also under "auto").
    EpsilonError
        ε outside [0, eps_max].

    Examples
    --------
    uniform-escape(3, 2, 1): from C_1 the walk enters C_2 (state 3) or C_3 (state 5) first with equal
    probability.

    >>> from metacot.numerics.families import uniform_escape
    >>> c = uniform_escape(3, 2, 1)
    >>> hitting_probabilities(c, 5, "1/100", avoid=[3])
    [Fraction(1, 2), Fraction(1, 2), Fraction(3, 202), Fraction(0, 1), Fraction(199, 202), Fraction(1, 1)]
    """
    targets = _targets(chain, target)
    avoid_set = set() if avoid is None else (_targets(chain, avoid) if (not isinstance(avoid, (list, tuple, set))
                                                                         or len(avoid)) else set())
    if targets & avoid_set:
        raise MetacotError(f"states {sorted(targets & avoid_set)} are both in target and avoid")
    eps = chain.check_eps(eps, allow_zero=True)
    if method == "certified":
        from metacot.numerics.solvers.certified import certified_absorption_probabilities

        return certified_absorption_probabilities(chain, targets, eps, avoid_set)
    method = _pick_method(chain, eps, method)
    n = chain.n
    stop = targets | avoid_set
    if method == "float":
        P = chain.offdiag_kernel(eps)
        smask = np.zeros(n, dtype=bool)
        smask[list(stop)] = True
        absorb = smask | ~reach_back(P, smask)  # states that cannot reach stop: u = 0 there
        tmask = np.zeros(n, dtype=bool)
        tmask[list(targets)] = True
        cost = np.asarray(P[:, np.flatnonzero(tmask)].sum(axis=1)).reshape(-1, 1)
        unknown, U = _float_solve(P, absorb, cost, _float_labels(chain))
        out = np.zeros(n)
        out[tmask] = 1.0
        out[unknown] = U[:, 0]
        return out
    check_exact_work(chain, method, dps)
    ctx = mpmath.workdps(dps) if method == "mp" else _nullctx()
    with ctx:
        rows, zero, one = _field_rows(chain, eps, method, dps)
        S = sp.csr_matrix(([True] * sum(map(len, rows)), ([x for x, r in enumerate(rows) for _ in r],
                                                          [y for r in rows for y in r])), shape=(n, n), dtype=bool)
        smask = np.zeros(n, dtype=bool)
        smask[list(stop)] = True
        reach = reach_back(S, smask)
        out = [zero] * n
        for y in targets:
            out[y] = one
        unknown, values = absorption_reduction(rows, targets, stop, reach, zero,
                                               order_of=lambda u: _cluster_order(chain, u))
        for x, v in zip(unknown, values):
            out[x] = v
        return out


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def exit_times(chain: Chain, cluster: int, eps, method: str = "auto", *, dps: int = 50):
    """E_x[σ_k] for x ∈ C_k, σ_k = inf{t ≥ 0 : X_t ∉ C_k} (claim hitting.escape-law). List in C_k's order."""
    K = chain.K
    if isinstance(cluster, bool) or not isinstance(cluster, (int, np.integer)) or not 0 <= cluster < K:
        raise MetacotError(f"unknown cluster {cluster!r} (clusters are 0..{K - 1})")
    inside = set(chain.clusters[cluster])
    outside = [x for x in range(chain.n) if x not in inside]
    if not outside:
        raise MetacotError("the chain has a single cluster: there is nothing to exit to")
    h = expected_hitting_times(chain, outside, eps, method, dps=dps)
    return [h[x] for x in chain.clusters[cluster]]


def mean_exit_time(chain: Chain, cluster: int, eps, method: str = "auto", *, dps: int = 50):
    """E_{π_k}[σ_k] = Σ_{x∈C_k} π_k(x) E_x[σ_k] in steps: the mean exit time from cluster k started from the
    block's stationary law π_k, σ_k = inf{t ≥ 0 : X_t ∉ C_k}.

    Claim hitting.escape-law (spec 01 H3): ε·E_{π_k}[σ_k] → 1/λ_k, λ_k the escape rate of
    :func:`~metacot.numerics.solvers.meta_chain.escape_rates`; for ring(K, M, q) it is M/(q ε) exactly.

    Parameters
    ----------
    chain : Chain
    cluster : int
        Cluster index k (0-based, in the order of ``chain.clusters``).
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    method : {"auto", "exact", "laurent", "mp", "float", "certified"}
        As :func:`expected_hitting_times`.
    dps : int, default 50
        Decimal digits for "mp".

    Returns
    -------
    Fraction, mpf, float or Interval
        By method.

    Raises
    ------
    MetacotError
        Unknown cluster, a chain with a single cluster, and the errors of :func:`expected_hitting_times`;
        LimitError when the exact block laws π_k are beyond their cost limit (they are computed exactly for
        an exact chain whatever the method).

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> mean_exit_time(ring(3, 2, 1), 0, "1/100")          # M/(q ε)
    Fraction(200, 1)
    >>> c = random_chain(0, [2, 3])                        # ε·E[σ_0] against 1/λ_0 = 32/15
    >>> Fraction(1, 100) * mean_exit_time(c, 0, "1/100")
    Fraction(12791, 6000)
    """
    from metacot.numerics.solvers.meta_chain import cluster_stationary_laws

    h = exit_times(chain, cluster, eps, method, dps=dps)
    pi = cluster_stationary_laws(chain)[cluster]
    if isinstance(h[0], mpmath.mpf):
        with mpmath.workdps(dps):
            return mpmath.fsum(to_mpf(p) * v for p, v in zip(pi, h))
    if isinstance(h[0], Fraction):
        return sum((p * v for p, v in zip(pi, h)), Fraction(0))
    if isinstance(h[0], Interval):
        # π_k is exact (the block's law) and every E_x[σ_k] is enclosed: the weighted sum of the endpoints
        # encloses E_{π_k}[σ_k] (all weights are non-negative)
        w = [Fraction(p) for p in pi]
        return Interval(sum((a * v.lo for a, v in zip(w, h)), Fraction(0)),
                        sum((a * v.hi for a, v in zip(w, h)), Fraction(0)))
    return float(np.dot(np.asarray(pi, dtype=float), np.asarray(h, dtype=float)))


def stationary_law(chain: Chain, eps, method: str = "auto", *, dps: int = 50):
    """Stationary law π of P(ε): a call of :func:`metacot.numerics.solvers.stationary.stationary_law`
    (the one home; GTH, unichains allowed, exact / mp / float / certified)."""
    from metacot.numerics.solvers.stationary import stationary_law as _stationary_law

    return _stationary_law(chain, eps, method, dps=dps)


# ----------------------------------------------------------------------------- Laurent expansions
@dataclass(frozen=True)
class RationalFunction:
    """f(ε) = num(ε)/den(ε) with exact rational coefficients (lowest degree first)."""

    num: tuple
    den: tuple

    def evaluate(self, eps) -> Fraction:
        eps = Fraction(eps)
        n = sum((c * eps ** k for k, c in enumerate(self.num)), Fraction(0))
        d = sum((c * eps ** k for k, c in enumerate(self.den)), Fraction(0))
        return n / d

    def laurent(self, order: int = 1) -> dict[int, Fraction]:
        """Laurent coefficients {k: a_k} at ε = 0 for k from the pole order up to `order`."""
        num = list(self.num)
        den = list(self.den)
        if not any(num):
            return {0: Fraction(0)}
        vn = next(i for i, c in enumerate(num) if c != 0)
        vd = next(i for i, c in enumerate(den) if c != 0)
        num, den = num[vn:], den[vd:]
        lead = vn - vd
        nterms = order - lead + 1
        coeffs = []
        for k in range(max(nterms, 0)):
            s = num[k] if k < len(num) else Fraction(0)
            for j in range(1, min(k, len(den) - 1) + 1):
                s -= den[j] * coeffs[k - j]
            coeffs.append(s / den[0])
        return {lead + k: c for k, c in enumerate(coeffs)}

    def pole_order(self) -> int:
        vn = next((i for i, c in enumerate(self.num) if c != 0), None)
        if vn is None:
            return 0
        vd = next(i for i, c in enumerate(self.den) if c != 0)
        return max(vd - vn, 0)

    def to_sympy(self, eps_symbol=None):
        import sympy

        e = eps_symbol if eps_symbol is not None else sympy.Symbol("epsilon", positive=True)
        n = sum(sympy.Rational(c.numerator, c.denominator) * e ** k for k, c in enumerate(self.num))
        d = sum(sympy.Rational(c.numerator, c.denominator) * e ** k for k, c in enumerate(self.den))
        return n / d


def hitting_laurent(chain: Chain, target) -> list:
    """E_x[τ_target](ε) for every x as an exact RationalFunction of ε (None where infinite for small ε).

    Exact, in lowest terms (integer coefficients without a common factor, denominator with positive leading
    coefficient), by the FLINT backend `metacot.numerics.solvers.exact.hitting_rational_functions` (one exact
    solve and the Woodbury identity, or exact evaluation and interpolation); without python-flint, by state
    reduction over the field QQ(ε) (sympy). Reachability uses the generic support of P(ε), 0 < ε < eps_max.
    Used by hitting.leading-order (spec 01 H1): the ε^−1 coefficient is h^meta (units 1/ε), the ε^0
    coefficient the first finite-ε correction (steps).

    Parameters
    ----------
    chain : Chain
        Exact chain.
    target : int or iterable of int

    Returns
    -------
    list of RationalFunction or None
        One per state (the constant 0 on the target); ``.evaluate(eps)``, ``.laurent(order)``,
        ``.pole_order()``, ``.to_sympy()``.

    Raises
    ------
    MetacotError
        A float chain, an unknown target; LimitError beyond the cost limit of the exact solves.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(4, 3, "1/2")
    >>> f = hitting_laurent(c, c.target)[0]
    >>> f.to_sympy()
    18/epsilon
    >>> f.laurent(0), f.pole_order()
    ({-1: Fraction(18, 1), 0: Fraction(0, 1)}, 1)
    """
    if not chain.exact:
        raise MetacotError("Laurent expansions need an exact chain (rational entries)")
    check_exact_work(chain, "laurent")
    from metacot.numerics.solvers.exact import have_flint, hitting_rational_functions

    targets = _targets(chain, target)
    if not have_flint():  # pragma: no cover - python-flint is a dependency
        return _hitting_laurent_sympy(chain, targets)
    return [None if f is None else RationalFunction(*f) for f in hitting_rational_functions(chain, targets)]


def _hitting_laurent_sympy(chain: Chain, targets: set) -> list:
    """Reference and fallback of `hitting_laurent`: exact state reduction over QQ(ε) with sympy."""
    from metacot.numerics.solvers import _qq_eps

    F, E = _qq_eps.field()
    rows = _qq_eps.kernel_rows(chain, F, E)
    ok, unknown, A, t = _system(rows, targets, F.zero)
    h = hitting_reduction(A, t, [F.one] * len(unknown), order=_cluster_order(chain, unknown)) if unknown else []
    out = [None] * chain.n
    for y in targets:
        out[y] = RationalFunction((Fraction(0),), (Fraction(1),))
    for x, v in zip(unknown, h):
        out[x] = _qq_eps.to_rational_function(v)
    return out


def laurent_coefficients(chain: Chain, start, target, order: int = 0) -> dict[int, Fraction]:
    """Exact Laurent coefficients {k: a_k} of E_start[τ_target](ε) = Σ_k a_k ε^k at ε = 0, up to ε^order.

    For a metastable chain the pole is simple: a_−1 = h^meta(k → l) (units 1/ε; claim
    hitting.leading-order) and a_0 is the first finite-ε correction in steps (for ring(K, M, q):
    a_−1 = (K−1)·M/q, a_0 = K − M − 1, claim hitting.exact-canonical). Computed from
    :func:`hitting_laurent`.

    Parameters
    ----------
    chain : Chain
        Exact chain.
    start : int
    target : int or iterable of int
    order : int, default 0
        Highest power of ε returned.

    Returns
    -------
    dict {int: Fraction}
        From the pole order (−1 for a simple pole) up to `order`; ``{0: 0}`` when start is a target.

    Raises
    ------
    UnreachableTargetError
        The target is not hit almost surely for small ε > 0.
    MetacotError
        A float chain, an unknown state.

    Examples
    --------
    >>> from metacot.numerics.families import random_chain, ring
    >>> c = ring(2, 2, 1)                                  # a_−1 = (K−1)·M/q, a_0 = K − M − 1
    >>> laurent_coefficients(c, c.start, c.target)
    {-1: Fraction(2, 1), 0: Fraction(-1, 1)}
    >>> c = random_chain(0, [2, 3])
    >>> laurent_coefficients(c, c.start, c.target, order=1)
    {-1: Fraction(32, 15), 0: Fraction(1906, 245), 1: Fraction(312, 35)}
    """
    x = _check_state(chain, start)
    f = hitting_laurent(chain, target)[x]
    if f is None:
        raise UnreachableTargetError(f"target is not reached almost surely from state {x} for small eps")
    return f.laurent(order)
