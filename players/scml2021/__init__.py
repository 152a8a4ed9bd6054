"""The SCML OneShot 2021 baselines of the Godfather paper, written for scml 0.8.

The tutorial agents (Simple, Better, Adaptive, Learning) follow the behaviour
the SCML OneShot tutorial describes; ``GreedyIndNeg`` is one independent
aspiration negotiator per partner. The 2021 sync / single-agreement agents are
what scml 0.8 still ships (``players/catalog.py`` names the mapping).
"""
