"""Decision results: what `DmnModel.evaluate` returns, and Camunda's `mapDecisionResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._feel_builtins import feel_string
from modelop_mlc.dmn._feel_temporal import (
    format_date,
    format_datetime,
    format_duration,
    format_time,
)
from modelop_mlc.dmn._feel_values import FeelFunction, Range, YearsMonths
from modelop_mlc.errors import DecisionError

__all__ = ["MAPPINGS", "DecisionResult", "Outcome", "map_decision_result", "to_json_value"]

MAPPINGS: Final = ("singleEntry", "singleResult", "collectEntries", "resultList")
"""The `camunda:mapDecisionResult` values Camunda 7 accepts."""


@dataclass
class Outcome:
    """The raw result of evaluating decision logic (internal)."""

    value: Any
    rows: list[dict[str, Any]]
    matched: list[int] = field(default_factory=list)


@dataclass
class DecisionResult:
    """The result of evaluating one decision.

    Attributes:
        decision_id: The evaluated decision's id.
        rows: The result as output-name → value rows: one row per matched rule for a
            multi-hit table, one row for a single hit or an aggregation, `[]` when no rule
            matched (and there are no default outputs), and `[{variable: value}]` for a
            literal expression or any other kind of decision logic.
        matched_rules: 1-based numbers of the matched rules (tables only).
        warnings: Evaluation problems; each made some value null, as FEEL specifies.
        value: The decision's FEEL value as DMN defines it: a single value, a context, or a
            list of them. Numbers are `Decimal`; `to_json()` gives JSON-friendly rows.
    """

    decision_id: str
    rows: list[dict[str, Any]]
    matched_rules: list[int]
    warnings: list[str]
    value: Any

    def to_json(self) -> list[dict[str, Any]]:
        """Return `rows` with `Decimal` → int/float and dates, times, durations → ISO strings."""
        return [{k: to_json_value(v) for k, v in row.items()} for row in self.rows]


_MAX_EXACT_INT: Final = Decimal(2) ** 63


def to_json_value(value: Any) -> Any:
    """Convert a FEEL value to plain JSON data.

    Integral numbers become `int` and others `float`; dates, times and date-times become
    ISO 8601 strings; durations become ISO 8601 durations (`P1DT2H`, `P1Y2M`); ranges
    become their FEEL text; functions become null.
    """
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        if value == value.to_integral_value() and abs(value) < _MAX_EXACT_INT:
            return int(value)
        return float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return format_time(value)
    if isinstance(value, timedelta | YearsMonths):
        return format_duration(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Range):
        return feel_string(value)
    if isinstance(value, FeelFunction):
        return None
    return str(value)


def map_decision_result(result: DecisionResult, mapping: str) -> Any:
    """Map a decision result the way Camunda 7's `camunda:mapDecisionResult` does.

    Args:
        result: The evaluated decision.
        mapping: `"singleEntry"` (exactly one row with one entry → its value; no row →
            `None`), `"singleResult"` (one row → that dict; none → `None`),
            `"collectEntries"` (the single entry of each row, as a list), or
            `"resultList"` (every row as a dict; Camunda's default).

    Returns:
        The mapped value, converted with `to_json_value`.

    Raises:
        DecisionError: When the result does not fit the mapping (several rows for
            `singleEntry`/`singleResult`, several entries for `singleEntry`/`collectEntries`)
            or the mapping is unknown.
    """
    rows = result.rows
    decision_id = result.decision_id
    if mapping == "singleEntry":
        if not rows:
            return None
        if len(rows) > 1 or len(rows[0]) != 1:
            raise DecisionError(
                f"Decision '{decision_id}' returned {len(rows)} row(s) with "
                f"{len(rows[0])} entr(y/ies) in the first; 'singleEntry' needs at most one row "
                "with one entry: use 'collectEntries', 'singleResult' or 'resultList'",
                decision_id=decision_id,
            )
        return to_json_value(next(iter(rows[0].values())))
    if mapping == "singleResult":
        if not rows:
            return None
        if len(rows) > 1:
            raise DecisionError(
                f"Decision '{decision_id}' returned {len(rows)} rows; 'singleResult' needs at "
                "most one: use 'resultList' or 'collectEntries' for a multi-hit table",
                decision_id=decision_id,
            )
        return to_json_value(rows[0])
    if mapping == "collectEntries":
        out = []
        for index, row in enumerate(rows, start=1):
            if len(row) != 1:
                raise DecisionError(
                    f"Decision '{decision_id}' row {index} has {len(row)} entries; "
                    "'collectEntries' needs exactly one output per row: use 'resultList'",
                    decision_id=decision_id,
                )
            out.append(to_json_value(next(iter(row.values()))))
        return out
    if mapping == "resultList":
        return [to_json_value(row) for row in rows]
    raise DecisionError(
        f"Unknown mapDecisionResult '{mapping}'; use one of: {', '.join(MAPPINGS)}",
        decision_id=decision_id,
    )
