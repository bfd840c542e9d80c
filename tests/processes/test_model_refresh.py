"""Model refresh and retraining, and the weekly Model refresh, with real training jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from credit_support import ON_BOTH_CENTERS, Credit, csv_asset, dmn_asset
from modelop_mlc.domain import AssetRole
from modelop_mlc.testing import assert_that

ONE = "model_refresh_one"


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy("model_refresh_one.bpmn", "model_refresh.bpmn", "deploy_with_test_and_jira.bpmn")


def champion_on(make_credit: Callable[..., Credit], train_rows: int | None) -> Credit:
    """A model whose deployed champion was trained on the first `train_rows` rows."""
    credit = make_credit(
        assets=(
            csv_asset("train.csv", AssetRole.TRAINING_DATA, rows=train_rows),
            csv_asset("test.csv", AssetRole.TEST_DATA),
            dmn_asset(),
        )
    )
    champion = credit.trained_snapshot()
    credit.center.deploy_model(champion, credit.center.get_runtime("online-prod"))
    return credit


def new_training_data(credit: Credit, *, rows: int | None = None, drop: str | None = None) -> str:
    """Land new TRAINING_DATA (which signals the change); return the refresh instance id."""
    credit.replace_asset(csv_asset("train.csv", AssetRole.TRAINING_DATA, rows=rows, drop=drop))
    return credit.started(ONE).id


@ON_BOTH_CENTERS
def test_a_better_challenger_is_approved_and_redeployed(
    make_credit: Callable[..., Credit],
) -> None:
    """Retrained on all the data, the challenger beats a champion trained on 60 rows."""
    credit = champion_on(make_credit, train_rows=60)
    champion = credit.center.find_deployed_models(state="DEPLOYED")[0]
    credit.center.patch_deployed_model(
        champion.id, {"schedules": [{"cronExpression": "0 0 6 * * ?"}]}
    )
    scenario = credit.scenario()
    scenario.ticket(kind="model_approval").moves_to("Done", {"Expiration Date": "2026-12-31"})
    scenario.follow(new_training_data(credit))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed_in_order(
        "find_champion",
        "snapshot",
        "retrain",
        "wait_retrain",
        "test_challenger",
        "test_champion",
        "compare",
        "judge",
        "open_approval",
        "wait_approval",
        "redeploy",
        "copy_schedules",
        "set_expiration",
        "redeployed",
    ).has_variables(CHALLENGER_WINS=True, TEST_RESULT=True)
    variables = credit.manager.variables(instance.id)
    new = variables["NEW_DEPLOYED_MODEL"]
    assert new["deployableModel"]["id"] == variables["DEPLOYABLE_MODEL"]["id"]
    assert new["runtime"]["name"] == "online-prod"
    assert [s["cronExpression"] for s in new["schedules"]] == ["0 0 6 * * ?"]
    assert new["expirationDate"].startswith("2026-12-31")
    assert credit.center.get_deployed_model(champion.id).deployed_state == "UNDEPLOYED"
    comparison = variables["COMPARISON"]
    auc = next(row for row in comparison["metrics"] if row["metric"] == "auc")
    assert auc["winner"] == "challenger"
    # The deploy process left the challenger snapshot alone.
    challenger = credit.center.get_deployable_model(variables["DEPLOYABLE_MODEL"]["id"])
    assert_that(credit.started("deploy_with_test_and_jira", challenger)).has_passed(
        "left_to_refresh"
    )


def test_the_champion_is_kept_when_it_is_better(make_credit: Callable[..., Credit]) -> None:
    """New data too small to learn from: the champion wins, nothing changes."""
    credit = champion_on(make_credit, train_rows=None)
    scenario = credit.scenario()
    scenario.follow(new_training_data(credit, rows=60))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "compare", "notify_kept", "champion_kept"
    ).has_not_passed("judge", "open_approval", "redeploy").has_variables(CHALLENGER_WINS=False)
    assert len(credit.center.find_deployed_models(state="DEPLOYED")) == 1


def test_a_challenger_failing_the_criteria_is_not_deployed(
    make_credit: Callable[..., Credit],
) -> None:
    """A stricter DMN (AUC >= 0.95) rejects even the better challenger."""
    credit = champion_on(make_credit, train_rows=60)
    credit.replace_asset(dmn_asset(min_auc=0.95))
    scenario = credit.scenario()
    scenario.follow(new_training_data(credit))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed(
        "judge", "criteria_failed", "ended_criteria"
    ).has_not_passed("open_approval").has_variables(TEST_RESULT=False)
    assert [t.kind for t in credit.manager.tickets.local.list()] == ["test_review"]  # type: ignore[attr-defined]


def test_a_rejected_approval_keeps_the_champion(make_credit: Callable[..., Credit]) -> None:
    """The approver says no: nothing is redeployed."""
    credit = champion_on(make_credit, train_rows=60)
    scenario = credit.scenario()
    scenario.ticket(kind="model_approval").moves_to("Rejected")
    scenario.follow(new_training_data(credit))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("wait_approval", "ended_rejected")
    assert_that(instance).has_not_passed("redeploy")


def test_failed_retraining_opens_a_ticket(make_credit: Callable[..., Credit]) -> None:
    """New training data without labels: the training job fails and a ticket says so."""
    credit = champion_on(make_credit, train_rows=None)
    scenario = credit.scenario()
    scenario.follow(new_training_data(credit, drop="default"))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("training_failed", "ended_training_failed")
    assert [t.kind for t in credit.manager.tickets.local.list()] == ["job_failure"]  # type: ignore[attr-defined]


def test_a_model_that_is_not_deployed_is_not_refreshed(credit: Credit) -> None:
    """New data for a model nobody deployed ends at once."""
    scenario = credit.scenario()
    scenario.follow(new_training_data(credit))

    instance = scenario.run()

    assert_that(instance).is_completed().has_passed("not_deployed").has_not_passed("snapshot")


def test_weekly_refresh_refreshes_every_deployed_model(
    make_credit: Callable[..., Credit],
) -> None:
    """Monday 02:00 the timer fires and each deployed model is refreshed, one at a time.

    Each refresh is an instance of the called process (one per model, linked to the weekly
    instance), as in Camunda 7. With no new data the retrained challenger ties with the
    champion, which is kept.
    """
    credit = champion_on(make_credit, train_rows=60)
    second = credit.center.register_model(
        "credit-default-eu",
        source=credit.center.read_asset(credit.model.model_assets[0]),
        tags=["credit-risk"],
    )
    credit.center.add_asset(second.id, csv_asset("train.csv", AssetRole.TRAINING_DATA, rows=80))
    credit.center.add_asset(second.id, csv_asset("test.csv", AssetRole.TEST_DATA))
    eu = credit.center.create_deployable_model(second.id)
    credit.center.deploy_model(eu, credit.center.get_runtime("batch-dev"))
    scenario = credit.scenario()
    assert credit.manager.instances(key="model_refresh") == []

    credit.harness.advance_to(datetime(2026, 1, 5, 2, 0, tzinfo=credit.harness.now().tzinfo))

    weekly = credit.started("model_refresh")
    assert weekly.started_at == datetime(2026, 1, 5, 2, 0, tzinfo=weekly.started_at.tzinfo)
    scenario.follow(weekly)
    scenario.run()
    assert_that(weekly).is_completed().has_passed("find_deployed", "refresh_each", "refreshed")
    refreshes = credit.manager.instances(super_instance_id=weekly.id, limit=None)
    assert [(r.key, r.status) for r in refreshes] == [(ONE, "completed")] * 2
    for refresh in refreshes:  # one refresh per deployed model
        assert_that(refresh).has_passed("retrain", "champion_kept")
    # The next run is a week later.
    assert credit.manager.next_due() == datetime(2026, 1, 12, 2, 0, tzinfo=weekly.started_at.tzinfo)
