"""The `TicketSystem` port: what a ticket says (`TicketContext`) and what adapters return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DONE",
    "IN_REVIEW",
    "REJECTED",
    "STATUSES",
    "TO_DO",
    "ModelChange",
    "Ticket",
    "TicketContext",
    "TicketKind",
    "TicketSystem",
    "TicketSystems",
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


class TicketKind(StrEnum):
    """Why a ticket is opened; adapters choose the issue type or table from it."""

    MODEL_APPROVAL = "model_approval"
    MODEL_REVIEW = "model_review"
    TEST_REVIEW = "test_review"
    JOB_FAILURE = "job_failure"
    ERROR = "error"
    NOTIFICATION = "notification"


class ModelChange(BaseModel):
    """One difference between the previous snapshot and this one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    what: str = Field(description="What changed: `tags`, `type`, `asset model.py (MODEL_SOURCE)`.")
    before: str | None = Field(None, description="The old value as text; None when added.")
    after: str | None = Field(None, description="The new value as text; None when removed.")

    def describe(self) -> str:
        """Render as one line: `tags: a → a, b`, `asset x: added`, `asset y: removed`."""
        if self.before is None:
            return f"{self.what}: added" + (f" ({self.after})" if self.after else "")
        if self.after is None:
            return f"{self.what}: removed"
        return f"{self.what}: {self.before} → {self.after}"


class TicketContext(BaseModel):
    """Everything a ticket body says: the model, what changed, test results, links.

    Build it by hand or with `context_from_variables()`; `render_description()` turns it into
    the ticket body.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TicketKind = Field(TicketKind.NOTIFICATION, description="Why the ticket is opened.")
    summary: str | None = Field(None, description="The title; derived from the rest if unset.")
    message: str | None = Field(None, description="Free text put first in the body.")
    model_name: str | None = Field(None, description="The stored model's name.")
    model_type: str | None = Field(None, description="PYTHON3, R, ... .")
    model_version: int | None = Field(None, description="The snapshot number.")
    model_tags: list[str] = Field(default_factory=list, description="The snapshot's tags.")
    model_group: str | None = Field(None, description="The model's group or business unit.")
    model_description: str | None = Field(None, description="What the model does.")
    stored_model_id: str | None = Field(None, description="The stored model id.")
    snapshot_id: str | None = Field(None, description="The snapshot (deployable model) id.")
    changes: list[ModelChange] = Field(
        default_factory=list, description="What changed since the previous snapshot."
    )
    test_results: dict[str, Any] = Field(
        default_factory=dict, description="The test metrics (ModelOp's `testResults`)."
    )
    test_passed: bool | None = Field(None, description="The DMN's verdict, when judged.")
    test_note: str | None = Field(
        None, description="Why the test results were not judged (the model has no DMN)."
    )
    failing_reasons: list[str] = Field(
        default_factory=list, description="Why the DMN failed the test results."
    )
    job_id: str | None = Field(None, description="The batch job concerned.")
    job_type: str | None = Field(None, description="Its type.")
    job_status: str | None = Field(None, description="Its status.")
    job_message: str | None = Field(None, description="Why it failed, when it did.")
    error_message: str | None = Field(None, description="The error being reported.")
    instance_id: str | None = Field(None, description="The process instance.")
    activity_id: str | None = Field(None, description="The task that opened the ticket.")
    activity_name: str | None = Field(None, description="Its name.")
    links: dict[str, str] = Field(
        default_factory=dict, description="Links back, label → URL (the instance page)."
    )
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Extra ticket fields by field name."
    )


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


class TicketSystems(Protocol):
    """The ticket systems one manager talks to (`DelegateContext.tickets`).

    `modelop_mlc.tickets.Tickets` is the implementation: Jira and ServiceNow when configured,
    the embedded board otherwise.
    """

    @property
    def instance_link(self) -> str | None:
        """A URL template for a process instance page, with `{instance_id}`, or None."""
        ...

    @property
    def local(self) -> TicketSystem:
        """The embedded board."""
        ...

    @property
    def systems(self) -> dict[str, TicketSystem]:
        """The configured systems by name (`local`, `jira`, `servicenow`)."""
        ...

    def for_system(self, name: str) -> TicketSystem:
        """Return where a `name` ticket is opened: that system if configured, else the board."""
        ...

    def system(self, name: str) -> TicketSystem:
        """Return the system that holds tickets marked `name` (no fallback)."""
        ...
