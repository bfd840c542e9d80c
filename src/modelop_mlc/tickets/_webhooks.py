"""Turn what Jira and ServiceNow post about a ticket into the key that wakes its waiters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.tickets._port import wake_key

__all__ = ["jira_webhook_wake_key", "servicenow_event_wake_key"]


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
