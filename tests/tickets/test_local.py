"""LocalTickets: the embedded board, in a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from modelop_mlc import ManualClock
from modelop_mlc.errors import NotFoundError
from modelop_mlc.store import SqlStore, open_store
from modelop_mlc.tickets import LocalTickets, TicketKind, context_from_variables
from tickets.support import VARIABLES


@pytest.fixture(name="store")
def _store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(str(tmp_path / "board.db"))
    store.migrate()
    yield store
    store.close()


@pytest.fixture(name="woken")
def _woken() -> list[str]:
    return []


@pytest.fixture(name="board")
def _board(store: SqlStore, clock: ManualClock, woken: list[str]) -> LocalTickets:
    return LocalTickets(
        store, clock, url_template="https://mlc.example.com/tickets/{key}", on_change=woken.append
    )


def _open(board: LocalTickets, key: str = "inst:task-1", kind: str = "model_review") -> str:
    context = context_from_variables(kind, VARIABLES, instance_id="inst")
    return board.create(kind, context, idempotency_key=key).key


def test_create_opens_numbered_tickets_in_to_do(board: LocalTickets, clock: ManualClock) -> None:
    """Tickets get MLC-1, MLC-2, ..., start in To Do and carry the rendered body."""
    first = board.get(_open(board, "a"))
    second = board.get(_open(board, "b", kind="test_review"))
    assert (first.key, second.key) == ("MLC-1", "MLC-2")
    assert (first.status, first.kind, first.system) == ("To Do", "model_review", "local")
    assert first.summary == "Review credit-risk v2"
    assert first.url == "https://mlc.example.com/tickets/MLC-1"
    assert first.created_at == clock.now()
    assert "auc      | 0.61" in board.description("MLC-1")


def test_create_is_idempotent(board: LocalTickets) -> None:
    """The same idempotency key returns the ticket made before, not a new one."""
    assert _open(board, "same") == _open(board, "same") == "MLC-1"
    assert len(board.list()) == 1
    found = board.find_by_idempotency_key("same")
    assert found is not None
    assert found.key == "MLC-1"
    assert board.find_by_idempotency_key("other") is None


def test_transition_comments_and_fields(
    board: LocalTickets, clock: ManualClock, woken: list[str]
) -> None:
    """A transition sets the status, fields by name and a comment, and wakes waiters."""
    key = _open(board)
    woken.clear()
    clock.advance(timedelta(hours=2))
    ticket = board.transition(
        key,
        "done",
        comment="Approved by the risk committee",
        fields={"Expiration Date": "2027-03-31"},
        author="ann",
    )
    assert ticket.status == "Done"
    assert ticket.fields == {"Expiration Date": "2027-03-31"}
    assert ticket.updated_at == clock.now()
    assert board.comments(key) == [
        {
            "author": "ann",
            "body": "Approved by the risk committee",
            "created_at": clock.now().isoformat(timespec="microseconds"),
        }
    ]
    assert woken == ["ticket:local:MLC-1"]


def test_list_filters_by_status_and_kind(board: LocalTickets) -> None:
    """The board lists tickets oldest first, by status or kind."""
    keys = [_open(board, str(i)) for i in range(11)]
    board.transition(keys[1], "Rejected")
    board.transition(keys[10], "In Review")
    assert [t.key for t in board.list()] == [f"MLC-{i}" for i in range(1, 12)]
    assert [t.key for t in board.list("Rejected")] == ["MLC-2"]
    assert [t.key for t in board.list(status="in review")] == ["MLC-11"]
    assert board.list(kind=TicketKind.TEST_REVIEW.value) == []


def test_comment_and_attach(board: LocalTickets) -> None:
    """Comments and attachments are kept with the ticket."""
    key = _open(board)
    board.comment(key, "first")
    board.attach(key, "report.pdf", b"%PDF-1.7 \x00\x01")
    assert [c["body"] for c in board.comments(key)] == ["first"]
    assert board.attachments(key) == [("report.pdf", b"%PDF-1.7 \x00\x01")]


def test_unknown_tickets_and_statuses_are_refused(board: LocalTickets) -> None:
    """A missing key is a NotFoundError; an unknown status lists the four."""
    with pytest.raises(NotFoundError, match="No local ticket 'MLC-9'"):
        board.get("MLC-9")
    key = _open(board)
    with pytest.raises(ValueError, match="statuses: To Do, In Review, Done, Rejected"):
        board.transition(key, "Approved")


def test_prefix_is_validated(store: SqlStore, clock: ManualClock) -> None:
    """Key prefixes are upper-case words."""
    with pytest.raises(ValueError, match="prefix"):
        LocalTickets(store, clock, prefix="mlc-")
    ops = LocalTickets(store, clock, prefix="OPS")
    assert _open(ops) == "OPS-1"
    assert repr(ops) == "LocalTickets(prefix='OPS')"
