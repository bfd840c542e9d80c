"""`Tickets`: the ticket systems one manager talks to, with the embedded board as fallback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.tickets._port import TicketSystem
from modelop_mlc.tickets.local import DocumentStore, LocalTickets

__all__ = ["StoreBinding", "Tickets"]

_SYSTEMS = ("jira", "servicenow", "local")


@runtime_checkable
class StoreBinding(Protocol):
    """A remote adapter that keeps its create attempts in the manager's store (`JiraTickets`).

    `Tickets.bind` checks each remote system with `isinstance` and binds those that offer it.
    """

    def bind(self, store: DocumentStore, clock: Clock) -> None:
        """Remember create attempts in `store`."""
        ...


class Tickets:
    """The ticket systems delegates use (`DelegateContext.tickets`, `manager.tickets`).

    The Jira delegates open their tickets in Jira when it is configured and on the embedded
    board otherwise; the same goes for ServiceNow. So every shipped process runs without
    either. Without `local`, the manager this is given to adds its own board (`LocalTickets`
    in the manager's database): `LifecycleManager.open("mlc.db", tickets=Tickets(jira=...))`.

    Args:
        local: The embedded board; by default the manager's `LocalTickets`.
        jira: Jira (`JiraTickets`), if configured.
        servicenow: ServiceNow (`ServiceNowTickets`), if configured.
        instance_link: A URL template for a process instance page, with `{instance_id}`,
            put into every ticket as a link back (e.g.
            `"https://mlc.example.com/instances/{instance_id}"`).

    Raises:
        ConfigurationError: If `instance_link` has no `{instance_id}` placeholder.
    """

    def __init__(
        self,
        local: TicketSystem | None = None,
        *,
        jira: TicketSystem | None = None,
        servicenow: TicketSystem | None = None,
        instance_link: str | None = None,
    ) -> None:
        """Collect the systems."""
        if instance_link is not None and "{instance_id}" not in instance_link:
            raise ConfigurationError(
                f"instance_link needs an {{instance_id}} placeholder, got {instance_link!r}"
            )
        self._local = local
        self.jira = jira
        self.servicenow = servicenow
        self.instance_link = instance_link

    def __repr__(self) -> str:
        """Describe the configured systems."""
        return f"Tickets({', '.join(self.systems)})"

    @property
    def local(self) -> TicketSystem:
        """The embedded board.

        Raises:
            ConfigurationError: If none was given and no manager has added its own yet.
        """
        if self._local is None:
            raise ConfigurationError(
                "these Tickets have no embedded board yet; give them to a LifecycleManager "
                "(tickets=...), which adds LocalTickets in its database, or pass "
                "local=LocalTickets(store, clock)"
            )
        return self._local

    @local.setter
    def local(self, board: TicketSystem) -> None:
        self._local = board

    def bind(
        self, store: DocumentStore, clock: Clock, *, on_change: Callable[[str], object]
    ) -> None:
        """Connect the embedded board to a manager (`LifecycleManager` calls this).

        Without a board, `LocalTickets(store, clock)` in the manager's database becomes it; a
        `LocalTickets` without an `on_change` callback gets `on_change`, so moving a ticket
        wakes the instances waiting on it at once. Remote adapters with a `bind(store, clock)`
        method (`JiraTickets`) keep their create attempts in the same database.

        Args:
            store: The manager's store.
            clock: The manager's clock.
            on_change: The manager's `wake`.
        """
        if self._local is None:
            self._local = LocalTickets(store, clock, on_change=on_change)
        elif isinstance(self._local, LocalTickets) and self._local.on_change is None:
            self._local.on_change = on_change
        for remote in (self.jira, self.servicenow):
            if remote is not None and isinstance(remote, StoreBinding):
                remote.bind(store, clock)

    @property
    def systems(self) -> dict[str, TicketSystem]:
        """The configured systems by name: `local` once there is a board, `jira`, `servicenow`."""
        found: dict[str, TicketSystem] = {}
        if self._local is not None:
            found["local"] = self._local
        if self.jira is not None:
            found["jira"] = self.jira
        if self.servicenow is not None:
            found["servicenow"] = self.servicenow
        return found

    def for_system(self, name: str) -> TicketSystem:
        """Return where a `name` ticket is opened: that system if configured, else the board.

        Raises:
            ConfigurationError: If `name` is not `jira`, `servicenow` or `local`, or the
                board is needed and there is none.
        """
        if name not in _SYSTEMS:
            raise ConfigurationError(f"unknown ticket system '{name}'; use {', '.join(_SYSTEMS)}")
        found = self.systems.get(name)
        return found if found is not None else self.local

    def system(self, name: str) -> TicketSystem:
        """Return the system that holds tickets marked `name` (no fallback).

        Raises:
            ConfigurationError: If that system is not configured (a ticket opened in Jira
                cannot be read once Jira is removed from the configuration).
        """
        found = self.systems.get(name)
        if found is None:
            configured = ", ".join(self.systems) or "none"
            raise ConfigurationError(
                f"ticket system '{name}' is not configured; configured: {configured}"
            )
        return found
