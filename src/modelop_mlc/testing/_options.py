"""The keyword arguments the test kit passes on to `LifecycleManager`, as typed dicts.

`ProcessHarness.deploy`/`start`, `Scenario.start`, `mlc_deploy` and `mlc_manager_options`
forward them unchanged; typing them here lets mypy check a test's options against the
manager's signature without the kit repeating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from modelop_mlc.clock import Clock
    from modelop_mlc.config import ManagerConfig
    from modelop_mlc.ports import ModelOpCenter
    from modelop_mlc.registry import DelegateRegistry
    from modelop_mlc.tickets import Tickets

__all__ = ["DeployOptions", "ManagerOptions", "StartOptions"]


class ManagerOptions(TypedDict, total=False):
    """Keyword arguments of `LifecycleManager.open()` (the `mlc_manager_options` fixture)."""

    clock: Clock
    config: ManagerConfig
    registry: DelegateRegistry
    center: ModelOpCenter
    tickets: Tickets
    migrate: bool
    modelop_delegates: bool


class DeployOptions(TypedDict, total=False):
    """Keyword arguments of `LifecycleManager.deploy()` besides the sources."""

    name: str | None
    applies_to: Mapping[str, Any] | None
    source: str | None
    tenant_id: str | None
    duplicate_filtering: bool
    check_delegates: bool


class StartOptions(TypedDict, total=False):
    """Keyword arguments of `LifecycleManager.start()` besides the key and variables."""

    business_key: str | None
    start_event: str | None
    version: int | None
