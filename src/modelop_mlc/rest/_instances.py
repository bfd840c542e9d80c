"""Camunda's process instance routes: the query, one instance, its variables and activities."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.config import is_secret_name
from modelop_mlc.errors import InstanceNotFoundError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessInstance
from modelop_mlc.rest._auth import COMPLETE, READ, SIGNAL
from modelop_mlc.rest._authorize import check_instance
from modelop_mlc.rest._camunda import activity_instances, instance_dto
from modelop_mlc.rest._errors import ApiError, bad_request, not_found
from modelop_mlc.rest._fields import check_fields
from modelop_mlc.rest._http import PRINCIPAL_KEY, Context, base_url, json_body, json_response
from modelop_mlc.rest._query import Query, Window, kept_rows, like, variable_filter
from modelop_mlc.rest._routing import ApiRoute, Paged, query_routes
from modelop_mlc.rest._variables import from_typed, to_typed, typed_map
from modelop_mlc.store.queries import InstanceQuery, Page

__all__ = ["API", "instance_query", "running_instance"]

_ENDED = {"completed", "cancelled"}


def running_instance(manager: LifecycleManager, instance_id: str) -> ProcessInstance:
    """The instance, if it has not ended (Camunda's runtime forgets ended instances).

    Raises:
        ApiError: 404 if it does not exist or has ended (see `/history/process-instance`).
    """
    try:
        instance = manager.instance(instance_id)
    except InstanceNotFoundError:
        instance = None
    if instance is None or instance.status in _ENDED:
        raise not_found(
            f"Process instance with id {instance_id} does not exist"
            + ("; it has ended: read it at /history/process-instance" if instance else "")
        )
    return instance


# ---------------------------------------------------------------- the query

_FILTERS = {
    **dict.fromkeys(
        (
            "processInstanceIds",
            "businessKey",
            "businessKeyLike",
            "processDefinitionId",
            "processDefinitionKey",
            "processDefinitionKeyIn",
            "processDefinitionKeyNotIn",
            "superProcessInstance",
            "subProcessInstance",
            "incidentId",
            "incidentType",
            "incidentMessage",
            "incidentMessageLike",
            "activityIdIn",
            "variables",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "active",
            "suspended",
            "withIncident",
            "rootProcessInstances",
            "leafProcessInstances",
            "processDefinitionWithoutTenantId",
            "withoutTenantId",
            "variableNamesIgnoreCase",
            "variableValuesIgnoreCase",
            "ended",
        ),
        "boolean",
    ),
}
_INSTANCE_ORDERS = {
    "instanceId": "id",
    "definitionKey": "key",
    "definitionId": "definition_id",
    "businessKey": "business_key",
    "tenantId": "started",  # every instance has tenant null: the default order
}


def instance_query(query: Query) -> InstanceQuery:
    """The store query of `GET /process-instance`: running instances unless `ended=true`."""
    ids = query.texts("processInstanceIds")
    active, suspended = query.boolean("active"), query.boolean("suspended")
    with_incident, ended = query.boolean("withIncident"), query.boolean("ended")
    order, descending = query.order(_INSTANCE_ORDERS, ("started", True))
    if order == "started":
        descending = True  # tenantId sets nothing apart: newest first, either way
    # Camunda's runtime query only sees instances that have not ended; `ended=true` (our
    # addition) asks for those that have. None is ever suspended, so "inactive" and
    # "suspended" find nothing.
    statuses: list[str] = sorted(_ENDED) if ended else ["running", "incident"]
    if with_incident:
        statuses = [s for s in statuses if s == "incident"]
    if active is False or suspended:
        statuses = []
    return InstanceQuery(
        statuses=statuses,
        ids=ids,
        key=query.text("processDefinitionKey"),
        keys_in=query.texts("processDefinitionKeyIn"),
        keys_not_in=query.texts("processDefinitionKeyNotIn"),
        business_key=query.text("businessKey"),
        business_key_like=query.text("businessKeyLike"),
        definition_id=query.text("processDefinitionId"),
        super_instance_id=query.text("superProcessInstance"),
        sub_instance_id=query.text("subProcessInstance"),
        roots_only=bool(query.boolean("rootProcessInstances")),
        leaves_only=bool(query.boolean("leafProcessInstances")),
        order=order,
        descending=descending,
    )


def _unindexed(manager: LifecycleManager, query: Query) -> Callable[[ProcessInstance], bool] | None:
    """The filters the database cannot answer, as one test of an instance (None: there are none).

    An instance's waiting activities and its variables are stored as JSON, and incident types
    are named differently in Camunda: these are tested on the rows the store's query reads,
    in its order, a batch at a time (`Window.read`). Everything else is in `instance_query`.
    """
    if query.boolean("variableNamesIgnoreCase") or query.boolean("variableValuesIgnoreCase"):
        raise bad_request(
            "variableNamesIgnoreCase and variableValuesIgnoreCase are not supported by "
            "modelop_mlc: variable names and values compare exactly"
        )
    activities = query.texts("activityIdIn")
    variables = variable_filter(query.text("variables"))
    wanted_id, kind, message, message_like = (
        query.text(n)
        for n in ("incidentId", "incidentType", "incidentMessage", "incidentMessageLike")
    )
    by_incident = any(f is not None for f in (wanted_id, kind, message, message_like))
    if activities is None and variables is None and not by_incident:
        return None

    def incident_match(instance: ProcessInstance) -> bool:
        # An instance has few open incidents: read them by its index, row by row.
        mine = manager.incidents(instance_id=instance.id, limit=None)
        return any(
            (wanted_id is None or i.id == wanted_id)
            and (kind is None or _incident_type(i.kind) == kind)
            and (message is None or i.message == message)
            and (message_like is None or like(message_like)(i.message))
            for i in mine
        )

    def wanted(instance: ProcessInstance) -> bool:
        return (
            (activities is None or bool(set(activities) & set(instance.waiting_at)))
            and (variables is None or variables(instance.variables))
            and (not by_incident or incident_match(instance))
        )

    return wanted


def _instance_page(manager: LifecycleManager, query: Query, window: Window) -> list[dict[str, Any]]:
    found = instance_query(query)
    keep = _unindexed(manager, query)
    page = window.read(lambda p: manager.find_instances(found, p), keep)
    return [instance_dto(None, i) for i in page]


def _instance_count(manager: LifecycleManager, query: Query) -> int:
    found = instance_query(query)
    keep = _unindexed(manager, query)
    if keep is None:
        return manager.count_found_instances(found)
    return sum(1 for _ in kept_rows(lambda p: manager.find_instances(found, p), keep))


def _incident_type(kind: str) -> str:
    head, *rest = kind.split("_")
    return head + "".join(part.capitalize() for part in rest)


async def _page(
    context: Context, query: Query, _request: Request, window: Window
) -> Sequence[dict[str, Any]]:
    return await context.read(_instance_page, context.manager, query, window)


async def _count(context: Context, query: Query, _request: Request) -> int:
    return await context.read(_instance_count, context.manager, query)


# ---------------------------------------------------------------- one instance


async def get_instance(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}`: 404 once it has ended, as in Camunda."""
    instance = await context.read(running_instance, context.manager, request.path_params["id"])
    return json_response(instance_dto(base_url(request), instance))


async def get_diagram(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/diagram.svg`: the instance drawn with its state (ours)."""
    svg = await context.read(context.manager.render, request.path_params["id"])
    return Response(svg, media_type="image/svg+xml")


async def delete_instance(context: Context, request: Request) -> Response:
    """`DELETE /process-instance/{id}`: cancel a running instance."""
    query = Query(
        request.query_params,
        allowed={
            "skipCustomListeners": "boolean",
            "skipIoMappings": "boolean",
            "skipSubprocesses": "boolean",
            "failIfNotExists": "boolean",
        },
    )
    # Cancelling never runs end listeners or output mappings, and called processes run inside
    # their caller's instance: the skip flags describe what happens either way (docs/rest.md).
    for name in ("skipCustomListeners", "skipIoMappings", "skipSubprocesses"):
        query.boolean(name)
    instance_id = request.path_params["id"]
    try:
        await context.read(running_instance, context.manager, instance_id)
    except ApiError:
        if query.boolean("failIfNotExists") is False:
            return Response(status_code=204)
        raise
    await context.write(context.manager.cancel, instance_id, "deleted over the REST API")
    return Response(status_code=204)


def _tree(manager: LifecycleManager, instance_id: str) -> dict[str, Any]:
    instance = running_instance(manager, instance_id)
    records = activity_instances(manager.history(instance_id, limit=None), instance)
    incidents = manager.incidents(instance_id=instance_id, limit=None)
    children = []
    for record in records:
        if record["endTime"] is not None:
            continue
        mine = [i for i in incidents if i.activity_id == record["activityId"]]
        children.append(
            {
                "id": record["id"],
                "parentActivityInstanceId": instance.id,
                "activityId": record["activityId"],
                "activityType": record["activityType"],
                "processInstanceId": instance.id,
                "processDefinitionId": instance.definition_id,
                "childActivityInstances": [],
                "childTransitionInstances": [],
                "executionIds": [instance.id],
                "activityName": record["activityName"],
                "incidentIds": [i.id for i in mine],
                "incidents": [{"id": i.id, "activityId": i.activity_id} for i in mine],
                "name": record["activityName"],
            }
        )
    return {
        "id": instance.id,
        "parentActivityInstanceId": None,
        "activityId": instance.definition_id,
        "activityType": "processDefinition",
        "processInstanceId": instance.id,
        "processDefinitionId": instance.definition_id,
        "childActivityInstances": children,
        "childTransitionInstances": [],
        "executionIds": [instance.id],
        "activityName": instance.key,
        "incidentIds": [],
        "incidents": [],
        "name": instance.key,
    }


async def get_activity_instances(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/activity-instances`: the tree of active activities."""
    return json_response(await context.read(_tree, context.manager, request.path_params["id"]))


# ---------------------------------------------------------------- variables


async def _variables(context: Context, request: Request) -> dict[str, Any]:
    """The instance's variables, if the caller may read them (see `_authorize`)."""
    instance = await context.read(running_instance, context.manager, request.path_params["id"])
    tasks = await context.read(context.manager.tasks, instance_id=instance.id)
    check_instance(request.scope[PRINCIPAL_KEY], instance.id, tasks)
    return dict(instance.variables)


async def get_variables(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/variables`: typed values."""
    query = Query(
        request.query_params, allowed={"variableNames": "string", "deserializeValues": "boolean"}
    )
    names = query.texts("variableNames")
    variables = await _variables(context, request)
    if names is not None:
        variables = {k: v for k, v in variables.items() if k in names}
    return json_response(typed_map(variables, context.secret))


async def get_variable(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/variables/{name}`: one typed value."""
    Query(request.query_params, allowed={"deserializeValue": "boolean"})
    name = request.path_params["name"]
    variables = await _variables(context, request)
    if name not in variables:
        raise not_found(f"process instance variable with name {name} does not exist")
    return json_response(to_typed(variables[name], secret=is_secret_name(name, context.secret)))


async def get_variable_data(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/variables/{name}/data`: only binary variables have data."""
    name = request.path_params["name"]
    variables = await _variables(context, request)
    if name not in variables:
        raise not_found(f"process instance variable with name {name} does not exist")
    raise bad_request(
        f"Value of variable with id {name} is not a binary value; modelop_mlc keeps only "
        "JSON values (read it at /variables/{name})"
    )


async def put_variable(context: Context, request: Request) -> Response:
    """`PUT /process-instance/{id}/variables/{name}`: set one variable."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"value", "type", "valueInfo"})
    instance_id = request.path_params["id"]
    await context.read(running_instance, context.manager, instance_id)
    values = from_typed({request.path_params["name"]: body})
    await context.write(context.manager.set_variables, instance_id, values)
    return Response(status_code=204)


async def delete_variable(context: Context, request: Request) -> Response:
    """`DELETE /process-instance/{id}/variables/{name}`."""
    instance_id = request.path_params["id"]
    await context.read(running_instance, context.manager, instance_id)
    await context.write(
        context.manager.delete_variables, instance_id, [request.path_params["name"]]
    )
    return Response(status_code=204)


async def modify_variables(context: Context, request: Request) -> Response:
    """`POST /process-instance/{id}/variables`: `{"modifications", "deletions"}`."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"modifications", "deletions"})
    deletions = body.get("deletions") or []
    if not isinstance(deletions, list) or not all(isinstance(d, str) for d in deletions):
        raise bad_request("'deletions' must be a list of variable names")
    modifications = from_typed(body.get("modifications"), where="modifications")
    instance_id = request.path_params["id"]
    await context.read(running_instance, context.manager, instance_id)
    if modifications:
        await context.write(context.manager.set_variables, instance_id, modifications)
    if deletions:
        await context.write(context.manager.delete_variables, instance_id, deletions)
    return Response(status_code=204)


# ---------------------------------------------------------------- variable instances

_VARIABLE_FILTERS = {
    **dict.fromkeys(
        (
            "variableName",
            "variableNameIn",
            "variableNameLike",
            "variableValues",
            "processInstanceIdIn",
            "executionIdIn",
            "activityInstanceIdIn",
        ),
        "string",
    ),
    "variableNamesIgnoreCase": "boolean",
    "variableValuesIgnoreCase": "boolean",
    "deserializeValues": "boolean",
}
_VARIABLE_SORT = {
    "variableName": lambda v: v["name"],
    "variableType": lambda v: v["type"],
    "activityInstanceId": lambda v: v["activityInstanceId"],
    "tenantId": lambda _v: None,
}


def variable_record(
    instance: ProcessInstance, name: str, value: Any, secret: Sequence[str]
) -> dict[str, Any]:
    """Camunda's `VariableInstanceDto` of one process variable (masked if `secret` names it)."""
    return {
        "id": f"{instance.id}:{name}",
        "name": name,
        **to_typed(value, secret=is_secret_name(name, secret)),
        "processDefinitionId": instance.definition_id,
        "processInstanceId": instance.id,
        "executionId": instance.id,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "taskId": None,
        "batchId": None,
        "activityInstanceId": instance.id,
        "errorMessage": None,
        "tenantId": None,
    }


def select_variables(
    instances: Sequence[ProcessInstance], query: Query, secret: Sequence[str]
) -> list[dict[str, Any]]:
    """The variables of `instances` matching Camunda's variable-instance filters.

    A value filter never matches a secret variable, so it cannot be used to guess one.
    """
    if query.boolean("variableNamesIgnoreCase") or query.boolean("variableValuesIgnoreCase"):
        raise bad_request("variableNamesIgnoreCase and variableValuesIgnoreCase are not supported")
    name, names = query.text("variableName"), query.texts("variableNameIn")
    name_like = query.text("variableNameLike")
    in_instances = query.texts("processInstanceIdIn")
    executions = query.texts("executionIdIn")
    activities = query.texts("activityInstanceIdIn")
    values = variable_filter(query.text("variableValues"), "variableValues")
    found = []
    for instance in instances:
        if in_instances is not None and instance.id not in in_instances:
            continue
        if executions is not None and instance.id not in executions:
            continue
        if activities is not None and instance.id not in activities:
            continue
        for variable, value in instance.variables.items():
            if (name is not None and variable != name) or (
                names is not None and variable not in names
            ):
                continue
            if name_like is not None and not like(name_like)(variable):
                continue
            # Each `variableValues` expression names its variable: test this one alone.
            if values is not None and (
                is_secret_name(variable, secret) or not values({variable: value})
            ):
                continue
            found.append(variable_record(instance, variable, value, secret))
    return query.sort(found, _VARIABLE_SORT)


def _running_variables(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    # Only running instances are read (by the status index), those of `processInstanceIdIn`
    # by their ids; their variables are stored as JSON, so the names are filtered here.
    running = InstanceQuery(
        statuses=["running", "incident"], ids=query.texts("processInstanceIdIn")
    )
    return select_variables(
        manager.find_instances(running, Page(limit=None)), query, manager.config.secret_variables
    )


async def _select_variables(
    context: Context, query: Query, _request: Request
) -> Sequence[dict[str, Any]]:
    return await context.read(_running_variables, context.manager, query)


def _one_variable(manager: LifecycleManager, variable_id: str) -> dict[str, Any]:
    instance_id, _, name = variable_id.partition(":")
    try:
        instance = running_instance(manager, instance_id)
    except ApiError:
        instance = None
    if instance is None or name not in instance.variables:
        raise not_found(f"Variable instance with Id '{variable_id}' does not exist.")
    return variable_record(
        instance, name, instance.variables[name], manager.config.secret_variables
    )


async def get_variable_instance(context: Context, request: Request) -> Response:
    """`GET /variable-instance/{id}`."""
    Query(request.query_params, allowed={"deserializeValue": "boolean"})
    return json_response(
        await context.read(_one_variable, context.manager, request.path_params["id"])
    )


_ID = "/process-instance/{id}"
_VAR = f"{_ID}/variables/{{name}}"
API: list[ApiRoute] = [
    *query_routes(
        "/process-instance",
        Paged(_page, _count),
        params=_FILTERS,
        sort_keys=list(_INSTANCE_ORDERS),
        schema="ProcessInstance",
        permissions={READ},
        what="running process instances (ended ones with ended=true, ours)",
    ),
    ApiRoute("GET", _ID, get_instance, {READ}, "One running instance", ok=(200, "ProcessInstance")),
    ApiRoute(
        "DELETE",
        _ID,
        delete_instance,
        {SIGNAL, COMPLETE},
        "Cancel a running instance",
        params={
            "skipCustomListeners": "boolean",
            "skipIoMappings": "boolean",
            "skipSubprocesses": "boolean",
            "failIfNotExists": "boolean",
        },
        ok=(204, None),
    ),
    ApiRoute(
        "GET",
        f"{_ID}/diagram.svg",
        get_diagram,
        {READ},
        "The instance's diagram as SVG: where it waits, what it took, its incidents (ours)",
        ok=(200, "Svg"),
    ),
    ApiRoute(
        "GET",
        f"{_ID}/activity-instances",
        get_activity_instances,
        {READ},
        "The instance's active activities",
        ok=(200, "ActivityInstance"),
    ),
    ApiRoute(
        "GET",
        f"{_ID}/variables",
        get_variables,
        {READ},
        "An instance's variables, typed",
        params={"variableNames": "string", "deserializeValues": "boolean"},
        ok=(200, "VariableMap"),
    ),
    ApiRoute(
        "POST",
        f"{_ID}/variables",
        modify_variables,
        {SIGNAL, COMPLETE},
        "Set and delete an instance's variables",
        body="VariableModifications",
        ok=(204, None),
    ),
    ApiRoute(
        "GET",
        _VAR,
        get_variable,
        {READ},
        "One variable, typed",
        params={"deserializeValue": "boolean"},
        ok=(200, "VariableValue"),
    ),
    ApiRoute(
        "PUT",
        _VAR,
        put_variable,
        {SIGNAL, COMPLETE},
        "Set one variable",
        body="VariableValue",
        ok=(204, None),
    ),
    ApiRoute(
        "DELETE", _VAR, delete_variable, {SIGNAL, COMPLETE}, "Delete one variable", ok=(204, None)
    ),
    ApiRoute(
        "GET",
        f"{_VAR}/data",
        get_variable_data,
        {READ},
        "A binary variable's data (JSON variables have none: 400)",
        ok=(200, "Text"),
    ),
    *query_routes(
        "/variable-instance",
        _select_variables,
        params=_VARIABLE_FILTERS,
        sort_keys=list(_VARIABLE_SORT),
        schema="VariableInstance",
        permissions={READ},
        what="variables of running instances",
    ),
    ApiRoute(
        "GET",
        "/variable-instance/{id}",
        get_variable_instance,
        {READ},
        "One variable of a running instance",
        params={"deserializeValue": "boolean"},
        ok=(200, "VariableInstance"),
    ),
]
