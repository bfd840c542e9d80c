"""Errors raised by `modelop_mlc`.

Every failure a host application sees is one of these. Data lives in keyword attributes; the
message says what went wrong, where, and what to do about it.

```
MlcError
├─ ConfigurationError          bad configuration or duplicate registration (raised at construction)
├─ DiagramError                a BPMN/DMN file cannot be deployed; .problems lists every problem
├─ NotFoundError               (also LookupError)
│  ├─ DefinitionNotFoundError  .key, .available
│  ├─ InstanceNotFoundError    .instance_id
│  ├─ TaskNotFoundError        .task_id
│  ├─ ExternalTaskNotFoundError .task_id
│  └─ IncidentNotFoundError    .incident_id
├─ ProcessError                a step failed; .instance_id .activity_id .line .task_trace
│  ├─ ExpressionError          a JUEL/FEEL expression failed to evaluate; .expression
│  ├─ ScriptError              a script task failed or broke a sandbox limit
│  ├─ DelegateError            a delegate raised something other than BpmnError
│  ├─ DecisionError            a DMN decision failed; .decision_id
│  └─ TaskNotOpenError         completing a user task that is not open
├─ CorrelationError            a message matched no receiver or several; .message_name .matches
├─ ExternalTaskLockError       a worker acted on an external task it does not hold; .task_id
├─ VariableError               a variable value cannot be stored (not JSON); .name
├─ UnknownDelegateError        no delegate registered under a name; .name .registered
├─ StoreError                  the database failed
│  ├─ DatabaseNotFoundError    no database where it was asked to open one; .location
│  ├─ InstanceConflictError    optimistic-lock race lost; .instance_id .expected_revision
│  └─ SchemaVersionError       the database schema is older or newer than this library
└─ IntegrationError            a remote system (Jira, ServiceNow, ModelOp) failed; .service
```

`BpmnError` is not an `MlcError`: delegates raise it on purpose to take an error boundary event,
the way a Camunda `JavaDelegate` throws `org.camunda.bpm.engine.delegate.BpmnError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BpmnError",
    "ConfigurationError",
    "CorrelationError",
    "DatabaseNotFoundError",
    "DecisionError",
    "DefinitionNotFoundError",
    "DelegateError",
    "DiagramError",
    "ExpressionError",
    "ExternalTaskLockError",
    "ExternalTaskNotFoundError",
    "IncidentNotFoundError",
    "InstanceConflictError",
    "InstanceNotFoundError",
    "IntegrationError",
    "MlcError",
    "NotFoundError",
    "ProblemReport",
    "ProcessError",
    "SchemaVersionError",
    "ScriptError",
    "StoreError",
    "TaskNotFoundError",
    "TaskNotOpenError",
    "UnknownDelegateError",
    "VariableError",
    "did_you_mean",
]


class BpmnError(Exception):
    """A business error raised by a delegate to take an error boundary event.

    Args:
        code: The error code an `errorEventDefinition` catches (ModelOp's delegates use
            `FAILURE`).
        message: A human-readable explanation; stored in the `errorMessageVariable`.
    """

    def __init__(self, code: str, message: str = "") -> None:
        """Create the error with its code and message."""
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class MlcError(Exception):
    """Base class of every error `modelop_mlc` raises."""


class ConfigurationError(MlcError):
    """The manager, a delegate registration or an adapter is misconfigured."""


@dataclass(frozen=True)
class ProblemReport:
    """One problem found in a diagram.

    Attributes:
        message: What is wrong and what to do.
        element_id: The id of the BPMN/DMN element, when there is one.
        element_name: The element's `name`, when it has one.
        line: The line in the file, when known.
        file: The file name or deployment resource name.
    """

    message: str
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        """Render as `file:line: element 'id' (name): message`."""
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.element_id:
            label = f"element '{self.element_id}'"
            if self.element_name:
                label += f" ({self.element_name})"
            where.append(label)
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class DiagramError(MlcError):
    """A BPMN or DMN file cannot be deployed. `problems` lists every problem found at once."""

    def __init__(self, problems: Sequence[ProblemReport], *, file: str | None = None) -> None:
        """Create the error from the problems found."""
        self.problems = list(problems)
        self.file = file
        count = len(self.problems)
        head = f"{file}: " if file else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{head}{count} {noun} found; fix them and deploy again:\n{lines}")


class NotFoundError(MlcError, LookupError):
    """Something looked up by id or key does not exist."""


class DefinitionNotFoundError(NotFoundError):
    """No process definition is deployed under a key."""

    def __init__(self, key: str, available: Sequence[str]) -> None:
        """Create the error, listing what is deployed."""
        self.key = key
        self.available = sorted(available)
        listing = ", ".join(self.available) if self.available else "none"
        hint = did_you_mean(key, self.available)
        super().__init__(
            f"No process definition with key '{key}' is deployed{hint}; deployed keys: {listing}"
        )


class InstanceNotFoundError(NotFoundError):
    """No process instance has this id."""

    def __init__(self, instance_id: str) -> None:
        """Create the error for one id."""
        self.instance_id = instance_id
        super().__init__(f"No process instance with id '{instance_id}'")


class TaskNotFoundError(NotFoundError):
    """No user task has this id."""

    def __init__(self, task_id: str) -> None:
        """Create the error for one id."""
        self.task_id = task_id
        super().__init__(
            f"No user task with id '{task_id}'; list open tasks with `mlc tasks` "
            "(manager.tasks() in Python)"
        )


class ExternalTaskNotFoundError(NotFoundError):
    """No external task has this id."""

    def __init__(self, task_id: str) -> None:
        """Create the error for one id."""
        self.task_id = task_id
        super().__init__(
            f"External task with id {task_id} does not exist; list them with "
            "manager.external_tasks()"
        )


class ExternalTaskLockError(MlcError):
    """A worker completed, failed or extended an external task whose lock it does not hold.

    Attributes:
        task_id: The external task.
        worker_id: The worker that asked.
        holder: The worker holding the lock, if any.
    """

    def __init__(self, task_id: str, worker_id: str, holder: str | None, action: str) -> None:
        """Create the error; `action` is what the worker tried (`completed`, `extended`...)."""
        self.task_id = task_id
        self.worker_id = worker_id
        self.holder = holder
        held = f"It is locked by worker '{holder}'" if holder else "It is not locked"
        super().__init__(
            f"External task {task_id} cannot be {action} by worker '{worker_id}'. {held}; "
            "fetch and lock it first"
        )


class IncidentNotFoundError(NotFoundError):
    """No incident has this id."""

    def __init__(self, incident_id: str) -> None:
        """Create the error for one id."""
        self.incident_id = incident_id
        super().__init__(
            f"No open incident with id '{incident_id}'; list them with `mlc incidents` "
            "(manager.incidents() in Python)"
        )


class ProcessError(MlcError):
    """A process instance could not take a step.

    Attributes:
        instance_id: The instance, when one was stored.
        activity_id: The element that failed, when known.
        line: The line of the script that failed, when known.
        task_trace: The way to the failed task through call activities, outermost last
            (`"name (file)"` each), when the engine reported it.
    """

    def __init__(
        self,
        message: str,
        *,
        instance_id: str | None = None,
        activity_id: str | None = None,
        line: int | None = None,
        task_trace: Sequence[str] = (),
    ) -> None:
        """Create the error with where it happened."""
        self.instance_id = instance_id
        self.activity_id = activity_id
        self.line = line
        self.task_trace = tuple(task_trace)
        super().__init__(message)


class ExpressionError(ProcessError):
    """An expression (JUEL, FEEL, timer) could not be evaluated."""

    def __init__(
        self,
        message: str,
        *,
        expression: str | None = None,
        instance_id: str | None = None,
        activity_id: str | None = None,
    ) -> None:
        """Create the error with the expression text."""
        self.expression = expression
        super().__init__(message, instance_id=instance_id, activity_id=activity_id)


class ScriptError(ProcessError):
    """A script task failed, was refused by the sandbox, or broke a CPU or memory limit."""


class DelegateError(ProcessError):
    """A delegate raised an exception other than `BpmnError`."""


class DecisionError(ProcessError):
    """A DMN decision could not be evaluated."""

    def __init__(
        self,
        message: str,
        *,
        decision_id: str | None = None,
        instance_id: str | None = None,
        activity_id: str | None = None,
    ) -> None:
        """Create the error with the decision id."""
        self.decision_id = decision_id
        super().__init__(message, instance_id=instance_id, activity_id=activity_id)


class TaskNotOpenError(ProcessError):
    """A user task cannot be completed because it is not open (already done or cancelled)."""


class CorrelationError(MlcError):
    """A message correlated to no receiver or to more than one."""

    def __init__(self, message_name: str, matches: int, detail: str = "") -> None:
        """Create the error with the number of receivers found."""
        self.message_name = message_name
        self.matches = matches
        if matches == 0:
            text = (
                f"Message '{message_name}' matched no waiting receiver and no message start "
                f"event{detail}"
            )
        else:
            text = (
                f"Message '{message_name}' matched {matches} receivers{detail}; narrow it with "
                "business_key= or correlation_keys=, or call message_all() to deliver to every one"
            )
        super().__init__(text)


class VariableError(MlcError):
    """A variable value cannot be stored: it is not JSON, or a form field refuses it."""

    JSON_HINT = (
        "Variables must be JSON values (dict, list, str, int, float, bool, None); convert "
        "dates with .isoformat()"
    )

    def __init__(self, name: str, reason: str, *, hint: str = JSON_HINT) -> None:
        """Create the error for one variable, with what to do about it."""
        self.name = name
        super().__init__(
            f"Variable '{name}' cannot be stored: {reason}. {hint[:1].upper()}{hint[1:]}"
        )


class UnknownDelegateError(MlcError):
    """No delegate is registered under a name."""

    def __init__(self, name: str, registered: Sequence[str]) -> None:
        """Create the error, listing the registered delegates."""
        self.name = name
        self.registered = sorted(registered)
        hint = did_you_mean(name, self.registered)
        listing = ", ".join(self.registered) if self.registered else "none"
        super().__init__(f"No delegate registered as '{name}'{hint}; registered: {listing}")


class StoreError(MlcError):
    """The database failed."""


class DatabaseNotFoundError(StoreError):
    """There is no database where one was to be opened (and creating one was not asked for)."""

    def __init__(self, location: str) -> None:
        """Create the error for the place that was looked at (an absolute path)."""
        self.location = location
        super().__init__(
            f"No database at '{location}'; nothing was created there (open it with "
            "create=True to create one)"
        )


class InstanceConflictError(StoreError):
    """Another writer changed the instance first (optimistic lock lost)."""

    def __init__(self, instance_id: str, expected_revision: int) -> None:
        """Create the error for one instance revision."""
        self.instance_id = instance_id
        self.expected_revision = expected_revision
        super().__init__(
            f"Instance '{instance_id}' changed since revision {expected_revision}; reload and retry"
        )


class SchemaVersionError(StoreError):
    """The database schema does not match this library."""


class IntegrationError(MlcError):
    """A remote system failed (Jira, ServiceNow, ModelOp Center, an HTTP endpoint)."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status_code: int | None = None,
        retryable: bool = False,
    ) -> None:
        """Create the error with the service and HTTP status."""
        self.service = service
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """Return ` (did you mean 'X'?)` for the closest of `candidates`, or an empty string."""
    import difflib  # noqa: PLC0415 - only needed on the error path

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
