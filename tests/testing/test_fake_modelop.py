"""FakeModelOpCenter driven by plain `requests` over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from modelop_mlc.clock import ManualClock
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter

API = "/model-manage/api"


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=clock.now, token_ttl=600) as fake:
        yield fake


@pytest.fixture(name="http")
def _http(fake: FakeModelOpCenter) -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fake.issue_token()}"
    yield session
    session.close()


def get(http: requests.Session, fake: FakeModelOpCenter, path: str, **params: Any) -> Any:
    response = http.get(fake.url + API + path, params=params, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def post(http: requests.Session, fake: FakeModelOpCenter, path: str, body: Any) -> Any:
    response = http.post(fake.url + API + path, json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def seed(fake: FakeModelOpCenter) -> dict[str, Any]:
    return fake.add_stored_model(
        "credit",
        tags=["credit-risk"],
        source="# modelop.score\ndef score(r):\n    yield r\n",
        assets=[{"name": "test.csv", "assetRole": "TEST_DATA", "fileContent": "a,b\n1,2\n"}],
    )


# -- tokens and authentication ------------------------------------------------------------


def test_the_token_exchange_issues_an_expiring_bearer_token(fake: FakeModelOpCenter) -> None:
    """POST /gocli/token with client credentials as a form answers an OAuth2-style token."""
    response = requests.post(
        fake.url + "/gocli/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "mlc-client",
            "client_secret": "mlc-secret",
        },
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert fake.issued_tokens == [body["access_token"]]
    listed = requests.get(
        fake.url + API + "/storedModels",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=5,
    )
    assert listed.status_code == 200


def test_a_users_password_is_exchanged_as_modelops_scripts_send_it(
    fake: FakeModelOpCenter,
) -> None:
    """ModelOp's own form, `username` and `password`, gets a token; a wrong password a 401."""
    response = requests.post(
        fake.url + "/gocli/token",
        data={"username": "mlc-user", "password": "mlc-password"},
        timeout=5,
    )
    assert response.status_code == 200
    assert fake.issued_tokens == [response.json()["access_token"]]
    wrong = requests.post(
        fake.url + "/gocli/token",
        data={"username": "mlc-user", "password": "nope"},
        timeout=5,
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "unauthorized", "error_description": "Bad credentials"}


def test_a_revoked_password_or_secret_is_refused_by_the_exchange(clock: ManualClock) -> None:
    """revoke(password) and revoke(secret) refuse those credentials from then on."""
    users = {"ann": "pw-ann", "bob": "pw-bob"}
    with FakeModelOpCenter(clock=clock.now, users=users) as fake:

        def exchange(**form: str) -> int:
            return requests.post(fake.url + "/gocli/token", data=form, timeout=5).status_code

        fake.revoke("pw-ann")
        fake.revoke("mlc-secret")
        assert exchange(username="ann", password="pw-ann") == 401
        assert exchange(username="bob", password="pw-bob") == 200
        assert exchange(client_id="mlc-client", client_secret="mlc-secret") == 401


def test_the_token_exchange_accepts_json_and_basic_client_auth(fake: FakeModelOpCenter) -> None:
    """Credentials may come as a JSON body or as HTTP basic auth instead of a form."""
    as_json = requests.post(
        fake.url + "/gocli/token",
        json={"client_id": "mlc-client", "client_secret": "mlc-secret"},
        timeout=5,
    )
    as_basic = requests.post(
        fake.url + "/gocli/token", auth=("mlc-client", "mlc-secret"), timeout=5
    )
    assert (as_json.status_code, as_basic.status_code) == (200, 200)
    assert len(fake.issued_tokens) == 2


def test_bad_client_credentials_and_grants_are_refused_in_oauth_shape(
    fake: FakeModelOpCenter,
) -> None:
    """A wrong secret is 401 invalid_client; another grant type is 400 unsupported_grant_type."""
    wrong = requests.post(
        fake.url + "/gocli/token",
        data={"client_id": "mlc-client", "client_secret": "nope"},
        timeout=5,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    grant = requests.post(
        fake.url + "/gocli/token",
        data={"grant_type": "authorization_code", "code": "x"},
        timeout=5,
    )
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    assert requests.get(fake.url + "/gocli/token", timeout=5).status_code == 405
    assert fake.issued_tokens == []


def test_the_api_needs_a_valid_bearer_token(fake: FakeModelOpCenter, clock: ManualClock) -> None:
    """No token, an unknown one or an expired one is a 401 in Spring Boot's error shape."""
    token = fake.issue_token()
    url = fake.url + API + "/runtimes"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(missing.json()) == {"timestamp", "status", "error", "message", "path"}
    assert missing.json()["path"] == API + "/runtimes"
    assert requests.get(url, headers={"Authorization": "Bearer x"}, timeout=5).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    clock.advance(timedelta(seconds=600))
    assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_revoke_refuses_one_or_every_token(clock: ManualClock) -> None:
    """revoke(token) refuses that token; revoke() refuses all, static tokens included."""
    with FakeModelOpCenter(clock=clock.now, tokens=["static"]) as fake:
        first, second = fake.issue_token(), fake.issue_token()
        url = fake.url + API + "/runtimes"

        def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return requests.get(url, headers=headers, timeout=5).status_code

        fake.revoke(first)
        assert (status(first), status(second), status("static")) == (401, 200, 200)
        fake.revoke()
        assert (status(second), status("static")) == (401, 401)


# -- resources ----------------------------------------------------------------------------


def test_stored_models_are_served_as_hal(fake: FakeModelOpCenter, http: requests.Session) -> None:
    """Items are plain JSON with a self link; collections have _embedded, _links and page."""
    model = seed(fake)
    fake.add_stored_model("other")
    item = get(http, fake, f"/storedModels/{model['id']}")
    assert item["modelMetaData"]["name"] == "credit"
    assert item["_links"]["self"]["href"] == f"{fake.url}{API}/storedModels/{model['id']}"
    assert [a["assetRole"] for a in item["modelAssets"]] == ["MODEL_SOURCE", "TEST_DATA"]
    assert item["modelAssets"][1]["fileSize"] == 8
    assert item["createdDate"] == "2026-03-01T09:00:00.000Z"
    listing = get(http, fake, "/storedModels", name="credit")
    assert [m["id"] for m in listing["_embedded"]["storedModels"]] == [model["id"]]
    assert listing["page"] == {"size": 20, "totalElements": 1, "totalPages": 1, "number": 0}


def test_an_unknown_id_is_a_404_in_spring_shape(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """A missing item answers Spring Boot's error body naming the path."""
    response = http.get(fake.url + API + "/deployableModels/nope", timeout=5)
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404
    assert body["error"] == "Not Found"
    assert body["message"] == "No deployableModel with id 'nope'"
    assert body["path"] == API + "/deployableModels/nope"
    assert body["timestamp"] == "2026-03-01T09:00:00.000Z"


def test_snapshots_copy_the_stored_model_and_count_versions(
    fake: FakeModelOpCenter, http: requests.Session, clock: ManualClock
) -> None:
    """A POSTed snapshot gets an id, a date, the model's assets and the next version."""
    model = seed(fake)
    first = post(http, fake, "/deployableModels", {"storedModel": {"id": model["id"]}})
    clock.advance(timedelta(minutes=1))
    second = post(
        http,
        fake,
        "/deployableModels",
        {"storedModel": {"id": model["id"]}, "tags": ["run_test"], "custom": {"k": 1}},
    )
    assert (first["version"], second["version"]) == (1, 2)
    assert second["storedModel"]["modelMetaData"]["name"] == "credit"
    assert len(second["deployableModelAssets"]) == 2
    assert second["createdDate"] == "2026-03-01T09:01:00.000Z"
    assert second["custom"] == {"k": 1}
    assert [s["id"] for s in fake.snapshots] == [first["id"], second["id"]]
    refused = http.post(
        fake.url + API + "/deployableModels", json={"storedModel": {"id": "x"}}, timeout=5
    )
    assert refused.status_code == 400
    assert "unknown storedModel 'x'" in refused.json()["message"]


def test_collections_filter_sort_and_page(fake: FakeModelOpCenter, http: requests.Session) -> None:
    """Filters combine, sort=createdDate,desc breaks ties newest first, and pages have links."""
    model = seed(fake)
    other = fake.add_stored_model("other")
    ids = [fake.add_snapshot(model["id"], tags=[f"t{i}"])["id"] for i in range(3)]
    fake.add_snapshot(other["id"])
    tagged = get(http, fake, "/deployableModels", tag="credit-risk", sort="createdDate,desc")
    assert [s["id"] for s in tagged["_embedded"]["deployableModels"]] == ids[::-1]
    by_both = get(http, fake, "/deployableModels", tag="t1", storedModelId=model["id"])
    assert [s["id"] for s in by_both["_embedded"]["deployableModels"]] == [ids[1]]
    page = get(http, fake, "/deployableModels", size=3, page=0)
    assert page["page"]["totalPages"] == 2
    assert "next" in page["_links"]
    last = get(http, fake, "/deployableModels", size=3, page=1)
    assert len(last["_embedded"]["deployableModels"]) == 1
    assert "next" not in last["_links"]
    bad = http.get(fake.url + API + "/deployableModels", params={"size": "x"}, timeout=5)
    assert bad.status_code == 400


def test_jobs_are_validated_and_advanced_by_set_job_status(
    fake: FakeModelOpCenter, http: requests.Session, clock: ManualClock
) -> None:
    """A job (ModelOp's shape: the snapshot as `model`) stays CREATED until set_job_status."""
    snapshot = fake.add_snapshot(seed(fake)["id"])
    job = post(
        http,
        fake,
        "/jobs",
        {"jobType": "MODEL_BATCH_TEST_JOB", "model": snapshot, "targetEngine": {"name": "b"}},
    )
    assert job["model"]["id"] == snapshot["id"]
    assert job["jobStatus"] == "CREATED"
    clock.advance(timedelta(seconds=5))
    assert get(http, fake, f"/jobs/{job['id']}")["jobStatus"] == "CREATED"
    done = fake.set_job_status(job["id"], "COMPLETE", result={"auc": 0.9})
    assert done["endedDate"] == "2026-03-01T09:00:05.000Z"
    again = get(http, fake, f"/jobs/{job['id']}")
    assert (again["jobStatus"], again["result"]) == ("COMPLETE", {"auc": 0.9})
    listing = get(http, fake, "/jobs", deployableModelId=snapshot["id"], jobStatus="COMPLETE")
    assert [j["id"] for j in listing["_embedded"]["modelBatchJobs"]] == [job["id"]]
    bad_type = http.post(
        fake.url + API + "/jobs", json={"jobType": "X", "deployableModel": snapshot}, timeout=5
    )
    assert bad_type.status_code == 400
    assert "JobType" in bad_type.json()["message"]
    assert [j["id"] for j in fake.jobs] == [job["id"]]
    with pytest.raises(KeyError, match="no job 'nope'"):
        fake.set_job_status("nope", "COMPLETE")
    with pytest.raises(ValueError, match="unknown job status 'DONE'"):
        fake.set_job_status(job["id"], "DONE")


def test_deployments_need_a_known_runtime_and_default_their_type(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """A runtime without endpoints gives a BATCH deployment; filters reach into the runtime."""
    snapshot = fake.add_snapshot(seed(fake)["id"])
    batch = fake.add_runtime("batch-dev", tags=["credit-risk"], stage="DEV")
    online = fake.add_runtime("online", stage="PROD", endpoints=[{"type": "REST"}])
    assert "createdDate" not in batch
    first = post(http, fake, "/deployedModels", {"deployableModel": snapshot, "runtime": batch})
    second = post(http, fake, "/deployedModels", {"deployableModel": snapshot, "runtime": online})
    assert (first["deploymentType"], second["deploymentType"]) == ("BATCH", "ONLINE")
    assert first["deployedState"] == "DEPLOYED"
    prod = get(
        http, fake, "/deployedModels", stage="PROD", storedModelId=snapshot["storedModel"]["id"]
    )
    assert [d["id"] for d in prod["_embedded"]["deployedModels"]] == [second["id"]]
    unknown = http.post(
        fake.url + API + "/deployedModels",
        json={"deployableModel": snapshot, "runtime": {"name": "ghost"}},
        timeout=5,
    )
    assert unknown.status_code == 400
    assert len(fake.deployments) == 2


def test_patch_merges_top_level_fields_but_never_the_id(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """PATCH replaces the given fields; the id stays; a non-object body is a 400."""
    runtime = fake.add_runtime("batch", tags=["a"])
    url = f"{fake.url}{API}/runtimes/{runtime['id']}"
    patched = http.patch(url, json={"engineState": "STOPPED", "id": "other"}, timeout=5).json()
    assert (patched["id"], patched["engineState"], patched["tags"]) == (
        runtime["id"],
        "STOPPED",
        ["a"],
    )
    assert fake.runtimes[0]["engineState"] == "STOPPED"
    assert http.patch(url, json=[1], timeout=5).status_code == 400
    assert http.patch(url, data=b"{", timeout=5).status_code == 400
    assert http.delete(url, timeout=5).status_code == 405
    assert http.get(fake.url + API + "/nothing", timeout=5).status_code == 404


def test_test_results_and_notifications_are_created_and_filtered(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """A test result takes its stored model from the snapshot; notifications need a message."""
    snapshot = fake.add_snapshot(seed(fake)["id"])
    result = post(
        http,
        fake,
        "/modelTestResults",
        {"deployableModelId": snapshot["id"], "testResults": {"auc": 0.8}},
    )
    assert result["storedModelId"] == snapshot["storedModel"]["id"]
    found = get(http, fake, "/modelTestResults", deployableModelId=snapshot["id"])
    assert [r["id"] for r in found["_embedded"]["modelTestResults"]] == [result["id"]]
    unknown = http.post(
        fake.url + API + "/modelTestResults", json={"deployableModelId": "x"}, timeout=5
    )
    assert unknown.status_code == 400
    note = post(http, fake, "/notifications", {"message": "hi", "processInstanceId": "p1"})
    assert (note["type"], note["severity"]) == ("PROCESS", "INFO")
    assert get(http, fake, "/notifications", processInstanceId="p2")["_embedded"] == {
        "notifications": []
    }
    assert http.post(fake.url + API + "/notifications", json={}, timeout=5).status_code == 400
    assert [n["message"] for n in fake.notifications] == ["hi"]
    assert len(fake.test_results) == 1


def test_external_files_are_served_with_a_token(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """add_external_file serves text at /files/{name} to authenticated callers."""
    url = fake.add_external_file("data/test.csv", "a,b\n1,2\n")
    assert url == f"{fake.url}/files/data/test.csv"
    assert http.get(url, timeout=5).text == "a,b\n1,2\n"
    assert requests.get(url, timeout=5).status_code == 401
    assert http.get(fake.url + "/files/none.csv", timeout=5).status_code == 404


def test_stored_model_seeds_carry_metadata(fake: FakeModelOpCenter) -> None:
    """add_stored_model keeps group, description and custom metadata."""
    model = fake.add_stored_model("m", type="R", group="retail", description="d", custom={"x": 1})
    assert model["modelMetaData"] == {
        "name": "m",
        "type": "R",
        "tags": [],
        "custom": {"x": 1},
        "group": "retail",
        "description": "d",
    }
    assert fake.stored_models == [model]
    with pytest.raises(KeyError, match="add_stored_model"):
        fake.add_snapshot("missing")


# -- failures and the request log ----------------------------------------------------------


def test_injected_failures_answer_in_spring_shape_with_retry_after(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """fail_next answers the error body with Retry-After, then the next request is served."""
    fake.fail_next(429, retry_after=7, path_prefix=API + "/runtimes")
    limited = http.get(fake.url + API + "/runtimes", timeout=5)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json()["error"] == "Too Many Requests"
    assert limited.json()["path"] == API + "/runtimes"
    assert http.get(fake.url + API + "/runtimes", timeout=5).status_code == 200


def test_drop_next_closes_the_connection_without_an_answer(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """A dropped request reaches the log but the client sees a connection error."""
    fake.drop_next(method="GET")
    with pytest.raises(requests.ConnectionError):
        http.get(fake.url + API + "/runtimes", timeout=5)
    assert http.get(fake.url + API + "/runtimes", timeout=5).status_code == 200
    assert [r.path for r in fake.requests] == [API + "/runtimes"] * 2
    with pytest.raises(ValueError, match="times >= 1"):
        fake.drop_next(0)


def test_the_request_log_redacts_the_token_and_keeps_idempotency_keys(
    fake: FakeModelOpCenter, http: requests.Session
) -> None:
    """Each request is recorded with its JSON body; Authorization shows only its scheme."""
    snapshot = fake.add_snapshot(seed(fake)["id"])
    http.post(
        fake.url + API + "/jobs",
        json={"jobType": "MODEL_BATCH_JOB", "deployableModel": {"id": snapshot["id"]}},
        headers={"Idempotency-Key": "k-1"},
        timeout=5,
    )
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", API + "/jobs")
    assert request.header("authorization") == "Bearer ***"
    assert request.header("Idempotency-Key") == "k-1"
    assert request.json is not None
    assert request.json["jobType"] == "MODEL_BATCH_JOB"
    assert repr(fake) == f"FakeModelOpCenter({fake.url})"
