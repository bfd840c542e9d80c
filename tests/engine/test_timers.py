"""Tests for `modelop_mlc._engine.timers`: timer definitions and their due times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from modelop_mlc._engine.timers import (
    CronSchedule,
    CycleSchedule,
    DateSchedule,
    Duration,
    DurationSchedule,
    TimerKind,
    TimerSchedule,
    TimerSpecError,
    parse_datetime,
    parse_duration,
    parse_retry_cycle,
    parse_timer,
)
from modelop_mlc.errors import ExpressionError


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def firings(schedule: TimerSchedule, start: datetime, limit: int = 20) -> list[datetime]:
    """Drive a schedule the way the engine does: first_due, then next_due until None."""
    due = schedule.first_due(start)
    result: list[datetime] = []
    while due is not None and len(result) < limit:
        result.append(due)
        due = schedule.next_due(due, len(result))
    return result


def cron_times(expression: str, start: datetime, count: int) -> list[datetime]:
    return firings(parse_timer(TimerKind.CYCLE, expression), start, count)


START = utc(2026, 1, 5, 8, 0)  # a Monday


# --- timeDate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T00:00:00Z", utc(2026, 12, 1)),
        ("2026-12-01T02:00:00+02:00", utc(2026, 12, 1)),
        ("2026-11-30T19:00:00-05:00", utc(2026, 12, 1)),
        ("2026-12-01T00:00:00.250Z", utc(2026, 12, 1, 0, 0, 0, 250000)),
        ("2026-12-01", utc(2026, 12, 1)),
        ("2026-12-01T09:30:00", utc(2026, 12, 1, 9, 30)),
        ("  2026-12-01t09:30:00z ", utc(2026, 12, 1, 9, 30)),
    ],
)
def test_time_date_text_is_normalised_to_utc(text: str, expected: datetime) -> None:
    """ISO 8601 dates, offsets, fractions and naive values all become the same UTC instant."""
    schedule = parse_timer("timeDate", text)
    due = schedule.first_due(START)
    assert isinstance(schedule, DateSchedule)
    assert expected == due
    assert due is not None
    assert due.utcoffset() == timedelta(0)


def test_time_date_accepts_datetime_objects() -> None:
    """Aware datetimes are converted to UTC and naive ones are taken as UTC."""
    aware = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc(2026, 6, 1, 10) == parse_timer(TimerKind.DATE, aware).first_due(START)
    assert utc(2026, 6, 1, 12) == parse_timer(TimerKind.DATE, aware.replace(tzinfo=None)).first_due(
        START
    )


def test_time_date_in_the_past_is_due_at_once_and_fires_once() -> None:
    """A past date is returned as is (so it is due immediately) and never repeats."""
    schedule = parse_timer("timeDate", "2020-01-01")
    assert [utc(2020, 1, 1)] == firings(schedule, START)
    assert not schedule.repeats
    assert schedule.kind is TimerKind.DATE
    assert schedule.describe() == "at 2020-01-01T00:00:00Z"


def test_parse_datetime_converts_offsets() -> None:
    """The public date parser returns aware UTC datetimes."""
    assert utc(2026, 3, 1, 22, 0) == parse_datetime("2026-03-02T00:00:00+02:00")


# --- timeDuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("P1D", timedelta(days=1)),
        ("P2DT12H", timedelta(days=2, hours=12)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("PT1,5S", timedelta(seconds=1.5)),
        ("PT36H", timedelta(hours=36)),
        ("P2W", timedelta(weeks=2)),
        ("pt10m", timedelta(minutes=10)),
        ("PT0S", timedelta(0)),
    ],
)
def test_time_duration_fires_once_after_the_duration(text: str, delta: timedelta) -> None:
    """A duration timer is due once, the duration after the start."""
    schedule = parse_timer(TimerKind.DURATION, text)
    assert isinstance(schedule, DurationSchedule)
    assert [START + delta] == firings(schedule, START)
    assert not schedule.repeats


def test_years_and_months_are_calendar_arithmetic() -> None:
    """P1Y2M moves the calendar date, not a fixed number of days."""
    assert utc(2027, 3, 15, 9) == parse_duration("P1Y2M").add_to(utc(2026, 1, 15, 9))


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (utc(2026, 1, 31), utc(2026, 2, 28)),
        (utc(2024, 1, 31), utc(2024, 2, 29)),
        (utc(2026, 3, 31), utc(2026, 4, 30)),
    ],
)
def test_one_month_from_a_month_end_clamps_to_the_shorter_month(
    start: datetime, expected: datetime
) -> None:
    """P1M from 31 January is the last day of February, 29th in leap years."""
    assert expected == parse_timer("timeDuration", "P1M").first_due(start)


def test_one_year_from_a_leap_day_lands_on_28_february() -> None:
    """P1Y from 29 February 2024 is 28 February 2025."""
    assert utc(2025, 2, 28) == parse_duration("P1Y").add_to(utc(2024, 2, 29))


def test_adding_a_month_duration_several_times_does_not_drift() -> None:
    """Adding P1M twice at once from 31 January reaches 31 March."""
    assert utc(2026, 3, 31) == parse_duration("P1M").add_to(utc(2026, 1, 31), times=2)


def test_duration_start_offsets_are_converted_to_utc() -> None:
    """A start time with an offset gives a UTC due time."""
    start = datetime(2026, 3, 28, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    due = parse_timer("timeDuration", "P1D").first_due(start)
    assert utc(2026, 3, 29, 11) == due
    assert due is not None
    assert due.tzinfo is UTC


def test_time_duration_accepts_timedelta_objects() -> None:
    """A timedelta from an expression is used as the duration."""
    schedule = parse_timer("timeDuration", timedelta(hours=2))
    assert START + timedelta(hours=2) == schedule.first_due(START)
    assert schedule.describe() == "after 2h"


@pytest.mark.parametrize(
    ("text", "iso", "human"),
    [
        ("P1Y2M", "P1Y2M", "1y 2mo"),
        ("P2DT12H", "P2DT12H", "2d 12h"),
        ("PT1.5S", "PT1.5S", "1.5s"),
        ("P2W", "P14D", "14d"),
        ("PT90M", "PT1H30M", "1h 30m"),
        ("PT0S", "PT0S", "0s"),
    ],
)
def test_duration_text_forms(text: str, iso: str, human: str) -> None:
    """Durations render back to canonical ISO 8601 and to short human text."""
    duration = parse_duration(text)
    assert iso == duration.isoformat()
    assert iso == str(duration)
    assert human == duration.describe()
    assert duration == parse_duration(iso)


# --- timeCycle: ISO 8601 repeating intervals -----------------------------------------------


def test_r3_fires_three_times_thirty_seconds_apart() -> None:
    """R3/PT30S is due at +30s, +60s and +90s, then exhausted."""
    schedule = parse_timer("timeCycle", "R3/PT30S")
    first = schedule.first_due(START)
    assert START + timedelta(seconds=30) == first
    assert first is not None
    second = schedule.next_due(first, 1)
    assert START + timedelta(seconds=60) == second
    assert second is not None
    third = schedule.next_due(second, 2)
    assert START + timedelta(seconds=90) == third
    assert third is not None
    assert schedule.next_due(third, 3) is None
    assert schedule.repeats
    assert schedule.describe() == "every 30s, 3 times"


def test_unbounded_cycle_never_runs_out() -> None:
    """R/PT1H repeats forever, however often it has fired."""
    schedule = parse_timer("timeCycle", "R/PT1H")
    assert isinstance(schedule, CycleSchedule)
    assert schedule.repetitions is None
    assert schedule.repeats
    assert utc(2026, 1, 5, 10) == schedule.next_due(utc(2026, 1, 5, 9), 10_000)
    assert schedule.describe() == "every 1h, forever"


def test_r0_never_fires() -> None:
    """R0/... has no due time at all."""
    schedule = parse_timer("timeCycle", "R0/PT1M")
    assert schedule.first_due(START) is None
    assert not schedule.repeats
    assert schedule.describe() == "never (R0)"


def test_r1_fires_once() -> None:
    """R1/PT10M fires once and does not count as repeating."""
    schedule = parse_timer("timeCycle", "R1/PT10M")
    assert [START + timedelta(minutes=10)] == firings(schedule, START)
    assert not schedule.repeats


def test_cycle_without_r_fires_once_like_camunda() -> None:
    """A bare duration as timeCycle runs once, as in Camunda."""
    assert [START + timedelta(minutes=10)] == firings(parse_timer("timeCycle", "PT10M"), START)


def test_cycle_from_a_start_date_is_first_due_at_that_date() -> None:
    """R5/<start>/P1D fires at the start itself, then daily, five times in all."""
    schedule = parse_timer("timeCycle", "R5/2026-01-01T09:00:00Z/P1D")
    expected = [utc(2026, 1, day, 9) for day in range(1, 6)]
    assert expected == firings(schedule, utc(2025, 12, 1))
    assert schedule.describe() == "every 1d, 5 times from 2026-01-01T09:00:00Z"


def test_cycle_from_a_start_date_armed_late_skips_missed_occurrences() -> None:
    """Occurrences before the timer is armed are skipped but still count."""
    schedule = parse_timer("timeCycle", "R5/2026-01-01T09:00:00Z/P1D")
    assert [utc(2026, 1, 4, 9), utc(2026, 1, 5, 9)] == firings(schedule, utc(2026, 1, 3, 12))
    assert schedule.first_due(utc(2026, 1, 6)) is None


def test_unbounded_cycle_from_a_start_date_continues_after_arming() -> None:
    """R/<start>/PT1H armed years later is next due on the start's hourly grid."""
    schedule = parse_timer("timeCycle", "R/2020-01-01T00:30:00Z/PT1H")
    assert utc(2026, 1, 5, 8, 30) == schedule.first_due(START)


def test_monthly_cycle_from_a_start_date_keeps_the_month_end() -> None:
    """R/<31 Jan>/P1M fires at each month's end without drifting to the 28th."""
    schedule = parse_timer("timeCycle", "R/2026-01-31T00:00:00Z/P1M")
    expected = [utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 31), utc(2026, 4, 30)]
    assert expected == firings(schedule, utc(2026, 1, 1), 4)
    assert utc(2026, 8, 31) == schedule.first_due(utc(2026, 8, 1))


def test_cycle_start_offsets_are_normalised() -> None:
    """A start date with an offset is converted to UTC."""
    schedule = parse_timer("timeCycle", "R2/2026-01-01T10:00:00+01:00/PT1H")
    assert [utc(2026, 1, 1, 9), utc(2026, 1, 1, 10)] == firings(schedule, utc(2026, 1, 1))


def test_cycle_up_to_an_end_date_ends_at_that_date() -> None:
    """R2/PT1H/<end> fires one hour before the end and at the end."""
    schedule = parse_timer("timeCycle", "R2/PT1H/2026-01-02T00:00:00Z")
    assert [utc(2026, 1, 1, 23), utc(2026, 1, 2)] == firings(schedule, utc(2026, 1, 1))
    assert schedule.describe() == "every 1h, 2 times until 2026-01-02T00:00:00Z"


def test_unbounded_cycle_up_to_an_end_date_fires_until_the_end() -> None:
    """R/PT1H/<end> fires on the end's hourly grid from the start up to the end."""
    schedule = parse_timer("timeCycle", "R/PT1H/2026-01-02T00:00:00Z")
    expected = [utc(2026, 1, 1, 21), utc(2026, 1, 1, 22), utc(2026, 1, 1, 23), utc(2026, 1, 2)]
    assert expected == firings(schedule, utc(2026, 1, 1, 20, 15))


def test_cycle_up_to_a_past_end_date_never_fires() -> None:
    """A cycle whose end has passed has no due time."""
    schedule = parse_timer("timeCycle", "R3/PT1H/2026-01-02T00:00:00Z")
    assert schedule.first_due(utc(2026, 1, 3)) is None


def test_cycle_between_two_dates_repeats_their_distance() -> None:
    """R3/<start>/<end> repeats intervals as long as end minus start."""
    schedule = parse_timer("timeCycle", "R3/2026-01-01T00:00:00Z/2026-01-01T06:00:00Z")
    expected = [utc(2026, 1, 1, 0), utc(2026, 1, 1, 6), utc(2026, 1, 1, 12)]
    assert expected == firings(schedule, utc(2025, 12, 31))


# --- timeCycle: Quartz cron ----------------------------------------------------------------


def test_quartz_weekdays_at_nine() -> None:
    """0 0 9 ? * MON-FRI skips the weekend."""
    times = cron_times("0 0 9 ? * MON-FRI", utc(2026, 1, 9, 10), 3)
    assert [utc(2026, 1, 12, 9), utc(2026, 1, 13, 9), utc(2026, 1, 14, 9)] == times


def test_quartz_every_fifteen_minutes() -> None:
    """0 0/15 * * * ? fires on the quarter hours."""
    times = cron_times("0 0/15 * * * ?", utc(2026, 1, 5, 8, 7, 30), 4)
    assert [utc(2026, 1, 5, 8, m) for m in (15, 30, 45)] + [utc(2026, 1, 5, 9)] == times


def test_quartz_last_day_of_month_handles_leap_years() -> None:
    """0 0 12 L * ? fires on 29 February in leap years and the 28th otherwise."""
    assert [utc(2024, 2, 29, 12), utc(2024, 3, 31, 12)] == cron_times(
        "0 0 12 L * ?", utc(2024, 2, 1), 2
    )
    assert [utc(2026, 2, 28, 12)] == cron_times("0 0 12 L * ?", utc(2026, 2, 1), 1)


def test_quartz_days_before_the_last() -> None:
    """L-2 is two days before the end of the month."""
    assert [utc(2026, 2, 26), utc(2026, 3, 29)] == cron_times("0 0 0 L-2 * ?", utc(2026, 2, 1), 2)


def test_quartz_third_friday() -> None:
    """0 0 12 ? * 6#3 fires on each month's third Friday (Quartz: 6 = Friday)."""
    times = cron_times("0 0 12 ? * 6#3", START, 3)
    assert [utc(2026, 1, 16, 12), utc(2026, 2, 20, 12), utc(2026, 3, 20, 12)] == times
    assert times == cron_times("0 0 12 ? * FRI#3", START, 3)


def test_quartz_last_friday() -> None:
    """6L in day-of-week is the last Friday of the month."""
    assert [utc(2026, 1, 30, 12), utc(2026, 2, 27, 12)] == cron_times("0 0 12 ? * 6L", START, 2)


def test_quartz_nearest_weekday() -> None:
    """15W moves a weekend 15th to the nearest weekday: Sunday to Monday, Saturday to Friday."""
    assert [utc(2026, 2, 16, 10, 30)] == cron_times("0 30 10 15W * ?", utc(2026, 2, 1), 1)
    assert [utc(2026, 8, 14, 10, 30)] == cron_times("0 30 10 15W * ?", utc(2026, 8, 1), 1)
    assert [utc(2026, 4, 15, 10, 30)] == cron_times("0 30 10 15W * ?", utc(2026, 4, 1), 1)


def test_quartz_nearest_weekday_stays_in_the_month() -> None:
    """1W on a Saturday is Monday the 3rd and 31W on a Sunday is Friday the 29th."""
    assert [utc(2026, 8, 3)] == cron_times("0 0 0 1W * ?", utc(2026, 8, 1), 1)
    assert [utc(2026, 5, 29)] == cron_times("0 0 0 31W * ?", utc(2026, 5, 1), 1)


def test_quartz_last_weekday_of_month() -> None:
    """LW is the last Monday-to-Friday day of the month."""
    assert [utc(2026, 1, 30, 12), utc(2026, 2, 27, 12), utc(2026, 3, 31, 12)] == cron_times(
        "0 0 12 LW * ?", START, 3
    )


def test_quartz_year_field_limits_the_schedule() -> None:
    """0 0 0 1 1 ? 2030 fires once, on 1 January 2030, and then never again."""
    schedule = parse_timer("timeCycle", "0 0 0 1 1 ? 2030")
    assert [utc(2030, 1, 1)] == firings(schedule, START)
    assert schedule.first_due(utc(2031, 1, 1)) is None


def test_quartz_numbers_sunday_as_one() -> None:
    """Quartz day-of-week 1 is Sunday and 7 is Saturday."""
    assert [utc(2026, 1, 11, 8)] == cron_times("0 0 8 ? * 1", START, 1)
    assert [utc(2026, 1, 10, 8)] == cron_times("0 0 8 ? * 7", START, 1)


def test_quartz_names_lists_and_stepped_ranges() -> None:
    """Month and day names, lists and 10-50/20 steps combine."""
    times = cron_times("10-50/20 0 8 ? JAN,jul MON", START, 4)
    expected = [utc(2026, 1, 5, 8, 0, s) for s in (10, 30, 50)] + [utc(2026, 1, 12, 8, 0, 10)]
    assert expected == times
    assert [utc(2026, 7, 6, 8)] == cron_times("0 0 8 ? JAN,JUL MON", utc(2026, 2, 1), 1)


def test_quartz_ranges_may_wrap_around() -> None:
    """22-2 in the hour field means 22:00 to 02:00."""
    times = cron_times("0 0 22-2 * * ?", utc(2026, 1, 5, 21), 5)
    assert [utc(2026, 1, 5, 22), utc(2026, 1, 5, 23)] + [
        utc(2026, 1, 6, h) for h in (0, 1, 2)
    ] == times


def test_quartz_star_in_both_day_fields_is_accepted() -> None:
    """0 0 9 * * MON is read as if day-of-month were '?'."""
    assert cron_times("0 0 9 ? * MON", START, 3) == cron_times("0 0 9 * * MON", START, 3)


def test_cron_next_fire_is_strictly_after_the_given_time() -> None:
    """A cron due exactly at the start, or a fraction before it, is not returned again."""
    schedule = parse_timer("timeCycle", "0 0 9 * * ?")
    assert utc(2026, 1, 6, 9) == schedule.first_due(utc(2026, 1, 5, 9))
    assert utc(2026, 1, 6, 9) == schedule.first_due(utc(2026, 1, 5, 9, 0, 0, 1))
    assert utc(2026, 1, 5, 9) == schedule.first_due(utc(2026, 1, 5, 8, 59, 59, 999999))
    assert utc(2026, 1, 7, 9) == schedule.next_due(utc(2026, 1, 6, 9), 1)


def test_cron_rolls_over_the_year() -> None:
    """Every second crosses midnight on New Year's Eve."""
    times = cron_times("* * * * * ?", utc(2026, 12, 31, 23, 59, 58), 2)
    assert [utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)] == times


def test_cron_finds_rare_dates_years_ahead() -> None:
    """A fifth Monday in February is found 18 years ahead without stepping by seconds."""
    assert [utc(2044, 2, 29)] == cron_times("0 0 0 ? FEB MON#5", START, 1)
    assert [utc(2028, 2, 29)] == cron_times("0 0 0 29 2 ?", START, 1)


def test_cron_schedule_repeats_and_describes_itself() -> None:
    """A cron schedule repeats and says which dialect it is."""
    schedule = parse_timer("timeCycle", "0  0 9 ? * MON-FRI")
    assert isinstance(schedule, CronSchedule)
    assert schedule.repeats
    assert schedule.kind is TimerKind.CYCLE
    assert schedule.describe() == "cron '0 0 9 ? * MON-FRI' (Quartz, UTC)"


def test_cron_ignores_daylight_saving_changes() -> None:
    """02:30 UTC fires every 24 hours across the US and EU clock changes."""
    times = cron_times("0 30 2 * * ?", utc(2026, 3, 7), 25)
    gaps = {later - earlier for earlier, later in itertools.pairwise(times)}
    assert {timedelta(days=1)} == gaps
    assert utc(2026, 3, 8, 2, 30) in times
    assert utc(2026, 3, 29, 2, 30) in times
    offset_start = datetime(2026, 3, 29, 3, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc(2026, 3, 29, 2, 30) == parse_timer("timeCycle", "0 30 2 * * ?").first_due(
        offset_start - timedelta(hours=1)
    )


# --- timeCycle: Unix cron ------------------------------------------------------------------


def test_unix_every_five_minutes() -> None:
    """*/5 * * * * fires at whole five-minute marks with zero seconds."""
    times = cron_times("*/5 * * * *", utc(2026, 1, 5, 8, 3, 20), 3)
    assert [utc(2026, 1, 5, 8, m) for m in (5, 10, 15)] == times


def test_unix_weekdays_at_nine() -> None:
    """0 9 * * 1-5 skips Saturday and Sunday."""
    times = cron_times("0 9 * * 1-5", utc(2026, 1, 9, 10), 2)
    assert [utc(2026, 1, 12, 9), utc(2026, 1, 13, 9)] == times
    assert times == cron_times("0 9 * * MON-FRI", utc(2026, 1, 9, 10), 2)


def test_unix_list_of_days() -> None:
    """0 0 1,15 * * fires on the 1st and 15th."""
    times = cron_times("0 0 1,15 * *", START, 3)
    assert [utc(2026, 1, 15), utc(2026, 2, 1), utc(2026, 2, 15)] == times


def test_unix_sunday_is_zero_or_seven() -> None:
    """Unix day-of-week 0 and 7 are both Sunday."""
    assert [utc(2026, 1, 11)] == cron_times("0 0 * * 0", START, 1)
    assert [utc(2026, 1, 11)] == cron_times("0 0 * * 7", START, 1)


def test_unix_restricted_day_fields_match_either() -> None:
    """With both day fields set, Unix cron fires on the 1st and on every Friday."""
    times = cron_times("0 0 1 * FRI", utc(2026, 1, 31), 3)
    assert [utc(2026, 2, 1), utc(2026, 2, 6), utc(2026, 2, 13)] == times


def test_unix_starred_day_of_month_step_combines_with_weekday() -> None:
    """A day-of-month starting with '*' makes Unix cron require both fields, as Vixie does."""
    times = cron_times("0 0 */2 * MON", START, 2)
    assert [utc(2026, 1, 19), utc(2026, 2, 9)] == times


# --- failedJobRetryTimeCycle ---------------------------------------------------------------


def test_retry_cycle_with_repetitions() -> None:
    """R3/PT5M gives three retries five minutes apart."""
    assert [Duration(delta=timedelta(minutes=5))] * 3 == parse_retry_cycle("R3/PT5M")


def test_retry_cycle_with_a_list_of_delays() -> None:
    """PT10M,PT17M,PT20M gives three retries after those delays, in order."""
    delays = parse_retry_cycle("PT10M, PT17M ,PT20M")
    assert [timedelta(minutes=m) for m in (10, 17, 20)] == [d.delta for d in delays]


def test_retry_cycle_single_duration_and_zero() -> None:
    """A single duration is one retry and R0 means no retries."""
    assert [parse_duration("PT1H")] == parse_retry_cycle("pt1h")
    assert parse_retry_cycle("R0/PT5M") == []


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PT5X", ""),
        ("5M", ""),
        ("P", ""),
        ("PT", ""),
        ("", ""),
        ("-PT5M", "negative durations are not allowed"),
        ("P0.5Y", "years and months must be whole numbers"),
        ("P99999Y", "the duration is too long"),
    ],
)
def test_bad_durations_name_the_text_and_an_example(text: str, reason: str) -> None:
    """A bad timeDuration error shows the text, a valid example and the reason."""
    with pytest.raises(TimerSpecError) as caught:
        parse_timer("timeDuration", text)
    message = str(caught.value)
    assert f"got {text!r}" in message
    assert "like PT5M or P1D" in message
    assert reason in message
    assert text == caught.value.expression


def test_parse_duration_error_message() -> None:
    """parse_duration reports exactly what was expected and what it got."""
    with pytest.raises(TimerSpecError) as caught:
        parse_duration("PT5X")
    assert str(caught.value) == "expected an ISO 8601 duration like PT5M or P1D, got 'PT5X'"


def test_negative_timedelta_is_rejected() -> None:
    """A negative timedelta is not a valid timeDuration."""
    with pytest.raises(TimerSpecError, match="negative durations are not allowed"):
        parse_timer("timeDuration", timedelta(minutes=-1))


@pytest.mark.parametrize("text", ["2026-13-01", "tomorrow", "", "2026-12-01T25:00:00Z"])
def test_bad_dates_name_the_text_and_an_example(text: str) -> None:
    """A bad timeDate error shows the text and a valid ISO 8601 example."""
    with pytest.raises(TimerSpecError) as caught:
        parse_timer("timeDate", text)
    assert f"got {text!r}" in str(caught.value)
    assert "2026-12-01T09:00:00Z" in str(caught.value)
    assert str(caught.value).startswith("timeDate: ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("R3/PT5X", "'PT5X' is not a valid duration"),
        ("Rx/PT1M", "'Rx' should be R or R with a count"),
        ("R3/PT0S", "the interval must be longer than zero"),
        ("R3/PT1M/PT1M/PT1M", "2 or 3 parts"),
        ("R3/2026-99-01/PT1M", "'2026-99-01' is not a valid date-time"),
        ("R3/2026-01-02T00:00:00Z/2026-01-01T00:00:00Z", "longer than zero"),
        ("hourly", ""),
    ],
)
def test_bad_iso_cycles_name_the_text_and_an_example(text: str, reason: str) -> None:
    """A bad repeating interval error shows the text, R3/PT10M and the reason."""
    with pytest.raises(TimerSpecError) as caught:
        parse_timer("timeCycle", text)
    message = str(caught.value)
    assert f"got {text!r}" in message
    assert "R3/PT10M" in message
    assert reason in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0 61 * * * ?", "minute value 61 is outside 0-59"),
        ("0 0 0 30 2 ?", "never matches any date"),
        ("0 0 0 31 4,6,9,11 ?", "never matches any date"),
        ("0 0 9 1 * MON", "Quartz needs '?'"),
        ("0 0 9 ? * ?", "only one of day-of-month and day-of-week"),
        ("0 0 12 ? * 6#6", "needs #1 to #5"),
        ("0 0 12 ? * FUN", "day-of-week value 'FUN' is not a number"),
        ("0 0 ? * * *", "'?' is only allowed in day-of-month or day-of-week"),
        ("0 0 0 1 1 ? 1969", "year value 1969 is outside 1970-2099"),
        ("0 9 L * *", "need the Quartz form"),
        ("0 9 * * 8", "day-of-week value 8 is outside 0-7"),
        ("*/0 * * * *", "minute step '0' is not positive"),
        ("0 9 20-5 * *", "day-of-month range '20-5' runs backwards"),
        ("1 2 3 4", "not 4"),
    ],
)
def test_bad_cron_expressions_name_the_text_and_an_example(text: str, reason: str) -> None:
    """A bad cron error shows the expression, a valid example and what is wrong."""
    with pytest.raises(TimerSpecError) as caught:
        parse_timer("timeCycle", text)
    message = str(caught.value)
    assert f"got {text!r}" in message
    assert "'0 0 9 ? * MON-FRI'" in message
    assert reason in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("R/PT5M", "the number of retries must be given"),
        ("PT5M,", "an entry is empty"),
        ("PT5X,PT1M", "'PT5X' is not a valid duration"),
        ("R3/2026-01-01T00:00:00Z/PT5M", "a count and one duration"),
        ("R1001/PT1S", "at most 1000 retries"),
    ],
)
def test_bad_retry_cycles_name_the_text_and_an_example(text: str, reason: str) -> None:
    """A bad failedJobRetryTimeCycle error shows the text, R3/PT5M and the reason."""
    with pytest.raises(TimerSpecError) as caught:
        parse_retry_cycle(text)
    message = str(caught.value)
    assert message.startswith("failedJobRetryTimeCycle: ")
    assert f"got {text!r}" in message
    assert "R3/PT5M" in message
    assert reason in message


def test_unknown_timer_kind_lists_the_valid_kinds() -> None:
    """An unknown kind names itself and the three valid kinds."""
    with pytest.raises(
        TimerSpecError, match="'timeFoo'; expected timeDate, timeDuration or timeCycle"
    ):
        parse_timer("timeFoo", "PT5M")


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (TimerKind.DATE, timedelta(minutes=5), "a timedelta is not a date"),
        (TimerKind.DURATION, datetime(2026, 1, 1, tzinfo=UTC), "a datetime is not a duration"),
        (TimerKind.CYCLE, timedelta(minutes=5), "a timedelta is not a cycle"),
    ],
)
def test_wrong_value_types_are_rejected(
    kind: TimerKind, value: datetime | timedelta, reason: str
) -> None:
    """A value of the wrong type for the kind is a TimerSpecError naming the type."""
    with pytest.raises(TimerSpecError, match=reason):
        parse_timer(kind, value)


def test_timer_spec_error_is_an_expression_error() -> None:
    """TimerSpecError is caught by handlers of ExpressionError and keeps the text."""
    with pytest.raises(ExpressionError) as caught:
        parse_timer("timeCycle", "R3/PT5X")
    assert isinstance(caught.value, TimerSpecError)
    assert caught.value.expression == "R3/PT5X"
