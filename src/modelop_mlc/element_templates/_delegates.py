"""Element templates for the delegates, made from the catalogue and the variable glossary.

Each delegate's template binds `camunda:class`, one `camunda:inputParameter` per input and
one `camunda:outputParameter` per output, with the labels, descriptions, field types and
choices of `modelop_mlc.handlers._variables.VARIABLES` and the required inputs and defaults
the delegate declares. An input's default passes the process variable of the same name on
(`${execution.getVariable("NAME")}`, null when it is not set), so a task drawn with the
template runs exactly as one without it; an output's default writes ModelOp's variable.
"""

from __future__ import annotations

import re
from typing import Any

from modelop_mlc.handlers._base import Refusal, Spec
from modelop_mlc.handlers._modelop35 import MODELOP_35
from modelop_mlc.handlers._variables import VARIABLES, Variable

__all__ = [
    "CLASS_PREFIX",
    "SCHEMA",
    "delegate_template",
    "input_property",
    "output_property",
    "refused_template",
    "template_id",
]

SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json"
"""The `$schema` Camunda Modeler reads to know a Camunda 7 template."""
CLASS_PREFIX = "com.modelop.mlc.delegate.modelop."
"""ModelOp's Java package; the engine resolves the class by its simple name."""
_FAILURE = (
    "It fails with the BPMN error FAILURE (errorCode FAILURE) when the work cannot be done: "
    "attach an error boundary event to route it; the message is in camunda:errorMessageVariable."
)
_VARIABLE_NAME = {
    "value": r"^[A-Za-z_][A-Za-z0-9_]*$",
    "message": "A process variable name: letters, digits and _, not starting with a digit.",
}
_PATTERNS = {
    "number": (r"^(\$\{.+\}|[0-9]+(\.[0-9]+)?)$", "A number, or an expression ${...}."),
    "date": (
        r"^(\$\{.+\}|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?)$",
        "An ISO 8601 date (2026-04-01 or 2026-04-01T00:00:00Z), or an expression ${...}.",
    ),
}
_GROOVY_KINDS = ("map",)
GROUPS = [
    {"id": "inputs", "label": "Inputs (camunda:inputParameter)"},
    {"id": "outputs", "label": "Outputs: process variables written"},
]


def template_id(name: str) -> str:
    """The template id of the delegate `name`."""
    return f"modelop_mlc.delegate.{name}"


def _title(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    owner = "ModelOp" if name in MODELOP_35 else "MLC"
    return f"{owner}: {words}"


def _docstring(text: str | None) -> str:
    """A docstring as one paragraph of plain text (no Markdown backticks)."""
    return " ".join((text or "").replace("`", "").split())


def _variable(name: str) -> Variable:
    return VARIABLES.get(name) or Variable(name, f"The variable {name}.")


def passthrough(name: str, *, groovy: bool = False) -> str:
    """The default of an input: the process variable `name`, or null when it is not set."""
    call = f'execution.getVariable("{name}")'
    return call if groovy else "${" + call + "}"


def input_property(
    name: str, *, required: bool = False, default: str | None = None
) -> dict[str, Any]:
    """The template property of one delegate input, bound to `camunda:inputParameter`."""
    variable = _variable(name)
    groovy = variable.kind in _GROOVY_KINDS
    parts = [variable.description]
    if groovy:
        parts.append('A Groovy expression, e.g. [field: "value"].')
    parts.append(f"As drawn it passes the process variable {name} on (null when not set)")
    parts[-1] += f"; without a value the delegate uses {default}." if default else "."
    if required:
        parts.append("Required: without it the task fails with FAILURE.")
    prop: dict[str, Any] = {
        "label": f"{variable.label} ({name})",
        "description": " ".join(parts),
        "group": "inputs",
        "type": "Text" if groovy or variable.kind == "long text" else "String",
        "value": passthrough(name, groovy=groovy),
        "binding": {"type": "camunda:inputParameter", "name": name},
    }
    if groovy:
        prop["binding"]["scriptFormat"] = "groovy"
    elif variable.choices and variable.kind != "list":
        prop["type"] = "Dropdown"
        prop["choices"] = [
            {"name": f"the process variable {name}", "value": prop["value"]},
            *({"name": choice, "value": choice} for choice in variable.choices),
        ]
    constraints: dict[str, Any] = {"notEmpty": True} if required else {}
    if variable.kind in _PATTERNS and prop["type"] == "String":
        pattern, message = _PATTERNS[variable.kind]
        constraints["pattern"] = {"value": pattern, "message": message}
    if constraints:
        prop["constraints"] = constraints
    return prop


def output_property(name: str, source: str | None = None) -> dict[str, Any]:
    """The template property of one output: the variable it goes to, ModelOp's name by default.

    The source reads the delegate's result with `execution.getVariable`, so an output a run
    does not produce leaves the process variable as it was (or null when it never existed).
    """
    variable = _variable(name)
    return {
        "label": f"{variable.label} ({name}) into",
        "description": f"The process variable that receives {name}: {variable.description}",
        "group": "outputs",
        "type": "String",
        "value": name,
        "binding": {
            "type": "camunda:outputParameter",
            "source": source or "${" + f'execution.getVariable("{name}")' + "}",
        },
        "constraints": {"notEmpty": True, "pattern": dict(_VARIABLE_NAME)},
    }


def _class_property(name: str) -> dict[str, Any]:
    return {
        "type": "Hidden",
        "value": CLASS_PREFIX + name,
        "binding": {"type": "property", "name": "camunda:class"},
    }


def _template(name: str, description: str, properties: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "name": _title(name),
        "id": template_id(name),
        "description": description,
        "keywords": [name, "ModelOp", "MLC"],
        "appliesTo": ["bpmn:ServiceTask"],
        "elementType": {"value": "bpmn:ServiceTask"},
        "groups": GROUPS,
        "properties": properties,
    }


def delegate_template(spec: Spec, name: str | None = None) -> dict[str, Any]:
    """The template of a catalogued delegate (under `name`, one of its ModelOp aliases)."""
    name = name or spec.name
    defaults = dict(spec.defaults)
    description = _docstring(spec.function.__doc__)
    if name != spec.name:
        description = f"ModelOp's other name for {spec.name}. {description}"
    if spec.asynchronous:
        description += " It runs as a job, outside the instance's transaction, with retries."
    properties = [_class_property(name)]
    properties += [
        input_property(i, required=i in spec.required, default=defaults.get(i)) for i in spec.inputs
    ]
    properties += [output_property(o) for o in spec.outputs]
    return _template(name, f"{description} {_FAILURE}", properties)


def refused_template(refusal: Refusal) -> dict[str, Any]:
    """The template of a ModelOp delegate refused at deploy, for the delegate you register."""
    description = (
        f"Refused at deploy unless you register a delegate named {refusal.name}: it needs "
        f"{refusal.system}, which this library does not connect to. Register one with "
        f'@manager.delegate("{refusal.name}") ({refusal.hint}) that writes '
        f"{', '.join(refusal.outputs)}; this template draws the task for it."
    )
    properties = [_class_property(refusal.name)] + [output_property(o) for o in refusal.outputs]
    return _template(refusal.name, description, properties)
