"""Transitional adapter: claims written as ``check(params, seed) -> InstanceResult`` (to be converted to
statement-driven parts; nothing new uses this module)."""
from __future__ import annotations

from fractions import Fraction

from metacot.numerics.verify import registry as _registry
from metacot.numerics.verify.registry import InstanceResult, Part


def Claim(id, paper, statement, instances, check, tolerance, description="", module="", tags=()):  # noqa: N802
    def measure(rng_seed, **params):
        return check(dict(params), rng_seed)

    c = _registry.Claim(id=id, paper=paper, statement=statement, description=description)
    c.add_part(Part(name="legacy", measure=measure, instances=lambda: instances(False),
                    quick=lambda: instances(True), rung="numerical", tolerance=0, justification=str(tolerance)))
    return c


def register(claim, replace=False):
    return _registry.register(claim, replace=replace)


def relative_error(predicted, measured) -> float:
    p, m = predicted, measured
    if isinstance(p, Fraction) and isinstance(m, Fraction):
        d = abs(m - p)
        return float(d / abs(p)) if p != 0 else float(d)
    p, m = float(p), float(m)
    return abs(m - p) / abs(p) if p != 0 else abs(m - p)


def compare(params, predicted, measured, tolerance=0, *, relative=True, note=""):
    if tolerance == 0 and isinstance(predicted, Fraction) and isinstance(measured, Fraction):
        err = abs(measured - predicted)
        return InstanceResult(params, predicted, measured, err, Fraction(0), "holds" if err == 0 else "fails", note)
    err = relative_error(predicted, measured) if relative else abs(float(measured) - float(predicted))
    return InstanceResult(params, predicted, measured, err, tolerance,
                          "holds" if err <= float(tolerance) else "fails", note)
