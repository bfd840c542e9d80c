"""`LifecycleManager`: the one object a host application embeds."""

from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

from modelop_mlc._engine.instance import EngineInstance, UserTaskWait
from modelop_mlc.center.local import LocalCenter
from modelop_mlc.clock import Clock, SystemClock
from modelop_mlc.config import ManagerConfig
from modelop_mlc.errors import (
    ConfigurationError,
    DefinitionNotFoundError,
    DiagramError,
    IncidentNotFoundError,
    InstanceNotFoundError,
    ProblemReport,
    ProcessError,
)
from modelop_mlc.handlers import register_modelop_delegates
from modelop_mlc.manager._convert import (
    instance_record,
)
from modelop_mlc.manager._events import EventRouter
from modelop_mlc.manager._external import INCIDENT_KIND, ExternalTaskMethods, ExternalTasks
from modelop_mlc.manager._jobs import JobExecutor
from modelop_mlc.manager._listings import Listings
from modelop_mlc.manager._purge import purge
from modelop_mlc.manager._repository import Repository, RepositoryDecisions, Source
from modelop_mlc.manager._runtime import Runtime, Services
from modelop_mlc.manager._tasks import TaskMethods
from modelop_mlc.manager._unheard import warn_unheard
from modelop_mlc.manager._worker import Worker
from modelop_mlc.models import (
    Deployment,
    MessageResult,
    ProcessDefinition,
    ProcessInstance,
    PurgeResult,
    SignalResult,
)
from modelop_mlc.ports import ModelOpCenter, PendingJobs
from modelop_mlc.registry import Delegate, DelegateRegistry, check_json
from modelop_mlc.store import Durability, SqlStore, open_store
from modelop_mlc.store.rows import iso
from modelop_mlc.tickets import Tickets, jira_webhook_wake_key, servicenow_event_wake_key

__all__ = ["LifecycleManager"]

log = logging.getLogger("modelop_mlc")
F = TypeVar("F", bound=Callable[..., Any])


class LifecycleManager(ExternalTaskMethods, TaskMethods, Listings):
    """Deploys MLC processes and runs their instances durably.

    Args:
        store: Where everything is kept (`SqliteStore`, `PostgresStore`).
        clock: Where time comes from; `SystemClock()` by default, a `ManualClock` in tests.
        config: Runtime settings.
        registry: The delegates; a new empty registry by default.
        center: The ModelOp Center delegates talk to (`LocalCenter` by default once the
            ModelOp handlers are registered).
        tickets: The ticket systems delegates talk to (`Tickets`); the embedded board
            (`LocalTickets` in this database) by default, which Jira and ServiceNow delegates
            also use when those systems are not configured.

    Example:
        >>> manager = LifecycleManager.open(tmp_path / "mlc.db")  # doctest: +SKIP
        >>> manager.deploy("bpmn/deploy_with_test_and_jira.bpmn")  # doctest: +SKIP
    """

    def __init__(
        self,
        store: SqlStore,
        *,
        clock: Clock | None = None,
        config: ManagerConfig | None = None,
        registry: DelegateRegistry | None = None,
        center: ModelOpCenter | None = None,
        tickets: Tickets | None = None,
        migrate: bool = True,
        modelop_delegates: bool = True,
    ) -> None:
        """Create a manager over an opened store (see `open()` for the usual way)."""
        self._store = store
        self.clock: Clock = clock or SystemClock()
        self.config = config or ManagerConfig()
        self.registry = registry or DelegateRegistry()
        try:
            store.migrate(upgrade=migrate)
        except BaseException:
            store.close()  # a refused store is not used: keep no connection open for it
            raise
        if center is None:
            center = LocalCenter(
                store,
                self.clock,
                on_event=self._center_event,
                data_roots=self.config.data_roots or [Path.cwd()],
            )
        self.center: ModelOpCenter = center
        if modelop_delegates:  # after the center: what it cannot do is refused at deploy
            register_modelop_delegates(self.registry, center)
        if callable(bind := getattr(center, "bind", None)):  # MlflowCenter keeps state here
            bind(store, self.clock, on_event=self._center_event)
        tickets = tickets if tickets is not None else Tickets()
        tickets.bind(store, self.clock, on_change=self.wake)
        self.tickets: Tickets = tickets
        self._repository = Repository(store, self.clock, self.registry)
        self._services = Services(
            center=center, tickets=tickets, decisions=RepositoryDecisions(self._repository)
        )
        self._runtime = Runtime(
            store, self.clock, self._repository, self.registry, self.config, self._services
        )
        self._events = EventRouter(self._runtime, store, self.config)
        self._external = ExternalTasks(self._runtime)
        self.worker_id = self.config.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._runtime.owner = self.worker_id
        self._jobs = JobExecutor(self._runtime, self.worker_id)
        self._jobs.deliver = self._events.deliver_claimed
        self._worker = Worker(
            self._jobs,
            store,
            self.worker_id,
            center.run_pending_jobs if isinstance(center, PendingJobs) else None,
        )

    @property
    def store(self) -> SqlStore:
        """The store this manager keeps everything in (read it; write through the manager)."""
        return self._store

    @classmethod
    def open(
        cls,
        url: str | Path = "mlc.db",
        *,
        clock: Clock | None = None,
        config: ManagerConfig | None = None,
        registry: DelegateRegistry | None = None,
        center: ModelOpCenter | None = None,
        tickets: Tickets | None = None,
        migrate: bool = True,
        modelop_delegates: bool = True,
        create: bool = True,
        durability: Durability | None = None,
    ) -> LifecycleManager:
        """Open the database at `url` (creating it unless `create` is False); return a manager.

        `url` is a file path, `sqlite:///path` or `postgresql://user:pass@host/db`. Tools that
        only read should pass `create=False`: a mistyped path is then refused instead of
        becoming a new, empty database. `durability`: SQLite's, see `modelop_mlc.store.Durability`.

        Raises:
            ConfigurationError: If the URL is not understood, or PostgreSQL gets `durability`.
            modelop_mlc.errors.DatabaseNotFoundError: If the SQLite file does not exist and
                `create` is False.
            modelop_mlc.errors.StoreError: If the database cannot be opened.
        """
        return cls(
            open_store(str(url), create=create, durability=durability),
            clock=clock,
            config=config,
            registry=registry,
            center=center,
            tickets=tickets,
            migrate=migrate,
            modelop_delegates=modelop_delegates,
        )

    def close(self) -> None:
        """Release the database connections and the script sandbox."""
        self._runtime.close()
        self._store.close()

    def __enter__(self) -> Self:
        """Use the manager as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the manager."""
        self.close()

    def __repr__(self) -> str:
        """Describe the manager."""
        return f"LifecycleManager({self._store.url!r}, clock={self.clock!r})"

    # ------------------------------------------------------------------ delegates

    def delegate(
        self, name: str, *, asynchronous: bool = False, aliases: Sequence[str] = ()
    ) -> Callable[[F], F]:
        """Register the decorated function as a delegate.

        Example:
            >>> @manager.delegate("DeployModel")  # doctest: +SKIP
            ... def deploy_model(ctx): return {"DEPLOYED_MODEL": ...}
        """

        def decorate(function: F) -> F:
            self.registry.register(name, function, asynchronous=asynchronous, aliases=aliases)
            return function

        return decorate

    def register_delegate(
        self,
        name: str,
        function: Delegate | Callable[..., Any],
        *,
        asynchronous: bool = False,
        aliases: Sequence[str] = (),
        replace: bool = False,
    ) -> None:
        """Register a delegate under `name`.

        Raises:
            ConfigurationError: If the name is already taken (and `replace` is False).
        """
        self.registry.register(
            name, function, asynchronous=asynchronous, aliases=aliases, replace=replace
        )

    # ------------------------------------------------------------------ repository

    def deploy(
        self,
        *sources: Source,
        name: str | None = None,
        applies_to: Mapping[str, Any] | None = None,
        source: str | None = None,
        tenant_id: str | None = None,
        duplicate_filtering: bool = True,
        check_delegates: bool = True,
    ) -> Deployment:
        """Validate and deploy BPMN and DMN files (paths, XML text or `(name, bytes)` pairs).

        Changed processes get a new version; unchanged files are filtered (no new version).
        Nothing is stored if any file has a problem.

        Args:
            sources: The files.
            name: The deployment name.
            applies_to: Which models the processes' signal start events apply to, e.g.
                `{"type": ["PYTHON3"], "group": ["risk"]}`; overrides the processes'
                `mlc.appliesTo.*` properties. None: as declared, else every model.
            source: Who deployed (e.g. "Camunda Modeler").
            tenant_id: Recorded with the deployment.
            duplicate_filtering: Skip files identical to the latest version.
            check_delegates: Refuse service tasks whose delegate is not registered.

        Raises:
            DiagramError: Listing every problem of every file.
        """
        deployment = self._repository.deploy(
            list(sources),
            name=name,
            applies_to=applies_to,
            source_label=source,
            tenant_id=tenant_id,
            duplicate_filtering=duplicate_filtering,
            check_delegates=check_delegates,
        )
        log.info("deployed %s", ", ".join(f"{d.key} v{d.version}" for d in deployment.definitions))
        return deployment

    def validate(self, *sources: Source, check_delegates: bool = True) -> None:
        """Check files as `deploy` would, without storing anything.

        Raises:
            DiagramError: Listing every problem.
        """
        self._repository.validate(list(sources), check_delegates=check_delegates)

    def definitions(
        self, key: str | None = None, *, latest_only: bool = False
    ) -> list[ProcessDefinition]:
        """List deployed process definitions (every version, or only the latest)."""
        rows = self._store.list_definitions(key=key, latest_only=latest_only)
        return [self._repository.record(r) for r in rows]

    def definition(self, key: str, version: int | None = None) -> ProcessDefinition:
        """Return one definition version (the latest by default).

        Raises:
            DefinitionNotFoundError: If there is no such key or version.
        """
        if version is None:
            return self._repository.record(self._repository.latest(key))
        row = self._store.definition_version(key, version)
        if row is None:
            raise DefinitionNotFoundError(f"{key} version {version}", self._store.definition_keys())
        return self._repository.record(row)

    def definition_by_id(self, definition_id: str) -> ProcessDefinition:
        """Return a definition version by its id.

        Raises:
            DefinitionNotFoundError: If the id is unknown.
        """
        row = self._store.get_definition(definition_id)
        if row is None:
            raise DefinitionNotFoundError(definition_id, self._store.definition_keys())
        return self._repository.record(row)

    def deployments(self) -> list[dict[str, Any]]:
        """List deployments, oldest first: id, name, source, tenant_id, deployed_at."""
        return [
            {
                "id": d.id,
                "name": d.name,
                "source": d.source,
                "tenant_id": d.tenant_id,
                "deployed_at": datetime.fromisoformat(d.deployed_at),
            }
            for d in self._store.list_deployments()
        ]

    def definition_xml(self, definition_id: str) -> str:
        """Return the BPMN XML a definition was deployed from.

        Raises:
            DefinitionNotFoundError: If the id is unknown.
        """
        row = self._store.get_definition(definition_id)
        if row is None:
            raise DefinitionNotFoundError(definition_id, self._store.definition_keys())
        return self._store.resource(row.resource_id).content

    # ------------------------------------------------------------------ starting

    def start(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        start_event: str | None = None,
        version: int | None = None,
    ) -> ProcessInstance:
        """Start an instance of the latest version of `key` (or of `version`).

        Args:
            key: The process id.
            variables: Initial process variables (JSON values).
            business_key: A key of yours (e.g. a snapshot id) for messages and look-ups.
            start_event: The start event to begin at; by default the none start event, or the
                only start event when there is just one.
            version: A specific definition version.

        Raises:
            DefinitionNotFoundError: Listing the deployed keys.
            VariableError: If a variable is not JSON.
            ProcessError: If the start event is ambiguous or the engine fails.
        """
        values = check_json(variables)
        row = (
            self._repository.latest(key)
            if version is None
            else self._store.definition_version(key, version)
        )
        if row is None:
            raise DefinitionNotFoundError(f"{key} version {version}", self._store.definition_keys())
        event = self._choose_start(row.info.get("start_events", []), start_event, key)
        saved = self._runtime.create(row, event, values, business_key, origin="start")
        return instance_record(saved)

    def _choose_start(self, starts: list[dict[str, Any]], wanted: str | None, key: str) -> str:
        ids = [s["id"] for s in starts]
        if wanted is not None:
            if wanted not in ids:
                raise ProcessError(
                    f"process '{key}' has no start event '{wanted}'; its start "
                    f"events: {', '.join(ids)}"
                )
            return wanted
        none_starts = [s["id"] for s in starts if s["kind"] == "none"]
        if len(none_starts) == 1:
            return str(none_starts[0])
        if len(ids) == 1:
            return str(ids[0])
        raise ProcessError(
            f"process '{key}' has several start events ({', '.join(ids)}); pass "
            "start_event= to choose one"
        )

    # ------------------------------------------------------------------ signals & messages

    def signal(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> SignalResult:
        """Broadcast a signal: start matching processes and wake every instance waiting for it.

        A signal nobody waits for is not an error (Camunda's semantics): the result is empty,
        and a warning names the deployed signals it was probably meant to be. Its receivers
        are recorded before any is delivered; a worker delivers those a crash leaves out. A
        failing receiver gets an incident (`SignalResult.failed`), not you. A second call with
        the same `idempotency_key` starts nothing new (it delivers what the first left over).

        Raises:
            VariableError: If a variable is not JSON.
        """
        values = check_json(variables)
        result = self._events.signal(name, values, idempotency_key=idempotency_key)
        if not (result.started or result.delivered or result.failed or result.duplicate):
            warn_unheard("signal", name, self._store.event_names("signal"))
        return result

    @overload
    def message(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
        instance_id: str | None = None,
    ) -> MessageResult: ...

    @overload
    def message(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
        instance_id: str | None = None,
        all: Literal[True],
    ) -> list[MessageResult]: ...

    @overload
    def message(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
        instance_id: str | None = None,
        all: bool,
    ) -> MessageResult | list[MessageResult]: ...

    def message(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
        instance_id: str | None = None,
        all: bool | None = None,  # noqa: A002 - the deprecated spelling
    ) -> MessageResult | list[MessageResult]:
        """Correlate a message to exactly one waiting instance or message start event.

        Args:
            name: The message name.
            variables: Variables to set on the receiving instance.
            business_key: Only instances with this business key (a started instance gets it).
            correlation_keys: Only instances whose variables have these values.
            instance_id: Only this instance (Camunda's `processInstanceId`).
            all: Deprecated: `all=True` is `message_all()`.

        Raises:
            CorrelationError: If nothing matches, or several do (see `message_all()`).
            VariableError: If a variable is not JSON.
        """
        if all is not None:
            warnings.warn(
                "message(..., all=...) is deprecated; call message_all() to deliver to every "
                "receiver, message() for exactly one",
                DeprecationWarning,
                stacklevel=2,
            )
        values = check_json(variables)
        keys = check_json(correlation_keys, where="correlation_keys")
        every = bool(all)
        results = self._events.message(
            name, values, business_key=business_key, keys=keys, every=every, instance_id=instance_id
        )
        return results if all else results[0]

    def message_all(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        business_key: str | None = None,
        correlation_keys: Mapping[str, Any] | None = None,
        instance_id: str | None = None,
    ) -> list[MessageResult]:
        """Correlate a message to every matching waiting instance and message start event.

        Args:
            name: The message name.
            variables: Variables to set on the receiving instances.
            business_key: Only instances with this business key (a started instance gets it).
            correlation_keys: Only instances whose variables have these values.
            instance_id: Only this instance.

        Raises:
            CorrelationError: If nothing matches.
            VariableError: If a variable is not JSON.
        """
        values = check_json(variables)
        keys = check_json(correlation_keys, where="correlation_keys")
        return self._events.message(
            name, values, business_key=business_key, keys=keys, every=True, instance_id=instance_id
        )

    # ------------------------------------------------------------------ user tasks

    # ------------------------------------------------------------------ time

    def run_due(self, limit: int | None = None) -> int:
        """Fire due timers, run due jobs and queued center jobs, now per the clock.

        Returns how many timers and jobs ran. Work that becomes due while this runs (a job
        finishing wakes a waiting delegate) is done in the same call.
        """
        return self._worker.run_due(limit)

    def _center_event(self, signal_name: str, variables: dict[str, Any]) -> None:
        """Broadcast what LocalCenter reports and wake delegates waiting for that job."""
        job = variables.get("JOB")
        if isinstance(job, dict) and job.get("id"):
            self.wake(f"job:{job['id']}")
        # The center reports every change; one no process listens for is no mistake.
        self._events.signal(signal_name, check_json(variables))

    def run_worker(
        self,
        stop_event: threading.Event | None = None,
        *,
        poll_interval: float = 1.0,
        batch: int = 50,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> int:
        """Run due timers and jobs until `stop_event` is set; return how many ran.

        Several workers (threads, processes or hosts on one PostgreSQL database) share the work:
        each claims due timers and jobs with a lease, so none runs twice. `on_progress(ran,
        total)` is called after each round that did something.
        """
        return self._worker.run(
            stop_event, poll_interval=poll_interval, batch=batch, on_progress=on_progress
        )

    def wake(self, key: str) -> int:
        """Make delegates parked with `Pending(wake_on=key)` run at the next `run_due()`."""
        with self._store.transaction() as tx:
            return tx.wake_jobs(key, iso(self.clock.now()))

    def handle_jira_webhook(self, payload: Mapping[str, Any]) -> int:
        """Wake delegates waiting on the issue a Jira webhook is about; return how many.

        Point a Jira webhook (event `jira:issue_updated`) at an endpoint of your service that
        passes the JSON body here; `WaitForTicketStatus` then looks at the issue at the next
        `run_due()` instead of at its next poll.
        """
        key = jira_webhook_wake_key(payload)
        return self.wake(key) if key else 0

    def handle_servicenow_event(self, payload: Mapping[str, Any]) -> int:
        """Wake delegates waiting on the record a ServiceNow event is about; return how many.

        Send the record from a business rule or outbound REST message (a JSON body with the
        record's `number`, or `{"result": {...}}`); see docs/tickets.md.
        """
        key = servicenow_event_wake_key(payload)
        return self.wake(key) if key else 0

    def next_due(self) -> datetime | None:
        """When the next timer or job is due, if any."""
        text = self._store.next_due()
        return datetime.fromisoformat(text) if text else None

    # ------------------------------------------------------------------ reading

    def instance(self, instance_id: str) -> ProcessInstance:
        """Return an instance.

        Raises:
            InstanceNotFoundError: If the id is unknown.
        """
        row = self._store.get_instance(instance_id)
        if row is None:
            raise InstanceNotFoundError(instance_id)
        return instance_record(row)

    def variables(self, instance_id: str) -> dict[str, Any]:
        """Return an instance's process variables.

        Raises:
            InstanceNotFoundError: If the id is unknown.
        """
        return dict(self.instance(instance_id).variables)

    def set_variables(self, instance_id: str, variables: Mapping[str, Any]) -> ProcessInstance:
        """Set process variables on a running instance (history records the change).

        Raises:
            InstanceNotFoundError: If the id is unknown.
            VariableError: If a value is not JSON.
        """
        values = check_json(variables)

        def apply(inst: EngineInstance) -> None:
            inst.set_variables(values)

        self._runtime.step(instance_id, apply)
        return self.instance(instance_id)

    def render(self, instance_id: str) -> str:
        """Draw an instance's diagram as SVG text, marked with where it stands.

        Shapes come from the diagram's BPMN DI (an automatic layout without it). Activities
        it waits at are `active` (open user tasks name their group, timers their due time),
        open incidents `incident`, and what ran `taken`, with counts on loops.

        Raises:
            InstanceNotFoundError: If the id is unknown.
        """
        from modelop_mlc.manager._render import render_instance  # noqa: PLC0415 - on demand

        instance = self.instance(instance_id)
        return render_instance(
            self.definition_xml(instance.definition_id),
            instance,
            self.history(instance_id, limit=None),
            incidents=self.incidents(instance_id=instance_id, limit=None),
            tasks=self.tasks(instance_id=instance_id, limit=None),
            timers=self._store.timers(instance_id),
        )

    def retry(self, incident_id: str) -> ProcessInstance:
        """Resolve an incident by running its failed job or delivery again (with one retry).

        It is leased to this host as the incident closes, so no worker runs it too.

        Raises:
            IncidentNotFoundError: If no open incident has this id.
            ProcessError: If the incident was a process start that failed again.
        """
        rows = self._store.incidents(incident_id=incident_id, open_only=True)
        if not rows:
            raise IncidentNotFoundError(incident_id)
        incident = rows[0]
        if root := self._runtime.calls.open_root_cause(incident):
            self.retry(root)  # resolving the called instance's incident resolves this one
            return self.instance(incident.instance_id)
        if incident.kind == INCIDENT_KIND and incident.job_id is not None:
            self._external.set_retries(incident.job_id, 1)
            return self.instance(incident.instance_id)
        if incident.kind == "failed_delivery":
            instance_id = self._events.retry(incident)
            if instance_id is None:  # the start failed again: a new incident says why
                raise ProcessError(f"retrying incident '{incident_id}' started no instance")
            return self.instance(instance_id)
        saved = self._runtime.resolve_incident(incident)
        if incident.kind == "failed_call_return":
            self._runtime.calls.retry_return(incident)
        elif incident.job_id is not None and (job := self._store.get_job(incident.job_id)):
            self._jobs.run_leased(job)
        return self.instance(saved.id)

    def cancel(
        self, instance_id: str, reason: str | None = None, *, skip_subprocesses: bool = False
    ) -> ProcessInstance:
        """Cancel an instance and what it called (kept with Camunda's `skip_subprocesses`).

        Raises:
            InstanceNotFoundError: If the id is unknown.
            ProcessError: If it already ended.
        """
        row = self._store.get_instance(instance_id)
        if row is None:
            raise InstanceNotFoundError(instance_id)
        if row.status in {"completed", "cancelled"}:
            raise ProcessError(
                f"instance '{instance_id}' has already {row.status}", instance_id=instance_id
            )
        self._runtime.cancel(instance_id, reason, skip_subprocesses=skip_subprocesses)
        return self.instance(instance_id)

    def purge(
        self,
        before: datetime | None = None,
        *,
        key: str | None = None,
        archive: str | Path | None = None,
        batch: int = 500,
        dry_run: bool = False,
    ) -> PurgeResult:
        """Remove ended instances with their history and incidents, by age (history cleanup).

        An ended instance goes once its definition's `camunda:historyTimeToLive` (days) has
        passed since it ended. With `before`, instances of definitions without a time to
        live that ended before it go too; no instance goes before its time to live is up.
        Running instances always stay. The KPIs keep each removed instance's share.

        Args:
            before: Also remove instances (of definitions without a time to live) that
                ended before this time (timezone-aware).
            key: Only instances of this process.
            archive: Append each removed instance, its history and incidents to this JSON
                Lines file first.
            batch: Instances removed per transaction.
            dry_run: Count what would go; remove nothing.

        Raises:
            ConfigurationError: If `before` has no time zone or `batch` is below 1.
        """
        return purge(
            self._store,
            self.clock,
            before=before,
            key=key,
            archive=archive,
            batch=batch,
            dry_run=dry_run,
        )


__all__ += ["ConfigurationError", "DiagramError", "ProblemReport", "UserTaskWait"]
