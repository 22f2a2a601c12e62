"""The affine perturbed kernel P(ε) = P0 + ε·P1 of spec 00, with its clusters.

Exact chains keep every entry as a Fraction; float chains keep scipy CSR matrices.
Rows of P0 sum to 1, rows of P1 sum to 0; P(ε) is stochastic for 0 ≤ ε ≤ eps_max.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import cached_property
from typing import Iterable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from metacot.numerics.errors import ChainError, EpsilonError
from metacot.numerics.numbers import format_brief, format_number, parse_number

FLOAT_ROW_TOL = 1e-12  # tolerance on float row sums (spec 06: validate, then renormalise)
FLOAT_EPS_MIN = 2.2250738585072014e-308  # smallest normal float64: float kernels need ε at least this


def _entries_from_input(X, n: int, what: str):
    """Yield (i, j, value) from a dict, triples, dense array/list or scipy sparse matrix."""
    if X is None:
        return []
    if sp.issparse(X):
        coo = sp.coo_matrix(X)
        if coo.shape != (n, n):
            raise ChainError(f"{what} has shape {coo.shape}, expected ({n}, {n})")
        return list(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    if isinstance(X, dict):
        out = []
        for key, v in X.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ChainError(f"{what}: keys must be (i, j) pairs, got {key!r}")
            out.append((key[0], key[1], v))
        return out
    if isinstance(X, np.ndarray):
        if X.ndim != 2 or X.shape != (n, n):
            raise ChainError(f"{what} has shape {X.shape}, expected ({n}, {n})")
        ii, jj = np.nonzero(X)
        return list(zip(ii.tolist(), jj.tolist(), X[ii, jj].tolist()))
    X = list(X)
    out = []
    for t in X:
        if not (isinstance(t, (list, tuple)) and len(t) == 3):
            raise ChainError(f"{what}: entries must be [i, j, value] triples, got {t!r}")
        out.append(tuple(t))
    return out


def _parse(v, what):
    try:
        return parse_number(v, what=what)
    except ChainError:
        raise
    except ValueError as exc:
        raise ChainError(str(exc)) from None


def _checked_entries(entries, n: int, what: str) -> list:
    """(i, j, value) with checked integer indices and parsed values (Fractions and finite floats pass as they are)."""
    out = []
    append = out.append
    for i, j, v in entries:
        if not (type(i) is int and type(j) is int and 0 <= i < n and 0 <= j < n):
            i, j = _check_index(i, n, what), _check_index(j, n, what)
        tv = type(v)
        if not (tv is Fraction or (tv is float and v - v == 0)):
            v = _parse(v, f"{what}[{i},{j}]")
        append((i, j, v))
    return out


def _fraction_sum(values):
    """(numerator, denominator) of a sum of Fractions by integer arithmetic (not reduced; denominator > 0)."""
    num, den = 0, 1
    for v in values:
        d = v.denominator
        if d == den:
            num += v.numerator
        else:
            g = math.gcd(den, d)
            num = num * (d // g) + v.numerator * (den // g)
            den = den // g * d
    return num, den


def _check_index(i, n, what):
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise ChainError(f"{what}: state index {i!r} is not an integer")
    if not 0 <= int(i) < n:
        raise ChainError(f"{what}: state index {i} out of range 0..{n - 1}")
    return int(i)


class Chain:
    """The affine perturbed kernel P(ε) = P0 + ε·P1 on states 0..n−1, with clusters, start and target (spec 00).

    Rows of P0 sum to 1 and rows of P1 to 0; P(ε) is a stochastic matrix exactly for
    0 ≤ ε ≤ eps_max = min over P1(x, y) < 0 of P0(x, y)/(−P1(x, y)) (inf when P1 has no negative entry). The
    clusters C_1..C_K are the closed classes of P0, each block P0|C_k irreducible and aperiodic; they are
    the states of the meta-chain (:mod:`metacot.numerics.solvers.meta_chain`). Sparse edges are the pairs
    (x, y) in different clusters with P1(x, y) > 0 (weight q(x, y) = P1(x, y)). Every solver, family,
    algorithm and claim works on this one type; the paper's row-rescaled form is
    :func:`row_rescaled_chain`.

    Parameters
    ----------
    n : int
        Number of states, ≥ 1.
    P0, P1 : entries
        ``[i, j, value]`` triples, a dict ``{(i, j): value}``, a dense (n, n) array or a scipy sparse
        matrix; P1 may be None (P1 = 0). Values that are Fractions, ints or strings (``"1/3"``,
        ``"1e-3"``) are exact; any float makes the chain float (scipy CSR storage). Repeated (i, j)
        entries add up.
    clusters : list of lists of int, optional
        C_1..C_K; they must partition the states into closed classes of P0 with irreducible aperiodic
        blocks. Default: the closed classes of P0, ordered by smallest state (computed on first use).
    start, target : int, optional
        X_in and X_out (used by the command line and by the claims).
    name : str, optional
        Shown in ``repr`` and reports.
    exact : bool, optional
        Force exact (True: every entry must be rational) or float storage; default: exact exactly when
        every entry is rational.

    Attributes
    ----------
    n, exact, eps_max, start, target, name
        As above; ``eps_max`` is a Fraction for exact chains, a float otherwise (``math.inf`` when P1 has
        no negative entry).
    clusters : list of lists of int
        C_1..C_K (``K`` their number, ``cluster_of`` the cluster index of every state).

    Raises
    ------
    ChainError
        Malformed entries, a row sum off (exact: exactly; float: by more than 1e-12), a negative entry
        of P0 or of P(ε) for every ε > 0, bad clusters.

    Examples
    --------
    Cluster {0, 1} (uniform block) with a sparse edge 0 → 2 of weight 1, and the single state {2} with a
    sparse edge 2 → 1 of weight 1, in the row-rescaled form P1 = Q − diag(q)·P0:

    >>> c = Chain(3, [[0, 0, "1/2"], [0, 1, "1/2"], [1, 0, "1/2"], [1, 1, "1/2"], [2, 2, 1]],
    ...           [[0, 0, "-1/2"], [0, 1, "-1/2"], [0, 2, 1], [2, 2, -1], [2, 1, 1]], start=0, target=2)
    >>> c
    <Chain n=3 exact eps_max=1>
    >>> c.clusters, c.sparse_edges()
    ([[0, 1], [2]], {(0, 2): Fraction(1, 1), (2, 1): Fraction(1, 1)})
    >>> c.kernel_exact("1/10")[0]                        # row 0 of P(1/10)
    {0: Fraction(9, 20), 1: Fraction(9, 20), 2: Fraction(1, 10)}
    """

    def __init__(self, n, P0, P1=None, clusters=None, *, start=None, target=None, name=None, exact=None):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) < 1:
            raise ChainError(f"n must be a positive integer, got {n!r}")
        n = int(n)
        self.n = n
        self.name = name
        e0 = _checked_entries(_entries_from_input(P0, n, "P0"), n, "P0")
        if n > len(e0):  # each row of P0 sums to 1, so has an entry: refused before anything of size n is built
            raise ChainError(f"n = {n} declares {n} states but P0 lists {len(e0)} entr{'y' if len(e0) == 1 else 'ies'}; "
                             "every state needs at least one P0 entry (its row sums to 1): fix n or add the missing rows")
        e1 = _checked_entries(_entries_from_input(P1, n, "P1"), n, "P1")
        all_exact = all(isinstance(v, Fraction) for _, _, v in e0 + e1)
        self.exact = all_exact if exact is None else bool(exact)
        if self.exact and not all_exact:
            raise ChainError("exact=True but some entries are floats")
        if self.exact:
            self._rows = [self._exact_rows(e0), self._exact_rows(e1)]
            self._csr = None
        else:
            self._rows = None
            self._csr = [self._float_csr(e0, "P0"), self._float_csr(e1, "P1")]
        self._validate_rows()
        self.eps_max = self._compute_eps_max()
        self._given_clusters = None
        if clusters is not None:
            self._given_clusters = self._validate_clusters(clusters)
        self.start = None if start is None else _check_index(start, n, "start")
        self.target = None if target is None else _check_index(target, n, "target")

    # ---------------------------------------------------------------- storage
    def _exact_rows(self, entries):
        rows = [dict() for _ in range(self.n)]
        zeros = False
        for i, j, v in entries:
            r = rows[i]
            if j in r:
                v = r[j] + v
            r[j] = v
            if not v.numerator:
                zeros = True
        if zeros:
            rows = [{j: v for j, v in r.items() if v.numerator} for r in rows]
        return rows

    def _float_csr(self, entries, what):
        if not entries:
            return sp.csr_matrix((self.n, self.n), dtype=float)
        ii = np.fromiter((e[0] for e in entries), dtype=np.int64, count=len(entries))
        jj = np.fromiter((e[1] for e in entries), dtype=np.int64, count=len(entries))
        vv = np.fromiter((float(e[2]) for e in entries), dtype=float, count=len(entries))
        if not np.all(np.isfinite(vv)):
            k = int(np.flatnonzero(~np.isfinite(vv))[0])
            raise ChainError(f"{what}[{ii[k]},{jj[k]}] = {vv[k]} is not finite")
        m = sp.csr_matrix((vv, (ii, jj)), shape=(self.n, self.n))
        m.sum_duplicates()
        m.eliminate_zeros()
        return m

    @classmethod
    def from_dense(cls, P0, P1=None, clusters=None, **kw) -> "Chain":
        """Build from dense square matrices (nested lists of numbers/strings, or arrays)."""
        P0 = list(P0) if not isinstance(P0, np.ndarray) else P0
        n = len(P0)

        def triples(M, what):
            if M is None:
                return []
            if isinstance(M, np.ndarray):
                return M
            M = [list(r) for r in M]
            if len(M) != n or any(len(r) != n for r in M):
                raise ChainError(f"{what} must be a {n}x{n} matrix")
            return [(i, j, v) for i, r in enumerate(M) for j, v in enumerate(r) if v != 0 and v != "0"]

        return cls(n, triples(P0, "P0"), triples(P1, "P1"), clusters, **kw)

    @classmethod
    def from_csr(cls, P0, P1, clusters=None, *, cluster_labels=None, **kw) -> "Chain":
        """Fast constructor for large float chains from scipy sparse matrices.

        Parameters
        ----------
        P0, P1 : (n, n) sparse matrices
            Rows of P0 sum to 1 (tolerance FLOAT_ROW_TOL, then renormalised), rows of P1 to 0.
        clusters : list of lists of int, optional
            The clusters C_1..C_K.
        cluster_labels : (n,) int array, optional
            The clusters as a label per state instead (labels 0..K−1, each used): cluster k is the set of
            states labelled k, in increasing order. No Python lists are built until `clusters` is read.
        start, target, name
            As for `Chain`.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> P0 = sp.csr_matrix(np.eye(2))
        >>> P1 = sp.csr_matrix(np.array([[-1.0, 1.0], [1.0, -1.0]]))
        >>> c = Chain.from_csr(P0, P1, cluster_labels=np.array([0, 1]))
        >>> c.K, c.clusters, c.eps_max
        (2, [[0], [1]], 1.0)
        """
        obj = cls.__new__(cls)
        n = P0.shape[0]
        obj.n, obj.name, obj.exact, obj._rows = n, kw.get("name"), False, None
        P0 = sp.csr_matrix(P0, dtype=float)
        P1 = sp.csr_matrix(P1, dtype=float)
        for m, what in ((P0, "P0"), (P1, "P1")):
            if not m.has_canonical_format:
                m.sum_duplicates()
            if m.nnz and not m.data.all():
                m.eliminate_zeros()
            if not np.isfinite(m.data).all():
                raise ChainError(f"{what} has a non-finite entry")
        obj._csr = [P0, P1]
        obj._validate_rows()
        obj.eps_max = obj._compute_eps_max()
        obj._given_clusters = None
        if clusters is not None and cluster_labels is not None:
            raise ChainError("give clusters either as lists (clusters=) or as labels (cluster_labels=), not both")
        if clusters is not None:
            obj._given_clusters = obj._validate_clusters(clusters)
        elif cluster_labels is not None:
            obj._validate_cluster_labels(cluster_labels)
        obj.start = None if kw.get("start") is None else _check_index(kw["start"], n, "start")
        obj.target = None if kw.get("target") is None else _check_index(kw["target"], n, "target")
        return obj

    # ---------------------------------------------------------------- validation
    def _validate_rows(self):
        n = self.n
        if self.exact:
            r0, r1 = self._rows
            for i in range(n):
                for j, v in r0[i].items():
                    if v.numerator < 0:
                        raise ChainError(f"P0[{i},{j}] = {format_number(v)} is negative")
                a, b = _fraction_sum(r0[i].values())
                if a != b:
                    raise ChainError(f"row {i} of P0 sums to {format_number(Fraction(a, b))}, not 1")
                a, b = _fraction_sum(r1[i].values())
                if a != 0:
                    raise ChainError(f"row {i} of P1 sums to {format_number(Fraction(a, b))}, not 0")
        else:
            P0, P1 = self._csr
            if P0.nnz and P0.data.min() < 0:
                k = int(np.argmin(P0.data))
                i = int(np.searchsorted(P0.indptr, k, side="right") - 1)
                raise ChainError(f"P0[{i},{P0.indices[k]}] = {format_number(P0.data[k])} is negative")
            s0 = np.asarray(P0.sum(axis=1)).ravel()
            bad = np.flatnonzero(np.abs(s0 - 1.0) > FLOAT_ROW_TOL)
            if bad.size:
                i = int(bad[0])
                raise ChainError(f"row {i} of P0 sums to {format_number(s0[i])}, not 1 (tolerance {FLOAT_ROW_TOL:g})")
            # renormalise rows exactly to sum 1 (spec 06): P0 ← diag(1/s0)·P0, computed entry by entry
            if (s0 != 1.0).any():
                P0 = sp.csr_matrix((P0.data * np.repeat(1.0 / s0, np.diff(P0.indptr)), P0.indices, P0.indptr),
                                   shape=P0.shape)
                P0.has_canonical_format = True
                self._csr[0] = P0
            s1 = np.asarray(P1.sum(axis=1)).ravel()
            if P1.nnz:
                nz = np.flatnonzero(np.diff(P1.indptr))
                scale = np.zeros(n)
                scale[nz] = np.maximum.reduceat(np.abs(P1.data), P1.indptr[nz])
            else:
                scale = np.zeros(n)
            bad = np.flatnonzero(np.abs(s1) > FLOAT_ROW_TOL * np.maximum(1.0, scale))
            if bad.size:
                i = int(bad[0])
                raise ChainError(f"row {i} of P1 sums to {format_number(s1[i])}, not 0 (tolerance {FLOAT_ROW_TOL:g})")

    def _compute_eps_max(self):
        """Largest ε with P0 + ε·P1 ≥ 0 entrywise: min over P1(x,y) < 0 of P0(x,y)/(−P1(x,y))."""
        best = math.inf
        if self.exact:
            r0, r1 = self._rows
            for i in range(self.n):
                for j, v in r1[i].items():
                    if v.numerator < 0:
                        p = r0[i].get(j, Fraction(0))
                        if not p.numerator:
                            raise ChainError(f"P(ε)[{i},{j}] = ε·({format_number(v)}) is negative for every ε > 0")
                        cand = p / (-v)
                        if best == math.inf or cand < best:
                            best = cand
            return best
        P0, P1 = self._csr
        neg = P1.multiply(P1 < 0).tocoo()
        if neg.nnz == 0:
            return math.inf
        p0 = np.asarray(P0[neg.row, neg.col]).ravel()
        zero = np.flatnonzero(p0 <= 0)
        if zero.size:
            k = int(zero[0])
            raise ChainError(f"P(ε)[{neg.row[k]},{neg.col[k]}] = ε·({format_number(neg.data[k])}) is negative for every ε > 0")
        return float(np.min(p0 / -neg.data))

    def valid_eps_range(self):
        """(0, eps_max): P(ε) is a stochastic matrix exactly for 0 ≤ ε ≤ eps_max."""
        return (Fraction(0) if self.exact else 0.0, self.eps_max)

    def check_eps(self, eps, *, allow_zero: bool = False):
        """Parse ε (exactly when given as a string/rational) and check 0 < ε ≤ eps_max."""
        if isinstance(eps, (str, int)) and not isinstance(eps, bool):
            eps = parse_number(eps, what="eps")
        elif isinstance(eps, float):
            if not math.isfinite(eps):
                raise EpsilonError(f"eps = {eps!r} is not finite")
        elif not isinstance(eps, Fraction):
            try:
                import mpmath
                if isinstance(eps, mpmath.mpf):
                    if not mpmath.isfinite(eps):
                        raise EpsilonError(f"eps = {eps} is not finite")
                    return eps
            except ImportError:  # pragma: no cover
                pass
            raise EpsilonError(f"eps must be a number, got {eps!r}")
        if eps < 0 or (eps == 0 and not allow_zero):
            raise EpsilonError(f"eps = {format_brief(eps)} is outside the valid range (0, {format_number(self.eps_max)}]")
        if eps > self.eps_max:
            raise EpsilonError(
                f"eps = {format_brief(eps)} is outside the valid range (0, {format_number(self.eps_max)}]: "
                "P(eps) would have a negative entry")
        return eps

    # ---------------------------------------------------------------- views
    def row_dicts(self, which: int = 0):
        """Rows of P0 (which=0) or P1 (which=1) as dicts {j: value}; exact Fractions for exact chains."""
        if self.exact:
            return [dict(r) for r in self._rows[which]]
        m = self._csr[which]
        return [dict(zip(m.indices[m.indptr[i]:m.indptr[i + 1]].tolist(),
                         m.data[m.indptr[i]:m.indptr[i + 1]].tolist())) for i in range(self.n)]

    def csr(self, which: int = 0) -> sp.csr_matrix:
        """P0 (which=0) or P1 (which=1) as a float CSR matrix (of an exact chain: built once, then cached)."""
        if not self.exact:
            return self._csr[which]
        cache = self.__dict__.setdefault("_float_csr_cache", {})
        if which not in cache:
            rows, cols, vals = [], [], []
            for i, r in enumerate(self._rows[which]):
                for j, v in r.items():
                    rows.append(i)
                    cols.append(j)
                    vals.append(float(v))
            cache[which] = sp.csr_matrix((vals, (rows, cols)), shape=(self.n, self.n))
        return cache[which]

    def dense(self, which: int = 0) -> np.ndarray:
        return self.csr(which).toarray()

    @property
    def P0(self) -> np.ndarray:
        return self.dense(0)

    @property
    def P1(self) -> np.ndarray:
        return self.dense(1)

    def kernel_exact(self, eps) -> list[dict[int, Fraction]]:
        """Rows of P(ε) as exact dicts (exact chain, rational ε)."""
        if not self.exact:
            raise ChainError("kernel_exact needs an exact chain (rational entries)")
        eps = self.check_eps(eps, allow_zero=True)
        if not isinstance(eps, Fraction):
            raise EpsilonError("kernel_exact needs a rational eps")
        out = []
        for r0, r1 in zip(*self._rows):
            row = dict(r0)
            for j, v in r1.items():
                row[j] = row.get(j, Fraction(0)) + eps * v
            out.append({j: v for j, v in row.items() if v != 0})
        return out

    def kernel(self, eps) -> sp.csr_matrix:
        """P(ε) as a float CSR matrix (entries computed as P0 + ε·P1 in float64)."""
        eps = self.check_eps(eps, allow_zero=True)
        if eps != 0 and not float(eps) >= FLOAT_EPS_MIN:  # ε would round to 0 (or a subnormal): P(ε) ≈ P(0)
            raise EpsilonError(f"eps = {format_brief(eps)} is below the float64 range (smallest normal {FLOAT_EPS_MIN:.3g}): "
                               "in float64 P(eps) would be P(0); use exact or mpmath arithmetic "
                               "(e.g. `metacot hitting --method mp` or `--method exact`)")
        P = self.csr(0) + float(eps) * self.csr(1)
        P = sp.csr_matrix(P)
        P.data[P.data < 0] = 0.0  # −0-level rounding at ε = eps_max
        P.eliminate_zeros()
        return P

    def kernel_dense(self, eps) -> np.ndarray:
        return self.kernel(eps).toarray()

    def offdiag_kernel(self, eps) -> sp.csr_matrix:
        """Off-diagonal part of P(ε) in float64; solvers rebuild diagonals from its row sums (GTH)."""
        P = sp.csr_matrix(self.kernel(eps))
        P.setdiag(0.0)
        P.eliminate_zeros()
        return P

    def support(self, eps=None) -> sp.csr_matrix:
        """Boolean support of P(ε) (of P0 if eps is None or 0, generic support for 0 < ε < eps_max)."""
        if eps is None or eps == 0:
            m = self.csr(0)
        elif self.exact and isinstance(eps, Fraction):
            rows = self.kernel_exact(eps)
            ii = [i for i, r in enumerate(rows) for _ in r]
            jj = [j for r in rows for j in r]
            m = sp.csr_matrix((np.ones(len(ii)), (ii, jj)), shape=(self.n, self.n))
        else:
            m = self.kernel(eps)
        m = sp.csr_matrix(m != 0, dtype=bool)
        return m

    # ---------------------------------------------------------------- clusters
    def _validate_clusters(self, clusters):
        """Clusters as lists of ints: a partition of the states into closed classes of P0 with irreducible,
        aperiodic blocks. Vectorised (numpy) for large chains; the first problem in cluster order is reported."""
        clusters = [list(c) for c in clusters]
        K = len(clusters)
        sizes = np.fromiter(map(len, clusters), dtype=np.int64, count=K)
        flat_list = list(itertools.chain.from_iterable(clusters))
        types = set(map(type, flat_list))
        if not types <= {int}:
            for k, c in enumerate(clusters):      # reports the first entry that is not an integer
                for x in c:
                    _check_index(x, self.n, f"cluster {k}")
            clusters = [[int(x) for x in c] for c in clusters]
            flat_list = list(itertools.chain.from_iterable(clusters))
        try:
            arr = np.array(flat_list, dtype=np.int64) if flat_list else np.zeros(0, dtype=np.int64)
        except OverflowError:
            for k, c in enumerate(clusters):
                for x in c:
                    _check_index(x, self.n, f"cluster {k}")
            raise
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        events = []  # (position in iteration order, message)
        empty = np.flatnonzero(sizes == 0)
        if empty.size:
            events.append((offsets[empty[0]] - 0.5, f"cluster {int(empty[0])} is empty"))
        bad = np.flatnonzero((arr < 0) | (arr >= self.n))
        if bad.size:
            p = int(bad[0])
            k = int(np.searchsorted(offsets, p, side="right") - 1)
            events.append((p, f"cluster {k}: state index {int(arr[p])} out of range 0..{self.n - 1}"))
        else:
            order = np.argsort(arr, kind="stable")
            srt = arr[order]
            again = np.flatnonzero(srt[1:] == srt[:-1]) + 1 if arr.size > 1 else np.zeros(0, dtype=np.int64)
            if again.size:
                p = int(order[again].min())
                x = int(arr[p])
                k1 = int(np.searchsorted(offsets, int(np.flatnonzero(arr == x)[0]), side="right") - 1)
                k2 = int(np.searchsorted(offsets, p, side="right") - 1)
                events.append((p, f"state {x} is in clusters {k1} and {k2}"))
        if events:
            raise ChainError(min(events)[1])
        if arr.size < self.n:
            seen = np.zeros(self.n, dtype=bool)
            seen[arr] = True
            missing = int(np.flatnonzero(~seen)[0])
            raise ChainError(f"state {missing} is in no cluster (clusters must partition the states)")
        S0 = self.support(None)
        label = np.empty(self.n, dtype=np.int64)
        label[arr] = np.repeat(np.arange(K, dtype=np.int64), sizes)
        rows = np.repeat(np.arange(self.n, dtype=S0.indices.dtype), np.diff(S0.indptr))
        leak = np.flatnonzero(label[rows] != label[S0.indices])
        if leak.size:
            x, y = int(rows[leak[0]]), int(S0.indices[leak[0]])
            raise ChainError(f"cluster {label[x]} is not a closed class of P0: P0[{x},{y}] > 0 leaves it")
        self._check_blocks(S0, clusters, arr, sizes, label)
        self._given_index = (arr, sizes, label)
        return clusters

    def _check_blocks(self, S0, clusters, flat=None, sizes=None, label=None):
        """Every block P0|C_k must be irreducible and aperiodic (the clusters are closed classes of S0).

        Vectorised over all blocks: one strongly-connected-components pass (a block is irreducible iff its
        states share one component; a single state needs a self-loop); blocks without a self-loop get their
        period from one breadth-first search: gcd over edges u → v of level(u) + 1 − level(v).
        """
        from scipy.sparse.csgraph import connected_components

        n = self.n
        K = len(clusters) if clusters is not None else len(sizes)
        if flat is None:
            sizes = np.fromiter(map(len, clusters), dtype=np.int64, count=K)
            flat = np.fromiter(itertools.chain.from_iterable(clusters), dtype=np.int64, count=int(sizes.sum()))
            label = np.empty(n, dtype=np.int64)
            label[flat] = np.repeat(np.arange(K, dtype=np.int64), sizes)
        S0 = sp.csr_matrix(S0)
        offsets = np.concatenate([[0], np.cumsum(sizes)])[:-1]
        loop = S0.diagonal() != 0
        has_loop = np.logical_or.reduceat(loop[flat], offsets)
        _, scc = connected_components(S0, directed=True, connection="strong")
        sf = scc[flat]
        irreducible = (np.minimum.reduceat(sf, offsets) == np.maximum.reduceat(sf, offsets)) & \
            ((sizes > 1) | has_loop)
        period = np.ones(K, dtype=np.int64)
        need = np.flatnonzero(irreducible & ~has_loop)
        if need.size:
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(S0.indptr))
            period[need] = _block_periods(S0, rows, S0.indices.astype(np.int64), label, flat[offsets[need]], need, K)
        bad = np.flatnonzero(~irreducible | (period != 1))
        if bad.size:
            k = int(bad[0])
            c = clusters[k] if clusters is not None else flat[offsets[k]:offsets[k] + sizes[k]].tolist()
            if not irreducible[k]:
                raise ChainError(f"block {k} of P0 (states {_short(c)}) is reducible")
            raise ChainError(f"block {k} of P0 (states {_short(c)}) is periodic (period {int(period[k])})")

    @cached_property
    def _computed_clusters(self):
        S = self.support(None)
        ncomp, lab = connected_components(S, directed=True, connection="strong")
        rows = np.repeat(np.arange(self.n, dtype=S.indices.dtype), np.diff(S.indptr))
        out = lab[rows] != lab[S.indices]
        leaves = np.zeros(ncomp, dtype=bool)
        leaves[lab[rows[out]]] = True
        transient = np.flatnonzero(leaves[lab])
        if transient.size:
            raise ChainError(
                f"state {int(transient[0])} is transient under P0 (not in a closed class); "
                "the metastable model needs every state in a closed class of P0")
        # components ordered by their smallest state, states in increasing order inside each
        first = np.full(ncomp, self.n, dtype=np.int64)
        np.minimum.at(first, lab, np.arange(self.n))
        rank = np.empty(ncomp, dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(ncomp)
        label = rank[lab]
        flat = np.argsort(label, kind="stable")
        sizes = np.bincount(label, minlength=ncomp)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        fl = flat.tolist()
        clusters = [fl[bounds[k]:bounds[k + 1]] for k in range(ncomp)]
        self._check_blocks(S, clusters, flat, sizes, label)
        return clusters

    @property
    def _given_clusters(self):
        """The given clusters as lists (materialised on first use when they were given as labels), or None."""
        d = self.__dict__
        if "_given_list" in d:
            return d["_given_list"]
        idx = d.get("_given_index")
        if idx is None:
            return None
        flat, sizes, _ = idx
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        fl = flat.tolist()
        d["_given_list"] = [fl[bounds[k]:bounds[k + 1]] for k in range(len(sizes))]
        return d["_given_list"]

    @_given_clusters.setter
    def _given_clusters(self, value):
        self.__dict__["_given_list"] = value
        if value is None:
            self.__dict__.pop("_given_index", None)

    def _validate_cluster_labels(self, labels):
        """Given clusters as one label per state (vectorised; see from_csr)."""
        labels = np.asarray(labels)
        if labels.shape != (self.n,) or labels.dtype.kind not in "iu":
            raise ChainError(f"cluster_labels must be an integer array of length n = {self.n}")
        labels = labels.astype(np.int64)
        K = int(labels.max()) + 1 if self.n else 0
        if self.n and labels.min() < 0:
            raise ChainError("cluster_labels must be non-negative")
        sizes = np.bincount(labels, minlength=K)
        if (sizes == 0).any():
            raise ChainError(f"cluster {int(np.flatnonzero(sizes == 0)[0])} is empty (labels must be 0..K−1, each used)")
        flat = np.argsort(labels, kind="stable")
        S0 = self.support(None)
        lab_c = labels.astype(np.int32) if K < 2**31 - 1 else labels
        leak = np.flatnonzero(np.repeat(lab_c, np.diff(S0.indptr)) != lab_c[S0.indices])
        if leak.size:
            x = int(np.searchsorted(S0.indptr, leak[0], side="right") - 1)
            y = int(S0.indices[leak[0]])
            raise ChainError(f"cluster {labels[x]} is not a closed class of P0: P0[{x},{y}] > 0 leaves it")
        self._check_blocks(S0, None, flat, sizes, labels)
        self.__dict__.pop("_given_list", None)
        self._given_index = (flat, sizes, labels)

    @property
    def clusters(self) -> list[list[int]]:
        """Clusters C_1..C_K (0-based states): as given, else the closed classes of P0 ordered by smallest state."""
        return self._given_clusters if self._given_clusters is not None else self._computed_clusters

    @property
    def has_given_clusters(self) -> bool:
        return self.__dict__.get("_given_list") is not None or self.__dict__.get("_given_index") is not None

    @property
    def K(self) -> int:
        return len(self.clusters)

    @cached_property
    def cluster_of(self) -> np.ndarray:
        """Cluster index of every state (int64 array of length n)."""
        given = self.__dict__.get("_given_index")
        if given is not None and self.has_given_clusters:
            return given[2].copy()
        clusters = self.clusters
        sizes = np.fromiter(map(len, clusters), dtype=np.int64, count=len(clusters))
        flat = np.fromiter(itertools.chain.from_iterable(clusters), dtype=np.int64, count=int(sizes.sum()))
        lab = np.empty(self.n, dtype=np.int64)
        lab[flat] = np.repeat(np.arange(len(clusters), dtype=np.int64), sizes)
        return lab

    def sparse_edges(self) -> dict:
        """E_s with weights: {(x, y): P1(x, y)} for x, y in different clusters and P1(x, y) > 0 (= q(x, y))."""
        lab = self.cluster_of
        out = {}
        for x, row in enumerate(self.row_dicts(1)):
            for y, v in row.items():
                if lab[x] != lab[y] and v > 0:
                    out[(x, y)] = v
        return out

    def with_clusters(self, clusters) -> "Chain":
        c = self.copy()
        c._given_clusters = c._validate_clusters(clusters)
        c.__dict__.pop("cluster_of", None)
        return c

    def copy(self) -> "Chain":
        new = Chain.__new__(Chain)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("cluster_of", "_computed_clusters")})
        return new

    def to_float(self) -> "Chain":
        if not self.exact:
            return self
        return Chain.from_csr(self.csr(0), self.csr(1), clusters=self._given_clusters,
                              start=self.start, target=self.target, name=self.name)

    def __repr__(self):
        kind = "exact" if self.exact else "float"
        label = f" {self.name!r}" if self.name else ""
        return f"<Chain{label} n={self.n} {kind} eps_max={format_number(self.eps_max)}>"


def _short(c, k=6):
    return "[" + ", ".join(map(str, c[:k])) + (", …]" if len(c) > k else "]")


def _block_periods(S0, rows, cols, label, roots, blocks, K) -> np.ndarray:
    """Periods of the strongly connected blocks `blocks` (one root state each), by one breadth-first search.

    A virtual state links to every root; level(v) = BFS distance − 1 inside v's block; the period of a block is
    the gcd over its edges u → v of level(u) + 1 − level(v).
    """
    from scipy.sparse.csgraph import dijkstra

    n = S0.shape[0]
    want = np.zeros(K, dtype=bool)
    want[blocks] = True
    sel = want[label[rows]]
    r, c = rows[sel], cols[sel]
    rr = np.concatenate([r, np.full(roots.size, n, dtype=np.int64)])
    cc = np.concatenate([c, roots.astype(np.int64)])
    G = sp.csr_matrix((np.ones(rr.size), (rr, cc)), shape=(n + 1, n + 1))
    dist = dijkstra(G, directed=True, indices=n, unweighted=True)
    level = np.where(np.isfinite(dist), dist, 0).astype(np.int64) - 1
    diff = np.abs(level[r] + 1 - level[c])
    lab_e = label[r]
    order = np.argsort(lab_e, kind="stable")
    lab_s = lab_e[order]
    starts = np.searchsorted(lab_s, blocks)
    g = np.gcd.reduceat(diff[order], starts) if order.size else np.zeros(blocks.size, dtype=np.int64)
    return g


def row_rescaled_chain(blocks: Iterable, edges, *, start=None, target=None, name=None) -> Chain:
    """The paper's row-rescaled chain p^ε(x,y) = (1 − ε q(x))·P0(x,y) + ε q(x,y) (spec 00), q(x) = Σ_y q(x,y).

    P0 = diag(blocks) and P1 = Q − diag(q)·P0, so P(ε) is stochastic for 0 ≤ ε ≤ eps_max = 1/max_x q(x). The
    clusters are the blocks, in order. Every family of :mod:`metacot.numerics.families` is built with it.

    Parameters
    ----------
    blocks : list of square matrices
        The stochastic blocks P0|C_k (nested lists or arrays; entries as for :class:`Chain`, exact when
        rational), laid out block-diagonally: block k holds the next ``len(block)`` states.
    edges : dict {(x, y): q} or iterable of (x, y, q)
        Sparse edges in global state indices, x and y in different blocks, weights q > 0; repeated pairs
        add up.
    start, target : int, optional
        X_in and X_out.
    name : str, optional

    Returns
    -------
    Chain
        Exact when every entry and weight is rational.

    Raises
    ------
    ChainError
        A block that is not square or not stochastic (or reducible or periodic), an edge inside one block,
        a state out of range, a weight ≤ 0.

    Examples
    --------
    A uniform 2-state block and a single state, sparse edges 0 → 2 (q = 1) and 2 → 1 (q = 1/2):

    >>> c = row_rescaled_chain([[["1/2", "1/2"], ["1/2", "1/2"]], [[1]]], {(0, 2): 1, (2, 1): "1/2"},
    ...                        start=0, target=2)
    >>> c.clusters, c.eps_max
    ([[0, 1], [2]], Fraction(1, 1))
    >>> c.kernel_exact(Fraction(1, 10))[0]             # (1 − ε)·P0(0, ·) + ε·δ_2
    {0: Fraction(9, 20), 1: Fraction(9, 20), 2: Fraction(1, 10)}
    """
    blocks = [list(map(list, b)) if not isinstance(b, np.ndarray) else b for b in blocks]
    sizes = [len(b) for b in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
    n = offsets[-1]
    P0 = {}
    for k, b in enumerate(blocks):
        o = offsets[k]
        for a in range(sizes[k]):
            row = b[a]
            if len(row) != sizes[k]:
                raise ChainError(f"block {k} is not square")
            for c in range(sizes[k]):
                v = row[c]
                if type(v) is Fraction:
                    if v.numerator:
                        P0[(o + a, o + c)] = v
                elif v != 0 and v != "0":
                    P0[(o + a, o + c)] = _parse(v, f"block {k}[{a},{c}]")
    clusters = [list(range(offsets[k], offsets[k + 1])) for k in range(len(blocks))]
    label = {x: k for k, c in enumerate(clusters) for x in c}
    items = edges.items() if isinstance(edges, dict) else ((e[0], e[1], e[2]) for e in edges)
    Q = {}
    for item in items:
        if isinstance(edges, dict):
            (x, y), w = item
        else:
            x, y, w = item
        x, y = _check_index(x, n, "edge"), _check_index(y, n, "edge")
        if label[x] == label[y]:
            raise ChainError(f"sparse edge ({x}, {y}) stays inside cluster {label[x]}")
        w = _parse(w, f"q({x},{y})")
        if w <= 0:
            raise ChainError(f"sparse edge weight q({x},{y}) = {format_number(w)} must be positive")
        Q[(x, y)] = Q.get((x, y), 0) + w
    qx = {}
    for (x, _), w in Q.items():
        qx[x] = qx.get(x, 0) + w
    P1 = dict(Q)
    for (x, y), v in P0.items():
        if x in qx:
            P1[(x, y)] = P1.get((x, y), 0) - qx[x] * v
    return Chain(n, P0, P1, clusters, start=start, target=target, name=name)
