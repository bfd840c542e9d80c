"""POST /webhook/jira and /webhook/servicenow: verified deliveries wake the waiting tasks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Mount

import modelop_mlc.handlers.tickets  # noqa: F401 - registers the ticket delegates
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.rest import StaticTokens, create_app
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.tickets import (
    JiraConfig,
    JiraTickets,
    ServiceNowConfig,
    ServiceNowTickets,
    Tickets,
    WebhookGuard,
)
from rest.support import BASE, TOKENS, TestClient
from tickets.support import VARIABLES, review_process

SECRET = "jira-hook-secret-8"
SNOW_SECRET = "snow-hook-secret-8"


@pytest.fixture(name="jira")
def _jira(clock: ManualClock) -> Iterator[FakeJira]:
    with FakeJira(clock=clock.now) as fake:
        yield fake


@pytest.fixture(name="snow")
def _snow(clock: ManualClock) -> Iterator[FakeServiceNow]:
    with FakeServiceNow(clock=clock.now) as fake:
        yield fake


@pytest.fixture(name="hooked")
def _hooked(
    tmp_path: Path, clock: ManualClock, jira: FakeJira, snow: FakeServiceNow
) -> Iterator[tuple[LifecycleManager, TestClient, WebhookGuard]]:
    tickets = Tickets(
        jira=JiraTickets(
            JiraConfig(url=jira.url, project="MLC", username="svc", api_token=SecretStr("t")),
            clock=clock,
        ),
        servicenow=ServiceNowTickets(
            ServiceNowConfig(url=snow.url, username="svc", password=SecretStr("p")), clock=clock
        ),
    )
    manager = LifecycleManager.open(tmp_path / "hooks.db", clock=clock, tickets=tickets)
    guard = WebhookGuard(jira_secret=SECRET, servicenow_secret=SNOW_SECRET, clock=clock)
    app = create_app(manager, auth=StaticTokens(TOKENS), webhooks=guard)
    host = Starlette(routes=[Mount("/engine-rest", app=app)])
    with TestClient(host, base_url=BASE) as client:
        yield manager, client, guard
    manager.close()


def _waiting(manager: LifecycleManager, create: str = "CreateJiraModelReview") -> str:
    manager.deploy(review_process(create))
    instance = manager.start("review", VARIABLES)
    manager.run_due()
    assert manager.instance(instance.id).waiting_at == ("wait",)
    return instance.id


def test_a_signed_jira_delivery_wakes_the_task_and_a_replay_is_refused(
    hooked: tuple[LifecycleManager, TestClient, WebhookGuard], jira: FakeJira
) -> None:
    """No bearer token needed: the signature admits it once; the same delivery again is 409."""
    manager, client, guard = hooked
    instance_id = _waiting(manager)
    jira.transition("MLC-1", "Done")
    body, headers = jira.webhook_delivery("MLC-1", SECRET)
    answer = client.post("/webhook/jira", content=body, headers=headers)
    assert (answer.status_code, answer.json()) == (200, {"woken": 1})
    manager.run_due()
    assert manager.instance(instance_id).status == "completed"
    replay = client.post("/webhook/jira", content=body, headers=headers)
    assert replay.status_code == 409
    assert replay.json()["reason"] == "replayed"
    assert guard.counts() == {"jira.accepted": 1, "jira.replayed": 1}


def test_unsigned_and_forged_jira_deliveries_are_refused_and_counted(
    hooked: tuple[LifecycleManager, TestClient, WebhookGuard], jira: FakeJira
) -> None:
    """401 for a missing or wrong signature; nothing is woken; the app exposes the counts."""
    manager, client, guard = hooked
    instance_id = _waiting(manager)
    jira.transition("MLC-1", "Done")
    for secret in (None, "guessed", None):
        body, headers = jira.webhook_delivery("MLC-1", secret)
        answer = client.post("/webhook/jira", content=body, headers=headers)
        assert answer.status_code == 401
    assert manager.run_due() == 0
    assert manager.instance(instance_id).waiting_at == ("wait",)
    app = client.app.routes[0].app  # type: ignore[attr-defined]
    assert app.state.webhooks.counts() == {"jira.unsigned": 2, "jira.bad_signature": 1}
    assert guard.counts()["jira.unsigned"] == 2


def test_other_routes_still_need_a_bearer_token(
    hooked: tuple[LifecycleManager, TestClient, WebhookGuard],
) -> None:
    """Only the webhook paths skip bearer authentication, and only for POST."""
    _manager, client, _guard = hooked
    assert client.get("/process-instance").status_code == 401
    assert client.get("/webhook/jira").status_code == 405


def test_a_servicenow_delivery_with_the_shared_secret_wakes_the_task(
    hooked: tuple[LifecycleManager, TestClient, WebhookGuard], snow: FakeServiceNow
) -> None:
    """The business rule's REST message sends the secret header; without it, 401."""
    manager, client, _guard = hooked
    instance_id = _waiting(manager, "CreateServiceNowJobNotification")
    (record,) = snow.records("incident")
    snow.set_state("incident", record["sys_id"], 6)
    body = json.dumps(snow.event_payload("incident", record["sys_id"])).encode()
    refused = client.post("/webhook/servicenow", content=body)
    assert refused.status_code == 401
    answer = client.post(
        "/webhook/servicenow", content=body, headers={"X-MLC-Webhook-Secret": SNOW_SECRET}
    )
    assert (answer.status_code, answer.json()) == (200, {"woken": 1})
    manager.run_due()
    assert manager.instance(instance_id).status == "completed"
    again = client.post(
        "/webhook/servicenow", content=body, headers={"X-MLC-Webhook-Secret": SNOW_SECRET}
    )
    assert again.status_code == 409


def test_without_a_guard_there_are_no_webhook_routes(manager: LifecycleManager) -> None:
    """The routes exist only when the host gives the app a WebhookGuard."""
    app = create_app(manager, auth=StaticTokens(TOKENS))
    with TestClient(Starlette(routes=[Mount("/engine-rest", app=app)]), base_url=BASE) as client:
        answer = client.post(
            "/webhook/jira", content=b"{}", headers={"Authorization": "Bearer all-token"}
        )
    assert answer.status_code == 404
