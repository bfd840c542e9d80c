"""`FakeServiceNow`: a stateful ServiceNow Table and Attachment API server for tests.

It answers what `pysnow` 0.7.17 sends (`pysnow.Client(host="127.0.0.1:PORT",
use_ssl=False, ...)`), with ServiceNow's `{"result": ...}` wrapper and
`{"error": {"message", "detail"}, "status": "failure"}` errors.

Endpoints (`/api/now/` and the versioned `/api/now/v1/`, `/api/now/v2/`):

- `GET|POST table/{table}` and `GET|PUT|PATCH|DELETE table/{table}/{sys_id}`, honouring
  `sysparm_query` (see `_snow_query` for the supported encoded-query subset),
  `sysparm_limit`, `sysparm_offset`, `sysparm_fields`, `sysparm_display_value`
  (`false`/`true`/`all`), `sysparm_exclude_reference_link` and
  `sysparm_suppress_pagination_header`. Collection reads answer `X-Total-Count` and a
  `Link` header with `first`/`prev`/`next`/`last` URLs, as ServiceNow does; pysnow 0.7.17
  does not follow `Link` itself, so callers page with `offset`.
- `POST attachment/file?table_name=&table_sys_id=&file_name=` (raw body),
  `POST attachment/upload` (multipart), `GET attachment?sysparm_query=...`,
  `GET|DELETE attachment/{sys_id}` and `GET attachment/{sys_id}/file`.
- `table/sys_journal_field` is a read-only view of the work notes and comments.

Like a real instance, the fake knows each table's columns (`task` and what `incident`,
`change_request` and custom tables add; extra columns through `columns=`), silently drops a
written field that is not a column, ignores a query condition on an unknown field (answering
the rows the other conditions select, possibly every row), and serves its data dictionary
read-only as `sys_db_object` (tables, `super_class` the parent) and `sys_dictionary` (one row
per column of the table defining it). New change requests start as stock ones do: state New
(-5), approval "not requested". Authentication: Basic, OAuth 2.0 bearer tokens from
`POST /oauth_token.do` and REST API keys (`x-sn-apikey`), see `_snow_auth`.

Records hold strings, as the Table API returns them. `work_notes` and `comments` are journal
fields: writes append an entry, reads return `""` unless `sysparm_display_value` is `true` or
`all`, which gives the entries newest first. Reference fields (`assigned_to`,
`assignment_group`, `caller_id`, `opened_by`, `requested_by`) come back as
`{"link", "value"}` unless `sysparm_exclude_reference_link=true`. Fields starting with
`sys_` cannot be written, except `sys_id` on insert.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from modelop_mlc.testing.fakes import _snow_query
from modelop_mlc.testing.fakes._http import (
    Clock,
    _Call,
    _HttpError,
    _multipart,
    _Reply,
    _Route,
)
from modelop_mlc.testing.fakes._snow_auth import _SnowAuth
from modelop_mlc.testing.fakes._snow_schema import DICTIONARY_TABLES, Schema

__all__ = ["FakeServiceNow"]

_API = r"/api/now(?:/v[12])?"
_SYS_ID = re.compile(r"[0-9a-f]{32}")
_JOURNAL_FIELDS = ("work_notes", "comments")
_JOURNAL_LABELS = {"work_notes": "Work notes", "comments": "Additional comments"}
_REFERENCES = {
    "assigned_to": "sys_user",
    "assignment_group": "sys_user_group",
    "caller_id": "sys_user",
    "opened_by": "sys_user",
    "requested_by": "sys_user",
}
_NUMBERS = {
    "incident": ("INC", 10001),
    "change_request": ("CHG", 30001),
    "problem": ("PRB", 40001),
    "change_task": ("CTASK", 10001),
    "sc_request": ("REQ", 10001),
    "sc_req_item": ("RITM", 10001),
    "sc_task": ("SCTASK", 10001),
}
_PRIORITY = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low"}
_IMPACT = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
_CHOICES: dict[str, dict[str, dict[str, str]]] = {
    "incident": {
        "state": {
            "1": "New",
            "2": "In Progress",
            "3": "On Hold",
            "6": "Resolved",
            "7": "Closed",
            "8": "Canceled",
        },
        "priority": {**_PRIORITY, "5": "5 - Planning"},
        "impact": _IMPACT,
        "urgency": _IMPACT,
    },
    "change_request": {
        "state": {
            "-5": "New",
            "-4": "Assess",
            "-3": "Authorize",
            "-2": "Scheduled",
            "-1": "Implement",
            "0": "Review",
            "3": "Closed",
            "4": "Canceled",
        },
        "approval": {
            "not requested": "Not Yet Requested",
            "requested": "Requested",
            "approved": "Approved",
            "rejected": "Rejected",
        },
        "priority": _PRIORITY,
        "impact": _IMPACT,
        "risk": {"2": "High", "3": "Moderate", "4": "Low"},
    },
}
# States that end a record's life; entering one sets `active` to false and `closed_at`.
_INACTIVE = {"incident": {"7", "8"}, "change_request": {"3", "4"}}


def _error(status: int, message: str, detail: str | None = None) -> _Reply:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return _Reply.json(status, body)


def _no_record() -> _HttpError:
    return _HttpError(
        _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    )


def _snow_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S")


def _to_string(value: Any) -> str:
    """Coerce a written value to the string ServiceNow stores."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and "value" in value:
        return _to_string(value["value"])
    if isinstance(value, list | tuple):
        return ",".join(_to_string(item) for item in value)
    return str(value)


def _flag(value: str | None) -> bool:
    return (value or "").lower() == "true"


class FakeServiceNow(_SnowAuth):
    """A stateful fake of ServiceNow's Table and Attachment APIs on 127.0.0.1, for `pysnow`.

    Use it as a context manager: `with FakeServiceNow() as snow: pysnow.Client(
    host=f"127.0.0.1:{snow.port}", use_ssl=False, user=..., password=...)`. The request log,
    failure injection (`fail_next`, `hang_next`) and authentication (`require_auth`,
    `revoke`, `register_oauth_client`, `add_api_key`) come from the base classes. Test
    helpers (`records`, `add_record`, `set_state`, `journal`, `event_payload`) read and change
    the state directly.

    Args:
        tables: Extra (custom) table names besides `incident` and `change_request`; they
            extend `task`.
        columns: Extra columns per table, name → label (`{"change_request":
            {"u_expiration_date": "Expiration Date"}}`), as an administrator adds them.
        plain_tables: Custom tables that extend no other table: only `sys_` columns and
            those given in `columns` (no `number`, `state` or `correlation_id`).
        clock: Returns the current time; used for `sys_created_on` and friends and token
            expiry. Defaults to the wall clock.

    Raises:
        ValueError: If a table name is not a valid ServiceNow table name, or `columns` names
            an unknown table.
    """

    def __init__(
        self,
        *,
        tables: Sequence[str] = (),
        columns: Mapping[str, Mapping[str, str]] | None = None,
        plain_tables: Sequence[str] = (),
        clock: Clock | None = None,
    ) -> None:
        """Create the fake; call `start()` or use `with` to serve it."""
        super().__init__(clock=clock)
        names = ["incident", "change_request", *tables, *plain_tables]
        for name in names:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in DICTIONARY_TABLES:
                raise ValueError(f"Invalid table name {name!r}; use lower-case, e.g. 'u_model'")
        self._schema = Schema(names, columns or {}, plain_tables)
        self._tables: dict[str, dict[str, dict[str, str]]] = {name: {} for name in names}
        self._journal: list[dict[str, str]] = []
        self._attachments: dict[str, dict[str, str]] = {}
        self._content: dict[str, bytes] = {}
        self._numbers = {name: _NUMBERS.get(name, (self._prefix(name), 1001))[1] for name in names}
        table: list[tuple[str, str, Callable[[_Call], _Reply]]] = [
            ("GET", _API + r"/table/(?P<table>[^/]+)", self._list),
            ("POST", _API + r"/table/(?P<table>[^/]+)", self._insert),
            ("GET", _API + r"/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._get),
            ("PUT", _API + r"/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._update),
            ("PATCH", _API + r"/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._update),
            ("DELETE", _API + r"/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._delete),
            ("GET", _API + r"/attachment", self._attachment_list),
            ("POST", _API + r"/attachment/file", self._attachment_file),
            ("POST", _API + r"/attachment/upload", self._attachment_upload),
            ("GET", _API + r"/attachment/(?P<sys_id>[^/]+)", self._attachment_get),
            ("DELETE", _API + r"/attachment/(?P<sys_id>[^/]+)", self._attachment_delete),
            ("GET", _API + r"/attachment/(?P<sys_id>[^/]+)/file", self._attachment_content),
        ]
        self._routes = [_Route(m, re.compile(p), h) for m, p, h in table]

    @staticmethod
    def _prefix(table: str) -> str:
        return re.sub(r"^u_", "", table).replace("_", "").upper()[:4] or "REC"

    # -- hooks -------------------------------------------------------------------------------

    def _error_reply(self, status: int, message: str, detail: str | None = None) -> _Reply:
        return _error(status, message, detail)

    def _unauthorized(self) -> _Reply:
        reply = _error(401, "User Not Authenticated", "Required to provide Auth information")
        reply.headers["WWW-Authenticate"] = 'BASIC realm="Service-now"'
        return reply

    def _unknown_path(self, call: _Call) -> _Reply:
        return _error(404, "Requested URI does not represent any resource", call.path)

    # -- state -------------------------------------------------------------------------------

    def _rows(self, table: str) -> dict[str, dict[str, str]]:
        if table == "sys_journal_field":
            return {entry["sys_id"]: entry for entry in self._journal}
        if table in ("sys_db_object", "sys_dictionary"):
            now = _snow_time(self._now())
            rows = self._schema.db_objects(now) if table == "sys_db_object" else None
            rows = rows if rows is not None else self._schema.dictionary(now)
            return {row["sys_id"]: row for row in rows}
        if table not in self._tables:
            raise _HttpError(_error(400, f"Invalid table {table}"))
        return self._tables[table]

    def _record(self, table: str, sys_id: str) -> dict[str, str]:
        record = self._rows(table).get(sys_id)
        if record is None:
            raise _no_record()
        return record

    def _defaults(self, table: str, user: str) -> dict[str, str]:
        now = _snow_time(self._now())
        prefix, _ = _NUMBERS.get(table, (self._prefix(table), 0))
        number = f"{prefix}{self._numbers[table]:07d}"
        self._numbers[table] += 1
        record = {
            "sys_id": uuid.uuid4().hex,
            "number": number,
            "state": {"incident": "1", "change_request": "-5"}.get(table, "1"),
            "active": "true",
            "short_description": "",
            "description": "",
            "work_notes": "",
            "comments": "",
            "correlation_id": "",
            "correlation_display": "",
            "assigned_to": "",
            "assignment_group": "",
            "opened_by": user,
            "opened_at": now,
            "closed_at": "",
            "close_code": "",
            "close_notes": "",
            "sys_class_name": table,
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
            "sys_mod_count": "0",
        }
        if table == "incident":
            record |= {"impact": "3", "urgency": "3", "priority": "5", "caller_id": ""}
        elif table == "change_request":
            record |= {
                "type": "normal",
                "approval": "not requested",
                "risk": "3",
                "impact": "3",
                "priority": "4",
                "requested_by": user,
                "start_date": "",
                "end_date": "",
            }
        columns = self._schema.columns(table)
        return {name: value for name, value in record.items() if name in columns}

    def _write(
        self, table: str, record: dict[str, str], payload: Mapping[str, Any], user: str
    ) -> None:
        """Apply written fields: journal fields append, `sys_` fields are read-only.

        A field that is not a column of the table is dropped without a word, as ServiceNow
        does.
        """
        columns = self._schema.columns(table)
        for field, value in payload.items():
            if field.startswith("sys_") or field not in columns:
                continue
            text = _to_string(value)
            if field in _JOURNAL_FIELDS:
                if text:
                    self._journal.append(
                        {
                            "sys_id": uuid.uuid4().hex,
                            "element": field,
                            "element_id": record["sys_id"],
                            "name": table,
                            "value": text,
                            "sys_created_on": _snow_time(self._now()),
                            "sys_created_by": user,
                        }
                    )
                continue
            record[field] = text
        inactive = _INACTIVE.get(table, set())
        if "state" in payload and record.get("state") in inactive and record["active"] == "true":
            record["active"] = "false"
            record["closed_at"] = _snow_time(self._now())
        elif "state" in payload and record.get("state") not in inactive:
            record["active"] = "true"
            record["closed_at"] = ""

    def _touch(self, record: dict[str, str], user: str) -> None:
        record["sys_updated_on"] = _snow_time(self._now())
        record["sys_updated_by"] = user
        record["sys_mod_count"] = str(int(record.get("sys_mod_count", "0")) + 1)

    def _create(self, table: str, payload: Mapping[str, Any], user: str) -> dict[str, str]:
        rows = self._rows(table)
        if table in DICTIONARY_TABLES:
            raise _HttpError(_error(403, "Operation Failed", f"{table} is read-only"))
        record = self._defaults(table, user)
        requested = payload.get("sys_id")
        if isinstance(requested, str) and _SYS_ID.fullmatch(requested):
            if requested in rows:
                raise _HttpError(
                    _error(403, "Operation Failed", f"Record {requested} already exists")
                )
            record["sys_id"] = requested
        self._write(table, record, payload, user)
        rows[record["sys_id"]] = record
        return record

    def _journal_text(self, sys_id: str, field: str) -> str:
        entries = [e for e in self._journal if e["element_id"] == sys_id and e["element"] == field]
        return "".join(
            f"{e['sys_created_on']} - {e['sys_created_by']} ({_JOURNAL_LABELS[field]})\n"
            f"{e['value']}\n\n"
            for e in reversed(entries)
        )

    def _format(self, table: str, record: Mapping[str, str], call: _Call) -> dict[str, Any]:
        """Render a record per the request's `sysparm_*` parameters."""
        mode = (call.param("sysparm_display_value") or "false").lower()
        links = not _flag(call.param("sysparm_exclude_reference_link"))
        wanted = call.params("sysparm_fields")
        names = [f for f in wanted if f in record] if wanted else list(record)
        choices = _CHOICES.get(table, {})
        base = self._base_url()
        body: dict[str, Any] = {}
        for name in names:
            value = record[name]
            shown = choices.get(name, {}).get(value, value)
            if name in _JOURNAL_FIELDS and table != "sys_journal_field":
                shown = self._journal_text(record["sys_id"], name)
            link = None
            if name in _REFERENCES and value and links:
                link = f"{base}/api/now/table/{_REFERENCES[name]}/{value}"
            if mode == "all":
                body[name] = {"display_value": shown, "value": value}
                if link:
                    body[name]["link"] = link
            elif mode == "true":
                body[name] = {"display_value": shown, "link": link} if link else shown
            else:
                body[name] = {"link": link, "value": value} if link else value
        return body

    # -- table endpoints ---------------------------------------------------------------------

    def _query(self, call: _Call, table: str | None) -> _snow_query.EncodedQuery:
        try:
            query = _snow_query.parse(call.param("sysparm_query") or "")
        except _snow_query.QueryError as error:
            raise _HttpError(_error(400, "Invalid query", str(error))) from error
        # An instance ignores conditions on fields the table does not have (unless the
        # property glide.invalid_query.returns_no_rows is set) and answers the other rows.
        return query if table is None else query.keep(self._schema.columns(table))

    def _page(
        self,
        call: _Call,
        rows: Sequence[Mapping[str, str]],
        render: Callable[..., Any],
        table: str | None = None,
    ) -> _Reply:
        query = self._query(call, table)
        matched = query.sort([row for row in rows if query.matches(row)])
        limit = _int(call.param("sysparm_limit"), 10000)
        offset = _int(call.param("sysparm_offset"), 0)
        page = matched[offset : offset + limit] if limit > 0 else []
        headers = {"X-Total-Count": str(len(matched))}
        if not _flag(call.param("sysparm_suppress_pagination_header")) and limit > 0:
            headers["Link"] = self._links(call, len(matched), limit, offset)
        return _Reply.json(200, {"result": [render(row) for row in page]}, headers)

    def _links(self, call: _Call, total: int, limit: int, offset: int) -> str:
        params = {
            key: values[-1]
            for key, values in call.query.items()
            if key not in ("sysparm_limit", "sysparm_offset")
        }

        def url(at: int) -> str:
            query = urlencode({**params, "sysparm_limit": limit, "sysparm_offset": at})
            return f"{self._base_url()}{call.path}?{query}"

        last = max(0, (total - 1) // limit * limit)
        links = [f'<{url(0)}>;rel="first"']
        if offset > 0:
            links.append(f'<{url(max(0, offset - limit))}>;rel="prev"')
        if offset + limit < total:
            links.append(f'<{url(offset + limit)}>;rel="next"')
        links.append(f'<{url(last)}>;rel="last"')
        return ",".join(links)

    def _list(self, call: _Call) -> _Reply:
        table = call.args["table"]
        rows = list(self._rows(table).values())
        return self._page(call, rows, lambda row: self._format(table, row, call), table)

    def _get(self, call: _Call) -> _Reply:
        record = self._record(call.args["table"], call.args["sys_id"])
        return _Reply.json(200, {"result": self._format(call.args["table"], record, call)})

    def _payload(self, call: _Call) -> dict[str, Any]:
        body = self._json_body(call)
        if not isinstance(body, dict):
            raise _HttpError(
                _error(400, "Exception while reading request", "The payload is not valid JSON.")
            )
        return body

    def _insert(self, call: _Call) -> _Reply:
        table = call.args["table"]
        record = self._create(table, self._payload(call), call.user or "guest")
        return _Reply.json(201, {"result": self._format(table, record, call)})

    def _update(self, call: _Call) -> _Reply:
        table = call.args["table"]
        if table in DICTIONARY_TABLES:
            return _error(403, "Operation Failed", f"{table} is read-only")
        record = self._record(table, call.args["sys_id"])
        payload = self._payload(call)
        user = call.user or "guest"
        self._write(table, record, payload, user)
        self._touch(record, user)
        return _Reply.json(200, {"result": self._format(table, record, call)})

    def _delete(self, call: _Call) -> _Reply:
        table = call.args["table"]
        if table in DICTIONARY_TABLES:
            return _error(403, "Operation Failed", f"{table} is read-only")
        record = self._record(table, call.args["sys_id"])
        del self._rows(table)[record["sys_id"]]
        # Deleting a record deletes its attachments, as on a real instance.
        for sys_id, meta in list(self._attachments.items()):
            if meta["table_sys_id"] == record["sys_id"]:
                del self._attachments[sys_id]
                del self._content[sys_id]
        return _Reply(204)

    # -- attachment endpoints ----------------------------------------------------------------

    def _store_attachment(
        self, target: tuple[str | None, str | None, str | None], data: bytes, ctype: str, user: str
    ) -> dict[str, str]:
        """Store a file for `target` = (table_name, table_sys_id, file_name)."""
        table, sys_id, name = target
        if not table or not sys_id or not name:
            missing = [
                k
                for k, v in zip(("table_name", "table_sys_id", "file_name"), target, strict=True)
                if not v
            ]
            raise _HttpError(_error(400, f"Missing parameter: {', '.join(missing)}"))
        self._record(table, sys_id)
        now = _snow_time(self._now())
        attachment_id = uuid.uuid4().hex
        meta = {
            "sys_id": attachment_id,
            "table_name": table,
            "table_sys_id": sys_id,
            "file_name": name,
            "content_type": ctype,
            "size_bytes": str(len(data)),
            "size_compressed": str(len(data)),
            "compressed": "false",
            "hash": hashlib.sha256(data).hexdigest(),
            "download_link": f"{self._base_url()}/api/now/attachment/{attachment_id}/file",
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
            "sys_mod_count": "0",
        }
        self._attachments[attachment_id] = meta
        self._content[attachment_id] = data
        return meta

    def _attachment_file(self, call: _Call) -> _Reply:
        meta = self._store_attachment(
            (call.param("table_name"), call.param("table_sys_id"), call.param("file_name")),
            call.body,
            call.headers.get("content-type", "application/octet-stream"),
            call.user or "guest",
        )
        return _Reply.json(201, {"result": dict(meta)})

    def _attachment_upload(self, call: _Call) -> _Reply:
        parts = _multipart(call.headers.get("content-type", ""), call.body)
        form = {name: content.decode() for name, filename, _, content in parts if not filename}
        files = [(filename, ctype, content) for _, filename, ctype, content in parts if filename]
        if not files:
            return _error(400, "Failed to create the attachment", "No file part in the upload")
        filename, ctype, content = files[0]
        meta = self._store_attachment(
            (form.get("table_name"), form.get("table_sys_id"), filename),
            content,
            ctype,
            call.user or "guest",
        )
        return _Reply.json(201, {"result": dict(meta)})

    def _attachment_meta(self, sys_id: str) -> dict[str, str]:
        meta = self._attachments.get(sys_id)
        if meta is None:
            raise _no_record()
        return meta

    def _attachment_list(self, call: _Call) -> _Reply:
        return self._page(call, list(self._attachments.values()), dict)

    def _attachment_get(self, call: _Call) -> _Reply:
        return _Reply.json(200, {"result": dict(self._attachment_meta(call.args["sys_id"]))})

    def _attachment_content(self, call: _Call) -> _Reply:
        meta = self._attachment_meta(call.args["sys_id"])
        headers = {"Content-Type": meta["content_type"]}
        return _Reply(200, self._content[meta["sys_id"]], headers)

    def _attachment_delete(self, call: _Call) -> _Reply:
        meta = self._attachment_meta(call.args["sys_id"])
        del self._attachments[meta["sys_id"]]
        del self._content[meta["sys_id"]]
        return _Reply(204)

    # -- test helpers ------------------------------------------------------------------------

    def records(self, table: str) -> list[dict[str, str]]:
        """Return copies of a table's records in insertion order, as raw strings.

        Journal fields read `""` here as in the API; see `journal()` for their entries.

        Raises:
            KeyError: If the table does not exist.
        """
        with self._lock:
            return [dict(record) for record in self._helper_rows(table).values()]

    def add_record(self, table: str, **fields: Any) -> dict[str, str]:
        """Insert a record directly (not over HTTP), as an administrator would; return a copy.

        Raises:
            KeyError: If the table does not exist.
        """
        with self._lock:
            self._helper_rows(table)
            return dict(self._create(table, fields, "admin"))

    def set_state(self, table: str, sys_id: str, state: int | str, **fields: Any) -> dict[str, str]:
        """Change a record's state and other fields as a person would; return a copy.

        For change requests pass `approval="approved"` (or `"rejected"`) with the state;
        `work_notes=` and `comments=` add journal entries.

        Args:
            table: The table name.
            sys_id: The record's `sys_id`.
            state: The new state value (`6` resolves an incident, `-2` schedules a change).
            **fields: More fields to set.

        Raises:
            KeyError: If the table or record does not exist.
        """
        with self._lock:
            record = self._helper_rows(table).get(sys_id)
            if record is None:
                raise KeyError(f"No {table} record with sys_id {sys_id!r}")
            self._write(table, record, {"state": state, **fields}, "approver")
            self._touch(record, "approver")
            return dict(record)

    def journal(self, table: str, sys_id: str) -> list[dict[str, str]]:
        """Return a record's work notes and comments, oldest first, as `sys_journal_field` rows.

        Each row has `element` (`work_notes` or `comments`), `value`, `sys_created_on` and
        `sys_created_by`.

        Raises:
            KeyError: If the table does not exist.
        """
        with self._lock:
            self._helper_rows(table)
            return [
                dict(e) for e in self._journal if e["element_id"] == sys_id and e["name"] == table
            ]

    def attachments(self, table: str, sys_id: str) -> list[tuple[dict[str, str], bytes]]:
        """Return the (metadata, content) pairs attached to a record."""
        with self._lock:
            return [
                (dict(meta), self._content[key])
                for key, meta in self._attachments.items()
                if meta["table_name"] == table and meta["table_sys_id"] == sys_id
            ]

    def event_payload(self, table: str, sys_id: str) -> dict[str, Any]:
        """Return what a business rule's outbound REST message would POST about a record.

        The shape is this library's convention (ServiceNow has no fixed one)::

            {"table": "change_request", "sys_id": "...", "number": "CHG0030001",
             "state": "-2", "approval": "approved", "updated_on": "2026-01-01 10:00:00",
             "fields": {...every field as a raw string...}}

        Raises:
            KeyError: If the table or record does not exist.
        """
        with self._lock:
            record = self._helper_rows(table).get(sys_id)
            if record is None:
                raise KeyError(f"No {table} record with sys_id {sys_id!r}")
            return {
                "table": table,
                "sys_id": sys_id,
                "number": record.get("number", ""),
                "state": record.get("state", ""),
                "approval": record.get("approval", ""),
                "updated_on": record.get("sys_updated_on", ""),
                "fields": copy.deepcopy(record),
            }

    def _helper_rows(self, table: str) -> dict[str, dict[str, str]]:
        if table not in self._tables:
            raise KeyError(f"No table {table!r}; tables: {', '.join(self._tables)}")
        return self._tables[table]


def _int(value: str | None, default: int) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return default
