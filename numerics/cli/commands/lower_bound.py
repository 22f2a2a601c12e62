"""`metacot lower-bound`: exact SQ dimension, SDA and query lower bound of the logical task (spec 05)."""
from __future__ import annotations

import math

from metacot.numerics.cli.helpers import add_json_flag, add_quiet_flag, fmt, integer, number, report
from metacot.numerics.errors import MetacotError


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("lower-bound",
                       help="SQ dimension, SDA and SQ query lower bound of the logical task (exact enumeration)")
    p.add_argument("--m", type=integer("m"), required=True,
                   help="number of candidate edges (1..12; 2^m concepts × 2^m inputs)")
    p.add_argument("--group", default="z2", metavar="G", help="edge-label group: z2 (parity) or s3 (default z2)")
    p.add_argument("--tau", type=number("tau", positive=True, below_one=True), default="1/4",
                   help="STAT tolerance τ in (0, 1); SDA uses γ̄ = τ² (default 1/4)")
    add_json_flag(p, "sq_dimension, sda, query_bound, formula")
    add_quiet_flag(p)
    p.set_defaults(func=cmd_lower_bound)


def _num(x):
    if x == math.inf:
        return "inf"
    return int(x)


def _bracket(lower, upper):
    return _num(lower) if lower == upper else {"lower": _num(lower), "upper": _num(upper)}


def cmd_lower_bound(args) -> int:
    """`metacot lower-bound --m M`: exact SQ dimension, SDA and query bound of the logical task (spec 05)."""
    from fractions import Fraction

    import sympy as sp

    from metacot.numerics.lower_bounds.groups import get_group
    from metacot.theory import lower_bounds as th
    from metacot.theory.symbols import m as sm, tau as stau

    from metacot.numerics.lower_bounds.sq import lower_bound_summary

    group = get_group(args.group)
    tau = Fraction(args.tau)
    if not 0 < tau < 1:
        raise MetacotError(f"tau must lie in (0, 1), got {fmt(tau)}")
    s = lower_bound_summary(group, args.m, tau)
    t_sym = sp.Rational(tau.numerator, tau.denominator)
    g_sym = t_sym**2
    if group.name == "Z2":
        formula = {"sq_dimension": sp.sstr(th.sq_dim_parity), "sda": sp.sstr(th.sda_parity),
                   "query_bound": sp.sstr(th.query_bound_parity)}
        formula_value = {"sq_dimension": int(th.sq_dim_parity.subs(sm, args.m)),
                         "sda": int(th.sda_parity.subs({sm: args.m, th.gamma_bar: g_sym})),
                         "query_bound": int(th.query_bound_parity.subs({sm: args.m, stau: t_sym}))}
    else:
        R = sp.Rational(s.max_row_sum.numerator, s.max_row_sum.denominator)
        formula = {"sq_dimension": "largest d with d concepts pairwise |chi| <= 1/d (Blum et al. 1994)",
                   "sda": sp.sstr(th.sda_rowsum_bound) + "  (lower bound, R = max row sum of |chi|)",
                   "query_bound": sp.sstr(th.query_bound_general) + "  (e_max = s* - 1)"}
        formula_value = {"sda": int(th.sda_rowsum_bound.subs({th.N_concepts: s.N, th.R_rowsum: R,
                                                               th.gamma_bar: g_sym})),
                         "R": s.max_row_sum}
    out = {"group": group.name, "m": s.m, "N": s.N, "tau": s.tau, "gamma": s.gamma,
           "sq_dimension": _bracket(s.sq_dimension.lower, s.sq_dimension.upper),
           "sda": _bracket(s.sda.lower, s.sda.upper),
           "query_bound": _num(s.query_bound),
           "e_max": s.sda.max_eliminated,
           "formula": formula, "formula_value": formula_value,
           "seconds": round(s.seconds, 3)}

    def show(v):
        return str(v) if not isinstance(v, dict) else f"[{v['lower']}, {v['upper']}] (certified bracket)"

    def text(out):
        yield (f"logical task: G = {group.name}, m = {s.m} candidate edges, N = 2^{s.m} = {s.N} concepts, "
               f"STAT tolerance tau = {fmt(s.tau)}, SDA threshold gamma = tau^2 = {fmt(s.gamma)}")
        yield (f"  SQ dimension   {show(out['sq_dimension']):>12}    formula: {formula['sq_dimension']}"
               + (f" = {formula_value['sq_dimension']}" if "sq_dimension" in formula_value else ""))
        yield (f"  SDA(gamma)     {show(out['sda']):>12}    formula: {formula['sda']} = {formula_value['sda']}")
        yield (f"  query bound    {show(out['query_bound']):>12}    formula: {formula['query_bound']}"
               + (f" = {formula_value['query_bound']}" if "query_bound" in formula_value else f", e_max = {out['e_max']}"))
        yield (f"  (exact enumeration of the {s.N}x{s.N} correlation matrix in {s.seconds:.2f} s)")

    return report(args, out, text)
