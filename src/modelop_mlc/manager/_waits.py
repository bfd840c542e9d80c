"""What an instance waits for after a step, as the store rows that step writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta

from modelop_mlc._engine.instance import InstanceSnapshot, JobWait
from modelop_mlc.registry import Pending
from modelop_mlc.store.rows import (
    DefinitionRow,
    ExternalTaskRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    SubscriptionRow,
    TaskRow,
    TimerRow,
    Waits,
    iso,
)

__all__ = ["external_task_rows", "incident_message", "job_rows", "step_waits"]


def step_waits(
    row: InstanceRow,
    snapshot: InstanceSnapshot,
    jobs: list[JobRow],
    at: str,
    external: list[ExternalTaskRow],
) -> Waits:
    """What the instance waits for after a step, as store rows."""
    return Waits(
        subscriptions=[SubscriptionRow("signal", w.name, w.activity_id) for w in snapshot.signals]
        + [SubscriptionRow("message", w.name, w.activity_id) for w in snapshot.messages],
        timers=[
            TimerRow(t.task_id, row.id, None, t.activity_id, iso(t.due), 0) for t in snapshot.timers
        ],
        user_tasks=[
            TaskRow(
                id=t.task_id,
                instance_id=row.id,
                key=row.key,
                activity_id=t.activity_id,
                name=t.name,
                assignee=t.assignee,
                candidate_users=list(t.candidate_users),
                candidate_groups=list(t.candidate_groups),
                due=t.due,
                follow_up=t.follow_up,
                priority=t.priority,
                form_key=t.form_key,
                form_fields=[f.__dict__ for f in t.form_fields],
                created_at=at,
            )
            for t in snapshot.user_tasks
        ],
        jobs=jobs,
        external_tasks=external,
    )


def job_rows(
    row: InstanceRow,
    waits: Sequence[JobWait],
    failures: Mapping[str, str],
    parked: Mapping[str, Pending],
    retry_delays: Callable[[str | None], list[timedelta]],
    now: datetime,
    final: Collection[str] = (),
) -> tuple[list[JobRow], list[IncidentRow]]:
    """The jobs of a step's waiting service tasks, and the incidents of those out of retries.

    `failures` are the error messages of delegates that failed inline in the step (by task
    id), `final` those of them not to retry (a delegate cut off at its time limit), `parked`
    the delegates that asked to be run again later.
    """
    jobs: list[JobRow] = []
    incidents: list[IncidentRow] = []
    at = iso(now)
    for wait in waits:
        failure = failures.get(wait.task_id)
        delays = retry_delays(wait.retry_cycle)
        attempts_allowed = max(len(delays), 1)
        status, due, error, retries_left, attempts = "pending", at, None, attempts_allowed, 0
        if failure is not None:
            attempts = 1
            retries_left = 0 if wait.task_id in final else attempts_allowed - 1
            error = failure
            if retries_left <= 0:
                status = "failed"
                incidents.append(
                    IncidentRow(
                        id=str(uuid.uuid4()),
                        instance_id=row.id,
                        activity_id=wait.activity_id,
                        job_id=wait.task_id,
                        kind="failed_job",
                        message=incident_message(wait.activity_id, error),
                        created_at=at,
                    )
                )
            else:
                due = iso(now + delays[0])
        parking = parked.get(wait.task_id)
        if parking is not None:
            due = iso(now + parking.after)
        jobs.append(
            JobRow(
                id=wait.task_id,
                instance_id=row.id,
                activity_id=wait.activity_id,
                activity_name=wait.activity_name,
                kind="delegate",
                candidates=list(wait.candidates),
                due_at=due,
                retries_left=retries_left,
                retry_cycle=wait.retry_cycle,
                attempts=attempts,
                idempotency_key=f"{row.id}:{wait.task_id}",
                status=status,
                lease_owner=None,
                lease_until=None,
                last_error=error,
                created_at=at,
                wake_key=parking.wake_on if parking is not None else None,
            )
        )
    return jobs, incidents


def external_task_rows(
    row: InstanceRow, waits: Sequence[JobWait], at: str, definition: DefinitionRow | None
) -> list[ExternalTaskRow]:
    """The external tasks of a step's service tasks left to outside workers."""
    return [
        ExternalTaskRow(
            id=wait.task_id,
            instance_id=row.id,
            definition_id=row.definition_id,
            key=row.key,
            business_key=row.business_key,
            activity_id=wait.activity_id,
            activity_name=wait.activity_name,
            topic=wait.topic or "",
            priority=wait.priority,
            created_at=at,
            locals=dict(wait.locals),
            properties={str(k): str(v) for k, v in wait.properties.items()},
            version_tag=definition.version_tag if definition is not None else None,
        )
        for wait in waits
    ]


def incident_message(activity_id: str, error: str | None) -> str:
    """The message of an incident raised when a service task's retries run out."""
    return (
        f"service task '{activity_id}' failed and has no retries left: {error}; fix "
        "the cause, then run `mlc retry <incident id>` (manager.retry(incident_id))"
    )
