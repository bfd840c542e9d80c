"""The outbox's rows: thrown events (`throws`) and their receivers (`deliveries`).

A step that throws writes the throw and one delivery per receiver in its own transaction; the
receiver's step deletes its delivery in the receiver's transaction (`finish_delivery`), so a
crash anywhere leaves either the delivery (it runs again) or its effect (it never runs again).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modelop_mlc.store._columns import marks
from modelop_mlc.store._cursor import Cursor
from modelop_mlc.store.rows import DeliveryRow, ThrowRow, dumps

__all__ = [
    "DELIVERY_COLUMNS",
    "THROW_COLUMNS",
    "DeliveredElsewhereError",
    "OutboxWrites",
    "delivery_from",
    "throw_from",
]

DELIVERY_COLUMNS = (
    "id, throw_id, instance_id, definition_id, activity_id, status, due_at, attempts, "
    "lease_owner, lease_until, last_error, created_at"
)
THROW_COLUMNS = "id, kind, name, variables, source_instance, created_at"


class DeliveredElsewhereError(Exception):
    """The delivery is gone: another worker delivered it first (the transaction rolls back)."""


def delivery_from(row: Sequence[Any]) -> DeliveryRow:
    """Read a `deliveries` row (`DELIVERY_COLUMNS`)."""
    return DeliveryRow(*row)


def throw_from(row: Sequence[Any]) -> ThrowRow:
    """Read a `throws` row."""
    return ThrowRow(
        id=row[0],
        kind=row[1],
        name=row[2],
        variables=json.loads(row[3]),
        source_instance=row[4],
        created_at=row[5],
    )


def _delivery_values(row: DeliveryRow) -> tuple[Any, ...]:
    return (
        row.id,
        row.throw_id,
        row.instance_id,
        row.definition_id,
        row.activity_id,
        row.status,
        row.due_at,
        row.attempts,
        row.lease_owner,
        row.lease_until,
        row.last_error,
        row.created_at,
    )


class OutboxWrites(Cursor):
    """The outbox's writes, inside one transaction."""

    def insert_throw(self, throw: ThrowRow) -> bool:
        """Record a thrown event; False if one with this id exists (a repeated host signal)."""
        cursor = self.execute(
            f"INSERT INTO throws ({THROW_COLUMNS}) VALUES ({marks(6)}) ON CONFLICT (id) DO NOTHING",
            (
                throw.id,
                throw.kind,
                throw.name,
                dumps(throw.variables),
                throw.source_instance,
                throw.created_at,
            ),
        )
        return bool(cursor.rowcount)

    def event_receivers(
        self, kind: str, name: str
    ) -> tuple[list[tuple[str, str | None]], list[tuple[str, str, dict[str, Any] | None]]]:
        """Who waits for a signal or message now, seen inside this transaction.

        Returns:
            (instance id, catch activity id) of waiting instances, by instance id; and
            (definition id, start event id, applicability) of the latest definitions it starts.
        """
        waiting = self.all(
            "SELECT instance_id, MIN(activity_id) FROM subscriptions WHERE kind = ? AND name = ? "
            "GROUP BY instance_id ORDER BY instance_id",
            (kind, name),
        )
        starts = self.all(
            "SELECT s.definition_id, s.event_id, d.applies_to FROM start_subscriptions s "
            "JOIN definitions d ON d.id = s.definition_id WHERE s.kind = ? AND s.name = ? "
            "ORDER BY s.key",
            (kind, name),
        )
        return (
            [(r[0], r[1]) for r in waiting],
            [(r[0], r[1], json.loads(r[2]) if r[2] else None) for r in starts],
        )

    def insert_deliveries(self, rows: Sequence[DeliveryRow]) -> None:
        """Add receivers of a thrown event (in order: they are delivered in this order)."""
        self.executemany(
            f"INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES ({marks(12)})",
            [_delivery_values(r) for r in rows],
        )

    def finish_delivery(self, delivery_id: str) -> None:
        """Delete a delivery as its receiver's step saves.

        Raises:
            DeliveredElsewhereError: If it is gone already, so this step must not be saved.
        """
        cursor = self.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))
        if cursor.rowcount != 1:
            raise DeliveredElsewhereError(delivery_id)

    def update_delivery(self, delivery_id: str, **fields: Any) -> None:
        """Change some columns of a delivery."""
        columns = ", ".join(f"{name} = ?" for name in fields)
        self.execute(
            f"UPDATE deliveries SET {columns} WHERE id = ?", (*fields.values(), delivery_id)
        )

    def claim_deliveries(
        self,
        owner: str,
        now: str,
        lease_until: str,
        limit: int,
        *,
        throw_id: str | None = None,
    ) -> list[DeliveryRow]:
        """Lease up to `limit` due deliveries (of one throw, if given) to `owner`, in order."""
        where = " AND throw_id = ?" if throw_id is not None else ""
        rows = self.all(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND "
            f"due_at <= ? AND (lease_until IS NULL OR lease_until < ?){where} "
            f"ORDER BY due_at, seq LIMIT ?{self.dialect.skip_locked()}",
            (now, now, *((throw_id,) if throw_id is not None else ()), limit),
        )
        claimed = [delivery_from(r) for r in rows]
        if claimed:
            self.execute(
                "UPDATE deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
                f"WHERE id IN ({marks(len(claimed))})",
                (owner, lease_until, *(d.id for d in claimed)),
            )
        return claimed
