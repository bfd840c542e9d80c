"""Signals and messages between instances: broadcast, correlation, and the outbox.

Every delivery is a step of the receiving instance (`Runtime.step`) and every start a new
instance (`Runtime.create`), so a delivered event is saved exactly like any other command.

Signals (from a host or thrown by an instance) and messages thrown by instances go through the
outbox: the event and one delivery per receiver are written in one transaction with the step
that throws it (or by `signal()` before it delivers anything); each delivery is then one step
of its receiver, whose transaction deletes the delivery. This host delivers them at once; what
a crash interrupts, or what failed for a passing reason, a worker delivers later. A receiver
that fails gets an incident of its own; the thrower, the other receivers and the caller carry on.

The receivers' steps of one event are committed in groups (`CommitGroup`, up to
`ManagerConfig.group_commit` per transaction), each with its delivery's deletion: a group whose
transaction fails is saved step by step, and what the receivers throw is delivered after the
group commits.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc.config import ManagerConfig
from modelop_mlc.errors import CorrelationError, InstanceNotFoundError, ProcessError
from modelop_mlc.manager._fanout import CALL_RETURN, Lease, call_return, fan_out
from modelop_mlc.manager._group import CommitGroup, Done
from modelop_mlc.manager._runtime import Note, Runtime, Thrown, describe_error
from modelop_mlc.models import MessageResult, SignalResult
from modelop_mlc.store import DeliveredElsewhereError, SqlStore, Tx
from modelop_mlc.store.rows import DeliveryRow, HistoryRow, IncidentRow, ThrowRow, iso

__all__ = ["EventRouter"]

log = logging.getLogger("modelop_mlc")

# A host delivers at most this many deliveries of one repeated `signal()` itself.
_REPLAY_BATCH = 100_000


@dataclass
class _Outcome:
    """What delivering some deliveries did (for `SignalResult`)."""

    started: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class _Cascade(threading.local):
    """Per thread: thrown events waiting to be delivered, and whether a loop is draining them."""

    def __init__(self) -> None:
        self.pending: deque[tuple[ThrowRow, list[DeliveryRow]]] = deque()
        self.delivering = False


class EventRouter:
    """Delivers signals and messages, from the host or thrown by instances."""

    def __init__(self, runtime: Runtime, store: SqlStore, config: ManagerConfig) -> None:
        """Route through `runtime`; it hands what instances throw to `deliver_outbox`."""
        self._runtime = runtime
        self._store = store
        self._config = config
        # Thrown events are delivered per thread: each thread drains its own cascade.
        self._local = _Cascade()
        runtime.on_outbox = self.deliver_outbox

    def _lease(self) -> Lease:
        until = self._runtime.clock.now() + timedelta(seconds=self._config.job_lease_seconds)
        return Lease(self._runtime.owner, iso(until))

    def signal(
        self, name: str, values: dict[str, Any], *, idempotency_key: str | None = None
    ) -> SignalResult:
        """Start every process the signal applies to; wake every instance waiting for it.

        The signal and its receivers are saved first, in one transaction: once that commits
        nothing is lost, whatever happens to this host. With an `idempotency_key`, a signal
        recorded before under the same key is not recorded again; only its receivers not
        reached yet are delivered to.
        """
        throw = ThrowRow(
            id=f"signal:{idempotency_key}" if idempotency_key else str(uuid.uuid4()),
            kind="signal",
            name=name,
            variables=values,
            source_instance=None,
            created_at=iso(self._runtime.clock.now()),
        )
        lease = self._lease()

        def record(tx: Tx) -> tuple[list[DeliveryRow], bool]:
            deliveries = fan_out(tx, throw, lease=lease)
            if deliveries is not None:
                return deliveries, False
            left = tx.claim_deliveries(
                lease.owner, throw.created_at, lease.until, _REPLAY_BATCH, throw_id=throw.id
            )
            return left, True

        deliveries, duplicate = self._store.run_transaction(record)
        if duplicate:
            throw = self._store.get_throw(throw.id) or throw
        outcome = self._deliver_now(throw, deliveries)
        return SignalResult(
            started=tuple(outcome.started),
            delivered=tuple(outcome.delivered),
            failed=tuple(outcome.failed),
            duplicate=duplicate,
        )

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

    # ------------------------------------------------------------------ the outbox

    def deliver_outbox(self, thrown: Thrown) -> None:
        """Deliver what a saved step threw; iteratively, so cascades cannot recurse deeply."""
        state = self._local
        state.pending.extend(thrown)
        if state.delivering:
            return  # the loop further up this thread's stack delivers them
        state.delivering = True
        try:
            self._drain(state)
        finally:
            state.delivering = False

    def deliver_claimed(self, delivery: DeliveryRow, group: CommitGroup, settled: Done) -> None:
        """Deliver one delivery a worker claimed, committed with the worker's `group`.

        `settled` is told once the delivery is saved or handled (an incident, a retry later);
        what the receiver throws is delivered after the group commits.
        """
        throw = self._store.get_throw(delivery.throw_id)
        if throw is None:  # pragma: no cover - throws are never deleted before their deliveries
            log.error("delivery %s has no thrown event; dropping it", delivery.id)
            self._drop(delivery)
        elif throw.kind == CALL_RETURN:  # a called instance's end, left over by its host
            self._runtime.calls.deliver([call_return(throw, delivery.id)])
        else:
            self._deliver(throw, delivery, _Outcome(), group, settled)
            return
        settled(None)

    def retry(self, incident: IncidentRow) -> str | None:
        """Deliver a failed delivery again (`manager.retry()` of a `failed_delivery` incident).

        Returns:
            The receiving instance, or the one the retried start event started (None if it
            failed again).
        """
        if incident.instance_id:
            self._runtime.resolve_incident(incident)
        else:
            at = iso(self._runtime.clock.now())
            self._store.run_transaction(lambda tx: self._runtime.reopen_failed(tx, incident, at))
        delivery = self._store.get_delivery(incident.job_id or "")
        throw = self._store.get_throw(delivery.throw_id) if delivery is not None else None
        if delivery is None or throw is None:
            return incident.instance_id or None
        outcome = self._deliver_now(throw, [delivery])
        return incident.instance_id or next(iter(outcome.started), None)

    def _deliver_now(self, throw: ThrowRow, deliveries: list[DeliveryRow]) -> _Outcome:
        """Deliver one event's deliveries in this thread, then the cascade they cause."""
        state = self._local
        outer = state.delivering
        state.delivering = True
        outcome = _Outcome()
        try:
            self._deliver_all(throw, deliveries, outcome)
            if not outer:
                self._drain(state)
        finally:
            state.delivering = outer
        return outcome

    def _drain(self, state: _Cascade) -> None:
        budget = self._config.max_event_cascade
        while state.pending:
            throw, deliveries = state.pending.popleft()
            if budget <= 0:
                for delivery in deliveries:
                    self._fail(
                        throw,
                        delivery,
                        f"more than {self._config.max_event_cascade} thrown events followed "
                        "one another in one call: the diagrams keep throwing them",
                        retryable=False,
                    )
                continue
            budget -= 1
            self._deliver_all(throw, deliveries, _Outcome())

    def _deliver_all(
        self, throw: ThrowRow, deliveries: list[DeliveryRow], outcome: _Outcome
    ) -> None:
        """Deliver one event's deliveries, committing the receivers' steps in groups."""
        group = CommitGroup(self._store, self._config.group_commit)
        try:
            for delivery in deliveries:
                self._deliver(throw, delivery, outcome, group)
        finally:
            group.flush()

    def _deliver(
        self,
        throw: ThrowRow,
        delivery: DeliveryRow,
        outcome: _Outcome,
        group: CommitGroup | None = None,
        settled: Done | None = None,
    ) -> None:
        """One step of one receiver; a failure is the receiver's, never the caller's.

        With `group`, a waiting receiver's step is committed with the group (a start event's
        new instance is saved at once); without, it is saved alone. `settled` is told when
        the delivery is done with.
        """
        values = dict(throw.variables)

        def done(tx: Tx) -> None:
            tx.finish_delivery(delivery.id)

        try:
            if delivery.instance_id is None:
                definition = self._runtime.repository.definition(delivery.definition_id or "")
                if definition is None:
                    self._drop(delivery)  # undeployed meanwhile
                else:
                    created = self._runtime.create(
                        definition,
                        delivery.activity_id or "",
                        values,
                        None,
                        origin=throw.kind,
                        detail={throw.kind: throw.name},
                        within=done,
                    )
                    outcome.started.append(created.id)
            else:
                note = Note(
                    f"{throw.kind}_received",
                    detail={throw.kind: throw.name, "variables": sorted(values)},
                )
                if group is not None:
                    self._deliver_later(throw, delivery, outcome, group, settled, note)
                    return  # the group tells `settled`
                caught, _ = self._runtime.step(
                    delivery.instance_id, _catch(throw, values), notes=[note], within=done
                )
                if caught:
                    outcome.delivered.append(delivery.instance_id)
        except Exception as err:  # noqa: BLE001 - classified in `_failed`
            self._failed(throw, delivery, outcome, err)
        if settled is not None:
            settled(None)

    def _deliver_later(
        self,
        throw: ThrowRow,
        delivery: DeliveryRow,
        outcome: _Outcome,
        group: CommitGroup,
        settled: Done | None,
        note: Note,
    ) -> None:
        """Compute a waiting receiver's step now; `group` commits it with its delivery's end.

        If the group's transaction fails, the step is saved alone; if another step of the
        receiver came first, it is delivered again alone (`redo`), from the new state.
        """
        instance_id = delivery.instance_id or ""
        catch = _catch(throw, dict(throw.variables))
        caught: list[bool] = []
        redone: list[bool] = []

        def command(inst: EngineInstance) -> None:
            caught.append(catch(inst))

        def redo() -> None:
            redone.append(True)
            self._deliver(throw, delivery, outcome)

        def finished(err: BaseException | None) -> None:
            if isinstance(err, Exception):
                self._failed(throw, delivery, outcome, err)
            elif err is None and not redone and any(caught):
                outcome.delivered.append(instance_id)
            if settled is not None:
                settled(None)

        def done(tx: Tx) -> None:
            tx.finish_delivery(delivery.id)

        self._runtime.step_later(
            group, instance_id, command, redo=redo, done=finished, also=done, notes=[note]
        )

    def _failed(
        self, throw: ThrowRow, delivery: DeliveryRow, outcome: _Outcome, err: Exception
    ) -> None:
        """What a receiver's failed step leads to: nothing, a dropped delivery, or `_fail`."""
        receiver = delivery.instance_id or delivery.definition_id or ""
        if isinstance(err, DeliveredElsewhereError):
            log.debug("delivery %s was made by another worker", delivery.id)
        elif isinstance(err, InstanceNotFoundError):
            self._drop(delivery)
        elif isinstance(err, ProcessError):
            if self._receiver_ended(delivery):
                self._drop(delivery)
                return
            outcome.failed.append(receiver)
            self._fail(throw, delivery, describe_error(err), retryable=False)
        else:  # the store or a lost race: a worker retries it
            outcome.failed.append(receiver)
            self._fail(throw, delivery, describe_error(err), retryable=True)

    def _receiver_ended(self, delivery: DeliveryRow) -> bool:
        if delivery.instance_id is None:
            return False
        meta = self._store.instance_meta(delivery.instance_id)
        return meta is None or meta.status in {"completed", "cancelled"}

    def _drop(self, delivery: DeliveryRow) -> None:
        """Forget a delivery whose receiver is gone (it ended, or was deleted)."""

        def drop(tx: Tx) -> None:
            with contextlib.suppress(DeliveredElsewhereError):
                tx.finish_delivery(delivery.id)

        self._store.run_transaction(drop)

    def _fail(self, throw: ThrowRow, delivery: DeliveryRow, error: str, *, retryable: bool) -> None:
        """Retry a failed delivery later, or give its receiver an incident."""
        runtime = self._runtime
        now = runtime.clock.now()
        at = iso(now)
        delays = runtime.retry_delays(None)
        if retryable and delivery.attempts < len(delays):
            due = iso(now + delays[max(delivery.attempts - 1, 0)])
            log.warning("delivery %s failed (%s); retrying at %s", delivery.id, error, due)
            self._store.run_transaction(
                lambda tx: tx.update_delivery(
                    delivery.id, due_at=due, lease_owner=None, lease_until=None, last_error=error
                )
            )
            return
        log.warning("delivery %s failed: %s; raising an incident", delivery.id, error)
        meta = self._store.instance_meta(delivery.instance_id) if delivery.instance_id else None
        incident = IncidentRow(
            id=str(uuid.uuid4()),
            instance_id=delivery.instance_id or "",
            activity_id=delivery.activity_id,
            job_id=delivery.id,
            kind="failed_delivery",
            message=_incident_message(throw, delivery, error, runtime),
            created_at=at,
        )

        def record(tx: Tx) -> None:
            tx.update_delivery(
                delivery.id, status="failed", lease_owner=None, lease_until=None, last_error=error
            )
            tx.insert_incident(incident)
            if delivery.instance_id and meta is not None:
                tx.set_instance_status(delivery.instance_id, "incident")
                tx.append_history(
                    [
                        HistoryRow(
                            delivery.instance_id,
                            meta.key,
                            "incident",
                            at,
                            activity_id=delivery.activity_id,
                            detail={"incident": incident.id, "message": error},
                        )
                    ]
                )

        self._store.run_transaction(record)


def _catch(throw: ThrowRow, values: dict[str, Any]) -> Callable[[EngineInstance], bool]:
    if throw.kind == "signal":
        return lambda inst: inst.deliver_signal(throw.name, values)
    return lambda inst: inst.deliver_message(throw.name, values)


def _incident_message(throw: ThrowRow, delivery: DeliveryRow, error: str, runtime: Runtime) -> str:
    if delivery.instance_id is None:
        row = runtime.store.get_definition(delivery.definition_id or "")
        what = f"could not start process '{row.key if row else delivery.definition_id}'"
        return (
            f"{throw.kind} '{throw.name}' {what} at '{delivery.activity_id}': {error}; nothing "
            "was started. Fix the cause and call manager.retry(incident_id)"
        )
    return (
        f"{throw.kind} '{throw.name}' could not be delivered at '{delivery.activity_id}': "
        f"{error}; the instance still waits for it. Fix the cause and call "
        "manager.retry(incident_id)"
    )


def _correlation_detail(business_key: str | None, keys: Mapping[str, Any]) -> str:
    parts = []
    if business_key is not None:
        parts.append(f"business key '{business_key}'")
    if keys:
        parts.append("correlation keys " + ", ".join(f"{k}={v!r}" for k, v in keys.items()))
    return f" (with {' and '.join(parts)})" if parts else ""
