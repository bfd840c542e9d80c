"""Webhooks from Jira and ServiceNow: verify them, then name the key that wakes the waiters."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from pydantic import SecretStr

from modelop_mlc.clock import Clock, SystemClock
from modelop_mlc.errors import ConfigurationError, MlcError
from modelop_mlc.tickets._port import wake_key

__all__ = [
    "JIRA_IDENTIFIER",
    "JIRA_SIGNATURE",
    "SERVICENOW_SECRET_HEADER",
    "WebhookGuard",
    "WebhookRejectedError",
    "jira_webhook_wake_key",
    "servicenow_event_wake_key",
    "verify_jira_signature",
]


def jira_webhook_wake_key(payload: Mapping[str, Any]) -> str | None:
    """Return the wake key for a Jira webhook body, or None when it is not about an issue.

    Jira posts `{"webhookEvent": "jira:issue_updated", "issue": {"key": "MLC-7", ...},
    "changelog": {...}}` (also `jira:issue_created` and `jira:issue_deleted`). Every issue
    event wakes the waiters, which then read the issue and decide for themselves, so a
    webhook never has to be trusted for the status it reports.

    Args:
        payload: The JSON body Jira posted.

    Returns:
        `ticket:jira:<key>`, or None.
    """
    event = str(payload.get("webhookEvent") or "")
    issue = payload.get("issue")
    if not event.startswith("jira:issue_") or not isinstance(issue, Mapping):
        return None
    key = issue.get("key")
    return wake_key("jira", str(key)) if key else None


def servicenow_event_wake_key(payload: Mapping[str, Any]) -> str | None:
    """Return the wake key for a ServiceNow event, or None when it names no record number.

    ServiceNow has no standard outbound webhook; a business rule's REST message posts
    `{"table": "change_request", "sys_id": "...", "number": "CHG0030001", "state": "-2",
    "approval": "approved", ...}` (the shape `FakeServiceNow.event_payload()` produces and
    docs/tickets.md describes). The record itself is accepted too, bare or in the Table API's
    `{"result": {...}}` wrapper, with plain or `{"value", "display_value"}` field values.
    Waiters read the record themselves.

    Args:
        payload: The JSON body the business rule posted.

    Returns:
        `ticket:servicenow:<number>`, or None.
    """
    number = _number(payload)
    for nested in ("fields", "result"):
        inner = payload.get(nested)
        if not number and isinstance(inner, Mapping):
            number = _number(inner)
    return wake_key("servicenow", number) if number else None


def _number(record: Mapping[str, Any]) -> str | None:
    value = record.get("number")
    if isinstance(value, Mapping):
        value = value.get("value") or value.get("display_value")
    return str(value) if value else None


# ---------------------------------------------------------------------------- verification

JIRA_SIGNATURE = "X-Hub-Signature"
"""The header Jira (Cloud and Data Center) signs admin webhooks with: `sha256=<hex HMAC>`."""
JIRA_IDENTIFIER = "X-Atlassian-Webhook-Identifier"
"""The header naming a Jira delivery; it stays the same when Jira retries the delivery."""
SERVICENOW_SECRET_HEADER = "X-MLC-Webhook-Secret"  # noqa: S105 - a header name
"""The default header a ServiceNow REST message sends the shared secret in."""


class WebhookRejectedError(MlcError):
    """A webhook delivery was refused before it could wake anything.

    Attributes:
        status: The HTTP status to answer: 401 (unsigned or badly signed), 409 (replayed or
            stale) or 400 (not a JSON object).
        reason: The counter it was counted under: `unsigned`, `bad_signature`, `replayed`,
            `stale` or `malformed`.
    """

    def __init__(self, message: str, *, status: int, reason: str) -> None:
        """Create the error."""
        super().__init__(message)
        self.status = status
        self.reason = reason


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def verify_jira_signature(raw_body: bytes, headers: Mapping[str, str], secret: str | bytes) -> bool:
    """Tell whether a Jira webhook delivery carries a valid `X-Hub-Signature`.

    Jira signs the raw body of an admin webhook registered with a secret with HMAC-SHA256 and
    sends `X-Hub-Signature: sha256=<hex digest>` (the WebSub format). The comparison takes
    the same time whatever the digest (`hmac.compare_digest`).

    Args:
        raw_body: The body exactly as received (before any JSON parsing).
        headers: The request headers (any mapping; names are matched ignoring case).
        secret: The webhook's secret.

    Returns:
        True only for a `sha256=` signature that matches.
    """
    value = _header(headers, JIRA_SIGNATURE)
    if not value or not secret:
        return False
    method, _, signature = value.strip().partition("=")
    if method.lower() != "sha256" or not signature:
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = hmac.new(key, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


class WebhookGuard:
    """Checks webhook deliveries before they wake anything, and counts what it refuses.

    Jira deliveries must be signed (`X-Hub-Signature`), no older than `window` by their
    `timestamp`, and not seen before within `window` by `X-Atlassian-Webhook-Identifier`
    (Jira keeps it across its retries; without it, the body's hash stands in). ServiceNow has
    no signing, so its REST message sends a shared secret in a header when one is configured;
    its deliveries are de-duplicated by record number and `updated_on`.

    Delivery ids are remembered in memory, at most `remember` of them for `window` each.
    That is enough because a delivery only wakes waiters, which then read the ticket
    themselves: a duplicate that slips through (after a restart, or on another host) costs
    one extra read, never a wrong decision. The bound keeps a flood of distinct deliveries
    from growing memory.

    Args:
        jira_secret: The secret of the Jira webhook; without it every Jira delivery is
            refused (401).
        servicenow_secret: The shared secret ServiceNow sends; without it ServiceNow
            deliveries are not authenticated.
        servicenow_header: The header carrying it.
        window: How old a Jira delivery may be, and how long delivery ids are remembered.
        remember: How many delivery ids are remembered at most.
        clock: The current time (the manager's clock in tests).
    """

    def __init__(
        self,
        *,
        jira_secret: str | SecretStr | None = None,
        servicenow_secret: str | SecretStr | None = None,
        servicenow_header: str = SERVICENOW_SECRET_HEADER,
        window: timedelta = timedelta(minutes=30),
        remember: int = 10_000,
        clock: Clock | None = None,
    ) -> None:
        """Create the guard."""
        if remember < 1 or window <= timedelta(0):
            raise ConfigurationError(
                f"WebhookGuard needs remember >= 1 and a positive window, got {remember}, {window}"
            )
        self._jira = _secret(jira_secret)
        self._servicenow = _secret(servicenow_secret)
        self.servicenow_header = servicenow_header
        self.window = window
        self.remember = remember
        self.clock: Clock = clock or SystemClock()
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Describe the guard (never the secrets)."""
        return f"WebhookGuard(window={self.window}, remember={self.remember})"

    def counts(self) -> dict[str, int]:
        """Deliveries so far by outcome: `<system>.accepted`, `<system>.unsigned`, ..."""
        with self._lock:
            return dict(self._counts)

    def check_jira(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Verify a Jira delivery and return its JSON body.

        Raises:
            WebhookRejectedError: 401 if unsigned or badly signed, 409 if replayed or older than
                the window, 400 if the body is not a JSON object.
        """
        if not self._jira:
            self._refuse("jira", "unsigned", 401, "no Jira webhook secret is configured")
        if _header(headers, JIRA_SIGNATURE) is None:
            self._refuse("jira", "unsigned", 401, f"the {JIRA_SIGNATURE} header is missing")
        if not verify_jira_signature(raw_body, headers, self._jira):
            self._refuse("jira", "bad_signature", 401, f"the {JIRA_SIGNATURE} does not match")
        payload = self._json("jira", raw_body)
        now = self.clock.now()
        stamp = payload.get("timestamp")
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            sent = datetime.fromtimestamp(stamp / 1000, tz=UTC)
            if abs(now - sent) > self.window:
                self._refuse(
                    "jira", "stale", 409, f"sent at {sent.isoformat()}, outside {self.window}"
                )
        identifier = _header(headers, JIRA_IDENTIFIER) or hashlib.sha256(raw_body).hexdigest()
        self._first_time("jira", f"jira:{identifier}", now)
        return payload

    def check_servicenow(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Verify a ServiceNow delivery and return its JSON body.

        Raises:
            WebhookRejectedError: 401 if a secret is configured and the header is missing or
                wrong, 409 if the same record version was delivered before, 400 if the body
                is not a JSON object.
        """
        if self._servicenow:
            sent = _header(headers, self.servicenow_header)
            if sent is None:
                self._refuse(
                    "servicenow", "unsigned", 401, f"the {self.servicenow_header} header is missing"
                )
            if not hmac.compare_digest(sent.encode(), self._servicenow.encode()):
                self._refuse(
                    "servicenow", "bad_signature", 401, f"the {self.servicenow_header} is wrong"
                )
        payload = self._json("servicenow", raw_body)
        number = _number(payload) or ""
        version = str(payload.get("updated_on") or payload.get("sys_mod_count") or "")
        identity = f"{number}@{version}" if number and version else None
        identifier = identity or hashlib.sha256(raw_body).hexdigest()
        self._first_time("servicenow", f"servicenow:{identifier}", self.clock.now())
        return payload

    def admit(self, system: str, identifier: str) -> None:
        """Accept a delivery another party verified (MLflow's: `MlflowCenter.verify_webhook`).

        Raises:
            WebhookRejectedError: 409 if the delivery `identifier` was received before.
        """
        self._first_time(system, f"{system}:{identifier}", self.clock.now())

    def count_refusal(self, system: str, reason: str) -> None:
        """Count a delivery another party refused (`<system>.<reason>` in `counts()`)."""
        with self._lock:
            self._counts[f"{system}.{reason}"] += 1

    def _json(self, system: str, raw_body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(raw_body or b"null")
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            self._refuse(system, "malformed", 400, "the body is not a JSON object")
        return payload

    def _first_time(self, system: str, identifier: str, now: datetime) -> None:
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if now - seen_at <= self.window and len(self._seen) < self.remember:
                    break
                del self._seen[oldest]
            if identifier in self._seen:
                self._counts[f"{system}.replayed"] += 1
                raise WebhookRejectedError(
                    f"{_LABELS.get(system, system)} webhook refused: delivery "
                    f"{identifier.split(':', 1)[1]} "
                    "was already received",
                    status=409,
                    reason="replayed",
                )
            self._seen[identifier] = now
            self._counts[f"{system}.accepted"] += 1

    def _refuse(self, system: str, reason: str, status: int, why: str) -> NoReturn:
        with self._lock:
            self._counts[f"{system}.{reason}"] += 1
        raise WebhookRejectedError(
            f"{_LABELS[system]} webhook refused: {why}", status=status, reason=reason
        )


_LABELS = {"jira": "Jira", "servicenow": "ServiceNow"}


def _secret(value: str | SecretStr | None) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value or ""
