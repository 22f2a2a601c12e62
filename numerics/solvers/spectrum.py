"""Eigenvalues of P(ε) nearest 1, implied timescales, quasi-stationary exit rates (spec 08 F4).

For a metastable chain with K clusters the K eigenvalues of P(ε) nearest 1 are
λ_j = 1 − ε·ν_j + O(ε²), ν_j the eigenvalues of −L (L the meta-chain generator); the implied timescale
of λ_j is t_j = −1/log|λ_j| steps (∞ for |λ_j| = 1), ≈ 1/(ε Re ν_j). Restricted to one cluster C_k,
P(ε)|C_k is substochastic; its Perron root ρ_k (the quasi-stationary exit eigenvalue) is
1 − ε·λ_k + O(ε²), λ_k the meta-chain escape rate.

Every routine works with the generator G = P(ε) − I whose diagonal is rebuilt from off-diagonal exit
mass, G(x, x) = −Σ_{y≠x} P(x, y), and reports the gaps 1 − λ_j = −μ_j (μ_j eigenvalues of G), so a gap
of size ε is never formed as a difference of numbers near 1.

Methods. "mp": ``mpmath.eig`` on the dense matrix at dps + ⌈log10(1/ε)⌉ + 10 digits, run twice (10
more digits the second time); the reported error of each eigenvalue is the change between the runs.
Pure Python, O(n³): about 4 s for n = 30 and 26 s for n = 60 per run (measured), so n ≤ MP_EIG_MAX_N = 100.
"certified": python-flint ``acb_mat.eig`` (rigorous complex balls; C, about 9 s for n = 120 measured,
n ≤ CERTIFIED_EIG_MAX_N = 300): the high-precision route for a few hundred states; an
eigenvalue of multiplicity > 1 near 1 (e.g. a defective one) cannot be isolated and raises PrecisionError.
"float": scipy (LAPACK ``geev`` on G for n ≤ DENSE_EIG_MAX_N, ARPACK beyond); the error estimate is
κ_j·n·2.2e-16·‖G‖_F with κ_j the eigenvalue condition number (left and right eigenvectors), so the gap
1 − λ_j has relative error about that divided by |1 − λ_j| — float is not the method for ε ≲ 1e-10.
The quasi-stationary exit rate is instead computed subtraction-free (inverse iteration whose every
step is a GTH stationary law), keeping full relative precision in float at any ε.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from metacot.numerics.errors import LimitError, MetacotError, PrecisionError
from metacot.numerics.numbers import Interval, to_mpf

METHODS = ("mp", "float", "certified")
DENSE_EIG_MAX_N = 1500       # float: dense LAPACK up to this size, ARPACK (sparse) beyond
MP_EIG_MAX_N = 100           # mp: mpmath.eig is pure Python (≈ 30 s per run at n = 60, two runs)
CERTIFIED_EIG_MAX_N = 300    # certified: arb acb_mat.eig ≈ 10 s at n = 120, O(n³)
CHARPOLY_MAX_N = 60          # exact characteristic polynomials (coefficient sizes grow fast)
CERTIFIED_MAX_PREC = 4096    # bits (the precision rises ×4 per attempt up to this cap)


@dataclass(frozen=True)
class ComplexInterval:
    """A rigorous enclosure re + i·im of a complex number (rung *certified*): two Intervals."""

    re: Interval
    im: Interval

    def __contains__(self, z) -> bool:
        z = complex(z) if not isinstance(z, (int, Fraction)) else z
        if isinstance(z, (int, Fraction)):
            return z in self.re and 0 in self.im
        return Fraction(z.real) in self.re and Fraction(z.imag) in self.im


@dataclass(frozen=True)
class Spectrum:
    """The eigenvalues of P(ε) nearest 1, with gaps, implied timescales and error estimates.

    Attributes
    ----------
    eigenvalues : list
        λ_j, ordered by |1 − λ_j| (mpc for mp, complex for float, ComplexInterval for certified).
    gaps : list
        1 − λ_j, computed as −μ_j (μ_j eigenvalues of G = P − I), same types.
    timescales : list
        t_j = −1/log|λ_j| in steps (mpf, float or Interval); inf when |λ_j| = 1, and for mp/float also
        when |1 − λ_j| is within its error estimate (λ_j indistinguishable from the eigenvalue 1).
    errors : list
        Estimated absolute error of each λ_j (mp: change between two precisions; float: condition
        number × n × 2.2e-16 × ‖G‖_F; certified: None, the enclosure is the statement).
    method : str
    """

    eigenvalues: list
    gaps: list
    timescales: list
    errors: list
    method: str


@dataclass(frozen=True)
class QuasiStationaryExit:
    """Perron root ρ of P(ε)|C (the quasi-stationary exit eigenvalue) and its quasi-stationary law.

    Attributes
    ----------
    exit_rate : mpf or float
        1 − ρ = Σ_x φ(x) e(x), e(x) = P(x, outside C) (per step).
    eigenvalue : mpf or float
        ρ = 1 − exit_rate.
    law : list or ndarray
        φ, the left Perron vector normalised to Σ φ = 1 (quasi-stationary distribution), in C's order.
    timescale : mpf or float
        −1/log ρ (steps): the mean exit time from the quasi-stationary law is 1/(1 − ρ).
    iterations : int
    method : str
    """

    exit_rate: object
    eigenvalue: object
    law: object
    timescale: object
    iterations: int
    method: str


# ----------------------------------------------------------------------------- inputs
def _count(chain, count):
    if count is None:
        try:
            count = chain.K
        except MetacotError:
            count = 1
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise MetacotError(f"count must be a positive integer, got {count!r}")
    return min(int(count), chain.n)


def _generator_rows(chain, eps, method: str):
    """Off-diagonal rows of P(ε) over the method's field (Fraction for exact chains at rational ε, else mpf/float)."""
    from metacot.numerics.solvers.stationary import _kernel_field_rows

    if method == "float":
        P = chain.offdiag_kernel(eps)
        return [dict(zip(P.indices[P.indptr[i]:P.indptr[i + 1]].tolist(), P.data[P.indptr[i]:P.indptr[i + 1]].tolist()))
                for i in range(chain.n)]
    if method == "exact":
        rows = _kernel_field_rows(chain, eps, "exact")
    else:
        rows = _kernel_field_rows(chain, eps, "mp")
    return [{j: v for j, v in r.items() if j != i} for i, r in enumerate(rows)]


def _exact_rows(chain, eps) -> list[dict[int, Fraction]]:
    """Off-diagonal rows of P(ε) exactly in rationals (floats at their binary values)."""
    from metacot.numerics.numbers import exact_value
    from metacot.numerics.solvers.stationary import exact_offdiag_rows

    return exact_offdiag_rows(chain, chain.check_eps(eps, allow_zero=True))


def _log10_inv(eps) -> int:
    if not eps:
        return 0
    e = Fraction(eps) if not isinstance(eps, mpmath.mpf) else eps
    return max(0, int(math.ceil(-float(mpmath.log10(to_mpf(e)
                                                      if isinstance(e, Fraction) else e)))))


def _timescale_mp(mu):
    """t = −1/log|1 + μ| = −2/log1p(2 Re μ + |μ|²) (inf when |1 + μ| ≥ 1)."""
    s = 2 * mpmath.re(mu) + abs(mu) ** 2
    if s >= 0:
        return mpmath.inf
    return -2 / mpmath.log1p(s)


def implied_timescale(eigenvalue):
    """t = −1/log|λ| in steps: the e-folding time of the mode λ (inf for |λ| ≥ 1).

    Parameters
    ----------
    eigenvalue : number
        λ (float, complex, mpf or mpc). For λ within 1e-8 of 1 pass the gap to
        :func:`eigenvalues_near_one` instead: ``Spectrum.timescales`` is computed from 1 − λ.

    Returns
    -------
    float or mpf

    Examples
    --------
    >>> round(implied_timescale(0.5), 6)
    1.442695
    >>> implied_timescale(1.0)
    inf
    """
    if isinstance(eigenvalue, (mpmath.mpf, mpmath.mpc)):
        return _timescale_mp(mpmath.mpc(eigenvalue) - 1)
    a = abs(complex(eigenvalue))
    return math.inf if a >= 1 else -1.0 / math.log(a)


# ----------------------------------------------------------------------------- eigenvalues near 1
def eigenvalues_near_one(chain, eps, count=None, method: str = "mp", *, dps: int = 50,
                         states=None) -> Spectrum:
    """The `count` eigenvalues of P(ε) nearest 1 (by |1 − λ|), their gaps and implied timescales.

    Parameters
    ----------
    chain : Chain
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    count : int, optional
        How many eigenvalues (default: the number of clusters K).
    method : {"mp", "float", "certified"}
        See the module docstring (accuracy and cost of each).
    dps : int
        Target decimal digits of the gaps 1 − λ_j for "mp" and "certified".
    states : iterable of int, optional
        Restrict P(ε) to these states (a substochastic block; e.g. one cluster).

    Returns
    -------
    Spectrum

    Raises
    ------
    MetacotError
        Unknown method, bad count, or a chain too large for "mp" (use "certified" or "float").

    Examples
    --------
    A 2-state chain P(0, 1) = ε, P(1, 0) = ε/2 has eigenvalues 1 and 1 − 3ε/2:

    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])
    >>> s = eigenvalues_near_one(c, "1e-30", 2)
    >>> mpmath.nstr(s.gaps[1].real, 20)
    '1.5e-30'
    >>> mpmath.nstr(s.timescales[1], 15)
    '6.66666666666667e+29'
    """
    if method not in METHODS:
        raise MetacotError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    eps = chain.check_eps(eps, allow_zero=True)
    k = _count(chain, count)
    idx = list(range(chain.n)) if states is None else sorted(_states(chain, states))
    k = min(k, len(idx))
    if method == "certified":
        if len(idx) > CERTIFIED_EIG_MAX_N:
            raise LimitError(f"method 'certified' (arb acb_mat.eig, O(n³), ≈ 10 s at n = 120) is limited to "
                             f"{CERTIFIED_EIG_MAX_N} states, got {len(idx)}; use method 'float'")
        return _certified_eigs(chain, eps, k, dps, idx)
    if method == "float":
        return _float_eigs(chain, eps, k, idx)
    if len(idx) > MP_EIG_MAX_N:
        raise LimitError(f"method 'mp' (mpmath.eig, pure Python, ≈ 30 s per run at n = 60) is limited to {MP_EIG_MAX_N} states, "
                           f"got {len(idx)}; use method 'certified' (arb, faster) or 'float'")
    work = dps + _log10_inv(eps) + 10
    a = _mp_eigs(chain, eps, idx, work)
    b = _mp_eigs(chain, eps, idx, work + 10)
    with mpmath.workdps(work + 10):
        order = sorted(range(len(b)), key=lambda i: abs(b[i]))[:k]
        mus = [b[i] for i in order]
        errs = []
        for mu in mus:
            errs.append(min(abs(mu - m) for m in a))
        lam = [1 + mu for mu in mus]
        gaps = [-mu for mu in mus]
        # |1 − λ| within its error estimate: λ is indistinguishable from 1 (the stationary eigenvalue): t = ∞
        ts = [mpmath.inf if abs(mu) <= err else _timescale_mp(mu) for mu, err in zip(mus, errs)]
    # values are kept at the working precision (rounding them to dps digits would add |1 − λ|·10^−dps)
    return Spectrum(lam, gaps, ts, errs, "mp")


def _states(chain, states):
    from metacot.numerics.solvers.committor import _state_set

    s = _state_set(chain, states, "states")
    if not s:
        raise MetacotError("the state set is empty")
    return s


def _mp_eigs(chain, eps, idx, dps):
    with mpmath.workdps(dps):
        rows = _generator_rows(chain, eps, "mp")
        pos = {x: i for i, x in enumerate(idx)}
        m = len(idx)
        G = mpmath.matrix(m, m)
        for x in idx:
            i = pos[x]
            out = mpmath.mpf(0)
            for y, v in rows[x].items():
                out += v
                if y in pos:
                    G[i, pos[y]] = v
            G[i, i] = -out
        if m == 1:
            return [G[0, 0]]
        E = mpmath.eig(G, left=False, right=False)
        return list(E)


def _dense_generator_float(chain, eps, idx):
    P = chain.offdiag_kernel(eps)
    exit_mass = np.asarray(P.sum(axis=1)).ravel()[idx]
    G = P[idx][:, idx].toarray()
    np.fill_diagonal(G, -exit_mass)
    return G


def _float_eigs(chain, eps, k, idx):
    import scipy.linalg as la

    m = len(idx)
    u = np.finfo(float).eps / 2
    if m <= DENSE_EIG_MAX_N:
        G = _dense_generator_float(chain, eps, idx)
        w, vl, vr = la.eig(G, left=True, right=True)
        order = np.argsort(np.abs(w), kind="stable")[:k]
        normG = np.linalg.norm(G)
        errs = []
        for i in order:
            y, x = vl[:, i], vr[:, i]
            denom = abs(np.vdot(y, x))
            kappa = np.linalg.norm(y) * np.linalg.norm(x) / denom if denom > 0 else math.inf
            errs.append(float(kappa * m * 2 * u * normG))
        mus = w[order]
    else:
        import scipy.sparse as sp
        from scipy.sparse.linalg import eigs

        P = chain.offdiag_kernel(eps)
        sub = sp.csr_matrix(P[idx][:, idx])
        ex = np.asarray(P.sum(axis=1)).ravel()[idx]
        G = sp.csr_matrix(sub - sp.diags(ex))
        nev = min(m - 2, k + 4)
        w, v = eigs(G, k=nev, which="LR", tol=0)
        order = np.argsort(np.abs(w), kind="stable")[:k]
        mus = w[order]
        normG = sp.linalg.norm(G)
        errs = [float(np.linalg.norm(G @ v[:, i] - w[i] * v[:, i]) / np.linalg.norm(v[:, i]) + m * 2 * u * normG)
                for i in order]
    lam = [complex(1 + mu) for mu in mus]
    gaps = [complex(-mu) for mu in mus]
    ts = []
    for mu, err in zip(mus, errs):
        s = 2 * mu.real + abs(mu) ** 2
        ts.append(math.inf if (s >= 0 or abs(mu) <= err) else -2.0 / math.log1p(s))
    return Spectrum(lam, gaps, ts, errs, "float")


def _ball_to_interval(b) -> Interval:
    """The exact rational endpoints [mid − rad, mid + rad] of a finite arb ball."""
    if not b.is_finite():
        raise PrecisionError("an eigenvalue enclosure is not finite (raise the precision)")

    def frac(x):
        man, exp = x.man_exp()
        man, exp = int(man), int(exp)
        return Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)

    mid, rad = frac(b.mid()), frac(b.rad())
    return Interval(mid - rad, mid + rad)


def _certified_eigs(chain, eps, k, dps, idx):
    """acb_mat.eig on G = P − I (exact rational entries) at rising precision until every one of the k
    enclosures nearest 0 has width ≤ 10^−dps·max(|μ|, 10^−L), L = ⌈log10(1/ε)⌉."""
    from flint import acb, acb_mat, arb, ctx, fmpq

    rows = _exact_rows(chain, eps)
    pos = {x: i for i, x in enumerate(idx)}
    m = len(idx)
    entries = [[Fraction(0)] * m for _ in range(m)]
    for x in idx:
        i = pos[x]
        out = Fraction(0)
        for y, v in rows[x].items():
            out += v
            if y in pos:
                entries[i][pos[y]] = v
        entries[i][i] = -out
    L = _log10_inv(eps)
    floor = Fraction(1, 10 ** L)
    thr = Fraction(1, 10 ** dps)
    bits = int(3.33 * (dps + L)) + 64
    while True:
        with ctx.workprec(bits):
            G = acb_mat(m, m, [fmpq(v.numerator, v.denominator) for r in entries for v in r])
            E = None
            for multiple in (False, True):
                try:
                    E = G.eig(multiple=multiple)
                    break
                except ValueError:
                    continue
            if E is not None and all(z.real.is_finite() and z.imag.is_finite() for z in E):
                boxes = [(_ball_to_interval(z.real), _ball_to_interval(z.imag)) for z in E]
                order = sorted(range(m), key=lambda i: boxes[i][0].mid ** 2 + boxes[i][1].mid ** 2)[:k]

                def fine(i):
                    re, im = boxes[i]
                    scale = max(abs(re.mid) + abs(im.mid), floor)
                    return max(re.width(), im.width()) <= thr * scale

                if all(fine(i) for i in order):
                    lam, gaps, ts = [], [], []
                    for i in order:
                        z = E[i]
                        lz = acb(1) + z
                        lam.append(ComplexInterval(_ball_to_interval(lz.real), _ball_to_interval(lz.imag)))
                        g = -z
                        gaps.append(ComplexInterval(_ball_to_interval(g.real), _ball_to_interval(g.imag)))
                        s = 2 * z.real + z.real * z.real + z.imag * z.imag   # |1 + μ|² − 1
                        if z.contains(0) or not (s < 0):
                            # a ball around 0: the eigenvalue 1 of the stochastic P (|λ| = 1, t = ∞)
                            ts.append(math.inf)
                        else:
                            t = arb(-2) / s.log1p()
                            ts.append(_ball_to_interval(t) if t.is_finite() else math.inf)
                    return Spectrum(lam, gaps, ts, [None] * len(order), "certified")
        if bits >= CERTIFIED_MAX_PREC:
            raise PrecisionError(f"certified eigenvalues: could not isolate and enclose the {k} eigenvalues nearest 1 "
                                 f"to relative width 1e-{dps} at {bits} bits (a multiple or defective eigenvalue "
                                 "cannot be isolated); lower dps or use method 'mp'")
        bits = min(4 * bits, CERTIFIED_MAX_PREC)


# ----------------------------------------------------------------------------- the meta-chain prediction
def meta_eigenvalues(chain, *, dps: int = 50) -> list:
    """ν_j, the eigenvalues of −L (L the meta-chain generator, spec 00), ordered by |ν_j| (mpc).

    mpmath.eig at dps + 10 digits; real and imaginary parts below 10^−dps·max|ν| are set to 0.

    Spec 08 F4: the K eigenvalues of P(ε) nearest 1 are 1 − ε·ν_j + O(ε²), and their implied timescales
    ≈ 1/(ε Re ν_j) steps.

    Parameters
    ----------
    chain : Chain
        A chain with clusters (the meta-chain of spec 00 needs them).
    dps : int
        Decimal digits.

    Returns
    -------
    list of mpc
        K values, the first 0 (L is a generator).

    Raises
    ------
    LimitError
        The block laws π_k behind L are beyond their cost limit
        (:func:`~metacot.numerics.solvers.meta_chain.cluster_stationary_laws`).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> [mpmath.nstr(v.real, 10) for v in meta_eigenvalues(ring(2, 2, 1))]
    ['0.0', '1.0']
    """
    from metacot.numerics.solvers.meta_chain import meta_generator

    L = meta_generator(chain)
    K = len(L)
    with mpmath.workdps(dps + 10):
        M = mpmath.matrix(K, K)
        for a in range(K):
            for b in range(K):
                v = L[a][b]
                M[a, b] = -to_mpf(v)
        E = [M[0, 0]] if K == 1 else list(mpmath.eig(M, left=False, right=False))
        # rounding noise of eig (≈ 10^−(dps+10)·‖L‖) is set to 0: −L always has the eigenvalue 0 exactly
        tiny = mpmath.mpf(10) ** (-dps) * max([abs(z) for z in E] + [mpmath.mpf(1)])
        E = [mpmath.mpc(0 if abs(z.real) < tiny else z.real, 0 if abs(z.imag) < tiny else z.imag)
             for z in (mpmath.mpc(z) for z in E)]
        E.sort(key=lambda z: abs(z))
    with mpmath.workdps(dps):
        return [mpmath.mpc(z) for z in E]


def meta_prediction(chain, eps, count=None, *, dps: int = 50) -> list:
    """1 − ε·ν_j for the `count` meta eigenvalues ν_j of smallest modulus: the F4 prediction of the
    eigenvalues of P(ε) nearest 1.

    Parameters
    ----------
    chain : Chain
    eps : Fraction, int, str, float
    count : int, optional
        Default: all K.
    dps : int

    Returns
    -------
    list of mpc

    Raises
    ------
    EpsilonError
        ε outside [0, eps_max].

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> [mpmath.nstr(v.real, 10) for v in meta_prediction(ring(2, 2, 1), "1/1000")]
    ['1.0', '0.999']
    """
    e = chain.check_eps(eps, allow_zero=True)
    nus = meta_eigenvalues(chain, dps=dps)
    k = len(nus) if count is None else min(int(count), len(nus))
    with mpmath.workdps(dps):
        em = to_mpf(e)
        return [1 - em * nu for nu in nus[:k]]


# ----------------------------------------------------------------------------- quasi-stationary exit
def quasi_stationary_exit(chain, cluster, eps, method: str = "mp", *, dps: int = 50, max_iter: int = 10000,
                          states=None) -> QuasiStationaryExit:
    """The quasi-stationary exit eigenvalue ρ of cluster C (Perron root of P(ε)|C) and its law.

    φ_{t+1} = stationary law of the stochastic matrix P(ε)|C + e·φ_t (the chain restarted from φ_t on
    leaving C), computed by GTH; since π(I − P|C) = (π·e) φ_t this is inverse power iteration
    φ_{t+1} ∝ φ_t (I − P|C)⁻¹, converging to the left Perron vector φ at rate
    (1 − ρ)/min_{μ≠ρ}|1 − μ| (≈ ε/gap for a metastable cluster: a few steps). Then
    1 − ρ = Σ_x φ(x) e(x) with e(x) = P(x, outside C). Every step adds and multiplies non-negative
    numbers, so 1 − ρ keeps full relative precision at any ε, in float too. Spec 08 F4: for a cluster
    C_k of a metastable chain, 1 − ρ_k = ε·λ_k + O(ε²).

    Parameters
    ----------
    chain : Chain
    cluster : int or None
        Cluster index k (states C_k); None to use `states`.
    eps : Fraction, int, str, float
    method : {"mp", "float"}
    dps : int
        Digits for "mp" (the iteration stops at relative change 10^−(dps−5)).
    max_iter : int
    states : iterable of int, optional
        An explicit state set instead of a cluster.

    Returns
    -------
    QuasiStationaryExit

    Raises
    ------
    MetacotError
        Unknown cluster/method, or no convergence within max_iter steps.

    Examples
    --------
    ring(2, 2, q = 1): cluster 0 = {0, 1} with P0 = 1/2 everywhere and one edge of weight 1 from
    state 0; λ_0 = π_0(0)·q = 1/2, so 1 − ρ ≈ ε/2.

    >>> from metacot.numerics.families import ring
    >>> r = quasi_stationary_exit(ring(2, 2, 1), 0, "1e-20")
    >>> mpmath.nstr(r.exit_rate, 12)
    '5.0e-21'
    >>> r2 = quasi_stationary_exit(ring(2, 2, 1).to_float(), 0, 1e-200, "float")
    >>> abs(r2.exit_rate / 5e-201 - 1) < 1e-14
    True
    """
    from metacot.numerics.solvers.stationary import stationary_distribution

    if method not in ("mp", "float"):
        raise MetacotError(f"unknown method {method!r} for the quasi-stationary exit (choose from mp, float)")
    eps = chain.check_eps(eps, allow_zero=True)
    if states is not None:
        C = sorted(_states(chain, states))
    else:
        K = chain.K
        if isinstance(cluster, bool) or not isinstance(cluster, (int, np.integer)) or not 0 <= cluster < K:
            raise MetacotError(f"unknown cluster {cluster!r} (clusters are 0..{K - 1})")
        C = list(chain.clusters[int(cluster)])
    pos = {x: i for i, x in enumerate(C)}
    m = len(C)
    if method == "float":
        rows = _generator_rows(chain, eps, "float")
        inner = np.zeros((m, m))
        e = np.zeros(m)
        for x in C:
            for y, v in rows[x].items():
                if y in pos:
                    inner[pos[x], pos[y]] = v
                else:
                    e[pos[x]] += v
        tol = 64 * m * np.finfo(float).eps
        if not e.any():
            phi = stationary_distribution(inner)
            return QuasiStationaryExit(0.0, 1.0, phi, math.inf, 0, "float")
        phi = np.full(m, 1.0 / m)
        for it in range(1, max_iter + 1):
            new = stationary_distribution(inner + np.outer(e, phi))
            change = np.max(np.abs(new - phi) / np.where(new > 0, new, 1.0))
            phi = new
            if change <= tol:
                rate = math.fsum(phi * e)
                rho = 1.0 - rate
                t = -1.0 / math.log1p(-rate) if rate < 1 else 0.0
                return QuasiStationaryExit(rate, rho, phi, t, it, "float")
        raise MetacotError(f"quasi-stationary iteration did not converge in {max_iter} steps "
                           "(the cluster's Perron root is poorly separated); raise max_iter or use eigenvalues_near_one")
    with mpmath.workdps(dps + 10):
        rows = _generator_rows(chain, eps, "mp")
        zero = mpmath.mpf(0)
        inner = [[zero] * m for _ in range(m)]
        e = [zero] * m
        for x in C:
            for y, v in rows[x].items():
                if y in pos:
                    inner[pos[x]][pos[y]] = v
                else:
                    e[pos[x]] += v
        tol = mpmath.mpf(10) ** (-(dps - 5))
        if all(v == 0 for v in e):
            phi = stationary_distribution(inner)
            return QuasiStationaryExit(zero, mpmath.mpf(1), phi, mpmath.inf, 0, "mp")
        phi = [mpmath.mpf(1) / m] * m
        for it in range(1, max_iter + 1):
            M = [[inner[i][j] + e[i] * phi[j] for j in range(m)] for i in range(m)]
            new = stationary_distribution(M)
            change = max(abs(a - b) / (a if a > 0 else 1) for a, b in zip(new, phi))
            phi = new
            if change <= tol:
                rate = mpmath.fsum(p * v for p, v in zip(phi, e))
                rho = 1 - rate
                t = -1 / mpmath.log1p(-rate) if rate < 1 else mpmath.mpf(0)
                with mpmath.workdps(dps):
                    return QuasiStationaryExit(+rate, +rho, [+p for p in phi], +t, it, "mp")
        raise MetacotError(f"quasi-stationary iteration did not converge in {max_iter} steps "
                           "(the cluster's Perron root is poorly separated); raise max_iter or use eigenvalues_near_one")


# ----------------------------------------------------------------------------- exact characteristic polynomials
def characteristic_polynomial(chain, eps=None, *, states=None):
    """det(λI − P(ε)) exactly: at one rational ε, or as a polynomial in (λ, ε).

    Parameters
    ----------
    chain : Chain
        Exact chain (floats are taken at their binary values when ε is given).
    eps : Fraction, int or str, optional
        A rational ε: coefficients in λ. None: the bivariate polynomial, from exact charpolys at
        ε = 0, 1, …, m and exact interpolation in ε (each entry is affine in ε, so the degree in ε is ≤ m).
    states : iterable of int, optional
        Restrict P(ε) to these states (e.g. one cluster: the quasi-stationary exit eigenvalue is the
        root nearest 1).

    Returns
    -------
    list of Fraction (lowest degree first: Σ c_k λ^k) when ε is given; a sympy Poly in
    (lambda, epsilon) over QQ otherwise.

    Raises
    ------
    MetacotError
        More than CHARPOLY_MAX_N states, or ε None for a float chain.

    Examples
    --------
    >>> from metacot.numerics.chain import Chain
    >>> c = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])
    >>> characteristic_polynomial(c, "1/10")
    [Fraction(17, 20), Fraction(-37, 20), Fraction(1, 1)]
    >>> characteristic_polynomial(c).as_expr()
    3*epsilon*lambda/2 - 3*epsilon/2 + lambda**2 - 2*lambda + 1
    """
    from flint import fmpq, fmpq_mat

    idx = list(range(chain.n)) if states is None else sorted(_states(chain, states))
    m = len(idx)
    if m > CHARPOLY_MAX_N:
        raise LimitError(f"exact characteristic polynomials are limited to {CHARPOLY_MAX_N} states, got {m}; "
                         "restrict to a block with states=")
    pos = {x: i for i, x in enumerate(idx)}

    def charpoly_at(e: Fraction) -> list[Fraction]:
        r0, r1 = chain.row_dicts(0), chain.row_dicts(1)
        A = [[Fraction(0)] * m for _ in range(m)]
        for x in idx:
            for y, v in r0[x].items():
                if y in pos:
                    A[pos[x]][pos[y]] += Fraction(v)
            if e:
                for y, v in r1[x].items():
                    if y in pos:
                        A[pos[x]][pos[y]] += e * Fraction(v)
        M = fmpq_mat(m, m, [fmpq(v.numerator, v.denominator) for r in A for v in r])
        cs = M.charpoly().coeffs()
        return [Fraction(int(c.p), int(c.q)) for c in cs] + [Fraction(0)] * (m + 1 - len(cs))

    if eps is not None:
        from metacot.numerics.numbers import exact_value

        return charpoly_at(exact_value(chain.check_eps(eps, allow_zero=True)))
    if not chain.exact:
        raise MetacotError("the bivariate characteristic polynomial needs an exact chain; pass a rational eps")
    import sympy

    pts = list(range(m + 1))
    vals = [charpoly_at(Fraction(p)) for p in pts]
    V = fmpq_mat(m + 1, m + 1, [fmpq(p ** j) for p in pts for j in range(m + 1)])
    Y = fmpq_mat(m + 1, m + 1, [fmpq(vals[i][k].numerator, vals[i][k].denominator)
                                for i in range(m + 1) for k in range(m + 1)])
    Cmat = V.solve(Y)      # Cmat[j, k] = coefficient of ε^j λ^k
    lam, e = sympy.symbols("lambda epsilon")
    terms = {}
    for j in range(m + 1):
        for k in range(m + 1):
            c = Cmat[j, k]
            if c != 0:
                terms[(k, j)] = sympy.Rational(int(c.p), int(c.q))
    return sympy.Poly.from_dict(terms, lam, e, domain=sympy.QQ)
