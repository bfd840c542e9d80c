"""What the engine needs from the code that runs it (the manager), as plain data and a protocol.

Nothing here imports SpiffWorkflow: these types cross the `_engine` boundary.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from modelop_mlc.clock import Clock

__all__ = [
    "ASYNC_AFTER",
    "CallRequest",
    "Catcher",
    "DelegateCall",
    "DelegateOutcome",
    "EngineHost",
    "EngineLimits",
    "JournalEntry",
    "JournalKind",
    "Propagation",
    "ScriptOutcome",
]


# The `DelegateCall.kind` of a `camunda:asyncAfter` job: it calls no delegate, it continues.
ASYNC_AFTER = "asyncAfter"


@dataclass(frozen=True)
class DelegateCall:
    """One invocation of a delegate by a service task (or a message throw event).

    Attributes:
        reference: The implementation as written in the diagram (class name, `${bean}`,
            expression or external topic).
        kind: `class`, `delegateExpression`, `expression`, `external`, `connector`, or
            `asyncAfter` for the continuation after an activity (no delegate).
        candidates: Registry names to try, in order (`DeployModel`, `deployModel`, ...).
        activity_id: The BPMN element id.
        activity_name: The element's name, if any.
        task_id: The engine's id for this execution of the element; stable across retries.
        inputs: The evaluated `camunda:inputOutput` input parameters.
        variables: The variables visible to the task when it started (a copy).
        asynchronous: Whether the diagram asks for `camunda:asyncBefore`.
        retry_cycle: The element's `camunda:failedJobRetryTimeCycle`, if any.
        method: For `camunda:expression` calls such as `${bean.method(a, b)}`: the method.
        arguments: The evaluated positional arguments of that method call.
        listener: For an execution or task listener, its event (`start`, `create`, ...):
            listeners always run inline, never as a job.
    """

    reference: str
    kind: str
    candidates: tuple[str, ...]
    activity_id: str
    activity_name: str | None
    task_id: str
    inputs: Mapping[str, Any]
    variables: Mapping[str, Any]
    asynchronous: bool = False
    retry_cycle: str | None = None
    method: str | None = None
    arguments: tuple[Any, ...] = ()
    listener: str | None = None


@dataclass(frozen=True)
class CallRequest:
    """A call activity asks for a child instance (Camunda 7 starts one per call).

    Attributes:
        task_id: The engine's id of the call activity's execution; the child returns to it.
        activity_id: The call activity's element id.
        child_id: The id the child instance gets (the call activity keeps it).
        called_element: The process key to call (`calledElement`, evaluated).
        binding: `latest`, `deployment`, `version` or `versionTag`.
        version: The version number or tag for the `version` / `versionTag` bindings.
        business_key: The child's business key (`camunda:in businessKey`), else None.
        variables: The child's starting variables (`camunda:in` mappings).
    """

    task_id: str
    activity_id: str
    child_id: str
    called_element: str
    binding: str
    version: str | None
    business_key: str | None
    variables: Mapping[str, Any]


class Catcher(StrEnum):
    """How an error or escalation thrown in a called instance is caught by its callers."""

    INTERRUPTING = "interrupting"  # the call activity ends: the called instance with it
    NON_INTERRUPTING = "non-interrupting"  # a new path in the caller; the called one goes on


@dataclass(frozen=True)
class Propagation:
    """An error or escalation a called instance could not catch, for its caller's call activity.

    Attributes:
        kind: `error` or `escalation`.
        code: The error or escalation code.
        message: The error message, if any.
        catcher: How the callers catch it.
    """

    kind: str
    code: str | None
    message: str | None
    catcher: Catcher


class DelegateOutcome(StrEnum):
    """What `EngineHost.invoke_delegate` decided."""

    COMPLETED = "completed"  # ran inline; the variables to set are returned alongside
    DEFERRED = "deferred"  # runs later as a job; the task waits (STARTED)


@dataclass(frozen=True)
class ScriptOutcome:
    """The result of running a script task's code."""

    variables: Mapping[str, Any]
    deleted: frozenset[str] = frozenset()
    value: Any = None


class JournalKind(StrEnum):
    """Kinds of runtime events the engine reports to the host for history."""

    ACTIVITY_START = "activity_start"
    ACTIVITY_END = "activity_end"
    ACTIVITY_CANCEL = "activity_cancel"
    FLOW_TAKEN = "flow_taken"
    SIGNAL_THROWN = "signal_thrown"
    MESSAGE_THROWN = "message_thrown"
    ERROR_THROWN = "error_thrown"
    ESCALATION_THROWN = "escalation_thrown"
    TIMER_FIRED = "timer_fired"
    DECISION_EVALUATED = "decision_evaluated"


@dataclass
class JournalEntry:
    """Something that happened during one engine step.

    Attributes:
        kind: What happened.
        activity_id: The BPMN element id (or the sequence flow id for `FLOW_TAKEN`).
        activity_name: The element's name.
        activity_type: The BPMN element type (`serviceTask`, `userTask`, ...).
        task_id: The engine task id.
        detail: Extra data (signal name, error code, payload...), JSON only.
        process_id: The id of the process (or sub-process) the element belongs to.
    """

    kind: JournalKind
    activity_id: str
    activity_name: str | None = None
    activity_type: str | None = None
    task_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    process_id: str | None = None


@dataclass(frozen=True)
class EngineLimits:
    """Bounds on one step of one instance, so that a bad diagram fails fast.

    Attributes:
        max_activities_per_step: Activities one step may run (a loop with no wait state).
        max_call_depth: How deeply call activities may nest (a call activity calling itself).
    """

    max_activities_per_step: int = 10_000
    max_call_depth: int = 20


class EngineHost(Protocol):
    """Services the engine calls back into while it runs one instance."""

    @property
    def clock(self) -> Clock:
        """The clock every timer and timestamp reads."""
        ...

    @property
    def instance_id(self) -> str:
        """The id of the instance being run."""
        ...

    @property
    def business_key(self) -> str | None:
        """The instance's business key."""
        ...

    @property
    def definition_id(self) -> str:
        """The process definition id (key:version:hash)."""
        ...

    @property
    def history_facts(self) -> Collection[str]:
        """Result variables whose scalar values a service task's end event records."""
        ...

    def invoke_delegate(self, call: DelegateCall) -> tuple[DelegateOutcome, Mapping[str, Any]]:
        """Run a delegate inline, or defer it to a job.

        Returns `(COMPLETED, variables)` after an inline run, `(DEFERRED, {})` when the task
        must wait for a job. Raises `BpmnError` for a business error.
        """
        ...

    def evaluate_decision(
        self,
        decision_ref: str,
        variables: Mapping[str, Any],
        *,
        binding: str,
        version: str | None,
        mapping: str,
    ) -> Any:
        """Evaluate a DMN decision and return its result mapped per `mapDecisionResult`."""
        ...

    def run_script(
        self,
        source: str,
        variables: Mapping[str, Any],
        *,
        context: Mapping[str, Any],
    ) -> ScriptOutcome:
        """Run a Python script task in the sandbox."""
        ...

    def now(self) -> datetime:
        """Return the current time (the clock's)."""
        ...

    def child_id(self, activity_id: str) -> str:
        """The id for the child instance a call activity starts (stable if the step reruns)."""
        ...

    def caught_above(self, kind: str, code: str | None) -> Catcher | None:
        """Tell how the callers of this (called) instance catch an error or escalation.

        Asked when nothing in the instance catches it; None when nothing above does either
        (and always for an instance no call activity started).
        """
        ...

    @property
    def limits(self) -> EngineLimits:
        """Bounds on this step (activities, call-activity depth)."""
        ...

    def known_delegates(self) -> Sequence[str]:
        """Return the names of registered delegates (for error messages)."""
        ...
