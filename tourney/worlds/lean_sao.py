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
import random
import time
from collections import defaultdict
from typing import Any, Callable

import attrs
import negmas.genius.negotiator  # noqa: F401 - see below
from negmas import SAOMechanism
from negmas.common import MechanismAction
from negmas.events import Event
from negmas.helpers import exception2str
from negmas.mechanisms import MechanismStepResult
from negmas.negotiators import Negotiator
from negmas.outcomes import ExtendedOutcome
from negmas.sao.common import ResponseType, SAOResponse

from tourney.worlds.mechanism_view import hide_mechanism
from tourney.worlds.scml_clock import steady_mechanism

INF = float("inf")

# SAOMechanism.add imports negmas.genius (plotly, narwhals: about a second)
# on its first call. Importing it with the world keeps that off the first
# match's clock in every fresh player host; the match time limit interrupting
# that import would leave half-initialised modules behind.

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
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls,
                 "_containers": (list, dict, set)}
    exec("\n".join(lines) + "\n", namespace)  # noqa: S102 - built from attrs field names only
    copier: Callable[[Any], Any] = namespace["copier"]
    return copier


def _overrides(negotiator: Any, callback: str) -> bool:
    """Whether ``negotiator.callback`` is anything but negmas' empty ``Negotiator`` method."""
    return callback in vars(negotiator) or getattr(type(negotiator), callback) is not getattr(Negotiator, callback)


class LeanSAOMechanism(SAOMechanism):
    """``SAOMechanism`` with cheap state snapshots and a lean step loop for the common case.

    The common case: two negotiators that both propose, called synchronously
    (``sync_calls=True`` or no time limit of any kind), no ``action`` given, no
    waiting, no verbose output, no checkpoints, no offer checks. There
    ``step`` and the round (``__call__``) are negmas 0.16's own code with
    what cannot apply removed: the same calls in the same order with the same
    arguments, the same ``random.random()`` draws (which MiCRO's later draws
    depend on), the same state fields set, the same history and stats. The
    first step (which starts the negotiation) and anything outside the common
    case run negmas' code unchanged.
    """

    _lean: bool | None = None  # decided once, at the second step (negotiators are in by then)
    # negmas' (untyped) attributes this class assigns, declared for mypy (no class attributes)
    _current_state: Any
    _start_time: Any
    _Mechanism__last_second_tried: int
    _last_checked_negotiator: int
    _frozen_neg_list: list[int] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Negotiators get a read-only view of the mechanism in their NMI (see mechanism_view).
        hide_mechanism(self)
        # negmas draws once more from the global generator each time a negotiation's wall time passes
        # a whole second; MiCRO and scml agents draw from it too, so a slow (or loaded) negotiation
        # would change the table. With pend_per_second 0 that draw cannot end anything: skip it.
        steady_mechanism(self)

    def add(self, negotiator: Any, *, space_checked: bool = False, **kwargs: Any) -> bool | None:
        """negmas' ``add``; ``space_checked``: the caller vouches for the outcome-space check.

        negmas first checks that the utility function's outcome space contains
        the mechanism's, by looking every value of every issue up in a list
        (about 10 ms for one issue of 1000 values, twice a negotiation). A world
        that hands each negotiation a copy of one ufun checks that once per
        scenario and passes ``space_checked=True``; the rest of negmas 0.16's
        ``Mechanism.add`` then runs as is (``_add_checked``). Anything but a
        plain ``ufun=`` (preferences, roles, private limits, annotations, Genius
        negotiators) is negmas' own ``add``.
        """
        from negmas.genius.negotiator import GeniusNegotiator
        from negmas.preferences import BaseUtilityFunction

        ufun = kwargs.get("ufun")
        if not space_checked or set(kwargs) != {"ufun"} or not isinstance(ufun, BaseUtilityFunction) \
                or isinstance(negotiator, GeniusNegotiator):
            added: bool | None = super().add(negotiator, **kwargs)
            return added
        return self._add_checked(negotiator, ufun)

    def _add_checked(self, negotiator: Any, ufun: Any) -> bool | None:
        # negmas 0.16 Mechanism.add from the line after the outcome-space check, for
        # preferences=ufun, role=None, time_limit=inf, n_steps=None, annotation={}.
        if not self.can_enter(negotiator):
            return None
        if negotiator in self._negotiators:
            return False
        role = "negotiator"
        nmi = self._nmi_factory(**self._nmi_params | dict(
            private_time_limit=INF, private_n_steps=None,
            annotation=self._nmi_params.get("annotation", dict()) | {}))
        self._nmis[negotiator.id] = nmi
        if negotiator.join(nmi=nmi, state=self.state_for(negotiator), preferences=ufun, role=role):
            self._negotiators.append(negotiator)
            self._current_state.n_negotiators += 1
            self._negotiator_map[negotiator.id] = negotiator
            self._negotiator_index[negotiator.id] = len(self._negotiators) - 1
            self._roles.append(role)
            self.role_of_negotiator[negotiator.uuid] = role
            self.negotiators_of_role[role].append(negotiator)
            internal = self._internal_nmi
            object.__setattr__(internal, "time_limit", min(internal.time_limit, nmi.time_limit))
            steps = internal.n_steps if nmi.n_steps is None else (
                nmi.n_steps if internal.n_steps is None else min(internal.n_steps, nmi.n_steps))
            object.__setattr__(internal, "n_steps", steps)
            if self._extra_callbacks:
                for other in self._negotiators:
                    if other.id != negotiator.id and hasattr(other, "on_negotiator_entered"):
                        other.on_negotiator_entered(negotiator.id, self.state)
            return True
        del self._nmis[negotiator.id]
        if self._extra_callbacks:
            for other in self._negotiators:
                if hasattr(other, "on_negotiator_didnot_enter"):
                    other.on_negotiator_didnot_enter(negotiator.id, self.state)
        return None

    def _state_for_nmi(self, nmi: Any) -> Any:
        # negmas: copy.copy(self._current_state) with relative_time for this NMI.
        state = fast_copy(self._current_state)
        object.__setattr__(state, "relative_time", self._relative_time_for(nmi))
        return state

    def _relative_time_for(self, nmi: Any) -> float:
        # negmas' formula when only n_steps limits the negotiation (time_limit inf):
        # min(1, max([(step + 1) / (n_steps + 1), -1.0])); anything else is negmas'.
        n_steps = nmi.n_steps
        if n_steps is not None and nmi.time_limit == INF:
            relative_step = (self._current_state.step + 1) / (n_steps + 1)
            return min(1.0, relative_step if relative_step > -1.0 else -1.0)
        relative: float = super()._relative_time_for(nmi)
        return relative

    def _lean_state_for(self, negotiator: Any) -> Any:
        # negmas' state_for -> _state_for_nmi, without the two calls between
        state = fast_copy(self._current_state)
        object.__setattr__(state, "relative_time", self._relative_time_for(self._nmis[negotiator.id]))
        return state

    @property
    def state4history(self) -> Any:
        return history_copy(self._current_state)

    def _lean_applies(self) -> bool:
        nmi = self._internal_nmi
        negotiators = self._negotiators
        # Round callbacks that are negmas' no-op base methods are not called (nor
        # their state copies made): nothing observable changes but the per-negotiator
        # wall-time statistic, which differs between any two runs anyway.
        self._round_start_calls = [n for n in negotiators if _overrides(n, "on_round_start")]
        self._round_end_calls = [n for n in negotiators if _overrides(n, "on_round_end")]
        untimed = all(limit == INF for limit in (nmi.time_limit, nmi.step_time_limit, nmi.negotiator_time_limit,
                                                 self._hidden_time_limit))
        return (
            len(negotiators) == 2
            and self._Mechanism__verbosity < 1
            and self._CheckpointMixin__checkpoint_every < 1
            and not self.dynamic_entry
            and not self._one_offer_per_step
            and not self.check_offers
            and (self._sync_calls or untimed)
            and all(n.capabilities.get("propose", False) for n in negotiators)
        )

    def step(self, action: dict[str, MechanismAction] | None = None) -> Any:
        state = self._current_state
        if action is not None or not state.running or state.waiting:
            return super().step(action)
        if self._lean is None:
            self._lean = self._lean_applies()
        if not self._lean:
            return super().step(action)
        # negmas Mechanism.step from here, for a running negotiation that waits for nobody
        if self._start_time is None or self._start_time < 0:
            self._start_time = time.perf_counter_ns()
        nmi = self._internal_nmi
        rs = random.random()
        rt: float = 2
        current_time = self.time
        if self._Mechanism__last_second_tried < int(current_time):
            rt, self._Mechanism__last_second_tried = random.random(), int(current_time)
        if (
            current_time > nmi.time_limit
            or (nmi.n_steps and state.step >= nmi.n_steps)
            or current_time > self._hidden_time_limit
            or rs < nmi.pend - 1e-8
            or rt < nmi.pend_per_second - 1e-8
        ):
            state.running, state.broken, state.timedout = False, False, True
            self.on_negotiation_end()
            return self._current_state
        if state.broken or state.timedout or state.agreement is not None:
            state.running = False
            self.on_negotiation_end()
            return self._current_state
        remaining_steps, remaining_time = self.remaining_steps, self.remaining_time
        if (remaining_steps is not None and remaining_steps <= 0) or (
            remaining_time is not None and remaining_time <= 0.0
        ):
            state.running = False
            state.agreement, state.broken, state.timedout = None, False, True
            self.on_negotiation_end()
            return self._current_state
        negotiator_times = self._negotiator_times
        if self._extra_callbacks:
            for negotiator in self._round_start_calls:
                strt = time.perf_counter()
                self._call(negotiator, negotiator.on_round_start, state=self._lean_state_for(negotiator))
                negotiator_times[negotiator.id] += time.perf_counter() - strt
        step_start = time.perf_counter()
        self._last_start = step_start
        state.waiting = False
        try:
            result = self(state, action=None)
        except TypeError:  # negmas retries the round without the action argument
            result = self(self._current_state)
        self._current_state = state = result.state
        step_time = time.perf_counter() - step_start
        stats = self._stats
        stats["round_times"].append(step_time)
        if result.times:
            for k, v in result.times.items():
                if v is not None:
                    stats["times"][k] += v
        if result.exceptions:
            for k, v in result.exceptions.items():
                if v:
                    stats["exceptions"][k] += v
        if state.has_error:
            self.on_mechanism_error()
        if nmi.step_time_limit is not None and step_time > nmi.step_time_limit:
            state.broken, state.timedout, state.agreement = False, True, None
        if state.agreement is not None or state.broken or state.timedout:
            state.running = False
        if not state.waiting and result.completed:
            state4history = self.state4history
            if self._extra_callbacks:
                for negotiator in self._round_end_calls:
                    strt = time.perf_counter()
                    self._call(negotiator, negotiator.on_round_end, state=self._lean_state_for(negotiator))
                    negotiator_times[negotiator.id] += time.perf_counter() - strt
            self._add_to_history(state4history)
            state.step += 1
            state.time = self.time
            state.relative_time = self._relative_time_for(nmi)
        if not state.running:
            self.on_negotiation_end()
        return self._current_state

    def __call__(self, state: Any, action: Any = None) -> MechanismStepResult:
        if action is not None or not self._lean or self._frozen_neg_list is not None:
            return super().__call__(state, action)
        # negmas SAOMechanism.__call__ for two proposing negotiators, synchronous calls, no action
        state = self._current_state
        state.new_offers = []
        state.new_data = []
        negotiators = self._negotiators
        times = defaultdict(float, self._waiting_time)
        exceptions: dict[str, list[str]] = {neg.id: [] for neg in negotiators}
        first = (self._last_checked_negotiator + 1) % 2
        ordered_indices = [first, (first + 1) % 2]
        for neg_indx in ordered_indices:
            self._last_checked_negotiator = neg_indx
            neg = negotiators[neg_indx]
            if neg.id in state.left_negotiators:
                continue
            strt = time.perf_counter()
            dest = negotiators[ordered_indices[(neg_indx + 1) % 2]].id
            resp, has_exceptions = self._call_negotiator(neg, state, times, exceptions, dest, self._lean_state_for(neg))
            self._negotiator_times[neg.id] += time.perf_counter() - strt
            if has_exceptions:
                state.broken = True
                state.has_error = True
                state.error_details = str(exceptions[neg.id])
                state.erred_negotiator = neg.id
                state.erred_agent = "" if neg.owner is None else neg.owner.id
                return MechanismStepResult(state, times=times, exceptions=exceptions)
            if resp is None:
                state.timedout = True
                return MechanismStepResult(state, times=times, exceptions=exceptions)
            if resp.response == ResponseType.WAIT:
                self._waiting_start[neg.id] = min(self._waiting_start[neg.id], strt)
                self._waiting_time[neg.id] += time.perf_counter() - strt
                self._last_checked_negotiator = (neg_indx - 1) % 2
                offered = {self._negotiator_index[_[0]] for _ in state.new_offers}
                did_not_offer = sorted(set(range(2)).difference(offered))
                indx = did_not_offer.index(neg_indx)
                self._frozen_neg_list = did_not_offer[indx:] + did_not_offer[:indx]
                self._n_waits += 1
            else:
                self._stop_waiting(neg.id)
            if time.perf_counter() - strt > self._internal_nmi.step_time_limit:
                state.timedout = True
                return MechanismStepResult(state, times=times, exceptions=exceptions)
            if self._extra_callbacks and state.current_offer is not None:
                for other in negotiators:
                    if other is not neg:
                        other.on_partner_response(state=self._lean_state_for(other), partner_id=neg.id,
                                                  outcome=state.current_offer, response=resp.response)
            response = resp.response
            if response == ResponseType.NO_RESPONSE:
                continue
            if response == ResponseType.WAIT:
                if self._n_waits > self._n_max_waits:
                    self._stop_waiting(neg.id)
                    state.timedout = True
                    state.waiting = False
                    return MechanismStepResult(state, times=times, exceptions=exceptions)
                state.waiting = True
                return MechanismStepResult(state, times=times, exceptions=exceptions)
            if response == ResponseType.END_NEGOTIATION:
                state.broken = True
                return MechanismStepResult(state, times=times, exceptions=exceptions)
            if response == ResponseType.LEAVE:
                if not self.allow_negotiators_to_leave:
                    state.broken = True
                    return MechanismStepResult(state, times=times, exceptions=exceptions)
                self._remove_negotiator_on_leave(neg)
                if self.n_participating < 2 and not self.dynamic_entry:
                    state.broken = True
                    return MechanismStepResult(state, times=times, exceptions=exceptions)
                continue
            if response == ResponseType.ACCEPT_OFFER:
                if state.current_offer is None:
                    state.broken = True
                    return MechanismStepResult(state, timedout=False, agreement=None, times=times,
                                               exceptions=exceptions, broken=True)
                state.n_acceptances += 1
                if state.n_acceptances == self.n_participating:
                    state.agreement = self._current_state.current_offer
                    return MechanismStepResult(state, timedout=False, agreement=state.current_offer, times=times,
                                               exceptions=exceptions, broken=False)
            if response == ResponseType.REJECT_OFFER:
                proposal = resp.outcome
                if not self.allow_offering_just_rejected_outcome and proposal == state.current_offer:
                    proposal = None
                if proposal is None:
                    has_data = resp.data is not None and len(resp.data) > 0
                    allow_this_none = self.allow_none_with_data and has_data
                    if (neg.capabilities.get("propose", True) and self.end_negotiation_on_refusal_to_propose
                            and not allow_this_none):
                        state.broken = True
                        return MechanismStepResult(state, times=times, exceptions=exceptions)
                    state.n_acceptances = 0
                else:
                    state.n_acceptances = 1 if self._internal_nmi.offering_is_accepting else 0
                    if self._extra_callbacks:
                        for other in negotiators:
                            if other is not neg:
                                other.on_partner_proposal(partner_id=neg.id, offer=proposal, state=self.state)
                state.current_offer = proposal
                state.current_data = resp.data
                self._current_proposer = neg
                state.current_proposer = neg.id
                state.new_offers.append((neg.id, proposal))
                state.new_data.append((neg.id, resp.data))
                state.last_negotiator = negotiators[self._last_checked_negotiator].name
                self._current_proposer_agent, state.new_offerer_agents = self._agent_info()
        return MechanismStepResult(state, times=times, exceptions=exceptions)

    def _call_negotiator(self, negotiator: Any, state: Any, times: dict[str, float],
                         exceptions: dict[str, list[str]], dest: str, negotiator_state: Any) -> tuple[Any, bool]:
        """negmas ``SAOMechanism._safe_counter`` on its synchronous path, without an action."""
        strt = time.perf_counter()
        try:
            if negotiator == self._current_proposer and self._internal_nmi.offering_is_accepting:
                self._current_state.n_acceptances = 0
            try:
                response = negotiator(state=negotiator_state, dest=dest)
            except Exception:  # negmas calls again without dest (for negotiators that do not take it)
                response = negotiator(state=negotiator_state)
        except TimeoutError:
            response = None
            try:
                negotiator.cancel()
            except Exception:  # noqa: BLE001 - as negmas
                pass
        except Exception as ex:
            exceptions[negotiator.id].append(exception2str())
            if self.ignore_negotiator_exceptions:
                self.announce(Event("negotiator_exception", {"negotiator": negotiator, "exception": ex}))
                times[negotiator.id] += time.perf_counter() - strt
                return SAOResponse(ResponseType.END_NEGOTIATION, None), True
            raise ex
        times[negotiator.id] += time.perf_counter() - strt
        if response and isinstance(response.outcome, ExtendedOutcome):
            response = SAOResponse(response.response, response.outcome.outcome, response.outcome.data)
        return response, False
