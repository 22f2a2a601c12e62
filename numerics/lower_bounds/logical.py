"""The logical task of spec 05 (paper Sec. 5, App. E): path finding plus group actions on a chain.

Every transition carries an element of a finite group G: true sparse edges carry their (public)
non-identity label g_e, every other edge (dense edges, and low-probability edges inside a cluster)
carries the identity. The answer of a path X_in = x_0 → x_1 → … → x_L = X_out is the ordered product
g(x_0,x_1)·g(x_1,x_2)·…·g(x_{L−1},x_L).

`candidate_task(mask, r)` realises spec 05's "m candidate edges that look alike locally": m+1 arcs
(directed segments of length 2r+5) laid out in a line; candidate e joins arc e to arc e+1 with weight q.
Arcs are glued into clusters by dense closure edges: a cluster is a maximal run of arcs joined by
candidates that are *not* sparse (decoys: low-probability edges inside one cluster, identity label); a
true candidate (mask[e] = 1) joins two different clusters (a sparse edge, label g_e). Each cluster's
P0 block is the lazy walk around its cycle (P0(x,x) = P0(x,next) = 1/2: doubly stochastic, aperiodic);
the kernel is the paper's row-rescaled p^ε = (1 − ε q(x))P0 + ε Q. K = 1 + #true candidates, and
m ≥ K − 1 as in spec 05. The closure edges lie ≥ r+1 steps from the direct path, so the radius-r
view of that path does not depend on the mask (claim L3).

Access levels (what a learner is given; definitions and how they may differ from the paper's:
theory/lower_bounds.py), as JSON-able data (`view`):
  (1) NONE   — nothing;             (2) PATH   — the state sequence of the path;
  (3) LOCAL  — states within undirected distance r of the path, and every edge among them with its
               exact P0 and P1 entries (i.e. its probability p^ε = P0 + ε P1);
  (4) GLOBAL — the whole model (every state and edge with its P0 and P1 entries) and the sparse edges
               E_s that global search finds in it (edges between closed classes of P0), with their labels.
`induced_classes` groups the 2^m concepts S by the view of the direct path at a level: the concept class
a learner at that level still faces (claim lower.access-levels).
"""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import MetacotError
from metacot.numerics.lower_bounds.groups import Element, FiniteGroup, default_labels, get_group
from metacot.numerics.numbers import format_number, parse_number


class AccessLevel(str, Enum):
    NONE = "none"
    PATH = "path"
    LOCAL = "local"
    GLOBAL = "global"


@dataclass
class LogicalTask:
    """A chain whose transitions carry group elements; ground truth E_s = true candidates.

    candidates: the public candidate edges (x, y) in path order; candidate_labels: the public label g_e
    each would carry if sparse; sparse_mask: which candidates are true sparse edges (hidden from local
    learners). Every edge not in E_s carries the identity.
    """

    chain: Chain
    group: FiniteGroup
    candidates: list
    candidate_labels: list
    sparse_mask: tuple
    r: int = 1
    name: str = ""
    _labels: dict = field(default=None, repr=False)

    @property
    def m(self) -> int:
        return len(self.candidates)

    @property
    def sparse_edges(self) -> list:
        """E_s (ground truth) in candidate order."""
        return [c for c, t in zip(self.candidates, self.sparse_mask) if t]

    @property
    def labels(self) -> dict:
        """{(x, y): g} for every edge with a non-identity label (= E_s)."""
        if self._labels is None:
            self._labels = {c: g for c, g, t in zip(self.candidates, self.candidate_labels, self.sparse_mask) if t}
        return self._labels

    def edge_label(self, x: int, y: int) -> Element:
        return self.labels.get((x, y), self.group.identity)

    def is_valid_path(self, path) -> bool:
        """x_0 = start, x_L = target, and every transition has positive probability for 0 < ε ≤ eps_max."""
        path = list(path)
        if not path or path[0] != self.chain.start or path[-1] != self.chain.target:
            return False
        sup = _generic_support(self.chain)
        return all(y in sup[x] for x, y in zip(path[:-1], path[1:]))

    def answer(self, path) -> Element:
        """Ordered product of the edge labels along the path (ground truth)."""
        path = list(path)
        if not self.is_valid_path(path):
            raise MetacotError("not a valid path from X_in to X_out of this chain")
        acc = self.group.identity
        for x, y in zip(path[:-1], path[1:]):
            acc = acc * self.edge_label(x, y)
        return acc

    def sample_paths(self, count: int, eps, seed: int, max_steps: int = 200_000) -> list[list[int]]:
        """`count` random-walk paths X_in → X_out of P(ε) (seeded; each stops at its first visit of X_out)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise MetacotError(f"count must be a non-negative integer, got {count!r}")
        eps = self.chain.check_eps(eps)
        P = self.chain.kernel(eps)
        rng = np.random.default_rng(seed)
        rows = [(P.indices[P.indptr[i]:P.indptr[i + 1]], np.cumsum(P.data[P.indptr[i]:P.indptr[i + 1]]))
                for i in range(self.chain.n)]
        out = []
        for _ in range(count):
            x, path = self.chain.start, [self.chain.start]
            while x != self.chain.target:
                if len(path) > max_steps:
                    raise MetacotError(f"random walk did not reach X_out within {max_steps} steps (eps too small?)")
                idx, cum = rows[x]
                k = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
                x = int(idx[min(k, len(idx) - 1)])
                path.append(x)
            out.append(path)
        return out

    def direct_path(self) -> list[int]:
        """For candidate tasks: along arc 0, through every candidate in order, to X_out (no closure edge)."""
        if not hasattr(self, "_arc_len"):
            raise MetacotError("direct_path is defined for candidate_task chains only")
        L, h = self._arc_len, self.r + 1
        path = []
        for k in range(self.m + 1):
            path.extend(k * L + j for j in range(h, L - h))
        return path

    def view(self, path, level, r: int | None = None) -> dict:
        return view(self, path, level, r)


def _generic_support(chain: Chain) -> list[set]:
    """Successors of each state for 0 < ε < eps_max: support of P0 ∪ support of P1 (entries not cancelling)."""
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)
    out = []
    for a, b in zip(r0, r1):
        s = {j for j, v in a.items() if v != 0}
        s |= {j for j, v in b.items() if v != 0}
        out.append(s)
    return out


def candidate_task(mask, r: int = 1, group="z2", labels=None, q=1) -> LogicalTask:
    """m = len(mask) candidates; mask[e] = 1 makes candidate e a true sparse edge (see module docstring)."""
    mask = tuple(int(bool(v)) for v in mask)
    m = len(mask)
    if m < 1:
        raise MetacotError("need at least one candidate edge")
    if isinstance(r, bool) or not isinstance(r, int) or r < 0:
        raise MetacotError(f"radius r must be a non-negative integer, got {r!r}")
    group = get_group(group)
    labels = default_labels(group, m) if labels is None else [group.element(g) for g in labels]
    if len(labels) != m or any(g.is_identity for g in labels):
        raise MetacotError("need one non-identity label per candidate")
    q = parse_number(q, what="q")
    if not isinstance(q, Fraction) or q <= 0:
        raise MetacotError("q must be a positive exact number")
    L = 2 * r + 5  # offsets r+1..r+3 of each arc lie on the direct path; 0 and L−1 (closure) are r+1 away
    h = r + 1
    n = (m + 1) * L

    def s(k, j):
        return k * L + j

    # clusters: maximal runs of arcs joined by decoys
    runs, cur = [], [0]
    for e in range(m):
        if mask[e]:
            runs.append(cur)
            cur = [e + 1]
        else:
            cur.append(e + 1)
    runs.append(cur)
    half = Fraction(1, 2)
    P0 = {}
    clusters = []
    for run in runs:
        cyc = [s(k, j) for k in run for j in range(L)]
        clusters.append(cyc)
        for a, x in enumerate(cyc):
            y = cyc[(a + 1) % len(cyc)]
            P0[(x, x)] = P0.get((x, x), 0) + half
            P0[(x, y)] = P0.get((x, y), 0) + half
    cands = [(s(e, L - 1 - h), s(e + 1, h)) for e in range(m)]
    P1 = {}
    for (x, y) in cands:  # row-rescaled: ε·(q δ_y − q P0(x, ·))
        P1[(x, y)] = P1.get((x, y), 0) + q
        for (i, j), v in list(P0.items()):
            if i == x:
                P1[(x, j)] = P1.get((x, j), 0) - q * v
    chain = Chain(n, P0, P1, clusters=clusters, start=s(0, h), target=s(m, L - 1 - h),
                  name=f"candidates(mask={''.join(map(str, mask))}, r={r}, G={group.name})")
    task = LogicalTask(chain, group, cands, labels, mask, r, name=chain.name)
    task._arc_len = L
    return task


def labelled_family_task(chain: Chain, group="s3", seed: int = 0) -> LogicalTask:
    """Label every sparse edge of a family chain (ring, uniform-escape, random) with a seeded random
    non-identity element; all sparse edges are true (mask all 1)."""
    group = get_group(group)
    rng = np.random.default_rng(seed)
    edges = sorted(chain.sparse_edges())
    if not edges:
        raise MetacotError("the chain has no sparse edges")
    nonid = group.non_identity()
    labels = [nonid[int(rng.integers(len(nonid)))] for _ in edges]
    return LogicalTask(chain, group, edges, labels, tuple([1] * len(edges)), 1, name=f"labelled {chain.name}")


# ---------------------------------------------------------------------------- access levels
def _neighbourhood(chain: Chain, path, r: int) -> list[int]:
    """States within undirected distance r of the path in the generic support graph."""
    sup = _generic_support(chain)
    und = [set() for _ in range(chain.n)]
    for x, ys in enumerate(sup):
        for y in ys:
            if y != x:
                und[x].add(y)
                und[y].add(x)
    dist = {x: 0 for x in path}
    dq = deque(dict.fromkeys(path))
    while dq:
        x = dq.popleft()
        if dist[x] == r:
            continue
        for y in und[x]:
            if y not in dist:
                dist[y] = dist[x] + 1
                dq.append(y)
    return sorted(dist)


def _edges_among(chain: Chain, states) -> list:
    """[x, y, P0(x,y), P1(x,y)] for every edge x → y with both ends in `states` (exact rational strings)."""
    inside = set(states)
    r0, r1 = chain.row_dicts(0), chain.row_dicts(1)
    edges = []
    for x in states:
        for y in sorted(set(r0[x]) | set(r1[x])):
            if y in inside:
                edges.append([x, y, format_number(r0[x].get(y, Fraction(0))), format_number(r1[x].get(y, Fraction(0)))])
    return edges


def view(task: LogicalTask, path, level, r: int | None = None) -> dict:
    """What a learner sees at an access level (JSON-able; exact probabilities as rational strings).

    Examples
    --------
    >>> A, B, path = indistinguishable_pair(2, 0, r=1)
    >>> [view_bytes(view(A, path, lv)) == view_bytes(view(B, path, lv)) for lv in ("none", "path", "local", "global")]
    [True, True, True, False]
    """
    level = AccessLevel(level)
    path = [int(x) for x in path]
    if level is AccessLevel.NONE:
        return {"level": "none"}
    if level is AccessLevel.PATH:
        return {"level": "path", "path": path}
    if level is AccessLevel.LOCAL:
        r = task.r if r is None else r
        states = _neighbourhood(task.chain, path, r)
        return {"level": "local", "r": r, "path": path, "states": states, "edges": _edges_among(task.chain, states)}
    found = global_learner(task)
    public = dict(zip(task.candidates, task.candidate_labels))
    return {"level": "global", "path": path, "states": list(range(task.chain.n)),
            "edges": _edges_among(task.chain, range(task.chain.n)),
            "sparse_edges": [list(e) for e in found.sparse_edges],
            "labels": [[x, y, public[(x, y)].to_json()] for (x, y) in found.sparse_edges]}


def view_bytes(v: dict) -> bytes:
    """Canonical serialisation (sorted keys, no whitespace): equal views ⇔ equal bytes."""
    return json.dumps(v, sort_keys=True, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- learners
def global_learner(task: LogicalTask):
    """Level (4): recover E_s from the whole model (closed classes of P0 → edges between classes), then
    answer any path by multiplying the public labels of its sparse transitions. Returns answer(path) -> (g, mults)."""
    ch = task.chain
    bare = Chain(ch.n, {(i, j): v for i, row in enumerate(ch.row_dicts(0)) for j, v in row.items()},
                 {(i, j): v for i, row in enumerate(ch.row_dicts(1)) for j, v in row.items()})
    lab = bare.cluster_of  # computed closed classes, not the task's given clusters
    public = dict(zip(task.candidates, task.candidate_labels))
    found = {(x, y): public[(x, y)] for (x, y) in task.candidates if lab[x] != lab[y]}
    G = task.group

    def answer(path):
        acc, mults = G.identity, 0
        for x, y in zip(path[:-1], path[1:]):
            acc = acc * found.get((x, y), G.identity)
            mults += 1
        return acc, mults

    answer.sparse_edges = sorted(found)
    return answer


def local_learner_constant(guess_sparse: bool):
    """A level-(3) learner: from the local view alone, assume every visible candidate is (not) sparse."""

    def answer(task: LogicalTask, local_view: dict) -> Element:
        path = local_view["path"]
        pub = dict(zip(task.candidates, task.candidate_labels))
        acc = task.group.identity
        for x, y in zip(path[:-1], path[1:]):
            if guess_sparse and (x, y) in pub:
                acc = acc * pub[(x, y)]
        return acc

    return answer


def indistinguishable_pair(m: int, flip: int, r: int = 1, group="z2", base_mask=None):
    """Claim L3: two candidate tasks differing only in whether candidate `flip` is sparse.

    Returns (task_A, task_B, path) with task_A.sparse_mask[flip] = 1, task_B's = 0 and the direct path.
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise MetacotError(f"m must be a positive integer, got {m!r}")
    if not 0 <= flip < m:
        raise MetacotError(f"flip must be a candidate index in 0..{m - 1}, got {flip}")
    base = [1] * m if base_mask is None else [int(bool(v)) for v in base_mask]
    if len(base) != m:
        raise MetacotError("base_mask must have length m")
    a, b = list(base), list(base)
    a[flip], b[flip] = 1, 0
    A = candidate_task(a, r, group)
    B = candidate_task(b, r, group)
    path = A.direct_path()
    if path != B.direct_path():  # pragma: no cover - construction invariant
        raise AssertionError("direct paths differ")
    return A, B, path


# ---------------------------------------------------------------------------- induced concept classes
def mask_of(S: int, m: int) -> list[int]:
    """The candidate mask of concept S (bit e of S = candidate e is a true sparse edge)."""
    return [(S >> e) & 1 for e in range(m)]


def induced_classes(m: int, level, r: int = 1, group="z2", view_radius: int | None = None) -> list[list[int]]:
    """The concept classes a learner at an access level faces (claim lower.access-levels).

    Every concept S ⊆ {0..m−1} (an m-bit integer) is realised as ``candidate_task(mask_of(S), r, group)``; the
    view of the direct path at `level` (radius `view_radius`, default r, for the local level) is computed for
    each, and the concepts are grouped by equal views (canonical bytes, :func:`view_bytes`). A learner that
    receives view v must still identify S within its group C(v) = {S : V(S) = v}.

    Returns
    -------
    list of list of int
        The groups (a partition of 0..2^m − 1), each sorted, in order of their smallest member.

    Examples
    --------
    >>> [len(c) for c in induced_classes(3, "local")], len(induced_classes(3, "global"))
    ([8], 8)
    """
    return induced_classes_by_level(m, [level], r, group, view_radius)[AccessLevel(level).value]


def induced_classes_by_level(m: int, levels, r: int = 1, group="z2", view_radius: int | None = None) -> dict:
    """:func:`induced_classes` for several levels at once (each concept's task is built once). A level may be
    given as a pair (level, radius) to use its own view radius. Returns {level or (level, radius): groups},
    keyed as given (level names as strings)."""
    if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
        raise MetacotError(f"m must be an integer in 1..12, got {m!r}")
    specs = []
    for lv in levels:
        if isinstance(lv, tuple):
            specs.append(((AccessLevel(lv[0]).value, lv[1]), AccessLevel(lv[0]), lv[1]))
        else:
            specs.append((AccessLevel(lv).value, AccessLevel(lv), view_radius))
    groups: dict = {key: {} for key, _, _ in specs}
    path = None
    for S in range(1 << m):
        task = candidate_task(mask_of(S, m), r, group)
        p = task.direct_path()
        if path is None:
            path = p
        elif p != path:  # pragma: no cover - construction invariant
            raise AssertionError("direct paths differ between concepts")
        for key, lv, rad in specs:
            groups[key].setdefault(view_bytes(view(task, p, lv, rad)), []).append(S)
    return {k: sorted(g.values(), key=lambda c: c[0]) for k, g in groups.items()}


def bayes_error(tasks, path, level, r: int | None = None) -> Fraction:
    """Least error probability of any learner that sees only the view of `path` at `level`, when the task is
    drawn uniformly from `tasks` and must answer the path (claim lower.local-indistinguishable): tasks with
    equal views get the same output, so the best learner answers the most frequent answer of each view.

    Examples
    --------
    >>> A, B, path = indistinguishable_pair(3, 1, r=1)
    >>> bayes_error([A, B], path, "local"), bayes_error([A, B], path, "global")
    (Fraction(1, 2), Fraction(0, 1))
    """
    tasks = list(tasks)
    if not tasks:
        raise MetacotError("bayes_error needs at least one task")
    by_view: dict[bytes, dict] = {}
    for t in tasks:
        counts = by_view.setdefault(view_bytes(view(t, path, level, r)), {})
        a = t.answer(path)
        counts[a] = counts.get(a, 0) + 1
    right = sum(max(c.values()) for c in by_view.values())
    return Fraction(len(tasks) - right, len(tasks))


def global_success_rate(m: int, targets=None, r: int = 1, group="z2") -> Fraction:
    """Fraction of the targets S (default: all 2^m) that the level-(4) learner identifies exactly: it reads the
    sparse edges from the whole model of ``candidate_task(mask_of(S, m), r, group)`` (:func:`global_learner`:
    edges between closed classes of P0) and maps them back to the candidate set (claim lower.learner-demo).

    Examples
    --------
    >>> global_success_rate(3)
    Fraction(1, 1)
    """
    targets = list(range(1 << m)) if targets is None else [int(S) for S in targets]
    if not targets:
        raise MetacotError("need at least one target")
    ok = 0
    for S in targets:
        task = candidate_task(mask_of(S, m), r, group)
        found = set(global_learner(task).sparse_edges)
        ok += sum(1 << e for e, c in enumerate(task.candidates) if c in found) == S
    return Fraction(ok, len(targets))
