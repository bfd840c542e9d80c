"""Due timers and async jobs: claimed with a lease, run outside the instance transaction.

Several workers (threads, processes, hosts on one PostgreSQL database) share the work: each
claims a batch of due timers or jobs in one short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL), which leases them to its worker id until `lease_until`. While the worker works
through the batch a heartbeat thread extends the leases; a worker that dies stops renewing,
so its leases run out and another worker takes the items over. Delivery is therefore at
least once: delegates get an idempotency key, and the instance revision makes sure a step is
applied once even when two workers ran the same job.

The steps of a claimed batch are committed together (`CommitGroup`, up to
`ManagerConfig.group_commit` per transaction); an item's lease is given up only once its
step is saved.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from operator import methodcaller
from types import TracebackType
from typing import Any, Self, TypeVar

from modelop_mlc._engine.host import ASYNC_AFTER
from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc._engine.timers import parse_timer
from modelop_mlc.clock import Clock
from modelop_mlc.errors import BpmnError, InstanceConflictError, MlcError, ProcessError
from modelop_mlc.manager._cutoff import DelegateTimeoutError
from modelop_mlc.manager._group import CommitGroup, Done
from modelop_mlc.manager._runtime import Opened, Runtime, describe_error
from modelop_mlc.manager._waits import incident_message
from modelop_mlc.registry import Pending
from modelop_mlc.store import SqlStore, Tx
from modelop_mlc.store.rows import DeliveryRow, HistoryRow, IncidentRow, JobRow, TimerRow, iso

__all__ = ["JobExecutor"]

log = logging.getLogger("modelop_mlc.jobs")

_BATCH = 50
# The lease a failed timer is parked under until its incident is retried.
_PARKED = "9999-12-31T23:59:59+00:00"
Item = TypeVar("Item", JobRow, TimerRow, DeliveryRow)


def _settled(_error: BaseException | None) -> None:
    """The outcome of a step nobody waits for (`retry()` runs a job on its own)."""


class JobExecutor:
    """Fires due timers and runs due jobs for one manager (one worker identity)."""

    def __init__(self, runtime: Runtime, owner: str) -> None:
        """Create the executor; it leases work to `owner` (a worker id)."""
        self.runtime = runtime
        self.owner = owner
        # Per thread: what this thread claimed and neither finished nor gave back (an item
        # whose processing raised keeps its lease, so it is retried only after the lease).
        self._local = threading.local()
        # Delivers one claimed delivery of the outbox with the batch's group, then tells
        # `done` (the manager's `EventRouter.deliver_claimed`).
        self.deliver: Callable[[DeliveryRow, CommitGroup, Done], None] | None = None

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.runtime.config.job_lease_seconds)

    def run_due(self, limit: int | None = None, *, stop: threading.Event | None = None) -> int:
        """Fire every due timer and run every due job, now per the clock; return how many.

        Args:
            limit: At most this many items.
            stop: When set, stop after the item in progress and give the leases of the
                claimed items not yet started back.
        """
        store = self.runtime.store
        done = 0
        while (limit is None or done < limit) and not _is_set(stop):
            batch = _BATCH if limit is None else min(_BATCH, limit - done)
            now = self.runtime.clock.now()
            start, until = iso(now), iso(now + self._lease)
            deliveries: list[DeliveryRow] = []
            if self.deliver is not None:
                deliveries = store.run_transaction(
                    methodcaller("claim_deliveries", self.owner, start, until, batch)
                )
                done += self._run_claimed("deliveries", deliveries, self._deliver, stop)
            remaining = batch - len(deliveries)
            timers: list[TimerRow] = []
            if remaining > 0 and not _is_set(stop):
                timers = store.run_transaction(
                    methodcaller("claim_timers", self.owner, start, until, remaining)
                )
                done += self._run_claimed("timers", timers, self._fire, stop)
            remaining -= len(timers)
            jobs: list[JobRow] = []
            if remaining > 0 and not _is_set(stop):
                jobs = store.run_transaction(
                    methodcaller("claim_jobs", self.owner, start, until, remaining)
                )
                done += self._run_claimed("jobs", jobs, self.execute, stop)
            if not deliveries and not timers and not jobs:
                break
        return done

    def _run_claimed(
        self,
        table: str,
        items: Sequence[Item],
        run: Callable[[Item, CommitGroup, Done], None],
        stop: threading.Event | None,
    ) -> int:
        if not items:
            return 0
        held = self._held(table)
        held.update(item.id for item in items)
        pending = list(items)
        ran = 0
        errors: list[BaseException] = []
        group = CommitGroup(self.runtime.store, self.runtime.config.group_commit)
        with _LeaseKeeper(self.runtime, self.owner, self._lease, table, pending) as keeper:

            def settled(item_id: str, error: BaseException | None) -> None:
                keeper.finished(item_id)
                if error is None:
                    held.discard(item_id)
                else:
                    # The item keeps its lease, which spaces out its retries.
                    errors.append(error)

            try:
                while pending and not _is_set(stop):
                    if not keeper.start(pending[0].id):
                        # The heartbeat gave it back while the item before ran too long.
                        held.discard(pending.pop(0).id)
                        continue
                    run(pending[0], group, partial(settled, pending[0].id))
                    pending.pop(0)
                    ran += 1
            except BaseException:
                # The item that failed keeps its lease, which spaces out its retries.
                keeper.finished(pending.pop(0).id)
                raise
            finally:
                # What the batch computed is saved, also when an item failed or on shutdown.
                group.flush()
                # Claimed items not started yet go back at once (on shutdown, after an error).
                self._release(table, keeper.unstarted([item.id for item in pending]))
        if errors:
            raise errors[0]
        return ran

    def _held(self, table: str) -> set[str]:
        held: dict[str, set[str]] | None = getattr(self._local, "held", None)
        if held is None:
            held = {"deliveries": set(), "jobs": set(), "timers": set()}
            self._local.held = held
        return held[table]

    def _release(self, table: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        try:
            released = self.runtime.store.release_leases(table, self.owner, ids)
        except Exception as err:  # noqa: BLE001 - best effort: unreleased leases simply expire
            log.warning("could not give back %s %s leases (they expire): %s", len(ids), table, err)
            return 0
        self._held(table).difference_update(ids)
        return released

    def release_held(self) -> int:
        """Give back the leases this thread still holds; return how many were given back.

        A worker calls this as it stops, so another worker need not wait for them to expire.
        """
        return sum(
            self._release(table, sorted(self._held(table)))
            for table in ("deliveries", "timers", "jobs")
        )

    def run_leased(self, job: JobRow) -> None:
        """Run one job this host leased itself (`retry()`), renewing its lease meanwhile."""
        self._run_claimed("jobs", [job], self.execute, None)

    def _deliver(self, delivery: DeliveryRow, group: CommitGroup, done: Done) -> None:
        """Deliver one claimed delivery, committed with `group` (its failure is the receiver's)."""
        assert self.deliver is not None
        self.deliver(delivery, group, done)

    # ------------------------------------------------------------------ timers

    def _fire(self, timer: TimerRow, group: CommitGroup, done: Done) -> None:
        store = self.runtime.store
        if timer.instance_id is None:
            self._fire_start_timer(timer)
            done(None)
            return
        row = store.get_instance(timer.instance_id)
        if row is None or row.status in {"completed", "cancelled"}:
            with store.transaction() as tx:
                tx.delete_timer(timer.id)
            done(None)
            return

        def release(tx: Tx) -> None:
            # Usually the step deleted the fired timer; if it still waits, it is due again.
            tx.release_leases("timers", self.owner, [timer.id])

        try:
            self.runtime.step_later(
                group,
                row.id,
                _nothing,
                opened=self.runtime.open(row),
                redo=partial(self._fire_alone, timer),
                done=done,
                also=release,
            )
        except MlcError as err:
            self._timer_failed(timer, err)
            done(None)

    def _fire_alone(self, timer: TimerRow) -> None:
        """Fire a timer in a step of its own, retrying lost races."""
        store = self.runtime.store
        assert timer.instance_id is not None
        try:
            _, saved = self.runtime.step(timer.instance_id, _nothing)
        except InstanceConflictError:
            log.warning(
                "timer %s of %s lost too many races; it stays due", timer.id, timer.instance_id
            )
        except MlcError as err:
            self._timer_failed(timer, err)
            return
        else:
            if saved.status in {"completed", "cancelled"}:
                return  # the step removed the timer with every other wait
        store.release_leases("timers", self.owner, [timer.id])

    def _timer_failed(self, timer: TimerRow, err: MlcError) -> None:
        """Open an incident for a timer whose step failed, and keep the timer until a retry.

        As Camunda keeps a failed timer job: nothing of the failed step was saved, the timer
        stays (parked under this worker's lease until `manager.retry(incident_id)`).
        """
        runtime = self.runtime
        instance_id = timer.instance_id or ""
        at = iso(runtime.clock.now())
        message = (
            f"timer '{timer.activity_id}' fired but the step failed: {err}; fix the cause "
            "and call manager.retry(incident_id)"
        )
        meta = runtime.store.instance_meta(instance_id)
        incident_id = str(uuid.uuid4())
        with runtime.store.transaction() as tx:
            runtime.calls.open_incident(
                tx,
                IncidentRow(
                    id=incident_id,
                    instance_id=instance_id,
                    activity_id=timer.activity_id,
                    job_id=timer.id,
                    kind="failed_timer",
                    message=message,
                    created_at=at,
                ),
            )
            tx.set_instance_status(instance_id, "incident")
            # Parked under the incident, not this worker: no worker takes it or gives it back.
            tx.lease_timer(timer.id, f"incident:{incident_id}", _PARKED)
            tx.append_history(
                [
                    HistoryRow(
                        instance_id,
                        meta.key if meta else "",
                        "incident",
                        at,
                        activity_id=timer.activity_id,
                        task_id=timer.id,
                        detail={"incident": incident_id, "message": message},
                    )
                ]
            )
        log.warning(
            "worker %s: timer %s of %s failed, incident %s: %s",
            self.owner,
            timer.activity_id,
            instance_id,
            incident_id,
            err,
        )

    def _fire_start_timer(self, timer: TimerRow) -> None:
        store = self.runtime.store
        definition = store.get_definition(timer.definition_id or "")
        if definition is None:
            with store.transaction() as tx:
                tx.delete_timer(timer.id)
            return
        start = next(
            (s for s in definition.info.get("start_events", []) if s["id"] == timer.activity_id),
            None,
        )
        try:
            self.runtime.create(definition, timer.activity_id, {}, None, origin="timer")
        except MlcError as err:
            # No instance holds an incident: the timer keeps its lease and fires again once
            # the lease runs out (Camunda retries a failed timer start job the same way).
            log.warning(
                "timer start event %s of %s failed (it fires again after the lease): %s",
                timer.activity_id,
                definition.key,
                err,
            )
            return
        next_due = None
        if start is not None and start.get("timer_kind") == "timeCycle":
            schedule = parse_timer(start["timer_kind"], start["timer_value"])
            following = schedule.next_due(datetime.fromisoformat(timer.due_at), timer.fired + 1)
            next_due = iso(following) if following else None
        with store.transaction() as tx:
            tx.set_start_timer(
                timer.id, definition.id, timer.activity_id, next_due, timer.fired + 1
            )

    # ------------------------------------------------------------------ jobs

    def execute(self, job: JobRow, group: CommitGroup | None = None, done: Done = _settled) -> None:
        """Run one claimed job's delegate and record the outcome (with `group`, if given)."""
        runtime = self.runtime
        row = runtime.store.get_instance(job.instance_id)
        if row is None or row.status in {"completed", "cancelled"}:
            with runtime.store.transaction() as tx:
                tx.delete_job(job.id)
            done(None)
            return
        # The step that follows the delegate runs on this same opened instance.
        opened = runtime.open(row)
        # The call's input mappings evaluate expressions.
        with runtime.bounded(row.variables):
            call = opened.instance.job_call(job.id)
        if call is None:
            with runtime.store.transaction() as tx:
                tx.delete_job(job.id)
            done(None)
            return
        if call.kind == ASYNC_AFTER:
            self._step(job, lambda inst: inst.finish_job(job.id, None), opened, group, done)
            return
        entry = runtime.registry.resolve(call.candidates)
        if entry is None:
            self._failed(
                job,
                f"no delegate is registered as {' or '.join(call.candidates)}; "
                f'register it with @manager.delegate("{call.candidates[-1]}")',
                retryable=False,
            )
            done(None)
            return
        try:
            result = runtime.call_delegate(
                entry.function,
                call,
                idempotency_key=job.idempotency_key,
                attempt=job.attempts + 1,
                instance_id=row.id,
                business_key=row.business_key,
            )
        except Pending as pending:
            self._park(job, pending, group, done)
            return
        except BpmnError as err:
            code, message = err.code, err.message
            command: Callable[[EngineInstance], Any] = lambda inst: inst.fail_job_with_error(  # noqa: E731
                job.id, code, message
            )
            self._step(job, command, opened, group, done)
            return
        except Exception as err:  # noqa: BLE001 - any delegate failure is retried, then an incident
            # A hung delegate would likely hang again: a person decides (retry the incident).
            retryable = not isinstance(err, DelegateTimeoutError)
            message = describe_error(err, runtime.call_secrets(call))
            self._failed(job, message, retryable=retryable)
            done(None)
            return
        self._step(job, lambda inst: inst.finish_job(job.id, result), opened, group, done)

    def _park(self, job: JobRow, pending: Pending, group: CommitGroup | None, done: Done) -> None:
        """Check again later: no retry used up, nothing added to history or the instance."""
        now = self.runtime.clock.now()
        current = self.runtime.store.get_job(job.id)
        attempts = max((current.attempts if current else 1) - 1, 0)

        def park(tx: Tx) -> None:
            tx.update_job(
                job.id,
                due_at=iso(now + pending.after),
                lease_owner=None,
                lease_until=None,
                attempts=attempts,
                wake_key=pending.wake_on,
                last_error=None,
            )

        if group is None:
            self.runtime.store.run_transaction(park)
            done(None)
        else:
            group.add(f"job:{job.id}", park, after=_nothing_after, redo=_no_redo, done=done)

    def _step(
        self,
        job: JobRow,
        command: Callable[[EngineInstance], Any],
        opened: Opened | None = None,
        group: CommitGroup | None = None,
        done: Done = _settled,
    ) -> None:
        try:
            if group is None:
                self.runtime.step(job.instance_id, command, opened=opened)
            else:
                self.runtime.step_later(
                    group,
                    job.instance_id,
                    command,
                    opened=opened,
                    redo=partial(self._step, job, command),
                    done=done,
                )
                return  # the group tells `done` once the step is saved
        except ProcessError as err:
            if "has completed" not in str(err) and "has cancelled" not in str(err):
                self._failed(job, str(err))
        except MlcError as err:
            self._failed(job, str(err))
        done(None)

    def _failed(self, job: JobRow, message: str, *, retryable: bool = True) -> None:
        runtime = self.runtime
        now = runtime.clock.now()
        at = iso(now)
        current = runtime.store.get_job(job.id)
        if current is None:
            return
        attempts = current.attempts
        retries_left = current.retries_left - 1 if retryable else 0
        meta = runtime.store.instance_meta(job.instance_id)
        failed = HistoryRow(
            job.instance_id,
            meta.key if meta else "",
            "job_failed",
            at,
            activity_id=job.activity_id,
            activity_name=job.activity_name,
            task_id=job.id,
            detail={"error": message, "attempt": attempts, "retries_left": max(retries_left, 0)},
        )
        history = [failed]
        with runtime.store.transaction() as tx:
            if retries_left > 0:
                delays = runtime.retry_delays(current.retry_cycle)
                delay = delays[min(max(attempts - 1, 0), len(delays) - 1)]
                tx.update_job(
                    job.id,
                    retries_left=retries_left,
                    due_at=iso(now + delay),
                    lease_owner=None,
                    lease_until=None,
                    last_error=message,
                )
            else:
                tx.update_job(
                    job.id,
                    retries_left=0,
                    status="failed",
                    lease_owner=None,
                    lease_until=None,
                    last_error=message,
                )
                incident_id = str(uuid.uuid4())
                runtime.calls.open_incident(
                    tx,
                    IncidentRow(
                        id=incident_id,
                        instance_id=job.instance_id,
                        activity_id=job.activity_id,
                        job_id=job.id,
                        kind="failed_job",
                        message=incident_message(job.activity_id, message),
                        created_at=at,
                    ),
                )
                tx.set_instance_status(job.instance_id, "incident")
                history.append(
                    replace(
                        failed,
                        kind="incident",
                        detail={"incident": incident_id, "message": message},
                    )
                )
            tx.append_history(history)


class _LeaseKeeper:
    """The heartbeat of one claimed batch: extends the leases of the items in progress.

    Every lease/3 it renews the lease of the item being worked on (a delegate may run for
    longer than the lease) and of the items whose steps wait for the batch's commit (they
    are settled once it commits). The claimed items queued behind them are renewed only
    while the item being worked on is young: once an item has run for a whole interval, the
    queued items' leases are given back, so other workers run them instead of waiting
    behind a slow or hung delegate. Timestamps come from the manager's clock; the interval
    is waited on an `Event`, so closing the keeper stops it at once.
    """

    def __init__(
        self, runtime: Runtime, owner: str, lease: timedelta, table: str, items: Sequence[Any]
    ) -> None:
        self._store: SqlStore = runtime.store
        self._clock: Clock = runtime.clock
        self._owner = owner
        self._lease = lease
        self._table = table
        self._queued = [item.id for item in items]
        self._given_back: set[str] = set()
        # Started and not settled yet: the one being worked on, and those awaiting the commit.
        self._started: set[str] = set()
        self._current: str | None = None
        self._beats_on_current = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"mlc-lease-{table}-{owner}", daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed.set()
        self._thread.join()

    def start(self, item_id: str) -> bool:
        """Begin work on an item; False if its lease was given back (skip it then)."""
        with self._lock:
            if item_id in self._given_back:
                return False
            if item_id in self._queued:
                self._queued.remove(item_id)
            self._started.add(item_id)
            self._current = item_id
            self._beats_on_current = 0
            return True

    def finished(self, item_id: str) -> None:
        """Stop renewing one item's lease (its step is saved, or it failed)."""
        with self._lock:
            self._started.discard(item_id)
            if self._current == item_id:
                self._current = None
            if item_id in self._queued:
                self._queued.remove(item_id)

    def unstarted(self, ids: Sequence[str]) -> list[str]:
        """Those of `ids` whose lease this keeper has not given back already."""
        with self._lock:
            return [i for i in ids if i not in self._given_back]

    def _run(self) -> None:
        interval = self._lease.total_seconds() / 3
        try:
            while not self._closed.wait(interval):
                give_back: list[str] = []
                with self._lock:
                    renew = sorted(self._started)
                    self._beats_on_current += 1
                    if self._current is not None and self._beats_on_current > 1:
                        give_back, self._queued = self._queued, []
                        self._given_back.update(give_back)
                    else:
                        renew += self._queued
                if give_back:
                    self._give_back(give_back)
                if renew:
                    self._renew(renew)
        finally:
            # This thread's connection would otherwise stay open until the store closes.
            self._store.close_thread_connection()

    def _give_back(self, ids: list[str]) -> None:
        try:
            released = self._store.release_leases(self._table, self._owner, ids)
        except Exception as err:  # noqa: BLE001 - unreleased leases simply expire
            log.warning("could not give back %s %s leases: %s", len(ids), self._table, err)
            return
        log.info("gave back %s claimed %s: the one in progress runs long", released, self._table)

    def _renew(self, ids: list[str]) -> None:
        until = iso(self._clock.now() + self._lease)
        try:
            with self._store.transaction() as tx:
                renewed = tx.renew_leases(self._table, ids, self._owner, until)
        except Exception as err:  # noqa: BLE001 - a failed renewal is retried; the lease still runs
            log.warning("could not renew %s %s leases: %s", len(ids), self._table, err)
            return
        log.debug("renewed %s of %s %s leases until %s", renewed, len(ids), self._table, until)


def _is_set(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _nothing(_instance: EngineInstance) -> None:
    """The command of a timer's step: the engine fires what is due as it runs."""


def _nothing_after(_result: object) -> None:
    """Nothing follows a write that is not a step."""


def _no_redo() -> None:
    """A write that is not a step cannot lose a revision race."""
