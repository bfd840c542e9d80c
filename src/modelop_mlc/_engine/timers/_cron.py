"""Cron `timeCycle` schedules, Quartz (with seconds, `L`, `W`, `#`) and Unix, evaluated in UTC."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta

from modelop_mlc._engine.timers._model import (
    _EXPECT_CRON,
    TimerKind,
    TimerSchedule,
    _BadSpecError,
)
from modelop_mlc.clock import ensure_utc

# Weekday/date patterns repeat every 28 years between 1901 and 2099, so a cron expression
# that matches at all matches within this many years of any moment in that range.
_CRON_SEARCH_YEARS = 30


@dataclass(frozen=True)
class _DaysOfMonth:
    """The day-of-month field: plain days plus Quartz `L`, `L-n`, `LW` and `nW`."""

    days: frozenset[int] = frozenset(range(1, 32))
    from_last: frozenset[int] = frozenset()  # L is 0, L-3 is 3
    last_weekday: bool = False  # LW
    nearest_weekday: frozenset[int] = frozenset()  # 15W

    def matching(self, first_weekday: int, length: int) -> set[int]:
        days = {day for day in self.days if day <= length}
        days.update(length - back for back in self.from_last if back < length)
        if self.last_weekday:
            days.add(_nearest_weekday(length, first_weekday, length))
        days.update(
            _nearest_weekday(day, first_weekday, length)
            for day in self.nearest_weekday
            if day <= length
        )
        return days


def _nearest_weekday(day: int, first_weekday: int, length: int) -> int:
    """Return the Monday-to-Friday day nearest `day`, staying in the month, as Quartz does."""
    weekday = (first_weekday + day - 1) % 7
    if weekday == calendar.SATURDAY:
        return day - 1 if day > 1 else day + 2
    if weekday == calendar.SUNDAY:
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class _DaysOfWeek:
    """The day-of-week field in Python numbering (Monday 0), plus Quartz `nL` and `n#k`."""

    weekdays: frozenset[int] = frozenset(range(7))
    last: frozenset[int] = frozenset()  # 6L: the last Friday
    nth: frozenset[tuple[int, int]] = frozenset()  # 6#3: (Friday, 3)

    def matching(self, first_weekday: int, length: int) -> set[int]:
        days = {
            day for day in range(1, length + 1) if (first_weekday + day - 1) % 7 in self.weekdays
        }
        last_weekday = (first_weekday + length - 1) % 7
        days.update(length - (last_weekday - weekday) % 7 for weekday in self.last)
        for weekday, number in self.nth:
            day = 1 + (weekday - first_weekday) % 7 + 7 * (number - 1)
            if day <= length:
                days.add(day)
        return days


@dataclass(frozen=True)
class CronSchedule(TimerSchedule):
    """A cron `timeCycle`, evaluated in UTC: each due time is the next match strictly after.

    Quartz expressions have 6 or 7 fields (second minute hour day-of-month month
    day-of-week [year]; 1 = Sunday) and need `?` in one of the day fields. Unix expressions
    have 5 fields (minute hour day-of-month month day-of-week; 0 and 7 = Sunday) and, when
    both day fields are restricted, match a day that satisfies either.

    Attributes:
        expression: The cron text as written.
        quartz: Whether it is the Quartz form (with seconds) rather than the Unix form.
        seconds: The matching seconds, sorted.
        minutes: The matching minutes, sorted.
        hours: The matching hours, sorted.
        months: The matching months (1 = January).
        years: The matching years, or `None` for any year.
        days_of_month: The parsed day-of-month field.
        days_of_week: The parsed day-of-week field.
        either_day: Whether a day matches when either day field matches (Unix, both set).
    """

    expression: str
    quartz: bool
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int] | None
    days_of_month: _DaysOfMonth
    days_of_week: _DaysOfWeek
    either_day: bool

    @property
    def kind(self) -> TimerKind:
        """Always `TimerKind.CYCLE`."""
        return TimerKind.CYCLE

    def first_due(self, start: datetime) -> datetime | None:
        """Return the first match strictly after `start`, or `None` if the years ran out."""
        return self._after(ensure_utc(start))

    def next_due(self, previous_due: datetime, fired: int) -> datetime | None:
        """Return the first match strictly after `previous_due`."""
        return self._after(ensure_utc(previous_due))

    @property
    def repeats(self) -> bool:
        """Always `True`: cron schedules have no repetition count."""
        return True

    def describe(self) -> str:
        """Return text such as `cron '0 0 9 ? * MON-FRI' (Quartz, UTC)`."""
        return f"cron '{self.expression}' ({'Quartz' if self.quartz else 'Unix'}, UTC)"

    def _after(self, moment: datetime) -> datetime | None:
        # Walk month by month, computing each month's matching days at once, instead of
        # stepping through seconds; the search stops after the last allowed year.
        try:
            base = moment.replace(microsecond=0) + timedelta(seconds=1)
        except OverflowError:
            return None  # the last second of 9999
        year, month = base.year, base.month
        last_year = max(self.years) if self.years else base.year + _CRON_SEARCH_YEARS
        in_base_month = True
        while year <= min(last_year, MAXYEAR):
            if self.years is not None and year not in self.years:
                later = [y for y in self.years if y > year]
                if not later:
                    return None
                year, month, in_base_month = min(later), 1, False
                continue
            if month in self.months:
                for day in self._days(year, month):
                    if in_base_month and day < base.day:
                        continue
                    if in_base_month and day == base.day:
                        time = self._time_from(base.hour, base.minute, base.second)
                    else:
                        time = (self.hours[0], self.minutes[0], self.seconds[0])
                    if time is not None:
                        return datetime(year, month, day, *time, tzinfo=UTC)
            in_base_month = False
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)  # noqa: PLR2004
        return None

    def _days(self, year: int, month: int) -> list[int]:
        first_weekday, length = calendar.monthrange(year, month)
        by_date = self.days_of_month.matching(first_weekday, length)
        by_weekday = self.days_of_week.matching(first_weekday, length)
        return sorted(by_date | by_weekday if self.either_day else by_date & by_weekday)

    def _time_from(self, hour: int, minute: int, second: int) -> tuple[int, int, int] | None:
        for h in (h for h in self.hours if h >= hour):
            for m in (m for m in self.minutes if h > hour or m >= minute):
                for s in self.seconds:
                    if h > hour or m > minute or s >= second:
                        return h, m, s
        return None


class _Field:
    """One cron field's name, range and accepted names."""

    def __init__(self, name: str, low: int, high: int, names: tuple[str, ...] = ()) -> None:
        self.name = name
        self.low = low
        self.high = high
        self.names = {text: low + index for index, text in enumerate(names)}


_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_QUARTZ_WEEKDAY = _Field("day-of-week", 1, 7, _DAY_NAMES)
_UNIX_WEEKDAY = _Field("day-of-week", 0, 7, _DAY_NAMES)
_YEAR = _Field("year", 1970, 2099)


def _value(text: str, fld: _Field) -> int:
    if text in fld.names:
        return fld.names[text]
    if not text.isdigit():
        raise _BadSpecError(_EXPECT_CRON, f"{fld.name} value {text!r} is not a number")
    value = int(text)
    if not fld.low <= value <= fld.high:
        raise _BadSpecError(
            _EXPECT_CRON, f"{fld.name} value {value} is outside {fld.low}-{fld.high}"
        )
    return value


def _values(text: str, fld: _Field, *, wrap: bool) -> set[int]:
    """Expand `*`, `5`, `1-5`, `0/15`, `*/5`, `10-50/10` and comma lists of them."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise _BadSpecError(_EXPECT_CRON, f"{fld.name} step {step_text!r} is not positive")
        step = int(step_text) if slash else 1
        if base == "*":
            low, high = fld.low, fld.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, fld), _value(last, fld)
        else:
            low = _value(base, fld)
            high = fld.high if slash else low
        if low <= high:
            values.update(range(low, high + 1, step))
        elif wrap:  # Quartz ranges may wrap around, as in FRI-MON or 22-2
            values.update([*range(low, fld.high + 1), *range(fld.low, high + 1)][::step])
        else:
            raise _BadSpecError(_EXPECT_CRON, f"{fld.name} range {base!r} runs backwards")
    return values


def _days_of_month(text: str, *, quartz: bool) -> _DaysOfMonth:
    days: set[int] = set()
    from_last: set[int] = set()
    nearest: set[int] = set()
    last_weekday = False
    for item in text.split(","):
        if item == "LW":
            last_weekday = True
        elif match := re.fullmatch(r"L(?:-(\d+))?", item):
            back = int(match[1] or 0)
            if back > 30:  # noqa: PLR2004 - the longest month has 31 days
                raise _BadSpecError(_EXPECT_CRON, f"day-of-month {item!r} reaches before day 1")
            from_last.add(back)
        elif item.endswith("W"):
            nearest.add(_value(item[:-1], _DAY))
        else:
            days |= _values(item, _DAY, wrap=quartz)
    return _DaysOfMonth(frozenset(days), frozenset(from_last), last_weekday, frozenset(nearest))


def _days_of_week(text: str, *, quartz: bool) -> _DaysOfWeek:
    fld = _QUARTZ_WEEKDAY if quartz else _UNIX_WEEKDAY
    # Quartz counts 1 = Sunday, Unix 0 (or 7) = Sunday; Python counts 0 = Monday.
    shift = 2 if quartz else 1
    weekdays: set[int] = set()
    last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        if quartz and item == "L":
            weekdays.add(calendar.SATURDAY)
        elif quartz and (match := re.fullmatch(r"(\w+)L", item)):
            last.add((_value(match[1], fld) - shift) % 7)
        elif quartz and (match := re.fullmatch(r"(\w+)#(\d+)", item)):
            if not 1 <= int(match[2]) <= 5:  # noqa: PLR2004 - no month has six of a weekday
                raise _BadSpecError(_EXPECT_CRON, f"day-of-week {item!r} needs #1 to #5")
            nth.add(((_value(match[1], fld) - shift) % 7, int(match[2])))
        else:
            weekdays.update((value - shift) % 7 for value in _values(item, fld, wrap=quartz))
    return _DaysOfWeek(frozenset(weekdays), frozenset(last), frozenset(nth))


def _parse_cron(text: str) -> CronSchedule:
    fields = text.upper().split()
    quartz = len(fields) in {6, 7}
    if not quartz and len(fields) != 5:  # noqa: PLR2004
        raise _BadSpecError(
            _EXPECT_CRON, f"cron has 5 fields (Unix) or 6-7 (Quartz), not {len(fields)}"
        )
    if quartz:
        second, minute, hour, dom, month, dow, *rest = fields
        year = rest[0] if rest else "*"
    else:
        (minute, hour, dom, month, dow), second, year = fields, "0", "*"
    if "?" in second + minute + hour + month + year:
        raise _BadSpecError(_EXPECT_CRON, "'?' is only allowed in day-of-month or day-of-week")
    if not quartz and re.search(r"[?LW#]", dom + dow):
        raise _BadSpecError(
            _EXPECT_CRON, "'?', L, W and # need the Quartz form with seconds, like '0 0 12 L * ?'"
        )
    if quartz and dom == dow == "?":
        raise _BadSpecError(_EXPECT_CRON, "use '?' in only one of day-of-month and day-of-week")
    if quartz and dom not in {"?", "*"} and dow not in {"?", "*"}:
        raise _BadSpecError(
            _EXPECT_CRON, "Quartz needs '?' in day-of-month or day-of-week, as in '0 0 9 ? * MON'"
        )
    schedule = CronSchedule(
        expression=" ".join(text.split()),
        quartz=quartz,
        seconds=tuple(sorted(_values(second, _SECOND, wrap=quartz))),
        minutes=tuple(sorted(_values(minute, _MINUTE, wrap=quartz))),
        hours=tuple(sorted(_values(hour, _HOUR, wrap=quartz))),
        months=frozenset(_values(month, _MONTH, wrap=quartz)),
        years=None if year == "*" else frozenset(_values(year, _YEAR, wrap=False)),
        days_of_month=_DaysOfMonth() if dom in {"?", "*"} else _days_of_month(dom, quartz=quartz),
        days_of_week=_DaysOfWeek() if dow in {"?", "*"} else _days_of_week(dow, quartz=quartz),
        # Unix cron (Vixie) matches either day field when neither starts with '*'.
        either_day=not quartz and not dom.startswith("*") and not dow.startswith("*"),
    )
    # Detect impossible expressions (such as 30 February) now rather than at first use.
    first_year = min(schedule.years) if schedule.years else 2000
    if schedule._after(datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(seconds=1)) is None:
        raise _BadSpecError(_EXPECT_CRON, "it never matches any date")
    return schedule
