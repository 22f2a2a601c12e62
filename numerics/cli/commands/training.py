"""Subcommands `pretrain` (Alg. 1, two-stage GD or minibatch SGD) and `finetune` (Alg. 3, PPO-Clip)."""
from __future__ import annotations

import argparse

from metacot.numerics.cli.helpers import add_chain_argument, emit_json, exact_number, fmt, get_chain, state_index
from metacot.numerics.errors import MetacotError


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


def _positive_float(what):
    def parse(text):
        try:
            v = exact_number(text, what)
        except MetacotError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be positive, got {text}")
        return float(v)
    return parse


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


def add_parser(sub):
    p = sub.add_parser("pretrain", help="two-stage pretraining of the softmax model (Alg. 1): GD or minibatch SGD")
    add_chain_argument(p)
    p.add_argument("--eps", required=True, type=lambda s: exact_number(s, "eps"), help="ε of the true kernel (exact)")
    p.add_argument("--steps", required=True, type=_steps, metavar="T1,T2", help="stage-1 and stage-2 steps")
    p.add_argument("--eta", type=_positive_float("eta"), help="step size (default 1/max μ)")
    p.add_argument("--theta", type=lambda s: float(exact_number(s, "theta")),
                   help="pruning threshold (default p_min/2 = ε q_min/2)")
    p.add_argument("--sgd", action="store_true", help="minibatch SGD on transitions of parallel CoT trajectories")
    p.add_argument("--batch", type=int, default=64, help="SGD: trajectories per minibatch (default 64)")
    p.add_argument("--seed", type=int, default=0, help="SGD: seed (default 0)")
    p.add_argument("--start", type=state_index, help="hitting pair start (default: the chain's start)")
    p.add_argument("--target", type=state_index, help="hitting pair target (default: the chain's target)")
    p.add_argument("--history", action="store_true", help="with --json: include the training history")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("finetune", help="PPO-Clip fine-tuning with the search advantage (Alg. 3)")
    add_chain_argument(p)
    p.add_argument("--eps", required=True, type=lambda s: exact_number(s, "eps"), help="ε of the pretrained model")
    p.add_argument("--eps-max", required=True, type=lambda s: exact_number(s, "eps-max"),
                   help="cap on the found mass per source, in (0, 1)")
    p.add_argument("--clip", required=True, type=lambda s: exact_number(s, "clip"), help="clip parameter c > 0")
    p.add_argument("--inner", choices=["exact", "gd", "sign", "sign-sparse"], default="exact",
                   help="inner loop: exact maximisation, plain gradient ascent, sign-gradient ascent on all logits "
                        "or on the found (sparse) logits only (default exact)")
    p.add_argument("--eta", type=_positive_float("eta"), help="inner step size (gd, sign)")
    p.add_argument("--edges", type=_edges, metavar="'x,y;…'",
                   help="found edges Ê (default: the chain's true sparse edges, an oracle search)")
    p.add_argument("--pretrain", type=_steps, metavar="T1,T2",
                   help="fine-tune a model pretrained by Alg. 1 for T1,T2 steps (default: the exact kernel)")
    p.add_argument("--start", type=state_index, help="hitting pair start (default: the chain's start)")
    p.add_argument("--target", type=state_index, help="hitting pair target (default: the chain's target)")
    p.add_argument("--history", action="store_true", help="with --json: include the PPO history")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_finetune)


def _pair(args, chain):
    start = args.start if args.start is not None else chain.start
    target = args.target if args.target is not None else chain.target
    for v, what in ((start, "start"), (target, "target")):
        if v is not None and not 0 <= v < chain.n:
            raise MetacotError(f"unknown {what} state {v} (states are 0..{chain.n - 1})")
    return start, target


def cmd_pretrain(args) -> int:
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.algorithms.pretrain import sgd_pretrain, two_stage_pretrain

    chain = get_chain(args)
    T1, T2 = args.steps
    if args.sgd:
        if args.batch < 1:
            raise MetacotError(f"--batch must be a positive integer, got {args.batch}")
        res = sgd_pretrain(chain, args.eps, T1, T2, batch=args.batch, eta=args.eta, theta=args.theta, seed=args.seed)
    else:
        res = two_stage_pretrain(chain, args.eps, T1, T2, eta=args.eta, theta=args.theta)
    start, target = _pair(args, chain)
    out = res.to_json()
    if not args.history:
        out.pop("history")
    out["n"] = chain.n
    if start is not None and target is not None:
        try:
            out["hitting_true"] = hitting_time(chain, start, target, res.eps, method="float")
            out["hitting_model"] = hitting_time(res.kernel_chain(), start, target, 0, method="float")
        except MetacotError as exc:  # e.g. pruning removed a needed edge: the model never hits
            out["hitting_true"] = out.get("hitting_true")
            out["hitting_model"] = None
            out["hitting_note"] = str(exc)
        out["start"], out["target"] = start, target
    if args.json:
        emit_json(out)
        return 0
    f = out["final"]
    print(f"{'SGD' if args.sgd else 'GD'} two-stage pretraining of {chain.name or args.chain} at eps = {fmt(res.eps)}: "
          f"T1 = {T1}, T2 = {T2}, eta = {fmt(res.eta)}, theta = {fmt(res.theta)}")
    print(f"  pruned true pairs: {res.pruned_true_pairs}, kept spurious pairs: {res.kept_spurious_pairs}")
    print(f"  final loss {fmt(f['loss'])}, KL(p || p_hat) {fmt(f['kl'])}, max spurious {fmt(f['max_spurious'])}, "
          f"max-row TV {fmt(f['tv'])}")
    if "hitting_model" in out:
        hm = out["hitting_model"]
        print(f"  E[tau] {start} -> {target}: true {fmt(out['hitting_true'])}, model "
              f"{fmt(hm) if hm is not None else 'inf (' + out['hitting_note'] + ')'}")
    return 0


def cmd_finetune(args) -> int:
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.algorithms.ppo import ppo_clip
    from metacot.numerics.algorithms.pretrain import two_stage_pretrain

    chain = get_chain(args)
    eps = chain.check_eps(args.eps)
    start, target = _pair(args, chain)
    if start is None or target is None:
        raise MetacotError("the chain has no start/target: give --start and --target")
    found = args.edges if args.edges is not None else list(chain.sparse_edges())
    if not found:
        raise MetacotError("the chain has no sparse edges and no --edges were given")
    model, meps = chain, eps
    if args.pretrain is not None:
        pre = two_stage_pretrain(chain, eps, *args.pretrain)
        model, meps = pre.kernel_chain(), 0
    res = ppo_clip(model, meps, found, args.eps_max, args.clip, inner=args.inner, eta=args.eta)
    before = hitting_time(model, start, target, meps, method="exact" if model.exact else "float")
    after = hitting_time(res.chain("kernel"), start, target, 0, method="exact" if res.exact else "float")
    h = res.history
    out = {"eps": eps, "eps_max": res.eps_max, "clip": res.clip, "inner": args.inner, "eta": args.eta,
           "found_edges": [list(e) for x, ys in res.found.items() for e in ((x, y) for y in ys)],
           "iterations": res.iterations, "predicted_iterations": res.predicted_iterations,
           "iterations_per_source": res.iterations_per_source, "predicted_per_source": res.predicted_per_source,
           "start": start, "target": target, "hitting_before": before, "hitting_after": after,
           "speedup": before / after, "tv_max": h.tv_total_max[-1] if h.tv_total_max else 0,
           "tv_weighted": h.tv_total_weighted[-1] if h.tv_total_weighted else 0.0}
    if args.history:
        out["history"] = h.to_json()
    if args.json:
        emit_json(out)
        return 0
    print(f"PPO-Clip ({args.inner} inner loop) on {chain.name or args.chain}: eps = {fmt(eps)}, "
          f"eps_max = {fmt(res.eps_max)}, c = {fmt(res.clip)}, {len(out['found_edges'])} found edges")
    print(f"  iterations used {res.iterations} (max over sources), predicted n* = {res.predicted_iterations}")
    print(f"  E[tau] {start} -> {target}: before {fmt(before)}, after {fmt(after)} (speed-up {fmt(out['speedup'])})")
    print(f"  TV moved: max over rows {fmt(out['tv_max'])}, stationary-weighted {fmt(out['tv_weighted'])}")
    return 0
