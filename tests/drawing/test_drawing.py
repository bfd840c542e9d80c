"""The instance renderer: shapes per element, highlights where the instance stands, counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import cockpit_review
from bpmn_xml import chain, process
from cockpit_review import GROUP, KEY, RELEASE_SIGNAL, REVIEW_XML, prepare_review
from drawing.support import check_rendered, groups, state
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.drawing import Mark, definition_marks, planes, render_drawings, render_svg
from modelop_mlc.errors import InstanceNotFoundError


@pytest.fixture(name="review")
def _review(manager: LifecycleManager) -> Iterator[LifecycleManager]:
    cockpit_review.BROKEN["prepare"] = False
    manager.register_delegate("PrepareReview", prepare_review, asynchronous=True)
    manager.deploy(("cockpit_review.bpmn", REVIEW_XML))
    yield manager
    cockpit_review.BROKEN["prepare"] = False


def _at_review(manager: LifecycleManager) -> str:
    instance = manager.start(KEY, business_key="credit-1")
    manager.run_due()
    return instance.id


def test_waiting_user_task_is_highlighted_with_its_group_and_timer(
    review: LifecycleManager, clock: ManualClock
) -> None:
    """At the review, the task and its reminder timer are active, with group and due time."""
    instance_id = _at_review(review)
    drawn = check_rendered(review, instance_id)
    assert {r for r, g in drawn.items() if state(g) == "active"} == {"review", "remind"}
    assert drawn["review"].get("data-note") == f"task for {GROUP}"
    due = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M UTC")
    assert drawn["remind"].get("data-note") == f"due {due}"
    assert state(drawn["prepare"]) == "taken"
    assert drawn["start_prepare"].get("data-count") == "1"
    assert state(drawn["done"]) == "other"


def test_loops_carry_counts(review: LifecycleManager) -> None:
    """Rejected twice: the loop flow is counted twice and the review entered three times."""
    instance_id = _at_review(review)
    for _ in range(2):
        (task,) = review.tasks(instance_id=instance_id)
        review.complete_task(task.id, {"approved": False})
    drawn = check_rendered(review, instance_id)
    assert drawn["rejected"].get("data-count") == "2"
    assert drawn["review"].get("data-count") == "3"
    texts = [" ".join(t.itertext()) for t in drawn["rejected"].iter()]
    assert "2x" in texts


def test_signal_wait_then_completion(review: LifecycleManager) -> None:
    """Approved, the instance waits for the signal; signalled, nothing is highlighted."""
    instance_id = _at_review(review)
    (task,) = review.tasks(instance_id=instance_id)
    review.complete_task(task.id, {"approved": True})
    drawn = check_rendered(review, instance_id)
    assert {r for r, g in drawn.items() if state(g) == "active"} == {"released"}
    review.signal(RELEASE_SIGNAL)
    drawn = check_rendered(review, instance_id)
    assert state(drawn["done"]) == "taken"
    assert state(drawn["rejected"]) == "other"


def test_incident_is_drawn_red_with_its_message(review: LifecycleManager) -> None:
    """A failed job's incident marks its task as `incident`, the message in the tooltip."""
    cockpit_review.BROKEN["prepare"] = True
    instance_id = _at_review(review)
    assert review.instance(instance_id).status == "incident"
    drawn = check_rendered(review, instance_id)
    assert state(drawn["prepare"]) == "incident"
    title = drawn["prepare"].find("{http://www.w3.org/2000/svg}title")
    assert title is not None
    assert "registry is unreachable" in (title.text or "")


def test_render_unknown_instance_raises(manager: LifecycleManager) -> None:
    """Rendering an unknown id names it."""
    with pytest.raises(InstanceNotFoundError, match="nope"):
        manager.render("nope")


def test_automatic_layout_places_every_element_apart() -> None:
    """Without DI every node gets its own box, left to right along the flow."""
    (plane,) = planes(REVIEW_XML)
    assert plane.automatic
    boxes = {s.ref: s.box for s in plane.shapes}
    assert {"start", "prepare", "review", "remind", "decided", "released", "done"} <= set(boxes)
    assert boxes["start"].x < boxes["prepare"].x < boxes["review"].x < boxes["decided"].x
    assert boxes["decided"].x < boxes["released"].x < boxes["done"].x
    # The boundary event sits on its host's lower edge.
    host, timer = boxes["review"], boxes["remind"]
    assert host.x <= timer.cx <= host.x + host.w
    assert timer.y < host.y + host.h < timer.y + timer.h
    ordinary = [s for s in plane.shapes if s.tag != "boundaryEvent"]
    for index, one in enumerate(ordinary):
        for other in ordinary[index + 1 :]:
            a, b = one.box, other.box
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (one.ref, other.ref)
    # The loop back to the review runs above the content, into the review's top.
    edges = {e.ref: e.points for e in plane.edges}
    loop = edges["rejected"]
    assert loop[-1][1] == boxes["review"].y
    assert min(y for _, y in loop) < min(b.y for b in boxes.values())


def test_nested_sub_process_is_laid_out_inside_its_box() -> None:
    """A sub-process without DI is drawn expanded, its contents inside its bounds."""
    xml = process(
        '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub" name="Sub">'
        '<bpmn:startEvent id="ss"/><bpmn:task id="inner"/><bpmn:endEvent id="se"/>'
        + chain("ss", "inner", "se")
        + '</bpmn:subProcess><bpmn:endEvent id="e"/>'
        + chain("s", "sub", "e")
    )
    (plane,) = planes(xml)
    boxes = {s.ref: s.box for s in plane.shapes}
    sub = boxes["sub"]
    for ref in ("ss", "inner", "se"):
        box = boxes[ref]
        assert sub.x < box.x and box.x + box.w < sub.x + sub.w
        assert sub.y < box.y and box.y + box.h < sub.y + sub.h
    drawn = groups(render_svg(xml))
    assert {"s", "sub", "ss", "inner", "se", "e", "s_sub", "ss_inner"} <= set(drawn)


def test_definition_marks_count_running_instances(review: LifecycleManager) -> None:
    """Per-activity counts of running instances become `active` marks with a note."""
    marks = definition_marks({"review": 3, "released": 0}, {"prepare": 1})
    assert marks == {
        "review": Mark("active", 3, "3 running"),
        "prepare": Mark("incident", 1, "1 incident"),
    }
    drawn = groups(render_svg(REVIEW_XML, marks))
    assert drawn["review"].get("data-count") == "3"
    assert "3" in " ".join(drawn["review"].itertext())


def test_doctype_and_broken_xml_are_refused() -> None:
    """XML with a DOCTYPE, or not XML at all, is refused with ValueError."""
    with pytest.raises(ValueError, match="DOCTYPE"):
        render_svg('<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(ValueError, match="well-formed"):
        render_svg("<bpmn:definitions")


def test_several_processes_stack_into_one_svg() -> None:
    """Two processes without DI are drawn one under the other, titled, in one document."""
    xml = REVIEW_XML.replace(
        "</bpmn:definitions>",
        '<bpmn:process id="other" name="Other"><bpmn:startEvent id="o1"/>'
        '<bpmn:endEvent id="o2"/><bpmn:sequenceFlow id="of" sourceRef="o1" targetRef="o2"/>'
        "</bpmn:process></bpmn:definitions>",
    )
    svg = render_svg(xml)
    root = ET.fromstring(svg)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class")]
    assert titles == ["Cockpit review", "Other"]
    assert {"review", "o1", "of"} <= set(groups(svg))
    assert len(render_drawings(xml)) == 2


def test_cli_show_writes_the_svg(review: LifecycleManager, tmp_path: Path) -> None:
    """`mlc show ID --svg FILE` writes what `render` draws."""
    from modelop_mlc.cli import main

    instance_id = _at_review(review)
    database = review.store.url
    target = tmp_path / "diagram.svg"
    assert main(["--db", database, "show", instance_id, "--svg", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == review.render(instance_id)
    assert main(["--db", database, "show", instance_id, "--svg", str(tmp_path / "no/x.svg")]) == 1
