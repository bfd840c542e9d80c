"""Run Back Test (Jira and ServiceNow), every outcome, with real metrics jobs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from credit_support import ON_BOTH_CENTERS, Credit, csv_asset
from modelop_mlc.domain import AssetRole
from modelop_mlc.testing import assert_that
from modelop_mlc.testing.fakes import FakeServiceNow
from modelop_mlc.tickets import ServiceNowConfig, ServiceNowTickets

SIGNAL = "com.modelop.mlc.definitions.Signals_Run_Back_Test_"


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy("run_back_test_jira.bpmn", "run_back_test_servicenow.bpmn")


def back_test(credit: Credit, system: str = "Jira", **variables: object) -> str:
    """Signal a back test and run it to its end; return the instance id."""
    scenario = credit.scenario()
    result = scenario.signal(SIGNAL + system, variables)
    assert len(result.started) == 1
    scenario.run()
    return result.started[0]


def kinds(credit: Credit) -> list[str]:
    """The kinds of the local board's tickets."""
    return sorted(t.kind for t in credit.manager.tickets.local.list())  # type: ignore[attr-defined]


@pytest.mark.parametrize("system", ["Jira", "ServiceNow"])
def test_passing_back_test_notifies(credit: Credit, system: str) -> None:
    """The trained snapshot's TEST_DATA passes its DMN: a notification, no ticket."""
    snapshot = credit.trained_snapshot()
    instance = back_test(credit, system, MODEL_ID=snapshot.id)

    assert_that(instance).is_completed().has_passed_in_order(
        "get_model",
        "find_test_data",
        "create_output",
        "run_metrics",
        "wait_metrics",
        "judge_results",
        "notify_passed",
        "passed",
    ).has_variables(TEST_RESULT=True)
    assert kinds(credit) == []
    notes = [n.message for n in credit.center.notifications()]
    assert f"Back test of snapshot {snapshot.id} passed" in notes
    output = credit.manager.variables(instance)["OUTPUT_FILE"]
    assert output["filename"] == f"back_test_{snapshot.id}.json"


@ON_BOTH_CENTERS
def test_failing_back_test_on_given_input_opens_a_ticket(credit: Credit) -> None:
    """INPUT_FILE from the signal (drifted data) fails the DMN: a test review ticket."""
    snapshot = credit.snapshot()
    drifted = csv_asset("test_drifted.csv", AssetRole.TEST_DATA).to_variable()
    output = {"name": "out.json", "filename": "out.json", "fileFormat": "JSON"}
    instance = back_test(credit, MODEL_ID=snapshot.id, INPUT_FILE=drifted, OUTPUT_FILE=output)

    assert_that(instance).is_completed().has_passed(
        "open_failure_ticket", "failed_criteria"
    ).has_not_passed("find_test_data", "create_output", "notify_passed")
    assert kinds(credit) == ["test_review"]
    assert "AUC below 0.70" in credit.manager.variables(instance)["TEST_RESULT_MESSAGE"]


def test_job_in_error_opens_a_review_ticket(credit: Credit) -> None:
    """Data without the label makes the metrics job fail: a model review ticket."""
    snapshot = credit.snapshot()
    unlabelled = csv_asset("test.csv", AssetRole.TEST_DATA, drop="default").to_variable()
    instance = back_test(credit, MODEL_ID=snapshot.id, INPUT_FILE=unlabelled)

    assert_that(instance).is_completed().has_passed("job_failed", "ended_job_failed")
    assert kinds(credit) == ["model_review"]


def test_no_test_data_at_all_opens_a_ticket(make_credit: Callable[..., Credit]) -> None:
    """No INPUT_FILE and no TEST_DATA asset: a ticket says so."""
    credit = make_credit(assets=(csv_asset("train.csv", AssetRole.TRAINING_DATA),))
    snapshot = credit.snapshot()
    instance = back_test(credit, MODEL_ID=snapshot.id)

    assert_that(instance).is_completed().has_passed("no_test_data", "ended_no_data")
    assert kinds(credit) == ["notification"]


def test_unknown_snapshot_is_a_failure_notification(credit: Credit) -> None:
    """Any other FAILURE ends in a process notification with severity ERROR."""
    instance = back_test(credit, MODEL_ID="no-such-snapshot")

    assert_that(instance).is_completed().has_passed("failure_caught", "notify_failure")
    errors = [n for n in credit.center.notifications() if n.severity == "ERROR"]
    assert len(errors) == 1
    assert "no-such-snapshot" in errors[0].message


def test_servicenow_variant_opens_its_ticket_in_servicenow(
    credit: Credit, mlc_fake_servicenow: FakeServiceNow
) -> None:
    """With ServiceNow configured, the failing back test's ticket is a ServiceNow record."""
    credit.manager.tickets.servicenow = ServiceNowTickets(
        ServiceNowConfig(
            url=mlc_fake_servicenow.url,
            username="svc.mlc",
            password=SecretStr("snow-password-for-the-process-test"),
        )
    )
    snapshot = credit.snapshot()
    drifted = csv_asset("test_drifted.csv", AssetRole.TEST_DATA).to_variable()
    instance = back_test(credit, "ServiceNow", MODEL_ID=snapshot.id, INPUT_FILE=drifted)

    assert_that(instance).is_completed().has_passed("open_failure_ticket")
    ticket = credit.manager.variables(instance)["NEW_NOTIFICATION"]
    assert ticket["system"] == "servicenow"
    assert kinds(credit) == []
    records = [
        r for table in ("incident", "change_request") for r in mlc_fake_servicenow.records(table)
    ]
    assert [r["number"] for r in records] == [ticket["key"]]
