"""Safe XML loading for BPMN and DMN files: no DTDs, no entities, no network."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from modelop_mlc.errors import DiagramError, ProblemReport

__all__ = [
    "BPMNDI_NS",
    "BPMN_NS",
    "CAMUNDA_NS",
    "DC_NS",
    "NSMAP",
    "XmlSource",
    "load_xml",
    "read_source",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "camunda": CAMUNDA_NS}

# A DOCTYPE is the only way to declare entities; BPMN and DMN never need one, so refusing it
# outright closes billion-laughs and external-entity attacks before lxml sees the document.
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_MAX_BYTES = 20 * 1024 * 1024
_DECLARED = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


@dataclass(frozen=True)
class XmlSource:
    """The raw bytes of a BPMN or DMN resource and the name it is known by."""

    data: bytes
    name: str


def read_source(source: str | bytes | os.PathLike[str], *, name: str | None = None) -> XmlSource:
    """Read a path, an XML string or XML bytes into an `XmlSource`.

    A `str` that starts with `<` (after whitespace) is XML text; any other `str` is a path.

    Raises:
        DiagramError: If a path cannot be read or the resource is too large.
    """
    if isinstance(source, bytes):
        return _checked(XmlSource(source, name or "<bytes>"))
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return _checked(XmlSource(source.encode("utf-8"), name or "<string>"))
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DiagramError(
            [ProblemReport(f"cannot read the file: {err.strerror or err}", file=str(path))],
            file=str(path),
        ) from err
    return _checked(XmlSource(data, name or path.name))


def _checked(source: XmlSource) -> XmlSource:
    if len(source.data) > _MAX_BYTES:
        raise DiagramError(
            [ProblemReport(f"the file is larger than {_MAX_BYTES // (1024 * 1024)} MiB")],
            file=source.name,
        )
    return XmlSource(_as_utf8(source.data, source.name), source.name)


def _encoding(data: bytes) -> str:
    """The encoding a document is written in: its byte-order mark, else its declaration."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name
    declared = _DECLARED.match(data)
    return declared.group(1).decode("ascii") if declared else "utf-8"


def _as_utf8(data: bytes, name: str) -> bytes:
    """The document in UTF-8, its declaration saying so.

    Everything downstream (the DOCTYPE check, storing the resource as text, parsing it again
    later) reads UTF-8; a UTF-16 or Latin-1 file is transcoded once here, so that `validate()`
    and `deploy()` read it alike. Lines are kept, so problems still name the right line.

    Raises:
        DiagramError: If the encoding is unknown or the bytes are not in it.
    """
    encoding = _encoding(data)
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise DiagramError(
            [
                ProblemReport(
                    f"the document declares the unknown encoding '{encoding}'; save it as UTF-8",
                    line=1,
                    file=name,
                )
            ],
            file=name,
        ) from None
    if codec.name == "utf-8":
        return data  # invalid bytes are reported by the XML parser, with their line
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DiagramError(
            [
                ProblemReport(
                    f"the document is not valid {encoding} ({err.reason} at byte {err.start}); "
                    "save it again in its declared encoding, or as UTF-8",
                    line=line,
                    file=name,
                )
            ],
            file=name,
        ) from None
    text = re.sub(
        r"""\A(<\?xml[^>]*?encoding\s*=\s*)["'][A-Za-z0-9._-]+["']""",
        r'\1"UTF-8"',
        text.lstrip("\ufeff"),
        count=1,
    )
    return text.encode("utf-8")


def load_xml(source: XmlSource) -> Any:
    """Parse `source` into an lxml element tree root, refusing DTDs and entities.

    Raises:
        DiagramError: If the document declares a DOCTYPE or entity, or is not well-formed XML.
    """
    match = _DOCTYPE.search(source.data)
    if match:
        line = source.data.count(b"\n", 0, match.start()) + 1
        raise DiagramError(
            [
                ProblemReport(
                    "the document declares a DOCTYPE or entity; BPMN and DMN files never need "
                    "one and it is refused for safety (nothing was expanded). Remove the "
                    "declaration and deploy again",
                    line=line,
                    file=source.name,
                )
            ],
            file=source.name,
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        return etree.fromstring(source.data, parser=parser)
    except etree.XMLSyntaxError as err:
        error_line: int | None = err.lineno if isinstance(err.lineno, int) else None
        raise DiagramError(
            [ProblemReport(f"not well-formed XML: {err.msg}", line=error_line, file=source.name)],
            file=source.name,
        ) from None
