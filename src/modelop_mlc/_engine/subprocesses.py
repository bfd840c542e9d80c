"""BPMN error propagation and event sub-processes, the way Camunda 7 does them.

SpiffWorkflow catches a targeted error at any waiting boundary event of the target workflow and
never starts an event sub-process for it; interrupting event sub-processes do not interrupt.
Here an error travels outwards from the activity that threw it: boundary events on that
activity, then event sub-processes of the enclosing scope, then boundary events on the enclosing
sub-process, and so on up to the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.host import JournalEntry, JournalKind

__all__ = [
    "catcher_for",
    "event_subprocess_catching",
    "event_subprocesses_catching",
    "interrupt_scope",
    "new_boundary_path",
    "propagate_targeted",
    "scope_interrupted",
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


def _boundary_catcher(task: Any, event: Any) -> Any | None:
    """The waiting boundary event on `task`'s activity that catches `event`, if any."""
    split = _boundary_split(task)
    if split is None:
        return None
    for child in split.children:
        spec = child.task_spec
        if child is task or not hasattr(spec, "cancel_activity"):
            continue
        if child.state == TaskState.WAITING and spec.event_definition.catches(child, event):
            return child
    return None


def _catch_at_boundary(task: Any, event: Any) -> bool:
    catcher = _boundary_catcher(task, event)
    if catcher is None:
        return False
    catcher.task_spec.catch(catcher, event)
    catcher.task_spec._update(catcher)
    return True


def event_subprocesses_catching(workflow: Any, event: Any) -> Iterator[tuple[str, Any]]:
    """`(event sub-process spec name, its start event spec)` of `workflow` catching `event`."""
    for spec_name in getattr(workflow.spec.start, "trigger_specs", []):
        sp_spec = workflow.top_workflow.subprocess_specs.get(spec_name)
        if sp_spec is None:
            continue
        for start_spec in sp_spec.bpmn_start_events:
            if start_spec.event_definition == event.event_definition:
                yield spec_name, start_spec


def event_subprocess_catching(workflow: Any, event: Any) -> tuple[str, Any] | None:
    """The first event sub-process of `workflow` whose start event catches `event`."""
    return next(event_subprocesses_catching(workflow, event), None)


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
    found = event_subprocess_catching(workflow, event)
    if found is None:
        return False
    spec_name, start_spec = found
    child_id = trigger_event_subprocess(workflow, spec_name)
    subprocess = workflow.top_workflow.subprocesses[child_id]
    for candidate in subprocess.get_tasks(state=TaskState.WAITING):
        if candidate.task_spec is start_spec or candidate.task_spec.name == start_spec.name:
            candidate.task_spec.catch(candidate, event)
            candidate.task_spec._update(candidate)
            return True
    return False


def _outwards(task: Any) -> Iterator[Any]:
    """`task`, then the sub-process tasks enclosing it, innermost first."""
    current = task
    top = task.workflow.top_workflow
    while current is not None:
        yield current
        parent_id = current.workflow.parent_task_id
        current = None if parent_id is None else top.get_task_from_id(parent_id)


def propagate_targeted(task: Any, event: Any) -> bool:
    """Deliver an error or escalation thrown at `task`; True if some handler caught it."""
    for current in _outwards(task):
        if _catch_at_boundary(current, event):
            return True
        if start_event_subprocess_for(current, event):
            return True
    return False


def catcher_for(task: Any, event: Any) -> bool | None:
    """How `event` thrown at `task` would be caught: True interrupting, False not, None uncaught.

    The same search as `propagate_targeted`, without catching anything.
    """
    for current in _outwards(task):
        boundary = _boundary_catcher(current, event)
        if boundary is not None:
            return bool(boundary.task_spec.cancel_activity)
        found = event_subprocess_catching(current.workflow, event)
        if found is not None:
            spec = current.workflow.spec.task_specs.get(found[0])
            return bool(getattr(spec, "interrupting", True))
    return None


def new_boundary_path(task: Any) -> None:
    """A non-interrupting boundary event fires again: a new path; the event keeps waiting.

    Camunda 7 fires a non-interrupting boundary event every time its event occurs while the
    activity runs; SpiffWorkflow completes the event task the first time.
    """
    spec = task.task_spec
    engine = task.workflow.script_engine
    for kind in (JournalKind.ACTIVITY_START, JournalKind.ACTIVITY_END):
        engine.journal(task, JournalEntry(kind, spec.bpmn_id, spec.bpmn_name, "boundaryEvent"))
    for output in spec.outputs:
        child = task._add_child(output, TaskState.FUTURE)
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)


_INTERRUPTED = "mlc_interrupted"  # on a scope's root task: an interrupting event sub-process ran


def scope_interrupted(workflow: Any) -> bool:
    """Whether an interrupting event sub-process started in `workflow` (no other one will)."""
    return bool(workflow.task_tree.internal_data.get(_INTERRUPTED))


def interrupt_scope(event_subprocess_task: Any) -> None:
    """Cancel every unfinished task of the scope an interrupting event sub-process runs in.

    From then on no event sub-process of the scope starts (Camunda 7 removes the scope's
    event subscriptions when an interrupting one starts).
    """
    workflow = event_subprocess_task.workflow
    workflow.task_tree.internal_data[_INTERRUPTED] = event_subprocess_task.task_spec.name
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
