"""FEEL built-in functions, part 1: conversion, string, number, boolean and temporal functions.

Parameter names follow DMN 1.5 §10.3.4 so that named invocation works
(`substring(string: "abc", start position: 2)`). A function given arguments of the wrong
type returns null and records why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any, Final

from modelop_mlc.dmn._bounded_regex import BoundedMatch, BoundedPattern
from modelop_mlc.dmn._feel_regex import compile_xpath_regex
from modelop_mlc.dmn._feel_temporal import (
    format_date,
    format_datetime,
    format_duration,
    format_time,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
)
from modelop_mlc.dmn._feel_values import (
    DECIMAL,
    FeelFunction,
    Range,
    Scope,
    YearsMonths,
    feel_eq,
    kind_of,
    time_offset,
    zone_name,
)

__all__ = ["REGISTRY", "builtin", "feel_string", "wrong"]

REGISTRY: dict[str, FeelFunction] = {}


def builtin(
    name: str, *signatures: list[str], variadic: bool = False, scalar: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a built-in under `name` with its accepted parameter-name lists."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = FeelFunction(
            name,
            list(signatures[0]) if signatures else None,
            impl,
            [list(s) for s in signatures],
            variadic,
            scalar,
        )
        return impl

    return register


def wrong(scope: Scope, name: str, *values: Any) -> None:
    """Record that `name` got arguments it cannot use, and return null."""
    kinds = ", ".join(kind_of(v) for v in values)
    scope.warn(f"function '{name}' cannot take ({kinds}); the result is null")


def _is_number(*values: Any) -> bool:
    return all(type(v) is Decimal for v in values)


def _int(value: Any) -> int | None:
    return int(value) if type(value) is Decimal and value.is_finite() else None


# -- conversion ---------------------------------------------------------------------------


@builtin("date", ["from"], ["year", "month", "day"], scalar=True)
def _date(scope: Scope, *args: Any) -> Any:
    if len(args) == 3:  # noqa: PLR2004
        year, month, day = (_int(a) for a in args)
        if year is None or month is None or day is None or not _is_number(*args):
            return wrong(scope, "date", *args)
        try:
            return date(year, month, day)
        except ValueError:
            scope.warn(f"date({year}, {month}, {day}) is not a valid date; the result is null")
            return None
    value = args[0]
    if type(value) is str:
        result = parse_date(value)
        if result is None:
            scope.warn(f"date({value!r}) is not an ISO date (YYYY-MM-DD); the result is null")
        return result
    if type(value) is datetime:
        return value.date()
    if type(value) is date:
        return value
    return wrong(scope, "date", value)


@builtin("date and time", ["from"], ["date", "time"], scalar=True)
def _date_and_time(scope: Scope, *args: Any) -> Any:
    if len(args) == 2:  # noqa: PLR2004
        day, clock = args
        if type(day) not in (date, datetime) or type(clock) is not time:
            return wrong(scope, "date and time", *args)
        return datetime.combine(day if type(day) is date else day.date(), clock)
    value = args[0]
    if type(value) is str:
        result = parse_datetime(value)
        if result is None:
            scope.warn(f"date and time({value!r}) is not an ISO date-time; the result is null")
        return result
    if type(value) is datetime:
        return value
    if type(value) is date:
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - FEEL local
    return wrong(scope, "date and time", value)


@builtin(
    "time",
    ["from"],
    ["hour", "minute", "second"],
    ["hour", "minute", "second", "offset"],
    scalar=True,
)
def _time(scope: Scope, *args: Any) -> Any:
    if len(args) >= 3:  # noqa: PLR2004
        hour, minute, second = args[:3]
        offset = args[3] if len(args) == 4 else None  # noqa: PLR2004
        if not _is_number(hour, minute, second) or (
            offset is not None and type(offset) is not timedelta
        ):
            return wrong(scope, "time", *args)
        whole = int(second)
        micro = int((second - whole) * 1_000_000)
        tz = None
        if offset is not None:
            tz = UTC if not offset else timezone(offset)
        try:
            return time(int(hour), int(minute), whole, micro, tzinfo=tz)
        except ValueError:
            scope.warn("time(...) arguments are out of range; the result is null")
            return None
    value = args[0]
    if type(value) is str:
        result = parse_time(value)
        if result is None:
            scope.warn(f"time({value!r}) is not an ISO time; the result is null")
        return result
    if type(value) is datetime:
        return value.timetz()
    if type(value) is date:
        return time(0, 0, 0, tzinfo=UTC)
    if type(value) is time:
        return value
    return wrong(scope, "time", value)


@builtin("duration", ["from"], scalar=True)
def _duration(scope: Scope, value: Any) -> Any:
    if type(value) is not str:
        return wrong(scope, "duration", value)
    result = parse_duration(value)
    if result is None:
        scope.warn(f"duration({value!r}) is not an ISO 8601 duration; the result is null")
    return result


@builtin("years and months duration", ["from", "to"], scalar=True)
def _years_and_months(scope: Scope, start: Any, end: Any) -> Any:
    if type(start) not in (date, datetime) or type(end) not in (date, datetime):
        return wrong(scope, "years and months duration", start, end)
    # Whole months between the two calendar dates; the time of day does not count.
    a = start.date() if type(start) is datetime else start
    b = end.date() if type(end) is datetime else end
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day:
        months -= 1
    return YearsMonths(sign * months)


_NUMBER_RE: Final = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@builtin("number", ["from", "grouping separator", "decimal separator"], scalar=True)
def _number(scope: Scope, text: Any, grouping: Any, decimal_sep: Any) -> Any:
    if type(text) is not str:
        return wrong(scope, "number", text)
    if grouping not in (None, " ", ",", ".") or decimal_sep not in (None, ".", ","):
        return wrong(scope, "number", text, grouping, decimal_sep)
    if grouping is not None and grouping == decimal_sep:
        scope.warn("number(): the grouping and decimal separators must differ; null")
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal_sep and decimal_sep != ".":
        text = text.replace(decimal_sep, ".")
    if not _NUMBER_RE.fullmatch(text):
        scope.warn(f"number({text!r}) is not a number; the result is null")
        return None
    return Decimal(text)


def _format_number(value: Decimal) -> str:
    if value == value.to_integral_value() and abs(value.adjusted()) < 40:  # noqa: PLR2004
        return f"{value.quantize(Decimal(1)):f}"
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def feel_string(value: Any, *, nested: bool = False) -> str | None:
    """Render a value as FEEL's `string()` does; strings are quoted inside lists and contexts."""
    t = type(value)
    if value is None:
        return "null" if nested else None
    if t is str:
        text: str = value
        return '"' + text.replace('"', '\\"') + '"' if nested else text
    if t is bool:
        return "true" if value else "false"
    if t is Decimal:
        return _format_number(value)
    if t is date:
        return format_date(value)
    if t is datetime:
        return format_datetime(value)
    if t is time:
        return format_time(value)
    if t in (timedelta, YearsMonths):
        return format_duration(value)
    if t is list:
        return "[" + ", ".join(str(feel_string(v, nested=True)) for v in value) + "]"
    if t is dict:
        inner = ", ".join(f"{k}: {feel_string(v, nested=True)}" for k, v in value.items())
        return "{" + inner + "}"
    if t is Range:
        return _range_string(value)
    if isinstance(value, FeelFunction):
        return f"function {value.name}"
    return str(value)


def _range_string(value: Range) -> str:
    if value.op != "..":
        end = value.start if value.op in (">", ">=", "=", "!=") else value.end
        return f"{value.op} {feel_string(end, nested=True)}"
    left = "[" if value.start_included else "("
    right = "]" if value.end_included else ")"
    start = feel_string(value.start, nested=True)
    end = feel_string(value.end, nested=True)
    return f"{left}{start}..{end}{right}"


@builtin("string", ["from"])
def _string(_scope: Scope, value: Any) -> Any:
    return feel_string(value)


@builtin("not", ["negand"], scalar=True)
def _not(_scope: Scope, value: Any) -> Any:
    return (not value) if type(value) is bool else None


# -- strings -------------------------------------------------------------------------------


@builtin(
    "substring", ["string", "start position"], ["string", "start position", "length"], scalar=True
)
def _substring(scope: Scope, text: Any, start: Any, length: Any = None) -> Any:
    if type(text) is not str or type(start) is not Decimal:
        return wrong(scope, "substring", text, start)
    if length is not None and type(length) is not Decimal:
        return wrong(scope, "substring", text, start, length)
    first = int(start)
    index = first - 1 if first > 0 else len(text) + first
    if first == 0 or index < 0:
        scope.warn("substring(): start position out of range; the result is null")
        return None
    if length is None:
        return text[index:]
    count = int(length)
    if count < 0:
        return wrong(scope, "substring", text, start, length)
    return text[index : index + count]


@builtin("string length", ["string"], scalar=True)
def _string_length(scope: Scope, text: Any) -> Any:
    return Decimal(len(text)) if type(text) is str else wrong(scope, "string length", text)


@builtin("upper case", ["string"], scalar=True)
def _upper(scope: Scope, text: Any) -> Any:
    return text.upper() if type(text) is str else wrong(scope, "upper case", text)


@builtin("lower case", ["string"], scalar=True)
def _lower(scope: Scope, text: Any) -> Any:
    return text.lower() if type(text) is str else wrong(scope, "lower case", text)


def _two_strings(scope: Scope, name: str, a: Any, b: Any) -> bool:
    if type(a) is str and type(b) is str:
        return True
    wrong(scope, name, a, b)
    return False


@builtin("substring before", ["string", "match"], scalar=True)
def _before(scope: Scope, text: Any, match: Any) -> Any:
    if not _two_strings(scope, "substring before", text, match):
        return None
    index = text.find(match)
    return "" if index < 0 else text[:index]


@builtin("substring after", ["string", "match"], scalar=True)
def _after(scope: Scope, text: Any, match: Any) -> Any:
    if not _two_strings(scope, "substring after", text, match):
        return None
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


@builtin("contains", ["string", "match"], scalar=True)
def _contains(scope: Scope, text: Any, match: Any) -> Any:
    return match in text if _two_strings(scope, "contains", text, match) else None


@builtin("starts with", ["string", "match"], scalar=True)
def _starts(scope: Scope, text: Any, match: Any) -> Any:
    return text.startswith(match) if _two_strings(scope, "starts with", text, match) else None


@builtin("ends with", ["string", "match"], scalar=True)
def _ends(scope: Scope, text: Any, match: Any) -> Any:
    return text.endswith(match) if _two_strings(scope, "ends with", text, match) else None


def _regex(scope: Scope, name: str, pattern: Any, flags: Any) -> BoundedPattern | None:
    """Compile an XPath-style regular expression (flags `i s m x q`), to run on RE2."""
    if type(pattern) is not str or (flags is not None and type(flags) is not str):
        wrong(scope, name, pattern, flags)
        return None
    try:
        regex = compile_xpath_regex(pattern, flags or "")
    except ValueError as err:
        scope.warn(f"{name}(): invalid regular expression {pattern!r} ({err}); null")
        return None
    if regex is None:
        scope.warn(f"{name}(): unsupported regular expression {pattern!r}; the result is null")
    return regex


@builtin("matches", ["input", "pattern"], ["input", "pattern", "flags"], scalar=True)
def _matches(scope: Scope, text: Any, pattern: Any, flags: Any = None) -> Any:
    if type(text) is not str:
        return wrong(scope, "matches", text, pattern)
    regex = _regex(scope, "matches", pattern, flags)
    return None if regex is None else regex.search(text) is not None


_GROUP_REF: Final = re.compile(r"\\(.)|\$(\d+)")


@builtin(
    "replace",
    ["input", "pattern", "replacement"],
    ["input", "pattern", "replacement", "flags"],
    scalar=True,
)
def _replace(scope: Scope, text: Any, pattern: Any, replacement: Any, flags: Any = None) -> Any:
    if type(text) is not str or type(replacement) is not str:
        return wrong(scope, "replace", text, pattern, replacement)
    regex = _regex(scope, "replace", pattern, flags)
    if regex is None:
        return None
    if regex.search("") is not None:
        scope.warn("replace(): the pattern matches the empty string; the result is null")
        return None
    literal = "q" in (flags or "")
    pieces = re.split(r"(\\.|\$\d+)", replacement)
    budget = scope.ctx.budget
    grown = 0

    def expand(match: BoundedMatch) -> str:
        nonlocal grown
        if literal:
            added = replacement
        else:
            out: list[str] = []
            for piece in pieces:
                if piece.startswith("\\") and len(piece) == 2:  # noqa: PLR2004
                    out.append(piece[1])
                elif piece.startswith("$") and piece[1:].isdigit():
                    group = int(piece[1:])
                    out.append((match.group(group) or "") if group <= regex.groups else "")
                else:
                    out.append(piece)
            added = "".join(out)
        # Checked match by match, so the result is refused before it is built.
        grown += len(added) - (match.end() - match.start())
        budget.string(len(text) + grown, "replace()")
        return added

    return regex.sub(expand, text)


@builtin("split", ["string", "delimiter"], ["string", "delimiter", "flags"], scalar=True)
def _split(scope: Scope, text: Any, delimiter: Any, flags: Any = None) -> Any:
    if type(text) is not str:
        return wrong(scope, "split", text, delimiter)
    regex = _regex(scope, "split", delimiter, flags)
    if regex is None:
        return None
    pieces: list[str] = []
    start = 0
    budget = scope.ctx.budget
    for match in regex.finditer(text):
        budget.items(len(pieces) + 2, "split()")
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


@builtin("string join", ["list"], ["list", "delimiter"])
def _string_join(scope: Scope, items: Any, delimiter: Any = None) -> Any:
    if type(items) is str:
        items = [items]
    if type(items) is not list or (delimiter is not None and type(delimiter) is not str):
        return wrong(scope, "string join", items, delimiter)
    if any(v is not None and type(v) is not str for v in items):
        return wrong(scope, "string join", *items)
    present = [v for v in items if v is not None]
    separator = delimiter or ""
    length = sum(map(len, present)) + len(separator) * max(len(present) - 1, 0)
    scope.ctx.budget.string(length, "string join()")
    return separator.join(present)


# -- numbers -------------------------------------------------------------------------------

_MIN_SCALE: Final = -6111
_MAX_SCALE: Final = 6176


def _round(scope: Scope, name: str, value: Any, scale: Any, rounding: str) -> Any:
    if type(value) is not Decimal or type(scale) is not Decimal:
        return wrong(scope, name, value, scale)
    digits = int(scale)
    if not _MIN_SCALE <= digits <= _MAX_SCALE:
        scope.warn(f"{name}(): scale {digits} is out of range; the result is null")
        return None
    try:
        return value.quantize(Decimal(1).scaleb(-digits), rounding=rounding, context=DECIMAL)
    except ArithmeticError:
        return value


@builtin("decimal", ["n", "scale"], scalar=True)
def _decimal(scope: Scope, value: Any, scale: Any) -> Any:
    return _round(scope, "decimal", value, scale, ROUND_HALF_EVEN)


@builtin("floor", ["n"], ["n", "scale"], scalar=True)
def _floor(scope: Scope, value: Any, scale: Any = Decimal(0)) -> Any:
    return _round(scope, "floor", value, scale, ROUND_FLOOR)


@builtin("ceiling", ["n"], ["n", "scale"], scalar=True)
def _ceiling(scope: Scope, value: Any, scale: Any = Decimal(0)) -> Any:
    return _round(scope, "ceiling", value, scale, ROUND_CEILING)


@builtin("round up", ["n", "scale"], scalar=True)
def _round_up(scope: Scope, value: Any, scale: Any) -> Any:
    return _round(scope, "round up", value, scale, ROUND_UP)


@builtin("round down", ["n", "scale"], scalar=True)
def _round_down(scope: Scope, value: Any, scale: Any) -> Any:
    return _round(scope, "round down", value, scale, ROUND_DOWN)


@builtin("round half up", ["n", "scale"], scalar=True)
def _round_half_up(scope: Scope, value: Any, scale: Any) -> Any:
    return _round(scope, "round half up", value, scale, ROUND_HALF_UP)


@builtin("round half down", ["n", "scale"], scalar=True)
def _round_half_down(scope: Scope, value: Any, scale: Any) -> Any:
    return _round(scope, "round half down", value, scale, ROUND_HALF_DOWN)


@builtin("abs", ["n"], scalar=True)
def _abs(scope: Scope, value: Any) -> Any:
    if type(value) is Decimal:
        return abs(value)
    if type(value) is timedelta:
        return abs(value)
    if type(value) is YearsMonths:
        return YearsMonths(abs(value.months))
    return wrong(scope, "abs", value)


@builtin("modulo", ["dividend", "divisor"], scalar=True)
def _modulo(scope: Scope, dividend: Any, divisor: Any) -> Any:
    if not _is_number(dividend, divisor):
        return wrong(scope, "modulo", dividend, divisor)
    if not divisor:
        scope.warn("modulo(): division by zero; the result is null")
        return None
    quotient = DECIMAL.divide(dividend, divisor).to_integral_value(rounding=ROUND_FLOOR)
    return DECIMAL.subtract(dividend, DECIMAL.multiply(divisor, quotient))


@builtin("sqrt", ["number"], scalar=True)
def _sqrt(scope: Scope, value: Any) -> Any:
    if type(value) is not Decimal or value < 0:
        return wrong(scope, "sqrt", value)
    return DECIMAL.sqrt(value)


@builtin("log", ["number"], scalar=True)
def _log(scope: Scope, value: Any) -> Any:
    if type(value) is not Decimal or value <= 0:
        return wrong(scope, "log", value)
    return DECIMAL.ln(value)


@builtin("exp", ["number"], scalar=True)
def _exp(scope: Scope, value: Any) -> Any:
    if type(value) is not Decimal:
        return wrong(scope, "exp", value)
    return DECIMAL.exp(value)


def _parity(scope: Scope, name: str, value: Any, remainder: int) -> Any:
    if type(value) is not Decimal or value != value.to_integral_value():
        return wrong(scope, name, value)
    return int(value) % 2 == remainder


@builtin("odd", ["number"], scalar=True)
def _odd(scope: Scope, value: Any) -> Any:
    return _parity(scope, "odd", value, 1)


@builtin("even", ["number"], scalar=True)
def _even(scope: Scope, value: Any) -> Any:
    return _parity(scope, "even", value, 0)


# -- temporal ------------------------------------------------------------------------------

_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _as_date(value: Any) -> date | None:
    if type(value) is datetime:
        return value.date()
    return value if type(value) is date else None


@builtin("day of year", ["date"], scalar=True)
def _day_of_year(scope: Scope, value: Any) -> Any:
    day = _as_date(value)
    return Decimal(day.timetuple().tm_yday) if day else wrong(scope, "day of year", value)


@builtin("day of week", ["date"], scalar=True)
def _day_of_week(scope: Scope, value: Any) -> Any:
    day = _as_date(value)
    return _DAYS[day.weekday()] if day else wrong(scope, "day of week", value)


@builtin("month of year", ["date"], scalar=True)
def _month_of_year(scope: Scope, value: Any) -> Any:
    day = _as_date(value)
    return _MONTHS[day.month - 1] if day else wrong(scope, "month of year", value)


@builtin("week of year", ["date"], scalar=True)
def _week_of_year(scope: Scope, value: Any) -> Any:
    day = _as_date(value)
    return Decimal(day.isocalendar()[1]) if day else wrong(scope, "week of year", value)


@builtin("now", scalar=True)
def _now(scope: Scope) -> Any:
    moment = scope.ctx.now
    if moment is None:
        scope.warn("now() needs the evaluation time; pass now= to evaluate()")
    return moment


@builtin("today", scalar=True)
def _today(scope: Scope) -> Any:
    moment = scope.ctx.now
    if moment is None:
        scope.warn("today() needs the evaluation time; pass now= to evaluate()")
        return None
    return moment.date()


@builtin("is", ["value1", "value2"])
def _is(_scope: Scope, a: Any, b: Any) -> Any:
    if kind_of(a) != kind_of(b):
        return False
    if type(a) in (time, datetime):
        same_zone = zone_name(a.tzinfo) == zone_name(b.tzinfo) and time_offset(a) == time_offset(b)
        return same_zone and a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return bool(feel_eq(a, b))
