"""`Tickets` and how a manager connects its embedded board."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.store import open_store
from modelop_mlc.testing.fakes import FakeJira
from modelop_mlc.tickets import JiraTickets, LocalTickets, Tickets
from tickets.support import VARIABLES, jira_config, review_process


def test_a_manager_adds_its_board_to_tickets_without_one(
    tmp_path: Path, clock: ManualClock, fake_jira: FakeJira
) -> None:
    """`Tickets(jira=...)` gets the manager's LocalTickets; ServiceNow falls back to it."""
    jira = JiraTickets(jira_config(fake_jira))
    tickets = Tickets(jira=jira)
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock, tickets=tickets) as manager:
        assert manager.tickets is tickets
        board = tickets.local
        assert isinstance(board, LocalTickets)
        assert board.store is manager.store
        assert tickets.for_system("jira") is jira
        assert tickets.for_system("servicenow") is board
        assert sorted(tickets.systems) == ["jira", "local"]


def test_a_default_manager_has_the_board(manager: LifecycleManager) -> None:
    """Without tickets, a manager opens every ticket on its own board."""
    board = manager.tickets.local
    assert isinstance(board, LocalTickets)
    assert manager.tickets.for_system("jira") is board
    assert manager.tickets.for_system("servicenow") is board
    assert repr(manager.tickets) == "Tickets(local)"


def test_a_given_board_is_woken_through_the_manager(tmp_path: Path, clock: ManualClock) -> None:
    """A LocalTickets passed in without on_change gets the manager's wake."""
    store = open_store(str(tmp_path / "mlc.db"))
    board = LocalTickets(store, clock, prefix="RISK")
    with LifecycleManager(store, clock=clock, tickets=Tickets(board)) as manager:
        manager.deploy(review_process())
        instance = manager.start("review", VARIABLES)
        manager.run_due()
        (ticket,) = board.list()
        assert ticket.key == "RISK-1"
        board.transition("RISK-1", "Done")
        # The clock stands still: only the board's wake can make the wait look again.
        manager.run_due()
        assert manager.instance(instance.id).status == "completed"


def test_tickets_without_a_board_say_how_to_get_one(fake_jira: FakeJira) -> None:
    """Before a manager binds them, Tickets name what is missing."""
    tickets = Tickets(jira=JiraTickets(jira_config(fake_jira)))
    with pytest.raises(ConfigurationError, match="no embedded board yet"):
        _ = tickets.local
    with pytest.raises(ConfigurationError, match="no embedded board yet"):
        tickets.for_system("servicenow")
    with pytest.raises(
        ConfigurationError, match="'servicenow' is not configured; configured: jira"
    ):
        tickets.system("servicenow")
    with pytest.raises(ConfigurationError, match="configured: none"):
        Tickets().system("local")


def test_unknown_systems_and_bad_links_are_refused() -> None:
    """Names other than jira, servicenow and local, and links without the id, are errors."""
    with pytest.raises(ConfigurationError, match="unknown ticket system 'jra'; use jira"):
        Tickets().for_system("jra")
    with pytest.raises(ConfigurationError, match="instance_id"):
        Tickets(instance_link="https://mlc.example.com/instances")


def test_waiting_on_a_system_that_was_removed_is_an_incident(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A ticket opened in Jira cannot be read once Jira is gone: an incident, not FAILURE."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="wait" camunda:class="WaitForTicketStatus"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "wait", "end")
    )
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock) as manager:
        manager.deploy(process(body, pid="orphan"))
        instance = manager.start("orphan", {"TICKET": {"system": "jira", "key": "MLC-9"}})
        manager.run_due()
        for _ in range(3):  # the default retry cycle, R3/PT5M
            clock.advance(timedelta(minutes=5))
            manager.run_due()
        (incident,) = manager.incidents()
        assert incident.instance_id == instance.id
        assert "ticket system 'jira' is not configured" in incident.message
