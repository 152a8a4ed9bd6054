"""INSIGHT sellers (Haddad, Bondarenko & Lew 2023): heuristic, competitive and
tabular Q-learning sellers for the ``bidding`` worlds, each also a negmas
``SAONegotiator`` that plays the ``bilateral`` world as a seller."""

from players.insight.base import InsightSeller
from players.insight.competitive import Competitive, Copycat, Reactive, TitForTat
from players.insight.heuristics import DescentArithmetic, DescentByOne, RandomSeller
from players.insight.qlearning import QLearningSeller
from players.insight.qtable import QTable

__all__ = [
    "InsightSeller", "RandomSeller", "DescentByOne", "DescentArithmetic",
    "TitForTat", "Copycat", "Competitive", "Reactive", "QLearningSeller", "QTable",
]
