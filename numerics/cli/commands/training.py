"""Subcommands `pretrain` (Alg. 1, two-stage GD or minibatch SGD) and `finetune` (Alg. 3, PPO-Clip)."""
from __future__ import annotations

import argparse

from metacot.numerics.cli.helpers import (add_chain_argument, add_json_flag, add_quiet_flag, add_start_target, brief,
                                          fmt, get_chain, integer, number, report, require_clusters, resolve_states,
                                          seed)
from metacot.numerics.errors import LimitError, MetacotError


def _steps(text):
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"--steps must be T1,T2 (two non-negative integers), got {text!r}")
    try:
        T1, T2 = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--steps must be T1,T2 (two non-negative integers), got {text!r}") from None
    if T1 < 0 or T2 < 0:
        raise argparse.ArgumentTypeError(f"--steps must be non-negative, got {text!r}")
    return T1, T2


def _edges(text):
    out = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        try:
            x, y = (int(v) for v in item.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--edges must look like 'x,y;x,y', got {item!r}") from None
        out.append((x, y))
    if not out:
        raise argparse.ArgumentTypeError("--edges lists no edge")
    return out


PRETRAIN_MAX_N = 5000        # dense n×n logits: 8·n² bytes per array, several arrays
PRETRAIN_WORK_MAX = 5 * 10**8   # n²·(T1 + T2): dense gradient steps, about 2e-8 s per unit (n = 400, 2000 steps: 6 s)


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("pretrain", help="two-stage pretraining of the softmax model (Alg. 1): GD or minibatch SGD")
    add_chain_argument(p)
    p.add_argument("--eps", required=True, type=number("eps"), help="ε of the true kernel (exact)")
    p.add_argument("--steps", required=True, type=_steps, metavar="T1,T2", help="stage-1 and stage-2 steps")
    p.add_argument("--eta", type=number("eta", positive=True), help="step size (default 1/max μ)")
    p.add_argument("--theta", type=number("theta", positive=True),
                   help="pruning threshold (default p_min/2 = ε q_min/2)")
    p.add_argument("--sgd", action="store_true", help="minibatch SGD on transitions of parallel CoT trajectories")
    p.add_argument("--batch", type=integer("batch", 1), default=64, help="SGD: trajectories per minibatch (default 64)")
    p.add_argument("--seed", type=seed, default=0, help="SGD: seed, 0..2^32-1 (default 0)")
    add_start_target(p, " of the hitting pair")
    p.add_argument("--history", action="store_true", help="with --json: include the training history")
    add_json_flag(p, "the training result")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("finetune", help="PPO-Clip fine-tuning with the search advantage (Alg. 3)")
    add_chain_argument(p)
    p.add_argument("--eps", required=True, type=number("eps"), help="ε of the pretrained model")
    p.add_argument("--eps-max", required=True, type=number("eps_max", positive=True, below_one=True),
                   help="cap on the found mass per source, in (eps, 1)")
    p.add_argument("--clip", required=True, type=number("clip", positive=True), help="clip parameter c > 0")
    p.add_argument("--inner", choices=["exact", "gd", "sign", "sign-sparse"], default="exact",
                   help="inner loop: exact maximisation, plain gradient ascent, sign-gradient ascent on all logits "
                        "or on the found (sparse) logits only (default exact)")
    p.add_argument("--eta", type=number("eta", positive=True), help="inner step size (gd, sign)")
    p.add_argument("--edges", type=_edges, metavar="'x,y;…'",
                   help="found edges Ê (default: the chain's true sparse edges, an oracle search)")
    p.add_argument("--pretrain", type=_steps, metavar="T1,T2",
                   help="fine-tune a model pretrained by Alg. 1 for T1,T2 steps (default: the exact kernel)")
    add_start_target(p, " of the hitting pair")
    p.add_argument("--history", action="store_true", help="with --json: include the PPO history")
    add_json_flag(p, "the fine-tuning result")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_finetune)


def _check_training_size(chain, steps) -> None:
    """LimitError before dense n×n training that would not fit in memory or time."""
    if chain.n > PRETRAIN_MAX_N:
        raise LimitError(f"training uses dense n×n logits and is limited to n <= {PRETRAIN_MAX_N} states "
                         f"(this chain has {chain.n})")
    work = chain.n ** 2 * sum(steps)
    if work > PRETRAIN_WORK_MAX:
        raise LimitError(f"training for {sum(steps)} steps on {chain.n} states costs n²·(T1+T2) = {work:.2g} "
                         f"> {PRETRAIN_WORK_MAX:.0e} (about 10 s); use fewer steps or a smaller chain")


def cmd_pretrain(args) -> int:
    """`metacot pretrain CHAIN --eps E --steps T1,T2`: Algorithm 1 (two-stage GD, or SGD with --sgd)."""
    from metacot.numerics.algorithms.pretrain import sgd_pretrain, two_stage_pretrain
    from metacot.numerics.solvers.hitting import hitting_time

    chain = get_chain(args)
    T1, T2 = args.steps
    start, target = resolve_states(chain, args, start=False, target=False)
    eps = chain.check_eps(args.eps)
    _check_training_size(chain, (T1, T2))
    eta = None if args.eta is None else float(args.eta)
    theta = None if args.theta is None else float(args.theta)
    args.progress.stage(f"{'SGD' if args.sgd else 'GD'} pretraining, {T1}+{T2} steps")
    if args.sgd:
        res = sgd_pretrain(chain, eps, T1, T2, batch=args.batch, eta=eta, theta=theta, seed=args.seed)
    else:
        res = two_stage_pretrain(chain, eps, T1, T2, eta=eta, theta=theta)
    out = res.to_json()
    if not args.history:
        out.pop("history")
    out["n"] = chain.n
    if start is not None and target is not None:
        args.progress.stage("hitting times of the true kernel and the model")
        try:
            out["hitting_true"] = hitting_time(chain, start, target, res.eps, method="float")
            out["hitting_model"] = hitting_time(res.kernel_chain(), start, target, 0, method="float")
        except MetacotError as exc:  # e.g. pruning removed a needed edge: the model never hits
            out["hitting_true"] = out.get("hitting_true")
            out["hitting_model"] = None
            out["hitting_note"] = str(exc)
        out["start"], out["target"] = start, target

    def text(out):
        f = out["final"]
        yield (f"{'SGD' if args.sgd else 'GD'} two-stage pretraining of {chain.name or args.chain} at "
               f"eps = {brief(res.eps)}: T1 = {T1}, T2 = {T2}, eta = {fmt(res.eta)}, theta = {fmt(res.theta)}")
        yield f"  pruned true pairs: {res.pruned_true_pairs}, kept spurious pairs: {res.kept_spurious_pairs}"
        yield (f"  final loss {fmt(f['loss'])}, KL(p || p_hat) {fmt(f['kl'])}, max spurious {fmt(f['max_spurious'])}, "
               f"max-row TV {fmt(f['tv'])}")
        if "hitting_model" in out:
            hm = out["hitting_model"]
            yield (f"  E[tau] {start} -> {target}: true {fmt(out['hitting_true'])}, model "
                   f"{fmt(hm) if hm is not None else 'inf (' + out['hitting_note'] + ')'}")

    return report(args, out, text)


def cmd_finetune(args) -> int:
    """`metacot finetune CHAIN --eps E --eps-max E_MAX --clip C`: Algorithm 3 (PPO-Clip) and E[τ] before/after."""
    from metacot.numerics.algorithms.ppo import ppo_clip
    from metacot.numerics.algorithms.pretrain import two_stage_pretrain
    from metacot.numerics.solvers.hitting import hitting_time

    chain = get_chain(args)
    eps = chain.check_eps(args.eps)
    start, target = resolve_states(chain, args)
    if not args.eps_max > eps:
        raise MetacotError(f"--eps-max = {brief(args.eps_max)} must exceed --eps = {brief(eps)}: PPO-Clip raises the "
                           "found mass from about eps·q to eps_max (choose eps_max in (eps, 1))")
    require_clusters(chain, "finetune")
    found = args.edges if args.edges is not None else list(chain.sparse_edges())
    if not found:
        raise MetacotError("the chain has no sparse edges and no --edges were given")
    for x, y in found:
        if not (0 <= x < chain.n and 0 <= y < chain.n):
            raise MetacotError(f"--edges: edge ({x}, {y}) names a state outside 0..{chain.n - 1}")
    model, meps = chain, eps
    if args.pretrain is not None:
        _check_training_size(chain, args.pretrain)
        args.progress.stage(f"pretraining {args.pretrain[0]}+{args.pretrain[1]} steps")
        pre = two_stage_pretrain(chain, eps, *args.pretrain)
        model, meps = pre.kernel_chain(), 0
    args.progress.stage(f"PPO-Clip ({args.inner} inner loop)")
    eta = None if args.eta is None else float(args.eta)
    res = ppo_clip(model, meps, found, args.eps_max, args.clip, inner=args.inner, eta=eta)
    args.progress.stage("hitting times before and after")
    before = hitting_time(model, start, target, meps, method="exact" if model.exact else "float")
    after = hitting_time(res.chain("kernel"), start, target, 0, method="exact" if res.exact else "float")
    h = res.history
    out = {"eps": eps, "eps_max": res.eps_max, "clip": res.clip, "inner": args.inner, "eta": eta,
           "found_edges": [list(e) for x, ys in res.found.items() for e in ((x, y) for y in ys)],
           "iterations": res.iterations, "predicted_iterations": res.predicted_iterations,
           "iterations_per_source": res.iterations_per_source, "predicted_per_source": res.predicted_per_source,
           "start": start, "target": target, "hitting_before": before, "hitting_after": after,
           "speedup": before / after, "tv_max": h.tv_total_max[-1] if h.tv_total_max else 0,
           "tv_weighted": h.tv_total_weighted[-1] if h.tv_total_weighted else 0.0}
    if args.history:
        out["history"] = h

    def text(out):
        yield (f"PPO-Clip ({args.inner} inner loop) on {chain.name or args.chain}: eps = {brief(eps)}, "
               f"eps_max = {fmt(res.eps_max)}, c = {fmt(res.clip)}, {len(out['found_edges'])} found edges")
        yield f"  iterations used {res.iterations} (max over sources), predicted n* = {res.predicted_iterations}"
        yield (f"  E[tau] {start} -> {target}: before {fmt(before)}, after {fmt(after)} "
               f"(speed-up {fmt(out['speedup'])})")
        yield f"  TV moved: max over rows {fmt(out['tv_max'])}, stationary-weighted {fmt(out['tv_weighted'])}"

    return report(args, out, text)
