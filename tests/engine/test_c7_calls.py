"""Call activities as Camunda 7 runs them: each call is a child instance of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn_xml import HEADER, chain
from c7_elements import camunda7, refused
from modelop_mlc import DiagramError, LifecycleManager, ManualClock, ProcessError


def _definitions(*processes: str) -> str:
    return HEADER + "".join(processes) + "</bpmn:definitions>"


def _process(pid: str, body: str, attrs: str = "") -> str:
    return f'<bpmn:process id="{pid}" isExecutable="true"{attrs}>{body}</bpmn:process>'


def _call(
    extension: str = "",
    attrs: str = "",
    called: str = "child",
    inner: str = "",
    call_id: str = "call",
) -> str:
    ext = f"<bpmn:extensionElements>{extension}</bpmn:extensionElements>" if extension else ""
    return (
        f'<bpmn:callActivity id="{call_id}" calledElement="{called}"{attrs}>{ext}{inner}'
        "</bpmn:callActivity>"
    )


def _caller(call: str, after: str = "", pid: str = "parent") -> str:
    return _process(
        pid,
        '<bpmn:startEvent id="s"/>'
        + call
        + '<bpmn:userTask id="after"/><bpmn:endEvent id="e"/>'
        + after
        + chain("s", "call", "after", "e"),
    )


CHILD_WAITS = _process(
    "child",
    '<bpmn:startEvent id="cs"/><bpmn:userTask id="work"/><bpmn:endEvent id="ce"/>'
    + chain("cs", "work", "ce"),
)


def _kinds(manager: LifecycleManager, instance_id: str) -> list[tuple[str, str | None]]:
    return [
        (h.kind, h.activity_id)
        for h in manager.history(instance_id)
        if h.kind not in ("flow_taken", "variable_update")
    ]


def _only_child(manager: LifecycleManager, parent_id: str) -> str:
    (child,) = manager.instances(super_instance_id=parent_id)
    return child.id


def _finish(manager: LifecycleManager, instance_id: str, values: dict[str, object]) -> None:
    (task,) = manager.tasks(instance_id=instance_id)
    manager.complete_task(task.id, values)


@camunda7(
    "call activity",
    "starts a process instance of its own (id, record, history, variables, no business key "
    "unless mapped), linked to the caller, which waits until it ends",
)
def test_call_activity_starts_a_child_instance(manager: LifecycleManager) -> None:
    """The child has its own id, record and history; the caller waits at the call activity."""
    manager.deploy(_definitions(CHILD_WAITS, _caller(_call())))
    parent = manager.start("parent", {"secret": 1}, business_key="BK-1")
    assert parent.status == "running"
    assert parent.waiting_at == ("call",)
    assert parent.super_instance_id is None
    assert parent.root_instance_id == parent.id
    child = manager.instance(_only_child(manager, parent.id))
    assert child.id != parent.id
    assert child.key == "child"
    assert child.business_key is None  # Camunda passes none unless camunda:in businessKey
    assert child.variables == {}  # nothing is passed without camunda:in
    assert (child.super_instance_id, child.super_activity_id) == (parent.id, "call")
    assert child.root_instance_id == parent.id
    assert child.waiting_at == ("work",)
    # The caller's history holds the call activity, not what the called process ran.
    assert _kinds(manager, parent.id) == [
        ("instance_start", "s"),
        ("activity_start", "s"),
        ("activity_end", "s"),
        ("activity_start", "call"),
    ]
    assert _kinds(manager, child.id)[:4] == [
        ("instance_start", "cs"),
        ("activity_start", "cs"),
        ("activity_end", "cs"),
        ("activity_start", "work"),
    ]
    # Camunda's historic activity instance of the call activity names the called instance.
    call_start = next(h for h in manager.history(parent.id) if h.activity_id == "call")
    assert call_start.detail == {"called_instance": child.id}
    start = next(h for h in manager.history(child.id) if h.kind == "instance_start")
    assert start.detail["origin"] == "call_activity"
    assert start.detail["super_instance_id"] == parent.id

    _finish(manager, child.id, {})
    assert manager.instance(child.id).status == "completed"
    resumed = manager.instance(parent.id)
    assert resumed.status == "running"
    assert resumed.waiting_at == ("after",)
    assert _kinds(manager, parent.id)[4:] == [
        ("called_instance_ended", "call"),
        ("activity_end", "call"),
        ("activity_start", "after"),
    ]


@camunda7(
    "camunda:in businessKey",
    "the expression, evaluated in the caller, is the child's business key",
)
def test_business_key_is_mapped_with_camunda_in(manager: LifecycleManager) -> None:
    """`camunda:in businessKey` gives the child a business key of its own."""
    call = _call('<camunda:in businessKey="#{execution.processBusinessKey}-${n}"/>')
    manager.deploy(_definitions(CHILD_WAITS, _caller(call)))
    parent = manager.start("parent", {"n": 7}, business_key="order")
    child = manager.instance(_only_child(manager, parent.id))
    assert child.business_key == "order-7"
    assert manager.instances(business_key="order-7")[0].id == child.id


@camunda7(
    "camunda:in and camunda:out (source, sourceExpression, variables all, local)",
    "in: evaluated in the caller when the call starts; out: evaluated in the child when it "
    "ends, set in the caller (local: on the call activity, for its output parameters)",
)
def test_in_and_out_mappings(manager: LifecycleManager) -> None:
    """Each mapping kind passes exactly what Camunda 7 passes, both ways."""
    call = _call(
        "<camunda:inputOutput>"
        '<camunda:inputParameter name="onlyHere">${base + 1}</camunda:inputParameter>'
        '<camunda:outputParameter name="fromLocal">${kept * 10}</camunda:outputParameter>'
        "</camunda:inputOutput>"
        '<camunda:in source="base" target="copied"/>'
        '<camunda:in sourceExpression="${base * 2}" target="doubled"/>'
        '<camunda:in source="onlyHere" target="localIn" local="true"/>'
        '<camunda:in source="base" target="notLocal" local="true"/>'
        '<camunda:out source="result" target="answer"/>'
        '<camunda:out sourceExpression="${result + copied}" target="sum"/>'
        '<camunda:out source="missing" target="nothing"/>'
        '<camunda:out source="result" target="kept" local="true"/>'
    )
    manager.deploy(_definitions(CHILD_WAITS, _caller(call)))
    parent = manager.start("parent", {"base": 2, "unrelated": "x"})
    child_id = _only_child(manager, parent.id)
    assert manager.variables(child_id) == {
        "copied": 2,
        "doubled": 4,
        "localIn": 3,
        "notLocal": None,  # local="true" reads only the call activity's local variables
    }
    _finish(manager, child_id, {"result": 40})
    assert manager.variables(parent.id) == {
        "base": 2,
        "unrelated": "x",
        "answer": 40,
        "sum": 42,
        "nothing": None,
        "fromLocal": 400,  # `kept` was local to the call activity, mapped on by its output
    }


def test_variables_all_both_ways(manager: LifecycleManager) -> None:
    """`variables="all"` passes every caller variable in and every child variable out."""
    call = _call('<camunda:in variables="all"/><camunda:out variables="all"/>')
    manager.deploy(_definitions(CHILD_WAITS, _caller(call)))
    parent = manager.start("parent", {"a": 1, "b": [1, 2]})
    child_id = _only_child(manager, parent.id)
    assert manager.variables(child_id) == {"a": 1, "b": [1, 2]}
    _finish(manager, child_id, {"a": 5, "c": "new"})
    assert manager.variables(parent.id) == {"a": 5, "b": [1, 2], "c": "new"}


@camunda7(
    "calledElementBinding (latest, deployment, version, versionTag) and calledElementVersion",
    "latest: the newest version when the call starts; deployment: the one deployed with the "
    "caller; version / versionTag: that version (an expression may name it)",
)
def test_called_element_bindings(manager: LifecycleManager) -> None:
    """Each binding picks the version Camunda 7 picks."""

    def child(tag: str) -> str:
        return _process(
            "child",
            f'<bpmn:startEvent id="cs"/><bpmn:scriptTask id="mark" scriptFormat="groovy">'
            f"<bpmn:script>execution.setVariable('got', '{tag}')</bpmn:script>"
            '</bpmn:scriptTask><bpmn:endEvent id="ce"/>' + chain("cs", "mark", "ce"),
            f' camunda:versionTag="{tag}"',
        )

    out = '<camunda:out source="got" target="got"/>'
    bindings = {
        "latest": "",
        "deployment": ' camunda:calledElementBinding="deployment"',
        "version": ' camunda:calledElementBinding="version" camunda:calledElementVersion="${v}"',
        "tag": ' camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="one"',
    }
    callers = [
        (f"{name}.bpmn", _definitions(_caller(_call(out, attrs), pid=f"by_{name}")))
        for name, attrs in bindings.items()
    ]
    manager.deploy(("child.bpmn", _definitions(child("one"))), *callers)
    manager.deploy(_definitions(child("two")))
    manager.deploy(_definitions(child("three")))
    got = {
        name: manager.variables(manager.start(f"by_{name}", {"v": 2}).id)["got"]
        for name in bindings
    }
    assert got == {"latest": "three", "deployment": "one", "version": "two", "tag": "one"}


@camunda7(
    "call activity whose called process ends at once",
    "the caller continues past the call activity in the same call that started it",
)
def test_child_that_ends_at_once_returns_at_once(manager: LifecycleManager) -> None:
    """A child without wait states ends in its first step; the caller goes on directly."""
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/><bpmn:endEvent id="ce"/>' + chain("cs", "ce"),
    )
    manager.deploy(_definitions(child, _caller(_call())))
    parent = manager.start("parent")
    assert parent.waiting_at == ("after",)
    (done,) = manager.instances(super_instance_id=parent.id)
    assert done.status == "completed"


@camunda7(
    "cancelling the calling instance (skipSubprocesses)",
    "the called instances are cancelled with it, down the chain; with skipSubprocesses they run on",
)
@pytest.mark.parametrize("skip", [False, True], ids=["cascade", "skip-subprocesses"])
def test_cancelling_the_caller_cancels_its_children(manager: LifecycleManager, skip: bool) -> None:
    """Cancelling the caller cancels child and grandchild, unless subprocesses are skipped."""
    middle = _process(
        "middle",
        '<bpmn:startEvent id="ms"/>'
        + _call(call_id="call2")
        + '<bpmn:endEvent id="me"/>'
        + chain("ms", "call2", "me"),
    )
    manager.deploy(_definitions(CHILD_WAITS, middle, _caller(_call(called="middle"))))
    parent = manager.start("parent")
    middle_id = _only_child(manager, parent.id)
    child_id = _only_child(manager, middle_id)
    assert manager.instance(child_id).root_instance_id == parent.id
    manager.cancel(parent.id, "stop", skip_subprocesses=skip)
    assert manager.instance(parent.id).status == "cancelled"
    expected = "running" if skip else "cancelled"
    assert manager.instance(middle_id).status == expected
    assert manager.instance(child_id).status == expected
    assert bool(manager.tasks(instance_id=child_id)) is skip
    if skip:
        # The detached children end on their own; nobody waits for them any more.
        _finish(manager, child_id, {})
        assert manager.instance(middle_id).status == "completed"
        assert manager.instance(parent.id).status == "cancelled"


def test_cancelling_a_child_leaves_its_caller_waiting(manager: LifecycleManager) -> None:
    """Cancelling a called instance does not move its caller on (Camunda 7 neither)."""
    manager.deploy(_definitions(CHILD_WAITS, _caller(_call())))
    parent = manager.start("parent")
    manager.cancel(_only_child(manager, parent.id))
    assert manager.instance(parent.id).waiting_at == ("call",)


@camunda7(
    "interrupting boundary event on a call activity",
    "cancels the call activity and the called instance with it; its variables are not mapped",
)
def test_interrupting_boundary_cancels_the_child(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A timer on the call activity fires: the child is cancelled, no out mapping happens."""
    timer = (
        '<bpmn:boundaryEvent id="late" attachedToRef="call"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        '</bpmn:boundaryEvent><bpmn:endEvent id="timeout"/>' + chain("late", "timeout")
    )
    call = _call('<camunda:out variables="all"/>')
    manager.deploy(_definitions(CHILD_WAITS, _caller(call, after=timer)))
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    manager.set_variables(child_id, {"leak": True})
    clock.advance(timedelta(hours=1))
    assert manager.run_due() == 1
    assert manager.instance(parent.id).status == "completed"
    assert "leak" not in manager.variables(parent.id)
    child = manager.instance(child_id)
    assert child.status == "cancelled"
    assert ("activity_cancel", "call") in _kinds(manager, parent.id)
    assert _kinds(manager, child_id)[-1] == ("instance_cancelled", None)


@camunda7(
    "multi-instance call activity",
    "one called instance per element, each with its own element variable; the caller goes "
    "on when all have ended",
)
def test_multi_instance_call_activity_starts_one_child_per_element(
    manager: LifecycleManager,
) -> None:
    """A parallel multi-instance call activity starts a child per element of the collection."""
    inner = (
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${items}" '
        'camunda:elementVariable="item"/>'
    )
    call = _call('<camunda:in source="item" target="item"/>', inner=inner)
    manager.deploy(_definitions(CHILD_WAITS, _caller(call)))
    parent = manager.start("parent", {"items": ["a", "b", "c"]})
    children = manager.instances(super_instance_id=parent.id)
    assert sorted(manager.variables(c.id)["item"] for c in children) == ["a", "b", "c"]
    called = [
        h.detail["called_instance"] for h in manager.history(parent.id) if h.activity_id == "call"
    ]
    assert sorted(called) == sorted(c.id for c in children)  # one per instance of the body
    for child in children[:2]:
        _finish(manager, child.id, {})
        assert manager.instance(parent.id).waiting_at == ("call",)
    _finish(manager, children[2].id, {})
    assert manager.instance(parent.id).waiting_at == ("after",)


@camunda7(
    "terminate end event in a called process",
    "ends the called instance only; the caller continues after the call activity",
)
def test_terminate_end_in_child_ends_only_the_child(manager: LifecycleManager) -> None:
    """A terminate end event in the child ends the child; the caller takes its next step."""
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:userTask id="left"/><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/>'
        '</bpmn:endEvent><bpmn:userTask id="right"/><bpmn:endEvent id="ce"/>'
        + chain("cs", "fork", "left", "stop")
        + chain("fork", "right", "ce"),
    )
    manager.deploy(_definitions(child, _caller(_call())))
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    left = next(t for t in manager.tasks(instance_id=child_id) if t.activity_id == "left")
    manager.complete_task(left.id)
    assert manager.instance(child_id).status == "completed"
    assert manager.instance(parent.id).waiting_at == ("after",)


@camunda7(
    "error thrown in a called process",
    "an error boundary event on the call activity (or an event sub-process of the caller) "
    "catches it; the called instance is terminated",
)
@pytest.mark.parametrize("waits", [True, False], ids=["later", "in-its-first-step"])
def test_error_in_child_reaches_the_boundary_on_the_call_activity(
    manager: LifecycleManager, waits: bool
) -> None:
    """An error end event in the child is caught by the error boundary on the call activity."""
    task = '<bpmn:userTask id="work"/>' if waits else '<bpmn:task id="work"/>'
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/>' + task + '<bpmn:endEvent id="fail">'
        '<bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>' + chain("cs", "work", "fail"),
    )
    boundary = (
        '<bpmn:boundaryEvent id="caught" attachedToRef="call">'
        '<bpmn:errorEventDefinition errorRef="Err" camunda:errorCodeVariable="code"/>'
        '</bpmn:boundaryEvent><bpmn:userTask id="handle"/>' + chain("caught", "handle")
    )
    xml = _definitions(child, _caller(_call(), after=boundary)).replace(
        "</bpmn:definitions>", '<bpmn:error id="Err" errorCode="E42"/></bpmn:definitions>'
    )
    manager.deploy(xml)
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    if waits:
        _finish(manager, child_id, {})
    resumed = manager.instance(parent.id)
    assert resumed.waiting_at == ("handle",)
    assert resumed.variables["code"] == "E42"
    child_record = manager.instance(child_id)
    assert child_record.status == "cancelled"
    assert ("called_instance_threw", "call") in _kinds(manager, parent.id)
    assert ("activity_cancel", "call") in _kinds(manager, parent.id)


def test_uncaught_error_in_child_ends_like_a_none_end(manager: LifecycleManager) -> None:
    """An error nobody catches ends the child's path; the child completes, the caller goes on."""
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>'
        + chain("cs", "fail"),
    )
    xml = _definitions(child, _caller(_call())).replace(
        "</bpmn:definitions>", '<bpmn:error id="Err" errorCode="E42"/></bpmn:definitions>'
    )
    manager.deploy(xml)
    parent = manager.start("parent")
    assert parent.waiting_at == ("after",)


@camunda7(
    "escalation thrown in a called process",
    "a non-interrupting escalation boundary event on the call activity starts a path in the "
    "caller; the called instance goes on",
)
def test_escalation_in_child_reaches_a_non_interrupting_boundary(
    manager: LifecycleManager,
) -> None:
    """An escalation from the child starts the caller's boundary path; the child goes on."""
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/><bpmn:intermediateThrowEvent id="up">'
        '<bpmn:escalationEventDefinition escalationRef="Esc"/></bpmn:intermediateThrowEvent>'
        '<bpmn:userTask id="work"/><bpmn:endEvent id="ce"/>' + chain("cs", "up", "work", "ce"),
    )
    boundary = (
        '<bpmn:boundaryEvent id="noticed" attachedToRef="call" cancelActivity="false">'
        '<bpmn:escalationEventDefinition escalationRef="Esc"/></bpmn:boundaryEvent>'
        '<bpmn:userTask id="inform"/>' + chain("noticed", "inform")
    )
    xml = _definitions(child, _caller(_call(), after=boundary)).replace(
        "</bpmn:definitions>",
        '<bpmn:escalation id="Esc" escalationCode="LATE"/></bpmn:definitions>',
    )
    manager.deploy(xml)
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    assert manager.instance(parent.id).waiting_at == ("call", "inform")
    assert manager.instance(child_id).waiting_at == ("work",)
    _finish(manager, child_id, {})
    assert manager.instance(parent.id).waiting_at == ("after", "inform")


@camunda7(
    "incident in a called instance",
    "the incident is repeated on the caller's call activity (cause and root cause incident); "
    "resolving the root cause resolves both",
)
def test_incident_in_child_is_visible_on_the_caller(manager: LifecycleManager) -> None:
    """A failed job in the child opens incidents on child and caller; a retry clears both."""
    failing = {"on": True}

    def flaky(_ctx: object) -> dict[str, object]:
        if failing["on"]:
            raise RuntimeError("backend down")
        return {"done": True}

    manager.register_delegate("Flaky", flaky)
    child = _process(
        "child",
        '<bpmn:startEvent id="cs"/><bpmn:serviceTask id="job" camunda:class="Flaky">'
        "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R0/PT1M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="ce"/>' + chain("cs", "job", "ce"),
    )
    manager.deploy(
        _definitions(child, _caller(_call('<camunda:out source="done" target="done"/>')))
    )
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    (root,) = manager.incidents(instance_id=child_id)
    (repeated,) = manager.incidents(instance_id=parent.id)
    assert (root.cause_incident_id, root.root_cause_incident_id) == (root.id, root.id)
    assert repeated.activity_id == "call"
    assert (repeated.cause_incident_id, repeated.root_cause_incident_id) == (root.id, root.id)
    assert manager.instance(parent.id).status == "incident"
    assert manager.instance(child_id).status == "incident"

    failing["on"] = False
    manager.retry(repeated.id)  # retrying the repeated incident retries its root cause
    assert manager.incidents(instance_id=child_id) == []
    assert manager.incidents(instance_id=parent.id) == []
    resumed = manager.instance(parent.id)
    assert resumed.status == "running"
    assert resumed.waiting_at == ("after",)
    assert resumed.variables == {"done": True}


def test_called_process_that_is_not_deployed_fails_the_step(manager: LifecycleManager) -> None:
    """A call to a process that is not deployed fails the caller's step; nothing is stored."""
    manager.deploy(_definitions(_caller(_call(called="nowhere"))))
    with pytest.raises(ProcessError, match="calls process 'nowhere'") as caught:
        manager.start("parent")
    assert caught.value.activity_id == "call"
    assert manager.instances() == []


@camunda7(
    "call activity shapes that cannot run here",
    "CMMN cases, Java variable mappings, tenant ids, a version binding without its version, "
    "mappings without source or target",
    refused("the element id, its line and what to change"),
)
@pytest.mark.parametrize(
    ("attrs", "extension", "message"),
    [
        (' camunda:calledElementTenantId="t1"', "", "calledElementTenantId"),
        (' camunda:variableMappingClass="org.Map"', "", "variableMappingClass"),
        (' camunda:calledElementBinding="version"', "", "needs camunda:calledElementVersion"),
        (' camunda:calledElementBinding="newest"', "", "is not one of latest"),
        ("", '<camunda:in target="x"/>', "needs source, sourceExpression"),
        ("", '<camunda:out source="x"/>', "needs a target"),
    ],
    ids=["tenant", "java-mapping", "version", "binding", "in-source", "out-target"],
)
def test_call_activity_shapes_that_cannot_run_are_refused(
    manager: LifecycleManager, attrs: str, extension: str, message: str
) -> None:
    """What Camunda 7 refuses, or what cannot run here, is refused at deploy, at its line."""
    with pytest.raises(DiagramError, match=message) as caught:
        manager.deploy(_definitions(CHILD_WAITS, _caller(_call(extension, attrs))))
    (problem,) = caught.value.problems
    assert problem.element_id == "call"
    assert problem.line is not None


def test_a_caller_that_cannot_take_the_result_gets_an_incident(manager: LifecycleManager) -> None:
    """The caller's step after the child's end fails: an incident; a retry hands it back again."""
    broken = {"on": True}

    def check(_ctx: object) -> None:
        if broken["on"]:
            raise RuntimeError("audit log unavailable")

    manager.register_delegate("Audit", check)
    listener = (
        '<camunda:executionListener event="end" class="Audit"/>'
        '<camunda:out source="result" target="result"/>'
    )
    manager.deploy(_definitions(CHILD_WAITS, _caller(_call(listener))))
    parent = manager.start("parent")
    child_id = _only_child(manager, parent.id)
    _finish(manager, child_id, {"result": 7})
    assert manager.instance(child_id).status == "completed"
    (incident,) = manager.incidents(instance_id=parent.id)
    assert incident.kind == "failed_call_return"
    assert incident.activity_id == "call"
    assert "audit log unavailable" in incident.message
    waiting = manager.instance(parent.id)
    assert (waiting.status, waiting.waiting_at) == ("incident", ("call",))

    broken["on"] = False
    manager.retry(incident.id)
    resumed = manager.instance(parent.id)
    assert (resumed.status, resumed.waiting_at) == ("running", ("after",))
    assert resumed.variables == {"result": 7}
