"""Meta-chain distillation (spec 04, paper Sec. 4, Algorithm 4).

Pipeline (claims distill.*):
1. Labelling ι: S → {0..K−1} from the ground-truth clusters (`Labelling.from_chain`) or from any
   list of state sets, e.g. the clusters discovered by Sparse Edge Search (`Labelling.from_sets`).
2. Data: CoT trajectories of X^ε compressed to label sequences ι(X_t); the distillation dataset
   D_dist is the list of consecutive label pairs (k_t, k_{t+1}); its sufficient statistic is the
   K×K count matrix n(k,l).
3. Model: logits Z ∈ R^{K×K}, q̂_Z(k,·) = softmax(Z[k,·]). Cross-entropy on D_dist is minimised in
   closed form by the empirical frequencies q̂(k,l) = n(k,l)/N_k, N_k = Σ_l n(k,l) (`fit_meta_kernel`,
   exact Fractions); `fit_logits_gd` is the gradient-descent variant shown in the book.
4. Time rescaling: Z⁺ = Z + β(11ᵀ − I). With w = e^β, row k becomes
   q̂⁺(k,l) = w q̂(k,l)/(q̂(k,k) + w(1 − q̂(k,k))) (l ≠ k), q̂⁺(k,k) = q̂(k,k)/(q̂(k,k) + w(1 − q̂(k,k))),
   computed from w directly so exact inputs stay exact. β = "auto": w = b/(ε·min_k λ̂_k) with
   λ̂_k = (1 − q̂(k,k))/ε, i.e. w = b / min_k (1 − q̂(k,k)).

The distilled model is a K-state `Chain` in metastable form with singleton clusters:
P0 = I_K, P1 = q̂⁺ − I_K, evaluated at ε' = 1 (one unit of ε' = one distilled step). Then
P(1) = q̂⁺, meta_rates = the off-diagonal of q̂⁺ (per step), jump_chain = its escape law, and
hitting times come from metacot.numerics.solvers.hitting (no new solver).

Reference kernels and the quantities the claims measure: the exact meta kernel q∘^ε (`exact_meta_kernel`);
the learned-limit kernel p̂_ε, the almost-sure T → ∞ limit of the fit (`stationary_label_kernel` at rational ε,
`stationary_label_kernel_rational` as rational functions of ε by GTH over QQ(ε)); the terms of the order-K
identity E_dist = ĥ^jump + (ℓ_min/b)·Σ_k N̂_k(1 − ℓ_k)/ℓ_k (`order_k_terms`, `order_k_expansion`,
`limit_visit_sum`); and Monte Carlo summaries of simulated data with their standard errors
(`pooled_ratio_estimate`, `pooled_kernel_estimate`, `escape_error_ratio`, `relative_spread_estimate`,
`timescale_estimate`, `DistilledModel.sampling_cost`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError, InsufficientDataError, MetacotError, UnreachableTargetError
from metacot.numerics.numbers import format_number, parse_number

DEFAULT_B = Fraction(10)  # default rescaling constant b in e^β = b/(ε min λ̂): ≤ 10% extra steps per visit


class LabellingError(MetacotError):
    """A labelling ι is not a partition of the states into non-empty clusters."""


# ============================================================================ 1. labelling and compression
@dataclass(frozen=True)
class Labelling:
    """ι: states 0..n−1 → clusters 0..K−1 (a partition of the states). `source` says where it came from."""

    clusters: tuple
    label: np.ndarray = field(repr=False, compare=False)
    source: str = "given"

    @property
    def n(self) -> int:
        return int(self.label.size)

    @property
    def K(self) -> int:
        return len(self.clusters)

    @classmethod
    def from_sets(cls, sets, n: int, source: str = "given") -> "Labelling":
        """Labelling from a list of state sets; they must be non-empty, disjoint and cover 0..n−1."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise LabellingError(f"number of states must be a positive integer, got {n!r}")
        n = int(n)
        try:
            sets = [list(s) for s in sets]
        except TypeError:
            raise LabellingError("a labelling must be a list of state sets (lists of state indices)") from None
        if not sets:
            raise LabellingError("the labelling has no clusters")
        label = np.full(n, -1, dtype=np.int64)
        out = []
        for k, s in enumerate(sets):
            if not s:
                raise LabellingError(f"cluster {k} of the labelling is empty")
            cl = []
            for x in s:
                if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                    raise LabellingError(f"cluster {k} of the labelling contains {x!r}, not a state index")
                x = int(x)
                if not 0 <= x < n:
                    raise LabellingError(f"cluster {k} of the labelling contains state {x}, outside 0..{n - 1}")
                if label[x] >= 0:
                    raise LabellingError(f"state {x} is in clusters {label[x]} and {k} of the labelling")
                label[x] = k
                cl.append(x)
            out.append(tuple(sorted(cl)))
        missing = np.flatnonzero(label < 0)
        if missing.size:
            raise LabellingError(f"the labelling does not cover state {int(missing[0])} "
                                 f"({missing.size} state(s) have no cluster label)")
        label.setflags(write=False)
        return cls(tuple(out), label, source)

    @classmethod
    def from_chain(cls, chain: Chain) -> "Labelling":
        """Ground-truth labelling: the chain's clusters (given, else the closed classes of P0)."""
        return cls.from_sets(chain.clusters, chain.n, source="ground truth")

    def __call__(self, x: int) -> int:
        """ι(x)."""
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= int(x) < self.n:
            raise LabellingError(f"unknown state {x!r} (states are 0..{self.n - 1})")
        return int(self.label[int(x)])

    def compress(self, trajectory) -> np.ndarray:
        """Label sequence ι(X_0), …, ι(X_T) of a trajectory (int64 array)."""
        return compress(trajectory, self)

    def matching(self, clusters) -> list | None:
        """perm[k] = index of the reference cluster equal to own cluster k, or None if the partitions differ."""
        ref = {tuple(sorted(int(x) for x in c)): i for i, c in enumerate(clusters)}
        perm = [ref.get(c) for c in self.clusters]
        if any(p is None for p in perm) or len(ref) != len(self.clusters):
            return None
        return perm


def compress(trajectory, labelling: Labelling) -> np.ndarray:
    """Compress a state trajectory X_0..X_T to its label sequence ι(X_t) (Alg. 4, data step)."""
    x = np.asarray(trajectory)
    if x.ndim != 1:
        raise MetacotError(f"a trajectory must be a 1-d sequence of states, got shape {x.shape}")
    if x.size and x.dtype.kind not in "iu":
        raise MetacotError("trajectory states must be integers")
    if x.size and (x.min() < 0 or x.max() >= labelling.n):
        bad = int(x[(x < 0) | (x >= labelling.n)][0])
        raise LabellingError(f"trajectory visits state {bad}, which the labelling (states 0..{labelling.n - 1}) "
                             "does not cover")
    return labelling.label[x.astype(np.int64)]


def distillation_pairs(labels) -> np.ndarray:
    """D_dist: the consecutive label pairs (k_t, k_{t+1}), t = 0..T−1, as a (T, 2) int64 array."""
    y = np.asarray(labels, dtype=np.int64)
    if y.ndim != 1:
        raise MetacotError("a label sequence must be 1-d")
    return np.stack([y[:-1], y[1:]], axis=1) if y.size >= 2 else np.zeros((0, 2), dtype=np.int64)


def transition_counts(label_sequences, K: int) -> np.ndarray:
    """n(k,l) = #{t : (k_t, k_{t+1}) = (k, l)} summed over one or several label sequences (K×K int64)."""
    if isinstance(label_sequences, np.ndarray) and label_sequences.ndim == 1:
        label_sequences = [label_sequences]
    counts = np.zeros(K * K, dtype=np.int64)
    for seq in label_sequences:
        y = np.asarray(seq, dtype=np.int64)
        if y.size and (y.min() < 0 or y.max() >= K):
            raise LabellingError(f"label {int(y[(y < 0) | (y >= K)][0])} is outside 0..{K - 1}")
        if y.size >= 2:
            counts += np.bincount(y[:-1] * K + y[1:], minlength=K * K)
    return counts.reshape(K, K)


# ============================================================================ 2. data generation
@dataclass
class DistillationData:
    """Counts n(k,l) of D_dist; per-walker counts (W×K×K) when several walkers were run."""

    counts: np.ndarray
    labelling: Labelling
    eps: object
    steps: int                     # transitions per walker (T)
    walkers: int
    seed: int | None
    per_walker: np.ndarray | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)   # the compressed sequence (one walker)

    @property
    def total_transitions(self) -> int:
        return int(self.counts.sum())


def _start_states(chain: Chain, eps, start, walkers: int, rng) -> np.ndarray:
    if isinstance(start, str):
        if start != "stationary":
            raise MetacotError(f"start must be a state, an array of states or 'stationary', got {start!r}")
        mu = np.asarray(stationary_law(chain, eps, exact=False), dtype=float)
        return rng.choice(chain.n, size=walkers, p=mu / mu.sum()).astype(np.int64)
    if start is None:
        start = chain.start if chain.start is not None else 0
    s = np.asarray(start)
    if s.ndim == 0:
        s = np.full(walkers, int(s), dtype=np.int64)
    if s.shape != (walkers,) or s.dtype.kind not in "iu" or s.min() < 0 or s.max() >= chain.n:
        raise MetacotError(f"start must be a state in 0..{chain.n - 1} (or {walkers} of them)")
    return s.astype(np.int64)


def generate_data(chain: Chain, eps, steps: int, *, seed: int = 0, labelling: Labelling | None = None,
                  walkers: int = 1, start=None, keep_per_walker: bool = False) -> DistillationData:
    """Run `walkers` independent CoT trajectories of P(ε) for `steps` transitions each, compress them
    with ι and count the label pairs. walkers = 1 uses `simulate.sample_trajectory` and keeps the label
    sequence; more walkers use a vectorised `simulate.KernelSampler`. start: a state (default chain.start,
    else 0), an array of states, or 'stationary' (X_0 drawn from the stationary law of P(ε))."""
    from metacot.numerics.solvers.monte_carlo import KernelSampler, sample_trajectory

    eps = chain.check_eps(eps)
    lab = Labelling.from_chain(chain) if labelling is None else labelling
    if lab.n != chain.n:
        raise LabellingError(f"the labelling has {lab.n} states but the chain has {chain.n}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise MetacotError(f"the number of steps T must be a positive integer, got {steps!r}")
    if isinstance(walkers, bool) or not isinstance(walkers, (int, np.integer)) or walkers < 1:
        raise MetacotError(f"the number of walkers must be a positive integer, got {walkers!r}")
    steps, walkers, K = int(steps), int(walkers), lab.K
    rng = np.random.default_rng(seed)
    x0 = _start_states(chain, eps, start, walkers, rng)
    if walkers == 1 and not keep_per_walker:
        traj = sample_trajectory(chain, eps, int(x0[0]), steps, int(rng.integers(2**63)))
        labels = compress(traj, lab)
        counts = transition_counts(labels, K)
        return DistillationData(counts, lab, eps, steps, 1, seed, None, labels)
    sampler = KernelSampler(chain, eps, rng=rng)
    s = np.asarray(x0, dtype=sampler._off.dtype)
    label = lab.label.astype(np.int64)
    prev = label[s]
    base = np.arange(walkers, dtype=np.int64) * (K * K)
    acc = np.zeros(walkers * K * K, dtype=np.int64)
    chunk = max(1, min(steps, (1 << 22) // walkers))      # pair codes of `chunk` steps, counted at once
    codes = np.empty((chunk, walkers), dtype=np.int64)
    done = 0
    while done < steps:
        c = min(chunk, steps - done)
        for t in range(c):
            s = sampler._advance(s)                        # the same draws as KernelSampler.step
            cur = label[s]
            codes[t] = prev * K + cur
            prev = cur
        acc += np.bincount((codes[:c] + base).ravel(), minlength=walkers * K * K)
        done += c
    per = acc.reshape(walkers, K, K)
    return DistillationData(per.sum(axis=0), lab, eps, steps, walkers, seed, per if keep_per_walker else None)


# ============================================================================ 3. the K×K softmax model
@dataclass
class MetaKernelFit:
    """Closed-form cross-entropy fit: q̂(k,l) = n(k,l)/N_k (exact Fractions). Raises on unvisited clusters."""

    counts: np.ndarray
    probs: list

    @property
    def K(self) -> int:
        return len(self.probs)

    @property
    def occupancy(self) -> list:
        """N_k = number of transitions out of a step spent in cluster k."""
        return [int(v) for v in self.counts.sum(axis=1)]

    @property
    def escapes(self) -> list:
        """Number of observed escapes from each cluster, Σ_{l≠k} n(k,l)."""
        return [int(self.counts[k].sum() - self.counts[k, k]) for k in range(self.K)]

    def logits(self) -> np.ndarray:
        """Z = log q̂ (−inf where q̂ = 0); any row-constant shift gives the same model."""
        with np.errstate(divide="ignore"):
            return np.log(np.array([[float(v) for v in row] for row in self.probs]))

    def escape_law(self) -> list:
        """Ĵ(k,l) = n(k,l)/Σ_{m≠k} n(k,m) (l ≠ k): the estimated jump chain (exact)."""
        esc = self.escapes
        dry = [k for k in range(self.K) if esc[k] == 0]
        if dry:
            raise InsufficientDataError(
                f"insufficient data: no escape from cluster {dry[0]} observed "
                f"({len(dry)} cluster(s) without escapes); the escape law is undefined — use more steps")
        return [[Fraction(0) if l == k else Fraction(int(self.counts[k, l]), esc[k]) for l in range(self.K)]
                for k in range(self.K)]

    def escape_rates(self, eps) -> list:
        """λ̂_k = (1 − q̂(k,k))/ε (per unit of 1/ε steps)."""
        return [(1 - row[k]) / eps for k, row in enumerate(self.probs)]

    def cross_entropy(self, logits=None) -> float:
        """Mean cross-entropy −(1/|D|) Σ n(k,l) log q̂_Z(k,l) on D_dist (default: at the closed-form fit)."""
        Z = self.logits() if logits is None else np.asarray(logits, dtype=float)
        return cross_entropy(Z, self.counts)


def fit_meta_kernel(counts) -> MetaKernelFit:
    """Cross-entropy minimiser over softmax models: the empirical frequencies n(k,l)/N_k (exact)."""
    c = np.asarray(counts)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 1:
        raise MetacotError(f"counts must be a square K×K matrix, got shape {c.shape}")
    if c.dtype.kind not in "iu" or (c.size and c.min() < 0):
        raise MetacotError("counts must be non-negative integers")
    K = c.shape[0]
    if c.sum() == 0:
        raise InsufficientDataError("insufficient data: the dataset D_dist is empty (no transitions)")
    N = c.sum(axis=1)
    unseen = np.flatnonzero(N == 0)
    if unseen.size:
        raise InsufficientDataError(
            f"insufficient data: cluster {int(unseen[0])} is never visited in the data "
            f"({unseen.size} cluster(s) unvisited), so its row of the meta kernel is undefined — use more steps")
    probs = [[Fraction(int(c[k, l]), int(N[k])) for l in range(K)] for k in range(K)]
    return MetaKernelFit(c.astype(np.int64), probs)


def softmax_rows(Z) -> np.ndarray:
    """q̂_Z(k,·) = softmax(Z[k,·]) (rows with −inf entries allowed; each row needs one finite logit)."""
    Z = np.asarray(Z, dtype=float)
    if np.isnan(Z).any() or np.isposinf(Z).any():
        raise MetacotError("logits must be finite or −inf")
    m = Z.max(axis=1, keepdims=True)
    if np.isneginf(m).any():
        raise MetacotError("a row of logits is entirely −inf")
    e = np.exp(Z - m)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(Z, counts) -> float:
    """−(1/Σn) Σ_{k,l} n(k,l) log softmax(Z)[k,l] (nats per transition)."""
    c = np.asarray(counts, dtype=float)
    if c.sum() <= 0:
        raise InsufficientDataError("insufficient data: the dataset D_dist is empty (no transitions)")
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1, keepdims=True)
    logp = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    mask = c > 0
    if np.isneginf(logp[mask]).any():
        return math.inf
    return float(-(c[mask] * logp[mask]).sum() / c.sum())


def fit_logits_gd(counts, steps: int = 2000, lr: float = 1.0, Z0=None):
    """Gradient descent on the per-row mean cross-entropy (book variant of step 3).

    Row k's loss is −Σ_l q̂(k,l) log softmax(Z_k)_l with gradient softmax(Z_k) − q̂(k,·); Z ← Z − lr·grad.
    Its minimiser is Z_k = log q̂(k,·) + const (the closed form); entries with q̂ = 0 drift to −∞ (slowly).
    Returns (Z, history of the mean cross-entropy on D_dist, one value per step).
    """
    fit = fit_meta_kernel(counts)
    target = np.array([[float(v) for v in row] for row in fit.probs])
    Z = np.zeros_like(target) if Z0 is None else np.array(Z0, dtype=float)
    if Z.shape != target.shape:
        raise MetacotError(f"Z0 must have shape {target.shape}")
    if not (isinstance(steps, (int, np.integer)) and steps >= 0) or not (lr > 0):
        raise MetacotError("steps must be a non-negative integer and lr positive")
    hist = []
    for _ in range(int(steps)):
        Z = Z - lr * (softmax_rows(Z) - target)
        hist.append(cross_entropy(Z, fit.counts))
    return Z, hist


# ============================================================================ 4. time rescaling
def rescale_logits(Z, beta: float) -> np.ndarray:
    """Z⁺ = Z + β(11ᵀ − I)."""
    Z = np.asarray(Z, dtype=float)
    K = Z.shape[0]
    return Z + float(beta) * (np.ones((K, K)) - np.eye(K))


def _as_field(kernel, scale):
    """Common number type: Fractions if kernel and scale are exact, floats otherwise."""
    exact = isinstance(scale, (Fraction, int)) and all(isinstance(v, (Fraction, int)) for row in kernel for v in row)
    if exact:
        return [[Fraction(v) for v in row] for row in kernel], Fraction(scale), True
    return [[float(v) for v in row] for row in kernel], float(scale), False


def rescale_kernel(kernel, scale) -> list:
    """softmax(Z + β(11ᵀ − I)) computed from q̂ = softmax(Z) and scale = e^β (exact for exact inputs):
    q̂⁺(k,l) = w q̂(k,l)/(q̂(k,k) + w(1 − q̂(k,k))), q̂⁺(k,k) = q̂(k,k)/(q̂(k,k) + w(1 − q̂(k,k)))."""
    rows, w, _ = _as_field(kernel, scale)
    if not w > 0:
        raise MetacotError(f"the rescaling factor e^beta must be positive, got {format_number(w)}")
    out = []
    for k, row in enumerate(rows):
        stay = row[k]
        den = stay + w * (1 - stay)
        out.append([stay / den if l == k else w * v / den for l, v in enumerate(row)])
    return out


def auto_scale(kernel, b=DEFAULT_B):
    """e^β = b/(ε min_k λ̂_k) = b / min_k (1 − q̂(k,k)) (exact for exact inputs; claim distill.order-K)."""
    b = parse_number(b, what="b") if isinstance(b, (str, int)) else b
    if not b > 0:
        raise MetacotError(f"b must be positive, got {format_number(b)}")
    leave = [1 - row[k] for k, row in enumerate(kernel)]
    m = min(leave)
    if m <= 0:
        dry = [k for k, v in enumerate(leave) if v <= 0]
        raise InsufficientDataError(
            f"insufficient data: no escape from cluster {dry[0]} observed, so min λ̂ = 0 and the automatic "
            "beta = log(b/(eps·min λ̂)) is undefined — use more steps or give --beta")
    return b / m


def scale_from_beta(beta):
    """e^β: exact 1 for β = 0, else a float (β in natural-log units)."""
    if isinstance(beta, str):
        beta = parse_number(beta, what="beta")
    if beta == 0:
        return Fraction(1)
    beta = float(beta)
    if not math.isfinite(beta):
        raise MetacotError(f"beta = {beta!r} is not finite")
    if beta > 700:
        raise MetacotError(f"beta = {format_number(beta)} is too large (e^beta overflows float64)")
    return math.exp(beta)


# ============================================================================ 5. the distilled model
@dataclass
class DistilledModel:
    """The distilled K-state chain: kernel q̂⁺ (rows), rescaling factor e^β, start / target clusters.

    `chain` is P0 = I_K, P1 = q̂⁺ − I_K evaluated at ε' = 1 (so P(1) = q̂⁺; see module docstring).
    """

    kernel: list
    scale: object = Fraction(1)
    k_in: int | None = None
    k_out: int | None = None
    base_kernel: list | None = field(default=None, repr=False)   # q̂ before rescaling
    b: object = None
    name: str = "distilled"

    def __post_init__(self):
        K = len(self.kernel)
        if K < 1 or any(len(r) != K for r in self.kernel):
            raise MetacotError("the distilled kernel must be a square K×K matrix")
        for k in (self.k_in, self.k_out):
            if k is not None and not 0 <= k < K:
                raise MetacotError(f"cluster {k} is outside 0..{K - 1}")
        exact = all(isinstance(v, Fraction) for r in self.kernel for v in r)
        P1 = [[v - (1 if l == k else 0) for l, v in enumerate(r)] for k, r in enumerate(self.kernel)]
        eye = [[Fraction(int(k == l)) if exact else float(k == l) for l in range(K)] for k in range(K)]
        try:
            self.chain = Chain.from_dense(eye, P1, start=self.k_in, target=self.k_out, name=self.name)
        except ChainError as exc:
            raise MetacotError(f"the distilled kernel is not a stochastic matrix: {exc}") from None

    @property
    def K(self) -> int:
        return len(self.kernel)

    @property
    def exact(self) -> bool:
        return self.chain.exact

    @property
    def beta(self) -> float:
        """β = log e^β (natural log; a float)."""
        s = self.scale
        return float(math.log(s.numerator) - math.log(s.denominator)) if isinstance(s, Fraction) else math.log(s)

    @property
    def n_parameters(self) -> int:
        """K² logits against n² for a softmax model of the whole chain (arithmetic, shown in the book; not a claim)."""
        return self.K * self.K

    def logits(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(np.array([[float(v) for v in r] for r in self.kernel]))

    def escape_law(self) -> list:
        """q̂⁺(k,l)/(1 − q̂⁺(k,k)): the jump chain of the distilled model (metacot.numerics.solvers.meta_chain.jump_chain)."""
        from metacot.numerics.solvers.meta_chain import jump_chain

        return jump_chain(self.chain)

    def expected_steps(self, k_in: int | None = None, k_out: int | None = None):
        """Exact expected number of distilled steps from cluster k_in to k_out (metacot.numerics.solvers.hitting)."""
        from metacot.numerics.solvers.hitting import hitting_time

        k_in = self.k_in if k_in is None else k_in
        k_out = self.k_out if k_out is None else k_out
        if k_in is None or k_out is None:
            raise MetacotError("expected_steps needs a start and a target cluster")
        try:
            return hitting_time(self.chain, k_in, k_out, Fraction(1) if self.exact else 1.0)
        except UnreachableTargetError:
            dry = [k for k, r in enumerate(self.kernel) if r[k] == 1 and k != k_out]
            extra = f"; no escape from cluster(s) {dry} was observed" if dry else ""
            raise InsufficientDataError(f"insufficient data: the distilled model does not reach cluster {k_out} "
                                        f"from cluster {k_in} almost surely{extra}") from None

    def jump_steps(self, k_in: int | None = None, k_out: int | None = None):
        """h^jump of the model's own jump chain from k_in to k_out (metacot.numerics.solvers.meta_chain.jump_hitting_times)."""
        from metacot.numerics.solvers.meta_chain import jump_hitting_times

        k_in = self.k_in if k_in is None else k_in
        k_out = self.k_out if k_out is None else k_out
        h = jump_hitting_times(self.chain)[k_in][k_out]
        if h == math.inf:
            raise InsufficientDataError(f"insufficient data: the distilled jump chain does not reach cluster {k_out} "
                                        f"from cluster {k_in} almost surely")
        return h

    def sample(self, steps: int, seed: int, start: int | None = None) -> np.ndarray:
        """A label trajectory k_0..k_T of the distilled model (metacot.numerics.solvers.monte_carlo.sample_trajectory)."""
        from metacot.numerics.solvers.monte_carlo import sample_trajectory

        start = self.k_in if start is None else start
        if start is None:
            raise MetacotError("sample needs a start cluster")
        return sample_trajectory(self.chain, 1, start, steps, seed)

    def sampling_cost(self, walkers: int, seed: int):
        """Monte Carlo estimate of the expected number of distilled steps from k_in to k_out (claim
        distill.compression): mean of `walkers` seeded samples with its standard error sd/√walkers.

        Returns
        -------
        Estimate

        Examples
        --------
        >>> m = distilled_model([[Fraction(1, 2), Fraction(1, 2)], [Fraction(1, 2), Fraction(1, 2)]], k_in=0, k_out=1)
        >>> est = m.sampling_cost(4000, seed=1)
        >>> abs(est.mean - 2) < 4 * est.se
        True
        """
        from metacot.numerics.numbers import Estimate

        steps = self.sample_steps_to_target(walkers, seed).astype(float)
        if steps.size < 2:
            raise MetacotError("a sampling-cost estimate needs at least 2 walkers")
        return Estimate(float(steps.mean()), float(steps.std(ddof=1) / math.sqrt(steps.size)), int(steps.size))

    def sample_steps_to_target(self, walkers: int, seed: int, max_steps=None) -> np.ndarray:
        """Raw sample of the number of distilled steps from k_in to k_out (metacot.numerics.solvers.monte_carlo)."""
        from metacot.numerics.solvers.monte_carlo import simulate_hitting_times

        if self.k_in is None or self.k_out is None:
            raise MetacotError("sampling steps to the target needs a start and a target cluster")
        return simulate_hitting_times(self.chain, 1, self.k_in, self.k_out, walkers, seed, max_steps=max_steps)


def distilled_model(kernel, *, beta=None, scale=None, b=None, k_in=None, k_out=None, name="distilled") -> DistilledModel:
    """Rescale a fitted kernel q̂ and wrap it as a DistilledModel.

    Give exactly one of: beta (a number, or "auto"), scale (= e^β, exact allowed), or neither (β = 0).
    beta = "auto" uses e^β = b / min_k(1 − q̂(k,k)) with b (default 10).
    """
    if beta is not None and scale is not None:
        raise MetacotError("give beta or scale (= e^beta), not both")
    if isinstance(beta, str) and beta.strip().lower() == "auto":
        b = DEFAULT_B if b is None else b
        w = auto_scale(kernel, b)
    elif scale is not None:
        w = parse_number(scale, what="scale") if isinstance(scale, str) else scale
    elif beta is not None:
        w = scale_from_beta(beta)
    else:
        w = Fraction(1)
    plus = rescale_kernel(kernel, w)
    return DistilledModel(plus, w, k_in, k_out, [list(r) for r in kernel], b, name)


# ============================================================================ 6. exact reference kernels
def stationary_law(chain: Chain, eps, exact: bool | None = None):
    """Stationary law μ^ε of P(ε) (GTH; exact for exact chains at rational ε). Needs P(ε) irreducible.

    A call of :func:`metacot.numerics.solvers.stationary.stationary_law` with ``irreducible=True``
    (the label kernel divides by every cluster's mass, so transient states are refused here)."""
    from metacot.numerics.solvers.stationary import stationary_law as _stationary_law

    eps = chain.check_eps(eps)
    use_exact = chain.exact and isinstance(eps, Fraction) if exact is None else exact
    try:
        return _stationary_law(chain, eps, "exact" if use_exact else "float", irreducible=True)
    except ChainError:
        raise MetacotError(f"P(eps) at eps = {format_number(eps)} is reducible: the stationary label kernel "
                           "(the T → ∞ limit of the fit) is not unique") from None


def exact_meta_kernel(chain: Chain, eps) -> list:
    """The per-step meta kernel q∘^ε(k,l) = ε r(k,l) (k ≠ l), q∘^ε(k,k) = 1 − ε λ_k (spec 00).
    Exact for exact chains at rational ε."""
    from metacot.numerics.solvers.meta_chain import meta_rates

    eps = chain.check_eps(eps)
    r = meta_rates(chain)
    K = chain.K
    exact = chain.exact and isinstance(eps, Fraction)
    r = [[(v if exact else float(v)) for v in row] for row in (r if chain.exact else r.tolist())]
    e = eps if exact else float(eps)
    out = []
    for k in range(K):
        lam = sum(r[k], Fraction(0) if exact else 0.0)
        out.append([1 - e * lam if l == k else e * r[k][l] for l in range(K)])
    return out


def stationary_label_kernel(chain: Chain, eps, labelling: Labelling | None = None):
    """p_ε(k,l) = P_{μ^ε}(ι(X_1) = l | ι(X_0) = k) and μ^ε(C_k): the almost-sure T → ∞ limit of the fitted
    kernel q̂ (ergodic theorem; P(ε) irreducible). Exact for exact chains at rational ε.
    Returns (kernel rows, cluster masses)."""
    eps = chain.check_eps(eps)
    lab = Labelling.from_chain(chain) if labelling is None else labelling
    exact = chain.exact and isinstance(eps, Fraction)
    mu = stationary_law(chain, eps, exact=exact)
    zero = Fraction(0) if exact else 0.0
    K = lab.K
    flow = [[zero] * K for _ in range(K)]
    if exact:
        rows = chain.kernel_exact(eps)
    else:
        P = chain.kernel(eps)
        rows = [dict(zip(P.indices[P.indptr[i]:P.indptr[i + 1]].tolist(), P.data[P.indptr[i]:P.indptr[i + 1]].tolist()))
                for i in range(chain.n)]
    for x, r in enumerate(rows):
        k = int(lab.label[x])
        for y, v in r.items():
            l = int(lab.label[y])
            flow[k][l] = flow[k][l] + mu[x] * v
    mass = [sum(row, zero) for row in flow]
    return [[v / mass[k] for v in row] for k, row in enumerate(flow)], mass


# ============================================================================ 7. the whole algorithm
@dataclass
class DistillationResult:
    data: DistillationData
    fit: MetaKernelFit
    model: DistilledModel


def cluster_pair(chain: Chain, labelling: Labelling) -> tuple[int, int]:
    """(k_in, k_out) = (ι(start), ι(target)) of the chain."""
    if chain.target is None:
        raise MetacotError("the chain has no target state (add \"target\" to the chain file)")
    start = chain.start if chain.start is not None else 0
    return labelling(start), labelling(chain.target)


def distill(chain: Chain, eps, steps: int, *, beta="auto", b=None, seed: int = 0, labelling=None,
            walkers: int = 1, start=None) -> DistillationResult:
    """Meta-chain distillation, Algorithm 4 of the paper (spec 04): simulate, compress, fit, rescale time.

    Simulate `walkers` trajectories of P(ε) for `steps` transitions each, compress them to label sequences
    ι(X_t), fit the K×K softmax model by cross-entropy on the consecutive label pairs (closed form:
    q̂(k, l) = n(k, l)/N_k, exact Fractions) and add β to the off-diagonal logits:
    q̂⁺(k, l) = w q̂(k, l)/(q̂(k, k) + w(1 − q̂(k, k))) for l ≠ k, w = e^β. With β = "auto",
    w = b/min_k(1 − q̂(k, k)). The rescaling keeps the escape law q̂(k, l)/(1 − q̂(k, k)) exactly
    (claim distill.escape-preserved) and the distilled model reaches the target cluster in
    E_dist ≤ (1 + (1 − ℓ_min)/b)·ĥ^jump distilled steps: O(K), flat in ε, against Θ(KM/ε) steps of the
    original chain (distill.order-K, distill.compression); β = 0 keeps the original timescale
    (distill.timescale).

    Parameters
    ----------
    chain : Chain
    eps : Fraction, int, str, float
        ε with 0 < ε ≤ eps_max.
    steps : int
        Transitions per trajectory, T ≥ 1.
    beta : number, "auto" or None, default "auto"
        β (None: β = 0, no rescaling).
    b : number, optional
        The constant of β = "auto" (default 10: at most 10% extra steps per visit).
    seed : int, default 0
        Seed of the simulation (same seed, same data).
    labelling : Labelling or list of state sets, optional
        ι; e.g. the clusters found by Sparse Edge Search. Default: the chain's clusters.
    walkers : int, default 1
        Independent trajectories.
    start : int, int array or "stationary", optional
        X_0 (default: chain.start, else 0).

    Returns
    -------
    DistillationResult
        ``data`` (label-pair counts n(k, l)), ``fit`` (q̂), ``model`` (a DistilledModel: the rescaled
        kernel q̂⁺ as a K-state Chain, with ``expected_steps()``, ``jump_steps()``, ``escape_law()``).

    Raises
    ------
    InsufficientDataError
        A cluster is never visited in the data (its row of q̂ is undefined); use more steps.
    LabellingError
        A labelling that is not a partition of the chain's states.
    MetacotError
        Bad steps, walkers, start or β; EpsilonError for ε out of range.

    Examples
    --------
    ring(3, 2, 1) at ε = 1/100 needs E[τ] = 400 steps; the distilled 3-state model about 2.2:

    >>> from metacot.numerics.families import ring
    >>> res = distill(ring(3, 2, 1), "1/100", 2000, seed=0, walkers=10)
    >>> m = res.model
    >>> m.K, m.k_in, m.k_out, m.jump_steps()
    (3, 0, 2, Fraction(2, 1))
    >>> m.escape_law()                                     # the jump chain J of the ring
    [[Fraction(0, 1), Fraction(1, 1), Fraction(0, 1)],
     [Fraction(0, 1), Fraction(0, 1), Fraction(1, 1)],
     [Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)]]
    >>> 2 < m.expected_steps() <= Fraction(22, 10)          # ĥ^jump·(1 + 1/b)
    True
    """
    if labelling is not None and not isinstance(labelling, Labelling):
        labelling = Labelling.from_sets(labelling, chain.n, source="given")
    lab = Labelling.from_chain(chain) if labelling is None else labelling
    if lab.n != chain.n:
        raise LabellingError(f"the labelling has {lab.n} states but the chain has {chain.n}")
    data = generate_data(chain, eps, steps, seed=seed, labelling=lab, walkers=walkers, start=start)
    fit = fit_meta_kernel(data.counts)
    k_in, k_out = cluster_pair(chain, lab) if chain.target is not None else (None, None)
    model = distilled_model(fit.probs, beta=beta, b=b, k_in=k_in, k_out=k_out)
    return DistillationResult(data, fit, model)


# ============================================================================ 8. the order-K identity
@dataclass
class OrderKTerms:
    """The terms of the order-K identity (spec 04 D3) of one K×K kernel p̂ rescaled with e^β = b/ℓ_min.

    With ℓ_k = 1 − p̂(k,k) (the escape probability of cluster k per step), ℓ_min = min_k ℓ_k, the jump
    chain Ĵ(k,l) = p̂(k,l)/ℓ_k, its expected visits N̂_k to k before k_out (from k_in; the visit at time 0
    counts, N̂_{k_out} = 0) and hitting time ĥ^jump = Σ_k N̂_k, the rescaled chain spends
    1/p⁺_k = 1 + (ℓ_min/b)(1 − ℓ_k)/ℓ_k steps per visit to k, so

        E_dist = ĥ^jump + (ℓ_min/b)·Σ_k N̂_k (1 − ℓ_k)/ℓ_k  ≤  (1 + (1 − ℓ_min)/b)·ĥ^jump.

    ``E_dist`` is the expected number of steps of the rescaled model, solved from its kernel (not from
    the identity); ``visit_sum`` = Σ_k N̂_k (1 − ℓ_k)/ℓ_k. Fields are Fractions (:func:`order_k_terms`) or
    :class:`~metacot.numerics.solvers.hitting.RationalFunction` of ε (:func:`order_k_expansion`).
    """

    E_dist: object
    h_jump: object
    ell: list
    ell_min: object
    visits: list
    visit_sum: object
    scale: object
    jump: list = field(repr=False, default=None)


def _field_hitting(rates, k_in, k_out, cost, zero):
    """Expected cost to k_out from k_in of the chain with off-diagonal rates / probabilities `rates`
    (metacot.numerics.solvers.reduction.hitting_reduction; every cluster must reach k_out)."""
    from metacot.numerics.solvers.reduction import hitting_reduction

    K = len(rates)
    unknown = [k for k in range(K) if k != k_out]
    idx = {k: i for i, k in enumerate(unknown)}
    A = [{idx[l]: rates[k][l] for l in unknown if l != k and rates[k][l] != 0} for k in unknown]
    t = [rates[k][k_out] for k in unknown]
    try:
        h = hitting_reduction(A, t, [cost(k) for k in unknown])
    except ChainError:
        raise InsufficientDataError(f"cluster {k_out} is not reached almost surely from every cluster "
                                    "of the kernel") from None
    return h[idx[k_in]]


def _order_k_core(p, b, k_in, k_out, zero, one, smaller, E_dist=None):
    K = len(p)
    if not (0 <= k_in < K and 0 <= k_out < K) or k_in == k_out:
        raise MetacotError(f"need two different clusters in 0..{K - 1}, got k_in = {k_in}, k_out = {k_out}")
    ell = [sum((p[k][l] for l in range(K) if l != k), zero) for k in range(K)]   # subtraction-free 1 − p(k,k)
    dry = [k for k in range(K) if ell[k] == 0]
    if dry:
        raise InsufficientDataError(f"insufficient data: cluster {dry[0]} has no escape (ℓ = 0), so "
                                    "e^beta = b/ℓ_min is undefined")
    ell_min = ell[0]
    for e in ell[1:]:
        if smaller(e, ell_min):
            ell_min = e
    J = [[zero if l == k else p[k][l] / ell[k] for l in range(K)] for k in range(K)]
    h_jump = _field_hitting(J, k_in, k_out, lambda k: one, zero)
    visits = [zero] * K
    for j in range(K):
        if j != k_out:
            visits[j] = _field_hitting(J, k_in, k_out, lambda k, j=j: one if k == j else zero, zero)
    visit_sum = sum((visits[k] * p[k][k] / ell[k] for k in range(K) if k != k_out), zero)
    w = b / ell_min
    if E_dist is None:
        plus = [[zero if l == k else w * p[k][l] / (p[k][k] + w * ell[k]) for l in range(K)] for k in range(K)]
        E_dist = _field_hitting(plus, k_in, k_out, lambda k: one, zero)
    return OrderKTerms(E_dist, h_jump, ell, ell_min, visits, visit_sum, w, J)


def order_k_terms(kernel, b, k_in: int, k_out: int) -> OrderKTerms:
    """The order-K identity's terms of an exact kernel (claim distill.order-K), exactly.

    Parameters
    ----------
    kernel : list of list of Fraction
        A K×K stochastic matrix, e.g. the learned-limit kernel :func:`stationary_label_kernel` at a
        rational ε, or a kernel fitted to data (:func:`fit_meta_kernel`).
    b : Fraction or int
        The rescaling constant of e^β = b/ℓ_min (:func:`auto_scale`).
    k_in, k_out : int
        Start and target cluster.

    Returns
    -------
    OrderKTerms
        ``E_dist`` is :meth:`DistilledModel.expected_steps` of ``distilled_model(kernel, beta="auto", b=b)``.

    Raises
    ------
    InsufficientDataError
        A cluster without escape, or k_out not reached.

    Examples
    --------
    On ring(3, 3, 1) at ε = 1/100 the learned escape probability is ℓ = 1/301 in every cluster:

    >>> from metacot.numerics.families import ring
    >>> p, _ = stationary_label_kernel(ring(3, 3, 1), Fraction(1, 100))
    >>> t = order_k_terms(p, 1, 0, 2)
    >>> t.ell_min, t.h_jump, t.E_dist
    (Fraction(1, 301), Fraction(2, 1), Fraction(1202, 301))
    >>> t.E_dist == t.h_jump + t.ell_min / 1 * t.visit_sum
    True
    """
    b = Fraction(b)
    if not b > 0:
        raise MetacotError(f"b must be positive, got {format_number(b)}")
    p = [[Fraction(v) for v in row] for row in kernel]
    E = distilled_model(p, beta="auto", b=b, k_in=k_in, k_out=k_out).expected_steps()
    return _order_k_core(p, b, k_in, k_out, Fraction(0), Fraction(1), lambda x, y: x < y, E_dist=E)


LAURENT_MAX_N = 64   # states: exact rational functions of ε by GTH over QQ(ε) take about a second up to here


def _rf_valuation(rf) -> tuple[int, Fraction]:
    """(order, leading coefficient) of a nonzero RationalFunction at ε = 0."""
    vn = next(i for i, c in enumerate(rf.num) if c != 0)
    vd = next(i for i, c in enumerate(rf.den) if c != 0)
    return vn - vd, rf.num[vn] / rf.den[vd]


def _label_kernel_field(chain: Chain, lab: Labelling):
    """(F, ε, p̂ rows, masses) over F = QQ(ε): the learned-limit kernel as exact rational functions."""
    from metacot.numerics.errors import LimitError
    from metacot.numerics.solvers._qq_eps import field, kernel_rows
    from metacot.numerics.solvers.stationary import _gth_generic

    if chain.n > LAURENT_MAX_N:
        raise LimitError(f"exact rational functions of eps are limited to n <= {LAURENT_MAX_N} states (this chain "
                         f"has {chain.n}); use stationary_label_kernel at rational eps")
    F, E = field()
    rows = kernel_rows(chain, F, E)
    D = [[r.get(j, F.zero) for j in range(chain.n)] for r in rows]
    try:
        mu = _gth_generic(D)                      # GTH over QQ(ε): P(ε) irreducible for small ε > 0
    except ChainError:
        raise MetacotError("P(eps) is reducible for small eps: the stationary label kernel is not unique") from None
    K = lab.K
    flow = [[F.zero] * K for _ in range(K)]
    for x, r in enumerate(rows):
        k = int(lab.label[x])
        for y, v in r.items():
            l = int(lab.label[y])
            flow[k][l] = flow[k][l] + mu[x] * v
    mass = [sum(row, F.zero) for row in flow]
    return F, E, [[v / mass[k] for v in row] for k, row in enumerate(flow)], mass


def stationary_label_kernel_rational(chain: Chain, labelling: Labelling | None = None):
    """The learned-limit kernel p̂(k,l)(ε) of :func:`stationary_label_kernel` as exact rational functions of ε.

    The stationary law μ^ε of P(ε) is computed by GTH elimination over the field QQ(ε) (every entry a
    rational function, no rounding), then p̂(k,l) = Σ_{x∈C_k} μ^ε(x)·P^ε(x, C_l)/μ^ε(C_k).

    Returns
    -------
    (kernel, masses)
        K×K list and K-list of :class:`~metacot.numerics.solvers.hitting.RationalFunction`
        (``.laurent(order)``, ``.evaluate(eps)``).

    Raises
    ------
    LimitError
        More than LAURENT_MAX_N states.

    Examples
    --------
    ring(3, 3, 1): p̂(k, k+1) = ε/(3 + ε) = ε/3 − ε²/9 + …

    >>> from metacot.numerics.families import ring
    >>> p, mass = stationary_label_kernel_rational(ring(3, 3, 1))
    >>> p[0][1].laurent(2)
    {1: Fraction(1, 3), 2: Fraction(-1, 9)}
    >>> p[0][1].evaluate(Fraction(1, 100)), mass[0].evaluate(Fraction(1, 100))
    (Fraction(1, 301), Fraction(1, 3))
    """
    from metacot.numerics.solvers._qq_eps import to_rational_function

    lab = Labelling.from_chain(chain) if labelling is None else labelling
    _, _, p, mass = _label_kernel_field(chain, lab)
    return [[to_rational_function(v) for v in row] for row in p], [to_rational_function(v) for v in mass]


def order_k_expansion(chain: Chain, b, labelling: Labelling | None = None) -> OrderKTerms:
    """The order-K identity's terms of the learned-limit kernel as exact rational functions of ε.

    ℓ_min(ε) is the escape probability that is smallest for all small ε > 0 (rational functions are
    compared by the sign of the leading coefficient of their difference at ε = 0). Used for the
    expansions ĥ^jump_ε = h^jump·(1 + c₁ε + O(ε²)) and E_dist(ε) = E_dist(0) + O(ε) (claim distill.order-K)
    and ℓ_min(ε) = ε·λ_min + O(ε²) (claim distill.beta-order).

    Returns
    -------
    OrderKTerms
        Every field a :class:`~metacot.numerics.solvers.hitting.RationalFunction` of ε
        (``ell``, ``visits`` lists of them; ``jump`` the K×K jump chain).

    Examples
    --------
    The equal-rates-4 chain: ĥ^jump_ε = 4/(1 − ε), so c₁ = 1.

    >>> from metacot.numerics.families import equal_rates_4
    >>> t = order_k_expansion(equal_rates_4(), 1)
    >>> t.h_jump.laurent(1)
    {0: Fraction(4, 1), 1: Fraction(4, 1)}
    >>> t.E_dist.evaluate(Fraction(1, 100))
    Fraction(796, 99)
    """
    from sympy import QQ

    from metacot.numerics.solvers._qq_eps import to_rational_function

    b = Fraction(b)
    if not b > 0:
        raise MetacotError(f"b must be positive, got {format_number(b)}")
    lab = Labelling.from_chain(chain) if labelling is None else labelling
    k_in, k_out = cluster_pair(chain, lab)
    F, _, p, _ = _label_kernel_field(chain, lab)

    def smaller(x, y):
        d = x - y
        return d != 0 and _rf_valuation(to_rational_function(d))[1] < 0

    t = _order_k_core(p, F(QQ(b.numerator, b.denominator)), k_in, k_out, F.zero, F.one, smaller)
    rf = to_rational_function
    return OrderKTerms(rf(t.E_dist), rf(t.h_jump), [rf(v) for v in t.ell], rf(t.ell_min), [rf(v) for v in t.visits],
                       rf(t.visit_sum), rf(t.scale), [[rf(v) for v in row] for row in t.jump])


def learned_steps_rational(chain: Chain, labelling: Labelling | None = None):
    """E_dist(ε) of the model distilled without rescaling (β = 0) from the learned-limit kernel, as an exact
    rational function of ε (claim distill.timescale: simple pole with ε⁻¹ coefficient h^meta).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> ring_E = learned_steps_rational(ring(3, 3, 1))
    >>> ring_E.laurent(0)
    {-1: Fraction(6, 1), 0: Fraction(2, 1)}
    """
    from metacot.numerics.solvers._qq_eps import to_rational_function

    lab = Labelling.from_chain(chain) if labelling is None else labelling
    k_in, k_out = cluster_pair(chain, lab)
    F, _, p, _ = _label_kernel_field(chain, lab)
    return to_rational_function(_field_hitting(p, k_in, k_out, lambda k: F.one, F.zero))


def learned_escape_law(chain: Chain, eps, labelling: Labelling | None = None) -> list:
    """Ĵ^ε(k,l) = p̂(k,l)/(1 − p̂(k,k)) (l ≠ k) of the learned-limit kernel :func:`stationary_label_kernel` at one ε:
    the almost-sure T → ∞ limit of the fitted escape law (claim distill.escape-preserved). Exact at rational ε.

    Examples
    --------
    >>> from metacot.numerics.families import equal_rates_4
    >>> learned_escape_law(equal_rates_4(), Fraction(1, 100))[1]
    [Fraction(101, 200), Fraction(0, 1), Fraction(99, 200)]
    """
    p, _ = stationary_label_kernel(chain, eps, labelling)
    zero = p[0][0] * 0
    out = []
    for k, row in enumerate(p):
        ell = sum((v for l, v in enumerate(row) if l != k), zero)
        if ell == 0:
            raise MetacotError(f"cluster {k} has no escape at this eps")
        out.append([zero if l == k else v / ell for l, v in enumerate(row)])
    return out


def limit_visit_sum(chain: Chain, k_in: int, k_out: int) -> Fraction:
    """Σ_k N_k·λ_min/λ_k for the true jump chain J (expected visits N_k from k_in before k_out): the ε → 0
    limit of ℓ_min·Σ_k N̂_k (1 − ℓ_k)/ℓ_k, so that E_dist(0) = h^jump + limit_visit_sum/b (claim
    distill.order-K). Exact chains only.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> limit_visit_sum(ring(4, 2, 1), 0, 3)
    Fraction(3, 1)
    """
    from metacot.numerics.solvers.meta_chain import escape_rates, jump_chain

    if not chain.exact:
        raise MetacotError("limit_visit_sum needs an exact chain")
    J, lam = jump_chain(chain), escape_rates(chain)
    lmin = min(lam)
    zero, one = Fraction(0), Fraction(1)
    total = zero
    for j in range(chain.K):
        if j != k_out:
            N = _field_hitting(J, k_in, k_out, lambda k, j=j: one if k == j else zero, zero)
            total += N * lmin / lam[j]
    return total


# ============================================================================ 9. Monte Carlo summaries of the data
def pooled_ratio_estimate(numerators, denominators):
    """Ratio estimator R̂ = Σ_w n_w / Σ_w d_w over W ≥ 2 independent walkers, with its walker-level
    (cluster-robust, delta-method) standard error se² = W/(W−1)·Σ_w (n_w − R̂·d_w)² / (Σ_w d_w)²
    (it assumes only that walkers are independent, not that the events of one walker are).

    Returns
    -------
    Estimate
        mean R̂, se, n = W.

    Examples
    --------
    >>> pooled_ratio_estimate([1, 3], [2, 2])
    Estimate(mean=1.0, se=0.5, n=2)
    """
    from metacot.numerics.numbers import Estimate

    n = np.asarray(numerators, dtype=float)
    d = np.asarray(denominators, dtype=float)
    W = n.size
    if W < 2 or d.shape != n.shape:
        raise MetacotError("a pooled ratio needs at least 2 walkers and one denominator per numerator")
    if d.sum() <= 0:
        raise InsufficientDataError("insufficient data: every denominator is 0")
    r = n.sum() / d.sum()
    se = math.sqrt(float(np.sum((n - r * d) ** 2)) * W / (W - 1)) / float(d.sum())
    return Estimate(float(r), se, W)


def _escapes(per_walker) -> np.ndarray:
    per = np.asarray(per_walker)
    return per.sum(axis=2) - np.einsum("wkk->wk", per)


def pooled_kernel_estimate(per_walker, *, escape_law: bool = False) -> list:
    """Pooled estimates over walkers of the fitted kernel q̂(k,l) = Σ_w n_w(k,l)/Σ_w N_w(k), or (escape_law)
    of the escape law Ĵ(k,l) = Σ_w n_w(k,l)/Σ_w e_w(k), e_w(k) = escapes of walker w from k, each with the
    walker-level standard error of :func:`pooled_ratio_estimate` (claims distill.per-step-meta,
    distill.escape-preserved).

    Parameters
    ----------
    per_walker : int array (W, K, K)
        Label-pair counts per walker (``generate_data(..., keep_per_walker=True).per_walker``).

    Returns
    -------
    K×K list of Estimate (None on the diagonal of the escape law)

    Examples
    --------
    >>> per = np.array([[[8, 2], [1, 9]], [[6, 4], [3, 7]]])
    >>> pooled_kernel_estimate(per)[0][1].mean
    0.3
    """
    per = np.asarray(per_walker)
    if per.ndim != 3 or per.shape[1] != per.shape[2]:
        raise MetacotError(f"per-walker counts must have shape (W, K, K), got {per.shape}")
    K = per.shape[1]
    den = _escapes(per) if escape_law else per.sum(axis=2)
    return [[None if (escape_law and l == k) else pooled_ratio_estimate(per[:, k, l], den[:, k]) for l in range(K)]
            for k in range(K)]


def escape_error_ratio(per_walker, J, entries):
    """Mean over walkers of Z²_w, the average over the entries (k,l) with e_w(k) ≥ 1 of
    (Ĵ_w(k,l) − J(k,l))²·e_w(k)/(J(k,l)(1 − J(k,l))), where Ĵ_w is the escape law of walker w and e_w(k) its
    number of escapes from k (claim distill.escape-preserved). When, given e_w(k), the escapes from k are
    independent draws from J(k,·), every term has conditional mean 1, so E[Z²] = 1: the error of Ĵ shrinks like
    e^{-1/2}, i.e. like T^{-1/2}. Walkers without any escape from the listed clusters are left out (that
    selection depends on e_w only, so it does not bias Z²).

    Returns
    -------
    Estimate
        mean of Z²_w over the walkers used, its standard error sd/√W', and W'.

    Raises
    ------
    InsufficientDataError
        Fewer than 2 walkers with an escape.

    Examples
    --------
    >>> per = np.array([[[0, 3, 1], [1, 0, 1], [1, 1, 0]], [[0, 2, 2], [0, 0, 2], [1, 0, 0]]])
    >>> half = [[0, Fraction(1, 2), Fraction(1, 2)]] * 3
    >>> escape_error_ratio(per, half, [(0, 1), (1, 2)]).mean       # walkers: (1 + 0)/2 and (0 + 2)/2
    0.75
    """
    from metacot.numerics.numbers import Estimate

    per = np.asarray(per_walker)
    esc = _escapes(per)
    if per.shape[0] < 2 or not entries:
        raise MetacotError("need at least 2 walkers and one entry")
    total = np.zeros(per.shape[0])
    used = np.zeros(per.shape[0])
    for k, l in entries:
        j = float(J[k][l])
        if not 0 < j < 1:
            raise MetacotError(f"J({k},{l}) = {j} must lie strictly between 0 and 1")
        e = esc[:, k].astype(float)
        ok = e > 0
        total[ok] += (per[ok, k, l] - j * e[ok]) ** 2 / (e[ok] * j * (1 - j))
        used += ok
    keep = used > 0
    if keep.sum() < 2:
        raise InsufficientDataError("insufficient data: fewer than 2 walkers escaped from the listed clusters")
    z2 = total[keep] / used[keep]
    return Estimate(float(z2.mean()), float(z2.std(ddof=1) / math.sqrt(z2.size)), int(z2.size))


def relative_spread_estimate(per_walker, k: int, l: int, scale):
    """The standard deviation over walkers of q̂_w(k,l)/scale (one fitted entry per walker, claim
    distill.per-step-meta), with the normal-theory standard error sd/√(2(W − 1)).

    Returns
    -------
    Estimate
    """
    from metacot.numerics.numbers import Estimate

    per = np.asarray(per_walker)
    occ = per.sum(axis=2)[:, k]
    W = per.shape[0]
    if W < 3:
        raise MetacotError("a spread needs at least 3 walkers")
    if (occ == 0).any():
        raise InsufficientDataError(f"insufficient data: some walker never visited cluster {k}")
    v = per[:, k, l] / occ / float(scale)
    sd = float(np.std(v, ddof=1))
    return Estimate(sd, sd / math.sqrt(2 * (W - 1)), W)


def timescale_estimate(per_walker, eps, k_in: int, k_out: int, batches: int = 20):
    """ε·E_dist of the β = 0 model fitted to all walkers' data, with its batch-means standard error:
    the walkers are split into `batches` groups, each fitted alone; se = sd(batch values)/√batches
    (claim distill.timescale).

    Returns
    -------
    Estimate
    """
    from metacot.numerics.numbers import Estimate

    per = np.asarray(per_walker)
    if not isinstance(batches, int) or batches < 2 or per.shape[0] < batches:
        raise MetacotError("need at least 2 batches and one walker per batch")
    e = float(eps)

    def value(counts):
        return e * float(distilled_model(fit_meta_kernel(counts).probs, k_in=k_in, k_out=k_out).expected_steps())

    vals = [value(chunk.sum(axis=0)) for chunk in np.array_split(per, batches)]
    return Estimate(value(per.sum(axis=0)), float(np.std(vals, ddof=1) / math.sqrt(batches)), per.shape[0])


__all__ = ["Labelling", "LabellingError", "compress", "distillation_pairs", "transition_counts", "generate_data",
           "DistillationData", "MetaKernelFit", "fit_meta_kernel", "softmax_rows", "cross_entropy", "fit_logits_gd",
           "rescale_logits", "rescale_kernel", "auto_scale", "scale_from_beta", "DistilledModel", "distilled_model",
           "stationary_law", "exact_meta_kernel", "stationary_label_kernel", "DistillationResult", "cluster_pair",
           "distill", "DEFAULT_B", "OrderKTerms", "order_k_terms", "order_k_expansion",
           "stationary_label_kernel_rational", "limit_visit_sum", "learned_steps_rational",
           "learned_escape_law", "LAURENT_MAX_N", "pooled_ratio_estimate",
           "pooled_kernel_estimate", "escape_error_ratio", "relative_spread_estimate", "timescale_estimate"]
