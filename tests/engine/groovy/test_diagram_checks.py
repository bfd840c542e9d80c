"""Deploy-time refusals and run-time errors name the file line and element; JUEL, Python, DMN."""

from __future__ import annotations

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, validate
from modelop_mlc.errors import DiagramError, ExpressionError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def _script(tid: str, body: str, fmt: str | None = "groovy", result: str | None = None) -> str:
    attrs = (f' scriptFormat="{fmt}"' if fmt else "") + (
        f' camunda:resultVariable="{result}"' if result else ""
    )
    return f'<bpmn:scriptTask id="{tid}" name="Step"{attrs}><bpmn:script><![CDATA[{body}]]></bpmn:script></bpmn:scriptTask>'


def _line_of(xml: str, needle: str) -> int:
    return next(i for i, line in enumerate(xml.splitlines(), 1) if needle in line)


def test_groovy_problem_names_file_line_and_element(manager: LifecycleManager) -> None:
    """A construct outside the subset is refused at deploy with its absolute line and element."""
    body = "def ok = 1\ndef total = [1, 2].inject(0) { a, b -> a + b }"
    xml = process(START + _script("calc", body) + END + chain("start", "calc", "end"))
    with pytest.raises(DiagramError) as info:
        manager.deploy(xml)
    [problem] = info.value.problems
    assert problem.element_id == "calc"
    assert problem.line == _line_of(xml, "inject")
    assert "closure method `inject` is not supported" in problem.message
    assert manager.definitions() == []


def test_groovy_syntax_error_names_its_line() -> None:
    """Unparsable Groovy is a deploy problem at the line of the error."""
    xml = process(
        START + _script("calc", "def a = 1\ndef b = (a +") + END + chain("start", "calc", "end")
    )
    [problem] = validate(xml).problems
    assert problem.element_id == "calc"
    assert problem.line == _line_of(xml, "def b")
    assert "Groovy" in problem.message


def test_every_groovy_problem_is_listed() -> None:
    """All refused constructs of a script are reported at once."""
    body = "System.exit(1)\n'x'.getClass()\nnew File('/tmp')"
    problems = validate(
        process(START + _script("s", body) + END + chain("start", "s", "end"))
    ).problems
    assert len(problems) == 3
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_groovy_in_parameters_and_conditions_is_checked() -> None:
    """Groovy `camunda:script` parameters and `language="groovy"` conditions are checked too."""
    io = (
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="v"><camunda:script scriptFormat="groovy">'
        "Runtime.getRuntime()</camunda:script></camunda:inputParameter>"
        "</camunda:inputOutput></bpmn:extensionElements>"
    )
    flow = (
        '<bpmn:sequenceFlow id="f" sourceRef="t" targetRef="u">'
        '<bpmn:conditionExpression language="groovy">x.getClass()</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )
    body = (
        START
        + f'<bpmn:task id="t">{io}</bpmn:task><bpmn:userTask id="u"/>'
        + chain("start", "t")
        + flow
    )
    problems = validate(process(body)).problems
    assert sorted(p.element_id or "" for p in problems) == ["f", "t"]


def test_groovy_runtime_error_names_element_and_file_line(manager: LifecycleManager) -> None:
    """A script failing at run time raises an ExpressionError with the element and file line."""
    body = "def m = MODEL\n\nm.list.add(1)"
    xml = process(START + _script("calc", body) + END + chain("start", "calc", "end"))
    manager.deploy(xml)
    with pytest.raises(ExpressionError) as info:
        manager.start("p", {"MODEL": {}})
    assert info.value.activity_id == "calc"
    line = _line_of(xml, "m.list.add")
    assert f"at line {line} of the file (script line 3)" in str(info.value)
    assert "NullPointerException" in str(info.value)


def test_groovy_script_value_goes_to_the_result_variable(manager: LifecycleManager) -> None:
    """The script's last value is stored in camunda:resultVariable as JSON."""
    xml = process(
        START
        + _script("s", "[n: 1.5 * 2, when: new Date()]", result="out")
        + END
        + chain("start", "s", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert manager.variables(instance.id)["out"] == {"n": 3.0, "when": "2026-01-01T00:00:00.000Z"}


def test_groovy_condition_must_give_a_boolean(manager: LifecycleManager) -> None:
    """A Groovy condition that gives a non-boolean fails naming the flow's gateway."""
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw" default="d"/><bpmn:userTask id="u"/>'
        + '<bpmn:userTask id="v"/>'
        + chain("start", "gw")
        + '<bpmn:sequenceFlow id="f" sourceRef="gw" targetRef="u">'
        '<bpmn:conditionExpression language="groovy">"text"</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>" + '<bpmn:sequenceFlow id="d" sourceRef="gw" targetRef="v"/>'
    )
    manager.deploy(process(body))
    with pytest.raises(ExpressionError) as info:
        manager.start("p")
    assert "not true or false" in str(info.value)


def test_script_task_without_format_is_juel(manager: LifecycleManager) -> None:
    """With no scriptFormat the body is a JUEL template, as in Camunda 7."""
    xml = process(
        START
        + _script("s", "Model ${name} (${n + 1})", fmt=None, result="msg")
        + END
        + chain("start", "s", "end")
    )
    assert not validate(xml).problems
    manager.deploy(xml)
    instance = manager.start("p", {"name": "m1", "n": 1})
    assert manager.variables(instance.id)["msg"] == "Model m1 (2)"


def test_invalid_juel_script_is_refused_at_deploy() -> None:
    """A script task without a format whose body is not valid JUEL is a deploy problem."""
    xml = process(START + _script("s", "${a +}", fmt=None) + END + chain("start", "s", "end"))
    [problem] = validate(xml).problems
    assert problem.element_id == "s"
    assert "not valid JUEL" in problem.message


def test_plain_text_juel_script_deploys_with_a_warning() -> None:
    """Code without `${}` and without a format runs as a plain JUEL string: a warning says so."""
    xml = process(
        START + _script("s", "def msg = 'x'", fmt=None) + END + chain("start", "s", "end")
    )
    report = validate(xml)
    assert not report.problems
    assert any("no scriptFormat" in w.message for w in report.warnings)


def test_python_script_raises_bpmn_error_to_a_boundary(manager: LifecycleManager) -> None:
    """A Python script's `raise BpmnError(code, message)` takes the error boundary event."""
    body = (
        START
        + _script(
            "s", "if not assets:\n    raise BpmnError('NO_ASSETS', 'none given')", fmt="python"
        )
        + '<bpmn:boundaryEvent id="b" attachedToRef="s"><bpmn:errorEventDefinition errorRef="e"/>'
        "</bpmn:boundaryEvent>"
        + '<bpmn:endEvent id="end_error"/>'
        + END
        + chain("start", "s", "end")
        + chain("b", "end_error")
    )
    manager.deploy(process(body, extra='<bpmn:error id="e" errorCode="NO_ASSETS"/>'))
    failed = manager.start("p", {"assets": []})
    ok = manager.start("p", {"assets": [1]})
    ended = {
        i.id: [e.activity_id for e in manager.history(i.id, limit=None) if e.kind == "activity_end"]
        for i in (failed, ok)
    }
    assert "end_error" in ended[failed.id]
    assert "end" in ended[ok.id]
    assert "end_error" not in ended[ok.id]


def test_javascript_stays_refused() -> None:
    """JavaScript script tasks, parameters and conditions are refused at deploy."""
    xml = process(
        START + _script("s", "var x = 1", fmt="javascript") + END + chain("start", "s", "end")
    )
    [problem] = validate(xml).problems
    assert "scriptFormat 'javascript' is not supported" in problem.message


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="d" name="d" namespace="x">
  <decision id="thresholds" name="Thresholds">
    <decisionTable id="t" hitPolicy="COLLECT">
      <input id="i1" label="method">
        <inputExpression id="e1" typeRef="string" expressionLanguage="feel"><text>method</text></inputExpression>
      </input>
      <input id="i2" label="score" camunda:inputVariable="score">
        <inputExpression id="e2" typeRef="double"><text></text></inputExpression>
      </input>
      <output id="o1" name="passes" typeRef="boolean"/>
      <output id="o2" name="reason" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="a1" expressionLanguage="groovy"><text>method.equalsIgnoreCase("regression") &amp;&amp; r2 &lt; 0.7</text></inputEntry>
        <inputEntry id="a2"><text></text></inputEntry>
        <outputEntry id="b1"><text>false</text></outputEntry>
        <outputEntry id="b2" expressionLanguage="groovy"><text>"r2 of ${r2} is below 0.7"</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="a3"><text></text></inputEntry>
        <inputEntry id="a4" expressionLanguage="juel"><text>${score &lt; limit}</text></inputEntry>
        <outputEntry id="b3"><text>false</text></outputEntry>
        <outputEntry id="b4" expressionLanguage="juel"><text>score ${score} under ${limit}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.mark.parametrize(
    ("variables", "reasons"),
    [
        (
            {"method": "Regression", "r2": 0.5, "score": 0.9, "limit": 0.8},
            ["r2 of 0.5 is below 0.7"],
        ),
        (
            {"method": "classification", "r2": 0.5, "score": 0.6, "limit": 0.8},
            ["score 0.6 under 0.8"],
        ),
        ({"method": "classification", "r2": 0.9, "score": 0.9, "limit": 0.8}, []),
    ],
)
def test_dmn_cells_in_groovy_and_juel(
    manager: LifecycleManager, variables: dict[str, object], reasons: list[str]
) -> None:
    """A table with Groovy and JUEL cells deploys and judges like Camunda 7."""
    task = (
        '<bpmn:businessRuleTask id="judge" camunda:decisionRef="thresholds" '
        'camunda:resultVariable="verdict" camunda:mapDecisionResult="resultList"/>'
    )
    manager.deploy(DMN.encode(), process(START + task + END + chain("start", "judge", "end")))
    instance = manager.start("p", variables)
    verdict = manager.variables(instance.id)["verdict"]
    assert [row["reason"] for row in verdict] == reasons


def test_dmn_groovy_problem_is_refused_at_deploy() -> None:
    """A Groovy cell outside the subset makes the DMN a deploy problem with its line."""
    broken = DMN.replace('method.equalsIgnoreCase("regression")', "System.exit(1)")
    [problem] = validate(broken.encode()).problems
    assert problem.element_id == "thresholds"
    assert "System" in problem.message
    assert problem.line == _line_of(broken, "System.exit")
