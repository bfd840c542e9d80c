"""Gateways, and the hidden step that takes an activity's conditional and default flows."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.mixins import (
    BpmnSpecMixin,
    EventBasedGatewayMixin,
    ExclusiveGatewayMixin,
    InclusiveGatewayMixin,
    ParallelGatewayMixin,
)
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.host import ASYNC_AFTER, DelegateCall
from modelop_mlc._engine.specs._activity import (
    JOB_KEY,
    MlcActivityMixin,
    MlcCatchMixin,
    _engine,
)
from modelop_mlc._engine.specs._mappings import _located, _truthy
from modelop_mlc.errors import ExpressionError, ProcessError


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


class MlcAsyncAfter(BpmnTaskSpec):
    """The job `camunda:asyncAfter` puts after an activity, before its outgoing flows.

    The parser places this hidden step after the activity. It waits (STARTED, as a job) until
    the manager runs the job, which takes the activity's outgoing flows in a new step, as
    Camunda 7's asynchronous continuation does.
    """

    def __init__(self, wf_spec: Any, name: str, source: Any, **kwargs: Any) -> None:
        """Create the step after the activity spec `source`."""
        super().__init__(wf_spec, name, **kwargs)
        self.job_activity: str | None = source.bpmn_id
        self.job_activity_name: str | None = source.bpmn_name
        self.retry_cycle: str | None = getattr(source, "retry_cycle", None)

    def _run_hook(self, my_task: Any) -> Any:
        my_task.internal_data[JOB_KEY] = {"candidates": [], "continuation": True}
        return None

    def delegate_call(self, my_task: Any) -> DelegateCall:
        """Describe the job: a continuation, which calls no delegate."""
        return DelegateCall(
            reference="",
            kind=ASYNC_AFTER,
            candidates=(),
            activity_id=self.job_activity or "",
            activity_name=self.job_activity_name,
            task_id=str(my_task.id),
            inputs={},
            variables={},
            asynchronous=True,
            retry_cycle=self.retry_cycle,
        )

    def apply_result(self, my_task: Any, variables: Any) -> None:
        """The continuation has no result: take the outgoing flows."""
        my_task.internal_data.pop(JOB_KEY, None)
