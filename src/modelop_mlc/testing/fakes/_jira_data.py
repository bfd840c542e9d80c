"""Static data and value rules for `FakeJira`: workflow, statuses, priorities and fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "CUSTOM_TYPES",
    "PRIORITIES",
    "RESOLUTIONS",
    "STATUSES",
    "SYSTEM_FIELDS",
    "WORKFLOW",
    "FieldDef",
    "IssueState",
    "Status",
    "Transition",
    "jira_time",
]


@dataclass(frozen=True)
class Status:
    """A workflow status and its category (`new`, `indeterminate` or `done`)."""

    id: str
    name: str
    category_id: int
    category_key: str
    category_name: str
    category_color: str


@dataclass(frozen=True)
class Transition:
    """A workflow transition, available from `sources` and leading to `target`."""

    id: str
    name: str
    sources: frozenset[str]
    target: str


STATUSES: dict[str, Status] = {
    status.name: status
    for status in (
        Status("10000", "To Do", 2, "new", "To Do", "blue-gray"),
        Status("10001", "In Review", 4, "indeterminate", "In Progress", "yellow"),
        Status("10002", "Done", 3, "done", "Done", "green"),
        Status("10003", "Rejected", 3, "done", "Done", "green"),
    )
}

# The MLC approval workflow: review, then approve or reject; finished issues can be reopened.
WORKFLOW: tuple[Transition, ...] = (
    Transition("11", "Start Review", frozenset({"To Do"}), "In Review"),
    Transition("21", "Approve", frozenset({"In Review"}), "Done"),
    Transition("31", "Reject", frozenset({"In Review"}), "Rejected"),
    Transition("41", "Reopen", frozenset({"Done", "Rejected"}), "To Do"),
)

# Entering a `done` status sets this resolution; leaving it clears the resolution.
RESOLUTIONS: dict[str, dict[str, str]] = {
    "Done": {"id": "10000", "name": "Done", "description": "Work has been completed."},
    "Rejected": {"id": "10001", "name": "Won't Do", "description": "This will not be done."},
}

PRIORITIES: tuple[tuple[str, str], ...] = (
    ("1", "Highest"),
    ("2", "High"),
    ("3", "Medium"),
    ("4", "Low"),
    ("5", "Lowest"),
)

_PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes"
CUSTOM_TYPES: dict[str, tuple[str, str]] = {
    "date": ("date", f"{_PLUGIN}:datepicker"),
    "string": ("string", f"{_PLUGIN}:textfield"),
    "number": ("number", f"{_PLUGIN}:float"),
    "option": ("option", f"{_PLUGIN}:select"),
    "multiselect": ("array", f"{_PLUGIN}:multiselect"),
    "user": ("user", f"{_PLUGIN}:userpicker"),
}
# Array-typed custom fields and the type of their items.
_ITEMS = {"multiselect": "option"}


@dataclass(frozen=True)
class FieldDef:
    """One field as `GET /rest/api/2/field` describes it; `settable` fields take writes."""

    id: str
    name: str
    schema: dict[str, Any] | None
    clause_names: tuple[str, ...]
    custom: bool = False
    settable: bool = False

    @property
    def kind(self) -> str:
        """The value type: the schema type (`array` for lists), `string` without a schema."""
        return str(self.schema["type"]) if self.schema else "string"

    @property
    def items(self) -> str | None:
        """The item type of an array field (`option` for a multi-select), else None."""
        return str(self.schema["items"]) if self.schema and "items" in self.schema else None

    def to_json(self) -> dict[str, Any]:
        """Render as Jira's field list does."""
        body: dict[str, Any] = {
            "id": self.id,
            "key": self.id,
            "name": self.name,
            "custom": self.custom,
            "orderable": self.settable,
            "navigable": True,
            "searchable": True,
            "clauseNames": list(self.clause_names),
        }
        if self.custom:
            body["untranslatedName"] = self.name
        if self.schema is not None:
            body["schema"] = dict(self.schema)
        return body


def _system(
    field_id: str,
    name: str,
    kind: str | None,
    *,
    items: str | None = None,
    clauses: tuple[str, ...] | None = None,
    settable: bool = False,
) -> FieldDef:
    schema: dict[str, Any] | None = None
    if kind is not None:
        schema = {"type": kind, "system": field_id}
        if items is not None:
            schema["items"] = items
    return FieldDef(field_id, name, schema, clauses or (field_id,), settable=settable)


SYSTEM_FIELDS: tuple[FieldDef, ...] = (
    _system("issuekey", "Key", None, clauses=("id", "issue", "issuekey", "key")),
    _system("summary", "Summary", "string", settable=True),
    _system("description", "Description", "string", settable=True),
    _system("issuetype", "Issue Type", "issuetype", clauses=("issuetype", "type")),
    _system("project", "Project", "project"),
    _system("status", "Status", "status"),
    _system("labels", "Labels", "array", items="string", settable=True),
    _system("priority", "Priority", "priority", settable=True),
    _system("duedate", "Due Date", "date", clauses=("due", "duedate"), settable=True),
    _system("assignee", "Assignee", "user", settable=True),
    _system("reporter", "Reporter", "user", settable=True),
    _system("resolution", "Resolution", "resolution"),
    _system("resolutiondate", "Resolved", "datetime", clauses=("resolutiondate", "resolved")),
    _system("created", "Created", "datetime", clauses=("created", "createdDate")),
    _system("updated", "Updated", "datetime", clauses=("updated", "updatedDate")),
    _system("comment", "Comment", "comments-page"),
    _system("attachment", "Attachment", "array", items="attachment"),
)


def custom_field(number: int, name: str, kind: str) -> FieldDef:
    """Build a custom field definition with id `customfield_<number>`.

    Raises:
        ValueError: If `kind` is not one of `CUSTOM_TYPES`.
    """
    if kind not in CUSTOM_TYPES:
        known = ", ".join(sorted(CUSTOM_TYPES))
        raise ValueError(f"Custom field {name!r} has unknown type {kind!r}; use one of {known}")
    schema_type, plugin = CUSTOM_TYPES[kind]
    schema: dict[str, Any] = {"type": schema_type, "custom": plugin, "customId": number}
    if kind in _ITEMS:
        schema["items"] = _ITEMS[kind]
    return FieldDef(
        id=f"customfield_{number}",
        name=name,
        schema=schema,
        clause_names=(f"cf[{number}]", name),
        custom=True,
        settable=True,
    )


@dataclass
class Attachment:
    """A stored attachment."""

    id: int
    filename: str
    content: bytes
    mime_type: str
    author: str
    created: datetime


@dataclass
class IssueState:
    """The stored state of one issue. Field values are kept in Jira's JSON representation."""

    id: int
    key: str
    number: int
    project: str
    issuetype: str
    status: str
    created: datetime
    updated: datetime
    values: dict[str, Any] = field(default_factory=dict)
    resolution: dict[str, str] | None = None
    resolutiondate: datetime | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    histories: list[dict[str, Any]] = field(default_factory=list)
    indexed_at: datetime | None = None
    """When search starts to see the issue (Jira Cloud's index lags behind writes)."""


def jira_time(moment: datetime) -> str:
    """Format a datetime as Jira does: `2026-01-01T10:00:00.000+0000`."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def jql_time(moment: datetime) -> str:
    """Format a datetime the way JQL compares it: `2026-01-01 10:00`."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> str | None:
    """Return `value` as `YYYY-MM-DD`, or `None` when it is not a valid date."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def display(value: Any) -> str | None:
    """Render a stored field value the way a changelog's `fromString`/`toString` does."""
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(display(item)) for item in value)
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if key in value:
                return str(value[key])
    return str(value)
