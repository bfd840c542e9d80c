"""SpiffWorkflow's workflow classes with indexed task look-ups.

SpiffWorkflow finds READY tasks (every engine round) and WAITING tasks (after every task that
completes) by walking the whole task tree through its iterator, which costs more than running
the tasks themselves. Every task is also in the workflow's `tasks` dict, so a scan of that dict
finds the same tasks without the walk. Tasks run in creation order instead of depth-first
order; BPMN leaves the order of concurrently ready activities open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.host import EngineLimits
from modelop_mlc.errors import ProcessError

__all__ = ["MlcSubWorkflow", "MlcWorkflow"]

_READY = TaskState.READY
_WAITING = TaskState.WAITING


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


class MlcSubWorkflow(BpmnSubWorkflow):
    """A sub-process workflow with indexed look-ups."""

    def update_waiting_tasks(self) -> None:
        """Update WAITING tasks (joins, catch events) after a task completed."""
        _update_waiting(self)


class MlcWorkflow(BpmnWorkflow):
    """A process instance's workflow with indexed look-ups."""

    def create_subprocess(self, my_task: Any, spec_name: str) -> Any:
        """Create a sub-process workflow of our class.

        Raises:
            ProcessError: If a call activity would nest deeper than the host allows (a
                process that calls itself, directly or through others).
        """
        if getattr(my_task.task_spec, "is_call_activity", False):
            self._check_call_depth(my_task, spec_name)
        subprocess = MlcSubWorkflow(
            self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess

    def update_waiting_tasks(self) -> None:
        """Update WAITING tasks (joins, catch events) after a task completed."""
        _update_waiting(self)

    def _check_call_depth(self, my_task: Any, spec_name: str) -> None:
        host = getattr(self.script_engine, "host", None)
        limits = getattr(host, "limits", None)
        limit = limits.max_call_depth if isinstance(limits, EngineLimits) else 20
        depth, calls = 1, [spec_name]
        workflow = my_task.workflow
        # Walk out through the enclosing sub-processes, counting call activities (a loop,
        # not recursion: the depth is what is being bounded).
        while workflow.parent_task_id is not None:
            parent = self.get_task_from_id(workflow.parent_task_id)
            if getattr(parent.task_spec, "is_call_activity", False):
                depth += 1
                calls.append(parent.task_spec.spec)
            workflow = parent.workflow
        if depth > limit:
            chain = " -> ".join(reversed(calls[:5])) + (" -> ..." if len(calls) > 5 else "")  # noqa: PLR2004
            raise ProcessError(
                f"call activity '{my_task.task_spec.bpmn_id}' would nest {depth} call "
                f"activities deep (at most {limit}): {chain}. A process that calls itself "
                "needs an end condition; raise ManagerConfig.max_call_depth if the nesting "
                "is intended",
                instance_id=getattr(host, "instance_id", None),
                activity_id=my_task.task_spec.bpmn_id,
            )

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
