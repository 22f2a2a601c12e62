"""Run every benchmark (benchmarks/bench_*.py), each in its own process; not part of the test run.

  python benchmarks/run_all.py [--quick] [--only NAME ...] [--skip NAME ...]

Each script writes its own benchmarks/results/<name>.json and .md; this driver adds
benchmarks/results/summary.json and summary.md (exit code, wall time and the targets each script reports).
--quick is passed to the scripts that accept it (a smoke run). Install the peers first for the side-by-side
comparison: pip install -e '.[bench]' (a missing peer is skipped with a note).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "results")


def scripts():
    return sorted(os.path.basename(p)[len("bench_"):-3] for p in glob.glob(os.path.join(HERE, "bench_*.py")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to the scripts that accept it")
    ap.add_argument("--only", nargs="+", metavar="NAME", help=f"run only these (of {', '.join(scripts())})")
    ap.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="leave these out")
    args = ap.parse_args(argv)
    names = [n for n in (args.only or scripts()) if n not in args.skip]
    unknown = [n for n in names if n not in scripts()]
    if unknown:
        sys.stderr.write(f"error: unknown benchmark {unknown[0]!r} (choose from {', '.join(scripts())})\n")
        return 2
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    summary = []
    for name in names:
        path = os.path.join(HERE, f"bench_{name}.py")
        cmd = [sys.executable, path]
        if args.quick and "--quick" in open(path, encoding="utf-8").read():
            cmd.append("--quick")
        print(f"[run_all] {' '.join(os.path.relpath(c) if c == path else c for c in cmd)}", flush=True)
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, cwd=os.path.join(HERE, ".."))
        wall = time.perf_counter() - t
        entry = {"benchmark": name, "exit": p.returncode, "wall_s": round(wall, 1)}
        res = os.path.join(OUT, f"{name}{'-quick' if args.quick and name in ('speed', 'peers') else ''}.json")
        if os.path.exists(res):
            try:
                with open(res, encoding="utf-8") as fh:
                    entry["targets"] = json.load(fh).get("targets")
            except (OSError, ValueError):
                pass
        summary.append(entry)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump({"quick": args.quick, "runs": summary}, fh, indent=1)
        fh.write("\n")
    lines = ["# Benchmarks run by benchmarks/run_all.py" + (" (--quick)" if args.quick else ""), "",
             "| benchmark | exit | wall time (s) |", "|---|---|---|"]
    lines += [f"| {e['benchmark']} | {e['exit']} | {e['wall_s']} |" for e in summary]
    for e in summary:
        if isinstance(e.get("targets"), list) and e["targets"] and isinstance(e["targets"][0], dict):
            lines += ["", f"## Targets of {e['benchmark']}", "", "| target | measured | met |", "|---|---|---|"]
            lines += [f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |" for t in e["targets"]]
    with open(os.path.join(OUT, "summary.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(e["exit"] == 0 for e in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
