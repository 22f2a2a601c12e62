"""metacot: the claims of *Metastable Dynamics of Chain-of-Thought Reasoning* (Kim, Wu, Lee, Suzuki,
ICML 2025) as sympy statements, checked against exact, certified, high-precision, float and Monte Carlo
numerics.

Sub-packages: :mod:`metacot.theory` (sympy statements and proofs, no numerics) and
:mod:`metacot.numerics` (the model, solvers, the paper's algorithms, lower bounds, the claim framework
and the command line). The names below are the public API; they are imported on first use, so
``import metacot`` is cheap.

Examples
--------
>>> import metacot
>>> chain = metacot.ring(3, 2, 1)
>>> metacot.hitting_time(chain, chain.start, chain.target, "1/100", method="exact")
Fraction(400, 1)
"""
from __future__ import annotations

import importlib

__version__ = "0.2.0"

#: public name -> module that defines it
_EXPORTS = {
    # the model
    "Chain": "metacot.numerics.chain",
    "row_rescaled_chain": "metacot.numerics.chain",
    "load_chain": "metacot.numerics.io",
    "save_chain": "metacot.numerics.io",
    "chain_from_json": "metacot.numerics.io",
    "chain_to_json": "metacot.numerics.io",
    "ring": "metacot.numerics.families",
    "uniform_escape": "metacot.numerics.families",
    "random_chain": "metacot.numerics.families",
    "family_chain": "metacot.numerics.families",
    "MetacotError": "metacot.numerics.errors",
    "ChainError": "metacot.numerics.errors",
    "EpsilonError": "metacot.numerics.errors",
    "UnreachableTargetError": "metacot.numerics.errors",
    # solvers
    "hitting_time": "metacot.numerics.solvers.hitting",
    "expected_hitting_times": "metacot.numerics.solvers.hitting",
    "hitting_probabilities": "metacot.numerics.solvers.hitting",
    "stationary_law": "metacot.numerics.solvers.hitting",
    "mean_exit_time": "metacot.numerics.solvers.hitting",
    "hitting_laurent": "metacot.numerics.solvers.hitting",
    "laurent_coefficients": "metacot.numerics.solvers.hitting",
    "cluster_stationary_laws": "metacot.numerics.solvers.meta_chain",
    "meta_rates": "metacot.numerics.solvers.meta_chain",
    "escape_rates": "metacot.numerics.solvers.meta_chain",
    "meta_generator": "metacot.numerics.solvers.meta_chain",
    "jump_chain": "metacot.numerics.solvers.meta_chain",
    "meta_hitting_times": "metacot.numerics.solvers.meta_chain",
    "monte_carlo_hitting_time": "metacot.numerics.solvers.monte_carlo",
    # the paper's algorithms
    "sparse_edge_search": "metacot.numerics.algorithms.search",
    "prm_guided": "metacot.numerics.algorithms.search",
    "two_stage_pretrain": "metacot.numerics.algorithms.pretrain",
    "ppo_clip": "metacot.numerics.algorithms.ppo",
    "distill": "metacot.numerics.algorithms.distill",
    # the conjecture API (the same one the built-in claims use)
    "conjecture": "metacot.numerics.verify.conjectures",
    "define_conjecture": "metacot.numerics.verify.conjectures",
    "grid": "metacot.numerics.verify.conjectures",
    "random_chains": "metacot.numerics.verify.conjectures",
    "chains_with_eps": "metacot.numerics.verify.conjectures",
    "eps_decades": "metacot.numerics.verify.conjectures",
    "exact_rationals": "metacot.numerics.verify.conjectures",
    "search_counterexample": "metacot.numerics.verify.conjectures",
    "run_claims": "metacot.numerics.verify.runner",
}
_SUBMODULES = {"theory": "metacot.theory", "numerics": "metacot.numerics", "symbols": "metacot.theory.symbols"}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'metacot' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
