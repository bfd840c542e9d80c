"""Delegates for runtimes, deployments, schedules and expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from modelop_mlc.domain import DeployedModel, DeploymentType, Runtime, Schedule
from modelop_mlc.handlers._base import center, deployable_model, fail, modelop
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []


@modelop("GetRuntimesByTag")
def get_runtimes_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """List runtimes tagged `TAG` into `RUNTIMES`."""
    tag = ctx.get("TAG")
    if not tag:
        raise fail(ctx, "variable TAG is not set")
    return {"RUNTIMES": [r.to_variable() for r in center(ctx).list_runtimes(tag=str(tag))]}


def _service_tags(ctx: DelegateContext) -> list[str]:
    tag = ctx.get("TAG")
    if tag:
        return [str(tag)]
    snapshot = deployable_model(ctx)
    return [*snapshot.tags, *snapshot.stored_model.model_meta_data.tags]


@modelop("GetCompatibleEngine")
def get_compatible_engine(ctx: DelegateContext) -> dict[str, Any]:
    """Find runtimes that can run `DEPLOYABLE_MODEL`.

    Find runtimes for `DEPLOYABLE_MODEL`: one of its service tags (or `TAG`), its model type,
    and `MODEL_STAGE`/`STAGE` if given, into `RUNTIMES`, `ONLINE_RUNTIMES` and
    `BATCH_RUNTIMES` (batch runtimes have no endpoints).
    """
    snapshot = deployable_model(ctx)
    model_type = snapshot.stored_model.model_meta_data.type
    stage = ctx.get("MODEL_STAGE") or ctx.get("STAGE")
    tags = set(_service_tags(ctx))
    matches = [
        r
        for r in center(ctx).list_runtimes()
        if tags & set(r.tags)
        and (not r.supported_model_types or model_type in r.supported_model_types)
        and (stage is None or (r.stage is not None and r.stage == str(stage).upper()))
    ]
    return {
        "RUNTIMES": [r.to_variable() for r in matches],
        "ONLINE_RUNTIMES": [r.to_variable() for r in matches if not r.batch],
        "BATCH_RUNTIMES": [r.to_variable() for r in matches if r.batch],
    }


@modelop("StopEngine", asynchronous=True)
def stop_engine(ctx: DelegateContext) -> dict[str, Any]:
    """Stop the runtime named `ENGINE_INSTANCE` into `ENGINE_STATE`."""
    name = ctx.get("ENGINE_INSTANCE")
    if not name:
        raise fail(ctx, "variable ENGINE_INSTANCE is not set")
    return {"ENGINE_STATE": center(ctx).stop_engine(str(name))}


def _runtime(ctx: DelegateContext) -> Runtime:
    value = ctx.get("RUNTIME")
    if isinstance(value, Mapping):
        return Runtime.from_variable(value)
    for name in ("ENGINE_INSTANCE", "RUNTIME_NAME"):
        if ctx.get(name):
            return center(ctx).get_runtime(str(ctx.get(name)))  # type: ignore[no-any-return]
    runtimes = ctx.get("RUNTIMES")
    if isinstance(runtimes, list) and runtimes:
        return Runtime.from_variable(runtimes[0])
    raise fail(ctx, "no runtime: set RUNTIME, ENGINE_INSTANCE or RUNTIMES")


@modelop("DeployModel", asynchronous=True)
def deploy_model(ctx: DelegateContext) -> dict[str, Any]:
    """Deploy `DEPLOYABLE_MODEL` to a runtime into `DEPLOYED_MODEL`.

    Deploy `DEPLOYABLE_MODEL` to `RUNTIME` (or `ENGINE_INSTANCE`, or the first of
    `RUNTIMES`) into `DEPLOYED_MODEL`: batch when the runtime has no endpoints, else online.
    """
    snapshot = deployable_model(ctx)
    runtime = _runtime(ctx)
    deployed = center(ctx).deploy_model(snapshot, runtime, idempotency_key=ctx.idempotency_key)
    return {"DEPLOYED_MODEL": deployed.to_variable()}


def _deployed(ctx: DelegateContext, *, batch_only: bool) -> list[DeployedModel]:
    tag = ctx.get("TAG")
    stage = ctx.get("MODEL_STAGE") or ctx.get("STAGE")
    found = center(ctx).find_deployed_models(
        tag=str(tag) if tag else None, stage=str(stage).upper() if stage else None, state="DEPLOYED"
    )
    return [d for d in found if not batch_only or d.kind == DeploymentType.BATCH]


@modelop("GetDeployedModels")
def get_deployed_models(ctx: DelegateContext) -> dict[str, Any]:
    """List deployments into `DEPLOYED_MODELS` (newest first).

    Optional filters: `TAG`, `MODEL_STAGE`, `STORED_MODEL_ID` and `DEPLOYED_STATE` (default
    DEPLOYED; `ANY` for every state). `DEPLOYED_MODEL` is the newest match (or null).
    """
    state = str(ctx.get("DEPLOYED_STATE") or "DEPLOYED").upper()
    tag, stage, stored = ctx.get("TAG"), ctx.get("MODEL_STAGE"), ctx.get("STORED_MODEL_ID")
    found = [
        d.to_variable()
        for d in center(ctx).find_deployed_models(
            tag=str(tag) if tag else None,
            stage=str(stage).upper() if stage else None,
            state=None if state == "ANY" else state,
            stored_model_id=str(stored) if stored else None,
        )
    ]
    return {"DEPLOYED_MODELS": found, "DEPLOYED_MODEL": found[0] if found else None}


@modelop("FindMostRecentBatchDeployedModels")
def find_most_recent_batch_deployed_models(ctx: DelegateContext) -> dict[str, Any]:
    """Find the batch deployments of `TAG`.

    Batch deployments in DEPLOYED state for `TAG` (and `MODEL_STAGE`) into
    `DEPLOYED_MODELS`; `DEPLOYED_MODEL` is the newest (or null).
    """
    found = [d.to_variable() for d in _deployed(ctx, batch_only=True)]
    return {"DEPLOYED_MODELS": found, "DEPLOYED_MODEL": found[0] if found else None}


@modelop("GetMostRecentDeployedModelByTag")
def get_most_recent_deployed_model_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """The newest deployment for `TAG` into `DEPLOYED_MODEL`."""
    found = _deployed(ctx, batch_only=False)
    if not found:
        raise fail(ctx, f"no model is deployed for tag '{ctx.get('TAG')}'")
    return {"DEPLOYED_MODEL": found[0].to_variable()}


@modelop("AddDeployedModelSchedules", asynchronous=True)
def add_deployed_model_schedules(ctx: DelegateContext) -> dict[str, Any]:
    """Add schedules to `DEPLOYED_MODEL`.

    Add `SCHEDULES` (or copy those of `PREVIOUS_DEPLOYED_MODEL`, else of the model's
    previous deployment on the same runtime) to `DEPLOYED_MODEL`.
    """
    value = ctx.get("DEPLOYED_MODEL")
    if not isinstance(value, Mapping):
        raise fail(ctx, "variable DEPLOYED_MODEL is not set")
    deployed = DeployedModel.from_variable(value)
    schedules = ctx.get("SCHEDULES")
    if schedules is None:
        previous = ctx.get("PREVIOUS_DEPLOYED_MODEL")
        if isinstance(previous, Mapping):
            schedules = previous.get("schedules") or []
        else:
            earlier = [
                d
                for d in center(ctx).find_deployed_models(
                    stored_model_id=deployed.deployable_model.stored_model.id
                )
                if d.id != deployed.id and d.target.name == deployed.target.name
            ]
            schedules = [s.to_variable() for s in earlier[0].schedules] if earlier else []
    parsed = [Schedule.from_variable(s).to_variable() for s in schedules]
    updated = center(ctx).patch_deployed_model(
        deployed.id, {"schedules": [*[s.to_variable() for s in deployed.schedules], *parsed]}
    )
    return {"DEPLOYED_MODEL": updated.to_variable()}


@modelop("SetDeployedModelExpiration", asynchronous=True)
def set_deployed_model_expiration(ctx: DelegateContext) -> dict[str, Any]:
    """Set `DEPLOYED_MODEL`'s expiration to `EXPIRATION_DATE` (ISO date), else one year on."""
    value = ctx.get("DEPLOYED_MODEL")
    if not isinstance(value, Mapping):
        raise fail(ctx, "variable DEPLOYED_MODEL is not set")
    text = ctx.get("EXPIRATION_DATE")
    try:
        expires = (
            datetime.fromisoformat(str(text)) if text else ctx.clock.now() + timedelta(days=365)
        )
    except ValueError as err:
        raise fail(ctx, f"EXPIRATION_DATE '{text}' is not an ISO date") from err
    updated = center(ctx).patch_deployed_model(
        str(value["id"]), {"expirationDate": expires.isoformat()}
    )
    return {"DEPLOYED_MODEL": updated.to_variable()}


@modelop("FindAllDeployedModelsExpiring")
def find_all_deployed_models_expiring(ctx: DelegateContext) -> dict[str, Any]:
    """Find deployments that expire soon.

    Deployments in DEPLOYED state expiring within `DAYS` days (default 30) into
    `DEPLOYED_MODELS`.
    """
    days = float(ctx.get("DAYS") or 30)
    horizon = ctx.clock.now() + timedelta(days=days)
    found = [
        d.to_variable()
        for d in center(ctx).find_deployed_models(state="DEPLOYED")
        if d.expiration_date is not None and d.expiration_date <= horizon
    ]
    return {"DEPLOYED_MODELS": found}


@modelop("PatchDeployedModel", asynchronous=True)
def patch_deployed_model(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` to `DEPLOYED_MODEL` into `DEPLOYED_MODEL`.

    `PATCH` is a map of ModelOp's camelCase fields, e.g. `deployedState: UNDEPLOYED` to take
    a deployment out of service; `DEPLOYED_MODEL` is a deployment or its id.
    """
    value = ctx.get("DEPLOYED_MODEL")
    deployed_id = value.get("id") if isinstance(value, Mapping) else value
    if not deployed_id:
        raise fail(ctx, "variable DEPLOYED_MODEL is not set")
    patch = ctx.get("PATCH")
    if not isinstance(patch, Mapping) or not patch:
        raise fail(ctx, "variable PATCH must be a map of the fields to change")
    updated = center(ctx).patch_deployed_model(str(deployed_id), dict(patch))
    return {"DEPLOYED_MODEL": updated.to_variable()}
