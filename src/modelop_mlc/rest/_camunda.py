"""Camunda 7 engine-rest JSON shapes built from the manager's records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from modelop_mlc.errors import DiagramError
from modelop_mlc.models import HistoryEvent, Incident, ProcessDefinition, ProcessInstance, UserTask

__all__ = [
    "DeploymentInfo",
    "activity_instances",
    "camunda_date",
    "definition_dto",
    "deployment_dto",
    "deployment_with_definitions",
    "incident_dto",
    "instance_dto",
    "parse_date",
    "parse_exception",
    "task_dto",
]

_ACTIVITY_KINDS = {"activity_start", "activity_end", "activity_cancel"}
# Camunda's default task priority (Task.PRIORITY_NORMAL).
_DEFAULT_PRIORITY = 50
_END_EVENT_TYPES = {"endEvent", "noneEndEvent", "terminateEndEvent", "errorEndEvent"}


@dataclass(frozen=True)
class DeploymentInfo:
    """One row of the deployments table, as the REST layer needs it."""

    id: str
    name: str | None
    source: str | None
    tenant_id: str | None
    deployed_at: datetime


def camunda_date(moment: datetime | None) -> str | None:
    """Format a time as Camunda does: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, in UTC."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_date(text: str) -> datetime:
    """Parse Camunda's date format (or any ISO 8601 time); naive times are taken as UTC.

    Raises:
        ValueError: If the text is not a date.
    """
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _link(base: str, path: str) -> list[dict[str, str]]:
    return [{"method": "GET", "href": f"{base}{path}", "rel": "self"}]


def definition_dto(definition: ProcessDefinition, tenant_id: str | None) -> dict[str, Any]:
    """Camunda's `ProcessDefinitionDto`."""
    return {
        "id": definition.id,
        "key": definition.key,
        "category": None,
        "description": None,
        "name": definition.name,
        "version": definition.version,
        "resource": definition.resource,
        "deploymentId": definition.deployment_id,
        "diagram": None,
        "suspended": False,
        "tenantId": tenant_id,
        "versionTag": definition.version_tag,
        "historyTimeToLive": definition.history_ttl_days,
        "startableInTasklist": True,
    }


def deployment_dto(base: str, info: DeploymentInfo, *, links: bool = True) -> dict[str, Any]:
    """Camunda's `DeploymentDto`."""
    return {
        "links": _link(base, f"/deployment/{info.id}") if links else [],
        "id": info.id,
        "name": info.name,
        "source": info.source,
        "deploymentTime": camunda_date(info.deployed_at),
        "tenantId": info.tenant_id,
    }


def instance_dto(base: str | None, instance: ProcessInstance) -> dict[str, Any]:
    """Camunda's `ProcessInstanceDto` (links only when `base` is given, as Camunda does)."""
    return {
        "links": _link(base, f"/process-instance/{instance.id}") if base is not None else [],
        "id": instance.id,
        "definitionId": instance.definition_id,
        "definitionKey": instance.key,
        "businessKey": instance.business_key,
        "caseInstanceId": None,
        "ended": instance.ended,
        "suspended": False,
        "tenantId": None,
    }


def task_dto(task: UserTask, definition_id: str | None) -> dict[str, Any]:
    """Camunda's `TaskDto`."""
    return {
        "id": task.id,
        "name": task.name,
        "assignee": task.assignee,
        "owner": None,
        "created": camunda_date(task.created_at),
        "lastUpdated": None,
        "due": camunda_date(task.due),
        "followUp": camunda_date(task.follow_up),
        "delegationState": None,
        "description": None,
        "executionId": task.instance_id,
        "parentTaskId": None,
        "priority": task.priority if task.priority is not None else _DEFAULT_PRIORITY,
        "processDefinitionId": definition_id,
        "processInstanceId": task.instance_id,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "taskDefinitionKey": task.activity_id,
        "suspended": False,
        "formKey": task.form_key,
        "camundaFormRef": None,
        "tenantId": None,
        "taskState": "Created",
    }


def activity_instances(
    events: Sequence[HistoryEvent],
    instance: ProcessInstance,
    types: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Pair `activity_start`/`activity_end` events into Camunda's `HistoricActivityInstance`s.

    `types` maps activity ids to Camunda's activity types (`intermediateSignalCatch`); a user
    task's record carries its task id and last assignee.
    """
    types = types or {}
    assignees = {
        e.task_id or e.detail.get("task_id"): e.detail.get("assignee")
        for e in events
        if e.kind in {"task_assigned", "task_delegated", "task_completed"}
    }
    found: list[dict[str, Any]] = []
    open_ones: dict[str, list[dict[str, Any]]] = {}
    starts: dict[str, datetime] = {}
    for event in events:
        if event.kind not in _ACTIVITY_KINDS or event.activity_id is None:
            continue
        if event.kind == "activity_start":
            record: dict[str, Any] = {
                "id": f"{event.activity_id}:{event.seq}",
                "parentActivityInstanceId": instance.id,
                "activityId": event.activity_id,
                "activityName": event.activity_name,
                "activityType": types.get(event.activity_id, event.activity_type),
                "processDefinitionKey": instance.key,
                "processDefinitionId": instance.definition_id,
                "processInstanceId": instance.id,
                "executionId": instance.id,
                "taskId": event.task_id if event.activity_type == "userTask" else None,
                "calledProcessInstanceId": event.detail.get("called_instance"),
                "calledCaseInstanceId": None,
                "assignee": assignees.get(event.task_id),
                "startTime": camunda_date(event.at),
                "endTime": None,
                "durationInMillis": None,
                "canceled": False,
                "completeScope": event.activity_type in _END_EVENT_TYPES,
                "tenantId": None,
                "removalTime": None,
                "rootProcessInstanceId": instance.root_instance_id or instance.id,
            }
            starts[record["id"]] = event.at
            found.append(record)
            open_ones.setdefault(event.activity_id, []).append(record)
            continue
        pending = open_ones.get(event.activity_id)
        if not pending:
            continue  # an end without a recorded start (history written before an upgrade)
        record = pending.pop(0)
        record["endTime"] = camunda_date(event.at)
        record["durationInMillis"] = _millis(event.at - starts[record["id"]])
        record["canceled"] = event.kind == "activity_cancel"
        record["activityName"] = record["activityName"] or event.activity_name
    if instance.ended:
        # Activities still open when an instance was cancelled ended with it.
        for pending in open_ones.values():
            for record in pending:
                record["endTime"] = camunda_date(instance.ended_at)
                record["canceled"] = True
                if instance.ended_at is not None:
                    record["durationInMillis"] = _millis(instance.ended_at - starts[record["id"]])
    return found


def _millis(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def incident_dto(incident: Incident, definition_id: str | None) -> dict[str, Any]:
    """Camunda's `IncidentDto`."""
    kind = incident.kind
    head, *rest = kind.split("_")
    return {
        "id": incident.id,
        "processDefinitionId": definition_id,
        "processInstanceId": incident.instance_id,
        "executionId": incident.instance_id,
        "incidentTimestamp": camunda_date(incident.created_at),
        "incidentType": head + "".join(part.capitalize() for part in rest),
        "activityId": incident.activity_id,
        "failedActivityId": incident.activity_id,
        "causeIncidentId": incident.cause_incident_id or incident.id,
        "rootCauseIncidentId": incident.root_cause_incident_id or incident.id,
        "configuration": incident.job_id,
        "tenantId": None,
        "incidentMessage": incident.message,
        "jobDefinitionId": None,
        "annotation": None,
    }


def parse_exception(err: DiagramError, resources: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Camunda's `ParseException` message and `details` for a diagram that cannot deploy.

    Camunda Modeler recognises a failed parse by the `ENGINE-09005` prefix and lists
    `details[resource].errors`.
    """
    lines = []
    details: dict[str, dict[str, list[Any]]] = {}
    fallback = resources[0] if len(resources) == 1 else (err.file or "deployment")
    for problem in err.problems:
        resource = problem.file or fallback
        parts = [problem.message, f"resource {resource}"]
        if problem.line is not None:
            parts.append(f"line {problem.line}")
        if problem.element_id is not None:
            parts.append(f"element {problem.element_id}")
        lines.append("* " + " | ".join(parts))
        details.setdefault(resource, {"errors": [], "warnings": []})["errors"].append(
            {
                "message": problem.message,
                "line": problem.line or 0,
                "column": 0,
                "mainElementId": problem.element_id,
                "elementIds": [problem.element_id] if problem.element_id else [],
            }
        )
    message = "ENGINE-09005 Could not parse BPMN process. Errors: \n" + "\n".join(lines)
    return message, details


def deployment_with_definitions(
    base: str,
    info: DeploymentInfo,
    definitions: Sequence[ProcessDefinition],
    decisions: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    """Camunda's `DeploymentWithDefinitionsDto`, the answer to `POST /deployment/create`."""
    body = deployment_dto(base, info)
    body["deployedProcessDefinitions"] = (
        {d.id: definition_dto(d, info.tenant_id) for d in definitions} if definitions else None
    )
    body["deployedCaseDefinitions"] = None
    body["deployedDecisionDefinitions"] = dict(decisions) if decisions else None
    body["deployedDecisionRequirementsDefinitions"] = None
    return body
