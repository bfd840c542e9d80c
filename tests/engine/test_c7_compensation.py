"""Compensation as Camunda 7 runs it: handlers of completed activities, newest first."""

from __future__ import annotations

import pytest

from bpmn_xml import chain, process
from c7_elements import camunda7, refused
from modelop_mlc import LifecycleManager, validate

START = '<bpmn:startEvent id="start"/>'


def _script(task_id: str, word: str, extra: str = "") -> str:
    return (
        f'<bpmn:scriptTask id="{task_id}" scriptFormat="python" {extra}><bpmn:script>'
        f"log = log + ['{word}']</bpmn:script></bpmn:scriptTask>"
    )


def _handler(task_id: str, word: str) -> str:
    return _script(task_id, word, 'isForCompensation="true"')


def _compensable(activity: str, handler: str) -> str:
    return (
        f'<bpmn:boundaryEvent id="{activity}_comp" attachedToRef="{activity}">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
        f'<bpmn:association id="{activity}_link" sourceRef="{activity}_comp" '
        f'targetRef="{handler}"/>'
    )


def _activities(manager: LifecycleManager, instance_id: str) -> list[tuple[str, str | None]]:
    return [(h.kind, h.activity_id) for h in manager.history(instance_id) if "activity" in h.kind]


BOOKING = (
    START
    + _script("book", "book")
    + _script("pay", "pay")
    + _handler("unbook", "unbook")
    + _handler("refund", "refund")
    + _compensable("book", "unbook")
    + _compensable("pay", "refund")
)


@camunda7(
    "compensation intermediate throw event and compensation handlers",
    "runs the handlers of the scope's completed activities, newest first, then continues",
)
def test_compensation_throw_runs_handlers_newest_first(manager: LifecycleManager) -> None:
    """`refund` (for the later `pay`) runs before `unbook`, inside the throw event."""
    xml = process(
        BOOKING
        + '<bpmn:intermediateThrowEvent id="undo"><bpmn:compensateEventDefinition/>'
        + '</bpmn:intermediateThrowEvent><bpmn:userTask id="after"/>'
        + chain("start", "book", "pay", "undo", "after")
    )
    assert validate(xml).ok
    manager.deploy(xml)
    instance = manager.start("p", {"log": []})
    assert instance.variables["log"] == ["book", "pay", "refund", "unbook"]
    assert instance.waiting_at == ("after",)
    history = _activities(manager, instance.id)
    assert history[history.index(("activity_start", "undo")) :] == [
        ("activity_start", "undo"),
        ("activity_start", "refund"),
        ("activity_end", "refund"),
        ("activity_start", "unbook"),
        ("activity_end", "unbook"),
        ("activity_end", "undo"),
        ("activity_start", "after"),
    ]


@camunda7(
    "compensation end event with activityRef",
    "compensates only the named activity, then ends the path",
)
def test_compensation_end_event_with_activity_ref(manager: LifecycleManager) -> None:
    """Only `book` is undone; the instance ends."""
    xml = process(
        BOOKING
        + '<bpmn:endEvent id="undo_book"><bpmn:compensateEventDefinition activityRef="book"/>'
        + "</bpmn:endEvent>"
        + chain("start", "book", "pay", "undo_book")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"log": []})
    assert instance.status == "completed"
    assert instance.variables["log"] == ["book", "pay", "unbook"]


@camunda7(
    "compensation of an activity not yet completed, or compensated twice",
    "only completed activities are compensated, each once",
)
def test_only_completed_activities_are_compensated_once(manager: LifecycleManager) -> None:
    """A second throw finds nothing left to undo; an activity after the throw is not undone."""
    xml = process(
        BOOKING
        + '<bpmn:intermediateThrowEvent id="undo1"><bpmn:compensateEventDefinition/>'
        + '</bpmn:intermediateThrowEvent><bpmn:intermediateThrowEvent id="undo2">'
        + "<bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>"
        + chain("start", "book", "undo1", "undo2", "pay")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"log": []})
    assert instance.variables["log"] == ["book", "unbook", "pay"]


@camunda7(
    "compensation of a multi-instance activity",
    "each completed instance is compensated, with its own loop variables",
)
def test_each_multi_instance_instance_is_compensated(manager: LifecycleManager) -> None:
    """Three sequential instances, three handler runs, each seeing its `item`."""
    xml = process(
        START
        + '<bpmn:scriptTask id="ship" scriptFormat="python"><bpmn:multiInstanceLoopCharacteristics '
        + 'isSequential="true" camunda:collection="items" camunda:elementVariable="item"/>'
        + "<bpmn:script>log = log + ['ship ' + item]</bpmn:script></bpmn:scriptTask>"
        + '<bpmn:scriptTask id="recall" scriptFormat="python" isForCompensation="true">'
        + "<bpmn:script>log = log + ['recall ' + item]</bpmn:script></bpmn:scriptTask>"
        + _compensable("ship", "recall")
        + '<bpmn:endEvent id="undo"><bpmn:compensateEventDefinition/></bpmn:endEvent>'
        + chain("start", "ship", "undo")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"log": [], "items": ["a", "b", "c"]})
    assert instance.variables["log"] == [
        "ship a",
        "ship b",
        "ship c",
        "recall c",
        "recall b",
        "recall a",
    ]


@camunda7(
    "transaction with a cancel end event",
    "compensates the transaction's completed activities, then takes the cancel boundary event",
)
def test_transaction_cancel_end_event_compensates(manager: LifecycleManager) -> None:
    """The handler (a user task) runs first; once done, the cancel boundary path is taken."""
    xml = process(
        START
        + '<bpmn:transaction id="tx"><bpmn:startEvent id="tx_start"/>'
        + _script("book", "book")
        + '<bpmn:userTask id="unbook" isForCompensation="true"/>'
        + _compensable("book", "unbook")
        + '<bpmn:endEvent id="abort"><bpmn:cancelEventDefinition/></bpmn:endEvent>'
        + chain("tx_start", "book", "abort")
        + "</bpmn:transaction>"
        + '<bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/>'
        + '</bpmn:boundaryEvent><bpmn:userTask id="after_cancel"/><bpmn:userTask id="after_ok"/>'
        + chain("start", "tx", "after_ok")
        + chain("cancelled", "after_cancel")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"log": []})
    assert "unbook" in instance.waiting_at
    task = manager.tasks(instance_id=instance.id)[0]
    after = manager.complete_task(task.id)
    assert after.waiting_at == ("after_cancel",)
    history = _activities(manager, instance.id)
    assert history.index(("activity_end", "unbook")) < history.index(("activity_end", "abort"))


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (
            (
                '<bpmn:userTask id="w"/><bpmn:boundaryEvent id="c" attachedToRef="w">'
                "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
            ),
            "c",
            "no association to a compensation handler",
        ),
        (
            '<bpmn:subProcess id="w"><bpmn:startEvent id="s2"/>'
            + _script("in", "in")
            + _handler("h", "h")
            + _compensable("in", "h")
            + chain("s2", "in")
            + '</bpmn:subProcess><bpmn:endEvent id="e"><bpmn:compensateEventDefinition/>'
            + '</bpmn:endEvent><bpmn:sequenceFlow id="x" sourceRef="w" targetRef="e"/>',
            "e",
            "from outside it is not supported",
        ),
        (
            (
                '<bpmn:intermediateThrowEvent id="w"><bpmn:compensateEventDefinition '
                'activityRef="nothing"/></bpmn:intermediateThrowEvent>'
            ),
            "w",
            "activityRef 'nothing'",
        ),
    ],
    ids=["no-handler", "nested-scope", "bad-activity-ref"],
)
@camunda7(
    "compensation shapes that cannot run as drawn",
    "refused at deploy: a boundary without handler, an unknown activityRef; "
    "a sub-process compensated from outside is not run here",
    refused("the element id, line and where to throw the compensation instead"),
)
def test_compensation_shapes_that_cannot_run_are_refused(
    body: str, element: str, words: str
) -> None:
    """Each is a deploy problem naming the element."""
    xml = process(START + body + '<bpmn:sequenceFlow id="in_" sourceRef="start" targetRef="w"/>')
    problems = validate(xml).problems
    assert problems
    assert problems[0].element_id == element
    assert words in problems[0].message
