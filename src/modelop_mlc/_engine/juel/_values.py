"""Values: the runtime error, type names, EL coercions and Java-style rendering."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

_JAVA_WHITESPACE = "".join(chr(code) for code in range(33))
_LONG_TEXT = r"[+-]?[0-9]+"
_UNSIGNED_TEXT = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL_TEXT = rf"[+-]?{_UNSIGNED_TEXT}"
_DOUBLE_TEXT = rf"[+-]?(?:NaN|Infinity|{_UNSIGNED_TEXT})[fFdD]?"


class _EvalError(Exception):
    """A runtime failure; `Expression.evaluate` turns it into `ExpressionError` with the text."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self, source: str) -> str:
        text = f"{self.message} in '{source}'"
        return f"{text}: {self.hint}" if self.hint else text


@dataclass(frozen=True, slots=True)
class _Method:
    """An allow-listed method: its arity and its implementation, `call(value, args)`."""

    min_args: int
    max_args: int
    call: Callable[[Any, list[Any]], Any]


class _BuiltinValue(ABC):
    """A value only the built-in functions make: a date, a Spin JSON node.

    It answers its own allow-listed `METHODS`, renders as Java's `toString()` does, and turns
    into plain JSON (`to_json`) whenever it leaves the interpreter, so variables stay JSON.
    """

    __slots__ = ()
    TYPE_NAME: ClassVar[str]
    METHODS: ClassVar[Mapping[str, _Method]]
    PROPERTY_HINT: ClassVar[str]

    @abstractmethod
    def to_json(self) -> Any:
        """Return the plain JSON form stored when the value becomes a variable."""

    @abstractmethod
    def java_string(self) -> str:
        """Return what `toString()` gives."""

    def ordering_key(self) -> Any:
        """Return what `<` and `>` compare, or None when the value has no order."""
        return None


def _export(value: Any) -> Any:
    """Turn built-in values (and lists of them, as `elements()` gives) into plain JSON."""
    if isinstance(value, _BuiltinValue):
        return value.to_json()
    if isinstance(value, list) and any(isinstance(item, _BuiltinValue) for item in value):
        return [_export(item) for item in value]
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float | Decimal):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, Mapping):
        return "Map"
    if isinstance(value, list | tuple):
        return "List"
    if isinstance(value, _BuiltinValue):
        return value.TYPE_NAME
    if isinstance(value, dt.date | dt.time):
        return "Date"
    return type(value).__name__


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = _java_string(value)
    if len(text) > 40:  # noqa: PLR2004 - keep messages readable
        text = text[:37] + "..."
    shown = f"'{text}'" if isinstance(value, str) else text
    return f"{shown} ({_type_name(value)})"


def _double_to_string(value: float) -> str:
    """Render a float as Java's `Double.toString` does (`1.0`, `1.0E20`, `NaN`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:  # noqa: PLR2004 - Java's plain-notation range
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{exponent + len(digits) - 1}"


def _json_default(value: Any) -> Any:
    if isinstance(value, _BuiltinValue):
        return value.to_json()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _java_string(value: Any) -> str:
    """Return what Java's `toString()` gives; maps and lists render as compact JSON."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _double_to_string(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    if isinstance(value, _BuiltinValue):
        return value.java_string()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _to_str(value: Any) -> str:
    """Coerce to String as EL does: like `toString()`, except that null becomes ""."""
    return "" if value is None else _java_string(value)


def _to_bool(value: Any) -> bool:
    """Coerce to Boolean as EL does: null and "" are false, strings use `Boolean.valueOf`."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise _EvalError(
        f"Cannot coerce {_describe(value)} to a boolean",
        "compare it explicitly, for example 'x > 0' or 'x != null'",
    )


def _number_error(value: Any, kind: str) -> _EvalError:
    return _EvalError(f"Cannot coerce {_describe(value)} to {kind}")


def _to_long(value: Any) -> int:
    """Coerce to an integer as EL coerces to `Long` (floats truncate, strings must be digits)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise _number_error(value, "a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise _number_error(value, "a whole number")
        return int(value)
    if isinstance(value, str) and re.fullmatch(_LONG_TEXT, value):
        try:
            return int(value)
        except ValueError:  # more digits than Python converts
            raise _number_error(value, "a whole number") from None
    raise _number_error(value, "a whole number")


def _to_float(value: Any) -> float:
    """Coerce to a float as EL coerces to `Double`."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise _number_error(value, "a number")
    if isinstance(value, int | float | Decimal):
        try:
            return float(value)
        except OverflowError:
            raise _number_error(value, "a double (it is too large)") from None
    if isinstance(value, str):
        text = value.strip(_JAVA_WHITESPACE)
        if re.fullmatch(_DOUBLE_TEXT, text):
            return float(text.rstrip("fFdD"))
    raise _number_error(value, "a number")


def _to_decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise _number_error(value, "a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and re.fullmatch(_DECIMAL_TEXT, value):
        return Decimal(value)
    raise _number_error(value, "a number")


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_floating(value: Any) -> bool:
    """Tell whether EL treats the operand as a Double: a float, or a string with `.`/`e`/`E`."""
    return isinstance(value, float) or (isinstance(value, str) and any(c in value for c in ".eE"))


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | Mapping | list | tuple | set | frozenset):
        return len(value) == 0
    return False


def _java_equals(left: Any, right: Any) -> bool:
    """Compare as Java's `equals` does: values of different kinds are never equal."""
    if left is None or right is None:
        return left is right
    kinds = (bool, int, float, Decimal, str, Mapping, list | tuple)
    kind_left = next((k for k in kinds if isinstance(left, k)), type(left))
    kind_right = next((k for k in kinds if isinstance(right, k)), type(right))
    return kind_left is kind_right and bool(left == right)
