"""Where player and world modules named by a league are imported from.

A league file runs code: naming ``myagent.Mine`` imports ``myagent`` (its
import-time code runs, in ``validate`` too). Researchers keep their agent
beside their league, so the league file's folder is put on ``sys.path``
(appended: an installed package of the same name wins, and a file called
``json.py`` beside a league cannot shadow the standard library), in the
parent and, through ``Match.import_dirs``, in every worker.

``path/to/agent.py:Mine`` names a file directly; a relative path is looked up
in those folders (the league's first), then in the working directory. The
module is imported once per process under a name derived from its absolute
path, so two leagues' ``agent.py`` files never shadow each other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from types import ModuleType
from pathlib import Path
from typing import Iterable

_DIRS: list[str] = []  # the league folders added so far, in order


def add_import_dirs(dirs: Iterable[str]) -> None:
    """Put each folder on ``sys.path`` (once, at the end) and in the ``.py:`` search list."""
    for folder in dirs:
        folder = str(folder)
        if folder not in _DIRS:
            _DIRS.append(folder)
        if folder not in sys.path:
            sys.path.append(folder)


def find_module_file(name: str) -> Path | None:
    """The file ``name`` (``path/to/agent.py``) names: absolute, else in the league folders, else the cwd."""
    path = Path(name)
    candidates = [path] if path.is_absolute() else [Path(d) / path for d in _DIRS] + [Path.cwd() / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def import_file(name: str) -> ModuleType:
    """Import the module in file ``name``; ImportError if there is no such file."""
    path = find_module_file(name)
    if path is None:
        where = ", ".join(_DIRS + [str(Path.cwd())])
        raise ImportError(f"no file '{name}' (looked in {where})")
    module_name = f"_tourney_file_{hashlib.sha1(str(path).encode()).hexdigest()[:12]}_{path.stem}"
    module = sys.modules.get(module_name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"'{path}' is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # before exec, as import does: pickling and dataclasses look it up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
