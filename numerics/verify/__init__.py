"""The claim framework: registry, runner, user conjectures, and the built-in claims (claims/)."""
