"""Game-theoretic analysis of a run: the empirical meta-game and what evolution and equilibrium say of it.

One module per job: ``metagame`` (the payoff matrix), ``bootstrap``
(resampling within cells), ``equilibrium`` (Nash, Nash averaging),
``replicator``, ``alpharank``, ``ratings`` (Bradley-Terry), ``significance``
(all pairs, Holm), ``analyze`` (runs them all), ``render`` (tables and files).
"""

from tourney.analysis.analyze import Analysis, GameAnalysis, analyze

__all__ = ["Analysis", "GameAnalysis", "analyze"]
