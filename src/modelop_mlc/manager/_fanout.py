"""Writing a thrown event to the outbox: the throw and one delivery per receiver, in one `Tx`.

The receivers are whoever waits when the throwing step commits (Camunda broadcasts a signal to
the subscriptions that exist when it is thrown), and the latest definitions whose start events
the event starts. Each receiver is delivered to in a step of its own later (`EventRouter`).
"""

from __future__ import annotations

from dataclasses import dataclass

from modelop_mlc.manager._applicability import applies
from modelop_mlc.store import Tx
from modelop_mlc.store.rows import DeliveryRow, ThrowRow

__all__ = ["Lease", "fan_out"]


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
