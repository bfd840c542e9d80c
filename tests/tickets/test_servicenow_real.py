"""ServiceNowTickets against what a real instance does: dropped columns and conditions, OAuth."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

import pysnow
import pytest
import requests
from pydantic import SecretStr, ValidationError

from modelop_mlc import ManualClock
from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.testing.fakes import FakeServiceNow
from modelop_mlc.tickets import ServiceNowConfig, ServiceNowTickets, context_from_variables
from tickets.support import SNOW_COLUMNS, SNOW_PASSWORD, VARIABLES, snow_config

APPROVAL = context_from_variables("model_approval", VARIABLES, instance_id="inst-1")
FAILURE = context_from_variables("job_failure", {**VARIABLES, "JOB": {"id": "j-7"}})


def _no_creds(fake: FakeServiceNow, **overrides: object) -> ServiceNowConfig:
    return snow_config(fake, username=None, password=None, **overrides)


# -- the instance drops what it does not know -------------------------------------------------


def test_the_instance_drops_unknown_columns_and_conditions(fake_snow: FakeServiceNow) -> None:
    """Raw Table API: an unknown column vanishes, a condition on it is ignored (rows come back)."""
    auth = ("svc.mlc", SNOW_PASSWORD)
    url = f"{fake_snow.url}/api/now/table/incident"
    created = requests.post(
        url, json={"short_description": "x", "u_nope": "lost"}, auth=auth, timeout=5
    ).json()["result"]
    assert "u_nope" not in created
    found = requests.get(url, params={"sysparm_query": "u_nope=lost"}, auth=auth, timeout=5)
    assert [r["number"] for r in found.json()["result"]] == [created["number"]]
    dictionary = requests.get(
        f"{fake_snow.url}/api/now/table/sys_dictionary",
        params={"sysparm_query": "name=change_request^element=u_expiration_date"},
        auth=auth,
        timeout=5,
    ).json()["result"]
    assert [d["column_label"] for d in dictionary] == ["Expiration Date"]


def test_a_column_the_table_lacks_is_refused_before_anything_is_written(
    fake_snow: FakeServiceNow,
) -> None:
    """A mapped column that does not exist fails, naming it; no PATCH reaches the instance."""
    snow = ServiceNowTickets(snow_config(fake_snow, field_names={"Expiration Date": "u_expiry"}))
    key = snow.create("model_approval", APPROVAL, idempotency_key="a").key
    fake_snow.clear_requests()
    with pytest.raises(IntegrationError, match="has no column 'u_expiry'") as caught:
        snow.transition(key, "Done", fields={"Expiration Date": "2027-03-31"})
    assert caught.value.retryable is False
    assert "PATCH" not in [r.method for r in fake_snow.requests]


def test_an_unmapped_label_suggests_its_column(fake_snow: FakeServiceNow) -> None:
    """A field named by its label gets a hint to the column that has that label."""
    snow = ServiceNowTickets(snow_config(fake_snow))
    with pytest.raises(IntegrationError, match="did you mean 'u_expiration_date'"):
        snow.create(
            "model_approval",
            APPROVAL.model_copy(update={"fields": {"Expiration Date": "2027-03-31"}}),
            idempotency_key="a",
        )
    assert fake_snow.records("change_request") == []


def test_without_the_check_the_value_is_silently_lost(fake_snow: FakeServiceNow) -> None:
    """What the check prevents: with check_columns off the instance drops the field."""
    snow = ServiceNowTickets(
        snow_config(fake_snow, check_columns=False, field_names={"Expiration Date": "u_expiry"})
    )
    key = snow.create("model_approval", APPROVAL, idempotency_key="a").key
    done = snow.transition(key, "Done", fields={"Expiration Date": "2027-03-31"})
    assert "Expiration Date" not in done.fields
    assert "u_expiry" not in fake_snow.records("change_request")[0]


@pytest.fixture(name="plain_snow")
def _plain_snow(clock: ManualClock) -> Iterator[FakeServiceNow]:
    columns = {**SNOW_COLUMNS, "u_model": {"u_title": "Title"}}
    with FakeServiceNow(clock=clock.now, plain_tables=("u_model",), columns=columns) as fake:
        fake.require_auth(users={"svc.mlc": SNOW_PASSWORD})
        yield fake


def test_a_table_without_correlation_id_is_refused_not_duplicated(
    plain_snow: FakeServiceNow,
) -> None:
    """A custom table lacking correlation_id cannot dedupe: refused before inserting."""
    plain_snow.add_record("u_model", u_title="someone else's record")
    snow = ServiceNowTickets(snow_config(plain_snow, tables={"model_approval": "u_model"}))
    with pytest.raises(IntegrationError, match="table u_model has no column") as caught:
        snow.create("model_approval", APPROVAL, idempotency_key="a")
    assert "'correlation_id'" in str(caught.value)
    assert len(plain_snow.records("u_model")) == 1


def test_a_dropped_condition_cannot_fool_the_duplicate_check(
    plain_snow: FakeServiceNow,
) -> None:
    """The instance answers every row to a query on a missing column; none is taken as a match."""
    plain_snow.add_record("u_model", u_title="someone else's record")
    snow = ServiceNowTickets(
        snow_config(plain_snow, tables={"model_approval": "u_model"}, check_columns=False)
    )
    assert snow.find_by_idempotency_key("a") is None
    answered = [r for r in plain_snow.requests if r.path.endswith("/u_model")]
    assert answered, "the duplicate check queried the custom table"


# -- authentication ---------------------------------------------------------------------------


def test_oauth_password_grant(fake_snow: FakeServiceNow, clock: ManualClock) -> None:
    """Client id and secret plus the user's password get a bearer token, renewed on expiry."""
    fake_snow.register_oauth_client(
        "mlc-client", "client-secret-77", lifetime=timedelta(minutes=30)
    )
    config = snow_config(
        fake_snow, client_id="mlc-client", client_secret=SecretStr("client-secret-77")
    )
    assert config.resolved_auth() == "oauth_password"
    snow = ServiceNowTickets(config, clock=clock)
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    clock.advance(timedelta(hours=1))
    assert snow.get(key).key == key
    tokens = [r for r in fake_snow.requests if r.path == "/oauth_token.do"]
    assert len(tokens) == 2
    assert {r.headers.get("Authorization") for r in fake_snow.requests if "/table/" in r.path} == {
        "Bearer ***"
    }


def test_oauth_client_credentials_and_a_revoked_token(
    fake_snow: FakeServiceNow, clock: ManualClock
) -> None:
    """The client credentials grant acts as the app user; a 401 renews the token once."""
    fake_snow.register_oauth_client("mlc-client", "client-secret-77", user="svc.mlc")
    config = _no_creds(
        fake_snow, client_id="mlc-client", client_secret=SecretStr("client-secret-77")
    )
    assert config.resolved_auth() == "oauth_client_credentials"
    snow = ServiceNowTickets(config, clock=clock)
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    fake_snow.expire_tokens()
    assert snow.get(key).key == key
    assert sum(r.path == "/oauth_token.do" for r in fake_snow.requests) == 2


def test_a_refused_oauth_client_is_a_clear_error_without_the_secret(
    fake_snow: FakeServiceNow, clock: ManualClock
) -> None:
    """Client credentials without an app user are refused; the hint names the setting."""
    fake_snow.register_oauth_client("mlc-client", "client-secret-77")
    config = _no_creds(
        fake_snow, client_id="mlc-client", client_secret=SecretStr("client-secret-77")
    )
    with pytest.raises(IntegrationError, match="OAuth Application User") as caught:
        ServiceNowTickets(config, clock=clock).get("INC0010001")
    assert (caught.value.status_code, caught.value.retryable) == (401, False)
    assert "client-secret-77" not in str(caught.value)


def test_api_key(fake_snow: FakeServiceNow) -> None:
    """A REST API key goes in x-sn-apikey; the request log and errors never show it."""
    fake_snow.add_api_key("api-key-0099", "svc.mlc")
    snow = ServiceNowTickets(_no_creds(fake_snow, api_key=SecretStr("api-key-0099")))
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    assert snow.get(key).key == key
    fake_snow.fail_next(400, body={"error": {"message": "bad key api-key-0099"}})
    with pytest.raises(IntegrationError) as caught:
        snow.get(key)
    assert "api-key-0099" not in str(caught.value)


def test_a_pysnow_oauth_client_works(
    fake_snow: FakeServiceNow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pysnow's OAuthClient, pysnow's documented OAuth route, is accepted without a password."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake serves plain http
    fake_snow.register_oauth_client("mlc-client", "client-secret-77")
    client = pysnow.OAuthClient(
        client_id="mlc-client",
        client_secret="client-secret-77",
        host=f"127.0.0.1:{fake_snow.port}",
        use_ssl=False,
    )
    client.set_token(client.generate_token("svc.mlc", SNOW_PASSWORD))
    snow = ServiceNowTickets(_no_creds(fake_snow), client=client)
    key = snow.create("job_failure", FAILURE, idempotency_key="k").key
    assert snow.get(key).key == key


def test_an_injected_session_needs_no_password(fake_snow: FakeServiceNow) -> None:
    """A session that signs requests itself is handed to pysnow; no credentials configured."""
    session = requests.Session()
    session.auth = ("svc.mlc", SNOW_PASSWORD)
    snow = ServiceNowTickets(_no_creds(fake_snow), session=session)
    assert snow.create("job_failure", FAILURE, idempotency_key="k").key == "INC0010001"
    encoded = base64.b64encode(f"svc.mlc:{SNOW_PASSWORD}".encode()).decode()
    fake_snow.fail_next(400, body={"error": {"message": f"got Basic {encoded}"}})
    with pytest.raises(IntegrationError) as caught:
        snow.get("INC0010001")
    assert encoded not in str(caught.value)
    assert SNOW_PASSWORD not in str(caught.value)


def test_credentials_are_checked_at_construction(fake_snow: FakeServiceNow) -> None:
    """Without credentials, client or session the adapter is refused; half an OAuth too."""
    with pytest.raises(ConfigurationError, match="needs credentials"):
        ServiceNowTickets(_no_creds(fake_snow))
    with pytest.raises(ValidationError, match="needs client_secret"):
        _no_creds(fake_snow, client_id="c")
    with pytest.raises(ValidationError, match="needs password"):
        snow_config(fake_snow, password=None)
