"""FEEL operators on values: arithmetic (numbers, dates, times, durations, strings) and tests.

Every function returns the FEEL result, or `None` after recording a warning on the scope
when the operand types do not fit: FEEL turns type errors into null.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._feel_temporal import add_months
from modelop_mlc.dmn._feel_values import (
    DECIMAL,
    FeelFunction,
    Range,
    Scope,
    YearsMonths,
    feel_compare,
    feel_eq,
    kind_of,
)

__all__ = ["arith", "compare_op", "negate", "test_value"]

_MICRO: Final = Decimal(1_000_000)
_DAY_SECONDS: Final = 86400


def _type_error(scope: Scope, op: str, a: Any, b: Any) -> None:
    if a is not None and b is not None:
        scope.warn(f"cannot apply '{op}' to {kind_of(a)} and {kind_of(b)}; the result is null")


def _as_datetime(value: date, other: datetime) -> datetime:
    """A date used with a date-time means midnight (UTC when the other side has a zone)."""
    tz = UTC if other.tzinfo is not None else None
    return datetime(value.year, value.month, value.day, tzinfo=tz)


def _td_to_decimal(value: timedelta) -> Decimal:
    return (
        Decimal(value.days) * _DAY_SECONDS
        + Decimal(value.seconds)
        + Decimal(value.microseconds) / _MICRO
    )


def _decimal_to_td(seconds: Decimal) -> timedelta:
    micro = int(DECIMAL.to_integral_value(seconds * _MICRO))
    return timedelta(microseconds=micro)


def _time_shift(value: time, delta: timedelta) -> time:
    # Clock arithmetic on a fixed UTC day; the time keeps its own zone afterwards.
    base = datetime(2000, 1, 1, value.hour, value.minute, value.second, value.microsecond, UTC)
    moved = base + timedelta(seconds=delta.total_seconds() % _DAY_SECONDS)
    return moved.time().replace(tzinfo=value.tzinfo)


def _number(scope: Scope, op: str, a: Decimal, b: Decimal) -> Decimal | None:
    try:
        if op == "+":
            return DECIMAL.add(a, b)
        if op == "-":
            return DECIMAL.subtract(a, b)
        if op == "*":
            return DECIMAL.multiply(a, b)
        if op == "/":
            if not b:
                scope.warn("division by zero; the result is null")
                return None
            return DECIMAL.divide(a, b)
        return _power(scope, a, b)
    except ArithmeticError:
        scope.warn(f"arithmetic overflow or invalid operation in '{op}'; the result is null")
        return None


def _power(scope: Scope, a: Decimal, b: Decimal) -> Decimal | None:
    # Decimal power with an integral exponent squares repeatedly at 34 digits, so even
    # 10 ** 10 ** 8 finishes at once (it overflows Emax and traps).
    if b == b.to_integral_value():
        return DECIMAL.power(a, b)
    if a < 0:
        scope.warn("a negative number cannot be raised to a fractional power; the result is null")
        return None
    return DECIMAL.power(a, b)


def _add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        return a + b
    if ta is timedelta:
        if tb is timedelta:
            return a + b
        if tb in (datetime, date, time):
            return _add(b, a)
        return _NO
    if ta is YearsMonths:
        if tb is YearsMonths:
            return YearsMonths(a.months + b.months)
        if tb in (datetime, date):
            return _add(b, a)
        return _NO
    if ta is datetime:
        if tb is timedelta:
            return a + b
        if tb is YearsMonths:
            return add_months(a, b.months)
    elif ta is date:
        if tb is timedelta:
            return (datetime(a.year, a.month, a.day, tzinfo=UTC) + b).date()
        if tb is YearsMonths:
            return add_months(a, b.months)
    elif ta is time and tb is timedelta:
        return _time_shift(a, b)
    return _NO


def _sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is timedelta and tb is timedelta:
        return a - b
    if ta is YearsMonths and tb is YearsMonths:
        return YearsMonths(a.months - b.months)
    if ta in (datetime, date) and tb in (timedelta, YearsMonths):
        return _add(a, -b)
    if ta is time:
        if tb is timedelta:
            return _time_shift(a, -b)
        if tb is time:
            return _time_difference(a, b)
        return _NO
    if ta is date and tb is date:
        return timedelta(days=(a - b).days)
    if ta is datetime or tb is datetime:
        if (ta is date and b.tzinfo is None) or (tb is date and a.tzinfo is None):
            return _NO  # a date against a local date-time has no defined offset
        left = _as_datetime(a, b) if ta is date else a
        right = _as_datetime(b, a) if tb is date else b
        if type(left) is not datetime or type(right) is not datetime:
            return _NO
        if (left.tzinfo is None) != (right.tzinfo is None):
            return _NO
        return left - right
    return _NO


def _time_difference(a: time, b: time) -> Any:
    if (a.tzinfo is None) != (b.tzinfo is None):
        return _NO
    day = date(2000, 1, 1)
    left = datetime.combine(day, a)
    right = datetime.combine(day, b)
    return left - right


def _mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal:
        if tb is timedelta or tb is YearsMonths:
            return _mul(b, a)
        return _NO
    if tb is not Decimal:
        return _NO
    if ta is timedelta:
        return _decimal_to_td(DECIMAL.multiply(_td_to_decimal(a), b))
    if ta is YearsMonths:
        return YearsMonths(int(DECIMAL.multiply(Decimal(a.months), b)))
    return _NO


def _div(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is timedelta:
        if tb is Decimal:
            return _NO if not b else _decimal_to_td(DECIMAL.divide(_td_to_decimal(a), b))
        if tb is timedelta:
            return _NO if not b else DECIMAL.divide(_td_to_decimal(a), _td_to_decimal(b))
    if ta is YearsMonths:
        if tb is Decimal:
            return _NO if not b else YearsMonths(int(DECIMAL.divide(Decimal(a.months), b)))
        if tb is YearsMonths:
            return _NO if not b.months else DECIMAL.divide(Decimal(a.months), Decimal(b.months))
    return _NO


_NO: Final = object()
_TEMPORAL_OPS: Final = {"+": _add, "-": _sub, "*": _mul, "/": _div}


def arith(scope: Scope, op: str, a: Any, b: Any) -> Any:
    """Apply `+ - * / **` with FEEL semantics."""
    if type(a) is Decimal and type(b) is Decimal:
        return _number(scope, op, a, b)
    if a is None or b is None:
        return None
    if op == "+" and type(a) is str and type(b) is str:
        scope.ctx.budget.string(len(a) + len(b), "'+'")
    fn = _TEMPORAL_OPS.get(op)
    if fn is not None:
        try:
            result = fn(a, b)
        except (OverflowError, ValueError, ArithmeticError):
            scope.warn(f"'{op}' went outside the supported date range; the result is null")
            return None
        if result is not _NO:
            return result
    _type_error(scope, op, a, b)
    return None


def negate(scope: Scope, value: Any) -> Any:
    """Arithmetic negation of a number or a duration."""
    t = type(value)
    if t is Decimal:
        return DECIMAL.minus(value)
    if t is timedelta:
        return -value
    if t is YearsMonths:
        return YearsMonths(-value.months)
    if value is not None:
        scope.warn(f"cannot negate a {kind_of(value)}; the result is null")
    return None


def compare_op(scope: Scope, op: str, a: Any, b: Any) -> bool | None:
    """Apply a comparison operator with three-valued FEEL semantics."""
    if op == "=":
        result = feel_eq(a, b)
        if result is None:
            _type_error(scope, op, a, b)
        return result
    if op == "!=":
        result = feel_eq(a, b)
        if result is None:
            _type_error(scope, op, a, b)
            return None
        return not result
    if type(a) is Decimal and type(b) is Decimal:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    c = feel_compare(a, b)
    if c is None:
        _type_error(scope, op, a, b)
        return None
    if op == "<":
        return c < 0
    if op == "<=":
        return c <= 0
    if op == ">":
        return c > 0
    return c >= 0


def test_value(value: Any, expected: Any, *, condition: bool) -> bool | None:
    """Apply a positive unary test whose expression evaluated to `expected`.

    A range tests membership, a list tests membership of any element (or equality when
    `value` is itself a list), and any other value tests equality. When `condition` is set
    (decision-table cells, DMN 1.2+), a boolean result is the test's own answer unless the
    input is a boolean too.
    """
    t = type(expected)
    if t is Range:
        inside: bool | None = expected.contains(value)
        return inside
    if t is list:
        for item in expected:
            hit = item.contains(value) if type(item) is Range else feel_eq(value, item)
            if hit:
                return True
        return type(value) is list and feel_eq(value, expected) is True
    if t is bool and condition and type(value) is not bool:
        return bool(expected)
    if isinstance(expected, FeelFunction):
        return None
    return feel_eq(value, expected)
