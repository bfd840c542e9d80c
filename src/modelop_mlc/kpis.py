"""Key performance indicators of the model life cycle, computed from history.

Four numbers a model-risk or ModelOps lead asks for, each read from what the manager already
records (no separate bookkeeping that could drift from the truth):

- **time to production**: from an instance's start (a snapshot was created) to the end of its
  `DeployModel` task;
- **approval lead time**: how long `WaitForTicketStatus` tasks and user tasks waited for people
  to decide (a user task cancelled by a boundary event, e.g. an escalation, decided nothing);
- **test pass rate**: the share of `ModelTestResultEval` judgements that passed (results
  of models without a comparator DMN are counted apart, as not judged, never as passed);
- **MLC errors**: BPMN errors thrown plus incidents raised.

Service tasks record their delegate's name and a few result values (`ManagerConfig.
history_facts`) on their `activity_end` event; that is what makes these computable.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from modelop_mlc.models import HistoryEvent

if TYPE_CHECKING:
    from modelop_mlc.manager import LifecycleManager

__all__ = ["DurationStats", "Kpis", "compute_kpis", "kpis_from_history"]

DEPLOY_DELEGATE = "DeployModel"
WAIT_DELEGATE = "WaitForTicketStatus"
JUDGE_DELEGATE = "ModelTestResultEval"


@dataclass(frozen=True)
class DurationStats:
    """Summary of a set of durations, in seconds.

    Attributes:
        count: How many durations.
        mean: Their mean.
        median: Their median.
        minimum: The shortest.
        maximum: The longest.
    """

    count: int
    mean: float
    median: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> DurationStats | None:
        """Summarise `seconds`, or None when there are none."""
        if not seconds:
            return None
        return cls(
            count=len(seconds),
            mean=statistics.fmean(seconds),
            median=statistics.median(seconds),
            minimum=min(seconds),
            maximum=max(seconds),
        )


@dataclass(frozen=True)
class Kpis:
    """The life-cycle KPIs over a set of instances.

    Attributes:
        instances: Instances looked at.
        completed: Of those, how many completed.
        deployments: `DeployModel` tasks that finished.
        time_to_production: Instance start to deployment.
        approval_lead_time: Time spent waiting for ticket and user-task decisions.
        tests_judged: `ModelTestResultEval` judgements.
        tests_passed: Of those, how many passed.
        tests_not_judged: `ModelTestResultEval` runs on models without a DMN (not judged).
        errors_thrown: BPMN errors thrown (caught or not).
        incidents: Incidents raised (open or resolved).
    """

    instances: int
    completed: int
    deployments: int
    time_to_production: DurationStats | None
    approval_lead_time: DurationStats | None
    tests_judged: int
    tests_passed: int
    errors_thrown: int
    incidents: int
    tests_not_judged: int = 0

    @property
    def test_pass_rate(self) -> float | None:
        """Passed over judged, or None when nothing was judged."""
        return self.tests_passed / self.tests_judged if self.tests_judged else None

    @property
    def mlc_errors(self) -> int:
        """BPMN errors thrown plus incidents."""
        return self.errors_thrown + self.incidents

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (durations in seconds)."""

        def stats(value: DurationStats | None) -> dict[str, float] | None:
            return None if value is None else dict(vars(value))

        return {
            "instances": self.instances,
            "completed": self.completed,
            "deployments": self.deployments,
            "time_to_production": stats(self.time_to_production),
            "approval_lead_time": stats(self.approval_lead_time),
            "tests_judged": self.tests_judged,
            "tests_passed": self.tests_passed,
            "test_pass_rate": self.test_pass_rate,
            "tests_not_judged": self.tests_not_judged,
            "errors_thrown": self.errors_thrown,
            "incidents": self.incidents,
            "mlc_errors": self.mlc_errors,
        }


_WAITS = ("serviceTask", "userTask")


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def kpis_from_history(
    histories: Iterable[Sequence[HistoryEvent]], *, completed: int = 0, incidents: int = 0
) -> Kpis:
    """Compute the KPIs from instance histories (each in order)."""
    instances = deployments = judged = passed = not_judged = errors = 0
    to_production: list[float] = []
    lead_times: list[float] = []
    for events in histories:
        instances += 1
        started = next((e.at for e in events if e.kind == "instance_start"), None)
        waiting: dict[str, datetime] = {}
        deployed = False
        for event in events:
            if event.kind == "error_thrown":
                errors += 1
                continue
            delegate = event.detail.get("delegate") if event.detail else None
            if event.kind == "activity_start" and event.activity_type in _WAITS:
                waiting[event.activity_id or ""] = event.at
            if event.kind == "activity_end" and event.activity_type == "userTask":
                # A person decided in the task list (approvals as user tasks).
                if event.activity_id in waiting:
                    lead_times.append(_seconds(waiting.pop(event.activity_id or ""), event.at))
                continue
            if event.kind != "activity_end" or delegate is None:
                continue
            if delegate == DEPLOY_DELEGATE:
                deployments += 1
                if started is not None and not deployed:
                    to_production.append(_seconds(started, event.at))
                deployed = True
            elif delegate == WAIT_DELEGATE and event.activity_id in waiting:
                lead_times.append(_seconds(waiting.pop(event.activity_id or ""), event.at))
            elif delegate == JUDGE_DELEGATE and event.detail.get("TEST_RESULT_JUDGED") is False:
                not_judged += 1
            elif delegate == JUDGE_DELEGATE and "TEST_RESULT" in event.detail:
                judged += 1
                passed += event.detail["TEST_RESULT"] is True
    return Kpis(
        instances=instances,
        completed=completed,
        deployments=deployments,
        time_to_production=DurationStats.of(to_production),
        approval_lead_time=DurationStats.of(lead_times),
        tests_judged=judged,
        tests_passed=passed,
        tests_not_judged=not_judged,
        errors_thrown=errors,
        incidents=incidents,
    )


def compute_kpis(
    manager: LifecycleManager, *, key: str | None = None, since: datetime | None = None
) -> Kpis:
    """Compute the KPIs over the manager's instances (of process `key`, started since `since`)."""
    chosen = [i for i in manager.instances(key=key) if since is None or i.started_at >= since]
    ids = {i.id for i in chosen}
    incidents = [n for n in manager.incidents(open_only=False) if n.instance_id in ids]
    return kpis_from_history(
        (manager.history(i.id) for i in chosen),
        completed=sum(i.status == "completed" for i in chosen),
        incidents=len(incidents),
    )
