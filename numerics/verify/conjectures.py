"""State your own conjectures and check them beside the built-in claims (issue 9, book chapter "Extending").

A *conjecture* is a claim written in a user's file. It has

* ``id``         – a unique name such as ``"mine.eps0-sign"``;
* ``statement``  – a sympy relation ``measured REL predicted`` with REL one of ``==`` (``sympy.Eq``),
  ``<=``, ``<``, ``>=``, ``>``. Its left side is reported as *measured*, its right side as *predicted*;
* a *domain* – an explicit ``grid`` of JSON-able parameter dicts (used by ``metacot verify``) and/or a
  ``search`` space of hypothesis strategies (used by ``metacot refute`` to hunt for a counterexample);
* ``measure(**params) -> {symbol: value}`` – computes the statement's quantities with metacot's solvers
  (``metacot.numerics.solvers.hitting``, ``metacot.numerics.solvers.meta_chain``, ...). Keys are sympy symbols, symbol names, or whole sub-
  expressions of the statement (e.g. a ``sympy.Limit``); parameters whose names match a statement symbol
  (``K`` → ``K``; ``eps`` → ``epsilon`` as in ``metacot.theory.symbols``) are substituted automatically.

Example (a file ``my_conjectures.py``; run ``metacot verify --module my_conjectures.py`` or
``metacot refute mine.upper --module my_conjectures.py``)::

    import sympy as sp
    from metacot.numerics.verify.conjectures import conjecture, grid, random_chains, eps_decades
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.numerics.solvers.meta_chain import meta_hitting_times
    from metacot.theory.symbols import eps, E_tau, h_meta

    @conjecture(id="mine.upper", statement=sp.Le(eps * E_tau, h_meta),
                search={"chain": random_chains(), "eps": eps_decades(1, 20)},
                grid=grid(chain=["ring(3, 2, 1)"], eps=["1/10", "1e-6"]))
    def upper(chain, eps):
        eps = min(eps, chain.eps_max)
        k, l = chain.cluster_of[chain.start], chain.cluster_of[chain.target]
        return {"E_tau": hitting_time(chain, chain.start, chain.target, eps, method="exact"),
                "h_meta": meta_hitting_times(chain)[k][l], "epsilon": eps}

Parameter conversion before ``measure`` is called: strings that parse as numbers (``"1/1000"``,
``"1e-30"``) become exact Fractions; a parameter named ``chain`` given as a family spec string
(``"ring(4, 2, 1)"``, ``"uniform-escape(K=3, M=2, q=1/2)"``, ``"random(seed=3, sizes=[1, 2])"``) or as
a chain JSON dict becomes a ``metacot.numerics.chain.Chain``.

Verdicts: ``==`` with ``tolerance=0`` and exact values is exact rational equality; with a positive
(relative) tolerance it is ``|lhs − rhs| ≤ tol·|rhs|``. Inequalities are decided exactly for exact
values; for floats the tolerance is the allowed relative slack. The error column is |lhs − rhs| for
``==`` and the amount by which the inequality is violated (0 when it holds) otherwise.
"""
from __future__ import annotations

import ast
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import sympy

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import format_number, parse_number, to_json_value
from metacot.numerics.verify.registry import REGISTRY, Claim, InstanceResult, register

__all__ = ["ConjectureError", "Conjecture", "conjecture", "define_conjecture", "grid", "random_chains",
           "eps_decades", "chains_with_eps", "exact_rationals", "chain_from_spec", "chain_from_params", "Counterexample",
           "SearchOutcome", "search_counterexample", "DEFAULT_VERIFY_EXAMPLES"]

DEFAULT_VERIFY_EXAMPLES = (10, 40)  # (quick, full) search examples when a conjecture has no grid
_RELATIONS = {sympy.Eq: "==", sympy.Le: "<=", sympy.Lt: "<", sympy.Ge: ">=", sympy.Gt: ">"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class ConjectureError(MetacotError):
    """A conjecture is malformed (missing field, statement not a relation, duplicate id, ...)."""


# ----------------------------------------------------------------------------------- domains
def grid(**axes) -> list[dict]:
    """Cartesian product of parameter axes, in the given order: grid(K=[2, 3], M=[2]) ->
    [{'K': 2, 'M': 2}, {'K': 3, 'M': 2}] (the last axis varies fastest). Values must be JSON-able
    (ints, strings such as "1/1000", floats)."""
    if not axes:
        raise ConjectureError("grid() needs at least one axis, e.g. grid(K=[2, 3])")
    names = list(axes)
    values = []
    for name in names:
        v = axes[name]
        if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
            raise ConjectureError(f"grid axis {name!r} must be a list of values, got {v!r}")
        v = list(v)
        if not v:
            raise ConjectureError(f"grid axis {name!r} is empty")
        values.append(v)
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def eps_decades(lo: int = 1, hi: int = 30):
    """Hypothesis strategy: ε = m·10^(−d) exactly (Fraction), m in 1..9, d in lo..hi (shrinks to 10^(−lo)).
    Clamp to the chain's range yourself: ``eps = min(eps, chain.eps_max)``."""
    from hypothesis import strategies as st

    if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
        raise ConjectureError(f"eps_decades needs integers 0 <= lo <= hi, got {lo!r}, {hi!r}")
    return st.builds(lambda d, m: Fraction(m, 10**d), st.integers(lo, hi), st.integers(1, 9))


def exact_rationals(numerators=(1, 8), denominators=(1, 4)):
    """Hypothesis strategy: Fraction(a, b) with a, b in the given inclusive ranges (shrinks to lo/lo)."""
    from hypothesis import strategies as st

    return st.builds(Fraction, st.integers(*numerators), st.integers(*denominators))


def random_chains(min_clusters: int = 2, max_clusters: int = 4, max_size: int = 3, max_weight: int = 3,
                  max_extra_edges: int = 2):
    """Hypothesis strategy of exact metastable chains in the paper's row-rescaled form (spec 00).

    Built structurally so that hypothesis shrinks to *small* chains (few clusters, small clusters,
    weight-1 edges): K clusters of sizes 1..max_size; block row i has weight 1 + w on the diagonal
    (aperiodic) and 1 + w on its cyclic successor (irreducible), w ≥ 0 elsewhere, normalised; a sparse
    edge from some state of C_k into some state of C_{k+1 mod K} for every k (so every cluster is
    reachable) with integer weight q ∈ 1..max_weight, plus up to max_extra_edges further edges.
    start = state 0 (in C_1), target = a state of the last cluster. eps_max = 1/max_x q(x).
    """
    from hypothesis import strategies as st

    from metacot.numerics.chain import row_rescaled_chain

    if not (2 <= min_clusters <= max_clusters and max_size >= 1 and max_weight >= 1 and max_extra_edges >= 0):
        raise ConjectureError("random_chains: need 2 <= min_clusters <= max_clusters, max_size >= 1, "
                              "max_weight >= 1, max_extra_edges >= 0")

    @st.composite
    def build(draw):
        K = draw(st.integers(min_clusters, max_clusters))
        sizes = [draw(st.integers(1, max_size)) for _ in range(K)]
        offs = [0]
        for m in sizes:
            offs.append(offs[-1] + m)
        blocks = []
        for m in sizes:
            block = []
            for i in range(m):
                w = [draw(st.integers(0, max_weight)) for _ in range(m)]
                w[i] += 1
                if m > 1:
                    w[(i + 1) % m] += 1
                tot = sum(w)
                block.append([Fraction(x, tot) for x in w])
            blocks.append(block)
        edges = {}
        for k in range(K):
            x = offs[k] + draw(st.integers(0, sizes[k] - 1))
            l = (k + 1) % K
            y = offs[l] + draw(st.integers(0, sizes[l] - 1))
            edges[(x, y)] = Fraction(draw(st.integers(1, max_weight)))
        for _ in range(draw(st.integers(0, max_extra_edges))):
            k = draw(st.integers(0, K - 1))
            l = (k + 1 + draw(st.integers(0, K - 2))) % K
            x = offs[k] + draw(st.integers(0, sizes[k] - 1))
            y = offs[l] + draw(st.integers(0, sizes[l] - 1))
            edges[(x, y)] = edges.get((x, y), Fraction(0)) + draw(st.integers(1, max_weight))
        target = offs[K - 1] + draw(st.integers(0, sizes[K - 1] - 1))
        return row_rescaled_chain(blocks, edges, start=0, target=target,
                                  name=f"random chain (sizes {sizes}, {len(edges)} sparse edges)")

    return build()


def chains_with_eps(chains=None, eps=None):
    """Hypothesis strategy of {"chain": Chain, "eps": ε} with ε clamped to the chain's valid range
    (ε ≤ chain.eps_max), so the drawn point is the one measured and reported. Defaults:
    random_chains() and eps_decades(0, 30)."""
    from hypothesis import strategies as st

    chains = random_chains() if chains is None else chains
    eps = eps_decades(0, 30) if eps is None else eps
    return st.tuples(chains, eps).map(lambda ce: {"chain": ce[0], "eps": min(ce[1], ce[0].eps_max)})


# ------------------------------------------------------------------------- parameter handling
_FAMILY = re.compile(r"^\s*(ring|uniform[-_]escape|random)\s*\((.*)\)\s*$", re.S)


def _literal(node, spec):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        a, b = _literal(node.left, spec), _literal(node.right, spec)
        if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)) and b != 0:
            return Fraction(a) / Fraction(b)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ConjectureError(f"cannot parse the chain spec {spec!r}: arguments must be numbers, a/b or lists") from None


def chain_from_spec(spec: str) -> Chain:
    """'ring(4, 2, 1)', 'ring(K=4, M=2, q=1/2)', 'uniform-escape(3, 2, 1)', 'random(seed=3, sizes=[1, 2])'
    -> the exact Chain of metacot.numerics.families."""
    from metacot.numerics import families

    m = _FAMILY.match(spec)
    if not m:
        raise ConjectureError(f"unknown chain spec {spec!r} (use ring(K, M, q), uniform-escape(K, M, q) "
                              f"or random(seed=..., sizes=[...]))")
    kind, body = m.group(1).replace("_", "-"), m.group(2)
    try:
        call = ast.parse(f"f({body})", mode="eval").body
    except SyntaxError:
        raise ConjectureError(f"cannot parse the chain spec {spec!r}") from None
    args = [_literal(a, spec) for a in call.args]
    kwargs = {k.arg: _literal(k.value, spec) for k in call.keywords}
    fn = {"ring": families.ring, "uniform-escape": families.uniform_escape, "random": families.random_chain}[kind]
    try:
        return fn(*args, **kwargs)
    except TypeError as exc:
        raise ConjectureError(f"bad arguments in chain spec {spec!r}: {exc}") from None


def chain_from_params(params: dict) -> Chain | None:
    """The chain an instance is about, when it can be rebuilt from its parameters, else None.

    Recognised (the convention of numerics/claims/*.py): a Chain value; 'chain' as a spec string or
    chain JSON dict; 'family' in {ring, uniform-escape} with K, M (q defaults to 1); 'family' = random
    with seed, sizes, extra (default 2) and ds (doubly stochastic, default False): metacot.numerics.families.family_chain."""
    from metacot.numerics.io import chain_from_json

    for v in params.values():
        if isinstance(v, Chain):
            return v
    c = params.get("chain")
    if isinstance(c, str):
        return chain_from_spec(c)
    if isinstance(c, dict):
        return chain_from_json(c)
    if isinstance(params.get("family"), str):
        from metacot.numerics.families import family_chain

        try:
            return family_chain(params)
        except (KeyError, MetacotError):
            return None
    return None


def _prepare(params: dict) -> dict:
    """Strings that are numbers -> Fraction; 'chain' spec strings / JSON dicts -> Chain."""
    from metacot.numerics.io import chain_from_json

    out = {}
    for k, v in params.items():
        if k == "chain" and isinstance(v, str):
            v = chain_from_spec(v)
        elif k == "chain" and isinstance(v, dict):
            v = chain_from_json(v)
        elif isinstance(v, str):
            try:
                v = parse_number(v, what=k)
            except MetacotError:
                pass
        out[k] = v
    return out


def params_to_json(params: dict) -> dict:
    """JSON-able view of instance parameters (chains by name and size, exact numbers as strings)."""
    out = {}
    for k, v in params.items():
        if isinstance(v, Chain):
            out[k] = v.name or f"chain(n={v.n})"
        else:
            out[k] = to_json_value(v)
    return out


def _symbol_aliases() -> dict[str, str]:
    """Python names of metacot.theory.symbols -> sympy names (eps -> epsilon, eps_max -> epsilon_max, T0 -> T_0)."""
    try:
        from metacot.theory import symbols as S
    except ImportError:  # theory/ not on the path: only exact names match
        return {}
    return {a: getattr(S, a).name for a in getattr(S, "__all__", []) if isinstance(getattr(S, a), sympy.Symbol)}


def _to_sympy(v, what):
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, bool):
        raise ConjectureError(f"value of {what} is a boolean, expected a number")
    if isinstance(v, int):
        return sympy.Integer(v)
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    try:
        import mpmath

        if isinstance(v, mpmath.mpf):
            return sympy.Float(v, mpmath.mp.dps)
    except ImportError:  # pragma: no cover
        pass
    try:
        import numpy as np

        if isinstance(v, np.integer):
            return sympy.Integer(int(v))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, float) or hasattr(v, "__float__"):
        f = float(v)
        if math.isnan(f):
            raise ConjectureError(f"value of {what} is NaN")
        if math.isinf(f):
            return sympy.oo if f > 0 else -sympy.oo
        return sympy.Float(f, 17)
    raise ConjectureError(f"value of {what} is a {type(v).__name__}, expected a number")


def _from_sympy(x):
    """sympy number -> Fraction (rational), float (other finite), ±inf."""
    if x is sympy.oo:
        return math.inf
    if x is -sympy.oo:
        return -math.inf
    if isinstance(x, sympy.Rational):
        return Fraction(int(x.p), int(x.q))
    if x.is_number:
        v = complex(x.evalf(30))
        if v.imag != 0:
            raise ConjectureError(f"statement side evaluated to a complex number {x}")
        return float(v.real)
    raise ConjectureError(f"statement side did not evaluate to a number: {x}")


# ----------------------------------------------------------------------------------- the claim
@dataclass
class Conjecture(Claim):
    """A user's conjecture: a metacot.numerics.verify.registry.Claim with a sympy relation, a measure function and a domain.

    Created by `conjecture` / `define_conjecture` (which validate the fields); `evaluate(params)` gives
    one InstanceResult, `search_counterexample` hunts over `search` with hypothesis."""

    measure: Callable | None = None
    grid_instances: list = field(default_factory=list)
    quick_instances: list | None = None
    search: Any = None
    numeric_tolerance: Any = 0
    verify_examples: tuple = DEFAULT_VERIFY_EXAMPLES

    @property
    def relation(self) -> str:
        return _RELATIONS[type(self.statement)]

    # registry interface -------------------------------------------------------------------
    def list_instances(self, quick: bool) -> list[dict]:
        if self.grid_instances:
            if quick and self.quick_instances is not None:
                return [dict(p) for p in self.quick_instances]
            return [dict(p) for p in self.grid_instances]
        n = self.verify_examples[0 if quick else 1]
        return [{"search": "hypothesis", "examples": n}]

    def run_check(self, params: dict, seed: int) -> InstanceResult:
        if set(params) == {"search", "examples"} and params.get("search") == "hypothesis" and self.search is not None:
            out = search_counterexample(self, max_examples=int(params["examples"]), seed=seed)
            if out.counterexample is None:
                return InstanceResult(params, None, None, None, self.numeric_tolerance, "holds",
                                      f"no counterexample in {out.tried} random examples (seed {seed})")
            r = out.counterexample.result
            return InstanceResult(params, r.predicted, r.measured, r.error, r.tolerance, "fails",
                                  f"counterexample after {out.tried} examples: "
                                  f"{json.dumps(params_to_json(out.counterexample.params))}")
        return self.evaluate(params)

    # evaluation ---------------------------------------------------------------------------
    def evaluate(self, params: dict) -> InstanceResult:
        """Call measure on one parameter point and decide the relation (see the module docstring)."""
        shown = params_to_json(params)
        values = _prepare(params)
        try:
            measured = self.measure(**values)
        except TypeError as exc:
            if "argument" in str(exc):
                raise ConjectureError(f"conjecture {self.id!r}: measure() cannot take the parameters "
                                      f"{sorted(values)}: {exc}") from None
            raise
        if not isinstance(measured, dict):
            raise ConjectureError(f"conjecture {self.id!r}: measure() must return a dict {{symbol: value}}, "
                                  f"got {type(measured).__name__}")
        subs = {}
        free = self.statement.free_symbols
        by_name = {s.name: s for s in free}
        aliases = _symbol_aliases()
        for k, v in values.items():
            name = k if k in by_name else aliases.get(k)
            if name in by_name and not isinstance(v, Chain):
                subs[by_name[name]] = _to_sympy(v, k)
        for k, v in measured.items():
            if isinstance(k, str):
                key = by_name.get(k) or by_name.get(aliases.get(k, ""), None)
                if key is None:
                    key = sympy.Symbol(k)
            elif isinstance(k, sympy.Basic):
                key = k
            else:
                raise ConjectureError(f"conjecture {self.id!r}: measure() keys must be symbols or names, got {k!r}")
            subs[key] = _to_sympy(v, str(k))
        sides = []
        for side in (self.statement.lhs, self.statement.rhs):
            e = side.xreplace(subs)
            missing = sorted(s.name for s in e.free_symbols)
            if missing:
                raise ConjectureError(f"conjecture {self.id!r}: statement symbol(s) {', '.join(missing)} have no "
                                      f"value; return them from measure() or add them to the domain")
            e = sympy.simplify(e) if not e.is_number else e
            sides.append(_from_sympy(e))
        lhs, rhs = sides
        return _decide(shown, self.relation, lhs, rhs, self.numeric_tolerance)


def _decide(params, rel, lhs, rhs, tol) -> InstanceResult:
    """measured = lhs, predicted = rhs; exact when both are Fractions, else with relative slack tol."""
    exact = isinstance(lhs, Fraction) and isinstance(rhs, Fraction)
    tolf = Fraction(tol) if exact and isinstance(tol, (int, Fraction)) else float(tol)
    if not exact:
        lhs_f, rhs_f = float(lhs), float(rhs)
        if math.isnan(lhs_f) or math.isnan(rhs_f):
            return InstanceResult(params, rhs, lhs, None, tol, "inconclusive", "a side is NaN")
        lhs, rhs = lhs_f, rhs_f
    slack = tolf * abs(rhs) if rhs not in (math.inf, -math.inf) else 0
    if rel == "==":
        if exact and tolf == 0:
            err = abs(lhs - rhs)
            return InstanceResult(params, rhs, lhs, err, Fraction(0), "holds" if err == 0 else "fails")
        if math.isinf(float(lhs)) or math.isinf(float(rhs)):
            ok = lhs == rhs
            return InstanceResult(params, rhs, lhs, 0.0 if ok else math.inf, tol, "holds" if ok else "fails")
        err = abs(lhs - rhs)
        return InstanceResult(params, rhs, lhs, err, tol, "holds" if err <= slack else "fails",
                              "" if tolf == 0 else "error is absolute; tolerance relative to |predicted|")
    viol = {"<=": lhs - rhs, "<": lhs - rhs, ">=": rhs - lhs, ">": rhs - lhs}[rel]
    strict = rel in ("<", ">")
    if strict:
        ok = viol < 0 or (tolf != 0 and viol <= slack and not exact)
    else:
        ok = viol <= slack
    err = viol if viol > 0 else (Fraction(0) if exact else 0.0)
    note = "" if ok else f"violated by {format_number(viol)}" + (" (equality, relation is strict)" if viol == 0 else "")
    return InstanceResult(params, rhs, lhs, err, tol, "holds" if ok else "fails", note)


def define_conjecture(id=None, statement=None, measure=None, *, grid=None, quick=None, search=None,
                      tolerance=0, tolerance_note=None, paper="user conjecture", description=None,
                      verify_examples=DEFAULT_VERIFY_EXAMPLES, register_claim=True) -> Conjecture:
    """Validate and (by default) register a conjecture; returns the Conjecture (a registry Claim).

    id: unique claim id; statement: sympy relation `measured REL predicted`; measure(**params) -> dict;
    grid: list of JSON-able param dicts (see `grid()`), quick: the subset for `verify --quick`;
    search: {name: hypothesis strategy} (or one strategy of dicts) for `metacot refute`;
    tolerance: 0 = exact, else relative, and then tolerance_note must say why it is that large.
    At least one of grid / search is required."""
    where = f"conjecture {id!r}" if isinstance(id, str) else "conjecture"
    for name, val in (("id", id), ("statement", statement), ("measure", measure)):
        if val is None:
            raise ConjectureError(f"{where}: missing required field {name!r}")
    if not isinstance(id, str) or not _ID.match(id):
        raise ConjectureError(f"conjecture id must be a non-empty string of letters, digits and ._:-, got {id!r}")
    if isinstance(statement, sympy.logic.boolalg.BooleanAtom):
        raise ConjectureError(f"{where}: statement evaluated to {statement} before any measurement; "
                              f"use symbols for the measured quantities")
    if not isinstance(statement, sympy.core.relational.Relational):
        raise ConjectureError(f"{where}: statement must be a sympy relation (sympy.Eq, Le, Lt, Ge, Gt), "
                              f"got {type(statement).__name__}: {str(statement)[:60]}")
    if type(statement) not in _RELATIONS:
        raise ConjectureError(f"{where}: relation {type(statement).__name__} is not supported "
                              f"(use sympy.Eq, Le, Lt, Ge or Gt)")
    if not callable(measure):
        raise ConjectureError(f"{where}: measure must be a function returning {{symbol: value}}")
    if grid is None and search is None:
        raise ConjectureError(f"{where}: missing domain: give grid=[{{...}}, ...] and/or search={{name: strategy}}")
    grid_list = _check_grid(grid, where, "grid") if grid is not None else []
    quick_list = _check_grid(quick, where, "quick") if quick is not None else None
    if search is not None:
        search = _check_search(search, where)
    try:
        tol = parse_number(tolerance, what="tolerance")
    except MetacotError:
        raise ConjectureError(f"{where}: tolerance must be a number, got {tolerance!r}") from None
    if tol < 0:
        raise ConjectureError(f"{where}: tolerance must be >= 0, got {tolerance!r}")
    if tol != 0 and not tolerance_note:
        raise ConjectureError(f"{where}: a nonzero tolerance needs tolerance_note= saying why it is that large")
    if not (isinstance(verify_examples, tuple) and len(verify_examples) == 2
            and all(isinstance(x, int) and x >= 1 for x in verify_examples)):
        raise ConjectureError(f"{where}: verify_examples must be a pair of positive ints (quick, full)")
    note = tolerance_note or ("exact rational comparison" if tol == 0 else "")
    desc = description if description is not None else (measure.__doc__ or "").strip()
    c = Conjecture(id=id, paper=str(paper), statement=statement, instances=None, check=None, tolerance=note,
                   description=desc, module=getattr(measure, "__module__", "") or "", tags=("user",),
                   measure=measure, grid_instances=grid_list, quick_instances=quick_list, search=search,
                   numeric_tolerance=tol, verify_examples=verify_examples)
    c.instances = c.list_instances
    c.check = c.run_check
    if register_claim:
        if id in REGISTRY and REGISTRY[id] is not c:
            raise ConjectureError(f"claim id {id!r} is already registered (ids must be unique)")
        register(c)
    return c


def conjecture(id=None, statement=None, **kwargs):
    """Decorator form of define_conjecture: put it on the measure function; returns the Conjecture.

    @conjecture(id="mine.x", statement=sympy.Eq(a0, K - M - 1), grid=grid(K=[2, 3], M=[2]))
    def ring_eps0(K, M): ...
    """
    if callable(id) and statement is None:
        raise ConjectureError("conjecture needs arguments: use @conjecture(id=..., statement=..., grid=...)")
    if "measure" in kwargs:
        raise ConjectureError("conjecture(...) is a decorator; use define_conjecture(..., measure=f) instead")

    def wrap(fn):
        return define_conjecture(id, statement, fn, **kwargs)

    return wrap


def _check_grid(g, where, what):
    if isinstance(g, dict):
        raise ConjectureError(f"{where}: {what} must be a list of parameter dicts (use grid(K=[...], ...))")
    try:
        items = list(g)
    except TypeError:
        raise ConjectureError(f"{where}: {what} must be a list of parameter dicts") from None
    if not items:
        raise ConjectureError(f"{where}: {what} is empty")
    for p in items:
        if not isinstance(p, dict) or not all(isinstance(k, str) for k in p):
            raise ConjectureError(f"{where}: every {what} entry must be a dict with string keys, got {p!r}")
        try:
            json.dumps(p)
        except (TypeError, ValueError):
            raise ConjectureError(f"{where}: {what} entry {p!r} is not JSON-able (write exact values as "
                                  f"strings like '1/1000', chains as 'ring(3, 2, 1)')") from None
    return items


def _check_search(s, where):
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy

    if isinstance(s, SearchStrategy):
        return s
    if isinstance(s, dict) and s and all(isinstance(k, str) and isinstance(v, SearchStrategy) for k, v in s.items()):
        return st.fixed_dictionaries(s)
    raise ConjectureError(f"{where}: search must be a dict {{name: hypothesis strategy}} or a strategy of dicts")


# ----------------------------------------------------------------------- counterexample search
@dataclass
class Counterexample:
    params: dict                 # the parameter point (may hold a Chain)
    result: InstanceResult       # its evaluation (verdict 'fails')
    chain: Chain | None = None   # the chain it is about, when known


@dataclass
class SearchOutcome:
    claim_id: str
    method: str                  # 'hypothesis' or 'grid'
    tried: int                   # examples evaluated before the first counterexample (or in total)
    invalid: int = 0             # examples skipped because measure rejected them (MetacotError)
    shrink_steps: int = 0
    counterexample: Counterexample | None = None
    seed: int = 0
    note: str = ""


class _Found(Exception):
    def __init__(self, params, result):
        super().__init__("counterexample")
        self.params, self.result = params, result


class _Crashed(Exception):
    def __init__(self, params, exc):
        super().__init__(f"{exc.__class__.__name__}: {exc}")
        self.params, self.exc = params, exc


def search_counterexample(claim: Claim, *, max_examples: int = 200, seed: int = 0) -> SearchOutcome:
    """Look for a point of the claim's domain where it fails.

    Conjectures with a `search` space: hypothesis, seeded (`hypothesis.seed(seed)`, no example database:
    same seed ⇒ same run), up to max_examples valid examples, then shrinking to a minimal failing point.
    Other claims: their full instance grid (at most max_examples instances), checked in order; the
    smallest failing instance (fewest states, then smallest integer parameters) is returned.
    Points where measure raises a MetacotError (e.g. target not reached) are skipped and counted."""
    if not isinstance(max_examples, int) or max_examples < 1:
        raise MetacotError(f"max_examples must be a positive integer, got {max_examples!r}")
    if isinstance(claim, Conjecture) and claim.search is not None:
        return _hypothesis_search(claim, max_examples, seed)
    return _grid_search(claim, max_examples, seed)


def _hypothesis_search(claim: Conjecture, max_examples: int, seed: int) -> SearchOutcome:
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import seed as hseed
    from hypothesis.errors import FailedHealthCheck, Flaky, Unsatisfiable

    state = {"tried": 0, "invalid": 0, "shrink": 0, "found": False}

    def probe(params):
        if state["found"]:
            state["shrink"] += 1
        else:
            state["tried"] += 1
        try:
            res = claim.evaluate(params)
        except ConjectureError:
            raise
        except MetacotError:
            if not state["found"]:
                state["invalid"] += 1
            reject()
        except Exception as exc:  # a bug in measure: shrink it too, then report it (exit 2)
            raise _Crashed(params, exc) from None
        if res.verdict == "inconclusive":
            if not state["found"]:
                state["invalid"] += 1
            reject()
        if res.verdict == "fails":
            state["found"] = True
            raise _Found(params, res)

    test = settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
                    phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False, print_blob=False,
                    verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))(
        hseed(seed)(given(claim.search)(probe)))
    out = SearchOutcome(claim.id, "hypothesis", 0, seed=seed)
    try:
        test()
    except _Found as f:
        out.counterexample = Counterexample(f.params, f.result, chain_from_params(f.params))
    except _Crashed as c:
        raise MetacotError(f"conjecture {claim.id!r}: measure raised {c.exc.__class__.__name__}: {c.exc} "
                           f"at {json.dumps(params_to_json(c.params))}") from None
    except (Unsatisfiable, FailedHealthCheck):
        out.note = "hypothesis could not generate valid examples (measure rejected almost all of them)"
    except Flaky:
        raise MetacotError(f"conjecture {claim.id!r}: the failure does not reproduce; measure() must be "
                           f"deterministic") from None
    out.tried, out.invalid, out.shrink_steps = state["tried"], state["invalid"], state["shrink"]
    return out


def _size_key(params: dict, chain: Chain | None):
    ints = sum(abs(v) for v in params.values() if isinstance(v, int) and not isinstance(v, bool))
    return (chain.n if chain is not None else 0, ints)


def _grid_search(claim: Claim, max_examples: int, seed: int) -> SearchOutcome:
    from metacot.numerics.verify.runner import instance_seed

    try:
        inst = list(claim.instances(False))
    except Exception as exc:
        raise MetacotError(f"claim {claim.id!r}: instances() raised {exc.__class__.__name__}: {exc}") from None
    if not inst:
        raise MetacotError(f"claim {claim.id!r} has no searchable domain (no search strategies, no instances)")
    out = SearchOutcome(claim.id, "grid", 0, seed=seed,
                        note=f"no hypothesis search space: checked the claim's instance grid "
                             f"({min(len(inst), max_examples)} of {len(inst)} instances)")
    best = None
    for i, p in enumerate(inst[:max_examples]):
        out.tried += 1
        try:
            res = claim.check(dict(p), instance_seed(seed, claim.id, i))
        except MetacotError:
            out.invalid += 1
            continue
        if not isinstance(res, InstanceResult):
            raise MetacotError(f"claim {claim.id!r}: check returned {type(res).__name__}, expected InstanceResult")
        if res.verdict == "inconclusive":
            out.invalid += 1
        if res.verdict != "fails":
            continue
        try:
            ch = chain_from_params(p)
        except MetacotError:
            ch = None
        key = _size_key(p, ch)
        if best is None or key < best[0]:
            best = (key, Counterexample(p, res, ch))
    if best is not None:
        out.counterexample = best[1]
    return out
