"""Subcommands `hitting` (E_X[τ_Y] at one ε, any method) and `asymptotics` (exact Laurent terms vs h^meta)."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath

from metacot.numerics.cli.helpers import add_chain_argument, emit_json, exact_number, fmt, get_chain, state_index
from metacot.numerics.errors import MetacotError

HITTING_METHODS = ("auto", "exact", "mp", "float", "mc")
FLOAT_REL_ERROR_PER_STATE = 2.2e-16  # a-priori bound ~ n·u for the subtraction-free reduction (spec 06)


def add_parser(sub):
    p = sub.add_parser("hitting", help="expected hitting time E_X[tau_Y] of P(eps) (exact, mp, float or Monte Carlo)")
    add_chain_argument(p)
    p.add_argument("--start", type=state_index, help="start state X (default: the chain's start)")
    p.add_argument("--target", type=state_index, help="target state Y (default: the chain's target)")
    p.add_argument("--eps", help="perturbation size, parsed exactly ('1e-30', '1/1000'); required")
    p.add_argument("--method", choices=HITTING_METHODS, default="auto",
                   help="auto (exact for small exact chains, else float), exact, mp, float, mc")
    p.add_argument("--dps", type=int, default=50, help="decimal digits for --method mp (default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed for --method mc (default 0)")
    p.add_argument("--walkers", type=int, default=20000, help="walkers for --method mc (default 20000)")
    p.add_argument("--max-steps", type=int, default=None, help="step cap per walker for --method mc")
    p.add_argument("--json", action="store_true", help='print {"value", "method", "error_estimate"}')
    p.set_defaults(func=cmd_hitting)

    p = sub.add_parser("asymptotics",
                       help="exact eps^-1 and eps^0 Laurent coefficients of E_X[tau_Y] beside h_meta")
    add_chain_argument(p)
    p.add_argument("--start", type=state_index, help="start state X (default: the chain's start)")
    p.add_argument("--target", type=state_index, help="target state Y (default: the chain's target)")
    p.add_argument("--json", action="store_true", help='print {"coefficients": {"-1", "0"}, "h_meta", ...}')
    p.set_defaults(func=cmd_asymptotics)


def _states(chain, args):
    x = args.start if args.start is not None else chain.start
    y = args.target if args.target is not None else chain.target
    if x is None:
        raise MetacotError("no start state: pass --start X (the chain file has no 'start')")
    if y is None:
        raise MetacotError("no target state: pass --target Y (the chain file has no 'target')")
    for s, what in ((x, "start"), (y, "target")):
        if not 0 <= s < chain.n:
            raise MetacotError(f"unknown {what} state {s} (states are 0..{chain.n - 1})")
    return x, y


def cmd_hitting(args) -> int:
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.solvers.monte_carlo import monte_carlo_hitting_time

    chain = get_chain(args)
    x, y = _states(chain, args)
    if args.eps is None:
        raise MetacotError(f"hitting needs --eps (valid range (0, {fmt(chain.eps_max)}]); "
                           "use `metacot asymptotics` for the eps -> 0 behaviour")
    eps = chain.check_eps(exact_number(args.eps, "eps"))
    if args.dps < 15:
        raise MetacotError(f"--dps must be at least 15, got {args.dps}")
    method = args.method
    if method == "auto":
        method = "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= 400) else "float"
    if method == "mc":
        if args.walkers < 2:
            raise MetacotError("--walkers must be at least 2")
        est = monte_carlo_hitting_time(chain, x, y, eps, args.walkers, args.seed, max_steps=args.max_steps)
        value, err = est.mean, est.stderr
        note = f"Monte Carlo, {est.n_walkers} walkers, seed {args.seed}; error = standard error"
    else:
        value = hitting_time(chain, x, y, eps, method, dps=args.dps)
        if method == "exact":
            err = None
            note = "exact rational"
        elif method == "mp":
            err = float(abs(value) * chain.n * mpmath.mpf(10) ** (-(args.dps - 5)))
            note = f"mpmath, {args.dps} digits; error = a-priori bound n·10^-(dps-5)·|value|"
        else:
            err = abs(float(value)) * chain.n * FLOAT_REL_ERROR_PER_STATE
            note = "float64 state reduction; error = a-priori bound n·2.2e-16·|value|"
    if args.json:
        emit_json({"value": fmt(value), "method": method, "error_estimate": err,
                   "start": x, "target": y, "eps": fmt(eps), "note": note})
        return 0
    tail = "" if err is None else f"  (± {fmt(err)})"
    print(f"E_{x}[tau_{y}] at eps = {fmt(eps)}: {fmt(value)}{tail}  [{method}: {note}]")
    return 0


def cmd_asymptotics(args) -> int:
    from metacot.numerics.solvers.hitting import laurent_coefficients
    from metacot.numerics.solvers.meta_chain import meta_hitting_times

    chain = get_chain(args)
    x, y = _states(chain, args)
    if not chain.exact:
        raise MetacotError("asymptotics needs an exact chain (rational entries as strings like '3/7')")
    coeffs = laurent_coefficients(chain, x, y, order=0)
    h = meta_hitting_times(chain)
    k, l = int(chain.cluster_of[x]), int(chain.cluster_of[y])
    hm = h[k][l]
    out = {str(p): coeffs.get(p, Fraction(0)) for p in sorted(set(coeffs) | {-1, 0})}
    lead = out["-1"]
    agree = (hm != math.inf and lead == hm and min(coeffs) >= -1)
    res = {"coefficients": out, "h_meta": hm, "start": x, "target": y, "cluster_start": k, "cluster_target": l,
           "leading_equals_h_meta": bool(agree)}
    if args.json:
        emit_json(res)
        return 0
    print(f"E_{x}[tau_{y}](eps) = " + " + ".join(f"({fmt(v)})·eps^{p}" for p, v in out.items()) + " + O(eps)")
    print(f"h_meta(C{k} -> C{l}) = {fmt(hm)}   eps^-1 coefficient {'==' if agree else '!='} h_meta")
    return 0
