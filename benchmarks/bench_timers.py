"""Benchmark 4: 10,000 instances, each waiting on its own timer, all due at once, on PostgreSQL.

The worker processes start the instances themselves (in parallel, before the clock runs) on a
`ManualClock` at T0; the timers are due at T0 + 1 h. On "go" every worker moves its clock to
T0 + 2 h and runs `run_worker()`: they claim due timers with `FOR UPDATE SKIP LOCKED` and a
lease and fire them. The figure is the time from "go" until every instance has completed.
Afterwards the history is checked: exactly one `timer_fired` per instance (none fired twice,
none missed).

    python benchmarks/bench_timers.py [--n 10000] [--workers 1,2,4] [--dsn postgresql://...]

Needs PostgreSQL (`scripts/start-postgres.sh`); it creates a database `mlc_bench_<random>`
and drops it afterwards. Without a server it says so and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from pg_support import admin, with_database, with_schema

from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
NAP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="nap" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


# ---------------------------------------------------------------- worker process


def worker_main(url: str, name: str, starts: int, batch: int) -> None:
    """Start `starts` instances at T0, say ready, on "go" fire timers at T0 + 2 h until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    clock = ManualClock(T0)
    manager = LifecycleManager.open(url, clock=clock, config=ManagerConfig(worker_id=name))
    for _ in range(starts):
        manager.start("nap")
    print("ready", flush=True)
    sys.stdin.readline()
    clock.set(T0 + timedelta(hours=2))
    cpu = time.process_time()
    ran = manager.run_worker(stop, poll_interval=0.02, batch=batch)
    cpu = time.process_time() - cpu
    manager.close()
    print(json.dumps({"name": name, "ran": ran, "cpu": cpu}), flush=True)


# ---------------------------------------------------------------- driver


def measure(database: str, workers: int, n: int, batch: int) -> dict[str, Any]:
    """Start n timer instances, then time `workers` processes firing all of them."""
    schema = f"bench_t{workers}_{uuid.uuid4().hex[:8]}"
    with admin(database) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = with_schema(database, schema)
    manager = LifecycleManager.open(url, clock=ManualClock(T0))
    manager.deploy(("nap.bpmn", NAP))
    # Starting is not measured; spread it over at least two processes to save time.
    starters = max(workers, 2)
    shares = [n // starters + (1 if k < n % starters else 0) for k in range(starters)]
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, f"w{k}", str(shares[k]), str(batch)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(starters)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    assert manager.store.count_instances("running") == n
    # Extra starter processes (when measuring one worker) stop before the clock runs.
    for process in processes[workers:]:
        process.send_signal(signal.SIGTERM)
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
        process.communicate(timeout=120)
    running = processes[:workers]
    pause = threading.Event()
    started = time.perf_counter()
    for process in running:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    while manager.store.count_instances("completed") < n:
        pause.wait(0.02)
    elapsed = time.perf_counter() - started
    reports = []
    for process in running:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=120)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    fired = _timer_fired_per_instance(manager)
    ids = [r[0] for r in manager.store.raw("SELECT id FROM instances")]
    manager.close()
    with admin(database) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    counts = Counter(fired.get(i, 0) for i in ids)
    return {
        "workers": workers,
        "seconds": elapsed,
        "rate": n / elapsed,
        "reports": reports,
        "fired_once": counts.get(1, 0),
        "missed": counts.get(0, 0),
        "twice_or_more": sum(c for k, c in counts.items() if k > 1),
    }


def _timer_fired_per_instance(manager: LifecycleManager) -> dict[str, int]:
    rows = manager.store.raw(
        "SELECT instance_id, events FROM history WHERE events LIKE '%timer_fired%'"
    )
    fired: Counter[str] = Counter()
    for instance_id, events in rows:
        fired[instance_id] += sum(1 for event in json.loads(events) if event[0] == "timer_fired")
    return dict(fired)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="instances (timers)")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--batch", type=int, default=50, help="timers claimed at a time")
    parser.add_argument("--dsn", default=os.environ.get("MLC_POSTGRES_DSN", DEFAULT_DSN))
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, name, starts, batch = args.worker
        worker_main(url, name, int(starts), int(batch))
        return
    try:
        admin(args.dsn).close()
    except Exception as err:
        print(f"bench_timers: skipped, no PostgreSQL at {args.dsn.split('@')[-1]}: {err}")
        return
    name = f"mlc_bench_{uuid.uuid4().hex[:10]}"
    with admin(args.dsn) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    database = with_database(args.dsn, name)
    try:
        results = [
            measure(database, int(count), args.n, args.batch) for count in args.workers.split(",")
        ]
    finally:
        with admin(args.dsn) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(
        f"{args.n} instances, one timer each, all due at once; PostgreSQL, "
        f"{os.cpu_count()} CPUs, batch {args.batch}"
    )
    print("  workers   seconds   timers/s   fired once   missed   fired twice   per worker")
    for r in results:
        shares = "/".join(str(w["ran"]) for w in r["reports"])
        print(
            f"  {r['workers']:>7}   {r['seconds']:7.2f}   {r['rate']:8.1f}   "
            f"{r['fired_once']:>10}   {r['missed']:>6}   {r['twice_or_more']:>11}   {shares}"
        )
    bad = [r for r in results if r["missed"] or r["twice_or_more"]]
    print("  every timer fired exactly once" if not bad else "  TIMERS MISSED OR FIRED TWICE")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
