"""Fixtures for the shipped-process tests: the example credit model in a center.

The center is LocalCenter unless a test asks for both with `@ON_BOTH_CENTERS` (credit_support): then it runs
once on LocalCenter and once on MlflowCenter against the session's real MLflow server, with
the same steps and assertions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from credit_support import EXAMPLE, TAG, Credit, csv_asset, dmn_asset
from modelop_mlc import LifecycleManager
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.testing import ProcessHarness


@pytest.fixture(name="center_kind")
def _center_kind(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "local"))


@pytest.fixture(name="model_prefix")
def _model_prefix(center_kind: str) -> str:
    """Model names of one test on the shared MLflow server start with this."""
    if center_kind == "local":
        return ""
    from mlflow_world import new_prefix

    return new_prefix()


@pytest.fixture(name="mlc_manager_options")
def _mlc_manager_options(
    request: pytest.FixtureRequest, center_kind: str, model_prefix: str
) -> dict[str, Any]:
    if center_kind == "local":
        return {}
    from mlflow_world import make_center

    server = request.getfixturevalue("mlflow_server")
    return {"center": make_center(server, model_prefix, targets=())}


@pytest.fixture(name="make_credit")
def _make_credit(
    mlc_manager: LifecycleManager, mlc_harness: ProcessHarness, model_prefix: str
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
        if assets is None:
            assets = (
                csv_asset("train.csv", AssetRole.TRAINING_DATA),
                csv_asset("test.csv", AssetRole.TEST_DATA),
                dmn_asset(),
            )
        model = center.register_model(
            f"{model_prefix}credit-default",
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
