"""`LifecycleManager.render`: an instance's diagram as SVG, marked with its state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from modelop_mlc.drawing import instance_marks, render_svg
from modelop_mlc.models import HistoryEvent, Incident, ProcessInstance, UserTask
from modelop_mlc.store.rows import TimerRow

__all__ = ["render_instance"]


def render_instance(
    xml: str,
    instance: ProcessInstance,
    history: Sequence[HistoryEvent],
    *,
    incidents: Sequence[Incident],
    tasks: Sequence[UserTask],
    timers: Sequence[TimerRow],
) -> str:
    """Draw the instance's definition with where it waits, where it went and its incidents."""
    due = [(row.activity_id, datetime.fromisoformat(row.due_at)) for row in timers if not row.fired]
    marks = instance_marks(instance, history, incidents=incidents, tasks=tasks, timers=due)
    return render_svg(xml, marks)
