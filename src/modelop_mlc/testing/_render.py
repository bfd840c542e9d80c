"""HTML coverage reports: each diagram drawn from its BPMN DI as SVG, covered parts in green.

BPMN DI gives every shape its bounds (`bpmndi:BPMNShape` → `dc:Bounds`) and every edge its
waypoints (`bpmndi:BPMNEdge` → `di:waypoint`); this module turns them into rectangles, circles,
diamonds and polylines in the style of the Camunda Modeler, enough to recognise the diagram.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from modelop_mlc.testing._coverage import (
    _ACTIVITIES,
    _CONTAINERS,
    _EVENTS,
    _GATEWAYS,
    BPMNDI,
    DC,
    DI,
    DiagramCoverage,
    Element,
    _local,
    _parse,
    escape,
)

__all__ = ["render_index", "render_report", "render_svgs"]

GREEN = "#1b7f3b"
GREEN_FILL = "#d8f3dc"
GREY = "#9a9a9a"
GREY_FILL = "#f3f3f3"
INK = "#4a4a4a"
FONT = 11
_PAD = 20
_TASK_MARKERS = {
    "userTask": "user",
    "serviceTask": "service",
    "scriptTask": "script",
    "businessRuleTask": "rule",
    "sendTask": "send",
    "receiveTask": "receive",
    "manualTask": "manual",
    "callActivity": "call",
}


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _box(node: ET.Element | None) -> _Box | None:
    if node is None:
        return None
    try:
        return _Box(
            float(node.get("x", "0")),
            float(node.get("y", "0")),
            float(node.get("width", "0")),
            float(node.get("height", "0")),
        )
    except ValueError:
        return None


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------- SVG


def render_svgs(diagram: DiagramCoverage) -> list[tuple[str, str]]:
    """Draw each BPMN DI plane of the diagram: `(title, svg)` pairs; empty without DI."""
    root = _parse(diagram.xml)
    semantic = {e.get("id"): e for e in root.iter() if e.get("id")}
    drawings = []
    for plane in root.iter(f"{BPMNDI}BPMNPlane"):
        svg = _Svg(diagram, semantic).draw(plane)
        if svg is not None:
            owner = semantic.get(plane.get("bpmnElement"))
            title = (owner.get("name") or owner.get("id") or "") if owner is not None else ""
            drawings.append((title, svg))
    return drawings


class _Svg:
    """Draws one BPMN DI plane."""

    def __init__(self, diagram: DiagramCoverage, semantic: dict[str | None, ET.Element]) -> None:
        self.diagram = diagram
        self.semantic = semantic
        self.xs: list[float] = []
        self.ys: list[float] = []

    def draw(self, plane: ET.Element) -> str | None:
        shapes = plane.findall(f"{BPMNDI}BPMNShape")
        edges = plane.findall(f"{BPMNDI}BPMNEdge")
        if not shapes and not edges:
            return None
        back: list[str] = []
        middle: list[str] = []
        front: list[str] = []
        for shape in shapes:
            ref = shape.get("bpmnElement")
            element = self.semantic.get(ref)
            box = _box(shape.find(f"{DC}Bounds"))
            if element is None or box is None or ref is None:
                continue
            tag = _local(element.tag)
            self._extent(box)
            label = _box(shape.find(f"{BPMNDI}BPMNLabel/{DC}Bounds"))
            if label is not None:
                self._extent(label)
            elif tag in _EVENTS | _GATEWAYS and element.get("name"):
                self._extent(_default_label_box(element.get("name"), box))
            expanded = shape.get("isExpanded") == "true"
            if tag in {"participant", "lane"} or (tag in _CONTAINERS and expanded):
                back.append(self._shape(ref, tag, element, box, label, expanded=expanded))
            elif tag == "boundaryEvent":
                front.append(self._shape(ref, tag, element, box, label, expanded=False))
            else:
                middle.append(self._shape(ref, tag, element, box, label, expanded=expanded))
        lines = [self._edge(edge) for edge in edges]
        if not self.xs:
            return None
        x0, y0 = min(self.xs) - _PAD, min(self.ys) - _PAD
        width, height = max(self.xs) - x0 + _PAD, max(self.ys) - y0 + _PAD
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="mlc-diagram" role="img" '
            f'viewBox="{_num(x0)} {_num(y0)} {_num(width)} {_num(height)}" '
            f'width="{_num(width)}" height="{_num(height)}" '
            f'font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">'
        )
        return "\n".join(
            [head, _defs(), *back, *[line for line in lines if line], *middle, *front, "</svg>"]
        )

    def _extent(self, box: _Box) -> None:
        self.xs += [box.x, box.x + box.w]
        self.ys += [box.y, box.y + box.h]

    def _state(self, element_id: str) -> str:
        if self.diagram.is_covered(element_id):
            return "covered"
        if element_id in self.diagram.nodes or element_id in self.diagram.flows:
            return "uncovered"
        return "other"

    # ------------------------------------------------------------------ shapes

    def _shape(
        self,
        ref: str,
        tag: str,
        element: ET.Element,
        box: _Box,
        label: _Box | None,
        *,
        expanded: bool,
    ) -> str:
        state = self._state(ref)
        stroke, fill, weight = _colours(state)
        name = element.get("name")
        title = f"{tag} {ref}" + (f": {name}" if name else "") + f" ({_state_text(state)})"
        parts = [
            (
                f'<g class="mlc-element {state}" data-element-id="{escape(ref)}" '
                f'data-element-type="{tag}"><title>{escape(title)}</title>'
            )
        ]
        if tag in _EVENTS:
            parts += _event(tag, element, box, stroke, fill, weight)
            parts.append(_outside_label(name, box, label))
        elif tag in _GATEWAYS:
            parts += _gateway(tag, box, stroke, fill, weight)
            parts.append(_outside_label(name, box, label))
        elif tag in {"participant", "lane"}:
            parts.append(_rect(box, INK, "none", 1, radius=0))
            parts.append(_vertical_label(name, box))
        elif tag in _ACTIVITIES:
            parts += _activity(tag, element, box, stroke, fill, weight, expanded=expanded)
            if tag in _CONTAINERS and expanded:
                parts.append(
                    _text_lines(_wrap(name, box.w - 10), box.x + 6, box.y + 14, anchor="start")
                )
            else:
                parts.append(_inside_label(name, box))
        else:
            parts.append(_rect(box, GREY, "none", 1, radius=0, dashed=True))
            parts.append(_inside_label(name or element.get("text"), box))
        parts.append("</g>")
        return "".join(parts)

    def _edge(self, edge: ET.Element) -> str:
        ref = edge.get("bpmnElement")
        points = [
            (float(p.get("x", "0")), float(p.get("y", "0"))) for p in edge.findall(f"{DI}waypoint")
        ]
        if ref is None or len(points) < 2:  # noqa: PLR2004 - a line needs two points
            return ""
        for x, y in points:
            self.xs.append(x)
            self.ys.append(y)
        element = self.semantic.get(ref)
        tag = _local(element.tag) if element is not None else "edge"
        state = self._state(ref)
        stroke, _, weight = _colours(state)
        name = element.get("name") if element is not None else None
        title = f"{tag} {ref}" + (f": {name}" if name else "") + f" ({_state_text(state)})"
        dashed = ' stroke-dasharray="4 3"' if tag in {"association", "messageFlow"} else ""
        marker = f' marker-end="url(#mlc-arrow-{state})"' if tag == "sequenceFlow" else ""
        coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        parts = [
            (
                f'<g class="mlc-flow {state}" data-element-id="{escape(ref)}" '
                f'data-element-type="{tag}"><title>{escape(title)}</title>'
                f'<polyline points="{coords}" fill="none" stroke="{stroke}" '
                f'stroke-width="{weight}"{dashed}{marker}/>'
            )
        ]
        label = _box(edge.find(f"{BPMNDI}BPMNLabel/{DC}Bounds"))
        if name and label is not None:
            self._extent(label)
            parts.append(_text_lines(_wrap(name, max(label.w, 60)), label.cx, label.y + 10))
        elif name:
            x, y = _midpoint(points)
            parts.append(_text_lines([name], x + 4, y - 4, anchor="start"))
        parts.append("</g>")
        return "".join(parts)


def _midpoint(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The point halfway along a polyline (where bpmn-js puts a label without bounds)."""
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(points)]
    remaining = sum(lengths) / 2
    for (a, b), length in zip(itertools.pairwise(points), lengths, strict=True):
        if length >= remaining and length > 0:
            share = remaining / length
            return a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share
        remaining -= length
    return points[0]


def _colours(state: str) -> tuple[str, str, float]:
    if state == "covered":
        return GREEN, GREEN_FILL, 2.5
    if state == "uncovered":
        return GREY, GREY_FILL, 1.5
    return INK, "#ffffff", 1.0


def _state_text(state: str) -> str:
    return {"covered": "covered", "uncovered": "not covered"}.get(state, "not counted")


def _defs() -> str:
    markers = []
    for state in ("covered", "uncovered", "other"):
        colour = _colours(state)[0]
        markers.append(
            f'<marker id="mlc-arrow-{state}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    return f"<defs>{''.join(markers)}</defs>"


def _rect(
    box: _Box,
    stroke: str,
    fill: str,
    weight: float,
    *,
    radius: float = 10,
    dashed: bool = False,
    dotted: bool = False,
) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else (' stroke-dasharray="2 3"' if dotted else "")
    return (
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" '
        f'height="{_num(box.h)}" rx="{_num(radius)}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{weight}"{dash}/>'
    )


def _circle(cx: float, cy: float, r: float, stroke: str, fill: str, weight: float) -> str:
    return (
        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{weight}"/>'
    )


def _event(
    tag: str, element: ET.Element, box: _Box, stroke: str, fill: str, weight: float
) -> list[str]:
    r = min(box.w, box.h) / 2
    parts = [_circle(box.cx, box.cy, r, stroke, fill, weight * 2 if tag == "endEvent" else weight)]
    if tag in {"intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}:
        parts.append(_circle(box.cx, box.cy, r - 3, stroke, "none", 1))
    kinds = {_local(child.tag) for child in element}
    parts += _event_glyph(kinds, box.cx, box.cy, r * 0.55, stroke)
    return parts


def _event_glyph(kinds: set[str], cx: float, cy: float, s: float, stroke: str) -> list[str]:
    if "timerEventDefinition" in kinds:
        return [
            _circle(cx, cy, s, stroke, "none", 1.2),
            (
                f'<path d="M{_num(cx)},{_num(cy - s * 0.8)} L{_num(cx)},{_num(cy)} '
                f'L{_num(cx + s * 0.6)},{_num(cy)}" fill="none" stroke="{stroke}" '
                'stroke-width="1.2"/>'
            ),
        ]
    if "messageEventDefinition" in kinds:
        x, y, w, h = cx - s, cy - s * 0.65, 2 * s, 1.3 * s
        return [
            (
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                f'fill="none" stroke="{stroke}"/>'
                f'<path d="M{_num(x)},{_num(y)} L{_num(cx)},{_num(cy)} L{_num(x + w)},{_num(y)}" '
                f'fill="none" stroke="{stroke}"/>'
            )
        ]
    if "signalEventDefinition" in kinds:
        return [
            (
                f'<path d="M{_num(cx)},{_num(cy - s)} L{_num(cx + s)},{_num(cy + s * 0.7)} '
                f'L{_num(cx - s)},{_num(cy + s * 0.7)} z" fill="none" stroke="{stroke}"/>'
            )
        ]
    if "errorEventDefinition" in kinds:
        return [
            (
                f'<path d="M{_num(cx - s)},{_num(cy + s)} L{_num(cx - s * 0.4)},{_num(cy - s)} '
                f'L{_num(cx + s * 0.2)},{_num(cy + s * 0.2)} L{_num(cx + s)},{_num(cy - s)}" '
                f'fill="none" stroke="{stroke}" stroke-width="1.2"/>'
            )
        ]
    if "terminateEventDefinition" in kinds:
        return [_circle(cx, cy, s, stroke, stroke, 1)]
    if "escalationEventDefinition" in kinds:
        return [
            (
                f'<path d="M{_num(cx)},{_num(cy - s)} L{_num(cx + s * 0.7)},{_num(cy + s)} '
                f'L{_num(cx)},{_num(cy + s * 0.3)} L{_num(cx - s * 0.7)},{_num(cy + s)} z" '
                f'fill="none" stroke="{stroke}"/>'
            )
        ]
    return []


def _gateway(tag: str, box: _Box, stroke: str, fill: str, weight: float) -> list[str]:
    cx, cy, hw, hh = box.cx, box.cy, box.w / 2, box.h / 2
    parts = [
        (
            f'<polygon points="{_num(cx)},{_num(box.y)} {_num(box.x + box.w)},{_num(cy)} '
            f'{_num(cx)},{_num(box.y + box.h)} {_num(box.x)},{_num(cy)}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{weight}"/>'
        )
    ]
    s = min(hw, hh) * 0.4
    line = f'stroke="{stroke}" stroke-width="3" fill="none"'
    if tag == "exclusiveGateway":
        parts.append(
            f'<path d="M{_num(cx - s)},{_num(cy - s)} L{_num(cx + s)},{_num(cy + s)} '
            f'M{_num(cx + s)},{_num(cy - s)} L{_num(cx - s)},{_num(cy + s)}" {line}/>'
        )
    elif tag == "parallelGateway":
        parts.append(
            f'<path d="M{_num(cx)},{_num(cy - s * 1.2)} L{_num(cx)},{_num(cy + s * 1.2)} '
            f'M{_num(cx - s * 1.2)},{_num(cy)} L{_num(cx + s * 1.2)},{_num(cy)}" {line}/>'
        )
    elif tag == "inclusiveGateway":
        parts.append(_circle(cx, cy, s * 1.1, stroke, "none", 2.5))
    elif tag == "eventBasedGateway":
        parts.append(_circle(cx, cy, s * 1.2, stroke, "none", 1))
        parts.append(_circle(cx, cy, s * 0.9, stroke, "none", 1))
    elif tag == "complexGateway":
        d = s * math.sqrt(0.5)
        parts.append(
            f'<path d="M{_num(cx)},{_num(cy - s)} L{_num(cx)},{_num(cy + s)} '
            f"M{_num(cx - s)},{_num(cy)} L{_num(cx + s)},{_num(cy)} "
            f"M{_num(cx - d)},{_num(cy - d)} L{_num(cx + d)},{_num(cy + d)} "
            f'M{_num(cx + d)},{_num(cy - d)} L{_num(cx - d)},{_num(cy + d)}" {line}/>'
        )
    return parts


def _activity(
    tag: str,
    element: ET.Element,
    box: _Box,
    stroke: str,
    fill: str,
    weight: float,
    *,
    expanded: bool,
) -> list[str]:
    event_sub = element.get("triggeredByEvent") == "true"
    if tag in _CONTAINERS and expanded:
        fill = "none" if fill == "#ffffff" else fill
        return [_rect(box, stroke, fill, weight, dotted=event_sub)]
    parts = [
        _rect(box, stroke, fill, weight * (2 if tag == "callActivity" else 1), dotted=event_sub)
    ]
    if tag == "transaction":
        inner = _Box(box.x + 3, box.y + 3, box.w - 6, box.h - 6)
        parts.append(_rect(inner, stroke, "none", 1, radius=8))
    marker = _TASK_MARKERS.get(tag)
    if marker:
        parts.append(
            f'<text x="{_num(box.x + 5)}" y="{_num(box.y + 11)}" font-size="8" '
            f'fill="{stroke}">{marker}</text>'
        )
    if tag in _CONTAINERS:
        size = 12
        x, y = box.cx - size / 2, box.y + box.h - size - 3
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{size}" height="{size}" fill="none" '
            f'stroke="{stroke}"/><path d="M{_num(x + 3)},{_num(y + 6)} L{_num(x + 9)},'
            f'{_num(y + 6)} M{_num(x + 6)},{_num(y + 3)} L{_num(x + 6)},{_num(y + 9)}" '
            f'stroke="{stroke}"/>'
        )
    return parts


# ---------------------------------------------------------------------- text


def _wrap(text: str | None, width: float, size: float = FONT) -> list[str]:
    if not text:
        return []
    per_line = max(int(width / (size * 0.58)), 4)
    lines: list[str] = []
    for paragraph in text.splitlines():
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if len(candidate) <= per_line or not current:
                current = candidate
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
    return lines


def _text_lines(
    lines: Sequence[str], x: float, y: float, *, anchor: str = "middle", size: float = FONT
) -> str:
    if not lines:
        return ""
    spans = "".join(
        f'<tspan x="{_num(x)}" dy="{0 if i == 0 else _num(size * 1.2)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="#222">{spans}</text>'


def _inside_label(name: str | None, box: _Box) -> str:
    lines = _wrap(name, box.w - 8)
    top = box.cy - (len(lines) - 1) * FONT * 0.6 + FONT * 0.35
    return _text_lines(lines, box.cx, top)


def _outside_label(name: str | None, box: _Box, label: _Box | None) -> str:
    if label is not None:
        return _text_lines(_wrap(name, max(label.w, 60)), label.cx, label.y + FONT)
    return _text_lines(_wrap(name, max(box.w * 2.5, 90)), box.cx, box.y + box.h + FONT + 3)


def _default_label_box(name: str | None, box: _Box) -> _Box:
    """Where `_outside_label` puts a label without DI bounds, so the drawing includes it."""
    lines = _wrap(name, max(box.w * 2.5, 90))
    width = max((len(line) for line in lines), default=0) * FONT * 0.62
    return _Box(box.cx - width / 2, box.y + box.h, width, (len(lines) + 0.5) * FONT * 1.2)


def _vertical_label(name: str | None, box: _Box) -> str:
    if not name:
        return ""
    x, y = box.x + 15, box.cy
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="middle" fill="#222" '
        f'transform="rotate(-90 {_num(x)} {_num(y)})">{escape(name)}</text>'
    )


# ---------------------------------------------------------------------- HTML

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: 4px 10px; border-bottom: 1px solid #ddd;
text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.diagram { overflow: auto; border: 1px solid #ddd; padding: 8px; background: #fff; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; border: 2px solid; }
.legend .covered { border-color: #1b7f3b; background: #d8f3dc; }
.legend .uncovered { border-color: #9a9a9a; background: #f3f3f3; }
.bar { width: 120px; height: 10px; background: #e6e6e6; display: inline-block; }
.bar span { display: block; height: 10px; background: #1b7f3b; }
code { background: #f5f5f5; padding: 1px 4px; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n"
        "</body></html>\n"
    )


def _element_rows(elements: Sequence[Element]) -> str:
    if not elements:
        return "<p>None.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(e.id)}</code></td><td>{escape(e.type)}</td>"
        f"<td>{escape(e.name)}</td><td>{escape(e.process)}</td></tr>"
        for e in elements
    )
    return (
        "<table><thead><tr><th>Id</th><th>Type</th><th>Name</th><th>Process</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_report(diagram: DiagramCoverage, label: str) -> str:
    """The HTML report of one diagram: summary, drawing, then uncovered and covered lists."""
    uncovered = diagram.uncovered()
    covered = [
        e for e in [*diagram.nodes.values(), *diagram.flows.values()] if diagram.is_covered(e.id)
    ]
    drawings = render_svgs(diagram)
    if drawings:
        figures = "".join(
            (f"<h2>{escape(title)}</h2>" if len(drawings) > 1 else "")
            + f'<div class="diagram">{svg}</div>'
            for title, svg in drawings
        )
        legend = (
            '<p class="legend"><span class="covered">covered</span>'
            '<span class="uncovered">not covered</span></p>'
        )
    else:
        figures = (
            '<p class="no-di">This diagram has no BPMN DI (layout information), so it cannot '
            "be drawn; the lists below show what was covered.</p>"
        )
        legend = ""
    tests = "".join(f"<li><code>{escape(t)}</code></li>" for t in sorted(diagram.tests))
    body = (
        '<p><a href="index.html">All diagrams</a></p>'
        f"<h1>{escape(label)}</h1>"
        f'<p class="summary">Flow nodes {len(diagram.covered_nodes)}/{len(diagram.nodes)} · '
        f"sequence flows {len(diagram.covered_flows)}/{len(diagram.flows)} · "
        f"<strong>{diagram.percent:.1f}%</strong> covered by {diagram.instances} "
        f"instance{'s' if diagram.instances != 1 else ''}</p>"
        f"{legend}{figures}"
        f"<h2>Not covered ({len(uncovered)})</h2>{_element_rows(uncovered)}"
        f"<h2>Covered ({len(covered)})</h2>{_element_rows(covered)}"
        f"<h2>Tests</h2><ul>{tests or '<li>none recorded</li>'}</ul>"
    )
    return _page(f"MLC process coverage: {label}", body)


def render_index(
    diagrams: Sequence[DiagramCoverage], names: dict[str, str], percent: float | None
) -> str:
    """The index page: one row per diagram with a link to its report."""
    rows = "".join(
        f'<tr><td><a href="{escape(d.filename())}">{escape(names[d.digest])}</a></td>'
        f'<td class="num">{len(d.covered_nodes)}/{len(d.nodes)}</td>'
        f'<td class="num">{len(d.covered_flows)}/{len(d.flows)}</td>'
        f'<td class="num">{d.percent:.1f}%</td>'
        f'<td><span class="bar"><span style="width:{d.percent:.0f}%"></span></span></td></tr>'
        for d in diagrams
    )
    total = "-" if percent is None else f"{percent:.1f}%"
    body = (
        f"<h1>MLC process coverage: {total}</h1>"
        "<table><thead><tr><th>Diagram</th><th>Flow nodes</th><th>Sequence flows</th>"
        f"<th>Covered</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _page("MLC process coverage", body)
