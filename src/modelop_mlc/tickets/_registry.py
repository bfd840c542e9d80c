"""`Tickets`: the ticket systems one manager talks to, with the embedded board as fallback."""

from __future__ import annotations

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.tickets._port import TicketSystem

__all__ = ["Tickets"]


class Tickets:
    """The ticket systems delegates use (`DelegateContext.tickets`).

    The Jira delegates open their tickets in Jira when it is configured and on the embedded
    board otherwise; the same goes for ServiceNow. So every shipped process runs without
    either.

    Args:
        local: The embedded board (`LocalTickets`), always there.
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
        local: TicketSystem,
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
        self.local = local
        self.jira = jira
        self.servicenow = servicenow
        self.instance_link = instance_link

    def __repr__(self) -> str:
        """Describe the configured systems."""
        return f"Tickets({', '.join(self.systems)})"

    @property
    def systems(self) -> dict[str, TicketSystem]:
        """The configured systems by name (`local` always, `jira` and `servicenow` if set)."""
        found: dict[str, TicketSystem] = {"local": self.local}
        if self.jira is not None:
            found["jira"] = self.jira
        if self.servicenow is not None:
            found["servicenow"] = self.servicenow
        return found

    def for_system(self, name: str) -> TicketSystem:
        """Return where a `name` ticket is opened: that system if configured, else the board.

        Raises:
            ConfigurationError: If `name` is not `jira`, `servicenow` or `local`.
        """
        if name not in ("jira", "servicenow", "local"):
            raise ConfigurationError(
                f"unknown ticket system '{name}'; use jira, servicenow or local"
            )
        return self.systems.get(name, self.local)

    def system(self, name: str) -> TicketSystem:
        """Return the system that holds tickets marked `name` (no fallback).

        Raises:
            ConfigurationError: If that system is not configured (a ticket opened in Jira
                cannot be read once Jira is removed from the configuration).
        """
        found = self.systems.get(name)
        if found is None:
            raise ConfigurationError(
                f"ticket system '{name}' is not configured; configured: {', '.join(self.systems)}"
            )
        return found
