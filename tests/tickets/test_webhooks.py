"""Webhooks: wake keys from Jira and ServiceNow bodies, signatures, replays and floods."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from modelop_mlc import ManualClock
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.tickets import (
    WebhookGuard,
    WebhookRejectedError,
    jira_webhook_wake_key,
    servicenow_event_wake_key,
    verify_jira_signature,
)


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


# -- verification -----------------------------------------------------------------------------

SECRET = "webhook-secret-31"


def _guard(clock: ManualClock, **options: object) -> WebhookGuard:
    return WebhookGuard(jira_secret=SECRET, clock=clock, **options)  # type: ignore[arg-type]


def test_the_jira_signature_is_an_hmac_of_the_raw_body(fake_jira: FakeJira) -> None:
    """A matching sha256 signature passes; a changed body, secret or method does not."""
    key = fake_jira.create_issue("Review")
    body, headers = fake_jira.webhook_delivery(key, SECRET)
    assert verify_jira_signature(body, headers, SECRET)
    assert verify_jira_signature(body, {k.lower(): v for k, v in headers.items()}, SECRET.encode())
    assert not verify_jira_signature(body + b" ", headers, SECRET)
    assert not verify_jira_signature(body, headers, "other-secret")
    sha1 = {**headers, "X-Hub-Signature": "sha1=" + headers["X-Hub-Signature"][7:]}
    assert not verify_jira_signature(body, sha1, SECRET)
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature"}
    assert not verify_jira_signature(body, unsigned, SECRET)
    assert not verify_jira_signature(body, headers, "")


def test_the_guard_accepts_once_and_refuses_replays_and_retries(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """The first delivery passes; the same id again (a replay or Jira's retry) is a 409."""
    guard = _guard(clock)
    key = fake_jira.create_issue("Review")
    body, headers = fake_jira.webhook_delivery(key, SECRET, identifier="d-1")
    assert guard.check_jira(body, headers)["issue"]["key"] == key
    with pytest.raises(WebhookRejectedError, match="already received") as caught:
        guard.check_jira(body, headers)
    assert (caught.value.status, caught.value.reason) == (409, "replayed")
    retried = fake_jira.webhook_delivery(key, SECRET, identifier="d-1", retry=1)
    with pytest.raises(WebhookRejectedError):
        guard.check_jira(*retried)
    assert guard.counts() == {"jira.accepted": 1, "jira.replayed": 2}


def test_the_guard_refuses_unsigned_forged_stale_and_malformed_deliveries(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """Unsigned and forged are 401, older than the window 409, not JSON 400; all counted."""
    guard = _guard(clock, window=timedelta(minutes=10))
    key = fake_jira.create_issue("Review")
    body, headers = fake_jira.webhook_delivery(key, SECRET)
    unsigned = fake_jira.webhook_delivery(key, None)
    forged = fake_jira.webhook_delivery(key, "guessed")
    for delivery, status, reason in (
        (unsigned, 401, "unsigned"),
        (forged, 401, "bad_signature"),
    ):
        with pytest.raises(WebhookRejectedError) as caught:
            guard.check_jira(*delivery)
        assert (caught.value.status, caught.value.reason) == (status, reason)
    clock.advance(timedelta(minutes=11))
    with pytest.raises(WebhookRejectedError, match="outside") as caught:
        guard.check_jira(body, headers)
    assert caught.value.status == 409
    junk = b"not json"
    digest = hmac.new(SECRET.encode(), junk, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejectedError, match="not a JSON object") as caught:
        guard.check_jira(junk, {"X-Hub-Signature": f"sha256={digest}"})
    assert caught.value.status == 400
    assert guard.counts() == {
        "jira.unsigned": 1,
        "jira.bad_signature": 1,
        "jira.stale": 1,
        "jira.malformed": 1,
    }
    with pytest.raises(WebhookRejectedError, match="no Jira webhook secret"):
        WebhookGuard(clock=clock).check_jira(body, headers)


def test_a_flood_of_deliveries_keeps_memory_bounded(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """Thousands of distinct signed deliveries are remembered at most `remember` at a time."""
    guard = _guard(clock, remember=100)
    key = fake_jira.create_issue("Review")
    body, headers = fake_jira.webhook_delivery(key, SECRET)
    for number in range(3000):
        guard.check_jira(body, {**headers, "X-Atlassian-Webhook-Identifier": f"d-{number}"})
    for _ in range(500):
        with pytest.raises(WebhookRejectedError):
            guard.check_jira(body, {"X-Atlassian-Webhook-Identifier": "x"})
    assert len(guard._seen) == 100
    assert guard.counts() == {"jira.accepted": 3000, "jira.unsigned": 500}
    with pytest.raises(WebhookRejectedError, match="already received"):
        guard.check_jira(body, {**headers, "X-Atlassian-Webhook-Identifier": "d-2999"})


def test_servicenow_deliveries_carry_the_shared_secret(
    fake_snow: FakeServiceNow, clock: ManualClock
) -> None:
    """With a secret configured its header is required; one record version passes once."""
    guard = WebhookGuard(servicenow_secret="snow-hook-5", clock=clock)
    record = fake_snow.add_record("incident", short_description="Job failed")
    body = json.dumps(fake_snow.event_payload("incident", record["sys_id"])).encode()
    with pytest.raises(WebhookRejectedError) as caught:
        guard.check_servicenow(body, {})
    assert (caught.value.status, caught.value.reason) == (401, "unsigned")
    with pytest.raises(WebhookRejectedError) as caught:
        guard.check_servicenow(body, {"x-mlc-webhook-secret": "wrong"})
    assert caught.value.reason == "bad_signature"
    assert guard.check_servicenow(body, {"X-MLC-Webhook-Secret": "snow-hook-5"})["number"]
    with pytest.raises(WebhookRejectedError, match="already received"):
        guard.check_servicenow(body, {"X-MLC-Webhook-Secret": "snow-hook-5"})
    fake_snow.set_state("incident", record["sys_id"], 6)
    changed = json.dumps(fake_snow.event_payload("incident", record["sys_id"])).encode()
    clock.advance(timedelta(seconds=1))
    fake_snow.set_state("incident", record["sys_id"], 7)
    later = json.dumps(fake_snow.event_payload("incident", record["sys_id"])).encode()
    assert guard.check_servicenow(later, {"X-MLC-Webhook-Secret": "snow-hook-5"})
    assert changed != later
    open_guard = WebhookGuard(clock=clock)
    assert open_guard.check_servicenow(body, {})["number"] == record["number"]
