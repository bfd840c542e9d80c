"""How the `mlc` command prints: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TextIO

__all__ = ["Output", "duration", "plain", "table", "when"]

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
