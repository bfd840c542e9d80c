"""JDK classes on the allow-list: numbers, `Math`, the collections, `UUID` and `Date`.

`UUID` (`fromString` as lenient as Java's, `randomUUID` from an injectable source),
`Integer`/`Long`/`Double` parsing as Java parses, `Math`, `BigDecimal`, `Date` on the
instance's clock and the collection classes. Loggers, byte arrays, builders, JSON and
exceptions are in `_java_objects`. None of them can reach files, processes, the network or
the environment.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

from modelop_mlc._engine.groovy._classes import JavaClass, need, register, type_test
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._values import (
    GClosure,
    GRange,
    JavaObject,
    MapEntry,
    compare,
    equals,
    is_number,
    to_int,
    to_str,
    type_name,
)
from modelop_mlc._engine.juel._dates import _format as format_date

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = [
    "DateValue",
    "UuidValue",
    "parse_double",
    "parse_int",
    "to_decimal",
    "unique",
    "uuid_from_string",
]

_INT_TEXT: Final = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT: Final = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")
_INT_RANGE: Final = (-(1 << 31), (1 << 31) - 1)
_LONG_RANGE: Final = (-(1 << 63), (1 << 63) - 1)


# ---------------------------------------------------------------- numbers


def parse_int(text: Any, bounds: tuple[int, int] = _INT_RANGE, radix: int = 10) -> int:
    """`Integer.parseInt` / `Long.parseLong`: strict digits, no spaces, within range."""
    if text is None:
        raise java_error("NumberFormatException", "Cannot parse null string: null")
    value = to_str(text)
    ok = _INT_TEXT.fullmatch(value) if radix == 10 else value  # noqa: PLR2004 - decimal
    try:
        number = int(value, radix) if ok else None
    except ValueError:
        number = None
    if number is None:
        raise java_error("NumberFormatException", f'For input string: "{value}"')
    if not bounds[0] <= number <= bounds[1]:
        raise java_error("NumberFormatException", f'For input string: "{value}"')
    return number


def parse_double(text: Any) -> float:
    """`Double.parseDouble`: Java's syntax (surrounding spaces allowed, `NaN`, `1e3`, `2d`)."""
    if text is None:
        raise java_error("NullPointerException", "Cannot parse null as a double")
    value = to_str(text).strip()
    if not _FLOAT_TEXT.fullmatch(value):
        raise java_error("NumberFormatException", f'For input string: "{to_str(text)}"')
    return float(
        value.rstrip("fFdD") if not value.endswith("Infinity") else value.replace("Infinity", "inf")
    )


def to_decimal(value: Any) -> Decimal:
    """`new BigDecimal(x)` for text or a number."""
    if is_number(value):
        return Decimal(value)
    text = to_str(value)
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise java_error(
            "NumberFormatException",
            f"Character array is not a valid decimal number: {to_str(value)}",
        )
    return Decimal(text)


def _round(value: Any) -> int:
    x = float(value)
    if math.isnan(x):
        return 0
    return (
        math.floor(x + 0.5) if math.isfinite(x) else (_LONG_RANGE[1] if x > 0 else _LONG_RANGE[0])
    )


def _math(name: str, fn: Any, count: int = 1) -> Any:
    def call(ctx: Context, args: list[Any]) -> Any:
        need(f"Math.{name}", args, count)
        for arg in args:
            if not is_number(arg):
                raise java_error(
                    "MissingMethodException", f"Math.{name}() takes numbers, not {type_name(arg)}"
                )
        try:
            return fn(*args)
        except (ValueError, OverflowError):
            return math.nan

    return call


def _abs(x: Any) -> Any:
    return abs(x)


def _max(x: Any, y: Any) -> Any:
    return x if compare(x, y) >= 0 else y


def _min(x: Any, y: Any) -> Any:
    return x if compare(x, y) <= 0 else y


def _log(x: Any, base: int | None = None) -> float:
    x = float(x)
    if x == 0:
        return -math.inf
    if x < 0:
        return math.nan
    return math.log(x) if base is None else math.log10(x)


_MATH_STATICS: Final = {
    "abs": _math("abs", _abs),
    "max": _math("max", _max, 2),
    "min": _math("min", _min, 2),
    "round": _math("round", _round),
    "floor": _math("floor", lambda x: float(math.floor(x))),
    "ceil": _math("ceil", lambda x: float(math.ceil(x))),
    "sqrt": _math("sqrt", lambda x: math.sqrt(x) if x >= 0 else math.nan),
    "pow": _math("pow", lambda x, y: math.pow(float(x), float(y)), 2),
    "log": _math("log", _log),
    "log10": _math("log10", lambda x: _log(x, 10)),
    "exp": _math("exp", lambda x: math.exp(x) if x < 709 else math.inf),  # noqa: PLR2004
    "signum": _math("signum", lambda x: float((x > 0) - (x < 0))),
    "floorDiv": _math("floorDiv", lambda x, y: int(x) // int(y) if y else _div_zero(), 2),
    "floorMod": _math("floorMod", lambda x, y: int(x) % int(y) if y else _div_zero(), 2),
}


def _div_zero() -> Any:
    raise java_error("ArithmeticException", "/ by zero")


def _number_class(name: str, parse: Any, test: Any, **fields: Any) -> JavaClass:
    statics = {
        f"parse{name if name != 'Integer' else 'Int'}": parse,
        "valueOf": parse,
        "toString": lambda ctx, args: to_str(args[0]) if len(args) == 1 else _need_one(name, args),
    }
    return register(JavaClass(f"java.lang.{name}", statics=statics, fields=fields, test=test))


def _need_one(name: str, args: list[Any]) -> Any:
    need(f"{name}.toString", args, 1)
    return None


def _parse_int_static(ctx: Context, args: list[Any]) -> int:
    need("Integer.parseInt", args, 1, 2)
    if len(args) == 1 and is_number(args[0]):
        return to_int(args[0])
    return parse_int(args[0], _INT_RANGE, to_int(args[1]) if len(args) == 2 else 10)  # noqa: PLR2004


def _parse_long_static(ctx: Context, args: list[Any]) -> int:
    need("Long.parseLong", args, 1, 2)
    if len(args) == 1 and is_number(args[0]):
        return to_int(args[0])
    return parse_int(args[0], _LONG_RANGE, to_int(args[1]) if len(args) == 2 else 10)  # noqa: PLR2004


def _parse_double_static(ctx: Context, args: list[Any]) -> float:
    need("Double.parseDouble", args, 1)
    return float(args[0]) if is_number(args[0]) else parse_double(args[0])


def _parse_boolean(ctx: Context, args: list[Any]) -> bool:
    need("Boolean.parseBoolean", args, 1)
    return (isinstance(args[0], bool) and args[0]) or (
        isinstance(args[0], str) and args[0].lower() == "true"
    )


_number_class(
    "Integer",
    _parse_int_static,
    type_test(predicate=lambda v: type(v) is int and _INT_RANGE[0] <= v <= _INT_RANGE[1]),
    MAX_VALUE=_INT_RANGE[1],
    MIN_VALUE=_INT_RANGE[0],
)
_number_class(
    "Long", _parse_long_static, type_test(int), MAX_VALUE=_LONG_RANGE[1], MIN_VALUE=_LONG_RANGE[0]
)
_number_class(
    "Double",
    _parse_double_static,
    type_test(float),
    MAX_VALUE=1.7976931348623157e308,
    MIN_VALUE=5e-324,
    NaN=math.nan,
    POSITIVE_INFINITY=math.inf,
    NEGATIVE_INFINITY=-math.inf,
)
_number_class("Float", _parse_double_static, type_test(float))
_boolean = register(
    JavaClass(
        "java.lang.Boolean",
        statics={"parseBoolean": _parse_boolean, "valueOf": _parse_boolean},
        fields={"TRUE": True, "FALSE": False},
        test=type_test(bool),
    )
)
register(JavaClass("java.lang.Math", statics=_MATH_STATICS, fields={"PI": math.pi, "E": math.e}))
register(JavaClass("java.lang.Number", test=type_test(int, float, Decimal)))
register(JavaClass("java.lang.Object", test=lambda v: v is not None))
register(JavaClass("java.lang.CharSequence", test=type_test(str)))
register(JavaClass("groovy.lang.GString", test=lambda v: False))
register(JavaClass("groovy.lang.Closure", test=type_test(GClosure)))
register(JavaClass("groovy.lang.IntRange", test=type_test(GRange)))
register(
    JavaClass(
        "java.math.BigDecimal",
        statics={
            "valueOf": lambda ctx, args: (
                Decimal(repr(args[0])) if isinstance(args[0], float) else to_decimal(args[0])
            )
        },
        fields={"ZERO": Decimal(0), "ONE": Decimal(1), "TEN": Decimal(10)},
        construct=lambda ctx, args, named: _one("BigDecimal", args, to_decimal),
        test=type_test(Decimal),
    )
)
register(
    JavaClass(
        "java.math.BigInteger",
        statics={"valueOf": lambda ctx, args: to_int(args[0])},
        fields={"ZERO": 0, "ONE": 1, "TEN": 10},
        construct=lambda ctx, args, named: _one(
            "BigInteger", args, lambda v: parse_int(v, (-(1 << 4096), 1 << 4096))
        ),
        test=type_test(int),
    )
)


def _one(name: str, args: list[Any], convert: Any) -> Any:
    need(f"new {name}", args, 1)
    return convert(args[0])


# ---------------------------------------------------------------- collections


def _new_list(ctx: Context, args: list[Any], named: dict[str, Any]) -> list[Any]:
    need("new ArrayList", args, 0, 1)
    if args and isinstance(args[0], list | GRange):
        ctx.budget.items(len(args[0]))
        return list(args[0])
    return []


def _new_set(ctx: Context, args: list[Any], named: dict[str, Any]) -> list[Any]:
    return unique(_new_list(ctx, args, named))


def _new_map(ctx: Context, args: list[Any], named: dict[str, Any]) -> dict[Any, Any]:
    need("new HashMap", args, 0, 1)
    if args and isinstance(args[0], dict):
        return dict(args[0])
    return {}


def unique(items: list[Any]) -> list[Any]:
    """Items without duplicates (Groovy equality), first occurrence kept."""
    out: list[Any] = []
    for item in items:
        if not any(equals(item, seen) for seen in out):
            out.append(item)
    return out


_is_list = type_test(list)
for _name in ("List", "ArrayList", "LinkedList", "Collection", "Iterable"):
    register(
        JavaClass(
            f"java.util.{_name}" if _name != "Iterable" else "java.lang.Iterable",
            construct=_new_list if "List" in _name and _name != "List" else None,
            test=type_test(list, GRange),
        )
    )
for _name in ("Set", "HashSet", "LinkedHashSet", "TreeSet"):
    register(
        JavaClass(
            f"java.util.{_name}", construct=_new_set if _name != "Set" else None, test=_is_list
        )
    )
for _name in ("Map", "HashMap", "LinkedHashMap", "TreeMap"):
    register(
        JavaClass(
            f"java.util.{_name}",
            construct=_new_map if _name != "Map" else None,
            test=type_test(dict),
        )
    )
register(JavaClass("java.util.Map.Entry", test=type_test(MapEntry)))
register(
    JavaClass(
        "java.util.Arrays",
        statics={
            "asList": lambda ctx, args: (
                list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
            )
        },
    )
)
register(
    JavaClass(
        "java.util.Collections",
        statics={
            "emptyList": lambda ctx, args: [],
            "emptyMap": lambda ctx, args: {},
            "emptySet": lambda ctx, args: [],
            "singletonList": lambda ctx, args: [args[0]],
            "unmodifiableList": lambda ctx, args: list(args[0]),
            "unmodifiableMap": lambda ctx, args: dict(args[0]),
        },
    )
)


def _java_equals(left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right) and type(left) is not type(right):
        return False
    return equals(left, right)


register(
    JavaClass(
        "java.util.Objects",
        statics={
            "equals": lambda ctx, args: _java_equals(args[0], args[1]),
            "isNull": lambda ctx, args: args[0] is None,
            "nonNull": lambda ctx, args: args[0] is not None,
            "toString": lambda ctx, args: (
                to_str(args[0]) if args[0] is not None or len(args) == 1 else to_str(args[1])
            ),
            "requireNonNull": lambda ctx, args: _require(args),
        },
    )
)


def _require(args: list[Any]) -> Any:
    if args[0] is None:
        raise java_error("NullPointerException", to_str(args[1]) if len(args) > 1 else "null")
    return args[0]


# ---------------------------------------------------------------- UUID


class UuidValue(JavaObject):
    """`java.util.UUID`."""

    __slots__ = ("text",)
    TYPE = "UUID"
    QUALIFIED = "java.util.UUID"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, text: str) -> None:
        """Wrap the canonical (lower-case) text."""
        self.text = text

    def to_string(self) -> str:
        """The canonical form."""
        return self.text

    def groovy_equals(self, other: Any) -> bool:
        """Equal UUIDs (or the same text, compared as Groovy compares to strings)."""
        return isinstance(other, UuidValue) and other.text == self.text

    def compare_to(self, other: Any) -> int | None:
        """Order by the text (Java orders by signed halves; close enough for sorting)."""
        return (
            (self.text > other.text) - (self.text < other.text)
            if isinstance(other, UuidValue)
            else None
        )

    def to_json(self) -> Any:
        """Stored as its text."""
        return self.text


def uuid_from_string(text: Any) -> UuidValue:
    """`UUID.fromString`, accepting what Java accepts (five hex groups of any length)."""
    if text is None:
        raise java_error("NullPointerException", "Cannot invoke UUID.fromString on null")
    value = to_str(text)
    parts = value.split("-")
    if len(value) > 36 or len(parts) != 5 or not all(parts):  # noqa: PLR2004 - the UUID shape
        raise java_error("IllegalArgumentException", f"Invalid UUID string: {value}")
    try:
        numbers = [int(p, 16) for p in parts]
    except ValueError:
        raise java_error("IllegalArgumentException", f"Invalid UUID string: {value}") from None
    widths = (32, 16, 16, 16, 48)
    digits = [f"{n & ((1 << w) - 1):0{w // 4}x}" for n, w in zip(numbers, widths, strict=True)]
    return UuidValue("-".join(digits))


def _random_uuid(ctx: Context, args: list[Any]) -> UuidValue:
    need("UUID.randomUUID", args, 0)
    return uuid_from_string(ctx.uuid_source())


UuidValue.METHODS.update(
    {
        "toString": lambda ctx, self, args: self.text,
        "version": lambda ctx, self, args: int(self.text[14], 16),
        "compareTo": lambda ctx, self, args: compare(self, args[0]),
        "equals": lambda ctx, self, args: self.groovy_equals(args[0]),
    }
)
register(
    JavaClass(
        "java.util.UUID",
        statics={
            "fromString": lambda ctx, args: (
                need("UUID.fromString", args, 1),
                uuid_from_string(args[0]),
            )[1],
            "randomUUID": _random_uuid,
        },
        test=type_test(UuidValue),
    )
)


# ---------------------------------------------------------------- Date


class DateValue(JavaObject):
    """`java.util.Date`: an instant with millisecond precision, on the instance's clock."""

    __slots__ = ("moment",)
    TYPE = "Date"
    QUALIFIED = "java.util.Date"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, moment: datetime) -> None:
        """Keep `moment` in UTC, truncated to milliseconds."""
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        self.moment = utc.replace(microsecond=utc.microsecond // 1000 * 1000)

    @property
    def millis(self) -> int:
        """Milliseconds since the epoch."""
        return int(self.moment.timestamp() * 1000)

    def to_string(self) -> str:
        """Java's `Date.toString()` in UTC: `Thu Jan 08 09:30:00 UTC 2026`."""
        return self.moment.strftime("%a %b %d %H:%M:%S UTC %Y")

    def groovy_equals(self, other: Any) -> bool:
        """Same instant."""
        return isinstance(other, DateValue) and other.moment == self.moment

    def compare_to(self, other: Any) -> int | None:
        """Chronological order."""
        if not isinstance(other, DateValue):
            return None
        return (self.moment > other.moment) - (self.moment < other.moment)

    def to_json(self) -> Any:
        """ISO 8601 text with milliseconds, as JUEL's dates are stored."""
        return (
            self.moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.moment.microsecond // 1000:03d}Z"
        )


def _new_date(ctx: Context, args: list[Any], named: dict[str, Any]) -> DateValue:
    need("new Date", args, 0, 1)
    if args:
        return DateValue(datetime.fromtimestamp(to_int(args[0], "milliseconds") / 1000, UTC))
    return DateValue(ctx.host.now())


def _date_other(args: list[Any], method: str) -> DateValue:
    need(f"Date.{method}", args, 1)
    if not isinstance(args[0], DateValue):
        raise java_error(
            "MissingMethodException", f"Date.{method}() takes a Date, not {type_name(args[0])}"
        )
    return args[0]


DateValue.METHODS.update(
    {
        "getTime": lambda ctx, self, args: self.millis,
        "toString": lambda ctx, self, args: self.to_string(),
        "before": lambda ctx, self, args: self.moment < _date_other(args, "before").moment,
        "after": lambda ctx, self, args: self.moment > _date_other(args, "after").moment,
        "compareTo": lambda ctx, self, args: compare(self, _date_other(args, "compareTo")),
        "equals": lambda ctx, self, args: self.groovy_equals(args[0]),
        "format": lambda ctx, self, args: (
            need("Date.format", args, 1),
            format_date(self.moment, to_str(args[0])),
        )[1],
    }
)
register(JavaClass("java.util.Date", construct=_new_date, test=type_test(DateValue)))
