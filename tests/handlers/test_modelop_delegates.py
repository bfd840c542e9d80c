"""ModelOp's delegates against LocalCenter: real model code, real data, real subprocess jobs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import Asset, AssetRole, JobStatus, JobType

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "models" / "credit_model"
_COUNTER = itertools.count()


@pytest.fixture(name="center")
def _center(manager: LifecycleManager) -> LocalCenter:
    center = manager.center
    assert isinstance(center, LocalCenter)
    return center


@pytest.fixture(name="model")
def _model(center: LocalCenter) -> Any:
    def data(name: str, role: AssetRole) -> Asset:
        return Asset(
            name=name,
            filename=name,
            asset_role=role,
            file_format="CSV",
            file_content=(EXAMPLE / "data" / name).read_text(),
        )

    stored = center.register_model(
        "credit-default",
        source=EXAMPLE / "model.py",
        tags=["credit-risk"],
        group="retail",
        assets=[
            data("train.csv", AssetRole.TRAINING_DATA),
            data("test.csv", AssetRole.TEST_DATA),
            Asset(
                name="comparator.dmn",
                filename="comparator.dmn",
                asset_role=AssetRole.DMN,
                file_content=(EXAMPLE / "comparator.dmn").read_text(),
            ),
        ],
    )
    center.register_runtime("batch-dev", tags=["credit-risk"], stage="DEV")
    center.register_runtime(
        "online-prod",
        tags=["credit-risk"],
        stage="PROD",
        endpoints=[{"type": "REST", "url": "http://scoring/credit"}],
    )
    return stored


def run_delegate(
    manager: LifecycleManager,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    boundary: bool = False,
) -> dict[str, Any]:
    """Run one delegate in a one-task process to its end; return the process variables."""
    pid = f"one_{next(_COUNTER)}"
    extra_nodes, extra_flows = "", ""
    if boundary:
        extra_nodes = (
            '<bpmn:boundaryEvent id="failed" attachedToRef="task">'
            '<bpmn:errorEventDefinition errorRef="F" '
            'camunda:errorMessageVariable="ERROR_MESSAGE"/></bpmn:boundaryEvent>'
            '<bpmn:endEvent id="failed_end"/>'
        )
        extra_flows = flow("ef", "failed", "failed_end")
    xml = process(
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:serviceTask id="task" camunda:class="com.modelop.mlc.delegate.modelop.{name}"/>'
        '<bpmn:endEvent id="end"/>' + extra_nodes + chain("start", "task", "end") + extra_flows,
        pid=pid,
        extra='<bpmn:error id="F" errorCode="FAILURE"/>',
    )
    manager.deploy(xml)
    instance = manager.start(pid, variables or {})
    for _ in range(20):
        if manager.instance(instance.id).status != "running":
            break
        manager.run_due()
        manager.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    final = manager.instance(instance.id)
    assert final.status == "completed", manager.incidents(instance_id=instance.id)
    return dict(final.variables)


def test_snapshot_creation_starts_a_signal_start_process(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """A snapshot made in LocalCenter starts a deployed `Signals_deployable_model_changed`
    process with `DEPLOYABLE_MODEL`."""
    manager.deploy(
        process(
            '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>'
            '<bpmn:userTask id="review"/><bpmn:endEvent id="end"/>' + chain("s", "review", "end"),
            pid="on_snapshot",
            extra='<bpmn:signal id="sig" '
            'name="com.modelop.mlc.definitions.Signals_deployable_model_changed"/>',
        )
    )
    snapshot = center.snapshot(model.id, tags=["run_test"])
    (instance,) = manager.instances(key="on_snapshot")
    assert instance.variables["DEPLOYABLE_MODEL"]["id"] == snapshot.id
    assert instance.variables["DEPLOYABLE_MODEL"]["storedModel"]["modelMetaData"]["type"] == (
        "PYTHON3"
    )


def test_model_and_snapshot_lookups(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """GetStoredModelById, GetDeployableModelById and GetMostRecentDeployableModelByTag."""
    first = center.snapshot(model.id, tags=["champion"])
    second = center.snapshot(model.id, tags=["champion"])
    assert (
        run_delegate(manager, "GetStoredModelById", {"STORED_MODEL_ID": model.id})["STORED_MODEL"][
            "modelMetaData"
        ]["name"]
        == "credit-default"
    )
    assert (
        run_delegate(manager, "GetDeployableModelById", {"MODEL_ID": first.id})["DEPLOYABLE_MODEL"][
            "version"
        ]
        == 1
    )
    latest = run_delegate(manager, "GetMostRecentDeployableModelByTag", {"TAG": "champion"})
    assert latest["DEPLOYABLE_MODEL"]["id"] == second.id


def test_snapshot_and_asset_delegates(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """SnapshotModel, FindDeployableModelAssets, GetFileAssets, CreateEmptyExternalFileAsset,
    PatchDeployableModel."""
    variables = run_delegate(
        manager, "SnapshotModel", {"STORED_MODEL": {"id": model.id}, "TAGS": "run_test, jira"}
    )
    snapshot = variables["DEPLOYABLE_MODEL"]
    assert snapshot["tags"] == ["run_test", "jira"]
    assets = run_delegate(
        manager, "FindDeployableModelAssets", {"DEPLOYABLE_MODEL": snapshot, "ASSET_ROLE": "DMN"}
    )["ASSETS"]
    assert [a["filename"] for a in assets] == ["comparator.dmn"]
    test_data = run_delegate(manager, "GetFileAssets", {"DEPLOYABLE_MODEL": snapshot})
    assert test_data["FILE_ASSET"]["filename"] == "test.csv"
    output = run_delegate(manager, "CreateEmptyExternalFileAsset", {"FILE_NAME": "scores.json"})[
        "FILE_ASSET"
    ]
    assert (output["fileFormat"], output["assetRole"]) == ("JSON", "SCORING_OUTPUT")
    patched = run_delegate(
        manager,
        "PatchDeployableModel",
        {"DEPLOYABLE_MODEL": snapshot, "PATCH": {"tags": ["approved"]}},
    )
    assert center.get_deployable_model(snapshot["id"]).tags == ["approved"]
    assert patched["DEPLOYABLE_MODEL"]["tags"] == ["approved"]


def test_training_then_metrics_jobs_run_the_model_and_the_dmn_judges_them(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """Real training and metrics jobs; the parsed metrics are stored and judged by the DMN."""
    snapshot = center.snapshot(model.id).to_variable()
    trained = run_delegate(
        manager,
        "CreateModelBatchJob",
        {"DEPLOYABLE_MODEL": snapshot, "JOB_TYPE": "MODEL_BATCH_TRAINING_JOB"},
    )
    manager.run_due()
    job = run_delegate(manager, "WaitForJob", {"JOB_ID": trained["JOB_ID"]})["JOB"]
    assert job["jobStatus"] == "COMPLETE"
    assert "coefficients" in job["result"]
    assert center.get_deployable_model(snapshot["id"]).trained_model is not None

    created = run_delegate(manager, "CreateModelBatchJob", {"DEPLOYABLE_MODEL": snapshot})
    manager.run_due()
    finished = run_delegate(manager, "GetJob", {"JOB_ID": created["JOB_ID"]})["JOB"]
    assert finished["jobType"] == JobType.MODEL_BATCH_TEST_JOB
    parsed = run_delegate(manager, "ParseModelTestResultFromBatchJob", {"JOB": finished})
    metrics = parsed["MODEL_TEST_RESULT"]["testResults"]
    assert metrics["auc"] > 0.75
    assert {"performance", "bias", "data_drift"} <= set(metrics)
    stored = run_delegate(
        manager, "CreateModelTestResult", {"MODEL_TEST_RESULT": parsed["MODEL_TEST_RESULT"]}
    )
    judged = run_delegate(
        manager,
        "ModelTestResultEval",
        {"MODEL_TEST_RESULT": stored["MODEL_TEST_RESULT"], "DEPLOYABLE_MODEL": snapshot},
    )
    assert judged["TEST_RESULT"] is True, judged["TEST_RESULT_MESSAGE"]
    (result,) = center.find_test_results(snapshot["id"])
    assert result.test_result_passed is True


def test_failing_metrics_are_judged_failing_with_reasons(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """Metrics below the DMN's thresholds fail with the rules' reasons; a -99 metric fails by
    name."""
    snapshot = center.snapshot(model.id).to_variable()
    bad = {"auc": 0.55, "f1_score": 0.3, "pprev_disparity": 2.0, "min_ks_p_value": 0.5}
    judged = run_delegate(
        manager,
        "ModelTestResultEval",
        {"MODEL_TEST_RESULT": {"testResults": bad}, "DEPLOYABLE_MODEL": snapshot},
    )
    assert judged["TEST_RESULT"] is False
    assert "AUC" in judged["TEST_RESULT_MESSAGE"]
    missing = run_delegate(
        manager,
        "ModelTestResultEval",
        {"MODEL_TEST_RESULT": {"testResults": {**bad, "auc": -99}}, "DEPLOYABLE_MODEL": snapshot},
    )
    assert "auc" in missing["TEST_RESULT_MESSAGE"]


def test_wait_for_job_parks_without_growing_the_instance(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """WaitForJob re-checks on a schedule and is woken by the job's status change; the
    instance's state does not grow while it waits."""
    snapshot = center.snapshot(model.id)
    job = center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TEST_DATA),
    )
    manager.deploy(
        process(
            '<bpmn:startEvent id="start"/><bpmn:serviceTask id="wait" '
            'camunda:class="WaitForJob"/><bpmn:endEvent id="end"/>' + chain("start", "wait", "end"),
            pid="waiter",
        )
    )
    instance = manager.start("waiter", {"JOB_ID": job.id})
    manager._jobs.run_due()  # only the delegate, not the center's queue
    row = manager.store.get_instance(instance.id)
    size = len(str(row.state)) if row else 0
    for _ in range(5):
        manager.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
        manager._jobs.run_due()
    row = manager.store.get_instance(instance.id)
    assert row is not None and len(str(row.state)) == size
    assert manager.instance(instance.id).waiting_at == ("wait",)
    manager.run_due()  # the center runs the job, its status change wakes the waiter
    final = manager.instance(instance.id)
    assert final.status == "completed"
    assert final.variables["JOB"]["jobStatus"] == JobStatus.COMPLETE


def test_runtimes_and_deployment(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """GetRuntimesByTag, GetCompatibleEngine (by tag, type and stage), StopEngine and
    DeployModel (batch without endpoints, online with)."""
    snapshot = center.snapshot(model.id, tags=["credit-risk"]).to_variable()
    runtimes = run_delegate(manager, "GetRuntimesByTag", {"TAG": "credit-risk"})["RUNTIMES"]
    assert sorted(r["name"] for r in runtimes) == ["batch-dev", "online-prod"]
    prod = run_delegate(
        manager, "GetCompatibleEngine", {"DEPLOYABLE_MODEL": snapshot, "MODEL_STAGE": "PROD"}
    )
    assert [r["name"] for r in prod["ONLINE_RUNTIMES"]] == ["online-prod"]
    assert prod["BATCH_RUNTIMES"] == []
    assert (
        run_delegate(manager, "StopEngine", {"ENGINE_INSTANCE": "batch-dev"})["ENGINE_STATE"]
        == "STOPPED"
    )
    batch = run_delegate(
        manager, "DeployModel", {"DEPLOYABLE_MODEL": snapshot, "ENGINE_INSTANCE": "batch-dev"}
    )
    assert batch["DEPLOYED_MODEL"]["deploymentType"] == "BATCH"
    online = run_delegate(
        manager, "DeployModel", {"DEPLOYABLE_MODEL": snapshot, "RUNTIMES": prod["ONLINE_RUNTIMES"]}
    )
    assert online["DEPLOYED_MODEL"]["deploymentType"] == "ONLINE"
    assert center.get_runtime("batch-dev").engine_state == "RUNNING"


def test_deployed_model_queries_schedules_and_expiry(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """FindMostRecentBatchDeployedModels, GetMostRecentDeployedModelByTag,
    AddDeployedModelSchedules (copied from the previous deployment), expiry look-ups."""
    runtime = center.get_runtime("batch-dev")
    old = center.deploy_model(center.snapshot(model.id), runtime)
    center.patch_deployed_model(old.id, {"schedules": [{"cronExpression": "0 0 2 * * ?"}]})
    new = center.deploy_model(center.snapshot(model.id), runtime)
    found = run_delegate(
        manager, "FindMostRecentBatchDeployedModels", {"TAG": "credit-risk", "MODEL_STAGE": "DEV"}
    )
    assert found["DEPLOYED_MODEL"]["id"] == new.id
    assert len(found["DEPLOYED_MODELS"]) == 1  # the old one was replaced
    assert (
        run_delegate(manager, "GetMostRecentDeployedModelByTag", {"TAG": "credit-risk"})[
            "DEPLOYED_MODEL"
        ]["id"]
        == new.id
    )
    copied = run_delegate(
        manager, "AddDeployedModelSchedules", {"DEPLOYED_MODEL": new.to_variable()}
    )
    assert copied["DEPLOYED_MODEL"]["schedules"][0]["cronExpression"] == "0 0 2 * * ?"
    expiring = run_delegate(
        manager,
        "SetDeployedModelExpiration",
        {"DEPLOYED_MODEL": new.to_variable(), "EXPIRATION_DATE": "2026-01-20T00:00:00+00:00"},
    )
    assert expiring["DEPLOYED_MODEL"]["expirationDate"].startswith("2026-01-20")
    soon = run_delegate(manager, "FindAllDeployedModelsExpiring", {"DAYS": 30})
    assert [d["id"] for d in soon["DEPLOYED_MODELS"]] == [new.id]


def test_notifications(manager: LifecycleManager, center: LocalCenter) -> None:
    """CreateNotification and its typed variants record notifications with the instance."""
    variables = run_delegate(
        manager,
        "CreateJobNotification",
        {"JOB": {"id": "j1", "jobStatus": "ERROR", "message": "boom"}},
    )
    assert variables["NOTIFICATION"]["type"] == "JOB"
    assert "boom" in variables["NOTIFICATION"]["message"]
    run_delegate(manager, "CreateNotification", {"MESSAGE": "hello", "SEVERITY": "warning"})
    assert [n.severity for n in center.notifications()] == ["WARNING", "INFO"]


def test_delegate_failure_takes_the_failure_boundary(manager: LifecycleManager) -> None:
    """A delegate that cannot do its work raises BpmnError FAILURE with the reason."""
    variables = run_delegate(manager, "GetDeployableModelById", {"MODEL_ID": "nope"}, boundary=True)
    assert "no snapshot with id 'nope'" in variables["ERROR_MESSAGE"]


def test_job_whose_model_raises_ends_in_error_with_the_reason(
    manager: LifecycleManager, center: LocalCenter
) -> None:
    """A model that raises ends its job in ERROR with the reason; nothing else is harmed."""
    broken = Path(__file__).resolve().parents[2] / "examples" / "models" / "broken"
    stored = center.register_model(
        "raiser",
        source=broken / "raises.py",
        assets=[
            Asset(
                name="d.csv",
                asset_role=AssetRole.TEST_DATA,
                file_format="CSV",
                file_content="x\n1\n",
            )
        ],
    )
    job = center.create_batch_job(
        center.snapshot(stored.id),
        JobType.MODEL_BATCH_TEST_JOB,
        inputs=[Asset(file_format="CSV", file_content="x\n1\n")],
    )
    manager.run_due()
    finished = center.get_job(job.id)
    assert finished.job_status == JobStatus.ERROR
    assert "ValueError" in (finished.message or "")


def test_champion_challenger_comparison(
    manager: LifecycleManager, center: LocalCenter, model: Any
) -> None:
    """CompareChampionChallenger compares metric by metric and names the winner."""
    champion = center.snapshot(model.id)
    challenger = center.snapshot(model.id)
    center.create_test_result(champion.id, {"auc": 0.80, "f1_score": 0.60, "rmse": 0.30})
    center.create_test_result(challenger.id, {"auc": 0.85, "f1_score": 0.58, "rmse": 0.20})
    report = run_delegate(
        manager, "CompareChampionChallenger", {"CHAMPION": champion.id, "CHALLENGER": challenger.id}
    )
    rows = {r["metric"]: r["winner"] for r in report["COMPARISON"]["metrics"]}
    assert rows == {"auc": "challenger", "f1_score": "champion", "rmse": "challenger"}
    assert report["CHALLENGER_WINS"] is True


def test_security_scan_finds_risky_code(manager: LifecycleManager, center: LocalCenter) -> None:
    """RunSecurityScan runs bandit over the model source and counts findings by severity."""
    stored = center.register_model(
        "risky",
        source="import subprocess\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n",
    )
    scan = run_delegate(
        manager, "RunSecurityScan", {"DEPLOYABLE_MODEL": center.snapshot(stored.id).to_variable()}
    )
    result = scan["SECURITY_SCAN"]
    assert result["high"] >= 1
    assert result["passed"] is False
    assert any(f["test_id"] == "B602" for f in result["findings"])


@pytest.fixture(name="manager")
def _manager(tmp_path: Path, clock: ManualClock) -> Iterator[LifecycleManager]:
    manager = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    yield manager
    manager.close()


def test_a_variable_without_modelops_shape_is_a_failure_naming_it(
    manager: LifecycleManager,
) -> None:
    """A DEPLOYABLE_MODEL whose assets are not a list is FAILURE naming the field."""
    variables = run_delegate(
        manager,
        "GetFileAssets",
        {"DEPLOYABLE_MODEL": {"id": "s1", "deployableModelAssets": "test.csv"}},
        boundary=True,
    )
    message = variables["ERROR_MESSAGE"]
    assert "variable DEPLOYABLE_MODEL is not a snapshot" in message
    assert "deployableModelAssets: input should be a valid list" in message
    assert "pydantic" not in message
