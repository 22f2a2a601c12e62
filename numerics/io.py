"""Chain files: JSON {"n", "P0": [[i, j, "a/b"], …], "P1": […], "clusters"?: […]} and .npz (dense P0, P1).

Rational or decimal strings and integers load exactly; JSON floats make the chain float.
Optional keys "start", "target", "name" are kept when present. Every problem with a file is a
:class:`~metacot.numerics.errors.ChainError` whose one-line message names the file and the fix; the
checks on the declared size run before anything of that size is allocated.
"""
from __future__ import annotations

import json
import math
import os
from fractions import Fraction

from metacot.numerics.errors import ChainError, LimitError, describe_os_error
from metacot.numerics.numbers import format_number

NPZ_MAX_N = 5000  # .npz chain files hold dense n×n float arrays: 2·8·n² bytes (400 MB at n = 5000)


def chain_to_json(chain) -> dict:
    """The chain-file object of a Chain: ``{"n", "P0", "P1", "clusters"?, "start"?, "target"?, "name"?}``.

    P0 and P1 as ``[i, j, value]`` triples in row order; exact entries as rational strings (``"1/2"``),
    float entries as JSON numbers. ``clusters`` is written only for a chain built with explicit clusters.
    The inverse of :func:`chain_from_json`.

    Parameters
    ----------
    chain : Chain

    Returns
    -------
    dict
        JSON-able (``json.dumps`` writes it as it is).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> chain_to_json(ring(2, 1, 1))["P1"]
    [[0, 0, '-1'], [0, 1, '1'], [1, 0, '1'], [1, 1, '-1']]
    """

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


def chain_from_json(d):
    """The Chain described by a parsed chain-file object (see the module docstring).

    Parameters
    ----------
    d : dict
        ``{"n": N, "P0": [[i, j, value], …], "P1": […], "clusters"?: [[…], …], "start"?, "target"?,
        "name"?}`` meaning P(ε) = P0 + ε·P1; values as rational or decimal strings or integers (exact)
        or JSON numbers (float chain).

    Returns
    -------
    Chain

    Raises
    ------
    ChainError
        Wrong shape, unknown keys, or a declared size ``n`` larger than the entries present (every
        row of P0 sums to 1, so every state needs at least one P0 entry); checked before any array
        of size ``n`` is built.

    Examples
    --------
    >>> c = chain_from_json({"n": 2, "P0": [[0, 0, "1"], [1, 1, "1"]], "P1": [[0, 1, "1"], [0, 0, "-1"]]})
    >>> c.n, c.eps_max
    (2, Fraction(1, 1))
    >>> chain_from_json({"n": 10**12, "P0": [[0, 0, "1"]]})
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.ChainError: n = 1000000000000 declares 1000000000000 states but P0 lists 1 entry; every state needs at least one P0 entry (its row sums to 1): fix n or add the missing rows
    """
    from metacot.numerics.chain import Chain

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


def load_chain(path):
    """Load a chain from a .json or .npz file.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz``: dense float arrays ``P0`` and ``P1`` (float chain); anything else is read as JSON.

    Returns
    -------
    Chain

    Raises
    ------
    ChainError
        One line naming the file and the problem (missing, a folder, unreadable, malformed, not a
        chain of spec 00).

    Examples
    --------
    >>> import os, tempfile
    >>> from metacot.numerics.families import ring
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "ring.json")
    ...     save_chain(ring(3, 2, 1), path)
    ...     print(load_chain(path).n)
    6
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ChainError(f"chain file not found: {path}")
    if os.path.isdir(path):
        raise ChainError(f"{path} is a folder, not a chain file (.json or .npz)")
    if path.endswith(".npz"):
        return _load_npz(path)
    try:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ChainError(f"{path}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except UnicodeDecodeError:
        raise ChainError(f"{path}: not a UTF-8 text file") from None
    except RecursionError:
        raise ChainError(f"{path}: JSON nested too deeply to be a chain file") from None
    except ChainError as exc:
        raise ChainError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ChainError(describe_os_error(exc, "cannot read chain file")) from None
    try:
        return chain_from_json(d)
    except ChainError as exc:
        raise ChainError(f"{path}: {exc}") from None


def _load_npz(path: str):
    import numpy as np
    import scipy.sparse as sp

    from metacot.numerics.chain import Chain

    try:
        z = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise ChainError(describe_os_error(exc, "cannot read chain file")) from None
    except Exception:  # not a zip archive of .npy arrays (numpy's message suggests unpickling)
        raise ChainError(f"{path}: not a .npz archive of numeric arrays P0 and P1 (write one with "
                         "numpy.savez(path, P0=..., P1=...))") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise ChainError(f"{path}: a single .npy array, not a .npz archive with arrays P0 and P1")
    with z:
        if "P0" not in z.files:
            raise ChainError(f"{path}: .npz file has no array 'P0' (it has: {', '.join(z.files) or 'none'})")
        arrays = {}
        for name in ("P0", "P1"):
            if name not in z.files:
                continue
            try:
                a = z[name]
            except ValueError:  # object arrays need pickle, which is never used on chain files
                raise ChainError(f"{path}: array {name} holds Python objects, not numbers") from None
            except Exception:
                raise ChainError(f"{path}: array {name} is damaged (cannot be read)") from None
            if a.dtype.kind not in "biuf":
                raise ChainError(f"{path}: array {name} has {a.dtype} entries, not real numbers")
            arrays[name] = a
    P0 = np.asarray(arrays["P0"], dtype=float)
    P1 = np.asarray(arrays["P1"], dtype=float) if "P1" in arrays else np.zeros_like(P0)
    if P0.ndim != 2 or P0.shape[0] != P0.shape[1]:
        raise ChainError(f"{path}: P0 must be a square 2-D array, got shape {P0.shape}")
    if P0.shape[0] == 0:
        raise ChainError(f"{path}: P0 is empty (0x0); a chain needs at least one state")
    if P1.shape != P0.shape:
        raise ChainError(f"{path}: P1 has shape {P1.shape}, P0 has {P0.shape}; they must be equal")
    for name, M in (("P0", P0), ("P1", P1)):
        if not np.all(np.isfinite(M)):
            i, j = map(int, np.argwhere(~np.isfinite(M))[0])
            raise ChainError(f"{path}: {name}[{i},{j}] = {format_number(M[i, j])} is not finite")
    try:
        return Chain.from_csr(sp.csr_matrix(P0), sp.csr_matrix(P1), name=os.path.basename(path))
    except ChainError as exc:
        raise ChainError(f"{path}: {exc}") from None


def _reject_constant(name):
    raise ChainError(f"{name} is not a valid number in a chain file")


def save_chain(chain, path) -> None:
    """Write a chain file: .json (exact rationals when the chain is exact; see :func:`chain_to_json`) or
    .npz (dense float64 arrays P0 and P1, for at most NPZ_MAX_N = 5000 states). :func:`load_chain` reads
    either back; a .json file round-trips an exact chain exactly.

    Parameters
    ----------
    chain : Chain
    path : str or os.PathLike
        Ends in ``.npz`` for the dense float format; anything else is written as JSON.

    Returns
    -------
    None

    Raises
    ------
    LimitError
        A .npz file for more than NPZ_MAX_N states (dense arrays).
    OSError
        The file cannot be written (the command line words it with ``describe_os_error``).

    Examples
    --------
    >>> import os, tempfile
    >>> from metacot.numerics.families import ring
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "ring.json")
    ...     save_chain(ring(3, 2, 1), path)
    ...     c = load_chain(path)
    >>> c.n, c.clusters, c.eps_max
    (6, [[0, 1], [2, 3], [4, 5]], Fraction(1, 1))
    """
    path = os.fspath(path)
    if path.endswith(".npz"):
        if chain.n > NPZ_MAX_N:
            raise LimitError(f"a .npz chain file holds dense n×n arrays and is limited to n <= {NPZ_MAX_N} states "
                             f"(this chain has n = {chain.n}); write .json instead (sparse, exact)")
        import numpy as np

        with open(path, "wb") as fh:
            np.savez(fh, P0=chain.dense(0), P1=chain.dense(1))
        return
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(chain_to_json(chain), fh, indent=None)
        fh.write("\n")


def finite_or_str(x):
    """x unchanged unless it is an infinite or NaN float, then its string ("inf")."""
    return x if not (isinstance(x, float) and not math.isfinite(x)) else format_number(x)
