"""`ServiceNowTickets`: tickets as ServiceNow incidents and change requests, through `pysnow`.

Needs the `servicenow` extra (`pip install modelop-mlc[servicenow]`). Approvals and reviews
become change requests (approval requested → approved / rejected); job failures, errors and
notifications become incidents (New → In Progress → Resolved / Closed / Canceled).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.tickets._context import TicketContext
from modelop_mlc.tickets._errors import check_base_url, http_failure, transport_failure
from modelop_mlc.tickets._port import DONE, IN_REVIEW, REJECTED, TO_DO, Ticket, TicketKind
from modelop_mlc.tickets._render import render_description, render_summary

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


class ServiceNowConfig(BaseModel):
    """How to reach ServiceNow and where MLC tickets go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The instance URL, e.g. https://dev12345.service-now.com.")
    username: str = Field(description="The integration user (basic auth).")
    password: SecretStr = Field(description="Its password.")
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
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for each HTTP answer.")
    verify_ssl: bool = Field(default=True, description="Whether to verify TLS certificates.")

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)


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
        config: Where ServiceNow is and where tickets go.
        client: A ready `pysnow.Client` (tests, OAuth); by default one is built from `config`
            on first use.

    Raises:
        ConfigurationError: If the `pysnow` package is missing (on first use).
    """

    system = "servicenow"

    def __init__(self, config: ServiceNowConfig, *, client: Any = None) -> None:
        """Create the adapter; nothing is sent until the first call."""
        self.config = config
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Describe the adapter (never the password)."""
        return f"ServiceNowTickets(url={self.config.url!r})"

    # ------------------------------------------------------------------ plumbing

    @property
    def client(self) -> Any:
        """The `pysnow.Client`, built on first use (no request is sent).

        Raises:
            ConfigurationError: If the `pysnow` package is not installed.
        """
        with self._lock:
            if self._client is None:
                try:
                    import pysnow  # noqa: PLC0415 - the servicenow extra is optional
                except ImportError as err:  # pragma: no cover - the test environment has it
                    raise ConfigurationError(
                        "ServiceNowTickets needs the 'pysnow' package: "
                        "pip install 'modelop-mlc[servicenow]'"
                    ) from err
                parts = urlsplit(self.config.url)
                client = pysnow.Client(
                    host=parts.netloc,
                    user=self.config.username,
                    password=self.config.password.get_secret_value(),
                    use_ssl=parts.scheme == "https",
                )
                client.session.verify = self.config.verify_ssl
                self._client = client
            return self._client

    def _resource(self, table: str) -> Any:
        return self.client.resource(api_path=f"/table/{table}", timeout=self.config.timeout)

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run a pysnow call, turning its failures into `IntegrationError`."""
        from pysnow.exceptions import PysnowException  # noqa: PLC0415 - optional extra

        secrets = [self.config.password.get_secret_value()]
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
                secrets=secrets,
            ) from err
        except requests.RequestException as err:
            raise transport_failure(
                "servicenow",
                "ServiceNow",
                action,
                err,
                url=self.config.url,
                timeout=self.config.timeout,
                secrets=secrets,
            ) from err
        except PysnowException as err:
            raise http_failure(
                "servicenow", "ServiceNow", action, None, detail=str(err), secrets=secrets
            ) from err

    def _tables(self) -> list[str]:
        tables = {**_DEFAULT_TABLES, **self.config.tables}
        return list(dict.fromkeys(tables.values()))

    def _column(self, name: str) -> str:
        return self.config.field_names.get(name, name)

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

    def _query_one(self, table: str, query: Mapping[str, str], action: str) -> Any:
        resource = self._resource(table)
        return self._call(
            action,
            lambda: resource.get(
                query=dict(query), limit=1, exclude_reference_link=True
            ).one_or_none(),
        )

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
            record = self._query_one(table, {"number": key}, action)
            if record is not None:
                return table, dict(record)
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

        The idempotency key is the record's `correlation_id`; it is queried before inserting,
        so a retry after a lost answer finds the record instead of inserting a second one.

        Args:
            kind: Why it is opened; decides the table.
            context: What it says.
            idempotency_key: The same on every retry of the calling step.

        Returns:
            The record as a ticket.

        Raises:
            IntegrationError: If ServiceNow fails; `retryable` for 429, 5xx, timeouts and
                connection errors.
        """
        kind = TicketKind(kind)
        context = context.model_copy(update={"kind": kind})
        table = {**_DEFAULT_TABLES, **self.config.tables}[kind]
        correlation = _correlation(idempotency_key)
        action = f"create {table} record"
        existing = self._query_one(table, {"correlation_id": correlation}, action)
        if existing is not None:
            return self._to_ticket(table, existing)
        description = render_description(context, self.config.description_format)
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1] + "…"
        payload: dict[str, Any] = {
            self._column(name): value for name, value in context.fields.items()
        }
        payload |= {
            "short_description": render_summary(context)[:_MAX_SUMMARY],
            self.config.field_names.get("Description", "description"): description,
            "correlation_id": correlation,
            "correlation_display": f"mlc:{kind.value}",
        }
        if self.config.assignment_group:
            payload["assignment_group"] = self.config.assignment_group
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
            IntegrationError: If ServiceNow fails, or there is no such record.
        """
        action = f"transition {key}"
        table, record = self._locate(key, action)
        canonical = {s.lower(): s for s in (TO_DO, IN_REVIEW, DONE, REJECTED)}
        named = canonical.get(status.strip().lower())
        writes = _WRITES.get(table, {})
        payload: dict[str, Any] = dict(writes[named]) if named in writes else {"state": status}
        payload |= {self._column(name): value for name, value in (fields or {}).items()}
        if comment:
            payload["work_notes"] = comment
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
            record = self._query_one(
                table, {"correlation_id": correlation}, f"search {table} records"
            )
            if record is not None:
                return self._to_ticket(table, record)
        return None
