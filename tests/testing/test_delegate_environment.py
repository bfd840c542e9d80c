"""`DelegateEnvironment`: one delegate, run directly, with a clock, a centre and a board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc import BpmnError, DelegateContext, DelegateRegistry, ManualClock, Pending
from modelop_mlc.errors import ConfigurationError, ProcessError, VariableError
from modelop_mlc.handlers import register_modelop_delegates
from modelop_mlc.testing import DelegateEnvironment
from modelop_mlc.tickets import TicketKind, context_from_variables


@pytest.fixture(name="env")
def _env() -> Any:
    with DelegateEnvironment(activity_id="approve", business_key="snap-1") as env:
        yield env


def test_run_returns_the_variables_the_delegate_sets(env: DelegateEnvironment) -> None:
    """The delegate sees the variables, inputs and task identity; `run` returns its result."""
    seen: dict[str, Any] = {}

    def delegate(ctx: DelegateContext) -> dict[str, Any]:
        seen.update(
            model=ctx.variables["MODEL"],
            threshold=ctx.get("threshold"),
            where=(ctx.activity_id, ctx.business_key, ctx.attempt),
        )
        return {"APPROVED": ctx.variables["MODEL"]["auc"] >= ctx.get("threshold")}

    result = env.run(delegate, {"MODEL": {"auc": 0.9}}, inputs={"threshold": 0.8})
    assert result == {"APPROVED": True}
    assert seen == {"model": {"auc": 0.9}, "threshold": 0.8, "where": ("approve", "snap-1", 1)}


def test_a_built_in_delegate_writes_to_the_embedded_centre(env: DelegateEnvironment) -> None:
    """A ModelOp delegate records its notification in the environment's `LocalCenter`."""
    registry = DelegateRegistry()
    register_modelop_delegates(registry)
    entry = registry.resolve(("CreateModelNotification",))
    assert entry is not None
    result = env.run(entry.function, {"MESSAGE": "retrain", "DEPLOYABLE_MODEL": {"id": "m-1"}})
    (note,) = env.center.notifications()
    assert result["NOTIFICATION"]["message"] == note.message == "retrain"


def test_the_clock_and_the_board_are_the_ones_the_delegate_sees(
    env: DelegateEnvironment,
) -> None:
    """The clock is a `ManualClock` to move; a ticket the delegate opens is on the board."""

    def open_ticket(ctx: DelegateContext) -> dict[str, Any]:
        context = context_from_variables(TicketKind.MODEL_REVIEW, ctx.variables)
        ticket = ctx.tickets.local.create(
            TicketKind.MODEL_REVIEW, context, idempotency_key=ctx.idempotency_key
        )
        return {"TICKET": ticket.key, "AT": ctx.clock.now().isoformat()}

    env.clock.advance(timedelta(days=1))
    first = env.run(open_ticket, {"MODEL_NAME": "churn"})
    again = env.run(open_ticket, {"MODEL_NAME": "churn"})  # a retry finds the same ticket
    assert first["TICKET"] == again["TICKET"]
    assert first["AT"] == env.clock.now().isoformat()
    assert env.tickets.local.get(first["TICKET"]).status == "To Do"


def test_bpmn_errors_and_pending_come_out_unchanged(env: DelegateEnvironment) -> None:
    """`BpmnError` and `Pending` raised by the delegate are what `run` raises."""

    def fail(_ctx: DelegateContext) -> None:
        raise BpmnError("FAILURE", "the model did not load")

    def wait(_ctx: DelegateContext) -> None:
        raise Pending(timedelta(minutes=5), "job running", wake_on="job:j-1")

    with pytest.raises(BpmnError) as failed:
        env.run(fail)
    assert (failed.value.code, failed.value.message) == ("FAILURE", "the model did not load")
    with pytest.raises(Pending) as pending:
        env.run(wait)
    assert (pending.value.after, pending.value.wake_on) == (timedelta(minutes=5), "job:j-1")


def test_what_the_runtime_refuses_run_refuses(env: DelegateEnvironment) -> None:
    """A result that is not a mapping, or not JSON, fails as it would in a process."""
    with pytest.raises(ProcessError, match="returned list"):
        env.run(lambda _ctx: [1, 2])  # type: ignore[arg-type,return-value]
    with pytest.raises(VariableError):
        env.run(lambda _ctx: {"WHEN": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(VariableError):
        env.run(lambda _ctx: None, {"bad": object()})


def test_secrets_attempt_and_own_clock(tmp_path: Path) -> None:
    """Secrets, the attempt number, the clock and the database folder are the caller's."""
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    with DelegateEnvironment(clock=clock, secrets={"token": "s3cret"}, directory=tmp_path) as env:
        env.attempt = 3
        result = env.run(lambda ctx: {"ok": ctx.secret("token") == "s3cret", "n": ctx.attempt})
        assert result == {"ok": True, "n": 3}
        assert env.clock is clock
        with pytest.raises(ConfigurationError, match="no secret named 'other'"):
            env.run(lambda ctx: {"x": ctx.secret("other")})
    assert (tmp_path / "delegates.db").exists()
