"""Conditional events as Camunda 7 evaluates them: on arrival and after each variable change."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_xml import chain, process
from c7_elements import camunda7
from modelop_mlc import LifecycleManager, ProcessError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def _condition(expression: str, attributes: str = "") -> str:
    escaped = expression.replace(">", "&gt;")
    return (
        f"<bpmn:conditionalEventDefinition {attributes}><bpmn:condition>{escaped}"
        "</bpmn:condition></bpmn:conditionalEventDefinition>"
    )


def _activities(manager: LifecycleManager, instance_id: str) -> list[tuple[str, str | None]]:
    return [(h.kind, h.activity_id) for h in manager.history(instance_id) if "activity" in h.kind]


WAIT = process(
    START
    + f'<bpmn:intermediateCatchEvent id="wait">{_condition("${x > 1}")}'
    + "</bpmn:intermediateCatchEvent>"
    + END
    + chain("start", "wait", "end")
)


@camunda7(
    "conditional intermediate catch event",
    "evaluated on arrival (passes at once when true), then after each variable change",
)
def test_intermediate_conditional_event_waits_until_true(manager: LifecycleManager) -> None:
    """True on arrival passes; false waits until `set_variables()` makes it true."""
    manager.deploy(WAIT)
    assert manager.start("p", {"x": 2}).status == "completed"
    instance = manager.start("p", {"x": 0})
    assert instance.waiting_at == ("wait",)
    assert manager.set_variables(instance.id, {"x": 1}).status == "running"
    assert manager.set_variables(instance.id, {"x": 5}).status == "completed"


@pytest.mark.parametrize("source", ["task", "delegate", "signal"])
@camunda7(
    "variable changes that trigger conditional events",
    "task completion with variables, a delegate's result and a signal's variables all count",
)
def test_variable_changes_from_any_step_are_evaluated(
    manager: LifecycleManager, source: str
) -> None:
    """A condition waiting beside a user task fires when the change comes from any step."""

    @manager.delegate("SetX")
    def set_x(ctx: Any) -> dict[str, Any]:
        return {"x": 9}

    branch = {
        "task": '<bpmn:userTask id="work"/>',
        "delegate": '<bpmn:receiveTask id="work" messageRef="m"/>',
        "signal": '<bpmn:intermediateCatchEvent id="work"><bpmn:signalEventDefinition '
        'signalRef="s"/></bpmn:intermediateCatchEvent>',
    }[source]
    after = '<bpmn:serviceTask id="calc" camunda:class="SetX"/>' if source == "delegate" else ""
    xml = process(
        START
        + '<bpmn:parallelGateway id="fork"/>'
        + branch
        + after
        + f'<bpmn:intermediateCatchEvent id="wait">{_condition("${x > 1}")}'
        + '</bpmn:intermediateCatchEvent><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        + chain("start", "fork", "wait", "e1")
        + '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="work"/>'
        + (chain("work", "calc", "e2") if after else chain("work", "e2")),
        extra='<bpmn:message id="m" name="m"/><bpmn:signal id="s" name="s"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p", {"x": 0})
    if source == "task":
        task = manager.tasks(instance_id=instance.id)[0]
        done = manager.complete_task(task.id, {"x": 3})
    elif source == "delegate":
        manager.message("m")
        done = manager.instance(instance.id)
    else:
        manager.signal("s", {"x": 4})
        done = manager.instance(instance.id)
    assert done.status == "completed"


@camunda7(
    "interrupting conditional boundary event",
    "fires when a variable change makes it true while the activity runs, cancelling it",
)
def test_interrupting_conditional_boundary_event(manager: LifecycleManager) -> None:
    """Setting the variable cancels the user task and takes the boundary path."""
    xml = process(
        START + '<bpmn:userTask id="review"/><bpmn:userTask id="redo"/>'
        f'<bpmn:boundaryEvent id="changed" attachedToRef="review">{_condition("${changed}")}'
        "</bpmn:boundaryEvent>" + END + chain("start", "review", "end") + chain("changed", "redo")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"changed": False})
    after = manager.set_variables(instance.id, {"changed": True})
    assert after.waiting_at == ("redo",)
    history = _activities(manager, instance.id)
    assert ("activity_cancel", "review") in history
    assert ("activity_end", "changed") in history


@camunda7(
    "non-interrupting conditional boundary event (camunda:variableName)",
    "fires at each change of that variable that leaves the condition true; the activity stays",
)
def test_non_interrupting_conditional_boundary_fires_each_time(
    manager: LifecycleManager,
) -> None:
    """Three changes that keep `x > 1` true start three paths; the one making it false none."""
    xml = process(
        START + '<bpmn:userTask id="u"/><bpmn:scriptTask id="count" scriptFormat="python">'
        "<bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="counted"/>'
        '<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="false">'
        + _condition("${x > 1}", 'camunda:variableName="x"')
        + "</bpmn:boundaryEvent>"
        + END
        + chain("start", "u", "end")
        + chain("b", "count", "counted")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"x": 0, "n": 0})
    for value in (5, 6, 0, 7):
        current = manager.set_variables(instance.id, {"x": value})
    assert current.variables["n"] == 3
    assert "u" in current.waiting_at


@camunda7(
    "conditional event with camunda:variableEvents",
    "only changes of the listed kinds (create, update, delete) re-evaluate the condition",
)
def test_variable_events_filter_the_changes(manager: LifecycleManager) -> None:
    """With `variableEvents="create"`, updating an existing variable does not fire."""
    xml = process(
        START
        + '<bpmn:intermediateCatchEvent id="wait">'
        + _condition("${true}", 'camunda:variableEvents="create"')
        + "</bpmn:intermediateCatchEvent>"
        + '<bpmn:userTask id="u"/>'
        + chain("start", "u", "wait")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"a": 1})
    task = manager.tasks(instance_id=instance.id)[0]
    # Arrival evaluates once: `${true}` passes at once, whatever the filter.
    assert manager.complete_task(task.id).status == "completed"
    gated = process(
        START
        + '<bpmn:intermediateCatchEvent id="wait">'
        + _condition("${a > 1}", 'camunda:variableEvents="create"')
        + "</bpmn:intermediateCatchEvent>"
        + END
        + chain("start", "wait", "end"),
        pid="q",
    )
    manager.deploy(gated)
    waiting = manager.start("q", {"a": 0})
    assert manager.set_variables(waiting.id, {"a": 5}).status == "running"  # an update
    manager.set_variables(waiting.id, {"b": 1})  # a create: evaluated, a > 1 holds
    assert manager.instance(waiting.id).status == "completed"


ESP = process(
    START
    + '<bpmn:userTask id="work"/>'
    + END
    + chain("start", "work", "end")
    + '<bpmn:subProcess id="cancelled" triggeredByEvent="true">'
    + f'<bpmn:startEvent id="on_cancel">{_condition("${cancel}")}</bpmn:startEvent>'
    + '<bpmn:userTask id="cleanup"/><bpmn:endEvent id="cleaned"/>'
    + chain("on_cancel", "cleanup", "cleaned")
    + "</bpmn:subProcess>"
)


@camunda7(
    "conditional start event of an interrupting event sub-process",
    "fires on a variable change, interrupting the scope; when true as the scope begins, "
    "the scope's none start event never runs",
)
def test_conditional_event_subprocess_start_fires(manager: LifecycleManager) -> None:
    """A variable change starts the event sub-process; true at the start, nothing else runs."""
    manager.deploy(ESP)
    instance = manager.start("p", {"cancel": False})
    assert instance.waiting_at == ("work",)
    after = manager.set_variables(instance.id, {"cancel": True})
    assert after.waiting_at == ("cleanup",)
    assert ("activity_cancel", "work") in _activities(manager, instance.id)
    at_once = manager.start("p", {"cancel": True})
    assert at_once.waiting_at == ("cleanup",)
    assert _activities(manager, at_once.id) == [
        ("activity_start", "on_cancel"),
        ("activity_end", "on_cancel"),
        ("activity_start", "cleanup"),
    ]
    # An instance started afterwards is unaffected by the earlier ones.
    assert manager.start("p", {"cancel": False}).waiting_at == ("work",)


@camunda7(
    "conditional events evaluated top down",
    "a change is evaluated at the event sub-processes of the scope first, then at events "
    "inside it; an interrupting one that fires stops the evaluation below",
)
def test_event_subprocess_is_evaluated_before_boundary_events(
    manager: LifecycleManager,
) -> None:
    """With both conditions true, the process-level event sub-process wins."""
    xml = process(
        START
        + '<bpmn:userTask id="work"/><bpmn:userTask id="boundary_path"/>'
        + f'<bpmn:boundaryEvent id="b" attachedToRef="work">{_condition("${go}")}'
        + "</bpmn:boundaryEvent>"
        + END
        + chain("start", "work", "end")
        + chain("b", "boundary_path")
        + '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        + f'<bpmn:startEvent id="esp_start">{_condition("${go}")}</bpmn:startEvent>'
        + '<bpmn:userTask id="esp_path"/>'
        + chain("esp_start", "esp_path")
        + "</bpmn:subProcess>"
    )
    manager.deploy(xml)
    instance = manager.start("p", {"go": False})
    after = manager.set_variables(instance.id, {"go": True})
    assert after.waiting_at == ("esp_path",)


def test_conditions_that_keep_refiring_stop_with_a_clear_error(
    manager: LifecycleManager,
) -> None:
    """A non-interrupting condition whose path changes the variables it watches is stopped."""
    xml = process(
        START + '<bpmn:userTask id="u"/><bpmn:scriptTask id="count" scriptFormat="python">'
        "<bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="false">'
        + _condition("${x > 1}")
        + "</bpmn:boundaryEvent>"
        + chain("start", "u")
        + chain("b", "count")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"x": 0, "n": 0})
    with pytest.raises(ProcessError, match="camunda:variableName"):
        manager.set_variables(instance.id, {"x": 5})
    assert manager.instance(instance.id).variables == {"x": 0, "n": 0}
