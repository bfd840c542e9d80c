"""Delegates that open Jira and ServiceNow tickets and wait for people to act on them.

Under ModelOp's names (`CreateJiraModelReview`, `CreateServiceNowModelApproval`, ...) they
write `NEW_NOTIFICATION`; `WaitForTicketStatus` parks until the ticket reaches a status.
Where Jira or ServiceNow is not configured the tickets go to the embedded board
(`LocalTickets`), so every shipped process runs without either.

Failures: rate limits, 5xx answers, timeouts and connection errors are retried as jobs and
become incidents when retries run out. Refused credentials (401/403) and a misconfigured
manager are incidents too, never routed by the diagram: an operator must fix them and retry.
Other refusals (a bad field, a missing issue) are `BpmnError("FAILURE")`, as ModelOp does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.handlers._base import fail, modelop
from modelop_mlc.ports import TicketSystems
from modelop_mlc.registry import DelegateContext, Pending
from modelop_mlc.tickets import (
    DONE,
    REJECTED,
    Ticket,
    TicketKind,
    context_from_variables,
    wake_key,
)

__all__ = ["TICKET_DELEGATES", "ticket_notification"]

Result = Mapping[str, Any] | None

_POLL = timedelta(minutes=5)
_MAX_POLL = timedelta(hours=1)
_EXPIRATION_FIELD = "expiration date"
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
# ModelOp's delegate name suffix → the kind of ticket it opens.
_KINDS = {
    "ModelApproval": TicketKind.MODEL_APPROVAL,
    "ModelReview": TicketKind.MODEL_REVIEW,
    "ModelDocumentReview": TicketKind.MODEL_REVIEW,
    "TestReview": TicketKind.TEST_REVIEW,
    "JobNotification": TicketKind.JOB_FAILURE,
    "ModelNotification": TicketKind.NOTIFICATION,
    "StoredModelNotification": TicketKind.NOTIFICATION,
    "SimpleNotification": TicketKind.NOTIFICATION,
}
_SYSTEMS = {"jira": "Jira", "servicenow": "ServiceNow"}
_TICKET_INPUTS = (
    "MESSAGE",
    "NOTIFICATION_MESSAGE",
    "SUMMARY",
    "TICKET_KIND",
    "TICKET_FIELDS",
    "DEPLOYABLE_MODEL",
    "MODEL_TEST_RESULT",
    "TEST_RESULT",
    "TEST_RESULT_MESSAGE",
    "JOB",
)


def _tickets(ctx: DelegateContext) -> TicketSystems:
    if ctx.tickets is None:
        raise ConfigurationError(
            "no ticket systems are configured; pass LifecycleManager(tickets=Tickets(...))"
        )
    return ctx.tickets


def _link_ticket(ctx: DelegateContext, kind: TicketKind, ticket: Ticket) -> None:
    """Tell a center that records tickets on the model (MlflowCenter tags the version)."""
    link = getattr(ctx.center, "link_ticket", None)
    snapshot = ctx.get("DEPLOYABLE_MODEL")
    if callable(link) and isinstance(snapshot, Mapping) and snapshot.get("id"):
        link(str(snapshot["id"]), kind.value, ticket.key)


def ticket_notification(ticket: Ticket) -> dict[str, Any]:
    """Return the `NEW_NOTIFICATION` value for a ticket: key, system, kind, status, summary, url."""
    return {
        "key": ticket.key,
        "system": ticket.system,
        "kind": ticket.kind,
        "status": ticket.status,
        "summary": ticket.summary,
        "url": ticket.url,
    }


def _creator(system: str, kind: TicketKind) -> Callable[[DelegateContext], Result]:
    label = _SYSTEMS[system]

    def create(ctx: DelegateContext) -> Result:
        tickets = _tickets(ctx)
        chosen = kind
        override = ctx.inputs.get("TICKET_KIND")
        if override:
            try:
                chosen = TicketKind(str(override))
            except ValueError:
                kinds = ", ".join(k.value for k in TicketKind)
                raise fail(ctx, f"unknown TICKET_KIND '{override}'; one of {kinds}") from None
        target = tickets.for_system(system)
        variables = {**ctx.variables, **ctx.inputs}
        if not variables.get("MESSAGE") and variables.get("NOTIFICATION_MESSAGE"):
            # ModelOp's diagrams give the ticket text as NOTIFICATION_MESSAGE.
            variables["MESSAGE"] = variables["NOTIFICATION_MESSAGE"]
        context = context_from_variables(
            chosen,
            variables,
            instance_id=ctx.instance_id,
            activity_id=ctx.activity_id,
            activity_name=ctx.activity_name,
            instance_link=tickets.instance_link,
        )
        ticket = target.create(chosen, context, idempotency_key=ctx.idempotency_key)
        ctx.log.info("opened %s ticket %s (%s)", ticket.system, ticket.key, chosen.value)
        _link_ticket(ctx, chosen, ticket)
        return {"NEW_NOTIFICATION": ticket_notification(ticket)}

    create.__name__ = create.__qualname__ = f"create_{system}_{kind.value}"
    create.__doc__ = (
        f"Open a {kind.value.replace('_', ' ')} ticket in {label} (the embedded board when "
        f"{label} is not configured) into `NEW_NOTIFICATION`."
    )
    return create


TICKET_DELEGATES: tuple[str, ...] = (
    *(f"Create{label}{suffix}" for label in _SYSTEMS.values() for suffix in _KINDS),
    "WaitForTicketStatus",
)
"""The names of the delegates this module catalogues."""

for _system, _label in _SYSTEMS.items():
    for _suffix, _kind in _KINDS.items():
        modelop(
            f"Create{_label}{_suffix}",
            asynchronous=True,
            inputs=_TICKET_INPUTS,
            outputs=("NEW_NOTIFICATION",),
            uses_center=False,
        )(_creator(_system, _kind))


# -------------------------------------------------------------------------- waiting


def _duration(ctx: DelegateContext, name: str, default: timedelta) -> timedelta:
    """Read a duration input: ISO 8601 (`PT5M`, `P1D`) or a number of seconds."""
    value = ctx.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=float(value))
    text = str(value).strip()
    match = _DURATION.fullmatch(text)
    if match and text.upper() not in ("P", "PT"):
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        result = timedelta(**parts)
        if result > timedelta(0):
            return result
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0
    if seconds > 0:
        return timedelta(seconds=seconds)
    raise fail(ctx, f"{name} must be an ISO 8601 duration such as PT5M or seconds, got {value!r}")


def _statuses(value: Any) -> list[str]:
    if isinstance(value, str):
        found = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        found = [str(part).strip() for part in value if str(part).strip()]
    else:
        found = []
    return found or [DONE, REJECTED]


def _reference(ctx: DelegateContext) -> tuple[str, str]:
    """Find the ticket to wait on: (system, key).

    Inputs win over variables; among variables `NEW_NOTIFICATION` (just written by a create
    delegate) wins over `TICKET` (left by an earlier wait), and `TICKET_KEY` comes last.
    """
    candidates = (
        ctx.inputs.get("TICKET"),
        ctx.inputs.get("TICKET_KEY"),
        ctx.inputs.get("NEW_NOTIFICATION"),
        ctx.variables.get("NEW_NOTIFICATION"),
        ctx.variables.get("TICKET"),
        ctx.variables.get("TICKET_KEY"),
    )
    value = next((c for c in candidates if c), None)
    system = ctx.get("TICKET_SYSTEM")
    key: Any = None
    if isinstance(value, Mapping):
        key = value.get("key")
        system = system or value.get("system")
    elif isinstance(value, str):
        key = value
    if not key:
        raise fail(ctx, "no ticket to wait for: set TICKET, TICKET_KEY or NEW_NOTIFICATION")
    return str(system or "local"), str(key)


def _field(ticket: Ticket, name: str) -> Any:
    wanted = name.strip().lower()
    return next((v for k, v in ticket.fields.items() if k.lower() == wanted), None)


def _one_year_later(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def _expiration(value: Any, now: datetime) -> str:
    """The ticket's expiration date as an ISO date-time, or one year from now without one."""
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
            except ValueError:
                moment = None
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return _one_year_later(now).isoformat()


def _next_check(ticket: Ticket, now: datetime, poll: timedelta, cap: timedelta) -> timedelta:
    """How long to park: as long as the ticket has been quiet, within [poll, cap].

    Checks therefore come after 5 min, 5 min, 10, 20, 40 min, then hourly (for the default
    PT5M): the interval doubles while nobody touches the ticket and drops back to the poll
    interval after every change. No counter is kept; the ticket's own `updated_at` is the
    state.
    """
    updated = ticket.updated_at
    if updated is None:
        return poll
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    return min(max(poll, now - updated), max(cap, poll))


def wait_for_ticket_status(ctx: DelegateContext) -> Result:
    """Wait until a ticket reaches one of `STATUSES`; then `TICKET` and `TICKET_STATUS`.

    Inputs: `TICKET` or `NEW_NOTIFICATION` (a ticket dict, or a key with `TICKET_SYSTEM`),
    or `TICKET_KEY` with `TICKET_SYSTEM` (`jira`, `servicenow`; `local` by default),
    `STATUSES` (`"Done,Rejected"` by default, our status names or the system's own),
    `POLL_INTERVAL` (`PT5M`) and `MAX_POLL_INTERVAL` (`PT1H`), `READ_FIELD` (a field name
    read into `TICKET_FIELD_VALUE`; for `Expiration Date` also `EXPIRATION_DATE`, one year
    from now when the ticket has no such value). It parks between checks and wakes at once
    on `ticket:<system>:<key>` (webhooks, the embedded board).
    """
    system, key = _reference(ctx)
    statuses = _statuses(ctx.get("STATUSES"))
    ticket = _tickets(ctx).system(system).get(key)
    now = ctx.clock.now()
    if not ticket.has_status(*statuses):
        poll = _duration(ctx, "POLL_INTERVAL", _POLL)
        cap = _duration(ctx, "MAX_POLL_INTERVAL", _MAX_POLL)
        raise Pending(
            _next_check(ticket, now, poll, cap),
            f"{system} ticket {key} is {ticket.status}; waiting for {' or '.join(statuses)}",
            wake_on=wake_key(system, key),
        )
    result: dict[str, Any] = {"TICKET": ticket.to_variable(), "TICKET_STATUS": ticket.status}
    field = ctx.get("READ_FIELD")
    if field:
        value = _field(ticket, str(field))
        result["TICKET_FIELD_VALUE"] = value
        if str(field).strip().lower() == _EXPIRATION_FIELD:
            result["EXPIRATION_DATE"] = _expiration(value, now)
    return result


modelop(
    "WaitForTicketStatus",
    asynchronous=True,
    inputs=(
        "TICKET",
        "NEW_NOTIFICATION",
        "TICKET_KEY",
        "TICKET_SYSTEM",
        "STATUSES",
        "POLL_INTERVAL",
        "MAX_POLL_INTERVAL",
        "READ_FIELD",
    ),
    outputs=("TICKET", "TICKET_STATUS", "TICKET_FIELD_VALUE", "EXPIRATION_DATE"),
    uses_center=False,
    defaults={
        "STATUSES": "Done,Rejected",
        "POLL_INTERVAL": "PT5M",
        "MAX_POLL_INTERVAL": "PT1H",
        "TICKET_SYSTEM": "local",
    },
)(wait_for_ticket_status)
