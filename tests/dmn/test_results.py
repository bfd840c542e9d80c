"""Decision results: JSON conversion and Camunda's `mapDecisionResult`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modelop_mlc.dmn import DecisionResult, map_decision_result, to_json_value
from modelop_mlc.dmn._feel_values import Range, YearsMonths
from modelop_mlc.errors import DecisionError


def result(rows: list[dict[str, Any]]) -> DecisionResult:
    return DecisionResult("d", rows, list(range(1, len(rows) + 1)), [], None)


ONE_ENTRY = [{"approved": True}]
ONE_ROW = [{"approved": True, "reason": "fine"}]
ENTRY_ROWS = [{"group": "accounting"}, {"group": "sales"}]
WIDE_ROWS = [{"a": Decimal(1), "b": "x"}, {"a": Decimal("2.5"), "b": "y"}]


@pytest.mark.parametrize(
    ("mapping", "rows", "expected"),
    [
        ("singleEntry", ONE_ENTRY, True),
        ("singleEntry", [], None),
        ("singleEntry", [{"n": Decimal(3)}], 3),
        ("singleResult", ONE_ROW, {"approved": True, "reason": "fine"}),
        ("singleResult", [], None),
        ("collectEntries", ENTRY_ROWS, ["accounting", "sales"]),
        ("collectEntries", [], []),
        ("resultList", WIDE_ROWS, [{"a": 1, "b": "x"}, {"a": 2.5, "b": "y"}]),
        ("resultList", [], []),
    ],
)
def test_mappings(mapping: str, rows: list[dict[str, Any]], expected: Any) -> None:
    """Each mapping shapes the rows as Camunda 7 does, with JSON values."""
    assert map_decision_result(result(rows), mapping) == expected


@pytest.mark.parametrize(
    ("mapping", "rows", "fragment"),
    [
        ("singleEntry", ENTRY_ROWS, "'singleEntry' needs at most one row"),
        ("singleEntry", ONE_ROW, "'singleEntry' needs at most one row with one entry"),
        ("singleResult", WIDE_ROWS, "'singleResult' needs at most one"),
        ("collectEntries", WIDE_ROWS, "'collectEntries' needs exactly one output per row"),
        ("firstEntry", ONE_ENTRY, "Unknown mapDecisionResult 'firstEntry'"),
    ],
)
def test_mapping_mismatches_raise(mapping: str, rows: list[dict[str, Any]], fragment: str) -> None:
    """A result that does not fit the mapping raises `DecisionError` saying what to use."""
    with pytest.raises(DecisionError) as info:
        map_decision_result(result(rows), mapping)
    assert fragment in str(info.value)
    assert info.value.decision_id == "d"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal(3), 3),
        (Decimal("3.00"), 3),
        (Decimal("0.25"), 0.25),
        (Decimal("1E+2"), 100),
        (True, True),
        (None, None),
        ("s", "s"),
        (date(2024, 1, 2), "2024-01-02"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),  # noqa: DTZ001 - FEEL local
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (time(10, 30), "10:30:00"),
        (timedelta(days=1, hours=2), "P1DT2H"),
        (YearsMonths(14), "P1Y2M"),
        ([Decimal(1), {"k": Decimal("0.5")}], [1, {"k": 0.5}]),
        (Range(Decimal(1), Decimal(10), True, False), "[1..10)"),
    ],
)
def test_to_json_value(value: Any, expected: Any) -> None:
    """FEEL values convert to plain JSON data."""
    assert to_json_value(value) == expected


def test_result_to_json() -> None:
    """`DecisionResult.to_json()` converts every row."""
    assert result(WIDE_ROWS).to_json() == [{"a": 1, "b": "x"}, {"a": 2.5, "b": "y"}]
