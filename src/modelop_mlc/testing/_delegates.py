"""`DelegateEnvironment`: run one delegate without a process, like Temporal's `ActivityEnvironment`.

The environment is what a service task would give the delegate: a `ManualClock`, the embedded
ModelOp Center (`LocalCenter`) and ticket board (`LocalTickets`) on a real SQLite database in a
temporary folder, and the task's identity. `run()` calls the delegate and returns the variables
it sets, checked the way the runtime checks them; a `BpmnError` or `Pending` it raises comes out
unchanged.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Self

from modelop_mlc.center import LocalCenter
from modelop_mlc.clock import ManualClock
from modelop_mlc.ports import Decisions
from modelop_mlc.registry import DelegateContext, check_json, delegate_output
from modelop_mlc.store import SqliteStore
from modelop_mlc.tickets import Tickets

__all__ = ["DelegateEnvironment"]


class DelegateEnvironment:
    """A ready context for calling a delegate directly.

    Args:
        clock: The clock delegates see; a new `ManualClock` by default.
        activity_id: The service task the delegate runs for.
        business_key: The instance's business key.
        secrets: What `context.secret(name)` returns.
        decisions: What `context.decisions` is (a `modelop_mlc.ports.Decisions`).
        data_roots: Folders `LocalCenter` may read external assets from (none by default).
        directory: Where the database goes; a temporary folder removed by `close()` by default.

    Attributes:
        clock: The clock; move it with `advance()`.
        center: The embedded ModelOp Center.
        tickets: The ticket systems (`tickets.local` is the embedded board).
        events: `(signal name, variables)` of every event the center emitted.
        woken: The wake keys of every ticket the board changed (`ticket:local:MLC-1`).
        attempt: The attempt number the next `run()` reports (1, then 2, ... on retries).

    Example:
        >>> with DelegateEnvironment() as env:  # doctest: +SKIP
        ...     env.run(deploy_model, {"DEPLOYABLE_MODEL": snapshot})
    """

    def __init__(
        self,
        *,
        clock: ManualClock | None = None,
        activity_id: str = "service_task",
        business_key: str | None = None,
        secrets: Mapping[str, Any] | None = None,
        decisions: Decisions | None = None,
        data_roots: tuple[str | Path, ...] = (),
        directory: str | Path | None = None,
    ) -> None:
        """Create the environment and its database."""
        self.clock = clock or ManualClock()
        self.activity_id = activity_id
        self.business_key = business_key
        self.instance_id = str(uuid.uuid4())
        self.secrets = dict(secrets or {})
        self.decisions = decisions
        self.attempt = 1
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.woken: list[str] = []
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._folder = tempfile.TemporaryDirectory(prefix="mlc-delegates-")
            directory = self._folder.name
        self.store = SqliteStore(Path(directory) / "delegates.db")
        self.store.migrate()
        self.center = LocalCenter(
            self.store, self.clock, on_event=self._record, data_roots=data_roots
        )
        self.tickets = Tickets()
        self.tickets.bind(self.store, self.clock, on_change=self.woken.append)

    def _record(self, signal_name: str, variables: dict[str, Any]) -> None:
        self.events.append((signal_name, variables))

    def context(
        self,
        variables: Mapping[str, Any] | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        method: str | None = None,
        arguments: tuple[Any, ...] = (),
    ) -> DelegateContext:
        """The context a service task would pass: these variables and inputs, this attempt.

        Raises:
            modelop_mlc.errors.VariableError: If a variable or input is not JSON.
        """
        return DelegateContext(
            variables=MappingProxyType(check_json(variables)),
            inputs=MappingProxyType(check_json(inputs, where="inputs")),
            instance_id=self.instance_id,
            activity_id=self.activity_id,
            activity_name=None,
            business_key=self.business_key,
            # A retry keeps the key, as the runtime's does: `attempt` moves, the key does not.
            idempotency_key=f"{self.instance_id}:{self.activity_id}",
            clock=self.clock,
            center=self.center,
            tickets=self.tickets,
            decisions=self.decisions,
            secrets=self.secrets,
            method=method,
            arguments=arguments,
            attempt=self.attempt,
            log=logging.getLogger(f"modelop_mlc.delegate.{self.activity_id}"),
        )

    def run(
        self,
        delegate: Callable[[DelegateContext], Mapping[str, Any] | None],
        variables: Mapping[str, Any] | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run `delegate` once and return the variables it sets.

        Raises:
            modelop_mlc.errors.BpmnError: What the delegate raised to take an error boundary.
            modelop_mlc.registry.Pending: What the delegate raised to be checked again later.
            modelop_mlc.errors.ProcessError: If it returned something other than a mapping.
            modelop_mlc.errors.VariableError: If a value it returned is not JSON.
        """
        return delegate_output(delegate(self.context(variables, inputs=inputs)), self.activity_id)

    def close(self) -> None:
        """Close the database (and remove its temporary folder)."""
        self.store.close()
        if self._folder is not None:
            self._folder.cleanup()

    def __enter__(self) -> Self:
        """Use the environment in a `with` block; it closes at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the environment."""
        self.close()
