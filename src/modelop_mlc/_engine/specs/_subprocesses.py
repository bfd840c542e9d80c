"""Embedded, transaction and event sub-processes, and call activities with their own scope."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    CallActivityMixin,
    EventSubprocessMixin,
    SubWorkflowTaskMixin,
    TransactionSubprocessMixin,
)

from modelop_mlc._engine import juel
from modelop_mlc._engine.scope import set_variable, visible_variables
from modelop_mlc._engine.specs._activity import MlcActivityMixin, MlcEnteredMixin
from modelop_mlc._engine.specs._mappings import Param, ParamValue, _located, evaluate_value
from modelop_mlc.errors import ExpressionError


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


class MlcCallActivity(MlcEnteredMixin, CallActivityMixin, BpmnSpecMixin):
    """A call activity: a separate variable scope, fed by `camunda:in` and read by `camunda:out`."""

    is_call_activity = True
    in_all: bool = False
    out_all: bool = False
    in_mappings: tuple[Param, ...] = ()
    out_mappings: tuple[Param, ...] = ()
    business_key: str | None = None

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Start the called process's scope from `camunda:in` mappings only."""
        scope: dict[str, Any] = {}
        if self.in_all:
            scope.update(visible_variables(my_task))
        for param in self.in_mappings:
            scope[param.name] = evaluate_value(my_task, param.value)
        subworkflow.data.clear()
        subworkflow.data.update(scope)

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Copy variables back per `camunda:out` mappings."""
        child_scope = subworkflow.data
        if self.out_all:
            for name, value in child_scope.items():
                set_variable(my_task, name, value)
        for param in self.out_mappings:
            try:
                value = _evaluate_in(subworkflow, param.value)
            except ExpressionError as err:
                raise _located(err, self.bpmn_id) from err.__cause__
            set_variable(my_task, param.name, value)


def _evaluate_in(subworkflow: Any, value: ParamValue) -> Any:
    """Evaluate an out-mapping against the called process's scope."""
    if isinstance(value, str) and not juel.is_expression(value):
        return subworkflow.data.get(value)
    root = subworkflow.task_tree
    return evaluate_value(root, value)
