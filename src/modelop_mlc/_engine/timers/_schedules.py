"""The ISO 8601 schedules: a fixed date, a delay, and a repeating interval (`R3/PT30S`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from modelop_mlc._engine.timers._durations import Duration
from modelop_mlc._engine.timers._model import TimerKind, TimerSchedule, _iso
from modelop_mlc.clock import ensure_utc

_ONE_MICROSECOND = timedelta(microseconds=1)


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
