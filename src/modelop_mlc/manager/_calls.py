"""Call activities at run time: child instances started, cancelled and handed back, as Camunda 7.

A call activity's step starts the child in the same transaction (`CallActivities.start`); the
child is a separate instance with its own id, business key, record and history, linked to its
caller (`super_instance_id`, `super_activity_id`, `root_instance_id`). Cancelling the call
activity, or the caller, cancels the child in the caller's transaction. When the child ends,
its end is handed to the caller as a step of the caller (`deliver`): the `camunda:out` mappings
are evaluated in the child and the call activity goes on; an error or escalation the child
threw and its callers catch is thrown at the call activity. An incident in a child is repeated
on each caller's call activity (Camunda's cause and root cause incidents).

The hand-back goes through the outbox: the child's ending transaction writes it as a delivery
to the caller, and the caller's step deletes that delivery in its own transaction. This host
hands it back at once; if it dies in between, a worker does, so the caller moves on once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from modelop_mlc._engine.host import CallRequest, Catcher
from modelop_mlc._engine.instance import EngineInstance, InstanceSnapshot
from modelop_mlc.errors import MlcError, ProcessError
from modelop_mlc.manager._fanout import call_return
from modelop_mlc.manager._repository import Repository
from modelop_mlc.manager._rows import Note, note_rows
from modelop_mlc.manager._step import CallReturn, Related, Write
from modelop_mlc.store import DeliveredElsewhereError, SqlStore, Tx
from modelop_mlc.store.rows import DefinitionRow, IncidentRow, InstanceRow

__all__ = ["CallActivities", "StepRunner", "child_row"]

log = logging.getLogger("modelop_mlc.runtime")

_ENDED = {"completed", "cancelled"}
_BINDINGS = {
    "latest": "its latest version",
    "deployment": "the version deployed with the caller",
    "version": "version {version}",
    "versionTag": "version tag '{version}'",
}


class StepRunner(Protocol):
    """What call activities need from the runtime: new instances, steps, hosts, the clock."""

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
        """Run the first step of a new instance, unsaved."""
        ...

    def step(
        self,
        instance_id: str,
        command: Callable[[EngineInstance], Any],
        *,
        notes: Sequence[Note] = (),
        within: Callable[[Tx], None] | None = None,
    ) -> tuple[Any, InstanceRow]:
        """Apply a command to an instance in one step (`within` writes more in it)."""
        ...

    def restore(self, row: InstanceRow) -> EngineInstance:
        """Load an instance's engine (to read it, not to step it)."""
        ...

    def now(self) -> str:
        """The clock's time as stored."""
        ...

    @property
    def max_call_depth(self) -> int:
        """How deeply call activities may nest."""
        ...


class CallActivities:
    """Starts, cancels and hands back the child instances of call activities."""

    def __init__(self, store: SqlStore, repository: Repository, runner: StepRunner) -> None:
        """Work on `store`, with definitions from `repository`, stepping through `runner`."""
        self._store = store
        self._repository = repository
        self._runner = runner
        self._local = threading.local()

    # ------------------------------------------------------------------ in a caller's step

    def start(self, caller: InstanceRow, instance: EngineInstance, call: CallRequest) -> Related:
        """Start the child a call activity asks for, unsaved (the caller's step saves it).

        Raises:
            ProcessError: If the called process is not deployed (per the binding), has no
                none start event, or its first step fails.
        """
        caller_definition = self._store.get_definition(caller.definition_id)
        assert caller_definition is not None
        called = self._repository.called_definition(
            caller_definition, call.called_element, call.binding, call.version
        )
        where = f"call activity '{call.activity_id}' of instance {caller.id}"
        if called is None:
            wanted = _BINDINGS.get(call.binding, call.binding).format(version=call.version)
            raise ProcessError(
                f"{where} calls process '{call.called_element}' ({wanted}), which is not "
                "deployed; deploy it, or correct calledElement and its binding",
                instance_id=caller.id,
                activity_id=call.activity_id,
            )
        starts = [s["id"] for s in called.info.get("start_events", []) if s["kind"] == "none"]
        if not starts:
            raise ProcessError(
                f"{where} calls process '{called.key}', which has no none start event; a call "
                "activity starts the called process there (Camunda 7 too)",
                instance_id=caller.id,
                activity_id=call.activity_id,
            )
        self._check_depth(caller, call, called.key)
        starting = self._starting()
        starting[caller.id] = caller
        try:
            row, write = self._runner.new_instance(
                called,
                starts[0],
                dict(call.variables),
                call.business_key,
                origin="call_activity",
                detail={"super_instance_id": caller.id, "call_activity": call.activity_id},
                caller=(caller, instance, call),
            )
        except MlcError as err:
            err.add_note(f"while starting process '{called.key}' from the {where}")
            raise
        finally:
            starting.pop(caller.id, None)
        return Related(row, write, new=True)

    def _check_depth(self, caller: InstanceRow, call: CallRequest, called_key: str) -> None:
        """Refuse a child nested deeper than `max_call_depth` (a process calling itself).

        The chain is walked upwards through the callers being started in this step (not
        saved yet), then through the store: a loop, not recursion.
        """
        starting = self._starting()
        keys = [called_key]
        current: InstanceRow | None = caller
        while current is not None:
            keys.append(current.key)
            parent = current.super_instance_id
            current = None
            if parent is not None:
                current = starting.get(parent) or self._store.get_instance(parent)
        depth, limit = len(keys) - 1, self._runner.max_call_depth
        if depth > limit:
            chain = " -> ".join(reversed(keys))
            raise ProcessError(
                f"call activity '{call.activity_id}' would nest {depth} call activities deep "
                f"(at most {limit}): {chain[:300]}. A process that calls itself needs an end "
                "condition; raise ManagerConfig.max_call_depth if the nesting is intended",
                instance_id=caller.id,
                activity_id=call.activity_id,
            )

    def _starting(self) -> dict[str, InstanceRow]:
        """Per thread: the callers of children being started (unsaved), by id."""
        found: dict[str, InstanceRow] | None = getattr(self._local, "starting", None)
        if found is None:
            found = self._local.starting = {}
        return found

    def cancel(self, child_ids: Sequence[str], reason: str) -> list[Related]:
        """End running children (and their children) as cancelled, in the caller's step."""
        related = []
        at = self._runner.now()
        for child_id in child_ids:
            row = self._store.get_instance(child_id)
            if row is None or row.status in _ENDED:
                continue
            note = Note("instance_cancelled", detail={"reason": reason})
            write = Write(
                status="cancelled",
                state=row.state,
                variables=row.variables,
                waiting_at=[],
                ended_at=at,
                end_reason=reason,
                history=note_rows(row, [note], at),
                related=self.cancel(self.children(row.id), reason),
            )
            related.append(Related(row, write, new=False))
        return related

    def children(self, instance_id: str) -> list[str]:
        """Ids of the running instances the call activities of an instance started."""
        rows = self._store.list_instances(
            status=None, key=None, business_key=None, limit=None, super_instance_id=instance_id
        )
        return [r.id for r in rows if r.status not in _ENDED]

    @staticmethod
    def returns(row: InstanceRow, snapshot: InstanceSnapshot) -> list[CallReturn]:
        """What a called instance hands its caller after this step: what it threw, its end."""
        if row.super_instance_id is None or row.super_task_id is None:
            return []
        found = [
            CallReturn(row.super_instance_id, row.super_task_id, row.super_activity_id, row.id, p)
            for p in snapshot.propagated
        ]
        if snapshot.status == "completed" and snapshot.terminated is None:
            found.append(
                CallReturn(row.super_instance_id, row.super_task_id, row.super_activity_id, row.id)
            )
        return found

    def caught_by_callers(
        self, caller_id: str, task_id: str, kind: str, code: str | None
    ) -> Catcher | None:
        """How the callers of a child catch an error or escalation it did not catch."""
        caller = self._store.get_instance(caller_id)
        if caller is None or caller.status in _ENDED:
            return None
        return self._runner.restore(caller).catcher_at(task_id, kind, code)

    # ------------------------------------------------------------------ incidents

    def incident_chain(
        self, incident: IncidentRow, rows: Mapping[str, InstanceRow]
    ) -> list[IncidentRow]:
        """The incidents an incident of a called instance opens on each of its callers.

        `rows` are instances already at hand (those of the step being saved); the others
        are read from the store.
        """
        chain: list[IncidentRow] = []
        cause = incident
        current = rows.get(incident.instance_id) or self._store.get_instance(incident.instance_id)
        while current is not None and current.super_instance_id is not None:
            caller_id = current.super_instance_id
            cause = IncidentRow(
                id=str(uuid.uuid4()),
                instance_id=caller_id,
                activity_id=current.super_activity_id,
                job_id=None,
                kind=incident.kind,
                message=f"an incident in called instance {current.id}: {incident.message}",
                created_at=incident.created_at,
                cause_incident_id=cause.id,
                root_cause_incident_id=incident.id,
            )
            chain.append(cause)
            current = rows.get(caller_id) or self._store.get_instance(caller_id)
        return chain

    def chains(
        self, items: Sequence[tuple[InstanceRow, Write, bool]]
    ) -> tuple[list[IncidentRow], list[str]]:
        """The incidents a step's new incidents open on the callers, and callers outside it.

        `items` are the instances the step saves (see `tree`); a caller among them gets the
        status `incident` in its write, the ids of the others are returned to be marked by
        `open_chains` in the step's transaction.
        """
        rows = {r.id: r for r, _, _ in items}
        writes = {r.id: w for r, w, _ in items}
        chains: list[IncidentRow] = []
        for _, write, _ in items:
            for incident in write.incidents:
                chains.extend(self.incident_chain(incident, rows))
        outside = []
        for repeated in chains:
            caller = writes.get(repeated.instance_id)
            if caller is None:
                outside.append(repeated.instance_id)
            elif caller.ended_at is None:
                caller.status = "incident"
        return chains, outside

    def open_chains(self, tx: Tx, chains: Sequence[IncidentRow], outside: Sequence[str]) -> None:
        """Write `chains` in a step's transaction; running callers outside it get `incident`."""
        for repeated in chains:
            tx.insert_incident(repeated)
        for caller_id in outside:
            meta = self._store.instance_meta(caller_id)
            if meta is not None and meta.status == "running":
                tx.set_instance_status(caller_id, "incident")

    def open_root_cause(self, incident: IncidentRow) -> str | None:
        """The open root-cause incident of one repeated on a caller (to retry instead), if any."""
        root = incident.root_cause_incident_id
        if root is None or root == incident.id or not self._store.incidents(incident_id=root):
            return None
        return root

    def open_incident(self, tx: Tx, incident: IncidentRow) -> None:
        """Open an incident and its chain on the callers, whose status becomes `incident`."""
        tx.insert_incident(incident)
        for repeated in self.incident_chain(incident, {}):
            tx.insert_incident(repeated)
            caller = self._store.instance_meta(repeated.instance_id)
            if caller is not None and caller.status == "running":
                tx.set_instance_status(repeated.instance_id, "incident")

    # ------------------------------------------------------------------ after the commit

    def deliver(self, returns: Sequence[CallReturn]) -> set[str]:
        """Hand children's ends to their callers, each as a step of the caller.

        Iterative, so a chain of children that end at once cannot recurse deeply. Returns the
        ids of the callers that took a step (when this call drained the queue).
        """
        state = self._local
        if not hasattr(state, "pending"):
            state.pending = deque()
            state.delivering = False
            state.stepped = set()
        pending: deque[CallReturn] = state.pending
        pending.extend(returns)
        if state.delivering:
            return set()
        state.delivering = True
        try:
            while pending:
                ret = pending.popleft()
                if self._return(ret):
                    state.stepped.add(ret.caller_id)
            stepped: set[str] = state.stepped
            state.stepped = set()
            return stepped
        finally:
            state.delivering = False

    def _return(self, ret: CallReturn) -> bool:
        caller = self._store.get_instance(ret.caller_id)
        child = self._store.get_instance(ret.child_id)
        if caller is None or child is None or caller.status in _ENDED:
            self._drop(ret)
            return False
        if ret.activity_id is not None and ret.activity_id not in caller.waiting_at:
            self._drop(ret)
            return False  # the call activity was left meanwhile (an interrupting event)
        command: Callable[[EngineInstance], Any]
        if ret.propagation is None:
            command = _complete(ret, child, self._runner)
            note = Note("called_instance_ended", ret.activity_id, {"instance": child.id})
        else:
            propagation = ret.propagation
            command = lambda inst: inst.throw_from_call(ret.task_id, ret.child_id, propagation)  # noqa: E731
            note = Note(
                "called_instance_threw",
                ret.activity_id,
                {"instance": child.id, "kind": propagation.kind, "code": propagation.code},
            )
        delivery_id = ret.delivery_id

        def done(tx: Tx) -> None:
            if delivery_id is not None:
                tx.finish_delivery(delivery_id)  # the caller takes the child's end once

        try:
            self._runner.step(ret.caller_id, command, notes=[note], within=done)
        except DeliveredElsewhereError:
            log.debug("the end of %s was handed to %s elsewhere", ret.child_id, ret.caller_id)
            return False
        except MlcError as err:
            self._failed_return(ret, caller, err)
        return True

    def _drop(self, ret: CallReturn) -> None:
        """Forget the delivery of a return its caller can no longer take."""
        delivery_id = ret.delivery_id
        if delivery_id is None:
            return

        def drop(tx: Tx) -> None:
            with contextlib.suppress(DeliveredElsewhereError):
                tx.finish_delivery(delivery_id)

        self._store.run_transaction(drop)

    def _failed_return(self, ret: CallReturn, caller: InstanceRow, err: MlcError) -> None:
        """The caller's step failed (an out mapping, say): an incident at its call activity."""
        at = self._runner.now()
        incident = IncidentRow(
            id=str(uuid.uuid4()),
            instance_id=caller.id,
            activity_id=ret.activity_id,
            job_id=ret.delivery_id or ret.child_id,
            kind="failed_call_return",
            message=(
                f"called instance {ret.child_id} ended but call activity '{ret.activity_id}' "
                f"could not take its result: {err}; fix the cause and call "
                "manager.retry(incident_id)"
            ),
            created_at=at,
        )
        log.warning("instance %s: %s", caller.id, incident.message)

        def body(tx: Tx) -> None:
            if ret.delivery_id is not None:  # kept, failed, until the incident is retried
                tx.update_delivery(
                    ret.delivery_id, status="failed", lease_owner=None, lease_until=None
                )
            self.open_incident(tx, incident)
            tx.set_instance_status(caller.id, "incident")
            tx.append_history(
                note_rows(
                    caller,
                    [Note("incident", ret.activity_id, {"incident": incident.id})],
                    at,
                )
            )

        self._store.run_transaction(body)

    def retry_return(self, incident: IncidentRow) -> None:
        """Hand a child's end to its caller again, after a `failed_call_return` incident."""
        delivery = self._store.get_delivery(incident.job_id or "")
        throw = self._store.get_throw(delivery.throw_id) if delivery is not None else None
        if delivery is not None and throw is not None:
            self.deliver([call_return(throw, delivery.id)])
            return
        child = self._store.get_instance(incident.job_id or "")
        if child is None or child.super_task_id is None or child.super_instance_id is None:
            return
        self.deliver(
            [
                CallReturn(
                    child.super_instance_id,
                    child.super_task_id,
                    child.super_activity_id,
                    child.id,
                )
            ]
        )


def _complete(
    ret: CallReturn, child: InstanceRow, runner: StepRunner
) -> Callable[[EngineInstance], Any]:
    """The caller's command for a child that ended: map its outputs, leave the call activity."""
    loaded: list[EngineInstance] = []

    def evaluate(text: str) -> Any:
        # `sourceExpression` out mappings are evaluated in the child, as in Camunda.
        if not loaded:
            loaded.append(runner.restore(child))
        return loaded[0].evaluate(text)

    def command(instance: EngineInstance) -> bool:
        return instance.complete_call(ret.task_id, ret.child_id, dict(child.variables), evaluate)

    return command


def child_row(
    stub: InstanceRow, caller: tuple[InstanceRow, EngineInstance, CallRequest] | None
) -> InstanceRow:
    """The new instance's row, linked to its caller (a call activity's child)."""
    if caller is None:
        return replace(stub, root_instance_id=stub.id)
    parent, _, call = caller
    return replace(
        stub,
        id=call.child_id,
        super_instance_id=parent.id,
        super_activity_id=call.activity_id,
        super_task_id=call.task_id,
        root_instance_id=parent.root_instance_id or parent.id,
    )
