"""Conditional events, evaluated the way Camunda 7 evaluates them.

Camunda evaluates a conditional event when its scope begins (an intermediate event on arrival,
a boundary event when its activity starts, an event sub-process's start when the enclosing
scope starts) and again after every variable change: from the API, a completed task, a
delegate, a script, a signal or message that carries variables. A change is evaluated *top
down*: first the event sub-processes of the process scope, then the boundary and intermediate
events waiting in it, then the same in each nested scope, deeper and deeper; an interrupting
event that fires cancels what lies below it, so nothing there is evaluated any more.

SpiffWorkflow never triggers a conditional event sub-process and re-evaluates catch events
whenever any task completes; `VariableWatch` and `evaluate_conditions` replace both.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from SpiffWorkflow.util.task import TaskState

from modelop_mlc._engine.events import MlcConditionalEvent
from modelop_mlc._engine.subprocesses import (
    new_boundary_path,
    scope_interrupted,
    trigger_event_subprocess,
)

__all__ = ["VariableWatch", "evaluate_conditions", "has_conditions", "trigger_on_scope_start"]


def has_conditions(workflow: Any) -> bool:
    """Tell whether the process or any of its sub-process specs has a conditional event.

    Asked at every step; the answer is kept on the process spec (parsed specs never change),
    with the sub-process specs it was computed for.
    """
    spec, subprocess_specs = workflow.spec, tuple(workflow.subprocess_specs.values())
    kept = getattr(spec, _KEPT, None)
    if (
        kept is not None
        and len(kept[0]) == len(subprocess_specs)
        and all(a is b for a, b in zip(kept[0], subprocess_specs, strict=True))
    ):
        return bool(kept[1])
    found = any(
        _conditional(task_spec) is not None
        for wf_spec in (spec, *subprocess_specs)
        for task_spec in wf_spec.task_specs.values()
    )
    setattr(spec, _KEPT, (subprocess_specs, found))
    return found


_KEPT = "_mlc_has_conditions"


def _conditional(spec: Any) -> MlcConditionalEvent | None:
    definition = getattr(spec, "event_definition", None)
    return definition if isinstance(definition, MlcConditionalEvent) else None


class VariableWatch:
    """What changed in the process variables since the last look: name -> create/update/delete."""

    def __init__(self, workflow: Any) -> None:
        """Remember the variables of `workflow` (and of its called processes) as they are now."""
        self._workflow = workflow
        self._explicit: dict[str, str] = {}
        self._seen = self._variables()

    def _variables(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for workflow in [self._workflow, *self._workflow.subprocesses.values()]:
            merged.update(workflow.data)
        return copy.deepcopy(merged)

    def mark(self, names: Iterable[str]) -> None:
        """Record names set by a command: a change even when the value stays the same."""
        for name in names:
            self._explicit[name] = "update" if name in self._seen else "create"

    def changes(self) -> dict[str, str]:
        """Return the changes since the last call and start watching afresh."""
        now = self._variables()
        changed = dict(self._explicit)
        for name, value in now.items():
            if name not in self._seen:
                changed[name] = "create"
            elif self._seen[name] != value:
                changed[name] = "update"
        for name in self._seen:
            if name not in now:
                changed[name] = "delete"
        self._explicit = {}
        self._seen = now
        return changed


def _scopes(workflow: Any) -> list[Any]:
    """The process and its running sub-process workflows, outermost first."""
    subs = [s for s in workflow.subprocesses.values() if not s.is_completed()]
    return [workflow, *sorted(subs, key=lambda sp: sp.depth)]


def _running(task: Any) -> bool:
    return bool(task.id in task.workflow.tasks and task.has_state(TaskState.WAITING))


def _trigger_specs(workflow: Any) -> list[tuple[str, Any]]:
    """`(event sub-process spec name, its conditional start spec)` of a scope."""
    found = []
    for name in getattr(workflow.spec.start, "trigger_specs", []):
        sp_spec = workflow.top_workflow.subprocess_specs.get(name)
        for start in getattr(sp_spec, "bpmn_start_events", []):
            if isinstance(start.event_definition, MlcConditionalEvent):
                found.append((name, start))
    return found


def _started_interrupting(workflow: Any, spec_name: str) -> bool:
    """Tell whether an interrupting event sub-process `spec_name` already runs in `workflow`."""
    for task in workflow.tasks.values():
        if task.task_spec.name == spec_name and getattr(task.task_spec, "interrupting", False):
            return True
    return False


def _fire_subprocess(workflow: Any, spec_name: str, start: Any) -> bool:
    """Start the event sub-process `spec_name` of `workflow` if its condition holds."""
    spec = workflow.spec.task_specs.get(spec_name)
    if scope_interrupted(workflow) or (
        spec is not None and spec.interrupting and _started_interrupting(workflow, spec_name)
    ):
        return False
    if not start.event_definition.holds(workflow.task_tree):
        return False
    trigger_event_subprocess(workflow, spec_name)
    return True


def trigger_on_scope_start(workflow: Any) -> bool:
    """Start a scope's conditional event sub-processes whose condition holds as it begins.

    Returns True when an interrupting one started: the scope's own start must not run.
    """
    interrupted = False
    for spec_name, start in _trigger_specs(workflow):
        if _fire_subprocess(workflow, spec_name, start):
            spec = workflow.spec.task_specs.get(spec_name)
            interrupted = interrupted or bool(getattr(spec, "interrupting", False))
    return interrupted


def _waiting_conditionals(workflow: Any) -> list[tuple[Any, MlcConditionalEvent]]:
    found = []
    for task in workflow.tasks.values():
        if task._state != TaskState.WAITING or task.internal_data.get("mlc_dormant"):
            continue
        definition = _conditional(task.task_spec)
        if definition is not None:
            found.append((task, definition))
            continue
        nested = getattr(getattr(task.task_spec, "event_definition", None), "event_definitions", ())
        for inner in nested:  # an event-based gateway holds its events' definitions
            if isinstance(inner, MlcConditionalEvent):
                found.append((task, inner))
    return found


def _fire_task(task: Any, definition: MlcConditionalEvent) -> None:
    spec = task.task_spec
    if _conditional(spec) is definition and getattr(spec, "cancel_activity", True) is False:
        # A non-interrupting boundary event fires at every change that makes its condition
        # true while the activity runs: each time a new path, the event keeps waiting.
        new_boundary_path(task)
        return
    if _conditional(spec) is definition:
        task.internal_data["event_fired"] = True
    else:
        from SpiffWorkflow.bpmn.util.event import BpmnEvent  # noqa: PLC0415 - rare path

        spec.catch(task, BpmnEvent(definition))
    spec._update(task)


def evaluate_conditions(workflow: Any, changes: Mapping[str, str]) -> bool:
    """Evaluate every conditional event that `changes` concern, top down; True if one fired."""
    if not changes:
        return False
    fired = False
    for scope in _scopes(workflow):
        if scope is not workflow and scope.is_completed():
            continue
        for spec_name, start in _trigger_specs(scope):
            if start.event_definition.reacts_to(dict(changes)) and _fire_subprocess(
                scope, spec_name, start
            ):
                fired = True
        for task, definition in _waiting_conditionals(scope):
            if not _running(task) or not definition.reacts_to(dict(changes)):
                continue
            if definition.holds(task):
                _fire_task(task, definition)
                fired = True
    return fired
