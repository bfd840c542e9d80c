"""Delegates that record notifications for people (ModelOp's `Create*Notification`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.handlers._base import center, modelop
from modelop_mlc.registry import DelegateContext

__all__: list[str] = []

_TYPES = {
    "CreateNotification": "PROCESS",
    "CreateProcessNotification": "PROCESS",
    "CreateJobNotification": "JOB",
    "CreateModelNotification": "MODEL",
    "CreateModelTestNotification": "TEST",
    "CreateModelReviewNotification": "MODEL_REVIEW",
    "CreateModelApprovalNotification": "MODEL_APPROVAL",
}


def _model_id(ctx: DelegateContext) -> str | None:
    for name in ("DEPLOYABLE_MODEL", "STORED_MODEL"):
        value = ctx.get(name)
        if isinstance(value, Mapping) and value.get("id"):
            return str(value["id"])
    job = ctx.get("JOB")
    if isinstance(job, Mapping):
        # LocalCenter's jobs name the snapshot `deployableModel`, ModelOp's `model`.
        snapshot = job.get("deployableModel") or job.get("model")
        if isinstance(snapshot, Mapping) and snapshot.get("id"):
            return str(snapshot["id"])
    model_id = ctx.get("MODEL_ID")
    return str(model_id) if model_id else None


def _message(ctx: DelegateContext, kind: str) -> str:
    message = ctx.get("MESSAGE") or ctx.get("NOTIFICATION_MESSAGE")
    if message:
        return str(message)
    job = ctx.get("JOB")
    if kind == "JOB" and isinstance(job, Mapping):
        return f"Job {job.get('id')} ended {job.get('jobStatus')}: {job.get('message') or 'ok'}"
    if kind == "TEST" and ctx.get("TEST_RESULT_MESSAGE"):
        return str(ctx.get("TEST_RESULT_MESSAGE"))
    return f"{ctx.activity_name or ctx.activity_id} in process {ctx.instance_id}"


def _notification_delegate(name: str, kind: str) -> None:
    def notify(ctx: DelegateContext) -> dict[str, Any]:
        severity = str(ctx.get("SEVERITY") or ("ERROR" if ctx.get("ERROR_MESSAGE") else "INFO"))
        note = center(ctx).create_notification(
            _message(ctx, kind),
            type=kind,
            severity=severity.upper(),
            model_id=_model_id(ctx),
            process_instance_id=ctx.instance_id,
            idempotency_key=ctx.idempotency_key,
        )
        return {"NOTIFICATION": note.to_variable()}

    notify.__doc__ = f"Record a {kind} notification (`MESSAGE`, `SEVERITY`) into `NOTIFICATION`."
    modelop(name, asynchronous=True)(notify)


for _name, _kind in _TYPES.items():
    _notification_delegate(_name, _kind)
