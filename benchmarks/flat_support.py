"""Building the databases of `bench_flat.py` (not a benchmark itself).

A few hundred instances run through the public API (`LifecycleManager`): reviews completed by
a person, hour timers that fired, signal waits and open reviews with a deadline. Their rows are
then copied, under new ids and earlier times, until the database holds the wanted number of
ended instances and a fifth as many waiting ones: every table (instances, history, user tasks
and their candidates, timers, subscriptions, jobs, incidents) holds rows of the shapes the
manager writes, at the size a year of use leaves, in a minute instead of an hour. Due times of
the copies stay in the future, so the copies only wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.store.rows import iso

__all__ = ["TEMPLATE_ENDED", "TEMPLATE_WAITING", "build", "bulk_count", "open_manager"]

HERE = Path(__file__).parent / "diagrams"
TEAMS = 50
TEMPLATE_ENDED = 200  # ended instances run through the API
TEMPLATE_WAITING = 40  # waiting instances run through the API
WAITING_SHARE = 5  # one waiting instance per five ended ones
OPEN_INCIDENTS = 100  # open incidents, whatever the size: a full page of incidents()
_COPIES_PER_TRANSACTION = 20


def open_manager(url: str, clock: ManualClock) -> LifecycleManager:
    """Open a manager on `url` with the memory diagram deployed (unchanged: no new version)."""
    manager = LifecycleManager.open(url, clock=clock)
    manager.register_delegate("work", lambda _ctx: None, replace=True)
    manager.deploy(HERE / "memory.bpmn")
    return manager


def bulk_count(manager: LifecycleManager) -> tuple[int, int]:
    """(ended, waiting) instances of the bulk processes."""
    rows = manager.store.raw(
        "SELECT status, COUNT(*) FROM instances WHERE key IN ('mem_wait', 'mem_review', "
        "'mem_hour') AND business_key LIKE 'bulk-%' GROUP BY status"
    )
    counts = {status: int(count) for status, count in rows}
    return counts.get("completed", 0), counts.get("running", 0) + counts.get("incident", 0)


def _templates(manager: LifecycleManager, clock: ManualClock) -> list[str]:
    """Run the template instances through the API; return their ids."""
    ids = []
    for n in range(TEMPLATE_ENDED):
        key = f"bulk-{n}"
        if n % 2:
            instance = manager.start("mem_review", {"team": f"team-{n % TEAMS}"}, business_key=key)
            (task,) = manager.tasks(instance_id=instance.id)
            clock.advance(timedelta(minutes=3))
            manager.complete_task(task.id, {"verdict": "approved"})
        else:
            instance = manager.start("mem_hour", business_key=key)
            clock.advance(timedelta(minutes=61))
            manager.run_due()
        ids.append(instance.id)
    for n in range(TEMPLATE_WAITING):
        key = f"bulk-w{n}"
        if n % 2:
            instance = manager.start("mem_review", {"team": f"team-{n % TEAMS}"}, business_key=key)
        else:
            instance = manager.start("mem_wait", business_key=key)
        ids.append(instance.id)
        clock.advance(timedelta(minutes=1))
    return ids


def _rows(
    manager: LifecycleManager, table: str, column: str, ids: Sequence[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    marks = ", ".join("?" * len(ids))
    cursor = manager.store.reader().execute(
        f"SELECT * FROM {table} WHERE {column} IN ({marks})", ids
    )
    names = [d[0] for d in cursor.description]
    return names, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _earlier(text: str | None, hours: int) -> str | None:
    return None if text is None else iso(datetime.fromisoformat(text) - timedelta(hours=hours))


# Per table: the column naming its instance, the columns the database numbers itself, and
# what a copy changes: ids get a suffix, times move back (due times stay in the future).
_SUFFIXED = {
    "instances": ("id",),
    "timers": ("id", "instance_id"),
    "user_tasks": ("id", "instance_id"),
    "task_candidates": ("task_id",),
    "jobs": ("id", "instance_id", "idempotency_key"),
    "history": ("instance_id",),
    "subscriptions": ("instance_id",),
}
_SHIFTED = ("started_at", "ended_at", "created_at", "at")
_NUMBERED = {"history": "seq", "subscriptions": "id"}


def _copy(row: dict[str, Any], table: str, copy: int, hours: int) -> dict[str, Any]:
    new = dict(row)
    for column in _SUFFIXED[table]:
        if new.get(column) is not None:
            new[column] = f"{new[column]}-c{copy}"
    for column in _SHIFTED:
        if column in new:
            new[column] = _earlier(new[column], hours)
    if table == "instances" and new["business_key"] is not None:
        new["business_key"] = f"{new['business_key']}-c{copy}"
    new.pop(_NUMBERED.get(table, ""), None)
    return new


def build(
    url: str, ended: int, *, waiting: int | None = None, say: Callable[[str], object] = print
) -> float:
    """Fill the database at `url` with `ended` ended and `waiting` waiting instances.

    `waiting` defaults to a fifth of `ended` (a multiple of 40). Reuses a database that
    already has them. Returns the seconds the build took (0: reused).
    """
    waiting = ended // WAITING_SHARE if waiting is None else waiting
    clock = ManualClock(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    manager = open_manager(url, clock)
    try:
        if bulk_count(manager) == (ended, waiting):
            return 0.0
        if bulk_count(manager) != (0, 0):
            raise SystemExit(f"{url} holds other bulk instances; give an empty database")
        started = time.perf_counter()
        ids = _templates(manager, clock)
        tables = _load(manager, ids)
        copies_ended = ended // TEMPLATE_ENDED - 1
        copies_waiting = waiting // TEMPLATE_WAITING - 1
        for first in range(0, max(copies_ended, copies_waiting), _COPIES_PER_TRANSACTION):
            last = min(first + _COPIES_PER_TRANSACTION, max(copies_ended, copies_waiting))
            _insert_copies(manager, tables, range(first, last), copies_ended, copies_waiting)
            total = max(copies_ended, copies_waiting)
            say(f"  {url.rsplit('/', 1)[-1][:40]}: {last} of {total} copies")
        if manager.store.dialect.name == "postgresql":
            manager.store.reader().execute("ANALYZE")
        return time.perf_counter() - started
    finally:
        manager.close()


def _load(
    manager: LifecycleManager, ids: Sequence[str]
) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """The template rows of every table, by table."""
    tables = {
        table: _rows(manager, table, "id" if table == "instances" else "instance_id", ids)
        for table in ("instances", "history", "subscriptions", "timers", "user_tasks", "jobs")
    }
    task_ids = [row["id"] for row in tables["user_tasks"][1]]
    tables["task_candidates"] = _rows(manager, "task_candidates", "task_id", task_ids or [""])
    return tables


def _insert_copies(
    manager: LifecycleManager,
    tables: dict[str, tuple[list[str], list[dict[str, Any]]]],
    copies: range,
    copies_ended: int,
    copies_waiting: int,
) -> None:
    """Insert copies `copies` of the template rows (ended ones up to `copies_ended`, ...)."""
    instances = {row["id"]: row for row in tables["instances"][1]}
    task_owner = {row["id"]: row["instance_id"] for row in tables["user_tasks"][1]}

    def owner(table: str, row: dict[str, Any]) -> dict[str, Any]:
        if table == "instances":
            return row
        if table == "task_candidates":
            return instances[task_owner[row["task_id"]]]
        return instances[row["instance_id"]]

    def wanted(instance: dict[str, Any], copy: int) -> bool:
        return copy < (copies_ended if instance["status"] == "completed" else copies_waiting)

    with manager.store.transaction() as tx:
        for table, (names, rows) in tables.items():
            columns = [n for n in names if n != _NUMBERED.get(table)]
            values = [
                [new[c] for c in columns]
                for copy in copies
                for row in rows
                if wanted(owner(table, row), copy)
                for new in [_copy(row, table, copy, hours=(copy + 1) * 3)]
            ]
            if values:
                marks = ", ".join("?" * len(columns))
                tx.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
                )
        _incidents(tx, list(instances.values()), copies, wanted)


def _incidents(
    tx: Any,
    instances: Sequence[dict[str, Any]],
    copies: range,
    wanted: Callable[[dict[str, Any], int], bool],
) -> None:
    """Incidents as failing jobs leave them: resolved ones on one ended instance in fifty
    (history, growing with it), and `OPEN_INCIDENTS` open ones on waiting instances (a live
    problem someone fixes, not growing with history); the instance's status says so."""
    values, stuck = [], []
    waiting = sorted((r for r in instances if r["status"] != "completed"), key=lambda r: r["id"])
    ended = sorted((r for r in instances if r["status"] == "completed"), key=lambda r: r["id"])
    for copy in copies:
        chosen = [(r, True) for n, r in enumerate(ended) if not (n + copy) % 50]
        chosen += [
            (r, False) for n, r in enumerate(waiting) if copy * len(waiting) + n < OPEN_INCIDENTS
        ]
        for row, resolved in chosen:
            if not wanted(row, copy):
                continue
            instance_id = f"{row['id']}-c{copy}"
            at = _earlier(row["started_at"], (copy + 1) * 3)
            values.append(
                (
                    f"inc-{instance_id}",
                    instance_id,
                    "r_review",
                    None,
                    "failedJob",
                    "the model server did not answer",
                    at,
                    at if resolved else None,
                )
            )
            if not resolved:
                stuck.append((instance_id,))
    tx.executemany(
        "INSERT INTO incidents (id, instance_id, activity_id, job_id, kind, message, "
        "created_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    tx.executemany("UPDATE instances SET status = 'incident' WHERE id = ?", stuck)
