"""Call activities: each call starts a child instance, as Camunda 7 does.

The call activity's task asks for a child (`CallRequest`: the called key, the binding, the
business key and the `camunda:in` variables) and waits, STARTED, until the manager hands back
the child's end (`apply_outputs`, the `camunda:out` mappings evaluated in the child) or an error
or escalation the child threw and its callers catch. The child is a separate instance with its
own id, record, history and variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelop_mlc._engine import juel
from modelop_mlc._engine.host import CallRequest
from modelop_mlc._engine.scope import LOCALS, lookup, set_local, set_variable, visible_variables
from modelop_mlc.errors import ExpressionError

__all__ = ["CALL_KEY", "CallMapping", "apply_outputs", "call_request", "child_of"]

CALL_KEY = "mlc_call"  # on the call activity's task: {"child": id} while the child runs


@dataclass(frozen=True)
class CallMapping:
    """One `camunda:in` or `camunda:out` variable mapping.

    Attributes:
        target: The variable set on the other side (None for `variables="all"`).
        source: The variable read (`source`).
        expression: The expression evaluated instead (`sourceExpression`).
        all: `variables="all"`: every variable.
        local: `local="true"`: read only the call activity's local variables (in), or set
            the values as its local variables (out).
    """

    target: str | None
    source: str | None = None
    expression: str | None = None
    all: bool = False
    local: bool = False


def _evaluate(task: Any, text: str) -> Any:
    engine = task.workflow.script_engine
    return engine.evaluate(task, text) if juel.is_expression(text) else text


def _text(task: Any, value: str | None, what: str) -> str | None:
    if value is None:
        return None
    result = _evaluate(task, value)
    if result is None:
        return None
    if isinstance(result, bool) or not isinstance(result, str | int):
        raise ExpressionError(
            f"the {what} of call activity '{task.task_spec.bpmn_id}' evaluated to "
            f"{result!r}; it must be text",
            expression=value,
            activity_id=task.task_spec.bpmn_id,
        )
    return str(result)


def _locals(task: Any) -> dict[str, Any]:
    return dict(task.internal_data.get(LOCALS) or {})


def _in_variables(task: Any, mappings: tuple[CallMapping, ...]) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for mapping in mappings:
        if mapping.all:
            variables.update(_locals(task) if mapping.local else visible_variables(task))
        elif mapping.expression is not None:
            variables[mapping.target or ""] = _evaluate(task, mapping.expression)
        elif mapping.source is not None:
            if mapping.local:
                value = _locals(task).get(mapping.source)
            else:
                value = lookup(task, mapping.source)[1]
            variables[mapping.target or mapping.source] = value
    return variables


def call_request(task: Any) -> CallRequest:
    """Describe the child instance the call activity `task` starts, and remember its id."""
    spec = task.task_spec
    called = _text(task, spec.called_element, "calledElement")
    if not called:
        raise ExpressionError(
            f"call activity '{spec.bpmn_id}' names no process to call (calledElement "
            f"{spec.called_element!r} is empty)",
            activity_id=spec.bpmn_id,
        )
    child_id = task.workflow.script_engine.host.child_id(spec.bpmn_id)
    request = CallRequest(
        task_id=str(task.id),
        activity_id=spec.bpmn_id,
        child_id=child_id,
        called_element=called,
        binding=spec.binding,
        version=_text(task, spec.version, "called element version"),
        business_key=_text(task, spec.business_key, "business key"),
        variables=_in_variables(task, spec.in_mappings),
    )
    task.internal_data[CALL_KEY] = {"child": child_id}
    return request


def child_of(task: Any) -> str | None:
    """The id of the child instance a call activity's task waits for, if any."""
    call = task.internal_data.get(CALL_KEY)
    return call.get("child") if isinstance(call, dict) else None


def apply_outputs(
    task: Any,
    child_variables: Mapping[str, Any],
    evaluate: Callable[[str], Any],
) -> list[str]:
    """Set the `camunda:out` mappings of the child that ended on the call activity `task`.

    `evaluate` evaluates a `sourceExpression` in the child, as Camunda does. Returns the
    names set outside the call activity's local scope.
    """
    changed: list[str] = []
    for mapping in task.task_spec.out_mappings:
        if mapping.all:
            values = dict(child_variables)
        elif mapping.expression is not None:
            values = {mapping.target or "": evaluate(mapping.expression)}
        elif mapping.source is not None:
            values = {mapping.target or mapping.source: child_variables.get(mapping.source)}
        else:
            continue
        for name, value in values.items():
            if mapping.local:
                set_local(task, name, value)
            else:
                set_variable(task, name, value)
                changed.append(name)
    task.internal_data.pop(CALL_KEY, None)
    return changed
