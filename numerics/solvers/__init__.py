"""Solvers: subtraction-free state reduction, hitting times, the meta-chain, Monte Carlo."""
