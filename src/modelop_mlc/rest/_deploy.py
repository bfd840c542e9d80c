"""Routes of Camunda's repository service: deployments and process definitions."""

from __future__ import annotations

import logging
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from modelop_mlc.errors import DiagramError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessDefinition
from modelop_mlc.rest._camunda import (
    DeploymentInfo,
    definition_dto,
    deployment_dto,
    deployment_with_definitions,
    parse_date,
    parse_exception,
)
from modelop_mlc.rest._errors import ApiError, bad_request, not_found
from modelop_mlc.rest._http import Context, base_url, json_response, read_body
from modelop_mlc.rest._query import Query, like

__all__ = [
    "create_deployment",
    "deployments",
    "find_definition",
    "get_definition",
    "get_definition_by_key",
    "get_definition_xml",
    "get_definition_xml_by_key",
    "get_deployment",
    "latest_definition",
    "list_definitions",
    "list_deployments",
    "tenants",
]

log = logging.getLogger("modelop_mlc.rest")

_SETTINGS = {
    "deployment-name",
    "deployment-source",
    "enable-duplicate-filtering",
    "deploy-changed-only",
    "tenant-id",
    "deployment-activation-time",
}
# Camunda Modeler attaches linked Camunda Forms and some users deploy images with their
# diagrams; the engine cannot use them, so they are accepted and left out.
_ATTACHMENTS = (".form", ".png", ".svg", ".jpg", ".jpeg", ".gif", ".html", ".htm")
_MAX_PARTS = 100


def deployments(manager: LifecycleManager) -> list[DeploymentInfo]:
    """Every deployment, oldest first."""
    return [
        DeploymentInfo(row.id, row.name, row.source, row.tenant_id, parse_date(row.deployed_at))
        for row in manager.store.list_deployments()
    ]


def tenants(manager: LifecycleManager) -> dict[str, str | None]:
    """Deployment id to tenant id."""
    return {d.id: d.tenant_id for d in deployments(manager)}


def _decision_dtos(
    manager: LifecycleManager, decisions: tuple[tuple[str, int], ...], tenant: str | None
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key, version in decisions:
        for row in manager.store.decision_version(key, version):
            found[row.id] = {
                "id": row.id,
                "key": key,
                "category": None,
                "name": row.name,
                "version": version,
                "resource": row.resource_name,
                "deploymentId": row.deployment_id,
                "tenantId": tenant,
                "decisionRequirementsDefinitionId": None,
                "decisionRequirementsDefinitionKey": None,
                "historyTimeToLive": None,
                "versionTag": row.version_tag,
            }
    return found


async def _form(request: Request, body: bytes) -> Any:
    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    # The body was already read under the size limit; parse it from memory.
    return await Request(request.scope, replay).form(
        max_files=_MAX_PARTS, max_fields=_MAX_PARTS, max_part_size=max(len(body), 1)
    )


async def create_deployment(context: Context, request: Request) -> Response:
    """`POST /deployment/create`: deploy the uploaded BPMN and DMN files."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(
            415,
            "InvalidRequestException",
            "POST /deployment/create expects multipart/form-data with one part per file",
        )
    body = await read_body(request, context.max_upload_bytes)
    form = await _form(request, body)
    settings: dict[str, str] = {}
    resources: list[tuple[str, bytes]] = []
    skipped: list[str] = []
    try:
        for field, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                resource = value.filename or field
            else:
                data = str(value).encode("utf-8")
                resource = field
            if field in _SETTINGS:
                settings[field] = data.decode("utf-8", errors="replace")
            elif resource.lower().endswith(_ATTACHMENTS):
                skipped.append(resource)
            else:
                resources.append((resource, data))
    finally:
        await form.close()
    if "deployment-activation-time" in settings:
        raise bad_request(
            "deployment-activation-time is not supported: deployments are active at once"
        )
    if not resources:
        if skipped:
            raise bad_request(
                "No BPMN or DMN resource in the form upload; only .bpmn and .dmn files are "
                f"deployed (ignored: {', '.join(skipped)})"
            )
        raise bad_request("No deployment resources contained in the form upload.")
    if skipped:
        log.info("deployment ignores attachments it cannot run: %s", ", ".join(skipped))

    def flag(name: str) -> bool:
        # Camunda reads these with Boolean.parseBoolean: only "true" is true.
        return settings.get(name, "").strip().lower() == "true"

    name = settings.get("deployment-name")
    source = settings.get("deployment-source")
    tenant = settings.get("tenant-id") or None
    try:
        deployment = await context.write(
            context.manager.deploy,
            *resources,
            name=name,
            source=source,
            tenant_id=tenant,
            duplicate_filtering=flag("enable-duplicate-filtering") or flag("deploy-changed-only"),
        )
    except DiagramError as err:
        message, details = parse_exception(err, [r[0] for r in resources])
        raise ApiError(400, "ParseException", message, details={"details": details}) from None
    decisions = await context.read(_decision_dtos, context.manager, deployment.decisions, tenant)
    info = DeploymentInfo(
        deployment.id,
        deployment.name,
        source,
        tenant,
        deployment.deployed_at or context.manager.clock.now(),
    )
    return json_response(
        deployment_with_definitions(base_url(request), info, deployment.definitions, decisions)
    )


async def list_deployments(context: Context, request: Request) -> Response:
    """`GET /deployment`: list deployments with Camunda's filters, sorting and paging."""
    query = Query(request.query_params)
    found = await context.read(deployments, context.manager)
    ident, name, name_like = query.text("id"), query.text("name"), query.text("nameLike")
    source, tenant_ids = query.text("source"), query.texts("tenantIdIn")
    without_source, without_tenant = (
        query.boolean("withoutSource"),
        query.boolean("withoutTenantId"),
    )
    after, before = query.date("after"), query.date("before")
    matches_name = like(name_like) if name_like is not None else None
    selected = [
        d
        for d in found
        if (ident is None or d.id == ident)
        and (name is None or d.name == name)
        and (matches_name is None or matches_name(d.name))
        and (source is None or d.source == source)
        and (not without_source or d.source is None)
        and (tenant_ids is None or d.tenant_id in tenant_ids)
        and (not without_tenant or d.tenant_id is None)
        and (after is None or d.deployed_at > after)
        and (before is None or d.deployed_at < before)
    ]
    selected = query.sort(
        selected,
        {
            "id": lambda d: d.id,
            "name": lambda d: d.name,
            "deploymentTime": lambda d: d.deployed_at,
            "tenantId": lambda d: d.tenant_id,
        },
    )
    base = base_url(request)
    return json_response([deployment_dto(base, d, links=False) for d in query.page(selected)])


async def get_deployment(context: Context, request: Request) -> Response:
    """`GET /deployment/{id}`: one deployment."""
    ident = request.path_params["id"]
    for info in await context.read(deployments, context.manager):
        if info.id == ident:
            return json_response(deployment_dto(base_url(request), info))
    raise not_found(f"Deployment with id '{ident}' does not exist")


def find_definition(manager: LifecycleManager, definition_id: str) -> ProcessDefinition:
    """The definition version with this id.

    Raises:
        ApiError: 404 if there is none.
    """
    for definition in manager.definitions():
        if definition.id == definition_id:
            return definition
    raise not_found(f"No matching definition with id {definition_id}")


def latest_definition(manager: LifecycleManager, key: str) -> ProcessDefinition:
    found = manager.definitions(key, latest_only=True)
    if not found:
        raise not_found(f"No matching process definition with key: {key} and no tenant-id")
    return found[0]


async def list_definitions(context: Context, request: Request) -> Response:
    """`GET /process-definition`: list definitions with Camunda's common filters."""
    query = Query(request.query_params)
    latest = query.boolean("latestVersion")
    version = query.integer("version", minimum=1)
    suspended, active = query.boolean("suspended"), query.boolean("active")
    ident, ids = query.text("processDefinitionId"), query.texts("processDefinitionIdIn")
    key, keys = query.text("key"), query.texts("keysIn")
    key_like, name, name_like = query.text("keyLike"), query.text("name"), query.text("nameLike")
    deployment_id, resource = query.text("deploymentId"), query.text("resourceName")
    version_tag, tenant_ids = query.text("versionTag"), query.texts("tenantIdIn")
    found = await context.read(context.manager.definitions, latest_only=bool(latest))
    owners = await context.read(tenants, context.manager)
    key_matches = like(key_like) if key_like is not None else None
    name_matches = like(name_like) if name_like is not None else None
    selected = [
        d
        for d in found
        if (ident is None or d.id == ident)
        and (ids is None or d.id in ids)
        and (key is None or d.key == key)
        and (keys is None or d.key in keys)
        and (key_matches is None or key_matches(d.key))
        and (name is None or d.name == name)
        and (name_matches is None or name_matches(d.name))
        and (version is None or d.version == version)
        and (deployment_id is None or d.deployment_id == deployment_id)
        and (resource is None or d.resource == resource)
        and (version_tag is None or d.version_tag == version_tag)
        and (tenant_ids is None or owners.get(d.deployment_id) in tenant_ids)
        # Definitions are never suspended here.
        and not suspended
        and active is not False
    ]
    selected = query.sort(
        selected,
        {
            "id": lambda d: d.id,
            "key": lambda d: d.key,
            "name": lambda d: d.name,
            "version": lambda d: d.version,
            "deploymentId": lambda d: d.deployment_id,
            "versionTag": lambda d: d.version_tag,
            "category": lambda d: d.key,
            "tenantId": lambda d: owners.get(d.deployment_id),
        },
    )
    return json_response(
        [definition_dto(d, owners.get(d.deployment_id)) for d in query.page(selected)]
    )


async def get_definition(context: Context, request: Request) -> Response:
    """`GET /process-definition/{id}`."""
    definition = await context.read(find_definition, context.manager, request.path_params["id"])
    owners = await context.read(tenants, context.manager)
    return json_response(definition_dto(definition, owners.get(definition.deployment_id)))


async def get_definition_by_key(context: Context, request: Request) -> Response:
    """`GET /process-definition/key/{key}`: the latest version."""
    definition = await context.read(latest_definition, context.manager, request.path_params["key"])
    owners = await context.read(tenants, context.manager)
    return json_response(definition_dto(definition, owners.get(definition.deployment_id)))


async def _xml(context: Context, definition: ProcessDefinition) -> Response:
    text = await context.read(context.manager.definition_xml, definition.id)
    return json_response({"id": definition.id, "bpmn20Xml": text})


async def get_definition_xml(context: Context, request: Request) -> Response:
    """`GET /process-definition/{id}/xml`: `{"id", "bpmn20Xml"}`."""
    definition = await context.read(find_definition, context.manager, request.path_params["id"])
    return await _xml(context, definition)


async def get_definition_xml_by_key(context: Context, request: Request) -> Response:
    """`GET /process-definition/key/{key}/xml`: the latest version's XML."""
    definition = await context.read(latest_definition, context.manager, request.path_params["key"])
    return await _xml(context, definition)
