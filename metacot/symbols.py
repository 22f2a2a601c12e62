"""The shared sympy symbols of the statements (re-exported from :mod:`metacot.theory.symbols`), so that a
conjecture file can write ``from metacot.symbols import K, M, eps, E_tau``."""
from metacot.theory.symbols import *  # noqa: F401,F403
from metacot.theory.symbols import __all__  # noqa: F401
