"""HTTP plumbing of `RestCenter`: the token exchange, one call, and failures as our errors.

Retry policy: a call makes one attempt and reports a transient failure (connection error,
timeout, 408, 429, 5xx) as `IntegrationError(retryable=True)`, so the engine retries the whole
job with its own backoff. Nothing here ever waits. Only two re-sends happen at once, within
`max_attempts`: after a 401, with a freshly exchanged token (once), and a GET whose connection
was dropped before any answer (a stale keep-alive connection; GET is safe to repeat).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock, ensure_utc
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["API_PATH", "SERVICE", "TOKEN_PATH", "Transport"]

log = logging.getLogger("modelop_mlc.center.rest")

SERVICE = "modelop"
API_PATH = "/model-manage/api/"
TOKEN_PATH = "/gocli/token"  # noqa: S105 - a URL path, not a password
# Refresh a little early so a token does not expire between the check and the server.
_REFRESH_MARGIN = timedelta(seconds=30)
_RETRYABLE = frozenset({408, 425, 429})
_MAX_MESSAGE = 300
# RFC 6750 b64token characters ("/" and "=" aside); a regex, not a password.
_TOKEN_CHAR = r"[A-Za-z0-9._~+-]"  # noqa: S105


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Transport:
    """Sends authenticated requests to one ModelOp Center and maps failures to errors."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None,
        client_secret: SecretStr | None,
        token: SecretStr | None,
        session: requests.Session | None,
        timeout: float,
        max_attempts: int,
        clock: Clock,
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
                "RestCenter's base URL must not carry credentials; pass client_id and "
                "client_secret, or token"
            )
        if (client_id is None) != (client_secret is None):
            raise ConfigurationError(
                "RestCenter needs both client_id and client_secret, or neither"
            )
        if client_id is None and token is None:
            raise ConfigurationError(
                "RestCenter needs credentials: client_id and client_secret (exchanged at "
                "/gocli/token), or a bearer token"
            )
        if timeout <= 0 or max_attempts < 1:
            raise ConfigurationError(
                f"RestCenter needs timeout > 0 and max_attempts >= 1, got {timeout}, {max_attempts}"
            )
        self.base_url = base_url.rstrip("/")
        self._origin = (
            parts.scheme,
            parts.hostname.lower(),
            parts.port or _default_port(parts.scheme),
        )
        self._client_id = client_id
        self._client_secret = client_secret
        self._token = token
        self._expires_at: datetime | None = None
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._clock = clock
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self._own_session:
            self._session.close()

    # -- tokens ------------------------------------------------------------------------------

    def _bearer(self) -> str:
        with self._lock:
            token, expires = self._token, self._expires_at
            now = self._clock.now()
            if token is not None and (expires is None or now < expires - _REFRESH_MARGIN):
                return token.get_secret_value()
            if self._client_id is None and token is not None:
                return token.get_secret_value()  # a given token cannot be renewed; try it
            return self._exchange()

    def _refresh(self, stale: str) -> None:
        """Exchange a new token unless another thread already replaced `stale`."""
        with self._lock:
            if self._token is None or self._token.get_secret_value() == stale:
                self._exchange()

    def _exchange(self) -> str:
        """Exchange the client credentials at /gocli/token (lock held)."""
        assert self._client_id is not None  # callers check: only credentials can be exchanged
        assert self._client_secret is not None
        label = f"token exchange POST {TOKEN_PATH} for client '{self._client_id}'"
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        try:
            response = self._session.post(
                self.base_url + TOKEN_PATH,
                data=form,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as err:
            raise self._transport_error(label, err) from err
        if not response.ok:
            hint = (
                "; check client_id and client_secret" if response.status_code in {400, 401} else ""
            )
            raise self._status_error(label, response, hint=hint)
        try:
            payload: Any = response.json()
        except ValueError:
            payload = response.text.strip()  # some gateways answer with the bare token
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
        log.debug("exchanged a ModelOp Center token for client %s", self._client_id)
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
    ) -> Any:
        """Call `{base_url}/model-manage/api/{path}` and return the parsed JSON body.

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
        response = self._send(
            method, url, params=params, data=data, headers=headers, missing=missing
        )
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
        response = self._send(
            "GET", url, params=None, data=None, headers={"Accept": "*/*"}, missing=missing
        )
        return response.text

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        data: bytes | None,
        headers: Mapping[str, str],
        missing: tuple[str, str] | None,
    ) -> requests.Response:
        label = f"{method} {urlsplit(url).path}"
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            bearer = self._bearer()
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
            except requests.Timeout as err:
                raise self._transport_error(f"call {label}", err) from err
            except requests.ConnectionError as err:
                if method == "GET" and attempt < self._max_attempts:
                    log.debug("%s: connection dropped (%s); sending again", label, err)
                    continue
                raise self._transport_error(f"call {label}", err) from err
            except requests.RequestException as err:
                raise self._transport_error(f"call {label}", err) from err
            log.debug("%s -> %s", label, response.status_code)
            if response.ok:
                return response
            can_refresh = self._client_id is not None and not refreshed
            if response.status_code == 401 and can_refresh and attempt < self._max_attempts:  # noqa: PLR2004
                self._refresh(bearer)
                refreshed = True
                continue
            if response.status_code == 404 and missing is not None:  # noqa: PLR2004
                raise ModelOpNotFoundError(*missing)
            hint = {
                401: "; the token was refused: check the credentials",
                403: "; the credentials lack the permission for this call",
                404: "; check the base URL",
            }.get(response.status_code, "")
            raise self._status_error(f"call {label}", response, hint=hint)

    # -- errors ------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Mask the token and secret where a server echoes them.

        Only whole tokens are masked, so a short token like "t" does not mangle every word.
        """
        for secret in (self._token, self._client_secret):
            value = secret.get_secret_value() if secret is not None else ""
            if value:
                text = re.sub(
                    rf"(?<!{_TOKEN_CHAR}){re.escape(value)}(?!{_TOKEN_CHAR})", "***", text
                )
        return text

    def _transport_error(self, label: str, err: requests.RequestException) -> IntegrationError:
        if isinstance(err, requests.Timeout):
            what = f"timed out after {self._timeout:g} s"
        elif isinstance(err, requests.ConnectionError):
            what = "could not connect or lost the connection"
        else:
            what = f"failed: {type(err).__name__}"
            return IntegrationError(
                self._redact(f"ModelOp Center {label} {what}: {err}"), service=SERVICE
            )
        return IntegrationError(
            self._redact(
                f"ModelOp Center {label} {what} ({type(err).__name__}); the step is retried"
            ),
            service=SERVICE,
            retryable=True,
        )

    def _status_error(
        self, label: str, response: requests.Response, *, hint: str = ""
    ) -> IntegrationError:
        status = response.status_code
        retryable = status in _RETRYABLE or status >= 500  # noqa: PLR2004 - server errors
        text = f"ModelOp Center {label} failed with {status} {response.reason or ''}".rstrip()
        detail = _server_message(response)
        if detail:
            text += f": {detail}"
        if status == 429:  # noqa: PLR2004
            wait = self._retry_after(response.headers.get("Retry-After"))
            text += (
                f"; the center asks to retry after {wait} s (Retry-After)"
                if wait is not None
                else "; the center is rate limiting"
            )
        text += hint
        if retryable:
            text += "; the step is retried"
        return IntegrationError(
            self._redact(text), service=SERVICE, status_code=status, retryable=retryable
        )

    def _retry_after(self, value: str | None) -> int | None:
        if not value:
            return None
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            moment = ensure_utc(parsedate_to_datetime(text))
        except (TypeError, ValueError):
            return None
        return max(0, int((moment - self._clock.now()).total_seconds()))


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
