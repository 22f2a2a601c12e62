"""Benchmark of the hitting-time engine (issue 3); not part of the test run.

  python3 benchmarks/bench_hitting.py [--quick]

1. dense: n = 2000 metastable chain (10 clusters of 200, random dense float blocks), ε from 1e-2 to 1e-300:
   float state reduction (metacot.numerics.solvers.hitting, method 'float', dense blocked path) vs plain numpy.linalg.solve on
   (I − P) h = 1. No exact reference exists for random float blocks of this size; accuracy is shown as the
   difference between two independent subtraction-free algorithms (dense blocked vs sparse clustered), and
   numpy's deviation from them. (Exact/mp comparisons of the float path are in tests/test_hitting.py.)
2. sparse: ring(20000, 5, 1) with 10^5 states: float sparse reduction vs scipy.sparse.linalg.spsolve, both
   against the exact rational E_0[τ] (stage decomposition of the ring, `ring_exact`).
3. Monte Carlo throughput of KernelSampler in walker-steps per second (1 and 2 threads).
Writes benchmarks/results/hitting.json and hitting.md. The machine is shared: timings are noisy.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from fractions import Fraction

import mpmath
import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from metacot.numerics.chain import Chain  # noqa: E402
from metacot.numerics.families import ring  # noqa: E402
from metacot.numerics.solvers.hitting import expected_hitting_times  # noqa: E402
from metacot.numerics.solvers.monte_carlo import KernelSampler  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "results")


def best_time(fn, repeat=3):
    best, val = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        val = fn()
        best = min(best, time.perf_counter() - t)
    return best, val


def dense_chain(n=2000, K=10, seed=0):
    """K random dense blocks (each row a random law), one sparse edge of weight 1 from each block to the next."""
    rng = np.random.default_rng(seed)
    M = n // K
    P0 = np.zeros((n, n))
    for k in range(K):
        B = rng.random((M, M))
        P0[k * M:(k + 1) * M, k * M:(k + 1) * M] = B / B.sum(1, keepdims=True)
    Q = np.zeros((n, n))
    for k in range(K):
        Q[k * M, ((k + 1) % K) * M + M - 1] = 1.0
    qx = Q.sum(1)
    P1 = Q - qx[:, None] * P0
    return Chain.from_csr(sp.csr_matrix(P0), sp.csr_matrix(P1), clusters=[list(range(k * M, (k + 1) * M))
                                                                          for k in range(K)],
                          start=0, target=n - 1)


def float_ring(K, M, q=1):
    """ring(K, M, q) built directly in float64 (metacot.numerics.families.ring with exact=False)."""
    return ring(K, M, q, exact=False)


def ring_exact(K, M, eps):
    """Exact E_0[τ] for ring(K, M, 1) at ε, from the exact solution of the small chain ring(2, M) per stage.

    Stage structure: from the entry of C_k (or state 0 in C_0) to the entry of C_{k+1} the walk sees only C_k
    and one sparse edge, so E_0[τ] = T_first + (K−2)·T_stage with T_* exact hitting times on ring(2, M)."""
    from metacot.numerics.solvers.hitting import hitting_time

    c = ring(2, M)
    tgt = c.target                       # entry of C_1
    T_first = hitting_time(c, 0, tgt, eps, "exact")
    T_stage = hitting_time(c, M - 1, tgt, eps, "exact")   # from the entry of C_0 (state M−1)
    return T_first + (K - 2) * T_stage


def plain_dense(P, target):
    n = P.shape[0]
    keep = np.ones(n, dtype=bool)
    keep[target] = False
    A = np.eye(n - 1) - P[np.ix_(keep, keep)]
    return np.linalg.solve(A, np.ones(n - 1))


def plain_sparse(P, target):
    n = P.shape[0]
    keep = np.flatnonzero(np.arange(n) != target)
    A = sp.identity(n - 1, format="csc") - P[keep][:, keep].tocsc()
    return spla.spsolve(A, np.ones(n - 1))


def rel(a, b):
    with mpmath.workdps(60):
        bm = mpmath.mpf(b.numerator) / b.denominator if isinstance(b, Fraction) else mpmath.mpf(b)
        return float(abs(mpmath.mpf(a) - bm) / abs(bm))


def bench_dense(epsilons, repeat):
    chain = dense_chain()
    rows = []
    for e in epsilons:
        eps = Fraction(e)
        t_ours, h = best_time(lambda: expected_hitting_times(chain, chain.target, float(eps), "float"), repeat)
        P = chain.kernel_dense(float(eps))
        t_plain, hp = best_time(lambda: plain_dense(P, chain.target), repeat)
        rows.append({"eps": e, "n": chain.n, "t_float_reduction": t_ours, "t_numpy_solve": t_plain,
                     "ratio": t_ours / t_plain, "h_start_float": float(h[0]), "h_start_numpy": float(hp[0])})
    return chain, rows


def bench_ring(K, M, epsilons, repeat):
    t0 = time.perf_counter()
    chain = float_ring(K, M)
    t_build = time.perf_counter() - t0
    rows = []
    for e in epsilons:
        eps = Fraction(e)
        t_ours, h = best_time(lambda: expected_hitting_times(chain, chain.target, float(eps), "float"), repeat)
        P = chain.kernel(float(eps))
        t_plain, hp = best_time(lambda: plain_sparse(P, chain.target), 1)
        ex = ring_exact(K, M, eps)
        rows.append({"eps": e, "n": chain.n, "t_float_reduction": t_ours, "t_spsolve": t_plain,
                     "rel_err_float": rel(h[0], ex), "rel_err_spsolve": rel(hp[0], ex)
                     if np.isfinite(hp[0]) else None, "exact": float(ex)})
    return t_build, rows


def bench_mc(repeat, walkers=2_000_000, steps=10):
    chain = float_ring(2000, 5)
    out = {}
    for threads in (1, 2):
        s = KernelSampler(chain, 1e-3, seed=0, threads=threads)
        x0 = np.zeros(walkers, dtype=np.int64)
        t, _ = best_time(lambda: s.run(x0, steps), repeat)
        out[f"threads_{threads}"] = walkers * steps / t
    return out


def main(quick=False):
    dense_eps = ["1e-2", "1e-8", "1e-16", "1e-50", "1e-150", "1e-300"] if not quick else ["1e-2", "1e-300"]
    ring_eps = ["1e-2", "1e-8", "1e-16", "1e-100", "1e-300"] if not quick else ["1e-2", "1e-300"]
    repeat = 1 if quick else 3
    info = {"machine": platform.platform(), "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "cpus": os.cpu_count(),
            "note": "shared machine (up to 8 sessions on 2 cores): timings are noisy; best of `repeat` runs"}
    print("dense n=2000 ...", flush=True)
    chain, dense_rows = bench_dense(dense_eps, repeat)
    # accuracy of the dense path against the sparse path (independent algorithms: dense blocked vs clustered)
    import metacot.numerics.solvers.hitting as H
    import metacot.numerics.solvers.reduction as L

    for r in dense_rows:
        old = H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX
        H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = 10, 300
        try:
            hs = H.expected_hitting_times(chain, chain.target, float(Fraction(r["eps"])), "float")[0]
        finally:
            H.DENSE_FLOAT_MAX_N, L.SPARSE_DENSE_MAX = old
        r["rel_diff_dense_vs_sparse_reduction"] = abs(r["h_start_float"] / hs - 1)
        r["rel_diff_numpy_vs_reduction"] = abs(r["h_start_numpy"] / r["h_start_float"] - 1) \
            if np.isfinite(r["h_start_numpy"]) else None
    print("ring n=1e5 ...", flush=True)
    t_build, ring_rows = bench_ring(20000, 5, ring_eps, repeat)
    print("Monte Carlo ...", flush=True)
    mc = bench_mc(repeat)
    res = {"info": info, "dense": dense_rows, "ring": {"K": 20000, "M": 5, "n": 100000,
                                                       "t_build_chain": t_build, "rows": ring_rows},
           "monte_carlo_walker_steps_per_s": mc,
           "targets": {"dense_ratio_max": 3, "ring_seconds_max": 10, "mc_walker_steps_per_s_min": 5e7}}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "hitting.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    lines = ["# Hitting-time engine benchmark", "",
             f"Machine: {info['machine']}, {info['cpus']} CPUs, numpy {info['numpy']}, scipy {info['scipy']}. "
             f"{info['note']}.", "",
             "## Dense, n = 2000 (10 clusters of 200): float state reduction vs numpy.linalg.solve", "",
             "| ε | reduction (s) | numpy solve (s) | ratio | rel. diff. dense vs sparse reduction | "
             "rel. diff. numpy vs reduction |", "|---|---|---|---|---|---|"]
    for r in dense_rows:
        nd = r["rel_diff_numpy_vs_reduction"]
        lines.append(f"| {r['eps']} | {r['t_float_reduction']:.3f} | {r['t_numpy_solve']:.3f} | {r['ratio']:.2f} | "
                     f"{r['rel_diff_dense_vs_sparse_reduction']:.1e} | {'inf/nan' if nd is None else f'{nd:.1e}'} |")
    lines += ["", f"## Ring, K = 20000, M = 5 (n = 10^5): sparse reduction vs scipy spsolve "
                  f"(chain construction {t_build:.1f} s, not included)", "",
              "| ε | reduction (s) | spsolve (s) | rel. error reduction | rel. error spsolve |", "|---|---|---|---|---|"]
    for r in ring_rows:
        es = r["rel_err_spsolve"]
        lines.append(f"| {r['eps']} | {r['t_float_reduction']:.3f} | {r['t_spsolve']:.3f} | "
                     f"{r['rel_err_float']:.1e} | {'inf/nan' if es is None else f'{es:.1e}'} |")
    lines += ["", "Errors against the exact rational value (ring stage decomposition, exact arithmetic).", "",
              "## Monte Carlo throughput (ring, 2·10^6 walkers × 10 steps)", "",
              "| threads | walker-steps/s |", "|---|---|"]
    for k, v in mc.items():
        lines.append(f"| {k.split('_')[1]} | {v:.3g} |")
    with open(os.path.join(OUT, "hitting.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
