"""Per-user authorization over REST: a task that names people is theirs, and so are the
variables of its instance (issue 25, item 9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import COMPLETE, READ, Principal, StaticTokens, create_app
from rest.support import BASE, TestClient, bearer

PASSWORD = "JiraPassw0rd-4411"
ASSIGNED = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="approve" camunda:assignee="${owner}"/>'
    '<bpmn:userTask id="after" camunda:candidateGroups="reviewers"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "approve", "after", "end"),
    pid="assigned",
)
OPEN = process(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="anyone"/><bpmn:endEvent id="end"/>'
    + chain("start", "anyone", "end"),
    pid="open",
)
USERS = {
    "alice-token": Principal("alice", frozenset({READ, COMPLETE})),
    "bob-token": Principal("bob", frozenset({READ, COMPLETE})),
    "rita-token": Principal("rita", frozenset({READ, COMPLETE}), groups=frozenset({"reviewers"})),
    "admin-token": Principal("ops", frozenset({READ, COMPLETE, "admin"})),
}


@pytest.fixture(name="users")
def _users(manager: LifecycleManager) -> Iterator[TestClient]:
    app = create_app(manager, auth=StaticTokens(USERS))
    with TestClient(Starlette(routes=[Mount("/engine-rest", app=app)]), base_url=BASE) as client:
        yield client


def _alice_task(manager: LifecycleManager) -> tuple[str, str]:
    manager.deploy(ASSIGNED)
    instance = manager.start("assigned", {"owner": "alice", "JIRA_PASSWORD": PASSWORD})
    (task,) = manager.tasks(instance_id=instance.id)
    return instance.id, task.id


def test_another_user_cannot_complete_or_read_an_assigned_task(
    manager: LifecycleManager, users: TestClient
) -> None:
    """Bob, with `complete`, gets 403 completing Alice's task, 404 reading it, no variables."""
    instance_id, task_id = _alice_task(manager)
    done = users.post(f"/task/{task_id}/complete", headers=bearer("bob-token"), json={})
    assert done.status_code == 403
    assert done.json()["type"] == "AuthorizationException"
    assert users.get(f"/task/{task_id}", headers=bearer("bob-token")).status_code == 404
    assert users.get("/task", headers=bearer("bob-token")).json() == []
    for path in ("variables", "variables/JIRA_PASSWORD"):
        answer = users.get(f"/process-instance/{instance_id}/{path}", headers=bearer("bob-token"))
        assert answer.status_code == 403
        assert PASSWORD not in answer.text
    assert manager.instance(instance_id).waiting_at == ("approve",)


def test_the_assignee_and_then_a_candidate_group_member_may(
    manager: LifecycleManager, users: TestClient
) -> None:
    """Alice completes her task; the next one is Rita's group's: Rita reads and completes it."""
    instance_id, task_id = _alice_task(manager)
    listed = users.get("/task", headers=bearer("alice-token")).json()
    assert [t["id"] for t in listed] == [task_id]
    assert (
        users.post(f"/task/{task_id}/complete", headers=bearer("alice-token"), json={})
    ).status_code == 204
    (after,) = manager.tasks(instance_id=instance_id)
    assert users.get(f"/task/{after.id}", headers=bearer("alice-token")).status_code == 404
    read = users.get(f"/process-instance/{instance_id}/variables", headers=bearer("rita-token"))
    assert read.status_code == 200
    assert (
        users.post(f"/task/{after.id}/complete", headers=bearer("rita-token"), json={})
    ).status_code == 204
    assert manager.instance(instance_id).status == "completed"


def test_an_admin_may_handle_any_task(manager: LifecycleManager, users: TestClient) -> None:
    """The `admin` permission reads and completes a task naming others (a secret it reads
    masked, as everyone does)."""
    instance_id, task_id = _alice_task(manager)
    read = users.get(f"/process-instance/{instance_id}/variables", headers=bearer("admin-token"))
    assert read.json()["JIRA_PASSWORD"]["value"] == "***"
    assert read.json()["owner"]["value"] == "alice"
    assert (
        users.post(f"/task/{task_id}/complete", headers=bearer("admin-token"), json={})
    ).status_code == 204


def test_a_task_naming_nobody_is_open_to_every_completer(
    manager: LifecycleManager, users: TestClient
) -> None:
    """Without assignee or candidates, any principal with `complete` may complete it."""
    manager.deploy(OPEN)
    instance = manager.start("open")
    (task,) = manager.tasks(instance_id=instance.id)
    assert (
        users.post(f"/task/{task.id}/complete", headers=bearer("bob-token"), json={})
    ).status_code == 204


def test_claim_assign_and_delegate_of_another_users_task_are_refused(
    manager: LifecycleManager, users: TestClient
) -> None:
    """Bob may not claim, reassign, delegate or set variables on Alice's task; an admin may."""
    instance_id, task_id = _alice_task(manager)
    bob = bearer("bob-token")
    attempts = {
        "claim": {"userId": "bob"},
        "assignee": {"userId": "bob"},
        "delegate": {"userId": "bob"},
        "unclaim": None,
        "variables/x": {"value": 1, "type": "Integer"},
    }
    for route, body in attempts.items():
        method = users.put if route.startswith("variables") else users.post
        answer = method(f"/task/{task_id}/{route}", headers=bob, json=body)
        assert answer.status_code == 403, route
        assert answer.json()["type"] == "AuthorizationException", route
    (task,) = manager.tasks(instance_id=instance_id)
    assert task.assignee == "alice"
    moved = users.post(
        f"/task/{task_id}/assignee", headers=bearer("admin-token"), json={"userId": "bob"}
    )
    assert moved.status_code == 204
    assert (
        users.post(f"/task/{task_id}/delegate", headers=bob, json={"userId": "rita"}).status_code
        == 204
    )
    (task,) = manager.tasks(instance_id=instance_id)
    assert task.assignee == "rita"
