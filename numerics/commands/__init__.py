"""CLI subcommands: every module here defines `add_parser(subparsers)`; numerics.cli discovers them."""
