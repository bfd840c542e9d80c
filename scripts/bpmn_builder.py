"""A small BPMN writer with automatic layout, used to produce the shipped diagrams in bpmn/.

The .bpmn files it writes are the source of truth (edit them in Camunda Modeler if you like);
this builder only saves drawing every shape by hand. Layout: elements are placed left to
right by their longest distance from the start, branches stacked vertically; boundary events
sit on their task's lower edge; event sub-processes are drawn below the main flow.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, field
from typing import Any

from modelop_mlc import element_templates
from modelop_mlc.element_templates._delegates import template_id
from modelop_mlc.element_templates._xml import element_parts, output_name

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:modeler="http://camunda.org/schema/modeler/1.0"'
)
SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}
TASK_TAGS = {
    "serviceTask",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "callActivity",
    "sendTask",
    "receiveTask",
    "task",
    "subProcess",
}
GATEWAY_TAGS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
COLUMN = 150
ROW = 130
Inputs = dict[str, str | dict[str, str]]


def esc(text: str) -> str:
    """Escape text for XML content and attributes."""
    return html.escape(text, quote=True)


@dataclass
class Node:
    """A flow node."""

    id: str
    tag: str
    name: str | None
    attrs: dict[str, str] = field(default_factory=dict)
    body: str = ""
    attached_to: str | None = None

    @property
    def kind(self) -> str:
        """event, gateway or task (for the shape size)."""
        if self.tag in TASK_TAGS:
            return "task"
        if self.tag in GATEWAY_TAGS:
            return "gateway"
        return "event"


@dataclass
class Flow:
    """A sequence flow."""

    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None


class Process:
    """One process (or event sub-process) being built."""

    def __init__(self, pid: str, name: str, *, executable: bool = True) -> None:
        """Start a process."""
        self.id = pid
        self.name = name
        self.executable = executable
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.defaults: dict[str, str] = {}
        self.subprocesses: list[Process] = []
        self.properties: dict[str, str] = {}
        self.documentation: str | None = None
        self.event_sub: dict[str, Any] | None = None
        self.main_end: str | None = None

    # ------------------------------------------------------------ elements

    def add(
        self, tag: str, node_id: str, name: str | None = None, body: str = "", **attrs: str
    ) -> str:
        """Add an element; returns its id."""
        self.nodes[node_id] = Node(node_id, tag, name, dict(attrs), body)
        return node_id

    def start(
        self,
        node_id: str,
        name: str | None = None,
        *,
        signal: str | None = None,
        timer_cycle: str | None = None,
        message: str | None = None,
        error: str | None = None,
        interrupting: bool = True,
    ) -> str:
        """A start event (none, signal, timer cycle, message or error)."""
        body = ""
        if signal:
            body = f'<bpmn:signalEventDefinition signalRef="{signal}" />'
        elif timer_cycle:
            body = (
                f'<bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:'
                f'tFormalExpression">{esc(timer_cycle)}</bpmn:timeCycle>'
                "</bpmn:timerEventDefinition>"
            )
        elif message:
            body = f'<bpmn:messageEventDefinition messageRef="{message}" />'
        elif error:
            body = (
                f'<bpmn:errorEventDefinition errorRef="{error}" '
                'camunda:errorMessageVariable="ERROR_MESSAGE" />'
            )
        attrs = {} if interrupting else {"isInterrupting": "false"}
        return self.add("startEvent", node_id, name, body, **attrs)

    def end(
        self,
        node_id: str,
        name: str | None = None,
        *,
        terminate: bool = False,
        error: str | None = None,
    ) -> str:
        """An end event (plain, terminate, or throwing the error `error`)."""
        body = "<bpmn:terminateEventDefinition />" if terminate else ""
        if error:
            body = f'<bpmn:errorEventDefinition errorRef="{error}" />'
        return self.add("endEvent", node_id, name, body)

    def service(
        self,
        node_id: str,
        name: str,
        delegate: str,
        *,
        inputs: Inputs | None = None,
        outputs: dict[str, str] | None = None,
        retry: str | None = None,
    ) -> str:
        """A service task drawn with the delegate's element template, as Camunda Modeler would.

        It carries the template's id and version, its `camunda:class` and every input and
        output of the template: `inputs` are values typed into input fields (a dict becomes
        a Groovy map), `outputs` map a variable to write to the delegate's output
        (`{"TEST_JOB": "${JOB}"}`); the other fields keep their defaults.

        Raises:
            ValueError: If `inputs` or `outputs` name a field the template does not have.
        """
        template = delegate_template(delegate)
        fields = {
            p["binding"]["name"]
            for p in template["properties"]
            if p["binding"]["type"] == "camunda:inputParameter"
        }
        produced = {output_name(p) for p in template["properties"]} - {None}
        chosen = {
            source.removeprefix("${").removesuffix("}"): target
            for target, source in (outputs or {}).items()
        }
        unknown = sorted((set(inputs or {}) - fields) | (set(chosen) - produced))
        if unknown:
            raise ValueError(f"{delegate}'s template has no field for {', '.join(unknown)}")
        typed = {k: v if isinstance(v, str) else _groovy_map(v) for k, v in (inputs or {}).items()}
        retry_xml = (
            f"<camunda:failedJobRetryTimeCycle>{retry}</camunda:failedJobRetryTimeCycle>"
            if retry
            else ""
        )
        attrs, body = element_parts(template, inputs=typed, outputs=chosen, extensions=retry_xml)
        return self.add("serviceTask", node_id, name, body, **attrs)

    def script(self, node_id: str, name: str, code: str) -> str:
        """A Python script task."""
        return self.add(
            "scriptTask",
            node_id,
            name,
            f"<bpmn:script>{esc(code)}</bpmn:script>",
            scriptFormat="python",
        )

    def user(
        self,
        node_id: str,
        name: str,
        *,
        groups: str,
        fields: str = "",
        assignee: str | None = None,
        due: str | None = None,
    ) -> str:
        """A user task with candidate groups, an optional generated form and due date."""
        attrs = {"camunda:candidateGroups": groups}
        if assignee:
            attrs["camunda:assignee"] = assignee
        if due:
            attrs["camunda:dueDate"] = due
        body = (
            (
                f"<bpmn:extensionElements><camunda:formData>{fields}</camunda:formData>"
                "</bpmn:extensionElements>"
            )
            if fields
            else ""
        )
        return self.add("userTask", node_id, name, body, **attrs)

    def business_rule(
        self, node_id: str, name: str, decision: str, *, result: str, mapping: str = "singleResult"
    ) -> str:
        """A business rule task evaluating the DMN decision `decision` into `result`."""
        return self.add(
            "businessRuleTask",
            node_id,
            name,
            **{
                "camunda:decisionRef": decision,
                "camunda:resultVariable": result,
                "camunda:mapDecisionResult": mapping,
            },
        )

    def xor(self, node_id: str, name: str) -> str:
        """An exclusive gateway (its default flow is set by `flow(default=True)`)."""
        return self.add("exclusiveGateway", node_id, name)

    def call(
        self,
        node_id: str,
        name: str,
        called: str,
        *,
        ins: dict[str, str],
        outs: dict[str, str] | None = None,
        collection: str | None = None,
        element: str | None = None,
    ) -> str:
        """A call activity, optionally multi-instance over a collection."""
        mappings = "".join(
            f'<camunda:in {"sourceExpression" if "${" in s else "source"}="{esc(s)}" '
            f'target="{t}" />'
            for t, s in ins.items()
        )
        mappings += "".join(
            f'<camunda:out source="{s}" target="{t}" />' for t, s in (outs or {}).items()
        )
        loop = ""
        if collection:
            loop = (
                f'<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
                f'camunda:collection="{esc(collection)}" '
                f'camunda:elementVariable="{element}" />'
            )
        return self.add(
            "callActivity",
            node_id,
            name,
            f"<bpmn:extensionElements>{mappings}</bpmn:extensionElements>{loop}",
            calledElement=called,
        )

    def boundary_error(
        self, node_id: str, attached: str, error: str = "Error_FAILURE", name: str | None = None
    ) -> str:
        """An interrupting error boundary event storing the message in ERROR_MESSAGE."""
        self.nodes[node_id] = Node(
            node_id,
            "boundaryEvent",
            name,
            {"attachedToRef": attached},
            f'<bpmn:errorEventDefinition errorRef="{error}" '
            'camunda:errorMessageVariable="ERROR_MESSAGE" />',
            attached_to=attached,
        )
        return node_id

    def boundary_timer(self, node_id: str, attached: str, *, date: str, name: str) -> str:
        """An interrupting timer boundary event firing at the date `date` (an expression)."""
        self.nodes[node_id] = Node(
            node_id,
            "boundaryEvent",
            name,
            {"attachedToRef": attached},
            '<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
            f"{esc(date)}</bpmn:timeDate></bpmn:timerEventDefinition>",
            attached_to=attached,
        )
        return node_id

    def flow(
        self,
        source: str,
        target: str,
        *,
        condition: str | None = None,
        name: str | None = None,
        default: bool = False,
        flow_id: str | None = None,
    ) -> str:
        """A sequence flow; `default=True` makes it its gateway's default flow."""
        fid = flow_id or f"Flow_{source}_{target}"
        self.flows.append(Flow(fid, source, target, name, condition))
        if default:
            self.defaults[source] = fid
        return fid

    def chain(self, *ids: str) -> None:
        """Flows linking `ids` in order."""
        for source, target in zip(ids, ids[1:], strict=False):
            self.flow(source, target)

    def event_subprocess(self, sub_id: str, name: str) -> Process:
        """An event sub-process (drawn below the main flow)."""
        sub = Process(sub_id, name)
        self.subprocesses.append(sub)
        return sub

    # ------------------------------------------------------------ layout

    def layout(self, origin: tuple[int, int]) -> tuple[dict[str, tuple[int, int]], int, int]:
        """Place every node; return positions, width and height."""
        outgoing: dict[str, list[str]] = {}
        for f in self.flows:
            outgoing.setdefault(f.source, []).append(f.target)
        starts = [
            n.id for n in self.nodes.values() if n.tag == "startEvent" and n.attached_to is None
        ]
        layer: dict[str, int] = {}
        order: list[str] = []
        back: set[tuple[str, str]] = set()
        stack: set[str] = set()

        def visit(node: str, depth: int) -> None:
            if node in stack:
                return
            if node in layer and layer[node] >= depth:
                return
            if node not in layer:
                order.append(node)
            layer[node] = depth
            stack.add(node)
            targets = list(outgoing.get(node, []))
            for boundary in [b.id for b in self.nodes.values() if b.attached_to == node]:
                if boundary not in layer:
                    order.append(boundary)
                layer[boundary] = depth
                for t in outgoing.get(boundary, []):
                    visit(t, depth + 1)
            for target in targets:
                if target in stack:
                    back.add((node, target))
                    continue
                visit(target, depth + 1)
            stack.discard(node)

        for start in starts:
            visit(start, 0)
        row_of = self._rows(order, layer, outgoing, back)
        positions: dict[str, tuple[int, int]] = {}
        for node_id, row in row_of.items():
            w, h = SIZES[self.nodes[node_id].kind]
            cx = origin[0] + 60 + layer[node_id] * COLUMN
            cy = origin[1] + 80 + row * ROW
            positions[node_id] = (cx - w // 2, cy - h // 2)
        rows = {0: max(row_of.values(), default=0) + 1}
        for node in self.nodes.values():
            if node.attached_to is not None and node.attached_to in positions:
                x, y = positions[node.attached_to]
                positions[node.id] = (x + 62, y + 62)
        width = (max(layer.values(), default=0) + 1) * COLUMN
        height = (max(rows.values(), default=1)) * ROW + 30
        self.back_edges = back
        return positions, width, height

    def _rows(
        self,
        order: list[str],
        layer: dict[str, int],
        outgoing: dict[str, list[str]],
        back: set[tuple[str, str]],
    ) -> dict[str, int]:
        """Rows: the main path (start to `main_end`) on row 0, branches below, no overlaps."""
        forward = {n: [t for t in outgoing.get(n, []) if (n, t) not in back] for n in layer}
        ends = [n for n in layer if self.nodes[n].tag == "endEvent"]
        target = self.main_end or max(ends, key=lambda n: layer[n], default=None)
        main: list[str] = []
        if target is not None:
            # longest forward path from a start to the target
            best: dict[str, list[str]] = {}
            for node in sorted(layer, key=lambda n: -layer[n]):
                if node == target:
                    best[node] = [node]
                    continue
                tails = [best[t] for t in forward.get(node, []) if t in best]
                if tails:
                    best[node] = [node, *max(tails, key=len)]
            starts = [n for n in order if self.nodes[n].tag == "startEvent" and n in best]
            main = max((best[s] for s in starts), key=len, default=[])
        row_of = dict.fromkeys(main, 0)
        taken = {(layer[n], 0) for n in main}
        predecessors: dict[str, list[str]] = {}
        for source, targets in forward.items():
            for t in targets:
                predecessors.setdefault(t, []).append(source)
        for node in sorted(order, key=lambda n: layer[n]):
            if node in row_of or self.nodes[node].attached_to is not None:
                continue
            placed = [row_of[p] for p in predecessors.get(node, []) if p in row_of]
            desired = max(placed, default=0)
            if any(p in main for p in predecessors.get(node, [])) or not placed:
                desired = max(desired, 1)
            row = desired
            while (layer[node], row) in taken:
                row += 1
            row_of[node] = row
            taken.add((layer[node], row))
        return row_of

    # ------------------------------------------------------------ XML

    def xml(self, *, nested: bool = False) -> str:
        """The process (or sub-process) element."""
        parts = []
        if self.documentation:
            parts.append(f"<bpmn:documentation>{esc(self.documentation)}</bpmn:documentation>")
        if self.properties:
            props = "".join(
                f'<camunda:property name="{esc(k)}" value="{esc(v)}" />'
                for k, v in self.properties.items()
            )
            parts.append(
                f"<bpmn:extensionElements><camunda:properties>{props}"
                "</camunda:properties></bpmn:extensionElements>"
            )
        for node in self.nodes.values():
            attrs = dict(node.attrs)
            if node.id in self.defaults:
                attrs["default"] = self.defaults[node.id]
            text = " ".join(f'{k}="{esc(v)}"' for k, v in attrs.items())
            label = f' name="{esc(node.name)}"' if node.name else ""
            parts.append(
                f'<bpmn:{node.tag} id="{node.id}"{label} {text}>{node.body}</bpmn:{node.tag}>'
            )
        for f in self.flows:
            label = f' name="{esc(f.name)}"' if f.name else ""
            if f.condition:
                parts.append(
                    f'<bpmn:sequenceFlow id="{f.id}"{label} sourceRef="{f.source}" '
                    f'targetRef="{f.target}"><bpmn:conditionExpression '
                    f'xsi:type="bpmn:tFormalExpression">{esc(f.condition)}'
                    "</bpmn:conditionExpression></bpmn:sequenceFlow>"
                )
            else:
                parts.append(
                    f'<bpmn:sequenceFlow id="{f.id}"{label} sourceRef="{f.source}" '
                    f'targetRef="{f.target}" />'
                )
        for sub in self.subprocesses:
            parts.append(
                f'<bpmn:subProcess id="{sub.id}" name="{esc(sub.name)}" '
                f'triggeredByEvent="true">{sub.xml(nested=True)}</bpmn:subProcess>'
            )
        inner = "\n    ".join(parts)
        if nested:
            return inner
        exe = "true" if self.executable else "false"
        return (
            f'<bpmn:process id="{self.id}" name="{esc(self.name)}" isExecutable="{exe}" '
            f'camunda:historyTimeToLive="P180D">\n    {inner}\n  </bpmn:process>'
        )

    def diagram(self, origin: tuple[int, int] = (150, 60)) -> tuple[str, int]:
        """The DI shapes and edges; returns (xml, height used)."""
        positions, width, height = self.layout(origin)
        shapes, edges = [], []
        for node_id, (x, y) in positions.items():
            node = self.nodes[node_id]
            w, h = SIZES[node.kind]
            extra = ' isMarkerVisible="true"' if node.tag == "exclusiveGateway" else ""
            shapes.append(
                f'<bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}"{extra}>'
                f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />'
                "</bpmndi:BPMNShape>"
            )
        for f in self.flows:
            if f.source not in positions or f.target not in positions:
                continue
            points = self._waypoints(f, positions)
            waypoints = "".join(f'<di:waypoint x="{px}" y="{py}" />' for px, py in points)
            edges.append(
                f'<bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">{waypoints}'
                "</bpmndi:BPMNEdge>"
            )
        y = origin[1] + height + 20
        for sub in self.subprocesses:
            sub_xml, sub_height = sub.diagram((origin[0] + 40, y + 20))
            _, sub_width, _ = sub.layout((origin[0] + 40, y + 20))
            shapes.append(
                f'<bpmndi:BPMNShape id="{sub.id}_di" bpmnElement="{sub.id}" '
                f'isExpanded="true"><dc:Bounds x="{origin[0]}" y="{y}" '
                f'width="{sub_width + 40}" height="{sub_height + 20}" />'
                "</bpmndi:BPMNShape>"
            )
            shapes.append(sub_xml)
            y += sub_height + 60
        return "\n      ".join(shapes + edges), y - origin[1]

    def _waypoints(self, f: Flow, positions: dict[str, tuple[int, int]]) -> list[tuple[int, int]]:
        sx, sy = positions[f.source]
        tx, ty = positions[f.target]
        sw, sh = SIZES[self.nodes[f.source].kind]
        tw, th = SIZES[self.nodes[f.target].kind]
        if self.nodes[f.source].attached_to is not None:
            start = (sx + sw // 2, sy + sh)
            end = (tx, ty + th // 2)
            return [start, (start[0], end[1]), end]
        start = (sx + sw, sy + sh // 2)
        end = (tx, ty + th // 2)
        if (f.source, f.target) in getattr(self, "back_edges", set()) or tx <= sx:
            # a loop back: under everything between, then up the gap left of the target
            below = max(sy + sh, ty + th) + 30
            gap = tx - (COLUMN - tw) // 2
            return [
                (sx + sw // 2, sy + sh),
                (sx + sw // 2, below),
                (gap, below),
                (gap, ty + th // 2),
                (tx, ty + th // 2),
            ]
        if start[1] == end[1] and tx - (sx + sw) > COLUMN:
            # a bypass on the main row: route it above the shapes it skips
            above = min(sy, ty) - 40
            return [
                (sx + sw // 2, sy),
                (sx + sw // 2, above),
                (tx + tw // 2, above),
                (tx + tw // 2, ty),
            ]
        if start[1] == end[1]:
            return [start, end]
        middle = (start[0] + end[0]) // 2
        return [start, (middle, start[1]), (middle, end[1]), end]


def _groovy_map(value: dict[str, str]) -> str:
    """A map typed into a template's Groovy field: `[key: "value"]`."""
    return "[" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "]"


@functools.cache
def _templates() -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in element_templates.shipped()}


def delegate_template(delegate: str) -> dict[str, Any]:
    """The shipped element template of `delegate`.

    Raises:
        ValueError: If no template has that delegate (run scripts/element_templates.py).
    """
    found = _templates().get(template_id(delegate))
    if found is None:
        raise ValueError(f"no element template for delegate {delegate}")
    return found


def document(
    processes: list[Process],
    *,
    signals: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    messages: dict[str, str] | None = None,
    definitions_id: str,
) -> str:
    """A complete .bpmn file with one diagram per process."""
    globals_xml = "".join(
        f'<bpmn:signal id="{i}" name="{esc(n)}" />' for i, n in (signals or {}).items()
    )
    globals_xml += "".join(
        f'<bpmn:error id="{i}" name="{esc(c)}" errorCode="{esc(c)}" />'
        for i, c in (errors or {}).items()
    )
    globals_xml += "".join(
        f'<bpmn:message id="{i}" name="{esc(n)}" />' for i, n in (messages or {}).items()
    )
    bodies = "\n  ".join(p.xml() for p in processes)
    diagrams = []
    for index, process in enumerate(processes):
        shapes, _ = process.diagram()
        diagrams.append(
            f'<bpmndi:BPMNDiagram id="BPMNDiagram_{index + 1}">'
            f'<bpmndi:BPMNPlane id="BPMNPlane_{index + 1}" bpmnElement="{process.id}">\n      '
            f"{shapes}\n    </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'id="{definitions_id}" targetNamespace="http://bpmn.io/schema/bpmn" '
        'exporter="modelop_mlc diagram builder" exporterVersion="1.0" '
        'modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.21.0">'
        f"\n  {bodies}\n  {globals_xml}\n  " + "\n  ".join(diagrams) + "\n</bpmn:definitions>\n"
    )
