"""Core subcommands: claims, verify, family, meta."""
from __future__ import annotations

import json
import os

from metacot.numerics.cli.helpers import add_chain_argument, emit_json, exact_number, fmt, get_chain
from metacot.numerics.errors import MetacotError


def add_parser(sub):
    p = sub.add_parser("claims", help="list the registered claims")
    p.add_argument("--json", action="store_true", help="print a JSON list of {id, paper, statement}")
    p.add_argument("--module", action="append", default=[], metavar="FILE", help="also load claims from FILE")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("verify", help="run the claims' checks and print predicted vs measured")
    p.add_argument("--claim", nargs="+", action="extend", default=[], metavar="ID",
                   help="claim ids or globs (e.g. 'hitting.*'); default: all")
    p.add_argument("--quick", action="store_true", help="a small instance set per claim (< 2 minutes)")
    p.add_argument("--seed", type=int, default=0, help="base seed for stochastic checks (default 0)")
    p.add_argument("--json", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: all cores)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="a Python file stating user conjectures; run them beside the built-in claims")
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
    items = [{"id": c.id, "paper": c.paper, "statement": c.statement_text()} for c in reg.values()]
    if args.json:
        emit_json(items)
        return 0
    w = max((len(c["id"]) for c in items), default=5)
    for c in items:
        print(f"{c['id'].ljust(w)}  {c['paper']}")
        print(f"{' ' * w}  {c['statement']}")
    print(f"\n{len(items)} claims")
    return 0


def cmd_verify(args) -> int:
    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.runner import format_table, progress_bar, report_json, run_claims

    if args.jobs < 1:
        raise MetacotError("--jobs must be at least 1")
    load_builtin_claims()
    _load_modules(args.module)
    claims = select(args.claim or None)
    reports = run_claims(claims, quick=args.quick, seed=args.seed, jobs=args.jobs,
                         modules=tuple(os.path.abspath(m) for m in args.module), progress=progress_bar())
    rep = report_json(reports, seed=args.seed, quick=args.quick)
    if args.json == "-":
        emit_json(rep)
    else:
        print(format_table(reports))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(rep, fh, indent=1)
                fh.write("\n")
    return 0 if all(r.verdict == "holds" for r in reports) else 1


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
