"""JUEL, the expression language of Camunda 7 diagrams, as a small and safe interpreter.

Camunda evaluates `${...}` and `#{...}` with JUEL (the Java Unified Expression Language, EL 2.2).
This module tokenizes and parses that language into an AST once per source text and evaluates it
by walking the tree. No Python code is generated or run, no attribute of an arbitrary object is
ever read, and there is no exponentiation, so an expression cannot reach the interpreter, hang or
build huge numbers.

Values are JSON-like (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`; `Decimal` and
`datetime` are tolerated). Operators coerce their operands the way JUEL's `BooleanOperations`
and `NumberOperations` do. Methods are limited to an allow-list per type, plus whatever a host
`JuelObject` (such as `execution`) chooses to answer.

Example:
    >>> context = MappingContext({"reviewResult": "APPROVED"})
    >>> parse_expression("${reviewResult == 'APPROVED'}").evaluate(context)
    True
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import math
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any, Protocol, runtime_checkable

from modelop_mlc.errors import BpmnError, ExpressionError, MlcError

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

# Parser recursion (parentheses, ternaries, brackets, arguments) and AST depth are capped so that
# neither parsing nor evaluation can hit Python's recursion limit inside the engine's own stack.
_MAX_NESTING = 32
_MAX_DEPTH = 100
_MAX_STRING = 1_000_000
_MAX_LISTED = 10

_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_LITERAL_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_KEYWORDS = frozenset({*_WORD_OPERATORS, *_LITERAL_WORDS, "empty", "instanceof"})
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4}
_PRECEDENCE.update({"+": 5, "-": 5, "*": 6, "/": 6, "%": 6})
# Longest first, so that "<=" wins over "<".
_SYMBOLS = ("==", "!=", "<=", ">=", "&&", "||", *"<>!+-*/%?:()[].,}")
_TYPOS = {"&": "&&", "|": "||", "=": "=="}
_DIGITS = frozenset("0123456789")
_JAVA_WHITESPACE = "".join(chr(code) for code in range(33))
_LONG_TEXT = r"[+-]?[0-9]+"
_UNSIGNED_TEXT = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL_TEXT = rf"[+-]?{_UNSIGNED_TEXT}"
_DOUBLE_TEXT = rf"[+-]?(?:NaN|Infinity|{_UNSIGNED_TEXT})[fFdD]?"
# Java's BigDecimal arithmetic is exact; 34 digits (IEEE decimal128) is plenty for JSON values.
_DECIMAL = Context(prec=34, traps=[DivisionByZero, InvalidOperation, Overflow])


class EvaluationContext(Protocol):
    """Where an expression looks up its top-level identifiers (variables, `execution`)."""

    def has_variable(self, name: str) -> bool:
        """Return whether `name` resolves to a value (which may be `None`)."""

    def get_variable(self, name: str) -> Any:
        """Return the value of `name`; called only after `has_variable(name)` returned true."""


@runtime_checkable
class ListableContext(EvaluationContext, Protocol):
    """An `EvaluationContext` that can list its names, so errors can suggest the right one."""

    def variable_names(self) -> Iterable[str]:
        """Return every name `has_variable` accepts."""


@runtime_checkable
class JuelObject(Protocol):
    """An object the host exposes to expressions with its own methods, such as `execution`."""

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        """Call `method` with evaluated arguments; raise `ExpressionError` for unknown methods."""

    def juel_property(self, name: str) -> Any:
        """Return the property `name` (as in `execution.processInstanceId`)."""


class MappingContext:
    """An `EvaluationContext` over plain mappings, for tests and simple hosts.

    Args:
        variables: The variables by name.
        extra: Further names, such as `execution`, that take precedence over `variables`
            (Camunda resolves `execution` before any variable of that name).
    """

    __slots__ = ("_extra", "_variables")

    def __init__(
        self, variables: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> None:
        """Create the context; the mappings are read live, not copied."""
        self._variables = variables
        self._extra: Mapping[str, Any] = extra if extra is not None else {}

    def has_variable(self, name: str) -> bool:
        """Return whether `name` is in `extra` or `variables`."""
        return name in self._extra or name in self._variables

    def get_variable(self, name: str) -> Any:
        """Return the value of `name`, looking in `extra` first."""
        return self._extra[name] if name in self._extra else self._variables[name]

    def variable_names(self) -> list[str]:
        """Return every name, sorted."""
        return sorted({*self._variables, *self._extra})


class _EvalError(Exception):
    """A runtime failure; `Expression.evaluate` turns it into `ExpressionError` with the text."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self, source: str) -> str:
        text = f"{self.message} in '{source}'"
        return f"{text}: {self.hint}" if self.hint else text


# --- Values: naming, coercion and Java-style rendering ----------------------------------------


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


# --- Operators -----------------------------------------------------------------------------------


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


# --- Properties and methods ----------------------------------------------------------------------


def _call_host(action: Callable[[], Any], what: str) -> Any:
    """Run host code (a `JuelObject`), turning its unexpected failures into expression errors."""
    try:
        return action()
    except (MlcError, BpmnError):
        raise
    except Exception as err:
        raise _EvalError(f"{what} failed with {type(err).__name__}: {err}") from err


def _list_index(key: Any, methods: Mapping[str, object]) -> int:
    if isinstance(key, float | Decimal) and math.isfinite(key):
        return int(key)
    if _is_integer(key):
        return int(key)
    if isinstance(key, str) and re.fullmatch(_LONG_TEXT, key):
        return int(key)
    is_method = isinstance(key, str) and key in methods
    hint = f"call it as a method: '.{key}()'" if is_method else "use a whole number, as in [0]"
    raise _EvalError(f"Cannot use {_describe(key)} as a List index", hint)


def _get_property(base: Any, key: Any) -> Any:
    """Resolve `base.key` / `base[key]` with EL's Map, List and null rules."""
    if isinstance(key, str) and key.startswith("__"):
        raise _EvalError(
            f"Property '{key}' is not allowed", "names starting with '__' are reserved"
        )
    if base is None:
        return None
    if isinstance(base, dict):
        return _map_get(base, key)
    if isinstance(base, list | tuple):
        index = _list_index(key, _LIST_METHODS)
        return base[index] if 0 <= index < len(base) else None
    if isinstance(base, JuelObject):
        name = _to_str(key)
        if name.startswith("_"):
            raise _EvalError(
                f"Property '{name}' is not allowed", "names starting with '_' are private"
            )
        return _call_host(lambda: base.juel_property(name), f"Reading property '{name}'")
    if isinstance(base, Mapping):
        return _map_get(base, key)
    methods = _methods_for(base)[1]
    hint = (
        f"call it as a method: '.{key}()'"
        if isinstance(key, str) and key in methods
        else "properties can only be read from Maps, Lists and objects the engine provides"
    )
    raise _EvalError(f"Cannot read property '{_to_str(key)}' of {_describe(base)}", hint)


def _map_get(mapping: Mapping[Any, Any], key: Any) -> Any:
    try:
        return mapping.get(key)
    except TypeError:  # an unhashable key, such as a list
        raise _EvalError(f"Cannot use {_describe(key)} as a Map key") from None


def _substring(text: str, args: list[Any]) -> str:
    begin = _to_long(args[0])
    end = _to_long(args[1]) if len(args) > 1 else len(text)
    if not 0 <= begin <= end <= len(text):
        raise _EvalError(f"substring({begin}, {end}) is out of range for length {len(text)}")
    return text[begin:end]


def _char_at(text: str, args: list[Any]) -> str:
    index = _to_long(args[0])
    if not 0 <= index < len(text):
        raise _EvalError(f"charAt({index}) is out of range for length {len(text)}")
    return text[index]


def _index_of(text: str, args: list[Any]) -> int:
    start = max(_to_long(args[1]), 0) if len(args) > 1 else 0
    return text.find(_to_str(args[0]), start)


def _last_index_of(text: str, args: list[Any]) -> int:
    needle = _to_str(args[0])
    if len(args) == 1:
        return text.rfind(needle)
    start = _to_long(args[1])
    return -1 if start < 0 else text.rfind(needle, 0, start + len(needle))


def _starts_with(text: str, args: list[Any]) -> bool:
    offset = _to_long(args[1]) if len(args) > 1 else 0
    return offset >= 0 and text.startswith(_to_str(args[0]), offset)


def _equals_ignore_case(text: str, args: list[Any]) -> bool:
    other = args[0]
    if not isinstance(other, str) or len(other) != len(text):
        return False
    return all(
        a.upper() == b.upper() or a.lower() == b.lower() for a, b in zip(text, other, strict=True)
    )


def _replace(text: str, args: list[Any]) -> str:
    old, new = _to_str(args[0]), _to_str(args[1])
    count = len(text) + 1 if old == "" else text.count(old)
    if len(text) + count * (len(new) - len(old)) > _MAX_STRING:
        raise _EvalError(f"replace() would build a string longer than {_MAX_STRING} characters")
    return text.replace(old, new)


def _regex(action: Callable[[], Any], pattern: Any) -> Any:
    try:
        return action()
    except re.error as err:
        raise _EvalError(f"Invalid regular expression {_describe(pattern)}: {err}") from None


def _split(text: str, args: list[Any]) -> list[str]:
    """Split as Java's `String.split(regex[, limit])` does (no groups, trailing empties dropped)."""
    pattern = _to_str(args[0])
    limit = _to_long(args[1]) if len(args) > 1 else 0
    pieces: list[str] = []
    start = 0
    for match in _regex(lambda: list(re.finditer(pattern, text)), pattern):
        if limit > 0 and len(pieces) == limit - 1:
            break
        if match.end() == 0:  # Java never yields a leading empty piece for a zero-width match
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    if not pieces:
        return [text]
    pieces.append(text[start:])
    while limit == 0 and pieces and not pieces[-1]:
        pieces.pop()
    return pieces


def _list_get(items: Sequence[Any], args: list[Any]) -> Any:
    index = _to_long(args[0])
    if not 0 <= index < len(items):
        raise _EvalError(f"Index {index} out of bounds for length {len(items)}")
    return items[index]


def _list_index_of(items: Sequence[Any], args: list[Any]) -> int:
    return next((i for i, item in enumerate(items) if _java_equals(item, args[0])), -1)


def _contains_key(mapping: Mapping[Any, Any], args: list[Any]) -> bool:
    try:
        return args[0] in mapping
    except TypeError:
        return False


@dataclass(frozen=True, slots=True)
class _Method:
    min_args: int
    max_args: int
    call: Callable[[Any, list[Any]], Any]


_COMMON_METHODS = {
    "equals": _Method(1, 1, lambda v, a: _java_equals(v, a[0])),
    "toString": _Method(0, 0, lambda v, _: _java_string(v)),
}
_STRING_METHODS = _COMMON_METHODS | {
    "charAt": _Method(1, 1, _char_at),
    "concat": _Method(1, 1, lambda s, a: s + _to_str(a[0])),
    "contains": _Method(1, 1, lambda s, a: _to_str(a[0]) in s),
    "endsWith": _Method(1, 1, lambda s, a: s.endswith(_to_str(a[0]))),
    "equalsIgnoreCase": _Method(1, 1, _equals_ignore_case),
    "indexOf": _Method(1, 2, _index_of),
    "isEmpty": _Method(0, 0, lambda s, _: not s),
    "lastIndexOf": _Method(1, 2, _last_index_of),
    "length": _Method(0, 0, lambda s, _: len(s)),
    "matches": _Method(
        1, 1, lambda s, a: _regex(lambda: re.fullmatch(_to_str(a[0]), s) is not None, a[0])
    ),
    "replace": _Method(2, 2, _replace),
    "split": _Method(1, 2, _split),
    "startsWith": _Method(1, 2, _starts_with),
    "substring": _Method(1, 2, _substring),
    "toLowerCase": _Method(0, 0, lambda s, _: s.lower()),
    "toUpperCase": _Method(0, 0, lambda s, _: s.upper()),
    "trim": _Method(0, 0, lambda s, _: s.strip(_JAVA_WHITESPACE)),
}
_LIST_METHODS = _COMMON_METHODS | {
    "contains": _Method(1, 1, lambda items, a: _list_index_of(items, a) >= 0),
    "get": _Method(1, 1, _list_get),
    "indexOf": _Method(1, 1, _list_index_of),
    "isEmpty": _Method(0, 0, lambda items, _: not items),
    "size": _Method(0, 0, lambda items, _: len(items)),
}
_MAP_METHODS = _COMMON_METHODS | {
    "containsKey": _Method(1, 1, _contains_key),
    "containsValue": _Method(1, 1, lambda m, a: any(_java_equals(v, a[0]) for v in m.values())),
    "get": _Method(1, 1, lambda m, a: _map_get(m, a[0])),
    "isEmpty": _Method(0, 0, lambda m, _: not m),
    "keySet": _Method(0, 0, lambda m, _: list(m.keys())),
    "size": _Method(0, 0, lambda m, _: len(m)),
    "values": _Method(0, 0, lambda m, _: list(m.values())),
}
_NUMBER_METHODS = _COMMON_METHODS | {
    "doubleValue": _Method(0, 0, lambda n, _: _to_float(n)),
    "intValue": _Method(0, 0, lambda n, _: _to_long(n)),
    "longValue": _Method(0, 0, lambda n, _: _to_long(n)),
}
_BOOLEAN_METHODS = _COMMON_METHODS | {"booleanValue": _Method(0, 0, lambda b, _: b)}


def _methods_for(value: Any) -> tuple[str, Mapping[str, _Method]]:
    if isinstance(value, str):
        return "String", _STRING_METHODS
    if isinstance(value, bool):
        return "Boolean", _BOOLEAN_METHODS
    if isinstance(value, int | float | Decimal):
        return "Number", _NUMBER_METHODS
    if isinstance(value, Mapping):
        return "Map", _MAP_METHODS
    if isinstance(value, list | tuple):
        return "List", _LIST_METHODS
    return _type_name(value), _COMMON_METHODS


def _invoke(base: Any, name: str, args: list[Any]) -> Any:
    if base is None:
        raise _EvalError(
            f"Cannot call method '{name}()' on null",
            "the value before the '.' is null; guard it with 'x != null && ...' or 'empty x'",
        )
    if isinstance(base, JuelObject):
        return _call_host(lambda: base.juel_invoke(name, args), f"Calling '{name}()'")
    type_name, methods = _methods_for(base)
    method = methods.get(name)
    if method is None:
        close = difflib.get_close_matches(name, list(methods), n=1)
        guess = f"did you mean '{close[0]}()'? " if close else ""
        raise _EvalError(
            f"Method '{name}()' is not available on {type_name} values",
            f"{guess}allowed: {', '.join(sorted(methods))}",
        )
    if not method.min_args <= len(args) <= method.max_args:
        expected = (
            str(method.min_args)
            if method.min_args == method.max_args
            else f"{method.min_args} or {method.max_args}"
        )
        raise _EvalError(f"{type_name}.{name}() takes {expected} argument(s), got {len(args)}")
    return method.call(base, args)


def _unknown_identifier(name: str, context: EvaluationContext) -> _EvalError:
    if not isinstance(context, ListableContext):
        return _EvalError(f"Cannot resolve identifier '{name}'", "no variable has that name")
    names = sorted(set(context.variable_names()))
    same_case = [n for n in names if n.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    guess = f"did you mean '{close[0]}'? " if close else ""
    listing = ", ".join(names[:_MAX_LISTED]) if names else "none"
    if len(names) > _MAX_LISTED:
        listing += f" and {len(names) - _MAX_LISTED} more"
    return _EvalError(
        f"Cannot resolve identifier '{name}'", f"{guess}available variables: {listing}"
    )


# --- The AST -------------------------------------------------------------------------------------


class _Node(ABC):
    """A node of the expression tree; `depth` bounds how deep evaluation recurses."""

    __slots__ = ("depth", "kids")
    depth: int
    kids: tuple[_Node, ...]

    def __init__(self, *kids: _Node) -> None:
        self.kids = kids
        self.depth = 1 + max((kid.depth for kid in kids), default=0)

    @abstractmethod
    def evaluate(self, context: EvaluationContext) -> Any:
        """Compute the node's value."""


class _Literal(_Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def evaluate(self, context: EvaluationContext) -> Any:
        return self.value


class _Identifier(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        if context.has_variable(self.name):
            return context.get_variable(self.name)
        raise _unknown_identifier(self.name, context)


class _Property(_Node):
    __slots__ = ("name",)

    def __init__(self, base: _Node, name: str) -> None:
        super().__init__(base)
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        return _get_property(self.kids[0].evaluate(context), self.name)


class _Index(_Node):
    __slots__ = ()

    def evaluate(self, context: EvaluationContext) -> Any:
        base = self.kids[0].evaluate(context)
        if base is None:
            return None
        key = self.kids[1].evaluate(context)
        return None if key is None else _get_property(base, key)


class _MethodCall(_Node):
    __slots__ = ("name",)

    def __init__(self, base: _Node, name: str, args: Sequence[_Node]) -> None:
        super().__init__(base, *args)
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        base = self.kids[0].evaluate(context)
        args = [arg.evaluate(context) for arg in self.kids[1:]]
        return _invoke(base, self.name, args)


class _Unary(_Node):
    __slots__ = ("op",)

    def __init__(self, op: str, operand: _Node) -> None:
        super().__init__(operand)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        value = self.kids[0].evaluate(context)
        if self.op == "-":
            return _negate(value)
        if self.op == "!":
            return not _to_bool(value)
        return _is_empty(value)


class _Binary(_Node):
    __slots__ = ("op",)

    def __init__(self, op: str, left: _Node, right: _Node) -> None:
        super().__init__(left, right)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        left = self.kids[0].evaluate(context)
        right = self.kids[1].evaluate(context)
        if self.op == "==":
            return _equals(left, right)
        if self.op == "!=":
            return not _equals(left, right)
        if self.op in {"<", ">", "<=", ">="}:
            return _compare(self.op, left, right)
        return _arithmetic(self.op, left, right)


class _Logical(_Node):
    """`&&` or `||` over any number of operands, kept flat so long chains stay shallow."""

    __slots__ = ("op",)

    def __init__(self, op: str, operands: Sequence[_Node]) -> None:
        super().__init__(*operands)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        stop = self.op == "||"
        for operand in self.kids:
            if _to_bool(operand.evaluate(context)) is stop:
                return stop
        return not stop


class _Conditional(_Node):
    __slots__ = ()

    def evaluate(self, context: EvaluationContext) -> Any:
        condition, then, otherwise = self.kids
        branch = then if _to_bool(condition.evaluate(context)) else otherwise
        return branch.evaluate(context)


# --- Tokenizer and parser ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "string", "name", "keyword" or "op"
    value: Any
    pos: int
    text: str


def _syntax_error(source: str, pos: int, message: str, hint: str = "") -> ExpressionError:
    line = source.count("\n", 0, pos) + 1
    column = pos - source.rfind("\n", 0, pos)
    where = f"column {column}" if line == 1 else f"line {line}, column {column}"
    text = f"{message} at {where} in '{source}'"
    return ExpressionError(f"{text}: {hint}" if hint else text, expression=source)


def _scan_number(source: str, start: int) -> tuple[_Token, int]:
    end = start
    while end < len(source) and source[end] in _DIGITS:
        end += 1
    is_float = False
    if source.startswith(".", end):
        is_float = True
        end += 1
        while end < len(source) and source[end] in _DIGITS:
            end += 1
    if end < len(source) and source[end] in "eE":
        exponent = end + 1 + (source[end + 1 : end + 2] in {"+", "-"})
        if exponent < len(source) and source[exponent] in _DIGITS:
            is_float = True
            end = exponent
            while end < len(source) and source[end] in _DIGITS:
                end += 1
    text = source[start:end]
    try:
        value: int | float = float(text) if is_float else int(text)
    except ValueError:  # more digits than Python converts
        raise _syntax_error(source, start, "Number literal is too long") from None
    return _Token("number", value, start, text), end


def _scan_string(source: str, start: int) -> tuple[_Token, int]:
    quote = source[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(source):
        char = source[pos]
        if char == "\\" and source[pos + 1 : pos + 2] in {"'", '"', "\\"}:
            chars.append(source[pos + 1])
            pos += 2
        elif char == quote:
            return _Token("string", "".join(chars), start, source[start : pos + 1]), pos + 1
        else:
            chars.append(char)
            pos += 1
    raise _syntax_error(source, start, "Unterminated string literal", f"close it with {quote}")


def _scan(source: str, opened_at: int) -> tuple[list[_Token], int]:
    """Tokenize the body of the `${` at `opened_at`, up to and including its closing `}`."""
    tokens: list[_Token] = []
    pos = opened_at + 2
    while True:
        while pos < len(source) and source[pos].isspace():
            pos += 1
        if pos >= len(source):
            raise _syntax_error(
                source, opened_at, f"Missing '}}' to close '{source[opened_at : opened_at + 2]}'"
            )
        char = source[pos]
        if char in _DIGITS or (char == "." and source[pos + 1 : pos + 2] in _DIGITS):
            token, pos = _scan_number(source, pos)
        elif char in {"'", '"'}:
            token, pos = _scan_string(source, pos)
        elif char.isalpha() or char in {"_", "$"}:
            end = pos + 1
            while end < len(source) and (source[end].isalnum() or source[end] in {"_", "$"}):
                end += 1
            word = source[pos:end]
            if word in _WORD_OPERATORS:
                token = _Token("op", _WORD_OPERATORS[word], pos, word)
            else:
                token = _Token("keyword" if word in _KEYWORDS else "name", word, pos, word)
            pos = end
        else:
            symbol = next((s for s in _SYMBOLS if source.startswith(s, pos)), None)
            if symbol is None:
                typo = _TYPOS.get(char)
                hint = f"did you mean '{typo}'?" if typo else ""
                if char == "{":
                    hint = "expressions cannot be nested inside '${...}'"
                raise _syntax_error(source, pos, f"Unexpected token '{char}'", hint)
            token = _Token("op", symbol, pos, symbol)
            pos += len(symbol)
        tokens.append(token)
        if token.kind == "op" and token.value == "}":
            return tokens, pos


def _is_word(token: _Token) -> bool:
    return token.kind in {"name", "keyword"} or token.text in _WORD_OPERATORS


class _Parser:
    """A precedence-climbing parser over the tokens of one `${...}`, which end with `}`."""

    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self._source = source
        self._tokens = tokens
        self._index = 0
        self._nesting = 0

    def parse(self) -> _Node:
        if self._at("}"):
            raise self._error(self._peek(), "Empty expression", "write a value between the braces")
        node = self._expression()
        if not self._at("}"):
            raise self._unexpected(self._peek(), "expected an operator or the closing '}'")
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _at(self, symbol: str) -> bool:
        token = self._tokens[self._index]
        return token.kind == "op" and token.value == symbol

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        if not (token.kind == "op" and token.value == "}"):
            self._index += 1
        return token

    def _expect(self, symbol: str, why: str) -> None:
        if not self._at(symbol):
            raise self._unexpected(self._peek(), f"expected '{symbol}' {why}")
        self._index += 1

    def _error(self, token: _Token, message: str, hint: str = "") -> ExpressionError:
        return _syntax_error(self._source, token.pos, message, hint)

    def _unexpected(self, token: _Token, expectation: str) -> ExpressionError:
        if token.kind == "op" and token.value == "}":
            return self._error(token, "The expression ended too early", expectation)
        return self._error(token, f"Unexpected token '{token.text}'", expectation)

    def _checked(self, node: _Node, token: _Token) -> _Node:
        if node.depth > _MAX_DEPTH:
            raise self._error(
                token, f"Expression is nested more than {_MAX_DEPTH} levels deep", "simplify it"
            )
        return node

    def _expression(self) -> _Node:
        self._nesting += 1
        if self._nesting > _MAX_NESTING:
            raise self._error(
                self._peek(), f"Expression is nested more than {_MAX_NESTING} levels deep"
            )
        node = self._binary(1)
        if self._at("?"):
            token = self._take()
            then = self._expression()
            self._expect(":", "to separate the branches of 'condition ? a : b'")
            otherwise = self._expression()
            node = self._checked(_Conditional(node, then, otherwise), token)
        self._nesting -= 1
        return node

    def _binary(self, min_precedence: int) -> _Node:
        left = self._unary()
        while True:
            token = self._peek()
            precedence = _PRECEDENCE.get(token.value) if token.kind == "op" else None
            if precedence is None or precedence < min_precedence:
                return left
            self._take()
            right = self._binary(precedence + 1)
            if token.value in {"&&", "||"}:
                flat = isinstance(left, _Logical) and left.op == token.value
                operands = [*left.kids, right] if flat else [left, right]
                left = self._checked(_Logical(token.value, operands), token)
            else:
                left = self._checked(_Binary(token.value, left, right), token)

    def _unary(self) -> _Node:
        prefixes: list[_Token] = []
        while self._at("-") or self._at("!") or self._peek().text == "empty":
            prefixes.append(self._take())
        node = self._postfix()
        for token in reversed(prefixes):
            op = "empty" if token.kind == "keyword" else token.value
            node = self._checked(_Unary(op, node), token)
        return node

    def _postfix(self) -> _Node:
        node = self._primary()
        while True:
            token = self._peek()
            if self._at("."):
                self._take()
                name_token = self._peek()
                if not _is_word(name_token):
                    raise self._unexpected(name_token, "expected a property or method name")
                name = self._take().text
                if self._at("("):
                    self._check_name(name_token, method=True)
                    node = _MethodCall(node, name, self._arguments())
                else:
                    self._check_name(name_token, method=False)
                    node = _Property(node, name)
            elif self._at("["):
                self._take()
                key = self._expression()
                self._expect("]", "to close '['")
                node = _Index(node, key)
            elif self._at("("):
                raise self._unexpected(token, "only methods can be called, as in 'x.name(...)'")
            else:
                return node
            self._checked(node, token)

    def _arguments(self) -> list[_Node]:
        self._take()  # the "("
        args: list[_Node] = []
        if self._at(")"):
            self._take()
            return args
        while True:
            args.append(self._expression())
            if self._at(")"):
                self._take()
                return args
            self._expect(",", "between arguments")

    def _check_name(self, token: _Token, *, method: bool) -> None:
        name = token.text
        if name.startswith("__") or (method and name.startswith("_")):
            kind = "Method" if method else "Name"
            raise self._error(
                token, f"{kind} '{name}' is not allowed", "names starting with '_' are private"
            )

    def _primary(self) -> _Node:
        token = self._take()
        if token.kind in {"number", "string"}:
            return _Literal(token.value)
        if token.kind == "keyword" and token.value in _LITERAL_WORDS:
            return _Literal(_LITERAL_WORDS[token.value])
        if token.kind == "keyword":
            raise self._error(token, f"'{token.text}' is a reserved word and is not supported")
        if token.kind == "name":
            if self._at("("):
                raise self._error(
                    token,
                    f"Functions are not supported ('{token.text}(...)')",
                    "call a method on a value instead, as in 'execution.getVariable(\"x\")'",
                )
            self._check_name(token, method=False)
            return _Identifier(token.value)
        if token.kind == "op" and token.value == "(":
            node = self._expression()
            self._expect(")", "to close '('")
            return node
        if token.text in _WORD_OPERATORS:
            raise self._error(token, f"'{token.text}' is a keyword and cannot be a variable name")
        raise self._unexpected(token, "expected a value")


# --- Public API ----------------------------------------------------------------------------------


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
                return self._parts[0].evaluate(context)
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
