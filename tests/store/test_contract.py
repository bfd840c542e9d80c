"""The store contract: the same behaviour on SQLite and on PostgreSQL.

Every test takes `store_url`, an empty database of each kind (see conftest.py); the
PostgreSQL variants are marked `mlc_postgres` and skip without a server.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import (
    InstanceConflictError,
    LifecycleManager,
    ManagerConfig,
    ManualClock,
    MessageResult,
    SchemaVersionError,
)
from modelop_mlc.store import SqlStore, open_store
from modelop_mlc.store._schema import MIGRATIONS, SCHEMA_VERSION
from modelop_mlc.store.rows import JobRow, iso

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# A user task, then a message, then a signal.
JOURNEY = process(
    START
    + '<bpmn:userTask id="review" name="Review"/>'
    + '<bpmn:intermediateCatchEvent id="wait_go"><bpmn:messageEventDefinition messageRef="m"/>'
    + "</bpmn:intermediateCatchEvent>"
    + '<bpmn:intermediateCatchEvent id="wait_ship"><bpmn:signalEventDefinition signalRef="s"/>'
    + "</bpmn:intermediateCatchEvent>"
    + END
    + chain("start", "review", "wait_go", "wait_ship", "end"),
    pid="journey",
    extra='<bpmn:message id="m" name="go"/><bpmn:signal id="s" name="ship"/>',
)
USER_TASK = process(
    START + '<bpmn:userTask id="work" name="Work"/>' + END + chain("start", "work", "end"),
    pid="chores",
)
ASYNC = process(
    START
    + '<bpmn:serviceTask id="call" name="Call" camunda:class="Remote"/>'
    + END
    + chain("start", "call", "end"),
    pid="remote",
)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture(name="manager")
def _manager(store_url: str, clock: ManualClock) -> Iterator[LifecycleManager]:
    manager = LifecycleManager.open(store_url, clock=clock)
    yield manager
    manager.close()


@pytest.fixture(name="store")
def _store(store_url: str) -> Iterator[SqlStore]:
    store = open_store(store_url)
    store.migrate()
    yield store
    store.close()


def _job(job_id: str, due: datetime) -> JobRow:
    return JobRow(
        id=job_id,
        instance_id="instance",
        activity_id="call",
        activity_name=None,
        kind="delegate",
        candidates=["Remote"],
        due_at=iso(due),
        retries_left=3,
        retry_cycle=None,
        attempts=0,
        idempotency_key=f"instance:{job_id}",
        status="pending",
        lease_owner=None,
        lease_until=None,
        last_error=None,
        created_at=iso(due),
    )


def _kinds(manager: LifecycleManager, instance_id: str) -> list[str]:
    return [event.kind for event in manager.history(instance_id, limit=None)]


def _subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(kind in remaining for kind in wanted)


# ---------------------------------------------------------------- schema


def test_migrating_a_fresh_database_is_idempotent(store_url: str) -> None:
    """A fresh database gets the current schema, and migrating again changes nothing."""
    store = open_store(store_url)
    try:
        assert store.migrate() == SCHEMA_VERSION
        assert store.migrate() == SCHEMA_VERSION
        assert [tuple(r) for r in store.raw("SELECT version FROM mlc_schema")] == [
            (SCHEMA_VERSION,)
        ]
        assert store.count_instances() == 0
    finally:
        store.close()


def test_several_hosts_migrating_at_once_create_the_schema_once(store_url: str) -> None:
    """Four stores migrating one empty database at the same moment all succeed."""
    stores = [open_store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results: list[Any] = []

    def migrate(store: SqlStore) -> None:
        barrier.wait()
        try:
            results.append(store.migrate())
        except Exception as err:
            results.append(err)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in stores:
        store.close()
    assert results == [SCHEMA_VERSION] * 4
    check = open_store(store_url)
    assert [tuple(r) for r in check.raw("SELECT version FROM mlc_schema")] == [(SCHEMA_VERSION,)]
    check.close()


def test_an_empty_database_is_refused_without_upgrade(store_url: str) -> None:
    """Opening an empty database with migrate=False says how to create the schema."""
    with pytest.raises(SchemaVersionError, match=r"no modelop_mlc schema.*migrate=True"):
        LifecycleManager.open(store_url, migrate=False)
    store = open_store(store_url)
    with pytest.raises(SchemaVersionError):
        store.migrate(upgrade=False)  # the refused attempt left nothing behind
    store.close()


def test_an_older_schema_is_refused_until_migrated_on_request(store_url: str) -> None:
    """A version-1 database is refused with migrate=False, then upgraded keeping its data."""
    store = open_store(store_url)
    with store.transaction() as tx:
        for statement in MIGRATIONS[1]:
            tx.execute(statement.replace("{autoinc}", store.dialect.autoinc))
        tx.execute("INSERT INTO mlc_schema (version) VALUES (1)")
        # Written as version 1 wrote it (without the columns later versions added).
        tx.execute(
            "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq) "
            "VALUES ('note', 'n1', '{\"kept\":true}', ?, ?, 1)",
            (iso(T0), iso(T0)),
        )
    with pytest.raises(SchemaVersionError) as refused:
        store.migrate(upgrade=False)
    message = str(refused.value)
    assert f"schema version 1; this library needs version {SCHEMA_VERSION}" in message
    assert "Back it up, then migrate it" in message
    assert "migrate=True" in message
    with pytest.raises(SchemaVersionError):
        LifecycleManager.open(store_url, migrate=False)
    assert store.migrate(upgrade=True) == SCHEMA_VERSION
    assert store.get_document("note", "n1") == {"kept": True}
    # uses the version-2 and version-3 indexes
    assert store.leases("anyone") == {"deliveries": [], "jobs": [], "timers": []}
    store.close()
    LifecycleManager.open(store_url, migrate=False).close()


def test_a_newer_schema_is_refused(store: SqlStore, store_url: str) -> None:
    """A database migrated by a newer library is refused, even with migrate=True."""
    with store.transaction() as tx:
        tx.execute("UPDATE mlc_schema SET version = ?", (SCHEMA_VERSION + 1,))
    for upgrade in (False, True):
        with pytest.raises(SchemaVersionError, match="newer than this library supports"):
            LifecycleManager.open(store_url, migrate=upgrade)


# ---------------------------------------------------------------- deploy, start, wait, complete


def test_deploying_creates_versions_and_running_instances_keep_theirs(
    manager: LifecycleManager,
) -> None:
    """Unchanged re-deploys are filtered, changes make version 2, old instances stay on 1."""
    assert [d.version for d in manager.deploy(USER_TASK).definitions] == [1]
    assert [d.version for d in manager.deploy(USER_TASK).definitions] == [1]
    first = manager.start("chores")
    changed = USER_TASK.replace('name="Work"', 'name="Work harder"')
    assert [d.version for d in manager.deploy(changed).definitions] == [2]
    second = manager.start("chores")
    assert (first.version, second.version) == (1, 2)
    assert [d.version for d in manager.definitions("chores")] == [1, 2]
    for instance in (first, second):
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id)
        assert manager.instance(instance.id).status == "completed"


def test_start_complete_message_and_signal_through_the_manager(
    manager: LifecycleManager,
) -> None:
    """An instance waits at a user task, a message and a signal, and its history says so."""
    manager.deploy(JOURNEY)
    instance = manager.start("journey", {"x": 1}, business_key="bk-1")
    other = manager.start("journey", business_key="bk-2")
    (task,) = manager.tasks(instance_id=instance.id)
    assert task.activity_id == "review"
    manager.complete_task(task.id, {"ok": True})
    assert manager.instance(instance.id).waiting_at == ("wait_go",)
    received = manager.message("go", {"go": 1}, business_key="bk-1")
    assert isinstance(received, MessageResult)
    assert received.instance_id == instance.id
    assert manager.signal("ship").delivered == (instance.id,)
    done = manager.instance(instance.id)
    assert done.status == "completed"
    assert {k: done.variables[k] for k in ("x", "ok", "go")} == {"x": 1, "ok": True, "go": 1}
    assert _subsequence(
        ["instance_start", "task_completed", "message_received", "signal_received", "instance_end"],
        _kinds(manager, instance.id),
    )
    assert manager.instance(other.id).status == "running"


# ---------------------------------------------------------------- optimistic locking


def test_the_second_save_of_one_revision_raises_a_conflict(
    store_url: str, manager: LifecycleManager
) -> None:
    """Two stores load the same revision; the first save wins and the second raises."""
    manager.deploy(USER_TASK)
    instance_id = manager.start("chores").id
    first, second = open_store(store_url), open_store(store_url)
    try:
        a, b = first.get_instance(instance_id), second.get_instance(instance_id)
        assert a is not None and b is not None and a.revision == b.revision
        fields: dict[str, Any] = {
            "status": "running",
            "state_json": "{}",
            "variables_json": "{}",
            "waiting_at": [],
            "ended_at": None,
            "end_reason": None,
        }
        with first.transaction() as tx:
            tx.update_instance(instance_id, a.revision, **fields)
        with pytest.raises(InstanceConflictError) as lost, second.transaction() as tx:
            tx.update_instance(instance_id, b.revision, **fields)
        assert (instance_id, b.revision) == (lost.value.instance_id, lost.value.expected_revision)
        row = second.get_instance(instance_id)
        assert row is not None and row.revision == a.revision + 1
    finally:
        first.close()
        second.close()


def test_a_step_that_loses_the_race_retries_on_fresh_state(
    store_url: str, manager: LifecycleManager, clock: ManualClock
) -> None:
    """Another manager saves between our load and our save: our step reloads and reapplies."""
    manager.deploy(USER_TASK)
    instance_id = manager.start("chores").id
    before = manager.store.get_instance(instance_id)
    assert before is not None
    rival = LifecycleManager.open(store_url, clock=clock)
    calls: list[int] = []

    def command(instance: Any) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            rival.set_variables(instance_id, {"from_rival": 1})
        instance.workflow.data["from_us"] = 1

    try:
        manager._runtime.step(instance_id, command)
    finally:
        rival.close()
    after = manager.store.get_instance(instance_id)
    assert after is not None
    assert calls == [0, 1]
    assert after.revision == before.revision + 2
    assert {k: after.variables[k] for k in ("from_rival", "from_us")} == {
        "from_rival": 1,
        "from_us": 1,
    }


# ---------------------------------------------------------------- claiming with leases


def _claim_concurrently(store_url: str, table: str, count: int) -> list[str]:
    claimers = [open_store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(claimers))
    claimed: list[str] = []
    errors: list[BaseException] = []
    now, until = iso(T0), iso(T0 + timedelta(minutes=5))

    def claim(store: SqlStore, owner: str) -> None:
        barrier.wait()
        try:
            while True:
                with store.transaction() as tx:
                    if table == "jobs":
                        got = [j.id for j in tx.claim_jobs(owner, now, until, 7)]
                    else:
                        got = [t.id for t in tx.claim_timers(owner, now, until, 7)]
                if not got:
                    return
                claimed.extend(got)
        except BaseException as err:
            errors.append(err)

    threads = [
        threading.Thread(target=claim, args=(store, f"host-{n}"))
        for n, store in enumerate(claimers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in claimers:
        store.close()
    assert errors == []
    assert len(claimed) >= count
    return claimed


def test_each_job_is_claimed_once_across_concurrent_claimers(
    store: SqlStore, store_url: str
) -> None:
    """Four claimers drain 300 due jobs; every job is leased to exactly one of them."""
    jobs = [_job(f"job-{n:03d}", T0 - timedelta(seconds=n)) for n in range(300)]
    with store.transaction() as tx:
        tx.sync_jobs("instance", jobs)
    claimed = _claim_concurrently(store_url, "jobs", len(jobs))
    assert Counter(claimed) == Counter(j.id for j in jobs)
    assert all(j.attempts == 1 and j.lease_owner for j in store.jobs())


def test_each_timer_is_claimed_once_across_concurrent_claimers(
    store: SqlStore, store_url: str
) -> None:
    """Four claimers drain 300 due timers; every timer is leased to exactly one of them."""
    with store.transaction() as tx:
        for n in range(300):
            tx.execute(
                "INSERT INTO timers (id, instance_id, activity_id, due_at) VALUES (?, ?, ?, ?)",
                (f"timer-{n:03d}", f"instance-{n}", "wait", iso(T0 - timedelta(seconds=n))),
            )
    claimed = _claim_concurrently(store_url, "timers", 300)
    assert Counter(claimed) == Counter(f"timer-{n:03d}" for n in range(300))


def test_a_lease_blocks_others_until_it_expires_and_can_be_renewed_or_released(
    store: SqlStore,
) -> None:
    """A leased job is invisible to other claimers until its (renewed) lease runs out."""
    with store.transaction() as tx:
        tx.sync_jobs("instance", [_job("job", T0), _job("later", T0 + timedelta(hours=1))])

    def claim(owner: str, at: datetime) -> list[str]:
        with store.transaction() as tx:
            return [j.id for j in tx.claim_jobs(owner, iso(at), iso(at + timedelta(minutes=1)), 5)]

    assert claim("a", T0) == ["job"]
    assert claim("b", T0 + timedelta(seconds=30)) == []
    with store.transaction() as tx:
        assert tx.renew_leases("jobs", ["job", "later"], "a", iso(T0 + timedelta(minutes=3))) == 1
        assert tx.renew_leases("jobs", ["job"], "b", iso(T0 + timedelta(hours=9))) == 0
    assert claim("b", T0 + timedelta(minutes=2)) == []
    assert store.leases("a") == {"deliveries": [], "jobs": ["job"], "timers": []}
    assert claim("b", T0 + timedelta(minutes=4)) == ["job"]  # a's lease ran out
    with store.transaction() as tx:
        assert tx.release_leases("jobs", "a") == 0
        assert tx.release_leases("jobs", "b", ["job"]) == 1
    assert claim("c", T0 + timedelta(minutes=4)) == ["job"]
    job = store.get_job("job")
    assert job is not None and (job.lease_owner, job.attempts) == ("c", 3)


# ---------------------------------------------------------------- workers


def test_a_stopping_worker_gives_back_the_leases_it_has_not_started(
    store_url: str, clock: ManualClock
) -> None:
    """stop_event set during the first of five claimed jobs: four leases are given back."""
    manager = LifecycleManager.open(
        store_url, clock=clock, config=ManagerConfig(worker_id="host-a")
    )
    stop = threading.Event()
    ran: list[str] = []

    def remote(ctx: Any) -> None:
        ran.append(ctx.instance_id)
        stop.set()

    manager.register_delegate("Remote", remote, asynchronous=True)
    manager.deploy(ASYNC)
    for _ in range(5):
        manager.start("remote")
    try:
        assert manager.run_worker(stop, poll_interval=0.01, batch=5) == 1
        assert manager.store.leases("host-a") == {"deliveries": [], "jobs": [], "timers": []}
        pending = manager.store.jobs()
        assert len(pending) == 4
        assert all(j.lease_owner is None and j.lease_until is None for j in pending)
        assert len(manager.instances(status="completed")) == 1
    finally:
        manager.close()
    assert len(ran) == 1


def test_a_long_job_keeps_its_lease_while_the_delegate_runs(
    store_url: str, clock: ManualClock
) -> None:
    """The heartbeat renews the lease, so another worker cannot take a running job over."""
    config = ManagerConfig(worker_id="host-a", job_lease_seconds=0.3)
    manager = LifecycleManager.open(store_url, clock=clock, config=config)
    rival = open_store(store_url)
    seen: dict[str, Any] = {}

    def remote(ctx: Any) -> None:
        # Ten minutes pass: far beyond the 0.3 s lease taken at the claim.
        now = clock.advance(timedelta(minutes=10))
        job_id = manager.store.jobs()[0].id
        pause = threading.Event()
        for _ in range(600):
            job = rival.get_job(job_id)
            if job is not None and job.lease_until is not None and job.lease_until > iso(now):
                break
            pause.wait(0.05)
        seen["lease_until"] = rival.get_job(job_id).lease_until  # type: ignore[union-attr]
        with rival.transaction() as tx:
            seen["rival"] = tx.claim_jobs("host-b", iso(now), iso(now + timedelta(minutes=1)), 5)
        seen["now"] = iso(now)

    manager.register_delegate("Remote", remote, asynchronous=True)
    manager.deploy(ASYNC)
    instance = manager.start("remote")
    try:
        assert manager.run_due() == 1
        assert seen["lease_until"] > seen["now"]
        assert seen["rival"] == []
        assert manager.instance(instance.id).status == "completed"
    finally:
        rival.close()
        manager.close()


def test_a_dead_workers_jobs_are_taken_over_once_its_lease_expires(
    store_url: str, clock: ManualClock
) -> None:
    """Jobs leased by a host that died run elsewhere after the lease, not before."""
    manager = LifecycleManager.open(
        store_url, clock=clock, config=ManagerConfig(worker_id="host-b", job_lease_seconds=60)
    )
    runs: list[str] = []
    manager.register_delegate(
        "Remote", lambda ctx: runs.append(ctx.idempotency_key), asynchronous=True
    )
    manager.deploy(ASYNC)
    instances = [manager.start("remote").id for _ in range(3)]
    now = iso(clock.now())
    claimed = manager.store.run_transaction(
        lambda tx: tx.claim_jobs("dead-host", now, iso(clock.now() + timedelta(seconds=60)), 10)
    )
    try:
        assert len(claimed) == 3
        assert manager.run_due() == 0
        clock.advance(timedelta(seconds=61))
        assert manager.run_due() == 3
        assert {"completed"} == {manager.instance(i).status for i in instances}
        assert sorted(j.idempotency_key for j in claimed) == sorted(runs)
    finally:
        manager.close()


def test_the_worker_loop_survives_a_failing_item_and_gives_its_lease_back(
    store_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A timer whose instance cannot be loaded is logged, kept under an incident; the rest runs."""
    timer = process(
        START
        + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        + "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        + "</bpmn:intermediateCatchEvent>"
        + END
        + chain("start", "wait", "end"),
        pid="sleepy",
    )
    manager = LifecycleManager.open(
        store_url, clock=clock, config=ManagerConfig(worker_id="host-a")
    )
    stop = threading.Event()
    manager.register_delegate("Remote", lambda _ctx: stop.set(), asynchronous=True)
    manager.deploy(timer, ASYNC)
    broken = manager.start("sleepy").id
    clock.advance(timedelta(hours=2))
    with manager.store.transaction() as tx:
        # As every write does, bump the revision: it is what tells hosts their kept copy is stale.
        tx.execute(
            "UPDATE instances SET state = ?, revision = revision + 1 WHERE id = ?",
            ('{"broken": true}', broken),
        )
    healthy = manager.start("remote").id
    try:
        with caplog.at_level("WARNING", logger="modelop_mlc.worker"):
            manager.run_worker(stop, poll_interval=0.01, batch=10)
        assert manager.instance(healthy).status == "completed"
        assert any("worker host-a" in r.getMessage() for r in caplog.records)
        (left,) = manager.store.timers(broken)
        assert manager.store.leases("host-a") == {"deliveries": [], "jobs": [], "timers": []}
        assert left.id
        assert [i.activity_id for i in manager.incidents(instance_id=broken)] == ["wait"]
    finally:
        manager.close()


# ---------------------------------------------------------------- history, incidents, documents


def test_failed_jobs_raise_an_incident_that_retry_resolves(
    store_url: str, clock: ManualClock
) -> None:
    """Two failed attempts open an incident; retry() runs the job again and history has it all."""
    manager = LifecycleManager.open(
        store_url, clock=clock, config=ManagerConfig(default_retry_cycle="R2/PT1M")
    )
    healthy = threading.Event()

    def remote(_ctx: Any) -> dict[str, Any]:
        if not healthy.is_set():
            raise RuntimeError("remote system down")
        return {"answer": 42}

    manager.register_delegate("Remote", remote, asynchronous=True)
    manager.deploy(ASYNC)
    instance_id = manager.start("remote").id
    try:
        manager.run_due()
        assert manager.incidents() == []
        clock.advance(timedelta(minutes=1))
        manager.run_due()
        (incident,) = manager.incidents()
        assert incident.instance_id == instance_id
        assert "remote system down" in incident.message
        assert manager.instance(instance_id).status == "incident"
        healthy.set()
        assert manager.retry(incident.id).status == "completed"
        assert manager.incidents() == []
        assert len(manager.incidents(open_only=False)) == 1
        assert manager.variables(instance_id)["answer"] == 42
        kinds = _kinds(manager, instance_id)
        assert kinds.count("job_failed") == 2
        assert _subsequence(
            [
                "instance_start",
                "job_failed",
                "job_failed",
                "incident",
                "incident_resolved",
                "instance_end",
            ],
            kinds,
        )
        seqs = [e.seq for e in manager.history(instance_id, limit=None)]
        assert seqs == sorted(seqs)
    finally:
        manager.close()


def test_documents_are_inserted_replaced_and_listed(store: SqlStore) -> None:
    """put_document inserts, then replaces by (kind, id); lists keep creation order."""
    with store.transaction() as tx:
        tx.put_document("model", "b", {"name": "b", "n": 1}, iso(T0))
        tx.put_document("model", "a", {"name": "a", "n": 1}, iso(T0 + timedelta(seconds=1)))
        tx.put_document("job", "a", {"job": True}, iso(T0))
    with store.transaction() as tx:
        tx.put_document("model", "b", {"name": "b", "n": 2}, iso(T0 + timedelta(seconds=5)))
    assert store.get_document("model", "b") == {"name": "b", "n": 2}
    assert store.get_document("model", "missing") is None
    assert store.list_documents("model") == [{"name": "b", "n": 2}, {"name": "a", "n": 1}]
    assert store.list_documents("job") == [{"job": True}]


def test_insert_document_keeps_the_first_and_says_who_won(store: SqlStore) -> None:
    """insert_document inserts once; a second insert of the id changes nothing and says so."""
    with store.transaction() as tx:
        assert tx.insert_document("event", "e1", {"first": True}, iso(T0))
    with store.transaction() as tx:
        assert not tx.insert_document("event", "e1", {"first": False}, iso(T0))
    assert store.get_document("event", "e1") == {"first": True}
    assert store.list_documents("event") == [{"first": True}]


def test_raw_queries_may_contain_percent_signs(store: SqlStore) -> None:
    """A parameterless raw query with a LIKE pattern reaches both databases as written."""
    with store.transaction() as tx:
        tx.put_document("note", "100%", {"x": 1}, iso(T0))
    assert [
        tuple(r) for r in store.raw("SELECT id FROM documents WHERE id LIKE '%\\%%' ESCAPE '\\'")
    ] == [("100%",)]


CALLED = process(
    START
    + '<bpmn:serviceTask id="job" camunda:class="Flaky"><bpmn:extensionElements>'
    + "<camunda:failedJobRetryTimeCycle>R0/PT1M</camunda:failedJobRetryTimeCycle>"
    + "</bpmn:extensionElements></bpmn:serviceTask>"
    + '<bpmn:userTask id="check"/>'
    + END
    + chain("start", "job", "check", "end"),
    pid="called",
)
CALLER = process(
    START
    + '<bpmn:callActivity id="call" calledElement="called"><bpmn:extensionElements>'
    + '<camunda:in source="n" target="n"/><camunda:out source="n" target="n"/>'
    + "</bpmn:extensionElements></bpmn:callActivity>"
    + END
    + chain("start", "call", "end"),
    pid="caller",
)


def test_call_activity_links_incidents_and_cascade(manager: LifecycleManager) -> None:
    """A child instance is linked to its caller; its incident is repeated on the caller and
    resolved with it; cancelling the caller cancels the child, in one transaction."""
    failing = {"on": True}

    def flaky(_ctx: Any) -> dict[str, Any]:
        if failing["on"]:
            raise RuntimeError("down")
        return {"n": 2}

    manager.register_delegate("Flaky", flaky)
    manager.deploy(("called.bpmn", CALLED), ("caller.bpmn", CALLER))
    parent = manager.start("caller", {"n": 1})
    (child,) = manager.instances(super_instance_id=parent.id)
    assert (child.super_instance_id, child.super_activity_id) == (parent.id, "call")
    assert child.root_instance_id == parent.id
    assert manager.variables(child.id) == {"n": 1}
    (root,) = manager.incidents(instance_id=child.id)
    (repeated,) = manager.incidents(instance_id=parent.id)
    assert repeated.root_cause_incident_id == repeated.cause_incident_id == root.id
    assert manager.instance(parent.id).status == "incident"

    failing["on"] = False
    manager.retry(root.id)
    assert manager.incidents(instance_id=parent.id) == []
    assert manager.instance(parent.id).status == "running"
    assert manager.variables(child.id) == {"n": 2}

    manager.cancel(parent.id)
    assert manager.instance(child.id).status == "cancelled"
    assert manager.tasks(instance_id=child.id) == []
