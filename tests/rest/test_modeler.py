"""What Camunda Modeler sends to engine-rest, and the answers it expects."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import StaticTokens, create_app
from rest.support import ALL, BACK_TEST_KEY, BASE, TOKENS, TestClient, modeler_deploy

CAMUNDA_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
DEFINITION_FIELDS = {
    "id",
    "key",
    "category",
    "description",
    "name",
    "version",
    "resource",
    "deploymentId",
    "diagram",
    "suspended",
    "tenantId",
    "versionTag",
    "historyTimeToLive",
    "startableInTasklist",
}
BROKEN = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="deploy_model" name="Deploy model" camunda:class="com.acme.Nope"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "deploy_model", "end"),
    pid="broken",
)


def test_connection_check_and_version_probe(client: TestClient) -> None:
    """The Modeler's `GET /deployment?maxResults=0` and `GET /version` probes succeed."""
    probe = client.get("/deployment", params={"maxResults": 0}, headers=ALL)
    assert probe.status_code == 200
    assert probe.json() == []
    assert client.get("/version", headers=ALL).json() == {"version": "7.21.0"}
    assert client.get("/engine", headers=ALL).json() == [{"name": "default"}]


def test_deploy_answers_camundas_deployment_with_definitions(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """A Modeler upload (file part named by the file) gets Camunda's 200 response shape."""
    file_name, xml = back_test_diagram
    response = modeler_deploy(client, file_name, xml)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "links",
        "id",
        "name",
        "source",
        "deploymentTime",
        "tenantId",
        "deployedProcessDefinitions",
        "deployedCaseDefinitions",
        "deployedDecisionDefinitions",
        "deployedDecisionRequirementsDefinitions",
    }
    assert body["name"] == "run_back_test"
    assert body["source"] == "Camunda Modeler"
    assert body["tenantId"] is None
    assert CAMUNDA_DATE.match(body["deploymentTime"])
    assert body["deploymentTime"] == "2026-01-01T00:00:00.000+0000"
    assert body["links"] == [
        {"method": "GET", "href": f"{BASE}/deployment/{body['id']}", "rel": "self"}
    ]
    [(definition_id, definition)] = body["deployedProcessDefinitions"].items()
    assert set(definition) == DEFINITION_FIELDS
    assert definition["id"] == definition_id
    assert definition["key"] == BACK_TEST_KEY
    assert definition["version"] == 1
    assert definition["resource"] == file_name
    assert definition["deploymentId"] == body["id"]
    assert definition["suspended"] is False
    assert body["deployedCaseDefinitions"] is None
    assert body["deployedDecisionDefinitions"] is None


def test_deployment_is_listed_and_readable(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """After a deploy, the deployment, its definition and its XML can be read back."""
    file_name, xml = back_test_diagram
    deployed = modeler_deploy(client, file_name, xml).json()
    [definition_id] = deployed["deployedProcessDefinitions"]
    listed = client.get("/deployment", headers=ALL).json()
    assert [d["id"] for d in listed] == [deployed["id"]]
    assert (
        client.get(f"/deployment/{deployed['id']}", headers=ALL).json()["name"] == "run_back_test"
    )
    definitions = client.get(
        "/process-definition", params={"key": BACK_TEST_KEY, "latestVersion": "true"}, headers=ALL
    ).json()
    assert [d["id"] for d in definitions] == [definition_id]
    xml_body = client.get(f"/process-definition/{definition_id}/xml", headers=ALL).json()
    assert xml_body == {"id": definition_id, "bpmn20Xml": xml}
    by_key = client.get(f"/process-definition/key/{BACK_TEST_KEY}", headers=ALL).json()
    assert by_key["id"] == definition_id


def test_duplicate_filtering_returns_the_existing_definitions(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """Deploying an unchanged file again returns version 1 rather than creating version 2."""
    file_name, xml = back_test_diagram
    first = modeler_deploy(client, file_name, xml).json()
    again = modeler_deploy(client, file_name, xml).json()
    assert list(again["deployedProcessDefinitions"]) == list(first["deployedProcessDefinitions"])
    versions = client.get("/process-definition", params={"key": BACK_TEST_KEY}, headers=ALL)
    assert [d["version"] for d in versions.json()] == [1]


def test_changed_file_deploys_a_new_version(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """A changed diagram (older Modelers send deploy-changed-only) becomes version 2."""
    file_name, xml = back_test_diagram
    modeler_deploy(client, file_name, xml)
    changed = xml.replace('name="Run back test"', 'name="Run back test v2"')
    body = modeler_deploy(client, file_name, changed, extra={"deploy-changed-only": "true"}).json()
    [definition] = body["deployedProcessDefinitions"].values()
    assert (definition["version"], definition["name"]) == (2, "Run back test v2")
    latest = client.get("/process-definition", params={"latestVersion": "true"}, headers=ALL).json()
    assert [d["version"] for d in latest] == [2]


def test_unparsable_diagram_gets_camundas_parse_exception(client: TestClient) -> None:
    """A diagram with problems gets 400 `ParseException` starting with ENGINE-09005."""
    response = modeler_deploy(client, "broken.bpmn", BROKEN, name="broken")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    assert "deploy_model" in body["message"]
    line = next(n for n, text in enumerate(BROKEN.splitlines(), 1) if "deploy_model" in text)
    assert f"line {line}" in body["message"]
    [error] = body["details"]["broken.bpmn"]["errors"]
    assert error["mainElementId"] == "deploy_model"
    assert error["line"] == line
    assert "com.acme.Nope" in error["message"]


def test_nothing_is_stored_when_a_diagram_is_refused(
    client: TestClient, manager: LifecycleManager, back_test_diagram: tuple[str, str]
) -> None:
    """A refused upload stores no deployment and no definition, even beside a good file."""
    file_name, xml = back_test_diagram
    response = client.post(
        "/deployment/create",
        headers=ALL,
        data={"deployment-name": "mixed", "deployment-source": "Camunda Modeler"},
        files=[
            (file_name, (file_name, xml.encode(), "text/xml")),
            ("broken.bpmn", ("broken.bpmn", BROKEN.encode(), "text/xml")),
        ],
    )
    assert response.status_code == 400
    assert client.get("/deployment", headers=ALL).json() == []
    assert client.get("/process-definition", headers=ALL).json() == []
    assert manager.definitions() == []


def test_upload_without_files_is_refused_with_camundas_message(client: TestClient) -> None:
    """A form with no resource part gets Camunda's 400 message."""
    response = client.post(
        "/deployment/create",
        headers=ALL,
        files={"deployment-name": (None, "empty")},
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "No deployment resources contained in the form upload.",
        "code": 0,
    }


def test_linked_form_attachments_are_accepted_and_ignored(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """Camunda Forms attached by the Modeler do not fail the deployment."""
    file_name, xml = back_test_diagram
    response = client.post(
        "/deployment/create",
        headers=ALL,
        data={"deployment-name": "with-form", "deployment-source": "Camunda Modeler"},
        files=[
            (file_name, (file_name, xml.encode(), "text/xml")),
            ("review.form", ("review.form", b'{"components": []}', "application/json")),
        ],
    )
    assert response.status_code == 200
    assert len(response.json()["deployedProcessDefinitions"]) == 1


def test_oversized_upload_gets_413(
    manager: LifecycleManager, back_test_diagram: tuple[str, str]
) -> None:
    """A body over the configured limit is refused with 413 and Camunda's error body."""
    app = create_app(manager, auth=StaticTokens(TOKENS), max_upload_bytes=1024)
    file_name, xml = back_test_diagram
    padded = xml + "<!--" + "x" * 2048 + "-->"
    with TestClient(app) as client:
        response = modeler_deploy(client, file_name, padded)
    assert response.status_code == 413
    assert response.json()["type"] == "InvalidRequestException"
    assert "1024" in response.json()["message"]
    assert manager.definitions() == []


def test_chunked_upload_over_the_limit_gets_413(manager: LifecycleManager) -> None:
    """A body streamed without Content-Length is still cut off at the limit."""
    app = create_app(manager, auth=StaticTokens(TOKENS), max_upload_bytes=1024)

    def chunks() -> Iterator[bytes]:  # a generator body is sent chunked, without Content-Length
        yield b'--b\r\nContent-Disposition: form-data; name="a.bpmn"; filename="a.bpmn"\r\n\r\n'
        for _ in range(10):
            yield b"x" * 512

    with TestClient(app) as client:
        response = client.post(
            "/deployment/create",
            headers={**ALL, "Content-Type": "multipart/form-data; boundary=b"},
            content=chunks(),
        )
    assert response.status_code == 413


def test_deploy_needs_multipart(client: TestClient) -> None:
    """A JSON body on the deploy route gets 415."""
    response = client.post("/deployment/create", headers=ALL, json={"x": 1})
    assert response.status_code == 415
    assert response.json()["type"] == "InvalidRequestException"


def test_modeler_start_instance_answers_process_instance_json(
    client: TestClient, back_test_diagram: tuple[str, str]
) -> None:
    """`POST /process-definition/{id}/start` with businessKey and variables starts an instance."""
    file_name, xml = back_test_diagram
    deployed = modeler_deploy(client, file_name, xml).json()
    [definition_id] = deployed["deployedProcessDefinitions"]
    response = client.post(
        f"/process-definition/{definition_id}/start",
        headers=ALL,
        json={
            "businessKey": "snapshot-1",
            "variables": {"MODEL_ID": {"value": "m-1", "type": "String"}},
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "links",
        "id",
        "definitionId",
        "businessKey",
        "ended",
        "suspended",
        "tenantId",
    }
    assert body["definitionId"] == definition_id
    assert body["businessKey"] == "snapshot-1"
    assert (body["ended"], body["suspended"], body["tenantId"]) == (False, False, None)
    assert body["links"] == [
        {"method": "GET", "href": f"{BASE}/process-instance/{body['id']}", "rel": "self"}
    ]
    # The instance waits at a task for group `approvers`: its variables are theirs and admins'.
    variables = client.get(f"/process-instance/{body['id']}/variables", headers=ALL)
    assert variables.json() == {"MODEL_ID": {"type": "String", "value": "m-1", "valueInfo": {}}}
