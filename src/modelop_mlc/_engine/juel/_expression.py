"""The public entry points: parse text into an `Expression`, evaluate it, test a condition."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from modelop_mlc._engine.juel._ast import _Identifier, _Node
from modelop_mlc._engine.juel._context import EvaluationContext
from modelop_mlc._engine.juel._lexer import _scan
from modelop_mlc._engine.juel._parser import _Parser
from modelop_mlc._engine.juel._values import _describe, _EvalError, _export, _to_bool, _to_str
from modelop_mlc.errors import ExpressionError, MlcError


class Expression:
    """A parsed JUEL expression or composite text; build it with `parse_expression`.

    Args:
        source: The text as written in the diagram.
        parts: Literal text and parsed `${...}` bodies, in order.
    """

    __slots__ = ("_identifiers", "_parts", "_source")

    def __init__(self, source: str, parts: Sequence[str | _Node]) -> None:
        """Create the expression from its parsed parts."""
        self._source = source
        self._parts = tuple(parts)
        names: set[str] = set()
        stack = [part for part in self._parts if isinstance(part, _Node)]
        while stack:
            node = stack.pop()
            if isinstance(node, _Identifier):
                names.add(node.name)
            stack.extend(node.kids)
        self._identifiers = frozenset(names)

    @property
    def source(self) -> str:
        """The text as written in the diagram."""
        return self._source

    @property
    def is_literal(self) -> bool:
        """Whether the text has no `${...}`, so it evaluates to itself (escapes resolved)."""
        return all(isinstance(part, str) for part in self._parts)

    @property
    def identifiers(self) -> frozenset[str]:
        """The top-level names the expression reads, `execution` included."""
        return self._identifiers

    def evaluate(self, context: EvaluationContext) -> Any:
        """Evaluate against `context`.

        A text that is exactly one `${...}` gives the raw value; composite text gives a string in
        which each value is rendered as EL does (null as "", `true`, `1.0`).

        Args:
            context: Resolves the top-level identifiers.

        Returns:
            The value of the expression.

        Raises:
            ExpressionError: An identifier is unknown, a value has the wrong type, a method is
                not allowed, or a host `JuelObject` failed.
        """
        try:
            if len(self._parts) == 1 and isinstance(self._parts[0], _Node):
                return _export(self._parts[0].evaluate(context))
            return "".join(
                part if isinstance(part, str) else _to_str(part.evaluate(context))
                for part in self._parts
            )
        except _EvalError as err:
            raise ExpressionError(err.render(self._source), expression=self._source) from (
                err.__cause__
            )
        except ExpressionError as err:
            if err.expression is not None:
                raise
            raise ExpressionError(
                f"{err} in '{self._source}'",
                expression=self._source,
                instance_id=err.instance_id,
                activity_id=err.activity_id,
            ) from err
        except MlcError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as err:
            # A safety net: the operators above should already have explained the problem.
            raise ExpressionError(
                f"{type(err).__name__} while evaluating '{self._source}': {err}",
                expression=self._source,
            ) from err

    def __repr__(self) -> str:
        """Show the source text."""
        return f"Expression({self._source!r})"


def is_expression(text: str) -> bool:
    """Return whether `text` contains `${` or `#{` and so needs evaluating."""
    return "${" in text or "#{" in text


def parse_expression(text: str) -> Expression:
    r"""Parse a JUEL expression or composite text, reusing earlier results for the same text.

    Args:
        text: Such as `${a > 1}`, `Hello ${name}!` or plain text; `\${` stands for a literal `${`.

    Returns:
        The parsed expression (the same object for the same text).

    Raises:
        ExpressionError: The text is not valid; the message gives the column and a hint.
    """
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(source: str) -> Expression:
    parts: list[str | _Node] = []
    text: list[str] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char == "\\" and source.startswith(("${", "#{"), pos + 1):
            text.append(source[pos + 1 : pos + 3])
            pos += 3
        elif char in {"$", "#"} and source.startswith("{", pos + 1):
            if text:
                parts.append("".join(text))
                text.clear()
            tokens, pos = _scan(source, pos)
            parts.append(_Parser(source, tokens).parse())
        else:
            text.append(char)
            pos += 1
    if text:
        parts.append("".join(text))
    return Expression(source, parts)


def evaluate_condition(expression: Expression, context: EvaluationContext) -> bool:
    """Evaluate a sequence-flow condition and coerce the result to a boolean as EL does.

    `null` and `""` count as false and strings are true only when they say "true".

    Args:
        expression: The parsed condition.
        context: Resolves the top-level identifiers.

    Returns:
        Whether the condition holds.

    Raises:
        ExpressionError: Evaluation failed, or the result is neither boolean, string nor null.
    """
    value = expression.evaluate(context)
    try:
        return _to_bool(value)
    except _EvalError as err:
        err.message = f"A condition must give a boolean but gave {_describe(value)}"
        raise ExpressionError(err.render(expression.source), expression=expression.source) from None
