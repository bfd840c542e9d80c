"""Helpers shared by the RestCenter tests: credentials, a clock-driven sleep, one-task runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.testing.fakes import RecordedRequest
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter

API = "/model-manage/api"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
USER: dict[str, Any] = {"username": "mlc-user", "password": "mlc-password"}
CLIENT: dict[str, Any] = {"client_id": "mlc-client", "client_secret": "mlc-secret"}
_COUNTER = itertools.count()


class Sleeper:
    """RestCenter's `sleep`: records each wait and moves the test's clock instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


def rest_center(
    fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper, **settings: Any
) -> RestCenter:
    """A RestCenter on the fake with the default user, the test's clock and sleeper."""
    options: dict[str, Any] = {**USER, "clock": clock, "sleep": sleeper, "timeout": 5}
    options.update(settings)
    return RestCenter(fake.url, **options)


def calls(fake: FakeModelOpCenter, method: str, path: str) -> list[RecordedRequest]:
    """The requests the fake received for one method and API path."""
    return [r for r in fake.requests if r.method == method and r.path == API + path]


def token_requests(fake: FakeModelOpCenter) -> int:
    """How many token exchanges the fake received."""
    return sum(1 for r in fake.requests if r.path == "/gocli/token")


def run_delegate(
    manager: LifecycleManager,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    inputs: str = "",
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run one delegate in a one-task process to its end; return the process variables.

    `inputs` is the task's `camunda:inputParameter` elements. While the instance waits,
    `progress` (if given) is called once, then the clock moves 31 s per round.
    """
    pid = f"one_{next(_COUNTER)}"
    extension = (
        f"<bpmn:extensionElements><camunda:inputOutput>{inputs}</camunda:inputOutput>"
        "</bpmn:extensionElements>"
        if inputs
        else ""
    )
    xml = process(
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:serviceTask id="task" camunda:class="com.modelop.mlc.delegate.modelop.{name}">'
        f"{extension}</bpmn:serviceTask>"
        '<bpmn:endEvent id="end"/>'
        '<bpmn:boundaryEvent id="failed" attachedToRef="task">'
        '<bpmn:errorEventDefinition errorRef="F" camunda:errorMessageVariable="ERROR_MESSAGE"/>'
        '</bpmn:boundaryEvent><bpmn:endEvent id="failed_end"/>'
        + chain("start", "task", "end")
        + flow("ef", "failed", "failed_end"),
        pid=pid,
        extra='<bpmn:error id="F" errorCode="FAILURE"/>',
    )
    manager.deploy(xml)
    instance = manager.start(pid, variables or {})
    for _ in range(20):
        if manager.instance(instance.id).status != "running":
            break
        manager.run_due()
        if progress is not None and manager.instance(instance.id).status == "running":
            progress()
            progress = None
        manager.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    final = manager.instance(instance.id)
    assert final.status == "completed", manager.incidents(instance_id=instance.id)
    assert "ERROR_MESSAGE" not in final.variables, final.variables["ERROR_MESSAGE"]
    return dict(final.variables)
