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
    "LimitError": "metacot.numerics.errors",
    "PrecisionError": "metacot.numerics.errors",
    # solvers
    "hitting_time": "metacot.numerics.solvers.hitting",
    "expected_hitting_times": "metacot.numerics.solvers.hitting",
    "hitting_probabilities": "metacot.numerics.solvers.hitting",
    "stationary_law": "metacot.numerics.solvers.stationary",
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
    # measurement vocabulary (spec 08): committors, moments of τ, spectrum, stationary laws
    "committor": "metacot.numerics.solvers.committor",
    "absorption_probabilities": "metacot.numerics.solvers.committor",
    "committor_laurent": "metacot.numerics.solvers.committor",
    "hitting_time_from": "metacot.numerics.solvers.moments",
    "mean_first_passage_time": "metacot.numerics.solvers.moments",
    "hitting_moments": "metacot.numerics.solvers.moments",
    "hitting_moments_laurent": "metacot.numerics.solvers.moments",
    "eigenvalues_near_one": "metacot.numerics.solvers.spectrum",
    "implied_timescale": "metacot.numerics.solvers.spectrum",
    "meta_eigenvalues": "metacot.numerics.solvers.spectrum",
    "meta_prediction": "metacot.numerics.solvers.spectrum",
    "quasi_stationary_exit": "metacot.numerics.solvers.spectrum",
    "characteristic_polynomial": "metacot.numerics.solvers.spectrum",
    "stationary_distribution": "metacot.numerics.solvers.stationary",
    # the paper's algorithms
    "sparse_edge_search": "metacot.numerics.algorithms.search",
    "prm_guided": "metacot.numerics.algorithms.search",
    "two_stage_pretrain": "metacot.numerics.algorithms.pretrain",
    "ppo_clip": "metacot.numerics.algorithms.ppo",
    "distill": "metacot.numerics.algorithms.distill",
    # the claim API (built-in claims and user conjectures use the same one)
    "claim": "metacot.numerics.verify.conjectures",
    "conjecture": "metacot.numerics.verify.conjectures",
    "Inconclusive": "metacot.numerics.verify.evidence",
    "Interval": "metacot.numerics.numbers",
    "Approximation": "metacot.numerics.numbers",
    "Estimate": "metacot.numerics.numbers",
    "define_conjecture": "metacot.numerics.verify.conjectures",
    "grid": "metacot.numerics.verify.conjectures",
    "random_chains": "metacot.numerics.verify.conjectures",
    "chains_with_eps": "metacot.numerics.verify.conjectures",
    "eps_decades": "metacot.numerics.verify.conjectures",
    "exact_rationals": "metacot.numerics.verify.conjectures",
    "search_counterexample": "metacot.numerics.verify.conjectures",
    "run_claims": "metacot.numerics.verify.runner",
}
_SUBMODULES = {"theory": "metacot.theory", "numerics": "metacot.numerics", "symbols": "metacot.symbols"}

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
