"""The `TicketSystem` port and the records every adapter returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self

from modelop_mlc.tickets._context import TicketContext, TicketKind

__all__ = [
    "DONE",
    "IN_REVIEW",
    "REJECTED",
    "STATUSES",
    "TO_DO",
    "Ticket",
    "TicketKind",
    "TicketSystem",
    "wake_key",
]

TO_DO = "To Do"
"""A ticket nobody has picked up yet."""
IN_REVIEW = "In Review"
"""A ticket someone is working on."""
DONE = "Done"
"""An approved or resolved ticket."""
REJECTED = "Rejected"
"""A rejected or cancelled ticket."""
STATUSES = (TO_DO, IN_REVIEW, DONE, REJECTED)
"""The status names every adapter reports (each maps its system's own states onto them)."""


def wake_key(system: str, key: str) -> str:
    """Return the key that wakes delegates waiting on a ticket: `ticket:<system>:<key>`."""
    return f"ticket:{system}:{key}"


@dataclass(frozen=True)
class Ticket:
    """A ticket as a ticket system reports it.

    Attributes:
        system: `"jira"`, `"servicenow"` or `"local"`.
        key: The key people see: `MLC-7` (Jira, local) or `CHG0030001` (ServiceNow).
        kind: The `TicketKind` value it was opened as, or `""` for a ticket this library did
            not open.
        status: One of `STATUSES` when the system's state maps onto one, else the system's own
            status name.
        summary: The one-line title.
        url: Where a person opens it, when the system has a web page for it.
        fields: Field values by field NAME (`"Expiration Date"`), JSON values.
        created_at: When it was opened.
        updated_at: When it last changed.
        native_status: The system's own status (`"Approved"`, incident state `"6"`).
    """

    system: str
    key: str
    kind: str
    status: str
    summary: str
    url: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    native_status: str | None = None

    def to_variable(self) -> dict[str, Any]:
        """Return the ticket as a process-variable value (a JSON dict)."""
        return {
            "system": self.system,
            "key": self.key,
            "kind": self.kind,
            "status": self.status,
            "native_status": self.native_status,
            "summary": self.summary,
            "url": self.url,
            "fields": dict(self.fields),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    @classmethod
    def from_variable(cls, value: Mapping[str, Any]) -> Self:
        """Read a ticket written by `to_variable()`.

        Raises:
            KeyError: If `system` or `key` is missing.
        """
        created, updated = value.get("created_at"), value.get("updated_at")
        return cls(
            system=str(value["system"]),
            key=str(value["key"]),
            kind=str(value.get("kind") or ""),
            status=str(value.get("status") or ""),
            summary=str(value.get("summary") or ""),
            url=value.get("url"),
            fields=dict(value.get("fields") or {}),
            created_at=datetime.fromisoformat(created) if created else None,
            updated_at=datetime.fromisoformat(updated) if updated else None,
            native_status=value.get("native_status"),
        )

    def has_status(self, *statuses: str) -> bool:
        """Tell whether the status (or the system's own status) is one of `statuses`.

        The comparison ignores case and surrounding blanks.
        """
        wanted = {s.strip().lower() for s in statuses}
        mine = {self.status.lower(), (self.native_status or "").lower()}
        return bool(wanted & mine)


class TicketSystem(Protocol):
    """Where tickets are opened and read: Jira, ServiceNow or the embedded board.

    Adapters raise `modelop_mlc.errors.IntegrationError` for remote failures (with
    `retryable` set for rate limits, 5xx, timeouts and connection errors) and never put a
    credential in a message.
    """

    @property
    def system(self) -> str:
        """The system's name: `"jira"`, `"servicenow"` or `"local"`."""
        ...

    def create(
        self, kind: TicketKind | str, context: TicketContext, *, idempotency_key: str
    ) -> Ticket:
        """Open a ticket, or return the one opened before with the same idempotency key."""
        ...

    def get(self, key: str) -> Ticket:
        """Read a ticket by key."""
        ...

    def transition(
        self,
        key: str,
        status: str,
        *,
        comment: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Ticket:
        """Move a ticket to `status`, optionally commenting and setting fields by name."""
        ...

    def comment(self, key: str, text: str) -> None:
        """Add a comment (a work note in ServiceNow)."""
        ...

    def attach(self, key: str, filename: str, content: bytes) -> None:
        """Attach a file."""
        ...

    def find_by_idempotency_key(self, key: str) -> Ticket | None:
        """Return the ticket opened with this idempotency key, if any."""
        ...
