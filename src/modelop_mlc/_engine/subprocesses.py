"""BPMN error propagation and event sub-processes, the way Camunda 7 does them.

SpiffWorkflow catches a targeted error at any waiting boundary event of the target workflow and
never starts an event sub-process for it; interrupting event sub-processes do not interrupt.
Here an error travels outwards from the activity that threw it: boundary events on that
activity, then event sub-processes of the enclosing scope, then boundary events on the enclosing
sub-process, and so on up to the process.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState

__all__ = [
    "interrupt_scope",
    "propagate_targeted",
    "start_event_subprocess_for",
    "trigger_event_subprocess",
]


def _boundary_split(task: Any) -> Any | None:
    """Return the boundary-event split that guards `task` (or its multi-instance body)."""
    current = task
    while current is not None and current.parent is not None:
        parent = current.parent
        if isinstance(parent.task_spec, BoundaryEventSplit):
            return parent
        if getattr(parent.task_spec, "is_mi_body", False):
            current = parent
            continue
        return None
    return None


def _catch_at_boundary(task: Any, event: Any) -> bool:
    split = _boundary_split(task)
    if split is None:
        return False
    for child in split.children:
        spec = child.task_spec
        if child is task or not hasattr(spec, "cancel_activity"):
            continue
        if child.state == TaskState.WAITING and spec.event_definition.catches(child, event):
            spec.catch(child, event)
            spec._update(child)
            return True
    return False


def trigger_event_subprocess(workflow: Any, spec_name: str) -> Any:
    """Start the event sub-process `spec_name` in `workflow`; return its task's id.

    SpiffWorkflow's `trigger_wf` connects the event sub-process to the process's start task
    in the spec, which every instance shares: every later instance would then start it with
    the process. This adds the task to this instance's tree only.
    """
    spec = workflow.spec.task_specs[spec_name]
    end = workflow.spec.end
    if end.name not in spec._outputs:
        spec.connect(end)  # the same for every instance: where the sub-process's path ends
    child = workflow.task_tree._add_child(spec, TaskState.FUTURE)
    child.triggered = True
    child.task_spec._update(child)
    return child.id


def start_event_subprocess_for(task: Any, event: Any) -> bool:
    """Start the event sub-process of `task`'s workflow whose start event catches `event`."""
    workflow = task.workflow
    start = workflow.spec.start
    for spec_name in getattr(start, "trigger_specs", []):
        sp_spec = workflow.top_workflow.subprocess_specs.get(spec_name)
        if sp_spec is None:
            continue
        for start_spec in sp_spec.bpmn_start_events:
            if start_spec.event_definition == event.event_definition:
                child_id = trigger_event_subprocess(workflow, spec_name)
                subprocess = workflow.top_workflow.subprocesses[child_id]
                for candidate in subprocess.get_tasks(state=TaskState.WAITING):
                    if candidate.task_spec is start_spec or candidate.task_spec.name == (
                        start_spec.name
                    ):
                        candidate.task_spec.catch(candidate, event)
                        candidate.task_spec._update(candidate)
                        return True
    return False


def propagate_targeted(task: Any, event: Any) -> bool:
    """Deliver an error or escalation thrown at `task`; True if some handler caught it."""
    current = task
    top = task.workflow.top_workflow
    while current is not None:
        if _catch_at_boundary(current, event):
            return True
        if start_event_subprocess_for(current, event):
            return True
        workflow = current.workflow
        if workflow.parent_task_id is None:
            return False
        current = top.get_task_from_id(workflow.parent_task_id)
    return False


def interrupt_scope(event_subprocess_task: Any) -> None:
    """Cancel every unfinished task of the scope an interrupting event sub-process runs in."""
    workflow = event_subprocess_task.workflow
    keep = set()
    current = event_subprocess_task
    while current is not None:
        keep.add(current.id)
        current = current.parent
    for task in list(workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)):
        if task.id in keep or task.id not in workflow.tasks:
            continue
        if task.has_state(TaskState.NOT_FINISHED_MASK):
            task.cancel()
