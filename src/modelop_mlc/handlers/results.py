"""Delegates for stored test results: create from JSON, read, change.

Parsing a job's metrics and storing them is `ParseModelTestResultFromBatchJob` and
`CreateModelTestResult` (with the jobs); judging them is `ModelTestResultEval`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelop_mlc.center import CatalogueQueries, RecordEditing
from modelop_mlc.domain import ModelTestResult
from modelop_mlc.handlers._base import (
    center,
    editing,
    fail,
    modelop,
    patch_input,
    queries,
    record_id,
)
from modelop_mlc.handlers.jobs import merged_metrics
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_SNAPSHOT = ("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "MODEL_ID")


def _json_metrics(ctx: DelegateContext) -> dict[str, Any]:
    value = ctx.get("JSON")
    if value is None:
        value = ctx.get("TEST_RESULTS")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise fail(ctx, f"JSON is not valid JSON: {err}") from err
    if isinstance(value, Mapping) and isinstance(value.get("testResults"), Mapping):
        value = value["testResults"]
    metrics = merged_metrics(value)
    if not metrics:
        raise fail(ctx, "variable JSON must hold the test results: an object, or a list of them")
    return metrics


@modelop(
    "CreateModelTestResultFromJson",
    asynchronous=True,
    inputs=("JSON", "TEST_RESULTS", "DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "JOB_ID"),
    outputs=("MODEL_TEST_RESULT",),
)
def create_model_test_result_from_json(ctx: DelegateContext) -> dict[str, Any]:
    """Store the metrics in `JSON` (text or an object) as a test result of the snapshot.

    `JSON` may be the metrics, a list of metric objects (merged, as a job's output is) or a
    whole test result (its `testResults` are used). The stored result goes into
    `MODEL_TEST_RESULT`.
    """
    metrics = _json_metrics(ctx)
    snapshot_id = record_id(ctx, *_SNAPSHOT)
    if snapshot_id is None:
        raise fail(ctx, "variable DEPLOYABLE_MODEL (or DEPLOYABLE_MODEL_ID) is not set")
    job_id = record_id(ctx, "JOB_ID")
    stored = center(ctx).create_test_result(
        snapshot_id, metrics, job_id=job_id, idempotency_key=ctx.idempotency_key
    )
    return {"MODEL_TEST_RESULT": stored.to_variable()}


def _result_id(ctx: DelegateContext) -> str:
    found = record_id(ctx, "MODEL_TEST_RESULT_ID", "MODEL_TEST_RESULT", "ID")
    if found is None:
        raise fail(ctx, "variable MODEL_TEST_RESULT_ID (or MODEL_TEST_RESULT) is not set")
    return found


@modelop(
    "UpdateModelTestResult",
    asynchronous=True,
    inputs=("MODEL_TEST_RESULT",),
    outputs=("MODEL_TEST_RESULT",),
    needs=(RecordEditing,),
    required=("MODEL_TEST_RESULT",),
)
def update_model_test_result(ctx: DelegateContext) -> dict[str, Any]:
    """Replace the stored test result with `MODEL_TEST_RESULT` (as the diagram changed it)."""
    value = ctx.get("MODEL_TEST_RESULT")
    if not isinstance(value, Mapping) or not value.get("id"):
        raise fail(ctx, "variable MODEL_TEST_RESULT must be a stored test result with its id")
    updated = editing(ctx).update_test_result(ModelTestResult.from_variable(value))
    return {"MODEL_TEST_RESULT": updated.to_variable()}


@modelop(
    "PatchModelTestResult",
    asynchronous=True,
    inputs=("MODEL_TEST_RESULT_ID", "MODEL_TEST_RESULT", "PATCH"),
    outputs=("MODEL_TEST_RESULT",),
    required=("PATCH",),
)
def patch_model_test_result(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (camelCase fields) to the stored test result into `MODEL_TEST_RESULT`."""
    patch = patch_input(ctx)
    updated = center(ctx).patch_test_result(_result_id(ctx), patch)
    return {"MODEL_TEST_RESULT": updated.to_variable()}


@modelop(
    "GetModelTestResult",
    inputs=("MODEL_TEST_RESULT_ID", "DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID"),
    outputs=("MODEL_TEST_RESULT", "MODEL_TEST_RESULT_IDS"),
    needs=(CatalogueQueries,),
)
def get_model_test_result(ctx: DelegateContext) -> dict[str, Any]:
    """Read a test result into `MODEL_TEST_RESULT`, and ids into `MODEL_TEST_RESULT_IDS`.

    With `MODEL_TEST_RESULT_ID`, that result; else the snapshot's (`DEPLOYABLE_MODEL` or
    `DEPLOYABLE_MODEL_ID`) newest, with the ids of all its results, newest first (a
    snapshot without results gives null and an empty list).
    """
    result_id = record_id(ctx, "MODEL_TEST_RESULT_ID")
    if result_id is not None:
        result = queries(ctx).get_test_result(result_id)
        return {"MODEL_TEST_RESULT": result.to_variable(), "MODEL_TEST_RESULT_IDS": [result.id]}
    snapshot_id = record_id(ctx, *_SNAPSHOT)
    if snapshot_id is None:
        raise fail(ctx, "variable MODEL_TEST_RESULT_ID (or DEPLOYABLE_MODEL) is not set")
    results = center(ctx).find_test_results(snapshot_id)
    return {
        "MODEL_TEST_RESULT": results[0].to_variable() if results else None,
        "MODEL_TEST_RESULT_IDS": [r.id for r in results],
    }
