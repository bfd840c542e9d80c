"""Camunda's deployment and process definition queries, statistics, resources and start forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessDefinition
from modelop_mlc.rest._auth import DEPLOY, READ, SIGNAL
from modelop_mlc.rest._camunda import DeploymentInfo, definition_dto, deployment_dto, instance_dto
from modelop_mlc.rest._deploy import deployments, find_definition, latest_definition, tenants
from modelop_mlc.rest._errors import bad_request, not_found
from modelop_mlc.rest._fields import check_fields, text
from modelop_mlc.rest._http import Context, base_url, json_body, json_response
from modelop_mlc.rest._query import Query, like
from modelop_mlc.rest._routing import ApiRoute, query_routes
from modelop_mlc.rest._tasks import form_variables
from modelop_mlc.rest._variables import from_typed
from modelop_mlc.store.queries import IncidentQuery, InstanceQuery, Page

__all__ = ["API"]

# ---------------------------------------------------------------- deployments

_DEPLOYMENT_FILTERS = {
    **dict.fromkeys(
        ("id", "name", "nameLike", "source", "tenantIdIn", "after", "before"), "string"
    ),
    **dict.fromkeys(
        ("withoutSource", "withoutTenantId", "includeDeploymentsWithoutTenantId"), "boolean"
    ),
}
_DEPLOYMENT_SORT = {
    "id": lambda d: d.id,
    "name": lambda d: d.name,
    "deploymentTime": lambda d: d.deployed_at,
    "tenantId": lambda d: d.tenant_id,
}


def _select_deployments(manager: LifecycleManager, query: Query, base: str) -> list[Any]:
    name_like = query.text("nameLike")
    tenant_ids = query.texts("tenantIdIn")
    with_untenanted = query.boolean("includeDeploymentsWithoutTenantId") is True
    after, before = query.date("after"), query.date("before")
    found = [
        d
        for d in deployments(manager)
        if query.text("id") in (None, d.id)
        and query.text("name") in (None, d.name)
        and (name_like is None or like(name_like)(d.name))
        and query.text("source") in (None, d.source)
        and (query.boolean("withoutSource") is not True or d.source is None)
        and (
            tenant_ids is None
            or d.tenant_id in tenant_ids
            or (with_untenanted and d.tenant_id is None)
        )
        and (query.boolean("withoutTenantId") is not True or d.tenant_id is None)
        and (after is None or d.deployed_at > after)
        and (before is None or d.deployed_at < before)
    ]
    return [deployment_dto(base, d, links=False) for d in query.sort(found, _DEPLOYMENT_SORT)]


async def _deployments(context: Context, query: Query, request: Request) -> Sequence[Any]:
    return await context.read(_select_deployments, context.manager, query, base_url(request))


def _deployment(manager: LifecycleManager, deployment_id: str) -> DeploymentInfo:
    for info in deployments(manager):
        if info.id == deployment_id:
            return info
    raise not_found(f"Deployment with id '{deployment_id}' does not exist")


def _resources(manager: LifecycleManager, deployment_id: str) -> list[tuple[str, str, str, str]]:
    _deployment(manager, deployment_id)
    return manager.store.deployment_resources(deployment_id)


async def get_resources(context: Context, request: Request) -> Response:
    """`GET /deployment/{id}/resources`."""
    deployment_id = request.path_params["id"]
    found = await context.read(_resources, context.manager, deployment_id)
    return json_response([{"id": r[0], "name": r[1], "deploymentId": deployment_id} for r in found])


async def _resource(context: Context, request: Request) -> tuple[str, str, str, str]:
    deployment_id = request.path_params["id"]
    for found in await context.read(_resources, context.manager, deployment_id):
        if found[0] == request.path_params["resourceId"]:
            return found
    raise not_found(
        f"Deployment resource with resource id '{request.path_params['resourceId']}' for "
        f"deployment id '{deployment_id}' does not exist."
    )


async def get_resource(context: Context, request: Request) -> Response:
    """`GET /deployment/{id}/resources/{resourceId}`."""
    found = await _resource(context, request)
    return json_response(
        {"id": found[0], "name": found[1], "deploymentId": request.path_params["id"]}
    )


async def get_resource_data(context: Context, request: Request) -> Response:
    """`GET /deployment/{id}/resources/{resourceId}/data`: the file as deployed."""
    found = await _resource(context, request)
    return Response(found[3], media_type="application/xml")


# ---------------------------------------------------------------- process definitions

_DEFINITION_FILTERS = {
    **dict.fromkeys(
        (
            "processDefinitionId",
            "processDefinitionIdIn",
            "name",
            "nameLike",
            "deploymentId",
            "key",
            "keysIn",
            "keyLike",
            "resourceName",
            "resourceNameLike",
            "versionTag",
            "versionTagLike",
            "tenantIdIn",
        ),
        "string",
    ),
    "version": "integer",
    **dict.fromkeys(
        (
            "latestVersion",
            "active",
            "suspended",
            "withoutVersionTag",
            "startableInTasklist",
            "notStartableInTasklist",
            "withoutTenantId",
            "includeProcessDefinitionsWithoutTenantId",
        ),
        "boolean",
    ),
}
_DEFINITION_SORT = {
    "id": lambda d: d.id,
    "key": lambda d: d.key,
    "name": lambda d: d.name,
    "version": lambda d: d.version,
    "deploymentId": lambda d: d.deployment_id,
    "versionTag": lambda d: d.version_tag,
    "category": lambda _d: None,
    "tenantId": lambda _d: None,
}


def _select_definitions(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    found = manager.definitions(latest_only=bool(query.boolean("latestVersion")))
    owners = tenants(manager)
    ids, keys = query.texts("processDefinitionIdIn"), query.texts("keysIn")
    patterns = {
        name: like(pattern)
        for name in ("nameLike", "keyLike", "resourceNameLike", "versionTagLike")
        if (pattern := query.text(name)) is not None
    }
    tenant_ids = query.texts("tenantIdIn")
    untenanted = query.boolean("includeProcessDefinitionsWithoutTenantId") is True
    version = query.integer("version", minimum=1)
    if query.boolean("suspended"):
        return []  # definitions are never suspended here
    if query.boolean("notStartableInTasklist"):
        return []  # every definition is startable in the Tasklist

    def matches(name: str, value: str | None) -> bool:
        return name not in patterns or patterns[name](value)

    def wanted(d: ProcessDefinition) -> bool:
        tenant = owners.get(d.deployment_id)
        return (
            query.text("processDefinitionId") in (None, d.id)
            and (ids is None or d.id in ids)
            and query.text("key") in (None, d.key)
            and (keys is None or d.key in keys)
            and matches("keyLike", d.key)
            and query.text("name") in (None, d.name)
            and matches("nameLike", d.name)
            and (version is None or d.version == version)
            and query.text("deploymentId") in (None, d.deployment_id)
            and query.text("resourceName") in (None, d.resource)
            and matches("resourceNameLike", d.resource)
            and query.text("versionTag") in (None, d.version_tag)
            and matches("versionTagLike", d.version_tag)
            and (query.boolean("withoutVersionTag") is not True or d.version_tag is None)
            and (tenant_ids is None or tenant in tenant_ids or (untenanted and tenant is None))
            and (query.boolean("withoutTenantId") is not True or tenant is None)
        )

    selected = query.sort([d for d in found if wanted(d)], _DEFINITION_SORT)
    return [definition_dto(d, owners.get(d.deployment_id)) for d in selected]


async def _definitions(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_definitions, context.manager, query)


_RUNNING = ("running", "incident")


def _statistics(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    owners = tenants(manager)
    wanted_type = query.text("incidentsForType")
    with_incidents = query.boolean("incidents") is True or wanted_type is not None
    found = []
    for definition in manager.definitions():
        # Counted from the running instances' partial index; an ended instance's incidents
        # are resolved when it ends, so the open ones all belong to running instances.
        running = manager.count_found_instances(
            InstanceQuery(statuses=_RUNNING, definition_id=definition.id)
        )
        theirs = manager.find_incidents(
            IncidentQuery(definition_id=definition.id), Page(limit=None)
        )
        counts: dict[str, int] = {}
        for incident in theirs:
            head, *rest = incident.kind.split("_")
            kind = head + "".join(part.capitalize() for part in rest)
            if wanted_type is None or kind == wanted_type:
                counts[kind] = counts.get(kind, 0) + 1
        found.append(
            {
                "@class": "org.camunda.bpm.engine.rest.dto.repository."
                "ProcessDefinitionStatisticsResultDto",
                "id": definition.id,
                "instances": running,
                "failedJobs": (
                    sum(1 for i in theirs if i.kind == "failed_job")
                    if query.boolean("failedJobs")
                    else 0
                ),
                "incidents": (
                    [{"incidentType": k, "incidentCount": v} for k, v in sorted(counts.items())]
                    if with_incidents
                    else []
                ),
                "definition": definition_dto(definition, owners.get(definition.deployment_id)),
                "tenantId": None,
            }
        )
    return found


async def get_statistics(context: Context, request: Request) -> Response:
    """`GET /process-definition/statistics`: running instances and incidents per version."""
    query = Query(
        request.query_params,
        allowed={
            "failedJobs": "boolean",
            "incidents": "boolean",
            "incidentsForType": "string",
            "rootIncidents": "boolean",
        },
    )
    if query.boolean("rootIncidents") and query.boolean("incidents"):
        raise bad_request("Only one of 'incidents', 'rootIncidents' and 'incidentsForType'")
    return json_response(await context.read(_statistics, context.manager, query))


# ---------------------------------------------------------------- start forms


async def _definition(context: Context, request: Request) -> ProcessDefinition:
    if "key" in request.path_params:
        return await context.read(latest_definition, context.manager, request.path_params["key"])
    return await context.read(find_definition, context.manager, request.path_params["id"])


def _start_form(manager: LifecycleManager, definition: ProcessDefinition) -> dict[str, Any]:
    row = manager.store.get_definition(definition.id)
    for start in row.info.get("start_events", []) if row is not None else []:
        if start.get("kind") == "none":
            return start  # type: ignore[no-any-return]
    return {}


async def get_start_form(context: Context, request: Request) -> Response:
    """`GET /process-definition/{id}/startForm`: the none start event's form key."""
    definition = await _definition(context, request)
    start = await context.read(_start_form, context.manager, definition)
    return json_response({"key": start.get("form_key"), "contextPath": None})


async def get_start_form_variables(context: Context, request: Request) -> Response:
    """`GET /process-definition/{id}/form-variables`: the start form's fields and defaults."""
    query = Query(
        request.query_params, allowed={"variableNames": "string", "deserializeValues": "boolean"}
    )
    definition = await _definition(context, request)
    start = await context.read(_start_form, context.manager, definition)
    fields = start.get("form_fields", [])
    return json_response(form_variables(fields, {}, query.texts("variableNames"), context.secret))


async def submit_start_form(context: Context, request: Request) -> Response:
    """`POST /process-definition/{id}/submit-form`: start an instance with the form's values."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"variables", "businessKey"})
    definition = await _definition(context, request)
    instance = await context.write(
        context.manager.start,
        definition.key,
        from_typed(body.get("variables")),
        business_key=text(body, "businessKey"),
        version=definition.version,
    )
    return json_response(instance_dto(base_url(request), instance))


_FORM_QUERY = {"variableNames": "string", "deserializeValues": "boolean"}
API: list[ApiRoute] = [
    *query_routes(
        "/deployment",
        _deployments,
        params=_DEPLOYMENT_FILTERS,
        sort_keys=list(_DEPLOYMENT_SORT),
        schema="Deployment",
        # Camunda Modeler probes `GET /deployment?maxResults=0` with its deploy credentials.
        permissions={READ, DEPLOY},
        what="deployments",
        post=False,
    ),
    ApiRoute(
        "GET",
        "/deployment/{id}/resources",
        get_resources,
        {READ, DEPLOY},
        "The files of a deployment",
        ok=(200, "DeploymentResource"),
        array=True,
    ),
    ApiRoute(
        "GET",
        "/deployment/{id}/resources/{resourceId}",
        get_resource,
        {READ, DEPLOY},
        "One file of a deployment",
        ok=(200, "DeploymentResource"),
    ),
    ApiRoute(
        "GET",
        "/deployment/{id}/resources/{resourceId}/data",
        get_resource_data,
        {READ, DEPLOY},
        "A deployed file's content",
        ok=(200, "Text"),
    ),
    *query_routes(
        "/process-definition",
        _definitions,
        params=_DEFINITION_FILTERS,
        sort_keys=list(_DEFINITION_SORT),
        schema="ProcessDefinition",
        permissions={READ},
        what="process definitions",
        post=False,
    ),
    ApiRoute(
        "GET",
        "/process-definition/statistics",
        get_statistics,
        {READ},
        "Running instances and incidents per definition version",
        params={
            "failedJobs": "boolean",
            "incidents": "boolean",
            "incidentsForType": "string",
            "rootIncidents": "boolean",
        },
        ok=(200, "ProcessDefinitionStatistics"),
        array=True,
    ),
]
for _base in ("/process-definition/{id}", "/process-definition/key/{key}"):
    API += [
        ApiRoute(
            "GET",
            f"{_base}/startForm",
            get_start_form,
            {READ},
            "The start form's key",
            ok=(200, "FormInfo"),
        ),
        ApiRoute(
            "GET",
            f"{_base}/form-variables",
            get_start_form_variables,
            {READ},
            "The start form's fields with their defaults",
            params=_FORM_QUERY,
            ok=(200, "VariableMap"),
        ),
        ApiRoute(
            "POST",
            f"{_base}/submit-form",
            submit_start_form,
            {SIGNAL},
            "Start an instance with the start form's values",
            body="StartFormRequest",
            ok=(200, "ProcessInstance"),
        ),
    ]
