"""User conjectures (metacot.numerics.verify.conjectures), `metacot refute`, and the worked examples (issue 9)."""
import json
import os
import textwrap
from fractions import Fraction

import pytest
import sympy as sp

from metacot.numerics.cli.main import main
from metacot.numerics.verify.conjectures import (ConjectureError, chain_from_spec, claim, define_conjecture, grid,
                                                 search_counterexample)
from metacot.numerics.verify.evidence import decide
from metacot.numerics.verify.runner import run_claims
from metacot.numerics.families import ring
from metacot.numerics.solvers.hitting import hitting_time, laurent_coefficients
from metacot.numerics.io import load_chain
from metacot.numerics.solvers.meta_chain import meta_hitting_times
from metacot.numerics.verify.registry import REGISTRY, load_builtin_claims
from metacot.theory.symbols import E_tau, K, M, eps, q

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXAMPLES = os.path.join(ROOT, "examples", "conjectures.py")


@pytest.fixture(autouse=True)
def _isolated_registry():
    """Claims and user modules registered by a test are removed afterwards, so other test files that run
    every registered claim never see the examples (one of which fails on purpose) or the test claims."""
    import sys

    load_builtin_claims()
    saved, mods = dict(REGISTRY), set(sys.modules)
    yield
    REGISTRY.clear()
    REGISTRY.update(saved)
    for name in set(sys.modules) - mods:
        if name.startswith("metacot_user_"):
            del sys.modules[name]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ring_closed_form(K, M, q, eps):
    """The derived closed form E[τ] = (K−1)M/(qε) + K − M − 1 for ring(K, M, q), M ≥ 2 (examples/conjectures.py)."""
    return Fraction((K - 1) * M) / (Fraction(q) * eps) + (K - M - 1)


# ------------------------------------------------------------------- the derived closed form itself
@pytest.mark.parametrize("K, M, q", [(2, 2, 1), (4, 3, 1), (8, 5, 1), (5, 2, Fraction(1, 2)), (3, 4, 3)])
def test_ring_closed_form_against_exact_solver_at_finite_eps(K, M, q):
    # independent of the Laurent machinery: exact rational linear solve at three finite ε values;
    # the derivation says the expansion terminates, so equality must be exact at every ε.
    chain = ring(K, M, q)
    for e in (Fraction(1, 7), Fraction(1, 1000), Fraction(1, 10**25)):
        e = min(e, chain.eps_max)
        assert hitting_time(chain, chain.start, chain.target, e, method="exact") == ring_closed_form(K, M, q, e)


def test_ring_laurent_values_from_the_brief():
    assert laurent_coefficients(ring(8, 5, 1), 0, ring(8, 5, 1).target, order=0) == {-1: 35, 0: 2}
    assert laurent_coefficients(ring(4, 3, 1), 0, ring(4, 3, 1).target, order=0) == {-1: 9, 0: 0}
    # M = 1 is outside the formula's domain: there a_0 = 0, not K − M − 1 (the entry state is the source)
    c = ring(5, 1, 1)
    assert laurent_coefficients(c, c.start, c.target, order=2) == {-1: 4, 0: 0, 1: 0, 2: 0}


# ------------------------------------------------------------------------ the examples through the CLI
def test_example_true_conjecture_verifies_exactly(capsys):
    code, out, err = run(capsys, "verify", "--module", EXAMPLES, "--claim", "example.ring-eps0", "--jobs", "1",
                         "--json", "-")
    assert code == 0, err
    rep = json.loads(out)
    (c,) = rep["claims"]
    assert c["verdict"] == "holds" and len(c["instances"]) == 45
    for inst in c["instances"]:
        p = inst["params"]
        assert inst["verdict"] == "holds" and inst["error"] == "0"
        assert inst["predicted"] == str(p["K"] - p["M"] - 1) == inst["measured"]
    code, out, _ = run(capsys, "claims", "--module", EXAMPLES)
    assert code == 0 and "example.ring-eps0" in out and "Eq(a_0, K - M - 1)" in out


def test_example_false_conjecture_fails_where_the_closed_form_says(capsys):
    code, out, _ = run(capsys, "verify", "--module", EXAMPLES, "--claim", "example.eps-meta-upper-bound",
                       "--jobs", "1", "--json", "-")
    assert code == 1
    (c,) = json.loads(out)["claims"]
    assert c["verdict"] == "fails"
    for inst in c["instances"]:
        chain = inst["params"]["chain"]
        eps = Fraction(inst["params"]["eps"])
        if chain.startswith("ring("):
            Kk, Mm, _ = (int(t) for t in chain[5:-1].split(","))
            # ε·E[τ] − h^meta = ε·(K − M − 1) exactly (closed form): fails iff K > M + 1
            assert Fraction(inst["measured"]) - Fraction(inst["predicted"]) == eps * (Kk - Mm - 1)
            assert inst["verdict"] == ("fails" if Kk > Mm + 1 else "holds")


def test_verify_text_table_lists_both_examples(capsys):
    code, out, _ = run(capsys, "verify", "--module", EXAMPLES, "--claim", "example.*", "--quick", "--jobs", "1")
    assert code == 1
    assert "example.ring-eps0" in out and "example.eps-meta-upper-bound: expect holds, outcome FAILS" in out


# ------------------------------------------------------------------------------------------- refute
def test_refute_finds_the_false_example_deterministically(tmp_path, capsys):
    out1 = tmp_path / "ce.json"
    argv = ["refute", "example.eps-meta-upper-bound", "--module", EXAMPLES, "--seed", "0",
            "--max-examples", "50", "--out", out1, "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 1, err
    rep = json.loads(out)
    assert rep["found"] and rep["examples_tried"] <= 50 and rep["chain_file"] == str(out1)
    again = json.loads(run(capsys, *argv)[1])
    assert again == rep  # same seed => same search, same shrunk counterexample
    # the saved chain is a valid chain file; recompute the violation independently from it
    chain = load_chain(out1)
    eps = Fraction(rep["counterexample"]["params"]["eps"])
    assert chain.n <= 4  # shrunk: the minimal counterexample has 3 states (sizes [1, 2])
    lhs = eps * hitting_time(chain, chain.start, chain.target, eps, method="exact")
    k, l = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
    h = meta_hitting_times(chain)[k][l]
    assert lhs > h
    assert Fraction(rep["counterexample"]["measured"]) == lhs and Fraction(rep["counterexample"]["predicted"]) == h
    # the file is accepted by the other subcommands
    code, out, _ = run(capsys, "meta", out1, "--json")
    assert code == 0 and json.loads(out)["h_meta"][k][l] == str(h)


def test_refute_seed0_counterexample_is_the_three_state_chain(tmp_path, capsys):
    # documents the counterexample shown in book/extending.md: C_1 = {0}, C_2 = {1, 2}, 0 <-> 1 sparse,
    # target 2, ε = 1/10: E_0[τ] = 1/ε + 4/(1 − ε) = 130/9, so ε·E[τ] = 13/9 > h^meta = 1.
    p = tmp_path / "ce.json"
    code, out, _ = run(capsys, "refute", "example.eps-meta-upper-bound", "--module", EXAMPLES, "--seed", "0",
                       "--out", p)
    assert code == 1
    assert "COUNTEREXAMPLE after" in out and "13/9" in out and f"wrote the chain to {p}" in out
    chain = load_chain(p)
    assert chain.clusters == [[0], [1, 2]] and chain.target == 2
    eps = Fraction(1, 10)
    assert hitting_time(chain, 0, 2, eps, method="exact") == 1 / eps + 4 / (1 - eps)


def test_refute_true_example_finds_nothing(capsys):
    code, out, err = run(capsys, "refute", "example.ring-eps0", "--module", EXAMPLES, "--seed", "3",
                         "--max-examples", "30")
    assert code == 0, err
    assert "no counterexample: 30 examples tried" in out


def test_refute_builtin_true_claim_finds_nothing(capsys):
    code, out, err = run(capsys, "refute", "hitting.leading-order", "--max-examples", "4")
    assert code == 0, err
    assert "no counterexample" in out and "instance grid" in out


def test_refute_grid_claim_reports_smallest_failing_instance_with_chain(tmp_path, capsys):
    cid = "test.false-grid-claim"
    if cid not in REGISTRY:
        # "E[τ] ≤ (K−1)M/(qε)" on rings at ε = 1/10: false iff K > M + 1
        c = claim(id=cid, paper="test", statement=sp.Le(E_tau, (K - 1) * M / (q * eps)))

        @c.part("exact", instances=[{"family": "ring", "K": k, "M": m} for k in (6, 4, 3) for m in (3, 2)])
        def _ring(family, K, M):
            ch = ring(K, M, 1)
            return {E_tau: hitting_time(ch, ch.start, ch.target, Fraction(1, 10), method="exact"), q: 1,
                    eps: Fraction(1, 10)}
    p = tmp_path / "g.json"
    code, out, _ = run(capsys, "refute", cid, "--out", p, "--json")
    rep = json.loads(out)
    assert code == 1 and rep["method"] == "grid" and rep["examples_tried"] == 6
    assert rep["counterexample"]["params"] == {"family": "ring", "K": 4, "M": 2}  # fewest states among K > M+1
    assert load_chain(p).n == 8


def test_verify_search_only_conjecture_runs_a_seeded_search(tmp_path, capsys):
    mod = tmp_path / "search_only.py"
    mod.write_text(textwrap.dedent("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import conjecture, chains_with_eps
        from metacot.numerics.solvers.hitting import hitting_time
        from metacot.numerics.solvers.meta_chain import meta_hitting_times
        from metacot.theory.symbols import eps, E_tau, h_meta

        @conjecture(id="tmp.search-only", statement=sp.Le(eps * E_tau, h_meta), search=chains_with_eps(),
                    verify_examples=(20, 20))
        def f(chain, eps):
            k, l = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
            return {"E_tau": hitting_time(chain, chain.start, chain.target, eps, method="exact"),
                    "h_meta": meta_hitting_times(chain)[k][l]}
    """))
    code, out, _ = run(capsys, "verify", "--module", mod, "--claim", "tmp.search-only", "--jobs", "1", "--json", "-")
    (c,) = json.loads(out)["claims"]
    assert code == 1 and c["verdict"] == "fails"
    assert c["instances"][0]["note"].startswith("counterexample after")


# ---------------------------------------------------------------------------- malformed user modules
BAD_MODULES = {
    "import_error": ("import nonexistent_module_xyz\n", "ModuleNotFoundError"),
    "syntax_error": ("def f(:\n", "SyntaxError"),
    "no_claims": ("x = 1\n", "registers no claims"),
    "missing_statement": ("""
        from metacot.numerics.verify.conjectures import conjecture
        @conjecture(id="bad.a", grid=[{"K": 2}])
        def f(K):
            return {}
    """, "missing required field 'statement'"),
    "missing_domain": ("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import conjecture
        from metacot.theory.symbols import K
        @conjecture(id="bad.b", statement=sp.Eq(sp.Symbol("x"), K))
        def f(K):
            return {}
    """, "missing domain"),
    "not_a_relation": ("""
        from metacot.numerics.verify.conjectures import conjecture
        from metacot.theory.symbols import K
        @conjecture(id="bad.c", statement=K + 1, grid=[{"K": 2}])
        def f(K):
            return {}
    """, "statement must be a sympy relation"),
    "relation_already_decided": ("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import conjecture
        @conjecture(id="bad.d", statement=sp.Eq(1, 2), grid=[{"K": 2}])
        def f(K):
            return {}
    """, "evaluated to False before any measurement"),
    "duplicate_id": ("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import define_conjecture
        from metacot.theory.symbols import K
        for _ in range(2):
            define_conjecture("bad.dup", sp.Eq(sp.Symbol("x"), K), lambda K: {"x": K}, grid=[{"K": 2}])
    """, "already registered"),
    "raw_claim_bad_statement": ("""
        from metacot.numerics.verify.conjectures import claim
        c = claim(id="bad.raw", statement="a < b")
    """, "statement must be a sympy relation"),
    "claim_without_parts": ("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import claim
        c = claim(id="bad.noparts", statement=sp.Eq(sp.Symbol("x"), 1))
    """, "no parts"),
    "tolerance_without_reason": ("""
        import sympy as sp
        from metacot.numerics.verify.conjectures import conjecture
        from metacot.theory.symbols import K
        @conjecture(id="bad.tol", statement=sp.Eq(sp.Symbol("x"), K), grid=[{"K": 2}], tolerance="1e-9")
        def f(K):
            return {"x": K}
    """, "tolerance_note"),
}


@pytest.mark.parametrize("name", sorted(BAD_MODULES))
@pytest.mark.parametrize("command", ["verify", "refute"])
def test_malformed_module_one_line_error_exit_2(tmp_path, capsys, name, command):
    src, fragment = BAD_MODULES[name]
    mod = tmp_path / f"{name}.py"
    mod.write_text(textwrap.dedent(src))
    before = set(load_builtin_claims())
    argv = ["verify", "--module", mod, "--jobs", "1"] if command == "verify" else ["refute", "bad.a", "--module", mod]
    code, out, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
    assert "Traceback" not in err
    assert set(REGISTRY) == before  # a failing module leaves no half-registered claims behind


def test_missing_module_file(capsys):
    code, _, err = run(capsys, "refute", "x", "--module", "/nonexistent/conj.py")
    assert code == 2 and err.startswith("error: module not found")


def test_refute_errors(capsys, tmp_path):
    code, _, err = run(capsys, "refute", "no.such.claim")
    assert code == 2 and "unknown claim" in err
    code, _, err = run(capsys, "refute", "example.ring-eps0", "--module", EXAMPLES, "--max-examples", "0")
    assert code == 2 and "--max-examples" in err
    mod = tmp_path / "unvalued.py"
    mod.write_text(textwrap.dedent("""
        import sympy as sp
        from hypothesis import strategies as st
        from metacot.numerics.verify.conjectures import conjecture
        from metacot.theory.symbols import K
        @conjecture(id="tmp.unvalued", statement=sp.Le(sp.Symbol("x"), K), search={"K": st.integers(2, 3)})
        def f(K):
            return {}
    """))
    code, out, err = run(capsys, "refute", "tmp.unvalued", "--module", mod)
    # every point is inconclusive (the statement's x has no value): nothing is found, and the report says so
    assert code == 0 and "no counterexample" in out and "could not generate valid examples" in out


# ---------------------------------------------------------------------------------- API semantics
def test_decide_relations_exact():
    a, b = sp.symbols("a b")
    assert decide(sp.Le(a, b), {a: Fraction(1), b: Fraction(1)}).verdict == "holds"
    assert decide(sp.Lt(a, b), {a: Fraction(1), b: Fraction(1)}).verdict == "fails"  # equality violates strictness
    r = decide(sp.Ge(a, b), {a: Fraction(1, 3), b: Fraction(1, 2)})
    assert r.verdict == "fails" and r.error == Fraction(-1, 6) and r.slack == Fraction(-1, 6)
    r = decide(sp.Eq(a, b), {a: Fraction(2), b: Fraction(2)})
    assert r.verdict == "holds" and r.error == 0
    # float equality with a relative tolerance: |1.001 − 1| = 1e-3 ≤ 2e-3·1, but not ≤ 5e-4·1
    assert decide(sp.Eq(a, b), {a: 1.001, b: 1.0}, tolerance=2e-3, relative=True).verdict == "holds"
    assert decide(sp.Eq(a, b), {a: 1.001, b: 1.0}, tolerance=5e-4, relative=True).verdict == "fails"


def test_grid_and_specs():
    assert grid(K=[2, 3], M=[1]) == [{"K": 2, "M": 1}, {"K": 3, "M": 1}]
    with pytest.raises(ConjectureError):
        grid(K=3)
    c = chain_from_spec("ring(K=3, M=2, q=1/2)")
    assert c.n == 6 and c.eps_max == 2
    assert chain_from_spec("uniform-escape(3, 2, 1)").n == 6
    with pytest.raises(ConjectureError, match="unknown chain spec"):
        chain_from_spec("torus(3)")


def test_define_conjecture_in_code_and_substitution_by_name():
    a0 = sp.Symbol("a_0")
    c = define_conjecture("test.api-ring", sp.Eq(a0, K - M - 1),
                          lambda K, M: {a0: laurent_coefficients(ring(K, M), 0, ring(K, M).target, order=0)[0]},
                          grid=grid(K=[3, 6], M=[2]), register_claim=False)
    assert "test.api-ring" not in REGISTRY
    res = run_claims([c])[0].results
    assert [r.measured for r in res] == [Fraction(0), Fraction(3)] and all(r.verdict == "holds" for r in res)
    assert [r.id for r in res] == ["main/K=3,M=2", "main/K=6,M=2"] and {r.rung for r in res} == {"exact"}
    out = search_counterexample(c, max_examples=5)
    assert out.method == "grid" and out.counterexample is None and out.tried == 2
