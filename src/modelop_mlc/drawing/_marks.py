"""Marks from what the manager records: an instance's state, or counts over a definition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from modelop_mlc.drawing._svg import Mark
from modelop_mlc.models import HistoryEvent, Incident, ProcessInstance, UserTask

__all__ = ["definition_marks", "instance_marks"]

# History kinds that mean "the node ran" (a non-interrupting timer records only timer_fired).
_ENTERED = frozenset({"activity_start", "timer_fired"})


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _who(task: UserTask) -> str:
    if task.assignee:
        return task.assignee
    people = [*task.candidate_groups, *task.candidate_users]
    return ", ".join(people) if people else "anyone"


def instance_marks(
    instance: ProcessInstance,
    history: Sequence[HistoryEvent],
    *,
    incidents: Sequence[Incident] = (),
    tasks: Sequence[UserTask] = (),
    timers: Iterable[tuple[str, datetime]] = (),
) -> dict[str, Mark]:
    """Mark where an instance is and where it has been.

    Args:
        instance: The instance.
        history: Its history, in order.
        incidents: Its open incidents.
        tasks: Its open user tasks.
        timers: `(event id, due time)` of the timers it waits for.

    Returns:
        Element id to mark: `incident` where an open incident stands, `active` where the
        instance waits now (with the task's group or the timer's due time as the note),
        `taken` for nodes it ran and flows it took, each with how many times.
    """
    counts: Counter[str] = Counter()
    for event in history:
        if event.activity_id is None:
            continue
        if event.kind in _ENTERED or event.kind == "flow_taken":
            counts[event.activity_id] += 1
    marks = {ref: Mark("taken", count) for ref, count in counts.items()}
    if instance.ended:
        return marks
    notes: dict[str, list[str]] = {}
    for task in tasks:
        notes.setdefault(task.activity_id, []).append(f"task for {_who(task)}")
    due = dict(timers)
    for ref, moment in due.items():
        notes.setdefault(ref, []).append(f"due {_when(moment)}")
    for ref in [*instance.waiting_at, *due]:
        marks[ref] = Mark("active", counts.get(ref), "; ".join(notes.get(ref, [])) or None)
    for incident in incidents:
        if incident.activity_id is None or incident.resolved_at is not None:
            continue
        marks[incident.activity_id] = Mark(
            "incident", counts.get(incident.activity_id), "incident", incident.message
        )
    return marks


def definition_marks(
    running: Mapping[str, int], incidents: Mapping[str, int] | None = None
) -> dict[str, Mark]:
    """Mark a definition with how many running instances wait at each activity.

    Args:
        running: Element id to the number of running instances waiting there.
        incidents: Element id to the number of open incidents there.
    """
    marks = {
        ref: Mark("active", number, f"{number} running")
        for ref, number in running.items()
        if number
    }
    for ref, number in (incidents or {}).items():
        if number:
            waiting = running.get(ref, 0)
            note = f"{number} incident{'s' if number > 1 else ''}"
            marks[ref] = Mark("incident", waiting or number, note)
    return marks
