"""ModelOp's service-task delegates, under ModelOp's names.

They read and write ModelOp's
variables (research/modelop-and-peers.md §1.4), plus Jira/ServiceNow tickets, HTTP calls and a
security scan.

`register_modelop_delegates(registry)` registers them all as built-ins; the manager does so by
default, and a delegate you register under the same name replaces the built-in.
"""

from typing import Any

from modelop_mlc.handlers import (
    assets,
    deployments,
    evaluation,
    http,
    jobs,
    models,
    notifications,
    refused,
    results,
    runtimes,
    security,
    snapshots,
    tickets,
)
from modelop_mlc.handlers._base import CATALOGUE, register_catalogue
from modelop_mlc.registry import DelegateRegistry

__all__ = ["delegate_names", "register_modelop_delegates"]

_MODULES = (
    assets,
    deployments,
    evaluation,
    http,
    jobs,
    models,
    notifications,
    refused,
    results,
    runtimes,
    security,
    snapshots,
    tickets,
)


def register_modelop_delegates(registry: DelegateRegistry, center: Any = None) -> None:
    """Register every built-in delegate on `registry`.

    With `center`, the delegates needing a capability it lacks are refused at deploy.
    """
    register_catalogue(registry, center)


def delegate_names() -> list[str]:
    """The names (and aliases) of the built-in delegates."""
    return sorted({n for spec in CATALOGUE for n in (spec.name, *spec.aliases)})
