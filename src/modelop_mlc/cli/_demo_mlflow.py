"""`mlc demo --center mlflow`: the demo story on a real MLflow model registry.

The example credit model is logged to MLflow as a pyfunc model and registered; version 1 goes
to production; version 2 is trained, tested, reviewed and approved, and the `production`
alias moves to it; version 3, tested on drifted data, is rejected and holds no alias. Every
step is visible in MLflow (aliases, version tags, job runs with their metrics). Without
`--tracking-uri` the demo starts its own `mlflow server` (SQLite and local artifacts in the
demo directory) on 127.0.0.1 and stops it at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from modelop_mlc import diagrams
from modelop_mlc.center import DeploymentTarget, MlflowCenter
from modelop_mlc.cli._demo import (
    MODEL_TAG,
    PROCESS,
    REVIEW_WAIT,
    _drive,
    _latest_instance,
    _Steps,
    example_model_dir,
)
from modelop_mlc.cli._output import Output
from modelop_mlc.clock import SkippingClock
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.manager import LifecycleManager

__all__ = ["run_mlflow_demo"]

_START_SECONDS = 300.0
_QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}


@contextmanager
def _server(directory: Path, out: Output) -> Iterator[str]:
    """Run `mlflow server` on a free local port for the demo; yield its URI."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    root = directory / "mlflow"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination",
        str(root / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    uri = f"http://127.0.0.1:{port}"
    out.line(f"   starting mlflow server at {uri} (SQLite and artifacts in {root}) …")
    with (root / "server.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **_QUIET},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + _START_SECONDS
        while not _healthy(uri):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ConfigurationError(f"mlflow server did not start; see {root / 'server.log'}")
            time.sleep(0.5)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(uri: str) -> bool:
    try:
        return requests.get(f"{uri}/health", timeout=2).ok
    except requests.RequestException:
        return False


def _describe(center: MlflowCenter, name: str, out: Output) -> None:
    """What MLflow itself shows: each version's aliases, test result, tickets, runs."""
    client = center.api.client
    for version in sorted(
        client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version)
    ):
        found = client.get_model_version(name, version.version)
        tags = found.tags
        tickets = ", ".join(
            f"{k.removeprefix('mlc.ticket.')} {v}"
            for k, v in tags.items()
            if k.startswith("mlc.ticket.")
        )
        metrics = ""
        if tags.get("mlc.metrics_run"):
            run = client.get_run(tags["mlc.metrics_run"])
            auc = run.data.metrics.get("auc")
            metrics = f", metrics run {run.info.run_id[:8]} auc={auc:.3f}" if auc else ""
        out.line(
            f"   v{found.version}: aliases {list(found.aliases) or '-'}, test "
            f"{tags.get('mlc.test_result', '-')}, tickets {tickets or '-'}{metrics}"
        )


def run_mlflow_demo(directory: Path, out: Output, *, tracking_uri: str | None = None) -> int:
    """Run the demo on MLflow in `directory` (replacing an earlier demo there)."""
    began = time.monotonic()
    os.environ.update(_QUIET)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("mlc.db*"):
        stale.unlink()
    out.line("MLC demo on MLflow: a credit model from registration to the production alias")
    out.line("1. Set up")
    if tracking_uri is None:
        with _server(directory, out) as uri:
            return _story(directory, out, uri, began)
    return _story(directory, out, tracking_uri, began)


def _story(directory: Path, out: Output, uri: str, began: float) -> int:
    model_dir = example_model_dir()
    clock = SkippingClock()
    name = f"credit-default-{int(time.time())}"
    center = MlflowCenter(
        uri,
        targets=[
            DeploymentTarget(name="credit-batch-dev", stage="DEV", tags=(MODEL_TAG,)),
            DeploymentTarget(
                name="credit-online-prod",
                stage="PROD",
                tags=(MODEL_TAG,),
                endpoints=({"type": "REST", "url": "http://scoring.internal/credit-default"},),
            ),
        ],
        scope=f"name = '{name}'",
        poll_interval=0,
    )
    db = directory / "mlc.db"
    with LifecycleManager.open(db, clock=clock, center=center) as manager:
        steps = _Steps(manager, out)
        deployment = manager.deploy(diagrams.path(PROCESS), name="demo")
        for d in deployment.definitions:
            out.line(f"   deployed  {d.name} ({d.key} v{d.version})")
        model = center.log_model(
            name,
            source=model_dir / "model.py",
            description="Predicts whether a loan applicant defaults (logistic regression)",
            tags=[MODEL_TAG],
            group="Retail lending",
            model_stage="PROD",
            assets=[
                _file(model_dir / "data" / "train.csv", AssetRole.TRAINING_DATA),
                _file(model_dir / "data" / "test.csv", AssetRole.TEST_DATA),
                _file(model_dir / "comparator.dmn", AssetRole.DMN),
            ],
        )
        out.line(f"   model     {name} logged to MLflow as a pyfunc model, with its data and DMN")
        out.line("   targets   credit-batch-dev (alias dev), credit-online-prod (alias production)")

        out.line("\n2. Version 1, no tags: straight to production")
        center.create_deployable_model(model.id, tags=["baseline"])
        _drive(manager, clock, steps, _latest_instance(manager).id)
        steps.seen.clear()

        out.line("\n3. Version 2, tagged train, run_test and jira")
        center.create_deployable_model(model.id, tags=["train", "run_test", "jira"])
        first = _drive(manager, clock, steps, _latest_instance(manager).id, until=REVIEW_WAIT)
        local: Any = manager.tickets.local
        review = local.list(kind="model_review")[0]
        out.line(f"   … waiting for review ticket {review.key}; two days later it is Done")
        clock.skip(timedelta(days=2))
        local.transition(
            review.key,
            "Done",
            comment="Approved",
            fields={"Expiration Date": (clock.now() + timedelta(days=180)).date().isoformat()},
            author="risk-officer",
        )
        first = _drive(manager, clock, steps, first.id)
        out.line(f"   {first.status}: the production alias moved to version 2")

        out.line("\n4. Version 3, tested on drifted data")
        center.add_asset(
            model.id,
            _file(model_dir / "data" / "test_drifted.csv", AssetRole.TEST_DATA),
            replace_role=True,
        )
        center.create_deployable_model(model.id, tags=["train", "run_test", "jira"])
        second = _drive(manager, clock, steps, _latest_instance(manager).id)
        message = manager.variables(second.id).get("TEST_RESULT_MESSAGE")
        out.line(f"   {second.status}: rejected, {message}")

        out.line(f"\n5. What MLflow shows for {name}")
        _describe(center, name, out)
        production = center.api.client.get_model_version_by_alias(name, "production").version
        out.result(
            {"model": name, "production": production, "statuses": [first.status, second.status]}
        )
    out.line(f"\nDone in {time.monotonic() - began:.1f} s.")
    return 0 if production == "2" and first.status == second.status == "completed" else 1


def _file(path: Path, role: AssetRole) -> Asset:
    fmt = "CSV" if path.suffix == ".csv" else None
    return Asset(
        name=path.name,
        filename=path.name,
        asset_role=role,
        file_format=fmt,
        file_content=path.read_text(),
    )
