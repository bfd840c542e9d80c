"""What makes a step cheap to save, and how durable a save is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import ConfigurationError, LifecycleManager, ManualClock
from modelop_mlc.store import SqliteStore, open_store
from modelop_mlc.store.rows import HistoryRow

STORE_SOURCES = Path(__file__).resolve().parents[2] / "src" / "modelop_mlc" / "store"
APPROVAL = process(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="approve"/><bpmn:endEvent id="end"/>'
    + chain("start", "approve", "end"),
    pid="approval",
)


def _synchronous(store: SqliteStore) -> int:
    return int(store.raw("PRAGMA synchronous")[0][0])


@pytest.mark.parametrize(("durability", "pragma"), [("normal", 1), ("full", 2)])
def test_sqlite_durability_sets_synchronous(tmp_path: Path, durability: str, pragma: int) -> None:
    """`normal` is WAL with synchronous=NORMAL, `full` synchronous=FULL (an fsync a commit)."""
    store = open_store(str(tmp_path / "mlc.db"), durability=durability)  # type: ignore[arg-type]
    try:
        assert isinstance(store, SqliteStore)
        assert store.durability == durability
        assert _synchronous(store) == pragma
        assert store.raw("PRAGMA journal_mode")[0][0] == "wal"
    finally:
        store.close()


def test_the_default_durability_is_normal(tmp_path: Path) -> None:
    """A manager opened without a setting commits at synchronous=NORMAL, as before."""
    with LifecycleManager.open(tmp_path / "mlc.db") as manager:
        assert isinstance(manager.store, SqliteStore)
        assert _synchronous(manager.store) == 1


def test_a_manager_runs_at_full_durability(tmp_path: Path) -> None:
    """`LifecycleManager.open(durability="full")` runs and saves steps at synchronous=FULL."""
    with LifecycleManager.open(
        tmp_path / "mlc.db", clock=ManualClock(), durability="full"
    ) as manager:
        assert isinstance(manager.store, SqliteStore)
        assert _synchronous(manager.store) == 2
        manager.deploy(APPROVAL)
        instance = manager.start("approval")
        (task,) = manager.tasks(instance_id=instance.id)
        assert manager.complete_task(task.id).status == "completed"


def test_an_unknown_durability_is_refused(tmp_path: Path) -> None:
    """A misspelt setting is a clear error, not a silent default."""
    with pytest.raises(ConfigurationError, match="normal, full"):
        SqliteStore(tmp_path / "mlc.db", durability="paranoid")  # type: ignore[arg-type]


def test_postgresql_leaves_durability_to_its_server() -> None:
    """A durability setting with a PostgreSQL URL is refused, naming synchronous_commit."""
    with pytest.raises(ConfigurationError, match="synchronous_commit"):
        open_store("postgresql://user:pw@127.0.0.1:1/db", durability="full")


def test_every_instance_update_bumps_the_revision() -> None:
    """Each SQL statement that updates instances increments their revision, which is what
    the workflow cache checks against (a write that does not would let a host run a step
    on a stale workflow)."""
    statements = []
    for path in sorted(STORE_SOURCES.glob("*.py")):
        text = path.read_text()
        statements += re.findall(r'"UPDATE instances SET[^;]*?WHERE', text, flags=re.DOTALL)
    assert statements
    for statement in statements:
        assert "revision = revision + 1" in statement, statement


def test_history_is_read_back_in_both_stored_formats(tmp_path: Path) -> None:
    """History written as one JSON list per step reads back event by event, and rows in the
    earlier format (a time and a JSON text detail per event) still read."""
    store = SqliteStore(tmp_path / "mlc.db")
    try:
        store.migrate()
        at = "2026-01-01T00:00:00.000000+00:00"
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO history (instance_id, key, at, events) VALUES (?, ?, ?, ?)",
                (
                    "old",
                    "p",
                    at,
                    (
                        '[["activity_start","a","A","userTask",'
                        '"2026-01-01T00:00:01.000000+00:00","t1","{\\"x\\": 1}"]]'
                    ),
                ),
            )
            tx.append_history(
                [
                    HistoryRow("new", "p", "activity_start", at, "a", "A", "userTask", "t1"),
                    HistoryRow("new", "p", "activity_end", at, "a", detail={"x": [1]}),
                ]
            )
        (old,) = store.history("old")
        assert (old.kind, old.at, old.task_id, old.detail) == (
            "activity_start",
            "2026-01-01T00:00:01.000000+00:00",
            "t1",
            {"x": 1},
        )
        new = store.history("new")
        assert [(h.kind, h.at, h.detail) for h in new] == [
            ("activity_start", at, {}),
            ("activity_end", at, {"x": [1]}),
        ]
        assert len(store.raw("SELECT * FROM history WHERE instance_id = 'new'")) == 1
    finally:
        store.close()


def test_an_unchanged_status_is_not_written(tmp_path: Path) -> None:
    """Completing one of two tasks leaves the status column (and its indexes) alone."""
    with LifecycleManager.open(tmp_path / "mlc.db", clock=ManualClock()) as manager:
        manager.deploy(APPROVAL)
        instance = manager.start("approval")
        seen: list[str] = []
        conn = manager.store.reader().conn
        conn.set_trace_callback(seen.append)
        manager.set_variables(instance.id, {"x": 1})
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id)
        conn.set_trace_callback(None)
    updates = [s for s in seen if s.startswith("UPDATE instances")]
    assert len(updates) == 2
    assert "status" not in updates[0]
    assert "status = 'completed'" in updates[1]
