"""Tasks that need no delegate: `bpmn:task`, manual, user (with form fields) and script tasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    ManualTaskMixin,
    NoneTaskMixin,
    ScriptTaskMixin,
    UserTaskMixin,
)
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.listeners import Listener, run_listeners
from modelop_mlc._engine.specs._activity import USER_KEY, MlcActivityMixin
from modelop_mlc._engine.specs._mappings import evaluate_value, text_or_none
from modelop_mlc._engine.specs._service import throw_bpmn_error
from modelop_mlc.errors import BpmnError


@dataclass(frozen=True)
class FormField:
    """One `camunda:formField` of a user task."""

    id: str
    label: str | None = None
    type: str = "string"
    default_value: str | None = None
    values: tuple[tuple[str, str | None], ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str | None], ...] = ()

    @property
    def required(self) -> bool:
        """Whether a `required` validation constraint is set."""
        return any(name == "required" for name, _ in self.constraints)


class MlcNoneTask(MlcActivityMixin, NoneTaskMixin, BpmnSpecMixin):
    """`bpmn:task`: does nothing and passes straight through, as in Camunda."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        """Create the spec; unlike SpiffWorkflow's, it does not wait to be completed."""
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class MlcManualTask(MlcActivityMixin, ManualTaskMixin, BpmnSpecMixin):
    """`bpmn:manualTask`: done outside the engine; it passes straight through, as in Camunda."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        """Create the spec; unlike SpiffWorkflow's, it does not wait for a human."""
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class MlcUserTask(MlcActivityMixin, UserTaskMixin, BpmnSpecMixin):
    """`bpmn:userTask` with Camunda's assignee, candidates, due date and form fields."""

    assignee: str | None = None
    candidate_users: str | None = None
    candidate_groups: str | None = None
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: str | None = None
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()
    task_listeners: tuple[Listener, ...] = ()

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)
        my_task.internal_data[USER_KEY] = {
            "assignee": text_or_none(evaluate_value(my_task, self.assignee)),
            "candidate_users": _split_list(evaluate_value(my_task, self.candidate_users)),
            "candidate_groups": _split_list(evaluate_value(my_task, self.candidate_groups)),
            "due": _date_text(evaluate_value(my_task, self.due_date)),
            "follow_up": _date_text(evaluate_value(my_task, self.follow_up_date)),
            "priority": _int_or_none(evaluate_value(my_task, self.priority)),
            "form_key": text_or_none(evaluate_value(my_task, self.form_key)),
        }
        # Camunda 7 fires `create`, then `assignment` when the task has an assignee.
        run_listeners(my_task, self.task_listeners, "create")
        if my_task.internal_data[USER_KEY]["assignee"] is not None:
            run_listeners(my_task, self.task_listeners, "assignment")

    def _on_complete_hook(self, my_task: Any) -> None:
        run_listeners(my_task, self.task_listeners, "complete")
        super()._on_complete_hook(my_task)

    def _cancelled(self, my_task: Any) -> None:
        if my_task.state == TaskState.CANCELLED and USER_KEY in my_task.internal_data:
            run_listeners(my_task, self.task_listeners, "delete")
        super()._cancelled(my_task)


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _date_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


class MlcScriptTask(MlcActivityMixin, ScriptTaskMixin, BpmnSpecMixin):
    """`bpmn:scriptTask` in JUEL (Camunda's default), FEEL, Groovy or Python (sandboxed).

    A `BpmnError` the script throws is thrown from the task, to its error boundary events.
    """

    script_format: str = "juel"
    result_variable: str | None = None
    script_line: int | None = None

    def _run_hook(self, my_task: Any) -> Any:
        try:
            return super()._run_hook(my_task)
        except BpmnError as err:
            throw_bpmn_error(my_task, err.code, err.message or None)
            return None
