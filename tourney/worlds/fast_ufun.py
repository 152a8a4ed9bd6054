"""Utility functions handed to players: negmas' own objects, with a cheaper ``reserved_value``.

negmas 0.16's ``BaseUtilityFunction.reserved_value`` asks
``isinstance(value, Distribution)`` on every read. ``Distribution`` is a
runtime-checkable Protocol, so each read walks the Protocol's attributes
(~10-35 us on this machine); a negmas negotiator reads it about a hundred
times a negotiation. ``player_copy`` gives a player its own deep copy of a
world's ufun whose class is a subclass of the ufun's own class (same name,
same module, same behaviour) with one change, the upstream-style fix: a plain
``float`` reserved value is returned as is. Any other value (a Distribution,
an int) goes through negmas' getter, so every read returns what negmas
returns. Pickling and deep-copying such a copy give negmas' plain class back.
"""

from __future__ import annotations

import copy
import copyreg
from typing import Any

from negmas.preferences import BaseUtilityFunction

_NEGMAS_GETTER = BaseUtilityFunction.reserved_value.fget
_FAST: dict[type, type] = {}


def _fast_reserved_value(self: Any) -> Any:
    value = self._reserved_value
    return value if type(value) is float else _NEGMAS_GETTER(self)


def _new_base(cls: type, *args: Any) -> Any:
    return cls.__new__(cls, *args)


def _reduce_to_base(self: Any, protocol: int) -> Any:
    # pickle/deepcopy rebuild negmas' own class: the subclass is a per-process speed-up,
    # not something to write to disk or hand on.
    reduced = super(type(self), self).__reduce_ex__(protocol)
    if isinstance(reduced, tuple) and len(reduced) >= 2 and reduced[1] and reduced[1][0] is type(self):
        base = type(self).__bases__[0]
        # copyreg.__newobj__ insists on the object's own class; copyreg._reconstructor (protocols 0, 1) does not
        rebuild = _new_base if reduced[0] is copyreg.__newobj__ else reduced[0]
        reduced = (rebuild, (base, *reduced[1][1:]), *reduced[2:])
    return reduced


def fast_class(cls: type) -> type | None:
    """The fast-``reserved_value`` subclass of a negmas ufun class, or None where it would not be the same."""
    if cls in _FAST:
        return _FAST[cls]
    prop = getattr(cls, "reserved_value", None)
    fast = None
    # Only classes that read the reserved value with negmas' own getter (a class that
    # overrides it keeps its own) and that build through __reduce_ex__ (no __deepcopy__
    # or __reduce__ of their own to honour).
    if (isinstance(prop, property) and prop.fget is _NEGMAS_GETTER and "__slots__" not in vars(cls)
            and getattr(cls, "__deepcopy__", None) is None and cls.__reduce__ is object.__reduce__
            and cls.__reduce_ex__ is object.__reduce_ex__):
        fast = type(cls.__name__, (cls,), {
            "reserved_value": property(_fast_reserved_value, prop.fset, prop.fdel, prop.__doc__),
            "__reduce_ex__": _reduce_to_base,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        })
    _FAST[cls] = fast
    return fast


def player_copy(ufun: Any) -> Any:
    """A deep copy of ``ufun`` for a player, with the fast ``reserved_value`` where it applies."""
    other = copy.deepcopy(ufun)
    fast = fast_class(type(other))
    if fast is not None:
        # past negmas' __setattr__ (which would count a class change as a modification)
        object.__setattr__(other, "__class__", fast)
    return other
