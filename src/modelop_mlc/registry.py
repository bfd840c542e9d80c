"""Delegates: the Python callables that service tasks run, registered by name.

A diagram names a delegate the Camunda way and every form resolves through one registry:
`camunda:class="com.modelop.mlc.delegate.modelop.DeployModel"`, `${deployModel}`,
`${deployModel.execute(execution)}` and an external topic `DeployModel` all find the delegate
registered as `DeployModel`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from modelop_mlc.clock import Clock
from modelop_mlc.config import ManagerConfig
from modelop_mlc.errors import BpmnError, ConfigurationError, ProcessError, VariableError
from modelop_mlc.ports import Decisions, ModelOpCenter, TicketSystems

__all__ = [
    "Delegate",
    "DelegateContext",
    "DelegateEntry",
    "DelegateRegistry",
    "Pending",
    "check_json",
    "delegate_output",
]


class Pending(Exception):  # noqa: N818 - a signal to the runtime, not an error
    """Raised by a delegate that must wait for something outside (a job, a ticket).

    The service task stays where it is and the delegate runs again after `after`, or as soon as
    someone calls `manager.wake(wake_on)`. Nothing is added to the instance's task tree and no
    retry is used up: waiting a month costs one row.

    Args:
        after: When to check again.
        reason: What it waits for (shown in `mlc show`).
        wake_on: A key that wakes it early, e.g. `job:<id>` or `ticket:<key>`.
    """

    def __init__(self, after: timedelta, reason: str = "", *, wake_on: str | None = None) -> None:
        """Create the signal."""
        super().__init__(reason or f"waiting {after}")
        self.after = after
        self.reason = reason
        self.wake_on = wake_on


@dataclass(frozen=True)
class DelegateContext:
    """What a delegate gets when a service task runs it.

    Attributes:
        variables: A read-only view of the process variables (as the task saw them).
        inputs: The evaluated `camunda:inputOutput` input parameters (or connector inputs).
        instance_id: The process instance id.
        activity_id: The service task's id.
        activity_name: The service task's name.
        business_key: The instance's business key.
        idempotency_key: The same on every retry of this execution of the task; pass it to
            remote systems so a retried step finds what it already created.
        clock: The manager's clock.
        center: The configured ModelOp Center (LocalCenter by default), or None; optional
            capabilities are checked with `isinstance` against the `modelop_mlc.ports`
            protocols (`RecordEditing`, ...).
        tickets: The configured ticket systems (`modelop_mlc.tickets.Tickets`), or None.
        decisions: Looks up deployed DMN models: `decisions.model(decision_id)`, or None.
        secrets: Configured secrets (`ManagerConfig.secrets`); read them with `secret()`.
        config: The manager's `ManagerConfig` (None outside a manager).
        method: For `${bean.method(...)}` expressions: the method name.
        arguments: For `${bean.method(...)}` expressions: the evaluated arguments.
        attempt: 1 on the first try, then 2, 3, ... on retries.
        log: A logger named after the delegate.
        event_name: When the delegate runs as an execution or task listener, its event
            (`start`, `end`, `take`, `create`, `assignment`, `complete`, `delete`), as
            Camunda's `getEventName()`; None for a service task.
    """

    variables: Mapping[str, Any]
    inputs: Mapping[str, Any]
    instance_id: str
    activity_id: str
    activity_name: str | None
    business_key: str | None
    idempotency_key: str
    clock: Clock
    center: ModelOpCenter | None = None
    tickets: TicketSystems | None = None
    decisions: Decisions | None = None
    secrets: Mapping[str, Any] = field(default_factory=dict, repr=False)
    config: ManagerConfig | None = field(default=None, repr=False)
    method: str | None = None
    arguments: tuple[Any, ...] = ()
    attempt: int = 1
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("modelop_mlc.delegate"))
    event_name: str | None = None

    def get(self, name: str, default: Any = None) -> Any:
        """Return an input parameter, else a process variable, else `default`."""
        if name in self.inputs:
            return self.inputs[name]
        return self.variables.get(name, default)

    def secret(self, name: str) -> str:
        """Return the configured secret `name` (never put it in a variable or a message).

        Raises:
            ConfigurationError: If no secret has that name.
        """
        value = self.secrets.get(name)
        if value is None:
            raise ConfigurationError(
                f"no secret named '{name}' is configured; add it to ManagerConfig(secrets=...) "
                f"or MLC_SECRETS; configured: {', '.join(sorted(self.secrets)) or 'none'}"
            )
        getter = getattr(value, "get_secret_value", None)
        return str(getter() if getter is not None else value)

    def require(self, name: str) -> Any:
        """Return an input or variable that must be set.

        Raises:
            modelop_mlc.errors.BpmnError: `FAILURE`, naming the missing variable.
        """
        value = self.get(name)
        if value is None:
            raise BpmnError("FAILURE", f"{self.activity_id}: variable '{name}' is not set")
        return value


class Delegate(Protocol):
    """A delegate: takes the context, returns variables to set (or None)."""

    def __call__(self, context: DelegateContext, /) -> Mapping[str, Any] | None:
        """Do the work of one service task."""
        ...


@dataclass(frozen=True)
class DelegateEntry:
    """A registered delegate.

    Attributes:
        name: The registered name.
        function: The callable.
        asynchronous: Whether it runs as a job outside the instance transaction (side effects,
            long work) rather than inline.
        description: What it does (shown by `mlc delegates`).
        builtin: Registered by the library; a registration of yours replaces it.
    """

    name: str
    function: Delegate
    asynchronous: bool = False
    description: str | None = None
    builtin: bool = False


class DelegateRegistry:
    """Maps delegate names to callables; one per manager (no global registry)."""

    def __init__(self) -> None:
        """Create an empty registry."""
        self._entries: dict[str, DelegateEntry] = {}
        self._folded: dict[str, str] = {}
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(
        self,
        name: str,
        function: Delegate | Callable[[DelegateContext], Mapping[str, Any] | None],
        *,
        asynchronous: bool = False,
        aliases: Iterable[str] = (),
        replace: bool = False,
        description: str | None = None,
        builtin: bool = False,
    ) -> DelegateEntry:
        """Register `function` under `name` (and `aliases`).

        Built-in delegates (the ModelOp set the manager registers) may be replaced by a later
        registration without `replace=True`: your own `DeployModel` wins.

        Raises:
            ConfigurationError: If the name is empty or taken and `replace` is False.
        """
        if not name or not name.strip():
            raise ConfigurationError("a delegate needs a non-empty name")
        if not callable(function):
            raise ConfigurationError(f"delegate '{name}' is not callable")
        entry = DelegateEntry(
            name,
            function,
            asynchronous,
            description or (function.__doc__ or "").strip().split("\n")[0] or None,
            builtin=builtin,
        )
        with self._lock:
            for alias in (name, *aliases):
                taken = self._entries.get(alias)
                if taken is not None and not replace and not taken.builtin:
                    raise ConfigurationError(
                        f"a delegate is already registered as '{alias}'; pass replace=True to "
                        "replace it"
                    )
            for alias in (name, *aliases):
                self._entries[alias] = entry
                self._folded[alias.lower()] = alias
                self._refused.pop(alias.lower(), None)
        return entry

    def refuse(self, name: str, reason: str) -> None:
        """Refuse diagrams that use delegate `name`, with `reason`, unless one is registered.

        The library marks ModelOp delegates that need a system it does not talk to (Jenkins,
        SageMaker, ...): deploying a diagram that names one fails with `reason`, which says
        what to register instead. Registering `name` yourself lifts the refusal.
        """
        with self._lock:
            if name not in self._entries:
                self._refused[name.lower()] = reason

    def refusal(self, candidates: Sequence[str]) -> str | None:
        """Return why the first refused candidate cannot run, or None when none is refused."""
        if self.resolve(candidates) is not None:
            return None
        for candidate in candidates:
            reason = self._refused.get(candidate.lower())
            if reason is not None:
                return reason
        return None

    def refused(self) -> dict[str, str]:
        """The refused delegate names (lower case) and why."""
        return dict(self._refused)

    def resolve(self, candidates: Sequence[str]) -> DelegateEntry | None:
        """Find the first candidate registered (exactly, then ignoring case)."""
        for candidate in candidates:
            entry = self._entries.get(candidate)
            if entry is not None:
                return entry
        for candidate in candidates:
            alias = self._folded.get(candidate.lower())
            if alias is not None:
                return self._entries[alias]
        return None

    def names(self) -> list[str]:
        """Every registered name and alias, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        """Tell whether `name` resolves."""
        return isinstance(name, str) and self.resolve((name,)) is not None

    def __len__(self) -> int:
        """Count registered names (aliases included)."""
        return len(self._entries)


def check_json(variables: Mapping[str, Any] | None, *, where: str = "variables") -> dict[str, Any]:
    """Return `variables` as a dict after checking every value is JSON.

    Raises:
        VariableError: Naming the first variable that is not JSON-serialisable.
    """
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise VariableError(
            where, f"expected a mapping of names to values, got {type(variables).__name__}"
        )
    result = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name:
            raise VariableError(str(name), "variable names must be non-empty strings")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise VariableError(name, str(err)) from None
        result[name] = value
    return result


def delegate_output(result: object, activity_id: str) -> dict[str, Any]:
    """What a delegate returned, as the variables to set.

    Raises:
        ProcessError: If it returned something other than a mapping or None.
        VariableError: If a value is not JSON.
    """
    if result is None:
        return {}
    if not isinstance(result, Mapping):
        raise ProcessError(
            f"delegate for '{activity_id}' returned {type(result).__name__}; a "
            "delegate returns a dict of variables to set, or None",
            activity_id=activity_id,
        )
    return check_json(result, where=f"result of {activity_id}")
