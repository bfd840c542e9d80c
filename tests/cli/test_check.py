"""`mlc check` and `validate()`: the migration report, per element, of a ModelOp-style diagram."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc.cli import main
from modelop_mlc.handlers import register_modelop_delegates
from modelop_mlc.registry import DelegateRegistry
from modelop_mlc.validation import validate

_CLASS = "com.modelop.mlc.delegate.modelop"
# Written in the style of ModelOp's published MLCs: ModelOp's delegates by class, ModelOp's
# input names, the external `jobs` wait, a job-timeout timer, plus what cannot run here.
MIGRATED = process(
    '<bpmn:startEvent id="start" name="Snapshot created">'
    '<bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>'
    f'<bpmn:serviceTask id="get_model" name="Get Drift Model" camunda:class="{_CLASS}'
    '.GetDeployableModelById"><bpmn:extensionElements><camunda:inputOutput>'
    '<camunda:inputParameter name="ID">${MODEL_ID}</camunda:inputParameter>'
    "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
    f'<bpmn:serviceTask id="run_job" name="Run Test" camunda:class="{_CLASS}'
    '.CreateModelBatchJob"/>'
    '<bpmn:serviceTask id="wait" name="Wait for Test" camunda:type="external" '
    'camunda:topic="jobs"/>'
    '<bpmn:boundaryEvent id="timeout" name="Job Timeout" attachedToRef="wait">'
    "<bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT30S</bpmn:timeCycle>"
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:scriptTask id="prepare" name="Prepare" scriptFormat="javascript">'
    "<bpmn:script>var x = 1;</bpmn:script></bpmn:scriptTask>"
    f'<bpmn:serviceTask id="jenkins" name="Build" camunda:class="{_CLASS}.CreateJenkinsJob"/>'
    '<bpmn:serviceTask id="custom" name="Ours" camunda:class="com.acme.Custom"/>'
    '<bpmn:exclusiveGateway id="done" default="ok"/>'
    '<bpmn:endEvent id="end"/><bpmn:endEvent id="late"/>'
    + chain("start", "get_model", "run_job", "wait", "done")
    + flow("ok", "done", "prepare")
    + flow("failed", "done", "late", '${JOB.jobStatus == "ERROR"}')
    + chain("prepare", "jenkins", "custom", "end")
    + flow("to_late", "timeout", "late"),
    "migrated",
    extra='<bpmn:signal id="sig" name="com.modelop.mlc.definitions.Signals_deployable_model_changed"/>',
)


@pytest.fixture(name="diagram")
def _diagram(tmp_path: Path) -> Path:
    path = tmp_path / "migrated.bpmn"
    path.write_text(MIGRATED)
    return path


def _registry() -> DelegateRegistry:
    registry = DelegateRegistry()
    register_modelop_delegates(registry)
    return registry


def _by_id(report: Any) -> dict[str, Any]:
    return {e.element_id: e for e in report.elements}


def test_validate_reports_every_element_with_what_it_does(diagram: Path) -> None:
    """Each flow node and conditional flow is listed: type, name, line, what it does."""
    elements = _by_id(validate(diagram, registry=_registry()))
    assert set(elements) == {
        "migrated",
        "start",
        "get_model",
        "run_job",
        "wait",
        "timeout",
        "prepare",
        "jenkins",
        "custom",
        "done",
        "end",
        "late",
        "failed",
    }
    assert elements["get_model"].does == "delegate GetDeployableModelById (built in)"
    assert elements["wait"].does == "external task, topic 'jobs': delegate WaitForJob (built in)"
    assert elements["timeout"].does == "timer timeCycle R3/PT30S"
    assert elements["failed"].does == "condition (JUEL)"
    assert (elements["run_job"].element_type, elements["run_job"].name) == (
        "serviceTask",
        "Run Test",
    )
    assert elements["run_job"].line is not None


def test_what_cannot_run_is_refused_with_the_reason(diagram: Path) -> None:
    """A delegate needing Jenkins, an unknown delegate and a JavaScript script are refused."""
    report = validate(diagram, registry=_registry())
    refused = {e.element_id: e for e in report.refused}
    assert set(refused) == {"prepare", "jenkins", "custom"}
    assert "needs a Jenkins server" in refused["jenkins"].problems[0]
    assert '@manager.delegate("CreateJenkinsJob")' in refused["jenkins"].problems[0]
    assert "no delegate is registered" in refused["custom"].problems[0]
    assert "javascript" in refused["prepare"].problems[0]
    assert all(e.status == "runs" for e in report.elements if e.element_id not in refused)
    assert not report.ok


def test_without_a_registry_delegates_are_not_checked(diagram: Path) -> None:
    """`validate()` without delegates or a registry leaves service tasks alone."""
    report = validate(diagram)
    assert {e.element_id for e in report.refused} == {"prepare"}


def test_mlc_check_prints_a_table_and_exits_1_when_something_is_refused(
    diagram: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table names every element, its status and why it is refused."""
    code = main(["check", str(diagram)])
    out = capsys.readouterr().out
    assert code == 1
    assert "13 elements, 10 run, 3 refused" in out
    header = out.splitlines()[1].split()
    assert header[:5] == ["ELEMENT", "TYPE", "NAME", "LINE", "STATUS"]
    jenkins = next(line for line in out.splitlines() if line.startswith("jenkins "))
    assert "refused" in jenkins
    assert "needs a Jenkins server" in jenkins


def test_mlc_check_json_gives_the_reports(
    diagram: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json` (before or after the command) prints the reports with their elements."""
    for argv in (["--json", "check", str(diagram)], ["check", "--json", str(diagram)]):
        assert main(argv) == 1
        (report,) = json.loads(capsys.readouterr().out)
        statuses = {e["element_id"]: e["status"] for e in report["elements"]}
        assert statuses["jenkins"] == "refused"
        assert statuses["wait"] == "runs"
        assert report["kind"] == "bpmn"


def test_mlc_check_exits_0_for_a_diagram_that_runs_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A diagram whose every element runs checks clean; DMN decisions are listed too."""
    path = tmp_path / "ok.bpmn"
    path.write_text(
        process(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="t" '
            f'camunda:class="{_CLASS}.GetJob"/><bpmn:endEvent id="e"/>' + chain("s", "t", "e")
        )
    )
    dmn = Path(__file__).resolve().parents[2] / "examples/models/credit_model/comparator.dmn"
    assert main(["--json", "check", str(path), str(dmn)]) == 0
    bpmn_report, dmn_report = json.loads(capsys.readouterr().out)
    assert {e["status"] for e in bpmn_report["elements"]} == {"runs"}
    assert [(e["element_id"], e["does"]) for e in dmn_report["elements"]] == [
        ("model_test_comparator", "decisionTable")
    ]
