"""The process parser: indexes BPMN elements, sequence flows, links and compensation handlers."""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser

from modelop_mlc._engine.listeners import read_listeners
from modelop_mlc._engine.xml import BPMN_NS

__all__ = ["MlcProcessParser"]


class MlcProcessParser(ProcessParser):
    """A process: indexes only BPMN elements and records sequence flows for history."""

    def _index_process_nodes(self) -> None:
        # SpiffWorkflow 3.2 indexes every element with an id, in every namespace, so a
        # camunda:formField whose id equals a task id hijacks that task.
        self._incoming: dict[str, dict[str, str]] = {}
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
        self.compensation: dict[str, str] = {
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

    def incoming_flows(self, bpmn_id: str | None) -> dict[str, str]:
        """Map source element id → sequence flow id for flows into `bpmn_id`."""
        return dict(self._incoming.get(bpmn_id or "", {}))

    def parse_data_object(self, obj: Any) -> Any:
        return None

    def _parse(self) -> None:
        self.spec = self.create_spec()
        self.spec.data_stores = {}
        self.spec.process_listeners = read_listeners(self.node, "executionListener")
        self.add_tasks()
        for node in self.xpath("./bpmn:*[@isForCompensation='true']"):
            self.parse_node(node)  # reached by no flow: compensation starts it
