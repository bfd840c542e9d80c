"""What a step saves: the instance's new state, waits, history, and the instances it touches.

A step of one instance can start child instances (its call activities) and end others (the
children of call activities it cancelled); they are saved in the same transaction, each
instance with its own revision check. What the step hands on afterwards (thrown events, a
child's end to its caller) is delivered once the transaction committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from modelop_mlc._engine.events import OutboundEvent
from modelop_mlc._engine.host import Propagation
from modelop_mlc._engine.instance import InstanceSnapshot
from modelop_mlc.store import Tx
from modelop_mlc.store.rows import (
    HistoryRow,
    IncidentRow,
    InstanceRow,
    Waits,
    dumps,
)

__all__ = [
    "CallReturn",
    "Note",
    "Related",
    "Write",
    "history",
    "saved_row",
    "step_history",
    "tree",
    "truncate",
    "write_instance",
]

_MAX_VALUE_TEXT = 2000


@dataclass(frozen=True)
class Note:
    """A history event of a command itself (a signal received, a task completed)."""

    kind: str
    activity_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None


@dataclass(frozen=True)
class CallReturn:
    """What a called instance hands its caller's call activity after its step committed.

    Its end (`propagation` None: the outputs are mapped, the caller goes on), or an error or
    escalation it threw that the caller catches.
    """

    caller_id: str
    task_id: str
    activity_id: str | None
    child_id: str
    propagation: Propagation | None = None


@dataclass
class Write:
    """What one step saves for one instance, in one transaction.

    An ended instance (`ended_at` set) loses its waits and open incidents; otherwise `waits`
    replace the stored ones (None: they stay as they are).
    """

    status: str
    state: dict[str, Any]
    variables: dict[str, Any]
    waiting_at: list[str]
    ended_at: str | None = None
    end_reason: str | None = None
    waits: Waits | None = None
    incidents: list[IncidentRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    outbox: Sequence[OutboundEvent] = ()
    # Further writes of the same transaction (resolving an incident retries its job).
    also: Callable[[Tx], None] | None = None
    # Other instances written in the same transaction: children started or cancelled.
    related: list[Related] = field(default_factory=list)
    # Handed to the caller once committed (this instance is a called one).
    returns: list[CallReturn] = field(default_factory=list)


@dataclass
class Related:
    """Another instance a step writes: a child it starts (`new`) or ends."""

    row: InstanceRow
    write: Write
    new: bool


def tree(row: InstanceRow, write: Write) -> Iterator[tuple[InstanceRow, Write, bool]]:
    """The instance a step saves, then every related instance, depth first: (row, write, new)."""
    pending: list[tuple[InstanceRow, Write, bool]] = [(row, write, False)]
    while pending:
        current = pending.pop(0)
        yield current
        pending[0:0] = [(r.row, r.write, r.new) for r in current[1].related]


def history(row: InstanceRow, notes: Sequence[Note], at: str) -> list[HistoryRow]:
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
    *,
    values: bool,
) -> list[HistoryRow]:
    """History of a step: the command's notes, the engine's journal, the variable changes.

    `values`: record the changed values too (truncated), not only their names.
    """
    rows = history(row, notes, at)
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
        if values:
            update["values"] = {k: truncate(v) for k, v in changed.items()}
        rows.append(HistoryRow(row.id, row.key, "variable_update", at, detail=update))
    if snapshot.status == "completed":
        rows.append(HistoryRow(row.id, row.key, "instance_end", at))
    return rows


def truncate(value: Any) -> Any:
    """A variable value for history: itself, or a preview when its JSON is long."""
    text = dumps(value)
    if len(text) <= _MAX_VALUE_TEXT:
        return value
    return {"truncated": True, "preview": text[:_MAX_VALUE_TEXT]}


def saved_row(row: InstanceRow, write: Write, new: bool) -> InstanceRow:
    """The instance's row as a step saves it (the next revision)."""
    return replace(
        row,
        status=write.status,
        state=write.state,
        variables=write.variables,
        waiting_at=write.waiting_at,
        revision=1 if new else row.revision + 1,
        ended_at=write.ended_at,
        end_reason=write.end_reason,
    )


def write_instance(
    tx: Tx, row: InstanceRow, saved: InstanceRow, write: Write, *, new: bool
) -> None:
    """One instance's part of a step's transaction (`row` as loaded, `saved` as written)."""
    if new:
        tx.insert_instance(saved)
    else:
        tx.update_instance(
            row.id,
            row.revision,
            status=write.status,
            state_json=dumps(write.state),
            variables_json=dumps(write.variables),
            waiting_at=write.waiting_at,
            ended_at=write.ended_at,
            end_reason=write.end_reason,
        )
    if write.ended_at is not None:
        tx.clear_waits(row.id)
        tx.resolve_incidents(instance_id=row.id, at=write.ended_at)
    elif write.waits is not None:
        tx.replace_waits(row.id, write.waits)
    for incident in write.incidents:
        tx.insert_incident(incident)
    if write.also is not None:
        write.also(tx)
    tx.append_history(write.history)
