"""`ServiceNowTickets`: tickets as ServiceNow incidents and change requests, through `pysnow`.

Needs the `servicenow` extra (`pip install modelop-mlc[servicenow]`). Approvals and reviews
become change requests (approval requested → approved / rejected); job failures, errors and
notifications become incidents (New → In Progress → Resolved / Closed / Canceled).
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from modelop_mlc._extras import require
from modelop_mlc.clock import Clock, SystemClock
from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._errors import (
    check_base_url,
    http_failure,
    session_secrets,
    transport_failure,
)
from modelop_mlc.tickets._port import DONE, IN_REVIEW, REJECTED, TO_DO, Ticket, TicketKind
from modelop_mlc.tickets._render import render_description, render_summary
from modelop_mlc.tickets._snow_auth import build_session

__all__ = ["ServiceNowConfig", "ServiceNowTickets"]

T = TypeVar("T")
INCIDENT = "incident"
CHANGE = "change_request"
_DEFAULT_TABLES = {
    TicketKind.MODEL_APPROVAL: CHANGE,
    TicketKind.MODEL_REVIEW: CHANGE,
    TicketKind.TEST_REVIEW: CHANGE,
    TicketKind.JOB_FAILURE: INCIDENT,
    TicketKind.ERROR: INCIDENT,
    TicketKind.NOTIFICATION: INCIDENT,
}
_PREFIXES = {"INC": INCIDENT, "CHG": CHANGE}
# Incident states: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
_INCIDENT_STATUS = {"1": TO_DO, "2": IN_REVIEW, "3": IN_REVIEW, "6": DONE, "7": DONE, "8": REJECTED}
# Change states: -5 New, -4 Assess, -3 Authorize, -2 Scheduled, -1 Implement, 0 Review,
# 3 Closed, 4 Canceled. The approval field decides first when it has a verdict.
_CHANGE_STATUS = {
    "-5": TO_DO,
    "-4": IN_REVIEW,
    "-3": IN_REVIEW,
    "-2": DONE,
    "-1": DONE,
    "0": DONE,
    "3": DONE,
    "4": REJECTED,
}
_APPROVAL_STATUS = {"approved": DONE, "rejected": REJECTED}
_WRITES: dict[str, dict[str, dict[str, str]]] = {
    INCIDENT: {
        TO_DO: {"state": "1"},
        IN_REVIEW: {"state": "2"},
        DONE: {"state": "6"},
        REJECTED: {"state": "8"},
    },
    CHANGE: {
        TO_DO: {"state": "-5", "approval": "requested"},
        IN_REVIEW: {"state": "-4"},
        DONE: {"state": "-2", "approval": "approved"},
        REJECTED: {"approval": "rejected"},
    },
}
_HIDDEN = {"description", "work_notes", "comments"}
_MAX_SUMMARY = 160
_MAX_DESCRIPTION = 4000
_MAX_CORRELATION = 100
_PROBE = 10


Auth = Literal["basic", "oauth_password", "oauth_client_credentials", "api_key"]


class ServiceNowConfig(BaseModel):
    """How to reach ServiceNow, how to sign in, and where MLC tickets go.

    Sign-in (`auth`): `basic` (username + password), `oauth_password` (client id and secret
    plus username and password), `oauth_client_credentials` (client id and secret) or
    `api_key` (a REST API key). By default it follows from what is set: an API key, else an
    OAuth client, else basic. No credentials are needed when `ServiceNowTickets` is given a
    client or a session.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The instance URL, e.g. https://dev12345.service-now.com.")
    username: str | None = Field(None, description="The integration user (basic, OAuth password).")
    password: SecretStr | None = Field(None, description="Its password.")
    auth: Auth | None = Field(None, description="How to sign in; inferred when unset.")
    client_id: str | None = Field(None, description="The OAuth client id (Application Registry).")
    client_secret: SecretStr | None = Field(None, description="The OAuth client secret.")
    api_key: SecretStr | None = Field(None, description="A REST API key (x-sn-apikey header).")
    tables: dict[TicketKind, str] = Field(
        default_factory=dict,
        description="Table per ticket kind, overriding the defaults (approvals and reviews "
        "→ change_request, failures, errors and notifications → incident).",
    )
    number_prefixes: dict[str, str] = Field(
        default_factory=dict,
        description="Record number prefix → table for custom tables, e.g. {'MRM': 'u_model'} "
        "(INC and CHG are known).",
    )
    field_names: dict[str, str] = Field(
        default_factory=dict,
        description="Field name → column, e.g. {'Expiration Date': 'u_expiration_date'}; "
        "names without an entry are used as column names.",
    )
    assignment_group: str | None = Field(
        None, description="The sys_id or name of the group new records are assigned to."
    )
    description_format: Literal["text", "html"] = Field(
        "text",
        description="How the body is written: `text` for the plain `description` field, "
        "`html` when a field_names entry maps Description to an HTML column.",
    )
    check_columns: bool = Field(
        default=True,
        description="Check written column names against the table's dictionary "
        "(sys_dictionary) first: ServiceNow silently drops unknown ones. Needs read access "
        "to sys_db_object and sys_dictionary.",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for each HTTP answer.")
    verify_ssl: bool = Field(default=True, description="Whether to verify TLS certificates.")

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    def resolved_auth(self) -> Auth | None:
        """The sign-in method: `auth`, or what the set credentials imply (None: none set)."""
        if self.auth is not None:
            return self.auth
        if self.api_key is not None:
            return "api_key"
        if self.client_id is not None:
            return "oauth_password" if self.username else "oauth_client_credentials"
        if self.username is not None or self.password is not None:
            return "basic"
        return None

    @model_validator(mode="after")
    def _credentials_fit_the_method(self) -> Self:
        needed: dict[str, tuple[str, ...]] = {
            "basic": ("username", "password"),
            "oauth_password": ("client_id", "client_secret", "username", "password"),
            "oauth_client_credentials": ("client_id", "client_secret"),
            "api_key": ("api_key",),
        }
        auth = self.resolved_auth()
        missing = [name for name in needed.get(auth or "", ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth={auth!r} needs {', '.join(missing)}")
        return self


def _correlation(key: str) -> str:
    """The idempotency key as a `correlation_id` (hashed when longer than the column)."""
    if len(key) <= _MAX_CORRELATION:
        return key
    return "mlc-" + hashlib.sha256(key.encode()).hexdigest()


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        # The Table API answers raw date-times in UTC, as "2026-03-01 09:00:00".
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def _value(value: Any) -> Any:
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


class ServiceNowTickets:
    """Tickets as ServiceNow records (Table API).

    Args:
        config: Where ServiceNow is, how to sign in and where tickets go.
        client: A ready `pysnow.Client` or `pysnow.OAuthClient` (with its token set).
        session: A `requests.Session` that authenticates every request itself; pysnow is
            given it (`pysnow.Client(session=...)`).
        clock: Tells when OAuth tokens expire; the wall clock by default.

    Raises:
        ConfigurationError: If neither a client, a session nor credentials are given, or
            both a client and a session are; or `pysnow` is missing (the `servicenow`
            extra).
    """

    system = "servicenow"

    def __init__(
        self,
        config: ServiceNowConfig,
        *,
        client: Any = None,
        session: requests.Session | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Create the adapter; nothing is sent until the first call."""
        require("ServiceNowTickets", "servicenow", "pysnow")
        if client is not None and session is not None:
            raise ConfigurationError("give ServiceNowTickets a client or a session, not both")
        if client is None and session is None and config.resolved_auth() is None:
            raise ConfigurationError(
                "ServiceNowTickets needs credentials: ServiceNowConfig username and password "
                "(basic), client_id and client_secret (OAuth) or api_key; or a client or a "
                "session"
            )
        self.config = config
        self._client = client
        self._session = session
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._columns: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        """Describe the adapter (never the password)."""
        return f"ServiceNowTickets(url={self.config.url!r})"

    # ------------------------------------------------------------------ plumbing

    @property
    def client(self) -> Any:
        """The `pysnow.Client`, built on first use (no request is sent)."""
        with self._lock:
            if self._client is None:
                import pysnow  # noqa: PLC0415 - the servicenow extra (checked at __init__)

                if self._session is None:
                    self._session = build_session(self.config, self._clock)
                parts = urlsplit(self.config.url)
                self._client = pysnow.Client(
                    host=parts.netloc, session=self._session, use_ssl=parts.scheme == "https"
                )
            return self._client

    def _resource(self, table: str) -> Any:
        # pysnow.OAuthClient.resource() takes no request options, so the timeout is set on
        # the resource, which passes it to every request it makes.
        resource = self.client.resource(api_path=f"/table/{table}")
        options = getattr(resource, "kwargs", None)
        if isinstance(options, dict):
            options["timeout"] = self.config.timeout
        return resource

    def _secrets(self) -> list[str]:
        config = self.config
        found = [
            secret.get_secret_value()
            for secret in (config.password, config.client_secret, config.api_key)
            if secret is not None
        ]
        if config.username and config.password:
            found += session_secrets(basic=(config.username, config.password.get_secret_value()))
        session = self._session or getattr(self._client, "session", None)
        if isinstance(session, requests.Session):
            found += session_secrets(session)
        token = getattr(self._client, "token", None)
        if isinstance(token, Mapping):
            found += [str(token[k]) for k in ("access_token", "refresh_token") if token.get(k)]
        return found

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run a pysnow call, turning its failures into `IntegrationError`."""
        from pysnow.exceptions import PysnowException  # noqa: PLC0415 - optional extra

        try:
            return call()
        except requests.HTTPError as err:
            response = err.response
            detail = None
            if response is not None:
                try:
                    error = response.json().get("error") or {}
                    parts = (error.get("message"), error.get("detail"))
                    detail = ": ".join(str(v) for v in parts if v)
                except (ValueError, AttributeError):
                    detail = None
            raise http_failure(
                "servicenow",
                "ServiceNow",
                action,
                response.status_code if response is not None else None,
                detail=detail,
                retry_after=response.headers.get("Retry-After") if response is not None else None,
                secrets=self._secrets(),
            ) from err
        except requests.RequestException as err:
            raise transport_failure(
                "servicenow",
                "ServiceNow",
                action,
                err,
                url=self.config.url,
                timeout=self.config.timeout,
                secrets=self._secrets(),
            ) from err
        except PysnowException as err:
            raise http_failure(
                "servicenow", "ServiceNow", action, None, detail=str(err), secrets=self._secrets()
            ) from err

    def columns(self, table: str, *, purpose: str | None = None) -> dict[str, str]:
        """A table's columns (name → label), inherited ones included, from its dictionary.

        Follows `sys_db_object.super_class` up the hierarchy (`change_request` → `task`) and
        reads `sys_dictionary` for each table once per adapter. `purpose` names the action
        the columns are read for, in error messages.

        Raises:
            IntegrationError: If the dictionary cannot be read (the message says which read
                access is missing) or the table does not exist.
        """
        if table in self._columns:
            return self._columns[table]
        reading = f"reading the dictionary of table {table}"
        action = f"{purpose} ({reading})" if purpose else reading
        names: list[str] = []
        record = self._exact("sys_db_object", {"name": table}, action)
        if record is None:
            raise IntegrationError(
                f"ServiceNow {action} failed: there is no table '{table}' (sys_db_object)",
                service="servicenow",
                status_code=404,
            )
        while record is not None:
            names.append(str(_value(record["name"])))
            parent = str(_value(record.get("super_class") or ""))
            record = self._exact("sys_db_object", {"sys_id": parent}, action) if parent else None
        resource = self._resource("sys_dictionary")
        query = f"nameIN{','.join(names)}^elementISNOTEMPTY"
        rows = self._call(
            action,
            lambda: resource.get(
                query=query, fields=["name", "element", "column_label"], limit=10000
            ).all(),
        )
        found = {
            str(_value(row["element"])): str(_value(row.get("column_label") or ""))
            for row in rows
            if str(_value(row.get("name"))) in names and _value(row.get("element"))
        }
        self._columns[table] = found
        return found

    def _check_columns(self, table: str, payload: Mapping[str, Any], action: str) -> None:
        """Refuse to write columns the table lacks: ServiceNow would drop them silently."""
        if not self.config.check_columns:
            return
        known = self.columns(table, purpose=action)
        unknown = [name for name in payload if name not in known]
        if not unknown:
            return
        labels = {label.lower(): name for name, label in known.items() if label}
        hints = []
        for name in unknown:
            near = labels.get(name.lower()) or next(
                iter(difflib.get_close_matches(name, list(known), n=1)), None
            )
            hints.append(f"'{name}'" + (f" (did you mean '{near}'?)" if near else ""))
        raise IntegrationError(
            f"ServiceNow {action} refused before sending: table {table} has no column "
            f"{', '.join(hints)}; ServiceNow would drop the value without a word. Map the "
            "field to a column with ServiceNowConfig.field_names, or ask an admin to add the "
            "column (docs/tickets.md)",
            service="servicenow",
            status_code=400,
        )

    def _tables(self) -> list[str]:
        tables = {**_DEFAULT_TABLES, **self.config.tables}
        return list(dict.fromkeys(tables.values()))

    def _column(self, name: str) -> str:
        return self.config.field_names.get(name, name)

    def _payload(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {self._column(name): value for name, value in fields.items()}

    def _status(self, table: str, record: Mapping[str, Any]) -> str:
        state = str(_value(record.get("state", "")))
        if table == CHANGE:
            approval = str(_value(record.get("approval", "")))
            return _APPROVAL_STATUS.get(approval) or _CHANGE_STATUS.get(state, state)
        if table == INCIDENT:
            return _INCIDENT_STATUS.get(state, state)
        return state

    def _to_ticket(self, table: str, record: Mapping[str, Any]) -> Ticket:
        values = {k: _value(v) for k, v in record.items()}
        fields: dict[str, Any] = {"table": table}
        fields.update(
            {
                k: v
                for k, v in values.items()
                if v not in ("", None)
                and k not in _HIDDEN
                and (k == "sys_id" or not k.startswith("sys_"))
            }
        )
        for name, column in self.config.field_names.items():
            if values.get(column) not in ("", None):
                fields[name] = values[column]
        display = str(values.get("correlation_display") or "")
        return Ticket(
            system=self.system,
            key=str(values.get("number") or values.get("sys_id")),
            kind=display.removeprefix("mlc:") if display.startswith("mlc:") else "",
            status=self._status(table, values),
            summary=str(values.get("short_description") or ""),
            url=f"{self.config.url}/{table}.do?sys_id={values.get('sys_id')}",
            fields=fields,
            created_at=_time(values.get("sys_created_on")),
            updated_at=_time(values.get("sys_updated_on")),
            native_status=str(values.get("state") or "") or None,
        )

    def _exact(self, table: str, query: Mapping[str, str], action: str) -> dict[str, Any] | None:
        """The first record whose fields equal `query`'s values, checked on our side.

        ServiceNow ignores a condition on a field it does not know and answers other rows;
        comparing the answer with the query keeps such a row from being taken for a match.
        """
        resource = self._resource(table)
        rows = self._call(
            action,
            lambda: list(
                resource.get(query=dict(query), limit=_PROBE, exclude_reference_link=True).all()
            ),
        )
        for row in rows:
            if all(str(_value(row.get(k, ""))) == v for k, v in query.items()):
                return dict(row)
        return None

    def _locate(self, key: str, action: str) -> tuple[str, dict[str, Any]]:
        """Find a record by number: in the table its prefix names, else in every table."""
        prefixes = {**_PREFIXES, **self.config.number_prefixes}
        known = [
            table
            for prefix, table in sorted(prefixes.items(), key=lambda p: -len(p[0]))
            if key.upper().startswith(prefix.upper()) and key[len(prefix) :].isdigit()
        ]
        candidates = known[:1] or self._tables()
        for table in candidates:
            record = self._exact(table, {"number": key}, action)
            if record is not None:
                return table, record
        raise IntegrationError(
            f"ServiceNow {action} failed: no record numbered '{key}' in {' or '.join(candidates)}",
            service="servicenow",
            status_code=404,
        )

    def _patch(self, table: str, sys_id: str, payload: Mapping[str, Any], action: str) -> Any:
        resource = self._resource(table)
        return self._call(
            action,
            lambda: resource.request("PATCH", path_append=f"/{sys_id}", json=dict(payload)).one(),
        )

    # ------------------------------------------------------------------ the port

    def create(
        self, kind: TicketKind | str, context: TicketContext, *, idempotency_key: str
    ) -> Ticket:
        """Insert a record, or return the one a previous attempt inserted.

        The idempotency key is the record's `correlation_id`; it is queried before inserting
        (and the answer compared with it, since ServiceNow ignores a condition on a column
        it lacks), so a retry after a lost answer finds the record instead of inserting a
        second one. Every column written is first checked against the table's dictionary.

        Args:
            kind: Why it is opened; decides the table.
            context: What it says.
            idempotency_key: The same on every retry of the calling step.

        Returns:
            The record as a ticket.

        Raises:
            IntegrationError: If ServiceNow fails (`retryable` for 429, 5xx, timeouts and
                connection errors), or the table lacks a column to be written.
        """
        kind = TicketKind(kind)
        context = context.model_copy(update={"kind": kind})
        table = {**_DEFAULT_TABLES, **self.config.tables}[kind]
        correlation = _correlation(idempotency_key)
        action = f"create {table} record"
        description = render_description(context, self.config.description_format)
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1] + "…"
        payload = self._payload(context.fields)
        payload |= {
            "short_description": render_summary(context)[:_MAX_SUMMARY],
            self.config.field_names.get("Description", "description"): description,
            "correlation_id": correlation,
            "correlation_display": f"mlc:{kind.value}",
        }
        if self.config.assignment_group:
            payload["assignment_group"] = self.config.assignment_group
        # The dictionary check comes first: without a correlation_id column the duplicate
        # check below could not work at all.
        self._check_columns(table, payload, action)
        existing = self._exact(table, {"correlation_id": correlation}, action)
        if existing is not None:
            return self._to_ticket(table, existing)
        resource = self._resource(table)
        record = self._call(action, lambda: resource.create(payload=payload).one())
        return self._to_ticket(table, record)

    def get(self, key: str) -> Ticket:
        """Read a record by number (`INC0010001`, `CHG0030001`).

        Raises:
            IntegrationError: If ServiceNow fails, or there is no such record (404).
        """
        table, record = self._locate(key, f"read {key}")
        return self._to_ticket(table, record)

    def transition(
        self,
        key: str,
        status: str,
        *,
        comment: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Ticket:
        """Move a record to a status: set its state (and a change's approval).

        Args:
            key: The record number.
            status: One of our statuses (To Do, In Review, Done, Rejected), or a raw state
                value such as `"6"`.
            comment: Added as a work note.
            fields: Fields to set, by name (see `ServiceNowConfig.field_names`).

        Returns:
            The record after the change.

        Raises:
            IntegrationError: If ServiceNow fails, there is no such record, or the table lacks
                a column to be written.
        """
        action = f"transition {key}"
        table, record = self._locate(key, action)
        canonical = {s.lower(): s for s in (TO_DO, IN_REVIEW, DONE, REJECTED)}
        named = canonical.get(status.strip().lower())
        writes = _WRITES.get(table, {})
        payload: dict[str, Any] = dict(writes[named]) if named in writes else {"state": status}
        payload |= self._payload(fields or {})
        if comment:
            payload["work_notes"] = comment
        self._check_columns(table, payload, action)
        updated = self._patch(table, str(_value(record["sys_id"])), payload, action)
        return self._to_ticket(table, updated)

    def comment(self, key: str, text: str) -> None:
        """Add a work note.

        Raises:
            IntegrationError: If ServiceNow fails, or there is no such record.
        """
        action = f"comment on {key}"
        table, record = self._locate(key, action)
        self._patch(table, str(_value(record["sys_id"])), {"work_notes": text}, action)

    def attach(self, key: str, filename: str, content: bytes) -> None:
        """Attach a file (Attachment API).

        Raises:
            IntegrationError: If ServiceNow fails, or there is no such record.
        """
        action = f"attach {filename} to {key}"
        table, record = self._locate(key, action)
        session = self.client.session

        def upload() -> None:
            response = session.post(
                f"{self.config.url}/api/now/attachment/file",
                params={
                    "table_name": table,
                    "table_sys_id": str(_value(record["sys_id"])),
                    "file_name": filename,
                },
                data=content,
                headers={"Content-Type": "application/octet-stream"},
                timeout=self.config.timeout,
            )
            response.raise_for_status()

        self._call(action, upload)

    def find_by_idempotency_key(self, key: str) -> Ticket | None:
        """Return the record whose `correlation_id` is this idempotency key, if any.

        Raises:
            IntegrationError: If ServiceNow fails.
        """
        correlation = _correlation(key)
        for table in self._tables():
            record = self._exact(table, {"correlation_id": correlation}, f"search {table} records")
            if record is not None:
                return self._to_ticket(table, record)
        return None
