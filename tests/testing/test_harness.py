"""`ProcessHarness`: time travel through due timers and jobs, user tasks and diagram look-up."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock, SystemClock
from modelop_mlc.testing import ProcessHarness

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def timer(element_id: str, definition: str, value: str) -> str:
    """An intermediate timer catch event."""
    return (
        f'<bpmn:intermediateCatchEvent id="{element_id}"><bpmn:timerEventDefinition>'
        f"<bpmn:{definition}>{value}</bpmn:{definition}></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
    )


def script(element_id: str, source: str) -> str:
    """A Python script task."""
    return (
        f'<bpmn:scriptTask id="{element_id}" scriptFormat="python">'
        f"<bpmn:script>{source}</bpmn:script></bpmn:scriptTask>"
    )


# Monitoring as MLC processes do it: wait a day, run the monitor, repeat for 30 days.
MONITORING = process(
    START
    + script("init", "runs = 0")
    + timer("daily", "timeDuration", "P1D")
    + '<bpmn:serviceTask id="monitor" camunda:class="RunMonitor"/>'
    + script("count", "runs = runs + 1")
    + '<bpmn:exclusiveGateway id="more" default="again"/>'
    + END
    + chain("start", "init", "daily", "monitor", "count", "more")
    + flow("again", "more", "daily")
    + flow("done", "more", "end", "${runs >= 30}"),
    pid="monitoring",
)

WAIT_AN_HOUR = process(
    START + timer("hour", "timeDuration", "PT1H") + END + chain("start", "hour", "end"),
    pid="wait_an_hour",
)

APPROVAL = process(
    START
    + '<bpmn:userTask id="approve" camunda:assignee="ana"/>'
    + END
    + chain("start", "approve", "end"),
    pid="approval",
)


def test_thirty_days_of_daily_monitoring_fire_thirty_times_in_order(
    mlc_harness: ProcessHarness,
) -> None:
    """Advancing 30 days fires each daily timer at its own time, in order, without waiting."""
    seen: list[datetime] = []

    def run_monitor(ctx: Any) -> dict[str, Any]:
        seen.append(ctx.clock.now())
        return {"lastMonitored": ctx.clock.now().isoformat()}

    mlc_harness.manager.register_delegate("RunMonitor", run_monitor)
    mlc_harness.deploy(MONITORING)
    begin = mlc_harness.now()
    instance = mlc_harness.start("monitoring")

    wall = time.perf_counter()
    mlc_harness.advance(timedelta(days=30))
    elapsed = time.perf_counter() - wall

    assert [begin + timedelta(days=day) for day in range(1, 31)] == seen
    fired = [e.at for e in mlc_harness.history(instance) if e.kind == "timer_fired"]
    assert [begin + timedelta(days=day) for day in range(1, 31)] == fired
    mlc_harness.assert_that(instance).is_completed().has_variables(runs=30)
    assert begin + timedelta(days=30) == mlc_harness.now()
    assert elapsed < 30  # a month of process time, no real waiting


# The same schedule as a timer-cycle start event: a new instance every day, 30 times.
DAILY_CYCLE = process(
    '<bpmn:startEvent id="daily"><bpmn:timerEventDefinition>'
    "<bpmn:timeCycle>R30/P1D</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
    '<bpmn:serviceTask id="monitor" camunda:class="RunMonitor"/>'
    '<bpmn:intermediateCatchEvent id="settle"><bpmn:timerEventDefinition>'
    "<bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>" + END + chain("daily", "monitor", "settle", "end"),
    pid="daily_cycle",
)


def test_a_timer_cycle_start_event_runs_thirty_days_in_order(
    mlc_harness: ProcessHarness,
) -> None:
    """R30/P1D starts 30 instances, each at its own due time; a cycle catch event fires once."""
    seen: list[datetime] = []
    mlc_harness.manager.register_delegate("RunMonitor", lambda ctx: seen.append(ctx.clock.now()))
    mlc_harness.deploy(DAILY_CYCLE)
    begin = mlc_harness.now()

    wall = time.perf_counter()
    ran = mlc_harness.advance(timedelta(days=30, hours=1))
    elapsed = time.perf_counter() - wall

    days = [begin + timedelta(days=day) for day in range(1, 31)]
    assert days == seen
    assert ran == 60  # 30 start timers and 30 one-hour catch timers
    instances = sorted(mlc_harness.manager.instances(key="daily_cycle"), key=lambda i: i.started_at)
    assert days == [i.started_at for i in instances]
    for instance in instances:
        mlc_harness.assert_that(instance).is_completed().has_passed_in_order(
            "daily", "monitor", "settle", "end"
        )
        assert instance.ended_at == instance.started_at + timedelta(hours=1)
    assert mlc_harness.advance_to_next_timer() is None  # the 30 repetitions are used up
    assert elapsed < 30  # a month of process time, no real waiting


def test_advance_to_next_timer_steps_through_a_cycle(mlc_harness: ProcessHarness) -> None:
    """Each jump lands on the next occurrence and starts one instance there."""
    mlc_harness.manager.register_delegate("RunMonitor", lambda ctx: None)
    mlc_harness.deploy(DAILY_CYCLE)
    begin = mlc_harness.now()
    assert begin + timedelta(days=1) == mlc_harness.advance_to_next_timer()
    (first,) = mlc_harness.manager.instances(key="daily_cycle")
    mlc_harness.assert_that(first).is_waiting_at("settle").has_passed("monitor")
    assert begin + timedelta(days=1, hours=1) == mlc_harness.advance_to_next_timer()
    mlc_harness.assert_that(first).is_completed()
    assert begin + timedelta(days=2) == mlc_harness.advance_to_next_timer()
    assert len(mlc_harness.manager.instances(key="daily_cycle")) == 2


def test_advance_stops_short_of_timers_not_yet_due(mlc_harness: ProcessHarness) -> None:
    """A timer due after the travelled span stays pending; the clock lands on the target."""
    mlc_harness.deploy(WAIT_AN_HOUR)
    instance = mlc_harness.start("wait_an_hour")
    begin = mlc_harness.now()
    assert mlc_harness.advance(timedelta(minutes=59)) == 0
    assert begin + timedelta(minutes=59) == mlc_harness.now()
    mlc_harness.assert_that(instance).is_waiting_at("hour")
    assert mlc_harness.advance(timedelta(minutes=1)) == 1
    mlc_harness.assert_that(instance).is_completed()


def test_advance_to_next_timer_jumps_to_the_due_time(mlc_harness: ProcessHarness) -> None:
    """The next timer decides where the clock goes; with nothing scheduled it stays."""
    mlc_harness.deploy(WAIT_AN_HOUR)
    instance = mlc_harness.start("wait_an_hour")
    begin = mlc_harness.now()
    assert begin + timedelta(hours=1) == mlc_harness.advance_to_next_timer()
    mlc_harness.assert_that(instance).is_completed()
    assert mlc_harness.advance_to_next_timer() is None
    assert begin + timedelta(hours=1) == mlc_harness.now()


def test_run_until_idle_runs_every_timer_and_job(mlc_harness: ProcessHarness) -> None:
    """Idle means nothing scheduled: timers and async jobs all run, in due order."""
    calls: list[datetime] = []
    mlc_harness.manager.register_delegate(
        "Deploy", lambda ctx: calls.append(ctx.clock.now()), asynchronous=True
    )
    xml = process(
        START
        + timer("wait", "timeDuration", "P2D")
        + '<bpmn:serviceTask id="deploy" camunda:class="Deploy"/>'
        + END
        + chain("start", "wait", "deploy", "end"),
        pid="later",
    )
    mlc_harness.deploy(xml)
    instance = mlc_harness.start("later")
    assert mlc_harness.run_until_idle() == 2
    assert [datetime(2026, 1, 3, tzinfo=UTC)] == calls
    mlc_harness.assert_that(instance).is_completed().has_passed_in_order("wait", "deploy")


def test_run_until_idle_gives_up_on_an_endless_cycle(mlc_harness: ProcessHarness) -> None:
    """A timer start event that fires forever never lets the processes rest; the error says so."""
    nightly = process(
        '<bpmn:startEvent id="nightly"><bpmn:timerEventDefinition><bpmn:timeCycle>'
        "0 0 2 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
        + END
        + chain("nightly", "end"),
        pid="nightly_job",
    )
    mlc_harness.deploy(nightly)
    with pytest.raises(AssertionError, match="still busy after 5 time-travel steps") as caught:
        mlc_harness.run_until_idle(max_steps=5)
    assert "timer 'nightly' (start event)" in str(caught.value)
    assert len(mlc_harness.manager.instances(key="nightly_job")) == 5


def test_run_until_idle_horizon_leaves_later_timers(mlc_harness: ProcessHarness) -> None:
    """With a horizon, only what falls due within it runs."""
    nightly = process(
        '<bpmn:startEvent id="nightly"><bpmn:timerEventDefinition><bpmn:timeCycle>'
        "0 0 2 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
        + END
        + chain("nightly", "end"),
        pid="nightly_job",
    )
    mlc_harness.deploy(nightly)
    assert mlc_harness.run_until_idle(horizon=timedelta(days=7)) == 7
    assert [when.day for when, _ in mlc_harness.scheduled()] == [8]


def test_failing_job_retries_in_order_while_time_advances(mlc_harness: ProcessHarness) -> None:
    """Retries are due timers too: advancing runs each attempt at its own time."""
    attempts: list[tuple[int, datetime]] = []

    def deploy(ctx: Any) -> None:
        attempts.append((ctx.attempt, ctx.clock.now()))
        raise RuntimeError("runtime unreachable")

    mlc_harness.manager.register_delegate("Deploy", deploy, asynchronous=True)
    xml = process(
        START + '<bpmn:serviceTask id="deploy" camunda:class="Deploy"><bpmn:extensionElements>'
        "<camunda:failedJobRetryTimeCycle>R3/PT10M</camunda:failedJobRetryTimeCycle>"
        "</bpmn:extensionElements></bpmn:serviceTask>" + END + chain("start", "deploy", "end"),
        pid="retried",
    )
    mlc_harness.deploy(xml)
    instance = mlc_harness.start("retried")
    begin = mlc_harness.now()
    mlc_harness.advance(timedelta(hours=1))
    assert [(1, begin), (2, begin + timedelta(minutes=10)), (3, begin + timedelta(minutes=20))] == (
        attempts
    )
    mlc_harness.assert_that(instance).has_incident("deploy")


def test_time_never_runs_backwards(mlc_harness: ProcessHarness) -> None:
    """Negative travel is refused before anything runs."""
    with pytest.raises(ValueError, match="back in time"):
        mlc_harness.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="back in time"):
        mlc_harness.advance_to(mlc_harness.now() - timedelta(days=1))


def test_harness_needs_a_manual_clock(tmp_path: Path) -> None:
    """A manager on the wall clock cannot travel in time; the error says how to fix it."""
    with LifecycleManager.open(tmp_path / "wall.db", clock=SystemClock()) as manager:
        with pytest.raises(TypeError, match="ManualClock"):
            ProcessHarness(manager)
        clock = ManualClock()
        assert ProcessHarness(manager, clock).clock is clock


def test_complete_names_the_open_tasks_when_the_wanted_one_is_missing(
    mlc_harness: ProcessHarness,
) -> None:
    """Completing a task that is not open fails with the tasks that are."""
    mlc_harness.deploy(APPROVAL)
    instance = mlc_harness.start("approval")
    with pytest.raises(AssertionError) as caught:
        mlc_harness.complete(instance, "review")
    message = str(caught.value)
    assert "to have 'review' open user task, but it has ['approve']" in message
    assert "path:       start → approve" in message
    finished = mlc_harness.complete(instance, "approve", {"ok": True})
    assert finished.status == "completed"
    assert mlc_harness.path(instance) == ["start", "approve", "end"]


def test_deploy_finds_files_in_the_diagram_folders(
    mlc_manager: LifecycleManager, tmp_path: Path
) -> None:
    """Relative names are looked up in the given folders; a missing one lists where it looked."""
    folder = tmp_path / "diagrams"
    folder.mkdir()
    (folder / "approval.bpmn").write_text(APPROVAL)
    harness = ProcessHarness(mlc_manager, diagram_dirs=[folder])
    deployment = harness.deploy("approval.bpmn")
    assert [d.key for d in deployment.definitions] == ["approval"]
    assert deployment.definitions[0].resource == "approval.bpmn"
    with pytest.raises(FileNotFoundError, match=r"no diagram 'missing\.bpmn' in .*diagrams"):
        harness.deploy("missing.bpmn")
    with pytest.raises(FileNotFoundError, match="no diagram at"):
        harness.deploy(tmp_path / "absent.bpmn")
    assert harness.deploy(("inline.bpmn", APPROVAL.replace("approval", "inline"))).new


def test_run_due_runs_only_what_is_due_now(mlc_harness: ProcessHarness) -> None:
    """`run_due` never moves the clock."""
    mlc_harness.deploy(WAIT_AN_HOUR)
    mlc_harness.start("wait_an_hour")
    begin = mlc_harness.now()
    assert mlc_harness.run_due() == 0
    assert begin == mlc_harness.now()
    assert len(mlc_harness.scheduled()) == 1
