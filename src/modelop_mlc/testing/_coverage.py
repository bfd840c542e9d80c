"""Process coverage: which flow nodes and sequence flows the tests took, per deployed diagram.

Like camunda's process-test-coverage: the plugin reads every test manager's history when the
test ends (`activity_start`/`activity_end` mark nodes, `flow_taken` marks sequence flows) and
adds it up per diagram over the whole session. The report draws each diagram from its BPMN DI
as SVG, covered elements in green and the rest in grey.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelop_mlc.drawing._bpmn import (
    BPMN,
    CONTAINERS,
    FLOW_NODES,
)
from modelop_mlc.drawing._bpmn import local as _local
from modelop_mlc.drawing._bpmn import parse as _parse

if TYPE_CHECKING:
    from modelop_mlc.manager import LifecycleManager

__all__ = ["CoverageCollector", "DiagramCoverage", "Element"]

TEXT_RESOURCE = "<string>"
"""The file name of a diagram deployed as XML text rather than from a file."""


@dataclass(frozen=True)
class Element:
    """A flow node or sequence flow of a diagram.

    Attributes:
        id: The element id.
        type: The BPMN element type (`userTask`, `sequenceFlow`, ...).
        name: Its name, if any.
        process: The id of the process it belongs to.
    """

    id: str
    type: str
    name: str | None
    process: str


@dataclass
class DiagramCoverage:
    """What the tests covered of one diagram (one BPMN file, by content).

    Attributes:
        digest: SHA-256 of the XML.
        resource: The file name it was deployed as.
        xml: The BPMN XML.
        keys: The process keys deployed from it.
        nodes: Its flow nodes by id (of the deployed processes).
        flows: Its sequence flows by id (of the deployed processes).
        covered_nodes: Ids of the nodes some test entered.
        covered_flows: Ids of the sequence flows some test took.
        instances: How many instances ran on it.
        tests: The ids of the tests that deployed it.
    """

    digest: str
    resource: str
    xml: str
    keys: set[str] = field(default_factory=set)
    nodes: dict[str, Element] = field(default_factory=dict)
    flows: dict[str, Element] = field(default_factory=dict)
    covered_nodes: set[str] = field(default_factory=set)
    covered_flows: set[str] = field(default_factory=set)
    instances: int = 0
    tests: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        """A label: the process keys and the file name."""
        return f"{', '.join(sorted(self.keys))} ({self.resource})"

    @property
    def covered(self) -> int:
        """Covered nodes and flows."""
        return len(self.covered_nodes) + len(self.covered_flows)

    @property
    def total(self) -> int:
        """All nodes and flows."""
        return len(self.nodes) + len(self.flows)

    @property
    def percent(self) -> float:
        """Covered share of nodes and flows, in percent (100 for an empty diagram)."""
        return 100.0 * self.covered / self.total if self.total else 100.0

    def uncovered(self) -> list[Element]:
        """The nodes and flows no test took, nodes first, in document order."""
        return [e for i, e in self.nodes.items() if i not in self.covered_nodes] + [
            e for i, e in self.flows.items() if i not in self.covered_flows
        ]

    def is_covered(self, element_id: str) -> bool:
        """Whether a test took this node or flow."""
        return element_id in self.covered_nodes or element_id in self.covered_flows

    def add_process(self, key: str) -> None:
        """Count the nodes and flows of the process `key` in this diagram."""
        if key in self.keys:
            return
        self.keys.add(key)
        root = _parse(self.xml)
        for process in root.iter(f"{BPMN}process"):
            if process.get("id") == key:
                for element in _walk(process):
                    tag = _local(element.tag)
                    info = Element(element.get("id", ""), tag, element.get("name"), key)
                    if tag == "sequenceFlow":
                        self.flows[info.id] = info
                    elif tag in FLOW_NODES:
                        self.nodes[info.id] = info

    def filename(self) -> str:
        """The report's file name."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(sorted(self.keys)) or "diagram")
        return f"{slug[:60]}-{self.digest[:8]}.html"


def _walk(parent: ET.Element) -> Iterable[ET.Element]:
    for child in parent:
        tag = _local(child.tag)
        if tag in FLOW_NODES or tag == "sequenceFlow":
            yield child
        if tag in CONTAINERS:
            yield from _walk(child)


class CoverageCollector:
    """Adds up what tests covered of each diagram over a session.

    Args:
        include: Glob patterns (`fnmatch`, case-sensitive); when given, only definitions whose
            file name or process key matches one are counted (`("*.bpmn",)` leaves out
            diagrams deployed as XML text, whose file name is `<string>`).
        files_only: Leave out diagrams deployed as XML text (usually built inside a test),
            whatever `include` says; the plugin sets it when no `include` is given.

    Example:
        >>> collector = CoverageCollector()  # doctest: +SKIP
        >>> collector.record(manager, test_id="test_review.py::test_ok")  # doctest: +SKIP
        >>> collector.summary_lines()  # doctest: +SKIP
    """

    def __init__(self, *, include: Sequence[str] = (), files_only: bool = False) -> None:
        """Start with nothing recorded."""
        self.include = tuple(include)
        self.files_only = files_only
        self._diagrams: dict[str, DiagramCoverage] = {}

    def wants(self, resource: str, key: str) -> bool:
        """Whether a definition (its file name and process key) is counted (see `include`)."""
        if self.files_only and resource == TEXT_RESOURCE:
            return False
        return not self.include or any(
            fnmatch.fnmatchcase(resource, p) or fnmatch.fnmatchcase(key, p) for p in self.include
        )

    def record(self, manager: LifecycleManager, *, test_id: str | None = None) -> None:
        """Add every definition `manager` deployed and every path its instances took.

        Args:
            manager: A `LifecycleManager` (still open).
            test_id: The test that used it, listed in the report.
        """
        by_definition: dict[str, tuple[DiagramCoverage, str]] = {}
        for definition in manager.definitions():
            if not self.wants(definition.resource, definition.key):
                continue
            xml = manager.definition_xml(definition.id)
            diagram = self._diagram(xml, definition.resource)
            diagram.add_process(definition.key)
            if test_id is not None:
                diagram.tests.add(test_id)
            by_definition[definition.id] = (diagram, definition.key)
        # A called process runs as an instance of its own: each counts for its definition.
        for instance in manager.instances(limit=None):
            if instance.definition_id not in by_definition:
                continue
            diagram, key = by_definition[instance.definition_id]
            diagram.instances += 1
            for event in manager.history(instance.id, limit=None):
                if event.activity_id is None:
                    continue
                # Non-interrupting timers record only `timer_fired`; it marks the node too.
                if event.kind in {"activity_start", "activity_end", "timer_fired"}:
                    _mark(diagram, key, event.activity_id, flow=False)
                elif event.kind == "flow_taken":
                    _mark(diagram, key, event.activity_id, flow=True)

    def _diagram(self, xml: str, resource: str) -> DiagramCoverage:
        digest = hashlib.sha256(xml.encode("utf-8")).hexdigest()
        found = self._diagrams.get(digest)
        if found is None:
            found = self._diagrams[digest] = DiagramCoverage(digest, resource, xml)
        return found

    def diagrams(self) -> list[DiagramCoverage]:
        """Every diagram recorded, by name."""
        return sorted(self._diagrams.values(), key=lambda d: (d.name, d.digest))

    def totals(self) -> tuple[int, int]:
        """Covered and total nodes plus flows over all diagrams."""
        diagrams = self._diagrams.values()
        return sum(d.covered for d in diagrams), sum(d.total for d in diagrams)

    def percent(self) -> float | None:
        """Covered share over all diagrams in percent; None when nothing was deployed."""
        covered, total = self.totals()
        return 100.0 * covered / total if total else None

    def summary_lines(self) -> list[str]:
        """The terminal table: diagram, nodes, flows and percent, then the total."""
        diagrams = self.diagrams()
        names = unique_names(diagrams)
        rows = [
            (
                names[d.digest],
                f"{len(d.covered_nodes)}/{len(d.nodes)}",
                f"{len(d.covered_flows)}/{len(d.flows)}",
                f"{d.percent:.1f}%",
            )
            for d in diagrams
        ]
        nodes = sum(len(d.covered_nodes) for d in diagrams), sum(len(d.nodes) for d in diagrams)
        flows = sum(len(d.covered_flows) for d in diagrams), sum(len(d.flows) for d in diagrams)
        total = self.percent()
        rows.append(
            (
                "TOTAL",
                f"{nodes[0]}/{nodes[1]}",
                f"{flows[0]}/{flows[1]}",
                "-" if total is None else f"{total:.1f}%",
            )
        )
        header = ("Diagram", "Nodes", "Flows", "Cover")
        width = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        lines = []
        for index, row in enumerate([header, *rows]):
            if index == len(rows):
                lines.append("-" * (sum(width) + 6))
            lines.append(
                f"{row[0]:<{width[0]}}  {row[1]:>{width[1]}}  {row[2]:>{width[2]}}  "
                f"{row[3]:>{width[3]}}"
            )
        return lines

    def as_json(self) -> dict[str, Any]:
        """The coverage as plain data (what `coverage.json` holds)."""
        return {
            "percent": self.percent(),
            "diagrams": [
                {
                    "keys": sorted(d.keys),
                    "resource": d.resource,
                    "digest": d.digest,
                    "percent": d.percent,
                    "nodes": {"covered": sorted(d.covered_nodes), "total": len(d.nodes)},
                    "flows": {"covered": sorted(d.covered_flows), "total": len(d.flows)},
                    "uncovered": [e.id for e in d.uncovered()],
                    "report": d.filename(),
                }
                for d in self.diagrams()
            ],
        }


def _mark(diagram: DiagramCoverage, key: str, element_id: str, *, flow: bool) -> None:
    elements = diagram.flows if flow else diagram.nodes
    element = elements.get(element_id)
    if element is not None and element.process == key:
        (diagram.covered_flows if flow else diagram.covered_nodes).add(element_id)


def unique_names(diagrams: Sequence[DiagramCoverage]) -> dict[str, str]:
    """Label each diagram; diagrams sharing a label get their digest prefix appended."""
    counts: dict[str, int] = {}
    for diagram in diagrams:
        counts[diagram.name] = counts.get(diagram.name, 0) + 1
    return {
        d.digest: d.name if counts[d.name] == 1 else f"{d.name} #{d.digest[:6]}" for d in diagrams
    }
