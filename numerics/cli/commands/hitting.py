"""Subcommands `hitting` (E_X[τ_Y] at one ε, any method) and `asymptotics` (exact Laurent terms vs h^meta)."""
from __future__ import annotations

from fractions import Fraction

from metacot.numerics.cli.helpers import (add_chain_argument, add_json_flag, add_quiet_flag, add_start_target,
                                          brief, dps, fmt, get_chain, integer, number, report, require_clusters,
                                          resolve_states, seed)
from metacot.numerics.errors import MetacotError

HITTING_METHODS = ("auto", "exact", "mp", "float", "mc", "certified")
FLOAT_REL_ERROR_PER_STATE = 2.2e-16  # a-priori bound ~ n·u for the subtraction-free reduction (spec 06)
MP_GUARD_DIGITS = 5                  # a-priori mp bound: relative error n·10^-(dps - MP_GUARD_DIGITS)
CERTIFIED_DIGITS = 20                # significant digits of the printed enclosure endpoints (outward-rounded)


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("hitting",
                       help="expected hitting time E_X[tau_Y] of P(eps) (exact, mp, float, certified or Monte Carlo)")
    add_chain_argument(p)
    add_start_target(p)
    p.add_argument("--eps", type=number("eps"),
                   help="perturbation size, parsed exactly ('1e-30', '1/1000'); required")
    p.add_argument("--method", choices=HITTING_METHODS, default="auto",
                   help="auto (exact for exact chains up to 400 states within the exact cost limit, mp when eps is "
                        "below the float range, else float), exact, mp, float, mc (Monte Carlo), certified ([lo, hi] enclosure)")
    p.add_argument("--dps", type=dps, default=50, help="decimal digits for --method mp, 15..10000 (default 50)")
    p.add_argument("--seed", type=seed, default=0, help="seed for --method mc, 0..2^32-1 (default 0)")
    p.add_argument("--walkers", type=integer("walkers", 2), default=20000, help="walkers for --method mc (default 20000)")
    p.add_argument("--max-steps", type=integer("max-steps", 1), default=None, metavar="S",
                   help="--method mc: at most S steps per walker; without it the expected cost is estimated first "
                        "and refused above a budget")
    add_json_flag(p, '{"value", "method", "error_estimate", "start", "target", "eps", "note"}: value is a rational '
                     'string (exact), a number (float, mc; mp too, with "decimal" its correct digits; null beyond float64) or '
                     '{"lo", "hi"} decimal strings (certified)')
    add_quiet_flag(p)
    p.set_defaults(func=cmd_hitting)

    p = sub.add_parser("asymptotics",
                       help="exact eps^-1 and eps^0 Laurent coefficients of E_X[tau_Y] beside h_meta")
    add_chain_argument(p)
    add_start_target(p)
    add_json_flag(p, '{"coefficients": {"-1", "0"}, "h_meta", ...}')
    add_quiet_flag(p)
    p.set_defaults(func=cmd_asymptotics)


def _auto_method(chain, eps) -> str:
    from metacot.numerics.chain import FLOAT_EPS_MIN
    from metacot.numerics.solvers.hitting import EXACT_AUTO_MAX_N, EXACT_WORK_MAX, elimination_work

    if (chain.exact and isinstance(eps, Fraction) and chain.n <= EXACT_AUTO_MAX_N
            and elimination_work(chain) <= EXACT_WORK_MAX):
        return "exact"
    return "mp" if float(eps) < FLOAT_EPS_MIN else "float"


def _mp_result(value, n: int, digits_asked: int):
    """(value, error bound, correct significant digits) of an mp result: |error| ≤ n·10^-(dps-5)·|value|."""
    import math

    import mpmath

    with mpmath.workdps(digits_asked + 10):
        err = abs(value) * n * mpmath.mpf(10) ** (-(digits_asked - MP_GUARD_DIGITS))
    digits = max(1, digits_asked - MP_GUARD_DIGITS - math.ceil(math.log10(max(n, 1))))
    return err, digits


def _float_or_none(x):
    """x as a float64 number, or None when it is outside the float64 range (the decimal string carries it)."""
    v = float(x)
    return v if v == 0 and x == 0 or 0 < abs(v) < float("inf") else None


def cmd_hitting(args) -> int:
    """`metacot hitting CHAIN --eps E`: E_X[τ_Y] at P(ε) by one method, with its error or enclosure."""
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.solvers.monte_carlo import monte_carlo_hitting_time

    chain = get_chain(args)
    x, y = resolve_states(chain, args)
    if args.eps is None:
        raise MetacotError(f"hitting needs --eps (valid range (0, {fmt(chain.eps_max)}]); "
                           "use `metacot asymptotics` for the eps -> 0 behaviour")
    eps = chain.check_eps(args.eps)
    method = _auto_method(chain, eps) if args.method == "auto" else args.method
    args.progress.stage(f"method {method} on {chain.n} states")
    data = {"value": None, "method": method, "error_estimate": None, "start": x, "target": y, "eps": eps}
    if method == "mc":
        est = monte_carlo_hitting_time(chain, x, y, eps, args.walkers, args.seed, max_steps=args.max_steps)
        data.update(value=est.mean, error_estimate=est.stderr,
                    note=f"Monte Carlo, {est.n_walkers} walkers, seed {args.seed}; error = standard error")
        shown, tail = fmt(est.mean), f"  (± {fmt(est.stderr, 3)})"
    elif method == "certified":
        iv = hitting_time(chain, x, y, eps, method="certified")
        lo, hi = iv.decimal_strings(CERTIFIED_DIGITS)
        data.update(value={"lo": lo, "hi": hi},
                    note="certified enclosure (ball arithmetic, outward-rounded to "
                         f"{CERTIFIED_DIGITS} significant digits): the true value lies in [lo, hi]")
        shown, tail = f"[{lo}, {hi}]", ""
    else:
        value = hitting_time(chain, x, y, eps, method, dps=args.dps)
        if method == "exact":
            data.update(value=value, note="exact rational")
            shown = fmt(value)
            tail = "" if len(shown) <= 24 else f"  (≈ {brief(value)})"
        elif method == "mp":
            err, digits = _mp_result(value, chain.n, args.dps)
            decimal = fmt(value, digits)
            data.update(value=_float_or_none(value), decimal=decimal, error_estimate=_float_or_none(err),
                        error_decimal=fmt(err, 2), correct_digits=digits,
                        note=f"mpmath, {args.dps} digits; error = a-priori bound n·10^-(dps-5)·|value|; "
                             f"decimal: the {digits} significant digits that bound guarantees")
            shown, tail = decimal, f"  (± {fmt(err, 2)})"
        else:
            err = abs(float(value)) * chain.n * FLOAT_REL_ERROR_PER_STATE
            data.update(value=float(value), error_estimate=err,
                        note="float64 state reduction; error = a-priori bound n·2.2e-16·|value|")
            shown, tail = fmt(value), f"  (± {fmt(err, 3)})"
    return report(args, data, [f"E_{x}[tau_{y}] at eps = {brief(eps)}: {shown}{tail}  [{method}: {data['note']}]"])


def cmd_asymptotics(args) -> int:
    """`metacot asymptotics CHAIN`: exact Laurent coefficients a_{-1}, a_0 of E_X[τ_Y](ε) beside h^meta."""
    from metacot.numerics.solvers.hitting import laurent_coefficients
    from metacot.numerics.solvers.meta_chain import ctmc_hitting_times, meta_rates

    chain = get_chain(args)
    x, y = resolve_states(chain, args)
    if not chain.exact:
        raise MetacotError("asymptotics needs an exact chain (rational entries as strings like '3/7')")
    require_clusters(chain, "asymptotics")
    args.progress.stage(f"exact Laurent expansion on {chain.n} states")
    coeffs = laurent_coefficients(chain, x, y, order=0)
    k, l = int(chain.cluster_of[x]), int(chain.cluster_of[y])
    args.progress.stage("h_meta")
    hm = ctmc_hitting_times(meta_rates(chain), l, True)[k]
    out = {str(p): coeffs.get(p, Fraction(0)) for p in sorted(set(coeffs) | {-1, 0})}
    agree = hm != float("inf") and out["-1"] == hm and min(coeffs) >= -1
    res = {"coefficients": out, "h_meta": hm, "start": x, "target": y, "cluster_start": k, "cluster_target": l,
           "leading_equals_h_meta": bool(agree)}
    return report(args, res, [
        f"E_{x}[tau_{y}](eps) = " + " + ".join(f"({fmt(v)})·eps^{p}" for p, v in out.items()) + " + O(eps)",
        f"h_meta(C{k} -> C{l}) = {fmt(hm)}   eps^-1 coefficient {'==' if agree else '!='} h_meta"])
