"""OpenAPI path items and schemas for the routes that describe themselves (`ApiRoute`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelop_mlc.rest._query import DEFAULT_MAX_RESULTS
from modelop_mlc.rest._routing import ApiRoute

__all__ = ["SCHEMAS", "paths"]

_JSON = "application/json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


# Every list route pages (docs/rest.md): these say how.
_PAGING_NOTES = {
    "firstResult": "Rows to skip (0).",
    "maxResults": (
        f"Rows to return ({DEFAULT_MAX_RESULTS} when not given; a Link header with "
        'rel="next" points at the next page).'
    ),
}


def _s(nullable: bool = False, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if nullable:
        schema["nullable"] = True
    return schema


_NS = _s(nullable=True)
_DATE = _s(nullable=True, description="yyyy-MM-dd'T'HH:mm:ss.SSSZ, in UTC")
_INT = {"type": "integer"}
_NINT = {"type": "integer", "nullable": True}
_BOOL = {"type": "boolean"}


def _obj(properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_EXTERNAL_TASK = {
    "activityId": _s(),
    "activityInstanceId": _s(),
    "errorMessage": _NS,
    "executionId": _s(),
    "id": _s(),
    "lockExpirationTime": _DATE,
    "createTime": _DATE,
    "processDefinitionId": _s(),
    "processDefinitionKey": _s(),
    "processDefinitionVersionTag": _NS,
    "processInstanceId": _s(),
    "tenantId": _NS,
    "retries": _NINT,
    "workerId": _NS,
    "topicName": _s(),
    "priority": _INT,
    "businessKey": _NS,
}

SCHEMAS: dict[str, Any] = {
    "Count": _obj({"count": _INT}, required=("count",)),
    "Strings": {"type": "array", "items": _s()},
    "Text": _s(),
    "Svg": _s(),
    "QueryBody": {
        "type": "object",
        "description": "The route's query parameters as JSON (lists for ...In filters, "
        "sorting as [{sortBy, sortOrder}], variable filters as [{name, operator, value}]).",
        "additionalProperties": True,
    },
    "ExternalTask": _obj({**_EXTERNAL_TASK, "suspended": _BOOL}),
    "LockedExternalTask": _obj(
        {
            **_EXTERNAL_TASK,
            "suspended": _BOOL,
            "errorDetails": _NS,
            "variables": _ref("VariableMap"),
            "extensionProperties": {"type": "object", "additionalProperties": _s()},
        }
    ),
    "FetchTopic": _obj(
        {
            "topicName": _s(),
            "lockDuration": {"type": "integer", "minimum": 1},
            "variables": {"type": "array", "items": _s(), "nullable": True},
            "localVariables": _BOOL,
            "businessKey": _NS,
            "processDefinitionId": _NS,
            "processDefinitionIdIn": {"type": "array", "items": _s(), "nullable": True},
            "processDefinitionKey": _NS,
            "processDefinitionKeyIn": {"type": "array", "items": _s(), "nullable": True},
            "processDefinitionVersionTag": _NS,
            "processVariables": {"type": "object", "nullable": True},
            "deserializeValues": _BOOL,
            "includeExtensionProperties": _BOOL,
        },
        required=("topicName", "lockDuration"),
    ),
    "FetchExternalTasks": _obj(
        {
            "workerId": _s(),
            "maxTasks": {"type": "integer", "minimum": 0},
            "usePriority": _BOOL,
            "asyncResponseTimeout": {"type": "integer", "minimum": 0, "maximum": 1_800_000},
            "topics": {"type": "array", "items": _ref("FetchTopic")},
        },
        required=("workerId",),
    ),
    "CompleteExternalTask": _obj(
        {
            "workerId": _s(),
            "variables": _ref("VariableMap"),
            "localVariables": _ref("VariableMap"),
        },
        required=("workerId",),
    ),
    "ExternalTaskFailure": _obj(
        {
            "workerId": _s(),
            "errorMessage": _NS,
            "errorDetails": _NS,
            "retries": {"type": "integer", "minimum": 0},
            "retryTimeout": {"type": "integer", "minimum": 0},
        },
        required=("workerId",),
    ),
    "ExternalTaskBpmnError": _obj(
        {
            "workerId": _s(),
            "errorCode": _s(),
            "errorMessage": _NS,
            "variables": _ref("VariableMap"),
        },
        required=("workerId", "errorCode"),
    ),
    "ExtendLock": _obj(
        {"workerId": _s(), "newDuration": {"type": "integer", "minimum": 1}},
        required=("workerId", "newDuration"),
    ),
    "Retries": _obj({"retries": {"type": "integer", "minimum": 0}}, required=("retries",)),
    "Priority": _obj({"priority": _INT}, required=("priority",)),
    "UserId": _obj({"userId": _NS}),
    "VariablesBody": _obj({"variables": _ref("VariableMap")}),
    "IdentityLink": _obj(
        {"userId": _NS, "groupId": _NS, "type": _s(enum=["candidate", "assignee", "owner"])},
        required=("type",),
    ),
    "FormInfo": _obj(
        {"key": _NS, "contextPath": _NS, "camundaFormRef": {"type": "object", "nullable": True}}
    ),
    "JobRetries": _obj(
        {"retries": {"type": "integer", "minimum": 1}, "dueDate": _NS}, required=("retries",)
    ),
    "Job": _obj(
        {
            "id": _s(),
            "jobDefinitionId": _NS,
            "processInstanceId": _NS,
            "processDefinitionId": _NS,
            "processDefinitionKey": _NS,
            "executionId": _NS,
            "exceptionMessage": _NS,
            "failedActivityId": _NS,
            "retries": _INT,
            "dueDate": _DATE,
            "suspended": _BOOL,
            "priority": _INT,
            "tenantId": _NS,
            "createTime": _DATE,
            "batchId": _NS,
        }
    ),
    "JobDefinition": _obj(
        {
            "id": _s(),
            "processDefinitionId": _s(),
            "processDefinitionKey": _s(),
            "activityId": _s(),
            "jobType": _s(),
            "jobConfiguration": _NS,
            "suspended": _BOOL,
            "overridingJobPriority": _NINT,
            "tenantId": _NS,
            "deploymentId": _NS,
        }
    ),
    "ActivityInstance": _obj(
        {
            "id": _s(),
            "parentActivityInstanceId": _NS,
            "activityId": _s(),
            "activityType": _s(),
            "processInstanceId": _s(),
            "processDefinitionId": _s(),
            "childActivityInstances": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ActivityInstance"},
            },
            "childTransitionInstances": {"type": "array", "items": {"type": "object"}},
            "executionIds": {"type": "array", "items": _s()},
            "activityName": _NS,
            "incidentIds": {"type": "array", "items": _s()},
            "incidents": {"type": "array", "items": {"type": "object"}},
            "name": _NS,
        }
    ),
    "VariableInstance": _obj(
        {
            "id": _s(),
            "name": _s(),
            "type": _s(),
            "value": {"nullable": True},
            "valueInfo": {"type": "object"},
            "processDefinitionId": _NS,
            "processInstanceId": _NS,
            "executionId": _NS,
            "caseInstanceId": _NS,
            "caseExecutionId": _NS,
            "taskId": _NS,
            "batchId": _NS,
            "activityInstanceId": _NS,
            "errorMessage": _NS,
            "tenantId": _NS,
        }
    ),
    "HistoricVariableInstance": {
        "allOf": [
            _ref("VariableInstance"),
            _obj(
                {
                    "processDefinitionKey": _NS,
                    "createTime": _DATE,
                    "removalTime": _DATE,
                    "rootProcessInstanceId": _NS,
                    "state": _s(),
                    "caseDefinitionKey": _NS,
                    "caseDefinitionId": _NS,
                }
            ),
        ]
    },
    "HistoricProcessInstance": _obj(
        {
            "id": _s(),
            "businessKey": _NS,
            "processDefinitionId": _s(),
            "processDefinitionKey": _s(),
            "processDefinitionName": _NS,
            "processDefinitionVersion": _NINT,
            "startTime": _DATE,
            "endTime": _DATE,
            "removalTime": _DATE,
            "durationInMillis": _NINT,
            "startUserId": _NS,
            "startActivityId": _NS,
            "deleteReason": _NS,
            "rootProcessInstanceId": _NS,
            "superProcessInstanceId": _NS,
            "superCaseInstanceId": _NS,
            "caseInstanceId": _NS,
            "tenantId": _NS,
            "restartedProcessInstanceId": _NS,
            "state": _s(
                enum=[
                    "ACTIVE",
                    "SUSPENDED",
                    "COMPLETED",
                    "EXTERNALLY_TERMINATED",
                    "INTERNALLY_TERMINATED",
                ]
            ),
        }
    ),
    "HistoricTaskInstance": _obj(
        {
            "id": _s(),
            "processDefinitionKey": _NS,
            "processDefinitionId": _NS,
            "processInstanceId": _NS,
            "executionId": _NS,
            "caseDefinitionKey": _NS,
            "caseDefinitionId": _NS,
            "caseInstanceId": _NS,
            "caseExecutionId": _NS,
            "activityInstanceId": _NS,
            "name": _NS,
            "description": _NS,
            "deleteReason": _NS,
            "owner": _NS,
            "assignee": _NS,
            "startTime": _DATE,
            "endTime": _DATE,
            "duration": _NINT,
            "taskDefinitionKey": _NS,
            "priority": _INT,
            "due": _DATE,
            "parentTaskId": _NS,
            "followUp": _DATE,
            "tenantId": _NS,
            "removalTime": _DATE,
            "rootProcessInstanceId": _NS,
            "taskState": _NS,
        }
    ),
    "DeploymentResource": _obj({"id": _s(), "name": _s(), "deploymentId": _s()}),
    "ProcessDefinitionStatistics": _obj(
        {
            "@class": _s(),
            "id": _s(),
            "instances": _INT,
            "failedJobs": _INT,
            "incidents": {
                "type": "array",
                "items": _obj({"incidentType": _s(), "incidentCount": _INT}),
            },
            "definition": _ref("ProcessDefinition"),
            "tenantId": _NS,
        }
    ),
    "StartFormRequest": _obj({"variables": _ref("VariableMap"), "businessKey": _NS}),
    "VariableModifications": _obj(
        {
            "modifications": _ref("VariableMap"),
            "deletions": {"type": "array", "items": _s(), "nullable": True},
        }
    ),
}

_DESCRIPTIONS = {
    400: "Invalid request (InvalidRequestException or BadUserRequestException).",
    401: "No valid credentials.",
    403: "The caller lacks the route's permission.",
    404: "No such resource.",
    500: "The engine failed (never a stack trace).",
}


def _schema(name: str) -> dict[str, Any]:
    if name == "Text":
        return {"text/plain": {"schema": _s()}}
    if name == "Svg":
        return {"image/svg+xml": {"schema": _s()}}
    return {_JSON: {"schema": _ref(name)}}


def _operation(route: ApiRoute) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name[1:-1], "in": "path", "required": True, "schema": _s()}
        for name in route.path.split("/")
        if name.startswith("{")
    ]
    for name, kind in route.params.items():
        schema: dict[str, Any] = {"type": kind}
        if name == "sortBy" and route.sort_keys:
            schema["enum"] = list(route.sort_keys)
        elif name == "sortOrder":
            schema["enum"] = ["asc", "desc"]
        elif name in {"firstResult", "maxResults"}:
            schema["minimum"] = 0
        parameter = {"name": name, "in": "query", "required": False, "schema": schema}
        if name in _PAGING_NOTES:
            parameter["description"] = _PAGING_NOTES[name]
        parameters.append(parameter)
    status, body = route.ok
    responses: dict[str, Any] = {}
    if body is None:
        responses[str(status)] = {"description": "Done; no content."}
    else:
        content = _schema(body)
        if route.array:
            content = {_JSON: {"schema": {"type": "array", "items": _ref(body)}}}
        responses[str(status)] = {"description": "Request successful.", "content": content}
    for code in route.errors:
        responses[str(code)] = {
            "description": _DESCRIPTIONS[code],
            "content": {_JSON: {"schema": _ref("Exception")}},
        }
    operation: dict[str, Any] = {
        "summary": route.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": route.method != "POST" or route.body != "QueryBody",
            "content": {_JSON: {"schema": _ref(route.body)}},
        }
    return operation


def paths(routes: Iterable[ApiRoute]) -> dict[str, Any]:
    """The OpenAPI `paths` entries of `routes`."""
    found: dict[str, Any] = {}
    for route in routes:
        found.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return found
