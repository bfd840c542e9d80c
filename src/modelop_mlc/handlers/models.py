"""Delegates for stored models, snapshots and assets (ModelOp's names and variables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.domain import AssetRole
from modelop_mlc.handlers._base import center, deployable_model, fail, modelop
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []


@modelop("GetStoredModelById")
def get_stored_model_by_id(ctx: DelegateContext) -> dict[str, Any]:
    """Read `STORED_MODEL_ID` (or `MODEL_ID`) into `STORED_MODEL`."""
    model_id = ctx.get("STORED_MODEL_ID") or ctx.get("MODEL_ID")
    if not model_id:
        raise fail(ctx, "variable STORED_MODEL_ID is not set")
    return {"STORED_MODEL": center(ctx).get_stored_model(str(model_id)).to_variable()}


@modelop("GetDeployableModelById")
def get_deployable_model_by_id(ctx: DelegateContext) -> dict[str, Any]:
    """Read `MODEL_ID` (a snapshot id) or `DEPLOYABLE_MODEL_ID` into `DEPLOYABLE_MODEL`."""
    snapshot_id = ctx.get("DEPLOYABLE_MODEL_ID") or ctx.get("MODEL_ID")
    if not snapshot_id:
        raise fail(ctx, "variable MODEL_ID is not set")
    snapshot = center(ctx).get_deployable_model(str(snapshot_id))
    return {
        "DEPLOYABLE_MODEL": snapshot.to_variable(),
        "STORED_MODEL": snapshot.stored_model.to_variable(),
    }


@modelop("GetMostRecentDeployableModelByTag")
def get_most_recent_deployable_model_by_tag(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest snapshot with `TAG` into `DEPLOYABLE_MODEL`."""
    tag = ctx.get("TAG")
    if not tag:
        raise fail(ctx, "variable TAG is not set")
    found = center(ctx).find_deployable_models(tag=str(tag))
    if not found:
        raise fail(ctx, f"no snapshot is tagged '{tag}'")
    return {"DEPLOYABLE_MODEL": found[0].to_variable()}


@modelop("SnapshotModel", asynchronous=True, aliases=("CreateDeployableModel",))
def snapshot_model(ctx: DelegateContext) -> dict[str, Any]:
    """Snapshot `STORED_MODEL` (or `STORED_MODEL_ID`) with `TAGS` into `DEPLOYABLE_MODEL`."""
    stored = ctx.get("STORED_MODEL")
    model_id = stored.get("id") if isinstance(stored, Mapping) else ctx.get("STORED_MODEL_ID")
    if not model_id:
        raise fail(ctx, "variable STORED_MODEL is not set")
    tags = ctx.get("TAGS") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    snapshot = center(ctx).create_deployable_model(
        str(model_id), tags=list(tags), idempotency_key=ctx.idempotency_key
    )
    return {"DEPLOYABLE_MODEL": snapshot.to_variable()}


@modelop("PatchDeployableModel", asynchronous=True)
def patch_deployable_model(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (a dict of camelCase fields) to `DEPLOYABLE_MODEL`."""
    snapshot = deployable_model(ctx)
    patch = ctx.get("PATCH")
    if not isinstance(patch, Mapping):
        raise fail(ctx, "variable PATCH must be a dict of fields to change")
    updated = center(ctx).patch_deployable_model(snapshot.id, patch)
    return {"DEPLOYABLE_MODEL": updated.to_variable()}


def _role(ctx: DelegateContext, default: str | None) -> str | None:
    role = ctx.get("ASSET_ROLE") or ctx.get("ROLE") or default
    if role is not None and str(role) not in AssetRole.__members__:
        raise fail(ctx, f"unknown asset role '{role}'; one of {', '.join(AssetRole)}")
    return str(role) if role is not None else None


@modelop("FindDeployableModelAssets")
def find_deployable_model_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's assets (optionally with `ASSET_ROLE`) into `ASSETS`."""
    snapshot = deployable_model(ctx)
    role = _role(ctx, None)
    assets = [
        a.to_variable()
        for a in snapshot.deployable_model_assets
        if role is None or a.asset_role == role
    ]
    return {"ASSETS": assets}


@modelop("GetFileAssets")
def get_file_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's file assets with one role.

    List the snapshot's file assets with `ASSET_ROLE` (default TEST_DATA) into
    `FILE_ASSETS`; `FILE_ASSET` is the first one (or null).
    """
    snapshot = deployable_model(ctx)
    role = _role(ctx, AssetRole.TEST_DATA.value)
    assets = [a.to_variable() for a in snapshot.assets_with_role(role or "")]
    return {"FILE_ASSETS": assets, "FILE_ASSET": assets[0] if assets else None}


@modelop("CreateEmptyExternalFileAsset")
def create_empty_external_file_asset(ctx: DelegateContext) -> dict[str, Any]:
    """Create an output asset into `FILE_ASSET`.

    Create an output asset from `FILE_NAME`, `FILE_FORMAT` (and `FILE_URL`) into
    `FILE_ASSET`.
    """
    name = ctx.get("FILE_NAME") or "output.json"
    file_format = str(
        ctx.get("FILE_FORMAT") or ("CSV" if str(name).endswith(".csv") else "JSON")
    ).upper()
    asset = center(ctx).create_external_file_asset(
        filename=str(name),
        file_format=file_format,
        role=str(ctx.get("ASSET_ROLE") or "SCORING_OUTPUT"),
        file_url=ctx.get("FILE_URL"),
    )
    return {"FILE_ASSET": asset.to_variable()}
