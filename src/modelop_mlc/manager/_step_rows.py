"""The rows a step writes besides the instance: history notes, waits, read-only views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelop_mlc._engine.instance import InstanceSnapshot
from modelop_mlc.config import ManagerConfig, is_secret_name
from modelop_mlc.store.rows import (
    ExternalTaskRow,
    HistoryRow,
    InstanceRow,
    JobRow,
    SubscriptionRow,
    TaskRow,
    TimerRow,
    Waits,
    dumps,
    iso,
)

__all__ = ["Note", "ReadOnly", "history_rows", "step_history", "step_waits", "truncate"]

_MAX_VALUE_TEXT = 2000


@dataclass(frozen=True)
class Note:
    """A history event of a command itself (a signal received, a task completed)."""

    kind: str
    activity_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None


def history_rows(row: InstanceRow, notes: Sequence[Note], at: str) -> list[HistoryRow]:
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


def step_history(
    row: InstanceRow,
    snapshot: InstanceSnapshot,
    notes: Sequence[Note],
    at: str,
    config: ManagerConfig,
) -> list[HistoryRow]:
    """History rows of a step: its notes, the engine's journal, variable changes, the end.

    Changed values are recorded only when `config.record_variable_values`; secret variables
    (`config.secret_variables`) are recorded as `***`.
    """
    rows = history_rows(row, notes, at)
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
        if config.record_variable_values:
            secret = config.secret_variables
            update["values"] = {
                k: "***" if is_secret_name(k, secret) else truncate(v) for k, v in changed.items()
            }
        rows.append(HistoryRow(row.id, row.key, "variable_update", at, detail=update))
    if snapshot.status == "completed":
        rows.append(HistoryRow(row.id, row.key, "instance_end", at))
    return rows


def step_waits(
    row: InstanceRow,
    snapshot: InstanceSnapshot,
    jobs: list[JobRow],
    at: str,
    external: list[ExternalTaskRow],
) -> Waits:
    """What the instance waits for after a step, as store rows."""
    return Waits(
        subscriptions=[SubscriptionRow("signal", w.name, w.activity_id) for w in snapshot.signals]
        + [SubscriptionRow("message", w.name, w.activity_id) for w in snapshot.messages],
        timers=[
            TimerRow(t.task_id, row.id, None, t.activity_id, iso(t.due), 0) for t in snapshot.timers
        ],
        user_tasks=[
            TaskRow(
                id=t.task_id,
                instance_id=row.id,
                key=row.key,
                activity_id=t.activity_id,
                name=t.name,
                assignee=t.assignee,
                candidate_users=list(t.candidate_users),
                candidate_groups=list(t.candidate_groups),
                due=t.due,
                follow_up=t.follow_up,
                priority=t.priority,
                form_key=t.form_key,
                form_fields=[f.__dict__ for f in t.form_fields],
                created_at=at,
            )
            for t in snapshot.user_tasks
        ],
        jobs=jobs,
        external_tasks=external,
    )


def truncate(value: Any) -> Any:
    """The value, or a preview of its JSON text when that is long (for history)."""
    text = dumps(value)
    if len(text) <= _MAX_VALUE_TEXT:
        return value
    return {"truncated": True, "preview": text[:_MAX_VALUE_TEXT]}


class ReadOnly(Mapping[str, Any]):
    """A read-only view, so delegates return changes instead of mutating variables."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnlyVariables({dict(self._data)!r})"
