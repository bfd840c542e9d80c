"""Decision cells in languages other than FEEL (Groovy, JUEL), through a small protocol.

Camunda 7 lets a table's input expressions, input entries, output entries and literal
expressions name another `expressionLanguage`; ModelOp's threshold tables use Groovy
(`modelMethodology.equalsIgnoreCase("regression") && r2_score < 0.7`) and JUEL. This package
sits below the engine, so it does not know those languages: whoever parses a model passes them
in (`parse_dmn(..., languages=...)`; the engine's are in `modelop_mlc._engine.decision_languages`).
Without them, such cells are refused, as before.

As in Camunda 7: a cell sees the decision's variables, an input entry also its column's input
value as `cellInput` (or the column's `camunda:inputVariable`) and matches only when it gives
`true`, an empty input entry matches anything, and a failing cell fails the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from modelop_mlc.dmn._feel import to_feel
from modelop_mlc.dmn._feel_compile import Evaluator, UnaryTest
from modelop_mlc.dmn._feel_values import Scope
from modelop_mlc.dmn._results import to_json_value
from modelop_mlc.errors import DecisionError

__all__ = [
    "ExpressionLanguage",
    "ForeignEvaluationError",
    "ForeignExpression",
    "ForeignSyntaxError",
    "foreign_expression",
    "foreign_test",
]


class ForeignSyntaxError(Exception):
    """The cell's text is not valid in its language; `line` is 1-based in the text."""

    def __init__(self, line: int, reason: str) -> None:
        """Record where and why."""
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class ForeignEvaluationError(Exception):
    """The cell failed when evaluated (a missing variable, a thrown exception, a limit)."""


class ForeignExpression(Protocol):
    """A compiled cell."""

    def evaluate(self, variables: Mapping[str, Any], now: datetime | None) -> Any:
        """Evaluate over JSON-valued `variables`; return a JSON value.

        Raises:
            ForeignEvaluationError: When evaluation fails.
        """
        ...


class ExpressionLanguage(Protocol):
    """A language cells may be written in."""

    def compile(self, text: str) -> ForeignExpression:
        """Compile a cell once, when the model is parsed.

        Raises:
            ForeignSyntaxError: When the text is not valid (or uses what is not supported).
        """
        ...


def _variables(scope: Scope) -> dict[str, Any]:
    frames: list[dict[str, Any]] = []
    current: Scope | None = scope
    while current is not None:
        frames.append(current.vars)
        current = current.parent
    merged: dict[str, Any] = {}
    for frame in reversed(frames):
        merged.update(frame)
    return {name: to_json_value(value) for name, value in merged.items()}


def _run(
    compiled: ForeignExpression, variables: Mapping[str, Any], scope: Scope, where: str
) -> Any:
    try:
        return compiled.evaluate(variables, scope.ctx.now)
    except ForeignEvaluationError as err:
        raise DecisionError(f"{where} failed: {err}") from None


def foreign_expression(compiled: ForeignExpression, where: str) -> Evaluator:
    """An evaluator for an input expression, output entry or literal expression."""

    def run(scope: Scope) -> Any:
        return to_feel(_run(compiled, _variables(scope), scope, where))

    return run


def foreign_test(compiled: ForeignExpression, variable: str, where: str) -> UnaryTest:
    """An input entry: true only when the cell gives `true` for the input value."""

    def run(scope: Scope, value: Any) -> bool:
        variables = _variables(scope)
        variables[variable] = to_json_value(value)
        result = _run(compiled, variables, scope, where)
        if not isinstance(result, bool):
            scope.warn(f"{where} gave {result!r}, not true or false; the rule does not match")
        return result is True

    return run
