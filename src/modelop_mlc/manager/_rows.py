"""The history rows a step writes (its waits are in `_waits.py`), and its variables' JSON."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelop_mlc._engine.instance import InstanceSnapshot
from modelop_mlc.config import SECRET_NAMES, is_secret_name
from modelop_mlc.registry import check_json
from modelop_mlc.store.rows import (
    HistoryRow,
    InstanceRow,
)

__all__ = ["Note", "encode_variables", "history_rows", "note_rows", "truncate"]

_MAX_VALUE_TEXT = 2000
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
    if len(text) <= _MAX_VALUE_TEXT:
        return value
    return {"truncated": True, "preview": text[:_MAX_VALUE_TEXT]}


def history_rows(
    row: InstanceRow,
    snapshot: InstanceSnapshot,
    notes: Sequence[Note],
    at: str,
    *,
    variables_size: int,
    record_values: bool,
    secret: Collection[str] = SECRET_NAMES,
) -> list[HistoryRow]:
    """The history of a step on `row`: its notes, what the engine journaled, what changed.

    `variables_size` is the length of the variables' JSON; `record_values` whether changed
    variables' values are kept (truncated when long) or only their names; variables whose
    names match a `secret` pattern are recorded as `***`.
    """
    rows = note_rows(row, notes, at)
    for entry in snapshot.journal:
        rows.append(
            HistoryRow(
                row.id,
                row.key,
                entry.kind.value,
                at,
                activity_id=entry.activity_id,
                activity_name=entry.activity_name,
                activity_type=entry.activity_type,
                task_id=entry.task_id,
                detail=entry.detail,
            )
        )
    changed = {
        name: value
        for name, value in snapshot.variables.items()
        if name not in row.variables or row.variables[name] != value
    }
    removed = [name for name in row.variables if name not in snapshot.variables]
    if changed or removed:
        update: dict[str, Any] = {"changed": sorted(changed), "removed": sorted(removed)}
        if record_values:
            # No value is longer than all the variables' JSON: most steps skip the check.
            short = variables_size <= _MAX_VALUE_TEXT
            update["values"] = {
                k: "***" if is_secret_name(k, secret) else v if short else truncate(v)
                for k, v in changed.items()
            }
        rows.append(HistoryRow(row.id, row.key, "variable_update", at, detail=update))
    if snapshot.status == "completed":
        rows.append(HistoryRow(row.id, row.key, "instance_end", at))
    return rows
