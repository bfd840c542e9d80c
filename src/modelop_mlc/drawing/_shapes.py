"""SVG primitives for BPMN shapes, in the style of the Camunda Modeler.

Events are circles (a double ring for intermediate ones, a thick one for ends) with a glyph
for their trigger, gateways diamonds with their marker, activities rounded rectangles with a
type marker; enough to recognise a diagram at a glance.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from modelop_mlc.drawing._bpmn import CONTAINERS, escape, local
from modelop_mlc.drawing._planes import Box

__all__ = [
    "FONT",
    "activity",
    "circle",
    "default_label_box",
    "event",
    "event_glyph",
    "gateway",
    "inside_label",
    "num",
    "outside_label",
    "rect",
    "text_lines",
    "vertical_label",
    "wrap",
]

FONT = 11
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


def num(value: float) -> str:
    """A coordinate as short text (`12`, `12.5`)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def rect(
    box: Box,
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
        f'<rect x="{num(box.x)}" y="{num(box.y)}" width="{num(box.w)}" '
        f'height="{num(box.h)}" rx="{num(radius)}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{weight}"{dash}/>'
    )


def circle(cx: float, cy: float, r: float, stroke: str, fill: str, weight: float) -> str:
    return (
        f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(r)}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{weight}"/>'
    )


def event(
    tag: str, element: ET.Element, box: Box, stroke: str, fill: str, weight: float
) -> list[str]:
    r = min(box.w, box.h) / 2
    parts = [circle(box.cx, box.cy, r, stroke, fill, weight * 2 if tag == "endEvent" else weight)]
    if tag in {"intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}:
        parts.append(circle(box.cx, box.cy, r - 3, stroke, "none", 1))
    kinds = {local(child.tag) for child in element}
    parts += event_glyph(kinds, box.cx, box.cy, r * 0.55, stroke)
    return parts


def event_glyph(kinds: set[str], cx: float, cy: float, s: float, stroke: str) -> list[str]:
    if "timerEventDefinition" in kinds:
        return [
            circle(cx, cy, s, stroke, "none", 1.2),
            (
                f'<path d="M{num(cx)},{num(cy - s * 0.8)} L{num(cx)},{num(cy)} '
                f'L{num(cx + s * 0.6)},{num(cy)}" fill="none" stroke="{stroke}" '
                'stroke-width="1.2"/>'
            ),
        ]
    if "messageEventDefinition" in kinds:
        x, y, w, h = cx - s, cy - s * 0.65, 2 * s, 1.3 * s
        return [
            (
                f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
                f'fill="none" stroke="{stroke}"/>'
                f'<path d="M{num(x)},{num(y)} L{num(cx)},{num(cy)} L{num(x + w)},{num(y)}" '
                f'fill="none" stroke="{stroke}"/>'
            )
        ]
    if "signalEventDefinition" in kinds:
        return [
            (
                f'<path d="M{num(cx)},{num(cy - s)} L{num(cx + s)},{num(cy + s * 0.7)} '
                f'L{num(cx - s)},{num(cy + s * 0.7)} z" fill="none" stroke="{stroke}"/>'
            )
        ]
    if "errorEventDefinition" in kinds:
        return [
            (
                f'<path d="M{num(cx - s)},{num(cy + s)} L{num(cx - s * 0.4)},{num(cy - s)} '
                f'L{num(cx + s * 0.2)},{num(cy + s * 0.2)} L{num(cx + s)},{num(cy - s)}" '
                f'fill="none" stroke="{stroke}" stroke-width="1.2"/>'
            )
        ]
    if "terminateEventDefinition" in kinds:
        return [circle(cx, cy, s, stroke, stroke, 1)]
    if "escalationEventDefinition" in kinds:
        return [
            (
                f'<path d="M{num(cx)},{num(cy - s)} L{num(cx + s * 0.7)},{num(cy + s)} '
                f'L{num(cx)},{num(cy + s * 0.3)} L{num(cx - s * 0.7)},{num(cy + s)} z" '
                f'fill="none" stroke="{stroke}"/>'
            )
        ]
    return []


def gateway(tag: str, box: Box, stroke: str, fill: str, weight: float) -> list[str]:
    cx, cy, hw, hh = box.cx, box.cy, box.w / 2, box.h / 2
    parts = [
        (
            f'<polygon points="{num(cx)},{num(box.y)} {num(box.x + box.w)},{num(cy)} '
            f'{num(cx)},{num(box.y + box.h)} {num(box.x)},{num(cy)}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{weight}"/>'
        )
    ]
    s = min(hw, hh) * 0.4
    line = f'stroke="{stroke}" stroke-width="3" fill="none"'
    if tag == "exclusiveGateway":
        parts.append(
            f'<path d="M{num(cx - s)},{num(cy - s)} L{num(cx + s)},{num(cy + s)} '
            f'M{num(cx + s)},{num(cy - s)} L{num(cx - s)},{num(cy + s)}" {line}/>'
        )
    elif tag == "parallelGateway":
        parts.append(
            f'<path d="M{num(cx)},{num(cy - s * 1.2)} L{num(cx)},{num(cy + s * 1.2)} '
            f'M{num(cx - s * 1.2)},{num(cy)} L{num(cx + s * 1.2)},{num(cy)}" {line}/>'
        )
    elif tag == "inclusiveGateway":
        parts.append(circle(cx, cy, s * 1.1, stroke, "none", 2.5))
    elif tag == "eventBasedGateway":
        parts.append(circle(cx, cy, s * 1.2, stroke, "none", 1))
        parts.append(circle(cx, cy, s * 0.9, stroke, "none", 1))
    elif tag == "complexGateway":
        d = s * math.sqrt(0.5)
        parts.append(
            f'<path d="M{num(cx)},{num(cy - s)} L{num(cx)},{num(cy + s)} '
            f"M{num(cx - s)},{num(cy)} L{num(cx + s)},{num(cy)} "
            f"M{num(cx - d)},{num(cy - d)} L{num(cx + d)},{num(cy + d)} "
            f'M{num(cx + d)},{num(cy - d)} L{num(cx - d)},{num(cy + d)}" {line}/>'
        )
    return parts


def activity(
    tag: str,
    element: ET.Element,
    box: Box,
    stroke: str,
    fill: str,
    weight: float,
    *,
    expanded: bool,
) -> list[str]:
    event_sub = element.get("triggeredByEvent") == "true"
    if tag in CONTAINERS and expanded:
        fill = "none" if fill == "#ffffff" else fill
        return [rect(box, stroke, fill, weight, dotted=event_sub)]
    parts = [
        rect(box, stroke, fill, weight * (2 if tag == "callActivity" else 1), dotted=event_sub)
    ]
    if tag == "transaction":
        inner = Box(box.x + 3, box.y + 3, box.w - 6, box.h - 6)
        parts.append(rect(inner, stroke, "none", 1, radius=8))
    marker = _TASK_MARKERS.get(tag)
    if marker:
        parts.append(
            f'<text x="{num(box.x + 5)}" y="{num(box.y + 11)}" font-size="8" '
            f'fill="{stroke}">{marker}</text>'
        )
    if tag in CONTAINERS:
        size = 12
        x, y = box.cx - size / 2, box.y + box.h - size - 3
        parts.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{size}" height="{size}" fill="none" '
            f'stroke="{stroke}"/><path d="M{num(x + 3)},{num(y + 6)} L{num(x + 9)},'
            f'{num(y + 6)} M{num(x + 6)},{num(y + 3)} L{num(x + 6)},{num(y + 9)}" '
            f'stroke="{stroke}"/>'
        )
    return parts


def wrap(text: str | None, width: float, size: float = FONT) -> list[str]:
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


def text_lines(
    lines: Sequence[str], x: float, y: float, *, anchor: str = "middle", size: float = FONT
) -> str:
    if not lines:
        return ""
    spans = "".join(
        f'<tspan x="{num(x)}" dy="{0 if i == 0 else num(size * 1.2)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}" fill="#222">{spans}</text>'


def inside_label(name: str | None, box: Box) -> str:
    lines = wrap(name, box.w - 8)
    top = box.cy - (len(lines) - 1) * FONT * 0.6 + FONT * 0.35
    return text_lines(lines, box.cx, top)


def outside_label(name: str | None, box: Box, label: Box | None) -> str:
    if label is not None:
        return text_lines(wrap(name, max(label.w, 60)), label.cx, label.y + FONT)
    return text_lines(wrap(name, max(box.w * 2.5, 90)), box.cx, box.y + box.h + FONT + 3)


def default_label_box(name: str | None, box: Box) -> Box:
    """Where `_outside_label` puts a label without DI bounds, so the drawing includes it."""
    lines = wrap(name, max(box.w * 2.5, 90))
    width = max((len(line) for line in lines), default=0) * FONT * 0.62
    return Box(box.cx - width / 2, box.y + box.h, width, (len(lines) + 0.5) * FONT * 1.2)


def vertical_label(name: str | None, box: Box) -> str:
    if not name:
        return ""
    x, y = box.x + 15, box.cy
    return (
        f'<text x="{num(x)}" y="{num(y)}" text-anchor="middle" fill="#222" '
        f'transform="rotate(-90 {num(x)} {num(y)})">{escape(name)}</text>'
    )
