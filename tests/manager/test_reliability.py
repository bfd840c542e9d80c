"""Crashes and concurrency: SIGKILLed hosts and two processes on one SQLite file."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from modelop_mlc import LifecycleManager

HERE = Path(__file__).parent
INSTANCES = 2  # new instances per run
CRASH_RUNS = 100


def _run(script: str, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(1200)  # 101 host processes; a busy shared machine needs more than the default
def test_sigkilled_host_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    """100 hosts SIGKILLed at random SQL statements: every instance completes exactly once,
    no step is applied twice and every idempotent side effect happens once."""
    db, effects = tmp_path / "mlc.db", tmp_path / "effects.db"
    killed = 0
    for seed in range(CRASH_RUNS):
        crash_at = random.Random(seed).randint(1, 160)
        result = _run("crash_worker.py", db, effects, seed, crash_at, INSTANCES)
        assert result.returncode in {0, -9}, result.stderr[-2000:]
        killed += result.returncode == -9
    final = _run("crash_worker.py", db, effects, CRASH_RUNS, 0, INSTANCES)
    assert final.returncode == 0, final.stderr[-2000:]
    assert killed > CRASH_RUNS // 2  # the crashes really happened, at many points

    manager = LifecycleManager.open(db)
    try:
        instances = manager.instances(key="crashy", limit=None)
        assert sorted(i.business_key for i in instances) == sorted(
            f"run{seed}-{n}" for seed in range(CRASH_RUNS + 1) for n in range(INSTANCES)
        )
        assert {i.status for i in instances} == {"completed"}
        assert {i.variables["steps"] for i in instances} == {3}
        for instance in instances:
            ends = [
                h.activity_id
                for h in manager.history(instance.id, limit=None)
                if h.kind == "activity_end"
            ]
            assert sorted(ends) == sorted(
                ["start", "init", "first", "middle", "second", "last", "end"]
            )
        assert manager.store.jobs() == []
    finally:
        manager.close()
    conn = sqlite3.connect(effects)
    keys = [k for (k,) in conn.execute("SELECT key FROM effects")]
    attempts = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    conn.close()
    assert len(keys) == 2 * INSTANCES * (CRASH_RUNS + 1)
    assert attempts >= len(keys)  # some side effects were attempted again after a crash...
    assert len(set(keys)) == len(keys)  # ...but the idempotency key made them happen once


@pytest.mark.slow
def test_two_processes_on_one_instance_lose_no_update(tmp_path: Path) -> None:
    """Two processes completing tasks and signalling the same instances at once: every
    accepted command is applied exactly once and no 'database is locked' escapes."""
    db = tmp_path / "race.db"
    setup = _run("race_worker.py", db, "setup", 0)
    assert setup.returncode == 0, setup.stderr[-2000:]
    processes = [
        subprocess.Popen(
            [sys.executable, str(HERE / "race_worker.py"), str(db), "race", str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    manager = LifecycleManager.open(db)
    try:
        completed = sum(r["completed"] for r in reports)
        signalled = sum(r["delivered"] for r in reports)
        instances = manager.instances(key="race")
        assert sum(i.variables["done"] for i in instances) == completed
        assert sum(i.variables["bumps"] for i in instances) == signalled
        assert completed > 0 and signalled > 0
        assert all(r["unexpected"] == [] for r in reports)
    finally:
        manager.close()
