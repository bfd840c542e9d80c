"""State and JSON rendering behind `FakeJira`: projects, fields, issues and their changes."""

from __future__ import annotations

import copy
import html
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

from modelop_mlc.testing.fakes._http import Clock, _FakeService, _HttpError, _Reply
from modelop_mlc.testing.fakes._jira_data import (
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    SYSTEM_FIELDS,
    WORKFLOW,
    Attachment,
    FieldDef,
    IssueState,
    Status,
    Transition,
    custom_field,
    display,
    jira_time,
    parse_date,
)

DEFAULT_CUSTOM_FIELDS: Mapping[str, str] = {"Expiration Date": "date", "Model Risk Tier": "option"}
"""Custom fields a `FakeJira` has unless told otherwise (name → type)."""

NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]+")


def jira_error(
    status: int,
    messages: Sequence[str] = (),
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> _Reply:
    return _Reply.json(
        status, {"errorMessages": list(messages), "errors": dict(errors or {})}, headers
    )


def bad(messages: Sequence[str] = (), errors: Mapping[str, str] | None = None) -> _HttpError:
    return _HttpError(jira_error(400, messages, errors))


def _cannot_set(field_id: str) -> str:
    return f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."


class _JiraModel(_FakeService):
    """Jira's state and JSON shapes; `FakeJira` adds the HTTP endpoints and test helpers."""

    def __init__(
        self,
        *,
        deployment: Literal["Server", "Cloud"] = "Server",
        projects: Sequence[str] = ("MLC",),
        issue_types: Sequence[str] = ("Task", "Bug", "Story"),
        custom_fields: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Validate the configuration and set up empty state."""
        super().__init__(clock=clock)
        if deployment not in ("Server", "Cloud"):
            raise ValueError(f"deployment must be 'Server' or 'Cloud', not {deployment!r}")
        if not projects:
            raise ValueError("FakeJira needs at least one project key")
        for key in projects:
            if not _PROJECT_KEY.fullmatch(key):
                raise ValueError(f"Invalid project key {key!r}; use upper-case letters, e.g. 'MLC'")
        if not issue_types:
            raise ValueError("FakeJira needs at least one issue type")
        self.deployment: Literal["Server", "Cloud"] = deployment
        self._projects = {key: 10000 + index for index, key in enumerate(projects)}
        self._issue_types = {name: str(10001 + index) for index, name in enumerate(issue_types)}
        customs = DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        defs = [
            custom_field(10010 + i, name, kind) for i, (name, kind) in enumerate(customs.items())
        ]
        self._fields: dict[str, FieldDef] = {f.id: f for f in (*SYSTEM_FIELDS, *defs)}
        self._options: dict[tuple[str, str], str] = {}
        self._issues: dict[str, IssueState] = {}
        self._counters = {"issue": 10000, "comment": 10000, "attachment": 10000, "history": 10000}
        self._numbers = dict.fromkeys(self._projects, 0)

    # -- JSON renderers ----------------------------------------------------------------------

    @property
    def _cloud(self) -> bool:
        return self.deployment == "Cloud"

    def _user(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        base = self._base_url()
        if self._cloud:
            account = f"557058:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
            return {
                "self": f"{base}/rest/api/2/user?accountId={account}",
                "accountId": account,
                "emailAddress": f"{name}@example.com",
                "displayName": name,
                "active": True,
                "timeZone": "UTC",
                "accountType": "atlassian",
            }
        return {
            "self": f"{base}/rest/api/2/user?username={quote(name)}",
            "key": name,
            "name": name,
            "emailAddress": f"{name}@example.com",
            "displayName": name,
            "active": True,
            "timeZone": "UTC",
        }

    def _project_json(self, key: str, *, issue_types: bool = False) -> dict[str, Any]:
        project_id = self._projects[key]
        body: dict[str, Any] = {
            "expand": "description,lead,url,projectKeys",
            "self": f"{self._base_url()}/rest/api/2/project/{project_id}",
            "id": str(project_id),
            "key": key,
            "name": key,
            "projectTypeKey": "software",
            "avatarUrls": {},
        }
        if issue_types:
            body["issueTypes"] = [self._type_json(name) for name in self._issue_types]
        return body

    def _type_json(self, name: str) -> dict[str, Any]:
        type_id = self._issue_types[name]
        return {
            "self": f"{self._base_url()}/rest/api/2/issuetype/{type_id}",
            "id": type_id,
            "description": f"A {name.lower()}.",
            "iconUrl": f"{self._base_url()}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": False,
        }

    def _status_json(self, status: Status) -> dict[str, Any]:
        base = self._base_url()
        return {
            "self": f"{base}/rest/api/2/status/{status.id}",
            "description": "",
            "iconUrl": f"{base}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{base}/rest/api/2/statuscategory/{status.category_id}",
                "id": status.category_id,
                "key": status.category_key,
                "colorName": status.category_color,
                "name": status.category_name,
            },
        }

    def _priority_json(self, priority_id: str, name: str) -> dict[str, Any]:
        base = self._base_url()
        return {
            "self": f"{base}/rest/api/2/priority/{priority_id}",
            "iconUrl": f"{base}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": priority_id,
        }

    def _transition_json(self, transition: Transition) -> dict[str, Any]:
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self._status_json(STATUSES[transition.target]),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def _comment_json(self, issue: IssueState, comment: Mapping[str, Any]) -> dict[str, Any]:
        author = self._user(comment["author"])
        return {
            "self": f"{self._base_url()}/rest/api/2/issue/{issue.id}/comment/{comment['id']}",
            "id": str(comment["id"]),
            "author": author,
            "body": comment["body"],
            "updateAuthor": author,
            "created": jira_time(comment["created"]),
            "updated": jira_time(comment["created"]),
        }

    def _attachment_json(self, attachment: Attachment) -> dict[str, Any]:
        base = self._base_url()
        return {
            "self": f"{base}/rest/api/2/attachment/{attachment.id}",
            "id": str(attachment.id),
            "filename": attachment.filename,
            "author": self._user(attachment.author),
            "created": jira_time(attachment.created),
            "size": len(attachment.content),
            "mimeType": attachment.mime_type,
            "content": f"{base}/secure/attachment/{attachment.id}/{quote(attachment.filename)}",
        }

    def _field_values(self, issue: IssueState) -> dict[str, Any]:
        comments = [self._comment_json(issue, comment) for comment in issue.comments]
        values: dict[str, Any] = {
            "summary": issue.values.get("summary"),
            "description": issue.values.get("description"),
            "issuetype": self._type_json(issue.issuetype),
            "project": self._project_json(issue.project),
            "status": self._status_json(STATUSES[issue.status]),
            "labels": list(issue.values.get("labels", [])),
            "priority": issue.values.get("priority"),
            "duedate": issue.values.get("duedate"),
            "assignee": issue.values.get("assignee"),
            "reporter": issue.values.get("reporter"),
            "resolution": dict(issue.resolution) if issue.resolution else None,
            "resolutiondate": jira_time(issue.resolutiondate) if issue.resolutiondate else None,
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "comment": {
                "comments": comments,
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            },
            "attachment": [self._attachment_json(a) for a in issue.attachments],
        }
        for field in self._fields.values():
            if field.custom:
                values[field.id] = copy.deepcopy(issue.values.get(field.id))
        return values

    def _render(
        self,
        issue: IssueState,
        *,
        fields: Sequence[str] = (),
        expand: Iterable[str] = (),
        properties: Sequence[str] = (),
    ) -> dict[str, Any]:
        expand = set(expand)
        values = self._field_values(issue)
        selected = _select(fields, values)
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(issue.id),
            "self": f"{self._base_url()}/rest/api/2/issue/{issue.id}",
            "key": issue.key,
        }
        if selected:
            body["fields"] = {key: values[key] for key in selected}
        if "renderedFields" in expand:
            rendered = {key: values[key] for key in selected}
            for key in ("description", "summary"):
                if rendered.get(key):
                    rendered[key] = f"<p>{html.escape(rendered[key])}</p>"
            body["renderedFields"] = rendered
        if "names" in expand:
            body["names"] = {key: self._fields[key].name for key in selected if key in self._fields}
        if "schema" in expand:
            body["schema"] = {
                key: self._fields[key].schema
                for key in selected
                if key in self._fields and self._fields[key].schema
            }
        if "transitions" in expand:
            body["transitions"] = [self._transition_json(t) for t in self._available(issue)]
        if "changelog" in expand:
            histories = [self._history_json(entry) for entry in issue.histories]
            body["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        if properties:
            wanted = set(issue.properties) if "*all" in properties else set(properties)
            body["properties"] = {
                key: copy.deepcopy(value)
                for key, value in issue.properties.items()
                if key in wanted
            }
        return body

    def _history_json(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": str(entry["id"]),
            "author": self._user(entry["author"]),
            "created": jira_time(entry["created"]),
            "items": copy.deepcopy(entry["items"]),
        }

    # -- state changes -----------------------------------------------------------------------

    def _next(self, counter: str) -> int:
        self._counters[counter] += 1
        return self._counters[counter] - 1

    def _find(self, id_or_key: str) -> IssueState:
        wanted = id_or_key.upper()
        for issue in self._issues.values():
            if issue.key == wanted or str(issue.id) == wanted:
                return issue
        raise _HttpError(jira_error(404, [NOT_FOUND]))

    def _field(self, name_or_id: str) -> FieldDef | None:
        if name_or_id in self._fields:
            return self._fields[name_or_id]
        lowered = name_or_id.lower()
        for field in self._fields.values():
            if field.name.lower() == lowered or lowered in (c.lower() for c in field.clause_names):
                return field
        return None

    def _normalize(self, field: FieldDef, value: Any) -> Any:
        """Convert a REST value to the stored JSON form, or raise `ValueError` with Jira's text."""
        if value is None:
            if field.id == "summary":
                raise ValueError("You must specify a summary of the issue.")
            return [] if field.id == "labels" else None
        kind = field.kind
        if field.id == "summary":
            if not isinstance(value, str) or not value.strip():
                raise ValueError("You must specify a summary of the issue.")
            if "\n" in value or "\r" in value:
                raise ValueError("The summary is invalid because it contains newline characters.")
            return value
        if field.id == "labels":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("Labels must be a list of strings.")
            for label in value:
                if " " in label:
                    raise ValueError(f"The label '{label}' contains spaces which is invalid.")
            return list(dict.fromkeys(value))
        if field.id == "priority":
            wanted = value.get("id") or value.get("name") if isinstance(value, dict) else None
            for priority_id, name in PRIORITIES:
                if wanted in (priority_id, name):
                    return self._priority_json(priority_id, name)
            raise ValueError("The priority selected is invalid.")
        if kind == "user":
            user = value.get("name") or value.get("accountId") if isinstance(value, dict) else None
            if not isinstance(user, str):
                raise ValueError(f"Could not find a user in {value!r}; send {{'name': ...}}.")
            return self._user(user)
        if kind == "date":
            parsed = parse_date(value)
            if parsed is None:
                if field.custom:
                    raise ValueError(
                        'Invalid date format. Please enter the date in the format "yyyy-MM-dd".'
                    )
                raise ValueError(f"Error parsing date string: {value}")
            return parsed
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("Operation value must be a number")
            return value
        if kind == "option":
            if isinstance(value, str):
                value = {"value": value}
            label = value.get("value") if isinstance(value, dict) else None
            if label is None and isinstance(value, dict) and "id" in value:
                label = next((v for (f, v), i in self._options.items() if i == value["id"]), None)
            if not isinstance(label, str):
                raise ValueError(
                    "Could not find valid 'id' or 'value' in the Parent Option object."
                )
            option_id = self._options.setdefault((field.id, label), str(10100 + len(self._options)))
            return {
                "self": f"{self._base_url()}/rest/api/2/customFieldOption/{option_id}",
                "value": label,
                "id": option_id,
            }
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")  # noqa: TRY004 - Jira's 400 text
        return value

    def _normalize_all(self, fields: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for field_id, value in fields.items():
            field = self._fields.get(field_id)
            if field is None or not field.settable:
                errors[field_id] = _cannot_set(field_id)
                continue
            try:
                changes[field_id] = self._normalize(field, value)
            except ValueError as error:
                errors[field_id] = str(error)
        return changes

    def _record_history(
        self, issue: IssueState, author: str | None, items: list[dict[str, Any]]
    ) -> None:
        if not items:
            return
        now = self._now()
        entry = {"id": self._next("history"), "author": author, "created": now, "items": items}
        issue.histories.append(entry)
        issue.updated = now

    def _apply(self, issue: IssueState, changes: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Store changed values and return their changelog items."""
        items = []
        for field_id, new in changes.items():
            old = issue.values.get(field_id)
            if old == new or (old is None and new == []):
                continue
            field = self._fields[field_id]
            items.append(
                {
                    "field": field.name if field.custom else field_id,
                    "fieldtype": "custom" if field.custom else "jira",
                    "fieldId": field_id,
                    "from": _raw_id(old),
                    "fromString": display(old),
                    "to": _raw_id(new),
                    "toString": display(new),
                }
            )
            issue.values[field_id] = new
        return items

    def _move(self, issue: IssueState, target: str) -> list[dict[str, Any]]:
        """Put the issue in `target`, returning changelog items for status and resolution."""
        old, new = STATUSES[issue.status], STATUSES[target]
        items: list[dict[str, Any]] = [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": old.id,
                "fromString": old.name,
                "to": new.id,
                "toString": new.name,
            }
        ]
        resolution: dict[str, str] | None = RESOLUTIONS.get(target)
        if resolution != issue.resolution:
            items.append(
                {
                    "field": "resolution",
                    "fieldtype": "jira",
                    "fieldId": "resolution",
                    "from": issue.resolution["id"] if issue.resolution else None,
                    "fromString": issue.resolution["name"] if issue.resolution else None,
                    "to": resolution["id"] if resolution else None,
                    "toString": resolution["name"] if resolution else None,
                }
            )
        issue.status = target
        issue.resolution = dict(resolution) if resolution else None
        issue.resolutiondate = self._now() if resolution else None
        return items

    def _available(self, issue: IssueState) -> list[Transition]:
        return [t for t in WORKFLOW if issue.status in t.sources]

    def _add_comment(self, issue: IssueState, body: Any, author: str | None) -> dict[str, Any]:
        if not isinstance(body, str) or not body.strip():
            raise bad(errors={"comment": "Comment body can not be empty!"})
        now = self._now()
        comment = {"id": self._next("comment"), "body": body, "author": author, "created": now}
        issue.comments.append(comment)
        issue.updated = now
        return comment

    def _project_key(self, ref: Any) -> str | None:
        if isinstance(ref, dict):
            ref = ref.get("key") or ref.get("id")
        for key, project_id in self._projects.items():
            if ref is not None and str(ref).upper() in (key, str(project_id)):
                return key
        return None

    def _create(self, fields: Mapping[str, Any], reporter: str | None) -> IssueState:
        errors: dict[str, str] = {}
        fields = dict(fields)
        project_ref = fields.pop("project", None)
        type_ref = fields.pop("issuetype", None)
        project = self._project_key(project_ref)
        if project is None:
            errors["project"] = (
                "project is required" if not project_ref else ("valid project is required")
            )
        issuetype = None
        if isinstance(type_ref, dict):
            wanted = type_ref.get("id") or type_ref.get("name")
            issuetype = next((n for n, i in self._issue_types.items() if wanted in (n, i)), None)
        if issuetype is None:
            errors["issuetype"] = (
                "issue type is required" if not type_ref else ("valid issue type is required")
            )
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        changes = self._normalize_all(fields, errors)
        if errors or project is None or issuetype is None:
            raise bad(errors=errors)
        self._numbers[project] += 1
        now = self._now()
        issue = IssueState(
            id=self._next("issue"),
            key=f"{project}-{self._numbers[project]}",
            number=self._numbers[project],
            project=project,
            issuetype=issuetype,
            status="To Do",
            created=now,
            updated=now,
        )
        issue.values["labels"] = []
        issue.values["priority"] = self._priority_json("3", "Medium")
        issue.values["reporter"] = self._user(reporter)
        issue.values.update(changes)
        self._issues[issue.key] = issue
        return issue

    def _edit(
        self,
        issue: IssueState,
        fields: Mapping[str, Any],
        update: Mapping[str, Any],
        author: str | None,
    ) -> list[dict[str, Any]]:
        """Validate and apply `fields` and `update` operations; return changelog items."""
        errors: dict[str, str] = {}
        changes = self._normalize_all(fields, errors)
        comments: list[str] = []
        if not isinstance(update, Mapping):
            raise bad(["Can not deserialize 'update': expected an object."])
        for field_id, operations in update.items():
            if field_id == "comment":
                for operation in operations if isinstance(operations, list) else [None]:
                    add = operation.get("add") if isinstance(operation, dict) else None
                    body = add.get("body") if isinstance(add, dict) else None
                    if not isinstance(body, str) or not body.strip():
                        errors["comment"] = "Comment body can not be empty!"
                    else:
                        comments.append(body)
                continue
            field = self._fields.get(field_id)
            if field is None or not field.settable or not isinstance(operations, list):
                errors[field_id] = _cannot_set(field_id)
                continue
            current = changes.get(field_id, issue.values.get(field_id))
            for operation in operations:
                for verb, value in operation.items():
                    try:
                        current = self._operate(field, current, verb, value)
                    except ValueError as error:
                        errors[field_id] = str(error)
            changes[field_id] = current
        if errors:
            raise bad(errors=errors)
        for body in comments:
            self._add_comment(issue, body, author)
        return self._apply(issue, changes)

    def _operate(self, field: FieldDef, current: Any, verb: str, value: Any) -> Any:
        if verb == "set":
            return self._normalize(field, value)
        if field.id == "labels" and verb in ("add", "remove"):
            labels = list(current or [])
            if verb == "add":
                return self._normalize(field, [*labels, value])
            return [label for label in labels if label != value]
        raise ValueError(f"Field '{field.id}' does not support operation '{verb}'.")


def _select(fields: Sequence[str], values: Mapping[str, Any]) -> list[str]:
    """Pick field ids per Jira's `fields` parameter (`*all`, `*navigable`, `-x`, ids)."""
    if not fields:
        return list(values)
    chosen: list[str] = []
    if any(f in ("*all", "*navigable") for f in fields):
        chosen = list(values)
    chosen.extend(f for f in fields if f in values and f not in chosen)
    excluded = {f[1:] for f in fields if f.startswith("-")}
    if excluded and not any(not f.startswith("-") for f in fields):
        chosen = list(values)
    return [f for f in chosen if f not in excluded]


def _raw_id(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id") or value.get("name") or value.get("accountId")
        return None if found is None else str(found)
    return None
