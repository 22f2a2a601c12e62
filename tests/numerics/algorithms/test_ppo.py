"""Tests for metacot.numerics.algorithms.ppo (Alg. 3): exact growth, n*, untouched rows, sign band, PRM equality, CLI."""
import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metacot.numerics.cli.main import main
from metacot.numerics.errors import MetacotError
from metacot.numerics.families import random_chain, ring
from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.algorithms.ppo import n_star, ppo_clip, sign_iteration_ratio
from strategies import chains

clips = st.sampled_from([Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(1)])
caps = st.sampled_from([Fraction(1, 20), Fraction(1, 10), Fraction(1, 3)])


def _qx(chain):
    q = {}
    for (x, _), w in chain.sparse_edges().items():
        q[x] = q.get(x, 0) + w
    return q


@given(num=st.integers(1, 10**6), den=st.integers(1, 10**6), c=clips, cap=caps)
def test_n_star_matches_the_log_formula(num, den, c, cap):
    s0 = Fraction(num, den) * cap / 10**3
    n = n_star(s0, cap, c)
    with mpmath.workdps(60):  # 60 digits: ratio of logs far from an integer except at exact powers
        v = mpmath.log(mpmath.mpf(cap.numerator) / cap.denominator * s0.denominator / s0.numerator) / \
            mpmath.log(1 + mpmath.mpf(c.numerator) / c.denominator)
        k = int(mpmath.ceil(v)) if abs(v - mpmath.nint(v)) > mpmath.mpf(10) ** -50 else int(mpmath.nint(v))
    assert n == max(k, 0)
    assert s0 * (1 + c) ** n >= cap and (n == 0 or s0 * (1 + c) ** (n - 1) < cap)


@settings(max_examples=20)
@given(chain=chains(max_k=3, max_size=3), c=clips, cap=caps, d=st.integers(3, 8))
def test_exact_ppo_on_random_chains(chain, c, cap, d):
    eps = min(Fraction(1, 10**d), chain.eps_max / 2)
    sparse = chain.sparse_edges()
    q = _qx(chain)
    K0 = chain.kernel_exact(eps)
    r = ppo_clip(chain, eps, list(sparse), cap, c)
    # iteration count per source equals n*(x) = ⌈log(ε_max/(ε q(x)))/log(1+c)⌉
    assert r.iterations_per_source == {x: n_star(eps * q[x], cap, c) for x in q}
    assert r.iterations == r.predicted_iterations
    for x in range(chain.n):
        if x not in q:
            assert r.kernel[x] == K0[x]  # rows without sparse edges are untouched (exactly)
            continue
        s0 = eps * q[x]
        final = cap if s0 < cap else s0
        for y, v in K0[x].items():
            want = v * final / s0 if (x, y) in sparse else v * (1 - final) / (1 - s0)
            assert r.kernel[x][y] == want
    # every iteration multiplies a not-yet-capped edge by exactly 1+c
    for n, probs in enumerate(r.history.edge_probs, start=1):
        for (x, y), p in zip(r.history.edges, probs):
            if n < r.iterations_per_source[x]:
                assert p == eps * sparse[(x, y)] * (1 + c) ** n


def test_float_exact_inner_matches_fractions():
    chain = random_chain(4, [2, 3, 2])
    eps, cap, c = Fraction(1, 1000), Fraction(1, 20), Fraction(1, 3)
    ex = ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c)
    fl = ppo_clip(chain.to_float(), 1e-3, list(chain.sparse_edges()), 0.05, 1 / 3)
    assert fl.iterations_per_source == ex.iterations_per_source
    # ~n* float multiplications, each ≤ 1.1e-16 relative: 1e-14 absolute on probabilities ≤ 1
    assert np.max(np.abs(fl.dense() - ex.dense())) <= 1e-14


@settings(max_examples=10)
@given(chain=chains(max_k=3, max_size=3), eta=st.sampled_from([0.01, 0.05, 0.2]), c=clips)
def test_sign_gradient_band_and_untouched_rows(chain, eta, c):
    eps = min(Fraction(1, 10**4), chain.eps_max / 2)
    cap = Fraction(1, 10)
    q = _qx(chain)
    r = ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c, inner="sign", eta=eta)
    K0 = chain.kernel(eps).toarray()
    K = r.dense()
    for x in range(chain.n):
        if x not in q:
            assert np.array_equal(K[x], K0[x])
    lo, hi = float(1 + c), float(1 + c) * math.exp(2 * eta)
    prev = {x: float(eps * q[x]) for x in q}
    for mass in r.history.found_mass:
        for x in q:
            if mass[x] != prev[x] and mass[x] < 0.1 * (1 - 1e-12):
                assert lo * (1 - 1e-12) <= mass[x] / prev[x] <= hi * (1 + 1e-12)  # float rounding only
            prev[x] = mass[x]
    for x in q:
        assert abs(r.history.found_mass[-1][x] - 0.1) <= 1e-14  # the cap lands on ε_max
        assert r.iterations_per_source[x] <= n_star(eps * q[x], cap, c)


@settings(max_examples=10)
@given(chain=chains(max_k=3, max_size=3), eta=st.sampled_from([0.01, 0.05, 0.2, 0.4]), c=clips)
def test_sign_sparse_band_closed_form_and_fixed_dense_logits(chain, eta, c):
    """inner="sign-sparse": only the found logits move, so every non-final iteration multiplies the found mass by
    exactly e^{k*η}/(1 − s + s e^{k*η}) ∈ [1+c, (1+c)e^{η}), and the rest of each source row is rescaled by one
    common factor (dense ratios kept)."""
    eps = min(Fraction(1, 10**4), chain.eps_max / 2)
    cap = Fraction(1, 10)
    q = _qx(chain)
    r = ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c, inner="sign-sparse", eta=eta)
    K0 = chain.kernel(eps).toarray()
    K = r.dense()
    for x in range(chain.n):
        if x not in q:
            assert np.array_equal(K[x], K0[x])
            continue
        rest = [y for y in range(chain.n) if K0[x, y] > 0 and (x, y) not in chain.sparse_edges()]
        ratio = K[x, rest] / K0[x, rest]
        assert ratio.max() / ratio.min() - 1 <= 1e-13  # float rounding of ~n* softmax evaluations
    lo, hi = float(1 + c), float(1 + c) * math.exp(eta)
    prev = {x: float(eps * q[x]) for x in q}
    for mass in r.history.found_mass:
        for x in q:
            if mass[x] != prev[x] and mass[x] < 0.1 * (1 - 1e-12):
                ratio = mass[x] / prev[x]
                pred, _, frac = sign_iteration_ratio(prev[x], c, eta)
                assert lo * (1 - 1e-12) <= ratio < hi  # float rounding only on the closed lower end
                if min(frac, 1 - frac) > 1e-9:  # not a tie on the clip boundary
                    assert abs(ratio / pred - 1) <= 1e-12  # float rounding of softmax ratios
            prev[x] = mass[x]
    for x in q:
        assert abs(r.history.found_mass[-1][x] - 0.1) <= 1e-14  # the cap lands on ε_max
        assert r.iterations_per_source[x] <= n_star(eps * q[x], cap, c)


def test_sign_band_needs_the_sparse_only_restriction():
    """The e^{η} band belongs to sign-sparse: the plain sign loop (every logit moves, h = 2η) overshoots it."""
    chain = ring(3, 3, 1)
    eps, cap, c, eta = Fraction(1, 1000), Fraction(1, 5), Fraction(1, 4), 0.05
    ratios = {}
    for inner in ("sign", "sign-sparse"):
        m = [h[0] for h in ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c, inner=inner,
                                    eta=eta).history.found_mass]
        ratios[inner] = [b / a for a, b in zip([1e-3] + m, m) if b < 0.2 * (1 - 1e-12)]
    hi_sparse = 1.25 * math.exp(eta)   # 1.3141
    assert max(ratios["sign-sparse"]) < hi_sparse < max(ratios["sign"]) < 1.25 * math.exp(2 * eta)


def test_sign_ratio_closed_form_symbolic_and_numeric():
    import sympy as sp

    from metacot.theory import pretrain_ppo as th

    def rho(d):
        return sp.exp(d) / (1 - th.s_found + th.s_found * sp.exp(d))

    assert sp.simplify(th.sign_ratio_after_k - rho(th.k_inner * th.h_shift)) == 0
    assert sp.simplify(rho(th.sign_clip_shift) - (1 + th.c)) == 0          # the clip boundary
    assert sp.simplify(rho(th.sign_clip_shift + th.h_shift) - th.sign_ratio_sharp_upper) == 0
    # sharp upper end < (1+c)e^h for s > 0, → (1+c)e^h as s → 0
    assert sp.limit(th.sign_ratio_sharp_upper, th.s_found, 0) == (1 + th.c) * sp.exp(th.h_shift)
    # numeric: s = 1e-3, c = 1/4, h = 0.05: δ = log(1.25·0.999/0.99875) = 0.22339, k* = ⌈4.4679⌉ = 5
    r, k, frac = sign_iteration_ratio(1e-3, 0.25, 0.05)
    assert k == 5 and abs(frac - 0.467877) < 1e-6
    assert abs(r - math.exp(0.25) / (1 - 1e-3 + 1e-3 * math.exp(0.25))) <= 1e-15
    with pytest.raises(MetacotError, match="sign_iteration_ratio"):
        sign_iteration_ratio(0.9, 0.25, 0.05)   # (1+c)s ≥ 1: the clip is never reached inside the row


def test_plain_gd_inner_loop_moves_dense_ratios():
    """Documented finding: with plain gradient ascent the non-found logits move by −η μ p̂(y) s_A, i.e. in
    proportion to p̂(y), so within a source row the ratios between unequal dense probabilities change (the
    'only sparse logits move' premise of R2 holds for the exact and sign inner loops only)."""
    chain = random_chain(7, [4, 3, 3])
    eps, cap, c = Fraction(1, 1000), Fraction(1, 20), Fraction(1, 2)
    sparse = chain.sparse_edges()
    r = ppo_clip(chain, eps, list(sparse), cap, c, inner="gd", eta=50.0)
    K0 = chain.kernel(eps).toarray()
    K = r.dense()
    drift = 0.0
    for x in r.found:
        dense = [y for y in range(chain.n) if K0[x, y] > 0 and y not in r.found[x]]
        ratio = K[x, dense] / K0[x, dense]
        drift = max(drift, ratio.max() / ratio.min() - 1)
    assert drift > 1e-6  # far above float rounding (1e-15): the dense ratios really move


def test_internalises_prm_kernel_exactly():
    from metacot.numerics.algorithms.search import prm_guided

    chain = random_chain(11, [2, 3, 2])
    found = list(chain.sparse_edges())
    eps, cap, c = Fraction(1, 10**7), Fraction(1, 100), Fraction(1, 3)
    r = ppo_clip(chain, eps, found, cap, c)
    G = prm_guided(chain, found, cap)
    assert r.kernel == G.kernel_exact(cap)
    assert hitting_time(r.chain("kernel"), chain.start, chain.target, 0) == \
        hitting_time(G, chain.start, chain.target, cap)


def test_ppo_chain_forms_agree():
    chain = ring(3, 3, 1)
    r = ppo_clip(chain, Fraction(1, 1000), list(chain.sparse_edges()), Fraction(1, 10), Fraction(1, 2))
    aff, ker = r.chain("affine"), r.chain("kernel")
    assert aff.kernel_exact(Fraction(1, 1000)) == ker.kernel_exact(0) == r.kernel
    assert hitting_time(aff, 0, chain.target, Fraction(1, 1000)) == hitting_time(ker, 0, chain.target, 0)


def test_bad_inputs():
    chain = ring(2, 2, 1)
    e = list(chain.sparse_edges())
    eps = Fraction(1, 100)
    with pytest.raises(MetacotError, match="eps_max"):
        ppo_clip(chain, eps, e, 1, Fraction(1, 2))
    with pytest.raises(MetacotError, match="clip"):
        ppo_clip(chain, eps, e, Fraction(1, 2), 0)
    with pytest.raises(MetacotError, match="inner"):
        ppo_clip(chain, eps, e, Fraction(1, 2), Fraction(1, 2), inner="adam")
    with pytest.raises(MetacotError, match="eta"):
        ppo_clip(chain, eps, e, Fraction(1, 2), Fraction(1, 2), inner="sign")
    with pytest.raises(MetacotError, match="eta"):
        ppo_clip(chain, eps, e, Fraction(1, 2), Fraction(1, 2), inner="sign-sparse")
    with pytest.raises(MetacotError, match="probability 0"):
        ppo_clip(chain, eps, [(0, 2)], Fraction(1, 2), Fraction(1, 2))  # (0,2) is not in the support
    with pytest.raises(MetacotError, match="outside"):
        ppo_clip(chain, eps, [(0, 9)], Fraction(1, 2), Fraction(1, 2))


def test_cli_finetune_json(tmp_path, capsys):
    path = tmp_path / "ring.json"
    assert main(["family", "ring", "--K", "3", "--M", "3", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["finetune", str(path), "--eps", "1/1000", "--eps-max", "1/5", "--clip", "1/4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # n* = ⌈log(200)/log(5/4)⌉ = ⌈23.74⌉ = 24; E[τ] exact: ring(3,3,1) at ε = 1/1000 is 5999, after PPO 29
    assert out["iterations"] == out["predicted_iterations"] == 24
    assert out["hitting_before"] == "5999" and out["hitting_after"] == "29"
    assert main(["finetune", str(path), "--eps", "1/1000", "--eps-max", "1/5", "--clip", "1/4", "--inner", "sign",
                 "--eta", "0.05", "--start", "0", "--target", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["iterations"] <= out["predicted_iterations"] and out["hitting_after"] == pytest.approx(29, rel=1e-12)
    assert main(["finetune", str(path), "--eps", "1/1000", "--eps-max", "2", "--clip", "1/4"]) == 2
    assert "eps_max" in capsys.readouterr().err
    assert main(["finetune", str(path), "--eps", "1/1000", "--eps-max", "1/5", "--clip", "1/4",
                 "--edges", "0,x"]) == 2


# ----------------------------------------------------------------------------- measurements of the claims
from metacot.numerics.algorithms.ppo import (fine_tuned_family, gd_drift_tv_limit, gd_step_exact,  # noqa: E402
                                             log_ratio_contraction, surrogate_gradient, tv_summary)
from metacot.numerics.families import family_chain, two_one, tv_weighted_4  # noqa: E402


def test_surrogate_gradient_against_sympy_differentiation():
    import sympy as sp

    w = sp.symbols("w0:4", real=True)
    Z = sum(sp.exp(v) for v in w)
    J = sp.Rational(2, 5) * (sp.exp(w[1]) + sp.exp(w[3])) / Z        # μ = 2/5, A = {1, 3}
    at = {w[0]: sp.log(sp.Rational(1, 2)), w[1]: sp.log(sp.Rational(1, 8)), w[2]: sp.log(sp.Rational(1, 4)),
          w[3]: sp.log(sp.Rational(1, 8))}
    ref = [sp.nsimplify(sp.diff(J, v).subs(at)) for v in w]
    p = [Fraction(1, 2), Fraction(1, 8), Fraction(1, 4), Fraction(1, 8)]
    assert surrogate_gradient(p, [1, 3], [1, 3], Fraction(2, 5)) == [Fraction(int(r.p), int(r.q)) for r in ref]


def test_gd_step_exact_matches_a_float_finite_difference_of_the_surrogate():
    row = {0: Fraction(1, 4) * Fraction(999, 1000), 1: Fraction(3, 4) * Fraction(999, 1000), 2: Fraction(1, 1000)}
    d = gd_step_exact(row, [2], Fraction(2, 5), Fraction(5))
    assert sum(d.values()) == 0
    w = np.log([float(row[y]) for y in range(3)])
    h = 1e-6

    def J(v):
        p = np.exp(v) / np.exp(v).sum()
        return 0.4 * p[2]
    for z in range(3):
        e = np.zeros(3)
        e[z] = h
        fd = 5 * (J(w + e) - J(w - e)) / (2 * h)           # central difference: O(h²) + 1e-16/h ≈ 1e-10
        assert abs(fd - float(d[z])) < 1e-9


def test_tv_summary_against_direct_float_computation():
    chain = tv_weighted_4()
    eps, cap, c = Fraction(1, 1000), Fraction(1, 10), Fraction(1, 2)
    r = ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c)
    t = tv_summary(r)
    K0, K1 = chain.kernel(eps).toarray(), r.dense()
    tv_rows = 0.5 * np.abs(K1 - K0).sum(axis=1)
    from metacot.numerics.algorithms.pretrain import stationary_law
    mu = stationary_law(K0)
    assert abs(float(t.tv_mu) - float(mu @ tv_rows)) < 1e-15
    assert t.tv_mu == Fraction(198, 3667) and t.n_out == 1 and t.M_min == 2
    assert t.tv_mu == cap * t.mu_sources - t.m0 and t.tv_mu > cap * t.n_out / t.M_min   # the refuted bound
    # float (sign) run: same summary fields, the TV of every source row is ε_max − s₀
    rs = ppo_clip(chain, eps, list(chain.sparse_edges()), cap, c, inner="sign", eta=0.05)
    for x, rc in tv_summary(rs).rows.items():
        assert abs(rc.tv - (0.1 - rc.s0)) < 1e-15 and max(rc.factors) / min(rc.factors) - 1 < 1e-13


def test_gd_contraction_and_equal_rows():
    r = ppo_clip(two_one(), Fraction(1, 1000), [(0, 2), (2, 0)], Fraction(1, 20), Fraction(1, 2), inner="gd", eta=5)
    K0, K1 = r.initial, r.dense()
    kappa = log_ratio_contraction(r, 0)
    assert kappa == pytest.approx(math.log(K1[0, 1] / K1[0, 0]) / math.log(3), rel=1e-14)
    assert 0 < kappa < 1
    assert 0.5 * np.abs(K1[0] - K0[0]).sum() == pytest.approx(0.20043222334687646, rel=1e-12)  # spec 03: 0.2004
    with pytest.raises(MetacotError, match="fewer than two"):
        log_ratio_contraction(r, 2)
    rr = ppo_clip(ring(3, 3, 1), Fraction(1, 1000), list(ring(3, 3, 1).sparse_edges()), Fraction(1, 10),
                  Fraction(1, 2), inner="gd", eta=5)
    with pytest.raises(MetacotError, match="equal"):
        log_ratio_contraction(rr, 0)


def test_fine_tuned_family_is_the_prm_guided_chain():
    from metacot.numerics.algorithms.search import prm_guided

    chain = random_chain(11, [2, 3, 2])
    found = list(chain.sparse_edges())
    G = fine_tuned_family(chain, Fraction(1, 10**7), found, Fraction(1, 3), [Fraction(1, 100), Fraction(1, 50),
                                                                              Fraction(1, 20)])
    H = prm_guided(chain, found)
    for s in (Fraction(1, 7), Fraction(1, 1000)):
        assert G.kernel_exact(s) == H.kernel_exact(s)
    with pytest.raises(MetacotError, match="three distinct"):
        fine_tuned_family(chain, Fraction(1, 10**7), found, Fraction(1, 3), [Fraction(1, 100), Fraction(1, 50)])


def test_gd_drift_limit_extrapolation_against_full_ppo_runs():
    """gd_drift_tv_limit runs one row with effective step η·μ(x): the same TVs as ppo_clip on the chain with
    η = eta_mu/μ(0); the extrapolated limit is the conjectured TV(P0(0,·), (0.475, 0.475, 0.05)) = 11/40 within its
    error bar."""
    from metacot.numerics.algorithms.pretrain import stationary_law

    chain = two_one()
    eps_list = [Fraction(1, 200), Fraction(1, 2000), Fraction(1, 20000), Fraction(1, 200000)]
    v, err, tvs = gd_drift_tv_limit({0: Fraction(1, 4), 1: Fraction(3, 4)}, {2: 1}, eps_list, Fraction(1, 20),
                                    Fraction(1, 2), 2.0)
    for e, tv in zip(eps_list[:2], tvs[:2]):
        mu0 = stationary_law(chain.kernel(e).toarray())[0]
        r = ppo_clip(chain, e, [(0, 2)], Fraction(1, 20), Fraction(1, 2), inner="gd", eta=2.0 / mu0)
        assert 0.5 * np.abs(r.dense()[0] - r.initial[0]).sum() == pytest.approx(tv, rel=1e-9)
    assert all(a < b for a, b in zip(tvs, tvs[1:]))           # the dense law keeps contracting as s₀ → 0
    assert abs(v - 0.275) <= err < 0.01
    with pytest.raises(MetacotError, match="four"):
        gd_drift_tv_limit({0: Fraction(1, 2), 1: Fraction(1, 2)}, {2: 1}, [1e-2, 1e-3], 0.1, 0.5, 1.0)


def test_named_counterexample_chains_are_families():
    assert family_chain({"family": "two-one"}).kernel_exact(0) == two_one().kernel_exact(0)
    assert sorted(family_chain({"family": "tv-weighted-4"}).sparse_edges()) == [(0, 2), (3, 0)]


def test_float_row_engine_records_per_source_inner_steps():
    chain = ring(3, 3, 1)
    r = ppo_clip(chain, Fraction(1, 1000), list(chain.sparse_edges()), Fraction(1, 5), Fraction(1, 4), inner="sign",
                 eta=0.05)
    assert len(r.history.inner_steps_per_source) == len(r.history.found_mass) == r.iterations
    first = r.history.inner_steps_per_source[0]
    assert set(first) == {0, 3, 6} and r.history.inner_steps[0] == max(first.values())
    # first iteration from s = 1e-3, h = 2η = 0.1: k* = ⌈δ/h⌉ with e^δ = 1.25·0.999/(1 − 1.25e-3) → δ = 0.22339
    assert first[0] == 3
