"""Reports of a verification run: the text table, the JSON document, progress lines.

Conventions (stated in the table header): ``error`` = measured − predicted; ``slack`` = the margin by
which the relation holds (negative: violated), tolerance included. Numbers print in full (rationals
exact, floats with 17 significant digits, enclosures as ``[lo, hi]``, estimates as ``mean ± se``). The JSON
document holds no wall-clock times unless asked for (``timings=True``), so the same seed gives the same
bytes for any number of workers.
"""
from __future__ import annotations

import sys
import time

from metacot.numerics.verify.check import format_value, value_to_json
from metacot.numerics.verify.evidence import RUNGS
from metacot.numerics.verify.runner import ClaimReport

HEADER = ("each instance: verdict, rung, id, then  measured REL predicted  (error = measured − predicted; "
          "slack = margin by which the relation holds, negative if violated; tolerance)")


def _instance_line(r) -> str:
    rel = r.relation or "vs"
    body = (f"{format_value(r.measured)} {rel} {format_value(r.predicted)}" if r.relation
            else "(no measurement)")
    extra = []
    if r.error is not None:
        extra.append(f"error {format_value(r.error)}")
    if r.slack is not None:
        extra.append(f"slack {format_value(r.slack)}")
    if r.tolerance not in (None, 0) and str(r.tolerance) != "0":
        extra.append(f"tol {format_value(r.tolerance)}")
    line = f"    {r.verdict:<12} {(r.rung or '-'):<11} {r.id}\n{'':29}{body}"
    if extra:
        line += "   (" + ", ".join(extra) + ")"
    if r.note and r.verdict != "holds":
        line += f"\n{'':29}note: {r.note}"
    return line


def format_table(reports: list[ClaimReport], *, details: bool = True) -> str:
    """The text report: one block per claim (statement, rung, expectation, outcome, instances), then the
    summary, the findings (refuted as expected) and the claims that miss their expectation."""
    out = [HEADER, ""]
    for rep in reports:
        c = rep.claim
        out.append(f"{c.id}  [{rep.rung or 'no evidence'}]  expect {c.expect} -> {rep.outcome}   ({c.paper})")
        out.append(f"  statement: {c.statement_text()}")
        if details:
            for r in rep.results:
                out.append(_instance_line(r))
        out.append("")
    out.append(summary_line(reports))
    found = [r for r in reports if r.claim.expect == "refuted" and r.meets_expectation]
    if found:
        out.append("")
        out.append("Findings (statements refuted as expected, with their counterexample):")
        for rep in found:
            ce = next(r for r in rep.results if r.id == rep.claim.counterexample)
            out.append(f"  {rep.claim.id}: {rep.claim.reason}")
            out.append(f"    counterexample {ce.id}: {format_value(ce.measured)} {ce.relation} "
                       f"{format_value(ce.predicted)}" + (f"; corrected form: {rep.claim.corrected}"
                                                          if rep.claim.corrected else ""))
    bad = [r for r in reports if not r.meets_expectation]
    if bad:
        out.append("")
        out.append("Not meeting their expectation:")
        for rep in bad:
            notes = "; ".join(sorted({r.note for r in rep.results if r.verdict != "holds" and r.note}))
            out.append(f"  {rep.claim.id}: expect {rep.claim.expect}, outcome {rep.outcome}"
                       + (f" ({notes})" if notes else ""))
    return "\n".join(out)


def summary_counts(reports: list[ClaimReport]) -> dict:
    rungs = {r: sum(rep.rung == r for rep in reports) for r in RUNGS}
    return {
        "claims": len(reports),
        "meet_expectation": sum(rep.meets_expectation for rep in reports),
        "hold": sum(rep.claim.expect == "holds" and rep.verdict == "holds" for rep in reports),
        "refuted_as_expected": sum(rep.claim.expect == "refuted" and rep.meets_expectation for rep in reports),
        "fail": sum(rep.claim.expect == "holds" and rep.verdict == "fails" for rep in reports),
        "not_refuted": sum(rep.claim.expect == "refuted" and rep.verdict == "holds" for rep in reports),
        "inconclusive": sum(rep.verdict == "inconclusive" for rep in reports),
        "strongest_rung": rungs,
    }


def summary_line(reports: list[ClaimReport]) -> str:
    s = summary_counts(reports)
    rung = ", ".join(f"{n} {r}" for r, n in s["strongest_rung"].items() if n)
    line = (f"{s['claims']} claims: {s['hold']} hold, {s['refuted_as_expected']} refuted as expected, "
            f"{s['fail']} fail, {s['not_refuted']} no longer refuted, {s['inconclusive']} inconclusive; "
            f"{s['meet_expectation']}/{s['claims']} meet their expectation")
    return line + (f"\nstrongest evidence per claim: {rung}" if rung else "")


def claim_json(rep: ClaimReport, *, timings: bool = False) -> dict:
    c = rep.claim
    d = {
        "id": c.id, "paper": c.paper, "statement": c.statement_text(), "statement_latex": c.statement_latex(),
        "expect": c.expect, "verdict": rep.verdict, "outcome": rep.outcome,
        "meets_expectation": rep.meets_expectation, "rung": rep.rung,
        "parts": [{"name": p.name, "rung": p.rung, "tolerance": value_to_json(p.tolerance),
                   "relative": p.relative, "justification": p.justification,
                   "statement": None if p.statement is None else str(p.statement),
                   "confidence": p.confidence if p.rung == "statistical" else None} for p in c.parts],
        "instances": [{"id": r.id, "part": r.part, "rung": r.rung, "params": r.params, "relation": r.relation,
                       "predicted": value_to_json(r.predicted), "measured": value_to_json(r.measured),
                       "error": value_to_json(r.error), "slack": value_to_json(r.slack),
                       "tolerance": value_to_json(r.tolerance), "verdict": r.verdict, "note": r.note}
                      for r in rep.results],
    }
    if c.expect == "refuted":
        d.update(reason=c.reason, counterexample=c.counterexample, corrected=c.corrected or None)
    if timings:
        d["seconds"] = round(rep.seconds, 3)
    return d


def report_json(reports: list[ClaimReport], *, seed: int, quick: bool, timings: bool = False,
                interrupted: bool = False) -> dict:
    """The JSON report (deterministic: no timings unless ``timings``)."""
    from metacot import __version__

    d = {"metacot": __version__, "seed": seed, "quick": quick, "summary": summary_counts(reports),
         "claims": [claim_json(r, timings=timings) for r in reports]}
    if interrupted:
        d["interrupted"] = True
    return d


def progress_printer(stream=None, *, every: float = 10.0, quiet: bool = False):
    """A progress callback: a bar on a terminal; on other streams one line every ``every`` seconds
    (``[57/269] 2m14s hitting.meta-chain …``) and at the end."""
    if quiet:
        return None
    stream = stream or sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()
    t0 = time.monotonic()
    last = [t0]

    def elapsed():
        s = int(time.monotonic() - t0)
        return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"

    def show(done, total, label):
        now = time.monotonic()
        if tty:
            width = 30
            fill = int(width * (done / total if total else 1.0))
            stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {elapsed():>6} {label[:60]:<60}")
            if done == total:
                stream.write("\n")
            stream.flush()
            return
        if done == total or now - last[0] >= every:
            last[0] = now
            stream.write(f"[{done}/{total}] {elapsed()} {label}\n")
            stream.flush()

    return show
