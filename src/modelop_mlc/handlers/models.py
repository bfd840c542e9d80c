"""Delegates for stored models and their audit trail (ModelOp's names and variables).

A stored model is named by `STORED_MODEL_ID` (ModelOp's `ID` and `MODEL_ID` are accepted
too) or given whole as `STORED_MODEL`. Queries (`QUERY`) are maps of camelCase field paths to
the value wanted, e.g. `{"modelMetaData.type": "PYTHON3", "modelMetaData.tags": "jira"}`: a
list field matches when it contains the value, a list value when any of its items matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.center import AuditTrail, RecordEditing
from modelop_mlc.domain import AssetRole as Role
from modelop_mlc.domain import StoredModel, open_value
from modelop_mlc.handlers._base import (
    audit_trail,
    center,
    editing,
    fail,
    modelop,
    patch_input,
    query_input,
    query_matches,
    record_id,
    text_input,
)
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_MODEL_IDS = ("STORED_MODEL_ID", "ID", "MODEL_ID", "STORED_MODEL")


def stored_model_id(ctx: DelegateContext) -> str:
    """The stored model the task is about: its id, or `STORED_MODEL`'s.

    Raises:
        BpmnError: FAILURE, when none is set.
    """
    found = record_id(ctx, *_MODEL_IDS)
    if found is None:
        raise fail(ctx, "variable STORED_MODEL_ID (or ID, or STORED_MODEL) is not set")
    return found


def _stored(ctx: DelegateContext) -> StoredModel:
    value = ctx.get("STORED_MODEL")
    if isinstance(value, Mapping) and "modelMetaData" in value:
        return StoredModel.from_variable(value)
    found: StoredModel = center(ctx).get_stored_model(stored_model_id(ctx))
    return found


@modelop(
    "GetStoredModelById",
    inputs=("STORED_MODEL_ID", "ID", "MODEL_ID"),
    outputs=("STORED_MODEL",),
)
def get_stored_model_by_id(ctx: DelegateContext) -> dict[str, Any]:
    """Read the stored model `STORED_MODEL_ID` (or `ID`, `MODEL_ID`) into `STORED_MODEL`."""
    return {"STORED_MODEL": center(ctx).get_stored_model(stored_model_id(ctx)).to_variable()}


@modelop("GetStoredModels", inputs=("TAG",), outputs=("STORED_MODELS",))
def get_stored_models(ctx: DelegateContext) -> dict[str, Any]:
    """List every stored model (with `TAG` among its tags, if given) into `STORED_MODELS`."""
    tag = text_input(ctx, "TAG")
    models = center(ctx).find_stored_models()
    return {
        "STORED_MODELS": [
            m.to_variable() for m in models if tag is None or tag in m.model_meta_data.tags
        ]
    }


@modelop(
    "GetStoredModelsByName",
    inputs=("NAME", "MODEL_NAME"),
    outputs=("STORED_MODELS",),
)
def get_stored_models_by_name(ctx: DelegateContext) -> dict[str, Any]:
    """List the stored models called `NAME` (or `MODEL_NAME`) into `STORED_MODELS`."""
    name = text_input(ctx, "NAME", "MODEL_NAME")
    if name is None:
        raise fail(ctx, "variable NAME is not set")
    return {"STORED_MODELS": [m.to_variable() for m in center(ctx).find_stored_models(name=name)]}


@modelop(
    "GetStoredModelsByQuery",
    inputs=("QUERY",),
    outputs=("STORED_MODEL_IDS",),
    required=("QUERY",),
)
def get_stored_models_by_query(ctx: DelegateContext) -> dict[str, Any]:
    """List the ids of the stored models matching `QUERY` into `STORED_MODEL_IDS`.

    Newest first; see the module for how a query matches.
    """
    query = query_input(ctx)
    return {
        "STORED_MODEL_IDS": [
            m.id for m in center(ctx).find_stored_models() if query_matches(m.to_variable(), query)
        ]
    }


@modelop(
    "UpdateStoredModel",
    asynchronous=True,
    inputs=("STORED_MODEL",),
    outputs=("STORED_MODEL",),
    needs=(RecordEditing,),
    required=("STORED_MODEL",),
)
def update_stored_model(ctx: DelegateContext) -> dict[str, Any]:
    """Replace the stored model with `STORED_MODEL` (as the diagram changed it)."""
    value = ctx.get("STORED_MODEL")
    if not isinstance(value, Mapping) or not value.get("id"):
        raise fail(ctx, "variable STORED_MODEL must be a stored model with its id")
    updated = editing(ctx).update_stored_model(StoredModel.from_variable(value))
    return {"STORED_MODEL": updated.to_variable()}


@modelop(
    "PatchStoredModel",
    asynchronous=True,
    inputs=("STORED_MODEL_ID", "ID", "STORED_MODEL", "PATCH"),
    outputs=("STORED_MODEL",),
    needs=(RecordEditing,),
    required=("PATCH",),
)
def patch_stored_model(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (camelCase fields) to the stored model into `STORED_MODEL`."""
    patch = patch_input(ctx)
    updated = editing(ctx).patch_stored_model(stored_model_id(ctx), patch)
    return {"STORED_MODEL": updated.to_variable()}


@modelop(
    "FindStoredModelAssets",
    inputs=("STORED_MODEL", "STORED_MODEL_ID", "ASSET_ROLE"),
    outputs=("ASSETS",),
)
def find_stored_model_assets(ctx: DelegateContext) -> dict[str, Any]:
    """List the stored model's assets (with `ASSET_ROLE`, if given) into `ASSETS`."""
    model = _stored(ctx)
    role = text_input(ctx, "ASSET_ROLE", "ROLE")
    wanted = open_value(Role, role) if role else None
    return {
        "ASSETS": [
            a.to_variable() for a in model.model_assets if wanted is None or a.asset_role == wanted
        ]
    }


@modelop(
    "FindAllAuditRecordsForStoredModel",
    inputs=("STORED_MODEL_ID", "ID", "STORED_MODEL"),
    outputs=("AUDIT_RECORDS",),
    needs=(AuditTrail,),
)
def find_all_audit_records_for_stored_model(ctx: DelegateContext) -> dict[str, Any]:
    """List the stored model's audit records, newest first, into `AUDIT_RECORDS`."""
    records = audit_trail(ctx).find_audit_records(stored_model_id(ctx))
    return {"AUDIT_RECORDS": [r.to_variable() for r in records]}


@modelop(
    "PatchAuditRecord",
    asynchronous=True,
    inputs=("AUDIT_RECORD", "AUDIT_RECORD_ID", "PATCH"),
    outputs=("AUDIT_RECORD",),
    needs=(AuditTrail,),
    required=("PATCH",),
)
def patch_audit_record(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` to an audit record into `AUDIT_RECORD`.

    The record is `AUDIT_RECORD_ID`, or `AUDIT_RECORD`'s id.
    """
    found = record_id(ctx, "AUDIT_RECORD_ID", "AUDIT_RECORD", "ID")
    if found is None:
        raise fail(ctx, "variable AUDIT_RECORD_ID (or AUDIT_RECORD) is not set")
    record = audit_trail(ctx).patch_audit_record(found, patch_input(ctx))
    return {"AUDIT_RECORD": record.to_variable()}
