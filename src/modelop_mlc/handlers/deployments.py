"""Delegates for deployments (ModelOp's deployed models), their schedules and expiry.

A deployment is named by `DEPLOYED_MODEL_ID` or given whole as `DEPLOYED_MODEL`; its state
by ModelOp's `STATE` (or `DEPLOYED_STATE`): DEPLOYED by default, `ANY` for every state.
The runtime is ModelOp's `engine` or this library's `runtime`, whichever the record has.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from modelop_mlc.center import DeploymentRecords
from modelop_mlc.domain import (
    AssociationRole,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    Runtime,
    Schedule,
    Stage,
    open_value,
)
from modelop_mlc.handlers._base import (
    center,
    deployable_model,
    deployment_records,
    fail,
    modelop,
    patch_input,
    record_id,
    text_input,
)
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_SNAPSHOT = ("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "ID")


def _runtime(ctx: DelegateContext) -> Runtime:
    value = ctx.get("RUNTIME")
    if isinstance(value, Mapping):
        return Runtime.from_variable(value)
    for name in ("ENGINE_INSTANCE", "RUNTIME_NAME"):
        if ctx.get(name):
            return center(ctx).get_runtime(str(ctx.get(name)))
    runtimes = ctx.get("RUNTIMES")
    if isinstance(runtimes, list) and runtimes:
        return Runtime.from_variable(runtimes[0])
    raise fail(ctx, "no runtime: set RUNTIME, ENGINE_INSTANCE or RUNTIMES")


@modelop(
    "DeployModel",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL", "RUNTIME", "ENGINE_INSTANCE", "RUNTIMES"),
    outputs=("DEPLOYED_MODEL",),
    required=("DEPLOYABLE_MODEL",),
)
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


@modelop(
    "GetDeployedModels",
    inputs=("TAG", "MODEL_STAGE", "STORED_MODEL_ID", "DEPLOYED_STATE", "STATE"),
    outputs=("DEPLOYED_MODELS", "DEPLOYED_MODEL"),
    defaults={
        "DEPLOYED_STATE": "DEPLOYED (ANY for every state)",
    },
)
def get_deployed_models(ctx: DelegateContext) -> dict[str, Any]:
    """List deployments into `DEPLOYED_MODELS` (newest first).

    Optional filters: `TAG`, `MODEL_STAGE`, `STORED_MODEL_ID` and `DEPLOYED_STATE` (default
    DEPLOYED; `ANY` for every state). `DEPLOYED_MODEL` is the newest match (or null).
    """
    state = _state(ctx)
    tag, stage, stored = ctx.get("TAG"), ctx.get("MODEL_STAGE"), ctx.get("STORED_MODEL_ID")
    found = [
        d.to_variable()
        for d in center(ctx).find_deployed_models(
            tag=str(tag) if tag else None,
            stage=str(stage).upper() if stage else None,
            state=state,
            stored_model_id=str(stored) if stored else None,
        )
    ]
    return {"DEPLOYED_MODELS": found, "DEPLOYED_MODEL": found[0] if found else None}


@modelop(
    "FindMostRecentBatchDeployedModels",
    inputs=("TAG", "MODEL_STAGE"),
    outputs=("DEPLOYED_MODEL", "DEPLOYED_MODELS"),
)
def find_most_recent_batch_deployed_models(ctx: DelegateContext) -> dict[str, Any]:
    """Find the batch deployments of `TAG`.

    Batch deployments in DEPLOYED state for `TAG` (and `MODEL_STAGE`) into
    `DEPLOYED_MODELS`; `DEPLOYED_MODEL` is the newest (or null).
    """
    found = [d.to_variable() for d in _deployed(ctx, batch_only=True)]
    return {"DEPLOYED_MODELS": found, "DEPLOYED_MODEL": found[0] if found else None}


@modelop(
    "GetMostRecentDeployedModelByTag",
    inputs=("TAG", "MODEL_STAGE"),
    outputs=("DEPLOYED_MODEL",),
)
def get_most_recent_deployed_model_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest DEPLOYED deployment for `TAG` into `DEPLOYED_MODEL` (FAILURE if none)."""
    found = _deployed(ctx, batch_only=False)
    if not found:
        raise fail(ctx, f"no model is deployed for tag '{ctx.get('TAG')}'")
    return {"DEPLOYED_MODEL": found[0].to_variable()}


@modelop(
    "AddDeployedModelSchedules",
    asynchronous=True,
    inputs=("DEPLOYED_MODEL", "SCHEDULES", "PREVIOUS_DEPLOYED_MODEL"),
    outputs=("DEPLOYED_MODEL",),
    required=("DEPLOYED_MODEL",),
    defaults={
        "SCHEDULES": "those of the previous deployment",
    },
)
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


@modelop(
    "SetDeployedModelExpiration",
    asynchronous=True,
    inputs=("DEPLOYED_MODEL", "EXPIRATION_DATE"),
    outputs=("DEPLOYED_MODEL",),
    required=("DEPLOYED_MODEL",),
    defaults={
        "EXPIRATION_DATE": "one year from now",
    },
)
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


@modelop(
    "FindAllDeployedModelsExpiring",
    inputs=("DAYS",),
    outputs=("DEPLOYED_MODELS",),
    defaults={
        "DAYS": "30",
    },
)
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


# -------------------------------------------------------------------------- more of ModelOp's


def _state(ctx: DelegateContext, default: str = "DEPLOYED") -> str | None:
    """The deployed state asked for (`STATE`, `DEPLOYED_STATE`); None for `ANY`."""
    state = (text_input(ctx, "STATE", "DEPLOYED_STATE") or default).upper()
    return None if state == "ANY" else state


def _snapshot_id(ctx: DelegateContext) -> str:
    found = record_id(ctx, *_SNAPSHOT)
    if found is None:
        raise fail(ctx, "variable DEPLOYABLE_MODEL (or DEPLOYABLE_MODEL_ID) is not set")
    return found


def _deployed_id(ctx: DelegateContext) -> str:
    found = record_id(ctx, "DEPLOYED_MODEL_ID", "DEPLOYED_MODEL")
    if found is None:
        raise fail(ctx, "variable DEPLOYED_MODEL_ID (or DEPLOYED_MODEL) is not set")
    return found


@modelop(
    "CreateDeployedModel",
    asynchronous=True,
    inputs=("DEPLOYED_MODEL", "DEPLOYABLE_MODEL", "RUNTIME", "ENGINE_INSTANCE"),
    outputs=("DEPLOYED_MODEL",),
    needs=(DeploymentRecords,),
)
def create_deployed_model(ctx: DelegateContext) -> dict[str, Any]:
    """Record a deployment into `DEPLOYED_MODEL`, deploying nothing and undeploying nothing.

    The record is `DEPLOYED_MODEL` (without an id) as given, or built from
    `DEPLOYABLE_MODEL` and `RUNTIME` (or `ENGINE_INSTANCE`).
    """
    value = ctx.get("DEPLOYED_MODEL")
    if isinstance(value, Mapping):
        deployed = DeployedModel.from_variable({k: v for k, v in value.items() if k != "id"})
    else:
        runtime = _runtime(ctx)
        deployed = DeployedModel(
            deployable_model=deployable_model(ctx),
            runtime=runtime,
            deployment_type=DeploymentType.BATCH if runtime.batch else DeploymentType.ONLINE,
        )
    made = deployment_records(ctx).create_deployed_model(
        deployed, idempotency_key=ctx.idempotency_key
    )
    return {"DEPLOYED_MODEL": made.to_variable()}


@modelop(
    "PatchDeployedModel",
    asynchronous=True,
    inputs=("DEPLOYED_MODEL_ID", "DEPLOYED_MODEL", "PATCH"),
    outputs=("DEPLOYED_MODEL",),
    required=("PATCH",),
)
def patch_deployed_model(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` to the deployment into `DEPLOYED_MODEL`.

    `PATCH` is a map of ModelOp's camelCase fields, e.g. `deployedState: UNDEPLOYED` to take
    a deployment out of service; the deployment is `DEPLOYED_MODEL_ID`, or `DEPLOYED_MODEL`
    (a deployment or its id).
    """
    patch = patch_input(ctx)
    return {
        "DEPLOYED_MODEL": center(ctx).patch_deployed_model(_deployed_id(ctx), patch).to_variable()
    }


@modelop(
    "UpdateDeployedStateForDeployableModel",
    asynchronous=True,
    inputs=(
        "DEPLOYABLE_MODEL",
        "DEPLOYABLE_MODEL_ID",
        "STATE",
        "DEPLOYED_STATE",
        "ENGINE_INSTANCE",
    ),
    outputs=("DEPLOYED_MODEL",),
)
def update_deployed_state_for_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """Set the state of the snapshot's newest deployment to `STATE` into `DEPLOYED_MODEL`.

    Only deployments on the runtime `ENGINE_INSTANCE` are considered, when it is given.
    """
    state = text_input(ctx, "STATE", "DEPLOYED_STATE")
    if state is None:
        raise fail(ctx, "variable STATE (the new deployed state) is not set")
    snapshot_id = _snapshot_id(ctx)
    engine = text_input(ctx, "ENGINE_INSTANCE")
    found = [
        d
        for d in center(ctx).find_deployed_models(deployable_model_id=snapshot_id)
        if engine is None or d.target.name == engine
    ]
    if not found:
        raise fail(ctx, f"snapshot {snapshot_id} has no deployment to change")
    updated = center(ctx).patch_deployed_model(found[0].id, {"deployedState": state.upper()})
    return {"DEPLOYED_MODEL": updated.to_variable()}


@modelop(
    "GetLatestDeployedModelByTag",
    inputs=("TAG", "STATE"),
    outputs=("DEPLOYED_MODEL",),
    required=("TAG",),
    defaults={
        "STATE": "any state",
    },
)
def get_latest_deployed_model_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest deployment for `TAG` into `DEPLOYED_MODEL` (null when there is none).

    Any state counts unless `STATE` is given.
    """
    tag = text_input(ctx, "TAG")
    if tag is None:
        raise fail(ctx, "variable TAG is not set")
    found = center(ctx).find_deployed_models(tag=tag, state=_state(ctx, "ANY"))
    return {"DEPLOYED_MODEL": found[0].to_variable() if found else None}


@modelop(
    "GetMostRecentDeployedModelForDeployableModelByState",
    inputs=("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "STATE"),
    outputs=("DEPLOYED_MODEL",),
    defaults={
        "STATE": "DEPLOYED",
    },
)
def get_most_recent_deployed_model_for_deployable_model_by_state(
    ctx: DelegateContext,
) -> dict[str, Any]:
    """Find the snapshot's newest deployment in `STATE` into `DEPLOYED_MODEL`.

    `STATE` is DEPLOYED by default; null when there is none.
    """
    found = center(ctx).find_deployed_models(
        deployable_model_id=_snapshot_id(ctx), state=_state(ctx)
    )
    return {"DEPLOYED_MODEL": found[0].to_variable() if found else None}


@modelop(
    "GetDeployedModelsByRuntimeNameAndState",
    inputs=("ENGINE_INSTANCE", "RUNTIME_NAME", "STATE"),
    outputs=("DEPLOYED_MODELS",),
    defaults={
        "STATE": "DEPLOYED",
    },
)
def get_deployed_models_by_runtime_name_and_state(ctx: DelegateContext) -> dict[str, Any]:
    """List the deployments on a runtime in a state into `DEPLOYED_MODELS`.

    The runtime is `ENGINE_INSTANCE` (or `RUNTIME_NAME`), the state `STATE` (DEPLOYED by
    default).
    """
    name = text_input(ctx, "ENGINE_INSTANCE", "RUNTIME_NAME")
    if name is None:
        raise fail(ctx, "variable ENGINE_INSTANCE (or RUNTIME_NAME) is not set")
    found = center(ctx).find_deployed_models(state=_state(ctx))
    return {"DEPLOYED_MODELS": [d.to_variable() for d in found if d.target.name == name]}


def _current(snapshots: Mapping[str, DeployableModel], deployed: DeployedModel) -> DeployedModel:
    """The deployment with its snapshot as the center holds it now (with its associations)."""
    snapshot = snapshots.get(deployed.deployable_model.id)
    if snapshot is None:
        return deployed
    return deployed.model_copy(update={"deployable_model": snapshot})


@modelop(
    "GetDeployedModelsWithStateAndDeployableAssociatedRole",
    inputs=("STATE", "ASSOCIATION_ROLE"),
    outputs=("DEPLOYED_MODELS",),
    required=("ASSOCIATION_ROLE",),
    defaults={
        "STATE": "DEPLOYED",
    },
)
def get_deployed_models_with_state_and_deployable_associated_role(
    ctx: DelegateContext,
) -> dict[str, Any]:
    """List deployments whose snapshot has an `ASSOCIATION_ROLE` into `DEPLOYED_MODELS`.

    Only deployments in `STATE` (DEPLOYED by default) count.

    ModelOp's drift MLC asks for `STATE` DEPLOYED and `ASSOCIATION_ROLE` DATA_DRIFT_MODEL,
    then reads each `deployableModel.associatedModels`: the snapshots come as the center
    holds them now, associations included.
    """
    role_name = text_input(ctx, "ASSOCIATION_ROLE")
    if role_name is None:
        raise fail(ctx, "variable ASSOCIATION_ROLE is not set")
    role = open_value(AssociationRole, role_name)
    snapshots = {s.id: s for s in center(ctx).find_deployable_models()}
    found = [_current(snapshots, d) for d in center(ctx).find_deployed_models(state=_state(ctx))]
    return {
        "DEPLOYED_MODELS": [
            d.to_variable()
            for d in found
            if any(a.association_role == role for a in d.deployable_model.associated_models)
        ]
    }


@modelop(
    "FindAllDeployedModelsExpiringByDeployableModel",
    inputs=("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID", "DAYS"),
    outputs=("DEPLOYED_MODELS",),
    defaults={
        "DAYS": "30",
    },
)
def find_all_deployed_models_expiring_by_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's deployments that expire soon into `DEPLOYED_MODELS`.

    DEPLOYED deployments expiring within `DAYS` days (30 by default).
    """
    horizon = ctx.clock.now() + timedelta(days=float(ctx.get("DAYS") or 30))
    found = center(ctx).find_deployed_models(
        deployable_model_id=_snapshot_id(ctx), state="DEPLOYED"
    )
    return {
        "DEPLOYED_MODELS": [
            d.to_variable()
            for d in found
            if d.expiration_date is not None and d.expiration_date <= horizon
        ]
    }


@modelop(
    "RefreshDeployedModelsByDeployableModel",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL", "DEPLOYABLE_MODEL_ID"),
    outputs=("DEPLOYED_MODEL_IDS",),
)
def refresh_deployed_models_by_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """Refresh the snapshot's copy in its deployments; their ids into `DEPLOYED_MODEL_IDS`.

    Each DEPLOYED deployment of the snapshot gets the snapshot as the center holds it now
    (new associations, assets, metadata).
    """
    snapshot = center(ctx).get_deployable_model(_snapshot_id(ctx))
    refreshed: list[str] = []
    for deployed in center(ctx).find_deployed_models(
        deployable_model_id=snapshot.id, state="DEPLOYED"
    ):
        center(ctx).patch_deployed_model(deployed.id, {"deployableModel": snapshot.to_variable()})
        refreshed.append(deployed.id)
    return {"DEPLOYED_MODEL_IDS": refreshed}


def _in_production(runtime: Runtime) -> bool:
    return runtime.stage == Stage.PROD or (runtime.model_extra or {}).get("inProduction") is True


@modelop(
    "GetDeployedModelAndDeployableModelIdsInProd",
    outputs=("DEPLOYED_MODEL_AND_DEPLOYABLE_MODEL_IDS",),
)
def get_deployed_model_and_deployable_model_ids_in_prod(ctx: DelegateContext) -> dict[str, Any]:
    """List production deployments into `DEPLOYED_MODEL_AND_DEPLOYABLE_MODEL_IDS`.

    DEPLOYED deployments on production runtimes (stage PROD, or ModelOp's `inProduction`),
    each as `{deployedModelId, deployableModelId}`.
    """
    return {
        "DEPLOYED_MODEL_AND_DEPLOYABLE_MODEL_IDS": [
            {"deployedModelId": d.id, "deployableModelId": d.deployable_model.id}
            for d in center(ctx).find_deployed_models(state="DEPLOYED")
            if _in_production(d.target)
        ]
    }
