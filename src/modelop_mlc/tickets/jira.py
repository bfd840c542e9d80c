"""`JiraTickets`: tickets as Jira issues, through the `jira` package (Cloud and Data Center).

Needs the `jira` extra (`pip install modelop-mlc[jira]`). The client is built on first use
with `max_retries=0`: a transient failure raises a retryable `IntegrationError` at once and
the engine retries the job with its own back-off, instead of the client sleeping for up to a
minute inside the call.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._errors import check_base_url, http_failure, transport_failure
from modelop_mlc.tickets._port import DONE, IN_REVIEW, REJECTED, TO_DO, Ticket, TicketKind
from modelop_mlc.tickets._render import render_description, render_summary

if TYPE_CHECKING:
    from io import BufferedReader

    from jira import JIRA

__all__ = ["JiraConfig", "JiraTickets"]

T = TypeVar("T")
PROPERTY = "mlc"
"""The issue property holding `{"key": <idempotency key>, "kind": ..., "instance": ...}`."""
_MAX_SUMMARY = 255
_MAX_DESCRIPTION = 32_000
_SYSTEM_FIELDS = {
    "resolution": "Resolution",
    "labels": "Labels",
    "priority": "Priority",
    "assignee": "Assignee",
    "duedate": "Due Date",
    "issuetype": "Issue Type",
}


class JiraConfig(BaseModel):
    """How to reach Jira and how MLC tickets look there.

    Jira Cloud uses basic auth with the account's e-mail and an API token; Data Center uses a
    personal access token (bearer, `auth="token"`) or basic auth with a user and password.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The Jira base URL, e.g. https://example.atlassian.net.")
    project: str = Field(description="The project key tickets are created in, e.g. MLC.")
    username: str | None = Field(
        None, description="The user (Cloud: the account e-mail) for basic auth."
    )
    api_token: SecretStr = Field(
        description="The API token (Cloud), personal access token or password (Data Center)."
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


def _plain(value: Any) -> Any:
    """Turn Jira's field objects into plain JSON values (options, users, named things)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        for name in ("value", "name", "displayName", "key"):
            if name in value:
                return value[name]
        return dict(value)
    return value


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
        client: A ready `jira.JIRA` client (tests, custom auth); by default one is built from
            `config` on first use, with `max_retries=0`.

    Raises:
        ConfigurationError: If the `jira` package is missing (on first use).
    """

    system = "jira"

    def __init__(self, config: JiraConfig, *, client: JIRA | None = None) -> None:
        """Create the adapter; nothing is sent until the first call."""
        self.config = config
        self._client = client
        self._lock = threading.Lock()
        self._fields: list[dict[str, Any]] | None = None
        self._project_checked = False

    def __repr__(self) -> str:
        """Describe the adapter (never the token)."""
        return f"JiraTickets(url={self.config.url!r}, project={self.config.project!r})"

    # ------------------------------------------------------------------ plumbing

    def _secrets(self) -> list[str]:
        return [self.config.api_token.get_secret_value()]

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
            ConfigurationError: If the `jira` package is not installed.
            IntegrationError: If Jira cannot be reached or refuses the credentials.
        """
        with self._lock:
            if self._client is None:
                action = f"sign-in at {self.config.url} for project {self.config.project}"
                self._client = self._call(action, self._build)
            return self._client

    def _build(self) -> JIRA:
        try:
            from jira import JIRA  # noqa: PLC0415 - the jira extra is optional
        except ImportError as err:  # pragma: no cover - the test environment has jira
            raise ConfigurationError(
                "JiraTickets needs the 'jira' package: pip install 'modelop-mlc[jira]'"
            ) from err
        config = self.config
        auth = config.auth or ("basic" if config.username else "token")
        token = config.api_token.get_secret_value()
        if auth == "basic" and config.username:
            credentials: dict[str, Any] = {"basic_auth": (config.username, token)}
        else:
            credentials = {"token_auth": token}
        return JIRA(
            server=config.url,
            options={"verify": config.verify_ssl, "check_update": False},
            max_retries=0,
            timeout=config.timeout,
            **credentials,
        )

    def _field_list(self) -> list[dict[str, Any]]:
        """Jira's field list (`GET /field`), fetched once and cached."""
        if self._fields is None:
            self._fields = self._call(
                f"list fields for project {self.config.project}", self.client.fields
            )
        return self._fields

    def _field_names(self) -> dict[str, str]:
        return {str(f["id"]): str(f["name"]) for f in self._field_list()}

    def _field_id(self, name: str) -> tuple[str, str | None]:
        """Return (field id, schema type) for a field name or id.

        Raises:
            IntegrationError: If no field has that name (not retryable), listing the
                custom fields.
        """
        wanted = name.strip().lower()
        for item in self._field_list():
            if wanted in (str(item["id"]).lower(), str(item["name"]).lower()):
                schema = item.get("schema") or {}
                return str(item["id"]), schema.get("type")
        custom = sorted(str(f["name"]) for f in self._field_list() if f.get("custom"))
        raise IntegrationError(
            f"Jira has no field named '{name}'; custom fields: {', '.join(custom) or 'none'}",
            service="jira",
            status_code=400,
        )

    def _fields_by_id(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Translate fields by name into Jira's REST form by id."""
        result: dict[str, Any] = {}
        for name, value in fields.items():
            field_id, kind = self._field_id(name)
            if kind == "option" and isinstance(value, str):
                result[field_id] = {"value": value}
            elif kind == "array" and isinstance(value, str):
                result[field_id] = [value]
            else:
                result[field_id] = value
        return result

    def _check_project(self) -> None:
        """Fail with a clear error when the project does not exist (once per adapter)."""
        if self._project_checked:
            return
        project = self.config.project
        self._call(f"read project {project}", lambda: self.client.project(project))
        self._project_checked = True

    def _to_ticket(self, raw: Mapping[str, Any]) -> Ticket:
        values = raw.get("fields") or {}
        names = self._field_names()
        fields: dict[str, Any] = {}
        for field_id, value in values.items():
            if value is None or value == []:
                continue
            if field_id.startswith("customfield_"):
                fields[names.get(field_id, field_id)] = _plain(value)
            elif field_id in _SYSTEM_FIELDS:
                fields[_SYSTEM_FIELDS[field_id]] = _plain(value)
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
            fields=fields,
            created_at=_time(values.get("created")),
            updated_at=_time(values.get("updated")),
            native_status=native,
        )

    # ------------------------------------------------------------------ the port

    def create(
        self, kind: TicketKind | str, context: TicketContext, *, idempotency_key: str
    ) -> Ticket:
        """Create an issue, or return the one a previous attempt created.

        The issue carries the idempotency key in the `mlc` issue property and as a
        `mlc-<hash>` label, both written by the create request itself, so a retry after a
        lost answer finds it (`find_by_idempotency_key`) instead of creating a second one.

        Args:
            kind: Why it is opened; decides the issue type.
            context: What it says.
            idempotency_key: The same on every retry of the calling step.

        Returns:
            The issue as a ticket.

        Raises:
            IntegrationError: If Jira fails; `retryable` for 429, 5xx, timeouts and
                connection errors.
        """
        kind = TicketKind(kind)
        context = context.model_copy(update={"kind": kind})
        project = self.config.project
        self._check_project()
        existing = self.find_by_idempotency_key(idempotency_key)
        if existing is not None:
            return existing
        issue_type = self.config.issue_types.get(kind, self.config.default_issue_type)
        description = render_description(context, "jira")
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1] + "…"
        fields: dict[str, Any] = {
            **self._fields_by_id(context.fields),
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": render_summary(context)[:_MAX_SUMMARY],
            "description": description,
            "labels": [*self.config.labels, idempotency_label(idempotency_key)],
        }
        body = {
            "fields": fields,
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
        # The client's create_issue() cannot send issue properties; posting the documented
        # body ourselves stores the key atomically with the issue.
        created = self._call(
            f"create {issue_type} issue in project {project}",
            lambda: client._session.post(client._get_url("issue"), data=json.dumps(body)),
        )
        return self.get(str(created.json()["key"]))

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

        Args:
            key: The issue key.
            status: One of our statuses (mapped through `JiraConfig.statuses`), a Jira status
                name or a transition name.
            comment: A comment added with the transition.
            fields: Fields to set, by name.

        Returns:
            The issue after the change.

        Raises:
            IntegrationError: If Jira fails, or no transition from the current status leads
                to `status` (not retryable; the message lists the available ones).
        """
        target = self.config.statuses.get(status, status).lower()
        action = f"transition issue {key} in project {self.config.project}"
        ids = self._fields_by_id(fields or {})
        current = self.get(key)
        options = self._call(action, lambda: self.client.transitions(key))
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
            if ids:
                self._call(action, lambda: self.client.issue(key).update(fields=ids))
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
        transition_id = str(chosen["id"])
        self._call(
            action,
            lambda: self.client.transition_issue(
                key, transition_id, fields=ids or None, comment=comment
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

        Searches by label, or by the `mlc` issue property when
        `JiraConfig.idempotency_search` is `"property"`.

        Raises:
            IntegrationError: If Jira fails.
        """
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
            raw = self._raw(str(issue.key))
            stored = (raw.get("properties") or {}).get(PROPERTY) or {}
            # A label is a hash: confirm with the stored key before trusting the match. An
            # issue labelled by hand, without the property, is trusted.
            if stored.get("key", key) == key:
                return self._to_ticket(raw)
        return None
