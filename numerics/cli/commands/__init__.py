"""CLI subcommands: every module here defines `add_parser(subparsers)`; metacot.numerics.cli.main discovers them."""
