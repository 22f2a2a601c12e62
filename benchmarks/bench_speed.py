"""Speed targets of issue 15, each measured against its reference in the same run; not part of the test run.

  python benchmarks/bench_speed.py [--quick] [--only SECTION ...]

Sections (one BLAS thread for every side, see _common.py):
  accuracy     relative error of E_0[τ] against the exact value on rings (sparse path: ring(20000, 5) and
               ring(100, 20); dense kernel: the operator of ring(100, 20)) at ε = 1e-2 … 1e-300.
               Target: ≤ 7e-16 at every ε.
  dense        metacot float hitting times vs numpy.linalg.solve on I − P: the dense kernel
               (hitting_reduction_dense) on the dense operator of ring(K, 20) at n = 2000 and 4000, a chain of
               dense random blocks through the public API, and the public API on ring(K, 20) itself (which
               dispatches to the sparse reduction). Target: ≤ 1.2× numpy.
  sparse       expected_hitting_times vs scipy.sparse.linalg.spsolve on rings of 10⁵ and 10⁶ states and on
               random clustered chains of 10⁵ states (clusters of 10–50): end to end from the chain (kernel,
               sub-matrix, solve) and solver only. Target: ≤ 1.5× spsolve.
  huge         a ring of 10⁷ states built and solved in a child process: wall time and peak RSS.
               Target: < 60 s, < 8 GB.
  build        ring(200000, 5, exact=False) (10⁶ states) construction with validation; exact ring(4000, 5).
               Target: < 3 s.
  mc           Monte Carlo sampler set-up at 10⁶ states (target < 2 s) and walker-steps per second on 1 and 2
               threads (target ≥ 5·10⁷ on 2 cores).
  exact        exact hitting times (python-flint backend) vs the Fraction state reduction (the exact path before
               FLINT), and Laurent expansions (FLINT) vs the sympy reduction over QQ(ε), on ring(8, 16) and a
               40-state random chain; Laurent coefficients of 300-state chains. Targets: ≥ 10× on both chains
               for a repeated call (as a timeit loop measures it; the first call, which also builds and caches
               the chain's integer form, is reported beside it); 300 states < 10 s.
  meta         exact h^meta(start → target) of ring(4000, 5) and of a random family with K = 4000, and the
               command `metacot family ring --K 4000 --M 5 --out FILE`.
Accuracy is reported beside the times (relative error against exact rationals where they exist).
Writes benchmarks/results/speed.json and speed.md.
"""
from __future__ import annotations

import _common as C  # noqa: F401  (first: one BLAS thread)

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

from bench_hitting import dense_chain  # noqa: E402  (K dense random blocks, one sparse edge each)
from metacot.numerics.families import random_chain, ring  # noqa: E402
from metacot.numerics.solvers import reduction as L  # noqa: E402
from metacot.numerics.solvers.hitting import expected_hitting_times  # noqa: E402

SECTIONS = ("accuracy", "dense", "sparse", "huge", "build", "mc", "exact", "meta")


# ----------------------------------------------------------------------------- accuracy
ACC_DECADES = [2, 4, 8, 12, 16, 20, 50, 100, 150, 200, 250, 300]


def bench_accuracy(quick):
    rows = []
    decades = [2, 16, 300] if quick else ACC_DECADES
    for K, M in ((20000, 5), (100, 20)):
        c = ring(K, M, exact=False)
        for d in decades:
            eps = Fraction(1, 10**d)
            ex = C.ring_exact(K, M, eps)
            row = {"chain": c.name, "eps": f"1e-{d}",
                   "rel_err_api": C.rel_err(expected_hitting_times(c, c.target, float(eps), "float")[0], ex)}
            if c.n <= 2000:
                A, t, _ = dense_operator(c, eps)
                row["rel_err_dense_kernel"] = C.rel_err(L.hitting_reduction_dense(A, t, np.ones(len(t)))[0], ex)
            rows.append(row)
    return rows


# ----------------------------------------------------------------------------- dense
def dense_operator(chain, eps):
    """Off-diagonal rates A, exit mass t (dense) of the non-target states, and I − P for numpy."""
    P = chain.kernel_dense(float(eps))
    keep = np.flatnonzero(np.arange(chain.n) != chain.target)
    sub = P[np.ix_(keep, keep)]
    A = sub.copy()
    np.fill_diagonal(A, 0.0)
    t = P[keep, chain.target]
    return A, t, np.eye(keep.size) - sub


def bench_dense(quick):
    rows = []
    eps = Fraction(1, 10**8)
    for K in ((100,) if quick else (100, 200)):
        c = ring(K, 20, exact=False)
        A, t, M = dense_operator(c, eps)
        ones = np.ones(M.shape[0])
        r = C.side_by_side({"metacot": lambda: L.hitting_reduction_dense(A, t, ones),
                            "numpy": lambda: np.linalg.solve(M, ones)}, repeat=3)
        ex = C.ring_exact(K, 20, eps)
        rows.append({"case": f"dense kernel, ring({K}, 20) operator", "n": c.n, "t_metacot": r["metacot"][0],
                     "t_reference": r["numpy"][0], "ratio": r["metacot"][0] / r["numpy"][0],
                     "rel_err_metacot": C.rel_err(r["metacot"][1][0], ex),
                     "rel_err_reference": C.rel_err(r["numpy"][1][0], ex)})
        r = C.side_by_side({"metacot": lambda: expected_hitting_times(c, c.target, float(eps), "float"),
                            "numpy": lambda: np.linalg.solve(M, ones)}, repeat=3)
        rows.append({"case": f"expected_hitting_times, ring({K}, 20)", "n": c.n, "t_metacot": r["metacot"][0],
                     "t_reference": r["numpy"][0], "ratio": r["metacot"][0] / r["numpy"][0],
                     "rel_err_metacot": C.rel_err(r["metacot"][1][0], ex),
                     "rel_err_reference": C.rel_err(r["numpy"][1][0], ex)})
    for n, K in (((2000, 10),) if quick else ((2000, 10), (4000, 20))):
        c = dense_chain(n, K)
        _, _, M = dense_operator(c, eps)
        ones = np.ones(M.shape[0])
        r = C.side_by_side({"metacot": lambda: expected_hitting_times(c, c.target, float(eps), "float"),
                            "numpy": lambda: np.linalg.solve(M, ones)}, repeat=3)
        rows.append({"case": f"expected_hitting_times, {K} dense random blocks", "n": n,
                     "t_metacot": r["metacot"][0], "t_reference": r["numpy"][0],
                     "ratio": r["metacot"][0] / r["numpy"][0], "rel_err_metacot": None,
                     "rel_diff_reference": abs(r["numpy"][1][0] / r["metacot"][1][0] - 1)})
    return rows


# ----------------------------------------------------------------------------- sparse
def bench_sparse(quick):
    rows = []
    eps = Fraction(1, 10**8)
    cases = [("ring", 20000, 5)] + ([] if quick else [("ring", 200000, 5)]) + \
        [("clustered", 100000, 0), ("clustered", 100000, 1)]
    for kind, a, b in cases:
        c = ring(a, b, exact=False) if kind == "ring" else C.random_clustered(a, seed=1, exits=b)
        e = float(eps) if kind == "ring" else 1e-6
        keep = np.flatnonzero(np.arange(c.n) != c.target)
        ones = np.ones(keep.size)
        # medians of 7 alternating runs (3 left ±30 % swings on this shared machine); spsolve on the clustered
        # chain with exits takes ~16 s, so once
        rep = 1 if (kind == "clustered" and b > 0) else 7

        def ref():
            return spla.spsolve(C.plain_system(c, e, dense=False), ones)

        r = C.side_by_side({"metacot": lambda: expected_hitting_times(c, c.target, e, "float"), "spsolve": ref},
                           repeat=rep)
        # solver only: the reduction on the prepared sub-system vs spsolve on the prepared I − P
        P = c.offdiag_kernel(e)
        absorb = np.zeros(c.n, dtype=bool)
        absorb[c.target] = True
        Aplain = C.plain_system(c, e, dense=False)
        s = C.side_by_side({"metacot": lambda: L.absorbing_solve(P, absorb, None, c.cluster_of, dense_max=3000),
                            "spsolve": lambda: spla.spsolve(Aplain, ones)}, repeat=rep)
        row = {"case": c.name, "n": c.n, "nnz": int(c.csr(0).nnz), "eps": e,
               "t_metacot": r["metacot"][0], "t_reference": r["spsolve"][0],
               "ratio": r["metacot"][0] / r["spsolve"][0],
               "t_metacot_solver": s["metacot"][0], "t_reference_solver": s["spsolve"][0],
               "ratio_solver": s["metacot"][0] / s["spsolve"][0]}
        if kind == "ring":
            ex = C.ring_exact(a, b, eps)
            row["rel_err_metacot"] = C.rel_err(r["metacot"][1][0], ex)
            row["rel_err_reference"] = C.rel_err(r["spsolve"][1][0], ex)
        else:
            row["rel_diff_reference"] = float(np.max(np.abs(r["spsolve"][1] / r["metacot"][1][keep] - 1)))
        rows.append(row)
    return rows


HUGE_SCRIPT = r"""
import os, sys, time, json, resource
sys.path.insert(0, {root!r})
for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[v] = "1"
from metacot.numerics.families import ring
from metacot.numerics.solvers.hitting import expected_hitting_times
t0 = time.perf_counter(); c = ring({K}, 5, exact=False); t1 = time.perf_counter()
h = expected_hitting_times(c, c.target, 1e-8, "float"); t2 = time.perf_counter()
print(json.dumps({{"n": c.n, "t_build": t1 - t0, "t_solve": t2 - t1, "h0": float(h[0]),
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}}))
"""


def bench_huge(quick):
    K = 200000 if quick else 2000000
    code = HUGE_SCRIPT.format(root=os.path.join(os.path.dirname(__file__), ".."), K=K)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    import json

    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["t_wall_process"] = wall
    res["rel_err"] = C.rel_err(res["h0"], C.ring_exact(K, 5, Fraction(1, 10**8)))
    return res


# ----------------------------------------------------------------------------- construction, Monte Carlo
def bench_build(quick):
    K = 20000 if quick else 200000
    out = {}
    dt, c = C.timed(lambda: ring(K, 5, exact=False))
    out["float_ring"] = {"n": c.n, "t_build": dt}
    dt, c = C.timed(lambda: ring(4000, 5))
    out["exact_ring"] = {"n": c.n, "t_build": dt}
    return out


def bench_mc(quick):
    from metacot.numerics.solvers.monte_carlo import KernelSampler

    K = 20000 if quick else 200000
    c = ring(K, 5, exact=False)
    t_setup = C.side_by_side({"setup": lambda: KernelSampler(c, 1e-3, seed=0)}, repeat=3)["setup"][0]
    small = ring(2000, 5, exact=False)
    walkers, steps = (500_000, 5) if quick else (2_000_000, 10)
    rate = {}
    for threads in (1, 2):
        s = KernelSampler(small, 1e-3, seed=0, threads=threads)
        x0 = np.zeros(walkers, dtype=np.int64)
        t = C.side_by_side({"run": lambda: s.run(x0, steps)}, repeat=3)["run"][0]
        rate[f"threads_{threads}"] = walkers * steps / t
    return {"setup_n": c.n, "t_setup": t_setup, "walker_steps_per_s": rate}


# ----------------------------------------------------------------------------- exact
def fraction_reference(chain, eps):
    """The Fraction state reduction on the rows of P(ε) in cluster order (the exact path before FLINT)."""
    import math

    from metacot.numerics.solvers.hitting import _assemble, _cluster_order, _system

    rows = chain.kernel_exact(eps)
    ok, unknown, A, t = _system(rows, {chain.target}, Fraction(0))
    h = L.hitting_reduction(A, t, [Fraction(1)] * len(unknown), order=_cluster_order(chain, unknown))
    return _assemble(chain.n, {chain.target}, ok, unknown, h, Fraction(0), math.inf)


def bench_exact(quick):
    from metacot.numerics.solvers.hitting import _hitting_laurent_sympy, hitting_laurent, laurent_coefficients

    rows = []
    eps = Fraction(1, 1000)
    for c in (ring(8, 16), random_chain(0, sizes=[10] * 4)):
        def cold():
            c.__dict__.pop("_exact_pattern", None)    # the integer form of the chain, built on first use
            return expected_hitting_times(c, c.target, eps, "exact")

        expected_hitting_times(c, c.target, eps, "exact")
        r = C.side_by_side({"cold": cold, "warm": lambda: expected_hitting_times(c, c.target, eps, "exact"),
                            "fraction": lambda: fraction_reference(c, eps)}, repeat=31)
        assert r["cold"][1] == r["fraction"][1] == r["warm"][1]
        lr = C.side_by_side({"flint": lambda: hitting_laurent(c, c.target),
                             "sympy": lambda: _hitting_laurent_sympy(c, {c.target})}, repeat=1 if quick else 2)
        same = [(f.num, f.den) for f in lr["flint"][1]] == [(f.num, f.den) for f in lr["sympy"][1]]
        rows.append({"chain": c.name, "n": c.n, "t_exact_cold": r["cold"][0], "t_exact_warm": r["warm"][0],
                     "t_exact_fraction": r["fraction"][0], "speedup_cold": r["fraction"][0] / r["cold"][0],
                     "speedup_warm": r["fraction"][0] / r["warm"][0], "t_laurent_flint": lr["flint"][0],
                     "t_laurent_sympy": lr["sympy"][0], "speedup_laurent": lr["sympy"][0] / lr["flint"][0],
                     "identical": same})
    big = []
    for c in (ring(30, 10), random_chain(5, sizes=[30] * 10), random_chain(6, sizes=[15] * 20, extra_edges=10)):
        dt, co = C.timed(lambda: laurent_coefficients(c, c.start, c.target, order=0))
        big.append({"chain": c.name, "n": c.n, "t_laurent_coefficients": dt,
                    "a_-1": str(co[-1])[:40], "digits_a0": len(str(co[0]))})
    return {"small": rows, "300": big}


def bench_meta(quick):
    from metacot.numerics.solvers.meta_chain import meta_hitting_time

    out = {}
    dt, (c, h) = C.timed(lambda: (lambda c: (c, meta_hitting_time(c, 0, c.K - 1)))(ring(4000, 5)))
    out["ring(4000,5)"] = {"n": c.n, "t_build_and_h_meta": dt, "h_meta": str(h),
                           "closed_form_ok": h == (4000 - 1) * 5}
    dt, (c, h) = C.timed(lambda: (lambda c: (c, meta_hitting_time(c, int(c.cluster_of[c.start]),
                                                                   int(c.cluster_of[c.target]))))(
        random_chain(0, K=4000, max_size=5)))
    out["random(K=4000, max_size=5)"] = {"n": c.n, "t_build_and_h_meta": dt, "h_meta_digits": len(str(h))}
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "metacot", "family", "ring", "--K", "4000", "--M", "5", "--out",
                            os.path.join(d, "ring.json"), "--json"], capture_output=True, text=True, timeout=600)
        out["cli_family_ring_4000_5"] = {"t_wall": time.perf_counter() - t, "exit": p.returncode}
    return out


# ----------------------------------------------------------------------------- report
def report(res):
    info = res["info"]
    L_ = ["# Speed and scale (issue 15)", "",
          f"Machine: {info['machine']}, {info['cpus']} CPUs, numpy {info['numpy']}, scipy {info['scipy']}, "
          f"python-flint {info['python-flint']}; one BLAS thread for every side. {info['note']}.", ""]
    tg = res["targets"]
    L_ += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in tg:
        L_.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |")
    if "accuracy" in res:
        L_ += ["", "## Accuracy: relative error of E_0[τ] against the exact rational value", "",
               "| chain | ε | public API (float) | dense kernel |", "|---|---|---|---|"]
        for r in res["accuracy"]:
            dk = r.get("rel_err_dense_kernel")
            L_.append(f"| {r['chain']} | {r['eps']} | {C.fmt_e(r['rel_err_api'])} | "
                      f"{C.fmt_e(dk) if 'rel_err_dense_kernel' in r else '—'} |")
    if "dense" in res:
        L_ += ["", "## Dense: metacot vs numpy.linalg.solve (ε = 1e-8)", "",
               "| case | n | metacot (s) | numpy (s) | ratio | rel. error metacot | rel. error numpy |",
               "|---|---|---|---|---|---|---|"]
        for r in res["dense"]:
            ref = r.get("rel_err_reference", r.get("rel_diff_reference"))
            L_.append(f"| {r['case']} | {r['n']} | {C.fmt_s(r['t_metacot'])} | {C.fmt_s(r['t_reference'])} | "
                      f"{r['ratio']:.2f} | {C.fmt_e(r['rel_err_metacot']) if r['rel_err_metacot'] is not None else '—'}"
                      f" | {C.fmt_e(ref)}{'' if 'rel_err_reference' in r else ' (vs metacot)'} |")
    if "sparse" in res:
        L_ += ["", "## Sparse: metacot vs scipy.sparse.linalg.spsolve", "",
               "| chain | n | end to end: metacot / spsolve (s) | ratio | solver only (s) | ratio | "
               "rel. error metacot | rel. error spsolve |", "|---|---|---|---|---|---|---|---|"]
        for r in res["sparse"]:
            ref = r.get("rel_err_reference", r.get("rel_diff_reference"))
            mine = r.get("rel_err_metacot")
            L_.append(f"| {r['case']} | {r['n']} | {C.fmt_s(r['t_metacot'])} / {C.fmt_s(r['t_reference'])} | "
                      f"{r['ratio']:.2f} | {C.fmt_s(r['t_metacot_solver'])} / {C.fmt_s(r['t_reference_solver'])} | "
                      f"{r['ratio_solver']:.2f} | {C.fmt_e(mine) if mine is not None else '—'} | {C.fmt_e(ref)}"
                      f"{'' if 'rel_err_reference' in r else ' (vs metacot)'} |")
    if "huge" in res and "error" not in res["huge"]:
        h = res["huge"]
        L_ += ["", f"## Ring of {h['n']:.0e} states, build and solve in one process", "",
               f"build {h['t_build']:.1f} s, solve {h['t_solve']:.1f} s, process wall time "
               f"{h['t_wall_process']:.1f} s, peak RSS {h['peak_rss_gb']:.2f} GB, relative error of E_0[τ] "
               f"{C.fmt_e(h['rel_err'])}."]
    if "build" in res:
        b = res["build"]
        L_ += ["", "## Construction with validation", "",
               f"ring(K, 5, exact=False), n = {b['float_ring']['n']}: {b['float_ring']['t_build']:.2f} s; "
               f"exact ring(4000, 5), n = {b['exact_ring']['n']}: {b['exact_ring']['t_build']:.2f} s."]
    if "mc" in res:
        m = res["mc"]
        L_ += ["", "## Monte Carlo", "", f"KernelSampler set-up at n = {m['setup_n']}: {m['t_setup']:.2f} s; "
               + ", ".join(f"{k.split('_')[1]} thread(s): {v:.3g} walker-steps/s"
                           for k, v in m["walker_steps_per_s"].items()) + "."]
    if "exact" in res:
        L_ += ["", "## Exact (python-flint) vs the Fraction / sympy reductions", "",
               "| chain | n | exact: first call / repeated / Fraction (s) | speed-up first / repeated | "
               "Laurent FLINT / sympy (s) | speed-up | identical |", "|---|---|---|---|---|---|---|"]
        for r in res["exact"]["small"]:
            L_.append(f"| {r['chain']} | {r['n']} | {r['t_exact_cold']:.4f} / {r['t_exact_warm']:.4f} / "
                      f"{r['t_exact_fraction']:.4f} | {r['speedup_cold']:.1f}× / {r['speedup_warm']:.1f}× | "
                      f"{r['t_laurent_flint']:.4f} / {r['t_laurent_sympy']:.2f} | {r['speedup_laurent']:.0f}× | "
                      f"{'yes' if r['identical'] else 'NO'} |")
        L_ += ["", "| 300-state chain | Laurent coefficients a₋₁, a₀ (s) |", "|---|---|"]
        for r in res["exact"]["300"]:
            L_.append(f"| {r['chain']} | {r['t_laurent_coefficients']:.2f} |")
    if "meta" in res:
        L_ += ["", "## Exact h^meta of large structured chains", ""]
        for k, v in res["meta"].items():
            t = v.get("t_build_and_h_meta", v.get("t_wall"))
            L_.append(f"- {k}: {t:.2f} s" + (f" (exit {v['exit']})" if "exit" in v else ""))
    return L_


def targets(res):
    out = []

    def add(name, measured, met):
        out.append({"target": name, "measured": measured, "met": bool(met)})

    acc = [r["rel_err_api"] for r in res.get("accuracy", [])]
    if acc:
        worst = max(float("inf") if v is None else v for v in acc)
        add("relative error ≤ 7e-16 at every ε from 1e-2 to 1e-300 (rings, public float API)",
            f"worst {worst:.1e}", worst <= 7e-16)
        dk = [r["rel_err_dense_kernel"] for r in res["accuracy"] if "rel_err_dense_kernel" in r]
        if dk:   # informational: ~m rounding steps on 2000 states give a few ulps, in any summation order
            out.append({"target": "(information) dense kernel on the ring(100, 20) operator, all ε",
                        "measured": f"worst {max(dk):.1e}", "met": True})
    for r in res.get("dense", []):
        if r["case"].startswith("dense kernel") or "dense random blocks" in r["case"]:
            add(f"dense ≤ 1.2× numpy.linalg.solve ({r['case']}, n = {r['n']})", f"{r['ratio']:.2f}×",
                r["ratio"] <= 1.2)
    for r in res.get("sparse", []):
        add(f"sparse ≤ 1.5× spsolve, end to end ({r['case']})", f"{r['ratio']:.2f}×", r["ratio"] <= 1.5)
    h = res.get("huge")
    if h and "error" not in h:
        add(f"ring of {h['n']:.0e} states < 60 s and < 8 GB", f"{h['t_wall_process']:.1f} s, {h['peak_rss_gb']:.2f} GB",
            h["t_wall_process"] < 60 and h["peak_rss_gb"] < 8)
    if "build" in res:
        b = res["build"]["float_ring"]
        add(f"chain construction at n = {b['n']} < 3 s", f"{b['t_build']:.2f} s", b["t_build"] < 3)
    if "mc" in res:
        m = res["mc"]
        add(f"Monte Carlo set-up at n = {m['setup_n']} < 2 s", f"{m['t_setup']:.2f} s", m["t_setup"] < 2)
        v = m["walker_steps_per_s"]["threads_2"]
        add("Monte Carlo ≥ 5e7 walker-steps/s on 2 threads", f"{v:.3g}", v >= 5e7)
    for r in res.get("exact", {}).get("small", []):
        add(f"exact solve ≥ 10× the Fraction reduction ({r['chain']}; first call / repeated)",
            f"{r['speedup_cold']:.1f}× / {r['speedup_warm']:.1f}×", r["speedup_warm"] >= 10)
        add(f"Laurent ≥ 10× the sympy reduction ({r['chain']})", f"{r['speedup_laurent']:.0f}×",
            r["speedup_laurent"] >= 10 and r["identical"])
    for r in res.get("exact", {}).get("300", []):
        add(f"Laurent coefficients of a 300-state chain < 10 s ({r['chain']})", f"{r['t_laurent_coefficients']:.2f} s",
            r["t_laurent_coefficients"] < 10)
    m = res.get("meta", {}).get("cli_family_ring_4000_5")
    if m:
        add("`metacot family ring --K 4000 --M 5 --out F` fast (< 10 s)", f"{m['t_wall']:.1f} s",
            m["t_wall"] < 10 and m["exit"] == 0)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (a smoke run)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = ap.parse_args(argv)
    name = "speed" if not args.quick else "speed-quick"
    res = {"info": C.machine_info(), "quick": args.quick}
    prev = os.path.join(C.OUT, f"{name}.json")
    if set(args.only) != set(SECTIONS) and os.path.exists(prev):   # a partial run updates the last full one
        import json

        with open(prev, encoding="utf-8") as fh:
            res.update({k: v for k, v in json.load(fh).items() if k in SECTIONS})
    for s in args.only:
        print(f"[bench_speed] {s} ...", flush=True)
        res[s] = globals()[f"bench_{s}"](args.quick)
    res["targets"] = targets(res)
    lines = report(res)
    C.write(name, res, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
