"""Spec 00: the model's closed forms, and the lumped canonical families, as sympy expressions.

The canonical families ring(K, M, q) and uniform-escape(K, M, q) have complete-graph blocks
(P0(x, y) = 1/M inside a cluster) with one source state per cluster. Every non-source state of a block
moves like every other, so each block lumps exactly to two classes: the source ``s`` and the M − 1
non-source states ``u``. In one step, from u: to s with probability 1/M, to u with (M − 1)/M; from s:
along the sparse edge(s) with probability εq, otherwise like u. The functions below solve these small
lumped systems with sympy for symbolic K, M, q, ε: they are the derivations behind the claims' proved
parts (metacot.theory.hitting), never restatements of the closed forms.
"""
from functools import lru_cache

import sympy as sp

from .symbols import K, M, q, eps, E_tau, h_meta, lam

# h^meta(1 → K) for ring(K, M, q), and h^meta(k → l) for uniform-escape(K, M, q).
h_meta_canonical = (K - 1) * M / q

# Leading order of the expected hitting time for the canonical families: E[τ] ≈ (K−1)M/(qε).
hitting_canonical_leading = h_meta_canonical / eps

# The general leading-order statement (claim hitting.leading-order): lim_{ε→0} ε·E[τ] = h^meta.
leading_order_relation = sp.Eq(sp.Limit(eps * E_tau, eps, 0), h_meta)

# Validity of the row-rescaled kernel p^ε = (1 − ε q(x)) P0 + ε Q: 0 ≤ ε ≤ 1/max_x q(x).
eps_valid = sp.And(eps >= 0, eps <= 1 / q)

# one step inside a lumped complete block: P(→ s), P(→ u)
_TO_S = 1 / M
_TO_U = (M - 1) / M


def block_exit_moments():
    """First and second moments of the exit time of one complete block whose source leaves w.p. εq.

    σ = number of steps until the walk leaves the block (the leaving step counts). With h = E[σ] and
    m₂ = E[σ²] on the two lumped classes (source s, non-source u), one step gives
        h_u = 1 + h_s/M + (M−1)/M·h_u,          h_s = 1 + (1 − εq)(h_s/M + (M−1)/M·h_u),
        m_u = 2h_u − 1 + m_s/M + (M−1)/M·m_u,   m_s = 2h_s − 1 + (1 − εq)(m_s/M + (M−1)/M·m_u)
    (m₂(x) = E[(1 + σ∘θ)²] = 2h(x) − 1 + Σ_y P(x, y) m₂(y), the value 0 once outside). Solved by sympy.

    Returns
    -------
    dict
        {"a": h_s, "b": h_u, "a2": m_s, "b2": m_u} as expressions in M, q, ε.

    Examples
    --------
    >>> m = block_exit_moments()
    >>> sp.simplify(m["a"] - (M / (eps * q) - (M - 1)))
    0
    >>> sp.simplify(m["b"] - m["a"] - M)
    0
    """
    return dict(_block_exit_moments())


@lru_cache(maxsize=None)
def _block_exit_moments():
    a, b, a2, b2 = sp.symbols("a b a2 b2")
    stay = 1 - eps * q
    h = sp.solve([sp.Eq(b, 1 + _TO_S * a + _TO_U * b),
                  sp.Eq(a, 1 + stay * (_TO_S * a + _TO_U * b))], [a, b], dict=True)[0]
    m = sp.solve([sp.Eq(b2, 2 * h[b] - 1 + _TO_S * a2 + _TO_U * b2),
                  sp.Eq(a2, 2 * h[a] - 1 + stay * (_TO_S * a2 + _TO_U * b2))], [a2, b2], dict=True)[0]
    return tuple({"a": sp.simplify(h[a]), "b": sp.simplify(h[b]), "a2": sp.simplify(m[a2]),
                  "b2": sp.simplify(m[b2])}.items())


def block_stationary_source_mass():
    """π(s), the stationary mass of the source of a complete block, from the lumped balance equations
    π_s = π_s/M + π_u/M, π_s + π_u = 1 (π_u = mass of the M − 1 other states): 1/M.

    Examples
    --------
    >>> block_stationary_source_mass()
    1/M
    """
    ps, pu = sp.symbols("p_s p_u")
    sol = sp.solve([sp.Eq(ps, _TO_S * ps + _TO_S * pu), sp.Eq(ps + pu, 1)], [ps, pu], dict=True)[0]
    return sp.simplify(sol[ps])


def canonical_escape_rate():
    """λ_k = Σ_{x∈C_k} π_k(x) q(x) for ring and uniform-escape: the source (mass π(s)) carries total
    sparse weight q, the other states none: λ = π(s)·q = q/M.

    Examples
    --------
    >>> canonical_escape_rate()
    q/M
    """
    return block_stationary_source_mass() * q


@lru_cache(maxsize=None)
def uniform_escape_hitting_moments():
    """E[τ] and E[τ²] for uniform-escape(K, M, q) (M ≥ 2), from the source of C_1 to the entry of C_K.

    Lumping: every non-target cluster looks alike, so the chain stopped on the target lumps to the
    classes s (a source of a non-target cluster) and u (a non-source of one). From s, w.p. εq the walk
    takes a sparse edge to a uniformly chosen other cluster: the target (w.p. 1/(K−1); τ ends there,
    the edge lands on the target entry state) or the entry of another non-target cluster, a u-state
    (w.p. (K−2)/(K−1)). So the number of clusters visited is geometric with success probability 1/(K−1).
    Solves (I − Q)h = 1 and (I − Q)m₂ = 2h − 1 on {s, u} with sympy.

    Returns
    -------
    (h_s, m_s) : expressions in K, M, q, ε

    Examples
    --------
    >>> h, m2 = uniform_escape_hitting_moments()
    >>> sp.simplify(h - ((K - 1) * M / (q * eps) + K - M - 1))
    0
    """
    hs, hu, ms, mu = sp.symbols("h_s h_u m_s m_u")
    stay = 1 - eps * q
    jump_u = eps * q * (K - 2) / (K - 1)
    h = sp.solve([sp.Eq(hu, 1 + _TO_S * hs + _TO_U * hu),
                  sp.Eq(hs, 1 + stay * (_TO_S * hs + _TO_U * hu) + jump_u * hu)], [hs, hu], dict=True)[0]
    m = sp.solve([sp.Eq(mu, 2 * h[hu] - 1 + _TO_S * ms + _TO_U * mu),
                  sp.Eq(ms, 2 * h[hs] - 1 + stay * (_TO_S * ms + _TO_U * mu) + jump_u * mu)], [ms, mu],
                 dict=True)[0]
    return sp.simplify(h[hs]), sp.simplify(m[ms])


def uniform_escape_committor():
    """P_x(τ_{C_l} < τ_{C_m}) for uniform-escape(K, M, q), K ≥ 3, x in a third cluster, as an expression.

    Lumping the third clusters to {s, u} (as :func:`uniform_escape_hitting_moments`): from s, w.p. εq a
    sparse edge to C_l (w.p. 1/(K−1): value 1), to C_m (1/(K−1): value 0) or to the entry of another
    third cluster (a u-state, (K−3)/(K−1)). Returns (c_s, c_u).

    Examples
    --------
    >>> uniform_escape_committor()
    (1/2, 1/2)
    """
    cs, cu = sp.symbols("c_s c_u")
    stay = 1 - eps * q
    sol = sp.solve([sp.Eq(cu, _TO_S * cs + _TO_U * cu),
                    sp.Eq(cs, stay * (_TO_S * cs + _TO_U * cu) + eps * q * (1 / (K - 1) + (K - 3) / (K - 1) * cu))],
                   [cs, cu], dict=True)[0]
    return sp.simplify(sol[cs]), sp.simplify(sol[cu])


def uniform_escape_jump_absorption():
    """P_k(the jump chain J hits l before m) for uniform-escape, k ∉ {l, m}: J(k, ·) is uniform on the
    K − 1 other clusters, so u = 1/(K−1) + (K−3)/(K−1)·u (lumping the third clusters), solved by sympy.

    Examples
    --------
    >>> uniform_escape_jump_absorption()
    1/2
    """
    u = sp.Symbol("u")
    return sp.simplify(sp.solve(sp.Eq(u, 1 / (K - 1) + (K - 3) / (K - 1) * u), u)[0])


def ctmc_holding_moments(rate=lam):
    """Mean and second moment of an exponential holding time of rate λ from the one-state generator
    equations λ·h = 1, λ·m₂ = 2h (L h = −1, L m₂ = −2h): (1/λ, 2/λ²).

    Examples
    --------
    >>> ctmc_holding_moments()
    (1/lambda, 2/lambda**2)
    """
    h, m2 = sp.symbols("h m2")
    hv = sp.solve(sp.Eq(rate * h, 1), h)[0]
    mv = sp.solve(sp.Eq(rate * m2, 2 * hv), m2)[0]
    return hv, mv


def ring_meta_hitting_moments():
    """E[T] and Var(T) of the ring's meta-chain hitting time of cluster K from cluster 1: the meta chain
    moves 1 → 2 → … → K, holding an Exp(λ) time in each of the K − 1 clusters before K (λ = q/M,
    :func:`canonical_escape_rate`), independently (strong Markov): E = (K−1)/λ, Var = (K−1)·Var(Exp(λ)).

    Examples
    --------
    >>> ring_meta_hitting_moments()
    (M*(K - 1)/q, M**2*(K - 1)/q**2)
    """
    rate = canonical_escape_rate()
    h, m2 = ctmc_holding_moments(rate)
    return sp.simplify((K - 1) * h), sp.simplify((K - 1) * (m2 - h ** 2))


def uniform_escape_meta_hitting_moments():
    """E[T] and Var(T) of uniform-escape's meta-chain hitting time of a cluster l from k ≠ l: lumping the
    K − 1 other clusters to one class, the meta chain leaves it for l at rate λ/(K−1) (jumps to other
    clusters keep it in the class), so T ~ Exp(λ/(K−1)).

    Examples
    --------
    >>> uniform_escape_meta_hitting_moments()
    (M*(K - 1)/q, M**2*(K - 1)**2/q**2)
    """
    rate = canonical_escape_rate() / (K - 1)
    h, m2 = ctmc_holding_moments(rate)
    return sp.simplify(h), sp.simplify(m2 - h ** 2)
