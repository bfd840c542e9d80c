"""Benchmark: async delegate jobs per second through `run_due()` on SQLite, with and without
group commit, at both durability settings.

The diagram is the automatic variant of the 15-node MLC process (bench_workers.py): four
asynchronous delegate jobs per instance, so everything after the start is job steps. The
instances are started first (not timed); then one `run_due()` call runs every job, each a
step of its own instance. `group_commit=1` saves each step in its own transaction (as before
group commit); `group_commit=50` saves the steps of a claimed batch together. The four
settings are measured interleaved, repeat after repeat, and the medians compared.
Target: group commit >= 1.5 x one transaction per step at `full`.

With `--baseline-src DIR` (the `src` folder of an earlier checkout), that code runs the
same jobs in the same interleaved runs (at `full` with its one `PRAGMA synchronous` changed
to FULL, as it has no setting), and the speed-ups over it are printed. Every measurement
runs in a child process of its own.

    python benchmarks/bench_jobs.py [--n 300] [--repeat 5] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_workers import DELEGATES, diagram

from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

TARGET = 1.5
SETTINGS = [(d, g) for d in ("normal", "full") for g in (1, 50)]


def jobs_per_second(n: int, directory: Path, durability: Any, group: int) -> float:
    """Start n instances, then time one run_due() running their 4 n jobs (group 0: baseline)."""
    if group:
        manager = LifecycleManager.open(
            directory / "bench.db",
            clock=ManualClock(),
            config=ManagerConfig(group_commit=group),
            durability=durability,
        )
    else:  # code from before the durability and group commit settings
        manager = LifecycleManager.open(directory / "bench.db", clock=ManualClock())
        if durability == "full":
            _full_in_baseline(manager)
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


def _full_in_baseline(manager: LifecycleManager) -> None:
    """Make the baseline code's connections (all opened in this thread) synchronous=FULL."""
    manager.store.reader().conn.execute("PRAGMA synchronous=FULL")


def in_child(n: int, directory: Path, durability: str, group: int, src: str | None) -> float:
    """`jobs_per_second` in a fresh process, on the code in `src` if given."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), str(directory), durability, str(group)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return float(out.split()[-1])


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="instances per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements (median is kept)")
    parser.add_argument("--baseline-src", help="an earlier checkout's src folder to compare")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, directory, durability, group = args.child
        print(jobs_per_second(int(n), Path(directory), durability, int(group)))
        return
    settings = SETTINGS + ([(d, 0) for d in ("normal", "full")] if args.baseline_src else [])
    rates: dict[tuple[str, int], list[float]] = {s: [] for s in settings}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            for durability, group in settings:
                run_dir = Path(tmp) / f"{attempt}-{durability}-{group}"
                run_dir.mkdir()
                src = args.baseline_src if group == 0 else None
                rates[durability, group].append(in_child(args.n, run_dir, durability, group, src))
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
        if args.baseline_src:
            before = statistics.median(rates[durability, 0])
            print(
                f"  {durability:<6}  baseline code          {before:8.1f} jobs/s; "
                f"group commit / baseline: {grouped / before:.2f}x"
            )
    ratio = statistics.median(rates["full", 50]) / statistics.median(rates["full", 1])
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"  target: group commit at full >= {TARGET:.2f}x one per step: {ratio:.2f} {verdict}")


if __name__ == "__main__":
    main()
