"""MlflowCenter's notifications: kept in the manager's database, since MLflow has none."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from modelop_mlc.center._mlflow_jobs import JobStore
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock
from modelop_mlc.domain import Notification

__all__ = ["NotificationBook"]

_KIND = "mlflowNotification"


class NotificationBook:
    """Notifications as documents of the manager's database (used by `MlflowCenter`)."""

    def __init__(self, store: JobStore, clock: Clock) -> None:
        """Keep notifications in `store`."""
        self.store = store
        self.clock = clock

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="microseconds")

    def create(self, note: Notification, idempotency_key: str | None) -> Notification:
        """Store a notification (its id assigned); a repeated key returns the first one."""
        doc_id = (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlc:{_KIND}:{idempotency_key}"))
            if idempotency_key
            else str(uuid.uuid4())
        )
        note = note.model_copy(update={"id": doc_id, "created_date": self.clock.now()})
        with self.store.transaction() as tx:
            if not tx.insert_document(_KIND, doc_id, note.to_variable(), self._now()):
                return self.get(doc_id)
        return note

    def get(self, notification_id: str) -> Notification:
        """Return a notification."""
        doc = self.store.get_document(_KIND, notification_id)
        if doc is None:
            raise ModelOpNotFoundError("notification", notification_id)
        return Notification.from_variable(doc)

    def all(self) -> list[Notification]:
        """Every notification, newest first."""
        return [Notification.from_variable(d) for d in reversed(self.store.list_documents(_KIND))]

    def find(
        self,
        *,
        type: str | None,  # noqa: A002 - ModelOp's field name
        severity: str | None,
        model_id: str | None,
    ) -> list[Notification]:
        """Notifications (newest first) matching every given filter."""
        return [
            n
            for n in self.all()
            if (type is None or n.type == type)
            and (severity is None or n.severity == severity)
            and (model_id is None or n.model_id == model_id)
        ]

    def patch(self, notification_id: str, patch: Mapping[str, Any]) -> Notification:
        """Merge `patch` (camelCase names) into a notification."""
        updated = Notification.from_variable({**self.get(notification_id).to_variable(), **patch})
        with self.store.transaction() as tx:
            tx.put_document(_KIND, notification_id, updated.to_variable(), self._now())
        return updated
