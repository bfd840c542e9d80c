"""RestCenter against FakeModelOpCenter over real sockets: the port, tokens, retries, errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from center.rest_support import (
    API,
    CLIENT,
    START,
    USER,
    Sleeper,
    calls,
    rest_center,
    token_requests,
)
from modelop_mlc import ManualClock
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

SOURCE = "# modelop.metrics\ndef metrics(df):\n    yield {'auc': 0.9}\n"


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="sleeper")
def _sleeper(clock: ManualClock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=clock.now, token_ttl=600) as fake:
        yield fake


@pytest.fixture(name="center")
def _center(fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper) -> Iterator[RestCenter]:
    with rest_center(fake, clock, sleeper) as center:
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
    assert post.json is not None
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


def test_a_create_whose_answer_was_lost_is_found_by_the_next_attempt(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], sleeper: Sleeper
) -> None:
    """The job is made but the answer is lost; the next attempt finds it instead of posting."""
    snapshot = DeployableModel.from_variable(fake.add_snapshot(model["id"]))
    fake.drop_next(path_prefix=API + "/jobs", method="POST", commit_first=True)
    job = center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
        idempotency_key="k",
    )
    assert [j["id"] for j in fake.jobs] == [job.id]
    assert job.job_parameters == {"mlcIdempotencyKey": "k"}
    assert len(calls(fake, "POST", "/jobs")) == 1
    assert [r.query["deployableModelId"] for r in calls(fake, "GET", "/jobs")] == [
        [snapshot.id],
        [snapshot.id],
    ]
    assert sleeper.waits == [0.5]


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


def test_notifications_without_an_id_to_look_under_rely_on_the_header(
    center: RestCenter, fake: FakeModelOpCenter
) -> None:
    """Without a process instance or model id there is nothing to search: only the header goes,
    and a POST the center may have acted on is not sent again."""
    center.create_notification("a", idempotency_key="k")
    center.create_notification("a", idempotency_key="k")
    assert len(fake.notifications) == 2
    assert calls(fake, "GET", "/notifications") == []
    assert {r.header("Idempotency-Key") for r in calls(fake, "POST", "/notifications")} == {"k"}
    fake.fail_next(500, path_prefix=API + "/notifications")
    with pytest.raises(IntegrationError, match="not sent again"):
        center.create_notification("b", idempotency_key="k2")
    assert len(calls(fake, "POST", "/notifications")) == 3


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


def test_batch_jobs_are_posted_in_modelops_job_shape_and_read_back(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """The job names its snapshot `model` and its runtime `targetEngine.name`, as ModelOp's do."""
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
    assert (job.job_status, job.engine_name) == (JobStatus.CREATED, "batch-dev")
    assert job.job_parameters == {"threshold": 0.5}
    assert job.snapshot.id == snapshot.id
    assert job.to_variable()["targetEngine"] == {"name": "batch-dev"}
    (post,) = calls(fake, "POST", "/jobs")
    assert post.header("Idempotency-Key") is None
    assert post.json is not None
    assert post.json["model"]["id"] == snapshot.id
    assert post.json["targetEngine"] == {"name": "batch-dev"}
    assert post.json["inputData"][0]["fileContent"] == "a\n1\n"
    assert fake.jobs[0]["jobStatus"] == "CREATED"
    fake.set_job_status(job.id, "COMPLETE", result={"auc": 0.91})
    done = center.get_job(job.id)
    assert (done.job_status, done.result) == (JobStatus.COMPLETE, {"auc": 0.91})
    assert done.ended_date == START


def test_a_job_in_the_older_deployable_model_shape_is_read_too(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any]
) -> None:
    """A job naming its snapshot `deployableModel`, and a collection without `page`, are read."""
    snapshot = fake.add_snapshot(model["id"])
    job = {
        "id": "j1",
        "jobType": "MODEL_BATCH_JOB",
        "jobStatus": "RUNNING",
        "deployableModel": snapshot,
        "targetEngine": "spark-1",
    }
    fake.fail_next(
        200, body={**job, "_links": {"self": {"href": "x"}}}, path_prefix=API + "/jobs/j1"
    )
    read = center.get_job("j1")
    assert (read.snapshot.id, read.job_status) == (snapshot["id"], JobStatus.RUNNING)
    assert read.engine_name == "spark-1"
    assert read.to_variable() == job
    unpaged = {"_embedded": {"runtimes": [{"name": "a", "_links": {}}, {"name": "b"}]}}
    fake.fail_next(200, body=unpaged, path_prefix=API + "/runtimes")
    assert [r.name for r in center.list_runtimes()] == ["a", "b"]
    assert len(calls(fake, "GET", "/runtimes")) == 1


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
    assert new.target.engine_state == "RUNNING"
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
    assert deployed.target.id is not None
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


def test_a_password_is_exchanged_once_and_the_token_renewed_when_it_expires(
    center: RestCenter, fake: FakeModelOpCenter, clock: ManualClock
) -> None:
    """ModelOp's form (username, password) is posted once; the token lasts until it expires."""
    center.list_runtimes()
    center.list_runtimes()
    assert token_requests(fake) == 1
    (exchange,) = [r for r in fake.requests if r.path == "/gocli/token"]
    assert exchange.header("Content-Type") == "application/x-www-form-urlencoded"
    assert exchange.body == b"username=mlc-user&password=mlc-password"
    clock.advance(timedelta(seconds=590))
    center.list_runtimes()
    assert token_requests(fake) == 2
    assert len(fake.issued_tokens) == 2


def test_client_credentials_are_exchanged_as_an_oauth2_grant(
    fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper
) -> None:
    """client_id and client_secret go as grant_type=client_credentials."""
    with rest_center(fake, clock, sleeper, username=None, password=None, **CLIENT) as center:
        assert center.list_runtimes() == []
    (exchange,) = [r for r in fake.requests if r.path == "/gocli/token"]
    assert b"grant_type=client_credentials" in exchange.body
    assert b"client_id=mlc-client" in exchange.body


def test_a_401_is_answered_with_a_fresh_token_once(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper
) -> None:
    """A refused token triggers one new exchange and one re-send, without waiting."""
    center.list_runtimes()
    fake.revoke()
    assert center.list_runtimes() == []
    assert token_requests(fake) == 2
    assert len(calls(fake, "GET", "/runtimes")) == 3
    assert sleeper.waits == []


def test_a_401_after_renewal_is_final(center: RestCenter, fake: FakeModelOpCenter) -> None:
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
    with RestCenter(fake.url, token="stale", **USER) as center:
        assert center.list_runtimes() == []
    assert token_requests(fake) == 1


def test_a_refused_password_fails_without_revealing_it(fake: FakeModelOpCenter) -> None:
    """A refused exchange is a final error naming the user, never the password."""
    with (
        RestCenter(fake.url, username="mlc-user", password="wrong-password") as center,
        pytest.raises(IntegrationError) as caught,
    ):
        center.get_job("j")
    message = str(caught.value)
    assert (caught.value.status_code, caught.value.retryable) == (401, False)
    assert "token exchange POST /gocli/token for user 'mlc-user'" in message
    assert "Bad credentials" in message
    assert "check username and password" in message
    assert "wrong-password" not in message
    assert "wrong-password" not in repr(center)


def test_an_answer_without_a_token_is_an_error(fake: FakeModelOpCenter) -> None:
    """An exchange answering no access_token fails clearly."""
    fake.fail_next(200, body={"token_type": "bearer"}, path_prefix="/gocli/token")
    with (
        RestCenter(fake.url, **USER) as center,
        pytest.raises(IntegrationError, match="without an access_token"),
    ):
        center.list_runtimes()


def test_a_bare_token_answer_is_accepted(fake: FakeModelOpCenter) -> None:
    """ModelOp's gateway may answer the exchange with the token as plain text."""
    token = fake.issue_token()
    fake.fail_next(200, body=token, path_prefix="/gocli/token")
    with RestCenter(fake.url, **USER) as center:
        assert center.list_runtimes() == []
    (listing,) = calls(fake, "GET", "/runtimes")
    assert listing.header("Authorization") == "Bearer ***"


# -- retries --------------------------------------------------------------------------------


def test_a_503_then_success_is_retried_after_the_backoff(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], sleeper: Sleeper
) -> None:
    """A server error is tried again after `backoff` seconds, waited on the injected clock."""
    snapshot = fake.add_snapshot(model["id"])
    fake.fail_next(503, path_prefix=API + "/deployableModels")
    assert center.get_deployable_model(snapshot["id"]).id == snapshot["id"]
    assert len(calls(fake, "GET", f"/deployableModels/{snapshot['id']}")) == 2
    assert sleeper.waits == [0.5]


def test_a_center_that_stays_down_ends_in_a_retryable_error_naming_the_call(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper, clock: ManualClock
) -> None:
    """After max_attempts the call gives up with the status, the attempts and the call."""
    fake.fail_next(502, times=3, path_prefix=API + "/runtimes")
    with pytest.raises(IntegrationError) as caught:
        center.list_runtimes()
    error = caught.value
    assert (error.service, error.status_code, error.retryable) == ("modelop", 502, True)
    assert f"ModelOp Center call GET {API}/runtimes failed with 502" in str(error)
    assert "gave up after 3 attempts; the step is retried" in str(error)
    assert len(calls(fake, "GET", "/runtimes")) == 3
    assert sleeper.waits == [0.5, 1.0]
    assert clock.now() == START + timedelta(seconds=1.5)


@pytest.mark.parametrize("key", ["k-1", None])
def test_a_503_then_success_on_a_create_makes_exactly_one_object(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], key: str | None
) -> None:
    """A POST refused with 503 is sent again, with or without a key, and makes one snapshot."""
    fake.fail_next(503, path_prefix=API + "/deployableModels", method="POST")
    snapshot = center.create_deployable_model(model["id"], idempotency_key=key)
    assert [s["id"] for s in fake.snapshots] == [snapshot.id]
    assert len(calls(fake, "POST", "/deployableModels")) == 2


def test_a_post_that_may_have_been_acted_on_is_not_sent_again_without_a_key(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper
) -> None:
    """A 500 or a dropped connection on a keyless POST is left to the engine: no duplicate."""
    fake.fail_next(500, path_prefix=API + "/notifications")
    with pytest.raises(IntegrationError, match="not sent again") as failed:
        center.create_notification("hi")
    fake.drop_next(path_prefix=API + "/notifications", commit_first=True)
    with pytest.raises(IntegrationError, match="lost the connection") as dropped:
        center.create_notification("hi")
    assert (failed.value.retryable, dropped.value.retryable) == (True, True)
    assert len(calls(fake, "POST", "/notifications")) == 2
    assert len(fake.notifications) == 1
    assert sleeper.waits == []


def test_a_429_retry_after_is_honoured(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper, clock: ManualClock
) -> None:
    """The center's Retry-After replaces the back-off and is waited on the clock."""
    fake.fail_next(429, retry_after=7, path_prefix=API)
    assert center.list_runtimes() == []
    assert sleeper.waits == [7.0]
    first, second = calls(fake, "GET", "/runtimes")
    assert second.timestamp - first.timestamp == timedelta(seconds=7)
    assert clock.now() == START + timedelta(seconds=7)


def test_a_retry_after_beyond_max_wait_is_left_to_the_engine(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper
) -> None:
    """A wait longer than max_wait is not waited out: the call fails at once, retryably."""
    fake.fail_next(429, retry_after=120, path_prefix=API)
    with pytest.raises(IntegrationError) as caught:
        center.list_runtimes()
    message = str(caught.value)
    assert (caught.value.status_code, caught.value.retryable) == (429, True)
    assert "the center asks to retry after 120 s (Retry-After)" in message
    assert "longer than max_wait (10 s)" in message
    assert sleeper.waits == []
    assert len(calls(fake, "GET", "/runtimes")) == 1


def test_a_429_without_retry_after_uses_the_backoff(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper
) -> None:
    """Without Retry-After the message carries the server's text and the rate limit."""
    fake.fail_next(429, times=3, body={"message": "slow down"}, path_prefix=API, method="GET")
    with pytest.raises(IntegrationError, match="slow down; the center is rate limiting"):
        center.list_runtimes()
    assert sleeper.waits == [0.5, 1.0]


def test_a_retry_after_date_is_read_as_seconds_from_the_clock(center: RestCenter) -> None:
    """An HTTP-date Retry-After is converted with the injected clock, not the wall clock."""
    assert center._http._retry_after("Sun, 01 Mar 2026 09:00:30 GMT") == 30
    assert center._http._retry_after("Sun, 01 Mar 2026 08:00:00 GMT") == 0
    assert center._http._retry_after("soon") is None


def test_backoff_doubles_up_to_max_wait(
    fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper
) -> None:
    """Waits double from `backoff` and never exceed `max_wait`; backoff=0 never waits."""
    fake.fail_next(503, times=5, path_prefix=API)
    with rest_center(fake, clock, sleeper, max_attempts=5, backoff=1, max_wait=3) as center:
        with pytest.raises(IntegrationError, match="gave up after 5 attempts"):
            center.list_runtimes()
        assert sleeper.waits == [1, 2, 3, 3]
    quick = Sleeper(clock)
    fake.fail_next(503, times=2, path_prefix=API)
    with rest_center(fake, clock, quick, backoff=0) as center:
        assert center.list_runtimes() == []
    assert quick.waits == []


def test_a_hung_center_is_bounded_by_timeout_and_attempts(
    fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper
) -> None:
    """Each request waits `timeout`, and the call sends `max_attempts` of them, no more."""
    with rest_center(fake, clock, sleeper, timeout=0.2, max_attempts=2) as center:
        center.list_runtimes()  # the token, exchanged before the center hangs
        fake.hang_next(times=3, path_prefix=API + "/runtimes")
        with pytest.raises(IntegrationError) as caught:
            center.list_runtimes()
        fake.release()
    message = str(caught.value)
    assert caught.value.retryable
    assert caught.value.status_code is None
    assert f"call GET {API}/runtimes timed out after 0.2 s (ReadTimeout)" in message
    assert "gave up after 2 attempts" in message
    assert len(calls(fake, "GET", "/runtimes")) == 3
    assert sleeper.waits == [0.5]


def test_a_dropped_get_is_sent_again(
    center: RestCenter, fake: FakeModelOpCenter, model: dict[str, Any], sleeper: Sleeper
) -> None:
    """A GET whose connection died unanswered is safe to repeat."""
    fake.drop_next(path_prefix=API + "/runtimes")
    assert len(center.list_runtimes()) == 3
    assert len(calls(fake, "GET", "/runtimes")) == 2
    assert sleeper.waits == [0.5]


def test_a_failing_token_exchange_is_retried_within_the_call(
    center: RestCenter, fake: FakeModelOpCenter, sleeper: Sleeper
) -> None:
    """A dropped, then refused-with-503, exchange is tried again; the third one works."""
    fake.drop_next(path_prefix="/gocli/token")
    fake.fail_next(503, path_prefix="/gocli/token")
    assert center.list_runtimes() == []
    assert token_requests(fake) == 3
    assert sleeper.waits == [0.5, 1.0]


def test_an_unreachable_center_is_retryable(
    fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper
) -> None:
    """Connection refused is transient; even a POST may be sent again, as it never left."""
    url = fake.url
    fake.stop()
    with (
        RestCenter(url, token="t", max_attempts=2, sleep=sleeper) as center,
        pytest.raises(IntegrationError, match="could not connect") as caught,
    ):
        center.create_notification("hi")
    assert caught.value.retryable
    assert "gave up after 2 attempts" in str(caught.value)
    assert sleeper.waits == [0.5]


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 409])
def test_client_errors_are_not_retried_and_carry_the_server_message(
    center: RestCenter, fake: FakeModelOpCenter, status: int, sleeper: Sleeper
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
    assert sleeper.waits == []


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
    fake: FakeModelOpCenter,
    clock: ManualClock,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The token and the password stay out of messages, logs and the repr."""
    caplog.set_level(logging.DEBUG)
    with rest_center(fake, clock, sleeper) as center:
        center.list_runtimes()
        (token,) = fake.issued_tokens
        fake.fail_next(
            500, times=3, body={"message": f"bad token {token} for mlc-password"}, path_prefix=API
        )
        with pytest.raises(IntegrationError) as caught:
            center.list_runtimes()
    for text in (str(caught.value), caplog.text, repr(center)):
        assert token not in text
        assert "mlc-password" not in text
    assert "bad token *** for ***" in str(caught.value)
    assert "attempt 2 of 3" in caplog.text


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("ftp://moc", {"token": "t"}, "http"),
        ("https://user:pw@moc", {"token": "t"}, "must not carry credentials"),
        ("https://moc", {}, "needs credentials"),
        ("https://moc", {"username": "u"}, "both username and password"),
        ("https://moc", {"client_id": "c"}, "both client_id and client_secret"),
        ("https://moc", {**USER, **CLIENT}, "not both"),
        ("https://moc", {"token": "t", "timeout": 0}, "timeout > 0"),
        ("https://moc", {"token": "t", "max_attempts": 0}, "max_attempts >= 1"),
        ("https://moc", {"token": "t", "backoff": -1}, "backoff >= 0"),
        ("https://moc", {"token": "t", "max_wait": -1}, "max_wait >= 0"),
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
    with RestCenter(fake.url, **USER, session=session) as center:
        center.list_runtimes()
    assert calls(fake, "GET", "/runtimes")[0].header("X-Host") == "app"
    assert session.get(fake.url + "/files/none", timeout=5).status_code == 401
    session.close()
