"""Draw BPMN diagrams as SVG, marked with what ran: instances, definitions, test coverage.

The shapes come from the diagram's BPMN DI, as Camunda Modeler saved them; a process drawn
without DI gets an automatic left-to-right layout. Each element is coloured by its `Mark`
(active, incident, taken, ...), so the same drawing code serves `LifecycleManager.render`,
the Cockpit pages and the pytest coverage report. Nothing here touches the engine: it reads
the XML and plain records.

Example:
    >>> from modelop_mlc.drawing import Mark, render_svg
    >>> marks = {"review": Mark("active", note="task for approvers")}
    >>> svg = render_svg(xml, marks)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

from modelop_mlc.drawing._bpmn import escape, parse
from modelop_mlc.drawing._layout import layout_process
from modelop_mlc.drawing._marks import definition_marks, instance_marks
from modelop_mlc.drawing._planes import Plane, di_planes, semantic_index, undrawn_containers
from modelop_mlc.drawing._shapes import FONT, num
from modelop_mlc.drawing._svg import STATES, Drawing, Mark, Style, paint

__all__ = [
    "STATES",
    "Drawing",
    "Mark",
    "Style",
    "definition_marks",
    "instance_marks",
    "planes",
    "render_drawings",
    "render_svg",
]

_TITLE = 22.0


def planes(xml: str) -> list[Plane]:
    """The planes of a BPMN file: its DI planes, plus a laid-out one per process without DI.

    A collapsed sub-process whose contents have no DI plane of their own gets one too.

    Raises:
        ValueError: If the XML is not well-formed or has a DOCTYPE.
    """
    root = parse(xml)
    found = di_planes(root, semantic_index(root))
    return found + [layout_process(p) for p in undrawn_containers(root, found)]


def render_drawings(xml: str, marks: Mapping[str, Mark] | None = None) -> list[Drawing]:
    """Draw each plane of a BPMN file separately (`Drawing.svg()` gives its SVG).

    Raises:
        ValueError: If the XML is not well-formed or has a DOCTYPE.
    """
    painted = [paint(p, marks or {}) for p in planes(xml)]
    return [d for d in painted if d is not None]


def render_svg(xml: str, marks: Mapping[str, Mark] | None = None) -> str:
    """Draw a BPMN file as one SVG document, its planes stacked under their titles.

    Args:
        xml: The BPMN XML.
        marks: Element id to how it is drawn; unmarked elements are plain ink.

    Returns:
        The SVG text (an `<svg>` root with a `viewBox`, scalable).

    Raises:
        ValueError: If the XML is not well-formed or has a DOCTYPE.
    """
    painted = render_drawings(xml, marks)
    if len(painted) == 1:
        return painted[0].svg()
    return _stack(painted)


def _stack(drawings: list[Drawing]) -> str:
    width = max((d.width for d in drawings), default=100.0)
    parts = []
    top = 0.0
    for drawing in drawings:
        parts.append(
            f'<text class="mlc-plane-title" x="4" y="{num(top + 15)}" font-size="{FONT + 2}" '
            f'font-weight="bold" fill="#222">{escape(drawing.title)}</text>'
        )
        top += _TITLE
        parts.append(
            f'<svg x="0" y="{num(top)}" width="{num(drawing.width)}" '
            f'height="{num(drawing.height)}" viewBox="{num(drawing.x)} {num(drawing.y)} '
            f'{num(drawing.width)} {num(drawing.height)}">{drawing.body}</svg>'
        )
        top += drawing.height
    height = max(top, 40.0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mlc-diagram" role="img" '
        f'viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" height="{num(height)}" '
        f'font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">\n'
        + "\n".join(parts)
        + "\n</svg>"
    )
