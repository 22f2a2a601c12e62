"""Built-in claims: every module here registers its claims with numerics.registry at import."""
