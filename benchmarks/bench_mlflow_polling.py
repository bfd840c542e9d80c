"""Registry events through polling: 1,000 MLflow model versions, one process start each.

A real `mlflow server` (SQLite, local artifacts, 127.0.0.1) holds `--versions` model versions
of `--models` registered models, registered with MLflow's own client. An `MlflowCenter` then
polls the registry once: every version is a new event, and each starts the refresh request
process (a signal start on `Signals_deployable_model_changed`, then a wait: the first step of
a refresh, without running model code) with the version as `DEPLOYABLE_MODEL`.

Side by side in the same run, the baseline: `manager.signal()` called directly with the same
1,000 snapshots, no MLflow involved. The script prints events per second for both and their
ratio, the cost of a poll that finds nothing new, and checks that no version was started twice
(a second poll, and a restarted host on the same database, start nothing).

    .venv/bin/python benchmarks/bench_mlflow_polling.py                 # 1,000 versions
    .venv/bin/python benchmarks/bench_mlflow_polling.py --versions 200  # quicker

No assertions on timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import MlflowCenter
from modelop_mlc.cli._demo_mlflow import _server
from modelop_mlc.cli._output import Output

SIGNAL = "com.modelop.mlc.definitions.Signals_deployable_model_changed"
PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="refresh_request" isExecutable="true">
    <bpmn:startEvent id="changed"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>
    <bpmn:userTask id="refresh" name="Refresh the version"/>
    <bpmn:endEvent id="done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="changed" targetRef="refresh"/>
    <bpmn:sequenceFlow id="f2" sourceRef="refresh" targetRef="done"/>
  </bpmn:process>
  <bpmn:signal id="sig" name="{SIGNAL}"/>
</bpmn:definitions>
"""


def populate(uri: str, models: int, versions: int) -> float:
    """Register `versions` versions over `models` models; return the seconds it took."""
    from mlflow import MlflowClient  # noqa: PLC0415 - the optional extra

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("bench")
    run = client.create_run(experiment)
    client.log_text(run.info.run_id, "flavors: {}\n", "model/MLmodel")
    source = f"runs:/{run.info.run_id}/model"
    began = time.perf_counter()
    for index in range(versions):
        name = f"bench-{index % models:03d}"
        if index < models:
            client.create_registered_model(name, tags={"team": "credit"})
        client.create_model_version(
            name, source, run_id=run.info.run_id, tags={"refresh": "weekly"}
        )
    return time.perf_counter() - began


def open_manager(uri: str, db: Path) -> LifecycleManager:
    center = MlflowCenter(uri, scope="name LIKE 'bench-%'", poll_interval=None)
    manager = LifecycleManager.open(db, clock=ManualClock(), center=center)
    manager.deploy(("refresh_request.bpmn", PROCESS.encode()))
    return manager


def started_versions(manager: LifecycleManager) -> Counter[str]:
    found = manager.instances(key="refresh_request", limit=1_000_000)
    return Counter(i.variables["DEPLOYABLE_MODEL"]["id"] for i in found)


def baseline(db: Path, snapshots: list[dict[str, object]]) -> float:
    """Seconds for `manager.signal()` to start the process for each snapshot, no MLflow."""
    with LifecycleManager.open(db, clock=ManualClock()) as manager:
        manager.deploy(("refresh_request.bpmn", PROCESS.encode()))
        began = time.perf_counter()
        for snapshot in snapshots:
            manager.signal(SIGNAL, {"DEPLOYABLE_MODEL": snapshot})
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--models", type=int, default=100)
    args = parser.parse_args()
    try:
        import mlflow  # noqa: F401, PLC0415 - the optional extra
    except ImportError:
        print("skipped: MLflow is not installed (pip install -e '.[mlflow]')")
        return
    os.environ.update(
        {
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
        }
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as tmp:
        folder = Path(tmp)
        with _server(folder, Output(as_json=False)) as uri:
            seconds = populate(uri, args.models, args.versions)
            print(f"registered {args.versions} versions of {args.models} models in {seconds:.1f} s")

            manager = open_manager(uri, folder / "mlc.db")
            began = time.perf_counter()
            fired = manager.center.poll_events()
            polled = time.perf_counter() - began
            began = time.perf_counter()
            again = manager.center.poll_events()
            idle = time.perf_counter() - began
            counts = started_versions(manager)
            snapshots = [
                i.variables["DEPLOYABLE_MODEL"]
                for i in manager.instances(key="refresh_request", limit=1_000_000)
            ]
            manager.close()

            restarted = open_manager(uri, folder / "mlc.db")
            after_restart = restarted.center.poll_events()
            total = started_versions(restarted)
            restarted.close()

        direct = baseline(folder / "baseline.db", snapshots)

    twice = [v for v, n in total.items() if n > 1]
    print(f"polling:  {fired} events in {polled:.2f} s = {fired / polled:,.0f} events/s")
    print(
        f"baseline: {len(snapshots)} signals in {direct:.2f} s = {len(snapshots) / direct:,.0f}/s"
    )
    print(f"ratio (polling / direct signals): {(fired / polled) / (len(snapshots) / direct):.2f}")
    print(f"a poll that finds nothing new: {idle:.2f} s for {args.versions} versions")
    print(
        f"started: {len(counts)} versions, {sum(total.values())} instances; second poll "
        f"{again}, after a restart {after_restart}; started twice: {len(twice)}"
    )
    if fired != args.versions or again or after_restart or twice or len(total) != args.versions:
        raise SystemExit("FAILED: a version was missed or started twice")


if __name__ == "__main__":
    main()
