"""State and JSON rendering behind `FakeJira`: projects, fields, issues and their changes."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

from modelop_mlc.testing.fakes._http import Clock, _HttpError, _Reply
from modelop_mlc.testing.fakes._jira_data import (
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    SYSTEM_FIELDS,
    FieldDef,
    IssueState,
    custom_field,
    display,
    parse_date,
)
from modelop_mlc.testing.fakes._jira_json import _JiraJson, account_id
from modelop_mlc.testing.fakes._jira_screens import Screens

DEFAULT_CUSTOM_FIELDS: Mapping[str, str] = {"Expiration Date": "date", "Model Risk Tier": "option"}
"""Custom fields a `FakeJira` has unless told otherwise (name → type)."""

PEOPLE = ("approver", "reporter", "alice", "bob")
"""The users a `FakeJira` knows besides the authenticated ones (user pickers accept them)."""

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


class _JiraModel(_JiraJson):
    """Jira's state and JSON shapes; `FakeJira` adds the HTTP endpoints and test helpers."""

    def __init__(
        self,
        *,
        deployment: Literal["Server", "Cloud"] = "Server",
        projects: Sequence[str] = ("MLC",),
        issue_types: Sequence[str] = ("Task", "Bug", "Story"),
        custom_fields: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        screens: Screens | None = None,
        indexed_properties: Mapping[str, Collection[str]] | None = None,
        search_lag: timedelta = timedelta(0),
        people: Sequence[str] = PEOPLE,
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
        if search_lag < timedelta(0):
            raise ValueError(f"search_lag cannot be negative, got {search_lag}")
        self.deployment: Literal["Server", "Cloud"] = deployment
        self._projects = {key: 10000 + index for index, key in enumerate(projects)}
        self._issue_types = {name: str(10001 + index) for index, name in enumerate(issue_types)}
        customs = DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        pairs = list(customs.items()) if isinstance(customs, Mapping) else list(customs)
        defs = [custom_field(10010 + i, name, kind) for i, (name, kind) in enumerate(pairs)]
        self._fields: dict[str, FieldDef] = {f.id: f for f in (*SYSTEM_FIELDS, *defs)}
        self._screens = (screens or Screens()).resolve(self._field_ids)
        self._indexed = {key: set(paths) for key, paths in (indexed_properties or {}).items()}
        self._search_lag = search_lag
        self._people = list(people)
        self._options: dict[tuple[str, str], str] = {}
        self._issues: dict[str, IssueState] = {}
        self._counters = {"issue": 10000, "comment": 10000, "attachment": 10000, "history": 10000}
        self._numbers = dict.fromkeys(self._projects, 0)

    def _field_ids(self, name_or_id: str) -> list[str]:
        """Every field id a screen entry names (a name may match several fields)."""
        if name_or_id in self._fields:
            return [name_or_id]
        found = [f.id for f in self._fields.values() if f.name.lower() == name_or_id.lower()]
        if not found:
            known = ", ".join(f.name for f in self._fields.values() if f.settable)
            raise ValueError(f"No field {name_or_id!r} to put on a screen; fields: {known}")
        return found

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
            return self._user(self._person(field, value))
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
        if kind == "array" and field.items == "option":
            if not isinstance(value, list):
                raise ValueError("data was not an array")
            return [self._option(field, item) for item in value]
        if kind == "option":
            return self._option(field, value)
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")  # noqa: TRY004 - Jira's 400 text
        return value

    def _option(self, field: FieldDef, value: Any) -> dict[str, Any]:
        """An option of a select list, sent as `{"value": ...}` or `{"id": ...}`."""
        label = value.get("value") if isinstance(value, dict) else None
        if label is None and isinstance(value, dict) and "id" in value:
            label = next((v for (f, v), i in self._options.items() if i == value["id"]), None)
        if not isinstance(label, str):
            raise ValueError(  # noqa: TRY004 - Jira's 400 text, reported per field
                "Could not find valid 'id' or 'value' in the Parent Option object."
            )
        option_id = self._options.setdefault((field.id, label), str(10100 + len(self._options)))
        return {
            "self": f"{self._base_url()}/rest/api/2/customFieldOption/{option_id}",
            "value": label,
            "id": option_id,
        }

    def _people_known(self) -> list[str]:
        return list(dict.fromkeys([*self._people, *self._users, *self._tokens.values()]))

    def _person(self, field: FieldDef, value: Any) -> str:
        """The user a user-picker value names: `accountId` on Cloud, `name` on Data Center."""
        if not isinstance(value, dict):
            raise ValueError("data was not an object")  # noqa: TRY004 - Jira's 400 text
        known = self._people_known()
        if self._cloud:
            account = value.get("accountId")
            if not isinstance(account, str):
                raise ValueError(
                    f"Specify a valid 'accountId' for {field.name}; Jira Cloud does not accept "
                    "user names."
                )
            found = next((name for name in known if account_id(name) == account), None)
            if found is None:
                raise ValueError(f"The user with accountId '{account}' does not exist.")
            return found
        name = value.get("name")
        if not isinstance(name, str):
            raise ValueError(f"Specify a valid 'name' for {field.name}.")  # noqa: TRY004
        if name not in known:
            raise ValueError(f"User '{name}' does not exist.")
        return name

    def _normalize_all(
        self,
        fields: Mapping[str, Any],
        errors: dict[str, str],
        allowed: Callable[[str], bool] | None = None,
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for field_id, value in fields.items():
            field = self._fields.get(field_id)
            if field is None or not field.settable or (allowed and not allowed(field_id)):
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

    def _create(
        self, fields: Mapping[str, Any], reporter: str | None, *, screen: bool = True
    ) -> IssueState:
        """Create an issue; with `screen`, only fields on the create screen may be set."""
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
        allowed = self._screens.on_create if screen else None
        changes = self._normalize_all(fields, errors, allowed)
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
            indexed_at=now + self._search_lag,
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
        allowed: Callable[[str], bool] | None,
    ) -> list[dict[str, Any]]:
        """Validate and apply `fields` and `update` operations; return changelog items.

        Only fields `allowed` accepts (those on the operation's screen) may be changed.
        """
        errors: dict[str, str] = {}
        changes = self._normalize_all(fields, errors, allowed)
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
            if (
                field is None
                or not field.settable
                or not isinstance(operations, list)
                or (allowed and not allowed(field_id))
            ):
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


def _raw_id(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id") or value.get("name") or value.get("accountId")
        return None if found is None else str(found)
    return None
