"""The OpenAPI 3 document of the REST app, served at `GET /openapi.json`."""

from __future__ import annotations

import copy
from typing import Any

from modelop_mlc.rest._api import API
from modelop_mlc.rest._openapi_routes import SCHEMAS, paths
from modelop_mlc.rest._query import DEFAULT_MAX_RESULTS

__all__ = ["openapi_document"]

_JSON = "application/json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _string(*, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if nullable:
        schema["nullable"] = True
    return schema


_NULLABLE_STRING = _string(nullable=True)
_DATE = _string(nullable=True, description="yyyy-MM-dd'T'HH:mm:ss.SSSZ, in UTC")
_BOOLEAN = {"type": "boolean"}
_LINKS = _array(
    {
        "type": "object",
        "properties": {"method": _string(), "href": _string(), "rel": _string()},
    }
)


def _object(properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_SCHEMAS: dict[str, Any] = {
    "Exception": _object(
        {"type": _string(), "message": _string(), "code": {"type": "integer"}},
        required=("type", "message"),
    ),
    "ParseException": _object(
        {
            "type": _string(enum=["ParseException"]),
            "message": _string(description="Starts with 'ENGINE-09005 Could not parse BPMN'"),
            "details": {
                "type": "object",
                "description": "Per resource name: its errors and warnings.",
                "additionalProperties": _object(
                    {
                        "errors": _array(
                            _object(
                                {
                                    "message": _string(),
                                    "line": {"type": "integer"},
                                    "column": {"type": "integer"},
                                    "mainElementId": _NULLABLE_STRING,
                                    "elementIds": _array(_string()),
                                }
                            )
                        ),
                        "warnings": _array({"type": "object"}),
                    }
                ),
            },
        },
        required=("type", "message"),
    ),
    "VariableValue": _object(
        {
            "value": {"description": "Any JSON value; Json/Object values may be JSON text."},
            "type": _string(
                description="String, Integer, Long, Short, Double, Boolean, Date, Json, "
                "Object or Null (case-insensitive); omitted: the value is kept as sent."
            ),
            "valueInfo": {"type": "object", "additionalProperties": True},
        }
    ),
    "VariableMap": {"type": "object", "additionalProperties": _ref("VariableValue")},
    "ProcessDefinition": _object(
        {
            "id": _string(),
            "key": _string(),
            "category": _NULLABLE_STRING,
            "description": _NULLABLE_STRING,
            "name": _NULLABLE_STRING,
            "version": {"type": "integer"},
            "resource": _string(),
            "deploymentId": _string(),
            "diagram": _NULLABLE_STRING,
            "suspended": _BOOLEAN,
            "tenantId": _NULLABLE_STRING,
            "versionTag": _NULLABLE_STRING,
            "historyTimeToLive": {"type": "integer", "nullable": True},
            "startableInTasklist": _BOOLEAN,
        }
    ),
    "ProcessDefinitionXml": _object({"id": _string(), "bpmn20Xml": _string()}),
    "Deployment": _object(
        {
            "links": _LINKS,
            "id": _string(),
            "name": _NULLABLE_STRING,
            "source": _NULLABLE_STRING,
            "deploymentTime": _DATE,
            "tenantId": _NULLABLE_STRING,
        }
    ),
    "DeploymentWithDefinitions": {
        "allOf": [
            _ref("Deployment"),
            _object(
                {
                    "deployedProcessDefinitions": {
                        "type": "object",
                        "nullable": True,
                        "additionalProperties": _ref("ProcessDefinition"),
                    },
                    "deployedCaseDefinitions": {"type": "object", "nullable": True},
                    "deployedDecisionDefinitions": {"type": "object", "nullable": True},
                    "deployedDecisionRequirementsDefinitions": {
                        "type": "object",
                        "nullable": True,
                    },
                }
            ),
        ]
    },
    "ProcessInstance": _object(
        {
            "links": _LINKS,
            "id": _string(),
            "definitionId": _string(),
            "definitionKey": _string(),
            "businessKey": _NULLABLE_STRING,
            "caseInstanceId": _NULLABLE_STRING,
            "ended": _BOOLEAN,
            "suspended": _BOOLEAN,
            "tenantId": _NULLABLE_STRING,
            "variables": _ref("VariableMap"),
        }
    ),
    "StartRequest": _object(
        {
            "businessKey": _NULLABLE_STRING,
            "variables": _ref("VariableMap"),
            "withVariablesInReturn": _BOOLEAN,
        }
    ),
    "SignalRequest": _object(
        {
            "name": _string(),
            "variables": _ref("VariableMap"),
            "tenantId": _NULLABLE_STRING,
            "withoutTenantId": _BOOLEAN,
        },
        required=("name",),
    ),
    "SignalResponsiveResult": _object(
        {
            "name": _string(),
            "startedProcessInstanceIds": _array(_string()),
            "deliveredProcessInstanceIds": _array(_string()),
        }
    ),
    "MessageRequest": _object(
        {
            "messageName": _string(),
            "businessKey": _NULLABLE_STRING,
            "processInstanceId": _NULLABLE_STRING,
            "tenantId": _NULLABLE_STRING,
            "withoutTenantId": _BOOLEAN,
            "correlationKeys": _ref("VariableMap"),
            "processVariables": _ref("VariableMap"),
            "all": _BOOLEAN,
            "resultEnabled": _BOOLEAN,
            "variablesInResultEnabled": _BOOLEAN,
        },
        required=("messageName",),
    ),
    "MessageResult": _object(
        {
            "resultType": _string(enum=["ProcessDefinition", "Execution"]),
            "processInstance": {"allOf": [_ref("ProcessInstance")], "nullable": True},
            "execution": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "id": _string(),
                    "processInstanceId": _string(),
                    "ended": _BOOLEAN,
                    "tenantId": _NULLABLE_STRING,
                },
            },
            "variables": _ref("VariableMap"),
        }
    ),
    "Task": _object(
        {
            "id": _string(),
            "name": _NULLABLE_STRING,
            "assignee": _NULLABLE_STRING,
            "owner": _NULLABLE_STRING,
            "created": _DATE,
            "due": _DATE,
            "followUp": _DATE,
            "executionId": _string(),
            "delegationState": _string(nullable=True, enum=["PENDING", "RESOLVED", None]),
            "description": _NULLABLE_STRING,
            "parentTaskId": _NULLABLE_STRING,
            "lastUpdated": _DATE,
            "caseDefinitionId": _NULLABLE_STRING,
            "caseInstanceId": _NULLABLE_STRING,
            "caseExecutionId": _NULLABLE_STRING,
            "camundaFormRef": {"type": "object", "nullable": True},
            "taskState": _NULLABLE_STRING,
            "priority": {"type": "integer"},
            "processDefinitionId": _NULLABLE_STRING,
            "processInstanceId": _string(),
            "taskDefinitionKey": _string(),
            "suspended": _BOOLEAN,
            "formKey": _NULLABLE_STRING,
            "tenantId": _NULLABLE_STRING,
        }
    ),
    "CompleteTaskRequest": _object(
        {"variables": _ref("VariableMap"), "withVariablesInReturn": _BOOLEAN}
    ),
    "HistoricActivityInstance": _object(
        {
            "id": _string(),
            "parentActivityInstanceId": _string(),
            "activityId": _string(),
            "activityName": _NULLABLE_STRING,
            "activityType": _NULLABLE_STRING,
            "processDefinitionKey": _string(),
            "processDefinitionId": _string(),
            "processInstanceId": _string(),
            "executionId": _string(),
            "startTime": _DATE,
            "endTime": _DATE,
            "durationInMillis": {"type": "integer", "nullable": True},
            "canceled": _BOOLEAN,
            "completeScope": _BOOLEAN,
            "taskId": _NULLABLE_STRING,
            "assignee": _NULLABLE_STRING,
            "calledProcessInstanceId": _NULLABLE_STRING,
            "calledCaseInstanceId": _NULLABLE_STRING,
            "tenantId": _NULLABLE_STRING,
            "removalTime": _DATE,
            "rootProcessInstanceId": _NULLABLE_STRING,
        }
    ),
    "Incident": _object(
        {
            "id": _string(),
            "processDefinitionId": _NULLABLE_STRING,
            "processInstanceId": _string(),
            "executionId": _string(),
            "incidentTimestamp": _DATE,
            "incidentType": _string(),
            "activityId": _NULLABLE_STRING,
            "failedActivityId": _NULLABLE_STRING,
            "configuration": _NULLABLE_STRING,
            "incidentMessage": _string(),
            "causeIncidentId": _NULLABLE_STRING,
            "rootCauseIncidentId": _NULLABLE_STRING,
            "tenantId": _NULLABLE_STRING,
            "jobDefinitionId": _NULLABLE_STRING,
            "annotation": _NULLABLE_STRING,
        }
    ),
    "RetriesRequest": _object(
        {"retries": {"type": "integer", "minimum": 1}}, required=("retries",)
    ),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Exception"), "Invalid request (InvalidRequestException)."),
    "401": _json(_ref("Exception"), "No valid bearer token."),
    "403": _json(_ref("Exception"), "The token lacks the route's permission."),
    "413": _json(_ref("Exception"), "The body is larger than the upload limit."),
    "500": _json(_ref("Exception"), "The engine failed (never a stack trace)."),
}


def _responses(
    ok: dict[str, Any], *, errors: tuple[str, ...] = ("400", "401", "403", "500")
) -> dict[str, Any]:
    responses = dict(ok)
    for code in errors:
        responses[code] = _ERRORS[code]
    return responses


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _string()}


def _paging(sort_keys: list[str]) -> list[dict[str, Any]]:
    return [
        _query("sortBy", _string(enum=sort_keys), "Needs sortOrder too."),
        _query("sortOrder", _string(enum=["asc", "desc"]), "Needs sortBy too."),
        _query("firstResult", {"type": "integer", "minimum": 0}, "Rows to skip (0)."),
        _query(
            "maxResults",
            {"type": "integer", "minimum": 0},
            f"Rows to return ({DEFAULT_MAX_RESULTS} when not given; a Link header with "
            'rel="next" points at the next page).',
        ),
    ]


def _texts(*names: str) -> list[dict[str, Any]]:
    return [_query(name, _string()) for name in names]


def _booleans(*names: str) -> list[dict[str, Any]]:
    return [_query(name, _BOOLEAN) for name in names]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": False, "content": {_JSON: {"schema": schema}}}


def _get(
    summary: str, ok: dict[str, Any], parameters: list[dict[str, Any]], *, not_found: bool = False
) -> dict[str, Any]:
    errors = ("400", "401", "403", "404", "500") if not_found else ("400", "401", "403", "500")
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": _responses({"200": ok}, errors=errors),
        }
    }


def _post(
    summary: str,
    body: dict[str, Any],
    ok: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    *,
    method: str = "post",
) -> dict[str, Any]:
    return {
        method: {
            "summary": summary,
            "parameters": parameters or [],
            "requestBody": body,
            "responses": _responses(ok, errors=("400", "401", "403", "404", "413", "500")),
        }
    }


_ERRORS["404"] = _json(_ref("Exception"), "No such deployment, definition, instance or task.")
_NO_CONTENT = {"204": {"description": "Done; no content."}}
_START = _post(
    "Start an instance of the definition",
    _body(_ref("StartRequest")),
    {"200": _json(_ref("ProcessInstance"), "The new instance.")},
)
_DEPLOY_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "deployment-name": _string(),
                    "deployment-source": _string(),
                    "enable-duplicate-filtering": _string(enum=["true", "false"]),
                    "deploy-changed-only": _string(enum=["true", "false"]),
                    "tenant-id": _string(),
                },
                "additionalProperties": _string(
                    format="binary",
                    description="One part per .bpmn/.dmn file; the field name is the file name.",
                ),
            }
        }
    },
}

_PATHS: dict[str, Any] = {
    "/engine": _get("The engines", _json(_array(_object({"name": _string()})), "Engines."), []),
    "/version": _get("Camunda version emulated", _json(_object({"version": _string()}), "."), []),
    "/deployment/create": {
        "post": {
            "summary": "Deploy BPMN and DMN files (as Camunda Modeler does)",
            "requestBody": _DEPLOY_BODY,
            "responses": _responses(
                {
                    "200": _json(_ref("DeploymentWithDefinitions"), "The deployment."),
                    "400": {
                        "description": "A file cannot be deployed (ParseException) or the "
                        "form is invalid.",
                        "content": {
                            _JSON: {
                                "schema": {"anyOf": [_ref("ParseException"), _ref("Exception")]}
                            }
                        },
                    },
                    "415": _json(_ref("Exception"), "Not multipart/form-data."),
                },
                errors=("401", "403", "413", "500"),
            ),
        }
    },
    "/deployment/{id}": _get(
        "One deployment",
        _json(_ref("Deployment"), "The deployment."),
        [_path("id")],
        not_found=True,
    ),
    "/process-definition/key/{key}": _get(
        "Latest version of a key",
        _json(_ref("ProcessDefinition"), "The definition."),
        [_path("key")],
        not_found=True,
    ),
    "/process-definition/key/{key}/xml": _get(
        "BPMN XML of the latest version",
        _json(_ref("ProcessDefinitionXml"), "The XML."),
        [_path("key")],
        not_found=True,
    ),
    "/process-definition/key/{key}/start": {
        "post": {**_START["post"], "parameters": [_path("key")]}
    },
    "/process-definition/{id}": _get(
        "One definition version",
        _json(_ref("ProcessDefinition"), "The definition."),
        [_path("id")],
        not_found=True,
    ),
    "/process-definition/{id}/xml": _get(
        "BPMN XML of a definition",
        _json(_ref("ProcessDefinitionXml"), "The XML."),
        [_path("id")],
        not_found=True,
    ),
    "/process-definition/{id}/start": {"post": {**_START["post"], "parameters": [_path("id")]}},
    "/signal": _post("Broadcast a signal", _body(_ref("SignalRequest")), _NO_CONTENT),
    "/signalResponsive": _post(
        "Broadcast a signal and report what it started and woke (ModelOp)",
        _body(_ref("SignalRequest")),
        {"200": _json(_ref("SignalResponsiveResult"), "Instances started and woken.")},
    ),
    "/message": _post(
        "Correlate a message",
        _body(_ref("MessageRequest")),
        {
            **_NO_CONTENT,
            "200": _json(_array(_ref("MessageResult")), "With resultEnabled: the results."),
        },
    ),
    "/openapi.json": _get("This document", _json({"type": "object"}, "OpenAPI 3."), []),
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "modelop_mlc engine REST (Camunda 7 compatible)",
        "version": "1.0",
        "description": "The subset of Camunda 7's engine-rest that Camunda Modeler and ModelOp "
        "Center clients use, plus ModelOp's /signalResponsive. Mount-relative paths.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}, {"basicAuth": []}],
    "paths": _PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        },
        "schemas": _SCHEMAS,
    },
}


def openapi_document(server_url: str = "/") -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of the REST app (a fresh copy each call).

    Args:
        server_url: Where the app is mounted (`GET /openapi.json` passes its own URL), so
            tools that load the document from there call the app, not the host's root.
    """
    document = copy.deepcopy(_DOCUMENT)
    document["servers"] = [{"url": server_url}]
    document["paths"].update(paths(API))
    document["components"]["schemas"].update(copy.deepcopy(SCHEMAS))
    return document
