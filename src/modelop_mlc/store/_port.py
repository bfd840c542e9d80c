"""`Tx`: what the manager writes through, inside one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from modelop_mlc.store._external_tasks import TopicClaim
from modelop_mlc.store.rows import (
    DefinitionRow,
    DeliveryRow,
    ExternalTaskRow,
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    KpiFactsRow,
    ThrowRow,
    TimerRow,
    Waits,
)

__all__ = ["Tx"]


class Tx(Protocol):
    """The writes of one transaction (`SqlStore.transaction()` yields one).

    A method that reads (`latest_version`, the claims) sees the transaction's own writes.
    `new_external_tasks` lists the external tasks the transaction created so far.
    """

    new_external_tasks: list[str]

    def insert_deployment(
        self,
        deployment_id: str,
        name: str | None,
        source: str | None,
        tenant_id: str | None,
        at: str,
    ) -> None:
        """Record a deployment."""
        ...

    def insert_resource(
        self, resource_id: str, deployment_id: str, name: str, kind: str, digest: str, content: str
    ) -> None:
        """Store a BPMN or DMN file's text."""
        ...

    def insert_definition(self, row: DefinitionRow, starts: Sequence[tuple[str, str, str]]) -> None:
        """Store a process definition version and its (kind, name, event id) start events."""
        ...

    def latest_version(self, table: str, key: str) -> tuple[int, str | None]:
        """Return (version, digest) of the latest version of `key` in `table`, or (0, None)."""
        ...

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
        ...

    def insert_instance(
        self, row: InstanceRow, *, state_json: str | None = None, variables_json: str | None = None
    ) -> None:
        """Store a new instance (`state_json`, `variables_json`: already encoded, else None)."""
        ...

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

        `status` None leaves the status as it is.

        Raises:
            modelop_mlc.errors.InstanceConflictError: If the revision moved on.
        """
        ...

    def set_instance_status(self, instance_id: str, status: str) -> None:
        """Change only the status (incident raised or resolved)."""
        ...

    def replace_waits(self, instance_id: str, waits: Waits) -> None:
        """Replace the instance's subscriptions, timers, user tasks and jobs with `waits`."""
        ...

    def clear_waits(self, instance_id: str) -> None:
        """Remove every wait of a finished instance (open jobs included)."""
        ...

    def wake_jobs(self, wake_key: str, now: str) -> int:
        """Make parked jobs waiting for `wake_key` due now; return how many."""
        ...

    def put_document(
        self, kind: str, doc_id: str, doc: Any, at: str, *, pending: bool = False
    ) -> None:
        """Insert or replace a JSON document (`pending`: listed by `pending_only` reads)."""
        ...

    def replace_document(
        self, kind: str, doc_id: str, expected: Any, doc: Any, at: str, *, pending: bool = False
    ) -> bool:
        """Replace a document only if it is still `expected`; tell whether it was replaced."""
        ...

    def insert_document(self, kind: str, doc_id: str, doc: Any, at: str) -> bool:
        """Insert a document unless one with that id exists; tell whether it was inserted."""
        ...

    def update_job(self, job_id: str, **fields: Any) -> None:
        """Change some columns of a job."""
        ...

    def delete_job(self, job_id: str) -> None:
        """Forget a finished job."""
        ...

    def claim_jobs(self, owner: str, now: str, lease_until: str, limit: int) -> list[JobRow]:
        """Lease up to `limit` due jobs to `owner`."""
        ...

    def claim_timers(self, owner: str, now: str, lease_until: str, limit: int) -> list[TimerRow]:
        """Lease up to `limit` due timers to `owner`."""
        ...

    def release_timer(self, timer_id: str) -> None:
        """Give a timer lease back."""
        ...

    def lease_timer(self, timer_id: str, owner: str, until: str) -> None:
        """Lease one timer to `owner` until `until`."""
        ...

    def delete_timer(self, timer_id: str) -> None:
        """Forget a timer nobody waits for any more."""
        ...

    def renew_leases(self, table: str, ids: Sequence[str], owner: str, until: str) -> int:
        """Extend the leases `owner` still holds on some jobs or timers; return how many."""
        ...

    def release_leases(self, table: str, owner: str, ids: Sequence[str] | None = None) -> int:
        """Give back the leases `owner` holds (only on `ids`, if given); return how many."""
        ...

    def set_start_timer(
        self, timer_id: str, definition_id: str, activity_id: str, due_at: str | None, fired: int
    ) -> None:
        """Schedule (or remove, with `due_at=None`) a process's timer start event."""
        ...

    def delete_start_timers(self, key_prefix: str) -> None:
        """Remove timer start events of older versions of a process."""
        ...

    def append_history(self, rows: Sequence[HistoryRow]) -> None:
        """Append history events."""
        ...

    def insert_incident(self, incident: IncidentRow) -> None:
        """Open an incident."""
        ...

    def resolve_incidents(
        self, *, incident_id: str | None = None, instance_id: str | None = None, at: str
    ) -> None:
        """Close one incident, or all of an instance's, with the incidents they caused."""
        ...

    def update_external_task(self, task_id: str, **fields: Any) -> int:
        """Change some columns of an external task; return how many rows changed."""
        ...

    def claim_external_tasks(
        self,
        worker_id: str,
        claims: Sequence[TopicClaim],
        now: str,
        limit: int,
        *,
        by_priority: bool,
    ) -> list[tuple[ExternalTaskRow, dict[str, Any]]]:
        """Lock up to `limit` fetchable external tasks to `worker_id`."""
        ...

    def update_user_task(self, task_id: str, **fields: Any) -> int:
        """Change the assignee, owner or delegation state of an open user task."""
        ...

    def set_task_candidates(
        self, task_id: str, users: Sequence[str], groups: Sequence[str]
    ) -> None:
        """Replace an open user task's candidate users and groups."""
        ...

    def purge_instances(self, instance_ids: Sequence[str]) -> None:
        """Delete ended instances with their history and incidents."""
        ...

    def insert_kpi_facts(self, rows: Sequence[KpiFactsRow]) -> None:
        """Keep what the KPIs need of instances about to be purged."""
        ...

    # ---------------------------------------------------------------- the outbox

    def insert_throw(self, throw: ThrowRow) -> bool:
        """Record a thrown event; False if one with this id exists (a repeated host signal)."""
        ...

    def event_receivers(
        self, kind: str, name: str
    ) -> tuple[list[tuple[str, str | None]], list[tuple[str, str, dict[str, Any] | None]]]:
        """(instance, catch activity) waiting, and (definition, start event, applicability)."""
        ...

    def insert_deliveries(self, rows: Sequence[DeliveryRow]) -> None:
        """Add receivers of a thrown event."""
        ...

    def finish_delivery(self, delivery_id: str) -> None:
        """Delete a delivery as its receiver's step saves.

        Raises:
            modelop_mlc.store.DeliveredElsewhereError: If it is gone already.
        """
        ...

    def update_delivery(self, delivery_id: str, **fields: Any) -> None:
        """Change some columns of a delivery."""
        ...

    def claim_deliveries(
        self,
        owner: str,
        now: str,
        lease_until: str,
        limit: int,
        *,
        throw_id: str | None = None,
    ) -> list[DeliveryRow]:
        """Lease up to `limit` due deliveries (of one throw, if given) to `owner`."""
        ...
