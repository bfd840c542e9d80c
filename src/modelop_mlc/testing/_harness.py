"""`ProcessHarness`: drive MLC processes in tests, with time travel and no real waiting.

Time travel follows Temporal's time-skipping test environment (`env.sleep()`): the harness
moves the manager's `ManualClock` from one due timer or job to the next and runs what is due
at each stop, so a month of daily monitoring timers fires 30 times, in order, in milliseconds.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, Unpack

from modelop_mlc import (
    Deployment,
    HistoryEvent,
    LifecycleManager,
    ManualClock,
    MessageResult,
    ProcessInstance,
    SignalResult,
    UserTask,
)
from modelop_mlc.manager import Source
from modelop_mlc.testing._assertions import (
    InstanceAssert,
    InstanceRef,
    describe_instance,
    path_of,
)
from modelop_mlc.testing._options import DeployOptions, StartOptions
from modelop_mlc.testing._scenario import Scenario

__all__ = ["InstanceRef", "ProcessHarness", "packaged_diagrams", "resolve_sources"]

_DEFAULT_MAX_STEPS = 100_000


class ProcessHarness:
    """Drives a `LifecycleManager` in tests: starts, user tasks, time travel and assertions.

    Every step goes through the manager, so each one is saved to and reloaded from the store,
    as in production.

    Args:
        manager: The manager under test.
        clock: Its clock; by default `manager.clock`, which must be a `ManualClock`.
        diagram_dirs: Folders `deploy()` searches for relative file names (before the
            packaged diagrams).

    Raises:
        TypeError: If the manager's clock cannot be moved by hand.

    Example:
        >>> harness = ProcessHarness(manager)  # doctest: +SKIP
        >>> pi = harness.start("monitoring")  # doctest: +SKIP
        >>> harness.advance(timedelta(days=30))  # doctest: +SKIP
        >>> harness.assert_that(pi).is_ended()  # doctest: +SKIP
    """

    def __init__(
        self,
        manager: LifecycleManager,
        clock: ManualClock | None = None,
        *,
        diagram_dirs: Sequence[str | Path] = (),
    ) -> None:
        """Bind the harness to a manager and its clock."""
        if clock is None:
            if not isinstance(manager.clock, ManualClock):
                raise TypeError(
                    "ProcessHarness needs a manager with a ManualClock: "
                    "LifecycleManager.open(..., clock=ManualClock())"
                )
            clock = manager.clock
        self.manager = manager
        self.clock = clock
        self.diagram_dirs = [Path(d) for d in diagram_dirs]
        self._scenarios: list[Scenario] = []

    def __repr__(self) -> str:
        """Describe the harness."""
        return f"ProcessHarness({self.manager!r})"

    def __enter__(self) -> Self:
        """Use the harness as a context manager (closing its scenarios on exit)."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the harness."""
        self.close()

    def close(self) -> None:
        """Restore the delegates every scenario of this harness replaced."""
        while self._scenarios:
            self._scenarios.pop().close()

    # ------------------------------------------------------------------ driving

    def now(self) -> datetime:
        """The harness's current time."""
        return self.clock.now()

    def deploy(
        self, *sources: Source | Traversable, **options: Unpack[DeployOptions]
    ) -> Deployment:
        """Deploy files by name (see `resolve_sources`), XML text or `(name, content)` pairs.

        Args:
            sources: What to deploy.
            options: Passed on to `LifecycleManager.deploy` (`name`, `applies_to`, ...).

        Raises:
            FileNotFoundError: If a file name is found nowhere.
            modelop_mlc.DiagramError: If a diagram has problems.
        """
        return self.manager.deploy(*resolve_sources(sources, self.diagram_dirs), **options)

    def start(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        **options: Unpack[StartOptions],
    ) -> ProcessInstance:
        """Start an instance (see `LifecycleManager.start`)."""
        return self.manager.start(key, variables, **options)

    def signal(self, name: str, variables: Mapping[str, Any] | None = None) -> SignalResult:
        """Broadcast a signal (see `LifecycleManager.signal`)."""
        return self.manager.signal(name, variables)

    def message(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
    ) -> MessageResult:
        """Correlate a message to exactly one receiver (see `LifecycleManager.message`)."""
        return self.manager.message(
            name, variables, business_key=business_key, correlation_keys=correlation_keys
        )

    def message_all(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
    ) -> list[MessageResult]:
        """Correlate a message to every receiver (see `LifecycleManager.message_all`)."""
        return self.manager.message_all(
            name, variables, business_key=business_key, correlation_keys=correlation_keys
        )

    def instance(self, instance: InstanceRef) -> ProcessInstance:
        """Re-read an instance from the store."""
        return self.manager.instance(_id(instance))

    def history(self, instance: InstanceRef) -> list[HistoryEvent]:
        """An instance's history, in order."""
        return self.manager.history(_id(instance), limit=None)

    def path(self, instance: InstanceRef) -> list[str]:
        """The activity ids an instance entered, in order."""
        return path_of(self.history(instance))

    def tasks(
        self, instance: InstanceRef | None = None, activity_id: str | None = None
    ) -> list[UserTask]:
        """Open user tasks, of one instance and one activity if given."""
        tasks = self.manager.tasks(
            instance_id=None if instance is None else _id(instance), limit=None
        )
        return [t for t in tasks if activity_id is None or t.activity_id == activity_id]

    def task(self, instance: InstanceRef, activity_id: str | None = None) -> UserTask:
        """The one open user task of `instance` (at `activity_id`, if given).

        Raises:
            AssertionError: If there is no such task, or several, saying where the instance is.
        """
        tasks = self.tasks(instance, activity_id)
        if len(tasks) != 1:
            current = self.instance(instance)
            wanted = f"'{activity_id}'" if activity_id else "a single"
            raise AssertionError(
                f"expected instance {current.id} ({current.key} v{current.version}) to have "
                f"{wanted} open user task, but it has "
                f"{[t.activity_id for t in self.tasks(instance)]}\n"
                + describe_instance(self.manager, current)
            )
        return tasks[0]

    def complete(
        self,
        instance: InstanceRef,
        activity_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> ProcessInstance:
        """Complete the open user task `activity_id` of `instance` with `variables`.

        Raises:
            AssertionError: If no such task is open.
            modelop_mlc.VariableError: If the variables break the task's form.
        """
        return self.manager.complete_task(self.task(instance, activity_id).id, variables)

    # ------------------------------------------------------------------ time travel

    def run_due(self) -> int:
        """Run the timers and jobs due now, without moving the clock; return how many ran."""
        return self.manager.run_due()

    def advance(self, delta: timedelta, *, max_steps: int = _DEFAULT_MAX_STEPS) -> int:
        """Move time forward by `delta`, firing every timer and job due on the way, in order.

        The clock stops at each due time in between and runs what is due there, so what one
        firing schedules (the next daily timer, a retry) fires too if it falls before the end.

        Args:
            delta: How far to travel.
            max_steps: Stops to make at most before giving up.

        Returns:
            How many timers and jobs ran.

        Raises:
            ValueError: If `delta` is negative.
            AssertionError: If more than `max_steps` stops were needed (a zero-length cycle).
        """
        if delta < timedelta(0):
            raise ValueError(f"cannot travel back in time (advance by {delta})")
        return self.advance_to(self.now() + delta, max_steps=max_steps)

    def advance_to(self, moment: datetime, *, max_steps: int = _DEFAULT_MAX_STEPS) -> int:
        """Move time forward to `moment`, firing what falls due on the way (see `advance`).

        Raises:
            ValueError: If `moment` lies in the past.
            AssertionError: If more than `max_steps` stops were needed.
        """
        if moment < self.now():
            raise ValueError(f"cannot travel back in time from {self.now()} to {moment}")
        ran = self.manager.run_due()
        for _ in range(max_steps):
            due = self.manager.next_due()
            if due is None or due > moment:
                break
            count, moved = self._step_to(due)
            ran += count
            if not moved:
                break
        else:
            raise self._too_many_steps(max_steps, f"travelling to {moment.isoformat()}")
        self.clock.set(moment)
        return ran + self.manager.run_due()

    def advance_to_next_timer(self) -> datetime | None:
        """Jump to the next due timer or job and run what is due then.

        Returns:
            The new time, or None (and the clock stays) if nothing is scheduled.
        """
        due = self.manager.next_due()
        if due is None:
            return None
        self._step_to(due)
        return self.now()

    def run_until_idle(self, max_steps: int = 1000, *, horizon: timedelta | None = None) -> int:
        """Jump from one due timer or job to the next until nothing is scheduled.

        Args:
            max_steps: Jumps to make at most; a timer cycle without end never lets the
                processes rest, so this bounds the run.
            horizon: Stop before anything due later than now + `horizon`.

        Returns:
            How many timers and jobs ran.

        Raises:
            AssertionError: If the processes are still busy after `max_steps` jumps, listing
                what is scheduled.
        """
        limit = None if horizon is None else self.now() + horizon
        ran = self.manager.run_due()
        for _ in range(max_steps):
            due = self.manager.next_due()
            if due is None or (limit is not None and due > limit):
                return ran
            count, moved = self._step_to(due)
            ran += count
            if not moved:
                return ran
        if self.manager.next_due() is None:
            return ran
        raise self._too_many_steps(max_steps, "running until idle")

    def scheduled(self) -> list[tuple[datetime, str]]:
        """What is scheduled, earliest first: `(due time, description)` of timers and jobs."""
        store = self.manager.store
        items: list[tuple[datetime, str]] = []
        for timer in store.timers():
            owner = f"instance {timer.instance_id}" if timer.instance_id else "start event"
            items.append(
                (datetime.fromisoformat(timer.due_at), f"timer '{timer.activity_id}' ({owner})")
            )
        for job in store.jobs():
            if job.status == "pending":
                items.append(
                    (
                        datetime.fromisoformat(job.due_at),
                        f"job '{job.activity_id}' (instance {job.instance_id})",
                    )
                )
        return sorted(items)

    def _step_to(self, due: datetime) -> tuple[int, bool]:
        """Move to `due` (if ahead) and run what is due.

        Returns:
            How many ran, and whether time moved or work ran.
        """
        ahead = due > self.now()
        if ahead:
            self.clock.set(due)
        ran = self.manager.run_due()
        # Due work that did not run is leased by another worker: stopping here avoids a spin.
        return ran, ran > 0 or ahead

    def _too_many_steps(self, max_steps: int, doing: str) -> AssertionError:
        upcoming = "; ".join(f"{when.isoformat()} {what}" for when, what in self.scheduled()[:5])
        return AssertionError(
            f"still busy after {max_steps} time-travel steps {doing} (now "
            f"{self.now().isoformat()}); next scheduled: {upcoming or 'nothing'}. A timer cycle "
            "without end or a delegate that keeps waiting never lets the processes rest: "
            "pass a horizon or a larger max_steps"
        )

    # ------------------------------------------------------------------ checks and scenarios

    def assert_that(self, instance: InstanceRef) -> InstanceAssert:
        """Start an assertion chain on an instance of this harness's manager."""
        return InstanceAssert(self.manager, _id(instance))

    def scenario(self) -> Scenario:
        """Start declaring a scenario: what each user task, delegate and ticket answers."""
        return Scenario(self)

    def _adopt(self, scenario: Scenario) -> None:
        """Close `scenario` with the harness."""
        self._scenarios.append(scenario)


def _id(instance: InstanceRef) -> str:
    return instance if isinstance(instance, str) else instance.id


# ---------------------------------------------------------------------- finding diagrams


def packaged_diagrams() -> Traversable | None:
    """The folder of diagrams shipped inside the package (`modelop_mlc/_bpmn`), if any."""
    folder = importlib.resources.files("modelop_mlc").joinpath("_bpmn")
    return folder if folder.is_dir() else None


def resolve_sources(
    sources: Iterable[Source | Traversable], search_dirs: Sequence[Path]
) -> list[Source]:
    """Turn file names into paths; pass XML text, bytes and `(name, content)` pairs through.

    A relative name is looked up in each of `search_dirs`, then among the packaged diagrams.

    Raises:
        FileNotFoundError: Naming every place searched.
    """
    resolved: list[Source] = []
    for source in sources:
        if isinstance(source, str) and source.lstrip().startswith("<"):
            resolved.append(source)
        elif isinstance(source, str | Path):
            resolved.append(_find(Path(source), search_dirs))
        elif isinstance(source, Traversable):
            resolved.append((source.name, source.read_bytes()))
        else:
            resolved.append(source)
    return resolved


def _find(name: Path, search_dirs: Sequence[Path]) -> Source:
    if name.is_absolute():
        if name.is_file():
            return name
        raise FileNotFoundError(f"no diagram at {name}")
    for folder in search_dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    packaged = packaged_diagrams()
    if packaged is not None:
        entry: Traversable = packaged
        for part in name.parts:
            entry = entry.joinpath(part)
        if entry.is_file():
            return (name.name, entry.read_bytes())
    places = [str(d) for d in search_dirs] + (
        ["the packaged diagrams (modelop_mlc/_bpmn)"] if packaged is not None else []
    )
    available = sorted(p.name for p in packaged.iterdir()) if packaged is not None else []
    hint = f"; packaged: {', '.join(available)}" if available else ""
    raise FileNotFoundError(f"no diagram '{name}' in {', '.join(places) or 'nowhere'}{hint}")
