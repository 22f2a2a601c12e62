"""Subcommands for the measurement vocabulary of spec 08: committor, mfpt, moments, spectrum, stationary.

    metacot committor  CHAIN --A SET --B SET --eps E [--limit]      P_x(hit A before B)
    metacot mfpt       CHAIN --target SET [--origin SET | --initial LAW] --eps E
    metacot moments    CHAIN [--start X | --initial LAW] [--target SET] --eps E [--laurent]
    metacot spectrum   CHAIN --eps E [--count k] [--cluster k] [--charpoly]
    metacot stationary CHAIN --eps E

SET: comma-separated states, ranges a-b, or Ck for the states of cluster k (0-based, as `metacot meta`
prints them), e.g. ``--A 0,3-5,C2``. LAW: state:weight pairs, e.g. ``--initial 0:1/2,3:1/2``. ε is
parsed exactly ("1e-30", "1/1000"). Exact values print as rationals, floats with 17 significant
digits, mp values with the digits their error estimate supports, certified values as [lo, hi].
"""
from __future__ import annotations

import argparse
import math
import re
from fractions import Fraction

from metacot.numerics.numbers import to_mpf
from metacot.numerics.cli.helpers import add_chain_argument, emit_json, fmt, get_chain
from metacot.numerics.errors import MetacotError

SOLVE_METHODS = ("auto", "exact", "mp", "float", "certified")
MOMENT_METHODS = ("auto", "exact", "mp", "float")
SPECTRUM_METHODS = ("mp", "float", "certified")
FLOAT_REL_ERROR_PER_STATE = 2.2e-16   # a-priori bound ~ n·u of the subtraction-free reduction (spec 06)
CERTIFIED_DIGITS = 20                 # significant digits of the printed [lo, hi] (rounded outward)
_TOKEN = re.compile(r"^\s*(?:(\d+)\s*-\s*(\d+)|[cC](\d+)|(\d+))\s*$")


# ----------------------------------------------------------------------------- argument types
def _number(what):
    def parse(text):
        from metacot.numerics.numbers import parse_number

        try:
            return parse_number(text, what=what)
        except MetacotError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = what
    return parse


def _set_spec(text: str):
    """'0,3-5,C2' -> [('state', 0), ('range', 3, 5), ('cluster', 2)] (resolved once the chain is loaded)."""
    out = []
    for tok in text.split(","):
        m = _TOKEN.match(tok)
        if not m:
            raise argparse.ArgumentTypeError(f"cannot parse {tok.strip()!r} in the state set {text!r} "
                                             "(use states, ranges a-b or Ck for cluster k, comma-separated)")
        if m.group(1) is not None:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise argparse.ArgumentTypeError(f"empty range {tok.strip()!r} in {text!r}")
            out.append(("range", a, b))
        elif m.group(3) is not None:
            out.append(("cluster", int(m.group(3))))
        else:
            out.append(("state", int(m.group(4))))
    return out


_set_spec.__name__ = "SET"


def _law_spec(text: str):
    """'0:1/2,3:1/2' -> {0: Fraction(1, 2), 3: Fraction(1, 2)} (exact weights)."""
    from metacot.numerics.numbers import parse_number

    law = {}
    for tok in text.split(","):
        if ":" not in tok:
            raise argparse.ArgumentTypeError(f"cannot parse {tok.strip()!r} in the law {text!r} "
                                             "(use state:weight pairs such as 0:1/2,3:1/2)")
        s, w = tok.split(":", 1)
        try:
            x = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"state {s.strip()!r} in the law {text!r} is not an integer") from None
        try:
            law[x] = parse_number(w, what=f"weight of state {x}")
        except MetacotError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return law


_law_spec.__name__ = "LAW"


def _int_at_least(what, minimum):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {v}")
        return v
    parse.__name__ = what
    return parse


def _resolve_set(chain, spec, what: str) -> list[int]:
    states = set()
    for item in spec:
        if item[0] == "state":
            states.add(item[1])
        elif item[0] == "range":
            states.update(range(item[1], item[2] + 1))
        else:
            k = item[1]
            clusters = chain.clusters
            if not 0 <= k < len(clusters):
                raise MetacotError(f"{what}: unknown cluster C{k} (clusters are C0..C{len(clusters) - 1})")
            states.update(clusters[k])
    bad = sorted(x for x in states if not 0 <= x < chain.n)
    if bad:
        raise MetacotError(f"{what}: unknown state {bad[0]} (states are 0..{chain.n - 1})")
    return sorted(states)


def _eps(chain, args, command):
    if args.eps is None:
        raise MetacotError(f"{command} needs --eps (valid range (0, {fmt(chain.eps_max)}])")
    return chain.check_eps(args.eps, allow_zero=True)


def _method_for(chain, eps, method, progress=None):
    """The method that runs ("auto": exact for exact chains with rational ε and n ≤ 400, else float); the
    progress line names it from here on."""
    if method == "auto":
        method = "exact" if (chain.exact and isinstance(eps, Fraction) and chain.n <= 400) else "float"
    if progress is not None:
        progress.stage(f"method {method} on {chain.n} states")
    return method


def _add_common(p, methods, default):
    p.add_argument("--eps", type=_number("eps"), help="perturbation size, parsed exactly ('1e-30', '1/1000')")
    p.add_argument("--method", choices=methods, default=default,
                   help=f"{', '.join(methods)} (default {default})")
    p.add_argument("--dps", type=_int_at_least("--dps", 15), default=50,
                   help="decimal digits for --method mp / certified (default 50)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout instead of text")


# ----------------------------------------------------------------------------- value formatting
def _mp_text(v, digits: int) -> str:
    import mpmath

    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    return mpmath.nstr(v, max(1, digits), min_fixed=-4, max_fixed=17)


def _value(v, digits: int):
    """JSON form: exact -> rational string, float -> number, mp -> string with `digits` digits,
    Interval -> [lo, hi] decimal strings, complex -> {"re", "im"}."""
    import mpmath
    import numpy as np

    from metacot.numerics.numbers import Interval

    if v is None:
        return None
    if isinstance(v, Interval):
        return list(v.decimal_strings(CERTIFIED_DIGITS))
    if hasattr(v, "re") and hasattr(v, "im") and isinstance(getattr(v, "re"), Interval):
        return {"re": _value(v.re, digits), "im": _value(v.im, digits)}
    if isinstance(v, mpmath.mpc):
        return {"re": _mp_text(v.real, digits), "im": _mp_text(v.imag, digits)}
    if isinstance(v, mpmath.mpf):
        return _mp_text(v, digits)
    if isinstance(v, (complex, np.complexfloating)):
        return {"re": _value(float(v.real), digits), "im": _value(float(v.imag), digits)}
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else ("inf" if f > 0 else ("-inf" if f < 0 else "nan"))
    if isinstance(v, (int, Fraction)):
        return fmt(v)
    return v


def _text(v, digits: int) -> str:
    return _show(_value(v, digits))


def _show(j) -> str:
    """Text form of a JSON value from :func:`_value`: [lo, hi], a + bi, or the number."""
    if isinstance(j, list):
        return f"[{j[0]}, {j[1]}]"
    if isinstance(j, dict):
        re_, im = _show(j["re"]), _show(j["im"])
        if im in ("0", "0.0", "-0.0", "[0, 0]"):
            return re_
        return f"{re_} + {im}i" if not im.startswith("-") else f"{re_} - {im[1:]}i"
    if isinstance(j, float):
        return fmt(j)
    return str(j)


def _solve_note(method, chain, dps):
    """(digits shown for mp, the error statement) of a state-reduction solve."""
    if method == "exact":
        return dps, "exact rational"
    if method == "mp":
        digits = max(1, dps - 5 - len(str(chain.n)))
        return digits, f"mpmath, {dps} digits; shown to {digits} digits (a-priori bound n·10^-(dps-5) relative)"
    if method == "certified":
        return dps, "certified enclosures [lo, hi] (ball arithmetic, rounded outward)"
    return dps, f"float64 state reduction; relative error <= n·2.2e-16 = {chain.n * FLOAT_REL_ERROR_PER_STATE:.2g}"


# ----------------------------------------------------------------------------- parsers
def add_parser(sub):
    p = sub.add_parser("committor", help="committor P_x(hit A before B) of P(eps) for every state "
                                         "(absorption probabilities; exact, mp, float or certified)")
    add_chain_argument(p)
    p.add_argument("--A", dest="set_a", type=_set_spec, required=True, metavar="SET",
                   help="target set A (states, ranges a-b, Ck = cluster k)")
    p.add_argument("--B", dest="set_b", type=_set_spec, default=None, metavar="SET",
                   help="set B to avoid (default: empty, i.e. P_x(ever hit A))")
    _add_common(p, SOLVE_METHODS, "auto")
    p.add_argument("--limit", action="store_true",
                   help="also the exact eps -> 0 limit of every committor (exact chains; spec 08 F3)")
    p.set_defaults(func=cmd_committor)

    p = sub.add_parser("mfpt", help="mean first passage time to a set, from every state, from a set "
                                    "(stationary-weighted, as deeptime's mfpt) or from an initial law")
    add_chain_argument(p)
    p.add_argument("--target", type=_set_spec, default=None, metavar="SET",
                   help="target set A (default: the chain's target)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--origin", type=_set_spec, default=None, metavar="SET",
                   help="origin set O: sum_{x in O} pi(x) E_x[tau_A] / pi(O)")
    g.add_argument("--initial", type=_law_spec, default=None, metavar="LAW",
                   help="initial law nu as state:weight pairs: E_nu[tau_A]")
    _add_common(p, SOLVE_METHODS, "auto")
    p.set_defaults(func=cmd_mfpt)

    p = sub.add_parser("moments", help="mean, second moment and variance of the hitting time tau "
                                       "(with --laurent: exact Laurent coefficients in eps)")
    add_chain_argument(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--start", type=_int_at_least("--start", 0), default=None, metavar="X",
                   help="start state X (default: the chain's start)")
    g.add_argument("--initial", type=_law_spec, default=None, metavar="LAW", help="initial law as state:weight pairs")
    p.add_argument("--target", type=_set_spec, default=None, metavar="SET",
                   help="target set (default: the chain's target)")
    _add_common(p, MOMENT_METHODS, "auto")
    p.add_argument("--laurent", action="store_true",
                   help="exact Laurent coefficients of E[tau], E[tau^2], Var(tau) at eps = 0 (exact chains)")
    p.add_argument("--order", type=_int_at_least("--order", -2), default=0,
                   help="highest power of eps printed with --laurent (default 0)")
    p.set_defaults(func=cmd_moments)

    p = sub.add_parser("spectrum", help="eigenvalues of P(eps) nearest 1, implied timescales and the "
                                        "meta-chain prediction 1 - eps*nu_j (mpmath, float or certified)")
    add_chain_argument(p)
    _add_common(p, SPECTRUM_METHODS, "mp")
    p.add_argument("--count", type=_int_at_least("--count", 1), default=None,
                   help="number of eigenvalues (default: the number of clusters K)")
    p.add_argument("--cluster", type=_int_at_least("--cluster", 0), default=None, metavar="K",
                   help="also the quasi-stationary exit eigenvalue of cluster K (P restricted to C_K)")
    p.add_argument("--charpoly", action="store_true",
                   help="also the exact characteristic polynomial at eps (of C_K with --cluster)")
    p.set_defaults(func=cmd_spectrum)

    p = sub.add_parser("stationary", help="stationary law of P(eps) (GTH; unichains with transient states too)")
    add_chain_argument(p)
    _add_common(p, SOLVE_METHODS, "auto")
    p.set_defaults(func=cmd_stationary)


# ----------------------------------------------------------------------------- commands
def _vector_lines(values, digits, label):
    return [f"  {label}({x}) = {_text(v, digits)}" for x, v in enumerate(values)]


def cmd_committor(args) -> int:
    from metacot.numerics.solvers.committor import committor, committor_laurent

    chain = get_chain(args)
    A = _resolve_set(chain, args.set_a, "--A")
    B = _resolve_set(chain, args.set_b, "--B") if args.set_b is not None else []
    eps = _eps(chain, args, "committor")
    method = _method_for(chain, eps, args.method, getattr(args, "progress", None))
    q = committor(chain, A, B, eps, method, dps=args.dps)
    digits, note = _solve_note(method, chain, args.dps)
    out = {"A": A, "B": B, "eps": fmt(eps), "method": method, "note": note,
           "committor": [_value(v, digits) for v in q]}
    if args.limit:
        if not chain.exact:
            raise MetacotError("--limit needs an exact chain (rational entries such as '3/7')")
        lim = [f.laurent(0).get(0, Fraction(0)) for f in committor_laurent(chain, A, B)]
        out["limit_eps_to_0"] = [fmt(v) for v in lim]
    if args.json:
        emit_json(out)
        return 0
    print(f"committor q(x) = P_x(hit A before B), A = {A}, B = {B}, eps = {fmt(eps)}  [{method}: {note}]")
    for x, v in enumerate(q):
        tail = f"   (eps -> 0: {out['limit_eps_to_0'][x]})" if args.limit else ""
        print(f"  q({x}) = {_text(v, digits)}{tail}")
    return 0


def _default_target(chain, spec):
    if spec is not None:
        return _resolve_set(chain, spec, "--target")
    if chain.target is None:
        raise MetacotError("no target: pass --target SET (the chain file has no 'target')")
    return [chain.target]


def cmd_mfpt(args) -> int:
    from metacot.numerics.solvers.moments import hitting_time_from, mean_first_passage_time

    chain = get_chain(args)
    target = _default_target(chain, args.target)
    eps = _eps(chain, args, "mfpt")
    method = _method_for(chain, eps, args.method, getattr(args, "progress", None))
    digits, note = _solve_note(method, chain, args.dps)
    out = {"target": target, "eps": fmt(eps), "method": method, "note": note, "unit": "steps"}
    if args.origin is not None:
        origin = _resolve_set(chain, args.origin, "--origin")
        v = mean_first_passage_time(chain, target, eps, origin=origin, method=method, dps=args.dps)
        out.update({"origin": origin, "weights": "stationary law restricted to the origin", "mfpt": _value(v, digits)})
        line = f"mfpt({origin} -> {target}) at eps = {fmt(eps)}: {_text(v, digits)} steps  [{method}: {note}]"
    elif args.initial is not None:
        v = hitting_time_from(chain, args.initial, target, eps, method, dps=args.dps)
        out.update({"initial": {str(k): fmt(w) for k, w in args.initial.items()}, "mfpt": _value(v, digits)})
        line = f"E_nu[tau_{target}] at eps = {fmt(eps)}: {_text(v, digits)} steps  [{method}: {note}]"
    else:
        h = mean_first_passage_time(chain, target, eps, method=method, dps=args.dps)
        out["mfpt"] = [_value(v, digits) for v in h]
        if args.json:
            emit_json(out)
            return 0
        print(f"E_x[tau_{target}] at eps = {fmt(eps)} (steps)  [{method}: {note}]")
        for line in _vector_lines(h, digits, "E_x"):
            print(line.replace("E_x(", "x = ").replace(") =", ":"))
        return 0
    if args.json:
        emit_json(out)
        return 0
    print(line)
    return 0


def cmd_moments(args) -> int:
    from metacot.numerics.solvers.moments import hitting_moments, hitting_moments_laurent

    chain = get_chain(args)
    target = _default_target(chain, args.target)
    if args.initial is not None:
        initial, start_text = args.initial, "nu"
    else:
        x = args.start if args.start is not None else chain.start
        if x is None:
            raise MetacotError("no start state: pass --start X or --initial LAW (the chain file has no 'start')")
        if not 0 <= x < chain.n:
            raise MetacotError(f"unknown start state {x} (states are 0..{chain.n - 1})")
        initial, start_text = x, str(x)
    out = {"start": start_text if args.initial is None else {str(k): fmt(w) for k, w in args.initial.items()},
           "target": target, "unit": "steps (mean), steps^2 (second moment, variance)"}
    lines = []
    if args.eps is not None or not args.laurent:
        eps = _eps(chain, args, "moments")
        method = _method_for(chain, eps, args.method, getattr(args, "progress", None))
        m = hitting_moments(chain, target, eps, initial=initial, method=method, dps=args.dps)
        digits, note = _solve_note(method, chain, args.dps)
        if method == "float":
            n = chain.n
            rel = n * FLOAT_REL_ERROR_PER_STATE
            var_err = rel * (float(m.second_moment) + float(m.mean) ** 2)
            note += f"; variance = m2 - mean^2 has absolute error <= {var_err:.3g}"
        out.update({"eps": fmt(eps), "method": method, "note": note, "mean": _value(m.mean, digits),
                    "second_moment": _value(m.second_moment, digits), "variance": _value(m.variance, digits)})
        lines += [f"tau = hitting time of {target} from {start_text}, eps = {fmt(eps)}  [{method}: {note}]",
                  f"  E[tau]   = {_text(m.mean, digits)}",
                  f"  E[tau^2] = {_text(m.second_moment, digits)}",
                  f"  Var(tau) = {_text(m.variance, digits)}"]
    if args.laurent:
        L = hitting_moments_laurent(chain, target, initial=initial)
        lau = {}
        for name, f in (("mean", L.mean), ("second_moment", L.second_moment), ("variance", L.variance)):
            co = f.laurent(args.order)
            lau[name] = {str(k): fmt(v) for k, v in sorted(co.items())}
        out["laurent"] = lau
        lines.append(f"exact Laurent coefficients at eps = 0 (up to eps^{args.order}):")
        for name in ("mean", "second_moment", "variance"):
            terms = " + ".join(f"({v})·eps^{k}" for k, v in lau[name].items())
            lines.append(f"  {name:13s} = {terms} + ...")
    if args.json:
        emit_json(out)
        return 0
    for line in lines:
        print(line)
    return 0


def _digits_from_error(v, err, dps) -> int:
    """Significant digits of v supported by the absolute error estimate err (at most dps)."""
    import mpmath

    if err is None:
        return dps
    a = abs(v)
    if a == 0:
        return 1
    if err == 0:
        return dps
    try:
        d = int(mpmath.floor(mpmath.log10(mpmath.mpf(a) / mpmath.mpf(err))))
    except (ValueError, ZeroDivisionError):
        return 1
    return max(1, min(dps, d))


def cmd_spectrum(args) -> int:
    import mpmath

    from metacot.numerics.solvers.spectrum import (characteristic_polynomial, eigenvalues_near_one,
                                                    meta_eigenvalues, quasi_stationary_exit)

    chain = get_chain(args)
    eps = _eps(chain, args, "spectrum")
    s = eigenvalues_near_one(chain, eps, args.count, args.method, dps=args.dps)
    try:
        nus = meta_eigenvalues(chain, dps=args.dps)
    except MetacotError:
        nus = None          # no metastable structure (e.g. transient states under P0): no prediction
    with mpmath.workdps(args.dps):
        em = to_mpf(eps)
    rows = []
    used = set()
    for lam, gap, t, err in zip(s.eigenvalues, s.gaps, s.timescales, s.errors):
        if s.method == "certified":
            d_gap = d_lam = args.dps
            g = mpmath.mpc(to_mpf(gap.re.mid), to_mpf(gap.im.mid))
        else:
            cap = 17 if s.method == "float" else args.dps
            d_gap = _digits_from_error(abs(gap), err, cap)
            d_lam = _digits_from_error(abs(lam), err, cap)
            g = mpmath.mpc(gap)
        gap_value = _value(gap, d_gap)
        if err is not None and abs(gap) <= err:
            gap_value = "0"        # |1 − λ| within its error estimate: indistinguishable from the eigenvalue 1
        row = {"eigenvalue": _value(lam, d_lam), "gap": gap_value, "timescale": _value(t, d_gap),
               "error_estimate": None if err is None else float(err)}
        if nus is not None and eps != 0:
            with mpmath.workdps(args.dps):
                free = [i for i in range(len(nus)) if i not in used]
                best = min(free, key=lambda i: abs(nus[i] - g / em), default=None)   # pair by gap/ε ≈ ν
                if best is not None:
                    used.add(best)
                    row["meta_prediction_gap"] = _value(em * nus[best], 15)
                    row["meta_nu"] = _value(nus[best], 15)
        rows.append(row)
    out = {"eps": fmt(eps), "method": s.method, "count": len(rows), "eigenvalues": rows,
           "note": {"mp": "mpmath.eig on P - I at dps + log10(1/eps) + 10 digits, twice; error = change between runs",
                    "float": "LAPACK/ARPACK on P - I; error = condition number * n * 2.2e-16 * ||P - I||_F",
                    "certified": "arb acb_mat.eig enclosures (rigorous)"}[s.method],
           "unit": "timescale t = -1/log|lambda| in steps"}
    if args.cluster is not None:
        qmethod = "float" if args.method == "float" else "mp"
        q = quasi_stationary_exit(chain, args.cluster, eps, qmethod, dps=args.dps)
        from metacot.numerics.solvers.meta_chain import escape_rates

        lam_k = escape_rates(chain)[args.cluster]
        digits = 15 if qmethod == "float" else args.dps - 5
        out["quasi_stationary"] = {"cluster": args.cluster, "method": qmethod,
                                   "exit_rate": _value(q.exit_rate, digits),
                                   "eigenvalue": _value(q.eigenvalue, digits),
                                   "timescale": _value(q.timescale, digits), "iterations": q.iterations,
                                   "meta_prediction_exit_rate": _value(eps * lam_k if isinstance(eps, Fraction)
                                                                       else float(eps) * float(lam_k), 17)}
    if args.charpoly:
        if not chain.exact and not isinstance(eps, Fraction):
            raise MetacotError("--charpoly needs a rational eps")
        states = chain.clusters[args.cluster] if args.cluster is not None else None
        cs = characteristic_polynomial(chain, eps, states=states)
        out["charpoly"] = {"coefficients_lowest_first": [fmt(c) for c in cs],
                           "of": "P(eps)" if states is None else f"P(eps) restricted to C{args.cluster}"}
    if args.json:
        emit_json(out)
        return 0
    print(f"eigenvalues of P(eps) nearest 1 at eps = {fmt(eps)}  [{s.method}: {out['note']}]")
    for j, r in enumerate(rows):
        pred = ""
        if "meta_prediction_gap" in r:
            pred = f"   meta: eps*nu = {_show(r['meta_prediction_gap'])}"
        print(f"  {j}: 1 - lambda = {_show(r['gap'])}   t = {_show(r['timescale'])} steps{pred}")
    if "quasi_stationary" in out:
        qs = out["quasi_stationary"]
        print(f"cluster C{qs['cluster']}: quasi-stationary exit rate 1 - rho = {_show(qs['exit_rate'])}"
              f" (meta: eps*lambda_k = {_show(qs['meta_prediction_exit_rate'])}), "
              f"timescale {_show(qs['timescale'])} steps  [{qs['method']}, {qs['iterations']} iterations]")
    if "charpoly" in out:
        print(f"det(lambda I - {out['charpoly']['of']}) coefficients (lowest degree first): "
              + ", ".join(out["charpoly"]["coefficients_lowest_first"]))
    return 0


def cmd_stationary(args) -> int:
    from metacot.numerics.solvers.stationary import stationary_law

    chain = get_chain(args)
    eps = _eps(chain, args, "stationary")
    method = _method_for(chain, eps, args.method, getattr(args, "progress", None))
    pi = stationary_law(chain, eps, method, dps=args.dps)
    digits, note = _solve_note(method, chain, args.dps)
    if method == "float":
        note = f"float64 GTH; relative error <= n·2.2e-16 = {chain.n * FLOAT_REL_ERROR_PER_STATE:.2g} per entry"
    zero = [x for x, v in enumerate(pi) if (v.hi == 0 if hasattr(v, "hi") else v == 0)]
    out = {"eps": fmt(eps), "method": method, "note": note, "stationary": [_value(v, digits) for v in pi],
           "zero_states": zero}
    if args.json:
        emit_json(out)
        return 0
    print(f"stationary law of P(eps) at eps = {fmt(eps)}  [{method}: {note}]")
    for x, v in enumerate(pi):
        print(f"  pi({x}) = {_text(v, digits)}")
    if zero:
        print(f"  (zero on the transient states {zero})")
    return 0
