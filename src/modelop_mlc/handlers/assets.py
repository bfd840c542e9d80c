"""Delegates for assets: data files, outputs, required assets, external files.

Roles are ModelOp's (`TEST_DATA`, `COMPARATOR_DATA`, `REQUIRED_ASSETS`, ...); a role this
library does not know is used as it is. The snapshot's own assets come first, then its
stored model's, where ModelOp keeps some (a comparator attached later, required assets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelop_mlc.center import CatalogueQueries, ExternalFiles
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeployedModel,
    open_value,
)
from modelop_mlc.handlers._base import (
    as_asset,
    as_assets,
    center,
    deployable_model,
    external_files,
    fail,
    modelop,
    queries,
    record_id,
    text_input,
)
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []


def _role(ctx: DelegateContext, default: str | None) -> AssetRole | str | None:
    role = text_input(ctx, "ASSET_ROLE", "ROLE") or default
    return open_value(AssetRole, role) if role is not None else None


@modelop(
    "FindDeployableModelAssets",
    inputs=("DEPLOYABLE_MODEL", "ASSET_ROLE"),
    outputs=("ASSETS",),
    required=("DEPLOYABLE_MODEL",),
    defaults={
        "ASSET_ROLE": "every role",
    },
)
def find_deployable_model_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's assets, then its stored model's (optionally with `ASSET_ROLE`).

    The list goes into `ASSETS`.
    """
    snapshot = deployable_model(ctx)
    role = _role(ctx, None)
    return {
        "ASSETS": [
            a.to_variable() for a in snapshot.all_assets if role is None or a.asset_role == role
        ]
    }


def _with_role(snapshot: DeployableModel, role: AssetRole | str | None) -> list[Asset]:
    """The snapshot's assets with `role`, else its stored model's."""
    own = [a for a in snapshot.deployable_model_assets if a.asset_role == role]
    return own or [a for a in snapshot.stored_model.model_assets if a.asset_role == role]


@modelop(
    "GetFileAssets",
    inputs=("DEPLOYABLE_MODEL", "ASSET_ROLE"),
    outputs=("FILE_ASSETS", "FILE_ASSET"),
    required=("DEPLOYABLE_MODEL",),
    defaults={
        "ASSET_ROLE": "TEST_DATA",
    },
)
def get_file_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the snapshot's file assets with one role into `FILE_ASSETS`.

    `ASSET_ROLE` defaults to TEST_DATA; the snapshot's own assets, else its stored
    model's. `FILE_ASSET` is the first one (or null).
    """
    snapshot = deployable_model(ctx)
    assets = [a.to_variable() for a in _with_role(snapshot, _role(ctx, AssetRole.TEST_DATA))]
    return {"FILE_ASSETS": assets, "FILE_ASSET": assets[0] if assets else None}


@modelop(
    "GetLatestFileAsset",
    inputs=("DEPLOYABLE_MODEL", "ASSET_ROLE"),
    outputs=("FILE_ASSET",),
    required=("DEPLOYABLE_MODEL",),
    defaults={
        "ASSET_ROLE": "TEST_DATA",
    },
)
def get_latest_file_asset(ctx: DelegateContext) -> dict[str, Any]:
    """Find the newest asset with `ASSET_ROLE` (default TEST_DATA) into `FILE_ASSET`.

    Newest by `createdDate`; among assets without one, the last listed. Null when none.
    """
    snapshot = deployable_model(ctx)
    assets = _with_role(snapshot, _role(ctx, AssetRole.TEST_DATA))
    dated = [a for a in assets if a.created_date is not None]
    latest = max(dated, key=_created) if dated else (assets[-1] if assets else None)
    return {"FILE_ASSET": latest.to_variable() if latest else None}


def _created(asset: Asset) -> datetime:
    return asset.created_date or datetime.min.replace(tzinfo=UTC)


@modelop(
    "CreateEmptyExternalFileAsset",
    inputs=("FILE_NAME", "FILE_FORMAT", "FILE_URL", "ASSET_ROLE"),
    outputs=("FILE_ASSET",),
    defaults={
        "FILE_NAME": "output.json",
        "FILE_FORMAT": "by the file name's extension, else JSON",
        "FILE_URL": "an embedded file",
        "ASSET_ROLE": "SCORING_OUTPUT",
    },
)
def create_empty_external_file_asset(ctx: DelegateContext) -> dict[str, Any]:
    """Create an output asset into `FILE_ASSET`.

    It is described by `FILE_NAME`, `FILE_FORMAT` (by the extension, else JSON), `FILE_URL`
    (embedded when none) and `ASSET_ROLE` (SCORING_OUTPUT by default).
    """
    name = text_input(ctx, "FILE_NAME") or "output.json"
    file_format = (
        text_input(ctx, "FILE_FORMAT") or ("CSV" if name.endswith(".csv") else "JSON")
    ).upper()
    asset = center(ctx).create_external_file_asset(
        filename=name,
        file_format=file_format,
        role=text_input(ctx, "ASSET_ROLE") or "SCORING_OUTPUT",
        file_url=text_input(ctx, "FILE_URL"),
    )
    return {"FILE_ASSET": asset.to_variable()}


@modelop(
    "CaptureDownloadToAsset",
    inputs=("URL", "FILE_URL", "FILE_NAME", "FILE_FORMAT", "ASSET_ROLE"),
    outputs=("FILE_ASSET",),
    notes={
        "LocalCenter": "`file://` URLs under the data roots",
        "RestCenter": "files on the center's host",
    },
    defaults={
        "FILE_NAME": "the URL's file name",
        "FILE_FORMAT": "by the file name's extension, else JSON",
        "ASSET_ROLE": "UNKNOWN",
    },
)
def capture_download_to_asset(ctx: DelegateContext) -> dict[str, Any]:
    """Download `URL` (or `FILE_URL`) into an embedded asset in `FILE_ASSET`.

    The center fetches it: LocalCenter reads `file://` URLs under its data roots,
    RestCenter files on the center's own host. `FILE_NAME`, `FILE_FORMAT` and `ASSET_ROLE`
    describe the asset (by default the URL's file name, CSV or JSON by its extension, and
    UNKNOWN).
    """
    url = text_input(ctx, "URL", "FILE_URL")
    if url is None:
        raise fail(ctx, "variable URL is not set")
    name = text_input(ctx, "FILE_NAME") or url.rstrip("/").rsplit("/", 1)[-1] or "download"
    file_format = (
        text_input(ctx, "FILE_FORMAT") or ("CSV" if name.lower().endswith(".csv") else "JSON")
    ).upper()
    source = Asset(asset_type=AssetType.EXTERNAL_FILE, file_url=url, filename=name)
    content = center(ctx).read_asset(source)
    asset = Asset(
        name=name,
        filename=name,
        asset_role=_role(ctx, AssetRole.UNKNOWN) or AssetRole.UNKNOWN,
        file_format=file_format,
        file_content=content,
        file_size=len(content.encode()),
    )
    return {"FILE_ASSET": asset.to_variable()}


@modelop(
    "GetExternalFileForMocAsset",
    asynchronous=True,
    inputs=("ASSET", "FILE_ASSET", "FILE_URL"),
    outputs=("EXTERNAL_FILE_ASSET",),
    needs=(ExternalFiles,),
    notes={"RestCenter": "assets that are external files already"},
    defaults={
        "FILE_URL": "a file under the first data root (LocalCenter)",
    },
)
def get_external_file_for_moc_asset(ctx: DelegateContext) -> dict[str, Any]:
    """Turn `ASSET` (or `FILE_ASSET`) into an external file in `EXTERNAL_FILE_ASSET`.

    An external asset is returned as it is. LocalCenter writes an embedded one to
    `FILE_URL` (or under its first data root); ModelOp Center's REST API has no call for
    that, so RestCenter fails the task for an embedded asset.
    """
    asset = as_asset(ctx.get("ASSET") or ctx.get("FILE_ASSET"))
    if asset is None:
        raise fail(ctx, "variable ASSET (or FILE_ASSET) is not set")
    external = external_files(ctx).external_file_for(asset, file_url=text_input(ctx, "FILE_URL"))
    return {"EXTERNAL_FILE_ASSET": external.to_variable()}


def _requirements(ctx: DelegateContext, snapshot: DeployableModel) -> list[dict[str, Any]]:
    """The required-asset entries: ModelOp's `requiredAssets`, or the REQUIRED_ASSETS file."""
    listed = (snapshot.stored_model.model_extra or {}).get("requiredAssets")
    if isinstance(listed, list) and listed:
        return [dict(r) for r in listed if isinstance(r, Mapping)]
    files = [a for a in snapshot.all_assets if a.asset_role == AssetRole.REQUIRED_ASSETS]
    if not files:
        return []
    text = center(ctx).read_asset(files[0])
    try:
        parsed = json.loads(text)
    except ValueError as err:
        raise fail(ctx, f"the REQUIRED_ASSETS file '{files[0].label}' is not JSON: {err}") from err
    if not isinstance(parsed, list):
        raise fail(ctx, f"the REQUIRED_ASSETS file '{files[0].label}' must hold a JSON list")
    return [dict(r) for r in parsed if isinstance(r, Mapping)]


def _satisfies(asset: Asset, requirement: Mapping[str, Any]) -> bool:
    role = requirement.get("assetRole")
    if role and role not in {"UNKNOWN", asset.asset_role}:
        return False
    for field in ("name", "filename"):
        pattern = requirement.get(field)
        if pattern and not any(re.fullmatch(str(pattern), n) for n in asset.names()):
            return False
    return True


@modelop(
    "GetModelRequiredAssets",
    inputs=("DEPLOYABLE_MODEL",),
    outputs=("INPUT_ASSETS", "ADDITIONAL_ASSETS"),
    required=("DEPLOYABLE_MODEL",),
)
def get_model_required_assets(ctx: DelegateContext) -> dict[str, Any]:
    """Find the assets the model says it needs into `INPUT_ASSETS` and `ADDITIONAL_ASSETS`.

    The needs are the stored model's `requiredAssets`, else its REQUIRED_ASSETS file
    (`required_assets.json`): entries with `usage` INPUT_ASSET or ADDITIONAL_ASSET, an
    `assetRole` and optionally `name`/`filename` patterns. Each is matched against the
    snapshot's and its stored model's assets (an asset is used once).
    """
    snapshot = deployable_model(ctx)
    pool = [a for a in snapshot.all_assets if a.asset_role != AssetRole.REQUIRED_ASSETS]
    found: dict[str, list[dict[str, Any]]] = {"INPUT_ASSETS": [], "ADDITIONAL_ASSETS": []}
    used: set[int] = set()
    for requirement in _requirements(ctx, snapshot):
        target = (
            "ADDITIONAL_ASSETS"
            if requirement.get("usage") == "ADDITIONAL_ASSET"
            else "INPUT_ASSETS"
        )
        for index, asset in enumerate(pool):
            if index not in used and _satisfies(asset, requirement):
                used.add(index)
                found[target].append(asset.to_variable())
                break
    return found


@modelop(
    "AddReferenceModelAssets",
    inputs=("REFERENCE_MODEL", "ASSET_ROLES", "ADDITIONAL_ASSETS"),
    outputs=("ADDITIONAL_ASSETS",),
    required=("REFERENCE_MODEL",),
    defaults={
        "ASSET_ROLES": "TRAINING_DATA, TEST_DATA, BASELINE_DATA, COMPARATOR_DATA",
        "ADDITIONAL_ASSETS": "an empty list",
    },
)
def add_reference_model_assets(ctx: DelegateContext) -> dict[str, Any]:
    """Append the assets of `REFERENCE_MODEL` (a snapshot or its id) to `ADDITIONAL_ASSETS`.

    `ASSET_ROLES` (a list, or comma-separated) keeps only those roles; by default the data
    roles (TRAINING_DATA, TEST_DATA, BASELINE_DATA, COMPARATOR_DATA).
    """
    reference = deployable_model(ctx, "REFERENCE_MODEL", "REFERENCE_MODEL_ID")
    roles = ctx.get("ASSET_ROLES") or [
        AssetRole.TRAINING_DATA,
        AssetRole.TEST_DATA,
        AssetRole.BASELINE_DATA,
        AssetRole.COMPARATOR_DATA,
    ]
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    wanted = {str(r) for r in roles}
    current = as_assets(ctx.get("ADDITIONAL_ASSETS"))
    added = [a for a in reference.all_assets if str(a.asset_role) in wanted]
    return {"ADDITIONAL_ASSETS": [a.to_variable() for a in (*current, *added)]}


@modelop(
    "FindDeployedModelAdditionalAssets",
    inputs=("DEPLOYED_MODEL", "DEPLOYED_MODEL_ID"),
    outputs=("ASSETS",),
    needs=(CatalogueQueries,),
)
def find_deployed_model_additional_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the additional assets of `DEPLOYED_MODEL` (or `DEPLOYED_MODEL_ID`) into `ASSETS`."""
    value = ctx.get("DEPLOYED_MODEL")
    if isinstance(value, Mapping) and "additionalAssets" in value:
        deployed = DeployedModel.from_variable(value)
    else:
        deployed_id = record_id(ctx, "DEPLOYED_MODEL", "DEPLOYED_MODEL_ID")
        if deployed_id is None:
            raise fail(ctx, "variable DEPLOYED_MODEL is not set")
        deployed = _deployed(ctx, deployed_id)
    return {"ASSETS": [a.to_variable() for a in deployed.additional_assets]}


def _deployed(ctx: DelegateContext, deployed_id: str) -> DeployedModel:
    return queries(ctx).get_deployed_model(deployed_id)
