"""Process coverage: nodes and flows per diagram, summed over managers, drawn as SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.testing import CoverageCollector, DiagramCoverage, ProcessHarness, write_html
from modelop_mlc.testing._render import GREEN, GREY, render_report, render_svgs

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"

# A Camunda-Modeler-style file: semantics plus BPMN DI (shape bounds, edge waypoints, labels).
REVIEW_DI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="review" name="Review" isExecutable="true">
    <bpmn:startEvent id="start" name="Model changed"/>
    <bpmn:userTask id="approve" name="Approve model"/>
    <bpmn:exclusiveGateway id="decided" name="Approved?" default="yes"/>
    <bpmn:endEvent id="deployed" name="Deployed"/>
    <bpmn:endEvent id="rejected" name="Rejected"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="decided"/>
    <bpmn:sequenceFlow id="yes" name="yes" sourceRef="decided" targetRef="deployed"/>
    <bpmn:sequenceFlow id="no" name="no" sourceRef="decided" targetRef="rejected">
      <bpmn:conditionExpression>${!ok}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="review">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="100" y="100" width="36" height="36"/>
        <bpmndi:BPMNLabel><dc:Bounds x="80" y="143" width="77" height="14"/></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="approve_di" bpmnElement="approve">
        <dc:Bounds x="190" y="78" width="100" height="80"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="decided_di" bpmnElement="decided" isMarkerVisible="true">
        <dc:Bounds x="345" y="93" width="50" height="50"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="deployed_di" bpmnElement="deployed">
        <dc:Bounds x="452" y="100" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="rejected_di" bpmnElement="rejected">
        <dc:Bounds x="452" y="210" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1">
        <di:waypoint x="136" y="118"/><di:waypoint x="190" y="118"/>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2">
        <di:waypoint x="290" y="118"/><di:waypoint x="345" y="118"/>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="yes_di" bpmnElement="yes">
        <di:waypoint x="395" y="118"/><di:waypoint x="452" y="118"/>
        <bpmndi:BPMNLabel><dc:Bounds x="415" y="100" width="18" height="14"/></bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="no_di" bpmnElement="no">
        <di:waypoint x="370" y="143"/><di:waypoint x="370" y="228"/>
        <di:waypoint x="452" y="228"/>
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _approve(manager: LifecycleManager, ok: bool) -> None:
    """Start the review and answer it."""
    instance = manager.start("review")
    (task,) = manager.tasks(instance_id=instance.id)
    manager.complete_task(task.id, {"ok": ok})


def _only(collector: CoverageCollector) -> DiagramCoverage:
    (diagram,) = collector.diagrams()
    return diagram


def test_nodes_and_flows_taken_are_counted(mlc_manager: LifecycleManager) -> None:
    """The approved path covers four of five nodes and three of four flows."""
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    _approve(mlc_manager, ok=True)
    collector = CoverageCollector()
    collector.record(mlc_manager, test_id="t::approved")
    diagram = _only(collector)
    assert diagram.name == "review (review.bpmn)"
    assert diagram.covered_nodes == {"start", "approve", "decided", "deployed"}
    assert diagram.covered_flows == {"f1", "f2", "yes"}
    assert [e.id for e in diagram.uncovered()] == ["rejected", "no"]
    assert (diagram.covered, diagram.total) == (7, 9)
    assert collector.percent() == pytest.approx(700 / 9)
    assert (diagram.instances, diagram.tests) == (1, {"t::approved"})


def test_runs_of_the_same_file_add_up(mlc_manager: LifecycleManager, tmp_path: Path) -> None:
    """Two managers deploying the same XML fill one diagram's coverage together."""
    collector = CoverageCollector()
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    _approve(mlc_manager, ok=True)
    collector.record(mlc_manager, test_id="t::approved")
    with LifecycleManager.open(tmp_path / "other.db", clock=ManualClock()) as other:
        other.deploy(("review.bpmn", REVIEW_DI))
        _approve(other, ok=False)
        collector.record(other, test_id="t::rejected")
    diagram = _only(collector)
    assert diagram.percent == 100.0
    assert diagram.uncovered() == []
    assert diagram.tests == {"t::approved", "t::rejected"}
    assert diagram.instances == 2


def test_changed_diagrams_are_reported_apart(mlc_manager: LifecycleManager) -> None:
    """A second version with other XML is its own row, told apart by its digest."""
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    mlc_manager.deploy(("review.bpmn", REVIEW_DI.replace("Approve model", "Approve it")))
    _approve(mlc_manager, ok=False)
    collector = CoverageCollector()
    collector.record(mlc_manager)
    first, second = collector.diagrams()
    assert sorted([first.percent, second.percent]) == [0.0, pytest.approx(700 / 9)]
    lines = collector.summary_lines()
    assert lines[0].split() == ["Diagram", "Nodes", "Flows", "Cover"]
    assert sum("review (review.bpmn) #" in line for line in lines) == 2
    assert lines[-2].startswith("-----")
    assert lines[-1].split() == ["TOTAL", "4/10", "3/8", "38.9%"]


def test_called_process_elements_count_for_the_called_diagram(
    mlc_manager: LifecycleManager,
) -> None:
    """What a call activity's child instance runs is credited to the diagram defining it."""
    child = process(
        '<bpmn:startEvent id="c_start"/><bpmn:userTask id="c_task"/><bpmn:endEvent id="c_end"/>'
        + chain("c_start", "c_task", "c_end"),
        pid="child",
    )
    parent = process(
        '<bpmn:startEvent id="p_start"/><bpmn:callActivity id="call" calledElement="child"/>'
        '<bpmn:endEvent id="p_end"/>' + chain("p_start", "call", "p_end"),
        pid="parent",
    )
    mlc_manager.deploy(("child.bpmn", child), ("parent.bpmn", parent))
    instance = mlc_manager.start("parent")
    (child_instance,) = mlc_manager.instances(super_instance_id=instance.id)
    (task,) = mlc_manager.tasks(instance_id=child_instance.id)
    mlc_manager.complete_task(task.id)
    collector = CoverageCollector()
    collector.record(mlc_manager)
    by_key = {next(iter(d.keys)): d for d in collector.diagrams()}
    assert by_key["child"].covered_nodes == {"c_start", "c_task", "c_end"}
    assert by_key["parent"].covered_nodes == {"p_start", "call", "p_end"}
    assert "c_task" not in by_key["parent"].nodes


def test_non_interrupting_timers_count_when_they_fire(mlc_harness: ProcessHarness) -> None:
    """A reminder that fired marks its boundary event as covered."""
    xml = process(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="approve"/><bpmn:boundaryEvent '
        'id="remind" attachedToRef="approve" cancelActivity="false"><bpmn:timerEventDefinition>'
        "<bpmn:timeCycle>R1/P1D</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="reminded"/>' + chain("start", "approve") + chain("remind", "reminded"),
        pid="reminding",
    )
    mlc_harness.deploy(xml)
    mlc_harness.start("reminding")
    mlc_harness.run_until_idle()
    collector = CoverageCollector()
    collector.record(mlc_harness.manager)
    assert {"start", "approve", "remind", "reminded"} == _only(collector).covered_nodes


def test_flows_into_loops_and_multi_instance_activities_count(
    mlc_manager: LifecycleManager,
) -> None:
    """The flow into a multi-instance or looping activity is covered when the activity runs."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:task id="prepare"/>'
        '<bpmn:serviceTask id="each" camunda:class="Each"><bpmn:multiInstanceLoopCharacteristics '
        'isSequential="true" camunda:collection="${items}" camunda:elementVariable="item"/>'
        '</bpmn:serviceTask><bpmn:task id="again"><bpmn:standardLoopCharacteristics '
        'loopMaximum="2"/></bpmn:task><bpmn:endEvent id="end"/>'
    )
    mlc_manager.register_delegate("Each", lambda ctx: None)
    mlc_manager.deploy(process(body + chain("start", "prepare", "each", "again", "end"), pid="mi"))
    mlc_manager.start("mi", {"items": [1, 2, 3]})
    collector = CoverageCollector()
    collector.record(mlc_manager)
    diagram = _only(collector)
    assert diagram.uncovered() == []
    assert diagram.covered_flows == {"start_prepare", "prepare_each", "each_again", "again_end"}


def test_include_counts_only_matching_diagrams(mlc_manager: LifecycleManager) -> None:
    """Include globs match the file name or the process key; the rest is left out."""
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    inline = process('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>' + chain("s", "e"))
    mlc_manager.deploy(inline)
    mlc_manager.start("p")
    everything = CoverageCollector()
    everything.record(mlc_manager)
    assert [d.resource for d in everything.diagrams()] == ["<string>", "review.bpmn"]
    files = CoverageCollector(include=["*.bpmn"])
    files.record(mlc_manager)
    assert [d.resource for d in files.diagrams()] == ["review.bpmn"]
    assert files.percent() == 0.0
    by_key = CoverageCollector(include=["nothing", "p"])
    by_key.record(mlc_manager)
    assert [(d.resource, d.percent) for d in by_key.diagrams()] == [("<string>", 100.0)]
    assert (files.wants("x.bpmn", "k"), files.wants("<string>", "k")) == (True, False)


def test_svg_draws_covered_elements_green_and_the_rest_grey(
    mlc_manager: LifecycleManager,
) -> None:
    """Shapes and edges carry their element ids, coverage classes and colours."""
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    _approve(mlc_manager, ok=True)
    collector = CoverageCollector()
    collector.record(mlc_manager)
    ((title, svg),) = render_svgs(_only(collector))
    assert title == "Review"
    root = ET.fromstring(svg)
    groups = {g.get("data-element-id"): g for g in root.iter(f"{SVG}g")}
    assert set(groups) == {"start", "approve", "decided", "deployed", "rejected", "f1", "f2"} | {
        "yes",
        "no",
    }
    assert groups["approve"].get("class") == "mlc-element covered"
    assert groups["rejected"].get("class") == "mlc-element uncovered"
    assert groups["yes"].get("class") == "mlc-flow covered"
    assert groups["no"].get("class") == "mlc-flow uncovered"
    approve = groups["approve"].find(f"{SVG}rect")
    assert approve is not None
    assert (approve.get("x"), approve.get("width"), approve.get("stroke")) == ("190", "100", GREEN)
    line = groups["no"].find(f"{SVG}polyline")
    assert line is not None
    assert (line.get("points"), line.get("stroke")) == ("370,143 370,228 452,228", GREY)
    assert groups["decided"].find(f"{SVG}polygon") is not None
    assert groups["start"].find(f"{SVG}circle") is not None
    texts = " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "Approve model" in texts
    assert "Model changed" in texts


def test_report_without_di_draws_an_automatic_layout(mlc_manager: LifecycleManager) -> None:
    """A diagram with no layout is drawn with the automatic layout, coverage marked."""
    xml = process(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work" name="Work"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "work", "end"),
        pid="plain",
    )
    mlc_manager.deploy(xml)
    mlc_manager.start("plain")
    collector = CoverageCollector()
    collector.record(mlc_manager)
    diagram = _only(collector)
    ((_, svg),) = render_svgs(diagram)
    groups = {g.get("data-element-id"): g.get("class") for g in ET.fromstring(svg).iter(f"{SVG}g")}
    assert groups["work"] == "mlc-element covered"
    assert groups["end"] == "mlc-element uncovered"
    page = render_report(diagram, diagram.name)
    assert "has no BPMN DI" in page
    assert "automatic layout" in page
    assert "Not covered (2)" in page
    assert "<code>end</code>" in page


def test_write_html_writes_reports_an_index_and_json(
    mlc_manager: LifecycleManager, tmp_path: Path
) -> None:
    """The report folder holds one page per diagram, an index and coverage.json."""
    mlc_manager.deploy(("review.bpmn", REVIEW_DI))
    _approve(mlc_manager, ok=True)
    collector = CoverageCollector()
    collector.record(mlc_manager, test_id="t::approved")
    index = write_html(collector, tmp_path / "report")
    diagram = _only(collector)
    page = (tmp_path / "report" / diagram.filename()).read_text()
    assert diagram.filename().startswith("review-")
    assert f'href="{diagram.filename()}"' in index.read_text()
    assert "77.8%" in index.read_text()
    assert 'class="mlc-element covered" data-element-id="approve"' in page
    assert "Not covered (2)" in page
    assert "<code>t::approved</code>" in page
    data = json.loads((tmp_path / "report" / "coverage.json").read_text())
    assert data["diagrams"][0]["uncovered"] == ["rejected", "no"]
    assert data["diagrams"][0]["nodes"] == {
        "covered": ["approve", "decided", "deployed", "start"],
        "total": 5,
    }


def test_empty_collector_reports_no_percentage() -> None:
    """Nothing deployed: no percentage, a dash in the table."""
    collector = CoverageCollector()
    assert collector.percent() is None
    assert collector.summary_lines()[-1].split() == ["TOTAL", "0/0", "0/0", "-"]


def test_doctype_is_refused() -> None:
    """XML with a DOCTYPE never reaches the parser."""
    diagram = DiagramCoverage("0" * 64, "evil.bpmn", '<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(ValueError, match="DOCTYPE"):
        diagram.add_process("x")


@pytest.mark.parametrize("path", sorted((REPO / "bpmn").glob("*.bpmn")), ids=lambda p: p.name)
def test_shipped_diagrams_are_drawn_completely(path: Path) -> None:
    """Every shape and edge of a packaged diagram's DI appears in its drawing."""
    xml = path.read_text(encoding="utf-8")
    root = ET.fromstring(xml)
    diagram = DiagramCoverage("0" * 64, path.name, xml)
    for element in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
        diagram.add_process(element.get("id", ""))
    referenced = {
        shape.get("bpmnElement")
        for tag in ("BPMNShape", "BPMNEdge")
        for shape in root.iter(f"{{http://www.omg.org/spec/BPMN/20100524/DI}}{tag}")
    }
    drawn = set()
    for _, svg in render_svgs(diagram):
        drawn |= {g.get("data-element-id") for g in ET.fromstring(svg).iter(f"{SVG}g")}
    assert referenced == drawn
    assert diagram.nodes
