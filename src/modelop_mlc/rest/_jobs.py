"""Camunda's job, job definition and incident routes.

Camunda's jobs are the manager's async delegate jobs and its timers (timer jobs); a job
definition is one per timer or service-type element of a deployed definition
(`{definition id}:{activity id}`), which every job of that element points to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.errors import InstanceNotFoundError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import Incident
from modelop_mlc.rest._auth import COMPLETE, READ
from modelop_mlc.rest._camunda import camunda_date, incident_dto, parse_date
from modelop_mlc.rest._errors import bad_request, not_found
from modelop_mlc.rest._fields import check_fields, integer
from modelop_mlc.rest._http import Context, json_body, json_response
from modelop_mlc.rest._query import Query, Window, kept_rows, like
from modelop_mlc.rest._routing import ApiRoute, Paged, query_routes
from modelop_mlc.store.queries import IncidentQuery, Page

__all__ = ["API"]

_TIMER_TYPES = {
    "intermediateTimer": "timer-intermediate-transition",
    "boundaryTimer": "timer-transition",
    "startTimerEvent": "timer-start-event",
}
_JOB_ELEMENTS = {"serviceTask", "sendTask", "businessRuleTask"}


def _definition_ids(manager: LifecycleManager, instance_ids: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for instance_id in instance_ids:
        try:
            found[instance_id] = manager.instance(instance_id)
        except InstanceNotFoundError:
            found[instance_id] = None
    return found


def _jobs(manager: LifecycleManager) -> list[dict[str, Any]]:
    store = manager.store
    jobs, timers = store.jobs(), store.timers()
    owners = _definition_ids(
        manager, {j.instance_id for j in jobs} | {t.instance_id for t in timers if t.instance_id}
    )
    found = []
    for job in jobs:
        owner = owners.get(job.instance_id)
        definition_id = owner.definition_id if owner is not None else None
        found.append(
            {
                "id": job.id,
                "jobDefinitionId": f"{definition_id}:{job.activity_id}",
                "processInstanceId": job.instance_id,
                "processDefinitionId": definition_id,
                "processDefinitionKey": owner.key if owner is not None else None,
                "executionId": job.instance_id,
                "exceptionMessage": job.last_error,
                "failedActivityId": job.activity_id if job.last_error else None,
                "retries": job.retries_left,
                "dueDate": camunda_date(parse_date(job.due_at)),
                "suspended": False,
                "priority": 0,
                "tenantId": None,
                "createTime": camunda_date(parse_date(job.created_at)),
                "batchId": None,
                "_timer": False,
                "_activity": job.activity_id,
                "_error": job.last_error,
            }
        )
    for timer in timers:
        owner = owners.get(timer.instance_id) if timer.instance_id else None
        definition_id = owner.definition_id if owner is not None else timer.definition_id
        key = owner.key if owner is not None else (definition_id or "").split(":", 1)[0]
        found.append(
            {
                "id": timer.id,
                "jobDefinitionId": f"{definition_id}:{timer.activity_id}",
                "processInstanceId": timer.instance_id,
                "processDefinitionId": definition_id,
                "processDefinitionKey": key,
                "executionId": timer.instance_id,
                "exceptionMessage": None,
                "failedActivityId": None,
                "retries": 3,
                "dueDate": camunda_date(parse_date(timer.due_at)),
                "suspended": False,
                "priority": 0,
                "tenantId": None,
                "createTime": None,
                "batchId": None,
                "_timer": True,
                "_activity": timer.activity_id,
                "_error": None,
            }
        )
    return found


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


_JOB_FILTERS = {
    **dict.fromkeys(
        (
            "jobId",
            "jobIds",
            "jobDefinitionId",
            "processInstanceId",
            "processInstanceIds",
            "executionId",
            "processDefinitionId",
            "processDefinitionKey",
            "activityId",
            "exceptionMessage",
            "failedActivityId",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "withRetriesLeft",
            "executable",
            "timers",
            "messages",
            "withException",
            "noRetriesLeft",
            "active",
            "suspended",
            "withoutTenantId",
        ),
        "boolean",
    ),
    "priorityLowerThanOrEquals": "integer",
    "priorityHigherThanOrEquals": "integer",
}
_JOB_SORT = {
    "jobId": lambda j: j["id"],
    "executionId": lambda j: j["executionId"],
    "processInstanceId": lambda j: j["processInstanceId"],
    "processDefinitionId": lambda j: j["processDefinitionId"],
    "processDefinitionKey": lambda j: j["processDefinitionKey"],
    "jobPriority": lambda j: j["priority"],
    "jobRetries": lambda j: j["retries"],
    "jobDueDate": lambda j: j["dueDate"],
    "tenantId": lambda _j: None,
}


def _select_jobs(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    now = manager.clock.now()
    ids, instances = query.texts("jobIds"), query.texts("processInstanceIds")
    low = query.integer("priorityLowerThanOrEquals", minimum=-(2**63))
    high = query.integer("priorityHigherThanOrEquals", minimum=-(2**63))
    equal = [
        ("jobId", "id"),
        ("jobDefinitionId", "jobDefinitionId"),
        ("processInstanceId", "processInstanceId"),
        ("executionId", "executionId"),
        ("processDefinitionId", "processDefinitionId"),
        ("processDefinitionKey", "processDefinitionKey"),
        ("activityId", "_activity"),
        ("exceptionMessage", "exceptionMessage"),
        ("failedActivityId", "failedActivityId"),
    ]
    found = [
        j
        for j in _jobs(manager)
        if all(query.text(name) in (None, j[field]) for name, field in equal)
        and (ids is None or j["id"] in ids)
        and (instances is None or j["processInstanceId"] in instances)
        and (query.boolean("withRetriesLeft") is not True or j["retries"] > 0)
        and (query.boolean("noRetriesLeft") is not True or j["retries"] == 0)
        and (
            query.boolean("executable") is not True
            or (j["retries"] > 0 and parse_date(j["dueDate"]) <= now)
        )
        and (query.boolean("timers") is not True or j["_timer"])
        and (query.boolean("messages") is not True or not j["_timer"])
        and (query.boolean("withException") is not True or j["_error"] is not None)
        and query.boolean("suspended") is not True
        and (low is None or j["priority"] <= low)
        and (high is None or j["priority"] >= high)
    ]
    return [_public(j) for j in query.sort(found, _JOB_SORT)]


async def _jobs_query(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_jobs, context.manager, query)


def _one_job(manager: LifecycleManager, job_id: str) -> dict[str, Any]:
    for job in _jobs(manager):
        if job["id"] == job_id:
            return job
    raise not_found(f"Job with id {job_id} does not exist")


async def get_job(context: Context, request: Request) -> Response:
    """`GET /job/{id}`."""
    job = await context.read(_one_job, context.manager, request.path_params["id"])
    return json_response(_public(job))


async def get_stacktrace(context: Context, request: Request) -> Response:
    """`GET /job/{id}/stacktrace`: the last failure (our messages, never a Python traceback)."""
    job = await context.read(_one_job, context.manager, request.path_params["id"])
    if job["_error"] is None:
        raise not_found(f"Job with id {job['id']} has no exception stacktrace")
    return Response(job["_error"], media_type="text/plain")


async def set_job_retries(context: Context, request: Request) -> Response:
    """`PUT /job/{id}/retries`: run a failed job again (resolving its incident)."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"retries", "dueDate"})
    retries = integer(body, "retries", required=True)
    if retries is None or retries < 1:
        raise bad_request("'retries' must be a whole number of at least 1")
    job_id = request.path_params["id"]
    matching = await context.read(
        context.manager.find_incidents, IncidentQuery(job_id=job_id), Page(limit=1)
    )
    if not matching:
        raise not_found(
            f"No failed job with id '{job_id}'; only jobs with an open incident can be retried"
        )
    await context.write(context.manager.retry, matching[0].id)
    return Response(status_code=204)


# ---------------------------------------------------------------- job definitions


def _job_definitions(manager: LifecycleManager) -> list[dict[str, Any]]:
    found = []
    for row in manager.store.list_definitions():
        for activity_id, element in row.info.get("elements", {}).items():
            kind = element[5] if len(element) > 5 else element[0]  # noqa: PLR2004
            if kind in _TIMER_TYPES:
                job_type, configuration = _TIMER_TYPES[kind], kind
            elif element[0] in _JOB_ELEMENTS:
                job_type, configuration = "async-continuation", "async-before"
            else:
                continue
            found.append(
                {
                    "id": f"{row.id}:{activity_id}",
                    "processDefinitionId": row.id,
                    "processDefinitionKey": row.key,
                    "activityId": activity_id,
                    "jobType": job_type,
                    "jobConfiguration": configuration,
                    "suspended": False,
                    "overridingJobPriority": None,
                    "tenantId": None,
                    "deploymentId": row.deployment_id,
                }
            )
    return found


_DEFINITION_FILTERS = {
    **dict.fromkeys(
        (
            "jobDefinitionId",
            "activityIdIn",
            "processDefinitionId",
            "processDefinitionKey",
            "jobType",
            "jobConfiguration",
        ),
        "string",
    ),
    **dict.fromkeys(("active", "suspended", "withOverridingJobPriority"), "boolean"),
}
_DEFINITION_SORT = {
    "jobDefinitionId": lambda d: d["id"],
    "activityId": lambda d: d["activityId"],
    "processDefinitionId": lambda d: d["processDefinitionId"],
    "processDefinitionKey": lambda d: d["processDefinitionKey"],
    "jobType": lambda d: d["jobType"],
    "jobConfiguration": lambda d: d["jobConfiguration"],
    "tenantId": lambda _d: None,
}


def _select_definitions(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    activities = query.texts("activityIdIn")
    equal = [
        ("jobDefinitionId", "id"),
        ("processDefinitionId", "processDefinitionId"),
        ("processDefinitionKey", "processDefinitionKey"),
        ("jobType", "jobType"),
        ("jobConfiguration", "jobConfiguration"),
    ]
    found = [
        d
        for d in _job_definitions(manager)
        if all(query.text(name) in (None, d[field]) for name, field in equal)
        and (activities is None or d["activityId"] in activities)
        and query.boolean("suspended") is not True
        and query.boolean("withOverridingJobPriority") is not True
    ]
    return query.sort(found, _DEFINITION_SORT)


async def _definitions_query(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_definitions, context.manager, query)


def _one_definition(manager: LifecycleManager, definition_id: str) -> dict[str, Any]:
    for found in _job_definitions(manager):
        if found["id"] == definition_id:
            return found
    raise not_found(f"Job Definition with id {definition_id} does not exist")


async def get_job_definition(context: Context, request: Request) -> Response:
    """`GET /job-definition/{id}`."""
    return json_response(
        await context.read(_one_definition, context.manager, request.path_params["id"])
    )


# ---------------------------------------------------------------- incidents


def _incident_records(manager: LifecycleManager, incidents: Sequence[Incident]) -> list[Any]:
    owners = _definition_ids(manager, {i.instance_id for i in incidents})
    found = []
    for incident in incidents:
        owner = owners.get(incident.instance_id)
        record = incident_dto(incident, owner.definition_id if owner is not None else None)
        record["jobDefinitionId"] = (
            f"{owner.definition_id}:{incident.activity_id}" if owner is not None else None
        )
        record["_key"] = owner.key if owner is not None else None
        found.append(record)
    return found


_INCIDENT_FILTERS = dict.fromkeys(
    (
        "incidentId",
        "incidentType",
        "incidentMessage",
        "incidentMessageLike",
        "processDefinitionId",
        "processDefinitionKeyIn",
        "processInstanceId",
        "executionId",
        "incidentTimestampBefore",
        "incidentTimestampAfter",
        "activityId",
        "failedActivityId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
        "jobDefinitionIdIn",
    ),
    "string",
)
_INCIDENT_SORT = {
    "incidentId": lambda i: i["id"],
    "incidentMessage": lambda i: i["incidentMessage"],
    "incidentTimestamp": lambda i: i["incidentTimestamp"],
    "incidentType": lambda i: i["incidentType"],
    "executionId": lambda i: i["executionId"],
    "activityId": lambda i: i["activityId"],
    "causeIncidentId": lambda i: i["causeIncidentId"],
    "rootCauseIncidentId": lambda i: i["rootCauseIncidentId"],
    "configuration": lambda i: i["configuration"],
    "processInstanceId": lambda i: i["processInstanceId"],
    "processDefinitionId": lambda i: i["processDefinitionId"],
    "tenantId": lambda _i: None,
}


# `sortBy` values the database orders by (its indexes); the others sort in memory.
_INCIDENT_ORDERS = {
    "incidentId": "id",
    "incidentTimestamp": "created",
    "processInstanceId": "instance_id",
    "executionId": "instance_id",
    "activityId": "activity_id",
    "processDefinitionId": "definition_id",
}


def _incident_query(query: Query, *, ordered: bool) -> IncidentQuery:
    """The store query of `GET /incident`: open incidents, narrowed by what SQL answers."""
    order, descending = (
        query.order(_INCIDENT_ORDERS, ("created", False)) if ordered else ("created", False)
    )
    execution, instance = query.text("executionId"), query.text("processInstanceId")
    return IncidentQuery(
        incident_id=query.text("incidentId"),
        # An instance is its own (only) execution: both name the instance.
        instance_id=instance if instance is not None else execution,
        activity_id=query.text("activityId"),
        definition_id=query.text("processDefinitionId"),
        order=order,
        descending=descending,
    )


# Filters `_incident_query` gives the database; the others are tested row by row.
_PUSHED = frozenset({"incidentId", "processInstanceId", "activityId", "processDefinitionId"})


def _incident_test(manager: LifecycleManager, query: Query) -> Callable[[Incident], bool] | None:
    """Camunda's incident filters the database cannot answer, as one test (None: none)."""
    if all(query.text(name) is None for name in _INCIDENT_FILTERS if name not in _PUSHED):
        return None
    keys, job_definitions = query.texts("processDefinitionKeyIn"), query.texts("jobDefinitionIdIn")
    message_like = query.text("incidentMessageLike")
    before, after = query.date("incidentTimestampBefore"), query.date("incidentTimestampAfter")
    equal = [
        ("incidentId", "id"),
        ("incidentType", "incidentType"),
        ("incidentMessage", "incidentMessage"),
        ("processDefinitionId", "processDefinitionId"),
        ("processInstanceId", "processInstanceId"),
        ("executionId", "executionId"),
        ("activityId", "activityId"),
        ("failedActivityId", "failedActivityId"),
        ("causeIncidentId", "causeIncidentId"),
        ("rootCauseIncidentId", "rootCauseIncidentId"),
        ("configuration", "configuration"),
    ]

    def wanted(incident: Incident) -> bool:
        (i,) = _incident_records(manager, [incident])
        return (
            all(query.text(name) in (None, i[field]) for name, field in equal)
            and (keys is None or i["_key"] in keys)
            and (job_definitions is None or i["jobDefinitionId"] in job_definitions)
            and (message_like is None or like(message_like)(i["incidentMessage"]))
            and (before is None or parse_date(i["incidentTimestamp"]) < before)
            and (after is None or parse_date(i["incidentTimestamp"]) > after)
        )

    return wanted


def _any(_incident: Incident) -> bool:
    return True


def _incident_page(manager: LifecycleManager, query: Query, window: Window) -> list[Any]:
    keep = _incident_test(manager, query)
    if query.sorts_beyond(_INCIDENT_ORDERS):
        # Sorted by what no index orders (type, message, cause, configuration): every open
        # incident that matches is read; their number follows the open incidents.
        store_query = _incident_query(query, ordered=False)
        found = list(kept_rows(partial(manager.find_incidents, store_query), keep or _any))
        records = query.sort(_incident_records(manager, found), _INCIDENT_SORT)
        return [_public(i) for i in window.rows(records)]
    store_query = _incident_query(query, ordered=True)
    page = window.read(partial(manager.find_incidents, store_query), keep)
    return [_public(i) for i in _incident_records(manager, page)]


def _incident_count(manager: LifecycleManager, query: Query) -> int:
    store_query = _incident_query(query, ordered=False)
    keep = _incident_test(manager, query)
    if keep is None:
        return manager.count_found_incidents(store_query)
    return sum(1 for _ in kept_rows(partial(manager.find_incidents, store_query), keep))


async def _incidents_page(
    context: Context, query: Query, _request: Request, window: Window
) -> Sequence[Any]:
    return await context.read(_incident_page, context.manager, query, window)


async def _incidents_count(context: Context, query: Query, _request: Request) -> int:
    return await context.read(_incident_count, context.manager, query)


def _one_incident(manager: LifecycleManager, incident_id: str) -> dict[str, Any]:
    found = manager.find_incidents(IncidentQuery(incident_id=incident_id), Page(limit=1))
    if not found:
        raise not_found(f"Incident with id {incident_id} does not exist")
    return _public(_incident_records(manager, found)[0])


async def get_incident(context: Context, request: Request) -> Response:
    """`GET /incident/{id}`."""
    return json_response(
        await context.read(_one_incident, context.manager, request.path_params["id"])
    )


API: list[ApiRoute] = [
    *query_routes(
        "/job",
        _jobs_query,
        params=_JOB_FILTERS,
        sort_keys=list(_JOB_SORT),
        schema="Job",
        permissions={READ},
        what="jobs (async delegate jobs and timers)",
    ),
    ApiRoute("GET", "/job/{id}", get_job, {READ}, "One job", ok=(200, "Job")),
    ApiRoute(
        "GET",
        "/job/{id}/stacktrace",
        get_stacktrace,
        {READ},
        "A failed job's error",
        ok=(200, "Text"),
    ),
    ApiRoute(
        "PUT",
        "/job/{id}/retries",
        set_job_retries,
        {COMPLETE},
        "Run a failed job again (resolves its incident)",
        body="JobRetries",
        ok=(204, None),
    ),
    *query_routes(
        "/job-definition",
        _definitions_query,
        params=_DEFINITION_FILTERS,
        sort_keys=list(_DEFINITION_SORT),
        schema="JobDefinition",
        permissions={READ},
        what="job definitions",
    ),
    ApiRoute(
        "GET",
        "/job-definition/{id}",
        get_job_definition,
        {READ},
        "One job definition",
        ok=(200, "JobDefinition"),
    ),
    *query_routes(
        "/incident",
        Paged(_incidents_page, _incidents_count),
        params=_INCIDENT_FILTERS,
        sort_keys=list(_INCIDENT_SORT),
        schema="Incident",
        permissions={READ},
        what="open incidents",
        post=False,
    ),
    ApiRoute("GET", "/incident/{id}", get_incident, {READ}, "One incident", ok=(200, "Incident")),
]
