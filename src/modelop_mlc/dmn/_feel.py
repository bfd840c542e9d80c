"""FEEL facade: compile text once, convert host values, evaluate with a fresh context."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._feel_builtins_lists import BUILTINS
from modelop_mlc.dmn._feel_compile import Compiler, Evaluator, UnaryTest
from modelop_mlc.dmn._feel_parser import parse_expression, parse_unary_tests
from modelop_mlc.dmn._feel_typesys import TypeRegistry
from modelop_mlc.dmn._feel_values import EvalContext, FeelFunction, Range, Scope, YearsMonths

__all__ = [
    "BUILTIN_NAMES",
    "compile_expression",
    "compile_unary_tests",
    "evaluate_text",
    "new_compiler",
    "to_feel",
]

BUILTIN_NAMES: Final = frozenset(BUILTINS)
_BUILTIN_FRAME: Final[dict[str, Any]] = {}
_PASS_THROUGH: Final = (str, Decimal, date, time, timedelta, YearsMonths, Range, FeelFunction)


def new_compiler(registry: TypeRegistry | None = None) -> Compiler:
    """Return a compiler over the built-ins and `registry` (an empty one by default)."""
    return Compiler(BUILTINS, registry or TypeRegistry())


def compile_expression(
    text: str, known: Collection[str] = frozenset(), compiler: Compiler | None = None
) -> Evaluator:
    """Parse and compile a FEEL expression.

    Raises:
        FeelSyntaxError: When the text does not parse.
    """
    names = BUILTIN_NAMES | frozenset(known)
    return (compiler or new_compiler()).expr(parse_expression(text, names))


def compile_unary_tests(
    text: str, known: Collection[str] = frozenset(), compiler: Compiler | None = None
) -> UnaryTest:
    """Parse and compile a decision-table input entry.

    Raises:
        FeelSyntaxError: When the text does not parse.
    """
    names = BUILTIN_NAMES | frozenset(known)
    return (compiler or new_compiler()).unary_tests(parse_unary_tests(text, names))


def to_feel(value: Any) -> Any:
    """Convert a host value to its FEEL form (ints and floats become `Decimal`).

    Raises:
        TypeError: For a value with no FEEL equivalent (the caller reports it).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_feel(v) for v in value]
    raise TypeError(f"a {type(value).__name__} has no FEEL equivalent")


def evaluate_text(
    text: str,
    variables: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Any, list[str]]:
    """Evaluate one FEEL expression against host variables; return (value, warnings).

    Raises:
        FeelSyntaxError: When the text does not parse.
        TypeError: When a variable has no FEEL equivalent.
    """
    frame = {k: to_feel(v) for k, v in (variables or {}).items()}
    fn = compile_expression(text, frame.keys())
    ctx = EvalContext(now)
    value = fn(Scope(frame, Scope(_BUILTIN_FRAME, None, ctx), ctx))
    return value, ctx.warnings
