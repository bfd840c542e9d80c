"""Benchmark 4: the host's memory does not grow with the number of waiting instances.

Setup (untimed, through the public API): two SQLite databases with `diagrams/memory.bpmn`
deployed, one with 1,000 and one with 100,000 waiting instances, half waiting on signals or
a 30-day timer (`mem_wait`), half on a user task for one of 500 teams with a 7-day timer on
its boundary (`mem_review`). Building 100,000 takes a minute or two; `--dir` keeps the
databases for the next run and `--n` scales down.

Measurement: for each database a fresh Python process opens a `LifecycleManager` and does
what a host does, `--rounds` times: start 30 instances, `signal("go")` (reaches 10),
`tasks(candidate_group="ops")` and complete those 10 tasks, advance the clock and
`run_due()` (fires 10 timers), `instances(limit=50)`, `instance()`, `history()` and
`next_due()`. It reports its resident memory (`VmRSS` and the peak `VmHWM` from
/proc/self/status) and the time of each operation. Target: peak RSS with 100,000 waiting
<= 1.10x peak RSS with 1,000.

`tasks(limit=None)` lists every open task, so its memory is proportional to its result; it is
measured apart (`--all-tasks` run) and not part of the target. (`tasks()` returns a page of
100; `bench_flat.py` measures it.)

    python benchmarks/bench_memory.py [--n 100000] [--small 1000] [--rounds 20] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from modelop_mlc import LifecycleManager, ManualClock

HERE = Path(__file__).parent / "diagrams"
TARGET_RATIO = 1.10
TEAMS = 500
PER_ROUND = 10


def memory_kib() -> tuple[int, int]:
    """(current, peak) resident set size of this process, in KiB."""
    fields: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmRSS", "VmHWM"}:
                fields[name] = int(value.split()[0])
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak
    return fields["VmRSS"], fields["VmHWM"]


def open_manager(path: Path, clock: ManualClock) -> LifecycleManager:
    """Open a manager on `path` with the memory diagram deployed (unchanged: no new version)."""
    manager = LifecycleManager.open(path, clock=clock)
    manager.register_delegate("work", lambda _ctx: None)
    manager.deploy(HERE / "memory.bpmn")
    return manager


def waiting_count(manager: LifecycleManager) -> int:
    """How many bulk instances wait in the database."""
    ((count,),) = manager.store.raw(
        "SELECT COUNT(*) FROM instances WHERE status = 'running' "
        "AND key IN ('mem_wait', 'mem_review')"
    )
    return int(count)


def build(path: Path, n: int) -> float:
    """Fill `path` with `n` waiting instances (reusing it if it already has them); seconds."""
    if path.exists():
        manager = open_manager(path, ManualClock())
        have = waiting_count(manager)
        manager.close()
        if have == n:
            return 0.0
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    manager = open_manager(path, ManualClock())
    started = time.perf_counter()
    for index in range(n):
        if index % 2:
            manager.start("mem_wait")
        else:
            manager.start("mem_review", {"team": f"team-{index % TEAMS}"})
    elapsed = time.perf_counter() - started
    manager.close()
    return elapsed


def measure(path: Path, rounds: int, *, all_tasks: bool) -> dict[str, Any]:
    """Open a manager on `path`, do a host's usual operations, report memory and timings."""
    rss_start, _ = memory_kib()
    clock = ManualClock()
    manager = open_manager(path, clock)
    times: dict[str, float] = defaultdict(float)

    def timed(name: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        times[name] += time.perf_counter() - started
        return result

    last_id = ""
    for _ in range(rounds):
        for _ in range(PER_ROUND):
            timed("start", lambda: manager.start("mem_go"))
            timed("start", lambda: manager.start("mem_review", {"team": "ops"}))
            last_id = timed("start", lambda: manager.start("mem_hour")).id
        result = timed("signal", lambda: manager.signal("go"))
        assert len(result.delivered) == PER_ROUND, f"signal reached {len(result.delivered)}"
        tasks = timed("tasks(group)", lambda: manager.tasks(candidate_group="ops"))
        assert len(tasks) == PER_ROUND, f"found {len(tasks)} ops tasks"
        for task in tasks:
            timed("complete_task", partial(manager.complete_task, task.id))
        clock.advance(timedelta(hours=2))
        fired = timed("run_due", manager.run_due)
        assert fired >= PER_ROUND, f"run_due ran {fired}"
        timed("instances(limit=50)", lambda: manager.instances(limit=50))
        timed("instance", partial(manager.instance, last_id))
        timed("history", partial(manager.history, last_id))
        timed("next_due", manager.next_due)
    rss_ops, peak_ops = memory_kib()
    listed = 0
    if all_tasks:
        listed = len(timed("tasks(limit=None)", lambda: manager.tasks(limit=None)))
    rss_end, peak_end = memory_kib()
    manager.close()
    return {
        "rss_start": rss_start,
        "rss_ops": rss_ops,
        "peak_ops": peak_ops,
        "peak_end": peak_end,
        "rss_end": rss_end,
        "listed": listed,
        "ms": {name: seconds * 1000 / rounds for name, seconds in times.items()},
    }


def measure_in_subprocess(path: Path, rounds: int, *, all_tasks: bool = False) -> dict[str, Any]:
    """Run `measure` on a copy of `path` in a fresh interpreter, so its peak RSS is its own.

    The copy keeps the database as built: the rounds add completed instances.
    """
    scratch = path.with_name("scratch.db")
    shutil.copyfile(path, scratch)
    command = [sys.executable, __file__, "--measure", str(scratch), "--rounds", str(rounds)]
    if all_tasks:
        command.append("--all-tasks")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for leftover in path.parent.glob("scratch.db*"):
        leftover.unlink()
    if done.returncode != 0:
        raise SystemExit(f"measuring {path} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(args: argparse.Namespace, directory: Path) -> None:
    """Build both databases, measure both, print the figures."""
    small_db, large_db = directory / f"mem_{args.small}.db", directory / f"mem_{args.n}.db"
    small_build = build(small_db, args.small)
    large_build = build(large_db, args.n)
    small = measure_in_subprocess(small_db, args.rounds)
    large = measure_in_subprocess(large_db, args.rounds)
    listing = measure_in_subprocess(large_db, 1, all_tasks=True)
    ratio = large["peak_ops"] / small["peak_ops"]
    mib = 1024

    def built(seconds: float) -> str:
        return f"built in {seconds:.0f} s" if seconds else "reused"

    print(f"host memory with waiting instances, {args.rounds} rounds of typical operations")
    print(
        f"  setup: {args.small} waiting ({built(small_build)}), {args.n} waiting "
        f"({built(large_build)}, {large_db.stat().st_size / mib / mib:.0f} MiB on disk)"
    )
    print(f"  {'':36}{args.small:>12}{args.n:>12}   waiting instances")
    for key, label in (
        ("rss_start", "RSS after imports (MiB)"),
        ("rss_ops", "RSS after the rounds (MiB)"),
        ("peak_ops", "peak RSS (MiB)"),
    ):
        print(f"  {label:<36}{small[key] / mib:12.1f}{large[key] / mib:12.1f}")
    for name in small["ms"]:
        print(f"  {name + ' (ms per round)':<36}{small['ms'][name]:12.2f}{large['ms'][name]:12.2f}")
    print(f"  {'ratio of peak RSS':<36}{'':12}{ratio:12.2f}")
    print(
        f"  apart: tasks(limit=None) at {args.n} listed {listing['listed']} tasks in "
        f"{listing['ms']['tasks(limit=None)']:.0f} ms, "
        f"peak RSS {listing['peak_end'] / mib:.1f} MiB "
        f"(+{(listing['peak_end'] - listing['peak_ops']) / mib:.1f} MiB)"
    )
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"  target: peak RSS ratio <= {TARGET_RATIO:.2f}   {verdict}")


def main() -> None:
    """Run the benchmark (or, with --measure, one measurement) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="waiting instances, large DB")
    parser.add_argument("--small", type=int, default=1_000, help="waiting instances, small DB")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of operations")
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the databases here")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--all-tasks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.rounds, all_tasks=args.all_tasks)))
        return
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        report(args, args.dir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        report(args, Path(tmp))


if __name__ == "__main__":
    main()
