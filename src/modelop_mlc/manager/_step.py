"""What a step saves: the instance's new state, waits, history, and the instances it touches.

A step of one instance can start child instances (its call activities) and end others (the
children of call activities it cancelled); they are saved in the same transaction, each
instance with its own revision check. What the step hands on afterwards (thrown events, a
child's end to its caller) is written to the outbox in that transaction and delivered once it
committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from modelop_mlc._engine.definitions import ProcessSpecs
from modelop_mlc._engine.events import OutboundEvent
from modelop_mlc._engine.host import Propagation
from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc.store import Tx
from modelop_mlc.store.rows import (
    HistoryRow,
    IncidentRow,
    InstanceRow,
    Waits,
    dumps,
)

__all__ = ["CallReturn", "Prepared", "Related", "Write", "saved_row", "tree", "write_instance"]


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
    # The outbox delivery carrying it (written in the child's transaction); None before.
    delivery_id: str | None = None


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
    # The variables as JSON, encoded once when they were checked (None: encode them).
    variables_json: str | None = None
    # The engine instance the step ran, kept for the next step once this one commits.
    engine: EngineInstance | None = None
    specs: ProcessSpecs | None = None
    # Other instances written in the same transaction: children started or cancelled.
    related: list[Related] = field(default_factory=list)
    # Handed to the caller once committed (this instance is a called one).
    returns: list[CallReturn] = field(default_factory=list)


@dataclass
class Prepared:
    """A computed step ready to commit: its transaction body and the row it saves.

    The body returns what the step threw (`Thrown`), for `Runtime.after_commit`.
    """

    row: InstanceRow
    write: Write
    saved: InstanceRow
    body: Callable[[Tx], Any]
    state_json: str
    variables_json: str
    # Ids of the external tasks the step created (a long-polling worker is told after it).
    created: list[str] = field(default_factory=list)
    # Children's ends to hand to their callers, each with its outbox delivery.
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
    tx: Tx,
    row: InstanceRow,
    saved: InstanceRow,
    write: Write,
    *,
    new: bool,
    state_json: str | None = None,
) -> None:
    """One instance's part of a step's transaction (`row` as loaded, `saved` as written).

    `state_json` is the state already encoded (None: encode it); the update bumps the
    instance's revision, comparing the loaded one.
    """
    if new:
        # The step encoded the state and variables once already; the row takes that text.
        tx.insert_instance(saved, state_json=state_json, variables_json=write.variables_json)
    else:
        tx.update_instance(
            row.id,
            row.revision,
            status=None if write.status == row.status else write.status,
            state_json=state_json if state_json is not None else dumps(write.state),
            variables_json=write.variables_json or dumps(write.variables),
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
