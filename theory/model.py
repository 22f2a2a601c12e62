"""Spec 00: the model's closed forms, as sympy expressions the claims import."""
import sympy as sp

from .symbols import K, M, q, eps, E_tau, h_meta

# h^meta(1 → K) for ring(K, M, q), and h^meta(k → l) for uniform-escape(K, M, q).
h_meta_canonical = (K - 1) * M / q

# Leading order of the expected hitting time for the canonical families: E[τ] ≈ (K−1)M/(qε).
hitting_canonical_leading = h_meta_canonical / eps

# The general leading-order statement (claim hitting.leading-order): lim_{ε→0} ε·E[τ] = h^meta.
leading_order_relation = sp.Eq(sp.Limit(eps * E_tau, eps, 0), h_meta)

# Validity of the row-rescaled kernel p^ε = (1 − ε q(x)) P0 + ε Q: 0 ≤ ε ≤ 1/max_x q(x).
eps_valid = sp.And(eps >= 0, eps <= 1 / q)
