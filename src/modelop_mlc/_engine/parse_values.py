"""Values read from Camunda extension elements: delegate names and parameter values."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from modelop_mlc._engine.feel import FeelText
from modelop_mlc._engine.scripting import ScriptText, script_language
from modelop_mlc._engine.specs._mappings import Param, ParamValue
from modelop_mlc._engine.xml import CAMUNDA_NS, NSMAP

__all__ = ["delegate_candidates", "params", "read_param_value"]

_C = "{" + CAMUNDA_NS + "}"


def delegate_candidates(kind: str, impl: str) -> tuple[str, ...]:
    """Registry names to try for a delegate reference, most specific first.

    `com.modelop.mlc.delegate.modelop.DeployModel` → (`com...DeployModel`, `DeployModel`);
    `${deployModel}` → (`deployModel`, `DeployModel`); a topic → the topic.
    """
    text = impl.strip()
    if kind == "class":
        simple = text.rsplit(".", 1)[-1].rsplit("$", 1)[-1]
        return tuple(dict.fromkeys([text, simple]))
    if kind in {"delegateExpression", "expression"}:
        inner = text[2:-1].strip() if text[:2] in {"${", "#{"} and text.endswith("}") else text
        head = inner.split(".", 1)[0].split("(", 1)[0].strip()
        if not head.isidentifier() or head == "execution":
            return ()
        if inner[len(head) :].lstrip().startswith("("):  # a function such as now(), not a bean
            return ()
        if kind == "delegateExpression" and inner != head:
            return ()
        return tuple(dict.fromkeys([head, head[:1].upper() + head[1:]]))
    return (text,)


def read_param_value(node: Any) -> ParamValue:
    """Read the value of a `camunda:inputParameter`-like element (text, list or map)."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        text = node.text
        return text.strip() if text is not None and text.strip() else (text or None)
    child = children[0]
    if child.tag == f"{_C}list":
        return [read_param_value(item) for item in child if isinstance(item.tag, str)]
    if child.tag == f"{_C}map":
        return {
            entry.get("key"): read_param_value(entry)
            for entry in child
            if isinstance(entry.tag, str) and entry.tag == f"{_C}entry"
        }
    if child.tag == f"{_C}value":
        return read_param_value(child)
    if child.tag == f"{_C}script":
        fmt = child.get("scriptFormat")
        language = script_language(fmt)
        inline = not child.get("resource") and (child.text or "").strip()
        if not inline or language not in {"feel", "groovy", "juel"}:
            raise ValidationException(
                f"camunda:script parameter values run inline in FEEL, Groovy or JUEL only "
                f"(scriptFormat {fmt!r}); use one of them or an expression such as ${{...}}",
                node=node,
            )
        if language == "feel":
            return FeelText(child.text or "")
        return ScriptText(language, child.text or "", line=child.sourceline)
    raw: str | None = node.text
    return raw


def params(node: Any, xpath: str) -> tuple[Param, ...]:
    return tuple(
        Param(p.get("name"), read_param_value(p)) for p in node.xpath(xpath, namespaces=NSMAP)
    )
