"""Non-interrupting events fire every time their event occurs; interrupting ones once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn_xml import chain, process
from c7_elements import camunda7
from modelop_mlc import CorrelationError, LifecycleManager, ManualClock

EVENTS = '<bpmn:signal id="Sig" name="ping"/><bpmn:message id="Msg" name="poke"/>'
DEFINITIONS = {
    "signal": '<bpmn:signalEventDefinition signalRef="Sig"/>',
    "message": '<bpmn:messageEventDefinition messageRef="Msg"/>',
}
COUNT = (
    '<bpmn:scriptTask id="count" scriptFormat="groovy"><bpmn:script>'
    'execution.setVariable("n", n + 1)</bpmn:script></bpmn:scriptTask>'
)


def _send(manager: LifecycleManager, kind: str) -> bool:
    """Send the signal or message; True when some instance caught it."""
    if kind == "signal":
        return bool(manager.signal("ping").delivered)
    try:
        manager.message("poke")
    except CorrelationError:
        return False
    return True


def _boundary_fired(manager: LifecycleManager, instance_id: str) -> int:
    return sum(
        h.kind == "activity_end" and h.activity_id == "b" for h in manager.history(instance_id)
    )


@camunda7(
    "non-interrupting signal or message boundary event",
    "fires every time the signal or message arrives while the activity runs, each time a new "
    "path; the activity stays",
)
@pytest.mark.parametrize("kind", ["signal", "message"])
def test_non_interrupting_boundary_fires_every_time(manager: LifecycleManager, kind: str) -> None:
    """Three events while the task waits: three new paths, the task still open, then none."""
    xml = process(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="u"/><bpmn:endEvent id="e"/>'
        f'<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="false">'
        f"{DEFINITIONS[kind]}</bpmn:boundaryEvent>"
        + COUNT
        + '<bpmn:endEvent id="be"/>'
        + chain("s", "u", "e")
        + chain("b", "count", "be"),
        extra=EVENTS,
    )
    manager.deploy(xml)
    instance = manager.start("p", {"n": 0})
    for _ in range(3):
        assert _send(manager, kind)
    current = manager.instance(instance.id)
    assert current.variables["n"] == 3
    assert current.waiting_at == ("b", "u")
    assert _boundary_fired(manager, instance.id) == 3
    (task,) = manager.tasks(instance_id=instance.id)
    manager.complete_task(task.id)
    assert manager.instance(instance.id).status == "completed"
    assert not _send(manager, kind)  # the activity ended: the boundary event no longer waits


SCOPES = {
    "sub-process": '<bpmn:subProcess id="u"><bpmn:startEvent id="is"/><bpmn:userTask id="inner"/>'
    '<bpmn:endEvent id="ie"/>' + chain("is", "inner", "ie") + "</bpmn:subProcess>",
    "call activity": '<bpmn:callActivity id="u" calledElement="called"/>',
}
CALLED = process(
    '<bpmn:startEvent id="cs"/><bpmn:userTask id="inner"/><bpmn:endEvent id="ce"/>'
    + chain("cs", "inner", "ce"),
    pid="called",
)


@pytest.mark.parametrize("scope", list(SCOPES))
def test_non_interrupting_boundary_on_a_scope_fires_every_time(
    manager: LifecycleManager, scope: str
) -> None:
    """On a sub-process or a call activity too: each signal a new path, the scope stays."""
    manager.deploy(CALLED)
    manager.deploy(
        process(
            '<bpmn:startEvent id="s"/>' + SCOPES[scope] + '<bpmn:endEvent id="e"/>'
            '<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="false">'
            f"{DEFINITIONS['signal']}</bpmn:boundaryEvent>"
            + COUNT
            + '<bpmn:endEvent id="be"/>'
            + chain("s", "u", "e")
            + chain("b", "count", "be"),
            extra=EVENTS,
        )
    )
    instance = manager.start("p", {"n": 0})
    for _ in range(3):
        assert _send(manager, "signal")
    assert manager.variables(instance.id)["n"] == 3
    assert _boundary_fired(manager, instance.id) == 3
    (task,) = [t for t in manager.tasks() if t.activity_id == "inner"]
    manager.complete_task(task.id)
    assert manager.instance(instance.id).status == "completed"
    assert not _send(manager, "signal")


def _event_subprocess(start: str, interrupting: bool) -> str:
    flag = "true" if interrupting else "false"
    return process(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="u"/><bpmn:endEvent id="e"/>'
        '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        f'<bpmn:startEvent id="es" isInterrupting="{flag}">{start}</bpmn:startEvent>'
        + COUNT
        + '<bpmn:userTask id="inner"/><bpmn:endEvent id="ee"/>'
        + chain("es", "count", "inner", "ee")
        + "</bpmn:subProcess>"
        + chain("s", "u", "e"),
        extra=EVENTS,
    )


@camunda7(
    "non-interrupting signal or message event sub-process",
    "starts a new event sub-process every time the event arrives while its scope runs",
)
@pytest.mark.parametrize("kind", ["signal", "message"])
def test_non_interrupting_event_subprocess_starts_every_time(
    manager: LifecycleManager, kind: str
) -> None:
    """Three events: three event sub-processes run side by side with the main path."""
    manager.deploy(_event_subprocess(DEFINITIONS[kind], interrupting=False))
    instance = manager.start("p", {"n": 0})
    for _ in range(3):
        assert _send(manager, kind)
    assert manager.variables(instance.id)["n"] == 3
    tasks = sorted(t.activity_id for t in manager.tasks(instance_id=instance.id))
    assert tasks == ["inner", "inner", "inner", "u"]


@camunda7(
    "interrupting signal or message event sub-process",
    "starts once, cancelling its scope; the scope no longer waits for that (or any other) "
    "event sub-process's event",
)
@pytest.mark.parametrize("kind", ["signal", "message"])
def test_interrupting_event_subprocess_starts_once(manager: LifecycleManager, kind: str) -> None:
    """The first event interrupts the scope; later ones find nobody waiting."""
    manager.deploy(_event_subprocess(DEFINITIONS[kind], interrupting=True))
    instance = manager.start("p", {"n": 0})
    assert _send(manager, kind)
    assert not _send(manager, kind)
    current = manager.instance(instance.id)
    assert current.variables["n"] == 1
    assert [t.activity_id for t in manager.tasks(instance_id=instance.id)] == ["inner"]
    assert ("activity_cancel", "u") in [
        (h.kind, h.activity_id) for h in manager.history(instance.id)
    ]


@camunda7(
    "non-interrupting timer event sub-process with a cycle",
    "starts at every occurrence of the cycle while its scope runs",
)
def test_non_interrupting_cycle_event_subprocess_starts_at_each_occurrence(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """`R3/PT1M`: an event sub-process at 1, 2 and 3 minutes, none after."""
    timer = (
        "<bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1M</bpmn:timeCycle>"
        "</bpmn:timerEventDefinition>"
    )
    manager.deploy(_event_subprocess(timer, interrupting=False))
    instance = manager.start("p", {"n": 0})
    seen = []
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        manager.run_due()
        seen.append(manager.variables(instance.id)["n"])
    assert seen == [1, 2, 3, 3, 3]
    assert manager.next_due() is None


def test_triggering_an_event_subprocess_leaves_other_instances_alone(
    manager: LifecycleManager,
) -> None:
    """An event sub-process started in one instance does not begin with the next instance."""
    manager.deploy(_event_subprocess(DEFINITIONS["signal"], interrupting=False))
    first = manager.start("p", {"n": 0})
    manager.signal("ping")
    second = manager.start("p", {"n": 0})
    assert manager.variables(first.id)["n"] == 1
    assert "es" not in [h.activity_id for h in manager.history(second.id)]
    assert manager.instance(second.id).waiting_at == ("u",)
