"""Error types. Every user-facing failure is a MetacotError subclass with a one-line message."""


class MetacotError(ValueError):
    """Bad input or an impossible request, with a one-line message naming the problem and the way around it.

    The base of every error metacot raises on purpose (a subclass of :class:`ValueError`); the command line
    prints ``error: <message>`` on stderr and exits 2, with no traceback.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> try:
    ...     ring(1, 2)
    ... except MetacotError as exc:
    ...     print(exc)
    K must be an integer ≥ 2, got 1
    >>> issubclass(MetacotError, ValueError)
    True
    """


class ChainError(MetacotError):
    """A chain violates the model of spec 00: rows of P0 not summing to 1 or of P1 to 0, a negative entry,
    a state index out of range, clusters that are not closed, irreducible and aperiodic blocks of P0, or a
    malformed chain file.

    Examples
    --------
    >>> from metacot.numerics.chain import Chain
    >>> Chain(1, [[0, 0, "1/2"]])
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.ChainError: row 0 of P0 sums to 1/2, not 1
    """


class EpsilonError(MetacotError):
    """ε lies outside the range 0 < ε ≤ eps_max where P(ε) = P0 + ε·P1 is a stochastic matrix (or is not a
    finite number, or underflows float64 where a float kernel is needed).

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> ring(3, 2, 1).check_eps("2")
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.EpsilonError: eps = 2 is outside the valid range (0, 1]: P(eps) would have a negative entry
    """


class UnreachableTargetError(MetacotError):
    """The target is not reached almost surely from the start, so the expected hitting time E[τ] is infinite
    (raised where one finite number is asked for; the per-state solvers return ``inf`` instead).

    Examples
    --------
    Two absorbing states and no perturbation:

    >>> from metacot.numerics.chain import Chain
    >>> from metacot.numerics.solvers.hitting import hitting_time
    >>> hitting_time(Chain(2, [[0, 0, "1"], [1, 1, "1"]]), 0, 1, "1/10")
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.UnreachableTargetError: target 1 is not reached almost surely from state 0 at eps = 1/10: E[tau] is infinite
    """


class InsufficientDataError(MetacotError):
    """A statistical estimate was asked for with too little data to define it."""


class PrecisionError(MetacotError):
    """A certified computation could not reach the requested enclosure width within its precision cap.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from metacot.numerics.families import ring
    >>> from metacot.numerics.solvers.certified import certified_hitting_times
    >>> c = ring(3, 2, 1)
    >>> certified_hitting_times(c, c.target, Fraction(1, 10), rtol=Fraction(1, 10**40), max_prec=64)
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.PrecisionError: certified hitting times: relative width 3.32e-18 > rtol = 1e-40 at the precision cap of 64 bits; pass a larger max_prec or a looser rtol
    """


class LimitError(MetacotError):
    """A request beyond a documented guard rail (size, precision, cost); the message names the limit
    and the way around it, and is raised before any expensive work starts.

    Examples
    --------
    >>> from metacot.numerics.families import ring
    >>> ring(3, 2, 1).check_eps("1e-999999999")
    Traceback (most recent call last):
    ...
    metacot.numerics.errors.LimitError: eps: '1e-999999999' has a decimal exponent of magnitude 999999999, above the limit 10000 for exact parsing; use a number between 1e-10000 and 1e+10000
    """


def describe_os_error(exc: OSError, action: str = "cannot open") -> str:
    """One plain line for a failed file operation: ``"cannot write out/r.json: no such folder 'out'"``.

    Used wherever a file is read or written for the user, so that no raw ``[Errno N] …`` text reaches
    them.

    Examples
    --------
    >>> describe_os_error(FileNotFoundError(2, "No such file or directory", "/no/such/chain.json"))
    'cannot open /no/such/chain.json: no such file or folder'
    >>> describe_os_error(IsADirectoryError(21, "Is a directory", "/tmp"), "cannot read")
    'cannot read /tmp: it is a folder, not a file'
    """
    import errno

    words = {errno.ENOENT: "no such file or folder", errno.EACCES: "permission denied",
             errno.EPERM: "permission denied", errno.EISDIR: "it is a folder, not a file",
             errno.ENOTDIR: "a part of the path is not a folder", errno.ENOSPC: "no space left on the device",
             errno.EROFS: "the file system is read-only", errno.ENAMETOOLONG: "the file name is too long",
             errno.EEXIST: "it already exists", errno.EMFILE: "too many open files",
             errno.EIO: "input/output error", errno.EPIPE: "the reader closed the pipe"}
    what = words.get(exc.errno) or (exc.strerror or exc.__class__.__name__).lower()
    name = exc.filename if exc.filename is not None else ""
    return f"{action} {name}: {what}" if name != "" else f"{action}: {what}"
