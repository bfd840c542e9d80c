"""The example credit model and runtimes in a center, for the shipped-process tests.

Jobs really run: the model's code in subprocesses on the shipped CSVs. The center is
LocalCenter or MlflowCenter; both take the same calls here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc import LifecycleManager, ProcessInstance
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    DeployableModel,
    JobStatus,
    JobType,
    StoredModel,
)
from modelop_mlc.testing import ProcessHarness, Scenario

ON_BOTH_CENTERS = pytest.mark.parametrize("center_kind", ["local", "mlflow"], indirect=True)
"""Run a process test on LocalCenter and on MlflowCenter (a real MLflow server)."""

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "models" / "credit_model"
TAG = "credit-risk"


def csv_asset(
    name: str, role: AssetRole, *, rows: int | None = None, drop: str | None = None
) -> Asset:
    """An embedded CSV asset from the example data: the first `rows`, without column `drop`."""
    text = (EXAMPLE / "data" / name).read_text()
    if rows is not None or drop is not None:
        records = list(csv.DictReader(io.StringIO(text)))[:rows]
        fields = [f for f in records[0] if f != drop]
        out = io.StringIO()
        writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = out.getvalue()
    return Asset(name=name, filename=name, asset_role=role, file_format="CSV", file_content=text)


def dmn_asset(name: str = "comparator.dmn", *, min_auc: float | None = None) -> Asset:
    """The example comparator DMN, optionally with a stricter AUC threshold."""
    text = (EXAMPLE / "comparator.dmn").read_text()
    if min_auc is not None:
        text = text.replace("&lt; 0.7", f"&lt; {min_auc}").replace("< 0.7", f"< {min_auc}")
        assert str(min_auc) in text
    return Asset(name=name, filename=name, asset_role=AssetRole.DMN, file_content=text)


@dataclass
class Credit:
    """The credit model, its runtimes and shortcuts to make snapshots and deployments."""

    manager: LifecycleManager
    center: Any  # LocalCenter or MlflowCenter
    harness: ProcessHarness
    model: StoredModel

    def snapshot(self, *tags: str) -> DeployableModel:
        """Snapshot the model with `tags` (which signals `deployable_model_changed`)."""
        return self.center.create_deployable_model(self.model.id, tags=list(tags))

    def trained_snapshot(self, *tags: str) -> DeployableModel:
        """A snapshot trained on its TRAINING_DATA by a real training job (no process)."""
        snapshot = self.snapshot(*tags)
        job = self.center.create_batch_job(
            snapshot,
            JobType.MODEL_BATCH_TRAINING_JOB,
            inputs=snapshot.assets_with_role(AssetRole.TRAINING_DATA),
        )
        assert self.center.run_job(job.id).job_status == JobStatus.COMPLETE
        return self.center.get_deployable_model(snapshot.id)

    def started(self, key: str, snapshot: DeployableModel | None = None) -> ProcessInstance:
        """The one instance of process `key` (about `snapshot`, when given)."""
        found = [
            i
            for i in self.manager.instances(key=key)
            if snapshot is None or i.variables.get("DEPLOYABLE_MODEL", {}).get("id") == snapshot.id
        ]
        assert len(found) == 1, f"expected one instance of {key}, found {len(found)}"
        return found[0]

    def deploy_directly(
        self, runtime: str = "online-prod", *, tags: tuple[str, ...] = (), schedules: Any = ()
    ) -> Any:
        """Put a snapshot in production without a process (the state before a test)."""
        snapshot = self.center.create_deployable_model(self.model.id, tags=list(tags))
        deployed = self.center.deploy_model(snapshot, self.center.get_runtime(runtime))
        if schedules:
            deployed = self.center.patch_deployed_model(deployed.id, {"schedules": schedules})
        return deployed

    def replace_asset(self, asset: Asset) -> None:
        """Give the stored model a new asset of that role (new snapshots copy it)."""
        self.model = self.center.add_asset(self.model.id, asset, replace_role=True)

    def scenario(self) -> Scenario:
        """A new scenario on the harness."""
        return self.harness.scenario()
