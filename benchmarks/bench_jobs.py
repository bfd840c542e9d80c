"""Benchmark: async delegate jobs per second through `run_due()` on SQLite, with and without
group commit, at both durability settings.

The diagram is the automatic variant of the 15-node MLC process (bench_workers.py): four
asynchronous delegate jobs per instance, so everything after the start is job steps. The
instances are started first (not timed); then one `run_due()` call runs every job, each a
step of its own instance. `group_commit=1` saves each step in its own transaction (as before
group commit); `group_commit=50` saves the steps of a claimed batch together. The four
settings are measured interleaved, repeat after repeat, and the medians compared.
Target: group commit >= 1.5 x one transaction per step at `full`.

    python benchmarks/bench_jobs.py [--n 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_workers import DELEGATES, diagram

from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

TARGET = 1.5
SETTINGS = [(d, g) for d in ("normal", "full") for g in (1, 50)]


def jobs_per_second(n: int, directory: Path, durability: Any, group: int) -> float:
    """Start n instances, then time one run_due() running their 4 n jobs."""
    manager = LifecycleManager.open(
        directory / "bench.db",
        clock=ManualClock(),
        config=ManagerConfig(group_commit=group),
        durability=durability,
    )
    for delegate in DELEGATES:
        manager.register_delegate(delegate, lambda _ctx: None, asynchronous=True)
    manager.deploy(("mlc15w.bpmn", diagram()))
    for _ in range(n):
        manager.start("mlc15w")
    started = time.perf_counter()
    ran = manager.run_due()
    elapsed = time.perf_counter() - started
    completed = manager.store.count_instances("completed")
    manager.close()
    assert completed == n, f"only {completed} of {n} instances completed"
    assert ran == 4 * n, f"{ran} jobs ran, expected {4 * n}"
    return ran / elapsed


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="instances per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements (median is kept)")
    args = parser.parse_args()
    rates: dict[tuple[str, int], list[float]] = {s: [] for s in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            for durability, group in SETTINGS:
                run_dir = Path(tmp) / f"{attempt}-{durability}-{group}"
                run_dir.mkdir()
                rates[durability, group].append(
                    jobs_per_second(args.n, run_dir, durability, group)
                )
    print(
        f"async delegate jobs through run_due(), SQLite, {args.n} instances x 4 jobs, "
        f"{args.repeat} runs (median, spread)"
    )
    for durability in ("normal", "full"):
        single = statistics.median(rates[durability, 1])
        grouped = statistics.median(rates[durability, 50])
        for group, value in ((1, single), (50, grouped)):
            runs = rates[durability, group]
            print(
                f"  {durability:<6}  group_commit={group:<3} {value:8.1f} jobs/s"
                f"   ({min(runs):.0f}-{max(runs):.0f})"
            )
        print(f"  {durability:<6}  group commit / one per step: {grouped / single:.2f}x")
    ratio = statistics.median(rates["full", 50]) / statistics.median(rates["full", 1])
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"  target: group commit at full >= {TARGET:.2f}x one per step: {ratio:.2f} {verdict}")


if __name__ == "__main__":
    main()
