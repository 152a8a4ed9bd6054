"""Text for `tourney players` and `tourney worlds`: names, docs, parameters."""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping

from tourney.errors import RegistryError
from tourney.contract import declared_plays
from tourney.registry import import_object, player_specs, world_specs
from tourney.specs import EVERY_SEAT


def _params(cls: type, skip: set[str], preset: Mapping[str, Any] | None = None) -> str:
    """The constructor's parameters with the values a short name plays with (its preset over the class default)."""
    preset = dict(preset or {})
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return ", ".join(f"{k}={v!r}" for k, v in preset.items())
    parts = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in skip:
            continue
        if p.name in preset:
            parts.append(f"{p.name}={preset.pop(p.name)!r}")
        else:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    parts += [f"{k}={v!r}" for k, v in preset.items()]  # taken through **kwargs
    return ", ".join(parts)


def _roles(roles: Iterable[str]) -> str:
    roles = list(roles)
    return "/".join(roles) if len(roles) <= 6 else f"{roles[0]}..{roles[-1]} ({len(roles)} seats)"


def _load(target: str, extra: str) -> tuple[Any, str]:
    try:
        return import_object(target), ""
    except RegistryError as exc:
        return None, f"(unavailable: {exc}" + (f"; pip install -e '.[{extra}]'" if extra else "") + ")"


def _plays(cls: type) -> str:
    plays = declared_plays(cls)
    if plays is None:
        return "(any world whose interface it implements)"
    return "; ".join(f"{w}: {_roles(r) if r != EVERY_SEAT else 'every seat'}" for w, r in plays.items())


def players_text() -> str:
    lines = []
    for name, spec in player_specs().items():
        lines.append(f"{name:<18} {spec.doc}")
        classes = []
        for world, target in spec.targets.items():
            cls, problem = _load(target, spec.extra)
            if cls is None:
                lines.append(f"{'':<18} {problem}")
                break
            classes.append((world, cls))
        else:
            plays = "; ".join(_plays(cls) for _world, cls in classes)
            lines.append(f"{'':<18} plays {plays}")
            cls = classes[0][1]
            params = _params(cls, {"name", "seed", "preferences", "ufun", "parent", "owner", "id", "type_name"},
                             spec.defaults)
            preset = ", ".join(spec.defaults)
            lines.append(f"{'':<18} params: {params or '-'}" + (f" (set by the name: {preset})" if preset else ""))
    lines.append("Any other class enters by dotted path, e.g. type: negmas.sao.AspirationNegotiator")
    return "\n".join(lines)


def worlds_text() -> str:
    lines = []
    for name, spec in world_specs().items():
        lines.append(f"{name:<10} {spec.doc}")
        cls, problem = _load(spec.target, spec.extra)
        if cls is not None:
            lines.append(f"{'':<10} roles: {_roles(cls.roles) or '(every competitor)'}; "
                         f"metrics: {', '.join(cls.metrics)}")
            lines.append(f"{'':<10} params: {_params(cls, set())}")
        else:
            lines.append(f"{'':<10} {problem}")
    return "\n".join(lines)
