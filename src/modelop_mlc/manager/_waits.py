"""What an instance waits for after a step, as the store rows that step writes."""

from __future__ import annotations

from modelop_mlc._engine.instance import InstanceSnapshot
from modelop_mlc.store.rows import (
    ExternalTaskRow,
    InstanceRow,
    JobRow,
    SubscriptionRow,
    TaskRow,
    TimerRow,
    Waits,
    iso,
)

__all__ = ["step_waits"]


def step_waits(
    row: InstanceRow,
    snapshot: InstanceSnapshot,
    jobs: list[JobRow],
    at: str,
    external: list[ExternalTaskRow],
) -> Waits:
    """What the instance waits for after a step, as store rows."""
    return Waits(
        subscriptions=[SubscriptionRow("signal", w.name, w.activity_id) for w in snapshot.signals]
        + [SubscriptionRow("message", w.name, w.activity_id) for w in snapshot.messages],
        timers=[
            TimerRow(t.task_id, row.id, None, t.activity_id, iso(t.due), 0) for t in snapshot.timers
        ],
        user_tasks=[
            TaskRow(
                id=t.task_id,
                instance_id=row.id,
                key=row.key,
                activity_id=t.activity_id,
                name=t.name,
                assignee=t.assignee,
                candidate_users=list(t.candidate_users),
                candidate_groups=list(t.candidate_groups),
                due=t.due,
                follow_up=t.follow_up,
                priority=t.priority,
                form_key=t.form_key,
                form_fields=[f.__dict__ for f in t.form_fields],
                created_at=at,
            )
            for t in snapshot.user_tasks
        ],
        jobs=jobs,
        external_tasks=external,
    )
