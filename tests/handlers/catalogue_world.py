"""A ModelOp Center seeded the same way on LocalCenter and on RestCenter↔FakeModelOpCenter.

The catalogue suite runs every delegate in both worlds: a manager on the embedded
LocalCenter, and a manager whose center is RestCenter talking over HTTP to
FakeModelOpCenter. Each world holds the same stored models, snapshots and runtimes; what a
case needs beyond them (jobs, deployments, results, notifications) it makes through the
center's port, so both worlds make it alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from center.rest_support import START
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import LocalCenter
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.domain import Asset, DeployableModel, DeployedModel, JobType, ModelAssociation
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "models" / "credit_model"
METRICS = {"auc": 0.85, "f1_score": 0.7, "pprev_disparity": 1.0, "min_ks_p_value": 0.5}
FAILING = {"auc": 0.55, "f1_score": 0.3, "pprev_disparity": 2.0, "min_ks_p_value": 0.5}
SOURCE = (
    "import subprocess\n\n"
    "# modelop.metrics\n"
    "def metrics(df):\n"
    '    yield {"auc": 0.85, "rows": len(df)}\n\n'
    "# modelop.score\n"
    "def score(df):\n"
    '    yield from df.to_dict("records")\n\n'
    "def shell(cmd):\n"
    "    return subprocess.call(cmd, shell=True)\n"
)
REQUIRED = [
    {"usage": "INPUT_ASSET", "assetRole": "TEST_DATA"},
    {"usage": "ADDITIONAL_ASSET", "assetRole": "COMPARATOR_DATA", "filename": "recent.*"},
]


def credit_assets() -> list[dict[str, Any]]:
    """The credit model's assets in ModelOp's JSON (the comparator under ModelOp's role)."""
    return [
        {
            "name": "model source",
            "filename": "model.py",
            "assetRole": "MODEL_SOURCE",
            "fileContent": SOURCE,
        },
        {
            "name": "test.csv",
            "filename": "test.csv",
            "assetRole": "TEST_DATA",
            "fileFormat": "CSV",
            "fileContent": "x,label\n1,0\n2,1\n",
        },
        {
            "name": "older.csv",
            "filename": "older.csv",
            "assetRole": "COMPARATOR_DATA",
            "fileFormat": "CSV",
            "fileContent": "x\n1\n",
            "createdDate": "2026-01-01T00:00:00.000Z",
        },
        {
            "name": "recent.csv",
            "filename": "recent.csv",
            "assetRole": "COMPARATOR_DATA",
            "fileFormat": "CSV",
            "fileContent": "x\n2\n",
            "createdDate": "2026-02-01T00:00:00.000Z",
        },
        {
            "name": "comparator.dmn",
            "filename": "comparator.dmn",
            "assetRole": "TEST_RESULT_COMPARATOR",
            "fileContent": (EXAMPLE / "comparator.dmn").read_text(),
        },
        {
            "name": "required_assets.json",
            "filename": "required_assets.json",
            "assetRole": "REQUIRED_ASSETS",
            "fileFormat": "JSON",
            "fileContent": json.dumps(REQUIRED),
        },
    ]


@dataclass
class World:
    """One seeded center, the manager on it, and the records the cases start from."""

    kind: str
    manager: LifecycleManager
    center: LocalCenter | RestCenter
    fake: FakeModelOpCenter
    clock: ManualClock
    root: Path
    model: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    newest: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)
    dashboard: dict[str, Any] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)

    # -- seeding, each center its own way -------------------------------------------------

    def add_model(
        self, name: str, assets: list[dict[str, Any]], *, tags: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Register a stored model; return its JSON."""
        if isinstance(self.center, LocalCenter):
            made = self.center.register_model(
                name, tags=tags, assets=[Asset.from_variable(a) for a in assets]
            )
            return made.to_variable()
        return self.fake.add_stored_model(name, tags=tags, assets=assets)

    def add_snapshot(self, model_id: str, *tags: str) -> dict[str, Any]:
        """Snapshot a stored model (a second later than the last one); return its JSON."""
        self.clock.advance(timedelta(seconds=1))
        if isinstance(self.center, LocalCenter):
            return self.center.create_deployable_model(model_id, tags=tags).to_variable()
        return self.fake.add_snapshot(model_id, tags=tags)

    def add_runtime(self, name: str, stage: str, *, online: bool = False) -> None:
        """Register a runtime tagged credit-risk (online ones have an endpoint)."""
        endpoints = [{"type": "REST", "url": f"http://scoring/{name}"}] if online else []
        if isinstance(self.center, LocalCenter):
            self.center.register_runtime(
                name, tags=["credit-risk"], stage=stage, endpoints=endpoints
            )
        else:
            self.fake.add_runtime(name, tags=["credit-risk"], stage=stage, endpoints=endpoints)

    def download_url(self, name: str, content: str) -> str:
        """A URL the center can download `content` from."""
        if isinstance(self.center, LocalCenter):
            path = self.root / name
            path.write_text(content)
            return path.resolve().as_uri()
        return self.fake.add_external_file(name, content)

    # -- what cases make through the port ---------------------------------------------------

    def job(
        self, status: str = "COMPLETE", result: Any = None, *, snapshot: str = "snapshot"
    ) -> dict[str, Any]:
        """A test job of a snapshot, already at `status` (so LocalCenter never runs it)."""
        source = DeployableModel.from_variable(getattr(self, snapshot))
        made = self.center.create_batch_job(
            source,
            JobType.MODEL_BATCH_TEST_JOB,
            inputs=source.assets_with_role("TEST_DATA"),
        )
        patch: dict[str, Any] = {"jobStatus": status}
        if result is not None:
            patch["result"] = result
        self.clock.advance(timedelta(seconds=1))
        return self.center.patch_job(made.id, patch).to_variable()

    def deployed(self, snapshot: str = "snapshot", runtime: str = "batch-dev") -> dict[str, Any]:
        """The snapshot deployed to a runtime, with a schedule and an expiration date."""
        source = DeployableModel.from_variable(getattr(self, snapshot))
        made = self.center.deploy_model(source, self.center.get_runtime(runtime))
        self.clock.advance(timedelta(seconds=1))
        return self.center.patch_deployed_model(
            made.id,
            {
                "schedules": [{"cronExpression": "0 0 2 * * ?"}],
                "expirationDate": (START + timedelta(days=10)).isoformat(),
            },
        ).to_variable()

    def associate_monitor(self) -> None:
        """Associate the monitor's snapshot with the credit snapshot as its drift model."""
        association = ModelAssociation(
            association_role="DATA_DRIFT_MODEL",
            associated_model=DeployableModel.from_variable(self.monitor),
        )
        self.center.patch_deployable_model(
            self.snapshot["id"], {"associatedModels": [association.to_variable()]}
        )

    def result(self, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        """A test result of the snapshot stored in the center."""
        made = self.center.create_test_result(self.snapshot["id"], metrics or METRICS)
        self.clock.advance(timedelta(seconds=1))
        return made.to_variable()

    def current(self, name: str = "snapshot") -> DeployableModel:
        """A seeded snapshot as the center holds it now."""
        return self.center.get_deployable_model(getattr(self, name)["id"])

    def deployment(self, deployed_id: str) -> DeployedModel:
        """A deployment as the center holds it now."""
        return self.center.get_deployed_model(deployed_id)


def seed(world: World) -> World:
    """Put the same records into the world's center."""
    world.add_runtime("batch-dev", "DEV")
    world.add_runtime("online-prod", "PROD", online=True)
    world.model = world.add_model("credit", credit_assets(), tags=("credit-risk",))
    monitor_model = world.add_model(
        "drift-monitor",
        [
            {
                "name": "drift.py",
                "filename": "drift.py",
                "assetRole": "MODEL_SOURCE",
                "fileContent": "# modelop.metrics\ndef m(a, b):\n    yield {}\n",
            }
        ],
    )
    world.center.patch_stored_model(
        monitor_model["id"],
        {
            "modelMetaData": {
                **monitor_model["modelMetaData"],
                "defaultAssociationRole": "DATA_DRIFT_MODEL",
            }
        },
    )
    world.monitor = world.add_snapshot(monitor_model["id"])
    dashboard = world.add_model(
        "dashboard",
        [
            {
                "name": "dashboard_model.dmn",
                "filename": "dashboard_model.dmn",
                "assetRole": "DASHBOARD_RESULT_COMPARATOR",
                "fileContent": "<definitions/>",
            }
        ],
    )
    world.dashboard = world.add_snapshot(dashboard["id"])
    world.snapshot = world.add_snapshot(world.model["id"], "run_test")
    world.newest = world.add_snapshot(world.model["id"], "run_test")
    world.clock.advance(timedelta(seconds=1))
    return world
