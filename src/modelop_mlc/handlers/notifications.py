"""Delegates for ModelOp Center's notifications: record, read and change them.

The message is `MESSAGE` or `NOTIFICATION_MESSAGE` (ModelOp's diagrams use the latter), the
severity `SEVERITY` or `NOTIFICATION_SEVERITY` (INFO, WARNING, ERROR). The model concerned is
`DEPLOYABLE_MODEL`'s, else `STORED_MODEL`'s, else the job's snapshot, else `MODEL_ID`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelop_mlc.center import NotificationInbox
from modelop_mlc.handlers._base import (
    center,
    fail,
    inbox,
    modelop,
    patch_input,
    record_id,
    text_input,
)
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
    "CreateModelChangeNotification": "MODEL_CHANGE",
    "CreateModelRiskNotification": "MODEL_RISK",
    "CreateRuntimeNotification": "RUNTIME",
}
_INPUTS = (
    "MESSAGE",
    "NOTIFICATION_MESSAGE",
    "SEVERITY",
    "NOTIFICATION_SEVERITY",
    "DEPLOYABLE_MODEL",
    "STORED_MODEL",
    "JOB",
    "MODEL_ID",
)


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
    message = text_input(ctx, "MESSAGE", "NOTIFICATION_MESSAGE")
    if message:
        return message
    job = ctx.get("JOB")
    if kind == "JOB" and isinstance(job, Mapping):
        return f"Job {job.get('id')} ended {job.get('jobStatus')}: {job.get('message') or 'ok'}"
    if kind == "TEST" and ctx.get("TEST_RESULT_MESSAGE"):
        return str(ctx.get("TEST_RESULT_MESSAGE"))
    if kind == "RUNTIME" and ctx.get("ENGINE_INSTANCE"):
        return f"Runtime {ctx.get('ENGINE_INSTANCE')}: {ctx.activity_name or ctx.activity_id}"
    return f"{ctx.activity_name or ctx.activity_id} in process {ctx.instance_id}"


def _notification_delegate(name: str, kind: str) -> None:
    def notify(ctx: DelegateContext) -> dict[str, Any]:
        default = "ERROR" if ctx.get("ERROR_MESSAGE") else "INFO"
        severity = text_input(ctx, "SEVERITY", "NOTIFICATION_SEVERITY") or default
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
    modelop(
        name,
        asynchronous=True,
        inputs=_INPUTS,
        outputs=("NOTIFICATION",),
        defaults={
            "MESSAGE": "one made from the task (and the job or test result)",
            "SEVERITY": "ERROR after a caught error (ERROR_MESSAGE is set), else INFO",
        },
    )(notify)


for _name, _kind in _TYPES.items():
    _notification_delegate(_name, _kind)


def _notification_id(ctx: DelegateContext) -> str:
    found = record_id(ctx, "NOTIFICATION_ID", "NOTIFICATION", "ID")
    if found is None:
        raise fail(ctx, "variable NOTIFICATION_ID (or NOTIFICATION) is not set")
    return found


@modelop(
    "GetNotificationById",
    inputs=("NOTIFICATION_ID", "ID"),
    outputs=("NOTIFICATION",),
    needs=(NotificationInbox,),
)
def get_notification_by_id(ctx: DelegateContext) -> dict[str, Any]:
    """Read the notification `NOTIFICATION_ID` (or `ID`) into `NOTIFICATION`."""
    note = inbox(ctx).get_notification(_notification_id(ctx))
    return {"NOTIFICATION": note.to_variable()}


@modelop(
    "GetAllNotificationsByTypeAndSeverity",
    inputs=("TYPE", "NOTIFICATION_TYPE", "SEVERITY", "NOTIFICATION_SEVERITY"),
    outputs=("NOTIFICATIONS",),
    needs=(NotificationInbox,),
)
def get_all_notifications_by_type_and_severity(ctx: DelegateContext) -> dict[str, Any]:
    """List notifications of a type and severity, newest first, into `NOTIFICATIONS`.

    `TYPE` and `SEVERITY` filter only when given.
    """
    kind = text_input(ctx, "TYPE", "NOTIFICATION_TYPE")
    severity = text_input(ctx, "SEVERITY", "NOTIFICATION_SEVERITY")
    found = inbox(ctx).find_notifications(
        type=kind.upper() if kind else None, severity=severity.upper() if severity else None
    )
    return {"NOTIFICATIONS": [n.to_variable() for n in found]}


@modelop(
    "PatchNotification",
    asynchronous=True,
    inputs=("NOTIFICATION_ID", "NOTIFICATION", "PATCH"),
    outputs=("NOTIFICATION",),
    needs=(NotificationInbox,),
    required=("PATCH",),
)
def patch_notification(ctx: DelegateContext) -> dict[str, Any]:
    """Apply `PATCH` to a notification into `NOTIFICATION`.

    The patch holds camelCase fields, e.g. `{"open": false}`.
    """
    patch = patch_input(ctx)
    note = inbox(ctx).patch_notification(_notification_id(ctx), patch)
    return {"NOTIFICATION": note.to_variable()}
