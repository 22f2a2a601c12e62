"""``python -m metacot``: the same command line as the ``metacot`` console script."""
from metacot.numerics.cli.main import entry

entry()
