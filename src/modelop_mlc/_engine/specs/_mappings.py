"""Parameter values (`camunda:inputOutput`, `camunda:in`/`out`, connectors) and their evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelop_mlc._engine import juel
from modelop_mlc._engine.feel import FeelText
from modelop_mlc._engine.scripting import ScriptText
from modelop_mlc.errors import ExpressionError

# A parameter value: text (literal or `${...}`), a list (`camunda:list`), a map (`camunda:map`),
# a FEEL or other `camunda:script` or None (an empty parameter).
ParamValue = str | list[Any] | dict[str, Any] | FeelText | ScriptText | None


@dataclass(frozen=True)
class Param:
    """One `camunda:inputParameter` / `camunda:outputParameter` (or `camunda:in`/`out`)."""

    name: str
    value: ParamValue


def evaluate_value(task: Any, value: ParamValue) -> Any:
    """Evaluate a parameter value (text, list or map) from `task`'s point of view."""
    if value is None:
        return None
    if isinstance(value, FeelText | ScriptText):
        return task.workflow.script_engine.evaluate(task, value)
    if isinstance(value, list):
        return [evaluate_value(task, item) for item in value]
    if isinstance(value, dict):
        return {key: evaluate_value(task, item) for key, item in value.items()}
    if juel.is_expression(value):
        return task.workflow.script_engine.evaluate(task, value)
    return value


def _located(err: ExpressionError, activity_id: str | None) -> ExpressionError:
    """Name `activity_id` in an error raised from a step the diagram does not show."""
    if err.activity_id is not None or activity_id is None:
        return err
    return ExpressionError(
        str(err).replace(" at 'None'", f" at '{activity_id}'"),
        expression=err.expression,
        instance_id=err.instance_id,
        activity_id=activity_id,
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def start_variables(workflow: Any, variables: Mapping[str, Any]) -> None:
    """Set the initial process variables of a new instance."""
    workflow.data.update(variables)


def text_or_none(value: Any) -> str | None:
    """A value as text; None for None and the empty text."""
    return None if value is None or value == "" else str(value)
