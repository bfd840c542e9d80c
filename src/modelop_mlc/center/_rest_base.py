"""The plumbing under `RestCenter`: construction, collections, creates, patches, replaces.

Creates never repeat (idempotency keys), collections are HAL pages, and ModelOp's JSON is
read into our records as it was written.

`RestCenter` (in `rest.py`) is built in layers: this module, then stored models, snapshots,
assets, runtimes and audit records (`_rest_catalogue.py`), then jobs, deployments, test
results and notifications (`rest.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, SecretStr, ValidationError

from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._rest_transport import (
    SERVICE,
    Credentials,
    Transport,
    unprocessed_only,
)
from modelop_mlc.clock import Clock, SystemClock, ensure_utc
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["IDEMPOTENCY_FIELD", "R"]

IDEMPOTENCY_FIELD = "mlcIdempotencyKey"
"""The field (in `custom`, or a job's `jobParameters`) that holds a creation's idempotency key."""

R = TypeVar("R", bound=BaseModel)
_PAGE_SIZE = 100
_MAX_PAGES = 1000  # a guard against a server whose paging never ends
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HAL_CONTROLS = frozenset({"_links", "_templates"})


class _RestBase:
    """Construction and plumbing of `RestCenter`."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: SecretStr | str | None = None,
        client_id: str | None = None,
        client_secret: SecretStr | str | None = None,
        token: SecretStr | str | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff: float = 0.5,
        max_wait: float = 10.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Create the center; nothing is sent until the first call."""
        self._http = Transport(
            base_url,
            credentials=_credentials(username, password, client_id, client_secret),
            token=_secret(token),
            session=session,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_wait=max_wait,
            clock=clock or SystemClock(),
            sleep=sleep,
        )
        self.base_url = self._http.base_url

    def close(self) -> None:
        """Close the HTTP session if the center created it."""
        self._http.close()

    def __enter__(self) -> Self:
        """Use the center as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the center."""
        self.close()

    def __repr__(self) -> str:
        """Describe the center by its URL only (never its credentials)."""
        return f"RestCenter({self.base_url!r})"

    # ------------------------------------------------------------------ plumbing

    def _one(self, cls: type[R], path: str, kind: str, object_id: str) -> R:
        if not object_id:
            raise ModelOpNotFoundError(kind, object_id)
        data = self._http.call("GET", f"{path}/{_segment(object_id)}", missing=(kind, object_id))
        return _record(cls, data, f"GET {path}/{{id}}")

    def _many(
        self, cls: type[R], path: str, params: Mapping[str, str | None], *, newest_first: bool
    ) -> list[R]:
        query: dict[str, str | int] = {k: v for k, v in params.items() if v is not None}
        query["size"] = _PAGE_SIZE
        if newest_first:
            query["sort"] = "createdDate,desc"
        found: list[R] = []
        for number in range(_MAX_PAGES):
            query["page"] = number
            body = self._http.call("GET", path, params=query)
            found.extend(_record(cls, item, f"GET {path}") for item in _embedded(body))
            page = body.get("page") if isinstance(body, Mapping) else None
            if not isinstance(page, Mapping) or number + 1 >= int(page.get("totalPages") or 0):
                break
        if newest_first:
            # Sorted here as well, in case a center ignores `sort`; the sort is stable, so the
            # server's order (newest first) decides between equal dates.
            found.sort(
                key=lambda r: ensure_utc(getattr(r, "created_date", None) or _EPOCH), reverse=True
            )
        return found

    def _create(
        self,
        cls: type[R],
        path: str,
        body: Mapping[str, Any],
        idempotency_key: str | None,
        earlier: Callable[[], R | None],
        *,
        looked_up: bool = False,
        searchable: bool = True,
    ) -> R:
        """POST `body`, retrying transient failures without ever creating twice.

        With a key, each attempt first looks for the object the key marks (`earlier`; the
        first attempt skips it when the caller has just `looked_up`), so a POST whose answer
        was lost is found rather than repeated. Without a key (or with one that cannot be
        `searchable`), a POST is sent again only when the center cannot have acted on it
        (429, 503, no connection).
        """
        attempts = 0

        def attempt() -> R:
            nonlocal attempts
            attempts += 1
            if idempotency_key is not None and (attempts > 1 or not looked_up):
                found = earlier()
                if found is not None:
                    return found
            data = self._http.call(
                "POST", path, body=body, idempotency_key=idempotency_key, once=True
            )
            return _record(cls, data, f"POST {path}")

        if idempotency_key is None or not searchable:
            return self._http.retrying(attempt, resend=unprocessed_only)
        return self._http.retrying(attempt)

    def _patch(
        self, cls: type[R], path: str, kind: str, object_id: str, patch: Mapping[str, Any]
    ) -> R:
        if not object_id:
            raise ModelOpNotFoundError(kind, object_id)
        data = self._http.call(
            "PATCH", f"{path}/{_segment(object_id)}", body=dict(patch), missing=(kind, object_id)
        )
        return _record(cls, data, f"PATCH {path}/{{id}}")

    def _replace(self, cls: type[R], path: str, kind: str, object_id: str, body: Any) -> R:
        """PUT a whole record in place (Spring Data REST replaces every field)."""
        if not object_id:
            raise ModelOpNotFoundError(kind, object_id)
        data = self._http.call(
            "PUT", f"{path}/{_segment(object_id)}", body=body, missing=(kind, object_id)
        )
        return _record(cls, data, f"PUT {path}/{{id}}")

    # ------------------------------------------------------------------ idempotency

    @staticmethod
    def _marked(
        candidates: Sequence[R],
        key: str | None,
        holder: Callable[[R], Any] = lambda r: getattr(r, "custom", None),
    ) -> R | None:
        """The newest of `candidates` whose key holder (`custom` by default) carries `key`."""
        if key is None:
            return None
        for candidate in candidates:
            fields = holder(candidate)
            if isinstance(fields, Mapping) and fields.get(IDEMPOTENCY_FIELD) == key:
                return candidate
        return None


def _secret(value: SecretStr | str | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


def _credentials(
    username: str | None,
    password: SecretStr | str | None,
    client_id: str | None,
    client_secret: SecretStr | str | None,
) -> Credentials | None:
    """The credentials to exchange, checked: one complete pair at most."""
    if (username is None) != (password is None):
        raise ConfigurationError("RestCenter needs both username and password, or neither")
    if (client_id is None) != (client_secret is None):
        raise ConfigurationError("RestCenter needs both client_id and client_secret, or neither")
    if username is not None and client_id is not None:
        raise ConfigurationError(
            "RestCenter takes username and password or client_id and client_secret, not both"
        )
    if username is not None:
        return Credentials("password", username, _secret(password) or SecretStr(""))
    if client_id is not None:
        return Credentials("client", client_id, _secret(client_secret) or SecretStr(""))
    return None


def _segment(object_id: str) -> str:
    return quote(object_id, safe="")


def _with_key(fields: Mapping[str, Any] | None, key: str | None) -> dict[str, Any]:
    merged = dict(fields or {})
    if key is not None:
        merged[IDEMPOTENCY_FIELD] = key
    return merged


def _strip_links(value: Any) -> Any:
    """Drop HAL's `_links` and `_templates` from a document, at every depth."""
    if isinstance(value, Mapping):
        return {k: _strip_links(v) for k, v in value.items() if k not in _HAL_CONTROLS}
    if isinstance(value, list):
        return [_strip_links(v) for v in value]
    return value


def _embedded(body: Any) -> list[Any]:
    """The items of a HAL collection, whatever relation names the center uses."""
    embedded = body.get("_embedded") if isinstance(body, Mapping) else None
    if not isinstance(embedded, Mapping):
        return []
    return [item for items in embedded.values() if isinstance(items, list) for item in items]


def _record(cls: type[R], data: Any, call: str) -> R:
    """Read one of our records from the center's JSON (kept as ModelOp wrote it)."""
    try:
        return cls.from_variable(_strip_links(data))  # type: ignore[attr-defined,no-any-return]
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in err.errors()[:5]
        )
        raise IntegrationError(
            f"ModelOp Center answered {call} with JSON that is not a {cls.__name__}: {problems}",
            service=SERVICE,
        ) from err
