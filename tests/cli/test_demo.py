"""`mlc demo`, the project's main job, run as the installed command in a fresh directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlflow_support import MlflowServer, client
from modelop_mlc import ConfigurationError, LifecycleManager, ProcessInstance
from modelop_mlc.cli._demo import _waiting_for_review

MLC = str(Path(sys.executable).with_name("mlc"))


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run `mlc` and return what it did."""
    return subprocess.run([MLC, *argv], capture_output=True, text=True, timeout=300, check=False)


def test_demo_shows_every_path_and_leaves_a_database_to_inspect(tmp_path: Path) -> None:
    """The demo deploys v2 after review, rejects drifted v3, productionizes v4 through QA,
    and `mlc` can inspect the result."""
    demo = run("demo", "--dir", str(tmp_path / "demo"))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    assert "✓ Wait for training" in out
    assert "TEST_RESULT=True" in out
    assert "waiting for review ticket MLC-1" in out
    assert "completed: v2 online on credit-online-prod, schedules copied ['0 0 6 * * ?']" in out
    assert "TEST_RESULT=False" in out
    assert "AUC below 0.70" in out
    assert "Data drift detected" in out
    assert "rejection ticket MLC-2" in out
    assert "task 'Approve' for python_approvers" in out
    assert "task 'Approve' for model_risk_committee" in out
    assert "mlc complete " in out
    assert "--var reviewResult=APPROVED" in out
    assert "numpy==2.1.3: not scanned: no vulnerability data" in out
    assert (
        "completed: v4 online on credit-online-prod; QA deployment on credit-batch-qa undeployed"
    ) in out

    db = str(tmp_path / "demo" / "mlc.db")
    # It ends with the commands to look around, with this environment's `mlc`.
    show = next(line for line in out.splitlines() if " show " in line).split()
    assert Path(shutil.which(show[0]) or "").resolve() == Path(MLC).resolve()
    assert show[1:3] == ["--db", db]
    assert run(*show[1:]).returncode == 0  # the short id it prints is enough
    listed = json.loads(run("--db", db, "--json", "instances").stdout)
    # v1, v2, v3, and v4: left by Deploy with run test, carried by productionization, whose
    # two approvals ran as instances of the called approval process.
    assert [i["status"] for i in listed] == ["completed"] * 7
    assert [i["key"] for i in listed].count("productionization") == 1
    # The list leaves variables out, as Camunda's list does (the issue saw 1 MB for 4 instances).
    assert all("variables" not in instance for instance in listed)
    assert max(len(json.dumps(instance)) for instance in listed) < 10_000
    # With them, they carry asset references, not files. What is left is ModelOp's records: an
    # instance that ran a test job keeps JOB, MODEL_TEST_RESULT(S) and DEPLOYED_MODEL, each
    # embedding the snapshot's metadata or the test results.
    full = json.loads(run("--db", db, "--json", "instances", "--variables").stdout)
    assert [i["id"] for i in full] == [i["id"] for i in listed]
    sizes = sorted(len(json.dumps(instance)) for instance in full)
    assert sizes[-1] < 25_000, sizes
    runs = sorted(len(json.dumps(i)) for i in full if i["super_instance_id"] is None)
    assert runs[0] < 10_000, runs  # v4's Deploy with run test, left to productionization
    assert "fileContent" not in json.dumps(full)
    approvals = [i for i in listed if i["key"] == "approval_with_escalation"]
    production = next(i for i in listed if i["key"] == "productionization")
    assert [a["super_instance_id"] for a in approvals] == [production["id"]] * 2
    kpis = json.loads(run("--db", db, "--json", "kpis").stdout)
    # v1, v2, v4 to QA and v4 to PROD; the two approvals of v4 took a day each.
    assert (kpis["deployments"], kpis["tests_judged"], kpis["tests_passed"]) == (4, 3, 2)
    assert kpis["approval_lead_time"]["count"] == 3
    assert kpis["approval_lead_time"]["maximum"] >= 2 * 86400
    tickets = json.loads(run("--db", db, "--json", "tickets").stdout)
    assert sorted((t["key"], t["status"]) for t in tickets) == [
        ("MLC-1", "Done"),
        ("MLC-2", "To Do"),
    ]


def test_a_second_run_needs_force_and_then_starts_afresh(tmp_path: Path) -> None:
    """A second demo into one directory refuses to replace its database unless `--force`."""
    assert run("demo", "--dir", str(tmp_path)).returncode == 0
    refused = run("demo", "--dir", str(tmp_path))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"mlc demo: {tmp_path / 'mlc.db'} already exists (an earlier demo?); pass --force to "
        "replace it, or choose another --dir\n"
    )
    assert run("demo", "--dir", str(tmp_path), "--force").returncode == 0
    listed = json.loads(run("--db", str(tmp_path / "mlc.db"), "--json", "instances").stdout)
    assert len(listed) == 7  # five runs, two of them called approval instances


def test_a_run_that_misses_the_review_says_where_it_stopped(manager: LifecycleManager) -> None:
    """If the model's jobs fail, the demo names where v2 stopped instead of an IndexError."""
    stopped = ProcessInstance(
        id="e384d7db-0000-0000-0000-000000000000",
        key="deploy_with_test_and_jira",
        version=1,
        status="incident",
        business_key=None,
        variables={},
        waiting_at=("wait_training",),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        ended_at=None,
        definition_id="deploy_with_test_and_jira:1:x",
    )
    with pytest.raises(ConfigurationError) as caught:
        _waiting_for_review(manager, stopped, Path("demo/mlc.db"))
    assert str(caught.value).startswith(
        f"the v2 instance {stopped.id} did not reach the review; it is incident at "
        "wait_training. See `"
    )
    assert str(caught.value).endswith(" --db demo/mlc.db show e384d7db`")


def test_an_outputs_folder_is_not_replaced_without_force(tmp_path: Path) -> None:
    """A folder with someone's `outputs` is left alone: the demo refuses before touching it."""
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "report.csv").write_text("keep me")
    refused = run("demo", "--dir", str(tmp_path))
    assert refused.returncode == 1
    assert f"{tmp_path / 'outputs'} already exists" in refused.stderr
    assert (tmp_path / "outputs" / "report.csv").read_text() == "keep me"
    assert not (tmp_path / "mlc.db").exists()


def test_the_mlflow_demo_moves_the_production_alias(
    mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    """`mlc demo --center mlflow`: v2 approved gets `production`, drifted v3 is rejected."""
    demo = run(
        "--json",
        "demo",
        "--center",
        "mlflow",
        "--tracking-uri",
        mlflow_server.uri,
        "--dir",
        str(tmp_path / "demo"),
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    result = json.loads(demo.stdout)
    assert result["production"] == "2"
    assert result["statuses"] == ["completed", "completed"]
    mlflow = client(mlflow_server)
    name = result["model"]
    assert mlflow.get_model_version(name, "3").aliases == []
    assert mlflow.get_model_version(name, "3").tags["mlc.test_result"] == "failed"
    assert mlflow.get_model_version(name, "2").tags["mlc.test_result"] == "passed"
