"""SpiffWorkflow's task and workflow classes, with indexed look-ups and lazy logging.

SpiffWorkflow finds READY tasks (every engine round) and WAITING tasks (after every task that
completes) by walking the whole task tree through its iterator, which costs more than running
the tasks themselves. Every task is also in the workflow's `tasks` dict, so a scan of that dict
finds the same tasks without the walk. Tasks run in creation order instead of depth-first
order; BPMN leaves the order of concurrently ready activities open.

SpiffWorkflow 3.2.0 also builds its logging extras on every state change, and walks the whole
tree for them when a workflow is created or completes, whether or not anything logs them (its
test is `logger.level < 20`, true for a logger left at NOTSET). `MlcTask` and the workflow
classes here log the same records with the same extras, built only when a record is emitted.
The methods they replace are copies of 3.2.0's; `SPIFF_SOURCES` holds digests of the originals
and `tests/engine/test_spiff_logging.py` fails when an upgrade changes any of them.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.subprocesses import (
    event_subprocesses_catching,
    scope_interrupted,
    trigger_event_subprocess,
)

__all__ = [
    "SPIFF_SOURCES",
    "MlcEventManager",
    "MlcSubWorkflow",
    "MlcTask",
    "MlcWorkflow",
    "TaskId",
]

_READY = TaskState.READY
_CANONICAL = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WAITING = TaskState.WAITING
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK

# SpiffWorkflow's own loggers: records keep their names, so hosts' logging setups still apply.
_task_log = logging.getLogger("spiff.task")
_workflow_log = logging.getLogger("spiff.workflow")

SPIFF_SOURCES: dict[str, str] = {
    "SpiffWorkflow.task.Task._set_state": "86c4c1d22dc9b70f",
    "SpiffWorkflow.task.Task._add_child": "05ec96e943da475e",
    "SpiffWorkflow.task.Task.collect_log_extras": "3cec699a9a43616a",
    "SpiffWorkflow.workflow.Workflow.__init__": "a179a75739481275",
    "SpiffWorkflow.workflow.Workflow._mark_complete": "32b3db77f3c421f6",
    "SpiffWorkflow.workflow.Workflow.is_completed": "4f7a3c15bec818e9",
    "SpiffWorkflow.workflow.Workflow.collect_log_extras": "888ba42a9b91ba27",
}
"""SpiffWorkflow 3.2.0 members replaced or relied on here: their source's sha256 (16 digits)."""


class TaskId(UUID):
    """A task's id that keeps its text once made.

    A step turns its tasks' ids into text dozens of times (history, state, delegate calls),
    and `UUID.__str__` formats the number anew each time. Equal to, and hashing like, the
    `UUID` of the same value, so look-ups with either kind find the task.
    """

    __slots__ = ("_text",)
    _text: str

    def __init__(self, text: str | None = None) -> None:
        """The id written as `text`, or a new random (version 4) one."""
        if text is None:
            super().__init__(bytes=os.urandom(16), version=4)
        else:
            super().__init__(text)
            if _CANONICAL.fullmatch(text):  # as `UUID.__str__` writes it (stored states are)
                object.__setattr__(self, "_text", text)  # UUID forbids plain attribute writes

    def __repr__(self) -> str:
        """As a `UUID`'s."""
        return f"UUID('{self}')"

    def __str__(self) -> str:
        """The id as text (`UUID`'s, made once)."""
        try:
            return self._text
        except AttributeError:
            text = UUID.__str__(self)
            object.__setattr__(self, "_text", text)
            return text


class MlcTask(Task):
    """A task whose log extras are built only when a log record is emitted.

    Children are `MlcTask`s too, so every task of a workflow planted by `MlcWorkflow` (or
    loaded by `state.load_workflow`) is one. Their ids are `TaskId`s.
    """

    _state: int
    last_state_change: float

    def __init__(
        self,
        workflow: Any,
        task_spec: Any,
        parent: Any = None,
        state: int = TaskState.MAYBE,
        id: UUID | None = None,  # noqa: A002 - SpiffWorkflow's parameter name
    ) -> None:
        """SpiffWorkflow's task, with a `TaskId` unless given an id."""
        super().__init__(workflow, task_spec, parent, state, id or TaskId())

    def _set_state(self, value: int) -> None:
        """Force the state (SpiffWorkflow 3.2.0's, logging lazily)."""
        if value != self._state:
            # SpiffWorkflow's own ordering stamp (its joins sort tasks by it), kept as
            # SpiffWorkflow takes it: a host's ManualClock would tie every task. Nothing
            # of ours reads it; history and timers take the injected Clock.
            now = time.time()
            elapsed = now - self.last_state_change
            self.last_state_change = now
            self._state = value
            if _task_log.isEnabledFor(logging.INFO):
                _task_log.info(
                    f"State changed to {TaskState.get_name(value)}",
                    extra=self.collect_log_extras({"elapsed": elapsed}),
                )
        elif _task_log.isEnabledFor(logging.DEBUG):
            _task_log.debug(
                f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras()
            )

    def _add_child(self, task_spec: Any, state: int = TaskState.MAYBE) -> Task:
        """Add a child task of this class (SpiffWorkflow 3.2.0's `_add_child`)."""
        if self.has_state(TaskState.PREDICTED_MASK) and state & TaskState.PREDICTED_MASK == 0:
            raise WorkflowException(
                "Attempt to add non-predicted child to predicted task", task_spec=self.task_spec
            )
        task = MlcTask(self.workflow, task_spec, self, state=state)
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task


def _plant_root(workflow: Any) -> None:
    """Create the root task as SpiffWorkflow's `Workflow.__init__` does, logging lazily."""
    workflow.task_tree = MlcTask(workflow, workflow.spec.start, state=TaskState.FUTURE)
    workflow.task_tree.task_spec._predict(workflow.task_tree, mask=_NOT_FINISHED)
    if _workflow_log.isEnabledFor(logging.INFO):
        _workflow_log.info("Initialized workflow", extra=workflow.collect_log_extras())
    workflow.task_tree._ready()


def _mark_complete(workflow: Any, task: Any) -> None:
    """SpiffWorkflow 3.2.0's `Workflow._mark_complete`, logging lazily."""
    if _workflow_log.isEnabledFor(logging.INFO):
        _workflow_log.info("Workflow completed", extra=workflow.collect_log_extras())
    workflow.data.update(task.data)
    workflow.completed = True


def _is_completed(workflow: Any) -> bool:
    """Whether no task is unfinished: a scan of the task dict instead of a tree walk."""
    if not workflow.completed and not any(
        t._state & _NOT_FINISHED for t in workflow.tasks.values()
    ):
        workflow.completed = True
    return bool(workflow.completed)


def _update_waiting(workflow: Any) -> None:
    for task in [t for t in workflow.tasks.values() if t._state == _WAITING]:
        if task._state == _WAITING:
            task.task_spec._update(task)


def _run_ready(
    workflow: Any, will: Callable[[Any], None] | None, did: Callable[[Any], None] | None
) -> int:
    count = 0
    for task in [
        t for t in workflow.tasks.values() if t._state == _READY and not t.task_spec.manual
    ]:
        # An earlier task of this round may have cancelled or completed this one.
        if task._state != _READY or task.id not in workflow.tasks:
            continue
        if will is not None:
            will(task)
        task.run()
        count += 1
        if did is not None:
            did(task)
    return count


class MlcEventManager(EventManager):
    """SpiffWorkflow's event manager, starting event sub-processes as Camunda 7 does.

    A signal or message starts the event sub-process of the process whose start event catches
    it: a new one each time for a non-interrupting one, none once an interrupting one started
    (Camunda 7 removes the scope's subscriptions then). SpiffWorkflow's own way (`trigger_wf`)
    connects the event sub-process to the process's start in the spec every instance shares.
    """

    def update_collaboration(self, event: Any) -> None:
        """Start the event sub-process whose start event catches `event`, if any."""
        workflow = self.workflow
        if scope_interrupted(workflow):
            return
        for spec_name, _ in list(event_subprocesses_catching(workflow, event)):
            trigger_event_subprocess(workflow, spec_name)


class MlcSubWorkflow(BpmnSubWorkflow):
    """A sub-process workflow with indexed look-ups and lazy logging."""

    def __init__(
        self, spec: Any, parent_task_id: Any, top_workflow: Any, *, deserializing: bool = False
    ) -> None:
        """Create the sub-workflow; its root is an `MlcTask` unless it is being loaded."""
        super().__init__(spec, parent_task_id, top_workflow, deserializing=True)
        if not deserializing:
            _plant_root(self)

    def update_waiting_tasks(self) -> None:
        """Update WAITING tasks (joins, catch events) after a task completed."""
        _update_waiting(self)

    def _mark_complete(self, task: Any) -> None:
        _mark_complete(self, task)

    def is_completed(self) -> bool:
        """Whether every task of the sub-workflow has finished."""
        return _is_completed(self)


class MlcWorkflow(BpmnWorkflow):
    """A process instance's workflow with indexed look-ups and lazy logging."""

    def __init__(
        self,
        spec: Any,
        subprocess_specs: Any = None,
        script_engine: Any = None,
        *,
        deserializing: bool = False,
    ) -> None:
        """Create the workflow; its root is an `MlcTask` unless it is being loaded."""
        super().__init__(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        self.event_manager = MlcEventManager(self)
        if not deserializing:
            _plant_root(self)

    def create_subprocess(self, my_task: Any, spec_name: str) -> Any:
        """Create a sub-process workflow of our class."""
        subprocess = MlcSubWorkflow(
            self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess

    def update_waiting_tasks(self) -> None:
        """Update WAITING tasks (joins, catch events) after a task completed."""
        _update_waiting(self)

    def _mark_complete(self, task: Any) -> None:
        _mark_complete(self, task)

    def is_completed(self) -> bool:
        """Whether every task of the process (not its sub-processes) has finished."""
        return _is_completed(self)

    def _do_engine_steps(
        self, will_complete_task: Any = None, did_complete_task: Any = None
    ) -> bool:
        active = self.get_active_subprocesses()
        for subprocess in sorted(active, key=lambda sp: sp.depth, reverse=True):
            while _run_ready(subprocess, will_complete_task, did_complete_task) > 0:
                pass
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)
        count = _run_ready(self, will_complete_task, did_complete_task)
        return count > 0 or len(self.get_active_subprocesses()) > len(active)

    def has_ready_engine_task(self) -> bool:
        """Tell whether any non-manual task is READY, here or in a sub-process."""
        for workflow in (self, *self.subprocesses.values()):
            for task in workflow.tasks.values():
                if task._state == _READY and not task.task_spec.manual:
                    return True
        return False
