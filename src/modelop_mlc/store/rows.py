"""The rows the store takes and returns: named, typed, plain data (no engine objects).

Every table the manager reads or writes has a frozen dataclass here, so a column is added
in one place and mypy finds every reader. Timestamps are ISO 8601 UTC text (`iso()`), which
sorts in time order in both databases; JSON columns arrive parsed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "DecisionRow",
    "DefinitionRow",
    "DeliveryRow",
    "DeploymentRow",
    "ExternalTaskRow",
    "HistoryRow",
    "IncidentRow",
    "InstanceMeta",
    "InstanceRow",
    "JobRow",
    "KpiFactsRow",
    "ResourceRow",
    "SubscriptionRow",
    "TaskRow",
    "ThrowRow",
    "TimerRow",
    "Waits",
    "dumps",
    "iso",
]


def iso(moment: datetime) -> str:
    """Format a UTC datetime so that string order is time order."""
    return moment.isoformat(timespec="microseconds")


def dumps(value: Any) -> str:
    """Serialise JSON compactly."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class DeploymentRow:
    """A deployment: one `deploy()` call."""

    id: str
    name: str | None
    source: str | None
    tenant_id: str | None
    deployed_at: str


@dataclass(frozen=True)
class ResourceRow:
    """A deployed BPMN or DMN file."""

    name: str
    kind: str
    content: str


@dataclass(frozen=True)
class DefinitionRow:
    """A deployed process definition version."""

    id: str
    key: str
    version: int
    name: str | None
    version_tag: str | None
    resource_id: str
    deployment_id: str
    digest: str
    applies_to: dict[str, Any] | None
    info: dict[str, Any]
    deployed_at: str


@dataclass(frozen=True)
class DecisionRow:
    """A deployed DMN decision version."""

    id: str
    key: str
    version: int
    resource_id: str
    version_tag: str | None
    name: str | None = None
    deployment_id: str | None = None
    resource_name: str | None = None


@dataclass(frozen=True)
class InstanceRow:
    """A process instance as stored."""

    id: str
    definition_id: str
    key: str
    version: int
    business_key: str | None
    status: str
    state: dict[str, Any]
    variables: dict[str, Any]
    waiting_at: list[str]
    called: dict[str, str]
    revision: int
    started_at: str
    ended_at: str | None
    end_reason: str | None
    # A called instance: the calling instance, its call activity and that activity's task
    # (None for an instance started otherwise); the root of the chain of callers.
    super_instance_id: str | None = None
    super_activity_id: str | None = None
    super_task_id: str | None = None
    root_instance_id: str | None = None


@dataclass(frozen=True)
class InstanceMeta:
    """What identifies an instance, read without its state."""

    status: str
    key: str
    business_key: str | None


@dataclass(frozen=True)
class JobRow:
    """A job: a delegate to run outside the instance transaction."""

    id: str
    instance_id: str
    activity_id: str
    activity_name: str | None
    kind: str
    candidates: list[str]
    due_at: str
    retries_left: int
    retry_cycle: str | None
    attempts: int
    idempotency_key: str
    status: str
    lease_owner: str | None
    lease_until: str | None
    last_error: str | None
    created_at: str
    wake_key: str | None = None


@dataclass(frozen=True)
class ExternalTaskRow:
    """A service task waiting for an outside worker to fetch, lock and complete it.

    `retries` is None until a worker first reports a failure (Camunda's semantics);
    `worker_id` and `lock_until` say who holds it and until when.
    """

    id: str
    instance_id: str
    definition_id: str
    key: str
    business_key: str | None
    activity_id: str
    activity_name: str | None
    topic: str
    priority: int
    created_at: str
    retries: int | None = None
    error_message: str | None = None
    error_details: str | None = None
    worker_id: str | None = None
    lock_until: str | None = None
    locals: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    version_tag: str | None = None


@dataclass(frozen=True)
class TimerRow:
    """A due time: an instance's timer event, or a process's timer start event."""

    id: str
    instance_id: str | None
    definition_id: str | None
    activity_id: str
    due_at: str
    fired: int


@dataclass(frozen=True)
class SubscriptionRow:
    """An instance waiting for a signal or message (`kind`) called `name` at an activity."""

    kind: str
    name: str
    activity_id: str | None


@dataclass(frozen=True)
class TaskRow:
    """An open user task."""

    id: str
    instance_id: str
    key: str
    activity_id: str
    name: str | None
    assignee: str | None
    candidate_users: list[str]
    candidate_groups: list[str]
    due: str | None
    follow_up: str | None
    priority: int | None
    form_key: str | None
    form_fields: list[dict[str, Any]]
    created_at: str


@dataclass(frozen=True)
class Waits:
    """Everything an instance waits for after a step; it replaces what was stored before."""

    subscriptions: Sequence[SubscriptionRow] = ()
    timers: Sequence[TimerRow] = ()
    user_tasks: Sequence[TaskRow] = ()
    jobs: Sequence[JobRow] = ()
    external_tasks: Sequence[ExternalTaskRow] = ()


@dataclass(frozen=True)
class HistoryRow:
    """One history event.

    `seq` orders the events of the whole database; the store assigns it (None on rows not
    yet appended).
    """

    instance_id: str
    key: str
    kind: str
    at: str
    activity_id: str | None = None
    activity_name: str | None = None
    activity_type: str | None = None
    task_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None


@dataclass(frozen=True)
class IncidentRow:
    """A failure that needs a person: the instance waits until `retry()` resolves it."""

    id: str
    instance_id: str
    activity_id: str | None
    job_id: str | None
    kind: str
    message: str
    created_at: str
    resolved_at: str | None = None
    # Camunda's incident chain: an incident of a called instance is repeated on each caller's
    # call activity, its cause the incident one level down and its root cause the original.
    cause_incident_id: str | None = None
    root_cause_incident_id: str | None = None


@dataclass(frozen=True)
class KpiFactsRow:
    """What the KPIs need of a purged instance, kept when its history goes.

    `facts` holds its counts and durations (see `modelop_mlc.manager.InstanceFacts`).
    """

    instance_id: str
    key: str
    business_key: str | None
    status: str
    started_at: str
    ended_at: str | None
    facts: dict[str, Any]


@dataclass(frozen=True)
class ThrowRow:
    """A signal or message thrown by an instance or sent by a host (the outbox).

    It is written in the transaction of the step that throws it (or of `signal()`), together
    with one `DeliveryRow` per receiver. Its id also de-duplicates a host's signal.
    """

    id: str
    kind: str
    name: str
    variables: dict[str, Any]
    source_instance: str | None
    created_at: str


@dataclass(frozen=True)
class DeliveryRow:
    """One receiver of a thrown event: a waiting instance, or a start event to start.

    Delivering it is one step of the receiver, and that step's transaction deletes this row:
    a receiver takes each thrown event exactly once.
    """

    id: str
    throw_id: str
    instance_id: str | None
    definition_id: str | None
    activity_id: str | None
    status: str
    due_at: str
    attempts: int
    lease_owner: str | None
    lease_until: str | None
    last_error: str | None
    created_at: str
