"""The `metacot` command line (also `python -m metacot`).

Subcommands live in numerics/commands/*.py, each with `add_parser(subparsers)` that sets
`func(args) -> int`. Exit codes: 0 success, 1 a claim fails, 2 bad input (one line `error: …`).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from metacot.numerics.errors import MetacotError


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line `error: …` message and exit code 2."""

    def _get_value(self, action, arg_string):
        """Let MetacotError messages from `type=` functions through (argparse would say 'invalid <lambda> value')."""
        type_func = self._registry_get("type", action.type, action.type)
        if callable(type_func) and type_func not in (int, float, str):
            try:
                return type_func(arg_string)
            except (MetacotError, argparse.ArgumentTypeError) as exc:
                raise argparse.ArgumentError(action, str(exc)) from None
            except (TypeError, ValueError):
                pass  # argparse words it: "invalid <type> value"
        return super()._get_value(action, arg_string)

    def error(self, message):  # noqa: D401
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="metacot",
                     description="metacot: the claims of 'Metastable Dynamics of Chain-of-Thought Reasoning' "
                                 "(Kim, Wu, Lee, Suzuki, ICML 2025) as sympy statements checked by numerics.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    from metacot.numerics.cli import commands as pkg

    for name in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        mod = importlib.import_module(f"{pkg.__name__}.{name}")
        if hasattr(mod, "add_parser"):
            mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except MetacotError as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        return 2
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def entry() -> None:
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
