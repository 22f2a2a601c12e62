"""Monte Carlo simulation of P(ε) = P0 + ε·P1: vectorised walkers with per-row alias tables (spec 06).

`KernelSampler(chain, eps, seed)` advances many walkers one step at a time: for a walker at x it
draws one uniform u, picks the slot k = ⌊u·deg(x)⌋ of row x and keeps column k with probability
prob[k] (using the fractional part of u·deg(x) as the second uniform), else takes alias[k]
(Walker/Vose alias method, O(1) per walker-step). Tables are built for all rows at once
(vectorised over rows, one Vose pairing per row per pass).

Every stochastic routine takes a `seed` (numpy `default_rng(seed)`): same seed ⇒ same output.
Used by claims hitting.escape-law (exit-time law) and by tests cross-checking exact hitting times.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from metacot.numerics.numbers import Estimate
from metacot.numerics.chain import Chain
from metacot.numerics.errors import LimitError, MetacotError, UnreachableTargetError


class SimulationTruncatedError(MetacotError):
    """Some walkers did not hit the target within max_steps; the partial sample is attached.

    Attributes: `times` (int64; −1 where not hit), `hit` (bool mask), `max_steps`.
    """

    def __init__(self, message, times=None, hit=None, max_steps=None):
        super().__init__(message)
        self.times = times
        self.hit = hit
        self.max_steps = max_steps


def _alias_tables(P: sp.csr_matrix):
    """Alias tables of every row of a stochastic CSR matrix, built for all rows in parallel.

    Returns (offset, degree, prob, alias_col): for row x, slots offset[x] .. offset[x]+degree[x]−1;
    slot e holds column col[e] with probability prob[e] and alias_col[e] otherwise.
    Vose pairing: per row a queue of 'small' slots (scaled weight < 1) and a stack of 'large' ones;
    each pass pairs one small with one large in every row that still has both.
    """
    P = sp.csr_matrix(P)
    P.sort_indices()
    n = P.shape[0]
    indptr = P.indptr.astype(np.int64)
    deg = np.diff(indptr)
    if np.any(deg == 0):
        x = int(np.flatnonzero(deg == 0)[0])
        raise MetacotError(f"row {x} of the kernel is empty")
    col = P.indices.astype(np.int64)
    rows = np.repeat(np.arange(n), deg)
    rowsum = np.asarray(P.sum(axis=1)).ravel()
    w = P.data / rowsum[rows] * deg[rows]  # scaled weights, mean 1 per row
    prob = np.ones_like(w)
    alias = col.copy()
    small = w < 1.0
    # per-row buffers (slots indptr[x] .. indptr[x+1]-1): smalls as a queue, larges as a stack, each in
    # slot order; an entry's place is the number of entries of its kind before it in its row (prefix counts)
    sbuf = np.empty(len(w), dtype=np.int64)
    lbuf = np.empty(len(w), dtype=np.int64)
    cs = np.cumsum(small, dtype=np.int64)
    cs0 = np.concatenate([[0], cs])
    ns = cs0[indptr[1:]] - cs0[indptr[:-1]]
    nl = deg - ns
    D = cs - np.repeat(cs0[indptr[:-1]], deg)                # smalls of the row up to and including e
    es = np.flatnonzero(small)
    sbuf[np.repeat(indptr[:-1], deg)[es] + D[es] - 1] = es    # k-th small of row x → sbuf[indptr[x] + k]
    el = np.flatnonzero(~small)
    lbuf[el - D[el]] = el                                     # k-th large of row x → lbuf[indptr[x] + k]
    s_head = np.zeros(n, dtype=np.int64)   # queue head (next small to take)
    s_tail = ns.copy()                     # queue tail (next free slot)
    l_top = nl.copy()                      # stack size
    active = np.flatnonzero((s_tail > s_head) & (l_top > 0))
    while active.size:
        base = indptr[active]
        s = sbuf[base + s_head[active]]
        l_ = lbuf[base + l_top[active] - 1]
        s_head[active] += 1
        prob[s] = w[s]
        alias[s] = col[l_]
        w[l_] = (w[l_] + w[s]) - 1.0
        became_small = w[l_] < 1.0
        a2 = active[became_small]
        l_top[a2] -= 1
        sbuf[indptr[a2] + s_tail[a2]] = l_[became_small]
        s_tail[a2] += 1
        active = active[(s_tail[active] > s_head[active]) & (l_top[active] > 0)]
    # leftovers (rounding): prob stays 1, alias = own column
    return indptr[:-1].copy(), deg, prob, alias, col


class KernelSampler:
    """Vectorised one-step sampler of P(ε) for many walkers (alias tables; seeded numpy Generator).

    KernelSampler(chain, eps, seed=None, rng=None, *, threads=1); `.n` states; `.step(states)` returns
    the next states (int64 array of the same shape). Pass `rng` to share a Generator, else `seed` is
    used. threads > 1 splits walkers over worker threads (numpy releases the GIL), each part with its
    own stream spawned from the seed: deterministic for a given (seed, threads).
    Precision: one 53-bit uniform per walker-step (slot choice and acceptance share it), so a
    transition probability is resolved to ~2^-53·deg(x); transitions with probability below that
    (e.g. ε ≲ 1e-15) are effectively never sampled — Monte Carlo is for moderate ε only.
    """

    BLOCK = 1 << 16  # walkers per vectorised block: keeps the temporaries in cache (≈3× faster)

    def __init__(self, chain: Chain, eps, seed=None, rng=None, *, threads: int = 1):
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise MetacotError("rng must be a numpy Generator (np.random.default_rng(seed))")
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise MetacotError(f"threads must be a positive integer, got {threads!r}")
        self.chain = chain
        self.eps = chain.check_eps(eps, allow_zero=True)
        self.n = chain.n
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.threads = threads
        # threads > 1: walker array split into `threads` contiguous parts, each with its own stream
        # spawned from self.rng (deterministic for a given seed and thread count).
        self._rngs = self.rng.spawn(threads) if threads > 1 else [self.rng]
        self._pool = None
        self.kernel = chain.kernel(self.eps)
        off, deg, prob, alias, col = _alias_tables(self.kernel)
        idx = np.int32 if self.n < 2**31 - 1 and len(col) < 2**31 - 1 else np.int64
        self._off = off.astype(idx)
        self._degf = deg.astype(np.float64)
        self._degm1 = (deg - 1).astype(idx)
        self._prob = prob
        self._col = col.astype(idx)
        self._alias = alias.astype(idx)

    def _step_block(self, s, rng, out):
        u = rng.random(s.size)
        x = u * self._degf[s]
        k = x.astype(self._off.dtype)
        np.minimum(k, self._degm1[s], out=k)
        frac = x - k
        e = self._off[s] + k
        out[:] = np.where(frac < self._prob[e], self._col[e], self._alias[e])

    def _step_part(self, s, rng, out):
        B = self.BLOCK
        for j in range(0, s.size, B):
            self._step_block(s[j:j + B], rng, out[j:j + B])

    def step(self, states: np.ndarray) -> np.ndarray:
        """One step of P(ε) for every walker: X_{t+1} given X_t = states (int64 array, any shape)."""
        s = np.asarray(states)
        shape = s.shape
        s = s.reshape(-1)
        if s.size and (s.dtype.kind not in "iu" or s.min() < 0 or s.max() >= self.n):
            raise MetacotError(f"walker states must be integers in 0..{self.n - 1}")
        out = self._advance(s.astype(self._off.dtype, copy=False))
        return out.astype(np.int64).reshape(shape)

    def _advance(self, s):
        """Unchecked step on a flat array of the internal index dtype."""
        out = np.empty_like(s)
        if self.threads == 1:
            self._step_part(s, self._rngs[0], out)
        else:
            self._threaded(s, out)
        return out

    def _threaded(self, s, out):
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads)
        bounds = np.linspace(0, s.size, self.threads + 1).astype(np.int64)
        futs = [self._pool.submit(self._step_part, s[bounds[i]:bounds[i + 1]], self._rngs[i],
                                  out[bounds[i]:bounds[i + 1]]) for i in range(self.threads)]
        for f in futs:
            f.result()

    def run(self, states: np.ndarray, steps: int) -> np.ndarray:
        """X_steps for walkers started at `states` (no trajectory kept)."""
        s = np.asarray(self.step(np.asarray(states)), dtype=self._off.dtype) if steps > 0 else np.asarray(states)
        for _ in range(int(steps) - 1):
            s = self._advance(s)
        return np.asarray(s, dtype=np.int64)


def _check_state(chain, x, what):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= int(x) < chain.n:
        raise MetacotError(f"unknown {what} state {x!r} (states are 0..{chain.n - 1})")
    return int(x)


def _target_mask(chain, target):
    ts = [target] if isinstance(target, (int, np.integer)) and not isinstance(target, bool) else list(target)
    if not ts:
        raise MetacotError("target set is empty")
    mask = np.zeros(chain.n, dtype=bool)
    for y in ts:
        mask[_check_state(chain, y, "target")] = True
    return mask


def sample_trajectory(chain: Chain, eps, start, T, seed) -> np.ndarray:
    """One trajectory X_0 = start, X_1, …, X_T of P(ε) (int64 array of length T+1)."""
    x0 = _check_state(chain, start, "start")
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise MetacotError(f"T must be a non-negative integer, got {T!r}")
    sampler = KernelSampler(chain, eps, seed=seed)
    out = np.empty(int(T) + 1, dtype=np.int64)
    s = np.array([x0], dtype=np.int64)
    out[0] = x0
    for t in range(1, int(T) + 1):
        s = sampler.step(s)
        out[t] = s[0]
    return out


def simulate_hitting_times(chain: Chain, eps, start, target, n_walkers, seed, max_steps=None) -> np.ndarray:
    """Raw sample of τ = inf{t ≥ 0 : X_t ∈ target} for n_walkers independent walkers from `start`.

    `start`: one state, or an int array of n_walkers start states (e.g. drawn from π_k; claim hitting.escape-law).

    Returns an int64 array of length n_walkers. If the target is not hit almost surely, raises
    UnreachableTargetError. If max_steps is given and some walker has not hit by then, raises
    SimulationTruncatedError carrying the partial sample (never truncated silently into a mean).
    """
    from metacot.numerics.solvers.reduction import almost_sure_states_csr

    tmask = _target_mask(chain, target)
    if isinstance(n_walkers, bool) or not isinstance(n_walkers, (int, np.integer)) or n_walkers < 1:
        raise MetacotError(f"n_walkers must be a positive integer, got {n_walkers!r}")
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                  or max_steps < 0):
        raise MetacotError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    n_walkers = int(n_walkers)
    if np.ndim(start) == 0:
        starts = np.full(n_walkers, _check_state(chain, start, "start"), dtype=np.int64)
    else:  # one start state per walker (e.g. drawn from a law π_k)
        starts = np.asarray(start)
        if starts.shape != (n_walkers,) or starts.dtype.kind not in "iu":
            raise MetacotError(f"start must be a state or an integer array of length n_walkers = {n_walkers}")
        if starts.size and (starts.min() < 0 or starts.max() >= chain.n):
            raise MetacotError(f"start states must lie in 0..{chain.n - 1}")
        starts = starts.astype(np.int64)
    sampler = KernelSampler(chain, eps, seed=seed)
    ok = almost_sure_states_csr(sampler.kernel, tmask)
    bad = ~ok[starts]
    if bad.any():
        x0 = int(starts[np.flatnonzero(bad)[0]])
        raise UnreachableTargetError(f"the target is not hit almost surely from state {x0}: tau is infinite "
                                     "with positive probability")
    if max_steps is None:
        check_simulation_cost(chain, eps, starts, tmask)
    times = np.full(n_walkers, -1, dtype=np.int64)
    at_target = tmask[starts]
    times[at_target] = 0
    idx = np.flatnonzero(~at_target)
    s = starts[idx].astype(sampler._off.dtype)
    t = 0
    limit = math.inf if max_steps is None else int(max_steps)
    while idx.size and t < limit:
        s = sampler._advance(s)
        t += 1
        hit = tmask[s]
        if hit.any():
            times[idx[hit]] = t
            keep = ~hit
            idx, s = idx[keep], s[keep]
    if idx.size:
        hitmask = times >= 0
        raise SimulationTruncatedError(
            f"{idx.size} of {n_walkers} walkers did not hit the target within max_steps = {max_steps}",
            times=times, hit=hitmask, max_steps=max_steps)
    return times


#: guard rails of a simulation without max_steps: expected walker-steps (≈ 15 s at 6e7 walker-steps/s)
#: and expected length of the step loop, E[τ]·(1 + ln N) iterations of a few µs each
MC_WALKER_STEPS_MAX = 10**9
MC_LOOP_STEPS_MAX = 5 * 10**6


def check_simulation_cost(chain: Chain, eps, starts, tmask) -> None:
    """LimitError when simulating τ from `starts` would be too long, estimated from the float solver.

    The expected cost is N·mean E_x[τ] walker-steps and about max E_x[τ]·(1 + ln N) loop steps
    (the slowest of N walkers); both have budgets (MC_WALKER_STEPS_MAX, MC_LOOP_STEPS_MAX).
    """
    from metacot.numerics.solvers.hitting import expected_hitting_times

    h = np.asarray(expected_hitting_times(chain, np.flatnonzero(tmask).tolist(), eps, method="float"))[starts]
    if not np.all(np.isfinite(h)):
        return
    N = int(starts.size)
    walker_steps = float(h.sum())
    loop = float(h.max()) * (1.0 + math.log(max(N, 1)))
    if walker_steps > MC_WALKER_STEPS_MAX or loop > MC_LOOP_STEPS_MAX:
        raise LimitError(f"Monte Carlo: the float solver puts E[tau] at {float(h.mean()):.3g} steps, so {N} walkers "
                         f"need about {walker_steps:.2g} walker-steps (budget {MC_WALKER_STEPS_MAX:.0e}) and "
                         f"{loop:.2g} loop steps (budget {MC_LOOP_STEPS_MAX:.0e}); use a solver for the value "
                         "(method float, mp or exact), or set max_steps (--max-steps S) to simulate at most S steps "
                         "per walker")


@dataclass(frozen=True)
class MonteCarloEstimate(Estimate):
    """A Monte Carlo estimate of E[τ]: :class:`~metacot.numerics.numbers.Estimate` (mean, se, n) plus the raw
    ``sample`` when requested; ``stderr`` and ``n_walkers`` name se and n. Claims take it as a statistical
    value directly."""

    sample: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def stderr(self) -> float:
        return self.se

    @property
    def n_walkers(self) -> int:
        return self.n

    def ci(self, z: float = 1.96):
        """The two-sided normal interval mean ± z·se (default z = 1.96: 95 %)."""
        return super().ci(z)


def monte_carlo_hitting_time(chain: Chain, start, target, eps, n_walkers, seed, *, max_steps=None,
                             return_sample: bool = False) -> MonteCarloEstimate:
    """Monte Carlo estimate of E_start[τ_target] at P(ε), in steps: sample mean, standard error, raw sample.

    `n_walkers` independent walkers from `start` (vectorised alias-table sampler, seeded), each run until
    it hits the target: τ̄ = mean of the sample, se = s/√n with s the sample standard deviation (ddof 1).
    The method "mc" of :func:`~metacot.numerics.solvers.hitting.hitting_time`, and the independent
    second method of the tests that cross-check the exact solvers. Meant for moderate ε (expected cost
    n·E[τ] walker-steps; transitions of probability below about 1e-15 are never sampled).

    Parameters
    ----------
    chain : Chain
    start : int or int array
        One start state, or one start state per walker (length n_walkers).
    target : int or iterable of int
    eps : Fraction, int, str, float
        ε with 0 ≤ ε ≤ eps_max.
    n_walkers : int
        At least 2 (for a standard error).
    seed : int or None
        numpy ``default_rng(seed)``: the same seed gives the same sample.
    max_steps : int, optional
        Stop every walker after this many steps; walkers still running raise SimulationTruncatedError
        (with the partial sample). Without it, a simulation predicted to be too long is refused.
    return_sample : bool, default False
        Keep the raw int64 sample in ``.sample``.

    Returns
    -------
    MonteCarloEstimate
        ``mean``, ``stderr``, ``n_walkers``, ``sample``; ``ci(z)`` the interval mean ± z·stderr.

    Raises
    ------
    UnreachableTargetError
        The target is not hit almost surely from a start state.
    SimulationTruncatedError
        Some walker did not hit within `max_steps`.
    LimitError
        Without `max_steps`: the float solver predicts more than 10⁹ walker-steps or 5·10⁶ loop steps.
    MetacotError
        Fewer than 2 walkers, unknown states; EpsilonError for ε out of range.

    Examples
    --------
    ring(3, 2, 1) at ε = 1/10 has E[τ] = 40 steps exactly:

    >>> from metacot.numerics.families import ring
    >>> c = ring(3, 2, 1)
    >>> est = monte_carlo_hitting_time(c, c.start, c.target, "1/10", 4000, seed=0)
    >>> est.n_walkers, abs(est.mean - 40) < 4 * est.stderr
    (4000, True)
    """
    if isinstance(n_walkers, (int, np.integer)) and not isinstance(n_walkers, bool) and n_walkers < 2:
        raise MetacotError("n_walkers must be at least 2 to estimate a standard error")
    tau = simulate_hitting_times(chain, eps, start, target, n_walkers, seed, max_steps=max_steps)
    x = tau.astype(np.float64)
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    return MonteCarloEstimate(mean, se, int(x.size), tau if return_sample else None)


# ----------------------------------------------------------------------------- empirical laws
def dkw_halfwidth(n: int, alpha) -> float:
    """c = sqrt(ln(2/α)/(2n)): the half-width of the Dvoretzky–Kiefer–Wolfowitz band with Massart's
    constant, P(sup_s |F_n(s) − F(s)| > c) ≤ α for the empirical CDF F_n of n i.i.d. draws from any law F
    (valid for every n, discrete laws included; conservative). A Kolmogorov–Smirnov test at level α
    rejects F when F leaves the band. Claim hitting.escape-law (Monte Carlo part).

    Examples
    --------
    >>> round(dkw_halfwidth(10000, 1e-3), 6)
    0.019495
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise MetacotError(f"n must be a positive integer, got {n!r}")
    a = float(alpha)
    if not 0 < a < 1:
        raise MetacotError(f"alpha must lie in (0, 1), got {alpha!r}")
    return math.sqrt(math.log(2.0 / a) / (2.0 * int(n)))


def empirical_survival(sample, thresholds) -> list[float]:
    """Ŝ(T) = #{i : sample_i > T}/n for each threshold T (the empirical survival function).

    Examples
    --------
    >>> empirical_survival(np.array([1, 2, 3, 4]), [0, 2.5, 4])
    [1.0, 0.5, 0.0]
    """
    x = np.sort(np.asarray(sample))
    if x.size == 0:
        raise MetacotError("the sample is empty")
    n = x.size
    return [float(n - np.searchsorted(x, float(T), side="right")) / n for T in thresholds]
