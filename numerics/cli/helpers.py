"""Shared helpers for CLI subcommands: exact ε parsing, chain loading, JSON/text output."""
from __future__ import annotations

import json
import sys

from metacot.numerics.errors import MetacotError
from metacot.numerics.io import load_chain
from metacot.numerics.numbers import format_number, parse_number, to_json_value


def exact_number(text: str, what: str = "value"):
    """argparse type: '1e-30' -> Fraction(1, 10**30), '1/1000' exact, '0.25' exact."""
    try:
        return parse_number(text, what=what)
    except MetacotError as exc:
        raise MetacotError(str(exc)) from None


def state_index(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise MetacotError(f"state must be an integer index, got {text!r}") from None


def add_chain_argument(p):
    p.add_argument("chain", metavar="CHAIN", help="chain file (.json or .npz)")


def get_chain(args):
    return load_chain(args.chain)


def emit_json(obj, stream=None) -> None:
    stream = stream or sys.stdout
    json.dump(to_json_value(obj), stream, indent=2)
    stream.write("\n")


def fmt(x) -> str:
    return format_number(x)
