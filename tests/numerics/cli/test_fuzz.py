"""Property-based fuzzing of the command line with malformed chain files and malformed arguments.

Every generated input is invalid by construction (one corruption of a valid chain file, or one
invalid argument on a valid file), so the contract of issue 16 applies to all of them: exit code 2,
exactly one line on stderr starting with ``error: ``, no traceback, nothing on stdout. The budget is
fixed (``max_examples`` below, derandomized by the CI profile of tests/conftest.py) and the whole file
runs in well under a minute: each example is one in-process ``main()`` call on a 4-state chain.
"""
import contextlib
import io
import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metacot.numerics.cli.main import main

VALID = {"n": 4, "P0": [[0, 0, "1/2"], [0, 1, "1/2"], [1, 0, "1/2"], [1, 1, "1/2"],
                        [2, 2, "1/2"], [2, 3, "1/2"], [3, 2, "1/2"], [3, 3, "1/2"]],
         "P1": [[1, 1, "-1/2"], [1, 0, "-1/2"], [1, 2, "1"], [3, 3, "-1/2"], [3, 2, "-1/2"], [3, 0, "1"]],
         "start": 0, "target": 3}  # ring(2, 2, 1) laid out by hand: two lazy 2-state blocks, one sparse edge each way
COMMANDS = {  # each valid on VALID; the fuzzer breaks the file or one argument
    "hitting": ["--eps", "1/10"], "meta": [], "asymptotics": [],
    "search": ["--walkers", "2", "--warmup", "2", "--rounds", "1"],
    "pretrain": ["--eps", "1/10", "--steps", "2,2"],
    "finetune": ["--eps", "1/10", "--eps-max", "1/2", "--clip", "1/2"],
    "distill": ["--eps", "1/10", "--steps", "2000"],
}
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

not_a_number = st.sampled_from(["abc", "", " ", "1/0", "nan", "inf", "-inf", "1e", "0x10", "1,5", "--", "1e-100000000",
                                "1" * 20000, "½", "NaN", "1/2/3", "e5", "."])
huge_int = st.integers(min_value=10**6, max_value=10**30)


@st.composite
def broken_chain_text(draw):
    """The text (or bytes) of a chain file that violates the format or the model in one place."""
    d = json.loads(json.dumps(VALID))
    kind = draw(st.sampled_from(["row sum", "negative", "index", "value", "missing", "unknown key", "n too big",
                                 "n type", "truncated", "bytes", "constant", "clusters", "P1 sum", "not object",
                                 "triple", "deep", "P1 negative off support"]))
    which = draw(st.integers(0, len(d["P0"]) - 1))
    if kind == "row sum":
        d["P0"][which][2] = draw(st.sampled_from(["1/3", "2/3", "1", "0.49", 0.75]))
    elif kind == "negative":
        d["P0"][which][2] = "-1/2"
    elif kind == "index":
        d["P0"][which][draw(st.integers(0, 1))] = draw(st.one_of(st.integers(4, 10**15), st.integers(-10**6, -1),
                                                                  st.just(1.5), st.just("0"), st.just(None)))
    elif kind == "value":
        d["P0"][which][2] = draw(not_a_number)
    elif kind == "missing":
        del d[draw(st.sampled_from(["n", "P0"]))]
    elif kind == "unknown key":
        d[draw(st.sampled_from(["Q", "p0", "eps", ""]))] = []
    elif kind == "n too big":
        d["n"] = draw(huge_int)
    elif kind == "n type":
        d["n"] = draw(st.sampled_from([0, -3, 4.0, "4", None, True, [4]]))
    elif kind == "clusters":
        d["clusters"] = draw(st.sampled_from([[[0, 1], [1, 2, 3]], [[0], [1, 2, 3]], [[0, 1]], [[0, 1], []],
                                              [[0, 1], [2, 9]], "all", [[0, 1, 2, 3]]]))
    elif kind == "P1 sum":
        d["P1"][0][2] = "-1/3"
    elif kind == "triple":
        d["P0"][which] = draw(st.sampled_from([[0, 0], [0, 0, "1/2", 1], "x", 5, {}]))
    elif kind == "P1 negative off support":
        d["P1"].append([0, 3, "-1"])
        d["P1"].append([0, 0, "1"])
    text = json.dumps(d)
    if kind == "truncated":
        return text[:draw(st.integers(0, len(text) - 2))]
    if kind == "bytes":
        return text.encode()[:20] + draw(st.sampled_from([b"\xff\xfe", b"\x80", b"\xc3\x28"])) + b"}"
    if kind == "constant":
        return text.replace('"1/2"', draw(st.sampled_from(["NaN", "Infinity", "-Infinity"])), 1)
    if kind == "not object":
        return draw(st.sampled_from(["[]", "3", '"chain"', "null", "[[0, 0, 1]]"]))
    if kind == "deep":
        k = draw(st.integers(2000, 50000))
        return "[" * k + "]" * k
    return text


def bad_argument(command):
    """One invalid argument for `command` on the valid chain file."""
    common = [["--start", s] for s in ("4", "-1", "x", "99999999999999999999")] + \
             [["--target", s] for s in ("4", "-2", "1.5")]
    eps_bad = [["--eps", s] for s in ("0", "-1/10", "2", "abc", "1e-100000000", "1/0", "nan")]
    per = {
        "hitting": eps_bad + common + [["--dps", s] for s in ("14", "100000", "x")]
        + [["--method", "mc", "--walkers", s] for s in ("1", "0", "-5", "x")]
        + [["--method", "mc", "--seed", s] for s in ("-1", "4294967296", "1.5")]
        + [["--method", "mc", "--eps", "1e-30"], ["--method", "nope"], ["--method", "mc", "--max-steps", "0"],
           ["--eps", "1e-400", "--method", "float"]],
        "meta": [["--target", "4"], ["--target", "x"], ["--json", "x"]],
        "asymptotics": common,
        "search": [["--walkers", "0"], ["--warmup", "-1"], ["--rounds", "0"], ["--seed", "-3"], ["--eps", "1e-30"],
                   ["--horizon", "0"], ["--prm", "2"], ["--prm", "0"], ["--start", "9"]] + eps_bad,
        "pretrain": [["--steps", s] for s in ("1", "1,2,3", "-1,2", "a,b", "")] + eps_bad
        + [["--eta", "-1"], ["--theta", "0"], ["--batch", "0", "--sgd"], ["--seed", "-1", "--sgd"],
           ["--steps", "1000000000,1"]],
        "finetune": [["--eps-max", s] for s in ("1/100", "1", "2", "0", "x")] + [["--clip", "0"], ["--clip", "x"]]
        + [["--edges", s] for s in ("0,x", ";", "0,9", "1")] + [["--inner", "bogus"], ["--pretrain", "1"]]
        + eps_bad + common,
        "distill": [["--steps", s] for s in ("0", "x", "10000000000")] + [["--walkers", "0"], ["--beta", "x"],
                                                                           ["--b", "0"], ["--seed", "-1"],
                                                                           ["--walkers", "3000"],
                                                                           ["--labels", "search"]] + eps_bad,
    }
    return st.sampled_from(per[command])


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_rejected(argv, code, out, err):
    lines = err.splitlines()
    assert code == 2, (argv, code, out, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
    assert "Traceback" not in err and out == "", (argv, out, err)


@FUZZ
@given(text=broken_chain_text(), command=st.sampled_from(sorted(COMMANDS)))
def test_malformed_chain_files_exit_2_with_one_line(text, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain.json")
        with open(path, "wb") as fh:
            fh.write(text if isinstance(text, bytes) else text.encode())
        argv = [command, path, *COMMANDS[command]]
        assert_rejected(argv, *run_cli(argv))


@FUZZ
@given(data=st.data(), command=st.sampled_from(sorted(COMMANDS)))
def test_malformed_arguments_exit_2_with_one_line(data, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain.json")
        with open(path, "w") as fh:
            json.dump(VALID, fh)
        bad = data.draw(bad_argument(command))
        argv = [command, path, *COMMANDS[command], *bad]
        assert_rejected(argv, *run_cli(argv))


def test_the_valid_inputs_are_valid():
    """The fuzzer's base cases succeed, so every rejection above is caused by the corruption."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain.json")
        with open(path, "w") as fh:
            json.dump(VALID, fh)
        for command, args in COMMANDS.items():
            code, out, err = run_cli([command, path, *args, "--quiet"])
            assert code == 0 and out and "error" not in err, (command, err)
