"""Declared parameter constraints, checked by one validator (after scikit-learn).

Players and worlds declare ``param_constraints = {"beta": [Interval(float, 0, None,
closed="neither")], ...}``; a value passes if it meets any constraint in its list.
Keys come from the ``__init__`` signature, so unknown keys are rejected and any
object can be rebuilt fresh from its params.
"""

from __future__ import annotations

import difflib
import inspect
import weakref
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Callable, Iterable, Mapping


@dataclass(frozen=True)
class Interval:
    """A number in [low, high] (``closed`` says which ends are included)."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # both | left | right | neither

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, Integral):
            return False
        if self.kind is float and not isinstance(value, Real):
            return False
        if value != value:  # NaN passes no comparison, so it would slip through the bounds
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{'an int' if self.kind is int else 'a number'} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        # True == 1 in Python; a boolean must not pass for a number option.
        return any(value == v and isinstance(value, bool) == isinstance(v, bool) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Range:
    """A pair [low, high] of numbers with low <= high (a range to sample from)."""

    kind: type = float

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            return False
        num = Interval(self.kind)
        return all(num.accepts(v) for v in value) and value[0] <= value[1]

    def describe(self) -> str:
        return f"a pair [low, high] of {'ints' if self.kind is int else 'numbers'}"


@dataclass(frozen=True)
class OfType:
    """Any value of the given Python type(s) (``None`` is spelled ``OfType(type(None))``)."""

    kinds: tuple[type, ...]

    def __init__(self, *kinds: type) -> None:
        object.__setattr__(self, "kinds", kinds)

    def accepts(self, value: Any) -> bool:
        if bool not in self.kinds and isinstance(value, bool) and int in self.kinds:
            return False
        return isinstance(value, self.kinds)

    def describe(self) -> str:
        names = {type(None): "null", str: "a string", bool: "a boolean", int: "an int",
                 float: "a number", list: "a list", dict: "a mapping"}
        return " or ".join(names.get(k, k.__name__) for k in self.kinds)


@dataclass(frozen=True)
class Check:
    """A predicate with a description, for anything the others cannot say."""

    predicate: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:
            return False

    def describe(self) -> str:
        return self.description


NONE = OfType(type(None))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_SIGNATURES: "weakref.WeakKeyDictionary[type, tuple[frozenset[str], bool]]" = weakref.WeakKeyDictionary()


def signature_params(cls: type) -> tuple[frozenset[str], bool]:
    """The keyword names ``cls.__init__`` takes, and whether it takes ``**kwargs`` (read once per class)."""
    try:
        return _SIGNATURES[cls]
    except (KeyError, TypeError):
        pass
    found = _signature_params(cls)
    try:
        _SIGNATURES[cls] = found
    except TypeError:  # not weakly referenceable
        pass
    return found


def _signature_params(cls: type) -> tuple[frozenset[str], bool]:
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return frozenset(), True
    names = set()
    var_kw = False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.add(p.name)
    return frozenset(names), var_kw


def validate_params(
    owner: str,
    params: Mapping[str, Any],
    constraints: Mapping[str, list[Any]],
    accepted: "set[str] | frozenset[str] | None" = None,
    open_ended: bool = False,
) -> None:
    """Raise ValueError naming the first bad key of ``params``.

    ``accepted`` is the set of known keys (defaults to the constraint keys);
    ``open_ended`` lets unknown keys through (a class taking ``**kwargs``).
    """
    known = set(constraints) | (accepted or set())
    for key, value in params.items():
        if key not in known:
            if open_ended:
                continue
            allowed = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"{key}: unknown parameter of {owner}{did_you_mean(key, known)}; "
                f"allowed: {allowed}"
            )
        rules = constraints.get(key)
        if rules and not any(rule.accepts(value) for rule in rules):
            wanted = " or ".join(rule.describe() for rule in rules)
            raise ValueError(f"{key}: the parameter of {owner} must be {wanted}; got {value!r}")
