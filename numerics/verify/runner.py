"""Run claims: every (claim, part, instance) is an independent task (spec 07 "Identity and reproducibility").

Seeds: the instance with id ``iid`` of claim ``c`` gets ``crc32(f"{seed}:{c}:{iid}")``, so results depend
neither on the number of workers nor on which claims or instances are selected. Tasks run in worker
processes (``isolate=True``, what ``metacot verify`` does): a worker that dies, a result that cannot be
sent back, or an instance that exceeds ``timeout`` seconds makes that instance inconclusive with the
reason, and the run goes on; the outcome is the same for every number of workers. One SIGINT stops the
run: pending work is cancelled, workers are killed, and the instances that finished are returned
(``RunInterrupted`` carries them).
"""
from __future__ import annotations

import importlib.util
import os
import pickle
import signal
import sys
import time
import zlib
from dataclasses import dataclass, field

from metacot.numerics.errors import MetacotError
from metacot.numerics.verify.registry import REGISTRY, Claim, InstanceResult, claim_problem, load_builtin_claims

DEFAULT_TIMEOUT = 900.0          # seconds per instance for `metacot verify` (the slowest full instance takes ~60 s)
MODULE_IMPORT_TIMEOUT = 60.0     # seconds allowed for importing a conjecture module


def instance_seed(seed: int, claim_id: str, iid) -> int:
    """The seed of one instance: crc32 of ``"{seed}:{claim_id}:{instance id}"``.

    Examples
    --------
    >>> instance_seed(0, "hitting.escape-law", "ks/family=ring,K=3")
    2392718374
    """
    return zlib.crc32(f"{seed}:{claim_id}:{iid}".encode())


class RunInterrupted(Exception):
    """The run was interrupted (SIGINT); ``reports`` holds what finished."""

    def __init__(self, reports):
        super().__init__("interrupted")
        self.reports = reports


# ------------------------------------------------------------------------------ user modules
def load_user_module(path: str, *, timeout: float = MODULE_IMPORT_TIMEOUT):
    """Import a user's conjecture file; its top level registers claims (see verify.conjectures).

    One-line MetacotError (CLI exit 2) when the file is missing, fails to import, takes longer than
    ``timeout`` seconds to import, registers no claim, or registers a malformed claim; claims registered
    by a failing file are removed again. The module is cached by absolute path."""
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
        with _time_limit(timeout, f"importing {path} took longer than {timeout:g} s (does its top level loop?)"):
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
        raise MetacotError(f"{path} registers no claims (state them with metacot.conjecture or metacot.claim)")
    for cid in new:
        problem = claim_problem(REGISTRY[cid])
        if problem:
            rollback()
            raise MetacotError(f"{path}: claim {cid!r}: {problem}")
    mod.__metacot_new_claims__ = new
    return mod


class _time_limit:
    """SIGALRM-based limit for code running in the main thread (no-op elsewhere)."""

    def __init__(self, seconds, message):
        self.seconds, self.message = seconds, message
        self.active = False

    def __enter__(self):
        import threading

        if self.seconds and threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            def handler(signum, frame):
                raise MetacotError(self.message)

            self.old = signal.signal(signal.SIGALRM, handler)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.active = True
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


# -------------------------------------------------------------------------------- reports
@dataclass
class ClaimReport:
    """The results of one claim's instances, in instance order, and what they mean for its expectation."""

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

    @property
    def meets_expectation(self) -> bool:
        if self.claim.expect == "holds":
            return self.verdict == "holds"
        ce = [r for r in self.results if r.id == self.claim.counterexample]
        return bool(ce) and ce[0].verdict == "fails"

    @property
    def outcome(self) -> str:
        """holds · refuted (as expected) · FAILS · NOT REFUTED · inconclusive"""
        v, e = self.verdict, self.claim.expect
        if e == "holds":
            return {"holds": "holds", "fails": "FAILS", "inconclusive": "inconclusive"}[v]
        if self.meets_expectation:
            return "refuted (as expected)"
        return "inconclusive" if v == "inconclusive" else "NOT REFUTED"

    @property
    def rung(self) -> str | None:
        """The strongest rung among the instances that support the outcome (holding instances of a claim
        expected to hold, failing ones of a refuted claim)."""
        from metacot.numerics.verify.evidence import strongest

        want = "holds" if self.claim.expect == "holds" else "fails"
        return strongest(r.rung for r in self.results if r.verdict == want)


@dataclass
class _Task:
    claim_id: str
    part: str
    iid: str
    params: dict
    seed: int
    index: int


_RUN: dict[str, Claim] = {}          # the claims of the current run (visible to forked workers)


def _evaluate(task: _Task) -> InstanceResult:
    from metacot.numerics.verify.check import evaluate_instance

    claim = _RUN[task.claim_id]
    part = next(p for p in claim.parts if p.name == task.part)
    return evaluate_instance(claim, part, task.iid, task.params, task.seed)


def _failed(task: _Task, note: str) -> InstanceResult:
    from metacot.numerics.verify.check import params_to_json

    part = next(p for p in _RUN[task.claim_id].parts if p.name == task.part)
    return InstanceResult(params_to_json(task.params), None, None, None, part.tolerance, "inconclusive", note,
                          id=task.iid, part=task.part)


def tasks_of(claims: list[Claim], quick: bool, seed: int) -> tuple[list[_Task], dict]:
    """The tasks of a run in order, and per-claim problems found while listing instances."""
    tasks, problems = [], {}
    for c in claims:
        try:
            inst = c.instances(quick)
        except Exception as exc:  # noqa: BLE001
            problems[c.id] = f"instances raised {exc.__class__.__name__}: {exc}"
            continue
        for part, iid, params in inst:
            tasks.append(_Task(c.id, part.name, iid, params, instance_seed(seed, c.id, iid), len(tasks)))
    return tasks, problems


def run_claims(claims: list[Claim], *, quick: bool = False, seed: int = 0, jobs: int = 1, isolate: bool = False,
               timeout: float | None = None, progress=None, backend=None) -> list[ClaimReport]:
    """Run every instance of the selected claims; one ClaimReport per claim, in the given order.

    Parameters
    ----------
    claims : list of Claim
    quick : bool
        Run each part's quick instance set.
    seed : int
        Base seed (non-negative).
    jobs : int
        Worker processes (with ``isolate`` or jobs > 1).
    isolate : bool
        Run in worker processes even for jobs = 1 (``metacot verify`` does: crashes, hangs and dead
        workers then give the same outcome for every ``jobs``).
    timeout : float, optional
        Seconds per instance before it is stopped and reported inconclusive (worker processes only).
    progress : callable, optional
        ``progress(done, total, label)`` after every finished instance.
    backend : callable, optional
        ``backend(tasks, evaluate, on_result)`` runs the tasks elsewhere (e.g. a Dask cluster).

    Returns
    -------
    list of ClaimReport
        Per claim: ``results`` (one InstanceResult per instance: predicted, measured, error, tolerance,
        verdict, rung), ``verdict`` (fails if any instance fails, else inconclusive if any is, else
        holds), ``outcome`` against the claim's expectation and ``rung`` (the strongest supporting rung).
        Instance seeds derive from `seed`, the claim id and the instance id: the same seed gives the same
        report for every `jobs`.

    Raises
    ------
    RunInterrupted
        On SIGINT, with the reports of what finished.

    Examples
    --------
    The exact ring formula E[τ] = (K−1)·M/(q ε) + K − M − 1 (claim hitting.exact-canonical) as a user
    conjecture:

    >>> import sympy as sp
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> from metacot.numerics.verify.conjectures import define_conjecture, grid
    >>> from metacot.theory.symbols import E_tau, K, M, q, eps
    >>> def measure(K, M, q, eps):
    ...     c = ring(K, M, q)
    ...     return {E_tau: hitting_time(c, c.start, c.target, eps, method="exact")}
    >>> exact = define_conjecture(id="doc.ring-exact", measure=measure,
    ...                           statement=sp.Eq(E_tau, (K - 1) * M / (q * eps) + K - M - 1),
    ...                           grid=grid(K=[2, 3], M=[2, 3], q=["1/2"], eps=["1/10", "1e-30"]),
    ...                           register_claim=False)
    >>> report = run_claims([exact])[0]
    >>> report.verdict, report.outcome, report.rung, len(report.results)
    ('holds', 'holds', 'exact', 8)
    """
    global _RUN
    _RUN = {c.id: c for c in claims}
    tasks, problems = tasks_of(claims, quick, seed)
    reports = {c.id: ClaimReport(c) for c in claims}
    for cid, note in problems.items():
        reports[cid].results.append(InstanceResult({}, None, None, None, None, "inconclusive", note, id="instances"))
    slots: dict[int, InstanceResult] = {}
    seconds: dict[str, float] = {c.id: 0.0 for c in claims}
    total = len(tasks)
    if progress:
        progress(0, total, "")

    def on_result(task: _Task, res: InstanceResult, dt: float):
        slots[task.index] = res
        seconds[task.claim_id] += dt
        if progress:
            progress(len(slots), total, f"{task.claim_id} {task.iid}")

    interrupted = False
    try:
        if backend is not None:
            backend(tasks, _evaluate, on_result)
        elif not isolate and jobs <= 1:
            for t in tasks:
                t0 = time.perf_counter()
                on_result(t, _evaluate(t), time.perf_counter() - t0)
        else:
            _run_in_workers(tasks, max(1, jobs), timeout, on_result)
    except KeyboardInterrupt:
        interrupted = True
    for t in tasks:
        if t.index in slots:
            reports[t.claim_id].results.append(slots[t.index])
    for cid, rep in reports.items():
        rep.seconds = seconds[cid]
    out = [reports[c.id] for c in claims]
    if interrupted:
        raise RunInterrupted(out)
    return out


# ------------------------------------------------------------------------------ worker pool
def _worker_main(conn):
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent stops the run; workers are killed by it
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        t0 = time.perf_counter()
        res = _evaluate(task)
        dt = time.perf_counter() - t0
        try:
            payload = pickle.dumps((task.index, res, dt))
        except Exception as exc:  # noqa: BLE001  (a result that cannot travel is reported, not lost)
            res = _failed(task, f"result could not be sent back from the worker: {exc.__class__.__name__}: {exc}")
            payload = pickle.dumps((task.index, res, dt))
        try:
            conn.send_bytes(payload)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.task: _Task | None = None
        self.started = 0.0

    def submit(self, task: _Task):
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def kill(self):
        try:
            self.proc.kill()
        except (OSError, AttributeError):  # pragma: no cover
            pass
        self.proc.join(5)
        self.conn.close()


def _run_in_workers(tasks: list[_Task], jobs: int, timeout: float | None, on_result):
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork")
    pending = list(reversed(tasks))
    # SIGINT only sets a flag; the loop below stops at its next turn (≤ 0.25 s). A KeyboardInterrupt raised
    # at an arbitrary point (e.g. inside fork's at-fork handlers) could be swallowed and the run would go on.
    interrupted = []
    old_handler = None
    import threading

    if threading.current_thread() is threading.main_thread():
        old_handler = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    workers = []
    try:
        workers = [_Worker(ctx) for _ in range(min(jobs, max(1, len(tasks))))]
        while pending or any(w.task for w in workers):
            if interrupted:
                raise KeyboardInterrupt
            for i, w in enumerate(workers):
                if w.task is None and pending:
                    if not w.proc.is_alive():
                        w.kill()
                        w = workers[i] = _Worker(ctx)
                    w.submit(pending.pop())
            busy = [w for w in workers if w.task is not None]
            now = time.monotonic()
            wait_for = 0.25
            if timeout:
                wait_for = max(0.0, min([wait_for] + [w.started + timeout - now for w in busy]))
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=wait_for)
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                task = w.task
                if w.conn in ready:
                    try:
                        idx, res, dt = pickle.loads(w.conn.recv_bytes())
                    except (EOFError, OSError):
                        res, dt = None, time.monotonic() - w.started
                    if res is not None:
                        w.task = None
                        on_result(task, res, dt)
                        continue
                if w.proc.sentinel in ready or not w.proc.is_alive() or (w.conn in ready):
                    w.proc.join(2)
                    code = w.proc.exitcode
                    w.kill()
                    workers[i] = _Worker(ctx)
                    on_result(task, _failed(task, f"the worker process died while running this instance "
                                                  f"(exit code {code})"), time.monotonic() - w.started)
                    continue
                if timeout and time.monotonic() - w.started > timeout:
                    w.kill()
                    workers[i] = _Worker(ctx)
                    on_result(task, _failed(task, f"timed out after {timeout:g} s"),
                              time.monotonic() - w.started)
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        for w in workers:
            if w.task is None and w.proc.is_alive():
                try:
                    w.conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
        deadline = time.monotonic() + 1.0
        for w in workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.kill()
