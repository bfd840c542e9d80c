"""Event definitions with Camunda 7 semantics: injected clock, broadcast signals, error variables.

SpiffWorkflow matches events by event-definition class, so every event the engine or the manager
sends must be built from these classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from modelop_mlc._engine import juel
from modelop_mlc._engine.host import JournalEntry, JournalKind
from modelop_mlc._engine.scope import set_variable
from modelop_mlc._engine.timers import TimerKind, TimerSchedule, parse_timer

__all__ = [
    "MlcConditionalEvent",
    "MlcCycleTimer",
    "MlcDateTimer",
    "MlcDurationTimer",
    "MlcErrorEvent",
    "MlcEscalationEvent",
    "MlcMessageEvent",
    "MlcSignalEvent",
    "OutboundEvent",
    "timer_due",
]


class OutboundEvent:
    """A signal or message an instance threw, for the manager to deliver to other instances."""

    __slots__ = ("kind", "name", "variables")

    def __init__(self, kind: str, name: str, variables: dict[str, Any] | None) -> None:
        """Record one thrown event."""
        self.kind = kind
        self.name = name
        self.variables = variables


def _engine(task: Any) -> Any:
    return task.workflow.script_engine


def _journal(task: Any, entry: JournalEntry) -> None:
    _engine(task).journal(task, entry)


# ---------------------------------------------------------------- timers


FIRED_KEY = "mlc_fired_due"  # the due time a timer fired at (kept after the event's reset)


class _ClockTimerMixin:
    """Timer schedules read from the engine host's clock, never the wall clock."""

    kind: TimerKind
    name: str
    expression: str

    def schedule(self, task: Any) -> TimerSchedule:
        """Evaluate the timer's expression (if any) and parse it into a schedule."""
        text = self.expression or ""
        value: Any = text.strip()
        if juel.is_expression(text):
            value = _engine(task).evaluate(task, text)
            if isinstance(value, str):
                value = value.strip()
        return parse_timer(self.kind, value)

    def _key(self) -> str:
        return f"mlc_due:{self.name}"

    def due_key(self) -> str:
        """The task's internal data key holding this timer's due time."""
        return self._key()

    def due(self, task: Any) -> datetime | None:
        """Return when this timer fires for `task` (computing it on first use)."""
        key = self._key()
        stored = task.internal_data.get(key)
        if stored is None:
            first = self.schedule(task).first_due(_engine(task).host.now())
            stored = task.internal_data[key] = first.isoformat() if first else "never"
        return None if stored == "never" else datetime.fromisoformat(stored)

    def has_fired(self, my_task: Any) -> bool:
        """Fire once the due time is reached (inclusive, unlike SpiffWorkflow's strict `<`)."""
        if my_task.internal_data.get("event_fired"):
            return True
        due = self.due(my_task)
        if due is not None and due <= _engine(my_task).host.now():
            my_task.internal_data["event_fired"] = True
            my_task.internal_data[FIRED_KEY] = due.isoformat()
            _journal(
                my_task,
                JournalEntry(
                    JournalKind.TIMER_FIRED,
                    my_task.task_spec.bpmn_id or "",
                    None,
                    detail={"due": due.isoformat()},
                ),
            )
            return True
        return False

    def reset(self, my_task: Any) -> None:
        """Forget the computed due time so a re-entered timer starts afresh."""
        my_task.internal_data.pop(self._key(), None)
        my_task.internal_data.pop("event_fired", None)


class MlcDateTimer(_ClockTimerMixin, TimeDateEventDefinition):
    """A `timeDate` timer."""

    kind = TimerKind.DATE


class MlcDurationTimer(_ClockTimerMixin, DurationTimerEventDefinition):
    """A `timeDuration` timer."""

    kind = TimerKind.DURATION


class MlcCycleTimer(_ClockTimerMixin, CycleTimerEventDefinition):
    """A `timeCycle` timer (ISO 8601 repeating interval or cron).

    On a non-interrupting boundary event it fires repeatedly, each time starting a new path;
    anywhere else (interrupting boundary, intermediate catch) it fires once, at its first
    occurrence, as in Camunda.
    """

    kind = TimerKind.CYCLE

    def _repeats_on(self, task: Any) -> bool:
        return getattr(task.task_spec, "cancel_activity", True) is False

    def has_fired(self, my_task: Any) -> bool:
        """Fire once unless this is a repeating non-interrupting boundary timer."""
        if self._repeats_on(my_task):
            return bool(my_task.internal_data.get("event_fired", False))
        return _ClockTimerMixin.has_fired(self, my_task)

    def cycle_complete(self, my_task: Any) -> bool:
        """Advance a repeating timer by one occurrence if it is due; True when it fired."""
        if not self._repeats_on(my_task):
            return False
        now = _engine(my_task).host.now()
        state = my_task.internal_data.get("mlc_cycle")
        if state is None:
            first = self.schedule(my_task).first_due(now)
            state = {"next": first.isoformat() if first else None, "fired": 0}
            my_task.internal_data["mlc_cycle"] = state
        if state["next"] is None:
            return False
        due = datetime.fromisoformat(state["next"])
        if due > now:
            return False
        state["fired"] += 1
        following = self.schedule(my_task).next_due(due, state["fired"])
        state["next"] = following.isoformat() if following else None
        _journal(
            my_task,
            JournalEntry(
                JournalKind.TIMER_FIRED,
                my_task.task_spec.bpmn_id or "",
                None,
                detail={"due": due.isoformat(), "occurrence": state["fired"]},
            ),
        )
        return True

    def due(self, task: Any) -> datetime | None:
        """Return the next occurrence for a repeating timer, else the single due time."""
        if self._repeats_on(task):
            state = task.internal_data.get("mlc_cycle")
            if state is None:
                self.cycle_complete(task)
                state = task.internal_data.get("mlc_cycle")
            nxt = state.get("next") if state else None
            return datetime.fromisoformat(nxt) if nxt else None
        return _ClockTimerMixin.due(self, task)

    def reset(self, my_task: Any) -> None:
        """Forget the cycle's progress."""
        my_task.internal_data.pop("mlc_cycle", None)
        _ClockTimerMixin.reset(self, my_task)


def timer_due(task: Any) -> datetime | None:
    """Return when the timer that `task` waits on fires next, or None (not a timer, or never)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, _ClockTimerMixin):
        return definition.due(task)
    nested = getattr(definition, "event_definitions", None)
    if nested:
        dues = [d.due(task) for d in nested if isinstance(d, _ClockTimerMixin)]
        present = [d for d in dues if d is not None]
        return min(present) if present else None
    return None


# ---------------------------------------------------------------- signals and messages


class MlcSignalEvent(SignalEventDefinition):
    """A signal. Throwing one broadcasts it: to catchers in this instance and to every other."""

    def __init__(self, name: str, *, propagate_all: bool = False, **kwargs: Any) -> None:
        """Create the definition; `propagate_all` passes all variables with a thrown signal."""
        super().__init__(name, **kwargs)
        self.propagate_all = propagate_all

    def throw(self, my_task: Any) -> None:
        """Deliver to this instance's catchers and queue the signal for other instances."""
        engine = _engine(my_task)
        variables = engine.visible_variables(my_task) if self.propagate_all else None
        _journal(
            my_task,
            JournalEntry(
                JournalKind.SIGNAL_THROWN,
                my_task.task_spec.bpmn_id or "",
                detail={"signal": self.name},
            ),
        )
        engine.outbox.append(OutboundEvent("signal", self.name, variables))
        top = my_task.workflow.top_workflow
        before = len(top.bpmn_events)
        top.catch(BpmnEvent(MlcSignalEvent(self.name), payload=None))
        # SpiffWorkflow queues uncaught events for the host; ours are already in the outbox.
        del top.bpmn_events[before:]

    def update_task_data(self, my_task: Any) -> None:
        """Signals carry variables through the manager, not through task data."""


class MlcMessageEvent(MessageEventDefinition):
    """A message, correlated by the manager (business key and correlation keys) as in Camunda."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        """Create the definition; BPMN correlation properties are not used."""
        kwargs.pop("correlation_properties", None)
        super().__init__(name, [], **kwargs)

    def catches(self, my_task: Any, event: Any) -> bool:
        """Match by name only; the manager already chose the receiving instance."""
        return bool(self == event.event_definition)

    def catch(self, my_task: Any, event: Any = None) -> None:
        """Mark the task fired; the variables were set by the manager."""
        my_task.internal_data["event_fired"] = True

    def throw(self, my_task: Any) -> None:
        """Queue the message for the manager to correlate."""
        engine = _engine(my_task)
        _journal(
            my_task,
            JournalEntry(
                JournalKind.MESSAGE_THROWN,
                my_task.task_spec.bpmn_id or "",
                detail={"message": self.name},
            ),
        )
        engine.outbox.append(OutboundEvent("message", self.name, None))

    def update_task_data(self, my_task: Any) -> None:
        """Messages carry variables through the manager, not through task data."""


# ---------------------------------------------------------------- errors and escalations


class _CodedEventMixin:
    """Errors and escalations: a code, the variables that receive it, and a journalled throw."""

    name: str
    code: str | None
    thrown: JournalKind

    def __init__(
        self,
        name: str,
        code: str | None = None,
        *,
        code_variable: str | None = None,
        message_variable: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the definition; the variables receive the caught code and message."""
        super().__init__(name, code, **kwargs)  # type: ignore[call-arg]
        self.code_variable = code_variable
        self.message_variable = message_variable

    def update_task_data(self, my_task: Any) -> None:
        """Store a caught event's code and message in the variables the diagram names."""
        payload = my_task.internal_data.get(self.name) or {}
        if self.code_variable:
            set_variable(my_task, self.code_variable, payload.get("errorCode"))
        if self.message_variable:
            set_variable(my_task, self.message_variable, payload.get("errorMessage"))

    def throw(self, my_task: Any) -> None:
        """Throw to the enclosing scopes, journalled."""
        _journal(
            my_task,
            JournalEntry(self.thrown, my_task.task_spec.bpmn_id or "", detail={"code": self.code}),
        )
        payload = {"errorCode": self.code, "errorMessage": None}
        event = BpmnEvent(
            type(self)(self.name, self.code), payload=payload, target=my_task.workflow
        )
        _engine(my_task).throw_targeted(my_task, event)


class MlcErrorEvent(_CodedEventMixin, ErrorEventDefinition):
    """A BPMN error, thrown by an error end event or by a delegate's `BpmnError`."""

    thrown = JournalKind.ERROR_THROWN


class MlcEscalationEvent(_CodedEventMixin, EscalationEventDefinition):
    """A BPMN escalation; an uncaught escalation is not an error."""

    thrown = JournalKind.ESCALATION_THROWN


# ---------------------------------------------------------------- conditions


class MlcConditionalEvent(ConditionalEventDefinition):
    """A Camunda 7 conditional event: evaluated on arrival, then whenever variables change.

    SpiffWorkflow re-evaluates a condition whenever any task of the instance completes; Camunda
    evaluates it when its scope begins and after each variable change (filtered by
    `camunda:variableName` and `camunda:variableEvents`). The engine's condition pass
    (`conditions.py`) does the latter; `has_fired` only does the evaluation on arrival.
    """

    def __init__(
        self,
        expression: Any,
        *,
        variable_name: str | None = None,
        variable_events: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        """Create the definition; `variable_*` restrict which changes re-evaluate it."""
        super().__init__(expression, **kwargs)
        self.variable_name = variable_name
        self.variable_events = tuple(variable_events)

    def __eq__(self, other: object) -> bool:
        """Two conditional events are the same event when their conditions are the same."""
        return isinstance(other, MlcConditionalEvent) and other.expression == self.expression

    def __hash__(self) -> int:
        """Hash by condition, like equality."""
        return hash(("conditional", str(self.expression)))

    def holds(self, my_task: Any) -> bool:
        """Evaluate the condition from `my_task`'s point of view."""
        value = _engine(my_task).evaluate(my_task, self.expression)
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)

    def reacts_to(self, changes: dict[str, str]) -> bool:
        """Tell whether a change of the named variables (name -> create/update/delete) counts."""
        for name, kind in changes.items():
            if self.variable_name and name != self.variable_name:
                continue
            if self.variable_events and kind not in self.variable_events:
                continue
            return True
        return False

    def has_fired(self, my_task: Any) -> bool:
        """On arrival the condition is evaluated once; later only the condition pass fires it."""
        if my_task.internal_data.get("event_fired"):
            return True
        if my_task.internal_data.get("mlc_cond_seen"):
            return False
        my_task.internal_data["mlc_cond_seen"] = True
        if self.holds(my_task):
            my_task.internal_data["event_fired"] = True
            return True
        return False

    def reset(self, my_task: Any) -> None:
        """Forget the evaluation, so a re-entered event is evaluated on arrival again."""
        my_task.internal_data.pop("mlc_cond_seen", None)
        super().reset(my_task)
