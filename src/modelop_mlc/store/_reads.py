"""Every read, outside any write transaction; rows out, never engine objects."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from modelop_mlc.errors import StoreError
from modelop_mlc.store._columns import (
    DEFINITION_COLUMNS,
    INCIDENT_COLUMNS,
    INSTANCE_COLUMNS,
    JOB_COLUMNS,
    TASK_COLUMNS,
    TIMER_COLUMNS,
    definition_from,
    history_from,
    incident_from,
    instance_from,
    job_from,
    task_from,
    timer_from,
)
from modelop_mlc.store._connection import Connections
from modelop_mlc.store._external_tasks import ExternalTaskReads
from modelop_mlc.store._outbox import (
    DELIVERY_COLUMNS,
    THROW_COLUMNS,
    delivery_from,
    throw_from,
)
from modelop_mlc.store._writes import LEASED
from modelop_mlc.store.rows import (
    DecisionRow,
    DefinitionRow,
    DeliveryRow,
    DeploymentRow,
    HistoryRow,
    IncidentRow,
    InstanceMeta,
    InstanceRow,
    JobRow,
    ResourceRow,
    TaskRow,
    ThrowRow,
    TimerRow,
)

__all__ = ["Reads"]

_ID_TABLES = frozenset({"instances", "user_tasks", "incidents", "jobs", "timers"})
# Ids are UUIDs: a prefix of other characters matches nothing (and needs no LIKE escaping).
_ID_PREFIX = re.compile(r"[0-9A-Za-z-]+")


def _where(clauses: Sequence[str]) -> str:
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


class Reads(ExternalTaskReads, Connections):
    """The queries of a store."""

    # ---------------------------------------------------------------- instances

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        """Read one instance."""
        row = self.reader().one(
            f"SELECT {INSTANCE_COLUMNS} FROM instances WHERE id = ?", (instance_id,)
        )
        return instance_from(row) if row else None

    def instance_meta(self, instance_id: str) -> InstanceMeta | None:
        """Read an instance's status, key and business key without its state."""
        row = self.reader().one(
            "SELECT status, key, business_key FROM instances WHERE id = ?", (instance_id,)
        )
        return InstanceMeta(status=row[0], key=row[1], business_key=row[2]) if row else None

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
        sql = (
            f"SELECT {INSTANCE_COLUMNS} FROM instances{_where(clauses)} "
            "ORDER BY started_at DESC, id"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        return [instance_from(r) for r in self.reader().all(sql, params)]

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

    # ---------------------------------------------------------------- definitions

    def event_names(self, kind: str) -> list[str]:
        """Names of the signals (or messages) deployed processes or waiting instances hear."""
        rows = self.reader().all(
            "SELECT name FROM start_subscriptions WHERE kind = ? "
            "UNION SELECT name FROM subscriptions WHERE kind = ?",
            (kind, kind),
        )
        return sorted(r[0] for r in rows)

    def ids_starting(self, table: str, prefix: str, limit: int = 10) -> list[str]:
        """Ids in `table` (instances, user_tasks, incidents, jobs, timers) starting `prefix`."""
        if table not in _ID_TABLES or not _ID_PREFIX.fullmatch(prefix):
            return []
        rows = self.reader().all(
            f"SELECT id FROM {table} WHERE id LIKE ? ORDER BY id LIMIT ?", (f"{prefix}%", limit)
        )
        return [r[0] for r in rows]

    def get_definition(self, definition_id: str) -> DefinitionRow | None:
        """Read a definition version."""
        row = self.reader().one(
            f"SELECT {DEFINITION_COLUMNS} FROM definitions WHERE id = ?", (definition_id,)
        )
        return definition_from(row) if row else None

    def latest_definition(self, key: str) -> DefinitionRow | None:
        """Read the latest version of a definition key."""
        row = self.reader().one(
            f"SELECT {DEFINITION_COLUMNS} FROM definitions WHERE key = ? "
            "ORDER BY version DESC LIMIT 1",
            (key,),
        )
        return definition_from(row) if row else None

    def definition_version(self, key: str, version: int) -> DefinitionRow | None:
        """Read one version of a definition key."""
        row = self.reader().one(
            f"SELECT {DEFINITION_COLUMNS} FROM definitions WHERE key = ? AND version = ?",
            (key, version),
        )
        return definition_from(row) if row else None

    def list_definitions(
        self, *, key: str | None = None, latest_only: bool = False
    ) -> list[DefinitionRow]:
        """List definition versions."""
        rows = self.reader().all(
            f"SELECT {DEFINITION_COLUMNS} FROM definitions ORDER BY key, version"
        )
        found = [definition_from(r) for r in rows if key is None or r[1] == key]
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

    def resource(self, resource_id: str) -> ResourceRow:
        """Read a deployed file.

        Raises:
            StoreError: If it is missing.
        """
        row = self.reader().one(
            "SELECT name, kind, content FROM resources WHERE id = ?", (resource_id,)
        )
        if row is None:
            raise StoreError(f"resource '{resource_id}' is missing from the database")
        return ResourceRow(name=row[0], kind=row[1], content=row[2])

    def decision_rows(self, key: str | None = None) -> list[DecisionRow]:
        """Decision versions (of one key, if given), oldest first."""
        sql = "SELECT id, key, version, resource_id, version_tag FROM decisions"
        params: list[Any] = []
        if key is not None:
            sql += " WHERE key = ?"
            params.append(key)
        return [
            DecisionRow(id=r[0], key=r[1], version=r[2], resource_id=r[3], version_tag=r[4])
            for r in self.reader().all(sql + " ORDER BY key, version", params)
        ]

    def decision_version(self, key: str, version: int) -> list[DecisionRow]:
        """One version of a decision key, with its name, deployment and file name."""
        rows = self.reader().all(
            "SELECT d.id, d.resource_id, d.version_tag, d.name, d.deployment_id, r.name "
            "FROM decisions d JOIN resources r ON r.id = d.resource_id "
            "WHERE d.key = ? AND d.version = ?",
            (key, version),
        )
        return [
            DecisionRow(
                id=r[0],
                key=key,
                version=version,
                resource_id=r[1],
                version_tag=r[2],
                name=r[3],
                deployment_id=r[4],
                resource_name=r[5],
            )
            for r in rows
        ]

    def deployment_resources(self, deployment_id: str) -> list[tuple[str, str, str, str]]:
        """(resource id, name, digest, content) of the files a deployment stored."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self.reader().all(
                "SELECT id, name, digest, content FROM resources WHERE deployment_id = ? "
                "ORDER BY name, id",
                (deployment_id,),
            )
        ]

    def list_deployments(self) -> list[DeploymentRow]:
        """Every deployment, oldest first."""
        return [
            DeploymentRow(id=r[0], name=r[1], source=r[2], tenant_id=r[3], deployed_at=r[4])
            for r in self.reader().all(
                "SELECT id, name, source, tenant_id, deployed_at FROM deployments "
                "ORDER BY deployed_at, id"
            )
        ]

    # ---------------------------------------------------------------- waits

    def user_tasks(
        self,
        *,
        instance_id: str | None,
        assignee: str | None,
        candidate_group: str | None,
        candidate_user: str | None,
        task_id: str | None = None,
    ) -> list[TaskRow]:
        """Open user tasks matching every given filter."""
        clauses, params = [], []
        for column, value in (
            ("id", task_id),
            ("instance_id", instance_id),
            ("assignee", assignee),
        ):
            if value is not None:
                clauses.append(f"t.{column} = ?")
                params.append(value)
        for kind, value in (("group", candidate_group), ("user", candidate_user)):
            if value is not None:
                clauses.append(
                    "t.id IN (SELECT task_id FROM task_candidates WHERE kind = ? AND value = ?)"
                )
                params.extend([kind, value])
        columns = ", ".join(f"t.{c}" for c in TASK_COLUMNS.split(", "))
        rows = self.reader().all(
            f"SELECT {columns} FROM user_tasks t{_where(clauses)} ORDER BY t.created_at, t.id",
            params,
        )
        return [task_from(r) for r in rows]

    def task_delegations(self, task_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(owner, delegation state) of open user tasks that have either, by task id."""
        if not task_ids:
            return {}
        rows = self.reader().all(
            "SELECT id, owner, delegation_state FROM user_tasks WHERE id IN "
            f"({', '.join('?' * len(task_ids))}) AND (owner IS NOT NULL OR "
            "delegation_state IS NOT NULL)",
            list(task_ids),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def leases(self, owner: str) -> dict[str, list[str]]:
        """Ids of the jobs and timers `owner` (a worker id) holds a lease on, by table."""
        return {
            table: [
                r[0]
                for r in self.reader().all(
                    f"SELECT id FROM {table} WHERE lease_owner = ? ORDER BY id", (owner,)
                )
            ]
            for table in sorted(LEASED)
        }

    def jobs(self, instance_id: str | None = None) -> list[JobRow]:
        """Job rows (of one instance, if given), by due time."""
        sql = f"SELECT {JOB_COLUMNS} FROM jobs"
        params: list[Any] = []
        if instance_id is not None:
            sql += " WHERE instance_id = ?"
            params.append(instance_id)
        return [job_from(r) for r in self.reader().all(sql + " ORDER BY due_at", params)]

    def get_job(self, job_id: str) -> JobRow | None:
        """Read one job."""
        row = self.reader().one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return job_from(row) if row else None

    def next_due(self) -> str | None:
        """The earliest due time of any pending timer, job or delivery."""
        times = [
            self.reader().one("SELECT MIN(due_at) FROM timers")[0],
            self.reader().one("SELECT MIN(due_at) FROM jobs WHERE status = 'pending'")[0],
            self.reader().one("SELECT MIN(due_at) FROM deliveries WHERE status = 'pending'")[0],
        ]
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def timers(self, instance_id: str | None = None) -> list[TimerRow]:
        """Timer rows (of one instance, if given), by due time."""
        sql = f"SELECT {TIMER_COLUMNS} FROM timers"
        params: list[Any] = []
        if instance_id is not None:
            sql += " WHERE instance_id = ?"
            params.append(instance_id)
        return [timer_from(r) for r in self.reader().all(sql + " ORDER BY due_at", params)]

    # ---------------------------------------------------------------- the outbox

    def deliveries(
        self, *, throw_id: str | None = None, instance_id: str | None = None
    ) -> list[DeliveryRow]:
        """Deliveries not done yet (of one throw or receiver, if given), in delivery order."""
        clauses, params = [], []
        for column, value in (("throw_id", throw_id), ("instance_id", instance_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = self.reader().all(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries{_where(clauses)} ORDER BY seq", params
        )
        return [delivery_from(r) for r in rows]

    def get_delivery(self, delivery_id: str) -> DeliveryRow | None:
        """Read one delivery."""
        row = self.reader().one(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)
        )
        return delivery_from(row) if row else None

    def get_throw(self, throw_id: str) -> ThrowRow | None:
        """Read one thrown event."""
        row = self.reader().one(f"SELECT {THROW_COLUMNS} FROM throws WHERE id = ?", (throw_id,))
        return throw_from(row) if row else None

    # ---------------------------------------------------------------- history, incidents

    def history(self, instance_id: str) -> list[HistoryRow]:
        """History events of one instance, in order."""
        return history_from(
            self.reader().all(
                "SELECT seq, instance_id, key, at, events FROM history WHERE instance_id = ? "
                "ORDER BY seq",
                (instance_id,),
            )
        )

    def history_all(self, *, kinds: Sequence[str] | None = None) -> list[HistoryRow]:
        """All history events (optionally of some kinds), in order."""
        rows = history_from(
            self.reader().all("SELECT seq, instance_id, key, at, events FROM history ORDER BY seq")
        )
        if kinds:
            wanted = set(kinds)
            rows = [r for r in rows if r.kind in wanted]
        return rows

    def incidents(
        self,
        *,
        instance_id: str | None = None,
        open_only: bool = True,
        incident_id: str | None = None,
    ) -> list[IncidentRow]:
        """Incidents matching every given filter, oldest first."""
        clauses, params = [], []
        for column, value in (("id", incident_id), ("instance_id", instance_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if open_only:
            clauses.append("resolved_at IS NULL")
        rows = self.reader().all(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents{_where(clauses)} ORDER BY created_at, id",
            params,
        )
        return [incident_from(r) for r in rows]

    # ---------------------------------------------------------------- documents

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
        """Run a query of your own (for tests and tools; the library never does)."""
        return self.reader().all(statement, params)
