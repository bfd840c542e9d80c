"""One process instance, driven by commands: the engine's API to the manager.

An `EngineInstance` wraps a SpiffWorkflow `BpmnWorkflow` with our script engine attached. The
manager creates or restores one per step, applies a command (start, signal, message, complete
a task, fire timers, finish a job), calls `run()`, then reads `snapshot()`: the new state, the
waits to index, the journal for history and the events to deliver to other instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.boundary import SPIFF_EXCEPTIONS, spiff_errors
from modelop_mlc._engine.calls import apply_outputs, child_of
from modelop_mlc._engine.compaction import compact
from modelop_mlc._engine.conditions import VariableWatch, evaluate_conditions, has_conditions
from modelop_mlc._engine.definitions import ProcessSpecs
from modelop_mlc._engine.events import (
    MlcErrorEvent,
    MlcEscalationEvent,
    MlcMessageEvent,
    MlcSignalEvent,
    OutboundEvent,
    timer_due,
)
from modelop_mlc._engine.host import (
    CallRequest,
    Catcher,
    EngineHost,
    EngineLimits,
    JournalEntry,
    JournalKind,
    Propagation,
)
from modelop_mlc._engine.listeners import run_listeners
from modelop_mlc._engine.scope import (
    LOCALS,
    remove_variable,
    set_local,
    set_variable,
    visible_variables,
)
from modelop_mlc._engine.script_engine import MlcScriptEngine
from modelop_mlc._engine.specs import (
    JOB_KEY,
    USER_KEY,
    FormField,
    MlcServiceTask,
    MlcUserTask,
)
from modelop_mlc._engine.specs._service import throw_bpmn_error, throw_escalation
from modelop_mlc._engine.state import dump_workflow, load_workflow, reload_data
from modelop_mlc._engine.subprocesses import catcher_for, scope_interrupted
from modelop_mlc._engine.workflow import MlcWorkflow
from modelop_mlc.errors import ProcessError, TaskNotOpenError

__all__ = [
    "EngineInstance",
    "InstanceSnapshot",
    "JobWait",
    "MessageWait",
    "SignalWait",
    "TimerWait",
    "UserTaskWait",
]

# Firing one due occurrence of a cycle timer can make the next one due immediately (the clock
# jumped); keep firing, but never loop without bound on a misbehaving diagram.
_MAX_TIMER_ROUNDS = 10_000
_COMPACT_EVERY = 200
_MAX_CONDITION_ROUNDS = 100


@dataclass(frozen=True)
class SignalWait:
    """The instance waits for a signal (catch event, boundary event or event sub-process)."""

    name: str
    activity_id: str | None


@dataclass(frozen=True)
class MessageWait:
    """The instance waits for a message."""

    name: str
    activity_id: str | None


@dataclass(frozen=True)
class TimerWait:
    """A timer of the instance is due at `due`."""

    activity_id: str
    task_id: str
    due: datetime


@dataclass(frozen=True)
class JobWait:
    """A service task waits for its delegate to run as a job."""

    activity_id: str
    activity_name: str | None
    task_id: str
    candidates: tuple[str, ...]
    retry_cycle: str | None
    topic: str | None = None
    priority: int = 0
    locals: Mapping[str, Any] = field(default_factory=dict)
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UserTaskWait:
    """An open user task."""

    task_id: str
    activity_id: str
    name: str | None
    process_id: str
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    due: str | None
    follow_up: str | None
    priority: int | None
    form_key: str | None
    form_fields: tuple[FormField, ...]
    documentation: str | None = None


@dataclass
class InstanceSnapshot:
    """Everything the manager persists after a step."""

    state: dict[str, Any]
    status: str
    variables: dict[str, Any]
    signals: list[SignalWait] = field(default_factory=list)
    messages: list[MessageWait] = field(default_factory=list)
    timers: list[TimerWait] = field(default_factory=list)
    jobs: list[JobWait] = field(default_factory=list)
    user_tasks: list[UserTaskWait] = field(default_factory=list)
    waiting_at: list[str] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    outbox: list[OutboundEvent] = field(default_factory=list)
    calls: list[CallRequest] = field(default_factory=list)
    cancelled_calls: list[str] = field(default_factory=list)
    propagated: list[Propagation] = field(default_factory=list)

    @property
    def terminated(self) -> Propagation | None:
        """The error or escalation whose interrupting catch by a caller ended this instance."""
        return next((p for p in self.propagated if p.catcher is Catcher.INTERRUPTING), None)


class EngineInstance:
    """A process instance with our runtime attached."""

    def __init__(self, workflow: Any, engine: MlcScriptEngine) -> None:
        """Wrap an already attached workflow."""
        self.workflow = workflow
        self.engine = engine
        self._active_before = self._active_tasks()
        self._cancelled_calls: list[str] = []
        self._watch = VariableWatch(workflow) if has_conditions(workflow) else None

    # ------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        specs: ProcessSpecs,
        host: EngineHost,
        variables: Mapping[str, Any],
        *,
        start_event: str | None,
    ) -> EngineInstance:
        """Create a new instance that will begin at `start_event` (None: the none start)."""
        engine = MlcScriptEngine(host)
        with spiff_errors(host.instance_id):
            workflow = MlcWorkflow(specs.spec, dict(specs.subprocess_specs), script_engine=engine)
        if start_event is not None:
            workflow.task_tree.internal_data["mlc_start"] = start_event
        workflow.data.update(variables)
        instance = cls(workflow, engine)
        instance._active_before = []
        return instance

    @classmethod
    def restore(
        cls,
        specs: ProcessSpecs,
        host: EngineHost,
        state: dict[str, Any],
        variables: dict[str, Any] | None = None,
    ) -> EngineInstance:
        """Rebuild an instance from stored state (and its separately stored variables)."""
        engine = MlcScriptEngine(host)
        workflow = load_workflow(state, specs.spec, dict(specs.subprocess_specs), engine, variables)
        return cls(workflow, engine)

    @classmethod
    def resume(cls, workflow: Any, host: EngineHost) -> EngineInstance:
        """Run a kept workflow (see `settle`) again, for a new step on `host`."""
        engine = MlcScriptEngine(host)
        workflow.script_engine = engine
        return cls(workflow, engine)

    def settle(self, state: dict[str, Any], variables: dict[str, Any]) -> None:
        """Make the workflow what `restore` would rebuild from the state a step saved.

        `state` and `variables` are the step's `snapshot()` state and variables decoded from
        the JSON that was saved: afterwards the workflow shares no object with the snapshot
        or anything the step handed out, holds only JSON's types, and is detached from this
        step's host. Call nothing else on this instance afterwards; `resume` the workflow.

        Raises:
            StoreError: If the state was not this workflow's.
        """
        reload_data(self.workflow, state, variables)
        self.workflow.script_engine = None

    # ------------------------------------------------------------ running

    def _spiff_errors(self) -> AbstractContextManager[None]:
        return spiff_errors(self.engine.host.instance_id)

    def run(self) -> None:
        """Run every ready engine task and fire due timers until the instance waits.

        Raises:
            ProcessError: If the engine fails, or the diagram runs more than the host's
                `max_activities_per_step` activities without waiting (a loop with no wait
                state).
        """
        completed = 0
        conditions = 0
        budget = _limits(self.engine.host).max_activities_per_step

        def after_task(_task: Any) -> None:
            nonlocal completed
            completed += 1
            if completed % _COMPACT_EVERY == 0:
                # A loop without wait states grows the tree within one step; keep it shallow
                # (SpiffWorkflow stops seeing tasks deeper than 1000 levels).
                compact(self.workflow)
            if completed > budget:
                activity = getattr(_task.task_spec, "bpmn_id", None)
                raise ProcessError(
                    f"more than {budget} activities ran in one step (the last at "
                    f"'{activity}'); the diagram probably loops without a wait state. Add a "
                    "wait (a timer, a user task, an async continuation) to the loop, or raise "
                    "ManagerConfig.max_activities_per_step if it really needs more",
                    instance_id=self.engine.host.instance_id,
                    activity_id=activity,
                )

        with self._spiff_errors():
            for _ in range(_MAX_TIMER_ROUNDS):
                # do_engine_steps() refreshes timers only after its last round, so a timer it
                # fires can leave READY tasks behind: go round until nothing is ready or due.
                self.workflow.do_engine_steps(did_complete_task=after_task)
                self._run_deferred()
                fired = self._fire_due_timers()
                if self._watch is not None and evaluate_conditions(
                    self.workflow, self._watch.changes()
                ):
                    fired = True
                    conditions += 1
                    if conditions > _MAX_CONDITION_ROUNDS:
                        raise ProcessError(
                            f"conditional events fired {_MAX_CONDITION_ROUNDS} times in one "
                            "step: what they start changes the variables they watch; restrict "
                            "them with camunda:variableName / camunda:variableEvents",
                            instance_id=self.engine.host.instance_id,
                        )
                if not fired and not self.workflow.has_ready_engine_task():
                    break
        self._journal_cancellations()
        self._process_ended()
        compact(self.workflow)

    def _process_ended(self) -> None:
        """Run the process's end listeners once, when the instance completes."""
        root = self.workflow.task_tree
        listeners = getattr(self.workflow.spec, "process_listeners", ())
        if listeners and self.completed and not root.internal_data.get("mlc_ended"):
            root.internal_data["mlc_ended"] = True
            with self._spiff_errors():
                run_listeners(root, listeners, "end")

    def _run_deferred(self) -> None:
        while self.engine.deferred:
            self.engine.deferred.pop(0)()

    def _fire_due_timers(self) -> bool:
        now = self.engine.host.now()
        due = [t for t in self._event_tasks() if (d := timer_due(t)) is not None and d <= now]
        if not due:
            return False
        for task in due:
            if task.has_state(TaskState.WAITING):
                task.task_spec._update(task)
        return True

    def _event_tasks(self) -> list[Any]:
        return list(self.workflow.event_manager.tasks.values())

    # ------------------------------------------------------------ commands

    def deliver_signal(self, name: str, variables: Mapping[str, Any] | None = None) -> bool:
        """Deliver a signal; returns False if the instance does not wait for it."""
        if not any(w.name == name for w in self._signal_waits()):
            return False
        self._set_process_variables(variables)
        self._send(BpmnEvent(MlcSignalEvent(name)))
        return True

    def deliver_message(self, name: str, variables: Mapping[str, Any] | None = None) -> bool:
        """Deliver a message; returns False if the instance does not wait for it."""
        if not any(w.name == name for w in self._message_waits()):
            return False
        self._set_process_variables(variables)
        self._send(BpmnEvent(MlcMessageEvent(name)))
        return True

    def _send(self, event: Any) -> None:
        with self._spiff_errors():
            self.workflow.send_event(event)

    def _set_process_variables(self, variables: Mapping[str, Any] | None) -> None:
        if variables:
            self.workflow.data.update(variables)
            self._mark(variables)

    def set_variables(self, variables: Mapping[str, Any]) -> None:
        """Set process variables from outside (conditional events react in `run()`)."""
        self._set_process_variables(variables)

    def _mark(self, names: Iterable[str]) -> None:
        if self._watch is not None:
            self._watch.mark(names)

    def complete_user_task(self, task_id: str, variables: Mapping[str, Any] | None) -> str:
        """Complete an open user task with `variables`; returns its activity id.

        Raises:
            TaskNotOpenError: If the task is not open.
        """
        task = self._task(task_id)
        if (
            task is None
            or not isinstance(task.task_spec, MlcUserTask)
            or not task.has_state(TaskState.READY)
        ):
            raise TaskNotOpenError(
                f"user task '{task_id}' is not open (it was completed, cancelled or never "
                "existed); list open tasks with `mlc tasks` (manager.tasks() in Python)",
                instance_id=self.engine.host.instance_id,
            )
        for name, value in (variables or {}).items():
            set_variable(task, name, value)
        self._mark(variables or {})
        with self._spiff_errors():
            task.run()
        return str(task.task_spec.bpmn_id)

    def finish_job(self, task_id: str, variables: Mapping[str, Any] | None) -> bool:
        """Complete a waiting service task with its delegate's result; False if not waiting."""
        task = self._job_task(task_id)
        if task is None:
            return False
        spec: MlcServiceTask = task.task_spec
        with self._spiff_errors():
            spec.apply_result(task, variables)
            task.complete()
        return True

    def fail_job_with_error(
        self,
        task_id: str,
        code: str,
        message: str | None,
        variables: Mapping[str, Any] | None = None,
    ) -> bool:
        """Throw a delegate's `BpmnError` from a waiting service task; False if not waiting.

        `variables` (an external worker's) are set before the error is thrown.
        """
        task = self._job_task(task_id)
        if task is None:
            return False
        for name, value in (variables or {}).items():
            set_variable(task, name, value)
        spec: MlcServiceTask = task.task_spec
        spec.raise_bpmn_error(task, code, message)
        return True

    def complete_external_task(
        self,
        task_id: str,
        variables: Mapping[str, Any] | None,
        local_variables: Mapping[str, Any] | None,
    ) -> bool:
        """Complete a waiting external task as Camunda does; False if it is not waiting.

        `variables` go where they are defined (else to the process), `local_variables` to
        the task itself, where its output mappings read them.
        """
        task = self._job_task(task_id)
        if task is None:
            return False
        spec: MlcServiceTask = task.task_spec
        with self._spiff_errors():
            for name, value in (local_variables or {}).items():
                set_local(task, name, value)
            for name, value in (variables or {}).items():
                set_variable(task, name, value)
            spec.apply_result(task, {})
            task.complete()
        return True

    def _call_task(self, task_id: str, child_id: str) -> Any | None:
        task = self._task(task_id)
        if task is None or not task.has_state(TaskState.STARTED) or child_of(task) != child_id:
            return None
        return task

    def complete_call(
        self,
        task_id: str,
        child_id: str,
        variables: Mapping[str, Any],
        evaluate: Callable[[str], Any],
    ) -> bool:
        """The child `child_id` of a call activity ended: map its outputs and go on.

        `variables` are the child's variables and `evaluate` evaluates a `sourceExpression`
        in the child. Returns False if the call activity no longer waits for that child.
        """
        task = self._call_task(task_id, child_id)
        if task is None:
            return False
        with self._spiff_errors():
            self._mark(apply_outputs(task, variables, evaluate))
            task.complete()
        return True

    def throw_from_call(self, task_id: str, child_id: str, propagation: Propagation) -> bool:
        """Throw, at the call activity, an error or escalation its child did not catch.

        Returns False if the call activity no longer waits for that child.
        """
        task = self._call_task(task_id, child_id)
        if task is None:
            return False
        with self._spiff_errors():
            if propagation.kind == "error":
                throw_bpmn_error(task, propagation.code or "", propagation.message)
            else:
                throw_escalation(task, propagation.code)
        return True

    def catcher_at(self, task_id: str, kind: str, code: str | None) -> Catcher | None:
        """How this instance (or its callers) catch what the child of a call activity threw."""
        task = self._task(task_id)
        if task is None or not task.has_state(TaskState.STARTED) or child_of(task) is None:
            return None
        cls = MlcErrorEvent if kind == "error" else MlcEscalationEvent
        found = catcher_for(task, BpmnEvent(cls(code or "", code)))
        if found is None:
            return self.engine.host.caught_above(kind, code)
        return Catcher.INTERRUPTING if found else Catcher.NON_INTERRUPTING

    def _job_task(self, task_id: str) -> Any | None:
        task = self._task(task_id)
        if task is None or not task.has_state(TaskState.STARTED):
            return None
        if JOB_KEY not in task.internal_data:
            return None
        return task

    def job_call(self, task_id: str) -> Any | None:
        """Return the `DelegateCall` a waiting service task needs, or None."""
        task = self._job_task(task_id)
        if task is None:
            return None
        return task.task_spec.delegate_call(task)

    def cancel(self) -> None:
        """Cancel every open task."""
        self.workflow.cancel()

    def _task(self, task_id: str) -> Any | None:
        try:
            key = UUID(task_id)
        except ValueError:
            return None
        try:
            return self.workflow.get_task_from_id(key)
        except SPIFF_EXCEPTIONS:  # not a task of this instance
            return None

    # ------------------------------------------------------------ reading

    @property
    def completed(self) -> bool:
        """Whether the instance reached its end."""
        return bool(self.workflow.is_completed())

    def variables(self) -> dict[str, Any]:
        """Return the process variables."""
        return dict(self.workflow.data)

    def local_variables(self, task_id: str) -> dict[str, Any]:
        """Return the variables local to a task (its input mappings and local sets)."""
        task = self._task(task_id)
        return dict(task.internal_data.get(LOCALS) or {}) if task is not None else {}

    def set_task_variables(
        self, task_id: str, variables: Mapping[str, Any], *, local: bool, removed: Sequence[str]
    ) -> bool:
        """Set (and remove) variables from a task: locally, or where they are defined."""
        task = self._task(task_id)
        if task is None:
            return False
        for name in removed:
            if local:
                (task.internal_data.get(LOCALS) or {}).pop(name, None)
            else:
                remove_variable(task, name)
        for name, value in variables.items():
            if local:
                set_local(task, name, value)
            else:
                set_variable(task, name, value)
        return True

    def evaluate(self, expression: str) -> Any:
        """Evaluate an expression over the process variables (a caller's `camunda:out`)."""
        with self._spiff_errors():
            return self.engine.evaluate(self.workflow.task_tree, expression)

    def variables_at(self, task_id: str) -> dict[str, Any]:
        """Return the variables visible from a task."""
        task = self._task(task_id)
        return visible_variables(task) if task is not None else self.variables()

    def _signal_waits(self) -> list[SignalWait]:
        waits = []
        for task in self._event_tasks():
            for definition in _definitions(task):
                if isinstance(definition, MlcSignalEvent):
                    waits.append(SignalWait(definition.name, task.task_spec.bpmn_id))
        waits.extend(SignalWait(n, a) for n, a in self._trigger_names(MlcSignalEvent))
        return waits

    def _message_waits(self) -> list[MessageWait]:
        waits = []
        for task in self._event_tasks():
            for definition in _definitions(task):
                if isinstance(definition, MlcMessageEvent):
                    waits.append(MessageWait(definition.name, task.task_spec.bpmn_id))
        waits.extend(MessageWait(n, a) for n, a in self._trigger_names(MlcMessageEvent))
        return waits

    def _trigger_names(self, cls: Any) -> list[tuple[str, str | None]]:
        """Signal/message start events of the process's event sub-processes."""
        if self.completed or scope_interrupted(self.workflow):
            return []
        names = []
        wf = self.workflow
        for spec_name in getattr(wf.spec.start, "trigger_specs", []):
            sp_spec = wf.subprocess_specs.get(spec_name)
            for start in getattr(sp_spec, "bpmn_start_events", []):
                if isinstance(start.event_definition, cls):
                    names.append((start.event_definition.name, start.bpmn_id))
        return names

    def _active_tasks(self) -> list[Any]:
        mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        return [
            task
            for workflow in (self.workflow, *self.workflow.subprocesses.values())
            for task in workflow.tasks.values()
            if task._state & mask
        ]

    def snapshot(self) -> InstanceSnapshot:
        """Describe the instance after a step: state, waits, journal and outbox."""
        completed = self.completed
        user_tasks: list[UserTaskWait] = []
        jobs: list[JobWait] = []
        waiting_at: list[str] = []
        timers: list[TimerWait] = []
        for workflow in [self.workflow, *self.workflow.subprocesses.values()]:
            for task in workflow.tasks.values():
                spec = task.task_spec
                state = task._state
                if state == TaskState.READY and isinstance(spec, MlcUserTask):
                    user_tasks.append(_user_task(task))
                    waiting_at.append(str(spec.bpmn_id))
                elif state == TaskState.STARTED and child_of(task) is not None:
                    waiting_at.append(str(spec.bpmn_id))
                elif state == TaskState.STARTED and JOB_KEY in task.internal_data:
                    activity = getattr(spec, "job_activity", None) or spec.bpmn_id
                    job = task.internal_data[JOB_KEY]
                    jobs.append(
                        JobWait(
                            activity,
                            getattr(spec, "job_activity_name", None) or spec.bpmn_name,
                            str(task.id),
                            tuple(job.get("candidates", ())),
                            spec.retry_cycle,
                            topic=job.get("topic"),
                            priority=int(job.get("priority") or 0),
                            locals=dict(task.internal_data.get(LOCALS) or {}),
                            properties=dict(getattr(spec, "properties", None) or {}),
                        )
                    )
                    waiting_at.append(activity)
                elif (
                    state == TaskState.WAITING
                    and isinstance(spec, CatchingEvent)
                    and (task.id in self.workflow.event_manager.tasks)
                ):
                    due = timer_due(task)
                    if due is not None:
                        timers.append(TimerWait(spec.bpmn_id, str(task.id), due))
                    elif _only_timers(task):
                        continue  # an exhausted cycle no longer waits for anything
                    waiting_at.append(spec.bpmn_id)
        # A child requested and cancelled in the same step is never started.
        requested = {c.child_id for c in self.engine.calls}
        cancelled = set(self._cancelled_calls) & requested
        return InstanceSnapshot(
            state=dump_workflow(self.workflow, variables=False),
            status="completed" if completed else "running",
            variables=self.variables(),
            signals=[] if completed else self._signal_waits(),
            messages=[] if completed else self._message_waits(),
            timers=timers,
            jobs=jobs,
            user_tasks=user_tasks,
            waiting_at=sorted(set(waiting_at)),
            journal=list(self.engine.journal_entries),
            outbox=list(self.engine.outbox),
            calls=[c for c in self.engine.calls if c.child_id not in cancelled],
            cancelled_calls=[c for c in self._cancelled_calls if c not in requested],
            propagated=list(self.engine.propagated),
        )

    def _attached(self, task: Any) -> bool:
        """Whether `task` is still part of the instance (not dropped with its sub-process)."""
        workflow = task.workflow
        if task.id not in workflow.tasks:
            return False
        return workflow is self.workflow or (
            self.workflow.subprocesses.get(workflow.parent_task_id) is workflow
        )

    def _journal_cancellations(self) -> None:
        # Task objects, not ids: what was active before the step and what started in it.
        candidates = {id(t): t for t in (*self._active_before, *self.engine.started_tasks)}
        for task in candidates.values():
            if task._state != TaskState.CANCELLED or not self._attached(task):
                continue
            child = child_of(task)
            if child is not None and child not in self._cancelled_calls:
                self._cancelled_calls.append(child)  # cancelling a call cancels its child
            spec = task.task_spec
            if getattr(spec, "bpmn_id", None) is None:
                continue
            self.engine.journal(
                task,
                JournalEntry(
                    JournalKind.ACTIVITY_CANCEL,
                    spec.bpmn_id,
                    spec.bpmn_name,
                    getattr(spec, "element_type", None),
                ),
            )
        self._active_before = self._active_tasks()


def _only_timers(task: Any) -> bool:
    from modelop_mlc._engine.events import MlcCycleTimer, MlcDateTimer, MlcDurationTimer  # noqa: PLC0415

    return all(
        isinstance(d, MlcCycleTimer | MlcDateTimer | MlcDurationTimer) for d in _definitions(task)
    )


def _definitions(task: Any) -> Sequence[Any]:
    definition = task.task_spec.event_definition
    nested = getattr(definition, "event_definitions", None)
    return list(nested) if nested else [definition]


def _user_task(task: Any) -> UserTaskWait:
    spec: MlcUserTask = task.task_spec
    info = task.internal_data.get(USER_KEY) or {}
    return UserTaskWait(
        task_id=str(task.id),
        activity_id=spec.bpmn_id or "",
        name=spec.bpmn_name,
        process_id=task.workflow.spec.name,
        assignee=info.get("assignee"),
        candidate_users=tuple(info.get("candidate_users", ())),
        candidate_groups=tuple(info.get("candidate_groups", ())),
        due=info.get("due"),
        follow_up=info.get("follow_up"),
        priority=info.get("priority"),
        form_key=info.get("form_key"),
        form_fields=spec.form_fields,
        documentation=spec.documentation,
    )


__all__ += ["LOCALS"]


def _limits(host: EngineHost) -> EngineLimits:
    """The host's limits (a host written before they existed gets the defaults)."""
    limits = getattr(host, "limits", None)
    return limits if isinstance(limits, EngineLimits) else EngineLimits()
