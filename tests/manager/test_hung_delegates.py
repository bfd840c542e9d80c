"""Hung delegates: cut off at their timeout as incidents; their worker's other jobs go back."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock

pause = threading.Event()
START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def _service(pid: str, delegate: str, *, asynchronous: bool) -> str:
    flag = ' camunda:asyncBefore="true"' if asynchronous else ""
    return process(
        START + f'<bpmn:serviceTask id="call" camunda:class="{delegate}"{flag}/>'
        '<bpmn:userTask id="after"/>' + END + chain("start", "call", "after", "end"),
        pid=pid,
    )


def _wait_until(condition: Any, steps: int = 1200) -> None:
    for _ in range(steps):
        if condition():
            return
        pause.wait(0.05)
    pytest.fail("gave up waiting")


@pytest.fixture(name="release")
def _release() -> Iterator[threading.Event]:
    """Lets hung delegates return at the end of the test (their threads end then)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_hung_delegate_is_cut_off_and_becomes_an_incident(
    tmp_path: Path, clock: ManualClock, release: threading.Event, asynchronous: bool
) -> None:
    """A delegate that never returns is cut off at `delegate_timeout_seconds`: an incident
    at once (no retries), the lease released, and its late result discarded."""
    config = ManagerConfig(delegate_timeout_seconds=0.2)
    manager = LifecycleManager.open(tmp_path / "mlc.db", clock=clock, config=config)
    returned: list[str] = []

    def hang(ctx: Any) -> dict[str, Any]:
        release.wait(120)
        returned.append(ctx.idempotency_key)
        return {"late": True}

    manager.register_delegate("Hang", hang, asynchronous=asynchronous)
    manager.deploy(_service("hung", "Hang", asynchronous=asynchronous))
    try:
        instance = manager.start("hung")
        manager.run_due()
        (incident,) = manager.incidents(instance_id=instance.id)
        assert "did not return within 0.2 s and was cut off" in incident.message
        assert manager.instance(instance.id).status == "incident"
        assert all(j.lease_owner is None for j in manager.store.jobs())
        release.set()  # the delegate returns now: its result must change nothing
        _wait_until(lambda: bool(returned))
        assert "late" not in manager.variables(instance.id)
        assert manager.instance(instance.id).status == "incident"
        manager.register_delegate("Hang", lambda _ctx: {"fixed": True}, replace=True)
        retried = manager.retry(incident.id)
        assert retried.waiting_at == ("after",)
        assert retried.variables["fixed"] is True
    finally:
        manager.close()


def test_a_hung_job_gives_back_the_jobs_claimed_behind_it(
    tmp_path: Path, clock: ManualClock, release: threading.Event
) -> None:
    """Worker A claims 20 jobs and hangs on the first; the heartbeat renews only that one and
    gives the 19 others back, so worker B runs them meanwhile. Each delegate runs once."""
    db = tmp_path / "mlc.db"
    lease = ManagerConfig(job_lease_seconds=0.3, delegate_timeout_seconds=120)
    a = LifecycleManager.open(db, clock=clock, config=lease.model_copy(update={"worker_id": "a"}))
    b = LifecycleManager.open(db, clock=clock, config=lease.model_copy(update={"worker_id": "b"}))
    runs: Counter[str] = Counter()
    hung = threading.Event()
    first: list[str] = []

    def work(ctx: Any) -> None:
        runs[ctx.instance_id] += 1
        if not first:
            first.append(ctx.instance_id)
            hung.set()
            release.wait(120)

    for manager in (a, b):
        manager.register_delegate("Work", work, asynchronous=True)
    a.deploy(_service("batch", "Work", asynchronous=True))
    ids = [a.start("batch").id for _ in range(20)]
    worker = threading.Thread(target=a.run_due, name="worker-a")
    worker.start()
    try:
        assert hung.wait(60)
        done: list[int] = []
        _wait_until(lambda: done.append(b.run_due()) or sum(done) >= 19)
        assert sum(done) == 19
    finally:
        release.set()
        worker.join(60)
        a.close()
        b.close()
    assert runs == Counter(dict.fromkeys(ids, 1))


def test_without_a_timeout_delegates_run_on_the_calling_thread(tmp_path: Path) -> None:
    """`delegate_timeout_seconds=None`: the delegate runs on the caller's own thread (for
    thread-bound resources); with a timeout it runs on a helper thread."""
    threads: list[int] = []
    diagram = process(
        '<bpmn:startEvent id="start"/><bpmn:serviceTask id="s" camunda:delegateExpression='
        '"${where}"/><bpmn:userTask id="w"/><bpmn:endEvent id="end"/>'
        + chain("start", "s", "w", "end"),
        pid="where",
    )
    for timeout in (None, 60.0):
        config = ManagerConfig(delegate_timeout_seconds=timeout)
        with LifecycleManager.open(tmp_path / f"{timeout}.db", config=config) as manager:
            manager.register_delegate("where", lambda _ctx: threads.append(threading.get_ident()))
            manager.deploy(diagram)
            manager.start("where")
    assert threads[0] == threading.get_ident()
    assert threads[1] != threading.get_ident()
