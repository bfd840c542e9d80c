"""Deploy with run test and Jira on MlflowCenter, observed in MLflow with MLflow's own client.

Approved: the version holds the target's alias, the earlier one no longer does, its metrics
run is linked to it and its tags carry the test result and the review ticket. Rejected: no
alias. And an MLflow server restart in the middle of the process is retried, doubling nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from credit_support import Credit, csv_asset
from mlflow_support import MlflowServer, client
from modelop_mlc.domain import AssetRole
from modelop_mlc.testing import assert_that

KEY = "deploy_with_test_and_jira"
ON_MLFLOW = pytest.mark.parametrize("center_kind", ["mlflow"], indirect=True)


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy(f"{KEY}.bpmn")


@ON_MLFLOW
def test_approved_version_holds_the_alias_and_its_evidence(
    credit: Credit, mlflow_server: MlflowServer
) -> None:
    """After approval `production` is on the new version, with its test result and ticket."""
    mlflow = client(mlflow_server)
    name = credit.model.id
    previous = credit.deploy_directly("online-prod")
    assert mlflow.get_model_version_by_alias(name, "production").version == "1"
    scenario = credit.scenario()
    scenario.ticket(kind="model_review").moves_to("Done", {"Expiration Date": "2027-03-31"})
    snapshot = credit.snapshot("train", "run_test", "jira")
    scenario.follow(credit.started(KEY, snapshot))

    assert_that(scenario.run()).is_completed().has_passed("deploy", "deployed")

    version = mlflow.get_model_version_by_alias(name, "production")
    assert version.version == str(snapshot.version) == "2"
    assert mlflow.get_model_version(name, "1").aliases == []
    assert credit.center.get_deployed_model(previous.id).deployed_state == "UNDEPLOYED"
    tags = version.tags
    assert tags["mlc.test_result"] == "passed"
    assert tags["mlc.ticket.model_review"] == "MLC-1"
    assert tags["mlc.deploy.online-prod.state"] == "DEPLOYED"
    assert tags["mlc.deploy.online-prod.expiration"].startswith("2027-03-31")
    metrics_run = mlflow.get_run(tags["mlc.metrics_run"])
    assert metrics_run.data.tags["mlc.model_version"] == "2"
    assert metrics_run.data.metrics["auc"] > 0.7
    assert metrics_run.data.tags["mlc.test_result_verdict"] == "passed"


@ON_MLFLOW
def test_a_drifted_version_is_rejected_and_holds_no_alias(
    credit: Credit, mlflow_server: MlflowServer
) -> None:
    """Tested on drifted data, the DMN fails it: tagged failed, no alias, nothing deployed."""
    mlflow = client(mlflow_server)
    credit.replace_asset(csv_asset("test_drifted.csv", AssetRole.TEST_DATA))
    scenario = credit.scenario()
    snapshot = credit.snapshot("train", "run_test", "jira")
    scenario.follow(credit.started(KEY, snapshot))

    assert_that(scenario.run()).is_completed().has_passed("rejected_criteria")

    version = mlflow.get_model_version(credit.model.id, str(snapshot.version))
    assert version.aliases == []
    assert version.tags["mlc.test_result"] == "failed"
    assert version.tags["mlc.ticket.test_review"] == "MLC-1"
    assert credit.center.find_deployed_models(stored_model_id=credit.model.id) == []


@ON_MLFLOW
def test_a_server_restart_mid_process_is_retried_and_doubles_nothing(
    credit: Credit, mlflow_server: MlflowServer
) -> None:
    """MLflow goes down while the review is approved: the deployment is retried, once."""
    mlflow = client(mlflow_server)
    name = credit.model.id
    scenario = credit.scenario()
    snapshot = credit.snapshot("train", "run_test", "jira")
    instance = credit.started(KEY, snapshot)
    scenario.follow(instance)
    scenario.run(until="wait_review")
    runs_before = len(credit.center.find_jobs())

    mlflow_server.stop()
    try:
        credit.manager.tickets.local.transition("MLC-1", "Done")  # type: ignore[attr-defined]
        credit.manager.run_due()
        assert credit.manager.incidents() == []
        waiting = credit.manager.instance(instance.id)
        # The deployment failed against the stopped server and waits for its retry.
        assert waiting.status == "running"
        assert "deploy" in waiting.waiting_at
    finally:
        mlflow_server.start()
    credit.harness.advance(timedelta(minutes=6))
    finished = scenario.run()

    assert_that(finished).is_completed().has_passed("deploy", "deployed")
    assert [v.version for v in mlflow.search_model_versions(f"name = '{name}'")] == ["1"]
    assert mlflow.get_model_version_by_alias(name, "production").version == "1"
    assert len(credit.center.find_jobs()) == runs_before
    assert len(credit.center.find_deployed_models(stored_model_id=name)) == 1
