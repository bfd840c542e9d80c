"""Paint planes as SVG, each element coloured by its `Mark`.

Every shape and edge is a `<g>` carrying `data-element-id`, `data-element-type` and a class
naming its state (`mlc-element active`, `mlc-flow taken`, ...), so pages style it and tests
find it; counts and notes are drawn and also kept in `data-count` and `data-note`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelop_mlc.drawing._bpmn import ACTIVITIES, CONTAINERS, EVENTS, GATEWAYS, escape
from modelop_mlc.drawing._planes import Box, Edge, Plane, Shape
from modelop_mlc.drawing._shapes import (
    FONT,
    activity,
    default_label_box,
    event,
    gateway,
    inside_label,
    num,
    outside_label,
    rect,
    text_lines,
    vertical_label,
    wrap,
)

__all__ = ["STATES", "Drawing", "Mark", "Style", "paint"]

_PAD = 20


@dataclass(frozen=True)
class Mark:
    """How one element is drawn.

    Attributes:
        state: A key of `STATES`: `active`, `incident`, `taken`, `covered`, `uncovered`, or
            `other` (plain ink).
        count: How often the element ran or the flow was taken; drawn when more than once.
        note: A short text drawn above the element (a timer's due time, a task's group).
        detail: Longer text for the element's tooltip (an incident's message).
    """

    state: str = "other"
    count: int | None = None
    note: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Style:
    """The stroke, fill, stroke width and tooltip word of a state."""

    stroke: str
    fill: str
    weight: float
    label: str


GREEN = "#1b7f3b"
GREY = "#9a9a9a"
INK = "#4a4a4a"
STATES: dict[str, Style] = {
    "active": Style("#1565c0", "#dbeafe", 3.0, "active"),
    "incident": Style("#c62828", "#fde2e2", 3.0, "incident"),
    "taken": Style(GREEN, "#d8f3dc", 2.0, "taken"),
    "covered": Style(GREEN, "#d8f3dc", 2.5, "covered"),
    "uncovered": Style(GREY, "#f3f3f3", 1.5, "not covered"),
    "other": Style(INK, "#ffffff", 1.0, ""),
}
"""Every state a `Mark` can have, with how it is drawn."""
_PLAIN = Mark()


@dataclass(frozen=True)
class Drawing:
    """A painted plane: its title, SVG body and extent, and whether it was laid out for us."""

    title: str
    body: str
    x: float
    y: float
    width: float
    height: float
    automatic: bool = False

    def svg(self) -> str:
        """The plane as a standalone `<svg>` document."""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="mlc-diagram" role="img" '
            f'viewBox="{num(self.x)} {num(self.y)} {num(self.width)} {num(self.height)}" '
            f'width="{num(self.width)}" height="{num(self.height)}" '
            f'font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">\n'
            f"{self.body}\n</svg>"
        )


def paint(plane: Plane, marks: Mapping[str, Mark]) -> Drawing | None:
    """Paint `plane`, looking up each element's mark by id; None when nothing is drawn."""
    return _Painter(marks).paint(plane)


class _Painter:
    def __init__(self, marks: Mapping[str, Mark]) -> None:
        self.marks = marks
        self.xs: list[float] = []
        self.ys: list[float] = []

    def paint(self, plane: Plane) -> Drawing | None:
        back: list[str] = []
        middle: list[str] = []
        front: list[str] = []
        for shape in plane.shapes:
            tag = shape.tag
            self._extent(shape.box)
            name = shape.element.get("name")
            if shape.label is not None:
                self._extent(shape.label)
            elif tag in EVENTS | GATEWAYS and name:
                self._extent(default_label_box(name, shape.box))
            if tag in {"participant", "lane"} or (tag in CONTAINERS and shape.expanded):
                back.append(self._shape(shape))
            elif tag == "boundaryEvent":
                front.append(self._shape(shape))
            else:
                middle.append(self._shape(shape))
        lines = [self._edge(edge) for edge in plane.edges]
        if not self.xs:
            return None
        x0, y0 = min(self.xs) - _PAD, min(self.ys) - _PAD
        width, height = max(self.xs) - x0 + _PAD, max(self.ys) - y0 + _PAD
        body = "\n".join([_defs(), *back, *lines, *middle, *front])
        return Drawing(plane.title, body, x0, y0, width, height, plane.automatic)

    def _extent(self, box: Box) -> None:
        self.xs += [box.x, box.x + box.w]
        self.ys += [box.y, box.y + box.h]

    def _open(self, kind: str, ref: str, tag: str, mark: Mark, name: str | None) -> str:
        style = STATES.get(mark.state, STATES["other"])
        title = f"{tag} {ref}" + (f": {name}" if name else "")
        if style.label:
            title += f" ({style.label}"
            title += f", {mark.count} times)" if mark.count and mark.count > 1 else ")"
        if mark.note:
            title += f" - {mark.note}"
        if mark.detail:
            title += f"\n{mark.detail}"
        extra = f' data-count="{mark.count}"' if mark.count is not None else ""
        extra += f' data-note="{escape(mark.note)}"' if mark.note else ""
        return (
            f'<g class="mlc-{kind} {escape(mark.state)}" data-element-id="{escape(ref)}" '
            f'data-element-type="{tag}"{extra}><title>{escape(title)}</title>'
        )

    def _shape(self, shape: Shape) -> str:
        ref, tag, element, box, label = shape.ref, shape.tag, shape.element, shape.box, shape.label
        mark = self.marks.get(ref, _PLAIN)
        style = STATES.get(mark.state, STATES["other"])
        stroke, fill, weight = style.stroke, style.fill, style.weight
        name = element.get("name")
        parts = [self._open("element", ref, tag, mark, name)]
        if tag in EVENTS:
            parts += event(tag, element, box, stroke, fill, weight)
            parts.append(outside_label(name, box, label))
        elif tag in GATEWAYS:
            parts += gateway(tag, box, stroke, fill, weight)
            parts.append(outside_label(name, box, label))
        elif tag in {"participant", "lane"}:
            parts.append(rect(box, INK, "none", 1, radius=0))
            parts.append(vertical_label(name, box))
        elif tag in ACTIVITIES:
            parts += activity(tag, element, box, stroke, fill, weight, expanded=shape.expanded)
            if tag in CONTAINERS and shape.expanded:
                parts.append(
                    text_lines(wrap(name, box.w - 10), box.x + 6, box.y + 14, anchor="start")
                )
            else:
                parts.append(inside_label(name, box))
        else:
            parts.append(rect(box, GREY, "none", 1, radius=0, dashed=True))
            parts.append(inside_label(name or element.get("text"), box))
        if mark.count is not None and mark.count > 1:
            parts.append(_badge(box.x + box.w, box.y, str(mark.count), stroke))
        if mark.note:
            # Above the shape; below a boundary event (and its label), whose host is above it.
            y = box.y + box.h + 2.4 * FONT + 4 if tag == "boundaryEvent" else box.y - 5
            self.ys += [y - FONT, y + 4]
            parts.append(
                f'<text class="mlc-note" x="{num(box.cx)}" y="{num(y)}" '
                f'text-anchor="middle" font-size="{FONT - 1}" fill="{stroke}">'
                f"{escape(mark.note)}</text>"
            )
        parts.append("</g>")
        return "".join(parts)

    def _edge(self, edge: Edge) -> str:
        points = edge.points
        for x, y in points:
            self.xs.append(x)
            self.ys.append(y)
        tag = edge.tag
        mark = self.marks.get(edge.ref, _PLAIN)
        style = STATES.get(mark.state, STATES["other"])
        name = edge.element.get("name") if edge.element is not None else None
        dashed = ' stroke-dasharray="4 3"' if tag in {"association", "messageFlow"} else ""
        state = mark.state if mark.state in STATES else "other"
        marker = f' marker-end="url(#mlc-arrow-{state})"' if tag == "sequenceFlow" else ""
        coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        parts = [
            self._open("flow", edge.ref, tag, mark, name),
            (
                f'<polyline points="{coords}" fill="none" stroke="{style.stroke}" '
                f'stroke-width="{style.weight}"{dashed}{marker}/>'
            ),
        ]
        if name and edge.label is not None:
            self._extent(edge.label)
            parts.append(
                text_lines(wrap(name, max(edge.label.w, 60)), edge.label.cx, edge.label.y + 10)
            )
        elif name:
            x, y = _midpoint(points)
            parts.append(text_lines([name], x + 4, y - 4, anchor="start"))
        if mark.count is not None and mark.count > 1:
            x, y = _midpoint(points)
            parts.append(_badge(x, y, f"{mark.count}x", style.stroke))
        parts.append("</g>")
        return "".join(parts)


def _badge(x: float, y: float, text: str, colour: str) -> str:
    """A count in a small filled pill centred at (x, y)."""
    width = 8 + 6.5 * len(text)
    return (
        f'<g class="mlc-count"><rect x="{num(x - width / 2)}" y="{num(y - 8)}" '
        f'width="{num(width)}" height="16" rx="8" fill="{colour}"/>'
        f'<text x="{num(x)}" y="{num(y + 4)}" text-anchor="middle" font-size="{FONT - 1}" '
        f'font-weight="bold" fill="#ffffff">{escape(text)}</text></g>'
    )


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


def _defs() -> str:
    markers = "".join(
        f'<marker id="mlc-arrow-{state}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{style.stroke}"/></marker>'
        for state, style in STATES.items()
    )
    return f"<defs>{markers}</defs>"
