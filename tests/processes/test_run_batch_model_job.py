"""Run Batch Model Job: scoring with the newest batch deployment of a service tag."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from credit_support import TAG, Credit, csv_asset
from modelop_mlc import ManagerConfig
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.testing import assert_that

SIGNAL = "com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB"


@pytest.fixture
def mlc_manager_options(tmp_path: Path) -> dict[str, object]:
    """LocalCenter may read and write external files under the test's directory."""
    return {"config": ManagerConfig(data_roots=[str(tmp_path)])}


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy("run_batch_model_job.bpmn")


def batch_job(credit: Credit, **variables: object) -> str:
    """Signal a batch job and run it to its end; return the instance id."""
    scenario = credit.scenario()
    started = scenario.signal(SIGNAL, variables).started
    assert len(started) == 1
    scenario.run()
    return started[0]


def scoring_input() -> dict[str, object]:
    """The test applicants without their labels, as an embedded input asset."""
    return csv_asset("test.csv", AssetRole.SCORING_DATA, drop="default").to_variable()


def test_scores_with_the_batch_deployment(credit: Credit) -> None:
    """The newest batch deployment scores the input; scores land in a new output asset."""
    credit.deploy_directly("online-prod")
    deployed = credit.deploy_directly("batch-dev")
    instance = batch_job(credit, TAG=TAG, MODEL_STAGE="DEV", INPUT_FILE=scoring_input())

    assert_that(instance).is_completed().has_passed_in_order(
        "find_deployment",
        "find_runtime",
        "create_output",
        "run_scoring",
        "wait_scoring",
        "notify_scored",
        "scored",
    ).has_not_passed("find_input")
    variables = credit.manager.variables(instance)
    job = variables["JOB"]
    assert (job["jobStatus"], job["result"]) == ("COMPLETE", {"records": 400})
    assert job["deployableModel"]["id"] == deployed.deployable_model.id
    assert job["targetEngine"] == "batch-dev"
    scores = job["outputData"][0]
    assert scores["filename"] == f"scores_{TAG}.json"
    assert "fileContent" not in scores  # the center keeps the scores; JOB carries a reference
    written = credit.center.read_asset(Asset.from_variable(scores))
    first = json.loads(written.splitlines()[0])
    assert set(first) == {"id", "probability", "label"}


def test_writes_to_the_given_external_output_file(credit: Credit, tmp_path: Path) -> None:
    """OUTPUT_FILE from the signal (a file under the data roots) receives the scores."""
    credit.deploy_directly("batch-dev")
    target = tmp_path / "out" / "scores.csv"
    output = {
        "name": "scores.csv",
        "filename": "scores.csv",
        "assetType": "EXTERNAL_FILE",
        "fileFormat": "CSV",
        "fileUrl": target.as_uri(),
    }
    instance = batch_job(credit, TAG=TAG, INPUT_FILE=scoring_input(), OUTPUT_FILE=output)

    assert_that(instance).is_completed().has_passed("scored").has_not_passed("create_output")
    lines = target.read_text().splitlines()
    assert lines[0].split(",") == ["id", "probability", "label"]
    assert len(lines) == 401


def test_nothing_deployed_for_the_tag_is_reported(credit: Credit) -> None:
    """No batch deployment for the tag: a notification ticket, no job."""
    credit.deploy_directly("online-prod")  # online only
    instance = batch_job(credit, TAG=TAG, INPUT_FILE=scoring_input())

    assert_that(instance).is_completed().has_passed(
        "no_deployment", "ended_no_deployment"
    ).has_not_passed("run_scoring")
    assert [t.kind for t in credit.manager.tickets.local.list()] == ["notification"]  # type: ignore[attr-defined]


def test_no_batch_runtime_left_is_reported(credit: Credit) -> None:
    """The deployment's runtime no longer carries the tag: reported, no job."""
    credit.deploy_directly("batch-dev")
    credit.center.register_runtime("batch-dev", tags=["other"], stage="DEV")
    instance = batch_job(credit, TAG=TAG, INPUT_FILE=scoring_input())

    assert_that(instance).is_completed().has_passed("no_runtime", "ended_no_runtime")


def test_no_input_is_reported(credit: Credit) -> None:
    """No INPUT_FILE and no SCORING_DATA asset: reported, no job."""
    credit.deploy_directly("batch-dev")
    instance = batch_job(credit, TAG=TAG)

    assert_that(instance).is_completed().has_passed(
        "find_input", "no_input", "ended_no_input"
    ).has_not_passed("run_scoring")


def test_scoring_data_asset_is_used_without_input(make_credit: Callable[..., Credit]) -> None:
    """Without INPUT_FILE the deployed snapshot's SCORING_DATA asset is scored."""
    credit = make_credit(
        assets=(csv_asset("test.csv", AssetRole.SCORING_DATA, rows=25, drop="default"),)
    )
    credit.deploy_directly("batch-dev")
    instance = batch_job(credit, TAG=TAG)

    assert_that(instance).is_completed().has_passed("find_input", "scored")
    assert credit.manager.variables(instance)["JOB"]["result"] == {"records": 25}


def test_job_in_error_is_reported(credit: Credit) -> None:
    """Input the model cannot score ends the job in ERROR: a Jira job notification."""
    credit.deploy_directly("batch-dev")
    garbage = {
        "name": "bad.csv",
        "filename": "bad.csv",
        "assetRole": "SCORING_DATA",
        "fileFormat": "CSV",
        "fileContent": "id,colour\n1,blue\n",
    }
    instance = batch_job(credit, TAG=TAG, INPUT_FILE=garbage)

    assert_that(instance).is_completed().has_passed("job_failed", "ended_job_failed")
    assert [t.kind for t in credit.manager.tickets.local.list()] == ["job_failure"]  # type: ignore[attr-defined]
