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
    s = x0
    prev = lab.label[s]
    base = np.arange(walkers, dtype=np.int64) * (K * K)
    acc = np.zeros(walkers * K * K, dtype=np.int64)
    for _ in range(steps):
        s = sampler.step(s)
        cur = lab.label[s]
        acc += np.bincount(base + prev * K + cur, minlength=walkers * K * K)
        prev = cur
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
        """K² logits (claim distill.compression)."""
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
    """Stationary law μ^ε of P(ε) (GTH; exact for exact chains at rational ε). Needs P(ε) irreducible."""
    from metacot.numerics.solvers.reduction import gth_stationary

    eps = chain.check_eps(eps)
    use_exact = chain.exact and isinstance(eps, Fraction) if exact is None else exact
    if use_exact:
        rows = chain.kernel_exact(eps)
        A = [[Fraction(0)] * chain.n for _ in range(chain.n)]
        for i, r in enumerate(rows):
            for j, v in r.items():
                A[i][j] = v
    else:
        A = chain.kernel(eps).toarray()
    try:
        return gth_stationary(A)
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
    """Algorithm 4: simulate `walkers` trajectories of `steps` transitions, compress with ι, fit q̂ by
    cross-entropy (closed form), rescale by β (number, "auto" or None = 0). labelling: a Labelling, a
    list of state sets (e.g. Sparse Edge Search's discovered clusters), or None for the ground truth."""
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


__all__ = ["Labelling", "LabellingError", "compress", "distillation_pairs", "transition_counts", "generate_data",
           "DistillationData", "MetaKernelFit", "fit_meta_kernel", "softmax_rows", "cross_entropy", "fit_logits_gd",
           "rescale_logits", "rescale_kernel", "auto_scale", "scale_from_beta", "DistilledModel", "distilled_model",
           "stationary_law", "exact_meta_kernel", "stationary_label_kernel", "DistillationResult", "cluster_pair",
           "distill", "DEFAULT_B"]
