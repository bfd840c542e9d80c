"""Running instances: one command = one step = one transaction, guarded by the revision."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from modelop_mlc._engine.events import OutboundEvent
from modelop_mlc._engine.groovy import GroovyLimits
from modelop_mlc._engine.host import DelegateCall, DelegateOutcome, EngineLimits, ScriptOutcome
from modelop_mlc._engine.instance import EngineInstance, InstanceSnapshot, JobWait
from modelop_mlc._engine.sandbox import SandboxLimits, ScriptSandbox
from modelop_mlc._engine.scripting import STEPS_PER_CPU_SECOND
from modelop_mlc._engine.timers import parse_retry_cycle
from modelop_mlc.clock import Clock
from modelop_mlc.config import ManagerConfig
from modelop_mlc.dmn import ExpressionLimits, limits_in_effect
from modelop_mlc.errors import (
    BpmnError,
    DecisionError,
    InstanceConflictError,
    InstanceNotFoundError,
    MlcError,
    ProcessError,
    TaskNotOpenError,
)
from modelop_mlc.manager._cutoff import Cutoff, DelegateTimeoutError
from modelop_mlc.manager._fanout import Lease, fan_out
from modelop_mlc.manager._repository import Repository
from modelop_mlc.manager._step_rows import Note, ReadOnly, history_rows, step_history, step_waits
from modelop_mlc.models import UserTask
from modelop_mlc.ports import Decisions, ModelOpCenter, TicketSystems
from modelop_mlc.registry import (
    DelegateContext,
    DelegateRegistry,
    Pending,
    check_json,
    delegate_output,
)
from modelop_mlc.store import SqlStore, Tx
from modelop_mlc.store.rows import (
    DeliveryRow,
    ExternalTaskRow,
    HistoryRow,
    IncidentRow,
    InstanceRow,
    JobRow,
    ThrowRow,
    Waits,
    dumps,
    iso,
)

__all__ = ["Note", "Runtime", "Services", "StepHost", "Thrown", "check_json", "describe_error"]

T = TypeVar("T")
log = logging.getLogger("modelop_mlc.runtime")

Thrown = list[tuple[ThrowRow, list[DeliveryRow]]]
"""What a saved step threw: each event with its deliveries (leased to this host)."""


@dataclass
class Services:
    """Collaborators delegates see in their context (ModelOp Center, ticket systems)."""

    center: ModelOpCenter | None = None
    tickets: TicketSystems | None = None
    decisions: Decisions | None = None


@dataclass
class _Write:
    """What one step saves, in one transaction.

    An ended instance (`ended_at` set) loses its waits and open incidents; otherwise `waits`
    replace the stored ones (None: they stay as they are).
    """

    status: str
    state: dict[str, Any]
    variables: dict[str, Any]
    waiting_at: list[str]
    ended_at: str | None = None
    end_reason: str | None = None
    waits: Waits | None = None
    incidents: list[IncidentRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    outbox: Sequence[OutboundEvent] = ()
    # Further writes of the same transaction (resolving an incident retries its job).
    also: Callable[[Tx], None] | None = None


@dataclass
class _Failure:
    message: str
    candidates: tuple[str, ...]
    retryable: bool = True


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

    @property
    def limits(self) -> EngineLimits:
        """Bounds on this step: activities, call-activity depth."""
        return self.runtime.engine_limits

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
                    f"failed: {describe_error(err)}",
                    instance_id=self.instance_id,
                    activity_id=call.activity_id,
                ) from err
            if isinstance(err, Pending):
                self.parked[call.task_id] = err
                return DelegateOutcome.DEFERRED, {}
            log.warning("delegate %s failed at %s: %s", entry.name, call.activity_id, err)
            self.failures[call.task_id] = _Failure(
                describe_error(err),
                call.candidates,
                retryable=not isinstance(err, DelegateTimeoutError),
            )
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


def describe_error(err: BaseException) -> str:
    """`Type: message` of an exception, for incidents and job errors."""
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
        self._cutoff = Cutoff()

    @property
    def engine_limits(self) -> EngineLimits:
        """Bounds on each step, from the configuration."""
        return EngineLimits(
            max_activities_per_step=self.config.max_activities_per_step,
            max_call_depth=self.config.max_call_depth,
        )

    def bounded(self) -> AbstractContextManager[None]:
        """Put the configured expression limits in effect (around everything a step runs).

        JUEL, FEEL and the Python fast path check sizes and iterations against them, derived
        from the script limits the way Groovy's are.
        """
        return limits_in_effect(
            ExpressionLimits(
                max_string=SandboxLimits.max_output_bytes,
                max_items=GroovyLimits.max_items,
                max_steps=int(self.config.script_cpu_seconds * STEPS_PER_CPU_SECOND),
            )
        )

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
        """Run a delegate function and check what it returns.

        Raises:
            DelegateTimeoutError: If it ran longer than `delegate_timeout_seconds`.
        """
        name = call.candidates[-1] if call.candidates else "unknown"
        context = DelegateContext(
            variables=ReadOnly(call.variables),
            inputs=ReadOnly(call.inputs),
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
            log=logging.getLogger(f"modelop_mlc.delegate.{name}"),
        )
        returned = self._cutoff.run(
            lambda: function(context),
            self.config.delegate_timeout_seconds,
            what=f"delegate '{name}' at '{call.activity_id}'",
        )
        return delegate_output(returned, call.activity_id)

    # ------------------------------------------------------------------ steps

    def host(self, row: InstanceRow) -> StepHost:
        """Make the engine host for a step on `row`."""
        return StepHost(self, row.id, row.business_key, row.definition_id, row.revision)

    def step(
        self,
        instance_id: str,
        command: Callable[[EngineInstance], T],
        *,
        notes: Sequence[Note] = (),
        within: Callable[[Tx], None] | None = None,
    ) -> tuple[T, InstanceRow]:
        """Apply `command` to an instance, run the engine to its next waits and save.

        `notes` are history events of the command itself (a signal received, a task
        completed), recorded before what the engine journals. `within` writes more in the
        step's transaction (a delivery marks itself done); what it raises rolls the step back.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If the instance has ended, or the engine failed (nothing is saved).
        """

        def run(row: InstanceRow) -> tuple[T, _Write]:
            host = self.host(row)
            specs = self.repository.specs(row.definition_id, row.called)
            instance = EngineInstance.restore(specs, host, row.state, dict(row.variables))
            result = command(instance)
            instance.run()
            write = self._engine_write(row, instance.snapshot(), host, notes)
            write.also = within
            return result, write

        return self._apply(instance_id, run)

    def create(
        self,
        definition_id: str,
        start_event: str,
        variables: dict[str, Any],
        business_key: str | None,
        *,
        origin: str,
        detail: Mapping[str, Any] | None = None,
        within: Callable[[Tx], None] | None = None,
    ) -> InstanceRow:
        """Start an instance of a definition at `start_event` and save its first step.

        `within` writes more in the same transaction, as in `step()`.

        Raises:
            ProcessError: If the engine fails; nothing is stored then.
        """
        row = self.store.get_definition(definition_id)
        assert row is not None
        called = self.repository.called_mapping(row)
        specs = self.repository.specs(row.id, called)
        stub = InstanceRow(
            id=str(uuid.uuid4()),
            definition_id=row.id,
            key=row.key,
            version=row.version,
            business_key=business_key,
            status="running",
            state={},
            variables={},
            waiting_at=[],
            called=called,
            revision=0,
            started_at=iso(self.clock.now()),
            ended_at=None,
            end_reason=None,
        )
        host = self.host(stub)
        try:
            with self.bounded():
                instance = EngineInstance.create(specs, host, variables, start_event=start_event)
                instance.run()
        except ProcessError as err:
            # Nothing was stored: the error must not name an instance nobody can look up.
            err.instance_id = None
            err.add_note(f"no instance of {row.key} was started; nothing was stored")
            raise
        start = {
            "start_event": start_event,
            "origin": origin,
            "version": row.version,
            "business_key": business_key,
            **(detail or {}),
        }
        write = self._engine_write(
            stub, instance.snapshot(), host, [Note("instance_start", start_event, start)]
        )
        write.also = within
        saved, thrown = self._commit(stub, write, new=True)
        log.info("started %s v%s as %s (%s)", row.key, row.version, stub.id, origin)
        self._deliver(thrown)
        return saved

    def complete_task(self, task: UserTask, values: dict[str, Any]) -> InstanceRow:
        """Complete a user task; a completer who lost the race gets `TaskNotOpenError`."""
        instance_id, task_id = task.instance_id, task.id
        detail = {"task_id": task_id, "variables": sorted(values), "assignee": task.assignee}
        note = Note("task_completed", task.activity_id, detail)
        try:
            return self.step(
                instance_id, lambda inst: inst.complete_user_task(task_id, values), notes=[note]
            )[1]
        except ProcessError as err:
            ended = self.store.get_instance(instance_id)
            if ended is None or ended.status not in {"completed", "cancelled"}:
                raise
            message = f"user task '{task_id}' is not open: the instance has {ended.status}"
            raise TaskNotOpenError(message, instance_id=instance_id) from err

    def cancel(self, instance_id: str, reason: str | None) -> InstanceRow:
        """End a running instance as cancelled: its waits, jobs and tasks go, incidents close.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If it has ended.
        """

        def cancelled(row: InstanceRow) -> tuple[None, _Write]:
            at = iso(self.clock.now())
            note = Note("instance_cancelled", detail={"reason": reason})
            return None, _Write(
                status="cancelled",
                state=row.state,
                variables=row.variables,
                waiting_at=[],
                ended_at=at,
                end_reason=reason,
                history=history_rows(row, [note], at),
            )

        return self._apply(instance_id, cancelled)[1]

    def resolve_incident(self, incident: IncidentRow) -> InstanceRow:
        """Close an incident; its failed job becomes due now with one retry.

        The instance runs again unless it has other open incidents.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If it has ended.
        """

        def resolved(row: InstanceRow) -> tuple[None, _Write]:
            at = iso(self.clock.now())
            others = [i for i in self.store.incidents(instance_id=row.id) if i.id != incident.id]

            def close(tx: Tx) -> None:
                self.reopen_failed(tx, incident, at)

            note = Note(
                "incident_resolved",
                incident.activity_id,
                {"incident": incident.id},
                task_id=incident.job_id,
            )
            return None, _Write(
                status=row.status if others else "running",
                state=row.state,
                variables=row.variables,
                waiting_at=row.waiting_at,
                history=history_rows(row, [note], at),
                also=close,
            )

        return self._apply(incident.instance_id, resolved)[1]

    def reopen_failed(self, tx: Tx, incident: IncidentRow, at: str) -> None:
        """Close an incident; its failed job or delivery is due now, leased to this host.

        The lease is taken in the same transaction, so no worker claims the item while the
        caller of `retry()` runs it: a retried job runs once.
        """
        tx.resolve_incidents(incident_id=incident.id, at=at)
        if incident.job_id is None:
            return
        tx.release_timer(incident.job_id)  # a failed timer fires again when due
        until = iso(self.clock.now() + timedelta(seconds=self.config.job_lease_seconds))
        if incident.kind == "failed_delivery":
            tx.update_delivery(
                incident.job_id,
                status="pending",
                due_at=at,
                lease_owner=self.owner,
                lease_until=until,
            )
            return
        tx.update_job(
            incident.job_id,
            status="pending",
            retries_left=1,
            due_at=at,
            lease_owner=self.owner,
            lease_until=until,
        )

    def _apply(
        self, instance_id: str, change: Callable[[InstanceRow], tuple[T, _Write]]
    ) -> tuple[T, InstanceRow]:
        """The one step path: load, change, save with the revision check; retry lost races."""
        for _attempt in range(self.config.max_conflict_retries):
            row = self.store.get_instance(instance_id)
            if row is None:
                raise InstanceNotFoundError(instance_id)
            if row.status in {"completed", "cancelled"}:
                raise ProcessError(
                    f"instance '{instance_id}' has {row.status}; it cannot take further steps",
                    instance_id=instance_id,
                )
            with self.bounded():
                result, write = change(row)
            try:
                saved, thrown = self._commit(row, write)
            except InstanceConflictError:
                continue
            self._deliver(thrown)
            return result, saved
        raise InstanceConflictError(instance_id, -1)

    def _engine_write(
        self, row: InstanceRow, snapshot: InstanceSnapshot, host: StepHost, notes: Sequence[Note]
    ) -> _Write:
        """What a step of the engine writes: its state, waits, jobs, incidents and history."""
        now = self.clock.now()
        at = iso(now)
        check_json(snapshot.variables)
        ended = snapshot.status == "completed"
        jobs, incidents = self._jobs(row, snapshot, host, now)
        external = self._external_tasks(row, snapshot, at)
        if ended:
            status = "completed"
        else:
            status = "incident" if self._has_open_incidents(row, incidents) else "running"
        return _Write(
            status=status,
            state=snapshot.state,
            variables=snapshot.variables,
            waiting_at=snapshot.waiting_at,
            ended_at=at if ended else None,
            waits=None if ended else step_waits(row, snapshot, jobs, at, external),
            incidents=incidents,
            history=step_history(row, snapshot, notes, at, self.config),
            outbox=snapshot.outbox,
        )

    def _commit(
        self, row: InstanceRow, write: _Write, *, new: bool = False
    ) -> tuple[InstanceRow, Thrown]:
        """Save a step in one transaction, comparing the instance's revision.

        The instance, its waits, incidents, history and what it threw (the outbox) are
        written together; an ended instance loses its waits and open incidents.

        Returns:
            The saved row, and the thrown events with their deliveries, leased to this host.

        Raises:
            InstanceConflictError: If another step saved the instance first.
        """
        saved = replace(
            row,
            status=write.status,
            state=write.state,
            variables=write.variables,
            waiting_at=write.waiting_at,
            revision=1 if new else row.revision + 1,
            ended_at=write.ended_at,
            end_reason=write.end_reason,
        )
        state_json = dumps(write.state)
        variables_json = dumps(write.variables)
        now = self.clock.now()
        throws = [
            ThrowRow(
                id=str(uuid.uuid4()),
                kind=event.kind,
                name=event.name,
                variables=check_json(event.variables),
                source_instance=row.id,
                created_at=iso(now),
            )
            for event in write.outbox
        ]
        lease = Lease(self.owner, iso(now + timedelta(seconds=self.config.job_lease_seconds)))

        created: list[str] = []

        # A separate function, so the store can repeat it on a new connection when the
        # connection was lost before the commit (the revision check still applies).
        def body(tx: Tx) -> Thrown:
            created.clear()
            if new:
                tx.insert_instance(saved)
            else:
                tx.update_instance(
                    row.id,
                    row.revision,
                    status=write.status,
                    state_json=state_json,
                    variables_json=variables_json,
                    waiting_at=write.waiting_at,
                    ended_at=write.ended_at,
                    end_reason=write.end_reason,
                )
            if write.ended_at is not None:
                tx.clear_waits(row.id)
                tx.resolve_incidents(instance_id=row.id, at=write.ended_at)
            elif write.waits is not None:
                tx.replace_waits(row.id, write.waits)
            for incident in write.incidents:
                tx.insert_incident(incident)
            if write.also is not None:
                write.also(tx)
            tx.append_history(write.history)
            created.extend(tx.new_external_tasks)
            return [(throw, fan_out(tx, throw, lease=lease) or []) for throw in throws]

        thrown = self.store.run_transaction(body)
        if created and self.on_external_tasks is not None:
            self.on_external_tasks()
        return saved, thrown

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
            if self.is_external(wait):
                continue
            failure = host.failures.get(wait.task_id)
            delays = self.retry_delays(wait.retry_cycle)
            attempts_allowed = max(len(delays), 1)
            status, due, error, retries_left, attempts = "pending", at, None, attempts_allowed, 0
            if failure is not None:
                attempts = 1
                retries_left = attempts_allowed - 1 if failure.retryable else 0
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

    def is_external(self, wait: JobWait) -> bool:
        """Whether a waiting task is left to outside workers (no delegate serves its topic)."""
        return wait.topic is not None and self.registry.resolve(wait.candidates) is None

    def _external_tasks(
        self, row: InstanceRow, snapshot: InstanceSnapshot, at: str
    ) -> list[ExternalTaskRow]:
        waits = [w for w in snapshot.jobs if self.is_external(w)]
        if not waits:
            return []
        definition = self.store.get_definition(row.definition_id)
        return [
            ExternalTaskRow(
                id=wait.task_id,
                instance_id=row.id,
                definition_id=row.definition_id,
                key=row.key,
                business_key=row.business_key,
                activity_id=wait.activity_id,
                activity_name=wait.activity_name,
                topic=wait.topic or "",
                priority=wait.priority,
                created_at=at,
                locals=dict(wait.locals),
                properties={str(k): str(v) for k, v in wait.properties.items()},
                version_tag=definition.version_tag if definition is not None else None,
            )
            for wait in waits
        ]

    def incident_message(self, activity_id: str, error: str | None) -> str:
        """The message of an incident raised when retries run out."""
        return (
            f"service task '{activity_id}' failed and has no retries left: {error}; fix "
            "the cause, then run `mlc retry <incident id>` (manager.retry(incident_id))"
        )

    # ------------------------------------------------------------------ thrown events

    def _deliver(self, thrown: Thrown) -> None:
        """Hand what a saved step threw to whoever delivers it now (`on_outbox`).

        Without one, the deliveries stay leased to this host until their lease runs out,
        then a worker delivers them.
        """
        if self.on_outbox is not None and any(deliveries for _, deliveries in thrown):
            self.on_outbox(thrown)

    on_outbox: Callable[[Thrown], None] | None = None
    owner: str = "unnamed"
    """The worker id new deliveries are leased to (the manager sets it)."""
    # Called after a step created external tasks (wakes long-polling workers).
    on_external_tasks: Callable[[], None] | None = None
