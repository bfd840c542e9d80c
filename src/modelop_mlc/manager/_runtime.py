"""Running instances: one command = one step = one transaction, guarded by the revision."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from modelop_mlc._engine.groovy import GroovyLimits
from modelop_mlc._engine.host import (
    CallRequest,
    Catcher,
    DelegateCall,
    EngineLimits,
)
from modelop_mlc._engine.instance import EngineInstance, JobWait
from modelop_mlc._engine.sandbox import SandboxLimits, ScriptSandbox
from modelop_mlc._engine.scripting import STEPS_PER_CPU_SECOND
from modelop_mlc._engine.timers import Duration, parse_retry_cycle
from modelop_mlc.clock import Clock
from modelop_mlc.config import ManagerConfig, cut_secrets, secret_values
from modelop_mlc.dmn import ExpressionLimits, limits_in_effect
from modelop_mlc.errors import (
    InstanceConflictError,
    InstanceNotFoundError,
    MlcError,
    ProcessError,
)
from modelop_mlc.manager._cache import KeptWorkflow, WorkflowCache
from modelop_mlc.manager._calls import CallActivities, child_row
from modelop_mlc.manager._cutoff import Cutoff
from modelop_mlc.manager._fanout import (
    Lease,
    Thrown,
    call_return,
    return_rows,
    throw_rows,
    write_return,
    write_throws,
)
from modelop_mlc.manager._group import CommitGroup
from modelop_mlc.manager._host import Opened, StepHost, delegate_log, describe_error
from modelop_mlc.manager._readonly import ReadOnlyVariables
from modelop_mlc.manager._repository import Repository
from modelop_mlc.manager._rows import Note, encode_variables, history_rows, note_rows
from modelop_mlc.manager._step import Prepared, Write, saved_row, tree, write_instance
from modelop_mlc.manager._waits import external_task_rows, job_rows, step_waits
from modelop_mlc.ports import Decisions, ModelOpCenter, TicketSystems
from modelop_mlc.registry import (
    DelegateContext,
    DelegateRegistry,
    check_json,
    delegate_output,
)
from modelop_mlc.store import SqlStore, Tx
from modelop_mlc.store.rows import (
    DefinitionRow,
    IncidentRow,
    InstanceRow,
    dumps,
    iso,
)

__all__ = [
    "Note",
    "Opened",
    "Prepared",
    "Runtime",
    "Services",
    "StepHost",
    "Thrown",
    "check_json",
    "describe_error",
]

T = TypeVar("T")
log = logging.getLogger("modelop_mlc.runtime")


@dataclass
class Services:
    """Collaborators delegates see in their context (ModelOp Center, ticket systems)."""

    center: ModelOpCenter | None = None
    tickets: TicketSystems | None = None
    decisions: Decisions | None = None


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
        self.cache = WorkflowCache(config.workflow_cache_size)
        self._retry_cycles: dict[str, list[Duration]] = {}
        self._sandbox: ScriptSandbox | None = None
        self.calls = CallActivities(store, repository, self)
        self._cutoff = Cutoff()

    @property
    def engine_limits(self) -> EngineLimits:
        """Bounds on each step, from the configuration."""
        return EngineLimits(
            max_activities_per_step=self.config.max_activities_per_step,
            max_call_depth=self.config.max_call_depth,
        )

    @property
    def max_call_depth(self) -> int:
        """How deeply call activities may nest (`ManagerConfig.max_call_depth`)."""
        return self.config.max_call_depth

    @contextmanager
    def bounded(self, variables: Mapping[str, Any]) -> Iterator[None]:
        """Put the configured expression limits in effect (around everything a step runs).

        JUEL, FEEL and the Python fast path check sizes and iterations against them, derived
        from the script limits the way Groovy's are. An error the step raises has the values
        of the instance's secret `variables` cut out of its text (looked up only then).
        """
        limits = ExpressionLimits(
            max_string=SandboxLimits.max_output_bytes,
            max_items=GroovyLimits.max_items,
            max_steps=int(self.config.script_cpu_seconds * STEPS_PER_CPU_SECOND),
        )
        try:
            with limits_in_effect(limits):
                yield
        except MlcError as err:
            cut_secrets(err, secret_values(variables, self.config.secret_variables))
            raise

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
            variables=ReadOnlyVariables(call.variables),
            inputs=ReadOnlyVariables(call.inputs),
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
            log=delegate_log(name, self.call_secrets(call)),
        )
        returned = self._cutoff.run(
            lambda: function(context),
            self.config.delegate_timeout_seconds,
            what=f"delegate '{name}' at '{call.activity_id}'",
        )
        return delegate_output(returned, call.activity_id)

    def call_secrets(self, call: DelegateCall) -> tuple[str, ...]:
        """The secret variable values a delegate call sees (never to reach a log or error)."""
        patterns = self.config.secret_variables
        return secret_values({**call.variables, **call.inputs}, patterns)

    # ------------------------------------------------------------------ steps

    def host(
        self,
        row: InstanceRow,
        caught: Callable[[str, str | None], Catcher | None] | None = None,
    ) -> StepHost:
        """Make the engine host for a step on `row`."""
        return StepHost(
            self,
            row.id,
            row.business_key,
            row.definition_id,
            row.revision,
            super_instance_id=row.super_instance_id,
            super_task_id=row.super_task_id,
            caught=caught,
        )

    def restore(self, row: InstanceRow) -> EngineInstance:
        """Load an instance's engine to read it (a step goes through `step`)."""
        specs = self.repository.specs(row.definition_id)
        return EngineInstance.restore(specs, self.host(row), row.state, dict(row.variables))

    def now(self) -> str:
        """The clock's time, as stored."""
        return iso(self.clock.now())

    def open(self, row: InstanceRow) -> Opened:
        """The engine instance of `row` for one step: kept from its last step, else restored.

        The caller owns it: nothing else gets it until a step on it commits (`_settle`).
        """
        host = self.host(row)
        specs = self.repository.specs(row.definition_id)
        kept: KeptWorkflow | None = self.cache.take(row.id, row.revision, specs)
        workflow = kept.settled(row.id) if kept is not None else None
        if workflow is not None:
            instance = EngineInstance.resume(workflow, host)
        else:
            instance = EngineInstance.restore(specs, host, row.state, dict(row.variables))
        return Opened(row, instance, host, specs)

    def _engine_change(
        self,
        command: Callable[[EngineInstance], T],
        notes: Sequence[Note],
        opened: Opened | None,
        within: Callable[[Tx], None] | None = None,
    ) -> Callable[[InstanceRow], tuple[T, Write]]:
        def run(row: InstanceRow) -> tuple[T, Write]:
            # An instance opened by the caller serves the row it was opened from, once.
            current = opened if opened is not None and opened.row is row else self.open(row)
            result = command(current.instance)
            current.instance.run()
            write = self._engine_write(row, current.instance, current.host, notes)
            write.engine, write.specs = current.instance, current.specs
            write.also = within
            return result, write

        return run

    def step(
        self,
        instance_id: str,
        command: Callable[[EngineInstance], T],
        *,
        notes: Sequence[Note] = (),
        opened: Opened | None = None,
        within: Callable[[Tx], None] | None = None,
    ) -> tuple[T, InstanceRow]:
        """Apply `command` to an instance, run the engine to its next waits and save.

        `notes` are history events of the command itself (a signal received, a task
        completed), recorded before what the engine journals. `opened` is the instance if
        the caller opened it already (its row is then the first attempt's). `within` writes
        more in the step's transaction (a delivery marks itself done); what it raises rolls
        the step back.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If the instance has ended, or the engine failed (nothing is saved).
        """
        change = self._engine_change(command, notes, opened, within)
        return self._apply(instance_id, change, first=opened.row if opened else None)

    def step_later(
        self,
        group: CommitGroup,
        instance_id: str,
        command: Callable[[EngineInstance], object],
        *,
        redo: Callable[[], object],
        opened: Opened | None = None,
        done: Callable[[BaseException | None], None] | None = None,
        also: Callable[[Tx], None] | None = None,
        notes: Sequence[Note] = (),
    ) -> None:
        """Run a step now and commit it with `group` (see `CommitGroup`).

        `redo` runs the step again on its own if it cannot be saved as computed (another
        step of the instance came first); `done(error)` follows its commit or failure;
        `also` writes more in the step's transaction; `notes` are as in `step()`.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If the instance has ended, or the engine failed (nothing is saved).
        """
        if group.holds(instance_id):
            group.flush()  # the step must see what the group's step of this instance saves
        row = opened.row if opened is not None else self._load(instance_id)
        with self.bounded(row.variables):
            _, write = self._engine_change(command, notes, opened, also)(row)
        prepared = self._prepare(row, write)
        group.add(
            row.id,
            prepared.body,
            after=partial(self.after_commit, prepared),
            redo=redo,
            done=done,
        )

    def create(
        self,
        definition: DefinitionRow,
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
        try:
            with self.bounded(variables):
                stub, write = self.new_instance(
                    definition, start_event, variables, business_key, origin=origin, detail=detail
                )
        except ProcessError as err:
            # Nothing was stored: the error must not name an instance nobody can look up.
            err.instance_id = None
            err.add_note(f"no instance of {definition.id} was started; nothing was stored")
            raise
        write.also = within
        prepared = self._prepare(stub, write, new=True)
        thrown = self.store.run_transaction(prepared.body)
        log.info("started %s v%s as %s (%s)", stub.key, stub.version, stub.id, origin)
        return self.after_commit(prepared, thrown)

    def new_instance(
        self,
        definition: DefinitionRow,
        start_event: str,
        variables: dict[str, Any],
        business_key: str | None,
        *,
        origin: str,
        detail: Mapping[str, Any] | None = None,
        caller: tuple[InstanceRow, EngineInstance, CallRequest] | None = None,
    ) -> tuple[InstanceRow, Write]:
        """Run the first step of a new instance (a call activity's child: `caller`), unsaved.

        Raises:
            ProcessError: If the engine fails.
        """
        row = definition
        specs = self.repository.specs(row.id)
        stub = child_row(
            InstanceRow(
                id=str(uuid.uuid4()),
                definition_id=row.id,
                key=row.key,
                version=row.version,
                business_key=business_key,
                status="running",
                state={},
                variables={},
                waiting_at=[],
                called={},
                revision=0,
                started_at=iso(self.clock.now()),
                ended_at=None,
                end_reason=None,
            ),
            caller,
        )
        caught = None
        if caller is not None:
            _, caller_instance, call = caller
            caught = partial(caller_instance.catcher_at, call.task_id)
        host = self.host(stub, caught)
        instance = EngineInstance.create(specs, host, variables, start_event=start_event)
        instance.run()
        start = {
            "start_event": start_event,
            "origin": origin,
            "version": row.version,
            "business_key": business_key,
            **(detail or {}),
        }
        write = self._engine_write(
            stub, instance, host, [Note("instance_start", start_event, start)]
        )
        write.engine, write.specs = instance, specs
        return stub, write

    def cancel(
        self, instance_id: str, reason: str | None, *, skip_subprocesses: bool = False
    ) -> InstanceRow:
        """End a running instance as cancelled: its waits, jobs and tasks go, incidents close.

        The instances its call activities started are cancelled with it, in the same
        transaction, unless `skip_subprocesses` (then they run on, as in Camunda 7).

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If it has ended.
        """

        def cancelled(row: InstanceRow) -> tuple[None, Write]:
            at = iso(self.clock.now())
            note = Note("instance_cancelled", detail={"reason": reason})
            children = [] if skip_subprocesses else self.calls.children(row.id)
            return None, Write(
                status="cancelled",
                state=row.state,
                variables=row.variables,
                waiting_at=[],
                ended_at=at,
                end_reason=reason,
                history=note_rows(row, [note], at),
                related=self.calls.cancel(
                    children, reason or f"the calling instance {row.id} was cancelled"
                ),
            )

        return self._apply(instance_id, cancelled)[1]

    def resolve_incident(self, incident: IncidentRow) -> InstanceRow:
        """Close an incident; its failed job becomes due now with one retry.

        The instance runs again unless it has other open incidents.

        Raises:
            InstanceNotFoundError: If the instance does not exist.
            ProcessError: If it has ended.
        """

        def resolved(row: InstanceRow) -> tuple[None, Write]:
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
            return None, Write(
                status=row.status if others else "running",
                state=row.state,
                variables=row.variables,
                waiting_at=row.waiting_at,
                history=note_rows(row, [note], at),
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
        lease = self.lease()
        if incident.kind in {"failed_delivery", "failed_call_return"}:
            tx.update_delivery(
                incident.job_id,
                status="pending",
                due_at=at,
                lease_owner=lease.owner,
                lease_until=lease.until,
            )
            return
        tx.release_timer(incident.job_id)  # a failed timer fires again when due
        tx.update_job(
            incident.job_id,
            status="pending",
            retries_left=1,
            due_at=at,
            lease_owner=lease.owner,
            lease_until=lease.until,
        )

    def lease(self) -> Lease:
        """A lease for this host from now (what it writes to deliver at once)."""
        until = self.clock.now() + timedelta(seconds=self.config.job_lease_seconds)
        return Lease(self.owner, iso(until))

    def _load(self, instance_id: str) -> InstanceRow:
        row = self.store.get_instance(instance_id)
        if row is None:
            raise InstanceNotFoundError(instance_id)
        if row.status in {"completed", "cancelled"}:
            raise ProcessError(
                f"instance '{instance_id}' has {row.status}; it cannot take further steps",
                instance_id=instance_id,
            )
        return row

    def _apply(
        self,
        instance_id: str,
        change: Callable[[InstanceRow], tuple[T, Write]],
        *,
        first: InstanceRow | None = None,
    ) -> tuple[T, InstanceRow]:
        """The one step path: load, change, save with the revision check; retry lost races."""
        for _attempt in range(self.config.max_conflict_retries):
            row = first if first is not None else self._load(instance_id)
            first = None
            with self.bounded(row.variables):
                result, write = change(row)
            prepared = self._prepare(row, write)
            try:
                thrown = self.store.run_transaction(prepared.body)
            except InstanceConflictError:
                continue
            return result, self.after_commit(prepared, thrown)
        raise InstanceConflictError(instance_id, -1)

    def _engine_write(
        self, row: InstanceRow, instance: EngineInstance, host: StepHost, notes: Sequence[Note]
    ) -> Write:
        """What a step of the engine writes: its state, waits, jobs, incidents and history.

        With it go the children its call activities start and the children of the call
        activities it cancelled; a called instance hands its end or what it threw back.
        """
        snapshot = instance.snapshot()
        now = self.clock.now()
        at = iso(now)
        variables_json = encode_variables(snapshot.variables)
        ended = snapshot.status == "completed"
        outside = [w for w in snapshot.jobs if self.is_external(w)]
        inline = [w for w in snapshot.jobs if not self.is_external(w)]
        failures = {task: f.message for task, f in host.failures.items()}
        final = {task for task, f in host.failures.items() if not f.retryable}
        jobs, incidents = job_rows(
            row, inline, failures, host.parked, self.retry_delays, now, final
        )
        definition = self.repository.definition(row.definition_id) if outside else None
        external = external_task_rows(row, outside, at, definition)
        if ended:
            status = "completed"
        else:
            status = "incident" if self._has_open_incidents(row, incidents) else "running"
        write = Write(
            status=status,
            state=snapshot.state,
            variables=snapshot.variables,
            waiting_at=snapshot.waiting_at,
            ended_at=at if ended else None,
            waits=None if ended else step_waits(row, snapshot, jobs, at, external),
            incidents=incidents,
            history=history_rows(
                row,
                snapshot,
                notes,
                at,
                variables_size=len(variables_json),
                record_values=self.config.record_variable_values,
                secret=self.config.secret_variables,
            ),
            outbox=snapshot.outbox,
            variables_json=variables_json,
            returns=self.calls.returns(row, snapshot),
        )
        terminated = snapshot.terminated
        if terminated is not None:
            # A caller caught what this called instance threw, interrupting: it ends here.
            write.status = "cancelled"
            write.end_reason = (
                f"{terminated.kind} '{terminated.code}' was caught by call activity "
                f"'{row.super_activity_id}' of instance {row.super_instance_id}"
            )
            write.history = [h for h in write.history if h.kind != "instance_end"]
            write.history += note_rows(
                row, [Note("instance_cancelled", detail={"reason": write.end_reason})], at
            )
        write.related = [self.calls.start(row, instance, call) for call in snapshot.calls]
        write.related += self.calls.cancel(
            snapshot.cancelled_calls, f"call activity cancelled in the calling instance {row.id}"
        )
        return write

    def _prepare(self, row: InstanceRow, write: Write, *, new: bool = False) -> Prepared:
        """Turn a step's write into one transaction's body, comparing the revisions.

        The instance, its waits, incidents and history are written together, with the
        instances the step starts or cancels (call activities' children), each compared
        with its own revision; an ended instance loses its waits and open incidents. An
        incident of a called instance is repeated on each caller. The body raises
        `InstanceConflictError` if another step saved one of the instances first.
        """
        items = list(tree(row, write))
        items[0] = (row, write, new)
        chains, outside = self.calls.chains(items)
        state_json = dumps(write.state)
        variables_json = write.variables_json or dumps(write.variables)
        write.variables_json = variables_json
        saved = [(saved_row(r, w, is_new), r, w, is_new) for r, w, is_new in items]
        # What the instances threw and the children's ends go to the outbox, in this
        # transaction; their ids are fixed here, so a body run again writes them once.
        at, lease = self.now(), self.lease()
        throws = [t for r, w, _ in items for t in throw_rows(w.outbox, r.id, at)]
        returns = [return_rows(ret, at, lease) for _, w, _ in items for ret in w.returns]

        # A separate function, so the store can repeat it on a new connection when the
        # connection was lost before the commit (the revision check still applies).
        created: list[str] = []

        def body(tx: Tx) -> Thrown:
            created.clear()
            for after, before, current_write, is_new in saved:
                encoded = state_json if current_write is write else None
                write_instance(tx, before, after, current_write, new=is_new, state_json=encoded)
            self.calls.open_chains(tx, chains, outside)
            created.extend(tx.new_external_tasks)
            for throw, delivery in returns:
                write_return(tx, throw, delivery)
            return write_throws(tx, throws, lease)

        handed = [call_return(throw, delivery.id) for throw, delivery in returns]
        return Prepared(row, write, saved[0][0], body, state_json, variables_json, created, handed)

    def after_commit(self, prepared: Prepared, thrown: Thrown) -> InstanceRow:
        """Keep the step's workflow; deliver what its instances threw, children's ends.

        `thrown` is what the step's transaction wrote to the outbox (its body's result).
        Returns the instance as saved, or as it stands after a child's end moved it on.
        """
        self._settle(prepared)
        saved, write = prepared.saved, prepared.write
        related = list(tree(saved, write))
        for current, _, _ in related[1:]:
            self.cache.discard(current.id)  # its kept workflow (if any) is stale now
        if prepared.created and self.on_external_tasks is not None:
            self.on_external_tasks()
        self._deliver(thrown)
        returns = prepared.returns
        if returns and saved.id in self.calls.deliver(returns):
            return self.store.get_instance(saved.id) or saved
        return saved

    def _settle(self, prepared: Prepared) -> None:
        write, saved = prepared.write, prepared.saved
        if write.engine is None or write.ended_at is not None or self.cache.size <= 0:
            self.cache.discard(saved.id)
            return
        kept = KeptWorkflow(write.engine, prepared.state_json, prepared.variables_json)
        self.cache.put(saved.id, saved.revision, write.specs, kept)

    def _has_open_incidents(self, row: InstanceRow, new: list[IncidentRow]) -> bool:
        if new:
            return True
        if row.status != "incident":
            return False  # incidents are only opened together with that status
        return bool(self.store.incidents(instance_id=row.id, open_only=True))

    def retry_delays(self, cycle: str | None) -> list[timedelta]:
        """Delays between attempts for a retry cycle (the default when None)."""
        text = cycle or self.config.default_retry_cycle
        durations = self._retry_cycles.get(text)
        if durations is None:
            try:
                durations = parse_retry_cycle(text)
            except MlcError:
                durations = parse_retry_cycle(self.config.default_retry_cycle)
            self._retry_cycles[text] = durations  # a few distinct texts per deployment
        now = self.clock.now()
        return [d.add_to(now) - now for d in durations]

    def is_external(self, wait: JobWait) -> bool:
        """Whether a waiting task is left to outside workers (no delegate serves its topic)."""
        return wait.topic is not None and self.registry.resolve(wait.candidates) is None

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
