"""Listings on both databases: filters, orders, pages, and schema 4's migration of old data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelop_mlc.store import SqlStore, open_store
from modelop_mlc.store._schema import MIGRATIONS
from modelop_mlc.store.queries import IncidentQuery, InstanceQuery, Page, TaskQuery
from modelop_mlc.store.rows import iso
from store.bulk import T0, build


@pytest.fixture(name="store")
def _store(store_url: str) -> Iterator[SqlStore]:
    store = open_store(store_url)
    store.migrate()
    build(store, 400)
    yield store
    store.close()


def _pages(read: object, size: int, key: object) -> list[object]:
    """Every row, a page of `size` at a time, each page after the last row of the one before."""
    rows: list[object] = []
    while True:
        page = read(Page(limit=size, after=None if not rows else key(rows[-1])))  # type: ignore[operator]
        rows.extend(page)
        if len(page) < size:
            return rows


def test_keyset_pages_add_up_to_the_whole_listing(store: SqlStore) -> None:
    """Reading page after page (after the last row) gives every row once, in order."""
    instances = store.find_instances(InstanceQuery())
    assert len(instances) == 400
    paged = _pages(
        lambda page: store.find_instances(InstanceQuery(), page),
        17,
        lambda row: (row.started_at, row.id),
    )
    assert paged == instances
    assert [(i.started_at, i.id) for i in instances] == sorted(
        ((i.started_at, i.id) for i in instances), reverse=True
    )
    tasks = store.find_tasks(TaskQuery(candidate_group="ops"))
    assert tasks
    paged_tasks = _pages(
        lambda page: store.find_tasks(TaskQuery(candidate_group="ops"), page),
        3,
        lambda row: (row.created_at, row.id),
    )
    assert paged_tasks == tasks
    incidents = store.find_incidents(IncidentQuery(open_only=False))
    assert (
        _pages(
            lambda page: store.find_incidents(IncidentQuery(open_only=False), page),
            4,
            lambda row: (row.created_at, row.id),
        )
        == incidents
    )


def test_several_statuses_merge_to_what_one_query_finds(store: SqlStore) -> None:
    """Running and incident instances, read status by status and merged, are the page that
    one query over both statuses finds, at any offset."""
    both = InstanceQuery(statuses=["running", "incident"])
    everything = store.find_instances(both)  # no limit: one query with IN
    assert {i.status for i in everything} == {"running", "incident"}
    for offset in (0, 7, 130):
        assert (
            store.find_instances(both, Page(limit=25, offset=offset))
            == (everything[offset : offset + 25])
        )
    ascending = InstanceQuery(statuses=["running", "incident"], order="id", descending=False)
    assert (
        store.find_instances(ascending, Page(limit=40))
        == sorted(everything, key=lambda i: i.id)[:40]
    )


def test_filters_orders_and_like_patterns(store: SqlStore) -> None:
    """Each filter narrows, each order sorts, and LIKE patterns match case-sensitively."""
    review = store.find_instances(InstanceQuery(key="review"))
    assert review
    assert {i.key for i in review} == {"review"}
    others = store.find_instances(InstanceQuery(keys_not_in=["review"]))
    assert len(review) + len(others) == 400
    assert store.find_instances(InstanceQuery(keys_in=[])) == []
    like = store.find_instances(InstanceQuery(business_key_like="model-1_"))
    assert like
    assert {i.business_key for i in like} <= {f"model-{n}" for n in range(10, 20)}
    assert store.find_instances(InstanceQuery(business_key_like="MODEL-%")) == []
    by_key = store.find_instances(InstanceQuery(order="key", descending=False))
    assert [i.key for i in by_key] == sorted(i.key for i in by_key)
    named = store.find_tasks(TaskQuery(name_like="Review 3%"))
    assert named
    assert {t.name for t in named} == {"Review 3"}
    by_priority = store.find_tasks(TaskQuery(order="priority", descending=True))
    assert [t.priority for t in by_priority] == sorted(
        (t.priority for t in by_priority), reverse=True
    )
    owner = next(
        i for i in store.find_instances(InstanceQuery(statuses=["running"])) if i.business_key
    )
    of_owner = store.find_tasks(TaskQuery(business_key=owner.business_key))
    assert owner.id in {t.instance_id for t in of_owner}
    keyed = {i.id for i in store.find_instances(InstanceQuery(business_key=owner.business_key))}
    assert {t.instance_id for t in of_owner} <= keyed
    of_definition = store.find_tasks(TaskQuery(definition_id=owner.definition_id))
    assert owner.id in {t.instance_id for t in of_definition}
    with pytest.raises(ValueError, match="cannot order instances by 'color'"):
        store.find_instances(InstanceQuery(order="color"))
    with pytest.raises(ValueError, match="'after' needs the 2 values"):
        store.find_instances(InstanceQuery(), Page(limit=1, after=(owner.id,)))


def test_schema_4_fills_in_what_older_rows_lack(store_url: str) -> None:
    """Migrating a version-3 database gives candidate rows their task's creation time and
    marks the centre's queued jobs pending, so the new listings find them."""
    store = open_store(store_url)
    with store.transaction() as tx:
        for statement in MIGRATIONS[1] + MIGRATIONS[2] + MIGRATIONS[3]:
            tx.execute(statement.replace("{autoinc}", store.dialect.autoinc))
        tx.execute("INSERT INTO mlc_schema (version) VALUES (3)")
        tx.execute(
            "INSERT INTO user_tasks (id, instance_id, key, activity_id, candidate_users, "
            "candidate_groups, form_fields, created_at) VALUES "
            "('t1', 'i1', 'k', 'a', '[]', '[\"ops\"]', '[]', ?)",
            (iso(T0),),
        )
        tx.execute(
            "INSERT INTO task_candidates (task_id, kind, value) VALUES ('t1', 'group', 'ops')"
        )
        for number, status in enumerate(("CREATED", "RUNNING", "COMPLETE")):
            tx.execute(
                "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq) "
                f'VALUES (\'job\', \'j{number}\', \'{{"id":"j{number}","jobStatus":"{status}"}}\', '
                "?, ?, ?)",
                (iso(T0), iso(T0), number + 1),
            )
    store.migrate()
    (task,) = store.find_tasks(TaskQuery(candidate_group="ops"), Page(limit=10))
    assert task.id == "t1"
    assert [d["id"] for d in store.list_documents("job", pending_only=True)] == ["j0", "j1"]
    store.close()


@pytest.mark.mlc_postgres
def test_postgres_vacuums_the_waits_tables_by_count(pg_url: str) -> None:
    """On PostgreSQL the waits tables and the outbox's deliveries are vacuumed after 200 dead
    rows, not a fifth of them."""
    store = open_store(pg_url)
    store.migrate()
    rows = store.raw(
        "SELECT relname, reloptions FROM pg_class WHERE relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND relkind = 'r' AND reloptions IS NOT NULL"
    )
    store.close()
    tuned = {name: sorted(options) for name, options in rows}
    assert set(tuned) == {
        "subscriptions",
        "timers",
        "jobs",
        "user_tasks",
        "task_candidates",
        "incidents",
        "documents",
        "deliveries",
    }
    assert all(
        options == ["autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=200"]
        for options in tuned.values()
    )
