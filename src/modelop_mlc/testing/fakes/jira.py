"""`FakeJira`: a stateful Jira REST v2 server for tests, served on 127.0.0.1.

It answers the requests the `jira` client (3.10.x) sends, in Jira's JSON shapes, for
Server/Data Center (the default) and Cloud (`FakeJira(deployment="Cloud")`).

Endpoints (under `/rest/api/2`, also reachable as `/rest/api/latest`): `serverInfo`,
`myself`, `field`, `project`, `project/{key}`, `issuetype`, `status`, `priority`,
`issue/createmeta` (and the Jira 9 `issue/createmeta/{project}/issuetypes[/{id}]`),
`issue` (POST), `issue/{idOrKey}` (GET, PUT, DELETE), `.../transitions`, `.../comment`,
`.../comment/{id}`, `.../attachments`, `.../properties[/{key}]`, `search` (GET and POST;
Server only, Cloud answers 410 as Jira Cloud does since the 2025 removal) and `search/jql`
(GET and POST; Cloud only, `nextPageToken`/`isLast` paging), `attachment/{id}`. Also
`/rest/auth/1/session` and attachment downloads at `/secure/attachment/{id}/{name}`.

Workflow: `To Do` -(11 Start Review)-> `In Review` -(21 Approve)-> `Done` or
-(31 Reject)-> `Rejected`; `Done`/`Rejected` -(41 Reopen)-> `To Do`. Entering `Done` sets
resolution "Done", entering `Rejected` sets "Won't Do"; reopening clears it.

JQL: clauses joined by `AND`, then `ORDER BY` (see `_jql`). Fields: `project`, `status`,
`labels`, `key`/`issuekey`/`id`, `issuetype`/`type`, `summary`/`description` (`~`),
`priority`, `assignee`, `reporter`, `resolution` (`Unresolved` means empty), `created`,
`updated`, `resolved`, `duedate` (dates as `yyyy-MM-dd [HH:mm]`), custom fields as `cf[10010]`
or by name, and issue properties as `issue.property[<key>].<path> = "value"`, where `<path>`
is a dot path into the stored JSON. Real Jira only searches properties an app has indexed;
the fake searches every property. Without `ORDER BY`, results come newest first (key DESC).
Invalid JQL, unknown fields and unknown project, status, type or issue-key values get Jira's
400 `{"errorMessages": [...], "errors": {}}`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

from modelop_mlc.testing.fakes._http import Clock, _Call, _HttpError, _multipart, _Reply, _Route
from modelop_mlc.testing.fakes._jira_data import (
    PRIORITIES,
    STATUSES,
    Attachment,
    FieldDef,
    IssueState,
    jira_time,
)
from modelop_mlc.testing.fakes._jira_model import DEFAULT_CUSTOM_FIELDS, jira_error
from modelop_mlc.testing.fakes._jira_search import _JiraSearch

__all__ = ["DEFAULT_CUSTOM_FIELDS", "FakeJira"]

_API = r"/rest/api/(?:2|latest)"
_ISSUE = _API + r"/issue/(?P<issue>[^/]+)"
_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
_MAX_RESULTS = 1000
_RESOLUTION_IDS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002"}


class FakeJira(_JiraSearch):
    """A stateful fake of Jira's REST API v2 on 127.0.0.1, for the real `jira` client.

    Use it as a context manager: `with FakeJira() as jira: JIRA(server=jira.url, ...)`.
    The request log, failure injection (`fail_next`, `hang_next`) and authentication
    (`require_auth`, `revoke`) come from the shared base class. Test helpers (`issues`,
    `transition`, `set_field`, `create_issue`, `webhook_payload`) change and read the state
    directly, as a person using Jira would.

    Args:
        deployment: `"Server"` (Server/Data Center, Jira 9.12) or `"Cloud"`; decides
            `serverInfo.deploymentType`, user JSON and which search endpoint exists.
        projects: Project keys; project ids are 10000, 10001, ...
        issue_types: Issue type names available in every project.
        custom_fields: Custom field name → type (`"date"`, `"string"`, `"number"` or
            `"option"`), numbered `customfield_10010` upwards in the given order. Pass
            `{}` for a Jira without custom fields.
        clock: Returns the current time; used for timestamps. Defaults to the wall clock.

    Raises:
        ValueError: If the deployment, a project key or a custom field type is invalid.
    """

    def __init__(
        self,
        *,
        deployment: Literal["Server", "Cloud"] = "Server",
        projects: Sequence[str] = ("MLC",),
        issue_types: Sequence[str] = ("Task", "Bug", "Story"),
        custom_fields: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Create the fake; call `start()` or use `with` to serve it."""
        super().__init__(
            deployment=deployment,
            projects=projects,
            issue_types=issue_types,
            custom_fields=custom_fields,
            clock=clock,
        )
        self._routes = self._build_routes()

    # -- routing -----------------------------------------------------------------------------

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[[_Call], _Reply]]] = [
            ("GET", _API + r"/serverInfo", self._server_info),
            ("GET", r"/rest/auth/(?:1|latest)/session", self._session),
            ("GET", _API + r"/myself", self._myself),
            ("GET", _API + r"/field", self._field_list),
            ("GET", _API + r"/project", self._project_list),
            ("GET", _API + r"/project/(?P<project>[^/]+)", self._project_get),
            ("GET", _API + r"/issuetype", self._issuetype_list),
            ("GET", _API + r"/status", self._status_list),
            ("GET", _API + r"/priority", self._priority_list),
            ("GET", _API + r"/issue/createmeta", self._createmeta),
            ("GET", _API + r"/issue/createmeta/(?P<project>[^/]+)/issuetypes", self._meta_types),
            (
                "GET",
                _API + r"/issue/createmeta/(?P<project>[^/]+)/issuetypes/(?P<type>[^/]+)",
                self._meta_fields,
            ),
            ("POST", _API + r"/issue", self._issue_create),
            ("GET", _ISSUE, self._issue_get),
            ("PUT", _ISSUE, self._issue_edit),
            ("DELETE", _ISSUE, self._issue_delete),
            ("GET", _ISSUE + r"/transitions", self._transitions_get),
            ("POST", _ISSUE + r"/transitions", self._transitions_post),
            ("GET", _ISSUE + r"/comment", self._comment_list),
            ("POST", _ISSUE + r"/comment", self._comment_add),
            ("GET", _ISSUE + r"/comment/(?P<comment>\d+)", self._comment_get),
            ("POST", _ISSUE + r"/attachments", self._attachment_add),
            ("GET", _ISSUE + r"/properties", self._property_list),
            ("GET", _ISSUE + r"/properties/(?P<key>[^/]+)", self._property_get),
            ("PUT", _ISSUE + r"/properties/(?P<key>[^/]+)", self._property_put),
            ("DELETE", _ISSUE + r"/properties/(?P<key>[^/]+)", self._property_delete),
            ("GET", _API + r"/search", self._search_get),
            ("POST", _API + r"/search", self._search_post),
            ("GET", _API + r"/search/jql", self._search_jql_get),
            ("POST", _API + r"/search/jql", self._search_jql_post),
            ("GET", _API + r"/attachment/(?P<attachment>\d+)", self._attachment_meta),
            ("GET", r"/secure/attachment/(?P<attachment>\d+)/[^/]*", self._attachment_content),
        ]
        return [_Route(method, re.compile(pattern), handler) for method, pattern, handler in table]

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

    # -- endpoints: server, user, metadata --------------------------------------------------

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
        return [f for f in self._fields.values() if f.settable or f.id in keep]

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

    # -- endpoints: issues -------------------------------------------------------------------

    def _issue_create(self, call: _Call) -> _Reply:
        body = self._json_body(call)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return jira_error(400, [], {"project": "project is required"})
        issue = self._create(body["fields"], call.user)
        if isinstance(body.get("properties"), list):
            for prop in body["properties"]:
                issue.properties[str(prop.get("key"))] = copy.deepcopy(prop.get("value"))
        url = f"{self._base_url()}/rest/api/2/issue/{issue.id}"
        return _Reply.json(201, {"id": str(issue.id), "key": issue.key, "self": url})

    def _issue_get(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        rendered = self._render(
            issue,
            fields=call.params("fields"),
            expand=call.params("expand"),
            properties=call.params("properties"),
        )
        return _Reply.json(200, rendered)

    def _issue_edit(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        body = self._json_body(call)
        if not isinstance(body, dict):
            return jira_error(400, ["Can not deserialize the request body: expected an object."])
        fields, update = body.get("fields") or {}, body.get("update") or {}
        items = self._edit(issue, fields, update, call.user)
        self._record_history(issue, call.user, items)
        return _Reply(204)

    def _issue_delete(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        del self._issues[issue.key]
        return _Reply(204)

    def _transitions_get(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        wanted = call.param("transitionId")
        transitions = [
            self._transition_json(t)
            for t in self._available(issue)
            if wanted is None or t.id == wanted
        ]
        if "transitions.fields" in call.params("expand"):
            for transition in transitions:
                transition["fields"] = {}
        return _Reply.json(200, {"expand": "transitions", "transitions": transitions})

    def _transitions_post(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        body = self._json_body(call)
        ref = body.get("transition") if isinstance(body, dict) else None
        wanted = ref.get("id") if isinstance(ref, dict) else None
        if wanted is None:
            return jira_error(400, ["Missing 'transition' identifier"])
        chosen = next((t for t in self._available(issue) if t.id == str(wanted)), None)
        if chosen is None:
            return jira_error(400, [f"Transition id '{wanted}' is not valid for this issue."])
        fields = dict(body.get("fields") or {})
        # Transition screens may set the resolution; it only sticks on a `done` status.
        resolution = fields.pop("resolution", None)
        items = self._edit(issue, fields, body.get("update") or {}, call.user)
        items.extend(self._move(issue, chosen.target))
        if isinstance(resolution, dict) and resolution.get("name") and issue.resolution:
            name = str(resolution["name"])
            issue.resolution = {"id": _RESOLUTION_IDS.get(name, "10009"), "name": name}
        self._record_history(issue, call.user, items)
        return _Reply(204)

    def _comment_list(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        comments = [self._comment_json(issue, comment) for comment in issue.comments]
        if call.param("orderBy") == "-created":
            comments.reverse()
        start = _int(call.param("startAt"), 0)
        limit = _int(call.param("maxResults"), 5000)
        page = comments[start : start + limit]
        return _Reply.json(
            200, {"startAt": start, "maxResults": limit, "total": len(comments), "comments": page}
        )

    def _comment_add(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        body = self._json_body(call)
        text = body.get("body") if isinstance(body, dict) else None
        comment = self._add_comment(issue, text, call.user)
        return _Reply.json(201, self._comment_json(issue, comment))

    def _comment_get(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        for comment in issue.comments:
            if str(comment["id"]) == call.args["comment"]:
                return _Reply.json(200, self._comment_json(issue, comment))
        return jira_error(404, [f"Can not find a comment for the id: {call.args['comment']}."])

    def _attachment_add(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        if call.headers.get("x-atlassian-token", "").lower() != "no-check":
            # Jira's XSRF guard answers in plain text, not JSON.
            return _Reply(403, b"XSRF check failed", {"Content-Type": "text/plain"})
        parts = _multipart(call.headers.get("content-type", ""), call.body)
        files = [part for part in parts if part[0] == "file" and part[1]]
        if not files:
            return jira_error(400, ["No file was attached; send a multipart 'file' part."])
        created = []
        for _name, filename, mime_type, content in files:
            attachment = Attachment(
                id=self._next("attachment"),
                filename=str(filename),
                content=content,
                mime_type=mime_type,
                author=call.user or "anonymous",
                created=self._now(),
            )
            issue.attachments.append(attachment)
            created.append(self._attachment_json(attachment))
        issue.updated = self._now()
        return _Reply.json(200, created)

    def _attachment_by_id(self, attachment_id: str) -> Attachment:
        for issue in self._issues.values():
            for attachment in issue.attachments:
                if str(attachment.id) == attachment_id:
                    return attachment
        raise _HttpError(
            jira_error(404, [f"The attachment with id '{attachment_id}' does not exist"])
        )

    def _attachment_meta(self, call: _Call) -> _Reply:
        attachment = self._attachment_by_id(call.args["attachment"])
        return _Reply.json(200, self._attachment_json(attachment))

    def _attachment_content(self, call: _Call) -> _Reply:
        attachment = self._attachment_by_id(call.args["attachment"])
        return _Reply(200, attachment.content, {"Content-Type": attachment.mime_type})

    def _property_list(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        base = f"{self._base_url()}/rest/api/2/issue/{issue.id}/properties"
        keys = [{"self": f"{base}/{quote(key)}", "key": key} for key in issue.properties]
        return _Reply.json(200, {"keys": keys})

    def _property_get(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        key = call.args["key"]
        if key not in issue.properties:
            return jira_error(404, [f"The property with key '{key}' does not exist."])
        return _Reply.json(200, {"key": key, "value": copy.deepcopy(issue.properties[key])})

    def _property_put(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        if not call.body:
            return jira_error(400, ["The property value must be valid JSON."])
        value = self._json_body(call)
        if len(call.body) > 32768:  # noqa: PLR2004 - Jira's documented property size limit
            return jira_error(
                400, ["The property value is too long. It must be at most 32768 bytes."]
            )
        existed = call.args["key"] in issue.properties
        issue.properties[call.args["key"]] = value
        return _Reply(200 if existed else 201)

    def _property_delete(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        if issue.properties.pop(call.args["key"], None) is None:
            return jira_error(404, [f"The property with key '{call.args['key']}' does not exist."])
        return _Reply(204)

    # -- endpoints: search -------------------------------------------------------------------

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

    # -- test helpers ------------------------------------------------------------------------

    @property
    def issues(self) -> dict[str, dict[str, Any]]:
        """Every issue by key, as `GET issue/{key}?expand=changelog&properties=*all` returns it."""
        with self._lock:
            return {
                key: self._render(issue, expand=("changelog",), properties=("*all",))
                for key, issue in self._issues.items()
            }

    def create_issue(
        self,
        summary: str,
        *,
        project: str | None = None,
        issue_type: str | None = None,
        fields: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        reporter: str = "reporter",
    ) -> str:
        """Create an issue directly (not over HTTP) and return its key.

        Args:
            summary: The summary.
            project: The project key; defaults to the first project.
            issue_type: The issue type name; defaults to the first type.
            fields: More fields by id, in REST form (`{"labels": ["mlc"]}`).
            properties: Issue properties to store.
            reporter: The reporting user's name.

        Raises:
            ValueError: If Jira would refuse the fields (the message is Jira's).
        """
        with self._lock:
            payload = {
                **(fields or {}),
                "summary": summary,
                "project": {"key": project or next(iter(self._projects))},
                "issuetype": {"name": issue_type or next(iter(self._issue_types))},
            }
            try:
                issue = self._create(payload, reporter)
            except _HttpError as error:
                raise ValueError(error.reply.body.decode()) from None
            issue.properties.update(copy.deepcopy(dict(properties or {})))
            return issue.key

    def transition(
        self, key: str, status_name: str, *, author: str = "approver", comment: str | None = None
    ) -> None:
        """Move an issue to a status as a person would, recording changelog history.

        The workflow's transitions are not enforced, as for an administrator, so a test can
        put an issue straight into `Done` or `Rejected`.

        Args:
            key: The issue key or id.
            status_name: The target status name (case-insensitive).
            author: Who made the change, for the changelog and the comment.
            comment: An optional comment added with the change.

        Raises:
            KeyError: If the issue does not exist.
            ValueError: If the status does not exist.
        """
        with self._lock:
            issue = self._helper_find(key)
            target = next((s for s in STATUSES if s.lower() == status_name.lower()), None)
            if target is None:
                known = ", ".join(STATUSES)
                raise ValueError(f"Unknown status {status_name!r}; statuses: {known}")
            if comment is not None:
                self._add_comment(issue, comment, author)
            self._record_history(issue, author, self._move(issue, target))

    def set_field(self, key: str, field: str, value: Any, *, author: str = "approver") -> None:
        """Set a field as a person would, recording changelog history.

        Args:
            key: The issue key or id.
            field: A field id (`customfield_10010`, `summary`) or name (`"Expiration Date"`).
            value: The value in REST form; dates may be `datetime.date`, options plain
                strings.
            author: Who made the change.

        Raises:
            KeyError: If the issue or the field does not exist.
            ValueError: If Jira would refuse the value.
        """
        with self._lock:
            issue = self._helper_find(key)
            definition = self._field(field)
            if definition is None or not definition.settable:
                names = ", ".join(f.name for f in self._fields.values() if f.settable)
                raise KeyError(f"No settable field {field!r}; settable fields: {names}")
            normalized = self._normalize(definition, value)
            self._record_history(issue, author, self._apply(issue, {definition.id: normalized}))

    def webhook_payload(self, key: str, event: str = "jira:issue_updated") -> dict[str, Any]:
        """Return the JSON body Jira would POST to a webhook about an issue.

        The shape is `{"timestamp", "webhookEvent", "issue_event_type_name", "user",
        "issue": {...full issue...}, "changelog": {"id", "items": [...]}}`, with the
        changelog of the most recent change (absent for `jira:issue_created`).

        Args:
            key: The issue key or id.
            event: `jira:issue_created`, `jira:issue_updated` or `jira:issue_deleted`.

        Raises:
            KeyError: If the issue does not exist.
            ValueError: If the event is not one of those.
        """
        if event not in _EVENTS:
            raise ValueError(f"Unknown webhook event {event!r}; use one of {', '.join(_EVENTS)}")
        with self._lock:
            issue = self._helper_find(key)
            last = issue.histories[-1] if issue.histories else None
            if event == "jira:issue_created":
                type_name = "issue_created"
            elif event == "jira:issue_deleted":
                type_name = "issue_deleted"
            elif last and any(item["field"] == "status" for item in last["items"]):
                type_name = "issue_generic"
            else:
                type_name = "issue_updated"
            reporter = issue.values.get("reporter") or {}
            author = last["author"] if last else reporter.get("displayName")
            payload: dict[str, Any] = {
                "timestamp": int(self._now().timestamp() * 1000),
                "webhookEvent": event,
                "issue_event_type_name": type_name,
                "user": self._user(author or "anonymous"),
                "issue": self._render(issue),
            }
            if event == "jira:issue_updated":
                payload["changelog"] = {
                    "id": str(last["id"]) if last else None,
                    "items": copy.deepcopy(last["items"]) if last else [],
                }
            return payload

    def _helper_find(self, key: str) -> IssueState:
        try:
            return self._find(key)
        except _HttpError:
            raise KeyError(
                f"No issue {key!r}; issues: {', '.join(self._issues) or 'none'}"
            ) from None


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
