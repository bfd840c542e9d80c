"""Camunda 7 execution and task listeners: read from the diagram, run at Camunda's moments.

Execution listeners run at an activity's `start` (after its input mappings) and `end` (after
its output mappings, also when it is cancelled), at the `take` of a sequence flow, and at the
start and end of the process. Task listeners run on a user task's `create`, then
`assignment` (when it has an assignee), `complete` and `delete` (cancelled). A listener is a
registered delegate (`class`, `delegateExpression`, a bean called by `expression`), a JUEL
`expression`, or an inline `camunda:script` in any script language the engine runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelop_mlc._engine.host import DelegateCall, DelegateOutcome
from modelop_mlc._engine.parse_values import delegate_candidates
from modelop_mlc._engine.scope import set_variable, visible_variables
from modelop_mlc._engine.scripting import ScriptText, evaluate_script, script_language
from modelop_mlc._engine.xml import CAMUNDA_NS
from modelop_mlc.errors import BpmnError, ProcessError

__all__ = ["LIVE_KEY", "Listener", "read_listeners", "run_listeners"]

_C = "{" + CAMUNDA_NS + "}"
LIVE_KEY = "mlc_live"  # on a task whose activity started and has not ended: end runs on cancel


@dataclass(frozen=True)
class Listener:
    """One `camunda:executionListener` or `camunda:taskListener`."""

    event: str
    kind: str  # class | delegateExpression | expression | script
    impl: str
    language: str | None = None  # the script's format

    @property
    def candidates(self) -> tuple[str, ...]:
        """Registry names a delegate listener may resolve to."""
        if self.kind == "script":
            return ()
        return delegate_candidates(self.kind, self.impl)


def read_listeners(node: Any, tag: str, default_event: str | None = None) -> tuple[Listener, ...]:
    """Read the listeners `camunda:<tag>` of a BPMN element, in XML order."""
    extensions = node.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements")
    if extensions is None:
        return ()
    found = []
    for item in extensions.findall(f"{_C}{tag}"):
        event = item.get("event") or default_event or ""
        script = item.find(f"{_C}script")
        if script is not None:
            found.append(
                Listener(
                    event, "script", script.text or "", (script.get("scriptFormat") or "").lower()
                )
            )
            continue
        for kind in ("class", "delegateExpression", "expression"):
            if item.get(kind):
                found.append(Listener(event, kind, item.get(kind)))
                break
    return tuple(found)


def run_listeners(task: Any, listeners: tuple[Listener, ...], event: str) -> None:
    """Run the listeners of `event` (in XML order) at `task`."""
    for listener in listeners:
        if listener.event == event:
            _run(task, listener)


def _run(task: Any, listener: Listener) -> None:
    engine = task.workflow.script_engine
    if listener.kind == "script":
        evaluate_script(task, ScriptText(script_language(listener.language), listener.impl))
        return
    candidates = listener.candidates
    if listener.kind == "expression" and (
        not candidates or candidates[0] in visible_variables(task) or "(" not in listener.impl
    ):
        engine.evaluate(task, listener.impl)
        return
    if listener.kind == "delegateExpression" and not candidates:
        candidates = (str(engine.evaluate(task, listener.impl)),)
    spec = task.task_spec
    call = DelegateCall(
        reference=listener.impl,
        kind=listener.kind,
        candidates=candidates,
        activity_id=getattr(spec, "bpmn_id", None) or "",
        activity_name=getattr(spec, "bpmn_name", None),
        task_id=str(task.id),
        inputs={},
        variables=visible_variables(task),
        listener=listener.event,
    )
    try:
        outcome, variables = engine.host.invoke_delegate(call)
    except BpmnError as err:
        raise ProcessError(
            f"the {listener.event} listener of '{call.activity_id}' threw BPMN error "
            f"'{err.code}'; listeners cannot throw BPMN errors, use a service task",
            activity_id=call.activity_id,
        ) from err
    if outcome is not DelegateOutcome.COMPLETED:  # pragma: no cover - the host never defers
        raise ProcessError(f"listener {listener.impl} did not run", activity_id=call.activity_id)
    for name, value in variables.items():
        set_variable(task, name, value)
