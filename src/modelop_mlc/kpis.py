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

Each instance's share is read from its history (`InstanceFacts`); `manager.purge()` keeps the
share of the instances it removes, so dashboards read the same numbers after a purge.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modelop_mlc.manager._kpi_facts import (
    DEPLOY_DELEGATE,
    JUDGE_DELEGATE,
    WAIT_DELEGATE,
    InstanceFacts,
    instance_facts,
)
from modelop_mlc.models import HistoryEvent, Incident, ProcessInstance
from modelop_mlc.store.queries import InstanceQuery, Page
from modelop_mlc.store.rows import iso

if TYPE_CHECKING:
    from modelop_mlc.manager import LifecycleManager

__all__ = [
    "DEPLOY_DELEGATE",
    "JUDGE_DELEGATE",
    "WAIT_DELEGATE",
    "DurationStats",
    "InstanceFacts",
    "Kpis",
    "compute_kpis",
    "kpis_from_facts",
    "kpis_from_history",
]


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


def kpis_from_facts(
    facts: Iterable[InstanceFacts], *, instances: int, completed: int = 0, incidents: int = 0
) -> Kpis:
    """Add up instances' KPI facts (`completed` and `incidents` are totals of their own)."""
    deployments = judged = passed = not_judged = errors = 0
    to_production: list[float] = []
    lead_times: list[float] = []
    for fact in facts:
        deployments += fact.deployments
        if fact.to_production is not None:
            to_production.append(fact.to_production)
        lead_times.extend(fact.lead_times)
        judged += fact.tests_judged
        passed += fact.tests_passed
        not_judged += fact.tests_not_judged
        errors += fact.errors_thrown
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


def kpis_from_history(
    histories: Iterable[Sequence[HistoryEvent]], *, completed: int = 0, incidents: int = 0
) -> Kpis:
    """Compute the KPIs from instance histories (each in order)."""
    facts = [instance_facts(events) for events in histories]
    return kpis_from_facts(facts, instances=len(facts), completed=completed, incidents=incidents)


def compute_kpis(
    manager: LifecycleManager, *, key: str | None = None, since: datetime | None = None
) -> Kpis:
    """Compute the KPIs over the manager's instances (of process `key`, started since `since`).

    Instances removed by `purge()` count through the facts it kept of them, so a purge does
    not change the KPIs. A call activity starts an instance of its own (as in Camunda 7):
    what the called instances did (an approval, say) counts for the instance that called
    them, and without `key` only instances nothing called are counted as instances. An
    incident of a called instance repeated on its callers counts once.
    """
    start = None if since is None else iso(since.astimezone(UTC))
    chosen = [
        i
        for i in _every(manager, InstanceQuery(key=key, started_since=start))
        if key is not None or i.super_instance_id is None
    ]
    incidents: dict[str, int] = {}
    for incident in _every_incident(manager):
        if incident.root_cause_incident_id in (None, incident.id):
            incidents[incident.instance_id] = incidents.get(incident.instance_id, 0) + 1
    facts = []
    for instance in chosen:
        tree = _with_called(manager, instance)
        events = [e for member in tree for e in manager.history(member.id, limit=None)]
        count = sum(incidents.get(member.id, 0) for member in tree)
        facts.append(instance_facts(events, incidents=count))
    completed = sum(i.status == "completed" for i in chosen)
    for row in manager.store.kpi_facts(key=key, since=start):
        facts.append(InstanceFacts.from_json(row.facts))
        completed += row.status == "completed"
    return kpis_from_facts(
        facts,
        instances=len(facts),
        completed=completed,
        incidents=sum(f.incidents for f in facts),
    )


_BATCH = 500


def _every(manager: LifecycleManager, query: InstanceQuery) -> list[ProcessInstance]:
    """Every instance `query` selects, read a batch at a time."""
    found: list[ProcessInstance] = []
    while True:
        after = None if not found else (iso(found[-1].started_at), found[-1].id)
        batch = manager.find_instances(query, Page(limit=_BATCH, after=after))
        found.extend(batch)
        if len(batch) < _BATCH:
            return found


def _every_incident(manager: LifecycleManager) -> list[Incident]:
    """Every incident, open or resolved, read a batch at a time."""
    found: list[Incident] = []
    while True:
        batch = manager.incidents(open_only=False, limit=_BATCH, after=found[-1] if found else None)
        found.extend(batch)
        if len(batch) < _BATCH:
            return found


def _with_called(manager: LifecycleManager, instance: ProcessInstance) -> list[ProcessInstance]:
    """An instance and every instance its call activities started, down the chain."""
    found = [instance]
    for member in found:
        called = manager.instances(super_instance_id=member.id, limit=None)
        found += sorted(called, key=lambda c: c.started_at)
    return found
