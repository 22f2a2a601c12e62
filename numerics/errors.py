"""Error types. Every user-facing failure is a MetacotError subclass with a one-line message."""


class MetacotError(ValueError):
    """Bad input or an impossible request; the CLI prints `error: <message>` and exits 2."""


class ChainError(MetacotError):
    """A chain violates the model of spec 00 (stochasticity, ranges, clusters, format)."""


class EpsilonError(MetacotError):
    """ε lies outside the range where P(ε) = P0 + ε·P1 is a stochastic matrix."""


class UnreachableTargetError(MetacotError):
    """The target is not reached almost surely, so the expected hitting time is infinite."""


class InsufficientDataError(MetacotError):
    """A statistical estimate was asked for with too little data to define it."""


class PrecisionError(MetacotError):
    """A certified computation could not reach the requested enclosure width within its precision cap."""


class LimitError(MetacotError):
    """A request beyond a documented guard rail (size, precision, cost); the message names the limit
    and the way around it, and is raised before any expensive work starts."""


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
