"""Shared hypothesis strategies: random metastable chains (exact) and ε over many decades."""
from fractions import Fraction

from hypothesis import strategies as st

from numerics.families import random_chain


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


def eps_decades(lo=1, hi=40):
    """ε = m·10^(−d) exactly (Fraction), d from lo to hi decades, m in 1..9."""
    return st.builds(lambda m, d: Fraction(m, 10**d), st.integers(1, 9), st.integers(lo, hi))
