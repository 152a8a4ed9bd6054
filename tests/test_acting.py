"""The acting-seat slot, the guard that marks it, and the read-only mechanism view (in-process, fast)."""

from __future__ import annotations

import pytest
from negmas import make_issue
from negmas.sao import AspirationNegotiator

from tourney import acting
from tourney.acting import ActingSlot
from tourney.worlds.lean_sao import LeanSAOMechanism
from tourney.worlds.mechanism_view import MechanismView
from tourney.worlds.pricing import PriceUtility


class Player:
    def __init__(self, seen: list) -> None:
        self.seen = seen

    def propose(self) -> int:
        self.seen.append(acting.acting_now())
        return self.helper()

    def helper(self) -> int:
        return acting.acting_now()

    def fail(self) -> None:
        raise SystemExit(1)


@pytest.fixture
def slot():
    slot = ActingSlot()
    previous = acting._Local.memory
    acting.install(slot)
    acting.set_roles(["buyer", "seller"])
    yield slot
    acting._Local.memory = previous
    slot.close()


def test_a_guarded_call_marks_its_seat_and_restores_the_previous_one(slot):
    seen: list = []
    buyer = acting.guard(Player(seen), "buyer")
    seller = acting.guard(Player(seen), "seller")
    assert type(buyer).__name__ == "Player" and isinstance(buyer, Player)
    assert type(buyer) is not type(seller)  # one cached subclass per seat
    assert slot.acting == 0
    assert buyer.propose() == 1 and seller.propose() == 2
    assert seen == [1, 2] and slot.acting == 0
    with acting.playing("seller"):
        assert buyer.propose() == 1
        assert slot.acting == 2  # back to the seller after the buyer's call
    with pytest.raises(SystemExit):
        seller.fail()
    assert acting.last_raiser() == 2 and slot.acting == 0


def test_library_methods_are_not_marked_but_the_entry_point_is(slot):
    neg = acting.guard(AspirationNegotiator(name="a"), "buyer")
    guarded = vars(type(neg))
    assert "__call__" in guarded  # the mechanism's entry point
    assert "propose" not in guarded and "on_partner_proposal" not in guarded  # negmas' own code


def test_the_clock_and_tamper_marks_reach_the_slot(slot):
    slot.begin(7)
    acting.start_clock(123.5)
    assert slot.seq == 7 and slot.clock_started == 123.5
    with acting.playing("seller"):
        acting.note_tamper(2)
    acting.note_tamper(1)  # only the first attempt counts
    assert slot.tamper == (2, 2)
    slot.begin(8)
    assert slot.tamper == (0, 0) and slot.clock_started == 0.0


def test_negotiators_see_a_read_only_view_of_the_mechanism():
    mechanism = LeanSAOMechanism(issues=[make_issue((0, 10), "price")], n_steps=5)
    mine, theirs = AspirationNegotiator(name="a"), AspirationNegotiator(name="b")
    mechanism.add(mine, ufun=PriceUtility(0, 10, outcome_space=mechanism.outcome_space))
    mechanism.add(theirs, ufun=PriceUtility(10, 0, outcome_space=mechanism.outcome_space))
    nmi = mine.nmi  # kept: a negotiator drops its NMI when the negotiation ends
    view = nmi._mechanism
    assert isinstance(view, MechanismView)
    for name in ("negotiators", "_negotiators", "full_trace_with_utils", "_current_state"):
        with pytest.raises(AttributeError):
            getattr(view, name)
    with pytest.raises(AttributeError):
        view.state = None
    state = nmi.state
    state.agreement = (3,)  # a copy: the mechanism's state is untouched
    assert mechanism.state.agreement is None
    mechanism.run()
    trace = nmi.extended_trace
    assert trace
    trace.append((0, "b", (10**6,)))
    assert len(mechanism.extended_trace) == len(trace) - 1
    assert view.outcome_space is not mechanism.outcome_space and view.outcome_space == mechanism.outcome_space


def test_the_hosts_os_guards_take_the_same_arguments_as_os():
    """A player's ``os.close(fd=...)`` / ``os.dup2(fd=..., fd2=...)`` works as with the real functions
    (the guards once named their parameters otherwise: a keyword call was a TypeError), and the same
    calls aimed at the host's connection are refused. In a forked child: the guards patch ``os``."""
    import os

    from tourney import host

    channel, other = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            host._protect_runner(channel, set())
            copy = os.dup2(fd=other, fd2=60)
            os.close(fd=copy)
            refused = 0
            for call in (lambda: os.close(fd=channel), lambda: os.dup2(fd=other, fd2=channel),
                         lambda: os.dup2(fd=channel, fd2=61)):
                try:
                    call()
                except PermissionError:
                    refused += 1
            code = 0 if refused == 3 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    os.close(channel)
    os.close(other)
    assert os.waitstatus_to_exitcode(status) == 0
