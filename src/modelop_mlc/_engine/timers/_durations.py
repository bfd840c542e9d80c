"""ISO 8601 durations and dates, and `camunda:failedJobRetryTimeCycle` retry cycles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from modelop_mlc._engine.timers._model import (
    _EXPECT_DATE,
    _EXPECT_DURATION,
    _EXPECT_RETRY,
    _BadSpecError,
    _nested,
    _spec_error,
)
from modelop_mlc.clock import ensure_utc

_MAX_RETRIES = 1000
_AVERAGE_MONTH = timedelta(days=30.436875)  # 400 Gregorian years / 4800 months


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
        if not self.months:
            return start + self.delta * times
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
