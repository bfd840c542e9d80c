"""Scheduled monitoring: a daily back test of every deployed model, driven by time travel."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from credit_support import EXAMPLE, Credit, csv_asset, dmn_asset
from modelop_mlc import ManagerConfig
from modelop_mlc.domain import Asset, AssetRole, AssetType
from modelop_mlc.testing import assert_that


@pytest.fixture
def mlc_manager_options(tmp_path: Path) -> dict[str, object]:
    """LocalCenter may read the monitored data file under the test's directory."""
    return {"config": ManagerConfig(data_roots=[str(tmp_path)])}


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy("scheduled_monitoring.bpmn", "run_back_test_jira.bpmn")


def test_daily_back_tests_open_a_ticket_once_the_data_drifts(
    make_credit: Callable[..., Credit], tmp_path: Path
) -> None:
    """Five days: three passing back tests, then the monitored data drifts and two fail."""
    latest = tmp_path / "monitoring" / "latest.csv"
    latest.parent.mkdir()
    shutil.copy(EXAMPLE / "data" / "test.csv", latest)
    monitored = Asset(
        name="latest.csv",
        filename="latest.csv",
        asset_type=AssetType.EXTERNAL_FILE,
        asset_role=AssetRole.TEST_DATA,
        file_format="CSV",
        file_url=latest.as_uri(),
    )
    credit = make_credit(
        assets=(csv_asset("train.csv", AssetRole.TRAINING_DATA), monitored, dmn_asset())
    )
    credit.center.deploy_model(credit.trained_snapshot(), credit.center.get_runtime("online-prod"))

    credit.harness.advance(timedelta(days=3))
    shutil.copy(EXAMPLE / "data" / "test_drifted.csv", latest)
    credit.harness.advance(timedelta(days=2))

    runs = sorted(credit.manager.instances(key="scheduled_monitoring"), key=lambda i: i.started_at)
    assert [(i.started_at.day, i.started_at.hour) for i in runs] == [(d, 6) for d in range(1, 6)]
    outcomes = []
    for run in runs:
        assert_that(run).is_completed().has_passed("back_test_each", "notify_done", "monitored")
        # Each back test is an instance of the called process, as in Camunda 7.
        (back_test,) = credit.manager.instances(super_instance_id=run.id, limit=None)
        passed = [e.activity_id for e in credit.manager.history(back_test.id, limit=None)]
        outcomes.append("passed" if "notify_passed" in passed else "failed")
    assert outcomes == ["passed"] * 3 + ["failed"] * 2
    tickets = credit.manager.tickets.local.list()  # type: ignore[attr-defined]
    assert sorted(t.kind for t in tickets) == ["test_review", "test_review"]
    assert "Back-tested" not in tickets[0].summary  # tickets are about the model, not the run
    summaries = [n.message for n in credit.center.notifications() if n.type == "PROCESS"]
    assert summaries.count("Scheduled monitoring back-tested 1 deployed model(s)") == 5


def test_no_deployed_models_is_a_quiet_run(credit: Credit) -> None:
    """With nothing deployed the daily run completes without back tests."""
    credit.harness.advance(timedelta(days=1))

    (run,) = credit.manager.instances(key="scheduled_monitoring")
    assert_that(run).is_completed().has_passed("monitored").has_not_passed("get_model")
