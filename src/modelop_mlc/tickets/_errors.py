"""One mapping from HTTP failures to `IntegrationError`, shared by the ticket adapters.

Jira and ServiceNow thus retry the same way, and neither puts a credential in a message.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth
from urllib3.exceptions import MaxRetryError, NewConnectionError

from modelop_mlc.errors import IntegrationError

__all__ = [
    "check_base_url",
    "http_failure",
    "maybe_applied",
    "retryable_status",
    "session_secrets",
    "transport_failure",
]

_MIN_SECRET = 4
_SECRET_HEADERS = ("authorization", "x-sn-apikey")

_MAX_DETAIL = 300
_HINTS = {
    400: "the request was refused; check the configured names (issue type, fields, table)",
    401: "the credentials were refused; check the configured user and token (it may have "
    "been revoked or expired)",
    403: "the account lacks permission for this; ask an administrator to grant it",
    404: "it does not exist, or the account cannot see it",
    409: "it conflicts with the current state",
}


def check_base_url(value: str) -> str:
    """Validate a configured base URL: http(s), a host, no credentials; drop a trailing `/`.

    Raises:
        ValueError: If the URL is not usable (pydantic reports it as a validation error).
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    if parts.username or parts.password:
        raise ValueError("put credentials in the username and token fields, not in the URL")
    return value.rstrip("/")


def _scrub(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a header is replaced whole before the token inside it.
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _basic(user: str, password: str) -> list[str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [password, encoded, f"Basic {encoded}"]


def session_secrets(
    session: requests.Session | None = None, *, basic: tuple[str, str] | None = None
) -> list[str]:
    """Every credential a session (or a user and password) could leak into a message.

    That is the password and its base64 Basic form, bearer tokens and API keys in the
    session's headers, an OAuth session's access and refresh tokens, and whatever the
    session's `auth` reports through a `secrets()` method (as the ServiceNow OAuth auth does).
    """
    found: list[str] = []
    if basic is not None:
        found += _basic(*basic)
    if session is None:
        return found
    for name, value in session.headers.items():
        if name.lower() in _SECRET_HEADERS and isinstance(value, str):
            found += [value, value.partition(" ")[2]]
    auth = session.auth
    if isinstance(auth, HTTPBasicAuth):
        found += _basic(str(auth.username), str(auth.password))
    elif isinstance(auth, tuple) and len(auth) == 2:  # noqa: PLR2004 - (user, password)
        found += _basic(str(auth[0]), str(auth[1]))
    reported = getattr(auth, "secrets", None)
    if callable(reported):
        found += [str(secret) for secret in reported()]
    token = getattr(session, "token", None)
    if isinstance(token, Mapping):
        found += [str(token[k]) for k in ("access_token", "refresh_token") if token.get(k)]
    return [secret for secret in found if secret]


def maybe_applied(error: IntegrationError) -> bool:
    """Tell whether a failed write may still have taken effect on the remote side.

    A 4xx answer (429 included) means the request was refused; a connection that was never
    opened carried nothing. A 5xx, a timeout or a connection lost mid-way may have been
    applied before the answer was lost.
    """
    status = error.status_code
    if status is not None:
        return status >= 500 or status == 408  # noqa: PLR2004 - server-side failures
    cause = error.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return False
    if isinstance(cause, requests.ConnectionError):
        reasons = [
            getattr(arg, "reason", None) for arg in cause.args if isinstance(arg, MaxRetryError)
        ]
        return not any(isinstance(reason, NewConnectionError) for reason in reasons)
    return True


def _clean(detail: str | None) -> str:
    text = " ".join((detail or "").split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def retryable_status(status: int | None) -> bool:
    """Tell whether an HTTP status is worth retrying later: 429, 408 and 5xx."""
    return status is not None and (status in {408, 429} or status >= 500)  # noqa: PLR2004


def http_failure(
    service: str,
    label: str,
    action: str,
    status: int | None,
    *,
    detail: str | None = None,
    retry_after: str | None = None,
    secrets: Iterable[str] = (),
) -> IntegrationError:
    """Build the error for an HTTP error answer.

    Args:
        service: `"jira"` or `"servicenow"` (the error's `service`).
        label: The human name, `"Jira"` or `"ServiceNow"`.
        action: What was attempted and where: `"create issue in project MLC"`.
        status: The HTTP status, or None when the client failed without one.
        detail: The remote system's own error text, if any (shortened).
        retry_after: The `Retry-After` header, a hint for when to try again.
        secrets: Credentials that must not appear in the message.

    Returns:
        The error; `retryable` for 408, 429 and 5xx.
    """
    retryable = retryable_status(status)
    head = f"{label} {action} failed" + (f" (HTTP {status})" if status is not None else "")
    parts = [head]
    if detail:
        parts.append(_clean(detail))
    if status == 429:  # noqa: PLR2004 - rate limited
        wait = f" after {retry_after} s" if retry_after else " later"
        parts.append(f"rate limited; {label} asks to retry{wait}; the job will be retried")
    elif retryable:
        parts.append(f"{label} is unavailable; the job will be retried")
    elif status in _HINTS:
        parts.append(_HINTS[status])
    message = _scrub("; ".join(parts), secrets)
    return IntegrationError(message, service=service, status_code=status, retryable=retryable)


def transport_failure(
    service: str,
    label: str,
    action: str,
    error: requests.RequestException,
    *,
    url: str,
    timeout: float,
    secrets: Iterable[str] = (),
) -> IntegrationError:
    """Build the (retryable) error for a connection failure or a timeout.

    Args:
        service: `"jira"` or `"servicenow"`.
        label: `"Jira"` or `"ServiceNow"`.
        action: What was attempted and where.
        error: What `requests` raised.
        url: The configured base URL.
        timeout: The configured timeout in seconds.
        secrets: Credentials that must not appear in the message.

    Returns:
        The error, always `retryable`.
    """
    if isinstance(error, requests.Timeout):
        why = f"{label} at {url} did not answer within {timeout:g} s"
    else:
        why = f"{label} at {url} could not be reached ({type(error).__name__})"
    message = _scrub(f"{label} {action} failed: {why}; the job will be retried", secrets)
    return IntegrationError(message, service=service, retryable=True)
