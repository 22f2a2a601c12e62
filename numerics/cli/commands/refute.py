"""`metacot refute CLAIM_ID`: search a claim's domain for a counterexample (metacot.numerics.verify.conjectures).

Exit 0: none found (prints how many examples were tried); 1: a counterexample (printed, and its chain
written as a chain JSON file that `metacot meta`/`hitting`/`asymptotics` accept); 2: bad input.
"""
from __future__ import annotations

import math
from fractions import Fraction

DENSE_PRINT_MAX_N = 8  # print P0/P1 as matrices for counterexample chains up to this many states


def add_parser(sub):
    p = sub.add_parser("refute", help="search a claim's domain for a counterexample (hypothesis), shrink it, "
                                      "save its chain")
    p.add_argument("claim", metavar="CLAIM_ID", help="claim id (built-in or from --module)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="a Python file stating user conjectures (metacot.numerics.verify.conjectures)")
    p.add_argument("--max-examples", type=int, default=200, metavar="N",
                   help="valid random examples to try (default 200; grid claims: at most N instances)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (same seed => same result; default 0)")
    p.add_argument("--out", metavar="FILE",
                   help="where to write the counterexample chain (default: counterexample-<claim id>.json)")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
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
    from metacot.numerics.verify.conjectures import Conjecture, params_to_json, search_counterexample
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
    rep["counterexample"] = {"params": params_to_json(ce.params), "measured": r.measured, "predicted": r.predicted,
                             "error": r.error, "tolerance": r.tolerance, "note": r.note,
                             "shrink_steps": out.shrink_steps}
    path = None
    if ce.chain is not None:
        path = args.out or f"counterexample-{claim.id}.json"
        save_chain(ce.chain, path)
        rep["chain_file"] = path
        rep["chain"] = _chain_summary(ce.chain)
    else:
        rep["chain_file"] = None
    if args.json:
        emit_json(rep)
        return 1
    print(f"refute {claim.id}: {claim.statement_text()}")
    rel = claim.relation if isinstance(claim, Conjecture) else "vs"
    print(f"COUNTEREXAMPLE after {out.tried} examples ({out.method}, seed {args.seed}"
          + (f", shrunk in {out.shrink_steps} steps" if out.method == "hypothesis" else "") + "):")
    for k, v in params_to_json(ce.params).items():
        print(f"  {k} = {v if isinstance(v, str) else fmt(v)}")
    print(f"  measured (lhs) = {fmt(r.measured)}  {rel}  predicted (rhs) = {fmt(r.predicted)}   "
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
        print(f"wrote the chain to {path}; inspect it with `metacot meta {path}` or {hint}")
    else:
        print("(this claim's instances do not name a chain, so no chain file was written)")
    return 1
