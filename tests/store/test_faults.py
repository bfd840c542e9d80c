"""Faults under load on one PostgreSQL: killed workers, a restarted server, racing hosts.

Every test starts real worker processes (`pg_worker.py`) on loopback and is bounded in time;
none asserts how long anything took.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc import LifecycleManager
from modelop_mlc.store import SqlStore
from store.support import PrivateServer, admin

pytestmark = [pytest.mark.mlc_postgres, pytest.mark.slow, pytest.mark.timeout(600)]

HERE = Path(__file__).parent
WORKER = HERE / "pg_worker.py"
LEASE = 3.0  # seconds: short, so the test does not wait long for a killed worker's leases
KILLS = 100  # workers SIGKILLed one after another in the crash test
PER_KILL = 10  # new instances before each, so every worker has work when it dies
ACTIVITIES = ["start", "init", "first", "middle", "second", "last", "end"]
pause = threading.Event()


class Worker:
    """A `pg_worker.py work` process."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), "work", url, name, str(LEASE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the manager is open
        assert line.strip() == "ready", self.process.stderr.read() if self.process.stderr else ""

    def stop(self) -> dict[str, Any]:
        """Stop it the way a host shuts down (SIGTERM) and return its report."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err[-3000:]
        return dict(json.loads(out.strip().splitlines()[-1]))

    def kill(self) -> None:
        """Kill it as a crashing host dies: no clean-up at all."""
        self.process.kill()
        self.process.communicate(timeout=60)
        assert self.process.returncode == -signal.SIGKILL


def _open_workload(url: str) -> LifecycleManager:
    """Create the side-effect tables and deploy the `crashy` process at `url`."""
    with admin(url) as conn:
        conn.execute("CREATE TABLE effects (key TEXT PRIMARY KEY, worker TEXT NOT NULL)")
        conn.execute("CREATE TABLE effect_attempts (key TEXT NOT NULL, worker TEXT NOT NULL)")
    sys.path.insert(0, str(HERE))
    try:
        from pg_worker import CRASHY
    finally:
        sys.path.remove(str(HERE))
    manager = LifecycleManager.open(url)
    manager.register_delegate("Effect", lambda _ctx: None, asynchronous=True)
    manager.deploy(("crashy.bpmn", CRASHY))
    return manager


@pytest.fixture(name="workload")
def _workload(pg_url: str) -> Iterator[LifecycleManager]:
    """The `crashy` process deployed in the test's schema of the shared server."""
    manager = _open_workload(pg_url)
    yield manager
    manager.close()


def _start(manager: LifecycleManager, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        manager.start("crashy", business_key=f"i{n}")


def _wait_until(condition: Callable[[], bool], *, steps: int = 4800) -> None:
    """Poll every 0.05 s (at most steps x 0.05 s); fail the test if it never holds."""
    for _ in range(steps):
        if condition():
            return
        pause.wait(0.05)
    pytest.fail("gave up waiting: the workers made no progress")


def _completed(store: SqlStore) -> int:
    return store.count_instances("completed")


def _check_exactly_once(
    manager: LifecycleManager, pg_connect: Callable[[], Any], count: int
) -> tuple[int, int]:
    """Every instance completed once, every step applied once, every effect done once."""
    store = manager.store
    instances = store.list_instances(status=None, key="crashy", business_key=None, limit=None)
    assert sorted(i.business_key or "" for i in instances) == sorted(f"i{n}" for n in range(count))
    assert {"completed"} == {i.status for i in instances}
    assert {3} == {i.variables["steps"] for i in instances}
    ends: dict[str, Counter[str]] = defaultdict(Counter)
    for event in store.history_all(kinds=["activity_end", "instance_end"]):
        ends[event.instance_id][
            event.activity_id if event.kind == "activity_end" else "<instance_end>"
        ] += 1
    expected = Counter(dict.fromkeys([*ACTIVITIES, "<instance_end>"], 1))
    assert all(ends[i.id] == expected for i in instances)
    assert store.jobs() == []
    assert store.timers() == []
    with pg_connect() as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM effects").fetchall()]
        attempts = conn.execute("SELECT COUNT(*) FROM effect_attempts").fetchone()[0]
    assert len(keys) == 2 * count
    assert len(keys) == len(set(keys))  # the database enforces it; say it anyway
    assert attempts >= len(keys)
    return len(keys), int(attempts)


def test_a_killed_and_a_restarted_worker_lose_and_repeat_nothing(
    pg_url: str, workload: LifecycleManager, pg_connect: Callable[[], Any]
) -> None:
    """3 workers, 2,000 instances; one SIGKILLed and one restarted mid-run: all done once."""
    count = 2000
    _start(workload, count)
    store = workload.store
    workers = {name: Worker(pg_url, name) for name in ("w1", "w2", "w3")}
    _wait_until(lambda: _completed(store) >= count // 5)
    workers.pop("w1").kill()
    # What the dead worker held stays leased until the lease runs out, then others run it.
    orphaned = store.leases("w1")["jobs"]
    _wait_until(lambda: _completed(store) >= count // 2)
    reports = [workers.pop("w2").stop()]
    assert reports[0]["held"] == {
        "deliveries": [],
        "jobs": [],
        "timers": [],
    }  # gave its leases back
    workers["w2b"] = Worker(pg_url, "w2b")
    _wait_until(lambda: _completed(store) == count)
    reports += [worker.stop() for worker in workers.values()]
    assert all(r["held"] == {"deliveries": [], "jobs": [], "timers": []} for r in reports)
    effects, attempts = _check_exactly_once(workload, pg_connect, count)
    assert sum(r["ran"] for r in reports) > 0
    print(
        f"\n{count} instances, {effects} effects, {attempts} attempts, "
        f"{len(orphaned)} jobs leased by the killed worker, reports {reports}"
    )


def test_a_hundred_sigkilled_workers_lose_and_repeat_nothing(
    pg_url: str, workload: LifecycleManager, pg_connect: Callable[[], Any]
) -> None:
    """100 workers SIGKILLed one after another at random moments of their work, each after
    10 new instances: every instance completes once, every step and effect happens once."""
    rng = random.Random(2026)
    store = workload.store
    busy_when_killed = 0
    for kill in range(KILLS):
        _start(workload, PER_KILL, first=kill * PER_KILL)
        worker = Worker(pg_url, f"k{kill}")
        pause.wait(rng.uniform(0.05, 0.5))  # a random moment of its work
        worker.kill()
        with pg_connect() as conn:
            (attempted,) = conn.execute(
                "SELECT COUNT(*) FROM effect_attempts WHERE worker = %s", (f"k{kill}",)
            ).fetchone()
        busy_when_killed += attempted > 0
    count = KILLS * PER_KILL
    last = Worker(pg_url, "last")
    _wait_until(lambda: _completed(store) == count)
    report = last.stop()
    assert report["held"] == {"deliveries": [], "jobs": [], "timers": []}
    effects, attempts = _check_exactly_once(workload, pg_connect, count)
    assert busy_when_killed > KILLS // 2  # most workers died in the middle of work
    print(
        f"\n{KILLS} workers SIGKILLed ({busy_when_killed} after they had run steps), "
        f"{count} instances, {effects} effects, {attempts} attempts"
    )


def test_workers_carry_on_after_postgresql_restarts(private_postgres: PrivateServer) -> None:
    """PostgreSQL restarts under 3 workers: they reconnect, finish everything, lose nothing."""
    url = private_postgres.dsn  # a server of this test's own: restarting it disturbs no one
    count = 1500
    workload = _open_workload(url)
    try:
        _start(workload, count)
        store = workload.store
        workers = [Worker(url, f"w{n}") for n in (1, 2, 3)]
        _wait_until(lambda: _completed(store) >= count // 5)
        private_postgres.restart()
        at_restart = _completed(store)  # this read reconnects too
        assert at_restart < count  # the restart really hit the workers mid-run
        _wait_until(lambda: _completed(store) == count)
        reports = [worker.stop() for worker in workers]
        _check_exactly_once(workload, lambda: admin(url), count)
    finally:
        workload.close()
    assert all(r["held"] == {"deliveries": [], "jobs": [], "timers": []} for r in reports)
    # Each worker noticed the restart (a warning per lost connection) and carried on.
    assert all(r["warnings"] > 0 for r in reports)
    print(f"\nrestart at {at_restart}/{count} completed; reports {reports}")


def test_a_message_and_a_signal_racing_for_one_instance_both_apply_in_order(
    pg_url: str, tmp_path: Path
) -> None:
    """Two hosts deliver a message and a signal to the same instances at the same time."""
    sys.path.insert(0, str(HERE))
    try:
        from pg_worker import RACE
    finally:
        sys.path.remove(str(HERE))
    manager = LifecycleManager.open(pg_url)
    manager.deploy(("race.bpmn", RACE), check_delegates=False)
    started = sorted(
        (manager.start("race", business_key=key).id, key) for key in ("race-a", "race-b")
    )
    # The signal reaches subscribers in id order; the lower id is where the message loses.
    (first, first_key), (second, second_key) = started
    manager.set_variables(first, {"loser": "message"})
    manager.set_variables(second, {"loser": "signal"})
    (tmp_path / "instances.json").write_text(json.dumps([first_key, second_key]))
    processes = {
        role: subprocess.Popen(
            [sys.executable, str(WORKER), "race", pg_url, role, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("message", "signal")
    }
    reports = {}
    for role, process in processes.items():
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]
        reports[role] = json.loads(out.strip().splitlines()[-1])["calls"]
    try:
        # The loser ran its step twice: once on the stale revision, once on fresh state.
        assert {first: 2, second: 1} == reports["message"]
        assert {first: 1, second: 2} == reports["signal"]
        expected = {
            first: ["signal_received", "message_received"],
            second: ["message_received", "signal_received"],
        }
        for instance_id, order in expected.items():
            history = manager.history(instance_id, limit=None)
            kinds = [e.kind for e in history if e.kind in {"signal_received", "message_received"}]
            assert order == kinds
            ends = Counter(e.activity_id for e in history if e.kind == "activity_end")
            assert 1 == ends["hold_message"] == ends["hold_signal"] == ends["end"]
            instance = manager.instance(instance_id)
            assert instance.status == "completed"
            assert instance.variables["hold_message_done"] is True
            assert instance.variables["hold_signal_done"] is True
    finally:
        manager.close()
