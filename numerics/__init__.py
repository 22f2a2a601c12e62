"""metacot.numerics: the model at the root (chain, io, families, numbers, errors) and, in dependency order,
``solvers`` (state reduction, hitting times, meta-chain, Monte Carlo), ``algorithms`` (the paper's
Algorithms 1–4), ``lower_bounds`` (Section 5), ``verify`` (claims, runner, conjectures) and ``cli``.
The public names are re-exported by :mod:`metacot`."""
