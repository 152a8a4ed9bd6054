"""Where the negotiation world's scenarios come from: folders of files and generators.

The world's ``scenarios`` param is one source or a list of sources, each a mapping:

- ``{folder: PATH}``: a scenario folder (a GENIUS XML domain with its profiles,
  a GeniusWeb JSON domain, or a negmas YAML scenario, read by negmas'
  ``Scenario.load``), or a folder of such folders, or a glob of either. A
  relative PATH is relative to the league file (``resolve_paths``).
- ``{generate: anl2024, n: 20, seed: 0}``: the ANL 2024 distribution
  (``scenario_generators.anl2024``); ``n_outcomes`` may override its 900-1100.
- ``{generate: multi-issue, n: 10, seed: 0, issues: [2, 3], values: [2, 6],
  pareto: [piecewise_linear, curve, zero_sum], reserved: [0.0, 0.5]}``:
  negmas' multi-issue generator.

A generated source draws from its own ``seed`` (0 if not given), not from the
match seed: every pairing of a league meets the same scenarios, as in ANL and
``cartesian_tournament``; repetitions replay them with other player seeds.

Bad input is found when the league is read (``load_scenarios`` raises
``ScenarioError`` naming the file): a missing folder, a folder with no
scenario, a file that does not parse, a utility function that does not give a
finite utility to every outcome.
"""

from __future__ import annotations

import glob
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Mapping

import yaml
from negmas.inout import (
    Scenario,
    find_domain_and_utility_files_geniusweb,
    find_domain_and_utility_files_xml,
    find_domain_and_utility_files_yaml,
)

from tourney.worlds import scenario_generators as gen

GENERATORS = ("anl2024", "multi-issue")
_KEYS = {
    "folder": {"folder"},
    "anl2024": {"generate", "n", "seed", "n_outcomes"},
    "multi-issue": {"generate", "n", "seed", "issues", "values", "pareto", "reserved"},
}
MAX_CHECKED_OUTCOMES = 200_000  # coverage is checked on every outcome up to this many, a sample beyond


class ScenarioError(ValueError):
    """A scenario source that cannot be read; the message names the file."""


def sources(spec: Any) -> list[dict[str, Any]]:
    """The list of source mappings in ``spec``; ValueError('scenarios: ...') if malformed."""
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise ValueError("scenarios: give at least one source ({folder: PATH} or {generate: anl2024, n: N})")
    out = []
    for k, item in enumerate(items):
        where = f"scenarios[{k}]" if isinstance(spec, list) else "scenarios"
        if not isinstance(item, Mapping):
            raise ValueError(f"scenarios: {where} must be a mapping like {{folder: PATH}} or "
                             f"{{generate: anl2024, n: 20}}, got {item!r}")
        kind = "folder" if "folder" in item else item.get("generate")
        if kind not in _KEYS:
            raise ValueError(f"scenarios: {where} needs 'folder' or 'generate' (one of {', '.join(GENERATORS)}); "
                             f"got {dict(item)!r}")
        unknown = set(item) - _KEYS[kind]
        if unknown:
            raise ValueError(f"scenarios: {where} has unknown key(s) {', '.join(sorted(unknown))}; "
                             f"allowed: {', '.join(sorted(_KEYS[kind]))}")
        if kind == "folder":
            if not isinstance(item["folder"], str) or not item["folder"]:
                raise ValueError(f"scenarios: {where}.folder must be a path")
        else:
            _check_generated(where, kind, item)
        out.append(dict(item))
    return out


def _check_generated(where: str, kind: str, item: Mapping[str, Any]) -> None:
    n, seed = item.get("n"), item.get("seed", 0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"scenarios: {where}.n must be an int >= 1 (how many scenarios), got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"scenarios: {where}.seed must be a non-negative int, got {seed!r}")
    ranges = {"n_outcomes": 2} if kind == "anl2024" else {"issues": 1, "values": 1}
    for key, low in ranges.items():
        if key in item and not _count_or_range(item[key], low):
            raise ValueError(f"scenarios: {where}.{key} must be an int >= {low} or a range [low, high]")
    if "reserved" in item and not _count_or_range(item["reserved"], None, real=True):
        raise ValueError(f"scenarios: {where}.reserved must be a number or a range [low, high]")
    bad = [p for p in item.get("pareto", ()) if p not in gen.PARETO_GENERATORS]
    if "pareto" in item and (not isinstance(item["pareto"], list) or not item["pareto"] or bad):
        raise ValueError(f"scenarios: {where}.pareto must be a list of {', '.join(gen.PARETO_GENERATORS)}")


def _count_or_range(value: Any, low: int | None, real: bool = False) -> bool:
    kinds = (int, float) if real else (int,)

    def ok(v: Any) -> bool:
        return isinstance(v, kinds) and not isinstance(v, bool) and (low is None or v >= low)

    if isinstance(value, list) and len(value) == 2:
        return ok(value[0]) and ok(value[1]) and value[0] <= value[1]
    return ok(value)


def resolve_paths(spec: Any, base: Path) -> Any:
    """``spec`` with relative folder paths made absolute against ``base`` (the league's folder)."""
    if isinstance(spec, list):
        return [resolve_paths(s, base) for s in spec]
    if isinstance(spec, Mapping) and isinstance(spec.get("folder"), str):
        folder = Path(spec["folder"]).expanduser()
        return {**spec, "folder": str(folder if folder.is_absolute() else (base / folder))}
    return spec


def load_scenarios(spec: Any) -> list[Scenario]:
    """Every scenario of ``spec`` as read or generated (not normalized), in a stable order."""
    scenarios: list[Scenario] = []
    for source in sources(spec):
        if "folder" in source:
            scenarios += [load_folder(p) for p in scenario_folders(source["folder"])]
        elif source["generate"] == "anl2024":
            n_outcomes = source.get("n_outcomes")
            scenarios += gen.anl2024(source["n"], source.get("seed", 0),
                                     tuple(n_outcomes) if isinstance(n_outcomes, list) else n_outcomes)
        else:
            options = {k: source[k] for k in ("issues", "values", "pareto", "reserved") if k in source}
            scenarios += gen.multi_issue(source["n"], source.get("seed", 0), **options)
    return _unique_names(scenarios)


def _unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    # Names key the per-negotiation records; two sources may both have an "S0".
    seen: dict[str, int] = {}
    for s in scenarios:
        name = s.outcome_space.name or "scenario"
        if name in seen:
            seen[name] += 1
            s.outcome_space = type(s.outcome_space)(issues=s.outcome_space.issues, name=f"{name}#{seen[name]}")
        else:
            seen[name] = 0
    return scenarios


def scenario_folders(pattern: str) -> list[Path]:
    """The scenario folders ``pattern`` names: itself, its sub-folders, or a glob's matches."""
    matches = sorted(Path(p) for p in glob.glob(pattern)) if glob.has_magic(pattern) else [Path(pattern)]
    if not matches or not any(m.exists() for m in matches):
        raise ScenarioError(f"{pattern}: no such folder")
    folders: list[Path] = []
    for m in matches:
        if not m.is_dir():
            raise ScenarioError(f"{m}: not a folder (give the folder holding the domain and profile files)")
        if _has_scenario_files(m):
            folders.append(m)
        else:
            folders += [d for d in sorted(m.iterdir()) if d.is_dir() and _has_scenario_files(d)]
    if not folders:
        raise ScenarioError(f"{pattern}: no scenario found (no GENIUS XML, GeniusWeb JSON or negmas YAML "
                            "domain in it or in its sub-folders)")
    return folders


def _has_scenario_files(folder: Path) -> bool:
    return any(f.suffix in (".xml", ".json", ".yml", ".yaml") for f in folder.iterdir() if f.is_file())


def load_folder(folder: Path) -> Scenario:
    """One scenario folder through negmas' loaders; ScenarioError naming the bad file."""
    _parse_every_file(folder)
    domain, ufun_files = _find_files(folder)
    if domain is None:
        raise ScenarioError(f"{folder}: no domain file (a GENIUS <negotiation_template>, a GeniusWeb "
                            "'issuesValues' JSON or a negmas OutcomeSpace YAML)")
    if len(ufun_files) < 2:
        raise ScenarioError(f"{folder}: {len(ufun_files)} utility file(s); a bilateral scenario needs two")
    try:
        scenario = Scenario.load(folder, load_stats=False)
    except Exception as exc:  # noqa: BLE001 - any loader failure is bad input in that folder
        raise ScenarioError(f"{folder}: negmas cannot load this scenario: {type(exc).__name__}: {exc}") from None
    if scenario is None:
        raise ScenarioError(f"{folder}: negmas cannot load this scenario")
    if len(scenario.ufuns) != 2:
        raise ScenarioError(f"{folder}: {len(scenario.ufuns)} utility functions; the world is bilateral")
    for ufun, path in zip(scenario.ufuns, ufun_files):
        check_covers(ufun, scenario, Path(path))
    return scenario


def _find_files(folder: Path) -> tuple[Path | None, list[Path]]:
    for finder in (find_domain_and_utility_files_yaml, find_domain_and_utility_files_xml,
                   find_domain_and_utility_files_geniusweb):
        domain, ufuns = finder(folder)
        if domain is not None:
            return domain, sorted(ufuns)
    return None, []


def _parse_every_file(folder: Path) -> None:
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name.startswith("."):
            continue
        try:
            if f.suffix == ".xml":
                ET.parse(f)
            elif f.suffix == ".json":
                json.loads(f.read_text())
            elif f.suffix in (".yml", ".yaml"):
                yaml.safe_load(f.read_text())
        except (ET.ParseError, ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{f}: malformed {f.suffix[1:].upper()}: {str(exc).splitlines()[0]}") from None


def check_covers(ufun: Any, scenario: Scenario, path: Path) -> None:
    """Raise ScenarioError unless ``ufun`` gives a finite utility to every outcome."""
    space = scenario.outcome_space
    outcomes = space.enumerate_or_sample(max_cardinality=MAX_CHECKED_OUTCOMES)
    for outcome in outcomes:
        try:
            value = ufun(outcome)
            ok = value is not None and math.isfinite(float(value))
        except Exception:  # noqa: BLE001 - a value the profile does not know
            ok, value = False, "an error"
        if not ok:
            pairs = ", ".join(f"{i.name}={v}" for i, v in zip(space.issues, outcome))
            raise ScenarioError(f"{path}: the utility function does not cover the outcome space: "
                                f"outcome ({pairs}) gets {value}")
