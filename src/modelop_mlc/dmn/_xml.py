"""Safe DMN XML loading: no DOCTYPE, no entity expansion, no network; namespace helpers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Final

from lxml import etree

from modelop_mlc.errors import DiagramError, ProblemReport

__all__ = [
    "CAMUNDA_NS",
    "DMN_NAMESPACES",
    "attr",
    "child",
    "children",
    "is_feel",
    "load_xml",
    "local",
    "text_of",
]

DMN_NAMESPACES: Final = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20151101/dmn11.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
"""Every DMN model namespace we read, with its DMN version."""

CAMUNDA_NS: Final = "http://camunda.org/schema/1.0/dmn"
_DOCTYPE: Final = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY: Final = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _parser() -> Any:
    # A fresh parser per call: lxml parsers are not thread-safe to share.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _read(source: bytes | str | os.PathLike[str], file: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        return source, file
    if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("<"):
        return source.encode("utf-8"), file
    path = os.fspath(source)
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - PathLike or str path alike
            return handle.read(), file or Path(path).name
    except OSError as err:
        problem = ProblemReport(
            f"cannot read the DMN file: {err.strerror or err}; check the path", file=file or path
        )
        raise DiagramError([problem], file=file or path) from err


def load_xml(source: bytes | str | os.PathLike[str], file: str | None) -> tuple[Any, str | None]:
    """Parse DMN XML safely and return `(root element, file name)`.

    Raises:
        DiagramError: When the source cannot be read, is not well-formed XML, or contains
            a DOCTYPE (refused to rule out entity-expansion and external-entity attacks).
    """
    data, name = _read(source, file)
    if _DOCTYPE.search(data) or _ENTITY.search(data):
        problem = ProblemReport(
            "the document contains a DOCTYPE or ENTITY declaration, which DMN files never "
            "need; it was refused unread to rule out entity-expansion attacks",
            file=name,
        )
        raise DiagramError([problem], file=name)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno if isinstance(err.lineno, int) else None
        problem = ProblemReport(f"not well-formed XML: {err.msg}", line=line, file=name)
        raise DiagramError([problem], file=name) from err
    except ValueError as err:
        problem = ProblemReport(f"not a readable XML document: {err}", file=name)
        raise DiagramError([problem], file=name) from err
    return root, name


def local(element: Any) -> str:
    """Return an element's local name (without namespace)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: Any, name: str) -> list[Any]:
    """Return the child elements with local name `name`, in document order."""
    return [c for c in element if local(c) == name]


def child(element: Any, name: str) -> Any | None:
    """Return the first child element with local name `name`."""
    for c in element:
        if local(c) == name:
            return c
    return None


def text_of(element: Any | None) -> str | None:
    """Return the text of an element's `<text>` child (or of the element itself)."""
    if element is None:
        return None
    inner = child(element, "text")
    target = inner if inner is not None else element
    value = target.text
    return value if value is not None else ("" if inner is not None else None)


def attr(element: Any, name: str, namespace: str | None = None) -> str | None:
    """Return an attribute, optionally namespaced (`camunda:inputVariable`)."""
    key = f"{{{namespace}}}{name}" if namespace else name
    value = element.get(key)
    return value if isinstance(value, str) else None


def is_feel(language: str | None) -> bool:
    """Return whether an `expressionLanguage` value means FEEL (absent means FEEL)."""
    if language is None or not language.strip():
        return True
    return "feel" in language.lower()
