"""Exact statistical-query (SQ) quantities of the logical task by enumeration (spec 05, claims L1, L2, L5).

Setting (definitions and sources: `theory/lower_bounds.py`). m candidate edges carry public labels
g_0..g_{m−1} ∈ G; the unknown concept is the set S ⊆ {0..m−1} of candidates that are true sparse
edges. An example is x ∈ {0,1}^m (x_e = 1 iff the path traverses candidate e), uniform; its answer is
the ordered product f_S(x) = ∏_{e ∈ S, x_e = 1} g_e (e ascending) — for G = Z_2 with g_e = 1 this is the
parity χ_S(x). Subsets and inputs are encoded as m-bit integers (bit e = candidate e).

Pairwise correlation (Feldman, Grigorescu, Reyzin, Vempala, Xiao, J. ACM 2017, relative to the reference
distribution D0 = (x uniform, y uniform on G)):
    χ(S, T) = |G|·Pr_x[f_S(x) = f_T(x)] − 1,
which for Z_2 is E_x[(−1)^{χ_S(x)} (−1)^{χ_T(x)}]. Everything is integer arithmetic:
`CorrelationMatrix.num[S, T] = |G|·#{x : f_S(x) = f_T(x)} − 2^m` and χ = num / 2^m exactly.
Agreement counts come from one-hot matrix products in float32 (entries and all partial sums are
integers ≤ 2^12 < 2^24, so float32 is exact; we assert it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metacot.numerics.errors import MetacotError
from metacot.numerics.lower_bounds.groups import FiniteGroup, default_labels, get_group

MAX_ENUM_M = 12  # 2^12 concepts × 2^12 inputs: the largest enumeration we run (float32 exactness needs 2^m < 2^24)


def check_m(m, max_m: int = MAX_ENUM_M) -> int:
    """m must be an integer with 1 ≤ m ≤ max_m (2^m concepts × 2^m inputs are enumerated)."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)):
        raise MetacotError(f"m must be an integer, got {m!r}")
    m = int(m)
    if m < 1:
        raise MetacotError(f"m must be at least 1, got {m}")
    if m > max_m:
        raise MetacotError(f"m = {m} is too large to enumerate (2^{m} concepts × 2^{m} inputs); the maximum is {max_m}")
    return m


def popcount(a: np.ndarray) -> np.ndarray:
    """Number of set bits of each entry of a non-negative integer array (vectorised)."""
    a = np.asarray(a, dtype=np.int64)
    out = np.zeros(a.shape, dtype=np.int64)
    while np.any(a):
        out += a & 1
        a = a >> 1
    return out


def subset_products(group: FiniteGroup, labels) -> np.ndarray:
    """F[U] = index of ∏_{e ∈ U} g_e (e ascending) for every U ⊆ {0..m−1}: a length-2^m int array.

    Dynamic programme on the highest bit h of U: F[U] = F[U ∖ {h}] · g_h.
    """
    idx = [group.element(g).index for g in labels]
    m = len(idx)
    F = np.empty(1 << m, dtype=np.int64)
    F[0] = group.identity_index
    for e, g in enumerate(idx):
        lo = 1 << e
        F[lo:2 * lo] = group.mul[F[:lo], g]
    return F


def answer_table(group, m: int, labels=None) -> np.ndarray:
    """A[S, x] = index of f_S(x) = F[S & x] for all 2^m concepts S and 2^m inputs x (int8/int16)."""
    group = get_group(group)
    m = check_m(m)
    labels = default_labels(group, m) if labels is None else list(labels)
    if len(labels) != m:
        raise MetacotError(f"need {m} labels, got {len(labels)}")
    F = subset_products(group, labels)
    dt = np.int8 if group.order < 128 else np.int16
    F = F.astype(dt)
    ar = np.arange(1 << m, dtype=np.uint16 if m <= 16 else np.uint32)
    return F[np.bitwise_and.outer(ar, ar)]


@dataclass
class CorrelationMatrix:
    """χ(S, T) = num[S, T] / den, exact (num integer, den = 2^m); diag = |G| − 1."""

    group: FiniteGroup
    m: int
    labels: list
    num: np.ndarray
    den: int

    @property
    def N(self) -> int:
        return self.num.shape[0]

    def entry(self, S: int, T: int) -> Fraction:
        return Fraction(int(self.num[S, T]), self.den)

    def as_fractions(self):
        return [[Fraction(int(v), self.den) for v in row] for row in self.num]


def agreement_counts(A: np.ndarray, order: int) -> np.ndarray:
    """agree[S, T] = #{x : A[S, x] = A[T, x]} via one-hot products Σ_a 1[A = a]·1[A = a]^T (exact, int64)."""
    n_in = A.shape[1]
    if n_in >= 1 << 24:
        raise MetacotError("too many inputs for exact float32 counting")
    agree = np.zeros((A.shape[0], A.shape[0]), dtype=np.float32)
    present = np.unique(A)
    if order == 2 and len(present) <= 2:
        # ±1 form: V V^T = 2·agree − n_in (one product instead of two)
        V = np.where(A == present[0], np.float32(1), np.float32(-1))
        G = V @ V.T
        out = np.rint(G).astype(np.int64)
        if not np.array_equal(out.astype(np.float32), G):
            raise ArithmeticError("float32 product was not exact")
        return (out + n_in) // 2
    for a in present:
        B = (A == a).astype(np.float32)
        agree += B @ B.T
    out = np.rint(agree).astype(np.int64)
    if not np.array_equal(out.astype(np.float32), agree):
        raise ArithmeticError("float32 product was not exact")
    return out


def correlation_matrix(group, m: int, labels=None) -> CorrelationMatrix:
    """Exact pairwise correlations χ(S, T) = |G|·Pr_x[f_S = f_T] − 1 of the 2^m subset concepts."""
    group = get_group(group)
    m = check_m(m)
    labels = default_labels(group, m) if labels is None else [group.element(g) for g in labels]
    A = answer_table(group, m, labels)
    agree = agreement_counts(A, group.order)
    num = group.order * agree - (1 << m)
    return CorrelationMatrix(group, m, labels, num, 1 << m)


def correlation_matrix_direct(group, m: int, labels=None) -> CorrelationMatrix:
    """Second, independent method (for tests, m ≤ 8): per pair, compare the answers by explicit products."""
    group = get_group(group)
    m = check_m(m, 8)
    labels = default_labels(group, m) if labels is None else [group.element(g) for g in labels]
    N = 1 << m
    ans = [[group.product([labels[e] for e in range(m) if (S >> e) & 1 and (x >> e) & 1]).index
            for x in range(N)] for S in range(N)]
    ans = np.array(ans)
    num = np.empty((N, N), dtype=np.int64)
    for S in range(N):
        num[S] = group.order * (ans == ans[S]).sum(axis=1) - N
    return CorrelationMatrix(group, m, labels, num, N)


# ---------------------------------------------------------------------------- SQ dimension (Blum et al.)
def _core_size(adj: np.ndarray, k: int) -> int:
    """Size of the k-core of an undirected graph (boolean adjacency, no self loops)."""
    alive = np.ones(adj.shape[0], dtype=bool)
    while True:
        deg = adj[:, alive].sum(axis=1)
        drop = alive & (deg < k)
        if not drop.any():
            return int(alive.sum())
        alive &= ~drop


def _greedy_clique(adj: np.ndarray) -> list[int]:
    """A clique by greedy selection of the vertex with most remaining candidate neighbours."""
    cand = np.ones(adj.shape[0], dtype=bool)
    clique = []
    while cand.any():
        deg = (adj[:, cand].sum(axis=1)) * cand
        v = int(np.argmax(np.where(cand, deg, -1)))
        clique.append(v)
        cand &= adj[v]
        cand[v] = False
    return clique


@dataclass
class Bounds:
    """An exact quantity known to lie in [lower, upper] (exact when equal)."""

    lower: int | float
    upper: int | float
    witness: list | None = field(default=None, repr=False)

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def value(self):
        return self.lower if self.exact else None


def sq_dimension(corr: CorrelationMatrix) -> Bounds:
    """SQ-DIM (Blum, Furst, Jackson, Kearns, Mansour, Rudich, STOC 1994; Boolean concepts there, this χ and the
    S_3 case are this project's extension — see theory/lower_bounds.py): the largest d such that some d
    concepts have |χ(S,T)| ≤ 1/d for all S ≠ T.

    Certified bounds: lower = a greedy clique in the graph {|χ| ≤ 1/d} (a witness); upper = the largest d
    whose (d−1)-core has ≥ d vertices (a clique of size d needs it). Both are found by bisection on d;
    the two properties are monotone in d. Equal bounds make the value exact (parity: 2^m).
    """
    absnum = np.abs(corr.num)
    N, den = corr.N, corr.den
    offdiag = ~np.eye(N, dtype=bool)

    def graph(d):
        return (absnum * d <= den) & offdiag

    if not offdiag.any() or np.all(absnum[offdiag] * N <= den):
        return Bounds(N, N, list(range(N)))

    def core_ok(d):
        return _core_size(graph(d), d - 1) >= d

    lo, hi = 1, N  # core_ok(1) is true
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if core_ok(mid):
            lo = mid
        else:
            hi = mid - 1
    upper = lo
    best, best_clique = 1, [0]
    lo, hi = 1, upper
    while lo <= hi:
        mid = (lo + hi) // 2
        cl = _greedy_clique(graph(mid))
        if len(cl) >= mid:
            best, best_clique = mid, cl[:mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return Bounds(best, upper, sorted(best_clique))


# ---------------------------------------------------------------------------- SDA (Feldman et al.)
def _frac(x) -> Fraction:
    from metacot.numerics.numbers import parse_number

    v = parse_number(x, what="gamma")
    if not isinstance(v, Fraction):
        v = Fraction(v)
    if v <= 0:
        raise MetacotError(f"gamma must be positive, got {v}")
    return v


def average_correlation(corr: CorrelationMatrix, subset) -> Fraction:
    """ρ(A) = (1/|A|²) Σ_{S,T ∈ A} |χ(S, T)| (exact)."""
    A = np.asarray(list(subset), dtype=np.int64)
    if len(A) == 0:
        raise MetacotError("average correlation of an empty set")
    s = int(np.abs(corr.num[np.ix_(A, A)]).sum())
    return Fraction(s, len(A) ** 2 * corr.den)


@dataclass
class SDAResult:
    """SDA(C, γ̄) ∈ [lower, upper]; s_star: every set of ≥ s_star concepts has ρ ≤ γ̄ (certified);
    witness: a set of size witness_size with ρ > γ̄ (so the true threshold exceeds witness_size)."""

    gamma: Fraction
    N: int
    lower: int | float
    upper: int | float
    s_star: int
    witness_size: int
    witness_rho: Fraction

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    @property
    def search_lower(self) -> int:
        """Certified lower bound on the search-problem form of SDA (Feldman et al. 2017 SDA(Z, γ̄) for exact
        identification, recalled: subsets of C ∖ {D_S} of size ≥ (N − 1)/d, and d ≤ N): ⌈(N − 1)/(s* − 1)⌉ − 1
        (N when s* = 1), since every set of ≥ s* concepts has ρ ≤ γ̄. Exact for parities."""
        if self.s_star <= 1:
            return self.N
        return _sda_from_threshold(self.N - 1, self.s_star)

    @property
    def max_eliminated(self) -> int:
        """Every query of tolerance τ ≥ √γ̄ rules out at most s_star − 1 concepts (certified)."""
        return self.s_star - 1


def _greedy_dense_family(absnum: np.ndarray, start: int, max_size: int):
    """Nested sets A_1 ⊂ A_2 ⊂ … (|A_k| = k ≤ max_size) grown greedily from `start`; returns sizes, the exact
    totals Σ_{S,T∈A_k} |num(S,T)| (Python ints) and the member order."""
    N = absnum.shape[0]
    in_set = np.zeros(N, dtype=bool)
    to_set = np.zeros(N, dtype=np.int64)  # Σ_{T ∈ A} |num(S, T)| for every S
    members, sizes, totals = [], [], []
    total = 0
    v = start
    for k in range(1, min(max_size, N) + 1):
        # adding v: total += 2·Σ_{T∈A}|num(v,T)| + |num(v,v)|
        total += 2 * int(to_set[v]) + int(absnum[v, v])
        in_set[v] = True
        members.append(v)
        to_set += absnum[:, v]
        sizes.append(k)
        totals.append(total)
        if k == min(max_size, N):
            break
        gain = 2 * to_set + np.diag(absnum)
        gain[in_set] = -1
        v = int(np.argmax(gain))
    return sizes, totals, members


def _sda_from_threshold(N: int, s: int):
    """Largest d with ⌈N/d⌉ ≥ s: ⌈N/(s−1)⌉ − 1 (∞ when s ≤ 1)."""
    if s <= 1:
        return math.inf
    return -(-N // (s - 1)) - 1


def sda(corr: CorrelationMatrix, gamma) -> SDAResult:
    """Statistical dimension with average correlation, decision-problem form SDA(B(C, D0), γ̄) of Feldman,
    Grigorescu, Reyzin, Vempala, Xiao (J. ACM 2017): the largest d such that every set A of ≥ N/d concepts
    has ρ(A) ≤ γ̄ (ρ with the diagonal; sources and what was verified: theory/lower_bounds.py). The
    search-problem form is `SDAResult.search_lower`.

    With s* = the least s such that every set of size ≥ s has ρ ≤ γ̄, SDA = ⌈N/(s*−1)⌉ − 1.
    s* is bracketed exactly:
      upper:  ρ(A) ≤ (1/s²)·(sum of the s largest values over S of top_s(S)), top_s(S) = sum of the s largest
              |χ(S, ·)| (Σ_{S∈A} Σ_{T∈A} |χ| ≤ Σ_{S∈A} top_s(S)); the least s beyond which this bound is ≤ γ̄
              is a certified s* (hence a certified lower bound on SDA);
      lower:  an explicit set (the s concepts most correlated with the row of largest top_s) with ρ > γ̄;
              its size is < s* (hence an upper bound on SDA).
    For the parity class both sides meet (ρ(A) = 1/|A|) and the value is exact.
    """
    g = _frac(gamma)
    absnum = np.abs(corr.num).astype(np.int64)
    N, den = corr.N, corr.den
    order = np.argsort(-absnum, axis=1, kind="stable")
    sorted_rows = np.take_along_axis(absnum, order, axis=1)
    top = np.cumsum(sorted_rows, axis=1)  # top[S, s−1] = top_s(S)
    U = np.empty(N, dtype=object)
    for s in range(1, N + 1):
        col = top[:, s - 1]
        U[s - 1] = int(np.partition(col, N - s)[N - s:].sum()) if s < N else int(col.sum())
    # ρ_up(s) ≤ γ̄  ⇔  U(s)·g.den ≤ g.num·s²·den (Python integers: exact)
    bad = [s for s in range(1, N + 1) if U[s - 1] * g.denominator > g.numerator * s * s * den]
    s_star = (max(bad) + 1) if bad else 1

    def witness(s):
        i = int(np.argmax(top[:, s - 1]))
        A = order[i, :s]
        return average_correlation(corr, A)

    # largest s < s_star with a witness ρ > γ̄: greedy nested sets (add the concept with the largest total
    # |χ| to the current set), started from the rows with the largest top_s, plus the neighbourhood family
    w_size, w_rho = 0, Fraction(0)
    if s_star > 1:
        starts = np.argsort(-top[:, min(s_star, N) - 1], kind="stable")[:4]
        for i0 in starts:
            size, total, members = _greedy_dense_family(absnum, int(i0), s_star - 1)
            ok = [k for k in range(len(size)) if total[k] * g.denominator > g.numerator * size[k] ** 2 * den]
            if ok:
                k = max(ok)
                if size[k] > w_size:
                    w_size, w_rho = size[k], average_correlation(corr, members[:size[k]])

        r = witness(s_star - 1)
        if r > g:
            w_size, w_rho = s_star - 1, r
        elif w_size < s_star - 1:
            lo, hi = w_size + 1, s_star - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                r = witness(mid)
                if r > g:
                    if mid > w_size:
                        w_size, w_rho = mid, r
                    lo = mid + 1
                else:
                    hi = mid - 1
    lower = _sda_from_threshold(N, s_star)
    upper = _sda_from_threshold(N, w_size + 1) if w_size >= 1 else math.inf
    if upper != math.inf and lower != math.inf and lower > upper:  # pragma: no cover - would be a bug
        raise ArithmeticError("SDA bounds crossed")
    return SDAResult(g, N, lower, upper, s_star, w_size, w_rho)


def max_offdiagonal_correlation(corr: CorrelationMatrix) -> Fraction:
    """max_{S ≠ T} |χ(S, T)| (exact; 0 for a single concept). Parities: 0 (claim lower.sq-dimension).

    Examples
    --------
    >>> max_offdiagonal_correlation(correlation_matrix("z2", 4))
    Fraction(0, 1)
    >>> max_offdiagonal_correlation(correlation_matrix("s3", 2))
    Fraction(2, 1)
    """
    off = np.abs(corr.num)
    if corr.N < 2:
        return Fraction(0)
    off = off.copy()
    np.fill_diagonal(off, 0)
    return Fraction(int(off.max()), corr.den)


def max_row_abs_sum(corr: CorrelationMatrix) -> Fraction:
    """R = max_S Σ_T |χ(S, T)| (exact); ρ(A) ≤ R/|A| for every A."""
    return Fraction(int(np.abs(corr.num).sum(axis=1).max()), corr.den)


def query_lower_bound(N: int, max_eliminated: int):
    """Deterministic exact-identification lower bound: ⌈(N − 1)/e⌉ queries when every query rules out ≤ e concepts."""
    if max_eliminated <= 0:
        return math.inf
    return -(-(N - 1) // max_eliminated)


def success_upper_bound(N: int, max_eliminated: int, queries: int) -> Fraction:
    """Best success probability of a deterministic learner after q queries, uniform target: min(1, (q·e + 1)/N)."""
    return min(Fraction(1), Fraction(queries * max_eliminated + 1, N))


@dataclass
class LowerBoundSummary:
    group: str
    m: int
    tau: Fraction
    gamma: Fraction
    N: int
    sq_dimension: Bounds
    sda: SDAResult
    query_bound: int | float
    max_row_sum: Fraction
    seconds: float


def lower_bound_summary(group, m: int, tau=Fraction(1, 4), labels=None) -> LowerBoundSummary:
    """Everything the `lower-bound` command prints: SQ-DIM, SDA(τ²) and the query bound for one (G, m, τ)."""
    import time

    t0 = time.perf_counter()
    group = get_group(group)
    m = check_m(m)
    tau = _frac(tau)
    if tau >= 1:
        raise MetacotError(f"tolerance tau must lie in (0, 1), got {tau}")
    corr = correlation_matrix(group, m, labels)
    sq = sq_dimension(corr)
    res = sda(corr, tau * tau)
    qb = query_lower_bound(corr.N, res.max_eliminated)
    return LowerBoundSummary(group.name, m, tau, tau * tau, corr.N, sq, res, qb, max_row_abs_sum(corr),
                             time.perf_counter() - t0)


# ---------------------------------------------------------------------------- learner simulation (claim L5)
@dataclass
class LearnerCurve:
    """Exact success fraction over all N targets, per query budget q (one seeded run of each learner)."""

    m: int
    tau: Fraction
    budgets: list
    sweep_success: list        # Fractions: correlational sweep learner through the adversarial oracle
    bound: list                # min(1, (q·e_max + 1)/N), the theorem of theory/lower_bounds.py
    e_max: int
    query_bound: int


def adversarial_answer(true_value: np.ndarray, reference_value, tau: Fraction, rng) -> np.ndarray:
    """STAT(τ) oracle of the lower-bound proof: answer the reference (D0) value whenever it is within τ of
    the truth, otherwise the truth perturbed by a seeded u ∈ {−7τ/8, …, 7τ/8} (always within tolerance)."""
    true_value = np.asarray(true_value, dtype=float)
    u = rng.integers(-7, 8, size=true_value.shape) * float(tau) / 8
    return np.where(np.abs(true_value - reference_value) <= float(tau), reference_value, true_value + u)


def simulate_learners(m: int, tau=Fraction(1, 4), budgets=None, seed: int = 0) -> LearnerCurve:
    """Parity class, STAT(τ) with τ < 1/2. The sweep learner asks the correlational queries
    φ_S(x, y) = (−1)^y (−1)^{χ_S(x)} (E_{D_T}[φ_S] = χ(S, T), read from the enumerated matrix; D0 value 0)
    in a seeded random order, outputs S at the first answer > 1/2, and otherwise guesses the next S in its
    order when the budget q is spent. Success is measured exactly over every target T."""
    m = check_m(m, 10)
    tau = _frac(tau)
    if not tau < Fraction(1, 2):
        raise MetacotError(f"the sweep learner needs tau < 1/2, got {tau}")
    corr = correlation_matrix("z2", m)
    N = corr.N
    res = sda(corr, tau * tau)
    rng = np.random.default_rng(seed)
    order = rng.permutation(N)
    budgets = sorted(set(int(b) for b in (budgets if budgets is not None else
                                          np.unique(np.linspace(0, N - 1, 9).astype(int)))))
    if any(b < 0 for b in budgets):
        raise MetacotError("budgets must be non-negative")
    found_at = np.full(N, N, dtype=np.int64)  # index in `order` at which target T is declared found
    for T in range(N):
        vals = corr.num[order, T] / corr.den
        ans = adversarial_answer(vals, 0.0, tau, rng)
        hits = np.flatnonzero(ans > 0.5)
        if len(hits):
            found_at[T] = hits[0]
            if order[hits[0]] != T:  # a wrong identification would show here
                found_at[T] = -1
    succ = []
    pos = np.empty(N, dtype=np.int64)
    pos[order] = np.arange(N)
    for q in budgets:
        ok = (found_at >= 0) & (found_at < q)
        if q < N:
            ok |= (np.arange(N) == order[q]) & (found_at >= q)  # the guess after q unsuccessful queries
        succ.append(Fraction(int(ok.sum()), N))
    bound = [success_upper_bound(N, res.max_eliminated, q) for q in budgets]
    return LearnerCurve(m, tau, budgets, succ, bound, res.max_eliminated,
                        query_lower_bound(N, res.max_eliminated))


# ---------------------------------------------------------------------------- access levels (claim F10)
def restrict(corr: CorrelationMatrix, concepts) -> CorrelationMatrix:
    """The correlation matrix of a subclass (the concepts listed, as m-bit integers, in that order)."""
    idx = np.asarray(list(concepts), dtype=np.int64)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= corr.N:
        raise MetacotError(f"concepts must be a non-empty list of indices in 0..{corr.N - 1}")
    return CorrelationMatrix(corr.group, corr.m, corr.labels, corr.num[np.ix_(idx, idx)], corr.den)


@dataclass
class AccessLevelDimensions:
    """SQ dimension and SDA of the concept classes a learner at one access level faces: the worst case over
    the views it may receive (the largest value over the induced classes), exact brackets."""

    level: str
    group: str
    m: int
    r: int
    gamma: Fraction
    n_views: int                 # number of distinct views (induced classes)
    largest_class: int
    sq_dimension: Bounds         # max over the classes, [max lower, max upper]
    sda: Bounds                  # max over the classes of the decision-form SDA(γ̄), [max lower, max upper]


def access_level_dimensions(m: int, level, gamma, r: int = 1, group="z2",
                            view_radius: int | None = None) -> AccessLevelDimensions:
    """SQ-DIM and SDA(γ̄) of the induced concept classes at an access level (claim lower.access-levels).

    The classes are :func:`metacot.numerics.lower_bounds.logical.induced_classes` (concepts grouped by the view
    of the direct path); each is measured with the exact correlations of the full class restricted to it
    (:func:`sq_dimension`, :func:`sda`). The level's value is the largest over its classes: a learner must
    succeed whatever view it receives.

    Examples
    --------
    >>> d = access_level_dimensions(4, "local", Fraction(1, 4))
    >>> d.n_views, d.sq_dimension.lower, d.sda.lower
    (1, 16, 5)
    >>> g = access_level_dimensions(4, "global", Fraction(1, 4))
    >>> g.n_views, g.sq_dimension.lower, g.sda.lower
    (16, 1, 0)
    """
    return access_levels_dimensions(m, [level], gamma, r, group, view_radius)[0]


def access_levels_dimensions(m: int, levels, gamma, r: int = 1, group="z2",
                             view_radius: int | None = None) -> list:
    """:func:`access_level_dimensions` for several levels (the concepts' tasks are built once); a level may be a
    pair (level, view radius)."""
    from metacot.numerics.lower_bounds.logical import AccessLevel, induced_classes_by_level

    g = _frac(gamma)
    by_level = induced_classes_by_level(m, levels, r, group, view_radius)
    corr = correlation_matrix(group, m)
    out = []
    for lv in levels:
        key = (AccessLevel(lv[0]).value, lv[1]) if isinstance(lv, tuple) else AccessLevel(lv).value
        classes = by_level[key]
        sq_lo = sq_hi = sda_lo = sda_hi = 0
        for cls in classes:
            sub = restrict(corr, cls)
            b = sq_dimension(sub)
            res = sda(sub, g)
            sq_lo, sq_hi = max(sq_lo, b.lower), max(sq_hi, b.upper)
            sda_lo, sda_hi = max(sda_lo, res.lower), max(sda_hi, res.upper)
        out.append(AccessLevelDimensions(key if isinstance(key, str) else key[0], get_group(group).name, m, r, g,
                                         len(classes), max(len(c) for c in classes), Bounds(sq_lo, sq_hi),
                                         Bounds(sda_lo, sda_hi)))
    return out
