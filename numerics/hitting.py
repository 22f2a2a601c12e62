"""Expected hitting times E_x[τ_y] of P(ε) = P0 + ε·P1 (spec 01, 06).

One entry point, `expected_hitting_times(chain, target, eps, method=...)`, with methods
  exact   – Fractions, exact rational answer (exact chain, rational ε);
  mp      – mpmath at `dps` digits (default 50), for ε down to 1e-30 and below;
  float   – float64 subtraction-free state reduction (relative error ~1e-13 at any ε);
  auto    – exact for exact chains with rational ε and n ≤ 400, float otherwise.
`hitting_laurent` gives E_x[τ_y](ε) as an exact rational function of ε and its Laurent
coefficients at ε = 0 (claim hitting.leading-order).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from .chain import Chain
from .errors import ChainError, MetacotError, UnreachableTargetError
from .linalg import almost_sure_states, hitting_reduction, hitting_reduction_dense
from .numbers import format_number

METHODS = ("auto", "exact", "laurent", "mp", "float")
EXACT_AUTO_MAX_N = 400
DENSE_FLOAT_MAX_N = 3000


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
    """E_x[τ_target] for every state x at P(ε); τ = inf{t ≥ 0 : X_t ∈ target}.

    Returns a list (exact: Fraction, mp: mpf) or a float ndarray; 0 on the target, inf where the
    target is not hit almost surely. Claims: hitting.* (spec 01).
    """
    if method not in METHODS:
        raise MetacotError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    targets = _targets(chain, target)
    eps = chain.check_eps(eps, allow_zero=True)
    if method == "auto":
        method = "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N) else "float"
    if method in ("exact", "laurent"):
        if not chain.exact:
            raise MetacotError("method 'exact' needs an exact chain (rational entries); use 'mp' or 'float'")
        if not isinstance(eps, Fraction):
            raise MetacotError("method 'exact' needs a rational eps")
        if method == "laurent":
            f = hitting_laurent(chain, target)
            return [g.evaluate(eps) for g in f]
        rows = chain.kernel_exact(eps)
        zero, one, inf = Fraction(0), Fraction(1), math.inf
    elif method == "mp":
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
    e = mpf(eps.numerator) / eps.denominator if isinstance(eps, Fraction) else mpf(eps)
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)

    def conv(v):
        return mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else mpf(v)

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


def _float_hitting(chain, targets, eps):
    P = chain.offdiag_kernel(eps)
    n = chain.n
    adj = [P.indices[P.indptr[i]:P.indptr[i + 1]].tolist() for i in range(n)]
    ok = almost_sure_states(adj, targets)
    unknown = np.array([x for x in range(n) if ok[x] and x not in targets], dtype=np.int64)
    out = np.full(n, np.inf)
    out[list(targets)] = 0.0
    if unknown.size == 0:
        return out
    tmask = np.zeros(n, dtype=bool)
    tmask[list(targets)] = True
    t = np.asarray(P[:, np.flatnonzero(tmask)].sum(axis=1)).ravel()[unknown]
    sub = P[unknown][:, unknown]
    if unknown.size <= DENSE_FLOAT_MAX_N:
        h = hitting_reduction_dense(sub.toarray(), t, np.ones(unknown.size))
    else:
        sub = sub.tocsr()
        rows = [dict(zip(sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tolist(),
                         sub.data[sub.indptr[i]:sub.indptr[i + 1]].tolist())) for i in range(unknown.size)]
        order = _cluster_order(chain, unknown.tolist())
        h = np.array(hitting_reduction(rows, t.tolist(), [1.0] * unknown.size, order=order))
    out[unknown] = h
    return out


def hitting_time(chain: Chain, start, target, eps, method: str = "auto", *, dps: int = 50):
    """E_start[τ_target] as one number; raises UnreachableTargetError if it is infinite."""
    x = _check_state(chain, start)
    h = expected_hitting_times(chain, target, eps, method, dps=dps)
    v = h[x]
    if v == math.inf or (isinstance(v, mpmath.mpf) and mpmath.isinf(v)):
        raise UnreachableTargetError(
            f"target {format_number(target) if isinstance(target, int) else target} is not reached almost surely "
            f"from state {x} at eps = {format_number(eps)}: E[tau] is infinite")
    return v


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

    Exact state reduction over the field QQ(ε). Reachability uses the generic support of P(ε),
    0 < ε < eps_max. Used by hitting.leading-order (spec 01 H1).
    """
    if not chain.exact:
        raise MetacotError("Laurent expansions need an exact chain (rational entries)")
    from sympy import QQ, Symbol

    targets = _targets(chain, target)
    e = Symbol("epsilon")
    F = QQ.frac_field(e)
    E = F(e)
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)

    def conv(v):
        return F(QQ(v.numerator, v.denominator))

    rows = []
    for a, b in zip(r0, r1):
        row = {j: conv(v) for j, v in a.items()}
        for j, v in b.items():
            row[j] = row.get(j, F.zero) + E * conv(v)
        rows.append({j: v for j, v in row.items() if v != 0})
    ok, unknown, A, t = _system(rows, targets, F.zero)
    h = hitting_reduction(A, t, [F.one] * len(unknown), order=_cluster_order(chain, unknown)) if unknown else []
    out = [None] * chain.n
    for y in targets:
        out[y] = RationalFunction((Fraction(0),), (Fraction(1),))
    for x, v in zip(unknown, h):
        out[x] = _to_rational_function(v, e)
    return out


def _to_rational_function(v, e) -> RationalFunction:
    num, den = v.numer, v.denom

    def coeffs(p):
        d = p.degree()
        cs = [Fraction(0)] * (max(d, 0) + 1)
        for (k,), c in p.terms():
            cs[k] = Fraction(int(c.numerator), int(c.denominator))
        return tuple(cs)

    return RationalFunction(coeffs(num), coeffs(den))


def laurent_coefficients(chain: Chain, start, target, order: int = 0) -> dict[int, Fraction]:
    """Exact Laurent coefficients {k: a_k} of E_start[τ_target](ε) at ε = 0, up to ε^order."""
    x = _check_state(chain, start)
    f = hitting_laurent(chain, target)[x]
    if f is None:
        raise UnreachableTargetError(f"target is not reached almost surely from state {x} for small eps")
    return f.laurent(order)
