"""JSON shapes of `FakeJira`: issues, users, projects, statuses, as Jira renders them."""

from __future__ import annotations

import copy
import html
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

from modelop_mlc.testing.fakes._http import _FakeService
from modelop_mlc.testing.fakes._jira_data import (
    STATUSES,
    WORKFLOW,
    Attachment,
    FieldDef,
    IssueState,
    Status,
    Transition,
    jira_time,
)


def account_id(name: str) -> str:
    """The Jira Cloud account id the fake gives a user name (stable across runs)."""
    return f"557058:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


class _JiraJson(_FakeService):
    """Renders the state `_JiraModel` keeps, in the JSON Jira's REST API v2 answers with."""

    deployment: Literal["Server", "Cloud"]
    _projects: dict[str, int]
    _issue_types: dict[str, str]
    _fields: dict[str, FieldDef]

    # -- renderers -----------------------------------------------------------------------------

    @property
    def _cloud(self) -> bool:
        return self.deployment == "Cloud"

    def _user(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        base = self._base_url()
        if self._cloud:
            account = account_id(name)
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

    def _available(self, issue: IssueState) -> list[Transition]:
        return [t for t in WORKFLOW if issue.status in t.sources]


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
