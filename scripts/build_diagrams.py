"""Write the shipped MLC processes into bpmn/ (run: `python scripts/build_diagrams.py`).

The .bpmn files are what ships and what tests run; this script is how they were first drawn,
kept so a change to several diagrams at once stays one edit. Conditions are JUEL, so the
files also run on Camunda 7 with ModelOp's delegates.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bpmn_builder import Process, document  # noqa: E402
from build_productionization import approval_with_escalation, productionization  # noqa: E402
from diagram_parts import (  # noqa: E402
    FAILURE,
    SIGNAL,
    error_handler,
    has_tag,
    is_set,
    ticket,
    user_review,
    wait_ticket,
)

OUT = Path(__file__).resolve().parents[1] / "bpmn"


def input_and_output_files(
    p: Process,
    *,
    find: tuple[str, str, dict[str, str]],
    check: tuple[str, str],
    missing: tuple[str, str, str, str],
    missing_end: tuple[str, str],
    output: tuple[str, str],
) -> None:
    """From `gw_input` to `join_output`: INPUT_FILE and OUTPUT_FILE from the start variables.

    Without INPUT_FILE an asset is looked up (`find`: id, name, GetFileAssets inputs), and
    without one either a ticket says so (`missing`: id, name, delegate, message). Without
    OUTPUT_FILE a new file asset is made (`output`: file name, asset role).
    """
    find_id, find_name, find_inputs = find
    check_id, check_name = check
    p.xor("gw_input", "Input file given?")
    p.service(
        find_id,
        find_name,
        "GetFileAssets",
        inputs=find_inputs,
        outputs={"INPUT_FILE": "${FILE_ASSET}"},
    )
    p.xor(check_id, check_name)
    ticket(p, *missing)
    p.end(*missing_end)
    p.xor("join_input", None)
    p.flow("gw_input", "join_input", name="yes", condition=is_set("INPUT_FILE"))
    p.flow("gw_input", find_id, name="no", default=True)
    p.chain(find_id, check_id)
    p.flow(check_id, "join_input", name="yes", condition="${INPUT_FILE != null}")
    p.flow(check_id, missing[0], name="no", default=True)
    p.chain(missing[0], missing_end[0])
    p.xor("gw_output", "Output file given?")
    p.service(
        "create_output",
        "Create output file",
        "CreateEmptyExternalFileAsset",
        inputs={"FILE_NAME": output[0], "ASSET_ROLE": output[1]},
        outputs={"OUTPUT_FILE": "${FILE_ASSET}"},
    )
    p.xor("join_output", None)
    p.chain("join_input", "gw_output")
    p.flow("gw_output", "join_output", name="yes", condition=is_set("OUTPUT_FILE"))
    p.flow("gw_output", "create_output", name="no", default=True)
    p.chain("create_output", "join_output")


# --------------------------------------------------------------------------- processes


def deploy_with_test_and_jira() -> str:
    """Deploy with run test and Jira: train, test, approve, deploy a new snapshot."""
    p = Process("deploy_with_test_and_jira", "Deploy with run test and Jira")
    p.main_end = "deployed"
    p.documentation = (
        "Starts when a snapshot (deployable model) is created. Trains it when tagged 'train', "
        "tests it when tagged 'run_test' (a failed test job opens a test review ticket and runs "
        "again when the ticket is Done), asks for a review when tagged 'jira' (a Jira ticket) "
        "or 'review' (a user task for the model type's approvers), after the model's DMN "
        "judges the test results, deploys it to a runtime matching its service tag and stage, "
        "copies the previous deployment's schedules and sets its expiration. Snapshots tagged "
        "'challenger' or 'productionization' are left to those processes."
    )
    p.start("snapshot_created", "Snapshot created", signal="Signal_model_changed")
    p.xor("gw_challenger", "Another process's snapshot?")
    p.end("left_to_refresh", "Left to Model refresh")
    p.end("left_to_productionization", "Left to productionization")
    p.flow("snapshot_created", "gw_challenger")
    p.flow("gw_challenger", "left_to_refresh", name="challenger", condition=has_tag("challenger"))
    p.flow(
        "gw_challenger",
        "left_to_productionization",
        name="productionization",
        condition=has_tag("productionization"),
    )

    # Training
    p.xor("gw_train", "Training requested?")
    p.flow("gw_challenger", "gw_train", name="no", default=True)
    p.service(
        "train",
        "Run training job",
        "CreateModelBatchJob",
        inputs={"JOB_TYPE": "MODEL_BATCH_TRAINING_JOB"},
    )
    p.service("wait_training", "Wait for training", "WaitForJob")
    p.xor("gw_trained", "Training succeeded?")
    ticket(
        p,
        "reject_training",
        "Open rejection ticket: training failed",
        "CreateJiraJobNotification",
        "Training job failed: ${JOB.message}",
    )
    p.end("rejected_training", "Rejected")
    p.xor("join_train", None)
    p.flow("gw_train", "train", name="yes", condition=has_tag("train"))
    p.flow("gw_train", "join_train", name="no", default=True)
    p.chain("train", "wait_training", "gw_trained")
    p.flow("gw_trained", "join_train", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}")
    p.flow("gw_trained", "reject_training", name="no", default=True)
    p.chain("reject_training", "rejected_training")

    # Testing
    p.xor("gw_test", "Run tests?")
    p.flow("join_train", "gw_test")
    p.service(
        "find_test_data", "Find test data", "GetFileAssets", inputs={"ASSET_ROLE": "TEST_DATA"}
    )
    p.xor("gw_test_data", "Test data?")
    ticket(
        p,
        "reject_no_test_data",
        "Open rejection ticket: no test data",
        "CreateJiraSimpleNotification",
        "Snapshot ${DEPLOYABLE_MODEL.id} is tagged run_test but has no TEST_DATA asset",
    )
    p.end("rejected_no_test_data", "Rejected")
    p.service(
        "run_test",
        "Run metrics job",
        "CreateModelBatchJob",
        inputs={"JOB_TYPE": "MODEL_BATCH_TEST_JOB", "INPUT_FILE": "${FILE_ASSET}"},
    )
    p.service("wait_test", "Wait for metrics job", "WaitForJob")
    p.xor("gw_tested", "Job succeeded?")
    p.service("parse_results", "Parse test results", "ParseModelTestResultFromBatchJob")
    p.service("save_results", "Save test results", "CreateModelTestResult")
    ticket(
        p,
        "open_test_review",
        "Open test review ticket",
        "CreateJiraTestReview",
        "Metrics job ${JOB.id} failed: ${JOB.message}",
    )
    wait_ticket(p, "wait_test_review", "Wait for test review")
    p.xor("gw_test_review", "Fixed?")
    # The fix is usually new test data on the snapshot: read it again before re-testing.
    p.service(
        "reload_snapshot",
        "Reload the snapshot",
        "GetDeployableModelById",
        inputs={"DEPLOYABLE_MODEL_ID": "${DEPLOYABLE_MODEL.id}"},
    )
    p.end("rejected_test", "Rejected")
    p.xor("join_test", None)
    p.flow("gw_test", "find_test_data", name="yes", condition=has_tag("run_test"))
    p.flow("gw_test", "join_test", name="no", default=True)
    p.chain("find_test_data", "gw_test_data")
    p.flow("gw_test_data", "run_test", name="yes", condition="${FILE_ASSET != null}")
    p.flow("gw_test_data", "reject_no_test_data", name="no", default=True)
    p.chain("reject_no_test_data", "rejected_no_test_data")
    p.chain("run_test", "wait_test", "gw_tested")
    p.flow("gw_tested", "parse_results", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}")
    p.flow("gw_tested", "open_test_review", name="no", default=True)
    p.chain("parse_results", "save_results", "join_test")
    p.chain("open_test_review", "wait_test_review", "gw_test_review")
    p.flow(
        "gw_test_review",
        "reload_snapshot",
        name="Done: test again",
        condition="${TICKET_STATUS == 'Done'}",
    )
    p.chain("reload_snapshot", "find_test_data")
    p.flow("gw_test_review", "rejected_test", name="Rejected", default=True)

    # Approval
    p.xor("gw_approval", "Approval requested?")
    p.flow("join_test", "gw_approval")
    p.xor("gw_results", "Test results?")
    p.service("judge_results", "Judge results with the model's DMN", "ModelTestResultEval")
    p.xor("gw_criteria", "Criteria met?")
    ticket(
        p,
        "reject_criteria",
        "Open rejection ticket: criteria not met",
        "CreateJiraTestReview",
        "The test results fail the model's criteria: ${TEST_RESULT_MESSAGE}",
    )
    p.end("rejected_criteria", "Rejected")
    p.xor("join_review", None)
    ticket(
        p,
        "open_review",
        "Open model review ticket",
        "CreateJiraModelReview",
        "Review snapshot ${DEPLOYABLE_MODEL.id} of "
        "${DEPLOYABLE_MODEL.storedModel.modelMetaData.name} for deployment",
    )
    p.xor("gw_channel", "Review in Jira?")
    wait_ticket(p, "wait_review", "Wait for review", read_field="Expiration Date")
    p.xor("gw_review", "Approved?")
    ticket(
        p,
        "reject_review",
        "Open rejection ticket: review rejected",
        "CreateJiraSimpleNotification",
        "Snapshot ${DEPLOYABLE_MODEL.id} was rejected in review ${TICKET.key}",
    )
    p.end("rejected_review", "Rejected")
    p.xor("join_approval", None)
    p.flow(
        "gw_approval",
        "gw_results",
        name="yes",
        condition="${DEPLOYABLE_MODEL.tags.contains('jira') || "
        "DEPLOYABLE_MODEL.tags.contains('review')}",
    )
    p.flow("gw_approval", "join_approval", name="no", default=True)
    p.flow("gw_results", "judge_results", name="yes", condition=is_set("MODEL_TEST_RESULT"))
    p.flow("gw_results", "join_review", name="no", default=True)
    p.chain("judge_results", "gw_criteria")
    p.flow("gw_criteria", "join_review", name="yes", condition="${TEST_RESULT}")
    p.flow("gw_criteria", "reject_criteria", name="no", default=True)
    p.chain("reject_criteria", "rejected_criteria")
    p.chain("join_review", "gw_channel")
    p.flow("gw_channel", "open_review", name="jira", condition=has_tag("jira"))
    p.flow("gw_channel", "gw_reviewer", name="task list", default=True)
    p.chain("open_review", "wait_review", "gw_review")
    user_review(p, on_approval="join_approval")
    p.flow("gw_review", "join_approval", name="Done", condition="${TICKET_STATUS == 'Done'}")
    p.flow("gw_review", "reject_review", name="Rejected", default=True)
    p.chain("reject_review", "rejected_review")

    # Deployment
    p.service(
        "find_runtime",
        "Find a compatible runtime",
        "GetCompatibleEngine",
        inputs={"MODEL_STAGE": "${DEPLOYABLE_MODEL.storedModel.modelMetaData.modelStage}"},
    )
    p.xor("gw_runtime", "Runtime found?")
    ticket(
        p,
        "reject_no_runtime",
        "Open rejection ticket: no runtime",
        "CreateJiraSimpleNotification",
        "No runtime matches the service tags and stage of snapshot ${DEPLOYABLE_MODEL.id}",
    )
    p.end("rejected_no_runtime", "Rejected")
    p.service("deploy", "Deploy the snapshot", "DeployModel", inputs={"RUNTIME": "${RUNTIMES[0]}"})
    p.service(
        "copy_schedules", "Copy schedules of the previous deployment", "AddDeployedModelSchedules"
    )
    p.service("set_expiration", "Set expiration date", "SetDeployedModelExpiration")
    p.service(
        "notify_deployed",
        "Notify: deployed",
        "CreateModelNotification",
        inputs={
            "MESSAGE": "Snapshot ${DEPLOYABLE_MODEL.id} deployed to "
            "${DEPLOYED_MODEL.runtime.name} (${DEPLOYED_MODEL.deploymentType})"
        },
    )
    p.end("deployed", "Deployed")
    p.chain("join_approval", "find_runtime", "gw_runtime")
    p.flow("gw_runtime", "deploy", name="yes", condition="${RUNTIMES.size() > 0}")
    p.flow("gw_runtime", "reject_no_runtime", name="no", default=True)
    p.chain("reject_no_runtime", "rejected_no_runtime")
    p.chain("deploy", "copy_schedules", "set_expiration", "notify_deployed", "deployed")

    error_handler(p, "CreateJiraSimpleNotification", system="Jira")
    return document(
        [p],
        signals={"Signal_model_changed": SIGNAL + "deployable_model_changed"},
        errors=FAILURE,
        definitions_id="Definitions_deploy_with_test_and_jira",
    )


def run_back_test(system: str) -> str:
    """Run Back Test: a metrics job on a snapshot, judged by its DMN; tickets on failure."""
    key = system.lower()
    name = {"jira": "Jira", "servicenow": "ServiceNow"}[key]
    p = Process(f"run_back_test_{key}", f"Run Back Test ({name})")
    p.documentation = (
        f"Starts on Signals_Run_Back_Test_{name} (MODEL_ID names the snapshot; INPUT_FILE and "
        "OUTPUT_FILE are optional) or as a called process. Runs a metrics job on the test data, "
        "judges the results with the model's DMN, notifies on a pass and opens a "
        f"{name} ticket on a fail."
    )
    p.start("back_test_requested", "Back test requested", signal="Signal_back_test")
    p.start("called", "Called")
    p.service("get_model", "Get the snapshot", "GetDeployableModelById")
    p.chain("back_test_requested", "get_model")
    p.chain("called", "get_model")
    p.chain("get_model", "gw_input")
    input_and_output_files(
        p,
        find=("find_test_data", "Find test data", {"ASSET_ROLE": "TEST_DATA"}),
        check=("gw_test_data", "Test data?"),
        missing=(
            "no_test_data",
            "Open ticket: no test data",
            f"Create{name}SimpleNotification",
            "Back test of snapshot ${MODEL_ID}: no INPUT_FILE and no TEST_DATA asset",
        ),
        missing_end=("ended_no_data", "No test data"),
        output=("back_test_${MODEL_ID}.json", "TEST_OUTPUT"),
    )
    p.service(
        "run_metrics",
        "Run metrics job",
        "CreateModelBatchJob",
        inputs={"JOB_TYPE": "MODEL_BATCH_TEST_JOB"},
    )
    p.service("wait_metrics", "Wait for metrics job", "WaitForJob")
    p.xor("gw_job", "Job succeeded?")
    ticket(
        p,
        "job_failed",
        "Open review ticket: job failed",
        f"Create{name}ModelReview",
        "Back test job ${JOB.id} failed: ${JOB.message}",
    )
    p.end("ended_job_failed", "Job failed")
    p.service("parse_results", "Parse test results", "ParseModelTestResultFromBatchJob")
    p.service("save_results", "Save test results", "CreateModelTestResult")
    p.service("judge_results", "Judge results with the model's DMN", "ModelTestResultEval")
    p.xor("gw_passed", "Passed?")
    p.service(
        "notify_passed",
        "Notify: back test passed",
        "CreateModelTestNotification",
        inputs={"MESSAGE": "Back test of snapshot ${DEPLOYABLE_MODEL.id} passed"},
    )
    p.end("passed", "Passed")
    ticket(
        p,
        "open_failure_ticket",
        "Open ticket: back test failed",
        f"Create{name}TestReview",
        "Back test of snapshot ${DEPLOYABLE_MODEL.id} failed: ${TEST_RESULT_MESSAGE}",
    )
    p.end("failed_criteria", "Failed")
    p.chain("join_output", "run_metrics", "wait_metrics", "gw_job")
    p.flow("gw_job", "parse_results", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}")
    p.flow("gw_job", "job_failed", name="no", default=True)
    p.chain("job_failed", "ended_job_failed")
    p.chain("parse_results", "save_results", "judge_results", "gw_passed")
    p.flow("gw_passed", "notify_passed", name="yes", condition="${TEST_RESULT}")
    p.flow("gw_passed", "open_failure_ticket", name="no", default=True)
    p.chain("notify_passed", "passed")
    p.chain("open_failure_ticket", "failed_criteria")

    sub = p.event_subprocess("handle_failure", "Handle failure")
    sub.start("failure_caught", "Failure", error="Error_FAILURE")
    sub.service(
        "notify_failure",
        "Notify: back test failed to run",
        "CreateProcessNotification",
        inputs={"MESSAGE": "${ERROR_MESSAGE}", "SEVERITY": "ERROR"},
    )
    sub.end("failed", "Failed")
    sub.chain("failure_caught", "notify_failure", "failed")
    return document(
        [p],
        signals={"Signal_back_test": f"{SIGNAL}Run_Back_Test_{name}"},
        errors=FAILURE,
        definitions_id=f"Definitions_run_back_test_{key}",
    )


def run_batch_model_job() -> str:
    """Run Batch Model Job: score with the newest batch deployment of a service tag."""
    p = Process("run_batch_model_job", "Run Batch Model Job")
    p.documentation = (
        "Starts on Signals_DEPLOYED_BATCH_JOB with TAG (and optional MODEL_STAGE, INPUT_FILE, "
        "OUTPUT_FILE): finds the newest batch deployment in DEPLOYED state for the tag and stage, "
        "a compatible batch runtime, and runs a scoring job. Missing pieces end in a Jira "
        "notification."
    )
    p.start("batch_job_requested", "Batch job requested", signal="Signal_batch_job")
    p.service(
        "find_deployment", "Find the newest batch deployment", "FindMostRecentBatchDeployedModels"
    )
    p.xor("gw_deployed", "Deployed?")
    ticket(
        p,
        "no_deployment",
        "Notify: nothing deployed",
        "CreateJiraSimpleNotification",
        "No batch deployment in DEPLOYED state for tag ${TAG}",
    )
    p.end("ended_no_deployment", "Nothing to run")
    p.service(
        "find_runtime",
        "Find a compatible runtime",
        "GetCompatibleEngine",
        inputs={"DEPLOYABLE_MODEL": "${DEPLOYED_MODEL.deployableModel}"},
    )
    p.xor("gw_runtime", "Batch runtime?")
    ticket(
        p,
        "no_runtime",
        "Notify: no runtime",
        "CreateJiraSimpleNotification",
        "No batch runtime for tag ${TAG}",
    )
    p.end("ended_no_runtime", "No runtime")
    p.chain("batch_job_requested", "find_deployment", "gw_deployed")
    p.flow("gw_deployed", "find_runtime", name="yes", condition="${DEPLOYED_MODEL != null}")
    p.flow("gw_deployed", "no_deployment", name="no", default=True)
    p.chain("no_deployment", "ended_no_deployment")
    p.chain("find_runtime", "gw_runtime")
    p.flow("gw_runtime", "gw_input", name="yes", condition="${BATCH_RUNTIMES.size() > 0}")
    p.flow("gw_runtime", "no_runtime", name="no", default=True)
    p.chain("no_runtime", "ended_no_runtime")
    input_and_output_files(
        p,
        find=(
            "find_input",
            "Find scoring data",
            {"DEPLOYABLE_MODEL": "${DEPLOYED_MODEL.deployableModel}", "ASSET_ROLE": "SCORING_DATA"},
        ),
        check=("gw_has_input", "Scoring data?"),
        missing=(
            "no_input",
            "Notify: no input",
            "CreateJiraSimpleNotification",
            "No INPUT_FILE given and no SCORING_DATA asset for tag ${TAG}",
        ),
        missing_end=("ended_no_input", "No input"),
        output=("scores_${TAG}.json", "SCORING_OUTPUT"),
    )
    p.service(
        "run_scoring",
        "Run scoring job",
        "CreateModelBatchJob",
        inputs={
            "JOB_TYPE": "MODEL_BATCH_JOB",
            "DEPLOYABLE_MODEL": "${DEPLOYED_MODEL.deployableModel}",
            "RUNTIME": "${BATCH_RUNTIMES[0]}",
        },
    )
    p.service("wait_scoring", "Wait for scoring job", "WaitForJob")
    p.xor("gw_scored", "Job succeeded?")
    p.service("notify_scored", "Notify: scored", "CreateJobNotification")
    p.end("scored", "Scored")
    ticket(
        p,
        "job_failed",
        "Notify: job failed",
        "CreateJiraJobNotification",
        "Scoring job ${JOB.id} for tag ${TAG} failed: ${JOB.message}",
    )
    p.end("ended_job_failed", "Job failed")
    p.chain("join_output", "run_scoring", "wait_scoring", "gw_scored")
    p.flow("gw_scored", "notify_scored", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}")
    p.flow("gw_scored", "job_failed", name="no", default=True)
    p.chain("notify_scored", "scored")
    p.chain("job_failed", "ended_job_failed")
    error_handler(p, "CreateJiraSimpleNotification", system="Jira")
    return document(
        [p],
        signals={"Signal_batch_job": SIGNAL + "DEPLOYED_BATCH_JOB"},
        errors=FAILURE,
        definitions_id="Definitions_run_batch_model_job",
    )


def model_refresh_one() -> str:
    """Refresh one model: retrain a challenger, compare, approve, redeploy."""
    p = Process("model_refresh_one", "Model refresh and retraining")
    p.documentation = (
        "Starts when a model gets new labelled data (Signals_model_data_changed, with "
        "STORED_MODEL_ID) or is called by 'Model refresh' with STORED_MODEL_ID. Retrains a "
        "challenger snapshot, tests champion and challenger on the newest test data, and when "
        "the challenger wins and meets the model's criteria asks for approval and redeploys it "
        "to the champion's runtime."
    )
    p.start("new_data", "New labelled data", signal="Signal_data_changed")
    p.start("called", "Called")
    p.service("find_champion", "Find the deployed champion", "GetDeployedModels")
    p.chain("new_data", "find_champion")
    p.chain("called", "find_champion")
    p.xor("gw_champion", "Deployed?")
    p.end("not_deployed", "Not deployed")
    p.service("snapshot", "Snapshot a challenger", "SnapshotModel", inputs={"TAGS": "challenger"})
    p.chain("find_champion", "gw_champion")
    p.flow("gw_champion", "snapshot", name="yes", condition="${DEPLOYED_MODEL != null}")
    p.flow("gw_champion", "not_deployed", name="no", default=True)
    p.service(
        "retrain", "Retrain", "CreateModelBatchJob", inputs={"JOB_TYPE": "MODEL_BATCH_TRAINING_JOB"}
    )
    p.service("wait_retrain", "Wait for training", "WaitForJob")
    p.xor("gw_retrained", "Trained?")
    ticket(
        p,
        "training_failed",
        "Open ticket: retraining failed",
        "CreateJiraJobNotification",
        "Retraining ${DEPLOYABLE_MODEL.storedModel.modelMetaData.name} failed: ${JOB.message}",
    )
    p.end("ended_training_failed", "Training failed")
    p.chain("snapshot", "retrain", "wait_retrain", "gw_retrained")
    p.flow(
        "gw_retrained", "test_challenger", name="yes", condition="${JOB.jobStatus == 'COMPLETE'}"
    )
    p.flow("gw_retrained", "training_failed", name="no", default=True)
    p.chain("training_failed", "ended_training_failed")
    # Both on the same (newest) test data, so the comparison is fair.
    p.service(
        "test_challenger",
        "Test the challenger",
        "CreateModelBatchJob",
        inputs={"JOB_TYPE": "MODEL_BATCH_TEST_JOB"},
    )
    p.service(
        "wait_challenger",
        "Wait for challenger test",
        "WaitForJob",
        outputs={"CHALLENGER_JOB": "${JOB}"},
    )
    p.service(
        "test_champion",
        "Test the champion",
        "CreateModelBatchJob",
        inputs={
            "JOB_TYPE": "MODEL_BATCH_TEST_JOB",
            "DEPLOYABLE_MODEL": "${DEPLOYED_MODEL.deployableModel}",
        },
    )
    p.service(
        "wait_champion", "Wait for champion test", "WaitForJob", outputs={"CHAMPION_JOB": "${JOB}"}
    )
    p.xor("gw_tests", "Both tests ran?")
    ticket(
        p,
        "tests_failed",
        "Open ticket: tests failed",
        "CreateJiraJobNotification",
        "Champion/challenger tests failed: ${CHALLENGER_JOB.message} ${CHAMPION_JOB.message}",
    )
    p.end("ended_tests_failed", "Tests failed")
    p.service(
        "save_champion",
        "Save champion results",
        "ParseModelTestResultFromBatchJob",
        inputs={"MODEL_BATCH_JOB": "${CHAMPION_JOB}"},
        outputs={"CHAMPION_RESULT": "${MODEL_TEST_RESULT}"},
    )
    p.service(
        "store_champion",
        "Store champion results",
        "CreateModelTestResult",
        inputs={"MODEL_TEST_RESULT": "${CHAMPION_RESULT}"},
    )
    p.service(
        "save_challenger",
        "Save challenger results",
        "ParseModelTestResultFromBatchJob",
        inputs={"MODEL_BATCH_JOB": "${CHALLENGER_JOB}"},
    )
    p.service("store_challenger", "Store challenger results", "CreateModelTestResult")
    p.chain("test_challenger", "wait_challenger", "test_champion", "wait_champion", "gw_tests")
    p.flow(
        "gw_tests",
        "save_champion",
        name="yes",
        condition="${CHALLENGER_JOB.jobStatus == 'COMPLETE' && "
        "CHAMPION_JOB.jobStatus == 'COMPLETE'}",
    )
    p.flow("gw_tests", "tests_failed", name="no", default=True)
    p.chain("tests_failed", "ended_tests_failed")
    p.chain("save_champion", "store_champion", "save_challenger", "store_challenger")
    p.service(
        "compare",
        "Compare champion and challenger",
        "CompareChampionChallenger",
        inputs={
            "CHAMPION": "${DEPLOYED_MODEL.deployableModel}",
            "CHALLENGER": "${DEPLOYABLE_MODEL}",
        },
    )
    p.xor("gw_wins", "Challenger wins?")
    p.service(
        "notify_kept",
        "Notify: champion kept",
        "CreateModelNotification",
        inputs={
            "MESSAGE": "The deployed champion beats the retrained challenger "
            "${DEPLOYABLE_MODEL.id}; nothing changes"
        },
    )
    p.end("champion_kept", "Champion kept")
    p.service("judge", "Judge the challenger with the model's DMN", "ModelTestResultEval")
    p.xor("gw_criteria", "Criteria met?")
    ticket(
        p,
        "criteria_failed",
        "Open ticket: criteria not met",
        "CreateJiraTestReview",
        "The retrained challenger fails the model's criteria: ${TEST_RESULT_MESSAGE}",
    )
    p.end("ended_criteria", "Rejected")
    ticket(
        p,
        "open_approval",
        "Open approval ticket",
        "CreateJiraModelApproval",
        "Approve redeploying ${DEPLOYABLE_MODEL.storedModel.modelMetaData.name}: the "
        "retrained challenger ${DEPLOYABLE_MODEL.id} beats the champion",
    )
    wait_ticket(p, "wait_approval", "Wait for approval", read_field="Expiration Date")
    p.xor("gw_approved", "Approved?")
    p.end("ended_rejected", "Rejected")
    p.service(
        "redeploy",
        "Redeploy to the champion's runtime",
        "DeployModel",
        inputs={"RUNTIME": "${DEPLOYED_MODEL.runtime}"},
        outputs={"NEW_DEPLOYED_MODEL": "${DEPLOYED_MODEL}"},
    )
    p.service(
        "copy_schedules",
        "Copy the champion's schedules",
        "AddDeployedModelSchedules",
        # The champion is the previous deployment on this runtime: its schedules are copied.
        # (Naming it as PREVIOUS_DEPLOYED_MODEL would not work: inputs are set in the
        # template's order, and DEPLOYED_MODEL, first, shadows the champion's variable.)
        inputs={"DEPLOYED_MODEL": "${NEW_DEPLOYED_MODEL}"},
        outputs={"NEW_DEPLOYED_MODEL": "${DEPLOYED_MODEL}"},
    )
    p.service(
        "set_expiration",
        "Set expiration date",
        "SetDeployedModelExpiration",
        inputs={"DEPLOYED_MODEL": "${NEW_DEPLOYED_MODEL}"},
        outputs={"NEW_DEPLOYED_MODEL": "${DEPLOYED_MODEL}"},
    )
    p.service(
        "notify_redeployed",
        "Notify: redeployed",
        "CreateModelNotification",
        inputs={
            "MESSAGE": "Retrained snapshot ${DEPLOYABLE_MODEL.id} replaced the "
            "champion on ${NEW_DEPLOYED_MODEL.runtime.name}"
        },
    )
    p.end("redeployed", "Redeployed")
    p.chain("store_challenger", "compare", "gw_wins")
    p.flow("gw_wins", "judge", name="yes", condition="${CHALLENGER_WINS}")
    p.flow("gw_wins", "notify_kept", name="no", default=True)
    p.chain("notify_kept", "champion_kept")
    p.chain("judge", "gw_criteria")
    p.flow("gw_criteria", "open_approval", name="yes", condition="${TEST_RESULT}")
    p.flow("gw_criteria", "criteria_failed", name="no", default=True)
    p.chain("criteria_failed", "ended_criteria")
    p.chain("open_approval", "wait_approval", "gw_approved")
    p.flow("gw_approved", "redeploy", name="Done", condition="${TICKET_STATUS == 'Done'}")
    p.flow("gw_approved", "ended_rejected", name="Rejected", default=True)
    p.chain("redeploy", "copy_schedules", "set_expiration", "notify_redeployed", "redeployed")
    error_handler(p, "CreateJiraSimpleNotification", system="Jira")
    return document(
        [p],
        signals={"Signal_data_changed": SIGNAL + "model_data_changed"},
        errors=FAILURE,
        definitions_id="Definitions_model_refresh_one",
    )


def model_refresh() -> str:
    """Model refresh: every week, refresh each deployed model."""
    p = Process("model_refresh", "Model refresh")
    p.documentation = (
        "Every Monday at 02:00 (a Quartz cron), refreshes each model in DEPLOYED state through "
        "'Model refresh and retraining', one model at a time."
    )
    p.start("weekly", "Every Monday 02:00", timer_cycle="0 0 2 ? * MON")
    p.service("find_deployed", "Find deployed models", "GetDeployedModels")
    p.call(
        "refresh_each",
        "Refresh each model",
        "model_refresh_one",
        ins={"STORED_MODEL_ID": "${DEPLOYED.deployableModel.storedModel.id}"},
        collection="${DEPLOYED_MODELS}",
        element="DEPLOYED",
    )
    p.end("refreshed", "Refreshed")
    p.chain("weekly", "find_deployed", "refresh_each", "refreshed")
    return document([p], definitions_id="Definitions_model_refresh")


def scheduled_monitoring() -> str:
    """Scheduled monitoring: every day, back-test every deployed model."""
    p = Process("scheduled_monitoring", "Scheduled monitoring")
    p.documentation = (
        "Every day, runs 'Run Back Test (Jira)' on each model in DEPLOYED state; a failing back "
        "test opens a ticket, and a summary notification follows."
    )
    p.start("daily", "Every day 06:00", timer_cycle="0 0 6 * * ?")
    p.service("find_deployed", "Find deployed models", "GetDeployedModels")
    p.call(
        "back_test_each",
        "Back-test each model",
        "run_back_test_jira",
        ins={"MODEL_ID": "${DEPLOYED.deployableModel.id}"},
        collection="${DEPLOYED_MODELS}",
        element="DEPLOYED",
    )
    p.service(
        "notify_done",
        "Notify: monitoring done",
        "CreateProcessNotification",
        inputs={
            "MESSAGE": "Scheduled monitoring back-tested ${DEPLOYED_MODELS.size()} "
            "deployed model(s)"
        },
    )
    p.end("monitored", "Monitored")
    p.chain("daily", "find_deployed", "back_test_each", "notify_done", "monitored")
    return document([p], definitions_id="Definitions_scheduled_monitoring")


DIAGRAMS = {
    "deploy_with_test_and_jira.bpmn": deploy_with_test_and_jira,
    "run_back_test_jira.bpmn": lambda: run_back_test("jira"),
    "run_back_test_servicenow.bpmn": lambda: run_back_test("servicenow"),
    "run_batch_model_job.bpmn": run_batch_model_job,
    "model_refresh_one.bpmn": model_refresh_one,
    "model_refresh.bpmn": model_refresh,
    "scheduled_monitoring.bpmn": scheduled_monitoring,
    "productionization.bpmn": productionization,
    "approval_with_escalation.bpmn": approval_with_escalation,
}


def main() -> None:
    """Write every diagram."""
    OUT.mkdir(exist_ok=True)
    for filename, build in DIAGRAMS.items():
        (OUT / filename).write_text(build())
        print(f"wrote bpmn/{filename}")


if __name__ == "__main__":
    main()
