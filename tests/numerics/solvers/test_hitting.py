"""Hitting-time engine: every pair of methods agrees (exact, laurent, mp, float dense/sparse), spec-06 traps,
probabilities / exit times / stationary laws, the hitting.* claims, and the `hitting` / `asymptotics` CLI."""
import json
import math
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metacot.numerics.solvers.hitting as H
import metacot.numerics.solvers.reduction as L
from metacot.numerics.chain import Chain
from metacot.numerics.cli.main import main
from metacot.numerics.errors import EpsilonError, MetacotError, UnreachableTargetError
from metacot.numerics.families import random_chain, ring
from metacot.numerics.io import save_chain
from strategies import chains, eps_decades, rel_to_exact as _rel

# Tolerances.
FLOAT_REL = 1e-12   # spec 06 / issue 3: float state reduction keeps relative error <= 1e-12 at every eps
MP_REL = 1e-40      # dps = 50: ~n·1e-50 rounding; 1e-40 leaves ten digits of room


def _clamp(chain, eps):
    return eps if eps <= chain.eps_max else chain.eps_max / 2


def _assert_agree(exact, other, tol):
    for a, b in zip(other, exact):
        if b == 0 or b == math.inf:
            assert a == b or (b == math.inf and (a == math.inf or (isinstance(a, mpmath.mpf) and mpmath.isinf(a))))
            continue
        assert _rel(a, b) <= tol, (a, b)


# --------------------------------------------------------------------------- method agreement (properties)
@given(chains(), eps_decades(1, 40), st.data())
def test_exact_mp_float_laurent_agree(chain, eps, data):
    eps = _clamp(chain, eps)
    target = data.draw(st.integers(0, chain.n - 1))
    ex = H.expected_hitting_times(chain, target, eps, "exact")
    _assert_agree(ex, H.expected_hitting_times(chain, target, eps, "float"), FLOAT_REL)
    _assert_agree(ex, H.expected_hitting_times(chain, target, eps, "mp", dps=50), MP_REL)
    lau = H.expected_hitting_times(chain, target, eps, "laurent")
    assert [v for v in lau] == [v for v in ex]   # the rational function evaluated at eps is exact


@settings(max_examples=10)
@given(chains(), st.integers(41, 300), st.integers(1, 9))
def test_float_keeps_precision_down_to_1e300(chain, d, m):
    """Float vs 80-digit mp for eps = m·10^-d, d up to 300 (the float answer is ~1e300 in size)."""
    eps = _clamp(chain, F(m, 10**d))
    hm = H.expected_hitting_times(chain, chain.target, eps, "mp", dps=80)
    hf = H.expected_hitting_times(chain, chain.target, eps, "float")
    for a, b in zip(hf, hm):
        if b == 0 or mpmath.isinf(b):
            continue
        assert math.isfinite(a)
        with mpmath.workdps(80):
            assert float(abs(mpmath.mpf(a) - b) / b) <= FLOAT_REL


@settings(max_examples=12)
@given(chains(min_k=3, max_k=6, max_size=5), eps_decades(1, 30))
def test_sparse_path_agrees_with_exact(chain, eps):
    """Force the sparse clustered reduction (tiny dense thresholds) and compare with the exact answer."""
    eps = _clamp(chain, eps)
    old = H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX
    H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = 2, 3
    try:
        hf = H.expected_hitting_times(chain, chain.target, eps, "float")
    finally:
        H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = old
    _assert_agree(H.expected_hitting_times(chain, chain.target, eps, "exact"), hf, FLOAT_REL)


def test_sparse_multilevel_ring_matches_exact():
    """ring(150, 3) through the multi-level sparse reduction (forced small thresholds) vs the exact solver."""
    c = ring(150, 3)
    eps = F(1, 10**20)
    old = H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX
    H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = 10, 10
    try:
        hf = H.expected_hitting_times(c.to_float(), c.target, eps, "float")
    finally:
        H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = old
    ex = H.expected_hitting_times(c, c.target, eps, "exact")
    _assert_agree(ex, hf, FLOAT_REL)


def test_hitting_laurent_canonical_ring():
    co = H.laurent_coefficients(ring(4, 3, F(1, 2)), 0, ring(4, 3, F(1, 2)).target, order=1)
    assert co[-1] == 18       # (K−1)M/q
    assert set(co) == {-1, 0, 1}


# --------------------------------------------------------------------------- spec 06 regression traps
def test_two_state_stationary_trap():
    """[[1−a, a], [a/2, 1−a/2]] has π = (1/3, 2/3) for every a > 0; naive LU gives (0, 1) at a = 1e-17."""
    c = Chain.from_dense([[1.0, 0.0], [0.0, 1.0]], [[-1.0, 1.0], [0.5, -0.5]])
    pi = H.stationary_law(c, 1e-17, "float")
    assert np.allclose(pi, [1 / 3, 2 / 3], rtol=1e-15, atol=0)
    ce = Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], ["1/2", "-1/2"]])
    assert H.stationary_law(ce, "1e-17") == [F(1, 3), F(2, 3)]
    P = c.kernel_dense(1e-17)
    naive = np.linalg.solve(np.vstack([(P.T - np.eye(2))[:1], np.ones(2)]), [0.0, 1.0])
    assert abs(naive[0] - 1 / 3) > 0.1   # documents the trap the GTH path avoids


@pytest.mark.parametrize("a", [1e-6, 1e-9, 1e-15])
def test_sticky_states_are_not_absorbing(a):
    """Self-loops of 1 − a > 1 − 1e-5 must not be treated as absorbing: E_0[τ_1] = 1/a exactly for this chain."""
    c = Chain.from_dense([[1.0, 0.0], [0.0, 1.0]], [[-1.0, 1.0], [1.0, -1.0]])
    h = H.expected_hitting_times(c, 1, a, "float")
    assert abs(h[0] * a - 1) <= FLOAT_REL
    assert H.hitting_probabilities(c, 1, a, avoid=[], method="float")[0] == pytest.approx(1.0, abs=0, rel=1e-15)


def test_float_rows_renormalised_and_plain_solve_loses_precision():
    """At eps = 1e-14 plain LU on I − P loses ~1e-16/eps relative accuracy; state reduction does not."""
    c = random_chain(2, [2, 2], extra_edges=1)
    eps = F(1, 10**14)
    ex = H.expected_hitting_times(c, c.target, eps, "exact")
    hf = H.expected_hitting_times(c, c.target, eps, "float")
    _assert_agree(ex, hf, FLOAT_REL)


@pytest.mark.parametrize("K, M, decades", [(20000, 5, (8, 12, 250, 300)), (100, 20, (4, 20, 200, 300)),
                                            (1000, 20, (1, 10, 300))])
def test_long_rings_keep_a_few_roundings_at_every_eps(K, M, decades):
    """The sparse path (cluster interiors, log-depth rounds, double-double right-hand sides) on rings whose
    interface system is long: E_0[τ] = (K−1)·M/ε + K − M − 1 to within 4u at every ε. Budget: u/2 each for
    the rounding of ε and of 1/M in the input, u/2 for the result, 2u for the eliminated rates (measured
    worst over 12 decades: 1.9e-16 on the first two rings, 5.8e-16 on ring(1000, 20) at ε = 0.1, where the
    rates of 20-state clusters dominate — hence its 6u). Propagating the costs in float64 instead gives
    7.8e-16 on ring(20000, 5) at ε = 1e-8 and 1.2e-15 on ring(100, 20) at 1e-20 and 1e-200."""
    c = ring(K, M, exact=False)
    tol = (6 if M == 20 and K == 1000 else 4) * 2.0 ** -53
    for d in decades:
        eps = F(1, 10**d)
        h = H.expected_hitting_times(c, c.target, float(eps), "float")[c.start]
        assert _rel(h, (K - 1) * M / eps + K - M - 1) <= tol, (d, _rel(h, (K - 1) * M / eps + K - M - 1))


# --------------------------------------------------------------------------- probabilities, exits, stationary
@settings(max_examples=15)
@given(chains(), eps_decades(1, 25), st.data())
def test_hitting_probabilities_methods_and_complement(chain, eps, data):
    eps = _clamp(chain, eps)
    a = data.draw(st.integers(0, chain.n - 1))
    b = data.draw(st.integers(0, chain.n - 1).filter(lambda y: y != a))
    ex = H.hitting_probabilities(chain, a, eps, avoid=[b], method="exact")
    fl = H.hitting_probabilities(chain, a, eps, avoid=[b], method="float")
    mp = H.hitting_probabilities(chain, a, eps, avoid=[b], method="mp")
    for e_, f_, m_ in zip(ex, fl, mp):
        assert abs(float(e_) - f_) <= FLOAT_REL * max(float(e_), 1e-300) or (e_ == 0 and f_ == 0)
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(e_.numerator) / e_.denominator - m_) <= 1e-40
    other = H.hitting_probabilities(chain, b, eps, avoid=[a], method="exact")
    # random chains are irreducible for eps > 0: a or b is hit a.s., so the two probabilities sum to 1
    assert all(u + v == 1 for u, v in zip(ex, other))


def test_exit_times_and_mean_exit_time():
    c = random_chain(5, [3, 2, 2])
    eps = F(1, 1000)
    outside = [x for x in range(c.n) if c.cluster_of[x] != 0]
    h = H.expected_hitting_times(c, outside, eps, "exact")
    assert H.exit_times(c, 0, eps, "exact") == [h[x] for x in c.clusters[0]]
    m = H.mean_exit_time(c, 0, eps, "exact")
    assert abs(H.mean_exit_time(c, 0, eps, "float") / float(m) - 1) <= FLOAT_REL
    from metacot.numerics.solvers.meta_chain import escape_rates

    # ε·E_π[σ_0] → 1/λ_0: the exact value at ε = 1e-9 is within O(ε) of it
    m9 = H.mean_exit_time(c, 0, F(1, 10**9), "exact")
    assert abs(F(1, 10**9) * m9 * escape_rates(c)[0] - 1) < F(1, 10**6)
    with pytest.raises(MetacotError, match="unknown cluster"):
        H.exit_times(c, 7, eps)


@settings(max_examples=15)
@given(chains(), eps_decades(1, 40))
def test_stationary_methods_agree(chain, eps):
    eps = _clamp(chain, eps)
    ex = H.stationary_law(chain, eps, "exact")
    assert sum(ex) == 1
    fl = H.stationary_law(chain, eps, "float")
    for a, b in zip(fl, ex):
        assert _rel(a, b) <= FLOAT_REL


# --------------------------------------------------------------------------- errors
def test_bad_inputs_raise_one_line_errors():
    c = ring(3, 2)
    with pytest.raises(MetacotError, match="unknown method"):
        H.expected_hitting_times(c, 5, F(1, 10), "magic")
    with pytest.raises(MetacotError, match="unknown target"):
        H.expected_hitting_times(c, 99, F(1, 10))
    with pytest.raises(EpsilonError):
        H.expected_hitting_times(c, 5, F(2))
    with pytest.raises(MetacotError, match="exact"):
        H.expected_hitting_times(c.to_float(), 5, F(1, 10), "exact")
    split = Chain.from_dense([[1, 0], [0, 1]], [[0, 0], [0, 0]])
    assert H.expected_hitting_times(split, 1, F(1, 10))[0] == math.inf
    assert H.expected_hitting_times(split, 1, 0.1, "float")[0] == math.inf
    with pytest.raises(UnreachableTargetError):
        H.hitting_time(split, 0, 1, F(1, 10))


# --------------------------------------------------------------------------- claims
@pytest.mark.parametrize("cid", ["hitting.leading-order", "hitting.canonical", "hitting.task-difficulty"])
def test_exact_claims_hold_on_quick_instances(cid):
    from metacot.numerics.verify.registry import load_builtin_claims
    from metacot.numerics.verify.runner import run_claims

    rep = run_claims([load_builtin_claims()[cid]], quick=True)[0]
    assert rep.results and all(r.verdict == "holds" for r in rep.results), [(r.id, r.verdict) for r in rep.results]


# --------------------------------------------------------------------------- CLI
def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ring_file(tmp_path):
    p = tmp_path / "ring.json"
    save_chain(ring(3, 2), str(p))
    return p


def test_cli_hitting_exact_json(capsys, ring_file):
    code, out, _ = run(capsys, "hitting", ring_file, "--start", 0, "--target", 5, "--eps", "1e-30", "--json")
    d = json.loads(out)
    assert code == 0 and d["method"] == "exact" and d["error_estimate"] is None
    assert F(d["value"]) == H.hitting_time(ring(3, 2), 0, 5, F(1, 10**30), "exact")
    code, out, _ = run(capsys, "hitting", ring_file, "--start", 0, "--target", 5, "--eps", "1/1000")
    assert code == 0 and "4000" in out


@pytest.mark.parametrize("method", ["float", "mp"])
def test_cli_hitting_numeric_methods(capsys, ring_file, method):
    code, out, _ = run(capsys, "hitting", ring_file, "--start", 0, "--target", 5, "--eps", "1e-30",
                       "--method", method, "--json")
    d = json.loads(out)
    assert code == 0 and d["method"] == method
    assert abs(float(d["value"]) / 4e30 - 1) <= FLOAT_REL and d["error_estimate"] > 0


def test_cli_hitting_mc(capsys, ring_file):
    code, out, _ = run(capsys, "hitting", ring_file, "--start", 0, "--target", 5, "--eps", "1/100",
                       "--method", "mc", "--seed", 3, "--walkers", 4000, "--json")
    d = json.loads(out)
    exact = float(H.hitting_time(ring(3, 2), 0, 5, F(1, 100)))
    assert code == 0 and abs(float(d["value"]) - exact) <= 4 * d["error_estimate"]   # 4 standard errors
    code2, out2, _ = run(capsys, "hitting", ring_file, "--start", 0, "--target", 5, "--eps", "1/100",
                         "--method", "mc", "--seed", 3, "--walkers", 4000, "--json")
    assert out2 == out   # same seed, same output


def test_cli_asymptotics(capsys, tmp_path):
    c = random_chain(3, [2, 3, 2])
    p = tmp_path / "r.json"
    save_chain(c, str(p))
    code, out, _ = run(capsys, "asymptotics", p, "--start", 0, "--target", c.target, "--json")
    d = json.loads(out)
    co = H.laurent_coefficients(c, 0, c.target, 0)
    assert code == 0 and d["coefficients"]["-1"] == str(co[-1]) and d["coefficients"]["0"] == str(co[0])
    assert d["h_meta"] == d["coefficients"]["-1"] and d["leading_equals_h_meta"] is True
    code, out, _ = run(capsys, "asymptotics", p)
    assert code == 0 and "h_meta" in out


@pytest.mark.parametrize("argv,fragment", [
    (["--start", "0", "--target", "5"], "needs --eps"),
    (["--start", "0", "--target", "5", "--eps", "2"], "outside the valid range"),
    (["--start", "0", "--target", "5", "--eps", "0"], "outside the valid range"),
    (["--start", "9", "--target", "5", "--eps", "1/10"], "unknown start state 9"),
    (["--start", "0", "--target", "-1", "--eps", "1/10"], "unknown target state -1"),
    (["--start", "0", "--target", "5", "--eps", "abc"], "cannot parse"),
])
def test_cli_hitting_bad_input_exit_2(capsys, ring_file, argv, fragment):
    code, out, err = run(capsys, "hitting", ring_file, *argv)
    assert code == 2 and err.startswith("error: ") and fragment in err and err.count("\n") == 1


def test_cli_unreachable_target_exit_2(capsys, tmp_path):
    p = tmp_path / "split.json"
    save_chain(Chain.from_dense([[1, 0], [0, 1]], [[0, 0], [0, 0]]), str(p))
    code, _, err = run(capsys, "hitting", p, "--start", 0, "--target", 1, "--eps", "1/10")
    assert code == 2 and "not reached almost surely" in err
    code, _, err = run(capsys, "asymptotics", p, "--start", 0, "--target", 1)
    assert code == 2 and err.startswith("error: ")
