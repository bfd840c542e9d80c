"""`LifecycleManager`: deployment, versions, signals, messages, tasks, jobs, incidents, history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import (
    BpmnError,
    CorrelationError,
    DefinitionNotFoundError,
    DiagramError,
    IncidentNotFoundError,
    InstanceNotFoundError,
    LifecycleManager,
    ManagerConfig,
    ManualClock,
    ProcessError,
    TaskNotFoundError,
    VariableError,
)

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
APPROVAL = process(
    START + '<bpmn:userTask id="approve" name="Approve"/>' + END + chain("start", "approve", "end"),
    pid="approval",
)


def signal_start(pid: str, signal: str, body: str = "", extra_props: str = "") -> str:
    """A process started by a signal, then waiting at a user task."""
    return process(
        extra_props + f'<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
        f'</bpmn:startEvent><bpmn:userTask id="work"/>{body}' + END + chain("s", "work", "end"),
        pid=pid,
        extra=f'<bpmn:signal id="sig" name="{signal}"/>',
    )


# ---------------------------------------------------------------- deployment and versions


def test_redeploying_unchanged_xml_creates_no_new_version(manager: LifecycleManager) -> None:
    """An identical re-deploy is filtered; a changed one creates version 2."""
    first = manager.deploy(APPROVAL)
    again = manager.deploy(APPROVAL)
    assert [d.version for d in first.definitions] == [1]
    assert [d.version for d in again.definitions] == [1]
    assert again.new is False
    changed = manager.deploy(APPROVAL.replace('name="Approve"', 'name="Approve it"'))
    assert [d.version for d in changed.definitions] == [2]
    assert [d.version for d in manager.definitions("approval")] == [1, 2]


def test_running_instances_finish_on_their_version(manager: LifecycleManager) -> None:
    """New starts take the latest version; running instances stay on theirs."""
    manager.deploy(APPROVAL)
    old = manager.start("approval")
    manager.deploy(
        APPROVAL.replace(
            '<bpmn:userTask id="approve" name="Approve"/>',
            '<bpmn:userTask id="approve" name="Approve v2"/>',
        )
    )
    new = manager.start("approval")
    assert (old.version, new.version) == (1, 2)
    names = {t.instance_id: t.name for t in manager.tasks()}
    assert names == {old.id: "Approve", new.id: "Approve v2"}
    manager.complete_task(manager.tasks(instance_id=old.id)[0].id)
    assert manager.instance(old.id).status == "completed"


def test_deploy_from_path_and_pairs(manager: LifecycleManager, tmp_path: Path) -> None:
    """Files deploy from paths and from (name, content) pairs; the XML can be read back."""
    path = tmp_path / "approval.bpmn"
    path.write_text(APPROVAL)
    deployment = manager.deploy(path, name="first")
    assert deployment.definitions[0].resource == "approval.bpmn"
    pair = manager.deploy(("other.bpmn", APPROVAL.replace("approval", "other")))
    assert pair.definitions[0].key == "other"
    assert "userTask" in manager.definition_xml(deployment.definitions[0].id)


def test_invalid_file_deploys_nothing(manager: LifecycleManager) -> None:
    """One broken file in a deployment stores nothing at all."""
    broken = process(
        START + '<bpmn:scriptTask id="g" scriptFormat="javascript"><bpmn:script>x'
        "</bpmn:script></bpmn:scriptTask>" + END + chain("start", "g", "end"),
        pid="broken",
    )
    with pytest.raises(DiagramError):
        manager.deploy(APPROVAL, broken)
    assert manager.definitions() == []


def test_unknown_key_lists_the_deployed_keys(manager: LifecycleManager) -> None:
    """Starting an unknown key names what is deployed and suggests the closest key."""
    manager.deploy(APPROVAL)
    with pytest.raises(DefinitionNotFoundError) as caught:
        manager.start("aproval")
    assert "approval" in str(caught.value)
    assert "did you mean 'approval'" in str(caught.value)


# ---------------------------------------------------------------- bad input


def test_non_json_variables_are_refused_and_nothing_is_saved(manager: LifecycleManager) -> None:
    """A variable that is not JSON is refused by name; no instance is created."""
    manager.deploy(APPROVAL)
    with pytest.raises(VariableError) as caught:
        manager.start("approval", {"ok": 1, "when": object()})
    assert caught.value.name == "when"
    assert manager.instances() == []


def test_completing_a_task_that_is_not_open_is_a_clear_error(manager: LifecycleManager) -> None:
    """A completed (or unknown) task id cannot be completed again."""
    manager.deploy(APPROVAL)
    instance = manager.start("approval")
    (task,) = manager.tasks(instance_id=instance.id)
    manager.complete_task(task.id)
    with pytest.raises(TaskNotFoundError, match=task.id):
        manager.complete_task(task.id)
    with pytest.raises(TaskNotFoundError):
        manager.complete_task("nope")


def test_unknown_instance_and_incident_ids(manager: LifecycleManager) -> None:
    """Look-ups of unknown ids raise our not-found errors."""
    with pytest.raises(InstanceNotFoundError):
        manager.instance("missing")
    with pytest.raises(InstanceNotFoundError):
        manager.history("missing")
    with pytest.raises(IncidentNotFoundError):
        manager.retry("missing")


def test_signal_nobody_waits_for_is_not_an_error(manager: LifecycleManager) -> None:
    """A signal without subscribers returns empty results, as in Camunda."""
    result = manager.signal("nobody.listens")
    assert (result.started, result.delivered) == ((), ())


# ---------------------------------------------------------------- signals and applicability


def test_signal_starts_every_matching_process(manager: LifecycleManager) -> None:
    """A signal start event starts the latest version of every process subscribed to it."""
    manager.deploy(signal_start("one", "model.changed"), signal_start("two", "model.changed"))
    result = manager.signal("model.changed", {"DEPLOYABLE_MODEL": {"id": "snap-1"}})
    keys = sorted(manager.instance(i).key for i in result.started)
    assert keys == ["one", "two"]
    assert manager.instance(result.started[0]).variables["DEPLOYABLE_MODEL"] == {"id": "snap-1"}


def test_applies_to_narrows_which_processes_a_model_starts(manager: LifecycleManager) -> None:
    """`applies_to` (or `mlc.appliesTo.*` properties) limit signal starts to matching models."""
    props = (
        "<bpmn:extensionElements><camunda:properties><camunda:property "
        'name="mlc.appliesTo.type" value="R"/></camunda:properties></bpmn:extensionElements>'
    )
    manager.deploy(signal_start("r_only", "changed", extra_props=props))
    manager.deploy(signal_start("python_only", "changed"), applies_to={"type": ["PYTHON3"]})
    manager.deploy(signal_start("every_model", "changed"))

    def started_for(model_type: str) -> list[str]:
        model = {"storedModel": {"modelMetaData": {"type": model_type}}}
        result = manager.signal("changed", {"DEPLOYABLE_MODEL": model})
        return sorted(manager.instance(i).key for i in result.started)

    assert started_for("PYTHON3") == ["every_model", "python_only"]
    assert started_for("R") == ["every_model", "r_only"]


def test_signal_thrown_by_one_instance_reaches_another(manager: LifecycleManager) -> None:
    """An intermediate signal throw event broadcasts to other instances."""
    thrower = process(
        START + '<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition '
        'signalRef="sig"/></bpmn:intermediateThrowEvent>' + END + chain("start", "t", "end"),
        pid="thrower",
        extra='<bpmn:signal id="sig" name="ping"/>',
    )
    catcher = process(
        START + '<bpmn:intermediateCatchEvent id="c"><bpmn:signalEventDefinition '
        'signalRef="sig"/></bpmn:intermediateCatchEvent>' + END + chain("start", "c", "end"),
        pid="catcher",
        extra='<bpmn:signal id="sig" name="ping"/>',
    )
    manager.deploy(thrower, catcher)
    waiting = manager.start("catcher")
    manager.start("thrower")
    assert manager.instance(waiting.id).status == "completed"


# ---------------------------------------------------------------- messages


def _receiver(pid: str = "receiver") -> str:
    return process(
        START + '<bpmn:receiveTask id="rcv" messageRef="m"/>' + END + chain("start", "rcv", "end"),
        pid=pid,
        extra='<bpmn:message id="m" name="ticket.done"/>',
    )


def test_message_correlates_to_exactly_one_receiver(manager: LifecycleManager) -> None:
    """Zero or several receivers are clear errors; business key and keys narrow it down."""
    manager.deploy(_receiver())
    with pytest.raises(CorrelationError) as none:
        manager.message("ticket.done")
    assert none.value.matches == 0
    first = manager.start("receiver", {"ticket": "MLC-1"}, business_key="a")
    second = manager.start("receiver", {"ticket": "MLC-2"}, business_key="b")
    with pytest.raises(CorrelationError) as several:
        manager.message("ticket.done")
    assert several.value.matches == 2
    assert "message_all()" in str(several.value)
    result = manager.message(
        "ticket.done", {"status": "Done"}, correlation_keys={"ticket": "MLC-2"}
    )
    assert result.instance_id == second.id
    assert manager.instance(second.id).variables["status"] == "Done"
    assert manager.message("ticket.done", business_key="a").instance_id == first.id


def test_message_to_all_and_message_start(manager: LifecycleManager) -> None:
    """`message_all` delivers to every receiver; a message start event starts one instance."""
    started_by_message = process(
        '<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
        '<bpmn:userTask id="triage"/>' + END + chain("s", "triage", "end"),
        pid="intake",
        extra='<bpmn:message id="m" name="model.submitted"/>',
    )
    manager.deploy(_receiver(), started_by_message)
    a = manager.start("receiver")
    b = manager.start("receiver")
    results = manager.message_all("ticket.done")
    assert sorted(r.instance_id for r in results) == sorted([a.id, b.id])
    started = manager.message("model.submitted", {"model": "m1"}, business_key="snap-9")
    assert started.started
    instance = manager.instance(started.instance_id)
    assert (instance.key, instance.business_key, instance.waiting_at) == (
        "intake",
        "snap-9",
        ("triage",),
    )


def test_the_all_flag_of_message_still_works_with_a_deprecation_warning(
    manager: LifecycleManager,
) -> None:
    """`message(..., all=True)` warns and delivers like `message_all`; `all=False` like `message`."""
    manager.deploy(_receiver())
    a = manager.start("receiver", business_key="a")
    b = manager.start("receiver", business_key="b")
    with pytest.warns(DeprecationWarning, match="message_all"):
        results = manager.message("ticket.done", {"status": "Done"}, all=True)
    assert sorted(r.instance_id for r in results) == sorted([a.id, b.id])
    c = manager.start("receiver", business_key="c")
    with pytest.warns(DeprecationWarning, match="message_all"):
        single = manager.message("ticket.done", business_key="c", all=False)
    assert single.instance_id == c.id


# ---------------------------------------------------------------- jobs, retries, incidents

JOB = process(
    START + '<bpmn:serviceTask id="deploy" name="Deploy" camunda:class="DeployModel">'
    "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT1M"
    "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
    + END
    + chain("start", "deploy", "end"),
    pid="job",
)


def test_async_delegate_runs_as_a_job(manager: LifecycleManager) -> None:
    """An asynchronous delegate runs outside the starting step, on run_due()."""
    calls: list[str] = []

    @manager.delegate("DeployModel", asynchronous=True)
    def deploy(ctx: Any) -> dict[str, Any]:
        calls.append(ctx.idempotency_key)
        return {"DEPLOYED_MODEL": {"id": "d1"}}

    manager.deploy(JOB)
    instance = manager.start("job")
    assert (instance.status, instance.waiting_at, calls) == ("running", ("deploy",), [])
    assert manager.run_due() == 1
    final = manager.instance(instance.id)
    assert final.status == "completed"
    assert final.variables["DEPLOYED_MODEL"] == {"id": "d1"}
    assert calls[0].startswith(instance.id + ":")


def test_failing_job_retries_then_raises_an_incident_that_retry_resolves(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A failing delegate is retried per failedJobRetryTimeCycle, then an incident; retry()
    resumes with the same idempotency key."""
    attempts: list[tuple[int, str]] = []
    broken = {"yes": True}

    @manager.delegate("DeployModel", asynchronous=True)
    def deploy(ctx: Any) -> None:
        attempts.append((ctx.attempt, ctx.idempotency_key))
        if broken["yes"]:
            raise RuntimeError("runtime unreachable")

    manager.deploy(JOB)
    instance = manager.start("job")
    manager.run_due()
    for _ in range(2):
        assert manager.run_due() == 0  # not due before the retry delay
        clock.advance(timedelta(minutes=1))
        manager.run_due()
    assert [a for a, _ in attempts] == [1, 2, 3]
    assert len({key for _, key in attempts}) == 1
    assert manager.instance(instance.id).status == "incident"
    (incident,) = manager.incidents(instance_id=instance.id)
    assert "runtime unreachable" in incident.message
    assert "deploy" in incident.message
    broken["yes"] = False
    assert manager.retry(incident.id).status == "completed"
    assert manager.incidents() == []
    kinds = [h.kind for h in manager.history(instance.id, limit=None)]
    assert kinds.count("job_failed") == 3
    assert "incident" in kinds and "incident_resolved" in kinds


def test_inline_delegate_failure_becomes_a_retried_job(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """An inline delegate that fails does not lose the start: it is retried as a job."""
    outcomes = iter([RuntimeError("flaky"), None])

    @manager.delegate("DeployModel")
    def deploy(ctx: Any) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    manager.deploy(JOB)
    instance = manager.start("job")
    assert instance.status == "running"
    (job,) = manager.store.jobs(instance.id)
    assert "flaky" in (job.last_error or "")
    clock.advance(timedelta(minutes=1))
    manager.run_due()
    assert manager.instance(instance.id).status == "completed"


def test_bpmn_error_from_async_job_takes_the_boundary(manager: LifecycleManager) -> None:
    """A job's BpmnError routes the instance through the error boundary."""
    manager.register_delegate(
        "DeployModel",
        lambda ctx: (_ for _ in ()).throw(BpmnError("FAILURE", "no runtime")),
        asynchronous=True,
    )
    xml = process(
        START + '<bpmn:serviceTask id="deploy" camunda:class="DeployModel"/>'
        '<bpmn:boundaryEvent id="b" attachedToRef="deploy"><bpmn:errorEventDefinition/>'
        '</bpmn:boundaryEvent><bpmn:userTask id="fix"/>'
        + END
        + chain("start", "deploy", "end")
        + flow("x", "b", "fix"),
        pid="job",
    )
    manager.deploy(xml)
    instance = manager.start("job")
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("fix",)


def test_cancel_removes_waits_and_records_the_reason(manager: LifecycleManager) -> None:
    """A cancelled instance has no open tasks and says why in its history."""
    manager.deploy(APPROVAL)
    instance = manager.start("approval")
    cancelled = manager.cancel(instance.id, "model retired")
    assert cancelled.status == "cancelled"
    assert manager.tasks() == []
    assert manager.history(instance.id, limit=None)[-1].detail == {"reason": "model retired"}
    with pytest.raises(ProcessError):
        manager.cancel(instance.id)


# ---------------------------------------------------------------- history and queries


def test_history_records_the_path_with_timestamps(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """History has the start, every activity, the variable changes and the end, in order."""
    manager.deploy(APPROVAL)
    instance = manager.start("approval", {"model": "m1"}, business_key="snap-1")
    clock.advance(timedelta(hours=5))
    manager.complete_task(manager.tasks()[0].id, {"reviewResult": "APPROVED"})
    events = manager.history(instance.id, limit=None)
    kinds = [(e.kind, e.activity_id) for e in events if e.kind != "flow_taken"]
    assert kinds[0] == ("instance_start", "start")
    assert ("activity_start", "approve") in kinds
    assert kinds[-1] == ("instance_end", None)
    ends = {e.activity_id: e.at for e in events if e.kind == "activity_end"}
    starts = {e.activity_id: e.at for e in events if e.kind == "activity_start"}
    assert ends["approve"] - starts["approve"] == timedelta(hours=5)
    updates = [e for e in events if e.kind == "variable_update"]
    assert updates[-1].detail["values"] == {"reviewResult": "APPROVED"}
    assert [e.seq for e in events] == sorted(e.seq for e in events)


def test_instances_filters(manager: LifecycleManager) -> None:
    """Instances can be listed by status, key and business key."""
    manager.deploy(APPROVAL, _receiver())
    a = manager.start("approval", business_key="x")
    manager.start("receiver", business_key="y")
    manager.complete_task(manager.tasks(instance_id=a.id)[0].id)
    assert [i.id for i in manager.instances(status="completed")] == [a.id]
    assert [i.business_key for i in manager.instances(key="receiver")] == ["y"]
    assert [i.key for i in manager.instances(business_key="x")] == ["approval"]


def test_state_survives_a_new_manager_on_the_same_file(tmp_path: Path, clock: ManualClock) -> None:
    """A second manager on the same database continues where the first stopped."""
    first = LifecycleManager.open(tmp_path / "shared.db", clock=clock)
    first.deploy(APPROVAL)
    instance = first.start("approval")
    first.close()
    second = LifecycleManager.open(f"sqlite:///{tmp_path / 'shared.db'}", clock=clock)
    try:
        (task,) = second.tasks()
        assert second.complete_task(task.id).status == "completed"
        assert second.instance(instance.id).status == "completed"
    finally:
        second.close()


def test_stored_state_excludes_the_spec(manager: LifecycleManager) -> None:
    """The instance row holds the task tree only; the spec is stored once per version."""
    manager.deploy(APPROVAL)
    instance = manager.start("approval")
    row = manager.store.get_instance(instance.id)
    assert row is not None
    text = json.dumps(row.state)
    assert "bpmn:" not in text
    assert "task_specs" not in text
    assert len(text) < 3000


def test_config_from_env_reads_prefixed_values() -> None:
    """ManagerConfig.from_env reads MLC_* values and rejects bad ones clearly."""
    config = ManagerConfig.from_env(environ={"MLC_JOB_LEASE_SECONDS": "30"})
    assert config.job_lease_seconds == 30
    from modelop_mlc import ConfigurationError

    with pytest.raises(ConfigurationError, match="MLC_"):
        ManagerConfig.from_env(environ={"MLC_MAX_CONFLICT_RETRIES": "zero"})


def test_a_start_that_fails_names_no_instance(manager: LifecycleManager) -> None:
    """An expression error in the first steps says nothing was started and stores nothing."""
    manager.deploy(
        process(
            '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f3"/>'
            '<bpmn:endEvent id="e"/>'
            + flow("f1", "s", "g")
            + flow("f2", "g", "e", "${missing}")
            + flow("f3", "g", "e"),
            "broken_start",
        )
    )
    with pytest.raises(ProcessError) as caught:
        manager.start("broken_start")
    assert caught.value.instance_id is None
    assert "nothing was stored" in "".join(caught.value.__notes__)
    assert manager.instances(key="broken_start") == []
