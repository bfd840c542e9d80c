"""Multi-instance bodies (parallel and sequential) and standard loops, Camunda style."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    ParallelMultiInstanceTaskMixin,
    SequentialMultiInstanceTaskMixin,
    StandardLoopTaskMixin,
)
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine import juel
from modelop_mlc._engine.scope import LOCALS, set_local, visible_variables
from modelop_mlc._engine.specs._activity import MlcActivityMixin, _engine
from modelop_mlc._engine.specs._mappings import _truthy, evaluate_value
from modelop_mlc.errors import ProcessError


class _MultiInstanceMixin:
    """Camunda multi-instance: `camunda:collection`, `camunda:elementVariable`, loop counters."""

    is_mi_body = True
    parallel = True
    collection: str | None = None
    element_variable: str | None = None

    cardinality: Any
    task_spec: str
    incoming_flows: Mapping[str, str] = {}
    flow_listeners: Mapping[str, Any] = {}

    def _update(self, my_task: Any) -> None:
        # The parser moved the activity's incoming flows onto the body, which stands in for
        # the activity in the task tree: the body journals the flow taken into it.
        if my_task.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE):
            parent = my_task.parent
            if parent is not None and parent.has_state(TaskState.COMPLETED):
                MlcActivityMixin._journal_flow(self, my_task)  # type: ignore[arg-type]
        super()._update(my_task)  # type: ignore[misc]

    def _items(self, my_task: Any) -> list[Any]:
        if self.collection is not None:
            value = evaluate_value(my_task, self.collection)
            if not juel.is_expression(self.collection):
                found = visible_variables(my_task).get(self.collection)
                value = found
            if value is None:
                raise ProcessError(
                    f"multi-instance collection '{self.collection}' of '{my_task.task_spec.name}' "
                    "is not set",
                    activity_id=my_task.task_spec.name,
                )
            if isinstance(value, Mapping):
                return list(value.values())
            if isinstance(value, list | tuple):
                return list(value)
            raise ProcessError(
                f"multi-instance collection '{self.collection}' must be a list, got "
                f"{type(value).__name__}",
                activity_id=my_task.task_spec.name,
            )
        count = evaluate_value(my_task, self.cardinality)
        try:
            return list(range(int(count)))
        except (TypeError, ValueError) as err:
            raise ProcessError(
                f"loopCardinality of '{my_task.task_spec.name}' must be a number, got {count!r}",
                activity_id=my_task.task_spec.name,
            ) from err

    def _body_locals(self, my_task: Any, total: int) -> None:
        completed = len(my_task.internal_data.get("merged", []))
        # A sequential body has one active instance throughout, as in Camunda 7.
        active = (
            1
            if not self.parallel
            else sum(
                1
                for c in my_task.children
                if c.task_spec.name == self.task_spec and not c.has_state(TaskState.FINISHED_MASK)
            )
        )
        set_local(my_task, "nrOfInstances", total)
        set_local(my_task, "nrOfCompletedInstances", completed)
        set_local(my_task, "nrOfActiveInstances", active)

    def _make_child(self, my_task: Any, index: int, item: Any) -> None:
        task_spec = my_task.workflow.spec.task_specs[self.task_spec]
        child = my_task._add_child(task_spec, TaskState.WAITING)
        child.triggered = True
        child.internal_data["key_or_index"] = index
        scope = {"loopCounter": index}
        if self.element_variable:
            scope[self.element_variable] = item
        child.internal_data[LOCALS] = scope
        child.task_spec._update(child)

    def check_completion_condition(self, my_task: Any) -> bool:
        condition = getattr(self, "condition", None)
        merged = my_task.internal_data.get("merged", [])
        if not merged or condition is None:
            return False
        last = next((c for c in my_task.children if str(c.id) == merged[-1]), my_task)
        return _truthy(_engine(my_task).evaluate(last, condition))


class MlcParallelMultiInstance(_MultiInstanceMixin, ParallelMultiInstanceTaskMixin, BpmnSpecMixin):
    """A parallel multi-instance body."""

    def create_children(self, my_task: Any) -> None:
        """Create one instance per item of the collection (or per cardinality)."""
        items = self._items(my_task)
        my_task.internal_data["mlc_total"] = len(items)
        for index, item in enumerate(items):
            self._make_child(my_task, index, item)
        self._body_locals(my_task, len(items))

    def merge_child(self, workflow: Any, child: Any) -> None:
        """Count a finished instance; finish when all are done or the condition holds."""
        my_task = child.parent
        if my_task is None or my_task.task_spec is not self:
            return
        my_task.internal_data.setdefault("merged", []).append(str(child.id))
        self._body_locals(my_task, my_task.internal_data.get("mlc_total", 0))
        if self.check_completion_condition(my_task):
            for other in list(self._instances(my_task)):
                if not other.has_state(TaskState.FINISHED_MASK):
                    other.cancel()
            my_task._set_state(TaskState.READY)
        elif self.children_complete(my_task):
            my_task._set_state(TaskState.READY)


class MlcSequentialMultiInstance(
    _MultiInstanceMixin, SequentialMultiInstanceTaskMixin, BpmnSpecMixin
):
    """A sequential multi-instance body."""

    parallel = False

    def _update_hook(self, my_task: Any) -> Any:
        my_task._inherit_data()
        items = self._items(my_task)
        my_task.internal_data["merged"] = []
        my_task.internal_data["mlc_items"] = items
        my_task.internal_data["mlc_next"] = 0
        if not items:
            return True
        self._start_next(my_task)
        my_task._set_state(TaskState.STARTED)
        return None

    def _start_next(self, my_task: Any) -> None:
        index = my_task.internal_data["mlc_next"]
        items = my_task.internal_data["mlc_items"]
        my_task.internal_data["mlc_next"] = index + 1
        self._make_child(my_task, index, items[index])
        self._body_locals(my_task, len(items))

    def merge_child(self, workflow: Any, child: Any) -> None:
        """Start the next instance, or finish."""
        my_task = child.parent
        if my_task is None or my_task.task_spec is not self:
            return
        my_task.internal_data.setdefault("merged", []).append(str(child.id))
        items = my_task.internal_data.get("mlc_items", [])
        self._body_locals(my_task, len(items))
        done = my_task.internal_data["mlc_next"] >= len(items)
        if done or self.check_completion_condition(my_task):
            my_task.internal_data.pop("mlc_items", None)
            my_task._set_state(TaskState.READY)
        else:
            self._start_next(my_task)


class MlcStandardLoop(MlcActivityMixin, StandardLoopTaskMixin, BpmnSpecMixin):
    """A standard loop (`bpmn:standardLoopCharacteristics`)."""

    is_mi_body = True


def connect_loop_children(spec: Any) -> None:
    """Wire a loop body to its inner activity once, at parse time.

    SpiffWorkflow connects the inner spec's completion event lazily when it creates the first
    instance, so an instance restored in a fresh process would never be told that an inner
    instance finished.
    """
    inner = spec._wf_spec.task_specs.get(spec.task_spec)
    if inner is not None and not inner.completed_event.is_connected(spec.merge_child):
        inner.completed_event.connect(spec.merge_child)
