"""Instance state ⇄ compact JSON, without the spec and without SpiffWorkflow's data registry.

SpiffWorkflow's serializer embeds the whole spec in every instance and runs task data through a
registry that misreads any dict with a `typename` key. Instance state here is only the task
tree: ids, parents, states, spec names and internal data. Process variables are plain JSON.
The spec is rebuilt from the definition's XML and shared by all instances of a version.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnEventConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.helpers.spec import EventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions import MultipleEventDefinition, NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.events import (
    MlcConditionalEvent,
    MlcCycleTimer,
    MlcDateTimer,
    MlcDurationTimer,
    MlcErrorEvent,
    MlcEscalationEvent,
    MlcMessageEvent,
    MlcSignalEvent,
)
from modelop_mlc._engine.workflow import MlcSubWorkflow, MlcTask, MlcWorkflow, TaskId
from modelop_mlc.errors import StoreError

__all__ = ["STATE_VERSION", "dump_workflow", "load_workflow", "reload_data"]

STATE_VERSION = 1

# Internal-data keys that hold SpiffWorkflow objects (events seen by event-based gateways).
_OBJECT_KEYS = frozenset({"seen_events"})


class _Converter(EventDefinitionConverter):
    def __init__(self, cls: type, registry: Any, fields: tuple[str, ...]) -> None:
        self.fields = fields
        super().__init__(cls, registry)

    def to_dict(self, event_definition: Any) -> dict[str, Any]:
        return {f: getattr(event_definition, f) for f in self.fields}

    def from_dict(self, dct: dict[str, Any]) -> Any:
        return self.target_class(**dct)


class _MultipleConverter(EventDefinitionConverter):
    def to_dict(self, event_definition: Any) -> dict[str, Any]:
        return {
            "parallel": event_definition.parallel,
            "event_definitions": [
                self.registry.convert(e) for e in event_definition.event_definitions
            ],
        }

    def from_dict(self, dct: dict[str, Any]) -> Any:
        events = [self.registry.restore(e) for e in dct["event_definitions"]]
        return self.target_class(events, dct["parallel"])


def _registry() -> Any:
    registry = DefaultRegistry()
    BpmnEventConverter(BpmnEvent, registry)
    _Converter(MlcSignalEvent, registry, ("name", "propagate_all"))
    _Converter(MlcMessageEvent, registry, ("name",))
    for cls in (MlcErrorEvent, MlcEscalationEvent):
        _Converter(cls, registry, ("name", "code", "code_variable", "message_variable"))
    for cls in (MlcDateTimer, MlcDurationTimer, MlcCycleTimer):
        _Converter(cls, registry, ("name", "expression"))
    _Converter(MlcConditionalEvent, registry, ("expression", "variable_name", "variable_events"))
    _Converter(NoneEventDefinition, registry, ())
    _MultipleConverter(MultipleEventDefinition, registry)
    return registry


_REGISTRY = _registry()


def _dump_internal(internal: dict[str, Any]) -> dict[str, Any]:
    if not _OBJECT_KEYS.intersection(internal):
        return internal
    return {k: (_REGISTRY.convert(v) if k in _OBJECT_KEYS else v) for k, v in internal.items()}


def _load_internal(internal: dict[str, Any]) -> dict[str, Any]:
    for key in _OBJECT_KEYS.intersection(internal):
        internal[key] = _REGISTRY.restore(internal[key])
    return internal


def _dump_tasks(workflow: Any) -> list[dict[str, Any]]:
    tasks = []
    for task in workflow.tasks.values():
        entry: dict[str, Any] = {
            "i": str(task.id),
            "s": task._state,
            "n": task.task_spec.name,
        }
        if task._parent is not None:
            entry["p"] = str(task._parent)
        if task._children:
            entry["c"] = [str(c) for c in task._children]
        if task.triggered:
            entry["t"] = 1
        if task.internal_data:
            entry["x"] = _dump_internal(task.internal_data)
        if task.data:
            entry["d"] = task.data
        tasks.append(entry)
    return tasks


def _dump_one(workflow: Any) -> dict[str, Any]:
    return {
        "root": str(workflow.task_tree.id),
        "completed": workflow.completed,
        "success": workflow.success,
        "data": workflow.data,
        "correlations": workflow.correlations,
        "tasks": _dump_tasks(workflow),
    }


def dump_workflow(workflow: Any, *, variables: bool = True) -> dict[str, Any]:
    """Return the instance state of `workflow` as a JSON-ready dict (the spec excluded).

    With `variables=False` the process variables are left out (the caller stores them on
    their own and passes them back to `load_workflow`).
    """
    subs = []
    for task_id, sub in workflow.subprocesses.items():
        entry = _dump_one(sub)
        entry["parent_task"] = str(task_id)
        entry["spec"] = sub.spec.name
        subs.append(entry)
    top = _dump_one(workflow)
    if not variables:
        del top["data"]
    return {"v": STATE_VERSION, "top": top, "subprocesses": subs}


class _UuidCache(dict[str, UUID]):
    """Each id of a tree parsed once (it is also its parent's child, its children's parent)."""

    def __call__(self, text: str) -> UUID:
        found = self.get(text)
        if found is None:
            found = self[text] = TaskId(text)
        return found


def _load_tasks(workflow: Any, entries: list[dict[str, Any]]) -> None:
    specs = workflow.spec.task_specs
    top = workflow.top_workflow
    uuid = _UuidCache()
    for entry in entries:
        spec = specs.get(entry["n"])
        if spec is None:
            raise StoreError(
                f"stored instance state names task spec '{entry['n']}', which process "
                f"'{workflow.spec.name}' does not have; the definition it started on is missing"
            )
        task = MlcTask(workflow, spec, state=entry["s"], id=uuid(entry["i"]))
        parent = entry.get("p")
        task._parent = uuid(parent) if parent is not None else None
        task._children = [uuid(c) for c in entry.get("c", ())]
        task.triggered = bool(entry.get("t"))
        task.internal_data = _load_internal(entry.get("x", {}))
        task.data = entry.get("d", {})
        _subscribe(top, task)


def _subscribe(top: Any, task: Any) -> None:
    """Register a waiting catch event with the event manager, as SpiffWorkflow had it."""
    if (
        task._state == TaskState.WAITING
        and isinstance(task.task_spec, CatchingEvent)
        and not task.internal_data.get("mlc_dormant")
    ):
        top.event_manager.add_task(task)


def _load_one(workflow: Any, dct: dict[str, Any]) -> None:
    workflow.tasks = {}
    _load_tasks(workflow, dct["tasks"])
    workflow.task_tree = workflow.tasks[UUID(dct["root"])]
    workflow.completed = dct["completed"]
    workflow.success = dct["success"]
    workflow.data = dct.get("data", {})
    workflow.correlations = dct.get("correlations", {})
    workflow.last_task = None


def load_workflow(
    state: dict[str, Any],
    spec: Any,
    subprocess_specs: dict[str, Any],
    script_engine: Any,
    variables: dict[str, Any] | None = None,
) -> Any:
    """Rebuild a workflow from `dump_workflow` output, attached to `script_engine`.

    `variables` are the process variables when the state was dumped without them.

    Raises:
        StoreError: If the state is from an unknown format version or does not fit the spec.
    """
    if state.get("v") != STATE_VERSION:
        raise StoreError(
            f"instance state format {state.get('v')!r} is not supported by this library "
            f"(expected {STATE_VERSION}); migrate the database with the matching version"
        )
    workflow = MlcWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
    _load_one(workflow, state["top"])
    if variables is not None:
        workflow.data = variables
    for entry in state["subprocesses"]:
        parent_id = UUID(entry["parent_task"])
        parent_task = workflow.get_task_from_id(parent_id)
        sub_spec = subprocess_specs.get(entry["spec"])
        if sub_spec is None:
            raise StoreError(f"stored instance uses sub-process '{entry['spec']}', now missing")
        sub = MlcSubWorkflow(sub_spec, parent_id, workflow, deserializing=True)
        workflow.subprocesses[parent_id] = sub
        _load_one(sub, entry)
        sub.completed_event.connect(parent_task.task_spec._on_subworkflow_completed, parent_task)
    return workflow


def _reload_one(workflow: Any, dct: dict[str, Any]) -> None:
    entries = dct["tasks"]
    if len(entries) != len(workflow.tasks):
        raise StoreError("instance state does not describe this workflow's tasks")
    for task, entry in zip(workflow.tasks.values(), entries, strict=True):
        task.internal_data = _load_internal(entry.get("x", {}))
        task.data = entry.get("d", {})
    workflow.data = dct.get("data", {})
    workflow.correlations = dct.get("correlations", {})
    workflow.last_task = None


def reload_data(workflow: Any, state: dict[str, Any], variables: dict[str, Any]) -> None:
    """Give a live workflow the data `load_workflow` would give it from `state`.

    `state` is what `dump_workflow` returned for this very workflow (with `variables=False`),
    decoded again from its JSON, and `variables` the process variables likewise: afterwards
    the workflow holds only those fresh objects, in JSON's types, and its event manager and
    thrown-event queue are as loading would leave them. Its tree is not rebuilt.

    Raises:
        StoreError: If `state` was not dumped from this workflow.
    """
    subs = state["subprocesses"]
    if len(subs) != len(workflow.subprocesses):
        raise StoreError("instance state does not describe this workflow's sub-processes")
    _reload_one(workflow, state["top"])
    workflow.data = variables
    for sub, entry in zip(workflow.subprocesses.values(), subs, strict=True):
        _reload_one(sub, entry)
    workflow.bpmn_events = []
    workflow.event_manager.tasks = {}
    for current in (workflow, *workflow.subprocesses.values()):
        for task in current.tasks.values():
            _subscribe(workflow, task)
