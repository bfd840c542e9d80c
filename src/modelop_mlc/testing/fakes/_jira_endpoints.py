"""Endpoints of `FakeJira` that read metadata or search: server, users, fields, screens, JQL."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from modelop_mlc.testing.fakes._http import _Call, _Reply
from modelop_mlc.testing.fakes._jira_data import PRIORITIES, STATUSES, FieldDef, jira_time
from modelop_mlc.testing.fakes._jira_model import jira_error
from modelop_mlc.testing.fakes._jira_search import _JiraSearch

_MAX_RESULTS = 1000


class _JiraEndpoints(_JiraSearch):
    """Metadata and search endpoints; `FakeJira` adds issue endpoints, routing and helpers."""

    def _error_reply(self, status: int, message: str, detail: str | None = None) -> _Reply:
        return jira_error(status, [message] if detail is None else [message, detail])

    def _unauthorized(self) -> _Reply:
        return jira_error(
            401,
            ["You are not authenticated. Authentication required to perform this operation."],
            headers={
                "WWW-Authenticate": 'Basic realm="protected-area"',
                "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
            },
        )

    def _unknown_path(self, call: _Call) -> _Reply:
        return jira_error(404, [f"null for uri: {self._base_url()}{call.path}"])

    def _server_info(self, _call: _Call) -> _Reply:
        cloud = self._cloud
        return _Reply.json(
            200,
            {
                "baseUrl": self._base_url(),
                "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.0",
                "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 0],
                "deploymentType": self.deployment,
                "buildNumber": 100240 if cloud else 9120000,
                "buildDate": "2023-11-28T00:00:00.000+0000",
                "serverTime": jira_time(self._now()),
                "scmInfo": "0000000000000000000000000000000000000000",
                "serverTitle": "Fake Jira",
            },
        )

    def _session(self, call: _Call) -> _Reply:
        if call.user is None:
            return self._unauthorized()
        return _Reply.json(
            200,
            {
                "self": f"{self._base_url()}/rest/api/latest/user?username={quote(call.user)}",
                "name": call.user,
                "loginInfo": {"failedLoginCount": 0, "loginCount": 1},
            },
        )

    def _myself(self, call: _Call) -> _Reply:
        if call.user is None:
            return self._unauthorized()
        return _Reply.json(200, self._user(call.user))

    def _field_list(self, _call: _Call) -> _Reply:
        return _Reply.json(200, [field.to_json() for field in self._fields.values()])

    def _project_list(self, _call: _Call) -> _Reply:
        return _Reply.json(200, [self._project_json(key) for key in self._projects])

    def _project_get(self, call: _Call) -> _Reply:
        key = self._project_key(call.args["project"])
        if key is None:
            return jira_error(
                404, [f"No project could be found with key '{call.args['project']}'."]
            )
        return _Reply.json(200, self._project_json(key, issue_types=True))

    def _issuetype_list(self, _call: _Call) -> _Reply:
        return _Reply.json(200, [self._type_json(name) for name in self._issue_types])

    def _status_list(self, _call: _Call) -> _Reply:
        return _Reply.json(200, [self._status_json(status) for status in STATUSES.values()])

    def _priority_list(self, _call: _Call) -> _Reply:
        return _Reply.json(200, [self._priority_json(i, name) for i, name in PRIORITIES])

    def _field_meta(self, field: FieldDef) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "required": field.id in ("summary", "project", "issuetype"),
            "schema": field.schema,
            "name": field.name,
            "key": field.id,
            "fieldId": field.id,
            "hasDefaultValue": field.id == "priority",
            "operations": ["add", "set", "remove"] if field.id == "labels" else ["set"],
        }
        if field.id == "priority":
            meta["allowedValues"] = [self._priority_json(i, name) for i, name in PRIORITIES]
        return meta

    def _creatable(self) -> list[FieldDef]:
        keep = ("project", "issuetype")
        return [
            f
            for f in self._fields.values()
            if (f.settable and self._screens.on_create(f.id)) or f.id in keep
        ]

    def _editmeta(self, call: _Call) -> _Reply:
        self._find(call.args["issue"])
        editable = [f for f in self._fields.values() if f.settable and self._screens.on_edit(f.id)]
        return _Reply.json(200, {"fields": {f.id: self._field_meta(f) for f in editable}})

    def _user_search(self, call: _Call) -> _Reply:
        # Cloud searches `query` (name, display name or e-mail prefix); Data Center `username`.
        wanted = (call.param("query") if self._cloud else call.param("username")) or ""
        if not wanted:
            parameter = "query" if self._cloud else "username"
            return jira_error(400, [f"The '{parameter}' query parameter is required."])
        lowered = wanted.lower()
        found = [
            self._user(name)
            for name in self._people_known()
            if name.lower().startswith(lowered) or f"{name}@example.com".startswith(lowered)
        ]
        start = _int(call.param("startAt"), 0)
        limit = _int(call.param("maxResults"), 50)
        return _Reply.json(200, found[start : start + limit])

    def _createmeta(self, call: _Call) -> _Reply:
        keys = {k.upper() for k in call.params("projectKeys")}
        ids = set(call.params("projectIds"))
        type_names = set(call.params("issuetypeNames"))
        type_ids = set(call.params("issuetypeIds"))
        with_fields = "projects.issuetypes.fields" in call.params("expand")
        projects = []
        for key, project_id in self._projects.items():
            if (keys or ids) and key not in keys and str(project_id) not in ids:
                continue
            types = []
            for name, type_id in self._issue_types.items():
                if (type_names or type_ids) and name not in type_names and type_id not in type_ids:
                    continue
                entry = self._type_json(name)
                if with_fields:
                    entry["fields"] = {f.id: self._field_meta(f) for f in self._creatable()}
                types.append(entry)
            project = self._project_json(key)
            projects.append({**project, "expand": "issuetypes", "issuetypes": types})
        return _Reply.json(200, {"expand": "projects", "projects": projects})

    def _meta_types(self, call: _Call) -> _Reply:
        if self._project_key(call.args["project"]) is None:
            return jira_error(
                404, [f"No project could be found with key '{call.args['project']}'."]
            )
        values = [self._type_json(name) for name in self._issue_types]
        return _Reply.json(
            200,
            {
                "maxResults": 50,
                "startAt": 0,
                "total": len(values),
                "isLast": True,
                "values": values,
            },
        )

    def _meta_fields(self, call: _Call) -> _Reply:
        if self._project_key(call.args["project"]) is None:
            return jira_error(
                404, [f"No project could be found with key '{call.args['project']}'."]
            )
        if call.args["type"] not in self._issue_types.values():
            return jira_error(404, [f"Issue type with id '{call.args['type']}' does not exist."])
        values = [self._field_meta(f) for f in self._creatable()]
        start = _int(call.param("startAt"), 0)
        limit = _int(call.param("maxResults"), 50)
        page = values[start : start + limit]
        # Data Center pages its answer in `values`, Cloud in `fields`.
        return _Reply.json(
            200,
            {
                "maxResults": limit,
                "startAt": start,
                "total": len(values),
                "isLast": start + limit >= len(values),
                "fields" if self._cloud else "values": page,
            },
        )

    def _removed_search(self) -> _Reply:
        return jira_error(
            410,
            [
                (
                    "The requested API has been removed. Please migrate to the "
                    "/rest/api/3/search/jql API. A full migration guideline is available at "
                    "https://developer.atlassian.com/changelog/#CHANGE-2046"
                )
            ],
        )

    def _search_get(self, call: _Call) -> _Reply:
        if self._cloud:
            return self._removed_search()
        return self._search_page(
            call.param("jql") or "",
            start=_int(call.param("startAt"), 0),
            limit=_int(call.param("maxResults"), 50),
            fields=call.params("fields"),
            expand=call.params("expand"),
            properties=call.params("properties"),
        )

    def _search_post(self, call: _Call) -> _Reply:
        if self._cloud:
            return self._removed_search()
        body = self._json_body(call)
        if not isinstance(body, dict):
            return jira_error(400, ["Can not deserialize the request body: expected an object."])
        return self._search_page(
            str(body.get("jql") or ""),
            start=_int(body.get("startAt"), 0),
            limit=_int(body.get("maxResults"), 50),
            fields=_listify(body.get("fields")),
            expand=_listify(body.get("expand")),
            properties=_listify(body.get("properties")),
        )

    def _search_page(
        self,
        jql: str,
        *,
        start: int,
        limit: int,
        fields: Sequence[str],
        expand: Sequence[str],
        properties: Sequence[str],
    ) -> _Reply:
        found = self._search(jql, cloud=False)
        limit = max(0, min(limit, _MAX_RESULTS))
        page = found[start : start + limit]
        issues = [
            self._render(i, fields=fields, expand=expand, properties=properties) for i in page
        ]
        return _Reply.json(
            200,
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": limit,
                "total": len(found),
                "issues": issues,
            },
        )

    def _search_jql_get(self, call: _Call) -> _Reply:
        if not self._cloud:
            return self._unknown_path(call)
        return self._search_tokens(
            call.param("jql") or "",
            token=call.param("nextPageToken"),
            limit=_int(call.param("maxResults"), 50),
            fields=call.params("fields"),
            expand=call.params("expand"),
            properties=call.params("properties"),
        )

    def _search_jql_post(self, call: _Call) -> _Reply:
        if not self._cloud:
            return self._unknown_path(call)
        body = self._json_body(call)
        if not isinstance(body, dict):
            return jira_error(400, ["Can not deserialize the request body: expected an object."])
        token = body.get("nextPageToken")
        return self._search_tokens(
            str(body.get("jql") or ""),
            token=str(token) if token else None,
            limit=_int(body.get("maxResults"), 50),
            fields=_listify(body.get("fields")),
            expand=_listify(body.get("expand")),
            properties=_listify(body.get("properties")),
        )

    def _search_tokens(
        self,
        jql: str,
        *,
        token: str | None,
        limit: int,
        fields: Sequence[str],
        expand: Sequence[str],
        properties: Sequence[str],
    ) -> _Reply:
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except (binascii.Error, ValueError, UnicodeDecodeError):
                return jira_error(400, [f"Invalid nextPageToken: {token}"])
        found = self._search(jql, cloud=True)
        limit = max(1, min(limit, 5000))
        page = found[start : start + limit]
        body: dict[str, Any] = {
            # Cloud's enhanced search returns only ids unless fields are asked for.
            "issues": [
                self._render(i, fields=fields or ["id"], expand=expand, properties=properties)
                for i in page
            ],
            "isLast": start + limit >= len(found),
        }
        if not body["isLast"]:
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return _Reply.json(200, body)


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    return [str(item) for item in value]


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default
