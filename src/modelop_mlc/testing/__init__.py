"""Test support for MLC processes: a pytest plugin, time travel, assertions and fakes.

The names below load on first use, so importing this package (as the pytest plugin does in
every session) costs nothing.

- `ProcessHarness`: drives a manager, travels in time (`advance`, `run_until_idle`).
- `assert_that`: fluent checks on an instance (`is_waiting_at`, `has_passed`, ...).
- `Scenario`: declares what tasks, delegates and tickets answer, then runs to the end.
- `DelegateEnvironment`: runs one delegate without a process (clock, centre, board ready).
- `ManagerOptions`, `DeployOptions`, `StartOptions`: the typed keyword arguments the kit
  passes on to `LifecycleManager` (`mlc_manager_options` returns a `ManagerOptions`).
- `CoverageCollector`: which nodes and flows the tests took, per diagram; `write_html` draws
  them.
- `modelop_mlc.testing.fakes`: `FakeJira` and `FakeServiceNow` HTTP servers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelop_mlc.testing._assertions import (
        InstanceAssert,
        TaskAssert,
        assert_that,
        describe_instance,
    )
    from modelop_mlc.testing._coverage import CoverageCollector, DiagramCoverage
    from modelop_mlc.testing._delegates import DelegateEnvironment
    from modelop_mlc.testing._harness import ProcessHarness
    from modelop_mlc.testing._options import DeployOptions, ManagerOptions, StartOptions
    from modelop_mlc.testing._render import write_html
    from modelop_mlc.testing._scenario import (
        DelegateAnswers,
        Scenario,
        TicketAnswers,
        UserTaskAnswers,
    )

__all__ = [
    "CoverageCollector",
    "DelegateAnswers",
    "DelegateEnvironment",
    "DeployOptions",
    "DiagramCoverage",
    "InstanceAssert",
    "ManagerOptions",
    "ProcessHarness",
    "Scenario",
    "StartOptions",
    "TaskAssert",
    "TicketAnswers",
    "UserTaskAnswers",
    "assert_that",
    "describe_instance",
    "write_html",
]

_HOMES = {
    "CoverageCollector": "_coverage",
    "DelegateAnswers": "_scenario",
    "DelegateEnvironment": "_delegates",
    "DeployOptions": "_options",
    "DiagramCoverage": "_coverage",
    "InstanceAssert": "_assertions",
    "ManagerOptions": "_options",
    "ProcessHarness": "_harness",
    "Scenario": "_scenario",
    "StartOptions": "_options",
    "TaskAssert": "_assertions",
    "TicketAnswers": "_scenario",
    "UserTaskAnswers": "_scenario",
    "assert_that": "_assertions",
    "describe_instance": "_assertions",
    "write_html": "_render",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'modelop_mlc.testing' has no attribute '{name}'")
    # Not cached here: a module reloaded (as pytester's in-process runs do) must win.
    return getattr(importlib.import_module(f"modelop_mlc.testing.{home}"), name)


def __dir__() -> list[str]:
    """List the public names."""
    return sorted([*globals(), *__all__])
