"""camunda-external-task-client-python3 4.5.0 drives a process over HTTP, unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import User, Users, create_app
from rest.live import serve_in_thread

worker_module = pytest.importorskip("camunda.external_task.external_task_worker")
ExternalTaskWorker = worker_module.ExternalTaskWorker
NoExternalTaskFound = worker_module.NoExternalTaskFound

ORDER = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="prepare" name="Prepare" camunda:type="external"'
    ' camunda:topic="prepare"/>'
    '<bpmn:serviceTask id="score" name="Score" camunda:type="external" camunda:topic="score">'
    "<bpmn:extensionElements><camunda:properties>"
    '<camunda:property name="model" value="credit"/></camunda:properties>'
    "</bpmn:extensionElements></bpmn:serviceTask>"
    '<bpmn:serviceTask id="check" name="Check" camunda:type="external" camunda:topic="check"/>'
    '<bpmn:boundaryEvent id="rejected" attachedToRef="check">'
    '<bpmn:errorEventDefinition errorRef="e"/></bpmn:boundaryEvent>'
    '<bpmn:userTask id="review" name="Review rejection"/>'
    '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_rejected"/>'
    + chain("start", "prepare", "score", "check", "end")
    + chain("rejected", "review", "end_rejected"),
    pid="order",
    extra='<bpmn:error id="e" errorCode="REJECTED"/>',
)
AUTH = ("worker", "worker-password")


@pytest.fixture(name="base_url")
def _base_url(manager: LifecycleManager) -> Iterator[str]:
    manager.deploy(("order.bpmn", ORDER))
    app = create_app(
        manager,
        auth=None,
        users=Users({AUTH[0]: User(AUTH[1], permissions=frozenset({"complete", "read"}))}),
    )
    with serve_in_thread(app) as url:
        yield url


def _worker(base_url: str) -> object:
    config = {
        "auth_basic": {"username": AUTH[0], "password": AUTH[1]},
        "maxTasks": 1,
        "lockDuration": 10_000,
        "asyncResponseTimeout": 0,
        "retries": 1,
        "retryTimeout": 0,
        "sleepSeconds": 0,
        "includeExtensionProperties": True,
    }
    return ExternalTaskWorker(worker_id="py-worker", base_url=base_url, config=config)


def test_worker_completes_fails_retries_and_throws_bpmn_errors(
    manager: LifecycleManager, base_url: str
) -> None:
    """The stock worker completes, fails into an incident, retries, and takes a boundary event."""
    instance = manager.start("order", {"amount": 250}, business_key="order-1")
    worker = _worker(base_url)
    seen: dict[str, object] = {}

    def prepare(task):  # type: ignore[no-untyped-def]
        seen["amount"] = task.get_variable("amount")
        seen["business_key"] = task.get_business_key()
        return task.complete({"prepared": True, "customer": "ann"})

    worker.fetch_and_execute("prepare", prepare)  # type: ignore[attr-defined]
    assert seen == {"amount": 250, "business_key": "order-1"}
    assert manager.instance(instance.id).variables["prepared"] is True

    def broken(task):  # type: ignore[no-untyped-def]
        seen["model"] = task.get_extension_property("model")
        return task.failure("model server down", "stack trace here", 1, 0)

    worker.fetch_and_execute("score", broken)  # type: ignore[attr-defined]
    [score] = manager.external_tasks(topic="score")
    assert (score.retries, score.error_message) == (1, "model server down")
    worker.fetch_and_execute("score", broken)  # type: ignore[attr-defined]
    assert seen["model"] == "credit"
    assert manager.instance(instance.id).status == "incident"
    [incident] = manager.incidents(instance_id=instance.id)
    assert incident.kind == "failed_external_task"
    details = requests.get(
        f"{base_url}/external-task/{score.id}/errorDetails", auth=AUTH, timeout=10
    )
    assert details.text == "stack trace here"
    with pytest.raises(NoExternalTaskFound):
        worker.fetch_and_execute("score", broken)  # type: ignore[attr-defined]

    # An operator resolves the incident by giving the task a retry over HTTP (Cockpit's "retry").
    retried = requests.put(
        f"{base_url}/external-task/{score.id}/retries", json={"retries": 1}, auth=AUTH, timeout=10
    )
    assert retried.status_code == 204
    assert manager.incidents(instance_id=instance.id) == []
    assert manager.instance(instance.id).status == "running"
    worker.fetch_and_execute(  # type: ignore[attr-defined]
        "score", lambda task: task.complete({"score": 0.42})
    )
    assert manager.instance(instance.id).variables["score"] == 0.42

    def reject(task):  # type: ignore[no-untyped-def]
        return task.bpmn_error("REJECTED", "score too low", {"reason": "low score"})

    worker.fetch_and_execute("check", reject)  # type: ignore[attr-defined]
    after = manager.instance(instance.id)
    assert "review" in after.waiting_at
    assert after.variables["reason"] == "low score"
    assert manager.external_tasks() == []


def test_worker_without_the_password_is_refused(base_url: str) -> None:
    """Wrong Basic credentials get 401, so the stock worker raises instead of working."""
    worker = ExternalTaskWorker(
        worker_id="intruder",
        base_url=base_url,
        config={"auth_basic": {"username": AUTH[0], "password": "wrong"}, "sleepSeconds": 0},
    )
    with pytest.raises(Exception, match="received 401 : AuthenticationException"):
        worker.fetch_and_execute("prepare", lambda task: task.complete({}))
