"""MlflowCenter against a real MLflow tracking server: catalogue, jobs, deployments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit_support import csv_asset
from mlflow_support import MlflowServer, free_port
from mlflow_world import World, log_credit, make_center, new_prefix
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import CAPABILITIES, MlflowCenter, ModelOpNotFoundError
from modelop_mlc.domain import AssetRole, JobStatus, JobType
from modelop_mlc.errors import IntegrationError


@pytest.fixture(name="world")
def _world(mlflow_server: MlflowServer, tmp_path: Path) -> Iterator[World]:
    prefix = new_prefix()
    center = make_center(mlflow_server, prefix)
    manager = LifecycleManager.open(tmp_path / "mlc.db", clock=ManualClock(), center=center)
    model = log_credit(center, f"{prefix}credit")
    yield World(mlflow_server, manager, center, model, prefix)
    manager.close()


def test_a_registered_model_reads_as_a_stored_model(world: World) -> None:
    """Description, tags and metadata tags map to modelMetaData; the run's files are assets."""
    meta = world.center.get_stored_model(world.model.id).model_meta_data
    assert (meta.name, meta.description, meta.tags) == (
        world.model.id,
        "Predicts loan default",
        ["credit-risk"],
    )
    assert (meta.group, meta.model_stage, meta.custom) == (
        "Retail lending",
        "PROD",
        {"riskTier": "HIGH"},
    )
    roles = sorted(str(a.asset_role) for a in world.model.model_assets)
    assert roles == ["DMN", "MODEL_BINARY", "MODEL_SOURCE", "TEST_DATA", "TRAINING_DATA"]


def test_a_snapshot_is_a_new_version_with_its_tags(world: World) -> None:
    """create_deployable_model registers a version; its tags are the snapshot's tags."""
    snapshot = world.center.create_deployable_model(world.model.id, tags=["run_test", "jira"])
    assert snapshot.id == f"{world.model.id}/1"
    assert snapshot.tags == ["run_test", "jira"]
    found = world.mlflow.get_model_version(world.model.id, "1")
    assert found.tags == {"run_test": "true", "jira": "true", "mlc.custom.riskTier": "HIGH"}
    source = snapshot.assets_with_role(AssetRole.MODEL_SOURCE)[0]
    assert "# modelop.metrics" in world.center.read_asset(source)
    dmn = snapshot.assets_with_role(AssetRole.DMN)[0]
    assert dmn.filename == "comparator.dmn"


def test_a_metrics_job_logs_to_a_run_linked_to_the_version(world: World) -> None:
    """The job loads the version with mlflow.pyfunc in a child process and logs its metrics."""
    snapshot = world.center.create_deployable_model(world.model.id)
    job = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
    )
    done = world.center.run_job(job.id)
    assert done.job_status == JobStatus.COMPLETE, done.message
    assert done.result["auc"] == pytest.approx(0.81, abs=0.02)
    version = world.mlflow.get_model_version(world.model.id, "1")
    run = world.mlflow.get_run(version.tags["mlc.metrics_run"])
    assert run.data.tags["mlc.model_name"] == world.model.id
    assert run.data.tags["mlc.model_version"] == "1"
    assert run.data.metrics["auc"] == pytest.approx(done.result["auc"])
    assert run.info.status == "FINISHED"


def test_deploying_moves_the_targets_alias_and_undeploys_the_earlier_version(
    world: World,
) -> None:
    """Deploy v1 then v2 to PROD: `production` moves, v1 is tagged UNDEPLOYED."""
    center = world.center
    prod = center.get_runtime("online-prod")
    v1 = center.create_deployable_model(world.model.id)
    v2 = center.create_deployable_model(world.model.id)
    first = center.deploy_model(v1, prod)
    assert (first.id, first.deployment_type, first.deployed_state) == (
        f"{v1.id}@online-prod",
        "ONLINE",
        "DEPLOYED",
    )
    second = center.deploy_model(v2, prod)
    assert center.deploy_model(v2, prod).id == second.id  # deploying again changes nothing
    mlflow = world.mlflow
    assert mlflow.get_model_version_by_alias(world.model.id, "production").version == "2"
    assert mlflow.get_model_version(world.model.id, "1").aliases == []
    assert center.get_deployed_model(first.id).deployed_state == "UNDEPLOYED"
    assert [d.id for d in center.find_deployed_models(state="DEPLOYED")] == [second.id]
    assert center.find_deployed_models(stage="DEV") == []

    schedule = {"cronExpression": "0 0 6 * * ?", "jobType": "MODEL_BATCH_TEST_JOB"}
    patched = center.patch_deployed_model(
        second.id, {"schedules": [schedule], "expirationDate": "2027-01-31T00:00:00+00:00"}
    )
    assert [s.cron_expression for s in patched.schedules] == ["0 0 6 * * ?"]
    tags = mlflow.get_model_version(world.model.id, "2").tags
    assert (
        json.loads(tags["mlc.deploy.online-prod.schedules"])[0]["cronExpression"] == "0 0 6 * * ?"
    )
    assert tags["mlc.deploy.online-prod.expiration"] == "2027-01-31T00:00:00+00:00"

    center.patch_deployed_model(second.id, {"deployedState": "RETIRED"})
    assert mlflow.get_registered_model(world.model.id).aliases == {}
    with pytest.raises(IntegrationError, match="cannot change runtime"):
        center.patch_deployed_model(second.id, {"runtime": {"name": "x"}})


def test_test_results_are_runs_and_the_version_shows_the_verdict(world: World) -> None:
    """Not judged when created, then passed: read back from the run, tagged on the version."""
    snapshot = world.center.create_deployable_model(world.model.id)
    result = world.center.create_test_result(
        snapshot.id, {"auc": 0.8, "nested": {"x": 1}}, idempotency_key="k1"
    )
    again = world.center.create_test_result(snapshot.id, {"auc": 0.8}, idempotency_key="k1")
    assert again.id == result.id
    version = world.mlflow.get_model_version(world.model.id, "1")
    assert version.tags["mlc.test_result"] == "not judged"
    world.center.patch_test_result(result.id, {"testResultPassed": True})
    assert world.mlflow.get_model_version(world.model.id, "1").tags["mlc.test_result"] == "passed"
    found = world.center.find_test_results(snapshot.id)
    assert [(r.id, r.test_result_passed, r.test_results["nested"]) for r in found] == [
        (result.id, True, {"x": 1})
    ]
    assert world.mlflow.get_run(result.id).data.metrics == {"auc": 0.8}


def test_a_training_job_trains_the_version_and_later_jobs_use_it(world: World) -> None:
    """The trained model is kept in a run; the metrics job then has drift tests."""
    snapshot = world.center.create_deployable_model(world.model.id)
    training = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TRAINING_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TRAINING_DATA),
    )
    assert world.center.run_job(training.id).job_status == JobStatus.COMPLETE
    trained = world.center.get_deployable_model(snapshot.id).trained_model
    assert trained is not None
    assert trained["model_type"] == "logistic_regression"
    drifted = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=[csv_asset("test_drifted.csv", AssetRole.TEST_DATA)],
    )
    done = world.center.run_job(drifted.id)
    assert done.result["min_ks_p_value"] < 0.01


def test_a_scoring_job_writes_its_output_to_the_run(world: World) -> None:
    """Scored records land in the job's run as the output asset."""
    snapshot = world.center.create_deployable_model(world.model.id)
    output = world.center.create_external_file_asset(filename="scores.json", file_format="JSON")
    job = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_JOB,
        inputs=[csv_asset("test.csv", AssetRole.SCORING_DATA, rows=5)],
        outputs=[output],
        idempotency_key="score-1",
    )
    assert (
        world.center.create_batch_job(
            snapshot, JobType.MODEL_BATCH_JOB, inputs=[], idempotency_key="score-1"
        ).id
        == job.id
    )
    done = world.center.run_job(job.id)
    assert done.job_status == JobStatus.COMPLETE
    assert done.result == {"records": 5}
    written = done.output_data[0]
    assert written.file_url is not None
    assert written.file_url.startswith("runs:/")
    rows = [json.loads(line) for line in world.center.read_asset(written).splitlines()]
    assert [set(r) for r in rows] == [{"id", "probability", "label"}] * 5


def test_a_plain_mlflow_model_is_scored_with_predict_and_measured(
    world: World, tmp_path: Path
) -> None:
    """A model logged by someone else: predict for scores, our metrics on its labels."""
    mlflow = world.mlflow
    source = tmp_path / "threshold.py"
    source.write_text(
        "import mlflow.pyfunc, mlflow.models\n"
        "class Threshold(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return (model_input['debt_ratio'] > 0.35).astype(int)\n"
        "mlflow.models.set_model(Threshold())\n"
    )
    from mlflow import pyfunc

    pyfunc.save_model(
        str(tmp_path / "model"), python_model=str(source), pip_requirements=["mlflow"]
    )
    name = f"{world.prefix}plain"
    run = mlflow.create_run(mlflow.get_experiment_by_name("mlc").experiment_id)
    mlflow.log_artifacts(run.info.run_id, str(tmp_path / "model"), "model")
    mlflow.log_text(run.info.run_id, csv_text("test.csv"), "eval/holdout_test.csv")
    mlflow.create_registered_model(name)
    mlflow.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    snapshot = world.center.get_deployable_model(f"{name}/1")
    assert [str(a.asset_role) for a in snapshot.deployable_model_assets] == [
        "MODEL_BINARY",
        "TEST_DATA",
    ]

    job = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
        parameters={"labelColumn": "default"},
    )
    done = world.center.run_job(job.id)
    assert done.job_status == JobStatus.COMPLETE, done.message
    assert set(done.result) >= {"accuracy", "precision", "recall", "f1_score", "performance"}
    training = world.center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TRAINING_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
    )
    failed = world.center.run_job(training.id)
    assert failed.job_status == JobStatus.ERROR
    assert "has no training function" in (failed.message or "")


def test_unknown_versions_and_an_unreachable_server_are_clear_errors(world: World) -> None:
    """A missing version is not found; a dead server is a retryable integration error."""
    with pytest.raises(ModelOpNotFoundError):
        world.center.get_deployable_model(f"{world.model.id}/99")
    with pytest.raises(ModelOpNotFoundError):
        world.center.get_deployable_model("not-a-version")
    with pytest.raises(IntegrationError, match="not in MLflow"):
        world.center.read_asset(
            csv_asset("test.csv", AssetRole.TEST_DATA).model_copy(
                update={"file_content": None, "file_url": "http://169.254.169.254/latest"}
            )
        )
    with pytest.raises(IntegrationError, match="outside the allowed data roots"):
        world.center.read_asset(
            csv_asset("test.csv", AssetRole.TEST_DATA).model_copy(
                update={"file_content": None, "file_url": "file:///etc/passwd"}
            )
        )
    dead = MlflowCenter(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(IntegrationError) as caught:
        dead.get_stored_model("x")
    assert caught.value.retryable
    assert "cannot reach" in str(caught.value) or "failed" in str(caught.value)


def test_snapshots_are_idempotent_and_scoped(world: World) -> None:
    """A repeated idempotency key returns the first version; other models are out of scope."""
    first = world.center.create_deployable_model(world.model.id, idempotency_key="snap-1")
    again = world.center.create_deployable_model(world.model.id, idempotency_key="snap-1")
    assert again.id == first.id
    assert [s.id for s in world.center.find_deployable_models(tag="credit-risk")] == [first.id]
    assert [m.id for m in world.center.find_stored_models()] == [world.model.id]


def csv_text(name: str) -> str:
    return csv_asset(name, AssetRole.TEST_DATA).file_content or ""


def test_the_capabilities_mlflow_can_hold(world: World) -> None:
    """Queries, notifications and external files: yes; in-place editing and audit: no."""
    center = world.center
    offered = {c.__name__ for c in CAPABILITIES if isinstance(center, c)}
    assert offered == {"CatalogueQueries", "NotificationInbox", "ExternalFiles"}
    note = center.create_notification("hello", model_id="m/1", idempotency_key="n1")
    assert center.create_notification("again", idempotency_key="n1").id == note.id
    center.patch_notification(note.id, {"severity": "WARNING"})
    assert [n.message for n in center.find_notifications(severity="WARNING")] == ["hello"]
    external = center.external_file_for(csv_asset("test.csv", AssetRole.TEST_DATA, rows=3))
    assert external.file_url is not None
    assert external.file_url.startswith("runs:/")
    assert center.read_asset(external.model_copy(update={"file_content": None})).count("\n") == 4
