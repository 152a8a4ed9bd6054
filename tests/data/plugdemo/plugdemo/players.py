"""Players of the split world, written as any third-party player would be."""

from __future__ import annotations

from tourney.specs import PlayerSpec


class FairSplitter:
    """Keeps ``keep`` of the pie; accepts any share of at least ``accept_at``."""

    plays = {"split": ("proposer", "responder")}
    keeps_state = False

    def __init__(self, keep: float = 0.5, accept_at: float = 0.1) -> None:
        self.keep = keep
        self.accept_at = accept_at

    def split(self) -> float:
        return self.keep

    def take(self, share: float) -> bool:
        return share >= self.accept_at


greedy = PlayerSpec("plugdemo.players:FairSplitter", "keeps 90 % of the pie, takes any crumb",
                    {"keep": 0.9, "accept_at": 0.05})


def _aspiration():
    from negmas.sao import AspirationNegotiator

    return AspirationNegotiator


class Hardliner(_aspiration()):  # type: ignore[misc]
    """negmas' aspiration negotiator, holding firm (boulware-like), as a bilateral player."""

    plays = {"bilateral": ("buyer", "seller")}
    keeps_state = False

    def __init__(self, **kwargs):
        kwargs.setdefault("aspiration_type", "boulware")
        super().__init__(**kwargs)
