"""Built-in claims: every module here registers its claims with metacot.numerics.verify.registry at import."""
