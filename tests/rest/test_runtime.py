"""Signals, messages, instances, tasks, history and incidents over HTTP."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from rest.support import (
    ALL,
    BACK_TEST_KEY,
    BACK_TEST_SIGNAL,
    BACK_TEST_TASK,
    BATCH_SIGNAL,
    DRIFT_SIGNAL,
    TestClient,
    modeler_deploy,
    signal_start_diagram,
)

OUTPUT_FILE = {
    "assetType": "EXTERNAL_FILE",
    "assetRole": "UNKNOWN",
    "fileUrl": "hdfs:///x/drift.csv",
    "filename": "drift.csv",
    "fileFormat": "CSV",
    "repositoryInfo": {"repositoryType": "HDFS_REPOSITORY", "host": "", "port": 0},
}
MESSAGES = process(
    '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="submitted"/>'
    "</bpmn:startEvent>"
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="done"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:endEvent id="end"/>' + chain("start", "wait", "end"),
    pid="model_review",
    extra='<bpmn:message id="submitted" name="ModelSubmitted"/>'
    '<bpmn:message id="done" name="JobDone"/>',
)


def _start_back_test(client: TestClient, back_test_diagram: tuple[str, str]) -> str:
    modeler_deploy(client, *back_test_diagram)
    response = client.post(
        "/signalResponsive",
        headers=ALL,
        json={"name": BACK_TEST_SIGNAL, "variables": {"MODEL_ID": {"value": "snap-1"}}},
    )
    [instance_id] = response.json()["startedProcessInstanceIds"]
    return str(instance_id)


def test_signal_over_http_starts_the_back_test_process(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """`POST /signal` with ModelOp's back-test signal starts the deployed signal-start process."""
    modeler_deploy(client, *back_test_diagram)
    model_id = str(uuid.uuid4())
    response = client.post(
        "/signal",
        headers=ALL,
        json={"name": BACK_TEST_SIGNAL, "variables": {"MODEL_ID": {"value": model_id}}},
    )
    assert response.status_code == 204
    assert response.content == b""
    [instance] = client.get(
        "/process-instance", params={"processDefinitionKey": BACK_TEST_KEY}, headers=ALL
    ).json()
    assert instance["ended"] is False
    variables = client.get(f"/process-instance/{instance['id']}/variables", headers=ALL).json()
    assert variables["MODEL_ID"] == {"type": "String", "value": model_id, "valueInfo": {}}


def test_modelop_drift_signal_curl_call(client: TestClient) -> None:
    """ModelOp's documented drift-test `POST /signal`, with an untyped asset object, works."""
    modeler_deploy(client, "drift.bpmn", signal_start_diagram("drift_test", DRIFT_SIGNAL))
    model_id = str(uuid.uuid4())
    body = {
        "name": DRIFT_SIGNAL,
        "variables": {"MODEL_ID": {"value": model_id}, "OUTPUT_FILE": {"value": OUTPUT_FILE}},
    }
    assert client.post("/signal", headers=ALL, json=body).status_code == 204
    [instance] = client.get("/process-instance", headers=ALL).json()
    variables = client.get(f"/process-instance/{instance['id']}/variables", headers=ALL).json()
    assert variables["OUTPUT_FILE"]["type"] == "Json"
    assert json.loads(variables["OUTPUT_FILE"]["value"]) == OUTPUT_FILE
    one = client.get(f"/process-instance/{instance['id']}/variables/MODEL_ID", headers=ALL)
    assert one.json() == {"type": "String", "value": model_id, "valueInfo": {}}


def test_modelop_signal_responsive_curl_call(client: TestClient) -> None:
    """ModelOp's `POST /signalResponsive` answers 200 with the instances it started."""
    modeler_deploy(client, "batch.bpmn", signal_start_diagram("batch_job", BATCH_SIGNAL))
    body = {"name": BATCH_SIGNAL, "variables": {"TAG": {"value": "cc-fraud"}}}
    response = client.post("/signalResponsive", headers=ALL, json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["name"] == BATCH_SIGNAL
    assert answer["deliveredProcessInstanceIds"] == []
    [started] = answer["startedProcessInstanceIds"]
    instance = client.get(f"/process-instance/{started}", headers=ALL).json()
    assert instance["definitionKey"] == "batch_job"


def test_signal_nobody_waits_for_is_not_an_error(client: TestClient) -> None:
    """A signal with no receiver gets 204 (Camunda's semantics) and an empty responsive answer."""
    assert client.post("/signal", headers=ALL, json={"name": "nobody"}).status_code == 204
    answer = client.post("/signalResponsive", headers=ALL, json={"name": "nobody"}).json()
    assert answer["startedProcessInstanceIds"] == []


def test_signal_without_name_is_a_bad_request(client: TestClient) -> None:
    """A signal body without `name` gets Camunda's 400."""
    response = client.post("/signal", headers=ALL, json={"variables": {}})
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "No signal name given",
        "code": 0,
    }


def test_user_task_completed_over_rest_advances_the_instance(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """Completing the back test's review task over REST ends the instance."""
    instance_id = _start_back_test(client, back_test_diagram)
    tasks = client.get(
        "/task",
        params={"processInstanceId": instance_id, "candidateGroup": "approvers"},
        headers=ALL,
    ).json()
    [task] = tasks
    assert task["taskDefinitionKey"] == BACK_TEST_TASK
    assert task["processInstanceId"] == instance_id
    assert task["processDefinitionId"].startswith(f"{BACK_TEST_KEY}:1:")
    assert task["created"] == "2026-01-01T00:00:00.000+0000"
    assert client.get(f"/task/{task['id']}", headers=ALL).json() == task
    response = client.post(
        f"/task/{task['id']}/complete",
        headers=ALL,
        json={"variables": {"reviewResult": {"value": "APPROVED", "type": "String"}}},
    )
    assert response.status_code == 204
    # Camunda's runtime forgets an ended instance: 404 there, COMPLETED in history.
    assert client.get(f"/process-instance/{instance_id}", headers=ALL).status_code == 404
    history = client.get(f"/history/process-instance/{instance_id}", headers=ALL).json()
    assert history["state"] == "COMPLETED"
    assert client.get("/task", headers=ALL).json() == []
    # Camunda's runtime query no longer sees an ended instance; `ended=true` does.
    assert client.get("/process-instance", headers=ALL).json() == []
    ended = client.get("/process-instance", params={"ended": "true"}, headers=ALL).json()
    assert [i["id"] for i in ended] == [instance_id]


def test_complete_with_variables_in_return(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """`withVariablesInReturn` answers 200 with the instance's typed variables."""
    instance_id = _start_back_test(client, back_test_diagram)
    [task] = client.get("/task", params={"processInstanceId": instance_id}, headers=ALL).json()
    response = client.post(
        f"/task/{task['id']}/complete",
        headers=ALL,
        json={
            "variables": {"score": {"value": 3, "type": "Integer"}},
            "withVariablesInReturn": True,
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "MODEL_ID": {"type": "String", "value": "snap-1", "valueInfo": {}},
        "score": {"type": "Integer", "value": 3, "valueInfo": {}},
    }


def test_activity_history_pairs_start_and_end(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """`GET /history/activity-instance` reports each activity with start, end and duration."""
    instance_id = _start_back_test(client, back_test_diagram)
    [task] = client.get("/task", params={"processInstanceId": instance_id}, headers=ALL).json()
    running = client.get(
        "/history/activity-instance", params={"processInstanceId": instance_id}, headers=ALL
    ).json()
    assert [(a["activityId"], a["endTime"] is None) for a in running] == [
        ("start", False),
        (BACK_TEST_TASK, True),
    ]
    client.post(f"/task/{task['id']}/complete", headers=ALL, json={})
    done = client.get(
        "/history/activity-instance",
        params={"processInstanceId": instance_id, "sortBy": "startTime", "sortOrder": "asc"},
        headers=ALL,
    ).json()
    assert [a["activityId"] for a in done] == ["start", BACK_TEST_TASK, "end"]
    review = done[1]
    assert review["activityType"] == "userTask"
    assert review["activityName"] == "Review results"
    assert review["startTime"] == "2026-01-01T00:00:00.000+0000"
    assert review["durationInMillis"] == 0
    assert review["canceled"] is False
    assert review["processInstanceId"] == instance_id
    assert done[2]["completeScope"] is True


def test_activity_history_without_an_instance_lists_every_instance(client: TestClient) -> None:
    """Without processInstanceId the history query lists every instance; unknown ids find []."""
    assert client.get("/history/activity-instance", headers=ALL).json() == []
    unknown = client.get(
        "/history/activity-instance", params={"processInstanceId": "nope"}, headers=ALL
    )
    assert unknown.json() == []


def test_message_starts_a_process_and_reports_the_result(client: TestClient) -> None:
    """A message start event is started by `POST /message` with `resultEnabled`."""
    modeler_deploy(client, "review.bpmn", MESSAGES)
    response = client.post(
        "/message",
        headers=ALL,
        json={
            "messageName": "ModelSubmitted",
            "businessKey": "snap-7",
            "processVariables": {"TAG": {"value": "cc-fraud", "type": "String"}},
            "resultEnabled": True,
            "variablesInResultEnabled": True,
        },
    )
    assert response.status_code == 200
    [result] = response.json()
    assert result["resultType"] == "ProcessDefinition"
    assert result["execution"] is None
    assert result["processInstance"]["businessKey"] == "snap-7"
    assert result["variables"]["TAG"] == {"type": "String", "value": "cc-fraud", "valueInfo": {}}


def test_message_correlates_to_the_waiting_instance(client: TestClient) -> None:
    """A message with a business key reaches the instance waiting for it; default answer 204."""
    modeler_deploy(client, "review.bpmn", MESSAGES)
    client.post("/message", headers=ALL, json={"messageName": "ModelSubmitted", "businessKey": "a"})
    client.post("/message", headers=ALL, json={"messageName": "ModelSubmitted", "businessKey": "b"})
    response = client.post(
        "/message", headers=ALL, json={"messageName": "JobDone", "businessKey": "b"}
    )
    assert response.status_code == 204
    running = client.get("/process-instance", headers=ALL).json()
    assert [i["businessKey"] for i in running] == ["a"]


def test_message_to_several_receivers_is_a_camunda_400(client: TestClient) -> None:
    """Without `all`, a message matching two instances gets Camunda's correlation error."""
    modeler_deploy(client, "review.bpmn", MESSAGES)
    for key in ("a", "b"):
        client.post(
            "/message", headers=ALL, json={"messageName": "ModelSubmitted", "businessKey": key}
        )
    response = client.post("/message", headers=ALL, json={"messageName": "JobDone"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "RestException"
    assert body["message"].startswith(
        "org.camunda.bpm.engine.MismatchingMessageCorrelationException: "
    )
    assert "2 receivers" in body["message"]
    every = client.post(
        "/message", headers=ALL, json={"messageName": "JobDone", "all": True, "resultEnabled": True}
    )
    assert [r["resultType"] for r in every.json()] == ["Execution", "Execution"]
    assert all(r["execution"]["ended"] for r in every.json())


def test_message_nobody_waits_for(client: TestClient) -> None:
    """No receiver is a 400 for one message and nothing at all with `all`."""
    response = client.post("/message", headers=ALL, json={"messageName": "Nobody"})
    assert response.status_code == 400
    assert "matched no waiting receiver" in response.json()["message"]
    assert (
        client.post(
            "/message", headers=ALL, json={"messageName": "Nobody", "all": True}
        ).status_code
        == 204
    )


def test_start_by_key_with_typed_variables(client: TestClient) -> None:
    """`POST /process-definition/key/{key}/start` converts typed variables both ways."""
    modeler_deploy(client, "drift.bpmn", signal_start_diagram("drift_test", DRIFT_SIGNAL))
    variables = {
        "count": {"value": "42", "type": "Long"},
        "ratio": {"value": 0.5, "type": "Double"},
        "ok": {"value": "true", "type": "Boolean"},
        "when": {"value": "2026-03-01T10:00:00.000+0100", "type": "Date"},
        "asset": {
            "value": json.dumps(OUTPUT_FILE),
            "type": "Object",
            "valueInfo": {
                "objectTypeName": "java.util.HashMap",
                "serializationDataFormat": "application/json",
            },
        },
        "nothing": {"value": None, "type": "Null"},
    }
    response = client.post(
        "/process-definition/key/drift_test/start",
        headers=ALL,
        json={"variables": variables, "withVariablesInReturn": True},
    )
    assert response.status_code == 200
    returned = response.json()["variables"]
    assert returned["count"] == {"type": "Integer", "value": 42, "valueInfo": {}}
    assert returned["ratio"]["value"] == 0.5
    assert returned["ok"]["value"] is True
    # Camunda answers a Date typed, in its date format (always UTC here).
    assert returned["when"] == {
        "type": "Date",
        "value": "2026-03-01T09:00:00.000+0000",
        "valueInfo": {},
    }
    assert json.loads(returned["asset"]["value"]) == OUTPUT_FILE
    assert returned["nothing"] == {"type": "Null", "value": None, "valueInfo": {}}


def test_bad_variable_is_a_400_and_starts_nothing(client: TestClient) -> None:
    """A value that does not fit its type is refused before anything runs."""
    modeler_deploy(client, "drift.bpmn", signal_start_diagram("drift_test", DRIFT_SIGNAL))
    response = client.post(
        "/process-definition/key/drift_test/start",
        headers=ALL,
        json={"variables": {"count": {"value": "many", "type": "Integer"}}},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
    assert "java.lang.Integer" in response.json()["message"]
    assert client.get("/process-instance", headers=ALL).json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/process-instance/nope", None),
        ("GET", "/process-instance/nope/variables", None),
        ("GET", "/task/nope", None),
        ("POST", "/task/nope/complete", {}),
        ("GET", "/process-definition/nope:1:x", None),
        ("GET", "/process-definition/nope:1:x/xml", None),
        ("GET", "/process-definition/key/nope", None),
        ("POST", "/process-definition/key/nope/start", {}),
        ("GET", "/deployment/nope", None),
        ("PUT", "/job/nope/retries", {"retries": 1}),
    ],
)
def test_unknown_ids_get_404(client: TestClient, method: str, path: str, body: Any) -> None:
    """Unknown ids and keys get 404 with Camunda's `InvalidRequestException` body."""
    response = client.request(method, path, headers=ALL, json=body)
    assert response.status_code == 404
    assert response.json()["type"] == "InvalidRequestException"


def test_unknown_route_and_method_get_camunda_error_bodies(client: TestClient) -> None:
    """Unknown paths get 404 and wrong methods 405, both as JSON error bodies."""
    missing = client.get("/nowhere", headers=ALL)
    assert (missing.status_code, missing.json()["type"]) == (404, "RestException")
    wrong = client.delete("/task", headers=ALL)
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "RestException"


def test_malformed_json_is_a_400(client: TestClient) -> None:
    """A body that is not JSON, holds NaN, is not an object or nests too deeply gets 400."""
    deep = b'{"name": "s", "variables": {"X": {"value": ' + b"[" * 5000 + b"]" * 5000 + b"}}}"
    for content in (b"{not json", b'{"name": NaN}', b"[1, 2]", deep):
        response = client.post(
            "/signal", headers={**ALL, "Content-Type": "application/json"}, content=content
        )
        assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"maxResults": "many"},
        {"firstResult": "-1"},
        {"sortBy": "key"},
        {"sortBy": "nope", "sortOrder": "asc"},
        {"latestVersion": "yes"},
    ],
)
def test_bad_query_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    """Bad paging, sorting and boolean parameters get Camunda's 400."""
    response = client.get("/process-definition", params=params, headers=ALL)
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"


def test_paging_and_sorting(client: TestClient) -> None:
    """firstResult, maxResults, sortBy and sortOrder select and order definitions."""
    for key in ("b_proc", "a_proc", "c_proc"):
        modeler_deploy(client, f"{key}.bpmn", signal_start_diagram(key, f"sig-{key}"), name=key)
    keys = client.get(
        "/process-definition",
        params={"sortBy": "key", "sortOrder": "desc", "firstResult": 1, "maxResults": 1},
        headers=ALL,
    ).json()
    assert [d["key"] for d in keys] == ["b_proc"]
    like = client.get("/process-definition", params={"keyLike": "a%"}, headers=ALL).json()
    assert [d["key"] for d in like] == ["a_proc"]


def test_failed_job_incident_is_listed_and_retried(
    client: TestClient, manager: LifecycleManager
) -> None:
    """A job out of retries shows in `GET /incident`; `PUT /job/{id}/retries` runs it again."""
    calls: list[int] = []

    def flaky(_ctx: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("runtime unreachable")
        return {"DONE": True}

    manager.register_delegate("RunJob", flaky, asynchronous=True)
    xml = process(
        '<bpmn:startEvent id="start"/><bpmn:serviceTask id="job" name="Run job" '
        'camunda:class="RunJob"><bpmn:extensionElements><camunda:failedJobRetryTimeCycle>'
        "R1/PT1M</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="end"/>' + chain("start", "job", "end"),
        pid="jobs",
    )
    modeler_deploy(client, "jobs.bpmn", xml)
    started = client.post("/process-definition/key/jobs/start", headers=ALL, json={}).json()
    manager.run_due()
    [incident] = client.get("/incident", headers=ALL).json()
    assert incident["incidentType"] == "failedJob"
    assert incident["processInstanceId"] == started["id"]
    assert incident["activityId"] == "job"
    assert "runtime unreachable" in incident["incidentMessage"]
    job_id = incident["configuration"]
    bad = client.put(f"/job/{job_id}/retries", headers=ALL, json={"retries": 0})
    assert bad.status_code == 400
    response = client.put(f"/job/{job_id}/retries", headers=ALL, json={"retries": 1})
    assert response.status_code == 204
    assert client.get("/incident", headers=ALL).json() == []
    assert client.get(f"/process-instance/{started['id']}", headers=ALL).status_code == 404
    history = client.get(f"/history/process-instance/{started['id']}", headers=ALL).json()
    assert history["state"] == "COMPLETED"


def test_unexpected_failure_is_a_generic_500_without_traceback(
    client: TestClient, manager: LifecycleManager, caplog: pytest.LogCaptureFixture
) -> None:
    """A database failure is answered with a generic 500 and logged server-side only."""
    manager.store.raw("DROP TABLE user_tasks")
    with caplog.at_level(logging.ERROR, logger="modelop_mlc.rest"):
        response = client.get("/task", headers=ALL)
    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "RestException"
    assert "user_tasks" not in body["message"]
    assert "Traceback" not in response.text
    reference = body["message"].rsplit("reference ", 1)[1].rstrip(")")
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_call_activity_links_and_incidents_over_http(
    client: TestClient, manager: LifecycleManager
) -> None:
    """`superProcessInstance` / `subProcessInstance` find caller and child, the call activity's
    history names the child, and the child's incident shows on the caller with Camunda's cause
    and root cause ids."""

    def broken(_ctx: Any) -> dict[str, Any]:
        raise RuntimeError("backend down")

    manager.register_delegate("Broken", broken)
    child = process(
        '<bpmn:startEvent id="cs"/><bpmn:serviceTask id="job" camunda:class="Broken">'
        "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R0/PT1M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="ce"/>' + chain("cs", "job", "ce"),
        pid="called",
    )
    caller = process(
        '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="called"/>'
        '<bpmn:endEvent id="e"/>' + chain("s", "call", "e"),
        pid="caller",
    )
    manager.deploy(("called.bpmn", child), ("caller.bpmn", caller))
    started = client.post("/process-definition/key/caller/start", headers=ALL, json={}).json()
    [called] = client.get(
        "/process-instance", params={"superProcessInstance": started["id"]}, headers=ALL
    ).json()
    assert called["definitionKey"] == "called"
    [found] = client.get(
        "/process-instance", params={"subProcessInstance": called["id"]}, headers=ALL
    ).json()
    assert found["id"] == started["id"]
    assert (
        client.get("/process-instance", params={"subProcessInstance": "nobody"}, headers=ALL).json()
        == []
    )
    roots = client.get("/process-instance", params={"rootProcessInstances": "true"}, headers=ALL)
    assert [i["id"] for i in roots.json()] == [started["id"]]
    leaves = client.get("/process-instance", params={"leafProcessInstances": "true"}, headers=ALL)
    assert [i["id"] for i in leaves.json()] == [called["id"]]
    child_history = client.get(f"/history/process-instance/{called['id']}", headers=ALL).json()
    assert child_history["superProcessInstanceId"] == started["id"]
    assert child_history["rootProcessInstanceId"] == started["id"]
    history = "/history/activity-instance"
    [call] = client.get(
        history, params={"processInstanceId": started["id"], "activityId": "call"}, headers=ALL
    ).json()
    assert call["activityType"] == "callActivity"
    assert call["calledProcessInstanceId"] == called["id"]
    in_child = client.get(history, params={"processInstanceId": called["id"]}, headers=ALL).json()
    assert {r["rootProcessInstanceId"] for r in in_child} == {started["id"]}
    assert {r["calledProcessInstanceId"] for r in in_child} == {None}
    incidents = client.get("/incident", headers=ALL).json()
    by_instance = {i["processInstanceId"]: i for i in incidents}
    root, repeated = by_instance[called["id"]], by_instance[started["id"]]
    assert root["rootCauseIncidentId"] == root["causeIncidentId"] == root["id"]
    assert repeated["activityId"] == "call"
    assert repeated["causeIncidentId"] == repeated["rootCauseIncidentId"] == root["id"]
