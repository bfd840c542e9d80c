"""How a `TicketContext` (kept in `modelop_mlc.ports`) is read from variables and snapshots."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from modelop_mlc.domain import NOT_JUDGED
from modelop_mlc.ports import ModelChange, TicketContext, TicketKind

__all__ = ["ModelChange", "TicketContext", "TicketKind", "context_from_variables", "diff_models"]

ALL_PASSED = "All criteria passed"
_METADATA = (
    "name",
    "description",
    "type",
    "group",
    "modelFramework",
    "modelMethodology",
    "modelStage",
)


# -------------------------------------------------------------------------- diff


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _model_part(model: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a DeployableModel (or StoredModel) dict into (snapshot, metadata)."""
    if not model:
        return {}, {}
    stored = model.get("storedModel") if isinstance(model.get("storedModel"), Mapping) else model
    meta = stored.get("modelMetaData") if isinstance(stored, Mapping) else None
    return dict(model), dict(meta) if isinstance(meta, Mapping) else {}


def _assets(model: Mapping[str, Any]) -> dict[str, str]:
    """Assets by a stable label, each with a fingerprint of what it holds."""
    assets = model.get("deployableModelAssets") or None
    if assets is None and isinstance(model.get("storedModel"), Mapping):
        assets = model["storedModel"].get("modelAssets")
    if assets is None:
        assets = model.get("modelAssets")
    result: dict[str, str] = {}
    for asset in assets or []:
        if not isinstance(asset, Mapping):
            continue
        name = asset.get("filename") or asset.get("name") or asset.get("fileUrl") or "asset"
        label = f"asset {name} ({asset.get('assetRole', 'UNKNOWN')})"
        content = asset.get("fileContent")
        reference = asset.get("contentHash")
        kept: Mapping[str, Any] = reference if isinstance(reference, Mapping) else {}
        if content is not None:
            digest = hashlib.sha256(str(content).encode()).hexdigest()[:12]
            result[label] = f"content {digest}"
        elif kept.get("hexString"):  # kept by the center: the same fingerprint
            result[label] = f"content {str(kept['hexString'])[:12]}"
        else:
            result[label] = str(asset.get("fileUrl") or asset.get("id") or "")
    return result


def diff_models(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[ModelChange]:
    """List what changed between two snapshots (ModelOp `DeployableModel` dicts).

    Metadata (name, description, type, group, framework, methodology, stage, custom
    entries), snapshot tags and assets are compared; assets are matched by file name and
    role, and an asset whose content or location differs is reported as changed. Without a
    previous snapshot nothing is reported.

    Args:
        previous: The previous snapshot (`PREVIOUS_DEPLOYABLE_MODEL`), or None.
        current: This snapshot (`DEPLOYABLE_MODEL`); a `StoredModel` dict works too.

    Returns:
        The changes, metadata first, then tags, then assets (sorted by label).
    """
    if not previous:
        return []
    old_model, old_meta = _model_part(previous)
    new_model, new_meta = _model_part(current)
    changes: list[ModelChange] = []
    for name in _METADATA:
        before, after = old_meta.get(name), new_meta.get(name)
        if before != after:
            changes.append(
                ModelChange(
                    what=name,
                    before=None if before is None else _text(before),
                    after=None if after is None else _text(after),
                )
            )
    old_custom = old_meta.get("custom") or {}
    new_custom = new_meta.get("custom") or {}
    for name in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(name) != new_custom.get(name):
            changes.append(
                ModelChange(
                    what=f"custom.{name}",
                    before=_text(old_custom[name]) if name in old_custom else None,
                    after=_text(new_custom[name]) if name in new_custom else None,
                )
            )
    old_tags = old_model.get("tags", old_meta.get("tags")) or []
    new_tags = new_model.get("tags", new_meta.get("tags")) or []
    if sorted(old_tags) != sorted(new_tags):
        changes.append(ModelChange(what="tags", before=_text(old_tags), after=_text(new_tags)))
    old_assets, new_assets = _assets(old_model), _assets(new_model)
    for label in sorted(set(old_assets) | set(new_assets)):
        before, after = old_assets.get(label), new_assets.get(label)
        if before != after:
            changes.append(ModelChange(what=label, before=before, after=after))
    return changes


# -------------------------------------------------------------------------- variables


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _failing_reasons(passed: Any, message: Any) -> list[str]:
    """Split ModelOp's `TEST_RESULT_MESSAGE` ("reason; reason") into reasons, when it failed."""
    text = _str(message)
    if text is None or text == ALL_PASSED or passed is True:
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def context_from_variables(
    kind: TicketKind | str,
    variables: Mapping[str, Any],
    *,
    instance_id: str | None = None,
    activity_id: str | None = None,
    activity_name: str | None = None,
    instance_link: str | None = None,
) -> TicketContext:
    """Build a `TicketContext` from ModelOp's process variables.

    Reads `DEPLOYABLE_MODEL`, `STORED_MODEL`, `PREVIOUS_DEPLOYABLE_MODEL` (for the changes),
    `MODEL_TEST_RESULT` (its `testResults`), `TEST_RESULT` and `TEST_RESULT_MESSAGE` (the
    DMN's verdict and failing reasons), `JOB`, `ERROR_MESSAGE`, `MESSAGE`, `SUMMARY` and
    `TICKET_FIELDS` (extra fields by name). Missing or oddly shaped variables are skipped:
    a ticket about a failure must still be opened when the failure left variables unset.

    Args:
        kind: Why the ticket is opened.
        variables: Process variables (and task inputs, which win).
        instance_id: The process instance.
        activity_id: The task opening the ticket.
        activity_name: Its name.
        instance_link: A URL template for the instance page, with `{instance_id}`.

    Returns:
        The context.
    """
    snapshot = _mapping(variables.get("DEPLOYABLE_MODEL"))
    stored = _mapping(snapshot.get("storedModel")) or _mapping(variables.get("STORED_MODEL"))
    meta = _mapping(stored.get("modelMetaData"))
    test = _mapping(variables.get("MODEL_TEST_RESULT"))
    metrics = test.get("testResults", test.get("test_results"))
    passed = variables.get("TEST_RESULT")
    if passed is None and isinstance(test.get("testResultPassed"), bool):
        passed = test["testResultPassed"]
    message = variables.get("TEST_RESULT_MESSAGE") or test.get("testResultMessage")
    # Results no DMN judged are never shown as passed (or failed), whatever TEST_RESULT says.
    unjudged = variables.get("TEST_RESULT_JUDGED") is False or str(message or "").startswith(
        NOT_JUDGED
    )
    if unjudged:
        passed = None
    job = _mapping(variables.get("JOB"))
    version = snapshot.get("version")
    links: dict[str, str] = {}
    if instance_link and instance_id:
        links["Process instance"] = instance_link.format(instance_id=instance_id)
    extra = _mapping(variables.get("TICKET_FIELDS"))
    previous = variables.get("PREVIOUS_DEPLOYABLE_MODEL")
    return TicketContext(
        kind=TicketKind(kind),
        summary=_str(variables.get("SUMMARY")),
        message=_str(variables.get("MESSAGE")),
        model_name=_str(meta.get("name")),
        model_type=_str(meta.get("type")),
        model_version=version if isinstance(version, int) else None,
        model_tags=[str(t) for t in snapshot.get("tags") or meta.get("tags") or []],
        model_group=_str(meta.get("group")),
        model_description=_str(meta.get("description")),
        stored_model_id=_str(stored.get("id")),
        snapshot_id=_str(snapshot.get("id")),
        changes=diff_models(_mapping(previous), snapshot) if snapshot else [],
        test_results=dict(metrics) if isinstance(metrics, Mapping) else {},
        test_passed=passed if isinstance(passed, bool) else None,
        test_note=_str(message) if unjudged else None,
        failing_reasons=[] if unjudged else _failing_reasons(passed, message),
        job_id=_str(job.get("id")),
        job_type=_str(job.get("jobType")),
        job_status=_str(job.get("jobStatus")),
        job_message=_str(job.get("message")),
        error_message=_str(variables.get("ERROR_MESSAGE")),
        instance_id=instance_id,
        activity_id=activity_id,
        activity_name=activity_name,
        links=links,
        fields=dict(extra),
    )
