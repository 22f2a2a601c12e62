"""CLI: family, meta, claims, verify; exit codes and one-line errors; the shared conventions
(--json flag, --out FILE checked first, --quiet, seeds, argument types); guard rails of issue 16."""
import json
import os
import subprocess
import sys
from fractions import Fraction as F

import numpy as np
import pytest

from metacot.numerics.cli.main import build_parser, main
from metacot.numerics.families import ring, uniform_escape
from metacot.numerics.io import save_chain
from metacot.numerics.solvers.meta_chain import ctmc_hitting_times, meta_rates


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def ring_file(tmp_path):
    p = tmp_path / "ring.json"
    save_chain(ring(3, 2, 1), str(p))   # E_0[τ_5] = 4/ε exactly (4 = h^meta·... of ring(3, 2, 1))
    return str(p)


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


def test_meta_one_column_equals_the_all_pairs_table(tmp_path, capsys):
    p = tmp_path / "u.json"
    save_chain(uniform_escape(4, 3, F(1, 2)), str(p))
    _, out, _ = run(capsys, "meta", p, "--json")
    table = json.loads(out)["h_meta"]
    code, out, _ = run(capsys, "meta", p, "--json", "--target", 11)
    d = json.loads(out)
    assert code == 0 and d["target_cluster"] == 3
    assert d["h_meta_to_target"] == [row[3] for row in table] == ["18", "18", "18", "0"]  # (K−1)·M/q = 3·3·2


def test_meta_text_lists_entries_for_many_clusters(tmp_path, capsys):
    p = tmp_path / "r.json"
    save_chain(ring(13, 1, 1), str(p))
    code, out, _ = run(capsys, "meta", p)
    assert code == 0 and "  (0, 1): 1" in out and "  (0, 2)" not in out.split("escape rates")[0]


def test_meta_all_pairs_refused_for_many_clusters_before_work(tmp_path, capsys):
    p = tmp_path / "r.json"
    save_chain(ring(600, 1, 1, exact=False), str(p))
    code, _, err = run(capsys, "meta", p)
    line = one_error_line(err)
    assert code == 2 and "600x600" in line and "--target Y" in line
    save_chain(ring(1001, 1, 1, exact=False), str(p))
    code, _, err = run(capsys, "meta", p, "--target", 0)
    line = one_error_line(err)
    assert code == 2 and "K <= 1000" in line and "`metacot hitting`" in line


@pytest.mark.parametrize("kind", ["ring", "uniform-escape"])
def test_family_summary_closed_form_equals_the_solver(tmp_path, capsys, kind):
    p = tmp_path / "c.json"
    code, out, _ = run(capsys, "family", kind, "--K", 4, "--M", 3, "--q", "2/3", "--out", p, "--json")
    d = json.loads(out)
    chain = (ring if kind == "ring" else uniform_escape)(4, 3, F(2, 3))
    k_in, k_out = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
    assert code == 0 and d["h_meta"] == str(ctmc_hitting_times(meta_rates(chain), k_out, True)[k_in]) == "27/2"


def test_family_to_stdout_round_trips(tmp_path, capsys):
    code, out, _ = run(capsys, "family", "uniform-escape", "--K", "3", "--M", "2", "--q", "1/2")
    assert code == 0
    d = json.loads(out)
    assert d["n"] == 6 and ["0", "3", "1/4"] == [str(x) for x in d["P1"][2]]


def test_family_npz_is_float_and_size_limited(tmp_path, capsys):
    p = tmp_path / "r.npz"
    code, out, _ = run(capsys, "family", "ring", "--K", 3, "--M", 2, "--out", p, "--json")
    assert code == 0 and json.loads(out)["h_meta"] == 4.0
    code, _, err = run(capsys, "family", "ring", "--K", 2000, "--M", 5, "--out", tmp_path / "big.npz")
    assert code == 2 and "n <= 5000" in one_error_line(err) and not (tmp_path / "big.npz").exists()


@pytest.mark.parametrize("argv, fragment", [
    (["meta", "/nonexistent.json"], "not found"),
    (["family", "ring", "--K", "1"], "K must be"),
    (["family", "ring", "--q", "abc"], "q"),
    (["family", "ring", "--K", "100000", "--M", "100"], "limit 1e+06"),
    (["verify", "--jobs", "0"], "--jobs"),
    (["verify", "--seed", "-1"], "0..4294967295"),
    (["verify", "--out", "/nonexistent/dir/r.json"], "does not exist"),
    (["family", "ring", "--out", "/nonexistent/dir/x.json"], "does not exist"),
    (["nonsense"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_exit_2_one_line(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and fragment in one_error_line(err)


def test_meta_on_malformed_chain(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text('{"n": 2, "P0": [[0, 0, "1/2"], [1, 1, 1]]}')
    code, _, err = run(capsys, "meta", str(p))
    assert code == 2 and "row 0 of P0 sums to 1/2" in err and "Traceback" not in err


def test_version_and_help(capsys):
    import metacot

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"metacot {metacot.__version__}"
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "hitting" in out and "--json" in out


def test_parser_has_no_private_argparse_overrides():
    import argparse

    from metacot.numerics.cli import main as cli_main

    assert "_get_value" not in vars(cli_main._Parser) and "_registry_get" not in vars(cli_main._Parser)
    assert issubclass(cli_main._Parser, argparse.ArgumentParser)


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_json_is_a_flag_on_every_subcommand():
    """--json prints JSON on stdout everywhere (verify keeps the deprecated '--json FILE' as an optional value)."""
    for name, sub in _subparsers().items():
        opts = {o: a for a in sub._actions for o in a.option_strings}
        assert "--json" in opts, name
        if name == "verify":
            assert opts["--json"].nargs == "?" and opts["--json"].const == "-"
        else:
            assert opts["--json"].nargs == 0, name


def test_every_seed_follows_one_rule(tmp_path, capsys, ring_file):
    cmds = {"hitting": [ring_file, "--eps", "1/10", "--method", "mc"], "verify": [],
            "search": [ring_file, "--walkers", 2, "--warmup", 2, "--rounds", 1],
            "family": ["random"], "pretrain": [ring_file, "--eps", "1/10", "--steps", "1,1", "--sgd"],
            "distill": [ring_file, "--eps", "1/10", "--steps", 10], "refute": ["hitting.canonical"]}
    with_seed = {n for n, sub in _subparsers().items() if any("--seed" in a.option_strings for a in sub._actions)}
    assert with_seed <= set(cmds), with_seed - set(cmds)
    for name in sorted(with_seed):
        for bad in ("-1", "4294967296", "x"):
            code, out, err = run(capsys, name, *cmds[name], "--seed", bad)
            assert code == 2 and out == "" and "seed must be an integer in 0..4294967295" in one_error_line(err)


def test_python_m_metacot_runs():
    r = subprocess.run([sys.executable, "-m", "metacot", "family", "ring", "--K", "2", "--M", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["n"] == 2


def test_broken_pipe_exits_0_quietly():
    """`metacot family … | head -c 10`: the reader closes the pipe; exit 0, nothing on stderr."""
    r = subprocess.run(f"'{sys.executable}' -m metacot family ring --K 400 --M 4 | head -c 10 >/dev/null; "
                       "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == ""


def test_memory_exhaustion_is_a_one_line_error(capsys, monkeypatch, ring_file):
    from metacot.numerics.solvers import hitting as H

    def boom(*a, **k):
        raise MemoryError

    monkeypatch.setattr(H, "hitting_time", boom)
    code, _, err = run(capsys, "hitting", ring_file, "--eps", "1/10")
    assert code == 2 and "out of memory" in one_error_line(err)


def test_progress_lines_on_stderr_and_quiet(tmp_path):
    """A line every METACOT_PROGRESS_INTERVAL seconds (10 s by default) on stderr; --quiet silences."""
    p = tmp_path / "ring.json"
    save_chain(ring(3, 2, 1), str(p))
    argv = [sys.executable, "-m", "metacot", "hitting", str(p), "--eps", "1/100", "--method", "mc",
            "--walkers", "200000", "--seed", "1"]  # E[τ] = 400: 8e7 walker-steps, a few seconds
    env = dict(os.environ, METACOT_PROGRESS_INTERVAL="0.2")
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "metacot hitting: " in r.stderr and "elapsed" in r.stderr
    r = subprocess.run(argv + ["--quiet"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stderr == ""


# ----------------------------------------------------------------------------- hitting: typed values, digits
def test_hitting_json_values_are_typed(capsys, ring_file):
    exact = json.loads(run(capsys, "hitting", ring_file, "--eps", "1/1000", "--method", "exact", "--json")[1])
    flt = json.loads(run(capsys, "hitting", ring_file, "--eps", "1/1000", "--method", "float", "--json")[1])
    mc = json.loads(run(capsys, "hitting", ring_file, "--eps", "1/10", "--method", "mc", "--walkers", 500,
                        "--json")[1])
    mp = json.loads(run(capsys, "hitting", ring_file, "--eps", "1/1000", "--method", "mp", "--json")[1])
    assert exact["value"] == "4000" and exact["eps"] == "1/1000"
    assert isinstance(flt["value"], float) and flt["value"] == pytest.approx(4000, rel=1e-14)  # n·u a-priori bound
    assert isinstance(mc["value"], float) and isinstance(mc["error_estimate"], float)
    assert isinstance(mp["value"], float) and isinstance(mp["decimal"], str)


def test_hitting_mp_prints_its_correct_digits(capsys, tmp_path):
    """E_0[τ] of ring(3, 2, 1) at ε = 1/3000 is 12000 exactly; mp at dps 60 guarantees 60 − 5 − ⌈log10 6⌉ = 54 digits."""
    p = tmp_path / "r.json"
    save_chain(ring(3, 2, 1), str(p))
    d = json.loads(run(capsys, "hitting", p, "--eps", "1/3000", "--method", "mp", "--dps", 60, "--json")[1])
    assert d["correct_digits"] == 54
    digits = d["decimal"].replace(".", "").lstrip("0")
    assert len(digits) == 54 and digits == "12" + "0" * 52
    code, out, _ = run(capsys, "hitting", p, "--eps", "1/3000", "--method", "mp", "--dps", 60)
    assert code == 0 and d["decimal"] in out


def test_hitting_below_the_float_range(capsys, tmp_path, ring_file):
    """ε = 1e-400: float refuses and names mp/exact; mp's bound is finite; auto on a float chain picks mp."""
    code, out, err = run(capsys, "hitting", ring_file, "--eps", "1e-400", "--method", "float")
    line = one_error_line(err)
    assert code == 2 and out == "" and "below the float64 range" in line and "mp" in line and "exact" in line
    d = json.loads(run(capsys, "hitting", ring_file, "--eps", "1e-400", "--method", "mp", "--json")[1])
    assert d["value"] is None and "inf" not in d["error_decimal"]
    assert F(d["decimal"]) == 4 * F(10) ** 400       # exact: 4/ε, to the 44 digits the bound guarantees
    code, out, _ = run(capsys, "hitting", ring_file, "--eps", "1e-400", "--method", "mp")
    assert code == 0 and "inf" not in out
    npz = tmp_path / "r.npz"
    save_chain(ring(3, 2, 1), str(npz))
    d = json.loads(run(capsys, "hitting", npz, "--eps", "1e-400", "--start", 0, "--target", 5, "--json")[1])
    assert d["method"] == "mp" and F(d["decimal"]) == 4 * F(10) ** 400


def test_hitting_certified_enclosure(capsys, ring_file):
    pytest.importorskip("metacot.numerics.solvers.certified")
    code, out, _ = run(capsys, "hitting", ring_file, "--eps", "1e-400", "--method", "certified", "--json")
    d = json.loads(out)
    lo, hi = (F(d["value"][k]) for k in ("lo", "hi"))
    assert code == 0 and d["method"] == "certified" and lo <= 4 * F(10) ** 400 <= hi
    code, out, _ = run(capsys, "hitting", ring_file, "--eps", "1/10", "--method", "certified")
    assert code == 0 and "[3.9999999999999999999e+1, 4.0000000000000000001e+1]" in out   # E = 40 exactly


def test_mc_cost_estimated_first_and_max_steps_way_around(capsys, ring_file):
    code, out, err = run(capsys, "hitting", ring_file, "--eps", "1e-30", "--method", "mc")
    line = one_error_line(err)
    assert code == 2 and out == "" and "4e+30" in line and "--max-steps" in line
    code, _, err = run(capsys, "hitting", ring_file, "--eps", "1e-30", "--method", "mc", "--max-steps", 50,
                       "--walkers", 10)
    assert code == 2 and "did not hit the target within max_steps = 50" in one_error_line(err)


@pytest.mark.parametrize("argv, fragment", [
    (["--eps", "1e-99999999"], "limit 10000"),
    (["--eps", "1/10", "--dps", "100000"], "15..10000"),
    (["--eps", "1/10", "--dps", "14", "--method", "mp"], "15..10000"),
    (["--eps", "1/10", "--walkers", "1", "--method", "mc"], "walkers must be an integer >= 2"),
    (["--eps", "1/10", "--start", "x"], "a state is an integer index"),
    (["--eps", "1/10", "--method", "nope"], "invalid choice"),
])
def test_hitting_argument_guards(capsys, ring_file, argv, fragment):
    code, out, err = run(capsys, "hitting", ring_file, *argv)
    assert code == 2 and out == "" and fragment in one_error_line(err)


# ----------------------------------------------------------------------------- one validation, guard rails
@pytest.fixture
def periodic_file(tmp_path):
    p = tmp_path / "periodic.json"     # block {0, 1} is a 2-cycle (periodic); state 2 absorbing, reached via P1
    p.write_text(json.dumps({"n": 3, "P0": [[0, 1, "1"], [1, 0, "1"], [2, 2, "1"]],
                             "P1": [[1, 2, "1"], [1, 0, "-1"]], "start": 0, "target": 2}))
    return str(p)


@pytest.mark.parametrize("cmd", [["meta"], ["asymptotics"], ["search", "--walkers", 2, "--warmup", 2, "--rounds", 1],
                                 ["distill", "--eps", "1/10", "--steps", 100],
                                 ["finetune", "--eps", "1/10", "--eps-max", "1/2", "--clip", "1/2"]])
def test_periodic_block_states_the_difference(capsys, periodic_file, cmd):
    code, out, err = run(capsys, cmd[0], periodic_file, *cmd[1:])
    line = one_error_line(err)
    assert code == 2 and out == "" and "periodic" in line and "`metacot hitting` works on any chain" in line


def test_periodic_block_hitting_is_defined(capsys, periodic_file):
    """E_0[τ_2] = 2/ε: from 0 the walk reaches 1 in one step, and 1 leaves to 2 w.p. ε per visit (every 2 steps)."""
    code, out, _ = run(capsys, "hitting", periodic_file, "--eps", "1/10", "--json")
    assert code == 0 and json.loads(out)["value"] == "20"


def test_finetune_rejects_eps_max_below_eps(capsys, ring_file):
    code, out, err = run(capsys, "finetune", ring_file, "--eps", "1/10", "--eps-max", "1/100", "--clip", "1/2")
    assert code == 2 and out == "" and "must exceed --eps" in one_error_line(err)


def test_pretrain_below_float_range_is_not_reducible(capsys, ring_file):
    code, out, err = run(capsys, "pretrain", ring_file, "--eps", "1e-400", "--steps", "10,10")
    line = one_error_line(err)
    assert code == 2 and "below the float64 range" in line and "reducible" not in line


def test_declared_size_vs_entries(capsys, tmp_path):
    for value in ('"1"', "1.0"):
        p = tmp_path / "huge.json"
        p.write_text('{"n": 1000000000000, "P0": [[0, 0, %s]]}' % value)
        code, out, err = run(capsys, "hitting", p, "--eps", "1/10", "--start", 0, "--target", 0)
        assert code == 2 and out == "" and "declares 1000000000000 states but P0 lists 1 entry" in one_error_line(err)


def test_exact_paths_refused_on_large_chains(capsys, tmp_path):
    p = tmp_path / "r.json"
    save_chain(ring(2, 140, 1), str(p))    # two blocks of 140 states: n + Σ m³ = 5.5·10^6 > 5·10^6
    code, _, err = run(capsys, "hitting", p, "--eps", "1/10", "--method", "exact")
    assert code == 2 and "method 'float'" in one_error_line(err)
    code, _, err = run(capsys, "asymptotics", p)
    assert code == 2 and "cost limit" in one_error_line(err)
    code, out, _ = run(capsys, "hitting", p, "--eps", "1/10", "--json")   # auto: float, fast
    assert code == 0 and json.loads(out)["method"] == "float"


def test_search_cost_guard(capsys, ring_file):
    code, out, err = run(capsys, "search", ring_file, "--walkers", 2, "--warmup", 2, "--rounds", 3, "--eps", "1e-30")
    assert code == 2 and out == "" and "walker-steps" in one_error_line(err)


def test_library_messages_do_not_leak(capsys, tmp_path):
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"garbage")
    empty = tmp_path / "e.npz"
    np.savez(empty, P0=np.zeros((0, 0)), P1=np.zeros((0, 0)))
    neg = tmp_path / "n.npz"
    np.savez(neg, P0=np.array([[-0.5, 1.5], [0, 1.0]]), P1=np.zeros((2, 2)))
    big = tmp_path / "b.json"
    save_chain(ring(3, 2, 1), str(big))
    for argv, banned in [(["meta", garbage], "allow_pickle"), (["meta", empty], "concatenate"),
                         (["meta", neg], "np.float64"), (["meta", tmp_path], "Errno"),
                         (["hitting", big, "--eps", "1e-5000", "--method", "exact"], "set_int_max_str_digits")]:
        code, out, err = run(capsys, *argv)
        assert banned not in err and "Traceback" not in err, err
    code, out, _ = run(capsys, "hitting", big, "--eps", "1e-5000", "--method", "exact", "--json")
    assert code == 0 and json.loads(out)["value"] == "4" + "0" * 5000


def test_claims_json_lists_ids(capsys):
    code, out, _ = run(capsys, "claims", "--json")
    items = json.loads(out)
    assert code == 0 and all(set(c) >= {"id", "paper", "statement"} for c in items)


@pytest.mark.parametrize("name", ["metacot.numerics.cli.helpers", "metacot.numerics.cli.main"])
def test_cli_docstring_examples(name):
    """tests/test_doctests.py skips the CLI package (its commands print); the shared helpers' examples run here."""
    import doctest
    import importlib

    mod = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder(exclude_empty=True).find(mod, name):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
