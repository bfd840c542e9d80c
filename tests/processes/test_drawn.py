"""The shipped main diagram drawn mid-way: a real credit-model run waiting for its review."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from credit_support import Credit
from drawing.support import check_rendered, state

KEY = "deploy_with_test_and_jira"


@pytest.fixture(autouse=True)
def _deployed(mlc_deploy: Callable[..., object]) -> None:
    mlc_deploy(f"{KEY}.bpmn")


def test_waiting_for_the_review_ticket_is_highlighted(credit: Credit) -> None:
    """Trained and tested, the instance waits at `wait_review`: only that is highlighted."""
    scenario = credit.scenario()
    credit.snapshot("train", "run_test", "jira")
    instance = credit.started(KEY)
    scenario.follow(instance)
    waiting = scenario.run(until="wait_review")
    drawn = check_rendered(credit.manager, waiting.id)
    assert {r for r, g in drawn.items() if state(g) == "active"} == {"wait_review"}
    for passed in ("train", "run_test", "judge_results", "open_review"):
        assert state(drawn[passed]) == "taken", passed
    assert state(drawn["deploy"]) == "other"
