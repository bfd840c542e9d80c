"""Camunda's external task routes: fetch and lock, complete, fail, BPMN error, locks, queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ExternalTask, FetchTopic
from modelop_mlc.rest._auth import COMPLETE, READ
from modelop_mlc.rest._camunda import camunda_date
from modelop_mlc.rest._errors import bad_request
from modelop_mlc.rest._fields import check_fields, flag, integer, strings, text
from modelop_mlc.rest._http import Context, json_body, json_response
from modelop_mlc.rest._query import Query, Window, kept_rows, variable_filter
from modelop_mlc.rest._routing import ApiRoute, Paged, query_routes
from modelop_mlc.rest._variables import from_typed, typed_map
from modelop_mlc.store.queries import Page

__all__ = ["API", "external_task_dto"]

# Camunda caps long polling at 30 minutes (asyncResponseTimeout).
_MAX_WAIT_MS = 1_800_000
_TOPIC_FIELDS = {
    "topicName",
    "lockDuration",
    "variables",
    "localVariables",
    "businessKey",
    "processDefinitionId",
    "processDefinitionIdIn",
    "processDefinitionKey",
    "processDefinitionKeyIn",
    "processDefinitionVersionTag",
    "processVariables",
    "deserializeValues",
    "includeExtensionProperties",
}
_FETCH_FIELDS = {"workerId", "maxTasks", "usePriority", "asyncResponseTimeout", "topics", "sorting"}


def external_task_dto(task: ExternalTask) -> dict[str, Any]:
    """Camunda's `ExternalTaskDto`."""
    return {
        "activityId": task.activity_id,
        "activityInstanceId": f"{task.activity_id}:{task.id}",
        "errorMessage": task.error_message,
        "executionId": task.id,
        "id": task.id,
        "lockExpirationTime": camunda_date(task.lock_expires_at),
        "createTime": camunda_date(task.created_at),
        "processDefinitionId": task.definition_id,
        "processDefinitionKey": task.key,
        "processDefinitionVersionTag": task.version_tag,
        "processInstanceId": task.instance_id,
        "tenantId": None,
        "retries": task.retries,
        "suspended": False,
        "workerId": task.worker_id,
        "topicName": task.topic,
        "priority": task.priority,
        "businessKey": task.business_key,
    }


def _locked_dto(task: ExternalTask, extension_properties: bool) -> dict[str, Any]:
    body = external_task_dto(task)
    body["errorDetails"] = task.error_details
    # The worker locking the task is its delegate: like an in-process delegate it needs the
    # real values (a Jira password to open the ticket), so nothing is masked here.
    body["variables"] = typed_map(task.variables, secret=())
    if extension_properties:
        body["extensionProperties"] = dict(task.properties)
    return body


def _topic(entry: Any) -> tuple[FetchTopic, bool]:
    if not isinstance(entry, Mapping):
        raise bad_request("each entry of 'topics' must be an object with a 'topicName'")
    check_fields(entry, _TOPIC_FIELDS, unsupported={"tenantIdIn", "withoutTenantId"})
    name = text(entry, "topicName", required=True)
    duration = integer(entry, "lockDuration", required=True, minimum=1)
    assert name is not None
    assert duration is not None
    ids = strings(entry, "processDefinitionIdIn")
    one_id = text(entry, "processDefinitionId")
    keys = strings(entry, "processDefinitionKeyIn")
    one_key = text(entry, "processDefinitionKey")
    return (
        FetchTopic(
            name,
            lock_duration=timedelta(milliseconds=duration),
            variables=strings(entry, "variables"),
            local_variables=flag(entry, "localVariables"),
            business_key=text(entry, "businessKey"),
            definition_ids=(*(ids or ()), one_id) if one_id else ids,
            keys=(*(keys or ()), one_key) if one_key else keys,
            version_tag=text(entry, "processDefinitionVersionTag"),
            process_variables=from_typed(
                _untyped(entry.get("processVariables")), where="processVariables"
            ),
        ),
        flag(entry, "includeExtensionProperties"),
    )


def _untyped(value: Any) -> Any:
    # Camunda's topic filter takes plain values ({"applicant": "ann"}), not typed ones.
    if not isinstance(value, Mapping):
        return value
    return {
        k: v if isinstance(v, Mapping) and "value" in v else {"value": v} for k, v in value.items()
    }


async def fetch_and_lock(context: Context, request: Request) -> Response:
    """`POST /external-task/fetchAndLock`, long polling up to `asyncResponseTimeout`."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, _FETCH_FIELDS)
    worker = text(body, "workerId", required=True)
    assert worker is not None
    max_tasks = integer(body, "maxTasks", minimum=0, default=10)
    assert max_tasks is not None
    timeout = integer(body, "asyncResponseTimeout", minimum=0, default=0)
    assert timeout is not None
    if timeout > _MAX_WAIT_MS:
        raise bad_request(
            f"The asynchronous response timeout cannot be set to a value greater than "
            f"{_MAX_WAIT_MS} milliseconds"
        )
    sorting = body.get("sorting")
    if sorting not in (None, []):
        raise bad_request(
            "'sorting' is not supported by modelop_mlc; use usePriority (priority, then the "
            "oldest first)"
        )
    entries = body.get("topics")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise bad_request("'topics' must be a list")
    parsed = [_topic(entry) for entry in entries]
    topics = [topic for topic, _ in parsed]
    extension = {topic.name for topic, wanted in parsed if wanted}
    try:
        tasks = await context.read(
            context.manager.fetch_and_lock,
            worker,
            topics,
            max_tasks=max_tasks,
            use_priority=flag(body, "usePriority"),
            wait=timedelta(milliseconds=timeout) if timeout else None,
        )
    except ValueError as err:
        raise bad_request(str(err)) from None
    return json_response([_locked_dto(t, t.topic in extension) for t in tasks])


async def _worker_body(
    context: Context, request: Request, known: set[str], *, worker: bool = True
) -> dict[str, Any]:
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, known)
    if worker:
        text(body, "workerId", required=True)
    return body


async def complete(context: Context, request: Request) -> Response:
    """`POST /external-task/{id}/complete`."""
    body = await _worker_body(context, request, {"workerId", "variables", "localVariables"})
    await context.write(
        context.manager.complete_external_task,
        request.path_params["id"],
        body["workerId"],
        from_typed(body.get("variables")),
        local_variables=from_typed(body.get("localVariables"), where="localVariables"),
    )
    return Response(status_code=204)


async def failure(context: Context, request: Request) -> Response:
    """`POST /external-task/{id}/failure`: retries left and a retry timeout."""
    body = await _worker_body(
        context,
        request,
        {"workerId", "errorMessage", "errorDetails", "retries", "retryTimeout"},
        worker=True,
    )
    check_fields(body, {"workerId", "errorMessage", "errorDetails", "retries", "retryTimeout"})
    retries = integer(body, "retries", minimum=0, default=0)
    timeout = integer(body, "retryTimeout", minimum=0, default=0)
    assert retries is not None
    assert timeout is not None
    await context.write(
        context.manager.handle_external_task_failure,
        request.path_params["id"],
        body["workerId"],
        error_message=text(body, "errorMessage"),
        error_details=text(body, "errorDetails"),
        retries=retries,
        retry_timeout=timedelta(milliseconds=timeout),
    )
    return Response(status_code=204)


async def bpmn_error(context: Context, request: Request) -> Response:
    """`POST /external-task/{id}/bpmnError`: throw the error from the task."""
    body = await _worker_body(
        context, request, {"workerId", "errorCode", "errorMessage", "variables"}
    )
    code = text(body, "errorCode", required=True)
    await context.write(
        context.manager.handle_external_task_bpmn_error,
        request.path_params["id"],
        body["workerId"],
        code,
        text(body, "errorMessage"),
        from_typed(body.get("variables")),
    )
    return Response(status_code=204)


async def extend_lock(context: Context, request: Request) -> Response:
    """`POST /external-task/{id}/extendLock`."""
    body = await _worker_body(context, request, {"workerId", "newDuration"})
    duration = integer(body, "newDuration", required=True)
    assert duration is not None
    if duration <= 0:
        raise bad_request(f"'newDuration' must be positive, got {duration}")
    await context.write(
        context.manager.extend_external_task_lock,
        request.path_params["id"],
        body["workerId"],
        timedelta(milliseconds=duration),
    )
    return Response(status_code=204)


async def unlock(context: Context, request: Request) -> Response:
    """`POST /external-task/{id}/unlock`."""
    await context.write(context.manager.unlock_external_task, request.path_params["id"])
    return Response(status_code=204)


async def set_retries(context: Context, request: Request) -> Response:
    """`PUT /external-task/{id}/retries`: above 0 resolves the task's incident."""
    body = await _worker_body(context, request, {"retries"}, worker=False)
    retries = integer(body, "retries", required=True, minimum=0)
    await context.write(
        context.manager.set_external_task_retries, request.path_params["id"], retries
    )
    return Response(status_code=204)


async def set_priority(context: Context, request: Request) -> Response:
    """`PUT /external-task/{id}/priority`."""
    body = await _worker_body(context, request, {"priority"}, worker=False)
    priority = integer(body, "priority", required=True)
    await context.write(
        context.manager.set_external_task_priority, request.path_params["id"], priority
    )
    return Response(status_code=204)


async def get_task(context: Context, request: Request) -> Response:
    """`GET /external-task/{id}`."""
    task = await context.read(context.manager.external_task, request.path_params["id"])
    return json_response(external_task_dto(task))


async def error_details(context: Context, request: Request) -> Response:
    """`GET /external-task/{id}/errorDetails`: the last failure's details, as text."""
    task = await context.read(context.manager.external_task, request.path_params["id"])
    return Response(task.error_details or "", media_type="text/plain")


async def topic_names(context: Context, request: Request) -> Response:
    """`GET /external-task/topic-names`."""
    query = Query(request.query_params, allowed=_TOPIC_FILTERS)
    # Open tasks only (a completed one is deleted): their number follows the waiting work.
    tasks = await context.read(partial(context.manager.external_tasks, limit=None))
    now = context.manager.clock.now()
    names = {
        t.topic
        for t in tasks
        if (query.boolean("withLockedTasks") is not True or t.locked(now))
        and (query.boolean("withUnlockedTasks") is not True or not t.locked(now))
        and (query.boolean("withRetriesLeft") is not True or t.retries != 0)
    }
    return json_response(sorted(names))


_TOPIC_FILTERS = {
    "withLockedTasks": "boolean",
    "withUnlockedTasks": "boolean",
    "withRetriesLeft": "boolean",
}

_FILTERS = {
    "externalTaskId": "string",
    "externalTaskIdIn": "string",
    "topicName": "string",
    "workerId": "string",
    "locked": "boolean",
    "notLocked": "boolean",
    "withRetriesLeft": "boolean",
    "noRetriesLeft": "boolean",
    "lockExpirationAfter": "string",
    "lockExpirationBefore": "string",
    "activityId": "string",
    "activityIdIn": "string",
    "executionId": "string",
    "processInstanceId": "string",
    "processInstanceIdIn": "string",
    "processDefinitionId": "string",
    "processDefinitionKey": "string",
    "processDefinitionKeyIn": "string",
    "active": "boolean",
    "suspended": "boolean",
    "priorityHigherThanOrEquals": "integer",
    "priorityLowerThanOrEquals": "integer",
    "processVariables": "string",
}
_SORT = {
    "id": lambda t: t.id,
    "lockExpirationTime": lambda t: t.lock_expires_at,
    "processInstanceId": lambda t: t.instance_id,
    "processDefinitionId": lambda t: t.definition_id,
    "processDefinitionKey": lambda t: t.key,
    "taskPriority": lambda t: t.priority,
    "createTime": lambda t: t.created_at,
    "tenantId": lambda _t: None,
}


def _matches(query: Query, task: ExternalTask, now: datetime, variables: Any) -> bool:
    def one_of(name: str, value: str | None) -> bool:
        wanted = query.texts(name)
        return wanted is None or value in wanted

    def equal(name: str, value: Any) -> bool:
        wanted = query.text(name)
        return wanted is None or value == wanted

    locked = task.locked(now)
    after, before = query.date("lockExpirationAfter"), query.date("lockExpirationBefore")
    high = query.integer("priorityHigherThanOrEquals", minimum=-(2**63))
    low = query.integer("priorityLowerThanOrEquals", minimum=-(2**63))
    expires = task.lock_expires_at
    return (
        equal("externalTaskId", task.id)
        and one_of("externalTaskIdIn", task.id)
        and equal("topicName", task.topic)
        and equal("workerId", task.worker_id)
        and (query.boolean("locked") is not True or locked)
        and (query.boolean("notLocked") is not True or not locked)
        and (query.boolean("withRetriesLeft") is not True or task.retries != 0)
        and (query.boolean("noRetriesLeft") is not True or task.retries == 0)
        and (after is None or (expires is not None and expires > after))
        and (before is None or (expires is not None and expires < before))
        and equal("activityId", task.activity_id)
        and one_of("activityIdIn", task.activity_id)
        and equal("executionId", task.id)
        and equal("processInstanceId", task.instance_id)
        and one_of("processInstanceIdIn", task.instance_id)
        and equal("processDefinitionId", task.definition_id)
        and equal("processDefinitionKey", task.key)
        and one_of("processDefinitionKeyIn", task.key)
        and query.boolean("suspended") is not True
        and (high is None or task.priority >= high)
        and (low is None or task.priority <= low)
        and (variables is None or variables(task))
    )


def _reads(
    manager: LifecycleManager, query: Query
) -> tuple[Callable[[Page], list[ExternalTask]], Callable[[ExternalTask], bool]]:
    """How to read the tasks `query` selects: the store's pages and a test of each task.

    The database narrows by topic and instance and reads in creation order; the other
    filters (locks, retries, an instance's variables) are tested a batch at a time.
    """
    now = manager.clock.now()
    test = variable_filter(query.text("processVariables"), "processVariables")
    owners: dict[str, Any] = {}

    def variables_of(task: ExternalTask) -> bool:
        assert test is not None
        if task.instance_id not in owners:
            owners[task.instance_id] = manager.variables(task.instance_id)
        return test(owners[task.instance_id])

    checker = variables_of if test is not None else None

    def read(page: Page) -> list[ExternalTask]:
        return manager.external_tasks(
            instance_id=query.text("processInstanceId"),
            topic=query.text("topicName"),
            limit=page.limit,
            offset=page.offset,
        )

    return read, lambda task: _matches(query, task, now, checker)


def _selected(manager: LifecycleManager, query: Query, window: Window) -> list[dict[str, Any]]:
    read, keep = _reads(manager, query)
    if query.text("sortBy") is None and not query.sorting:
        found = window.read(read, keep)
    else:
        # Sorted otherwise than by creation: every open task that matches is read (their
        # number follows the waiting work; a completed task is deleted).
        found = window.rows(query.sort([t for t in read(Page()) if keep(t)], _SORT))
    return [external_task_dto(t) for t in found]


def _counted(manager: LifecycleManager, query: Query) -> int:
    return sum(1 for _ in kept_rows(*_reads(manager, query)))


async def _page(
    context: Context, query: Query, _request: Request, window: Window
) -> Sequence[dict[str, Any]]:
    return await context.read(_selected, context.manager, query, window)


async def _count(context: Context, query: Query, _request: Request) -> int:
    return await context.read(_counted, context.manager, query)


API: list[ApiRoute] = [
    ApiRoute(
        "POST",
        "/external-task/fetchAndLock",
        fetch_and_lock,
        {COMPLETE},
        "Fetch and lock external tasks (long polling with asyncResponseTimeout)",
        body="FetchExternalTasks",
        ok=(200, "LockedExternalTask"),
        array=True,
        errors=(400, 401, 403, 500),
    ),
    *query_routes(
        "/external-task",
        Paged(_page, _count),
        params=_FILTERS,
        sort_keys=list(_SORT),
        schema="ExternalTask",
        permissions={READ},
        what="external tasks",
    ),
    ApiRoute(
        "GET",
        "/external-task/topic-names",
        topic_names,
        {READ},
        "Topic names of external tasks",
        params=_TOPIC_FILTERS,
        ok=(200, "Strings"),
        errors=(400, 401, 403, 500),
    ),
    ApiRoute(
        "GET",
        "/external-task/{id}",
        get_task,
        {READ},
        "One external task",
        ok=(200, "ExternalTask"),
    ),
    ApiRoute(
        "GET",
        "/external-task/{id}/errorDetails",
        error_details,
        {READ},
        "The last failure's details",
        ok=(200, "Text"),
    ),
    ApiRoute(
        "POST",
        "/external-task/{id}/complete",
        complete,
        {COMPLETE},
        "Complete an external task the worker holds",
        body="CompleteExternalTask",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        "/external-task/{id}/failure",
        failure,
        {COMPLETE},
        "Report a failure (retries, retry timeout; an incident at 0)",
        body="ExternalTaskFailure",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        "/external-task/{id}/bpmnError",
        bpmn_error,
        {COMPLETE},
        "Throw a BPMN error from an external task",
        body="ExternalTaskBpmnError",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        "/external-task/{id}/extendLock",
        extend_lock,
        {COMPLETE},
        "Extend the lock the worker holds",
        body="ExtendLock",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        "/external-task/{id}/unlock",
        unlock,
        {COMPLETE},
        "Release an external task's lock",
        ok=(204, None),
        errors=(401, 403, 404, 500),
    ),
    ApiRoute(
        "PUT",
        "/external-task/{id}/retries",
        set_retries,
        {COMPLETE},
        "Set an external task's retries (above 0 resolves its incident)",
        body="Retries",
        ok=(204, None),
    ),
    ApiRoute(
        "PUT",
        "/external-task/{id}/priority",
        set_priority,
        {COMPLETE},
        "Set an external task's priority",
        body="Priority",
        ok=(204, None),
    ),
]
