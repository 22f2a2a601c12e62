"""The `metacot` command line (also `python -m metacot`).

Subcommands live in metacot/numerics/cli/commands/*.py, each with ``add_parser(subparsers)`` that sets
``func(args) -> int`` (and optionally ``prepare(args)``, run after parsing and before any work).
Exit codes: 0 success, 1 a claim misses its expectation, 2 bad input (one line ``error: …`` on
stderr, no traceback), 130 interrupted. Loading the parser imports no numerics (``metacot --help``
and ``metacot --version`` finish in a fraction of a second); each command imports what it needs.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from metacot.numerics.errors import MetacotError, describe_os_error

#: subcommands with their own progress display (or none needed): no heartbeat lines from main
_NO_HEARTBEAT = {"verify", "claims", "book"}


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line ``error: metacot CMD: …`` message and exit code 2."""

    def error(self, message):
        sys.stderr.write(f"error: {self.prog}: {' '.join(str(message).split())}\n")
        raise SystemExit(2)


def _version() -> str:
    from metacot import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The ``metacot`` argument parser with every subcommand of metacot.numerics.cli.commands."""
    parser = _Parser(prog="metacot",
                     description="metacot: the claims of 'Metastable Dynamics of Chain-of-Thought Reasoning' "
                                 "(Kim, Wu, Lee, Suzuki, ICML 2025) as sympy statements checked by numerics.",
                     epilog="Every subcommand takes --json (the result as JSON on stdout). Exit codes: 0 success, "
                            "1 a claim misses its expectation, 2 bad input, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"metacot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    from metacot.numerics.cli import commands as pkg

    for name in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        mod = importlib.import_module(f"{pkg.__name__}.{name}")
        if hasattr(mod, "add_parser"):
            mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run one ``metacot`` command line; returns the exit code (never raises for bad input).

    Examples
    --------
    >>> main(["hitting", "/no/such/chain.json", "--eps", "1/10"])
    2
    """
    try:
        args = build_parser().parse_args(argv)
        prepare = getattr(args, "prepare", None)
        if prepare is not None:
            prepare(args)
        from metacot.numerics.cli.helpers import Progress

        quiet = getattr(args, "quiet", False) or args.command in _NO_HEARTBEAT
        with Progress(args.command, quiet=quiet) as progress:
            args.progress = progress
            return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (`metacot claims | head -1`): not an error
        return 0
    except MetacotError as exc:
        return _fail(_one_line(exc))
    except MemoryError:
        return _fail("out of memory: the computation needs more memory than this machine has; use a smaller "
                     "chain, or the float method (--method float) where the command has one")
    except OSError as exc:
        return _fail(describe_os_error(exc))
    except OverflowError as exc:
        return _fail(f"a number is too large for float64 ({_one_line(exc)}); use exact arithmetic "
                     "(--method exact) or mpmath (--method mp)")
    except ValueError as exc:
        return _fail(_one_line(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def _fail(message: str, code: int = 2) -> int:
    try:
        sys.stderr.write(f"error: {message}\n")
    except (OSError, ValueError):
        pass
    return code


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def entry() -> None:
    """Console-script entry point: ``main()``, then a flush that tolerates a closed stdout."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        try:  # later flushes (at interpreter exit) go nowhere instead of raising again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
    except (OSError, ValueError):
        pass
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
