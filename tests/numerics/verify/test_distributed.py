"""Claims on a 2-worker Dask LocalCluster give the same report bytes as local workers (issue 15)."""
import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("distributed")

MODULE = """
    import sympy as sp
    from metacot.numerics.verify.conjectures import claim, conjecture, grid, random_chains
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.solvers.meta_chain import meta_hitting_times
    from metacot.numerics.numbers import Estimate
    from metacot.theory.symbols import E_tau, eps, h_meta
    import numpy as np

    x = sp.Symbol("x")
    c = claim(id="dtest.mixed", statement=sp.Eq(x, 1))
    c.part("exact", instances=[{"a": a} for a in range(1, 6)])(lambda a: {x: sp.Rational(a, a)})
    c.part("mc", instances=[{"n": n} for n in (100, 200, 300)], rung="statistical",
           justification="toy: mean of n uniforms on [0, 2]")(
        lambda n, rng_seed: {x: Estimate(float(np.random.default_rng(rng_seed).uniform(0, 2, n).mean()),
                                         float(np.sqrt(1 / 3 / n)), n)})

    @conjecture(id="dtest.upper", statement=sp.Le(eps * E_tau, h_meta), search={"chain": random_chains()},
                verify_examples=(5, 5))
    def upper(chain):
        e = chain.eps_max / 10
        k, l = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
        return {E_tau: hitting_time(chain, chain.start, chain.target, e, method="exact"), eps: e,
                h_meta: meta_hitting_times(chain)[k][l]}
"""


def _verify(mod, *extra):
    r = subprocess.run([sys.executable, "-m", "metacot", "verify", "--module", str(mod), "--claim", "dtest.*",
                        "hitting.exact-canonical", "--quick", "--seed", "3", "--json", "--quiet", *extra],
                       capture_output=True, text=True, timeout=300)
    return r


def test_dask_report_is_byte_identical_to_local_workers(tmp_path):
    mod = tmp_path / "dtest.py"
    mod.write_text(textwrap.dedent(MODULE))
    local = _verify(mod, "--jobs", "1")
    dask = _verify(mod, "--jobs", "2", "--dask")
    assert local.returncode == dask.returncode == 1, local.stderr + dask.stderr   # dtest.upper is false
    assert local.stdout == dask.stdout
    rep = json.loads(dask.stdout)
    assert [c["id"] for c in rep["claims"]] == ["dtest.mixed", "dtest.upper", "hitting.exact-canonical"]
    assert rep["claims"][0]["verdict"] == "holds" and rep["claims"][2]["verdict"] == "holds"


def test_refute_on_dask_returns_the_smallest_counterexample(tmp_path):
    mod = tmp_path / "dtest.py"
    mod.write_text(textwrap.dedent(MODULE))
    r = subprocess.run([sys.executable, "-m", "metacot", "refute", "dtest.upper", "--module", str(mod), "--dask",
                        "--searches", "2", "--max-examples", "20", "--json"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1, r.stderr
    rep = json.loads(r.stdout)
    assert rep["found"] and "2 independent searches (seeds 0, 1)" in rep["note"]
    assert rep["chain"]["n"] <= 4
