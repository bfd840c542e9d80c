"""Group commit: due jobs and timers of different instances saved in one transaction."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
JOB = process(
    START + '<bpmn:serviceTask id="work" camunda:class="Work" camunda:asyncBefore="true"/>'
    '<bpmn:userTask id="review"/>' + END + chain("start", "work", "review", "end"),
    pid="job",
)
TIMER = process(
    START + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    '</bpmn:intermediateCatchEvent><bpmn:userTask id="review"/>'
    + END
    + chain("start", "wait", "review", "end"),
    pid="timer",
)
# Throws a signal once its job is done, then waits; every throw starts one "listener".
THROWER = process(
    START + '<bpmn:serviceTask id="work" camunda:class="Work" camunda:asyncBefore="true"/>'
    '<bpmn:intermediateThrowEvent id="tell"><bpmn:signalEventDefinition signalRef="s"/>'
    '</bpmn:intermediateThrowEvent><bpmn:userTask id="review"/>'
    + END
    + chain("start", "work", "tell", "review", "end"),
    pid="thrower",
    extra='<bpmn:signal id="s" name="worked"/>',
)
LISTENER = process(
    '<bpmn:startEvent id="heard"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>'
    '<bpmn:userTask id="note"/>' + END + chain("heard", "note", "end"),
    pid="listener",
    extra='<bpmn:signal id="s" name="worked"/>',
)


@contextmanager
def _commits(manager: LifecycleManager) -> Iterator[list[str]]:
    """Count the COMMITs of the calling thread's connection (SQLite's statement trace)."""
    seen: list[str] = []
    conn = manager.store.reader().conn
    conn.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


def _open(path: Path, clock: ManualClock, group: int) -> LifecycleManager:
    return LifecycleManager.open(path, clock=clock, config=ManagerConfig(group_commit=group))


@pytest.mark.parametrize("kind", ["job", "timer"])
def test_due_work_of_many_instances_is_saved_in_fewer_transactions(
    tmp_path: Path, clock: ManualClock, kind: str
) -> None:
    """Ten due jobs (or timers) take at least nine commits fewer grouped than one by one,
    and end the same."""
    commits = {}
    for group in (1, 50):
        with _open(tmp_path / f"{group}.db", clock, group) as manager:
            manager.register_delegate("Work", lambda _ctx: {"worked": True})
            manager.deploy(JOB if kind == "job" else TIMER)
            ids = [manager.start(kind).id for _ in range(10)]
            clock.advance(timedelta(hours=2))
            with _commits(manager) as seen:
                assert manager.run_due() == 10
            commits[group] = len(seen)
            assert [manager.instance(i).waiting_at for i in ids] == [("review",)] * 10
            assert manager.store.jobs() == []
            assert manager.store.timers() == []
    assert commits[50] <= commits[1] - 9


@pytest.mark.parametrize("group", [1, 50])
def test_a_group_that_loses_a_race_is_saved_step_by_step_and_repeats_no_step(
    tmp_path: Path, clock: ManualClock, group: int, caplog: pytest.LogCaptureFixture
) -> None:
    """While a batch runs, another host changes an instance whose step is computed but not
    saved: the batch is saved step by step, that step runs again from the new state, no
    delegate runs twice, nothing is lost, and each thrown signal is recorded and delivered
    once."""
    here = _open(tmp_path / "mlc.db", clock, group)
    there = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    runs: Counter[str] = Counter()
    ids: dict[str, str] = {}

    def work(ctx: Any) -> dict[str, Any]:
        runs[ctx.business_key] += 1
        if ctx.business_key == "second":
            there.set_variables(ids["first"], {"touched": True})
        return {"worked": True}

    try:
        here.register_delegate("Work", work)
        here.deploy(THROWER, LISTENER)
        ids["first"] = here.start("thrower", business_key="first").id
        clock.advance(timedelta(seconds=1))
        ids["second"] = here.start("thrower", business_key="second").id
        with caplog.at_level(logging.INFO, logger="modelop_mlc.runtime"):
            assert here.run_due() == 2
        assert ("saving them one by one" in caplog.text) == (group > 1)
        assert runs == {"first": 1, "second": 1}
        first = here.instance(ids["first"])
        assert first.waiting_at == ("review",)
        assert first.variables["touched"] is True
        assert first.variables["worked"] is True
        assert here.instance(ids["second"]).waiting_at == ("review",)
        ends = [h.activity_id for h in here.history(ids["first"]) if h.kind == "activity_end"]
        assert ends.count("work") == 1
        assert len(here.instances(key="listener")) == 2
        # The rolled-back group wrote no outbox rows; the steps saved again wrote theirs once.
        assert [tuple(r) for r in here.store.raw("SELECT COUNT(*) FROM throws")] == [(2,)]
        assert here.store.deliveries() == []
    finally:
        here.close()
        there.close()


def test_a_failing_item_keeps_its_lease_while_the_others_are_saved(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A job whose step the database refuses fails alone: the others of its batch are saved,
    it stays leased (so it is retried after its lease) and the error reaches the caller."""
    with _open(tmp_path / "mlc.db", clock, 50) as manager:
        manager.register_delegate("Work", lambda ctx: {"worked": ctx.business_key})
        manager.deploy(JOB)
        good = [manager.start("job", business_key=f"good{n}").id for n in range(3)]
        bad = manager.start("job", business_key="bad").id
        with manager.store.transaction() as tx:
            tx.execute(
                "CREATE TRIGGER refuse BEFORE UPDATE OF state ON instances "
                "WHEN NEW.business_key = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        with pytest.raises(Exception, match="refused"):
            manager.run_due()
        assert [manager.instance(i).waiting_at for i in good] == [("review",)] * 3
        assert manager.instance(bad).waiting_at == ("work",)
        (job,) = manager.store.jobs(bad)
        assert manager.store.leases(manager.worker_id)["jobs"] == [job.id]
