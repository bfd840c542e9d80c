"""Compile BPMN XML into process specs and the metadata the manager indexes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from modelop_mlc._engine._collections import collection_paused
from modelop_mlc._engine.parser import MlcBpmnParser
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS, NSMAP, XmlSource, load_xml
from modelop_mlc.errors import DiagramError, ProblemReport

__all__ = [
    "CompiledProcess",
    "ElementInfo",
    "ProcessSpecs",
    "StartEventInfo",
    "build_specs",
    "digest",
    "element_index",
    "problem_from_spiff",
    "read_processes",
]

_C = "{" + CAMUNDA_NS + "}"
_B = "{" + BPMN_NS + "}"


def digest(data: bytes) -> str:
    """Return the SHA-256 hex digest of a resource (duplicate-deployment filtering)."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StartEventInfo:
    """A start event of a process: how instances of it can begin."""

    id: str
    name: str | None
    kind: str  # none | signal | message | timer | conditional
    event_name: str | None = None  # the signal or message name
    timer_kind: str | None = None  # timeDate | timeDuration | timeCycle
    timer_value: str | None = None
    form_key: str | None = None  # camunda:formKey (or formRef) of a start form
    form_fields: tuple[dict[str, Any], ...] = ()  # its camunda:formField id, label, type, default


@dataclass(frozen=True)
class ElementInfo:
    """A flow node or sequence flow, for history, coverage and error messages."""

    id: str
    type: str
    name: str | None
    line: int | None
    process_id: str
    source: str | None = None
    target: str | None = None
    camunda_type: str | None = None


@dataclass(frozen=True)
class CompiledProcess:
    """One executable process from a BPMN file."""

    id: str
    name: str | None
    version_tag: str | None
    start_events: tuple[StartEventInfo, ...]
    properties: Mapping[str, str]
    called_elements: frozenset[str]
    decision_refs: frozenset[str]
    elements: Mapping[str, ElementInfo] = field(default_factory=dict)
    history_ttl_days: int | None = None


@dataclass(frozen=True)
class ProcessSpecs:
    """A parsed process spec plus the specs of its sub-processes."""

    spec: Any
    subprocess_specs: Mapping[str, Any]


def element_index(root: Any) -> dict[str, ElementInfo]:
    """Index every BPMN element with an id by id (type, name, line, process)."""
    index: dict[str, ElementInfo] = {}
    for process in root.iter(f"{_B}process"):
        pid = process.get("id")
        for node in process.iter():
            if not isinstance(node.tag, str) or not node.tag.startswith(_B):
                continue
            node_id = node.get("id")
            if node_id is None or node is process:
                continue
            index[node_id] = ElementInfo(
                id=node_id,
                type=node.tag[len(_B) :],
                name=node.get("name"),
                line=node.sourceline,
                process_id=pid,
                source=node.get("sourceRef"),
                target=node.get("targetRef"),
                camunda_type=camunda_activity_type(node),
            )
    return index


# Camunda's history names an event by its kind and definition (`ActivityTypes`).
_EVENT_TYPES = {
    "startEvent": {
        None: "startEvent",
        "timer": "startTimerEvent",
        "message": "messageStartEvent",
        "signal": "signalStartEvent",
        "escalation": "escalationStartEvent",
        "compensate": "compensationStartEvent",
        "error": "errorStartEvent",
        "conditional": "conditionalStartEvent",
    },
    "intermediateCatchEvent": {
        None: "intermediateCatchEvent",
        "message": "intermediateMessageCatch",
        "timer": "intermediateTimer",
        "link": "intermediateLinkCatch",
        "signal": "intermediateSignalCatch",
        "conditional": "intermediateConditional",
    },
    "intermediateThrowEvent": {
        None: "intermediateNoneThrowEvent",
        "signal": "intermediateSignalThrow",
        "compensate": "intermediateCompensationThrowEvent",
        "message": "intermediateMessageThrowEvent",
        "escalation": "intermediateEscalationThrowEvent",
        "link": "intermediateLinkThrowEvent",
    },
    "endEvent": {
        None: "noneEndEvent",
        "error": "errorEndEvent",
        "cancel": "cancelEndEvent",
        "terminate": "terminateEndEvent",
        "message": "messageEndEvent",
        "signal": "signalEndEvent",
        "compensate": "compensationEndEvent",
        "escalation": "escalationEndEvent",
    },
    "boundaryEvent": {
        None: "boundaryEvent",
        "timer": "boundaryTimer",
        "message": "boundaryMessage",
        "signal": "boundarySignal",
        "compensate": "compensationBoundaryCatch",
        "error": "boundaryError",
        "escalation": "boundaryEscalation",
        "cancel": "cancelBoundaryCatch",
        "conditional": "boundaryConditional",
    },
}


def camunda_activity_type(node: Any) -> str:
    """The `activityType` Camunda's history gives a BPMN element (`intermediateSignalCatch`)."""
    tag = node.tag.removeprefix(_B)
    kinds = _EVENT_TYPES.get(tag)
    if kinds is None:
        return str(tag)
    kind = None
    for child in node:
        child_tag = child.tag if isinstance(child.tag, str) else ""
        if child_tag.startswith(_B) and child_tag.endswith("EventDefinition"):
            kind = child_tag[len(_B) : -len("EventDefinition")]
            break
    return kinds.get(kind, kinds[None])


def _start_events(process: Any) -> tuple[StartEventInfo, ...]:
    root = process.getroottree().getroot()
    signals = {s.get("id"): s.get("name") for s in root.iter(f"{_B}signal")}
    messages = {m.get("id"): m.get("name") for m in root.iter(f"{_B}message")}
    found = []
    for node in process.findall(f"{_B}startEvent"):
        kind, event_name, timer_kind, timer_value = "none", None, None, None
        if (definition := node.find(f"{_B}signalEventDefinition")) is not None:
            kind = "signal"
            event_name = signals.get(definition.get("signalRef")) or node.get("name")
        elif (definition := node.find(f"{_B}messageEventDefinition")) is not None:
            kind = "message"
            event_name = messages.get(definition.get("messageRef")) or node.get("name")
        elif (definition := node.find(f"{_B}timerEventDefinition")) is not None:
            kind = "timer"
            for tag in ("timeDate", "timeDuration", "timeCycle"):
                child = definition.find(f"{_B}{tag}")
                if child is not None:
                    timer_kind, timer_value = tag, (child.text or "").strip()
        elif node.find(f"{_B}conditionalEventDefinition") is not None:
            kind = "conditional"
        fields = tuple(
            {
                "id": f.get("id"),
                "label": f.get("label"),
                "type": f.get("type") or "string",
                "default_value": f.get("defaultValue"),
            }
            for f in node.xpath(".//camunda:formData/camunda:formField", namespaces=NSMAP)
        )
        found.append(
            StartEventInfo(
                node.get("id"),
                node.get("name"),
                kind,
                event_name,
                timer_kind,
                timer_value,
                node.get(f"{_C}formKey") or node.get(f"{_C}formRef"),
                fields,
            )
        )
    return tuple(found)


def history_ttl_days(text: str) -> int:
    """Read `camunda:historyTimeToLive` as Camunda does: whole days, `30` or `P30D`.

    Raises:
        ValueError: If it is neither, or negative.
    """
    value = text.strip()
    match = re.fullmatch(r"(?:P(\d{1,9})D|([+-]?\d{1,9}))", value)
    if match is None:
        raise ValueError(
            f"camunda:historyTimeToLive '{text}' is not a number of days; write whole days "
            "as '30' or 'P30D' (Camunda accepts only days)"
        )
    days = int(match.group(1) or match.group(2))
    if days < 0:
        raise ValueError(f"camunda:historyTimeToLive '{text}' is negative; write 0 days or more")
    return days


def read_processes(root: Any) -> list[CompiledProcess]:
    """Describe every executable process in a parsed BPMN document."""
    index = element_index(root)
    processes = []
    for process in root.iter(f"{_B}process"):
        if process.get("isExecutable", "true") != "true":
            continue
        pid = process.get("id")
        props = {
            p.get("name"): p.get("value")
            for p in process.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NSMAP
            )
        }
        called = {
            n.get("calledElement")
            for n in process.iter(f"{_B}callActivity")
            if n.get("calledElement")
        }
        decisions = {
            n.get(f"{_C}decisionRef")
            for n in process.iter(f"{_B}businessRuleTask")
            if n.get(f"{_C}decisionRef")
        }
        processes.append(
            CompiledProcess(
                id=pid,
                name=process.get("name"),
                version_tag=process.get(f"{_C}versionTag"),
                history_ttl_days=_ttl(process),
                start_events=_start_events(process),
                properties=props,
                called_elements=frozenset(called),
                decision_refs=frozenset(decisions),
                elements={
                    k: v
                    for k, v in index.items()
                    if v.process_id == pid or _inside(process, k, index)
                },
            )
        )
    return processes


def _ttl(process: Any) -> int | None:
    text = process.get(f"{_C}historyTimeToLive")
    return None if text is None or not text.strip() else history_ttl_days(text)


def _inside(process: Any, element_id: str, index: Mapping[str, ElementInfo]) -> bool:
    info = index[element_id]
    return any(sub.get("id") == info.process_id for sub in process.iter(f"{_B}subProcess"))


def problem_from_spiff(
    err: ValidationException, index: Mapping[str, ElementInfo], file: str
) -> ProblemReport:
    """Turn a SpiffWorkflow `ValidationException` into our problem report."""
    element_id = getattr(err, "id", None) or None
    info = index.get(element_id) if element_id else None
    message = str(err.args[0]) if err.args else str(err)
    return ProblemReport(
        message=message,
        element_id=element_id,
        element_name=(info.name if info else getattr(err, "name", None)) or None,
        line=info.line if info else None,
        file=file,
    )


@collection_paused()
def build_specs(process_id: str, sources: list[XmlSource]) -> ProcessSpecs:
    """Parse `sources` into the specs of one process (its sub-processes included).

    The processes its call activities call are not needed: each call starts a separate
    instance of the called process, with that process's own specs.

    Raises:
        DiagramError: If the process cannot be parsed.
    """
    parser = MlcBpmnParser()
    roots: dict[str, Any] = {}
    for source in sources:
        root = load_xml(source)
        roots[source.name] = root
        try:
            parser.add_bpmn_xml(root, filename=source.name)
        except ValidationException as err:
            raise DiagramError(
                [problem_from_spiff(err, element_index(root), source.name)], file=source.name
            ) from None
    try:
        spec = parser.get_spec(process_id)
        subs = parser.get_subprocess_specs(process_id)
    except ValidationException as err:
        name = getattr(err, "file_name", "") or (sources[0].name if sources else "")
        index: dict[str, ElementInfo] = {}
        for root in roots.values():
            index.update(element_index(root))
        raise DiagramError([problem_from_spiff(err, index, name)], file=name) from None
    return ProcessSpecs(spec=spec, subprocess_specs=subs)
