"""The renderer on every shipped diagram and on every MIWG reference diagram that deploys."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from drawing.support import BPMN, FLOW_NODE_TAGS, check_rendered, groups
from engine.test_conformance import (
    CONFORMANCE,
    PLACEHOLDER_VARIABLES,
    _called_elements,
    _delegate_names,
    _placeholder,
    _placeholder_process,
    _require_conformance,
    _start_event,
)
from modelop_mlc import LifecycleManager, ManualClock, diagrams, validate
from modelop_mlc.drawing import render_svg
from modelop_mlc.errors import MlcError

MIWG = CONFORMANCE / "bpmn-miwg"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


def _di_elements(xml: str) -> set[str]:
    root = ET.fromstring(xml.encode("utf-8"))
    return {
        shape.get("bpmnElement", "")
        for tag in ("BPMNShape", "BPMNEdge")
        for shape in root.iter(f"{DI}{tag}")
    }


def _flow_elements(xml: str) -> set[str]:
    root = ET.fromstring(xml.encode("utf-8"))
    return {
        e.get("id", "")
        for process in root.iter(f"{BPMN}process")
        for e in process.iter()
        if e.tag.removeprefix(BPMN) in FLOW_NODE_TAGS
    }


@pytest.mark.parametrize("key", list(diagrams.SHIPPED))
def test_shipped_diagram_is_drawn_and_its_instance_marked(
    manager: LifecycleManager, key: str
) -> None:
    """Every DI element and flow element is drawn; a started instance's state is marked."""
    xml = diagrams.path(key).read_text(encoding="utf-8")
    drawn = set(groups(render_svg(xml)))
    assert _di_elements(xml) <= drawn
    assert _flow_elements(xml) <= drawn
    deployed = manager.deploy(*diagrams.files(key)).definitions
    (definition,) = [d for d in deployed if d.key == key]
    try:
        instance = manager.start(key, {}, start_event=definition.start_events[0][0])
        manager.run_due()
    except MlcError:
        # Started without a model, some stop at their first expression; the credit-model
        # run in tests/processes/test_drawn.py marks the main diagram mid-way instead.
        return
    marked = check_rendered(manager, instance.id)
    assert any(g.get("data-count") for g in marked.values())


def _miwg_files() -> list[Path]:
    return sorted(MIWG.rglob("*.bpmn")) if MIWG.is_dir() else []


@pytest.mark.conformance
def test_miwg_diagrams_that_deploy_are_drawn_with_their_state(tmp_path: Path) -> None:
    """Each MIWG file that deploys is drawn whole, and its instance's state is marked."""
    _require_conformance()
    checked = []
    for index, path in enumerate(_miwg_files()):
        xml = path.read_text(encoding="utf-8")
        drawn = set(groups(render_svg(xml)))
        assert _flow_elements(xml) <= drawn, path.name
        if validate(path).problems:
            continue
        manager = LifecycleManager.open(tmp_path / f"{index}.db", clock=ManualClock())
        try:
            for name in sorted(_delegate_names(path)):
                manager.register_delegate(name, _placeholder, replace=True)
            for called in sorted(_called_elements(path)):
                manager.deploy((f"{called}.bpmn", _placeholder_process(called)))
            try:
                deployment = manager.deploy(path)
            except MlcError:
                continue
            for definition in deployment.definitions:
                start = _start_event(definition)
                if start is None:
                    continue
                try:
                    instance = manager.start(
                        definition.key, PLACEHOLDER_VARIABLES, start_event=start
                    )
                    manager.run_due()
                except MlcError:
                    continue
                check_rendered(manager, instance.id)
                checked.append(f"{path.name}:{definition.key}")
        finally:
            manager.close()
    # Three MIWG processes deploy and start; the rest are refused at deploy, most as Camunda 7
    # refuses them too (message start events without a messageRef, exclusive gateways with
    # several flows lacking a condition, processes that are not executable).
    assert len(checked) >= 3, checked
