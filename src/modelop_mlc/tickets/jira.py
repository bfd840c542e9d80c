"""`JiraTickets`: tickets as Jira issues, through the `jira` package (Cloud and Data Center).

Needs the `jira` extra (`pip install modelop-mlc[jira]`). The client is built on first use
with `max_retries=0`: a transient failure raises a retryable `IntegrationError` at once and
the engine retries the job with its own back-off, instead of the client sleeping for up to a
minute inside the call.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from modelop_mlc._extras import require
from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._errors import (
    check_base_url,
    http_failure,
    maybe_applied,
    session_secrets,
    transport_failure,
)
from modelop_mlc.tickets._jira_fields import JiraFields
from modelop_mlc.tickets._journal import Attempt, CreateJournal
from modelop_mlc.tickets._port import DONE, IN_REVIEW, REJECTED, TO_DO, Ticket, TicketKind
from modelop_mlc.tickets._render import render_description, render_summary
from modelop_mlc.tickets.local import DocumentStore

if TYPE_CHECKING:
    from io import BufferedReader

    from jira import JIRA

__all__ = ["JiraConfig", "JiraTickets"]

T = TypeVar("T")
PROPERTY = "mlc"
"""The issue property holding `{"key": <idempotency key>, "kind": ..., "instance": ...}`."""
_MAX_SUMMARY = 255
_MAX_DESCRIPTION = 32_000
_PAGE = 50


class JiraConfig(BaseModel):
    """How to reach Jira and how MLC tickets look there.

    Jira Cloud uses basic auth with the account's e-mail and an API token; Data Center uses a
    personal access token (bearer, `auth="token"`) or basic auth with a user and password.
    For OAuth 2.0, give `JiraTickets` a `requests.Session` that carries the bearer token
    (e.g. a `requests_oauthlib.OAuth2Session`) and leave `api_token` unset.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The Jira base URL, e.g. https://example.atlassian.net.")
    project: str = Field(description="The project key tickets are created in, e.g. MLC.")
    username: str | None = Field(
        None, description="The user (Cloud: the account e-mail) for basic auth."
    )
    api_token: SecretStr | None = Field(
        None,
        description="The API token (Cloud), personal access token or password (Data Center); "
        "not needed when JiraTickets is given a client or a session.",
    )
    auth: Literal["basic", "token"] | None = Field(
        None,
        description="`basic` (username + token) or `token` (bearer PAT); by default basic "
        "when a username is set, else token.",
    )
    default_issue_type: str = Field("Task", description="The issue type for every kind.")
    issue_types: dict[TicketKind, str] = Field(
        default_factory=dict, description="Issue type per ticket kind, overriding the default."
    )
    statuses: dict[str, str] = Field(
        default_factory=lambda: {s: s for s in (TO_DO, IN_REVIEW, DONE, REJECTED)},
        description="Our status names (To Do, In Review, Done, Rejected) → the project's "
        "status names, e.g. {'Done': 'Approved'}; unmapped Jira statuses are reported as is.",
    )
    labels: list[str] = Field(
        default_factory=lambda: ["mlc"], description="Labels put on every MLC issue."
    )
    idempotency_search: Literal["label", "property"] = Field(
        "label",
        description="How a retried create finds the issue it made: by the `mlc-<hash>` "
        "label (works on any Jira) or by JQL on the `mlc` issue property (needs an app that "
        "indexes the property, as Jira only searches indexed properties).",
    )
    field_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Field name → field id, for names several Jira fields share, e.g. "
        "{'Risk Tier': 'customfield_10057'}.",
    )
    search_lag: timedelta = Field(
        timedelta(minutes=10),
        description="How long Jira's search may take to show a new issue. A create whose "
        "answer was lost is retried only after the search has had this long to show the "
        "issue it may have made (Jira Cloud's search is eventually consistent).",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for each HTTP answer.")
    verify_ssl: bool = Field(default=True, description="Whether to verify TLS certificates.")

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @model_validator(mode="after")
    def _basic_needs_a_user(self) -> Self:
        if self.auth == "basic" and not self.username:
            raise ValueError("auth='basic' needs a username (Cloud: the account e-mail)")
        if self.auth is not None and self.api_token is None:
            raise ValueError(f"auth={self.auth!r} needs an api_token")
        return self

    @field_validator("project")
    @classmethod
    def _project_key(cls, value: str) -> str:
        if not value or not value.replace("_", "").isalnum() or not value[0].isalpha():
            raise ValueError(f"expected a project key such as 'MLC', got {value!r}")
        return value.upper()


def idempotency_label(key: str) -> str:
    """Return the label that marks the issue created with an idempotency key."""
    return "mlc-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class JiraTickets:
    """Tickets as issues in one Jira project.

    Args:
        config: Where Jira is and how tickets look.
        client: A ready `jira.JIRA` client; by default one is built from `config` on first
            use, with `max_retries=0`.
        session: A `requests.Session` that authenticates every request itself (OAuth 2.0:
            a `requests_oauthlib.OAuth2Session`, or a session whose `auth` adds a bearer
            token); the client is built over it and `config.api_token` is not needed.
        journal: Where create attempts are remembered (see `CreateJournal`); the manager
            binds its database through `Tickets`. Without one, attempts are remembered in
            memory.
        clock: Times create attempts; the manager's clock when bound.

    Raises:
        ConfigurationError: If neither a client, a session nor an API token is given, or
            both a client and a session are; or the `jira` package is missing (the `jira`
            extra).
    """

    system = "jira"

    def __init__(
        self,
        config: JiraConfig,
        *,
        client: JIRA | None = None,
        session: requests.Session | None = None,
        journal: DocumentStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Create the adapter; nothing is sent until the first call."""
        require("JiraTickets", "jira", "jira")
        if client is not None and session is not None:
            raise ConfigurationError("give JiraTickets a client or a session, not both")
        if client is None and session is None and config.api_token is None:
            raise ConfigurationError(
                "JiraTickets needs credentials: JiraConfig.api_token (Cloud: an API token with "
                "username = the account e-mail; Data Center: a personal access token), or a "
                "session (OAuth 2.0) or a ready client"
            )
        self.config = config
        self._client = client
        self._session = session
        self._lock = threading.Lock()
        self._fields: list[dict[str, Any]] | None = None
        self._project: dict[str, Any] | None = None
        self._create_screens: dict[str, set[str] | None] = {}
        self.journal = CreateJournal("jira", journal, clock)
        self.catalog = JiraFields(
            field_list=self._field_list,
            field_ids=config.field_ids,
            cloud=self._cloud,
            find_users=self._find_users,
        )

    def __repr__(self) -> str:
        """Describe the adapter (never the token)."""
        return f"JiraTickets(url={self.config.url!r}, project={self.config.project!r})"

    def bind(self, store: DocumentStore, clock: Clock) -> None:
        """Remember create attempts in `store` (`Tickets.bind` calls this for the manager)."""
        if not self.journal.durable:
            self.journal.bind(store, clock)

    # ------------------------------------------------------------------ plumbing

    def _secrets(self) -> list[str]:
        token = self.config.api_token.get_secret_value() if self.config.api_token else ""
        found = [token]
        if token and self.config.username:
            found += session_secrets(basic=(self.config.username, token))
        if self._session is not None:
            found += session_secrets(self._session)
        return found

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run a client call, turning its failures into `IntegrationError`."""
        from jira import JIRAError  # noqa: PLC0415 - the jira extra is optional

        try:
            return call()
        except JIRAError as err:
            headers = err.response.headers if err.response is not None else {}
            raise http_failure(
                "jira",
                "Jira",
                action,
                err.status_code,
                detail=err.text,
                retry_after=headers.get("Retry-After"),
                secrets=self._secrets(),
            ) from err
        except requests.HTTPError as err:
            response = err.response
            raise http_failure(
                "jira",
                "Jira",
                action,
                response.status_code if response is not None else None,
                retry_after=response.headers.get("Retry-After") if response is not None else None,
                secrets=self._secrets(),
            ) from err
        except requests.RequestException as err:
            raise transport_failure(
                "jira",
                "Jira",
                action,
                err,
                url=self.config.url,
                timeout=self.config.timeout,
                secrets=self._secrets(),
            ) from err

    @property
    def client(self) -> JIRA:
        """The `jira.JIRA` client, built on first use.

        Raises:
            IntegrationError: If Jira cannot be reached or refuses the credentials.
        """
        with self._lock:
            if self._client is None:
                action = f"sign-in at {self.config.url} for project {self.config.project}"
                self._client = self._call(action, self._build)
            return self._client

    def _build(self) -> JIRA:
        from jira import JIRA  # noqa: PLC0415 - the jira extra is optional (checked at __init__)

        config = self.config
        options: dict[str, Any] = {"verify": config.verify_ssl, "check_update": False}
        if self._session is not None:
            from modelop_mlc.tickets._jira_session import (  # noqa: PLC0415 - needs jira
                client_over_session,
            )

            return client_over_session(
                config.url, self._session, options=options, timeout=config.timeout
            )
        assert config.api_token is not None  # checked in __init__
        auth = config.auth or ("basic" if config.username else "token")
        token = config.api_token.get_secret_value()
        if auth == "basic" and config.username:
            credentials: dict[str, Any] = {"basic_auth": (config.username, token)}
        else:
            credentials = {"token_auth": token}
        return JIRA(
            server=config.url, options=options, max_retries=0, timeout=config.timeout, **credentials
        )

    def _cloud(self) -> bool:
        return bool(self.client._is_cloud)

    def _field_list(self) -> list[dict[str, Any]]:
        """Jira's field list (`GET /field`), fetched once and cached."""
        if self._fields is None:
            self._fields = self._call(
                f"list fields for project {self.config.project}", self.client.fields
            )
        return self._fields

    def _find_users(self, query: str) -> list[dict[str, Any]]:
        client = self.client
        found = self._call(
            f"search users named '{query}'",
            lambda: client._get_json("user/search", params={"query": query, "maxResults": 10}),
        )
        return list(found or [])

    def _check_project(self) -> dict[str, Any]:
        """Read the project once; fail with a clear error when it does not exist."""
        if self._project is None:
            project = self.config.project
            found = self._call(f"read project {project}", lambda: self.client.project(project))
            self._project = dict(found.raw)
        return self._project

    def _create_screen(self, issue_type: str) -> set[str] | None:
        """The field ids on the create screen of `issue_type`, or None when Jira won't say.

        Reads `GET issue/createmeta/{project}/issuetypes/{id}` (Data Center 8.4+ and Cloud),
        page by page, once per issue type.
        """
        if issue_type in self._create_screens:
            return self._create_screens[issue_type]
        project = self._check_project()
        types = {str(t.get("name")): str(t.get("id")) for t in project.get("issueTypes") or []}
        type_id = types.get(issue_type)
        if type_id is None:
            known = ", ".join(types) or "none"
            raise IntegrationError(
                f"Jira project {self.config.project} has no issue type '{issue_type}'; "
                f"issue types: {known}",
                service="jira",
                status_code=400,
            )
        client = self.client
        path = f"issue/createmeta/{self.config.project}/issuetypes/{type_id}"
        screen: set[str] = set()
        start = 0
        action = f"read the create screen of {issue_type} in project {self.config.project}"
        while True:
            params = {"startAt": start, "maxResults": _PAGE}
            page: dict[str, Any] = self._call(
                action, functools.partial(client._get_json, path, params=params)
            )
            # Data Center pages in `values`, Cloud in `fields`.
            items = page.get("values") or page.get("fields") or []
            screen |= {str(item.get("fieldId") or item.get("key")) for item in items}
            start += len(items)
            if not items or page.get("isLast", True) or start >= int(page.get("total", 0)):
                break
        self._create_screens[issue_type] = screen
        return screen

    def _editable(self, key: str) -> set[str]:
        """The field ids on the edit screen of an issue (`GET issue/{key}/editmeta`)."""
        meta = self._call(f"read the edit screen of issue {key}", lambda: self.client.editmeta(key))
        return set((meta or {}).get("fields") or {})

    def _edit(self, key: str, fields: Mapping[str, Any], *, screens: str) -> None:
        """Set fields by edit, failing clearly for fields the edit screen does not show."""
        if not fields:
            return
        missing = sorted(set(fields) - self._editable(key))
        if missing:
            names = self.catalog.names()
            listed = ", ".join(f"'{names.get(f, f)}' ({f})" for f in missing)
            raise IntegrationError(
                f"Jira cannot set {listed} on issue {key}: the field is on neither the "
                f"{screens} nor the edit screen of project {self.config.project}; ask a Jira "
                "admin to add it to the edit screen (docs/tickets.md)",
                service="jira",
                status_code=400,
            )
        self._call(
            f"edit issue {key} in project {self.config.project}",
            lambda: self.client.issue(key).update(fields=dict(fields)),
        )

    def _to_ticket(self, raw: Mapping[str, Any]) -> Ticket:
        values = raw.get("fields") or {}
        native = str((values.get("status") or {}).get("name") or "")
        mapped = {v.lower(): k for k, v in self.config.statuses.items()}
        prop = (raw.get("properties") or {}).get(PROPERTY) or {}
        return Ticket(
            system=self.system,
            key=str(raw["key"]),
            kind=str(prop.get("kind") or ""),
            status=mapped.get(native.lower(), native),
            summary=str(values.get("summary") or ""),
            url=f"{self.config.url}/browse/{raw['key']}",
            fields=self.catalog.plain_fields(values),
            created_at=_time(values.get("created")),
            updated_at=_time(values.get("updated")),
            native_status=native,
        )

    # ------------------------------------------------------------------ the port

    def create(
        self, kind: TicketKind | str, context: TicketContext, *, idempotency_key: str
    ) -> Ticket:
        """Create an issue exactly once per idempotency key, or return the one made before.

        The attempt is written to the journal before the request goes out and the key after
        the answer, so a retry reads the issue by key; the issue also carries the key in
        the `mlc` property and a `mlc-<hash>` label for a search to find. When an answer
        was lost (a timeout), the retry searches, and if the search (which on Jira Cloud
        can lag for minutes) does not show the issue yet, it waits up to
        `JiraConfig.search_lag` since the attempt before creating again. Fields missing
        from the create screen are set by edit right after.

        Args:
            kind: Why it is opened; decides the issue type.
            context: What it says.
            idempotency_key: The same on every retry of the calling step.

        Returns:
            The issue as a ticket.

        Raises:
            IntegrationError: If Jira fails (`retryable` for 429, 5xx, timeouts and
                connection errors, and while waiting for the search after a lost answer), or
                a field is on neither the create nor the edit screen.
        """
        kind = TicketKind(kind)
        context = context.model_copy(update={"kind": kind})
        project = self.config.project
        self._check_project()
        issue_type = self.config.issue_types.get(kind, self.config.default_issue_type)
        action = f"create {issue_type} issue in project {project}"
        description = render_description(context, "jira")
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1] + "…"
        fields: dict[str, Any] = {
            **self.catalog.to_rest(context.fields),
            "description": description,
            "labels": [*self.config.labels, idempotency_label(idempotency_key)],
        }
        screen = self._create_screen(issue_type)
        # Fields the create screen does not show would make Jira refuse the whole request;
        # they are set by edit right after instead.
        later = {k: v for k, v in fields.items() if screen is not None and k not in screen}
        attempt = self.journal.get(idempotency_key)
        existing = self._reconcile(idempotency_key, attempt, action)
        if existing is not None:
            if attempt is None or attempt.state != "done":
                self._edit(existing.key, later, screens="create")
                self.journal.record(idempotency_key, "done", key=existing.key, at=None)
                return self.get(existing.key) if later else existing
            return existing
        body = {
            "fields": {
                **{k: v for k, v in fields.items() if k not in later},
                "project": {"key": project},
                "issuetype": {"name": issue_type},
                "summary": render_summary(context)[:_MAX_SUMMARY],
            },
            "properties": [
                {
                    "key": PROPERTY,
                    "value": {
                        "key": idempotency_key,
                        "kind": kind.value,
                        "instance": context.instance_id,
                    },
                }
            ],
        }
        client = self.client
        self.journal.record(idempotency_key, "sent", at=self.journal.clock.now())
        try:
            # The client's create_issue() cannot send issue properties; posting the documented
            # body ourselves stores the key atomically with the issue.
            created = self._call(
                action,
                lambda: client._session.post(client._get_url("issue"), data=json.dumps(body)),
            )
        except IntegrationError as err:
            if not maybe_applied(err):
                self.journal.record(idempotency_key, "failed", at=None)
            raise
        key = str(created.json()["key"])
        self.journal.record(idempotency_key, "created", key=key, at=None)
        self._edit(key, later, screens="create")
        self.journal.record(idempotency_key, "done", key=key, at=None)
        return self.get(key)

    def _reconcile(
        self, idempotency_key: str, attempt: Attempt | None, action: str
    ) -> Ticket | None:
        """Find the issue an earlier attempt created: by the journal's key, else by search.

        Raises:
            IntegrationError: Retryable, when an earlier attempt's answer was lost and the
                search has had less than `search_lag` to show its issue.
        """
        if attempt is not None and attempt.key:
            raw = self._raw_or_none(attempt.key)
            stored = ((raw or {}).get("properties") or {}).get(PROPERTY) or {}
            if raw is not None and stored.get("key", idempotency_key) == idempotency_key:
                return self._to_ticket(raw)
        found = self._search_key(idempotency_key)
        if found is not None:
            self.journal.record(idempotency_key, "created", key=found.key, at=None)
            return found
        if attempt is not None and attempt.state == "sent":
            waited = self.journal.waited(attempt)
            if waited < self.config.search_lag:
                raise IntegrationError(
                    f"Jira {action}: an earlier attempt at {attempt.at.isoformat()} got no "
                    "answer, so the issue may exist, and Jira's search does not show it yet "
                    f"(it can lag for minutes); creating again only once "
                    f"{self.config.search_lag} have passed without it; the job will be retried",
                    service="jira",
                    retryable=True,
                )
        return None

    def _raw_or_none(self, key: str) -> dict[str, Any] | None:
        try:
            return self._raw(key)
        except IntegrationError as err:
            if err.status_code == 404:  # noqa: PLR2004 - deleted since
                return None
            raise

    def _raw(self, key: str) -> dict[str, Any]:
        issue = self._call(
            f"read issue {key} in project {self.config.project}",
            lambda: self.client.issue(key, properties=PROPERTY),
        )
        return dict(issue.raw)

    def get(self, key: str) -> Ticket:
        """Read an issue.

        Raises:
            IntegrationError: If Jira fails (404 when there is no such issue).
        """
        return self._to_ticket(self._raw(key))

    def transition(
        self,
        key: str,
        status: str,
        *,
        comment: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Ticket:
        """Move an issue to a status through the workflow transition leading there.

        Fields on the transition's screen go with the transition; the others are set by edit
        first (transitions have no screen unless an admin adds one, and a finished issue is
        often no longer editable).

        Args:
            key: The issue key.
            status: One of our statuses (mapped through `JiraConfig.statuses`), a Jira status
                name or a transition name.
            comment: A comment added with the transition.
            fields: Fields to set, by name.

        Returns:
            The issue after the change.

        Raises:
            IntegrationError: If Jira fails, no transition from the current status leads to
                `status` (not retryable; the message lists the available ones), or a field
                is on neither the transition nor the edit screen.
        """
        target = self.config.statuses.get(status, status).lower()
        action = f"transition issue {key} in project {self.config.project}"
        ids = self.catalog.to_rest(fields or {})
        current = self.get(key)
        options = self._call(
            action, lambda: self.client.transitions(key, expand="transitions.fields")
        )
        chosen = next(
            (
                t
                for t in options
                if str((t.get("to") or {}).get("name", "")).lower() == target
                or str(t.get("name", "")).lower() == target
            ),
            None,
        )
        if chosen is None and (current.native_status or "").lower() == target:
            # Already there: only the comment and fields remain to be applied.
            self._edit(key, ids, screens="transition")
            if comment:
                self.comment(key, comment)
            return self.get(key)
        if chosen is None:
            available = ", ".join(
                f"{t.get('name')} → {(t.get('to') or {}).get('name')}" for t in options
            )
            raise IntegrationError(
                f"Jira {action} failed: no transition from '{current.native_status}' leads to "
                f"'{status}'; available: {available or 'none'}",
                service="jira",
                status_code=400,
            )
        on_screen = set(chosen.get("fields") or {})
        self._edit(key, {k: v for k, v in ids.items() if k not in on_screen}, screens="transition")
        with_transition = {k: v for k, v in ids.items() if k in on_screen}
        transition_id = str(chosen["id"])
        self._call(
            action,
            lambda: self.client.transition_issue(
                key, transition_id, fields=with_transition or None, comment=comment
            ),
        )
        return self.get(key)

    def comment(self, key: str, text: str) -> None:
        """Add a comment.

        Raises:
            IntegrationError: If Jira fails.
        """
        self._call(
            f"comment on issue {key} in project {self.config.project}",
            lambda: self.client.add_comment(key, text),
        )

    def attach(self, key: str, filename: str, content: bytes) -> None:
        """Attach a file.

        Raises:
            IntegrationError: If Jira fails.
        """
        # The client reads any binary file-like object despite its BufferedReader annotation.
        stream = cast("BufferedReader", io.BytesIO(content))
        self._call(
            f"attach {filename} to issue {key} in project {self.config.project}",
            lambda: self.client.add_attachment(key, stream, filename=filename),
        )

    def find_by_idempotency_key(self, key: str) -> Ticket | None:
        """Return the issue created with this idempotency key, if any.

        Reads the key the journal remembers first (always up to date), then searches by label,
        or by the `mlc` issue property when `JiraConfig.idempotency_search` is `"property"`
        (which needs an app that indexes it). A search may miss an issue created in the last
        minutes on Jira Cloud.

        Raises:
            IntegrationError: If Jira fails.
        """
        attempt = self.journal.get(key)
        if attempt is not None and attempt.key:
            raw = self._raw_or_none(attempt.key)
            if raw is not None:
                return self._to_ticket(raw)
        return self._search_key(key)

    def _search_key(self, key: str) -> Ticket | None:
        project = self.config.project
        if self.config.idempotency_search == "property":
            clause = f"issue.property[{PROPERTY}].key = {_jql_string(key)}"
        else:
            clause = f"labels = {_jql_string(idempotency_label(key))}"
        jql = f"project = {_jql_string(project)} AND {clause} ORDER BY key ASC"
        found = self._call(
            f"search issues in project {project}",
            lambda: self.client.search_issues(jql, maxResults=10, fields="summary"),
        )
        for issue in found:
            raw = self._raw_or_none(str(issue.key))
            stored = ((raw or {}).get("properties") or {}).get(PROPERTY) or {}
            # A label is a hash: confirm with the stored key before trusting the match. An
            # issue labelled by hand, without the property, is trusted.
            if raw is not None and stored.get("key", key) == key:
                return self._to_ticket(raw)
        return None
