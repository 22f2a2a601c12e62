"""Claims and their parts (spec 00 "How a claim is stated", spec 07).

A :class:`Claim` is a sympy statement with named :class:`Part` s. A part is one way of checking the
statement: a *measure* function that, for one instance (a dict of parameters), returns the values of the
statement's measured quantities; the framework binds them together with the parameters and decides the
relation (:mod:`metacot.numerics.verify.evidence`). The prediction is never typed a second time: what a
report calls *predicted* is the statement's right side evaluated on the instance. Each part has its own
instances, tolerance and the justification of that tolerance; each instance has a stable id
``part/k=v,…`` and a seed derived from (base seed, claim id, instance id).

A claim is registered with the expectation ``"holds"`` (default) or ``"refuted"`` (a sharpening shown to
be false, stored with its counterexample instance and the reason); ``metacot verify`` succeeds when
every claim meets its expectation.

Built-in claims (``metacot.numerics.verify.claims``) and user conjectures are made the same way, with
:func:`metacot.numerics.verify.conjectures.claim` and :func:`~metacot.numerics.verify.conjectures.conjecture`.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from metacot.numerics.errors import MetacotError

VERDICTS = ("holds", "fails", "inconclusive")
EXPECTATIONS = ("holds", "refuted")
Z_CONFIDENCE = {"99%": 2.5758293035489, "99.9%": 3.2905267314919, "99.99%": 3.8905918864131}


@dataclass
class InstanceResult:
    """The outcome of one instance of one part.

    ``predicted`` is the statement's right side on the instance, ``measured`` its left side; ``error`` =
    measured − predicted; ``slack`` = margin by which the relation holds (negative: violated); ``rung``
    the strength of the evidence (proved, exact, certified, numerical, statistical).
    """

    params: dict
    predicted: Any
    measured: Any
    error: Any
    tolerance: Any
    verdict: str
    note: str = ""
    id: str = ""
    part: str = ""
    rung: str | None = None
    relation: str = ""
    slack: Any = None
    crashed: bool = False        # the measure function raised an unexpected exception (a bug, not bad input)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Part:
    """One way of checking a claim's statement.

    Parameters
    ----------
    name : str
        Short name, unique within the claim (part of every instance id).
    measure : callable
        ``measure(**params) -> {symbol or name: value}`` (or a list of such dicts: every binding must
        satisfy the relation). It may take ``rng_seed`` (an int derived from the base seed, the claim id and
        the instance id: use it for every random draw). Values decide
        the rung: sympy expressions in the claim's symbols (proved), exact rationals (exact),
        :class:`~metacot.numerics.numbers.Interval` (certified), floats / mpf /
        :class:`~metacot.numerics.numbers.Approximation` (numerical),
        :class:`~metacot.numerics.numbers.Estimate` (statistical).
    instances : list of dict
        The full instance set (JSON-able parameter dicts).
    quick : list of dict, optional
        The subset run by ``verify --quick`` (default: all instances).
    rung : str
        The rung this part is built to reach (shown by ``metacot claims``; each instance reports the
        rung its values actually support).
    tolerance : number
        Allowed deviation (absolute, or relative to |predicted| when ``relative``); 0 for exact parts.
    justification : str
        Where the tolerance comes from and why it is that large (required when tolerance ≠ 0 or the part
        is statistical).
    statement : sympy relation, optional
        The relation this part checks when it differs from the claim's (e.g. one conjunct).
    confidence : str
        Two-sided normal confidence of statistical parts ("99%", "99.9%", "99.99%").
    sample_points : list of dict, optional
        For proved parts: domain points at which an undecided symbolic difference is evaluated.
    mutation : callable, optional
        statement -> perturbed statement used by the mutation audit instead of the default relative
        perturbation 1e-6 (statistical parts name the alternative their power is computed against).
    """

    name: str
    measure: Callable
    instances: list
    quick: list | None = None
    rung: str = "exact"
    tolerance: Any = 0
    relative: bool = True
    justification: str = ""
    statement: Any = None
    confidence: str = "99.9%"
    sample_points: list | None = None
    mutation: Callable | None = None
    description: str = ""

    def instance_list(self, quick: bool) -> list[dict]:
        src = self.quick if (quick and self.quick is not None) else self.instances
        return [dict(p) for p in (src() if callable(src) else src)]

    @property
    def z(self) -> float:
        return Z_CONFIDENCE[self.confidence]

    def takes_seed(self) -> bool:
        try:
            return "rng_seed" in inspect.signature(self.measure).parameters
        except (TypeError, ValueError):  # pragma: no cover
            return False


@dataclass
class Claim:
    """A sympy statement, the paper result it sharpens, and the parts that check it.

    Parameters
    ----------
    id : str
        Unique id, e.g. ``"hitting.leading-order"``.
    paper : str
        The paper's section / theorem this claim sharpens.
    statement : sympy relation or And
        ``measured REL predicted``; parts may check individual conjuncts.
    parts : list of Part
    expect : {"holds", "refuted"}
    reason : str
        For refuted claims: why the statement is false (shown with the counterexample).
    counterexample : str
        For refuted claims: the id of the instance that refutes it.
    corrected : str
        For refuted claims: the id of the claim that states the corrected form.
    """

    id: str
    paper: str
    statement: Any
    parts: list = field(default_factory=list)
    description: str = ""
    expect: str = "holds"
    reason: str = ""
    counterexample: str = ""
    corrected: str = ""
    module: str = ""
    tags: tuple = field(default_factory=tuple)
    search: Any = None            # hypothesis strategy of parameter dicts (for `metacot refute`)

    def __post_init__(self):
        if self.expect not in EXPECTATIONS:
            raise MetacotError(f"claim {self.id!r}: expect must be one of {EXPECTATIONS}, got {self.expect!r}")

    # -- building --------------------------------------------------------------------------
    def part(self, name: str, *, instances, quick=None, rung: str = "exact", tolerance=0, relative=True,
             justification: str = "", statement=None, confidence: str = "99.9%", sample_points=None,
             mutation=None):
        """Decorator: add a part whose measure function is the decorated function (see :class:`Part`)."""
        def wrap(fn):
            self.add_part(Part(name=name, measure=fn, instances=instances, quick=quick, rung=rung,
                               tolerance=tolerance, relative=relative, justification=justification,
                               statement=statement, confidence=confidence, sample_points=sample_points,
                               mutation=mutation, description=(fn.__doc__ or "").strip()))
            return fn
        return wrap

    def add_part(self, part: Part) -> Part:
        from metacot.numerics.verify.evidence import RUNGS

        if any(p.name == part.name for p in self.parts):
            raise MetacotError(f"claim {self.id!r}: part {part.name!r} is defined twice")
        if part.rung not in RUNGS:
            raise MetacotError(f"claim {self.id!r}, part {part.name!r}: rung must be one of {RUNGS}")
        if (part.tolerance not in (0, None) or part.rung == "statistical") and not part.justification.strip():
            raise MetacotError(f"claim {self.id!r}, part {part.name!r}: a nonzero tolerance or a statistical "
                               f"part needs a justification")
        if part.confidence not in Z_CONFIDENCE:
            raise MetacotError(f"claim {self.id!r}, part {part.name!r}: confidence must be one of "
                               f"{sorted(Z_CONFIDENCE)}")
        self.parts.append(part)
        return part

    # -- reading ---------------------------------------------------------------------------
    def part_statement(self, part: Part):
        return part.statement if part.statement is not None else self.statement

    @property
    def rung(self) -> str | None:
        """The strongest rung any part is built to reach."""
        from metacot.numerics.verify.evidence import strongest

        return strongest(p.rung for p in self.parts)

    def statement_text(self) -> str:
        return _sstr(self.statement)

    def statement_latex(self) -> str:
        import sympy

        return sympy.latex(self.statement) if isinstance(self.statement, sympy.Basic) else str(self.statement)

    def instances(self, quick: bool) -> list[tuple[Part, str, dict]]:
        """Every (part, instance id, params) of the claim, in order; ids are unique within the claim."""
        out, seen = [], {}
        for p in self.parts:
            for params in p.instance_list(quick):
                iid = instance_id(p.name, params)
                if iid in seen:
                    seen[iid] += 1
                    iid = f"{iid}#{seen[iid]}"
                else:
                    seen[iid] = 1
                out.append((p, iid, params))
        return out

    def with_statement(self, transform: Callable) -> "Claim":
        """A copy whose statement and part statements are ``transform(statement)`` (mutation audit)."""
        parts = [replace(p, statement=transform(p.statement)) if p.statement is not None else p
                 for p in self.parts]
        return replace(self, statement=transform(self.statement), parts=parts)


_GREEK = {"varepsilon": "ε", "epsilon": "ε", "lambda": "λ", "pi": "π", "tau": "τ", "sigma": "σ", "mu": "μ",
          "eta": "η", "beta": "β", "gamma": "γ", "nu": "ν", "rho": "ρ", "theta": "θ", "ell": "ℓ", "Sigma": "Σ",
          "Delta": "Δ", "chi": "χ", "kappa": "κ", "alpha": "α", "delta": "δ", "omega": "ω"}
_ACCENT = {"hat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303"}


def plain_name(name: str) -> str:
    r"""A symbol's LaTeX name as terminal text: ``\hat{h}^{\mathrm{jump}}_{\varepsilon}`` → ``ĥ^jump_ε``.

    Examples
    --------
    >>> plain_name(r"\mathbb{E}[\tau]"), plain_name(r"\hat{p}_{kl}"), plain_name("a_{-1}")
    ('E[τ]', 'p̂_kl', 'a_-1')
    """
    s = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m.group(1), "\\" + m.group(1)), name)
    for _ in range(4):                                     # nested groups, innermost first
        s = re.sub(r"\\(?:mathrm|mathbb|mathcal|mathbf|text|operatorname)\{([^{}]*)\}", r"\1", s)
        s = re.sub(r"\\(hat|bar|overline|tilde)\{([^{}]*)\}",
                   lambda m: m.group(2) + _ACCENT[m.group(1)] if len(m.group(2)) == 1
                   else f"({m.group(2)})" + _ACCENT[m.group(1)], s)
    s = re.sub(r"\\([A-Za-z]+)", r"\1", s)
    s = re.sub(r"([_^])\{([^{}]*)\}", lambda m: m.group(1) + (m.group(2) if re.fullmatch(r"[\w.,+\-−*()]+", m.group(2))
                                                         else "(" + m.group(2) + ")"), s)
    return s.replace("{", "").replace("}", "")


def _sstr(st) -> str:
    """A statement as one line of terminal text (symbol names without LaTeX markup)."""
    import sympy
    from sympy.printing.str import StrPrinter

    if not isinstance(st, sympy.Basic):
        return str(st)

    class _Plain(StrPrinter):
        def _print_Symbol(self, expr):
            return plain_name(expr.name)

    return _Plain().doprint(st)


def _compact(v) -> str:
    from fractions import Fraction

    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, Fraction):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ";".join(_compact(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ";".join(f"{k}:{_compact(x)}" for k, x in v.items()) + "}"
    if hasattr(v, "name") and hasattr(v, "n") and not isinstance(v, (int, float, str)):
        return str(v.name or f"chain(n={v.n})").replace(" ", "")
    return re.sub(r"\s+", "", str(v))


def instance_id(part: str, params: dict) -> str:
    """The stable id of an instance: ``part/k1=v1,k2=v2`` (values compact, no spaces).

    Examples
    --------
    >>> instance_id("total-all-edges", {"K": 4, "M": 2, "N": 16})
    'total-all-edges/K=4,M=2,N=16'
    """
    body = ",".join(f"{k}={_compact(v)}" for k, v in params.items())
    return f"{part}/{body}" if body else part


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim, *, replace: bool = False) -> Claim:
    """Add a claim to the registry (ids are unique)."""
    if not isinstance(claim, Claim):
        raise MetacotError(f"register() expects a Claim, got {type(claim).__name__}")
    if claim.id in REGISTRY and not replace and REGISTRY[claim.id] is not claim:
        raise MetacotError(f"claim id {claim.id!r} is already registered")
    if claim.expect == "refuted" and not (claim.reason and claim.counterexample):
        raise MetacotError(f"claim {claim.id!r} is registered as refuted: give reason= and counterexample= "
                           f"(the id of the refuting instance)")
    REGISTRY[claim.id] = claim
    return claim


def claim_problem(claim: Claim) -> str:
    """'' when a registered claim is complete, else what is missing (checked when claims are loaded)."""
    import sympy

    from metacot.numerics.verify.evidence import StatementError, relations_of

    if not isinstance(claim.id, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", claim.id):
        return "id must be a non-empty string of letters, digits and ._:-"
    if not isinstance(claim.statement, sympy.Basic):
        return f"statement must be a sympy relation, got {type(claim.statement).__name__}"
    try:
        relations_of(claim.statement)
        for p in claim.parts:
            relations_of(claim.part_statement(p))
    except StatementError as exc:
        return str(exc)
    if not claim.parts:
        return "no parts (add one with @claim.part(...))"
    if claim.expect == "refuted":
        try:
            full = {iid for _, iid, _ in claim.instances(False)}
            quick = {iid for _, iid, _ in claim.instances(True)}
        except Exception as exc:  # noqa: BLE001  (a user's instance list may raise anything)
            return f"instances raised {exc.__class__.__name__}: {exc}"
        if claim.counterexample not in full or claim.counterexample not in quick:
            return (f"counterexample {claim.counterexample!r} must be an instance id of the full and of the "
                    f"quick instance sets")
    return ""


_LOADED = False


def load_builtin_claims() -> dict[str, Claim]:
    """Import every module of metacot.numerics.verify.claims (each registers its claims); return the registry."""
    global _LOADED
    if not _LOADED:
        from metacot.numerics.verify import claims as pkg

        for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
            importlib.import_module(f"{pkg.__name__}.{mod}")
        for c in REGISTRY.values():
            problem = claim_problem(c)
            if problem:
                raise MetacotError(f"built-in claim {c.id!r}: {problem}")
        _LOADED = True
    return REGISTRY


def select(patterns: list[str] | None) -> list[Claim]:
    """Claims whose id matches any pattern (exact id, or shell-style glob such as 'hitting.*')."""
    import fnmatch

    reg = load_builtin_claims()
    if not patterns:
        return list(reg.values())
    out = []
    for p in patterns:
        hits = [c for cid, c in reg.items() if cid == p or fnmatch.fnmatchcase(cid, p)]
        if not hits:
            raise MetacotError(f"unknown claim {p!r} (see `metacot claims`)")
        for c in hits:
            if c not in out:
                out.append(c)
    return out
