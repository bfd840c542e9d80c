"""The protocols through which expressions see the host: variables, clock, host objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from modelop_mlc.clock import Clock


class EvaluationContext(Protocol):
    """Where an expression looks up its top-level identifiers (variables, `execution`)."""

    def has_variable(self, name: str) -> bool:
        """Return whether `name` resolves to a value (which may be `None`)."""

    def get_variable(self, name: str) -> Any:
        """Return the value of `name`; called only after `has_variable(name)` returned true."""


@runtime_checkable
class ListableContext(EvaluationContext, Protocol):
    """An `EvaluationContext` that can list its names, so errors can suggest the right one."""

    def variable_names(self) -> Iterable[str]:
        """Return every name `has_variable` accepts."""


@runtime_checkable
class ClockedContext(EvaluationContext, Protocol):
    """An `EvaluationContext` with a clock, which `now()` and `dateTime()` read."""

    def current_time(self) -> datetime | None:
        """Return the current time (aware), or None when this evaluation has no clock."""


@runtime_checkable
class JuelObject(Protocol):
    """An object the host exposes to expressions with its own methods, such as `execution`."""

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        """Call `method` with evaluated arguments; raise `ExpressionError` for unknown methods."""

    def juel_property(self, name: str) -> Any:
        """Return the property `name` (as in `execution.processInstanceId`)."""


class MappingContext:
    """An `EvaluationContext` over plain mappings, for tests and simple hosts.

    Args:
        variables: The variables by name.
        extra: Further names, such as `execution`, that take precedence over `variables`
            (Camunda resolves `execution` before any variable of that name).
        clock: What `now()` and `dateTime()` read; without one they raise `ExpressionError`.
    """

    __slots__ = ("_clock", "_extra", "_variables")

    def __init__(
        self,
        variables: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        """Create the context; the mappings are read live, not copied."""
        self._variables = variables
        self._extra: Mapping[str, Any] = extra if extra is not None else {}
        self._clock = clock

    def has_variable(self, name: str) -> bool:
        """Return whether `name` is in `extra` or `variables`."""
        return name in self._extra or name in self._variables

    def get_variable(self, name: str) -> Any:
        """Return the value of `name`, looking in `extra` first."""
        return self._extra[name] if name in self._extra else self._variables[name]

    def variable_names(self) -> list[str]:
        """Return every name, sorted."""
        return sorted({*self._variables, *self._extra})

    def current_time(self) -> datetime | None:
        """Return the clock's time, or None without a clock."""
        return None if self._clock is None else self._clock.now()
