"""Fault injection on the outbox, on SQLite and PostgreSQL: hosts SIGKILLed while they deliver
a signal to 300 waiting instances. Every receiver moves exactly once.

Each round starts 300 receivers, then a host process signals them (with the caller's
idempotency key) and is SIGKILLed mid-way: on SQLite at a random SQL statement, on PostgreSQL
after a random delay. Then the caller retries, from this process: the same signal with the
same key, ten minutes later (past the killed host's leases), then `run_due()`. Bounded in
time; no assertion about how long anything took.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from modelop_mlc import LifecycleManager, ManualClock

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

HERE = Path(__file__).parent
WORKER = HERE / "signal_worker.py"
ROUNDS = 20
RECEIVERS = 300
pause = threading.Event()
THROWER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="thrower" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="decide"/>
    <bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="throw"/>
    <bpmn:sequenceFlow id="f3" sourceRef="throw" targetRef="end"/>
  </bpmn:process>
  <bpmn:signal id="s" name="go0"/>
</bpmn:definitions>
"""


def _catcher(round_number: int) -> str:
    sys.path.insert(0, str(HERE))
    try:
        from signal_worker import catcher
    finally:
        sys.path.remove(str(HERE))
    return catcher(round_number)


def _host(url: str, round_number: int, crash_at: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(round_number), str(crash_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the manager is open
    assert line.strip() == "ready", process.stderr.read() if process.stderr else ""
    return process


def test_sigkill_during_signal_delivery_moves_every_receiver_exactly_once(
    store_url: str,
) -> None:
    """20 rounds of 300 receivers, each round's signalling host SIGKILLed mid-delivery and
    the signal retried with the same key: every receiver caught it exactly once."""
    postgres = store_url.startswith("postgresql")
    rng = random.Random(25)
    sys.path.insert(0, str(HERE))
    try:
        from signal_worker import T0
    finally:
        sys.path.remove(str(HERE))
    clock = ManualClock(T0)
    manager = LifecycleManager.open(store_url, clock=clock)
    partial = 0
    try:
        for round_number in range(ROUNDS):
            manager.deploy((f"catch{round_number}.bpmn", _catcher(round_number)))
            ids = {manager.start(f"catch{round_number}").id for _ in range(RECEIVERS)}
            # ~10 statements per delivered receiver: most crash points land mid-delivery.
            crash_at = 0 if postgres else rng.randint(1, 12 * RECEIVERS)
            host = _host(store_url, round_number, crash_at)
            if postgres:
                pause.wait(rng.uniform(0.05, 1.5))
                host.kill()
            _, err = host.communicate(timeout=300)
            assert host.returncode in {0, -9}, err[-3000:]
            moved_before = sum(1 for i in ids if manager.instance(i).waiting_at == ("second",))
            partial += host.returncode == -9 and 0 < moved_before < RECEIVERS
            clock.set(T0 + timedelta(hours=round_number, minutes=10))
            retried = manager.signal(f"go{round_number}", idempotency_key=f"round{round_number}")
            while manager.run_due():
                pass
            assert len(retried.delivered) + moved_before <= RECEIVERS

            assert {manager.instance(i).waiting_at for i in ids} == {("second",)}
            caught = Counter(
                e.instance_id
                for e in manager.store.history_all(kinds=["signal_received"])
                if e.instance_id in ids
            )
            assert caught == Counter(dict.fromkeys(ids, 1))
            assert manager.store.deliveries() == []
            assert manager.incidents() == []
    finally:
        manager.close()
    # The crashes really happened while receivers were being delivered to.
    assert partial >= ROUNDS // 4, f"only {partial} of {ROUNDS} kills landed mid-delivery"
    print(f"\n{ROUNDS} rounds x {RECEIVERS} receivers; {partial} killed mid-delivery")


def test_a_host_killed_as_the_throwing_step_commits_loses_no_receiver(tmp_path: Path) -> None:
    """A thrower's step commits and its host dies before delivering anything: a worker
    delivers the signal to each of the 3 receivers once, after the lease."""
    sys.path.insert(0, str(HERE))
    try:
        from signal_worker import T0
    finally:
        sys.path.remove(str(HERE))
    url = str(tmp_path / "mlc.db")
    clock = ManualClock(T0)
    manager = LifecycleManager.open(url, clock=clock)
    try:
        manager.deploy(("catch0.bpmn", _catcher(0)), ("thrower.bpmn", THROWER))
        receivers = [manager.start("catch0").id for _ in range(3)]
        thrower = manager.start("thrower").id
        (task,) = manager.tasks(instance_id=thrower)
        host = subprocess.Popen(
            [sys.executable, str(WORKER), url, "throw", task.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, err = host.communicate(timeout=300)
        assert host.returncode == -9, err[-3000:]
        assert manager.instance(thrower).status == "completed"  # the step was saved...
        assert {manager.instance(i).waiting_at for i in receivers} == {("first",)}  # ...alone
        assert len(manager.store.deliveries()) == 3
        clock.set(T0 + timedelta(minutes=10))
        assert manager.run_due() == 3
        assert {manager.instance(i).waiting_at for i in receivers} == {("second",)}
        caught = Counter(
            e.instance_id for e in manager.store.history_all(kinds=["signal_received"])
        )
        assert caught == Counter(dict.fromkeys(receivers, 1))
    finally:
        manager.close()


CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:callActivity id="call" calledElement="child"/>
    <bpmn:userTask id="after"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_host_killed_after_a_called_instance_ends_hands_its_end_back_once(
    tmp_path: Path,
) -> None:
    """A called instance's last step commits and its host dies before the caller's step: a
    worker hands the end to the caller after the lease, and the caller moves on once."""
    sys.path.insert(0, str(HERE))
    try:
        from signal_worker import T0
    finally:
        sys.path.remove(str(HERE))
    url = str(tmp_path / "mlc.db")
    clock = ManualClock(T0)
    manager = LifecycleManager.open(url, clock=clock)
    try:
        manager.deploy(("child.bpmn", CHILD), ("caller.bpmn", CALLER))
        caller = manager.start("caller").id
        (child,) = manager.instances(super_instance_id=caller)
        (task,) = manager.tasks(instance_id=child.id)
        host = subprocess.Popen(
            [sys.executable, str(WORKER), url, "throw", task.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, err = host.communicate(timeout=300)
        assert host.returncode == -9, err[-3000:]
        assert manager.instance(child.id).status == "completed"  # the child's end was saved...
        assert manager.instance(caller).waiting_at == ("call",)  # ...and its hand-back kept
        assert len(manager.store.deliveries(instance_id=caller)) == 1
        clock.set(T0 + timedelta(minutes=10))
        assert manager.run_due() == 1
        assert manager.run_due() == 0
        assert manager.instance(caller).waiting_at == ("after",)
        ended = [
            e for e in manager.history(caller, limit=None) if e.kind == "called_instance_ended"
        ]
        assert len(ended) == 1
        assert manager.store.deliveries() == []
    finally:
        manager.close()


def test_a_called_instance_ending_normally_leaves_no_delivery(tmp_path: Path) -> None:
    """Without a crash the ending host hands the end back at once: nothing is left over."""
    manager = LifecycleManager.open(tmp_path / "mlc.db")
    try:
        manager.deploy(("child.bpmn", CHILD), ("caller.bpmn", CALLER))
        caller = manager.start("caller").id
        (child,) = manager.instances(super_instance_id=caller)
        (task,) = manager.tasks(instance_id=child.id)
        manager.complete_task(task.id)
        assert manager.instance(caller).waiting_at == ("after",)
        assert manager.store.deliveries() == []
    finally:
        manager.close()
