"""REST list and count routes filter, sort and page in the database: the same rows as the filters
say, checked against the instances, tasks and incidents listed in full on a small database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.models import ProcessInstance
from rest.support import ALL, TestClient

REVIEW = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="review" name="Review" camunda:candidateGroups="ops"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "review", "end"),
    pid="reviewing",
)
CHILD = process(
    '<bpmn:startEvent id="cs"/><bpmn:userTask id="check" name="Check"/>'
    '<bpmn:endEvent id="ce"/>' + chain("cs", "check", "ce"),
    pid="child",
)
CALLER = process(
    '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="child"/>'
    '<bpmn:endEvent id="e"/>' + chain("s", "call", "e"),
    pid="caller",
)
BROKEN = process(
    '<bpmn:startEvent id="bs"/><bpmn:serviceTask id="job" camunda:class="Broken">'
    "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R0/PT1M"
    "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
    '<bpmn:endEvent id="be"/>' + chain("bs", "job", "be"),
    pid="broken",
)


@dataclass
class World:
    """The small database: every instance, newest first, and the ids worth filtering by."""

    manager: LifecycleManager
    caller: str
    child: str
    broken: str

    def instances(self) -> list[ProcessInstance]:
        """Every instance, newest first (the default order of both instance routes)."""
        return self.manager.instances(limit=None)

    def running(self) -> list[ProcessInstance]:
        """The instances that have not ended, newest first."""
        return [i for i in self.instances() if not i.ended]


@pytest.fixture(name="world")
def _world(manager: LifecycleManager, clock: ManualClock) -> World:
    def broken(_ctx: Any) -> dict[str, Any]:
        raise RuntimeError("backend down")

    manager.register_delegate("Broken", broken)
    manager.deploy(
        ("reviewing.bpmn", REVIEW),
        ("child.bpmn", CHILD),
        ("caller.bpmn", CALLER),
        ("broken.bpmn", BROKEN),
    )
    reviews = []
    for n in range(6):
        clock.advance(timedelta(seconds=1))
        variables = {"team": "ops" if n % 2 else "risk"}
        reviews.append(manager.start("reviewing", variables, business_key=f"model-{n}").id)
    clock.advance(timedelta(seconds=1))
    manager.cancel(reviews[0])
    (task,) = manager.tasks(instance_id=reviews[1])
    manager.complete_task(task.id)
    clock.advance(timedelta(seconds=1))
    caller = manager.start("caller").id
    (child,) = manager.instances(super_instance_id=caller)
    clock.advance(timedelta(seconds=1))
    broken_id = manager.start("broken").id
    manager.run_due()
    assert manager.instance(broken_id).status == "incident"
    return World(manager, caller, child.id, broken_id)


def _ids(found: list[ProcessInstance]) -> list[str]:
    return [i.id for i in found]


def _listed_and_counted(client: TestClient, path: str, params: dict[str, str]) -> list[str]:
    """The ids a list route answers; its `/count` (GET and POST) must agree with them."""
    listed = client.get(path, params=params, headers=ALL)
    assert listed.status_code == 200, listed.text
    ids = [r["id"] for r in listed.json()]
    filters = {k: v for k, v in params.items() if k not in {"sortBy", "sortOrder"}}
    counted = client.get(f"{path}/count", params=filters, headers=ALL)
    assert counted.json() == {"count": len(ids)}, (path, params, counted.text)
    return ids


RUNTIME: list[tuple[dict[str, str], Callable[[World], list[ProcessInstance]]]] = [
    ({}, lambda w: w.running()),
    (
        {"processDefinitionKey": "reviewing"},
        lambda w: [i for i in w.running() if i.key == "reviewing"],
    ),
    (
        {"processDefinitionKeyIn": "reviewing,caller"},
        lambda w: [i for i in w.running() if i.key in {"reviewing", "caller"}],
    ),
    (
        {"processDefinitionKeyNotIn": "reviewing"},
        lambda w: [i for i in w.running() if i.key != "reviewing"],
    ),
    (
        {"businessKeyLike": "model-%"},
        lambda w: [i for i in w.running() if (i.business_key or "").startswith("model-")],
    ),
    ({"superProcessInstance": "<caller>"}, lambda w: [w.manager.instance(w.child)]),
    ({"subProcessInstance": "<child>"}, lambda w: [w.manager.instance(w.caller)]),
    ({"subProcessInstance": "<caller>"}, lambda _w: []),
    (
        {"rootProcessInstances": "true"},
        lambda w: [i for i in w.running() if i.super_instance_id is None],
    ),
    (
        {"leafProcessInstances": "true"},
        lambda w: [i for i in w.running() if i.id != w.caller],
    ),
    ({"withIncident": "true"}, lambda w: [w.manager.instance(w.broken)]),
    ({"ended": "true"}, lambda w: [i for i in w.instances() if i.ended]),
    (
        {"sortBy": "instanceId", "sortOrder": "asc"},
        lambda w: sorted(w.running(), key=lambda i: i.id),
    ),
    (
        {"activityIdIn": "review"},
        lambda w: [i for i in w.running() if "review" in i.waiting_at],
    ),
    (
        {"variables": "team_eq_ops"},
        lambda w: [i for i in w.running() if i.variables.get("team") == "ops"],
    ),
    ({"incidentType": "failedJob"}, lambda w: [w.manager.instance(w.broken)]),
]


def _params(world: World, params: dict[str, str]) -> dict[str, str]:
    ids = {"<caller>": world.caller, "<child>": world.child, "<broken>": world.broken}
    return {k: ids.get(v, v) for k, v in params.items()}


@pytest.mark.parametrize(("params", "expected"), RUNTIME, ids=[str(p) for p, _ in RUNTIME])
def test_process_instance_filters_answer_as_the_rows_say(
    client: TestClient,
    world: World,
    params: dict[str, str],
    expected: Callable[[World], list[ProcessInstance]],
) -> None:
    """Each `/process-instance` filter lists (and counts) exactly the matching instances."""
    found = _listed_and_counted(client, "/process-instance", _params(world, params))
    assert found == _ids(expected(world))
    assert found or params.get("subProcessInstance") == "<caller>"


HISTORY: list[tuple[dict[str, str], Callable[[World], list[ProcessInstance]]]] = [
    ({}, lambda w: w.instances()),
    ({"finished": "true"}, lambda w: [i for i in w.instances() if i.ended]),
    ({"unfinished": "true"}, lambda w: w.running()),
    ({"completed": "true"}, lambda w: [i for i in w.instances() if i.status == "completed"]),
    (
        {"externallyTerminated": "true"},
        lambda w: [i for i in w.instances() if i.status == "cancelled"],
    ),
    ({"withIncidents": "true"}, lambda w: [w.manager.instance(w.broken)]),
    ({"state": "ACTIVE"}, lambda w: w.running()),
    ({"processInstanceId": "<caller>"}, lambda w: [w.manager.instance(w.caller)]),
    (
        {"rootProcessInstances": "true"},
        lambda w: [i for i in w.instances() if i.super_instance_id is None],
    ),
    (
        {"processDefinitionKey": "reviewing", "finished": "true"},
        lambda w: [i for i in w.instances() if i.key == "reviewing" and i.ended],
    ),
    (
        {"processInstanceBusinessKeyIn": "model-1,model-2"},
        lambda w: [i for i in w.instances() if i.business_key in {"model-1", "model-2"}],
    ),
    (
        {"sortBy": "instanceId", "sortOrder": "desc"},
        lambda w: sorted(w.instances(), key=lambda i: i.id, reverse=True),
    ),
]


@pytest.mark.parametrize(("params", "expected"), HISTORY, ids=[str(p) for p, _ in HISTORY])
def test_history_instance_filters_answer_as_the_rows_say(
    client: TestClient,
    world: World,
    params: dict[str, str],
    expected: Callable[[World], list[ProcessInstance]],
) -> None:
    """Each `/history/process-instance` filter lists (and counts) exactly the matching ones."""
    found = _listed_and_counted(client, "/history/process-instance", _params(world, params))
    assert found == _ids(expected(world))
    assert found


def test_pages_come_from_the_database_in_order(client: TestClient, world: World) -> None:
    """`firstResult`/`maxResults` cut the same ordered rows the full list has, on every route."""
    for path, everything in (
        ("/process-instance", _ids(world.running())),
        ("/history/process-instance", _ids(world.instances())),
    ):
        for first, count in ((0, 2), (1, 3), (4, 10), (20, 5)):
            page = client.get(
                path, params={"firstResult": first, "maxResults": count}, headers=ALL
            ).json()
            assert [r["id"] for r in page] == everything[first : first + count], (path, first)


def test_incident_and_task_filters_answer_as_the_rows_say(client: TestClient, world: World) -> None:
    """`/incident` and `/task` filters list and count the matching incidents and open tasks."""
    manager = world.manager
    (incident,) = manager.incidents(limit=None)
    for params, expected in (
        ({}, [incident.id]),
        ({"processInstanceId": world.broken}, [incident.id]),
        ({"processInstanceId": world.caller}, []),
        ({"activityId": "job"}, [incident.id]),
        ({"incidentType": "failedJob"}, [incident.id]),
        ({"incidentType": "other"}, []),
        ({"incidentId": incident.id, "sortBy": "incidentId", "sortOrder": "asc"}, [incident.id]),
    ):
        assert _listed_and_counted(client, "/incident", params) == expected, params
    tasks = manager.tasks(limit=None)  # oldest first
    reviews = [t.id for t in tasks if t.key == "reviewing"]
    assert len(reviews) == 4
    for params, expected_tasks in (
        ({}, [t.id for t in tasks]),
        ({"candidateGroup": "ops"}, reviews),
        ({"processDefinitionKey": "child"}, [t.id for t in tasks if t.key == "child"]),
        ({"processInstanceBusinessKey": "model-3"}, reviews[1:2]),
        ({"nameLike": "Rev%"}, reviews),
        ({"sortBy": "created", "sortOrder": "desc"}, [t.id for t in reversed(tasks)]),
    ):
        assert _listed_and_counted(client, "/task", params) == expected_tasks, params


def test_a_second_sort_criterion_is_refused_where_the_database_sorts(
    client: TestClient, world: World
) -> None:
    """A POST query sorting by two criteria gets a 400 naming the limit, not another order."""
    sorting = [
        {"sortBy": "definitionKey", "sortOrder": "asc"},
        {"sortBy": "instanceId", "sortOrder": "desc"},
    ]
    answer = client.post("/process-instance", json={"sorting": sorting}, headers=ALL)
    assert answer.status_code == 400
    assert "one criterion" in answer.json()["message"]
    one = client.post("/process-instance", json={"sorting": sorting[1:]}, headers=ALL)
    assert [i["id"] for i in one.json()] == sorted(_ids(world.running()), reverse=True)


def test_two_sort_criteria_on_a_route_that_can_sort_in_memory_are_both_applied(
    client: TestClient, world: World
) -> None:
    """POST /task sorting by instance, then newest first, orders by both (in memory)."""
    sorting = [
        {"sortBy": "processInstanceId", "sortOrder": "asc"},
        {"sortBy": "created", "sortOrder": "desc"},
    ]
    answer = client.post("/task", json={"sorting": sorting}, headers=ALL)
    assert answer.status_code == 200, answer.text
    rows = answer.json()
    expected = sorted(rows, key=lambda r: r["created"], reverse=True)
    expected.sort(key=lambda r: r["processInstanceId"])
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    assert len({r["processInstanceId"] for r in rows}) > 1


def test_a_sort_no_index_has_reads_every_match_and_sorts_in_memory(
    client: TestClient, world: World
) -> None:
    """Sorting by end time (no index has it) orders every match, then pages, as before."""
    everything = client.get("/history/process-instance", headers=ALL).json()
    expected = sorted(everything, key=lambda r: (r["endTime"] is not None, r["endTime"] or ""))
    first = len(everything) - 3  # the last of the running ones, then the two that ended
    params = {"sortBy": "endTime", "sortOrder": "asc", "firstResult": first, "maxResults": 4}
    page = client.get("/history/process-instance", params=params, headers=ALL).json()
    assert [r["id"] for r in page] == [r["id"] for r in expected[first:]]
    assert any(r["endTime"] for r in page)
    by_priority = client.get(
        "/task", params={"sortBy": "priority", "sortOrder": "desc"}, headers=ALL
    ).json()
    assert {t["id"] for t in by_priority} == {t.id for t in world.manager.tasks(limit=None)}


PEOPLE = process(
    '<bpmn:startEvent id="ps"/>'
    '<bpmn:userTask id="work" name="Work" camunda:candidateUsers="${users}"'
    ' camunda:candidateGroups="${groups}"/>'
    '<bpmn:endEvent id="pe"/>' + chain("ps", "work", "pe"),
    pid="people",
)


def test_a_users_task_list_is_what_task_visible_allows_page_by_page(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A caller without admin lists, a page at a time from the indexes, exactly the tasks
    `task_visible` lets them see: assigned to them, offered to them or their group, or naming
    nobody; never one twice, in creation order."""
    from modelop_mlc.rest import PERMISSIONS, Principal
    from modelop_mlc.rest._auth import ADMIN
    from modelop_mlc.rest._authorize import task_visible, visible_to
    from modelop_mlc.store.queries import Page, TaskQuery

    manager.deploy(("people.bpmn", PEOPLE))
    offers = [("pete", ""), ("", "ops"), ("anna", ""), ("", "risk"), ("", ""), ("pete", "ops")]
    for n in range(30):
        clock.advance(timedelta(seconds=1))
        users, groups = offers[n % len(offers)]
        instance = manager.start("people", {"users": users, "groups": groups})
        if n % 7 == 0:
            (task,) = manager.tasks(instance_id=instance.id)
            manager.claim_task(task.id, "pete" if n % 2 else "anna")
    pete = Principal("pete", PERMISSIONS - {ADMIN}, groups=frozenset({"ops"}))
    expected = [t.id for t in manager.tasks(limit=None) if task_visible(pete, t)]
    assert 0 < len(expected) < 30
    query = TaskQuery(visible_to=visible_to(pete))
    for offset, limit in ((0, 100), (0, 4), (3, 5), (10, 7), (len(expected) - 2, 10)):
        page = manager.find_tasks(query, Page(limit=limit, offset=offset))
        assert [t.id for t in page] == expected[offset : offset + limit], (offset, limit)
    assert manager.count_found_tasks(query) == len(expected)
    newest = manager.find_tasks(
        TaskQuery(visible_to=visible_to(pete), descending=True), Page(limit=3)
    )
    assert [t.id for t in newest] == expected[::-1][:3]
    admin = Principal("root", PERMISSIONS)
    assert visible_to(admin) is None
