"""Dates made by `now()` and `dateTime()`: Java's `Date` and Joda-Time's `DateTime`, in UTC.

Both hold an aware UTC `datetime` cut to milliseconds, the precision of Java's `Date`. They
leave the interpreter as ISO 8601 text such as `2026-01-08T09:30:00.000Z`, which due dates,
timers and variables all accept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from modelop_mlc._engine.juel._methods import _COMMON_METHODS
from modelop_mlc._engine.juel._values import (
    _BuiltinValue,
    _describe,
    _EvalError,
    _is_integer,
    _Method,
    _to_long,
    _to_str,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)
_MONTHS_PER_YEAR = 12
_NOON = 12
_FULL_TEXT = 4  # Joda prints names in full from four pattern letters on ("MMMM", "EEEE")
_SHORT_TEXT = 3
_FIXED_UNITS = {
    "Weeks": "weeks",
    "Days": "days",
    "Hours": "hours",
    "Minutes": "minutes",
    "Seconds": "seconds",
    "Millis": "milliseconds",
}
_UNITS = ("Years", "Months", *_FIXED_UNITS)
_DATE_HINT = "pass dateTime(), now(), a date's toDate(), milliseconds or ISO 8601 text"


def _instant(moment: dt.datetime) -> dt.datetime:
    """Return `moment` in UTC (naive counts as UTC) with millisecond precision."""
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def _iso(moment: dt.datetime) -> str:
    """Render as Joda's `DateTime.toString()` does in UTC: `2026-01-08T09:30:00.000Z`."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True, slots=True)
class _Instant(_BuiltinValue):
    """A point in time; `moment` is aware UTC with millisecond precision."""

    moment: dt.datetime
    PROPERTY_HINT: ClassVar[str] = "call a method instead, such as '.toString()'"

    def to_json(self) -> str:
        """Return ISO 8601 text."""
        return _iso(self.moment)

    def java_string(self) -> str:
        """Return ISO 8601 text (Java's `Date.toString()` format depends on the locale)."""
        return _iso(self.moment)

    def ordering_key(self) -> dt.datetime:
        """Order chronologically."""
        return self.moment

    @property
    def millis(self) -> int:
        """Milliseconds since 1970-01-01T00:00Z, as `getTime()` and `getMillis()` give."""
        return (self.moment - _EPOCH) // _MILLISECOND


def _moment_of(value: Any, method: str) -> dt.datetime:
    """Read the argument of `isBefore(x)` and its kin as a UTC moment."""
    if isinstance(value, _Instant):
        return value.moment
    if isinstance(value, dt.datetime):
        return _instant(value)
    try:
        if _is_integer(value):
            return _EPOCH + int(value) * _MILLISECOND
        if isinstance(value, str):
            return _instant(dt.datetime.fromisoformat(value.strip()))
    except (OverflowError, ValueError):
        pass
    raise _EvalError(f"{method}() needs a date but got {_describe(value)}", _DATE_HINT)


def _compare_to(moment: dt.datetime, other: dt.datetime) -> int:
    return (moment > other) - (moment < other)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Add calendar months as Joda does: the day is cut to the end of a shorter month."""
    year, month = divmod(moment.year * _MONTHS_PER_YEAR + moment.month - 1 + months, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("year out of range")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _shift_method(unit: str, sign: int) -> _Method:
    """`plusDays(n)`, `minusMonths(n)` and their kin; months and years clamp the day."""
    method = ("plus" if sign > 0 else "minus") + unit

    def call(value: Any, args: list[Any]) -> _JodaDateTime:
        amount = _to_long(args[0])
        count = sign * amount
        try:
            if unit in {"Years", "Months"}:
                months = count * _MONTHS_PER_YEAR if unit == "Years" else count
                return _JodaDateTime(_add_months(value.moment, months))
            return _JodaDateTime(value.moment + dt.timedelta(**{_FIXED_UNITS[unit]: count}))
        except (OverflowError, ValueError):
            raise _EvalError(
                f"{method}({amount}) takes the date outside the years 1 to 9999"
            ) from None

    return _Method(1, 1, call)


# ------------------------------------------------------------------ Joda patterns

_MONTH_NAMES = tuple(calendar.month_name)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PATTERN_HINT = "use the letters y M d H h m s S E a Z, and quote other text as in \"'at' HH:mm\""


def _number(value: int, count: int) -> str:
    return f"{value:0{count}d}"


def _field(moment: dt.datetime, letter: str, count: int, pattern: str) -> str:
    """Format one run of a pattern letter as Joda's `DateTimeFormat` does (UTC only)."""
    if letter in "yY":
        year = moment.year
        return _number(year % 100, 2) if count == 2 else _number(year, count)  # noqa: PLR2004
    if letter == "M":
        if count >= _SHORT_TEXT:
            name = _MONTH_NAMES[moment.month]
            return name if count >= _FULL_TEXT else name[:3]
        return _number(moment.month, count)
    if letter == "E":
        name = _DAY_NAMES[moment.weekday()]
        return name if count >= _FULL_TEXT else name[:3]
    if letter == "S":
        millis = f"{moment.microsecond // 1000:03d}"
        return millis[:count] if count <= len(millis) else millis + "0" * (count - len(millis))
    if letter in "Zz":
        if letter == "z" or count >= _SHORT_TEXT:
            return "UTC"
        return "+00:00" if count == 2 else "+0000"  # noqa: PLR2004
    if letter == "a":
        return "AM" if moment.hour < _NOON else "PM"
    if letter == "G":
        return "AD"
    numbers = {
        "d": moment.day,
        "D": moment.timetuple().tm_yday,
        "e": moment.isoweekday(),
        "H": moment.hour,
        "k": moment.hour or 24,
        "K": moment.hour % _NOON,
        "h": moment.hour % _NOON or _NOON,
        "m": moment.minute,
        "s": moment.second,
        "w": moment.isocalendar().week,
        "x": moment.isocalendar().year,
        "C": moment.year // 100,
    }
    if letter in numbers:
        return _number(numbers[letter], count)
    raise _EvalError(
        f"Pattern letter '{letter}' is not supported in toString('{pattern}')", _PATTERN_HINT
    )


def _format(moment: dt.datetime, pattern: str) -> str:
    """Format `moment` with a Joda-Time pattern such as `yyyy-MM-dd'T'HH:mm`."""
    out: list[str] = []
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "'":
            pos += 1
            if pattern.startswith("'", pos):  # '' outside quotes is one quote
                out.append("'")
                pos += 1
                continue
            while pos < len(pattern):
                if pattern[pos] == "'":
                    if not pattern.startswith("'", pos + 1):
                        pos += 1
                        break
                    pos += 1  # '' inside quotes is one quote
                out.append(pattern[pos])
                pos += 1
        elif char.isascii() and char.isalpha():
            end = pos
            while end < len(pattern) and pattern[end] == char:
                end += 1
            out.append(_field(moment, char, end - pos, pattern))
            pos = end
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def _joda_to_string(value: Any, args: list[Any]) -> str:
    if not args or args[0] is None:
        return _iso(value.moment)
    return _format(value.moment, _to_str(args[0]))


def _start_of_day(value: Any, _: list[Any]) -> _JodaDateTime:
    return _JodaDateTime(value.moment.replace(hour=0, minute=0, second=0, microsecond=0))


def _relation(method: str) -> _Method:
    """`isBefore(x)`, `isAfter(x)`, `isEqual(x)` (Joda) and `before(x)`, `after(x)` (Date)."""
    tests: dict[str, Callable[[dt.datetime, dt.datetime], bool]] = {
        "isBefore": operator.lt,
        "isAfter": operator.gt,
        "isEqual": operator.eq,
        "before": operator.lt,
        "after": operator.gt,
    }
    test = tests[method]
    return _Method(1, 1, lambda value, args: test(value.moment, _moment_of(args[0], method)))


_COMPARE_TO = _Method(
    1, 1, lambda value, args: _compare_to(value.moment, _moment_of(args[0], "compareTo"))
)


@dataclass(frozen=True, slots=True)
class _JavaDate(_Instant):
    """`java.util.Date`, as `now()` and `DateTime.toDate()` give it."""

    TYPE_NAME: ClassVar[str] = "Date"
    METHODS: ClassVar[Mapping[str, _Method]] = _COMMON_METHODS | {
        "after": _relation("after"),
        "before": _relation("before"),
        "compareTo": _COMPARE_TO,
        "getTime": _Method(0, 0, lambda value, _: value.millis),
    }


@dataclass(frozen=True, slots=True)
class _JodaDateTime(_Instant):
    """Joda-Time's `DateTime` in UTC, as `dateTime()` gives it."""

    TYPE_NAME: ClassVar[str] = "DateTime"
    METHODS: ClassVar[Mapping[str, _Method]] = (
        _COMMON_METHODS
        | {f"plus{unit}": _shift_method(unit, 1) for unit in _UNITS}
        | {f"minus{unit}": _shift_method(unit, -1) for unit in _UNITS}
        | {
            "compareTo": _COMPARE_TO,
            "getDayOfMonth": _Method(0, 0, lambda value, _: value.moment.day),
            "getDayOfWeek": _Method(0, 0, lambda value, _: value.moment.isoweekday()),
            "getDayOfYear": _Method(0, 0, lambda value, _: value.moment.timetuple().tm_yday),
            "getHourOfDay": _Method(0, 0, lambda value, _: value.moment.hour),
            "getMillis": _Method(0, 0, lambda value, _: value.millis),
            "getMinuteOfHour": _Method(0, 0, lambda value, _: value.moment.minute),
            "getMonthOfYear": _Method(0, 0, lambda value, _: value.moment.month),
            "getSecondOfMinute": _Method(0, 0, lambda value, _: value.moment.second),
            "getYear": _Method(0, 0, lambda value, _: value.moment.year),
            "isAfter": _relation("isAfter"),
            "isBefore": _relation("isBefore"),
            "isEqual": _relation("isEqual"),
            "toDate": _Method(0, 0, lambda value, _: _JavaDate(value.moment)),
            "toString": _Method(0, 1, _joda_to_string),
            "withTimeAtStartOfDay": _Method(0, 0, _start_of_day),
        }
    )
