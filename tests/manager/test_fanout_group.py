"""Group commit of a fan-out: the receivers' steps of one signal saved in few transactions,
each with its delivery's end, a failing receiver still alone with its incident."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
SIGNAL = '<bpmn:signal id="sig" name="go"/>'
WAIT = (
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="sig"/>'
    "</bpmn:intermediateCatchEvent>"
)
# Waits for "go", then takes a gateway that reads `route`: a receiver without it fails there.
CATCHER = process(
    START
    + WAIT
    + '<bpmn:exclusiveGateway id="route"/><bpmn:userTask id="after"/>'
    + END
    + chain("start", "wait", "route")
    + flow("to_after", "route", "after", "${route == 'on'}")
    + flow("to_end", "route", "end", "${route != 'on'}")
    + chain("after", "end"),
    pid="catcher",
    extra=SIGNAL,
)
# Waits for "go", then runs the delegate "Poke" inline and waits at a user task.
POKED = process(
    START + WAIT + '<bpmn:serviceTask id="poke" camunda:class="Poke"/>'
    '<bpmn:userTask id="after"/>' + END + chain("start", "wait", "poke", "after", "end"),
    pid="poked",
    extra=SIGNAL,
)
THROWER = process(
    START + '<bpmn:userTask id="decide"/>'
    '<bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="sig"/>'
    "</bpmn:intermediateThrowEvent>" + END + chain("start", "decide", "throw", "end"),
    pid="thrower",
    extra=SIGNAL,
)


@contextmanager
def _commits(manager: LifecycleManager) -> Iterator[list[str]]:
    """Collect the COMMITs of the calling thread's connection (SQLite's statement trace)."""
    seen: list[str] = []
    conn = manager.store.reader().conn
    conn.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


def _open(path: Path, group: int, **config: Any) -> LifecycleManager:
    config = {"group_commit": group, **config}
    return LifecycleManager.open(path, clock=ManualClock(), config=ManagerConfig(**config))


def _caught(manager: LifecycleManager, ids: list[str]) -> Counter[str]:
    """How often each of `ids` recorded receiving the signal."""
    return Counter(
        e.instance_id
        for e in manager.store.history_all(kinds=["signal_received"])
        if e.instance_id in ids
    )


def test_a_thrown_signal_with_a_failing_receiver_among_ten_moves_nine_in_one_group(
    tmp_path: Path,
) -> None:
    """With group commit on, a thrown signal moves 9 of 10 receivers in fewer commits than
    receivers, the 10th (failing at its gateway) gets the one incident, the thrower ends."""
    with _open(tmp_path / "m.db", 50) as manager:
        manager.deploy(CATCHER, THROWER)
        ids = [manager.start("catcher", {} if n == 6 else {"route": "on"}).id for n in range(10)]
        thrower = manager.start("thrower")
        (decide,) = manager.tasks(instance_id=thrower.id)
        with _commits(manager) as seen:
            done = manager.complete_task(decide.id)
        assert done.status == "completed"
        moved = [i for i in ids if manager.instance(i).waiting_at == ("after",)]
        assert moved == ids[:6] + ids[7:]
        (incident,) = manager.incidents()
        assert (incident.instance_id, incident.kind) == (ids[6], "failed_delivery")
        assert manager.instance(ids[6]).waiting_at == ("wait",)
        assert _caught(manager, ids) == Counter(dict.fromkeys(moved, 1))
        assert [d.instance_id for d in manager.store.deliveries()] == [ids[6]]
        # The thrower's step, the nine receivers' group, the incident: 3 commits, not 11.
        assert len(seen) == 3, seen


def test_a_signal_to_300_receivers_is_committed_in_fewer_transactions_than_receivers(
    tmp_path: Path,
) -> None:
    """`signal()` to 300 receivers takes 301 commits one by one and 1 + 300/50 = 7
    grouped (`group_commit=50`); both move every receiver exactly once."""
    commits = {}
    for group in (1, 50):
        with _open(tmp_path / f"{group}.db", group) as manager:
            manager.deploy(CATCHER)
            ids = [manager.start("catcher", {"route": "on"}).id for _ in range(300)]
            with _commits(manager) as seen:
                result = manager.signal("go")
            assert sorted(result.delivered) == sorted(ids)
            assert _caught(manager, ids) == Counter(dict.fromkeys(ids, 1))
            assert manager.store.deliveries() == []
            commits[group] = len(seen)
    assert commits[1] == 301
    assert commits[50] == 1 + 300 // 50


def test_a_group_that_loses_a_race_is_saved_step_by_step_and_delivers_nothing_twice(
    tmp_path: Path,
) -> None:
    """A receiver's delegate changes an earlier receiver of the same group: the group's
    transaction fails, every step is saved on its own (the changed one delivered again from
    its new state), and each of the 10 receivers caught the signal exactly once."""
    with _open(tmp_path / "m.db", 50, delegate_timeout_seconds=None) as manager:
        calls: list[str] = []

        def poke(ctx: Any) -> dict[str, Any]:
            calls.append(ctx.instance_id)
            if len(calls) == 5:
                manager.set_variables(calls[0], {"touched": True})
            return {}

        manager.register_delegate("Poke", poke)
        manager.deploy(POKED)
        ids = [manager.start("poked").id for _ in range(10)]
        with _commits(manager) as seen:
            result = manager.signal("go")
        assert sorted(result.delivered) == sorted(ids)
        assert {manager.instance(i).waiting_at for i in ids} == {("after",)}
        assert _caught(manager, ids) == Counter(dict.fromkeys(ids, 1))
        assert manager.instance(calls[0]).variables["touched"] is True
        assert manager.store.deliveries() == []
        assert manager.incidents() == []
        # The touched receiver's step ran twice (its redo); every other step once.
        assert Counter(calls) == Counter({**dict.fromkeys(ids, 1), calls[0]: 2})
        # The signal, the failed group's rollback, then 10 steps one by one.
        assert len(seen) >= 11


def test_a_worker_delivers_what_an_interrupted_host_left_in_groups(tmp_path: Path) -> None:
    """A host interrupted before its first receiver's step leaves 20 deliveries; after the
    lease a worker delivers them in fewer commits than receivers, each exactly once."""
    path = tmp_path / "m.db"
    clock = ManualClock()
    config = ManagerConfig(group_commit=50, delegate_timeout_seconds=None)
    with LifecycleManager.open(path, clock=clock, config=config) as manager:
        armed = [True]

        def poke(_ctx: Any) -> dict[str, Any]:
            if armed.pop() if armed else False:
                raise KeyboardInterrupt  # the host stops before anything is delivered
            return {}

        manager.register_delegate("Poke", poke)
        manager.deploy(POKED)
        ids = [manager.start("poked").id for _ in range(20)]
        with suppress(KeyboardInterrupt):
            manager.signal("go")
        assert len(manager.store.deliveries()) == 20
        clock.advance(timedelta(seconds=config.job_lease_seconds + 1))
        with _commits(manager) as seen:
            assert manager.run_due() == 20
        assert {manager.instance(i).waiting_at for i in ids} == {("after",)}
        assert _caught(manager, ids) == Counter(dict.fromkeys(ids, 1))
        assert manager.store.deliveries() == []
        assert len(seen) < 20, seen
