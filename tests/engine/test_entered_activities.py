"""Sub-processes and call activities start when entered: history order and input parameters."""

from __future__ import annotations

from bpmn_xml import HEADER, chain, flow, process
from modelop_mlc import LifecycleManager

CALLED = (
    f'{HEADER}<bpmn:process id="called" isExecutable="true">'
    '<bpmn:startEvent id="c_start"/><bpmn:userTask id="c_task"/><bpmn:endEvent id="c_end"/>'
    + chain("c_start", "c_task", "c_end")
    + "</bpmn:process></bpmn:definitions>"
)


def test_a_call_activity_starts_before_what_it_calls(manager: LifecycleManager) -> None:
    """The call activity starts before its child instance's events and ends after them."""
    caller = process(
        '<bpmn:startEvent id="s"/>'
        '<bpmn:callActivity id="call" calledElement="called"><bpmn:extensionElements>'
        '<camunda:in source="x" target="x"/></bpmn:extensionElements></bpmn:callActivity>'
        '<bpmn:endEvent id="e"/>' + chain("s", "call", "e"),
        "caller",
    )
    manager.deploy(CALLED, caller)
    instance = manager.start("caller", {"x": 1})
    (child,) = manager.instances(super_instance_id=instance.id)
    manager.complete_task(manager.tasks(instance_id=child.id)[0].id)

    events = sorted(
        [*manager.history(instance.id), *manager.history(child.id)], key=lambda e: e.seq
    )
    order = [
        (e.kind, e.activity_id)
        for e in events
        if e.kind in ("activity_start", "activity_end") and e.activity_id in ("call", "c_task")
    ]
    assert order == [
        ("activity_start", "call"),
        ("activity_start", "c_task"),
        ("activity_end", "c_task"),
        ("activity_end", "call"),
    ]


def test_a_sub_process_sees_its_input_parameters(manager: LifecycleManager) -> None:
    """An input parameter of an embedded sub-process is visible to what runs inside it."""
    xml = process(
        '<bpmn:startEvent id="s"/>'
        '<bpmn:subProcess id="sub"><bpmn:extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="limit">${base * 2}</camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements>"
        '<bpmn:startEvent id="in_s"/><bpmn:exclusiveGateway id="gw" default="low"/>'
        '<bpmn:userTask id="high_task"/><bpmn:userTask id="low_task"/>'
        '<bpmn:endEvent id="in_e1"/><bpmn:endEvent id="in_e2"/>'
        + chain("in_s", "gw")
        + flow("high", "gw", "high_task", "${limit > 5}")
        + flow("low", "gw", "low_task")
        + chain("high_task", "in_e1")
        + chain("low_task", "in_e2")
        + '</bpmn:subProcess><bpmn:endEvent id="e"/>'
        + chain("s", "sub", "e"),
        "with_sub",
    )
    manager.deploy(xml)
    instance = manager.start("with_sub", {"base": 3})
    assert manager.instance(instance.id).waiting_at == ("high_task",)
    manager.complete_task(manager.tasks(instance_id=instance.id)[0].id)
    finished = manager.instance(instance.id)
    assert finished.status == "completed"
    assert "limit" not in finished.variables  # the input parameter was local to the sub-process
