"""The SQL store shared by SQLite and PostgreSQL: rows in, rows out, no engine objects."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from modelop_mlc.errors import InstanceConflictError, SchemaVersionError, StoreError
from modelop_mlc.store._schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "DefinitionRow",
    "Dialect",
    "InstanceRow",
    "JobRow",
    "SqlStore",
    "TimerRow",
    "Tx",
    "dumps",
    "iso",
]

T = TypeVar("T")
log = logging.getLogger("modelop_mlc.store")

# Tables whose rows are leased to workers.
_LEASED = frozenset({"jobs", "timers"})


def iso(moment: datetime) -> str:
    """Format a UTC datetime so that string order is time order."""
    return moment.isoformat(timespec="microseconds")


def dumps(value: Any) -> str:
    """Serialise JSON compactly."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Dialect(Protocol):
    """What differs between SQLite and PostgreSQL."""

    name: str
    autoinc: str

    def connect(self) -> Any:
        """Open a new DB-API connection in autocommit mode."""
        ...

    def begin_write(self, conn: Any) -> None:
        """Start a write transaction (SQLite: BEGIN IMMEDIATE)."""
        ...

    def sql(self, statement: str) -> str:
        """Adapt `?` placeholders to the driver's style."""
        ...

    def is_locked_error(self, err: Exception) -> bool:
        """Tell whether `err` means "try again": a busy database or a serialisation failure."""
        ...

    def skip_locked(self) -> str:
        """The clause that skips rows another transaction holds, or ''."""
        ...

    def is_disconnect(self, err: BaseException, conn: Any) -> bool:
        """Tell whether `err` means the connection is gone (the server restarted or dropped it)."""
        ...

    def is_closed(self, conn: Any) -> bool:
        """Tell whether a connection can no longer be used."""
        ...

    def commit_token(self, conn: Any) -> Any:
        """Return what identifies the open transaction after a lost commit, or None."""
        ...

    def token_returning(self) -> str:
        """A RETURNING clause yielding the commit token from a write, or ''."""
        ...

    def committed(self, conn: Any, token: Any) -> bool | None:
        """Whether the transaction `token` names committed (None: cannot tell yet)."""
        ...

    def lock_schema(self, conn: Any) -> None:
        """Serialise migrations of one database by several hosts (inside the transaction)."""
        ...


@dataclass(frozen=True)
class DefinitionRow:
    """A deployed process definition version."""

    id: str
    key: str
    version: int
    name: str | None
    version_tag: str | None
    resource_id: str
    deployment_id: str
    digest: str
    applies_to: dict[str, Any] | None
    info: dict[str, Any]
    deployed_at: str


@dataclass(frozen=True)
class InstanceRow:
    """A process instance as stored."""

    id: str
    definition_id: str
    key: str
    version: int
    business_key: str | None
    status: str
    state: dict[str, Any]
    variables: dict[str, Any]
    waiting_at: list[str]
    called: dict[str, str]
    revision: int
    started_at: str
    ended_at: str | None
    end_reason: str | None


@dataclass(frozen=True)
class JobRow:
    """A job: a delegate to run outside the instance transaction."""

    id: str
    instance_id: str
    activity_id: str
    activity_name: str | None
    kind: str
    candidates: list[str]
    due_at: str
    retries_left: int
    retry_cycle: str | None
    attempts: int
    idempotency_key: str
    status: str
    lease_owner: str | None
    lease_until: str | None
    last_error: str | None
    created_at: str
    wake_key: str | None = None


@dataclass(frozen=True)
class TimerRow:
    """A due time: an instance's timer event, or a process's timer start event."""

    id: str
    instance_id: str | None
    definition_id: str | None
    activity_id: str
    due_at: str
    fired: int


_INSTANCE_COLS = (
    "id, definition_id, key, version, business_key, status, state, variables, waiting_at, "
    "called, revision, started_at, ended_at, end_reason"
)
_JOB_COLS = (
    "id, instance_id, activity_id, activity_name, kind, candidates, due_at, retries_left, "
    "retry_cycle, attempts, idempotency_key, status, lease_owner, lease_until, last_error, "
    "created_at, wake_key"
)
_DEF_COLS = (
    "id, key, version, name, version_tag, resource_id, deployment_id, digest, applies_to, info, "
    "deployed_at"
)


def _instance(row: Sequence[Any]) -> InstanceRow:
    return InstanceRow(
        id=row[0],
        definition_id=row[1],
        key=row[2],
        version=row[3],
        business_key=row[4],
        status=row[5],
        state=json.loads(row[6]),
        variables=json.loads(row[7]),
        waiting_at=json.loads(row[8]),
        called=json.loads(row[9]),
        revision=row[10],
        started_at=row[11],
        ended_at=row[12],
        end_reason=row[13],
    )


def _job(row: Sequence[Any]) -> JobRow:
    return JobRow(
        id=row[0],
        instance_id=row[1],
        activity_id=row[2],
        activity_name=row[3],
        kind=row[4],
        candidates=json.loads(row[5]),
        due_at=row[6],
        retries_left=row[7],
        retry_cycle=row[8],
        attempts=row[9],
        idempotency_key=row[10],
        status=row[11],
        lease_owner=row[12],
        lease_until=row[13],
        last_error=row[14],
        created_at=row[15],
        wake_key=row[16],
    )


def _definition(row: Sequence[Any]) -> DefinitionRow:
    return DefinitionRow(
        id=row[0],
        key=row[1],
        version=row[2],
        name=row[3],
        version_tag=row[4],
        resource_id=row[5],
        deployment_id=row[6],
        digest=row[7],
        applies_to=json.loads(row[8]) if row[8] else None,
        info=json.loads(row[9]),
        deployed_at=row[10],
    )


class _Cursor:
    """A thin wrapper that adapts placeholders and returns plain tuples."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect
        self.wrote = False

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        if not self.wrote and statement.lstrip()[:6].upper() != "SELECT":
            self.wrote = True
        cursor = self.conn.cursor()
        if params:
            cursor.execute(self.dialect.sql(statement), tuple(params))
        else:
            # Without parameters the driver does not parse placeholders, so a literal '%' in
            # a query of `raw()` reaches PostgreSQL as written.
            cursor.execute(statement)
        return cursor

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.wrote = True
            cursor = self.conn.cursor()
            cursor.executemany(self.dialect.sql(statement), [tuple(r) for r in rows])

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(statement, params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self.execute(statement, params).fetchall())


class _Reader(_Cursor):
    """Reads outside a transaction; repeated once on a new connection if the old one died."""

    def __init__(self, store: SqlStore) -> None:
        super().__init__(store._conn(), store.dialect)
        self.store = store

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        try:
            return super().execute(statement, params)
        except Exception as err:
            if not self.dialect.is_disconnect(err, self.conn):
                raise
            store = self.store
            if store._in_transaction():
                # The transaction died with the connection; reading elsewhere would not help.
                raise store._lost(err, committed=False) from err
            store._lost(err, committed=False)  # logs and discards
            self.conn = store._conn()
        try:
            return super().execute(statement, params)
        except Exception as err:
            if self.dialect.is_disconnect(err, self.conn):
                raise self.store._lost(err, committed=False) from err
            raise


class _ConnectionLostError(StoreError):
    """The connection broke; `committed` says whether the transaction was saved (None: unknown)."""

    def __init__(self, message: str, *, committed: bool | None) -> None:
        super().__init__(message)
        self.committed = committed


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _leased(table: str) -> str:
    if table not in _LEASED:
        raise ValueError(f"'{table}' holds no leases; use one of {sorted(_LEASED)}")
    return table


def _schema_version(tx: Tx) -> int:
    tx.execute(MIGRATIONS[1][0])
    row = tx.one("SELECT version FROM mlc_schema")
    return int(row[0]) if row else 0


class Tx(_Cursor):
    """Writes inside one transaction."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        super().__init__(conn, dialect)
        # What identifies this transaction after a lost COMMIT (see `Dialect.commit_token`),
        # when a statement already returned it.
        self.token: Any = None
        self._known_jobs: tuple[str, set[str]] | None = None

    # ---------------------------------------------------------------- definitions

    def insert_deployment(
        self,
        deployment_id: str,
        name: str | None,
        source: str | None,
        tenant_id: str | None,
        at: str,
    ) -> None:
        """Record a deployment."""
        self.execute(
            "INSERT INTO deployments (id, name, source, tenant_id, deployed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (deployment_id, name, source, tenant_id, at),
        )

    def insert_resource(
        self, resource_id: str, deployment_id: str, name: str, kind: str, digest: str, content: str
    ) -> None:
        """Store a BPMN or DMN file's text."""
        self.execute(
            "INSERT INTO resources (id, deployment_id, name, kind, digest, content) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (resource_id, deployment_id, name, kind, digest, content),
        )

    def insert_definition(self, row: DefinitionRow, starts: Sequence[tuple[str, str, str]]) -> None:
        """Store a process definition version and its start subscriptions."""
        self.execute(
            f"INSERT INTO definitions ({_DEF_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.key,
                row.version,
                row.name,
                row.version_tag,
                row.resource_id,
                row.deployment_id,
                row.digest,
                dumps(row.applies_to) if row.applies_to is not None else None,
                dumps(row.info),
                row.deployed_at,
            ),
        )
        # Start events subscribe only for the latest version of a key.
        self.execute("DELETE FROM start_subscriptions WHERE key = ?", (row.key,))
        self.executemany(
            "INSERT INTO start_subscriptions (definition_id, key, kind, name, event_id) "
            "VALUES (?, ?, ?, ?, ?)",
            [(row.id, row.key, kind, name, event_id) for kind, name, event_id in starts],
        )

    def latest_version(self, table: str, key: str) -> tuple[int, str | None]:
        """Return (version, digest) of the latest version of `key` in `table`, or (0, None)."""
        row = self.one(
            f"SELECT version, digest FROM {table} WHERE key = ? ORDER BY version DESC LIMIT 1",
            (key,),
        )
        return (row[0], row[1]) if row else (0, None)

    def insert_decision(
        self,
        decision_id: str,
        key: str,
        version: int,
        name: str | None,
        version_tag: str | None,
        resource_id: str,
        deployment_id: str,
        digest: str,
        at: str,
    ) -> None:
        """Store a DMN decision version."""
        self.execute(
            "INSERT INTO decisions (id, key, version, name, version_tag, resource_id, "
            "deployment_id, digest, deployed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (decision_id, key, version, name, version_tag, resource_id, deployment_id, digest, at),
        )

    # ---------------------------------------------------------------- instances

    def insert_instance(self, row: InstanceRow) -> None:
        """Store a new instance."""
        cursor = self.execute(
            f"INSERT INTO instances ({_INSTANCE_COLS}) VALUES "
            f"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){self.dialect.token_returning()}",
            (
                row.id,
                row.definition_id,
                row.key,
                row.version,
                row.business_key,
                row.status,
                dumps(row.state),
                dumps(row.variables),
                dumps(row.waiting_at),
                dumps(row.called),
                row.revision,
                row.started_at,
                row.ended_at,
                row.end_reason,
            ),
        )
        self._keep_token(cursor)

    def _keep_token(self, cursor: Any) -> None:
        if self.token is None and self.dialect.token_returning():
            row = cursor.fetchone()
            self.token = row[0] if row else None

    def update_instance(
        self,
        instance_id: str,
        expected_revision: int,
        *,
        status: str,
        state_json: str,
        variables_json: str,
        waiting_at: list[str],
        ended_at: str | None,
        end_reason: str | None,
    ) -> None:
        """Save an instance if nobody changed it since `expected_revision`.

        Raises:
            InstanceConflictError: If the revision moved on.
        """
        cursor = self.execute(
            "UPDATE instances SET status = ?, state = ?, variables = ?, waiting_at = ?, "
            "ended_at = ?, end_reason = ?, revision = revision + 1 "
            f"WHERE id = ? AND revision = ?{self.dialect.token_returning()}",
            (
                status,
                state_json,
                variables_json,
                dumps(waiting_at),
                ended_at,
                end_reason,
                instance_id,
                expected_revision,
            ),
        )
        if cursor.rowcount != 1:
            raise InstanceConflictError(instance_id, expected_revision)
        self._keep_token(cursor)

    def set_instance_status(self, instance_id: str, status: str) -> None:
        """Change only the status (incident raised or resolved)."""
        # Bump the revision too, so a step that loaded the instance before loses its race
        # instead of writing the old status back.
        self.execute(
            "UPDATE instances SET status = ?, revision = revision + 1 WHERE id = ?",
            (status, instance_id),
        )

    # ---------------------------------------------------------------- waits

    def replace_waits(
        self,
        instance_id: str,
        key: str,
        subscriptions: Sequence[tuple[str, str, str | None]],
        timers: Sequence[tuple[str, str, str]],
        user_tasks: Sequence[dict[str, Any]],
        created_at: str,
    ) -> None:
        """Replace the instance's subscriptions, timers and user tasks with the given ones."""
        # Only changed rows are written: fewer dirty pages make a smaller commit. The current
        # waits (and jobs, for `sync_jobs`) come in one query: one round trip, not four.
        rows = self._waits(instance_id)
        self._known_jobs = (instance_id, {r[1] for r in rows if r[0] == "j"})
        wanted_subs = list(subscriptions)
        stale_subs = []
        for sub_id, kind, name, activity_id in (r[1:] for r in rows if r[0] == "s"):
            if (kind, name, activity_id) in wanted_subs:
                wanted_subs.remove((kind, name, activity_id))
            else:
                stale_subs.append((int(sub_id),))
        self.executemany("DELETE FROM subscriptions WHERE id = ?", stale_subs)
        self.executemany(
            "INSERT INTO subscriptions (instance_id, kind, name, activity_id) VALUES (?, ?, ?, ?)",
            [(instance_id, kind, name, activity) for kind, name, activity in wanted_subs],
        )
        existing = {r[1]: r[2] for r in rows if r[0] == "t"}
        wanted = {timer_id: (activity, due) for timer_id, activity, due in timers}
        stale = [(t,) for t in existing if t not in wanted]
        self.executemany("DELETE FROM timers WHERE id = ?", stale)
        self.executemany(
            "INSERT INTO timers (id, instance_id, activity_id, due_at) VALUES (?, ?, ?, ?)",
            [(t, instance_id, a, d) for t, (a, d) in wanted.items() if t not in existing],
        )
        self.executemany(
            "UPDATE timers SET due_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
            [(d, t) for t, (_, d) in wanted.items() if t in existing and existing[t] != d],
        )
        existing_tasks = {r[1] for r in rows if r[0] == "u"}
        wanted_tasks = {t["id"]: t for t in user_tasks}
        gone = [(t,) for t in existing_tasks if t not in wanted_tasks]
        self.executemany("DELETE FROM user_tasks WHERE id = ?", gone)
        self.executemany("DELETE FROM task_candidates WHERE task_id = ?", gone)
        new = [t for tid, t in wanted_tasks.items() if tid not in existing_tasks]
        self.executemany(
            "INSERT INTO user_tasks (id, instance_id, key, activity_id, name, assignee, "
            "candidate_users, candidate_groups, due, follow_up, priority, form_key, form_fields, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    t["id"],
                    instance_id,
                    key,
                    t["activity_id"],
                    t["name"],
                    t["assignee"],
                    dumps(t["candidate_users"]),
                    dumps(t["candidate_groups"]),
                    t["due"],
                    t["follow_up"],
                    t["priority"],
                    t["form_key"],
                    dumps(t["form_fields"]),
                    created_at,
                )
                for t in new
            ],
        )
        self.executemany(
            "INSERT INTO task_candidates (task_id, kind, value) VALUES (?, ?, ?)",
            [
                (t["id"], kind, value)
                for t in new
                for kind, values in (
                    ("group", t["candidate_groups"]),
                    ("user", t["candidate_users"]),
                )
                for value in values
            ],
        )

    def _waits(self, instance_id: str) -> list[Any]:
        """(kind, id, ...) of the instance's subscriptions, timers, user tasks and jobs."""
        return self.all(
            "SELECT 's', CAST(id AS TEXT), kind, name, activity_id FROM subscriptions "
            "WHERE instance_id = ? "
            "UNION ALL SELECT 't', id, due_at, NULL, NULL FROM timers WHERE instance_id = ? "
            "UNION ALL SELECT 'u', id, NULL, NULL, NULL FROM user_tasks WHERE instance_id = ? "
            "UNION ALL SELECT 'j', id, NULL, NULL, NULL FROM jobs WHERE instance_id = ?",
            (instance_id,) * 4,
        )

    def clear_waits(self, instance_id: str) -> None:
        """Remove every wait of a finished instance (open jobs included)."""
        # Look first, then delete only from the tables that hold something: an instance
        # usually ends with one wait, so this is two statements instead of five.
        present = {r[0] for r in self._waits(instance_id)}
        for kind, table in (("s", "subscriptions"), ("t", "timers"), ("j", "jobs")):
            if kind in present:
                self.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))
        if "u" in present:
            self.execute(
                "DELETE FROM task_candidates WHERE task_id IN "
                "(SELECT id FROM user_tasks WHERE instance_id = ?)",
                (instance_id,),
            )
            self.execute("DELETE FROM user_tasks WHERE instance_id = ?", (instance_id,))

    def sync_jobs(self, instance_id: str, jobs: Sequence[JobRow]) -> None:
        """Create jobs that are new; drop jobs the instance no longer waits for."""
        known, self._known_jobs = self._known_jobs, None
        if known is not None and known[0] == instance_id:
            existing = known[1]  # read by replace_waits just before, in this transaction
        else:
            existing = {
                r[0] for r in self.all("SELECT id FROM jobs WHERE instance_id = ?", (instance_id,))
            }
        wanted = {j.id for j in jobs}
        self.executemany("DELETE FROM jobs WHERE id = ?", [(j,) for j in existing - wanted])
        self.executemany(
            f"INSERT INTO jobs ({_JOB_COLS}) VALUES ({', '.join('?' * 17)})",
            [
                (
                    j.id,
                    j.instance_id,
                    j.activity_id,
                    j.activity_name,
                    j.kind,
                    dumps(j.candidates),
                    j.due_at,
                    j.retries_left,
                    j.retry_cycle,
                    j.attempts,
                    j.idempotency_key,
                    j.status,
                    j.lease_owner,
                    j.lease_until,
                    j.last_error,
                    j.created_at,
                    j.wake_key,
                )
                for j in jobs
                if j.id not in existing
            ],
        )

    def wake_jobs(self, wake_key: str, now: str) -> int:
        """Make parked jobs waiting for `wake_key` due now; return how many."""
        cursor = self.execute(
            "UPDATE jobs SET due_at = ? WHERE wake_key = ? AND status = 'pending' AND due_at > ?",
            (now, wake_key, now),
        )
        return int(cursor.rowcount or 0)

    def put_document(self, kind: str, doc_id: str, doc: Any, at: str) -> None:
        """Insert or replace a JSON document."""
        self.execute(
            # `seq` keeps creation order even when the clock stands still (tests, fast hosts).
            "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq) VALUES "
            "(?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents)) "
            "ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, "
            "updated_at = excluded.updated_at",
            (kind, doc_id, dumps(doc), at, at),
        )

    def replace_document(self, kind: str, doc_id: str, expected: Any, doc: Any, at: str) -> bool:
        """Replace a document only if it is still `expected`; tell whether it was replaced.

        A compare-and-swap: of several hosts claiming the same document, one wins.
        """
        cursor = self.execute(
            "UPDATE documents SET doc = ?, updated_at = ? WHERE kind = ? AND id = ? AND doc = ?",
            (dumps(doc), at, kind, doc_id, dumps(expected)),
        )
        return bool(cursor.rowcount)

    def update_job(self, job_id: str, **fields: Any) -> None:
        """Change some columns of a job."""
        columns = ", ".join(f"{name} = ?" for name in fields)
        self.execute(
            f"UPDATE jobs SET {columns} WHERE id = ?",
            (*fields.values(), job_id),
        )

    def delete_job(self, job_id: str) -> None:
        """Forget a finished job."""
        self.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def claim_jobs(self, owner: str, now: str, lease_until: str, limit: int) -> list[JobRow]:
        """Lease up to `limit` due jobs to `owner`.

        On PostgreSQL the rows are locked with `FOR UPDATE SKIP LOCKED` until the transaction
        ends, so concurrent claimers each get different jobs instead of queueing.
        """
        rows = self.all(
            f"SELECT {_JOB_COLS} FROM jobs WHERE status = 'pending' AND due_at <= ? AND "
            f"(lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ?"
            f"{self.dialect.skip_locked()}",
            (now, now, limit),
        )
        jobs = [_job(r) for r in rows]
        if jobs:
            cursor = self.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
                f"WHERE id IN ({_marks(len(jobs))}){self.dialect.token_returning()}",
                (owner, lease_until, *(j.id for j in jobs)),
            )
            self._keep_token(cursor)
        return jobs

    def claim_timers(self, owner: str, now: str, lease_until: str, limit: int) -> list[TimerRow]:
        """Lease up to `limit` due timers to `owner` (see `claim_jobs`)."""
        rows = self.all(
            "SELECT id, instance_id, definition_id, activity_id, due_at, fired FROM timers "
            "WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            f"ORDER BY due_at LIMIT ?{self.dialect.skip_locked()}",
            (now, now, limit),
        )
        if rows:
            cursor = self.execute(
                "UPDATE timers SET lease_owner = ?, lease_until = ? "
                f"WHERE id IN ({_marks(len(rows))}){self.dialect.token_returning()}",
                (owner, lease_until, *(r[0] for r in rows)),
            )
            self._keep_token(cursor)
        return [TimerRow(*r) for r in rows]

    def release_timer(self, timer_id: str) -> None:
        """Give a timer lease back."""
        self.execute(
            "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE id = ?", (timer_id,)
        )

    def renew_leases(self, table: str, ids: Sequence[str], owner: str, until: str) -> int:
        """Extend the leases `owner` still holds on some jobs or timers; return how many."""
        if not ids:
            return 0
        cursor = self.execute(
            f"UPDATE {_leased(table)} SET lease_until = ? "
            f"WHERE lease_owner = ? AND id IN ({_marks(len(ids))})",
            (until, owner, *ids),
        )
        return int(cursor.rowcount or 0)

    def release_leases(self, table: str, owner: str, ids: Sequence[str] | None = None) -> int:
        """Give back the leases `owner` holds (only on `ids`, if given); return how many."""
        if ids is not None and not ids:
            return 0
        where = "" if ids is None else f" AND id IN ({_marks(len(ids))})"
        cursor = self.execute(
            f"UPDATE {_leased(table)} SET lease_owner = NULL, lease_until = NULL "
            f"WHERE lease_owner = ?{where}",
            (owner, *(ids or ())),
        )
        return int(cursor.rowcount or 0)

    def set_start_timer(
        self, timer_id: str, definition_id: str, activity_id: str, due_at: str | None, fired: int
    ) -> None:
        """Schedule (or remove, with `due_at=None`) a process's timer start event."""
        self.execute("DELETE FROM timers WHERE id = ?", (timer_id,))
        if due_at is not None:
            self.execute(
                "INSERT INTO timers (id, instance_id, definition_id, activity_id, due_at, fired) "
                "VALUES (?, NULL, ?, ?, ?, ?)",
                (timer_id, definition_id, activity_id, due_at, fired),
            )

    def delete_start_timers(self, key_prefix: str) -> None:
        """Remove timer start events of older versions of a process."""
        self.execute(
            "DELETE FROM timers WHERE instance_id IS NULL AND id LIKE ?", (key_prefix + "%",)
        )

    # ---------------------------------------------------------------- history, incidents

    def append_history(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append history events.

        Each row is (instance_id, key, activity_id, activity_name, activity_type, kind, at,
        task_id, detail_json); consecutive rows of one instance are stored as one batch.
        """
        batches: list[tuple[str, str, str, list[list[Any]]]] = []
        for instance_id, key, activity_id, name, kind_type, kind, at, task_id, detail in rows:
            if not batches or batches[-1][0] != instance_id:
                batches.append((instance_id, key, at, []))
            batches[-1][3].append([kind, activity_id, name, kind_type, at, task_id, detail])
        self.executemany(
            "INSERT INTO history (instance_id, key, at, events) VALUES (?, ?, ?, ?)",
            [(i, k, at, dumps(events)) for i, k, at, events in batches],
        )

    def insert_incident(
        self,
        incident_id: str,
        instance_id: str,
        activity_id: str | None,
        job_id: str | None,
        kind: str,
        message: str,
        at: str,
    ) -> None:
        """Open an incident."""
        self.execute(
            "INSERT INTO incidents (id, instance_id, activity_id, job_id, kind, message, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (incident_id, instance_id, activity_id, job_id, kind, message, at),
        )

    def resolve_incidents(
        self, *, incident_id: str | None = None, instance_id: str | None = None, at: str
    ) -> None:
        """Close one incident, or all of an instance's."""
        if incident_id is not None:
            self.execute("UPDATE incidents SET resolved_at = ? WHERE id = ?", (at, incident_id))
        elif instance_id is not None:
            self.execute(
                "UPDATE incidents SET resolved_at = ? WHERE instance_id = ? AND "
                "resolved_at IS NULL",
                (at, instance_id),
            )


class SqlStore:
    """A database holding definitions, instances, waits, jobs and history.

    One connection per thread; writes are short transactions (`transaction()`). A connection
    the server dropped (a restart, a failover, an idle timeout) is replaced on the next use:
    reads are repeated once on a fresh connection, and `run_transaction()` repeats a whole
    transaction once when it is known not to have committed.
    """

    def __init__(self, dialect: Dialect, *, url: str) -> None:
        """Open the store (lazily connects per thread)."""
        self.dialect = dialect
        self.url = url
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- connections

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.dialect.is_closed(conn):
            self._discard()
            conn = None
        if conn is None:
            conn = self.dialect.connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _discard(self) -> None:
        """Forget (and close) this thread's connection; the next use opens a new one."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with contextlib.suppress(Exception):  # it is usually broken already
            conn.close()

    def close_thread_connection(self) -> None:
        """Close the calling thread's connection (helper threads call this before ending)."""
        self._discard()

    def _in_transaction(self) -> bool:
        return bool(getattr(self._local, "in_tx", False))

    def reader(self) -> _Cursor:
        """Return a cursor for reads outside any write transaction."""
        return _Reader(self)

    def _lost(self, err: BaseException, *, committed: bool | None) -> _ConnectionLostError:
        self._discard()
        log.warning("lost the connection to %s: %s", self.url, _first_line(err))
        return _ConnectionLostError(
            f"lost the connection to the database ({_first_line(err)}); "
            + (
                "nothing was saved"
                if committed is False
                else "the last transaction may or may not have been saved"
            ),
            committed=committed,
        )

    def _begin(self) -> Any:
        """Open a write transaction, on a fresh connection if the old one was dropped."""
        conn = self._conn()
        try:
            self.dialect.begin_write(conn)
        except Exception as err:
            if not self.dialect.is_disconnect(err, conn):
                raise
            # The server dropped the connection while it sat idle (a restart); nothing was
            # sent yet, so beginning again on a new connection is safe.
            self._lost(err, committed=False)
            conn = self._conn()
            try:
                self.dialect.begin_write(conn)
            except Exception as again:
                if self.dialect.is_disconnect(again, conn):
                    raise self._lost(again, committed=False) from again
                raise
        return conn

    def _rollback(self, conn: Any, err: BaseException) -> None:
        if isinstance(err, _ConnectionLostError):
            return
        try:
            conn.rollback()
        except Exception as failed:
            if not self.dialect.is_disconnect(failed, conn):
                raise
            self._discard()
        if self.dialect.is_disconnect(err, conn):
            raise self._lost(err, committed=False) from err

    def _commit(self, conn: Any, tx: Tx) -> None:
        try:
            # Written before COMMIT so that a commit whose answer is lost can be looked up.
            token = tx.token
            if token is None and tx.wrote:
                token = self.dialect.commit_token(conn)
        except Exception as err:
            if self.dialect.is_disconnect(err, conn):
                raise self._lost(err, committed=False) from err
            raise
        try:
            conn.commit()
        except Exception as err:
            if not self.dialect.is_disconnect(err, conn):
                raise
            self._discard()
            outcome = self._outcome(token) if tx.wrote else False
            if outcome is True:
                log.warning("lost the connection while committing; the commit went through")
                return
            raise self._lost(err, committed=outcome) from err

    def _outcome(self, token: Any) -> bool | None:
        """Whether the transaction behind `token` committed, asked on a new connection."""
        if token is None:
            return None
        try:
            return self.dialect.committed(self._conn(), token)
        except Exception:  # noqa: BLE001 - the server may still be down: the outcome is unknown
            self._discard()
            return None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Run the block in one write transaction; commit on success, roll back on error.

        Raises:
            StoreError: If the connection was lost; the message says whether anything was
                saved (`run_transaction()` repeats the block instead, when that is safe).
        """
        conn = self._begin()
        tx = Tx(conn, self.dialect)
        self._local.in_tx = True
        try:
            yield tx
        except BaseException as err:
            self._local.in_tx = False
            self._rollback(conn, err)
            raise
        self._local.in_tx = False
        self._commit(conn, tx)

    def run_transaction(self, body: Callable[[Tx], T]) -> T:
        """Run `body` in one write transaction, repeating it once if the connection was lost.

        `body` may run twice, so it must only write through the `Tx` (no side effects of its
        own). It is repeated only when the first attempt is known not to have committed.

        Raises:
            StoreError: If the connection is lost again, or was lost while committing and
                whether the commit went through cannot be told.
        """
        try:
            with self.transaction() as tx:
                return body(tx)
        except _ConnectionLostError as err:
            if err.committed is not False:
                raise
            log.info("repeating the transaction on a new connection")
        with self.transaction() as tx:
            return body(tx)

    def release_leases(self, table: str, owner: str, ids: Sequence[str]) -> int:
        """Give back `owner`'s leases on some jobs or timers, in one statement of its own.

        Returns how many leases were given back. Outside a transaction: the single UPDATE is
        atomic by itself, and repeating it (after a lost connection) changes nothing.
        """
        if not ids:
            return 0
        cursor = self.reader().execute(
            f"UPDATE {_leased(table)} SET lease_owner = NULL, lease_until = NULL "
            f"WHERE lease_owner = ? AND id IN ({_marks(len(ids))})",
            (owner, *ids),
        )
        return int(cursor.rowcount or 0)

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):  # closing is best effort
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    # ---------------------------------------------------------------- schema

    def migrate(self, *, upgrade: bool = True) -> int:
        """Create or upgrade the schema; returns the version in use.

        Several hosts may call this at once: on PostgreSQL the migration holds an advisory
        lock, on SQLite the write lock, so one host migrates and the others find it done.

        Raises:
            SchemaVersionError: If the database is newer than this library, or older and
                `upgrade` is False.
        """
        try:
            current = self._migrate(upgrade=upgrade)
        except SchemaVersionError:
            # The caller will not use a refused store: keep no connection open for it.
            self.close()
            raise
        if current < SCHEMA_VERSION:
            log.info("migrated %s from schema %s to %s", self.url, current, SCHEMA_VERSION)
        return SCHEMA_VERSION

    def _migrate(self, *, upgrade: bool) -> int:
        with self.transaction() as tx:
            self.dialect.lock_schema(tx.conn)
            current = _schema_version(tx)
            if current > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"the database schema is version {current}, newer than this library "
                    f"supports ({SCHEMA_VERSION}); upgrade modelop-mlc on this host to the "
                    "version the other hosts run"
                )
            if current < SCHEMA_VERSION and not upgrade:
                what = (
                    "has no modelop_mlc schema"
                    if current == 0
                    else (f"has schema version {current}")
                )
                raise SchemaVersionError(
                    f"the database {what}; this library needs version {SCHEMA_VERSION}. Back "
                    "it up, then migrate it from one host: LifecycleManager.open(url, "
                    "migrate=True), store.migrate() or any `mlc --db URL` command"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                statements = MIGRATIONS[version][1:] if version == 1 else MIGRATIONS[version]
                for statement in statements:
                    tx.execute(statement.replace("{autoinc}", self.dialect.autoinc))
            if current == 0:
                tx.execute("INSERT INTO mlc_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif current < SCHEMA_VERSION:
                tx.execute("UPDATE mlc_schema SET version = ?", (SCHEMA_VERSION,))
        return current

    # ---------------------------------------------------------------- reads

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        """Read one instance."""
        row = self.reader().one(
            f"SELECT {_INSTANCE_COLS} FROM instances WHERE id = ?", (instance_id,)
        )
        return _instance(row) if row else None

    def instance_meta(self, instance_id: str) -> tuple[str, str, str | None] | None:
        """Read (status, key, business_key) without the state."""
        row = self.reader().one(
            "SELECT status, key, business_key FROM instances WHERE id = ?", (instance_id,)
        )
        return (row[0], row[1], row[2]) if row else None

    def list_instances(
        self,
        *,
        status: str | None,
        key: str | None,
        business_key: str | None,
        limit: int | None,
        offset: int = 0,
    ) -> list[InstanceRow]:
        """List instances, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("status", status), ("key", key), ("business_key", business_key)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT {_INSTANCE_COLS} FROM instances{where} ORDER BY started_at DESC, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        return [_instance(r) for r in self.reader().all(sql, params)]

    def count_instances(self, status: str | None = None) -> int:
        """Count instances (optionally with one status)."""
        if status is None:
            return int(self.reader().one("SELECT COUNT(*) FROM instances")[0])
        return int(
            self.reader().one("SELECT COUNT(*) FROM instances WHERE status = ?", (status,))[0]
        )

    def subscribers(self, kind: str, name: str) -> list[str]:
        """Instance ids waiting for a signal or message."""
        rows = self.reader().all(
            "SELECT DISTINCT instance_id FROM subscriptions WHERE kind = ? AND name = ?",
            (kind, name),
        )
        return sorted(r[0] for r in rows)

    def start_subscribers(self, kind: str, name: str) -> list[tuple[str, str]]:
        """(definition id, start event id) of latest definitions started by an event."""
        rows = self.reader().all(
            "SELECT definition_id, event_id FROM start_subscriptions WHERE kind = ? AND name = ?"
            " ORDER BY key",
            (kind, name),
        )
        return [(r[0], r[1]) for r in rows]

    def get_definition(self, definition_id: str) -> DefinitionRow | None:
        """Read a definition version."""
        row = self.reader().one(
            f"SELECT {_DEF_COLS} FROM definitions WHERE id = ?", (definition_id,)
        )
        return _definition(row) if row else None

    def latest_definition(self, key: str) -> DefinitionRow | None:
        """Read the latest version of a definition key."""
        row = self.reader().one(
            f"SELECT {_DEF_COLS} FROM definitions WHERE key = ? ORDER BY version DESC LIMIT 1",
            (key,),
        )
        return _definition(row) if row else None

    def definition_version(self, key: str, version: int) -> DefinitionRow | None:
        """Read one version of a definition key."""
        row = self.reader().one(
            f"SELECT {_DEF_COLS} FROM definitions WHERE key = ? AND version = ?",
            (key, version),
        )
        return _definition(row) if row else None

    def list_definitions(
        self, *, key: str | None = None, latest_only: bool = False
    ) -> list[DefinitionRow]:
        """List definition versions."""
        rows = self.reader().all(f"SELECT {_DEF_COLS} FROM definitions ORDER BY key, version")
        found = [_definition(r) for r in rows if key is None or r[1] == key]
        if latest_only:
            latest: dict[str, DefinitionRow] = {}
            for row in found:
                latest[row.key] = row
            found = list(latest.values())
        return found

    def definition_keys(self) -> list[str]:
        """All deployed process keys."""
        return [
            r[0] for r in self.reader().all("SELECT DISTINCT key FROM definitions ORDER BY key")
        ]

    def resource(self, resource_id: str) -> tuple[str, str, str]:
        """Read a resource's (name, kind, content).

        Raises:
            StoreError: If it is missing.
        """
        row = self.reader().one(
            "SELECT name, kind, content FROM resources WHERE id = ?", (resource_id,)
        )
        if row is None:
            raise StoreError(f"resource '{resource_id}' is missing from the database")
        return row[0], row[1], row[2]

    def decision_rows(self, key: str | None = None) -> list[tuple[str, str, int, str, str | None]]:
        """(id, key, version, resource_id, version_tag) of decisions, oldest first."""
        sql = "SELECT id, key, version, resource_id, version_tag FROM decisions"
        params: list[Any] = []
        if key is not None:
            sql += " WHERE key = ?"
            params.append(key)
        return [tuple(r) for r in self.reader().all(sql + " ORDER BY key, version", params)]

    def list_deployments(self) -> list[tuple[str, str | None, str | None, str | None, str]]:
        """(id, name, source, tenant_id, deployed_at) of every deployment."""
        return [
            tuple(r)
            for r in self.reader().all(
                "SELECT id, name, source, tenant_id, deployed_at FROM deployments "
                "ORDER BY deployed_at, id"
            )
        ]

    def user_tasks(
        self,
        *,
        instance_id: str | None,
        assignee: str | None,
        candidate_group: str | None,
        candidate_user: str | None,
        task_id: str | None = None,
    ) -> list[Any]:
        """Open user tasks matching every given filter."""
        clauses, params = [], []
        if task_id is not None:
            clauses.append("t.id = ?")
            params.append(task_id)
        if instance_id is not None:
            clauses.append("t.instance_id = ?")
            params.append(instance_id)
        if assignee is not None:
            clauses.append("t.assignee = ?")
            params.append(assignee)
        for kind, value in (("group", candidate_group), ("user", candidate_user)):
            if value is not None:
                clauses.append(
                    "t.id IN (SELECT task_id FROM task_candidates WHERE kind = ? AND value = ?)"
                )
                params.extend([kind, value])
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.reader().all(
            "SELECT t.id, t.instance_id, t.key, t.activity_id, t.name, t.assignee, "
            "t.candidate_users, t.candidate_groups, t.due, t.follow_up, t.priority, t.form_key, "
            f"t.form_fields, t.created_at FROM user_tasks t{where} "
            "ORDER BY t.created_at, t.id",
            params,
        )

    def history(self, instance_id: str) -> list[Any]:
        """History rows of one instance, in order (see `_unpack`)."""
        return _unpack(
            self.reader().all(
                "SELECT seq, instance_id, key, at, events FROM history WHERE instance_id = ? "
                "ORDER BY seq",
                (instance_id,),
            )
        )

    def history_all(self, *, kinds: Sequence[str] | None = None) -> list[Any]:
        """All history rows (optionally of some kinds), in order."""
        rows = _unpack(
            self.reader().all("SELECT seq, instance_id, key, at, events FROM history ORDER BY seq")
        )
        if kinds:
            wanted = set(kinds)
            rows = [r for r in rows if r[6] in wanted]
        return rows

    def incidents(self, *, instance_id: str | None, open_only: bool) -> list[Any]:
        """Incident rows."""
        clauses, params = [], []
        if instance_id is not None:
            clauses.append("instance_id = ?")
            params.append(instance_id)
        if open_only:
            clauses.append("resolved_at IS NULL")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.reader().all(
            "SELECT id, instance_id, activity_id, job_id, kind, message, created_at, resolved_at "
            f"FROM incidents{where} ORDER BY created_at, id",
            params,
        )

    def leases(self, owner: str) -> dict[str, list[str]]:
        """Ids of the jobs and timers `owner` (a worker id) holds a lease on, by table."""
        return {
            table: [
                r[0]
                for r in self.reader().all(
                    f"SELECT id FROM {table} WHERE lease_owner = ? ORDER BY id", (owner,)
                )
            ]
            for table in sorted(_LEASED)
        }

    def jobs(self, instance_id: str | None = None) -> list[JobRow]:
        """Job rows."""
        if instance_id is None:
            return [
                _job(r) for r in self.reader().all(f"SELECT {_JOB_COLS} FROM jobs ORDER BY due_at")
            ]
        return [
            _job(r)
            for r in self.reader().all(
                f"SELECT {_JOB_COLS} FROM jobs WHERE instance_id = ? ORDER BY due_at",
                (instance_id,),
            )
        ]

    def get_job(self, job_id: str) -> JobRow | None:
        """Read one job."""
        row = self.reader().one(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    def next_due(self) -> str | None:
        """The earliest due time of any pending timer or job."""
        times = [
            self.reader().one("SELECT MIN(due_at) FROM timers")[0],
            self.reader().one("SELECT MIN(due_at) FROM jobs WHERE status = 'pending'")[0],
        ]
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def timers(self, instance_id: str | None = None) -> list[TimerRow]:
        """Timer rows."""
        sql = "SELECT id, instance_id, definition_id, activity_id, due_at, fired FROM timers"
        params: list[Any] = []
        if instance_id is not None:
            sql += " WHERE instance_id = ?"
            params.append(instance_id)
        return [TimerRow(*r) for r in self.reader().all(sql + " ORDER BY due_at", params)]

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read one JSON document, or None."""
        row = self.reader().one(
            "SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)
        )
        return json.loads(row[0]) if row else None

    def list_documents(self, kind: str) -> list[Any]:
        """Read every document of a kind, oldest first."""
        return [
            json.loads(r[0])
            for r in self.reader().all(
                "SELECT doc FROM documents WHERE kind = ? ORDER BY seq", (kind,)
            )
        ]

    def raw(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a read query (for KPIs, tests and tools)."""
        return self.reader().all(statement, params)


def _unpack(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Expand stored batches into event rows.

    Each row is (seq, instance_id, key, activity_id, activity_name, activity_type, kind, at,
    task_id, detail_json).
    """
    events = []
    for seq, instance_id, key, _at, batch in rows:
        for index, (kind, activity_id, name, kind_type, at, task_id, detail) in enumerate(
            json.loads(batch)
        ):
            events.append(
                (
                    seq * 10_000 + index,
                    instance_id,
                    key,
                    activity_id,
                    name,
                    kind_type,
                    kind,
                    at,
                    task_id,
                    detail,
                )
            )
    return events
