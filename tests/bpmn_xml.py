"""Build small Camunda-style BPMN documents for tests."""

from __future__ import annotations

import itertools

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def process(body: str, pid: str = "p", *, extra: str = "", name: str | None = None) -> str:
    """Wrap flow elements in a process and a definitions element."""
    label = f' name="{name}"' if name else ""
    return (
        f'{HEADER}<bpmn:process id="{pid}"{label} isExecutable="true">\n{body}\n'
        f"</bpmn:process>\n{extra}\n</bpmn:definitions>\n"
    )


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, optionally with a JUEL condition."""
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"/>'
    escaped = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{escaped}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )


def chain(*ids: str) -> str:
    """Sequence flows linking `ids` in order (flow ids f1, f2, ...)."""
    return "\n".join(flow(f"{a}_{b}", a, b) for a, b in itertools.pairwise(ids))
