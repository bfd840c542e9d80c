"""Benchmark 1: a 15-node MLC process, instances per second, ours vs bare SpiffWorkflow.

Ours: `LifecycleManager` on SQLite, every step committed (start, complete the user task,
signal), delegates registered inline, at both durability settings: `normal` (WAL with
synchronous=NORMAL, the default) and `full` (synchronous=FULL, an fsync per commit).
Baselines, in the same run on the same diagram: bare SpiffWorkflow 3.2.0 in memory, and
bare SpiffWorkflow saving JSON at every wait state (the naive way to make it durable). The
measurements are interleaved, repeat after repeat, and the medians are compared.
Targets: ours / bare in memory >= 0.60 at `normal`, >= 0.45 at `full`.

With `--baseline-src DIR` (the `src` folder of an earlier checkout, e.g. from
`git archive`), that code is measured too, at `normal`, in the same interleaved runs, and
the new code's speed-up over it is printed, at both durabilities (the earlier code must have
the `durability` setting, added by issue 21). Each LifecycleManager measurement runs in a
child process of its own, so old and new code are measured alike.

    python benchmarks/bench_throughput.py [--n 300] [--repeat 5] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from modelop_mlc import LifecycleManager, ManualClock

HERE = Path(__file__).parent / "diagrams"
TARGETS = {"normal": 0.60, "full": 0.45}
_CPU_MS: list[float] = []  # CPU time per instance of each `ours()` run, ms


class _NoopServices(PythonScriptEngine):
    def call_service(self, task: Any, **kwargs: Any) -> str:
        return '{"ok": true}'


def bare_spiff(n: int, *, persist: bool) -> float:
    """Instances per second of plain SpiffWorkflow (optionally saving JSON at each wait)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(HERE / "mlc15_spiff.bpmn"))
    spec, subs = parser.get_spec("mlc15"), parser.get_subprocess_specs("mlc15")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    engine = _NoopServices()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.do_engine_steps()
        if persist:
            wf = serializer.deserialize_json(serializer.serialize_json(wf))
            wf.script_engine = engine
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.set_data(approved=True)
        task.run()
        wf.do_engine_steps()
        if persist:
            wf = serializer.deserialize_json(serializer.serialize_json(wf))
            wf.script_engine = engine
        wf.send_event(BpmnEvent(SignalEventDefinition("ops_go")))
        wf.do_engine_steps()
        if persist:
            serializer.serialize_json(wf)
        assert wf.is_completed()
    rate = n / (time.perf_counter() - started)
    _CPU_MS.append(1000 * (time.process_time() - cpu) / n)
    return rate


def ours(n: int, directory: Path, durability: str = "normal") -> tuple[float, int]:
    """Instances per second through LifecycleManager on SQLite; also the state size."""
    # `normal` is the default, also of code that predates the setting (a baseline).
    setting: dict[str, Any] = {} if durability == "normal" else {"durability": durability}
    manager = LifecycleManager.open(directory / "bench.db", clock=ManualClock(), **setting)
    for name in ("registerModel", "DeployStaging", "deployProd", "CreateNotification"):
        manager.register_delegate(name, lambda _ctx: None)
    manager.deploy(HERE / "mlc15_camunda.bpmn")
    manager.start("mlc15")  # warm the spec cache and the script sandbox
    state_size = 0
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        instance = manager.start("mlc15")
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id, {"approved": True})
        if not state_size:
            row = manager.store.get_instance(instance.id)
            state_size = len(json.dumps(row.state)) if row else 0
        manager.signal("ops_go")
    rate = n / (time.perf_counter() - started)
    _CPU_MS.append(1000 * (time.process_time() - cpu) / n)
    done = manager.store.count_instances("completed")
    manager.close()
    assert done == n, f"only {done} of {n} instances completed"
    return rate, state_size


def ours_in_child(
    n: int, directory: Path, durability: str, src: str | None = None
) -> tuple[float, float]:
    """`ours()` in a fresh process, on the code in `src` if given (else this checkout).

    Returns instances per second and the process's CPU time per instance (ms), which other
    jobs on a shared machine disturb much less than the wall time.
    """
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), str(directory), durability],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    _, rate, cpu_ms = out.split()
    return float(rate), float(cpu_ms)


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="instances per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements (median is kept)")
    parser.add_argument("--baseline-src", help="an earlier checkout's src folder to compare")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        rate, size = ours(int(args.child[0]), Path(args.child[1]), args.child[2])
        print(size, rate, _CPU_MS[-1])
        return
    rows: dict[str, list[float]] = {"bare": [], "bare_json": [], "normal": [], "full": []}
    cpu: dict[str, list[float]] = {}
    if args.baseline_src:
        rows["before"] = []
        rows["before_full"] = []
    bare_spiff(20, persist=False)  # warm imports and the parser
    with tempfile.TemporaryDirectory() as tmp:
        size = ours(20, Path(tmp), "normal")[1]
        for attempt in range(args.repeat):
            # Interleaved, so a burst of load from elsewhere hits every measurement alike.
            rows["bare"].append(bare_spiff(args.n, persist=False))
            cpu.setdefault("bare", []).append(_CPU_MS[-1])
            runs = [("normal", None), ("full", None)]
            if args.baseline_src:
                runs += [("before", args.baseline_src), ("before_full", args.baseline_src)]
            for key, src in runs:
                run_dir = Path(tmp) / f"run{attempt}-{key}"
                run_dir.mkdir()
                durability = {"before": "normal", "before_full": "full"}.get(key, key)
                rate, cpu_ms = ours_in_child(args.n, run_dir, durability, src)
                rows[key].append(rate)
                cpu.setdefault(key, []).append(cpu_ms)
            rows["bare_json"].append(bare_spiff(args.n, persist=True))
    bare = statistics.median(rows["bare"])
    print(f"15-node MLC process, {args.n} instances x {args.repeat} runs (median)")
    print(f"  bare SpiffWorkflow, in memory          {bare:8.1f} instances/s   1.00")
    labels = {
        "bare_json": "bare SpiffWorkflow, JSON at each wait",
        "normal": "LifecycleManager, SQLite, normal",
        "full": "LifecycleManager, SQLite, full",
    }
    if args.baseline_src:
        labels["before"] = "LifecycleManager before, SQLite, normal"
        labels["before_full"] = "LifecycleManager before, SQLite, full"
    for key, label in labels.items():
        value = statistics.median(rows[key])
        runs = [r / b for r, b in zip(rows[key], rows["bare"], strict=True)]
        print(
            f"  {label:<39}{value:8.1f} instances/s   {value / bare:.2f}"
            f"   (per run {_spread(runs)})"
        )
    print(f"  stored state per instance (ours, at the signal wait): {size} bytes")
    print(
        "  CPU per instance (median, ms): "
        + ", ".join(f"{key} {statistics.median(values):.3f}" for key, values in cpu.items())
    )
    for durability, target in TARGETS.items():
        ratio = statistics.median(rows[durability]) / bare
        verdict = "PASS" if ratio >= target else "FAIL"
        by_cpu = statistics.median(cpu["bare"]) / statistics.median(cpu[durability])
        print(
            f"  target: LifecycleManager ({durability}) / bare in memory >= {target:.2f}: "
            f"{ratio:.2f} {verdict}   (by CPU time: {by_cpu:.2f})"
        )
    naive = statistics.median(rows["normal"]) / statistics.median(rows["bare_json"])
    print(f"  versus bare SpiffWorkflow saving JSON at each wait: {naive:.2f}x")
    if args.baseline_src:
        for durability, before in (("normal", "before"), ("full", "before_full")):
            speedups = [r / b for r, b in zip(rows[durability], rows[before], strict=True)]
            ratio = statistics.median(rows[durability]) / statistics.median(rows[before])
            cpu_ratio = statistics.median(cpu[before]) / statistics.median(cpu[durability])
            print(
                f"  speed-up over the baseline code ({durability}): {ratio:.2f}x"
                f"   (per run {_spread(speedups)}); by CPU time {cpu_ratio:.2f}x"
            )


if __name__ == "__main__":
    main()
