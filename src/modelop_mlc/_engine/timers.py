"""Timer specifications: parse Camunda 7 `timeDate`, `timeDuration` and `timeCycle` values.

The engine evaluates any `${...}` expression first and passes the resulting text (or a
`datetime`/`timedelta`) to `parse_timer`, which returns a `TimerSchedule`. A schedule never
reads the clock: every due time is computed from a time the engine passes in, and every
`datetime` in and out is timezone-aware UTC.

Supported forms:

- `timeDate`: ISO 8601 date-times (`2026-12-01T09:00:00Z`, `2026-12-01T11:00:00+02:00`,
  fractional seconds) and dates (`2026-12-01`, midnight UTC). Naive values are taken as UTC;
  Camunda would use the server's zone, but UTC keeps schedules identical on every host.
- `timeDuration`: ISO 8601 durations (`PT5M`, `P2DT12H`, `PT1.5S`, `P1Y2M`, `P2W`). Years and
  months are calendar arithmetic: `P1M` from 31 January is the last day of February.
- `timeCycle`: ISO 8601 repeating intervals (`R3/PT30S`, `R/PT1H`, `R5/<start>/P1D`,
  `R2/PT1H/<end>`, `R0/...`) and cron expressions, either Quartz (6 or 7 fields, with seconds)
  or Unix (5 fields). Cron is evaluated in UTC, so daylight-saving changes never apply.
- `camunda:failedJobRetryTimeCycle`: `R3/PT5M` or `PT10M,PT17M,PT20M` (`parse_retry_cycle`).
"""

from __future__ import annotations

import calendar
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from modelop_mlc.clock import ensure_utc
from modelop_mlc.errors import ExpressionError

__all__ = [
    "CronSchedule",
    "CycleSchedule",
    "DateSchedule",
    "Duration",
    "DurationSchedule",
    "TimerKind",
    "TimerSchedule",
    "TimerSpecError",
    "parse_datetime",
    "parse_duration",
    "parse_retry_cycle",
    "parse_timer",
]

_EXPECT_DATE = (
    "an ISO 8601 date-time like 2026-12-01T09:00:00Z or 2026-12-01T11:00:00+02:00, "
    "or a date like 2026-12-01"
)
_EXPECT_DURATION = "an ISO 8601 duration like PT5M or P1D"
_EXPECT_CYCLE = (
    "an ISO 8601 repeating interval like R3/PT10M or R/2026-01-01T09:00:00Z/P1D, "
    "or a cron expression like '0 0 9 ? * MON-FRI'"
)
_EXPECT_CRON = "a cron expression like '0 0 9 ? * MON-FRI' (Quartz) or '0 9 * * 1-5' (Unix)"
_EXPECT_RETRY = "a retry cycle like R3/PT5M or PT10M,PT17M,PT20M"

_MAX_RETRIES = 1000
# Weekday/date patterns repeat every 28 years between 1901 and 2099, so a cron expression
# that matches at all matches within this many years of any moment in that range.
_CRON_SEARCH_YEARS = 30
_AVERAGE_MONTH = timedelta(days=30.436875)  # 400 Gregorian years / 4800 months
_ONE_MICROSECOND = timedelta(microseconds=1)


class TimerSpecError(ExpressionError):
    """A timer definition (`timeDate`, `timeDuration`, `timeCycle`, retry cycle) is invalid.

    The message names the bad text and shows a valid example; `expression` holds the text.
    """


class TimerKind(StrEnum):
    """The three BPMN timer definitions, named as in the XML."""

    DATE = "timeDate"
    DURATION = "timeDuration"
    CYCLE = "timeCycle"


class _BadSpecError(ValueError):
    """Internal: a part of a timer text is invalid; converted to `TimerSpecError` at the API."""

    def __init__(self, expected: str, reason: str = "") -> None:
        self.expected = expected
        self.reason = reason
        super().__init__(reason)


def _spec_error(bad: _BadSpecError, value: object, label: str = "") -> TimerSpecError:
    prefix = f"{label}: " if label else ""
    suffix = f" ({bad.reason})" if bad.reason else ""
    return TimerSpecError(
        f"{prefix}expected {bad.expected}, got {value!r}{suffix}", expression=str(value)
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------
# Durations and dates


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration: whole calendar months plus an exact `timedelta`.

    Attributes:
        months: Calendar months (a year is 12), added with `relativedelta` so that the day
            is clamped to the end of shorter months.
        delta: Weeks, days, hours, minutes and seconds as an exact `timedelta`.
    """

    months: int = 0
    delta: timedelta = field(default_factory=timedelta)

    @classmethod
    def from_timedelta(cls, delta: timedelta) -> Duration:
        """Return the duration of an exact `timedelta`."""
        return cls(delta=delta)

    @property
    def is_zero(self) -> bool:
        """Whether the duration is empty (`PT0S`)."""
        return self.months == 0 and not self.delta

    def add_to(self, moment: datetime, times: int = 1) -> datetime:
        """Return `moment` plus the duration `times` times, in UTC.

        Multiplying first (`moment + 2 * P1M`) rather than adding twice keeps month ends
        stable: 31 January plus two months is 31 March, not 28 March.

        Args:
            moment: The start; naive values are taken as UTC.
            times: How many times to add the duration; negative values subtract it.

        Raises:
            OverflowError: If the result is outside the years 1 to 9999.
        """
        start = ensure_utc(moment)
        try:
            return start + relativedelta(months=self.months * times) + self.delta * times
        except ValueError as err:  # relativedelta reports out-of-range years as ValueError
            raise OverflowError(str(err)) from err

    def isoformat(self) -> str:
        """Return the canonical ISO 8601 text, such as `P1Y2MT30M` or `PT1.5S`."""
        years, months = divmod(self.months, 12)
        date_part = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
        date_part += f"{self.delta.days}D" if self.delta.days else ""
        hours, rest = divmod(self.delta.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        if seconds or self.delta.microseconds:
            time_part += _seconds_text(seconds, self.delta.microseconds) + "S"
        if not date_part and not time_part:
            return "PT0S"
        return "P" + date_part + (f"T{time_part}" if time_part else "")

    def describe(self) -> str:
        """Return short human text such as `1y 2mo`, `1d 12h` or `1.5s`."""
        years, months = divmod(self.months, 12)
        hours, rest = divmod(self.delta.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [
            f"{value}{unit}"
            for value, unit in (
                (years, "y"),
                (months, "mo"),
                (self.delta.days, "d"),
                (hours, "h"),
                (minutes, "m"),
            )
            if value
        ]
        if seconds or self.delta.microseconds:
            parts.append(_seconds_text(seconds, self.delta.microseconds) + "s")
        return " ".join(parts) or "0s"

    def __str__(self) -> str:
        """Return the ISO 8601 text."""
        return self.isoformat()

    def _approximate(self) -> timedelta:
        return _AVERAGE_MONTH * self.months + self.delta


def _seconds_text(seconds: int, microseconds: int) -> str:
    if not microseconds:
        return str(seconds)
    return f"{seconds}.{microseconds:06d}".rstrip("0")


_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION_RE = re.compile(
    rf"P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_MICROS = (
    None,
    None,
    7 * 86_400_000_000,
    86_400_000_000,
    3_600_000_000,
    60_000_000,
    1_000_000,
)


def _parse_duration(text: str) -> Duration:
    """Parse ISO 8601 duration text; raise `_BadSpecError` with the reason."""
    spec = text.strip().upper()
    if spec.startswith("-"):
        raise _BadSpecError(_EXPECT_DURATION, "negative durations are not allowed")
    match = _DURATION_RE.fullmatch(spec)
    groups = match.groups() if match else ()
    if not match or all(g is None for g in groups) or spec.endswith("T"):
        raise _BadSpecError(_EXPECT_DURATION)
    years, months = groups[0], groups[1]
    if any(g is not None and not g.isdigit() for g in (years, months)):
        raise _BadSpecError(_EXPECT_DURATION, "years and months must be whole numbers")
    total_months = int(years or 0) * 12 + int(months or 0)
    micros = sum(
        (
            Decimal(g.replace(",", ".")) * unit
            for g, unit in zip(groups, _MICROS, strict=True)
            if g is not None and unit is not None
        ),
        Decimal(0),
    )
    try:
        duration = Duration(total_months, timedelta(microseconds=int(micros)))
        duration.add_to(datetime(2000, 1, 1, tzinfo=UTC))
    except OverflowError as err:
        raise _BadSpecError(_EXPECT_DURATION, "the duration is too long") from err
    return duration


def _parse_date(text: str) -> datetime:
    """Parse ISO 8601 date or date-time text; raise `_BadSpecError` with the reason."""
    spec = text.strip().upper()
    try:
        return ensure_utc(datetime.fromisoformat(spec))
    except ValueError as err:
        # fromisoformat's own wording is only useful when it names a bad field.
        reason = "" if str(err).startswith("Invalid isoformat") else str(err)
        raise _BadSpecError(_EXPECT_DATE, reason) from err


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as `PT5M`, `P2DT12H`, `PT1.5S`, `P1Y2M` or `P2W`.

    Args:
        text: The duration text; surrounding spaces and lower case are accepted.

    Returns:
        The duration; add it to a start time with `Duration.add_to`.

    Raises:
        TimerSpecError: If the text is not a duration, is negative or has fractional
            years or months.
    """
    try:
        return _parse_duration(text)
    except _BadSpecError as bad:
        raise _spec_error(bad, text) from bad


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time or date into an aware UTC `datetime`.

    Offsets are converted to UTC; naive date-times and plain dates (midnight) are taken
    as UTC.

    Raises:
        TimerSpecError: If the text is not an ISO 8601 date or date-time.
    """
    try:
        return _parse_date(text)
    except _BadSpecError as bad:
        raise _spec_error(bad, text) from bad


def parse_retry_cycle(text: str) -> list[Duration]:
    """Parse a `camunda:failedJobRetryTimeCycle` into the delay before each retry.

    `R3/PT5M` gives three retries five minutes apart; `PT10M,PT17M,PT20M` gives three
    retries after those delays; a single duration gives one retry; `R0/PT5M` gives none.

    Raises:
        TimerSpecError: If the text is not one of these forms, or asks for an unbounded
            (`R/PT5M`) or excessive number of retries.
    """
    try:
        return _retry_delays(text.strip())
    except _BadSpecError as bad:
        raise _spec_error(bad, text, "failedJobRetryTimeCycle") from bad


def _retry_delays(spec: str) -> list[Duration]:
    if "," in spec:
        return [_retry_delay(part) for part in spec.split(",")]
    if not spec.upper().startswith("R"):
        return [_retry_delay(spec)]
    count, slash, rest = spec[1:].partition("/")
    if not slash or "/" in rest:
        raise _BadSpecError(_EXPECT_RETRY, "a retry cycle is a count and one duration")
    if not count.isdigit():
        raise _BadSpecError(_EXPECT_RETRY, "the number of retries must be given, like R3")
    if int(count) > _MAX_RETRIES:
        raise _BadSpecError(_EXPECT_RETRY, f"at most {_MAX_RETRIES} retries are allowed")
    return [_retry_delay(rest)] * int(count)


def _retry_delay(part: str) -> Duration:
    part = part.strip()
    if not part:
        raise _BadSpecError(_EXPECT_RETRY, "an entry is empty")
    try:
        return _parse_duration(part)
    except _BadSpecError as bad:
        raise _BadSpecError(_EXPECT_RETRY, _nested(part, "duration like PT5M", bad)) from bad


def _nested(part: str, what: str, bad: _BadSpecError) -> str:
    return f"{part!r} is not a valid {what}" + (f": {bad.reason}" if bad.reason else "")


# --------------------------------------------------------------------------------------------
# Schedules


class TimerSchedule(ABC):
    """When a timer fires, computed from times the engine passes in (never from a clock).

    The engine calls `first_due(start)` when the timer is armed, then, after each firing,
    `next_due(previous_due, fired)` until it returns `None`. A due time at or before "now"
    is due at once.
    """

    @property
    @abstractmethod
    def kind(self) -> TimerKind:
        """The BPMN timer definition this schedule came from."""

    @abstractmethod
    def first_due(self, start: datetime) -> datetime | None:
        """Return the first due time for a timer armed at `start`, or `None` if it never fires."""

    @abstractmethod
    def next_due(self, previous_due: datetime, fired: int) -> datetime | None:
        """Return the due time after `previous_due`, or `None` when the timer is exhausted.

        Args:
            previous_due: The due time of the firing that just happened.
            fired: How many times the timer has fired so far (1 after the first firing).
        """

    @property
    @abstractmethod
    def repeats(self) -> bool:
        """Whether the timer can fire more than once."""

    @abstractmethod
    def describe(self) -> str:
        """Return human text such as `every 30s, 3 times`."""


@dataclass(frozen=True)
class DateSchedule(TimerSchedule):
    """A `timeDate` timer: fires once at a fixed moment, at once if that moment has passed.

    Attributes:
        at: When the timer fires (UTC).
    """

    at: datetime

    @property
    def kind(self) -> TimerKind:
        """Always `TimerKind.DATE`."""
        return TimerKind.DATE

    def first_due(self, start: datetime) -> datetime | None:
        """Return `at`, even when it is before `start`."""
        return self.at

    def next_due(self, previous_due: datetime, fired: int) -> datetime | None:
        """Return `None`: a date timer fires once."""
        return None

    @property
    def repeats(self) -> bool:
        """Always `False`."""
        return False

    def describe(self) -> str:
        """Return text such as `at 2026-12-01T00:00:00Z`."""
        return f"at {_iso(self.at)}"


@dataclass(frozen=True)
class DurationSchedule(TimerSchedule):
    """A `timeDuration` timer: fires once, `duration` after it is armed.

    Attributes:
        duration: The delay after the start time.
    """

    duration: Duration

    @property
    def kind(self) -> TimerKind:
        """Always `TimerKind.DURATION`."""
        return TimerKind.DURATION

    def first_due(self, start: datetime) -> datetime | None:
        """Return `start` plus the duration, or `None` if that is past the year 9999."""
        return _add(self.duration, start, 1)

    def next_due(self, previous_due: datetime, fired: int) -> datetime | None:
        """Return `None`: a duration timer fires once."""
        return None

    @property
    def repeats(self) -> bool:
        """Always `False`."""
        return False

    def describe(self) -> str:
        """Return text such as `after 5m`."""
        return f"after {self.duration.describe()}"


@dataclass(frozen=True)
class CycleSchedule(TimerSchedule):
    """An ISO 8601 repeating-interval `timeCycle` such as `R3/PT30S`.

    Three forms, as in Camunda:

    - relative (`R3/PT30S`): first due `interval` after the start, then every `interval`
      after the previous due time. Month intervals follow the previous due time, so
      `R/P1M` armed on 31 January fires on 28 February, then 28 March.
    - from a start (`R5/2026-01-01T09:00:00Z/P1D`): occurrences are `start + k * interval`
      for k from 0; the first is due at `start` itself. Occurrences before the moment the
      timer is armed are skipped, but still count towards the repetitions.
    - up to an end (`R2/PT1H/2026-01-02T00:00:00Z`): occurrences are `end - k * interval`,
      the last one at `end`, and the `repetitions` latest ones are kept.

    Attributes:
        interval: The time between firings; never zero.
        repetitions: How many times the timer fires in all; `None` means forever (`R/`).
        start: The first occurrence, for the start form.
        end: The last occurrence, for the end form.
    """

    interval: Duration
    repetitions: int | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def kind(self) -> TimerKind:
        """Always `TimerKind.CYCLE`."""
        return TimerKind.CYCLE

    def first_due(self, start: datetime) -> datetime | None:
        """Return the first occurrence at or after `start`, or `None` if there is none."""
        if self.repetitions == 0:
            return None
        if self.start is None and self.end is None:
            return _add(self.interval, start, 1)
        return self._occurrence_from(ensure_utc(start))

    def next_due(self, previous_due: datetime, fired: int) -> datetime | None:
        """Return the occurrence after `previous_due`, or `None` once all have fired."""
        if self.repetitions is not None and fired >= self.repetitions:
            return None
        if self.start is None and self.end is None:
            return _add(self.interval, previous_due, 1)
        return self._occurrence_from(ensure_utc(previous_due) + _ONE_MICROSECOND)

    @property
    def repeats(self) -> bool:
        """Whether more than one firing is possible (`R/...` or `Rn` with n > 1)."""
        return self.repetitions is None or self.repetitions > 1

    def describe(self) -> str:
        """Return text such as `every 30s, 3 times` or `every 1h, forever`."""
        if self.repetitions == 0:
            return "never (R0)"
        count = {None: "forever", 1: "once"}.get(self.repetitions, f"{self.repetitions} times")
        text = f"every {self.interval.describe()}, {count}"
        if self.start is not None:
            text += f" from {_iso(self.start)}"
        if self.end is not None:
            text += f" until {_iso(self.end)}"
        return text

    def _occurrence(self, index: int) -> datetime | None:
        if self.start is not None:
            return _add(self.interval, self.start, index)
        assert self.end is not None
        return _add(self.interval, self.end, -index)

    def _occurrence_from(self, moment: datetime) -> datetime | None:
        index = (
            self._forward_index(moment) if self.start is not None else self._backward_index(moment)
        )
        if index is None:
            return None
        if self.end is not None and self.repetitions is not None:
            # The end form keeps the latest occurrences: indices 0 .. repetitions - 1.
            index = min(index, self.repetitions - 1)
        elif self.repetitions is not None and index >= self.repetitions:
            return None
        return self._occurrence(index)

    def _forward_index(self, moment: datetime) -> int | None:
        """Return the smallest k with `start + k * interval >= moment`."""
        assert self.start is not None
        if moment <= self.start:
            return 0
        # Estimate from the average interval, then step: months vary by at most three days.
        index = max(0, int((moment - self.start) / self.interval._approximate()) - 2)
        while True:
            occurrence = self._occurrence(index)
            if occurrence is None:
                return None
            if occurrence >= moment:
                break
            index += 1
        while (
            index > 0 and (earlier := self._occurrence(index - 1)) is not None and earlier >= moment
        ):
            index -= 1
        return index

    def _backward_index(self, moment: datetime) -> int | None:
        """Return the largest k with `end - k * interval >= moment`."""
        assert self.end is not None
        if self.end < moment:
            return None
        index = int((self.end - moment) / self.interval._approximate()) + 2
        while index > 0 and (
            (occurrence := self._occurrence(index)) is None or occurrence < moment
        ):
            index -= 1
        while (later := self._occurrence(index + 1)) is not None and later >= moment:
            index += 1
        return index


def _add(duration: Duration, moment: datetime, times: int) -> datetime | None:
    try:
        return duration.add_to(moment, times)
    except OverflowError:
        return None  # past the year 9999: the timer never fires


# --------------------------------------------------------------------------------------------
# Cron


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


# --------------------------------------------------------------------------------------------
# Entry point


def parse_timer(kind: TimerKind | str, value: str | datetime | timedelta) -> TimerSchedule:
    """Parse a BPMN timer definition into a schedule.

    Args:
        kind: `timeDate`, `timeDuration` or `timeCycle` (a `TimerKind` or its XML name).
        value: The definition after expression evaluation: text, or a `datetime` for
            `timeDate`, or a `timedelta` for `timeDuration`.

    Returns:
        A `DateSchedule`, `DurationSchedule`, `CycleSchedule` or `CronSchedule`.

    Raises:
        TimerSpecError: If the kind is unknown or the value is not valid for it; the
            message names the bad text and shows a valid example.
    """
    try:
        timer_kind = TimerKind(kind)
    except ValueError as err:
        raise TimerSpecError(
            f"unknown timer kind {kind!r}; expected timeDate, timeDuration or timeCycle",
            expression=str(kind),
        ) from err
    try:
        return _parse_value(timer_kind, value)
    except _BadSpecError as bad:
        raise _spec_error(bad, value, timer_kind.value) from bad


def _parse_value(kind: TimerKind, value: object) -> TimerSchedule:
    if kind is TimerKind.DATE:
        if isinstance(value, datetime):
            return DateSchedule(ensure_utc(value))
        if isinstance(value, str):
            return DateSchedule(_parse_date(value))
        raise _BadSpecError(_EXPECT_DATE, f"a {type(value).__name__} is not a date")
    if kind is TimerKind.DURATION:
        if isinstance(value, timedelta):
            if value < timedelta(0):
                raise _BadSpecError(_EXPECT_DURATION, "negative durations are not allowed")
            return DurationSchedule(Duration.from_timedelta(value))
        if isinstance(value, str):
            return DurationSchedule(_parse_duration(value))
        raise _BadSpecError(_EXPECT_DURATION, f"a {type(value).__name__} is not a duration")
    if not isinstance(value, str):
        raise _BadSpecError(_EXPECT_CYCLE, f"a {type(value).__name__} is not a cycle")
    spec = " ".join(value.split())
    if " " in spec:
        return _parse_cron(spec)
    if spec.upper().startswith("R"):
        return _parse_repeat(spec)
    if spec.upper().startswith("P"):  # Camunda runs a cycle without R once, like R1
        return _checked_cycle(CycleSchedule(_cycle_duration(spec), repetitions=1))
    raise _BadSpecError(_EXPECT_CYCLE)


def _parse_repeat(spec: str) -> CycleSchedule:
    head, *parts = spec.split("/")
    if head.upper() != "R" and not head[1:].isdigit():
        raise _BadSpecError(_EXPECT_CYCLE, f"{head!r} should be R or R with a count, like R3")
    repetitions = int(head[1:]) if head[1:] else None
    if len(parts) == 1:
        return _checked_cycle(CycleSchedule(_cycle_duration(parts[0]), repetitions))
    if len(parts) != 2:  # noqa: PLR2004
        raise _BadSpecError(_EXPECT_CYCLE, "a repeating interval has 2 or 3 parts split by '/'")
    first, second = parts
    if first.upper().startswith("P"):
        interval, end = _cycle_duration(first), _cycle_date(second)
        return _checked_cycle(CycleSchedule(interval, repetitions, end=end))
    start = _cycle_date(first)
    if second.upper().startswith("P"):
        return _checked_cycle(CycleSchedule(_cycle_duration(second), repetitions, start=start))
    # start/end: intervals as long as end - start, the first beginning at start
    span = Duration.from_timedelta(_cycle_date(second) - start)
    return _checked_cycle(CycleSchedule(span, repetitions, start=start))


def _checked_cycle(cycle: CycleSchedule) -> CycleSchedule:
    if cycle.interval.is_zero or cycle.interval.delta < timedelta(0):
        raise _BadSpecError(_EXPECT_CYCLE, "the interval must be longer than zero")
    return cycle


def _cycle_duration(part: str) -> Duration:
    try:
        return _parse_duration(part)
    except _BadSpecError as bad:
        raise _BadSpecError(_EXPECT_CYCLE, _nested(part, "duration like PT10M", bad)) from bad


def _cycle_date(part: str) -> datetime:
    try:
        return _parse_date(part)
    except _BadSpecError as bad:
        what = "date-time like 2026-01-01T09:00:00Z"
        raise _BadSpecError(_EXPECT_CYCLE, _nested(part, what, bad)) from bad
