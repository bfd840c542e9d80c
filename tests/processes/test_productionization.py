"""Model productionization, path by path: QA deployment, tests, scan, approvals, PROD."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from credit_support import EXAMPLE, TAG, Credit, csv_asset, dmn_asset
from modelop_mlc import ManagerConfig, diagrams
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.testing import assert_that
from modelop_mlc.testing.fakes import FakeOsv

KEY = "productionization"
APPROVE = {"reviewResult": "APPROVED", "reviewMessage": "Within policy"}
REJECT = {"reviewResult": "REJECTED", "reviewMessage": "Bias analysis missing"}
# Bandit rates shell=True HIGH; the model still scores, so only the scan objects.
RISKY = (
    "\nimport subprocess\n\ndef housekeeping(cmd):\n    return subprocess.call(cmd, shell=True)\n"
)


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy(*diagrams.files(KEY))


@pytest.fixture(name="prod_credit")
def _prod_credit(make_credit: Callable[..., Credit]) -> Callable[..., Credit]:
    """The credit model with a batch QA runtime (UAT) beside the DEV and PROD ones."""

    def make(*, qa: bool = True, risk: str | None = None, **options: Any) -> Credit:
        credit = make_credit(custom={"riskTier": risk} if risk else None, **options)
        if qa:
            credit.center.register_runtime("batch-qa", tags=[TAG], stage="UAT")
        return credit

    return make


def requirements(text: str) -> Asset:
    """A requirements asset (ModelOp attaches one as REQUIRED_LIBRARIES)."""
    return Asset(name="requirements.txt", filename="requirements.txt", file_content=text)


@pytest.fixture(name="credit")
def _credit(prod_credit: Callable[..., Credit]) -> Credit:
    return prod_credit()


def deployments(credit: Credit) -> list[tuple[str, str]]:
    """(runtime, state) of the model's deployments, sorted."""
    found = credit.center.find_deployed_models(stored_model_id=credit.model.id)
    return sorted((d.runtime.name, d.deployed_state) for d in found)


def tickets(credit: Credit) -> list[tuple[str, str]]:
    """(kind, description) of the local board's tickets."""
    board = credit.manager.tickets.local
    return [(t.kind, board.description(t.key)) for t in board.list()]  # type: ignore[attr-defined]


def notifications(credit: Credit) -> list[str]:
    """The messages of the center's notifications."""
    return [n.message for n in credit.center.notifications()]


def start(credit: Credit, *tags: str, trained: bool = True) -> Any:
    """A trained snapshot tagged `productionization` (and `tags`); a scenario following it.

    The snapshot starts the process; its first job runs only when the scenario runs, after
    the training job here has put the trained model on the snapshot. Paths that end before
    the metrics job judges anything skip the training (`trained=False`).
    """
    scenario = credit.scenario()
    make = credit.trained_snapshot if trained else credit.snapshot
    snapshot = make("productionization", *tags)
    scenario.follow(credit.started(KEY, snapshot))
    return scenario


def test_approved_and_promoted_from_qa_to_prod(credit: Credit) -> None:
    """The full path: QA deployed, tested, scanned, approved; PROD deployed, QA undeployed."""
    previous = credit.deploy_directly("online-prod", schedules=[{"cronExpression": "0 0 6 * * ?"}])
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "choose_approvers",
        "find_qa_runtime",
        "deploy_qa",
        "run_qa_test",
        "wait_qa_test",
        "parse_results",
        "save_results",
        "judge_results",
        "security_scan",
        "judge_scan",
        "risk_review",
        "find_prod_runtime",
        "deploy_prod",
        "undeploy_qa",
        "copy_schedules",
        "set_expiration",
        "notify_promoted",
        "promoted",
    ).has_not_passed("review_results", "second_approval", "mirror_jira").has_variables(
        TEST_RESULT=True, reviewResult="APPROVED"
    )
    variables = credit.manager.variables(instance.id)
    assert variables["QA_DEPLOYED_MODEL"]["runtime"]["name"] == "batch-qa"
    assert variables["QA_DEPLOYED_MODEL"]["deploymentType"] == "BATCH"
    assert variables["QA_DEPLOYED_MODEL"]["deployedState"] == "UNDEPLOYED"
    deployed = variables["DEPLOYED_MODEL"]
    assert (deployed["runtime"]["name"], deployed["deploymentType"]) == ("online-prod", "ONLINE")
    assert (
        deployed["deployableModel"]["id"] == variables["QA_DEPLOYED_MODEL"]["deployableModel"]["id"]
    )
    assert [s["cronExpression"] for s in deployed["schedules"]] == ["0 0 6 * * ?"]
    assert deployed["expirationDate"].startswith("2027-01-01")
    assert variables["SCAN_VERDICT"]["passes"] is True
    assert variables["APPROVERS"]["reviewers"] == "python_approvers"
    assert deployments(credit) == [
        ("batch-qa", "UNDEPLOYED"),
        ("online-prod", "DEPLOYED"),
        ("online-prod", "UNDEPLOYED"),
    ]
    assert credit.center.get_deployed_model(previous.id).deployed_state == "UNDEPLOYED"
    assert tickets(credit) == []
    assert any("promoted to PROD runtime online-prod" in n for n in notifications(credit))


def test_the_risk_review_is_a_task_for_the_model_types_group(credit: Credit) -> None:
    """The review waits in python_approvers' task list with a due date and ModelOp's form."""
    scenario = start(credit)
    waiting = scenario.run(until="approve")
    (task,) = credit.manager.tasks(candidate_group="python_approvers")
    assert task.instance_id == waiting.id
    assert [f.id for f in task.form_fields] == ["reviewResult", "reviewMessage"]
    assert task.due is not None
    assert task.due - credit.harness.now() == timedelta(days=5)
    assert credit.manager.tasks(candidate_group="model_risk_committee") == []


def test_a_high_risk_model_needs_a_second_approval(prod_credit: Callable[..., Credit]) -> None:
    """riskTier HIGH: python_approvers, then model_risk_committee approve before PROD."""
    credit = prod_credit(risk="HIGH")
    scenario = start(credit)
    manager = credit.manager
    for group in ("python_approvers", "model_risk_committee"):
        scenario.run(until="approve")
        (task,) = manager.tasks()
        assert task.candidate_groups == (group,)
        manager.complete_task(task.id, APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "risk_review", "second_approval", "deploy_prod", "promoted"
    )
    assert deployments(credit) == [("batch-qa", "UNDEPLOYED"), ("online-prod", "DEPLOYED")]


def test_the_second_approver_can_reject(prod_credit: Callable[..., Credit]) -> None:
    """A high-risk model approved by the reviewers but rejected by the committee stays in QA."""
    credit = prod_credit(risk="HIGH")
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE).complete(REJECT)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "second_approval", "second_rejected", "ended_second_rejected"
    ).has_not_passed("deploy_prod")
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]
    ((_, text),) = tickets(credit)
    assert "rejected in the second approval: Bias analysis missing" in text


def test_a_rejected_risk_review_opens_a_ticket(credit: Credit) -> None:
    """Rejected by the reviewers: a ticket with their comment; nothing reaches PROD."""
    scenario = start(credit)
    scenario.at("approve").complete(REJECT)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "risk_rejected", "ended_risk_rejected"
    ).has_not_passed("second_approval", "deploy_prod").has_variables(reviewResult="REJECTED")
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]
    ((_, text),) = tickets(credit)
    assert "was rejected in the risk review: Bias analysis missing" in text


def test_an_overdue_review_is_escalated_to_the_managers(credit: Credit) -> None:
    """Five days without a decision: a notification, and approval_managers decide."""
    scenario = start(credit)
    scenario.at("approve").complete_after(timedelta(days=6), APPROVE)
    scenario.at("approve_escalated").complete_after(timedelta(days=1), APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order("risk_review", "deploy_prod")
    # The review is an instance of the called process, as in Camunda 7.
    (review,) = credit.manager.instances(super_instance_id=instance.id)
    assert_that(review).is_completed().has_passed_in_order(
        "overdue", "notify_escalated", "approve_escalated"
    )
    assert any(
        "nobody in python_approvers decided within 5 days; escalated to approval_managers" in n
        for n in notifications(credit)
    )
    assert deployments(credit) == [("batch-qa", "UNDEPLOYED"), ("online-prod", "DEPLOYED")]


def test_an_approval_nobody_decides_times_out_with_a_ticket(credit: Credit) -> None:
    """Neither the reviewers nor the managers decide: the approval times out with a ticket."""
    scenario = start(credit)
    scenario.at("approve").complete_after(timedelta(days=30), APPROVE)
    scenario.at("approve_escalated").complete_after(timedelta(days=30), APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "risk_review_timed_out", "risk_review_timeout_ticket", "ended_risk_review_timed_out"
    ).has_not_passed("deploy_prod")
    # The called review threw the error its caller caught: it ends as cancelled (Camunda 7).
    (review,) = credit.manager.instances(super_instance_id=instance.id)
    assert review.status == "cancelled"
    assert_that(review).has_passed("escalation_overdue", "timed_out")
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]
    ((_, text),) = tickets(credit)
    assert "risk review of snapshot" in text
    assert "nobody in python_approvers decided within 5 days" in text
    assert "approval_managers after escalation" in text


def test_a_second_approval_nobody_decides_times_out(prod_credit: Callable[..., Credit]) -> None:
    """High risk, the reviewers approve, the committee and the managers never decide."""
    credit = prod_credit(risk="HIGH")
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE).complete_after(timedelta(days=30), APPROVE)
    scenario.at("approve_escalated").complete_after(timedelta(days=30), APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "second_approval_timed_out", "second_approval_timeout_ticket"
    ).has_not_passed("deploy_prod")
    ((_, text),) = tickets(credit)
    assert "nobody in model_risk_committee decided within 5 days" in text


def test_no_qa_runtime_opens_a_ticket(prod_credit: Callable[..., Credit]) -> None:
    """Without a UAT runtime for the service tag, nothing is deployed and a ticket says why."""
    credit = prod_credit(qa=False)
    scenario = start(credit, trained=False)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "no_qa_runtime", "ended_no_qa_runtime"
    ).has_not_passed("deploy_qa")
    assert deployments(credit) == []
    ((_, text),) = tickets(credit)
    assert "No UAT runtime matches the service tags and type of snapshot" in text


def test_a_failed_metrics_job_opens_a_ticket(credit: Credit) -> None:
    """Test data without the label column: the job ends in ERROR and a ticket says why."""
    credit.replace_asset(csv_asset("test.csv", AssetRole.TEST_DATA, drop="default"))
    scenario = start(credit, trained=False)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "wait_qa_test", "qa_test_failed", "ended_qa_test_failed"
    ).has_not_passed("parse_results", "security_scan")
    assert credit.manager.variables(instance.id)["JOB"]["jobStatus"] == "ERROR"
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]
    ((kind, text),) = tickets(credit)
    assert kind == "job_failure"
    assert "on QA runtime batch-qa ended ERROR" in text


def test_no_test_data_means_no_metrics_job_and_a_ticket(
    prod_credit: Callable[..., Credit],
) -> None:
    """A snapshot without TEST_DATA cannot be tested on QA: a ticket names the missing asset."""
    credit = prod_credit(assets=(csv_asset("train.csv", AssetRole.TRAINING_DATA), dmn_asset()))
    scenario = start(credit, trained=False)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "qa_test_not_started", "qa_test_not_started_ticket", "ended_qa_test_not_started"
    )
    ((_, text),) = tickets(credit)
    assert "no TEST_DATA asset" in text


def test_results_failing_the_models_dmn_open_a_ticket(credit: Credit) -> None:
    """Drifted test data fails the model's DMN on QA: a test review ticket, no approval."""
    credit.replace_asset(csv_asset("test_drifted.csv", AssetRole.TEST_DATA))
    scenario = start(credit)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "judge_results", "criteria_failed", "ended_criteria_failed"
    ).has_not_passed("security_scan", "risk_review").has_variables(TEST_RESULT=False)
    ((kind, text),) = tickets(credit)
    assert kind == "test_review"
    assert "AUC below 0.70" in text


def test_unjudged_results_go_to_a_person_never_through(
    prod_credit: Callable[..., Credit],
) -> None:
    """Without a DMN the results are not judged: a reviewer looks before the scan."""
    credit = prod_credit(
        assets=(
            csv_asset("train.csv", AssetRole.TRAINING_DATA),
            csv_asset("test.csv", AssetRole.TEST_DATA),
        )
    )
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "judge_results", "review_results", "security_scan", "risk_review", "promoted"
    ).has_variables(TEST_RESULT_JUDGED=False)


def test_unjudged_results_rejected_by_the_reviewer(prod_credit: Callable[..., Credit]) -> None:
    """The reviewer of unjudged results rejects them: a ticket, and no scan."""
    credit = prod_credit(
        assets=(
            csv_asset("train.csv", AssetRole.TRAINING_DATA),
            csv_asset("test.csv", AssetRole.TEST_DATA),
        )
    )
    scenario = start(credit)
    scenario.at("approve").complete(REJECT)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "review_results", "results_rejected", "ended_results_rejected"
    ).has_not_passed("security_scan")
    ((_, text),) = tickets(credit)
    assert "rejected in the test results review: Bias analysis missing" in text


def test_an_unjudged_results_review_can_time_out(prod_credit: Callable[..., Credit]) -> None:
    """Nobody reviews the unjudged results, not even after escalation: a ticket, no scan."""
    credit = prod_credit(
        assets=(
            csv_asset("train.csv", AssetRole.TRAINING_DATA),
            csv_asset("test.csv", AssetRole.TEST_DATA),
        )
    )
    scenario = start(credit)
    scenario.at("approve").complete_after(timedelta(days=30), APPROVE)
    scenario.at("approve_escalated").complete_after(timedelta(days=30), APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "results_review_timed_out", "results_review_timeout_ticket"
    ).has_not_passed("security_scan")
    ((_, text),) = tickets(credit)
    assert "The test results review of snapshot" in text


def test_an_unrouted_failure_opens_an_error_ticket(credit: Credit) -> None:
    """A FAILURE no gateway expects (the model's DMN is broken) ends in the error sub-process."""
    broken = dmn_asset().model_copy(
        update={"file_content": "<definitions>no decision</definitions>"}
    )
    credit.replace_asset(broken)
    scenario = start(credit)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "failure_caught", "open_error_ticket", "failed"
    ).has_not_passed("security_scan")
    message = credit.manager.variables(instance.id)["ERROR_MESSAGE"]
    assert "the model's DMN cannot be used" in message
    ((_, text),) = tickets(credit)
    assert message in text


def test_a_high_severity_finding_fails_the_security_policy(credit: Credit) -> None:
    """shell=True in the model source is HIGH: the policy refuses it before any approval."""
    source = (EXAMPLE / "model.py").read_text() + RISKY
    credit.replace_asset(
        Asset(
            name="model source",
            filename="model.py",
            asset_role=AssetRole.MODEL_SOURCE,
            file_content=source,
        )
    )
    scenario = start(credit)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "security_scan", "judge_scan", "scan_rejected", "ended_scan_rejected"
    ).has_not_passed("risk_review")
    variables = credit.manager.variables(instance.id)
    assert variables["SCAN_VERDICT"] == {
        "passes": False,
        "reason": "HIGH severity findings in the model source",
    }
    ((_, text),) = tickets(credit)
    assert "fails the policy: HIGH severity findings in the model source (HIGH 1" in text
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]


def test_unscanned_requirements_pass_visibly(credit: Credit) -> None:
    """A requirements asset and no vulnerability data: the verdict says it was not scanned."""
    credit.replace_asset(requirements("pandas==2.2.3\nscikit-learn==1.5.2\n"))
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("promoted")
    variables = credit.manager.variables(instance.id)
    assert variables["SECURITY_SCAN"]["not_scanned"] == 2
    assert "not scanned for vulnerabilities" in variables["SCAN_VERDICT"]["reason"]


@pytest.fixture(name="osv")
def _osv() -> Iterator[FakeOsv]:
    with FakeOsv() as fake:
        fake.add(
            {
                "id": "PYSEC-2099-1",
                "summary": "Remote code execution when loading crafted files",
                "affected": [
                    {"package": {"name": "pandas", "ecosystem": "PyPI"}, "versions": ["2.2.3"]}
                ],
            }
        )
        yield fake


@pytest.fixture(name="mlc_manager_options")
def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "osv" not in request.fixturenames:
        return {}
    osv: FakeOsv = request.getfixturevalue("osv")
    return {
        "config": ManagerConfig(secrets={"VULNERABILITY_SERVICE_URL": SecretStr(osv.query_url)})
    }


def test_a_known_vulnerability_fails_the_security_policy(credit: Credit, osv: FakeOsv) -> None:
    """pip-audit finds a pinned requirement in the local OSV data: refused with a ticket."""
    credit.replace_asset(requirements("pandas==2.2.3\n"))
    scenario = start(credit)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("scan_rejected").has_not_passed("risk_review")
    ((_, text),) = tickets(credit)
    assert "Known vulnerabilities in the model's requirements" in text
    assert "known vulnerabilities 1" in text


def test_a_scan_that_cannot_run_opens_a_ticket(credit: Credit, osv: FakeOsv) -> None:
    """pip-audit cannot read a pin (no such version syntax): a ticket with its reason."""
    credit.replace_asset(requirements("pandas==2.2.3.final.x\n"))
    scenario = start(credit)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "scan_not_run", "scan_error", "ended_scan_error"
    ).has_not_passed("judge_scan", "risk_review")
    ((_, text),) = tickets(credit)
    assert "could not run: " in text
    assert "pip-audit failed on requirements.txt" in text


@pytest.mark.parametrize("system", ["jira", "servicenow"])
def test_the_approval_is_mirrored_in_a_ticket_with_the_evidence(
    credit: Credit, system: str
) -> None:
    """Tagged jira or servicenow: an approval ticket with the results, scan and QA deployment."""
    scenario = start(credit, system)
    scenario.at("approve").complete(APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        f"mirror_{system}", "risk_review", "promoted"
    )
    ((kind, text),) = tickets(credit)
    assert kind == "model_approval"
    assert "Tested on QA runtime batch-qa (deployment " in text
    assert "Security scan: Within policy" in text
    assert "auc" in text


def test_no_prod_runtime_opens_a_ticket_and_keeps_qa(
    prod_credit: Callable[..., Credit],
) -> None:
    """Approved, but no PROD runtime matches: a ticket; the QA deployment stays."""
    credit = prod_credit(runtime_tags=("fraud",))
    credit.center.register_runtime("batch-qa", tags=[TAG], stage="UAT")
    scenario = start(credit)
    scenario.at("approve").complete(APPROVE)

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("no_prod_runtime", "ended_no_prod_runtime")
    assert deployments(credit) == [("batch-qa", "DEPLOYED")]
