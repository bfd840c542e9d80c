"""Fixtures for the ticket tests: a clock, the fakes, adapters and managers wired to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Importing the module catalogues the ticket delegates, so every manager built below
# registers them with the other built-ins.
import modelop_mlc.handlers.tickets  # noqa: F401
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
from modelop_mlc.tickets import JiraTickets, ServiceNowTickets, Tickets, TicketSystem
from tickets.support import (
    JIRA_TOKEN,
    SNOW_COLUMNS,
    SNOW_PASSWORD,
    Build,
    jira_config,
    rich_jira,
    snow_config,
)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake_jira", params=["Server", "Cloud"])
def _fake_jira(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[FakeJira]:
    with rich_jira(request.param, clock.now) as fake:
        fake.require_auth(users={"svc@example.com": JIRA_TOKEN})
        yield fake
        assert fake.errors == []


@pytest.fixture(name="fake_snow")
def _fake_snow(clock: ManualClock) -> Iterator[FakeServiceNow]:
    with FakeServiceNow(clock=clock.now, columns=SNOW_COLUMNS) as fake:
        fake.require_auth(users={"svc.mlc": SNOW_PASSWORD})
        yield fake
        assert fake.errors == []


@pytest.fixture(name="jira")
def _jira(fake_jira: FakeJira, clock: ManualClock) -> JiraTickets:
    return JiraTickets(jira_config(fake_jira), clock=clock)


@pytest.fixture(name="snow")
def _snow(fake_snow: FakeServiceNow) -> ServiceNowTickets:
    return ServiceNowTickets(snow_config(fake_snow))


@pytest.fixture(name="build")
def _build(tmp_path: Path, clock: ManualClock) -> Iterator[Build]:
    """Build managers over real SQLite files, with the given ticket systems."""
    managers: list[LifecycleManager] = []

    def build(
        *,
        jira: TicketSystem | None = None,
        servicenow: TicketSystem | None = None,
        instance_link: str | None = None,
    ) -> LifecycleManager:
        # The manager adds its own board (LocalTickets in its database) to the Tickets.
        tickets = Tickets(jira=jira, servicenow=servicenow, instance_link=instance_link)
        manager = LifecycleManager.open(
            tmp_path / f"m{len(managers)}.db", clock=clock, tickets=tickets
        )
        managers.append(manager)
        return manager

    yield build
    for manager in managers:
        manager.close()
