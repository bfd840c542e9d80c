"""External tasks: service tasks that outside workers fetch, lock and complete (Camunda 7).

A service task with `camunda:type="external" camunda:topic="score"` whose topic no delegate
serves waits as an external task row. Workers fetch and lock rows by topic (highest priority
first); the worker holding a lock completes the task (one instance step), reports a failure
(retries and a retry timeout; an incident when none are left) or a BPMN error (one step that
throws it). A lock that runs out makes the task fetchable again, per the manager's clock.

Long polling: `fetch_and_lock(..., wait=...)` waits on a condition that every step creating
external tasks (and every unlock, failure and retry) notifies, so a waiting worker is woken at
once. Other processes and hosts sharing the database do not notify this one, and locks run
out without any event, so the wait also looks again every `_RECHECK_SECONDS`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc.errors import (
    ExternalTaskLockError,
    ExternalTaskNotFoundError,
    VariableError,
)
from modelop_mlc.manager._runtime import Note, Runtime
from modelop_mlc.models import ExternalTask, FetchTopic
from modelop_mlc.registry import check_json
from modelop_mlc.store._external_tasks import TopicClaim
from modelop_mlc.store.queries import DEFAULT_LIMIT, Page
from modelop_mlc.store.rows import ExternalTaskRow, HistoryRow, IncidentRow, iso

__all__ = ["ExternalTasks", "external_task_record"]

# See the module docstring: how often a long-polling fetch looks again without a wake-up.
_RECHECK_SECONDS = 1.0
INCIDENT_KIND = "failed_external_task"


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def external_task_record(
    row: ExternalTaskRow, variables: Mapping[str, Any] | None = None
) -> ExternalTask:
    """Build the public `ExternalTask` of a row."""
    created = _dt(row.created_at)
    assert created is not None
    return ExternalTask(
        id=row.id,
        topic=row.topic,
        instance_id=row.instance_id,
        definition_id=row.definition_id,
        key=row.key,
        business_key=row.business_key,
        activity_id=row.activity_id,
        activity_name=row.activity_name,
        priority=row.priority,
        created_at=created,
        retries=row.retries,
        error_message=row.error_message,
        error_details=row.error_details,
        worker_id=row.worker_id,
        lock_expires_at=_dt(row.lock_until),
        properties=dict(row.properties),
        version_tag=row.version_tag,
        variables=dict(variables or {}),
    )


def _selected(
    topic: FetchTopic, row: ExternalTaskRow, variables: Mapping[str, Any]
) -> dict[str, Any]:
    visible = dict(row.locals) if topic.local_variables else {**variables, **row.locals}
    if topic.variables is None:
        return visible
    return {name: visible[name] for name in topic.variables if name in visible}


class ExternalTasks:
    """Fetch, lock, complete and fail external tasks for one manager."""

    def __init__(self, runtime: Runtime) -> None:
        """Work on `runtime`'s store and instances."""
        self.runtime = runtime
        self._changed = threading.Condition()
        self._generation = 0
        runtime.on_external_tasks = self.notify

    def notify(self) -> None:
        """Wake every long-polling fetch: tasks may have become fetchable."""
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    # ------------------------------------------------------------------ fetching

    def fetch_and_lock(
        self,
        worker_id: str,
        topics: Sequence[FetchTopic],
        *,
        max_tasks: int,
        use_priority: bool,
        wait: timedelta | None,
    ) -> list[ExternalTask]:
        """Lock up to `max_tasks` tasks of `topics` to `worker_id`, waiting up to `wait`.

        Raises:
            ValueError: For an empty worker id, no topics or a negative count.
        """
        if not worker_id:
            raise ValueError("workerId is required")
        if max_tasks < 0:
            raise ValueError("maxTasks must not be negative")
        deadline = time.monotonic() + (wait.total_seconds() if wait else 0.0)
        while True:
            with self._changed:
                generation = self._generation
            found = self._claim(worker_id, topics, max_tasks, use_priority)
            remaining = deadline - time.monotonic()
            if found or max_tasks == 0 or not topics or remaining <= 0:
                return found
            with self._changed:
                # A step committed between the claim and here has moved the generation on.
                if self._generation == generation:
                    self._changed.wait(min(remaining, _RECHECK_SECONDS))

    def _claim(
        self, worker_id: str, topics: Sequence[FetchTopic], max_tasks: int, use_priority: bool
    ) -> list[ExternalTask]:
        if not topics or max_tasks == 0:
            return []
        now = self.runtime.clock.now()
        by_name = {t.name: t for t in topics}
        claims = [
            TopicClaim(
                topic=t.name,
                lock_until=iso(now + t.lock_duration),
                business_key=t.business_key,
                definition_ids=t.definition_ids,
                keys=t.keys,
                version_tag=t.version_tag,
                accept=_variables_match(t.process_variables) if t.process_variables else None,
            )
            for t in topics
        ]
        locked = self.runtime.store.run_transaction(
            lambda tx: tx.claim_external_tasks(
                worker_id, claims, iso(now), max_tasks, by_priority=use_priority
            )
        )
        return [
            external_task_record(row, _selected(by_name[row.topic], row, variables))
            for row, variables in locked
        ]

    # ------------------------------------------------------------------ reading

    def get(self, task_id: str) -> ExternalTaskRow:
        """Return one external task row.

        Raises:
            ExternalTaskNotFoundError: If there is none.
        """
        row = self.runtime.store.get_external_task(task_id)
        if row is None:
            raise ExternalTaskNotFoundError(task_id)
        return row

    def _held(self, task_id: str, worker_id: str, action: str) -> ExternalTaskRow:
        row = self.get(task_id)
        if row.worker_id != worker_id:
            raise ExternalTaskLockError(task_id, worker_id, row.worker_id, action)
        return row

    # ------------------------------------------------------------------ worker reports

    def complete(
        self,
        task_id: str,
        worker_id: str,
        variables: Mapping[str, Any] | None,
        local_variables: Mapping[str, Any] | None,
    ) -> None:
        """Complete a task the worker holds: one step of its instance.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If another worker holds it (or nobody does).
            VariableError: If a variable is not JSON.
        """
        values = check_json(variables)
        local_values = check_json(local_variables, where="localVariables")
        row = self._held(task_id, worker_id, "completed")

        def command(instance: EngineInstance) -> None:
            if not instance.complete_external_task(task_id, values, local_values):
                raise ExternalTaskNotFoundError(task_id)

        note = Note(
            "external_task_completed",
            row.activity_id,
            {"worker_id": worker_id, "variables": sorted(values)},
            task_id=task_id,
        )
        self.runtime.step(row.instance_id, command, notes=[note])

    def bpmn_error(
        self,
        task_id: str,
        worker_id: str,
        code: str,
        message: str | None,
        variables: Mapping[str, Any] | None,
    ) -> None:
        """Throw BPMN error `code` from a task the worker holds (a boundary event may catch it).

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If another worker holds it.
            VariableError: If a variable is not JSON or the code is empty.
        """
        if not code:
            raise VariableError("errorCode", "it is empty", hint="send the BPMN error code")
        values = check_json(variables)
        row = self._held(task_id, worker_id, "failed with a BPMN error")

        def command(instance: EngineInstance) -> None:
            if not instance.fail_job_with_error(task_id, code, message, values):
                raise ExternalTaskNotFoundError(task_id)

        note = Note(
            "external_task_bpmn_error",
            row.activity_id,
            {"worker_id": worker_id, "code": code, "message": message},
            task_id=task_id,
        )
        self.runtime.step(row.instance_id, command, notes=[note])

    def failure(
        self,
        task_id: str,
        worker_id: str,
        *,
        message: str | None,
        details: str | None,
        retries: int,
        retry_timeout: timedelta,
    ) -> None:
        """Record a failure: `retries` left, fetchable again after `retry_timeout`.

        With no retries left the task opens an incident (`failedExternalTask`) until its
        retries are set again.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If another worker holds it.
            ValueError: For negative retries or timeout.
        """
        if retries < 0:
            raise ValueError("retries must not be negative")
        if retry_timeout < timedelta(0):
            raise ValueError("retryTimeout must not be negative")
        row = self._held(task_id, worker_id, "failed")
        now = self.runtime.clock.now()
        fields = {
            "retries": retries,
            "error_message": message,
            "error_details": details,
            "lock_until": iso(now + retry_timeout),
        }
        detail = {"worker_id": worker_id, "error": message, "retries_left": retries}
        self._write(row, fields, now, "external_task_failed", detail)

    def set_retries(self, task_id: str, retries: int) -> None:
        """Set a task's retries: above 0 resolves its incident, 0 opens one.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ValueError: For negative retries.
        """
        if retries < 0:
            raise ValueError("retries must not be negative")
        row = self.get(task_id)
        self._write(
            row, {"retries": retries}, self.runtime.clock.now(), "external_task_retries", {}
        )

    def _write(
        self,
        row: ExternalTaskRow,
        fields: dict[str, Any],
        now: datetime,
        kind: str,
        detail: dict[str, Any],
    ) -> None:
        """Update a task; open or resolve its incident as its retries reach or leave 0."""
        at = iso(now)
        retries = fields.get("retries", row.retries)
        store = self.runtime.store
        open_incidents = store.incidents(instance_id=row.instance_id)
        mine = [i for i in open_incidents if i.job_id == row.id and i.kind == INCIDENT_KIND]
        history = [
            HistoryRow(
                row.instance_id,
                row.key,
                kind,
                at,
                activity_id=row.activity_id,
                activity_name=row.activity_name,
                task_id=row.id,
                detail={**detail, "retries": retries},
            )
        ]
        with store.transaction() as tx:
            tx.update_external_task(row.id, **fields)
            if retries == 0 and not mine:
                incident = IncidentRow(
                    id=str(uuid.uuid4()),
                    instance_id=row.instance_id,
                    activity_id=row.activity_id,
                    job_id=row.id,
                    kind=INCIDENT_KIND,
                    message=fields.get("error_message") or row.error_message or "",
                    created_at=at,
                )
                tx.insert_incident(incident)
                tx.set_instance_status(row.instance_id, "incident")
                history.append(
                    HistoryRow(
                        row.instance_id,
                        row.key,
                        "incident",
                        at,
                        activity_id=row.activity_id,
                        task_id=row.id,
                        detail={"incident": incident.id, "message": incident.message},
                    )
                )
            elif retries and mine:
                for incident in mine:
                    tx.resolve_incidents(incident_id=incident.id, at=at)
                if len(mine) == len(open_incidents):
                    tx.set_instance_status(row.instance_id, "running")
                history.append(
                    HistoryRow(
                        row.instance_id,
                        row.key,
                        "incident_resolved",
                        at,
                        activity_id=row.activity_id,
                        task_id=row.id,
                        detail={"incident": mine[0].id},
                    )
                )
            tx.append_history(history)
        self.notify()

    def extend_lock(self, task_id: str, worker_id: str, duration: timedelta) -> None:
        """Lock a task the worker holds for `duration` from now.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If another worker holds it or the lock ran out.
            ValueError: If the duration is not positive.
        """
        if duration <= timedelta(0):
            raise ValueError("newDuration must be positive")
        row = self._held(task_id, worker_id, "extended")
        now = self.runtime.clock.now()
        if row.lock_until is None or row.lock_until <= iso(now):
            raise ExternalTaskLockError(task_id, worker_id, None, "extended")
        with self.runtime.store.transaction() as tx:
            tx.update_external_task(task_id, lock_until=iso(now + duration))

    def unlock(self, task_id: str) -> None:
        """Release a task's lock, so any worker can fetch it.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
        """
        self.get(task_id)
        with self.runtime.store.transaction() as tx:
            tx.update_external_task(task_id, worker_id=None, lock_until=None)
        self.notify()

    def set_priority(self, task_id: str, priority: int) -> None:
        """Change a task's priority.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
        """
        self.get(task_id)
        with self.runtime.store.transaction() as tx:
            tx.update_external_task(task_id, priority=priority)


def _variables_match(wanted: Mapping[str, Any]) -> Any:
    def accept(_row: ExternalTaskRow, variables: Mapping[str, Any]) -> bool:
        return all(name in variables and variables[name] == v for name, v in wanted.items())

    return accept


class ExternalTaskMethods:
    """The external task half of `LifecycleManager`'s API (Camunda's ExternalTaskService)."""

    _external: ExternalTasks

    def fetch_and_lock(
        self,
        worker_id: str,
        topics: Sequence[FetchTopic],
        *,
        max_tasks: int = 10,
        use_priority: bool = False,
        wait: timedelta | None = None,
    ) -> list[ExternalTask]:
        """Fetch and lock up to `max_tasks` external tasks of `topics` for `worker_id`.

        Args:
            worker_id: Who locks them; only this worker can complete or fail them.
            topics: The topics, each with its lock duration and filters.
            max_tasks: At most this many tasks.
            use_priority: Take the highest `camunda:taskPriority` first (else the oldest).
            wait: With nothing to fetch, wait up to this long for a task to appear (long
                polling); None returns at once.

        Returns:
            The locked tasks, each with the variables its topic asked for.

        Raises:
            ValueError: For an empty worker id or a negative `max_tasks`.

        Example:
            >>> topic = FetchTopic("score", lock_duration=timedelta(minutes=5))  # doctest: +SKIP
            >>> for task in manager.fetch_and_lock("worker-1", [topic]):  # doctest: +SKIP
            ...     manager.complete_external_task(task.id, "worker-1", {"score": 0.9})
        """
        return self._external.fetch_and_lock(
            worker_id, topics, max_tasks=max_tasks, use_priority=use_priority, wait=wait
        )

    def external_tasks(
        self,
        *,
        instance_id: str | None = None,
        topic: str | None = None,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> list[ExternalTask]:
        """List external tasks (of one instance or topic), oldest first: one page.

        Args:
            instance_id: Of this instance.
            topic: Of this topic.
            limit: At most this many (100 by default); None for all.
            offset: Skip this many first.

        Raises:
            ValueError: For a negative limit or offset.
        """
        page = Page(limit=limit, offset=offset)  # refuses a negative limit or offset
        rows = self._external.runtime.store.external_tasks(
            instance_id=instance_id, topic=topic, limit=page.limit, offset=page.offset
        )
        return [external_task_record(r) for r in rows]

    def external_task(self, task_id: str) -> ExternalTask:
        """Return one external task.

        Raises:
            ExternalTaskNotFoundError: If there is none.
        """
        return external_task_record(self._external.get(task_id))

    def complete_external_task(
        self,
        task_id: str,
        worker_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        local_variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Complete an external task `worker_id` holds; its instance moves on.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If the worker does not hold it.
            VariableError: If a variable is not JSON.
        """
        self._external.complete(task_id, worker_id, variables, local_variables)

    def handle_external_task_failure(
        self,
        task_id: str,
        worker_id: str,
        *,
        error_message: str | None,
        retries: int,
        retry_timeout: timedelta = timedelta(0),
        error_details: str | None = None,
    ) -> None:
        """Report a failure of an external task: retries left, fetchable after the timeout.

        With `retries=0` an incident opens until `set_external_task_retries` (or `retry`).

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If the worker does not hold it.
            ValueError: For negative retries or timeout.
        """
        self._external.failure(
            task_id,
            worker_id,
            message=error_message,
            details=error_details,
            retries=retries,
            retry_timeout=retry_timeout,
        )

    def handle_external_task_bpmn_error(
        self,
        task_id: str,
        worker_id: str,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Throw a BPMN error from an external task `worker_id` holds.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If the worker does not hold it.
            VariableError: If a variable is not JSON.
        """
        self._external.bpmn_error(task_id, worker_id, error_code, error_message, variables)

    def extend_external_task_lock(self, task_id: str, worker_id: str, duration: timedelta) -> None:
        """Extend the lock `worker_id` holds to `duration` from now.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ExternalTaskLockError: If the worker does not hold it or the lock ran out.
            ValueError: If the duration is not positive.
        """
        self._external.extend_lock(task_id, worker_id, duration)

    def unlock_external_task(self, task_id: str) -> None:
        """Release an external task's lock.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
        """
        self._external.unlock(task_id)

    def set_external_task_retries(self, task_id: str, retries: int) -> None:
        """Set an external task's retries (above 0 resolves its incident).

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
            ValueError: For negative retries.
        """
        self._external.set_retries(task_id, retries)

    def set_external_task_priority(self, task_id: str, priority: int) -> None:
        """Change an external task's priority.

        Raises:
            ExternalTaskNotFoundError: If there is no such task.
        """
        self._external.set_priority(task_id, priority)
