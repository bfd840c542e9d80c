"""External tasks through the manager on SQLite and PostgreSQL: fetch, lock, complete, fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.errors import DiagramError, ExternalTaskLockError, ExternalTaskNotFoundError
from modelop_mlc.models import FetchTopic
from modelop_mlc.store.queries import DEFAULT_LIMIT

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

SCORE = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="score" name="Score" camunda:type="external" camunda:topic="score"'
    ' camunda:taskPriority="${prio}">'
    "<bpmn:extensionElements><camunda:properties>"
    '<camunda:property name="model" value="credit"/></camunda:properties>'
    "<camunda:inputOutput>"
    '<camunda:inputParameter name="threshold">0.5</camunda:inputParameter>'
    '<camunda:outputParameter name="final">${result}</camunda:outputParameter>'
    "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
    '<bpmn:boundaryEvent id="rejected" attachedToRef="score">'
    '<bpmn:errorEventDefinition errorRef="e"/></bpmn:boundaryEvent>'
    '<bpmn:userTask id="review" name="Review"/>'
    '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_rejected"/>'
    + chain("start", "score", "end")
    + chain("rejected", "review", "end_rejected"),
    pid="scoring",
    extra='<bpmn:error id="e" errorCode="REJECTED"/>',
)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture(name="manager")
def _manager(store_url: str, clock: ManualClock) -> Iterator[LifecycleManager]:
    manager = LifecycleManager.open(store_url, clock=clock)
    manager.deploy(("scoring.bpmn", SCORE))
    yield manager
    manager.close()


def _topic(**filters: object) -> FetchTopic:
    return FetchTopic("score", lock_duration=5 * MINUTE, **filters)  # type: ignore[arg-type]


def test_a_diagram_with_an_external_topic_deploys_and_waits_for_a_worker(
    manager: LifecycleManager,
) -> None:
    """An external topic without a delegate deploys, and its instance waits as an external task."""
    instance = manager.start("scoring", {"applicant": "ann", "prio": 7}, business_key="b1")
    tasks = manager.external_tasks(instance_id=instance.id)
    assert [(t.topic, t.activity_id, t.priority, t.retries) for t in tasks] == [
        ("score", "score", 7, None)
    ]
    assert tasks[0].properties == {"model": "credit"}
    assert "score" in manager.instance(instance.id).waiting_at


def test_fetch_locks_completes_and_applies_output_mappings(manager: LifecycleManager) -> None:
    """A fetched task carries the instance's and its local variables; completing moves on."""
    instance = manager.start("scoring", {"applicant": "ann", "prio": 1}, business_key="b1")
    [task] = manager.fetch_and_lock("w1", [_topic()])
    assert task.worker_id == "w1"
    assert task.variables == {"applicant": "ann", "prio": 1, "threshold": "0.5"}
    assert task.lock_expires_at == T0 + 5 * MINUTE
    assert repr(task).endswith("variables=<3 variables: applicant, prio, threshold>)")
    assert "ann" not in repr(task)
    assert manager.fetch_and_lock("w2", [_topic()]) == []
    with pytest.raises(ExternalTaskLockError, match="locked by worker 'w1'"):
        manager.complete_external_task(task.id, "w2", {"result": 1})
    manager.complete_external_task(task.id, "w1", {"scored": True}, local_variables={"result": 0.9})
    done = manager.instance(instance.id)
    assert done.status == "completed"
    assert done.variables["final"] == 0.9
    assert done.variables["scored"] is True
    assert "result" not in done.variables
    assert manager.external_tasks() == []
    with pytest.raises(ExternalTaskNotFoundError):
        manager.external_task(task.id)


def test_variable_names_business_key_and_process_variable_filters(
    manager: LifecycleManager,
) -> None:
    """Topic filters choose tasks; `variables` limits what comes back."""
    manager.start("scoring", {"applicant": "ann", "prio": 1}, business_key="b1")
    second = manager.start("scoring", {"applicant": "bob", "prio": 1}, business_key="b2")
    assert manager.fetch_and_lock("w", [_topic(business_key="nobody")]) == []
    [task] = manager.fetch_and_lock(
        "w", [_topic(process_variables={"applicant": "bob"}, variables=("applicant",))]
    )
    assert task.instance_id == second.id
    assert task.variables == {"applicant": "bob"}
    [local] = manager.fetch_and_lock("w", [_topic(business_key="b1", local_variables=True)])
    assert local.variables == {"threshold": "0.5"}


def test_priorities_order_the_fetch_when_asked(manager: LifecycleManager) -> None:
    """With use_priority the highest camunda:taskPriority comes first, else the oldest."""
    low = manager.start("scoring", {"prio": 1})
    high = manager.start("scoring", {"prio": 9})
    [first] = manager.fetch_and_lock("w", [_topic()], max_tasks=1, use_priority=True)
    assert first.instance_id == high.id
    [second] = manager.fetch_and_lock("w", [_topic()], max_tasks=1)
    assert second.instance_id == low.id


def test_a_lock_runs_out_by_the_clock_and_another_worker_takes_over(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """After the lock duration the task is fetchable again; the old worker then cannot finish it."""
    manager.start("scoring", {"prio": 1})
    [task] = manager.fetch_and_lock("w1", [_topic()])
    manager.extend_external_task_lock(task.id, "w1", 10 * MINUTE)
    clock.advance(6 * MINUTE)
    assert manager.fetch_and_lock("w2", [_topic()]) == []
    clock.advance(5 * MINUTE)
    with pytest.raises(ExternalTaskLockError):
        manager.extend_external_task_lock(task.id, "w1", MINUTE)
    [again] = manager.fetch_and_lock("w2", [_topic()])
    assert again.id == task.id
    with pytest.raises(ExternalTaskLockError, match="locked by worker 'w2'"):
        manager.complete_external_task(task.id, "w1")
    manager.unlock_external_task(task.id)
    assert manager.external_task(task.id).worker_id is None
    assert [t.id for t in manager.fetch_and_lock("w3", [_topic()])] == [task.id]


def test_failures_retry_after_the_timeout_then_open_an_incident_that_retry_resolves(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """handleFailure counts retries down; at 0 an incident opens; setting retries resolves it."""
    instance = manager.start("scoring", {"prio": 1})
    [task] = manager.fetch_and_lock("w", [_topic()])
    manager.handle_external_task_failure(
        task.id, "w", error_message="model server down", retries=1, retry_timeout=MINUTE
    )
    assert manager.fetch_and_lock("w", [_topic()]) == []
    clock.advance(MINUTE)
    [task] = manager.fetch_and_lock("w", [_topic()])
    assert (task.retries, task.error_message) == (1, "model server down")
    manager.handle_external_task_failure(
        task.id, "w", error_message="still down", error_details="trace", retries=0
    )
    assert manager.instance(instance.id).status == "incident"
    [incident] = manager.incidents(instance_id=instance.id)
    assert (incident.kind, incident.job_id, incident.message) == (
        "failed_external_task",
        task.id,
        "still down",
    )
    assert manager.fetch_and_lock("w", [_topic()]) == []
    manager.retry(incident.id)
    assert manager.instance(instance.id).status == "running"
    assert manager.incidents(instance_id=instance.id) == []
    [task] = manager.fetch_and_lock("w", [_topic()])
    assert task.retries == 1
    manager.complete_external_task(task.id, "w", {"result": 1})
    assert manager.instance(instance.id).status == "completed"


def test_a_bpmn_error_takes_the_boundary_event(manager: LifecycleManager) -> None:
    """handleBpmnError throws the code from the task; the error boundary event catches it."""
    instance = manager.start("scoring", {"prio": 1})
    [task] = manager.fetch_and_lock("w", [_topic()])
    manager.handle_external_task_bpmn_error(
        task.id, "w", "REJECTED", "too risky", {"reason": "risk"}
    )
    after = manager.instance(instance.id)
    assert after.waiting_at == ("review",)
    assert after.variables["reason"] == "risk"
    assert manager.external_tasks() == []


def test_a_registered_delegate_still_serves_its_topic_in_process(
    store_url: str, clock: ManualClock
) -> None:
    """A delegate registered under the topic runs the task as a job; no external task appears."""
    with LifecycleManager.open(store_url, clock=clock) as manager:
        manager.register_delegate("score", lambda ctx: {"result": 2})
        manager.deploy(("scoring.bpmn", SCORE))
        instance = manager.start("scoring", {"prio": 1})
        assert manager.external_tasks() == []
        manager.run_due()
        assert manager.instance(instance.id).variables["final"] == 2


def test_long_polling_wakes_as_soon_as_a_task_appears(manager: LifecycleManager) -> None:
    """A waiting fetch returns the task a start creates, well before its timeout."""
    found: list[object] = []
    started = threading.Event()

    def fetch() -> None:
        started.set()
        found.extend(manager.fetch_and_lock("w", [_topic()], wait=timedelta(seconds=60)))

    waiter = threading.Thread(target=fetch)
    waiter.start()
    started.wait()
    manager.start("scoring", {"prio": 1})
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert len(found) == 1


def test_concurrent_workers_never_get_the_same_task(manager: LifecycleManager) -> None:
    """Four threads fetching at once lock each task to exactly one of them."""
    for _ in range(20):
        manager.start("scoring", {"prio": 1})
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        got[name] = [t.id for t in manager.fetch_and_lock(name, [_topic()], max_tasks=20)]

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [task for ids in got.values() for task in ids]
    assert len(everything) == 20
    assert len(set(everything)) == 20


def test_cancelling_an_instance_removes_its_external_tasks(manager: LifecycleManager) -> None:
    """A cancelled instance leaves no external task behind."""
    instance = manager.start("scoring", {"prio": 1})
    manager.cancel(instance.id)
    assert manager.external_tasks() == []


THROWER = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sendTask id="send" camunda:type="external" camunda:topic="mail"/>'
    '<bpmn:businessRuleTask id="rule" camunda:type="external" camunda:topic="rules"/>'
    '<bpmn:intermediateThrowEvent id="notify"><bpmn:messageEventDefinition messageRef="m"'
    ' camunda:type="external" camunda:topic="notify"/></bpmn:intermediateThrowEvent>'
    '<bpmn:endEvent id="end"><bpmn:messageEventDefinition messageRef="m"'
    ' camunda:type="external" camunda:topic="bye"/></bpmn:endEvent>'
    + chain("start", "send", "rule", "notify", "end"),
    pid="thrower",
    extra='<bpmn:message id="m" name="msg"/>',
)


def test_send_rule_and_message_events_with_an_external_topic_wait_for_workers(
    manager: LifecycleManager,
) -> None:
    """Send and business rule tasks, message throw and end events create external tasks too."""
    manager.deploy(("thrower.bpmn", THROWER))
    instance = manager.start("thrower")
    for topic in ("mail", "rules", "notify", "bye"):
        [task] = manager.fetch_and_lock("w", [FetchTopic(topic, lock_duration=MINUTE)])
        assert task.activity_id == {"mail": "send", "rules": "rule"}.get(topic, task.activity_id)
        manager.complete_external_task(task.id, "w")
    assert manager.instance(instance.id).status == "completed"


def test_a_message_end_event_naming_an_unknown_delegate_is_refused(
    manager: LifecycleManager,
) -> None:
    """`camunda:class` on a message end event is checked at deploy like a service task's."""
    diagram = process(
        '<bpmn:startEvent id="start"/><bpmn:endEvent id="end"><bpmn:messageEventDefinition'
        ' messageRef="m" camunda:class="com.example.Nowhere"/></bpmn:endEvent>'
        + chain("start", "end"),
        pid="unknown",
        extra='<bpmn:message id="m" name="msg"/>',
    )
    with pytest.raises(DiagramError, match="no delegate is registered") as caught:
        manager.deploy(("unknown.bpmn", diagram))
    assert caught.value.problems[0].element_id == "end"


def test_external_tasks_come_a_page_at_a_time_oldest_first(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """`external_tasks()` pages like the other listings: `limit` (100 by default) and `offset`,
    oldest first, the topic filtered in the database."""
    started = []
    for _ in range(DEFAULT_LIMIT + 3):
        clock.advance(MINUTE)
        started.append(manager.start("scoring", {"prio": 1}).id)
    assert [t.instance_id for t in manager.external_tasks()] == started[:DEFAULT_LIMIT]
    assert [t.instance_id for t in manager.external_tasks(offset=DEFAULT_LIMIT)] == started[-3:]
    page = manager.external_tasks(topic="score", limit=2, offset=1)
    assert [t.instance_id for t in page] == started[1:3]
    assert manager.external_tasks(topic="other", limit=None) == []
    assert len(manager.external_tasks(limit=None)) == DEFAULT_LIMIT + 3
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        manager.external_tasks(limit=-1)
