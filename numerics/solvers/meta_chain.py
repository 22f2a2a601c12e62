"""The meta-chain on clusters (spec 00): rates r(k,l), λ_k, generator L, jump chain J, h^meta.

r(k,l) = Σ_{x∈C_k} π_k(x) Σ_{y∈C_l} P1(x,y)   (k ≠ l),   λ_k = Σ_{l≠k} r(k,l),
L(k,l) = r(k,l), L(k,k) = −λ_k,   J(k,l) = r(k,l)/λ_k,
h^meta(k→l) = expected hitting time of l for the CTMC with generator L.
Exact chains give Fractions throughout; float chains give float64 via GTH/state reduction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.solvers.reduction import almost_sure_states, gth_stationary, hitting_reduction


def cluster_stationary_laws(chain: Chain) -> list[list]:
    """π_k for each block P0|C_k (GTH; exact for exact chains)."""
    out = []
    rows = chain.row_dicts(0)
    for c in chain.clusters:
        pos = {x: i for i, x in enumerate(c)}
        if chain.exact:
            B = [[Fraction(0)] * len(c) for _ in c]
        else:
            B = np.zeros((len(c), len(c)))
        for a, x in enumerate(c):
            for y, v in rows[x].items():
                B[a][pos[y]] = v
        pi = gth_stationary(B)
        out.append(list(pi) if chain.exact else np.asarray(pi))
    return out


def _zero(chain):
    return Fraction(0) if chain.exact else 0.0


def meta_rates(chain: Chain):
    """K×K matrix r(k,l) (diagonal 0): list of lists of Fractions (exact) or float ndarray."""
    K = chain.K
    lab = chain.cluster_of
    pis = cluster_stationary_laws(chain)
    rows1 = chain.row_dicts(1)
    r = [[_zero(chain)] * K for _ in range(K)]
    for k, c in enumerate(chain.clusters):
        for a, x in enumerate(c):
            w = pis[k][a]
            for y, v in rows1[x].items():
                l = int(lab[y])
                if l != k:
                    r[k][l] = r[k][l] + w * v
    return r if chain.exact else np.array(r, dtype=float)


def escape_rates(chain: Chain):
    """λ_k = Σ_{l≠k} r(k,l)."""
    r = meta_rates(chain)
    return [sum(row, _zero(chain)) for row in r] if chain.exact else r.sum(axis=1)


def meta_generator(chain: Chain):
    """L(k,l) = r(k,l), L(k,k) = −λ_k."""
    r = meta_rates(chain)
    K = len(r)
    if chain.exact:
        L = [list(row) for row in r]
        for k in range(K):
            L[k][k] = -sum(r[k], Fraction(0))
        return L
    L = np.array(r, dtype=float)
    np.fill_diagonal(L, -L.sum(axis=1))
    return L


def jump_chain(chain: Chain):
    """J(k,l) = r(k,l)/λ_k; a cluster with λ_k = 0 is absorbing (J(k,k) = 1)."""
    r = meta_rates(chain)
    K = len(r)
    if chain.exact:
        J = []
        for k in range(K):
            lam = sum(r[k], Fraction(0))
            J.append([Fraction(int(k == l)) for l in range(K)] if lam == 0 else [v / lam for v in r[k]])
        return J
    lam = r.sum(axis=1)
    J = np.zeros_like(r)
    for k in range(K):
        if lam[k] > 0:
            J[k] = r[k] / lam[k]
        else:
            J[k, k] = 1.0
    return J


def ctmc_hitting_times(rates, target: int, exact: bool):
    """Expected hitting times of `target` for a CTMC with off-diagonal rates (inf where not a.s.)."""
    K = len(rates)
    zero = Fraction(0) if exact else 0.0
    adj = [[l for l in range(K) if l != k and rates[k][l] != 0] for k in range(K)]
    ok = almost_sure_states(adj, {target})
    unknown = [k for k in range(K) if ok[k] and k != target]
    idx = {k: i for i, k in enumerate(unknown)}
    A = [{idx[l]: rates[k][l] for l in adj[k] if l in idx} for k in unknown]
    t = [rates[k][target] for k in unknown]
    h = hitting_reduction(A, t, [zero + 1] * len(unknown)) if unknown else []
    out = [math.inf] * K
    out[target] = zero
    for k, v in zip(unknown, h):
        out[k] = v
    return out


def meta_hitting_times(chain: Chain):
    """h^meta[k][l] = expected CTMC hitting time of cluster l from cluster k (0 on the diagonal, inf if not a.s.)."""
    r = meta_rates(chain)
    K = len(r)
    cols = [ctmc_hitting_times(r, l, chain.exact) for l in range(K)]
    return [[cols[l][k] for l in range(K)] for k in range(K)]


def jump_hitting_times(chain: Chain):
    """h^jump[k][l]: expected number of jumps of the jump chain J to reach l from k."""
    J = jump_chain(chain)
    K = len(J)
    # Jump chain: DTMC with off-diagonal J; cost 1 per jump equals a CTMC with rates J (exit mass 1).
    cols = [ctmc_hitting_times([[J[k][m] if m != k else 0 for m in range(K)] for k in range(K)], l, chain.exact)
            for l in range(K)]
    return [[cols[l][k] for l in range(K)] for k in range(K)]


@dataclass
class MetaSummary:
    clusters: list
    rates: list
    lam: list
    h_meta: list

    def to_json(self):
        from metacot.numerics.numbers import to_json_value

        return {"clusters": self.clusters, "rates": to_json_value(self.rates),
                "lambda": to_json_value(self.lam), "h_meta": to_json_value(self.h_meta)}


def meta_summary(chain: Chain) -> MetaSummary:
    r = meta_rates(chain)
    lam = [sum(row, Fraction(0)) for row in r] if chain.exact else r.sum(axis=1).tolist()
    h = meta_hitting_times(chain)
    rr = r if chain.exact else r.tolist()
    return MetaSummary(chain.clusters, rr, lam, h)


def cluster_index(chain: Chain, state: int) -> int:
    if not 0 <= state < chain.n:
        raise MetacotError(f"unknown state {state} (states are 0..{chain.n - 1})")
    return int(chain.cluster_of[state])
