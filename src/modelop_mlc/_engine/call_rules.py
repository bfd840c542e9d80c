"""Camunda 7's deploy-time rules for call activities (`BpmnParse`, `CallableElement`)."""

from __future__ import annotations

from typing import Any

from modelop_mlc._engine.parse_rules import Checker
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS

__all__ = ["check_call_activity"]

_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"


def check_call_activity(checker: Checker, node: Any) -> None:
    """Camunda 7's rules for a call activity: what it calls, its binding, its mappings."""
    called = node.get("calledElement")
    case = node.get(f"{_C}caseRef")
    if not called and case:
        checker.problem(
            node,
            f"the call activity calls CMMN case '{case}' (camunda:caseRef); CMMN is not "
            "supported: call a BPMN process with calledElement instead",
        )
    elif not called:
        checker.problem(
            node,
            "the call activity has no calledElement (Camunda 7 refuses it too); name the "
            "process id to call",
        )
    checker.expression(node, called, "calledElement")
    _call_binding(checker, node)
    for attribute in ("variableMappingClass", "variableMappingDelegateExpression"):
        if node.get(f"{_C}{attribute}"):
            checker.problem(
                node,
                f"camunda:{attribute} (a Java variable mapping) cannot run here; map the "
                "variables with camunda:in and camunda:out",
            )
    for kind in ("in", "out"):
        for mapping in node.findall(f"{_B}extensionElements/{_C}{kind}"):
            _call_mapping(checker, node, kind, mapping)


def _call_binding(checker: Checker, node: Any) -> None:
    binding = node.get(f"{_C}calledElementBinding") or "latest"
    needs = {"version": "calledElementVersion", "versionTag": "calledElementVersionTag"}
    if binding not in {"latest", "deployment", *needs}:
        checker.problem(
            node,
            f"calledElementBinding '{binding}' is not one of latest, deployment, version, "
            "versionTag (Camunda 7 refuses it too)",
        )
    elif binding in needs:
        value = node.get(f"{_C}{needs[binding]}")
        if not value:
            checker.problem(
                node,
                f"calledElementBinding '{binding}' needs camunda:{needs[binding]} (Camunda "
                "7 refuses it too); set the version to call",
            )
        checker.expression(node, value, f"camunda:{needs[binding]}")
    if node.get(f"{_C}calledElementTenantId"):
        checker.problem(
            node,
            "camunda:calledElementTenantId cannot be honoured: deployments here have no "
            "tenants to resolve the called process in; remove it",
        )


def _call_mapping(checker: Checker, node: Any, kind: str, mapping: Any) -> None:
    where = f"camunda:{kind}"
    if kind == "in" and mapping.get("businessKey") is not None:
        checker.expression(node, mapping.get("businessKey"), f"{where} businessKey")
        return
    source, expression = mapping.get("source"), mapping.get("sourceExpression")
    if mapping.get("variables") == "all":
        return
    if source is None and expression is None:
        checker.problem(
            node,
            f'{where} needs source, sourceExpression, variables="all"'
            + (" or businessKey" if kind == "in" else "")
            + " (Camunda 7 refuses it too)",
        )
    elif not mapping.get("target"):
        checker.problem(
            node,
            f"{where} with source or sourceExpression needs a target (Camunda 7 refuses "
            "it too); name the variable to set",
        )
    checker.expression(node, expression, f"{where} sourceExpression")
