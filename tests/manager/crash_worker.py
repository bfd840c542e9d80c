"""A host process for the crash tests: runs a workload and may SIGKILL itself mid-way.

    python crash_worker.py DB EFFECTS SEED CRASH_AT INSTANCES

Run SEED makes sure the INSTANCES instances of every run up to SEED exist (business keys
`run{r}-{n}`; a killed run may not have started them), starts the missing ones, then runs due
jobs until nothing is due, finishing what earlier runs left behind too. With CRASH_AT > 0 it kills itself with SIGKILL when the CRASH_AT-th SQL
statement of the manager is about to run, so crashes land anywhere: between statements of a
transaction, after a delegate's side effect, before a job's result is saved.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from modelop_mlc import LifecycleManager, ManualClock

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="crashy" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="init" scriptFormat="python"><bpmn:script>steps = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:serviceTask id="first" camunda:class="Effect"/>
    <bpmn:scriptTask id="middle" scriptFormat="python"><bpmn:script>steps = steps + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:serviceTask id="second" camunda:class="Effect"/>
    <bpmn:scriptTask id="last" scriptFormat="python"><bpmn:script>steps = steps + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="first"/>
    <bpmn:sequenceFlow id="f3" sourceRef="first" targetRef="middle"/>
    <bpmn:sequenceFlow id="f4" sourceRef="middle" targetRef="second"/>
    <bpmn:sequenceFlow id="f5" sourceRef="second" targetRef="last"/>
    <bpmn:sequenceFlow id="f6" sourceRef="last" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def main() -> int:
    """Run the workload; return 0 once every instance completed."""
    db, effects_path, seed, crash_at, count = sys.argv[1:6]
    # Delegates run on a helper thread (the cut-off at delegate_timeout_seconds).
    effects = sqlite3.connect(
        effects_path, isolation_level=None, timeout=30, check_same_thread=False
    )
    effects.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, run TEXT)")
    effects.execute("CREATE TABLE IF NOT EXISTS attempts (key TEXT, run TEXT)")
    # Each run's clock is ten minutes after the previous one, past any job lease (five
    # minutes) a killed run left behind, so its jobs are claimable again.
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=10 * int(seed)))
    manager = LifecycleManager.open(db, clock=clock)

    def effect(ctx: Any) -> dict[str, Any]:
        # An idempotent side effect: the key decides whether the work was already done.
        effects.execute(
            "INSERT INTO attempts (key, run) VALUES (?, ?)", (ctx.idempotency_key, seed)
        )
        effects.execute(
            "INSERT OR IGNORE INTO effects (key, run) VALUES (?, ?)", (ctx.idempotency_key, seed)
        )
        return {}

    manager.register_delegate("Effect", effect, asynchronous=True)
    manager.deploy(("crashy.bpmn", DIAGRAM))
    target = int(crash_at)
    if target:
        executed = 0

        def maybe_crash(_statement: str) -> None:
            nonlocal executed
            executed += 1
            if executed == target:
                os.kill(os.getpid(), signal.SIGKILL)

        manager.store.reader().conn.set_trace_callback(maybe_crash)
    existing = {i.business_key for i in manager.instances(key="crashy", limit=None)}
    for run in range(int(seed) + 1):
        for number in range(int(count)):
            key = f"run{run}-{number}"
            if key not in existing:
                manager.start("crashy", business_key=key)
    while manager.run_due():
        pass
    running = len(manager.instances(key="crashy", status="running", limit=None))
    manager.close()
    return 0 if running == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
