"""The `execution` object of Groovy scripts: Camunda's `DelegateExecution`, for variables.

Writes go to the run's `Variables` (applied when the script completes); the getters
(`getProcessInstanceId()`, `getBusinessKey()`, `getCurrentActivityId()`, ...) come from the
engine through the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

from modelop_mlc._engine.groovy._classes import need
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._values import JavaObject, to_str

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["EXECUTION_GETTERS", "Execution"]

EXECUTION_GETTERS: Final = (
    "getProcessInstanceId",
    "getProcessBusinessKey",
    "getBusinessKey",
    "getCurrentActivityId",
    "getCurrentActivityName",
    "getActivityInstanceId",
    "getProcessDefinitionId",
    "getId",
)


class Execution(JavaObject):
    """`execution` in a script."""

    __slots__ = ()
    TYPE = "DelegateExecution"
    QUALIFIED = "org.camunda.bpm.engine.delegate.DelegateExecution"
    METHODS: ClassVar[dict[str, Any]] = {}

    def to_string(self) -> str:
        """Like Camunda's `ExecutionEntity.toString()`."""
        return "Execution"


def _name(args: list[Any], method: str, count: int) -> str:
    need(f"execution.{method}", args, count)
    if not isinstance(args[0], str):
        raise java_error(
            "IllegalArgumentException", f"execution.{method}() needs a variable name as text"
        )
    return args[0]


def _set(ctx: Context, self: Execution, args: list[Any]) -> None:
    ctx.variables.set(_name(args, "setVariable", 2), args[1])


def _set_local(ctx: Context, self: Execution, args: list[Any]) -> None:
    ctx.variables.set(_name(args, "setVariableLocal", 2), args[1], "local")


def _variables(ctx: Context, self: Execution, args: list[Any]) -> dict[str, Any]:
    need("execution.getVariables", args, 0)
    names = set(ctx.host.variable_names()) | set(ctx.variables.values)
    return {name: ctx.variables.get(name) for name in sorted(names) if ctx.variables.has(name)}


def _getter(method: str) -> Any:
    def get(ctx: Context, self: Execution, args: list[Any]) -> Any:
        need(f"execution.{method}", args, 0)
        return ctx.host.execution_property(method)

    return get


Execution.METHODS.update(
    {
        "setVariable": _set,
        "setVariableLocal": _set_local,
        "getVariable": lambda ctx, self, args: ctx.variables.get(_name(args, "getVariable", 1)),
        "getVariableLocal": lambda ctx, self, args: ctx.variables.get_local(
            _name(args, "getVariableLocal", 1)
        ),
        "hasVariable": lambda ctx, self, args: ctx.variables.has(_name(args, "hasVariable", 1)),
        "hasVariableLocal": lambda ctx, self, args: (
            ctx.variables.get_local(_name(args, "hasVariableLocal", 1)) is not None
            or ctx.host.get_variable_local(to_str(args[0]))[0]
        ),
        "removeVariable": lambda ctx, self, args: ctx.variables.remove(
            _name(args, "removeVariable", 1)
        ),
        "getVariables": _variables,
        "getVariableNames": lambda ctx, self, args: sorted(_variables(ctx, self, args)),
        **{getter: _getter(getter) for getter in EXECUTION_GETTERS},
    }
)
