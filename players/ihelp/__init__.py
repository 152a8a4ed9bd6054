"""I-Help negotiation approaches 1-3 (Vassileva & Mudgal, ch. 16): offer steps,
the decision influence diagram, the Bayesian opponent model and the negotiators."""

from players.ihelp.negotiators import Approach1, Approach2, Approach3

__all__ = ["Approach1", "Approach2", "Approach3"]
