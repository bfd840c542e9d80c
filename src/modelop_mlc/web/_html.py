"""Server-side HTML: the page frame, escaping, tables, forms and formatting helpers."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from modelop_mlc.drawing._bpmn import escape

__all__ = [
    "MASK",
    "SECRET_PATTERNS",
    "badge",
    "button_form",
    "escape",
    "masked",
    "page",
    "table",
    "when",
]

SECRET_PATTERNS = ("*PASSWORD*", "*PASSWD*", "*TOKEN*", "*SECRET*", "*CREDENTIAL*", "*API_KEY*")
"""Variable (and nested field) names whose values the pages never show."""
MASK = "••••••"


def is_secret(name: str, patterns: Sequence[str] = ()) -> bool:
    """Whether a variable or field name looks like it holds a secret.

    Args:
        name: The variable or field name.
        patterns: More name patterns (the host's `ManagerConfig.secret_variables`).
    """
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in (*SECRET_PATTERNS, *patterns))


def masked(value: Any, name: str = "", patterns: Sequence[str] = ()) -> Any:
    """`value` with every secret-looking name's value replaced by a mask, at any depth."""
    if name and is_secret(name, patterns):
        return MASK
    if isinstance(value, Mapping):
        return {str(k): masked(v, str(k), patterns) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v, "", patterns) for v in value]
    return value


def when(moment: datetime | None) -> str:
    """A time for people: `2026-11-02 10:00:05 UTC`, or a dash."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def short_json(value: Any, limit: int = 160) -> str:
    """A value as compact JSON, cut at `limit` characters."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def badge(text: str, kind: str | None = None) -> str:
    """A coloured label (`running`, `incident`, `completed`, ...)."""
    return f'<span class="badge {escape(kind or text)}">{escape(text)}</span>'


def table(
    rows: Iterable[Any],
    columns: Sequence[tuple[str, Callable[[Any], str]]],
    *,
    empty: str = "None.",
    css: str = "",
) -> str:
    """An HTML table; each column's function returns HTML (escape text yourself)."""
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row)}</td>" for _, cell in columns) + "</tr>" for row in rows
    )
    if not body:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(title)}</th>" for title, _ in columns)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def csrf_field(token: str) -> str:
    """The hidden CSRF input every form carries."""
    return f'<input type="hidden" name="csrf_token" value="{escape(token)}">'


def button_form(
    action: str, label: str, csrf: str, *, css: str = "", confirm: str | None = None
) -> str:
    """A one-button POST form (retry, cancel, log out)."""
    ask = f' data-confirm="{escape(confirm)}"' if confirm else ""
    return (
        f'<form method="post" action="{escape(action)}" class="inline"{ask}>{csrf_field(csrf)}'
        f'<button type="submit" class="{css}">{escape(label)}</button></form>'
    )


_NAV = (
    ("cockpit", "Processes"),
    ("cockpit/instances", "Instances"),
    ("cockpit/kpis", "KPIs"),
    ("cockpit/signal", "Send signal"),
    ("tasklist", "Tasklist"),
)


def page(
    root: str,
    title: str,
    body: str,
    *,
    user: str | None = None,
    csrf: str | None = None,
    flashes: Sequence[tuple[str, str]] = (),
    active: str = "",
) -> str:
    """A whole page: the navigation bar, messages, then `body` (already HTML)."""
    nav = "".join(
        f'<a href="{root}/{path}"{" class=current" if path == active else ""}>{label}</a>'
        for path, label in _NAV
    )
    who = ""
    if user is not None:
        logout = button_form(f"{root}/logout", "Log out", csrf, css="link") if csrf else ""
        who = f'<span class="user">{escape(user)}</span>{logout}'
    messages = "".join(
        f'<p class="flash {escape(kind)}" role="status">{escape(text)}</p>'
        for kind, text in flashes
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · MLC Cockpit</title>"
        f'<link rel="stylesheet" href="{root}/static/cockpit.css">'
        f'<script src="{root}/static/cockpit.js" defer></script></head>\n<body>'
        f'<header><a class="brand" href="{root}/cockpit">MLC Cockpit</a><nav>{nav}</nav>'
        f'<div class="who">{who}</div></header>\n<main>{messages}'
        f"<h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )
