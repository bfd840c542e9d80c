"""Every use of SpiffWorkflow's private parser API, in one place (written for 3.2.0).

`parser.py` extends SpiffWorkflow's parsers through their public points: the parser class
map, `create_task`, `parse_node`, `connect_outgoing`, the `parse_*_event` methods, the
`outputs` property. What those cannot do is here, as mixins the parser classes inherit, each
method saying why no public hook serves. `PRIVATE_API` names every private member used;
`tests/engine/test_spiff_private.py` checks that each still exists with the signature we
override or call, and tests what each override gives, so an upgrade shows what broke.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway

from modelop_mlc._engine import specs as s
from modelop_mlc._engine.listeners import read_listeners
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS

__all__ = [
    "PRIVATE_API",
    "BpmnParserOverrides",
    "ProcessParserOverrides",
    "TaskParserOverrides",
    "create_event_task",
]

_C = "{" + CAMUNDA_NS + "}"

PRIVATE_API: tuple[tuple[type, str, str], ...] = (
    (TaskParser, "_add_multiinstance_task", "(self, loop_characteristics)"),
    (TaskParser, "_add_loop_task", "(self, loop_characteristics)"),
    (TaskParser, "_copy_task_attrs", "(self, original, loop_characteristics=None)"),
    (
        EventDefinitionParser,
        "_create_task",
        "(self, event_definition, cancel_activity=None, parallel=None)",
    ),
    (ProcessParser, "_index_process_nodes", "(self)"),
    (ProcessParser, "parse_node", "(self, node)"),
    (TaskParser, "parse_node", "(self)"),
    (ProcessParser, "_parse", "(self)"),
    (BpmnParser, "_add_data_stores", "(self, bpmn)"),
    (BpmnParser, "_add_processes", "(self, bpmn, filename=None)"),
)
"""(SpiffWorkflow class, private member, its signature) of everything this module relies on."""

_PARSE_DEPTH = 50
"""Flow nodes parsed inside one another; deeper ones connect their flows from a queue."""


class TaskParserOverrides:
    """Camunda's loops on any activity (mixed into our `TaskParser` subclasses).

    `TaskParser.parse_node` builds loop and multi-instance bodies in `_add_loop_task` and
    `_add_multiinstance_task`, with no public hook between creating the activity and wiring
    its flows.
    """

    node: Any
    process_parser: Any
    task: Any
    xpath: Any
    bpmn_id: str

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        # Camunda's multi-instance reads camunda:collection and camunda:elementVariable,
        # which SpiffWorkflow's (loopDataInputRef based) body does not know.
        sequential = loop_characteristics.get("isSequential") == "true"
        prefix = "bpmn:multiInstanceLoopCharacteristics"
        cardinality = first(self.xpath(f"./{prefix}/bpmn:loopCardinality"))
        collection = loop_characteristics.get(f"{_C}collection")
        if cardinality is None and collection is None:
            raise ValidationException(
                "a multi-instance activity needs loopCardinality or camunda:collection",
                node=self.node,
                file_name=self.process_parser.filename,
            )
        condition = first(self.xpath(f"./{prefix}/bpmn:completionCondition"))
        original = self.process_parser.spec.task_specs.pop(self.task.name)
        cls = s.MlcSequentialMultiInstance if sequential else s.MlcParallelMultiInstance
        body = cls(
            self.process_parser.spec,
            original.name,
            task_spec="",
            cardinality=cardinality.text.strip() if cardinality is not None else None,
            condition=condition.text.strip() if condition is not None and condition.text else None,
            description="Multi-instance body",
        )
        body.collection = collection
        body.element_variable = loop_characteristics.get(f"{_C}elementVariable")
        body.bpmn_name = original.bpmn_name
        body.element_type = original.element_type
        body.incoming_flows = original.incoming_flows
        body.flow_listeners = original.flow_listeners
        self.task = body
        self._copy_task_attrs(original, loop_characteristics)  # type: ignore[attr-defined]
        original.incoming_flows = {}
        s.connect_loop_children(body)

    def connect_deferred(self) -> None:
        """Connect the outgoing flows of a node whose parse was deferred (see `parse_node`).

        The same as the end of SpiffWorkflow's `TaskParser.parse_node` (3.2.0), which cannot
        be called on its own.
        """
        parser = self.process_parser
        parser.resume_outgoing(self.bpmn_id)
        try:
            outgoing = parser.get_outgoing_sequence_flows(self.bpmn_id)
            if len(outgoing) > 1 and not self.handles_multiple_outgoing():  # type: ignore[attr-defined]
                self.raise_validation_exception(  # type: ignore[attr-defined]
                    "Multiple outgoing flows are not supported for tasks of type"
                )
            children = []
            for flow in outgoing:
                target_ref = flow.get("targetRef")
                target = parser.get_node_by_id(target_ref)
                if target is None:
                    self.raise_validation_exception(  # type: ignore[attr-defined]
                        "When looking for a task spec, we found two items, perhaps a form "
                        f"has the same ID? ({target_ref})"
                    )
                split = self.spec.task_specs.get(f"{target_ref}.BoundaryEventSplit")  # type: ignore[attr-defined]
                child = parser.parse_node(target) if split is None else split
                children.append((self.get_position(target), child, flow))  # type: ignore[attr-defined]
            children.sort(key=lambda item: float(item[0]["y"]))
            default = self.node.get("default")
            if (
                len(children) == 1
                and _is_xor_or_or(self.task)
                and self.parse_condition(children[0][2]) is None  # type: ignore[attr-defined]
            ):
                default = children[0][2].get("id")
            for _position, child, flow in children:
                self.connect_outgoing(child, flow, flow.get("id") == default)  # type: ignore[attr-defined]
        except ValidationException:
            raise
        except Exception as err:
            raise ValidationException(
                f"{err!r}", node=self.node, file_name=self.process_parser.filename
            ) from err
        self.finish_flows()  # type: ignore[attr-defined]

    def _add_loop_task(self, loop_characteristics: Any) -> None:
        original = self.task
        super()._add_loop_task(loop_characteristics)  # type: ignore[misc]
        # As for multi-instance bodies: the loop stands in for the activity on its flows.
        self.task.incoming_flows = original.incoming_flows
        self.task.flow_listeners = original.flow_listeners
        original.incoming_flows = {}
        s.connect_loop_children(self.task)


def create_event_task(parser: Any, definition: Any) -> Any:
    """Build an event's spec for `definition` the way SpiffWorkflow's event parsers do.

    Its start-event parser chooses the definition from a fixed list without error and
    escalation; the spec building that follows (`_create_task`) has no public name.
    """
    return parser._create_task(definition)


def _is_xor_or_or(task: Any) -> bool:
    return isinstance(task, ExclusiveGateway | InclusiveGateway)


class ProcessParserOverrides:
    """How a process is read (mixed into our `ProcessParser` subclass)."""

    nodes_by_id: dict[str, Any]
    outgoing_sequence_flows: dict[str, list[Any]]
    boundary_events_by_attached: dict[str, list[Any]]
    spec: Any
    node: Any
    xpath: Any
    _incoming: dict[str, dict[str, str]]
    compensation: dict[str, str]
    """Activity id → its compensation handler's id."""
    _parse_depth: int = 0
    _deferred: deque[Any]
    _held: set[str]

    def parse_node(self, node: Any) -> Any:
        # SpiffWorkflow's `TaskParser.parse_node` parses a node's successors inside itself, so
        # a chain of ~325 elements exhausted Python's stack. Nested deeper than _PARSE_DEPTH,
        # a node's flows are connected later instead, from a queue the outermost call works
        # through in a loop: the stack stays bounded whatever the diagram's size.
        found = self.spec.task_specs.get(node.get("id"))
        if found is not None:
            return found
        depth = self._parse_depth
        if depth == 0:
            self._deferred, self._held = deque(), set()
        self._parse_depth = depth + 1
        try:
            spec = super().parse_node(node)  # type: ignore[misc]
            if depth == 0:
                while self._deferred:
                    self._deferred.popleft().connect_deferred()
        finally:
            self._parse_depth = depth
        return spec

    def defer_outgoing(self, node_parser: Any) -> bool:
        """Whether a node being parsed connects its flows later (it is nested too deeply)."""
        if self._parse_depth < _PARSE_DEPTH:
            return False
        self._held.add(node_parser.bpmn_id)
        self._deferred.append(node_parser)
        return True

    def resume_outgoing(self, bpmn_id: str) -> None:
        """Let a deferred node see its outgoing flows again."""
        self._held.discard(bpmn_id)

    def get_outgoing_sequence_flows(self, source_ref: str) -> list[Any]:
        """The flows out of an element (none while its parse is deferred)."""
        if source_ref in getattr(self, "_held", ()):
            return []
        return list(self.outgoing_sequence_flows.get(source_ref, []))

    def _index_process_nodes(self) -> None:
        # SpiffWorkflow 3.2 indexes every element with an id, in every namespace, so a
        # camunda:formField whose id equals a task id hijacks that task. The constructor
        # calls this before any public method could correct the index.
        self._incoming = {}
        prefix = "{" + BPMN_NS + "}"
        boundaries: list[Any] = []
        associations: dict[str, str] = {}
        for node in self.xpath(".//*[@id]"):
            if not isinstance(node.tag, str) or not node.tag.startswith(prefix):
                continue
            node_id = node.get("id")
            self.nodes_by_id[node_id] = node
            tag = node.tag[len(prefix) :]
            if tag == "sequenceFlow":
                source, target = node.get("sourceRef"), node.get("targetRef")
                self.outgoing_sequence_flows.setdefault(source, []).append(node)
                self._incoming.setdefault(target, {}).setdefault(source, node_id)
            elif tag == "boundaryEvent":
                if node.find(prefix + "compensateEventDefinition") is not None:
                    boundaries.append(node)  # not a boundary event at run time: see below
                    continue
                self.boundary_events_by_attached.setdefault(node.get("attachedToRef"), []).append(
                    node
                )
            elif tag == "association":
                associations[node.get("sourceRef")] = node.get("targetRef")
        # A compensation boundary event only names its activity's compensation handler.
        self.compensation = {
            b.get("attachedToRef"): associations[b.get("id")]
            for b in boundaries
            if b.get("id") in associations
        }

        self._link_throws_to_catches(prefix)

    def _link_throws_to_catches(self, prefix: str) -> None:
        # A link throw event continues at the link catch event of the same name in the same
        # scope: a sequence flow between the two (not recorded as a flow in history).
        catches: dict[tuple[str | None, str], str] = {}
        throws: list[tuple[Any, tuple[str | None, str]]] = []
        for node in self.nodes_by_id.values():
            link = node.find(f"{prefix}linkEventDefinition")
            if link is None or not (link.get("name") or "").strip():
                continue
            key = (node.getparent().get("id"), link.get("name").strip())
            if node.tag == f"{prefix}intermediateCatchEvent":
                catches[key] = node.get("id")
            elif node.tag == f"{prefix}intermediateThrowEvent":
                throws.append((node, key))
        for node, link_key in throws:
            target = catches.get(link_key)
            if target is not None:
                flow = etree.Element(
                    f"{prefix}sequenceFlow",
                    id=f"{node.get('id')}.link",
                    sourceRef=node.get("id"),
                    targetRef=target,
                )
                self.outgoing_sequence_flows.setdefault(node.get("id"), []).append(flow)

    def _parse(self) -> None:
        # Camunda ignores data objects, data stores and a process's ioSpecification; the
        # public `parse_data_object` cannot skip one (`_parse` stores what it returns).
        self.spec = self.create_spec()  # type: ignore[attr-defined]
        self.spec.data_stores = {}
        self.spec.process_listeners = read_listeners(self.node, "executionListener")
        self.add_tasks()  # type: ignore[attr-defined]
        for node in self.xpath("./bpmn:*[@isForCompensation='true']"):
            self.parse_node(node)  # reached by no flow: compensation starts it


class BpmnParserOverrides:
    """Which parts of a file are read (mixed into our `BpmnParser` subclass)."""

    namespaces: dict[str, str]

    def _add_data_stores(self, bpmn: Any) -> None:
        # Camunda 7 does not execute data stores; SpiffWorkflow refuses any it has no class
        # for, and its public `DATA_STORE_CLASSES` cannot say "ignore every one".
        pass

    def _add_processes(self, bpmn: Any, filename: str | None = None) -> None:
        # Camunda deploys only executable processes: a non-executable one (a collaboration's
        # other pool) is not parsed. A call activity starts a separate instance, so the
        # processes it calls are no dependencies of this one's spec.
        for process in bpmn.xpath(".//bpmn:process", namespaces=self.namespaces):
            if process.get("isExecutable", "true") != "true":
                continue
            self.create_parser(process, filename)  # type: ignore[attr-defined]
