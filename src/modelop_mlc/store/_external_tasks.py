"""External task rows: written with an instance's waits, fetched and locked by workers.

A worker's fetch is one short transaction: select the unlocked rows of its topics, highest
priority first (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer under
`BEGIN IMMEDIATE`), then lock them to the worker. Two workers never get the same row while
its lock runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from modelop_mlc.store._cursor import Cursor
from modelop_mlc.store.rows import ExternalTaskRow, dumps

__all__ = [
    "EXTERNAL_TASK_COLUMNS",
    "ExternalTaskReads",
    "ExternalTaskWrites",
    "TopicClaim",
    "external_task_from",
]

EXTERNAL_TASK_COLUMNS = (
    "id, instance_id, definition_id, key, business_key, activity_id, activity_name, topic, "
    "priority, created_at, retries, error_message, error_details, worker_id, lock_until, "
    "locals, properties, version_tag"
)
_COUNT = len(EXTERNAL_TASK_COLUMNS.split(", "))
# Fetched rows that a Python-side filter (process variables) may still drop: read this many
# candidates per wanted task, so one fetch does not lock the whole topic.
_CANDIDATES_PER_TASK = 8


def external_task_from(row: Sequence[Any]) -> ExternalTaskRow:
    """Read an `external_tasks` row (`EXTERNAL_TASK_COLUMNS`)."""
    return ExternalTaskRow(
        id=row[0],
        instance_id=row[1],
        definition_id=row[2],
        key=row[3],
        business_key=row[4],
        activity_id=row[5],
        activity_name=row[6],
        topic=row[7],
        priority=int(row[8]),
        created_at=row[9],
        retries=row[10],
        error_message=row[11],
        error_details=row[12],
        worker_id=row[13],
        lock_until=row[14],
        locals=json.loads(row[15]),
        properties=json.loads(row[16]),
        version_tag=row[17],
    )


def _values(task: ExternalTaskRow) -> tuple[Any, ...]:
    return (
        task.id,
        task.instance_id,
        task.definition_id,
        task.key,
        task.business_key,
        task.activity_id,
        task.activity_name,
        task.topic,
        task.priority,
        task.created_at,
        task.retries,
        task.error_message,
        task.error_details,
        task.worker_id,
        task.lock_until,
        dumps(task.locals),
        dumps(task.properties),
        task.version_tag,
    )


@dataclass(frozen=True)
class TopicClaim:
    """One topic of a fetch: what a row must match, and how long to lock it.

    `accept` is the filter SQL cannot apply (process variables); it sees the row and its
    instance's variables.
    """

    topic: str
    lock_until: str
    business_key: str | None = None
    definition_ids: Sequence[str] | None = None
    keys: Sequence[str] | None = None
    version_tag: str | None = None
    accept: Callable[[ExternalTaskRow, Mapping[str, Any]], bool] | None = None


def _topic_clause(claim: TopicClaim) -> tuple[str, list[Any]]:
    clauses, params = ["topic = ?"], [claim.topic]
    if claim.business_key is not None:
        clauses.append("business_key = ?")
        params.append(claim.business_key)
    for column, values in (("definition_id", claim.definition_ids), ("key", claim.keys)):
        if values is not None:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "1 = 0")
            params.extend(values)
    if claim.version_tag is not None:
        clauses.append("version_tag = ?")
        params.append(claim.version_tag)
    return "(" + " AND ".join(clauses) + ")", params


class ExternalTaskWrites(Cursor):
    """The writes of external task rows, mixed into `SqlTx`."""

    def replace_external_tasks(
        self, rows: Sequence[ExternalTaskRow], existing: set[str]
    ) -> list[str]:
        """Insert the new rows, delete those no longer waited for; return the new ids.

        Rows that stay keep their lock, retries and error.
        """
        wanted = {row.id for row in rows}
        self.executemany(
            "DELETE FROM external_tasks WHERE id = ?", [(i,) for i in existing - wanted]
        )
        new = [row for row in rows if row.id not in existing]
        self.executemany(
            f"INSERT INTO external_tasks ({EXTERNAL_TASK_COLUMNS}) "
            f"VALUES ({', '.join('?' * _COUNT)})",
            [_values(row) for row in new],
        )
        return [row.id for row in new]

    def update_external_task(self, task_id: str, **fields: Any) -> int:
        """Change some columns of an external task; return how many rows changed (0 or 1)."""
        columns = ", ".join(f"{name} = ?" for name in fields)
        cursor = self.execute(
            f"UPDATE external_tasks SET {columns} WHERE id = ?", (*fields.values(), task_id)
        )
        return int(cursor.rowcount or 0)

    def claim_external_tasks(
        self,
        worker_id: str,
        claims: Sequence[TopicClaim],
        now: str,
        limit: int,
        *,
        by_priority: bool,
    ) -> list[tuple[ExternalTaskRow, dict[str, Any]]]:
        """Lock up to `limit` fetchable tasks of the claimed topics to `worker_id`.

        Fetchable: not locked (or the lock ran out) and retries not used up. Returns each
        locked row (as it is now) with its instance's variables.
        """
        if not claims or limit <= 0:
            return []
        parts = [_topic_clause(c) for c in claims]
        where = " OR ".join(p[0] for p in parts)
        params: list[Any] = [now, *(value for p in parts for value in p[1])]
        filtered = any(c.accept is not None for c in claims)
        order = "priority DESC, created_at, id" if by_priority else "created_at, id"
        rows = self.all(
            f"SELECT {EXTERNAL_TASK_COLUMNS} FROM external_tasks "
            "WHERE (lock_until IS NULL OR lock_until <= ?) AND (retries IS NULL OR retries > 0) "
            f"AND ({where}) ORDER BY {order} LIMIT ?{self.dialect.skip_locked()}",
            (*params, limit * _CANDIDATES_PER_TASK if filtered else limit),
        )
        found = [external_task_from(r) for r in rows]
        if not found:
            return []
        ids = sorted({t.instance_id for t in found})
        variables = {
            r[0]: json.loads(r[1])
            for r in self.all(
                f"SELECT id, variables FROM instances WHERE id IN ({', '.join('?' * len(ids))})",
                ids,
            )
        }
        locked: list[tuple[ExternalTaskRow, dict[str, Any]]] = []
        for task in found:
            claim = _matching(claims, task, variables.get(task.instance_id, {}))
            if claim is None:
                continue
            self.update_external_task(task.id, worker_id=worker_id, lock_until=claim.lock_until)
            held = replace(task, worker_id=worker_id, lock_until=claim.lock_until)
            locked.append((held, variables.get(task.instance_id, {})))
            if len(locked) == limit:
                break
        return locked


def _matching(
    claims: Sequence[TopicClaim], task: ExternalTaskRow, variables: Mapping[str, Any]
) -> TopicClaim | None:
    for claim in claims:
        if claim.topic != task.topic:
            continue
        if claim.business_key is not None and task.business_key != claim.business_key:
            continue
        if claim.definition_ids is not None and task.definition_id not in claim.definition_ids:
            continue
        if claim.keys is not None and task.key not in claim.keys:
            continue
        if claim.version_tag is not None and task.version_tag != claim.version_tag:
            continue
        if claim.accept is not None and not claim.accept(task, variables):
            continue
        return claim
    return None


class ExternalTaskReads:
    """The queries of external task rows, mixed into the store's reads."""

    reader: Callable[[], Cursor]

    def external_tasks(
        self,
        *,
        instance_id: str | None = None,
        task_id: str | None = None,
        topic: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ExternalTaskRow]:
        """External task rows (of one instance or topic, or one by id), oldest first: a page.

        The table holds open tasks only (a completed one is deleted), so its size follows
        the instances waiting, not those that ended.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("instance_id", instance_id), ("id", task_id), ("topic", topic)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT {EXTERNAL_TASK_COLUMNS} FROM external_tasks{where} ORDER BY created_at, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        rows = [external_task_from(r) for r in self.reader().all(sql, params)]
        return rows[offset:] if limit is None else rows

    def get_external_task(self, task_id: str) -> ExternalTaskRow | None:
        """Read one external task."""
        found = self.external_tasks(task_id=task_id)
        return found[0] if found else None

    def next_external_lock_expiry(self, now: str) -> str | None:
        """When the earliest lock still running runs out (None: no locked task)."""
        row = self.reader().one(
            "SELECT MIN(lock_until) FROM external_tasks WHERE lock_until > ?", (now,)
        )
        return row[0] if row else None
