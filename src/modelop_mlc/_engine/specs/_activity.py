"""The mixin every BPMN element shares: input/output mappings, flow and activity journalling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.compensation import record_compensable
from modelop_mlc._engine.events import MlcCycleTimer
from modelop_mlc._engine.host import JournalEntry, JournalKind
from modelop_mlc._engine.listeners import LIVE_KEY, Listener, run_listeners
from modelop_mlc._engine.scope import LOCALS, set_local, set_variable
from modelop_mlc._engine.specs._mappings import Param, evaluate_value

JOB_KEY = "mlc_job"
USER_KEY = "mlc_user"
_STARTED_KEY = "mlc_s"
_FACTS_KEY = "mlc_facts"  # the delegate name and history facts, kept until the task ends
_ENTERED = 2  # _STARTED_KEY value: started on entry, input parameters already set


def _engine(task: Any) -> Any:
    return task.workflow.script_engine


def _journal(task: Any, kind: JournalKind, **detail: Any) -> None:
    spec = task.task_spec
    _engine(task).journal(
        task,
        JournalEntry(
            kind,
            spec.bpmn_id or spec.name,
            getattr(spec, "bpmn_name", None),
            getattr(spec, "element_type", None),
            detail=dict(detail),
        ),
    )


def _visible_parent(task: Any) -> Any | None:
    parent = task.parent
    while parent is not None and getattr(parent.task_spec, "bpmn_id", None) is None:
        parent = parent.parent
    return parent


class MlcActivityMixin:
    """Input/output mappings, extension properties and history for every BPMN element."""

    io_inputs: tuple[Param, ...] = ()
    io_outputs: tuple[Param, ...] = ()
    properties: Mapping[str, str] = {}
    element_type: str = "task"
    async_before: bool = False
    async_after: bool = False
    listeners: tuple[Listener, ...] = ()
    compensation_handler: str | None = None  # the handler of its compensation boundary event
    for_compensation: bool = False  # a compensation handler: started by compensation only
    flow_listeners: Mapping[str, tuple[Listener, ...]] = {}
    retry_cycle: str | None = None
    incoming_flows: Mapping[str, str] = {}

    bpmn_id: str | None
    bpmn_name: str | None

    def _update(self, my_task: Any) -> None:
        if my_task.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE):
            parent = my_task.parent
            if parent is not None and parent.has_state(TaskState.COMPLETED):
                self._journal_flow(my_task)
        super()._update(my_task)  # type: ignore[misc]

    def _journal_flow(self, my_task: Any) -> None:
        source = _visible_parent(my_task)
        if source is None or not self.incoming_flows:
            return
        flow = self.incoming_flows.get(source.task_spec.bpmn_id)
        if flow is not None:
            _engine(my_task).journal(
                my_task,
                JournalEntry(
                    JournalKind.FLOW_TAKEN,
                    flow,
                    None,
                    "sequenceFlow",
                    detail={"source": source.task_spec.bpmn_id, "target": self.bpmn_id},
                ),
            )
            run_listeners(my_task, self.flow_listeners.get(flow, ()), "take")

    def _predict(
        self,
        my_task: Any,
        seen: list[Any] | None = None,
        looked_ahead: int = 0,
        mask: int = TaskState.PREDICTED_MASK,
    ) -> None:
        # SpiffWorkflow predicts definite (FUTURE) tasks without limit, recursively: a loop
        # with no gateway in it (task -> task -> back) recursed until RecursionError, and so
        # did a chain of ~1,000 elements. This is its `TaskSpec._predict` as a loop over an
        # explicit stack (depth first, children in order), which also stops at the first
        # element seen twice on a path; the rest is predicted when the task is reached.
        on_path: set[Any] = set(seen or ())
        stack: list[tuple[Any, int, bool]] = [(my_task, looked_ahead, False)]
        while stack:
            task, ahead, leaving = stack.pop()
            spec = task.task_spec
            if leaving:
                on_path.discard(spec)
                continue
            if spec in on_path:
                continue
            on_path.add(spec)
            stack.append((task, ahead, True))
            if task.has_state(mask):
                spec._predict_hook(task)
            if not (task.has_state(TaskState.DEFINITE_MASK) or ahead + 1 < spec.lookahead):
                continue
            stack.extend(
                (child, ahead + 1, False)
                for child in reversed(task.children)
                if child.has_state(mask)
            )

    def _on_ready_hook(self, my_task: Any) -> None:
        if not my_task._children and getattr(self, "_outputs", None):
            self._predict(my_task, mask=TaskState.DEFINITE_MASK | TaskState.PREDICTED_MASK)
        started = my_task.internal_data.pop(_STARTED_KEY, None)
        if self.io_inputs and started != _ENTERED:
            self._set_inputs(my_task)
        if not started:
            self._start(my_task)
        super()._on_ready_hook(my_task)  # type: ignore[misc]

    def _start(self, my_task: Any) -> None:
        """The activity begins: history, then its start listeners."""
        _journal(my_task, JournalKind.ACTIVITY_START)
        if self.listeners or getattr(self, "task_listeners", ()):
            my_task.internal_data[LIVE_KEY] = 1
        run_listeners(my_task, self.listeners, "start")

    def _on_cancel(self, my_task: Any) -> None:
        # An activity that began and is cancelled still ends: Camunda runs its end listeners.
        if my_task.internal_data.pop(LIVE_KEY, None):
            self._cancelled(my_task)
        super()._on_cancel(my_task)  # type: ignore[misc]

    def _cancelled(self, my_task: Any) -> None:
        run_listeners(my_task, self.listeners, "end")

    def _set_inputs(self, my_task: Any) -> None:
        for param in self.io_inputs:
            set_local(my_task, param.name, evaluate_value(my_task, param.value))

    def _on_complete_hook(self, my_task: Any) -> None:
        if self.io_outputs:
            values = [(p.name, evaluate_value(my_task, p.value)) for p in self.io_outputs]
            my_task.internal_data.pop(LOCALS, None)
            for name, value in values:
                set_variable(my_task, name, value)
        my_task.internal_data.pop(LIVE_KEY, None)
        # End listeners run after the output mappings, while input parameters still exist.
        run_listeners(my_task, self.listeners, "end")
        if self.io_inputs:
            my_task.internal_data.pop(LOCALS, None)
        _journal(my_task, JournalKind.ACTIVITY_END, **my_task.internal_data.pop(_FACTS_KEY, {}))
        record_compensable(my_task)
        super()._on_complete_hook(my_task)  # type: ignore[misc]

    def test(self) -> None:
        """A compensation handler has no incoming flow: compensation starts it."""
        if not self.for_compensation:
            super().test()  # type: ignore[misc]


class MlcEnteredMixin(MlcActivityMixin):
    """Sub-processes and call activities begin when entered, not when what they run is done.

    SpiffWorkflow makes them ready only after their inner process completes, so without this
    their input parameters would be set too late for the inner process to see them, and their
    start would follow everything they ran in the history.
    """

    def _update_hook(self, my_task: Any) -> Any:
        if not my_task.internal_data.get(_STARTED_KEY) and not my_task.has_state(
            TaskState.FINISHED_MASK
        ):
            self._set_inputs(my_task)
            self._start(my_task)
            my_task.internal_data[_STARTED_KEY] = _ENTERED
        return super()._update_hook(my_task)  # type: ignore[misc]


class MlcCatchMixin(MlcActivityMixin):
    """Catching events journal their start when they begin to wait, not when they fire."""

    def _update_hook(self, my_task: Any) -> Any:
        was_waiting = my_task.state == TaskState.WAITING
        result = super()._update_hook(my_task)  # type: ignore[misc]
        if not result and not was_waiting and my_task.state == TaskState.WAITING:
            self._start(my_task)
            my_task.internal_data[_STARTED_KEY] = 1
        return result

    def _predict_hook(self, my_task: Any) -> None:
        definition = getattr(self, "event_definition", None)
        if isinstance(definition, MlcCycleTimer) and not definition._repeats_on(my_task):
            # SpiffWorkflow predicts nothing after a cycle timer (its repeating boundary timers
            # add paths as they fire), but ours fire once outside non-interrupting boundaries,
            # so the event's outputs must be predicted like any other event's: definite
            # children under a definite task, predicted ones under a predicted task.
            TaskSpec._predict_hook(self, my_task)
            return
        super()._predict_hook(my_task)  # type: ignore[misc]
