"""Running claims and counterexample searches on a Dask cluster (optional extra ``metacot[dask]``).

Tasks are the same (claim, part, instance) triples as for local workers, with the same seeds, so a report
made on Dask is byte-identical to one made with ``--jobs N`` for the same base seed. Workers are separate
processes: each task names the conjecture modules to load, and a worker imports the built-in claims and
those modules once. ``metacot verify --dask`` starts an embedded ``LocalCluster``; ``--scheduler ADDRESS``
uses an existing cluster. The per-instance timeout is not enforced on Dask (a hung task holds one worker
thread); one SIGINT cancels every pending task and closes the client (and the embedded cluster).
"""
from __future__ import annotations

import time

from metacot.numerics.errors import MetacotError

_LOADED_MODULES: set = set()


def _require_dask():
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise MetacotError("--dask needs the optional dependency dask.distributed: "
                           "pip install 'metacot[dask]' (or run without --dask)") from None


def _prepare_worker(modules):
    """Load the built-in claims and the given conjecture modules in this worker (once per module)."""
    from metacot.numerics.verify import runner
    from metacot.numerics.verify.registry import REGISTRY, load_builtin_claims

    load_builtin_claims()
    for m in modules:
        if m not in _LOADED_MODULES:
            runner.load_user_module(m)
            _LOADED_MODULES.add(m)
    runner._RUN = REGISTRY


def _remote_evaluate(task, modules):
    from metacot.numerics.verify import runner

    _prepare_worker(modules)
    t0 = time.perf_counter()
    res = runner._evaluate(task)
    return res, time.perf_counter() - t0


def _remote_search(claim_id, modules, max_examples, seed):
    from metacot.numerics.verify.conjectures import search_counterexample
    from metacot.numerics.verify.registry import REGISTRY

    _prepare_worker(modules)
    return search_counterexample(REGISTRY[claim_id], max_examples=max_examples, seed=seed)


class DaskSession:
    """A Dask client on an existing scheduler (``scheduler``) or on an embedded LocalCluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); default: start a LocalCluster.
    n_workers : int, optional
        Worker processes of the embedded cluster (one thread each).
    """

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None):
        _require_dask()
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=20)
            else:
                self.cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=50)
                self.client = Client(self.cluster)
        except OSError as exc:
            raise MetacotError(f"cannot reach the Dask scheduler {scheduler!r}: {' '.join(str(exc).split())}") from None

    def close(self):
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def backend(self, modules=()):
        """A ``backend`` for :func:`metacot.numerics.verify.runner.run_claims`."""
        from dask.distributed import as_completed

        from metacot.numerics.verify.runner import _failed

        modules = tuple(modules)

        def run(tasks, evaluate, on_result):
            futures = {}
            for t in tasks:
                f = self.client.submit(_remote_evaluate, t, modules, pure=False,
                                       key=f"metacot-{t.claim_id}-{t.index}-{time.monotonic_ns()}")
                futures[f] = t
            try:
                for f in as_completed(futures):
                    t = futures[f]
                    try:
                        res, dt = f.result()
                    except Exception as exc:  # noqa: BLE001  (a lost worker is reported per instance)
                        res, dt = _failed(t, f"the Dask task failed: {exc.__class__.__name__}: {exc}"), 0.0
                    on_result(t, res, dt)
            except KeyboardInterrupt:
                self.client.cancel(list(futures))
                raise

        return run

    def searches(self, claim_id: str, seeds, *, max_examples: int, modules=()):
        """Independent seeded counterexample searches of one claim, one per seed, on the workers."""
        futures = [self.client.submit(_remote_search, claim_id, tuple(modules), max_examples, s, pure=False)
                   for s in seeds]
        try:
            return self.client.gather(futures)
        except KeyboardInterrupt:
            self.client.cancel(futures)
            raise
