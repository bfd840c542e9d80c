"""What the manager lists: instances, open tasks, incidents and history, a page at a time.

Every listing returns one page: `DEFAULT_LIMIT` (100) rows unless `limit` says otherwise
(`limit=None` for all of them). The next page is `after=page[-1]`, read from the index as
cheaply as the first, or `offset=`, whose cost grows with the offset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from modelop_mlc.errors import InstanceNotFoundError, TaskNotFoundError
from modelop_mlc.manager._convert import (
    history_event,
    incident_record,
    instance_record,
    user_task_record,
)
from modelop_mlc.models import HistoryEvent, Incident, ProcessInstance, UserTask
from modelop_mlc.store import SqlStore
from modelop_mlc.store.queries import (
    DEFAULT_LIMIT,
    IncidentQuery,
    InstanceQuery,
    Page,
    TaskQuery,
)
from modelop_mlc.store.rows import iso

__all__ = ["Listings"]

R = TypeVar("R")


class Listings:
    """The listing methods of `LifecycleManager` (which provides `_store`)."""

    _store: SqlStore

    def instances(
        self,
        *,
        status: str | None = None,
        key: str | None = None,
        business_key: str | None = None,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        after: ProcessInstance | None = None,
        super_instance_id: str | None = None,
    ) -> list[ProcessInstance]:
        """List instances, newest first, matching every given filter: one page.

        Args:
            status: `running`, `incident`, `completed` or `cancelled`.
            key: Of this process.
            business_key: With this business key.
            limit: At most this many (100 by default); None for all.
            offset: Skip this many first.
            after: Start after this instance (the last of the previous page).
            super_instance_id: Started by this instance's call activities.
        """
        query = InstanceQuery(
            statuses=None if status is None else [status],
            key=key,
            business_key=business_key,
            super_instance_id=super_instance_id,
        )
        return self.find_instances(query, _page(limit, offset, after, _instance_key))

    def find_instances(self, query: InstanceQuery, page: Page) -> list[ProcessInstance]:
        """List the instances `query` selects, in its order, one `page` (REST's filters).

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        return [instance_record(r) for r in self._store.find_instances(query, page)]

    def count_found_instances(self, query: InstanceQuery) -> int:
        """Count the instances `query` selects, in the database (REST's `/count` routes)."""
        return self._store.count_found_instances(query)

    def tasks(
        self,
        *,
        instance_id: str | None = None,
        assignee: str | None = None,
        candidate_group: str | None = None,
        candidate_user: str | None = None,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        after: UserTask | None = None,
    ) -> list[UserTask]:
        """List open user tasks, oldest first, matching every given filter: one page.

        Args:
            instance_id: Of this instance.
            assignee: Assigned to this user.
            candidate_group: With this candidate group.
            candidate_user: With this candidate user.
            limit: At most this many (100 by default); None for all.
            offset: Skip this many first.
            after: Start after this task (the last of the previous page; it may have been
                completed since).
        """
        query = TaskQuery(
            instance_id=instance_id,
            assignee=assignee,
            candidate_group=candidate_group,
            candidate_user=candidate_user,
        )
        return self.find_tasks(query, _page(limit, offset, after, _task_key))

    def find_tasks(self, query: TaskQuery, page: Page) -> list[UserTask]:
        """List the open user tasks `query` selects, in its order, one `page`.

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        return [user_task_record(r) for r in self._store.find_tasks(query, page)]

    def count_found_tasks(self, query: TaskQuery) -> int:
        """Count the open user tasks `query` selects, in the database."""
        return self._store.count_found_tasks(query)

    def task(self, task_id: str) -> UserTask:
        """Return one open user task.

        Raises:
            TaskNotFoundError: If no open task has this id.
        """
        if not isinstance(task_id, str) or not task_id:
            raise TaskNotFoundError(str(task_id))  # None would mean "any task" to the store
        rows = self._store.find_tasks(TaskQuery(task_id=task_id), Page(limit=1))
        if not rows:
            raise TaskNotFoundError(task_id)
        return user_task_record(rows[0])

    def incidents(
        self,
        *,
        instance_id: str | None = None,
        open_only: bool = True,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        after: Incident | None = None,
    ) -> list[Incident]:
        """List incidents (open ones by default), oldest first: one page.

        Args:
            instance_id: Of this instance.
            open_only: Only those not resolved yet.
            limit: At most this many (100 by default); None for all.
            offset: Skip this many first.
            after: Start after this incident (the last of the previous page).
        """
        query = IncidentQuery(open_only=open_only, instance_id=instance_id)
        return self.find_incidents(query, _page(limit, offset, after, _incident_key))

    def find_incidents(self, query: IncidentQuery, page: Page) -> list[Incident]:
        """List the incidents `query` selects, in its order, one `page`.

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        return [incident_record(r) for r in self._store.find_incidents(query, page)]

    def count_found_incidents(self, query: IncidentQuery) -> int:
        """Count the incidents `query` selects, in the database."""
        return self._store.count_found_incidents(query)

    def instance_counts(
        self, keys: Sequence[str] | None = None, *, ended_up_to: int | None = None
    ) -> dict[str, dict[str, int]]:
        """How many instances each process (by key) has in each status.

        The database counts them; no instance is read. Without `keys`, every instance is
        counted (one pass over them all). With `keys` (the Cockpit's overview), each count
        reads only its own index range: running and incident instances exactly, as Camunda's
        dashboard counts them, so the cost does not grow with the ended ones; completed and
        cancelled ones stop at `ended_up_to` (None: exact).

        Args:
            keys: Count these processes only, each status from the index.
            ended_up_to: With `keys`, count ended instances up to this many.
        """
        counts: dict[str, dict[str, int]] = {}
        if keys is None:
            found = self._store.instance_counts()
        else:
            found = self._store.status_counts(keys, ("running", "incident"))
            found.update(
                self._store.status_counts(keys, ("completed", "cancelled"), up_to=ended_up_to)
            )
        for (key, status), count in found.items():
            if count:
                counts.setdefault(key, {})[status] = count
        return counts

    def waiting_at(self, definition_id: str) -> dict[str, int]:
        """How many instances of a definition version wait at each activity (not ended ones).

        Read from an index of the instances still waiting: ended ones, however many, are not
        read (the Cockpit marks a definition's diagram with it).
        """
        return self._store.waiting_at(definition_id)

    def open_incidents_at(self, definition_id: str) -> dict[str, int]:
        """How many open incidents instances of a definition version have at each activity.

        Read, like `waiting_at()`, from the instances still waiting.
        """
        return self._store.open_incidents_at(definition_id)

    def history(
        self,
        instance_id: str,
        *,
        limit: int | None = DEFAULT_LIMIT,
        after: HistoryEvent | None = None,
    ) -> list[HistoryEvent]:
        """Return the history of an instance, in order: one page.

        Args:
            instance_id: The instance.
            limit: At most this many events (100 by default); None for all.
            after: Start after this event (the last of the previous page).

        Raises:
            InstanceNotFoundError: If the id is unknown.
        """
        if self._store.instance_meta(instance_id) is None:
            raise InstanceNotFoundError(instance_id)
        rows = self._store.history(
            instance_id, limit=limit, after=None if after is None else after.seq
        )
        return [history_event(r) for r in rows]


def _page(
    limit: int | None, offset: int, after: R | None, key: Callable[[R], tuple[str, ...]]
) -> Page:
    return Page(limit=limit, offset=offset, after=None if after is None else key(after))


def _instance_key(instance: ProcessInstance) -> tuple[str, ...]:
    return (iso(instance.started_at), instance.id)


def _task_key(task: UserTask) -> tuple[str, ...]:
    return (iso(task.created_at), task.id)


def _incident_key(incident: Incident) -> tuple[str, ...]:
    return (iso(incident.created_at), incident.id)
