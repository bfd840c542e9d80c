"""Benchmark 3: a BPMN loop of 10,000 iterations runs at flat cost and flat state size.

`loop_review` in `diagrams/loop.bpmn` loops user task -> script task (`i = i + 1`) ->
service task (an inline delegate) -> exclusive gateway -> back to the user task. The user
task is the wait state inside the loop, so each iteration is one committed step, the way a
host drives it: `manager.tasks(instance_id=...)` to find the open task, then
`manager.complete_task()`, which loads the instance from SQLite, rebuilds the task tree, runs
the script, the delegate and the gateway, compacts the tree and saves state, waits and
history in one transaction. That is the whole per-step cost; nothing stays in memory
between steps but the manager's caches of the (one) process spec.

Targets: the last 1,000 iterations take <= 1.5x as long as the first 1,000; the instance's
stored state (its `state` and `variables` columns, read from the store) after 10,000
iterations is <= 2x its size after 10. A warm-up instance runs first so that the first
block is not charged for one-off costs (imports, spec parsing). Also printed: the same loop
with no wait state (`loop_tight`), 10,000 iterations inside one step, which SpiffWorkflow
alone stops short of (its task tree passes depth 1000).

    python benchmarks/bench_loop.py [--n 10000] [--block 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from modelop_mlc import LifecycleManager, ManualClock

HERE = Path(__file__).parent / "diagrams"
TARGET_TIME = 1.5
TARGET_STATE = 2.0
EARLY = 10


def stored_size(manager: LifecycleManager, instance_id: str) -> int:
    """Bytes of the instance's stored `state` plus `variables` columns."""
    ((state, variables),) = manager.store.raw(
        "SELECT length(state), length(variables) FROM instances WHERE id = ?", (instance_id,)
    )
    return int(state) + int(variables)


def iterate(manager: LifecycleManager, instance_id: str) -> None:
    """One loop iteration: find the open review task and complete it."""
    (task,) = manager.tasks(instance_id=instance_id)
    manager.complete_task(task.id)


def run_loop(directory: Path, n: int) -> tuple[list[float], int, int]:
    """Loop `n` times on a fresh database; per-iteration seconds and early/final state sizes."""
    manager = LifecycleManager.open(directory / "loop.db", clock=ManualClock())
    manager.register_delegate("record", lambda ctx: {"last": ctx.variables["i"]})
    manager.deploy(HERE / "loop.bpmn")
    warm = manager.start("loop_review", {"i": 0, "n": 1_000_000})
    for _ in range(200):
        iterate(manager, warm.id)
    # n + 1: after n iterations the instance still waits in the loop, as it would mid-run.
    instance = manager.start("loop_review", {"i": 0, "n": n + 1})
    durations = []
    early_size = 0
    for done in range(1, n + 1):
        started = time.perf_counter()
        iterate(manager, instance.id)
        durations.append(time.perf_counter() - started)
        if done == EARLY:
            early_size = stored_size(manager, instance.id)
    final_size = stored_size(manager, instance.id)
    reached = manager.variables(instance.id)["i"]
    manager.close()
    assert reached == n, f"the loop counted {reached}, expected {n}"
    return durations, early_size, final_size


def run_tight(directory: Path, n: int) -> tuple[float, str]:
    """Seconds to start `loop_tight`, which loops `n` times within one step; its status."""
    manager = LifecycleManager.open(directory / "tight.db", clock=ManualClock())
    manager.register_delegate("record", lambda _ctx: None)
    manager.deploy(HERE / "loop.bpmn")
    manager.start("loop_tight", {"i": 0, "n": 10})
    started = time.perf_counter()
    instance = manager.start("loop_tight", {"i": 0, "n": n})
    elapsed = time.perf_counter() - started
    manager.close()
    assert instance.variables["i"] == n, f"tight loop counted {instance.variables['i']}"
    return elapsed, instance.status


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="loop iterations")
    parser.add_argument("--block", type=int, default=1_000, help="iterations per compared block")
    parser.add_argument("--repeat", type=int, default=3, help="runs (median is kept)")
    args = parser.parse_args()
    block = min(args.block, args.n // 2)
    first, last, first_med, last_med, sizes = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            run_dir = Path(tmp) / f"run{attempt}"
            run_dir.mkdir()
            durations, early, final = run_loop(run_dir, args.n)
            first.append(sum(durations[:block]))
            last.append(sum(durations[-block:]))
            first_med.append(statistics.median(durations[:block]))
            last_med.append(statistics.median(durations[-block:]))
            sizes.append((early, final))
        tight_dir = Path(tmp) / "tight"
        tight_dir.mkdir()
        tight_seconds, tight_status = run_tight(tight_dir, args.n)
    first_s, last_s = statistics.median(first), statistics.median(last)
    time_ratio = last_s / first_s
    early, final = sizes[-1]
    state_ratio = final / early
    time_ok, state_ok = time_ratio <= TARGET_TIME, state_ratio <= TARGET_STATE
    print(f"loop of {args.n} iterations, one committed step each, {args.repeat} runs (median)")
    print(
        f"  first {block} iterations               {first_s:8.3f} s"
        f"   ({statistics.median(first_med) * 1000:.2f} ms median per iteration)"
    )
    print(
        f"  last {block} iterations                {last_s:8.3f} s"
        f"   ({statistics.median(last_med) * 1000:.2f} ms median per iteration)"
    )
    print(f"  ratio last / first                   {time_ratio:8.2f}")
    print(f"  stored state after {EARLY} iterations     {early:8d} bytes")
    print(f"  stored state after {args.n} iterations  {final:8d} bytes")
    print(f"  ratio                                {state_ratio:8.2f}")
    print(
        f"  no wait state: {args.n} iterations in one step: {tight_seconds:.2f} s ({tight_status})"
    )
    print(f"  target: time ratio <= {TARGET_TIME:.2f}   {'PASS' if time_ok else 'FAIL'}")
    print(f"  target: state ratio <= {TARGET_STATE:.2f}  {'PASS' if state_ok else 'FAIL'}")


if __name__ == "__main__":
    main()
