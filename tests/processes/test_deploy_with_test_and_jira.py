"""Deploy with run test and Jira, path by path, with the model's code really running."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from pydantic import SecretStr

from credit_support import ON_BOTH_CENTERS, Credit, csv_asset, dmn_asset
from modelop_mlc.domain import AssetRole
from modelop_mlc.errors import MlcError
from modelop_mlc.testing import assert_that
from modelop_mlc.testing.fakes import FakeJira
from modelop_mlc.tickets import JiraConfig, JiraTickets

KEY = "deploy_with_test_and_jira"
SCHEDULE = {"cronExpression": "0 0 6 * * ?", "jobType": "MODEL_BATCH_TEST_JOB"}


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy(f"{KEY}.bpmn")


def tickets(credit: Credit, kind: str | None = None) -> list[tuple[str, str]]:
    """(kind, status) of the local board's tickets, oldest first."""
    board = credit.manager.tickets.local
    found = board.list(kind=kind)  # type: ignore[attr-defined]
    return sorted(((t.kind, t.status) for t in found), key=str)


@ON_BOTH_CENTERS
def test_trained_tested_reviewed_and_deployed_online(credit: Credit) -> None:
    """The full path: schedules of the previous deployment copied, expiry from the ticket."""
    previous = credit.deploy_directly("online-prod", schedules=[SCHEDULE])
    scenario = credit.scenario()
    scenario.ticket(kind="model_review").moves_to_after(
        timedelta(days=2), "Done", fields={"Expiration Date": "2027-03-31"}
    )
    snapshot = credit.snapshot("train", "run_test", "jira")
    scenario.follow(credit.started(KEY, snapshot))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "train",
        "wait_training",
        "find_test_data",
        "run_test",
        "wait_test",
        "parse_results",
        "save_results",
        "judge_results",
        "open_review",
        "wait_review",
        "find_runtime",
        "deploy",
        "copy_schedules",
        "set_expiration",
        "notify_deployed",
        "deployed",
    ).has_variables(TEST_RESULT=True, TICKET_STATUS="Done")
    deployed = credit.manager.variables(instance.id)["DEPLOYED_MODEL"]
    assert deployed["deployableModel"]["id"] == snapshot.id
    assert (deployed["runtime"]["name"], deployed["deploymentType"]) == ("online-prod", "ONLINE")
    assert [s["cronExpression"] for s in deployed["schedules"]] == ["0 0 6 * * ?"]
    assert deployed["expirationDate"].startswith("2027-03-31")
    assert credit.center.get_deployed_model(previous.id).deployed_state == "UNDEPLOYED"
    trained = credit.center.get_deployable_model(snapshot.id).trained_model
    assert trained is not None
    assert trained["model_type"] == "logistic_regression"
    review = credit.manager.tickets.local.description("MLC-1")  # type: ignore[attr-defined]
    assert "Test results: PASSED" in review
    assert "auc" in review


def test_no_tags_deploys_straight_to_batch_for_a_dev_model(
    make_credit: Callable[..., Credit], mlc_clock: object
) -> None:
    """Without tags nothing is trained, tested or reviewed; a DEV model goes to batch."""
    credit = make_credit(stage="DEV")
    scenario = credit.scenario()
    credit.snapshot()
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("deploy", "deployed").has_not_passed(
        "train", "run_test", "judge_results", "open_review"
    )
    deployed = credit.manager.variables(instance.id)["DEPLOYED_MODEL"]
    assert (deployed["runtime"]["name"], deployed["deploymentType"]) == ("batch-dev", "BATCH")
    assert deployed["expirationDate"].startswith("2027-01-01")  # one year after the clock
    assert tickets(credit) == []


def test_failed_metrics_job_is_tested_again_once_its_ticket_is_done(credit: Credit) -> None:
    """A metrics job in ERROR opens a test review; fixed data and Done re-run the test."""
    credit.replace_asset(csv_asset("test.csv", AssetRole.TEST_DATA, drop="default"))
    scenario = credit.scenario()
    snapshot = credit.snapshot("run_test")
    scenario.follow(credit.started(KEY))

    waiting = scenario.run(until="wait_test_review")
    assert_that(waiting).has_passed("open_test_review").has_variable_satisfying(
        "JOB", lambda job: job["jobStatus"] == "ERROR" and "default" in job["message"]
    )
    # Someone fixes the snapshot's test data, then closes the ticket.
    good = csv_asset("test.csv", AssetRole.TEST_DATA).to_variable()
    assets = [
        a
        for a in credit.center.get_deployable_model(snapshot.id).to_variable()[
            "deployableModelAssets"
        ]
        if a["assetRole"] != "TEST_DATA"
    ]
    credit.center.patch_deployable_model(snapshot.id, {"deployableModelAssets": [*assets, good]})
    scenario.ticket(kind="test_review").moves_to("Done")

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "run_test",
        "open_test_review",
        "wait_test_review",
        "reload_snapshot",
        "run_test",
        "parse_results",
        "deployed",
    )
    assert credit.manager.variables(instance.id)["JOB"]["jobStatus"] == "COMPLETE"


def test_test_review_rejected_ends_the_instance(credit: Credit) -> None:
    """A rejected test review ends the instance without deploying."""
    credit.replace_asset(csv_asset("test.csv", AssetRole.TEST_DATA, drop="default"))
    scenario = credit.scenario()
    scenario.ticket(kind="test_review").moves_to("Rejected")
    credit.snapshot("run_test")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("rejected_test").has_not_passed("deploy")
    assert credit.center.find_deployed_models(stored_model_id=credit.model.id) == []


def test_missing_test_data_opens_a_rejection_ticket(make_credit: Callable[..., Credit]) -> None:
    """A snapshot tagged run_test without TEST_DATA is rejected with a ticket saying so."""
    credit = make_credit(assets=(csv_asset("train.csv", AssetRole.TRAINING_DATA), dmn_asset()))
    scenario = credit.scenario()
    snapshot = credit.snapshot("run_test")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "reject_no_test_data", "rejected_no_test_data"
    ).has_not_passed("run_test", "deploy")
    ticket = credit.manager.tickets.local.get("MLC-1")
    assert ticket.summary
    description = credit.manager.tickets.local.description("MLC-1")  # type: ignore[attr-defined]
    assert f"Snapshot {snapshot.id} is tagged run_test but has no TEST_DATA asset" in description


def test_failed_training_opens_a_rejection_ticket(credit: Credit) -> None:
    """A training job in ERROR (no label column) is rejected; nothing is tested."""
    credit.replace_asset(csv_asset("train.csv", AssetRole.TRAINING_DATA, drop="default"))
    scenario = credit.scenario()
    credit.snapshot("train", "run_test")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "wait_training", "reject_training", "rejected_training"
    ).has_not_passed("run_test")
    assert tickets(credit) == [("job_failure", "To Do")]


@ON_BOTH_CENTERS
def test_criteria_not_met_on_drifted_data(credit: Credit) -> None:
    """The model's DMN fails drifted test results: a ticket lists the failing rules."""
    credit.replace_asset(csv_asset("test_drifted.csv", AssetRole.TEST_DATA))
    scenario = credit.scenario()
    credit.snapshot("train", "run_test", "jira")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "judge_results", "reject_criteria", "rejected_criteria"
    ).has_not_passed("open_review", "deploy").has_variables(TEST_RESULT=False)
    message = credit.manager.variables(instance.id)["TEST_RESULT_MESSAGE"]
    assert "AUC below 0.70" in message
    assert "Data drift detected" in message
    assert tickets(credit) == [("test_review", "To Do")]
    assert "AUC below 0.70" in credit.manager.tickets.local.description("MLC-1")  # type: ignore[attr-defined]


@ON_BOTH_CENTERS
def test_review_rejected_opens_a_rejection_ticket(credit: Credit) -> None:
    """A rejected review deploys nothing and says so in a new ticket."""
    scenario = credit.scenario()
    scenario.ticket(kind="model_review").moves_to("Rejected")
    credit.snapshot("jira")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "open_review", "reject_review", "rejected_review"
    ).has_not_passed("judge_results", "deploy").has_variables(TICKET_STATUS="Rejected")
    assert tickets(credit) == [("model_review", "Rejected"), ("notification", "To Do")]


def test_no_matching_runtime_opens_a_rejection_ticket(make_credit: Callable[..., Credit]) -> None:
    """Runtimes for another service tag do not match: rejected, nothing deployed."""
    credit = make_credit(runtime_tags=("fraud",))
    scenario = credit.scenario()
    credit.snapshot()
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "find_runtime", "reject_no_runtime", "rejected_no_runtime"
    ).has_variables(RUNTIMES=[])


@pytest.mark.parametrize(
    ("model_type", "group"),
    [("PYTHON3", "python_approvers"), ("R", "r_approvers"), ("SAS", "other_approvers")],
)
def test_tagged_review_waits_for_the_model_types_approvers(
    make_credit: Callable[..., Credit], model_type: str, group: str
) -> None:
    """Tagged review: a user task for the type's group; the README's loop approves it."""
    credit = make_credit(model_type=model_type)
    scenario = credit.scenario()
    credit.snapshot("review")
    scenario.follow(credit.started(KEY))
    scenario.run(until=f"review_{group.split('_', maxsplit=1)[0]}")
    manager = credit.manager
    assert [t.candidate_groups for t in manager.tasks()] == [(group,)]
    for task in manager.tasks(candidate_group=group):
        assert [f.id for f in task.form_fields] == ["reviewResult", "reviewMessage"]
        manager.complete_task(task.id, {"reviewResult": "APPROVED"})

    instance = scenario.run()

    # Approved, the snapshot goes on to deployment (the test runtimes run Python models only).
    assert_that(instance).is_completed().has_passed_in_order(
        "gw_reviewer", f"review_{group.split('_', maxsplit=1)[0]}", "gw_user_review", "find_runtime"
    ).has_not_passed("open_review", "reject_user_review").has_variables(reviewResult="APPROVED")


def test_a_review_needs_a_decision_from_the_form(credit: Credit) -> None:
    """The form's reviewResult is required and must be APPROVED or REJECTED."""
    scenario = credit.scenario()
    credit.snapshot("review")
    scenario.follow(credit.started(KEY))
    scenario.run(until="review_python")
    (task,) = credit.manager.tasks(candidate_group="python_approvers")
    with pytest.raises(MlcError, match="reviewResult"):
        credit.manager.complete_task(task.id, {"reviewResult": "MAYBE"})
    with pytest.raises(MlcError, match="reviewResult"):
        credit.manager.complete_task(task.id, {"reviewMessage": "looks fine"})
    assert credit.manager.tasks(candidate_group="python_approvers") == [task]


def test_a_tested_snapshot_rejected_in_the_task_list(credit: Credit) -> None:
    """Tested and judged, then rejected by a reviewer: a ticket with their message."""
    scenario = credit.scenario()
    scenario.at("review_python").complete(
        {"reviewResult": "REJECTED", "reviewMessage": "Needs a bias review first"}
    )
    credit.snapshot("train", "run_test", "review")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "judge_results", "review_python", "reject_user_review", "rejected_user_review"
    ).has_not_passed("deploy")
    assert tickets(credit) == [("notification", "To Do")]
    text = credit.manager.tickets.local.description("MLC-1")  # type: ignore[attr-defined]
    assert "was rejected in review: Needs a bias review first" in text


def test_productionization_snapshots_are_left_to_that_process(credit: Credit) -> None:
    """A snapshot tagged productionization ends at once: that process carries it."""
    scenario = credit.scenario()
    credit.snapshot("productionization")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("left_to_productionization").has_not_passed(
        "deploy"
    )


def test_challenger_snapshots_are_left_to_the_refresh_process(credit: Credit) -> None:
    """A snapshot tagged challenger ends at once."""
    scenario = credit.scenario()
    credit.snapshot("challenger", "train")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("left_to_refresh").has_not_passed("train")


def test_an_unexpected_failure_opens_an_error_ticket(credit: Credit) -> None:
    """A FAILURE nobody routes (the model's DMN is broken) ends in the error sub-process."""
    broken = dmn_asset()
    broken = broken.model_copy(update={"file_content": "<definitions>not a decision</definitions>"})
    credit.replace_asset(broken)
    scenario = credit.scenario()
    credit.snapshot("run_test", "jira")
    scenario.follow(credit.started(KEY))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "failure_caught", "open_error_ticket", "failed"
    ).has_not_passed("deploy")
    message = credit.manager.variables(instance.id)["ERROR_MESSAGE"]
    assert "the model's DMN cannot be used" in message
    assert message in credit.manager.tickets.local.description("MLC-1")  # type: ignore[attr-defined]


def test_with_jira_configured_the_review_happens_in_jira(
    credit: Credit, mlc_fake_jira: FakeJira
) -> None:
    """The same diagram against (fake) Jira: a webhook wakes the instance after the approval."""
    credit.manager.tickets.jira = JiraTickets(
        JiraConfig(
            url=mlc_fake_jira.url,
            project="MLC",
            username="svc@example.com",
            api_token=SecretStr("jira-token-for-the-process-test"),
        )
    )
    scenario = credit.scenario()
    credit.snapshot("jira")
    instance = credit.started(KEY)
    scenario.follow(instance)
    waiting = scenario.run(until="wait_review")
    key = credit.manager.variables(waiting.id)["NEW_NOTIFICATION"]["key"]
    assert mlc_fake_jira.issues[key]["fields"]["issuetype"]["name"]
    assert credit.manager.tickets.local.list() == []  # type: ignore[attr-defined]

    mlc_fake_jira.set_field(key, "Expiration Date", "2027-06-30")
    mlc_fake_jira.transition(key, "Done")
    assert credit.manager.handle_jira_webhook(mlc_fake_jira.webhook_payload(key)) == 1
    credit.manager.run_due()

    assert_that(instance).is_completed().has_passed("deploy").has_variables(TICKET_STATUS="Done")
    deployed = credit.manager.variables(instance.id)["DEPLOYED_MODEL"]
    assert deployed["expirationDate"].startswith("2027-06-30")
