"""Camunda 7 behaviour of the REST app beyond what the stock clients exercise."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.routing import Mount

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.models import FetchTopic
from modelop_mlc.rest import (
    LoginLimiter,
    StaticTokens,
    TokenIssuer,
    User,
    Users,
    create_app,
    hash_password,
    users_from_file,
)
from rest.live import serve_in_thread
from rest.support import ALL, BASE, TOKENS, TestClient, modeler_deploy

SECRET = "s" * 40
SCORE = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="score" camunda:type="external" camunda:topic="score"/>'
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="s"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:userTask id="mine" name="Mine" camunda:candidateGroups="approvers"/>'
    '<bpmn:userTask id="theirs" name="Theirs" camunda:candidateGroups="others"/>'
    '<bpmn:parallelGateway id="fork"/><bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>'
    + chain("start", "score", "wait", "fork")
    + chain("fork", "mine", "end")
    + '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="theirs"/>'
    + chain("theirs", "end2"),
    pid="scoring",
    extra='<bpmn:signal id="s" name="go"/>',
)


def _basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(name="people")
def _people(manager: LifecycleManager, clock: ManualClock) -> TestClient:
    manager.deploy(("scoring.bpmn", SCORE))
    users = Users(
        {
            "ann": User("ann-pw", groups=frozenset({"approvers"})),
            "bob": User(hash_password("bob-pw"), permissions=frozenset({"read"})),
        }
    )
    tokens = TokenIssuer(
        users,
        SECRET,
        clock=clock.now,
        limiter=LoginLimiter(max_failures=3, lockout=timedelta(minutes=10), clock=clock.now),
    )
    app = create_app(manager, auth=StaticTokens(TOKENS), users=users, tokens=tokens)
    host = Starlette(routes=[Mount("/engine-rest", app=app)])
    return TestClient(host, base_url=BASE)


class TestFilters:
    def test_an_unsupported_filter_is_refused_naming_it(self, client: TestClient) -> None:
        """A filter we do not implement is a 400 naming it, by GET and by POST, never ignored."""
        response = client.get("/task", params={"taskVariables": "a_eq_1"}, headers=ALL)
        assert response.status_code == 400
        assert "'taskVariables'" in response.json()["message"]
        posted = client.post("/task", json={"tenantIdIn": ["t1"]}, headers=ALL)
        assert posted.status_code == 400
        assert "'tenantIdIn'" in posted.json()["message"]
        # A flag set to false is no filter in Camunda either.
        assert client.get("/task", params={"withoutTenantId": "false"}, headers=ALL).json() == []

    def test_variable_filters_select_instances(
        self, client: TestClient, manager: LifecycleManager
    ) -> None:
        """`variables=name_op_value` filters instead of being ignored."""
        manager.deploy(("scoring.bpmn", SCORE))
        manager.start("scoring", {"applicant": "ann", "amount": 5})
        manager.start("scoring", {"applicant": "bob", "amount": 50})
        found = client.get(
            "/process-instance", params={"variables": "applicant_eq_nobody"}, headers=ALL
        ).json()
        assert found == []
        found = client.get(
            "/process-instance", params={"variables": "amount_gt_10"}, headers=ALL
        ).json()
        assert len(found) == 1
        counted = client.post(
            "/process-instance/count",
            json={"variables": [{"name": "applicant", "operator": "like", "value": "a%"}]},
            headers=ALL,
        ).json()
        assert counted == {"count": 1}
        bad = client.get("/process-instance", params={"variables": "amount_about_3"}, headers=ALL)
        assert bad.status_code == 400

    def test_routes_are_served_under_the_default_engine_too(
        self, client: TestClient, manager: LifecycleManager
    ) -> None:
        """`/engine/default/...` answers like the plain paths; other engines are unknown."""
        manager.deploy(("scoring.bpmn", SCORE))
        plain = client.get("/process-definition", headers=ALL).json()
        prefixed = client.get("/engine/default/process-definition", headers=ALL).json()
        assert prefixed == plain != []
        assert client.get("/engine/other/process-definition", headers=ALL).status_code == 404

    def test_error_bodies_have_type_message_and_code(self, client: TestClient) -> None:
        """Every error body carries Camunda's type, message and code."""
        body = client.get("/external-task/nope", headers=ALL).json()
        assert set(body) == {"type", "message", "code"}
        assert body["code"] == 0

    def test_the_document_names_where_it_is_mounted(self, client: TestClient) -> None:
        """The OpenAPI server URL is the app's own URL, so tools call the app."""
        document = client.get("/openapi.json", headers=ALL).json()
        assert document["servers"] == [{"url": BASE}]


class TestLogIn:
    def test_basic_users_and_their_groups_decide_which_tasks_are_theirs(
        self, people: TestClient, manager: LifecycleManager
    ) -> None:
        """A Basic user sees tasks of their groups only; service tokens see all."""
        instance = manager.start("scoring")
        [task] = manager.fetch_and_lock("w", [FetchTopic("score", timedelta(minutes=1))])
        manager.complete_external_task(task.id, "w")
        manager.signal("go")
        ann = _basic("ann", "ann-pw")
        seen = people.get("/task", headers=ann).json()
        assert [t["taskDefinitionKey"] for t in seen] == ["mine"]
        everything = people.get("/task", params={"processInstanceId": instance.id}, headers=ALL)
        assert sorted(t["taskDefinitionKey"] for t in everything.json()) == ["mine", "theirs"]
        theirs = next(t for t in everything.json() if t["taskDefinitionKey"] == "theirs")
        assert people.get(f"/task/{theirs['id']}", headers=ann).status_code == 404
        claimed = people.post(f"/task/{seen[0]['id']}/claim", json={"userId": "ann"}, headers=ann)
        assert claimed.status_code == 204
        # bob may only read.
        bob = _basic("bob", "bob-pw")
        assert people.get("/process-definition", headers=bob).status_code == 200
        assert people.post(f"/task/{seen[0]['id']}/unclaim", headers=bob).status_code == 403
        assert people.get("/task", headers=_basic("ann", "wrong")).status_code == 401

    def test_token_endpoint_signs_tokens_the_app_accepts(
        self, people: TestClient, clock: ManualClock
    ) -> None:
        """`POST /gocli/token` answers ModelOp's token shape; the token works until it expires."""
        response = people.post("/gocli/token", data={"username": "ann", "password": "ann-pw"})
        assert response.status_code == 200
        body = response.json()
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        assert people.get("/engine/default/deployment", headers=bearer).status_code == 200
        as_json = people.post("/gocli/token", json={"username": "ann", "password": "ann-pw"})
        assert as_json.status_code == 200
        clock.advance(timedelta(hours=1))
        assert people.get("/deployment", headers=bearer).status_code == 401

    def test_failed_log_ins_are_limited_by_the_clock(
        self, people: TestClient, clock: ManualClock
    ) -> None:
        """After three failures the name is locked out (429, even with the right password)."""
        for _ in range(3):
            wrong = people.post("/gocli/token", data={"username": "ann", "password": "nope"})
            assert wrong.status_code == 401
        locked = people.post("/gocli/token", data={"username": "ann", "password": "ann-pw"})
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) == 600
        assert people.get("/task", headers=_basic("ann", "ann-pw")).status_code == 429
        missing = people.post("/gocli/token", data={"username": "ann"})
        assert missing.status_code == 400
        clock.advance(timedelta(minutes=10))
        good = people.post("/gocli/token", data={"username": "ann", "password": "ann-pw"})
        assert good.status_code == 200


class TestDifferencesFixed:
    def test_history_uses_camundas_activity_types_and_dates_stay_dates(
        self, client: TestClient, manager: LifecycleManager
    ) -> None:
        """Activity types are Camunda's; a Date variable comes back as a Date."""
        manager.deploy(("scoring.bpmn", SCORE))
        started = client.post(
            "/process-definition/key/scoring/start",
            json={"variables": {"due": {"value": "2026-03-01T10:00:00.000+0100", "type": "Date"}}},
            headers=ALL,
        ).json()
        due = client.get(f"/process-instance/{started['id']}/variables/due", headers=ALL).json()
        assert due == {"type": "Date", "value": "2026-03-01T09:00:00.000+0000", "valueInfo": {}}
        [task] = manager.fetch_and_lock("w", [FetchTopic("score", timedelta(minutes=1))])
        manager.complete_external_task(task.id, "w")
        steps = client.get(
            "/history/activity-instance",
            params={"processInstanceId": started["id"], "sortBy": "startTime", "sortOrder": "asc"},
            headers=ALL,
        ).json()
        assert [s["activityType"] for s in steps] == [
            "startEvent",
            "serviceTask",
            "intermediateSignalCatch",
        ]

    def test_duplicate_filtering_compares_with_the_same_name(self, client: TestClient) -> None:
        """Unchanged under one name: the old deployment; under another name: a new one."""
        first = modeler_deploy(client, "scoring.bpmn", SCORE, name="one").json()
        again = modeler_deploy(client, "scoring.bpmn", SCORE, name="one").json()
        assert (again["id"], again["name"]) == (first["id"], "one")
        other = modeler_deploy(client, "scoring.bpmn", SCORE, name="two").json()
        assert other["id"] != first["id"]
        [definition] = other["deployedProcessDefinitions"].values()
        assert definition["version"] == 2


class TestExternalTasksOverRest:
    def test_worker_errors_are_camundas(
        self, client: TestClient, manager: LifecycleManager
    ) -> None:
        """Wrong worker 400, unknown task 404, bad lock duration 400."""
        manager.deploy(("scoring.bpmn", SCORE))
        manager.start("scoring")
        fetch = {
            "workerId": "w1",
            "maxTasks": 1,
            "topics": [{"topicName": "score", "lockDuration": 1000}],
        }
        [task] = client.post("/external-task/fetchAndLock", json=fetch, headers=ALL).json()
        wrong = client.post(
            f"/external-task/{task['id']}/complete", json={"workerId": "w2"}, headers=ALL
        )
        assert wrong.status_code == 400
        assert "locked by worker 'w1'" in wrong.json()["message"]
        missing = client.post("/external-task/nope/complete", json={"workerId": "w1"}, headers=ALL)
        assert missing.status_code == 404
        bad = {**fetch, "topics": [{"topicName": "score", "lockDuration": 0}]}
        assert client.post("/external-task/fetchAndLock", json=bad, headers=ALL).status_code == 400
        too_long = {**fetch, "asyncResponseTimeout": 1_800_001}
        assert (
            client.post("/external-task/fetchAndLock", json=too_long, headers=ALL).status_code
            == 400
        )

    def test_long_polling_answers_when_a_task_appears(self, manager: LifecycleManager) -> None:
        """A waiting fetchAndLock is answered by the task a start creates, before its timeout."""
        manager.deploy(("scoring.bpmn", SCORE))
        app = create_app(manager, auth=StaticTokens(TOKENS))
        answer: dict[str, Any] = {}
        with serve_in_thread(app) as url:
            listening = threading.Event()

            def fetch() -> None:
                listening.set()
                answer["tasks"] = requests.post(
                    f"{url}/external-task/fetchAndLock",
                    json={
                        "workerId": "w",
                        "maxTasks": 1,
                        "asyncResponseTimeout": 60_000,
                        "topics": [{"topicName": "score", "lockDuration": 1000}],
                    },
                    headers=ALL,
                    timeout=120,
                ).json()

            waiter = threading.Thread(target=fetch)
            waiter.start()
            listening.wait()
            started = manager.start("scoring")
            waiter.join(timeout=60)
        assert not waiter.is_alive()
        assert [t["processInstanceId"] for t in answer["tasks"]] == [started.id]


def test_users_come_from_a_json_file(tmp_path: Path) -> None:
    """`users_from_file` reads names, passwords, groups and permissions; bad files are refused."""
    path = tmp_path / "users.json"
    path.write_text(
        '{"ann": {"password": "pw", "groups": ["approvers"], "permissions": ["read"]},'
        ' "ops": {"password": "' + hash_password("ops-pw") + '"}}'
    )
    users = users_from_file(path)
    ann = users.check("ann", "pw")
    assert ann is not None
    assert (ann.groups, ann.permissions) == (frozenset({"approvers"}), frozenset({"read"}))
    assert users.check("ops", "ops-pw") is not None
    path.write_text('{"ann": {"groups": []}}')
    with pytest.raises(ConfigurationError, match="needs a"):
        users_from_file(path)
    with pytest.raises(ConfigurationError, match="cannot read"):
        users_from_file(tmp_path / "missing.json")
