"""Shared pieces of the subcommands: argument types, chain loading, start/target resolution, the
JSON-or-text tail, output-path checks and progress lines on stderr.

Conventions every subcommand follows (one home each, here):

* ``--json`` is a flag: the result as JSON on stdout instead of text (:func:`report`);
* ``--out FILE`` writes the command's product (a chain, a report) to FILE, checked for writability
  before any work starts (:func:`output_file`);
* ``--quiet`` silences the progress lines that long commands print on stderr (:class:`Progress`);
* argument types (:func:`number`, :func:`integer`, :func:`seed`, :func:`dps`, :func:`state`) raise
  :class:`argparse.ArgumentTypeError`, so a bad value is one line ``error: metacot CMD: argument
  --eps: …`` and exit 2.

The module imports no numerics at load time, so ``metacot --help`` stays fast.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

from metacot.numerics.errors import MetacotError, describe_os_error
from metacot.numerics.numbers import SEED_MAX, check_seed, format_brief, format_number, parse_number, to_json_value

brief = format_brief  # short numbers in headers and messages

DPS_MIN, DPS_MAX = 15, 10_000  # --dps range: below 15 digits use float; above 10^4 digits one step costs seconds
PROGRESS_INTERVAL = 10.0       # seconds between progress lines (METACOT_PROGRESS_INTERVAL overrides)


# ----------------------------------------------------------------------------- argument types
def _strip_what(message: str, what: str) -> str:
    prefix = f"{what}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def number(what: str, *, positive: bool = False, below_one: bool = False, allow_auto: bool = False):
    """argparse type: a number parsed exactly (``'1e-30'`` is 10⁻³⁰, ``'1/1000'``, ``'0.25'``).

    Parameters
    ----------
    what : str
        The quantity, named in messages.
    positive, below_one : bool
        Require ``x > 0``, and ``x < 1``.
    allow_auto : bool
        Also accept the word ``auto`` (returned as the string ``"auto"``).

    Examples
    --------
    >>> number("eps", positive=True)("1e-3")
    Fraction(1, 1000)
    >>> number("eps", positive=True)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: eps must be positive, got -1
    """

    def parse(text: str):
        if allow_auto and text.strip().lower() == "auto":
            return "auto"
        try:
            v = parse_number(text, what=what)
        except MetacotError as exc:
            raise argparse.ArgumentTypeError(_strip_what(str(exc), what)) from None
        if positive and not v > 0:
            raise argparse.ArgumentTypeError(f"{what} must be positive, got {format_number(v)}")
        if below_one and not v < 1:
            raise argparse.ArgumentTypeError(f"{what} must be below 1, got {format_number(v)}")
        return v

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


def integer(what: str, minimum: int | None = None, maximum: int | None = None):
    """argparse type: an integer in [minimum, maximum] (either bound optional).

    Examples
    --------
    >>> integer("walkers", 2)("100")
    100
    >>> integer("walkers", 2)("1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: walkers must be an integer >= 2, got '1'
    """
    if minimum is not None and maximum is not None:
        rule = f"an integer in {minimum}..{maximum}"
    elif minimum is not None:
        rule = f"an integer >= {minimum}"
    elif maximum is not None:
        rule = f"an integer <= {maximum}"
    else:
        rule = "an integer"

    def parse(text: str) -> int:
        t = text.strip()
        if not (t.lstrip("+-").isdigit() and t.lstrip("+-").isascii()) or len(t) > 30:
            raise argparse.ArgumentTypeError(f"{what} must be {rule}, got {text[:40]!r}")
        v = int(t)
        if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(f"{what} must be {rule}, got {text!r}")
        return v

    parse.__name__ = what
    return parse


def seed(text: str) -> int:
    """argparse type for every ``--seed``: the seed rule of :func:`metacot.numerics.numbers.check_seed`.

    Examples
    --------
    >>> seed("3")
    3
    >>> seed("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: seed must be an integer in 0..4294967295 (2^32 - 1), got '-1'
    """
    try:
        v = integer("seed")(text)
        return check_seed(v)
    except (argparse.ArgumentTypeError, MetacotError):
        raise argparse.ArgumentTypeError(f"seed must be an integer in 0..{SEED_MAX} (2^32 - 1), got {text[:40]!r}") \
            from None


def dps(text: str) -> int:
    """argparse type for ``--dps``: decimal digits of mpmath, DPS_MIN..DPS_MAX.

    Examples
    --------
    >>> dps("100000")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: dps must be an integer in 15..10000 (decimal digits of mpmath; below 15 use --method float), got '100000'
    """
    try:
        return integer("dps", DPS_MIN, DPS_MAX)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"dps must be an integer in {DPS_MIN}..{DPS_MAX} (decimal digits of "
                                         f"mpmath; below {DPS_MIN} use --method float), got {text[:40]!r}") from None


def state(text: str) -> int:
    """argparse type for ``--start``/``--target``: an integer (its range 0..n−1 is checked against the chain
    by :func:`resolve_states`, which names the range)."""
    try:
        return integer("state")(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"a state is an integer index, got {text[:40]!r}") from None


state.__name__ = "state"


def output_file(text: str) -> str:
    """argparse type for ``--out FILE``: FILE must be creatable or overwritable, checked before the work.

    Examples
    --------
    >>> output_file("/no/such/folder/r.json")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: cannot write /no/such/folder/r.json: the folder /no/such/folder does not exist
    """
    path = os.path.expanduser(text)
    if not path or path.endswith(os.sep):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: give a file name, not a folder")
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot write {path}: it is a folder, not a file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot write {path}: the folder {folder} does not exist")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write {path}: permission denied")
    if not os.path.exists(path) and not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {path}: the folder {folder} is not writable")
    return path


output_file.__name__ = "FILE"


# ----------------------------------------------------------------------------- common options
def add_chain_argument(p) -> None:
    """The positional CHAIN argument (a .json or .npz chain file)."""
    p.add_argument("chain", metavar="CHAIN", help="chain file (.json or .npz)")


def add_json_flag(p, what: str = "the result") -> None:
    """``--json``: print `what` as JSON on stdout instead of text (the same meaning on every command)."""
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout instead of text")


def add_quiet_flag(p) -> None:
    """``--quiet``: no progress lines on stderr."""
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def add_start_target(p, what: str = "") -> None:
    """``--start X`` and ``--target Y`` (defaults: the chain file's "start" and "target")."""
    p.add_argument("--start", type=state, metavar="X", help=f"start state X{what} (default: the chain's start)")
    p.add_argument("--target", type=state, metavar="Y", help=f"target state Y{what} (default: the chain's target)")


def get_chain(args):
    """The chain named by ``args.chain`` (see :func:`metacot.numerics.io.load_chain`)."""
    from metacot.numerics.io import load_chain

    progress = getattr(args, "progress", None)
    if progress is not None:
        progress.stage(f"loading {args.chain}")
    return load_chain(args.chain)


def resolve_states(chain, args, *, start: bool = True, target: bool = True):
    """(start, target) from ``--start``/``--target`` or the chain file; None for a state not asked for.

    Raises
    ------
    MetacotError
        A required state is neither given nor in the chain file, or is out of range.
    """
    out = []
    for name, need in (("start", start), ("target", target)):
        v = getattr(args, name, None)
        v = getattr(chain, name, None) if v is None else v
        if v is None and need:
            flag = "X" if name == "start" else "Y"
            raise MetacotError(f"no {name} state: pass --{name} {flag} (the chain file has no '{name}')")
        if v is not None and not 0 <= v < chain.n:
            raise MetacotError(f"unknown {name} state {v} (states are 0..{chain.n - 1})")
        out.append(v)
    return tuple(out)


def require_clusters(chain, command: str):
    """chain.clusters, or a ChainError that says which commands need the metastable structure.

    Hitting times are defined for every chain (spec 00: general affine chains are accepted); the
    meta-chain needs every state in a closed class of P0 whose block is irreducible and aperiodic.
    """
    from metacot.numerics.errors import ChainError

    try:
        return chain.clusters
    except ChainError as exc:
        raise ChainError(f"{exc}; `metacot {command}` needs the metastable structure of spec 00 (closed, "
                         "irreducible, aperiodic blocks of P0), while `metacot hitting` works on any chain") from None


# ----------------------------------------------------------------------------- output
def emit_json(obj, stream=None) -> None:
    """``obj`` as indented JSON (numbers by :func:`~metacot.numerics.numbers.to_json_value`) and a newline."""
    stream = stream or sys.stdout
    json.dump(to_json_value(obj), stream, indent=2)
    stream.write("\n")


def report(args, data, text=None) -> int:
    """The tail of every command: ``data`` as JSON with ``--json``, else the lines of ``text(data)``.

    Parameters
    ----------
    args : argparse.Namespace
        Its ``json`` flag chooses the form.
    data : dict
        The result (any value :func:`~metacot.numerics.numbers.to_json_value` understands).
    text : callable or iterable of str, optional
        The text form: a function of ``data`` returning lines, or the lines themselves.

    Returns
    -------
    int
        0, the exit code of a command that succeeded.

    Examples
    --------
    >>> import argparse
    >>> report(argparse.Namespace(json=False), {"E": 4}, lambda d: [f"E = {d['E']}"])
    E = 4
    0
    """
    if getattr(args, "json", False):
        emit_json(data)
    elif text is not None:
        for line in (text(data) if callable(text) else text):
            print(line)
    return 0


def write_text_file(path: str, write) -> None:
    """Open ``path`` for writing and call ``write(fh)``; an OSError becomes a one-line MetacotError."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            write(fh)
    except OSError as exc:
        raise MetacotError(describe_os_error(exc, "cannot write")) from None


def fmt(x, digits: int | None = None) -> str:
    """:func:`~metacot.numerics.numbers.format_number` (exact as rationals, floats with 17 digits)."""
    return format_number(x, digits)


# ----------------------------------------------------------------------------- progress
class Progress:
    """Progress lines on stderr while a long command runs: ``metacot hitting: 20 s, simulating …``.

    A line every PROGRESS_INTERVAL seconds (environment variable METACOT_PROGRESS_INTERVAL overrides)
    from a background thread, naming the command, the elapsed time and the current stage; nothing
    when ``quiet`` or when the command ends before the first interval. Use as a context manager.

    Examples
    --------
    >>> with Progress("hitting", quiet=True) as p:
    ...     p.stage("solving")
    """

    def __init__(self, command: str, *, quiet: bool = False, stream=None, interval: float | None = None):
        self.command = command
        self.quiet = quiet
        self.stream = stream
        env = os.environ.get("METACOT_PROGRESS_INTERVAL")
        try:
            self.interval = float(env) if interval is None and env else (interval or PROGRESS_INTERVAL)
        except ValueError:
            self.interval = PROGRESS_INTERVAL
        self._stage = "starting"
        self._stop = threading.Event()
        self._thread = None
        self._t0 = time.monotonic()

    def stage(self, text: str) -> None:
        """Name what the command is doing now (shown in the next progress line)."""
        self._stage = text

    def __enter__(self):
        self._t0 = time.monotonic()
        if not self.quiet and self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="metacot-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        return False

    def _run(self):
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - self._t0
            stream = self.stream or sys.stderr
            try:
                stream.write(f"metacot {self.command}: {_duration(elapsed)} elapsed, {self._stage}\n")
                stream.flush()
            except (OSError, ValueError):  # stderr closed: stop reporting
                return


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
