"""The outbox: thrown events and host signals are saved before they are delivered, each
receiver takes them exactly once, and a failing receiver harms nobody else."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManagerConfig

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
SIGNAL = '<bpmn:signal id="sig" name="go"/>'

# Waits for "go", then takes a gateway that reads `route`: a receiver without it fails there.
CATCHER = process(
    START + '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="sig"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:exclusiveGateway id="route"/>'
    '<bpmn:userTask id="after"/>'
    + END
    + chain("start", "wait", "route")
    + flow("to_after", "route", "after", "${route == 'on'}")
    + flow("to_end", "route", "end", "${route != 'on'}")
    + chain("after", "end"),
    pid="catcher",
    extra=SIGNAL,
)
THROWER = process(
    START + '<bpmn:userTask id="decide"/>'
    '<bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="sig"/>'
    "</bpmn:intermediateThrowEvent>" + END + chain("start", "decide", "throw", "end"),
    pid="thrower",
    extra=SIGNAL,
)
STARTED = process(
    '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>'
    '<bpmn:userTask id="work"/>' + END + chain("s", "work", "end"),
    pid="started",
    extra=SIGNAL,
)


def _waiting(manager: LifecycleManager, count: int, *, broken: int | None = None) -> list[str]:
    """Start `count` catchers; the one at index `broken` lacks the variable its gateway reads."""
    return [
        manager.start("catcher", {} if n == broken else {"route": "on"}).id for n in range(count)
    ]


def _moved(manager: LifecycleManager, ids: list[str]) -> list[str]:
    return [i for i in ids if manager.tasks(instance_id=i)]


def test_a_failing_receiver_among_ten_gets_an_incident_and_harms_nobody(
    manager: LifecycleManager,
) -> None:
    """A thrown signal reaches 10 receivers; one fails at its gateway: 9 move on, 1 incident,
    and the thrower's `complete_task()` returns normally with the thrower completed."""
    manager.deploy(CATCHER, THROWER)
    receivers = _waiting(manager, 10, broken=4)
    thrower = manager.start("thrower")
    (decide,) = manager.tasks(instance_id=thrower.id)
    done = manager.complete_task(decide.id)
    assert done.status == "completed"
    assert _moved(manager, receivers) == receivers[:4] + receivers[5:]
    (incident,) = manager.incidents()
    assert incident.instance_id == receivers[4]
    assert incident.kind == "failed_delivery"
    assert incident.activity_id == "wait"
    assert "signal 'go' could not be delivered at 'wait'" in incident.message
    assert "manager.retry" in incident.message
    assert manager.instance(receivers[4]).status == "incident"
    assert manager.instance(receivers[4]).waiting_at == ("wait",)  # nothing of the step stayed


def test_a_host_signal_with_a_failing_receiver_reports_it_and_returns(
    manager: LifecycleManager,
) -> None:
    """`signal()` returns normally; the failed receiver is listed and has an incident."""
    manager.deploy(CATCHER)
    receivers = _waiting(manager, 10, broken=7)
    result = manager.signal("go")
    assert sorted(result.delivered) == sorted(receivers[:7] + receivers[8:])
    assert result.failed == (receivers[7],)
    assert [i.instance_id for i in manager.incidents()] == [receivers[7]]


def test_retrying_a_failed_delivery_delivers_it_once_the_cause_is_fixed(
    manager: LifecycleManager,
) -> None:
    """After the variable is set, `retry()` delivers the signal and the incident closes."""
    manager.deploy(CATCHER)
    (receiver,) = _waiting(manager, 1, broken=0)
    manager.signal("go")
    (incident,) = manager.incidents()
    manager.set_variables(receiver, {"route": "on"})
    retried = manager.retry(incident.id)
    assert retried.id == receiver
    assert retried.status == "running"
    assert retried.waiting_at == ("after",)
    assert manager.incidents() == []
    assert manager.store.deliveries() == []
    received = [e for e in manager.history(receiver) if e.kind == "signal_received"]
    assert len(received) == 1


def test_a_repeated_signal_with_the_same_key_starts_no_second_instance(
    manager: LifecycleManager,
) -> None:
    """`signal(idempotency_key=...)` twice: one start, one delivery; the second is a duplicate."""
    manager.deploy(STARTED, CATCHER)
    (waiting,) = _waiting(manager, 1)
    first = manager.signal("go", {"model": "m1"}, idempotency_key="event-17")
    again = manager.signal("go", {"model": "m1"}, idempotency_key="event-17")
    assert len(first.started) == 1
    assert first.delivered == (waiting,)
    assert (again.started, again.delivered, again.duplicate) == ((), (), True)
    assert len(manager.instances(key="started")) == 1
    other = manager.signal("go", idempotency_key="event-18")
    assert len(other.started) == 1


def test_signals_that_ping_pong_forever_stop_with_incidents(manager: LifecycleManager) -> None:
    """Two processes throwing at each other are stopped after `max_event_cascade` events."""
    ping = '<bpmn:signal id="ping" name="ping"/><bpmn:signal id="pong" name="pong"/>'

    def player(pid: str, catch: str, throw: str) -> str:
        return process(
            START + '<bpmn:exclusiveGateway id="again"/>'
            f'<bpmn:intermediateCatchEvent id="c"><bpmn:signalEventDefinition signalRef="{catch}"/>'
            "</bpmn:intermediateCatchEvent>"
            f'<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="{throw}"/>'
            "</bpmn:intermediateThrowEvent>" + chain("start", "again", "c", "t", "again"),
            pid=pid,
            extra=ping,
        )

    manager.deploy(player("left", "ping", "pong"), player("right", "pong", "ping"))
    manager.start("left")
    manager.start("right")
    result = manager.signal("ping")
    assert len(result.delivered) == 1
    incidents = manager.incidents()
    assert len(incidents) == 1
    assert "keep throwing" in incidents[0].message


def test_retry_while_a_worker_runs_runs_the_delegate_once(tmp_path: Any) -> None:
    """20 failed jobs retried while a worker polls: each delegate runs exactly once more."""
    config = ManagerConfig(default_retry_cycle="R1/PT1S")
    manager = LifecycleManager.open(tmp_path / "mlc.db", config=config)
    fail = threading.Event()
    fail.set()
    runs: Counter[str] = Counter()

    def flaky(ctx: Any) -> dict[str, Any]:
        runs[ctx.instance_id] += 1
        if fail.is_set():
            raise RuntimeError("the service is down")
        return {"ok": True}

    manager.register_delegate("Flaky", flaky, asynchronous=True)
    manager.deploy(
        process(
            START
            + '<bpmn:serviceTask id="call" camunda:class="Flaky"/>'
            + END
            + chain("start", "call", "end"),
            pid="flaky",
        )
    )
    ids = [manager.start("flaky").id for _ in range(20)]
    manager.run_due()
    assert len(manager.incidents()) == 20
    fail.clear()
    runs.clear()
    stop = threading.Event()
    worker = threading.Thread(
        target=manager.run_worker, args=(stop,), kwargs={"poll_interval": 0.001}
    )
    worker.start()
    try:
        for incident in manager.incidents():
            manager.retry(incident.id)
    finally:
        stop.set()
        worker.join(timeout=60)
        manager.close()
    assert runs == Counter(dict.fromkeys(ids, 1))


def test_a_thrown_signal_starts_a_process_through_the_outbox(manager: LifecycleManager) -> None:
    """A thrown signal starts a process with a matching signal start event, once."""
    thrower = process(
        START + '<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="sig"/>'
        "</bpmn:intermediateThrowEvent>" + END + chain("start", "t", "end"),
        pid="thrower",
        extra=SIGNAL,
    )
    manager.deploy(thrower, STARTED)
    manager.start("thrower")
    assert len(manager.instances(key="started")) == 1
    assert manager.store.deliveries() == []
