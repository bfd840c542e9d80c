"""Deploy-time rules of Camunda 7's `BpmnParse` that the main checker does not cover.

Camunda 7 refuses these diagrams when they are deployed; so do we, with the element id, the
line and Camunda's reason. Each rule is a function of one flow node; `check_camunda_rules`
runs them all for the checker in `validation.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from modelop_mlc._engine.parse_throws import implementation_node
from modelop_mlc._engine.scripting import check_script_text, script_language
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS

__all__ = [
    "LISTENER_EVENTS",
    "Checker",
    "check_camunda_rules",
    "check_listeners",
]

_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"
_CATCHING = frozenset({"intermediateCatchEvent", "boundaryEvent", "startEvent"})
_VARIABLE_EVENTS = frozenset({"create", "update", "delete"})
LISTENER_EVENTS = {
    "executionListener": frozenset({"start", "end", "take"}),
    "taskListener": frozenset({"create", "assignment", "complete", "delete", "update", "timeout"}),
}


class Checker(Protocol):
    """What the rules need from the validation checker."""

    def problem(self, node: Any, message: str, *, line: int | None = None) -> None:
        """Report a problem at `node`."""

    def outgoing(self, node: Any, scope: Any) -> list[Any]:
        """The sequence flows of `scope` leaving `node` (indexed once per scope)."""

    def warn(self, node: Any, message: str) -> None:
        """Report a warning at `node`."""

    def check_delegate(self, node: Any, required: bool = True, where: Any = None) -> None:
        """Check the implementation attributes of `node` (problems reported at `where`)."""

    def expression(self, node: Any, text: str | None, what: str) -> None:
        """Report a JUEL expression that does not parse."""

    def check_reference(self, at: Any, kind: str, impl: str) -> None:
        """Report a delegate reference that no registration resolves."""


def _children(node: Any, tag: str) -> Iterator[Any]:
    return (c for c in node if isinstance(c.tag, str) and c.tag == f"{_B}{tag}")


def check_camunda_rules(checker: Checker, node: Any, tag: str, scope: Any) -> None:
    """Run every rule on the flow node `node` (BPMN tag `tag`) of `scope`."""
    _event_references(checker, node, tag)
    _conditional_events(checker, node)
    _throw_implementation(checker, node, tag)
    _result_variable(checker, node, tag)
    check_listeners(checker, node, tag)
    _compensation(checker, node, tag, scope)
    if tag == "exclusiveGateway":
        _exclusive_gateway(checker, node, scope)
    if tag == "eventBasedGateway":
        _event_based_gateway(checker, node, scope)
    if tag == "subProcess" and node.get("triggeredByEvent") == "true":
        _event_subprocess_flows(checker, node, scope)
    if node.get(f"{_C}formKey") and node.get(f"{_C}formRef"):
        checker.problem(
            node,
            "only one of camunda:formKey and camunda:formRef is allowed (Camunda 7 refuses "
            "both); keep one",
        )


def _event_references(checker: Checker, node: Any, tag: str) -> None:
    """Signal definitions need a signalRef; catching message definitions a messageRef."""
    for definition in _children(node, "signalEventDefinition"):
        if not (definition.get("signalRef") or "").strip():
            checker.problem(
                node,
                "the signal event has no signalRef (Camunda 7 refuses it: 'signalEventDefinition "
                "does not have required property signalRef'); choose the signal it throws or "
                "waits for",
            )
    if tag not in _CATCHING:
        return
    for definition in _children(node, "messageEventDefinition"):
        if not (definition.get("messageRef") or "").strip():
            checker.problem(
                node,
                "the message event has no messageRef (Camunda 7 refuses it: 'attribute "
                "messageRef is required'); choose the message it waits for",
            )


def _conditional_events(checker: Checker, node: Any) -> None:
    for definition in _children(node, "conditionalEventDefinition"):
        condition = next(_children(definition, "condition"), None)
        text = (condition.text or "").strip() if condition is not None else ""
        if not text:
            checker.problem(
                node,
                "the conditional event has no condition (Camunda 7 refuses it: 'Conditional "
                "event must contain an expression for evaluation'); write one such as ${done}",
            )
            continue
        checker.expression(condition, text, "condition")
        events = definition.get(f"{_C}variableEvents") or ""
        for event in (e.strip() for e in events.split(",") if e.strip()):
            if event not in _VARIABLE_EVENTS:
                checker.problem(
                    node,
                    f"camunda:variableEvents '{event}' is not a variable event; use create, "
                    "update or delete (comma-separated)",
                )


def _throw_implementation(checker: Checker, node: Any, tag: str) -> None:
    if tag not in {"intermediateThrowEvent", "endEvent"}:
        return
    definition = implementation_node(node)
    if definition is not None:
        checker.check_delegate(definition, where=node)
        _result_variable(checker, definition, tag, where=node)


def _result_variable(checker: Checker, node: Any, tag: str, where: Any = None) -> None:
    """`camunda:resultVariable` goes with `camunda:expression` only (Camunda's rule)."""
    if node.get(f"{_C}resultVariable") is None:
        return
    for attr in ("class", "delegateExpression"):
        if node.get(f"{_C}{attr}"):
            checker.problem(
                where if where is not None else node,
                f"camunda:resultVariable is not supported with camunda:{attr} (Camunda 7 refuses "
                f"it: 'resultVariableName not supported for {tag} elements using {attr}'); let "
                "the delegate set the variable, or use camunda:expression",
            )


def check_listeners(checker: Checker, node: Any, tag: str) -> None:
    """Check the execution and task listeners of an element (or a process, or a flow)."""
    extensions = next(_children(node, "extensionElements"), None)
    if extensions is None:
        return
    for kind, events in LISTENER_EVENTS.items():
        for listener in extensions.findall(f"{_C}{kind}"):
            event = listener.get("event")
            allowed = events if kind == "taskListener" else _execution_events(tag)
            if kind == "taskListener" and tag != "userTask":
                checker.problem(listener, "task listeners belong on user tasks only")
            elif not event and tag != "sequenceFlow":
                checker.problem(
                    listener,
                    f"the {kind} has no event (Camunda 7 refuses it); set event to one of "
                    + ", ".join(sorted(allowed)),
                )
            elif event and event not in allowed:
                checker.problem(
                    listener,
                    f"{kind} event '{event}' is not one of " + ", ".join(sorted(allowed)),
                )
            elif event in {"update", "timeout"}:
                checker.problem(
                    listener,
                    f"task listener event '{event}' is not supported here; use create, "
                    "assignment, complete or delete",
                )
            _listener_implementation(checker, listener, kind)


def _listener_implementation(checker: Checker, listener: Any, kind: str) -> None:
    script = listener.find(f"{_C}script")
    if script is not None:
        if script.get("resource"):
            checker.problem(
                script, "external listener scripts (resource=...) are not supported; inline it"
            )
            return
        language = script_language(script.get("scriptFormat"))
        problems, _warnings = check_script_text(language, script.text or "")
        first = script.sourceline or 0
        for issue in problems:
            checker.problem(
                script,
                f"listener script: {issue.message}",
                line=first + issue.line - 1 if issue.line else first,
            )
        return
    for attr in ("class", "delegateExpression", "expression"):
        impl = listener.get(attr)
        if impl:
            if attr != "class":
                checker.expression(listener, impl, f"{kind} {attr}")
            checker.check_reference(listener, attr, impl)
            return
    checker.problem(
        listener,
        f"the {kind} has no class, expression, delegateExpression or script (Camunda 7 "
        "refuses it); say what it runs",
    )


def _execution_events(tag: str) -> frozenset[str]:
    return frozenset({"take"}) if tag == "sequenceFlow" else frozenset({"start", "end"})


def _exclusive_gateway(checker: Checker, node: Any, scope: Any) -> None:
    flows = checker.outgoing(node, scope)
    gateway = node.get("id")
    if not flows:
        checker.problem(
            node,
            f"exclusive gateway '{gateway}' has no outgoing sequence flows (Camunda 7 refuses "
            "it); connect it to the paths it chooses between",
        )
        return
    if len(flows) == 1:
        if next(_children(flows[0], "conditionExpression"), None) is not None:
            checker.problem(
                flows[0],
                f"exclusive gateway '{gateway}' has only one outgoing sequence flow, which may "
                "not have a condition (Camunda 7 refuses it); remove the condition",
            )
        return
    default = node.get("default")
    bare = []
    for flow in flows:
        conditioned = next(_children(flow, "conditionExpression"), None) is not None
        if conditioned and flow.get("id") == default:
            checker.problem(
                flow,
                f"sequence flow '{flow.get('id')}' is the default flow of exclusive gateway "
                f"'{gateway}' but has a condition too (Camunda 7 refuses it); remove one",
            )
        elif not conditioned and flow.get("id") != default:
            bare.append(flow)
    if default or len(bare) > 1:
        for flow in bare:
            checker.problem(
                flow,
                f"sequence flow '{flow.get('id')}' leaves exclusive gateway '{gateway}' without "
                "a condition and is not its default flow (Camunda 7 refuses it); give it a "
                "condition or make it the default flow",
            )


def _event_based_gateway(checker: Checker, node: Any, scope: Any) -> None:
    targets = {f.get("targetRef") for f in checker.outgoing(node, scope)}
    for target in scope:
        if target.get("id") in targets and target.tag not in {
            f"{_B}intermediateCatchEvent",
            f"{_B}receiveTask",
        }:
            checker.problem(
                target,
                "an event-based gateway can only lead to intermediate catch events or receive "
                "tasks (Camunda 7 refuses it); put a catch event between them",
            )
    if node.get(f"{_C}asyncAfter") == "true":
        checker.problem(
            node,
            "camunda:asyncAfter is not supported on event-based gateways (Camunda 7 refuses "
            "it); remove it",
        )


def _event_subprocess_flows(checker: Checker, node: Any, scope: Any) -> None:
    node_id = node.get("id")
    for flow in _children(scope, "sequenceFlow"):
        if node_id in {flow.get("sourceRef"), flow.get("targetRef")}:
            direction = "outgoing" if flow.get("sourceRef") == node_id else "incoming"
            checker.problem(
                flow,
                f"an event sub-process may have no {direction} sequence flow (Camunda 7 "
                "refuses it); remove the flow: the event starts it",
            )


def _compensation(checker: Checker, node: Any, tag: str, scope: Any) -> None:
    definition = next(_children(node, "compensateEventDefinition"), None)
    if node.get("isForCompensation") == "true":
        for flow in _children(scope, "sequenceFlow"):
            if node.get("id") in {flow.get("sourceRef"), flow.get("targetRef")}:
                checker.problem(
                    flow,
                    "a compensation handler may have no sequence flow (Camunda 7 refuses it); "
                    "compensation starts it: remove the flow",
                )
    if definition is None:
        return
    if tag == "startEvent":
        checker.problem(
            node,
            "compensation event sub-processes are not supported; attach a compensation "
            "boundary event with a handler to each activity to undo",
        )
    elif tag == "boundaryEvent":
        linked = any(
            a.get("sourceRef") == node.get("id") or a.get("targetRef") == node.get("id")
            for a in _children(scope, "association")
        )
        if not linked:
            checker.problem(
                node,
                "the compensation boundary event has no association to a compensation handler "
                "(an activity with isForCompensation); connect one in the modeler",
            )
    else:
        _compensation_throw(checker, node, definition, scope)


def _compensation_throw(checker: Checker, node: Any, definition: Any, scope: Any) -> None:
    if scope.tag == f"{_B}subProcess" and scope.get("triggeredByEvent") == "true":
        checker.problem(
            node,
            "compensation thrown inside an event sub-process is not supported; throw it in "
            "the scope whose activities it compensates",
        )
    ref = definition.get("activityRef")
    ids = {n.get("id") for n in scope if isinstance(n.tag, str)}
    if ref and ref not in ids:
        checker.problem(
            node,
            f"activityRef '{ref}' names no activity in the compensation event's scope (Camunda "
            "7 refuses it); name an activity beside the event",
        )
    for sub in scope:
        if sub.tag not in {f"{_B}subProcess", f"{_B}transaction"} or ref not in {
            None,
            sub.get("id"),
        }:
            continue
        nested = [
            b
            for b in sub.iter(f"{_B}compensateEventDefinition")
            if b.getparent().tag == f"{_B}boundaryEvent"
        ]
        if nested and sub.get("triggeredByEvent") != "true":
            checker.problem(
                node,
                f"compensating the activities inside sub-process '{sub.get('id')}' from outside "
                "it is not supported; throw the compensation inside that sub-process",
            )
    if definition.get("waitForCompletion") == "false":
        checker.warn(
            node,
            "waitForCompletion='false' is not supported (as in Camunda 7): the event waits "
            "until compensation has completed",
        )
