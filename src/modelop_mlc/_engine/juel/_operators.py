"""Operators: equality, comparison and arithmetic with JUEL's operand coercions."""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from modelop_mlc._engine.juel._values import (
    _BuiltinValue,
    _describe,
    _EvalError,
    _is_floating,
    _is_integer,
    _to_bool,
    _to_decimal,
    _to_float,
    _to_long,
    _to_str,
)

# Java's BigDecimal arithmetic is exact; 34 digits (IEEE decimal128) is plenty for JSON values.
_DECIMAL = Context(prec=34, traps=[DivisionByZero, InvalidOperation, Overflow])


def _equals(left: Any, right: Any) -> bool:
    if left is right:
        return True
    if left is None or right is None:
        return False
    pair = (left, right)
    if any(isinstance(v, Decimal) for v in pair):
        return _to_decimal(left) == _to_decimal(right)
    if any(isinstance(v, float) for v in pair):
        return _to_float(left) == _to_float(right)
    if any(_is_integer(v) for v in pair):
        return _to_long(left) == _to_long(right)
    if any(isinstance(v, bool) for v in pair):
        return _to_bool(left) == _to_bool(right)
    if any(isinstance(v, str) for v in pair):
        return _to_str(left) == _to_str(right)
    return bool(left == right)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    pair = (left, right)
    if any(isinstance(v, Decimal) for v in pair):
        return _to_decimal(left), _to_decimal(right)
    if any(isinstance(v, float) for v in pair):
        return _to_float(left), _to_float(right)
    if any(_is_integer(v) for v in pair):
        return _to_long(left), _to_long(right)
    if any(isinstance(v, str) for v in pair):
        return _to_str(left), _to_str(right)
    if type(left) is type(right) and isinstance(left, bool | dt.date | dt.time):
        return left, right
    if isinstance(left, _BuiltinValue) and isinstance(right, _BuiltinValue):
        keys = left.ordering_key(), right.ordering_key()
        if keys[0] is not None and keys[1] is not None:
            return keys
    raise _EvalError(f"Cannot compare {_describe(left)} with {_describe(right)}")


def _compare(op: str, left: Any, right: Any) -> bool:
    # JUEL answers false whenever one side is null, except that `x <= x` and `x >= x` hold.
    if left is right:
        return op in {"<=", ">="}
    if left is None or right is None:
        return False
    x, y = _comparable(left, right)
    # `<=` is "not greater", as in JUEL; it differs from `x <= y` only for NaN.
    if op == "<":
        return bool(x < y)
    if op == ">":
        return bool(x > y)
    if op == "<=":
        return not x > y
    return not x < y


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_DECIMAL_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": _DECIMAL.add,
    "-": _DECIMAL.subtract,
    "*": _DECIMAL.multiply,
}


def _divide_doubles(x: float, y: float) -> float:
    """Divide as Java doubles do: by zero gives Infinity, or NaN for 0/0."""
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _remainder_doubles(x: float, y: float) -> float:
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    return math.fmod(x, y)


def _remainder_longs(x: int, y: int) -> int:
    if y == 0:
        raise _EvalError("Division by zero in '%'")
    # Java's remainder takes the sign of the dividend (Python's takes the divisor's).
    rest = abs(x) % abs(y)
    return -rest if x < 0 else rest


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if left is None and right is None:
        return 0
    pair = (left, right)
    decimal = any(isinstance(v, Decimal) for v in pair)
    try:
        if op == "/":
            if decimal:
                return _DECIMAL.divide(_to_decimal(left), _to_decimal(right))
            return _divide_doubles(_to_float(left), _to_float(right))
        if op == "%":
            if decimal or any(_is_floating(v) for v in pair):
                return _remainder_doubles(_to_float(left), _to_float(right))
            return _remainder_longs(_to_long(left), _to_long(right))
        if decimal:
            return _DECIMAL_ARITHMETIC[op](_to_decimal(left), _to_decimal(right))
        if any(_is_floating(v) for v in pair):
            return _ARITHMETIC[op](_to_float(left), _to_float(right))
        return _ARITHMETIC[op](_to_long(left), _to_long(right))
    except _EvalError as err:
        if op == "+" and not err.hint and any(isinstance(v, str) for v in pair):
            err.hint = (
                "'+' only adds numbers in EL; join text with composite text such as "
                "'${a}-${b}' or with a.concat(b)"
            )
        raise
    except ZeroDivisionError as err:  # a Decimal divided by zero; Java's BigDecimal throws too
        raise _EvalError(f"Division by zero in '{op}'") from err
    except ArithmeticError as err:  # other decimal traps
        raise _EvalError(f"Arithmetic failed for '{op}': {type(err).__name__}") from err


def _negate(value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, str):
        return -_to_float(value) if _is_floating(value) else -_to_long(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return -value
    raise _EvalError(f"Cannot negate {_describe(value)}")
