"""Stationary laws π P = π, Σ π = 1 — the one home of every stationary-law computation (spec 06).

Two levels:

* :func:`stationary_distribution` — a matrix (stochastic, or a generator / any Metzler matrix: only
  off-diagonal entries are read) over any field: float64 ndarray or scipy sparse (vectorised GTH),
  or a square list of lists of Fractions (exact) or mpmath numbers;
* :func:`stationary_law` — the chain P(ε) = P0 + ε·P1 at one ε, with methods exact / mp / float /
  certified.

Both accept **unichains**: one closed (recurrent) class plus transient states. The stationary law is
then unique, zero on the transient states, and equal on the recurrent class R to the stationary law
of P restricted to R (R is closed, so P|R is stochastic). It is computed by the
Grassmann–Taksar–Heyman (GTH) elimination on R: every exit mass is a sum of off-diagonal entries,
never 1 − P(x, x), so relative accuracy does not depend on ε. Two or more closed classes make the
stationary law non-unique: that raises :class:`~metacot.numerics.errors.ChainError` (QuantEcon's
``gth_solve`` returns one of them silently; here the caller chooses by restricting the chain).

The functions ``reduction.gth_stationary``, ``hitting.stationary_law``, ``distill.stationary_law`` and
``pretrain.stationary_law`` are calls of this module.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from metacot.numerics.numbers import exact_value, to_mpf
from metacot.numerics.errors import ChainError, LimitError, MetacotError

METHODS = ("auto", "exact", "mp", "float", "certified")
EXACT_AUTO_MAX_N = 400


# ----------------------------------------------------------------------------- classes of the support
def _offdiag_support(A) -> sp.csr_matrix:
    """Boolean CSR support {(x, y): x ≠ y, A[x][y] ≠ 0}; negative off-diagonal entries are an error."""
    if isinstance(A, np.ndarray) or sp.issparse(A):
        M = sp.csr_matrix(A, dtype=float)
        M.setdiag(0.0)
        M.eliminate_zeros()
        if M.nnz and M.data.min() < 0:
            k = int(np.argmin(M.data))
            i = int(np.searchsorted(M.indptr, k, side="right") - 1)
            raise ChainError(f"off-diagonal entry [{i},{M.indices[k]}] = {float(M.data[k])!r} is negative")
        return sp.csr_matrix(M != 0, dtype=bool)
    n = len(A)
    ii, jj = [], []
    for i, row in enumerate(A):
        for j, v in enumerate(row):
            if j != i and v != 0:
                if v < 0:
                    raise ChainError(f"off-diagonal entry [{i},{j}] = {v} is negative")
                ii.append(i)
                jj.append(j)
    return sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(n, n), dtype=bool)


def recurrent_classes(S: sp.spmatrix) -> tuple[list[list[int]], np.ndarray]:
    """Closed communicating classes of the directed graph S (S[x, y] ≠ 0: x → y), and the transient mask.

    A class is closed (recurrent, for a finite chain) iff no edge leaves it. Classes are listed by
    their smallest state; each class lists its states in increasing order.

    Parameters
    ----------
    S : scipy sparse matrix, n×n
        Support of the kernel (the diagonal is ignored).

    Returns
    -------
    classes : list of list of int
        The closed classes.
    transient : ndarray of bool
        True on the states in no closed class.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> recurrent_classes(sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 1, 1]])))
    ([[1, 2]], array([ True, False, False]))
    """
    S = sp.csr_matrix(S)
    n = S.shape[0]
    ncomp, lab = connected_components(S, directed=True, connection="strong")
    coo = S.tocoo()
    leaves = np.zeros(ncomp, dtype=bool)
    out = lab[coo.row] != lab[coo.col]
    leaves[lab[coo.row[out]]] = True
    transient = leaves[lab]
    members: dict[int, list[int]] = {}
    for x in np.flatnonzero(~transient).tolist():
        members.setdefault(int(lab[x]), []).append(x)
    classes = sorted(members.values(), key=lambda c: c[0])
    return classes, transient if n else np.zeros(0, dtype=bool)


def _short(states, k=6) -> str:
    states = list(states)
    return ", ".join(map(str, states[:k])) + (", …" if len(states) > k else "")


def _unique_class(S, irreducible: bool) -> tuple[list[int], np.ndarray]:
    classes, transient = recurrent_classes(S)
    if len(classes) > 1:
        heads = ", ".join(f"{{{_short(c, 3)}}}" for c in classes[:4]) + (", …" if len(classes) > 4 else "")
        raise ChainError(f"the kernel has {len(classes)} closed classes ({heads}): its stationary law is not unique; "
                         "restrict the chain to one closed class")
    if irreducible and transient.any():
        raise ChainError(f"the kernel is reducible: states {_short(np.flatnonzero(transient).tolist())} are transient "
                         "(an irreducible kernel is needed here)")
    return classes[0], transient


# ----------------------------------------------------------------------------- GTH on one irreducible block
def _gth_generic(A: list) -> list:
    """GTH over any field on a square list of lists (irreducible; only off-diagonal entries read)."""
    A = [list(r) for r in A]
    n = len(A)
    zero = A[0][0] * 0
    for k in range(n - 1, 0, -1):
        s = sum((A[k][j] for j in range(k)), zero)
        if s == 0:
            raise ChainError("kernel is reducible: GTH found a state with no exit mass to lower states")
        for i in range(k):
            A[i][k] = A[i][k] / s
        for i in range(k):
            aik = A[i][k]
            if aik != 0:
                rowk = A[k]
                rowi = A[i]
                for j in range(k):
                    if rowk[j] != 0:
                        rowi[j] = rowi[j] + aik * rowk[j]
    pi = [zero + 1]
    for k in range(1, n):
        pi.append(sum((pi[i] * A[i][k] for i in range(k)), zero))
    tot = sum(pi, zero)
    return [p / tot for p in pi]


def _gth_float(A: np.ndarray) -> np.ndarray:
    """Vectorised float64 GTH (irreducible; A is overwritten; only off-diagonal entries read)."""
    n = A.shape[0]
    for k in range(n - 1, 0, -1):
        s = A[k, :k].sum()
        if s <= 0:
            raise ChainError("kernel is reducible: GTH found a state with no exit mass to lower states")
        A[:k, k] /= s
        A[:k, :k] += np.outer(A[:k, k], A[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ A[:k, k]
    return pi / pi.sum()


def stationary_distribution(A, *, irreducible: bool = False):
    """Stationary law π (π A = π for a stochastic A; π A = 0 for a generator; Σ π = 1) by GTH.

    Only the off-diagonal entries of A are read: the GTH (Grassmann–Taksar–Heyman) elimination
    rebuilds every pivot as a sum of off-diagonal entries, so a stochastic matrix P and the generator
    P − I give the same π, with full relative accuracy at any size of the entries. With exactly one
    closed class R (a unichain: R plus transient states) π is the stationary law of the block A|R,
    extended by 0; with more than one the law is not unique and ChainError is raised. (GTH runs on the
    whole matrix first; only if a pivot vanishes are the closed classes of the support computed and
    GTH rerun on R.)

    Parameters
    ----------
    A : ndarray, scipy sparse matrix, or list of lists
        Square matrix with non-negative off-diagonal entries. A float ndarray / sparse matrix runs the
        vectorised float64 GTH; a list of lists runs over the field of its entries (Fraction: exact;
        mpmath.mpf: high precision).
    irreducible : bool
        If True, transient states are an error too (for callers that need π > 0 everywhere).

    Returns
    -------
    ndarray (float input) or list (exact / mp input)
        π, zero exactly on the transient states.

    Raises
    ------
    ChainError
        A is not square, has a negative off-diagonal entry, has more than one closed class, or (with
        ``irreducible=True``) has transient states.

    Examples
    --------
    QuantEcon's ``gth_solve`` test cases (a stochastic matrix, a generator, a unichain):

    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> stationary_distribution([[F(2, 5), F(3, 5)], [F(1, 5), F(4, 5)]])
    [Fraction(1, 4), Fraction(3, 4)]
    >>> stationary_distribution([[F(-3), F(3)], [F(4), F(-4)]])
    [Fraction(4, 7), Fraction(3, 7)]
    >>> stationary_distribution(np.array([[0.5, 0.5], [0.0, 1.0]]))
    array([0., 1.])
    """
    is_float = isinstance(A, np.ndarray) or sp.issparse(A)
    if is_float and _use_sparse(A):
        return _sparse_float_law(sp.csr_matrix(A, dtype=float), irreducible)
    if is_float:
        M = np.array(A.toarray() if sp.issparse(A) else A, dtype=float)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ChainError(f"the matrix must be square, got shape {M.shape}")
        n = M.shape[0]
    else:
        M = [list(r) for r in A]
        n = len(M)
        if any(len(r) != n for r in M):
            raise ChainError("the matrix must be square (a list of n rows of length n)")
    if n == 0:
        raise ChainError("the matrix is empty (0 states)")
    if is_float and not np.all(np.isfinite(M)):
        raise ChainError("the matrix has a non-finite entry")
    if not is_float and _use_flint(M):
        return _flint_law(M, irreducible)
    # Fast path: GTH on the whole matrix. If no pivot (exit mass to lower states) vanishes, state 0 is
    # reachable from every state, so there is exactly one closed class and GTH's result is its
    # stationary law — exact zeros on transient states (structural zeros stay 0 in every field).
    # A vanishing pivot (reducible in GTH's order) falls back to classifying the support first.
    try:
        if is_float:
            off = M[~np.eye(n, dtype=bool)]
            if off.size and off.min() < 0:
                raise _Fallback
            pi = _gth_float(M.copy()) if n > 1 else np.ones(1)
            positive = bool(np.all(pi > 0))
        else:
            pi = _gth_generic(M) if n > 1 else [M[0][0] * 0 + 1]
            positive = all(p > 0 for p in pi)
        if positive or not irreducible:
            return pi
    except (ChainError, _Fallback):
        pass
    S = _offdiag_support(M)
    R, transient = _unique_class(S, irreducible)
    if is_float:
        out = np.zeros(n)
        out[R] = _gth_float(M[np.ix_(R, R)]) if len(R) > 1 else 1.0
        return out
    zero = M[0][0] * 0
    if len(R) == 1:
        sub = [zero + 1]
    else:
        sub = _gth_generic([[M[i][j] for j in R] for i in R])
    out = [zero] * n
    for x, p in zip(R, sub):
        out[x] = p
    return out


SPARSE_LAW_MIN_N = 300     # float matrices larger than this and sparser than SPARSE_LAW_FILL: GTH in rounds
SPARSE_LAW_FILL = 0.05


def _use_sparse(A) -> bool:
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] <= SPARSE_LAW_MIN_N:
        return False
    nnz = A.nnz if sp.issparse(A) else np.count_nonzero(A)
    return nnz < SPARSE_LAW_FILL * A.shape[0] ** 2


def _sparse_float_law(A: sp.csr_matrix, irreducible: bool) -> np.ndarray:
    """stationary_distribution for a large sparse float matrix: the closed class R of the support, then
    `reduction.stationary_reduction_sparse` on A|R (zeros on the transient states)."""
    from metacot.numerics.solvers.reduction import stationary_reduction_sparse

    if A.nnz and not np.all(np.isfinite(A.data)):
        raise ChainError("the matrix has a non-finite entry")
    S = _offdiag_support(A)
    R, _ = _unique_class(S, irreducible)
    out = np.zeros(A.shape[0])
    R = np.asarray(R)
    out[R] = stationary_reduction_sparse(A[R][:, R]) if R.size > 1 else 1.0
    return out


def _use_flint(M: list) -> bool:
    from metacot.numerics.solvers import exact

    return exact.have_flint() and len(M) >= exact.STATIONARY_FLINT_MIN_N and \
        all(type(v) is Fraction for row in M for v in row)


def _flint_law(M: list, irreducible: bool) -> list:
    """stationary_distribution for a matrix of Fractions: the closed class R of the support, then
    `exact.exact_stationary_law` (FLINT) on M|R (zeros on the transient states)."""
    from metacot.numerics.solvers.exact import exact_stationary_law

    R, _ = _unique_class(_offdiag_support(M), irreducible)
    sub = exact_stationary_law([[M[i][j] for j in R] for i in R])
    out = [Fraction(0)] * len(M)
    for x, p in zip(R, sub):
        out[x] = p
    return out


class _Fallback(Exception):
    """Internal: leave the GTH fast path for the classified path (which words the error)."""


# ----------------------------------------------------------------------------- chains
def _kernel_field_rows(chain, eps, method: str):
    """Rows of P(ε) as dicts over the method's field: Fraction ('exact') or mpf ('mp', at the current dps)."""
    if method == "exact":
        if not chain.exact or not isinstance(eps, Fraction):
            raise MetacotError("method 'exact' needs an exact chain (rational entries) and a rational eps; "
                               "use 'mp' or 'float'")
        return chain.kernel_exact(eps)
    mpf = mpmath.mpf
    e = to_mpf(eps)

    def conv(v):
        return to_mpf(v)

    rows = []
    for a, b in zip(chain.row_dicts(0), chain.row_dicts(1)):
        row = {j: conv(v) for j, v in a.items()}
        for j, v in b.items():
            row[j] = row.get(j, mpf(0)) + e * conv(v)
        rows.append({j: v for j, v in row.items() if v > 0})   # negatives: rounding at ε = eps_max
    return rows


def _pick(chain, eps, method: str) -> str:
    if method not in METHODS:
        raise MetacotError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    if method == "auto":
        return "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N) else "float"
    return method


FLOAT_DENSE_MAX_N = 10_000   # dense float GTH: 8·n² bytes (0.8 GB at the limit) and about n³/3 flops
DENSE_LAW_MAX_N = 1500       # exact / mp / certified laws work on dense n×n matrices (FLINT: ≈ 10 s at the limit)


def _check_dense_work(chain, method: str, dps: int) -> None:
    """LimitError before an exact, mp or certified stationary law too large for its dense matrices, or (exact,
    mp) beyond the elimination budget of `hitting.check_exact_work`."""
    if chain.n > DENSE_LAW_MAX_N:
        raise LimitError(f"method '{method}' for the stationary law works on dense n×n matrices; {chain.n} states "
                         f"exceed its limit of {DENSE_LAW_MAX_N}; use method 'float' (GTH in sparse rounds at any "
                         "size, relative error of a few 1e-16 per entry at any eps)")
    if method in ("exact", "mp"):
        from metacot.numerics.solvers.hitting import check_exact_work

        check_exact_work(chain, method, dps)


def stationary_law(chain, eps, method: str = "auto", *, dps: int = 50, irreducible: bool = False):
    """Stationary law π of P(ε) = P0 + ε·P1 (π P(ε) = π, Σ π = 1), unichains included.

    GTH elimination on the unique closed class of P(ε), zero on transient states (see
    :func:`stationary_distribution`). Used by the meta-chain rates (π_k of each block), the
    distillation data law and deeptime-style :func:`~metacot.numerics.solvers.moments.mean_first_passage_time`.

    Parameters
    ----------
    chain : Chain
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max (strings parse exactly).
    method : {"auto", "exact", "mp", "float", "certified"}
        exact: Fractions (exact chain, rational ε); mp: mpmath at `dps` digits; float: float64 GTH
        (dense for small or dense kernels; in rounds of sparse elimination for kernels of more than 300
        states with under 5 % nonzero entries; relative error of a few 1e-16 per entry at every ε);
        certified: enclosures in ball arithmetic
        (:func:`~metacot.numerics.solvers.certified.certified_stationary_law` on the closed class);
        exact, mp and certified build dense matrices and refuse more than DENSE_LAW_MAX_N = 1500 states;
        auto: exact for exact chains with rational ε and n ≤ 400, else float.
    dps : int
        Decimal digits for method "mp".
    irreducible : bool
        If True, transient states raise ChainError.

    Returns
    -------
    list of Fraction (exact), list of mpf (mp), float ndarray (float), or list of Interval (certified).

    Raises
    ------
    ChainError
        P(ε) has more than one closed class (the law is not unique).
    MetacotError
        Unknown method, or exact requested for a float chain / irrational ε.

    Examples
    --------
    The spec-06 trap: [[1 − a, a], [a/2, 1 − a/2]] has π = (1/3, 2/3) for every a > 0.

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])
    >>> stationary_law(c, "1e-30")
    [Fraction(1, 3), Fraction(2, 3)]
    >>> stationary_law(c.to_float(), 1e-300, "float")
    array([0.33333333, 0.66666667])

    A unichain (state 0 transient):

    >>> stationary_law(Chain.from_dense([["1/2", "1/2"], [0, 1]]), 0)
    [Fraction(0, 1), Fraction(1, 1)]
    """
    eps = chain.check_eps(eps, allow_zero=True)
    method = _pick(chain, eps, method)
    if method != "float":
        _check_dense_work(chain, method, dps)
    if method == "certified":
        return _certified(chain, eps, irreducible)
    if method == "float":
        K = chain.kernel(eps)
        if not _use_sparse(K):
            if chain.n > FLOAT_DENSE_MAX_N:
                raise LimitError(f"the float stationary law of a dense kernel uses dense GTH (n² memory, n³ work); "
                                 f"{chain.n} states with {K.nnz} transitions exceed its limit of {FLOAT_DENSE_MAX_N} "
                                 f"states (kernels with under {SPARSE_LAW_FILL:.0%} nonzero entries use the sparse "
                                 "reduction at any size)")
            K = K.toarray()
        return stationary_distribution(K, irreducible=irreducible)
    if method == "mp":
        with mpmath.workdps(dps):
            rows = _kernel_field_rows(chain, eps, "mp")
            D = [[row.get(j, mpmath.mpf(0)) for j in range(chain.n)] for row in rows]
            return stationary_distribution(D, irreducible=irreducible)
    rows = _kernel_field_rows(chain, eps, "exact")
    D = [[row.get(j, Fraction(0)) for j in range(chain.n)] for row in rows]
    return stationary_distribution(D, irreducible=irreducible)


def exact_offdiag_rows(chain, eps) -> list[dict[int, Fraction]]:
    """Off-diagonal rows {y: P(ε)(x, y) > 0} of P0 + ε·P1, evaluated exactly in rationals (the entries of a
    float chain and a float ε at their exact binary values). Used by the certified and exact solvers.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> exact_offdiag_rows(ring(2, 1, 1), Fraction(1, 4))
    [{1: Fraction(1, 4)}, {0: Fraction(1, 4)}]
    """
    e = exact_value(eps)
    if chain.exact and isinstance(eps, Fraction):
        rows = chain.kernel_exact(e)
        return [{y: v for y, v in r.items() if y != x and v != 0} for x, r in enumerate(rows)]
    out = []
    for x, (a, b) in enumerate(zip(chain.row_dicts(0), chain.row_dicts(1))):
        row = {y: Fraction(v) for y, v in a.items() if y != x}
        if e:
            for y, v in b.items():
                if y != x:
                    row[y] = row.get(y, Fraction(0)) + e * Fraction(v)
        out.append({y: v for y, v in row.items() if v > 0})
    return out


def _certified(chain, eps, irreducible: bool):
    """Rigorous enclosures (numerics/solvers/certified.py, which handles transient states itself)."""
    from metacot.numerics.solvers.certified import certified_stationary_law

    if irreducible:
        rows = exact_offdiag_rows(chain, chain.check_eps(eps, allow_zero=True))
        ii = [x for x, r in enumerate(rows) for _ in r]
        jj = [y for r in rows for y in r]
        S = sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(chain.n, chain.n), dtype=bool)
        _unique_class(S, irreducible)
    return certified_stationary_law(chain, eps)
