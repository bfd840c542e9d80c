"""`CreateJournal`: what each ticket create attempt did, kept where a retry will find it.

A search cannot tell a retried create whether the first attempt opened a ticket: Jira Cloud's
search is eventually consistent and may not show a new issue for minutes. So the adapter
writes down, before it sends the create, that an attempt is under way, and after the answer,
the key it got. A retry then reads the ticket by key (always up to date) instead of trusting
the search; only an attempt whose answer was lost needs the search, and it waits for the
search to catch up before creating again. The manager gives the journal its own database (the
embedded board's document table), so the record survives a crash and is shared by every worker.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Literal

from modelop_mlc.clock import Clock, SystemClock
from modelop_mlc.tickets.local import DocumentStore

__all__ = ["Attempt", "CreateJournal"]

_KIND = "ticket_attempt"

State = Literal["sent", "created", "done", "failed"]


class Attempt:
    """One create attempt as the journal remembers it.

    Attributes:
        state: `sent` (the request went out, no answer yet), `created` (Jira answered with
            `key`), `done` (follow-up edits applied too) or `failed` (refused: nothing
            was created).
        key: The ticket's key, once known.
        at: When the request was sent.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        """Read a journal document."""
        self.state: State = doc["state"]
        self.key: str | None = doc.get("key")
        self.at = datetime.fromisoformat(doc["at"])

    def __repr__(self) -> str:
        """Describe the attempt."""
        return f"Attempt(state={self.state!r}, key={self.key!r}, at={self.at.isoformat()})"


class CreateJournal:
    """Create attempts of one ticket system, by idempotency key.

    Args:
        system: The ticket system's name (`"jira"`); keys are stored as `<system>:<key>`.
        store: Where attempts are kept; without one they live in memory, which protects
            retries within this process only (the manager always binds its store).
        clock: Stamps each attempt.
    """

    def __init__(
        self, system: str, store: DocumentStore | None = None, clock: Clock | None = None
    ) -> None:
        """Create the journal."""
        self.system = system
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def durable(self) -> bool:
        """Whether attempts survive this process (a store is bound)."""
        return self.store is not None

    def bind(self, store: DocumentStore, clock: Clock) -> None:
        """Keep attempts in `store` from now on (the manager calls this through `Tickets`)."""
        self.store = store
        self.clock = clock

    def get(self, idempotency_key: str) -> Attempt | None:
        """Return the last recorded attempt for a key, or None."""
        doc_id = f"{self.system}:{idempotency_key}"
        if self.store is None:
            with self._lock:
                doc = self._memory.get(doc_id)
        else:
            doc = self.store.get_document(_KIND, doc_id)
        return Attempt(dict(doc)) if doc else None

    def record(
        self, idempotency_key: str, state: State, *, key: str | None = None, at: datetime | None
    ) -> None:
        """Write the attempt's state (`at` None keeps the time of the earlier record)."""
        doc_id = f"{self.system}:{idempotency_key}"
        now = self.clock.now()
        if at is None:
            earlier = self.get(idempotency_key)
            at = earlier.at if earlier else now
        doc = {"state": state, "key": key, "at": at.isoformat()}
        if self.store is None:
            with self._lock:
                self._memory[doc_id] = doc
            return
        with self.store.transaction() as tx:
            tx.put_document(_KIND, doc_id, doc, now.isoformat(timespec="microseconds"))

    def waited(self, attempt: Attempt) -> timedelta:
        """How long ago the attempt was sent."""
        return self.clock.now() - attempt.at
