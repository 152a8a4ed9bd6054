"""negmas ``SAOMechanism`` with cheaper state snapshots: same protocol, same outcomes.

A profile of a 100-round price negotiation on negmas 0.16 (bench/sao_options.py)
shows about a third of the mechanism's own time in two kinds of copies of the
mechanism state, neither of which the protocol needs in full:

- ``Mechanism.state_for`` hands every negotiator call and callback (about eight
  per round with negmas' default ``extra_callbacks=True``) a ``copy.copy`` of the
  state. The state is a slotted attrs class, so ``copy.copy`` goes through
  ``__reduce_ex__``/``__setstate__`` with a dict per call (~6 us). We copy the
  slots with a generated function instead (~2.5 us): the negotiator still gets
  its own object, with the same field values.
- ``Mechanism.step`` builds ``state4history`` twice per round, a deep copy each
  time (~14 us), and keeps only the second one. Our history snapshot is a
  shallow copy whose containers (``new_offers``, ``new_data``, sets, dicts) are
  copied one level deep: offers are tuples of numbers and ids are strings, so
  that is as independent as negmas' deep copy for every field the traces read.
  Choice where negmas is silent: the dicts inside ``new_data`` (text/data a
  negotiator attached to an offer) are shared, not copied.

Everything else (which negotiator is called when, what it is given, the random
draws of ``pend``, time limits, callbacks) is negmas' own code, so agreements,
rounds and offer traces are identical; bench/sao_options.py checks that on
every pair of six negmas negotiators over five price scenarios and both openers.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import attrs
from negmas import SAOMechanism

_COPIERS: dict[tuple[type, bool], Callable[[Any], Any]] = {}


def fast_copy(state: Any) -> Any:
    """A shallow copy of an attrs state object, field by field."""
    copier = _COPIERS.get((type(state), False))
    if copier is None:
        copier = _COPIERS[(type(state), False)] = _make_copier(type(state), containers=False)
    return copier(state)


def history_copy(state: Any) -> Any:
    """A snapshot for the history: shallow copy, lists, dicts and sets copied one level deep."""
    copier = _COPIERS.get((type(state), True))
    if copier is None:
        copier = _COPIERS[(type(state), True)] = _make_copier(type(state), containers=True)
    return copier(state)


def _make_copier(cls: type, containers: bool) -> Callable[[Any], Any]:
    if not attrs.has(cls) or "__slots__" not in vars(cls):
        return copy.deepcopy if containers else copy.copy
    # Generated, unrolled code: about twice as fast as a loop over getattr/setattr.
    lines = ["def copier(state):", "    new = _new(cls)"]
    for name in (a.name for a in attrs.fields(cls)):
        if containers:
            lines += [f"    v = state.{name}",
                      "    if type(v) in _containers:",
                      "        v = type(v)(v)",
                      f"    _set(new, {name!r}, v)"]
        else:
            lines.append(f"    _set(new, {name!r}, state.{name})")
    lines.append("    return new")
    namespace = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls,
                 "_containers": (list, dict, set)}
    exec("\n".join(lines) + "\n", namespace)  # noqa: S102 - built from attrs field names only
    return namespace["copier"]


class LeanSAOMechanism(SAOMechanism):
    """``SAOMechanism`` whose state snapshots cost a third of negmas' own."""

    def _state_for_nmi(self, nmi):
        # negmas: copy.copy(self._current_state) with relative_time for this NMI.
        state = fast_copy(self._current_state)
        object.__setattr__(state, "relative_time", self._relative_time_for(nmi))
        return state

    @property
    def state4history(self) -> Any:
        return history_copy(self._current_state)
