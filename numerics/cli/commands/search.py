"""`metacot search`: Sparse Edge Search (Alg. 2) on a chain file, optionally used as a PRM (spec 02)."""
from __future__ import annotations

from fractions import Fraction

from metacot.numerics.cli.helpers import add_chain_argument, emit_json, exact_number, fmt, get_chain, state_index
from metacot.numerics.errors import MetacotError, UnreachableTargetError


def add_parser(sub):
    p = sub.add_parser("search", help="Sparse Edge Search (Alg. 2): find the sparse edges with N parallel walkers")
    add_chain_argument(p)
    p.add_argument("--start", type=state_index, help="start state X_in (default: the chain's start)")
    p.add_argument("--walkers", type=int, required=True, metavar="N", help="number of parallel walkers N ≥ 1")
    p.add_argument("--warmup", type=int, required=True, metavar="T0", help="warm-up steps T0 ≥ 0 per round")
    p.add_argument("--rounds", type=int, required=True, metavar="R", help="number of rounds R ≥ 1")
    p.add_argument("--eps", type=lambda s: exact_number(s, "eps"), default=Fraction(1, 1000),
                   help="ε of the sampled kernel P(ε) (exact; default 1/1000)")
    p.add_argument("--horizon", type=int, metavar="H",
                   help="steps per round T_max > T0 (default T0 + 20·max_k 1/(N ε λ_k))")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--prm", type=lambda s: exact_number(s, "eps_max"), metavar="EPS_MAX",
                   help="use the found edges as a PRM with total probability EPS_MAX per source; report E[τ] "
                        "before (at ε) and after (at EPS_MAX)")
    p.add_argument("--target", type=state_index, help="answer state for --prm (default: the chain's target)")
    p.add_argument("--json", action="store_true", help="JSON output: edges, clusters, cost, rounds (, prm)")
    p.set_defaults(func=cmd_search)


def _prm_report(chain, edges, start, target, eps, eps_max):
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.solvers.meta_chain import meta_hitting_times
    from metacot.numerics.algorithms.search import prm_guided

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
    h_pre = meta_hitting_times(chain)[kin][kout]
    h_prm = meta_hitting_times(G)[kin][kout]
    gain = E_pre / E_prm if E_prm not in (0, float("inf")) else None
    return {"eps": eps, "eps_max": eps_max, "target": target, "guided_edges": [list(e) for e in kept],
            "rejected_edges": [list(e) for e in rejected], "E_tau_before": E_pre, "E_tau_after": E_prm,
            "gain": gain, "h_meta_before": h_pre, "h_meta_after": h_prm,
            "leading_before": h_pre / eps if h_pre != float("inf") else h_pre,
            "leading_after": h_prm / eps_max if h_prm != float("inf") else h_prm}


def cmd_search(args) -> int:
    from metacot.numerics.algorithms.search import default_horizon, search_chain

    chain = get_chain(args)
    start = args.start if args.start is not None else chain.start
    if start is None:
        raise MetacotError("no start state: pass --start X (the chain file has none)")
    if not 0 <= start < chain.n:
        raise MetacotError(f"unknown start state {start} (states are 0..{chain.n - 1})")
    eps = chain.check_eps(args.eps)
    if isinstance(args.walkers, int) and args.walkers < 1:
        raise MetacotError(f"number of walkers N must be an integer ≥ 1, got {args.walkers}")
    if args.warmup < 0:
        raise MetacotError(f"warm-up T0 must be an integer ≥ 0, got {args.warmup}")
    horizon = args.horizon if args.horizon is not None else default_horizon(chain, eps, args.walkers, args.warmup)
    res = search_chain(chain, eps, start, args.walkers, args.warmup, horizon, args.rounds, seed=args.seed)
    out = res.to_json()
    out["eps"] = eps
    prm = None
    if args.prm is not None:
        target = args.target if args.target is not None else chain.target
        if target is None:
            raise MetacotError("--prm needs --target Y (the chain file has no target)")
        if not 0 <= target < chain.n:
            raise MetacotError(f"unknown target state {target} (states are 0..{chain.n - 1})")
        if not 0 < args.prm <= 1:
            raise MetacotError(f"--prm EPS_MAX = {fmt(args.prm)} is outside (0, 1]")
        prm = _prm_report(chain, res.edges, start, target, eps, args.prm)
        out["prm"] = prm
    if args.json:
        emit_json(out)
        return 0
    print(f"search on {chain.name or args.chain}: eps={fmt(eps)}, start={start}, N={args.walkers}, "
          f"T0={args.warmup}, T_max={horizon}, R={args.rounds}, seed={args.seed}")
    print(f"found {len(res.edges)} edges: " + ", ".join(f"({x}->{y})" for x, y in res.edges))
    print(f"discovered clusters: {res.clusters}")
    print(f"total cost: {res.cost} walker-steps")
    print("round  frontier  |C^|  edge          escape_step  cost")
    for r in res.rounds:
        e = "-" if r.edge is None else f"{r.edge[0]}->{r.edge[1]}"
        print(f"{r.index:5d}  {r.frontier:8d}  {len(r.cluster):4d}  {e:12s}  {str(r.escape_step):>11s}  {r.cost}")
    if prm is not None:
        print(f"PRM (eps_max={fmt(prm['eps_max'])}, target={prm['target']}): guided edges {prm['guided_edges']}"
              + (f", rejected (not sparse edges) {prm['rejected_edges']}" if prm["rejected_edges"] else ""))
        print(f"  E[tau] before = {fmt(prm['E_tau_before'])}  (h_meta/eps = {fmt(prm['leading_before'])})")
        print(f"  E[tau] after  = {fmt(prm['E_tau_after'])}  (h_meta_PRM/eps_max = {fmt(prm['leading_after'])})")
        print(f"  gain = {'undefined' if prm['gain'] is None else fmt(prm['gain'])}")
    return 0
