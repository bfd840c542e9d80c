"""`execution`: the `DelegateExecution` object Camunda expressions and scripts read and change."""

from __future__ import annotations

from typing import Any

from modelop_mlc._engine.host import EngineHost
from modelop_mlc._engine.scope import (
    lookup,
    remove_variable,
    set_local,
    set_variable,
    visible_variables,
)
from modelop_mlc.errors import ExpressionError

__all__ = ["ExecutionFacade"]


class ExecutionFacade:
    """The `execution` object of Camunda expressions and scripts, bound to one task."""

    _METHODS = (
        "getVariable",
        "getVariableLocal",
        "setVariable",
        "setVariableLocal",
        "hasVariable",
        "hasVariableLocal",
        "removeVariable",
        "getVariables",
        "getProcessInstanceId",
        "getProcessBusinessKey",
        "getBusinessKey",
        "getCurrentActivityId",
        "getCurrentActivityName",
        "getActivityInstanceId",
        "getProcessDefinitionId",
        "getId",
    )

    def __init__(self, task: Any, host: EngineHost) -> None:
        """Bind the facade to `task`."""
        self._task = task
        self._host = host

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        """Call one of the supported `DelegateExecution` methods."""
        task = self._task
        if method in {"getVariable", "getVariableLocal"} and len(args) == 1:
            if method == "getVariableLocal":
                return (task.internal_data.get("mlc_locals") or {}).get(args[0])
            return lookup(task, str(args[0]))[1]
        if method in {"hasVariable", "hasVariableLocal"} and len(args) == 1:
            if method == "hasVariableLocal":
                return args[0] in (task.internal_data.get("mlc_locals") or {})
            return lookup(task, str(args[0]))[0]
        if method == "setVariable" and len(args) == 2:  # noqa: PLR2004 - (name, value)
            set_variable(task, str(args[0]), args[1])
            return None
        if method == "setVariableLocal" and len(args) == 2:  # noqa: PLR2004 - (name, value)
            set_local(task, str(args[0]), args[1])
            return None
        if method == "removeVariable" and len(args) == 1:
            remove_variable(task, str(args[0]))
            return None
        if method == "getVariables" and not args:
            return visible_variables(task)
        if not args:
            prop = self._property(method)
            if prop is not _MISSING:
                return prop
        raise ExpressionError(
            f"execution.{method}() with {len(args)} argument(s) is not supported; supported: "
            + ", ".join(self._METHODS)
        )

    def juel_property(self, name: str) -> Any:
        """Read a property such as `execution.processInstanceId`."""
        getter = "get" + name[:1].upper() + name[1:]
        value = self._property(getter)
        if value is _MISSING:
            raise ExpressionError(f"execution has no property '{name}'")
        return value

    def _property(self, getter: str) -> Any:
        task = self._task
        spec = task.task_spec
        values = {
            "getProcessInstanceId": self._host.instance_id,
            "getProcessBusinessKey": self._host.business_key,
            "getBusinessKey": self._host.business_key,
            "getCurrentActivityId": getattr(spec, "bpmn_id", None),
            "getCurrentActivityName": getattr(spec, "bpmn_name", None),
            "getActivityInstanceId": str(task.id),
            "getId": str(task.id),
            "getProcessDefinitionId": self._host.definition_id,
        }
        return values.get(getter, _MISSING)


_MISSING = object()
