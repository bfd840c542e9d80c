"""List routes page by default: 100 rows, `firstResult`/`maxResults`, a `Link` to the next page."""

from __future__ import annotations

import re

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest._query import DEFAULT_MAX_RESULTS
from rest.support import ALL, TestClient

REVIEW = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="review" name="Review" camunda:candidateGroups="ops"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "review", "end"),
    pid="reviewing",
)


def _next(response: object) -> str | None:
    link = response.headers.get("link")  # type: ignore[attr-defined]
    if link is None:
        return None
    match = re.fullmatch(r'<(.+)>; rel="next"', link)
    assert match, link
    return match.group(1)


def test_instances_come_a_page_at_a_time_with_a_link_to_the_next(
    client: TestClient, manager: LifecycleManager
) -> None:
    """Without maxResults, 100 instances and a Link; following it gives the rest, no Link."""
    manager.deploy(REVIEW)
    started = {manager.start("reviewing").id for _ in range(DEFAULT_MAX_RESULTS + 5)}
    first = client.get("/process-instance", headers=ALL)
    assert len(first.json()) == DEFAULT_MAX_RESULTS
    following = _next(first)
    assert following is not None
    assert "firstResult=100" in following
    assert "maxResults=100" in following
    second = client.get(following, headers=ALL)
    assert len(second.json()) == 5
    assert _next(second) is None
    assert {i["id"] for i in first.json() + second.json()} == started
    ordered = client.get(
        "/process-instance",
        params={"sortBy": "instanceId", "sortOrder": "asc", "maxResults": 3, "firstResult": 2},
        headers=ALL,
    ).json()
    assert [i["id"] for i in ordered] == sorted(started)[2:5]


def test_filters_run_in_the_database_before_the_page(
    client: TestClient, manager: LifecycleManager
) -> None:
    """A filter narrows before paging: the page holds only matches, and its Link keeps the
    filter."""
    manager.deploy(REVIEW)
    for n in range(6):
        manager.start("reviewing", business_key=f"model-{n % 2}")
    page = client.get(
        "/process-instance", params={"businessKeyLike": "model-1", "maxResults": 2}, headers=ALL
    )
    assert [i["businessKey"] for i in page.json()] == ["model-1", "model-1"]
    following = _next(page)
    assert following is not None
    assert "businessKeyLike=model-1" in following
    assert [i["businessKey"] for i in client.get(following, headers=ALL).json()] == ["model-1"]
    assert (
        client.get("/process-instance", params={"businessKeyLike": "MODEL-%"}, headers=ALL).json()
        == []
    )
    ended = client.get("/process-instance", params={"ended": "true"}, headers=ALL).json()
    assert ended == []


def test_tasks_come_a_page_at_a_time(client: TestClient, manager: LifecycleManager) -> None:
    """`GET /task` pages without a filter too, and by candidate group."""
    manager.deploy(REVIEW)
    for _ in range(DEFAULT_MAX_RESULTS + 2):
        manager.start("reviewing")
    first = client.get("/task", headers=ALL)
    assert len(first.json()) == DEFAULT_MAX_RESULTS
    second = client.get(_next(first) or "", headers=ALL).json()
    assert len(second) == 2
    everything = [t["id"] for t in first.json() + second]
    assert everything == [t.id for t in manager.tasks(limit=None)]
    group = client.get(
        "/task", params={"candidateGroup": "ops", "firstResult": 50, "maxResults": 10}, headers=ALL
    ).json()
    assert [t["id"] for t in group] == everything[50:60]
    newest = client.get(
        "/task", params={"sortBy": "created", "sortOrder": "desc", "maxResults": 1}, headers=ALL
    ).json()
    assert newest[0]["created"] == max(t["created"] for t in first.json() + second)
    assert newest[0]["processDefinitionId"] == manager.definition("reviewing").id


def test_maxresults_zero_answers_an_empty_page(
    client: TestClient, manager: LifecycleManager
) -> None:
    """Camunda Modeler's probe `maxResults=0` gets an empty list and no Link."""
    manager.deploy(REVIEW)
    probe = client.get("/deployment", params={"maxResults": 0}, headers=ALL)
    assert (probe.status_code, probe.json(), _next(probe)) == (200, [], None)


SCORING = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="score" camunda:type="external" camunda:topic="score"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "score", "end"),
    pid="scoring",
)


def test_external_tasks_and_post_queries_page_the_same_way(
    client: TestClient, manager: LifecycleManager
) -> None:
    """`GET /external-task` and `POST /process-instance` page by default and link on too."""
    manager.deploy(SCORING)
    for _ in range(DEFAULT_MAX_RESULTS + 3):
        manager.start("scoring")
    first = client.get("/external-task", headers=ALL)
    assert len(first.json()) == DEFAULT_MAX_RESULTS
    second = client.get(_next(first) or "", headers=ALL)
    assert len(second.json()) == 3
    assert _next(second) is None
    listed = {t["id"] for t in first.json() + second.json()}
    assert listed == {t.id for t in manager.external_tasks(limit=None)}
    posted = client.post(
        "/process-instance",
        params={"maxResults": 2},
        json={"processDefinitionKey": "scoring"},
        headers=ALL,
    )
    assert len(posted.json()) == 2
    assert "firstResult=2" in (_next(posted) or "")
