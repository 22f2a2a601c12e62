"""Exact SQ quantities (numerics/lower_bounds/sq.py) against closed forms (theory/lower_bounds.py), brute force and a
second enumeration method; the `lower-bound` CLI."""
import itertools
import json
import math
import time
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from metacot.numerics.cli.main import main
from metacot.numerics.errors import MetacotError
from metacot.numerics.lower_bounds.groups import S3, Z2
from metacot.numerics.lower_bounds.sq import (access_level_dimensions, access_levels_dimensions, average_correlation,
                                              check_m, correlation_matrix, correlation_matrix_direct, max_row_abs_sum,
                                              popcount, query_lower_bound, restrict, sda, simulate_learners,
                                              sq_dimension, success_upper_bound)
from metacot.theory import lower_bounds as th
from metacot.theory.symbols import m as sm, tau as stau


def parity_closed_sda(m, gamma):
    return int(th.sda_parity.subs({sm: m, th.gamma_bar: sp.Rational(gamma.numerator, gamma.denominator)}))


@pytest.mark.parametrize("m", range(1, 9))
def test_parity_enumeration_against_closed_forms(m):
    c = correlation_matrix("z2", m)
    N = 1 << m
    assert np.array_equal(c.num, N * np.eye(N, dtype=np.int64))  # χ(S,T) = δ_ST exactly
    sq = sq_dimension(c)
    assert sq.exact and sq.lower == int(th.sq_dim_parity.subs(sm, m)) == N
    for gamma in (Fraction(1, 16), Fraction(1, 4), Fraction(2, 7), Fraction(1, 3), Fraction(1, 100)):
        r = sda(c, gamma)
        assert r.exact and r.lower == parity_closed_sda(m, gamma)
        assert r.max_eliminated == min(N, math.ceil(1 / gamma) - 1)
    tau = Fraction(1, 4)
    qb = query_lower_bound(N, sda(c, tau * tau).max_eliminated)
    assert qb == int(th.query_bound_parity.subs({sm: m, stau: sp.Rational(1, 4)}))


@pytest.mark.parametrize("group,m", [("z2", 5), ("z2", 7), ("s3", 3), ("s3", 5), ("s3", 6)])
def test_fast_enumeration_matches_direct_products(group, m):
    a, b = correlation_matrix(group, m), correlation_matrix_direct(group, m)
    assert np.array_equal(a.num, b.num) and a.den == b.den


def brute_force_sda(c, gamma):
    """SDA by its definition: enumerate every subset (N ≤ 16)."""
    N = c.N
    rho_max = {}
    for s in range(1, N + 1):
        rho_max[s] = max(average_correlation(c, A) for A in itertools.combinations(range(N), s))
    d = 0
    while True:
        need = [s for s in range(1, N + 1) if s >= Fraction(N, d + 1)]
        if d + 1 > 10 * N or not all(rho_max[s] <= gamma for s in need):
            return d if d + 1 <= 10 * N else math.inf
        d += 1


@pytest.mark.parametrize("group,m,gamma", [("s3", 2, Fraction(1)), ("s3", 3, Fraction(1)), ("s3", 3, Fraction(3)),
                                           ("s3", 3, Fraction(7, 4)), ("z2", 3, Fraction(1, 3)),
                                           ("z2", 2, Fraction(1, 2))])
def test_sda_bracket_contains_brute_force(group, m, gamma):
    c = correlation_matrix(group, m)
    r = sda(c, gamma)
    exact = brute_force_sda(c, gamma)
    assert r.lower <= exact <= r.upper


def brute_force_sda_search(c, gamma):
    """Search-problem form of SDA by its definition (exact identification, N ≤ 8): the largest d ≤ N such that
    for every target S, every A ⊆ C ∖ {S} with |A| ≥ (N − 1)/d has ρ(A) ≤ γ̄."""
    N = c.N
    rho_max = {s: max(average_correlation(c, A) for S in range(N)
                      for A in itertools.combinations([T for T in range(N) if T != S], s)) for s in range(1, N)}
    best = 0
    for d in range(1, N + 1):  # |D_f| = N − 1 ≥ (1 − 1/d)·N  ⇔  d ≤ N
        if all(rho_max[s] <= gamma for s in range(1, N) if s * d >= N - 1):
            best = d
    return best


@pytest.mark.parametrize("group,m,gamma", [("z2", 2, Fraction(1, 4)), ("z2", 3, Fraction(1, 8)),
                                           ("z2", 3, Fraction(1, 2)), ("z2", 3, Fraction(1, 3)),
                                           ("s3", 2, Fraction(1)), ("s3", 3, Fraction(7, 4))])
def test_sda_search_form(group, m, gamma):
    """The search form (subsets avoiding the target, threshold (N−1)/d) against brute force; for parities it
    equals the closed form sda_parity_search, which is one below the decision form exactly when
    ⌈1/γ̄⌉ − 1 divides 2^m − 1 (the first three cases), and query_bound_parity = sda_parity_search + 1."""
    c = correlation_matrix(group, m)
    r = sda(c, gamma)
    exact = brute_force_sda_search(c, gamma)
    assert r.search_lower <= exact
    if group == "z2":
        g = sp.Rational(gamma.numerator, gamma.denominator)
        closed = int(th.sda_parity_search.subs({sm: m, th.gamma_bar: g}))
        assert r.search_lower == exact == closed
        divides = (2**m - 1) % (math.ceil(1 / gamma) - 1) == 0
        assert r.lower - exact == (1 if divides else 0)


def test_sda_forms_and_query_bound_closed_forms():
    """Numbers reported in the book (γ̄ = τ² = 1/16): decision form, search form, query bound, m = 1..12."""
    g, t = sp.Rational(1, 16), sp.Rational(1, 4)
    dec = [int(th.sda_parity.subs({sm: k, th.gamma_bar: g})) for k in range(1, 13)]
    sea = [int(th.sda_parity_search.subs({sm: k, th.gamma_bar: g})) for k in range(1, 13)]
    qb = [int(th.query_bound_parity.subs({sm: k, stau: t})) for k in range(1, 13)]
    assert dec == [0, 0, 0, 1, 2, 4, 8, 17, 34, 68, 136, 273]
    assert sea == [0, 0, 0, 0, 2, 4, 8, 16, 34, 68, 136, 272]
    assert qb == [s + 1 for s in sea]


def brute_force_sq_dim(c):
    N = c.N
    best = 1
    for d in range(2, N + 1):
        for A in itertools.combinations(range(N), d):
            if all(abs(int(c.num[i, j])) * d <= c.den for i in A for j in A if i != j):
                best = d
                break
    return best


@pytest.mark.parametrize("m", [1, 2, 3])
def test_sq_dimension_bracket_s3(m):
    c = correlation_matrix("s3", m)
    b = sq_dimension(c)
    assert b.lower <= brute_force_sq_dim(c) <= b.upper


labels_strategy = st.integers(1, 6).flatmap(
    lambda m: st.tuples(st.just(m), st.lists(st.integers(1, 5), min_size=m, max_size=m)))


@given(labels_strategy)
def test_correlation_properties_s3(ml):
    m, idx = ml
    labels = [S3.element(i) for i in idx]
    c = correlation_matrix(S3, m, labels)
    assert np.array_equal(c.num, c.num.T)                       # symmetric
    assert np.all(np.diag(c.num) == 5 * c.den)                 # χ(S,S) = |G| − 1
    # normalised correlation χ/(|G|−1) lies in [−1/(|G|−1), 1]: bounded by 1
    assert np.all(c.num <= 5 * c.den) and np.all(c.num >= -c.den)
    assert max_row_abs_sum(c) >= 5


@given(st.integers(1, 8))
def test_parity_offdiagonal_exactly_zero(m):
    c = correlation_matrix(Z2, m)
    off = c.num - np.diag(np.diag(c.num))
    assert not off.any()
    assert np.array_equal(c.num, c.num.T) and np.all(np.abs(c.num) <= c.den)


def test_s3_rowsum_conjecture_small_m():
    for m in range(1, 9):
        R = max_row_abs_sum(correlation_matrix("s3", m))
        assert R <= Fraction(7) * Fraction(3, 2) ** (m - 1)


def test_m12_parity_enumeration(capsys):
    t0 = time.perf_counter()
    c = correlation_matrix("z2", 12)
    t1 = time.perf_counter()
    assert np.array_equal(c.num, 4096 * np.eye(4096, dtype=np.int64))
    r = sda(c, Fraction(1, 16))
    assert r.exact and r.lower == 273 == parity_closed_sda(12, Fraction(1, 16))
    with capsys.disabled():
        print(f"\n[m=12 parity: correlations {t1 - t0:.2f} s, SDA {time.perf_counter() - t1:.2f} s]")


def test_popcount_and_helpers():
    a = np.arange(1 << 10)
    assert np.array_equal(popcount(a), np.array([bin(int(x)).count("1") for x in a]))
    assert query_lower_bound(4096, 15) == 273
    assert success_upper_bound(256, 15, 0) == Fraction(1, 256)
    assert success_upper_bound(256, 15, 100) == 1
    with pytest.raises(MetacotError):
        check_m(13)
    with pytest.raises(MetacotError):
        check_m(0)
    with pytest.raises(MetacotError):
        check_m(2.5)


def test_learner_simulation():
    a = simulate_learners(6, Fraction(1, 4), seed=11)
    b = simulate_learners(6, Fraction(1, 4), seed=11)
    assert a.sweep_success == b.sweep_success
    assert all(s <= bnd for s, bnd in zip(a.sweep_success, a.bound))
    # the sweep learner with q queries succeeds on exactly q + 1 targets (q found + 1 lucky guess)
    assert a.sweep_success == [Fraction(min(q + 1, 64), 64) for q in a.budgets]
    assert a.e_max == 15 and a.query_bound == 5
    with pytest.raises(MetacotError):
        simulate_learners(6, Fraction(1, 2))


def run_cli(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_json(capsys):
    rc, out, err = run_cli(capsys, "lower-bound", "--m", "6", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert {"sq_dimension", "sda", "query_bound", "formula"} <= set(d)
    assert (d["sq_dimension"], d["sda"], d["query_bound"]) == (64, 4, 5)
    assert d["formula_value"] == {"sq_dimension": 64, "sda": 4, "query_bound": 5}
    assert "2**m" in d["formula"]["sq_dimension"]


def test_cli_text_and_s3(capsys):
    rc, out, _ = run_cli(capsys, "lower-bound", "--m", "10")
    assert rc == 0 and "1024" in out and "68" in out and "69" in out
    rc, out, err = run_cli(capsys, "lower-bound", "--m", "5", "--group", "s3", "--tau", "1/2", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["group"] == "S3" and d["gamma"] == "1/4"


@pytest.mark.parametrize("argv,msg", [(["--m", "0"], "at least 1"), (["--m", "13"], "too large"),
                                      (["--m", "4", "--group", "a5"], "unknown group"),
                                      (["--m", "4", "--tau", "3/2"], "tau")])
def test_cli_bad_input(capsys, argv, msg):
    rc, out, err = run_cli(capsys, "lower-bound", *argv)
    assert rc == 2 and err.startswith("error:") and msg in err and out == ""


def test_restrict_is_the_submatrix():
    c = correlation_matrix("s3", 3)
    sub = restrict(c, [5, 1, 2])
    assert sub.N == 3 and sub.entry(0, 1) == c.entry(5, 1) and sub.entry(2, 2) == c.entry(2, 2)
    with pytest.raises(MetacotError):
        restrict(c, [])
    with pytest.raises(MetacotError):
        restrict(c, [8])


@pytest.mark.parametrize("m", [1, 3, 5])
def test_access_levels_against_closed_forms(m):
    """(1)–(3): the whole parity class (SQ-DIM 2^m, SDA closed form); (4): singletons (SQ-DIM 1, SDA 0), i.e. the
    SDA of a one-concept class: ρ({S}) = 1 > γ̄ for every γ̄ < 1, so no d ≥ 1 qualifies."""
    g = Fraction(1, 4)
    dims = access_levels_dimensions(m, ["none", "path", "local", "global"], g)
    for d in dims[:3]:
        assert (d.n_views, d.largest_class) == (1, 2 ** m)
        assert d.sq_dimension.exact and d.sq_dimension.lower == 2 ** m
        assert d.sda.exact and d.sda.lower == parity_closed_sda(m, g)
    d4 = dims[3]
    assert (d4.n_views, d4.largest_class, d4.sq_dimension.lower, d4.sda.lower, d4.sda.upper) == (2 ** m, 1, 1, 0, 0)
    one = access_level_dimensions(m, "local", g, view_radius=2)      # beyond the construction's radius r = 1
    assert one.n_views == 2 ** m and one.sq_dimension.lower == 1
    single = sda(restrict(correlation_matrix("z2", m), [0]), g)
    assert (single.lower, single.upper) == (0, 0)


def test_max_offdiagonal_correlation_against_the_matrix():
    from metacot.numerics.lower_bounds.sq import max_offdiagonal_correlation

    for group, m in (("z2", 6), ("s3", 4)):
        c = correlation_matrix(group, m)
        F = c.as_fractions()
        assert max_offdiagonal_correlation(c) == max(abs(F[i][j]) for i in range(c.N) for j in range(c.N) if i != j)
    assert max_offdiagonal_correlation(restrict(correlation_matrix("s3", 2), [1])) == 0
