"""The database schema, as numbered scripts applied identically by every back end.

Each script is a list of statements written in the SQL that SQLite and PostgreSQL share
(TEXT timestamps in ISO 8601 UTC, which sort correctly; BIGINT ids; JSON stored as TEXT).
`{autoinc}` is replaced by each dialect's auto-increment primary key.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1 = [
    """CREATE TABLE IF NOT EXISTS mlc_schema (version INTEGER NOT NULL)""",
    """CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        name TEXT,
        source TEXT,
        tenant_id TEXT,
        deployed_at TEXT NOT NULL
    )""",
    """CREATE TABLE resources (
        id TEXT PRIMARY KEY,
        deployment_id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        digest TEXT NOT NULL,
        content TEXT NOT NULL
    )""",
    """CREATE TABLE definitions (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT,
        version_tag TEXT,
        resource_id TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        applies_to TEXT,
        info TEXT NOT NULL,
        deployed_at TEXT NOT NULL,
        UNIQUE (key, version)
    )""",
    """CREATE TABLE start_subscriptions (
        definition_id TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        event_id TEXT NOT NULL
    )""",
    "CREATE INDEX start_subscriptions_name ON start_subscriptions (kind, name)",
    """CREATE TABLE decisions (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT,
        version_tag TEXT,
        resource_id TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        deployed_at TEXT NOT NULL,
        UNIQUE (key, version)
    )""",
    """CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        definition_id TEXT NOT NULL,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        business_key TEXT,
        status TEXT NOT NULL,
        state TEXT NOT NULL,
        variables TEXT NOT NULL,
        waiting_at TEXT NOT NULL,
        called TEXT NOT NULL,
        revision INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        end_reason TEXT
    )""",
    "CREATE INDEX instances_status ON instances (status)",
    "CREATE INDEX instances_key ON instances (key, status)",
    "CREATE INDEX instances_business_key ON instances (business_key)",
    """CREATE TABLE subscriptions (
        id {autoinc},
        instance_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        activity_id TEXT
    )""",
    "CREATE INDEX subscriptions_name ON subscriptions (kind, name)",
    "CREATE INDEX subscriptions_instance ON subscriptions (instance_id)",
    """CREATE TABLE timers (
        id TEXT PRIMARY KEY,
        instance_id TEXT,
        definition_id TEXT,
        activity_id TEXT NOT NULL,
        due_at TEXT NOT NULL,
        fired INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until TEXT
    )""",
    "CREATE INDEX timers_due ON timers (due_at)",
    "CREATE INDEX timers_instance ON timers (instance_id)",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        activity_name TEXT,
        kind TEXT NOT NULL,
        candidates TEXT NOT NULL,
        due_at TEXT NOT NULL,
        retries_left INTEGER NOT NULL,
        retry_cycle TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT NOT NULL,
        status TEXT NOT NULL,
        lease_owner TEXT,
        lease_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        wake_key TEXT
    )""",
    "CREATE INDEX jobs_due ON jobs (status, due_at)",
    "CREATE INDEX jobs_wake ON jobs (wake_key)",
    "CREATE INDEX jobs_instance ON jobs (instance_id)",
    """CREATE TABLE user_tasks (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        key TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        name TEXT,
        assignee TEXT,
        candidate_users TEXT NOT NULL,
        candidate_groups TEXT NOT NULL,
        due TEXT,
        follow_up TEXT,
        priority INTEGER,
        form_key TEXT,
        form_fields TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX user_tasks_instance ON user_tasks (instance_id)",
    "CREATE INDEX user_tasks_assignee ON user_tasks (assignee)",
    """CREATE TABLE task_candidates (
        task_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL
    )""",
    "CREATE INDEX task_candidates_value ON task_candidates (kind, value)",
    "CREATE INDEX task_candidates_task ON task_candidates (task_id)",
    # One row per step and instance: the step's events as a JSON list. One index entry per step
    # instead of one per event keeps a step's commit small.
    """CREATE TABLE history (
        seq {autoinc},
        instance_id TEXT NOT NULL,
        key TEXT NOT NULL,
        at TEXT NOT NULL,
        events TEXT NOT NULL
    )""",
    "CREATE INDEX history_instance ON history (instance_id, seq)",
    """CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        activity_id TEXT,
        job_id TEXT,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        resolved_at TEXT
    )""",
    "CREATE INDEX incidents_instance ON incidents (instance_id)",
    "CREATE INDEX incidents_open ON incidents (resolved_at)",
    # The embedded ModelOp Center (LocalCenter) and ticket board (LocalTickets): JSON documents
    # by kind, in the manager's own database.
    """CREATE TABLE documents (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        doc TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (kind, id)
    )""",
    "CREATE INDEX documents_seq ON documents (kind, seq)",
]

# Several hosts share one database: each worker gives back the leases it holds when it stops,
# and operators ask which jobs a (possibly dead) host holds. Both look leases up by owner.
_V2 = [
    "CREATE INDEX jobs_lease_owner ON jobs (lease_owner)",
    "CREATE INDEX timers_lease_owner ON timers (lease_owner)",
]

# External tasks: service tasks that outside workers fetch and lock over Camunda's REST API.
# Workers fetch by topic among unlocked rows, the highest priority first.
_V3 = [
    """CREATE TABLE external_tasks (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        definition_id TEXT NOT NULL,
        key TEXT NOT NULL,
        business_key TEXT,
        activity_id TEXT NOT NULL,
        activity_name TEXT,
        topic TEXT NOT NULL,
        priority BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        retries INTEGER,
        error_message TEXT,
        error_details TEXT,
        worker_id TEXT,
        lock_until TEXT,
        locals TEXT NOT NULL,
        properties TEXT NOT NULL,
        version_tag TEXT
    )""",
    "CREATE INDEX external_tasks_topic ON external_tasks (topic, priority, created_at)",
    "CREATE INDEX external_tasks_instance ON external_tasks (instance_id)",
    # Camunda's task delegation: the owner delegates to the assignee, then resolves it.
    "ALTER TABLE user_tasks ADD COLUMN owner TEXT",
    "ALTER TABLE user_tasks ADD COLUMN delegation_state TEXT",
]

# The outbox: what instances throw (and hosts signal) is written with the step that throws it,
# one delivery row per receiver; a receiver's step deletes its row in the same transaction.
# `throws` rows stay: their ids de-duplicate a host's signal retried after a crash.
_V4 = [
    """CREATE TABLE throws (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        variables TEXT NOT NULL,
        source_instance TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE deliveries (
        seq {autoinc},
        id TEXT NOT NULL UNIQUE,
        throw_id TEXT NOT NULL,
        instance_id TEXT,
        definition_id TEXT,
        activity_id TEXT,
        status TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX deliveries_due ON deliveries (status, due_at)",
    "CREATE INDEX deliveries_throw ON deliveries (throw_id)",
    "CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner)",
]

# Version -> the statements that bring the schema from version-1 to version.
MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4}
SCHEMA_VERSION = max(MIGRATIONS)
