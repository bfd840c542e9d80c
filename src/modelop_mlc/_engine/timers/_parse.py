"""The entry point `parse_timer`, and the grammar of ISO 8601 repeating intervals."""

from __future__ import annotations

from datetime import datetime, timedelta

from modelop_mlc._engine.timers._cron import _parse_cron
from modelop_mlc._engine.timers._durations import Duration, _parse_date, _parse_duration
from modelop_mlc._engine.timers._model import (
    _EXPECT_CYCLE,
    _EXPECT_DATE,
    _EXPECT_DURATION,
    TimerKind,
    TimerSchedule,
    TimerSpecError,
    _BadSpecError,
    _nested,
    _spec_error,
)
from modelop_mlc._engine.timers._schedules import CycleSchedule, DateSchedule, DurationSchedule
from modelop_mlc.clock import ensure_utc


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
