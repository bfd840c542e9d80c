"""A ModelOp Center seeded the same way on LocalCenter, RestCenter and MlflowCenter.

The catalogue suite runs every delegate in three worlds: a manager on the embedded
LocalCenter, one whose center is RestCenter talking over HTTP to FakeModelOpCenter, and one
on MlflowCenter over a real MLflow server. Each world holds the same stored models,
snapshots and runtimes; what a case needs beyond them (jobs, deployments, results,
notifications) it makes through the center's port, so the worlds make it alike. MLflow's
registry is shared by the session, so there every model name carries the test's prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from center.rest_support import START
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import LocalCenter, MlflowCenter
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.domain import (
    Asset,
    DeployableModel,
    DeployedModel,
    JobType,
    ModelAssociation,
    StoredModel,
)
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
    center: LocalCenter | RestCenter | MlflowCenter
    fake: FakeModelOpCenter
    clock: ManualClock
    root: Path
    model: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    newest: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)
    dashboard: dict[str, Any] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)
    prefix: str = ""

    def name(self, base: str) -> str:
        """A stored model's name in this world (MLflow's carry the test's prefix)."""
        return self.prefix + base

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
        if isinstance(self.center, MlflowCenter):
            return _log_once(self.center, name, self.name(name), assets, tags).to_variable()
        return self.fake.add_stored_model(name, tags=tags, assets=assets)

    def add_snapshot(self, model_id: str, *tags: str) -> dict[str, Any]:
        """Snapshot a stored model (a second later than the last one); return its JSON."""
        self.clock.advance(timedelta(seconds=1))
        if isinstance(self.center, LocalCenter | MlflowCenter):
            return self.center.create_deployable_model(model_id, tags=tags).to_variable()
        return self.fake.add_snapshot(model_id, tags=tags)

    def add_runtime(self, name: str, stage: str, *, online: bool = False) -> None:
        """Register a runtime tagged credit-risk (online ones have an endpoint)."""
        endpoints = [{"type": "REST", "url": f"http://scoring/{name}"}] if online else []
        if isinstance(self.center, LocalCenter | MlflowCenter):
            self.center.register_runtime(
                name, tags=["credit-risk"], stage=stage, endpoints=endpoints
            )
        else:
            self.fake.add_runtime(name, tags=["credit-risk"], stage=stage, endpoints=endpoints)

    def download_url(self, name: str, content: str) -> str:
        """A URL the center can download `content` from."""
        if isinstance(self.center, LocalCenter | MlflowCenter):
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
        return self.set_job(made.id, patch)

    def set_job(self, job_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change a job as its runner would (MlflowCenter has no RecordEditing: its queue)."""
        if isinstance(self.center, MlflowCenter):
            doc = {**self.center.get_job(job_id).to_variable(), **patch}
            with self.center.store.transaction() as tx:
                tx.put_document("mlflowJob", job_id, doc, self.clock.now().isoformat())
            return self.center.get_job(job_id).to_variable()
        return self.center.patch_job(job_id, patch).to_variable()

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
    if not isinstance(world.center, MlflowCenter):  # MLflow has no such field to hold it
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


# MLflow: each model is logged once per session (a pyfunc model in a run, seconds of work);
# a test's model is a new registered model pointing at that run, as a copy of its tags.
_LOGGED: dict[tuple[str, str], str] = {}
_NO_SOURCE = "# modelop.score\ndef score(df):\n    yield {}\n"


def _log_once(
    center: MlflowCenter,
    base: str,
    name: str,
    assets: list[dict[str, Any]],
    tags: tuple[str, ...],
) -> StoredModel:
    """Register `name` as the model `base` with `assets`, logging it the first time only."""
    client = center.api.client
    key = (center.tracking_uri, json.dumps([base, assets, tags], sort_keys=True))
    logged = _LOGGED.get(key)
    if logged is None:
        sources = [a for a in assets if a["assetRole"] == "MODEL_SOURCE"]
        source = sources[0]["fileContent"] if sources else _NO_SOURCE
        rest = [Asset.from_variable(a) for a in assets if a["assetRole"] != "MODEL_SOURCE"]
        made = center.log_model(name, source=source, assets=rest, tags=tags)
        _LOGGED[key] = made.id
        return made
    template = client.get_registered_model(logged)
    client.create_registered_model(name, tags=template.tags, description=template.description)
    return center.get_stored_model(name)
