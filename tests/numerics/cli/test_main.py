"""CLI: family, meta, claims, verify; exit codes and one-line errors."""
import json

import pytest

from metacot.numerics.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_family_and_meta(tmp_path, capsys):
    p = tmp_path / "chain.json"
    code, out, _ = run(capsys, "family", "ring", "--K", "5", "--M", "4", "--q", "1", "--out", str(p))
    assert code == 0 and "wrote ring" in out
    code, out, _ = run(capsys, "meta", str(p), "--json")
    d = json.loads(out)
    assert code == 0 and set(d) >= {"clusters", "rates", "lambda", "h_meta"}
    assert d["h_meta"][0][4] == "16" and d["lambda"] == ["1/4"] * 5
    assert d["clusters"][0] == [0, 1, 2, 3]
    code, out, _ = run(capsys, "meta", str(p))
    assert code == 0 and "h_meta" in out


def test_family_to_stdout_round_trips(tmp_path, capsys):
    code, out, _ = run(capsys, "family", "uniform-escape", "--K", "3", "--M", "2", "--q", "1/2")
    assert code == 0
    d = json.loads(out)
    assert d["n"] == 6 and ["0", "3", "1/4"] == [str(x) for x in d["P1"][2]]


@pytest.mark.parametrize("argv, fragment", [
    (["meta", "/nonexistent.json"], "not found"),
    (["family", "ring", "--K", "1"], "K must be"),
    (["family", "ring", "--q", "abc"], "q"),
    (["verify", "--claim", "no.such.claim"], "unknown claim"),
    (["verify", "--jobs", "0"], "--jobs"),
    (["nonsense"], "invalid choice"),
])
def test_bad_input_exit_2_one_line(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]


def test_meta_on_malformed_chain(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text('{"n": 2, "P0": [[0, 0, "1/2"], [1, 1, 1]]}')
    code, _, err = run(capsys, "meta", str(p))
    assert code == 2 and "row 0 of P0 sums to 1/2" in err and "Traceback" not in err


def test_claims_json_lists_ids(capsys):
    code, out, _ = run(capsys, "claims", "--json")
    items = json.loads(out)
    assert code == 0 and all(set(c) >= {"id", "paper", "statement"} for c in items)


def test_python_m_metacot_runs():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "metacot", "family", "ring", "--K", "2", "--M", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["n"] == 2
