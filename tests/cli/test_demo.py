"""`mlc demo`, the project's main job, run as the installed command in a fresh directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    listed = json.loads(run("--db", db, "--json", "instances").stdout)
    # v1, v2, v3, and v4: left by Deploy with run test, carried by productionization.
    assert [i["status"] for i in listed] == ["completed"] * 5
    assert [i["key"] for i in listed].count("productionization") == 1
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


def test_a_second_run_starts_afresh(tmp_path: Path) -> None:
    """Running the demo twice in one directory replaces the first run's database."""
    for _ in range(2):
        assert run("demo", "--dir", str(tmp_path)).returncode == 0
    listed = json.loads(run("--db", str(tmp_path / "mlc.db"), "--json", "instances").stdout)
    assert len(listed) == 5
