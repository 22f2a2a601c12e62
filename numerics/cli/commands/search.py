"""`metacot search`: Sparse Edge Search (Alg. 2) on a chain file, optionally used as a PRM (spec 02)."""
from __future__ import annotations

from fractions import Fraction

from metacot.numerics.cli.helpers import (add_chain_argument, add_json_flag, add_quiet_flag, brief, fmt, get_chain,
                                          integer, number, report, require_clusters, resolve_states, seed, state)
from metacot.numerics.errors import LimitError, MetacotError, UnreachableTargetError

SEARCH_LOOP_MAX = 10**7           # expected sampler steps of the whole search (a few µs each)
SEARCH_WALKER_STEPS_MAX = 10**9   # expected walker-steps (≈ 15 s at 6e7 walker-steps/s)


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("search", help="Sparse Edge Search (Alg. 2): find the sparse edges with N parallel walkers")
    add_chain_argument(p)
    p.add_argument("--start", type=state, metavar="X", help="start state X_in (default: the chain's start)")
    p.add_argument("--walkers", type=integer("walkers", 1), required=True, metavar="N",
                   help="number of parallel walkers N >= 1")
    p.add_argument("--warmup", type=integer("warmup", 0), required=True, metavar="T0",
                   help="warm-up steps T0 >= 0 per round")
    p.add_argument("--rounds", type=integer("rounds", 1), required=True, metavar="R", help="number of rounds R >= 1")
    p.add_argument("--eps", type=number("eps"), default=Fraction(1, 1000),
                   help="ε of the sampled kernel P(ε) (exact; default 1/1000)")
    p.add_argument("--horizon", type=integer("horizon", 1), metavar="H",
                   help="steps per round T_max > T0 (default T0 + 20·max_k 1/(N ε λ_k))")
    p.add_argument("--seed", type=seed, default=0, help="seed, 0..2^32-1 (default 0)")
    p.add_argument("--prm", type=number("eps_max", positive=True), metavar="EPS_MAX",
                   help="use the found edges as a PRM with total probability EPS_MAX per source; report E[τ] "
                        "before (at ε) and after (at EPS_MAX)")
    p.add_argument("--target", type=state, metavar="Y", help="answer state for --prm (default: the chain's target)")
    add_json_flag(p, "edges, clusters, cost, rounds (, prm)")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_search)


def _check_search_cost(chain, eps, N, T0, H, R) -> None:
    """LimitError when the expected length of the search (R rounds of up to H steps) is beyond budget."""
    from metacot.numerics.solvers.meta_chain import escape_rates

    lam = [float(v) for v in escape_rates(chain) if v > 0]
    escape = 1.0 / (N * float(eps) * min(lam)) if lam else float("inf")
    per_round = T0 + min(H - T0, escape)
    loop, walker_steps = R * per_round, R * per_round * N
    if loop > SEARCH_LOOP_MAX or walker_steps > SEARCH_WALKER_STEPS_MAX:
        raise LimitError(f"the search would take about {loop:.2g} steps of {N} walkers ({walker_steps:.2g} walker-steps; "
                         f"budgets {SEARCH_LOOP_MAX:.0e} steps, {SEARCH_WALKER_STEPS_MAX:.0e} walker-steps): the "
                         f"expected escape time 1/(N·eps·min λ) is {escape:.2g}; use a larger eps, more walkers, "
                         "fewer rounds or a shorter --horizon")


def _prm_report(chain, edges, start, target, eps, eps_max):
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.algorithms.search import prm_guided
    from metacot.numerics.solvers.meta_chain import ctmc_hitting_times, meta_rates

    sparse = chain.sparse_edges()
    kept = [e for e in edges if e in sparse]
    rejected = [e for e in edges if e not in sparse]
    if not kept:
        raise MetacotError("--prm: the search found no true sparse edge, so there is nothing to guide")
    # unguided rows keep the pretrained perturbation ε·P1 (the model after guidance at (ε, ε_max))
    G = prm_guided(chain, kept, eps_max, eps=eps)
    G.check_eps(eps_max)

    def safe(c, e):
        try:
            return hitting_time(c, start, target, e)
        except UnreachableTargetError:
            return float("inf")

    E_pre, E_prm = safe(chain, eps), safe(G, eps_max)
    kin, kout = int(chain.cluster_of[start]), int(chain.cluster_of[target])
    h_pre = ctmc_hitting_times(meta_rates(chain), kout, chain.exact)[kin]
    h_prm = ctmc_hitting_times(meta_rates(G), kout, G.exact)[kin]
    gain = E_pre / E_prm if E_prm not in (0, float("inf")) else None
    return {"eps": eps, "eps_max": eps_max, "target": target, "guided_edges": [list(e) for e in kept],
            "rejected_edges": [list(e) for e in rejected], "E_tau_before": E_pre, "E_tau_after": E_prm,
            "gain": gain, "h_meta_before": h_pre, "h_meta_after": h_prm,
            "leading_before": h_pre / eps if h_pre != float("inf") else h_pre,
            "leading_after": h_prm / eps_max if h_prm != float("inf") else h_prm}


def cmd_search(args) -> int:
    """`metacot search CHAIN --walkers N --warmup T0 --rounds R`: Algorithm 2, optionally used as a PRM."""
    from metacot.numerics.algorithms.search import default_horizon, search_chain
    from metacot.numerics.chain import FLOAT_EPS_MIN

    chain = get_chain(args)
    start, _ = resolve_states(chain, args, target=False)
    eps = chain.check_eps(args.eps)
    if args.prm is not None and not args.prm <= 1:
        raise MetacotError(f"--prm EPS_MAX = {fmt(args.prm)} is outside (0, 1]")
    if float(eps) < FLOAT_EPS_MIN:
        raise LimitError(f"eps = {brief(eps)} is below the float64 range the search samples in (>= {FLOAT_EPS_MIN:.3g})")
    require_clusters(chain, "search")
    args.progress.stage("escape rates")
    horizon = args.horizon if args.horizon is not None else default_horizon(chain, eps, args.walkers, args.warmup)
    _check_search_cost(chain, eps, args.walkers, args.warmup, horizon, args.rounds)
    args.progress.stage(f"searching: {args.rounds} rounds of {args.walkers} walkers")
    res = search_chain(chain, eps, start, args.walkers, args.warmup, horizon, args.rounds, seed=args.seed)
    out = res.to_json()
    out["eps"] = eps
    prm = None
    if args.prm is not None:
        _, target = resolve_states(chain, args, start=False)
        args.progress.stage("PRM hitting times")
        prm = _prm_report(chain, res.edges, start, target, eps, args.prm)
        out["prm"] = prm

    def text(out):
        yield (f"search on {chain.name or args.chain}: eps={brief(eps)}, start={start}, N={args.walkers}, "
               f"T0={args.warmup}, T_max={horizon}, R={args.rounds}, seed={args.seed}")
        yield f"found {len(res.edges)} edges: " + ", ".join(f"({x}->{y})" for x, y in res.edges)
        yield f"discovered clusters: {res.clusters}"
        yield f"total cost: {res.cost} walker-steps"
        yield "round  frontier  |C^|  edge          escape_step  cost"
        for r in res.rounds:
            e = "-" if r.edge is None else f"{r.edge[0]}->{r.edge[1]}"
            yield f"{r.index:5d}  {r.frontier:8d}  {len(r.cluster):4d}  {e:12s}  {str(r.escape_step):>11s}  {r.cost}"
        if prm is not None:
            yield (f"PRM (eps_max={fmt(prm['eps_max'])}, target={prm['target']}): guided edges {prm['guided_edges']}"
                   + (f", rejected (not sparse edges) {prm['rejected_edges']}" if prm["rejected_edges"] else ""))
            yield f"  E[tau] before = {fmt(prm['E_tau_before'])}  (h_meta/eps = {fmt(prm['leading_before'])})"
            yield f"  E[tau] after  = {fmt(prm['E_tau_after'])}  (h_meta_PRM/eps_max = {fmt(prm['leading_after'])})"
            yield f"  gain = {'undefined' if prm['gain'] is None else fmt(prm['gain'])}"

    return report(args, out, text)
