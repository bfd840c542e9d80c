"""Throw and end events as Camunda 7's `BpmnParse` builds them.

SpiffWorkflow's end-event parser ignores signal definitions (a signal end event threw nothing)
and delivers every thrown message itself. Camunda 7 does neither: a signal end event throws
like any signal throw, and a message throw or end event runs its implementation
(`camunda:class`, `expression`, `delegateExpression`, `type="external"` or a connector on the
`messageEventDefinition`) exactly as a service task does; without one it is a none event.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

from modelop_mlc._engine import specs as s
from modelop_mlc._engine._spiff_private import create_event_task
from modelop_mlc._engine.xml import CAMUNDA_NS, NSMAP

__all__ = ["END_EVENT_XPATHS", "THROW_EVENT_XPATHS", "create_throw", "implementation_node"]

_C = "{" + CAMUNDA_NS + "}"
_IMPLEMENTATION = ("class", "delegateExpression", "expression", "type")

END_EVENT_XPATHS = [
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
]
THROW_EVENT_XPATHS = [ESCALATION_EVENT_XPATH, MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH]


def implementation_node(node: Any) -> Any | None:
    """The `messageEventDefinition` of `node` when it names an implementation, else None."""
    definition = first(node.xpath("./bpmn:messageEventDefinition", namespaces=NSMAP))
    if definition is None:
        return None
    if any(definition.get(f"{_C}{attr}") is not None for attr in _IMPLEMENTATION):
        return definition
    connector = definition.xpath("./bpmn:extensionElements/camunda:connector", namespaces=NSMAP)
    return definition if connector else None


def create_throw(parser: Any, xpaths: list[str]) -> Any:
    """Build the spec of a throw or end event (`parser` is our event parser for it).

    With an implementation the event is a delegate service task in all but its type; a
    message without one is a none event, as in Camunda 7.
    """
    definition = implementation_node(parser.node)
    if definition is not None:
        spec = s.MlcServiceTask(
            parser.process_parser.spec, parser.bpmn_id, **parser.bpmn_attributes
        )
        parser.apply_common(spec)
        parser.read_implementation(spec, definition)
        return spec
    event_definition = parser.get_event_definition(xpaths)
    if isinstance(event_definition, MessageEventDefinition):
        event_definition = NoneEventDefinition(description="Message")
    spec = create_event_task(parser, event_definition)
    parser.apply_common(spec)
    compensate = first(parser.node.xpath("./bpmn:compensateEventDefinition", namespaces=NSMAP))
    if compensate is not None:
        spec.compensate = True
        spec.compensate_ref = compensate.get("activityRef") or None
    elif first(parser.node.xpath("./bpmn:cancelEventDefinition", namespaces=NSMAP)) is not None:
        spec.compensate = True  # a transaction's cancel end event compensates it first
    return spec
