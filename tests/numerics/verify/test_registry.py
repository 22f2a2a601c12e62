"""Claims, parts and the runner: verdicts, expectations, rungs, seeds, isolation (dead workers, hangs,
unpicklable results, NaN), byte-identical reports, exit codes."""
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from fractions import Fraction as F

import pytest
import sympy

from metacot.numerics.cli.main import main
from metacot.numerics.numbers import Estimate, Interval
from metacot.numerics.verify.conjectures import claim
from metacot.numerics.verify.registry import REGISTRY, register, select
from metacot.numerics.verify.report import report_json
from metacot.numerics.verify.runner import instance_seed, run_claims

x, y = sympy.symbols("x y", positive=True)
z = sympy.Symbol("z")
K = sympy.Symbol("K", integer=True, positive=True)


def _toy():
    """Toy claims with known outcomes (each part's measure returns the value that decides it)."""
    made = []
    c = claim(id="toy.true", statement=sympy.Eq(x, y / 3), register_claim=False)
    c.part("exact", instances=[{"y": 1}, {"y": 2}])(lambda y: {x: F(y, 3)})
    made.append(c)
    c = claim(id="toy.false", statement=sympy.Eq(x, 1), register_claim=False)
    c.part("float", instances=[{"d": 0.0}, {"d": 1e-3}], rung="numerical", tolerance=1e-9,
           justification="toy: rounding")(lambda d: {x: 1.0 + d})
    made.append(c)
    c = claim(id="toy.seed", statement=sympy.Ge(z, 0), register_claim=False)
    c.part("seed", instances=[{"i": i} for i in range(3)])(lambda i, rng_seed: {z: rng_seed, "note": str(rng_seed)})
    made.append(c)
    c = claim(id="toy.raise", statement=sympy.Eq(x, 1), register_claim=False)
    c.part("raise", instances=[{}])(lambda: 1 / 0)
    made.append(c)
    c = claim(id="toy.refuted", statement=sympy.Le(x, 1), expect="refuted", reason="x is 2",
              counterexample="exact/v=2", register_claim=False)
    c.part("exact", instances=[{"v": 2}, {"v": 1}])(lambda v: {x: v})
    made.append(c)
    return made


@pytest.fixture
def toy_claims():
    made = _toy()
    for c in made:
        register(c, replace=True)
    yield made
    for c in made:
        REGISTRY.pop(c.id, None)


def test_verdicts_expectations_and_rungs(toy_claims):
    reps = {r.claim.id: r for r in run_claims(toy_claims)}
    assert reps["toy.true"].verdict == "holds" and reps["toy.true"].rung == "exact"
    assert reps["toy.true"].results[1].predicted == F(2, 3)        # the statement's rhs, evaluated
    assert [r.verdict for r in reps["toy.false"].results] == ["holds", "fails"]
    assert reps["toy.false"].results[0].rung == "numerical"
    assert reps["toy.raise"].verdict == "inconclusive" and "ZeroDivisionError" in reps["toy.raise"].results[0].note
    ref = reps["toy.refuted"]
    assert ref.verdict == "fails" and ref.meets_expectation and ref.outcome == "refuted (as expected)"
    assert [r.verdict for r in ref.results] == ["fails", "holds"]
    assert not reps["toy.false"].meets_expectation


def test_instance_ids_and_seeds(toy_claims):
    a = run_claims([toy_claims[2]], seed=5, jobs=1)[0]
    b = run_claims(toy_claims, seed=5, jobs=2, isolate=True)[2]
    assert [r.id for r in a.results] == ["seed/i=0", "seed/i=1", "seed/i=2"]
    assert [r.measured for r in a.results] == [r.measured for r in b.results]
    assert a.results[1].measured == instance_seed(5, "toy.seed", "seed/i=1")


def test_select_globs(toy_claims):
    assert {c.id for c in select(["toy.*"])} >= {"toy.true", "toy.false"}


def test_report_is_byte_identical_for_any_number_of_workers(toy_claims):
    one = json.dumps(report_json(run_claims(toy_claims, seed=3, jobs=1, isolate=True), seed=3, quick=False))
    two = json.dumps(report_json(run_claims(toy_claims, seed=3, jobs=2, isolate=True), seed=3, quick=False))
    inproc = json.dumps(report_json(run_claims(toy_claims, seed=3), seed=3, quick=False))
    assert one == two == inproc
    assert "seconds" not in one


def test_dead_worker_and_hang_are_inconclusive_and_the_run_goes_on():
    c = claim(id="toy.isolation", statement=sympy.Eq(x, 1), register_claim=False)
    c.part("dies", instances=[{}])(lambda: os._exit(7))
    c.part("hangs", instances=[{}])(lambda: time.sleep(60))

    c.part("ok", instances=[{}])(lambda: {x: 1})
    for jobs in (1, 2):
        t0 = time.monotonic()
        rep = run_claims([c], jobs=jobs, isolate=True, timeout=2)[0]
        assert time.monotonic() - t0 < 30
        v = {r.part: (r.verdict, r.note) for r in rep.results}
        assert v["dies"][0] == "inconclusive" and "died" in v["dies"][1] and "exit code 7" in v["dies"][1]
        assert v["hangs"] == ("inconclusive", "timed out after 2 s")
        assert v["ok"][0] == "holds"


def test_result_that_cannot_be_pickled_is_reported():
    from metacot.numerics.verify import runner

    c = claim(id="toy.pickle", statement=sympy.Eq(x, 1), register_claim=False)

    @c.part("p", instances=[{}])
    def p():
        return {x: 1}

    # a result carrying an unpicklable note object: the worker must report instead of losing it
    orig = runner._evaluate

    class Bad:
        def __reduce__(self):
            raise TypeError("no pickling")

    def evaluate(task):
        r = orig(task)
        r.note = Bad()
        return r

    runner._evaluate = evaluate
    try:
        rep = run_claims([c], jobs=1, isolate=True, timeout=10)[0]
    finally:
        runner._evaluate = orig
    (r,) = rep.results
    assert r.verdict == "inconclusive" and "could not be sent back" in r.note and "no pickling" in r.note


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Estimate(float("nan"), 1.0, 10)])
def test_nan_or_inf_never_holds(value):
    c = claim(id="toy.nan", statement=sympy.Le(x, 1e300), register_claim=False)
    c.part("p", instances=[{}], rung="numerical", tolerance=0.5, justification="toy")(lambda: {x: value})
    (r,) = run_claims([c])[0].results
    assert r.verdict == "inconclusive" and "not finite" in r.note


def test_certified_and_statistical_values():
    c = claim(id="toy.rungs", statement=sympy.Eq(x, 6), register_claim=False)
    c.part("certified", instances=[{}], rung="certified", tolerance=F(1, 10**12),
           justification="toy")(lambda: {x: Interval(F(6) - F(1, 10**20), F(6) + F(1, 10**20))})
    c.part("straddles", instances=[{}], rung="certified")(lambda: {x: Interval(F(6) - F(1, 10**20), F(6))})
    c.part("mc", instances=[{"m": 6.1}, {"m": 6.3}], rung="statistical", confidence="99.9%",
           justification="toy: 0.05 se")(lambda m: {x: Estimate(m, 0.05, 100)})
    rep = run_claims([c])[0]
    v = [(r.id, r.rung, r.verdict) for r in rep.results]
    assert v == [("certified", "certified", "holds"), ("straddles", "certified", "inconclusive"),
                 ("mc/m=6.1", "statistical", "holds"), ("mc/m=6.3", "statistical", "fails")]


def test_symbolic_part_is_a_proof_that_can_fail():
    c = claim(id="toy.proof", statement=sympy.Eq(x, K + 1), register_claim=False)
    c.part("proved", instances=[{}], rung="proved")(lambda: {x: (K**2 - 1) / (K - 1)})
    c.part("wrong", instances=[{}], rung="proved")(lambda: {x: (K**2 - 1) / (K - 1) + sympy.Rational(1, 10**9)})
    r_ok, r_bad = run_claims([c])[0].results
    assert (r_ok.rung, r_ok.verdict) == ("proved", "holds")
    assert (r_bad.rung, r_bad.verdict) == ("proved", "fails") and "counterexample" in r_bad.note


def test_verify_cli_exit_codes_and_json(toy_claims, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["verify", "--claim", "toy.true", "toy.refuted", "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    rep = json.loads(out.read_text())
    c = rep["claims"][0]
    assert c["id"] == "toy.true" and c["verdict"] == "holds" and c["rung"] == "exact" and c["expect"] == "holds"
    inst = c["instances"][1]
    assert inst["params"] == {"y": 2} and inst["predicted"] == "2/3" and inst["measured"] == "2/3"
    assert inst["verdict"] == "holds" and inst["error"] == "0" and inst["id"] == "exact/y=2"
    assert rep["claims"][1]["outcome"] == "refuted (as expected)"
    text = capsys.readouterr().out
    assert "Findings" in text and "toy.refuted: x is 2" in text
    assert main(["verify", "--claim", "toy.true", "toy.false", "--jobs", "2", "--quiet"]) == 1
    table = capsys.readouterr().out
    assert "toy.false" in table and "FAILS" in table and "1e-3" in table.replace("0.001", "1e-3")
    assert main(["verify", "--claim", "toy.raise", "--quiet"]) == 1


def test_verify_checks_the_output_path_before_running(capsys, tmp_path):
    assert main(["verify", "--claim", "hitting.exact-canonical", "--out", str(tmp_path / "no" / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot write" in err and err.count("\n") == 1


def test_register_rejects_duplicates(toy_claims):
    from metacot.numerics.errors import MetacotError

    with pytest.raises(MetacotError, match="already registered"):
        claim(id="toy.true", statement=sympy.Eq(x, 1))


def test_one_sigint_stops_verify_within_2_s_and_leaves_no_process(tmp_path):
    started = tmp_path / "started"
    mod = tmp_path / "slow.py"
    mod.write_text(textwrap.dedent(f"""
        import pathlib, time, sympy
        from metacot.numerics.verify.conjectures import claim
        x = sympy.Symbol("x")
        c = claim(id="slow.sleep", statement=sympy.Eq(x, 1))

        def nap(i):
            if i == 0:
                pathlib.Path({str(started)!r}).write_text("0")
                return {{x: 1}}
            time.sleep(30)
            return {{x: 1}}

        c.part("sleep", instances=[{{"i": i}} for i in range(8)])(nap)
    """))
    report = tmp_path / "partial.json"
    p = subprocess.Popen([sys.executable, "-m", "metacot", "verify", "--module", str(mod), "--claim", "slow.*",
                          "--jobs", "2", "--out", str(report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, text=True)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:   # the run is under way (instance 0 ran)
        time.sleep(0.05)
    time.sleep(1.0)                            # instance 0's result is back; two others are sleeping
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)            # what a terminal's Ctrl-C does: the whole process group
    out, err = p.communicate(timeout=20)
    assert time.monotonic() - t0 < 2.5
    assert p.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    rep = json.loads(report.read_text())
    assert rep["interrupted"] is True and len(rep["claims"][0]["instances"]) == 1
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(p.pid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes left in the group: {left}"


def test_builtin_monte_carlo_claims_give_the_same_bytes_for_any_number_of_workers():
    claims = select(["search.cost", "hitting.escape-law", "distill.per-step-meta"])
    one = json.dumps(report_json(run_claims(claims, quick=True, seed=3, jobs=1, isolate=True), seed=3, quick=True))
    two = json.dumps(report_json(run_claims(claims, quick=True, seed=3, jobs=2, isolate=True), seed=3, quick=True))
    assert one == two
    assert '"statistical"' in one           # the comparison covers seeded Monte Carlo parts
