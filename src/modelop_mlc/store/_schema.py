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

# Every hot listing is read from an index in the order it is listed (issue 23): newest instances
# first (alone or by status, process, business key or definition), open tasks oldest first
# (alone or by instance, assignee or candidate group), open incidents, the centre's pending jobs,
# parked jobs by wake key, a signal's subscribers. Ties are broken by id, so pages are stable
# when the clock stands still. `task_candidates` carries its task's creation time so that a
# candidate group's tasks come from one index in order; `documents.pending` marks the centre's
# jobs still to run. Purged instances leave their KPI facts behind (`kpi_facts`, a row each).
# `instances_key (key, status)` stays: the Cockpit's counts per process and status read it alone.
_QUEUE_VACUUM = "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200"
_V4: list[str | tuple[str, str]] = [
    "DROP INDEX IF EXISTS instances_status",
    "DROP INDEX IF EXISTS instances_business_key",
    "CREATE INDEX instances_recent ON instances (started_at, id)",
    "CREATE INDEX instances_status_recent ON instances (status, started_at, id)",
    "CREATE INDEX instances_key_recent ON instances (key, started_at, id)",
    "CREATE INDEX instances_business_key_recent ON instances (business_key, started_at, id)",
    "CREATE INDEX instances_definition_recent ON instances (definition_id, started_at, id)",
    # The Cockpit marks a definition's diagram with where its instances wait: only those.
    (
        "CREATE INDEX instances_definition_waiting ON instances (definition_id) "
        "WHERE status IN ('running', 'incident')"
    ),
    "DROP INDEX IF EXISTS jobs_wake",
    "CREATE INDEX jobs_wake ON jobs (wake_key, status, due_at)",
    "DROP INDEX IF EXISTS subscriptions_name",
    "CREATE INDEX subscriptions_name ON subscriptions (kind, name, instance_id)",
    "DROP INDEX IF EXISTS user_tasks_instance",
    "DROP INDEX IF EXISTS user_tasks_assignee",
    "CREATE INDEX user_tasks_created ON user_tasks (created_at, id)",
    "CREATE INDEX user_tasks_instance ON user_tasks (instance_id, created_at, id)",
    "CREATE INDEX user_tasks_assignee ON user_tasks (assignee, created_at, id)",
    "ALTER TABLE task_candidates ADD COLUMN created_at TEXT",
    (
        "UPDATE task_candidates SET created_at = "
        "(SELECT created_at FROM user_tasks WHERE user_tasks.id = task_candidates.task_id)"
    ),
    "DROP INDEX IF EXISTS task_candidates_value",
    "CREATE INDEX task_candidates_value ON task_candidates (kind, value, created_at, task_id)",
    "DROP INDEX IF EXISTS incidents_instance",
    "DROP INDEX IF EXISTS incidents_open",
    "CREATE INDEX incidents_created ON incidents (created_at, id)",
    "CREATE INDEX incidents_instance ON incidents (instance_id, created_at, id)",
    "CREATE INDEX incidents_open ON incidents (created_at, id) WHERE resolved_at IS NULL",
    "ALTER TABLE documents ADD COLUMN pending INTEGER NOT NULL DEFAULT 0",
    # The serialised job documents are compact JSON: the status reads exactly like this.
    (
        "UPDATE documents SET pending = 1 WHERE kind = 'job' AND "
        '(doc LIKE \'%"jobStatus":"CREATED"%\' OR doc LIKE \'%"jobStatus":"RUNNING"%\')'
    ),
    "CREATE INDEX documents_pending ON documents (kind, pending, seq)",
    """CREATE TABLE kpi_facts (
        instance_id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        business_key TEXT,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        facts TEXT NOT NULL
    )""",
    "CREATE INDEX kpi_facts_key ON kpi_facts (key, started_at)",
    # PostgreSQL keeps deleted rows until a vacuum, and by default vacuums a table once a fifth
    # of it is dead: in a large database the waits tables (rows come and go with every step)
    # would carry thousands of dead index entries in exactly the ranges that are read. Vacuum
    # them after a fixed number of dead rows instead, as queue tables should be.
    *(
        ("postgresql", f"ALTER TABLE {table} SET ({_QUEUE_VACUUM})")
        for table in (
            "subscriptions",
            "timers",
            "jobs",
            "user_tasks",
            "task_candidates",
            "incidents",
            "documents",
        )
    ),
]

# A call activity starts a child instance: the links between caller and called instances, and
# incidents of a called instance repeated on its callers (Camunda's cause / root cause).
_V5 = [
    "ALTER TABLE instances ADD COLUMN super_instance_id TEXT",
    "ALTER TABLE instances ADD COLUMN super_activity_id TEXT",
    "ALTER TABLE instances ADD COLUMN super_task_id TEXT",
    "ALTER TABLE instances ADD COLUMN root_instance_id TEXT",
    "CREATE INDEX instances_super ON instances (super_instance_id)",
    "ALTER TABLE incidents ADD COLUMN cause_incident_id TEXT",
    "ALTER TABLE incidents ADD COLUMN root_cause_incident_id TEXT",
    "CREATE INDEX incidents_root_cause ON incidents (root_cause_incident_id)",
]

# The outbox: what instances throw (and hosts signal) is written with the step that throws it,
# one delivery row per receiver; a receiver's step deletes its row in the same transaction.
# `throws` rows stay: their ids de-duplicate a host's signal retried after a crash.
_V6: list[str | tuple[str, str]] = [
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
    # Claims read due deliveries in (due_at, seq) order; next_due() the earliest pending one.
    "CREATE INDEX deliveries_due ON deliveries (status, due_at, seq)",
    "CREATE INDEX deliveries_throw ON deliveries (throw_id)",
    "CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner)",
    # A throw's receivers: the processes it starts come from the index in the order listed.
    "DROP INDEX IF EXISTS start_subscriptions_name",
    "CREATE INDEX start_subscriptions_name ON start_subscriptions (kind, name, key)",
    # A queue table, vacuumed as the waits tables are (see _V4).
    ("postgresql", f"ALTER TABLE deliveries SET ({_QUEUE_VACUUM})"),
]

# A user's task list (REST `GET /task` for a caller without `admin`) is merged from the tasks
# naming them (the assignee and candidate indexes) and those naming nobody: this index holds
# only the latter, in creation order. Its condition is `Listing`'s, word for word.
_V7 = [
    (
        "CREATE INDEX user_tasks_unnamed ON user_tasks (created_at, id) "
        "WHERE assignee IS NULL AND candidate_users = '[]' AND candidate_groups = '[]'"
    ),
]

# Version -> the statements that bring the schema from version-1 to version; a (dialect name,
# statement) pair runs on that database only.
MIGRATIONS: dict[int, list[str | tuple[str, str]]] = {
    1: [*_V1],
    2: [*_V2],
    3: [*_V3],
    4: _V4,
    5: [*_V5],
    6: [*_V6],
    7: [*_V7],
}
SCHEMA_VERSION = max(MIGRATIONS)
