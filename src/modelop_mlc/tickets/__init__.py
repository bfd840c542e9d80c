"""Tickets for people: approvals, reviews and failures in Jira, ServiceNow or the embedded board.

`TicketSystem` is the port (kept in `modelop_mlc.ports`); `JiraTickets` (the `jira` extra),
`ServiceNowTickets` (the `servicenow` extra) and `LocalTickets` (in the manager's database)
implement it. `Tickets` holds the ones a manager uses and falls back to the board where Jira
or ServiceNow is not configured. Status changes reach waiting processes through webhooks,
verified by a `WebhookGuard` (`jira_webhook_wake_key`, `servicenow_event_wake_key` →
`manager.wake`), or by polling.
Importing this package imports neither `jira` nor `pysnow`.
"""

from modelop_mlc.ports import TicketSystems
from modelop_mlc.tickets._context import (
    ModelChange,
    TicketContext,
    context_from_variables,
    diff_models,
)
from modelop_mlc.tickets._journal import CreateJournal
from modelop_mlc.tickets._port import (
    DONE,
    IN_REVIEW,
    REJECTED,
    STATUSES,
    TO_DO,
    Ticket,
    TicketKind,
    TicketSystem,
    wake_key,
)
from modelop_mlc.tickets._registry import StoreBinding, Tickets
from modelop_mlc.tickets._render import (
    Flavour,
    render_description,
    render_summary,
    render_test_results,
)
from modelop_mlc.tickets._webhooks import (
    JIRA_IDENTIFIER,
    JIRA_SIGNATURE,
    SERVICENOW_SECRET_HEADER,
    WebhookGuard,
    WebhookRejectedError,
    jira_webhook_wake_key,
    servicenow_event_wake_key,
    verify_jira_signature,
)
from modelop_mlc.tickets.jira import JiraConfig, JiraTickets
from modelop_mlc.tickets.local import DocumentStore, LocalTickets
from modelop_mlc.tickets.servicenow import ServiceNowConfig, ServiceNowTickets

__all__ = [
    "DONE",
    "IN_REVIEW",
    "JIRA_IDENTIFIER",
    "JIRA_SIGNATURE",
    "REJECTED",
    "SERVICENOW_SECRET_HEADER",
    "STATUSES",
    "TO_DO",
    "CreateJournal",
    "DocumentStore",
    "Flavour",
    "JiraConfig",
    "JiraTickets",
    "LocalTickets",
    "ModelChange",
    "ServiceNowConfig",
    "ServiceNowTickets",
    "StoreBinding",
    "Ticket",
    "TicketContext",
    "TicketKind",
    "TicketSystem",
    "TicketSystems",
    "Tickets",
    "WebhookGuard",
    "WebhookRejectedError",
    "context_from_variables",
    "diff_models",
    "jira_webhook_wake_key",
    "render_description",
    "render_summary",
    "render_test_results",
    "servicenow_event_wake_key",
    "verify_jira_signature",
    "wake_key",
]
