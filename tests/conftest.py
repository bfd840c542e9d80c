"""Fixtures shared by the project's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelop_mlc import LifecycleManager, ManualClock

pytest_plugins = ["mlflow_support"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(name="manager")
def _manager(tmp_path: Path, clock: ManualClock) -> Iterator[LifecycleManager]:
    manager = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    yield manager
    manager.close()
