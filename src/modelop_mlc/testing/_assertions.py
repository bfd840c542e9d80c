"""Fluent assertions on process instances, in the style of camunda-bpm-assert.

`assert_that(instance)` re-reads the instance from the store on every check, so a chain such as
`assert_that(pi).is_waiting_at("approve").has_passed("run_test")` always sees the current state.
A failed check raises `AssertionError` with a picture of where the instance really is: its
status, the activities it waits at, the path it took, its open incidents and its variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, Self

from modelop_mlc import (
    HistoryEvent,
    Incident,
    InstanceNotFoundError,
    LifecycleManager,
    ProcessInstance,
    UserTask,
)

__all__ = [
    "InstanceAssert",
    "InstanceRef",
    "TaskAssert",
    "assert_that",
    "bound_manager",
    "describe_instance",
    "passed_ids",
    "path_of",
]

InstanceRef = ProcessInstance | str
"""A process instance or its id."""

# A fired timer counts as passed: non-interrupting timers record only `timer_fired`.
_PASSING = frozenset({"activity_end", "flow_taken", "timer_fired"})
_PATH_HEAD = 12
_PATH_TAIL = 12
_VALUE_WIDTH = 80
_MAX_VARIABLES = 12

# Managers the plugin's fixtures have opened for the running test, newest last. Only
# `assert_that(instance)` without `manager=` reads it, so that camunda-bpm-assert's one-argument
# form works inside a test; nothing else in the library looks here.
_bound: list[LifecycleManager] = []


@contextmanager
def bound_manager(manager: LifecycleManager) -> Iterator[LifecycleManager]:
    """Let `assert_that` find instances of `manager` without being told (fixtures use this)."""
    _bound.append(manager)
    try:
        yield manager
    finally:
        _bound.remove(manager)


def assert_that(
    instance: ProcessInstance | str, manager: LifecycleManager | None = None
) -> InstanceAssert:
    """Start an assertion chain on a process instance (or its id).

    Args:
        instance: The instance, or its id.
        manager: The manager that runs it. Inside a test that uses the `mlc_manager` (or
            `mlc_harness`) fixture it may be left out.

    Returns:
        The chainable assertions.

    Raises:
        LookupError: If no manager is given and no fixture-bound manager knows the instance.

    Example:
        >>> check = assert_that(pi, manager)  # doctest: +SKIP
        >>> check.is_waiting_at("approve").has_passed("run_test")  # doctest: +SKIP
    """
    instance_id = instance if isinstance(instance, str) else instance.id
    if manager is None:
        manager = _find_manager(instance_id)
    return InstanceAssert(manager, instance_id)


def _find_manager(instance_id: str) -> LifecycleManager:
    for candidate in reversed(_bound):
        if candidate.store.instance_meta(instance_id) is not None:
            return candidate
    if not _bound:
        raise LookupError(
            "assert_that() needs manager=... outside tests that use the mlc_manager fixture"
        )
    raise LookupError(f"no manager of this test knows instance '{instance_id}'")


class InstanceAssert:
    """Chainable checks on one process instance; each re-reads it from the store.

    Args:
        manager: The manager running the instance.
        instance_id: The instance id.
    """

    def __init__(self, manager: LifecycleManager, instance_id: str) -> None:
        """Bind the checks to an instance."""
        self._manager = manager
        self._id = instance_id

    def __repr__(self) -> str:
        """Describe the subject."""
        return f"assert_that({self._id!r})"

    # ------------------------------------------------------------------ reading

    @property
    def instance(self) -> ProcessInstance:
        """The instance as stored now.

        Raises:
            AssertionError: If the instance does not exist.
        """
        try:
            return self._manager.instance(self._id)
        except InstanceNotFoundError:
            raise AssertionError(f"instance '{self._id}' does not exist") from None

    @property
    def variables(self) -> dict[str, Any]:
        """The instance's variables as stored now."""
        return dict(self.instance.variables)

    def history(self) -> list[HistoryEvent]:
        """The instance's history, in order."""
        return self._manager.history(self._id, limit=None)

    def path(self) -> list[str]:
        """The activity ids the instance entered, in order."""
        return path_of(self.history())

    # ------------------------------------------------------------------ status

    def is_running(self) -> Self:
        """Check the instance has not ended (it may be stopped by an incident)."""
        current = self.instance
        if current.ended:
            self._fail(current, "to be running", f"it has {current.status}")
        return self

    def is_ended(self) -> Self:
        """Check the instance has ended (completed or cancelled)."""
        current = self.instance
        if not current.ended:
            self._fail(current, "to have ended", _where(current))
        return self

    def is_completed(self) -> Self:
        """Check the instance reached its end (was not cancelled)."""
        current = self.instance
        if current.status != "completed":
            self._fail(current, "to have completed", _where(current))
        return self

    def is_cancelled(self) -> Self:
        """Check the instance was cancelled."""
        current = self.instance
        if current.status != "cancelled":
            self._fail(current, "to have been cancelled", _where(current))
        return self

    # ------------------------------------------------------------------ waits

    def is_waiting_at(self, *activity_ids: str) -> Self:
        """Check the instance waits at every one of `activity_ids` (and maybe elsewhere too)."""
        current = self.instance
        missing = [a for a in activity_ids if a not in current.waiting_at]
        if missing or not activity_ids:
            self._fail(current, f"to be waiting at {_names(activity_ids)}", _where(current))
        return self

    def is_waiting_at_exactly(self, *activity_ids: str) -> Self:
        """Check the instance waits at `activity_ids` and nowhere else."""
        current = self.instance
        if sorted(set(current.waiting_at)) != sorted(set(activity_ids)):
            self._fail(current, f"to be waiting at exactly {_names(activity_ids)}", _where(current))
        return self

    def is_not_waiting_at(self, *activity_ids: str) -> Self:
        """Check the instance waits at none of `activity_ids`."""
        current = self.instance
        found = [a for a in activity_ids if a in current.waiting_at]
        if found:
            self._fail(current, f"not to be waiting at {_names(activity_ids)}", _where(current))
        return self

    def is_waiting_for(self, name: str) -> Self:
        """Check the instance is subscribed to the message or signal `name`."""
        current = self.instance
        store = self._manager.store
        subscribed = self._id in store.subscribers("message", name) or self._id in (
            store.subscribers("signal", name)
        )
        if not subscribed:
            self._fail(
                current, f"to be waiting for the message or signal '{name}'", _where(current)
            )
        return self

    # ------------------------------------------------------------------ path

    def has_passed(self, *ids: str) -> Self:
        """Check the instance completed each activity (or took each sequence flow) in `ids`.

        A timer event that fired counts as passed.
        """
        events = self.history()
        passed = set(passed_ids(events))
        missing = [i for i in ids if i not in passed]
        if missing:
            self._fail(
                self.instance,
                f"to have passed {_names(ids)}",
                f"it never passed {missing}",
                events=events,
            )
        return self

    def has_passed_in_order(self, *ids: str) -> Self:
        """Check the instance passed `ids` in this order (other activities may come between)."""
        events = self.history()
        passed = passed_ids(events)
        position = 0
        for wanted in ids:
            if wanted not in passed[position:]:
                seen = [p for p in passed if p in ids]
                self._fail(
                    self.instance,
                    f"to have passed {_names(ids)} in this order",
                    f"it passed them as {seen}",
                    events=events,
                )
            position = passed.index(wanted, position) + 1
        return self

    def has_not_passed(self, *ids: str) -> Self:
        """Check the instance passed none of `ids`."""
        events = self.history()
        passed = set(passed_ids(events))
        found = [i for i in ids if i in passed]
        if found:
            self._fail(
                self.instance,
                f"not to have passed {_names(ids)}",
                f"it passed {found}",
                events=events,
            )
        return self

    # ------------------------------------------------------------------ variables

    def has_variables(self, *names: str, **values: Any) -> Self:
        """Check the variables `names` are set and the variables in `values` equal them.

        Example:
            >>> check = assert_that(pi)  # doctest: +SKIP
            >>> check.has_variables("TEST_RESULT", reviewResult="APPROVED")  # doctest: +SKIP
        """
        current = self.instance
        variables = current.variables
        missing = [n for n in (*names, *values) if n not in variables]
        if missing:
            self._fail(
                current,
                f"to have the variables {_names((*names, *values))}",
                f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} not set",
                variables=[*names, *values],
            )
        wrong = {n: v for n, v in values.items() if variables[n] != v}
        if wrong:
            expected = ", ".join(f"{n}={_short(v)}" for n, v in wrong.items())
            actual = ", ".join(f"{n}={_short(variables[n])}" for n in wrong)
            self._fail(current, f"to have {expected}", f"it has {actual}", variables=list(wrong))
        return self

    def has_no_variables(self, *names: str) -> Self:
        """Check none of the variables `names` is set."""
        current = self.instance
        found = [n for n in names if n in current.variables]
        if found:
            self._fail(
                current,
                f"not to have the variables {_names(names)}",
                f"it has {found}",
                variables=found,
            )
        return self

    def has_variable_satisfying(self, name: str, predicate: Callable[[Any], object]) -> Self:
        """Check the variable `name` is set and `predicate(value)` is true."""
        current = self.instance
        label = getattr(predicate, "__name__", repr(predicate))
        if name not in current.variables:
            self._fail(
                current,
                f"to have a variable '{name}' satisfying {label}",
                f"'{name}' is not set",
                variables=[name],
            )
        if not predicate(current.variables[name]):
            self._fail(
                current,
                f"to have a variable '{name}' satisfying {label}",
                f"{name}={_short(current.variables[name])} does not",
                variables=[name],
            )
        return self

    # ------------------------------------------------------------------ incidents

    def has_incident(self, activity_id: str | None = None) -> Self:
        """Check the instance has an open incident (at `activity_id`, if given)."""
        incidents = self._manager.incidents(instance_id=self._id, limit=None)
        matching = [i for i in incidents if activity_id is None or i.activity_id == activity_id]
        if not matching:
            where = f" at '{activity_id}'" if activity_id else ""
            self._fail(self.instance, f"to have an open incident{where}", _incidents(incidents))
        return self

    def has_no_incident(self) -> Self:
        """Check the instance has no open incident."""
        incidents = self._manager.incidents(instance_id=self._id, limit=None)
        if incidents:
            self._fail(self.instance, "to have no open incident", _incidents(incidents))
        return self

    # ------------------------------------------------------------------ user tasks

    def task(self, activity_id: str | None = None) -> TaskAssert:
        """Check the instance has an open user task (`activity_id`, or its only one).

        Returns:
            Assertions on that task.
        """
        tasks = self._manager.tasks(instance_id=self._id, limit=None)
        if activity_id is None:
            if len(tasks) != 1:
                self._fail(
                    self.instance,
                    "to have exactly one open user task",
                    f"its open user tasks are {[t.activity_id for t in tasks]}",
                )
            return TaskAssert(self, tasks[0].activity_id)
        if not any(t.activity_id == activity_id for t in tasks):
            self._fail(
                self.instance,
                f"to have an open user task '{activity_id}'",
                f"its open user tasks are {[t.activity_id for t in tasks]}",
            )
        return TaskAssert(self, activity_id)

    # ------------------------------------------------------------------ failing

    def _fail(
        self,
        current: ProcessInstance,
        expectation: str,
        actual: str,
        *,
        variables: Sequence[str] | None = None,
        events: Sequence[HistoryEvent] | None = None,
    ) -> NoReturn:
        detail = describe_instance(self._manager, current, variables=variables, events=events)
        raise AssertionError(
            f"expected instance {_label(current)} {expectation}, but {actual}\n{detail}"
        )


class TaskAssert:
    """Checks on one open user task of an instance; each re-reads the task.

    Args:
        parent: The instance assertions the task belongs to.
        activity_id: The user task's element id.
    """

    def __init__(self, parent: InstanceAssert, activity_id: str) -> None:
        """Bind the checks to the task."""
        self._parent = parent
        self._activity_id = activity_id

    @property
    def task(self) -> UserTask:
        """The open task as stored now.

        Raises:
            AssertionError: If the task is no longer open.
        """
        parent = self._parent
        for task in parent._manager.tasks(instance_id=parent._id, limit=None):
            if task.activity_id == self._activity_id:
                return task
        return parent.task(self._activity_id).task

    def is_assigned_to(self, user: str) -> Self:
        """Check the task's assignee is `user`."""
        task = self.task
        if task.assignee != user:
            self._fail(f"to be assigned to '{user}'", f"its assignee is {task.assignee!r}")
        return self

    def is_not_assigned(self) -> Self:
        """Check the task has no assignee."""
        task = self.task
        if task.assignee is not None:
            self._fail("to have no assignee", f"it is assigned to '{task.assignee}'")
        return self

    def has_candidate_group(self, *groups: str) -> Self:
        """Check each of `groups` is a candidate group of the task."""
        task = self.task
        missing = [g for g in groups if g not in task.candidate_groups]
        if missing:
            self._fail(
                f"to have the candidate groups {_names(groups)}",
                f"its candidate groups are {list(task.candidate_groups)}",
            )
        return self

    def has_candidate_user(self, *users: str) -> Self:
        """Check each of `users` is a candidate user of the task."""
        task = self.task
        missing = [u for u in users if u not in task.candidate_users]
        if missing:
            self._fail(
                f"to have the candidate users {_names(users)}",
                f"its candidate users are {list(task.candidate_users)}",
            )
        return self

    def has_name(self, name: str) -> Self:
        """Check the task's name."""
        task = self.task
        if task.name != name:
            self._fail(f"to be named '{name}'", f"it is named {task.name!r}")
        return self

    def _fail(self, expectation: str, actual: str) -> NoReturn:
        parent = self._parent
        current = parent.instance
        detail = describe_instance(parent._manager, current)
        raise AssertionError(
            f"expected user task '{self._activity_id}' of instance {_label(current)} "
            f"{expectation}, but {actual}\n{detail}"
        )


# ---------------------------------------------------------------------- descriptions


def path_of(events: Sequence[HistoryEvent]) -> list[str]:
    """The activity ids an instance entered, in order (from its history)."""
    return [e.activity_id for e in events if e.kind == "activity_start" and e.activity_id]


def passed_ids(events: Sequence[HistoryEvent]) -> list[str]:
    """The activities an instance completed, timers that fired and flows it took, in order."""
    return [e.activity_id for e in events if e.kind in _PASSING and e.activity_id]


def describe_instance(
    manager: LifecycleManager,
    instance: ProcessInstance | str,
    *,
    variables: Sequence[str] | None = None,
    events: Sequence[HistoryEvent] | None = None,
) -> str:
    """Say where an instance is: status, waits, path, open incidents and variables.

    Args:
        manager: The manager running it.
        instance: The instance or its id.
        variables: The variables to show (default: all, shortened).
        events: Its history, if already read.

    Returns:
        Indented lines for an assertion message.
    """
    current = manager.instance(instance) if isinstance(instance, str) else instance
    history = list(events) if events is not None else manager.history(current.id, limit=None)
    incidents = manager.incidents(instance_id=current.id, limit=None)
    lines = [
        f"  status:     {current.status}",
        f"  waiting at: {list(current.waiting_at)}",
        f"  path:       {_path_text(path_of(history))}",
        f"  incidents:  {_incidents(incidents)}",
        f"  variables:  {_variables_text(current.variables, variables)}",
    ]
    return "\n".join(lines)


def _label(instance: ProcessInstance) -> str:
    return f"{instance.id} ({instance.key} v{instance.version})"


def _where(instance: ProcessInstance) -> str:
    return f"it waits at {list(instance.waiting_at)} (status {instance.status})"


def _names(ids: Sequence[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids) if ids else "(nothing)"


def _path_text(path: Sequence[str]) -> str:
    if not path:
        return "(no activity entered)"
    if len(path) <= _PATH_HEAD + _PATH_TAIL:
        return " → ".join(path)
    hidden = len(path) - _PATH_HEAD - _PATH_TAIL
    return (
        " → ".join(path[:_PATH_HEAD]) + f" → … {hidden} more … → " + " → ".join(path[-_PATH_TAIL:])
    )


def _incidents(incidents: Sequence[Incident]) -> str:
    if not incidents:
        return "none"
    return "; ".join(f"at '{i.activity_id}': {i.message}" for i in incidents)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _variables_text(variables: Mapping[str, Any], names: Sequence[str] | None) -> str:
    if names is not None:
        shown = list(dict.fromkeys(names))
        return ", ".join(
            f"{n}={_short(variables[n])}" if n in variables else f"{n} (not set)" for n in shown
        )
    if not variables:
        return "(none)"
    items = sorted(variables.items())
    text = ", ".join(f"{n}={_short(v)}" for n, v in items[:_MAX_VARIABLES])
    if len(items) > _MAX_VARIABLES:
        text += f", … {len(items) - _MAX_VARIABLES} more"
    return text
