"""Scenarios: declare up front what every wait state answers, then run the process to its end.

Modelled on camunda-platform-scenario: `when(process.waitsAtUserTask("X")).thenReturn(...)`
becomes `scenario.at("X").complete({...})`, and its `defer("P2D", ...)` becomes
`complete_after(timedelta(days=2), {...})`. The run loop completes waiting user tasks, moves
tickets and, when nothing else can happen, travels to the next due timer or job, until every
followed instance has ended. When it gets stuck it says where, and which answers it never used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any, NoReturn, Protocol, Self, Unpack

from modelop_mlc import (
    BpmnError,
    DelegateContext,
    DelegateEntry,
    LifecycleManager,
    ProcessInstance,
    SignalResult,
    TaskNotFoundError,
)
from modelop_mlc.testing._assertions import InstanceRef, describe_instance
from modelop_mlc.testing._options import StartOptions
from modelop_mlc.tickets import LocalTickets, Tickets

__all__ = ["DelegateAnswers", "Driver", "Scenario", "TicketAnswers", "UserTaskAnswers"]


class Driver(Protocol):
    """What a scenario drives (`ProcessHarness` is one)."""

    manager: LifecycleManager

    def now(self) -> datetime:
        """The current time."""
        ...

    def start(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        **options: Unpack[StartOptions],
    ) -> ProcessInstance:
        """Start an instance."""
        ...

    def signal(self, name: str, variables: Mapping[str, Any] | None = None) -> SignalResult:
        """Broadcast a signal."""
        ...

    def instance(self, instance: InstanceRef) -> ProcessInstance:
        """Re-read an instance."""
        ...

    def _step_to(self, due: datetime) -> tuple[int, bool]:
        """Move time to `due` and run what is due; (how many ran, whether time moved)."""
        ...

    def _adopt(self, scenario: Scenario) -> None:
        """Close `scenario` together with the driver."""
        ...


# Ticket statuses after which nobody moves a ticket any more (`modelop_mlc.tickets.DONE`, ...).
_CLOSED = ("Done", "Rejected")


def _show(variables: Mapping[str, Any] | None) -> str:
    return "" if not variables else repr(dict(variables))


# ---------------------------------------------------------------------- answers


@dataclass(frozen=True)
class _TaskAnswer:
    variables: Mapping[str, Any]
    delay: timedelta | None

    def describe(self, activity_id: str) -> str:
        if self.delay is None:
            return f"at('{activity_id}').complete({_show(self.variables)})"
        return f"at('{activity_id}').complete_after({self.delay!r}, {_show(self.variables)})"


class UserTaskAnswers:
    """How a user task is completed each time the scenario finds it open.

    Answers are used in the order declared, one per visit; the last one repeats.

    Args:
        activity_id: The user task's element id.
    """

    def __init__(self, activity_id: str) -> None:
        """Create an empty answer list."""
        self.activity_id = activity_id
        self.visits = 0
        self._answers: list[_TaskAnswer] = []

    def __repr__(self) -> str:
        """Describe the answers."""
        return f"UserTaskAnswers({self.activity_id!r}, answers={len(self._answers)})"

    def complete(self, variables: Mapping[str, Any] | None = None) -> Self:
        """Complete the task at once with `variables`."""
        self._answers.append(_TaskAnswer(dict(variables or {}), None))
        return self

    def complete_after(self, delay: timedelta, variables: Mapping[str, Any] | None = None) -> Self:
        """Complete the task `delay` after it opened; timers due meanwhile fire first.

        Raises:
            ValueError: If `delay` is negative.
        """
        if delay < timedelta(0):
            raise ValueError(f"a task cannot be completed before it opens (delay {delay})")
        self._answers.append(_TaskAnswer(dict(variables or {}), delay))
        return self

    def _next(self) -> _TaskAnswer | None:
        if not self._answers:
            return None
        answer = self._answers[min(self.visits, len(self._answers) - 1)]
        self.visits += 1
        return answer

    def _unused(self) -> list[str]:
        return [a.describe(self.activity_id) for a in self._answers[self.visits :]]


@dataclass(frozen=True)
class _DelegateAnswer:
    variables: Mapping[str, Any] | None = None
    error: BaseException | None = None
    label: str = ""


class DelegateAnswers:
    """What a delegate does each time a service task calls it during the scenario.

    Answers are used in the order declared, one per call (retries included); the last one
    repeats. With no answer the delegate returns nothing.

    Args:
        name: The delegate name.

    Attributes:
        calls: The context of every call, in order.
    """

    def __init__(self, name: str) -> None:
        """Create an empty answer list."""
        self.name = name
        self.calls: list[DelegateContext] = []
        self._answers: list[_DelegateAnswer] = []

    def __repr__(self) -> str:
        """Describe the answers."""
        return f"DelegateAnswers({self.name!r}, answers={len(self._answers)})"

    def returns(self, variables: Mapping[str, Any] | None = None) -> Self:
        """Return `variables` (set on the instance)."""
        values = dict(variables or {})
        self._answers.append(_DelegateAnswer(values, None, f"returns({_show(values)})"))
        return self

    def raises_bpmn_error(self, code: str, message: str = "") -> Self:
        """Raise `BpmnError(code, message)`: an error boundary event catches it."""
        label = f"raises_bpmn_error({code!r}, {message!r})"
        self._answers.append(_DelegateAnswer(None, BpmnError(code, message), label))
        return self

    def raises(self, error: BaseException) -> Self:
        """Raise `error`: the job is retried, then becomes an incident."""
        self._answers.append(_DelegateAnswer(None, error, f"raises({error!r})"))
        return self

    def __call__(self, context: DelegateContext, /) -> Mapping[str, Any] | None:
        """Answer one call."""
        self.calls.append(context)
        if not self._answers:
            return None
        answer = self._answers[min(len(self.calls), len(self._answers)) - 1]
        if answer.error is not None:
            raise answer.error
        return answer.variables

    def _unused(self) -> list[str]:
        return [f"delegate('{self.name}').{a.label}" for a in self._answers[len(self.calls) :]]


@dataclass(frozen=True)
class _TicketAnswer:
    status: str
    fields: Mapping[str, Any]
    delay: timedelta | None

    def describe(self, kind: str) -> str:
        extra = f", fields={dict(self.fields)!r}" if self.fields else ""
        if self.delay is None:
            return f"ticket(kind='{kind}').moves_to('{self.status}'{extra})"
        return f"ticket(kind='{kind}').moves_to_after({self.delay!r}, '{self.status}'{extra})"


class TicketAnswers:
    """How tickets of one kind move on the local ticket board during the scenario.

    Each new ticket of the kind takes the next answer in the order declared; the last repeats.

    Args:
        kind: The ticket kind (a `modelop_mlc.tickets.TicketKind` value such as
            `"model_approval"`; delegates also write it in `NEW_NOTIFICATION["kind"]`).
        system: The ticket system; only the embedded `"local"` board can be moved.

    Attributes:
        moved: The keys of the tickets moved so far.
    """

    def __init__(self, kind: str, system: str = "local") -> None:
        """Create an empty answer list."""
        self.kind = kind
        self.system = system
        self.moved: list[str] = []
        self._answers: list[_TicketAnswer] = []
        self._assigned = 0

    def __repr__(self) -> str:
        """Describe the answers."""
        return f"TicketAnswers(kind={self.kind!r}, answers={len(self._answers)})"

    def moves_to(self, status: str, fields: Mapping[str, Any] | None = None) -> Self:
        """Move the ticket to `status` at once, setting `fields`."""
        self._answers.append(_TicketAnswer(status, dict(fields or {}), None))
        return self

    def moves_to_after(
        self, delay: timedelta, status: str, fields: Mapping[str, Any] | None = None
    ) -> Self:
        """Move the ticket to `status` `delay` after it was found; timers due meanwhile fire.

        Raises:
            ValueError: If `delay` is negative.
        """
        if delay < timedelta(0):
            raise ValueError(f"a ticket cannot move before it exists (delay {delay})")
        self._answers.append(_TicketAnswer(status, dict(fields or {}), delay))
        return self

    def _peek(self) -> _TicketAnswer | None:
        if not self._answers:
            return None
        return self._answers[min(self._assigned, len(self._answers) - 1)]

    def _unused(self) -> list[str]:
        return [a.describe(self.kind) for a in self._answers[self._assigned :]]


# ---------------------------------------------------------------------- the scenario


@dataclass
class _Override:
    names: list[str]
    previous: DelegateEntry | None


@dataclass(order=True)
class _Deferred:
    due: datetime
    label: str
    action: Callable[[], object] = field(compare=False)


class Scenario:
    """Declares what user tasks, delegates and tickets answer, then runs instances to the end.

    Delegate answers replace the registered delegates at once (so deploying with delegate
    checks passes) and the originals come back when the scenario is closed: by the harness at
    the end of the test, or on leaving a `with` block.

    Args:
        harness: The harness driving the manager.

    Example:
        >>> scenario = harness.scenario()  # doctest: +SKIP
        >>> scenario.at("approve").complete({"reviewResult": "APPROVED"})  # doctest: +SKIP
        >>> scenario.delegate("DeployModel").returns({"DEPLOYED": True})  # doctest: +SKIP
        >>> scenario.start("model_review")  # doctest: +SKIP
        >>> harness.assert_that(scenario.run()).has_passed("deploy")  # doctest: +SKIP
    """

    def __init__(self, harness: Driver) -> None:
        """Create an empty scenario on `harness`."""
        self._harness = harness
        self._tasks: dict[str, UserTaskAnswers] = {}
        self._delegates: dict[str, DelegateAnswers] = {}
        self._tickets: list[TicketAnswers] = []
        self._overrides: list[_Override] = []
        self._followed: list[str] = []
        self._seen_tasks: set[str] = set()
        self._seen_tickets: set[str] = set()
        self._deferred: list[_Deferred] = []
        self.steps = 0
        """How many actions and time jumps the last `run()` took."""
        harness._adopt(self)

    def __repr__(self) -> str:
        """Describe the scenario."""
        return (
            f"Scenario(tasks={sorted(self._tasks)}, delegates={sorted(self._delegates)}, "
            f"tickets={[t.kind for t in self._tickets]})"
        )

    def __enter__(self) -> Self:
        """Use the scenario in a `with` block; its delegates are restored on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Restore the replaced delegates."""
        self.close()

    # ------------------------------------------------------------------ declaring

    def at(self, activity_id: str) -> UserTaskAnswers:
        """Declare what the user task `activity_id` answers."""
        return self._tasks.setdefault(activity_id, UserTaskAnswers(activity_id))

    def delegate(self, name: str, *, asynchronous: bool | None = None) -> DelegateAnswers:
        """Replace the delegate `name` (and its aliases) with declared answers.

        Args:
            name: The delegate name a service task uses.
            asynchronous: Run it as a job; by default as the replaced delegate did (inline
                when there was none).
        """
        found = self._delegates.get(name)
        if found is not None:
            return found
        registry = self._harness.manager.registry
        previous = registry.resolve((name,))
        names = [name]
        if previous is not None:
            names += [
                n for n in registry.names() if n != name and registry.resolve((n,)) is previous
            ]
        answers = DelegateAnswers(name)
        if asynchronous is None:
            asynchronous = previous.asynchronous if previous is not None else False
        registry.register(
            name,
            answers,
            asynchronous=asynchronous,
            aliases=names[1:],
            replace=True,
            description=f"scenario answers for {name}",
        )
        self._overrides.append(_Override(names, previous))
        self._delegates[name] = answers
        return answers

    def ticket(self, *, kind: str, system: str = "local") -> TicketAnswers:
        """Declare how open tickets of `kind` move on the embedded ticket board.

        A moved ticket wakes the delegates waiting on it (`ticket:local:<key>`).

        Raises:
            ValueError: For a system other than `"local"`: Jira and ServiceNow tickets move
                in `mlc_fake_jira` / `mlc_fake_servicenow`.
        """
        if system != "local":
            raise ValueError(
                f"scenarios move tickets on the embedded board only, not in '{system}'; "
                "move them in the fake instead (mlc_fake_jira.transition(...))"
            )
        for answers in self._tickets:
            if answers.kind == kind and answers.system == system:
                return answers
        answers = TicketAnswers(kind, system)
        self._tickets.append(answers)
        return answers

    # ------------------------------------------------------------------ starting

    def start(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        **options: Unpack[StartOptions],
    ) -> ProcessInstance:
        """Start an instance of `key` and follow it (see `LifecycleManager.start`)."""
        instance = self._harness.start(key, variables, **options)
        self._followed.append(instance.id)
        return instance

    def signal(self, name: str, variables: Mapping[str, Any] | None = None) -> SignalResult:
        """Broadcast a signal and follow every instance it starts."""
        result = self._harness.signal(name, variables)
        self._followed.extend(i for i in result.started if i not in self._followed)
        return result

    def follow(self, *instances: InstanceRef) -> Self:
        """Follow instances started some other way."""
        for instance in instances:
            instance_id = instance if isinstance(instance, str) else instance.id
            if instance_id not in self._followed:
                self._followed.append(instance_id)
        return self

    @property
    def instances(self) -> list[ProcessInstance]:
        """The followed instances, as stored now."""
        return [self._harness.instance(i) for i in self._followed]

    # ------------------------------------------------------------------ running

    def run(self, max_steps: int = 1000, *, until: str | None = None) -> ProcessInstance:
        """Answer waits and travel in time until every followed instance has ended.

        Each step completes one waiting user task, moves one ticket, or, when nothing else
        can happen, jumps to the next due timer, job or deferred answer and runs it.

        Args:
            max_steps: Steps to take at most.
            until: Stop early, once a followed instance, or an instance it called, waits at
                this activity.

        Returns:
            The first followed instance (or the one waiting at `until`), as stored now.

        Raises:
            ValueError: If no instance is followed.
            AssertionError: If the run gets stuck or takes more than `max_steps` steps,
                saying where each instance is and which answers were never used.
        """
        if not self._followed:
            raise ValueError("nothing to run: call start(), signal() or follow() first")
        harness = self._harness
        self.steps = 0
        while True:
            current = self.instances
            if until is not None:
                # The activity may be in an instance a followed one called (a call activity).
                for instance in _with_called(harness.manager, current):
                    if until in instance.waiting_at:
                        return instance
            running = [i for i in current if not i.ended]
            if not running:
                return current[0]
            if self.steps >= max_steps:
                self._stuck(running, f"it did not finish within {max_steps} steps")
            self.steps += 1
            if self._act(running):
                continue
            due = self._next_moment()
            if due is None:
                self._stuck(running, "no declared answer applies and nothing is scheduled")
            _, moved = harness._step_to(due)
            if not moved:
                self._stuck(running, "the work due now is held by another worker")

    def unused(self) -> list[str]:
        """The declared answers no run has used yet."""
        found: list[str] = []
        for tasks in self._tasks.values():
            found += tasks._unused()
        for delegate in self._delegates.values():
            found += delegate._unused()
        for tickets in self._tickets:
            found += tickets._unused()
        return found

    def close(self) -> None:
        """Give the replaced delegates back their original functions."""
        registry = self._harness.manager.registry
        while self._overrides:
            override = self._overrides.pop()
            previous = override.previous
            if previous is None:
                # A registry cannot forget a name; leave one that says what happened.
                registry.register(override.names[0], _retired(override.names[0]), replace=True)
                continue
            registry.register(
                previous.name,
                previous.function,
                asynchronous=previous.asynchronous,
                aliases=[n for n in override.names if n != previous.name],
                replace=True,
                description=previous.description,
                builtin=previous.builtin,
            )
        self._delegates.clear()

    # ------------------------------------------------------------------ one step

    def _act(self, running: list[ProcessInstance]) -> bool:
        """Do one thing that can happen now; False if nothing can."""
        now = self._harness.now()
        self._deferred.sort()
        if self._deferred and self._deferred[0].due <= now:
            self._deferred.pop(0).action()
            return True
        manager = self._harness.manager
        for instance in _with_called(manager, running):
            for task in manager.tasks(instance_id=instance.id, limit=None):
                answers = self._tasks.get(task.activity_id)
                if task.id in self._seen_tasks or answers is None:
                    continue
                self._seen_tasks.add(task.id)
                answer = answers._next()
                if answer is None:
                    continue
                task_id, values = task.id, dict(answer.variables)
                if answer.delay is None:
                    manager.complete_task(task_id, values)
                    return True
                action = partial(self._complete_if_open, task_id, values)
                self._deferred.append(_Deferred(now + answer.delay, f"task {task_id}", action))
                return True
        return self._move_tickets(now)

    def _complete_if_open(self, task_id: str, variables: dict[str, Any]) -> None:
        manager = self._harness.manager
        # The task may have closed meanwhile (an interrupting timer took another path).
        try:
            manager.task(task_id)
        except TaskNotFoundError:
            return
        manager.complete_task(task_id, variables)

    def _move_tickets(self, now: datetime) -> bool:
        if not self._tickets:
            return False
        manager = self._harness.manager
        board = _local_board(manager)
        for answers in self._tickets:
            for key, status in _open_tickets(board, answers.kind):
                if key in self._seen_tickets:
                    continue
                answer = answers._peek()
                if answer is None:
                    break
                self._seen_tickets.add(key)
                if status == answer.status:
                    continue
                answers._assigned += 1
                action = _ticket_move(manager, board, answers, key, answer)
                if answer.delay is None:
                    action()
                else:
                    self._deferred.append(_Deferred(now + answer.delay, f"ticket {key}", action))
                return True
        return False

    def _next_moment(self) -> datetime | None:
        times = [d.due for d in self._deferred]
        due = self._harness.manager.next_due()
        if due is not None:
            times.append(due)
        return min(times) if times else None

    def _stuck(self, running: list[ProcessInstance], why: str) -> NoReturn:
        manager = self._harness.manager
        parts = [f"scenario stuck: {why}"]
        for instance in _with_called(manager, running):
            parts.append(
                f"instance {instance.id} ({instance.key} v{instance.version}) waits at "
                f"{list(instance.waiting_at)} (status {instance.status})\n"
                + describe_instance(manager, instance)
            )
        unused = self.unused()
        parts.append(f"answers never used: {', '.join(unused) if unused else 'none'}")
        raise AssertionError("\n".join(parts))


# ---------------------------------------------------------------------- tickets


def _with_called(
    manager: LifecycleManager, instances: list[ProcessInstance]
) -> list[ProcessInstance]:
    """`instances` and the running instances their call activities started, down the chain.

    A call activity starts a separate instance (as in Camunda 7); a scenario answers the
    waits of the instances it follows and of those they call.
    """
    found = list(instances)
    for instance in found:
        found += [
            c for c in manager.instances(super_instance_id=instance.id, limit=None) if not c.ended
        ]
    return found


def _local_board(manager: LifecycleManager) -> LocalTickets:
    """The embedded ticket board (`manager.tickets.local`)."""
    # A test may have taken the manager's tickets away to see this message.
    board = manager.tickets.local if isinstance(manager.tickets, Tickets) else None
    if not isinstance(board, LocalTickets):
        raise AssertionError(  # noqa: TRY004 - a failed scenario, as pytest reports it
            "scenario.ticket(...) moves tickets on the embedded board, but this manager has "
            "none: open it with tickets=Tickets(LocalTickets(store, clock))"
        )
    return board


def _open_tickets(board: LocalTickets, kind: str) -> list[tuple[str, str]]:
    """`(key, status)` of the board's tickets of `kind` that are neither done nor rejected."""
    return [
        (ticket.key, ticket.status)
        for ticket in board.list(kind=kind)
        if not ticket.has_status(*_CLOSED)
    ]


def _ticket_move(
    manager: LifecycleManager,
    board: LocalTickets,
    answers: TicketAnswers,
    key: str,
    answer: _TicketAnswer,
) -> Callable[[], None]:
    def move() -> None:
        board.transition(key, answer.status, fields=dict(answer.fields))
        answers.moved.append(key)
        manager.wake(f"ticket:local:{key}")

    return move


def _retired(name: str) -> Callable[[DelegateContext], Mapping[str, Any] | None]:
    def retired(context: DelegateContext, /) -> Mapping[str, Any] | None:
        raise RuntimeError(
            f"delegate '{name}' was only answered by a scenario that has been closed "
            f"(called by {context.activity_id})"
        )

    return retired
