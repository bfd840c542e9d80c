"""Compensation as Camunda 7 runs it: handlers of completed activities, newest first.

An activity with a compensation boundary event is *compensable* once it has completed: the
activity, its handler (the activity the boundary event's association points at, marked
`isForCompensation`) and its local variables are recorded on its scope, in completion order.
A compensation throw or end event in that scope (or a transaction's cancel end event) then
runs the recorded handlers one after the other, newest first (only the `activityRef`
activity's, if given), and continues when the last handler has completed. Each completed
activity is compensated once; a multi-instance activity once per completed instance.

SpiffWorkflow has no compensation; the throwing event waits (WAITING) while its handlers run,
and its `_update` (called whenever a task of its workflow completes) starts the next one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.scope import LOCALS

__all__ = ["compensation_pending", "record_compensable"]

_RECORDED = "mlc_comp"  # on a scope's root task: [[activity id, handler spec, locals], ...]
_QUEUE = "mlc_comp_queue"  # on the throwing task: handlers still to run
_RUNNING = "mlc_comp_running"  # on the throwing task: the handler task running now


def record_compensable(task: Any) -> None:
    """Record a completed activity whose compensation handler may run later."""
    handler = getattr(task.task_spec, "compensation_handler", None)
    if handler is None:
        return
    locals_ = dict(task.internal_data.get(LOCALS) or {})
    parent = task.parent
    if parent is not None and getattr(parent.task_spec, "is_mi_body", False):
        locals_ = {**(parent.internal_data.get(LOCALS) or {}), **locals_}
    root = task.workflow.task_tree
    root.internal_data.setdefault(_RECORDED, []).append([task.task_spec.bpmn_id, handler, locals_])


def compensation_pending(task: Any, activity_ref: str | None) -> bool:
    """Start or continue compensating from the throwing `task`; True while handlers run."""
    data = task.internal_data
    if _QUEUE not in data:
        root = task.workflow.task_tree
        recorded = root.internal_data.get(_RECORDED, [])
        chosen = [r for r in recorded if activity_ref is None or r[0] == activity_ref]
        root.internal_data[_RECORDED] = [r for r in recorded if r not in chosen]
        data[_QUEUE] = list(reversed(chosen))
    running = data.get(_RUNNING)
    if running is not None:
        handler = _task(task.workflow, running)
        if handler is not None and not handler.has_state(TaskState.FINISHED_MASK):
            return True
        data.pop(_RUNNING)
    queue = data[_QUEUE]
    if not queue:
        data.pop(_QUEUE)
        return False
    _activity, handler_name, locals_ = queue.pop(0)
    data[_RUNNING] = str(_spawn(task.workflow, handler_name, locals_).id)
    return True


def _task(workflow: Any, task_id: str) -> Any | None:
    return workflow.tasks.get(UUID(task_id))


def _spawn(workflow: Any, handler_name: str, locals_: dict[str, Any]) -> Any:
    spec = workflow.spec.task_specs[handler_name]
    child = workflow.task_tree._add_child(spec, TaskState.FUTURE)
    child.triggered = True
    if locals_:
        child.internal_data[LOCALS] = dict(locals_)
    child.task_spec._update(child)
    return child
