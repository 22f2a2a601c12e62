"""Small finite groups for the logical task of spec 05 (paper Sec. 5, App. E).

A `FiniteGroup` stores its Cayley table (`mul[a, b]` = index of a·b), inverses and identity, so
products over many paths vectorise as numpy table look-ups. `Element` is a hashable group element
with `*`, `inverse()`, `==`. Groups provided: cyclic Z_n (Z_2 is the parity task) and the symmetric
group S_n on {0..n−1} (S_3 is the smallest non-abelian group).

Conventions: permutations are tuples p with p[i] the image of i; the product is composition
(p·q)(i) = p(q(i)) ("apply q first"). The answer of a path is the ordered product
g_1·g_2·…·g_L of the labels of its transitions in the order they are taken.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from metacot.numerics.errors import MetacotError


class FiniteGroup:
    """A finite group given by its element labels and Cayley table (index arithmetic)."""

    def __init__(self, name: str, labels: list, mul: np.ndarray, identity: int):
        self.name = name
        self.labels = list(labels)
        self.order = len(self.labels)
        mul = np.asarray(mul, dtype=np.int64)
        if mul.shape != (self.order, self.order):
            raise MetacotError(f"group {name}: Cayley table has shape {mul.shape}, expected ({self.order}, {self.order})")
        self.mul = mul
        self.mul.setflags(write=False)
        self.identity_index = int(identity)
        inv = np.full(self.order, -1, dtype=np.int64)
        for a in range(self.order):
            hits = np.flatnonzero(mul[a] == identity)
            if len(hits) != 1:
                raise MetacotError(f"group {name}: element {self.labels[a]} has no unique inverse")
            inv[a] = hits[0]
        self.inv = inv
        self.inv.setflags(write=False)
        self._index = {lab: i for i, lab in enumerate(self.labels)}

    # ------------------------------------------------------------------ elements
    def element(self, label_or_index) -> "Element":
        """Element by its label (e.g. (1, 0, 2) in S_3, 1 in Z_2) or by its index."""
        if isinstance(label_or_index, Element):
            if label_or_index.group is not self:
                raise MetacotError(f"element of {label_or_index.group.name} used in {self.name}")
            return label_or_index
        if label_or_index in self._index:
            return Element(self, self._index[label_or_index])
        if isinstance(label_or_index, (int, np.integer)) and not isinstance(label_or_index, bool) \
                and 0 <= int(label_or_index) < self.order:
            return Element(self, int(label_or_index))
        raise MetacotError(f"{label_or_index!r} is not an element of {self.name}")

    @property
    def identity(self) -> "Element":
        return Element(self, self.identity_index)

    def elements(self) -> list["Element"]:
        return [Element(self, i) for i in range(self.order)]

    def non_identity(self) -> list["Element"]:
        return [e for e in self.elements() if not e.is_identity]

    def product(self, elements) -> "Element":
        """Ordered product g_1·g_2·…·g_L (identity for the empty product)."""
        acc = self.identity_index
        for g in elements:
            g = self.element(g)
            acc = int(self.mul[acc, g.index])
        return Element(self, acc)

    def is_abelian(self) -> bool:
        return bool(np.array_equal(self.mul, self.mul.T))

    def __repr__(self):
        return f"<FiniteGroup {self.name} order={self.order}>"


class Element:
    """An element of a FiniteGroup: multiplication `g * h`, `g.inverse()`, equality, hashing."""

    __slots__ = ("group", "index")

    def __init__(self, group: FiniteGroup, index: int):
        self.group = group
        self.index = int(index)

    def __mul__(self, other: "Element") -> "Element":
        if not isinstance(other, Element):
            return NotImplemented
        if other.group is not self.group:
            raise MetacotError(f"cannot multiply elements of {self.group.name} and {other.group.name}")
        return Element(self.group, int(self.group.mul[self.index, other.index]))

    def inverse(self) -> "Element":
        return Element(self.group, int(self.group.inv[self.index]))

    @property
    def is_identity(self) -> bool:
        return self.index == self.group.identity_index

    @property
    def label(self):
        return self.group.labels[self.index]

    def __eq__(self, other):
        return isinstance(other, Element) and other.group is self.group and other.index == self.index

    def __hash__(self):
        return hash((self.group.name, self.index))

    def __repr__(self):
        return f"{self.group.name}:{self.label}"

    def to_json(self):
        lab = self.label
        return list(lab) if isinstance(lab, tuple) else lab


@lru_cache(maxsize=None)
def cyclic_group(n: int) -> FiniteGroup:
    """Z_n = {0..n−1} under addition mod n (identity 0)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise MetacotError(f"cyclic group order must be a positive integer, got {n!r}")
    a = np.arange(n)
    return FiniteGroup(f"Z{n}", list(range(n)), (a[:, None] + a[None, :]) % n, 0)


@lru_cache(maxsize=None)
def symmetric_group(n: int) -> FiniteGroup:
    """S_n: permutations of {0..n−1} as tuples, product (p·q)(i) = p(q(i)), identity first."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 5:
        raise MetacotError(f"symmetric group degree must be an integer in 1..5, got {n!r}")
    perms = list(itertools.permutations(range(n)))
    idx = {p: i for i, p in enumerate(perms)}
    mul = np.empty((len(perms), len(perms)), dtype=np.int64)
    for i, p in enumerate(perms):
        for j, q in enumerate(perms):
            mul[i, j] = idx[tuple(p[q[k]] for k in range(n))]
    return FiniteGroup(f"S{n}", perms, mul, idx[tuple(range(n))])


Z2 = cyclic_group(2)
S3 = symmetric_group(3)

GROUPS = {"z2": Z2, "s3": S3}


def get_group(name) -> FiniteGroup:
    """'z2' or 's3' (case-insensitive), or a FiniteGroup passed through."""
    if isinstance(name, FiniteGroup):
        return name
    key = str(name).strip().lower()
    if key not in GROUPS:
        raise MetacotError(f"unknown group {name!r} (choose one of: {', '.join(sorted(GROUPS))})")
    return GROUPS[key]


def default_labels(group, m: int) -> list[Element]:
    """The public labels g_0..g_{m−1} of the m candidate edges (used by every claim of spec 05).

    Z_2: every candidate carries the generator 1, so the answer is the parity χ_S(x).
    S_3: the five non-identity elements in turn, (0 1), (0 1 2), (1 2), (0 2 1), (0 2), ... — both
    transpositions and 3-cycles, and consecutive labels never commute.
    Other groups: the non-identity elements in index order, cyclically.
    """
    group = get_group(group)
    if group is S3:
        order = [(1, 0, 2), (1, 2, 0), (0, 2, 1), (2, 0, 1), (2, 1, 0)]
        seq = [group.element(p) for p in order]
    else:
        seq = group.non_identity()
    if not seq:
        raise MetacotError(f"group {group.name} has no non-identity element")
    return [seq[e % len(seq)] for e in range(m)]
