"""The XML Camunda Modeler writes for an element drawn with a template.

Applying a Camunda 7 template, the Modeler sets `camunda:modelerTemplate` and
`camunda:modelerTemplateVersion`, each `property` binding as an attribute, and one
`camunda:inputParameter` / `camunda:outputParameter` per property (in the element's
`camunda:inputOutput`, or in its `camunda:connector` for a connector scope), holding the
property's value: an input parameter's text (or `camunda:script` with the binding's
`scriptFormat`), an output parameter's name. Tests and the diagram builder use this to draw
what a Modeler user would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

__all__ = ["element_parts", "element_xml", "output_name"]

_OUTPUT_SOURCE = re.compile(r'^\$\{(?:execution\.getVariable\("(\w+)"\)|(\w+))\}$')


def output_name(prop: Mapping[str, Any]) -> str | None:
    """The variable an output property's source reads (`DEPLOYED_MODEL`), or None."""
    binding = prop["binding"]
    if binding["type"] != "camunda:outputParameter":
        return None
    found = _OUTPUT_SOURCE.match(binding["source"])
    return (found.group(1) or found.group(2)) if found else binding["source"]


def _io(
    properties: list[Mapping[str, Any]],
    inputs: Mapping[str, str | None],
    outputs: Mapping[str, str],
) -> str:
    params = []
    for prop in properties:
        binding = prop["binding"]
        if binding["type"] == "camunda:inputParameter":
            name = binding["name"]
            value = inputs[name] if name in inputs else prop.get("value")
            if value is None:
                params.append(f'<camunda:inputParameter name="{escape(name)}" />')
                continue
            text = escape(str(value), quote=False)
            if binding.get("scriptFormat"):
                script = escape(binding["scriptFormat"])
                text = f'<camunda:script scriptFormat="{script}">{text}</camunda:script>'
            params.append(
                f'<camunda:inputParameter name="{escape(name)}">{text}</camunda:inputParameter>'
            )
    for prop in properties:
        binding = prop["binding"]
        if binding["type"] == "camunda:outputParameter":
            target = outputs.get(output_name(prop) or "", prop.get("value"))
            params.append(
                f'<camunda:outputParameter name="{escape(str(target))}">'
                f"{escape(binding['source'], quote=False)}</camunda:outputParameter>"
            )
    return f"<camunda:inputOutput>{''.join(params)}</camunda:inputOutput>" if params else ""


def _attributes(properties: list[Mapping[str, Any]]) -> dict[str, str]:
    return {
        p["binding"]["name"]: str(p["value"])
        for p in properties
        if p["binding"]["type"] == "property" and "value" in p
    }


def element_parts(
    template: Mapping[str, Any],
    *,
    inputs: Mapping[str, str | None] | None = None,
    outputs: Mapping[str, str] | None = None,
    extensions: str = "",
) -> tuple[dict[str, str], str]:
    """The attributes and the `bpmn:extensionElements` a template gives an element.

    Args:
        template: The element template.
        inputs: Input values the user typed, by input name (None for an emptied field).
        outputs: Output variables the user chose, by the variable the delegate writes.
        extensions: More extension elements (e.g. `camunda:failedJobRetryTimeCycle`).

    Returns:
        The attributes (template id and version, the `property` bindings) and the
        `bpmn:extensionElements` element (empty text when there is none).
    """
    inputs = inputs or {}
    outputs = outputs or {}
    properties = list(template["properties"])
    attrs = {
        "camunda:modelerTemplate": template["id"],
        "camunda:modelerTemplateVersion": str(template.get("version", 1)),
        **_attributes(properties),
    }
    extension = _io(properties, inputs, outputs)
    for scope in template.get("scopes", ()):
        if scope["type"] == "camunda:Connector":
            scoped = list(scope["properties"])
            connector_id = _attributes(scoped)["connectorId"]
            extension += (
                f"<camunda:connector>{_io(scoped, inputs, outputs)}"
                f"<camunda:connectorId>{escape(connector_id)}</camunda:connectorId>"
                "</camunda:connector>"
            )
    extension += extensions
    inner = f"<bpmn:extensionElements>{extension}</bpmn:extensionElements>" if extension else ""
    return attrs, inner


def element_xml(
    template: Mapping[str, Any],
    element_id: str,
    *,
    tag: str | None = None,
    name: str | None = None,
    inputs: Mapping[str, str | None] | None = None,
    outputs: Mapping[str, str] | None = None,
    body: str = "",
    extensions: str = "",
) -> str:
    """The element a Modeler user draws with `template`, as BPMN XML.

    Args:
        template: The element template.
        element_id: The element's id.
        tag: The element's tag (by default the template's `elementType`, else its first
            `appliesTo`, e.g. `bpmn:serviceTask`).
        name: The element's name (else a `name` property's value).
        inputs: Input values the user typed, by input name (None for an emptied field).
        outputs: Output variables the user chose, by the variable the delegate writes.
        body: More child elements (an event definition chosen in the standard fields).
        extensions: More extension elements (e.g. `camunda:failedJobRetryTimeCycle`).

    Returns:
        The element's XML.
    """
    attrs, inner = element_parts(template, inputs=inputs, outputs=outputs, extensions=extensions)
    attrs = {"id": element_id, **attrs}
    if name is not None:
        attrs["name"] = name
    if tag is None:
        kind = template.get("elementType", {}).get("value") or template["appliesTo"][0]
        local = kind.split(":", 1)[1]
        tag = "bpmn:" + local[:1].lower() + local[1:]
    rendered = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
    return f"<{tag} {rendered}>{inner}{body}</{tag}>"
