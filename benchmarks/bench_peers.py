"""metacot side by side with the libraries users would otherwise pick: accuracy vs ε and time; not a test.

  python benchmarks/bench_peers.py [--quick]        (peers from the `bench` extra: pip install -e '.[bench]')

1. Accuracy of E_start[τ_target] on two 50-state metastable chains (ring(10, 5) and a random clustered chain
   with 8 clusters of 6) at ε = 1e-2 … 1e-300, against the exact rational value (python-flint backend):
   metacot float (state reduction), numpy.linalg.solve and scipy.sparse.linalg.spsolve on I − P,
   deeptime.markov.tools.analysis.mfpt, PyGT.mfpt.compute_MFPT (graph transformation) and, when
   METACOT_PYDTMC_PYTHON names a Python with PyDTMC (it pins matplotlib ≤ 3.7.3, so it lives in its own
   environment), PyDTMC's MarkovChain.hitting_times.
2. Accuracy of the stationary law π(ε) of the same chains (largest relative error over the states, against the
   exact law): metacot float (GTH), quantecon.gth_solve, deeptime stationary_distribution, numpy (solve of
   π(I − P) = 0 with Σπ = 1), PyDTMC; plus the 2-state trap of spec 06.
3. Time of one hitting-time solve and one stationary law on ring(100, 20) (n = 2000) and ring(20000, 5)
   (n = 10⁵) for every peer that supports the size (PyGT and PyDTMC only at n = 2000).
A peer that is not installed is skipped with a note; a peer that raises or returns inf/nan counts as failed
at that ε. Writes benchmarks/results/peers.json (the plot data: relative error per peer and ε) and peers.md.
"""
from __future__ import annotations

import _common as C  # noqa: F401  (first: one BLAS thread)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

from metacot.numerics.families import random_chain, ring  # noqa: E402
from metacot.numerics.solvers.hitting import expected_hitting_times  # noqa: E402

EPS_DECADES = [2, 4, 6, 8, 10, 12, 14, 16, 20, 30, 50, 100, 150, 200, 250, 300]
PYDTMC = os.environ.get("METACOT_PYDTMC_PYTHON", "/tmp/pydtmcvenv/bin/python")


def _peers_available():
    out = {}
    for name, mod in (("deeptime", "deeptime"), ("quantecon", "quantecon"), ("PyGT", "PyGT")):
        try:
            m = __import__(mod)
            out[name] = getattr(m, "__version__", "?")
        except Exception as exc:  # noqa: BLE001 - any import failure means: skip this peer
            out[name] = None
            print(f"[bench_peers] {name} not available ({type(exc).__name__}): skipped", flush=True)
    ok = os.path.exists(PYDTMC) and subprocess.run([PYDTMC, "-c", "import pydtmc"], capture_output=True).returncode == 0
    out["PyDTMC"] = subprocess.run([PYDTMC, "-c", "import pydtmc; print(pydtmc.__version__)"], capture_output=True,
                                   text=True).stdout.strip() if ok else None
    return out


# ----------------------------------------------------------------------------- hitting-time peers
def hit_metacot(cf, P, start, target):
    return expected_hitting_times(cf, target, cf.eps_float, "float")[start]


def hit_numpy(cf, P, start, target):
    keep = np.flatnonzero(np.arange(P.shape[0]) != target)
    h = np.linalg.solve(np.eye(keep.size) - P.toarray()[np.ix_(keep, keep)], np.ones(keep.size))
    return h[np.searchsorted(keep, start)]


def hit_spsolve(cf, P, start, target):
    keep = np.flatnonzero(np.arange(P.shape[0]) != target)
    A = (sp.identity(keep.size, format="csc") - P[keep][:, keep]).tocsc()
    return spla.spsolve(A, np.ones(keep.size))[np.searchsorted(keep, start)]


def hit_deeptime(cf, P, start, target):
    from deeptime.markov.tools.analysis import mfpt

    T = P.toarray() if P.shape[0] <= 5000 else P
    return float(np.ravel(mfpt(T, target, origin=start))[0])


def hit_pygt(cf, P, start, target):
    from PyGT.mfpt import compute_MFPT
    from PyGT.tools import load_DTMC

    B, tau = load_DTMC(P.toarray().T, 1.0)          # PyGT works with column-stochastic matrices
    t_ab, t_ba = compute_MFPT(target, start, B, tau, block=1)
    return float(t_ab)                               # target ← start


HIT_PEERS = {"metacot": hit_metacot, "numpy": hit_numpy, "scipy spsolve": hit_spsolve,
             "deeptime": hit_deeptime, "PyGT": hit_pygt}


# ----------------------------------------------------------------------------- stationary-law peers
def pi_metacot(cf, P):
    from metacot.numerics.solvers.stationary import stationary_law

    return np.asarray(stationary_law(cf, cf.eps_float, "float"))


def pi_quantecon(cf, P):
    import quantecon as qe

    return qe.gth_solve(P.toarray())


def pi_deeptime(cf, P):
    from deeptime.markov.tools.analysis import stationary_distribution

    return stationary_distribution(P.toarray())


def pi_numpy(cf, P):
    n = P.shape[0]
    A = (np.eye(n) - P.toarray()).T
    A[-1] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    return np.linalg.solve(A, b)


PI_PEERS = {"metacot": pi_metacot, "quantecon gth_solve": pi_quantecon, "deeptime": pi_deeptime,
            "numpy": pi_numpy}

PYDTMC_SCRIPT = r"""
import json, sys, warnings, numpy as np
warnings.simplefilter("ignore")
from pydtmc import MarkovChain
d = np.load(sys.argv[1])
out = {}
for key in d.files:
    P = d[key]
    start, target = int(key.split("_")[1]), int(key.split("_")[2])
    try:
        mc = MarkovChain(P)
        h = float(mc.hitting_times([target])[start])
    except Exception as exc:
        h = repr(exc)[:80]
    try:
        pi = [float(v) for v in MarkovChain(P).stationary_distributions[0]]
    except Exception as exc:
        pi = repr(exc)[:80]
    out[key] = {"h": h, "pi": pi}
print(json.dumps(out))
"""


def run_pydtmc(mats: dict):
    """PyDTMC in its own interpreter on dense matrices {key: P}; key = name_start_target."""
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "P.npz")
        np.savez(f, **mats)
        p = subprocess.run([PYDTMC, "-c", PYDTMC_SCRIPT, f], capture_output=True, text=True, timeout=3600)
        if p.returncode:
            return {k: {"h": "crashed", "pi": "crashed"} for k in mats}
        return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- accuracy
def accuracy_chains():
    a = ring(10, 5)
    b = random_chain(1, sizes=[6] * 8, extra_edges=4)
    return [a, b]


def bench_accuracy(avail, decades):
    from metacot.numerics.solvers.stationary import stationary_law

    out = []
    for c in accuracy_chains():
        cf = c.to_float()
        rows = []
        mats = {}
        for d in decades:
            eps = Fraction(1, 10**d) * min(1, c.eps_max)
            cf.eps_float = float(eps)
            P = cf.kernel(float(eps))
            exact_h = expected_hitting_times(c, c.target, eps, "exact")[c.start]
            exact_pi = stationary_law(c, eps, "exact")
            row = {"eps": f"1e-{d}", "exact_E_tau": str(exact_h)[:60], "hitting": {}, "stationary": {}}
            for name, fn in HIT_PEERS.items():
                if name in avail and avail[name] is None:
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row["hitting"][name] = C.rel_err(fn(cf, P, c.start, c.target), exact_h)
                except Exception as exc:  # noqa: BLE001 - a peer's failure is a result
                    row["hitting"][name] = None
                    row.setdefault("errors", {})[name] = repr(exc)[:100]
            for name, fn in PI_PEERS.items():
                if name.split()[0] in avail and avail[name.split()[0]] is None:
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        pi = fn(cf, P)
                    errs = [C.rel_err(v, e) for v, e in zip(pi, exact_pi)]
                    row["stationary"][name] = None if None in errs else max(errs)
                except Exception as exc:  # noqa: BLE001
                    row["stationary"][name] = None
                    row.setdefault("errors", {})[name] = repr(exc)[:100]
            rows.append(row)
            mats[f"e{d}_{c.start}_{c.target}"] = P.toarray()
            row["_exact"] = (exact_h, exact_pi)
        if avail.get("PyDTMC"):
            res = run_pydtmc(mats)
            for row, d in zip(rows, decades):
                r = res[f"e{d}_{c.start}_{c.target}"]
                exact_h, exact_pi = row["_exact"]
                row["hitting"]["PyDTMC"] = C.rel_err(r["h"], exact_h) if isinstance(r["h"], float) else None
                if isinstance(r["pi"], list):
                    errs = [C.rel_err(v, e) for v, e in zip(r["pi"], exact_pi)]
                    row["stationary"]["PyDTMC"] = None if None in errs else max(errs)
                else:
                    row["stationary"]["PyDTMC"] = None
        for row in rows:
            row.pop("_exact", None)
        out.append({"chain": c.name, "n": c.n, "start": c.start, "target": c.target, "rows": rows})
    return out


def trap_rows(avail):
    """The 2-state chain [[1 − a, a], [a/2, 1 − a/2]]: π = (1/3, 2/3) for every a > 0 (spec 06)."""
    out = []
    for a in (1e-8, 1e-16, 1e-17, 1e-100):
        P = np.array([[1 - a, a], [a / 2, 1 - a / 2]])
        row = {"a": a}
        from metacot.numerics.solvers.stationary import stationary_distribution

        row["metacot"] = float(np.max(np.abs(np.asarray(stationary_distribution(P)) / [1 / 3, 2 / 3] - 1)))
        fns = {"quantecon gth_solve": lambda: __import__("quantecon").gth_solve(P),
               "deeptime": lambda: __import__("deeptime.markov.tools.analysis", fromlist=["x"])
               .stationary_distribution(P),
               "numpy": lambda: pi_numpy(None, sp.csr_matrix(P))}
        for name, fn in fns.items():
            if name.split()[0] in avail and avail[name.split()[0]] is None:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pi = np.asarray(fn(), dtype=float)
                e = float(np.max(np.abs(pi / [1 / 3, 2 / 3] - 1)))
                row[name] = e if np.isfinite(e) else None
            except Exception:  # noqa: BLE001
                row[name] = None
        out.append(row)
    return out


# ----------------------------------------------------------------------------- time
def bench_time(avail, quick):
    out = []
    eps = 1e-8
    for K, M in ((100, 20),) + (() if quick else ((20000, 5),)):
        cf = ring(K, M, exact=False)
        cf.eps_float = eps
        P = cf.kernel(eps)
        big = cf.n > 5000
        row = {"chain": cf.name, "n": cf.n, "hitting": {}, "stationary": {}}
        for name, fn in HIT_PEERS.items():
            if (name in avail and avail[name] is None) or (big and name in ("numpy", "PyGT")):
                continue
            r = C.side_by_side({name: lambda: fn(cf, P, cf.start, cf.target)}, repeat=1 if name == "PyGT" else 3)
            row["hitting"][name] = r[name][0]
        for name, fn in PI_PEERS.items():
            if (name.split()[0] in avail and avail[name.split()[0]] is None) or big:
                continue
            r = C.side_by_side({name: lambda: fn(cf, P)}, repeat=3)
            row["stationary"][name] = r[name][0]
        if big:   # the float stationary laws of metacot and the peers work on dense matrices: n² memory
            row["stationary_note"] = "not timed at this size: every stationary-law routine here is dense"
        if avail.get("PyDTMC") and not big:
            import time

            t = time.perf_counter()
            run_pydtmc({f"t_{cf.start}_{cf.target}": P.toarray()})
            row["hitting"]["PyDTMC (incl. process start, both quantities)"] = time.perf_counter() - t
        out.append(row)
    return out


def report(res):
    info = res["info"]
    L = ["# metacot and its peers: accuracy vs ε and time", "",
         f"Machine: {info['machine']}, numpy {info['numpy']}, scipy {info['scipy']}; one BLAS thread. "
         "Peers: " + ", ".join(f"{k} {v}" if v else f"{k} not installed (skipped)"
                               for k, v in res["peers"].items()) + ".", "",
         "Relative error against the exact rational value (python-flint). A dash means the peer failed "
         "(exception, inf or nan) or is not installed.", ""]
    for block in res["accuracy"]:
        names = sorted({k for r in block["rows"] for k in r["hitting"]}, key=list(HIT_PEERS).__add__(["PyDTMC"]).index)
        L += [f"## E_start[τ] on {block['chain']} (n = {block['n']})", "",
              "| ε | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for r in block["rows"]:
            L.append(f"| {r['eps']} | " + " | ".join(C.fmt_e(r["hitting"].get(k)) if k in r["hitting"] else "—"
                                                    for k in names) + " |")
        names = sorted({k for r in block["rows"] for k in r["stationary"]})
        L += ["", f"Stationary law π(ε) of {block['chain']} (largest relative error over the states):", "",
              "| ε | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for r in block["rows"]:
            L.append(f"| {r['eps']} | " + " | ".join(C.fmt_e(r["stationary"].get(k)) if k in r["stationary"]
                                                    else "—" for k in names) + " |")
        L.append("")
    names = [k for k in res["trap"][0] if k != "a"]
    L += ["## The 2-state trap of spec 06: π = (1/3, 2/3) for every a", "",
          "| a | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for r in res["trap"]:
        L.append(f"| {r['a']:g} | " + " | ".join(C.fmt_e(r[k]) for k in names) + " |")
    L += ["", "## Time of one solve (s), ε = 1e-8", ""]
    for r in res["time"]:
        L.append(f"- {r['chain']} (n = {r['n']}): hitting times " +
                 ", ".join(f"{k} {C.fmt_s(v)}" for k, v in r["hitting"].items()) + "; stationary law " +
                 ", ".join(f"{k} {C.fmt_s(v)}" for k, v in r["stationary"].items()) + ".")
    return L


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer ε, the small timing case only")
    args = ap.parse_args(argv)
    avail = _peers_available()
    decades = [2, 8, 16, 100, 300] if args.quick else EPS_DECADES
    res = {"info": C.machine_info(), "peers": avail, "eps_decades": decades}
    print("[bench_peers] accuracy ...", flush=True)
    res["accuracy"] = bench_accuracy(avail, decades)
    res["trap"] = trap_rows(avail)
    print("[bench_peers] time ...", flush=True)
    res["time"] = bench_time(avail, args.quick)
    lines = report(res)
    C.write("peers" if not args.quick else "peers-quick", res, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
