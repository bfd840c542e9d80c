"""Throw events, multi-instance variables and asynchronous continuations as Camunda 7 runs them."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from c7_elements import camunda7, refused
from modelop_mlc import LifecycleManager, validate

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
SIGNAL = '<bpmn:signal id="go" name="go"/>'
MESSAGE = '<bpmn:message id="m" name="note"/>'


def _history(manager: LifecycleManager, instance_id: str) -> list[tuple[str, str | None]]:
    return [(h.kind, h.activity_id) for h in manager.history(instance_id)]


@camunda7(
    "signal end event",
    "throws its signal to every waiting catch event and starts every signal start event",
)
def test_signal_end_event_throws_to_catchers_and_starts(manager: LifecycleManager) -> None:
    """A signal end event wakes a waiting instance and starts a signal-start process."""
    catcher = process(
        START + '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition '
        'signalRef="go"/></bpmn:intermediateCatchEvent>' + END + chain("start", "wait", "end"),
        pid="catcher",
        extra=SIGNAL,
    )
    starter = process(
        '<bpmn:startEvent id="on_go"><bpmn:signalEventDefinition signalRef="go"/>'
        '</bpmn:startEvent><bpmn:userTask id="u"/>' + chain("on_go", "u"),
        pid="starter",
        extra=SIGNAL,
    )
    thrower = process(
        START + '<bpmn:endEvent id="throw"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:endEvent>" + chain("start", "throw"),
        pid="thrower",
        extra=SIGNAL,
    )
    manager.deploy(catcher, starter, thrower)
    waiting = manager.start("catcher")
    thrown = manager.start("thrower")
    assert thrown.status == "completed"
    assert ("signal_thrown", "throw") in _history(manager, thrown.id)
    assert manager.instance(waiting.id).status == "completed"
    started = manager.instances(key="starter")
    assert [i.waiting_at for i in started] == [("u",)]


@pytest.mark.parametrize("tag", ["intermediateThrowEvent", "endEvent"])
@camunda7(
    "message throw / end event with camunda:class, expression or delegateExpression",
    "calls its implementation as a service task does; sends nothing itself",
)
def test_message_throw_with_implementation_calls_it(manager: LifecycleManager, tag: str) -> None:
    """The delegate named on the message definition runs with the event's id and variables."""
    calls: list[tuple[str, Any]] = []

    @manager.delegate("SendNote")
    def send(ctx: Any) -> dict[str, Any]:
        calls.append((ctx.activity_id, ctx.variables["who"]))
        return {"sent": True}

    event = (
        f'<bpmn:{tag} id="notify"><bpmn:messageEventDefinition messageRef="m" '
        f'camunda:class="com.acme.SendNote"/></bpmn:{tag}>'
    )
    body = START + event + (END + chain("start", "notify", "end") if tag != "endEvent" else "")
    body += chain("start", "notify") if tag == "endEvent" else ""
    manager.deploy(process(body, extra=MESSAGE))
    instance = manager.start("p", {"who": "ann"})
    assert calls == [("notify", "ann")]
    assert instance.status == "completed"
    assert instance.variables["sent"] is True
    assert "message_thrown" not in [k for k, _ in _history(manager, instance.id)]


@camunda7(
    "message throw event naming an unregistered class",
    "refused at deploy (the class cannot be loaded)",
    refused("the element id, line and the registered delegates"),
)
def test_message_throw_with_unknown_class_is_refused() -> None:
    """An implementation nobody registered is a deploy problem naming the event."""
    xml = process(
        START + '<bpmn:intermediateThrowEvent id="notify"><bpmn:messageEventDefinition '
        'messageRef="m" camunda:class="com.acme.Nobody"/></bpmn:intermediateThrowEvent>'
        + chain("start", "notify"),
        extra=MESSAGE,
    )
    problems = validate(xml, delegates=["SendNote"]).problems
    assert [p.element_id for p in problems] == ["notify"]
    assert "Nobody" in problems[0].message
    assert problems[0].line == 4


@camunda7(
    "message throw / end event without an implementation",
    "a none event: passes through and sends nothing",
)
def test_message_throw_without_implementation_sends_nothing(manager: LifecycleManager) -> None:
    """Without an implementation the message is not delivered, not even to a waiting receiver."""
    receiver = process(
        START
        + '<bpmn:receiveTask id="wait" messageRef="m"/>'
        + END
        + chain("start", "wait", "end"),
        pid="receiver",
        extra=MESSAGE,
    )
    thrower = process(
        START + '<bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition '
        'messageRef="m"/></bpmn:intermediateThrowEvent>' + END + chain("start", "t", "end"),
        pid="thrower",
        extra=MESSAGE,
    )
    manager.deploy(receiver, thrower)
    waiting = manager.start("receiver")
    assert manager.start("thrower").status == "completed"
    assert manager.instance(waiting.id).waiting_at == ("wait",)


@camunda7(
    "send task without an implementation",
    "refused at deploy: one of class, delegateExpression, type or expression is mandatory",
    refused("the element id and line: set camunda:class, expression, ... or a connector"),
)
def test_send_task_without_implementation_is_refused() -> None:
    """A send task must name what sends the message."""
    xml = process(START + '<bpmn:sendTask id="send" messageRef="m"/>' + chain("start", "send"))
    problems = validate(xml).problems
    assert [p.element_id for p in problems] == ["send"]
    assert "send task has no implementation" in problems[0].message


@pytest.mark.parametrize(
    ("sequential", "expected"),
    [
        ("false", [(3, 0, 3, 0), (3, 1, 2, 1), (3, 2, 1, 2)]),
        ("true", [(3, 0, 1, 0), (3, 1, 1, 1), (3, 2, 1, 2)]),
    ],
    ids=["parallel", "sequential"],
)
@camunda7(
    "multi-instance activity",
    "sets nrOfInstances, nrOfCompletedInstances, nrOfActiveInstances on the body and "
    "loopCounter on each instance",
)
def test_multi_instance_variables_as_camunda_sets_them(
    manager: LifecycleManager, sequential: str, expected: list[tuple[int, ...]]
) -> None:
    """Each instance sees Camunda's counters; after the activity they are gone."""
    seen: list[tuple[Any, ...]] = []
    names = ("nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances", "loopCounter")

    @manager.delegate("Record")
    def record(ctx: Any) -> None:
        seen.append(tuple(ctx.variables.get(n) for n in names))

    xml = process(
        START + f'<bpmn:serviceTask id="each" camunda:class="Record">'
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
        '</bpmn:serviceTask><bpmn:serviceTask id="after" camunda:class="Record"/>'
        + END
        + chain("start", "each", "after", "end")
    )
    manager.deploy(xml)
    assert manager.start("p").status == "completed"
    assert seen == [*expected, (None, None, None, None)]


@pytest.mark.parametrize("sequential", ["false", "true"])
@camunda7(
    "multi-instance completionCondition on nrOf* variables",
    "evaluated after each instance completes; when true, the other instances are cancelled",
)
def test_completion_condition_reads_the_counters(
    manager: LifecycleManager, sequential: str
) -> None:
    """`${nrOfCompletedInstances >= 2}` ends a three-instance user task after two."""
    xml = process(
        START + '<bpmn:userTask id="review">'
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality><bpmn:completionCondition>"
        "${nrOfCompletedInstances &gt;= 2}</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        + END
        + chain("start", "review", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    for _ in range(2):
        manager.complete_task(manager.tasks(instance_id=instance.id)[0].id)
    assert manager.instance(instance.id).status == "completed"
    assert manager.tasks(instance_id=instance.id) == []


@camunda7(
    "camunda:asyncAfter",
    "the activity ends, then a job takes its outgoing flows in a new transaction",
)
def test_async_after_makes_a_job_after_the_activity(manager: LifecycleManager) -> None:
    """The script's variables are saved and its end recorded before the job continues."""
    xml = process(
        START + '<bpmn:scriptTask id="calc" scriptFormat="python" camunda:asyncAfter="true">'
        '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask><bpmn:userTask id="u"/>'
        + END
        + chain("start", "calc", "u", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert (instance.waiting_at, instance.variables) == (("calc",), {"x": 1})
    assert _history(manager, instance.id)[-1] == ("variable_update", None)
    assert ("activity_end", "calc") in _history(manager, instance.id)
    assert manager.run_due() == 1
    after = manager.instance(instance.id)
    assert after.waiting_at == ("u",)
    assert _history(manager, instance.id)[-2:] == [
        ("flow_taken", "calc_u"),
        ("activity_start", "u"),
    ]


@camunda7(
    "exclusive gateway with one flow without a condition",
    "that flow is taken as the default flow, after every condition is false",
)
def test_unconditioned_exclusive_flow_is_the_default(manager: LifecycleManager) -> None:
    """The flow without a condition is taken last, whatever its position in the XML."""
    xml = process(
        START
        + '<bpmn:exclusiveGateway id="gw"/><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
        + chain("start", "gw")
        + flow("fb", "gw", "b")
        + flow("fa", "gw", "a", "${x > 1}")
    )
    assert [w.element_id for w in validate(xml).warnings] == ["fb"]
    manager.deploy(xml)
    assert manager.start("p", {"x": 5}).waiting_at == ("a",)
    assert manager.start("p", {"x": 0}).waiting_at == ("b",)


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (
            (
                '<bpmn:intermediateCatchEvent id="w"><bpmn:signalEventDefinition/>'
                "</bpmn:intermediateCatchEvent>"
            ),
            "w",
            "no signalRef",
        ),
        (
            (
                '<bpmn:intermediateCatchEvent id="w"><bpmn:messageEventDefinition/>'
                "</bpmn:intermediateCatchEvent>"
            ),
            "w",
            "no messageRef",
        ),
        (
            (
                '<bpmn:intermediateCatchEvent id="w"><bpmn:conditionalEventDefinition>'
                "<bpmn:condition/></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"
            ),
            "w",
            "no condition",
        ),
        (
            '<bpmn:serviceTask id="w" camunda:class="X" camunda:resultVariable="r"/>',
            "w",
            "resultVariable is not supported with camunda:class",
        ),
        (
            (
                '<bpmn:exclusiveGateway id="w" default="a"/><bpmn:userTask id="u1"/>'
                '<bpmn:userTask id="u2"/>'
                '<bpmn:sequenceFlow id="a" sourceRef="w" targetRef="u1"/>'
                '<bpmn:sequenceFlow id="b" sourceRef="w" targetRef="u2"/>'
            ),
            "b",
            "without a condition and is not its default flow",
        ),
        (
            (
                '<bpmn:userTask id="w"><bpmn:extensionElements><camunda:taskListener '
                'event="finish" class="X"/></bpmn:extensionElements></bpmn:userTask>'
            ),
            "w",
            "taskListener event 'finish'",
        ),
    ],
    ids=["signalRef", "messageRef", "condition", "resultVariable", "gateway", "listener"],
)
@camunda7(
    "empty signalRef / messageRef / condition and other BpmnParse errors",
    "refused at deploy (BpmnParse errors)",
    refused("the element id, its line and Camunda's reason"),
)
def test_what_camunda_parse_refuses_is_refused(body: str, element: str, words: str) -> None:
    """Each shape Camunda 7's parser rejects is a deploy problem naming the element and line."""
    xml = process(START + body + '<bpmn:sequenceFlow id="in" sourceRef="start" targetRef="w"/>')
    problems = validate(xml, delegates=["X"]).problems
    assert problems
    assert problems[0].element_id == element
    assert problems[0].line is not None
    assert words in problems[0].message
