"""Read a rendered instance diagram back and check it against the manager's records."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from modelop_mlc import LifecycleManager

SVG = "{http://www.w3.org/2000/svg}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
FLOW_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "sequenceFlow",
}


def groups(svg: str) -> dict[str, ET.Element]:
    """The `<g>` of every drawn element, by element id."""
    root = ET.fromstring(svg)
    return {
        g.get("data-element-id", ""): g for g in root.iter(f"{SVG}g") if g.get("data-element-id")
    }


def state(group: ET.Element) -> str:
    """The state class of a drawn element (`active`, `taken`, ...)."""
    return (group.get("class") or "").split()[1]


def process_ids(xml: str, key: str) -> set[str]:
    """Ids of every flow node and sequence flow of process `key`."""
    root = ET.fromstring(xml.encode("utf-8"))
    for process in root.iter(f"{BPMN}process"):
        if process.get("id") == key:
            return {
                e.get("id", "")
                for e in process.iter()
                if e.tag.removeprefix(BPMN) in FLOW_NODE_TAGS and e.get("id")
            }
    return set()


def check_rendered(manager: LifecycleManager, instance_id: str) -> dict[str, ET.Element]:
    """Render the instance and assert the drawing matches the store; return its groups.

    Every flow node and sequence flow of the process is drawn; the highlighted elements
    (active or incident) are exactly where the instance waits, its pending timers and its
    open incidents; every taken flow carries its count from history.
    """
    instance = manager.instance(instance_id)
    drawn = groups(manager.render(instance_id))
    xml = manager.definition_xml(instance.definition_id)
    expected_ids = process_ids(xml, instance.key)
    assert expected_ids <= set(drawn), sorted(expected_ids - set(drawn))
    highlighted = {ref for ref, g in drawn.items() if state(g) in {"active", "incident"}}
    if instance.ended:
        assert highlighted == set()
    else:
        timers = {t.activity_id for t in manager.store.timers(instance_id) if not t.fired}
        incidents = {i.activity_id for i in manager.incidents(instance_id=instance_id)}
        waiting = {*instance.waiting_at, *timers, *incidents} - {None}
        assert highlighted == waiting & set(drawn)
    taken = Counter(
        e.activity_id
        for e in manager.history(instance_id)
        if e.kind == "flow_taken" and e.activity_id in expected_ids
    )
    for flow, count in taken.items():
        assert drawn[flow].get("data-count") == str(count), flow
        assert state(drawn[flow]) == "taken", flow
    return drawn
