"""Evaluating one instance of one part of a claim: prepare the parameters, call the measure function,
bind parameters and measured values to the statement's symbols, decide (spec 07 rule 1).

Parameter conversion before ``measure`` is called: strings that parse as numbers (``"1/1000"``,
``"1e-30"``) become exact Fractions; a parameter named ``chain`` given as a family spec string
(``"ring(4, 2, 1)"``) or a chain JSON dict becomes a :class:`~metacot.numerics.chain.Chain`.
Binding: a parameter whose name is a statement symbol's name, or a Python alias of one in
:mod:`metacot.theory.symbols` (``eps`` → ``epsilon``, ``eps_max`` → ``epsilon_max``, ``T0`` → ``T_0``), is
substituted; measured values are keyed by symbol or symbol name (a key ``"note"`` adds a note).
"""
from __future__ import annotations

import math
import traceback
from fractions import Fraction

import sympy

from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import Approximation, Estimate, Interval, format_number, parse_number, to_json_value
from metacot.numerics.verify.evidence import (Decision, Inconclusive, StatementError, decide, relations_of,
                                              to_sympy_value)
from metacot.numerics.verify.registry import Claim, InstanceResult, Part

_VERDICT_ORDER = {"fails": 0, "inconclusive": 1, "holds": 2}


def prepare_params(params: dict) -> dict:
    """Strings that are numbers -> Fraction; ``chain`` spec strings / JSON dicts -> Chain."""
    from metacot.numerics.chain import Chain
    from metacot.numerics.io import chain_from_json
    from metacot.numerics.verify.conjectures import chain_from_spec

    out = {}
    for k, v in params.items():
        if k == "chain" and isinstance(v, str):
            v = chain_from_spec(v)
        elif k == "chain" and isinstance(v, dict):
            v = chain_from_json(v)
        elif isinstance(v, str) and not isinstance(v, Chain):
            try:
                v = parse_number(v, what=k)
            except MetacotError:
                pass
        out[k] = v
    return out


def params_to_json(params: dict) -> dict:
    """JSON-able view of instance parameters (chains by name, exact numbers as strings)."""
    from metacot.numerics.chain import Chain

    return {k: (v.name or f"chain(n={v.n})") if isinstance(v, Chain) else to_json_value(v)
            for k, v in params.items()}


def symbol_aliases() -> dict[str, str]:
    """Python names of metacot.theory.symbols -> sympy names (eps -> epsilon, T0 -> T_0, …)."""
    from metacot.theory import symbols as S

    return {a: getattr(S, a).name for a in getattr(S, "__all__", [])
            if isinstance(getattr(S, a), sympy.Symbol)}


def bind(statement, params: dict, measured: dict) -> tuple[dict, str]:
    """{symbol: value} for the statement's free symbols from the parameters and one measured dict."""
    from metacot.numerics.chain import Chain

    free = statement.free_symbols
    by_name = {s.name: s for s in free}
    aliases = symbol_aliases()
    env = {}
    for k, v in params.items():
        name = k if k in by_name else aliases.get(k)
        if name in by_name and not isinstance(v, (Chain, list, tuple, dict, str)) and v is not None:
            env[by_name[name]] = to_sympy_value(v, k)
    note = ""
    for k, v in measured.items():
        if k == "note":
            note = str(v)
            continue
        if isinstance(k, str):
            key = by_name.get(k) or by_name.get(aliases.get(k, ""))
            if key is None:
                continue            # a value the statement does not use (diagnostics)
        elif isinstance(k, sympy.Basic):
            key = k
        else:
            raise StatementError(f"measure() keys must be sympy symbols or their names, got {k!r}")
        env[key] = to_sympy_value(v, str(k))
    return env, note


def decide_statement(statement, env: dict, part: Part) -> Decision:
    """Decide every relation of the statement; the worst one is returned (fails < inconclusive < holds;
    among equals the smallest relative slack; among ties a relation whose right side holds symbols, e.g.
    ``a_{-1} == h_meta``, rather than a bare constant such as ``p_pole == 1``)."""
    best, best_rank = None, None
    for rel in relations_of(statement):
        d = decide(rel, env, tolerance=part.tolerance, relative=part.relative, z=part.z,
                   sample_points=part.sample_points)
        rank = 0 if rel.rhs.free_symbols else 1
        if best is None or _worse(d, best) or (not _worse(best, d) and rank < best_rank):
            best, best_rank = d, rank
    return best


def _slack_key(d: Decision) -> float:
    try:
        s = float(d.slack)
        p = abs(float(d.predicted)) if not isinstance(d.predicted, (Interval, Estimate)) else 1.0
        return s / p if p else s
    except (TypeError, ValueError, OverflowError):
        return math.inf


def _worse(a: Decision, b: Decision) -> bool:
    if _VERDICT_ORDER[a.verdict] != _VERDICT_ORDER[b.verdict]:
        return _VERDICT_ORDER[a.verdict] < _VERDICT_ORDER[b.verdict]
    return _slack_key(a) < _slack_key(b)


def evaluate_instance(claim: Claim, part: Part, iid: str, params: dict, seed: int) -> InstanceResult:
    """Run one instance; every failure of the measure function is reported (inconclusive), never raised.

    Returns
    -------
    InstanceResult
        With ``params`` in JSON form, the rung the values support, the relation decided (the worst
        binding / conjunct) and, for several bindings, a note saying how many were checked.
    """
    shown = params_to_json(params)
    statement = claim.part_statement(part)

    def result(verdict, note, d: Decision | None = None):
        if d is None:
            return InstanceResult(shown, None, None, None, part.tolerance, verdict, note, id=iid, part=part.name,
                                  rung=None, relation="")
        return InstanceResult(shown, d.predicted, d.measured, d.error, part.tolerance, verdict, note, id=iid,
                              part=part.name, rung=d.rung, relation=d.relation, slack=d.slack)

    if claim.search is not None and set(params) == {"search", "examples"}:
        return _search_instance(claim, part, iid, params, seed, shown)
    try:
        values = prepare_params(params)
        if part.takes_seed():
            values["rng_seed"] = seed
        measured = part.measure(**values)
    except Inconclusive as exc:
        return result("inconclusive", str(exc))
    except MetacotError as exc:
        return result("inconclusive", f"measure raised {exc.__class__.__name__}: {' '.join(str(exc).split())}")
    except Exception as exc:  # noqa: BLE001  (a crashing check is reported, never counted as holding)
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        res = result("inconclusive", f"measure raised {tb}")
        res.crashed = True
        return res
    bindings = measured if isinstance(measured, list) else [measured]
    if not bindings or not all(isinstance(b, dict) for b in bindings):
        return result("inconclusive", f"measure() must return a dict {{symbol: value}} or a list of them, "
                                      f"got {type(measured).__name__}")
    worst, worst_note, n_fail = None, "", 0
    try:
        for b in bindings:
            env, note = bind(statement, values, b)
            d = decide_statement(statement, env, part)
            n_fail += d.verdict == "fails"
            if worst is None or _worse(d, worst):
                worst, worst_note = d, "; ".join(x for x in (note, d.note) if x)
    except StatementError as exc:
        return result("inconclusive", f"statement: {exc}")
    note = worst_note
    if len(bindings) > 1:
        note = f"{len(bindings)} cases checked, {n_fail} fail; worst shown" + (f"; {note}" if note else "")
    return result(worst.verdict, note, worst)


def _search_instance(claim, part, iid, params, seed, shown) -> InstanceResult:
    from metacot.numerics.verify.conjectures import search_counterexample

    out = search_counterexample(claim, max_examples=int(params["examples"]), seed=seed)
    if out.counterexample is None:
        return InstanceResult(shown, None, None, None, part.tolerance, "holds",
                              f"no counterexample in {out.tried} random examples (seed {seed})", id=iid,
                              part=part.name, rung=None)
    r = out.counterexample.result
    return InstanceResult(shown, r.predicted, r.measured, r.error, r.tolerance, "fails",
                          f"counterexample after {out.tried} examples: "
                          f"{format_params(out.counterexample.params)}", id=iid, part=part.name, rung=r.rung,
                          relation=r.relation, slack=r.slack)


def format_params(params: dict) -> str:
    import json

    return json.dumps(params_to_json(params))


def format_value(x, digits: int = 17) -> str:
    """One value as the reports show it: rationals exact, floats 17 significant digits, intervals
    ``[lo, hi]``, estimates ``mean ± se``, symbolic values as sympy text."""
    if x is None:
        return "-"
    if isinstance(x, Interval):
        lo, hi = x.decimal_strings(digits)
        return f"[{lo}, {hi}]"
    if isinstance(x, Estimate):
        return f"{format_number(x.mean)} ± {format_number(x.se)} (se)"
    if isinstance(x, Approximation):
        return f"{format_number(x.value)} ± {format_number(x.error)}"
    if isinstance(x, sympy.Basic):
        if isinstance(x, sympy.Rational):
            return format_number(Fraction(int(x.p), int(x.q)))
        return sympy.sstr(x)
    if isinstance(x, str):
        return x
    return format_number(x)


def value_to_json(x):
    """JSON form of a reported value (typed: rational strings, numbers, {lo, hi}, {mean, se, n})."""
    if isinstance(x, Interval):
        lo, hi = x.decimal_strings(20)
        return {"lo": lo, "hi": hi}
    if isinstance(x, Estimate):
        return {"mean": to_json_value(x.mean), "se": to_json_value(x.se), "n": x.n}
    if isinstance(x, Approximation):
        return {"value": to_json_value(x.value), "error": to_json_value(x.error)}
    if isinstance(x, sympy.Basic):
        if isinstance(x, sympy.Rational):
            return format_number(Fraction(int(x.p), int(x.q)))
        return sympy.sstr(x)
    return to_json_value(x)
