"""Every hot query is read from an index in its order, on a database of 10,000 instances.

Each case calls the store the way the manager, the worker or a REST route does, records the
statements it ran, and reads their plans: SQLite's `EXPLAIN QUERY PLAN` (the database as the
library leaves it, without `ANALYZE`), PostgreSQL's own plans through `auto_explain` after
`ANALYZE`, with `enable_seqscan` untouched. A case fails on a full scan of a large table, on
a sort (SQLite's temporary B-tree, PostgreSQL's Sort node of more than `SMALL_SORT` rows), or on
an index walked without a `LIMIT` to stop it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from modelop_mlc.rest._instances import instance_query
from modelop_mlc.rest._query import Query
from modelop_mlc.store import SqlStore, open_store
from modelop_mlc.store.queries import IncidentQuery, InstanceQuery, Page, TaskQuery
from modelop_mlc.store.rows import iso
from store.bulk import T0, Bulk, build

# Tables that grow with the number of instances (the others hold definitions and the like).
LARGE = frozenset(
    {
        "instances",
        "history",
        "user_tasks",
        "task_candidates",
        "timers",
        "jobs",
        "subscriptions",
        "incidents",
        "documents",
        "kpi_facts",
        "throws",
        "deliveries",
    }
)

# PostgreSQL may sort the few rows a selective index found (one task by id, the instances of
# one business key) instead of walking an index in order: it is right to, and such a sort does
# not grow with the database. Sorting more rows than this fails.
SMALL_SORT = 200


@pytest.fixture(
    name="bulk",
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.mlc_postgres)],
)
def _bulk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SqlStore, Bulk]]:
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("plans") / "mlc.db")
    else:
        url = _pg_schema(request)
    store = open_store(url)
    store.migrate()
    made = build(store)
    if request.param == "postgres":
        store.reader().execute("ANALYZE")
    yield store, made
    store.close()


def _pg_schema(request: pytest.FixtureRequest) -> str:
    import uuid

    from store.support import admin, with_schema

    database = str(request.getfixturevalue("pg_database"))
    schema = f"plans_{uuid.uuid4().hex[:12]}"
    with admin(database) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return with_schema(database, schema)


def _record(store: SqlStore, call: Callable[[], Any]) -> list[tuple[str, str]]:
    """Run `call`; return (statement, plan) of each statement it ran."""
    conn = store.reader().conn
    if store.dialect.name == "postgresql":
        return _record_postgres(conn, call)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for statement in statements:
        if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", statement, re.IGNORECASE):
            continue
        rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
        plans.append((statement, "\n".join(str(r[3]) for r in rows)))
    return plans


def _record_postgres(conn: Any, call: Callable[[], Any]) -> list[tuple[str, str]]:
    notices: list[str] = []

    def keep(diagnostic: Any) -> None:
        notices.append(str(diagnostic.message_primary or ""))

    conn.execute("LOAD 'auto_explain'")
    for setting, value in (
        ("auto_explain.log_min_duration", "0"),
        ("auto_explain.log_level", "notice"),
        ("auto_explain.log_nested_statements", "on"),
        ("client_min_messages", "notice"),
    ):
        conn.execute(f"SET {setting} = {value}")
    conn.add_notice_handler(keep)
    try:
        call()
    finally:
        conn.remove_notice_handler(keep)
        conn.execute("SET auto_explain.log_min_duration = -1")
    plans = []
    for notice in notices:
        text = notice.split("Query Text:", 1)[-1]
        statement, _, plan = text.partition("\n")
        if re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", statement, re.IGNORECASE):
            plans.append((statement.strip(), plan))
    return plans


def _problems(statement: str, plan: str, *, postgres: bool) -> list[str]:
    found = []
    limited = re.search(r"\bLIMIT\b", statement, re.IGNORECASE) is not None
    for line in plan.splitlines():
        if postgres:
            sort = re.search(r"(^|->\s*)(Incremental )?Sort\s+\(.*rows=(\d+)", line.strip())
            if sort and int(sort.group(3)) > SMALL_SORT:
                found.append(f"sorts: {line.strip()}")
            scan = re.search(r"Seq Scan on (\w+)", line)
            if scan and scan.group(1) in LARGE:
                found.append(f"reads all of {scan.group(1)}: {line.strip()}")
            continue
        if "TEMP B-TREE" in line:
            found.append(f"sorts: {line}")
        scan = re.match(r"\s*SCAN (\w+)(.*)", line)
        if scan and scan.group(1) in LARGE:
            if "INDEX" not in scan.group(2):
                found.append(f"reads all of {scan.group(1)}: {line}")
            elif not limited:
                found.append(f"walks a whole index without a LIMIT: {line}")
    return found


def _rest(
    find: Callable[[Any, Page], Any], build: Callable[[Query], Any], params: dict[str, str]
) -> Any:
    """Call the store as a REST list route does, from its query string."""
    query = Query(params)
    return find(build(query), query.window().fetch())


def _cases(made: Bulk) -> dict[str, Callable[[SqlStore], Any]]:
    """Each hot call, as the manager, the worker and the REST routes make it."""
    page = Page(limit=50)
    newest = "2025-01-01T10:00:00.000000+00:00"
    return {
        # manager.instances(), newest first, with each filter; the next page by keyset
        "instances()": lambda s: s.find_instances(InstanceQuery(), page),
        "instances(status=running)": lambda s: s.find_instances(
            InstanceQuery(statuses=["running"]), page
        ),
        "instances(status=completed)": lambda s: s.find_instances(
            InstanceQuery(statuses=["completed"]), page
        ),
        "instances(key)": lambda s: s.find_instances(InstanceQuery(key="review"), page),
        "instances(key, status)": lambda s: s.find_instances(
            InstanceQuery(key="review", statuses=["running"]), page
        ),
        "instances(business_key)": lambda s: s.find_instances(
            InstanceQuery(business_key=made.business_key), page
        ),
        "instances(after=...)": lambda s: s.find_instances(
            InstanceQuery(), Page(limit=50, after=(newest, "inst-000600"))
        ),
        # REST GET /process-instance, as the route builds it from the query string
        "GET /process-instance": lambda s: _rest(s.find_instances, instance_query, {}),
        "GET /process-instance?ended=true": lambda s: _rest(
            s.find_instances, instance_query, {"ended": "true"}
        ),
        "GET /process-instance?processDefinitionKey": lambda s: _rest(
            s.find_instances, instance_query, {"processDefinitionKey": "wait"}
        ),
        "GET /process-instance?processDefinitionId": lambda s: _rest(
            s.find_instances, instance_query, {"processDefinitionId": made.definition_id}
        ),
        "GET /process-instance?businessKey": lambda s: _rest(
            s.find_instances, instance_query, {"businessKey": made.business_key}
        ),
        "GET /process-instance?withIncident=true": lambda s: _rest(
            s.find_instances, instance_query, {"withIncident": "true"}
        ),
        "GET /process-instance?subProcessInstance": lambda s: _rest(
            s.find_instances, instance_query, {"subProcessInstance": "inst-000600"}
        ),
        "GET /process-instance?rootProcessInstances": lambda s: _rest(
            s.find_instances, instance_query, {"rootProcessInstances": "true"}
        ),
        "GET /process-instance?leafProcessInstances": lambda s: _rest(
            s.find_instances, instance_query, {"leafProcessInstances": "true"}
        ),
        "GET /process-instance/count": lambda s: s.count_found_instances(instance_query(Query({}))),
        "GET /process-instance/count?withIncident=true": lambda s: s.count_found_instances(
            instance_query(Query({"withIncident": "true"}))
        ),
        # REST GET /history/process-instance: every instance, newest first; the ended ones
        "GET /history/process-instance": lambda s: s.find_instances(
            InstanceQuery(), Query({}).window().fetch()
        ),
        "GET /history/process-instance?finished=true": lambda s: s.find_instances(
            InstanceQuery(statuses=["cancelled", "completed"]), Query({}).window().fetch()
        ),
        # REST GET /incident (its count reads the open incidents, as `incidents()` pages do);
        # GET /task?candidateGroup
        "GET /incident": lambda s: s.find_incidents(IncidentQuery(), Query({}).window().fetch()),
        "GET /task?candidateGroup": lambda s: s.find_tasks(
            TaskQuery(candidate_group="ops"), Query({}).window().fetch()
        ),
        # the Cockpit's overview: running counted exactly, ended ones up to 1,000
        "overview counts (running)": lambda s: s.status_counts(
            ["review", "wait"], ("running", "incident")
        ),
        "overview counts (ended, capped)": lambda s: s.status_counts(
            ["review", "wait"], ("completed", "cancelled"), up_to=1000
        ),
        # GET /process-definition/statistics: a definition's running instances, counted
        "statistics: running of a definition": lambda s: s.count_found_instances(
            InstanceQuery(statuses=["running", "incident"], definition_id=made.definition_id)
        ),
        # REST GET /task for a person: the tasks Camunda's default permissions let them see
        "GET /task as a person": lambda s: s.find_tasks(
            TaskQuery(visible_to=("user-3", ("team-7",))), Query({}).window().fetch()
        ),
        "GET /task?nameLike as a person": lambda s: s.find_tasks(
            TaskQuery(visible_to=("user-3", ("team-7",)), name_like="Rev%"),
            Query({}).window().fetch(),
        ),
        # manager.tasks()
        "tasks()": lambda s: s.find_tasks(TaskQuery(), Page(limit=100)),
        "tasks(candidate_group)": lambda s: s.find_tasks(
            TaskQuery(candidate_group="ops"), Page(limit=100)
        ),
        "tasks(candidate_group, candidate_user)": lambda s: s.find_tasks(
            TaskQuery(candidate_group="ops", candidate_user="nobody"), Page(limit=100)
        ),
        "tasks(candidate_group, after=...)": lambda s: s.find_tasks(
            TaskQuery(candidate_group="ops"), Page(limit=100, after=(newest, "task-000600"))
        ),
        "tasks(assignee)": lambda s: s.find_tasks(
            TaskQuery(assignee=made.assignee), Page(limit=100)
        ),
        "tasks(instance_id)": lambda s: s.find_tasks(
            TaskQuery(instance_id="inst-000600"), Page(limit=100)
        ),
        "task(id)": lambda s: s.user_tasks(
            instance_id=None,
            assignee=None,
            candidate_group=None,
            candidate_user=None,
            task_id="task-000600",
        ),
        # manager.incidents()
        "incidents()": lambda s: s.find_incidents(IncidentQuery(), Page(limit=100)),
        "incidents(open_only=False)": lambda s: s.find_incidents(
            IncidentQuery(open_only=False), Page(limit=100)
        ),
        "incidents(instance_id)": lambda s: s.find_incidents(
            IncidentQuery(instance_id="inst-000013"), Page(limit=100)
        ),
        # history, signals, one instance
        "history(instance_id)": lambda s: s.history(made.instance_id, limit=100),
        "signal subscribers": lambda s: s.subscribers("signal", "go-3"),
        "instance(id)": lambda s: s.get_instance(made.instance_id),
        # run_due(): due timers and jobs by due time, the centre's pending jobs, next_due()
        "claim due timers": lambda s: s.run_transaction(
            lambda tx: tx.claim_timers("w", iso(made.now + timedelta(days=30)), "z", 10)
        ),
        "claim due jobs": lambda s: s.run_transaction(
            lambda tx: tx.claim_jobs("w", iso(made.now), "z", 10)
        ),
        "the centre's pending jobs": lambda s: s.list_documents("job", pending_only=True),
        "next_due()": lambda s: s.next_due(),
        "wake parked jobs": lambda s: s.run_transaction(
            lambda tx: tx.wake_jobs("job:x", iso(made.now))
        ),
        # the Cockpit: where a definition's instances wait
        "waiting_at(definition_id)": lambda s: s.waiting_at(made.definition_id),
        "a step's waits": lambda s: s.run_transaction(lambda tx: tx._waits("inst-000600")),
        # the outbox: a worker claims due deliveries, a host those of its signal; a step's
        # throw finds its receivers; a delivery is finished, failed, given back
        "claim due deliveries": lambda s: s.run_transaction(
            lambda tx: tx.claim_deliveries("w", iso(made.now), "z", 10)
        ),
        "claim a signal's deliveries": lambda s: s.run_transaction(
            lambda tx: tx.claim_deliveries("w", iso(made.now), "z", 100, throw_id="throw-000600")
        ),
        "a throw's receivers": lambda s: s.run_transaction(
            lambda tx: tx.event_receivers("signal", "go-3")
        ),
        "a throw recorded once": lambda s: s.run_transaction(
            lambda tx: tx.insert_throw(s.get_throw("throw-000600"))
        ),
        "a delivery finished": lambda s: s.run_transaction(
            lambda tx: tx.update_delivery("throw-000600>inst-000600", last_error="x")
        ),
        "deliveries given back": lambda s: s.release_leases(
            "deliveries", "w", ["throw-000600>inst-000600"]
        ),
        "a delivery read": lambda s: s.get_delivery("throw-000600>inst-000600"),
        "a centre document written": lambda s: s.run_transaction(
            lambda tx: tx.put_document("job", "center-job-new", {}, iso(made.now), pending=True)
        ),
    }


CASES = sorted(_cases(Bulk(0, "", "", "", "", "", T0)))


@pytest.mark.parametrize("case", CASES)
def test_a_hot_query_reads_an_index_in_its_order(case: str, bulk: tuple[SqlStore, Bulk]) -> None:
    """The hot call runs without a full scan of a large table and without a sort."""
    store, made = bulk
    plans = _record(store, lambda: _cases(made)[case](store))
    assert plans, f"{case} ran no statement"
    postgres = store.dialect.name == "postgresql"
    problems = [
        f"{problem}\n    in {statement}"
        for statement, plan in plans
        for problem in _problems(statement, plan, postgres=postgres)
    ]
    assert not problems, f"{case}:\n" + "\n".join(problems)


def test_the_checks_catch_a_scan_and_a_sort(bulk: tuple[SqlStore, Bulk]) -> None:
    """A query without an index in its order is caught: the test can fail."""
    store, _ = bulk
    plans = _record(
        store,
        lambda: store.raw("SELECT id FROM instances WHERE revision > 0 ORDER BY state"),
    )
    postgres = store.dialect.name == "postgresql"
    problems = [
        p for statement, plan in plans for p in _problems(statement, plan, postgres=postgres)
    ]
    assert any(p.startswith("reads all of instances") for p in problems), plans
    assert any(p.startswith("sorts") for p in problems), plans
