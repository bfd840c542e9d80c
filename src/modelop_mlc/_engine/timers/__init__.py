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

The package splits by job: `_model` holds the kinds, the `TimerSchedule` interface and the
errors; `_durations` ISO 8601 durations, dates and retry cycles; `_schedules` the date, duration
and repeating-interval schedules; `_cron` Quartz and Unix cron; `_parse` the `parse_timer` entry
point and the repeating-interval grammar.
"""

from __future__ import annotations

from modelop_mlc._engine.timers._cron import CronSchedule
from modelop_mlc._engine.timers._durations import (
    Duration,
    parse_datetime,
    parse_duration,
    parse_retry_cycle,
)
from modelop_mlc._engine.timers._model import TimerKind, TimerSchedule, TimerSpecError
from modelop_mlc._engine.timers._parse import parse_timer
from modelop_mlc._engine.timers._schedules import CycleSchedule, DateSchedule, DurationSchedule

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
