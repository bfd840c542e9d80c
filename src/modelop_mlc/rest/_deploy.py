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
    changed_only = flag("deploy-changed-only")
    if flag("enable-duplicate-filtering") or changed_only:
        previous = await context.read(_previous, context.manager, name, source)
        if previous is not None:
            stored = {r[1]: r[3] for r in previous[1]}
            changed = [r for r in resources if stored.get(r[0]) != _text(r[1])]
            unchanged_set = not changed and {r[0] for r in resources} == set(stored)
            if unchanged_set or (changed_only and not changed):
                # Camunda answers an unchanged re-deploy with the earlier deployment.
                return await _answer_previous(context, request, previous[0])
            if changed_only:
                resources = changed
    try:
        deployment = await context.write(
            context.manager.deploy,
            *resources,
            name=name,
            source=source,
            tenant_id=tenant,
            duplicate_filtering=False,
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


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _previous(
    manager: LifecycleManager, name: str | None, source: str | None
) -> tuple[DeploymentInfo, list[tuple[str, str, str, str]]] | None:
    """The latest deployment with this name and source, and its stored files."""
    if name is None:
        return None
    same = [d for d in deployments(manager) if d.name == name and d.source == source]
    if not same:
        return None
    latest = max(same, key=lambda d: d.deployed_at)
    return latest, manager.store.deployment_resources(latest.id)


async def _answer_previous(context: Context, request: Request, info: DeploymentInfo) -> Response:
    definitions = [
        d for d in await context.read(context.manager.definitions) if d.deployment_id == info.id
    ]
    return json_response(deployment_with_definitions(base_url(request), info, definitions, {}))


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
