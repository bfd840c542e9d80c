"""Build small DMN documents for tests (helper module, not a test file)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
CAMUNDA = "http://camunda.org/schema/1.0/dmn"


def definitions(body: str, namespace: str = DMN13, extra: str = "") -> str:
    """Wrap decision elements in a `definitions` root."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{namespace}" xmlns:camunda="{CAMUNDA}" id="defs" '
        f'name="Test DRD" namespace="http://camunda.org/schema/1.0/dmn"{extra}>\n'
        f"{body}\n</definitions>\n"
    )


def table(
    decision_id: str,
    inputs: Sequence[str | tuple[str, dict[str, str]]],
    outputs: Sequence[str | tuple[str, dict[str, str]]],
    rules: Sequence[Sequence[str]],
    *,
    hit_policy: str | None = None,
    aggregation: str | None = None,
    name: str | None = None,
    requires: Sequence[str] = (),
    attrs: str = "",
) -> str:
    """A decision with a decision table.

    `inputs` are input expressions (or `(expression, attributes)`), `outputs` output names
    (or `(name, attributes)`); each rule lists its input entries then its output entries.
    Attribute keys `inputValues`/`outputValues`/`default` become child elements.
    """
    policy = f' hitPolicy="{hit_policy}"' if hit_policy else ""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<decision id="{decision_id}" name={quoteattr(name or decision_id)}{attrs}>']
    parts.extend(
        f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>'
        for r in requires
    )
    parts.append(f'<decisionTable id="{decision_id}_table"{policy}{agg}>')
    for i, item in enumerate(inputs):
        expression, options = item if isinstance(item, tuple) else (item, {})
        values = options.pop("inputValues", None)
        language = options.pop("expressionLanguage", None)
        lang = f" expressionLanguage={quoteattr(language)}" if language else ""
        attributes = "".join(f" {k}={quoteattr(v)}" for k, v in options.items())
        parts.append(f'<input id="in{i}"{attributes}>')
        parts.append(f"<inputExpression{lang}><text>{escape(expression)}</text></inputExpression>")
        if values:
            parts.append(f"<inputValues><text>{escape(values)}</text></inputValues>")
        parts.append("</input>")
    for i, item in enumerate(outputs):
        output_name, options = item if isinstance(item, tuple) else (item, {})
        values = options.pop("outputValues", None)
        default = options.pop("default", None)
        attributes = "".join(f" {k}={quoteattr(v)}" for k, v in options.items())
        parts.append(f'<output id="out{i}" name={quoteattr(output_name)}{attributes}>')
        if values:
            parts.append(f"<outputValues><text>{escape(values)}</text></outputValues>")
        if default:
            parts.append(f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>")
        parts.append("</output>")
    for number, rule in enumerate(rules, 1):
        parts.append(f'<rule id="{decision_id}_r{number}">')
        cells = list(rule)
        parts.extend(
            f"<inputEntry><text>{escape(cell)}</text></inputEntry>" for cell in cells[: len(inputs)]
        )
        parts.extend(
            f"<outputEntry><text>{escape(cell)}</text></outputEntry>"
            for cell in cells[len(inputs) :]
        )
        parts.append("</rule>")
    parts.append("</decisionTable></decision>")
    return "\n".join(parts)


def literal(
    decision_id: str,
    text: str,
    *,
    name: str | None = None,
    requires: Sequence[str] = (),
    knowledge: Sequence[str] = (),
    type_ref: str | None = None,
    language: str | None = None,
) -> str:
    """A decision with a literal expression."""
    reqs = "".join(
        f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>'
        for r in requires
    )
    reqs += "".join(
        f'<knowledgeRequirement><requiredKnowledge href="#{k}"/></knowledgeRequirement>'
        for k in knowledge
    )
    type_attr = f' typeRef="{type_ref}"' if type_ref else ""
    lang = f" expressionLanguage={quoteattr(language)}" if language else ""
    label = name or decision_id
    return (
        f'<decision id="{decision_id}" name={quoteattr(label)}>'
        f"<variable name={quoteattr(label)}{type_attr}/>{reqs}"
        f"<literalExpression{lang}><text>{escape(text)}</text></literalExpression></decision>"
    )
