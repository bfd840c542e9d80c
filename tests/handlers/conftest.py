"""Fixtures of the handler tests: the catalogue's world on LocalCenter, RestCenter, MlflowCenter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from center.rest_support import START, Sleeper, rest_center
from handlers.catalogue_world import World, seed
from mlflow_support import MlflowServer, unique_name
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.center import LocalCenter, MlflowCenter
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter


@pytest.fixture(name="world", params=["local", "rest", "mlflow"])
def _world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    clock = ManualClock(START)
    with FakeModelOpCenter(clock=clock.now, tokens=["static-token"]) as fake:
        config = ManagerConfig(data_roots=[str(tmp_path)])
        if request.param == "mlflow":
            server: MlflowServer = request.getfixturevalue("mlflow_server")
            prefix = unique_name("")
            center = MlflowCenter(
                server.uri,
                scope=f"name LIKE '{prefix}%'",
                poll_interval=None,  # no registry events: each case runs one delegate
                data_roots=[tmp_path],
            )
            manager = LifecycleManager.open(
                tmp_path / "m.db", clock=clock, center=center, config=config
            )
            world = World("mlflow", manager, center, fake, clock, tmp_path, prefix=prefix)
            yield seed(world)
            manager.close()
        elif request.param == "rest":
            with rest_center(fake, clock, Sleeper(clock)) as center:
                manager = LifecycleManager.open(
                    tmp_path / "m.db", clock=clock, center=center, config=config
                )
                yield seed(World("rest", manager, center, fake, clock, tmp_path))
                manager.close()
        else:
            manager = LifecycleManager.open(tmp_path / "m.db", clock=clock, config=config)
            assert isinstance(manager.center, LocalCenter)
            yield seed(World("local", manager, manager.center, fake, clock, tmp_path))
            manager.close()
