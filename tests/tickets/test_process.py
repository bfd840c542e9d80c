"""Ticket delegates in running processes: a LifecycleManager on SQLite, fakes over sockets."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.handlers.tickets import TICKET_DELEGATES
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.tickets import (
    JiraTickets,
    LocalTickets,
    ServiceNowTickets,
    Tickets,
    jira_webhook_wake_key,
)
from tickets.support import (
    JIRA_TOKEN,
    SNOW_PASSWORD,
    VARIABLES,
    Build,
    jira_config,
    review_process,
    snow_config,
)


def _board(manager: LifecycleManager) -> LocalTickets:
    tickets = manager.tickets
    assert isinstance(tickets, Tickets)
    assert isinstance(tickets.local, LocalTickets)
    return tickets.local


def _started(manager: LifecycleManager, xml: str | None = None) -> str:
    manager.deploy(xml or review_process())
    instance = manager.start("review", VARIABLES)
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("wait",)
    return instance.id


def _minutes_until_next_check(manager: LifecycleManager, clock: ManualClock) -> float:
    due = manager.next_due()
    assert due is not None
    return (due - clock.now()) / timedelta(minutes=1)


def test_every_ticket_delegate_is_registered(build: Build) -> None:
    """The ModelOp names for Jira and ServiceNow, and WaitForTicketStatus, are built-ins."""
    manager = build()
    for name in TICKET_DELEGATES:
        assert name in manager.registry
    assert "CreateJiraModelApproval" in TICKET_DELEGATES
    assert "CreateServiceNowSimpleNotification" in TICKET_DELEGATES


def test_a_jira_webhook_wakes_the_waiting_instance(
    build: Build, fake_jira: FakeJira, clock: ManualClock
) -> None:
    """The review ticket is opened in Jira; the webhook after Done resumes the instance."""
    manager = build(
        jira=JiraTickets(jira_config(fake_jira)),
        instance_link="https://mlc.example.com/instances/{instance_id}",
    )
    instance_id = _started(manager)
    notification = manager.variables(instance_id)["NEW_NOTIFICATION"]
    assert notification == {
        "key": "MLC-1",
        "system": "jira",
        "kind": "model_review",
        "status": "To Do",
        "summary": "Review credit-risk v2",
        "url": f"{fake_jira.url}/browse/MLC-1",
    }
    description = fake_jira.issues["MLC-1"]["fields"]["description"]
    assert f"[Process instance|https://mlc.example.com/instances/{instance_id}]" in description
    fake_jira.transition("MLC-1", "In Review")
    fake_jira.transition("MLC-1", "Done", comment="Looks good")
    assert manager.run_due() == 0
    assert manager.handle_jira_webhook(fake_jira.webhook_payload("MLC-1")) == 1
    manager.run_due()
    final = manager.instance(instance_id)
    assert final.status == "completed"
    assert final.variables["TICKET_STATUS"] == "Done"
    assert final.variables["TICKET"]["key"] == "MLC-1"
    assert final.variables["TICKET"]["fields"]["Resolution"] == "Done"


def test_webhooks_about_other_issues_or_events_wake_nothing(
    build: Build, fake_jira: FakeJira
) -> None:
    """Only an issue event about the awaited issue wakes it; anything else returns 0."""
    manager = build(jira=JiraTickets(jira_config(fake_jira)))
    instance_id = _started(manager)
    other = fake_jira.create_issue("Unrelated")
    assert manager.handle_jira_webhook(fake_jira.webhook_payload(other)) == 0
    assert manager.handle_jira_webhook({"webhookEvent": "comment_created"}) == 0
    assert manager.handle_servicenow_event({"table": "incident"}) == 0
    assert manager.run_due() == 0
    assert manager.instance(instance_id).waiting_at == ("wait",)


def test_a_servicenow_record_in_the_table_api_shape_wakes_the_instance(
    build: Build, fake_snow: FakeServiceNow
) -> None:
    """A business rule posting the record as the Table API returns it also wakes the wait."""
    manager = build(servicenow=ServiceNowTickets(snow_config(fake_snow)))
    instance_id = _started(manager, review_process("CreateServiceNowJobNotification"))
    (record,) = fake_snow.records("incident")
    fake_snow.set_state("incident", record["sys_id"], 6, close_code="Solved (Permanently)")
    (resolved,) = fake_snow.records("incident")
    assert manager.handle_servicenow_event({"result": resolved}) == 1
    manager.run_due()
    final = manager.instance(instance_id)
    assert (final.status, final.variables["TICKET"]["key"]) == ("completed", record["number"])
    assert final.variables["TICKET_STATUS"] == "Done"


def test_a_ticket_key_and_system_name_the_ticket_to_wait_for(
    build: Build, fake_jira: FakeJira, clock: ManualClock
) -> None:
    """TICKET_KEY with TICKET_SYSTEM waits on an issue opened outside the process."""
    manager = build(jira=JiraTickets(jira_config(fake_jira)))
    key = fake_jira.create_issue("Approve credit-risk v2 for production")
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="wait" camunda:class="WaitForTicketStatus">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        f'<camunda:inputParameter name="TICKET_KEY">{key}</camunda:inputParameter>'
        '<camunda:inputParameter name="TICKET_SYSTEM">jira</camunda:inputParameter>'
        '<camunda:inputParameter name="STATUSES">Done</camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="end"/>' + chain("start", "wait", "end")
    )
    manager.deploy(process(body, pid="external"))
    instance = manager.start("external")
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("wait",)
    fake_jira.transition(key, "Done")
    clock.advance(timedelta(minutes=5))
    manager.run_due()
    final = manager.instance(instance.id)
    assert final.status == "completed"
    assert (final.variables["TICKET"]["key"], final.variables["TICKET_STATUS"]) == (key, "Done")


def test_polling_notices_the_change_without_a_webhook(
    build: Build, fake_jira: FakeJira, clock: ManualClock
) -> None:
    """Without a webhook, the next poll (after POLL_INTERVAL) sees the rejection."""
    manager = build(jira=JiraTickets(jira_config(fake_jira)))
    instance_id = _started(manager)
    assert _minutes_until_next_check(manager, clock) == 5
    fake_jira.transition("MLC-1", "Rejected")
    clock.advance(timedelta(minutes=4))
    manager.run_due()
    assert manager.instance(instance_id).status == "running"
    clock.advance(timedelta(minutes=1))
    manager.run_due()
    final = manager.instance(instance_id)
    assert (final.status, final.variables["TICKET_STATUS"]) == ("completed", "Rejected")


def test_the_wait_reads_a_field_and_the_expiration_date(build: Build, fake_jira: FakeJira) -> None:
    """READ_FIELD reads Jira's Expiration Date into TICKET_FIELD_VALUE and EXPIRATION_DATE."""
    manager = build(jira=JiraTickets(jira_config(fake_jira)))
    xml = review_process(wait_inputs={"READ_FIELD": "Expiration Date"})
    instance_id = _started(manager, xml)
    fake_jira.set_field("MLC-1", "Expiration Date", "2027-01-31")
    fake_jira.transition("MLC-1", "Done")
    manager.wake(jira_webhook_wake_key(fake_jira.webhook_payload("MLC-1")) or "")
    manager.run_due()
    variables = manager.variables(instance_id)
    assert variables["TICKET_FIELD_VALUE"] == "2027-01-31"
    assert variables["EXPIRATION_DATE"] == "2027-01-31T00:00:00+00:00"


def test_without_an_expiration_field_the_approval_lasts_a_year(
    build: Build, clock: ManualClock
) -> None:
    """A Jira project without the field gives EXPIRATION_DATE one year from now."""
    with FakeJira(custom_fields={}, clock=clock.now) as fake:
        manager = build(jira=JiraTickets(jira_config(fake)))
        xml = review_process(wait_inputs={"READ_FIELD": "Expiration Date"})
        instance_id = _started(manager, xml)
        fake.transition("MLC-1", "Done")
        manager.wake("ticket:jira:MLC-1")
        manager.run_due()
    variables = manager.variables(instance_id)
    assert variables["TICKET_FIELD_VALUE"] is None
    assert variables["EXPIRATION_DATE"] == "2027-03-01T09:00:00+00:00"


def test_a_servicenow_event_wakes_the_waiting_instance(
    build: Build, fake_snow: FakeServiceNow
) -> None:
    """An approval change request, approved in ServiceNow, resumes the instance."""
    manager = build(servicenow=ServiceNowTickets(snow_config(fake_snow)))
    instance_id = _started(manager, review_process("CreateServiceNowModelApproval"))
    notification = manager.variables(instance_id)["NEW_NOTIFICATION"]
    assert (notification["system"], notification["key"]) == ("servicenow", "CHG0030001")
    (record,) = fake_snow.records("change_request")
    fake_snow.set_state("change_request", record["sys_id"], -2, approval="approved")
    event = fake_snow.event_payload("change_request", record["sys_id"])
    assert manager.handle_servicenow_event(event) == 1
    manager.run_due()
    final = manager.instance(instance_id)
    assert (final.status, final.variables["TICKET_STATUS"]) == ("completed", "Done")


def test_without_jira_the_board_holds_the_ticket_and_waiting_backs_off(
    build: Build, clock: ManualClock
) -> None:
    """Unconfigured Jira falls back to LocalTickets; checks back off; a transition wakes."""
    manager = build()
    xml = review_process(wait_inputs={"READ_FIELD": "Expiration Date"})
    instance_id = _started(manager, xml)
    board = _board(manager)
    (ticket,) = board.list()
    assert (ticket.key, ticket.system, ticket.kind) == ("MLC-1", "local", "model_review")
    assert "f1_score | 0.7042" in board.description("MLC-1")
    waits = []
    for _ in range(7):
        minutes = _minutes_until_next_check(manager, clock)
        waits.append(minutes)
        clock.advance(timedelta(minutes=minutes))
        manager.run_due()
    assert waits == [5, 5, 10, 20, 40, 60, 60]
    board.transition("MLC-1", "Done", fields={"Expiration Date": "2030-12-31"})
    manager.run_due()
    variables = manager.variables(instance_id)
    assert manager.instance(instance_id).status == "completed"
    assert variables["TICKET_STATUS"] == "Done"
    assert variables["EXPIRATION_DATE"] == "2030-12-31T00:00:00+00:00"


def test_a_short_poll_interval_and_a_status_list(build: Build, clock: ManualClock) -> None:
    """POLL_INTERVAL accepts ISO durations; STATUSES may name any status."""
    manager = build()
    xml = review_process(wait_inputs={"STATUSES": "In Review", "POLL_INTERVAL": "PT30S"})
    instance_id = _started(manager, xml)
    assert _minutes_until_next_check(manager, clock) == 0.5
    _board(manager).transition("MLC-1", "In Review")
    manager.run_due()
    assert manager.variables(instance_id)["TICKET_STATUS"] == "In Review"


def test_a_503_after_create_then_success_opens_exactly_one_issue(
    build: Build, fake_jira: FakeJira, clock: ManualClock
) -> None:
    """The first attempt creates the issue but fails reading it; the retry finds it."""
    manager = build(jira=JiraTickets(jira_config(fake_jira)))
    manager.deploy(review_process())
    fake_jira.fail_next(503, path_prefix="/rest/api/2/issue/MLC-1", method="GET")
    instance = manager.start("review", VARIABLES)
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("create",)
    failures = [e for e in manager.history(instance.id, limit=None) if e.kind == "job_failed"]
    assert len(failures) == 1
    assert "HTTP 503" in str(failures[0].detail)
    clock.advance(timedelta(minutes=1))
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("wait",)
    assert manager.variables(instance.id)["NEW_NOTIFICATION"]["key"] == "MLC-1"
    assert list(fake_jira.issues) == ["MLC-1"]
    posts = [r for r in fake_jira.requests if (r.method, r.path) == ("POST", "/rest/api/2/issue")]
    assert len(posts) == 1


def test_a_revoked_token_ends_in_an_incident_without_the_secret(
    build: Build, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused credentials become an incident naming Jira; the token is nowhere."""
    caplog.set_level(logging.DEBUG)
    with FakeJira(clock=clock.now) as fake:
        fake.require_auth(tokens={JIRA_TOKEN: "svc"})
        config = jira_config(fake, username=None, api_token=SecretStr(JIRA_TOKEN))
        manager = build(jira=JiraTickets(config))
        manager.deploy(review_process())
        fake.revoke(JIRA_TOKEN)
        instance = manager.start("review", VARIABLES)
        for _ in range(5):
            manager.run_due()
            clock.advance(timedelta(minutes=2))
    (incident,) = manager.incidents()
    assert incident.instance_id == instance.id
    assert "Jira" in incident.message
    assert "credentials were refused" in incident.message
    assert manager.instance(instance.id).status == "incident"
    assert fake.issues == {}
    history = json.dumps([e.detail for e in manager.history(instance.id, limit=None)], default=str)
    for text in (
        incident.message,
        history,
        json.dumps(manager.variables(instance.id)),
        caplog.text,
    ):
        assert JIRA_TOKEN not in text


def test_a_missing_ticket_is_a_failure_the_diagram_can_route(build: Build) -> None:
    """A ticket that does not exist raises FAILURE, taken by an error boundary."""
    manager = build()
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="wait" camunda:class="WaitForTicketStatus"/>'
        '<bpmn:boundaryEvent id="failed" attachedToRef="wait"><bpmn:errorEventDefinition/>'
        '</bpmn:boundaryEvent><bpmn:userTask id="fix"/><bpmn:endEvent id="end"/>'
        + chain("start", "wait", "end")
        + flow("x", "failed", "fix")
    )
    manager.deploy(process(body, pid="lost"))
    instance = manager.start("lost", {"TICKET": "MLC-99"})
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("fix",)
    assert manager.incidents() == []


def test_servicenow_credentials_refused_is_an_incident(
    build: Build, fake_snow: FakeServiceNow, clock: ManualClock
) -> None:
    """A revoked ServiceNow password is an incident naming ServiceNow, without the password."""
    manager = build(servicenow=ServiceNowTickets(snow_config(fake_snow)))
    manager.deploy(review_process("CreateServiceNowJobNotification", retry="R1/PT1M"))
    fake_snow.revoke(SNOW_PASSWORD)
    manager.start("review", VARIABLES)
    manager.run_due()
    (incident,) = manager.incidents()
    assert "ServiceNow create incident record (reading the dictionary" in incident.message
    assert "failed (HTTP 401)" in incident.message
    assert SNOW_PASSWORD not in incident.message


def test_ticket_kind_input_and_a_bad_poll_interval(build: Build) -> None:
    """TICKET_KIND chooses the kind; an unreadable POLL_INTERVAL is a FAILURE to route."""
    manager = build()
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="create" camunda:class="CreateJiraSimpleNotification">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="TICKET_KIND">error</camunda:inputParameter>'
        '<camunda:inputParameter name="ERROR_MESSAGE">Deployment failed</camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:serviceTask id="wait" camunda:class="WaitForTicketStatus">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="POLL_INTERVAL">soon</camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:boundaryEvent id="failed" attachedToRef="wait"><bpmn:errorEventDefinition/>'
        '</bpmn:boundaryEvent><bpmn:userTask id="fix"/><bpmn:endEvent id="end"/>'
        + chain("start", "create", "wait", "end")
        + flow("x", "failed", "fix")
    )
    manager.deploy(process(body, pid="notify"))
    instance = manager.start("notify", VARIABLES)
    manager.run_due()
    (ticket,) = _board(manager).list()
    assert (ticket.kind, ticket.summary) == ("error", "MLC error in create for credit-risk v2")
    assert "Deployment failed" in _board(manager).description(ticket.key)
    assert manager.instance(instance.id).waiting_at == ("fix",)
