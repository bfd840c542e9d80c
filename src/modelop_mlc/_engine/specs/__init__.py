"""Task specs for the Camunda 7 dialect.

Each BPMN element maps to one of these SpiffWorkflow task-spec subclasses. What they add over
SpiffWorkflow's defaults: `camunda:inputOutput` mappings with local scopes, history journalling,
delegate service tasks, Camunda user-task attributes, business rule tasks with
`mapDecisionResult`, call activities with `camunda:in`/`camunda:out`, exclusive gateways without
a default flow, and start events that can be chosen by the trigger that started the instance.

The package groups the specs by kind of element: `_activity` holds the mixin every element
shares (mappings, journalling), `_mappings` the parameter values and their evaluation, `_tasks`
the plain, user and script tasks, `_service` delegate service and business rule tasks,
`_gateways` the gateways and conditional flows, `_events` the events, `_subprocesses` embedded
sub-processes and call activities, and `_loops` multi-instance and standard loops.
"""

from __future__ import annotations

from modelop_mlc._engine.scope import process_scope
from modelop_mlc._engine.specs._activity import (
    JOB_KEY,
    USER_KEY,
    MlcActivityMixin,
)
from modelop_mlc._engine.specs._events import (
    MlcBoundaryEvent,
    MlcEndEvent,
    MlcIntermediateCatchEvent,
    MlcIntermediateThrowEvent,
    MlcReceiveTask,
    MlcSendTask,
    MlcStartEvent,
)
from modelop_mlc._engine.specs._gateways import (
    MlcAsyncAfter,
    MlcConditionalFlows,
    MlcEventBasedGateway,
    MlcExclusiveGateway,
    MlcInclusiveGateway,
    MlcParallelGateway,
)
from modelop_mlc._engine.specs._loops import (
    MlcParallelMultiInstance,
    MlcSequentialMultiInstance,
    MlcStandardLoop,
    connect_loop_children,
)
from modelop_mlc._engine.specs._mappings import Param, ParamValue, evaluate_value, start_variables
from modelop_mlc._engine.specs._service import MlcBusinessRuleTask, MlcServiceTask, end_branch
from modelop_mlc._engine.specs._subprocesses import (
    MlcCallActivity,
    MlcEventSubProcess,
    MlcSubProcess,
    MlcTransaction,
)
from modelop_mlc._engine.specs._tasks import (
    FormField,
    MlcManualTask,
    MlcNoneTask,
    MlcScriptTask,
    MlcUserTask,
)

__all__ = [
    "JOB_KEY",
    "USER_KEY",
    "FormField",
    "MlcActivityMixin",
    "MlcAsyncAfter",
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
    "Param",
    "ParamValue",
    "connect_loop_children",
    "end_branch",
    "evaluate_value",
    "process_scope",
    "start_variables",
]
