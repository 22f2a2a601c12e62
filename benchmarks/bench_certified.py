"""Benchmark of the certified enclosures (issue 13 item 4); not part of the test run.

  python3 benchmarks/bench_certified.py [--quick]

1. widths: 100-state clustered chains (random_chain with 20 clusters of 5 and with 10 clusters of 10,
   ring(20, 5), uniform_escape(20, 5)) at ε = 1e-2 … 1e-300 (and 1e-400, below the float range):
   the largest relative width of the certified hitting-time enclosures (automatic precision, and a fixed
   53-bit run to show that the width does not depend on ε), whether every enclosure contains the exact
   rational value (Fraction state reduction, method "exact"), and the times of the certified, exact and
   float methods measured side by side. Absorption probabilities and stationary laws: widths at the same ε.
2. dense: a 200-state chain with every entry of P(ε) positive (4 random dense rational blocks of 50,
   P1 = U − P0 with U uniform), ε = 1e-300: times of the three certified routines (target < 30 s each),
   their widths, and the float method's time as the in-run reference; an exact solve of the linear system
   with flint.fmpq_mat (skipped with --quick) checks containment.
Targets: relative width ≤ 1e-12 at every ε from 1e-2 to 1e-300 on the 100-state chains; the dense 200-state
chain in under 30 s. Writes benchmarks/results/certified.json and certified.md. The machine is shared:
timings are noisy (median of `repeat` runs).
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import statistics
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import flint  # noqa: E402

from metacot.numerics.chain import Chain  # noqa: E402
from metacot.numerics.families import random_chain, ring, uniform_escape  # noqa: E402
from metacot.numerics.solvers import certified as C  # noqa: E402
from metacot.numerics.solvers import hitting as H  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "results")
WIDTH_TARGET = 1e-12
DENSE_SECONDS_MAX = 30.0


def median_time(fn, repeat):
    times, val = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        val = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), val


def worst(values) -> float:
    """Largest relative width among Interval entries (inf entries skipped; exact zeros have width 0)."""
    w = 0.0
    for v in values:
        if v != math.inf:
            w = max(w, float(v.relative_width()))
    return w


def encloses(exact, cert) -> bool:
    return all((a == math.inf and b == math.inf) or (a != math.inf and a in b) for a, b in zip(exact, cert))


def chains_100():
    return [("random 20×5", random_chain(1, [5] * 20, extra_edges=20)),
            ("random 10×10", random_chain(2, [10] * 10, extra_edges=10)),
            ("ring(20, 5)", ring(20, 5)),
            ("uniform_escape(20, 5)", uniform_escape(20, 5))]


def dense_chain(n=200, K=4, seed=0, den=1000) -> Chain:
    """K random dense rational blocks; P1 = U − P0 (U uniform on all n states), so P(ε) > 0 entrywise, eps_max = 1."""
    rng = random.Random(seed)
    M = n // K
    P0, P1 = {}, {}
    for k in range(K):
        for i in range(M):
            w = [rng.randint(1, den) for _ in range(M)]
            s = sum(w)
            for j in range(M):
                P0[(k * M + i, k * M + j)] = Fraction(w[j], s)
    for x in range(n):
        for y in range(n):
            P1[(x, y)] = Fraction(1, n) - P0.get((x, y), 0)
    return Chain(n, P0, P1, [list(range(k * M, (k + 1) * M)) for k in range(K)], start=0, target=n - 1,
                 name=f"dense(n={n}, K={K})")


def bench_widths(epsilons, repeat):
    rows = []
    for name, c in chains_100():
        avoid = c.start if c.start != c.target else 0
        for e in epsilons:
            eps = Fraction(e)
            t_cert, h = median_time(lambda: C.certified_hitting_times(c, c.target, eps), repeat)
            h53 = C.certified_hitting_times(c, c.target, eps, prec=53)
            t_exact, ex = median_time(lambda: H.expected_hitting_times(c, c.target, eps, "exact"), 1)
            t_float = None
            if eps >= Fraction(1, 10**300):
                t_float, _ = median_time(lambda: H.expected_hitting_times(c, c.target, float(eps), "float"), repeat)
            u = C.certified_absorption_probabilities(c, c.target, eps, avoid=[avoid])
            ue = H.hitting_probabilities(c, c.target, eps, avoid=[avoid], method="exact")
            pi = C.certified_stationary_law(c, eps)
            pie = H.stationary_law(c, eps, "exact")
            rows.append({"chain": name, "n": c.n, "eps": e,
                         "hitting_width_auto": worst(h), "hitting_width_53bit": worst(h53),
                         "hitting_encloses_exact": encloses(ex, h) and encloses(ex, h53),
                         "absorption_width_auto": worst(u), "absorption_encloses_exact": encloses(ue, u),
                         "stationary_width_auto": worst(pi), "stationary_encloses_exact": encloses(pie, pi),
                         "t_certified": t_cert, "t_exact": t_exact, "t_float": t_float})
            print(f"  {name:22s} eps={e:7s} width {rows[-1]['hitting_width_auto']:.1e} "
                  f"(53 bit {rows[-1]['hitting_width_53bit']:.1e}) t={t_cert:.3f}s", flush=True)
    return rows


def exact_hitting_fmpq(c: Chain, target: int, eps: Fraction) -> list:
    """Exact E_x[τ_target] from the linear system (diag(e) − A) h = 1 solved by flint.fmpq_mat (P(ε) > 0:
    every state hits the target a.s.). Independent of the state reduction; the Fraction reduction is much
    slower on this dense chain (rationals with ~10^4 digits fill in)."""
    rows = c.kernel_exact(eps)
    unk = [x for x in range(c.n) if x != target]
    idx = {x: i for i, x in enumerate(unk)}
    M = flint.fmpq_mat(len(unk), len(unk))
    for x in unk:
        d = Fraction(0)
        for y, v in rows[x].items():
            if y != x:
                d += v
                if y in idx:
                    M[idx[x], idx[y]] = flint.fmpq(-v.numerator, v.denominator)
        M[idx[x], idx[x]] = flint.fmpq(d.numerator, d.denominator)
    sol = M.solve(flint.fmpq_mat(len(unk), 1, [1] * len(unk)))
    out = [Fraction(0)] * c.n
    for x in unk:
        q = sol[idx[x], 0]
        out[x] = Fraction(int(q.p), int(q.q))
    return out


def bench_dense(repeat, with_exact):
    c = dense_chain()
    eps = Fraction(1, 10**300)
    out = {"n": c.n, "eps": "1e-300", "nonzeros": sum(len(r) for r in c.kernel_exact(eps))}
    t, h = median_time(lambda: C.certified_hitting_times(c, c.target, eps), repeat)
    out.update(t_hitting=t, hitting_width=worst(h))
    t, u = median_time(lambda: C.certified_absorption_probabilities(c, c.target, eps, avoid=[c.n // 2]), repeat)
    out.update(t_absorption=t, absorption_width=worst(u))
    t, pi = median_time(lambda: C.certified_stationary_law(c, eps), repeat)
    out.update(t_stationary=t, stationary_width=worst(pi))
    t, _ = median_time(lambda: H.expected_hitting_times(c, c.target, float(eps), "float"), repeat)
    out.update(t_float_hitting=t, ratio_certified_to_float=out["t_hitting"] / t)
    if with_exact:
        t, ex = median_time(lambda: exact_hitting_fmpq(c, c.target, eps), 1)
        out.update(t_exact_hitting=t, hitting_encloses_exact=encloses(ex, h))
    return out


def main(quick=False):
    epsilons = (["1e-2", "1e-300", "1e-400"] if quick else
                ["1e-2", "1e-5", "1e-10", "1e-20", "1e-50", "1e-100", "1e-150", "1e-200", "1e-250", "1e-300",
                 "1e-400"])
    repeat = 1 if quick else 3
    info = {"machine": platform.platform(), "python": platform.python_version(), "python_flint": flint.__version__,
            "cpus": os.cpu_count(), "start_prec_bits": C.START_PREC, "rtol": str(C.RTOL), "max_prec_bits": C.MAX_PREC,
            "note": "shared machine (several sessions on 2 cores): timings are noisy; median of `repeat` runs"}
    print("100-state chains ...", flush=True)
    rows = bench_widths(epsilons, repeat)
    print("dense n=200 ...", flush=True)
    dense = bench_dense(repeat, with_exact=not quick)
    in_range = [r for r in rows if Fraction(r["eps"]) >= Fraction(1, 10**300)]
    met = {"width_le_1e-12_all_eps_1e-2_to_1e-300": all(r["hitting_width_auto"] <= WIDTH_TARGET
                                                         and r["absorption_width_auto"] <= WIDTH_TARGET
                                                         and r["stationary_width_auto"] <= WIDTH_TARGET
                                                         for r in in_range),
           "all_enclose_exact": all(r["hitting_encloses_exact"] and r["absorption_encloses_exact"]
                                    and r["stationary_encloses_exact"] for r in rows),
           "dense_200_under_30s": max(dense["t_hitting"], dense["t_absorption"], dense["t_stationary"])
           < DENSE_SECONDS_MAX}
    res = {"info": info, "widths_100": rows, "dense_200": dense, "targets_met": met,
           "targets": {"relative_width_max": WIDTH_TARGET, "dense_200_seconds_max": DENSE_SECONDS_MAX}}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "certified.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    lines = ["# Certified enclosures benchmark", "",
             f"Machine: {info['machine']}, {info['cpus']} CPUs, python-flint {info['python_flint']}. {info['note']}.",
             f"Automatic precision: start {C.START_PREC} bits, doubling until every relative width ≤ {float(C.RTOL):.0e}, "
             f"cap {C.MAX_PREC} bits.", "",
             "## 100-state chains: largest relative width of the enclosures", "",
             "Hitting times E_x[τ_target] for every x (auto precision, and a fixed 53-bit run), absorption probabilities "
             "(target before the start state) and the stationary law. \"encl.\": every enclosure contains the exact "
             "rational value. Times in seconds (certified auto / exact Fractions / float64).", "",
             "| chain | ε | hitting | hitting 53 bit | absorption | stationary | encl. | t cert | t exact | t float |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        enc = r["hitting_encloses_exact"] and r["absorption_encloses_exact"] and r["stationary_encloses_exact"]
        tf = "–" if r["t_float"] is None else f"{r['t_float']:.3f}"
        lines.append(f"| {r['chain']} | {r['eps']} | {r['hitting_width_auto']:.1e} | {r['hitting_width_53bit']:.1e} | "
                     f"{r['absorption_width_auto']:.1e} | {r['stationary_width_auto']:.1e} | {'yes' if enc else 'NO'} | "
                     f"{r['t_certified']:.3f} | {r['t_exact']:.3f} | {tf} |")
    d = dense
    lines += ["", f"## Dense chain, n = {d['n']} ({d['nonzeros']} positive entries), ε = {d['eps']}", "",
              "| quantity | time (s) | largest relative width |", "|---|---|---|",
              f"| hitting times | {d['t_hitting']:.2f} | {d['hitting_width']:.1e} |",
              f"| absorption probabilities | {d['t_absorption']:.2f} | {d['absorption_width']:.1e} |",
              f"| stationary law | {d['t_stationary']:.2f} | {d['stationary_width']:.1e} |", "",
              f"Float64 state reduction (same chain, hitting times): {d['t_float_hitting']:.3f} s; "
              f"certified / float = {d['ratio_certified_to_float']:.0f}."]
    if "t_exact_hitting" in d:
        lines.append(f"Exact reference (flint fmpq_mat solve of the linear system): {d['t_exact_hitting']:.1f} s; "
                     f"the enclosures contain the exact values: "
                     f"{'yes' if d['hitting_encloses_exact'] else 'NO'}.")
    lines += ["", "Targets met: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in met.items()) + "."]
    with open(os.path.join(OUT, "certified.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
