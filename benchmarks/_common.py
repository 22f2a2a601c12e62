"""Shared helpers of the benchmarks (not a test): one BLAS thread, timing side by side, chains, result files.

Import this module first in a benchmark script: it pins every BLAS / OpenMP / numba pool to one thread
*before* numpy is imported (environment variables), and again through threadpoolctl when it is installed,
so that metacot and the reference it is compared with run on the same single core.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402

try:
    from threadpoolctl import threadpool_limits

    _LIMITS = threadpool_limits(1)
except ImportError:  # pragma: no cover - optional (the `bench` extra)
    _LIMITS = None

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

OUT = os.path.join(os.path.dirname(__file__), "results")


def machine_info() -> dict:
    import flint

    return {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "scipy": scipy.__version__, "python-flint": flint.__version__,
            "blas_threads": 1, "threadpoolctl": _LIMITS is not None,
            "note": "shared machine (several sessions on 2 cores): wall times are noisy; every ratio compares "
                    "metacot and its reference measured alternately in one process (median of the repeats)"}


def timed(fn):
    """(seconds, value) of one call."""
    t = time.perf_counter()
    v = fn()
    return time.perf_counter() - t, v


def side_by_side(fns: dict, repeat: int = 3) -> dict:
    """Median wall time of each function, the functions called in turn `repeat` times (fair under load)."""
    times = {k: [] for k in fns}
    values = {}
    for _ in range(repeat):
        for k, f in fns.items():
            dt, values[k] = timed(f)
            times[k].append(dt)
    return {k: (statistics.median(v), values[k]) for k, v in times.items()}


def rel_err(a, b) -> float | None:
    """|a − b|/|b| with b exact (Fraction) or float; None when a is not finite."""
    import mpmath

    try:
        a = float(a)
    except (TypeError, ValueError, OverflowError):
        return None
    if not np.isfinite(a):
        return None
    with mpmath.workdps(60):
        bm = mpmath.mpf(b.numerator) / b.denominator if isinstance(b, Fraction) else mpmath.mpf(b)
        return float(abs(mpmath.mpf(a) - bm) / abs(bm))


def write(name: str, data: dict, lines: list[str]) -> None:
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"{name}.json"), "w") as fh:
        json.dump(data, fh, indent=1, default=_json_default)
        fh.write("\n")
    with open(os.path.join(OUT, f"{name}.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, Fraction):
        return str(v)
    raise TypeError(type(v))


def fmt_s(t) -> str:
    return "—" if t is None else (f"{t:.3g}" if t < 100 else f"{t:.0f}")


def fmt_e(e) -> str:
    return "fails (inf/nan)" if e is None else f"{e:.1e}"


# ----------------------------------------------------------------------------- chains
def random_clustered(n_target: int, seed: int = 0, smin: int = 10, smax: int = 50, density: float = 0.5,
                     exits: int = 1):
    """A float metastable chain of about n_target states: clusters of smin..smax states with random blocks
    (each row: a self-loop, the next state of a cycle and random others with probability `density`), one
    sparse edge from every cluster to the next (a ring over the clusters) and `exits` more from random states
    to random other clusters; row-rescaled, P1 = Q − diag(q)·P0, q scaled so that eps_max = 1."""
    from metacot.numerics.chain import Chain

    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n_target:
        sizes.append(int(rng.integers(smin, smax + 1)))
    sizes = np.array(sizes)
    K, n = sizes.size, int(sizes.sum())
    off = np.r_[0, np.cumsum(sizes)]
    lab = np.repeat(np.arange(K), sizes)
    cnt = sizes[lab]
    r = np.repeat(np.arange(n), cnt)
    ar = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    c = np.repeat(off[lab], cnt) + ar
    local = r - off[lab[r]]
    keep = (rng.random(r.size) < density) | (ar == local) | (ar == (local + 1) % sizes[lab[r]])
    r, c = r[keep], c[keep]
    P0 = sp.csr_matrix((rng.random(r.size) + 0.1, (r, c)), shape=(n, n))
    P0 = sp.csr_matrix(sp.diags(1 / np.asarray(P0.sum(1)).ravel()) @ P0)
    src = np.concatenate([off[:-1]] + [off[:-1] + rng.integers(0, sizes) for _ in range(exits)])
    ring_part = np.arange(src.size) < K
    dk = np.where(ring_part, (lab[src] + 1) % K, (lab[src] + 1 + rng.integers(0, K - 1, src.size)) % K)
    dst = off[dk] + rng.integers(0, sizes[dk])
    Q = sp.csr_matrix((rng.random(src.size) + 0.5, (src, dst)), shape=(n, n))
    qx = np.asarray(Q.sum(1)).ravel()
    Q, qx = Q / qx.max(), qx / qx.max()
    P1 = sp.csr_matrix(Q - sp.diags(qx) @ P0)
    return Chain.from_csr(P0, P1, cluster_labels=lab, start=0, target=n - 1,
                          name=f"random-clustered(n={n}, clusters {smin}-{smax}, exits={exits}, seed={seed})")


def ring_exact(K: int, M: int, eps: Fraction) -> Fraction:
    """Exact E_0[τ] on ring(K, M, 1) from exact hitting times on ring(2, M) (stage decomposition).

    From the entry of C_k (or from state 0 in C_0) to the entry of C_{k+1} the walk sees only C_k and its one
    sparse edge, so E_0[τ] = T_first + (K − 2)·T_stage, both exact hitting times on ring(2, M)."""
    from metacot.numerics.families import ring
    from metacot.numerics.solvers.hitting import hitting_time

    c = ring(2, M)
    return hitting_time(c, 0, c.target, eps, "exact") + (K - 2) * hitting_time(c, M - 1, c.target, eps, "exact")


def plain_system(chain, eps, dense: bool):
    """(I − P(ε)) restricted to the non-target states, as numpy / scipy users would build it."""
    P = chain.kernel(float(eps))
    keep = np.flatnonzero(np.arange(chain.n) != chain.target)
    if dense:
        Pd = P.toarray()
        return np.eye(keep.size) - Pd[np.ix_(keep, keep)]
    return (sp.identity(keep.size, format="csr") - P[keep][:, keep]).tocsc()
