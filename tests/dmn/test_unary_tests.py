"""Decision-table input entries: FEEL unary tests against an input value."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from modelop_mlc.dmn._feel import compile_unary_tests, to_feel
from modelop_mlc.dmn._feel_lexer import FeelSyntaxError
from modelop_mlc.dmn._feel_values import EvalContext, Scope


def matches(cell: str, value: Any, **variables: Any) -> bool | None:
    test = compile_unary_tests(cell, set(variables) | {"cellInput"})
    feel_value = to_feel(value)
    frame = {k: to_feel(v) for k, v in variables.items()}
    ctx = EvalContext()
    scope = Scope({"?": feel_value, "cellInput": feel_value}, Scope(frame, None, ctx), ctx)
    return test(scope, feel_value)


CASES = [
    (">= 0.8", 0.85, True),
    (">= 0.8", 0.5, False),
    ("< 0.5", 0.3, True),
    ("<= 0.90", 0.9, True),
    ("> 10", 10, False),
    ("0.8", 0.8, True),
    ("= 5", 5, True),
    ("!= 5", 5, False),
    ("[1..10]", 5, True),
    ("[1..10]", 11, False),
    ("[1..10]", 10, True),
    ("[1..10[", 10, False),
    ("[1..10)", 10, False),
    ("(1..10]", 1, False),
    ("]1..10]", 1, False),
    ("]1..10[", 5, True),
    ("[1960.. 1970]", 1965, True),
    ('"a","b"', "a", True),
    ('"a","b"', "c", False),
    ('"a", "b"', "b", True),
    ("1,2,3", 3, True),
    ("1,2,3", 4, False),
    ('not("x")', "y", True),
    ('not("x")', "x", False),
    ('not("x","y")', "z", True),
    ('not("x","y")', "y", False),
    ("not([1..5])", 7, True),
    ("not([1..5])", 3, False),
    (">= 10, < 0", 20, True),
    (">= 10, < 0", 5, False),
    ("-", "anything", True),
    ("", None, True),
    ("-", None, True),
    ("true", True, True),
    ("true", False, False),
    ("false", False, True),
    ("null", None, True),
    ("null", 1, False),
    (">= 0.8", None, None),
    ('"a"', None, False),
    ("? > 5 and ? < 10", 7, True),
    ("? > 5 and ? < 10", 12, False),
    ("? > 5", None, None),
    ("cellInput > 5", 6, True),
    ('matches(?, "^m-")', "m-1", True),
    ('starts with(?, "pro")', "prod", True),
    ("> limit", 5, True),
    ("limit", 3, True),
    ("[low..high]", 5, True),
    ("x > 3", 1, True),
    ('< date("2024-06-01")', date(2024, 5, 1), True),
    ('[date("2024-01-01")..date("2024-06-30")]', date(2024, 7, 1), False),
    ('>= date and time("2024-01-01T00:00:00")', datetime(2024, 5, 1, 12), True),  # noqa: DTZ001
    ("[1, 2, 3]", 2, True),
    (">= 10", "text", None),
    ("count(?) > 1", [1, 2], True),
    ("list contains(?, 2)", [1, 2], True),
]


@pytest.mark.parametrize(("cell", "value", "expected"), CASES)
def test_unary_test(cell: str, value: Any, expected: bool | None) -> None:
    """Each input-entry form matches (true), misses (false) or is undecided (null)."""
    assert matches(cell, value, limit=3, low=1, high=10, x=5) is expected


@pytest.mark.parametrize(
    ("cell", "column"),
    [("<= 0.8.", 7), ("[1..10", 7), ('"a" "b"', 5), (">=", 3), ("${x > 1}", 1)],
)
def test_bad_cells_report_the_column(cell: str, column: int) -> None:
    """An unparsable cell raises `FeelSyntaxError` with its column."""
    with pytest.raises(FeelSyntaxError) as info:
        compile_unary_tests(cell)
    assert info.value.column == column


def test_decimal_input_fast_path() -> None:
    """Decimal inputs compare without conversion (the compiled fast path)."""
    assert matches(">= 0.8", Decimal("0.80")) is True
