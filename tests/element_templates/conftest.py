"""Fixtures of the template tests: the catalogue's seeded world on LocalCenter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from center.rest_support import START
from handlers.catalogue_world import World, seed
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.center import LocalCenter
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock(START)
    with FakeModelOpCenter(clock=clock.now, tokens=["static-token"]) as fake:
        config = ManagerConfig(data_roots=[str(tmp_path)])
        manager = LifecycleManager.open(tmp_path / "m.db", clock=clock, config=config)
        assert isinstance(manager.center, LocalCenter)
        yield seed(World("local", manager, manager.center, fake, clock, tmp_path))
        manager.close()
