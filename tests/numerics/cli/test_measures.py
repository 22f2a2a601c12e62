"""CLI: committor, mfpt, moments, spectrum, stationary — JSON numbers against the library, one-line errors."""
import json
from fractions import Fraction as F

import pytest

from metacot.numerics.chain import Chain
from metacot.numerics.cli.main import main
from metacot.numerics.families import random_chain, ring
from metacot.numerics.io import save_chain


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ring_file(tmp_path):
    p = tmp_path / "ring.json"
    save_chain(ring(3, 2, 1), str(p))
    return p


@pytest.fixture
def birth_death_file(tmp_path):
    """deeptime's 3-state birth–death chain (tests/markov/tools/analysis/test_mfpt.py) with exact entries."""
    p = tmp_path / "bd.json"
    save_chain(Chain.from_dense([["3/10", "7/10", 0], ["2/5", "1/10", "1/2"], [0, "3/5", "2/5"]]), str(p))
    return p


def test_committor_json_and_limit(ring_file, capsys):
    code, out, _ = run(capsys, "committor", ring_file, "--A", "C2", "--B", "0", "--eps", "1/100", "--limit", "--json")
    d = json.loads(out)
    assert code == 0 and d["A"] == [4, 5] and d["B"] == [0] and d["method"] == "exact"
    assert d["committor"] == ["0", "0", "1", "1", "1", "1"] and d["limit_eps_to_0"] == d["committor"]
    code, out, _ = run(capsys, "committor", ring_file, "--A", "1", "--B", "4-5", "--eps", "1e-30", "--method",
                       "certified", "--json")
    d = json.loads(out)
    assert code == 0 and all(isinstance(v, list) and len(v) == 2 for v in d["committor"])
    code, out, _ = run(capsys, "committor", ring_file, "--A", "C2", "--B", "0", "--eps", "1/100")
    assert code == 0 and "q(5) = 1" in out


def test_mfpt_deeptime_between_sets(birth_death_file, capsys):
    """deeptime's o01t2 = mfpt(P, 2, origin=[0, 1]) = 282/77 and the vector m2 = (32/7, 22/7, 0)."""
    code, out, _ = run(capsys, "mfpt", birth_death_file, "--target", "2", "--origin", "0,1", "--eps", "0", "--json")
    d = json.loads(out)
    assert code == 0 and d["mfpt"] == "282/77" and d["origin"] == [0, 1]
    code, out, _ = run(capsys, "mfpt", birth_death_file, "--target", "2", "--eps", "0", "--json")
    assert json.loads(out)["mfpt"] == ["32/7", "22/7", "0"]
    code, out, _ = run(capsys, "mfpt", birth_death_file, "--target", "2", "--initial", "0:1/2,1:1/2", "--eps", "0",
                       "--json")
    assert json.loads(out)["mfpt"] == "27/7"
    code, out, _ = run(capsys, "mfpt", birth_death_file, "--target", "2", "--origin", "0,1", "--eps", "0",
                       "--method", "float", "--json")
    assert abs(json.loads(out)["mfpt"] / (282 / 77) - 1) <= 1e-14   # float state reduction, n·1.1e-16 + input rounding
    code, out, _ = run(capsys, "mfpt", birth_death_file, "--target", "2", "--origin", "0,1", "--eps", "0")
    assert code == 0 and "282/77 steps" in out


def test_moments_geometric_and_laurent(tmp_path, capsys):
    """2-state chain P(0,1) = ε: E[τ] = 1/ε, E[τ²] = (2 − ε)/ε², Var = (1 − ε)/ε²."""
    p = tmp_path / "two.json"
    save_chain(Chain.from_dense([[1, 0], [0, 1]], [[-1, 1], [1, -1]]), str(p))
    code, out, _ = run(capsys, "moments", p, "--start", "0", "--target", "1", "--eps", "1/4", "--laurent", "--json")
    d = json.loads(out)
    assert code == 0 and (d["mean"], d["second_moment"], d["variance"]) == ("4", "28", "12")
    assert d["laurent"]["variance"] == {"-2": "1", "-1": "-1", "0": "0"}
    assert d["laurent"]["mean"] == {"-1": "1", "0": "0"}
    code, out, _ = run(capsys, "moments", p, "--start", "0", "--target", "1", "--eps", "1e-100", "--method", "float",
                       "--json")
    d = json.loads(out)
    assert abs(d["variance"] / 1e200 - 1) <= 1e-13     # (1 − ε)/ε² = 1e200·(1 − 1e-100); float rel ≲ n·1e-16
    code, out, _ = run(capsys, "moments", p, "--target", "1", "--start", "0", "--laurent")
    assert code == 0 and "variance" in out and "(1)·eps^-2" in out


def test_moments_ring_variance_coefficient(ring_file, capsys):
    """ring(3, 2, 1): the ε⁻² coefficient of Var(τ) is (K−1)(M/q)² = 8 (spec 08 F2)."""
    code, out, _ = run(capsys, "moments", ring_file, "--laurent", "--order", "-1", "--json")
    d = json.loads(out)
    assert code == 0 and d["laurent"]["variance"]["-2"] == "8" and d["laurent"]["mean"] == {"-1": "4"}


def test_spectrum_json(tmp_path, capsys):
    p = tmp_path / "r.json"
    c = random_chain(7, [3, 2, 3])
    save_chain(c, str(p))
    code, out, _ = run(capsys, "spectrum", p, "--eps", "1e-12", "--cluster", "1", "--charpoly", "--json")
    d = json.loads(out)
    assert code == 0 and d["count"] == 3 and d["method"] == "mp"
    ev = d["eigenvalues"]
    assert ev[0]["gap"] == "0" and ev[0]["timescale"] == "inf"
    for row in ev[1:]:
        gap = complex(float(row["gap"]["re"]), float(row["gap"]["im"]))
        pred = complex(float(row["meta_prediction_gap"]["re"]), float(row["meta_prediction_gap"]["im"]))
        assert abs(gap - pred) <= 1e-12 * abs(gap)       # F4: gap = ε ν + O(ε²), ε = 1e-12
    qs = d["quasi_stationary"]
    assert abs(float(qs["exit_rate"]) / (1e-12 / 2.8) - 1) < 1e-10    # ε·λ_1 = ε/2.8 for this chain, + O(ε²)
    assert d["charpoly"]["coefficients_lowest_first"][-1] == "1"
    code, out, _ = run(capsys, "spectrum", p, "--eps", "1e-30", "--method", "certified", "--count", "2", "--json")
    d = json.loads(out)
    assert code == 0 and isinstance(d["eigenvalues"][1]["gap"]["re"], list)
    code, out, _ = run(capsys, "spectrum", p, "--eps", "1/1000", "--method", "float")
    assert code == 0 and "1 - lambda" in out


def test_stationary_unichain(tmp_path, capsys):
    p = tmp_path / "uni.json"
    save_chain(Chain.from_dense([["1/2", "1/2"], [0, 1]]), str(p))
    code, out, _ = run(capsys, "stationary", p, "--eps", "0", "--json")
    d = json.loads(out)
    assert code == 0 and d["stationary"] == ["0", "1"] and d["zero_states"] == [0]
    code, out, _ = run(capsys, "stationary", p, "--eps", "0", "--method", "float", "--json")
    assert json.loads(out)["stationary"] == [0.0, 1.0]
    code, out, _ = run(capsys, "stationary", p, "--eps", "0")
    assert code == 0 and "transient" in out


@pytest.mark.parametrize("argv, fragment", [
    (["committor", "{ring}", "--A", "0", "--B", "0", "--eps", "1/10"], "in both A and B"),
    (["committor", "{ring}", "--A", "x", "--eps", "1/10"], "cannot parse"),
    (["committor", "{ring}", "--A", "C9", "--eps", "1/10"], "unknown cluster C9"),
    (["committor", "{ring}", "--A", "0"], "needs --eps"),
    (["mfpt", "{ring}", "--initial", "0:1/3", "--eps", "1/10"], "sum to 1/3"),
    (["moments", "{ring}", "--eps", "2"], "outside the valid range"),
    (["spectrum", "{ring}", "--eps", "1/10", "--count", "0"], "--count"),
    (["stationary", "{two}", "--eps", "0"], "closed classes"),
])
def test_bad_input_exit_2_one_line(ring_file, tmp_path, capsys, argv, fragment):
    two = tmp_path / "id.json"
    save_chain(Chain.from_dense([[1, 0], [0, 1]]), str(two))
    argv = [a.format(ring=ring_file, two=two) for a in argv]
    code, _, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
