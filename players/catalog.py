"""Built-in players by short name (specs only: classes are imported on use).

Each family adds its block. ``roles`` says which worlds and roles a player can
take; every family plays ``bilateral`` so mixed leagues can rank them all.
"""

from tourney.registry import PlayerSpec

BOTH = ("buyer", "seller")
_FARATIN_WORLDS = {"bilateral": BOTH, "emarket": ("seller",), "ihelp": BOTH, "consumer": BOTH}
_INSIGHT_WORLDS = {"bidding": ("seller",), "bidding2": ("seller_a", "seller_b"), "bilateral": ("seller",)}

# issue 7: OneShot worlds seat every competitor in a factory slot (tourney/worlds/oneshot.py)
_ONESHOT_SLOTS = tuple(f"agent{i}" for i in range(1, 65))
_SCML_AGENTS = {
    "greedy-oneshot": "scml.oneshot.agents:GreedyOneShotAgent",
    "greedy-sync": "scml.oneshot.agents:GreedySyncAgent",
    "greedy-single": "scml.oneshot.agents:GreedySingleAgreementAgent",
    "single-aspiration": "scml.oneshot.agents:SingleAgreementAspirationAgent",
    "rand-dist": "scml.oneshot.agents:RandDistOneShotAgent",
    "equal-dist": "scml.oneshot.agents:EqualDistOneShotAgent",
    "sync-random": "scml.oneshot.agents:SyncRandomOneShotAgent",
    "random-oneshot": "scml.oneshot.agents:RandomOneShotAgent",
    "single-random": "scml.oneshot.agents:SingleAgreementRandomAgent",
    "nothing-oneshot": "scml.oneshot.agents:OneshotDoNothingAgent",
}

PLAYERS = [
    # --- heuristics: Faratin et al. (1998) tactics and a random player (issue 2) ---
    PlayerSpec("linear", {"*": "players.faratin:TimeDependent"}, _FARATIN_WORLDS,
               "Faratin time-dependent tactic, beta = 1 (linear concession)", {"beta": 1.0}),
    PlayerSpec("conceder", {"*": "players.faratin:TimeDependent"}, _FARATIN_WORLDS,
               "Faratin time-dependent tactic, beta = 20 (concedes early)", {"beta": 20.0}),
    PlayerSpec("boulware", {"*": "players.faratin:TimeDependent"}, _FARATIN_WORLDS,
               "Faratin time-dependent tactic, beta = 0.1 (holds firm until late)", {"beta": 0.1}),
    PlayerSpec("time-dependent", {"*": "players.faratin:TimeDependent"}, _FARATIN_WORLDS,
               "Faratin time-dependent tactic with any beta, kappa, polynomial|exponential"),
    PlayerSpec("relative-tft", {"*": "players.faratin:RelativeTFT"}, _FARATIN_WORLDS,
               "Faratin relative tit-for-tat (delta = 1): mirrors the opponent's concession ratio"),
    PlayerSpec("random-tft", {"*": "players.faratin:RandomAbsoluteTFT"}, _FARATIN_WORLDS,
               "Faratin random absolute tit-for-tat: mirrors the opponent's concession plus R(M)"),
    PlayerSpec("averaged-tft", {"*": "players.faratin:AveragedTFT"}, _FARATIN_WORLDS,
               "Faratin averaged tit-for-tat over a window of gamma offers"),
    PlayerSpec("random", {"*": "players.random_player:RandomPlayer"}, {"bilateral": BOTH},
               "offers a uniformly random price between its initial and reservation prices"),
    # --- emarket buyers: CONAN, Williams (issue 3) ---
    PlayerSpec("conan", {"*": "players.conan:Conan"}, {"emarket": ("buyer",), "bilateral": ("buyer",)},
               "CONAN concurrent buyer (Alrayes et al. 2018): environment- and self-aware concession per thread"),
    PlayerSpec("williams", {"*": "players.williams:Williams"}, {"emarket": ("buyer",), "bilateral": ("buyer",)},
               "Williams et al. (2012) concurrent buyer: per-thread Gaussian-process concession prediction",
               extra="gp"),
    PlayerSpec("random-buyer", {"emarket": "players.emarket_base:IndependentThreadsBuyer"},
               {"emarket": ("buyer",)},
               "a random price player on every e-market thread, uncoordinated (the floor)",
               {"tactic": "players.random_player:RandomPlayer"}),
    PlayerSpec("threads-buyer", {"emarket": "players.emarket_base:IndependentThreadsBuyer"},
               {"emarket": ("buyer",)},
               "any price negotiator (tactic: module:Class) run on every e-market thread on its own"),
    # --- DDPG (issue 4) ---
    PlayerSpec("ddpg", {"bilateral": "players.ddpg.bilateral:DDPGBilateralBuyer",
                        "emarket": "players.ddpg.emarket:DDPGEMarketBuyer"},
               {"bilateral": ("buyer",), "emarket": ("buyer",)},
               "ANEGMA buyer: DDPG actor-critic pre-trained on CONAN/Williams traces; "
               "params checkpoint (ann-c+rl by default; ann-c, rl, ... or a path; null: random), "
               "learn (online DDPG)",
               {"checkpoint": "ann-c+rl"}, extra="ddpg"),
    # --- INSIGHT sellers and Q-learning (issue 5) ---
    PlayerSpec("insight-random", {"*": "players.insight.heuristics:RandomSeller"}, _INSIGHT_WORLDS,
               "INSIGHT random seller: bids at random between its previous bid and the floor"),
    PlayerSpec("descent-by-one", {"*": "players.insight.heuristics:DescentByOne"}, _INSIGHT_WORLDS,
               "INSIGHT seller: starts at the top of the range, one less every turn"),
    PlayerSpec("descent-arithmetic", {"*": "players.insight.heuristics:DescentArithmetic"}, _INSIGHT_WORLDS,
               "INSIGHT seller: offers fall by descent, descent-1, ... from initial (e.g. 30,24,19,15,12,11)"),
    PlayerSpec("qlearning", {"*": "players.insight.qlearning:QLearningSeller"}, _INSIGHT_WORLDS,
               "INSIGHT tabular epsilon-greedy Q-learning seller; learns within a match; Q-table save/load"),
    PlayerSpec("qlearning-exploit", {"*": "players.insight.qlearning:QLearningSeller"}, _INSIGHT_WORLDS,
               "INSIGHT Q-learning seller, exploit-only: greedy on a learnt table (needs load_path)",
               {"exploit_only": True}),
    PlayerSpec("tft-seller", {"*": "players.insight.competitive:TitForTat"}, _INSIGHT_WORLDS,
               "INSIGHT tit-for-tat seller: offers just below the rival seller's previous offer"),
    PlayerSpec("copycat", {"*": "players.insight.competitive:Copycat"}, _INSIGHT_WORLDS,
               "INSIGHT copycat seller: replays the rival's last-buyer offers one turn ahead"),
    PlayerSpec("competitive", {"*": "players.insight.competitive:Competitive"}, _INSIGHT_WORLDS,
               "INSIGHT competitive seller: copies the rival's last decrement plus one"),
    PlayerSpec("reactive", {"*": "players.insight.competitive:Reactive"}, _INSIGHT_WORLDS,
               "INSIGHT reactive seller: competitive, drops to the floor when the rival cuts by more than 5"),
    # --- I-Help approaches 1-3 (issue 6) ---
    PlayerSpec("ihelp-1", {"*": "players.ihelp:Approach1"}, {"ihelp": BOTH, "bilateral": BOTH},
               "I-Help approach 1: reveals its preferred price, fixed steps from the preferred-price gap"),
    PlayerSpec("ihelp-2", {"*": "players.ihelp:Approach2"}, {"ihelp": BOTH, "bilateral": BOTH},
               "I-Help approach 2: Delta steps, influence diagram with an uninformed opponent node",
               extra="ihelp"),
    PlayerSpec("ihelp-3", {"*": "players.ihelp:Approach3"}, {"ihelp": BOTH, "bilateral": BOTH},
               "I-Help approach 3: approach 2 with a Bayesian opponent model updated on mispredicted moves",
               extra="ihelp"),
    # --- Godfather and SCML agents (issue 7) ---
    PlayerSpec("godfather", {"oneshot": "players.godfather.agent:GodfatherAgent",
                             "bilateral": "players.godfather.bilateral:GodfatherNegotiator"},
               {"oneshot": _ONESHOT_SLOTS, "bilateral": BOTH},
               "Godfather (SCML 2021): marginal utilities + Pareto aspiration to Nash, empirical predictor",
               {}, "oneshot"),
    PlayerSpec("godfather-gbm", {"oneshot": "players.godfather.agent:GodfatherGBMAgent",
                                 "bilateral": "players.godfather.bilateral:GodfatherNegotiator"},
               {"oneshot": _ONESHOT_SLOTS, "bilateral": BOTH},
               "Godfather with the GBM (xgboost) outcome predictor trained on self-play",
               {}, "gbm"),
    *[PlayerSpec(short, {"oneshot": target}, {"oneshot": _ONESHOT_SLOTS},
                 f"SCML built-in OneShot agent {target.rsplit(':', 1)[1]}", {}, "oneshot")
      for short, target in _SCML_AGENTS.items()],
    # --- LLM players (issue 8) ---
    PlayerSpec("llm", {"bilateral": "players.llm.negotiator:LLMNegotiator",
                       "consumer": "players.llm.consumer:LLMConsumerPlayer"},
               {"bilateral": BOTH, "consumer": BOTH},
               "chat model: embedded SmolLM2-135M GGUF (default, offline) or any OpenAI-compatible endpoint",
               extra="llm"),
]
