"""One mapping from HTTP failures to `IntegrationError`, shared by the ticket adapters.

Jira and ServiceNow thus retry the same way, and neither puts a credential in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import requests

from modelop_mlc.errors import IntegrationError

__all__ = ["check_base_url", "http_failure", "retryable_status", "transport_failure"]

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
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


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
