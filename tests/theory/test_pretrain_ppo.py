"""Tests for metacot.theory.pretrain_ppo: the derivations of the proved parts against independent computations
(numeric iteration of the maps they reduce, the library's exact PPO, sympy's own differentiation), and that the
proofs can fail."""
import math
from fractions import Fraction

import sympy as sp

from metacot.numerics.verify.evidence import decide, perturb
from metacot.theory import pretrain_ppo as th
from metacot.theory.symbols import c, eps, eps_max, eta, q


def _num(expr, subs):
    return float(expr.subs(subs))


def test_equal_row_limit_matches_iterating_the_gd_map():
    """Iterate one row's GD from W = 0 in floats (d true entries 1/d, m spurious): t·p̂_t → the derived limit."""
    r = th.equal_row_spurious_limit()
    for d, m, A in ((3, 1, 1.0), (2, 5, 0.3), (4, 4, 2.5)):
        w_true, w_sp = 0.0, 0.0
        T = 200000
        for _ in range(T):
            z_t, z_s = math.exp(w_true), math.exp(w_sp)
            Z = d * z_t + m * z_s
            w_true -= A * (z_t / Z - 1 / d)
            w_sp -= A * (z_s / Z)
        p_sp = math.exp(w_sp) / (d * math.exp(w_true) + m * math.exp(w_sp))
        pred = _num(r[th.L_spur], {th.d_plus: d, th.m_spur: m, eta: A, th.mu: 1})
        # t·p̂_t = L(1 + O(log t/t)); at A·t ≥ 6e4 the correction is below 1e-3
        assert abs(T * p_sp / pred - 1) < 1e-3
        assert abs(pred - d / ((d + m) * A)) < 1e-15


def test_equal_row_proof_fails_for_a_wrong_constant():
    r = th.equal_row_spurious_limit()
    env = {th.L_spur: r[th.L_spur], th.d_plus: r[th.d_plus], th.n_x: r[th.n_x]}
    assert decide(th.spurious_decay_limit, env).verdict == "holds"
    assert decide(perturb(th.spurious_decay_limit), env).verdict == "fails"
    wrong = sp.Eq(th.L_spur, th.d_plus / ((th.n_x - th.d_plus) * eta * th.mu))   # n_x − d₊ instead of n_x
    assert decide(wrong, env).verdict == "fails"


def test_exact_growth_and_iterations_against_exact_updates():
    law = th.exact_growth_law()
    iters = th.exact_iterations()
    for s0, cap, cc in ((Fraction(1, 1000), Fraction(1, 5), Fraction(1, 4)), (Fraction(3, 10**6), Fraction(1, 20),
                                                                            Fraction(1, 10))):
        s, n = s0, 0
        while s < cap:
            # the exact inner update: found mass × e^δ/(1 − s + s e^δ) with e^δ from the clip boundary
            E = (1 + cc) * (1 - s) / (1 - (1 + cc) * s)
            s_next = s * E / (1 - s + s * E)
            n += 1
            if s_next >= cap:
                break
            assert s_next == law.subs({eps: s0, q: 1, c: cc, th.n_iter: n})
            s = s_next
        assert n == int(iters.subs({eps: s0, q: 1, c: cc, eps_max: cap}))


def test_sign_band_ratio_matches_the_library_closed_form():
    from metacot.numerics.algorithms.ppo import sign_iteration_ratio

    r = th.sign_band_ratio()
    for s, cc, h in ((1e-3, 0.25, 0.05), (0.02, 0.5, 0.4), (1e-6, 1.0, 0.01)):
        rho, k, frac = sign_iteration_ratio(s, cc, h)
        sigma = 1 / ((1 + cc) * s) - 1                      # s = 1/((1+c)(1+σ))
        theta = 1 - frac if frac > 0 else 0.0               # k* h = δ + θ h, θ = ⌈δ/h⌉ − δ/h
        val = _num(r[th.rho_k], {c: cc, th.sigma_s: sigma, th.a_frac: math.expm1(theta * h)})
        assert abs(val / rho - 1) < 1e-12                   # float rounding of two closed forms
        assert 1 + cc <= rho < (1 + cc) * math.exp(h)


def test_sign_band_proof_can_fail():
    r = th.sign_band_ratio()
    pts = [{c: Fraction(1, 2), th.sigma_s: Fraction(1), th.a_frac: Fraction(0), th.b_frac: Fraction(1, 10**9)}]
    for rel in sp.And(th.sign_band_relation).args:
        assert decide(rel, r, sample_points=pts).verdict == "holds"
        assert decide(perturb(rel), r, sample_points=pts).verdict == "fails"
    # the band is sharp at its upper end only with the sign-sparse shift: (1+c)e^{h/2} is not an upper bound
    half = sp.Lt(th.rho_k, (1 + c) * sp.exp(th.h_shift / 2))
    pts2 = [{c: Fraction(1, 2), th.sigma_s: Fraction(10**6), th.a_frac: Fraction(2), th.b_frac: Fraction(1, 10**6)}]
    assert decide(half, r, sample_points=pts2).verdict == "fails"


def test_generic_fine_tuned_row_against_exact_ppo():
    from metacot.numerics.algorithms.ppo import ppo_clip
    from metacot.numerics.families import random_chain

    found, rest = th.generic_fine_tuned_row(2, 3)
    assert all(sp.simplify(f[th.p_ppo] - eps_max * f[th.q_xy] / f[th.q_x]) == 0 for f in found)
    assert all(sp.simplify(f[th.p_ppo] - (1 - eps_max) * f[th.P0_xy]) == 0 for f in rest)
    chain = random_chain(11, [2, 3, 2])
    e, cap, cc = Fraction(1, 10**6), Fraction(1, 50), Fraction(1, 3)
    r = ppo_clip(chain, e, list(chain.sparse_edges()), cap, cc)
    P0, sparse = chain.row_dicts(0), chain.sparse_edges()
    for x in r.found:
        qx = sum(w for (a, _), w in sparse.items() if a == x)
        for y, v in r.kernel[x].items():
            want = th.prm_row.rhs.subs({eps_max: cap, th.P0_xy: P0[x].get(y, 0), th.q_xy: sparse.get((x, y), 0),
                                        th.q_x: qx})
            assert v == want


def test_gd_logit_step_matches_the_library_gradient():
    from metacot.numerics.algorithms.ppo import surrogate_gradient

    dW, p, sA = th.gd_logit_step(2, 3)
    w = sp.symbols("w_0:5", real=True)
    vals = {w[0]: 0.3, w[1]: -1.2, w[2]: 0.7, w[3]: -0.1, w[4]: 1.9, eta: 0.5, th.mu: 0.25}
    pn = [float(v.subs(vals)) for v in p]
    g = surrogate_gradient(pn, [0, 1], [0, 1], 0.25)
    assert max(abs(float(d.subs(vals)) - 0.5 * gi) for d, gi in zip(dW, g)) < 1e-15
    assert abs(float(sum(dW).subs(vals))) < 1e-15


def test_statements_and_symbols():
    assert th.L_spur in th.spurious_decay_limit.free_symbols
    assert th.tv_weighted_spec_relation.rhs == th.n_out * eps_max / th.M
    assert set(th.gd_step.free_symbols) >= {th.dW_A, th.dW_R, th.dW_sum, th.dW_pair, th.s_A, eta, th.mu}
    for name in th.__all__:
        assert hasattr(th, name)


def test_capped_row_against_exact_ppo_with_a_false_positive():
    """The symbolic capped row against the library's exact PPO on ring(3, 3) with the dense edge (0, 1) misread as
    sparse: every found edge ends at ε_max p₀/s₀, the rest at (1 − ε_max) p₀/(1 − s₀), TV = ε_max − s₀."""
    from metacot.numerics.algorithms.ppo import ppo_clip
    from metacot.numerics.families import ring

    found, rest = th.capped_row(2, 2)
    for cse in found:
        assert sp.simplify(cse[th.p_final] - cse[eps_max] * cse[th.p0] / cse[th.s0]) == 0
    for cse in rest:
        assert sp.simplify(cse[th.p_final] - (1 - cse[eps_max]) * cse[th.p0] / (1 - cse[th.s0])) == 0
        assert sp.simplify(cse[th.TV_x] - (cse[eps_max] - cse[th.s0])) == 0
    chain = ring(3, 3, 1)
    e, cap = Fraction(1, 1000), Fraction(1, 2)
    r = ppo_clip(chain, e, list(chain.sparse_edges()) + [(0, 1)], cap, Fraction(1, 2))
    K0 = chain.kernel_exact(e)
    s_0 = K0[0][1] + K0[0][5]                      # found at source 0: the sparse edge (0, 5) and (0, 1)
    f = sp.symbols("f_1:3", positive=True)
    rr = sp.symbols("r_1:3", positive=True)
    d = sp.Symbol("d", positive=True)
    at = {f[0]: K0[0][1], f[1]: K0[0][5], rr[0]: K0[0][0], rr[1]: K0[0][2], d: cap - s_0}
    for y, cse in zip((1, 5), found):
        assert r.kernel[0][y] == cse[th.p_final].subs(at)
    for y, cse in zip((0, 2), rest):
        assert r.kernel[0][y] == cse[th.p_final].subs(at)
