"""Delegates for snapshots (deployable models) and their associations (monitors, drift models).

A snapshot is named by ModelOp's `ID`, or `DEPLOYABLE_MODEL_ID`, or `MODEL_ID` (the id a
REST signal carries), or given whole as `DEPLOYABLE_MODEL`. An association links a snapshot
to another (a drift detector, a metrics model): it is kept in the snapshot's
`associatedModels`, as ModelOp does, with an `associationRole` (DATA_DRIFT_MODEL, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from modelop_mlc.center import RecordEditing
from modelop_mlc.domain import (
    AssetRole,
    AssociationRole,
    AssociationType,
    DeployableModel,
    ModelAssociation,
    open_value,
)
from modelop_mlc.handlers._base import (
    center,
    deployable_model,
    editing,
    fail,
    modelop,
    patch_input,
    query_input,
    query_matches,
    record_id,
    text_input,
)
from modelop_mlc.handlers.models import stored_model_id
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_SNAPSHOT_IDS = ("ID", "DEPLOYABLE_MODEL_ID", "MODEL_ID")


@modelop(
    "GetDeployableModelById",
    inputs=_SNAPSHOT_IDS,
    outputs=("DEPLOYABLE_MODEL", "STORED_MODEL"),
)
def get_deployable_model_by_id(ctx: DelegateContext) -> dict[str, Any]:
    """Read the snapshot `ID` (or `DEPLOYABLE_MODEL_ID`, `MODEL_ID`) into `DEPLOYABLE_MODEL`.

    ModelOp's diagrams pass `ID` (`${DRIFT_MODEL.associatedModel.id}`); a REST signal
    carries `MODEL_ID`. `STORED_MODEL` gets the snapshot's stored model.
    """
    snapshot_id = record_id(ctx, *_SNAPSHOT_IDS)
    if snapshot_id is None:
        raise fail(ctx, "variable ID (or DEPLOYABLE_MODEL_ID, or MODEL_ID) is not set")
    snapshot = center(ctx).get_deployable_model(snapshot_id)
    return {
        "DEPLOYABLE_MODEL": snapshot.to_variable(),
        "STORED_MODEL": snapshot.stored_model.to_variable(),
    }


def _snapshots(ctx: DelegateContext, **filters: Any) -> list[DeployableModel]:
    found: list[DeployableModel] = center(ctx).find_deployable_models(**filters)
    return found


@modelop("GetAllDeployableModels", inputs=("TAG",), outputs=("DEPLOYABLE_MODELS",))
def get_all_deployable_models(ctx: DelegateContext) -> dict[str, Any]:
    """List every snapshot, newest first (with `TAG`, if given), into `DEPLOYABLE_MODELS`."""
    return {
        "DEPLOYABLE_MODELS": [s.to_variable() for s in _snapshots(ctx, tag=text_input(ctx, "TAG"))]
    }


@modelop(
    "GetDeployableModelsByQuery",
    inputs=("QUERY",),
    outputs=("DEPLOYABLE_MODEL_IDS",),
    required=("QUERY",),
)
def get_deployable_models_by_query(ctx: DelegateContext) -> dict[str, Any]:
    """List the ids of the snapshots matching `QUERY` into `DEPLOYABLE_MODEL_IDS`.

    `QUERY` maps camelCase field paths to wanted values, as for stored models.
    """
    query = query_input(ctx)
    return {
        "DEPLOYABLE_MODEL_IDS": [
            s.id for s in _snapshots(ctx) if query_matches(s.to_variable(), query)
        ]
    }


def _moment(ctx: DelegateContext, name: str) -> datetime:
    text = text_input(ctx, name)
    if text is None:
        raise fail(ctx, f"variable {name} is not set")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(ctx, f"{name} '{text}' is not an ISO 8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.clock.now().tzinfo)


@modelop(
    "GetDeployableModelsByTagAndCreatedAfter",
    inputs=("TAG", "CREATED_AFTER"),
    outputs=("DEPLOYABLE_MODELS",),
    required=("TAG",),
)
def get_deployable_models_by_tag_and_created_after(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshots with `TAG` created after `CREATED_AFTER` into `DEPLOYABLE_MODELS`.

    `CREATED_AFTER` is an ISO 8601 date or date-time.
    """
    tag = text_input(ctx, "TAG")
    if tag is None:
        raise fail(ctx, "variable TAG is not set")
    after = _moment(ctx, "CREATED_AFTER")
    return {
        "DEPLOYABLE_MODELS": [
            s.to_variable()
            for s in _snapshots(ctx, tag=tag)
            if s.created_date is not None and s.created_date > after
        ]
    }


def _role(ctx: DelegateContext) -> AssociationRole | str:
    role = text_input(ctx, "ASSOCIATION_ROLE", "ROLE")
    if role is None:
        raise fail(ctx, "variable ASSOCIATION_ROLE is not set")
    return open_value(AssociationRole, role)


@modelop(
    "GetAllDeployableModelsWithAssociatedModelRole",
    inputs=("ASSOCIATION_ROLE",),
    outputs=("DEPLOYABLE_MODELS",),
    required=("ASSOCIATION_ROLE",),
)
def get_all_deployable_models_with_associated_model_role(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshots with an association of `ASSOCIATION_ROLE` into `DEPLOYABLE_MODELS`."""
    role = _role(ctx)
    return {
        "DEPLOYABLE_MODELS": [
            s.to_variable()
            for s in _snapshots(ctx)
            if any(a.association_role == role for a in s.associated_models)
        ]
    }


def _newest(ctx: DelegateContext, found: Sequence[DeployableModel], what: str) -> DeployableModel:
    if not found:
        raise fail(ctx, f"no snapshot {what}")
    return found[0]


@modelop("GetMostRecentDeployableModelByTag", inputs=("TAG",), outputs=("DEPLOYABLE_MODEL",))
def get_most_recent_deployable_model_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest snapshot with `TAG` into `DEPLOYABLE_MODEL`."""
    tag = text_input(ctx, "TAG")
    if tag is None:
        raise fail(ctx, "variable TAG is not set")
    newest = _newest(ctx, _snapshots(ctx, tag=tag), f"is tagged '{tag}'")
    return {"DEPLOYABLE_MODEL": newest.to_variable()}


@modelop(
    "GetMostRecentDeployableModelByStoredModel",
    inputs=("STORED_MODEL_ID", "ID", "STORED_MODEL"),
    outputs=("DEPLOYABLE_MODEL",),
)
def get_most_recent_deployable_model_by_stored_model(ctx: DelegateContext) -> dict[str, Any]:
    """Find the stored model's newest snapshot into `DEPLOYABLE_MODEL`."""
    model_id = stored_model_id(ctx)
    newest = _newest(ctx, _snapshots(ctx, stored_model_id=model_id), f"of stored model {model_id}")
    return {"DEPLOYABLE_MODEL": newest.to_variable()}


@modelop(
    "GetMostRecentDeployableModelIdByStoredModel",
    inputs=("STORED_MODEL_ID", "ID", "STORED_MODEL"),
    outputs=("DEPLOYABLE_MODEL_ID",),
)
def get_most_recent_deployable_model_id_by_stored_model(ctx: DelegateContext) -> dict[str, Any]:
    """Find the id of the stored model's newest snapshot into `DEPLOYABLE_MODEL_ID`."""
    model_id = stored_model_id(ctx)
    newest = _newest(ctx, _snapshots(ctx, stored_model_id=model_id), f"of stored model {model_id}")
    return {"DEPLOYABLE_MODEL_ID": newest.id}


@modelop("GetLatestDashboardSnapshot", inputs=("TAG",), outputs=("DEPLOYABLE_MODEL",))
def get_latest_dashboard_snapshot(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest snapshot of a dashboard model into `DEPLOYABLE_MODEL`.

    A dashboard model is one with a DASHBOARD_RESULT_COMPARATOR asset (the DMN that turns
    monitor results into the dashboard), as ModelOp's dashboard models carry; `TAG`
    narrows the search.
    """
    found = [
        s
        for s in _snapshots(ctx, tag=text_input(ctx, "TAG"))
        if any(a.asset_role == AssetRole.DASHBOARD_RESULT_COMPARATOR for a in s.all_assets)
    ]
    newest = _newest(ctx, found, "of a dashboard model (one with a DASHBOARD_RESULT_COMPARATOR)")
    return {"DEPLOYABLE_MODEL": newest.to_variable()}


@modelop(
    "SnapshotModel",
    asynchronous=True,
    aliases=("CreateDeployableModel",),
    inputs=("STORED_MODEL", "STORED_MODEL_ID", "TAGS"),
    outputs=("DEPLOYABLE_MODEL",),
)
def snapshot_model(ctx: DelegateContext) -> dict[str, Any]:
    """Snapshot `STORED_MODEL` (or `STORED_MODEL_ID`) with `TAGS` into `DEPLOYABLE_MODEL`."""
    model_id = record_id(ctx, "STORED_MODEL", "STORED_MODEL_ID")
    if model_id is None:
        raise fail(ctx, "variable STORED_MODEL is not set")
    tags = ctx.get("TAGS") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    snapshot = center(ctx).create_deployable_model(
        model_id, tags=list(tags), idempotency_key=ctx.idempotency_key
    )
    return {"DEPLOYABLE_MODEL": snapshot.to_variable()}


@modelop(
    "UpdateDeployableModel",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL",),
    outputs=("DEPLOYABLE_MODEL",),
    needs=(RecordEditing,),
    required=("DEPLOYABLE_MODEL",),
)
def update_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """Replace the snapshot with `DEPLOYABLE_MODEL` (as the diagram changed it)."""
    snapshot = deployable_model(ctx)
    if not snapshot.id:
        raise fail(ctx, "variable DEPLOYABLE_MODEL has no id")
    updated = editing(ctx).update_deployable_model(snapshot)
    return {"DEPLOYABLE_MODEL": updated.to_variable()}


@modelop(
    "PatchDeployableModel",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL", "ID", "DEPLOYABLE_MODEL_ID", "PATCH"),
    outputs=("DEPLOYABLE_MODEL",),
    required=("PATCH",),
)
def patch_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (a dict of camelCase fields) to the snapshot into `DEPLOYABLE_MODEL`."""
    patch = patch_input(ctx)
    snapshot_id = record_id(ctx, "DEPLOYABLE_MODEL", *_SNAPSHOT_IDS)
    if snapshot_id is None:
        raise fail(ctx, "variable DEPLOYABLE_MODEL is not set")
    updated = center(ctx).patch_deployable_model(snapshot_id, patch)
    return {"DEPLOYABLE_MODEL": updated.to_variable()}


@modelop(
    "FindDeployableModelAssociatedModels",
    inputs=("DEPLOYABLE_MODEL", "ASSOCIATION_ROLE"),
    outputs=("ASSOCIATED_MODELS",),
)
def find_deployable_model_associated_models(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's associations into `ASSOCIATED_MODELS`.

    Each has `associationRole` and `associatedModel`; `ASSOCIATION_ROLE` filters.
    """
    snapshot = deployable_model(ctx, "DEPLOYABLE_MODEL", *_SNAPSHOT_IDS)
    role = text_input(ctx, "ASSOCIATION_ROLE")
    return {
        "ASSOCIATED_MODELS": [
            a.to_variable()
            for a in snapshot.associated_models
            if role is None or a.association_role == role
        ]
    }


def associate(
    ctx: DelegateContext,
    snapshot: DeployableModel,
    other: DeployableModel,
    role: AssociationRole | str,
    key: str,
) -> ModelAssociation:
    """Add an association of `other` to `snapshot` in the center, once per `key`."""
    association_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlc:association:{key}"))
    current: DeployableModel = center(ctx).get_deployable_model(snapshot.id)
    for existing in current.associated_models:
        if existing.id == association_id:
            return existing
    association = ModelAssociation(
        id=association_id,
        association_role=role,
        association_type=AssociationType.DEPLOYABLE_MODEL_ASSOCIATION,
        associated_model=other,
    )
    entries = [a.to_variable() for a in current.associated_models]
    center(ctx).patch_deployable_model(
        snapshot.id, {"associatedModels": [*entries, association.to_variable()]}
    )
    return association


def _other_snapshot(ctx: DelegateContext) -> DeployableModel:
    value = ctx.get("ASSOCIATED_MODEL")
    if isinstance(value, Mapping) and "storedModel" in value:
        return DeployableModel.from_variable(value)
    other_id = record_id(ctx, "ASSOCIATED_MODEL", "ASSOCIATED_MODEL_ID")
    if other_id is None:
        raise fail(ctx, "variable ASSOCIATED_MODEL (or ASSOCIATED_MODEL_ID) is not set")
    found: DeployableModel = center(ctx).get_deployable_model(other_id)
    return found


@modelop(
    "CreateDeployableModelAssociation",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL", "ASSOCIATED_MODEL", "ASSOCIATED_MODEL_ID", "ASSOCIATION_ROLE"),
    outputs=("MODEL_ASSOCIATION",),
    required=("DEPLOYABLE_MODEL",),
)
def create_deployable_model_association(ctx: DelegateContext) -> dict[str, Any]:
    """Associate a snapshot with `DEPLOYABLE_MODEL` into `MODEL_ASSOCIATION`.

    `ASSOCIATED_MODEL` (a snapshot or its id) becomes an association of role
    `ASSOCIATION_ROLE`, kept in the snapshot's `associatedModels`.
    """
    snapshot = deployable_model(ctx, "DEPLOYABLE_MODEL", *_SNAPSHOT_IDS)
    association = associate(ctx, snapshot, _other_snapshot(ctx), _role(ctx), ctx.idempotency_key)
    return {"MODEL_ASSOCIATION": association.to_variable()}


def _monitors(ctx: DelegateContext) -> list[tuple[str, str | None]]:
    """(stored model name, association role or None) for each monitor asked for."""
    value = ctx.get("MONITORS") or ctx.get("MONITOR_NAMES")
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value:
        raise fail(ctx, "variable MONITORS must list the monitors' stored model names")
    found: list[tuple[str, str | None]] = []
    for item in value:
        if isinstance(item, Mapping) and item.get("name"):
            role = item.get("associationRole")
            found.append((str(item["name"]), str(role) if role else None))
        else:
            found.append((str(item), None))
    return found


@modelop(
    "AddMonitorsOnSnapshot",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL", "MONITORS", "MONITOR_NAMES"),
    outputs=("ADDED_MONITOR_NAMES", "FAILED_TO_ADD_MONITOR_NAMES"),
    required=("DEPLOYABLE_MODEL",),
)
def add_monitors_on_snapshot(ctx: DelegateContext) -> dict[str, Any]:
    """Associate the newest snapshot of each monitor in `MONITORS` with `DEPLOYABLE_MODEL`.

    `MONITORS` lists stored model names, or `{"name", "associationRole"}` objects; the role
    defaults to the monitor's `modelMetaData.defaultAssociationRole`, else METRICS_MODEL.
    Monitors without a snapshot are listed in `FAILED_TO_ADD_MONITOR_NAMES`.
    """
    snapshot = deployable_model(ctx, "DEPLOYABLE_MODEL", *_SNAPSHOT_IDS)
    added: list[str] = []
    failed: list[str] = []
    for name, role in _monitors(ctx):
        models = center(ctx).find_stored_models(name=name)
        snapshots = _snapshots(ctx, stored_model_id=models[0].id) if models else []
        if not snapshots:
            failed.append(name)
            continue
        monitor = snapshots[0]
        default = monitor.stored_model.model_meta_data.model_extra or {}
        chosen = role or str(default.get("defaultAssociationRole") or "METRICS_MODEL")
        associate(
            ctx,
            snapshot,
            monitor,
            open_value(AssociationRole, chosen),
            f"{ctx.idempotency_key}:{name}",
        )
        added.append(name)
    return {"ADDED_MONITOR_NAMES": added, "FAILED_TO_ADD_MONITOR_NAMES": failed}


@modelop(
    "GetDeployedModelSummariesSnapshotIds",
    inputs=("STATE", "DEPLOYED_STATE"),
    outputs=("DEPLOYABLE_MODEL_IDS",),
    defaults={
        "STATE": "DEPLOYED",
    },
)
def get_deployed_model_summaries_snapshot_ids(ctx: DelegateContext) -> dict[str, Any]:
    """List the ids of the deployed snapshots into `DEPLOYABLE_MODEL_IDS`.

    Snapshots with a deployment in `STATE` (DEPLOYED by default), each once.
    """
    state = (text_input(ctx, "STATE", "DEPLOYED_STATE") or "DEPLOYED").upper()
    deployed = center(ctx).find_deployed_models(state=None if state == "ANY" else state)
    return {"DEPLOYABLE_MODEL_IDS": list(dict.fromkeys(d.deployable_model.id for d in deployed))}
