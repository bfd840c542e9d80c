"""Delegates for batch jobs, test results and their evaluation by a DMN."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from modelop_mlc.domain import AssetRole, JobStatus, JobType
from modelop_mlc.errors import DiagramError
from modelop_mlc.handlers._base import (
    as_asset,
    as_assets,
    center,
    deployable_model,
    fail,
    job_from,
    modelop,
)
from modelop_mlc.registry import DelegateContext, Pending

__all__: list[str] = []

_POLL = timedelta(seconds=30)


@modelop("CreateModelBatchJob", asynchronous=True)
def create_model_batch_job(ctx: DelegateContext) -> dict[str, Any]:
    """Create a job of `JOB_TYPE` for `DEPLOYABLE_MODEL` on `INPUT_FILE` into `JOB`.

    `INPUT_FILE` defaults to the snapshot's TEST_DATA (test jobs) or TRAINING_DATA (training
    jobs); `OUTPUT_FILE`, `RUNTIME`/`ENGINE_INSTANCE` and `JOB_PARAMETERS` are optional.
    """
    snapshot = deployable_model(ctx)
    raw_type = str(ctx.get("JOB_TYPE") or JobType.MODEL_BATCH_TEST_JOB.value)
    if raw_type not in JobType.__members__:
        raise fail(ctx, f"unknown JOB_TYPE '{raw_type}'; one of {', '.join(JobType)}")
    job_type = JobType(raw_type)
    inputs = as_assets(ctx.get("INPUT_FILE"))
    if not inputs:
        role = (
            AssetRole.TRAINING_DATA
            if job_type == JobType.MODEL_BATCH_TRAINING_JOB
            else AssetRole.TEST_DATA
            if job_type == JobType.MODEL_BATCH_TEST_JOB
            else AssetRole.SCORING_DATA
        )
        inputs = snapshot.assets_with_role(role)
        if not inputs:
            raise fail(ctx, f"no INPUT_FILE given and the snapshot has no {role} asset")
    runtime = ctx.get("RUNTIME")
    runtime_name = (
        runtime.get("name") if isinstance(runtime, Mapping) else ctx.get("ENGINE_INSTANCE")
    )
    parameters = ctx.get("JOB_PARAMETERS")
    job = center(ctx).create_batch_job(
        snapshot,
        job_type,
        inputs=inputs,
        outputs=as_assets(ctx.get("OUTPUT_FILE")),
        runtime=str(runtime_name) if runtime_name else None,
        parameters=parameters if isinstance(parameters, Mapping) else None,
        idempotency_key=ctx.idempotency_key,
    )
    return {"JOB": job.to_variable(), "JOB_ID": job.id}


@modelop("GetJob")
def get_job(ctx: DelegateContext) -> dict[str, Any]:
    """Read `JOB_ID` into `JOB`."""
    job_id = ctx.get("JOB_ID")
    if not job_id:
        raise fail(ctx, "variable JOB_ID is not set")
    return {"JOB": center(ctx).get_job(str(job_id)).to_variable()}


@modelop("WaitForJob", asynchronous=True)
def wait_for_job(ctx: DelegateContext) -> dict[str, Any]:
    """Wait until `JOB_ID` (or `JOB`) ends; then `JOB` holds it (status COMPLETE or ERROR).

    It parks between checks (every `POLL_INTERVAL` seconds, 30 by default, or at once when the
    center reports the job's status change): no BPMN loop, nothing added to the instance.
    """
    job_id = ctx.get("JOB_ID")
    job = center(ctx).get_job(str(job_id)) if job_id else job_from(ctx, "JOB")
    if not job.finished:
        seconds = ctx.get("POLL_INTERVAL")
        after = timedelta(seconds=float(seconds)) if seconds else _POLL
        raise Pending(after, f"job {job.id} is {job.job_status}", wake_on=f"job:{job.id}")
    return {"JOB": job.to_variable()}


def _metrics(job_result: Any) -> dict[str, Any]:
    if isinstance(job_result, list) and job_result and isinstance(job_result[0], Mapping):
        merged: dict[str, Any] = {}
        for part in job_result:
            merged.update(part)
        return merged
    if isinstance(job_result, Mapping):
        return dict(job_result)
    return {}


@modelop("ParseModelTestResultFromBatchJob")
def parse_model_test_result_from_batch_job(ctx: DelegateContext) -> dict[str, Any]:
    """Turn the metrics of `MODEL_BATCH_JOB` (or `JOB`) into `MODEL_TEST_RESULT`."""
    job = job_from(ctx, "MODEL_BATCH_JOB", "JOB")
    if job.job_status != JobStatus.COMPLETE:
        raise fail(ctx, f"job {job.id} ended {job.job_status}: {job.message or 'no reason'}")
    metrics = _metrics(job.result)
    if not metrics:
        raise fail(ctx, f"job {job.id} produced no metrics")
    result = {"deployableModelId": job.snapshot.id, "jobId": job.id, "testResults": metrics}
    return {"MODEL_TEST_RESULT": result, "MODEL_TEST_RESULTS": [result]}


@modelop("CreateModelTestResult", asynchronous=True)
def create_model_test_result(ctx: DelegateContext) -> dict[str, Any]:
    """Store `MODEL_TEST_RESULT` with its snapshot; `MODEL_TEST_RESULT` gets an id."""
    parsed = ctx.get("MODEL_TEST_RESULT")
    if not isinstance(parsed, Mapping):
        raise fail(ctx, "variable MODEL_TEST_RESULT is not set")
    snapshot_id = parsed.get("deployableModelId") or deployable_model(ctx).id
    stored = center(ctx).create_test_result(
        str(snapshot_id),
        parsed.get("testResults") or {},
        job_id=parsed.get("jobId"),
        idempotency_key=ctx.idempotency_key,
    )
    return {"MODEL_TEST_RESULT": stored.to_variable()}


def _dmn_model(ctx: DelegateContext) -> Any | None:
    """The DMN that judges the results: an input, the snapshot's DMN asset, or a decision."""
    from modelop_mlc._engine.decision_languages import DECISION_LANGUAGES  # noqa: PLC0415
    from modelop_mlc.dmn import parse_dmn  # noqa: PLC0415 - DMN is loaded only when used

    text = ctx.get("DMN")
    if not text:
        try:
            snapshot = deployable_model(ctx)
        except Exception:  # noqa: BLE001 - no snapshot simply means no snapshot DMN
            snapshot = None
        assets = snapshot.assets_with_role(AssetRole.DMN) if snapshot is not None else []
        if assets:
            text = center(ctx).read_asset(assets[0])
    if text:
        try:
            return parse_dmn(str(text), file="model DMN", languages=DECISION_LANGUAGES)
        except DiagramError as err:
            raise fail(ctx, f"the model's DMN cannot be used: {err}") from err
    decision = ctx.get("DECISION_REF")
    if decision and ctx.decisions is not None:
        return ctx.decisions.model(str(decision))
    return None


@modelop("ModelTestResultEval")
def model_test_result_eval(ctx: DelegateContext) -> dict[str, Any]:
    """Judge `MODEL_TEST_RESULT` with the model's DMN.

    Judge `MODEL_TEST_RESULT` with the model's DMN into `TEST_RESULT` (passed or not) and
    `TEST_RESULT_MESSAGE` (the failing rules' reasons). A metric the model could not compute
    (missing, or ModelOp's -99) fails with its name. Without a DMN the result passes.
    `TEST_RESULT_JUDGED` tells whether a DMN judged the results at all (false without one),
    so a diagram can send unjudged results to a person instead of treating them as passed.
    """
    from modelop_mlc.dmn import evaluate_model_test  # noqa: PLC0415 - loaded only when used

    result = ctx.get("MODEL_TEST_RESULT")
    metrics = result.get("testResults") if isinstance(result, Mapping) else None
    if metrics is None:
        metrics = ctx.get("TEST_RESULTS")
    if not isinstance(metrics, Mapping):
        raise fail(ctx, "variable MODEL_TEST_RESULT has no testResults")
    model = _dmn_model(ctx)
    if model is None:
        return {
            "TEST_RESULT": True,
            "TEST_RESULT_MESSAGE": "The model has no DMN; test results were not judged",
            "TEST_RESULT_JUDGED": False,
        }
    evaluation = evaluate_model_test(metrics, model, decision_ref=ctx.get("DECISION_REF") or None)
    variables = evaluation.as_variables()
    if isinstance(result, Mapping) and result.get("id"):
        center(ctx).patch_test_result(
            str(result["id"]),
            {
                "testResultPassed": variables["TEST_RESULT"],
                "testResultMessage": variables["TEST_RESULT_MESSAGE"],
            },
        )
    return {**variables, "TEST_RESULT_DETAILS": evaluation.rows, "TEST_RESULT_JUDGED": True}


@modelop("CompareChampionChallenger")
def compare_champion_challenger(ctx: DelegateContext) -> dict[str, Any]:
    """Compare a champion and a challenger snapshot.

    Compare the test results of `CHAMPION` and `CHALLENGER` (snapshots or ids) metric by
    metric into `COMPARISON` (and `CHALLENGER_WINS`).
    """
    from modelop_mlc.handlers.champion import compare  # noqa: PLC0415 - avoids a cycle

    champion = _snapshot_id(ctx, "CHAMPION")
    challenger = _snapshot_id(ctx, "CHALLENGER")
    centre = center(ctx)
    champion_results = centre.find_test_results(champion)
    challenger_results = centre.find_test_results(challenger)
    if not champion_results or not challenger_results:
        missing = "champion" if not champion_results else "challenger"
        raise fail(ctx, f"the {missing} snapshot has no test results to compare")
    report = compare(
        champion_results[0].test_results,
        challenger_results[0].test_results,
        lower_is_better=ctx.get("LOWER_IS_BETTER") or (),
    )
    report.update({"champion": champion, "challenger": challenger})
    return {"COMPARISON": report, "CHALLENGER_WINS": report["challenger_wins"]}


def _snapshot_id(ctx: DelegateContext, name: str) -> str:
    value = ctx.get(name)
    if isinstance(value, Mapping) and value.get("id"):
        return str(value["id"])
    if isinstance(value, str) and value:
        return value
    raise fail(ctx, f"variable {name} is not set")


__all__ += ["as_asset"]
