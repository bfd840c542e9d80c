"""Benchmark 5: every call a host makes costs the same with 100,000 ended instances as with 1,000.

Setup (untimed, see `flat_support.py`): per database, two stores: 1,000 and 100,000 ended
instances (reviews a person completed, hour timers that fired; their history, resolved
incidents) plus a fifth as many waiting ones (open reviews for 50 teams with a 7-day deadline,
signal and 30-day timer waits, open incidents). A few hundred run through the public API; the
rest are copies of their rows.

Measurement: one process opens a manager on each store and runs `--rounds` rounds on both,
interleaved (small, large, large, small, ...) so that the noise of a shared machine hits both.
A round starts 10 instances waiting for signal `go`, 10 reviews for team `ops` and 10 one-hour
timers (untimed), then times: `signal("go")` (reaches 10), `tasks(candidate_group="ops")`,
`complete_task()` x10, `run_due()` after two hours (fires 10 timers), `instances(limit=50)`
alone, by status and by business key, `tasks()` (its default page), `incidents()`, the Cockpit's
instances page and the REST list routes: process instances (newest, by process, leaves),
historic process instances (all, finished), incidents, tasks, external tasks. Counts (the
Cockpit's overview, the definitions' statistics, the `/count` routes) are printed apart: they
count running instances, 100 times as many in the large store; they are held to the target
against a third store, as many ended instances as the large one and as many running as the
small one (a year of history, the same work in flight). Each read runs 5 times in a
round and its fastest time counts (a shared machine's noise only ever adds time); each write
runs once.
The round's instances are then removed (untimed), so both stores keep their size. Medians over
the rounds per call; target: large / small <= 1.30 for every call, on SQLite and PostgreSQL.

    python benchmarks/bench_flat.py [--n 100000] [--small 1000] [--rounds 40] [--dir DIR]
                                    [--dsn postgresql://...] [--no-postgres]

SQLite stores go to a temporary directory (`--dir` keeps them for the next run); PostgreSQL
stores are schemas `flat_<n>` of database `mlc_bench_flat` (`--pg-database`), kept for the
next run (building 100,000 takes minutes). Without a PostgreSQL server only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flat_support import WAITING_SHARE, build, open_manager
from pg_support import admin, with_database, with_schema
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.rest import ADMIN, PERMISSIONS, Principal, StaticTokens
from modelop_mlc.web import site

TARGET = 1.30
PER_ROUND = 10
READS = 5  # times each read runs per round (the fastest counts)
REST = "/engine-rest"
TOKEN = "bench-flat-token"
PERSON = "bench-flat-person"  # a user without `admin`: sees the tasks naming them or nobody
DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
# After the templates were built, before any copy's deadline (7 days after it started).
MEASURE_FROM = datetime.fromisoformat("2026-01-06T00:00:00+00:00")
CALLS = (
    "signal() to 10 waiting",
    "tasks(candidate_group='ops')",
    "complete_task() x10",
    "run_due() firing 10 timers",
    "instances(limit=50)",
    "instances(status, limit=50)",
    "instances(business_key, limit=50)",
    "tasks() default page",
    "incidents()",
    "REST GET /process-instance?maxResults=50",
    "REST GET /task",
    "Cockpit GET /cockpit/instances",
    "Tasklist GET /tasklist (group ops)",
    "REST GET /process-instance?processDefinitionKey",
    "REST GET /process-instance?leafProcessInstances",
    "REST GET /history/process-instance?maxResults=50",
    "REST GET /history/process-instance?finished",
    "REST GET /incident",
    "REST GET /task?candidateGroup=ops",
    "REST GET /external-task",
    "REST GET /task as a person (no admin)",
)
# Not part of the target: a count of running instances follows the number running (here a
# fifth of the ended ones, so 100 times as many in the large store), as in Camunda; the
# database counts them from an index range, and ended instances cost nothing (the overview
# counts those up to 1,000).
COUNTS = (
    "Cockpit GET /cockpit (overview counts)",
    "REST GET /process-definition/statistics",
    "REST GET /process-instance/count",
    "REST GET /incident/count",
)
# The REST list routes timed each round: (name, path, rows the answer must hold; None: any).
REST_LISTS = (
    (CALLS[13], f"{REST}/process-instance?processDefinitionKey=mem_review&maxResults=50", 50),
    (CALLS[14], f"{REST}/process-instance?leafProcessInstances=true&maxResults=50", 50),
    (CALLS[15], f"{REST}/history/process-instance?maxResults=50", 50),
    (CALLS[16], f"{REST}/history/process-instance?finished=true&maxResults=50", 50),
    (CALLS[17], f"{REST}/incident?maxResults=50", 50),
    (CALLS[18], f"{REST}/task?candidateGroup=ops", None),
    (CALLS[19], f"{REST}/external-task", None),
    (CALLS[20], f"{REST}/task", None),
    (COUNTS[1], f"{REST}/process-definition/statistics", None),
    (COUNTS[2], f"{REST}/process-instance/count", None),
    (COUNTS[3], f"{REST}/incident/count", None),
)


@dataclass
class Host:
    """One store being measured: its manager, clock, REST client and timings."""

    label: str
    manager: LifecycleManager
    clock: ManualClock
    client: TestClient
    times: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, name: str, call: Callable[[], Any], *, repeat: int = 1) -> Any:
        """Run `call` `repeat` times, keeping its fastest time under `name`.

        Reads run several times a round: on a shared machine noise only ever adds time, so
        the fastest of a few is the call's own cost. Writes run once.
        """
        best, result = float("inf"), None
        for _ in range(repeat):
            started = time.perf_counter()
            result = call()
            best = min(best, time.perf_counter() - started)
        self.times.setdefault(name, []).append(best)
        return result


def open_host(label: str, url: str) -> Host:
    """Open a manager and a REST client on a built store."""
    clock = ManualClock(MEASURE_FROM)
    manager = open_manager(url, clock)
    # A user of group `ops`, whose Tasklist shows the round's 10 reviews in both stores.
    ops = frozenset({"ops"})
    auth = StaticTokens(
        {
            TOKEN: Principal("olga", PERMISSIONS, groups=ops),
            PERSON: Principal("pete", PERMISSIONS - {ADMIN}, groups=ops),
        }
    )
    client = TestClient(site(manager, auth=auth), headers={"Authorization": f"Bearer {TOKEN}"})
    client.__enter__()
    return Host(label, manager, clock, client)


def one_round(host: Host) -> None:
    """What a host does every few seconds, each call timed; then remove the round's instances."""
    manager, timed = host.manager, host.timed
    started = []
    for _ in range(PER_ROUND):
        started.append(manager.start("mem_go").id)
        started.append(manager.start("mem_review", {"team": "ops"}).id)
        started.append(manager.start("mem_hour").id)
    result = timed(CALLS[0], lambda: manager.signal("go"))
    assert len(result.delivered) == PER_ROUND, f"signal reached {len(result.delivered)}"
    tasks = timed(CALLS[1], lambda: manager.tasks(candidate_group="ops"), repeat=READS)
    assert len(tasks) == PER_ROUND, f"found {len(tasks)} ops tasks"
    page = timed(CALLS[12], lambda: host.client.get("/tasklist"), repeat=READS)
    assert page.text.count('class="task-link"') == PER_ROUND, page.text[:300]
    timed(CALLS[2], lambda: [manager.complete_task(t.id) for t in tasks])
    host.clock.advance(timedelta(hours=2))
    fired = timed(CALLS[3], manager.run_due)
    assert fired == PER_ROUND, f"run_due ran {fired}"
    listed = timed(CALLS[4], lambda: manager.instances(limit=50), repeat=READS)
    assert len(listed) == 50
    running = timed(CALLS[5], lambda: manager.instances(status="running", limit=50), repeat=READS)
    assert len(running) == 50
    timed(CALLS[6], lambda: manager.instances(business_key="bulk-7", limit=50), repeat=READS)
    timed(CALLS[7], manager.tasks, repeat=READS)
    timed(CALLS[8], manager.incidents, repeat=READS)
    response = timed(
        CALLS[9], lambda: host.client.get(f"{REST}/process-instance?maxResults=50"), repeat=READS
    )
    assert response.status_code == 200, response.text[:200]
    assert len(response.json()) == 50, len(response.json())
    response = timed(CALLS[10], lambda: host.client.get(f"{REST}/task"), repeat=READS)
    assert response.status_code == 200, response.text[:200]
    page = timed(CALLS[11], lambda: host.client.get("/cockpit/instances"), repeat=READS)
    assert page.text.count('class="instance-link"') == 200, page.text[:300]
    page = timed(COUNTS[0], lambda: host.client.get("/cockpit"), repeat=READS)
    assert page.status_code == 200, page.text[:300]
    person = {"Authorization": f"Bearer {PERSON}"}
    for name, path, rows in REST_LISTS:
        headers = person if name == CALLS[20] else None
        response = timed(
            name, lambda path=path, h=headers: host.client.get(path, headers=h), repeat=READS
        )
        assert response.status_code == 200, (path, response.text[:200])
        assert rows is None or len(response.json()) == rows, (path, len(response.json()))
    ended = [manager.instance(i) for i in started]
    assert {i.status for i in ended} == {"completed"}, {i.status for i in ended}
    with manager.store.transaction() as tx:
        tx.purge_instances(started)


def measure(hosts: Sequence[Host], rounds: int) -> None:
    """A warm-up round each, then `rounds` interleaved rounds (the order turns each round)."""
    for host in hosts:
        one_round(host)
        host.times.clear()
    for number in range(rounds):
        shift = number % len(hosts)
        for host in [*hosts[shift:], *hosts[:shift]]:
            one_round(host)


def report(title: str, small: Host, large: Host, history: Host, sizes: tuple[int, int]) -> bool:
    """Print each call's medians and ratio; tell whether every ratio meets the target.

    `history` holds as many ended instances as `large` but only as many running ones as
    `small`: the counts, which follow the running instances, are held to the target there.
    """
    print(title)
    print(f"  {'call (median ms)':<52}{sizes[0]:>10,}{sizes[1]:>10,}{'ratio':>8}")
    passed = True
    for name in CALLS:
        a = statistics.median(small.times[name]) * 1000
        b = statistics.median(large.times[name]) * 1000
        ratio = b / a
        passed &= ratio <= TARGET
        mark = "" if ratio <= TARGET else "  > target"
        print(f"  {name:<52}{a:10.2f}{b:10.2f}{ratio:8.2f}{mark}")
    print(f"  target: every ratio <= {TARGET:.2f}   {'PASS' if passed else 'FAIL'}")
    print("  apart (a count follows the running instances it counts, as in Camunda):")
    for name in COUNTS:
        a, b = (statistics.median(host.times[name]) * 1000 for host in (small, large))
        print(f"  {name:<52}{a:10.2f}{b:10.2f}{b / a:8.2f}")
    print(
        f"  counts with {sizes[1]:,} ended and as many running as with {sizes[0]:,} "
        "(history grows, the running do not):"
    )
    counted = True
    for name in COUNTS:
        a, b = (statistics.median(host.times[name]) * 1000 for host in (small, history))
        counted &= b / a <= TARGET
        mark = "" if b / a <= TARGET else "  > target"
        print(f"  {name:<52}{a:10.2f}{b:10.2f}{b / a:8.2f}{mark}")
    print(f"  target: every count's ratio <= {TARGET:.2f}   {'PASS' if counted else 'FAIL'}")
    return passed and counted


def close(*hosts: Host) -> None:
    """Close the REST clients and managers."""
    for host in hosts:
        host.client.__exit__(None, None, None)
        host.manager.close()


def run_sqlite(args: argparse.Namespace, directory: Path) -> bool:
    """Build (or reuse) the SQLite stores, measure them, print the figures."""
    stores = _stores(args)
    urls = [str(directory / f"flat_{name}.db") for name, _, _ in stores]
    built = [build(url, ended, waiting=w) for url, (_, ended, w) in zip(urls, stores, strict=True)]
    sizes = [Path(u).stat().st_size / 2**20 for u in urls]
    hosts = [
        open_host(f"sqlite {name}", url) for url, (name, _, _) in zip(urls, stores, strict=True)
    ]
    try:
        measure(hosts, args.rounds)
        title = (
            f"SQLite, {args.rounds} interleaved rounds (built in "
            f"{', '.join(f'{b:.0f}' for b in built)} s, 0 = reused; "
            f"{', '.join(f'{m:.0f}' for m in sizes)} MiB)"
        )
        return report(title, *hosts, (args.small, args.n))
    finally:
        close(*hosts)


def _stores(args: argparse.Namespace) -> list[tuple[str, int, int]]:
    """(name, ended, waiting) of the small, the large and the history-only store."""
    few = args.small // WAITING_SHARE
    return [
        (str(args.small), args.small, few),
        (str(args.n), args.n, args.n // WAITING_SHARE),
        (f"{args.n}_w{few}", args.n, few),
    ]


def run_postgres(args: argparse.Namespace) -> bool | None:
    """Build (or reuse) the PostgreSQL stores, measure them; None without a server."""
    try:
        with admin(args.dsn) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (args.pg_database,)
            ).fetchone():
                conn.execute(f"CREATE DATABASE {args.pg_database}")
    except Exception as err:
        print(f"PostgreSQL: not measured ({str(err).strip().splitlines()[0]})")
        return None
    database = with_database(args.dsn, args.pg_database)
    stores = _stores(args)
    urls = []
    for name, _, _ in stores:
        with admin(database) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS flat_{name}")
        urls.append(with_schema(database, f"flat_{name}"))
    built = [build(url, ended, waiting=w) for url, (_, ended, w) in zip(urls, stores, strict=True)]
    hosts = [open_host(f"pg {name}", url) for url, (name, _, _) in zip(urls, stores, strict=True)]
    try:
        measure(hosts, args.rounds)
        title = (
            f"PostgreSQL, {args.rounds} interleaved rounds (built in "
            f"{', '.join(f'{b:.0f}' for b in built)} s, 0 = reused)"
        )
        return report(title, *hosts, (args.small, args.n))
    finally:
        close(*hosts)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="ended instances, large store")
    parser.add_argument("--small", type=int, default=1_000, help="ended instances, small store")
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds")
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the SQLite stores here")
    parser.add_argument("--dsn", default=os.environ.get("MLC_POSTGRES_DSN", DEFAULT_DSN))
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument(
        "--pg-database", default="mlc_bench_flat", help="PostgreSQL database of the stores"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    print(
        f"every call with {args.small:,} and {args.n:,} ended instances "
        f"(plus a fifth as many waiting)"
    )
    if not args.no_sqlite:
        if args.dir is not None:
            args.dir.mkdir(parents=True, exist_ok=True)
            run_sqlite(args, args.dir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run_sqlite(args, Path(tmp))
    if not args.no_postgres:
        run_postgres(args)


if __name__ == "__main__":
    main()
