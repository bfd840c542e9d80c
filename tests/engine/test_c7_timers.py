"""Timer shapes Camunda 7 runs: several timer start events, cycles on boundaries, failed timers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn_xml import chain, process
from c7_elements import camunda7
from modelop_mlc import LifecycleManager, ManualClock

START = '<bpmn:startEvent id="start"/>'


def _timer(kind: str, value: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"
    )


def _kinds(manager: LifecycleManager, instance_id: str, kind: str) -> list[str | None]:
    return [h.activity_id for h in manager.history(instance_id) if h.kind == kind]


@camunda7(
    "several timer start events",
    "each timer start event schedules its own job; each occurrence starts one instance",
)
def test_several_timer_start_events_each_start_instances(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A duration start and a cycle start in one process each start their own instances."""
    xml = process(
        f'<bpmn:startEvent id="once">{_timer("timeDuration", "PT1M")}</bpmn:startEvent>'
        f'<bpmn:startEvent id="twice">{_timer("timeCycle", "R2/PT1M")}</bpmn:startEvent>'
        '<bpmn:userTask id="u"/><bpmn:endEvent id="end"/>'
        + chain("once", "u", "end")
        + '<bpmn:sequenceFlow id="f2" sourceRef="twice" targetRef="u"/>'
    )
    manager.deploy(xml)
    clock.advance(timedelta(minutes=1))
    assert manager.run_due() == 2
    clock.advance(timedelta(minutes=1))
    assert manager.run_due() == 1
    clock.advance(timedelta(minutes=5))
    assert manager.run_due() == 0
    instances = manager.instances()
    assert len(instances) == 3
    starts = sorted(
        next(h.detail["start_event"] for h in manager.history(i.id) if h.kind == "instance_start")
        for i in instances
    )
    assert starts == ["once", "twice", "twice"]
    assert {i.waiting_at for i in instances} == {("u",)}


@camunda7(
    "interrupting boundary timer with a cycle (R3/PT30S)",
    "fires once, at the first occurrence, and interrupts the activity",
)
@pytest.mark.parametrize(
    "activity",
    ['<bpmn:userTask id="u"/>', '<bpmn:receiveTask id="u" messageRef="jobDone"/>'],
    ids=["user-task", "job-wait"],
)
def test_interrupting_cycle_boundary_timer_fires_once(
    manager: LifecycleManager, clock: ManualClock, activity: str
) -> None:
    """`R3/PT30S` on an interrupting boundary fires at 30 s, cancels the task, then is gone."""
    xml = process(
        START + activity + '<bpmn:endEvent id="end"/><bpmn:endEvent id="late"/>'
        '<bpmn:boundaryEvent id="timeout" attachedToRef="u">'
        + _timer("timeCycle", "R3/PT30S")
        + "</bpmn:boundaryEvent>"
        + chain("start", "u", "end")
        + chain("timeout", "late"),
        extra='<bpmn:message id="jobDone" name="jobDone"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("timeout", "u")
    clock.advance(timedelta(seconds=29))
    assert manager.run_due() == 0
    clock.advance(timedelta(seconds=1))
    assert manager.run_due() == 1
    done = manager.instance(instance.id)
    assert done.status == "completed"
    assert _kinds(manager, instance.id, "activity_cancel") == ["u"]
    assert _kinds(manager, instance.id, "activity_end")[-1] == "late"
    assert manager.run_due() == 0


@camunda7(
    "non-interrupting boundary timer with a cycle",
    "fires at every occurrence while the activity waits, each time starting a new path",
)
def test_non_interrupting_cycle_boundary_timer_fires_each_occurrence(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """`R3/PT30S` non-interrupting fires three times, the task stays open throughout."""
    xml = process(
        START + '<bpmn:userTask id="u"/><bpmn:endEvent id="end"/>'
        '<bpmn:scriptTask id="remind" scriptFormat="python"><bpmn:script>'
        "reminders = reminders + 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="reminded"/>'
        '<bpmn:boundaryEvent id="cycle" attachedToRef="u" cancelActivity="false">'
        + _timer("timeCycle", "R3/PT30S")
        + "</bpmn:boundaryEvent>"
        + chain("start", "u", "end")
        + chain("cycle", "remind", "reminded")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"reminders": 0})
    for _ in range(5):
        clock.advance(timedelta(seconds=30))
        manager.run_due()
    current = manager.instance(instance.id)
    assert current.variables["reminders"] == 3
    assert current.waiting_at == ("u",)
    task = manager.tasks(instance_id=instance.id)[0]
    assert manager.complete_task(task.id).status == "completed"


@camunda7(
    "timer whose continuation fails",
    "the timer job fails, an incident opens, the timer is kept; a retry fires it again",
)
def test_failing_timer_opens_an_incident_and_keeps_the_timer(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A timer whose path hits a bad expression raises nothing: incident, kept, retried."""
    xml = process(
        START + '<bpmn:userTask id="u"/><bpmn:endEvent id="end"/><bpmn:endEvent id="late"/>'
        '<bpmn:serviceTask id="check" camunda:expression="${limit.value}"/>'
        '<bpmn:boundaryEvent id="timeout" attachedToRef="u">'
        + _timer("timeDuration", "PT1M")
        + "</bpmn:boundaryEvent>"
        + chain("start", "u", "end")
        + chain("timeout", "check", "late")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    clock.advance(timedelta(minutes=2))
    manager.run_due()
    current = manager.instance(instance.id)
    assert current.status == "incident"
    assert current.waiting_at == ("timeout", "u")
    incident = manager.incidents(instance_id=instance.id)[0]
    assert incident.activity_id == "timeout"
    assert "limit" in incident.message
    clock.advance(timedelta(hours=1))
    assert manager.run_due() == 0  # parked until the incident is retried
    manager.retry(incident.id)
    assert manager.run_due() == 1  # fires again, fails again: a new incident
    [again] = manager.incidents(instance_id=instance.id)
    assert again.id != incident.id
    # Any step of the instance fires its due timers; with the variable set, the path ends.
    manager.set_variables(instance.id, {"limit": {"value": 3}})
    assert manager.instance(instance.id).status == "completed"
    assert manager.incidents(instance_id=instance.id) == []
