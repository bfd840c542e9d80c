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

    python benchmarks/bench_outbox.py [--targets 100] [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.manager._rows import Note

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


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=100, help="receivers per signal")
    parser.add_argument("--repeat", type=int, default=9, help="measurements (median is kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manager = LifecycleManager.open(Path(tmp) / "outbox.db", clock=ManualClock())
        manager.register_delegate("work", lambda _ctx: None)
        manager.deploy(HERE / "fanout.bpmn")
        # Warm both paths: spec caches, the delegate path, SQLite's page cache.
        through_outbox(manager, start_targets(manager, args.targets))
        direct(manager, start_targets(manager, args.targets))
        times: dict[str, list[float]] = {"outbox": [], "direct": []}
        for _ in range(args.repeat):
            times["outbox"].append(through_outbox(manager, start_targets(manager, args.targets)))
            times["direct"].append(direct(manager, start_targets(manager, args.targets)))
        left = manager.store.deliveries()
        manager.close()
    assert left == [], "the outbox kept deliveries"
    outbox_s, direct_s = statistics.median(times["outbox"]), statistics.median(times["direct"])
    share = direct_s / outbox_s  # outbox throughput as a share of the direct path's
    print(f"signal fan-out to {args.targets} receivers, {args.repeat} runs each (median)")
    for label, seconds in (("direct steps (baseline)", direct_s), ("through the outbox", outbox_s)):
        print(f"  {label:<25} {seconds * 1000:9.1f} ms  {args.targets / seconds:7.0f}/s")
    print(f"  outbox throughput / direct {share:8.2f}  (cost {100 * (1 - share):.1f} %)")
    verdict = "PASS" if share >= TARGET_SHARE else "FAIL"
    print(f"  target: >= {TARGET_SHARE:.2f}   {verdict}")


if __name__ == "__main__":
    main()
