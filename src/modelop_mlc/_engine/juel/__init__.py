"""JUEL, the expression language of Camunda 7 diagrams, as a small and safe interpreter.

Camunda evaluates `${...}` and `#{...}` with JUEL (the Java Unified Expression Language, EL 2.2).
This package tokenizes and parses that language into an AST once per source text and evaluates it
by walking the tree. No Python code is generated or run, no attribute of an arbitrary object is
ever read, and there is no exponentiation, so an expression cannot reach the interpreter, hang or
build huge numbers.

Values are JSON-like (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`; `Decimal` and
`datetime` are tolerated). Operators coerce their operands the way JUEL's `BooleanOperations`
and `NumberOperations` do. Methods are limited to an allow-list per type, plus whatever a host
`JuelObject` (such as `execution`) chooses to answer.

The work is split by stage: `_lexer` tokenizes, `_parser` builds the tree of `_ast` nodes, which
evaluate with the coercions of `_values`, the operators of `_operators` and the properties and
methods of `_methods`; `_expression` holds the entry points and `_context` the host protocols.

Example:
    >>> context = MappingContext({"reviewResult": "APPROVED"})
    >>> parse_expression("${reviewResult == 'APPROVED'}").evaluate(context)
    True
"""

from __future__ import annotations

from modelop_mlc._engine.juel._context import (
    EvaluationContext,
    JuelObject,
    ListableContext,
    MappingContext,
)
from modelop_mlc._engine.juel._expression import (
    Expression,
    evaluate_condition,
    is_expression,
    parse_expression,
)

__all__ = [
    "EvaluationContext",
    "Expression",
    "JuelObject",
    "ListableContext",
    "MappingContext",
    "evaluate_condition",
    "is_expression",
    "parse_expression",
]
