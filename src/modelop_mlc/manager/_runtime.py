"""Running instances: one command = one step = one transaction, guarded by the revision."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from modelop_mlc._engine.host import DelegateCall, DelegateOutcome, ScriptOutcome
from modelop_mlc._engine.instance import EngineInstance, InstanceSnapshot
from modelop_mlc._engine.sandbox import SandboxLimits, ScriptSandbox
from modelop_mlc._engine.timers import parse_retry_cycle
from modelop_mlc.clock import Clock
from modelop_mlc.config import ManagerConfig
from modelop_mlc.errors import (
    BpmnError,
    DecisionError,
    InstanceConflictError,
    InstanceNotFoundError,
    MlcError,
    ProcessError,
    VariableError,
)
from modelop_mlc.manager._repository import Repository
from modelop_mlc.registry import DelegateContext, DelegateRegistry, Pending
from modelop_mlc.store import SqlStore, Tx
from modelop_mlc.store.rows import (
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    SubscriptionRow,
    TaskRow,
    TimerRow,
    Waits,
    dumps,
    iso,
)

__all__ = ["Runtime", "Services", "StepHost", "check_json"]

T = TypeVar("T")
log = logging.getLogger("modelop_mlc.runtime")

_MAX_VALUE_TEXT = 2000


@dataclass
class Services:
    """Collaborators delegates see in their context (ModelOp Center, ticket systems)."""

    center: Any = None
    tickets: Any = None
    decisions: Any = None


def check_json(variables: Mapping[str, Any] | None, *, where: str = "variables") -> dict[str, Any]:
    """Return `variables` as a dict after checking every value is JSON.

    Raises:
        VariableError: Naming the first variable that is not JSON-serialisable.
    """
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise VariableError(
            where, f"expected a mapping of names to values, got {type(variables).__name__}"
        )
    result = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name:
            raise VariableError(str(name), "variable names must be non-empty strings")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise VariableError(name, str(err)) from None
        result[name] = value
    return result


@dataclass
class _Failure:
    message: str
    candidates: tuple[str, ...]


@dataclass
class StepHost:
    """The `EngineHost` for one step of one instance."""

    runtime: Runtime
    instance_id: str
    business_key: str | None
    definition_id: str
    base_revision: int
    failures: dict[str, _Failure] = field(default_factory=dict)
    parked: dict[str, Pending] = field(default_factory=dict)
    _calls: int = 0

    @property
    def clock(self) -> Clock:
        """The manager's clock."""
        return self.runtime.clock

    def now(self) -> datetime:
        """The current time."""
        return self.runtime.clock.now()

    @property
    def history_facts(self) -> Collection[str]:
        """Result variables whose values history records on a service task's end."""
        return self.runtime.config.history_facts

    def known_delegates(self) -> Sequence[str]:
        """Registered delegate names."""
        return self.runtime.registry.names()

    @property
    def script_limits(self) -> SandboxLimits:
        """The configured script limits; Groovy scripts derive their budget from them."""
        return self.runtime.sandbox.limits

    def invoke_delegate(self, call: DelegateCall) -> tuple[DelegateOutcome, Mapping[str, Any]]:
        """Run a quick delegate inline; defer async ones, external topics and failures."""
        entry = self.runtime.registry.resolve(call.candidates)
        if call.listener is not None and entry is None:
            raise ProcessError(
                f"no delegate is registered as {' or '.join(call.candidates)} for the "
                f"{call.listener} listener of '{call.activity_id}'",
                instance_id=self.instance_id,
                activity_id=call.activity_id,
            )
        deferred = entry is None or entry.asynchronous or call.asynchronous
        if call.listener is None and (deferred or call.kind == "external"):
            return DelegateOutcome.DEFERRED, {}
        assert entry is not None
        self._calls += 1
        key = f"{self.instance_id}:{call.activity_id}:r{self.base_revision}:{self._calls}"
        try:
            result = self.runtime.call_delegate(
                entry.function,
                call,
                idempotency_key=key,
                attempt=1,
                instance_id=self.instance_id,
                business_key=self.business_key,
            )
        except BpmnError:
            raise
        except Exception as err:
            if call.listener is not None:
                # As in Camunda 7, a failing listener fails the step; nothing is saved.
                raise ProcessError(
                    f"the {call.listener} listener {entry.name} of '{call.activity_id}' "
                    f"failed: {_describe(err)}",
                    instance_id=self.instance_id,
                    activity_id=call.activity_id,
                ) from err
            if isinstance(err, Pending):
                self.parked[call.task_id] = err
                return DelegateOutcome.DEFERRED, {}
            log.warning("delegate %s failed at %s: %s", entry.name, call.activity_id, err)
            self.failures[call.task_id] = _Failure(_describe(err), call.candidates)
            return DelegateOutcome.DEFERRED, {}
        return DelegateOutcome.COMPLETED, result

    def evaluate_decision(
        self,
        decision_ref: str,
        variables: Mapping[str, Any],
        *,
        binding: str,
        version: str | None,
        mapping: str,
    ) -> Any:
        """Evaluate a decision and map its result as `camunda:mapDecisionResult` says."""
        from modelop_mlc.dmn import map_decision_result  # noqa: PLC0415 - loaded when used

        model = self.runtime.repository.decision_model(
            decision_ref, binding=binding, version=version
        )
        try:
            result = model.evaluate(decision_ref, variables, now=self.now())
            return map_decision_result(result, mapping)
        except DecisionError as err:
            err.instance_id = err.instance_id or self.instance_id
            raise

    def run_script(
        self, source: str, variables: Mapping[str, Any], *, context: Mapping[str, Any]
    ) -> ScriptOutcome:
        """Run a Python script task in the sandbox."""
        result = self.runtime.sandbox.run(source, variables, context=context)
        return ScriptOutcome(result.variables, result.deleted, result.value)


def _describe(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class Runtime:
    """Loads, steps and saves instances; the machinery behind `LifecycleManager`."""

    def __init__(
        self,
        store: SqlStore,
        clock: Clock,
        repository: Repository,
        registry: DelegateRegistry,
        config: ManagerConfig,
        services: Services,
    ) -> None:
        """Wire the runtime."""
        self.store = store
        self.clock = clock
        self.repository = repository
        self.registry = registry
        self.config = config
        self.services = services
        self._sandbox: ScriptSandbox | None = None

    @property
    def sandbox(self) -> ScriptSandbox:
        """The script sandbox (its worker process starts on first use)."""
        if self._sandbox is None:
            self._sandbox = ScriptSandbox(
                SandboxLimits(
                    cpu_seconds=self.config.script_cpu_seconds,
                    memory_bytes=self.config.script_memory_mb * 1024 * 1024,
                    wall_seconds=self.config.script_wall_seconds,
                )
            )
        return self._sandbox

    def close(self) -> None:
        """Stop the sandbox worker."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    # ------------------------------------------------------------------ delegates

    def call_delegate(
        self,
        function: Callable[[DelegateContext], Any],
        call: DelegateCall,
        *,
        idempotency_key: str,
        attempt: int,
        instance_id: str,
        business_key: str | None,
    ) -> dict[str, Any]:
        """Run a delegate function and check what it returns."""
        context = DelegateContext(
            variables=_ReadOnly(call.variables),
            inputs=_ReadOnly(call.inputs),
            instance_id=instance_id,
            activity_id=call.activity_id,
            activity_name=call.activity_name,
            business_key=business_key,
            idempotency_key=idempotency_key,
            clock=self.clock,
            center=self.services.center,
            tickets=self.services.tickets,
            decisions=self.services.decisions,
            secrets=self.config.secrets,
            config=self.config,
            method=call.method,
            arguments=call.arguments,
            attempt=attempt,
            event_name=call.listener,
            log=logging.getLogger(
                f"modelop_mlc.delegate.{call.candidates[-1] if call.candidates else 'unknown'}"
            ),
        )
        result = function(context)
        if result is None:
            return {}
        if not isinstance(result, Mapping):
            raise ProcessError(
                f"delegate for '{call.activity_id}' returned {type(result).__name__}; a "
                "delegate returns a dict of variables to set, or None",
                activity_id=call.activity_id,
            )
        return check_json(result, where=f"result of {call.activity_id}")

    # ------------------------------------------------------------------ steps

    def host(self, row: InstanceRow) -> StepHost:
        """Make the engine host for a step on `row`."""
        return StepHost(self, row.id, row.business_key, row.definition_id, row.revision)

    def step(
        self,
        instance_id: str,
        command: Callable[[EngineInstance], T],
        *,
        history: Callable[[InstanceRow], list[tuple[str, str | None, dict[str, Any]]]]
        | None = None,
    ) -> tuple[T, InstanceRow]:
        """Apply `command` to an instance and save the result; retries lost races.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If the instance has ended, or the engine failed (nothing is saved).
        """
        for _attempt in range(self.config.max_conflict_retries):
            row = self.store.get_instance(instance_id)
            if row is None:
                raise InstanceNotFoundError(instance_id)
            if row.status in {"completed", "cancelled"}:
                raise ProcessError(
                    f"instance '{instance_id}' has {row.status}; it cannot take further steps",
                    instance_id=instance_id,
                )
            specs = self.repository.specs(row.definition_id, row.called)
            host = self.host(row)
            instance = EngineInstance.restore(specs, host, row.state, dict(row.variables))
            result = command(instance)
            instance.run()
            snapshot = instance.snapshot()
            extra = history(row) if history else []
            try:
                saved = self.save(row, snapshot, host, extra_history=extra)
            except InstanceConflictError:
                continue
            self.deliver(snapshot, source_instance=instance_id)
            return result, saved
        raise InstanceConflictError(instance_id, -1)

    def save(
        self,
        row: InstanceRow,
        snapshot: InstanceSnapshot,
        host: StepHost,
        *,
        extra_history: Sequence[tuple[str, str | None, dict[str, Any]]] = (),
        new: bool = False,
    ) -> InstanceRow:
        """Persist a step: state, waits, jobs, history and incidents in one transaction."""
        now = self.clock.now()
        at = iso(now)
        check_json(snapshot.variables)
        state_json = dumps(snapshot.state)
        variables_json = dumps(snapshot.variables)
        ended = snapshot.status == "completed"
        history_rows = self._history_rows(row, snapshot, extra_history, at)
        jobs, incidents = self._jobs(row, snapshot, host, now)
        status = (
            "completed"
            if ended
            else ("incident" if self._has_open_incidents(row, incidents) else "running")
        )

        # A separate function, so the store can repeat it on a new connection when the
        # connection was lost before the commit (the revision check still applies).
        def write(tx: Tx) -> None:
            if new:
                tx.insert_instance(
                    InstanceRow(
                        id=row.id,
                        definition_id=row.definition_id,
                        key=row.key,
                        version=row.version,
                        business_key=row.business_key,
                        status=status,
                        state=snapshot.state,
                        variables=snapshot.variables,
                        waiting_at=snapshot.waiting_at,
                        called=row.called,
                        revision=1,
                        started_at=row.started_at,
                        ended_at=at if ended else None,
                        end_reason=None,
                    )
                )
            else:
                tx.update_instance(
                    row.id,
                    row.revision,
                    status=status,
                    state_json=state_json,
                    variables_json=variables_json,
                    waiting_at=snapshot.waiting_at,
                    ended_at=at if ended else None,
                    end_reason=None,
                )
            if ended:
                tx.clear_waits(row.id)
                tx.resolve_incidents(instance_id=row.id, at=at)
            else:
                tx.replace_waits(row.id, _waits(row, snapshot, jobs, at))
                for incident in incidents:
                    tx.insert_incident(incident)
            tx.append_history(history_rows)

        self.store.run_transaction(write)
        return InstanceRow(
            id=row.id,
            definition_id=row.definition_id,
            key=row.key,
            version=row.version,
            business_key=row.business_key,
            status=status,
            state=snapshot.state,
            variables=snapshot.variables,
            waiting_at=snapshot.waiting_at,
            called=row.called,
            revision=1 if new else row.revision + 1,
            started_at=row.started_at,
            ended_at=at if ended else None,
            end_reason=None,
        )

    def _has_open_incidents(self, row: InstanceRow, new: list[IncidentRow]) -> bool:
        if new:
            return True
        if row.status != "incident":
            return False  # incidents are only opened together with that status
        return bool(self.store.incidents(instance_id=row.id, open_only=True))

    def retry_delays(self, cycle: str | None) -> list[timedelta]:
        """Delays between attempts for a retry cycle (the default when None)."""
        text = cycle or self.config.default_retry_cycle
        try:
            durations = parse_retry_cycle(text)
        except MlcError:
            durations = parse_retry_cycle(self.config.default_retry_cycle)
        now = self.clock.now()
        return [d.add_to(now) - now for d in durations]

    def _jobs(
        self, row: InstanceRow, snapshot: InstanceSnapshot, host: StepHost, now: datetime
    ) -> tuple[list[JobRow], list[IncidentRow]]:
        jobs: list[JobRow] = []
        incidents: list[IncidentRow] = []
        at = iso(now)
        for wait in snapshot.jobs:
            failure = host.failures.get(wait.task_id)
            delays = self.retry_delays(wait.retry_cycle)
            attempts_allowed = max(len(delays), 1)
            status, due, error, retries_left, attempts = "pending", at, None, attempts_allowed, 0
            if failure is not None:
                attempts = 1
                retries_left = attempts_allowed - 1
                error = failure.message
                if retries_left <= 0:
                    status = "failed"
                    incidents.append(
                        IncidentRow(
                            id=str(uuid.uuid4()),
                            instance_id=row.id,
                            activity_id=wait.activity_id,
                            job_id=wait.task_id,
                            kind="failed_job",
                            message=self.incident_message(wait.activity_id, error),
                            created_at=at,
                        )
                    )
                else:
                    due = iso(now + delays[0])
            parked = host.parked.get(wait.task_id)
            if parked is not None:
                due = iso(now + parked.after)
            jobs.append(
                JobRow(
                    id=wait.task_id,
                    instance_id=row.id,
                    activity_id=wait.activity_id,
                    activity_name=wait.activity_name,
                    kind="delegate",
                    candidates=list(wait.candidates),
                    due_at=due,
                    retries_left=retries_left,
                    retry_cycle=wait.retry_cycle,
                    attempts=attempts,
                    idempotency_key=f"{row.id}:{wait.task_id}",
                    status=status,
                    lease_owner=None,
                    lease_until=None,
                    last_error=error,
                    created_at=at,
                    wake_key=parked.wake_on if parked is not None else None,
                )
            )
        return jobs, incidents

    def incident_message(self, activity_id: str, error: str | None) -> str:
        """The message of an incident raised when retries run out."""
        return (
            f"service task '{activity_id}' failed and has no retries left: {error}; fix "
            "the cause and call manager.retry(incident_id)"
        )

    def _history_rows(
        self,
        row: InstanceRow,
        snapshot: InstanceSnapshot,
        extra: Sequence[tuple[str, str | None, dict[str, Any]]],
        at: str,
    ) -> list[HistoryRow]:
        rows = [
            HistoryRow(row.id, row.key, kind, at, activity_id=activity_id, detail=detail)
            for kind, activity_id, detail in extra
        ]
        for entry in snapshot.journal:
            rows.append(
                HistoryRow(
                    row.id,
                    row.key,
                    entry.kind.value,
                    at,
                    activity_id=entry.activity_id,
                    activity_name=entry.activity_name,
                    activity_type=entry.activity_type,
                    task_id=entry.task_id,
                    detail=entry.detail,
                )
            )
        changed = {
            name: value
            for name, value in snapshot.variables.items()
            if name not in row.variables or row.variables[name] != value
        }
        removed = [name for name in row.variables if name not in snapshot.variables]
        if changed or removed:
            update: dict[str, Any] = {"changed": sorted(changed), "removed": sorted(removed)}
            if self.config.record_variable_values:
                update["values"] = {k: _truncate(v) for k, v in changed.items()}
            rows.append(HistoryRow(row.id, row.key, "variable_update", at, detail=update))
        if snapshot.status == "completed":
            rows.append(HistoryRow(row.id, row.key, "instance_end", at))
        return rows

    # ------------------------------------------------------------------ thrown events

    def deliver(self, snapshot: InstanceSnapshot, *, source_instance: str) -> None:
        """Hand thrown signals and messages to the manager's broadcast (set by the manager)."""
        if snapshot.outbox and self.on_outbox is not None:
            self.on_outbox(snapshot.outbox, source_instance)

    on_outbox: Callable[[list[Any], str], None] | None = None


def _waits(row: InstanceRow, snapshot: InstanceSnapshot, jobs: list[JobRow], at: str) -> Waits:
    """What the instance waits for after a step, as store rows."""
    return Waits(
        subscriptions=[SubscriptionRow("signal", w.name, w.activity_id) for w in snapshot.signals]
        + [SubscriptionRow("message", w.name, w.activity_id) for w in snapshot.messages],
        timers=[
            TimerRow(t.task_id, row.id, None, t.activity_id, iso(t.due), 0) for t in snapshot.timers
        ],
        user_tasks=[
            TaskRow(
                id=t.task_id,
                instance_id=row.id,
                key=row.key,
                activity_id=t.activity_id,
                name=t.name,
                assignee=t.assignee,
                candidate_users=list(t.candidate_users),
                candidate_groups=list(t.candidate_groups),
                due=t.due,
                follow_up=t.follow_up,
                priority=t.priority,
                form_key=t.form_key,
                form_fields=[f.__dict__ for f in t.form_fields],
                created_at=at,
            )
            for t in snapshot.user_tasks
        ],
        jobs=jobs,
    )


def _truncate(value: Any) -> Any:
    text = dumps(value)
    if len(text) <= _MAX_VALUE_TEXT:
        return value
    return {"truncated": True, "preview": text[:_MAX_VALUE_TEXT]}


class _ReadOnly(Mapping[str, Any]):
    """A read-only view, so delegates return changes instead of mutating variables."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnlyVariables({dict(self._data)!r})"
