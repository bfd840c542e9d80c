"""PostgreSQL only: lost connections are replaced, and transactions repeated when that is safe."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from modelop_mlc import ConfigurationError, LifecycleManager, ManagerConfig, StoreError
from modelop_mlc.store import SqlStore, Tx, open_store
from modelop_mlc.store.rows import iso

pytestmark = pytest.mark.mlc_postgres

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ASYNC = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="remote" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="call" camunda:class="Remote"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(name="store")
def _store(pg_url: str) -> Iterator[SqlStore]:
    store = open_store(pg_url)
    store.migrate()
    yield store
    store.close()


def _backend(store: SqlStore) -> int:
    return int(store.raw("SELECT pg_backend_pid()")[0][0])


def _terminate(pg_connect: Callable[[], Any], pid: int) -> None:
    with pg_connect() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_reads_and_transactions_reconnect_after_the_server_dropped_the_connection(
    store: SqlStore, pg_connect: Callable[[], Any]
) -> None:
    """A terminated backend is replaced on the next read and on the next transaction."""
    first = _backend(store)
    _terminate(pg_connect, first)
    second = _backend(store)  # the read is repeated on a new connection
    assert second != first
    _terminate(pg_connect, second)
    with store.transaction() as tx:  # BEGIN fails on the dead connection, then works
        tx.put_document("note", "n", {"after": "reconnect"}, iso(T0))
    assert store.get_document("note", "n") == {"after": "reconnect"}
    assert _backend(store) not in {first, second}


def test_a_transaction_that_lost_its_connection_raises_a_store_error(
    store: SqlStore, pg_connect: Callable[[], Any]
) -> None:
    """A connection lost mid-transaction surfaces as StoreError saying nothing was saved."""

    def lose_the_connection_half_way() -> None:
        with store.transaction() as tx:
            tx.put_document("note", "a", {"n": 1}, iso(T0))
            _terminate(pg_connect, _backend(store))
            tx.put_document("note", "b", {"n": 2}, iso(T0))

    with pytest.raises(StoreError, match="nothing was saved"):
        lose_the_connection_half_way()
    assert store.list_documents("note") == []


def test_run_transaction_repeats_the_body_once_on_a_new_connection(
    store: SqlStore, pg_connect: Callable[[], Any]
) -> None:
    """The body runs again after the connection died before COMMIT, and commits once."""
    calls: list[int] = []

    def body(tx: Tx) -> int:
        calls.append(_backend(store))
        tx.put_document("note", "a", {"attempt": len(calls)}, iso(T0))
        if len(calls) == 1:
            _terminate(pg_connect, calls[0])
            tx.put_document("note", "b", {}, iso(T0))
        return len(calls)

    assert store.run_transaction(body) == 2
    assert calls[0] != calls[1]
    assert store.list_documents("note") == [{"attempt": 2}]


def test_a_lost_commit_is_looked_up_by_transaction_id(store: SqlStore) -> None:
    """The transaction id read before COMMIT tells committed from rolled-back transactions."""
    dialect = store.dialect
    tokens = {}
    for outcome in ("commit", "rollback"):
        conn = store.reader().conn
        dialect.begin_write(conn)
        conn.execute(
            "INSERT INTO documents (kind, id, doc, created_at, updated_at, seq) "
            "VALUES ('note', %s, '{}', '', '', 0)",
            (outcome,),
        )
        tokens[outcome] = dialect.commit_token(conn)
        getattr(conn, outcome)()
    conn = store.reader().conn
    assert dialect.committed(conn, tokens["commit"]) is True
    assert dialect.committed(conn, tokens["rollback"]) is False


def test_a_worker_carries_on_after_its_connections_were_killed(
    pg_url: str, pg_connect: Callable[[], Any]
) -> None:
    """Killing every backend of a running worker loses no job: it reconnects and finishes."""
    manager = LifecycleManager.open(pg_url, config=ManagerConfig(worker_id="host-a"))
    manager.deploy(("remote.bpmn", ASYNC), check_delegates=False)
    gate = threading.Event()
    done = threading.Event()
    total = 40
    ran: list[str] = []

    def remote(ctx: Any) -> None:
        gate.wait(60)  # the first job holds the worker while its connections die
        ran.append(ctx.idempotency_key)

    manager.register_delegate("Remote", remote, asynchronous=True)
    ids = [manager.start("remote").id for _ in range(total)]
    stop = threading.Event()

    def run() -> None:
        manager.run_worker(stop, poll_interval=0.05, batch=5)
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        with pg_connect() as conn:
            for _ in range(600):
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'modelop_mlc' AND pid <> pg_backend_pid()"
                ).fetchall()
                if rows and ran == [] and manager.store.jobs()[0].lease_owner:
                    break
                threading.Event().wait(0.05)
            assert rows, "the worker never claimed its first batch"
            for (pid,) in rows:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        gate.set()
        checker = open_store(pg_url)
        for _ in range(1200):
            if checker.count_instances("completed") == total:
                break
            threading.Event().wait(0.05)
        completed = checker.count_instances("completed")
        checker.close()
    finally:
        gate.set()
        stop.set()
        worker.join(60)
        manager.close()
    assert done.is_set()
    assert total == completed
    assert sorted(ran) == sorted(set(ran))  # nothing ran twice
    assert len(ids) == len(ran)


def test_an_invalid_url_and_an_unreachable_server_are_reported_without_the_password() -> None:
    """Bad URLs raise ConfigurationError; an unreachable server a StoreError, password hidden."""
    with pytest.raises(ConfigurationError):
        open_store("postgresql://u:secret@127.0.0.1:5432/db?nonsense_option=1")
    store = open_store("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2")
    with pytest.raises(StoreError) as err:
        store.migrate()
    assert "cannot connect to PostgreSQL" in str(err.value)
    assert "secret" not in str(err.value)
    assert "secret" not in store.url
