"""The state of one script run: limits, frames, the variables it reads and writes, `execution`.

Process variables are copied into the script when first read and compared when it ends, so an
object changed in place (`MODEL_TEST_RESULT.setDeployedModel(...)`) is written back, as
Camunda 7 does for object variables; `execution.setVariable` writes are kept in order. Nothing
reaches the engine unless the script completes. Values leave the script as JSON.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Protocol

from modelop_mlc._engine.groovy._errors import GroovyLimitError, JavaException, java_error
from modelop_mlc._engine.groovy._values import (
    LOGGER_TAG,
    GClosure,
    GRange,
    JavaObject,
    Logger,
    to_str,
    type_name,
)

__all__ = [
    "Budget",
    "Context",
    "Frame",
    "GroovyHost",
    "GroovyLimits",
    "from_json",
    "to_json",
]

_MAX_NESTING: Final = 200
_TIME_CHECK_MASK: Final = 255


@dataclass(frozen=True)
class GroovyLimits:
    """Bounds on one script run; a script that reaches one stops with `GroovyLimitError`.

    Attributes:
        max_steps: Statements, loop iterations and closure calls one run may execute.
        max_items: Elements of one list or map.
        max_string: Characters of one string.
        max_memory: Characters and elements all the strings and collections the script
            builds may add up to (checked before each is built).
        max_int_bits: Bits of an integer `**` may produce.
        wall_seconds: Time one run may take, read from the injected timer.
        max_depth: Nesting of closure calls.
        max_output: Characters `println` and loggers may write in one run.
    """

    max_steps: int = 1_000_000
    max_items: int = 100_000
    max_string: int = 1_000_000
    max_memory: int = 256 * 1024 * 1024
    max_int_bits: int = 4096
    wall_seconds: float = 5.0
    max_depth: int = 100
    max_output: int = 1_000_000


class Budget:
    """Counts steps, allocations and time against `GroovyLimits`."""

    __slots__ = ("deadline", "limits", "max_int_bits", "memory", "steps", "timer")

    def __init__(self, limits: GroovyLimits, timer: Callable[[], float]) -> None:
        """Start counting now."""
        self.limits = limits
        self.timer = timer
        self.steps = limits.max_steps
        self.memory = limits.max_memory
        self.max_int_bits = limits.max_int_bits
        self.deadline = timer() + limits.wall_seconds

    def step(self) -> None:
        """Count one step; check the clock every 256 steps."""
        self.steps -= 1
        if self.steps & _TIME_CHECK_MASK == 0 or self.steps < 0:
            self.check()

    def check(self) -> None:
        """Stop the run if it has used up its steps or its time."""
        if self.steps < 0:
            raise GroovyLimitError(
                f"the script ran more than {self.limits.max_steps} steps and was stopped "
                "(an endless loop?)"
            )
        if self.timer() > self.deadline:
            raise GroovyLimitError(
                f"the script ran longer than {self.limits.wall_seconds:g} s and was stopped"
            )

    def charge(self, units: int) -> None:
        """Count `units` of work done outside statements (sorting, copying) as steps."""
        self.steps -= units
        self.check()

    def string(self, length: int, added: int | None = None) -> None:
        """Allow a string of `length` characters (`added` of them new), or refuse first."""
        if length > self.limits.max_string:
            raise GroovyLimitError(
                f"a string of {length} characters would exceed the limit of "
                f"{self.limits.max_string}"
            )
        self._allocate(length if added is None else added)

    def items(self, count: int, added: int | None = None) -> None:
        """Allow a collection of `count` elements (`added` of them new), or refuse first."""
        if count > self.limits.max_items:
            raise GroovyLimitError(
                f"a collection of {count} elements would exceed the limit of "
                f"{self.limits.max_items}"
            )
        self._allocate((count if added is None else added) * 8)

    def _allocate(self, units: int) -> None:
        self.memory -= units
        if self.memory < 0:
            raise GroovyLimitError(
                f"the script built more than {self.limits.max_memory} bytes of strings and "
                "collections and was stopped"
            )


class GroovyHost(Protocol):
    """What a script sees of the engine: variables, the `execution` getters and the clock."""

    def has_variable(self, name: str) -> bool:
        """Whether a process variable `name` is visible."""
        ...

    def get_variable(self, name: str) -> Any:
        """The JSON value of a visible variable."""
        ...

    def get_variable_local(self, name: str) -> tuple[bool, Any]:
        """`(found, value)` of a variable in the element's own local scope."""
        ...

    def variable_names(self) -> Iterable[str]:
        """The visible names (for error messages)."""
        ...

    def execution_property(self, getter: str) -> Any:
        """`getProcessInstanceId`, `getBusinessKey`, ...; raise `KeyError` when unknown."""
        ...

    def now(self) -> datetime:
        """The current time (the instance's clock)."""
        ...


class Frame:
    """The local variables of one script or closure body; `parent` is the enclosing one."""

    __slots__ = ("ctx", "parent", "vars")

    def __init__(self, ctx: Context, parent: Frame | None) -> None:
        """Create an empty frame."""
        self.ctx = ctx
        self.parent = parent
        self.vars: dict[str, Any] = {}

    def find(self, name: str) -> dict[str, Any] | None:
        """The frame dict that declares `name`, innermost first."""
        frame: Frame | None = self
        while frame is not None:
            if name in frame.vars:
                return frame.vars
            frame = frame.parent
        return None


class Variables:
    """Process variables as one script run sees them: copied on read, written on success."""

    def __init__(self, host: GroovyHost) -> None:
        """Start with nothing read."""
        self.host = host
        self.values: dict[str, Any] = {}
        self.originals: dict[str, Any] = {}
        self.ops: dict[str, str] = {}

    def has(self, name: str) -> bool:
        """Whether `name` is (still) a variable."""
        if name in self.values:
            return True
        if self.ops.get(name) == "remove":
            return False
        return self.host.has_variable(name)

    def get(self, name: str) -> Any:
        """The variable's value inside the script (the same object on every read)."""
        if name in self.values:
            return self.values[name]
        if self.ops.get(name) == "remove" or not self.host.has_variable(name):
            return None
        original = self.host.get_variable(name)
        value = from_json(original)
        self.values[name] = value
        self.originals[name] = original
        return value

    def set(self, name: str, value: Any, op: str = "set") -> None:
        """`execution.setVariable` (`op` "set") or `setVariableLocal` (`op` "local")."""
        self.values[name] = value
        self.ops.pop(name, None)
        self.ops[name] = op

    def get_local(self, name: str) -> Any:
        """`execution.getVariableLocal`."""
        if self.ops.get(name) == "local":
            return self.values[name]
        found, value = self.host.get_variable_local(name)
        return from_json(value) if found else None

    def remove(self, name: str) -> None:
        """`execution.removeVariable`."""
        self.values.pop(name, None)
        self.ops.pop(name, None)
        self.ops[name] = "remove"

    def changes(self) -> list[tuple[str, str, Any]]:
        """`(op, name, json)` for every write, then every variable changed in place."""
        out: list[tuple[str, str, Any]] = []
        for name, op in self.ops.items():
            value = None if op == "remove" else _stored(name, self.values[name])
            out.append((op, name, value))
        for name, original in self.originals.items():
            if name in self.ops or name not in self.values:
                continue
            if _unchanged(self.values[name], original):
                continue
            current = _stored(name, self.values[name])
            if current != original:
                out.append(("set", name, current))
        return out


_PLAIN: Final = (str, int, float, bool, type(None))


def _unchanged(value: Any, original: Any, depth: int = 0) -> bool:
    """Whether a copy read from JSON still equals it (False when unsure: then compare JSON)."""
    if type(value) in _PLAIN:
        return type(value) is type(original) and value == original
    if depth > _MAX_NESTING:
        return False
    if type(value) is dict:
        return (
            type(original) is dict
            and len(value) == len(original)
            and all(
                key in original and _unchanged(item, original[key], depth + 1)
                for key, item in value.items()
            )
        )
    if type(value) is list:
        return (
            type(original) is list
            and len(value) == len(original)
            and all(_unchanged(a, b, depth + 1) for a, b in zip(value, original, strict=True))
        )
    return False


def _stored(name: str, value: Any) -> Any:
    try:
        return to_json(value)
    except (TypeError, ValueError) as err:
        raise java_error(
            "IllegalArgumentException", f"variable '{name}' cannot be stored: {err}"
        ) from None


class Context:
    """Everything one run needs: budget, variables, script bindings, services."""

    def __init__(
        self,
        host: GroovyHost,
        budget: Budget,
        *,
        uuid_source: Callable[[], str],
        log: Callable[[str, str, str], None],
    ) -> None:
        """Create the context for one run."""
        self.host = host
        self.budget = budget
        self.variables = Variables(host)
        self.binding: dict[str, Any] = {}
        self.uuid_source = uuid_source
        self.log = log
        self.output_left = budget.limits.max_output
        self.depth = 0
        self.max_depth = budget.limits.max_depth
        self.execution: Any = None  # set by the package (the `execution` shim)

    def lookup(self, name: str) -> Any:
        """Resolve a name no frame declares: script binding, process variable, `execution`."""
        if name in self.binding:
            return self.binding[name]
        if self.variables.has(name):
            return self.variables.get(name)
        if name == "execution" and self.execution is not None:
            return self.execution
        names = sorted(self.host.variable_names())
        shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")  # noqa: PLR2004
        raise java_error(
            "MissingPropertyException",
            f"No such property: {name} (no local, no process variable of that name; "
            f"variables: {shown or 'none'})",
        )

    def write_output(self, level: str, logger: str, text: str) -> None:
        """Send printed or logged text to Python logging, within the output budget."""
        if self.output_left <= 0:
            return
        if len(text) > self.output_left:
            text = text[: self.output_left] + " [output truncated]"
        self.output_left -= len(text)
        self.log(level, logger, text)

    def enter(self) -> None:
        """Refuse one more nested closure call beyond the limit."""
        if self.depth + 1 > self.max_depth:
            raise GroovyLimitError(
                f"closures are nested more than {self.budget.limits.max_depth} calls deep"
            )


def default_timer() -> float:
    """The monotonic clock the wall-time limit reads unless a test injects another."""
    return time.monotonic()


# ---------------------------------------------------------------- the JSON boundary


def to_json(value: Any, depth: int = 0) -> Any:
    """Convert a script value to JSON data for a process variable.

    Raises:
        TypeError: For values with no JSON form (closures, patterns).
        ValueError: For NaN or infinite numbers and structures nested too deeply.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if depth > _MAX_NESTING:
        raise ValueError("the value is nested too deeply (or contains itself)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{to_str(value)} is not a JSON number")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, list | GRange):
        return [to_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {
            key if isinstance(key, str) else to_str(key): to_json(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, JavaObject):
        return to_json(value.to_json(), depth + 1)
    if isinstance(value, GClosure):
        raise TypeError("a closure cannot be stored in a process variable")
    if isinstance(value, JavaException):
        raise TypeError("an exception cannot be stored in a process variable")
    raise TypeError(f"a {type_name(value)} cannot be stored in a process variable")


def from_json(value: Any, depth: int = 0) -> Any:
    """Copy JSON data into script values (loggers stored earlier come back as loggers)."""
    if isinstance(value, dict):
        if depth > _MAX_NESTING:
            return value
        if len(value) == 1 and LOGGER_TAG in value:
            return Logger(str(value[LOGGER_TAG]))
        return {key: from_json(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        if depth > _MAX_NESTING:
            return list(value)
        return [from_json(item, depth + 1) for item in value]
    return value


def missing_method(receiver: Any, name: str, args: list[Any]) -> Exception:
    """Groovy's MissingMethodException for `receiver.name(args)`."""
    types = ", ".join(type_name(arg) for arg in args)
    return java_error(
        "MissingMethodException",
        f"No signature of method: {type_name(receiver)}.{name}() is applicable for argument "
        f"types: ({types})",
    )


def null_error(action: str) -> Exception:
    """Groovy's NullPointerException, e.g. "Cannot invoke method x() on null object"."""
    return java_error("NullPointerException", action)


__all__ += ["LOGGER_TAG", "Variables", "default_timer", "missing_method", "null_error"]
