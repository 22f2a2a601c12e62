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
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.numbers import parse_number
from metacot.numerics.algorithms.pretrain import softmax_rows

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
    TV from the pretrained model, and the probabilities of the tracked edges (order `edges`)."""

    sources: list
    edges: list
    found_mass: list = field(default_factory=list)
    tv_step: list = field(default_factory=list)
    tv_total_max: list = field(default_factory=list)
    tv_total_weighted: list = field(default_factory=list)
    edge_probs: list = field(default_factory=list)
    inner_steps: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"sources": self.sources, "edges": [list(e) for e in self.edges], "found_mass": self.found_mass,
                "tv_step": self.tv_step, "tv_total_max": self.tv_total_max,
                "tv_total_weighted": self.tv_total_weighted, "edge_probs": self.edge_probs,
                "inner_steps": self.inner_steps}


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

    found_edges: Ê as (x, y) pairs; eps_max ∈ (0, 1); clip c > 0; inner ∈ {exact, gd, sign, sign-sparse}
    (η needed for all but exact; see the module docstring). μ (weights in J; matters for gd only): default the stationary law of the pretrained kernel.
    Returns per-source iteration counts and n*(x) = ⌈log(ε_max/s0(x))/log(1+c)⌉, s0 = initial found mass.
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


def _run_float(K, found, eps_max, c, inner, eta, mu, max_iter, max_inner, hist):
    """Float PPO on logits W = log p (−inf where p = 0), exact / gd / sign inner loop, then the cap."""
    K0 = K.copy()
    n = K.shape[0]
    its = {x: 0 for x in found}
    F = np.zeros((n, n), dtype=bool)
    for x, ys in found.items():
        F[x, ys] = True
    with np.errstate(divide="ignore"):
        W = np.log(K)
    sup = K > 0
    active = {x for x in found if K[x, found[x]].sum() < eps_max}
    it = 0
    while active:
        if it >= max_iter:
            raise MetacotError(f"PPO did not reach eps_max within max_iter = {max_iter} iterations")
        rows = np.array(sorted(active), dtype=np.int64)
        old = K[rows].copy()
        Fr, sr, mur = F[rows], sup[rows], mu[rows][:, None]
        s = (old * Fr).sum(axis=1)
        steps_used = 0
        if inner == "exact":
            target = np.minimum((1 + c) * s, eps_max)
            new = np.where(Fr, old * (target / s)[:, None], old * ((1 - target) / (1 - s))[:, None])
        else:
            Wr = W[rows].copy()
            while True:
                p = softmax_rows(Wr, sr)
                rho = np.where(Fr, p / np.where(Fr, old, 1.0), np.inf)
                A = Fr & (rho < 1 + c)
                if not A.any():
                    break
                # stop rows already over the cap: they will be set to eps_max exactly below
                over = (p * Fr).sum(axis=1) >= eps_max
                A[over] = False
                if not A.any():
                    break
                if steps_used >= max_inner:
                    raise MetacotError(f"inner {inner} loop did not reach the clip boundary within {max_inner} "
                                       "steps (increase eta or max_inner)")
                sA = (p * A).sum(axis=1, keepdims=True)
                g = mur * p * (A - sA)
                g[~A.any(axis=1)] = 0.0
                g = np.where(sr, g, 0.0)
                if inner == "gd":
                    Wr = Wr + eta * g
                elif inner == "sign":
                    Wr = Wr + eta * np.sign(g)
                else:  # sign-sparse: only the found logits move
                    Wr = Wr + eta * np.where(Fr, np.sign(g), 0.0)
                steps_used += 1
            new = softmax_rows(Wr, sr)
            s_new = (new * Fr).sum(axis=1)
            over = s_new > eps_max
            if over.any():  # cap: land exactly on eps_max (common shift of the found logits)
                o = over
                new[o] = np.where(Fr[o], new[o] * (eps_max / s_new[o])[:, None],
                                  new[o] * ((1 - eps_max) / (1 - s_new[o]))[:, None])
        K[rows] = new
        with np.errstate(divide="ignore"):
            W[rows] = np.log(new)
        for i, x in enumerate(rows.tolist()):
            its[x] += 1
            if (new[i] * Fr[i]).sum() >= eps_max * (1 - 1e-15):  # float landing on eps_max (rounding only)
                active.discard(x)
        it += 1
        prev = K.copy()
        prev[rows] = old
        _record(hist, K, K0, prev, mu, False, found, steps_used)
    return K, its
