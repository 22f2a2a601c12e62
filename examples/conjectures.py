"""Two worked conjectures for `metacot verify --module examples/conjectures.py` (book chapter "Extending").

example.ring-eps0 (TRUE, derived below, verified exactly):
    For ring(K, M, q) with M ≥ 2, started at the source state 0 of C_1 with target the entry state of C_K,
        E[τ](ε) = (K − 1)·M/(q ε) + (K − M − 1)      exactly, for every 0 < ε ≤ 1/q,
    so the ε^0 Laurent coefficient is a_0 = K − M − 1 (independent of q), and all higher ones vanish.
    Derivation: inside a cluster every step lands uniformly on the cluster (P0 = 1/M), so all non-source
    states have the same expected exit time b, and the source has a:
        b = 1 + a/M + (M−1)/M · b                 (a non-source state)      =>  b = a + M,
        a = 1 + (1 − εq)·(a/M + (M−1)/M · b)      (the source: leaves w.p. εq)
          = 1 + (1 − εq)(a + M − 1)                                         =>  a = M/(εq) − (M − 1).
    A sparse edge lands on the entry state of the next cluster, which (M ≥ 2) is a non-source state, so
        E[τ] = a + (K − 2)·b = (K − 1)·M/(εq) + (K − 2) − (M − 1).
    (For M = 1 the entry state *is* the source, every cluster costs a = 1/(εq), and a_0 = 0 instead:
    the formula K − M − 1 is false there, which `metacot refute` finds if the domain allows M = 1.)

example.eps-meta-upper-bound (FALSE):
    "ε·E[τ] ≤ h^meta for every ε" — plausible because ε·E[τ] → h^meta (claim hitting.leading-order)
    and the ring correction K − M − 1 is ≤ 0 whenever K ≤ M + 1. It fails as soon as the walk must
    cross a cluster *after* its last sparse edge (or K > M + 1 on the ring): ε·E[τ] = h^meta + ε·a_0 with
    a_0 > 0. `metacot refute example.eps-meta-upper-bound --module examples/conjectures.py` finds and
    shrinks a counterexample.
"""
import sympy as sp
from hypothesis import strategies as st

from metacot import (chains_with_eps, conjecture, eps_decades, exact_rationals, grid, hitting_time,
                     laurent_coefficients, meta_hitting_times, random_chains, ring)
from metacot.symbols import E_tau, K, M, eps, h_meta

a_0 = sp.Symbol("a_0", real=True)  # the ε^0 Laurent coefficient of E[τ](ε) at ε = 0 (measured)

ring_eps0_statement = sp.Eq(a_0, K - M - 1)


@conjecture(
    id="example.ring-eps0",
    statement=ring_eps0_statement,
    paper="Sec. 2, App. C (first finite-ε correction to E[τ] = Θ(KM/ε))",
    grid=grid(K=[2, 3, 4, 5, 8], M=[2, 3, 5], q=["1", "1/2", "3"]),
    quick=grid(K=[2, 4, 8], M=[2, 5], q=["1", "1/2"]),
    search={"K": st.integers(2, 9), "M": st.integers(2, 6), "q": exact_rationals((1, 6), (1, 4))},
)
def ring_eps0(K, M, q):
    """ε^0 Laurent coefficient of E_0[τ_target](ε) for ring(K, M, q), exact (state reduction over QQ(ε));
    the closed form K − M − 1 is derived in the module docstring."""
    chain = ring(K, M, q)
    return {"a_0": laurent_coefficients(chain, chain.start, chain.target, order=0)[0]}


@conjecture(
    id="example.eps-meta-upper-bound",
    statement=sp.Le(eps * E_tau, h_meta),
    paper="Sec. 2 (E[τ] = Θ(KM/ε)); a plausible but false sharpening of H1",
    grid=grid(chain=["ring(3, 2, 1)", "ring(4, 3, 1)", "ring(4, 2, 1)", "ring(8, 5, 1)",
                     "uniform-escape(3, 2, 1)"], eps=["1/10", "1e-6", "1e-30"]),
    quick=grid(chain=["ring(3, 2, 1)", "ring(4, 2, 1)"], eps=["1/10", "1e-6"]),
    search=chains_with_eps(random_chains(), eps_decades(0, 30)),
)
def eps_meta_upper_bound(chain, eps):
    """Exact E_start[τ_target] at ε (rational) and the meta-chain time h^meta(C_start → C_target)."""
    eps = min(eps, chain.eps_max)
    k, l = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
    return {"E_tau": hitting_time(chain, chain.start, chain.target, eps, method="exact"),
            "h_meta": meta_hitting_times(chain)[k][l], "epsilon": eps}
