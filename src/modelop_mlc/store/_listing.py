"""The listings: filtered, ordered, paged reads, each served by an index in its order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any

from modelop_mlc.store._columns import (
    INCIDENT_COLUMNS,
    INSTANCE_COLUMNS,
    TASK_COLUMNS,
    history_from,
    incident_from,
    instance_from,
    marks,
    task_from,
)
from modelop_mlc.store._connection import Connections
from modelop_mlc.store.queries import (
    INCIDENT_ORDERS,
    INSTANCE_ORDERS,
    TASK_ORDERS,
    IncidentQuery,
    InstanceQuery,
    Page,
    TaskQuery,
)
from modelop_mlc.store.rows import HistoryRow, IncidentRow, InstanceRow, TaskRow

__all__ = ["Listing", "sort_key"]

_ALL = Page()

# A task naming nobody: no assignee, and both candidate lists the empty JSON list `dumps`
# writes. Word for word the condition of the partial index `user_tasks_unnamed` (schema 7).
_UNNAMED = "assignee IS NULL AND candidate_users = '[]' AND candidate_groups = '[]'"

# History events are numbered `row seq * _EVENTS + index in the row` (see `history_from`).
_EVENTS = 10_000


def _order(orders: Mapping[str, tuple[str, ...]], name: str, what: str) -> tuple[str, ...]:
    if name not in orders:
        raise ValueError(f"cannot order {what} by '{name}'; use one of {', '.join(orders)}")
    return tuple(orders[name])


def sort_key(row: Any, columns: Sequence[str]) -> tuple[Any, ...]:
    """The sort key of a row in an order: the values of its columns (for `Page.after`)."""
    return tuple(getattr(row, column) for column in columns)


def _task_filters(query: TaskQuery) -> tuple[tuple[str, str | None], ...]:
    """A task query's filters on the task's own columns: (column, wanted value)."""
    return (
        ("id", query.task_id),
        ("instance_id", query.instance_id),
        ("assignee", query.assignee),
        ("key", query.key),
        ("activity_id", query.activity_id),
        ("name", query.name),
    )


def _narrowed(query: TaskQuery, filters: Sequence[tuple[str, str | None]]) -> bool:
    """Whether a task listing filters on more than its candidates."""
    others = (query.name_like, query.definition_id, query.business_key, query.visible_to)
    return any(v is not None for _, v in filters) or any(v is not None for v in others)


class _Select:
    """One SELECT being put together: its filters, order and page."""

    def __init__(self, columns: str, source: str) -> None:
        self.columns = columns
        self.source = source
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def where(self, clause: str, *params: Any) -> None:
        """Add a filter."""
        self.clauses.append(clause)
        self.params.extend(params)

    def equal(self, column: str, value: Any) -> None:
        """Add `column = value` when a value is given."""
        if value is not None:
            self.where(f"{column} = ?", value)

    def any_of(self, column: str, values: Sequence[Any] | None, *, negate: bool = False) -> None:
        """Add `column IN (values)` (or `NOT IN`) when values are given."""
        if values is None:
            return
        if not values:
            if not negate:
                self.where("1 = 0")
            return
        self.where(f"{column} {'NOT IN' if negate else 'IN'} ({marks(len(values))})", *values)

    def sql(
        self, order: Sequence[str], descending: bool, page: Page, *, offset: bool
    ) -> tuple[str, list[Any]]:
        """The statement and its parameters, reading `page` from its keyset on.

        With `offset` the statement skips the page's offset; without, it reads that many
        rows more (for merging several statements).
        """
        clauses, params = list(self.clauses), list(self.params)
        if page.after is not None:
            if len(page.after) != len(order):
                raise ValueError(
                    f"'after' needs the {len(order)} values of the order "
                    f"({', '.join(order)}), not {len(page.after)}"
                )
            # A row value comparison reads the index from the key on, however deep the page.
            operator = "<" if descending else ">"
            clauses.append(f"({', '.join(order)}) {operator} ({marks(len(order))})")
            params.extend(page.after)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        direction = " DESC" if descending else ""
        sql = f"SELECT {self.columns} FROM {self.source}{where}"
        if order:
            sql += f" ORDER BY {', '.join(c + direction for c in order)}"
        if page.limit is not None:
            sql += " LIMIT ?"
            params.append(page.limit + (0 if offset else page.offset))
            if offset and page.offset:
                sql += " OFFSET ?"
                params.append(page.offset)
        return sql, params

    def count_sql(self) -> tuple[str, list[Any]]:
        """The statement counting the rows this SELECT's filters match, and its parameters."""
        where = (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""
        return f"SELECT COUNT(*) FROM {self.source}{where}", list(self.params)


class Listing(Connections):
    """Instances, open tasks, incidents and history, a page at a time."""

    def _count(self, select: _Select) -> int:
        return int(self.reader().one(*select.count_sql())[0])

    def _page(self, select: _Select, order: Sequence[str], descending: bool, page: Page) -> Any:
        rows = self.reader().all(*select.sql(order, descending, page, offset=True))
        if page.limit is None and page.offset:
            rows = rows[page.offset :]  # SQLite takes no OFFSET without a LIMIT
        return rows

    # ---------------------------------------------------------------- instances

    def find_instances(self, query: InstanceQuery, page: Page = _ALL) -> list[InstanceRow]:
        """The instances matching `query`, in its order, one page.

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        order = _order(INSTANCE_ORDERS, query.order, "instances")
        statuses = list(query.statuses) if query.statuses is not None else None
        narrowed = any(
            v is not None
            for v in (
                query.key,
                query.business_key,
                query.definition_id,
                query.ids,
                query.super_instance_id,
                query.sub_instance_id,
            )
        )
        # NULL business keys sort differently per database, so that order is not merged here.
        if (
            statuses is not None
            and len(statuses) > 1
            and page.limit is not None
            and not narrowed
            and "business_key" not in order
        ):
            # Only statuses to go by: one status at a time, each read in index order, merged.
            # A page costs the same however many instances have the other statuses. (With a
            # process, definition or business key, that filter's index is read in order.)
            return self._merged(
                [self._instances(query, [status], order) for status in statuses],
                order,
                query.descending,
                page,
            )
        select = self._instances(query, statuses, order)
        if query.sub_instance_id is not None and page.after is None:
            order = ()  # one caller at most: nothing to sort
        return [instance_from(r) for r in self._page(select, order, query.descending, page)]

    def count_found_instances(self, query: InstanceQuery) -> int:
        """How many instances `query` selects, counted by the database (REST's `/count`)."""
        statuses = list(query.statuses) if query.statuses is not None else None
        return self._count(self._instances(query, statuses, ()))

    def _instances(
        self, query: InstanceQuery, statuses: Sequence[str] | None, order: Sequence[str]
    ) -> _Select:
        select = _Select(INSTANCE_COLUMNS, "instances")
        if statuses is not None and len(statuses) == 1:
            select.equal("status", statuses[0])
        elif statuses is not None and sorted(statuses) == ["incident", "running"]:
            # The partial indexes' own condition, word for word, so that they can be used.
            select.where("status IN ('running', 'incident')")
        else:
            select.any_of("status", statuses)
        select.any_of("id", query.ids)
        select.equal("key", query.key)
        select.any_of("key", query.keys_in)
        select.any_of("key", query.keys_not_in, negate=True)
        select.equal("business_key", query.business_key)
        if query.business_key_like is not None:
            select.where(*self.dialect.like("business_key", query.business_key_like))
        select.equal("definition_id", query.definition_id)
        select.equal("super_instance_id", query.super_instance_id)
        if query.sub_instance_id is not None:
            # The caller's id, read from the called instance's row by its primary key.
            select.where(
                "id IN (SELECT super_instance_id FROM instances WHERE id = ?)",
                query.sub_instance_id,
            )
        if query.roots_only:
            select.where("super_instance_id IS NULL")
        if query.leaves_only:
            # One probe of `instances_super` per instance read; the condition is the running
            # statuses', as `waiting_at()` has it.
            select.where(
                "NOT EXISTS (SELECT 1 FROM instances called WHERE "
                "called.super_instance_id = instances.id "
                "AND called.status IN ('running', 'incident'))"
            )
        if query.started_since is not None:
            select.where("started_at >= ?", query.started_since)
        return select

    def _merged(
        self, selects: Sequence[_Select], order: Sequence[str], descending: bool, page: Page
    ) -> list[InstanceRow]:
        parts = [
            [
                instance_from(r)
                for r in self.reader().all(*s.sql(order, descending, page, offset=False))
            ]
            for s in selects
        ]
        merged: Iterable[InstanceRow] = heapq.merge(
            *parts, key=lambda row: sort_key(row, order), reverse=descending
        )
        end = None if page.limit is None else page.offset + page.limit
        return list(islice(merged, page.offset, end))

    def ended_before(
        self,
        definition_id: str,
        cutoff: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 500,
    ) -> tuple[list[InstanceRow], tuple[str, str] | None]:
        """Instances of a definition that ended before `cutoff`, a batch at a time.

        Reads the definition's instances oldest first, only those started before `cutoff`
        (an instance ends after it starts), `limit` at a time from `after`. Returns the ended
        ones and where the next batch starts (None: no more).
        """
        page = Page(limit=limit, after=after)
        query = InstanceQuery(definition_id=definition_id, descending=False)
        order = INSTANCE_ORDERS["started"]
        select = self._instances(query, None, order)
        select.where("started_at < ?", cutoff)
        rows = [instance_from(r) for r in self._page(select, order, query.descending, page)]
        following = (rows[-1].started_at, rows[-1].id) if len(rows) == limit else None
        ended = [r for r in rows if r.ended_at is not None and r.ended_at < cutoff]
        return ended, following

    def status_counts(
        self, keys: Sequence[str], statuses: Sequence[str], *, up_to: int | None = None
    ) -> dict[tuple[str, str], int]:
        """How many instances each process key has in each status, one index range each.

        Each count reads only its own (key, status) range of `instances_key`, so a count of
        running instances costs the same however many have ended. A count stops at `up_to`
        (None: exact): the ended statuses grow without end, and an overview only needs to
        show that there are many.
        """
        counts: dict[tuple[str, str], int] = {}
        for key in keys:
            for status in statuses:
                if up_to is None:
                    sql = "SELECT COUNT(*) FROM instances WHERE key = ? AND status = ?"
                    params: list[Any] = [key, status]
                else:
                    sql = (
                        "SELECT COUNT(*) FROM (SELECT 1 FROM instances "
                        "WHERE key = ? AND status = ? LIMIT ?) AS capped"
                    )
                    params = [key, status, up_to]
                counts[(key, status)] = int(self.reader().one(sql, params)[0])
        return counts

    # ---------------------------------------------------------------- tasks

    def find_tasks(self, query: TaskQuery, page: Page = _ALL) -> list[TaskRow]:
        """The open user tasks matching `query`, in its order, one page.

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        order = _order(TASK_ORDERS, query.order, "tasks")
        candidates = [
            (kind, value)
            for kind, value in (("group", query.candidate_group), ("user", query.candidate_user))
            if value is not None
        ]
        if candidates and query.order == "created" and not _narrowed(query, _task_filters(query)):
            return self._candidate_tasks(candidates, query.descending, page)
        if (
            query.visible_to is not None
            and not candidates
            and query.order == "created"
            and page.limit is not None
            and page.after is None
            and not _narrowed(replace(query, visible_to=None), _task_filters(query))
        ):
            return self._visible_tasks(query.visible_to, query.descending, page)
        select = self._tasks(query)
        return [task_from(r) for r in self._page(select, order, query.descending, page)]

    def count_found_tasks(self, query: TaskQuery) -> int:
        """How many open user tasks `query` selects, counted by the database."""
        return self._count(self._tasks(query))

    def _tasks(self, query: TaskQuery) -> _Select:
        select = _Select(TASK_COLUMNS, "user_tasks")
        for kind, value in (("group", query.candidate_group), ("user", query.candidate_user)):
            if value is not None:
                select.where(
                    "id IN (SELECT task_id FROM task_candidates WHERE kind = ? AND value = ?)",
                    kind,
                    value,
                )
        for column, wanted in _task_filters(query):
            select.equal(column, wanted)
        if query.name_like is not None:
            select.where(*self.dialect.like("name", query.name_like))
        owners: tuple[tuple[str, str | None], ...] = (
            ("definition_id", query.definition_id),
            ("business_key", query.business_key),
        )
        for column, owner in owners:
            if owner is not None:
                select.where(f"instance_id IN (SELECT id FROM instances WHERE {column} = ?)", owner)
        if query.visible_to is not None:
            user, groups = query.visible_to
            offered = "kind = 'user' AND value = ?" + (
                f" OR kind = 'group' AND value IN ({marks(len(groups))})" if groups else ""
            )
            # Tested on each task read in the order's index (`|| ''` keeps the planner from
            # gathering the OR's branches by their own indexes and sorting them all).
            select.where(
                f"((assignee || '') = ? OR id IN (SELECT task_id FROM task_candidates "
                f"WHERE {offered}) "
                f"OR ({_UNNAMED}))",
                user,
                user,
                *groups,
            )
        return select

    def _visible_tasks(
        self, person: tuple[str, tuple[str, ...]], descending: bool, page: Page
    ) -> list[TaskRow]:
        """The tasks naming a person or naming nobody, oldest first, merged from indexes.

        Each source is read in creation order from its own index (assigned to them, offered
        to them or to each of their groups, naming nobody: `user_tasks_unnamed`), as far as
        the page reaches; the page comes from their merge, each task once. However many tasks
        name other people, a page costs the same.
        """
        user, groups = person
        order = ("created_at", "id")
        whole = Page(limit=page.offset + (page.limit or 0))
        assigned = _Select(TASK_COLUMNS, "user_tasks")
        assigned.where("assignee = ?", user)
        # SQLite, without statistics, would rather walk `user_tasks_assignee` for `assignee
        # IS NULL` (every unassigned task, offered or not); PostgreSQL picks by its statistics.
        hint = " INDEXED BY user_tasks_unnamed" if self.dialect.name == "sqlite" else ""
        unnamed = _Select(TASK_COLUMNS, f"user_tasks{hint}")
        unnamed.where(_UNNAMED)
        parts = [
            [task_from(r) for r in self._page(s, order, descending, whole)]
            for s in (assigned, unnamed)
        ]
        for kind, value in (("user", user), *(("group", g) for g in groups)):
            parts.append(self._candidate_tasks([(kind, value)], descending, whole))
        merged = heapq.merge(*parts, key=lambda row: (row.created_at, row.id), reverse=descending)
        unique: dict[str, TaskRow] = {}  # a task assigned to them may be offered to them too
        for task in merged:
            if len(unique) == whole.limit:
                break
            unique.setdefault(task.id, task)
        return list(unique.values())[page.offset :]

    def _candidate_tasks(
        self, candidates: Sequence[tuple[str, str]], descending: bool, page: Page
    ) -> list[TaskRow]:
        """A candidate group's (or user's) tasks, oldest first, in two reads by index.

        The candidate rows hold their task's creation time, so the page's task ids come from
        that index in order; the tasks then come by primary key. Two plain reads instead of a
        join, which PostgreSQL would rather answer with a hash join and a sort.
        """
        (kind, value), rest = candidates[0], candidates[1:]
        select = _Select("task_id", "task_candidates")
        select.where("kind = ? AND value = ?", kind, value)
        for other, wanted in rest:
            select.where(
                "task_id IN (SELECT task_id FROM task_candidates WHERE kind = ? AND value = ?)",
                other,
                wanted,
            )
        ids = [r[0] for r in self._page(select, ("created_at", "task_id"), descending, page)]
        if not ids:
            return []
        rows = self.reader().all(
            f"SELECT {TASK_COLUMNS} FROM user_tasks WHERE id IN ({marks(len(ids))})", ids
        )
        found = {task.id: task for task in map(task_from, rows)}
        return [found[i] for i in ids if i in found]  # a task completed in between is gone

    # ---------------------------------------------------------------- incidents

    def find_incidents(self, query: IncidentQuery, page: Page = _ALL) -> list[IncidentRow]:
        """The incidents matching `query`, in its order, one page.

        Raises:
            ValueError: For an unknown order, or an `after` that does not fit it.
        """
        order = _order(INCIDENT_ORDERS, query.order, "incidents")
        select = self._incidents(query)
        return [incident_from(r) for r in self._page(select, order, query.descending, page)]

    def count_found_incidents(self, query: IncidentQuery) -> int:
        """How many incidents `query` selects, counted by the database."""
        return self._count(self._incidents(query))

    def _incidents(self, query: IncidentQuery) -> _Select:
        select = _Select(INCIDENT_COLUMNS, "incidents")
        for column, value in (
            ("id", query.incident_id),
            ("instance_id", query.instance_id),
            ("kind", query.kind),
            ("activity_id", query.activity_id),
            ("job_id", query.job_id),
        ):
            select.equal(column, value)
        if query.open_only:
            select.where("resolved_at IS NULL")
        if query.definition_id is not None:
            # One primary-key probe per incident read, not every instance of the definition.
            select.where(
                "EXISTS (SELECT 1 FROM instances WHERE instances.id = incidents.instance_id "
                "AND instances.definition_id = ?)",
                query.definition_id,
            )
        return select

    # ---------------------------------------------------------------- history

    def history(
        self, instance_id: str, *, limit: int | None = None, after: int | None = None
    ) -> list[HistoryRow]:
        """History events of one instance, in order: `limit` of them after event `after`."""
        params: list[Any] = [instance_id]
        sql = "SELECT seq, instance_id, key, at, events FROM history WHERE instance_id = ?"
        if after is not None:
            sql += " AND seq >= ?"
            params.append(after // _EVENTS)
        sql += " ORDER BY seq"
        if limit is not None:
            # Each row holds one event or more; the first may hold only events up to `after`.
            sql += " LIMIT ?"
            params.append(limit + 1)
        events = history_from(self.reader().all(sql, params))
        if after is not None:
            events = [e for e in events if (e.seq or 0) > after]
        return events if limit is None else events[:limit]
