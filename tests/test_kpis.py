"""KPIs from history: time to production, approval lead time, test pass rate, MLC errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from modelop_mlc.kpis import DurationStats, kpis_from_history
from modelop_mlc.models import HistoryEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(
    minutes: float,
    kind: str,
    activity: str | None = None,
    *,
    activity_type: str = "serviceTask",
    **detail: Any,
) -> HistoryEvent:
    """A history event `minutes` after T0 (service tasks unless told, when an activity is named)."""
    return HistoryEvent(
        instance_id="i",
        activity_id=activity,
        activity_name=None,
        kind=kind,
        at=T0 + timedelta(minutes=minutes),
        activity_type=activity_type if activity else None,
        detail=detail,
    )


def journey(
    *, review_minutes: float, passed: bool, deployed_at: float | None
) -> list[HistoryEvent]:
    """One instance: judged, reviewed for `review_minutes`, maybe deployed."""
    events = [
        event(0, "instance_start"),
        event(1, "activity_start", "judge"),
        event(1, "activity_end", "judge", delegate="ModelTestResultEval", TEST_RESULT=passed),
        event(2, "activity_start", "wait_review"),
        event(2 + review_minutes, "activity_end", "wait_review", delegate="WaitForTicketStatus"),
    ]
    if deployed_at is not None:
        events += [
            event(deployed_at, "activity_start", "deploy"),
            event(deployed_at, "activity_end", "deploy", delegate="DeployModel"),
        ]
    return events


def test_kpis_are_computed_from_the_recorded_facts() -> None:
    """Durations come from the instances' own timestamps; pass rate from ModelTestResultEval."""
    histories = [
        journey(review_minutes=60, passed=True, deployed_at=120),
        journey(review_minutes=2 * 24 * 60, passed=True, deployed_at=3 * 24 * 60),
        [
            *journey(review_minutes=30, passed=False, deployed_at=None),
            event(40, "error_thrown", "deploy", code="FAILURE"),
        ],
    ]
    kpis = kpis_from_history(histories, completed=3, incidents=1)

    assert (kpis.instances, kpis.completed, kpis.deployments) == (3, 3, 2)
    assert kpis.time_to_production == DurationStats(
        count=2, mean=(7200 + 259200) / 2, median=(7200 + 259200) / 2, minimum=7200, maximum=259200
    )
    assert kpis.approval_lead_time is not None
    assert (kpis.approval_lead_time.count, kpis.approval_lead_time.median) == (3, 3600)
    assert (kpis.tests_judged, kpis.tests_passed) == (3, 2)
    assert kpis.test_pass_rate == 2 / 3
    assert (kpis.errors_thrown, kpis.incidents, kpis.mlc_errors) == (1, 1, 2)
    assert kpis.as_dict()["test_pass_rate"] == 2 / 3


def test_user_task_decisions_count_as_approval_lead_time() -> None:
    """A completed user task is a decision; one cancelled by an escalation timer is not."""
    user = "userTask"
    review = [
        event(0, "instance_start"),
        event(1, "activity_start", "approve", activity_type=user),
        event(1 + 3 * 24 * 60, "activity_cancel", "approve", activity_type=user),
        event(1 + 3 * 24 * 60, "activity_start", "approve_escalated", activity_type=user),
        event(1 + 4 * 24 * 60, "activity_end", "approve_escalated", activity_type=user),
    ]

    kpis = kpis_from_history([review])

    assert kpis.approval_lead_time == DurationStats(
        count=1, mean=86400, median=86400, minimum=86400, maximum=86400
    )


def test_nothing_to_measure_gives_no_figures() -> None:
    """Without instances every figure is absent rather than zero."""
    kpis = kpis_from_history([])
    assert kpis.time_to_production is None
    assert kpis.approval_lead_time is None
    assert kpis.test_pass_rate is None
    assert kpis.mlc_errors == 0
