"""Purging ended instances by age, honouring `camunda:historyTimeToLive`, keeping the KPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import ConfigurationError, DiagramError, LifecycleManager, ManualClock
from modelop_mlc.kpis import compute_kpis

START, END = '<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'


def _with_ttl(xml: str, ttl: str) -> str:
    return xml.replace(
        'isExecutable="true"', f'isExecutable="true" camunda:historyTimeToLive="{ttl}"'
    )


# Approval, a test judgement, a deployment: what the KPIs are read from.
RELEASE = _with_ttl(
    process(
        START
        + '<bpmn:userTask id="approve" name="Approve"/>'
        + '<bpmn:serviceTask id="judge" camunda:class="ModelTestResultEval"/>'
        + '<bpmn:serviceTask id="ship" camunda:class="DeployModel"/>'
        + END
        + chain("start", "approve", "judge", "ship", "end"),
        pid="release",
    ),
    "P30D",
)
# No time to live: only `before` removes its instances.
CHORE = process(
    START + '<bpmn:userTask id="work"/>' + END + chain("start", "work", "end"), pid="chore"
)


@pytest.fixture(name="release")
def _release(manager: LifecycleManager) -> LifecycleManager:
    @manager.delegate("ModelTestResultEval")
    def judge(ctx: Any) -> dict[str, Any]:
        return {"TEST_RESULT": bool(ctx.variables["good"])}

    @manager.delegate("DeployModel")
    def ship(_ctx: Any) -> None:
        return None

    manager.deploy(RELEASE, CHORE)
    return manager


def _finish(manager: LifecycleManager, instance_id: str) -> None:
    (task,) = manager.tasks(instance_id=instance_id)
    manager.complete_task(task.id)


def test_deploy_reads_the_history_time_to_live(manager: LifecycleManager) -> None:
    """`30` and `P30D` are 30 days; no attribute means no time to live."""
    deployed = manager.deploy(_with_ttl(CHORE.replace('"chore"', '"c2"'), "30"), RELEASE, CHORE)
    assert {d.key: d.history_ttl_days for d in deployed.definitions} == {
        "c2": 30,
        "release": 30,
        "chore": None,
    }


@pytest.mark.parametrize("ttl", ["P1M", "thirty", "-3", "PT5H"])
def test_a_bad_history_time_to_live_is_refused_at_deploy(
    manager: LifecycleManager, ttl: str
) -> None:
    """Anything but whole days is refused, naming the process and the line."""
    with pytest.raises(DiagramError) as refused:
        manager.deploy(_with_ttl(CHORE, ttl))
    (problem,) = refused.value.problems
    assert problem.element_id == "chore"
    assert problem.line is not None
    assert "historyTimeToLive" in problem.message


def test_purge_honours_the_time_to_live_and_keeps_running_instances(
    release: LifecycleManager, clock: ManualClock
) -> None:
    """An ended instance goes 30 days after it ended, not before; running ones stay;
    instances of a process without a time to live stay until `before` says otherwise."""
    manager = release
    done = manager.start("release", {"good": True})
    _finish(manager, done.id)
    waiting = manager.start("release", {"good": True})
    chore = manager.start("chore")
    _finish(manager, chore.id)
    clock.advance(timedelta(days=29))
    assert manager.purge().instances == 0
    clock.advance(timedelta(days=2))
    result = manager.purge()
    assert (result.instances, dict(result.by_definition)) == (1, {done.definition_id: 1})
    assert {i.id for i in manager.instances(limit=None)} == {waiting.id, chore.id}
    assert manager.store.history(done.id) == []
    # `before` removes the chore (no time to live), never a running instance.
    result = manager.purge(before=clock.now())
    assert result.instances == 1
    assert [i.id for i in manager.instances(limit=None)] == [waiting.id]


def test_before_never_cuts_a_time_to_live_short(
    release: LifecycleManager, clock: ManualClock
) -> None:
    """`before` bounds what goes; a process's time to live still protects its history."""
    manager = release
    done = manager.start("release", {"good": True})
    _finish(manager, done.id)
    clock.advance(timedelta(days=5))
    assert manager.purge(before=clock.now()).instances == 0
    clock.advance(timedelta(days=30))
    assert manager.purge(before=clock.now() - timedelta(days=40)).instances == 0
    assert manager.purge(before=clock.now(), key="chore").instances == 0
    assert manager.purge(before=clock.now(), key="release").instances == 1


def test_dry_run_and_archive(release: LifecycleManager, clock: ManualClock, tmp_path: Path) -> None:
    """A dry run counts and removes nothing; the archive holds each instance and its history."""
    manager = release
    ids = []
    for good in (True, False):
        instance = manager.start("release", {"good": good})
        _finish(manager, instance.id)
        ids.append(instance.id)
    clock.advance(timedelta(days=31))
    assert manager.purge(dry_run=True).instances == 2
    assert len(manager.instances(limit=None)) == 2
    archive = tmp_path / "purged.jsonl"
    result = manager.purge(archive=archive, batch=1)
    assert (result.instances, result.archive) == (2, str(archive))
    records = [json.loads(line) for line in archive.read_text().splitlines()]
    assert sorted(r["instance"]["id"] for r in records) == sorted(ids)
    assert all("state" not in r["instance"] for r in records)
    kinds = [h["kind"] for h in records[0]["history"]]
    assert kinds[0] == "instance_start"
    assert "instance_end" in kinds


def test_purge_refuses_a_naive_date_and_a_bad_batch(manager: LifecycleManager) -> None:
    """A date without a time zone, or a batch below 1, is refused with what to write."""
    with pytest.raises(ConfigurationError, match="needs a time zone"):
        manager.purge(before=datetime(2025, 1, 1))  # noqa: DTZ001 - the mistake under test
    with pytest.raises(ConfigurationError, match="batch must be 1 or more"):
        manager.purge(batch=0)


def test_kpis_are_the_same_before_and_after_a_purge(
    release: LifecycleManager, clock: ManualClock
) -> None:
    """Every KPI, over all instances, one process or those started since a date, is the
    same after the ended instances and their history were purged."""
    manager = release
    boundary = None
    for n in range(7):
        instance = manager.start("release", {"good": n % 3 != 0})
        clock.advance(timedelta(hours=n + 1))
        if n < 5:
            _finish(manager, instance.id)
        if n == 3:
            boundary = clock.now()
        clock.advance(timedelta(minutes=17 * n))
    chore = manager.start("chore")
    _finish(manager, chore.id)
    assert boundary is not None

    def every_view() -> list[Any]:
        return [
            compute_kpis(manager),
            compute_kpis(manager, key="release"),
            compute_kpis(manager, since=boundary),
            compute_kpis(manager, key="release", since=boundary.astimezone(UTC)),
        ]

    before = every_view()
    assert before[0].deployments == 5
    assert before[0].tests_judged == 5
    assert before[0].approval_lead_time is not None
    clock.advance(timedelta(days=31))
    assert manager.purge(before=clock.now()).instances == 6
    assert len(manager.instances(limit=None)) == 2
    assert every_view() == before
