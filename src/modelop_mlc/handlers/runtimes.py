"""Delegates for runtimes (ModelOp's engines): find, read, change, stop.

A runtime is named by `ENGINE_INSTANCE` (ModelOp's name for it in diagrams), `RUNTIME_NAME`
or `NAME`, or given whole as `RUNTIME`. Batch runtimes have no endpoints, online ones do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.center import RecordEditing
from modelop_mlc.domain import Runtime
from modelop_mlc.handlers._base import (
    center,
    deployable_model,
    editing,
    fail,
    modelop,
    patch_input,
    text_input,
)
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_NAMES = ("ENGINE_INSTANCE", "RUNTIME_NAME", "NAME")


@modelop(
    "GetRuntimesByTag",
    inputs=("TAG",),
    outputs=("RUNTIMES",),
    required=("TAG",),
)
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
    return deployable_model(ctx).all_tags


@modelop(
    "GetCompatibleEngine",
    inputs=("DEPLOYABLE_MODEL", "TAG", "MODEL_STAGE", "STAGE"),
    outputs=("RUNTIMES", "ONLINE_RUNTIMES", "BATCH_RUNTIMES"),
)
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


@modelop(
    "StopEngine",
    asynchronous=True,
    inputs=("ENGINE_INSTANCE", "RUNTIME_NAME"),
    outputs=("ENGINE_STATE",),
)
def stop_engine(ctx: DelegateContext) -> dict[str, Any]:
    """Stop the runtime named `ENGINE_INSTANCE` into `ENGINE_STATE`."""
    name = text_input(ctx, "ENGINE_INSTANCE", "RUNTIME_NAME")
    if name is None:
        raise fail(ctx, "variable ENGINE_INSTANCE is not set")
    return {"ENGINE_STATE": center(ctx).stop_engine(name)}


def _name(ctx: DelegateContext) -> str:
    name = text_input(ctx, *_NAMES)
    if name is None:
        runtime = ctx.get("RUNTIME")
        if isinstance(runtime, Mapping) and runtime.get("name"):
            return str(runtime["name"])
        raise fail(ctx, "variable ENGINE_INSTANCE (or RUNTIME_NAME, or RUNTIME) is not set")
    return name


@modelop("GetRuntimeByName", inputs=_NAMES, outputs=("RUNTIME",))
def get_runtime_by_name(ctx: DelegateContext) -> dict[str, Any]:
    """Read the runtime `ENGINE_INSTANCE` (or `RUNTIME_NAME`, `NAME`) into `RUNTIME`."""
    return {"RUNTIME": center(ctx).get_runtime(_name(ctx)).to_variable()}


@modelop(
    "UpdateRuntime",
    asynchronous=True,
    inputs=("RUNTIME",),
    outputs=("RUNTIME",),
    needs=(RecordEditing,),
    required=("RUNTIME",),
)
def update_runtime(ctx: DelegateContext) -> dict[str, Any]:
    """Replace the runtime of the same name with `RUNTIME` (as the diagram changed it)."""
    value = ctx.get("RUNTIME")
    if not isinstance(value, Mapping) or not value.get("name"):
        raise fail(ctx, "variable RUNTIME must be a runtime with its name")
    updated = editing(ctx).update_runtime(Runtime.from_variable(value))
    return {"RUNTIME": updated.to_variable()}


@modelop(
    "PatchEngine",
    asynchronous=True,
    inputs=(*_NAMES, "RUNTIME", "PATCH"),
    outputs=("RUNTIME",),
    needs=(RecordEditing,),
    required=("PATCH",),
)
def patch_engine(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` (camelCase fields, e.g. `tags`) to the runtime into `RUNTIME`."""
    patch = patch_input(ctx)
    return {"RUNTIME": editing(ctx).patch_runtime(_name(ctx), patch).to_variable()}
