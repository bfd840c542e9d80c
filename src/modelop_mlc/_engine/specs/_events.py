"""Start, end, intermediate, boundary events, and receive and send tasks without a delegate."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
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

from modelop_mlc._engine.specs._activity import MlcActivityMixin, MlcCatchMixin
from modelop_mlc._engine.specs._subprocesses import MlcEventSubProcess
from modelop_mlc._engine.subprocesses import interrupt_scope


class MlcStartEvent(MlcCatchMixin, StartEventMixin, BpmnSpecMixin):
    """A start event. In a top-level process, only the start event the manager chose fires."""

    def _update_hook(self, my_task: Any) -> Any:
        workflow = my_task.workflow
        if workflow.parent_task_id is None:
            chosen = workflow.task_tree.internal_data.get("mlc_start")
            if chosen is not None:
                if chosen != self.bpmn_id:
                    return self._stay_dormant(my_task)
                my_task.internal_data["event_fired"] = True
        elif self._called(workflow) and not isinstance(self.event_definition, NoneEventDefinition):
            # A call activity starts the called process at its none start event, as in
            # Camunda; its signal/message/timer start events are for other ways of starting.
            return self._stay_dormant(my_task)
        return super()._update_hook(my_task)

    @staticmethod
    def _called(workflow: Any) -> bool:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        return bool(getattr(parent.task_spec, "is_call_activity", False))

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


class MlcEndEvent(MlcActivityMixin, EndEventMixin, BpmnSpecMixin):
    """An end event (none, terminate, error, escalation, message, signal)."""


class MlcIntermediateCatchEvent(MlcCatchMixin, IntermediateCatchEventMixin, BpmnSpecMixin):
    """An intermediate catch event (timer, signal, message, conditional)."""


class MlcIntermediateThrowEvent(MlcActivityMixin, IntermediateThrowEventMixin, BpmnSpecMixin):
    """An intermediate throw event (signal, message, escalation, none)."""


class MlcBoundaryEvent(MlcCatchMixin, BoundaryEventMixin, BpmnSpecMixin):
    """A boundary event, interrupting or not."""


class MlcReceiveTask(MlcCatchMixin, ReceiveTaskMixin, BpmnSpecMixin):
    """A receive task: waits for a message."""


class MlcSendTask(MlcActivityMixin, SendTaskMixin, BpmnSpecMixin):
    """A send task without a delegate: throws its message to the manager."""
