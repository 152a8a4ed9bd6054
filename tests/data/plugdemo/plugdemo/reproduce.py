"""A reproduction registered by the plug-in: reads the run's match log only."""

from __future__ import annotations

import json
from pathlib import Path


def reproduce(run_dir: Path) -> str:
    records = [json.loads(line) for line in (Path(run_dir) / "matches.jsonl").read_text().splitlines() if line]
    accepted = sum(r["metrics"]["accepted"] for r in records if r["status"] == "ok")
    return f"# plugdemo\n\n{int(accepted)} of {len(records)} splits accepted"
