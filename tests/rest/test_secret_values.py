"""REST error answers never quote a secret variable's value (issue 25, item 10)."""

from __future__ import annotations

from rest.support import ALL, DRIFT_SIGNAL, TestClient, modeler_deploy, signal_start_diagram

PASSWORD = "JiraPassw0rd-7781"


def test_a_bad_secret_value_is_refused_without_quoting_it(client: TestClient) -> None:
    """`JIRA_PASSWORD` sent as an Integer: 400, the message names the variable, not the value."""
    modeler_deploy(client, "drift.bpmn", signal_start_diagram("drift_test", DRIFT_SIGNAL))
    response = client.post(
        "/process-definition/key/drift_test/start",
        headers=ALL,
        json={"variables": {"JIRA_PASSWORD": {"value": PASSWORD, "type": "Integer"}}},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "Variable 'JIRA_PASSWORD': cannot convert value *** of type 'Integer'" in message
    assert PASSWORD not in response.text


def test_other_bad_values_are_still_quoted(client: TestClient) -> None:
    """An ordinary variable's value stays in the message, as Camunda shows it."""
    modeler_deploy(client, "drift.bpmn", signal_start_diagram("drift_test", DRIFT_SIGNAL))
    response = client.post(
        "/process-definition/key/drift_test/start",
        headers=ALL,
        json={"variables": {"count": {"value": "many", "type": "Integer"}}},
    )
    assert 'cannot convert value "many"' in response.json()["message"]
