"""Core subcommands: claims, verify, family, meta."""
from __future__ import annotations

import json
import os

from metacot.numerics.cli.helpers import add_chain_argument, emit_json, exact_number, fmt, get_chain
from metacot.numerics.errors import MetacotError

SEED_MAX = 2**32 - 1


def _seed(text: str) -> int:
    """argparse type of every --seed: an integer in 0..2**32 − 1."""
    import argparse

    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer in 0..{SEED_MAX}, got {text!r}") from None
    if not 0 <= v <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"seed must be an integer in 0..{SEED_MAX}, got {text}")
    return v


def _positive_int(what):
    def parse(text):
        import argparse

        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a positive integer, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{what} must be at least 1, got {v}")
        return v
    return parse


def _positive_float(what):
    def parse(text):
        import argparse
        import math

        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a positive number, got {text!r}") from None
        if not (v > 0 and math.isfinite(v)):
            raise argparse.ArgumentTypeError(f"{what} must be a positive number, got {text}")
        return v
    return parse


def check_writable(path: str) -> None:
    """One-line error before any work when ``path`` cannot be written."""
    import os

    d = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise MetacotError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(d):
        raise MetacotError(f"cannot write {path}: folder {d} does not exist")
    if not os.access(d, os.W_OK):
        raise MetacotError(f"cannot write {path}: folder {d} is not writable")


def add_parser(sub):
    p = sub.add_parser("claims", help="list the registered claims: id, rung, expectation, paper, statement")
    p.add_argument("--json", action="store_true", help="print a JSON list of the claims")
    p.add_argument("--module", action="append", default=[], metavar="FILE", help="also load claims from FILE")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("verify", help="check every claim; exit 0 iff each meets its expectation")
    p.add_argument("--claim", nargs="+", action="extend", default=[], metavar="ID",
                   help="claim ids or globs (e.g. 'hitting.*'); default: all")
    p.add_argument("--quick", action="store_true", help="a small instance set per claim (about 30 s on 2 cores)")
    p.add_argument("--seed", type=_seed, default=0, help=f"base seed, 0..{SEED_MAX} (default 0)")
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                   help="print the JSON report on stdout (the form --json FILE is deprecated: use --out FILE)")
    p.add_argument("--out", metavar="FILE", help="also write the JSON report to FILE (checked before the run)")
    p.add_argument("--jobs", type=_positive_int("--jobs"), default=os.cpu_count() or 1,
                   help="worker processes (default: all cores)")
    p.add_argument("--timeout", type=_positive_float("--timeout"), default=None, metavar="S",
                   help="seconds per instance before it is stopped and reported inconclusive (default 900)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="a Python file stating user conjectures; run them beside the built-in claims")
    p.add_argument("--brief", action="store_true", help="text report without the instance lines")
    p.add_argument("--timings", action="store_true", help="add seconds per claim to the JSON report")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("family", help="write a canonical chain (ring, uniform-escape, random)")
    p.add_argument("kind", choices=["ring", "uniform-escape", "random"])
    p.add_argument("--K", type=int, default=5, help="number of clusters (default 5)")
    p.add_argument("--M", type=int, default=4, help="cluster size (default 4)")
    p.add_argument("--q", type=lambda s: exact_number(s, "q"), default=1, help="sparse-edge weight (exact)")
    p.add_argument("--seed", type=int, default=0, help="seed (random family)")
    p.add_argument("--out", metavar="FILE", help="write the chain (.json or .npz); default: JSON on stdout")
    p.add_argument("--json", action="store_true", help="print a JSON summary (or the chain when no --out)")
    p.set_defaults(func=cmd_family)

    p = sub.add_parser("meta", help="meta-chain of a chain: clusters, rates r(k,l), λ_k, h^meta")
    add_chain_argument(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_meta)


def _load_modules(paths):
    from metacot.numerics.verify.runner import load_user_module

    return [load_user_module(m) for m in paths]


def cmd_claims(args) -> int:
    from metacot.numerics.verify.registry import load_builtin_claims

    reg = load_builtin_claims()
    _load_modules(args.module)
    items = [{"id": c.id, "rung": c.rung, "expect": c.expect, "paper": c.paper, "statement": c.statement_text(),
              "parts": [{"name": p.name, "rung": p.rung} for p in c.parts],
              **({"reason": c.reason, "counterexample": c.counterexample, "corrected": c.corrected or None}
                 if c.expect == "refuted" else {})}
             for c in reg.values()]
    if args.json:
        emit_json(items)
        return 0
    w = max((len(c["id"]) for c in items), default=5)
    for c in items:
        rung = c["rung"] + (" only" if c["rung"] == "statistical" else "")
        print(f"{c['id'].ljust(w)}  {rung:<16} expect {c['expect']:<8} {c['paper']}")
        print(f"{' ' * w}  {c['statement']}")
    print(f"\n{len(items)} claims")
    return 0


def cmd_verify(args) -> int:
    import sys

    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.report import format_table, progress_printer, report_json
    from metacot.numerics.verify.runner import DEFAULT_TIMEOUT, RunInterrupted, run_claims

    out_path = args.out
    to_stdout = args.json == "-"
    if args.json not in (None, "-"):
        sys.stderr.write("metacot: `verify --json FILE` is deprecated; use `--out FILE` (and `--json` for stdout)\n")
        out_path = args.json
    if out_path:
        check_writable(out_path)
    load_builtin_claims()
    _load_modules(args.module)
    claims = select(args.claim or None)
    interrupted = False
    try:
        reports = run_claims(claims, quick=args.quick, seed=args.seed, jobs=args.jobs, isolate=True,
                             timeout=args.timeout or DEFAULT_TIMEOUT, progress=progress_printer(quiet=args.quiet))
    except RunInterrupted as exc:
        reports, interrupted = exc.reports, True
    rep = report_json(reports, seed=args.seed, quick=args.quick, timings=args.timings, interrupted=interrupted)
    if out_path:
        with open(out_path, "w", encoding="utf-8") as fh:
            json.dump(rep, fh, indent=1)
            fh.write("\n")
    if to_stdout:
        emit_json(rep)
    else:
        print(format_table(reports, details=not args.brief))
    if interrupted:
        done = sum(len(r.results) for r in reports)
        sys.stderr.write(f"error: interrupted after {done} instances" +
                         (f"; partial report written to {out_path}" if out_path else "") + "\n")
        return 130
    return 0 if all(r.meets_expectation for r in reports) else 1


def cmd_family(args) -> int:
    from metacot.numerics.families import random_chain, ring, uniform_escape
    from metacot.numerics.io import chain_to_json, save_chain
    from metacot.numerics.solvers.meta_chain import meta_hitting_times

    if args.kind == "ring":
        chain = ring(args.K, args.M, args.q)
    elif args.kind == "uniform-escape":
        chain = uniform_escape(args.K, args.M, args.q)
    else:
        chain = random_chain(args.seed, K=args.K, max_size=args.M)
    if not args.out:
        emit_json(chain_to_json(chain))
        return 0
    save_chain(chain, args.out)
    h = meta_hitting_times(chain)
    k_in, k_out = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
    summary = {"path": args.out, "name": chain.name, "n": chain.n, "K": chain.K, "start": chain.start,
               "target": chain.target, "eps_max": chain.eps_max, "h_meta": h[k_in][k_out]}
    if args.json:
        emit_json(summary)
    else:
        print(f"wrote {chain.name}: n={chain.n}, K={chain.K}, start={chain.start}, target={chain.target}, "
              f"eps_max={fmt(chain.eps_max)}, h_meta(start->target)={fmt(h[k_in][k_out])} to {args.out}")
    return 0


def cmd_meta(args) -> int:
    from metacot.numerics.solvers.meta_chain import meta_summary

    chain = get_chain(args)
    s = meta_summary(chain)
    if args.json:
        emit_json(s.to_json())
        return 0
    K = len(s.clusters)
    print(f"{K} clusters ({'exact' if chain.exact else 'float'}):")
    for k, c in enumerate(s.clusters):
        print(f"  C{k}: {c}")
    cells = [[fmt(v) for v in row] for row in s.rates]
    w = max(len(x) for row in cells for x in row)
    print("meta rates r(k,l):")
    for k, row in enumerate(cells):
        print(f"  {k}: " + "  ".join(x.rjust(w) for x in row))
    print("escape rates lambda_k: " + ", ".join(fmt(v) for v in s.lam))
    cells = [[fmt(v) for v in row] for row in s.h_meta]
    w = max(len(x) for row in cells for x in row)
    print("h_meta(k -> l) (time in units of 1/eps steps):")
    for k, row in enumerate(cells):
        print(f"  {k}: " + "  ".join(x.rjust(w) for x in row))
    return 0
