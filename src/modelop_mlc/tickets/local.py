"""`LocalTickets`: the embedded ticket board, kept in the manager's own database.

Without Jira or ServiceNow, the Jira and ServiceNow delegates open their tickets here, so every
shipped process runs out of the box. People move tickets with `transition()` (from Python, the
CLI or a host application's UI); each change wakes the instances waiting on the ticket.
"""

from __future__ import annotations

import base64
import builtins
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from modelop_mlc.clock import Clock
from modelop_mlc.errors import NotFoundError
from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._port import STATUSES, TO_DO, Ticket, TicketKind, wake_key
from modelop_mlc.tickets._render import render_description, render_summary

__all__ = ["DocumentStore", "LocalTickets"]

_TICKET = "ticket"
_IDEMPOTENCY = "ticket_idempotency"
_COUNTER = "ticket_counter"
_ATTACHMENT = "ticket_attachment"
_PREFIX = re.compile(r"[A-Z][A-Z0-9_]*")


class _DocumentTx(Protocol):
    def put_document(self, kind: str, doc_id: str, doc: Any, at: str) -> None: ...


class DocumentStore(Protocol):
    """Where LocalTickets keeps its documents (the manager's store is one).

    Reads made inside `transaction()` on the same thread see the transaction's writes; SQLite
    serialises writers, so key numbers never repeat there.
    """

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read a document, or None."""
        ...

    def list_documents(self, kind: str) -> list[Any]:
        """Read every document of a kind, oldest first."""
        ...

    def transaction(self) -> AbstractContextManager[_DocumentTx]:
        """Open a write transaction."""
        ...


class LocalTickets:
    """The embedded ticket board, kept as JSON documents.

    Keys look like `MLC-1`; statuses are To Do, In Review, Done and Rejected; tickets have
    fields by name, comments and attachments.

    Args:
        store: Where tickets live (the manager passes its own store).
        clock: The manager's clock.
        prefix: The key prefix (`MLC` gives `MLC-1`, `MLC-2`, ...).
        url_template: A web page for a ticket, with `{key}`; none by default.
        on_change: Called with the wake key (`ticket:local:MLC-1`) after a ticket changes;
            the manager passes its `wake`, so waiting instances look again at once.

    Raises:
        ValueError: If the prefix is not upper-case letters, digits and underscores.
    """

    system = "local"

    def __init__(
        self,
        store: DocumentStore,
        clock: Clock,
        *,
        prefix: str = "MLC",
        url_template: str | None = None,
        on_change: Callable[[str], object] | None = None,
    ) -> None:
        """Create the board over `store`."""
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"ticket prefix must look like 'MLC', got {prefix!r}")
        self.store = store
        self.clock = clock
        self.prefix = prefix
        self.url_template = url_template
        self.on_change = on_change

    def __repr__(self) -> str:
        """Describe the board."""
        return f"LocalTickets(prefix={self.prefix!r})"

    # ------------------------------------------------------------------ helpers

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="microseconds")

    def _doc(self, key: str) -> dict[str, Any]:
        doc = self.store.get_document(_TICKET, key.upper())
        if doc is None:
            raise NotFoundError(
                f"No local ticket '{key}'; list them with LocalTickets.list() or `mlc tickets`"
            )
        return dict(doc)

    def _ticket(self, doc: Mapping[str, Any]) -> Ticket:
        url = self.url_template.format(key=doc["key"]) if self.url_template else None
        return Ticket(
            system=self.system,
            key=doc["key"],
            kind=doc.get("kind", ""),
            status=doc["status"],
            summary=doc.get("summary", ""),
            url=url,
            fields=dict(doc.get("fields") or {}),
            created_at=datetime.fromisoformat(doc["created_at"]),
            updated_at=datetime.fromisoformat(doc["updated_at"]),
            native_status=doc["status"],
        )

    def _save(self, doc: dict[str, Any]) -> None:
        with self.store.transaction() as tx:
            tx.put_document(_TICKET, doc["key"], doc, doc["updated_at"])
        self._changed(doc["key"])

    def _changed(self, key: str) -> None:
        if self.on_change is not None:
            self.on_change(wake_key(self.system, key))

    # ------------------------------------------------------------------ the port

    def create(
        self, kind: TicketKind | str, context: TicketContext, *, idempotency_key: str
    ) -> Ticket:
        """Open a ticket in To Do, or return the one opened before with this idempotency key.

        Args:
            kind: Why it is opened.
            context: What it says (summary, body and extra fields by name).
            idempotency_key: The same on every retry of the calling step.

        Returns:
            The ticket.
        """
        kind = TicketKind(kind)
        context = context.model_copy(update={"kind": kind})
        now = self._now()
        with self.store.transaction() as tx:
            # Reading inside the write transaction keeps the key counter and the idempotency
            # check atomic with the insert (SQLite holds the write lock from BEGIN IMMEDIATE).
            known = self.store.get_document(_IDEMPOTENCY, idempotency_key)
            if known is not None:
                existing = self.store.get_document(_TICKET, known["key"])
                if existing is not None:
                    return self._ticket(existing)
            counter = self.store.get_document(_COUNTER, self.prefix) or {"last": 0}
            number = int(counter["last"]) + 1
            key = f"{self.prefix}-{number}"
            doc: dict[str, Any] = {
                "key": key,
                "number": number,
                "kind": kind.value,
                "status": TO_DO,
                "summary": render_summary(context),
                "description": render_description(context, "text"),
                "fields": dict(context.fields),
                "comments": [],
                "attachments": [],
                "history": [{"at": now, "status": TO_DO, "by": "mlc"}],
                "idempotency_key": idempotency_key,
                "instance_id": context.instance_id,
                "created_at": now,
                "updated_at": now,
            }
            tx.put_document(_COUNTER, self.prefix, {"last": number}, now)
            tx.put_document(_TICKET, key, doc, now)
            tx.put_document(_IDEMPOTENCY, idempotency_key, {"key": key}, now)
        self._changed(key)
        return self._ticket(doc)

    def get(self, key: str) -> Ticket:
        """Read a ticket.

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        return self._ticket(self._doc(key))

    def transition(
        self,
        key: str,
        status: str,
        *,
        comment: str | None = None,
        fields: Mapping[str, Any] | None = None,
        author: str = "mlc",
    ) -> Ticket:
        """Move a ticket to a status (any of the four, in any order), as a person would.

        Args:
            key: The ticket key.
            status: `To Do`, `In Review`, `Done` or `Rejected` (case-insensitive).
            comment: A comment added with the change.
            fields: Fields to set, by name (`{"Expiration Date": "2027-03-31"}`).
            author: Who made the change, for the comment and the history.

        Returns:
            The ticket after the change.

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
            ValueError: If the status is not one of the four.
        """
        target = next((s for s in STATUSES if s.lower() == status.strip().lower()), None)
        if target is None:
            raise ValueError(f"Unknown ticket status {status!r}; statuses: {', '.join(STATUSES)}")
        doc = self._doc(key)
        now = self._now()
        if target != doc["status"]:
            doc["history"] = [*doc.get("history", []), {"at": now, "status": target, "by": author}]
        doc["status"] = target
        if fields:
            doc["fields"] = {**doc.get("fields", {}), **dict(fields)}
        if comment:
            doc["comments"] = [*doc.get("comments", []), _comment(comment, author, now)]
        doc["updated_at"] = now
        self._save(doc)
        return self._ticket(doc)

    def comment(self, key: str, text: str, *, author: str = "mlc") -> None:
        """Add a comment.

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        doc = self._doc(key)
        now = self._now()
        doc["comments"] = [*doc.get("comments", []), _comment(text, author, now)]
        doc["updated_at"] = now
        self._save(doc)

    def attach(self, key: str, filename: str, content: bytes) -> None:
        """Attach a file (kept base64-encoded in the database).

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        doc = self._doc(key)
        now = self._now()
        attachment_id = f"{doc['key']}/{len(doc.get('attachments', [])) + 1}"
        entry = {"id": attachment_id, "filename": filename, "size": len(content), "at": now}
        doc["attachments"] = [*doc.get("attachments", []), entry]
        doc["updated_at"] = now
        with self.store.transaction() as tx:
            data = {"filename": filename, "content": base64.b64encode(content).decode()}
            tx.put_document(_ATTACHMENT, attachment_id, data, now)
            tx.put_document(_TICKET, doc["key"], doc, now)
        self._changed(doc["key"])

    def find_by_idempotency_key(self, key: str) -> Ticket | None:
        """Return the ticket opened with this idempotency key, if any."""
        known = self.store.get_document(_IDEMPOTENCY, key)
        if known is None:
            return None
        doc = self.store.get_document(_TICKET, known["key"])
        return self._ticket(doc) if doc is not None else None

    # ------------------------------------------------------------------ the board

    def list(self, status: str | None = None, *, kind: str | None = None) -> builtins.list[Ticket]:
        """List tickets, oldest first, optionally only those in `status` or of `kind`."""
        docs = sorted(self.store.list_documents(_TICKET), key=lambda d: int(d.get("number", 0)))
        tickets = [self._ticket(d) for d in docs]
        if status is not None:
            tickets = [t for t in tickets if t.has_status(status)]
        if kind is not None:
            tickets = [t for t in tickets if t.kind == kind]
        return tickets

    def description(self, key: str) -> str:
        """Return a ticket's body (plain text).

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        return str(self._doc(key).get("description", ""))

    def comments(self, key: str) -> builtins.list[dict[str, str]]:
        """Return a ticket's comments, oldest first, as `{"author", "body", "created_at"}`.

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        return [dict(c) for c in self._doc(key).get("comments", [])]

    def attachments(self, key: str) -> builtins.list[tuple[str, bytes]]:
        """Return a ticket's attachments as (file name, content) pairs.

        Raises:
            modelop_mlc.errors.NotFoundError: If there is no such ticket.
        """
        result = []
        for entry in self._doc(key).get("attachments", []):
            data = self.store.get_document(_ATTACHMENT, entry["id"]) or {}
            result.append((entry["filename"], base64.b64decode(data.get("content", ""))))
        return result


def _comment(text: str, author: str, at: str) -> dict[str, str]:
    return {"author": author, "body": text, "created_at": at}
