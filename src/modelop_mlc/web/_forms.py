"""A user task's Camunda generated form (`camunda:formField`s) as HTML, and its answers back.

Field types map to inputs as Camunda's Tasklist does: `boolean` a checkbox (unchecked sends
false), `long` and `double` number inputs, `date` a date input (sent as an ISO date),
`enum` a select of its values, `string` a text input. Constraints (`required`, `min`,
`max`, `minlength`, `maxlength`) become HTML attributes; the manager checks them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc.models import FormFieldInfo
from modelop_mlc.web._html import escape

__all__ = ["form_inputs", "form_values"]

_HTML_CONSTRAINTS = {"min": "min", "max": "max", "minlength": "minlength", "maxlength": "maxlength"}


def _required(field: FormFieldInfo) -> bool:
    return field.required or any(name == "required" for name, _ in field.constraints)


def _attributes(field: FormFieldInfo) -> str:
    found = [" required"] if _required(field) and field.type != "boolean" else []
    for name, value in field.constraints:
        if name in _HTML_CONSTRAINTS and value is not None:
            found.append(f' {_HTML_CONSTRAINTS[name]}="{escape(value)}"')
    return "".join(found)


def _input(field: FormFieldInfo, value: str | None) -> str:
    name = f'name="{escape(field.id)}" id="field-{escape(field.id)}"'
    current = value if value is not None else field.default_value
    attrs = _attributes(field)
    if field.type == "boolean":
        checked = " checked" if (current or "").lower() == "true" else ""
        return f'<input type="checkbox" {name} value="true"{checked}>'
    if field.type == "enum":
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key == current else ""}>'
            f"{escape(label or key)}</option>"
            for key, label in field.values
        )
        blank = "" if current else '<option value="">Choose…</option>'
        return f"<select {name}{attrs}>{blank}{options}</select>"
    kind = {"long": "number", "integer": "number", "double": "number", "date": "date"}.get(
        field.type, "text"
    )
    step = ' step="1"' if field.type in {"long", "integer"} else ""
    step = ' step="any"' if field.type == "double" else step
    shown = f' value="{escape(current)}"' if current is not None else ""
    return f'<input type="{kind}" {name}{step}{shown}{attrs}>'


def form_inputs(fields: Sequence[FormFieldInfo], submitted: Mapping[str, str] | None = None) -> str:
    """The inputs of a task form, one labelled row per field (`submitted` refills them)."""
    rows = []
    for field in fields:
        star = ' <span class="required">*</span>' if _required(field) else ""
        label = escape(field.label or field.id)
        rows.append(
            f'<div class="field field-{escape(field.type)}"><label for="field-{escape(field.id)}">'
            f"{label}{star}</label>{_input(field, (submitted or {}).get(field.id))}</div>"
        )
    return "".join(rows)


def form_values(
    fields: Sequence[FormFieldInfo], submitted: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Turn the posted form into typed variables; also return what could not be read."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in fields:
        label = field.label or field.id
        text = submitted.get(field.id)
        if field.type == "boolean":
            values[field.id] = (text or "").lower() == "true"
            continue
        if text is None or text.strip() == "":
            continue
        text = text.strip()
        if field.type in {"long", "integer"}:
            try:
                values[field.id] = int(text)
            except ValueError:
                problems.append(f"{label} must be a whole number, got '{text}'")
        elif field.type == "double":
            try:
                values[field.id] = float(text)
            except ValueError:
                problems.append(f"{label} must be a number, got '{text}'")
        else:
            values[field.id] = text
    return values, problems
