"""Fixtures for the shipped-process tests: the example credit model in LocalCenter."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from credit_support import EXAMPLE, TAG, Credit, csv_asset, dmn_asset
from modelop_mlc import LifecycleManager
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.testing import ProcessHarness


@pytest.fixture(name="make_credit")
def _make_credit(
    mlc_manager: LifecycleManager, mlc_harness: ProcessHarness
) -> Callable[..., Credit]:
    def make(
        *,
        stage: str = "PROD",
        assets: tuple[Asset, ...] | None = None,
        runtime_tags: tuple[str, ...] = (TAG,),
        custom: dict[str, str] | None = None,
        model_type: str = "PYTHON3",
    ) -> Credit:
        center = mlc_manager.center
        assert isinstance(center, LocalCenter)
        if assets is None:
            assets = (
                csv_asset("train.csv", AssetRole.TRAINING_DATA),
                csv_asset("test.csv", AssetRole.TEST_DATA),
                dmn_asset(),
            )
        model = center.register_model(
            "credit-default",
            source=EXAMPLE / "model.py",
            type=model_type,
            tags=[TAG],
            model_stage=stage,
            assets=list(assets),
            custom=custom or {},
        )
        center.register_runtime("batch-dev", tags=list(runtime_tags), stage="DEV")
        center.register_runtime(
            "online-prod",
            tags=list(runtime_tags),
            stage="PROD",
            endpoints=[{"type": "REST", "url": "http://scoring/credit"}],
        )
        return Credit(mlc_manager, center, mlc_harness, model)

    return make


@pytest.fixture(name="credit")
def _credit(make_credit: Callable[..., Credit]) -> Credit:
    return make_credit()
