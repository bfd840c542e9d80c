"""Store rows to public records, and form-field checks for completing user tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from modelop_mlc.models import FormFieldInfo, HistoryEvent, Incident, ProcessInstance, UserTask
from modelop_mlc.store.rows import HistoryRow, IncidentRow, InstanceRow, TaskRow

__all__ = [
    "form_problems",
    "history_event",
    "incident_record",
    "instance_record",
    "user_task_record",
]


def _dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def instance_record(row: InstanceRow) -> ProcessInstance:
    """Build a `ProcessInstance`."""
    started = _dt(row.started_at)
    assert started is not None
    return ProcessInstance(
        id=row.id,
        key=row.key,
        version=row.version,
        status=row.status,  # type: ignore[arg-type]
        business_key=row.business_key,
        variables=row.variables,
        waiting_at=tuple(row.waiting_at),
        started_at=started,
        ended_at=_dt(row.ended_at),
        definition_id=row.definition_id,
        super_instance_id=row.super_instance_id,
        super_activity_id=row.super_activity_id,
        root_instance_id=row.root_instance_id or row.id,
    )


def user_task_record(row: TaskRow) -> UserTask:
    """Build a `UserTask`."""
    fields = tuple(
        FormFieldInfo(
            id=f["id"],
            label=f.get("label"),
            type=f.get("type") or "string",
            default_value=f.get("default_value"),
            required=any(c[0] == "required" for c in f.get("constraints", ())),
            values=tuple((v[0], v[1]) for v in f.get("values", ())),
            constraints=tuple((c[0], c[1]) for c in f.get("constraints", ())),
        )
        for f in row.form_fields
    )
    created = _dt(row.created_at)
    assert created is not None
    return UserTask(
        id=row.id,
        instance_id=row.instance_id,
        key=row.key,
        activity_id=row.activity_id,
        name=row.name,
        assignee=row.assignee,
        candidate_users=tuple(row.candidate_users),
        candidate_groups=tuple(row.candidate_groups),
        due=_dt(row.due),
        follow_up=_dt(row.follow_up),
        priority=row.priority,
        form_key=row.form_key,
        form_fields=fields,
        created_at=created,
    )


def history_event(row: HistoryRow) -> HistoryEvent:
    """Build a `HistoryEvent`."""
    at = _dt(row.at)
    assert at is not None
    assert row.seq is not None
    return HistoryEvent(
        instance_id=row.instance_id,
        activity_id=row.activity_id,
        activity_name=row.activity_name,
        kind=row.kind,
        at=at,
        activity_type=row.activity_type,
        detail=row.detail,
        seq=row.seq,
        task_id=row.task_id,
    )


def incident_record(row: IncidentRow) -> Incident:
    """Build an `Incident`."""
    created = _dt(row.created_at)
    assert created is not None
    return Incident(
        id=row.id,
        instance_id=row.instance_id,
        activity_id=row.activity_id,
        job_id=row.job_id,
        kind=row.kind,
        message=row.message,
        created_at=created,
        resolved_at=_dt(row.resolved_at),
        cause_incident_id=row.cause_incident_id or row.id,
        root_cause_incident_id=row.root_cause_incident_id or row.id,
    )


def form_problems(
    fields: Sequence[FormFieldInfo], values: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Check submitted values against a task's form fields; return (field, problem) pairs."""
    problems: list[tuple[str, str]] = []
    for field in fields:
        value = values.get(field.id)
        constraints = dict(field.constraints)
        if value is None:
            if field.required and field.default_value is None:
                problems.append((field.id, f"form field '{field.id}' is required"))
            continue
        kind = field.type
        if kind == "boolean" and not isinstance(value, bool):
            problems.append(
                (field.id, f"form field '{field.id}' must be true or false, got {value!r}")
            )
        elif kind in {"long", "integer"} and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            problems.append(
                (field.id, f"form field '{field.id}' must be a whole number, got {value!r}")
            )
        elif kind == "double" and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append((field.id, f"form field '{field.id}' must be a number, got {value!r}"))
        elif kind == "date" and (not isinstance(value, str) or _dt(value) is None):
            problems.append(
                (field.id, f"form field '{field.id}' must be an ISO date, got {value!r}")
            )
        elif kind == "enum" and field.values and value not in {v[0] for v in field.values}:
            allowed = ", ".join(v[0] for v in field.values)
            problems.append(
                (field.id, f"form field '{field.id}' must be one of {allowed}, got {value!r}")
            )
        elif kind == "string" and not isinstance(value, str):
            problems.append((field.id, f"form field '{field.id}' must be text, got {value!r}"))
        problems.extend(_constraint_problems(field.id, value, constraints))
    return problems


def _constraint_problems(
    field_id: str, value: Any, constraints: Mapping[str, Any]
) -> list[tuple[str, str]]:
    found = []
    for name, config in constraints.items():
        try:
            if name == "minlength" and isinstance(value, str) and len(value) < int(config):
                found.append(
                    (field_id, f"form field '{field_id}' needs at least {config} characters")
                )
            elif name == "maxlength" and isinstance(value, str) and len(value) > int(config):
                found.append(
                    (field_id, f"form field '{field_id}' allows at most {config} characters")
                )
            elif name == "min" and isinstance(value, int | float) and value < float(config):
                found.append((field_id, f"form field '{field_id}' must be at least {config}"))
            elif name == "max" and isinstance(value, int | float) and value > float(config):
                found.append((field_id, f"form field '{field_id}' must be at most {config}"))
        except (TypeError, ValueError):
            continue
    return found
