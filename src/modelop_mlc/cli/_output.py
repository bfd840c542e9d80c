"""How the `mlc` command reads values and prints: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TextIO

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.kpis import DurationStats, Kpis
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import HistoryEvent, ProcessInstance
from modelop_mlc.tickets import LocalTickets

__all__ = [
    "HistoryRow",
    "Output",
    "board",
    "duration",
    "history_rows",
    "history_table",
    "kpi_text",
    "parse_vars",
    "plain",
    "table",
    "when",
    "with_called",
]

Column = tuple[str, Callable[[Any], Any]]


def plain(value: Any) -> Any:
    """Turn records, enums and dates into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def duration(seconds: float | None) -> str:
    """A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`, `2 d 4 h`."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < _MINUTE:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < _HOUR:
        minutes, secs = divmod(whole, _MINUTE)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    if whole < _DAY:
        hours, rest = divmod(whole, _HOUR)
        minutes = rest // _MINUTE
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, rest = divmod(whole, _DAY)
    hours = rest // _HOUR
    return f"{days} d {hours} h" if hours else f"{days} d"


def when(moment: datetime | None) -> str:
    """A timestamp for people (UTC, to the second)."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def table(rows: Sequence[Any], columns: Sequence[Column], *, empty: str = "(none)") -> str:
    """Render `rows` as an aligned text table with a header."""
    if not rows:
        return empty
    cells = [[_cell(get(row)) for _, get in columns] for row in rows]
    headers = [title for title, _ in columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


class Output:
    """Where a command writes: tables and text, or one JSON document with `--json`."""

    def __init__(self, *, as_json: bool, stream: TextIO | None = None) -> None:
        """Write to `stream` (stdout by default)."""
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def line(self, text: str = "") -> None:
        """Print a line of text (nothing in JSON mode)."""
        if not self.as_json:
            print(text, file=self.stream, flush=True)

    def result(self, data: Any, text: Callable[[], str] | str | None = None) -> None:
        """Print a command's result: `data` as JSON, or `text` for people."""
        if self.as_json:
            json.dump(plain(data), self.stream, indent=2, sort_keys=False)
            self.stream.write("\n")
            return
        rendered = text() if callable(text) else text
        if rendered is not None:
            print(rendered, file=self.stream, flush=True)


# ---------------------------------------------------------------------- shared views


@dataclass
class HistoryRow:
    """One line of an instance's history: an activity from start to end, or an event."""

    event: HistoryEvent
    ended: datetime | None = None
    outcome: str = ""

    @property
    def took(self) -> float | None:
        """Seconds from start to end, or None while running."""
        return None if self.ended is None else (self.ended - self.event.at).total_seconds()


def history_rows(events: Sequence[HistoryEvent]) -> list[HistoryRow]:
    """Pair activity starts and ends into rows with durations (others are single rows).

    Sequence flows, variable changes and gateways (instant decisions whose outcome is the
    next activity) are left out.
    """
    rows: list[HistoryRow] = []
    open_rows: dict[str, HistoryRow] = {}
    for event in events:
        if event.kind in ("flow_taken", "variable_update") or (event.activity_type or "").endswith(
            "Gateway"
        ):
            continue
        key = event.activity_id or ""
        if event.kind == "activity_start":
            open_rows[key] = HistoryRow(event, outcome="running")
            rows.append(open_rows[key])
        elif event.kind in ("activity_end", "activity_cancel") and key in open_rows:
            row = open_rows.pop(key)
            row.ended = event.at
            row.outcome = "cancelled" if event.kind == "activity_cancel" else "done"
            facts = {k: v for k, v in (event.detail or {}).items() if k != "delegate"}
            if facts:
                row.outcome += " " + ", ".join(f"{k}={v}" for k, v in facts.items())
        else:
            rows.append(HistoryRow(event, outcome=event.kind))
    return rows


def history_table(events: Sequence[HistoryEvent]) -> str:
    """An instance's history as a table: when, what, how long, outcome."""
    return table(
        history_rows(events),
        (
            ("at", lambda r: r.event.at),
            ("activity", lambda r: r.event.activity_name or r.event.activity_id),
            ("type", lambda r: r.event.activity_type),
            ("took", lambda r: duration(r.took) if r.ended else "-"),
            ("outcome", lambda r: r.outcome),
        ),
    )


def with_called(manager: LifecycleManager, instance_id: str) -> list[ProcessInstance]:
    """An instance, then the running instances its call activities started, down the chain."""
    found = [manager.instance(instance_id)]
    for instance in found:
        found += [
            c for c in manager.instances(super_instance_id=instance.id, limit=None) if not c.ended
        ]
    return found


def board(manager: LifecycleManager) -> LocalTickets:
    """The manager's embedded ticket board.

    Raises:
        ConfigurationError: If the manager was given another system as its local board.
    """
    local = manager.tickets.local
    if not isinstance(local, LocalTickets):
        raise ConfigurationError("this command works on the embedded board (LocalTickets) only")
    return local


def _stats(stats: DurationStats | None) -> str:
    if stats is None:
        return "-"
    spread = f"min {duration(stats.minimum)}, max {duration(stats.maximum)}, n={stats.count}"
    return f"median {duration(stats.median)} ({spread})"


def kpi_text(result: Kpis) -> str:
    """The KPIs as a small table for people."""
    rate = result.test_pass_rate
    passed = f"{result.tests_passed}/{result.tests_judged}"
    errors = f"{result.errors_thrown} BPMN errors, {result.incidents} incidents"
    rows = [
        ("instances", f"{result.instances} ({result.completed} completed)"),
        ("deployments", str(result.deployments)),
        ("time to production", _stats(result.time_to_production)),
        ("approval lead time", _stats(result.approval_lead_time)),
        ("test pass rate", "-" if rate is None else f"{rate:.0%} ({passed})"),
        ("tests not judged", f"{result.tests_not_judged} (no comparator DMN)"),
        ("MLC errors", f"{result.mlc_errors} ({errors})"),
    ]
    return table(rows, (("kpi", lambda r: r[0]), ("value", lambda r: r[1])))


def parse_vars(pairs: Sequence[str], option: str = "--var") -> dict[str, Any]:
    """Read `NAME=VALUE` pairs; VALUE is JSON when it parses, else text.

    Raises:
        ConfigurationError: If a pair has no `=` or an empty name.
    """
    found: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"{option} '{pair}' must look like NAME=VALUE")
        try:
            found[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            found[name.strip()] = text
    return found
