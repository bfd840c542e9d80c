"""The demo's productionization section: QA, tests on QA, security scan, two approvals, PROD.

A part of `mlc demo` (see `modelop_mlc.cli._demo`): the example model, high-risk in its
metadata, goes through the shipped "Model productionization" process. The two approvers are
played by the demo with the calls `mlc complete` makes, one day apart on the skipping clock.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from modelop_mlc import diagrams
from modelop_mlc.center import LocalCenter
from modelop_mlc.cli._output import Output, parse_vars, with_called
from modelop_mlc.clock import SkippingClock
from modelop_mlc.domain import Asset, AssetRole, JobType
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessInstance

__all__ = ["KEY", "run_productionization"]

KEY = "productionization"
APPROVAL = "approve"
_DECISIONS = (
    ("reviewResult=APPROVED", "reviewMessage=Metrics and bias within policy"),
    ("reviewResult=APPROVED", "reviewMessage=High-risk sign-off"),
)

Drive = Callable[..., ProcessInstance]


def run_productionization(
    manager: LifecycleManager,
    clock: SkippingClock,
    model: Any,
    model_dir: Path,
    drive: Drive,
    out: Output,
) -> ProcessInstance:
    """Take a new snapshot of `model` from QA to PROD; return the finished instance.

    `drive(instance_id, until=...)` runs due work until the instance ends or waits there.
    """
    center = manager.center
    if not isinstance(center, LocalCenter):  # pragma: no cover - the demo's default
        raise ConfigurationError("the demo needs the embedded LocalCenter")
    deployment = manager.deploy(*diagrams.files(KEY), name="demo productionization")
    names = ", ".join(f"{d.name} ({d.key} v{d.version})" for d in deployment.definitions)
    out.line(f"   deployed  {names}, the approvers and security-policy DMN tables")
    center.register_runtime("credit-batch-qa", tags=[model.model_meta_data.tags[0]], stage="UAT")
    out.line("   runtime   credit-batch-qa (UAT, batch): the QA stage")
    # The drifted data of step 4 was a what-if; the team puts the representative set back.
    center.add_asset(
        model.id,
        Asset(
            name="test.csv",
            filename="test.csv",
            asset_role=AssetRole.TEST_DATA,
            file_format="CSV",
            file_content=(model_dir / "data" / "test.csv").read_text(),
        ),
        replace_role=True,
    )
    snapshot = center.create_deployable_model(model.id, tags=["productionization"])
    training = center.create_batch_job(
        snapshot,
        JobType.MODEL_BATCH_TRAINING_JOB,
        inputs=snapshot.assets_with_role(AssetRole.TRAINING_DATA),
    )
    center.run_job(training.id)
    found = manager.instances(key=KEY, limit=1)
    if not found:
        raise ConfigurationError("the snapshot started no productionization process")
    instance = found[0]
    out.line(
        f"   v4        snapshot {snapshot.id[:8]}, trained, tagged productionization: "
        f"started instance {instance.id}"
    )
    for decision in _DECISIONS:
        instance = drive(instance.id, until=APPROVAL)
        # The approval runs in an instance of its own, started by a call activity.
        tasks = [
            t
            for called in with_called(manager, instance.id)
            for t in manager.tasks(instance_id=called.id, limit=None)
            if t.activity_id == APPROVAL
        ]
        if not tasks:
            break
        (task,) = tasks
        groups = ", ".join(task.candidate_groups)
        due = task.due.date().isoformat() if task.due else "-"
        out.line(f"   … task '{task.name}' for {groups}, due {due}")
        clock.skip(timedelta(days=1))
        options = " ".join(f"--var {shlex.quote(pair)}" for pair in decision)
        out.line(f"     a day later: mlc complete {task.id} {options}")
        manager.complete_task(task.id, parse_vars(decision))
    instance = drive(instance.id)
    _summary(manager, instance, out)
    return instance


def _summary(manager: LifecycleManager, instance: ProcessInstance, out: Output) -> None:
    variables = manager.variables(instance.id)
    scan = variables.get("SECURITY_SCAN") or {}
    verdict = variables.get("SCAN_VERDICT") or {}
    out.line(
        f"   scan      HIGH {scan.get('high')}, MEDIUM {scan.get('medium')}, LOW "
        f"{scan.get('low')}, known vulnerabilities {scan.get('vulnerabilities')}, not scanned "
        f"{scan.get('not_scanned')}: {verdict.get('reason')}"
    )
    for finding in scan.get("findings", []):
        if finding.get("kind") == "not_scanned":
            out.line(f"              {finding.get('issue')}")
    deployed = variables.get("DEPLOYED_MODEL") or {}
    qa = variables.get("QA_DEPLOYED_MODEL") or {}
    out.line(
        f"   {instance.status}: v4 {str(deployed.get('deploymentType', '?')).lower()} on "
        f"{deployed.get('runtime', {}).get('name')}; QA deployment on "
        f"{qa.get('runtime', {}).get('name')} {str(qa.get('deployedState', '?')).lower()}\n"
    )
