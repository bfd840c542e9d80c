"""Wake keys from Jira webhook bodies and ServiceNow events."""

from __future__ import annotations

from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.tickets import jira_webhook_wake_key, servicenow_event_wake_key


def test_jira_issue_events_give_the_issue_wake_key(fake_jira: FakeJira) -> None:
    """Created, updated and deleted issue events all name the issue."""
    key = fake_jira.create_issue("Review model")
    fake_jira.transition(key, "Done")
    for event in ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted"):
        assert jira_webhook_wake_key(fake_jira.webhook_payload(key, event)) == "ticket:jira:MLC-1"


def test_other_jira_events_give_no_wake_key() -> None:
    """Comment, project or malformed bodies wake nothing."""
    assert (
        jira_webhook_wake_key({"webhookEvent": "comment_created", "issue": {"key": "A-1"}}) is None
    )
    assert jira_webhook_wake_key({"webhookEvent": "jira:issue_updated"}) is None
    assert jira_webhook_wake_key({"webhookEvent": "jira:issue_updated", "issue": {}}) is None
    assert jira_webhook_wake_key({}) is None


def test_servicenow_events_give_the_record_number_wake_key(fake_snow: FakeServiceNow) -> None:
    """A business rule's event names the record by number."""
    record = fake_snow.add_record("change_request", short_description="Deploy")
    payload = fake_snow.event_payload("change_request", record["sys_id"])
    assert servicenow_event_wake_key(payload) == "ticket:servicenow:CHG0030001"
    assert servicenow_event_wake_key({"fields": {"number": "INC0010001"}}) == (
        "ticket:servicenow:INC0010001"
    )
    assert servicenow_event_wake_key({"table": "incident", "sys_id": "x"}) is None


def test_servicenow_records_in_the_table_api_shape_give_the_wake_key() -> None:
    """The record itself, bare or in `{"result": ...}`, with raw or display values, works."""
    assert servicenow_event_wake_key({"number": "INC0010002", "state": "6"}) == (
        "ticket:servicenow:INC0010002"
    )
    assert servicenow_event_wake_key({"result": {"number": "CHG0030002"}}) == (
        "ticket:servicenow:CHG0030002"
    )
    shown = {"number": {"display_value": "CHG0030003", "value": "CHG0030003"}}
    assert servicenow_event_wake_key({"result": shown}) == "ticket:servicenow:CHG0030003"
    assert servicenow_event_wake_key({"result": [{"number": "INC1"}]}) is None
