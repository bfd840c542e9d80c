"""Embedded, transaction and event sub-processes, and call activities (child instances)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    EventSubprocessMixin,
    SubWorkflowTaskMixin,
    TransactionSubprocessMixin,
)

from modelop_mlc._engine.calls import CallMapping, call_request
from modelop_mlc._engine.host import JournalKind
from modelop_mlc._engine.specs._activity import MlcActivityMixin, MlcEnteredMixin, _engine


class MlcSubProcess(MlcEnteredMixin, SubWorkflowTaskMixin, BpmnSpecMixin):
    """An embedded sub-process: it shares the enclosing variable scope."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcTransaction(MlcEnteredMixin, TransactionSubprocessMixin, BpmnSpecMixin):
    """A transaction sub-process, run as an embedded sub-process (no compensation)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcEventSubProcess(MlcActivityMixin, EventSubprocessMixin, BpmnSpecMixin):
    """An event sub-process; an interrupting one cancels the rest of its scope when it starts."""

    interrupting: bool = True

    def test(self) -> None:
        """An event sub-process has no incoming flow: its event starts it."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcCallActivity(MlcActivityMixin, BpmnSpecMixin):
    """A call activity: starts a child instance of the called process and waits for its end.

    The child is a separate instance (its own id, business key, variables and history), as in
    Camunda 7; the manager starts it in this instance's step and hands its end back as a step
    of this instance (`EngineInstance.complete_call`).
    """

    called_element: str = ""
    binding: str = "latest"
    version: str | None = None  # calledElementVersion or calledElementVersionTag
    business_key: str | None = None  # camunda:in businessKey
    in_mappings: tuple[CallMapping, ...] = ()
    out_mappings: tuple[CallMapping, ...] = ()

    def _run_hook(self, my_task: Any) -> Any:
        engine = _engine(my_task)
        request = call_request(my_task)
        engine.calls.append(request)
        # Camunda's historic activity instance of a call activity names the instance it called
        # (`calledProcessInstanceId`): the start of this activity, in this step, records it.
        for entry in reversed(engine.journal_entries):
            if entry.task_id == request.task_id and entry.kind is JournalKind.ACTIVITY_START:
                entry.detail["called_instance"] = request.child_id
                break
        return None  # waits (STARTED) until the child ends
