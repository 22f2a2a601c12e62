"""Run claims: every (claim, instance) is an independent task, executed in parallel with --jobs N.

Seeds: instance i of claim c gets seed crc32(f"{seed}:{c}:{i}"), so results do not depend on
the number of jobs or on which claims are selected.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import format_number, to_json_value
from metacot.numerics.verify.registry import REGISTRY, Claim, InstanceResult, load_builtin_claims


def instance_seed(seed: int, claim_id: str, index: int) -> int:
    return zlib.crc32(f"{seed}:{claim_id}:{index}".encode())


def load_user_module(path: str):
    """Import a user's conjecture file; its top level registers claims (see metacot.numerics.verify.conjectures).

    One-line MetacotError (CLI exit 2) when the file is missing, fails to import, registers no claim,
    or registers a malformed claim; claims registered by a failing file are removed again.
    The module is cached by absolute path, so loading the same file twice is a no-op."""
    import hashlib

    if not os.path.exists(path):
        raise MetacotError(f"module not found: {path}")
    if os.path.isdir(path):
        raise MetacotError(f"cannot import {path}: it is a directory, expected a .py file")
    apath = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in stem)
    name = f"metacot_user_{safe}_{hashlib.sha1(apath.encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, apath)
    if spec is None or spec.loader is None:
        raise MetacotError(f"cannot import {path}: not a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    before = dict(REGISTRY)

    def rollback():
        sys.modules.pop(name, None)
        for cid in set(REGISTRY) - set(before):
            del REGISTRY[cid]
        REGISTRY.update(before)

    try:
        spec.loader.exec_module(mod)
    except MetacotError as exc:
        rollback()
        raise MetacotError(f"{path}: {' '.join(str(exc).split())}") from None
    except SyntaxError as exc:
        rollback()
        raise MetacotError(f"cannot import {path}: SyntaxError: {exc.msg} (line {exc.lineno})") from None
    except BaseException as exc:  # SystemExit / KeyboardInterrupt in a user file must not kill the CLI silently
        rollback()
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = " ".join(str(exc).split())
        raise MetacotError(f"cannot import {path}: {exc.__class__.__name__}: {msg}") from None
    new = sorted(cid for cid in REGISTRY if cid not in before or REGISTRY[cid] is not before[cid])
    if not new:
        rollback()
        raise MetacotError(f"{path} registers no claims (state them with metacot.numerics.verify.conjectures.conjecture "
                           f"or metacot.numerics.verify.registry.register)")
    for cid in new:
        problem = _claim_problem(REGISTRY[cid])
        if problem:
            rollback()
            raise MetacotError(f"{path}: claim {cid!r}: {problem}")
    mod.__metacot_new_claims__ = new
    return mod


def _claim_problem(claim: Claim) -> str:
    """'' if a claim has the fields the runner needs, else a short description of what is wrong."""
    import sympy

    if not isinstance(claim.id, str) or not claim.id.strip() or any(ch.isspace() for ch in claim.id):
        return "id must be a non-empty string without spaces"
    if claim.statement is None:
        return "missing required field 'statement'"
    if not isinstance(claim.statement, sympy.Basic):
        return f"statement must be a sympy expression or relation, got {type(claim.statement).__name__}"
    if not callable(claim.instances):
        return "missing required field 'instances' (a function quick -> list of parameter dicts)"
    if not callable(claim.check):
        return "missing required field 'check' (a function (params, seed) -> InstanceResult)"
    if not isinstance(claim.tolerance, str) or not claim.tolerance.strip():
        return "missing required field 'tolerance' (a string justifying the tolerance)"
    return ""


def _init_worker(modules):
    load_builtin_claims()
    for m in modules:
        load_user_module(m)


def _run_one(claim_id: str, index: int, params: dict, seed: int):
    claim = REGISTRY[claim_id]
    t0 = time.perf_counter()
    try:
        res = claim.check(dict(params), seed)
        if not isinstance(res, InstanceResult):
            raise TypeError(f"check returned {type(res).__name__}, expected InstanceResult")
    except Exception as exc:  # a crashing check is reported, never counted as holding
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        res = InstanceResult(params, None, None, None, None, "inconclusive", f"check raised {tb}")
    return claim_id, index, res, time.perf_counter() - t0


@dataclass
class ClaimReport:
    claim: Claim
    results: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        vs = [r.verdict for r in self.results]
        if not vs:
            return "inconclusive"
        if "fails" in vs:
            return "fails"
        if "inconclusive" in vs:
            return "inconclusive"
        return "holds"

    def to_json(self):
        return {
            "id": self.claim.id,
            "paper": self.claim.paper,
            "statement": self.claim.statement_text(),
            "tolerance_justification": self.claim.tolerance,
            "verdict": self.verdict,
            "seconds": round(self.seconds, 3),
            "instances": [
                {"params": to_json_value(r.params), "predicted": to_json_value(r.predicted),
                 "measured": to_json_value(r.measured), "error": to_json_value(r.error),
                 "tolerance": to_json_value(r.tolerance), "verdict": r.verdict, "note": r.note}
                for r in self.results
            ],
        }


def run_claims(claims: list[Claim], *, quick: bool = False, seed: int = 0, jobs: int = 1,
               modules: tuple = (), progress=None) -> list[ClaimReport]:
    """Run every instance of the selected claims; returns one ClaimReport per claim, in order."""
    tasks = []
    reports = {c.id: ClaimReport(c) for c in claims}
    for c in claims:
        try:
            inst = list(c.instances(quick))
        except Exception as exc:
            reports[c.id].results.append(InstanceResult({}, None, None, None, None, "inconclusive",
                                                        f"instances() raised {exc.__class__.__name__}: {exc}"))
            continue
        for i, p in enumerate(inst):
            tasks.append((c.id, i, p, instance_seed(seed, c.id, i)))
    slots = {cid: {} for cid in reports}
    done = 0
    total = len(tasks)
    if progress:
        progress(done, total, "")
    if jobs <= 1 or total <= 1:
        for t in tasks:
            cid, i, res, dt = _run_one(*t)
            slots[cid][i] = res
            reports[cid].seconds += dt
            done += 1
            if progress:
                progress(done, total, cid)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if sys.platform != "win32" else None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(tuple(modules),)) as ex:
            futs = [ex.submit(_run_one, *t) for t in tasks]
            for f in as_completed(futs):
                cid, i, res, dt = f.result()
                slots[cid][i] = res
                reports[cid].seconds += dt
                done += 1
                if progress:
                    progress(done, total, cid)
    for cid, rep in reports.items():
        rep.results.extend(slots[cid][i] for i in sorted(slots[cid]))
    return [reports[c.id] for c in claims]


def progress_bar(stream=None, width: int = 30):
    """A one-line progress bar on stderr (only when it is a terminal)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    t0 = time.perf_counter()

    def show(done, total, cid):
        frac = done / total if total else 1.0
        fill = int(width * frac)
        stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {time.perf_counter() - t0:6.1f}s {cid[:40]:<40}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def _cell(x, width=22):
    if x is None:
        s = "-"
    elif isinstance(x, str):
        s = x
    else:
        s = format_number(x)
    return s if len(s) <= width else s[: width - 1] + "…"


def _params_text(p: dict, width=34):
    s = ",".join(f"{k}={_cell(v, 12)}" for k, v in p.items())
    return s if len(s) <= width else s[: width - 1] + "…"


def format_table(reports: list[ClaimReport]) -> str:
    head = ("claim", "instance", "predicted", "measured", "error", "tolerance", "verdict")
    rows = []
    for rep in reports:
        for r in rep.results:
            rows.append((rep.claim.id, _params_text(r.params), _cell(r.predicted), _cell(r.measured),
                         _cell(r.error, 10), _cell(r.tolerance, 10), r.verdict))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    out.append("")
    counts = {v: sum(rep.verdict == v for rep in reports) for v in ("holds", "fails", "inconclusive")}
    out.append(f"{len(reports)} claims: {counts['holds']} hold, {counts['fails']} fail, "
               f"{counts['inconclusive']} inconclusive")
    for rep in reports:
        if rep.verdict != "holds":
            notes = "; ".join(sorted({r.note for r in rep.results if r.verdict != 'holds' and r.note}))
            out.append(f"  {rep.claim.id}: {rep.verdict}" + (f" ({notes[:200]})" if notes else ""))
    return "\n".join(out)


def report_json(reports: list[ClaimReport], *, seed: int, quick: bool) -> dict:
    return {
        "seed": seed,
        "quick": quick,
        "summary": {v: sum(rep.verdict == v for rep in reports) for v in ("holds", "fails", "inconclusive")},
        "claims": [rep.to_json() for rep in reports],
    }
