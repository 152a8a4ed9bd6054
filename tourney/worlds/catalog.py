"""Short names of the in-tree worlds (specs only: nothing heavy is imported here).

Each is registered as a ``tourney.worlds`` entry point in ``setup.cfg``, as a
third-party package registers its worlds.
"""

from tourney.specs import WorldSpec

bilateral = WorldSpec("tourney.worlds.bilateral:BilateralWorld",
                      "single-issue price bargaining on negmas SAO, buyer vs seller (the meeting ground)")
ihelp = WorldSpec("tourney.worlds.ihelp:IHelpWorld",
                  "I-Help peer-help price bargaining: matchmaker's standard price, user preference models, "
                  "sessions S1-S3")
emarket = WorldSpec("tourney.worlds.emarket:EMarketWorld",
                    "ANEGMA concurrent e-market: one buyer vs many sellers, competitors, MD/MR/ZoA/t_end settings")
bidding = WorldSpec("tourney.worlds.bidding:BiddingWorld",
                    "INSIGHT one-seller game: a seller offers prices to thousands of impatient buyers")
bidding2 = WorldSpec("tourney.worlds.bidding:TwoSellerBiddingWorld",
                     "INSIGHT two-seller game: two sellers undercut each other for each buyer")
consumer = WorldSpec("tourney.worlds.consumer:ConsumerWorld",
                     "natural-language buyer/seller bargaining over a product catalogue, five budget scenarios")
oneshot = WorldSpec("tourney.worlds.oneshot:OneShotWorld",
                    "SCML OneShot supply chain (scml): all competitors in one market, rotated over factories",
                    "oneshot")
negotiation = WorldSpec("tourney.worlds.negotiation:NegotiationWorld",
                        "ANAC multi-issue SAO: GENIUS/GeniusWeb/negmas scenarios or the ANL 2024 generator, "
                        "ufun rotation, ANAC scores (advantage, Nash/Kalai/KS/Pareto optimality, welfare)")
