"""HTML coverage reports: each diagram drawn as SVG, covered parts in green.

The drawing is `modelop_mlc.drawing`'s, the one `LifecycleManager.render` uses: shapes from
the BPMN DI (or an automatic layout without it), covered elements marked `covered` and the
counted rest `uncovered`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from modelop_mlc.drawing import STATES, Mark, render_drawings
from modelop_mlc.drawing._bpmn import escape
from modelop_mlc.testing._coverage import (
    CoverageCollector,
    DiagramCoverage,
    Element,
    unique_names,
)

__all__ = ["render_index", "render_report", "render_svgs", "write_html"]

GREEN = STATES["covered"].stroke
GREY = STATES["uncovered"].stroke


def _marks(diagram: DiagramCoverage) -> dict[str, Mark]:
    counted = [*diagram.nodes, *diagram.flows]
    return {ref: Mark("covered" if diagram.is_covered(ref) else "uncovered") for ref in counted}


def render_svgs(diagram: DiagramCoverage) -> list[tuple[str, str]]:
    """Draw each plane of the diagram: `(title, svg)` pairs."""
    return [(d.title, d.svg()) for d in render_drawings(diagram.xml, _marks(diagram))]


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
    drawings = render_drawings(diagram.xml, _marks(diagram))
    automatic = (
        '<p class="no-di">This diagram has no BPMN DI (layout information); it is drawn '
        "with an automatic layout.</p>"
        if any(d.automatic for d in drawings)
        else ""
    )
    figures = "".join(
        (f"<h2>{escape(d.title)}</h2>" if len(drawings) > 1 else "")
        + f'<div class="diagram">{d.svg()}</div>'
        for d in drawings
    )
    legend = (
        '<p class="legend"><span class="covered">covered</span>'
        '<span class="uncovered">not covered</span></p>'
        if drawings
        else ""
    )
    tests = "".join(f"<li><code>{escape(t)}</code></li>" for t in sorted(diagram.tests))
    body = (
        '<p><a href="index.html">All diagrams</a></p>'
        f"<h1>{escape(label)}</h1>"
        f'<p class="summary">Flow nodes {len(diagram.covered_nodes)}/{len(diagram.nodes)} · '
        f"sequence flows {len(diagram.covered_flows)}/{len(diagram.flows)} · "
        f"<strong>{diagram.percent:.1f}%</strong> covered by {diagram.instances} "
        f"instance{'s' if diagram.instances != 1 else ''}</p>"
        f"{legend}{automatic}{figures}"
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


def write_html(collector: CoverageCollector, directory: Path) -> Path:
    """Write one HTML report per diagram, an index and `coverage.json` into `directory`.

    Returns:
        The index file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    diagrams = collector.diagrams()
    names = unique_names(diagrams)
    for diagram in diagrams:
        page = render_report(diagram, names[diagram.digest])
        (directory / diagram.filename()).write_text(page, encoding="utf-8")
    index = directory / "index.html"
    index.write_text(render_index(diagrams, names, collector.percent()), encoding="utf-8")
    (directory / "coverage.json").write_text(
        json.dumps(collector.as_json(), indent=2, sort_keys=True), encoding="utf-8"
    )
    return index
