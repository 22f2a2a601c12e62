"""`metacot refute CLAIM_ID`: search a claim's domain for a counterexample (metacot.numerics.verify.conjectures).

Exit 0: none found (prints how many examples were tried), or a claim registered as refuted whose recorded
counterexample still refutes it (reproduced and printed); 1: a counterexample to a claim expected to hold
(printed; with --out its chain is written as a chain JSON file that `metacot meta`/`hitting`/`asymptotics`
accept); 2: bad input.
"""
from __future__ import annotations

import math
from fractions import Fraction

from metacot.numerics.cli.helpers import add_json_flag, add_quiet_flag, integer, output_file, seed

DENSE_PRINT_MAX_N = 8  # print P0/P1 as matrices for counterexample chains up to this many states


def add_parser(sub):
    p = sub.add_parser("refute", help="search a claim's domain for a counterexample (hypothesis), shrink it, "
                                      "save its chain")
    p.add_argument("claim", metavar="CLAIM_ID", help="claim id (built-in or from --module)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="a Python file stating user conjectures (metacot.numerics.verify.conjectures)")
    p.add_argument("--max-examples", type=integer("max-examples", 1), default=200, metavar="N",
                   help="valid random examples to try (default 200; grid claims: at most N instances)")
    p.add_argument("--seed", type=seed, default=0,
                   help="seed of the search, 0..2^32-1 (same seed => same result; default 0)")
    p.add_argument("--out", type=output_file, metavar="FILE",
                   help="write the counterexample's chain to FILE (JSON chain file; nothing is written without it)")
    add_json_flag(p, "the refutation report")
    add_quiet_flag(p)
    p.add_argument("--dask", action="store_true",
                   help="run --searches independent seeded searches on Dask (embedded LocalCluster or --scheduler) "
                        "and report the smallest counterexample")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (implies --dask)")
    p.add_argument("--searches", type=integer("searches", 1), default=4, metavar="N",
                   help="independent searches with --dask (seeds SEED, SEED+1, ...; default 4)")
    p.set_defaults(func=cmd_refute)


def _matrix_lines(chain, which):
    from metacot.numerics.numbers import format_number

    rows = chain.row_dicts(which)
    cells = [[format_number(rows[i].get(j, 0)) if rows[i].get(j, 0) != 0 else "0" for j in range(chain.n)]
             for i in range(chain.n)]
    w = max(len(c) for r in cells for c in r)
    return ["    [" + "  ".join(c.rjust(w) for c in r) + "]" for r in cells]


def _chain_summary(chain) -> dict:
    from metacot.numerics.solvers.meta_chain import meta_hitting_times

    d = {"name": chain.name, "n": chain.n, "clusters": chain.clusters, "start": chain.start,
         "target": chain.target, "eps_max": chain.eps_max,
         "sparse_edges": [[x, y, v] for (x, y), v in sorted(chain.sparse_edges().items())]}
    try:
        if chain.start is not None and chain.target is not None:
            h = meta_hitting_times(chain)
            d["h_meta"] = h[int(chain.cluster_of[chain.start])][int(chain.cluster_of[chain.target])]
    except Exception:  # meta-chain undefined (e.g. clusters not irreducible): summary without it
        pass
    return d


def cmd_refute(args) -> int:
    from metacot.numerics.cli.helpers import emit_json, fmt
    from metacot.numerics.verify.check import format_value, params_to_json
    from metacot.numerics.verify.conjectures import search_counterexample
    from metacot.numerics.errors import MetacotError
    from metacot.numerics.io import save_chain
    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.runner import load_user_module

    if args.max_examples < 1:
        raise MetacotError("--max-examples must be at least 1")
    load_builtin_claims()
    for m in args.module:
        load_user_module(m)
    claims = select([args.claim])
    if len(claims) != 1 or claims[0].id != args.claim:
        raise MetacotError(f"refute takes one claim id, {args.claim!r} matches {len(claims)} claims")
    claim = claims[0]
    if args.dask or args.scheduler:
        import os

        from metacot.numerics.verify.conjectures import smallest_outcome
        from metacot.numerics.verify.distributed import DaskSession

        if args.searches < 1:
            raise MetacotError("--searches must be at least 1")
        with DaskSession(args.scheduler) as session:
            outs = session.searches(claim.id, [args.seed + i for i in range(args.searches)],
                                    max_examples=args.max_examples,
                                    modules=tuple(os.path.abspath(m) for m in args.module))
        out = smallest_outcome(outs)
    else:
        out = search_counterexample(claim, max_examples=args.max_examples, seed=args.seed)
    ce = out.counterexample
    rep = {"claim": claim.id, "statement": claim.statement_text(), "method": out.method, "seed": args.seed,
           "max_examples": args.max_examples, "examples_tried": out.tried, "examples_skipped": out.invalid,
           "found": ce is not None, "note": out.note}
    if ce is None:
        if args.json:
            emit_json(rep)
        else:
            print(f"refute {claim.id}: {claim.statement_text()}")
            what = "hypothesis search" if out.method == "hypothesis" else "instance grid"
            print(f"no counterexample: {out.tried} examples tried ({what}, seed {args.seed}"
                  + (f", {out.invalid} skipped as invalid" if out.invalid else "") + ")")
            if out.note:
                print(f"note: {out.note}")
        return 0
    r = ce.result
    from metacot.numerics.verify.check import value_to_json

    rep["counterexample"] = {"id": r.id, "part": ce.part, "params": params_to_json(ce.params),
                             "relation": r.relation, "measured": value_to_json(r.measured),
                             "predicted": value_to_json(r.predicted), "error": value_to_json(r.error),
                             "slack": value_to_json(r.slack), "tolerance": value_to_json(r.tolerance),
                             "rung": r.rung, "note": r.note, "shrink_steps": out.shrink_steps}
    if claim.expect == "refuted":
        rep["expected"] = True
        rep["reason"] = claim.reason
    path = None
    if ce.chain is not None:
        rep["chain"] = _chain_summary(ce.chain)
        if args.out:
            path = args.out
            save_chain(ce.chain, path)
    rep["chain_file"] = path
    code = 0 if claim.expect == "refuted" else 1
    if args.json:
        emit_json(rep)
        return code
    print(f"refute {claim.id}: {claim.statement_text()}")
    if claim.expect == "refuted":
        print(f"(registered as refuted: {claim.reason})")
    rel = r.relation or "vs"
    print(f"COUNTEREXAMPLE after {out.tried} examples ({out.method}, seed {args.seed}"
          + (f", shrunk in {out.shrink_steps} steps" if out.method == "hypothesis" else "") + "):")
    for k, v in params_to_json(ce.params).items():
        print(f"  {k} = {v if isinstance(v, str) else fmt(v)}")
    print(f"  measured (lhs) = {format_value(r.measured)}  {rel}  predicted (rhs) = {format_value(r.predicted)}   "
          f"-> {r.verdict}" + (f" ({r.note})" if r.note else ""))
    if ce.chain is not None:
        c = ce.chain
        s = rep["chain"]
        print(f"  chain: n={c.n}, clusters {c.clusters}, start {c.start}, target {c.target}, "
              f"eps_max {fmt(c.eps_max)}" + (f", h_meta(start->target) {fmt(s['h_meta'])}" if "h_meta" in s else ""))
        if c.n <= DENSE_PRINT_MAX_N:
            print("  P0 =")
            print("\n".join(_matrix_lines(c, 0)))
            print("  P1 =")
            print("\n".join(_matrix_lines(c, 1)))
        eps = next((v for k, v in ce.params.items() if k in ("eps", "epsilon") and isinstance(v, (Fraction, float))),
                   None)
        ok = eps is not None and not (isinstance(eps, float) and math.isinf(eps))
        hint = f"`metacot hitting {path} --eps {fmt(eps)}`" if ok else f"`metacot hitting {path} --eps EPS`"
        if path:
            print(f"wrote the chain to {path}; inspect it with `metacot meta {path}` or {hint}")
        else:
            print("save the chain with --out FILE to inspect it with `metacot meta FILE` or `metacot hitting FILE`")
    return code
