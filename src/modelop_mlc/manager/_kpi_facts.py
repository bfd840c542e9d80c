"""What the life-cycle KPIs need of one instance's history (`modelop_mlc.kpis` adds them up).

An instance's facts are read from its history; `purge()` keeps them (a `kpi_facts` row) when
it deletes the history, so the KPIs stay the same after a purge.

Service tasks record their delegate's name and a few result values (`ManagerConfig.
history_facts`) on their `activity_end` event; that is what makes these computable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelop_mlc.models import HistoryEvent

__all__ = ["DEPLOY_DELEGATE", "JUDGE_DELEGATE", "WAIT_DELEGATE", "InstanceFacts", "instance_facts"]

DEPLOY_DELEGATE = "DeployModel"
WAIT_DELEGATE = "WaitForTicketStatus"
JUDGE_DELEGATE = "ModelTestResultEval"

_WAITS = ("serviceTask", "userTask")


@dataclass(frozen=True)
class InstanceFacts:
    """One instance's share of the KPIs.

    Attributes:
        deployments: `DeployModel` tasks that finished.
        to_production: Seconds from its start to its first deployment, if it deployed.
        lead_times: Seconds each ticket or user-task decision took.
        tests_judged: `ModelTestResultEval` judgements.
        tests_passed: Of those, how many passed.
        tests_not_judged: `ModelTestResultEval` runs on models without a DMN (not judged).
        errors_thrown: BPMN errors thrown (caught or not).
        incidents: Incidents raised (open or resolved); filled in by the caller.
    """

    deployments: int = 0
    to_production: float | None = None
    lead_times: tuple[float, ...] = ()
    tests_judged: int = 0
    tests_passed: int = 0
    tests_not_judged: int = 0
    errors_thrown: int = 0
    incidents: int = 0

    def as_json(self) -> dict[str, Any]:
        """The facts as stored in `kpi_facts.facts`."""
        return {
            "deployments": self.deployments,
            "to_production": self.to_production,
            "lead_times": list(self.lead_times),
            "tests_judged": self.tests_judged,
            "tests_passed": self.tests_passed,
            "tests_not_judged": self.tests_not_judged,
            "errors_thrown": self.errors_thrown,
            "incidents": self.incidents,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InstanceFacts:
        """Read stored facts."""
        return cls(
            deployments=int(data.get("deployments", 0)),
            to_production=data.get("to_production"),
            lead_times=tuple(float(t) for t in data.get("lead_times", ())),
            tests_judged=int(data.get("tests_judged", 0)),
            tests_passed=int(data.get("tests_passed", 0)),
            tests_not_judged=int(data.get("tests_not_judged", 0)),
            errors_thrown=int(data.get("errors_thrown", 0)),
            incidents=int(data.get("incidents", 0)),
        )


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def instance_facts(events: Sequence[HistoryEvent], *, incidents: int = 0) -> InstanceFacts:
    """Read one instance's KPI facts from its history (in order)."""
    deployments = judged = passed = not_judged = errors = 0
    to_production: float | None = None
    lead_times: list[float] = []
    started = next((e.at for e in events if e.kind == "instance_start"), None)
    waiting: dict[str, datetime] = {}
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
            if started is not None and to_production is None:
                to_production = _seconds(started, event.at)
        elif delegate == WAIT_DELEGATE and event.activity_id in waiting:
            lead_times.append(_seconds(waiting.pop(event.activity_id or ""), event.at))
        elif delegate == JUDGE_DELEGATE and event.detail.get("TEST_RESULT_JUDGED") is False:
            not_judged += 1
        elif delegate == JUDGE_DELEGATE and "TEST_RESULT" in event.detail:
            judged += 1
            passed += event.detail["TEST_RESULT"] is True
    return InstanceFacts(
        deployments=deployments,
        to_production=to_production,
        lead_times=tuple(lead_times),
        tests_judged=judged,
        tests_passed=passed,
        tests_not_judged=not_judged,
        errors_thrown=errors,
        incidents=incidents,
    )
