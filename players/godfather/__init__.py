"""Godfather (Goldfish): Brown University's SCML 2021 OneShot agent, rebuilt for
scml 0.8 / negmas 0.16 (de Campos, Fiske, Mascioli and Greenwald, 2021).

- ``marginal``: expected marginal utility per negotiation, eq. (1) by Algorithm 1.
- ``pareto``: Pareto frontier, Nash bargaining point (Defs. 1-2) and the
  aspiration schedule (eq. 2, lambda = 0.5, u_tol = 0.75 u(Nash) + 0.25 u(d)).
- ``opponent``: the "goldfish" estimate of an opponent's marginal utility.
- ``predictors``: the empirical (static) outcome predictor and the GBM one.
- ``features``: what the GBM reads (shared by the agent and ``train``).
- ``agent``: ``GodfatherAgent``, the SCML OneShot agent.
- ``bilateral``: ``GodfatherNegotiator``, Pareto aspiration on one price issue.
- ``train``: ``tourney train godfather`` (self-play data -> xgboost models).
"""
