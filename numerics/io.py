"""Chain files: JSON {"n", "P0": [[i, j, "a/b"], …], "P1": […], "clusters"?: […]} and .npz (dense P0, P1).

Rational or decimal strings and integers load exactly; JSON floats make the chain float.
Optional keys "start", "target", "name" are kept when present.
"""
from __future__ import annotations

import json
import math
import os
from fractions import Fraction

import numpy as np

from metacot.numerics.chain import Chain
from metacot.numerics.errors import ChainError
from metacot.numerics.numbers import format_number


def chain_to_json(chain: Chain) -> dict:
    """JSON-able dict; exact entries as rational strings, floats as numbers."""

    def triples(which):
        out = []
        for i, row in enumerate(chain.row_dicts(which)):
            for j in sorted(row):
                v = row[j]
                out.append([i, j, format_number(v) if isinstance(v, Fraction) else float(v)])
        return out

    d = {"n": chain.n, "P0": triples(0), "P1": triples(1)}
    if chain.has_given_clusters:
        d["clusters"] = chain.clusters
    for key in ("start", "target", "name"):
        v = getattr(chain, key, None)
        if v is not None:
            d[key] = v
    return d


def chain_from_json(d) -> Chain:
    if not isinstance(d, dict):
        raise ChainError("chain JSON must be an object with keys n, P0, P1 (and optional clusters)")
    unknown = set(d) - {"n", "P0", "P1", "clusters", "start", "target", "name"}
    if unknown:
        raise ChainError(f"unknown key(s) in chain JSON: {', '.join(sorted(unknown))}")
    for key in ("n", "P0"):
        if key not in d:
            raise ChainError(f"chain JSON is missing the key {key!r}")
    for key in ("P0", "P1"):
        if key in d and not isinstance(d[key], list):
            raise ChainError(f"{key} must be a list of [i, j, value] triples")
    clusters = d.get("clusters")
    if clusters is not None and (not isinstance(clusters, list) or not all(isinstance(c, list) for c in clusters)):
        raise ChainError("clusters must be a list of lists of states")
    return Chain(d["n"], d["P0"], d.get("P1", []), clusters, start=d.get("start"), target=d.get("target"),
                 name=d.get("name"))


def load_chain(path) -> Chain:
    """Load a chain from .json or .npz; errors name the file and the problem."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ChainError(f"chain file not found: {path}")
    if path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as z:
                if "P0" not in z:
                    raise ChainError(f"{path}: .npz file has no array 'P0'")
                P0 = np.asarray(z["P0"], dtype=float)
                P1 = np.asarray(z["P1"], dtype=float) if "P1" in z else np.zeros_like(P0)
        except ChainError:
            raise
        except Exception as exc:  # malformed archive
            raise ChainError(f"{path}: cannot read .npz ({exc.__class__.__name__}: {exc})") from None
        if P0.ndim != 2 or P0.shape[0] != P0.shape[1] or P1.shape != P0.shape:
            raise ChainError(f"{path}: P0 and P1 must be square arrays of the same shape")
        for name, M in (("P0", P0), ("P1", P1)):
            if not np.all(np.isfinite(M)):
                i, j = map(int, np.argwhere(~np.isfinite(M))[0])
                raise ChainError(f"{path}: {name}[{i},{j}] = {M[i, j]} is not finite")
        import scipy.sparse as sp

        return Chain.from_csr(sp.csr_matrix(P0), sp.csr_matrix(P1), name=os.path.basename(path))
    try:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ChainError(f"{path}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except UnicodeDecodeError:
        raise ChainError(f"{path}: not a UTF-8 text file") from None
    try:
        return chain_from_json(d)
    except ChainError as exc:
        raise ChainError(f"{path}: {exc}") from None


def _reject_constant(name):
    raise ChainError(f"{name} is not a valid number in a chain file")


def save_chain(chain: Chain, path) -> None:
    """Write .json (exact when the chain is exact) or .npz (dense float arrays)."""
    path = os.fspath(path)
    if path.endswith(".npz"):
        np.savez(path, P0=chain.dense(0), P1=chain.dense(1))
        return
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(chain_to_json(chain), fh, indent=None)
        fh.write("\n")


def finite_or_str(x):
    return x if not (isinstance(x, float) and not math.isfinite(x)) else format_number(x)
