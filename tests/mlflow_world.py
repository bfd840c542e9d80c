"""The example credit model on a real MLflow server, for the MlflowCenter tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_support import EXAMPLE, csv_asset, dmn_asset
from mlflow_support import MlflowServer, client, unique_name
from modelop_mlc import LifecycleManager
from modelop_mlc.center import DeploymentTarget, MlflowCenter
from modelop_mlc.domain import AssetRole, StoredModel

TAG = "credit-risk"
TARGETS = (
    DeploymentTarget(name="batch-dev", stage="DEV", tags=(TAG,)),
    DeploymentTarget(
        name="online-prod",
        stage="PROD",
        tags=(TAG,),
        endpoints=({"type": "REST", "url": "http://scoring/credit"},),
    ),
)


def make_center(server: MlflowServer, prefix: str, **options: Any) -> MlflowCenter:
    """A center governing the models whose names start with `prefix`."""
    options.setdefault("poll_interval", 0)
    options.setdefault("targets", TARGETS)
    return MlflowCenter(server.uri, scope=f"name LIKE '{prefix}%'", **options)


@dataclass
class World:
    """A manager on a real MLflow server, with the credit model logged."""

    server: MlflowServer
    manager: LifecycleManager
    center: MlflowCenter
    model: StoredModel
    prefix: str

    @property
    def mlflow(self) -> Any:
        """MLflow's own client."""
        return client(self.server)


def log_credit(center: MlflowCenter, name: str, **extra: Any) -> StoredModel:
    """Log the example credit model with its data and comparator."""
    return center.log_model(
        name,
        source=EXAMPLE / "model.py",
        description="Predicts loan default",
        tags=[TAG],
        group="Retail lending",
        model_stage="PROD",
        custom={"riskTier": "HIGH"},
        assets=[
            csv_asset("train.csv", AssetRole.TRAINING_DATA),
            csv_asset("test.csv", AssetRole.TEST_DATA),
            dmn_asset(),
        ],
        **extra,
    )


def new_prefix() -> str:
    return unique_name("")


def example_path() -> Path:
    return EXAMPLE
