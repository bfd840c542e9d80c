"""What a listing asks the store for: its filters, its order and one page.

Every listing is read from an index in its order (see `store/_schema.py`, version 4), so a
page costs the same with a thousand instances as with a million. Orders end with the row id,
which keeps them total: a page never repeats or skips a row when two rows share a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMIT",
    "INCIDENT_ORDERS",
    "INSTANCE_ORDERS",
    "TASK_ORDERS",
    "IncidentQuery",
    "InstanceQuery",
    "Page",
    "TaskQuery",
]

DEFAULT_LIMIT = 100
"""How many rows a listing returns when not told (`limit=None` asks for all)."""

# Order name -> the columns it sorts by, all in one direction; each has an index.
INSTANCE_ORDERS: Mapping[str, tuple[str, ...]] = {
    "started": ("started_at", "id"),
    "id": ("id",),
    "key": ("key", "started_at", "id"),
    "definition_id": ("definition_id", "started_at", "id"),
    "business_key": ("business_key", "started_at", "id"),
}
TASK_ORDERS: Mapping[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "id": ("id",),
    "instance_id": ("instance_id", "created_at", "id"),
    "assignee": ("assignee", "created_at", "id"),
    "name": ("name", "created_at", "id"),
    "due": ("due", "created_at", "id"),
    "follow_up": ("follow_up", "created_at", "id"),
    "priority": ("priority", "created_at", "id"),
}
INCIDENT_ORDERS: Mapping[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "id": ("id",),
    "instance_id": ("instance_id", "created_at", "id"),
    "kind": ("kind", "created_at", "id"),
    "activity_id": ("activity_id", "created_at", "id"),
    # Sorted, not read in order: an incident does not store its definition.
    "definition_id": (
        "(SELECT definition_id FROM instances WHERE instances.id = incidents.instance_id)",
        "created_at",
        "id",
    ),
}


@dataclass(frozen=True)
class Page:
    """One page of a listing.

    Attributes:
        limit: At most this many rows; None for all of them.
        offset: Skip this many rows first (its cost grows with the offset).
        after: Start after the row with this sort key (the values of the order's columns
            in the last row of the previous page): the next page at the cost of the first.
    """

    limit: int | None = None
    offset: int = 0
    after: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        """Refuse a negative limit or offset."""
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be 0 or more, not {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must be 0 or more, not {self.offset}")


@dataclass(frozen=True)
class InstanceQuery:
    """Which instances to list, and in which order (every given filter must match).

    Attributes:
        statuses: Any of these statuses (`running`, `incident`, `completed`, `cancelled`).
        ids: Any of these ids.
        key: Of this process.
        keys_in: Of any of these processes.
        keys_not_in: Of none of these processes.
        business_key: With this business key.
        business_key_like: With a business key matching this SQL `LIKE` pattern.
        definition_id: Of this definition version.
        super_instance_id: Started by this instance's call activities.
        sub_instance_id: The instance whose call activity started this one (Camunda's
            `subProcessInstance`).
        roots_only: Only instances no call activity started.
        leaves_only: Only instances that have no called instance still running.
        started_since: Started at or after this ISO 8601 UTC time.
        order: One of `INSTANCE_ORDERS`.
        descending: Largest first (newest first for `started`).
    """

    statuses: Sequence[str] | None = None
    ids: Sequence[str] | None = None
    key: str | None = None
    keys_in: Sequence[str] | None = None
    keys_not_in: Sequence[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_id: str | None = None
    super_instance_id: str | None = None
    sub_instance_id: str | None = None
    roots_only: bool = False
    leaves_only: bool = False
    started_since: str | None = None
    order: str = "started"
    descending: bool = True


@dataclass(frozen=True)
class TaskQuery:
    """Which open user tasks to list, and in which order (every given filter must match).

    Attributes:
        task_id: This task.
        instance_id: Of this instance.
        assignee: Assigned to this user.
        candidate_group: With this candidate group.
        candidate_user: With this candidate user.
        key: Of this process.
        activity_id: At this user task element.
        name: With this name.
        name_like: With a name matching this SQL `LIKE` pattern.
        definition_id: Of an instance of this definition version.
        business_key: Of an instance with this business key.
        visible_to: Only tasks this person sees, as Camunda's default task permissions grant:
            (user, their groups) - assigned to them, offered to them or one of their groups,
            or unassigned and offered to nobody.
        order: One of `TASK_ORDERS`.
        descending: Largest first.
    """

    task_id: str | None = None
    instance_id: str | None = None
    assignee: str | None = None
    candidate_group: str | None = None
    candidate_user: str | None = None
    key: str | None = None
    activity_id: str | None = None
    name: str | None = None
    name_like: str | None = None
    definition_id: str | None = None
    business_key: str | None = None
    visible_to: tuple[str, tuple[str, ...]] | None = None
    order: str = "created"
    descending: bool = False


@dataclass(frozen=True)
class IncidentQuery:
    """Which incidents to list, and in which order (every given filter must match).

    Attributes:
        open_only: Only incidents not resolved yet.
        incident_id: This incident.
        instance_id: Of this instance.
        kind: Of this kind (`failedJob`, ...).
        activity_id: At this element.
        job_id: Raised by this job.
        definition_id: Of an instance of this definition version.
        order: One of `INCIDENT_ORDERS`.
        descending: Largest first.
    """

    open_only: bool = True
    incident_id: str | None = None
    instance_id: str | None = None
    kind: str | None = None
    activity_id: str | None = None
    job_id: str | None = None
    definition_id: str | None = None
    order: str = "created"
    descending: bool = False
