"""The productionization process and the approval it calls (imported by build_diagrams.py).

Model productionization is the first scenario of ModelOp's MLC overview: deploy a new snapshot
to a QA runtime, test it there, scan it, get the approvals, then promote the same snapshot to
production. Approvals are user tasks in a called process, `approval_with_escalation`, so each
one has the same due date, escalation and timeout; who approves comes from a DMN table.
"""

from __future__ import annotations

from bpmn_builder import Process, document
from diagram_parts import FAILURE, REVIEW_FORM, SIGNAL, error_handler, has_tag, ticket

TIMED_OUT = {"Error_APPROVAL_TIMED_OUT": "APPROVAL_TIMED_OUT"}
DUE = "${dateTime().plusDays(DUE_DAYS)}"
SNAPSHOT = "snapshot ${DEPLOYABLE_MODEL.id} of ${DEPLOYABLE_MODEL.storedModel.modelMetaData.name}"
QA_STAGE = "UAT"
APPROVED = "${reviewResult == 'APPROVED'}"


def approval_with_escalation() -> str:
    """A user task for a group with a due date; overdue → a manager group; overdue → error."""
    p = Process("approval_with_escalation", "Approval with escalation")
    p.main_end = "decided"
    p.documentation = (
        "Called with APPROVER_GROUP, ESCALATION_GROUP, DUE_DAYS, APPROVAL_SUBJECT and MODEL_ID. "
        "A person in APPROVER_GROUP approves or rejects (reviewResult, reviewMessage) within "
        "DUE_DAYS days; after that the task moves to ESCALATION_GROUP, with a notification, "
        "for another DUE_DAYS days; after that the error APPROVAL_TIMED_OUT ends the call."
    )
    p.start("requested", "Approval requested")
    p.user("approve", "Approve", groups="${APPROVER_GROUP}", fields=REVIEW_FORM, due=DUE)
    p.boundary_timer("overdue", "approve", date=DUE, name="Due date passed")
    p.service(
        "notify_escalated",
        "Notify: approval escalated",
        "CreateModelApprovalNotification",
        inputs={
            "MESSAGE": "${APPROVAL_SUBJECT}: nobody in ${APPROVER_GROUP} decided within "
            "${DUE_DAYS} days; escalated to ${ESCALATION_GROUP}",
            "SEVERITY": "WARNING",
        },
    )
    p.user(
        "approve_escalated",
        "Approve (escalated)",
        groups="${ESCALATION_GROUP}",
        fields=REVIEW_FORM,
        due=DUE,
    )
    p.boundary_timer("escalation_overdue", "approve_escalated", date=DUE, name="Due date passed")
    p.end("timed_out", "Timed out", error="Error_APPROVAL_TIMED_OUT")
    p.xor("join_decided", None)
    p.end("decided", "Decided")
    p.chain("requested", "approve", "join_decided", "decided")
    p.chain("overdue", "notify_escalated", "approve_escalated", "join_decided")
    p.chain("escalation_overdue", "timed_out")
    return document([p], errors=TIMED_OUT, definitions_id="Definitions_approval_with_escalation")


def _approval(p: Process, node_id: str, name: str, group: str, subject: str) -> str:
    """A call of `approval_with_escalation` for `group` (a JUEL expression)."""
    return p.call(
        node_id,
        name,
        "approval_with_escalation",
        ins={
            "APPROVER_GROUP": group,
            "ESCALATION_GROUP": "${APPROVERS.escalationGroup}",
            "DUE_DAYS": "${APPROVERS.dueDays}",
            "APPROVAL_SUBJECT": subject,
            "MODEL_ID": "${DEPLOYABLE_MODEL.id}",
        },
        outs={"reviewResult": "reviewResult", "reviewMessage": "reviewMessage"},
    )


def _timed_out(p: Process, prefix: str, call: str, what: str, group: str) -> None:
    """The error boundary on an approval call, a ticket saying who did not decide, an end."""
    p.boundary_error(f"{prefix}_timed_out", call, "Error_APPROVAL_TIMED_OUT", "Timed out")
    ticket(
        p,
        f"{prefix}_timeout_ticket",
        f"Open ticket: {what} timed out",
        "CreateJiraSimpleNotification",
        f"The {what} of {SNAPSHOT} timed out: nobody in {group} decided within "
        "${APPROVERS.dueDays} days, nor in ${APPROVERS.escalationGroup} after escalation",
    )
    p.end(f"ended_{prefix}_timed_out", "Timed out")
    p.chain(f"{prefix}_timed_out", f"{prefix}_timeout_ticket", f"ended_{prefix}_timed_out")


def _rejected(p: Process, gateway: str, node_id: str, what: str, on_approval: str) -> None:
    """After an approval: APPROVED goes on, anything else opens a rejection ticket."""
    p.xor(gateway, f"{what.capitalize()} approved?")
    ticket(
        p,
        node_id,
        f"Open ticket: {what} rejected",
        "CreateJiraSimpleNotification",
        f"{SNAPSHOT} was rejected in the {what}: ${{reviewMessage}}",
    )
    p.end(f"ended_{node_id}", "Rejected")
    p.flow(gateway, on_approval, name="APPROVED", condition=APPROVED)
    p.flow(gateway, node_id, name="no", default=True)
    p.chain(node_id, f"ended_{node_id}")


def _failure(
    p: Process, node_id: str, name: str, delegate: str, message: str, end: str
) -> tuple[str, str]:
    """A ticket with the reason and the end after it; returns (ticket, end) ids."""
    ticket(p, node_id, name, delegate, message)
    p.end(end, "Failed")
    p.chain(node_id, end)
    return node_id, end


def productionization() -> str:
    """QA deploy, test on QA, security scan, approvals, promotion to PROD."""
    p = Process("productionization", "Model productionization")
    p.main_end = "promoted"
    p.properties = {"mlc.appliesTo.tags": "productionization"}
    p.documentation = (
        "Starts when a snapshot tagged 'productionization' is created. Deploys it to a QA "
        f"runtime ({QA_STAGE} stage, matching its service tag), runs the metrics job there and "
        "judges the results with the model's DMN (results nobody could judge go to a person), "
        "scans the source and requirements and judges the findings with the "
        "'Security scan policy' DMN, asks the approvers the 'Productionization approvers' DMN "
        "names (a second approval for high-risk models), then deploys the same snapshot to "
        "the PROD runtime, undeploys it from QA, copies schedules, sets the expiration date "
        "and notifies. Every failure ends in a ticket with the reason."
    )
    p.start("snapshot_created", "Snapshot created", signal="Signal_model_changed")
    p.business_rule(
        "choose_approvers",
        "Choose approvers",
        "productionization_approvers",
        result="APPROVERS",
    )

    # QA deployment
    p.service(
        "find_qa_runtime",
        "Find a QA runtime",
        "GetCompatibleEngine",
        inputs={"MODEL_STAGE": QA_STAGE},
    )
    p.xor("gw_qa_runtime", "QA runtime?")
    _failure(
        p,
        "no_qa_runtime",
        "Open ticket: no QA runtime",
        "CreateJiraSimpleNotification",
        f"No {QA_STAGE} runtime matches the service tags and type of {SNAPSHOT}",
        "ended_no_qa_runtime",
    )
    p.service(
        "deploy_qa",
        "Deploy to QA",
        "DeployModel",
        inputs={"RUNTIME": "${RUNTIMES[0]}"},
        outputs={"QA_DEPLOYED_MODEL": "${DEPLOYED_MODEL}"},
    )
    p.boundary_error("deploy_qa_failed", "deploy_qa", name="Deployment failed")
    _failure(
        p,
        "qa_deploy_failed",
        "Open ticket: QA deployment failed",
        "CreateJiraSimpleNotification",
        f"Deploying {SNAPSHOT} to QA failed: ${{ERROR_MESSAGE}}",
        "ended_qa_deploy_failed",
    )
    p.chain("snapshot_created", "choose_approvers", "find_qa_runtime", "gw_qa_runtime")
    p.flow("gw_qa_runtime", "deploy_qa", name="yes", condition="${RUNTIMES.size() > 0}")
    p.flow("gw_qa_runtime", "no_qa_runtime", name="no", default=True)
    p.chain("deploy_qa_failed", "qa_deploy_failed")

    # Testing on QA
    p.service(
        "run_qa_test",
        "Run metrics job on QA",
        "CreateModelBatchJob",
        inputs={"JOB_TYPE": "MODEL_BATCH_TEST_JOB", "RUNTIME": "${QA_DEPLOYED_MODEL.runtime}"},
    )
    p.boundary_error("qa_test_not_started", "run_qa_test", name="Job not created")
    _failure(
        p,
        "qa_test_not_started_ticket",
        "Open ticket: metrics job not created",
        "CreateJiraJobNotification",
        f"The metrics job of {SNAPSHOT} on QA could not be created: ${{ERROR_MESSAGE}}",
        "ended_qa_test_not_started",
    )
    p.service("wait_qa_test", "Wait for metrics job", "WaitForJob")
    p.xor("gw_qa_test", "Job succeeded?")
    _failure(
        p,
        "qa_test_failed",
        "Open ticket: metrics job failed",
        "CreateJiraJobNotification",
        "Metrics job ${JOB.id} of " + SNAPSHOT + " on QA runtime "
        "${QA_DEPLOYED_MODEL.runtime.name} ended ${JOB.jobStatus}: ${JOB.message}",
        "ended_qa_test_failed",
    )
    p.service("parse_results", "Parse test results", "ParseModelTestResultFromBatchJob")
    p.service("save_results", "Save test results", "CreateModelTestResult")
    p.service("judge_results", "Judge results with the model's DMN", "ModelTestResultEval")
    p.xor("gw_judged", "Results judged?")
    _failure(
        p,
        "criteria_failed",
        "Open ticket: criteria not met",
        "CreateJiraTestReview",
        f"The QA test results of {SNAPSHOT} fail the model's criteria: ${{TEST_RESULT_MESSAGE}}",
        "ended_criteria_failed",
    )
    _approval(
        p,
        "review_results",
        "Review the unjudged test results",
        "${APPROVERS.reviewers}",
        f"Test results of {SNAPSHOT} on QA (the model has no DMN to judge them)",
    )
    _timed_out(
        p, "results_review", "review_results", "test results review", "${APPROVERS.reviewers}"
    )
    p.xor("join_tested", None)
    _rejected(p, "gw_results_reviewed", "results_rejected", "test results review", "join_tested")
    p.chain("deploy_qa", "run_qa_test", "wait_qa_test", "gw_qa_test")
    p.chain("qa_test_not_started", "qa_test_not_started_ticket")
    p.flow("gw_qa_test", "parse_results", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}")
    p.flow("gw_qa_test", "qa_test_failed", name="no", default=True)
    p.chain("parse_results", "save_results", "judge_results", "gw_judged")
    p.flow(
        "gw_judged",
        "join_tested",
        name="passed",
        condition="${TEST_RESULT_JUDGED && TEST_RESULT}",
    )
    p.flow("gw_judged", "review_results", name="not judged", condition="${!TEST_RESULT_JUDGED}")
    p.flow("gw_judged", "criteria_failed", name="failed", default=True)
    p.chain("review_results", "gw_results_reviewed")

    # Security scan
    p.service("security_scan", "Run security scan", "RunSecurityScan")
    p.boundary_error("scan_not_run", "security_scan", name="Scan failed")
    _failure(
        p,
        "scan_error",
        "Open ticket: security scan failed to run",
        "CreateJiraSimpleNotification",
        f"The security scan of {SNAPSHOT} could not run: ${{ERROR_MESSAGE}}",
        "ended_scan_error",
    )
    p.business_rule(
        "judge_scan",
        "Judge findings with the security policy",
        "productionization_security_policy",
        result="SCAN_VERDICT",
    )
    p.xor("gw_scan", "Within policy?")
    _failure(
        p,
        "scan_rejected",
        "Open ticket: security policy not met",
        "CreateJiraModelNotification",
        f"The security scan of {SNAPSHOT} fails the policy: ${{SCAN_VERDICT.reason}} "
        "(HIGH ${SECURITY_SCAN.high}, MEDIUM ${SECURITY_SCAN.medium}, known vulnerabilities "
        "${SECURITY_SCAN.vulnerabilities}, not scanned ${SECURITY_SCAN.not_scanned})",
        "ended_scan_rejected",
    )
    p.chain("join_tested", "security_scan", "judge_scan", "gw_scan")
    p.chain("scan_not_run", "scan_error")
    p.flow("gw_scan", "gw_mirror", name="yes", condition="${SCAN_VERDICT.passes}")
    p.flow("gw_scan", "scan_rejected", name="no", default=True)

    # Approvals, optionally mirrored in a ticket
    summary = (
        f"Approve {SNAPSHOT} for production. Tested on QA runtime "
        "${QA_DEPLOYED_MODEL.runtime.name} (deployment ${QA_DEPLOYED_MODEL.id}): "
        "${TEST_RESULT_MESSAGE}. Security scan: ${SCAN_VERDICT.reason} (HIGH "
        "${SECURITY_SCAN.high}, MEDIUM ${SECURITY_SCAN.medium}, LOW ${SECURITY_SCAN.low}, "
        "known vulnerabilities ${SECURITY_SCAN.vulnerabilities}, not scanned "
        "${SECURITY_SCAN.not_scanned}). Approvers: ${APPROVERS.reviewers}"
    )
    p.xor("gw_mirror", "Mirror in a ticket?")
    ticket(p, "mirror_jira", "Open Jira approval ticket", "CreateJiraModelApproval", summary)
    ticket(
        p,
        "mirror_servicenow",
        "Open ServiceNow approval ticket",
        "CreateServiceNowModelApproval",
        summary,
    )
    p.xor("join_mirror", None)
    p.flow("gw_mirror", "mirror_jira", name="jira", condition=has_tag("jira"))
    p.flow("gw_mirror", "mirror_servicenow", name="servicenow", condition=has_tag("servicenow"))
    p.flow("gw_mirror", "join_mirror", name="no", default=True)
    p.chain("mirror_jira", "join_mirror")
    p.chain("mirror_servicenow", "join_mirror")
    _approval(p, "risk_review", "Risk review", "${APPROVERS.reviewers}", summary)
    _timed_out(p, "risk_review", "risk_review", "risk review", "${APPROVERS.reviewers}")
    p.xor("gw_second", "Second approval needed?")
    _rejected(p, "gw_risk_approved", "risk_rejected", "risk review", "gw_second")
    _approval(
        p,
        "second_approval",
        "Second approval (high risk)",
        "${APPROVERS.secondApprovers}",
        summary,
    )
    _timed_out(
        p, "second_approval", "second_approval", "second approval", "${APPROVERS.secondApprovers}"
    )
    p.xor("join_approved", None)
    _rejected(p, "gw_second_approved", "second_rejected", "second approval", "join_approved")
    p.chain("join_mirror", "risk_review", "gw_risk_approved")
    p.flow(
        "gw_second",
        "second_approval",
        name="high risk",
        condition="${APPROVERS.secondApprovers != null}",
    )
    p.flow("gw_second", "join_approved", name="no", default=True)
    p.chain("second_approval", "gw_second_approved")

    # Promotion
    p.service(
        "find_prod_runtime",
        "Find the PROD runtime",
        "GetCompatibleEngine",
        inputs={"MODEL_STAGE": "PROD"},
    )
    p.xor("gw_prod_runtime", "PROD runtime?")
    _failure(
        p,
        "no_prod_runtime",
        "Open ticket: no PROD runtime",
        "CreateJiraSimpleNotification",
        f"{SNAPSHOT} was approved, but no PROD runtime matches its service tags and type",
        "ended_no_prod_runtime",
    )
    p.service("deploy_prod", "Deploy to PROD", "DeployModel", inputs={"RUNTIME": "${RUNTIMES[0]}"})
    p.boundary_error("deploy_prod_failed", "deploy_prod", name="Deployment failed")
    _failure(
        p,
        "prod_deploy_failed",
        "Open ticket: PROD deployment failed",
        "CreateJiraSimpleNotification",
        f"Deploying the approved {SNAPSHOT} to PROD failed: ${{ERROR_MESSAGE}}",
        "ended_prod_deploy_failed",
    )
    p.service(
        "undeploy_qa",
        "Undeploy from QA",
        "PatchDeployedModel",
        inputs={"DEPLOYED_MODEL": "${QA_DEPLOYED_MODEL}", "PATCH": {"deployedState": "UNDEPLOYED"}},
        outputs={"QA_DEPLOYED_MODEL": "${DEPLOYED_MODEL}"},
    )
    p.service(
        "copy_schedules", "Copy schedules of the previous deployment", "AddDeployedModelSchedules"
    )
    p.service("set_expiration", "Set expiration date", "SetDeployedModelExpiration")
    p.service(
        "notify_promoted",
        "Notify: promoted to PROD",
        "CreateModelNotification",
        inputs={
            "MESSAGE": f"{SNAPSHOT} promoted to PROD runtime ${{DEPLOYED_MODEL.runtime.name}} "
            "(${DEPLOYED_MODEL.deploymentType}) after QA on ${QA_DEPLOYED_MODEL.runtime.name}, "
            "the security scan and approval by ${APPROVERS.reviewers}"
        },
    )
    p.end("promoted", "Promoted")
    p.chain("join_approved", "find_prod_runtime", "gw_prod_runtime")
    p.flow("gw_prod_runtime", "deploy_prod", name="yes", condition="${RUNTIMES.size() > 0}")
    p.flow("gw_prod_runtime", "no_prod_runtime", name="no", default=True)
    p.chain("deploy_prod_failed", "prod_deploy_failed")
    p.chain(
        "deploy_prod",
        "undeploy_qa",
        "copy_schedules",
        "set_expiration",
        "notify_promoted",
        "promoted",
    )
    error_handler(p, "CreateJiraSimpleNotification", system="Jira")
    return document(
        [p],
        signals={"Signal_model_changed": SIGNAL + "deployable_model_changed"},
        errors={**FAILURE, **TIMED_OUT},
        definitions_id="Definitions_productionization",
    )
