"""The history rows a step writes (its waits are in `_waits.py`), and its variables' JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelop_mlc.registry import check_json
from modelop_mlc.store.rows import (
    HistoryRow,
    InstanceRow,
)

__all__ = ["MAX_VALUE_TEXT", "Note", "encode_variables", "note_rows", "truncate"]

MAX_VALUE_TEXT = 2000
"""History keeps a changed variable's value up to this many characters of JSON."""


@dataclass(frozen=True)
class Note:
    """A history event of a command itself (a signal received, a task completed)."""

    kind: str
    activity_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None


def encode_variables(variables: Mapping[str, Any]) -> str:
    """The variables as the store's JSON, checked as `check_json` checks them, in one pass.

    Raises:
        VariableError: Naming the first variable that is not JSON.
    """
    try:
        return json.dumps(variables, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        check_json(variables)  # raises, naming the variable
        raise


def note_rows(row: InstanceRow, notes: Sequence[Note], at: str) -> list[HistoryRow]:
    """History rows of what a command itself did."""
    return [
        HistoryRow(
            row.id,
            row.key,
            note.kind,
            at,
            activity_id=note.activity_id,
            task_id=note.task_id,
            detail=note.detail,
        )
        for note in notes
    ]


def truncate(value: Any) -> Any:
    """A variable's value for history: itself, or a preview when its JSON is long."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text) <= MAX_VALUE_TEXT:
        return value
    return {"truncated": True, "preview": text[:MAX_VALUE_TEXT]}
