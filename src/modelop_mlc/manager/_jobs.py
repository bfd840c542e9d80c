"""Due timers and async jobs: claimed with a lease, run outside the instance transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc._engine.timers import parse_timer
from modelop_mlc.errors import BpmnError, InstanceConflictError, MlcError, ProcessError
from modelop_mlc.manager._runtime import Runtime, _describe
from modelop_mlc.registry import Pending
from modelop_mlc.store._sql import JobRow, TimerRow, dumps, iso

__all__ = ["JobExecutor"]

log = logging.getLogger("modelop_mlc.jobs")

_BATCH = 50


class JobExecutor:
    """Fires due timers and runs due jobs for one manager (one worker identity)."""

    def __init__(
        self, runtime: Runtime, owner: str, start_from_timer: Callable[[str, str], str]
    ) -> None:
        """Create the executor; `start_from_timer(definition_id, event_id)` starts instances."""
        self.runtime = runtime
        self.owner = owner
        self.start_from_timer = start_from_timer

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.runtime.config.job_lease_seconds)

    def run_due(self, limit: int | None = None) -> int:
        """Fire every due timer and run every due job, now per the clock; return how many."""
        done = 0
        while limit is None or done < limit:
            batch = _BATCH if limit is None else min(_BATCH, limit - done)
            now = self.runtime.clock.now()
            with self.runtime.store.transaction() as tx:
                timers = tx.claim_timers(self.owner, iso(now), iso(now + self._lease), batch)
            for timer in timers:
                self._fire(timer)
                done += 1
            remaining = batch - len(timers)
            jobs: list[JobRow] = []
            if remaining > 0:
                with self.runtime.store.transaction() as tx:
                    jobs = tx.claim_jobs(self.owner, iso(now), iso(now + self._lease), remaining)
                for job in jobs:
                    self.execute(job)
                    done += 1
            if not timers and not jobs:
                break
        return done

    # ------------------------------------------------------------------ timers

    def _fire(self, timer: TimerRow) -> None:
        store = self.runtime.store
        if timer.instance_id is None:
            self._fire_start_timer(timer)
            return
        meta = store.instance_meta(timer.instance_id)
        if meta is None or meta[0] in {"completed", "cancelled"}:
            with store.transaction() as tx:
                tx.execute("DELETE FROM timers WHERE id = ?", (timer.id,))
            return
        try:
            self.runtime.step(timer.instance_id, lambda _instance: None)
        except InstanceConflictError:
            log.warning(
                "timer %s of %s lost too many races; it stays due", timer.id, timer.instance_id
            )
        with store.transaction() as tx:
            tx.release_timer(timer.id)

    def _fire_start_timer(self, timer: TimerRow) -> None:
        store = self.runtime.store
        definition = store.get_definition(timer.definition_id or "")
        if definition is None:
            with store.transaction() as tx:
                tx.execute("DELETE FROM timers WHERE id = ?", (timer.id,))
            return
        start = next(
            (s for s in definition.info.get("start_events", []) if s["id"] == timer.activity_id),
            None,
        )
        self.start_from_timer(definition.id, timer.activity_id)
        next_due = None
        if start is not None and start.get("timer_kind") == "timeCycle":
            schedule = parse_timer(start["timer_kind"], start["timer_value"])
            following = schedule.next_due(_parse(timer.due_at), timer.fired + 1)
            next_due = iso(following) if following else None
        with store.transaction() as tx:
            tx.set_start_timer(
                timer.id, definition.id, timer.activity_id, next_due, timer.fired + 1
            )

    # ------------------------------------------------------------------ jobs

    def execute(self, job: JobRow) -> None:
        """Run one claimed job's delegate and record the outcome."""
        runtime = self.runtime
        row = runtime.store.get_instance(job.instance_id)
        if row is None or row.status in {"completed", "cancelled"}:
            with runtime.store.transaction() as tx:
                tx.delete_job(job.id)
            return
        specs = runtime.repository.specs(row.definition_id, row.called)
        instance = EngineInstance.restore(specs, runtime.host(row), row.state, dict(row.variables))
        call = instance.job_call(job.id)
        if call is None:
            with runtime.store.transaction() as tx:
                tx.delete_job(job.id)
            return
        entry = runtime.registry.resolve(call.candidates)
        if entry is None:
            self._failed(
                job,
                f"no delegate is registered as {' or '.join(call.candidates)}; "
                "register one and retry the incident",
                retryable=False,
            )
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
            self._park(job, pending)
            return
        except BpmnError as err:
            code, message = err.code, err.message
            self._step(job, lambda inst: inst.fail_job_with_error(job.id, code, message))
            return
        except Exception as err:  # noqa: BLE001 - any delegate failure is retried, then an incident
            self._failed(job, _describe(err))
            return
        self._step(job, lambda inst: inst.finish_job(job.id, result))

    def _park(self, job: JobRow, pending: Pending) -> None:
        """Check again later: no retry used up, nothing added to history or the instance."""
        now = self.runtime.clock.now()
        current = self.runtime.store.get_job(job.id)
        attempts = max((current.attempts if current else 1) - 1, 0)
        with self.runtime.store.transaction() as tx:
            tx.update_job(job.id, due_at=iso(now + pending.after), lease_owner=None,
                          lease_until=None, attempts=attempts, wake_key=pending.wake_on,
                          last_error=None)

    def _step(self, job: JobRow, command: Callable[[EngineInstance], Any]) -> None:
        try:
            self.runtime.step(job.instance_id, command)
        except ProcessError as err:
            if "has completed" in str(err) or "has cancelled" in str(err):
                return
            self._failed(job, str(err))
        except MlcError as err:
            self._failed(job, str(err))

    def _failed(self, job: JobRow, message: str, *, retryable: bool = True) -> None:
        runtime = self.runtime
        now = runtime.clock.now()
        at = iso(now)
        current = runtime.store.get_job(job.id)
        if current is None:
            return
        attempts = current.attempts
        retries_left = current.retries_left - 1 if retryable else 0
        history = [
            (
                job.instance_id,
                runtime.store.instance_meta(job.instance_id)[1]  # type: ignore[index]
                if runtime.store.instance_meta(job.instance_id)
                else "",
                job.activity_id,
                job.activity_name,
                None,
                "job_failed",
                at,
                job.id,
                dumps(
                    {"error": message, "attempt": attempts, "retries_left": max(retries_left, 0)}
                ),
            )
        ]
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
                tx.insert_incident(
                    incident_id,
                    job.instance_id,
                    job.activity_id,
                    job.id,
                    "failed_job",
                    runtime.incident_message(job.activity_id, message),
                    at,
                )
                tx.set_instance_status(job.instance_id, "incident")
                history.append(
                    (
                        *history[0][:5],
                        "incident",
                        at,
                        job.id,
                        dumps({"incident": incident_id, "message": message}),
                    )
                )
            tx.append_history(history)


def _parse(text: str) -> Any:
    from datetime import datetime  # noqa: PLC0415 - tiny helper

    return datetime.fromisoformat(text)
