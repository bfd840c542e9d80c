"""`LifecycleManager.render`: an instance's diagram as SVG, marked with its state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from modelop_mlc.drawing import instance_marks, render_svg

if TYPE_CHECKING:
    from modelop_mlc.manager._manager import LifecycleManager

__all__ = ["render_instance"]


def render_instance(manager: LifecycleManager, instance_id: str) -> str:
    """Draw the instance's definition with where it waits, where it went and its incidents.

    Raises:
        InstanceNotFoundError: If the id is unknown.
    """
    instance = manager.instance(instance_id)
    timers = [
        (row.activity_id, datetime.fromisoformat(row.due_at))
        for row in manager.store.timers(instance_id)
        if not row.fired
    ]
    marks = instance_marks(
        instance,
        manager.history(instance_id),
        incidents=manager.incidents(instance_id=instance_id),
        tasks=manager.tasks(instance_id=instance_id),
        timers=timers,
    )
    return render_svg(manager.definition_xml(instance.definition_id), marks)
