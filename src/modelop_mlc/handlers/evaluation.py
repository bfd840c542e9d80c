"""Judging test results as ModelOp does, and turning a DMN's verdict into notifications.

`ModelTestResultEval` finds the model's comparator DMN where ModelOp keeps it: a `DMN` input
(the table's XML, or an asset), a deployed decision named by `DECISION_REF`, or an asset of
the snapshot or of its stored model (`storedModel.modelAssets`) with role
`TEST_RESULT_COMPARATOR` or `DMN`, or whose file name ends in `.dmn`. Without one the
results are **not judged**: `TEST_RESULT_JUDGED` is false, `TEST_RESULT_MESSAGE` says why,
and `TEST_RESULT` is false (a host may set `ManagerConfig.unjudged_test_result` to make it
true, but a model without a DMN is never reported as passed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelop_mlc.domain import NOT_JUDGED, Asset, AssetRole, DeployableModel, ModelTestResult
from modelop_mlc.errors import ConfigurationError, DecisionError, DiagramError
from modelop_mlc.handlers._base import center, deployable_model, fail, modelop
from modelop_mlc.ports import Decisions
from modelop_mlc.registry import DelegateContext

if TYPE_CHECKING:
    from modelop_mlc.dmn import DmnModel

__all__ = ["COMPARATOR_ROLES", "NOT_JUDGED", "find_comparator"]

COMPARATOR_ROLES = (AssetRole.TEST_RESULT_COMPARATOR, AssetRole.DMN)
"""The asset roles of a comparator DMN, in the order they are looked for."""


def find_comparator(snapshot: DeployableModel) -> Asset | None:
    """The comparator DMN asset of a snapshot, or None.

    The snapshot's own assets come before its stored model's; within them role
    TEST_RESULT_COMPARATOR, then DMN, then any asset whose file name ends in `.dmn`.
    """
    assets = snapshot.all_assets
    for role in COMPARATOR_ROLES:
        for asset in assets:
            if asset.asset_role == role:
                return asset
    return next(
        (a for a in assets if any(name.lower().endswith(".dmn") for name in a.names())), None
    )


@dataclass(frozen=True)
class _Comparator:
    model: DmnModel
    source: str


def _parse(ctx: DelegateContext, text: str, source: str) -> _Comparator:
    from modelop_mlc._engine.decision_languages import DECISION_LANGUAGES  # noqa: PLC0415
    from modelop_mlc.dmn import parse_dmn  # noqa: PLC0415 - DMN is loaded only when used

    try:
        # Groovy and JUEL cells, as ModelOp's standard_thresholds.dmn style tables have.
        model = parse_dmn(text, file=source, languages=DECISION_LANGUAGES)
        model.raise_for_problems()
    except DiagramError as err:
        raise fail(ctx, f"the model's DMN cannot be used ({source}): {err}") from err
    return _Comparator(model, source)


def _deployed(decisions: Decisions, ref: str) -> _Comparator | None:
    """The deployed decision `ref`, or None when none is deployed under that id."""
    from modelop_mlc.dmn import DmnModel  # noqa: PLC0415 - DMN is loaded only when used

    try:
        model = decisions.model(ref)
    except DecisionError:
        return None  # not deployed: it may name a decision inside the model's own DMN
    if not isinstance(model, DmnModel):
        raise ConfigurationError(
            f"the decisions given to delegates returned a {type(model).__name__} for '{ref}'; "
            "the comparator needs a modelop_mlc.dmn.DmnModel"
        )
    return _Comparator(model, f"deployed decision '{ref}'")


def _snapshot(ctx: DelegateContext, result: Mapping[str, Any]) -> DeployableModel | None:
    """The tested snapshot: DEPLOYABLE_MODEL, else the one the test result names."""
    if ctx.get("DEPLOYABLE_MODEL"):
        return deployable_model(ctx)
    snapshot_id = ModelTestResult.from_variable(result).snapshot_id if result else ""
    if snapshot_id:
        found: DeployableModel = center(ctx).get_deployable_model(snapshot_id)
        return found
    return None


def _comparator(ctx: DelegateContext, result: Mapping[str, Any]) -> _Comparator | None:
    dmn = ctx.get("DMN")
    if isinstance(dmn, Mapping):
        asset = Asset.from_variable(dmn)
        return _parse(ctx, center(ctx).read_asset(asset), f"DMN asset '{asset.label}'")
    if dmn:
        return _parse(ctx, str(dmn), "the DMN input")
    ref = ctx.get("DECISION_REF")
    deployed = _deployed(ctx.decisions, str(ref)) if ref and ctx.decisions is not None else None
    if deployed is not None:
        return deployed
    snapshot = _snapshot(ctx, result)
    found = find_comparator(snapshot) if snapshot is not None else None
    if found is None:
        return None
    source = f"asset '{found.label}' ({found.asset_role})"
    return _parse(ctx, center(ctx).read_asset(found), source)


def _metrics(ctx: DelegateContext, result: Any) -> Mapping[str, Any]:
    metrics = result.get("testResults") if isinstance(result, Mapping) else None
    if metrics is None:
        metrics = ctx.get("TEST_RESULTS")
    if not isinstance(metrics, Mapping):
        raise fail(ctx, "variable MODEL_TEST_RESULT has no testResults")
    return metrics


def _not_judged(ctx: DelegateContext) -> dict[str, Any]:
    setting = ctx.config.unjudged_test_result if ctx.config is not None else False
    message = (
        f"{NOT_JUDGED}: the model has no comparator DMN (no TEST_RESULT_COMPARATOR or DMN "
        "asset and no .dmn file on the snapshot or its stored model, and no DMN or "
        "DECISION_REF input); attach one to judge its test results"
    )
    return {
        "TEST_RESULT": bool(setting),
        "TEST_RESULT_MESSAGE": message,
        "TEST_RESULT_JUDGED": False,
    }


@modelop(
    "ModelTestResultEval",
    inputs=("MODEL_TEST_RESULT", "DEPLOYABLE_MODEL", "DMN", "DECISION_REF", "TEST_RESULTS"),
    outputs=("TEST_RESULT", "TEST_RESULT_MESSAGE", "TEST_RESULT_JUDGED", "TEST_RESULT_DETAILS"),
    defaults={
        "DMN": "the snapshot's comparator asset",
    },
)
def model_test_result_eval(ctx: DelegateContext) -> dict[str, Any]:
    """Judge `MODEL_TEST_RESULT` with the model's comparator DMN into `TEST_RESULT`.

    The DMN is the `DMN` input (XML or an asset), the deployed decision `DECISION_REF`, or
    the snapshot's (`DEPLOYABLE_MODEL`, else the result's) TEST_RESULT_COMPARATOR or DMN
    asset or `.dmn` file, its own or its stored model's. `TEST_RESULT_MESSAGE` gives the
    failing rules' reasons; a metric the model could not compute (missing, or ModelOp's
    -99) fails with its name. Without a DMN the results are not judged:
    `TEST_RESULT_JUDGED` is false and `TEST_RESULT` false (see
    `ManagerConfig.unjudged_test_result`). A stored result gets the verdict.
    """
    from modelop_mlc.dmn import evaluate_model_test  # noqa: PLC0415 - loaded only when used

    result = ctx.get("MODEL_TEST_RESULT")
    metrics = _metrics(ctx, result)
    comparator = _comparator(ctx, result if isinstance(result, Mapping) else {})
    stored_id = result.get("id") if isinstance(result, Mapping) else None
    if comparator is None:
        variables = _not_judged(ctx)
        if stored_id:
            center(ctx).patch_test_result(
                str(stored_id), {"testResultMessage": variables["TEST_RESULT_MESSAGE"]}
            )
        return {**variables, "TEST_RESULT_DETAILS": []}
    evaluation = evaluate_model_test(
        metrics, comparator.model, decision_ref=ctx.get("DECISION_REF") or None
    )
    variables = evaluation.as_variables()
    if stored_id:
        center(ctx).patch_test_result(
            str(stored_id),
            {
                "testResultPassed": variables["TEST_RESULT"],
                "testResultMessage": variables["TEST_RESULT_MESSAGE"],
            },
        )
    ctx.log.info("judged with %s: %s", comparator.source, variables["TEST_RESULT_MESSAGE"])
    return {**variables, "TEST_RESULT_JUDGED": True, "TEST_RESULT_DETAILS": evaluation.rows}


def _judge(ctx: DelegateContext, what: str) -> tuple[Any, _Comparator]:
    """Evaluate the comparator DMN on `MODEL_TEST_RESULT`; FAILURE when there is none."""
    from modelop_mlc.dmn import evaluate_model_test  # noqa: PLC0415 - loaded only when used

    result = ctx.get("MODEL_TEST_RESULT")
    metrics = _metrics(ctx, result)
    comparator = _comparator(ctx, result if isinstance(result, Mapping) else {})
    if comparator is None:
        raise fail(
            ctx,
            f"the model has no comparator DMN (a TEST_RESULT_COMPARATOR or DMN asset, a .dmn "
            f"file, or a DMN or DECISION_REF input), so there is nothing to turn into {what}",
        )
    evaluation = evaluate_model_test(
        metrics, comparator.model, decision_ref=ctx.get("DECISION_REF") or None
    )
    return evaluation, comparator


@modelop(
    "DmnToNotification",
    asynchronous=True,
    inputs=("MODEL_TEST_RESULT", "DEPLOYABLE_MODEL", "DMN", "DECISION_REF"),
    outputs=("NOTIFICATIONS",),
    defaults={
        "DMN": "the snapshot's comparator asset",
    },
)
def dmn_to_notification(ctx: DelegateContext) -> dict[str, Any]:
    """Record a notification for each rule of the comparator DMN that fails the results.

    The DMN is found as for `ModelTestResultEval`; each matched row with `passes = false`
    becomes a TEST notification ("category: reason", severity from the row's `severity`
    output, else ERROR) about the snapshot; they go into `NOTIFICATIONS` (empty when the
    results pass). Without a comparator DMN the task fails (FAILURE).
    """
    evaluation, _ = _judge(ctx, "notifications")
    snapshot = ctx.get("DEPLOYABLE_MODEL")
    result = ctx.get("MODEL_TEST_RESULT")
    model_id = (snapshot.get("id") if isinstance(snapshot, Mapping) else None) or (
        ModelTestResult.from_variable(result).snapshot_id if isinstance(result, Mapping) else None
    )
    created = []
    failing = [row for row in evaluation.rows if row.get("passes") is False]
    for index, row in enumerate(failing):
        reason = str(row.get("reason") or "a rule of the comparator DMN failed")
        category = row.get("category")
        note = center(ctx).create_notification(
            f"{category}: {reason}" if category else reason,
            type="TEST",
            severity=str(row.get("severity") or "ERROR").upper(),
            model_id=str(model_id) if model_id else None,
            process_instance_id=ctx.instance_id,
            idempotency_key=f"{ctx.idempotency_key}:{index}",
        )
        created.append(note.to_variable())
    return {"NOTIFICATIONS": created}


@modelop(
    "DmnToNotifier",
    inputs=("MODEL_TEST_RESULT", "DEPLOYABLE_MODEL", "DMN", "DECISION_REF"),
    outputs=("NOTIFIERS",),
    defaults={
        "DMN": "the snapshot's comparator asset",
    },
)
def dmn_to_notifier(ctx: DelegateContext) -> dict[str, Any]:
    """Evaluate the comparator DMN on `MODEL_TEST_RESULT` into `NOTIFIERS`.

    `NOTIFIERS` lists every matched row (its outputs, e.g. who to notify and how), for the
    diagram to act on.

    The DMN is found as for `ModelTestResultEval`; without one the task fails (FAILURE).
    """
    evaluation, _ = _judge(ctx, "notifiers")
    return {"NOTIFIERS": [dict(row) for row in evaluation.rows]}
