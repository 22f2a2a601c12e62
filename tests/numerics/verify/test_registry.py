"""Claim registry and runner: verdicts, JSON report shape, exit codes, parallel runs, seeds."""
import json
from fractions import Fraction as F

import pytest
import sympy

from metacot.numerics.cli.main import main
from metacot.numerics.verify.registry import REGISTRY, Claim, InstanceResult, compare, register, select
from metacot.numerics.verify.runner import instance_seed, run_claims
from metacot.theory.symbols import K, M, q


@pytest.fixture
def toy_claims():
    def check_true(p, seed):
        return compare(p, F(p["a"], 3), F(p["a"], 3), 0)

    def check_false(p, seed):
        return compare(p, 1.0, 1.0 + p["d"], 1e-9)

    def check_seed(p, seed):
        return InstanceResult(p, seed, seed, 0, 0, "holds")

    def check_raise(p, seed):
        raise ZeroDivisionError("boom")

    made = [
        Claim("toy.true", "none", sympy.Eq((K - 1) * M / q, (K - 1) * M / q), lambda quick: [{"a": 1}, {"a": 2}],
              check_true, "exact"),
        Claim("toy.false", "none", sympy.Eq(K, K), lambda quick: [{"d": 0.0}, {"d": 1e-3}], check_false, "1e-9: rounding"),
        Claim("toy.seed", "none", sympy.Eq(K, K), lambda quick: [{"i": i} for i in range(3)], check_seed, "n/a"),
        Claim("toy.raise", "none", sympy.Eq(K, K), lambda quick: [{}], check_raise, "n/a"),
    ]
    for c in made:
        register(c, replace=True)
    yield made
    for c in made:
        REGISTRY.pop(c.id, None)


def test_verdicts(toy_claims):
    reps = {r.claim.id: r for r in run_claims(toy_claims)}
    assert reps["toy.true"].verdict == "holds"
    assert reps["toy.false"].verdict == "fails"
    assert [r.verdict for r in reps["toy.false"].results] == ["holds", "fails"]
    assert reps["toy.raise"].verdict == "inconclusive" and "ZeroDivisionError" in reps["toy.raise"].results[0].note


def test_seeds_do_not_depend_on_jobs_or_selection(toy_claims):
    a = run_claims([toy_claims[2]], seed=5, jobs=1)[0]
    b = run_claims(toy_claims, seed=5, jobs=2)[2]
    assert [r.measured for r in a.results] == [r.measured for r in b.results]
    assert a.results[1].measured == instance_seed(5, "toy.seed", 1)


def test_select_globs(toy_claims):
    assert {c.id for c in select(["toy.*"])} >= {"toy.true", "toy.false"}


def test_verify_cli_exit_codes_and_json(toy_claims, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["verify", "--claim", "toy.true", "--json", str(out), "--jobs", "1"]) == 0
    rep = json.loads(out.read_text())
    c = rep["claims"][0]
    assert c["id"] == "toy.true" and c["verdict"] == "holds" and c["paper"] == "none"
    inst = c["instances"][1]
    assert inst["params"] == {"a": 2} and inst["predicted"] == "2/3" and inst["measured"] == "2/3"
    assert inst["verdict"] == "holds" and inst["error"] == "0"
    assert main(["verify", "--claim", "toy.true", "toy.false", "--jobs", "2"]) == 1
    table = capsys.readouterr().out
    assert "toy.false" in table and "fails" in table
    assert main(["verify", "--claim", "toy.raise"]) == 1


def test_register_rejects_duplicates(toy_claims):
    from metacot.numerics.errors import MetacotError

    with pytest.raises(MetacotError, match="already registered"):
        register(Claim("toy.true", "x", sympy.Eq(K, K), lambda q: [], lambda p, s: None, "x"))
