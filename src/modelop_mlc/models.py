"""The records `LifecycleManager` returns: frozen, typed, plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = [
    "Deployment",
    "ExternalTask",
    "FetchTopic",
    "FormFieldInfo",
    "HistoryEvent",
    "Incident",
    "InstanceStatus",
    "MessageResult",
    "ProcessDefinition",
    "ProcessInstance",
    "PurgeResult",
    "SignalResult",
    "UserTask",
]

InstanceStatus = Literal["running", "completed", "cancelled", "incident"]
_NAMES_SHOWN = 8


def _variable_names(values: Mapping[str, Any]) -> str:
    """Variables for a one-line repr: their names, not their (possibly large) values."""
    names = sorted(values)
    more = ", ..." if len(names) > _NAMES_SHOWN else ""
    return f"<{len(names)} variables: {', '.join(names[:_NAMES_SHOWN])}{more}>"


@dataclass(frozen=True)
class ProcessDefinition:
    """A deployed version of a process.

    Attributes:
        id: `key:version:hash`, unique per version.
        key: The BPMN process id.
        version: 1, 2, ... per key.
        name: The process name.
        version_tag: `camunda:versionTag`, if set.
        resource: The file it came from.
        deployment_id: The deployment that created it.
        applies_to: Which models its signal start events apply to (None: all).
        start_events: `(event id, kind, signal/message name)` of each start event.
        history_ttl_days: `camunda:historyTimeToLive` in days: `purge()` removes its ended
            instances that long after they ended (None: kept until purged by date).
    """

    id: str
    key: str
    version: int
    name: str | None
    version_tag: str | None
    resource: str
    deployment_id: str
    applies_to: Mapping[str, Any] | None = None
    start_events: tuple[tuple[str, str, str | None], ...] = ()
    history_ttl_days: int | None = None


@dataclass(frozen=True)
class Deployment:
    """The result of `deploy()`.

    Attributes:
        id: The deployment id.
        name: The deployment name.
        definitions: The process definitions of this deployment (existing versions too, when
            an unchanged file was filtered as a duplicate).
        decisions: `(decision id, version)` of the DMN decisions deployed.
        new: Whether anything new was stored (False: every file was a duplicate).
    """

    id: str
    name: str | None
    definitions: tuple[ProcessDefinition, ...]
    decisions: tuple[tuple[str, int], ...] = ()
    new: bool = True
    deployed_at: datetime | None = None


@dataclass(frozen=True)
class ProcessInstance:
    """A process instance.

    Attributes:
        id: The instance id.
        key: The process key.
        version: The definition version it runs on.
        status: running, completed, cancelled or incident.
        business_key: The business key given at start, if any.
        variables: The process variables.
        waiting_at: Activity ids it waits at (user tasks, catch events, jobs).
        started_at: When it started.
        ended_at: When it ended, if it did.
        definition_id: The definition version id.
        super_instance_id: The instance whose call activity started this one, if any
            (Camunda's super process instance); `LifecycleManager.instances(
            super_instance_id=...)` lists the instances an instance called.
        super_activity_id: That call activity's id.
        root_instance_id: The instance at the top of the chain of callers (its own id when
            nothing called it).
    """

    id: str
    key: str
    version: int
    status: InstanceStatus
    business_key: str | None
    variables: Mapping[str, Any]
    waiting_at: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    definition_id: str
    super_instance_id: str | None = None
    super_activity_id: str | None = None
    root_instance_id: str | None = None

    @property
    def ended(self) -> bool:
        """Whether the instance completed or was cancelled."""
        return self.status in {"completed", "cancelled"}

    def __repr__(self) -> str:
        """One line: where the instance stands, and its variables' names (not their values)."""
        return (
            f"ProcessInstance(id={self.id!r}, key={self.key!r}, version={self.version}, "
            f"status={self.status!r}, business_key={self.business_key!r}, "
            f"waiting_at={self.waiting_at!r}, variables={_variable_names(self.variables)})"
        )


@dataclass(frozen=True)
class FormFieldInfo:
    """A `camunda:formField` of a user task."""

    id: str
    label: str | None
    type: str
    default_value: str | None = None
    required: bool = False
    values: tuple[tuple[str, str | None], ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class UserTask:
    """An open user task.

    Attributes:
        id: The task id (pass it to `complete_task`).
        activity_id: The BPMN element id.
        name: The element name.
        instance_id: The instance it belongs to.
        key: The process key.
        assignee: `camunda:assignee`, evaluated.
        candidate_users: `camunda:candidateUsers`, evaluated.
        candidate_groups: `camunda:candidateGroups`, evaluated.
        form_key: `camunda:formKey`.
        form_fields: The generated-form fields.
        due: The due date, evaluated, if set.
        follow_up: The follow-up date, if set.
        priority: The priority, if set.
        created_at: When the task opened.
    """

    id: str
    activity_id: str
    name: str | None
    instance_id: str
    key: str
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    form_key: str | None
    form_fields: tuple[FormFieldInfo, ...]
    due: datetime | None
    follow_up: datetime | None
    priority: int | None
    created_at: datetime


@dataclass(frozen=True)
class HistoryEvent:
    """Something that happened to an instance.

    Attributes:
        instance_id: The instance.
        activity_id: The element (or sequence flow) id, if any.
        activity_name: The element name.
        kind: `instance_start`, `activity_start`, `activity_end`, `activity_cancel`,
            `flow_taken`, `variable_update`, `signal_received`, `message_received`,
            `timer_fired`, `job_failed`, `incident`, `incident_resolved`, `error_thrown`,
            `instance_end`, `instance_cancelled`, ...
        at: When (per the manager's clock).
        activity_type: The BPMN element type.
        detail: Kind-specific data (variable names, error codes, ...).
        seq: Global order.
        task_id: The engine task (a user task's id, a job's or external task's id), if any.
    """

    instance_id: str
    activity_id: str | None
    activity_name: str | None
    kind: str
    at: datetime
    activity_type: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0
    task_id: str | None = None


@dataclass(frozen=True)
class Incident:
    """A problem that stopped part of an instance until someone retries it.

    Attributes:
        id: The incident id (pass it to `retry`).
        instance_id: The instance.
        activity_id: Where it happened.
        job_id: The failed job, if any (for `failed_call_return`: the called instance whose
            result the call activity could not take).
        kind: `failed_job`, `failed_timer`, `failed_call_return`, ...
        message: What failed and what to do.
        created_at: When.
        resolved_at: When it was resolved, if it was.
        cause_incident_id: The incident that caused this one: itself, or for the incident a
            called instance's incident opens on its call activity, that incident.
        root_cause_incident_id: The incident at the bottom of that chain (`retry()` of any
            incident of the chain retries it).
    """

    id: str
    instance_id: str
    activity_id: str | None
    job_id: str | None
    kind: str
    message: str
    created_at: datetime
    resolved_at: datetime | None = None
    cause_incident_id: str | None = None
    root_cause_incident_id: str | None = None


@dataclass(frozen=True)
class PurgeResult:
    """What `purge()` removed (or, with `dry_run=True`, would remove).

    Attributes:
        instances: Ended instances removed with their history and incidents.
        by_definition: How many of them per definition version id.
        archive: The JSON Lines file they were written to first, if any.
    """

    instances: int
    by_definition: Mapping[str, int]
    archive: str | None = None


@dataclass(frozen=True)
class SignalResult:
    """What a signal did.

    Attributes:
        started: Ids of instances started by signal start events.
        delivered: Ids of running instances that caught it.
        failed: Ids of instances (or, for a start event that failed, of definitions) whose
            delivery failed: each has an incident of its own, or is retried by a worker.
        duplicate: True when an earlier `signal()` with the same idempotency key was
            recorded already; only its receivers not reached yet were delivered to now.
    """

    started: tuple[str, ...] = ()
    delivered: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    duplicate: bool = False


@dataclass(frozen=True)
class MessageResult:
    """What a message did: the instance that caught it or started from it."""

    instance_id: str
    started: bool
    variables: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line, with the variables' names (not their values)."""
        return (
            f"MessageResult(instance_id={self.instance_id!r}, started={self.started}, "
            f"variables={_variable_names(self.variables)})"
        )


@dataclass(frozen=True)
class ExternalTask:
    """A service task (`camunda:type="external"`) waiting for an outside worker.

    Attributes:
        id: The external task id (pass it to `complete_external_task`).
        topic: `camunda:topic`.
        instance_id: The instance it belongs to.
        definition_id: The instance's definition version.
        key: The process key.
        business_key: The instance's business key.
        activity_id: The BPMN element id.
        activity_name: The element name.
        priority: `camunda:taskPriority` (0 by default).
        created_at: When the task was created.
        retries: Retries left; None until a worker reports a failure.
        error_message: The last failure's message.
        error_details: The last failure's details.
        worker_id: The worker holding (or last holding) the lock.
        lock_expires_at: When the lock runs out (None: not locked).
        properties: The element's `camunda:properties`.
        version_tag: The definition's `camunda:versionTag`.
        variables: For a fetched task: the variables the worker asked for.
    """

    id: str
    topic: str
    instance_id: str
    definition_id: str
    key: str
    business_key: str | None
    activity_id: str
    activity_name: str | None
    priority: int
    created_at: datetime
    retries: int | None = None
    error_message: str | None = None
    error_details: str | None = None
    worker_id: str | None = None
    lock_expires_at: datetime | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    version_tag: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)

    def locked(self, now: datetime) -> bool:
        """Tell whether a worker holds the task's lock at `now`."""
        return self.lock_expires_at is not None and self.lock_expires_at > now

    def __repr__(self) -> str:
        """One line, with the fetched variables' names (not their values)."""
        return (
            f"ExternalTask(id={self.id!r}, topic={self.topic!r}, "
            f"instance_id={self.instance_id!r}, activity_id={self.activity_id!r}, "
            f"retries={self.retries}, worker_id={self.worker_id!r}, "
            f"variables={_variable_names(self.variables)})"
        )


@dataclass(frozen=True)
class FetchTopic:
    """One topic of a `fetch_and_lock` call, with Camunda's per-topic filters.

    Attributes:
        name: The topic.
        lock_duration: How long fetched tasks stay locked to the worker.
        variables: Names of the variables to return (None: all).
        local_variables: Return only the task's local variables (its input mappings).
        business_key: Only tasks of instances with this business key.
        definition_ids: Only tasks of these definition versions.
        keys: Only tasks of these process keys.
        version_tag: Only tasks of definitions with this `camunda:versionTag`.
        process_variables: Only tasks whose instance has each of these variable values.
    """

    name: str
    lock_duration: timedelta
    variables: tuple[str, ...] | None = None
    local_variables: bool = False
    business_key: str | None = None
    definition_ids: tuple[str, ...] | None = None
    keys: tuple[str, ...] | None = None
    version_tag: str | None = None
    process_variables: Mapping[str, Any] = field(default_factory=dict)
