"""Benchmark: the work an MLC manager does for a fleet of deployed models.

1. **Weekly refresh.** N models (10,000 by default) each have an instance waiting for the
   signal `Signals_weekly_refresh`; one `signal()` wakes them all, and each runs to its
   retraining job (an asynchronous `CreateModelBatchJob`). Measured in a fresh process on a
   copy of one prepared SQLite file: the time until every instance waits at its job, and the
   process's memory (resident, and its peak).
2. **Back tests.** M models (2,000 by default) each run a back test: `CreateModelBatchJob`
   starts a job, `WaitForJob` parks (`Pending(wake_on="job:<id>")`) until the job status
   changes; after each `run_due()` round the worker's "center" finishes the jobs waited for
   and signals that (`manager.wake`), `WaitForJob` runs again, a gateway checks the status
   and `CreateModelTestResult` records it: four jobs per instance, all run by worker
   processes. The instances are started first (not timed); the
   figure is from "go" until every instance completed. On SQLite and PostgreSQL, with 1 and 2
   workers.

Each measurement runs with today's settings (`new`: the workflow cache and group commit)
and with both off (`off`: `workflow_cache_size=0, group_commit=1`), interleaved, and prints
the ratio. The center's job statuses live in a small side SQLite file shared by the workers.

    python benchmarks/bench_fleet.py [--models 10000] [--backtests 2000] [--dsn postgresql://...]

PostgreSQL parts are skipped when no server answers at the DSN.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from pg_support import admin, with_database, with_schema
from worker_support import race_workers

from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.registry import DelegateContext, Pending

SETTINGS = {"off": {"workflow_cache_size": 0, "group_commit": 1}, "new": {}}
DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="fleet" targetNamespace="bench">\n'
)
_JOB = "com.modelop.mlc.delegate.modelop."


def _flows(*pairs: tuple[str, str, str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="{i}" sourceRef="{a}" targetRef="{b}"/>' for i, a, b in pairs
    )


REFRESH = (
    _HEAD
    + '<bpmn:signal id="sig_refresh" name="Signals_weekly_refresh"/>'
    + '<bpmn:process id="fleet_refresh" isExecutable="true">'
    + '<bpmn:startEvent id="deployed"/>'
    + '<bpmn:intermediateCatchEvent id="weekly" name="Weekly refresh">'
    + '<bpmn:signalEventDefinition signalRef="sig_refresh"/></bpmn:intermediateCatchEvent>'
    + '<bpmn:scriptTask id="prepare" scriptFormat="python"><bpmn:script>'
    + "REFRESHES = REFRESHES + 1</bpmn:script></bpmn:scriptTask>"
    + f'<bpmn:serviceTask id="retrain" camunda:class="{_JOB}CreateModelBatchJob"/>'
    + '<bpmn:endEvent id="done"/>'
    + _flows(("f1", "deployed", "weekly"), ("f2", "weekly", "prepare"))
    + _flows(("f3", "prepare", "retrain"), ("f4", "retrain", "done"))
    + "</bpmn:process></bpmn:definitions>"
)
BACKTEST = (
    _HEAD
    + '<bpmn:process id="fleet_backtest" isExecutable="true">'
    + '<bpmn:startEvent id="requested"/>'
    + f'<bpmn:serviceTask id="run_metrics" camunda:class="{_JOB}CreateModelBatchJob"/>'
    + f'<bpmn:serviceTask id="wait_metrics" camunda:class="{_JOB}WaitForJob"/>'
    + '<bpmn:exclusiveGateway id="gw_job" default="fj"/>'
    + f'<bpmn:serviceTask id="save_results" camunda:class="{_JOB}CreateModelTestResult"/>'
    + '<bpmn:endEvent id="passed"/><bpmn:endEvent id="job_failed"/>'
    + _flows(("f1", "requested", "run_metrics"), ("f2", "run_metrics", "wait_metrics"))
    + _flows(("f3", "wait_metrics", "gw_job"), ("fj", "gw_job", "job_failed"))
    + '<bpmn:sequenceFlow id="ok" sourceRef="gw_job" targetRef="save_results">'
    + "<bpmn:conditionExpression>${JOB.jobStatus == 'COMPLETE'}</bpmn:conditionExpression>"
    + "</bpmn:sequenceFlow>"
    + _flows(("f5", "save_results", "passed"))
    + "</bpmn:process></bpmn:definitions>"
)


def _memory_mib() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _config(setting: str, **more: Any) -> ManagerConfig:
    return ManagerConfig(**SETTINGS[setting], **more)


# ---------------------------------------------------------------- 1. weekly refresh


def refresh_prepare(path: Path, models: int) -> float:
    """Deploy the refresh process and start one waiting instance per model."""
    started = time.perf_counter()
    with LifecycleManager.open(path) as manager:
        manager.register_delegate("CreateModelBatchJob", lambda _ctx: None, asynchronous=True)
        manager.deploy(("refresh.bpmn", REFRESH))
        for number in range(models):
            manager.start("fleet_refresh", {"REFRESHES": 0}, business_key=f"model-{number}")
    return time.perf_counter() - started


def refresh_measure(path: str, setting: str) -> None:
    """In a fresh process: signal the refresh, report seconds, jobs and memory as JSON."""
    manager = LifecycleManager.open(path, config=_config(setting))
    manager.register_delegate("CreateModelBatchJob", lambda _ctx: None, asynchronous=True)
    rss_before, _ = _memory_mib()
    started = time.perf_counter()
    result = manager.signal("Signals_weekly_refresh")
    elapsed = time.perf_counter() - started
    rss_after, peak = _memory_mib()
    jobs = len(manager.store.jobs())
    manager.close()
    report = {"seconds": elapsed, "delivered": len(result.delivered), "jobs": jobs}
    print(json.dumps(report | {"rss_before": rss_before, "rss": rss_after, "peak": peak}))


def refresh_run(prepared: Path, work: Path, setting: str) -> dict[str, Any]:
    """Measure one refresh on a copy of the prepared database, in a child process."""
    copy = work / f"refresh-{setting}-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(prepared, copy)
    out = subprocess.run(
        [sys.executable, __file__, "--refresh-child", str(copy), setting],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    copy.unlink()
    return dict(json.loads(out.strip().splitlines()[-1]))


# ---------------------------------------------------------------- 2. back tests


def _center(path: Path) -> sqlite3.Connection:
    # Delegates run on the manager's helper thread (the cut-off at delegate_timeout_seconds).
    conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS finished (job_id TEXT PRIMARY KEY)")
    return conn


def backtest_worker(url: str, center_path: str, name: str, setting: str) -> None:
    """A worker process: run jobs, finish the center's jobs it started, until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    center = _center(Path(center_path))
    waiting: list[str] = []

    def create_job(ctx: DelegateContext) -> dict[str, Any]:
        return {"JOB": {"id": f"job-{ctx.business_key}", "jobStatus": "RUNNING"}}

    def wait_for_job(ctx: DelegateContext) -> dict[str, Any]:
        job_id = ctx.variables["JOB"]["id"]
        if center.execute("SELECT 1 FROM finished WHERE job_id = ?", (job_id,)).fetchone():
            return {"JOB": {"id": job_id, "jobStatus": "COMPLETE"}}
        waiting.append(job_id)
        raise Pending(timedelta(hours=1), "job running", wake_on=f"job:{job_id}")

    manager = LifecycleManager.open(url, config=_config(setting, worker_id=name))
    manager.register_delegate("CreateModelBatchJob", create_job, asynchronous=True)
    manager.register_delegate("WaitForJob", wait_for_job, asynchronous=True)
    manager.register_delegate("CreateModelTestResult", lambda _ctx: None, asynchronous=True)
    print("ready", flush=True)
    sys.stdin.readline()
    ran = 0
    while not stop.is_set():
        ran += manager.run_due()
        # run_due() saved every park; the center finishes those jobs and signals the change.
        finished, waiting[:] = list(waiting), []
        center.executemany("INSERT OR IGNORE INTO finished VALUES (?)", [(j,) for j in finished])
        for job_id in finished:
            manager.wake(f"job:{job_id}")
        if not finished:
            stop.wait(0.01)
    manager.close()
    print(json.dumps({"name": name, "ran": ran}), flush=True)


def backtest_run(url: str, work: Path, models: int, workers: int, setting: str) -> float:
    """Start `models` back tests, then time `workers` processes completing them."""
    manager = LifecycleManager.open(url)
    for delegate in ("CreateModelBatchJob", "WaitForJob", "CreateModelTestResult"):
        manager.register_delegate(delegate, lambda _ctx: None, asynchronous=True)
    manager.deploy(("backtest.bpmn", BACKTEST))
    for number in range(models):
        manager.start("fleet_backtest", business_key=f"model-{number}")
    center = work / f"center-{uuid.uuid4().hex[:6]}.db"
    commands = [
        [sys.executable, __file__, "--worker", url, str(center), f"w{k}", setting]
        for k in range(workers)
    ]
    elapsed, _ = race_workers(
        commands, lambda: manager.store.count_instances("completed") >= models, poll=0.05
    )
    manager.close()
    return elapsed


def _postgres(dsn: str) -> str | None:
    """A fresh database on the server, or None when none answers."""
    try:
        admin(dsn).close()
    except Exception as err:  # no server: the PostgreSQL part is skipped
        print(f"  PostgreSQL skipped, no server at {dsn.rsplit('@', 1)[-1]}: {err}")
        return None
    name = f"mlc_fleet_{uuid.uuid4().hex[:10]}"
    with admin(dsn) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name


def _backtest_url(backend: str, database: str | None, work: Path) -> str:
    if backend == "sqlite":
        return str(work / f"backtest-{uuid.uuid4().hex[:6]}.db")
    assert database is not None
    schema = f"fleet_{uuid.uuid4().hex[:8]}"
    with admin(database) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return with_schema(database, schema)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=10_000, help="models refreshed")
    parser.add_argument("--backtests", type=int, default=2_000, help="back tests run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--dsn", default=os.environ.get("MLC_POSTGRES_DSN", DEFAULT_DSN))
    parser.add_argument("--skip-refresh", action="store_true", help="only the back tests")
    parser.add_argument("--skip-backtests", action="store_true", help="only the refresh")
    parser.add_argument("--refresh-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.refresh_child:
        refresh_measure(*args.refresh_child)
        return
    if args.worker:
        backtest_worker(*args.worker)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_refresh:
            refresh_report(Path(tmp), args.models, args.repeat)
        if not args.skip_backtests:
            backtest_report(Path(tmp), args.backtests, args.repeat, args.dsn)


def refresh_report(work: Path, models: int, repeat: int) -> None:
    """Measure and print part 1."""
    prepared = work / "refresh.db"
    setup = refresh_prepare(prepared, models)
    print(f"1. weekly refresh signalled to {models} models, SQLite, {repeat} runs (median)")
    print(f"  setup: {models} waiting instances started in {setup:.1f} s (not measured)")
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in SETTINGS}
    for _ in range(repeat):  # interleaved, so load from elsewhere hits both alike
        for setting in SETTINGS:
            runs[setting].append(refresh_run(prepared, work, setting))
    for setting, reports in runs.items():
        r = sorted(reports, key=lambda x: x["seconds"])[len(reports) // 2]
        assert r["delivered"] == r["jobs"] == models, r
        print(
            f"  {setting:<4} until every instance waits at its job {r['seconds']:7.1f} s"
            f"  ({models / r['seconds']:5.0f} instances/s)   RSS {r['rss_before']:.0f}"
            f" -> {r['rss']:.0f} MiB, peak {r['peak']:.0f} MiB"
        )
    off, new = (statistics.median(x["seconds"] for x in runs[s]) for s in ("off", "new"))
    print(f"  new / off (time): {new / off:.2f}")


def backtest_report(work: Path, backtests: int, repeat: int, dsn: str) -> None:
    """Measure and print part 2."""
    dsn_database = _postgres(dsn)
    database = with_database(dsn, dsn_database) if dsn_database else None
    try:
        print(f"2. {backtests} back tests completing through job status changes, {repeat} runs")
        backends = ["sqlite"] + (["postgres"] if database else [])
        for backend in backends:
            single = 0.0
            for workers in (1, 2):
                seconds: dict[str, list[float]] = {s: [] for s in SETTINGS}
                for _ in range(repeat):
                    for setting in SETTINGS:
                        url = _backtest_url(backend, database, work)
                        seconds[setting].append(
                            backtest_run(url, work, backtests, workers, setting)
                        )
                med = {s: statistics.median(v) for s, v in seconds.items()}
                single = single or med["new"]
                print(
                    f"  {backend:<8} {workers} worker{'s' if workers > 1 else ' '}  "
                    + "   ".join(
                        f"{s} {med[s]:6.1f} s ({backtests / med[s]:4.0f} instances/s)"
                        for s in SETTINGS
                    )
                    + f"   new / off (speed): {med['off'] / med['new']:.2f}x"
                )
            print(f"  {backend:<8} 2 workers / 1 worker (new): {single / med['new']:.2f}x")
    finally:
        if dsn_database:
            with admin(dsn) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dsn_database} WITH (FORCE)")


if __name__ == "__main__":
    main()
