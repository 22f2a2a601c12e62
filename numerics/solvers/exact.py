"""Exact rational hitting times and rational functions of ε with python-flint (spec 06).

The exact backend of `metacot.numerics.solvers.hitting`:

* `exact_hitting_times(chain, targets, eps)` — E_x[τ] at a rational ε as exact rationals. The system
  (I − P(ε)) h = 1 on the states that hit the target almost surely is scaled row by row to integers and
  solved by FLINT (`fmpz_mat.solve`, fraction-free / p-adic), or, for large sparse systems, by state
  reduction in cluster order with FLINT rationals (`fmpq`) as scalars.
* `hitting_rational_functions(chain, targets)` — E_x[τ](ε) as exact rational functions of ε. With
  M(ε) = I − P0_UU − ε·P1_UU on the unknown states U, write P1_UU = E_R·V (R: the s rows of P1_UU that
  are not zero, V = those rows) and pick ε₀ in (0, eps_max), where M(ε₀) is invertible. One exact solve
  M(ε₀)·[h₀ | G] = [1 | E_R] and the Woodbury identity give, with δ = ε − ε₀, W = V·G (s×s), w = V·h₀:

      h(ε) = h₀ + δ·G·(I − δW)⁻¹·w = [p(δ)·h₀ + δ·G·adj(I − δW)·w] / p(δ),   p(δ) = det(I − δW),

  where p is the reversed characteristic polynomial of W and adj(I − δW)·w = Σ_j δ^j Σ_{k≤j} p_{j−k} W^k w
  (Cayley–Hamilton). Everything is exact polynomial and matrix arithmetic over Q (no interpolation, so no
  degree bound to trust); each E_x[τ](ε) is then reduced to lowest terms (numerator and denominator
  coprime, integer coefficients without a common factor, denominator with positive leading coefficient).

Fractions appear only at the interface (inputs and results are `fractions.Fraction`).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from metacot.numerics.errors import ChainError

try:  # python-flint is a dependency; the Fraction state reduction is the fallback when it is missing
    import flint
except ImportError:  # pragma: no cover
    flint = None

DENSE_EXACT_MAX = 200          # systems up to this size are solved by FLINT's dense solver
DENSE_EXACT_FILL = 0.05        # larger systems with nnz ≥ this·m² (and m ≤ DENSE_EXACT_CAP) too
DENSE_EXACT_CAP = 1500


def have_flint() -> bool:
    """True when python-flint is importable (the exact backend); False means the Fraction fallback."""
    return flint is not None


# ----------------------------------------------------------------------------- integer rows of a chain
class _Pattern:
    """Integer form of an exact chain, cached on it: for row x, cols[x] = the union of the supports of
    P0 and P1 in row x, with P0(x, y) = n0/d0 and P1(x, y) = n1/d1 (aligned integer lists)."""

    __slots__ = ("n", "cols", "n0", "n1", "d0", "d1", "vanish_at", "unknown_cache")

    def __init__(self, chain):
        self.n = chain.n
        self.cols, self.n0, self.n1, self.d0, self.d1 = cols_, N0, N1, D0, D1 = [], [], [], [], []
        vanish = set()
        for r0, r1 in zip(chain._rows[0], chain._rows[1]):
            d0, n0 = _integer_row(r0)
            cols = list(r0)
            if r1:
                d1, v1 = _integer_row(r1)
                if list(r1) == cols:
                    n1 = v1
                else:
                    extra = [y for y in r1 if y not in r0]
                    if extra:
                        cols += extra
                        n0 += [0] * len(extra)
                    get = dict(zip(r1, v1)).get
                    n1 = [get(y, 0) for y in cols]
                for u, v in zip(n0, n1):
                    if v < 0 < u:   # P0 + ε·P1 = 0 at ε = p/q = (u/d0)/(−v/d1), kept as (p, q) in lowest terms
                        p, q = u * d1, -v * d0
                        g = math.gcd(p, q)
                        vanish.add((p // g, q // g))
            else:
                d1, n1 = 1, [0] * len(cols)
            cols_.append(cols)
            N0.append(n0)
            N1.append(n1)
            D0.append(d0)
            D1.append(d1)
        self.vanish_at = vanish      # the ε > 0 at which an entry of P(ε) vanishes (P0(x, y) > 0 > P1(x, y))
        self.unknown_cache = {}

    def __getstate__(self):   # the cached FLINT matrices (per unknown set) do not pickle: rebuilt on use
        state = {k: getattr(self, k) for k in self.__slots__}
        state["unknown_cache"] = {}
        return state

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def numerators(self, a, b):
        """Row x of P(ε) at ε = a/b as integers over the row denominator b·d0·d1 (aligned with cols[x])."""
        out = []
        for n0, n1, d0, d1 in zip(self.n0, self.n1, self.d0, self.d1):
            c0, c1 = b * d1, a * d0
            out.append([c0 * u + c1 * v for u, v in zip(n0, n1)] if c1 else [c0 * u for u in n0])
        return out

    def unknowns(self, chain, targets, nums=None):
        """(ok, unknown): a.s.-hitting states and the non-target ones, for the support of P(ε) (nums) or the
        generic support (nums None); generic answers are cached per target set."""
        from metacot.numerics.solvers.reduction import almost_sure_states

        if nums is None or all(all(row) for row in nums):
            key = frozenset(targets)
            hit = self.unknown_cache.get(key)
            if hit is None:
                ok = almost_sure_states(self.cols, targets)
                hit = self.unknown_cache[key] = (ok, [x for x in range(self.n) if ok[x] and x not in targets])
            return hit
        succ = [[y for y, v in zip(cols, row) if v] for cols, row in zip(self.cols, nums)]
        ok = almost_sure_states(succ, targets)
        return ok, [x for x in range(self.n) if ok[x] and x not in targets]


def _integer_row(row):
    """(d, [numerators]) of a row {y: Fraction}: d the lcm of its denominators, row[y] = numerator/d."""
    pq = [v.as_integer_ratio() for v in row.values()]
    d = math.lcm(*[q for _, q in pq])
    return d, [p * (d // q) for p, q in pq]


def _pattern(chain) -> _Pattern:
    pat = chain.__dict__.get("_exact_pattern")
    if pat is None:
        pat = chain.__dict__["_exact_pattern"] = _Pattern(chain)
    return pat


def _order(chain, unknown):
    """Elimination order: cluster by cluster when clusters are known (fill stays inside clusters)."""
    try:
        lab = chain.cluster_of
    except ChainError:
        return list(range(len(unknown)))
    return sorted(range(len(unknown)), key=lambda i: (lab[unknown[i]], unknown[i]))


class _Layout:
    """Where the entries of the integer system of one unknown set U sit, cached on the pattern.

    Rows of states with no P1 entry do not depend on ε: scaled by d0 alone, (d0·e_x − n0) with right-hand
    side d0, they are filled once into `dense` (the m × m fmpz_mat and its scales) or `blocks` (per
    cluster). Each ε fills in the rows i in `var`: rows[i] = (k_diag, [(j, k)]) with cols[x][k_diag] = x
    (None when P(x, x) = 0) and cols[x][k] = unknown[j] for the other unknown columns."""

    __slots__ = ("unknown", "idx", "rows", "var", "dense", "blocks")

    def __init__(self, pat, unknown, idx):
        self.unknown, self.idx = unknown, idx
        self.var = [i for i, x in enumerate(unknown) if any(pat.n1[x])]
        self.rows = rows = {}
        for i in self.var:
            ent, kd = [], None
            for k, y in enumerate(pat.cols[unknown[i]]):
                j = idx.get(y)
                if j == i:
                    kd = k
                elif j is not None:
                    ent.append((j, k))
            rows[i] = (kd, ent)
        self.dense = self.blocks = None

    def constant_rows(self, pat):
        """(i, d0, diagonal, [(j, n0)]) for the unknown rows without P1 entries: d0·(I − P0) on them."""
        get = self.idx.get
        rows = self.rows
        for i, x in enumerate(self.unknown):
            if i in rows:
                continue
            d0 = dg = pat.d0[x]
            off = []
            for y, v in zip(pat.cols[x], pat.n0[x]):
                j = get(y)
                if j is None or not v:
                    continue
                if j == i:
                    dg -= v
                else:
                    off.append((j, v))
            yield i, d0, dg, off


def _layout(pat, unknown, idx) -> _Layout:
    key = ("layout", tuple(unknown))
    lay = pat.unknown_cache.get(key)
    if lay is None:
        lay = pat.unknown_cache[key] = _Layout(pat, unknown, idx)
    return lay


def _row(pat, x, kd, ent, a, b):
    """Row x of diag(S)·(I − P(ε)) at ε = a/b, S = b·d0·d1: (S, diagonal, [(j, −off-diagonal)]) with the
    zero entries left out (a row with P1 entries; `_Layout.constant_rows` gives the others)."""
    d0, n0, n1 = pat.d0[x], pat.n0[x], pat.n1[x]
    c0, c1 = b * pat.d1[x], a * d0
    S = c0 * d0
    out = []
    for j, k in ent:
        v = c0 * n0[k] + c1 * n1[k]
        if v:
            out.append((j, v))
    return S, (S if kd is None else S - c0 * n0[kd] - c1 * n1[kd]), out


def _scaled_system(pat, unknown, idx, a, b):
    """Z = diag(S)·(I − P(ε))_UU at ε = a/b as an fmpz_mat, and the row scales S.

    Row x of P(ε) over S = b·d0·d1 is b·d1·n0 + a·d0·n1 (`_Pattern`); a row without P1 entries is scaled by
    d0 alone. Those rows are filled once per unknown set (`_Layout`); each ε fills in the others."""
    lay = _layout(pat, unknown, idx)
    if lay.dense is None:
        m = len(unknown)
        Z0 = flint.fmpz_mat(m, m)
        scale0 = [0] * m
        for i, S, dg, off in lay.constant_rows(pat):
            scale0[i] = S
            Z0[i, i] = dg
            for j, v in off:
                Z0[i, j] = -v
        lay.dense = (Z0, scale0)
    Z0, scale0 = lay.dense
    Z = flint.fmpz_mat(Z0)
    scale = list(scale0)
    rows = lay.rows
    for i in lay.var:
        kd, ent = rows[i]
        S, dg, off = _row(pat, unknown[i], kd, ent, a, b)
        scale[i] = S
        Z[i, i] = dg
        for j, v in off:
            Z[i, j] = -v
    return Z, scale


def _fmpq_rows(pat, nums, unknown, idx, targets, b, ratio=None):
    """Off-diagonal rows {j: P(x, y)} on the unknowns and the mass into the targets, as exact rationals
    (``ratio(num, den)``: FLINT's fmpq by default, Fraction for the flint-less fallback)."""
    fq = ratio or flint.fmpq
    A, t = [], []
    for x in unknown:
        den = b * pat.d0[x] * pat.d1[x]
        row, tx = {}, 0
        for y, num in zip(pat.cols[x], nums[x]):
            if not num or y == x:
                continue
            if y in targets:
                tx += num
            else:
                row[idx[y]] = fq(num, den)
        A.append(row)
        t.append(fq(tx, den))
    return A, t


try:  # a Fraction from coprime integers without a second gcd (FLINT results are reduced)
    Fraction(1, 2, _normalize=False)

    def _to_fraction(q) -> Fraction:
        return Fraction(int(q.p), int(q.q), _normalize=False)
except TypeError:  # pragma: no cover - Python ≥ 3.12
    def _to_fraction(q) -> Fraction:
        return Fraction(int(q.p), int(q.q))


def _nnz(pat, unknown, idx):
    return sum(sum(1 for y in pat.cols[x] if y in idx) for x in unknown)


def _use_dense(m, nnz):
    return m <= DENSE_EXACT_MAX or (m <= DENSE_EXACT_CAP and nnz >= DENSE_EXACT_FILL * m * m)


# ----------------------------------------------------------------------------- exact values at one ε
def exact_hitting_times(chain, targets: set, eps: Fraction) -> list:
    """E_x[τ_targets] for every state at the rational ε: Fractions, 0 on targets, math.inf where not a.s.

    Clustered chains are solved by blocks (`_block_solve`: one FLINT solve per cluster and a Woodbury
    correction); otherwise the integer-scaled system by FLINT's dense solver (up to DENSE_EXACT_SMALL
    unknowns, or dense enough) or by sparse state reduction over FLINT rationals in cluster order.

    Parameters
    ----------
    chain : Chain
        An exact chain.
    targets : set of int
        Target states.
    eps : Fraction
        A valid ε (0 ≤ ε ≤ eps_max).

    Returns
    -------
    list
        Fraction per state (math.inf where the target is not hit almost surely).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)
    >>> exact_hitting_times(c, {c.target}, Fraction(1, 10))[0]
    Fraction(40, 1)
    """
    pat = _pattern(chain)
    a, b = eps.numerator, eps.denominator
    # the support of P(ε) is the generic one unless ε = 0 or an entry P0 + ε·P1 vanishes at this ε
    nums = pat.numerators(a, b) if (a == 0 or (a, b) in pat.vanish_at) else None
    ok, unknown = pat.unknowns(chain, targets, nums)
    out = [math.inf] * chain.n
    for y in targets:
        out[y] = Fraction(0)
    if not unknown:
        return out
    idx = {x: i for i, x in enumerate(unknown)}
    m = len(unknown)
    if flint is None:  # pragma: no cover - fallback without python-flint
        h = _fraction_solve(chain, pat, pat.numerators(a, b), unknown, idx, targets, b)
    elif (h := _block_solve(chain, pat, unknown, idx, a, b)) is not None:
        h = [_to_fraction(v) for v in h]
    elif m <= DENSE_EXACT_SMALL or _use_dense(m, _nnz(pat, unknown, idx)):
        h = _dense_solve(pat, unknown, idx, a, b)
    else:
        from metacot.numerics.solvers.reduction import hitting_reduction

        A, t = _fmpq_rows(pat, nums or pat.numerators(a, b), unknown, idx, targets, b)
        h = [_to_fraction(v) for v in hitting_reduction(A, t, [flint.fmpq(1)] * m, order=_order(chain, unknown))]
    for x, v in zip(unknown, h):
        out[x] = v
    return out


DENSE_EXACT_SMALL = 80


def _dense_solve(pat, unknown, idx, a, b):
    Z, scale = _scaled_system(pat, unknown, idx, a, b)
    X = Z.solve(flint.fmpz_mat(len(unknown), 1, scale))
    return [_to_fraction(q) for q in X.entries()]


BLOCK_EXACT_MAX = 400     # clustered systems whose largest cluster is at most this are solved block by block
BLOCK_EXACT_SOURCES = 400 # ... and that have at most this many rows with entries leaving their cluster


def _block_solve(chain, pat, unknown, idx, a, b):
    """h = Z^{-1}·S by cluster blocks, Z = diag(S)·(I − P(ε))_UU the integer system of `_scaled_system`.

    Split Z = D − E_S·C: D the cluster blocks of Z, C ≥ 0 the integer numerators of the entries of P(ε)
    between clusters (rows S: the s states with such entries; E_S the unit columns of those rows). Woodbury:
    h = y + W·(I_s − C·W)^{-1}·C·y with y = D^{-1}·S and W = D^{-1}·E_S, one small FLINT solve per cluster.
    Returns a list of fmpq, or None when the chain has no usable cluster structure (or a block is singular).
    """
    lay = _layout(pat, unknown, idx)
    if lay.blocks is None:
        lay.blocks = _block_template(chain, pat, unknown, lay)
    if lay.blocks is False:
        return None
    blocks, blk_of, pos, mats0, cross0, scale0 = lay.blocks
    m = len(unknown)
    mats = {k: flint.fmpz_mat(Z0) for k, Z0 in mats0.items()}
    scale = list(scale0)
    cross = dict(cross0)    # i -> [(j, C(i, j))] for j in another cluster
    rows = lay.rows
    for i in lay.var:
        kd, ent = rows[i]
        S, dg, off = _row(pat, unknown[i], kd, ent, a, b)
        scale[i] = S
        k = blk_of[i]
        pi = pos[i]
        Zk = mats[k]
        Zk[pi, pi] = dg
        cr = []
        for j, v in off:
            if blk_of[j] == k:
                Zk[pi, pos[j]] = -v
            else:
                cr.append((j, v))
        if cr:
            cross[i] = cr
    src = sorted(cross)
    s = len(src)
    if s > BLOCK_EXACT_SOURCES:
        return None
    col = {i: c for c, i in enumerate(src)}
    y = [None] * m
    W = [None] * s      # column c of D^{-1}·E_S, nonzero only in the cluster of src[c]: {j: value}
    for k, members in blocks.items():
        nb = len(members)
        srcs = [i for i in members if i in col]
        r = 1 + len(srcs)
        rhs = [0] * (nb * r)
        for p_, i in enumerate(members):
            rhs[p_ * r] = scale[i]
        for t_, i in enumerate(srcs):
            rhs[pos[i] * r + 1 + t_] = 1
        try:
            X = mats[k].solve(flint.fmpz_mat(nb, r, rhs)).entries()
        except (ZeroDivisionError, ValueError):
            return None
        for p_, i in enumerate(members):
            y[i] = X[p_ * r]
        for t_, i in enumerate(srcs):
            W[col[i]] = {j: X[p_ * r + 1 + t_] for p_, j in enumerate(members)}
    if s == 0:
        return y
    cap = [0] * (s * s)     # I_s − C·W, and the right-hand side C·y
    rhs = [0] * s
    for r_, i in enumerate(src):
        cr = cross[i]
        rhs[r_] = sum(v * y[j] for j, v in cr)
        cap[r_ * s + r_] = 1
        for c in range(s):
            wc = W[c]
            tot = 0
            for j, v in cr:
                w = wc.get(j)
                if w is not None:
                    tot += v * w
            if tot:
                cap[r_ * s + c] -= tot
    try:
        u = flint.fmpq_mat(s, s, cap).solve(flint.fmpq_mat(s, 1, rhs)).entries()
    except (ZeroDivisionError, ValueError):
        return None
    for c in range(s):
        uc = u[c]
        if uc:
            for j, w in W[c].items():
                y[j] += w * uc
    return y


def _block_template(chain, pat, unknown, lay):
    """The ε-independent part of `_block_solve` for one unknown set: clusters (lists of row indices), the
    cluster and position of each row, the cluster blocks with the constant rows filled in, their entries
    to other clusters, and their scales; False when the chain has no usable cluster structure."""
    try:
        lab = chain.cluster_of
    except ChainError:
        return False
    m = len(unknown)
    blocks = {}
    for i, x in enumerate(unknown):
        blocks.setdefault(int(lab[x]), []).append(i)
    if len(blocks) < 2 or max(map(len, blocks.values())) > BLOCK_EXACT_MAX:
        return False
    blk_of = [0] * m
    pos = [0] * m
    for k, members in blocks.items():
        for p_, i in enumerate(members):
            blk_of[i] = k
            pos[i] = p_
    mats = {k: flint.fmpz_mat(len(v), len(v)) for k, v in blocks.items()}
    scale = [0] * m
    cross = {}
    for i, S, dg, off in lay.constant_rows(pat):
        scale[i] = S
        k = blk_of[i]
        pi = pos[i]
        Zk = mats[k]
        Zk[pi, pi] = dg
        for j, v in off:
            if blk_of[j] == k:
                Zk[pi, pos[j]] = -v
            else:
                cross.setdefault(i, []).append((j, v))
    return blocks, blk_of, pos, mats, cross, scale


def _fraction_solve(chain, pat, nums, unknown, idx, targets, b):  # pragma: no cover - no python-flint
    from metacot.numerics.solvers.reduction import hitting_reduction

    A, t = _fmpq_rows(pat, nums, unknown, idx, targets, b, ratio=Fraction)
    return hitting_reduction(A, t, [Fraction(1)] * len(unknown), order=_order(chain, unknown))


# ----------------------------------------------------------------------------- stationary laws
def exact_stationary_law(A: list) -> list:
    """Stationary law π of an irreducible matrix of Fractions (only off-diagonal entries read), solved by FLINT.

    With q(x) = Σ_{y≠x} A(x, y) the exit rate rebuilt from the off-diagonal entries (as GTH does, so a
    stochastic matrix and its generator give the same π), π solves Σ_x π(x) A(x, y) = π(y) q(y) for every
    y ≠ n − 1 and Σ π = 1: a nonsingular rational system for an irreducible A, solved exactly by
    ``fmpq_mat.solve``. Used by `stationary.stationary_distribution` for exact input (the closed class).

    Parameters
    ----------
    A : list of list of Fraction
        Square, irreducible on its off-diagonal support.

    Returns
    -------
    list of Fraction

    Examples
    --------
    >>> exact_stationary_law([[Fraction(2, 5), Fraction(3, 5)], [Fraction(1, 5), Fraction(4, 5)]])
    [Fraction(1, 4), Fraction(3, 4)]
    """
    n = len(A)
    if n == 1:
        return [Fraction(1)]
    M = flint.fmpq_mat(n, n)
    fq = flint.fmpq
    for x, row in enumerate(A):
        q = Fraction(0)
        for y, v in enumerate(row):
            if y != x and v:
                q += v
                if y != n - 1:
                    M[y, x] = fq(v.numerator, v.denominator)
        if x != n - 1:
            M[x, x] = -fq(q.numerator, q.denominator)
    for x in range(n):
        M[n - 1, x] = 1
    try:
        X = M.solve(flint.fmpq_mat(n, 1, [0] * (n - 1) + [1]))
    except ZeroDivisionError:
        raise ChainError("the matrix is reducible: its stationary equations are singular") from None
    return [_to_fraction(v) for v in X.entries()]


STATIONARY_FLINT_MIN_N = 12    # exact stationary laws of larger blocks are solved by FLINT, smaller ones by GTH


# ----------------------------------------------------------------------------- rational functions of ε
def _base_point(eps_max) -> Fraction:
    """A simple rational ε₀ in (0, eps_max): 1/2^k with k ≥ 1 the least such that 1/2^k < eps_max."""
    e = Fraction(1, 2)
    while not e < eps_max:
        e /= 2
    return e


def _solve_many(chain, pat, unknown, idx, targets, a, b, cols):
    """Exact solution X (m × (1 + len(cols))) of (I − P(ε))_UU X = [1 | e_c for c in cols], as an fmpq_mat."""
    m = len(unknown)
    r = 1 + len(cols)
    if _use_dense(m, _nnz(pat, unknown, idx)):
        Z, scale = _scaled_system(pat, unknown, idx, a, b)
        rhs = [0] * (m * r)
        for i in range(m):
            rhs[i * r] = scale[i]
        for k, i in enumerate(cols):
            rhs[i * r + 1 + k] = scale[i]
        return Z.solve(flint.fmpz_mat(m, r, rhs))
    A, t = _fmpq_rows(pat, pat.numerators(a, b), unknown, idx, targets, b)
    one, zero = flint.fmpq(1), flint.fmpq(0)
    C = [[one] + [zero] * (r - 1) for _ in range(m)]
    for k, i in enumerate(cols):
        C[i][1 + k] = one
    from metacot.numerics.solvers.reduction import hitting_reduction_many

    H = hitting_reduction_many(A, t, C, _order(chain, unknown))
    return flint.fmpq_mat(m, r, [v for row in H for v in row])


def _normal_form(num, den):
    """(num, den) coprime fmpq_poly → integer coefficient tuples of Fractions: jointly primitive, LC(den) > 0."""
    g = num.gcd(den)
    if g.degree() > 0:
        num, den = num // g, den // g   # exact division
    nz, dz = num.numer(), den.numer()
    nq, dq = num.denom(), den.denom()
    nz, dz = nz * dq, dz * nq
    c = math.gcd(int(nz.content()), int(dz.content()))
    if dz.leading_coefficient() < 0:
        c = -c
    ncoef = [Fraction(int(v) // c) for v in nz.coeffs()] or [Fraction(0)]
    dcoef = [Fraction(int(v) // c) for v in dz.coeffs()]
    return tuple(ncoef), tuple(dcoef)


def hitting_rational_functions(chain, targets: set) -> list:
    """E_x[τ_targets](ε) for every state as (numerator, denominator) coefficient tuples (lowest degree first).

    Reachability uses the generic support of P(ε), 0 < ε < eps_max; states that do not hit the targets
    almost surely get None, targets get ((0,), (1,)). Exact (see the module docstring for the method).

    Parameters
    ----------
    chain : Chain
        An exact chain.
    targets : set of int
        Target states.

    Returns
    -------
    list
        Per state: None, or (num, den), tuples of Fractions with num/den in lowest terms, integer
        coefficients without a common factor and a positive leading coefficient of den.

    Examples
    --------
    ring(2, 2, 1): from state 0 (the source of C_0, P(0, 3) = ε), E_0[τ_3](ε) = (2 − ε)/ε:

    >>> from metacot.numerics.families import ring
    >>> c = ring(2, 2, 1)
    >>> hitting_rational_functions(c, {c.target})[0]
    ((Fraction(2, 1), Fraction(-1, 1)), (Fraction(0, 1), Fraction(1, 1)))
    """
    if flint is None:  # pragma: no cover
        raise ChainError("exact rational functions of eps need python-flint")
    pat = _pattern(chain)
    ok, unknown = pat.unknowns(chain, targets)
    out = [None] * chain.n
    for y in targets:
        out[y] = ((Fraction(0),), (Fraction(1),))
    if not unknown:
        return out
    m = len(unknown)
    idx = {x: i for i, x in enumerate(unknown)}
    # rows of P1 restricted to the unknowns that are not zero: P1_UU = E_R · V
    src, V = [], []
    for i, x in enumerate(unknown):
        d1 = pat.d1[x]
        row = {idx[y]: flint.fmpq(v, d1) for y, v in zip(pat.cols[x], pat.n1[x]) if v and y in idx}
        if row:
            src.append(i)
            V.append(row)
    if not use_woodbury(m, len(src)):
        for x, nd in zip(unknown, _interpolate(chain, pat, unknown, idx, targets, len(src))):
            out[x] = nd
        return out
    e0 = _base_point(chain.eps_max)
    X = _solve_many(chain, pat, unknown, idx, targets, e0.numerator, e0.denominator, src)
    s = len(src)
    h0 = [X[i, 0] for i in range(m)]
    if s == 0:
        for x, v in zip(unknown, h0):
            out[x] = _normal_form(flint.fmpq_poly([v]), flint.fmpq_poly([1]))
        return out
    Vm = flint.fmpq_mat(s, m, [row.get(j, 0) for row in V for j in range(m)])
    G = flint.fmpq_mat(m, s, [X[i, 1 + k] for i in range(m) for k in range(s)])
    W = Vm * G
    w = Vm * flint.fmpq_mat(m, 1, h0)
    chi = W.charpoly()                                     # det(λI − W) = Σ a_k λ^k, a_s = 1
    a = [chi.coeffs()[k] if k < len(chi.coeffs()) else 0 for k in range(s + 1)]
    p = [a[s - k] for k in range(s + 1)]                   # det(I − δW) = Σ_k p_k δ^k, p_0 = 1
    # Krylov vectors W^k w (k < s) and n_j = Σ_{k≤j} p_{j−k} W^k w = adj-coefficients of (I − δW)^{-1} w
    kry = [w]
    for _ in range(s - 1):
        kry.append(W * kry[-1])
    Kmat = flint.fmpq_mat(s, s, [kry[k][i, 0] for i in range(s) for k in range(s)])
    T = flint.fmpq_mat(s, s, [p[j - k] if j >= k else 0 for k in range(s) for j in range(s)])
    GN = G * (Kmat * T)                                    # m × s: coefficient of δ^{j+1}
    shift = flint.fmpq_poly([flint.fmpq(-e0.numerator, e0.denominator), 1])   # δ = ε − ε₀
    D = flint.fmpq_poly(p)(shift)
    for i, x in enumerate(unknown):
        coeffs = [h0[i] * p[k] + (GN[i, k - 1] if k else 0) for k in range(s + 1)]
        out[x] = _normal_form(flint.fmpq_poly(coeffs)(shift), D)
    return out


WOODBURY_MAX = 16   # Woodbury for s ≤ max(WOODBURY_MAX, m/6) nonzero rows of P1 on m unknowns, else evaluation


def use_woodbury(m: int, s: int) -> bool:
    """Whether `hitting_rational_functions` takes the Woodbury form (one solve) or evaluation at s + 2 points.

    The Woodbury form builds W^k·w for k < s, whose entries grow with k; evaluation keeps entries small but
    costs s + 2 solves. Measured crossover: s ≈ max(16, m/6).

    Examples
    --------
    >>> use_woodbury(128, 8), use_woodbury(100, 100)
    (True, False)
    """
    return s <= max(WOODBURY_MAX, m // 6)


def laurent_solves(chain) -> int:
    """Number of exact m×m solves `hitting_rational_functions` does on `chain` (upper bound, any target).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> laurent_solves(ring(8, 16))
    1
    """
    s = sum(1 for r in chain._rows[1] if r)
    return 1 if use_woodbury(chain.n, s) else s + 2


def _interpolate(chain, pat, unknown, idx, targets, s):
    """E_x[τ](ε) = N_x(ε)/D(ε), D = det(I − P(ε))_UU, by exact evaluation at s + 1 integer points and exact
    interpolation; deg D, deg N_x ≤ s (the rank of ε·P1_UU is at most s: Cramer's rule), and the result is
    verified at one more point. Used when s is large, where the Woodbury form would build large powers W^k.
    Returns (num, den) in normal form per unknown state.
    """
    m = len(unknown)
    pts, dets, sols = [], [], []
    e = 0
    while len(pts) < s + 2:
        e += 1
        Z, scale = _scaled_system(pat, unknown, idx, e, 1)
        d = Z.det()
        if d == 0:
            continue
        X = Z.solve(flint.fmpz_mat(m, 1, scale))
        prod = 1
        for v in scale:
            prod *= v
        pts.append(e)
        dets.append(flint.fmpq(int(d), prod))            # det (I − P(e))_UU
        sols.append([X[i, 0] for i in range(m)])
    k = s + 1
    V = flint.fmpz_mat(k, k, [p_ ** j for p_ in pts[:k] for j in range(k)])
    Y = flint.fmpq_mat(k, m + 1, [v for j in range(k) for v in [dets[j]] + [sols[j][i] * dets[j] for i in range(m)]])
    Cf = flint.fmpq_mat(V).solve(Y)
    D = flint.fmpq_poly([Cf[j, 0] for j in range(k)])
    out = []
    e_chk, h_chk = pts[-1], sols[-1]
    for i in range(m):
        N = flint.fmpq_poly([Cf[j, 1 + i] for j in range(k)])
        if N(e_chk) != h_chk[i] * D(e_chk):
            raise ChainError("internal: exact interpolation of E[tau](eps) failed its check point")
        out.append(_normal_form(N, D))
    return out
