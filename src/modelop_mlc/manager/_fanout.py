"""Writing to the outbox: a thrown event and one delivery per receiver, in one `Tx`.

The receivers are whoever waits when the throwing step commits (Camunda broadcasts a signal to
the subscriptions that exist when it is thrown), and the latest definitions whose start events
the event starts. Each receiver is delivered to in a step of its own later (`EventRouter`).
A called instance's end is handed to its caller the same way (`CALL_RETURN`, one delivery).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from modelop_mlc._engine.events import OutboundEvent
from modelop_mlc._engine.host import Catcher, Propagation
from modelop_mlc.manager._applicability import applies
from modelop_mlc.manager._step import CallReturn
from modelop_mlc.registry import check_json
from modelop_mlc.store import Tx
from modelop_mlc.store.rows import DeliveryRow, ThrowRow

__all__ = [
    "CALL_RETURN",
    "Lease",
    "Thrown",
    "call_return",
    "fan_out",
    "return_rows",
    "throw_rows",
    "write_return",
    "write_throws",
]


@dataclass(frozen=True)
class Lease:
    """Who delivers new deliveries at once (the host that wrote them), and until when."""

    owner: str
    until: str


def fan_out(tx: Tx, throw: ThrowRow, *, lease: Lease | None) -> list[DeliveryRow] | None:
    """Record `throw` and a delivery for each receiver; return the deliveries, in order.

    The instance that threw a signal does not receive it (it caught it inside already, if it
    waits for it). Deliveries leased to `lease` are for that host to deliver now; others wait
    for a worker.

    Returns:
        The new deliveries; None if a throw with this id was recorded before.
    """
    if not tx.insert_throw(throw):
        return None
    waiting, starts = tx.event_receivers(throw.kind, throw.name)
    rows: list[DeliveryRow] = []

    def add(instance_id: str | None, definition_id: str | None, activity_id: str | None) -> None:
        receiver = instance_id if instance_id is not None else f"start:{definition_id}"
        rows.append(
            DeliveryRow(
                id=f"{throw.id}>{receiver}",
                throw_id=throw.id,
                instance_id=instance_id,
                definition_id=definition_id,
                activity_id=activity_id,
                status="pending",
                due_at=throw.created_at,
                attempts=1 if lease else 0,
                lease_owner=lease.owner if lease else None,
                lease_until=lease.until if lease else None,
                last_error=None,
                created_at=throw.created_at,
            )
        )

    for definition_id, event_id, applies_to in starts:
        if throw.kind == "signal" and not applies(applies_to, throw.variables):
            continue
        add(None, definition_id, event_id)
    for instance_id, activity_id in waiting:
        if throw.kind == "signal" and instance_id == throw.source_instance:
            continue
        add(instance_id, None, activity_id)
    tx.insert_deliveries(rows)
    return rows


Thrown = list[tuple[ThrowRow, list[DeliveryRow]]]
"""What a saved step threw: each event with its deliveries (leased to this host)."""

CALL_RETURN = "call_return"
"""The kind of the outbox's events that hand a called instance's end to its caller."""


def throw_rows(events: Sequence[OutboundEvent], source_instance: str, at: str) -> list[ThrowRow]:
    """The outbox rows of what a step of `source_instance` threw (ids fixed before the commit).

    A step's transaction may run more than once (a group commit that failed is saved step by
    step, a lost connection is retried): the same ids make the repeated insert a no-op.
    """
    return [
        ThrowRow(
            id=str(uuid.uuid4()),
            kind=event.kind,
            name=event.name,
            variables=check_json(event.variables),
            source_instance=source_instance,
            created_at=at,
        )
        for event in events
    ]


def write_throws(tx: Tx, throws: Sequence[ThrowRow], lease: Lease) -> Thrown:
    """Record a step's throws with their receivers in its transaction (see `fan_out`)."""
    return [(throw, fan_out(tx, throw, lease=lease) or []) for throw in throws]


def return_rows(ret: CallReturn, at: str, lease: Lease) -> tuple[ThrowRow, DeliveryRow]:
    """The outbox rows that hand a called instance's end (or what it threw) to its caller.

    They are written in the child's transaction, so a host that dies after that commit leaves
    the delivery for a worker: the caller moves on exactly once.
    """
    propagation = ret.propagation
    throw = ThrowRow(
        id=str(uuid.uuid4()),
        kind=CALL_RETURN,
        name=ret.activity_id or "",
        variables={
            "caller_id": ret.caller_id,
            "task_id": ret.task_id,
            "activity_id": ret.activity_id,
            "child_id": ret.child_id,
            "propagation": None
            if propagation is None
            else {
                "kind": propagation.kind,
                "code": propagation.code,
                "message": propagation.message,
                "catcher": propagation.catcher.value,
            },
        },
        source_instance=ret.child_id,
        created_at=at,
    )
    delivery = DeliveryRow(
        id=f"{throw.id}>{ret.caller_id}",
        throw_id=throw.id,
        instance_id=ret.caller_id,
        definition_id=None,
        activity_id=ret.activity_id,
        status="pending",
        due_at=at,
        attempts=1,
        lease_owner=lease.owner,
        lease_until=lease.until,
        last_error=None,
        created_at=at,
    )
    return throw, delivery


def write_return(tx: Tx, throw: ThrowRow, delivery: DeliveryRow) -> None:
    """Record a call return in the child's transaction (once, if the body runs again)."""
    if tx.insert_throw(throw):
        tx.insert_deliveries([delivery])


def call_return(throw: ThrowRow, delivery_id: str) -> CallReturn:
    """The call return an outbox event of kind `CALL_RETURN` carries."""
    data = throw.variables
    found = data.get("propagation")
    propagation = (
        None
        if found is None
        else Propagation(found["kind"], found["code"], found["message"], Catcher(found["catcher"]))
    )
    return CallReturn(
        data["caller_id"],
        data["task_id"],
        data["activity_id"],
        data["child_id"],
        propagation,
        delivery_id=delivery_id,
    )
