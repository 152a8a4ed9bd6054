"""The hostile players of test_isolation.py on a dask cluster (two one-thread workers).

On dask each worker process supervises its own player host, exactly as a loky
worker does: crashes and hard timeouts are blamed, the worker survives, and
nothing a player started outlives its match.
"""

from __future__ import annotations

import psutil
import pytest

from conftest import run_cli, write_league
from test_distributed import dask_address, dask_cluster  # noqa: F401 - the module-scoped cluster fixtures
from test_isolation import GOOD, WORLD, assert_blamed, assert_in_utility_range, assert_others_unaffected
from test_isolation import clean, records  # noqa: F401 - clean is a fixture

pytest.importorskip("distributed", reason="the dask tests need the [dask] extra")


def test_hostile_players_on_dask(dask_address, clean, tmp_path):  # noqa: F811
    faulty = {"SysExit": "error", "Exiter": "crashed", "Deaf": "timeout", "Killer": "error"}
    players = GOOD + [
        {"name": "SysExit", "type": "faulty_players.SystemExiter"},
        {"name": "Exiter", "type": "faulty_players.Exiter"},
        {"name": "Deaf", "type": "faulty_players.AlarmIgnorer"},
        {"name": "Killer", "type": "faulty_players.ParentKiller"},
        {"name": "Spawner", "type": "faulty_players.Spawner"},
    ]
    league = write_league(tmp_path / "l.yaml", players=players, worlds=WORLD,
                          format={"timeout": 0.5, "both_roles": False},
                          scoring={"max_failures": 1.0, "error_score": -1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "dask", "--address", dask_address, "--out", str(out), "--quiet",
            check=True, timeout=180)
    recs = records(out)
    assert len(recs) == 21
    assert_blamed(recs, faulty)
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    # the Spawner's daemonised `sleep` died with each of its matches: all a worker has left is its idle host
    workers = {r["pid"] for r in recs}
    assert len(workers) == 2
    for pid in workers:
        descendants = [p for p in psutil.Process(pid).children(recursive=True)
                       if p.status() != psutil.STATUS_ZOMBIE]
        assert len(descendants) <= 1 and all("sleep" not in p.name() for p in descendants), descendants
