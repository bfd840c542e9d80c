"""Task specs for the Camunda 7 dialect.

Each BPMN element maps to one of these SpiffWorkflow task-spec subclasses. What they add over
SpiffWorkflow's defaults: `camunda:inputOutput` mappings with local scopes, history journalling,
delegate service tasks, Camunda user-task attributes, business rule tasks with
`mapDecisionResult`, call activities with `camunda:in`/`camunda:out`, exclusive gateways without
a default flow, and start events that can be chosen by the trigger that started the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import (
    BoundaryEventMixin,
    BpmnSpecMixin,
    CallActivityMixin,
    EndEventMixin,
    EventBasedGatewayMixin,
    EventSubprocessMixin,
    ExclusiveGatewayMixin,
    InclusiveGatewayMixin,
    IntermediateCatchEventMixin,
    IntermediateThrowEventMixin,
    ManualTaskMixin,
    NoneTaskMixin,
    ParallelGatewayMixin,
    ParallelMultiInstanceTaskMixin,
    ReceiveTaskMixin,
    ScriptTaskMixin,
    SendTaskMixin,
    SequentialMultiInstanceTaskMixin,
    ServiceTaskMixin,
    StandardLoopTaskMixin,
    StartEventMixin,
    SubWorkflowTaskMixin,
    TransactionSubprocessMixin,
    UserTaskMixin,
)
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine import juel
from modelop_mlc._engine.events import MlcCycleTimer, MlcErrorEvent
from modelop_mlc._engine.host import DelegateCall, DelegateOutcome, JournalEntry, JournalKind
from modelop_mlc._engine.scope import (
    LOCALS,
    process_scope,
    set_local,
    set_variable,
    visible_variables,
)
from modelop_mlc._engine.subprocesses import interrupt_scope
from modelop_mlc.errors import BpmnError, ExpressionError, ProcessError

__all__ = [
    "JOB_KEY",
    "USER_KEY",
    "FormField",
    "Param",
]

JOB_KEY = "mlc_job"
USER_KEY = "mlc_user"
_STARTED_KEY = "mlc_s"
_FACTS_KEY = "mlc_facts"  # the delegate name and history facts, kept until the task ends

# A parameter value: text (literal or `${...}`), a list (`camunda:list`), a map (`camunda:map`)
# or None (an empty parameter).
ParamValue = str | list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Param:
    """One `camunda:inputParameter` / `camunda:outputParameter` (or `camunda:in`/`out`)."""

    name: str
    value: ParamValue


@dataclass(frozen=True)
class FormField:
    """One `camunda:formField` of a user task."""

    id: str
    label: str | None = None
    type: str = "string"
    default_value: str | None = None
    values: tuple[tuple[str, str | None], ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str | None], ...] = ()

    @property
    def required(self) -> bool:
        """Whether a `required` validation constraint is set."""
        return any(name == "required" for name, _ in self.constraints)


def evaluate_value(task: Any, value: ParamValue) -> Any:
    """Evaluate a parameter value (text, list or map) from `task`'s point of view."""
    if value is None:
        return None
    if isinstance(value, list):
        return [evaluate_value(task, item) for item in value]
    if isinstance(value, dict):
        return {key: evaluate_value(task, item) for key, item in value.items()}
    if juel.is_expression(value):
        return task.workflow.script_engine.evaluate(task, value)
    return value


def _engine(task: Any) -> Any:
    return task.workflow.script_engine


def _journal(task: Any, kind: JournalKind, **detail: Any) -> None:
    spec = task.task_spec
    _engine(task).journal(
        task,
        JournalEntry(
            kind,
            spec.bpmn_id or spec.name,
            getattr(spec, "bpmn_name", None),
            getattr(spec, "element_type", None),
            detail=dict(detail),
        ),
    )


def _visible_parent(task: Any) -> Any | None:
    parent = task.parent
    while parent is not None and getattr(parent.task_spec, "bpmn_id", None) is None:
        parent = parent.parent
    return parent


class MlcActivityMixin:
    """Input/output mappings, extension properties and history for every BPMN element."""

    io_inputs: tuple[Param, ...] = ()
    io_outputs: tuple[Param, ...] = ()
    properties: Mapping[str, str] = {}
    element_type: str = "task"
    async_before: bool = False
    retry_cycle: str | None = None
    incoming_flows: Mapping[str, str] = {}

    bpmn_id: str | None
    bpmn_name: str | None

    def _update(self, my_task: Any) -> None:
        if my_task.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE):
            parent = my_task.parent
            if parent is not None and parent.has_state(TaskState.COMPLETED):
                self._journal_flow(my_task)
        super()._update(my_task)  # type: ignore[misc]

    def _journal_flow(self, my_task: Any) -> None:
        source = _visible_parent(my_task)
        if source is None or not self.incoming_flows:
            return
        flow = self.incoming_flows.get(source.task_spec.bpmn_id)
        if flow is not None:
            _engine(my_task).journal(
                my_task,
                JournalEntry(
                    JournalKind.FLOW_TAKEN,
                    flow,
                    None,
                    "sequenceFlow",
                    detail={"source": source.task_spec.bpmn_id, "target": self.bpmn_id},
                ),
            )

    def _predict(
        self,
        my_task: Any,
        seen: list[Any] | None = None,
        looked_ahead: int = 0,
        mask: int = TaskState.PREDICTED_MASK,
    ) -> None:
        # SpiffWorkflow predicts definite (FUTURE) tasks without limit, so a loop with no
        # gateway in it (task -> task -> back) recurses until RecursionError. Stop at the
        # first element seen twice on a path; the rest is predicted when the task is reached.
        seen = [] if seen is None else seen
        if self in seen:
            return
        super()._predict(my_task, [*seen, self], looked_ahead, mask)  # type: ignore[misc]

    def _on_ready_hook(self, my_task: Any) -> None:
        if not my_task._children and getattr(self, "_outputs", None):
            self._predict(my_task, mask=TaskState.DEFINITE_MASK | TaskState.PREDICTED_MASK)
        if self.io_inputs:
            for param in self.io_inputs:
                set_local(my_task, param.name, evaluate_value(my_task, param.value))
        if not my_task.internal_data.pop(_STARTED_KEY, None):
            _journal(my_task, JournalKind.ACTIVITY_START)
        super()._on_ready_hook(my_task)  # type: ignore[misc]

    def _on_complete_hook(self, my_task: Any) -> None:
        if self.io_outputs:
            values = [(p.name, evaluate_value(my_task, p.value)) for p in self.io_outputs]
            my_task.internal_data.pop(LOCALS, None)
            for name, value in values:
                set_variable(my_task, name, value)
        elif self.io_inputs:
            my_task.internal_data.pop(LOCALS, None)
        _journal(my_task, JournalKind.ACTIVITY_END, **my_task.internal_data.pop(_FACTS_KEY, {}))
        super()._on_complete_hook(my_task)  # type: ignore[misc]


class MlcCatchMixin(MlcActivityMixin):
    """Catching events journal their start when they begin to wait, not when they fire."""

    def _update_hook(self, my_task: Any) -> Any:
        was_waiting = my_task.state == TaskState.WAITING
        result = super()._update_hook(my_task)  # type: ignore[misc]
        if not result and not was_waiting and my_task.state == TaskState.WAITING:
            _journal(my_task, JournalKind.ACTIVITY_START)
            my_task.internal_data[_STARTED_KEY] = 1
        return result

    def _predict_hook(self, my_task: Any) -> None:
        definition = getattr(self, "event_definition", None)
        if isinstance(definition, MlcCycleTimer) and not definition._repeats_on(my_task):
            # SpiffWorkflow predicts nothing after a cycle timer (its repeating boundary timers
            # add paths as they fire), but ours fire once outside non-interrupting boundaries,
            # so the event's outputs must be predicted like any other event's.
            my_task._sync_children(self.outputs, TaskState.FUTURE)  # type: ignore[attr-defined]
            return
        super()._predict_hook(my_task)  # type: ignore[misc]


# ------------------------------------------------------------------ tasks


class MlcNoneTask(MlcActivityMixin, NoneTaskMixin, BpmnSpecMixin):
    """`bpmn:task`: does nothing and passes straight through, as in Camunda."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        """Create the spec; unlike SpiffWorkflow's, it does not wait to be completed."""
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class MlcManualTask(MlcActivityMixin, ManualTaskMixin, BpmnSpecMixin):
    """`bpmn:manualTask`: done outside the engine; it passes straight through, as in Camunda."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        """Create the spec; unlike SpiffWorkflow's, it does not wait for a human."""
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class MlcUserTask(MlcActivityMixin, UserTaskMixin, BpmnSpecMixin):
    """`bpmn:userTask` with Camunda's assignee, candidates, due date and form fields."""

    assignee: str | None = None
    candidate_users: str | None = None
    candidate_groups: str | None = None
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: str | None = None
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)
        my_task.internal_data[USER_KEY] = {
            "assignee": _text_or_none(evaluate_value(my_task, self.assignee)),
            "candidate_users": _split_list(evaluate_value(my_task, self.candidate_users)),
            "candidate_groups": _split_list(evaluate_value(my_task, self.candidate_groups)),
            "due": _date_text(evaluate_value(my_task, self.due_date)),
            "follow_up": _date_text(evaluate_value(my_task, self.follow_up_date)),
            "priority": _int_or_none(evaluate_value(my_task, self.priority)),
            "form_key": _text_or_none(evaluate_value(my_task, self.form_key)),
        }


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _date_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


class MlcScriptTask(MlcActivityMixin, ScriptTaskMixin, BpmnSpecMixin):
    """`bpmn:scriptTask`; only `python` runs (in the sandbox), checked at deploy time."""

    script_format: str = "python"
    result_variable: str | None = None


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
            my_task.internal_data[JOB_KEY] = {"candidates": list(call.candidates)}
            return None
        self.apply_result(my_task, variables)
        return True

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
            version=_text_or_none(evaluate_value(my_task, self.decision_version)),
            mapping=self.map_decision_result,
        )
        _journal(my_task, JournalKind.DECISION_EVALUATED, decision=str(ref))
        if self.result_variable:
            self._store(my_task, self.result_variable, value)
        return True


# ------------------------------------------------------------------ sub-processes


class MlcSubProcess(MlcActivityMixin, SubWorkflowTaskMixin, BpmnSpecMixin):
    """An embedded sub-process: it shares the enclosing variable scope."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcTransaction(MlcActivityMixin, TransactionSubprocessMixin, BpmnSpecMixin):
    """A transaction sub-process, run as an embedded sub-process (no compensation)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcEventSubProcess(MlcActivityMixin, EventSubprocessMixin, BpmnSpecMixin):
    """An event sub-process; an interrupting one cancels the rest of its scope when it starts."""

    interrupting: bool = True

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy: the sub-process reads the enclosing scope."""

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Nothing to copy back."""


class MlcCallActivity(MlcActivityMixin, CallActivityMixin, BpmnSpecMixin):
    """A call activity: a separate variable scope, fed by `camunda:in` and read by `camunda:out`."""

    is_call_activity = True
    in_all: bool = False
    out_all: bool = False
    in_mappings: tuple[Param, ...] = ()
    out_mappings: tuple[Param, ...] = ()
    business_key: str | None = None

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        """Start the called process's scope from `camunda:in` mappings only."""
        scope: dict[str, Any] = {}
        if self.in_all:
            scope.update(visible_variables(my_task))
        for param in self.in_mappings:
            scope[param.name] = evaluate_value(my_task, param.value)
        subworkflow.data.clear()
        subworkflow.data.update(scope)

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """Copy variables back per `camunda:out` mappings."""
        child_scope = subworkflow.data
        if self.out_all:
            for name, value in child_scope.items():
                set_variable(my_task, name, value)
        for param in self.out_mappings:
            try:
                value = _evaluate_in(subworkflow, param.value)
            except ExpressionError as err:
                raise _located(err, self.bpmn_id) from err.__cause__
            set_variable(my_task, param.name, value)


def _evaluate_in(subworkflow: Any, value: ParamValue) -> Any:
    """Evaluate an out-mapping against the called process's scope."""
    if isinstance(value, str) and not juel.is_expression(value):
        return subworkflow.data.get(value)
    root = subworkflow.task_tree
    return evaluate_value(root, value)


# ------------------------------------------------------------------ gateways


class MlcExclusiveGateway(MlcActivityMixin, ExclusiveGatewayMixin, BpmnSpecMixin):
    """An exclusive gateway; conditions are tried in XML order, the default flow last."""

    def test(self) -> None:
        """A default flow is optional (SpiffWorkflow requires one)."""

    def _run_hook(self, my_task: Any) -> Any:
        for condition, spec_name in self.cond_task_specs:
            if condition is not None and _truthy(condition._matches(my_task)):
                return self._take(my_task, spec_name)
        if self.default_task_spec is not None:
            return self._take(my_task, self.default_task_spec)
        raise ProcessError(
            f"No outgoing sequence flow of exclusive gateway '{self.bpmn_id}' matched and it "
            "has no default flow; add a default flow or fix the conditions",
            activity_id=self.bpmn_id,
        )

    def _take(self, my_task: Any, spec_name: str) -> bool:
        output = my_task.workflow.spec.get_task_spec_from_name(spec_name)
        my_task._sync_children([output], TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


def _located(err: ExpressionError, activity_id: str | None) -> ExpressionError:
    """Name `activity_id` in an error raised from a step the diagram does not show."""
    if err.activity_id is not None or activity_id is None:
        return err
    return ExpressionError(
        str(err).replace(" at 'None'", f" at '{activity_id}'"),
        expression=err.expression,
        instance_id=err.instance_id,
        activity_id=activity_id,
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


class MlcInclusiveGateway(MlcActivityMixin, InclusiveGatewayMixin, BpmnSpecMixin):
    """An inclusive gateway."""

    def test(self) -> None:
        """A default flow is optional."""

    def _get_matching_outputs(self, my_task: Any) -> tuple[list[Any], list[Any]]:
        matches, defaults = [], []
        for condition, output in self.cond_task_specs:
            spec = my_task.workflow.spec.get_task_spec_from_name(output)
            if condition is None:
                defaults.append(spec)
            elif _truthy(condition._matches(my_task)):
                matches.append(spec)
        if not matches and not defaults:
            raise ProcessError(
                f"No outgoing sequence flow of inclusive gateway '{self.bpmn_id}' matched and "
                "it has no default flow; add a default flow or fix the conditions",
                activity_id=self.bpmn_id,
            )
        return matches, defaults


class MlcParallelGateway(MlcActivityMixin, ParallelGatewayMixin, BpmnSpecMixin):
    """A parallel gateway."""


class MlcEventBasedGateway(MlcCatchMixin, EventBasedGatewayMixin, BpmnSpecMixin):
    """An event-based gateway."""


class MlcConditionalFlows(BpmnTaskSpec):
    """The sequence flows leaving an activity when some carry conditions or one is the default.

    The parser puts this hidden step after the activity. As in Camunda 7, every flow whose
    condition holds or that has none is taken; the default flow only when no other is; and
    with nothing to take, the path ends there.
    """

    def __init__(self, wf_spec: Any, name: str, source_id: str | None, **kwargs: Any) -> None:
        """Create the step for the activity `source_id`."""
        super().__init__(wf_spec, name, **kwargs)
        self.source_id = source_id
        self.flows: list[tuple[str | None, str]] = []
        self.default_output: str | None = None
        self.end_output: str | None = None

    def _connect_once(self, spec: Any) -> None:
        if spec.name not in self._outputs:
            self.connect(spec)

    def add_flow(self, condition: str | None, spec: Any) -> None:
        """Add a flow to `spec`, taken when `condition` holds (None: always)."""
        self.flows.append((condition, spec.name))
        self._connect_once(spec)

    def set_default(self, spec: Any) -> None:
        """Make the flow to `spec` the default flow."""
        self.default_output = spec.name
        self._connect_once(spec)

    def set_end(self, spec: Any) -> None:
        """End the path at `spec` (the process end) when no flow is taken."""
        self.end_output = spec.name
        self._connect_once(spec)

    def _predict_hook(self, my_task: Any) -> None:
        my_task._sync_children(self.outputs, TaskState.MAYBE)

    def _run_hook(self, my_task: Any) -> Any:
        engine = _engine(my_task)
        chosen: list[str] = []
        for condition, name in self.flows:
            try:
                taken = condition is None or _truthy(engine.evaluate(my_task, condition))
            except ExpressionError as err:
                raise _located(err, self.source_id) from err.__cause__
            if taken:
                chosen.append(name)
        if not chosen:
            fallback = self.default_output or self.end_output
            chosen = [fallback] if fallback else []
        spec = my_task.workflow.spec
        my_task._sync_children(
            [spec.get_task_spec_from_name(n) for n in dict.fromkeys(chosen)], TaskState.FUTURE
        )
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


# ------------------------------------------------------------------ events


class MlcStartEvent(MlcCatchMixin, StartEventMixin, BpmnSpecMixin):
    """A start event. In a top-level process, only the start event the manager chose fires."""

    def _update_hook(self, my_task: Any) -> Any:
        workflow = my_task.workflow
        if workflow.parent_task_id is None:
            chosen = workflow.task_tree.internal_data.get("mlc_start")
            if chosen is not None:
                if chosen != self.bpmn_id:
                    return self._stay_dormant(my_task)
                my_task.internal_data["event_fired"] = True
        elif self._called(workflow) and not isinstance(self.event_definition, NoneEventDefinition):
            # A call activity starts the called process at its none start event, as in
            # Camunda; its signal/message/timer start events are for other ways of starting.
            return self._stay_dormant(my_task)
        return super()._update_hook(my_task)

    @staticmethod
    def _called(workflow: Any) -> bool:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        return bool(getattr(parent.task_spec, "is_call_activity", False))

    @staticmethod
    def _stay_dormant(my_task: Any) -> None:
        # Waiting without an event subscription: it never fires, and the start-event join
        # cancels it once the chosen start event completes.
        my_task._set_state(TaskState.WAITING)
        my_task.internal_data["mlc_dormant"] = 1

    def _on_complete_hook(self, my_task: Any) -> None:
        super()._on_complete_hook(my_task)
        workflow = my_task.workflow
        if workflow.parent_task_id is not None:
            parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            spec = parent.task_spec
            if isinstance(spec, MlcEventSubProcess) and spec.interrupting:
                interrupt_scope(parent)


class MlcEndEvent(MlcActivityMixin, EndEventMixin, BpmnSpecMixin):
    """An end event (none, terminate, error, escalation, message, signal)."""


class MlcIntermediateCatchEvent(MlcCatchMixin, IntermediateCatchEventMixin, BpmnSpecMixin):
    """An intermediate catch event (timer, signal, message, conditional)."""


class MlcIntermediateThrowEvent(MlcActivityMixin, IntermediateThrowEventMixin, BpmnSpecMixin):
    """An intermediate throw event (signal, message, escalation, none)."""


class MlcBoundaryEvent(MlcCatchMixin, BoundaryEventMixin, BpmnSpecMixin):
    """A boundary event, interrupting or not."""


class MlcReceiveTask(MlcCatchMixin, ReceiveTaskMixin, BpmnSpecMixin):
    """A receive task: waits for a message."""


class MlcSendTask(MlcActivityMixin, SendTaskMixin, BpmnSpecMixin):
    """A send task without a delegate: throws its message to the manager."""


# ------------------------------------------------------------------ loops


class _MultiInstanceMixin:
    """Camunda multi-instance: `camunda:collection`, `camunda:elementVariable`, loop counters."""

    is_mi_body = True
    collection: str | None = None
    element_variable: str | None = None

    cardinality: Any
    task_spec: str

    def _items(self, my_task: Any) -> list[Any]:
        if self.collection is not None:
            value = evaluate_value(my_task, self.collection)
            if not juel.is_expression(self.collection):
                found = visible_variables(my_task).get(self.collection)
                value = found
            if value is None:
                raise ProcessError(
                    f"multi-instance collection '{self.collection}' of '{my_task.task_spec.name}' "
                    "is not set",
                    activity_id=my_task.task_spec.name,
                )
            if isinstance(value, Mapping):
                return list(value.values())
            if isinstance(value, list | tuple):
                return list(value)
            raise ProcessError(
                f"multi-instance collection '{self.collection}' must be a list, got "
                f"{type(value).__name__}",
                activity_id=my_task.task_spec.name,
            )
        count = evaluate_value(my_task, self.cardinality)
        try:
            return list(range(int(count)))
        except (TypeError, ValueError) as err:
            raise ProcessError(
                f"loopCardinality of '{my_task.task_spec.name}' must be a number, got {count!r}",
                activity_id=my_task.task_spec.name,
            ) from err

    def _body_locals(self, my_task: Any, total: int) -> None:
        completed = len(my_task.internal_data.get("merged", []))
        active = sum(
            1
            for c in my_task.children
            if c.task_spec.name == self.task_spec and not c.has_state(TaskState.FINISHED_MASK)
        )
        set_local(my_task, "nrOfInstances", total)
        set_local(my_task, "nrOfCompletedInstances", completed)
        set_local(my_task, "nrOfActiveInstances", active)

    def _make_child(self, my_task: Any, index: int, item: Any) -> None:
        task_spec = my_task.workflow.spec.task_specs[self.task_spec]
        child = my_task._add_child(task_spec, TaskState.WAITING)
        child.triggered = True
        child.internal_data["key_or_index"] = index
        scope = {"loopCounter": index}
        if self.element_variable:
            scope[self.element_variable] = item
        child.internal_data[LOCALS] = scope
        child.task_spec._update(child)

    def check_completion_condition(self, my_task: Any) -> bool:
        condition = getattr(self, "condition", None)
        merged = my_task.internal_data.get("merged", [])
        if not merged or condition is None:
            return False
        last = next((c for c in my_task.children if str(c.id) == merged[-1]), my_task)
        return _truthy(_engine(my_task).evaluate(last, condition))


class MlcParallelMultiInstance(_MultiInstanceMixin, ParallelMultiInstanceTaskMixin, BpmnSpecMixin):
    """A parallel multi-instance body."""

    def create_children(self, my_task: Any) -> None:
        """Create one instance per item of the collection (or per cardinality)."""
        items = self._items(my_task)
        my_task.internal_data["mlc_total"] = len(items)
        for index, item in enumerate(items):
            self._make_child(my_task, index, item)
        self._body_locals(my_task, len(items))

    def merge_child(self, workflow: Any, child: Any) -> None:
        """Count a finished instance; finish when all are done or the condition holds."""
        my_task = child.parent
        if my_task is None or my_task.task_spec is not self:
            return
        my_task.internal_data.setdefault("merged", []).append(str(child.id))
        self._body_locals(my_task, my_task.internal_data.get("mlc_total", 0))
        if self.check_completion_condition(my_task):
            for other in list(self._instances(my_task)):
                if not other.has_state(TaskState.FINISHED_MASK):
                    other.cancel()
            my_task._set_state(TaskState.READY)
        elif self.children_complete(my_task):
            my_task._set_state(TaskState.READY)


class MlcSequentialMultiInstance(
    _MultiInstanceMixin, SequentialMultiInstanceTaskMixin, BpmnSpecMixin
):
    """A sequential multi-instance body."""

    def _update_hook(self, my_task: Any) -> Any:
        my_task._inherit_data()
        items = self._items(my_task)
        my_task.internal_data["merged"] = []
        my_task.internal_data["mlc_items"] = items
        my_task.internal_data["mlc_next"] = 0
        if not items:
            return True
        self._start_next(my_task)
        my_task._set_state(TaskState.STARTED)
        return None

    def _start_next(self, my_task: Any) -> None:
        index = my_task.internal_data["mlc_next"]
        items = my_task.internal_data["mlc_items"]
        my_task.internal_data["mlc_next"] = index + 1
        self._body_locals(my_task, len(items))
        self._make_child(my_task, index, items[index])

    def merge_child(self, workflow: Any, child: Any) -> None:
        """Start the next instance, or finish."""
        my_task = child.parent
        if my_task is None or my_task.task_spec is not self:
            return
        my_task.internal_data.setdefault("merged", []).append(str(child.id))
        items = my_task.internal_data.get("mlc_items", [])
        done = my_task.internal_data["mlc_next"] >= len(items)
        if done or self.check_completion_condition(my_task):
            my_task.internal_data.pop("mlc_items", None)
            my_task._set_state(TaskState.READY)
        else:
            self._start_next(my_task)


class MlcStandardLoop(MlcActivityMixin, StandardLoopTaskMixin, BpmnSpecMixin):
    """A standard loop (`bpmn:standardLoopCharacteristics`)."""

    is_mi_body = True


def connect_loop_children(spec: Any) -> None:
    """Wire a loop body to its inner activity once, at parse time.

    SpiffWorkflow connects the inner spec's completion event lazily when it creates the first
    instance, so an instance restored in a fresh process would never be told that an inner
    instance finished.
    """
    inner = spec._wf_spec.task_specs.get(spec.task_spec)
    if inner is not None and not inner.completed_event.is_connected(spec.merge_child):
        inner.completed_event.connect(spec.merge_child)


def start_variables(workflow: Any, variables: Mapping[str, Any]) -> None:
    """Set the initial process variables of a new instance."""
    workflow.data.update(variables)


__all__ += [
    "MlcActivityMixin",
    "MlcBoundaryEvent",
    "MlcBusinessRuleTask",
    "MlcCallActivity",
    "MlcConditionalFlows",
    "MlcEndEvent",
    "MlcEventBasedGateway",
    "MlcEventSubProcess",
    "MlcExclusiveGateway",
    "MlcInclusiveGateway",
    "MlcIntermediateCatchEvent",
    "MlcIntermediateThrowEvent",
    "MlcManualTask",
    "MlcNoneTask",
    "MlcParallelGateway",
    "MlcParallelMultiInstance",
    "MlcReceiveTask",
    "MlcScriptTask",
    "MlcSendTask",
    "MlcSequentialMultiInstance",
    "MlcServiceTask",
    "MlcStandardLoop",
    "MlcStartEvent",
    "MlcSubProcess",
    "MlcTransaction",
    "MlcUserTask",
    "connect_loop_children",
    "end_branch",
    "evaluate_value",
    "process_scope",
    "start_variables",
]
