"""The shipped Run Back Test process, deployed and started over HTTP as ModelOp users do."""

from __future__ import annotations

from credit_support import EXAMPLE, csv_asset, dmn_asset
from modelop_mlc import LifecycleManager, diagrams
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import AssetRole, JobStatus, JobType
from rest.support import ALL, TestClient, modeler_deploy

SIGNAL = "com.modelop.mlc.definitions.Signals_Run_Back_Test_Jira"


def trained_snapshot(center: LocalCenter) -> str:
    """Register the example model, snapshot it and train it for real; return the snapshot id."""
    model = center.register_model(
        "credit-default",
        source=EXAMPLE / "model.py",
        assets=[
            csv_asset("train.csv", AssetRole.TRAINING_DATA),
            csv_asset("test.csv", AssetRole.TEST_DATA),
            dmn_asset(),
        ],
    )
    snapshot = center.create_deployable_model(model.id)
    job = center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TRAINING_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TRAINING_DATA),
    )
    assert center.run_job(job.id).job_status == JobStatus.COMPLETE
    return snapshot.id


def test_a_signal_posted_over_http_runs_the_shipped_back_test(
    client: TestClient, manager: LifecycleManager
) -> None:
    """Modeler deploys the file, `POST /signal` starts it, history shows the passed back test."""
    xml = diagrams.path("run_back_test_jira").read_text()
    deployed = modeler_deploy(client, "run_back_test_jira.bpmn", xml, name="back test")
    assert deployed.status_code == 200, deployed.text
    assert isinstance(manager.center, LocalCenter)
    snapshot_id = trained_snapshot(manager.center)

    posted = client.post(
        "/signal",
        headers=ALL,
        json={"name": SIGNAL, "variables": {"MODEL_ID": {"value": snapshot_id, "type": "String"}}},
    )
    assert posted.status_code == 204, posted.text
    manager.run_due()

    [instance] = client.get(
        "/process-instance",
        params={"processDefinitionKey": "run_back_test_jira", "ended": "true"},
        headers=ALL,
    ).json()
    assert instance["ended"] is True
    activities = client.get(
        "/history/activity-instance", params={"processInstanceId": instance["id"]}, headers=ALL
    ).json()
    assert [a["activityId"] for a in activities if a["activityType"] == "serviceTask"] == [
        "get_model",
        "find_test_data",
        "create_output",
        "run_metrics",
        "wait_metrics",
        "parse_results",
        "save_results",
        "judge_results",
        "notify_passed",
    ]
