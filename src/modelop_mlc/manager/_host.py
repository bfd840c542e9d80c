"""The engine's host for one step of one instance: delegates, decisions, scripts, children."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from modelop_mlc._engine.definitions import ProcessSpecs
from modelop_mlc._engine.host import (
    Catcher,
    DelegateCall,
    DelegateOutcome,
    EngineLimits,
    ScriptOutcome,
)
from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc._engine.sandbox import SandboxLimits, ScriptSandbox
from modelop_mlc.clock import Clock
from modelop_mlc.config import ManagerConfig, RedactingFilter, redact
from modelop_mlc.errors import BpmnError, DecisionError, ProcessError
from modelop_mlc.manager._calls import CallActivities
from modelop_mlc.manager._cutoff import DelegateTimeoutError
from modelop_mlc.manager._repository import Repository
from modelop_mlc.registry import DelegateContext, DelegateRegistry, Pending
from modelop_mlc.store.rows import InstanceRow

__all__ = ["HostRuntime", "Opened", "StepHost", "delegate_log", "describe_error"]

log = logging.getLogger("modelop_mlc.runtime")

_CHILD_IDS = uuid.UUID("6f0c3d1e-1d0b-4c52-9a0e-3c6b1f7a2d41")  # namespace of child ids


class HostRuntime(Protocol):
    """What a step's host needs from the runtime (`Runtime`)."""

    clock: Clock
    config: ManagerConfig
    registry: DelegateRegistry
    repository: Repository
    calls: CallActivities

    @property
    def sandbox(self) -> ScriptSandbox:
        """The script sandbox."""
        ...

    @property
    def engine_limits(self) -> EngineLimits:
        """Bounds on each step."""
        ...

    def call_secrets(self, call: DelegateCall) -> tuple[str, ...]:
        """The secret variable values a delegate call sees."""
        ...

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
        ...


@dataclass(frozen=True)
class Opened:
    """An instance's row and engine instance, opened for one step."""

    row: InstanceRow
    instance: EngineInstance
    host: StepHost
    specs: ProcessSpecs


@dataclass
class _Failure:
    message: str
    candidates: tuple[str, ...]
    retryable: bool = True


@dataclass
class StepHost:
    """The `EngineHost` for one step of one instance."""

    runtime: HostRuntime
    instance_id: str
    business_key: str | None
    definition_id: str
    base_revision: int
    failures: dict[str, _Failure] = field(default_factory=dict)
    parked: dict[str, Pending] = field(default_factory=dict)
    super_instance_id: str | None = None
    super_task_id: str | None = None
    # For a child started in its caller's step: how the caller (not yet saved) catches.
    caught: Callable[[str, str | None], Catcher | None] | None = None
    _calls: int = 0
    _children: int = 0

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
    def secret_patterns(self) -> tuple[str, ...]:
        """Variable-name patterns whose values scripts' log lines and errors never show."""
        return self.runtime.config.secret_variables

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
            secrets = self.runtime.call_secrets(call)
            if call.listener is not None:
                # As in Camunda 7, a failing listener fails the step; nothing is saved.
                raise ProcessError(
                    f"the {call.listener} listener {entry.name} of '{call.activity_id}' "
                    f"failed: {describe_error(err, secrets)}",
                    instance_id=self.instance_id,
                    activity_id=call.activity_id,
                ) from err
            if isinstance(err, Pending):
                self.parked[call.task_id] = err
                return DelegateOutcome.DEFERRED, {}
            message = describe_error(err, secrets)
            log.warning("delegate %s failed at %s: %s", entry.name, call.activity_id, message)
            self.failures[call.task_id] = _Failure(
                message,
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

    def child_id(self, activity_id: str) -> str:
        """A child instance id derived from this step.

        A step retried after a lost race starts the same child, whose delegates then see
        the same idempotency keys.
        """
        self._children += 1
        name = f"{self.instance_id}:r{self.base_revision}:{activity_id}:{self._children}"
        return str(uuid.uuid5(_CHILD_IDS, name))

    def caught_above(self, kind: str, code: str | None) -> Catcher | None:
        """How the callers of this instance catch an error or escalation it did not."""
        if self.caught is not None:
            return self.caught(kind, code)
        if self.super_instance_id is None or self.super_task_id is None:
            return None
        return self.runtime.calls.caught_by_callers(
            self.super_instance_id, self.super_task_id, kind, code
        )

    def run_script(
        self, source: str, variables: Mapping[str, Any], *, context: Mapping[str, Any]
    ) -> ScriptOutcome:
        """Run a Python script task in the sandbox."""
        result = self.runtime.sandbox.run(source, variables, context=context)
        return ScriptOutcome(result.variables, result.deleted, result.value)


def describe_error(err: BaseException, secrets: Sequence[str] = ()) -> str:
    """`Type: message` of an exception, for incidents and job errors, without `secrets`."""
    text = redact(str(err).strip(), secrets)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def delegate_log(name: str, secrets: Sequence[str]) -> logging.Logger:
    """The logger a delegate gets: `modelop_mlc.delegate.NAME`, cutting `secrets` out.

    With secrets to hide it is a private child of the named logger (records reach the same
    handlers), so the filter never touches another call's records.
    """
    named = logging.getLogger(f"modelop_mlc.delegate.{name}")
    if not secrets:
        return named
    # Not `getLogger`: a registered logger is shared, and this filter is for one call only.
    private = logging.Logger(named.name)  # noqa: LOG001
    private.parent = named
    private.addFilter(RedactingFilter(secrets))
    return private
