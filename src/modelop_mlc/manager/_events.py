"""Signals and messages between instances: broadcast, correlation, and what instances throw.

Every delivery is a step of the receiving instance (`Runtime.step`) and every start a new
instance (`Runtime.create`), so a delivered event is saved exactly like any other command.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc._engine.events import OutboundEvent
from modelop_mlc.config import ManagerConfig
from modelop_mlc.errors import CorrelationError
from modelop_mlc.manager._applicability import applies
from modelop_mlc.manager._runtime import Note, Runtime
from modelop_mlc.models import MessageResult, SignalResult
from modelop_mlc.registry import check_json
from modelop_mlc.store import SqlStore

__all__ = ["EventRouter"]

log = logging.getLogger("modelop_mlc")


class EventRouter:
    """Delivers signals and messages, from the host or thrown by instances."""

    def __init__(self, runtime: Runtime, store: SqlStore, config: ManagerConfig) -> None:
        """Route through `runtime`; it hands what instances throw to `deliver_outbox`."""
        self._runtime = runtime
        self._store = store
        self._config = config
        # Thrown events are delivered per thread: each thread drains its own cascade.
        self._local = threading.local()
        runtime.on_outbox = self.deliver_outbox

    def signal(
        self, name: str, values: dict[str, Any], *, exclude: str | None = None
    ) -> SignalResult:
        """Start every process the signal applies to; wake every instance waiting for it.

        `exclude` is the instance that threw the signal: it does not catch its own.
        """
        started = []
        for definition_id, event_id in self._store.start_subscribers("signal", name):
            row = self._runtime.repository.definition(definition_id)
            if row is None or not applies(row.applies_to, values):
                continue
            created = self._runtime.create(
                row,
                event_id,
                dict(values),
                None,
                origin="signal",
                detail={"signal": name},
            )
            started.append(created.id)
        delivered = []
        note = Note("signal_received", detail={"signal": name, "variables": sorted(values)})
        for instance_id in self._store.subscribers("signal", name):
            if instance_id == exclude:
                continue
            caught, _ = self._runtime.step(
                instance_id, lambda inst: inst.deliver_signal(name, values), notes=[note]
            )
            if caught:
                delivered.append(instance_id)
        return SignalResult(started=tuple(started), delivered=tuple(delivered))

    def message(
        self,
        name: str,
        values: dict[str, Any],
        *,
        business_key: str | None,
        keys: dict[str, Any],
        every: bool,
        instance_id: str | None = None,
    ) -> list[MessageResult]:
        """Deliver a message to its receivers: exactly one, or (`every`) all of them.

        With `instance_id` only that instance can receive it (no start event).

        Raises:
            CorrelationError: If nothing matches, or several do and not `every`.
        """
        waiting = self._waiting(name, business_key, keys)
        if instance_id is not None:
            waiting = [i for i in waiting if i == instance_id]
        no_starts = keys or instance_id is not None
        starts = [] if no_starts else self._store.start_subscribers("message", name)
        matches = len(waiting) + len(starts)
        if matches == 0 or (matches > 1 and not every):
            raise CorrelationError(name, matches, _correlation_detail(business_key, keys))
        results = []
        note = Note("message_received", detail={"message": name, "variables": sorted(values)})
        for receiver in waiting:
            caught, saved = self._runtime.step(
                receiver, lambda inst: inst.deliver_message(name, values), notes=[note]
            )
            if caught:
                results.append(MessageResult(receiver, started=False, variables=saved.variables))
        for definition_id, event_id in starts:
            definition = self._runtime.repository.definition(definition_id)
            if definition is None:
                continue  # undeployed meanwhile
            created = self._runtime.create(
                definition,
                event_id,
                dict(values),
                business_key,
                origin="message",
                detail={"message": name},
            )
            results.append(MessageResult(created.id, started=True, variables=created.variables))
        return results

    def _waiting(self, name: str, business_key: str | None, keys: Mapping[str, Any]) -> list[str]:
        """Instances waiting for message `name` whose business key and variables match."""
        waiting = []
        for instance_id in self._store.subscribers("message", name):
            row = self._store.get_instance(instance_id)
            if row is None or (business_key is not None and row.business_key != business_key):
                continue
            if any(row.variables.get(k) != v for k, v in keys.items()):
                continue
            waiting.append(instance_id)
        return waiting

    def deliver_outbox(self, outbox: Sequence[OutboundEvent], source_instance: str) -> None:
        """Deliver what an instance threw; iteratively, so cascades cannot recurse deeply."""
        state = self._local
        if not hasattr(state, "pending"):
            state.pending = deque()
            state.delivering = False
        pending: deque[tuple[OutboundEvent, str]] = state.pending
        pending.extend((event, source_instance) for event in outbox)
        if state.delivering:
            return
        state.delivering = True
        try:
            budget = self._config.max_event_cascade
            while pending and budget > 0:
                event, source = pending.popleft()
                budget -= 1
                if event.kind == "signal":
                    self.signal(event.name, dict(event.variables or {}), exclude=source)
                    continue
                values = check_json(event.variables)
                try:
                    self.message(event.name, values, business_key=None, keys={}, every=True)
                except CorrelationError:
                    log.info("message %s thrown by %s reached no receiver", event.name, source)
            if pending:
                log.warning(
                    "stopped delivering thrown events after %s: the diagrams keep throwing them",
                    self._config.max_event_cascade,
                )
                pending.clear()
        finally:
            state.delivering = False


def _correlation_detail(business_key: str | None, keys: Mapping[str, Any]) -> str:
    parts = []
    if business_key is not None:
        parts.append(f"business key '{business_key}'")
    if keys:
        parts.append("correlation keys " + ", ".join(f"{k}={v!r}" for k, v in keys.items()))
    return f" (with {' and '.join(parts)})" if parts else ""
