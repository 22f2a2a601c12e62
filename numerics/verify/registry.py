"""The claim registry (spec 00, "How a claim is stated").

A Claim pairs a sympy statement from `theory/` with a numerical check. Each claim lists its
parameter instances (JSON-able dicts); `check(params, seed)` evaluates both sides on one
instance and returns an InstanceResult. Instances are independent, so the runner executes them
in parallel. Claims register themselves at import: every module in `metacot.numerics.verify.claims` is imported
by `load_builtin_claims()`.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from metacot.numerics.errors import MetacotError

VERDICTS = ("holds", "fails", "inconclusive")


@dataclass
class InstanceResult:
    """Outcome of one instance: predicted vs measured, |error| vs tolerance, verdict."""

    params: dict
    predicted: Any
    measured: Any
    error: Any
    tolerance: Any
    verdict: str
    note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Claim:
    """id, paper reference, sympy statement, parameter instances, check, tolerance and its justification.

    instances(quick) -> list of param dicts (quick=True: the subset run by `verify --quick`).
    check(params, seed) -> InstanceResult.
    """

    id: str
    paper: str
    statement: Any
    instances: Callable[[bool], list]
    check: Callable[[dict, int], InstanceResult]
    tolerance: str
    description: str = ""
    module: str = ""
    tags: tuple = field(default_factory=tuple)

    def statement_text(self) -> str:
        import sympy

        st = self.statement
        if isinstance(st, sympy.Basic):
            return sympy.sstr(st)
        return str(st)


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim, *, replace: bool = False) -> Claim:
    """Add a claim to the registry (ids are unique)."""
    if not isinstance(claim, Claim):
        raise MetacotError(f"register() expects a Claim, got {type(claim).__name__}")
    if claim.id in REGISTRY and not replace and REGISTRY[claim.id] is not claim:
        raise MetacotError(f"claim id {claim.id!r} is already registered")
    REGISTRY[claim.id] = claim
    return claim


_LOADED = False


def load_builtin_claims() -> dict[str, Claim]:
    """Import every module of metacot.numerics.verify.claims (each registers its claims) and return the registry."""
    global _LOADED
    if not _LOADED:
        from metacot.numerics.verify import claims as pkg

        for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
            importlib.import_module(f"{pkg.__name__}.{mod}")
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


def relative_error(predicted, measured) -> float:
    """|measured − predicted| / |predicted| (absolute error when predicted = 0), as a float."""
    from fractions import Fraction

    p, m = predicted, measured
    if isinstance(p, Fraction) and isinstance(m, Fraction):
        d = abs(m - p)
        return float(d / abs(p)) if p != 0 else float(d)
    p, m = float(p), float(m)
    return abs(m - p) / abs(p) if p != 0 else abs(m - p)


def compare(params: dict, predicted, measured, tolerance=0, *, relative: bool = True, note: str = "") -> InstanceResult:
    """Standard check: exact equality when tolerance == 0 and both exact, else error ≤ tolerance."""
    from fractions import Fraction

    if tolerance == 0 and isinstance(predicted, Fraction) and isinstance(measured, Fraction):
        err = abs(measured - predicted)
        return InstanceResult(params, predicted, measured, err, Fraction(0), "holds" if err == 0 else "fails", note)
    err = relative_error(predicted, measured) if relative else abs(float(measured) - float(predicted))
    return InstanceResult(params, predicted, measured, err, tolerance, "holds" if err <= float(tolerance) else "fails", note)
