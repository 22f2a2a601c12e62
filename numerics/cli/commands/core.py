"""Core subcommands: claims, verify, family, meta."""
from __future__ import annotations

import argparse
import json
import os
import sys
from fractions import Fraction

from metacot.numerics.cli.helpers import (add_chain_argument, add_json_flag, add_quiet_flag, emit_json, fmt,
                                          get_chain, integer, number, output_file, report, require_clusters,
                                          resolve_states, seed, state)
from metacot.numerics.errors import LimitError, MetacotError

FAMILY_MAX_ENTRIES = 10**6  # transition entries of a `metacot family` chain (K·M² + sparse edges)
NPZ_SUFFIX = ".npz"
TABLE_MAX_K = 12            # meta text form: K×K tables up to this K, lists of the nonzero entries beyond
META_MAX_K = 1000           # meta: dense K×K rate and h^meta matrices (10^6 entries) in memory and in the output


def _positive_float(what):
    def parse(text):
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
    """One-line error before any work when ``path`` cannot be written (the rule of ``--out FILE``)."""
    try:
        output_file(path)
    except argparse.ArgumentTypeError as exc:
        raise MetacotError(str(exc)) from None


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("claims", help="list the registered claims: id, rung, expectation, paper, statement")
    add_json_flag(p, "the list of claims")
    p.add_argument("--module", action="append", default=[], metavar="FILE", help="also load claims from FILE")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("verify", help="check every claim; exit 0 iff each meets its expectation")
    p.add_argument("--claim", nargs="+", action="extend", default=[], metavar="ID",
                   help="claim ids or globs (e.g. 'hitting.*'); default: all")
    p.add_argument("--quick", action="store_true", help="a small instance set per claim (about 30 s on 2 cores)")
    p.add_argument("--seed", type=seed, default=0, help="base seed, 0..2^32-1 (default 0)")
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                   help="print the JSON report on stdout (the form --json FILE is deprecated: use --out FILE)")
    p.add_argument("--out", type=output_file, metavar="FILE",
                   help="also write the JSON report to FILE (checked before the run)")
    p.add_argument("--jobs", type=integer("jobs", 1), default=os.cpu_count() or 1,
                   help="worker processes (default: all cores)")
    p.add_argument("--timeout", type=_positive_float("--timeout"), default=None, metavar="S",
                   help="seconds per instance before it is stopped and reported inconclusive (default 900)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="a Python file stating user conjectures; run them beside the built-in claims")
    p.add_argument("--brief", action="store_true", help="text report without the instance lines")
    p.add_argument("--timings", action="store_true", help="add seconds per claim to the JSON report")
    p.add_argument("--dask", action="store_true",
                   help="run the instances on Dask: an embedded LocalCluster with --jobs workers, or --scheduler")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (implies --dask)")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("family", help="write a canonical chain (ring, uniform-escape, random)")
    p.add_argument("kind", choices=["ring", "uniform-escape", "random"])
    p.add_argument("--K", type=integer("K", 2), default=5, help="number of clusters, >= 2 (default 5)")
    p.add_argument("--M", type=integer("M", 1), default=4,
                   help="cluster size (random: largest cluster size), >= 1 (default 4)")
    p.add_argument("--q", type=number("q", positive=True), default=1, help="sparse-edge weight (exact, > 0)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the random family, 0..2^32-1 (default 0)")
    p.add_argument("--out", type=output_file, metavar="FILE",
                   help="write the chain (.json exact, or .npz dense float); default: the chain as JSON on stdout")
    add_json_flag(p, "a summary (path, n, K, start, target, eps_max, h_meta) of the chain written by --out")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_family)

    p = sub.add_parser("meta", help="meta-chain of a chain: clusters, rates r(k,l), λ_k, h^meta")
    add_chain_argument(p)
    p.add_argument("--target", type=state, metavar="Y",
                   help="h^meta only toward the cluster of state Y (one column; for chains with many clusters)")
    add_json_flag(p, "{clusters, rates, lambda, h_meta}")
    add_quiet_flag(p)
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
    session = None
    try:
        backend = None
        if args.dask or args.scheduler:
            from metacot.numerics.verify.distributed import DaskSession

            session = DaskSession(args.scheduler, n_workers=args.jobs)
            backend = session.backend(tuple(os.path.abspath(m) for m in args.module))
        reports = run_claims(claims, quick=args.quick, seed=args.seed, jobs=args.jobs, isolate=True,
                             timeout=args.timeout or DEFAULT_TIMEOUT, progress=progress_printer(quiet=args.quiet),
                             backend=backend)
    except RunInterrupted as exc:
        reports, interrupted = exc.reports, True
    finally:
        if session is not None:
            session.close()
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


def _family_entries(kind: str, K: int, M: int) -> int:
    """Transition entries (P0 and P1) of a family chain: K dense M×M blocks plus the sparse edges."""
    edges = K * (K - 1) if kind == "uniform-escape" else K + 2  # random: a cycle and 2 extra edges
    return K * M * M + K * M + edges


def cmd_family(args) -> int:
    """`metacot family KIND`: write ring / uniform-escape / random chains (spec 00) or print them as JSON."""
    from metacot.numerics.families import random_chain, ring, uniform_escape
    from metacot.numerics.io import NPZ_MAX_N, chain_to_json, save_chain
    from metacot.numerics.solvers.meta_chain import meta_hitting_time

    entries = _family_entries(args.kind, args.K, args.M)
    if entries > FAMILY_MAX_ENTRIES:
        raise LimitError(f"family {args.kind} --K {args.K} --M {args.M} has about {entries:.2e} transition entries, "
                         f"above the limit {FAMILY_MAX_ENTRIES:.0e} for `metacot family`; choose a smaller K or M")
    to_npz = bool(args.out) and args.out.endswith(NPZ_SUFFIX)
    if to_npz and args.K * args.M > NPZ_MAX_N:
        raise LimitError(f"a .npz chain file holds dense n×n arrays and is limited to n <= {NPZ_MAX_N} states "
                         f"(this chain has n = {args.K * args.M}); write .json instead (sparse, exact)")
    args.progress.stage(f"building {args.kind} K={args.K} M={args.M}")
    if args.kind == "ring":
        chain = ring(args.K, args.M, args.q, exact=not to_npz)
    elif args.kind == "uniform-escape":
        chain = uniform_escape(args.K, args.M, args.q, exact=not to_npz)
    else:
        chain = random_chain(args.seed, K=args.K, max_size=args.M)
    if not args.out:  # the chain file itself, in the compact form save_chain writes
        json.dump(chain_to_json(chain), sys.stdout)
        sys.stdout.write("\n")
        return 0
    args.progress.stage(f"writing {args.out}")
    save_chain(chain, args.out)
    args.progress.stage("h_meta(start -> target)")
    if args.kind == "random":
        k_in, k_out = int(chain.cluster_of[chain.start]), int(chain.cluster_of[chain.target])
        h = meta_hitting_time(chain, k_in, k_out)
    else:  # ring and uniform-escape: the closed form (K−1)·M/q of spec 00 (tests check it against the solver)
        h = (args.K - 1) * args.M / Fraction(args.q)
        h = h if chain.exact else float(h)
    summary = {"path": args.out, "name": chain.name, "n": chain.n, "K": chain.K, "start": chain.start,
               "target": chain.target, "eps_max": chain.eps_max, "h_meta": h}
    return report(args, summary, lambda d: [
        f"wrote {d['name']}: n={d['n']}, K={d['K']}, start={d['start']}, target={d['target']}, "
        f"eps_max={fmt(d['eps_max'])}, h_meta(start->target)={fmt(d['h_meta'])} to {d['path']}"])


def cmd_meta(args) -> int:
    """`metacot meta CHAIN`: clusters, meta rates r(k,l), λ_k and h^meta (all pairs, or toward `--target`)."""
    from metacot.numerics.solvers.meta_chain import check_all_pairs_work, ctmc_hitting_times, meta_rates, meta_summary

    chain = get_chain(args)
    args.progress.stage("clusters")
    K = len(require_clusters(chain, "meta"))
    if K > META_MAX_K:
        raise LimitError(f"meta: this chain has K = {K} clusters; the meta-chain is reported as dense K×K matrices "
                         f"({K * K:.2g} entries), limited to K <= {META_MAX_K}; for its hitting times use "
                         "`metacot hitting` (the float method solves chains of 10^5 states in a second)")
    if args.target is None:
        check_all_pairs_work(len(chain.clusters))
        args.progress.stage("meta rates and all-pairs h_meta")
        s = meta_summary(chain)
        data = {"clusters": s.clusters, "rates": s.rates, "lambda": s.lam, "h_meta": s.h_meta}
    else:
        _, y = resolve_states(chain, args, start=False)
        l = int(chain.cluster_of[y])
        args.progress.stage(f"meta rates and h_meta toward cluster {l}")
        r = meta_rates(chain)
        rates = r if chain.exact else r.tolist()
        lam = [sum(row, type(row[0])(0)) for row in rates]
        data = {"clusters": chain.clusters, "rates": rates, "lambda": lam, "target": y, "target_cluster": l,
                "h_meta_to_target": ctmc_hitting_times(r, l, chain.exact)}
    return report(args, data, lambda d: _meta_text(d, chain.exact))


def _meta_text(d, exact: bool):
    K = len(d["clusters"])
    yield f"{K} clusters ({'exact' if exact else 'float'}):"
    for k, c in enumerate(d["clusters"]):
        yield f"  C{k}: {c}"
    yield from _matrix_lines("meta rates r(k,l):", d["rates"], nonzero_only=True)
    yield "escape rates lambda_k: " + ", ".join(fmt(v) for v in d["lambda"])
    if "h_meta" in d:
        yield from _matrix_lines("h_meta(k -> l) (time in units of 1/eps steps):", d["h_meta"])
    else:
        l = d["target_cluster"]
        yield f"h_meta(k -> C{l}) (cluster of state {d['target']}; time in units of 1/eps steps):"
        for k, v in enumerate(d["h_meta_to_target"]):
            yield f"  {k}: {fmt(v)}"


def _matrix_lines(title, rows, nonzero_only: bool = False):
    """A K×K matrix as an aligned table (K <= TABLE_MAX_K), else as one line per (nonzero) entry."""
    yield title
    K = len(rows)
    if K <= TABLE_MAX_K:
        cells = [[fmt(v) for v in row] for row in rows]
        w = max(len(x) for row in cells for x in row)
        for k, row in enumerate(cells):
            yield f"  {k}: " + "  ".join(x.rjust(w) for x in row)
        return
    for k, row in enumerate(rows):
        for l, v in enumerate(row):
            if k != l and (v != 0 or not nonzero_only):
                yield f"  ({k}, {l}): {fmt(v)}"
