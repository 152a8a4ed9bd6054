"""What a negotiator may see of a negmas mechanism: read-only queries, answered with copies.

negmas hands every negotiator an NMI holding the mechanism itself
(``nmi._mechanism``, "must be treated as a private member"), and ``nmi.state``
returns the mechanism's live state. Through them a player can reach the
opponent's utility function (``_mechanism.negotiators[i].ufun``), rewrite the
agreement the world reads at the end, or append offers to the trace the world
checks. ``hide_mechanism`` replaces the mechanism in the NMIs a mechanism is
about to create with a ``MechanismView``: every query the NMI forwards
(``state``, ``history``, traces, ``outcome_space``, ``participants``, ...)
still works, each answered with a copy; nothing else (negotiators, their
utility functions, ``full_trace_with_utils``, any setter) is there.

Not copied: the NMI's own ``outcome_space`` field, which the players' utility
functions share with the mechanism. Giving each its own copy changes which
offers MiCRO draws (tests/test_lean_sao.py), so it stays shared; negmas issues
are mutable objects, and editing one is the kind of deliberate tampering the
limit below covers.

Limit: the view keeps the mechanism in a closure. Python code in the same
process can always dig it out (``gc``, ``__closure__``); the view closes the
documented and the casual ways, not deliberate introspection (README, "Faults").
"""

from __future__ import annotations

import copy
from typing import Any, Callable, NoReturn

_PLAIN = frozenset({"id", "atomic_steps", "_hidden_time_limit", "n_steps", "time_limit", "relative_time",
                    "time", "remaining_time", "remaining_steps", "expected_relative_time", "name"})
_LISTS = frozenset({"extended_trace", "trace", "offers", "full_trace", "negotiator_ids", "agent_ids",
                    "agent_names", "genius_negotiator_ids", "participants"})
_CALLS = frozenset({"negotiator_offers", "negotiator_full_trace", "discrete_outcome_space", "discrete_outcomes",
                    "random_outcome", "random_outcomes", "genius_id", "negotiator_index", "log"})


class _NoOwner:
    __slots__ = ()
    owner = None


class MechanismView:
    """A read-only stand-in for a mechanism inside the NMIs handed to negotiators."""

    __slots__ = ("_ask",)

    def __init__(self, mechanism: Any) -> None:
        # shallow copies field by field (as copy.copy gives, without its __reduce_ex__ round trip:
        # a negotiator reading nmi.state or nmi.n_negotiators copies the state each time)
        from tourney.worlds.lean_sao import fast_copy

        outcome_space: list[Any] = []

        def ask(name: str) -> Any:
            if name in _PLAIN:
                return getattr(mechanism, name)
            if name == "state":
                return fast_copy(mechanism.state)
            if name == "history":
                return [fast_copy(s) for s in mechanism.history]
            if name in _LISTS:
                return list(getattr(mechanism, name))
            if name == "outcome_space":
                if not outcome_space:  # one private copy: issues a player edits change nothing else
                    outcome_space.append(copy.deepcopy(mechanism.outcome_space))
                return outcome_space[0]
            if name in ("params", "requirements"):
                return dict(getattr(mechanism, name) or {})
            if name == "_negotiator_map":  # negmas' GB state conversion reads only .owner (none here)
                return {nid: _NoOwner() for nid in mechanism.negotiator_ids}
            if name in _CALLS:
                return _copying(getattr(mechanism, name))
            raise AttributeError(f"a negotiator cannot read the mechanism's {name!r}")

        object.__setattr__(self, "_ask", ask)

    def __getattr__(self, name: str) -> Any:
        return object.__getattribute__(self, "_ask")(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the mechanism is read-only to negotiators")

    def __bool__(self) -> bool:
        return True

    def __deepcopy__(self, memo: dict[int, Any]) -> "MechanismView":
        return self  # NMIs are copied by some negotiators; the view has nothing of its own to copy

    def __copy__(self) -> "MechanismView":
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a mechanism view cannot be pickled")


def _copying(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        value = fn(*args, **kwargs)
        return list(value) if isinstance(value, list) else value

    return call


def hide_mechanism(mechanism: Any) -> Any:
    """Make every NMI ``mechanism`` creates from now on hold a ``MechanismView``; returns ``mechanism``.

    Call before adding negotiators (``Mechanism.add`` builds each NMI from
    ``_nmi_params``). The mechanism's own internal NMI keeps the real one.
    """
    mechanism._nmi_params = {**mechanism._nmi_params, "_mechanism": MechanismView(mechanism)}
    return mechanism
