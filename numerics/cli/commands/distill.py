"""`metacot distill`: meta-chain distillation (Alg. 4, spec 04) of a chain file.

Simulates CoT data at ε, compresses it to cluster labels, fits the K×K meta kernel (closed-form
cross-entropy), rescales time by β and reports: the estimated kernel, the escape law against the true
jump chain J, and the distilled model's exact expected steps to the target cluster against E[τ].
"""
from __future__ import annotations

import math
from fractions import Fraction

from metacot.numerics.cli.helpers import (add_chain_argument, add_json_flag, add_quiet_flag, brief, fmt, get_chain,
                                          integer, number, report, require_clusters, seed)
from metacot.numerics.errors import LimitError, MetacotError, UnreachableTargetError

DISTILL_MAX_STEPS = 10**9  # simulated CoT transitions (≈ 15 s at 6e7 walker-steps/s)


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("distill", help="meta-chain distillation (Alg. 4): fit a K-state model from compressed CoT data")
    add_chain_argument(p)
    p.add_argument("--eps", type=number("eps"), required=True, help="ε of the data kernel P(ε) (exact)")
    p.add_argument("--steps", type=integer("steps", 1, DISTILL_MAX_STEPS), required=True, metavar="T",
                   help="total length T of the CoT data (transitions, split evenly over --walkers; at most 10^9)")
    p.add_argument("--beta", type=number("beta", allow_auto=True), default="auto", metavar="auto|B",
                   help="time shift β added to off-diagonal logits; 'auto' = log(b/(ε·min λ̂)) (default)")
    p.add_argument("--b", type=number("b", positive=True), default=Fraction(10),
                   help="constant b of the automatic β (default 10: at most 10%% extra steps per visit)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the simulated data, 0..2^32-1 (default 0)")
    p.add_argument("--walkers", type=integer("walkers", 1), default=1, metavar="W",
                   help="number of independent trajectories sharing the T steps (default 1)")
    p.add_argument("--labels", choices=["truth", "search"], default="truth",
                   help="labelling ι: the chain's clusters (default) or those found by Sparse Edge Search")
    p.add_argument("--search-walkers", type=integer("search-walkers", 1), metavar="N", help="--labels search: walkers N")
    p.add_argument("--search-warmup", type=integer("search-warmup", 0), metavar="T0", help="--labels search: warm-up T0")
    p.add_argument("--search-rounds", type=integer("search-rounds", 1), metavar="R", help="--labels search: rounds R")
    add_json_flag(p, "the distillation result")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_distill)


def _labelling(args, chain, eps):
    from metacot.numerics.algorithms.distill import Labelling

    if args.labels == "truth":
        return Labelling.from_chain(chain), None
    missing = [o for o in ("search_walkers", "search_warmup", "search_rounds") if getattr(args, o) is None]
    if missing:
        raise MetacotError("--labels search needs " + ", ".join("--" + m.replace("_", "-") for m in missing))
    from metacot.numerics.algorithms.search import default_horizon, search_chain

    from metacot.numerics.cli.commands.search import _check_search_cost

    start = chain.start if chain.start is not None else 0
    horizon = default_horizon(chain, eps, args.search_walkers, args.search_warmup)
    _check_search_cost(chain, eps, args.search_walkers, args.search_warmup, horizon, args.search_rounds)
    args.progress.stage("Sparse Edge Search for the labels")
    res = search_chain(chain, eps, start, args.search_walkers, args.search_warmup, horizon, args.search_rounds,
                       seed=args.seed)
    try:
        lab = Labelling.from_sets(res.clusters, chain.n, source="search")
    except MetacotError as exc:
        raise MetacotError(f"the clusters found by Sparse Edge Search are not a labelling of all states: {exc} "
                           "(run more rounds or a longer warm-up)") from None
    return lab, {"clusters": res.clusters, "edges": [list(e) for e in res.edges], "cost": res.cost}


def cmd_distill(args) -> int:
    """`metacot distill CHAIN --eps E --steps T`: Algorithm 4 on simulated CoT data, against the true meta-chain."""
    from metacot.numerics.algorithms.distill import cluster_pair, distilled_model, fit_meta_kernel, generate_data
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.chain import FLOAT_EPS_MIN
    from metacot.numerics.solvers.meta_chain import jump_chain, jump_hitting_times, meta_rates

    chain = get_chain(args)
    eps = chain.check_eps(args.eps)
    if float(eps) < FLOAT_EPS_MIN:
        raise LimitError(f"eps = {brief(eps)} is below the float64 range the data are simulated in "
                         f"(>= {FLOAT_EPS_MIN:.3g})")
    require_clusters(chain, "distill")
    if args.steps < args.walkers:
        raise MetacotError(f"--steps T = {args.steps} must be at least the number of walkers ({args.walkers})")
    if chain.target is None:
        raise MetacotError("the chain has no target state (add \"target\" to the chain file)")
    lab, search = _labelling(args, chain, eps)
    per_walker = args.steps // args.walkers
    args.progress.stage(f"simulating {per_walker * args.walkers} transitions")
    data = generate_data(chain, eps, per_walker, seed=args.seed, labelling=lab, walkers=args.walkers,
                         start=chain.start)
    fit = fit_meta_kernel(data.counts)
    k_in, k_out = cluster_pair(chain, lab)
    if k_in == k_out:
        raise MetacotError("start and target lie in the same cluster: there is nothing to distill")
    model = distilled_model(fit.probs, beta=args.beta, b=args.b, k_in=k_in, k_out=k_out)
    J_hat = fit.escape_law()
    steps = model.expected_steps()
    h_jump_hat = model.jump_steps()
    K = lab.K
    # comparison with the ground truth (needs the labelling to equal the true clusters up to order)
    perm = lab.matching(chain.clusters)
    truth = None
    if perm is not None:
        J = jump_chain(chain)
        r = meta_rates(chain)
        J_true = [[J[perm[k]][perm[l]] for l in range(K)] for k in range(K)]
        r_true = [[r[perm[k]][perm[l]] for l in range(K)] for k in range(K)]
        err = max(abs(float(J_hat[k][l]) - float(J_true[k][l])) for k in range(K) for l in range(K))
        h_jump = jump_hitting_times(chain)[perm[k_in]][perm[k_out]]
        truth = {"jump_chain": J_true, "per_step_meta": [[eps * v for v in row] for row in r_true],
                 "max_escape_error": err, "h_jump": h_jump}
    try:
        E_tau = hitting_time(chain, chain.start if chain.start is not None else 0, chain.target, eps)
    except UnreachableTargetError:
        E_tau = math.inf
    out = {
        "chain": chain.name or args.chain, "eps": eps, "steps": per_walker * args.walkers, "walkers": args.walkers,
        "seed": args.seed, "labels": lab.source, "clusters": [list(c) for c in lab.clusters],
        "k_in": k_in, "k_out": k_out, "counts": fit.counts.tolist(), "escapes": fit.escapes,
        "meta_kernel": fit.probs, "escape_law": J_hat,
        "beta": model.beta, "exp_beta": model.scale, "b": args.b if args.beta == "auto" else None,
        "distilled_kernel": model.kernel, "expected_steps_distilled": steps, "h_jump_distilled": h_jump_hat,
        "E_tau_original": E_tau,
        "speedup": (E_tau / steps) if E_tau != math.inf else math.inf,
        "parameters": {"original": chain.n ** 2, "distilled": model.n_parameters},
    }
    if truth is not None:
        out["truth"] = truth
        if args.beta == "auto":
            out["order_K_bound"] = (1 + 1 / Fraction(args.b)) * truth["h_jump"]
    if search is not None:
        out["search"] = search

    def text(out):
        yield (f"distill {out['chain']}: eps={brief(eps)}, T={out['steps']} ({args.walkers} walker(s)), "
               f"seed={args.seed}, labels: {lab.source}, K={K}, start cluster {k_in} -> target cluster {k_out}")
        yield from _matrix_lines("estimated per-step meta kernel q^(k,l) = n(k,l)/N_k:", fit.probs)
        if truth is not None:
            yield from _matrix_lines("true per-step meta kernel eps*r(k,l) (off-diagonal):", truth["per_step_meta"],
                                     skip_diag=True)
        else:
            yield "  (the labelling differs from the true clusters: no comparison with the true meta-chain)"
        yield from _matrix_lines("escape law J^(k,l) (preserved by the rescaling):", J_hat, skip_diag=True)
        if truth is not None:
            yield from _matrix_lines("true jump chain J(k,l):", truth["jump_chain"], skip_diag=True)
            yield (f"  max |J^ - J| = {fmt(truth['max_escape_error'])}   "
                   f"(escapes observed per cluster: {fit.escapes})")
        yield (f"beta = {fmt(model.beta)}  (e^beta = {fmt(model.scale)}"
               + (f", auto with b = {fmt(args.b)})" if args.beta == "auto" else ")"))
        yield f"expected steps to the target cluster, distilled model: {fmt(steps)} (~{float(steps):.6g})"
        if truth is not None and args.beta == "auto":
            yield f"  bound (1 + 1/b)*h_jump = {fmt(out['order_K_bound'])}; distilled h_jump = {fmt(h_jump_hat)}"
        yield f"E[tau] of the original chain: {fmt(E_tau)} (~{float(E_tau):.6g}); speedup {float(out['speedup']):.6g}"
        yield f"parameters: {chain.n ** 2} -> {model.n_parameters}"

    return report(args, out, text)


def _matrix_lines(title, rows, skip_diag=False):
    yield title
    cells = [["." if (skip_diag and k == l) else fmt(v) for l, v in enumerate(row)] for k, row in enumerate(rows)]
    w = max(len(c) for row in cells for c in row)
    for k, row in enumerate(cells):
        yield f"  {k}: " + "  ".join(c.rjust(w) for c in row)
