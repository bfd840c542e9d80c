"""What a drawing is made of: planes of shapes and edges, read from BPMN DI.

BPMN DI gives every shape its bounds (`bpmndi:BPMNShape` -> `dc:Bounds`) and every edge its
waypoints (`bpmndi:BPMNEdge` -> `di:waypoint`). The automatic layout (`_layout`) produces the
same structures for processes drawn without DI, so one painter draws both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from modelop_mlc.drawing._bpmn import BPMN, BPMNDI, CONTAINERS, DC, DI, FLOW_NODES, local

__all__ = [
    "Box",
    "Edge",
    "Plane",
    "Shape",
    "box_of",
    "di_planes",
    "semantic_index",
    "undrawn_containers",
]


@dataclass(frozen=True)
class Box:
    """A rectangle in diagram coordinates."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        """The horizontal centre."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """The vertical centre."""
        return self.y + self.h / 2


@dataclass(frozen=True)
class Shape:
    """A flow node, pool, lane or artifact drawn as a shape."""

    ref: str
    element: ET.Element
    box: Box
    label: Box | None = None
    expanded: bool = False

    @property
    def tag(self) -> str:
        """The BPMN element type (`userTask`, `exclusiveGateway`, ...)."""
        return local(self.element.tag)


@dataclass(frozen=True)
class Edge:
    """A sequence flow, message flow or association drawn as a polyline."""

    ref: str
    element: ET.Element | None
    points: tuple[tuple[float, float], ...]
    label: Box | None = None

    @property
    def tag(self) -> str:
        """The BPMN element type (`sequenceFlow`, ...), or `edge` when unknown."""
        return local(self.element.tag) if self.element is not None else "edge"


@dataclass
class Plane:
    """One drawing: a process, a collaboration or a collapsed sub-process's contents."""

    title: str
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    automatic: bool = False


def box_of(node: ET.Element | None) -> Box | None:
    """The `dc:Bounds` element as a `Box`, or None when missing or not numeric."""
    if node is None:
        return None
    try:
        return Box(
            float(node.get("x", "0")),
            float(node.get("y", "0")),
            float(node.get("width", "0")),
            float(node.get("height", "0")),
        )
    except ValueError:
        return None


def semantic_index(root: ET.Element) -> dict[str, ET.Element]:
    """Every element with an id, by id."""
    return {e.get("id", ""): e for e in root.iter() if e.get("id")}


def di_planes(root: ET.Element, semantic: dict[str, ET.Element]) -> list[Plane]:
    """Read every `BPMNPlane` that draws something, in document order."""
    planes = []
    for node in root.iter(f"{BPMNDI}BPMNPlane"):
        owner = semantic.get(node.get("bpmnElement", ""))
        title = (owner.get("name") or owner.get("id") or "") if owner is not None else ""
        plane = Plane(title)
        for shape in node.findall(f"{BPMNDI}BPMNShape"):
            ref = shape.get("bpmnElement", "")
            element = semantic.get(ref)
            box = box_of(shape.find(f"{DC}Bounds"))
            if element is None or box is None:
                continue
            label = box_of(shape.find(f"{BPMNDI}BPMNLabel/{DC}Bounds"))
            plane.shapes.append(
                Shape(ref, element, box, label, expanded=shape.get("isExpanded") == "true")
            )
        for edge in node.findall(f"{BPMNDI}BPMNEdge"):
            ref = edge.get("bpmnElement", "")
            try:
                points = tuple(
                    (float(p.get("x", "0")), float(p.get("y", "0")))
                    for p in edge.findall(f"{DI}waypoint")
                )
            except ValueError:
                continue
            if not ref or len(points) < 2:  # noqa: PLR2004 - a line needs two points
                continue
            label = box_of(edge.find(f"{BPMNDI}BPMNLabel/{DC}Bounds"))
            plane.edges.append(Edge(ref, semantic.get(ref), points, label))
        if plane.shapes or plane.edges:
            planes.append(plane)
    return planes


def undrawn_containers(root: ET.Element, planes: list[Plane]) -> list[ET.Element]:
    """Processes and sub-processes with flow nodes of which no plane draws any.

    A sub-process inside one of these is not listed: laying its parent out draws it.
    """
    drawn = {s.ref for p in planes for s in p.shapes}
    found: list[ET.Element] = []

    def visit(container: ET.Element) -> None:
        nodes = [c for c in container if local(c.tag) in FLOW_NODES]
        if nodes and not drawn.intersection(n.get("id") for n in nodes):
            found.append(container)
            return
        for child in nodes:
            if local(child.tag) in CONTAINERS:
                visit(child)

    for process in root.iter(f"{BPMN}process"):
        visit(process)
    return found
