"""The built-in worlds (specs only: nothing heavy is imported here)."""

from tourney.registry import WorldSpec

WORLDS = [
    WorldSpec("bilateral", "tourney.worlds.bilateral:BilateralWorld",
              "single-issue price bargaining on negmas SAO, buyer vs seller (the meeting ground)"),
    WorldSpec("ihelp", "tourney.worlds.ihelp:IHelpWorld",
              "I-Help peer-help price bargaining: matchmaker's standard price, user preference models, sessions S1-S3"),
    WorldSpec("emarket", "tourney.worlds.emarket:EMarketWorld",
              "ANEGMA concurrent e-market: one buyer vs many sellers, competitors, MD/MR/ZoA/t_end settings"),
    WorldSpec("bidding", "tourney.worlds.bidding:BiddingWorld",
              "INSIGHT one-seller game: a seller offers prices to thousands of impatient buyers"),
    WorldSpec("bidding2", "tourney.worlds.bidding:TwoSellerBiddingWorld",
              "INSIGHT two-seller game: two sellers undercut each other for each buyer"),
    WorldSpec("consumer", "tourney.worlds.consumer:ConsumerWorld",
              "natural-language buyer/seller bargaining over a product catalogue, five budget scenarios"),
    WorldSpec("oneshot", "tourney.worlds.oneshot:OneShotWorld",
              "SCML OneShot supply chain (scml): all competitors in one market, rotated over factories",
              "oneshot"),
    # Each world issue adds its line here.
]
