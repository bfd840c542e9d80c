"""`assert_that`: fluent checks that re-read the instance and explain failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.testing import ProcessHarness, assert_that

START = '<bpmn:startEvent id="start"/>'

# A review: test the model, then a person approves; rejected models go back to testing.
REVIEW = process(
    START
    + '<bpmn:serviceTask id="run_test" name="Run test" camunda:class="RunTest"/>'
    + '<bpmn:userTask id="approve" name="Approve model" camunda:assignee="${owner}" '
    'camunda:candidateGroups="approvers, risk"/>'
    + '<bpmn:exclusiveGateway id="decided" default="approved"/>'
    + '<bpmn:serviceTask id="deploy" camunda:class="Deploy"/>'
    + '<bpmn:endEvent id="deployed"/>'
    + chain("start", "run_test", "approve", "decided")
    + flow("approved", "decided", "deploy")
    + flow("rejected", "decided", "run_test", '${reviewResult == "REJECTED"}')
    + chain("deploy", "deployed"),
    pid="review",
)


@pytest.fixture(name="review")
def _review(mlc_harness: ProcessHarness) -> ProcessHarness:
    manager = mlc_harness.manager
    manager.register_delegate("RunTest", lambda ctx: {"TEST_RESULT": {"auc": 0.91}})
    manager.register_delegate("Deploy", lambda ctx: {"DEPLOYED": True})
    mlc_harness.deploy(REVIEW)
    return mlc_harness


def test_a_passing_chain_reads_like_the_process(review: ProcessHarness) -> None:
    """Waits, path, variables and the task's people can be checked in one chain."""
    instance = review.start("review", {"owner": "ana"})
    check = review.assert_that(instance)
    check.is_running().is_waiting_at("approve").is_waiting_at_exactly("approve")
    check.is_not_waiting_at("run_test").has_passed("start", "run_test").has_not_passed("deploy")
    check.has_variables("TEST_RESULT", owner="ana").has_no_variables("DEPLOYED")
    check.has_variable_satisfying("TEST_RESULT", lambda r: r["auc"] > 0.9)
    check.task("approve").is_assigned_to("ana").has_candidate_group("approvers", "risk")
    check.task().has_name("Approve model").has_candidate_user()
    check.has_no_incident()
    review.complete(instance, "approve", {"reviewResult": "APPROVED"})
    check.is_ended().is_completed().has_passed_in_order("run_test", "approve", "approved")


def test_assertions_re_read_the_instance_every_time(review: ProcessHarness) -> None:
    """A chain made before a step sees the state after it."""
    instance = review.start("review", {"owner": "ana"})
    check = assert_that(instance, review.manager)
    check.is_waiting_at("approve")
    review.complete(instance, "approve", {"reviewResult": "APPROVED"})
    check.is_completed().has_variables(DEPLOYED=True)


def test_waiting_failure_says_where_the_instance_is(review: ProcessHarness) -> None:
    """The message names the actual waits, status, path, incidents and variables."""
    instance = review.start("review", {"owner": "ana"})
    with pytest.raises(AssertionError) as caught:
        review.assert_that(instance).is_waiting_at("deploy")
    message = str(caught.value)
    assert message.startswith(
        f"expected instance {instance.id} (review v1) to be waiting at 'deploy', "
        "but it waits at ['approve'] (status running)"
    )
    assert "path:       start → run_test → approve" in message
    assert "incidents:  none" in message
    assert "TEST_RESULT={'auc': 0.91}" in message


def test_path_failures_show_what_was_passed(review: ProcessHarness) -> None:
    """Order and absence failures list what the instance actually passed."""
    instance = review.start("review", {"owner": "ana"})
    review.complete(instance, "approve", {"reviewResult": "REJECTED"})
    check = review.assert_that(instance)
    check.has_passed_in_order("run_test", "approve", "rejected", "run_test")
    with pytest.raises(
        AssertionError, match=r"in this order, but it passed them as \['start', 'approve'"
    ):
        check.has_passed_in_order("approve", "start")
    with pytest.raises(AssertionError, match=r"to have passed 'deploy', but it never passed"):
        check.has_passed("deploy")
    with pytest.raises(AssertionError, match=r"not to have passed 'rejected', but it passed"):
        check.has_not_passed("rejected")


def test_variable_failures_show_the_values(review: ProcessHarness) -> None:
    """Missing and wrong variables are named with their actual values."""
    instance = review.start("review", {"owner": "ana"})
    check = review.assert_that(instance)
    with pytest.raises(AssertionError, match="'reviewResult' is not set") as missing:
        check.has_variables("reviewResult")
    assert "variables:  reviewResult (not set)" in str(missing.value)
    with pytest.raises(AssertionError, match="to have owner='bob', but it has owner='ana'"):
        check.has_variables(owner="bob")
    with pytest.raises(AssertionError, match=r"satisfying <lambda>, but TEST_RESULT=\{"):
        check.has_variable_satisfying("TEST_RESULT", lambda r: r["auc"] > 0.99)
    with pytest.raises(AssertionError, match="'nothing' is not set"):
        check.has_variable_satisfying("nothing", bool)
    with pytest.raises(AssertionError, match=r"not to have the variables 'owner'"):
        check.has_no_variables("owner")


def test_status_failures(review: ProcessHarness) -> None:
    """Running, ended and cancelled checks fail with the actual status."""
    instance = review.start("review", {"owner": "ana"})
    check = review.assert_that(instance)
    with pytest.raises(AssertionError, match=r"to have ended, but it waits at \['approve'\]"):
        check.is_ended()
    with pytest.raises(AssertionError, match="to have been cancelled"):
        check.is_cancelled()
    review.manager.cancel(instance.id, "model retired")
    check.is_cancelled().is_ended()
    with pytest.raises(AssertionError, match="to be running, but it has cancelled"):
        check.is_running()
    with pytest.raises(AssertionError, match="to have completed"):
        check.is_completed()


def test_task_failures_name_the_open_tasks(review: ProcessHarness) -> None:
    """Task checks say who the task is really assigned to, and which tasks are open."""
    instance = review.start("review", {"owner": "ana"})
    check = review.assert_that(instance)
    with pytest.raises(AssertionError, match=r"to have an open user task 'fix', but its open"):
        check.task("fix")
    task = check.task("approve")
    with pytest.raises(AssertionError, match="to be assigned to 'bob', but its assignee is 'ana'"):
        task.is_assigned_to("bob")
    with pytest.raises(AssertionError, match="to have no assignee, but it is assigned to 'ana'"):
        task.is_not_assigned()
    with pytest.raises(AssertionError, match=r"candidate groups are \['approvers', 'risk'\]"):
        task.has_candidate_group("auditors")
    with pytest.raises(AssertionError, match=r"candidate users are \[\]"):
        task.has_candidate_user("carl")
    with pytest.raises(AssertionError, match="to be named 'Deploy'"):
        task.has_name("Deploy")
    review.complete(instance, "approve", {"reviewResult": "APPROVED"})
    with pytest.raises(AssertionError, match=r"to have an open user task 'approve'"):
        _ = task.task
    with pytest.raises(AssertionError, match="to have exactly one open user task"):
        check.task()


def test_incidents_are_shown_with_their_messages(mlc_harness: ProcessHarness) -> None:
    """An open incident is found by activity and its message appears in failures."""

    def broken(ctx: Any) -> None:
        raise RuntimeError("runtime unreachable")

    mlc_harness.manager.register_delegate("Deploy", broken, asynchronous=True)
    xml = process(
        START + '<bpmn:serviceTask id="deploy" camunda:class="Deploy"><bpmn:extensionElements>'
        "<camunda:failedJobRetryTimeCycle>R1/PT1M</camunda:failedJobRetryTimeCycle>"
        '</bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="end"/>'
        + chain("start", "deploy", "end"),
        pid="deploying",
    )
    mlc_harness.deploy(xml)
    instance = mlc_harness.start("deploying")
    check = mlc_harness.assert_that(instance)
    with pytest.raises(AssertionError, match="to have an open incident, but none"):
        check.has_incident()
    mlc_harness.run_due()
    check.has_incident().has_incident("deploy")
    with pytest.raises(AssertionError, match="open incident at 'elsewhere'") as caught:
        check.has_incident("elsewhere")
    assert "at 'deploy':" in str(caught.value)
    assert "runtime unreachable" in str(caught.value)
    with pytest.raises(AssertionError, match="runtime unreachable"):
        check.has_no_incident()


def test_waiting_for_messages_and_signals(mlc_harness: ProcessHarness) -> None:
    """`is_waiting_for` checks the instance's message and signal subscriptions."""
    xml = process(
        START
        + '<bpmn:receiveTask id="wait" messageRef="m"/><bpmn:endEvent id="end"/>'
        + chain("start", "wait", "end"),
        pid="receiver",
        extra='<bpmn:message id="m" name="ticket.done"/>',
    )
    mlc_harness.deploy(xml)
    instance = mlc_harness.start("receiver")
    mlc_harness.assert_that(instance).is_waiting_for("ticket.done")
    with pytest.raises(AssertionError, match="waiting for the message or signal 'other'"):
        mlc_harness.assert_that(instance).is_waiting_for("other")


def test_long_paths_are_shortened(mlc_harness: ProcessHarness) -> None:
    """A looping instance's path shows its beginning and end with a count between."""
    xml = process(
        START
        + '<bpmn:userTask id="work"/><bpmn:exclusiveGateway id="again" default="loop"/>'
        + '<bpmn:endEvent id="end"/>'
        + chain("start", "work", "again")
        + flow("loop", "again", "work")
        + flow("stop", "again", "end", "${done}"),
        pid="looping",
    )
    mlc_harness.deploy(xml)
    instance = mlc_harness.start("looping")
    for _ in range(20):
        mlc_harness.complete(instance, "work", {"done": False})
    with pytest.raises(AssertionError, match=r"start → work → again → .* → … 18 more … → "):
        mlc_harness.assert_that(instance).is_ended()


def test_assert_that_finds_the_fixture_manager(mlc_manager: LifecycleManager) -> None:
    """Inside a test using mlc_manager, the manager argument may be left out."""
    mlc_manager.register_delegate("RunTest", lambda ctx: None)
    mlc_manager.register_delegate("Deploy", lambda ctx: None)
    mlc_manager.deploy(REVIEW)
    instance = mlc_manager.start("review", {"owner": "ana"})
    assert_that(instance).is_waiting_at("approve")
    assert_that(instance.id).task().is_assigned_to("ana")
    with pytest.raises(LookupError, match="no manager of this test knows instance 'nope'"):
        assert_that("nope")


def test_assert_that_needs_a_manager_outside_the_fixtures(tmp_path: Path) -> None:
    """Without the plugin's manager, assert_that asks for one; with it, it works."""
    with LifecycleManager.open(tmp_path / "own.db", clock=ManualClock()) as manager:
        manager.deploy(process(START + '<bpmn:userTask id="t"/>' + chain("start", "t"), pid="own"))
        instance = manager.start("own")
        with pytest.raises(LookupError, match="needs manager="):
            assert_that(instance)
        assert_that(instance, manager).is_waiting_at("t")
        with pytest.raises(AssertionError, match="does not exist"):
            assert_that("missing", manager).is_running()
