"""Short names of the in-tree players: class + preset params (specs only: classes import on use).

Each name here is registered as a ``tourney.players`` entry point in
``setup.cfg``, exactly as a third-party package registers its players. What a
class plays and whether it keeps state are declared on the class itself.
"""

from tourney.specs import PlayerSpec

# --- heuristics: Faratin et al. (1998) tactics and a random player (issue 2) ---
# On multi-issue scenarios (issue 15) the time-dependent tactics concede in utility space.
_TIME_DEPENDENT = {"*": "players.faratin:TimeDependent", "negotiation": "players.faratin_utility:UtilityTimeDependent"}
linear = PlayerSpec(_TIME_DEPENDENT,
                    "Faratin time-dependent tactic, beta = 1 (linear concession)", {"beta": 1.0})
conceder = PlayerSpec(_TIME_DEPENDENT,
                      "Faratin time-dependent tactic, beta = 20 (concedes early)", {"beta": 20.0})
boulware = PlayerSpec(_TIME_DEPENDENT,
                      "Faratin time-dependent tactic, beta = 0.1 (holds firm until late)", {"beta": 0.1})
time_dependent = PlayerSpec(_TIME_DEPENDENT,
                            "Faratin time-dependent tactic with any beta, kappa, polynomial|exponential")
relative_tft = PlayerSpec("players.faratin:RelativeTFT",
                          "Faratin relative tit-for-tat (delta = 1): mirrors the opponent's concession ratio")
random_tft = PlayerSpec("players.faratin:RandomAbsoluteTFT",
                        "Faratin random absolute tit-for-tat: mirrors the opponent's concession plus R(M)")
averaged_tft = PlayerSpec("players.faratin:AveragedTFT",
                          "Faratin averaged tit-for-tat over a window of gamma offers")
random = PlayerSpec("players.random_player:RandomPlayer",
                    "offers a uniformly random price between its initial and reservation prices")

# --- emarket buyers: CONAN, Williams (issue 3) ---
conan = PlayerSpec("players.conan:Conan",
                   "CONAN concurrent buyer (Alrayes et al. 2018): environment- and self-aware concession per thread")
williams = PlayerSpec("players.williams:Williams",
                      "Williams et al. (2012) concurrent buyer: per-thread Gaussian-process concession prediction",
                      extra="gp")
random_buyer = PlayerSpec("players.emarket_base:IndependentThreadsBuyer",
                          "a random price player on every e-market thread, uncoordinated (the floor)",
                          {"tactic": "players.random_player:RandomPlayer"})
threads_buyer = PlayerSpec("players.emarket_base:IndependentThreadsBuyer",
                           "any price negotiator (tactic: module:Class) run on every e-market thread on its own")

# --- DDPG (issue 4) ---
ddpg = PlayerSpec({"bilateral": "players.ddpg.bilateral:DDPGBilateralBuyer",
                   "emarket": "players.ddpg.emarket:DDPGEMarketBuyer"},
                  "ANEGMA buyer: DDPG actor-critic pre-trained on CONAN/Williams traces; "
                  "params checkpoint (ann-c+rl by default; ann-c, rl, ... or a path; null: random), "
                  "learn (online DDPG)",
                  {"checkpoint": "ann-c+rl"}, extra="ddpg")

# --- INSIGHT sellers and Q-learning (issue 5) ---
insight_random = PlayerSpec("players.insight.heuristics:RandomSeller",
                            "INSIGHT random seller: bids at random between its previous bid and the floor")
descent_by_one = PlayerSpec("players.insight.heuristics:DescentByOne",
                            "INSIGHT seller: starts at the top of the range, one less every turn")
descent_arithmetic = PlayerSpec(
    "players.insight.heuristics:DescentArithmetic",
    "INSIGHT seller: offers fall by descent, descent-1, ... from initial (e.g. 30,24,19,15,12,11)")
qlearning = PlayerSpec("players.insight.qlearning:QLearningSeller",
                       "INSIGHT tabular epsilon-greedy Q-learning seller; learns within a match; Q-table save/load")
qlearning_exploit = PlayerSpec("players.insight.qlearning:QLearningSeller",
                               "INSIGHT Q-learning seller, exploit-only: greedy on a learnt table (needs load_path)",
                               {"exploit_only": True})
tft_seller = PlayerSpec("players.insight.competitive:TitForTat",
                        "INSIGHT tit-for-tat seller: offers just below the rival seller's previous offer")
copycat = PlayerSpec("players.insight.competitive:Copycat",
                     "INSIGHT copycat seller: replays the rival's last-buyer offers one turn ahead")
competitive = PlayerSpec("players.insight.competitive:Competitive",
                         "INSIGHT competitive seller: copies the rival's last decrement plus one")
reactive = PlayerSpec("players.insight.competitive:Reactive",
                      "INSIGHT reactive seller: competitive, drops to the floor when the rival cuts by more than 5")

# --- I-Help approaches 1-3 (issue 6) ---
ihelp_1 = PlayerSpec("players.ihelp:Approach1",
                     "I-Help approach 1: opens at its ideal price, fixed steps from the gap between the openings (meets another half way)")
ihelp_2 = PlayerSpec("players.ihelp:Approach2",
                     "I-Help approach 2: Delta steps, influence diagram with an uninformed opponent node",
                     extra="ihelp")
ihelp_3 = PlayerSpec("players.ihelp:Approach3",
                     "I-Help approach 3: approach 2 with a Bayesian opponent model updated on mispredicted moves",
                     extra="ihelp")

# --- Godfather and SCML agents (issue 7) ---
godfather = PlayerSpec({"oneshot": "players.godfather.agent:GodfatherAgent",
                        "bilateral": "players.godfather.bilateral:GodfatherNegotiator",
                        "negotiation": "players.godfather.negotiation:GodfatherMultiIssue"},
                       "Godfather (SCML 2021): marginal utilities + Pareto aspiration to Nash, empirical predictor",
                       extra="oneshot")
godfather_gbm = PlayerSpec({"oneshot": "players.godfather.agent:GodfatherGBMAgent",
                            "bilateral": "players.godfather.bilateral:GodfatherNegotiator"},
                           "Godfather with the GBM (xgboost) outcome predictor trained on self-play",
                           extra="gbm")


def _scml(agent: str) -> PlayerSpec:
    return PlayerSpec({"oneshot": f"scml.oneshot.agents:{agent}"}, f"SCML built-in OneShot agent {agent}", extra="oneshot")


greedy_oneshot = _scml("GreedyOneShotAgent")
greedy_sync = _scml("GreedySyncAgent")
greedy_single = _scml("GreedySingleAgreementAgent")
single_aspiration = _scml("SingleAgreementAspirationAgent")
rand_dist = _scml("RandDistOneShotAgent")
equal_dist = _scml("EqualDistOneShotAgent")
sync_random = _scml("SyncRandomOneShotAgent")
random_oneshot = _scml("RandomOneShotAgent")
single_random = _scml("SingleAgreementRandomAgent")
nothing_oneshot = _scml("OneshotDoNothingAgent")

# --- the SCML OneShot 2021 baselines of the Godfather paper (issue 20) ---
# The tutorial agents are written in players/scml2021/; the competition's other 2021 agents are
# what scml 0.8 still ships under their current names (Sync -> GreedySyncAgent, SimpleSingle ->
# GreedySingleAgreementAgent, GreedyIndNeg -> GreedyOneShotAgent: the greedy agent that runs every
# negotiation on its own, as GreedyIndNeg's independent negotiators did).
simple_2021 = PlayerSpec({"oneshot": "players.scml2021.tutorial:SimpleAgent"},
                         "SCML 2021 tutorial SimpleAgent: asks for its needs at its best price, accepts any price",
                         extra="oneshot")
better_2021 = PlayerSpec({"oneshot": "players.scml2021.tutorial:BetterAgent"},
                         "SCML 2021 tutorial BetterAgent: Simple with a time-based price concession (exponent 0.2)",
                         extra="oneshot")
adaptive_2021 = PlayerSpec({"oneshot": "players.scml2021.tutorial:AdaptiveAgent"},
                           "SCML 2021 tutorial AdaptiveAgent: Better, range cut by the day's best offered price",
                           extra="oneshot")
learning_2021 = PlayerSpec({"oneshot": "players.scml2021.tutorial:LearningAgent"},
                           "SCML 2021 tutorial LearningAgent: Adaptive plus per-partner agreed prices kept across days",
                           extra="oneshot")


# --- LLM players (issue 8) ---
llm = PlayerSpec({"bilateral": "players.llm.negotiator:LLMNegotiator",
                  "consumer": "players.llm.consumer:LLMConsumerPlayer",
                  "negotiation": "players.llm.multi_issue:LLMMultiIssueNegotiator"},
                 "chat model: embedded SmolLM2-135M GGUF (default, offline) or any OpenAI-compatible endpoint",
                 extra="llm")
