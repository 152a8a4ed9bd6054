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

Shared inverses (``player_copy(..., share_inverse=True)``, the negotiation
world): negmas' time-based negotiators build a ``PresortingInverseUtilityFunction``
at every negotiation start, evaluating and sorting the whole outcome space
(~6 ms for 1000 outcomes, a fifth of a negotiation). All copies of one world ufun
would compute the same arrays. The first copy whose inverter initialises runs
negmas' ``init`` and its result (every field ``init`` sets) is kept with the
world's ufun; a later copy's inverter with the same configuration restores it
through negmas' own hook for saved inverses (``restore_inverse_from_cache``,
which ``init`` calls first), with its own copies of the lists, arrays and dicts.
Guards, as negmas' saved inverses have: a copy that had any attribute assigned
a different value (the reserved value, a weight list, ...) never restores;
before restoring, the worst and best outcomes are evaluated again and must give
the stored min and max. As with negmas' saved inverses, an edit inside an
attribute (``ufun.values[0].mapping[x] = ...``) is not seen: a player that
edits its ufun that way before its first proposal gets the inverse of the ufun
it was given (its own play only; scores use the world's ufun).
"""

from __future__ import annotations

import copy
import copyreg
from typing import Any

from negmas.preferences import BaseUtilityFunction

_NEGMAS_GETTER = BaseUtilityFunction.reserved_value.fget
_NEGMAS_RESTORE = BaseUtilityFunction.restore_inverse_from_cache
_NEGMAS_SETATTR = BaseUtilityFunction.__setattr__
_FAST: dict[type, type | None] = {}  # None: a class left as negmas has it
_SHARED = "_tourney_inverses"  # on a player copy: the store of its world ufun's inverses
_STORES: dict[int, tuple[Any, "InverseStore"]] = {}  # id(world ufun) -> (world ufun, its store)
# negmas 0.16's PresortingInverseUtilityFunction: the fields of a fresh one, and those init() adds
_FRESH_FIELDS = frozenset({"_ufun", "max_cache_size", "levels", "_initialized", "outcomes", "_last_rational", "utils",
                           "rational_only", "_last_returned_from_next", "_eps", "_rel_eps", "_clamp_tolerance",
                           "_near_range"})
_INIT_FIELDS = _FRESH_FIELDS | {"_worst", "_best", "_min", "_max", "_range", "_offset"}
_CONFIG = ("max_cache_size", "levels", "rational_only", "_eps", "_rel_eps", "_clamp_tolerance")
_NESTED = [False]  # inside the init this module runs itself: negmas' own hook answers


class InverseStore:
    """What negmas' inverter init computed for one world ufun, per inverter configuration."""

    def __init__(self) -> None:
        self.states: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.restored = 0
        self.computed = 0


def _presorting_class() -> type:
    from negmas.preferences.inv_ufun.presorting import PresortingInverseUtilityFunction

    cls: type = PresortingInverseUtilityFunction
    return cls


def _config_of(inverter: Any) -> tuple[Any, ...] | None:
    """The configuration of a fresh negmas presorting inverter; None for anything else."""
    if type(inverter) is not _presorting_class():
        return None
    fields = vars(inverter)
    if set(fields) != _FRESH_FIELDS or fields["_initialized"] or fields["outcomes"] or len(fields["utils"]) \
            or fields["_near_range"] or fields["_last_rational"] != -1 or fields["_last_returned_from_next"] != -1:
        return None
    config = tuple(fields[k] for k in _CONFIG)
    return config if all(type(v) in (int, float, bool) for v in config) else None


def _own(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return type(value)(value)
    copier = getattr(value, "copy", None)  # numpy arrays
    return copier() if callable(copier) and not isinstance(value, (tuple, str)) else value


def _restore_inverse(self: Any, inverter: Any) -> bool:
    store = self.__dict__.get(_SHARED)
    config = None if store is None or _NESTED[0] else _config_of(inverter)
    if config is None:
        restored: bool = _NEGMAS_RESTORE(self, inverter)
        return restored
    state = store.states.get(config)
    if state is None:
        # negmas' init on this inverter (the nested hook answers as negmas'), then keep what it set
        _NESTED[0] = True
        try:
            type(inverter).init(inverter)
        finally:
            _NESTED[0] = False
        fields = vars(inverter)
        if set(fields) == _INIT_FIELDS and fields["_initialized"]:
            store.states[config] = {k: _own(v) for k, v in fields.items() if k != "_ufun"}
            store.computed += 1
        return True
    worst, best = state["_worst"], state["_best"]
    if float(self(worst)) != state["_min"] or float(self(best)) != state["_max"]:
        restored = _NEGMAS_RESTORE(self, inverter)
        return restored
    for name, value in state.items():
        setattr(inverter, name, _own(value))
    store.restored += 1
    return True


def _tracking_setattr(self: Any, name: str, value: Any) -> None:
    # any real change (negmas' own test: identity, then ==) unshares the inverses
    if name not in BaseUtilityFunction._INVERSE_CACHE_ATTRS and name != _SHARED and _SHARED in self.__dict__:
        try:
            old = getattr(self, name, _SHARED)
            same = old is value or (old is not _SHARED and bool(old == value))
        except Exception:  # noqa: BLE001 - an odd getter or equality: count it as a change
            same = False
        if not same:
            del self.__dict__[_SHARED]
    _NEGMAS_SETATTR(self, name, value)


def inverse_store(ufun: Any) -> InverseStore:
    """The store of inverses shared by the player copies of the world ufun ``ufun``."""
    entry = _STORES.get(id(ufun))
    if entry is None or entry[0] is not ufun:
        entry = _STORES[id(ufun)] = (ufun, InverseStore())
    return entry[1]


MAX_KEYED_STORES = 1024  # value-keyed stores kept (bilateral prices); beyond it they start afresh
_KEYED: dict[tuple[Any, ...], InverseStore] = {}


def share_inverses(ufun: Any, key: tuple[Any, ...]) -> Any:
    """Let ``ufun`` (a class with this module's hooks, e.g. ``PriceUtility``) share inverses by ``key``.

    ``key`` must name everything the ufun's values depend on (the bilateral world:
    its prices, its issue's range and its reserved value); returns ``ufun``.
    """
    store = _KEYED.get(key)
    if store is None:
        if len(_KEYED) >= MAX_KEYED_STORES:
            _KEYED.clear()
        store = _KEYED[key] = InverseStore()
    object.__setattr__(ufun, _SHARED, store)
    return ufun


class SharedInverseHooks:
    """Mixin for a ufun class of our own: negmas' saved-inverse hook served from a shared store."""

    restore_inverse_from_cache = _restore_inverse
    __setattr__ = _tracking_setattr


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
        newobj = copyreg.__newobj__  # type: ignore[attr-defined]  # in copyreg, not in typeshed's stub
        rebuild = _new_base if reduced[0] is newobj else reduced[0]
        state = reduced[2] if len(reduced) > 2 else None
        if isinstance(state, dict) and _SHARED in state:
            state = {k: v for k, v in state.items() if k != _SHARED}
        reduced = (rebuild, (base, *reduced[1][1:]), state, *reduced[3:])
    return reduced


def fast_class(cls: type) -> type | None:
    """The fast-``reserved_value`` subclass of a negmas ufun class, or None where it would not be the same."""
    if cls in _FAST:
        return _FAST[cls]
    klass: Any = cls  # a negmas class: its methods are untyped, compared by identity below
    prop = getattr(cls, "reserved_value", None)
    fast = None
    # Only classes that read the reserved value with negmas' own getter (a class that
    # overrides it keeps its own) and that build through __reduce_ex__ (no __deepcopy__
    # or __reduce__ of their own to honour).
    if (isinstance(prop, property) and prop.fget is _NEGMAS_GETTER and "__slots__" not in vars(cls)
            and getattr(cls, "__deepcopy__", None) is None and klass.__reduce__ is object.__reduce__
            and klass.__reduce_ex__ is object.__reduce_ex__ and klass.__setattr__ is _NEGMAS_SETATTR
            and klass.restore_inverse_from_cache is _NEGMAS_RESTORE):
        fast = type(cls.__name__, (cls,), {
            "reserved_value": property(_fast_reserved_value, prop.fset, prop.fdel, prop.__doc__),
            "restore_inverse_from_cache": _restore_inverse,
            "__setattr__": _tracking_setattr,
            "__reduce_ex__": _reduce_to_base,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        })
    _FAST[cls] = fast
    return fast


def player_copy(ufun: Any, share_inverse: bool = False) -> Any:
    """A deep copy of ``ufun`` for a player, with the fast ``reserved_value`` where it applies.

    ``share_inverse``: its negmas inverters restore what an earlier copy of the
    same ``ufun`` computed (module docstring).
    """
    other = copy.deepcopy(ufun)
    fast = fast_class(type(other))
    if fast is not None:
        # past negmas' __setattr__ (which would count a class change as a modification)
        object.__setattr__(other, "__class__", fast)
        if share_inverse:
            object.__setattr__(other, _SHARED, inverse_store(ufun))
    return other
