"""Keep an instance's task tree small, so loops run at flat cost.

SpiffWorkflow's task tree is an append-only history: every loop iteration adds tasks, deeper.
Per-step cost and stored state grow with it, and once a task sits 1000 levels deep
`do_engine_steps()` silently stops seeing it (research/spiffworkflow-3.2.md §5.7). History is
kept in the database instead, so after every step the engine prunes what no task will read:

1. finished sub-trees hanging from finished tasks (or from a waiting catch event whose
   repeating timer spawned them) are dropped, with their sub-processes;
2. finished tasks with a single finished child are spliced out of the chain.

What stays: every unfinished task with its direct parent (joins inspect it), the boundary or
start-event split an unfinished join still has to find, and the root.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

__all__ = ["compact"]

_FINISHED = TaskState.FINISHED_MASK


def compact(top: Any) -> None:
    """Prune finished history from `top` and its sub-workflows, in place."""
    _drop_finished_subprocesses(top)
    for workflow in [top, *list(top.subprocesses.values())]:
        _prune(workflow, top)
    top.last_task = None


def _finished(task: Any) -> bool:
    return bool(task._state & _FINISHED)


def _drop_finished_subprocesses(top: Any) -> None:
    for task_id in list(top.subprocesses):
        if task_id not in top.subprocesses:
            continue
        task = _task(top, task_id)
        if task is None or _finished(task):
            _delete_subprocess(top, task_id)


def _task(top: Any, task_id: Any) -> Any:
    """The task `task_id` of the workflow or its sub-workflows, or None when it is gone."""
    try:
        return top.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def _delete_subprocess(top: Any, task_id: Any) -> None:
    """Drop a sub-workflow and those nested in it.

    SpiffWorkflow's `delete_subprocess` looks each nested sub-workflow's task up and fails
    when pruning (or an error that cancelled a multi-instance body) already removed it; the
    sub-workflows are keyed by their task's id, so they are dropped by key here.
    """
    subprocess = top.subprocesses.pop(task_id, None)
    if subprocess is None:
        return
    for child_id, child in list(top.subprocesses.items()):
        if child.parent_workflow is subprocess:
            _delete_subprocess(top, child_id)


def _open_below(workflow: Any) -> set[Any]:
    """The ids of the tasks that are unfinished or have an unfinished descendant.

    A task is created after its parent (compaction only ever re-attaches a task to an
    ancestor), so walking the task dict backwards visits children before their parents.
    """
    open_ids: set[Any] = set()
    for task in reversed(workflow.tasks.values()):
        if task.id in open_ids or not task._state & _FINISHED:
            open_ids.add(task.id)
            open_ids.add(task._parent)
    return open_ids


def _protected_splits(workflow: Any) -> set[Any]:
    """Ancestors that unfinished structured joins will look up with `find_ancestor`."""
    protected = set()
    for task in workflow.tasks.values():
        split_name = getattr(task.task_spec, "split_task", None)
        if split_name is None or _finished(task):
            continue
        ancestor = task.parent
        while ancestor is not None:
            if ancestor.task_spec.name == split_name:
                protected.add(ancestor.id)
                break
            ancestor = ancestor.parent
    return protected


def _remove_subtree(workflow: Any, top: Any, task: Any) -> None:
    tasks = workflow.tasks
    stack = [task.id]
    while stack:
        task_id = stack.pop()
        current = tasks.pop(task_id, None)
        if current is None:
            continue
        if task_id in top.subprocesses:
            top.delete_subprocess(current)
        stack.extend(current._children)


def _prune(workflow: Any, top: Any) -> None:
    tasks = workflow.tasks
    root_id = workflow.task_tree.id
    open_below = _open_below(workflow)

    # 1. Drop finished sub-trees whose parent no longer cares about them.
    for task in list(tasks.values()):
        if task.id == root_id or task.id not in tasks or task.id in open_below:
            continue
        parent = tasks.get(task._parent)
        if parent is None:
            continue
        if _finished(parent) or isinstance(parent.task_spec, CatchingEvent):
            parent._children.remove(task.id)
            _remove_subtree(workflow, top, task)

    # 2. Splice finished links out of chains.
    protected = _protected_splits(workflow)
    for task in list(tasks.values()):
        if task.id == root_id or task.id not in tasks or task.id in protected:
            continue
        if not _finished(task) or len(task._children) != 1:
            continue
        child = tasks.get(task._children[0])
        parent = tasks.get(task._parent)
        if child is None or parent is None or not _finished(child):
            continue
        position = parent._children.index(task.id)
        parent._children[position] = child.id
        child._parent = parent.id
        del tasks[task.id]
