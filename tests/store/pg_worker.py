"""A host process for the PostgreSQL fault tests.

    python pg_worker.py work URL NAME LEASE      # run jobs until SIGTERM; print a JSON report
    python pg_worker.py race URL ROLE MARKERS    # ROLE is message or signal; see test_faults

`work` runs `manager.run_worker()` with the worker id NAME and a lease of LEASE seconds. Its
delegate `Effect` is an idempotent side effect, as in tests/manager/crash_worker.py: it
records every attempt in `effect_attempts` and the effect itself once per idempotency key in
`effects` (both tables in the test's schema, written over a connection of its own).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

from modelop_mlc import LifecycleManager, ManagerConfig

CRASHY = """<?xml version="1.0" encoding="UTF-8"?>
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

# A message and a signal, each on its own branch, each followed by an inline delegate.
RACE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="race" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:intermediateCatchEvent id="wait_message"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="hold_message" camunda:class="Hold"/>
    <bpmn:intermediateCatchEvent id="wait_signal"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="hold_signal" camunda:class="Hold"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="wait_message"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait_message" targetRef="hold_message"/>
    <bpmn:sequenceFlow id="f4" sourceRef="hold_message" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="fork" targetRef="wait_signal"/>
    <bpmn:sequenceFlow id="f6" sourceRef="wait_signal" targetRef="hold_signal"/>
    <bpmn:sequenceFlow id="f7" sourceRef="hold_signal" targetRef="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end"/>
  </bpmn:process>
  <bpmn:message id="m" name="race_message"/>
  <bpmn:signal id="s" name="race_signal"/>
</bpmn:definitions>
"""
WAIT_STEPS = 1200  # x 0.05 s: how long a process waits for its rival before giving up


class Effects:
    """The side-effect tables, over a connection that is replaced when the server drops it."""

    def __init__(self, url: str, worker: str) -> None:
        self.url = url
        self.worker = worker
        self.conn: Any = None

    def record(self, key: str) -> None:
        if self.conn is None or self.conn.closed or self.conn.broken:
            self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        try:
            self.conn.execute(
                "INSERT INTO effect_attempts (key, worker) VALUES (%s, %s)", (key, self.worker)
            )
            self.conn.execute(
                "INSERT INTO effects (key, worker) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                (key, self.worker),
            )
        except psycopg.OperationalError:
            self.conn = None
            raise  # the job fails and is retried; the effect stays once per key


def work(url: str, name: str, lease: float) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    config = ManagerConfig(worker_id=name, job_lease_seconds=lease, default_retry_cycle="R100/PT1S")
    manager = LifecycleManager.open(url, config=config)
    effects = Effects(url, name)

    def effect(ctx: Any) -> dict[str, Any]:
        effects.record(ctx.idempotency_key)
        return {}

    manager.register_delegate("Effect", effect, asynchronous=True)
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    logging.getLogger("modelop_mlc").addHandler(Collect(logging.WARNING))
    print("ready", flush=True)
    ran = manager.run_worker(stop, poll_interval=0.1, batch=10)
    held = manager.store.leases(name)
    manager.close()
    print(json.dumps({"ran": ran, "warnings": len(warnings), "held": held}), flush=True)
    return 0


def race(url: str, role: str, markers: Path) -> int:
    """Deliver our event to both race instances, holding where this process must lose."""
    rival_kind = "signal_received" if role == "message" else "message_received"
    # One commit per receiver: the signal's step of the first instance must be saved before
    # its step of the second is computed (that step waits for the message host, which waits
    # for that save); a group commit would save both only after the second's step.
    manager = LifecycleManager.open(url, config=ManagerConfig(group_commit=1))
    calls: Counter[str] = Counter()
    pause = threading.Event()

    def wait_for(condition: Any) -> None:
        for _ in range(WAIT_STEPS):
            if condition():
                return
            pause.wait(0.05)
        raise TimeoutError("the rival process never arrived")

    def hold(ctx: Any) -> dict[str, Any]:
        calls[ctx.instance_id] += 1
        mine = ctx.activity_id == f"hold_{role}"
        if mine and ctx.variables["loser"] == role and calls[ctx.instance_id] == 1:
            # Our step loaded the instance; let the rival save first, so our save conflicts.
            (markers / f"{role}-holds-{ctx.instance_id}").touch()
            wait_for(
                lambda: any(
                    e.kind == rival_kind for e in manager.history(ctx.instance_id, limit=None)
                )
            )
        return {f"{ctx.activity_id}_done": True}

    manager.register_delegate("Hold", hold)
    first, second = json.loads((markers / "instances.json").read_text())
    if role == "message":
        manager.message("race_message", business_key=first)
        wait_for((markers / f"signal-holds-{_id(manager, second)}").exists)
        manager.message("race_message", business_key=second)
    else:
        wait_for((markers / f"message-holds-{_id(manager, first)}").exists)
        manager.signal("race_signal")
    manager.close()
    print(json.dumps({"calls": dict(calls)}), flush=True)
    return 0


def _id(manager: LifecycleManager, business_key: str) -> str:
    (instance,) = manager.instances(business_key=business_key)
    return instance.id


def main() -> int:
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "work":
        return work(url, sys.argv[3], float(sys.argv[4]))
    return race(url, sys.argv[3], Path(sys.argv[4]))


if __name__ == "__main__":
    sys.exit(main())
