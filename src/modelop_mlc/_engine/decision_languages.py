"""Groovy and JUEL for DMN cells, as the `dmn` package's `ExpressionLanguage` protocol wants.

`dmn` sits below the engine and knows only FEEL; whoever parses a decision model passes these
(`parse_dmn(..., languages=DECISION_LANGUAGES)`), so tables written for Camunda 7 with
`expressionLanguage="groovy"` or `"juel"` run unchanged. A Groovy cell runs in the sandbox
with the default limits and cannot write variables; a JUEL cell is a `${...}` expression
(text outside it is a literal string, as in Camunda).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from modelop_mlc._engine import juel
from modelop_mlc._engine.groovy import (
    GroovyFailure,
    GroovyScript,
    MappingHost,
    compile_groovy,
)
from modelop_mlc._engine.groovy._errors import GroovySyntaxError
from modelop_mlc.dmn._foreign import (
    ExpressionLanguage,
    ForeignEvaluationError,
    ForeignExpression,
    ForeignSyntaxError,
)
from modelop_mlc.errors import ExpressionError

__all__ = ["DECISION_LANGUAGES"]


class _GroovyCell:
    def __init__(self, script: GroovyScript) -> None:
        self.script = script

    def evaluate(self, variables: Mapping[str, Any], now: datetime | None) -> Any:
        try:
            return self.script.run(MappingHost(variables, now)).value
        except GroovyFailure as failure:
            raise ForeignEvaluationError(f"Groovy {failure}") from None


class _Groovy:
    def compile(self, text: str) -> ForeignExpression:
        try:
            script = compile_groovy(text)
        except GroovySyntaxError as err:
            raise ForeignSyntaxError(err.line, f"Groovy: {err.reason}") from None
        if script.problems:
            first = script.problems[0]
            shown = "; ".join(p.message for p in script.problems)
            raise ForeignSyntaxError(first.line, f"Groovy: {shown}")
        return _GroovyCell(script)


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


class _JuelCell:
    def __init__(self, expression: juel.Expression) -> None:
        self.expression = expression

    def evaluate(self, variables: Mapping[str, Any], now: datetime | None) -> Any:
        clock = _FixedClock(now) if now is not None else None
        try:
            return self.expression.evaluate(juel.MappingContext(variables, clock=clock))
        except ExpressionError as err:
            raise ForeignEvaluationError(f"JUEL {err}") from None


class _Juel:
    def compile(self, text: str) -> ForeignExpression:
        try:
            return _JuelCell(juel.parse_expression(text))
        except ExpressionError as err:
            raise ForeignSyntaxError(1, f"JUEL: {err}") from None


DECISION_LANGUAGES: Final[Mapping[str, ExpressionLanguage]] = MappingProxyType(
    {"groovy": _Groovy(), "juel": _Juel()}
)
