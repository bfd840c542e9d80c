"""Variables and diagrams shared by the ticket tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.testing.fakes.jira import Screens
from modelop_mlc.tickets import JiraConfig, ServiceNowConfig

Build = Callable[..., LifecycleManager]
"""Builds a manager over SQLite with the given ticket systems (the `build` fixture)."""

JIRA_TOKEN = "jira-secret-token-0042"
SEARCH_LAG = timedelta(minutes=5)
"""How long the fake Jira's search trails its issues in the ticket suite (Cloud's is lagging)."""
RICH_FIELDS = (
    ("Expiration Date", "date"),
    ("Model Risk Tier", "option"),
    ("Affected Regions", "multiselect"),
    ("Model Approver", "user"),
    ("Risk Tier", "option"),
    ("Risk Tier", "string"),
)
"""Custom fields of the fake Jira: every value type, and two fields sharing a name."""
SCREENS = Screens(
    create=[name for name, _ in RICH_FIELDS if name != "Expiration Date"]
    + ["description", "labels", "priority"],
    transitions={"Approve": ["Model Risk Tier"]},
)
"""The create screen lacks "Expiration Date"; only "Approve" has a screen, with the tier."""
SNOW_PASSWORD = "snow-secret-password-0042"
SNOW_COLUMNS = {"change_request": {"u_expiration_date": "Expiration Date"}}
"""The custom column the ServiceNow admin adds (docs/tickets.md)."""


def rich_jira(deployment: str, clock: Callable[[], Any], **overrides: Any) -> FakeJira:
    """A fake Jira as a real site behaves: search lag, screens, every field type."""
    options: dict[str, Any] = {
        "deployment": deployment,
        "clock": clock,
        "custom_fields": RICH_FIELDS,
        "screens": SCREENS,
        "indexed_properties": {"mlc": ["key"]},
        "search_lag": SEARCH_LAG,
    }
    options.update(overrides)
    return FakeJira(**options)


def jira_config(fake: FakeJira, **overrides: object) -> JiraConfig:
    """A config pointing at the fake with basic auth (e-mail + API token)."""
    values: dict[str, object] = {
        "url": fake.url,
        "project": "MLC",
        "username": "svc@example.com",
        "api_token": SecretStr(JIRA_TOKEN),
        "timeout": 5.0,
    }
    values.update(overrides)
    return JiraConfig.model_validate(values)


def snow_config(fake: FakeServiceNow, **overrides: object) -> ServiceNowConfig:
    """A config pointing at the fake."""
    values: dict[str, object] = {
        "url": fake.url,
        "username": "svc.mlc",
        "password": SecretStr(SNOW_PASSWORD),
        "timeout": 5.0,
    }
    values.update(overrides)
    return ServiceNowConfig.model_validate(values)


SNAPSHOT: dict[str, Any] = {
    "id": "snap-2",
    "version": 2,
    "tags": ["run_test", "jira"],
    "storedModel": {
        "id": "sm-1",
        "modelMetaData": {
            "name": "credit-risk",
            "type": "PYTHON3",
            "group": "risk",
            "tags": ["run_test", "jira"],
        },
    },
    "deployableModelAssets": [
        {"filename": "model.py", "assetRole": "MODEL_SOURCE", "fileContent": "def score(): 2"},
        {"filename": "test.csv", "assetRole": "TEST_DATA", "fileUrl": "s3://b/test.csv"},
    ],
}
PREVIOUS: dict[str, Any] = {
    "id": "snap-1",
    "version": 1,
    "tags": ["run_test"],
    "storedModel": {
        "id": "sm-1",
        "modelMetaData": {"name": "credit-risk", "type": "PYTHON", "group": "risk"},
    },
    "deployableModelAssets": [
        {"filename": "model.py", "assetRole": "MODEL_SOURCE", "fileContent": "def score(): 1"},
        {"filename": "old.csv", "assetRole": "TEST_DATA", "fileUrl": "s3://b/old.csv"},
    ],
}
VARIABLES: dict[str, Any] = {
    "DEPLOYABLE_MODEL": SNAPSHOT,
    "PREVIOUS_DEPLOYABLE_MODEL": PREVIOUS,
    "MODEL_TEST_RESULT": {"testResults": {"auc": 0.61, "f1_score": 0.7042, "rows": 1200}},
    "TEST_RESULT": False,
    "TEST_RESULT_MESSAGE": "AUC 0.61 is below 0.7; F1 0.70 is below 0.75",
}


def review_process(
    create: str = "CreateJiraModelReview",
    *,
    wait_inputs: dict[str, str] | None = None,
    retry: str = "R3/PT1M",
) -> str:
    """A process that opens a ticket with `create`, then waits for it."""
    inputs = {"STATUSES": "Done,Rejected", **(wait_inputs or {})}
    parameters = "".join(
        f'<camunda:inputParameter name="{name}">{value}</camunda:inputParameter>'
        for name, value in inputs.items()
    )
    body = (
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:serviceTask id="create" name="Open ticket" '
        f'camunda:class="com.modelop.mlc.delegate.tickets.{create}">'
        "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>"
        f"{retry}</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
        "</bpmn:serviceTask>"
        '<bpmn:serviceTask id="wait" name="Wait for review" camunda:class="WaitForTicketStatus">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        f"{parameters}</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:endEvent id="end"/>' + chain("start", "create", "wait", "end")
    )
    return process(body, pid="review")
