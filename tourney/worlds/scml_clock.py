"""SCML worlds whose random draws do not depend on the wall clock.

negmas' ``Mechanism.step`` draws one extra number from the *global* ``random``
generator each time a negotiation's elapsed wall time passes a whole second
(``__last_second_tried``), to test ``pend_per_second``. SCML's agents draw
their offers from that same generator (``GreedyOneShotAgent.best_offer``), so
in a world where some negotiation lasts over a second (a slow agent, a loaded
machine) every later draw shifts, and the same seed gives another score table
on every run (measured: every seat's score differed between two runs of one
10-day Godfather world).

With ``pend_per_second == 0`` (SCML's worlds never set it) that draw cannot
end a negotiation (``rt < 0`` is never true), so skipping it changes no
outcome; it only stops the clock from reaching the agents' generator. The
world subclass marks every new mechanism as having tried "every second
already"; mechanisms with a positive ``pend_per_second`` keep negmas' draw.
"""

from __future__ import annotations

import math
from typing import Any

_CLASSES: dict[type, type] = {}
LAST_SECOND_TRIED = "_Mechanism__last_second_tried"  # negmas' name-mangled attribute


def steady_mechanism(mechanism: Any) -> None:
    """Stop ``mechanism`` drawing from the global generator by the clock (if that draw is inert)."""
    nmi = getattr(mechanism, "_internal_nmi", None)
    if nmi is None or (nmi.pend_per_second or 0) > 0 or not hasattr(mechanism, LAST_SECOND_TRIED):
        return
    setattr(mechanism, LAST_SECOND_TRIED, math.inf)


def clockless(world_cls: type) -> type:
    """A subclass of the SCML world class ``world_cls`` whose mechanisms are steadied."""
    if world_cls not in _CLASSES:
        base: Any = world_cls

        def on_negotiation_start(self: Any, info: Any) -> None:
            if info.mechanism is not None:
                steady_mechanism(info.mechanism)
            base.on_negotiation_start(self, info)

        _CLASSES[world_cls] = type(world_cls.__name__, (world_cls,), {
            "on_negotiation_start": on_negotiation_start,
            "__module__": __name__,
            "__doc__": f"{world_cls.__name__} without clock-dependent global random draws.",
        })
    return _CLASSES[world_cls]
