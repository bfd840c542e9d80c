"""ServiceNowTickets driving the real `pysnow` client against FakeServiceNow."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from modelop_mlc.errors import IntegrationError
from modelop_mlc.testing.fakes import FakeServiceNow
from modelop_mlc.tickets import ServiceNowConfig, ServiceNowTickets, context_from_variables
from tickets.support import SNOW_PASSWORD, VARIABLES, snow_config

APPROVAL = context_from_variables("model_approval", VARIABLES, instance_id="inst-1")
FAILURE = context_from_variables(
    "job_failure", {**VARIABLES, "JOB": {"id": "j-7", "jobStatus": "ERROR"}}
)


def _record(fake: FakeServiceNow, table: str, number: str) -> dict[str, str]:
    return next(r for r in fake.records(table) if r["number"] == number)


def test_approvals_become_change_requests(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """An approval is a change request awaiting approval, correlated by the idempotency key."""
    ticket = snow.create("model_approval", APPROVAL, idempotency_key="inst-1:task-1")
    assert (ticket.system, ticket.key, ticket.kind, ticket.status) == (
        "servicenow",
        "CHG0030001",
        "model_approval",
        "To Do",
    )
    assert ticket.summary == "Approve credit-risk v2 for deployment"
    record = _record(fake_snow, "change_request", "CHG0030001")
    assert record["correlation_id"] == "inst-1:task-1"
    assert record["approval"] == "not requested"
    assert "auc      | 0.61" in record["description"]
    assert "- AUC 0.61 is below 0.7" in record["description"]
    assert ticket.url == f"{fake_snow.url}/change_request.do?sys_id={record['sys_id']}"
    assert ticket.fields["sys_id"] == record["sys_id"]


def test_failures_become_incidents(fake_snow: FakeServiceNow, snow: ServiceNowTickets) -> None:
    """A job failure is a new incident."""
    ticket = snow.create("job_failure", FAILURE, idempotency_key="k")
    assert (ticket.key, ticket.status, ticket.native_status) == ("INC0010001", "To Do", "1")
    assert ticket.summary == "Job j-7 of credit-risk v2 ended ERROR"
    assert _record(fake_snow, "incident", "INC0010001")["correlation_display"] == "mlc:job_failure"


def test_a_repeated_create_returns_the_first_record(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """The correlation id is queried before inserting, so a retry inserts nothing."""
    first = snow.create("model_approval", APPROVAL, idempotency_key="same")
    again = snow.create("model_approval", APPROVAL, idempotency_key="same")
    assert first.key == again.key
    assert len(fake_snow.records("change_request")) == 1
    found = snow.find_by_idempotency_key("same")
    assert found is not None
    assert found.key == first.key
    assert snow.find_by_idempotency_key("other") is None


def test_a_record_from_an_attempt_whose_answer_was_lost_is_reused(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """A record already carrying the key (inserted, answer lost) is returned, not duplicated."""
    earlier = fake_snow.add_record("incident", correlation_id="k", short_description="earlier")
    ticket = snow.create("job_failure", FAILURE, idempotency_key="k")
    assert (ticket.key, ticket.summary) == (earlier["number"], "earlier")
    assert len(fake_snow.records("incident")) == 1
    assert "POST" not in [r.method for r in fake_snow.requests]


def test_change_approval_and_rejection_map_to_done_and_rejected(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """The approval field decides: approved is Done, rejected is Rejected."""
    key = snow.create("model_approval", APPROVAL, idempotency_key="a").key
    sys_id = _record(fake_snow, "change_request", key)["sys_id"]
    fake_snow.set_state("change_request", sys_id, -4)
    assert snow.get(key).status == "In Review"
    fake_snow.set_state("change_request", sys_id, -2, approval="approved")
    assert snow.get(key).status == "Done"
    fake_snow.set_state("change_request", sys_id, -5, approval="rejected")
    assert snow.get(key).status == "Rejected"


def test_incident_states_map_to_statuses(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """Incident states 1/2/3/6/7/8 read as To Do, In Review, Done and Rejected."""
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    sys_id = _record(fake_snow, "incident", key)["sys_id"]
    seen = []
    for state in (1, 2, 3, 6, 7, 8):
        fake_snow.set_state("incident", sys_id, state)
        seen.append(snow.get(key).status)
    assert seen == ["To Do", "In Review", "In Review", "Done", "Done", "Rejected"]


def test_transition_sets_state_approval_fields_and_a_work_note(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """A transition patches the state (and approval), fields by name and a work note."""
    snow = ServiceNowTickets(
        snow_config(fake_snow, field_names={"Expiration Date": "u_expiration_date"})
    )
    key = snow.create("model_approval", APPROVAL, idempotency_key="a").key
    done = snow.transition(
        key, "Done", comment="CAB approved", fields={"Expiration Date": "2027-03-31"}
    )
    assert (done.status, done.fields["approval"]) == ("Done", "approved")
    assert done.fields["Expiration Date"] == "2027-03-31"
    record = _record(fake_snow, "change_request", key)
    assert record["state"] == "-2"
    notes = fake_snow.journal("change_request", record["sys_id"])
    assert [(n["element"], n["value"]) for n in notes] == [("work_notes", "CAB approved")]
    incident = snow.create("job_failure", FAILURE, idempotency_key="b").key
    assert snow.transition(incident, "Rejected").native_status == "8"
    assert snow.transition(incident, "2").status == "In Review"


def test_comment_and_attach(fake_snow: FakeServiceNow, snow: ServiceNowTickets) -> None:
    """Comments are work notes; attachments go through the Attachment API."""
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    sys_id = _record(fake_snow, "incident", key)["sys_id"]
    snow.comment(key, "Rerun scheduled")
    snow.attach(key, "log.txt", b"line 1\nline 2")
    assert [n["value"] for n in fake_snow.journal("incident", sys_id)] == ["Rerun scheduled"]
    ((meta, content),) = fake_snow.attachments("incident", sys_id)
    assert (meta["file_name"], content) == ("log.txt", b"line 1\nline 2")


def test_missing_records_are_404(snow: ServiceNowTickets) -> None:
    """An unknown number fails without retry, naming where it looked."""
    with pytest.raises(
        IntegrationError, match="no record numbered 'INC0099999' in incident"
    ) as caught:
        snow.get("INC0099999")
    assert (caught.value.status_code, caught.value.retryable) == (404, False)
    with pytest.raises(IntegrationError, match="change_request or incident"):
        snow.get("XYZ1")


def test_a_revoked_password_is_a_401_without_the_secret(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """Refused credentials fail without retry; the message names ServiceNow only."""
    fake_snow.revoke(SNOW_PASSWORD)
    with pytest.raises(IntegrationError) as caught:
        snow.create("job_failure", FAILURE, idempotency_key="k")
    error = caught.value
    assert (error.service, error.status_code, error.retryable) == ("servicenow", 401, False)
    assert str(error).startswith(
        "ServiceNow create incident record (reading the dictionary of table incident) failed "
        "(HTTP 401)"
    )
    assert "User Not Authenticated" in str(error)
    assert SNOW_PASSWORD not in str(error)
    assert SNOW_PASSWORD not in repr(snow)
    assert SNOW_PASSWORD not in repr(snow.config)


def test_rate_limits_and_outages_are_retryable(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """429 (with its Retry-After hint) and 5xx are retryable."""
    fake_snow.fail_next(429, retry_after=12)
    with pytest.raises(IntegrationError, match="retry after 12 s") as caught:
        snow.find_by_idempotency_key("k")
    assert (caught.value.status_code, caught.value.retryable) == (429, True)
    fake_snow.fail_next(503)
    with pytest.raises(IntegrationError) as caught:
        snow.find_by_idempotency_key("k")
    assert (caught.value.status_code, caught.value.retryable) == (503, True)


def test_timeouts_and_refused_connections_are_retryable(fake_snow: FakeServiceNow) -> None:
    """A timeout and an unreachable instance are retryable."""
    snow = ServiceNowTickets(snow_config(fake_snow, timeout=0.5))
    fake_snow.hang_next()
    with pytest.raises(IntegrationError, match=r"did not answer within 0\.5 s") as caught:
        snow.find_by_idempotency_key("k")
    assert caught.value.retryable is True
    fake_snow.release()
    with FakeServiceNow() as gone:
        config = snow_config(gone)
    with pytest.raises(IntegrationError, match="could not be reached") as caught:
        ServiceNowTickets(config).get("INC0010001")
    assert caught.value.retryable is True


def test_long_idempotency_keys_are_hashed_into_the_correlation_id(
    fake_snow: FakeServiceNow, snow: ServiceNowTickets
) -> None:
    """Keys longer than the correlation_id column are hashed, and still found."""
    key = "k" * 150
    first = snow.create("job_failure", FAILURE, idempotency_key=key)
    assert snow.create("job_failure", FAILURE, idempotency_key=key).key == first.key
    assert len(_record(fake_snow, "incident", first.key)["correlation_id"]) <= 100


def test_config_validates_the_url() -> None:
    """The instance URL is http(s) without credentials."""
    with pytest.raises(ValidationError, match="not in the URL"):
        ServiceNowConfig(url="https://a:b@x.service-now.com", username="u", password=SecretStr("p"))
    config = ServiceNowConfig(
        url="https://x.service-now.com/", username="u", password=SecretStr("p")
    )
    assert config.url == "https://x.service-now.com"
