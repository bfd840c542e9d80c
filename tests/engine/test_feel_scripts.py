"""FEEL as a script language: script tasks, `camunda:script` parameters and flow conditions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock, validate
from modelop_mlc.errors import DiagramError, ExpressionError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def _script_task(tid: str, script: str, result: str | None = "result", fmt: str = "feel") -> str:
    attr = f' camunda:resultVariable="{result}"' if result else ""
    return (
        f'<bpmn:scriptTask id="{tid}" name="Compute" scriptFormat="{fmt}"{attr}>'
        f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
    )


def _feel_flow(fid: str, source: str, target: str, condition: str) -> str:
    escaped = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression language="feel">{escaped}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def _run_script(manager: LifecycleManager, script: str, **variables: object) -> object:
    manager.deploy(process(START + _script_task("t", script) + END + chain("start", "t", "end")))
    instance = manager.start("p", dict(variables))
    assert instance.status == "completed"
    return manager.variables(instance.id).get("result")


def test_feel_script_task_stores_its_value_in_the_result_variable(
    manager: LifecycleManager,
) -> None:
    """A FEEL script task's value, computed from the process variables, goes to resultVariable."""
    assert _run_script(manager, "a + b", a=1, b=2.5) == 3.5


def test_feel_script_results_are_json_values(manager: LifecycleManager) -> None:
    """Dates, durations and contexts come back as ISO text, numbers and dicts."""
    script = (
        '{due: date(start) + duration("P2D"), wait: duration("PT90M"), '
        "n: count(items), ok: all(for i in items return i > 0)}"
    )
    value = _run_script(manager, script, start="2026-03-30", items=[1, 2, 3])
    assert value == {"due": "2026-04-01", "wait": "PT1H30M", "n": 3, "ok": True}


def test_feel_now_reads_the_injected_clock(manager: LifecycleManager, clock: ManualClock) -> None:
    """FEEL `today()` is the manager's clock, not the system time."""
    clock.advance(timedelta(days=40))
    assert _run_script(manager, "string(today())") == "2026-02-10"


def test_feel_script_without_result_variable_changes_no_variable(
    manager: LifecycleManager,
) -> None:
    """A FEEL script has no side effects: without resultVariable, the variables stay as they are."""
    body = START + _script_task("t", "x * 2", result=None) + END + chain("start", "t", "end")
    manager.deploy(process(body))
    instance = manager.start("p", {"x": 4})
    assert instance.status == "completed"
    assert manager.variables(instance.id) == {"x": 4}


def test_feel_parameter_values_are_evaluated(manager: LifecycleManager) -> None:
    """FEEL `camunda:script` input and output parameters see the task's visible variables."""
    io = (
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="total">'
        '<camunda:script scriptFormat="feel">sum(scores) * factor</camunda:script>'
        "</camunda:inputParameter>"
        '<camunda:outputParameter name="assignee">'
        '<camunda:script scriptFormat="feel">'
        '((for r in rows return get value(r, "assignee"))[item != null])[1]'
        "</camunda:script></camunda:outputParameter>"
        '<camunda:outputParameter name="doubled">${total * 2}</camunda:outputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements>"
    )
    body = START + f'<bpmn:task id="t">{io}</bpmn:task>' + END + chain("start", "t", "end")
    manager.deploy(process(body))
    rows = [{"assignee": None}, {"assignee": "ana"}, {"assignee": "bo"}]
    instance = manager.start("p", {"scores": [1, 2, 3], "factor": 10, "rows": rows})
    variables = manager.variables(instance.id)
    assert variables["assignee"] == "ana"
    assert variables["doubled"] == 120
    assert "total" not in variables


@pytest.mark.parametrize(("amount", "waiting"), [(500, "big"), (50, "small")])
def test_feel_condition_chooses_the_branch(
    manager: LifecycleManager, amount: int, waiting: str
) -> None:
    """A `language="feel"` condition on a gateway's flow decides which branch runs."""
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw" default="to_small"/>'
        + '<bpmn:userTask id="big"/><bpmn:userTask id="small"/>'
        + chain("start", "gw")
        + _feel_flow("to_big", "gw", "big", 'amount > 100 and status in ("ok", "new")')
        + flow("to_small", "gw", "small")
    )
    manager.deploy(process(body))
    instance = manager.start("p", {"amount": amount, "status": "ok"})
    assert instance.waiting_at == (waiting,)


def test_feel_condition_on_an_activity_flow_is_taken_when_true(
    manager: LifecycleManager,
) -> None:
    """FEEL conditions also work on the conditional flows leaving an activity."""
    body = (
        START
        + '<bpmn:task id="t"/><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
        + chain("start", "t")
        + _feel_flow("to_a", "t", "a", "x < 3")
        + _feel_flow("to_b", "t", "b", "x >= 3")
    )
    manager.deploy(process(body))
    assert manager.start("p", {"x": 5}).waiting_at == ("b",)


def test_non_boolean_feel_condition_names_the_gateway(manager: LifecycleManager) -> None:
    """A FEEL condition that gives null (an unknown variable) is an error naming the gateway."""
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw" default="to_v"/><bpmn:userTask id="u"/>'
        + '<bpmn:userTask id="v"/>'
        + chain("start", "gw")
        + _feel_flow("to_u", "gw", "u", "missing > 1")
        + '<bpmn:sequenceFlow id="to_v" sourceRef="gw" targetRef="v"/>'
    )
    manager.deploy(process(body))
    with pytest.raises(ExpressionError) as info:
        manager.start("p")
    assert info.value.activity_id == "gw"
    assert "not true or false" in str(info.value)
    assert "missing" in str(info.value)


def test_feel_syntax_error_is_refused_at_deploy_with_element_and_line(
    manager: LifecycleManager,
) -> None:
    """Unparsable FEEL in a script task is a deploy problem naming the element and its line."""
    xml = process(
        START + _script_task("calc", "a +\n  (b * ") + END + chain("start", "calc", "end")
    )
    with pytest.raises(DiagramError) as info:
        manager.deploy(xml)
    [problem] = info.value.problems
    assert problem.element_id == "calc"
    assert "FEEL syntax error at line 2" in problem.message
    script_line = xml.splitlines().index(next(ln for ln in xml.splitlines() if "a +" in ln)) + 1
    assert problem.line == script_line + 1


def test_feel_syntax_errors_in_parameters_and_conditions_name_their_elements() -> None:
    """Broken FEEL in a parameter and in a condition each give a problem naming the element."""
    io = (
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="v">'
        '<camunda:script scriptFormat="feel">if x then</camunda:script>'
        "</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>"
    )
    body = (
        START
        + f'<bpmn:task id="t">{io}</bpmn:task><bpmn:userTask id="u"/>'
        + chain("start", "t")
        + _feel_flow("to_u", "t", "u", "x = = 1")
    )
    problems = validate(process(body)).problems
    assert sorted(p.element_id or "" for p in problems) == ["t", "to_u"]
    assert all("FEEL syntax error" in p.message for p in problems)


@pytest.mark.parametrize("fmt", ["javascript", "ruby"])
def test_other_script_languages_stay_refused(fmt: str) -> None:
    """JavaScript and other script languages are still refused at deploy time."""
    body = START + _script_task("t", "1 + 1", fmt=fmt) + END + chain("start", "t", "end")
    [problem] = validate(process(body)).problems
    assert problem.element_id == "t"
    assert f"scriptFormat '{fmt}' is not supported" in problem.message


def test_external_feel_resource_is_refused() -> None:
    """A FEEL `camunda:script` loaded from a resource is refused, naming the element."""
    io = (
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="v">'
        '<camunda:script scriptFormat="feel" resource="external.feel"/>'
        "</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>"
    )
    body = START + f'<bpmn:task id="t">{io}</bpmn:task>' + END + chain("start", "t", "end")
    [problem] = validate(process(body)).problems
    assert problem.element_id == "t"
    assert "external.feel" in problem.message
