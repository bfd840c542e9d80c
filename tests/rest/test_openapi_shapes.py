"""Our OpenAPI document's shapes match Camunda 7's published ones where we share them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc.rest import openapi_document

# Camunda's DTO property names and types, read from its OpenAPI templates at development time.
SHAPES = json.loads((Path(__file__).with_name("camunda_shapes.json")).read_text())
DOCUMENT = openapi_document()
SCHEMAS = DOCUMENT["components"]["schemas"]
PAIRS = {
    "Task": "TaskDto",
    "ProcessInstance": "ProcessInstanceDto",
    "ExternalTask": "ExternalTaskDto",
    "LockedExternalTask": "LockedExternalTaskDto",
    "HistoricProcessInstance": "HistoricProcessInstanceDto",
    "HistoricActivityInstance": "HistoricActivityInstanceDto",
    "HistoricTaskInstance": "HistoricTaskInstanceDto",
    "HistoricVariableInstance": "HistoricVariableInstanceDto",
    "VariableInstance": "VariableInstanceDto",
    "Job": "JobDto",
    "JobDefinition": "JobDefinitionDto",
    "Incident": "IncidentDto",
    "Deployment": "DeploymentDto",
    "ProcessDefinition": "ProcessDefinitionDto",
    "Count": "CountResultDto",
    "ActivityInstance": "ActivityInstanceDto",
    "IdentityLink": "IdentityLinkDto",
    "DeploymentResource": "DeploymentResourceDto",
    "ProcessDefinitionStatistics": "ProcessDefinitionStatisticsResultDto",
    "FormInfo": "FormDto",
    "Exception": "ExceptionDto",
    "VariableValue": "VariableValueDto",
    "DeploymentWithDefinitions": "DeploymentWithDefinitionsDto",
    "ProcessDefinitionXml": "ProcessDefinitionDiagramDto",
    "MessageResult": "MessageCorrelationResultWithVariableDto",
}


def _properties(name: str) -> dict[str, Any]:
    schema = SCHEMAS[name]
    if "allOf" not in schema:
        return dict(schema.get("properties", {}))
    found: dict[str, Any] = {}
    for part in schema["allOf"]:
        if "$ref" in part:
            found.update(_properties(part["$ref"].rsplit("/", 1)[-1]))
        else:
            found.update(part.get("properties", {}))
    return found


@pytest.mark.parametrize(("ours", "camundas"), sorted(PAIRS.items()))
def test_every_camunda_field_is_in_our_schema_with_its_type(ours: str, camundas: str) -> None:
    """Each property of Camunda's DTO is in our schema, with the same scalar type."""
    theirs = SHAPES[camundas]["properties"]
    mine = _properties(ours)
    assert sorted(set(theirs) - set(mine)) == []
    for name, kind in theirs.items():
        if kind in {"string", "integer", "boolean"}:
            assert mine[name].get("type") in {kind, None}, name
        elif kind == "number":  # an integer is a number (our error codes are whole)
            assert mine[name].get("type") in {"number", "integer"}, name
        elif kind in {"object", "array"}:
            assert mine[name].get("type", kind) == kind or "$ref" in mine[name], name
        else:  # another DTO: our schema refers to one, or describes an object
            assert (
                "$ref" in mine[name]
                or "allOf" in mine[name]
                or mine[name].get("type")
                in {
                    "object",
                    None,
                }
            ), name


def test_the_dtos_we_answer_with_are_all_compared() -> None:
    """Every response schema of a Camunda route is one of the compared shapes (or a list)."""
    answered = set()
    for methods in DOCUMENT["paths"].values():
        for operation in methods.values():
            for response in operation["responses"].values():
                for content in response.get("content", {}).values():
                    schema = content["schema"]
                    ref = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
                    if ref:
                        answered.add(ref.rsplit("/", 1)[-1])
    # Ours (ModelOp's answer, a variable map, the parse error, topic names) or plain JSON.
    ours_only = {"SignalResponsiveResult", "VariableMap", "ParseException", "Strings"}
    assert answered - set(PAIRS) - ours_only == set()
