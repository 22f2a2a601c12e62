"""metacot numerics: chains, solvers, simulators, the paper's algorithms, the claim registry, the CLI."""
from .chain import Chain, row_rescaled_chain
from .errors import ChainError, EpsilonError, MetacotError, UnreachableTargetError
from .families import random_chain, ring, uniform_escape
from .hitting import expected_hitting_times, hitting_laurent, hitting_time, laurent_coefficients
from .meta import (cluster_stationary_laws, escape_rates, jump_chain, meta_generator, meta_hitting_times,
                   meta_rates)

__all__ = [
    "Chain", "row_rescaled_chain", "ChainError", "EpsilonError", "MetacotError", "UnreachableTargetError",
    "random_chain", "ring", "uniform_escape", "expected_hitting_times", "hitting_laurent", "hitting_time",
    "laurent_coefficients", "cluster_stationary_laws", "escape_rates", "jump_chain", "meta_generator",
    "meta_hitting_times", "meta_rates",
]
