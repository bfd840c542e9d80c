"""The shipped diagrams: valid, drawn (DI for every element), and in step with their sources."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from modelop_mlc import LifecycleManager, diagrams, validate
from modelop_mlc.handlers import delegate_names

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
FLOW_NODES = ("Task", "Event", "Gateway", "callActivity", "subProcess", "sequenceFlow")


def script(name: str) -> ModuleType:
    """Import one of the repository's scripts/ as a module."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


@pytest.mark.parametrize("key", list(diagrams.SHIPPED))
def test_each_diagram_validates_against_the_built_in_delegates(key: str) -> None:
    """No problems and no warnings, with every service task's delegate built in."""
    report = validate(diagrams.path(key), delegates=delegate_names())
    assert report.ok, report.problems
    assert report.warnings == ()
    assert report.processes == (key,)


@pytest.mark.parametrize("key", sorted(diagrams.COMPANIONS))
def test_a_process_deploys_with_its_companions_alone(key: str, tmp_path: Path) -> None:
    """`diagrams.files(key)` is complete: its decisions and called processes deploy with it."""
    dmn = [validate(f) for f in diagrams.files(key) if f.suffix == ".dmn"]
    decisions = [d for report in dmn for d in report.decisions]
    assert validate(diagrams.path(key), delegates=delegate_names(), decisions=decisions).ok
    with LifecycleManager.open(tmp_path / "mlc.db") as manager:
        deployment = manager.deploy(*diagrams.files(key))
    called = {d.key for d in deployment.definitions}
    assert key in called
    assert all(f.stem in called for f in diagrams.files(key) if f.suffix == ".bpmn")


@pytest.mark.parametrize("key", list(diagrams.SHIPPED))
def test_every_element_is_drawn(key: str) -> None:
    """Each flow node and sequence flow has a shape or edge, so Camunda Modeler renders it."""
    root = ET.parse(diagrams.path(key)).getroot()
    drawn = {e.get("bpmnElement") for e in root.iter() if e.tag.startswith(DI)}
    elements = [
        e.get("id")
        for e in root.iter()
        if e.tag.startswith(BPMN) and e.tag.removeprefix(BPMN).endswith(FLOW_NODES)
    ]
    assert elements
    assert [e for e in elements if e not in drawn] == []


def test_the_files_are_what_the_builder_writes() -> None:
    """bpmn/ matches scripts/build_diagrams.py: regenerate after editing either."""
    builder = script("build_diagrams")
    for filename, build in builder.DIAGRAMS.items():
        assert (ROOT / "bpmn" / filename).read_text() == build(), f"bpmn/{filename} is stale"
    assert sorted(builder.DIAGRAMS) == sorted(f"{k}.bpmn" for k in diagrams.SHIPPED)


def test_the_docs_figures_are_up_to_date() -> None:
    """docs/processes/figures/ shows the diagrams as shipped."""
    for path, svg in script("render_figures").figures().items():
        assert path.read_text() == svg, f"{path.name} is stale: run scripts/render_figures.py"
