"""HTTP plumbing of `RestCenter`: the token exchange, calls with retries, failures as errors.

Retry policy: a transient failure (connection error, timeout, 408, 425, 429, 5xx) is tried
again up to `max_attempts` requests per call, after `backoff` seconds doubling each time, or
after the `Retry-After` the center asks for; no single wait is longer than `max_wait`. A
`Retry-After` beyond it is not waited out: the call fails at once, retryably, and the engine
retries the step later. Waiting goes through the injected `sleep`, so tests move a
`ManualClock` instead of sleeping. When the attempts run out, `IntegrationError(retryable=True)`
lets the engine retry the whole job with its own cycle, then raise an incident.

A POST is sent again only when the center cannot have acted on it (429, 503, or a connection
that was never made); any other retry of a create goes through `RestCenter`, which looks up
the object its idempotency key marks before posting again.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr
from urllib3.exceptions import NewConnectionError

from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock, ensure_utc
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = [
    "API_PATH",
    "SERVICE",
    "TOKEN_PATH",
    "Credentials",
    "Transport",
    "every_transient",
    "unprocessed_only",
]

log = logging.getLogger("modelop_mlc.center.rest")

T = TypeVar("T")
SERVICE = "modelop"
API_PATH = "/model-manage/api/"
TOKEN_PATH = "/gocli/token"  # noqa: S105 - a URL path, not a password
# Refresh a little early so a token does not expire between the check and the server.
_REFRESH_MARGIN = timedelta(seconds=30)
_RETRYABLE = frozenset({408, 425, 429})
# Answers that say the request was not acted on, so even a POST may be sent again.
_UNPROCESSED = frozenset({429, 503})
_MAX_MESSAGE = 300
# RFC 6750 b64token characters ("/" and "=" aside); a regex, not a password.
_TOKEN_CHAR = r"[A-Za-z0-9._~+-]"  # noqa: S105


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class Credentials:
    """What `/gocli/token` exchanges for a bearer token.

    `kind` is `password` (ModelOp's own form fields `username` and `password`) or `client`
    (OAuth2 client credentials: `grant_type=client_credentials`, `client_id`,
    `client_secret`).
    """

    kind: str
    name: str
    secret: SecretStr

    def form(self) -> dict[str, str]:
        """The form fields of the exchange."""
        if self.kind == "password":
            return {"username": self.name, "password": self.secret.get_secret_value()}
        return {
            "grant_type": "client_credentials",
            "client_id": self.name,
            "client_secret": self.secret.get_secret_value(),
        }

    def label(self) -> str:
        """Who is exchanging, for messages (never the secret)."""
        return f"{'user' if self.kind == 'password' else 'client'} '{self.name}'"

    def hint(self) -> str:
        """What to check when the exchange is refused."""
        return (
            "check username and password"
            if self.kind == "password"
            else "check client_id and client_secret"
        )


class _Transient(Exception):  # noqa: N818 - control flow inside the transport, never raised out
    """A failure worth another attempt, and the error to raise when none is left."""

    def __init__(
        self,
        text: str,
        *,
        status_code: int | None,
        retry_after: float | None,
        unprocessed: bool,
        cause: BaseException | None,
    ) -> None:
        super().__init__(text)
        self.text = text
        self.status_code = status_code
        self.retry_after = retry_after
        self.unprocessed = unprocessed
        self.cause = cause

    def error(self, why: str) -> IntegrationError:
        """The retryable error for the caller: what failed, and why no attempt is left."""
        return IntegrationError(
            f"{self.text}; {why}; the step is retried",
            service=SERVICE,
            status_code=self.status_code,
            retryable=True,
        )


def every_transient(_: _Transient) -> bool:
    """Send again after any transient failure (reads, PATCHes, creates with a key)."""
    return True


def unprocessed_only(transient: _Transient) -> bool:
    """Send again only when the center cannot have acted on the request (a POST)."""
    return transient.unprocessed


class Transport:
    """Sends authenticated requests to one ModelOp Center, retries, and maps failures."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Credentials | None,
        token: SecretStr | None,
        session: requests.Session | None,
        timeout: float,
        max_attempts: int,
        backoff: float,
        max_wait: float,
        clock: Clock,
        sleep: Callable[[float], None] | None,
    ) -> None:
        """Check the settings; no request is made until the first call."""
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigurationError(
                f"RestCenter needs an http(s) base URL such as https://moc.example.com, "
                f"got {base_url!r}"
            )
        if parts.username or parts.password:
            raise ConfigurationError(
                "RestCenter's base URL must not carry credentials; pass username and "
                "password, client_id and client_secret, or token"
            )
        if credentials is None and token is None:
            raise ConfigurationError(
                "RestCenter needs credentials: username and password, or client_id and "
                "client_secret (exchanged at /gocli/token), or a bearer token"
            )
        if timeout <= 0 or max_attempts < 1 or backoff < 0 or max_wait < 0:
            raise ConfigurationError(
                "RestCenter needs timeout > 0, max_attempts >= 1, backoff >= 0 and "
                f"max_wait >= 0, got {timeout}, {max_attempts}, {backoff}, {max_wait}"
            )
        self.base_url = base_url.rstrip("/")
        self._origin = (
            parts.scheme,
            parts.hostname.lower(),
            parts.port or _default_port(parts.scheme),
        )
        self._credentials = credentials
        self._token = token
        self._expires_at: datetime | None = None
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep if sleep is not None else time.sleep
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self._own_session:
            self._session.close()

    # -- retries -----------------------------------------------------------------------------

    def retrying(
        self,
        operation: Callable[[], T],
        *,
        resend: Callable[[_Transient], bool] = every_transient,
    ) -> T:
        """Run `operation` until it succeeds, fails for good, or the attempts run out.

        `operation` makes single attempts (`call(..., once=True)`); `resend` decides
        whether a transient failure may be tried again.

        Raises:
            IntegrationError: When a failure is final or no attempt is left.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation()
            except _Transient as transient:
                if not resend(transient):
                    why = "not sent again, as the center may have acted on it"
                elif attempt >= self._max_attempts:
                    why = f"gave up after {attempt} attempt{'s' if attempt > 1 else ''}"
                else:
                    wait = self._wait(attempt, transient.retry_after)
                    if wait is not None:
                        log.info(
                            "%s; attempt %d of %d in %g s",
                            transient.text,
                            attempt + 1,
                            self._max_attempts,
                            wait,
                        )
                        if wait > 0:
                            self._sleep(wait)
                        continue
                    why = (
                        f"Retry-After is longer than max_wait ({self._max_wait:g} s), so it "
                        "is not waited out here"
                    )
                raise transient.error(why) from transient.cause

    def _wait(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`; None when it is too long to wait."""
        if retry_after is not None:
            return retry_after if retry_after <= self._max_wait else None
        delay: float = self._backoff * 2.0 ** (attempt - 1)
        return min(delay, self._max_wait)

    # -- tokens ------------------------------------------------------------------------------

    def _bearer(self) -> str:
        with self._lock:
            token, expires = self._token, self._expires_at
            now = self._clock.now()
            if token is not None and (expires is None or now < expires - _REFRESH_MARGIN):
                return token.get_secret_value()
            if self._credentials is None and token is not None:
                return token.get_secret_value()  # a given token cannot be renewed; try it
            return self._exchange()

    def _refresh(self, stale: str) -> None:
        """Exchange a new token unless another thread already replaced `stale`."""
        with self._lock:
            if self._token is None or self._token.get_secret_value() == stale:
                self._exchange()

    def _exchange(self) -> str:
        """Exchange the credentials at /gocli/token (lock held)."""
        credentials = self._credentials
        assert credentials is not None  # callers check: only credentials can be exchanged
        label = f"token exchange POST {TOKEN_PATH} for {credentials.label()}"
        try:
            response = self._session.post(
                self.base_url + TOKEN_PATH,
                data=credentials.form(),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as err:
            raise self._transport_failure(label, err) from err
        if not response.ok:
            hint = f"; {credentials.hint()}" if response.status_code in {400, 401} else ""
            raise self._status_failure(label, response, hint=hint)
        try:
            payload: Any = response.json()
        except ValueError:
            payload = response.text.strip()  # ModelOp's gateway may answer the bare token
        token = payload.get("access_token") if isinstance(payload, Mapping) else payload
        if not isinstance(token, str) or not token:
            raise IntegrationError(
                f"ModelOp Center {label} answered without an access_token", service=SERVICE
            )
        expires_in = payload.get("expires_in") if isinstance(payload, Mapping) else None
        self._token = SecretStr(token)
        self._expires_at = (
            self._clock.now() + timedelta(seconds=float(expires_in))
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else None
        )
        log.debug("exchanged a ModelOp Center token for %s", credentials.label())
        return token

    # -- calls -------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        missing: tuple[str, str] | None = None,
        once: bool = False,
    ) -> Any:
        """Call `{base_url}/model-manage/api/{path}` and return the parsed JSON body.

        GET and PATCH are retried on transient failures, POST only when the center cannot
        have acted on it. With `once`, a transient failure escapes as `_Transient` for the
        caller's own `retrying` loop (creates: look up, then post).

        Raises:
            ModelOpNotFoundError: On 404 when `missing` names the (kind, id) looked up.
            IntegrationError: On any other failure; `retryable` for transient ones.
        """
        headers = {"Accept": "application/hal+json, application/json"}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body, default=_json_default).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        url = self.base_url + API_PATH + path

        def attempt() -> Any:
            response = self._attempt(
                method, url, params=params, data=data, headers=headers, missing=missing
            )
            return self._parse(method, url, response)

        if once:
            return attempt()
        resend = unprocessed_only if method == "POST" else every_transient
        return self.retrying(attempt, resend=resend)

    @staticmethod
    def _parse(method: str, url: str, response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as err:
            raise IntegrationError(
                f"ModelOp Center call {method} {urlsplit(url).path} answered "
                f"{response.status_code} with a body that is not JSON",
                service=SERVICE,
                status_code=response.status_code,
            ) from err

    def same_origin(self, url: str) -> bool:
        """Whether `url` is on the center's scheme, host and port."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return False
        origin = (parts.scheme, parts.hostname.lower(), parts.port or _default_port(parts.scheme))
        return origin == self._origin

    def fetch_text(self, url: str, missing: tuple[str, str]) -> str:
        """GET a file on the center's host with the center's token and return its text."""
        response = self.retrying(
            lambda: self._attempt(
                "GET", url, params=None, data=None, headers={"Accept": "*/*"}, missing=missing
            )
        )
        return response.text

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        data: bytes | None,
        headers: Mapping[str, str],
        missing: tuple[str, str] | None,
    ) -> requests.Response:
        """Send one request (again at once with a fresh token after a 401, once)."""
        label = f"call {method} {urlsplit(url).path}"
        refreshed = False
        while True:
            try:
                bearer = self._bearer()
            except _Transient as transient:
                transient.unprocessed = True  # the request itself was not sent
                raise
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers={**headers, "Authorization": f"Bearer {bearer}"},
                    timeout=self._timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as err:
                raise self._transport_failure(label, err) from err
            log.debug("%s -> %s", label, response.status_code)
            if response.ok:
                return response
            status = response.status_code
            if status == 401 and self._credentials is not None and not refreshed:  # noqa: PLR2004
                try:
                    self._refresh(bearer)
                except _Transient as transient:
                    transient.unprocessed = True  # the 401 says the request was not acted on
                    raise
                refreshed = True
                continue
            if status == 404 and missing is not None:  # noqa: PLR2004
                raise ModelOpNotFoundError(*missing)
            hint = {
                401: "; the token was refused: check the credentials (they may have been revoked)",
                403: "; the credentials lack the permission for this call",
                404: "; check the base URL",
            }.get(status, "")
            raise self._status_failure(label, response, hint=hint)

    # -- errors ------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Mask the token and the password or secret where a server echoes them.

        Only whole tokens are masked, so a short token like "t" does not mangle every word.
        """
        secrets = [self._token, self._credentials.secret if self._credentials else None]
        for secret in secrets:
            value = secret.get_secret_value() if secret is not None else ""
            if value:
                text = re.sub(
                    rf"(?<!{_TOKEN_CHAR}){re.escape(value)}(?!{_TOKEN_CHAR})", "***", text
                )
        return text

    def _transport_failure(
        self, label: str, err: requests.RequestException
    ) -> _Transient | IntegrationError:
        if isinstance(err, requests.Timeout):
            what = f"timed out after {self._timeout:g} s"
        elif isinstance(err, requests.ConnectionError):
            what = "could not connect or lost the connection"
        else:
            return IntegrationError(
                self._redact(f"ModelOp Center {label} failed: {type(err).__name__}: {err}"),
                service=SERVICE,
            )
        return _Transient(
            self._redact(f"ModelOp Center {label} {what} ({type(err).__name__})"),
            status_code=None,
            retry_after=None,
            unprocessed=_never_sent(err),
            cause=err,
        )

    def _status_failure(
        self, label: str, response: requests.Response, *, hint: str = ""
    ) -> _Transient | IntegrationError:
        status = response.status_code
        text = f"ModelOp Center {label} failed with {status} {response.reason or ''}".rstrip()
        detail = _server_message(response)
        if detail:
            text += f": {detail}"
        retry_after = None
        if status == 429:  # noqa: PLR2004 - rate limited
            retry_after = self._retry_after(response.headers.get("Retry-After"))
            text += (
                f"; the center asks to retry after {retry_after:g} s (Retry-After)"
                if retry_after is not None
                else "; the center is rate limiting"
            )
        elif status == 503:  # noqa: PLR2004 - Retry-After is usual with 503 too
            retry_after = self._retry_after(response.headers.get("Retry-After"))
        text = self._redact(text + hint)
        if status in _RETRYABLE or status >= 500:  # noqa: PLR2004 - server errors
            return _Transient(
                text,
                status_code=status,
                retry_after=retry_after,
                unprocessed=status in _UNPROCESSED,
                cause=None,
            )
        return IntegrationError(text, service=SERVICE, status_code=status, retryable=False)

    def _retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        text = value.strip()
        if text.isdigit():
            return float(text)
        try:
            moment = ensure_utc(parsedate_to_datetime(text))
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - self._clock.now()).total_seconds())


def _never_sent(err: requests.RequestException) -> bool:
    """Whether the connection was never made, so the center cannot have seen the request."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, NewConnectionError)


def _server_message(response: requests.Response) -> str:
    """The server's own explanation: Spring's `message`, OAuth's `error`, or the text."""
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:_MAX_MESSAGE]
    if isinstance(payload, Mapping):
        parts = [
            str(payload[key])
            for key in ("message", "error_description")
            if isinstance(payload.get(key), str) and payload[key]
        ]
        if not parts and payload.get("error"):
            parts = [str(payload["error"])]
        elif isinstance(payload.get("error"), str) and "error_description" in payload:
            parts.insert(0, str(payload["error"]))
        return ": ".join(parts)[:_MAX_MESSAGE]
    return str(payload)[:_MAX_MESSAGE]


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
