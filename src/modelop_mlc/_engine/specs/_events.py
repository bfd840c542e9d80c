"""Start, end, intermediate, boundary events, and receive and send tasks without a delegate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import (
    BoundaryEventMixin,
    BpmnSpecMixin,
    EndEventMixin,
    IntermediateCatchEventMixin,
    IntermediateThrowEventMixin,
    ReceiveTaskMixin,
    SendTaskMixin,
    StartEventMixin,
)
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.compensation import compensation_pending
from modelop_mlc._engine.conditions import trigger_on_scope_start
from modelop_mlc._engine.events import FIRED_KEY, MlcCycleTimer, MlcMessageEvent, MlcSignalEvent
from modelop_mlc._engine.listeners import run_listeners
from modelop_mlc._engine.specs._activity import _STARTED_KEY, MlcActivityMixin, MlcCatchMixin
from modelop_mlc._engine.specs._subprocesses import MlcEventSubProcess
from modelop_mlc._engine.subprocesses import (
    interrupt_scope,
    new_boundary_path,
    scope_interrupted,
    trigger_event_subprocess,
)

_COMPENSATED = "mlc_compensated"
_OCCURRENCE_KEY = "mlc_occurrence"  # a timer cycle's occurrence a start event waits for
_SCOPE_KEY = "mlc_scope"  # on a scope's root task: 1 begun, 2 interrupted as it began


class MlcStartEvent(MlcCatchMixin, StartEventMixin, BpmnSpecMixin):
    """A start event. In a top-level process, only the start event the manager chose fires."""

    def _update_hook(self, my_task: Any) -> Any:
        workflow = my_task.workflow
        if self._scope_interrupted(workflow):
            return self._stay_dormant(my_task)
        if workflow.parent_task_id is None:
            chosen = workflow.task_tree.internal_data.get("mlc_start")
            if chosen is not None:
                if chosen != self.bpmn_id:
                    return self._stay_dormant(my_task)
                my_task.internal_data["event_fired"] = True
        return super()._update_hook(my_task)

    @staticmethod
    def _scope_interrupted(workflow: Any) -> bool:
        """Start the scope's conditional event sub-processes before its start event runs.

        As in Camunda 7, when the scope begins, the conditions of its event sub-processes are
        evaluated before the start event; an interrupting one that fires means the start event
        never runs. Returns whether that happened.
        """
        root = workflow.task_tree
        seen = root.internal_data.get(_SCOPE_KEY)
        if seen is None:
            if workflow.parent_task_id is None:
                run_listeners(root, getattr(workflow.spec, "process_listeners", ()), "start")
            parent = (
                workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
                if workflow.parent_task_id is not None
                else None
            )
            in_event_subprocess = parent is not None and isinstance(
                parent.task_spec, MlcEventSubProcess
            )
            interrupted = not in_event_subprocess and trigger_on_scope_start(workflow)
            seen = root.internal_data[_SCOPE_KEY] = 2 if interrupted else 1
        return bool(seen == 2)  # noqa: PLR2004 - the "interrupted" mark

    @staticmethod
    def _stay_dormant(my_task: Any) -> None:
        # Waiting without an event subscription: it never fires, and the start-event join
        # cancels it once the chosen start event completes.
        my_task._set_state(TaskState.WAITING)
        my_task.internal_data["mlc_dormant"] = 1

    def _on_complete_hook(self, my_task: Any) -> None:
        super()._on_complete_hook(my_task)
        workflow = my_task.workflow
        if workflow.parent_task_id is not None:
            parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            spec = parent.task_spec
            if isinstance(spec, MlcEventSubProcess) and spec.interrupting:
                interrupt_scope(parent)
            elif isinstance(spec, MlcEventSubProcess):
                self._next_occurrence(my_task, parent)

    def _next_occurrence(self, my_task: Any, event_subprocess: Any) -> None:
        """Wait for the next occurrence of a non-interrupting event sub-process's timer cycle.

        Camunda 7 starts such an event sub-process at every occurrence of its cycle while the
        scope runs: a new one waits for the next occurrence.
        """
        definition = self.event_definition
        if not isinstance(definition, MlcCycleTimer):
            return
        fired = my_task.internal_data.get(_OCCURRENCE_KEY, 1)
        due = my_task.internal_data.get(FIRED_KEY)
        schedule = definition.schedule(my_task)
        following = schedule.next_due(datetime.fromisoformat(due), fired) if due else None
        if following is None:
            return
        scope = event_subprocess.workflow
        if scope_interrupted(scope):
            return
        child_id = trigger_event_subprocess(scope, event_subprocess.task_spec.name)
        for task in scope.top_workflow.subprocesses[child_id].tasks.values():
            if task.task_spec.name == self.name:
                definition.reset(task)
                task.internal_data[definition.due_key()] = following.isoformat()
                task.internal_data[_OCCURRENCE_KEY] = fired + 1


class _CompensatingMixin(MlcActivityMixin):
    """Throw and end events that compensate first: compensation events, a cancel end event.

    The event begins, waits while the handlers of its scope's completed activities run
    (newest first), then goes on as any event does.
    """

    compensate: bool = False
    compensate_ref: str | None = None

    def _update_hook(self, my_task: Any) -> Any:
        if not self.compensate or my_task.internal_data.get(_COMPENSATED):
            return super()._update_hook(my_task)  # type: ignore[misc]
        if not my_task.internal_data.get(_STARTED_KEY):
            my_task.internal_data[_STARTED_KEY] = 1
            self._start(my_task)
        if compensation_pending(my_task, self.compensate_ref):
            my_task._set_state(TaskState.WAITING)
            return None
        my_task.internal_data[_COMPENSATED] = 1
        return super()._update_hook(my_task)  # type: ignore[misc]


class MlcEndEvent(_CompensatingMixin, EndEventMixin, BpmnSpecMixin):
    """An end event (none, terminate, error, escalation, message, signal, cancel, compensate)."""


class MlcIntermediateCatchEvent(MlcCatchMixin, IntermediateCatchEventMixin, BpmnSpecMixin):
    """An intermediate catch event (timer, signal, message, conditional)."""


class MlcIntermediateThrowEvent(_CompensatingMixin, IntermediateThrowEventMixin, BpmnSpecMixin):
    """An intermediate throw event (signal, message, escalation, compensation, none)."""


class MlcBoundaryEvent(MlcCatchMixin, BoundaryEventMixin, BpmnSpecMixin):
    """A boundary event, interrupting or not.

    A non-interrupting signal or message boundary event fires every time its event occurs
    while the activity runs (Camunda 7): each time a new path; the event keeps waiting.
    """

    def catch(self, my_task: Any, event: Any) -> None:
        """Catch `event`: fire once, or (non-interrupting signal, message) start a new path."""
        repeats = isinstance(self.event_definition, MlcSignalEvent | MlcMessageEvent)
        if repeats and getattr(self, "cancel_activity", True) is False:
            new_boundary_path(my_task)
            return
        super().catch(my_task, event)


class MlcReceiveTask(MlcCatchMixin, ReceiveTaskMixin, BpmnSpecMixin):
    """A receive task: waits for a message."""


class MlcSendTask(MlcActivityMixin, SendTaskMixin, BpmnSpecMixin):
    """A send task without a delegate: throws its message to the manager."""
