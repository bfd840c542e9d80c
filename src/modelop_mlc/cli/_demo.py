"""`mlc demo`: one model's journey from snapshot to production, for real, on the defaults.

Everything is the embedded default: SQLite, LocalCenter running the example credit model's
code in subprocesses on its shipped CSVs, the shipped "Deploy with run test and Jira" process
and the local ticket board. Only the reviewer is played by the demo, and the two days they
take are skipped on a `SkippingClock` instead of waited for.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from modelop_mlc import diagrams
from modelop_mlc._extras import missing, require
from modelop_mlc.center import LocalCenter
from modelop_mlc.cli._demo_productionization import run_productionization
from modelop_mlc.cli._output import (
    Output,
    board,
    duration,
    history_rows,
    history_table,
    kpi_text,
    with_called,
)
from modelop_mlc.clock import SkippingClock
from modelop_mlc.config import ManagerConfig
from modelop_mlc.domain import Asset, AssetRole, Schedule
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.kpis import compute_kpis
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessInstance

__all__ = ["example_model_dir", "run_demo"]

PROCESS = "deploy_with_test_and_jira"
MODEL_TAG = "credit-risk"
REVIEW_WAIT = "wait_review"


def example_model_dir() -> Path:
    """The example credit model: package data in a wheel, `examples/` in a checkout.

    Raises:
        ConfigurationError: If neither is present.
    """
    packaged = Path(str(resources.files("modelop_mlc") / "_examples" / "credit_model"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "examples" / "models" / "credit_model"
    if checkout.is_dir():
        return checkout
    raise ConfigurationError("the example credit model is missing; reinstall modelop-mlc")


class _Steps:
    """Prints an instance's finished activities as they happen, with how long each took."""

    def __init__(self, manager: LifecycleManager, out: Output) -> None:
        self.manager = manager
        self.out = out
        self.seen: dict[str, set[int]] = {}

    def flush(self, instance_id: str, indent: str = "   ") -> None:
        """Print the activities of an instance that ended since the last flush.

        A call activity starts an instance of its own (as in Camunda 7): what that instance
        did is printed indented, before the call activity's own line.
        """
        printed = self.seen.setdefault(instance_id, set())
        called = self.manager.instances(super_instance_id=instance_id, limit=None)
        for row in history_rows(self.manager.history(instance_id, limit=None)):
            if row.event.activity_type == "callActivity":
                for child in sorted(called, key=lambda c: c.started_at):
                    if child.super_activity_id == row.event.activity_id:
                        self.flush(child.id, indent + "  ")
            if row.ended is None or row.event.seq in printed:
                continue
            printed.add(row.event.seq)
            name = row.event.activity_name or row.event.activity_id
            facts = row.outcome.removeprefix("done").strip()
            width = 51 - len(indent)
            line = f"{indent}✓ {name:<{width}} {duration(row.took):>10}   {facts}"
            self.out.line(line.rstrip())


def _drive(
    manager: LifecycleManager,
    clock: SkippingClock,
    steps: _Steps,
    instance_id: str,
    *,
    until: str | None = None,
) -> ProcessInstance:
    """Run due work one piece at a time until the instance ends or waits at `until`."""
    while True:
        ran = manager.run_due(limit=1)
        steps.flush(instance_id)
        instance = manager.instance(instance_id)
        waiting = {a for i in with_called(manager, instance_id) for a in i.waiting_at}
        if instance.status != "running" or (until and until in waiting):
            return instance
        if ran:
            continue
        due = manager.next_due()
        if due is None:
            return instance
        # Something polls later (a parked wait): skip to it rather than sleep.
        clock.skip(max(due - clock.now(), timedelta(0)))


def _latest_instance(manager: LifecycleManager) -> ProcessInstance:
    found = manager.instances(key=PROCESS, limit=1)
    if not found:
        raise ConfigurationError("the snapshot started no process; is the diagram deployed?")
    return found[0]


def _register_model(center: LocalCenter, model_dir: Path) -> Any:
    def data(name: str, role: AssetRole) -> Asset:
        return Asset(
            name=name,
            filename=name,
            asset_role=role,
            file_format="CSV",
            file_content=(model_dir / "data" / name).read_text(),
        )

    return center.register_model(
        "credit-default",
        source=model_dir / "model.py",
        description="Predicts whether a loan applicant defaults (logistic regression)",
        tags=[MODEL_TAG],
        group="Retail lending",
        model_stage="PROD",
        custom={"riskTier": "HIGH"},
        assets=[
            data("train.csv", AssetRole.TRAINING_DATA),
            data("test.csv", AssetRole.TEST_DATA),
            Asset(
                name="comparator.dmn",
                filename="comparator.dmn",
                asset_role=AssetRole.TEST_RESULT_COMPARATOR,
                file_content=(model_dir / "comparator.dmn").read_text(),
            ),
            Asset(
                name="requirements.txt",
                filename="requirements.txt",
                file_content=(model_dir / "requirements.txt").read_text(),
            ),
        ],
    )


def mlc_command() -> str:
    """How to call this `mlc` from the current directory (`.venv/bin/mlc` unless on PATH)."""
    script = Path(sys.executable).with_name("mlc")
    if not script.is_file():
        return f"{sys.executable} -m modelop_mlc.cli"
    on_path = shutil.which("mlc")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "mlc"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _waiting_for_review(
    manager: LifecycleManager, instance: ProcessInstance, db: Path
) -> ProcessInstance:
    """`instance`, checked to wait for its review; else an error saying where it stopped."""
    if REVIEW_WAIT in instance.waiting_at:
        return instance
    problems = [i.message for i in manager.incidents(instance_id=instance.id)]
    detail = f": {problems[0]}" if problems else ""
    raise ConfigurationError(
        f"the v2 instance {instance.id} did not reach the review; it is {instance.status} at "
        f"{', '.join(instance.waiting_at) or 'its end'}{detail}. See "
        f"`{mlc_command()} --db {db} show {instance.id[:8]}`"
    )


def run_demo(directory: Path, out: Output, *, force: bool = False) -> int:
    """Run the demo in `directory`; with `force`, replace an earlier demo's database there.

    Raises:
        ConfigurationError: If the `models` extra is missing, or `directory` has a database
            or an `outputs` folder and `force` is False.
    """
    began = time.monotonic()
    require("the demo", "models", "pandas", "numpy")
    db = directory / "mlc.db"
    # Both are replaced: never without being told, in a folder that may not be the demo's.
    for earlier in (db, directory / "outputs"):
        if earlier.exists() and not force:
            raise ConfigurationError(
                f"{earlier} already exists (an earlier demo?); pass --force to replace it, or "
                "choose another --dir"
            )
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("mlc.db*"):
        stale.unlink()
    shutil.rmtree(directory / "outputs", ignore_errors=True)
    (directory / "outputs").mkdir()
    model_dir = example_model_dir()
    clock = SkippingClock()
    config = ManagerConfig(data_roots=[str(directory.resolve())])
    out.line("MLC demo: a credit model from snapshot to production, on the embedded defaults")
    out.line(f"database: {db}\n")
    with LifecycleManager.open(db, clock=clock, config=config) as manager:
        center = manager.center
        if not isinstance(center, LocalCenter):  # pragma: no cover - the default
            raise ConfigurationError("the demo needs the embedded LocalCenter")
        steps = _Steps(manager, out)

        out.line("1. Set up")
        deployment = manager.deploy(diagrams.path(PROCESS), name="demo")
        for d in deployment.definitions:
            out.line(f"   deployed  {d.name} ({d.key} v{d.version})")
        center.register_runtime("credit-batch-dev", tags=[MODEL_TAG], stage="DEV")
        center.register_runtime(
            "credit-online-prod",
            tags=[MODEL_TAG],
            stage="PROD",
            endpoints=[{"type": "REST", "url": "http://scoring.internal/credit-default"}],
        )
        out.line("   runtimes  credit-batch-dev (DEV, batch), credit-online-prod (PROD, online)")
        model = _register_model(center, model_dir)
        out.line(
            "   model     credit-default (risk tier HIGH): model.py, train.csv (1,000 rows), "
            "test.csv (400), comparator.dmn, requirements.txt"
        )
        # v1 is already in production, with a monitoring schedule the new version must keep.
        out.line("   v1        a snapshot with no tags: no training, tests or review")
        v1 = center.create_deployable_model(model.id, tags=["baseline"])
        _drive(manager, clock, steps, _latest_instance(manager).id)
        steps.seen.clear()
        deployed_v1 = center.find_deployed_models(stored_model_id=model.id)[0]
        schedule = Schedule(
            cron_expression="0 0 6 * * ?", job_type="MODEL_BATCH_TEST_JOB"
        ).to_variable()
        center.patch_deployed_model(deployed_v1.id, {"schedules": [schedule]})
        out.line(
            f"   v1        snapshot {v1.id[:8]} now in production on {deployed_v1.target.name}; "
            "we give it a daily back test at 06:00\n"
        )

        out.line("2. Snapshot v2, tagged train, run_test and jira")
        center.create_deployable_model(model.id, tags=["train", "run_test", "jira"])
        first = _latest_instance(manager)
        out.line(f"   Signals_deployable_model_changed started instance {first.id}")
        first = _waiting_for_review(
            manager, _drive(manager, clock, steps, first.id, until=REVIEW_WAIT), db
        )
        local = board(manager)
        review = local.list(kind="model_review")[0]
        out.line(f"   … waiting for review ticket {review.key}: {review.summary}\n")

        out.line(f"3. A reviewer reads {review.key} on the local board (mlc tickets) …")
        description = local.description(review.key).splitlines()
        results = next((i for i, t in enumerate(description) if t.startswith("Test results")), 0)
        for line in description[results : results + 10]:
            out.line(f"   | {line}")
        clock.skip(timedelta(days=2))
        local.transition(
            review.key,
            "Done",
            comment="Approved: metrics and bias within policy",
            fields={"Expiration Date": (clock.now() + timedelta(days=180)).date().isoformat()},
            author="risk-officer",
        )
        out.line("   … and two days later moves it to Done, expiring in 180 days")
        first = _drive(manager, clock, steps, first.id)
        deployed = manager.variables(first.id).get("DEPLOYED_MODEL") or {}
        copied = [s.get("cronExpression") for s in deployed.get("schedules", [])]
        out.line(
            f"   {first.status}: v2 {str(deployed.get('deploymentType', '?')).lower()} on "
            f"{deployed.get('runtime', {}).get('name')}, schedules copied {copied}, "
            f"expires {str(deployed.get('expirationDate', '-'))[:10]}\n"
        )

        out.line("4. Snapshot v3, tested on data from a later, drifted population")
        center.add_asset(
            model.id,
            Asset(
                name="test_drifted.csv",
                filename="test_drifted.csv",
                asset_role=AssetRole.TEST_DATA,
                file_format="CSV",
                file_content=(model_dir / "data" / "test_drifted.csv").read_text(),
            ),
            replace_role=True,
        )
        center.create_deployable_model(model.id, tags=["train", "run_test", "jira"])
        second = _latest_instance(manager)
        out.line(f"   Signals_deployable_model_changed started instance {second.id}")
        second = _drive(manager, clock, steps, second.id)
        variables = manager.variables(second.id)
        rejection = local.list(kind="test_review")
        out.line(
            f"   {second.status}: {variables.get('TEST_RESULT_MESSAGE')}; "
            f"rejection ticket {rejection[0].key if rejection else '-'}\n"
        )

        out.line("5. Snapshot v4 to production through QA, a security scan and two approvals")
        scanners = " and ".join(missing("bandit", "pip_audit")).replace("_", "-")
        if scanners:
            out.line(
                f"   skipped: the security scan needs {scanners}, from the [security] extra: "
                "pip install 'modelop-mlc[security]'\n"
            )
            third = None
        else:
            third = run_productionization(
                manager, clock, model, model_dir, partial(_drive, manager, clock, steps), out
            )

        out.line(f"6. History of instance {first.id} (v2)")
        out.line(history_table(manager.history(first.id, limit=None)))
        out.line("\n7. KPIs (mlc kpis)")
        out.line(kpi_text(compute_kpis(manager, key=PROCESS)))
        finished = [first, second] + ([third] if third else [])
        result = {
            "database": str(db),
            "deployed": first.id,
            "rejected": second.id,
            "productionized": third.id if third else None,
            "statuses": [i.status for i in finished],
        }
    out.result(result)
    mlc = f"{mlc_command()} --db {db}"
    out.line(f"\nDone in {time.monotonic() - began:.1f} s. Look around:")
    out.line(f"   {mlc} instances")
    out.line(f"   {mlc} show {first.id[:8]}")
    out.line(f"   {mlc} tickets")
    out.line(f"   {mlc} kpis")
    ok = all(i.status == "completed" for i in finished)
    return 0 if ok else 1
