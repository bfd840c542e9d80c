"""Secret variables read over real HTTP answer `***`, whatever the route (issue 25)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.config import SECRET_NAMES
from modelop_mlc.rest import StaticTokens, create_app
from rest.live import serve_in_thread
from rest.support import ALL, TOKENS

PASSWORD = "JiraPassw0rd-5521"
PIN = "pin-code-8830"
FORM = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="review"><bpmn:extensionElements><camunda:formData>'
    '<camunda:formField id="JIRA_PASSWORD" type="string"/>'
    '<camunda:formField id="comment" type="string"/>'
    "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
    '<bpmn:endEvent id="end"/>' + chain("start", "review", "end"),
    pid="secret_reads",
)
STARTED = {
    "JIRA_PASSWORD": {"value": PASSWORD, "type": "String"},
    "BANK_PIN_CODE": {"value": PIN, "type": "String"},
    "comment": {"value": "looks fine", "type": "String"},
}


@pytest.fixture(name="served")
def _served(tmp_path: Path) -> Iterator[tuple[httpx.Client, LifecycleManager]]:
    # `*PIN_CODE*` is the host's own secret name, next to the default patterns.
    config = ManagerConfig(secret_variables=(*SECRET_NAMES, "*PIN_CODE*"))
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.deploy(FORM)
        app = create_app(manager, auth=StaticTokens(TOKENS))
        with serve_in_thread(app) as base, httpx.Client(base_url=base, headers=ALL) as client:
            yield client, manager


def _start(client: httpx.Client) -> dict[str, Any]:
    started = client.post(
        "/process-definition/key/secret_reads/start",
        json={"variables": STARTED, "withVariablesInReturn": True},
    )
    assert started.status_code == 200, started.text
    return dict(started.json())


def _assert_masked(typed: dict[str, Any]) -> None:
    assert typed["value"] == "***"
    assert typed["type"] == "String"


def test_every_variable_read_masks_secrets_and_keeps_the_rest(
    served: tuple[httpx.Client, LifecycleManager],
) -> None:
    """JIRA_PASSWORD and the host's BANK_PIN_CODE are `***` on every read route; comment is not."""
    client, manager = served
    started = _start(client)
    instance_id = started["id"]
    task_id = client.get("/task", params={"processInstanceId": instance_id}).json()[0]["id"]
    maps = [
        started["variables"],
        client.get(f"/process-instance/{instance_id}/variables").json(),
        client.get(f"/task/{task_id}/variables").json(),
    ]
    for answer in maps:
        _assert_masked(answer["JIRA_PASSWORD"])
        _assert_masked(answer["BANK_PIN_CODE"])
        assert answer["comment"]["value"] == "looks fine"
    for name in ("JIRA_PASSWORD", "BANK_PIN_CODE"):
        _assert_masked(client.get(f"/process-instance/{instance_id}/variables/{name}").json())
        _assert_masked(client.get(f"/task/{task_id}/variables/{name}").json())
        for route in ("/variable-instance", "/history/variable-instance"):
            (listed,) = client.get(route, params={"variableName": name}).json()
            _assert_masked(listed)
            _assert_masked(client.get(f"{route}/{listed['id']}").json())
    form = client.get(f"/task/{task_id}/form-variables").json()
    _assert_masked(form["JIRA_PASSWORD"])
    assert form["comment"]["value"] == "looks fine"
    # The host and its delegates still see the real values.
    assert manager.instance(instance_id).variables["JIRA_PASSWORD"] == PASSWORD


def test_no_answer_holds_a_secret_value(served: tuple[httpx.Client, LifecycleManager]) -> None:
    """Neither value appears in any answer's text, including completion with its variables."""
    client, _ = served
    started = _start(client)
    instance_id = started["id"]
    task_id = client.get("/task", params={"processInstanceId": instance_id}).json()[0]["id"]
    answers = [
        client.get(f"/process-instance/{instance_id}/variables"),
        client.get("/variable-instance"),
        client.get("/history/variable-instance"),
        client.get(f"/task/{task_id}/form-variables"),
        client.post(f"/task/{task_id}/complete", json={"withVariablesInReturn": True}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert PASSWORD not in answer.text
        assert PIN not in answer.text
    _assert_masked(answers[-1].json()["JIRA_PASSWORD"])


def test_a_value_filter_cannot_guess_a_secret(
    served: tuple[httpx.Client, LifecycleManager],
) -> None:
    """`variableValues=JIRA_PASSWORD_eq_<the password>` finds nothing; an ordinary filter does."""
    client, _ = served
    _start(client)
    guessed = client.get(
        "/variable-instance", params={"variableValues": f"JIRA_PASSWORD_eq_{PASSWORD}"}
    )
    assert guessed.json() == []
    plain = client.get("/variable-instance", params={"variableValues": "comment_eq_looks fine"})
    assert [v["name"] for v in plain.json()] == ["comment"]
