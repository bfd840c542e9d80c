"""Delegates for batch jobs and the test results they produce.

A job is named by `JOB_ID` or given whole as `JOB`; ModelOp's job JSON (the snapshot under
`model`, `targetEngine` a runtime) and LocalCenter's (`deployableModel`, a runtime name) are
both read. Job types and statuses are ModelOp's; one this library does not know is passed
on as it is (LocalCenter runs the three it knows and fails the others with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from modelop_mlc.center import CatalogueQueries, RecordEditing
from modelop_mlc.domain import (
    AssetRole,
    DeployableModel,
    JobStatus,
    JobType,
    ModelBatchJob,
    ModelTestResult,
    Runtime,
    open_value,
)
from modelop_mlc.handlers._base import (
    as_assets,
    center,
    deployable_model,
    editing,
    fail,
    job_from,
    modelop,
    patch_input,
    queries,
    record_id,
    text_input,
)
from modelop_mlc.handlers.champion import compare
from modelop_mlc.registry import DelegateContext, Pending

__all__ = ["merged_metrics"]

_POLL = timedelta(seconds=30)


@modelop(
    "CreateModelBatchJob",
    asynchronous=True,
    inputs=(
        "DEPLOYABLE_MODEL",
        "JOB_TYPE",
        "INPUT_FILE",
        "OUTPUT_FILE",
        "RUNTIME",
        "ENGINE_INSTANCE",
        "JOB_PARAMETERS",
    ),
    outputs=("JOB", "JOB_ID"),
    required=("DEPLOYABLE_MODEL",),
    defaults={
        "JOB_TYPE": "MODEL_BATCH_TEST_JOB",
        "INPUT_FILE": "the snapshot's TEST_DATA (TRAINING_DATA for a training job)",
    },
)
def create_model_batch_job(ctx: DelegateContext) -> dict[str, Any]:
    """Create a job of `JOB_TYPE` for `DEPLOYABLE_MODEL` on `INPUT_FILE` into `JOB`.

    `INPUT_FILE` defaults to the snapshot's (else its stored model's) TEST_DATA (test jobs)
    or TRAINING_DATA (training jobs); `OUTPUT_FILE`, `RUNTIME`/`ENGINE_INSTANCE` and
    `JOB_PARAMETERS` are optional.
    """
    snapshot = deployable_model(ctx)
    job_type = open_value(JobType, text_input(ctx, "JOB_TYPE") or JobType.MODEL_BATCH_TEST_JOB)
    inputs = as_assets(ctx.get("INPUT_FILE"))
    if not inputs:
        role = (
            AssetRole.TRAINING_DATA
            if job_type == JobType.MODEL_BATCH_TRAINING_JOB
            else AssetRole.TEST_DATA
            if job_type == JobType.MODEL_BATCH_TEST_JOB
            else AssetRole.SCORING_DATA
        )
        inputs = snapshot.assets_with_role(role) or [
            a for a in snapshot.stored_model.model_assets if a.asset_role == role
        ]
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


@modelop("GetJob", inputs=("JOB_ID", "ID"), outputs=("JOB",))
def get_job(ctx: DelegateContext) -> dict[str, Any]:
    """Read the job `JOB_ID` (or `ID`) into `JOB`."""
    job_id = record_id(ctx, "JOB_ID", "ID")
    if job_id is None:
        raise fail(ctx, "variable JOB_ID is not set")
    return {"JOB": center(ctx).get_job(job_id).to_variable()}


@modelop(
    "WaitForJob",
    asynchronous=True,
    aliases=("jobs",),
    inputs=("JOB_ID", "TEST_JOB", "JOB", "POLL_INTERVAL"),
    outputs=("JOB",),
    defaults={
        "POLL_INTERVAL": "30 (seconds)",
    },
)
def wait_for_job(ctx: DelegateContext) -> dict[str, Any]:
    """Wait until `JOB_ID` (or `TEST_JOB`, `JOB`) ends; then `JOB` holds it.

    It parks between checks (every `POLL_INTERVAL` seconds, 30 by default, or at once when the
    center reports the job's status change): no BPMN loop, nothing added to the instance.
    ModelOp's diagrams wait with an external task of topic `jobs`, which ModelOp Center
    completes when the job ends; that topic runs this delegate. Their job is `TEST_JOB`
    (`CreateModelBatchJob`'s `JOB`, mapped out), so it is read before `JOB`.
    """
    job_id = record_id(ctx, "JOB_ID", "TEST_JOB", "JOB")
    if job_id is None:
        raise fail(ctx, "variable JOB_ID (or TEST_JOB, or JOB) is not set")
    job = center(ctx).get_job(job_id)  # always the center's: a variable holds an old status
    if not job.finished:
        seconds = ctx.get("POLL_INTERVAL")
        after = timedelta(seconds=float(seconds)) if seconds else _POLL
        raise Pending(after, f"job {job.id} is {job.job_status}", wake_on=f"job:{job.id}")
    return {"JOB": job.to_variable()}


def merged_metrics(job_result: Any) -> dict[str, Any]:
    """A job's metrics: an object, or a list of objects merged in order."""
    if isinstance(job_result, list) and job_result and isinstance(job_result[0], Mapping):
        merged: dict[str, Any] = {}
        for part in job_result:
            merged.update(part)
        return merged
    if isinstance(job_result, Mapping):
        return dict(job_result)
    return {}


@modelop(
    "ParseModelTestResultFromBatchJob",
    inputs=("MODEL_BATCH_JOB", "JOB"),
    outputs=("MODEL_TEST_RESULT", "MODEL_TEST_RESULTS"),
)
def parse_model_test_result_from_batch_job(ctx: DelegateContext) -> dict[str, Any]:
    """Turn the metrics of `MODEL_BATCH_JOB` (or `JOB`) into `MODEL_TEST_RESULT`."""
    job = job_from(ctx, "MODEL_BATCH_JOB", "JOB")
    if job.job_status != JobStatus.COMPLETE:
        raise fail(ctx, f"job {job.id} ended {job.job_status}: {job.message or 'no reason'}")
    metrics = merged_metrics(job.result)
    if not metrics:
        raise fail(ctx, f"job {job.id} produced no metrics")
    result = {"deployableModelId": job.snapshot.id, "jobId": job.id, "testResults": metrics}
    return {"MODEL_TEST_RESULT": result, "MODEL_TEST_RESULTS": [result]}


@modelop(
    "CreateModelTestResult",
    asynchronous=True,
    inputs=("MODEL_TEST_RESULT", "DEPLOYABLE_MODEL"),
    outputs=("MODEL_TEST_RESULT",),
    required=("MODEL_TEST_RESULT",),
)
def create_model_test_result(ctx: DelegateContext) -> dict[str, Any]:
    """Store `MODEL_TEST_RESULT` with its snapshot; `MODEL_TEST_RESULT` gets an id.

    The snapshot is the result's `deployedModel.deployableModel` (ModelOp's drift MLC points
    a monitor's result at the base model so), else its `deployableModelId`, else
    `DEPLOYABLE_MODEL`.
    """
    parsed = ctx.get("MODEL_TEST_RESULT")
    if not isinstance(parsed, Mapping):
        raise fail(ctx, "variable MODEL_TEST_RESULT is not set")
    result = ModelTestResult.from_variable(parsed)
    linked = result.deployed_model.deployable_model.id if result.deployed_model else ""
    snapshot_id = linked or result.deployable_model_id or deployable_model(ctx).id
    stored = center(ctx).create_test_result(
        str(snapshot_id),
        parsed.get("testResults") or {},
        job_id=parsed.get("jobId"),
        idempotency_key=ctx.idempotency_key,
    )
    return {"MODEL_TEST_RESULT": stored.to_variable()}


@modelop(
    "CompareChampionChallenger",
    inputs=("CHAMPION", "CHALLENGER", "LOWER_IS_BETTER"),
    outputs=("COMPARISON", "CHALLENGER_WINS"),
    required=(
        "CHAMPION",
        "CHALLENGER",
    ),
)
def compare_champion_challenger(ctx: DelegateContext) -> dict[str, Any]:
    """Compare a champion and a challenger snapshot.

    Compare the test results of `CHAMPION` and `CHALLENGER` (snapshots or ids) metric by
    metric into `COMPARISON` (and `CHALLENGER_WINS`).
    """
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


# -------------------------------------------------------------------------- job records


def _job_id(ctx: DelegateContext) -> str:
    found = record_id(ctx, "JOB_ID", "JOB", "ID")
    if found is None:
        raise fail(ctx, "variable JOB_ID (or JOB) is not set")
    return found


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


@modelop(
    "GetJobs",
    inputs=("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "JOB_STATUSES", "JOB_TYPES"),
    outputs=("JOBS",),
    needs=(CatalogueQueries,),
)
def get_jobs(ctx: DelegateContext) -> dict[str, Any]:
    """List jobs, newest first, into `JOBS`.

    Filters, each only when given: the snapshot (`DEPLOYABLE_MODEL` or
    `DEPLOYABLE_MODEL_ID`), `JOB_STATUSES` and `JOB_TYPES` (lists or comma-separated).
    """
    jobs = queries(ctx).find_jobs(
        deployable_model_id=record_id(ctx, "DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID"),
        statuses=_names(ctx.get("JOB_STATUSES") or ctx.get("JOB_STATUS")),
        types=_names(ctx.get("JOB_TYPES") or ctx.get("JOB_TYPE")),
    )
    return {"JOBS": [j.to_variable() for j in jobs]}


@modelop(
    "GetMostRecentJobByJobStatusesAndJobTypesForDeployableModel",
    inputs=("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "JOB_STATUSES", "JOB_TYPES"),
    outputs=("JOB",),
    needs=(CatalogueQueries,),
)
def get_most_recent_job(ctx: DelegateContext) -> dict[str, Any]:
    """Find the snapshot's newest job of some statuses and types into `JOB`.

    `JOB_STATUSES` and `JOB_TYPES` are lists or comma-separated; null when there is none.
    """
    snapshot_id = record_id(ctx, "DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "ID")
    if snapshot_id is None:
        raise fail(ctx, "variable DEPLOYABLE_MODEL is not set")
    jobs = queries(ctx).find_jobs(
        deployable_model_id=snapshot_id,
        statuses=_names(ctx.get("JOB_STATUSES")),
        types=_names(ctx.get("JOB_TYPES")),
    )
    return {"JOB": jobs[0].to_variable() if jobs else None}


@modelop(
    "UpdateJob",
    asynchronous=True,
    inputs=("JOB",),
    outputs=("JOB",),
    needs=(RecordEditing,),
    required=("JOB",),
)
def update_job(ctx: DelegateContext) -> dict[str, Any]:
    """Replace the job with `JOB` (as the diagram changed it)."""
    value = ctx.get("JOB")
    if not isinstance(value, Mapping) or not value.get("id"):
        raise fail(ctx, "variable JOB must be a job with its id")
    updated = editing(ctx).update_job(ModelBatchJob.from_variable(value))
    return {"JOB": updated.to_variable()}


@modelop(
    "PatchJob",
    asynchronous=True,
    inputs=("JOB_ID", "JOB", "PATCH"),
    outputs=("JOB",),
    needs=(RecordEditing,),
    required=("PATCH",),
)
def patch_job(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (camelCase fields) to the job into `JOB`."""
    patch = patch_input(ctx)
    return {"JOB": editing(ctx).patch_job(_job_id(ctx), patch).to_variable()}


def _engine(runtime: Runtime) -> dict[str, Any]:
    return runtime.to_variable()


@modelop(
    "UpdateTargetEngineForJob",
    asynchronous=True,
    inputs=("JOB_ID", "JOB", "RUNTIME", "ENGINE_INSTANCE"),
    outputs=("JOB",),
    needs=(RecordEditing,),
)
def update_target_engine_for_job(ctx: DelegateContext) -> dict[str, Any]:
    """Point the job at `RUNTIME` (or the runtime named `ENGINE_INSTANCE`) into `JOB`."""
    value = ctx.get("RUNTIME")
    if isinstance(value, Mapping):
        runtime = Runtime.from_variable(value)
    else:
        name = text_input(ctx, "ENGINE_INSTANCE", "RUNTIME")
        if name is None:
            raise fail(ctx, "variable RUNTIME (or ENGINE_INSTANCE) is not set")
        runtime = center(ctx).get_runtime(name)
    job = editing(ctx).patch_job(_job_id(ctx), {"targetEngine": _engine(runtime)})
    return {"JOB": job.to_variable()}


def _compatible(snapshot: DeployableModel, runtimes: list[Runtime]) -> list[Runtime]:
    """Batch runtimes first that share a tag with the snapshot and run its model type."""
    tags = set(snapshot.all_tags)
    model_type = snapshot.stored_model.model_meta_data.type
    fit = [
        r
        for r in runtimes
        if tags & set(r.tags)
        and (not r.supported_model_types or model_type in r.supported_model_types)
        and r.engine_state == "RUNNING"
    ]
    return sorted(fit, key=lambda r: not r.batch)


@modelop(
    "AssignBatchJobToAvailableRuntime",
    asynchronous=True,
    inputs=("JOB_ID", "JOB"),
    outputs=("JOB",),
    needs=(RecordEditing,),
)
def assign_batch_job_to_available_runtime(ctx: DelegateContext) -> dict[str, Any]:
    """Point the job at a running runtime that fits its snapshot into `JOB`.

    A runtime fits when it shares a tag with the snapshot (its own, its metadata's or its
    stored model's), runs the model's type and is RUNNING; batch runtimes come first.
    """
    job = center(ctx).get_job(_job_id(ctx))
    found = _compatible(job.snapshot, center(ctx).list_runtimes())
    if not found:
        tags = ", ".join(job.snapshot.all_tags) or "none"
        raise fail(ctx, f"no running runtime fits job {job.id} (snapshot tags: {tags})")
    updated = editing(ctx).patch_job(job.id, {"targetEngine": _engine(found[0])})
    return {"JOB": updated.to_variable()}
