"""`FakeModelOpCenter`: a stateful fake of ModelOp Center's model-manage REST API for tests.

It serves what `modelop_mlc.center.RestCenter` calls, in the shapes ModelOp's Spring services
answer with: single objects as plain JSON (plus a HAL `self` link), collections as
`{"_embedded": {"<rel>": [...]}, "_links": {...}, "page": {...}}`, and errors as Spring
Boot's `{"timestamp", "status", "error", "message", "path"}`.

Endpoints (all under `/model-manage/api/`, bearer token required):

- `GET storedModels[?name=]`, `GET|PATCH|PUT storedModels/{id}` (a change of a stored model
  is recorded as an audit record, as ModelOp Center does)
- `GET|POST deployableModels[?tag=&storedModelId=]`, `GET|PATCH|PUT deployableModels/{id}`.
  A POST needs `storedModel.id` of a known stored model; the fake fills in `id`,
  `createdDate`, `version` (the stored model's snapshot count + 1) and, when missing, the
  stored model and its assets.
- `GET runtimes[?name=&tag=]`, `GET|PATCH|PUT runtimes/{id}`
- `GET|POST jobs[?deployableModelId=&jobStatus=&jobType=]`, `GET|PATCH|PUT jobs/{id}`
  (collections come back under `_embedded.modelBatchJobs`). Jobs have ModelOp's job shape:
  the snapshot under `model` (a `deployableModel` field is accepted too) and `targetEngine`
  as a runtime object. A job stays CREATED until the test moves it with `set_job_status`:
  the fake runs no models.
- `GET|POST deployedModels[?tag=&stage=&deployedState=&storedModelId=&deployableModelId=]`,
  `GET|PATCH|PUT deployedModels/{id}`; the runtime is ModelOp's `engine` (or `runtime`)
- `GET|POST modelTestResults[?deployableModelId=&jobId=]`, `GET|PATCH|PUT
  modelTestResults/{id}`; a result is found by `deployableModelId` or by its
  `deployedModel.deployableModel.id`
- `GET|POST notifications[?modelId=&processInstanceId=&type=&severity=]`,
  `GET|PATCH notifications/{id}`
- `GET auditRecords/search/findAuditRecordsByStoredModelId?storedModelId=` (the search
  ModelOp's own audit scripts call), `GET auditRecords`, `GET|PATCH auditRecords/{id}`

Collections page with `page` (from 0) and `size` (default 20, at most 2000) and sort with
`sort=<field>[,asc|desc]`; without `sort` they come in insertion order. Unknown query
parameters are ignored, as Spring Data REST does. PATCH merges the top-level fields of the
body; PUT replaces the whole document but its id. The `Idempotency-Key` header is recorded
but not acted on, as a center that ignores it would; `RestCenter` finds earlier creations
itself.

`POST /gocli/token` exchanges a user's `username`/`password` (ModelOp's own form fields) or
OAuth2 client credentials (`client_id`/`client_secret`, or HTTP basic), as a form or JSON, for
`{"access_token", "token_type": "bearer", "expires_in"}`; tokens expire after `token_ttl` by
the fake's clock. Refused credentials answer 401 in OAuth's shape. `GET /files/{name}`
serves files added with `add_external_file()` (bearer token required), standing in for asset
storage on the center's host.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from modelop_mlc.testing.fakes import _modelop_data as data
from modelop_mlc.testing.fakes._http import (
    _REASONS,
    Clock,
    _Call,
    _FakeService,
    _HttpError,
    _matches,
    _Reply,
    _Route,
)

__all__ = ["FakeModelOpCenter"]

DEFAULT_USERNAME = "mlc-user"
DEFAULT_PASSWORD = "mlc-password"  # noqa: S105 - a test fixture, not a credential
DEFAULT_CLIENT_ID = "mlc-client"
DEFAULT_CLIENT_SECRET = "mlc-secret"  # noqa: S105 - a test fixture, not a credential
_ID = r"(?P<id>[^/]+)"
_MAX_PAGE_SIZE = 2000
_NOT_REPLACEABLE = frozenset({"notifications", "auditRecords"})
_DEFAULT_PAGE_SIZE = 20


class _Drop:
    def __init__(
        self, remaining: int, path_prefix: str | None, method: str | None, commit_first: bool
    ) -> None:
        self.remaining = remaining
        self.path_prefix = path_prefix
        self.method = method
        self.commit_first = commit_first


class FakeModelOpCenter(_FakeService):
    """A stateful fake of ModelOp Center's REST API on 127.0.0.1, for `RestCenter`.

    Use it as a context manager: `with FakeModelOpCenter() as moc: RestCenter(moc.url,
    username="mlc-user", password="mlc-password")`. The request log, failure injection
    (`fail_next`, `hang_next`) and `release()` come from the shared base class; `drop_next()`
    closes connections without an answer and `revoke()` refuses tokens, passwords or secrets.
    Jobs stay CREATED until `set_job_status()` moves them: the fake runs no models. Seed and
    inspect the state with `add_stored_model`, `add_runtime`, `add_snapshot`,
    `add_external_file`, `set_job_status` and the `jobs`, `snapshots`, `deployments`, ...
    accessors.

    Args:
        users: User name to password accepted by `/gocli/token`. Defaults to
            `{"mlc-user": "mlc-password"}`.
        clients: Client id to client secret accepted by `/gocli/token`. Defaults to
            `{"mlc-client": "mlc-secret"}`.
        tokens: Bearer tokens accepted without an exchange and without expiry (until
            revoked).
        token_ttl: How long exchanged tokens live, in seconds or as a `timedelta`.
        clock: Returns the current time; stamps `createdDate` and expires tokens. Defaults
            to the wall clock.
    """

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        clients: Mapping[str, str] | None = None,
        tokens: Iterable[str] = (),
        token_ttl: float | timedelta = 3600.0,
        clock: Clock | None = None,
    ) -> None:
        """Create the fake; call `start()` or use `with` to serve it."""
        super().__init__(clock=clock)
        self._passwords = dict(users if users is not None else {DEFAULT_USERNAME: DEFAULT_PASSWORD})
        self._clients = dict(
            clients if clients is not None else {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
        )
        self._static_tokens = set(tokens)
        self._issued: dict[str, datetime] = {}
        self.token_ttl = (
            token_ttl if isinstance(token_ttl, timedelta) else timedelta(seconds=token_ttl)
        )
        self._docs: dict[str, dict[str, data.Doc]] = {name: {} for name in data.RESOURCES}
        self._order: dict[str, int] = {}
        self._sequence = itertools.count()
        self._files: dict[str, str] = {}
        self._drops: list[_Drop] = []
        self._local = threading.local()
        table: list[tuple[str, str, Callable[[_Call], _Reply]]] = [
            ("GET", data.FILES + r"/(?P<id>.+)", self._file),
        ]
        for name in data.RESOURCES:
            table.append(("GET", rf"{data.API}/{name}", self._lister(name)))
            for search in data.SEARCHES.get(name, {}):
                table.append(("GET", rf"{data.API}/{name}/search/{search}", self._lister(name)))
            table.append(("GET", rf"{data.API}/{name}/{_ID}", self._getter(name)))
            table.append(("PATCH", rf"{data.API}/{name}/{_ID}", self._patcher(name)))
            if name not in _NOT_REPLACEABLE:
                table.append(("PUT", rf"{data.API}/{name}/{_ID}", self._replacer(name)))
        for name, create in (
            ("deployableModels", self._create_snapshot),
            ("jobs", self._create_job),
            ("deployedModels", self._create_deployment),
            ("modelTestResults", self._create_test_result),
            ("notifications", self._create_notification),
        ):
            table.append(("POST", rf"{data.API}/{name}", self._creator(name, create)))
        self._routes = [_Route(m, re.compile(p), h) for m, p, h in table]

    # -- hooks -------------------------------------------------------------------------------

    def _error_reply(self, status: int, message: str, detail: str | None = None) -> _Reply:
        path = getattr(self._local, "path", "")
        reason = _REASONS.get(status, "Error")
        text = f"{message}: {detail}" if detail else message
        return _Reply.json(status, data.error_body(status, reason, text, path, self._now()))

    def _unauthorized(self) -> _Reply:
        reply = self._error_reply(401, "Full authentication is required to access this resource")
        reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return reply

    def _unknown_path(self, call: _Call) -> _Reply:
        return self._error_reply(404, f"No endpoint {call.method} {call.path}")

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[bool, str | None]:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        token = credential.strip()
        if scheme.lower() != "bearer" or not token or token in self._revoked:
            return False, None
        if token in self._static_tokens:
            return True, "token-user"
        expires = self._issued.get(token)
        return (expires is not None and self._now() < expires), "token-user"

    def _serve(
        self, method: str, raw_path: str, raw_headers: Mapping[str, str], body: bytes
    ) -> _Reply | None:
        parts = urlsplit(raw_path)
        self._local.path = parts.path
        with self._lock:
            for drop in self._drops:
                if _matches(drop.path_prefix, drop.method, parts.path, method):
                    drop.remaining -= 1
                    if drop.remaining <= 0:
                        self._drops.remove(drop)
                    headers = {key.lower(): value for key, value in raw_headers.items()}
                    query = parse_qs(parts.query, keep_blank_values=True)
                    call = _Call(method, parts.path, query, headers, body)
                    self._log_request(call, raw_headers)
                    if drop.commit_first:
                        self._process(call)  # the change is made, the answer is lost
                    return None
        return super()._serve(method, raw_path, raw_headers, body)

    def _process(self, call: _Call) -> _Reply:
        if call.path == data.TOKEN_PATH:
            with self._lock:
                if call.method != "POST":
                    return self._error_reply(405, f"Method {call.method} is not allowed here")
                return self._token(call)
        return super()._process(call)

    # -- tokens ------------------------------------------------------------------------------

    def _token(self, call: _Call) -> _Reply:
        fields = self._token_fields(call)
        by_password = "username" in fields or fields.get("grant_type") == "password"
        grant = fields.get("grant_type", "password" if by_password else "client_credentials")
        if grant not in {"password", "client_credentials"}:
            return _Reply.json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Unsupported grant type: {grant}",
                },
            )
        if grant == "password":
            name, secret, known = (
                fields.get("username", ""),
                fields.get("password"),
                self._passwords,
            )
            refusal = {"error": "unauthorized", "error_description": "Bad credentials"}
        else:
            name, secret, known = (
                fields.get("client_id", ""),
                fields.get("client_secret"),
                self._clients,
            )
            refusal = {"error": "invalid_client", "error_description": "Bad client credentials"}
        if not name or known.get(name) != secret or secret in self._revoked:
            return _Reply.json(401, refusal, {"WWW-Authenticate": 'Basic realm="gocli"'})
        token = self.issue_token()
        return _Reply.json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(self.token_ttl.total_seconds()),
                "scope": "read write",
            },
        )

    @staticmethod
    def _token_fields(call: _Call) -> dict[str, str]:
        content_type = call.headers.get("content-type", "")
        fields: dict[str, str] = {}
        if "json" in content_type:
            try:
                parsed = json.loads(call.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                parsed = {}
            if isinstance(parsed, Mapping):
                fields = {str(k): str(v) for k, v in parsed.items()}
        else:
            form = parse_qs(call.body.decode(errors="replace"), keep_blank_values=True)
            fields = {key: values[-1] for key, values in form.items()}
        scheme, _, credential = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, secret = decoded.partition(":")
            fields.setdefault("client_id", client_id)
            fields.setdefault("client_secret", secret)
        return fields

    def issue_token(self) -> str:
        """Issue a fresh token that lives `token_ttl` from now, as the exchange does."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._issued[token] = self._now() + self.token_ttl
        return token

    @property
    def issued_tokens(self) -> list[str]:
        """Tokens issued so far, oldest first."""
        with self._lock:
            return list(self._issued)

    def revoke(self, token_or_password: str | None = None) -> None:
        """Refuse a token, password or client secret from now on with 401.

        A revoked password or secret is refused by `/gocli/token`. Without an argument, every
        token issued so far (and every static token) is refused; passwords still work, so a
        client that exchanges again gets in.
        """
        with self._lock:
            if token_or_password is None:
                self._revoked.update(self._issued)
                self._revoked.update(self._static_tokens)
            else:
                self._revoked.add(token_or_password)

    def drop_next(
        self,
        times: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
        commit_first: bool = False,
    ) -> None:
        """Close the next matching connections without answering, like a dying proxy.

        Args:
            times: How many matching requests are dropped.
            path_prefix: Only requests whose path starts with this are dropped.
            method: Only requests with this HTTP method are dropped.
            commit_first: Serve the request (e.g. create the job) before dropping, so the
                change is made but the answer is lost, the case idempotency keys exist for.

        Raises:
            ValueError: If `times` is below 1.
        """
        if times < 1:
            raise ValueError(f"drop_next needs times >= 1, got {times}")
        with self._lock:
            self._drops.append(_Drop(times, path_prefix, method, commit_first))

    # -- routes ------------------------------------------------------------------------------

    def _href(self, name: str, doc_id: str | None = None) -> str:
        base = f"{self._base_url()}{data.API}/{name}"
        return base if doc_id is None else f"{base}/{quote(doc_id, safe='')}"

    def _find(self, name: str, doc_id: str) -> data.Doc:
        doc = self._docs[name].get(doc_id)
        if doc is None:
            label = data.RESOURCES[name].label
            raise _HttpError(self._error_reply(404, f"No {label} with id '{doc_id}'"))
        return doc

    def _bad_request(self, message: str) -> _HttpError:
        return _HttpError(self._error_reply(400, message))

    def _lister(self, name: str) -> Callable[[_Call], _Reply]:
        resource = data.RESOURCES[name]

        def handle(call: _Call) -> _Reply:
            try:
                number = int(call.param("page") or 0)
                size = min(int(call.param("size") or _DEFAULT_PAGE_SIZE), _MAX_PAGE_SIZE)
            except ValueError as err:
                raise self._bad_request(f"Invalid paging parameter: {err}") from err
            if number < 0 or size < 1:
                raise self._bad_request("Page index must be >= 0 and size >= 1")
            items = [(self._order[i], doc) for i, doc in self._docs[name].items()]
            for param, matches in resource.filters.items():
                value = call.param(param)
                if value is not None:
                    items = [(seq, doc) for seq, doc in items if matches(doc, value)]
            sort = call.param("sort")
            if sort:
                field, _, direction = sort.partition(",")
                items.sort(key=data.sort_key(field), reverse=direction.lower() == "desc")
            chosen = items[number * size : (number + 1) * size]
            rendered = [data.with_links(doc, self._href(name, doc["id"])) for _, doc in chosen]
            return _Reply.json(
                200,
                data.page_body(
                    resource.rel,
                    rendered,
                    base=self._href(name),
                    number=number,
                    size=size,
                    total=len(items),
                ),
            )

        return handle

    def _getter(self, name: str) -> Callable[[_Call], _Reply]:
        def handle(call: _Call) -> _Reply:
            doc = self._find(name, call.args["id"])
            return _Reply.json(200, data.with_links(doc, self._href(name, doc["id"])))

        return handle

    def _patcher(self, name: str) -> Callable[[_Call], _Reply]:
        def handle(call: _Call) -> _Reply:
            doc = self._find(name, call.args["id"])
            patch = self._json_body(call)
            if not isinstance(patch, Mapping):
                raise self._bad_request("A PATCH body must be a JSON object")
            before = copy.deepcopy(doc)
            doc.update({k: copy.deepcopy(v) for k, v in patch.items() if k != "id"})
            self._audit(name, before, doc)
            return _Reply.json(200, data.with_links(doc, self._href(name, doc["id"])))

        return handle

    def _replacer(self, name: str) -> Callable[[_Call], _Reply]:
        def handle(call: _Call) -> _Reply:
            doc = self._find(name, call.args["id"])
            body = self._json_body(call)
            if not isinstance(body, Mapping):
                raise self._bad_request("A PUT body must be a JSON object")
            before = copy.deepcopy(doc)
            replacement = {k: copy.deepcopy(v) for k, v in body.items() if k != "_links"}
            replacement["id"] = doc["id"]
            doc.clear()
            doc.update(replacement)
            self._audit(name, before, doc)
            return _Reply.json(200, data.with_links(doc, self._href(name, doc["id"])))

        return handle

    def _audit(self, name: str, before: data.Doc, after: data.Doc) -> None:
        """Record a stored model's change as an audit record, as ModelOp Center does."""
        if name != "storedModels":
            return
        stage = (after.get("modelMetaData") or {}).get("modelStage")
        self._store(
            "auditRecords",
            {
                "entityType": "StoredModel",
                "entityId": after["id"],
                "storedModelId": after["id"],
                "action": "UPDATED",
                "changes": data.audit_changes(before, after),
                "metaData": {"modelStage": stage} if stage else {},
            },
        )

    def _creator(
        self, name: str, create: Callable[[data.Doc], data.Doc]
    ) -> Callable[[_Call], _Reply]:
        def handle(call: _Call) -> _Reply:
            body = self._json_body(call)
            if not isinstance(body, Mapping):
                raise self._bad_request("The request body must be a JSON object")
            doc = create(copy.deepcopy(dict(body)))
            headers = {"Location": self._href(name, doc["id"])}
            return _Reply.json(201, data.with_links(doc, self._href(name, doc["id"])), headers)

        return handle

    def _file(self, call: _Call) -> _Reply:
        content = self._files.get(call.args["id"])
        if content is None:
            raise _HttpError(self._error_reply(404, f"No file '{call.args['id']}'"))
        return _Reply(200, content.encode(), {"Content-Type": "text/plain;charset=UTF-8"})

    # -- creation ----------------------------------------------------------------------------

    def _store(self, name: str, doc: data.Doc, *, dated: bool = True) -> data.Doc:
        doc["id"] = str(uuid.uuid4())
        if dated:
            doc.setdefault("createdDate", data.timestamp(self._now()))
        self._docs[name][doc["id"]] = doc
        self._order[doc["id"]] = next(self._sequence)
        return doc

    def _reference(self, body: data.Doc, field: str, name: str) -> data.Doc:
        """The stored document `body[field]` refers to by id, or a 400."""
        ref = body.get(field)
        ref_id = ref.get("id") if isinstance(ref, Mapping) else None
        if not ref_id:
            raise self._bad_request(f"{field}.id is required")
        found = self._docs[name].get(str(ref_id))
        if found is None:
            label = data.RESOURCES[name].label
            raise self._bad_request(f"{field} refers to an unknown {label} '{ref_id}'")
        return found

    def _create_snapshot(self, body: data.Doc) -> data.Doc:
        stored = self._reference(body, "storedModel", "storedModels")
        if "modelMetaData" not in body["storedModel"]:
            body["storedModel"] = copy.deepcopy(stored)
        body.setdefault("deployableModelAssets", copy.deepcopy(stored.get("modelAssets", [])))
        body["deployableModelAssets"] = [
            data.asset(a, str(uuid.uuid4())) for a in body["deployableModelAssets"]
        ]
        earlier = [
            s
            for s in self._docs["deployableModels"].values()
            if s["storedModel"]["id"] == stored["id"]
        ]
        body.setdefault("version", len(earlier) + 1)
        body.setdefault("tags", [])
        body.setdefault("custom", {})
        return self._store("deployableModels", body)

    def _create_job(self, body: data.Doc) -> data.Doc:
        if body.get("jobType") not in data.JOB_TYPES:
            raise self._bad_request(
                f"JSON parse error: cannot deserialize JobType from {body.get('jobType')!r}; "
                f"one of {', '.join(data.JOB_TYPES)}"
            )
        field = "model" if "model" in body or "deployableModel" not in body else "deployableModel"
        self._reference(body, field, "deployableModels")
        body.setdefault("jobStatus", "CREATED")
        for field in ("inputData", "outputData"):
            body[field] = [data.asset(a, str(uuid.uuid4())) for a in body.get(field) or []]
        body.setdefault("jobParameters", {})
        return self._store("jobs", body)

    def _create_deployment(self, body: data.Doc) -> data.Doc:
        self._reference(body, "deployableModel", "deployableModels")
        field = "engine" if "engine" in body or "runtime" not in body else "runtime"
        runtime = body.get(field)
        name = runtime.get("name") if isinstance(runtime, Mapping) else None
        known = any(r["name"] == name for r in self._docs["runtimes"].values())
        if not isinstance(runtime, Mapping) or not known:
            raise self._bad_request(f"{field} refers to an unknown runtime '{name}'")
        body.setdefault("deploymentType", "ONLINE" if runtime.get("endpoints") else "BATCH")
        body.setdefault("deployedState", "DEPLOYED")
        body.setdefault("schedules", [])
        return self._store("deployedModels", body)

    def _create_test_result(self, body: data.Doc) -> data.Doc:
        snapshot_id = str(body.get("deployableModelId") or "")
        snapshot = self._docs["deployableModels"].get(snapshot_id)
        if snapshot is None:
            raise self._bad_request(
                f"deployableModelId refers to an unknown deployableModel '{snapshot_id}'"
            )
        body.setdefault("storedModelId", snapshot["storedModel"]["id"])
        body.setdefault("testResults", {})
        return self._store("modelTestResults", body)

    def _create_notification(self, body: data.Doc) -> data.Doc:
        if not isinstance(body.get("message"), str) or not body["message"]:
            raise self._bad_request("message is required")
        body.setdefault("type", "PROCESS")
        body.setdefault("severity", "INFO")
        return self._store("notifications", body)

    # -- seeding and inspection ----------------------------------------------------------------

    def add_stored_model(
        self,
        name: str,
        *,
        type: str = "PYTHON3",  # noqa: A002 - ModelOp's field name
        tags: Sequence[str] = (),
        source: str | None = None,
        assets: Sequence[Mapping[str, Any]] = (),
        group: str | None = None,
        description: str | None = None,
        custom: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Register a stored model, as if uploaded to the center; return its JSON.

        Args:
            name: `modelMetaData.name`.
            type: `modelMetaData.type` (PYTHON3, R, ...).
            tags: `modelMetaData.tags` (service and stage tags).
            source: Model code, kept as an embedded MODEL_SOURCE asset `model.py`.
            assets: More assets in ModelOp's JSON (`assetRole`, `fileContent`, `fileUrl`, ...);
                each gets an id.
            group: `modelMetaData.group`.
            description: `modelMetaData.description`.
            custom: `modelMetaData.custom`.
        """
        meta: data.Doc = {
            "name": name,
            "type": type,
            "tags": list(tags),
            "custom": dict(custom or {}),
        }
        if group is not None:
            meta["group"] = group
        if description is not None:
            meta["description"] = description
        raw = list(assets)
        if source is not None:
            raw.insert(
                0,
                {
                    "name": "model source",
                    "filename": "model.py",
                    "assetRole": "MODEL_SOURCE",
                    "fileContent": source,
                },
            )
        with self._lock:
            now = data.timestamp(self._now())
            doc = self._store(
                "storedModels",
                {
                    "modelMetaData": meta,
                    "modelAssets": [data.asset(a, str(uuid.uuid4())) for a in raw],
                    "createdDate": now,
                    "lastModifiedDate": now,
                },
            )
            return copy.deepcopy(doc)

    def add_snapshot(
        self,
        stored_model_id: str,
        *,
        tags: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Snapshot a stored model, as the center's "Create New Snapshot" does; return its JSON.

        Raises:
            KeyError: If there is no such stored model.
        """
        with self._lock:
            if stored_model_id not in self._docs["storedModels"]:
                raise KeyError(f"no stored model '{stored_model_id}'; add_stored_model() first")
            doc = self._create_snapshot(
                {
                    "storedModel": {"id": stored_model_id},
                    "tags": list(tags),
                    "custom": dict(custom or {}),
                }
            )
            return copy.deepcopy(doc)

    def add_runtime(
        self,
        name: str,
        *,
        tags: Sequence[str] = (),
        stage: str | None = None,
        endpoints: Sequence[Mapping[str, Any]] = (),
        supported_model_types: Sequence[str] = ("PYTHON3", "PYTHON"),
        engine_state: str = "RUNNING",
    ) -> dict[str, Any]:
        """Register a runtime (no endpoints: a batch runtime); return its JSON."""
        doc: data.Doc = {
            "name": name,
            "tags": list(tags),
            "endpoints": [dict(e) for e in endpoints],
            "supportedModelTypes": list(supported_model_types),
            "engineState": engine_state,
        }
        if stage is not None:
            doc["stage"] = stage
        with self._lock:
            # ModelOp's runtimes carry no creation date.
            return copy.deepcopy(self._store("runtimes", doc, dated=False))

    def add_document(self, collection: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Store `doc` in `collection` as it is, as if the center held it; return it.

        For JSON in ModelOp's own shapes (a job, a notification, an audit record, ...). It
        keeps its `id` (one is made when it has none) and gets no `createdDate`.

        Raises:
            KeyError: If `collection` is not one the fake serves.
        """
        if collection not in self._docs:
            raise KeyError(f"no collection {collection!r}; one of {', '.join(self._docs)}")
        stored = {k: copy.deepcopy(v) for k, v in doc.items() if k != "_links"}
        with self._lock:
            doc_id = str(stored.get("id") or uuid.uuid4())
            stored["id"] = doc_id
            self._docs[collection][doc_id] = stored
            self._order[doc_id] = next(self._sequence)
            return copy.deepcopy(stored)

    def add_external_file(self, name: str, content: str) -> str:
        """Serve `content` at `/files/{name}` (bearer token required); return its URL."""
        with self._lock:
            self._files[name] = content
        return f"{self._base_url()}{data.FILES}/{quote(name)}"

    def set_job_status(
        self, job_id: str, status: str, *, result: Any = None, message: str | None = None
    ) -> dict[str, Any]:
        """Move a job on, as if its runtime reported progress; return the job's JSON.

        Args:
            job_id: The job.
            status: CREATED, WAITING, RUNNING, COMPLETE, ERROR or CANCELLED.
            result: The job's output (metrics, training result), kept as `result`.
            message: Why it failed, kept as `message`.

        Raises:
            KeyError: If there is no such job.
            ValueError: If `status` is not a job status.
        """
        if status not in data.JOB_STATUSES:
            raise ValueError(
                f"unknown job status {status!r}; one of {', '.join(data.JOB_STATUSES)}"
            )
        with self._lock:
            job = self._docs["jobs"].get(job_id)
            if job is None:
                known = ", ".join(self._docs["jobs"]) or "none"
                raise KeyError(f"no job '{job_id}'; jobs: {known}")
            now = data.timestamp(self._now())
            job["jobStatus"] = status
            if status != "CREATED":
                job.setdefault("startedDate", now)
            if status in data.FINISHED:
                job["endedDate"] = now
            if result is not None:
                job["result"] = copy.deepcopy(result)
            if message is not None:
                job["message"] = message
            return copy.deepcopy(job)

    def _all(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(doc) for doc in self._docs[name].values()]

    def documents(self, collection: str) -> list[dict[str, Any]]:
        """The documents of one collection (`jobs`, `auditRecords`, ...), oldest first (copies).

        Raises:
            KeyError: If `collection` is not one the fake serves.
        """
        if collection not in self._docs:
            raise KeyError(f"no collection {collection!r}; one of {', '.join(self._docs)}")
        return self._all(collection)

    @property
    def stored_models(self) -> list[dict[str, Any]]:
        """Stored models, oldest first (copies)."""
        return self._all("storedModels")

    @property
    def snapshots(self) -> list[dict[str, Any]]:
        """Deployable models (snapshots), oldest first (copies)."""
        return self._all("deployableModels")

    @property
    def runtimes(self) -> list[dict[str, Any]]:
        """Runtimes, in registration order (copies)."""
        return self._all("runtimes")

    @property
    def jobs(self) -> list[dict[str, Any]]:
        """Batch jobs, oldest first (copies)."""
        return self._all("jobs")

    @property
    def deployments(self) -> list[dict[str, Any]]:
        """Deployed models, oldest first (copies)."""
        return self._all("deployedModels")

    @property
    def test_results(self) -> list[dict[str, Any]]:
        """Model test results, oldest first (copies)."""
        return self._all("modelTestResults")

    @property
    def notifications(self) -> list[dict[str, Any]]:
        """Notifications, oldest first (copies)."""
        return self._all("notifications")

    @property
    def audit_records(self) -> list[dict[str, Any]]:
        """Audit records, oldest first (copies)."""
        return self._all("auditRecords")

    def __repr__(self) -> str:
        """Describe the fake and where it listens."""
        where = self.url if self._server is not None else "not running"
        return f"FakeModelOpCenter({where})"
