"""Small inline SVG charts for the KPI page: horizontal bars and a pass-rate ring."""

from __future__ import annotations

import math
from collections.abc import Sequence

from modelop_mlc.kpis import DurationStats
from modelop_mlc.web._html import escape

__all__ = ["bars", "duration", "duration_bars", "rate_ring"]

_BAR_H = 22
_LABEL_W = 150
_BAR_W = 320


def duration(seconds: float) -> str:
    """Seconds for people: `45s`, `12m 5s`, `3h 20m`, `2d 4h`."""
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def bars(rows: Sequence[tuple[str, float, str]], *, title: str, css: str = "") -> str:
    """A horizontal bar chart: `(label, value, value text)` per bar, scaled to the largest."""
    if not rows:
        return f'<p class="empty">{escape(title)}: no data yet.</p>'
    top = max((value for _, value, _ in rows), default=0.0) or 1.0
    height = len(rows) * (_BAR_H + 6) + 6
    width = _LABEL_W + _BAR_W + 90
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(css)}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="Arial, Helvetica, sans-serif" font-size="12">'
            f"<title>{escape(title)}</title>"
        )
    ]
    for index, (label, value, text) in enumerate(rows):
        y = 6 + index * (_BAR_H + 6)
        length = max(_BAR_W * value / top, 2.0)
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value!r}">'
            f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{_LABEL_W}" y="{y}" width="{length:.1f}" height="{_BAR_H}" rx="3" '
            f'fill="#1565c0"/><text x="{_LABEL_W + length + 6:.1f}" y="{y + 15}">'
            f"{escape(text)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def duration_bars(stats: DurationStats | None, *, title: str, css: str = "") -> str:
    """Shortest, median, mean and longest of a set of durations, as bars."""
    if stats is None:
        return f'<p class="empty">{escape(title)}: no data yet.</p>'
    rows = [
        ("shortest", stats.minimum),
        ("median", stats.median),
        ("mean", stats.mean),
        ("longest", stats.maximum),
    ]
    return bars([(label, value, duration(value)) for label, value in rows], title=title, css=css)


def rate_ring(passed: int, judged: int, *, title: str) -> str:
    """The pass rate as a ring: passed in green, failed in red, the percentage inside."""
    if not judged:
        return f'<p class="empty">{escape(title)}: nothing judged yet.</p>'
    share = passed / judged
    radius, width = 52.0, 18.0
    circumference = 2 * math.pi * radius
    green = circumference * share
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart pass-rate" role="img" width="150" '
        'height="150" viewBox="0 0 150 150" font-family="Arial, Helvetica, sans-serif" '
        f'data-passed="{passed}" data-judged="{judged}"><title>{escape(title)}</title>'
        f'<circle cx="75" cy="75" r="{radius}" fill="none" stroke="#c62828" '
        f'stroke-width="{width}"/>'
        f'<circle cx="75" cy="75" r="{radius}" fill="none" stroke="#1b7f3b" '
        f'stroke-width="{width}" stroke-dasharray="{green:.2f} {circumference:.2f}" '
        'transform="rotate(-90 75 75)"/>'
        f'<text x="75" y="80" text-anchor="middle" font-size="22" font-weight="bold">'
        f"{share:.0%}</text>"
        f'<text x="75" y="100" text-anchor="middle" font-size="11">{passed} of {judged}</text>'
        "</svg>"
    )
