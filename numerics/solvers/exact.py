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

    __slots__ = ("n", "cols", "n0", "n1", "d0", "d1", "generic", "unknown_cache")

    def __init__(self, chain):
        self.n = chain.n
        self.cols, self.n0, self.n1, self.d0, self.d1 = [], [], [], [], []
        for r0, r1 in zip(chain._rows[0], chain._rows[1]):
            d0 = _lcm_den(r0.values())
            d1 = _lcm_den(r1.values())
            cols = list(r0) + [y for y in r1 if y not in r0]
            self.cols.append(cols)
            self.n0.append([r0[y].numerator * (d0 // r0[y].denominator) if y in r0 else 0 for y in cols])
            self.n1.append([r1[y].numerator * (d1 // r1[y].denominator) if y in r1 else 0 for y in cols])
            self.d0.append(d0)
            self.d1.append(d1)
        self.unknown_cache = {}

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


def _lcm_den(values):
    d = 1
    for v in values:
        q = v.denominator
        if q != 1 and d % q:
            d = d // math.gcd(d, q) * q
    return d


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


def _scaled_system(pat, nums, unknown, idx, b):
    """Z = diag(S)·(I − P(ε))_UU as an fmpz_mat and the row scales S = b·d0·d1.

    The positions of the entries depend only on the unknown set: they are computed once per set (cached on
    the pattern) as (row, column, x, k) with P(ε)(x, cols[x][k]) the entry; each ε only fills in numbers."""
    m = len(unknown)
    key = ("layout", tuple(unknown))
    lay = pat.unknown_cache.get(key)
    if lay is None:
        lay = []
        for i, x in enumerate(unknown):
            ent = []
            for k, y in enumerate(pat.cols[x]):
                j = idx.get(y)
                if j is not None:
                    ent.append((j, k))
            lay.append(ent)
        pat.unknown_cache[key] = lay
    Z = flint.fmpz_mat(m, m)
    scale = [0] * m
    d0, d1 = pat.d0, pat.d1
    for i, x in enumerate(unknown):
        S = b * d0[x] * d1[x]
        scale[i] = S
        row = nums[x]
        diag = S
        for j, k in lay[i]:
            v = row[k]
            if j == i:
                diag -= v
            elif v:
                Z[i, j] = -v
        Z[i, i] = diag
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

    Dense FLINT solve of the integer-scaled system for up to DENSE_EXACT_SMALL unknowns; clustered
    chains by blocks (`_block_solve`); otherwise dense FLINT or sparse state reduction over FLINT
    rationals in cluster order, by size and fill.

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
    nums = pat.numerators(a, b)
    ok, unknown = pat.unknowns(chain, targets, nums)
    out = [math.inf] * chain.n
    for y in targets:
        out[y] = Fraction(0)
    if not unknown:
        return out
    idx = {x: i for i, x in enumerate(unknown)}
    m = len(unknown)
    if flint is None:  # pragma: no cover - fallback without python-flint
        h = _fraction_solve(chain, pat, nums, unknown, idx, targets, b)
    elif m <= DENSE_EXACT_SMALL:
        h = _dense_solve(pat, nums, unknown, idx, b)
    elif (h := _block_solve(chain, pat, nums, unknown, idx, b)) is not None:
        h = [_to_fraction(v) for v in h]
    elif _use_dense(m, _nnz(pat, unknown, idx)):
        h = _dense_solve(pat, nums, unknown, idx, b)
    else:
        from metacot.numerics.solvers.reduction import hitting_reduction

        A, t = _fmpq_rows(pat, nums, unknown, idx, targets, b)
        h = [_to_fraction(v) for v in hitting_reduction(A, t, [flint.fmpq(1)] * m, order=_order(chain, unknown))]
    for x, v in zip(unknown, h):
        out[x] = v
    return out


DENSE_EXACT_SMALL = 80


def _dense_solve(pat, nums, unknown, idx, b):
    m = len(unknown)
    Z, scale = _scaled_system(pat, nums, unknown, idx, b)
    X = Z.solve(flint.fmpz_mat(m, 1, scale))
    return [_to_fraction(X[i, 0]) for i in range(m)]


BLOCK_EXACT_MAX = 400     # clustered systems whose largest cluster is at most this are solved block by block
BLOCK_EXACT_SOURCES = 400 # ... and that have at most this many rows with entries leaving their cluster


def _block_solve(chain, pat, nums, unknown, idx, b):
    """h = (I − P(ε))_UU^{-1}·1 by blocks: M = D − C with D = the cluster blocks of M, C ≥ 0 the entries of
    P(ε) between clusters (rows S: the s states with such entries). Woodbury:
    h = y + Z·(I_s − C_S·Z)^{-1}·C_S·y with y = D^{-1}·1, Z = D^{-1}·E_S (one small exact solve per cluster,
    all in FLINT). Returns a list of fmpq, or None when the chain has no usable cluster structure.
    """
    try:
        lab = chain.cluster_of
    except ChainError:
        return None
    m = len(unknown)
    blocks = {}
    for i, x in enumerate(unknown):
        blocks.setdefault(int(lab[x]), []).append(i)
    if len(blocks) < 2 or max(len(v) for v in blocks.values()) > BLOCK_EXACT_MAX:
        return None
    blk_of = [0] * m
    pos = [0] * m
    for k, members in blocks.items():
        for p_, i in enumerate(members):
            blk_of[i] = k
            pos[i] = p_
    cross = {}          # i -> {j: fmpq P(ε)(x_i, x_j)} for j in another block
    rowscale = [0] * m
    mats = {k: flint.fmpz_mat(len(v), len(v)) for k, v in blocks.items()}
    get = idx.get
    for i, x in enumerate(unknown):
        S = b * pat.d0[x] * pat.d1[x]
        rowscale[i] = S
        k = blk_of[i]
        pi = pos[i]
        row = {pi: S}
        cr = None
        for y, num in zip(pat.cols[x], nums[x]):
            j = get(y)
            if j is None or not num:
                continue
            if blk_of[j] == k:
                row[pos[j]] = row.get(pos[j], 0) - num
            else:
                if cr is None:
                    cr = cross[i] = {}
                cr[j] = flint.fmpq(num, S)
        Zk = mats[k]
        for q, v in row.items():
            if v:
                Zk[pi, q] = v
    src = sorted(cross)
    if len(src) > BLOCK_EXACT_SOURCES:
        return None
    col = {i: c for c, i in enumerate(src)}
    s = len(src)
    y = [None] * m
    Z = [None] * s      # column c of D^{-1} E_S, nonzero only in the block of src[c]: {j: value}
    for k, members in blocks.items():
        b_ = len(members)
        srcs = [i for i in members if i in col]
        r = 1 + len(srcs)
        rhs = [0] * (b_ * r)
        for p_, i in enumerate(members):
            rhs[p_ * r] = rowscale[i]
        for t_, i in enumerate(srcs):
            rhs[pos[i] * r + 1 + t_] = rowscale[i]
        try:
            X = mats[k].solve(flint.fmpz_mat(b_, r, rhs))
        except (ZeroDivisionError, ValueError):
            return None
        for p_, i in enumerate(members):
            y[i] = X[p_, 0]
        for t_, i in enumerate(srcs):
            Z[col[i]] = {j: X[p_, 1 + t_] for p_, j in enumerate(members)}
    if s == 0:
        return y
    # capacitance I_s − C_S Z and right-hand side C_S y
    cap = [0] * (s * s)
    rhs = [0] * s
    for r_, i in enumerate(src):
        cr = cross[i]
        acc = 0
        for j, v in cr.items():
            acc += v * y[j]
        rhs[r_] = acc
        cap[r_ * s + r_] = 1
        for c in range(s):
            zc = Z[c]
            tot = 0
            for j, v in cr.items():
                zj = zc.get(j)
                if zj is not None:
                    tot += v * zj
            if tot:
                cap[r_ * s + c] -= tot
    try:
        u = flint.fmpq_mat(s, s, cap).solve(flint.fmpq_mat(s, 1, rhs))
    except (ZeroDivisionError, ValueError):
        return None
    h = list(y)
    for c in range(s):
        uc = u[c, 0]
        if uc:
            for j, v in Z[c].items():
                h[j] += v * uc
    return h


def _fraction_solve(chain, pat, nums, unknown, idx, targets, b):  # pragma: no cover - no python-flint
    from metacot.numerics.solvers.reduction import hitting_reduction

    A, t = _fmpq_rows(pat, nums, unknown, idx, targets, b, ratio=Fraction)
    return hitting_reduction(A, t, [Fraction(1)] * len(unknown), order=_order(chain, unknown))


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
    nums = pat.numerators(a, b)
    if _use_dense(m, _nnz(pat, unknown, idx)):
        Z, scale = _scaled_system(pat, nums, unknown, idx, b)
        rhs = [0] * (m * r)
        for i in range(m):
            rhs[i * r] = scale[i]
        for k, i in enumerate(cols):
            rhs[i * r + 1 + k] = scale[i]
        return Z.solve(flint.fmpz_mat(m, r, rhs))
    A, t = _fmpq_rows(pat, nums, unknown, idx, targets, b)
    one, zero = flint.fmpq(1), flint.fmpq(0)
    C = [[one] + [zero] * (r - 1) for _ in range(m)]
    for k, i in enumerate(cols):
        C[i][1 + k] = one
    H = _reduce_many(A, t, C, _order(chain, unknown))
    return flint.fmpq_mat(m, r, [v for row in H for v in row])


def _reduce_many(rows, t, C, order):
    """State reduction (as `reduction.hitting_reduction`) with several right-hand sides (lists) over fmpq."""
    m = len(rows)
    A = [dict(r) for r in rows]
    t = list(t)
    C = [list(c) for c in C]
    cols = [set() for _ in range(m)]
    for x in range(m):
        for y in A[x]:
            cols[y].add(x)
    alive = [True] * m
    record = []
    for z in order[:-1]:
        rz = A[z]
        ez = t[z] + sum(rz.values())
        if ez == 0:
            raise ChainError(f"state {z} has no exit mass during elimination (target unreachable)")
        alive[z] = False
        cz = C[z]
        record.append((z, rz, ez, cz))
        for y in rz:
            cols[y].discard(z)
        for i in cols[z]:
            if not alive[i]:
                continue
            ri = A[i]
            f = ri.pop(z) / ez
            t[i] += f * t[z]
            ci = C[i]
            for k, v in enumerate(cz):
                if v:
                    ci[k] += f * v
            for y, v in rz.items():
                if y == i:
                    continue
                if y in ri:
                    ri[y] += f * v
                else:
                    ri[y] = f * v
                    cols[y].add(i)
        cols[z] = set()
    last = order[-1]
    e_last = t[last] + sum(A[last].values())
    if e_last == 0:
        raise ChainError(f"state {last} has no exit mass (target unreachable)")
    H = [None] * m
    H[last] = [v / e_last for v in C[last]]
    for z, rz, ez, cz in reversed(record):
        acc = list(cz)
        for y, v in rz.items():
            hy = H[y]
            for k in range(len(acc)):
                acc[k] += v * hy[k]
        H[z] = [v / ez for v in acc]
    return H


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
        nums = pat.numerators(e, 1)
        Z, scale = _scaled_system(pat, nums, unknown, idx, 1)
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
