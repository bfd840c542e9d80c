"""The Camunda 7 dialect, end to end through the manager (every step reloads from SQLite)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import (
    BpmnError,
    DiagramError,
    LifecycleManager,
    ManualClock,
    ScriptError,
    validate,
)

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def _kinds(manager: LifecycleManager, instance_id: str, kind: str) -> list[str | None]:
    return [h.activity_id for h in manager.history(instance_id, limit=None) if h.kind == kind]


# ---------------------------------------------------------------- delegates


def test_class_and_delegate_expression_find_the_same_delegate(manager: LifecycleManager) -> None:
    """`camunda:class` with a Java name and `${deployModel}` both resolve to `DeployModel`."""
    calls: list[str] = []

    @manager.delegate("DeployModel")
    def deploy(ctx: Any) -> dict[str, Any]:
        calls.append(ctx.activity_id)
        return {"DEPLOYED": True}

    xml = process(
        START
        + '<bpmn:serviceTask id="a" camunda:class="com.modelop.mlc.delegate.modelop.DeployModel"/>'
        + '<bpmn:serviceTask id="b" camunda:delegateExpression="${deployModel}"/>'
        + '<bpmn:serviceTask id="c" camunda:type="external" camunda:topic="DeployModel"/>'
        + END
        + chain("start", "a", "b", "c", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert calls == ["a", "b"]
    assert instance.waiting_at == ("c",)
    assert manager.run_due() == 1
    assert calls == ["a", "b", "c"]
    assert manager.instance(instance.id).status == "completed"


def test_input_output_parameters_text_expression_list_and_map(manager: LifecycleManager) -> None:
    """Input parameters reach the delegate; output parameters map results to process variables."""
    seen: dict[str, Any] = {}

    @manager.delegate("Echo")
    def echo(ctx: Any) -> dict[str, Any]:
        seen.update(ctx.inputs)
        return {"result": ctx.inputs["total"] * 2}

    xml = process(
        START
        + """
      <bpmn:serviceTask id="svc" camunda:class="Echo">
        <bpmn:extensionElements><camunda:inputOutput>
          <camunda:inputParameter name="plain">hello</camunda:inputParameter>
          <camunda:inputParameter name="total">${a + b}</camunda:inputParameter>
          <camunda:inputParameter name="items"><camunda:list>
            <camunda:value>x</camunda:value><camunda:value>${a}</camunda:value>
          </camunda:list></camunda:inputParameter>
          <camunda:inputParameter name="map"><camunda:map>
            <camunda:entry key="k">${b}</camunda:entry>
          </camunda:map></camunda:inputParameter>
          <camunda:outputParameter name="DOUBLED">${result}</camunda:outputParameter>
        </camunda:inputOutput></bpmn:extensionElements>
      </bpmn:serviceTask>"""
        + END
        + chain("start", "svc", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"a": 2, "b": 3})
    assert seen == {"plain": "hello", "total": 5, "items": ["x", 2], "map": {"k": 3}}
    assert instance.variables == {"a": 2, "b": 3, "DOUBLED": 10}


def test_result_variable_of_expression_service_task(manager: LifecycleManager) -> None:
    """`camunda:expression` with `camunda:resultVariable` stores the expression's value."""
    xml = process(
        START + '<bpmn:serviceTask id="svc" camunda:expression="${a * 3}" '
        'camunda:resultVariable="tripled"/>' + END + chain("start", "svc", "end")
    )
    manager.deploy(xml)
    assert manager.start("p", {"a": 4}).variables["tripled"] == 12


def test_expression_calling_execution_set_variable(manager: LifecycleManager) -> None:
    """`${execution.setVariable('x', 1)}` sets a process variable."""
    xml = process(
        START
        + '<bpmn:serviceTask id="svc" camunda:expression="${execution.setVariable(&quot;x&quot;, a + 1)}"/>'
        + END
        + chain("start", "svc", "end")
    )
    manager.deploy(xml)
    assert manager.start("p", {"a": 1}).variables["x"] == 2


def test_unknown_delegate_is_refused_at_deploy(manager: LifecycleManager) -> None:
    """A service task naming no registered delegate is a deploy-time problem with its id."""
    manager.register_delegate("DeployModel", lambda ctx: None)
    xml = process(
        START + '<bpmn:serviceTask id="svc" name="Deploy" '
        'camunda:class="com.acme.DeployModle"/>' + END + chain("start", "svc", "end")
    )
    with pytest.raises(DiagramError) as caught:
        manager.deploy(xml)
    problem = caught.value.problems[0]
    assert problem.element_id == "svc"
    assert problem.element_name == "Deploy"
    assert problem.line is not None
    assert "DeployModle" in problem.message
    assert "DeployModel" in problem.message


def test_bpmn_error_from_delegate_takes_error_boundary(manager: LifecycleManager) -> None:
    """A delegate raising `BpmnError("FAILURE")` leaves through the matching error boundary."""

    @manager.delegate("DeployModel")
    def deploy(ctx: Any) -> None:
        raise BpmnError("FAILURE", "no runtime matches")

    xml = process(
        START + '<bpmn:serviceTask id="svc" camunda:class="DeployModel"/>'
        '<bpmn:boundaryEvent id="err" attachedToRef="svc"><bpmn:errorEventDefinition '
        'errorRef="E1" camunda:errorCodeVariable="code" camunda:errorMessageVariable="msg"/>'
        '</bpmn:boundaryEvent><bpmn:userTask id="review"/>'
        + END
        + chain("start", "svc", "end")
        + flow("e1", "err", "review"),
        extra='<bpmn:error id="E1" name="Failure" errorCode="FAILURE"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("review",)
    assert instance.variables == {"code": "FAILURE", "msg": "no runtime matches"}
    assert "end" not in _kinds(manager, instance.id, "activity_start")


def test_bpmn_error_reaches_error_event_subprocess(manager: LifecycleManager) -> None:
    """An error no boundary catches starts the error event sub-process, which interrupts."""

    @manager.delegate("Fail")
    def fail(ctx: Any) -> None:
        raise BpmnError("FAILURE", "boom")

    xml = process(
        START + '<bpmn:parallelGateway id="fork"/><bpmn:serviceTask id="svc" camunda:class="Fail"/>'
        '<bpmn:userTask id="other"/>'
        + END
        + '<bpmn:endEvent id="end2"/>'
        + chain("start", "fork")
        + flow("f1", "fork", "svc")
        + flow("f2", "fork", "other")
        + chain("svc", "end")
        + chain("other", "end2")
        + """
        <bpmn:subProcess id="handler" triggeredByEvent="true">
          <bpmn:startEvent id="caught"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:startEvent>
          <bpmn:userTask id="fix"/>
          <bpmn:endEvent id="handled"/>
          <bpmn:sequenceFlow id="h1" sourceRef="caught" targetRef="fix"/>
          <bpmn:sequenceFlow id="h2" sourceRef="fix" targetRef="handled"/>
        </bpmn:subProcess>""",
        extra='<bpmn:error id="E1" name="Failure" errorCode="FAILURE"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("fix",)
    assert "other" in _kinds(manager, instance.id, "activity_cancel")
    task = manager.tasks(instance_id=instance.id)[0]
    assert manager.complete_task(task.id).status == "completed"


def test_uncaught_bpmn_error_ends_the_branch_like_camunda(manager: LifecycleManager) -> None:
    """An uncaught BPMN error ends its execution (none-end semantics) and is recorded."""
    manager.register_delegate("Fail", lambda ctx: (_ for _ in ()).throw(BpmnError("X", "m")))
    xml = process(
        START
        + '<bpmn:serviceTask id="svc" camunda:class="Fail"/><bpmn:task id="t"/>'
        + END
        + chain("start", "svc", "t", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.status == "completed"
    assert "t" not in _kinds(manager, instance.id, "activity_start")
    errors = [h for h in manager.history(instance.id, limit=None) if h.kind == "error_thrown"]
    assert errors[-1].detail["uncaught"] is True


# ---------------------------------------------------------------- expressions and gateways


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"JOB": {"jobStatus": "COMPLETE"}, "TAG": "prod"}, "deploy"),
        ({"JOB": {"jobStatus": "COMPLETE"}, "TAG": None}, "wait"),
        ({"JOB": {"jobStatus": "ERROR"}, "TAG": "prod"}, "wait"),
    ],
)
def test_juel_condition_picks_the_branch(
    manager: LifecycleManager, variables: dict[str, Any], expected: str
) -> None:
    """`${JOB.jobStatus.toString() == "COMPLETE" && TAG != null}` routes as Camunda would."""
    condition = '${JOB.jobStatus.toString() == "COMPLETE" && TAG != null}'
    xml = process(
        START + '<bpmn:exclusiveGateway id="gw" default="other"/>'
        '<bpmn:userTask id="deploy"/><bpmn:userTask id="wait"/>'
        + chain("start", "gw")
        + flow("ok", "gw", "deploy", condition)
        + flow("other", "gw", "wait")
    )
    manager.deploy(xml)
    assert manager.start("p", variables).waiting_at == (expected,)


def test_gateway_conditions_are_tried_in_xml_order(manager: LifecycleManager) -> None:
    """When two conditions hold, the flow written first wins (not the one drawn higher)."""
    xml = process(
        START + '<bpmn:exclusiveGateway id="gw"/><bpmn:userTask id="first"/>'
        '<bpmn:userTask id="second"/>'
        + chain("start", "gw")
        + flow("a", "gw", "first", "${x > 1}")
        + flow("b", "gw", "second", "${x > 0}"),
        extra='<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><bpmndi:BPMNPlane bpmnElement="p">'
        '<bpmndi:BPMNShape bpmnElement="first"><dc:Bounds x="1" y="500" width="1" height="1"/>'
        '</bpmndi:BPMNShape><bpmndi:BPMNShape bpmnElement="second"><dc:Bounds x="1" y="10" '
        'width="1" height="1"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>',
    )
    manager.deploy(xml)
    assert manager.start("p", {"x": 5}).waiting_at == ("first",)


def test_gateway_without_match_or_default_is_a_clear_error(manager: LifecycleManager) -> None:
    """No matching condition and no default flow names the gateway; nothing is saved."""
    xml = process(
        START
        + '<bpmn:exclusiveGateway id="gw"/><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
        + chain("start", "gw")
        + flow("f", "gw", "a", "${x > 1}")
        + flow("g", "gw", "b", "${x > 5}")
    )
    manager.deploy(xml)
    with pytest.raises(Exception, match="gw") as caught:
        manager.start("p", {"x": 0})
    assert "default flow" in str(caught.value)
    assert manager.instances() == []


def test_unknown_identifier_in_condition_names_it(manager: LifecycleManager) -> None:
    """A condition using an unset variable fails with its name, the element and what is set."""
    xml = process(
        START + '<bpmn:exclusiveGateway id="gw" default="d"/><bpmn:userTask id="a"/>'
        '<bpmn:userTask id="b"/>'
        + chain("start", "gw")
        + flow("f", "gw", "a", "${approvd}")
        + flow("d", "gw", "b")
    )
    manager.deploy(xml)
    with pytest.raises(Exception, match="approvd") as caught:
        manager.start("p", {"approved": True})
    assert "approved" in str(caught.value)


def test_unparsable_expression_is_a_deploy_problem() -> None:
    """A broken JUEL condition is reported at validation with the element id and line."""
    xml = process(
        START + '<bpmn:exclusiveGateway id="gw" default="d"/><bpmn:userTask id="a"/>'
        '<bpmn:userTask id="b"/>'
        + chain("start", "gw")
        + flow("cond", "gw", "a", "${a &amp; b}")
        + flow("d", "gw", "b")
    )
    report = validate(xml)
    assert not report.ok
    assert report.problems[0].element_id == "cond"
    assert report.problems[0].line is not None


# ---------------------------------------------------------------- scripts


def test_javascript_script_is_refused_at_deploy_with_its_id(manager: LifecycleManager) -> None:
    """A JavaScript script task is refused at deploy time, never run as Python."""
    xml = process(
        START + '<bpmn:scriptTask id="js" name="Prepare" scriptFormat="javascript">'
        "<bpmn:script>var x = 1</bpmn:script></bpmn:scriptTask>" + END + chain("start", "js", "end")
    )
    with pytest.raises(DiagramError) as caught:
        manager.deploy(xml)
    problem = caught.value.problems[0]
    assert (problem.element_id, problem.element_name) == ("js", "Prepare")
    assert "javascript" in problem.message
    assert manager.definitions() == []


@pytest.mark.parametrize(
    "script",
    ["import os", "data = open('/etc/passwd').read()", "x = ().__class__.__subclasses__()"],
)
def test_python_script_escapes_are_refused_at_deploy(
    manager: LifecycleManager, script: str
) -> None:
    """Imports, `open` and dunder walks are refused with the script line."""
    xml = process(
        START
        + '<bpmn:scriptTask id="s" scriptFormat="python"><bpmn:script>'
        + script.replace("'", "&apos;")
        + "</bpmn:script></bpmn:scriptTask>"
        + END
        + chain("start", "s", "end")
    )
    with pytest.raises(DiagramError) as caught:
        manager.deploy(xml)
    assert caught.value.problems[0].element_id == "s"
    assert "line 1" in caught.value.problems[0].message


def test_python_script_sets_process_variables(manager: LifecycleManager) -> None:
    """A sandboxed Python script reads and writes process variables."""
    script = "total = sum(values)\nexecution.setVariable('label', 'n=' + str(len(values)))"
    xml = process(
        START
        + '<bpmn:scriptTask id="s" scriptFormat="python"><bpmn:script>'
        + script.replace("'", "&apos;")
        + "</bpmn:script></bpmn:scriptTask>"
        + END
        + chain("start", "s", "end")
    )
    manager.deploy(xml)
    variables = manager.start("p", {"values": [1, 2, 3]}).variables
    assert variables["total"] == 6
    assert variables["label"] == "n=3"


def test_infinite_loop_script_is_stopped(tmp_path: Any, clock: ManualClock) -> None:
    """A runaway script is stopped by the CPU limit; the caller gets a ScriptError."""
    from modelop_mlc import ManagerConfig

    manager = LifecycleManager.open(
        tmp_path / "loop.db", clock=clock, config=ManagerConfig(script_cpu_seconds=0.5)
    )
    try:
        xml = process(
            START + '<bpmn:scriptTask id="spin" scriptFormat="python"><bpmn:script>'
            "while True:\n    pass</bpmn:script></bpmn:scriptTask>"
            + END
            + chain("start", "spin", "end")
        )
        manager.deploy(xml)
        with pytest.raises(ScriptError, match="CPU"):
            manager.start("p")
        assert manager.instances() == []
    finally:
        manager.close()


# ---------------------------------------------------------------- timers


def test_cycle_boundary_timer_fires_three_times(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A non-interrupting `R3/PT30S` boundary timer fires three times as the clock advances."""
    xml = process(
        START + '<bpmn:userTask id="wait"/>'
        '<bpmn:boundaryEvent id="remind" attachedToRef="wait" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT30S</bpmn:timeCycle>"
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:scriptTask id="count" '
        'scriptFormat="python"><bpmn:script>reminders = reminders + 1</bpmn:script>'
        '</bpmn:scriptTask><bpmn:endEvent id="reminded"/>'
        + END
        + chain("start", "wait", "end")
        + chain("remind", "count", "reminded")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"reminders": 0})
    counts = []
    for _ in range(5):
        clock.advance(timedelta(seconds=30))
        manager.run_due()
        counts.append(manager.variables(instance.id)["reminders"])
    assert counts == [1, 2, 3, 3, 3]
    assert manager.instance(instance.id).waiting_at == ("wait",)
    assert len(_kinds(manager, instance.id, "timer_fired")) == 3


@pytest.mark.parametrize(
    ("definition", "value", "minutes"),
    [
        ("timeDuration", "PT5M", 5),
        ("timeDuration", "${delay}", 10),
        ("timeDate", "2026-01-01T01:00:00Z", 60),
    ],
)
def test_unquoted_timer_values_fire_on_the_injected_clock(
    manager: LifecycleManager, clock: ManualClock, definition: str, value: str, minutes: int
) -> None:
    """Unquoted ISO timers and `${}` timers wait until the injected clock reaches them."""
    xml = process(
        START + f'<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
        f"<bpmn:{definition}>{value}</bpmn:{definition}></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>" + END + chain("start", "t", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"delay": "PT10M"})
    clock.advance(timedelta(minutes=minutes) - timedelta(seconds=1))
    manager.run_due()
    assert manager.instance(instance.id).status == "running"
    clock.advance(timedelta(seconds=1))
    manager.run_due()
    assert manager.instance(instance.id).status == "completed"


def test_cron_timer_start_event_starts_instances(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A Quartz cron timer start event starts an instance at each occurrence."""
    xml = process(
        '<bpmn:startEvent id="nightly"><bpmn:timerEventDefinition><bpmn:timeCycle>'
        "0 0 2 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
        + END
        + chain("nightly", "end")
    )
    manager.deploy(xml)
    clock.advance(timedelta(hours=1))
    assert manager.run_due() == 0
    clock.advance(timedelta(hours=2))
    manager.run_due()
    clock.advance(timedelta(days=1))
    manager.run_due()
    assert len(manager.instances(key="p")) == 2


def test_bad_timer_is_a_deploy_problem() -> None:
    """An unparsable duration is reported with the element and a valid example."""
    xml = process(
        START + '<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT5X</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>" + END + chain("start", "t", "end")
    )
    report = validate(xml)
    assert report.problems[0].element_id == "t"
    assert "PT5M" in report.problems[0].message


# ---------------------------------------------------------------- events


def test_signal_and_message_events(manager: LifecycleManager) -> None:
    """A waiting instance takes a signal, then a message, with their variables."""
    xml = process(
        START + '<bpmn:intermediateCatchEvent id="sig"><bpmn:signalEventDefinition '
        'signalRef="S"/></bpmn:intermediateCatchEvent><bpmn:receiveTask id="rcv" '
        'messageRef="M"/>' + END + chain("start", "sig", "rcv", "end"),
        extra='<bpmn:signal id="S" name="go"/><bpmn:message id="M" name="done"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p", business_key="snap-1")
    assert manager.signal("go", {"who": "ops"}).delivered == (instance.id,)
    result = manager.message("done", {"ok": True}, business_key="snap-1")
    assert result.instance_id == instance.id  # type: ignore[union-attr]
    final = manager.instance(instance.id)
    assert final.status == "completed"
    assert final.variables == {"who": "ops", "ok": True}


def test_event_based_gateway_takes_the_first_event(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """An event-based gateway follows the signal or the timer, whichever comes first."""
    xml = process(
        START + '<bpmn:eventBasedGateway id="gw"/><bpmn:intermediateCatchEvent id="sig">'
        '<bpmn:signalEventDefinition signalRef="S"/></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        "PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:userTask id="on_time"/><bpmn:userTask id="too_late"/>'
        + chain("start", "gw")
        + flow("a", "gw", "sig")
        + flow("b", "gw", "late")
        + chain("sig", "on_time")
        + chain("late", "too_late"),
        extra='<bpmn:signal id="S" name="go"/>',
    )
    manager.deploy(xml)
    first = manager.start("p")
    second = manager.start("p")
    manager.signal("go")
    assert manager.instance(first.id).waiting_at == ("on_time",)
    assert manager.instance(second.id).waiting_at == ("on_time",)
    third = manager.start("p")
    clock.advance(timedelta(hours=2))
    manager.run_due()
    assert manager.instance(third.id).waiting_at == ("too_late",)


def test_interrupting_signal_event_subprocess_interrupts(manager: LifecycleManager) -> None:
    """An interrupting signal event sub-process cancels the main flow."""
    xml = process(
        START
        + '<bpmn:userTask id="work"/>'
        + END
        + chain("start", "work", "end")
        + """
        <bpmn:subProcess id="abort" triggeredByEvent="true">
          <bpmn:startEvent id="stop" isInterrupting="true">
            <bpmn:signalEventDefinition signalRef="S"/></bpmn:startEvent>
          <bpmn:endEvent id="stopped"/>
          <bpmn:sequenceFlow id="a1" sourceRef="stop" targetRef="stopped"/>
        </bpmn:subProcess>""",
        extra='<bpmn:signal id="S" name="retire"/>',
    )
    manager.deploy(xml)
    instance = manager.start("p")
    manager.signal("retire")
    final = manager.instance(instance.id)
    assert final.status == "completed"
    assert "work" in _kinds(manager, instance.id, "activity_cancel")


def test_non_interrupting_branch_sees_and_sets_process_variables(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """What a non-interrupting boundary branch sets is visible to the main branch afterwards."""
    xml = process(
        START + '<bpmn:userTask id="approve"/>'
        '<bpmn:boundaryEvent id="nudge" attachedToRef="approve" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:scriptTask id="mark" '
        'scriptFormat="python"><bpmn:script>escalated = owner + "!"</bpmn:script>'
        '</bpmn:scriptTask><bpmn:endEvent id="done_nudge"/><bpmn:userTask id="after"/>'
        + chain("start", "approve", "after")
        + chain("nudge", "mark", "done_nudge")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"owner": "ana"})
    clock.advance(timedelta(hours=2))
    manager.run_due()
    task = manager.tasks(instance_id=instance.id)[0]
    after = manager.complete_task(task.id, {"decision": "ok"})
    assert after.waiting_at == ("after",)
    assert after.variables == {"owner": "ana", "escalated": "ana!", "decision": "ok"}


def test_terminate_end_event_ends_all_branches(manager: LifecycleManager) -> None:
    """A terminate end event ends the instance while another branch still waits."""
    xml = process(
        START + '<bpmn:parallelGateway id="fork"/><bpmn:userTask id="slow"/>'
        '<bpmn:endEvent id="kill"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
        + END
        + chain("start", "fork")
        + flow("a", "fork", "slow")
        + flow("b", "fork", "kill")
        + chain("slow", "end")
    )
    manager.deploy(xml)
    assert manager.start("p").status == "completed"


# ---------------------------------------------------------------- scopes and loops


def test_call_activity_maps_variables_in_and_out(manager: LifecycleManager) -> None:
    """`camunda:in`/`camunda:out` copy only the mapped variables; `variables="all"` copies all."""
    child = process(
        '<bpmn:startEvent id="cs"/><bpmn:scriptTask id="calc" scriptFormat="python">'
        "<bpmn:script>answer = question * 2\nsecret = 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="ce"/>' + chain("cs", "calc", "ce"),
        pid="child",
    )
    parent = process(
        START
        + """
      <bpmn:callActivity id="call" calledElement="child">
        <bpmn:extensionElements>
          <camunda:in source="q" target="question"/>
          <camunda:out source="answer" target="result"/>
        </bpmn:extensionElements>
      </bpmn:callActivity>"""
        + END
        + chain("start", "call", "end"),
        pid="parent",
    )
    manager.deploy(child, parent)
    variables = manager.start("parent", {"q": 21, "other": "x"}).variables
    assert variables == {"q": 21, "other": "x", "result": 42}


def test_multi_instance_over_a_collection(manager: LifecycleManager) -> None:
    """A parallel multi-instance task runs once per item with its element variable."""
    seen: list[tuple[str, int]] = []

    @manager.delegate("Score")
    def score(ctx: Any) -> None:
        seen.append((ctx.variables["model"], ctx.variables["loopCounter"]))

    xml = process(
        START
        + """
      <bpmn:serviceTask id="each" camunda:class="Score">
        <bpmn:multiInstanceLoopCharacteristics camunda:collection="${models}"
            camunda:elementVariable="model"/>
      </bpmn:serviceTask>"""
        + END
        + chain("start", "each", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"models": ["a", "b", "c"]})
    assert instance.status == "completed"
    assert sorted(seen) == [("a", 0), ("b", 1), ("c", 2)]
    assert "model" not in instance.variables


def test_sequential_multi_instance_with_user_tasks(manager: LifecycleManager) -> None:
    """A sequential multi-instance user task opens one task at a time, in order."""
    xml = process(
        START
        + """
      <bpmn:userTask id="review" camunda:assignee="${reviewer}">
        <bpmn:multiInstanceLoopCharacteristics isSequential="true"
            camunda:collection="reviewers" camunda:elementVariable="reviewer"/>
      </bpmn:userTask>"""
        + END
        + chain("start", "review", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"reviewers": ["ana", "bo"]})
    order = []
    for _ in range(2):
        (task,) = manager.tasks(instance_id=instance.id)
        order.append(task.assignee)
        manager.complete_task(task.id)
    assert order == ["ana", "bo"]
    assert manager.instance(instance.id).status == "completed"


def test_user_task_assignment_form_and_due_date(manager: LifecycleManager) -> None:
    """User tasks carry evaluated assignee, candidates, due date and typed form fields."""
    xml = process(
        START
        + """
      <bpmn:userTask id="approve" name="Approve model" camunda:assignee="${owner}"
          camunda:candidateGroups="python_approvers, risk" camunda:dueDate="${due}"
          camunda:formKey="embedded:app:forms/approve.html">
        <bpmn:extensionElements><camunda:formData>
          <camunda:formField id="reviewResult" label="Result" type="enum">
            <camunda:value id="APPROVED" name="Approved"/><camunda:value id="REJECTED" name="No"/>
            <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="approve" type="boolean"/>
        </camunda:formData></bpmn:extensionElements>
      </bpmn:userTask>"""
        + END
        + chain("start", "approve", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"owner": "ana", "due": "2026-02-01T00:00:00+00:00"})
    (task,) = manager.tasks(candidate_group="risk")
    assert (task.name, task.assignee, task.candidate_groups) == (
        "Approve model",
        "ana",
        ("python_approvers", "risk"),
    )
    assert task.due is not None and task.due.month == 2
    assert [f.id for f in task.form_fields] == ["reviewResult", "approve"]
    assert manager.tasks(assignee="bo") == []
    from modelop_mlc import VariableError

    with pytest.raises(VariableError, match="reviewResult"):
        manager.complete_task(task.id, {"approve": True})
    with pytest.raises(VariableError, match="APPROVED"):
        manager.complete_task(task.id, {"reviewResult": "MAYBE"})
    assert manager.complete_task(task.id, {"reviewResult": "APPROVED"}).status == "completed"
    assert instance.id


def test_embedded_subprocess_shares_the_process_scope(manager: LifecycleManager) -> None:
    """Variables set inside an embedded sub-process are process variables, as in Camunda."""
    xml = process(
        START
        + """
      <bpmn:subProcess id="sub">
        <bpmn:startEvent id="s1"/>
        <bpmn:scriptTask id="set" scriptFormat="python"><bpmn:script>inner = outer + 1</bpmn:script></bpmn:scriptTask>
        <bpmn:endEvent id="e1"/>
        <bpmn:sequenceFlow id="x1" sourceRef="s1" targetRef="set"/>
        <bpmn:sequenceFlow id="x2" sourceRef="set" targetRef="e1"/>
      </bpmn:subProcess>"""
        + END
        + chain("start", "sub", "end")
    )
    manager.deploy(xml)
    assert manager.start("p", {"outer": 1}).variables == {"outer": 1, "inner": 2}


def test_a_loop_runs_ten_thousand_times_at_flat_state_size(manager: LifecycleManager) -> None:
    """A diagram loop does not grow the stored state (the task tree is compacted)."""
    xml = process(
        START + '<bpmn:scriptTask id="inc" scriptFormat="python"><bpmn:script>n = n + 1'
        '</bpmn:script></bpmn:scriptTask><bpmn:exclusiveGateway id="more" default="stop"/>'
        + END
        + chain("start", "inc", "more")
        + flow("again", "more", "inc", "${n < limit}")
        + flow("stop", "more", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"n": 0, "limit": 2000})
    assert manager.instance(instance.id).variables["n"] == 2000
    assert manager.instance(instance.id).status == "completed"


# ---------------------------------------------------------------- validation


def test_validation_reports_every_problem_at_once() -> None:
    """Several problems in one file are all reported, each with its element and line."""
    xml = process(
        START + '<bpmn:scriptTask id="g" scriptFormat="javascript"><bpmn:script>x</bpmn:script>'
        '</bpmn:scriptTask><bpmn:serviceTask id="nothing"/><bpmn:businessRuleTask id="brt"/>'
        '<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition/>'
        "</bpmn:intermediateCatchEvent>" + END + chain("start", "g", "nothing", "brt", "t", "end")
    )
    report = validate(xml)
    assert sorted(p.element_id for p in report.problems) == ["brt", "g", "nothing", "t"]
    assert all(p.line for p in report.problems)


def test_xml_with_entities_is_refused_without_expansion() -> None:
    """A billion-laughs document is refused before any entity is expanded."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    )
    report = validate(bomb)
    assert "DOCTYPE" in report.problems[0].message


def test_not_bpmn_and_not_xml_are_clear_problems() -> None:
    """Garbage and foreign XML get our problem reports, never an lxml traceback."""
    assert "well-formed" in validate("<bpmn:definitions").problems[0].message
    assert "not a BPMN" in validate("<html/>").problems[0].message


def test_formfield_id_equal_to_task_id_does_not_hijack_the_task(
    manager: LifecycleManager,
) -> None:
    """A camunda:formField whose id equals its task's id works (SpiffWorkflow 3.2 breaks)."""
    xml = process(
        START + '<bpmn:userTask id="approval"><bpmn:extensionElements>'
        '<camunda:formData><camunda:formField id="approval" type="boolean"/>'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        + END
        + chain("start", "approval", "end")
    )
    manager.deploy(xml)
    assert manager.start("p").waiting_at == ("approval",)
