"""Model productionization, unchanged, against a (fake) ModelOp Center through RestCenter.

The center is `FakeModelOpCenter` on 127.0.0.1; the diagrams, delegates, DMNs, scan and the
HTTP client are the real ones. The fake does not run models, so the test reports the metrics
job's outcome as a ModelOp runtime would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from center.rest_support import API, Sleeper, rest_center
from modelop_mlc import LifecycleManager, ManualClock, diagrams
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.testing import ProcessHarness, assert_that
from modelop_mlc.testing.fakes import FakeModelOpCenter

KEY = "productionization"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "models" / "credit_model"
SIGNAL = "com.modelop.mlc.definitions.Signals_deployable_model_changed"
METRICS = {"auc": 0.85, "f1_score": 0.7, "pprev_disparity": 1.0, "min_ks_p_value": 0.5}
APPROVE = {"reviewResult": "APPROVED", "reviewMessage": "ok"}


@pytest.fixture(name="fake")
def _fake(mlc_clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=mlc_clock.now, token_ttl=3600) as fake:
        yield fake


@pytest.fixture(name="mlc_manager_options")
def _options(fake: FakeModelOpCenter, mlc_clock: ManualClock) -> dict[str, Any]:
    return {"center": rest_center(fake, mlc_clock, Sleeper(mlc_clock))}


@pytest.fixture(name="snapshot")
def _snapshot(
    fake: FakeModelOpCenter, mlc_deploy: Callable[..., object], mlc_manager: LifecycleManager
) -> dict[str, Any]:
    """The credit model in the center with a QA (UAT) and a PROD runtime; a new snapshot."""
    assert isinstance(mlc_manager.center, RestCenter)
    mlc_deploy(*diagrams.files(KEY))
    fake.add_runtime("batch-qa", tags=["credit-risk"], stage="UAT")
    fake.add_runtime(
        "online-prod",
        tags=["credit-risk"],
        stage="PROD",
        endpoints=[{"type": "REST", "url": "http://scoring/credit"}],
    )
    source_url = fake.add_external_file("credit/model.py", (EXAMPLE / "model.py").read_text())
    model = fake.add_stored_model(
        "credit-default",
        tags=["credit-risk"],
        assets=[
            {
                "name": "model source",
                "filename": "model.py",
                "assetRole": "MODEL_SOURCE",
                "fileUrl": source_url,
            },
            {
                "name": "test.csv",
                "filename": "test.csv",
                "assetRole": "TEST_DATA",
                "fileFormat": "CSV",
                "fileContent": (EXAMPLE / "data" / "test.csv").read_text(),
            },
            {
                "name": "comparator.dmn",
                "filename": "comparator.dmn",
                "assetRole": "DMN",
                "fileContent": (EXAMPLE / "comparator.dmn").read_text(),
            },
        ],
    )
    return fake.add_snapshot(model["id"], tags=["productionization"])


def started(harness: ProcessHarness, manager: LifecycleManager, snapshot: dict[str, Any]) -> Any:
    """Signal the snapshot as ModelOp Center does on "Create New Snapshot"; follow the run."""
    variable = manager.center.get_deployable_model(snapshot["id"]).to_variable()
    scenario = harness.scenario()
    result = scenario.signal(SIGNAL, {"DEPLOYABLE_MODEL": variable})
    assert len(result.started) == 1
    return scenario


def job_reported(fake: FakeModelOpCenter, scenario: Any, status: str, **result: Any) -> None:
    """Run until the metrics job waits, then report its end as the QA runtime would."""
    waiting = scenario.run(until="wait_qa_test")
    assert waiting.waiting_at == ("wait_qa_test",)
    (job,) = fake.jobs
    assert (job["jobType"], job["targetEngine"]) == ("MODEL_BATCH_TEST_JOB", {"name": "batch-qa"})
    fake.set_job_status(job["id"], status, **result)


def states(fake: FakeModelOpCenter) -> list[tuple[str, str]]:
    """(runtime, state) of the center's deployments, sorted."""
    return sorted((d["runtime"]["name"], d["deployedState"]) for d in fake.deployments)


def test_promoted_through_rest_center(
    fake: FakeModelOpCenter,
    snapshot: dict[str, Any],
    mlc_harness: ProcessHarness,
    mlc_manager: LifecycleManager,
) -> None:
    """QA deployment, test result, notification and PROD promotion all go over REST."""
    scenario = started(mlc_harness, mlc_manager, snapshot)
    scenario.at("approve").complete(APPROVE)
    job_reported(fake, scenario, "COMPLETE", result=METRICS)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "deploy_qa",
        "wait_qa_test",
        "judge_results",
        "security_scan",
        "risk_review",
        "deploy_prod",
        "undeploy_qa",
        "promoted",
    ).has_variables(TEST_RESULT=True)
    assert states(fake) == [("batch-qa", "UNDEPLOYED"), ("online-prod", "DEPLOYED")]
    assert [r["testResults"]["auc"] for r in fake.test_results] == [0.85]
    assert any("promoted to PROD runtime online-prod" in n["message"] for n in fake.notifications)
    patched = [r for r in fake.requests if r.method == "PATCH" and "/deployedModels/" in r.path]
    assert {"deployedState": "UNDEPLOYED"} in [r.json for r in patched]


def test_a_refused_qa_deployment_opens_a_ticket(
    fake: FakeModelOpCenter,
    snapshot: dict[str, Any],
    mlc_harness: ProcessHarness,
    mlc_manager: LifecycleManager,
) -> None:
    """The center refuses the QA deployment (409): FAILURE, and a ticket with its reason."""
    fake.fail_next(409, path_prefix=f"{API}/deployedModels", method="POST")
    scenario = started(mlc_harness, mlc_manager, snapshot)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "deploy_qa_failed", "qa_deploy_failed", "ended_qa_deploy_failed"
    ).has_not_passed("run_qa_test")
    assert fake.deployments == []
    (ticket,) = mlc_manager.tickets.local.list()  # type: ignore[attr-defined]
    text = mlc_manager.tickets.local.description(ticket.key)  # type: ignore[attr-defined]
    assert "to QA failed: DeployModel:" in text
    assert "409" in text


def test_a_metrics_job_in_error_opens_a_ticket(
    fake: FakeModelOpCenter,
    snapshot: dict[str, Any],
    mlc_harness: ProcessHarness,
    mlc_manager: LifecycleManager,
) -> None:
    """The QA runtime reports the job in ERROR: a job ticket; QA stays for investigation."""
    scenario = started(mlc_harness, mlc_manager, snapshot)
    job_reported(fake, scenario, "ERROR", message="KeyError: 'default'")

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("qa_test_failed", "ended_qa_test_failed")
    assert states(fake) == [("batch-qa", "DEPLOYED")]


def test_a_refused_prod_deployment_opens_a_ticket(
    fake: FakeModelOpCenter,
    snapshot: dict[str, Any],
    mlc_harness: ProcessHarness,
    mlc_manager: LifecycleManager,
) -> None:
    """Approved, but the center refuses the PROD deployment: a ticket; QA stays deployed."""
    scenario = started(mlc_harness, mlc_manager, snapshot)
    job_reported(fake, scenario, "COMPLETE", result=METRICS)
    scenario.run(until="approve")
    fake.fail_next(400, path_prefix=f"{API}/deployedModels", method="POST")
    (task,) = mlc_manager.tasks(candidate_group="python_approvers")
    mlc_manager.complete_task(task.id, APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "deploy_prod_failed", "prod_deploy_failed", "ended_prod_deploy_failed"
    ).has_not_passed("undeploy_qa")
    assert states(fake) == [("batch-qa", "DEPLOYED")]
