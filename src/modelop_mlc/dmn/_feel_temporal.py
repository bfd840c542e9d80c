"""FEEL dates, times and durations: parsing ISO 8601 text, formatting, properties and arithmetic.

Python's `datetime` stores years 1 to 9999 and microseconds, so FEEL values outside that
range (negative years, nanoseconds) are approximated: years out of range give null with a
warning, and digits below the microsecond are dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from modelop_mlc.dmn._feel_values import YearsMonths, time_offset, zone_name

__all__ = [
    "add_months",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_time",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_time",
    "temporal_property",
]

_DATE_RE: Final = re.compile(r"(-?)([0-9]{4,9})-([0-9]{2})-([0-9]{2})")
_TIME_RE: Final = re.compile(
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?|@([A-Za-z][A-Za-z0-9_+\-/]*))?"
)
_DURATION_RE: Final = re.compile(
    r"(-)?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?"
    r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]*)?)S)?)?"
)
_MAX_OFFSET: Final = timedelta(hours=18)
_YEAR_DIGITS: Final = 4


def _zone(key: str) -> tzinfo | None:
    """Load an IANA zone from the local tz database; `None` for an unknown id."""
    if ".." in key or key.startswith("/"):
        return None
    try:
        return ZoneInfo(key)
    except (ValueError, OSError, KeyError):
        return None
    except Exception:  # noqa: BLE001 - zoneinfo raises its own not-found class; any failure = unknown
        return None


def parse_date(text: str) -> date | None:
    """Parse `YYYY-MM-DD`; `None` when invalid or outside Python's year range."""
    m = _DATE_RE.fullmatch(text)
    if m is None:
        return None
    sign, year_s, month_s, day_s = m.groups()
    if len(year_s) > _YEAR_DIGITS and year_s.startswith("0"):
        return None
    year = int(year_s)
    if sign or not 1 <= year <= 9999:  # noqa: PLR2004 - Python's date range
        return None
    try:
        return date(year, int(month_s), int(day_s))
    except ValueError:
        return None


def _parse_tz(m: re.Match[str]) -> tuple[bool, tzinfo | None]:
    """Return (valid, tzinfo) from the zone groups of a `_TIME_RE` match."""
    zulu, sign, hh, mm, ss, zone = m.group(5, 6, 7, 8, 9, 10)
    if zulu:
        return True, UTC
    if sign:
        delta = timedelta(hours=int(hh), minutes=int(mm), seconds=int(ss or 0))
        if delta > _MAX_OFFSET or int(mm) > 59:  # noqa: PLR2004
            return False, None
        if delta == timedelta(0):
            return True, UTC
        return True, timezone(-delta if sign == "-" else delta)
    if zone:
        tz = _zone(zone)
        return (tz is not None), tz
    return True, None


def _parse_clock(m: re.Match[str]) -> tuple[int, int, int, int] | None:
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3))
    frac = m.group(4)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    if hour == 24 and minute == 0 and second == 0 and micro == 0:  # noqa: PLR2004 - ISO 24:00
        hour = 0
    if hour > 23 or minute > 59 or second > 59:  # noqa: PLR2004
        return None
    return hour, minute, second, micro


def parse_time(text: str) -> time | None:
    """Parse `hh:mm:ss[.f][Z|±hh:mm|@zone]`; `None` when invalid."""
    m = _TIME_RE.fullmatch(text)
    if m is None:
        return None
    clock = _parse_clock(m)
    ok, tz = _parse_tz(m)
    if clock is None or not ok:
        return None
    return time(*clock, tzinfo=tz)


def parse_datetime(text: str) -> datetime | None:
    """Parse `date` or `dateTtime`; a date alone means midnight, local time."""
    head, sep, tail = text.partition("T")
    day = parse_date(head)
    if day is None:
        return None
    if not sep:
        return datetime(day.year, day.month, day.day)  # noqa: DTZ001 - FEEL local date-time
    clock = parse_time(tail)
    if clock is None:
        return None
    moment = datetime.combine(day, clock)
    if tail.startswith("24:"):
        try:
            moment += timedelta(days=1)  # ISO 8601 24:00:00 is the next day's midnight
        except OverflowError:
            return None
    return moment


def parse_duration(text: str) -> timedelta | YearsMonths | None:
    """Parse an ISO 8601 duration into a days-time `timedelta` or a `YearsMonths`."""
    m = _DURATION_RE.fullmatch(text)
    if m is None or text.endswith(("P", "T")):
        return None
    neg, years, months, days, hours, minutes, seconds = m.groups()
    if not any((years, months, days, hours, minutes, seconds)):
        return None
    sign = -1 if neg else 1
    if years or months:
        if days or hours or minutes or seconds:
            return None
        return YearsMonths(sign * (int(years or 0) * 12 + int(months or 0)))
    secs = Decimal(seconds) if seconds else Decimal(0)
    whole = int(secs)
    micro = int((secs - whole) * 1_000_000)
    try:
        delta = timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=whole,
            microseconds=micro,
        )
    except OverflowError:
        return None
    return -delta if sign < 0 else delta


def format_date(value: date) -> str:
    """Format a date as `YYYY-MM-DD`."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _format_offset(offset: timedelta) -> str:
    if offset == timedelta(0):
        return "Z"
    sign = "-" if offset < timedelta(0) else "+"
    total = abs(int(offset.total_seconds()))
    hh, rest = divmod(total, 3600)
    mm, ss = divmod(rest, 60)
    return f"{sign}{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")


def _format_clock(hour: int, minute: int, second: int, micro: int) -> str:
    text = f"{hour:02d}:{minute:02d}:{second:02d}"
    if micro:
        text += "." + f"{micro:06d}".rstrip("0")
    return text


def _zone_suffix(value: time | datetime) -> str:
    name = zone_name(value.tzinfo)
    if name is not None:
        return "@" + name
    offset = time_offset(value)
    return "" if offset is None else _format_offset(offset)


def format_time(value: time) -> str:
    """Format a time as FEEL's `string()` does (`10:30:00`, `10:30:00Z`, `…@Europe/Paris`)."""
    return _format_clock(value.hour, value.minute, value.second, value.microsecond) + (
        _zone_suffix(value)
    )


def format_datetime(value: datetime) -> str:
    """Format a date and time as FEEL's `string()` does."""
    clock = _format_clock(value.hour, value.minute, value.second, value.microsecond)
    return f"{format_date(value)}T{clock}{_zone_suffix(value)}"


def format_duration(value: timedelta | YearsMonths) -> str:
    """Format a duration in its canonical ISO 8601 form (`P1DT2H`, `-P1Y2M`, `PT0S`, `P0M`)."""
    if isinstance(value, YearsMonths):
        total = abs(value.months)
        years, months = divmod(total, 12)
        sign = "-" if value.months < 0 else ""
        if total == 0:
            return "P0M"
        return sign + "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    days = value.days
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    micro = value.microseconds
    if not (days or hours or minutes or seconds or micro):
        return "PT0S"
    text = f"{sign}P" + (f"{days}D" if days else "")
    if hours or minutes or seconds or micro:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        if seconds or micro:
            frac = ("." + f"{micro:06d}".rstrip("0")) if micro else ""
            text += f"{seconds}{frac}S"
    return text


def add_months(value: date, months: int) -> date:
    """Add calendar months, clamping the day to the end of the month (Jan 31 + 1M = Feb 28)."""
    index = value.year * 12 + (value.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    day = min(value.day, _days_in_month(year, month))
    return value.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:  # noqa: PLR2004
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _dec(n: int) -> Decimal:
    return Decimal(n)


_MISSING_PROPERTY: Final = object()


def temporal_property(value: Any, name: str) -> Any:
    """Return a property (`year`, `hour`, `time offset`, `days`…) or `_MISSING_PROPERTY`."""
    if isinstance(value, date):
        prop = _date_property(value, name)
        if prop is not _MISSING_PROPERTY:
            return prop
    if isinstance(value, time | datetime):
        prop = _clock_property(value, name)
        if prop is not _MISSING_PROPERTY:
            return prop
    if isinstance(value, YearsMonths):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        if name == "years":
            return _dec(sign * years)
        if name == "months":
            return _dec(sign * months)
    if isinstance(value, timedelta):
        sign = -1 if value < timedelta(0) else 1
        mag = abs(value)
        hours, rest = divmod(mag.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        table = {"days": mag.days, "hours": hours, "minutes": minutes, "seconds": seconds}
        if name in table:
            return _dec(sign * table[name])
    return _MISSING_PROPERTY


def _date_property(value: date, name: str) -> Any:
    if name == "year":
        return _dec(value.year)
    if name == "month":
        return _dec(value.month)
    if name == "day":
        return _dec(value.day)
    if name == "weekday":
        return _dec(value.isoweekday())
    return _MISSING_PROPERTY


def _clock_property(value: time | datetime, name: str) -> Any:
    if name == "hour":
        return _dec(value.hour)
    if name == "minute":
        return _dec(value.minute)
    if name == "second":
        return _dec(value.second)
    if name == "time offset":
        return time_offset(value)
    if name == "timezone":
        return zone_name(value.tzinfo)
    return _MISSING_PROPERTY


MISSING_PROPERTY: Final = _MISSING_PROPERTY
