"""External tasks: 4 workers x 1,000 tasks through fetchAndLock/complete over HTTP.

One process definition with one external task (topic `score`); `--workers` x `--tasks`
instances are started first (not timed). Then the workers fetch and lock (`maxTasks`
`--batch`) and complete each task, until none is left:

* over HTTP: the REST app served by uvicorn on 127.0.0.1, each worker a thread with its own
  `requests.Session` and HTTP Basic credentials, as a stock Camunda worker would be;
* in-process (the baseline): the same workers calling `manager.fetch_and_lock()` and
  `manager.complete_external_task()` directly.

Every delivered task id is recorded per worker: the script fails if one task was delivered
to two workers, or if any was never completed. Prints tasks per second and the ratio.

    .venv/bin/python benchmarks/bench_external_tasks.py                  # SQLite
    .venv/bin/python benchmarks/bench_external_tasks.py --postgres       # MLC_POSTGRES_DSN
    .venv/bin/python benchmarks/bench_external_tasks.py --tasks 200      # quicker
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pg_support import admin, with_schema

from modelop_mlc import LifecycleManager
from modelop_mlc.models import FetchTopic
from modelop_mlc.rest import User, Users, create_app
from rest.live import serve_in_thread

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="scoring" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score"/>
    <bpmn:serviceTask id="score" camunda:type="external" camunda:topic="score"/>
    <bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
LOCK_MS = 60_000
DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:5432/mlc"


def _prepare(url: str, total: int) -> LifecycleManager:
    manager = LifecycleManager.open(url)
    manager.deploy(("scoring.bpmn", DIAGRAM))
    for number in range(total):
        manager.start("scoring", {"n": number})
    return manager


def _run(workers: int, work: Callable[[str, list[str]], None]) -> tuple[float, list[list[str]]]:
    delivered: list[list[str]] = [[] for _ in range(workers)]
    barrier = threading.Barrier(workers + 1)

    def worker(index: int) -> None:
        barrier.wait()
        work(f"worker-{index}", delivered[index])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, delivered


def _http_work(base: str, batch: int) -> Callable[[str, list[str]], None]:
    def work(worker_id: str, seen: list[str]) -> None:
        session = requests.Session()
        session.auth = ("worker", "worker-password")
        fetch = {
            "workerId": worker_id,
            "maxTasks": batch,
            "topics": [{"topicName": "score", "lockDuration": LOCK_MS}],
        }
        while True:
            response = session.post(f"{base}/external-task/fetchAndLock", json=fetch, timeout=60)
            response.raise_for_status()
            tasks = response.json()
            if not tasks:
                return
            for task in tasks:
                seen.append(task["id"])
                done = session.post(
                    f"{base}/external-task/{task['id']}/complete",
                    json={"workerId": worker_id, "variables": {"score": {"value": 0.5}}},
                    timeout=60,
                )
                done.raise_for_status()

    return work


def _direct_work(manager: LifecycleManager, batch: int) -> Callable[[str, list[str]], None]:
    topic = FetchTopic("score", lock_duration=timedelta(milliseconds=LOCK_MS))

    def work(worker_id: str, seen: list[str]) -> None:
        while True:
            tasks = manager.fetch_and_lock(worker_id, [topic], max_tasks=batch)
            if not tasks:
                return
            for task in tasks:
                seen.append(task.id)
                manager.complete_external_task(task.id, worker_id, {"score": 0.5})

    return work


def _check(manager: LifecycleManager, delivered: list[list[str]], total: int) -> None:
    everything = [task for ids in delivered for task in ids]
    if len(everything) != len(set(everything)):
        raise SystemExit("FAILED: a task was delivered to two workers")
    if len(everything) != total or manager.external_tasks():
        raise SystemExit(f"FAILED: {len(everything)} of {total} tasks were completed")


def _database(args: argparse.Namespace, directory: Path, label: str) -> str:
    if not args.postgres:
        return str(directory / f"{label}.db")
    schema = f"bench_ext_{label}_{uuid.uuid4().hex[:8]}"
    with admin(args.dsn) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return with_schema(args.dsn, schema)


def main() -> None:
    """Run both measurements and print tasks per second and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4, help="concurrent workers")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per worker")
    parser.add_argument("--batch", type=int, default=10, help="maxTasks per fetchAndLock")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--dsn", default=os.environ.get("MLC_POSTGRES_DSN", DEFAULT_DSN))
    args = parser.parse_args()
    total = args.workers * args.tasks
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"# {platform.python_implementation()} {platform.python_version()}, {store}")
    print(f"# {args.workers} workers x {args.tasks} tasks, maxTasks {args.batch}")
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        manager = _prepare(_database(args, Path(directory), "direct"), total)
        seconds, delivered = _run(args.workers, _direct_work(manager, args.batch))
        _check(manager, delivered, total)
        manager.close()
        results["in-process"] = seconds
        manager = _prepare(_database(args, Path(directory), "http"), total)
        users = Users({"worker": User("worker-password", permissions=frozenset({"complete"}))})
        app = create_app(manager, auth=None, users=users)
        with serve_in_thread(app) as base:
            seconds, delivered = _run(args.workers, _http_work(base, args.batch))
        _check(manager, delivered, total)
        manager.close()
        results["HTTP"] = seconds
    for name, seconds in results.items():
        print(f"{name:>11}: {total} tasks in {seconds:6.2f} s = {total / seconds:7.1f} tasks/s")
    print(f"      ratio: HTTP runs at {results['in-process'] / results['HTTP']:.2f}x in-process")
    print("no task was delivered to two workers; every task was completed")


if __name__ == "__main__":
    main()
