"""Routes of Camunda's runtime, task and history services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.errors import CorrelationError, InstanceNotFoundError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import MessageResult, ProcessDefinition, ProcessInstance, UserTask
from modelop_mlc.rest._camunda import (
    activity_instances,
    incident_dto,
    instance_dto,
    task_dto,
)
from modelop_mlc.rest._deploy import find_definition, latest_definition
from modelop_mlc.rest._errors import bad_request, not_found
from modelop_mlc.rest._http import Context, base_url, json_body, json_response
from modelop_mlc.rest._query import Query, like
from modelop_mlc.rest._variables import from_typed, to_typed, typed_map

__all__ = [
    "complete_task",
    "get_instance",
    "get_task",
    "get_variable",
    "get_variables",
    "list_activity_instances",
    "list_incidents",
    "list_instances",
    "list_tasks",
    "message",
    "set_job_retries",
    "signal",
    "signal_responsive",
    "start_by_id",
    "start_by_key",
]

_ENDED = {"completed", "cancelled"}


def _text(body: Mapping[str, Any], name: str, *, required: str | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        if required is not None:
            raise bad_request(required)
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string")
    if required is not None and not value:
        raise bad_request(required)
    return value


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"'{name}' must be true or false")
    return value


def _unsupported(body: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) not in (None, [], {}, False):
            raise bad_request(f"'{name}' is not supported by modelop_mlc")


# ---------------------------------------------------------------- starting


async def _start(context: Context, request: Request, definition: ProcessDefinition) -> Response:
    body = await json_body(request, context.max_upload_bytes)
    _unsupported(body, "startInstructions", "skipCustomListeners", "skipIoMappings")
    variables = from_typed(body.get("variables"))
    business_key = _text(body, "businessKey")
    instance = await context.write(
        context.manager.start,
        definition.key,
        variables,
        business_key=business_key,
        version=definition.version,
    )
    answer = instance_dto(base_url(request), instance)
    if _flag(body, "withVariablesInReturn"):
        answer["variables"] = typed_map(instance.variables)
    return json_response(answer)


async def start_by_id(context: Context, request: Request) -> Response:
    """`POST /process-definition/{id}/start`."""
    definition = await context.read(find_definition, context.manager, request.path_params["id"])
    return await _start(context, request, definition)


async def start_by_key(context: Context, request: Request) -> Response:
    """`POST /process-definition/key/{key}/start`: start the latest version."""
    definition = await context.read(latest_definition, context.manager, request.path_params["key"])
    return await _start(context, request, definition)


# ---------------------------------------------------------------- signals and messages


async def _signal(context: Context, request: Request) -> tuple[str, list[str], list[str]]:
    body = await json_body(request, context.max_upload_bytes)
    name = _text(body, "name", required="No signal name given")
    assert name is not None
    _unsupported(body, "executionId")
    variables = from_typed(body.get("variables"))
    result = await context.write(context.manager.signal, name, variables)
    return name, list(result.started), list(result.delivered)


async def signal(context: Context, request: Request) -> Response:
    """`POST /signal`: broadcast a signal; 204 as in Camunda."""
    await _signal(context, request)
    return Response(status_code=204)


async def signal_responsive(context: Context, request: Request) -> Response:
    """ModelOp's `POST /signalResponsive`: like `/signal`, answering what it did."""
    name, started, delivered = await _signal(context, request)
    return json_response(
        {
            "name": name,
            "startedProcessInstanceIds": started,
            "deliveredProcessInstanceIds": delivered,
        }
    )


def _message_result(
    base: str, result: MessageResult, instance: ProcessInstance, with_variables: bool
) -> dict[str, Any]:
    if result.started:
        answer: dict[str, Any] = {
            "resultType": "ProcessDefinition",
            "processInstance": instance_dto(base, instance),
            "execution": None,
        }
    else:
        answer = {
            "resultType": "Execution",
            "processInstance": None,
            "execution": {
                "id": instance.id,
                "processInstanceId": instance.id,
                "ended": instance.ended,
                "tenantId": None,
            },
        }
    if with_variables:
        answer["variables"] = typed_map(instance.variables)
    return answer


async def message(context: Context, request: Request) -> Response:
    """`POST /message`: correlate a message to one receiver (or all, with `all`)."""
    body = await json_body(request, context.max_upload_bytes)
    name = _text(body, "messageName", required="No message name supplied")
    assert name is not None
    _unsupported(body, "processInstanceId", "localCorrelationKeys", "processVariablesLocal")
    business_key = _text(body, "businessKey")
    keys = from_typed(body.get("correlationKeys"), where="correlationKeys")
    variables = from_typed(body.get("processVariables"), where="processVariables")
    every = _flag(body, "all")
    result_enabled = _flag(body, "resultEnabled")
    with_variables = _flag(body, "variablesInResultEnabled")
    manager = context.manager
    results: list[MessageResult]
    try:
        if every:
            results = await context.write(
                manager.message_all,
                name,
                variables,
                business_key=business_key,
                correlation_keys=keys,
            )
        else:
            results = [
                await context.write(
                    manager.message,
                    name,
                    variables,
                    business_key=business_key,
                    correlation_keys=keys,
                )
            ]
    except CorrelationError as err:
        # Camunda's correlateAll() reaches nobody without complaint.
        if not (every and err.matches == 0):
            raise
        results = []
    if not result_enabled:
        return Response(status_code=204)
    base = base_url(request)
    answers = []
    for result in results:
        instance = await context.read(context.manager.instance, result.instance_id)
        answers.append(_message_result(base, result, instance, with_variables))
    return json_response(answers)


# ---------------------------------------------------------------- instances


async def list_instances(context: Context, request: Request) -> Response:
    """`GET /process-instance`: running instances (ended ones with `ended=true`)."""
    query = Query(request.query_params)
    ids = query.texts("processInstanceIds")
    business_key, business_like = query.text("businessKey"), query.text("businessKeyLike")
    definition_id = query.text("processDefinitionId")
    key, keys_in = query.text("processDefinitionKey"), query.texts("processDefinitionKeyIn")
    keys_out = query.texts("processDefinitionKeyNotIn")
    active, suspended = query.boolean("active"), query.boolean("suspended")
    with_incident, ended = query.boolean("withIncident"), query.boolean("ended")
    found = await context.read(context.manager.instances, key=key, business_key=business_key)
    matches_business = like(business_like) if business_like is not None else None

    def wanted(instance: ProcessInstance) -> bool:
        finished = instance.status in _ENDED
        # Camunda's runtime query only sees instances that have not ended; `ended=true`
        # (our addition) asks for those that have.
        if finished != bool(ended):
            return False
        if active is False or suspended:
            return False  # never suspended, so "inactive" and "suspended" are empty
        return (
            (ids is None or instance.id in ids)
            and (matches_business is None or matches_business(instance.business_key))
            and (definition_id is None or instance.definition_id == definition_id)
            and (keys_in is None or instance.key in keys_in)
            and (keys_out is None or instance.key not in keys_out)
            and (not with_incident or instance.status == "incident")
        )

    selected = query.sort(
        [i for i in found if wanted(i)],
        {
            "instanceId": lambda i: i.id,
            "definitionKey": lambda i: i.key,
            "definitionId": lambda i: i.definition_id,
            "businessKey": lambda i: i.business_key,
            "tenantId": lambda _i: None,
        },
    )
    return json_response([instance_dto(None, i) for i in query.page(selected)])


async def get_instance(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}` (ended instances too, with `"ended": true`)."""
    instance = await context.read(context.manager.instance, request.path_params["id"])
    return json_response(instance_dto(base_url(request), instance))


async def get_diagram(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/diagram.svg`: the instance drawn with its state (ours)."""
    svg = await context.read(context.manager.render, request.path_params["id"])
    return Response(svg, media_type="image/svg+xml")


async def get_variables(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/variables`: typed values."""
    query = Query(request.query_params)
    names = query.texts("variableNames")
    query.boolean("deserializeValues")  # accepted; values are JSON either way
    variables = await context.read(context.manager.variables, request.path_params["id"])
    if names is not None:
        variables = {k: v for k, v in variables.items() if k in names}
    return json_response(typed_map(variables))


async def get_variable(context: Context, request: Request) -> Response:
    """`GET /process-instance/{id}/variables/{name}`: one typed value."""
    name = request.path_params["name"]
    variables = await context.read(context.manager.variables, request.path_params["id"])
    if name not in variables:
        raise not_found(f"process instance variable with name {name} does not exist")
    return json_response(to_typed(variables[name]))


# ---------------------------------------------------------------- tasks


def _definition_ids(manager: LifecycleManager, tasks: list[UserTask]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for task in tasks:
        if task.instance_id not in found:
            try:
                found[task.instance_id] = manager.instance(task.instance_id).definition_id
            except InstanceNotFoundError:
                found[task.instance_id] = None
    return found


async def list_tasks(context: Context, request: Request) -> Response:
    """`GET /task`: open user tasks with Camunda's common filters."""
    query = Query(request.query_params)
    instance_id = query.text("processInstanceId")
    business_key = query.text("processInstanceBusinessKey")
    key, definition_id = query.text("processDefinitionKey"), query.text("processDefinitionId")
    activity, name, name_like = (
        query.text("taskDefinitionKey"),
        query.text("name"),
        query.text("nameLike"),
    )
    task_id = query.text("taskId")
    tasks = await context.read(
        context.manager.tasks,
        instance_id=instance_id,
        assignee=query.text("assignee"),
        candidate_group=query.text("candidateGroup"),
        candidate_user=query.text("candidateUser"),
    )
    name_matches = like(name_like) if name_like is not None else None
    tasks = [
        t
        for t in tasks
        if (key is None or t.key == key)
        and (activity is None or t.activity_id == activity)
        and (name is None or t.name == name)
        and (name_matches is None or name_matches(t.name))
        and (task_id is None or t.id == task_id)
    ]
    definitions = await context.read(_definition_ids, context.manager, tasks)
    if definition_id is not None:
        tasks = [t for t in tasks if definitions.get(t.instance_id) == definition_id]
    if business_key is not None:
        keyed = await context.read(context.manager.instances, business_key=business_key)
        owners = {i.id for i in keyed}
        tasks = [t for t in tasks if t.instance_id in owners]
    tasks = query.sort(
        tasks,
        {
            "id": lambda t: t.id,
            "name": lambda t: t.name,
            "assignee": lambda t: t.assignee,
            "created": lambda t: t.created_at,
            "dueDate": lambda t: t.due,
            "followUpDate": lambda t: t.follow_up,
            "priority": lambda t: t.priority,
            "instanceId": lambda t: t.instance_id,
            "processInstanceId": lambda t: t.instance_id,
        },
    )
    return json_response([task_dto(t, definitions.get(t.instance_id)) for t in query.page(tasks)])


async def get_task(context: Context, request: Request) -> Response:
    """`GET /task/{id}`."""
    task = await context.read(context.manager.task, request.path_params["id"])
    definitions = await context.read(_definition_ids, context.manager, [task])
    return json_response(task_dto(task, definitions.get(task.instance_id)))


async def complete_task(context: Context, request: Request) -> Response:
    """`POST /task/{id}/complete`: 204, or 200 with the variables (`withVariablesInReturn`)."""
    body = await json_body(request, context.max_upload_bytes)
    variables = from_typed(body.get("variables"))
    with_variables = _flag(body, "withVariablesInReturn")
    instance = await context.write(
        context.manager.complete_task, request.path_params["id"], variables
    )
    if not with_variables:
        return Response(status_code=204)
    return json_response(typed_map(instance.variables))


# ---------------------------------------------------------------- history, incidents, jobs


async def list_activity_instances(context: Context, request: Request) -> Response:
    """`GET /history/activity-instance?processInstanceId=...`."""
    query = Query(request.query_params)
    instance_id = query.text("processInstanceId")
    if instance_id is None:
        raise bad_request(
            "processInstanceId is required: modelop_mlc reads activity history per instance"
        )
    activity, activity_type = query.text("activityId"), query.text("activityType")
    finished, unfinished = query.boolean("finished"), query.boolean("unfinished")
    canceled = query.boolean("canceled")
    try:
        instance = await context.read(context.manager.instance, instance_id)
        events = await context.read(context.manager.history, instance_id)
    except InstanceNotFoundError:
        return json_response([])  # a query for an unknown instance finds nothing
    records = [
        r
        for r in activity_instances(events, instance)
        if (activity is None or r["activityId"] == activity)
        and (activity_type is None or r["activityType"] == activity_type)
        and (not finished or r["endTime"] is not None)
        and (not unfinished or r["endTime"] is None)
        and (not canceled or r["canceled"])
    ]
    records = query.sort(
        records,
        {
            "activityInstanceId": lambda r: r["id"],
            "instanceId": lambda r: r["processInstanceId"],
            "executionId": lambda r: r["executionId"],
            "activityId": lambda r: r["activityId"],
            "activityName": lambda r: r["activityName"],
            "activityType": lambda r: r["activityType"],
            "startTime": lambda r: r["startTime"],
            "endTime": lambda r: r["endTime"],
            "duration": lambda r: r["durationInMillis"],
            "definitionId": lambda r: r["processDefinitionId"],
        },
    )
    return json_response(query.page(records))


def _incidents(manager: LifecycleManager, instance_id: str | None) -> list[dict[str, Any]]:
    incidents = manager.incidents(instance_id=instance_id)
    definitions: dict[str, str | None] = {}
    for incident in incidents:
        if incident.instance_id not in definitions:
            try:
                definitions[incident.instance_id] = manager.instance(
                    incident.instance_id
                ).definition_id
            except InstanceNotFoundError:
                definitions[incident.instance_id] = None
    return [incident_dto(i, definitions[i.instance_id]) for i in incidents]


async def list_incidents(context: Context, request: Request) -> Response:
    """`GET /incident`: open incidents."""
    query = Query(request.query_params)
    instance_id, incident_id = query.text("processInstanceId"), query.text("incidentId")
    kind, activity = query.text("incidentType"), query.text("activityId")
    definition_id, job_id = query.text("processDefinitionId"), query.text("configuration")
    found = await context.read(_incidents, context.manager, instance_id)
    selected = [
        i
        for i in found
        if (incident_id is None or i["id"] == incident_id)
        and (kind is None or i["incidentType"] == kind)
        and (activity is None or i["activityId"] == activity)
        and (definition_id is None or i["processDefinitionId"] == definition_id)
        and (job_id is None or i["configuration"] == job_id)
    ]
    selected = query.sort(
        selected,
        {
            "incidentId": lambda i: i["id"],
            "incidentTimestamp": lambda i: i["incidentTimestamp"],
            "incidentType": lambda i: i["incidentType"],
            "activityId": lambda i: i["activityId"],
            "processInstanceId": lambda i: i["processInstanceId"],
            "processDefinitionId": lambda i: i["processDefinitionId"],
        },
    )
    return json_response(query.page(selected))


async def set_job_retries(context: Context, request: Request) -> Response:
    """`PUT /job/{id}/retries`: run a failed job again (resolving its incident)."""
    body = await json_body(request, context.max_upload_bytes)
    retries = body.get("retries")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise bad_request("'retries' must be a whole number of at least 1")
    job_id = request.path_params["id"]
    incidents = await context.read(context.manager.incidents)
    matching = [i for i in incidents if i.job_id == job_id]
    if not matching:
        raise not_found(
            f"No failed job with id '{job_id}'; only jobs with an open incident can be retried"
        )
    await context.write(context.manager.retry, matching[0].id)
    return Response(status_code=204)
