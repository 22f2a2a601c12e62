"""Softmax next-state model and two-stage pretraining (paper Alg. 1; spec 03, claims pretrain.*).

Model: one logit per ordered pair, W ∈ R^{n×n}, p̂_W(y|x) = exp W[x,y] / Σ_z exp W[x,z] over the
unmasked pairs of row x (masked pairs have p̂ = 0).
Population cross-entropy L(W) = −Σ_x μ(x) Σ_y p(x,y) log p̂_W(y|x) with p = p^ε the true kernel and
μ the data law (default: the stationary law of p^ε); ∂L/∂W[x,y] = μ(x)(p̂_W(y|x) − p(x,y)), so rows
decouple.
Algorithm 1 (this project's formalisation): T1 GD steps of size η on all n² logits from W = 0;
prune the pairs with p̂ < θ; T2 more GD steps on the pruned support. `sgd_pretrain` is the stochastic
version: minibatch SGD on transitions of B parallel CoT trajectories (seeded).

The trained model at the training ε is a float kernel. `model_chain` turns it into a `Chain` the
hitting solvers accept, in one of two forms (documented choice):
  kind="affine" (default): with the truth's clusters C_k, p̂ = (1 − s(x))·P0' + X where X is the
      cross-cluster part of p̂, s(x) its mass and P0' the within-cluster part renormalised; the chain
      is P0' + e·P1' with P1' = (X − s·P0')/ε, so its kernel at e = ε is p̂ (to rounding) and the
      meta-chain tools apply (spurious cross-cluster pairs of an unpruned model become extra
      "sparse" edges);
  kind="kernel": P0 = p̂, P1 = 0 (no clusters); the kernel is p̂ at every e (evaluate at e = 0).

The measurements of the claims close the module: the clean-prune step, the slowest-mode rates, the two-stage KL
curve, the extrapolated limits t·p̂_t and t·μKL_t (Stolz–Cesàro + Richardson), the asymptotic stage-2 rate
(Aitken) and the limit of E_p̂[τ]/E_p[τ] along stage 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError, MetacotError
from metacot.numerics.numbers import to_json_value, to_mpf
from metacot.numerics.solvers.stationary import stationary_distribution


# ----------------------------------------------------------------------------- the softmax model
def _check_mask(mask, n):
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (n, n):
        raise MetacotError(f"mask has shape {mask.shape}, expected ({n}, {n})")
    if not mask.any(axis=1).all():
        x = int(np.flatnonzero(~mask.any(axis=1))[0])
        raise MetacotError(f"mask removes every logit of row {x}: p̂(·|{x}) is undefined")
    return mask


def log_softmax_rows(W: np.ndarray, mask=None) -> np.ndarray:
    """log p̂_W(y|x) (−inf on masked pairs), computed stably (row max subtracted)."""
    W = np.asarray(W, dtype=float)
    Z = np.where(mask, W, -np.inf) if mask is not None else W
    m = Z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    return Z - lse


def softmax_rows(W: np.ndarray, mask=None) -> np.ndarray:
    """p̂_W(y|x) = exp W[x,y] / Σ_z exp W[x,z] over unmasked z (0 on masked pairs)."""
    return np.exp(log_softmax_rows(W, mask))


def population_loss(W, P, mu, mask=None) -> float:
    """L(W) = −Σ_x μ(x) Σ_y P(x,y) log p̂_W(y|x); +inf if a pair with P > 0 is masked."""
    logp = log_softmax_rows(W, mask)
    pos = P > 0
    if np.any(np.isinf(logp[pos])):
        return math.inf
    return float(-np.sum(mu[:, None] * np.where(pos, P * np.where(pos, logp, 0.0), 0.0)))


def population_gradient(W, P, mu, mask=None) -> np.ndarray:
    """∂L/∂W[x,y] = μ(x)·(p̂_W(y|x) − P(x,y)) on unmasked pairs, 0 on masked ones (rows decouple)."""
    g = mu[:, None] * (softmax_rows(W, mask) - P)
    if mask is not None:
        g = np.where(mask, g, 0.0)
    return g


def _exp_minus_linear(delta: np.ndarray) -> np.ndarray:
    """e^δ − 1 − δ without cancellation: the Taylor series δ²/2 + … + δ⁶/720 for |δ| < 10⁻² (truncation
    ≤ δ⁷/5040 ≤ 2·10⁻¹⁸·δ²), expm1(δ) − δ elsewhere (relative rounding ≤ 10⁻¹³ there)."""
    small = np.abs(delta) < 1e-2
    d = np.where(small, delta, 0.0)
    series = d * d * (0.5 + d * (1 / 6 + d * (1 / 24 + d * (1 / 120 + d / 720))))
    return np.where(small, series, np.expm1(delta) - delta)


def kl_rows(P, W, mask=None) -> np.ndarray:
    """KL(P(x,·) ‖ p̂_W(·|x)) per row, as Σ_y P·(e^δ − 1 − δ) with δ = log p̂ − log P (each term ≥ 0,
    no cancellation: a series for small δ, so KL keeps ~9 digits down to KL ~ 10⁻¹²; the Σ p̂ over pairs
    with P = 0 is added as the spurious mass). +inf if masked."""
    logp = log_softmax_rows(W, mask)
    pos = P > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(pos, logp - np.log(np.where(pos, P, 1.0)), 0.0)
        terms = np.where(pos, P * _exp_minus_linear(np.where(np.isfinite(delta), delta, 0.0)), 0.0)
    out = terms.sum(axis=1)
    # Σ_y p̂ = 1 = Σ_y P: KL = Σ_{P>0} P(e^δ − 1 − δ) + Σ_{P=0} p̂, the second sum being the spurious mass
    out = out + np.where(pos, 0.0, np.exp(logp)).sum(axis=1)
    bad = np.any(pos & np.isinf(logp), axis=1)
    out[bad] = math.inf
    return out


def true_kernel(chain: Chain, eps) -> np.ndarray:
    """p^ε as a dense float array (the training target)."""
    return chain.kernel(eps).toarray()


def stationary_law(P: np.ndarray) -> np.ndarray:
    """μ = stationary law of the (irreducible) kernel P by GTH (float, subtraction-free): a call of
    :func:`metacot.numerics.solvers.stationary.stationary_distribution` (μ > 0 is needed, so transient
    states raise ChainError)."""
    return np.asarray(stationary_distribution(np.asarray(P, dtype=float), irreducible=True), dtype=float)


# ----------------------------------------------------------------------------- history
@dataclass
class TrainingHistory:
    """Per recorded step: stage, loss L(W), μ-weighted KL(p ‖ p̂), max spurious p̂ (pairs with p = 0),
    min p̂ over true pairs, max-row TV(p̂, p), and p̂ at the true sparse edges (order `sparse_edges`)."""

    sparse_edges: list
    step: list = field(default_factory=list)
    stage: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    max_spurious: list = field(default_factory=list)
    min_true: list = field(default_factory=list)
    tv: list = field(default_factory=list)
    sparse_probs: list = field(default_factory=list)

    def record(self, step, stage, W, P, mu, mask):
        p = softmax_rows(W, mask)
        pos = P > 0
        self.step.append(int(step))
        self.stage.append(int(stage))
        self.loss.append(population_loss(W, P, mu, mask))
        self.kl.append(float(np.sum(mu * kl_rows(P, W, mask))))
        spur = p[~pos]
        self.max_spurious.append(float(spur.max()) if spur.size else 0.0)
        self.min_true.append(float(p[pos].min()))
        self.tv.append(float(0.5 * np.abs(p - P).sum(axis=1).max()))
        self.sparse_probs.append([float(p[x, y]) for x, y in self.sparse_edges])


# ----------------------------------------------------------------------------- gradient descent
def _check_eta(eta):
    eta = float(eta)
    if not math.isfinite(eta) or eta <= 0:
        raise MetacotError(f"step size eta must be positive, got {eta!r}")
    return eta


def _check_steps(T, what):
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise MetacotError(f"{what} must be a non-negative integer, got {T!r}")
    return int(T)


def gradient_descent(W, P, mu, eta, steps, mask=None, *, history=None, stage=1, step0=0, record_every=0):
    """`steps` GD steps W ← W − η·μ(x)(p̂ − P) (masked pairs frozen); returns the new W.

    Records into `history` every `record_every` steps (0: never) and after the last step.
    """
    W = np.array(W, dtype=float)
    eta = _check_eta(eta)
    steps = _check_steps(steps, "steps")
    emu = eta * np.asarray(mu, dtype=float)[:, None]
    for t in range(1, steps + 1):
        p = softmax_rows(W, mask)
        W -= emu * (p - P) if mask is None else np.where(mask, emu * (p - P), 0.0)
        if history is not None and ((record_every and t % record_every == 0) or t == steps):
            history.record(step0 + t, stage, W, P, mu, mask)
    return W


@dataclass
class PretrainResult:
    """Trained logits W and mask, the truth (P, μ), the history, and the pruning outcome."""

    W: np.ndarray
    mask: np.ndarray
    P: np.ndarray
    mu: np.ndarray
    eps: object
    eta: float
    theta: float
    steps: tuple
    history: TrainingHistory
    truth: Chain
    pruned_true_pairs: int = 0
    kept_spurious_pairs: int = 0
    method: str = "gd"

    @property
    def kernel(self) -> np.ndarray:
        """p̂ (dense float n×n)."""
        return softmax_rows(self.W, self.mask)

    @property
    def chain(self) -> Chain:
        """The trained model as an affine Chain whose kernel at the training ε is p̂ (see module doc)."""
        return model_chain(self.kernel, self.truth, self.eps, kind="affine")

    def kernel_chain(self) -> Chain:
        return model_chain(self.kernel, self.truth, self.eps, kind="kernel")

    def to_json(self) -> dict:
        h = self.history
        return {"method": self.method, "eps": self.eps, "eta": self.eta, "theta": self.theta,
                "steps": list(self.steps), "pruned_true_pairs": self.pruned_true_pairs,
                "kept_spurious_pairs": self.kept_spurious_pairs,
                "final": {"loss": h.loss[-1], "kl": h.kl[-1], "max_spurious": h.max_spurious[-1],
                          "tv": h.tv[-1]},
                "history": to_json_value(h)}


def default_theta(P: np.ndarray) -> float:
    """θ = p_min/2, p_min = smallest positive entry of p^ε (= ε·q_min for row-rescaled chains)."""
    return float(P[P > 0].min()) / 2


def _prune(W, mask, P, theta):
    p = softmax_rows(W, mask)
    keep = p >= theta
    if mask is not None:
        keep &= mask
    # never empty a row: keep its largest logit
    empty = ~keep.any(axis=1)
    if empty.any():
        keep[empty, np.argmax(p[empty], axis=1)] = True
    pruned_true = int(np.sum((P > 0) & ~keep))
    kept_spurious = int(np.sum((P == 0) & keep))
    return keep, pruned_true, kept_spurious


def _setup(chain, eps, mu):
    if not isinstance(chain, Chain):
        raise MetacotError("pretraining needs a Chain")
    eps = chain.check_eps(eps)
    P = true_kernel(chain, eps)
    if mu is None:
        mu = stationary_law(P)
    else:
        mu = np.asarray(mu, dtype=float)
        if mu.shape != (chain.n,) or np.any(mu < 0) or not math.isclose(mu.sum(), 1.0, rel_tol=1e-12):
            raise MetacotError("mu must be a probability vector over the chain's states")
    return eps, P, mu


def two_stage_pretrain(chain: Chain, eps, T1: int, T2: int, *, eta=None, theta=None, mu=None,
                       record_every: int = 0) -> PretrainResult:
    """Algorithm 1: T1 GD steps from W = 0 on all n² logits, prune p̂ < θ, T2 GD steps on the pruned support.

    Gradient descent on the population cross-entropy L(W) = −Σ_x μ(x) Σ_y p^ε(x,y) log p̂_W(y|x) of the
    softmax model p̂_W(y|x) ∝ exp W[x,y], with ∂L/∂W[x,y] = μ(x)(p̂_W(y|x) − p^ε(x,y)) (spec 03). In
    stage 1 a spurious pair decays like p̂_t = d₊(x)/(n_x η μ(x) t) (claim pretrain.spurious-decay); after
    pruning, stage 2 converges linearly in KL (pretrain.two-stage), and the trained model's hitting time
    tends to the true one (pretrain.recovers-kernel). Times are GD steps.

    Parameters
    ----------
    chain : Chain
        The true chain; its kernel p^ε at `eps` is the training target.
    eps : Fraction, int, str, float
        ε with 0 < ε ≤ eps_max.
    T1, T2 : int
        Steps of stage 1 and stage 2 (≥ 0).
    eta : float, optional
        Step size η > 0; default 1/max μ (GD then never increases L).
    theta : float, optional
        Pruning threshold θ ∈ [0, 1); default p_min/2 (p_min the smallest positive entry of p^ε, = ε·q_min
        for a row-rescaled chain). A row is never emptied: its largest probability is kept.
    mu : array, optional
        Data law over the states (a probability vector); default the stationary law of p^ε.
    record_every : int, default 0
        Record the history every so many steps (0: only at W = 0, at the end of stage 1, before and after
        pruning, and at the end).

    Returns
    -------
    PretrainResult
        ``W``, ``mask`` (kept pairs), ``kernel`` (p̂), ``chain`` (p̂ as an affine Chain for the hitting
        solvers), ``history`` (loss, μ-weighted KL, max spurious p̂, TV per recorded step),
        ``pruned_true_pairs``, ``kept_spurious_pairs``.

    Raises
    ------
    MetacotError
        Not a Chain, steps or η or θ out of range, μ not a probability vector; EpsilonError for ε out of
        range.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> c = ring(3, 2, 1)
    >>> res = two_stage_pretrain(c, "1/10", 200, 200)
    >>> res.pruned_true_pairs, res.kept_spurious_pairs, bool(res.history.kl[-1] < 1e-20)
    (0, 0, True)
    >>> round(float(hitting_time(res.chain, c.start, c.target, 0.1)), 6)     # true E[τ] = 40
    40.0
    """
    eps, P, mu = _setup(chain, eps, mu)
    T1, T2 = _check_steps(T1, "T1"), _check_steps(T2, "T2")
    eta = 1.0 / float(mu.max()) if eta is None else _check_eta(eta)
    theta = default_theta(P) if theta is None else float(theta)
    if not 0 <= theta < 1:
        raise MetacotError(f"pruning threshold theta must lie in [0, 1), got {theta!r}")
    n = chain.n
    hist = TrainingHistory(sparse_edges=sorted(chain.sparse_edges()))
    W = np.zeros((n, n))
    hist.record(0, 1, W, P, mu, None)
    W = gradient_descent(W, P, mu, eta, T1, None, history=hist, stage=1, record_every=record_every)
    mask, pruned_true, kept_spur = _prune(W, None, P, theta)
    hist.record(T1, 2, W, P, mu, mask)
    W = gradient_descent(W, P, mu, eta, T2, mask, history=hist, stage=2, step0=T1, record_every=record_every)
    return PretrainResult(W, mask, P, mu, eps, eta, theta, (T1, T2), hist, chain, pruned_true, kept_spur, "gd")


SCHEDULES = ("constant", "inverse-time", "inverse-time-stage2")


def step_size(schedule: str, eta0: float, t0, t: int, stage: int, T1: int) -> float:
    """SGD step size η_t at global step t (t = 1, 2, ...; stage 2 starts after step T1).

      constant:             η_t = η0;
      inverse-time:         η_t = η0/(1 + (t − 1)/t0) over the whole run;
      inverse-time-stage2:  η0 in stage 1, then η_t = η0/(1 + (t − T1 − 1)/t0) (restarted at the prune).
    The 1/t decay (Σ η_t = ∞, Σ η_t² < ∞) removes the constant-step noise floor: with constant η the logits
    of a row fluctuate with variance ≈ η/(2B) per logit (linearised SGD), so KL stalls at O(η/B).
    """
    if schedule == "constant":
        return eta0
    if schedule == "inverse-time" or (schedule == "inverse-time-stage2" and stage == 2):
        tau = t - 1 if schedule == "inverse-time" else t - T1 - 1
        return eta0 / (1.0 + tau / t0)
    return eta0


def _check_schedule(schedule, t0):
    if schedule not in SCHEDULES:
        raise MetacotError(f"unknown step schedule {schedule!r} (choose from {', '.join(SCHEDULES)})")
    if schedule == "constant":
        return None
    if t0 is None:
        raise MetacotError(f"step schedule {schedule!r} needs t0 (η_t = η0/(1 + t/t0))")
    t0 = float(t0)
    if not math.isfinite(t0) or t0 <= 0:
        raise MetacotError(f"t0 must be positive, got {t0!r}")
    return t0


def _sgd_walkers(chain, eps, batch, seed, start, burn_in, mu):
    """Sampler and the initial states of `batch` walkers: all at `start` (int), or i.i.d. from μ = the
    stationary law of p^ε (start="stationary"); then `burn_in` steps. Seeded (one numpy Generator)."""
    from metacot.numerics.solvers.monte_carlo import KernelSampler

    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise MetacotError(f"batch must be a positive integer, got {batch!r}")
    n = chain.n
    sampler = KernelSampler(chain, eps, seed=seed)
    if isinstance(start, str):
        if start != "stationary":
            raise MetacotError(f"start must be a state or 'stationary', got {start!r}")
        X = sampler.rng.choice(n, size=int(batch), p=mu / mu.sum()).astype(np.int64)
    else:
        x0 = start if start is not None else (chain.start if chain.start is not None else 0)
        if isinstance(x0, bool) or not isinstance(x0, (int, np.integer)) or not 0 <= x0 < n:
            raise MetacotError(f"unknown start state {x0!r} (states are 0..{n - 1})")
        X = np.full(int(batch), int(x0), dtype=np.int64)
    if burn_in:
        X = sampler.run(X, _check_steps(burn_in, "burn_in"))
    return sampler, X


def _sgd_step(W, X, Y, mask, eta_t, batch):
    """One minibatch step W[x,·] −= (η_t/B)·Σ_{i: X^i = x} (p̂(·|x) − e_{Y^i}) (in place; masked pairs frozen)."""
    n = W.shape[0]
    p = softmax_rows(W, mask)
    G = np.zeros((n, n))
    np.add.at(G, X, p[X])
    np.add.at(G, (X, Y), -1.0)
    if mask is not None:
        G = np.where(mask, G, 0.0)
    W -= (eta_t / batch) * G


def sgd_pretrain(chain: Chain, eps, T1: int, T2: int, *, batch: int = 64, eta=None, theta=None, seed=0,
                 start=None, burn_in: int = 0, record_every: int = 0, schedule: str = "constant",
                 t0=None) -> PretrainResult:
    """Stochastic Algorithm 1: minibatch SGD on transitions of `batch` parallel CoT trajectories.

    All trajectories start at `start` (default chain.start, else state 0; "stationary": i.i.d. from the
    stationary law of p^ε) and run `burn_in` steps first; SGD step t uses the t-th transition
    (X_t, X_{t+1}) of every trajectory:
      W[x,·] ← W[x,·] − η_t·(1/B)·Σ_{i: X_t^i = x} (p̂(·|x) − e_{X_{t+1}^i}),
    an unbiased estimate of ∇L with μ = the law of X_t. Prune at θ after T1 steps as in Alg. 1.
    Step sizes: `schedule` ∈ SCHEDULES with η0 = eta (default 1/max μ) and t0 (see `step_size`).
    The history measures L, KL against p^ε weighted by its stationary law. Seeded (numpy default_rng).
    """
    eps, P, mu = _setup(chain, eps, None)
    T1, T2 = _check_steps(T1, "T1"), _check_steps(T2, "T2")
    eta = 1.0 / float(mu.max()) if eta is None else _check_eta(eta)
    t0 = _check_schedule(schedule, t0)
    theta = default_theta(P) if theta is None else float(theta)
    n = chain.n
    sampler, X = _sgd_walkers(chain, eps, batch, seed, start, burn_in, mu)
    hist = TrainingHistory(sparse_edges=sorted(chain.sparse_edges()))
    W = np.zeros((n, n))
    mask = None
    hist.record(0, 1, W, P, mu, None)
    pruned_true = kept_spur = 0
    for stage, T, step0 in ((1, T1, 0), (2, T2, T1)):
        if stage == 2:
            mask, pruned_true, kept_spur = _prune(W, None, P, theta)
            hist.record(T1, 2, W, P, mu, mask)
        for t in range(1, T + 1):
            Y = sampler.step(X)
            _sgd_step(W, X, Y, mask, step_size(schedule, eta, t0, step0 + t, stage, T1), batch)
            X = Y
            if (record_every and t % record_every == 0) or t == T:
                hist.record(step0 + t, stage, W, P, mu, mask)
    if mask is None:
        mask = np.ones((n, n), dtype=bool)
    return PretrainResult(W, mask, P, mu, eps, eta, theta, (T1, T2), hist, chain, pruned_true, kept_spur, "sgd")


@dataclass
class SGDSampleCount:
    """Samples (transitions) SGD needs: stage 1 until the first check at which pruning at θ keeps exactly the
    true support (a clean prune), stage 2 (after that prune) until the first check with μ-weighted KL ≤ tol.
    samples = batch × steps; None if the budget ran out. kl_at_stop: the KL at the stage-2 stop."""

    eps: object
    batch: int
    eta0: float
    t0: float
    tol: float
    steps_stage1: int | None
    steps_stage2: int | None
    kl_at_stop: float | None

    @property
    def samples_stage1(self):
        return None if self.steps_stage1 is None else self.batch * self.steps_stage1

    @property
    def samples_stage2(self):
        return None if self.steps_stage2 is None else self.batch * self.steps_stage2

    def to_json(self) -> dict:
        return {"eps": self.eps, "batch": self.batch, "eta0": self.eta0, "t0": self.t0, "tol": self.tol,
                "steps_stage1": self.steps_stage1, "steps_stage2": self.steps_stage2,
                "samples_stage1": self.samples_stage1, "samples_stage2": self.samples_stage2,
                "kl_at_stop": self.kl_at_stop}


def sgd_samples_to_tolerance(chain: Chain, eps, tol, *, batch: int = 64, eta=None, t0=None, theta=None, seed=0,
                             check_every: int = 1, max_steps: int = 10**6) -> SGDSampleCount:
    """Measure SGD's stage lengths in samples (book, chapter Pretraining; compared with the paper's
    Θ̃(KM²ε⁻²) and Θ̃(KMε⁻²)). Walkers start i.i.d. from the stationary law (the data law is then μ at
    every step: unbiased population gradients). Stage 1: constant η0 (default 1/max μ) until a clean
    prune at θ (default p_min/2), checked every `check_every` steps. Stage 2 on the pruned support with
    η_t = η0/(1 + t/t0) (t = steps since the prune; default t0 = 1/(η0 μ_min p_min), the slowest
    population relaxation time) until μ-weighted KL(p^ε ‖ p̂) ≤ tol, checked every `check_every` steps.
    Each stage gets at most `max_steps` steps. Seeded.
    """
    eps, P, mu = _setup(chain, eps, None)
    tol = float(tol)
    if not math.isfinite(tol) or tol <= 0:
        raise MetacotError(f"tolerance tol must be positive, got {tol!r}")
    eta = 1.0 / float(mu.max()) if eta is None else _check_eta(eta)
    pos = P > 0
    t0 = 1.0 / (eta * float(mu.min()) * float(P[pos].min())) if t0 is None else _check_schedule("inverse-time", t0)
    theta = default_theta(P) if theta is None else float(theta)
    check_every = _check_steps(check_every, "check_every")
    max_steps = _check_steps(max_steps, "max_steps")
    if check_every < 1:
        raise MetacotError("check_every must be at least 1")
    sampler, X = _sgd_walkers(chain, eps, batch, seed, "stationary", 0, mu)
    n = chain.n
    W = np.zeros((n, n))
    steps1 = steps2 = kl = None
    t = 0
    while t < max_steps:
        for _ in range(check_every):
            Y = sampler.step(X)
            _sgd_step(W, X, Y, None, eta, batch)
            X = Y
        t += check_every
        p = softmax_rows(W)
        if p[~pos].max(initial=0.0) < theta <= p[pos].min():
            steps1 = t
            break
    if steps1 is not None:
        mask = pos.copy()
        t = 0
        while t < max_steps:
            for _ in range(check_every):
                Y = sampler.step(X)
                _sgd_step(W, X, Y, mask, eta / (1.0 + t / t0), batch)
                X = Y
                t += 1
            kl = float(np.dot(mu, kl_rows(P, W, mask)))
            if kl <= tol:
                steps2 = t
                break
    return SGDSampleCount(eps, int(batch), eta, t0, tol, steps1, steps2, kl)


# ----------------------------------------------------------------------------- trained model -> Chain
def model_chain(kernel, truth: Chain, eps, *, kind: str = "affine", name=None) -> Chain:
    """A Chain for a model kernel p̂ trained at ε (see the module docstring for the two forms).

    kernel: dense float array, or a list of exact dict rows {y: Fraction} (exact Chain result).
    """
    n = truth.n
    exact_rows = isinstance(kernel, list)
    name = name or f"model of {truth.name or 'chain'} at eps={eps}"
    if kind == "kernel":
        if exact_rows:
            return Chain(n, {(x, y): v for x, r in enumerate(kernel) for y, v in r.items()}, None,
                         start=truth.start, target=truth.target, name=name)
        K = np.asarray(kernel, dtype=float)
        return Chain.from_csr(sp.csr_matrix(K), sp.csr_matrix((n, n)), start=truth.start, target=truth.target,
                              name=name)
    if kind != "affine":
        raise MetacotError(f"unknown model chain kind {kind!r} (choose 'affine' or 'kernel')")
    lab = truth.cluster_of
    if exact_rows:
        eps = Fraction(eps)
        P0, P1 = {}, {}
        for x, row in enumerate(kernel):
            inner = {y: v for y, v in row.items() if lab[y] == lab[x] and v != 0}
            cross = {y: v for y, v in row.items() if lab[y] != lab[x] and v != 0}
            stay = sum(inner.values(), Fraction(0))
            if stay == 0:
                raise ChainError(f"model row {x} has no mass inside its cluster: no affine form")
            s = 1 - stay
            for y, v in inner.items():
                P0[(x, y)] = v / stay
                if s:
                    P1[(x, y)] = -(s / eps) * v / stay
            for y, v in cross.items():
                P1[(x, y)] = v / eps
        return Chain(n, P0, P1, truth.clusters, start=truth.start, target=truth.target, name=name)
    K = np.asarray(kernel, dtype=float)
    same = lab[:, None] == lab[None, :]
    inner = np.where(same, K, 0.0)
    cross = np.where(same, 0.0, K)
    stay = inner.sum(axis=1)
    if np.any(stay <= 0):
        x = int(np.flatnonzero(stay <= 0)[0])
        raise ChainError(f"model row {x} has no mass inside its cluster: no affine form")
    P0 = inner / stay[:, None]
    s = cross.sum(axis=1)
    e = float(eps)
    P1 = cross / e - (s / e)[:, None] * P0
    return Chain.from_csr(sp.csr_matrix(P0), sp.csr_matrix(P1), clusters=truth.clusters, start=truth.start,
                          target=truth.target, name=name)


# ----------------------------------------------------------------------------- P1: one row, high precision
def row_gd_trajectory(p_row, mu_x, eta, times, *, dps: int | None = None, n_logits=None):
    """GD on one row from W = 0 (rows decouple): returns p̂_t(y|x) at the requested times for every pair.

    p_row: true probabilities of the row's n_x unmasked pairs (zeros = spurious pairs). Pure float64
    (dps=None) or mpmath at `dps` digits. Used by claim pretrain.spurious-decay.
    """
    times = sorted(int(t) for t in times)
    if dps is None:
        p = np.asarray([float(v) for v in p_row])
        w = np.zeros(p.size)
        emu = float(eta) * float(mu_x)
        out = {}
        t = 0
        for T in times:
            while t < T:
                z = np.exp(w - w.max())
                w -= emu * (z / z.sum() - p)
                t += 1
            z = np.exp(w - w.max())
            out[T] = z / z.sum()
        return out
    import mpmath

    # pairs with equal true probability stay equal under GD from W = 0: evolve one logit per class
    vals = [Fraction(v) if isinstance(v, (int, Fraction)) else float(v) for v in p_row]
    classes = sorted(set(vals))
    count = [sum(1 for v in vals if v == u) for u in classes]
    which = [classes.index(v) for v in vals]
    with mpmath.workdps(dps):
        mp = to_mpf
        p = [mp(v) for v in classes]
        w = [mpmath.mpf(0)] * len(p)
        emu = mp(eta) * mp(mu_x)
        out = {}
        t = 0
        for T in times:
            while t < T:
                z = [mpmath.exp(v) for v in w]
                Z = mpmath.fsum(k * zi for k, zi in zip(count, z))
                w = [wi - emu * (zi / Z - pi) for wi, zi, pi in zip(w, z, p)]
                t += 1
            z = [mpmath.exp(v) for v in w]
            Z = mpmath.fsum(k * zi for k, zi in zip(count, z))
            out[T] = [z[j] / Z for j in which]
        return out


# ----------------------------------------------------------------------------- measurements of the claims
def richardson(values, ratio: float = 2.0, orders=(1, 2)) -> list:
    """Richardson tables: ``values[j]`` = f(h_j) with h_{j+1} = h_j/ratio and f(h) = f(0) + c₁h + c₂h² + …;
    level k removes the h^{orders[k−1]} term: R_k[j] = (ratio^p R_{k−1}[j+1] − R_{k−1}[j])/(ratio^p − 1).

    Used with h = 1/t by :func:`spurious_decay_limits` and :func:`one_stage_kl_limits`.

    Parameters
    ----------
    values : sequence of float
        f(h_0), f(h_1), … at h_{j+1} = h_j/ratio.
    ratio : float
        The step ratio h_j/h_{j+1}.
    orders : sequence of int
        The powers of h removed, one per level.

    Returns
    -------
    list of list of float
        ``[values, R_1, R_2, …]``, each level one entry shorter than the last.

    Examples
    --------
    >>> f = [1 + 3 / t + 5 / t**2 for t in (10, 20, 40, 80)]
    >>> round(richardson(f)[2][-1], 12)
    1.0
    """
    levels = [list(map(float, values))]
    for p in orders:
        prev = levels[-1]
        if len(prev) < 2:
            break
        r = float(ratio) ** p
        levels.append([(r * b - a) / (r - 1) for a, b in zip(prev, prev[1:])])
    return levels


def aitken(a: float, b: float, c: float) -> float:
    """Aitken's Δ² limit of three consecutive terms of a sequence converging geometrically:
    c − (c − b)²/((c − b) − (b − a)) (c itself when the second difference vanishes).

    Parameters
    ----------
    a, b, c : float
        Consecutive terms.

    Returns
    -------
    float

    Examples
    --------
    >>> aitken(*[2 + 0.5 ** k for k in (3, 4, 5)])
    2.0
    """
    den = (c - b) - (b - a)
    return c if den == 0 else c - (c - b) ** 2 / den


def _extrapolated(levels, floor: float):
    """(value, error) from Richardson levels: the last entry of the deepest level; the error is the change
    between its last two entries (a-posteriori: when the remaining corrections shrink by a factor r ≥ 2 per
    doubling of t, the distance to the limit is ≤ change/(r − 1) ≤ change; on the measured rows r ≈ 4) plus
    the rounding ``floor``."""
    top = levels[-1]
    value = top[-1]
    change = abs(top[-1] - top[-2]) if len(top) >= 2 else abs(levels[-2][-1] - levels[-2][-2])
    return value, change + floor


def clean_prune_time(P, mu, eta, theta, t_max: int = 10**7):
    """First GD step t (from W = 0, all n² logits) at which every spurious p̂ < θ ≤ every true p̂.

    Parameters
    ----------
    P : ndarray
        The true kernel p^ε (dense float).
    mu : ndarray
        Data law μ over the states.
    eta : float
        Step size η.
    theta : float
        Pruning threshold θ.
    t_max : int
        Largest number of steps tried.

    Returns
    -------
    (int, ndarray)
        The step T1 and the logits W after T1 steps (claims pretrain.spurious-decay, pretrain.two-stage).

    Raises
    ------
    MetacotError
        No clean prune within ``t_max`` steps.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> T1, W = clean_prune_time(P, mu, 1 / mu.max(), default_theta(P))
    >>> T1, bool(softmax_rows(W)[P == 0].max() < default_theta(P))
    (13, True)
    """
    pos = P > 0
    W = np.zeros_like(P, dtype=float)
    emu = _check_eta(eta) * np.asarray(mu, dtype=float)[:, None]
    for t in range(int(t_max) + 1):
        p = softmax_rows(W)
        if p[~pos].max(initial=0.0) < theta and p[pos].min() >= theta:
            return t, W
        W -= emu * (p - P)
    raise MetacotError(f"no clean prune within {t_max} steps (raise t_max or the threshold theta)")


def slowest_mode_rates(P, mu, eta, mask, W=None):
    """Per row x: λ(x) = the smallest nonzero eigenvalue of H_x = diag(p) − p pᵀ on the kept support, and
    the local KL decay rate −2 log(1 − η μ(x) λ(x)) per step (GD is linear near the optimum:
    e_{t+1} = (I − η μ(x) H_x) e_t for the logit error e, and KL ≈ ½ Σ μ eᵀ H e).

    With W (the logits at the start of stage 2), λ(x) is taken over the modes the initial error
    log p̂ − log p actually excites (relative projection > 10⁻⁹; float noise is ~10⁻¹⁶): symmetric rows
    (equal sparse weights) never excite the antisymmetric modes, since GD preserves the symmetry.
    Rows with one kept pair, or no excited mode, get λ = rate = inf. Claim pretrain.two-stage.

    Parameters
    ----------
    P : ndarray
        True kernel p^ε.
    mu : ndarray
        Data law μ.
    eta : float
        Step size η.
    mask : ndarray of bool
        The kept support.
    W : ndarray, optional
        Logits at the start of stage 2 (restricts λ to the excited modes).

    Returns
    -------
    (ndarray, ndarray)
        λ(x) and the rates.

    Examples
    --------
    >>> P = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> lam, rate = slowest_mode_rates(P, np.array([1/3, 2/3]), 1.5, P > 0)
    >>> [round(float(v), 12) for v in lam]          # 2 p(1 − p) for a two-entry row
    [0.5, 0.375]
    """
    lam, rate = [], []
    logp = None if W is None else log_softmax_rows(W, mask)
    for x in range(P.shape[0]):
        p = P[x][mask[x]]
        if p.size < 2:
            lam.append(math.inf)
            rate.append(math.inf)
            continue
        H = np.diag(p) - np.outer(p, p)
        ev, V = np.linalg.eigh(H)
        ev, V = ev[1:], V[:, 1:]  # drop the null direction 1 (H·1 = 0; its float eigenvalue is ~±1e-18)
        keep = np.ones(ev.size, dtype=bool)
        if logp is not None:
            e = logp[x][mask[x]] - np.log(p)
            proj = np.abs(V.T @ e)
            keep &= proj > 1e-9 * max(np.linalg.norm(e), 1e-300)
        if not keep.any():
            lam.append(math.inf)
            rate.append(math.inf)
            continue
        l2 = float(ev[keep].min())
        lam.append(l2)
        rate.append(-2 * math.log1p(-eta * mu[x] * l2))
    return np.array(lam), np.array(rate)


def two_stage_kl_curve(P, mu, eta, theta, T2, T1=None):
    """Stage 1 to a clean prune (or T1 steps), prune at θ, stage 2 for T2 steps; the μ-weighted KL after
    every stage-2 step, and the one-stage (no prune) KL at the same total times.

    Parameters
    ----------
    P, mu, eta, theta
        True kernel, data law, step size, pruning threshold.
    T2 : int
        Stage-2 steps.
    T1 : int, optional
        Stage-1 steps (default: up to the clean prune, :func:`clean_prune_time`).

    Returns
    -------
    tuple
        (T1, mask, kl_two_stage, kl_one_stage, W_stage2, W_at_prune); claim pretrain.one-stage-stuck.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> T1, mask, kl2, kl1, _, _ = two_stage_kl_curve(P, mu, 1 / mu.max(), default_theta(P), 400)
    >>> bool((mask == (P > 0)).all()), bool(kl2[-1] < 1e-12 < kl1[-1])
    (True, True)
    """
    if T1 is None:
        T1, W = clean_prune_time(P, mu, eta, theta)
    else:
        W = np.zeros_like(P, dtype=float)
        for _ in range(_check_steps(T1, "T1")):
            W -= eta * mu[:, None] * (softmax_rows(W) - P)
    mask = softmax_rows(W) >= theta
    emu = eta * mu[:, None]
    W2, W1 = W.copy(), W.copy()
    kl2, kl1 = [], []
    for _ in range(_check_steps(T2, "T2")):
        W2 -= np.where(mask, emu * (softmax_rows(W2, mask) - P), 0.0)
        W1 -= emu * (softmax_rows(W1) - P)
        kl2.append(float(np.dot(mu, kl_rows(P, W2, mask))))
        kl1.append(float(np.dot(mu, kl_rows(P, W1))))
    return T1, mask, np.array(kl2), np.array(kl1), W2, W


def _gd_snapshots(P, mu, eta, times, record):
    """Full stage-1 GD from W = 0; ``record(W)`` at each requested step (sorted, de-duplicated)."""
    emu = _check_eta(eta) * np.asarray(mu, dtype=float)[:, None]
    W = np.zeros_like(P, dtype=float)
    out, t = {}, 0
    for T in sorted(set(int(v) for v in times)):
        while t < T:
            W -= emu * (softmax_rows(W) - P)
            t += 1
        out[T] = record(W)
    return out


@dataclass
class RowLimit:
    """A per-row limit extrapolated from a GD trajectory: ``value`` ± ``error`` (a-posteriori: the change of
    the deepest Richardson level, plus rounding), with the row's counts d₊ = |supp p(x,·)| and
    n_x = unmasked logits, and μ(x)."""

    row: int
    value: float
    error: float
    d_plus: int
    n_x: int
    mu: float


def spurious_decay_limits(P, mu, eta, t0: int, levels: int = 4) -> list:
    """lim_{t→∞} t·p̂_t(y|x) for a spurious pair (p(x,y) = 0) of every row that has one, stage-1 GD from W = 0.

    Stolz–Cesàro: t·p̂_t → 1/lim D(t) with D(t) = 1/p̂_{t+1} − 1/p̂_t; D(t) = D_∞ + c₁/t + c₂/t² + …, so
    D at t = t0·2^j (j < levels) is Richardson-extrapolated in h = 1/t (two levels). The spec's constant
    is d₊/(n_x η μ(x)) (claim pretrain.spurious-decay). Spurious pairs of a row move together (equal
    gradients from equal logits), so one pair per row is read.

    Parameters
    ----------
    P, mu, eta
        True kernel, data law, step size.
    t0 : int
        First time of the geometric sequence t0·2^j.
    levels : int
        Number of times (≥ 3); the cost is about t0·2^levels GD steps.

    Raises
    ------
    MetacotError
        t0 < 1 or levels < 3.

    Returns
    -------
    list of RowLimit

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> eta = 1 / mu.max()
    >>> r = spurious_decay_limits(P, mu, eta, 500)[0]
    >>> r.row, r.d_plus, r.n_x, bool(abs(r.value - r.d_plus / (r.n_x * eta * r.mu)) < 1e-6)
    (0, 3, 4, True)
    """
    t0 = _check_steps(t0, "t0")
    if t0 < 1 or levels < 3:
        raise MetacotError("spurious_decay_limits needs t0 >= 1 and levels >= 3")
    pos = P > 0
    rows = [x for x in range(P.shape[0]) if not pos[x].all()]
    cols = {x: int(np.flatnonzero(~pos[x])[0]) for x in rows}
    ts = [t0 * 2 ** j for j in range(levels)]
    snap = _gd_snapshots(P, mu, eta, ts + [t + 1 for t in ts],
                         lambda W: np.exp(log_softmax_rows(W)[rows, [cols[x] for x in rows]]))
    out = []
    for i, x in enumerate(rows):
        D = [1 / snap[t + 1][i] - 1 / snap[t][i] for t in ts]
        lev = richardson(D)
        Dinf, err = _extrapolated(lev, 1e-15 * ts[-1] * abs(D[-1]) * 8)
        out.append(RowLimit(x, 1 / Dinf, err / Dinf ** 2, int(pos[x].sum()), P.shape[1], float(mu[x])))
    return out


def one_stage_kl_limits(P, mu, eta, t0: int, levels: int = 4) -> list:
    """lim_{t→∞} t·μ(x)·KL(p(x,·) ‖ p̂_t(·|x)) per row with spurious pairs, stage-1 GD from W = 0 (no prune).

    As :func:`spurious_decay_limits`, on D(t) = 1/(μ KL_t) increments. The KL of the row is its spurious mass
    to first order, (n_x − d₊)·p̂_t, so the limit is (n_x − d₊)·d₊/(n_x η): the one-stage error is Θ(1/t)
    (claim pretrain.one-stage-stuck).

    Parameters
    ----------
    P, mu, eta, t0, levels
        As for :func:`spurious_decay_limits`.

    Returns
    -------
    list of RowLimit

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> eta = 1 / mu.max()
    >>> r = one_stage_kl_limits(P, mu, eta, 500)[0]
    >>> bool(abs(r.value - (4 - 3) * 3 / (4 * eta)) < 1e-6)
    True
    """
    t0 = _check_steps(t0, "t0")
    if t0 < 1 or levels < 3:
        raise MetacotError("one_stage_kl_limits needs t0 >= 1 and levels >= 3")
    pos = P > 0
    rows = [x for x in range(P.shape[0]) if not pos[x].all()]
    ts = [t0 * 2 ** j for j in range(levels)]
    m = np.asarray(mu, dtype=float)
    snap = _gd_snapshots(P, mu, eta, ts + [t + 1 for t in ts], lambda W: (m * kl_rows(P, W))[rows])
    out = []
    for i, x in enumerate(rows):
        D = [1 / snap[t + 1][i] - 1 / snap[t][i] for t in ts]
        Dinf, err = _extrapolated(richardson(D), 1e-13 * ts[-1] * abs(D[-1]) * 8)
        out.append(RowLimit(x, 1 / Dinf, err / Dinf ** 2, int(pos[x].sum()), P.shape[1], float(mu[x])))
    return out


def loglog_slope(P, mu, eta, t1: int, t2: int) -> float:
    """Slope of log KL_μ(t) against log t between steps t1 < t2 of stage-1 GD from W = 0 (no prune), KL_μ the
    μ-weighted KL(p ‖ p̂_t): → −1 when the error is Θ(1/t) (claim pretrain.one-stage-stuck).

    Parameters
    ----------
    P, mu, eta
        True kernel, data law, step size.
    t1, t2 : int
        The two steps, 0 < t1 < t2.

    Returns
    -------
    float

    Raises
    ------
    MetacotError
        Not 0 < t1 < t2.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> round(loglog_slope(P, mu, 1 / mu.max(), 1000, 16000), 2)
    -1.0
    """
    if not 0 < t1 < t2:
        raise MetacotError(f"loglog_slope needs 0 < t1 < t2, got {t1}, {t2}")
    kl = _gd_snapshots(P, mu, eta, [t1, t2], lambda W: float(np.dot(mu, kl_rows(P, W))))
    return (math.log(kl[t2]) - math.log(kl[t1])) / (math.log(t2) - math.log(t1))


@dataclass
class StageTwoRate:
    """The asymptotic decay rate of the μ-weighted KL in stage 2 (after a clean prune): ``rate`` ± ``error``
    (Aitken's Δ² on span rates log(KL_t/KL_{t+h})/h at three windows; error = three times the spread of the
    window estimates plus 10⁻⁹ relative rounding), the slowest excited mode (row, μ(row), λ), the prune step T1,
    the stage-2 steps run, whether the prune kept exactly the true support, and the share of the final KL's
    quadratic form carried by that mode (≈ 1 when it dominates the decay)."""

    rate: float
    error: float
    row: int
    mu_row: float
    lam: float
    T1: int
    steps: int
    clean: bool
    share: float
    kl: np.ndarray = field(repr=False, default=None)


def stage_two_kl_rate(P, mu, eta, theta, *, windows=(1e-10, 1e-11, 1e-12), max_steps: int = 10**6) -> StageTwoRate:
    """Run Alg. 1 to a clean prune at θ, then stage 2 until the μ-weighted KL is below min(windows)·10⁻²;
    measure the asymptotic rate of KL_t → 0 (claim pretrain.two-stage).

    The span h = round(1/r) steps (r the raw local rate at the first window) makes each span rate a ratio of
    KL values e-fold apart (KL keeps ~9 digits there: :func:`kl_rows`). The linearised prediction is
    −2 log(1 − η μ(x*) λ(x*)) for the slowest excited mode (:func:`slowest_mode_rates`).

    Parameters
    ----------
    P, mu, eta, theta
        True kernel, data law, step size, pruning threshold.
    windows : tuple of float
        KL levels at which the Aitken estimates are taken.
    max_steps : int
        Most stage-2 steps.

    Returns
    -------
    StageTwoRate

    Raises
    ------
    MetacotError
        No clean prune, or stage 2 does not reach the windows.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> P = true_kernel(ring(2, 2, 1), Fraction(1, 10))
    >>> mu = stationary_law(P)
    >>> r = stage_two_kl_rate(P, mu, 1 / mu.max(), default_theta(P))
    >>> pred = -2 * math.log1p(-(1 / mu.max()) * r.mu_row * r.lam)
    >>> r.clean, abs(r.rate / pred - 1) < 1e-6
    (True, True)
    """
    T1, W = clean_prune_time(P, mu, eta, theta)
    mask = softmax_rows(W) >= theta
    lam, rates = slowest_mode_rates(P, mu, eta, mask, W)
    x = int(np.argmin(rates))
    emu = eta * np.asarray(mu, dtype=float)[:, None]
    stop = min(windows) * 1e-2
    kl = []
    for _ in range(max_steps):
        W -= np.where(mask, emu * (softmax_rows(W, mask) - P), 0.0)
        kl.append(float(np.dot(mu, kl_rows(P, W, mask))))
        if kl[-1] < stop:
            break
    kl = np.array(kl)
    if kl[-1] >= stop:
        raise MetacotError(f"stage 2 did not reach KL < {stop:g} within {max_steps} steps")
    est = []
    h = None
    for w in sorted(windows, reverse=True):
        i = int(np.argmax(kl < w))
        if h is None:
            h = max(1, int(round(1 / math.log(kl[i] / kl[i + 1]))))
        if i + 3 * h >= kl.size:
            raise MetacotError("stage 2 stopped before the last rate window; lower the windows")
        a, b, c = (math.log(kl[i + j * h] / kl[i + (j + 1) * h]) / h for j in range(3))
        est.append(aitken(a, b, c))
    rate = est[-1]
    err = 3 * (max(est) - min(est)) + 1e-9 * abs(rate)
    clean = bool((mask == (P > 0)).all())
    share = _mode_share(P, mu, W, mask, eta, float(rates[x]))
    return StageTwoRate(rate, err, x, float(mu[x]), float(lam[x]), T1, int(kl.size), clean, share, kl)


def _mode_share(P, mu, W, mask, eta, rate) -> float:
    """Share of the quadratic KL ½ Σ_x μ(x) eᵀ H_x e (e = log p̂ − log p on the kept support) carried by the
    modes (of any row) whose linearised rate −2 log(1 − η μ(x) λ) equals ``rate`` (to 10⁻⁹), at the logits W:
    ≈ 1 once the slowest excited modes dominate the decay."""
    logp = log_softmax_rows(W, mask)
    total, part = 0.0, 0.0
    for r in range(P.shape[0]):
        p = P[r][mask[r]]
        if p.size < 2:
            continue
        e = logp[r][mask[r]] - np.log(p)
        ev, V = np.linalg.eigh(np.diag(p) - np.outer(p, p))
        ev, V = ev[1:], V[:, 1:]
        c = V.T @ e
        energy = mu[r] * ev * c * c
        rates = -2 * np.log1p(-eta * mu[r] * ev)
        total += float(np.sum(energy))
        part += float(np.sum(energy[np.abs(rates - rate) <= 1e-9 * rate]))
    return part / total if total > 0 else 0.0


def fitted_kl_rate(kl, lo: float = 1e-12, hi: float = 1e-8) -> float:
    """Least-squares slope −d log KL/dt over the steps with lo ≤ KL ≤ hi (claim pretrain.one-stage-stuck).

    Parameters
    ----------
    kl : sequence of float
        KL after every step.
    lo, hi : float
        The fit window.

    Returns
    -------
    float

    Raises
    ------
    MetacotError
        Fewer than three values in the window.

    Examples
    --------
    >>> round(fitted_kl_rate(np.exp(-0.1 * np.arange(400)) * 1e-3), 12)
    0.1
    """
    kl = np.asarray(kl, dtype=float)
    idx = np.flatnonzero((kl >= lo) & (kl <= hi))
    if idx.size < 3:
        raise MetacotError(f"only {idx.size} KL values in the fit window [{lo:g}, {hi:g}]")
    return float(-np.polyfit(idx.astype(float), np.log(kl[idx]), 1)[0])


@dataclass
class HittingRatioLimit:
    """lim of E_p̂[τ]/E_p[τ] along stage 2 (Aitken's Δ² on equally spaced checkpoints; error = three times its
    change from the previous triple plus 10⁻¹¹ for the float hitting times), the ratios, max |log p̂ − log p| at
    each checkpoint, T1, and whether the prune kept exactly the true support."""

    value: float
    error: float
    ratios: list
    log_errors: list
    checkpoints: list
    T1: int
    clean: bool


def hitting_ratio_limit(chain: Chain, eps, step: int, count: int = 5, *, start=None, target=None) -> HittingRatioLimit:
    """Two-stage GD (clean prune at p_min/2, η = 1/max μ), then E_p̂[τ]/E_p[τ] every ``step`` stage-2 steps
    (``count`` checkpoints ≥ 4); E_p exact (rational state reduction), E_p̂ float (subtraction-free, relative
    error ~10⁻¹³). The ratio − 1 decays geometrically with the logit error (claim pretrain.recovers-kernel).

    Parameters
    ----------
    chain : Chain
        The true chain (exact for exact E_p).
    eps : Fraction or float
        Training ε.
    step : int
        Stage-2 steps between checkpoints.
    count : int
        Checkpoints (≥ 4).
    start, target : int, optional
        Default: the chain's.

    Returns
    -------
    HittingRatioLimit

    Raises
    ------
    MetacotError
        count < 4 or step < 1.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> r = hitting_ratio_limit(ring(2, 2, 1), Fraction(1, 10), 40)
    >>> r.clean, abs(r.value - 1) <= r.error < 1e-8
    (True, True)
    """
    from metacot.numerics.solvers.hitting import hitting_time

    if count < 4 or step < 1:
        raise MetacotError("hitting_ratio_limit needs count >= 4 checkpoints and step >= 1")
    eps, P, mu = _setup(chain, eps, None)
    start = chain.start if start is None else start
    target = chain.target if target is None else target
    exact_h = hitting_time(chain, start, target, eps, method="exact" if chain.exact else "float")
    eta = 1.0 / float(mu.max())
    theta = default_theta(P)
    T1, W = clean_prune_time(P, mu, eta, theta)
    mask = softmax_rows(W) >= theta
    emu = eta * mu[:, None]
    pos = P > 0
    ratios, errs, cps = [], [], []
    for k in range(1, count + 1):
        for _ in range(step):
            W -= np.where(mask, emu * (softmax_rows(W, mask) - P), 0.0)
        Kt = softmax_rows(W, mask)
        h = hitting_time(model_chain(Kt, chain, eps, kind="kernel"), start, target, 0, method="float")
        ratios.append(float(h / float(exact_h)))
        errs.append(float(np.max(np.abs(np.log(Kt[pos]) - np.log(P[pos])))))
        cps.append(k * step)
    a1, a2 = aitken(*ratios[-4:-1]), aitken(*ratios[-3:])
    return HittingRatioLimit(a2, 3 * abs(a2 - a1) + 1e-11, ratios, errs, cps, T1,
                             bool((mask == pos).all()))
