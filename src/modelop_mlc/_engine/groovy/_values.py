"""Groovy values in Python, and the rules that make them behave as Groovy's do.

| Groovy / Java                          | Python                                       |
| -------------------------------------- | -------------------------------------------- |
| null, Boolean, String                  | `None`, `bool`, `str`                        |
| Integer, Long, BigInteger              | `int` (refused beyond a Java `long`)         |
| BigDecimal (`1.5`, `1/3`)              | `decimal.Decimal`                            |
| Double, Float (`1.5d`, JSON numbers)   | `float`                                      |
| List, Set (no duplicates)              | `list`                                       |
| Map (LinkedHashMap)                    | `dict` (insertion-ordered)                   |
| Range `1..3`                           | `GRange`                                     |
| Closure                                | `GClosure`                                   |
| Java objects (UUID, Date, SDK classes) | subclasses of `JavaObject`                   |

Equality is Groovy's `==` (numbers by value across types, lists and maps element-wise, an
enum constant equal to its name), truth is Groovy truth, and `toString()` renders lists as
`[a, b]` and maps as `[k:v]`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any, ClassVar, Final

from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.juel._values import _double_to_string

__all__ = [
    "LOGGER_TAG",
    "MAX_LONG",
    "GClosure",
    "GRange",
    "JavaObject",
    "Logger",
    "MapEntry",
    "arith",
    "compare",
    "equals",
    "to_str",
    "truth",
    "type_name",
]

MAX_LONG: Final = (1 << 63) - 1
MIN_LONG: Final = -(1 << 63)
_DIVISION_SCALE: Final = 10


class JavaObject:
    """A Java object shim; subclasses answer methods and properties through the dispatcher."""

    __slots__ = ()
    TYPE: ClassVar[str] = "Object"  # the simple class name
    QUALIFIED: ClassVar[str] = "java.lang.Object"

    def to_string(self) -> str:
        """Java's `toString()`."""
        return f"{self.QUALIFIED}@{id(self) & 0xFFFFFF:x}"

    def groovy_equals(self, other: Any) -> bool:
        """Java's `equals`."""
        return self is other

    def to_json(self) -> Any:
        """The JSON form written to a process variable; raise `TypeError` if it has none."""
        raise TypeError(f"a {self.TYPE} cannot be stored in a process variable")


class GClosure:
    """A closure: parameters, compiled body and the frame it was created in.

    `invoke` is set by the compiler; it runs the body with the given arguments.
    """

    __slots__ = ("frame", "invoke", "line", "params")

    def __init__(
        self,
        params: tuple[str, ...] | None,
        invoke: Callable[[GClosure, list[Any]], Any],
        frame: Any,
        line: int,
    ) -> None:
        """Create a closure value."""
        self.params = params
        self.invoke = invoke
        self.frame = frame
        self.line = line

    @property
    def arity(self) -> int:
        """The number of declared parameters (1 for the implicit `it`)."""
        return 1 if self.params is None else len(self.params)

    def call(self, *args: Any) -> Any:
        """Call the closure with positional arguments."""
        return self.invoke(self, list(args))


class GRange:
    """An integer range `low..high` (inclusive) or `low..<high`; counts down if low > high."""

    __slots__ = ("high", "low", "step")

    def __init__(self, low: int, high: int, *, exclusive: bool) -> None:
        """Normalise to an inclusive range with a direction."""
        self.step = 1 if high >= low else -1
        self.low = low
        if exclusive:
            high -= self.step
        self.high = high
        if exclusive and low == high + self.step:  # `1..<1` is empty
            self.step = 0

    def __len__(self) -> int:
        """The number of elements."""
        if self.step == 0:
            return 0
        return abs(self.high - self.low) + 1

    def __iter__(self) -> Iterator[int]:
        """Iterate without building a list."""
        if self.step:
            yield from range(self.low, self.high + self.step, self.step)

    def contains(self, value: Any) -> bool:
        """Tell whether `value` is an element."""
        if not is_number(value) or self.step == 0:
            return False
        low, high = sorted((self.low, self.high))
        return bool(low <= value <= high and value == int(value))

    def to_string(self) -> str:
        """Groovy's rendering: `1..3`."""
        if self.step == 0:
            return "[]"
        return f"{self.low}..{self.high}"


class MapEntry(JavaObject):
    """A `Map.Entry`: `key`, `value`, `getKey()`, `getValue()`."""

    __slots__ = ("key", "value")
    TYPE = "Entry"
    QUALIFIED = "java.util.Map$Entry"

    def __init__(self, key: Any, value: Any) -> None:
        """Create the entry."""
        self.key = key
        self.value = value

    def to_string(self) -> str:
        """`key=value`."""
        return f"{to_str(self.key)}={to_str(self.value)}"

    def groovy_equals(self, other: Any) -> bool:
        """Entries are equal when keys and values are."""
        return (
            isinstance(other, MapEntry)
            and equals(self.key, other.key)
            and equals(self.value, other.value)
        )

    def to_json(self) -> Any:
        """`{key: value}`."""
        return {to_str(self.key): self.value}


def is_number(value: Any) -> bool:
    """Tell whether `value` is a Groovy number (not a boolean)."""
    return type(value) in {int, float, Decimal}


def type_name(value: Any) -> str:
    """The Java class name of `value`, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if -(1 << 31) <= value < (1 << 31) else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, Decimal):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "ArrayList"
    if isinstance(value, dict):
        return "LinkedHashMap"
    if isinstance(value, GRange):
        return "IntRange"
    if isinstance(value, GClosure):
        return "Closure"
    if isinstance(value, JavaObject):
        return value.TYPE
    return type(value).__name__


def truth(value: Any) -> bool:
    """Groovy truth: null, false, 0, "" and empty collections are false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str | list | dict | int | float | Decimal):
        return bool(value)
    if isinstance(value, GRange):
        return len(value) > 0
    as_boolean = getattr(value, "as_boolean", None)
    if as_boolean is not None:
        return bool(as_boolean())
    return True


def equals(left: Any, right: Any) -> bool:
    """Groovy's `==`."""
    if left is right:
        return True
    if left is None or right is None:
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) and is_number(right):
        return _number_compare(left, right) == 0
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, list | GRange) and isinstance(right, list | GRange):
        left_items, right_items = list(left), list(right)
        return len(left_items) == len(right_items) and all(
            equals(x, y) for x, y in zip(left_items, right_items, strict=True)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        if len(left) != len(right):
            return False
        return all(
            any(equals(k, k2) and equals(v, right[k2]) for k2 in right)
            if k not in right
            else equals(v, right[k])
            for k, v in left.items()
        )
    if isinstance(left, JavaObject):
        return left.groovy_equals(right)
    if isinstance(right, JavaObject):
        return right.groovy_equals(left)
    return False


def _number_compare(left: Any, right: Any) -> int:
    if isinstance(left, float) or isinstance(right, float):
        a, b = float(left), float(right)
        if math.isnan(a) or math.isnan(b):
            return 0 if math.isnan(a) and math.isnan(b) else (1 if math.isnan(a) else -1)
    else:
        a, b = left, right
    return (a > b) - (a < b)


def compare(left: Any, right: Any) -> int:
    """Groovy's `<=>` (also used by `<`, `>`, `sort`, `max`); null sorts first."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    if is_number(left) and is_number(right):
        return _number_compare(left, right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    if isinstance(left, bool) and isinstance(right, bool):
        return (left > right) - (left < right)
    compare_to = getattr(left, "compare_to", None)
    if compare_to is not None:
        result = compare_to(right)
        if result is not None:
            return int(result)
    if equals(left, right):
        return 0
    raise java_error(
        "IllegalArgumentException",
        f"Cannot compare {type_name(left)} with value '{to_str(left)}' and "
        f"{type_name(right)} with value '{to_str(right)}'",
    )


def to_str(value: Any) -> str:
    """Groovy's `toString()` (as string concatenation and GStrings use it)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _double_to_string(value)
    if isinstance(value, Decimal):
        return decimal_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(to_str(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "[:]"
        return "[" + ", ".join(f"{to_str(k)}:{to_str(v)}" for k, v in value.items()) + "]"
    if isinstance(value, GRange):
        return "[" + ", ".join(str(i) for i in value) + "]"
    if isinstance(value, JavaObject):
        return value.to_string()
    if isinstance(value, GClosure):
        return f"Script$_closure{value.line}"
    return str(value)


def decimal_string(value: Decimal) -> str:
    """Java's `BigDecimal.toString()` (scientific notation when the exponent is large)."""
    text = str(value)
    return text.replace("e", "E")


# ---------------------------------------------------------------- arithmetic


def check_long(value: int) -> int:
    """Refuse integers that do not fit a Java `long` (Groovy would overflow silently)."""
    if not MIN_LONG <= value <= MAX_LONG:
        raise java_error(
            "ArithmeticException",
            "integer overflow: the result does not fit in a Java long; use a BigDecimal "
            "(write 1.0 instead of 1) for very large numbers",
        )
    return value


def _promote(left: Any, right: Any) -> tuple[str, Any, Any]:
    """The common kind (`int`, `decimal`, `float`) of two numbers and the converted values."""
    if isinstance(left, float) or isinstance(right, float):
        return "float", float(left), float(right)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return "decimal", Decimal(left), Decimal(right)
    return "int", left, right


def divide(left: Any, right: Any) -> Any:
    """Groovy's `/`: integers divide into a BigDecimal (`1/2` is `0.5`), like Groovy's."""
    kind, a, b = _promote(left, right)
    if kind == "float":
        if b == 0:
            return math.copysign(math.inf, a) * math.copysign(1, b) if a else math.nan
        return a / b
    if b == 0:
        raise java_error("ArithmeticException", "Division by zero")
    a, b = Decimal(a), Decimal(b)
    with localcontext() as ctx:
        ctx.prec = max(_digits(a), _digits(b)) + _DIVISION_SCALE
        try:
            exact = a / b
        except (DivisionByZero, InvalidOperation):
            raise java_error("ArithmeticException", "Division undefined") from None
        scale = max(-_exponent(a), -_exponent(b), _DIVISION_SCALE)
        if -_exponent(exact) > scale:
            exact = exact.quantize(Decimal(1).scaleb(-scale), rounding="ROUND_HALF_UP")
        return exact.normalize() if _terminates(a, b) else exact


def _digits(value: Decimal) -> int:
    return len(value.as_tuple().digits)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _terminates(a: Decimal, b: Decimal) -> bool:
    """Whether a / b has a finite decimal expansion (Java's exact `divide` then succeeds)."""
    denominator = abs(int(b.scaleb(-_exponent(b))))
    numerator = abs(int(a.scaleb(-_exponent(a))))
    g = math.gcd(numerator, denominator) or 1
    denominator //= g
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def remainder(left: Any, right: Any) -> Any:
    """Java's `%` (the sign follows the dividend)."""
    kind, a, b = _promote(left, right)
    if kind == "float":
        return math.fmod(a, b) if b else math.nan
    if b == 0:
        raise java_error("ArithmeticException", "Division by zero")
    if kind == "int":
        rest = abs(a) % abs(b)
        return rest if a >= 0 else -rest
    return a % b  # Decimal's % keeps the dividend's sign, as Java's BigDecimal does


def power(left: Any, right: Any, max_bits: int) -> Any:
    """`**`, refusing results that would be too large before computing them."""
    kind, a, b = _promote(left, right)
    if kind == "int" and b >= 0:
        if abs(a) > 1 and b * max(a.bit_length(), 1) > max_bits:
            raise java_error("ArithmeticException", f"{a} ** {b} is too large to compute")
        return a**b
    try:
        return float(a) ** float(b)
    except (OverflowError, ZeroDivisionError):
        raise java_error("ArithmeticException", f"{a} ** {b} cannot be computed") from None


def number_op(op: str, left: Any, right: Any) -> Any:
    """`+`, `-`, `*` on two numbers with Groovy's type promotion."""
    kind, a, b = _promote(left, right)
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    else:
        result = a * b
    if kind == "int":
        return check_long(result)
    if kind == "decimal" and not result.is_finite():
        raise java_error("ArithmeticException", "the result is not a finite number")
    return result


def arith(op: str, left: Any, right: Any, budget: Any) -> Any:
    """Groovy's `+ - * / % **` over numbers, strings, lists and maps.

    `budget` checks sizes before a string or list is built (see `_runtime.Budget`).
    """
    if is_number(left) and is_number(right):
        if op in {"+", "-", "*"}:
            return number_op(op, left, right)
        if op == "/":
            return divide(left, right)
        if op == "%":
            return remainder(left, right)
        if op == "**":
            return power(left, right, budget.max_int_bits)
    if op == "+":
        if isinstance(left, str):
            text = to_str(right)
            budget.string(len(left) + len(text))
            return left + text
        if isinstance(left, list | GRange):
            items = list(left)
            extra = list(right) if isinstance(right, list | GRange) else [right]
            budget.items(len(items) + len(extra))
            return items + extra
        if isinstance(left, dict) and isinstance(right, dict):
            budget.items(len(left) + len(right))
            return {**left, **right}
        if isinstance(right, str) and left is not None:
            text = to_str(left)
            budget.string(len(text) + len(right))
            return text + right
    if op == "-":
        if isinstance(left, str):
            removed = to_str(right)
            return left.replace(removed, "", 1) if removed else left
        if isinstance(left, list | GRange):
            drop = list(right) if isinstance(right, list | GRange) else [right]
            return [x for x in left if not any(equals(x, d) for d in drop)]
        if isinstance(left, dict) and isinstance(right, dict):
            return {k: v for k, v in left.items() if not (k in right and equals(v, right[k]))}
    if op == "*" and isinstance(right, int) and not isinstance(right, bool):
        if isinstance(left, str):
            budget.string(len(left) * max(right, 0))
            return left * max(right, 0)
        if isinstance(left, list):
            budget.items(len(left) * max(right, 0))
            return left * max(right, 0)
    if left is None or right is None:
        raise java_error(
            "NullPointerException",
            f"Cannot execute null {op} {to_str(right if left is None else left)}",
        )
    raise java_error(
        "MissingMethodException",
        f"No signature of method: {type_name(left)}.{_OP_METHODS.get(op, op)}() is applicable "
        f"for argument types: ({type_name(right)})",
    )


_OP_METHODS: Final = {
    "+": "plus",
    "-": "minus",
    "*": "multiply",
    "/": "div",
    "%": "mod",
    "**": "power",
}


def negate(value: Any) -> Any:
    """Unary minus."""
    if is_number(value):
        return check_long(-value) if isinstance(value, int) else -value
    if value is None:
        raise java_error("NullPointerException", "Cannot negate null")
    raise java_error("MissingMethodException", f"Cannot negate a {type_name(value)}")


def to_int(value: Any, what: str = "value") -> int:
    """Coerce a number to an `int` index or count (Java `intValue()`)."""
    if isinstance(value, bool) or not is_number(value):
        raise java_error(
            "IllegalArgumentException", f"{what} must be a number, not {type_name(value)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise java_error("IllegalArgumentException", f"{what} must be finite")
    return int(value)


def contains(container: Any, item: Any) -> bool:
    """Groovy's `in` / `isCase`: membership in a collection, key in a map, substring."""
    if isinstance(container, GRange):
        return container.contains(item)
    if isinstance(container, list):
        return any(equals(x, item) for x in container)
    if isinstance(container, dict):
        return item in container if _hashable(item) else False
    if isinstance(container, str):
        return to_str(item) in container if item is not None else False
    if container is None:
        return item is None
    is_case = getattr(container, "is_case", None)
    if is_case is not None:
        return bool(is_case(item))
    return equals(container, item)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


LOGGER_TAG: Final = "@slf4jLogger"
"""Key of the JSON a stored `Logger` becomes (`{"@slf4jLogger": "name"}`); reading it back
in a script gives the logger again."""


class Logger(JavaObject):
    """An SLF4J logger: its messages go to Python logging (`modelop_mlc.script.<name>`)."""

    __slots__ = ("name",)
    TYPE = "Logger"
    QUALIFIED = "org.slf4j.Logger"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, name: str) -> None:
        """Name the logger."""
        self.name = name

    def to_string(self) -> str:
        """Like Logback's loggers."""
        return f"Logger[{self.name}]"

    def groovy_equals(self, other: Any) -> bool:
        """Loggers of the same name are the same logger."""
        return isinstance(other, Logger) and other.name == self.name

    def to_json(self) -> Any:
        """Stored as `{"@slf4jLogger": name}`, which a script reads back as the logger."""
        return {LOGGER_TAG: self.name}
