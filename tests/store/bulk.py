"""A database of many instances, built in seconds through the store's own write API.

The rows have the shapes the manager writes (see `Tx`): instances of three processes in every
status, user tasks for candidate groups and assignees, timers, jobs, subscriptions, history,
open and resolved incidents, the outbox's throws and deliveries, and the centre's job
documents. Their state is a placeholder: the
rows are for reading, not for running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from modelop_mlc.store import SqlStore, Tx
from modelop_mlc.store.rows import (
    DefinitionRow,
    DeliveryRow,
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    SubscriptionRow,
    TaskRow,
    ThrowRow,
    TimerRow,
    Waits,
    iso,
)

__all__ = ["T0", "Bulk", "build"]

T0 = datetime(2025, 1, 1, tzinfo=UTC)
KEYS = ("review", "wait", "other")
GROUPS = 50


@dataclass(frozen=True)
class Bulk:
    """What `build` made: enough to aim queries at real rows."""

    instances: int
    instance_id: str
    business_key: str
    definition_id: str
    group: str
    assignee: str
    now: datetime


def _definition(key: str, version: int) -> DefinitionRow:
    return DefinitionRow(
        id=f"{key}:{version}:bulk",
        key=key,
        version=version,
        name=key,
        version_tag=None,
        resource_id="bulk",
        deployment_id="bulk",
        digest=f"{key}{version}",
        applies_to=None,
        info={"start_events": [], "history_ttl_days": 30 if key == "wait" else None},
        deployed_at=iso(T0),
    )


def _status(index: int) -> str:
    # 60 % completed, 5 % cancelled, 30 % running, 5 % with an incident.
    slot = index % 20
    if slot < 12:
        return "completed"
    if slot == 12:
        return "cancelled"
    return "incident" if slot == 13 else "running"


def _waits(instance_id: str, index: int, started: datetime) -> Waits:
    """A user task with a boundary timer, and a signal or an async job beside it."""
    groups = [f"team-{index % GROUPS}"] + (["ops"] if index % 8 == 0 else [])
    task = TaskRow(
        id=f"task-{index:06d}",
        instance_id=instance_id,
        key=KEYS[index % 3],
        activity_id="review",
        name=f"Review {index % 7}",
        assignee=f"user-{index % 5}" if index % 3 == 0 else None,
        candidate_users=[],
        candidate_groups=groups,
        due=iso(started + timedelta(days=index % 9)),
        follow_up=None,
        priority=index % 100,
        form_key=None,
        form_fields=[],
        created_at=iso(started),
    )
    timer = TimerRow(
        id=f"timer-{index:06d}",
        instance_id=instance_id,
        definition_id=None,
        activity_id="deadline",
        due_at=iso(started + timedelta(days=30)),
        fired=0,
    )
    if index % 2:
        return Waits(
            user_tasks=[task],
            timers=[timer],
            subscriptions=[SubscriptionRow("signal", f"go-{index % 10}", "catch")],
        )
    job = JobRow(
        id=f"job-{index:06d}",
        instance_id=instance_id,
        activity_id="call",
        activity_name="Call",
        kind="delegate",
        candidates=["Remote"],
        due_at=iso(started + timedelta(hours=index % 48)),
        retries_left=3,
        retry_cycle=None,
        attempts=0,
        idempotency_key=f"job-{index}",
        status="pending",
        lease_owner=None,
        lease_until=None,
        last_error=None,
        created_at=iso(started),
    )
    return Waits(user_tasks=[task], timers=[timer], jobs=[job])


def build(store: SqlStore, count: int = 10_000) -> Bulk:
    """Fill `store` (migrated, empty) with `count` instances and everything around them."""
    definitions = [_definition(key, version) for key in KEYS for version in (1, 2)]
    with store.transaction() as tx:
        tx.insert_deployment("bulk", "bulk", None, None, iso(T0))
        tx.insert_resource("bulk", "bulk", "bulk.bpmn", "bpmn", "bulk", "<definitions/>")
        for definition in definitions:
            tx.insert_definition(definition, [])
    # The clock stands still for ten instances at a time: ties are broken by id.
    for first in range(0, count, 1_000):
        with store.transaction() as tx:
            for index in range(first, min(first + 1_000, count)):
                _instance(tx, definitions, index)
    for index in range(count // 5):
        with store.transaction() as tx:
            tx.put_document(
                "job", f"center-job-{index:05d}", {"n": index}, iso(T0), pending=index % 100 == 0
            )
    return Bulk(
        instances=count,
        instance_id=f"inst-{count // 2:06d}",
        business_key=f"model-{count // 6}",
        definition_id=definitions[0].id,
        group="team-7",
        assignee="user-3",
        now=T0 + timedelta(minutes=count // 10 + 60),
    )


def _instance(tx: Tx, definitions: list[DefinitionRow], index: int) -> None:
    definition = definitions[index % len(definitions)]
    started = T0 + timedelta(minutes=index // 10)
    status = _status(index)
    ended = status in {"completed", "cancelled"}
    instance_id = f"inst-{index:06d}"
    row = InstanceRow(
        id=instance_id,
        definition_id=definition.id,
        key=definition.key,
        version=definition.version,
        business_key=f"model-{index // 3}" if index % 5 else None,
        status=status,
        state={},
        variables={"n": index},
        waiting_at=[] if ended else ["somewhere"],
        called={},
        revision=1,
        started_at=iso(started),
        ended_at=iso(started + timedelta(minutes=5)) if ended else None,
        end_reason=None,
    )
    tx.insert_instance(row)
    if not ended:
        tx.replace_waits(instance_id, _waits(instance_id, index, started))
    at = iso(started)
    tx.append_history(
        [
            HistoryRow(instance_id, definition.key, "instance_start", at),
            HistoryRow(instance_id, definition.key, "activity_start", at, "review"),
        ]
    )
    _outbox(tx, instance_id, index, at)
    if status == "incident" or index % 10 == 1:
        tx.insert_incident(
            IncidentRow(
                id=f"incident-{index:06d}",
                instance_id=instance_id,
                activity_id="call",
                job_id=f"job-{index:06d}",
                kind="failedJob",
                message="boom",
                created_at=at,
                resolved_at=None if status == "incident" else at,
            )
        )


def _outbox(tx: Tx, instance_id: str, index: int, at: str) -> None:
    """A throw per instance (they are kept); a delivery of every fourth, some leased or failed."""
    throw_id = f"throw-{index:06d}"
    tx.insert_throw(ThrowRow(throw_id, "signal", f"go-{index % 7}", {}, instance_id, at))
    if index % 4:
        return
    leased = index % 8 == 0
    tx.insert_deliveries(
        [
            DeliveryRow(
                id=f"{throw_id}>{instance_id}",
                throw_id=throw_id,
                instance_id=instance_id,
                definition_id=None,
                activity_id="catch",
                status="failed" if index % 40 == 0 else "pending",
                due_at=at,
                attempts=1,
                lease_owner="w" if leased else None,
                lease_until=at if leased else None,
                last_error=None,
                created_at=at,
            )
        ]
    )
