"""Benchmark 1: a 15-node MLC process, instances per second, ours vs bare SpiffWorkflow.

Ours: `LifecycleManager` on SQLite, every step committed (start, complete the user task,
signal), delegates registered inline. Baselines, in the same run on the same diagram:
bare SpiffWorkflow 3.2.0 in memory, and bare SpiffWorkflow saving JSON at every wait state
(the naive way to make it durable). Target: ours / bare in memory >= 0.6.

    python benchmarks/bench_throughput.py [--n 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
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
TARGET = 0.6


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
    started = time.perf_counter()
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
    return n / (time.perf_counter() - started)


def ours(n: int, directory: Path) -> tuple[float, int]:
    """Instances per second through LifecycleManager on SQLite; also the state size."""
    manager = LifecycleManager.open(directory / "bench.db", clock=ManualClock())
    for name in ("registerModel", "DeployStaging", "deployProd", "CreateNotification"):
        manager.register_delegate(name, lambda _ctx: None)
    manager.deploy(HERE / "mlc15_camunda.bpmn")
    manager.start("mlc15")  # warm the spec cache and the script sandbox
    state_size = 0
    started = time.perf_counter()
    for _ in range(n):
        instance = manager.start("mlc15")
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id, {"approved": True})
        if not state_size:
            row = manager.store.get_instance(instance.id)
            state_size = len(json.dumps(row.state)) if row else 0
        manager.signal("ops_go")
    rate = n / (time.perf_counter() - started)
    done = manager.store.count_instances("completed")
    manager.close()
    assert done == n, f"only {done} of {n} instances completed"
    return rate, state_size


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="instances per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="measurements (median is kept)")
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"bare": [], "bare_json": [], "ours": []}
    size = 0
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            rows["bare"].append(bare_spiff(args.n, persist=False))
            rows["bare_json"].append(bare_spiff(args.n, persist=True))
            run_dir = Path(tmp) / f"run{attempt}"
            run_dir.mkdir()
            rate, size = ours(args.n, run_dir)
            rows["ours"].append(rate)
    bare = statistics.median(rows["bare"])
    print(f"15-node MLC process, {args.n} instances x {args.repeat} runs (median)")
    print(f"  bare SpiffWorkflow, in memory        {bare:8.1f} instances/s   1.00")
    for key, label in (
        ("bare_json", "bare SpiffWorkflow, JSON at each wait"),
        ("ours", "LifecycleManager, SQLite, every step"),
    ):
        value = statistics.median(rows[key])
        print(f"  {label:<37}{value:8.1f} instances/s   {value / bare:.2f}")
    print(f"  stored state per instance (ours, at the signal wait): {size} bytes")
    ratio = statistics.median(rows["ours"]) / bare
    naive = statistics.median(rows["ours"]) / statistics.median(rows["bare_json"])
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"  target: LifecycleManager / bare in memory >= {TARGET:.2f}: {ratio:.2f} {verdict}")
    print(f"  versus bare SpiffWorkflow saving JSON at each wait: {naive:.2f}x")


if __name__ == "__main__":
    main()
