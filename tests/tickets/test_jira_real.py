"""JiraTickets against what real Jira does: lagging search, screens, richer fields, OAuth."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from requests_oauthlib import OAuth2Session

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.testing.fakes import FakeJira
from modelop_mlc.testing.fakes.jira import Screens
from modelop_mlc.tickets import JiraTickets, Tickets, context_from_variables
from tickets.support import JIRA_TOKEN, SEARCH_LAG, VARIABLES, jira_config, rich_jira

CONTEXT = context_from_variables("model_review", VARIABLES, instance_id="inst-1")


def _with(**fields: Any) -> Any:
    return CONTEXT.model_copy(update={"fields": fields})


def _paths(fake: FakeJira, method: str | None = None) -> list[str]:
    return [r.path for r in fake.requests if method is None or r.method == method]


# -- today's search API ---------------------------------------------------------------------


def test_cloud_searches_use_the_enhanced_endpoint_not_the_removed_one(
    fake_jira: FakeJira, jira: JiraTickets, clock: ManualClock
) -> None:
    """On Cloud the search goes to /search/jql; /rest/api/2/search answers 410 there."""
    jira.create("model_review", CONTEXT, idempotency_key="k")
    clock.advance(SEARCH_LAG)
    fake_jira.clear_requests()
    found = JiraTickets(jira_config(fake_jira)).find_by_idempotency_key("k")
    assert found is not None
    searches = [p for p in _paths(fake_jira) if "/search" in p]
    if fake_jira.deployment == "Cloud":
        assert searches == ["/rest/api/2/search/jql"]
        removed = requests.get(
            f"{fake_jira.url}/rest/api/2/search",
            params={"jql": "project = MLC"},
            auth=("svc@example.com", JIRA_TOKEN),
            timeout=5,
        )
        assert removed.status_code == 410
    else:
        assert searches == ["/rest/api/2/search"]


# -- exactly once under search lag ------------------------------------------------------------


def test_a_lost_answer_waits_for_the_lagging_search_and_never_opens_a_second_issue(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """Create commits, the answer is lost; retries wait while the search lags, then find it."""
    jira = JiraTickets(jira_config(fake_jira, timeout=0.5), clock=clock)
    jira.create("model_review", CONTEXT, idempotency_key="earlier")  # reads the screens
    fake_jira.hang_next(path_prefix="/rest/api/2/issue", commit_first=True)
    with pytest.raises(IntegrationError, match="did not answer"):
        jira.create("model_review", CONTEXT, idempotency_key="k")
    fake_jira.release()
    for _ in range(3):
        clock.advance(SEARCH_LAG / 4)
        with pytest.raises(IntegrationError, match="search does not show it yet") as caught:
            jira.create("model_review", CONTEXT, idempotency_key="k")
        assert caught.value.retryable is True
    clock.advance(SEARCH_LAG / 2)
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-2"
    assert list(fake_jira.issues) == ["MLC-1", "MLC-2"]


def test_a_failed_create_that_made_nothing_is_sent_again_after_the_lag(
    fake_jira: FakeJira, clock: ManualClock
) -> None:
    """A 503 might have created the issue: the retry waits out the lag, then creates once."""
    jira = JiraTickets(jira_config(fake_jira), clock=clock)
    fake_jira.fail_next(503, path_prefix="/rest/api/2/issue", method="POST")
    with pytest.raises(IntegrationError, match="HTTP 503"):
        jira.create("model_review", CONTEXT, idempotency_key="k")
    with pytest.raises(IntegrationError, match="search does not show it yet"):
        jira.create("model_review", CONTEXT, idempotency_key="k")
    clock.advance(jira.config.search_lag)
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"
    assert list(fake_jira.issues) == ["MLC-1"]


def test_a_refused_create_is_retried_at_once(fake_jira: FakeJira) -> None:
    """A 400 created nothing, so the retry creates without waiting for the search."""
    jira = JiraTickets(jira_config(fake_jira))
    fake_jira.fail_next(400, path_prefix="/rest/api/2/issue", method="POST")
    with pytest.raises(IntegrationError, match="HTTP 400"):
        jira.create("model_review", CONTEXT, idempotency_key="k")
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"


def test_the_journal_survives_a_restart_and_needs_no_search(
    fake_jira: FakeJira, clock: ManualClock, tmp_path: Path
) -> None:
    """The key is kept in the manager's database: a new process reads the issue by key."""
    first = JiraTickets(jira_config(fake_jira))
    manager = LifecycleManager.open(tmp_path / "m.db", clock=clock, tickets=Tickets(jira=first))
    fake_jira.fail_next(503, path_prefix="/rest/api/2/issue/MLC-1", method="GET")
    with pytest.raises(IntegrationError, match="HTTP 503"):
        first.create("model_review", CONTEXT, idempotency_key="k")
    manager.close()
    second = JiraTickets(jira_config(fake_jira))
    again = LifecycleManager.open(tmp_path / "m.db", clock=clock, tickets=Tickets(jira=second))
    fake_jira.clear_requests()
    assert second.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"
    assert not [p for p in _paths(fake_jira) if "/search" in p]
    assert _paths(fake_jira, "POST") == []
    again.close()
    assert len(fake_jira.issues) == 1


# -- screens ----------------------------------------------------------------------------------


def test_fields_off_the_create_screen_are_set_by_edit(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """Expiration Date is not on the create screen: the issue is created, then edited."""
    ticket = jira.create(
        "model_review",
        _with(**{"Expiration Date": "2027-01-31", "Model Risk Tier": "Tier 2"}),
        idempotency_key="k",
    )
    assert ticket.fields["Expiration Date"] == "2027-01-31"
    assert ticket.fields["Model Risk Tier"] == "Tier 2"
    create = next(r for r in fake_jira.requests if r.method == "POST" and r.path.endswith("/issue"))
    assert set(create.json["fields"]) >= {"customfield_10011"}
    assert "customfield_10010" not in create.json["fields"]
    assert any(r.method == "PUT" for r in fake_jira.requests)


def test_fields_off_the_transition_screen_are_set_by_edit_first(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """Approve shows the tier only: the date is edited in, the tier goes with the transition."""
    key = jira.create("model_review", CONTEXT, idempotency_key="k").key
    jira.transition(key, "In Review")
    fake_jira.clear_requests()
    done = jira.transition(
        key,
        "Done",
        comment="Approved",
        fields={"Expiration Date": "2027-06-30", "Model Risk Tier": "Tier 1"},
    )
    assert (done.status, done.fields["Expiration Date"], done.fields["Model Risk Tier"]) == (
        "Done",
        "2027-06-30",
        "Tier 1",
    )
    writes = [(r.method, r.json) for r in fake_jira.requests if r.method in ("PUT", "POST")]
    assert writes[0][0] == "PUT"
    assert writes[0][1]["fields"] == {"customfield_10010": "2027-06-30"}
    assert writes[1][0] == "POST"
    assert writes[1][1]["fields"] == {"customfield_10011": {"value": "Tier 1"}}


def test_a_field_on_no_screen_is_a_clear_error(clock: ManualClock) -> None:
    """A field neither the transition nor the edit screen shows fails, naming it and the fix."""
    screens = Screens(edit=["Model Risk Tier"])
    with rich_jira("Server", clock.now, screens=screens) as fake:
        jira = JiraTickets(jira_config(fake))
        key = jira.create("model_review", CONTEXT, idempotency_key="k").key
        jira.transition(key, "In Review")
        with pytest.raises(IntegrationError, match="neither the transition nor the edit") as caught:
            jira.transition(key, "Done", fields={"Expiration Date": "2027-06-30"})
        assert "'Expiration Date' (customfield_10010)" in str(caught.value)
        assert caught.value.retryable is False
        assert fake.issues[key]["fields"]["status"]["name"] == "In Review"


def test_a_bare_create_screen_still_gets_labels_and_description(clock: ManualClock) -> None:
    """A create screen with the summary only: labels and description follow by edit."""
    with rich_jira("Cloud", clock.now, screens=Screens(create=[])) as fake:
        jira = JiraTickets(jira_config(fake), clock=clock)
        ticket = jira.create("model_review", CONTEXT, idempotency_key="k")
        fields = fake.issues[ticket.key]["fields"]
        assert fields["labels"][0] == "mlc"
        assert "credit-risk" in fields["description"]
        create = next(r for r in fake.requests if r.method == "POST" and r.path.endswith("/issue"))
        assert set(create.json["fields"]) == {"project", "issuetype", "summary"}


def test_the_fake_refuses_fields_off_the_screen_as_jira_does(fake_jira: FakeJira) -> None:
    """A raw transition with a field not on its screen gets Jira's 400."""
    key = fake_jira.create_issue("Review")
    fake_jira.transition(key, "In Review")
    response = requests.post(
        f"{fake_jira.url}/rest/api/2/issue/{key}/transitions",
        json={"transition": {"id": "21"}, "fields": {"customfield_10010": "2027-01-01"}},
        auth=("svc@example.com", JIRA_TOKEN),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "customfield_10010": "Field 'customfield_10010' cannot be set. It is not on the "
        "appropriate screen, or unknown."
    }


# -- richer field types -----------------------------------------------------------------------


def test_multi_select_and_user_picker_values_take_the_shapes_jira_wants(
    fake_jira: FakeJira, jira: JiraTickets
) -> None:
    """A multi-select gets [{"value"}]; a user picker an accountId on Cloud, a name on DC."""
    ticket = jira.create(
        "model_review",
        _with(**{"Affected Regions": ["EU", "US"], "Model Approver": "alice"}),
        idempotency_key="k",
    )
    assert ticket.fields["Affected Regions"] == ["EU", "US"]
    create = next(r for r in fake_jira.requests if r.method == "POST" and r.path.endswith("/issue"))
    assert create.json["fields"]["customfield_10012"] == [{"value": "EU"}, {"value": "US"}]
    approver = create.json["fields"]["customfield_10013"]
    if fake_jira.deployment == "Cloud":
        assert set(approver) == {"accountId"}
        assert ticket.fields["Model Approver"] == "alice"
    else:
        assert approver == {"name": "alice"}


def test_an_unknown_user_on_cloud_is_a_clear_error(clock: ManualClock) -> None:
    """Jira Cloud needs an account id; a name matching nobody fails without retry."""
    with rich_jira("Cloud", clock.now) as fake:
        jira = JiraTickets(jira_config(fake))
        with pytest.raises(IntegrationError, match="'nobody' matches 0 users") as caught:
            jira.create("model_review", _with(**{"Model Approver": "nobody"}), idempotency_key="k")
        assert caught.value.retryable is False
        assert fake.issues == {}


def test_fields_sharing_a_name_need_an_id(fake_jira: FakeJira) -> None:
    """Two "Risk Tier" fields: the name alone is refused; field_ids or the id decides."""
    with pytest.raises(IntegrationError, match=r"2 fields named 'Risk Tier'") as caught:
        JiraTickets(jira_config(fake_jira)).create(
            "model_review", _with(**{"Risk Tier": "High"}), idempotency_key="a"
        )
    assert "customfield_10014, customfield_10015" in str(caught.value)
    chosen = JiraTickets(jira_config(fake_jira, field_ids={"Risk Tier": "customfield_10015"}))
    ticket = chosen.create("model_review", _with(**{"Risk Tier": "High"}), idempotency_key="b")
    assert ticket.fields["Risk Tier"] == "High"
    by_id = JiraTickets(jira_config(fake_jira)).create(
        "model_review", _with(customfield_10014="Low"), idempotency_key="c"
    )
    assert by_id.fields["customfield_10014"] == "Low"


def test_property_search_needs_an_indexed_property(clock: ManualClock) -> None:
    """Jira searches only declared property paths: an undeclared one is Jira's 400."""
    with rich_jira("Server", clock.now, indexed_properties={}) as fake:
        jira = JiraTickets(jira_config(fake, idempotency_search="property"))
        with pytest.raises(IntegrationError, match=r"issue\.property\[mlc\]\.key' does not exist"):
            jira.find_by_idempotency_key("k")


# -- authentication ---------------------------------------------------------------------------


def test_oauth_bearer_through_an_injected_session(
    fake_jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OAuth 2.0 session carries the bearer token; no API token is configured."""
    # oauthlib refuses plain http unless told; the fake serves http on 127.0.0.1.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_jira.require_auth(tokens={"oauth-access-123": "svc"})
    session = OAuth2Session(token={"access_token": "oauth-access-123", "token_type": "Bearer"})
    config = jira_config(fake_jira, username=None, api_token=None)
    jira = JiraTickets(config, session=session)
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"
    assert {r.headers["Authorization"] for r in fake_jira.requests} == {"Bearer ***"}
    fake_jira.revoke("oauth-access-123")
    with pytest.raises(IntegrationError) as caught:
        jira.get("MLC-1")
    assert caught.value.status_code == 401
    assert "oauth-access-123" not in str(caught.value)


def test_a_plain_session_with_a_bearer_header_works_too(fake_jira: FakeJira) -> None:
    """Any requests.Session whose headers carry the token will do."""
    fake_jira.require_auth(tokens={"static-bearer-9": "svc"})
    session = requests.Session()
    session.headers["Authorization"] = "Bearer static-bearer-9"
    jira = JiraTickets(jira_config(fake_jira, username=None, api_token=None), session=session)
    assert jira.create("model_review", CONTEXT, idempotency_key="k").key == "MLC-1"


def test_credentials_are_required_unless_a_session_or_client_is_given(
    fake_jira: FakeJira,
) -> None:
    """Without a token, a session or a client the adapter refuses to be built."""
    config = jira_config(fake_jira, username=None, api_token=None)
    with pytest.raises(ConfigurationError, match="needs credentials"):
        JiraTickets(config)
    with pytest.raises(ConfigurationError, match="not both"):
        JiraTickets(config, session=requests.Session(), client=object())  # type: ignore[arg-type]


def test_a_basic_header_echoed_in_an_error_is_scrubbed(fake_jira: FakeJira) -> None:
    """A proxy echoing the Authorization header leaks neither the token nor its base64 form."""
    jira = JiraTickets(jira_config(fake_jira))
    encoded = base64.b64encode(f"svc@example.com:{JIRA_TOKEN}".encode()).decode()
    fake_jira.fail_next(
        400, body={"errorMessages": [f"bad header: Basic {encoded} ({JIRA_TOKEN})"], "errors": {}}
    )
    with pytest.raises(IntegrationError) as caught:
        jira.get("MLC-1")
    assert encoded not in str(caught.value)
    assert JIRA_TOKEN not in str(caught.value)
    assert "***" in str(caught.value)


def test_api_tokens_and_pats_are_configured_without_a_session(fake_jira: FakeJira) -> None:
    """Cloud: e-mail + API token as basic auth; Data Center: a PAT as bearer."""
    fake_jira.require_auth(tokens={"pat-555": "svc"})
    cloud_style = JiraTickets(jira_config(fake_jira))
    pat = JiraTickets(jira_config(fake_jira, username=None, api_token=SecretStr("pat-555")))
    assert cloud_style.create("model_review", CONTEXT, idempotency_key="a").key == "MLC-1"
    assert pat.create("model_review", CONTEXT, idempotency_key="b").key == "MLC-2"
    schemes = {r.headers["Authorization"].split()[0] for r in fake_jira.requests}
    assert schemes == {"Basic", "Bearer"}
