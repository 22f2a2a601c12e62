"""State claims and conjectures and check them (spec 07; book chapter "Extending").

One mechanism serves the built-in claims and a user's conjectures. A **claim** is a sympy statement
``measured REL predicted`` (``sympy.Eq``, ``Le``, ``Lt``, ``Ge``, ``Gt`` or an ``And`` of them) whose free
symbols are parameters (bound from an instance) and measured quantities (returned by a measure function);
it has one or more named **parts**, each a measure function with its own instances, tolerance and
justification (:class:`~metacot.numerics.verify.registry.Part`). The framework binds the values and decides
the relation; the prediction is the statement's right side, never typed twice.

Multi-part claim::

    import sympy as sp
    from metacot.numerics.verify.conjectures import claim, grid
    from metacot.numerics.families import ring
    from metacot.numerics.solvers.hitting import hitting_time
    from metacot.theory.symbols import E_tau, K, M, q, eps

    c = claim(id="mine.ring-exact", paper="Sec. 2", statement=sp.Eq(E_tau, (K - 1) * M / (q * eps) + K - M - 1))

    @c.part("exact", instances=grid(K=[2, 3], M=[2, 3], q=["1"], eps=["1/100", "1e-30"]))
    def exact(K, M, q, eps):
        chain = ring(K, M, q)
        return {E_tau: hitting_time(chain, chain.start, chain.target, eps, method="exact")}

A one-part conjecture with a search space for ``metacot refute``::

    @conjecture(id="mine.upper", statement=sp.Le(eps * E_tau, h_meta),
                search={"chain": random_chains(), "eps": eps_decades(1, 20)},
                grid=grid(chain=["ring(3, 2, 1)"], eps=["1/10", "1e-6"]))
    def upper(chain, eps): ...

Verdicts and rungs are described in :mod:`metacot.numerics.verify.evidence`; parameter conversion and
binding in :mod:`metacot.numerics.verify.check`.
"""
from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import parse_number
from metacot.numerics.verify.registry import REGISTRY, Claim, InstanceResult, Part, instance_id, register

__all__ = ["ConjectureError", "claim", "conjecture", "define_conjecture", "grid", "random_chains", "eps_decades",
           "chains_with_eps", "exact_rationals", "chain_from_spec", "chain_from_params", "Counterexample",
           "SearchOutcome", "search_counterexample", "DEFAULT_VERIFY_EXAMPLES"]

DEFAULT_VERIFY_EXAMPLES = (10, 40)  # (quick, full) search examples when a conjecture has no grid
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class ConjectureError(MetacotError):
    """A claim or conjecture is malformed (missing field, statement not a relation, duplicate id, ...)."""


# ----------------------------------------------------------------------------------- domains
def grid(**axes) -> list[dict]:
    """The instances of a claim part or conjecture: the Cartesian product of parameter axes.

    Axes in the given order, the last varying fastest. Values must be JSON-able (ints, strings such as
    ``"1/1000"`` or ``"ring(3, 2, 1)"``, floats): they are stored in reports and instance ids.

    Parameters
    ----------
    **axes : list
        One non-empty list of values per parameter name.

    Returns
    -------
    list of dict
        One ``{name: value}`` dict per combination.

    Raises
    ------
    ConjectureError
        No axis, an empty axis, or an axis that is not a list (a bare string or number).

    Examples
    --------
    >>> grid(K=[2, 3], M=[2])
    [{'K': 2, 'M': 2}, {'K': 3, 'M': 2}]
    >>> len(grid(K=[2, 3, 4], M=[2, 3], eps=["1/100", "1e-6"]))
    12
    """
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
    """Hypothesis strategy of ε = m·10^(−d) exactly (a Fraction), m in 1..9, d in lo..hi; shrinks to 10^(−lo).

    The ε axis of a ``search`` space for ``metacot refute`` (see :func:`define_conjecture`): decades of ε
    down to 10^(−hi), exact, so the exact solvers apply. Clamp to the chain's range yourself
    (``eps = min(eps, chain.eps_max)``), or use :func:`chains_with_eps`.

    Parameters
    ----------
    lo, hi : int
        Decades, 0 ≤ lo ≤ hi (defaults 1 and 30).

    Returns
    -------
    hypothesis SearchStrategy of Fraction

    Raises
    ------
    ConjectureError
        Bounds that are not integers with 0 ≤ lo ≤ hi.

    Examples
    --------
    The smallest ε < 1/1000 hypothesis finds (it shrinks the decade, then the mantissa):

    >>> from hypothesis import find, settings
    >>> find(eps_decades(2, 5), lambda e: e < Fraction(1, 1000), settings=settings(database=None))
    Fraction(1, 10000)
    """
    from hypothesis import strategies as st

    if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
        raise ConjectureError(f"eps_decades needs integers 0 <= lo <= hi, got {lo!r}, {hi!r}")
    return st.builds(lambda d, m: Fraction(m, 10**d), st.integers(lo, hi), st.integers(1, 9))


def exact_rationals(numerators=(1, 8), denominators=(1, 4)):
    """Hypothesis strategy of exact rationals Fraction(a, b), a and b in the given inclusive ranges.

    Shrinks towards numerators[0]/denominators[0]; a parameter axis of a ``search`` space (weights, the
    clip c, ε_max, …).

    Parameters
    ----------
    numerators, denominators : (int, int)
        Inclusive ranges (lo, hi) of a and b; denominators must exclude 0.

    Returns
    -------
    hypothesis SearchStrategy of Fraction

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> find(exact_rationals(), lambda x: x > 2, settings=settings(database=None))
    Fraction(3, 1)
    """
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

    Parameters
    ----------
    min_clusters, max_clusters : int
        Range of K, 2 ≤ min_clusters ≤ max_clusters.
    max_size : int
        Largest cluster size (≥ 1).
    max_weight : int
        Largest integer block weight w and sparse-edge weight q (≥ 1).
    max_extra_edges : int
        Largest number of sparse edges beyond the cycle (≥ 0).

    Returns
    -------
    hypothesis SearchStrategy of Chain

    Raises
    ------
    ConjectureError
        Bounds out of range.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True, database=None)
    ... @given(random_chains(max_clusters=3, max_size=2))
    ... def check(chain):
    ...     assert 2 <= chain.K <= 3 and chain.start == 0 and chain.cluster_of[chain.target] == chain.K - 1
    ...     assert all(len(c) <= 2 for c in chain.clusters)
    >>> check()
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
    """Hypothesis strategy of ``{"chain": Chain, "eps": ε}`` with ε clamped to the chain's valid range.

    ε = min(drawn ε, chain.eps_max), so the drawn point is the one measured and reported. A ready-made
    ``search`` space for conjectures about (chain, ε) (pass it as ``search=chains_with_eps()``).

    Parameters
    ----------
    chains : hypothesis SearchStrategy of Chain, optional
        Default :func:`random_chains` ().
    eps : hypothesis SearchStrategy of Fraction, optional
        Default :func:`eps_decades` (0, 30).

    Returns
    -------
    hypothesis SearchStrategy of dict

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True, database=None)
    ... @given(chains_with_eps(eps=eps_decades(0, 3)))
    ... def check(point):
    ...     assert 0 < point["eps"] <= point["chain"].eps_max and point["eps"] >= Fraction(1, 1000)
    >>> check()
    """
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


# ------------------------------------------------------------------------------- making claims
def _check_statement(statement, where):
    from metacot.numerics.verify.evidence import StatementError, relations_of

    if statement is None:
        raise ConjectureError(f"{where}: missing required field 'statement'")
    if isinstance(statement, sympy.logic.boolalg.BooleanAtom):
        raise ConjectureError(f"{where}: statement evaluated to {statement} before any measurement; "
                              f"use symbols for the measured quantities")
    try:
        relations_of(statement)
    except StatementError as exc:
        raise ConjectureError(f"{where}: {exc}") from None


def claim(id=None, statement=None, *, paper: str = "user conjecture", description: str = "",
          expect: str = "holds", reason: str = "", counterexample: str = "", corrected: str = "",
          search=None, register_claim: bool = True) -> Claim:
    """Create (and register) a claim; add its parts with the ``@c.part(...)`` decorator.

    Parameters
    ----------
    id : str
        Unique id of letters, digits and ``._:-``.
    statement : sympy relation or And of relations
        ``measured REL predicted``.
    paper : str
        The paper result it sharpens.
    expect : {"holds", "refuted"}
        A refuted claim also names ``reason`` and ``counterexample`` (an instance id of one of its parts)
        and, where one exists, the ``corrected`` claim's id.
    search : dict or hypothesis strategy, optional
        Parameter space of the first part for ``metacot refute``.

    Returns
    -------
    Claim

    Raises
    ------
    ConjectureError
        A malformed id or statement (not a relation of symbols), a bad search space, or an id that is
        already registered.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> c = claim(id="doc.square", statement=sp.Eq(x, 4), register_claim=False)
    >>> @c.part("exact", instances=[{}])
    ... def square():
    ...     return {x: 2 ** 2}
    >>> from metacot.numerics.verify.runner import run_claims
    >>> run_claims([c])[0].verdict
    'holds'
    """
    where = f"claim {id!r}" if isinstance(id, str) else "claim"
    if not isinstance(id, str) or not _ID.match(id):
        raise ConjectureError(f"claim id must be a non-empty string of letters, digits and ._:-, got {id!r}")
    _check_statement(statement, where)
    if search is not None:
        search = _check_search(search, where)
    c = Claim(id=id, paper=str(paper), statement=statement, description=description, expect=expect,
              reason=reason, counterexample=counterexample, corrected=corrected, search=search)
    if register_claim:
        if id in REGISTRY and REGISTRY[id] is not c:
            raise ConjectureError(f"claim id {id!r} is already registered (ids must be unique)")
        register(c)
    return c


def define_conjecture(id=None, statement=None, measure=None, *, grid=None, quick=None, search=None,
                      tolerance=0, tolerance_note=None, paper="user conjecture", description=None,
                      verify_examples=DEFAULT_VERIFY_EXAMPLES, rung=None, expect="holds", reason="",
                      counterexample="", register_claim=True) -> Claim:
    """A one-part claim ``statement`` checked by ``measure`` on ``grid`` (and searched over ``search``).

    Parameters
    ----------
    id, statement : as for :func:`claim`
    measure : callable
        ``measure(**params) -> {symbol or name: value}``.
    grid : list of dict, optional
        Instances run by ``metacot verify`` (see :func:`grid`); ``quick`` the subset for ``--quick``.
    search : dict of hypothesis strategies, optional
        The space ``metacot refute`` searches; without a grid, ``verify`` runs a seeded search of
        ``verify_examples`` = (quick, full) examples.
    tolerance : number
        0 = exact; else relative to |predicted|, and ``tolerance_note`` must say why it is that large.
    rung : str, optional
        The rung the measure is built to reach (default: exact when tolerance is 0, else numerical).

    Returns
    -------
    Claim
        Its single part is named ``main``.

    Raises
    ------
    ConjectureError
        A missing or malformed field (one line naming it).

    Examples
    --------
    The leading order alone, E[τ] = (K−1)·M/(q ε), misses the constant K − M − 1 of the exact ring
    formula, so it fails at K = 2, M = 2 (E[τ] = 19 against 20 at ε = 1/10) and holds at K = 3, M = 2:

    >>> import sympy as sp
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> from metacot.numerics.verify.runner import run_claims
    >>> from metacot.theory.symbols import E_tau, K, M, q, eps
    >>> def measure(K, M, q, eps):
    ...     c = ring(K, M, q)
    ...     return {E_tau: hitting_time(c, c.start, c.target, eps, method="exact")}
    >>> lead = define_conjecture(id="doc.leading-only", statement=sp.Eq(E_tau, (K - 1) * M / (q * eps)),
    ...                          measure=measure, grid=grid(K=[2, 3], M=[2], q=[1], eps=["1/10"]),
    ...                          register_claim=False)
    >>> [(r.params["K"], r.verdict, r.measured) for r in run_claims([lead])[0].results]
    [(2, 'fails', Fraction(19, 1)), (3, 'holds', Fraction(40, 1))]
    """
    where = f"conjecture {id!r}" if isinstance(id, str) else "conjecture"
    for name, val in (("id", id), ("statement", statement), ("measure", measure)):
        if val is None:
            raise ConjectureError(f"{where}: missing required field {name!r}")
    if not isinstance(id, str) or not _ID.match(id):
        raise ConjectureError(f"conjecture id must be a non-empty string of letters, digits and ._:-, got {id!r}")
    _check_statement(statement, where)
    if not callable(measure):
        raise ConjectureError(f"{where}: measure must be a function returning {{symbol: value}}")
    if grid is None and search is None:
        raise ConjectureError(f"{where}: missing domain: give grid=[{{...}}, ...] and/or search={{name: strategy}}")
    grid_list = _check_grid(grid, where, "grid") if grid is not None else None
    quick_list = _check_grid(quick, where, "quick") if quick is not None else None
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
    if grid_list is None:
        grid_list = [{"search": "hypothesis", "examples": verify_examples[1]}]
        quick_list = [{"search": "hypothesis", "examples": verify_examples[0]}]
    c = claim(id=id, statement=statement, paper=paper, search=search, expect=expect, reason=reason,
              counterexample=counterexample, register_claim=False,
              description=description if description is not None else (measure.__doc__ or "").strip())
    c.module = getattr(measure, "__module__", "") or ""
    c.tags = ("user",)
    c.add_part(Part(name="main", measure=measure, instances=grid_list, quick=quick_list,
                    rung=rung or ("exact" if tol == 0 else "numerical"), tolerance=tol,
                    justification=tolerance_note or "", description=c.description))
    if register_claim:
        if id in REGISTRY and REGISTRY[id] is not c:
            raise ConjectureError(f"claim id {id!r} is already registered (ids must be unique)")
        register(c)
    return c


def conjecture(id=None, statement=None, **kwargs):
    """Decorator form of :func:`define_conjecture`: put it on the measure function; returns the Claim.

    Parameters
    ----------
    id, statement
        As for :func:`claim`.
    **kwargs
        The keyword arguments of :func:`define_conjecture` (grid, quick, search, tolerance, …), all but
        ``measure``.

    Returns
    -------
    callable
        A decorator turning ``measure(**params) -> {symbol: value}`` into the registered Claim.

    Raises
    ------
    ConjectureError
        Used without arguments (``@conjecture``), given ``measure=``, or a malformed field.

    Examples
    --------
    >>> import sympy as sp
    >>> from metacot.theory.symbols import K, M
    >>> a_0 = sp.Symbol("a_0")
    >>> @conjecture(id="doc.ring-eps0", statement=sp.Eq(a_0, K - M - 1), grid=grid(K=[3], M=[2]),
    ...             register_claim=False)
    ... def ring_eps0(K, M):
    ...     from metacot.numerics.families import ring
    ...     from metacot.numerics.solvers.hitting import laurent_coefficients
    ...     c = ring(K, M, 1)
    ...     return {a_0: laurent_coefficients(c, c.start, c.target, order=0)[0]}
    >>> ring_eps0.parts[0].name
    'main'
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
    """A failing point: its parameters, its evaluation and the chain it is about (when known)."""

    params: dict
    result: InstanceResult
    chain: Chain | None = None
    part: str = ""


@dataclass
class SearchOutcome:
    """What :func:`search_counterexample` did and found."""

    claim_id: str
    method: str                  # 'hypothesis', 'grid' or 'recorded' (a refuted claim's stored counterexample)
    tried: int
    invalid: int = 0             # points skipped because measure rejected them (inconclusive)
    shrink_steps: int = 0
    counterexample: Counterexample | None = None
    seed: int = 0
    note: str = ""


class _Found(Exception):
    def __init__(self, params, result):
        super().__init__("counterexample")
        self.params, self.result = params, result


class _Crashed(Exception):
    def __init__(self, params, note):
        super().__init__(note)
        self.params, self.note = params, note


def search_counterexample(claim: Claim, *, max_examples: int = 200, seed: int = 0) -> SearchOutcome:
    """Look for a point of the claim's domain where it fails.

    A refuted claim first re-runs its recorded counterexample. Claims with a ``search`` space: hypothesis
    (seeded, no example database: same seed ⇒ same run), up to ``max_examples`` valid examples, then
    shrinking to a minimal failing point. Other claims: their instances (at most ``max_examples``) in
    order; the smallest failing one (fewest states, then smallest integer parameters) is returned.
    Points whose measurement is inconclusive are skipped and counted. What ``metacot refute`` runs.

    Parameters
    ----------
    claim : Claim
        E.g. from :func:`define_conjecture`; the search uses its first part.
    max_examples : int, default 200
        Valid examples to try (hypothesis) or instances to check (grid).
    seed : int, default 0
        Seed of the search (and base seed of the instances).

    Returns
    -------
    SearchOutcome
        ``method`` ('hypothesis', 'grid' or 'recorded'), ``tried``, ``invalid`` (inconclusive points),
        ``counterexample`` (a Counterexample with ``params``, ``result``, ``chain``) or None.

    Raises
    ------
    MetacotError
        max_examples < 1, a claim without a searchable domain, a measure that crashes or does not
        reproduce its failure.

    Examples
    --------
    >>> import sympy as sp
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> from metacot.theory.symbols import E_tau, K, M, q, eps
    >>> def measure(K, M, q, eps):
    ...     c = ring(K, M, q)
    ...     return {E_tau: hitting_time(c, c.start, c.target, eps, method="exact")}
    >>> lead = define_conjecture(id="doc.leading-order-only", statement=sp.Eq(E_tau, (K - 1) * M / (q * eps)),
    ...                          measure=measure, grid=grid(K=[3, 2], M=[2], q=[1], eps=["1/10"]),
    ...                          register_claim=False)
    >>> out = search_counterexample(lead)
    >>> out.method, out.tried, out.counterexample.params
    ('grid', 2, {'K': 2, 'M': 2, 'q': 1, 'eps': '1/10'})
    >>> out.counterexample.result.error                    # measured − predicted = K − M − 1
    Fraction(-1, 1)
    """
    if not isinstance(max_examples, int) or max_examples < 1:
        raise MetacotError(f"max_examples must be a positive integer, got {max_examples!r}")
    if claim.expect == "refuted" and claim.counterexample:
        out = _recorded(claim, seed)
        if out.counterexample is not None:
            return out
    if claim.search is not None:
        return _hypothesis_search(claim, max_examples, seed)
    return _grid_search(claim, max_examples, seed)


def _recorded(claim: Claim, seed: int) -> SearchOutcome:
    from metacot.numerics.verify.check import evaluate_instance
    from metacot.numerics.verify.runner import instance_seed

    out = SearchOutcome(claim.id, "recorded", 0, seed=seed, note=f"the recorded counterexample: {claim.reason}")
    for part, iid, params in claim.instances(False) + claim.instances(True):
        if iid == claim.counterexample:
            out.tried = 1
            res = evaluate_instance(claim, part, iid, params, instance_seed(seed, claim.id, iid))
            if res.verdict == "fails":
                out.counterexample = Counterexample(params, res, chain_from_params(params), part.name)
            else:
                out.note = f"the recorded counterexample {iid} no longer refutes the claim ({res.verdict})"
            break
    return out


def _hypothesis_search(claim: Claim, max_examples: int, seed: int) -> SearchOutcome:
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import seed as hseed
    from hypothesis.errors import FailedHealthCheck, Flaky, Unsatisfiable

    from metacot.numerics.verify.check import evaluate_instance

    part = claim.parts[0]
    state = {"tried": 0, "invalid": 0, "shrink": 0, "found": False}

    def probe(params):
        if state["found"]:
            state["shrink"] += 1
        else:
            state["tried"] += 1
        res = evaluate_instance(claim, part, instance_id(part.name, params), params, seed)
        if res.verdict == "inconclusive":
            if res.crashed:                      # a bug in measure: report it (exit 2), do not skip it
                raise _Crashed(params, res.note)
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
        out.counterexample = Counterexample(f.params, f.result, chain_from_params(f.params), part.name)
    except _Crashed as c:
        from metacot.numerics.verify.check import format_params

        raise MetacotError(f"conjecture {claim.id!r}: {c.note} at {format_params(c.params)}") from None
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
    from metacot.numerics.verify.check import evaluate_instance
    from metacot.numerics.verify.runner import instance_seed

    try:
        inst = claim.instances(False)
    except Exception as exc:  # noqa: BLE001
        raise MetacotError(f"claim {claim.id!r}: instances raised {exc.__class__.__name__}: {exc}") from None
    if not inst:
        raise MetacotError(f"claim {claim.id!r} has no searchable domain (no search strategies, no instances)")
    out = SearchOutcome(claim.id, "grid", 0, seed=seed,
                        note=f"no hypothesis search space: checked the claim's instances "
                             f"({min(len(inst), max_examples)} of {len(inst)})")
    best = None
    for part, iid, p in inst[:max_examples]:
        out.tried += 1
        res = evaluate_instance(claim, part, iid, p, instance_seed(seed, claim.id, iid))
        if res.crashed:                          # a bug in measure, as on the hypothesis path: report it
            raise MetacotError(f"claim {claim.id!r}: {res.note} at instance {iid}")
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
            best = (key, Counterexample(p, res, ch, part.name))
    if best is not None:
        out.counterexample = best[1]
    return out


def smallest_outcome(outcomes: list[SearchOutcome]) -> SearchOutcome:
    """Combine independent searches of one claim: the smallest counterexample found (fewest states, then
    smallest integer parameters, then lowest seed); examples tried and skipped are summed."""
    found = [o for o in outcomes if o.counterexample is not None]
    best = min(found, key=lambda o: (_size_key(o.counterexample.params, o.counterexample.chain), o.seed)) \
        if found else min(outcomes, key=lambda o: o.seed)
    seeds = ", ".join(str(o.seed) for o in outcomes)
    return SearchOutcome(best.claim_id, best.method, sum(o.tried for o in outcomes),
                         sum(o.invalid for o in outcomes), best.shrink_steps, best.counterexample, best.seed,
                         (best.note + "; " if best.note else "") + f"{len(outcomes)} independent searches (seeds {seeds})")
