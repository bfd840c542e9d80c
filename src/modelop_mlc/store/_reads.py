"""Every read, outside any write transaction; rows out, never engine objects."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from modelop_mlc.errors import StoreError
from modelop_mlc.store._columns import (
    DEFINITION_COLUMNS,
    INSTANCE_COLUMNS,
    JOB_COLUMNS,
    TIMER_COLUMNS,
    definition_from,
    history_from,
    instance_from,
    job_from,
    marks,
    timer_from,
)
from modelop_mlc.store._external_tasks import ExternalTaskReads
from modelop_mlc.store._listing import Listing
from modelop_mlc.store._outbox import (
    DELIVERY_COLUMNS,
    THROW_COLUMNS,
    delivery_from,
    throw_from,
)
from modelop_mlc.store._writes import LEASED
from modelop_mlc.store.queries import IncidentQuery, InstanceQuery, Page, TaskQuery
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
    KpiFactsRow,
    ResourceRow,
    TaskRow,
    ThrowRow,
    TimerRow,
)

__all__ = ["Reads"]

_ID_TABLES = frozenset({"instances", "user_tasks", "incidents", "jobs", "timers"})
# Ids are UUIDs: a prefix of other characters matches nothing (and needs no LIKE escaping).
_ID_PREFIX = re.compile(r"[0-9A-Za-z-]+")


class Reads(ExternalTaskReads, Listing):
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
        super_instance_id: str | None = None,
    ) -> list[InstanceRow]:
        """List instances, newest first (`find_instances` takes every filter)."""
        query = InstanceQuery(
            statuses=None if status is None else [status],
            key=key,
            business_key=business_key,
            super_instance_id=super_instance_id,
        )
        return self.find_instances(query, Page(limit=limit, offset=offset))

    def definition_ids(self, instance_ids: Sequence[str]) -> dict[str, str]:
        """The definition id of each of these instances (that exists)."""
        if not instance_ids:
            return {}
        unique = sorted(set(instance_ids))
        rows = self.reader().all(
            f"SELECT id, definition_id FROM instances WHERE id IN ({marks(len(unique))})", unique
        )
        return {r[0]: r[1] for r in rows}

    def count_instances(self, status: str | None = None) -> int:
        """Count instances (optionally with one status)."""
        if status is None:
            return int(self.reader().one("SELECT COUNT(*) FROM instances")[0])
        return int(
            self.reader().one("SELECT COUNT(*) FROM instances WHERE status = ?", (status,))[0]
        )

    def instance_counts(self) -> dict[tuple[str, str], int]:
        """How many instances each process key has in each status, counted by the database."""
        rows = self.reader().all("SELECT key, status, COUNT(*) FROM instances GROUP BY key, status")
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def waiting_at(self, definition_id: str) -> dict[str, int]:
        """How many instances of a definition, not ended, wait at each activity."""
        rows = self.reader().all(
            # The condition is the partial index's own, word for word, so that it is used.
            "SELECT waiting_at FROM instances WHERE definition_id = ? "
            "AND status IN ('running', 'incident')",
            (definition_id,),
        )
        return dict(Counter(a for (waiting,) in rows for a in json.loads(waiting)))

    def open_incidents_at(self, definition_id: str) -> dict[str, int]:
        """How many open incidents the instances of a definition have at each activity."""
        rows = self.reader().all(
            # An instance with an open incident has not ended: from the waiting instances (the
            # index `waiting_at` reads) to their incidents, by instance.
            "SELECT incidents.activity_id FROM instances JOIN incidents "
            "ON incidents.instance_id = instances.id WHERE instances.definition_id = ? "
            "AND instances.status IN ('running', 'incident') "
            "AND incidents.resolved_at IS NULL AND incidents.activity_id IS NOT NULL",
            (definition_id,),
        )
        return dict(Counter(a for (a,) in rows))

    def subscribers(self, kind: str, name: str) -> list[str]:
        """Instance ids waiting for a signal or message."""
        rows = self.reader().all(
            "SELECT DISTINCT instance_id FROM subscriptions WHERE kind = ? AND name = ? "
            "ORDER BY instance_id",
            (kind, name),
        )
        return [r[0] for r in rows]

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

    def latest_definition_id(self, key: str) -> str | None:
        """The id of the latest version of a definition key (an index look-up, no parsing)."""
        row = self.reader().one(
            "SELECT id FROM definitions WHERE key = ? ORDER BY version DESC LIMIT 1", (key,)
        )
        return str(row[0]) if row else None

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
        """Open user tasks matching every given filter, oldest first (all of them)."""
        return self.find_tasks(
            TaskQuery(
                task_id=task_id,
                instance_id=instance_id,
                assignee=assignee,
                candidate_group=candidate_group,
                candidate_user=candidate_user,
            )
        )

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
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.reader().all(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries{where} ORDER BY seq", params
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
        """Incidents matching every given filter, oldest first (all of them)."""
        return self.find_incidents(
            IncidentQuery(open_only=open_only, incident_id=incident_id, instance_id=instance_id)
        )

    def kpi_facts(self, *, key: str | None = None, since: str | None = None) -> list[KpiFactsRow]:
        """What purged instances left for the KPIs (of process `key`, started since `since`)."""
        clauses, params = [], []
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        if since is not None:
            clauses.append("started_at >= ?")
            params.append(since)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return [
            KpiFactsRow(
                instance_id=r[0],
                key=r[1],
                business_key=r[2],
                status=r[3],
                started_at=r[4],
                ended_at=r[5],
                facts=json.loads(r[6]),
            )
            for r in self.reader().all(
                "SELECT instance_id, key, business_key, status, started_at, ended_at, facts "
                f"FROM kpi_facts{where} ORDER BY started_at, instance_id",
                params,
            )
        ]

    # ---------------------------------------------------------------- documents

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read one JSON document, or None."""
        row = self.reader().one(
            "SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)
        )
        return json.loads(row[0]) if row else None

    def list_documents(self, kind: str, *, pending_only: bool = False) -> list[Any]:
        """Read every document of a kind (only those marked pending, if asked), oldest first."""
        pending = " AND pending = 1" if pending_only else ""
        return [
            json.loads(r[0])
            for r in self.reader().all(
                f"SELECT doc FROM documents WHERE kind = ?{pending} ORDER BY seq", (kind,)
            )
        ]

    def raw(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a query of your own (for tests and tools; the library never does)."""
        return self.reader().all(statement, params)
