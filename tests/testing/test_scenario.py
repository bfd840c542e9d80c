"""Scenarios: declared answers for user tasks, delegates and tickets, run to the end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import DelegateContext, LifecycleManager, ManualClock
from modelop_mlc.testing import ProcessHarness, Scenario, TicketAnswers, UserTaskAnswers

START = '<bpmn:startEvent id="start"/>'


def service(element_id: str, delegate: str) -> str:
    """A service task calling a delegate by class name."""
    return f'<bpmn:serviceTask id="{element_id}" camunda:class="{delegate}"/>'


# Test, approve (with daily reminders), deploy; a failed deployment notifies someone.
REVIEW = process(
    START
    + service("run_test", "RunTest")
    + '<bpmn:userTask id="approve" camunda:candidateGroups="approvers"/>'
    + '<bpmn:boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false">'
    "<bpmn:timerEventDefinition><bpmn:timeCycle>R5/P1D</bpmn:timeCycle>"
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    + service("send_reminder", "SendReminder")
    + '<bpmn:endEvent id="reminded"/>'
    + '<bpmn:exclusiveGateway id="decided" default="approved"/>'
    + service("deploy", "DeployModel")
    + '<bpmn:boundaryEvent id="deploy_failed" attachedToRef="deploy">'
    "<bpmn:errorEventDefinition/></bpmn:boundaryEvent>"
    + service("notify", "Notify")
    + '<bpmn:endEvent id="deployed"/><bpmn:endEvent id="rejected_end"/>'
    + '<bpmn:endEvent id="failed_end"/>'
    + chain("start", "run_test", "approve", "decided")
    + chain("remind", "send_reminder", "reminded")
    + flow("approved", "decided", "deploy")
    + flow("rejected", "decided", "rejected_end", '${reviewResult == "REJECTED"}')
    + chain("deploy", "deployed")
    + chain("deploy_failed", "notify", "failed_end"),
    pid="review",
)


@pytest.fixture(name="scenario")
def _scenario(mlc_harness: ProcessHarness) -> Scenario:
    scenario = mlc_harness.scenario()
    scenario.delegate("RunTest").returns({"TEST_RESULT": {"auc": 0.91}})
    scenario.delegate("SendReminder").returns({"reminded": True})
    scenario.delegate("Notify")
    mlc_harness.deploy(REVIEW)
    return scenario


def test_approved_model_is_deployed(mlc_harness: ProcessHarness, scenario: Scenario) -> None:
    """Declared answers drive the instance from start to the deployed end."""
    scenario.at("approve").complete({"reviewResult": "APPROVED"})
    deploy = scenario.delegate("DeployModel").returns({"DEPLOYED_MODEL": {"id": "d1"}})
    scenario.start("review")
    final = scenario.run()
    check = mlc_harness.assert_that(final).is_completed()
    check.has_passed_in_order("run_test", "approve", "approved", "deploy", "deployed")
    check.has_not_passed("remind").has_variables(DEPLOYED_MODEL={"id": "d1"})
    assert [c.activity_id for c in deploy.calls] == ["deploy"]
    assert deploy.calls[0].variables["reviewResult"] == "APPROVED"
    assert scenario.unused() == ["delegate('SendReminder').returns({'reminded': True})"]


def test_deferred_completion_lets_reminders_fire_first(
    mlc_harness: ProcessHarness, scenario: Scenario
) -> None:
    """`complete_after` travels in time: the daily reminders fire before the approval."""
    begin = mlc_harness.now()
    scenario.at("approve").complete_after(timedelta(days=3, hours=1), {"reviewResult": "REJECTED"})
    reminders = scenario.delegate("SendReminder")
    instance = scenario.start("review")
    final = scenario.run()
    mlc_harness.assert_that(final).is_completed().has_passed("remind", "rejected_end")
    assert len(reminders.calls) == 3
    sent = [
        e.at - begin
        for e in mlc_harness.history(instance)
        if e.kind == "activity_start" and e.activity_id == "send_reminder"
    ]
    assert [timedelta(days=1), timedelta(days=2), timedelta(days=3)] == sent
    assert begin + timedelta(days=3, hours=1) == mlc_harness.now()


def test_bpmn_error_answer_takes_the_error_boundary(
    mlc_harness: ProcessHarness, scenario: Scenario
) -> None:
    """A delegate answering with a BPMN error routes the instance along the boundary."""
    scenario.at("approve").complete({"reviewResult": "APPROVED"})
    scenario.delegate("DeployModel").raises_bpmn_error("FAILURE", "no runtime")
    scenario.start("review")
    check = mlc_harness.assert_that(scenario.run()).is_completed()
    check.has_passed("deploy_failed", "notify", "failed_end").has_not_passed("deployed")


def test_failing_delegate_is_retried_through_time(mlc_harness: ProcessHarness) -> None:
    """An exception answer is retried per the retry cycle; the next answer then succeeds."""
    xml = process(
        START + '<bpmn:serviceTask id="deploy" camunda:class="DeployModel">'
        "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT10M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="end"/>' + chain("start", "deploy", "end"),
        pid="deploying",
    )
    scenario = mlc_harness.scenario()
    deploy = scenario.delegate("DeployModel", asynchronous=True)
    deploy.raises(RuntimeError("runtime down")).returns({"DEPLOYED": True})
    mlc_harness.deploy(xml)
    begin = mlc_harness.now()
    instance = scenario.start("deploying")
    mlc_harness.assert_that(scenario.run()).is_completed().has_variables(DEPLOYED=True)
    assert [c.attempt for c in deploy.calls] == [1, 2]
    failed = [e.at for e in mlc_harness.history(instance) if e.kind == "job_failed"]
    assert [begin] == failed
    assert begin + timedelta(minutes=10) == mlc_harness.now()


def test_stuck_scenario_says_where_and_what_was_never_used(
    mlc_harness: ProcessHarness, scenario: Scenario
) -> None:
    """Without an answer for a waiting task the run travels on, then fails with the picture."""
    scenario.at("review_docs").complete({"ok": True})
    instance = scenario.start("review")
    with pytest.raises(AssertionError) as caught:
        scenario.run()
    message = str(caught.value)
    assert message.startswith("scenario stuck: no declared answer applies and nothing is")
    assert f"instance {instance.id} (review v1) waits at ['approve'] (status running)" in message
    assert "path:       start → run_test → approve → send_reminder → reminded → " in message
    assert "answers never used: at('review_docs').complete({'ok': True})" in message
    assert "delegate('Notify')" not in message
    assert len(scenario.delegate("SendReminder").calls) == 5


def test_deferred_answer_is_dropped_when_the_task_goes_away(mlc_harness: ProcessHarness) -> None:
    """An interrupting timer that closes the task first wins over a later completion."""
    xml = process(
        START + '<bpmn:userTask id="approve"/><bpmn:boundaryEvent id="too_late" '
        'attachedToRef="approve"><bpmn:timerEventDefinition><bpmn:timeDuration>P2D'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="done"/><bpmn:endEvent id="escalated"/>'
        + chain("start", "approve", "done")
        + chain("too_late", "escalated"),
        pid="escalation",
    )
    mlc_harness.deploy(xml)
    scenario = mlc_harness.scenario()
    scenario.at("approve").complete_after(timedelta(days=3), {"ok": True})
    scenario.start("escalation")
    check = mlc_harness.assert_that(scenario.run()).is_completed()
    check.has_passed("too_late", "escalated").has_not_passed("done").has_no_variables("ok")


def test_until_stops_at_an_activity(mlc_harness: ProcessHarness, scenario: Scenario) -> None:
    """`run(until=...)` returns as soon as the instance waits there."""
    instance = scenario.start("review")
    stopped = scenario.run(until="approve")
    assert stopped.id == instance.id
    mlc_harness.assert_that(stopped).is_waiting_at("approve").has_passed("run_test")


def test_called_instances_are_answered_and_until_stops_in_them(
    mlc_harness: ProcessHarness, scenario: Scenario
) -> None:
    """A call activity's child is answered like a followed instance; `until` stops in it."""
    caller = process(
        START + '<bpmn:callActivity id="call_review" calledElement="review">'
        '<bpmn:extensionElements><camunda:out variables="all"/></bpmn:extensionElements>'
        '</bpmn:callActivity><bpmn:endEvent id="done"/>' + chain("start", "call_review", "done"),
        pid="caller",
    )
    mlc_harness.deploy(caller)
    scenario.at("approve").complete({"reviewResult": "APPROVED"})
    scenario.delegate("DeployModel")
    instance = scenario.start("caller")
    stopped = scenario.run(until="approve")
    assert (stopped.key, stopped.super_instance_id) == ("review", instance.id)
    final = scenario.run()
    assert final.id == instance.id
    mlc_harness.assert_that(final).is_completed().has_variables(reviewResult="APPROVED")
    mlc_harness.assert_that(stopped).is_completed().has_passed("approve", "deployed")


def test_max_steps_bounds_a_run(mlc_harness: ProcessHarness, scenario: Scenario) -> None:
    """A run that needs more steps than allowed fails, naming the limit."""
    scenario.at("approve").complete_after(timedelta(days=4), {"reviewResult": "APPROVED"})
    scenario.delegate("DeployModel")
    scenario.start("review")
    with pytest.raises(AssertionError, match="it did not finish within 2 steps"):
        scenario.run(max_steps=2)
    assert scenario.steps == 2
    mlc_harness.assert_that(scenario.run()).is_completed()


def test_signal_scenarios_follow_every_started_instance(mlc_harness: ProcessHarness) -> None:
    """Instances started by a signal are followed to their ends."""
    started = process(
        '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
        '</bpmn:startEvent><bpmn:userTask id="triage"/><bpmn:endEvent id="end"/>'
        + chain("s", "triage", "end"),
        pid="intake",
        extra='<bpmn:signal id="sig" name="model.changed"/>',
    )
    mlc_harness.deploy(started, started.replace('"intake"', '"intake_two"'))
    scenario = mlc_harness.scenario()
    scenario.at("triage").complete({"triaged": True})
    result = scenario.signal("model.changed", {"model": "m1"})
    scenario.run()
    assert len(result.started) == 2
    for instance in scenario.instances:
        mlc_harness.assert_that(instance).is_completed().has_variables(model="m1", triaged=True)
    assert scenario.at("triage").visits == 2


def test_answers_are_used_in_order_and_the_last_repeats(mlc_harness: ProcessHarness) -> None:
    """A looping task takes its answers in order; the last answer repeats."""
    xml = process(
        START
        + '<bpmn:userTask id="review"/><bpmn:exclusiveGateway id="ok" default="again"/>'
        + '<bpmn:endEvent id="end"/>'
        + chain("start", "review", "ok")
        + flow("again", "ok", "review")
        + flow("accepted", "ok", "end", "${rounds >= 3}"),
        pid="rounds",
    )
    mlc_harness.deploy(xml)
    scenario = mlc_harness.scenario()
    scenario.at("review").complete({"rounds": 1}).complete({"rounds": 2}).complete({"rounds": 3})
    scenario.at("unused").complete()
    scenario.start("rounds")
    mlc_harness.assert_that(scenario.run()).is_completed().has_variables(rounds=3)
    assert scenario.unused() == ["at('unused').complete()"]


def test_replaced_delegates_come_back(mlc_manager: LifecycleManager) -> None:
    """Closing a scenario restores the original delegates, aliases included."""
    registry = mlc_manager.registry
    original = registry.resolve(("HttpRequest",))
    assert original is not None
    with ProcessHarness(mlc_manager) as harness:
        scenario = harness.scenario()
        answers = scenario.delegate("HttpRequest").returns({"status": 200})
        helper = scenario.delegate("OnlyInScenario")
        assert registry.resolve(("http-connector",)).function is answers  # type: ignore[union-attr]
        assert registry.resolve(("OnlyInScenario",)).function is helper  # type: ignore[union-attr]
    assert registry.resolve(("HttpRequest",)) == original
    assert registry.resolve(("http-connector",)) == original
    retired = registry.resolve(("OnlyInScenario",))
    assert retired is not None
    context = DelegateContext(
        variables={},
        inputs={},
        instance_id="i",
        activity_id="call",
        activity_name=None,
        business_key=None,
        idempotency_key="k",
        clock=ManualClock(),
    )
    with pytest.raises(RuntimeError, match="only answered by a scenario that has been closed"):
        retired.function(context)


def test_scenario_as_context_manager(mlc_harness: ProcessHarness) -> None:
    """A `with` block restores the delegates when it ends."""
    calls: list[str] = []
    mlc_harness.manager.register_delegate("RunTest", lambda ctx: calls.append("real"))
    with Scenario(mlc_harness) as scenario:
        replaced = scenario.delegate("RunTest")
        assert mlc_harness.manager.registry.resolve(("RunTest",)).function is replaced  # type: ignore[union-attr]
    entry = mlc_harness.manager.registry.resolve(("RunTest",))
    assert entry is not None
    assert entry.function is not replaced


def test_declaration_errors() -> None:
    """Bad declarations fail when made, not when the run reaches them."""
    with pytest.raises(ValueError, match="before it opens"):
        UserTaskAnswers("approve").complete_after(timedelta(hours=-1))
    with pytest.raises(ValueError, match="before it exists"):
        TicketAnswers("model_approval").moves_to_after(timedelta(hours=-1), "Done")


def test_run_needs_an_instance_and_tickets_are_local(mlc_harness: ProcessHarness) -> None:
    """Running with nothing followed, or moving Jira tickets, is refused with the fix."""
    scenario = mlc_harness.scenario()
    with pytest.raises(ValueError, match="call start"):
        scenario.run()
    with pytest.raises(ValueError, match="embedded board only, not in 'jira'"):
        scenario.ticket(kind="model_approval", system="jira")


# ---------------------------------------------------------------------- tickets

APPROVAL_TICKET = process(
    START
    + '<bpmn:serviceTask id="open_ticket" camunda:class="CreateJiraModelApproval"/>'
    + '<bpmn:serviceTask id="wait_ticket" camunda:class="WaitForTicketStatus"/>'
    + '<bpmn:exclusiveGateway id="answered" default="approved"/>'
    + service("deploy", "DeployModel")
    + '<bpmn:endEvent id="deployed"/><bpmn:endEvent id="rejected_end"/>'
    + chain("start", "open_ticket", "wait_ticket", "answered")
    + flow("approved", "answered", "deploy")
    + flow("rejected", "answered", "rejected_end", '${TICKET_STATUS == "Rejected"}')
    + chain("deploy", "deployed"),
    pid="ticket_approval",
)


def test_tickets_move_on_the_board_and_wake_the_waiting_delegate(
    mlc_harness: ProcessHarness, mlc_tickets: Any
) -> None:
    """A declared ticket answer moves the approval ticket; the parked wait resumes at once."""
    scenario = mlc_harness.scenario()
    scenario.delegate("DeployModel").returns({"DEPLOYED": True})
    tickets = scenario.ticket(kind="model_approval").moves_to(
        "Done", fields={"Expiration Date": "2027-01-31"}
    )
    mlc_harness.deploy(APPROVAL_TICKET)
    begin = mlc_harness.now()
    scenario.start("ticket_approval", {"MODEL_NAME": "churn"})
    final = scenario.run()
    check = mlc_harness.assert_that(final).is_completed().has_passed("deployed")
    check.has_variables(TICKET_STATUS="Done")
    (key,) = tickets.moved
    ticket = mlc_tickets.local.get(key)
    assert (ticket.status, ticket.fields["Expiration Date"]) == ("Done", "2027-01-31")
    assert begin == mlc_harness.now()  # the wake made waiting for the next poll unnecessary


def test_a_later_ticket_answer_waits_for_the_polls(mlc_harness: ProcessHarness) -> None:
    """A deferred ticket move lets the waiting delegate poll until the ticket changes."""
    scenario = mlc_harness.scenario()
    scenario.delegate("DeployModel")
    scenario.ticket(kind="model_approval").moves_to_after(timedelta(days=2), "Rejected")
    mlc_harness.deploy(APPROVAL_TICKET)
    begin = mlc_harness.now()
    scenario.start("ticket_approval")
    final = scenario.run()
    mlc_harness.assert_that(final).is_completed().has_passed("rejected_end")
    assert begin + timedelta(days=2) == mlc_harness.now()


def test_ticket_answers_need_the_board(mlc_harness: ProcessHarness) -> None:
    """Without a ticket board, a ticket answer fails with how to configure one."""
    mlc_harness.manager.tickets = None  # type: ignore[assignment]
    xml = process(START + '<bpmn:userTask id="t"/>' + chain("start", "t"), pid="plain")
    mlc_harness.deploy(xml)
    scenario = mlc_harness.scenario()
    scenario.ticket(kind="model_approval").moves_to("Done")
    scenario.start("plain")
    with pytest.raises(AssertionError, match="moves tickets on the embedded board"):
        scenario.run()
