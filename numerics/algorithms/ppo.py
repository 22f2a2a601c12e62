"""PPO-Clip fine-tuning with the search advantage (paper Alg. 3; spec 03, claims ppo.*).

Advantage Â(x,y) = 1 if (x,y) ∈ Ê (found sparse edges), else 0. Iteration n: p_old = p̂_{W_n};
maximise J(W) = Σ_x μ(x) Σ_y p_old(y|x)·min(ρ Â, clip(ρ, 1−c, 1+c) Â), ρ = p̂_W(y|x)/p_old(y|x);
since Â ∈ {0, 1}, J = Σ_x μ(x) Σ_{y∈Ê_x} min(p̂_W(y|x), (1+c)·p_old(y|x)).
Inner loops:
  exact – the smallest update reaching the clip boundary: only the logits of Ê_x move, all by the
          same δ(x) with e^δ = (1+c)(1−s)/(1 − (1+c)s), s = p_old(Ê_x|x); then every found edge has
          ρ = 1+c exactly, the other probabilities of the row are scaled by (1−(1+c)s)/(1−s). Works on
          probabilities, so exact (Fractions) for an exact model and rational c.
  gd    – plain gradient ascent W ← W + η∇J until every found edge has ρ ≥ 1+c;
  sign  – sign-gradient ascent W ← W + η·sign(∇J) until every found edge has ρ ≥ 1+c (every logit of the
          row moves: +η on A_x, −η elsewhere, so the found logits gain h = 2η per step on the rest);
  sign-sparse – the same sign step restricted to the found logits, W[x,y] ← W[x,y] + η·sign(∇J[x,y]) for
          y ∈ Ê_x only (the other logits of the row stay fixed): relative gain h = η per step.
  For both sign loops the found logits of a row stay tied (same start ρ = 1, same steps), so after k inner
  steps at found mass s: ρ_k = e^{kh}/(1 − s + s e^{kh}); the loop stops at k* = ⌈δ/h⌉ with
  e^δ = (1+c)(1−s)/(1−(1+c)s), and the per-iteration ratio s_{n+1}/s_n = ρ_{k*} lies in
  [1+c, (1+c)e^h/(1 + (1+c)s(e^h − 1))) ⊂ [1+c, (1+c)e^h)  (`sign_iteration_ratio`, claim ppo.geometric-growth).
∇J[x,y] = μ(x)·p̂(y|x)·(1[y ∈ A_x] − p̂(A_x|x)), A_x = found edges with ρ < 1+c (clipped ones give 0).
Cap: once the found mass s(x) would exceed ε_max the row is set to s(x) = ε_max exactly (found edges
scaled by ε_max/s, the rest by (1−ε_max)/(1−s); a common shift of the found logits) and frozen.
Rows decouple (J is a sum over x and ∇J of row x involves row x only), so the float path runs every source row
on its own support and assembles the per-iteration history afterwards.
The measurements of the claims (TV summaries, the exact first gradient-ascent step, the log-ratio contraction,
the ε → 0 extrapolation of the gradient-ascent drift, the fine-tuned family affine in ε_max) close the module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import parse_number

INNER = ("exact", "gd", "sign", "sign-sparse")

# relative gain of the found logits over the rest of the row per sign step, in units of η
SIGN_SHIFT = {"sign": 2, "sign-sparse": 1}


def n_star(s0, eps_max, c) -> int:
    """Smallest n ≥ 0 with s0·(1+c)^n ≥ ε_max, i.e. ⌈log(ε_max/s0)/log(1+c)⌉ (0 if s0 ≥ ε_max).

    Exact integer arithmetic for rational inputs (no rounding at exact powers); claim ppo.geometric-growth.
    """
    if s0 <= 0:
        raise MetacotError("initial found-edge mass must be positive")
    n, s = 0, s0
    while s < eps_max:
        s = s * (1 + c)
        n += 1
    return n


def sign_iteration_ratio(s, c, h):
    """Closed-form per-iteration ratio s_{n+1}/s_n of a sign inner loop (relative gain h per step: 2η for
    "sign", η for "sign-sparse") started at found mass s with (1+c)s < 1 (float):
    ρ_{k*} = e^{k*h}/(1 − s + s e^{k*h}), k* = ⌈δ/h⌉, e^δ = (1+c)(1−s)/(1−(1+c)s).

    Returns (ratio, k*, frac) with frac = δ/h − ⌊δ/h⌋: when frac or 1 − frac is at rounding level
    (≲ 1e-9) the float loop may stop at k* or at k* ± 1 (a tie on the clip boundary).
    Claim ppo.geometric-growth (sign band).
    """
    s, c, h = float(s), float(c), float(h)
    if not (0 < s and (1 + c) * s < 1 and c > 0 and h > 0):
        raise MetacotError("sign_iteration_ratio needs 0 < s, (1+c)s < 1, c > 0, h > 0")
    delta = math.log1p(c) + math.log1p(-s) - math.log1p(-(1 + c) * s)
    q = delta / h
    k = max(math.ceil(q), 1)
    e = math.exp(k * h)
    return e / (1 - s + s * e), k, q - math.floor(q)


def _rows_of(model: Chain, eps):
    """The pretrained model's kernel: exact dict rows (exact chain, rational ε) or a dense float array."""
    eps = model.check_eps(eps, allow_zero=True)
    if model.exact and isinstance(eps, Fraction):
        return model.kernel_exact(eps), eps
    return model.kernel(eps).toarray(), eps


def _check_edges(edges, n):
    out = {}
    for e in edges:
        if not (isinstance(e, (tuple, list)) and len(e) == 2):
            raise MetacotError(f"found edges must be (x, y) pairs, got {e!r}")
        x, y = e
        for v in (x, y):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) < n:
                raise MetacotError(f"found edge {e!r} has a state outside 0..{n - 1}")
        if int(x) == int(y):
            raise MetacotError(f"found edge {e!r} is a self-loop")
        out.setdefault(int(x), set()).add(int(y))
    return {x: sorted(ys) for x, ys in sorted(out.items())}


@dataclass
class PPOHistory:
    """Per outer iteration: found mass s(x) per source, max-row TV of the step, max-row and μ-weighted
    TV from the pretrained model, the probabilities of the tracked edges (order `edges`), the inner steps
    (the most any source took) and, for the float inner loops, the inner steps of every source that was
    still active ({x: k})."""

    sources: list
    edges: list
    found_mass: list = field(default_factory=list)
    tv_step: list = field(default_factory=list)
    tv_total_max: list = field(default_factory=list)
    tv_total_weighted: list = field(default_factory=list)
    edge_probs: list = field(default_factory=list)
    inner_steps: list = field(default_factory=list)
    inner_steps_per_source: list = field(default_factory=list)


@dataclass
class PPOResult:
    """Fine-tuned kernel, per-source iteration counts (used and predicted n*), and the history."""

    kernel: object            # exact: list of dict rows; float: dense ndarray
    initial: object           # the pretrained kernel, same type
    model: Chain
    eps: object
    eps_max: object
    clip: object
    inner: str
    found: dict               # {x: [y, ...]}
    iterations_per_source: dict
    predicted_per_source: dict
    history: PPOHistory
    mu: np.ndarray

    @property
    def iterations(self) -> int:
        return max(self.iterations_per_source.values(), default=0)

    @property
    def predicted_iterations(self) -> int:
        return max(self.predicted_per_source.values(), default=0)

    @property
    def exact(self) -> bool:
        return isinstance(self.kernel, list)

    def dense(self) -> np.ndarray:
        if self.exact:
            K = np.zeros((self.model.n, self.model.n))
            for x, r in enumerate(self.kernel):
                for y, v in r.items():
                    K[x, y] = float(v)
            return K
        return np.asarray(self.kernel)

    def chain(self, kind: str = "affine") -> Chain:
        """The fine-tuned model as a Chain (pretrain.model_chain forms; its kernel at ε is the result)."""
        from metacot.numerics.algorithms.pretrain import model_chain

        return model_chain(self.kernel, self.model, self.eps, kind=kind, name=f"PPO-fine-tuned {self.model.name}")


def _stationary(K):
    from metacot.numerics.algorithms.pretrain import stationary_law

    return stationary_law(K)


def ppo_clip(model: Chain, eps, found_edges, eps_max, clip, *, inner: str = "exact", eta=None, mu=None,
             max_iter: int = 100000, max_inner: int = 1000000, track=None) -> PPOResult:
    """PPO-Clip (Alg. 3) from the pretrained model `model` evaluated at ε (its kernel is p_old at n = 0).

    Advantage Â(x, y) = 1 on the found edges Ê, else 0, so the clipped surrogate is
    J(W) = Σ_x μ(x) Σ_{y∈Ê_x} min(p̂_W(y|x), (1+c)·p_old(y|x)): every outer iteration multiplies the found
    mass s(x) of a source by at least 1 + c until it is capped at ε_max (the inner loops are described in
    the module docstring). With the exact inner loop s_n = s0·(1+c)^n and the iterations per source are
    n*(x) = ⌈log(ε_max/s0(x))/log(1+c)⌉ (claim ppo.geometric-growth); the rest of each source row is
    scaled by (1 − ε_max)/(1 − s0), so dense edges keep their ratios (ppo.preserves-dense), and the
    fine-tuned chain reaches the target in about h^meta/ε_max steps instead of h^meta/ε
    (ppo.internalises-prm).

    Parameters
    ----------
    model : Chain
        The pretrained model (e.g. ``two_stage_pretrain(...).chain``, or the true chain).
    eps : Fraction, int, str, float
        ε at which the model is evaluated (0 ≤ ε ≤ eps_max of the model).
    found_edges : iterable of (x, y)
        Ê; every found edge must have positive probability under the model.
    eps_max : number or str
        ε_max ∈ (0, 1), the target found mass per source.
    clip : number or str
        c > 0.
    inner : {"exact", "gd", "sign", "sign-sparse"}, default "exact"
        The inner maximisation; "exact" is exact (Fractions) for an exact model at rational ε, ε_max, c.
    eta : float, optional
        Step size of the gd and sign inner loops (required for them).
    mu : array, optional
        Weights μ(x) in J (they matter for "gd" only); default the stationary law of the pretrained kernel.
    max_iter, max_inner : int
        Caps on the outer iterations and on the inner steps per iteration.
    track : iterable of (x, y), optional
        Edges whose probabilities the history records (default: the found edges).

    Returns
    -------
    PPOResult
        ``kernel`` (exact: list of dict rows; else a dense ndarray), ``iterations`` and
        ``predicted_iterations`` (max over sources of the counts and of n*), per-source counts,
        ``history`` (found mass and TV per iteration), ``chain()`` (the fine-tuned model as a Chain).

    Raises
    ------
    MetacotError
        Unknown inner loop, ε_max outside (0, 1), c ≤ 0, a missing η, malformed or zero-probability found
        edges, or a cap (max_iter, max_inner) reached; EpsilonError for ε out of range.

    Examples
    --------
    ring(3, 2, 1) at ε = 1/100, every sparse edge found, ε_max = 1/2, c = 1/5:
    n* = ⌈log(50)/log(6/5)⌉ = 22.

    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> c = ring(3, 2, 1)
    >>> res = ppo_clip(c, "1/100", c.sparse_edges(), "1/2", "1/5")
    >>> res.iterations, res.predicted_iterations
    (22, 22)
    >>> res.kernel[0]                                      # found mass ε_max, dense part × (1 − ε_max)/(1 − s0)
    {0: Fraction(1, 4), 1: Fraction(1, 4), 3: Fraction(1, 2)}
    >>> hitting_time(res.chain(), c.start, c.target, "1/100")      # (K−1)·M/ε_max + K − M − 1
    Fraction(8, 1)
    """
    if inner not in INNER:
        raise MetacotError(f"unknown inner loop {inner!r} (choose from {', '.join(INNER)})")
    K0, eps = _rows_of(model, eps)
    exact = isinstance(K0, list)
    n = model.n
    found = _check_edges(found_edges, n)
    eps_max = parse_number(eps_max, what="eps_max") if isinstance(eps_max, (str, int)) else eps_max
    c = parse_number(clip, what="clip") if isinstance(clip, (str, int)) else clip
    if not 0 < eps_max < 1:
        raise MetacotError(f"eps_max must lie in (0, 1), got {eps_max}")
    if not c > 0:
        raise MetacotError(f"clip c must be positive, got {c}")
    if inner == "exact" and exact and not (isinstance(eps_max, Fraction) and isinstance(c, Fraction)):
        exact = False
        K0 = model.kernel(eps).toarray()
    if inner != "exact":
        if eta is None:
            raise MetacotError(f"inner loop {inner!r} needs a step size eta")
        eta = float(eta)
        if not math.isfinite(eta) or eta <= 0:
            raise MetacotError(f"step size eta must be positive, got {eta!r}")
        if exact:
            exact = False
            K0 = model.kernel(eps).toarray()
    dense0 = K0 if not exact else None
    if exact:
        for x, ys in found.items():
            for y in ys:
                if K0[x].get(y, 0) == 0:
                    raise MetacotError(f"found edge ({x}, {y}) has probability 0 under the model: PPO cannot grow it")
    else:
        for x, ys in found.items():
            if np.any(K0[x, ys] <= 0):
                y = ys[int(np.flatnonzero(K0[x, ys] <= 0)[0])]
                raise MetacotError(f"found edge ({x}, {y}) has probability 0 under the model: PPO cannot grow it")
    Kd = dense0 if dense0 is not None else np.array([[float(r.get(y, 0)) for y in range(n)] for r in K0])
    if mu is None:
        mu = _stationary(Kd)
    mu = np.asarray(mu, dtype=float)
    sources = sorted(found)
    tracked = sorted(set(track) if track is not None else {(x, y) for x, ys in found.items() for y in ys})
    hist = PPOHistory(sources=sources, edges=tracked)
    s0 = {x: (sum((K0[x][y] for y in found[x]), Fraction(0)) if exact else float(K0[x, found[x]].sum()))
          for x in sources}
    predicted = {x: n_star(s0[x], eps_max, c) for x in sources}
    if exact:
        cur, its = _run_exact(K0, found, eps_max, c, max_iter, hist, mu)
        initial = K0
    else:
        cur, its = _run_float(np.array(K0, dtype=float), found, float(eps_max), float(c), inner, eta, mu,
                              max_iter, max_inner, hist)
        initial = np.array(K0, dtype=float)
    return PPOResult(cur, initial, model, eps, eps_max, c, inner, found, its, predicted, hist, mu)


def _record(hist, K, K0, prev, mu, exact, found, inner_steps):
    sources = hist.sources
    if exact:
        hist.found_mass.append({x: sum((K[x][y] for y in found[x]), Fraction(0)) for x in sources})

        def tv(a, b):
            keys = set(a) | set(b)
            return sum((abs(a.get(k, 0) - b.get(k, 0)) for k in keys), Fraction(0)) / 2

        step = [tv(K[x], prev[x]) for x in sources]
        tot = [tv(K[x], K0[x]) for x in sources]
        hist.tv_step.append(max(step, default=Fraction(0)))
        hist.tv_total_max.append(max(tot, default=Fraction(0)))
        hist.tv_total_weighted.append(float(sum(mu[x] * float(v) for x, v in zip(sources, tot))))
        hist.edge_probs.append([K[x].get(y, Fraction(0)) for x, y in hist.edges])
    else:
        hist.found_mass.append({x: float(K[x, found[x]].sum()) for x in sources})
        step = 0.5 * np.abs(K - prev).sum(axis=1)
        tot = 0.5 * np.abs(K - K0).sum(axis=1)
        hist.tv_step.append(float(step.max()))
        hist.tv_total_max.append(float(tot.max()))
        hist.tv_total_weighted.append(float(np.dot(mu, tot)))
        hist.edge_probs.append([float(K[x, y]) for x, y in hist.edges])
    hist.inner_steps.append(inner_steps)


def _run_exact(K0, found, eps_max, c, max_iter, hist, mu):
    """Exact inner maximisation on probabilities (Fractions): found edges ×(1+c), rest ×(1−(1+c)s)/(1−s)."""
    K = [dict(r) for r in K0]
    its = {x: 0 for x in found}
    active = {x for x in found if sum((K[x][y] for y in found[x]), Fraction(0)) < eps_max}
    it = 0
    while active:
        if it >= max_iter:
            raise MetacotError(f"PPO did not reach eps_max within max_iter = {max_iter} iterations")
        prev = [dict(r) for r in K]
        hist.inner_steps_per_source.append({x: 0 for x in sorted(active)})
        for x in sorted(active):
            s = sum((K[x][y] for y in found[x]), Fraction(0))
            s_new = min((1 + c) * s, eps_max)
            up, down = s_new / s, (1 - s_new) / (1 - s)
            fx = set(found[x])
            K[x] = {y: (v * up if y in fx else v * down) for y, v in K[x].items()}
            its[x] += 1
            if s_new >= eps_max:
                active.discard(x)
        it += 1
        _record(hist, K, K0, prev, mu, True, found, 0)
    return K, its


def surrogate_gradient(p, found, active, mu_x):
    """∂J/∂W[x,z] of the clipped surrogate at the current row (rows decouple), for the found edges still below
    the clip boundary (``active`` ⊂ ``found``, indices into ``p``):
        ∇J[x,z] = μ(x)·p(z)·(1[z ∈ A] − s_A),   s_A = Σ_{y∈A} p(y)
    (clipped found edges contribute 0 to J). Works on floats and on Fractions (claim ppo.gd-drift).

    Parameters
    ----------
    p : sequence
        p̂_W(·|x) on the row's support.
    found, active : iterable of int
        Positions of the found edges and of those with ρ < 1 + c.
    mu_x : number
        μ(x).

    Returns
    -------
    list
        The gradient, one entry per position of ``p``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> surrogate_gradient([F(1, 4), F(1, 2), F(1, 4)], [2], [2], F(1, 3))
    [Fraction(-1, 48), Fraction(-1, 24), Fraction(1, 16)]
    """
    A = set(active)
    sA = sum((p[i] for i in A), 0 * p[0])
    return [mu_x * v * ((1 if i in A else 0) - sA) for i, v in enumerate(p)]


def _softmax_list(w):
    m = max(w)
    z = [math.exp(v - m) for v in w]
    Z = math.fsum(z)
    return [v / Z for v in z]


def _sign(v: float) -> float:
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _gd_inner(w, old, fidx, mu_x, eps_max, c, eta, max_inner):
    """The plain gradient-ascent inner loop of one row (the general loop of :func:`_ppo_row_float` with
    :func:`surrogate_gradient` written out, same operations in the same order): logits and steps taken."""
    exp, fsum = math.exp, math.fsum
    one_c = 1 + c
    k = 0
    while True:
        m = max(w)
        z = [exp(v - m) for v in w]
        Z = fsum(z)
        pr = [v / Z for v in z]
        A = [i for i in fidx if pr[i] / old[i] < one_c]
        if not A or fsum(pr[i] for i in fidx) >= eps_max:
            return w, k
        if k >= max_inner:
            raise MetacotError(f"inner gd loop did not reach the clip boundary within {max_inner} steps "
                               "(increase eta or max_inner)")
        sA = 0.0
        for i in A:
            sA += pr[i]
        ind = [0] * len(w)
        for i in A:
            ind[i] = 1
        w = [a + eta * (mu_x * v * (f - sA)) for a, v, f in zip(w, pr, ind)]
        k += 1


def _ppo_row_float(p0, fidx, mu_x, eps_max, c, inner, eta, max_iter, max_inner):
    """PPO-Clip on one row's support (rows decouple): the row after every outer iteration and the inner steps
    each took. ``p0``: the pretrained row on its support (floats); ``fidx``: positions of the found edges."""
    fset = set(fidx)
    cur = list(p0)
    rows, steps = [], []
    s = math.fsum(cur[i] for i in fidx)
    while s < eps_max:
        if len(rows) >= max_iter:
            raise MetacotError(f"PPO did not reach eps_max within max_iter = {max_iter} iterations")
        old = cur
        k = 0
        if inner == "exact":
            target = min((1 + c) * s, eps_max)
            up, down = target / s, (1 - target) / (1 - s)
            new = [v * up if i in fset else v * down for i, v in enumerate(old)]
        elif inner == "gd":
            w, k = _gd_inner([math.log(v) for v in old], old, fidx, mu_x, eps_max, c, eta, max_inner)
            new = _softmax_list(w)
            s_new = math.fsum(new[i] for i in fidx)
            if s_new > eps_max:  # cap: land exactly on eps_max (common shift of the found logits)
                up, down = eps_max / s_new, (1 - eps_max) / (1 - s_new)
                new = [v * up if i in fset else v * down for i, v in enumerate(new)]
        else:
            w = [math.log(v) for v in old]
            while True:
                pr = _softmax_list(w)
                A = [i for i in fidx if pr[i] / old[i] < 1 + c]
                if not A or math.fsum(pr[i] for i in fidx) >= eps_max:
                    break
                if k >= max_inner:
                    raise MetacotError(f"inner {inner} loop did not reach the clip boundary within {max_inner} "
                                       "steps (increase eta or max_inner)")
                g = surrogate_gradient(pr, fidx, A, mu_x)
                if inner == "gd":
                    w = [a + eta * b for a, b in zip(w, g)]
                elif inner == "sign":
                    w = [a + eta * _sign(b) for a, b in zip(w, g)]
                else:  # sign-sparse: only the found logits move
                    w = [a + eta * _sign(b) if i in fset else a for i, (a, b) in enumerate(zip(w, g))]
                k += 1
            new = _softmax_list(w)
            s_new = math.fsum(new[i] for i in fidx)
            if s_new > eps_max:  # cap: land exactly on eps_max (common shift of the found logits)
                up, down = eps_max / s_new, (1 - eps_max) / (1 - s_new)
                new = [v * up if i in fset else v * down for i, v in enumerate(new)]
        cur = new
        rows.append(cur)
        steps.append(k)
        s = math.fsum(cur[i] for i in fidx)
        if s >= eps_max * (1 - 1e-15):  # float landing on eps_max (rounding only)
            break
    return rows, steps


def _run_float(K, found, eps_max, c, inner, eta, mu, max_iter, max_inner, hist):
    """Float PPO, row by row (exact / gd / sign / sign-sparse inner loop on the row's logits W = log p over
    its support, then the cap); the history is assembled per outer iteration afterwards."""
    K0 = K.copy()
    its = {x: 0 for x in found}
    per_row = {}
    for x, ys in found.items():
        support = [int(j) for j in np.flatnonzero(K0[x] > 0)]
        pos = {j: i for i, j in enumerate(support)}
        rows, steps = _ppo_row_float([float(K0[x, j]) for j in support], [pos[y] for y in ys], float(mu[x]),
                                     eps_max, c, inner, eta, max_iter, max_inner)
        per_row[x] = (support, rows, steps)
        its[x] = len(rows)
    n_it = max(its.values(), default=0)
    prev = K0.copy()
    for it in range(n_it):
        cur = prev.copy()
        step_of = {}
        for x, (support, rows, steps) in per_row.items():
            if it < len(rows):
                cur[x] = 0.0
                cur[x, support] = rows[it]
                step_of[x] = steps[it]
        _record(hist, cur, K0, prev, mu, False, found, max(step_of.values(), default=0))
        hist.inner_steps_per_source.append(step_of)
        prev = cur
    return prev, its


# ----------------------------------------------------------------------------- measurements of the claims
@dataclass
class RowChange:
    """How PPO changed one source row x: TV(p_new(x,·), p_old(x,·)), the initial found mass s₀(x), the
    factors p_new/p_old of the non-found entries (one value when the dense ratios are kept), and of the
    initial dense conditional law p̄ = p_old restricted to the non-found support, normalised: its spread
    Δp = max − min of the dense probabilities p_old(x,z) and Σ p̄² (claims ppo.preserves-dense, ppo.gd-drift)."""

    row: int
    tv: object
    s0: object
    factors: list
    dense: list
    delta_p: object
    sum_pbar2: object


@dataclass
class TVSummary:
    """Per source row its :class:`RowChange`; the TV of every row without found edges; the stationary-weighted
    TV_μ = Σ_x μ(x) TV_x, μ(sources), m₀ = Σ_{x source} μ(x) s₀(x) (μ the stationary law of the pretrained
    kernel: exact for an exact run); n_out = most sources in one cluster, M_min = smallest cluster size."""

    rows: dict
    untouched: dict
    tv_mu: object
    mu_sources: object
    m0: object
    n_out: int
    M_min: int


def _tv(a, b):
    keys = set(a) | set(b)
    return sum((abs(a.get(k, 0) - b.get(k, 0)) for k in keys), 0 * next(iter(a.values()))) / 2


def tv_summary(result: PPOResult) -> TVSummary:
    """What a PPO run moved, row by row and weighted by the stationary law (exact for exact runs).

    Parameters
    ----------
    result : PPOResult

    Returns
    -------
    TVSummary

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from metacot.numerics.families import ring
    >>> chain = ring(3, 3, 1)
    >>> r = ppo_clip(chain, F(1, 1000), list(chain.sparse_edges()), F(1, 10), F(1, 2))
    >>> t = tv_summary(r)
    >>> t.rows[0].tv, t.rows[0].factors, t.tv_mu == F(1, 10) * t.mu_sources - t.m0
    (Fraction(99, 1000), [Fraction(100, 111)], True)
    """
    from metacot.numerics.solvers.stationary import stationary_distribution

    chain = result.model
    n = chain.n
    if result.exact:
        old = [dict(r) for r in result.initial]
        new = [dict(r) for r in result.kernel]
        mu = stationary_distribution([[old[i].get(j, Fraction(0)) for j in range(n)] for i in range(n)])
    else:
        K0, K1 = np.asarray(result.initial), np.asarray(result.kernel)
        old = [{j: float(K0[i, j]) for j in np.flatnonzero(K0[i] > 0)} for i in range(n)]
        new = [{j: float(K1[i, j]) for j in np.flatnonzero((K1[i] > 0) | (K0[i] > 0))} for i in range(n)]
        mu = [float(v) for v in stationary_distribution(K0)]
    rows, untouched = {}, {}
    zero = Fraction(0) if result.exact else 0.0
    for x in range(n):
        if x not in result.found:
            untouched[x] = _tv(new[x], old[x])
            continue
        fy = set(result.found[x])
        s0 = sum((v for y, v in old[x].items() if y in fy), zero)
        rest = sorted(y for y, v in old[x].items() if y not in fy and v > 0)
        factors = sorted({new[x].get(y, zero) / old[x][y] for y in rest})
        dense = [old[x][y] for y in rest]
        tot = sum(dense, zero)
        rows[x] = RowChange(x, _tv(new[x], old[x]), s0, factors, dense,
                            (max(dense) - min(dense)) if dense else zero,
                            sum(((v / tot) ** 2 for v in dense), zero) if dense else zero)
    tv_mu = sum((mu[x] * r.tv for x, r in rows.items()), zero) + sum((mu[x] * v for x, v in untouched.items()), zero)
    mu_S = sum((mu[x] for x in rows), zero)
    m0 = sum((mu[x] * r.s0 for x, r in rows.items()), zero)
    lab = chain.cluster_of
    n_out = max((sum(1 for x in rows if lab[x] == k) for k in range(chain.K)), default=0)
    return TVSummary(rows, untouched, tv_mu, mu_S, m0, n_out, min(len(cl) for cl in chain.clusters))


def gd_step_exact(p_row, found, mu_x, eta):
    """One plain gradient-ascent step on a row given by exact probabilities (W = log p_old, every found edge
    at ρ = 1 < 1 + c): ΔW = η·:func:`surrogate_gradient` in Fractions (claim ppo.gd-drift, "exact through
    one step").

    Parameters
    ----------
    p_row : dict
        {y: Fraction} the row p_old(x,·) on its support.
    found : iterable of int
        The found edges' targets y.
    mu_x, eta : Fraction

    Returns
    -------
    dict
        {y: ΔW[x,y]}.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> d = gd_step_exact({0: F(1, 4), 1: F(3, 4) - F(1, 100), 2: F(1, 100)}, [2], F(2, 5), F(5))
    >>> d[2], sum(d.values())
    (Fraction(99, 5000), Fraction(0, 1))
    """
    ys = sorted(p_row)
    pos = [i for i, y in enumerate(ys) if y in set(found)]
    g = surrogate_gradient([p_row[y] for y in ys], pos, pos, mu_x)
    return {y: eta * v for y, v in zip(ys, g)}


def log_ratio_contraction(result: PPOResult, x: int):
    """κ = log(p_new(z)/p_new(z'))/log(p_old(z)/p_old(z')) for the largest and smallest non-found probabilities
    z, z' of source row x (p_old(z) > p_old(z')): 1 when the dense ratios are kept, in (0, 1) when the row
    contracts toward uniform with the order kept (claim ppo.gd-drift). Float.

    Parameters
    ----------
    result : PPOResult
    x : int
        A source row.

    Returns
    -------
    float

    Raises
    ------
    MetacotError
        Fewer than two non-found entries, or all of them equal.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from metacot.numerics.families import two_one
    >>> chain = two_one()
    >>> r = ppo_clip(chain, F(1, 1000), list(chain.sparse_edges()), F(1, 20), F(1, 2), inner="gd", eta=5)
    >>> 0 < log_ratio_contraction(r, 0) < 1
    True
    """
    n = result.model.n
    old = (np.array([[float(r.get(j, 0)) for j in range(n)] for r in result.initial]) if result.exact
           else np.asarray(result.initial, dtype=float))
    new = result.dense()
    fy = set(result.found.get(x, []))
    rest = [y for y in range(old.shape[1]) if y not in fy and old[x, y] > 0]
    if len(rest) < 2:
        raise MetacotError(f"row {x} has fewer than two non-found entries: no ratio to contract")
    hi = max(rest, key=lambda y: old[x, y])
    lo = min(rest, key=lambda y: old[x, y])
    if old[x, hi] == old[x, lo]:
        raise MetacotError(f"row {x}: the non-found probabilities are equal (nothing to contract)")
    return math.log(new[x, hi] / new[x, lo]) / math.log(old[x, hi] / old[x, lo])


def gd_drift_tv_limit(p0_row, found, eps_list, eps_max, c, eta_mu, *, max_inner: int = 10**8):
    """lim_{ε→0} TV(p_new(x,·), p_old(x,·)) of the plain gradient-ascent loop on one source row, extrapolated.

    The row at ε is p_old = (1 − ε q(x))·P0(x,·) + ε Σ_y q(x,y) δ_y (``p0_row``: {y: P0(x,y)}, ``found``:
    {y: q(x,y)}); PPO runs with the effective step η·μ(x) = ``eta_mu`` (rows decouple, only the product enters).
    TV(ε) at ε = eps_list (decreasing by a constant factor) approaches its limit geometrically (the dense
    log-ratios contract like s₀^{1/(m+1)}, m dense states); Aitken's Δ² on the last three values gives the
    estimate, and the error is three times its change from the previous triple plus 10⁻¹² (a-posteriori;
    claim ppo.gd-drift-limit).

    Parameters
    ----------
    p0_row : dict
        {y: P0(x, y)}, the base row.
    found : dict
        {y: q(x, y)}, the found edges and their weights.
    eps_list : sequence
        ≥ 4 values of ε, decreasing by a constant factor, with 0 < ε q(x) < ε_max.
    eps_max, c : number
        Cap and clip.
    eta_mu : float
        Effective step η·μ(x).
    max_inner : int
        Most inner steps per iteration.

    Returns
    -------
    (float, float, list)
        The estimate, its error and TV(ε) for every ε.

    Raises
    ------
    MetacotError
        Fewer than four ε, or an initial found mass outside (0, ε_max).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> v, err, tvs = gd_drift_tv_limit({0: F(1, 4), 1: F(3, 4)}, {2: 1}, [1e-2, 1e-3, 1e-4, 1e-5], 0.05, 0.5, 2.0)
    >>> abs(v - 0.275) <= err < 0.01
    True
    """
    from metacot.numerics.algorithms.pretrain import aitken

    if len(eps_list) < 4:
        raise MetacotError("gd_drift_tv_limit needs at least four values of eps")
    ys = sorted(set(p0_row) | set(found))
    qx = float(sum(found.values()))
    fidx = [i for i, y in enumerate(ys) if y in found]
    tvs = []
    for e in eps_list:
        e = float(e)
        if not 0 < e * qx < float(eps_max):
            raise MetacotError(f"eps = {e}: the initial found mass must lie in (0, eps_max)")
        old = [(1 - e * qx) * float(p0_row.get(y, 0)) + e * float(found.get(y, 0)) for y in ys]
        rows, _ = _ppo_row_float(old, fidx, 1.0, float(eps_max), float(c), "gd", float(eta_mu), 10**6, max_inner)
        tvs.append(0.5 * math.fsum(abs(a - b) for a, b in zip(rows[-1] if rows else old, old)))
    a1, a2 = aitken(*tvs[-4:-1]), aitken(*tvs[-3:])
    return a2, 3 * abs(a2 - a1) + 1e-12, tvs


def fine_tuned_family(model: Chain, eps, found_edges, clip, eps_max_values, *, inner: str = "exact") -> Chain:
    """The fine-tuned kernels of exact PPO as one chain affine in s = ε_max: P0' + s·P1' through the kernels at the
    first two ``eps_max_values``, checked exactly at every further value (MetacotError if they are not on that
    line). Its Laurent expansion in s gives lim ε_max·E[τ] (claim ppo.internalises-prm).

    Parameters
    ----------
    model : Chain
        The exact pretrained model.
    eps : Fraction
        Its ε.
    found_edges : list of (int, int)
    clip : Fraction
    eps_max_values : sequence of Fraction
        At least three distinct caps.
    inner : str
        Inner loop (exact runs only).

    Returns
    -------
    Chain
        Same clusters, start and target; exact.

    Raises
    ------
    MetacotError
        Fewer than three values, a non-exact run, or kernels off the line.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from metacot.numerics.families import ring
    >>> chain = ring(3, 2, 1)
    >>> G = fine_tuned_family(chain, F(1, 10**6), list(chain.sparse_edges()), F(1, 2), [F(1, 100), F(1, 50), F(1, 20)])
    >>> G.kernel_exact(F(1, 20)) == ppo_clip(chain, F(1, 10**6), list(chain.sparse_edges()), F(1, 20), F(1, 2)).kernel
    True
    """
    vals = [parse_number(v, what="eps_max") if isinstance(v, (str, int)) else v for v in eps_max_values]
    if len(vals) < 3 or len(set(vals)) != len(vals):
        raise MetacotError("fine_tuned_family needs at least three distinct eps_max values")
    runs = [ppo_clip(model, eps, found_edges, v, clip, inner=inner) for v in vals]
    if not all(r.exact for r in runs):
        raise MetacotError("fine_tuned_family needs an exact model, rational eps, eps_max and clip")
    a, b = vals[0], vals[1]
    Ka, Kb = runs[0].kernel, runs[1].kernel
    n = model.n
    P1 = {}
    P0 = {}
    for x in range(n):
        for y in set(Ka[x]) | set(Kb[x]):
            va, vb = Ka[x].get(y, Fraction(0)), Kb[x].get(y, Fraction(0))
            slope = (vb - va) / (b - a)
            P0[(x, y)] = va - a * slope
            if slope:
                P1[(x, y)] = slope
    G = Chain(n, {k: v for k, v in P0.items() if v}, P1, model.clusters, start=model.start, target=model.target,
              name=f"PPO-fine-tuned {model.name} (affine in eps_max)")
    for v, r in zip(vals[2:], runs[2:]):
        if G.kernel_exact(v) != [{y: p for y, p in row.items() if p} for row in r.kernel]:
            raise MetacotError(f"the fine-tuned kernel at eps_max = {v} is not affine in eps_max")
    return G
