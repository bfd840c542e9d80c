"""Execution and task listeners run as Camunda 7 runs them, in Camunda's order."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_xml import process
from c7_elements import camunda7, refused
from modelop_mlc import LifecycleManager, ProcessError, validate

START = '<bpmn:startEvent id="start"/>'


def _execution(event: str, impl: str) -> str:
    return f'<camunda:executionListener event="{event}" {impl}/>'


def _task(event: str, impl: str) -> str:
    return f'<camunda:taskListener event="{event}" {impl}/>'


def _extensions(*items: str) -> str:
    return "<bpmn:extensionElements>" + "".join(items) + "</bpmn:extensionElements>"


def _record(manager: LifecycleManager) -> list[tuple[str, str | None]]:
    calls: list[tuple[str, str | None]] = []

    @manager.delegate("Audit")
    def audit(ctx: Any) -> dict[str, Any]:
        calls.append((ctx.activity_id, ctx.event_name))
        return {"audits": len(calls)}

    return calls


APPROVAL = process(
    _extensions(_execution("start", 'class="com.acme.Audit"'), _execution("end", 'class="Audit"'))
    + START
    + '<bpmn:userTask id="approve" camunda:assignee="ann">'
    + _extensions(
        _execution("start", 'delegateExpression="${audit}"'),
        _execution("end", 'class="Audit"'),
        _task("create", 'class="Audit"'),
        _task("assignment", 'class="Audit"'),
        _task("complete", 'class="Audit"'),
    )
    + '</bpmn:userTask><bpmn:endEvent id="end"/>'
    + '<bpmn:sequenceFlow id="in" sourceRef="start" targetRef="approve">'
    + _extensions(_execution("take", 'class="Audit"'))
    + "</bpmn:sequenceFlow>"
    + '<bpmn:sequenceFlow id="out" sourceRef="approve" targetRef="end"/>'
)


@camunda7(
    "execution and task listeners (class, delegateExpression)",
    "process start, flow take, activity start, task create, assignment; on completion task "
    "complete, activity end, process end",
)
def test_listeners_run_in_camundas_order(manager: LifecycleManager) -> None:
    """Each listener runs once, in Camunda 7's order, and what it returns is set."""
    calls = _record(manager)
    manager.deploy(APPROVAL)
    instance = manager.start("p")
    assert calls == [
        ("", "start"),
        ("approve", "take"),
        ("approve", "start"),
        ("approve", "create"),
        ("approve", "assignment"),
    ]
    task = manager.tasks(instance_id=instance.id)[0]
    done = manager.complete_task(task.id)
    assert calls[5:] == [("approve", "complete"), ("approve", "end"), ("", "end")]
    assert done.variables["audits"] == 8
    assert done.status == "completed"


@pytest.mark.parametrize(
    ("listener", "expected"),
    [
        (_execution("start", "expression=\"${execution.setVariable('seen', 1)}\""), 1),
        (
            (
                '<camunda:executionListener event="start"><camunda:script scriptFormat="groovy">'
                'execution.setVariable("seen", 2)</camunda:script></camunda:executionListener>'
            ),
            2,
        ),
        (
            (
                '<camunda:executionListener event="start"><camunda:script scriptFormat="feel">'
                "1 + 2</camunda:script></camunda:executionListener>"
            ),
            None,
        ),
    ],
    ids=["expression", "groovy-script", "feel-script"],
)
@camunda7(
    "listeners as expression or inline script",
    "the expression is evaluated, the script runs in its language, at the listener's event",
)
def test_expression_and_script_listeners(
    manager: LifecycleManager, listener: str, expected: int | None
) -> None:
    """An expression or script start listener runs before the activity's work."""
    xml = process(
        START + f'<bpmn:userTask id="u">{_extensions(listener)}</bpmn:userTask>'
        '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="u"/>'
    )
    assert validate(xml).ok
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.variables.get("seen") == expected
    assert instance.waiting_at == ("u",)


@camunda7(
    "end and delete listeners of a cancelled activity",
    "an interrupted user task fires its task delete listener, then its end listener",
)
def test_cancelled_task_runs_delete_and_end_listeners(manager: LifecycleManager) -> None:
    """A boundary signal cancels the task: `delete`, then `end`, no `complete`."""
    calls = _record(manager)
    xml = process(
        START
        + '<bpmn:userTask id="u">'
        + _extensions(
            _execution("end", 'class="Audit"'),
            _task("complete", 'class="Audit"'),
            _task("delete", 'class="Audit"'),
        )
        + '</bpmn:userTask><bpmn:boundaryEvent id="stop" attachedToRef="u">'
        '<bpmn:signalEventDefinition signalRef="s"/></bpmn:boundaryEvent>'
        '<bpmn:endEvent id="stopped"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="u"/>'
        '<bpmn:sequenceFlow id="g" sourceRef="stop" targetRef="stopped"/>',
        extra='<bpmn:signal id="s" name="stop"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p")
    manager.signal("stop")
    assert manager.instance(instance.id).status == "completed"
    assert calls == [("u", "delete"), ("u", "end")]


def test_failing_listener_fails_the_step_and_saves_nothing(manager: LifecycleManager) -> None:
    """A listener that raises fails the command, naming the listener; the task stays open."""

    @manager.delegate("Broken")
    def broken(ctx: Any) -> None:
        raise RuntimeError("no audit log")

    xml = process(
        START
        + '<bpmn:userTask id="u">'
        + _extensions(_task("complete", 'class="Broken"'))
        + '</bpmn:userTask><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="u"/>'
    )
    manager.deploy(xml)
    instance = manager.start("p")
    task = manager.tasks(instance_id=instance.id)[0]
    with pytest.raises(ProcessError, match="complete listener") as caught:
        manager.complete_task(task.id)
    assert "no audit log" in str(caught.value)
    assert [t.id for t in manager.tasks(instance_id=instance.id)] == [task.id]


@pytest.mark.parametrize(
    ("listener", "words"),
    [
        (_execution("start", 'class="com.acme.Nobody"'), "no delegate is registered"),
        (
            (
                '<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">'
                "x = 1</camunda:script></camunda:executionListener>"
            ),
            "scripts in 'javascript' do not run",
        ),
        (_task("timeout", 'class="Audit"'), "'timeout' is not supported here"),
        ('<camunda:executionListener event="start"/>', "has no class, expression"),
    ],
    ids=["unknown-class", "javascript", "timeout", "no-implementation"],
)
@camunda7(
    "listener with an unregistered class, an unsupported script language or a timeout event",
    "refused at deploy when the class is missing or the listener is incomplete",
    refused("the element id, line and what is missing or unsupported"),
)
def test_listeners_that_cannot_run_are_refused(listener: str, words: str) -> None:
    """What cannot run as written is a deploy problem naming the element and line."""
    xml = process(
        START + f'<bpmn:userTask id="u">{_extensions(listener)}</bpmn:userTask>'
        '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="u"/>'
    )
    problems = validate(xml, delegates=["Audit"]).problems
    assert problems
    assert problems[0].element_id == "u"
    assert problems[0].line is not None
    assert words in problems[0].message
