"""Benchmark: what the outbox costs a signal fan-out.

One SQLite database holds `diagrams/fanout.bpmn`. Each measurement starts `--targets`
`fanout_target` instances (not timed), each waiting for "go", then times their resumption in
one of two ways, alternately so that noise from the shared machine hits both alike:

- **outbox**: `manager.signal("go")`: the signal and one delivery per receiver are written in
  one transaction, then each receiver takes one step that also marks its delivery done.
- **direct** (the baseline, how signals were delivered before the outbox): look the receivers
  up, then take the same step for each, with no outbox rows.

Both make the same steps (each receiver runs its service task and completes); the difference
is the outbox's writes. The median of `--repeat` measurements is kept. Target: the outbox
costs less than 15 % of fan-out throughput, i.e. direct / outbox throughput >= 0.85.

A third database, opened with `group_commit=1`, times the same `signal("go")` with one commit
per receiver (the outbox before its deliveries were group-committed), in the same alternation:
the figure printed is grouped / one-by-one throughput.

    python benchmarks/bench_outbox.py [--targets 100] [--repeat 9] [--durability full]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.manager._rows import Note
from modelop_mlc.store import Durability

HERE = Path(__file__).parent / "diagrams"
TARGET_SHARE = 0.85


def start_targets(manager: LifecycleManager, count: int) -> set[str]:
    """Start `count` instances waiting for "go" (not timed)."""
    return {manager.start("fanout_target").id for _ in range(count)}


def through_outbox(manager: LifecycleManager, targets: set[str]) -> float:
    """Time `signal("go")` reaching `targets`."""
    started = time.perf_counter()
    result = manager.signal("go")
    elapsed = time.perf_counter() - started
    assert set(result.delivered) == targets, f"reached {len(result.delivered)}"
    return elapsed


def direct(manager: LifecycleManager, targets: set[str]) -> float:
    """Time the same steps taken one by one, without outbox rows (the old path)."""
    runtime = manager._runtime  # the baseline needs the bare step path
    note = Note("signal_received", detail={"signal": "go", "variables": []})
    started = time.perf_counter()
    receivers = manager.store.subscribers("signal", "go")
    for instance_id in receivers:
        runtime.step(instance_id, lambda inst: inst.deliver_signal("go", {}), notes=[note])
    elapsed = time.perf_counter() - started
    assert set(receivers) == targets, f"reached {len(receivers)}"
    return elapsed


def open_manager(path: Path, config: ManagerConfig, durability: Durability) -> LifecycleManager:
    """Open a manager on `path` with the fan-out diagram deployed."""
    manager = LifecycleManager.open(path, clock=ManualClock(), config=config, durability=durability)
    manager.register_delegate("work", lambda _ctx: None)
    manager.deploy(HERE / "fanout.bpmn")
    return manager


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=100, help="receivers per signal")
    parser.add_argument("--repeat", type=int, default=9, help="measurements (median is kept)")
    parser.add_argument("--durability", choices=["normal", "full"], default="normal")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        durability: Durability = args.durability
        manager = open_manager(Path(tmp) / "outbox.db", ManagerConfig(), durability)
        single = open_manager(Path(tmp) / "single.db", ManagerConfig(group_commit=1), durability)
        # Warm every path: spec caches, the delegate path, SQLite's page cache.
        through_outbox(manager, start_targets(manager, args.targets))
        through_outbox(single, start_targets(single, args.targets))
        direct(manager, start_targets(manager, args.targets))
        times: dict[str, list[float]] = {"outbox": [], "direct": [], "single": []}
        for _ in range(args.repeat):
            times["outbox"].append(through_outbox(manager, start_targets(manager, args.targets)))
            times["single"].append(through_outbox(single, start_targets(single, args.targets)))
            times["direct"].append(direct(manager, start_targets(manager, args.targets)))
        left = manager.store.deliveries() + single.store.deliveries()
        group = manager.config.group_commit
        manager.close()
        single.close()
    assert left == [], "the outbox kept deliveries"
    outbox_s, direct_s = statistics.median(times["outbox"]), statistics.median(times["direct"])
    single_s = statistics.median(times["single"])
    share = direct_s / outbox_s  # outbox throughput as a share of the direct path's
    print(
        f"signal fan-out to {args.targets} receivers, {args.repeat} runs each (median), "
        f"durability {args.durability}"
    )
    for label, seconds in (
        ("direct steps (baseline)", direct_s),
        ("outbox, 1 per commit", single_s),
        (f"outbox, {group} per commit", outbox_s),
    ):
        print(f"  {label:<25} {seconds * 1000:9.1f} ms  {args.targets / seconds:7.0f}/s")
    print(f"  grouped / 1 per commit     {single_s / outbox_s:8.2f}  (throughput)")
    print(f"  outbox throughput / direct {share:8.2f}  (cost {100 * (1 - share):.1f} %)")
    verdict = "PASS" if share >= TARGET_SHARE else "FAIL"
    print(f"  target: >= {TARGET_SHARE:.2f}   {verdict}")


if __name__ == "__main__":
    main()
