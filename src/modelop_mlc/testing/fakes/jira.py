"""`FakeJira`: a stateful Jira REST v2 server for tests, served on 127.0.0.1.

It answers the requests the `jira` client (3.10.x) sends, in Jira's JSON shapes, for
Server/Data Center (the default) and Cloud (`FakeJira(deployment="Cloud")`).

Endpoints (under `/rest/api/2`, also reachable as `/rest/api/latest`): `serverInfo`,
`myself`, `field`, `project`, `project/{key}`, `issuetype`, `status`, `priority`,
`user/search`, `issue/createmeta` (and the Jira 9 `issue/createmeta/{project}/issuetypes[/{id}]`),
`issue` (POST), `issue/{idOrKey}` (GET, PUT, DELETE), `.../editmeta`, `.../transitions`
(`expand=transitions.fields` lists each transition screen's fields), `.../comment`,
`.../comment/{id}`, `.../attachments`, `.../properties[/{key}]`, `search` (GET and POST;
Server only, Cloud answers 410 as Jira Cloud does since the 2025 removal) and `search/jql`
(GET and POST; Cloud only, `nextPageToken`/`isLast` paging, also under `/rest/api/3`),
`attachment/{id}`. Also `/rest/auth/1/session` and attachment downloads at
`/secure/attachment/{id}/{name}`.

Where the real services differ from a naive fake, this one behaves like them:

- **Screens** (`screens=Screens(...)`): a create, edit or transition request may set only the
  fields on that operation's screen; others get Jira's 400 ("Field 'customfield_10010' cannot
  be set. It is not on the appropriate screen, or unknown."). Transitions have no screen
  unless one is configured, as in Jira's default workflow.
- **Field types**: single select (`{"value": "x"}`), multi-select (`[{"value": "x"}]`), user
  pickers (`{"accountId": ...}` on Cloud, `{"name": ...}` on Data Center, for known users
  only), dates, numbers, text; several custom fields may share a name.
- **Issue properties** are searchable only where declared (`indexed_properties={"mlc":
  ["key"]}`), as an app's `jiraEntityProperties` module declares them.
- **Search lag** (`search_lag=timedelta(minutes=3)`): JQL sees an issue only that long after
  it was created (by the fake's clock), as Jira Cloud's eventually consistent search does;
  reading the issue by key sees it at once.

Workflow: `To Do` -(11 Start Review)-> `In Review` -(21 Approve)-> `Done` or
-(31 Reject)-> `Rejected`; `Done`/`Rejected` -(41 Reopen)-> `To Do`. Entering `Done` sets
resolution "Done", entering `Rejected` sets "Won't Do"; reopening clears it.

JQL: clauses joined by `AND`, then `ORDER BY` (see `_jql`). Fields: `project`, `status`,
`labels`, `key`/`issuekey`/`id`, `issuetype`/`type`, `summary`/`description` (`~`),
`priority`, `assignee`, `reporter`, `resolution` (`Unresolved` means empty), `created`,
`updated`, `resolved`, `duedate` (dates as `yyyy-MM-dd [HH:mm]`), custom fields as `cf[10010]`
or by name, and indexed issue properties as `issue.property[<key>].<path> = "value"`, where
`<path>` is a dot path into the stored JSON. Without `ORDER BY`, results come newest first
(key DESC). Invalid JQL, unknown fields and unknown project, status, type or issue-key values
get Jira's 400 `{"errorMessages": [...], "errors": {}}`.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import quote

from modelop_mlc.testing.fakes._http import Clock, _Call, _HttpError, _multipart, _Reply, _Route
from modelop_mlc.testing.fakes._jira_data import (
    STATUSES,
    Attachment,
    IssueState,
)
from modelop_mlc.testing.fakes._jira_endpoints import _int, _JiraEndpoints
from modelop_mlc.testing.fakes._jira_json import account_id
from modelop_mlc.testing.fakes._jira_model import (
    DEFAULT_CUSTOM_FIELDS,
    PEOPLE,
    _cannot_set,
    jira_error,
)
from modelop_mlc.testing.fakes._jira_screens import Screens

__all__ = ["DEFAULT_CUSTOM_FIELDS", "FakeJira", "Screens"]

_API = r"/rest/api/(?:2|latest)"
_ISSUE = _API + r"/issue/(?P<issue>[^/]+)"
_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
_RESOLUTION_IDS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002"}


class FakeJira(_JiraEndpoints):
    """A stateful fake of Jira's REST API v2 on 127.0.0.1, for the real `jira` client.

    Use it as a context manager: `with FakeJira() as jira: JIRA(server=jira.url, ...)`.
    The request log, failure injection (`fail_next`, `hang_next`) and authentication
    (`require_auth`, `revoke`) come from the shared base class. Test helpers (`issues`,
    `transition`, `set_field`, `create_issue`, `webhook_payload`) change and read the state
    directly, as a person using Jira would (an administrator: screens do not apply to them).

    Args:
        deployment: `"Server"` (Server/Data Center, Jira 9.12) or `"Cloud"`; decides
            `serverInfo.deploymentType`, user JSON and which search endpoint exists.
        projects: Project keys; project ids are 10000, 10001, ...
        issue_types: Issue type names available in every project.
        custom_fields: Custom field name → type (`"date"`, `"string"`, `"number"`,
            `"option"`, `"multiselect"` or `"user"`), numbered `customfield_10010` upwards
            in the given order; a sequence of (name, type) pairs may repeat a name. Pass `{}`
            for a Jira without custom fields.
        screens: Which fields the create, edit and transition screens show; by default
            every settable field is on the create and edit screens and transitions have none.
        indexed_properties: Issue property key → the paths JQL may search; none by default.
        search_lag: How long after its creation an issue shows up in searches.
        people: User names user pickers accept, besides the authenticated users.
        clock: Returns the current time; used for timestamps and the search lag. Defaults
            to the wall clock.

    Raises:
        ValueError: If the deployment, a project key, a custom field type, a screen's field
            or transition, or the lag is invalid.
    """

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
        """Create the fake; call `start()` or use `with` to serve it."""
        super().__init__(
            deployment=deployment,
            projects=projects,
            issue_types=issue_types,
            custom_fields=custom_fields,
            screens=screens,
            indexed_properties=indexed_properties,
            search_lag=search_lag,
            people=people,
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
            ("GET", _API + r"/user/search", self._user_search),
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
            ("GET", _ISSUE + r"/editmeta", self._editmeta),
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
            ("GET", r"/rest/api/3/search", self._search_get),
            ("GET", _API + r"/search/jql", self._search_jql_get),
            ("POST", _API + r"/search/jql", self._search_jql_post),
            ("GET", r"/rest/api/3/search/jql", self._search_jql_get),
            ("POST", r"/rest/api/3/search/jql", self._search_jql_post),
            ("GET", _API + r"/attachment/(?P<attachment>\d+)", self._attachment_meta),
            ("GET", r"/secure/attachment/(?P<attachment>\d+)/[^/]*", self._attachment_content),
        ]
        return [_Route(method, re.compile(pattern), handler) for method, pattern, handler in table]

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
        items = self._edit(issue, fields, update, call.user, self._screens.on_edit)
        self._record_history(issue, call.user, items)
        return _Reply(204)

    def _issue_delete(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        del self._issues[issue.key]
        return _Reply(204)

    def _transitions_get(self, call: _Call) -> _Reply:
        issue = self._find(call.args["issue"])
        wanted = call.param("transitionId")
        expand = "transitions.fields" in call.params("expand")
        transitions = []
        for transition in self._available(issue):
            if wanted is not None and transition.id != wanted:
                continue
            entry = self._transition_json(transition)
            on_screen = self._screens.transitions.get(transition.name, frozenset())
            entry["hasScreen"] = bool(on_screen)
            if expand:
                entry["fields"] = {
                    field_id: self._field_meta(self._fields[field_id])
                    for field_id in sorted(on_screen)
                }
            transitions.append(entry)
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
        # A transition screen may show the resolution; it only sticks on a `done` status.
        resolution = fields.pop("resolution", None)
        if resolution is not None and not self._screens.on_transition(chosen.name, "resolution"):
            return jira_error(400, [], {"resolution": _cannot_set("resolution")})

        def on_screen(field_id: str) -> bool:
            return self._screens.on_transition(chosen.name, field_id)

        items = self._edit(issue, fields, body.get("update") or {}, call.user, on_screen)
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
                issue = self._create(payload, reporter, screen=False)
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
                strings, multi-selects lists of strings, users their names.
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
            normalized = self._normalize(definition, self._helper_value(definition.id, value))
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

    def webhook_delivery(
        self,
        key: str,
        secret: str | None,
        event: str = "jira:issue_updated",
        *,
        identifier: str | None = None,
        retry: int = 0,
    ) -> tuple[bytes, dict[str, str]]:
        """Return the raw body and headers of a webhook delivery, as Jira sends it.

        The body is `webhook_payload(key, event)` serialised; with a `secret` the delivery is
        signed as Jira signs admin webhooks (`X-Hub-Signature: sha256=<HMAC of the body>`).
        `X-Atlassian-Webhook-Identifier` names the delivery (a new one unless given; Jira
        keeps it on retries, counted in `X-Atlassian-Webhook-Retry`).

        Raises:
            KeyError: If the issue does not exist.
            ValueError: If the event is not an issue event.
        """
        body = json.dumps(self.webhook_payload(key, event)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": identifier or uuid.uuid4().hex,
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        return body, headers

    def _helper_value(self, field_id: str, value: Any) -> Any:
        """Accept plain values from helpers: option labels, lists of labels, user names."""
        field = self._fields[field_id]
        if field.kind == "option" and isinstance(value, str):
            return {"value": value}
        if field.items == "option" and isinstance(value, list):
            return [{"value": v} if isinstance(v, str) else v for v in value]
        if field.kind == "user" and isinstance(value, str):
            return {"accountId": account_id(value)} if self._cloud else {"name": value}
        return value

    def _helper_find(self, key: str) -> IssueState:
        try:
            return self._find(key)
        except _HttpError:
            raise KeyError(
                f"No issue {key!r}; issues: {', '.join(self._issues) or 'none'}"
            ) from None
