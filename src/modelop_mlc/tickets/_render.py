"""Ticket bodies: plain text, Jira wiki markup or HTML, from a `TicketContext`."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._port import TicketKind

__all__ = ["Flavour", "render_description", "render_summary", "render_test_results"]

Flavour = Literal["text", "jira", "html"]
"""`text` (LocalTickets, ServiceNow's plain description), `jira` (wiki markup) or `html`."""

_MAX_ROWS = 60
_MAX_CELL = 120
_JIRA_SPECIAL = re.compile(r"([|{}\[\]*_^~+\\])")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _rows(metrics: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten metrics into (name, value) rows.

    ModelOp's monitors return lists of test records (`{"test_name": ..., "values": {...}}`);
    each record's values become `test_name: metric` rows. Nested objects become dotted names,
    one level deep; anything deeper is shown as JSON.
    """
    rows: list[tuple[str, str]] = []
    for name, value in metrics.items():
        label = f"{prefix}{name}"
        records = (
            value
            if isinstance(value, list)
            and value
            and all(isinstance(r, Mapping) and isinstance(r.get("values"), Mapping) for r in value)
            else None
        )
        if records is not None:
            for record in records:
                test = str(record.get("test_name") or record.get("test_category") or name)
                for key, inner in record["values"].items():
                    rows.append((f"{test}: {key}", _cell(inner)))
        elif isinstance(value, Mapping) and not prefix and value:
            rows.extend(_rows(value, prefix=f"{label}."))
        else:
            rows.append((label, _cell(value)))
    return rows


def _jira(text: str) -> str:
    return _JIRA_SPECIAL.sub(r"\\\1", text)


def render_test_results(metrics: Mapping[str, Any], flavour: Flavour = "text") -> str:
    """Render test metrics as a two-column table (Metric, Value).

    Args:
        metrics: ModelOp's `testResults` (flat values, nested objects or test records).
        flavour: `text` (aligned columns), `jira` (`||Metric||Value||` rows) or `html`.

    Returns:
        The table, or `""` when there are no metrics. More than 60 rows are cut, saying how
        many were left out.
    """
    rows = _rows(metrics)
    if not rows:
        return ""
    hidden = max(0, len(rows) - _MAX_ROWS)
    rows = rows[:_MAX_ROWS]
    note = f"… and {hidden} more metrics" if hidden else ""
    if flavour == "jira":
        lines = ["||Metric||Value||"]
        lines += [f"|{_jira(name)}|{_jira(value)}|" for name, value in rows]
        return "\n".join([*lines, note] if note else lines)
    if flavour == "html":
        body = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
            for name, value in rows
        )
        table = f"<table><tr><th>Metric</th><th>Value</th></tr>{body}</table>"
        return table + (f"<p>{html.escape(note)}</p>" if note else "")
    width = max(len("Metric"), *(len(name) for name, _ in rows))
    lines = [f"{'Metric'.ljust(width)} | Value", f"{'-' * width}-+-{'-' * 5}"]
    lines += [f"{name.ljust(width)} | {value}" for name, value in rows]
    return "\n".join([*lines, note] if note else lines)


def _verdict(passed: bool | None, yes: str, no: str, unknown: str) -> str:
    return unknown if passed is None else yes if passed else no


def render_summary(context: TicketContext) -> str:
    """Return the ticket title: `SUMMARY` if given, else one derived from the kind and model."""
    if context.summary:
        return context.summary
    model = context.model_name or "model"
    if context.model_version is not None:
        model += f" v{context.model_version}"
    kind = context.kind
    if kind == TicketKind.MODEL_APPROVAL:
        return f"Approve {model} for deployment"
    if kind == TicketKind.MODEL_REVIEW:
        return f"Review {model}"
    if kind == TicketKind.TEST_REVIEW:
        verdict = _verdict(context.test_passed, "passed", "failed", "need review")
        return f"Test results of {model} {verdict}"
    if kind == TicketKind.JOB_FAILURE:
        job = f"Job {context.job_id}" if context.job_id else "A job"
        return f"{job} of {model} ended {context.job_status or 'with an error'}"
    if kind == TicketKind.ERROR:
        where = context.activity_name or context.activity_id or "a process"
        return f"MLC error in {where} for {model}"
    first = (context.message or "").strip().splitlines()
    return first[0] if first else f"MLC notification about {model}"


class _Writer:
    """Collects sections and renders them in one flavour."""

    def __init__(self, flavour: Flavour) -> None:
        self.flavour = flavour
        self.parts: list[str] = []

    def text(self, value: str) -> None:
        if self.flavour == "html":
            self.parts.append(f"<p>{html.escape(value)}</p>")
        elif self.flavour == "jira":
            self.parts.append(_jira(value))
        else:
            self.parts.append(value)

    def heading(self, value: str) -> None:
        if self.flavour == "html":
            self.parts.append(f"<h3>{html.escape(value)}</h3>")
        elif self.flavour == "jira":
            self.parts.append(f"h3. {value}")
        else:
            self.parts.append(f"{value}\n{'=' * len(value)}")

    def facts(self, pairs: Iterable[tuple[str, str | None]]) -> None:
        shown = [(k, v) for k, v in pairs if v]
        if not shown:
            return
        if self.flavour == "html":
            items = "".join(f"<li><b>{html.escape(k)}:</b> {html.escape(v)}</li>" for k, v in shown)
            self.parts.append(f"<ul>{items}</ul>")
        elif self.flavour == "jira":
            self.parts.append("\n".join(f"* *{k}:* {_jira(v)}" for k, v in shown))
        else:
            self.parts.append("\n".join(f"{k}: {v}" for k, v in shown))

    def bullets(self, items: Sequence[str]) -> None:
        if self.flavour == "html":
            inner = "".join(f"<li>{html.escape(i)}</li>" for i in items)
            self.parts.append(f"<ul>{inner}</ul>")
        elif self.flavour == "jira":
            self.parts.append("\n".join(f"* {_jira(i)}" for i in items))
        else:
            self.parts.append("\n".join(f"- {i}" for i in items))

    def links(self, links: Mapping[str, str]) -> None:
        if self.flavour == "html":
            inner = "".join(
                f'<li><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></li>'
                for label, url in links.items()
            )
            self.parts.append(f"<ul>{inner}</ul>")
        elif self.flavour == "jira":
            self.parts.append("\n".join(f"* [{_jira(k)}|{u}]" for k, u in links.items()))
        else:
            self.parts.append("\n".join(f"{k}: {u}" for k, u in links.items()))

    def raw(self, value: str) -> None:
        self.parts.append(value)

    def render(self) -> str:
        return ("" if self.flavour == "html" else "\n\n").join(self.parts)


def render_description(context: TicketContext, flavour: Flavour = "text") -> str:
    """Build a ticket body from the context.

    Sections, each only when there is something to say: the message, the model (name, type,
    version, tags, group, ids), the changes since the previous snapshot, the test results
    table with the verdict, the DMN's failing reasons, the job, the error, and the process
    (instance, activity, links back).

    Args:
        context: What to say.
        flavour: `text`, `jira` (wiki markup) or `html`.

    Returns:
        The body.
    """
    out = _Writer(flavour)
    if context.message:
        out.text(context.message)
    if context.model_name or context.snapshot_id or context.stored_model_id:
        out.heading("Model")
        out.facts(
            [
                ("Name", context.model_name),
                ("Type", context.model_type),
                ("Version", None if context.model_version is None else str(context.model_version)),
                ("Tags", ", ".join(context.model_tags)),
                ("Group", context.model_group),
                ("Description", context.model_description),
                ("Snapshot", context.snapshot_id),
                ("Stored model", context.stored_model_id),
            ]
        )
    if context.changes:
        out.heading("Changes since the previous snapshot")
        out.bullets([change.describe() for change in context.changes])
    if context.test_results or context.test_passed is not None or context.test_note:
        verdict = _verdict(context.test_passed, "PASSED", "FAILED", "not judged")
        out.heading(f"Test results: {verdict}")
        if context.test_note:
            out.text(context.test_note)
        table = render_test_results(context.test_results, flavour)
        if table:
            out.raw(table)
    if context.failing_reasons:
        out.heading("Failing criteria")
        out.bullets(context.failing_reasons)
    if context.job_id or context.job_status:
        out.heading("Job")
        out.facts(
            [
                ("Id", context.job_id),
                ("Type", context.job_type),
                ("Status", context.job_status),
                ("Message", context.job_message),
            ]
        )
    if context.error_message:
        out.heading("Error")
        out.text(context.error_message)
    if context.instance_id or context.links:
        out.heading("Process")
        activity = context.activity_name or context.activity_id
        if context.activity_name and context.activity_id:
            activity = f"{context.activity_name} ({context.activity_id})"
        out.facts([("Instance", context.instance_id), ("Activity", activity)])
        if context.links:
            out.links(context.links)
    return out.render()
