"""Symbolic statements (sympy) of the paper's results; one module per paper section. No numerics."""
