"""RestCenter against FakeModelOpCenter over real sockets, alone and under ModelOp's delegates."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import ModelOpCenter, ModelOpNotFoundError
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeploymentType,
    JobStatus,
    JobType,
    Runtime,
)
from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter

API = "/model-manage/api"
CLIENT: dict[str, Any] = {"client_id": "mlc-client", "client_secret": "mlc-secret"}
SOURCE = "# modelop.metrics\ndef metrics(df):\n    yield {'auc': 0.9}\n"


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=clock.now, token_ttl=600) as fake:
        yield fake


@pytest.fixture(name="center")
def _center(fake: FakeModelOpCenter, clock: ManualClock) -> Iterator[RestCenter]:
    with RestCenter(fake.url, **CLIENT, clock=clock, timeout=5) as center:
        yield center


@pytest.fixture(name="model")
def _model(fake: FakeModelOpCenter) -> dict[str, Any]:
    fake.add_runtime("batch-dev", tags=["credit-risk"], stage="DEV")
    fake.add_runtime(
        "online-prod", tags=["credit-risk"], stage="PROD", endpoints=[{"type": "REST"}]
    )
    fake.add_runtime("other", tags=["fraud"], stage="DEV")
    return fake.add_stored_model(
        "credit",
        tags=["credit-risk"],
        source=SOURCE,
        assets=[{"name": "test.csv", "assetRole": "TEST_DATA", "fileContent": "a\n1\n"}],
    )


def calls(fake: FakeModelOpCenter, method: str, path: str) -> list[Any]:
    return [r for r in fake.requests if r.method == method and r.path == API + path]


def token_requests(fake: FakeModelOpCenter) -> int:
    return sum(1 for r in fake.requests if r.path == "/gocli/token")


# -- stored models and snapshots ------------------------------------------------------------


def test_rest_center_satisfies_the_port(center: RestCenter) -> None:
    """RestCenter is a ModelOpCenter; its repr shows only the base URL."""
    assert isinstance(center, ModelOpCenter)
    assert repr(center) == f"RestCenter({center.base_url!r})"


def test_stored_models_are_read_by_id_and_name(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """get_stored_model returns the record; find_stored_models filters by name, newest first."""
    clock.advance(timedelta(minutes=1))
    newer = fake.add_stored_model("credit")
    fake.add_stored_model("fraud")
    stored = center.get_stored_model(model["id"])
    assert stored.model_meta_data.tags == ["credit-risk"]
    assert stored.model_assets[0].asset_role == AssetRole.MODEL_SOURCE
    assert [m.id for m in center.find_stored_models(name="credit")] == [newer["id"], model["id"]]
    assert len(center.find_stored_models()) == 3
    (listing,) = calls(fake, "GET", "/storedModels")[:1]
    assert listing.query["name"] == ["credit"]
    assert listing.query["sort"] == ["createdDate,desc"]


def test_an_unknown_id_raises_model_op_not_found(center: RestCenter) -> None:
    """A 404 on an item becomes ModelOpNotFoundError with LocalCenter's labels."""
    with pytest.raises(ModelOpNotFoundError) as caught:
        center.get_deployable_model("nope")
    assert (caught.value.kind, caught.value.object_id) == ("snapshot", "nope")
    with pytest.raises(ModelOpNotFoundError, match="no stored model with id 'x'"):
        center.get_stored_model("x")
    with pytest.raises(ModelOpNotFoundError, match="no job with id ''"):
        center.get_job("")
    with pytest.raises(ModelOpNotFoundError, match="no deployed model"):
        center.patch_deployed_model("nope", {"deployedState": "RETIRED"})
    with pytest.raises(ModelOpNotFoundError, match="no test result"):
        center.patch_test_result("nope", {"testResultPassed": True})


def test_snapshots_copy_the_stored_model_and_are_listed_newest_first(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """create_deployable_model snapshots metadata and assets; lists are newest first."""
    first = center.create_deployable_model(model["id"], tags=["run_test"], custom={"a": 1})
    second = center.create_deployable_model(model["id"])
    assert (first.version, second.version) == (1, 2)
    assert first.custom == {"a": 1}
    assert [a.asset_role for a in first.deployable_model_assets] == [
        AssetRole.MODEL_SOURCE,
        AssetRole.TEST_DATA,
    ]
    assert center.get_deployable_model(first.id) == first
    assert [s.id for s in center.find_deployable_models(stored_model_id=model["id"])] == [
        second.id,
        first.id,
    ]
    assert [s.id for s in center.find_deployable_models(tag="run_test")] == [first.id]
    assert [s.id for s in center.find_deployable_models(tag="credit-risk")] == [
        second.id,
        first.id,
    ]
    (post,) = calls(fake, "POST", "/deployableModels")[:1]
    assert post.json["storedModel"]["id"] == model["id"]
    with pytest.raises(ModelOpNotFoundError, match="no stored model"):
        center.create_deployable_model("missing")


def test_patching_a_snapshot_merges_fields(center: RestCenter, model: dict[str, Any]) -> None:
    """patch_deployable_model changes the given camelCase fields only."""
    snapshot = center.create_deployable_model(model["id"], tags=["a"])
    patched = center.patch_deployable_model(snapshot.id, {"trainedModel": {"w": [1, 2]}})
    assert patched.trained_model == {"w": [1, 2]}
    assert patched.tags == ["a"]
    assert center.get_deployable_model(snapshot.id).trained_model == {"w": [1, 2]}


def test_lists_follow_every_page(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """More snapshots than one page holds are all returned."""
    for _ in range(102):
        fake.add_snapshot(model["id"])
    assert len(center.find_deployable_models()) == 102
    pages = [r.query["page"] for r in calls(fake, "GET", "/deployableModels")]
    assert pages == [["0"], ["1"]]


# -- idempotency ----------------------------------------------------------------------------


def test_a_repeated_key_returns_the_first_snapshot(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """The key is kept in custom.mlcIdempotencyKey and sent as Idempotency-Key."""
    first = center.create_deployable_model(model["id"], idempotency_key="i-1:task")
    again = center.create_deployable_model(model["id"], idempotency_key="i-1:task")
    other = center.create_deployable_model(model["id"], idempotency_key="i-2:task")
    assert again == first
    assert other.id != first.id
    assert first.custom == {"mlcIdempotencyKey": "i-1:task"}
    assert len(fake.snapshots) == 2
    assert calls(fake, "POST", "/deployableModels")[0].header("Idempotency-Key") == "i-1:task"


def test_a_create_whose_answer_was_lost_is_found_on_retry(
    fake: FakeModelOpCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """The job is created but its answer is lost; the retried call finds that job."""
    snapshot = DeployableModel.from_variable(fake.add_snapshot(model["id"]))
    inputs = snapshot.assets_with_role(AssetRole.TEST_DATA)
    with RestCenter(fake.url, **CLIENT, clock=clock, timeout=5) as center:
        fake.drop_next(path_prefix=API + "/jobs", method="POST", commit_first=True)
        with pytest.raises(IntegrationError) as caught:
            center.create_batch_job(
                snapshot, JobType.MODEL_BATCH_TEST_JOB, inputs=inputs, idempotency_key="k"
            )
        assert caught.value.retryable
        assert len(fake.jobs) == 1
        job = center.create_batch_job(
            snapshot, JobType.MODEL_BATCH_TEST_JOB, inputs=inputs, idempotency_key="k"
        )
    assert [j["id"] for j in fake.jobs] == [job.id]
    assert job.job_parameters == {"mlcIdempotencyKey": "k"}
    assert len(calls(fake, "POST", "/jobs")) == 1
    assert [r.query["deployableModelId"] for r in calls(fake, "GET", "/jobs")] == [
        [snapshot.id],
        [snapshot.id],
    ]


def test_deployments_test_results_and_notifications_are_idempotent(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """A repeated key finds the deployment, test result and notification made first."""
    snapshot = center.create_deployable_model(model["id"])
    runtime = center.get_runtime("batch-dev")
    deployed = center.deploy_model(snapshot, runtime, idempotency_key="d")
    assert center.deploy_model(snapshot, runtime, idempotency_key="d") == deployed
    result = center.create_test_result(snapshot.id, {"auc": 0.9}, idempotency_key="r")
    assert center.create_test_result(snapshot.id, {"auc": 0.9}, idempotency_key="r") == result
    note = center.create_notification("hi", process_instance_id="p", idempotency_key="n")
    assert center.create_notification("hi", process_instance_id="p", idempotency_key="n") == note
    by_model = center.create_notification("m", model_id=snapshot.id, idempotency_key="n2")
    assert center.create_notification("m", model_id=snapshot.id, idempotency_key="n2") == by_model
    assert (len(fake.deployments), len(fake.test_results), len(fake.notifications)) == (1, 1, 2)


# -- assets ---------------------------------------------------------------------------------


def test_assets_are_read_embedded_or_from_the_centers_host(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """Embedded content needs no call; a URL on the center's host is fetched with the token."""
    assert center.read_asset(Asset(name="a", file_content="x,y\n")) == "x,y\n"
    url = fake.add_external_file("data.csv", "a,b\n1,2\n")
    external = Asset(name="data", asset_type=AssetType.EXTERNAL_FILE, file_url=url)
    assert center.read_asset(external) == "a,b\n1,2\n"
    (fetch,) = [r for r in fake.requests if r.path == "/files/data.csv"]
    assert fetch.header("Authorization") == "Bearer ***"
    missing = Asset(name="gone", file_url=fake.url + "/files/gone.csv")
    with pytest.raises(IntegrationError, match="no file at") as caught:
        center.read_asset(missing)
    assert (caught.value.status_code, caught.value.retryable) == (404, False)


@pytest.mark.parametrize(
    "url", ["s3://bucket/test.csv", "hdfs:///data/test.csv", "http://elsewhere.example/t.csv"]
)
def test_external_storage_is_not_reachable_from_here(center: RestCenter, url: str) -> None:
    """A URL off the center's host is refused with an explanation, not fetched."""
    with pytest.raises(IntegrationError, match="external storage is not reachable") as caught:
        center.read_asset(Asset(name="data", file_url=url))
    assert caught.value.service == "modelop"
    assert not caught.value.retryable
    with pytest.raises(IntegrationError, match="no content and no URL"):
        center.read_asset(Asset(name="empty"))


def test_output_assets_are_described_without_a_call(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """create_external_file_asset builds the asset locally, as LocalCenter does."""
    embedded = center.create_external_file_asset(filename="out.json", file_format="JSON")
    external = center.create_external_file_asset(
        filename="o.csv", file_format="CSV", role="SCORING_OUTPUT", file_url="s3://b/o.csv"
    )
    assert (embedded.asset_type, embedded.asset_role) == (AssetType.ASSET_FILE, AssetRole.UNKNOWN)
    assert (external.asset_type, external.asset_role) == (
        AssetType.EXTERNAL_FILE,
        AssetRole.SCORING_OUTPUT,
    )
    assert fake.requests == []


# -- runtimes, jobs, deployments, results ----------------------------------------------------


def test_runtimes_are_listed_found_and_stopped(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """list_runtimes filters by tag in registration order; stop_engine PATCHes the state."""
    assert [r.name for r in center.list_runtimes(tag="credit-risk")] == ["batch-dev", "online-prod"]
    assert len(center.list_runtimes()) == 3
    runtime = center.get_runtime("online-prod")
    assert not runtime.batch
    assert center.stop_engine("batch-dev") == "STOPPED"
    assert fake.runtimes[0]["engineState"] == "STOPPED"
    with pytest.raises(ModelOpNotFoundError, match="no runtime with id 'ghost'"):
        center.stop_engine("ghost")


def test_batch_jobs_are_created_and_read_back(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """create_batch_job POSTs the job; get_job sees the status the runtime reported."""
    snapshot = center.create_deployable_model(model["id"])
    output = center.create_external_file_asset(filename="out.json", file_format="JSON")
    job = center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
        outputs=[output],
        runtime="batch-dev",
        parameters={"threshold": 0.5},
    )
    assert (job.job_status, job.target_engine) == (JobStatus.CREATED, "batch-dev")
    assert job.job_parameters == {"threshold": 0.5}
    assert job.deployable_model.id == snapshot.id
    fake.set_job_status(job.id, "COMPLETE", result={"auc": 0.91})
    done = center.get_job(job.id)
    assert (done.job_status, done.result) == (JobStatus.COMPLETE, {"auc": 0.91})
    assert done.ended_date == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    (post,) = calls(fake, "POST", "/jobs")
    assert post.header("Idempotency-Key") is None
    assert post.json["inputData"][0]["fileContent"] == "a\n1\n"


def test_deploying_replaces_the_earlier_deployment_on_that_runtime(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """As in LocalCenter: the old deployment is UNDEPLOYED and a stopped engine runs again."""
    first = center.create_deployable_model(model["id"])
    clock.advance(timedelta(minutes=1))
    second = center.create_deployable_model(model["id"])
    batch = center.get_runtime("batch-dev")
    old = center.deploy_model(first, batch)
    assert old.deployment_type == DeploymentType.BATCH
    center.stop_engine("batch-dev")
    clock.advance(timedelta(minutes=1))
    new = center.deploy_model(second, batch)
    online = center.deploy_model(second, center.get_runtime("online-prod"))
    assert online.deployment_type == DeploymentType.ONLINE
    assert new.runtime.engine_state == "RUNNING"
    assert fake.runtimes[0]["engineState"] == "RUNNING"
    assert [d.id for d in center.find_deployed_models(state="DEPLOYED")] == [online.id, new.id]
    assert [d.id for d in center.find_deployed_models(state="UNDEPLOYED")] == [old.id]
    assert [d.id for d in center.find_deployed_models(stage="PROD")] == [online.id]
    assert [d.id for d in center.find_deployed_models(deployable_model_id=first.id)] == [old.id]
    assert len(center.find_deployed_models(tag="credit-risk", stored_model_id=model["id"])) == 3
    assert center.find_deployed_models(tag="fraud") == []


def test_a_runtime_given_by_name_only_is_looked_up_before_deploying(
    center: RestCenter, model: dict[str, Any]
) -> None:
    """A Runtime without an id (from a process variable) is found by name."""
    snapshot = center.create_deployable_model(model["id"])
    deployed = center.deploy_model(snapshot, Runtime(name="batch-dev"))
    assert deployed.runtime.id is not None
    with pytest.raises(ModelOpNotFoundError, match="runtime"):
        center.deploy_model(snapshot, Runtime(name="ghost"))


def test_deployed_models_are_patched_with_dates(center: RestCenter, model: dict[str, Any]) -> None:
    """patch_deployed_model sends datetimes as ISO text and returns the record."""
    snapshot = center.create_deployable_model(model["id"])
    deployed = center.deploy_model(snapshot, center.get_runtime("batch-dev"))
    expires = datetime(2027, 3, 1, tzinfo=UTC)
    patched = center.patch_deployed_model(
        deployed.id,
        {"expirationDate": expires, "schedules": [{"cronExpression": "0 0 * * *"}]},
    )
    assert patched.expiration_date == expires
    assert patched.schedules[0].cron_expression == "0 0 * * *"


def test_test_results_are_stored_patched_and_listed(
    center: RestCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """A test result carries its snapshot's stored model; lists are newest first."""
    snapshot = center.create_deployable_model(model["id"])
    first = center.create_test_result(snapshot.id, {"auc": 0.7}, job_id="j1")
    clock.advance(timedelta(seconds=1))
    second = center.create_test_result(snapshot.id, {"auc": 0.8})
    assert (first.stored_model_id, first.job_id) == (model["id"], "j1")
    judged = center.patch_test_result(first.id, {"testResultPassed": False})
    assert judged.test_result_passed is False
    assert [r.id for r in center.find_test_results(snapshot.id)] == [second.id, first.id]
    assert center.find_test_results("other") == []
    with pytest.raises(ModelOpNotFoundError, match="no snapshot"):
        center.create_test_result("missing", {})


def test_notifications_are_recorded(center: RestCenter, fake: FakeModelOpCenter) -> None:
    """create_notification POSTs every given field."""
    note = center.create_notification(
        "Job failed",
        type="JOB",
        severity="ERROR",
        model_id="m",
        process_instance_id="p",
        assignment={"assignmentType": "JIRA_NOTIFICATION_ASSIGNMENT"},
    )
    assert (note.type, note.severity, note.model_id) == ("JOB", "ERROR", "m")
    assert fake.notifications[0]["assignment"] == {"assignmentType": "JIRA_NOTIFICATION_ASSIGNMENT"}


# -- tokens ---------------------------------------------------------------------------------


def test_the_token_is_exchanged_once_and_renewed_when_it_expires(
    center: RestCenter, fake: FakeModelOpCenter, clock: ManualClock
) -> None:
    """Calls share one token until the injected clock says it expires."""
    center.list_runtimes()
    center.list_runtimes()
    assert token_requests(fake) == 1
    (exchange,) = [r for r in fake.requests if r.path == "/gocli/token"]
    assert exchange.header("Content-Type") == "application/x-www-form-urlencoded"
    assert b"grant_type=client_credentials" in exchange.body
    clock.advance(timedelta(seconds=590))
    center.list_runtimes()
    assert token_requests(fake) == 2
    assert len(fake.issued_tokens) == 2


def test_a_refused_token_is_renewed_once(center: RestCenter, fake: FakeModelOpCenter) -> None:
    """A 401 triggers one new exchange and one re-send."""
    center.list_runtimes()
    fake.revoke()
    assert center.list_runtimes() == []
    assert token_requests(fake) == 2
    statuses = [r.path for r in fake.requests]
    assert statuses.count(API + "/runtimes") == 3


def test_a_401_after_renewal_is_not_retryable(center: RestCenter, fake: FakeModelOpCenter) -> None:
    """When even the new token is refused, the call fails for good and says so."""
    fake.fail_next(401, times=2, path_prefix=API)
    with pytest.raises(IntegrationError) as caught:
        center.list_runtimes()
    assert (caught.value.status_code, caught.value.retryable) == (401, False)
    assert f"GET {API}/runtimes" in str(caught.value)
    assert "check the credentials" in str(caught.value)


def test_a_given_token_is_used_without_an_exchange(fake: FakeModelOpCenter) -> None:
    """token= goes straight into the header; without credentials a 401 is final."""
    token = fake.issue_token()
    with RestCenter(fake.url, token=SecretStr(token)) as center:
        assert center.list_runtimes() == []
        fake.revoke(token)
        with pytest.raises(IntegrationError) as caught:
            center.list_runtimes()
    assert caught.value.status_code == 401
    assert token_requests(fake) == 0
    assert token not in str(caught.value)


def test_a_given_token_is_replaced_by_an_exchange_when_refused(fake: FakeModelOpCenter) -> None:
    """With both a token and credentials, a refused token is exchanged for a new one."""
    with RestCenter(fake.url, token="stale", **CLIENT) as center:
        assert center.list_runtimes() == []
    assert token_requests(fake) == 1


def test_bad_client_credentials_fail_without_revealing_the_secret(
    fake: FakeModelOpCenter,
) -> None:
    """A refused exchange is a non-retryable error naming the client, never the secret."""
    with (
        RestCenter(fake.url, client_id="mlc-client", client_secret="wrong-secret") as center,
        pytest.raises(IntegrationError) as caught,
    ):
        center.get_job("j")
    message = str(caught.value)
    assert (caught.value.status_code, caught.value.retryable) == (401, False)
    assert "token exchange POST /gocli/token for client 'mlc-client'" in message
    assert "invalid_client" in message
    assert "wrong-secret" not in message
    assert "wrong-secret" not in repr(center)


def test_an_answer_without_a_token_is_an_error(fake: FakeModelOpCenter) -> None:
    """An exchange answering no access_token fails clearly."""
    fake.fail_next(200, body={"token_type": "bearer"}, path_prefix="/gocli/token")
    with (
        RestCenter(fake.url, **CLIENT) as center,
        pytest.raises(IntegrationError, match="without an access_token"),
    ):
        center.list_runtimes()


def test_a_bare_token_answer_is_accepted(fake: FakeModelOpCenter) -> None:
    """Some gateways answer the exchange with the token as plain text; it never expires."""
    token = fake.issue_token()
    fake.fail_next(200, body=token, path_prefix="/gocli/token")
    with RestCenter(fake.url, **CLIENT) as center:
        assert center.list_runtimes() == []
    (listing,) = calls(fake, "GET", "/runtimes")
    assert listing.header("Authorization") == "Bearer ***"


# -- failures -------------------------------------------------------------------------------


def test_a_503_is_retryable_and_names_the_call(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """A server error makes one attempt and asks the engine to retry the step."""
    snapshot = fake.add_snapshot(model["id"])
    fake.fail_next(503, path_prefix=API + "/deployableModels")
    with pytest.raises(IntegrationError) as caught:
        center.get_deployable_model(snapshot["id"])
    error = caught.value
    assert (error.service, error.status_code, error.retryable) == ("modelop", 503, True)
    assert f"GET {API}/deployableModels/{snapshot['id']} failed with 503" in str(error)
    assert len(calls(fake, "GET", f"/deployableModels/{snapshot['id']}")) == 1
    assert center.get_deployable_model(snapshot["id"]).id == snapshot["id"]


def test_a_429_is_retryable_with_the_retry_after_hint(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """Retry-After is reported in the message and never waited for."""
    fake.fail_next(429, retry_after=7, path_prefix=API)
    with pytest.raises(IntegrationError) as caught:
        center.list_runtimes()
    assert (caught.value.status_code, caught.value.retryable) == (429, True)
    assert "retry after 7 s" in str(caught.value)


def test_a_429_without_retry_after_still_says_why(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """Without Retry-After the message carries the server's text and the rate limit."""
    fake.fail_next(429, body={"message": "slow down"}, path_prefix=API, method="GET")
    with pytest.raises(IntegrationError, match="slow down; the center is rate limiting"):
        center.list_runtimes()


def test_a_retry_after_date_is_read_as_seconds_from_the_clock(center: RestCenter) -> None:
    """An HTTP-date Retry-After is converted with the injected clock, not the wall clock."""
    assert center._http._retry_after("Sun, 01 Mar 2026 09:00:30 GMT") == 30
    assert center._http._retry_after("Sun, 01 Mar 2026 08:00:00 GMT") == 0
    assert center._http._retry_after("soon") is None


@pytest.mark.parametrize("status", [400, 403, 409])
def test_client_errors_are_not_retryable_and_carry_the_server_message(
    center: RestCenter, fake: FakeModelOpCenter, status: int
) -> None:
    """A 4xx names the call and the server's message; retrying would not help."""
    fake.fail_next(
        status, body={"status": status, "message": "snapshot is locked"}, path_prefix=API
    )
    with pytest.raises(IntegrationError) as caught:
        center.patch_deployable_model("d1", {"tags": []})
    assert (caught.value.status_code, caught.value.retryable) == (status, False)
    assert f"PATCH {API}/deployableModels/d1 failed with {status}" in str(caught.value)
    assert "snapshot is locked" in str(caught.value)


def test_a_job_for_an_unknown_snapshot_is_a_400_from_the_center(
    center: RestCenter, model: dict[str, Any]
) -> None:
    """The fake's own validation message reaches the caller."""
    ghost = DeployableModel.from_variable(
        {"id": "ghost", "storedModel": {"id": "s", "modelMetaData": {"name": "m"}}}
    )
    with pytest.raises(IntegrationError, match="unknown deployableModel 'ghost'") as caught:
        center.create_batch_job(ghost, JobType.MODEL_BATCH_JOB, inputs=[])
    assert caught.value.status_code == 400


def test_a_hung_request_times_out_as_retryable(fake: FakeModelOpCenter, clock: ManualClock) -> None:
    """A read timeout is a retryable error; the hung request is released afterwards."""
    with RestCenter(fake.url, **CLIENT, clock=clock, timeout=0.3) as center:
        fake.hang_next(path_prefix=API + "/runtimes")
        with pytest.raises(IntegrationError) as caught:
            center.list_runtimes()
        fake.release()
    assert caught.value.retryable
    assert caught.value.status_code is None
    assert f"GET {API}/runtimes timed out after 0.3 s" in str(caught.value)


def test_a_dropped_get_is_sent_again_but_a_dropped_post_is_not(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """A GET is safe to repeat at once; a POST is left to the engine's retry."""
    fake.drop_next(path_prefix=API + "/runtimes")
    assert len(center.list_runtimes()) == 3
    assert len(calls(fake, "GET", "/runtimes")) == 2
    fake.drop_next(path_prefix=API + "/notifications")
    with pytest.raises(IntegrationError, match="lost the connection") as caught:
        center.create_notification("hi")
    assert caught.value.retryable
    assert len(calls(fake, "POST", "/notifications")) == 1
    assert fake.notifications == []


def test_an_unreachable_center_is_retryable(fake: FakeModelOpCenter) -> None:
    """Connection refused is a transient failure."""
    url = fake.url
    fake.stop()
    with (
        RestCenter(url, token="t", max_attempts=1) as center,
        pytest.raises(IntegrationError, match="could not connect") as caught,
    ):
        center.get_job("j")
    assert caught.value.retryable


def test_answers_that_are_not_records_are_reported(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """A body that is not JSON, or JSON of the wrong shape, is a non-retryable error."""
    fake.fail_next(200, body="<html>login</html>", path_prefix=API + "/jobs/a")
    with pytest.raises(IntegrationError, match="not JSON"):
        center.get_job("a")
    fake.fail_next(200, body={"id": "b"}, path_prefix=API + "/jobs/b")
    with pytest.raises(IntegrationError, match="not a ModelBatchJob") as caught:
        center.get_job("b")
    assert not caught.value.retryable


def test_a_wrong_base_url_is_named_in_the_error(fake: FakeModelOpCenter) -> None:
    """A 404 on a collection means the URL is wrong, not that an object is missing."""
    with (
        RestCenter(fake.url + "/gateway", token=fake.issue_token()) as center,
        pytest.raises(IntegrationError, match="check the base URL") as caught,
    ):
        center.list_runtimes()
    assert (caught.value.status_code, caught.value.retryable) == (404, False)


# -- secrets and configuration ---------------------------------------------------------------


def test_secrets_never_appear_in_errors_logs_or_reprs(
    fake: FakeModelOpCenter, caplog: pytest.LogCaptureFixture
) -> None:
    """The token and the client secret stay out of messages, logs and the repr."""
    caplog.set_level(logging.DEBUG)
    with RestCenter(fake.url, **CLIENT) as center:
        center.list_runtimes()
        (token,) = fake.issued_tokens
        fake.fail_next(500, body={"message": f"bad token {token}"}, path_prefix=API)
        with pytest.raises(IntegrationError) as caught:
            center.list_runtimes()
    for text in (str(caught.value), caplog.text, repr(center)):
        assert token not in text
        assert "mlc-secret" not in text
    assert "bad token ***" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("ftp://moc", {"token": "t"}, "http"),
        ("https://user:pw@moc", {"token": "t"}, "must not carry credentials"),
        ("https://moc", {}, "needs credentials"),
        ("https://moc", {"client_id": "c"}, "both client_id and client_secret"),
        ("https://moc", {"token": "t", "timeout": 0}, "timeout > 0"),
        ("https://moc", {"token": "t", "max_attempts": 0}, "max_attempts >= 1"),
    ],
)
def test_bad_settings_are_refused_at_construction(
    url: str, kwargs: dict[str, Any], message: str
) -> None:
    """Configuration mistakes raise ConfigurationError before any call."""
    with pytest.raises(ConfigurationError, match=message):
        RestCenter(url, **kwargs)


def test_a_host_session_is_used_and_left_open(fake: FakeModelOpCenter) -> None:
    """A session passed in carries the calls and is not closed by close()."""
    session = requests.Session()
    session.headers["X-Host"] = "app"
    with RestCenter(fake.url, **CLIENT, session=session) as center:
        center.list_runtimes()
    assert calls(fake, "GET", "/runtimes")[0].header("X-Host") == "app"
    assert session.get(fake.url + "/files/none", timeout=5).status_code == 401
    session.close()


# -- ModelOp's delegates end to end ----------------------------------------------------------

MLC = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="get" camunda:class='
    '"com.modelop.mlc.delegate.modelop.GetDeployableModelById"/>'
    '<bpmn:serviceTask id="job" camunda:class="com.modelop.mlc.delegate.modelop.CreateModelBatchJob"/>'
    '<bpmn:serviceTask id="wait" camunda:class="com.modelop.mlc.delegate.modelop.WaitForJob"/>'
    '<bpmn:serviceTask id="parse" camunda:class='
    '"com.modelop.mlc.delegate.modelop.ParseModelTestResultFromBatchJob"/>'
    '<bpmn:serviceTask id="engine" camunda:class='
    '"com.modelop.mlc.delegate.modelop.GetCompatibleEngine"/>'
    '<bpmn:serviceTask id="deploy" camunda:class="com.modelop.mlc.delegate.modelop.DeployModel"/>'
    '<bpmn:endEvent id="end"/>'
    '<bpmn:boundaryEvent id="failed" attachedToRef="get">'
    '<bpmn:errorEventDefinition errorRef="F" camunda:errorMessageVariable="ERROR_MESSAGE"/>'
    '</bpmn:boundaryEvent><bpmn:userTask id="fix"/>'
    + chain("start", "get", "job", "wait", "parse", "engine", "deploy", "end")
    + flow("to_fix", "failed", "fix"),
    pid="rest_mlc",
    extra='<bpmn:error id="F" errorCode="FAILURE"/>',
)


@pytest.fixture(name="manager")
def _manager(
    tmp_path: Path, clock: ManualClock, fake: FakeModelOpCenter
) -> Iterator[LifecycleManager]:
    center = RestCenter(fake.url, **CLIENT, clock=clock, timeout=5)
    manager = LifecycleManager.open(tmp_path / "m.db", clock=clock, center=center)
    manager.deploy(MLC)
    yield manager
    manager.close()
    center.close()


def test_modelop_delegates_test_and_deploy_through_rest_center(
    manager: LifecycleManager, fake: FakeModelOpCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """Snapshot, test job, wait, parse, engine choice and deployment all go over REST."""
    snapshot = fake.add_snapshot(model["id"], tags=["run_test"])
    instance = manager.start("rest_mlc", {"MODEL_ID": snapshot["id"]})
    manager.run_due()
    (job,) = fake.jobs
    assert job["jobType"] == "MODEL_BATCH_TEST_JOB"
    assert [a["name"] for a in job["inputData"]] == ["test.csv"]
    assert job["jobParameters"]["mlcIdempotencyKey"].startswith(instance.id)
    assert manager.instance(instance.id).waiting_at == ("wait",)
    metrics = {"auc": 0.91, "performance": [{"test_name": "Classification Metrics"}]}
    fake.set_job_status(job["id"], "COMPLETE", result=metrics)
    clock.advance(timedelta(seconds=31))
    manager.run_due()
    final = manager.instance(instance.id)
    assert final.status == "completed", manager.incidents(instance_id=instance.id)
    deployed = final.variables["DEPLOYED_MODEL"]
    assert deployed["deployableModel"]["id"] == snapshot["id"]
    assert deployed["runtime"]["name"] == "batch-dev"
    assert deployed["deploymentType"] == "BATCH"
    assert final.variables["MODEL_TEST_RESULT"]["testResults"] == metrics
    assert [r["name"] for r in final.variables["BATCH_RUNTIMES"]] == ["batch-dev"]
    (deployment,) = fake.deployments
    assert deployment["id"] == deployed["id"]
    assert len(fake.jobs) == 1


def test_an_unknown_snapshot_takes_the_failure_boundary(
    manager: LifecycleManager, fake: FakeModelOpCenter
) -> None:
    """A 404 from the center becomes BpmnError FAILURE, caught by the error boundary."""
    instance = manager.start("rest_mlc", {"MODEL_ID": "no-such-snapshot"})
    current = manager.instance(instance.id)
    assert current.waiting_at == ("fix",)
    assert "no snapshot with id 'no-such-snapshot'" in current.variables["ERROR_MESSAGE"]
    assert fake.jobs == []


def test_a_center_outage_is_retried_by_the_engine_without_a_second_job(
    manager: LifecycleManager, fake: FakeModelOpCenter, model: dict[str, Any], clock: ManualClock
) -> None:
    """A job made but not answered fails the step; the retry finds that job, not a new one."""
    snapshot = fake.add_snapshot(model["id"])
    instance = manager.start("rest_mlc", {"MODEL_ID": snapshot["id"]})
    fake.drop_next(path_prefix=API + "/jobs", method="POST", commit_first=True)
    manager.run_due()
    (job,) = fake.jobs
    (failure,) = [h for h in manager.history(instance.id) if h.kind == "job_failed"]
    assert "lost the connection" in str(failure.detail)
    clock.advance(timedelta(minutes=5))  # the default retry cycle, R3/PT5M
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("wait",)
    fake.set_job_status(job["id"], "COMPLETE", result={"auc": 0.9})
    clock.advance(timedelta(seconds=31))
    manager.run_due()
    assert manager.instance(instance.id).status == "completed"
    assert len(fake.jobs) == 1
    assert len(calls(fake, "POST", "/jobs")) == 1


def test_a_failing_token_exchange_is_retryable_when_transient(fake: FakeModelOpCenter) -> None:
    """A dropped or 503 exchange is retryable; the next call exchanges again."""
    fake.drop_next(path_prefix="/gocli/token")
    with RestCenter(fake.url, **CLIENT) as center:
        with pytest.raises(IntegrationError, match="token exchange") as dropped:
            center.list_runtimes()
        fake.fail_next(503, path_prefix="/gocli/token")
        with pytest.raises(IntegrationError, match="failed with 503") as unavailable:
            center.list_runtimes()
        assert center.list_runtimes() == []
    assert (dropped.value.retryable, unavailable.value.retryable) == (True, True)
    assert token_requests(fake) == 3


def test_modelops_own_job_shape_and_unpaged_lists_are_read(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """A job naming its snapshot `model`, and a collection without `page`, are understood."""
    snapshot = fake.add_snapshot(model["id"])
    job = {"id": "j1", "jobType": "MODEL_BATCH_JOB", "jobStatus": "RUNNING", "model": snapshot}
    fake.fail_next(
        200, body={**job, "_links": {"self": {"href": "x"}}}, path_prefix=API + "/jobs/j1"
    )
    read = center.get_job("j1")
    assert (read.deployable_model.id, read.job_status) == (snapshot["id"], JobStatus.RUNNING)
    unpaged = {"_embedded": {"runtimes": [{"name": "a", "_links": {}}, {"name": "b"}]}}
    fake.fail_next(200, body=unpaged, path_prefix=API + "/runtimes")
    assert [r.name for r in center.list_runtimes()] == ["a", "b"]
    assert len(calls(fake, "GET", "/runtimes")) == 1


def test_notifications_without_an_id_to_look_under_rely_on_the_header(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """Without a process instance or model id there is nothing to search; only the header goes."""
    center.create_notification("a", idempotency_key="k")
    center.create_notification("a", idempotency_key="k")
    assert len(fake.notifications) == 2
    assert calls(fake, "GET", "/notifications") == []
    assert {r.header("Idempotency-Key") for r in calls(fake, "POST", "/notifications")} == {"k"}
