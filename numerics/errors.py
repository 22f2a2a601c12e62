"""Error types. Every user-facing failure is a MetacotError subclass with a one-line message."""


class MetacotError(ValueError):
    """Bad input or an impossible request; the CLI prints `error: <message>` and exits 2."""


class ChainError(MetacotError):
    """A chain violates the model of spec 00 (stochasticity, ranges, clusters, format)."""


class EpsilonError(MetacotError):
    """ε lies outside the range where P(ε) = P0 + ε·P1 is a stochastic matrix."""


class UnreachableTargetError(MetacotError):
    """The target is not reached almost surely, so the expected hitting time is infinite."""


class InsufficientDataError(MetacotError):
    """A statistical estimate was asked for with too little data to define it."""
