"""Time, injected: every timestamp and timer in `modelop_mlc` comes from a `Clock`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SkippingClock", "SystemClock", "ensure_utc"]


@runtime_checkable
class Clock(Protocol):
    """Anything with `now()` returning a timezone-aware UTC `datetime`."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock. The default outside tests."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        """Describe the clock."""
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to; for tests and time travel.

    Args:
        start: The initial time; naive datetimes are taken as UTC. Defaults to
            2026-01-01T00:00:00Z.
    """

    def __init__(self, start: datetime | None = None) -> None:
        """Create the clock at `start`."""
        self._now = ensure_utc(start or datetime(2026, 1, 1, tzinfo=UTC))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's current time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` and return the new time.

        Raises:
            ValueError: If `delta` is negative: time never runs backwards.
        """
        if delta < timedelta(0):
            raise ValueError(f"cannot move a clock backwards (advance by {delta})")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> datetime:
        """Move the clock to `moment` (not earlier than now) and return it.

        Raises:
            ValueError: If `moment` is earlier than the current time.
        """
        moment = ensure_utc(moment)
        with self._lock:
            if moment < self._now:
                raise ValueError(f"cannot move a clock backwards from {self._now} to {moment}")
            self._now = moment
            return self._now

    def __repr__(self) -> str:
        """Describe the clock and its time."""
        return f"ManualClock({self._now.isoformat()})"


class SkippingClock:
    """Real time that can also jump ahead: for demos and simulations.

    Work takes the time it really takes, and `skip(timedelta(days=2))` stands in for days
    nobody wants to wait through (a reviewer's approval, a weekly schedule).

    Args:
        base: The clock it runs on (the wall clock by default).
    """

    def __init__(self, base: Clock | None = None) -> None:
        """Start with no offset."""
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the base clock's time plus everything skipped."""
        with self._lock:
            return self._base.now() + self._offset

    def skip(self, delta: timedelta) -> datetime:
        """Jump ahead by `delta` and return the new time.

        Raises:
            ValueError: If `delta` is negative.
        """
        if delta < timedelta(0):
            raise ValueError(f"cannot skip backwards ({delta})")
        with self._lock:
            self._offset += delta
        return self.now()

    def __repr__(self) -> str:
        """Describe the clock and how far it has skipped."""
        return f"SkippingClock(skipped={self._offset})"


def ensure_utc(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime; naive values are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
