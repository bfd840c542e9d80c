"""JiraTickets driving the real `jira` client against FakeJira (Server and Cloud)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from modelop_mlc import ManualClock
from modelop_mlc.errors import IntegrationError
from modelop_mlc.testing.fakes import FakeJira
from modelop_mlc.tickets import JiraConfig, JiraTickets, TicketContext, context_from_variables
from modelop_mlc.tickets.jira import idempotency_label
from tickets.support import JIRA_TOKEN, SEARCH_LAG, VARIABLES, jira_config

CONTEXT = context_from_variables("model_review", VARIABLES, instance_id="inst-1")


def _create(jira: JiraTickets, key: str = "inst-1:task-1", **fields: Any) -> str:
    context = CONTEXT.model_copy(update={"fields": fields}) if fields else CONTEXT
    return jira.create("model_review", context, idempotency_key=key).key


def _field_requests(fake: FakeJira) -> int:
    return sum(1 for r in fake.requests if r.path == "/rest/api/2/field")


def _no_secret(error: BaseException) -> None:
    assert JIRA_TOKEN not in str(error)
    assert JIRA_TOKEN not in repr(error)


# -- tickets --------------------------------------------------------------------------------


def test_create_stores_the_context_labels_and_idempotency_property(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """An issue is created with a summary, a wiki body, labels and the `mlc` property."""
    ticket = jira.create(
        "model_review",
        CONTEXT.model_copy(update={"fields": {"Model Risk Tier": "Tier 2"}}),
        idempotency_key="inst-1:task-1",
    )
    assert (ticket.system, ticket.key, ticket.kind, ticket.status) == (
        "jira",
        "MLC-1",
        "model_review",
        "To Do",
    )
    assert ticket.summary == "Review credit-risk v2"
    assert ticket.url == f"{fake_jira.url}/browse/MLC-1"
    assert ticket.fields["Model Risk Tier"] == "Tier 2"
    issue = fake_jira.issues["MLC-1"]
    assert issue["fields"]["labels"] == ["mlc", idempotency_label("inst-1:task-1")]
    assert issue["properties"]["mlc"] == {
        "key": "inst-1:task-1",
        "kind": "model_review",
        "instance": "inst-1",
    }
    assert "||Metric||Value||\n|auc|0.61|" in issue["fields"]["description"]
    assert "* AUC 0.61 is below 0.7" in issue["fields"]["description"]


def test_get_reads_status_and_fields_by_name(fake_jira: FakeJira, jira: JiraTickets) -> None:
    """Status and custom fields come back by name; the field list is fetched once."""
    key = _create(jira)
    fake_jira.set_field(key, "Expiration Date", "2027-01-31")
    fake_jira.transition(key, "Done")
    before = _field_requests(fake_jira)
    for _ in range(3):
        ticket = jira.get(key)
    assert _field_requests(fake_jira) == before
    assert (ticket.status, ticket.native_status) == ("Done", "Done")
    assert ticket.fields["Expiration Date"] == "2027-01-31"
    assert ticket.fields["Resolution"] == "Done"
    assert ticket.updated_at is not None
    assert ticket.updated_at.utcoffset() is not None


def test_transition_follows_the_workflow_with_comment_and_fields(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """A transition goes through the workflow, adding a comment and setting fields."""
    key = _create(jira)
    assert jira.transition(key, "In Review").status == "In Review"
    done = jira.transition(
        key, "Done", comment="Approved", fields={"Expiration Date": "2027-06-30"}
    )
    assert done.status == "Done"
    assert done.fields["Expiration Date"] == "2027-06-30"
    comments = fake_jira.issues[key]["fields"]["comment"]["comments"]
    assert [c["body"] for c in comments] == ["Approved"]


def test_transition_without_a_path_lists_the_available_ones(jira: JiraTickets) -> None:
    """No transition leads from To Do to Done: the error lists what is possible."""
    key = _create(jira)
    with pytest.raises(IntegrationError, match="Start Review → In Review") as caught:
        jira.transition(key, "Done")
    assert (caught.value.service, caught.value.retryable) == ("jira", False)


def test_transition_to_the_current_status_only_comments(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """Asking for the status the issue is in applies the comment and fields only."""
    key = _create(jira)
    ticket = jira.transition(
        key, "To Do", comment="still waiting", fields={"Model Risk Tier": "Tier 1"}
    )
    assert ticket.status == "To Do"
    assert ticket.fields["Model Risk Tier"] == "Tier 1"
    assert [c["body"] for c in fake_jira.issues[key]["fields"]["comment"]["comments"]] == [
        "still waiting"
    ]


def test_status_names_map_onto_the_project_workflow(fake_jira: FakeJira) -> None:
    """`statuses` maps our names onto the project's; reads map them back."""
    jira = JiraTickets(jira_config(fake_jira, statuses={"Done": "In Review"}))
    key = _create(jira)
    moved = jira.transition(key, "Done")
    assert (moved.status, moved.native_status) == ("Done", "In Review")
    fake_jira.transition(key, "Rejected")
    assert jira.get(key).status == "Rejected"


def test_comment_and_attach(fake_jira: FakeJira, jira: JiraTickets) -> None:
    """Comments and attachments reach the issue."""
    key = _create(jira)
    jira.comment(key, "Test data refreshed")
    jira.attach(key, "results.json", b'{"auc": 0.61}')
    fields = fake_jira.issues[key]["fields"]
    assert [c["body"] for c in fields["comment"]["comments"]] == ["Test data refreshed"]
    assert [a["filename"] for a in fields["attachment"]] == ["results.json"]
    assert fields["attachment"][0]["size"] == len(b'{"auc": 0.61}')


def test_token_auth_sends_a_bearer_token(fake_jira: FakeJira) -> None:
    """Data Center personal access tokens go out as bearer tokens."""
    fake_jira.require_auth(tokens={"pat-777": "svc"})
    jira = JiraTickets(jira_config(fake_jira, username=None, api_token=SecretStr("pat-777")))
    assert _create(jira) == "MLC-1"
    assert {r.headers["Authorization"] for r in fake_jira.requests} == {"Bearer ***"}


def test_unknown_field_names_are_refused(jira: JiraTickets) -> None:
    """A field name Jira does not know fails without retry, naming the custom fields."""
    with pytest.raises(IntegrationError, match="no field named 'Nope'") as caught:
        _create(jira, Nope=1)
    assert "Expiration Date" in str(caught.value)
    assert caught.value.retryable is False


# -- idempotency ----------------------------------------------------------------------------


@pytest.mark.parametrize("search", ["label", "property"])
def test_a_repeated_create_returns_the_first_issue(fake_jira: FakeJira, search: str) -> None:
    """The same idempotency key finds the issue by label or by issue property."""
    jira = JiraTickets(jira_config(fake_jira, idempotency_search=search))
    assert _create(jira) == _create(jira) == "MLC-1"
    assert _create(jira, key="inst-1:task-2") == "MLC-2"
    assert len(fake_jira.issues) == 2
    found = jira.find_by_idempotency_key("inst-1:task-2")
    assert found is not None
    assert found.key == "MLC-2"
    assert jira.find_by_idempotency_key("unknown") is None


def test_a_lost_answer_does_not_create_a_second_issue(fake_jira: FakeJira) -> None:
    """Create commits, the answer never comes (timeout), the retry finds the issue."""
    jira = JiraTickets(jira_config(fake_jira, timeout=0.5))
    fake_jira.hang_next(path_prefix="/rest/api/2/issue", commit_first=True)
    with pytest.raises(IntegrationError, match=r"did not answer within 0\.5 s") as caught:
        _create(jira)
    assert caught.value.retryable is True
    fake_jira.release()
    assert _create(jira) == "MLC-1"
    assert list(fake_jira.issues) == ["MLC-1"]


def test_a_503_after_create_then_success_keeps_one_issue(fake_jira: FakeJira) -> None:
    """The read after the create fails with 503; the retry returns the created issue."""
    jira = JiraTickets(jira_config(fake_jira))
    fake_jira.fail_next(503, path_prefix="/rest/api/2/issue/MLC-1", method="GET")
    with pytest.raises(IntegrationError, match="HTTP 503") as caught:
        _create(jira)
    assert caught.value.retryable is True
    assert _create(jira) == "MLC-1"
    assert len(fake_jira.issues) == 1


def test_a_label_without_the_matching_key_is_not_trusted(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """An issue whose label matches but whose stored key differs is not reused."""
    jira = JiraTickets(jira_config(fake_jira))
    label = idempotency_label("inst-1:task-1")
    fake_jira.create_issue(
        "look-alike", fields={"labels": [label]}, properties={"mlc": {"key": "other"}}
    )
    clock.advance(SEARCH_LAG)
    assert jira.find_by_idempotency_key("inst-1:task-1") is None
    hand_made = fake_jira.create_issue("by hand", fields={"labels": [label]})
    clock.advance(SEARCH_LAG)
    found = jira.find_by_idempotency_key("inst-1:task-1")
    assert found is not None
    assert found.key == hand_made


# -- failures -------------------------------------------------------------------------------


def test_a_revoked_token_is_a_401_that_names_jira_without_the_token(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """A revoked token fails without retry; the message names Jira, never the token."""
    fake_jira.revoke(JIRA_TOKEN)
    with pytest.raises(IntegrationError) as caught:
        _create(jira)
    error = caught.value
    assert (error.service, error.status_code, error.retryable) == ("jira", 401, False)
    assert str(error).startswith(
        f"Jira sign-in at {fake_jira.url} for project MLC failed (HTTP 401)"
    )
    assert "credentials were refused" in str(error)
    _no_secret(error)
    assert JIRA_TOKEN not in repr(jira)
    assert JIRA_TOKEN not in repr(jira.config)


def test_an_unknown_project_is_a_404_naming_it(fake_jira: FakeJira) -> None:
    """A project that does not exist fails without retry, naming the project."""
    jira = JiraTickets(jira_config(fake_jira, project="NOPE"))
    with pytest.raises(IntegrationError) as caught:
        _create(jira)
    error = caught.value
    assert (error.status_code, error.retryable) == (404, False)
    assert "Jira read project NOPE failed (HTTP 404)" in str(error)
    assert "No project could be found with key 'NOPE'" in str(error)


def test_a_missing_issue_is_a_404(jira: JiraTickets) -> None:
    """Reading an issue that does not exist names the issue and the project."""
    with pytest.raises(IntegrationError, match="read issue MLC-404 in project MLC") as caught:
        jira.get("MLC-404")
    assert (caught.value.status_code, caught.value.retryable) == (404, False)


def test_rate_limits_are_retryable_with_the_retry_after_hint(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """429 is retryable and the message passes on Retry-After; the client does not sleep."""
    key = _create(jira)
    fake_jira.fail_next(429, retry_after=30)
    with pytest.raises(IntegrationError, match="retry after 30 s") as caught:
        jira.get(key)
    assert (caught.value.status_code, caught.value.retryable) == (429, True)
    assert jira.get(key).key == key


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable(fake_jira: FakeJira, jira: JiraTickets, status: int) -> None:
    """5xx answers are retryable."""
    key = _create(jira)
    fake_jira.fail_next(status)
    with pytest.raises(IntegrationError) as caught:
        jira.get(key)
    assert (caught.value.status_code, caught.value.retryable) == (status, True)


@pytest.mark.parametrize("status", [400, 403])
def test_client_errors_are_not_retryable(
    fake_jira: FakeJira, jira: JiraTickets, status: int
) -> None:
    """400 and 403 answers are not retried."""
    key = _create(jira)
    fake_jira.fail_next(status)
    with pytest.raises(IntegrationError) as caught:
        jira.get(key)
    assert (caught.value.status_code, caught.value.retryable) == (status, False)


def test_timeouts_are_retryable(fake_jira: FakeJira) -> None:
    """A read timeout is retryable and says how long was waited."""
    jira = JiraTickets(jira_config(fake_jira, timeout=0.5))
    key = _create(jira)
    fake_jira.hang_next()
    with pytest.raises(IntegrationError, match=r"did not answer within 0\.5 s") as caught:
        jira.get(key)
    assert (caught.value.status_code, caught.value.retryable) == (None, True)
    fake_jira.release()


def test_an_unreachable_jira_is_retryable() -> None:
    """A refused connection is retryable and names the URL, not the token."""
    with FakeJira() as fake:
        config = jira_config(fake)
    jira = JiraTickets(config)
    with pytest.raises(IntegrationError, match="could not be reached") as caught:
        jira.get("MLC-1")
    assert caught.value.retryable is True
    assert config.url in str(caught.value)
    _no_secret(caught.value)


# -- configuration --------------------------------------------------------------------------


def test_config_rejects_credentials_in_the_url_and_bad_project_keys() -> None:
    """The URL carries no credentials; the project is a key."""
    with pytest.raises(ValidationError, match="not in the URL"):
        JiraConfig(url="https://u:p@jira.example.com", project="MLC", api_token=SecretStr("t"))
    with pytest.raises(ValidationError, match="http"):
        JiraConfig(url="jira.example.com", project="MLC", api_token=SecretStr("t"))
    with pytest.raises(ValidationError, match="project key"):
        JiraConfig(url="https://jira.example.com", project="M L", api_token=SecretStr("t"))
    with pytest.raises(ValidationError, match="needs a username"):
        JiraConfig(
            url="https://jira.example.com", project="MLC", auth="basic", api_token=SecretStr("t")
        )
    config = JiraConfig(url="https://jira.example.com/", project="mlc", api_token=SecretStr("t"))
    assert (config.url, config.project) == ("https://jira.example.com", "MLC")


def test_issue_types_follow_the_kind(fake_jira: FakeJira) -> None:
    """Each kind may have its own issue type."""
    jira = JiraTickets(jira_config(fake_jira, issue_types={"job_failure": "Bug"}))
    context = TicketContext(kind="job_failure", job_id="j-1", job_status="ERROR")
    ticket = jira.create("job_failure", context, idempotency_key="k")
    assert ticket.fields["Issue Type"] == "Bug"
    assert ticket.summary == "Job j-1 of model ended ERROR"
