"""The timer model: the three timer kinds, the `TimerSchedule` interface and timer-text errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from enum import StrEnum

from modelop_mlc.errors import ExpressionError

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


def _nested(part: str, what: str, bad: _BadSpecError) -> str:
    return f"{part!r} is not a valid {what}" + (f": {bad.reason}" if bad.reason else "")


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
