"""Shared test inputs: hypothesis strategies (random metastable chains, ε over many decades) and small fixed chains;
and `rel_to_exact`, the relative error against an exact rational reference."""
from fractions import Fraction

import mpmath
from hypothesis import strategies as st

from metacot.numerics.chain import row_rescaled_chain
from metacot.numerics.families import random_chain
from metacot.numerics.verify.conjectures import eps_decades  # noqa: F401  (the library's strategy, re-used)


def rel_to_exact(a, b) -> float:
    """|a − b|/|b| in 60-digit arithmetic (b an exact Fraction; a a float, mpf or Fraction)."""
    with mpmath.workdps(60):
        am = mpmath.mpf(a.numerator) / a.denominator if isinstance(a, Fraction) else mpmath.mpf(a)
        bm = mpmath.mpf(b.numerator) / b.denominator
        return float(abs(am - bm) / abs(bm))


@st.composite
def cluster_sizes(draw, min_k=2, max_k=4, max_size=4):
    k = draw(st.integers(min_k, max_k))
    return [draw(st.integers(1, max_size)) for _ in range(k)]


@st.composite
def chains(draw, min_k=2, max_k=4, max_size=4, doubly_stochastic=None):
    """Exact random chains in row-rescaled form (random_chain with drawn seed, sizes and options)."""
    sizes = draw(cluster_sizes(min_k, max_k, max_size))
    seed = draw(st.integers(0, 2**31 - 1))
    ds = draw(st.booleans()) if doubly_stochastic is None else doubly_stochastic
    extra = draw(st.integers(0, 3))
    return random_chain(seed, sizes, extra_edges=extra, doubly_stochastic=ds)


def two_cluster_chain():
    """C0 = {0,1} with block [[1/2,1/2],[1/4,3/4]] (π = (1/3, 2/3)), C1 = {2}; edges 1→2 (q=1/2), 2→0 (q=1)."""
    return row_rescaled_chain([[["1/2", "1/2"], ["1/4", "3/4"]], [[1]]], {(1, 2): "1/2", (2, 0): 1})
