"""BPMN XML as the drawing code reads it: namespaces, element families, a safe parser."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

__all__ = [
    "ACTIVITIES",
    "BPMN",
    "BPMNDI",
    "CONTAINERS",
    "DC",
    "DI",
    "EVENTS",
    "FLOW_NODES",
    "GATEWAYS",
    "escape",
    "local",
    "parse",
]

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"

EVENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
    }
)
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "manualTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    }
)
FLOW_NODES = EVENTS | GATEWAYS | ACTIVITIES
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def local(tag: str) -> str:
    """The tag without its namespace (`{...MODEL}userTask` -> `userTask`)."""
    return tag.rsplit("}", 1)[-1]


def parse(xml: str) -> ET.Element:
    """Parse BPMN XML, refusing any DOCTYPE.

    Raises:
        ValueError: If the XML has a DOCTYPE or entity declaration, or is not well-formed.
    """
    # The manager refused DOCTYPEs at deploy time; refusing them again keeps this parser
    # out of entity expansion even if someone hands it other XML.
    if _DOCTYPE.search(xml):
        raise ValueError("BPMN with a DOCTYPE is not accepted")
    try:
        return ET.fromstring(xml.encode("utf-8"))  # noqa: S314 - checked above; no entities
    except ET.ParseError as err:
        raise ValueError(f"the BPMN XML is not well-formed: {err}") from None


def escape(text: str | None) -> str:
    """Escape text for HTML and SVG."""
    return html.escape(text or "", quote=True)
