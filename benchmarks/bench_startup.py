"""Start-up time of the command line (issue 12: `metacot --help` and `--version` under 0.5 s); not a test.

  python3 benchmarks/bench_startup.py [--repeat N]

Each command runs N times (default 15) as a fresh process; the table gives the median and the minimum
wall time, and the ratio of the median to the bare interpreter (`python -c pass`) measured in the same
run. The reference row "eager imports" loads what `metacot --help` imported before the parser was made
lazy (sympy, numpy, scipy, mpmath and the chain module): the cost the lazy parser avoids.
Writes benchmarks/results/startup.json and startup.md. The machine is shared: timings are noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

OUT = os.path.join(os.path.dirname(__file__), "results")
TARGET_SECONDS = 0.5

PY = sys.executable
CASES = [
    ("python -c pass (reference)", [PY, "-c", "pass"]),
    ("metacot --version", [PY, "-m", "metacot", "--version"]),
    ("metacot --help", [PY, "-m", "metacot", "--help"]),
    ("metacot hitting --help", [PY, "-m", "metacot", "hitting", "--help"]),
    ("eager imports (reference: what --help loaded before)",
     [PY, "-c", "import sympy, numpy, scipy.sparse, mpmath, metacot.numerics.chain, metacot.numerics.io"]),
]


def wall_times(argv, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {r.stderr.decode()[-300:]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rows = []
    for name, argv in CASES:
        ts = wall_times(argv, args.repeat)
        rows.append({"command": name, "median_s": statistics.median(ts), "min_s": min(ts), "repeat": len(ts)})
    base = rows[0]["median_s"]
    for r in rows:
        r["ratio_to_interpreter"] = r["median_s"] / base
        r["meets_target"] = r["median_s"] < TARGET_SECONDS if r["command"].startswith("metacot") else None
    meta = {"machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "note": "shared machine: timings are noisy; medians of fresh processes", "target_seconds": TARGET_SECONDS}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "startup.json"), "w", encoding="utf-8") as fh:
        json.dump({"meta": meta, "rows": rows}, fh, indent=1)
        fh.write("\n")
    lines = ["# Command-line start-up time", "",
             f"Machine: {meta['machine']}. {meta['note']}. Target: `metacot --help` and `--version` under "
             f"{TARGET_SECONDS} s.", "",
             "| command | median (s) | min (s) | median / interpreter |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['command']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['ratio_to_interpreter']:.1f} |")
    with open(os.path.join(OUT, "startup.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
