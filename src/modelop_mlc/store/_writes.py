"""`SqlTx`: every write, inside one transaction (the `Tx` protocol on SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelop_mlc.errors import InstanceConflictError
from modelop_mlc.store._columns import (
    DEFINITION_COLUMNS,
    INSTANCE_COLUMNS,
    JOB_COLUMNS,
    TASK_COLUMNS,
    TIMER_COLUMNS,
    definition_values,
    history_batches,
    instance_values,
    job_from,
    job_values,
    marks,
    task_values,
    timer_from,
)
from modelop_mlc.store._cursor import Dialect
from modelop_mlc.store._external_tasks import ExternalTaskWrites
from modelop_mlc.store._outbox import OutboxWrites
from modelop_mlc.store.rows import (
    DefinitionRow,
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    KpiFactsRow,
    TimerRow,
    Waits,
    dumps,
)

__all__ = ["LEASED", "SqlTx", "leased"]

# Tables whose rows are leased to workers.
LEASED = frozenset({"deliveries", "jobs", "timers"})


def leased(table: str) -> str:
    """Return `table` if its rows are leased to workers.

    Raises:
        ValueError: If it is not one of `LEASED`.
    """
    if table not in LEASED:
        raise ValueError(f"'{table}' holds no leases; use one of {sorted(LEASED)}")
    return table


class SqlTx(ExternalTaskWrites, OutboxWrites):
    """Writes inside one transaction (external tasks' and the outbox's in their mixins)."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        """Write through `conn`, whose transaction has begun."""
        super().__init__(conn, dialect)
        # What identifies this transaction after a lost COMMIT (see `Dialect.commit_token`),
        # when a statement already returned it.
        self.token: Any = None
        # Ids of external tasks this transaction created (long-polling workers are woken).
        self.new_external_tasks: list[str] = []

    def _keep_token(self, cursor: Any) -> None:
        if self.token is None and self.dialect.token_returning():
            row = cursor.fetchone()
            self.token = row[0] if row else None

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
        """Store a process definition version and its (kind, name, event id) start events."""
        self.execute(
            f"INSERT INTO definitions ({DEFINITION_COLUMNS}) VALUES ({marks(11)})",
            definition_values(row),
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

    def insert_instance(
        self, row: InstanceRow, *, state_json: str | None = None, variables_json: str | None = None
    ) -> None:
        """Store a new instance (`state_json`, `variables_json`: already encoded, else None)."""
        cursor = self.execute(
            f"INSERT INTO instances ({INSTANCE_COLUMNS}) VALUES "
            f"({marks(18)}){self.dialect.token_returning()}",
            instance_values(row, state_json=state_json, variables_json=variables_json),
        )
        self._keep_token(cursor)

    def update_instance(
        self,
        instance_id: str,
        expected_revision: int,
        *,
        status: str | None,
        state_json: str,
        variables_json: str,
        waiting_at: list[str],
        ended_at: str | None,
        end_reason: str | None,
    ) -> None:
        """Save an instance if nobody changed it since `expected_revision`.

        `status` None leaves the status as it is: SQLite rewrites the entries of every index
        on a column the statement sets, even to the same value.

        Raises:
            InstanceConflictError: If the revision moved on.
        """
        status_set = "" if status is None else "status = ?, "
        cursor = self.execute(
            f"UPDATE instances SET {status_set}state = ?, variables = ?, waiting_at = ?, "
            "ended_at = ?, end_reason = ?, revision = revision + 1 "
            f"WHERE id = ? AND revision = ?{self.dialect.token_returning()}",
            (
                *(() if status is None else (status,)),
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

    def replace_waits(self, instance_id: str, waits: Waits) -> None:
        """Replace the instance's subscriptions, timers, user tasks and jobs with `waits`.

        Timers and user tasks that stay keep their rows (a user task its creation time);
        jobs that stay keep their attempts and leases.
        """
        # Only changed rows are written: fewer dirty pages make a smaller commit. The current
        # waits come in one query: one round trip, not four.
        rows = self._waits(instance_id)
        wanted_subs = [(s.kind, s.name, s.activity_id) for s in waits.subscriptions]
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
        wanted = {t.id: t for t in waits.timers}
        stale = [(t,) for t in existing if t not in wanted]
        self.executemany("DELETE FROM timers WHERE id = ?", stale)
        self.executemany(
            "INSERT INTO timers (id, instance_id, activity_id, due_at) VALUES (?, ?, ?, ?)",
            [
                (t.id, instance_id, t.activity_id, t.due_at)
                for t in wanted.values()
                if t.id not in existing
            ],
        )
        self.executemany(
            "UPDATE timers SET due_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
            [
                (t.due_at, t.id)
                for t in wanted.values()
                if t.id in existing and existing[t.id] != t.due_at
            ],
        )
        existing_tasks = {r[1] for r in rows if r[0] == "u"}
        wanted_tasks = {t.id: t for t in waits.user_tasks}
        gone = [(t,) for t in existing_tasks if t not in wanted_tasks]
        self.executemany("DELETE FROM user_tasks WHERE id = ?", gone)
        self.executemany("DELETE FROM task_candidates WHERE task_id = ?", gone)
        new = [t for tid, t in wanted_tasks.items() if tid not in existing_tasks]
        self.executemany(
            f"INSERT INTO user_tasks ({TASK_COLUMNS}) VALUES ({marks(14)})",
            [task_values(t) for t in new],
        )
        self.executemany(
            "INSERT INTO task_candidates (task_id, kind, value, created_at) VALUES (?, ?, ?, ?)",
            [
                (t.id, kind, value, t.created_at)
                for t in new
                for kind, values in (("group", t.candidate_groups), ("user", t.candidate_users))
                for value in dict.fromkeys(values)  # once each: the listing joins these rows
            ],
        )
        self._replace_jobs(waits.jobs, {r[1] for r in rows if r[0] == "j"})
        self.new_external_tasks += self.replace_external_tasks(
            waits.external_tasks, {r[1] for r in rows if r[0] == "e"}
        )

    def _waits(self, instance_id: str) -> list[Any]:
        """(kind, id, ...) of the instance's subscriptions, timers, user tasks and jobs."""
        return self.all(
            "SELECT 's', CAST(id AS TEXT), kind, name, activity_id FROM subscriptions "
            "WHERE instance_id = ? "
            "UNION ALL SELECT 't', id, due_at, NULL, NULL FROM timers WHERE instance_id = ? "
            "UNION ALL SELECT 'u', id, NULL, NULL, NULL FROM user_tasks WHERE instance_id = ? "
            "UNION ALL SELECT 'j', id, NULL, NULL, NULL FROM jobs WHERE instance_id = ? "
            "UNION ALL SELECT 'e', id, NULL, NULL, NULL FROM external_tasks WHERE instance_id = ?",
            (instance_id,) * 5,
        )

    def clear_waits(self, instance_id: str) -> None:
        """Remove every wait of a finished instance (open jobs included)."""
        # Look first, then delete only from the tables that hold something: an instance
        # usually ends with one wait, so this is two statements instead of five.
        present = {r[0] for r in self._waits(instance_id)}
        for kind, table in (
            ("s", "subscriptions"),
            ("t", "timers"),
            ("j", "jobs"),
            ("e", "external_tasks"),
        ):
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
        existing = {
            r[0] for r in self.all("SELECT id FROM jobs WHERE instance_id = ?", (instance_id,))
        }
        self._replace_jobs(jobs, existing)

    def _replace_jobs(self, jobs: Sequence[JobRow], existing: set[str]) -> None:
        wanted = {j.id for j in jobs}
        self.executemany("DELETE FROM jobs WHERE id = ?", [(j,) for j in existing - wanted])
        self.executemany(
            f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({marks(17)})",
            [job_values(j) for j in jobs if j.id not in existing],
        )

    def update_user_task(self, task_id: str, **fields: Any) -> int:
        """Change the assignee, owner or delegation state of an open user task."""
        columns = ", ".join(f"{name} = ?" for name in fields)
        cursor = self.execute(
            f"UPDATE user_tasks SET {columns} WHERE id = ?", (*fields.values(), task_id)
        )
        return int(cursor.rowcount or 0)

    def set_task_candidates(
        self, task_id: str, users: Sequence[str], groups: Sequence[str]
    ) -> None:
        """Replace an open user task's candidate users and groups."""
        self.execute(
            "UPDATE user_tasks SET candidate_users = ?, candidate_groups = ? WHERE id = ?",
            (dumps(list(users)), dumps(list(groups)), task_id),
        )
        self.execute("DELETE FROM task_candidates WHERE task_id = ?", (task_id,))
        # Each row carries its task's creation time, so a group's tasks list from one index.
        self.executemany(
            "INSERT INTO task_candidates (task_id, kind, value, created_at) "
            "SELECT id, ?, ?, created_at FROM user_tasks WHERE id = ?",
            [("user", u, task_id) for u in dict.fromkeys(users)]
            + [("group", g, task_id) for g in dict.fromkeys(groups)],
        )

    def wake_jobs(self, wake_key: str, now: str) -> int:
        """Make parked jobs waiting for `wake_key` due now; return how many."""
        cursor = self.execute(
            "UPDATE jobs SET due_at = ? WHERE wake_key = ? AND status = 'pending' AND due_at > ?",
            (now, wake_key, now),
        )
        return int(cursor.rowcount or 0)

    # ---------------------------------------------------------------- documents

    def put_document(
        self, kind: str, doc_id: str, doc: Any, at: str, *, pending: bool = False
    ) -> None:
        """Insert or replace a JSON document (`pending`: listed by `pending_only` reads)."""
        self.execute(
            # `seq` keeps creation order even when the clock stands still (tests, fast hosts).
            # It counts per kind, read from the end of the (kind, seq) index.
            "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq, pending) VALUES "
            "(?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents WHERE kind = ?), "
            "?) ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, "
            "updated_at = excluded.updated_at, pending = excluded.pending",
            (kind, doc_id, dumps(doc), at, at, kind, int(pending)),
        )

    def replace_document(
        self, kind: str, doc_id: str, expected: Any, doc: Any, at: str, *, pending: bool = False
    ) -> bool:
        """Replace a document only if it is still `expected`; tell whether it was replaced.

        A compare-and-swap: of several hosts claiming the same document, one wins.
        """
        cursor = self.execute(
            "UPDATE documents SET doc = ?, updated_at = ?, pending = ? "
            "WHERE kind = ? AND id = ? AND doc = ?",
            (dumps(doc), at, int(pending), kind, doc_id, dumps(expected)),
        )
        return bool(cursor.rowcount)

    def insert_document(self, kind: str, doc_id: str, doc: Any, at: str) -> bool:
        """Insert a document unless one with that id exists; tell whether it was inserted.

        Of several hosts recording the same event, exactly one inserts it.
        """
        cursor = self.execute(
            # `seq` counts per kind, as in `put_document`: read from the (kind, seq) index.
            "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq) VALUES "
            "(?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents WHERE kind = ?)) "
            "ON CONFLICT (kind, id) DO NOTHING",
            (kind, doc_id, dumps(doc), at, at, kind),
        )
        return bool(cursor.rowcount)

    # ---------------------------------------------------------------- jobs and timers

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
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'pending' AND due_at <= ? AND "
            f"(lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ?"
            f"{self.dialect.skip_locked()}",
            (now, now, limit),
        )
        jobs = [job_from(r) for r in rows]
        if jobs:
            cursor = self.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
                f"WHERE id IN ({marks(len(jobs))}){self.dialect.token_returning()}",
                (owner, lease_until, *(j.id for j in jobs)),
            )
            self._keep_token(cursor)
        return jobs

    def claim_timers(self, owner: str, now: str, lease_until: str, limit: int) -> list[TimerRow]:
        """Lease up to `limit` due timers to `owner` (see `claim_jobs`)."""
        rows = self.all(
            f"SELECT {TIMER_COLUMNS} FROM timers "
            "WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            f"ORDER BY due_at LIMIT ?{self.dialect.skip_locked()}",
            (now, now, limit),
        )
        if rows:
            cursor = self.execute(
                "UPDATE timers SET lease_owner = ?, lease_until = ? "
                f"WHERE id IN ({marks(len(rows))}){self.dialect.token_returning()}",
                (owner, lease_until, *(r[0] for r in rows)),
            )
            self._keep_token(cursor)
        return [timer_from(r) for r in rows]

    def release_timer(self, timer_id: str) -> None:
        """Give a timer lease back."""
        self.execute(
            "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE id = ?", (timer_id,)
        )

    def lease_timer(self, timer_id: str, owner: str, until: str) -> None:
        """Lease one timer to `owner` until `until` (an incident parks a failed timer so)."""
        self.execute(
            "UPDATE timers SET lease_owner = ?, lease_until = ? WHERE id = ?",
            (owner, until, timer_id),
        )

    def delete_timer(self, timer_id: str) -> None:
        """Forget a timer nobody waits for any more."""
        self.execute("DELETE FROM timers WHERE id = ?", (timer_id,))

    def renew_leases(self, table: str, ids: Sequence[str], owner: str, until: str) -> int:
        """Extend the leases `owner` still holds on some jobs or timers; return how many."""
        if not ids:
            return 0
        cursor = self.execute(
            f"UPDATE {leased(table)} SET lease_until = ? "
            f"WHERE lease_owner = ? AND id IN ({marks(len(ids))})",
            (until, owner, *ids),
        )
        return int(cursor.rowcount or 0)

    def release_leases(self, table: str, owner: str, ids: Sequence[str] | None = None) -> int:
        """Give back the leases `owner` holds (only on `ids`, if given); return how many."""
        if ids is not None and not ids:
            return 0
        where = "" if ids is None else f" AND id IN ({marks(len(ids))})"
        cursor = self.execute(
            f"UPDATE {leased(table)} SET lease_owner = NULL, lease_until = NULL "
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

    def append_history(self, rows: Sequence[HistoryRow]) -> None:
        """Append history events (their `seq` is assigned here)."""
        self.executemany(
            "INSERT INTO history (instance_id, key, at, events) VALUES (?, ?, ?, ?)",
            history_batches(rows),
        )

    def insert_incident(self, incident: IncidentRow) -> None:
        """Open an incident."""
        self.execute(
            "INSERT INTO incidents (id, instance_id, activity_id, job_id, kind, message, "
            "created_at, cause_incident_id, root_cause_incident_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                incident.id,
                incident.instance_id,
                incident.activity_id,
                incident.job_id,
                incident.kind,
                incident.message,
                incident.created_at,
                incident.cause_incident_id,
                incident.root_cause_incident_id,
            ),
        )

    def resolve_incidents(
        self, *, incident_id: str | None = None, instance_id: str | None = None, at: str
    ) -> None:
        """Close one incident, or all of an instance's, with the incidents they caused.

        An incident of a called instance is repeated on its callers (`root_cause_incident_id`);
        those close with it, and callers left without open incidents run again.
        """
        if incident_id is not None:
            roots = [incident_id]
        elif instance_id is not None:
            roots = [
                r[0]
                for r in self.all(
                    "SELECT id FROM incidents WHERE instance_id = ? AND resolved_at IS NULL",
                    (instance_id,),
                )
            ]
        else:
            return
        if not roots:
            return
        ids = marks(len(roots))
        callers = self.all(
            "SELECT DISTINCT instance_id FROM incidents WHERE resolved_at IS NULL AND "
            f"root_cause_incident_id IN ({ids}) AND id NOT IN ({ids})",
            (*roots, *roots),
        )
        self.execute(
            "UPDATE incidents SET resolved_at = ? WHERE resolved_at IS NULL AND "
            f"(id IN ({ids}) OR root_cause_incident_id IN ({ids}))",
            (at, *roots, *roots),
        )
        # Callers left without open incidents run again (a revision bump, like any status).
        self.executemany(
            "UPDATE instances SET status = 'running', revision = revision + 1 "
            "WHERE id = ? AND status = 'incident' AND NOT EXISTS (SELECT 1 FROM incidents "
            "WHERE incidents.instance_id = instances.id AND resolved_at IS NULL)",
            [(c[0],) for c in callers],
        )

    # ---------------------------------------------------------------- purging

    def purge_instances(self, instance_ids: Sequence[str]) -> None:
        """Delete ended instances with their history and incidents (they wait for nothing)."""
        ids = [(i,) for i in instance_ids]
        for table, column in (("history", "instance_id"), ("incidents", "instance_id")):
            self.executemany(f"DELETE FROM {table} WHERE {column} = ?", ids)
        self.executemany("DELETE FROM instances WHERE id = ?", ids)

    def insert_kpi_facts(self, rows: Sequence[KpiFactsRow]) -> None:
        """Keep what the KPIs need of instances about to be purged."""
        self.executemany(
            "INSERT INTO kpi_facts (instance_id, key, business_key, status, started_at, "
            "ended_at, facts) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.instance_id,
                    r.key,
                    r.business_key,
                    r.status,
                    r.started_at,
                    r.ended_at,
                    dumps(r.facts),
                )
                for r in rows
            ],
        )
