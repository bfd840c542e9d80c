"""Delegate service tasks (class, expression, external, connector) and business rule tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    ServiceTaskMixin,
)
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.events import MlcErrorEvent, MlcEscalationEvent
from modelop_mlc._engine.host import DelegateCall, DelegateOutcome, JournalKind
from modelop_mlc._engine.scope import LOCALS, set_local, set_variable, visible_variables
from modelop_mlc._engine.specs._activity import (
    _FACTS_KEY,
    JOB_KEY,
    MlcActivityMixin,
    _engine,
    _journal,
)
from modelop_mlc._engine.specs._mappings import Param, evaluate_value, text_or_none
from modelop_mlc.errors import BpmnError, ExpressionError


class MlcServiceTask(MlcActivityMixin, ServiceTaskMixin, BpmnSpecMixin):
    """A service task that runs a delegate.

    The delegate is named by `camunda:class`, `delegateExpression`, `expression`, an external
    topic or a `camunda:connector`; send tasks and business rule tasks with a delegate use it too.
    """

    impl_kind: str | None = None
    impl: str | None = None
    candidates: tuple[str, ...] = ()
    bean_call: bool = False
    result_variable: str | None = None
    connector_inputs: tuple[Param, ...] = ()
    connector_outputs: tuple[Param, ...] = ()
    task_priority: str | None = None

    def _run_hook(self, my_task: Any) -> Any:
        if self.impl_kind == "expression" and not self._calls_bean(my_task):
            value = _engine(my_task).evaluate(my_task, self.impl)
            if self.result_variable:
                self._store(my_task, self.result_variable, value)
            return True
        return self.invoke(my_task)

    def _calls_bean(self, my_task: Any) -> bool:
        if not self.bean_call or not self.candidates:
            return False
        # A process variable with the bean's name wins, as Camunda's resolver order does.
        return self.candidates[0] not in visible_variables(my_task)

    def delegate_call(self, my_task: Any) -> DelegateCall:
        """Describe the delegate invocation for `my_task`."""
        inputs: dict[str, Any] = dict(my_task.internal_data.get(LOCALS) or {})
        method: str | None = None
        arguments: tuple[Any, ...] = ()
        candidates = self.candidates
        if self.impl_kind == "connector":
            inputs = {p.name: evaluate_value(my_task, p.value) for p in self.connector_inputs}
        elif self.impl_kind == "delegateExpression" and not candidates and self.impl:
            resolved = _engine(my_task).evaluate(my_task, self.impl)
            candidates = (str(resolved),)
        elif self.impl_kind == "expression" and self.bean_call:
            method, arguments = self._capture_bean_call(my_task)
        return DelegateCall(
            reference=self.impl or "",
            kind=self.impl_kind or "",
            candidates=candidates,
            activity_id=self.bpmn_id or "",
            activity_name=self.bpmn_name,
            task_id=str(my_task.id),
            inputs=inputs,
            variables=visible_variables(my_task),
            asynchronous=self.async_before,
            retry_cycle=self.retry_cycle,
            method=method,
            arguments=arguments,
        )

    def _capture_bean_call(self, my_task: Any) -> tuple[str | None, tuple[Any, ...]]:
        recorder = _BeanRecorder()
        _engine(my_task).evaluate(my_task, self.impl, {self.candidates[0]: recorder})
        return recorder.method, tuple(recorder.arguments)

    def invoke(self, my_task: Any) -> Any:
        """Call the delegate through the host; True when done, None when waiting for a job."""
        host = _engine(my_task).host
        call = self.delegate_call(my_task)
        try:
            outcome, variables = host.invoke_delegate(call)
        except BpmnError as err:
            return self.raise_bpmn_error(my_task, err.code, err.message)
        if outcome is DelegateOutcome.DEFERRED:
            job: dict[str, Any] = {"candidates": list(call.candidates)}
            if self.impl_kind == "external":
                job["topic"] = self.impl
                job["priority"] = self._priority(my_task)
            my_task.internal_data[JOB_KEY] = job
            return None
        self.apply_result(my_task, variables)
        return True

    def _priority(self, my_task: Any) -> int:
        """`camunda:taskPriority` of an external task: a whole number or an expression."""
        text = (self.task_priority or "").strip()
        if not text:
            return 0
        value = _engine(my_task).evaluate(my_task, text) if "{" in text else text
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ExpressionError(
                f"camunda:taskPriority of '{self.bpmn_id}' is {value!r}, not a whole number"
            ) from None

    def apply_result(self, my_task: Any, variables: Mapping[str, Any] | None) -> None:
        """Apply a delegate's returned variables (and connector outputs, result variable)."""
        result = dict(variables or {})
        my_task.internal_data.pop(JOB_KEY, None)
        self._record_facts(my_task, result)
        if self.impl_kind == "connector" and self.connector_outputs:
            for name, value in result.items():
                set_local(my_task, name, value)
            values = [(p.name, evaluate_value(my_task, p.value)) for p in self.connector_outputs]
            for name in result:
                (my_task.internal_data.get(LOCALS) or {}).pop(name, None)
            for name, value in values:
                self._store(my_task, name, value)
            return
        if self.result_variable and "result" in result and self.impl_kind == "expression":
            self._store(my_task, self.result_variable, result.pop("result"))
        for name, value in result.items():
            self._store(my_task, name, value)

    def _record_facts(self, my_task: Any, result: Mapping[str, Any]) -> None:
        """Keep the delegate's name and the host's history facts for the end event."""
        names = getattr(_engine(my_task).host, "history_facts", ())
        facts: dict[str, Any] = {"delegate": self.candidates[-1]} if self.candidates else {}
        for name in names:
            value = result.get(name)
            if name in result and (value is None or isinstance(value, bool | int | float | str)):
                facts[name] = value
        if facts:
            my_task.internal_data[_FACTS_KEY] = facts

    def _store(self, my_task: Any, name: str, value: Any) -> None:
        # With output parameters, results stay local and the mappings decide what escapes.
        if self.io_outputs:
            set_local(my_task, name, value)
        else:
            set_variable(my_task, name, value)

    def raise_bpmn_error(self, my_task: Any, code: str, message: str | None) -> None:
        """Throw `code` from this task; uncaught, the branch ends (Camunda's semantics)."""
        throw_bpmn_error(my_task, code, message)


def throw_bpmn_error(my_task: Any, code: str, message: str | None) -> None:
    """Throw BPMN error `code` from a task (a delegate's or a script's `BpmnError`).

    A boundary event or event sub-process catching the code takes over; uncaught, the
    task's branch ends, as in Camunda.
    """
    my_task.internal_data.pop(JOB_KEY, None)
    event = BpmnEvent(
        MlcErrorEvent(code, code),
        payload={"errorCode": code, "errorMessage": message},
        target=my_task.workflow,
    )
    engine = _engine(my_task)
    position = len(engine.journal_entries)
    caught = engine.throw_targeted(my_task, event)
    detail: dict[str, Any] = {"code": code, "message": message}
    if not caught:
        detail["uncaught"] = True
        # The task's state is set after this hook returns; end the branch afterwards.
        engine.deferred.append(lambda: end_branch(my_task))
    _journal(my_task, JournalKind.ERROR_THROWN, **detail)
    # Keep the throw before what the catch caused in history.
    engine.journal_entries.insert(position, engine.journal_entries.pop())


def throw_escalation(my_task: Any, code: str | None) -> None:
    """Throw escalation `code` from a task (a called instance's, at its call activity).

    Uncaught, an escalation is no error: nothing happens.
    """
    event = BpmnEvent(
        MlcEscalationEvent(code or "", code),
        payload={"errorCode": code, "errorMessage": None},
        target=my_task.workflow,
    )
    engine = _engine(my_task)
    position = len(engine.journal_entries)
    engine.throw_targeted(my_task, event)
    _journal(my_task, JournalKind.ESCALATION_THROWN, code=code)
    engine.journal_entries.insert(position, engine.journal_entries.pop())


class _BeanRecorder:
    """Stands in for a delegate bean while a `camunda:expression` is evaluated."""

    def __init__(self) -> None:
        self.method: str | None = None
        self.arguments: list[Any] = []

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        self.method = method
        self.arguments = [a for a in args if not hasattr(a, "juel_invoke")]
        return None

    def juel_property(self, name: str) -> Any:
        raise ExpressionError(f"delegate beans have no properties (reading '{name}')")


def end_branch(task: Any) -> None:
    """End the execution that `task` is on, boundary events included."""
    current = task
    while current.parent is not None and getattr(current.parent.task_spec, "is_mi_body", False):
        current = current.parent
    split = (
        current.parent
        if current.parent is not None and isinstance(current.parent.task_spec, BoundaryEventSplit)
        else None
    )
    targets = list(split.children) if split is not None else [current]
    for target in targets:
        if target.has_state(TaskState.NOT_FINISHED_MASK):
            target.cancel()


class MlcBusinessRuleTask(MlcServiceTask):
    """`bpmn:businessRuleTask` with `camunda:decisionRef` (or a delegate, like a service task)."""

    decision_ref: str | None = None
    decision_binding: str = "latest"
    decision_version: str | None = None
    map_decision_result: str = "resultList"

    def _run_hook(self, my_task: Any) -> Any:
        if self.decision_ref is None:
            return super()._run_hook(my_task)
        ref = evaluate_value(my_task, self.decision_ref)
        value = _engine(my_task).host.evaluate_decision(
            str(ref),
            visible_variables(my_task),
            binding=self.decision_binding,
            version=text_or_none(evaluate_value(my_task, self.decision_version)),
            mapping=self.map_decision_result,
        )
        _journal(my_task, JournalKind.DECISION_EVALUATED, decision=str(ref))
        if self.result_variable:
            self._store(my_task, self.result_variable, value)
        return True
