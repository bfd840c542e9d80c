"""Rows to and from database tuples: the column lists and the JSON columns, in one place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modelop_mlc.store.rows import (
    DefinitionRow,
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    TaskRow,
    TimerRow,
    dumps,
)

__all__ = [
    "DEFINITION_COLUMNS",
    "INCIDENT_COLUMNS",
    "INSTANCE_COLUMNS",
    "JOB_COLUMNS",
    "TASK_COLUMNS",
    "TIMER_COLUMNS",
    "definition_from",
    "definition_values",
    "history_batches",
    "history_from",
    "incident_from",
    "instance_from",
    "instance_values",
    "job_from",
    "job_values",
    "marks",
    "task_from",
    "task_values",
    "timer_from",
]

INSTANCE_COLUMNS = (
    "id, definition_id, key, version, business_key, status, state, variables, waiting_at, "
    "called, revision, started_at, ended_at, end_reason, super_instance_id, super_activity_id, "
    "super_task_id, root_instance_id"
)
JOB_COLUMNS = (
    "id, instance_id, activity_id, activity_name, kind, candidates, due_at, retries_left, "
    "retry_cycle, attempts, idempotency_key, status, lease_owner, lease_until, last_error, "
    "created_at, wake_key"
)
DEFINITION_COLUMNS = (
    "id, key, version, name, version_tag, resource_id, deployment_id, digest, applies_to, info, "
    "deployed_at"
)
TIMER_COLUMNS = "id, instance_id, definition_id, activity_id, due_at, fired"
TASK_COLUMNS = (
    "id, instance_id, key, activity_id, name, assignee, candidate_users, candidate_groups, due, "
    "follow_up, priority, form_key, form_fields, created_at"
)
INCIDENT_COLUMNS = (
    "id, instance_id, activity_id, job_id, kind, message, created_at, resolved_at, "
    "cause_incident_id, root_cause_incident_id"
)


def marks(count: int) -> str:
    """`?, ?, ...`: the placeholders of `count` values."""
    return ", ".join("?" * count)


def instance_from(row: Sequence[Any]) -> InstanceRow:
    """Read an `instances` row (`INSTANCE_COLUMNS`)."""
    return InstanceRow(
        id=row[0],
        definition_id=row[1],
        key=row[2],
        version=row[3],
        business_key=row[4],
        status=row[5],
        state=json.loads(row[6]),
        variables=json.loads(row[7]),
        waiting_at=json.loads(row[8]),
        called=json.loads(row[9]),
        revision=row[10],
        started_at=row[11],
        ended_at=row[12],
        end_reason=row[13],
        super_instance_id=row[14],
        super_activity_id=row[15],
        super_task_id=row[16],
        root_instance_id=row[17],
    )


def instance_values(
    row: InstanceRow, *, state_json: str | None = None, variables_json: str | None = None
) -> tuple[Any, ...]:
    """The values of `INSTANCE_COLUMNS` for a new instance (with its JSON if encoded already)."""
    return (
        row.id,
        row.definition_id,
        row.key,
        row.version,
        row.business_key,
        row.status,
        dumps(row.state) if state_json is None else state_json,
        dumps(row.variables) if variables_json is None else variables_json,
        dumps(row.waiting_at),
        dumps(row.called),
        row.revision,
        row.started_at,
        row.ended_at,
        row.end_reason,
        row.super_instance_id,
        row.super_activity_id,
        row.super_task_id,
        row.root_instance_id,
    )


def job_from(row: Sequence[Any]) -> JobRow:
    """Read a `jobs` row (`JOB_COLUMNS`)."""
    return JobRow(
        id=row[0],
        instance_id=row[1],
        activity_id=row[2],
        activity_name=row[3],
        kind=row[4],
        candidates=json.loads(row[5]),
        due_at=row[6],
        retries_left=row[7],
        retry_cycle=row[8],
        attempts=row[9],
        idempotency_key=row[10],
        status=row[11],
        lease_owner=row[12],
        lease_until=row[13],
        last_error=row[14],
        created_at=row[15],
        wake_key=row[16],
    )


def job_values(job: JobRow) -> tuple[Any, ...]:
    """The values of `JOB_COLUMNS`."""
    return (
        job.id,
        job.instance_id,
        job.activity_id,
        job.activity_name,
        job.kind,
        dumps(job.candidates),
        job.due_at,
        job.retries_left,
        job.retry_cycle,
        job.attempts,
        job.idempotency_key,
        job.status,
        job.lease_owner,
        job.lease_until,
        job.last_error,
        job.created_at,
        job.wake_key,
    )


def definition_from(row: Sequence[Any]) -> DefinitionRow:
    """Read a `definitions` row (`DEFINITION_COLUMNS`)."""
    return DefinitionRow(
        id=row[0],
        key=row[1],
        version=row[2],
        name=row[3],
        version_tag=row[4],
        resource_id=row[5],
        deployment_id=row[6],
        digest=row[7],
        applies_to=json.loads(row[8]) if row[8] else None,
        info=json.loads(row[9]),
        deployed_at=row[10],
    )


def definition_values(row: DefinitionRow) -> tuple[Any, ...]:
    """The values of `DEFINITION_COLUMNS`."""
    return (
        row.id,
        row.key,
        row.version,
        row.name,
        row.version_tag,
        row.resource_id,
        row.deployment_id,
        row.digest,
        dumps(row.applies_to) if row.applies_to is not None else None,
        dumps(row.info),
        row.deployed_at,
    )


def timer_from(row: Sequence[Any]) -> TimerRow:
    """Read a `timers` row (`TIMER_COLUMNS`)."""
    return TimerRow(
        id=row[0],
        instance_id=row[1],
        definition_id=row[2],
        activity_id=row[3],
        due_at=row[4],
        fired=row[5],
    )


def task_from(row: Sequence[Any]) -> TaskRow:
    """Read a `user_tasks` row (`TASK_COLUMNS`)."""
    return TaskRow(
        id=row[0],
        instance_id=row[1],
        key=row[2],
        activity_id=row[3],
        name=row[4],
        assignee=row[5],
        candidate_users=json.loads(row[6]),
        candidate_groups=json.loads(row[7]),
        due=row[8],
        follow_up=row[9],
        priority=row[10],
        form_key=row[11],
        form_fields=json.loads(row[12]),
        created_at=row[13],
    )


def task_values(task: TaskRow) -> tuple[Any, ...]:
    """The values of `TASK_COLUMNS`."""
    return (
        task.id,
        task.instance_id,
        task.key,
        task.activity_id,
        task.name,
        task.assignee,
        dumps(task.candidate_users),
        dumps(task.candidate_groups),
        task.due,
        task.follow_up,
        task.priority,
        task.form_key,
        dumps(task.form_fields),
        task.created_at,
    )


def incident_from(row: Sequence[Any]) -> IncidentRow:
    """Read an `incidents` row (`INCIDENT_COLUMNS`)."""
    return IncidentRow(
        id=row[0],
        instance_id=row[1],
        activity_id=row[2],
        job_id=row[3],
        kind=row[4],
        message=row[5],
        created_at=row[6],
        resolved_at=row[7],
        cause_incident_id=row[8],
        root_cause_incident_id=row[9],
    )


def history_batches(rows: Sequence[HistoryRow]) -> list[tuple[str, str, str, str]]:
    """(instance_id, key, at, events JSON) rows of the `history` table.

    Consecutive events of one instance at one time are stored as one batch: a step writes one
    row however many events it has. Each event is `[kind, activity_id, activity_name,
    activity_type, task_id, detail]`, its detail a JSON object (or null when empty); the
    batch's `at` is its events' time. The whole batch is encoded once.
    """
    batches: list[tuple[str, str, str, list[list[Any]]]] = []
    for row in rows:
        if not batches or batches[-1][0] != row.instance_id or batches[-1][2] != row.at:
            batches.append((row.instance_id, row.key, row.at, []))
        batches[-1][3].append(
            [
                row.kind,
                row.activity_id,
                row.activity_name,
                row.activity_type,
                row.task_id,
                row.detail or None,
            ]
        )
    return [(i, k, at, dumps(events)) for i, k, at, events in batches]


def _event(batch_at: str, event: list[Any]) -> tuple[Any, ...]:
    """(kind, activity_id, name, type, at, task_id, detail) of a stored event, either format."""
    if len(event) == _EVENT_FIELDS:
        kind, activity_id, name, activity_type, task_id, detail = event
        return kind, activity_id, name, activity_type, batch_at, task_id, detail or {}
    # Written before history batches shared one time: the time per event, the detail as text.
    kind, activity_id, name, activity_type, at, task_id, text = event
    return kind, activity_id, name, activity_type, at, task_id, json.loads(text) if text else {}


_EVENT_FIELDS = 6


def history_from(rows: Sequence[Sequence[Any]]) -> list[HistoryRow]:
    """Expand stored batches (seq, instance_id, key, at, events) into events."""
    events = []
    for seq, instance_id, key, batch_at, batch in rows:
        for index, stored in enumerate(json.loads(batch)):
            kind, activity_id, name, activity_type, at, task_id, detail = _event(batch_at, stored)
            events.append(
                HistoryRow(
                    instance_id=instance_id,
                    key=key,
                    kind=kind,
                    at=at,
                    activity_id=activity_id,
                    activity_name=name,
                    activity_type=activity_type,
                    task_id=task_id,
                    detail=detail,
                    seq=seq * 10_000 + index,
                )
            )
    return events
