"""theory/distillation.py: the symbolic derivations of the distillation claims against exact numerics
(independent computations: exact Fractions on the chains the derivations lump)."""
from fractions import Fraction as F

import pytest
import sympy as sp

from metacot.numerics.algorithms.distill import (distilled_model, exact_meta_kernel, order_k_terms,
                                                 stationary_label_kernel)
from metacot.numerics.families import equal_rates_4, ring, uniform_escape
from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.solvers.meta_chain import meta_generator, meta_hitting_times
from metacot.numerics.verify.evidence import relations_of
from metacot.theory import distillation as th
from metacot.theory import hitting as th_hitting
from metacot.theory.symbols import K, M, b, eps, q


def _num(expr, **vals):
    sub = {K: vals.get("K"), M: vals.get("M"), q: vals.get("q"), eps: vals.get("eps"), b: vals.get("b")}
    v = sp.simplify(expr.subs({k: sp.Rational(str(x)) for k, x in sub.items() if x is not None}))
    assert v.is_Rational, v
    return F(int(v.p), int(v.q))


def test_rescaled_escape_law_is_beta_free():
    for rows in (2, 3, 5):
        for a, c, d in th.rescaled_escape_law(rows):
            assert sp.simplify(a - c / (1 - d)) == 0
            assert th.beta not in sp.simplify(a).free_symbols or sp.simplify(sp.diff(a, th.beta)) == 0


@pytest.mark.parametrize("family, fn", [("ring", ring), ("uniform-escape", uniform_escape)])
@pytest.mark.parametrize("Kv, Mv, qv, e", [(3, 3, 1, F(1, 100)), (4, 2, F(1, 2), F(1, 7)), (3, 5, 2, F(1, 10 ** 9))])
def test_canonical_escape_lumped_matches_the_learned_kernel(family, fn, Kv, Mv, qv, e):
    p, _ = stationary_label_kernel(fn(Kv, Mv, qv), e)
    ell = _num(th.canonical_escape_lumped(), M=Mv, q=qv, eps=e)
    assert all(1 - p[k][k] == ell for k in range(Kv))
    assert ell == e * qv / (Mv + e * qv)


@pytest.mark.parametrize("Kv, Mv, qv, e, bv", [(3, 3, 1, F(1, 100), 1), (5, 4, F(1, 2), F(1, 10 ** 6), 10)])
def test_canonical_distilled_steps_and_speedup(Kv, Mv, qv, e, bv):
    c = ring(Kv, Mv, qv)
    p, _ = stationary_label_kernel(c, e)
    E = distilled_model(p, beta="auto", b=bv, k_in=0, k_out=Kv - 1).expected_steps()
    assert E == _num(th.canonical_distilled_steps_lumped(), K=Kv, M=Mv, q=qv, eps=e, b=bv)
    tau = hitting_time(c, c.start, c.target, e, "exact")
    assert tau / E == _num(th.canonical_speedup, K=Kv, M=Mv, q=qv, eps=e, b=bv)
    assert sp.simplify(th.canonical_hitting_time - th_hitting.exact_canonical_rhs) == 0


@pytest.mark.parametrize("e, bv", [(F(1, 100), 1), (F(1, 3), F(1, 2)), (F(1, 10 ** 12), 10)])
def test_equal_rates_derivation_matches_numerics(e, bv):
    p, _ = stationary_label_kernel(equal_rates_4(), e)
    E = order_k_terms(p, bv, 0, 2).E_dist
    assert E == _num(th.equal_rates_distilled_steps(), eps=e, b=bv) == _num(th.counterexample_steps, eps=e, b=bv)
    assert E > (1 + 1 / F(bv)) * 4


@pytest.mark.parametrize("n", [2, 3])
def test_timescale_generator_rows(n):
    rows = th.timescale_generator_rows(n)
    assert len(rows) == n - 1 and all(sp.simplify(r + 1) == 0 for r in rows)


def test_timescale_on_a_concrete_chain():
    """ε·E_dist on q∘ = I + εL equals the meta chain's CTMC hitting time at finite ε (exact)."""
    c = uniform_escape(4, 3, F(1, 2))
    L = meta_generator(c)
    assert L[0][0] == -sum(L[0][1:])
    for e in (F(1, 10), F(1, 10 ** 8)):
        E = distilled_model(exact_meta_kernel(c, e), k_in=0, k_out=3).expected_steps()
        assert e * E == meta_hitting_times(c)[0][3]


def test_statements_are_relations_in_the_documented_symbols():
    assert len(relations_of(th.order_K_corrected)) == 2
    assert th.order_K_bound.free_symbols == {th.E_dist, th.h_jump, b}
    assert th.beta_order_canonical.free_symbols == {th.w, th.beta, b, M, q, eps}
    assert th.compression_speedup.free_symbols == {th.E_tau, th.C_dist, K, M, q, eps, b}
    assert sp.simplify(th.ring_distilled_steps_limit - (K - 1) * (1 + 1 / b)) == 0
    # β = log(bM/(qε)) + log(1 + εq/M) on the canonical families: the shift lies in [0, εq/M]
    shift = sp.log(th.beta_order_scale.rhs) - sp.log(b * M / (q * eps))
    assert sp.simplify(sp.exp(shift) - (1 + eps * q / M)) == 0
