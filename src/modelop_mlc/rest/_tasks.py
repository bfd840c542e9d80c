"""Camunda's task routes: the query, complete, claim, assignee, delegation, variables, forms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.config import is_secret_name
from modelop_mlc.errors import InstanceNotFoundError, TaskNotFoundError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import UserTask
from modelop_mlc.rest._auth import COMPLETE, READ, Principal
from modelop_mlc.rest._authorize import check_task, task_visible, visible_to
from modelop_mlc.rest._camunda import task_dto
from modelop_mlc.rest._errors import bad_request, not_found
from modelop_mlc.rest._fields import check_fields, flag, text
from modelop_mlc.rest._http import PRINCIPAL_KEY, Context, json_body, json_response
from modelop_mlc.rest._query import Query, Window, kept_rows, like, variable_filter
from modelop_mlc.rest._routing import ApiRoute, Paged, query_routes
from modelop_mlc.rest._variables import from_typed, to_typed, typed_map
from modelop_mlc.store.queries import TaskQuery

__all__ = ["API", "task_record"]

_FORM_TYPES = {
    "string": "String",
    "long": "Long",
    "boolean": "Boolean",
    "date": "Date",
    "enum": "String",
}


def _principal(request: Request) -> Principal:
    principal: Principal = request.scope[PRINCIPAL_KEY]
    return principal


def task_record(manager: LifecycleManager, task: UserTask) -> dict[str, Any]:
    """Camunda's `TaskDto` of an open task, with its definition, owner and delegation."""
    try:
        definition_id: str | None = manager.instance(task.instance_id).definition_id
    except InstanceNotFoundError:
        definition_id = None
    body = task_dto(task, definition_id)
    owner, state = manager.task_delegation(task.id)
    body["owner"], body["delegationState"] = owner, state
    return body


async def _task(context: Context, request: Request, *, work: bool = False) -> UserTask:
    """The path's task, if the caller may see it (and work on it); every task route asks here.

    As Camunda's task query does, a task the caller may not see is not found (404); working
    on it is refused (403 AuthorizationException).
    """
    task_id = request.path_params["id"]
    task = await context.read(context.manager.task, task_id)
    principal = _principal(request)
    if work:
        check_task(principal, task)
    elif not task_visible(principal, task):
        raise TaskNotFoundError(task_id)
    return task


# ---------------------------------------------------------------- the task query

_FILTERS = dict.fromkeys(
    (
        "taskId",
        "taskIdIn",
        "processInstanceId",
        "processInstanceIdIn",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyIn",
        "processInstanceBusinessKeyLike",
        "processDefinitionId",
        "processDefinitionKey",
        "processDefinitionKeyIn",
        "executionId",
        "assignee",
        "assigneeIn",
        "assigneeNotIn",
        "assigneeLike",
        "owner",
        "candidateGroup",
        "candidateGroups",
        "candidateUser",
        "involvedUser",
        "taskDefinitionKey",
        "taskDefinitionKeyIn",
        "taskDefinitionKeyLike",
        "name",
        "nameNotEqual",
        "nameLike",
        "nameNotLike",
        "delegationState",
        "dueDate",
        "dueAfter",
        "dueBefore",
        "followUpDate",
        "followUpAfter",
        "followUpBefore",
        "createdOn",
        "createdAfter",
        "createdBefore",
        "processVariables",
    ),
    "string",
)
_FILTERS.update(
    dict.fromkeys(
        (
            "assigned",
            "unassigned",
            "includeAssignedTasks",
            "withCandidateGroups",
            "withoutCandidateGroups",
            "withCandidateUsers",
            "withoutCandidateUsers",
            "withoutDueDate",
            "active",
            "suspended",
        ),
        "boolean",
    )
)
_FILTERS.update({"priority": "integer", "minPriority": "integer", "maxPriority": "integer"})

_SORT = {
    "id": lambda t: t["id"],
    "name": lambda t: t["name"],
    "nameCaseInsensitive": lambda t: (t["name"] or "").lower(),
    "assignee": lambda t: t["assignee"],
    "created": lambda t: t["created"],
    "dueDate": lambda t: t["due"],
    "followUpDate": lambda t: t["followUp"],
    "priority": lambda t: t["priority"],
    "instanceId": lambda t: t["processInstanceId"],
    "processInstanceId": lambda t: t["processInstanceId"],
    "executionId": lambda t: t["executionId"],
    "tenantId": lambda _t: None,
}


def _dates(query: Query, task: UserTask) -> bool:
    def on(moment: datetime | None, name: str) -> bool:
        wanted = query.date(name)
        return wanted is None or moment == wanted

    def after(moment: datetime | None, name: str) -> bool:
        wanted = query.date(name)
        return wanted is None or (moment is not None and moment > wanted)

    def before(moment: datetime | None, name: str) -> bool:
        wanted = query.date(name)
        return wanted is None or (moment is not None and moment < wanted)

    created = task.created_at
    return (
        on(task.due, "dueDate")
        and after(task.due, "dueAfter")
        and before(task.due, "dueBefore")
        and (query.boolean("withoutDueDate") is not True or task.due is None)
        and on(task.follow_up, "followUpDate")
        and after(task.follow_up, "followUpAfter")
        and before(task.follow_up, "followUpBefore")
        and (query.date("createdOn") is None or created == query.date("createdOn"))
        and after(created, "createdAfter")
        and before(created, "createdBefore")
    )


def _people(query: Query, task: UserTask, groups_of: Any) -> bool:
    candidate_group = query.text("candidateGroup")
    candidate_groups = query.texts("candidateGroups")
    candidate_user = query.text("candidateUser")
    include_assigned = query.boolean("includeAssignedTasks") is True
    candidate_query = (
        candidate_group is not None or candidate_groups is not None or candidate_user is not None
    )
    if candidate_query and task.assignee is not None and not include_assigned:
        return False
    groups = set(task.candidate_groups)
    if candidate_group is not None and candidate_group not in groups:
        return False
    if candidate_groups is not None and not groups & set(candidate_groups):
        return False
    if candidate_user is not None and not (
        candidate_user in task.candidate_users or groups & groups_of(candidate_user)
    ):
        return False
    involved = query.text("involvedUser")
    if involved is not None and involved not in {task.assignee, *task.candidate_users}:
        return False
    assignee_like = query.text("assigneeLike")
    assignees_in, assignees_out = query.texts("assigneeIn"), query.texts("assigneeNotIn")
    return (
        (query.text("assignee") is None or task.assignee == query.text("assignee"))
        and (assignees_in is None or task.assignee in assignees_in)
        and (assignees_out is None or task.assignee not in assignees_out)
        and (assignee_like is None or like(assignee_like)(task.assignee))
        and (query.boolean("assigned") is not True or task.assignee is not None)
        and (query.boolean("unassigned") is not True or task.assignee is None)
        and (query.boolean("withCandidateGroups") is not True or bool(groups))
        and (query.boolean("withoutCandidateGroups") is not True or not groups)
        and (query.boolean("withCandidateUsers") is not True or bool(task.candidate_users))
        and (query.boolean("withoutCandidateUsers") is not True or not task.candidate_users)
    )


def _texts(query: Query, task: UserTask, record: dict[str, Any]) -> bool:
    def equal(name: str, value: Any) -> bool:
        wanted = query.text(name)
        return wanted is None or value == wanted

    def one_of(name: str, value: Any) -> bool:
        wanted = query.texts(name)
        return wanted is None or value in wanted

    def matches(name: str, value: str | None) -> bool:
        pattern = query.text(name)
        return pattern is None or like(pattern)(value)

    not_like = query.text("nameNotLike")
    return (
        equal("taskId", task.id)
        and one_of("taskIdIn", task.id)
        and equal("processInstanceId", task.instance_id)
        and one_of("processInstanceIdIn", task.instance_id)
        and equal("executionId", task.instance_id)
        and equal("processDefinitionId", record["processDefinitionId"])
        and equal("processDefinitionKey", task.key)
        and one_of("processDefinitionKeyIn", task.key)
        and equal("owner", record["owner"])
        and equal("delegationState", record["delegationState"])
        and equal("taskDefinitionKey", task.activity_id)
        and one_of("taskDefinitionKeyIn", task.activity_id)
        and matches("taskDefinitionKeyLike", task.activity_id)
        and equal("name", task.name)
        and (query.text("nameNotEqual") is None or task.name != query.text("nameNotEqual"))
        and matches("nameLike", task.name)
        and (not_like is None or not like(not_like)(task.name))
    )


def _priority(query: Query, task: UserTask) -> bool:
    priority = task.priority if task.priority is not None else 50
    exact = query.integer("priority", minimum=-(2**31))
    low = query.integer("minPriority", minimum=-(2**31))
    high = query.integer("maxPriority", minimum=-(2**31))
    return (
        (exact is None or priority == exact)
        and (low is None or priority >= low)
        and (high is None or priority <= high)
    )


# `sortBy` values the database orders by; the others sort every matching open task in memory
# (their NULLs and default priority sort as Camunda's do, which differs between databases).
_TASK_ORDERS = {
    "created": "created",
    "id": "id",
    "instanceId": "instance_id",
    "processInstanceId": "instance_id",
    "executionId": "instance_id",
    "tenantId": "created",  # every task has tenant null: the default order
}


def _task_query(query: Query, principal: Principal, *, ordered: bool) -> TaskQuery:
    """The store query of `GET /task`: the filters its indexes answer (all are checked again)."""
    order, descending = (
        query.order(_TASK_ORDERS, ("created", False)) if ordered else ("created", False)
    )
    execution = query.text("executionId")
    return TaskQuery(
        task_id=query.text("taskId"),
        instance_id=query.text("processInstanceId") or execution,
        assignee=query.text("assignee"),
        candidate_group=query.text("candidateGroup"),
        key=query.text("processDefinitionKey"),
        activity_id=query.text("taskDefinitionKey"),
        name=query.text("name"),
        name_like=query.text("nameLike"),
        definition_id=query.text("processDefinitionId"),
        business_key=query.text("processInstanceBusinessKey"),
        visible_to=visible_to(principal),
        order=order,
        descending=descending,
    )


def _task_page(
    manager: LifecycleManager, query: Query, principal: Principal, users: Any, window: Window
) -> list[dict[str, Any]]:
    if query.sorts_beyond(_TASK_ORDERS):
        read = partial(manager.find_tasks, _task_query(query, principal, ordered=False))
        records = _select_tasks(manager, query, principal, users, kept_rows(read, _any))
        return window.rows(query.sort(list(records), _SORT))
    read = partial(manager.find_tasks, _task_query(query, principal, ordered=True))
    tasks = kept_rows(read, _any, window.batch())
    return list(
        islice(_select_tasks(manager, query, principal, users, tasks), window.first, window.end())
    )


def _task_count(manager: LifecycleManager, query: Query, principal: Principal, users: Any) -> int:
    # Who may see a task is decided per task (`task_visible`): every open task the
    # database's filters let through is tested, a batch at a time.
    read = partial(manager.find_tasks, _task_query(query, principal, ordered=False))
    return sum(1 for _ in _select_tasks(manager, query, principal, users, kept_rows(read, _any)))


def _any(_task: UserTask) -> bool:
    return True


def _select_tasks(
    manager: LifecycleManager,
    query: Query,
    principal: Principal,
    users: Any,
    tasks: Iterable[UserTask],
) -> Iterator[dict[str, Any]]:
    instances: dict[str, Any] = {}

    def instance(task: UserTask) -> Any:
        if task.instance_id not in instances:
            try:
                instances[task.instance_id] = manager.instance(task.instance_id)
            except InstanceNotFoundError:
                instances[task.instance_id] = None
        return instances[task.instance_id]

    def groups_of(user: str) -> set[str]:
        return set(users.groups(user)) if users is not None else set()

    business = query.text("processInstanceBusinessKey")
    businesses = query.texts("processInstanceBusinessKeyIn")
    business_like = query.text("processInstanceBusinessKeyLike")
    variables = variable_filter(query.text("processVariables"), "processVariables")
    if query.boolean("suspended") is True:
        return  # tasks are never suspended here
    for task in tasks:
        if not task_visible(principal, task):
            continue
        if not (_people(query, task, groups_of) and _dates(query, task)):
            continue
        if not _priority(query, task):
            continue
        owner = instance(task)
        if business is not None or businesses is not None or business_like is not None:
            key = owner.business_key if owner is not None else None
            if business is not None and key != business:
                continue
            if businesses is not None and key not in businesses:
                continue
            if business_like is not None and not like(business_like)(key):
                continue
        if variables is not None and (owner is None or not variables(owner.variables)):
            continue
        record = task_record(manager, task)
        if _texts(query, task, record):
            yield record


async def _page(
    context: Context, query: Query, request: Request, window: Window
) -> Sequence[dict[str, Any]]:
    return await context.read(
        _task_page, context.manager, query, _principal(request), context.users, window
    )


async def _count(context: Context, query: Query, request: Request) -> int:
    return await context.read(
        _task_count, context.manager, query, _principal(request), context.users
    )


# ---------------------------------------------------------------- one task


async def get_task(context: Context, request: Request) -> Response:
    """`GET /task/{id}`."""
    task = await _task(context, request)
    return json_response(await context.read(task_record, context.manager, task))


async def complete_task(context: Context, request: Request) -> Response:
    """`POST /task/{id}/complete`: 204, or 200 with the variables (`withVariablesInReturn`)."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"variables", "withVariablesInReturn"})
    task = await _task(context, request, work=True)
    instance = await context.write(
        context.manager.complete_task, task.id, from_typed(body.get("variables"))
    )
    if not flag(body, "withVariablesInReturn"):
        return Response(status_code=204)
    return json_response(typed_map(instance.variables, context.secret))


async def submit_form(context: Context, request: Request) -> Response:
    """`POST /task/{id}/submit-form`: complete with the form's values (checked against it)."""
    return await complete_task(context, request)


async def _user_body(context: Context, request: Request, *, required: bool) -> str | None:
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"userId"})
    return text(body, "userId", required=required)


async def claim(context: Context, request: Request) -> Response:
    """`POST /task/{id}/claim` `{"userId"}`."""
    user = await _user_body(context, request, required=True)
    task = await _task(context, request, work=True)
    await context.write(context.manager.claim_task, task.id, user)
    return Response(status_code=204)


async def unclaim(context: Context, request: Request) -> Response:
    """`POST /task/{id}/unclaim`."""
    task = await _task(context, request, work=True)
    await context.write(context.manager.unclaim_task, task.id)
    return Response(status_code=204)


async def set_assignee(context: Context, request: Request) -> Response:
    """`POST /task/{id}/assignee` `{"userId"}` (null: nobody)."""
    user = await _user_body(context, request, required=False)
    task = await _task(context, request, work=True)
    await context.write(context.manager.set_task_assignee, task.id, user)
    return Response(status_code=204)


async def delegate(context: Context, request: Request) -> Response:
    """`POST /task/{id}/delegate` `{"userId"}`."""
    user = await _user_body(context, request, required=True)
    task = await _task(context, request, work=True)
    await context.write(context.manager.delegate_task, task.id, user)
    return Response(status_code=204)


async def resolve(context: Context, request: Request) -> Response:
    """`POST /task/{id}/resolve`: hand a delegated task back to its owner."""
    body = await json_body(request, context.max_upload_bytes)
    # Camunda takes a CompleteTaskDto here: withVariablesInReturn is accepted and unused.
    check_fields(body, {"variables", "withVariablesInReturn"})
    task = await _task(context, request, work=True)
    variables = from_typed(body.get("variables"))
    if variables:
        await context.write(context.manager.set_task_variables, task.id, variables)
    await context.write(context.manager.resolve_task, task.id)
    return Response(status_code=204)


# ---------------------------------------------------------------- identity links


async def identity_links(context: Context, request: Request) -> Response:
    """`GET /task/{id}/identity-links`: candidates, assignee and owner."""
    query = Query(request.query_params, allowed={"type": "string"})
    task = await _task(context, request)
    owner, _ = await context.read(context.manager.task_delegation, task.id)
    links = [{"userId": u, "groupId": None, "type": "candidate"} for u in task.candidate_users]
    links += [{"userId": None, "groupId": g, "type": "candidate"} for g in task.candidate_groups]
    if task.assignee is not None:
        links.append({"userId": task.assignee, "groupId": None, "type": "assignee"})
    if owner is not None:
        links.append({"userId": owner, "groupId": None, "type": "owner"})
    kind = query.text("type")
    return json_response([link for link in links if kind is None or link["type"] == kind])


async def _link(context: Context, request: Request, *, remove: bool) -> Response:
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"userId", "groupId", "type"})
    task = await _task(context, request, work=True)
    try:
        await context.write(
            context.manager.set_task_identity_link,
            task.id,
            text(body, "type", required=True),
            user_id=text(body, "userId"),
            group_id=text(body, "groupId"),
            remove=remove,
        )
    except ValueError as err:
        raise bad_request(str(err)) from None
    return Response(status_code=204)


async def add_identity_link(context: Context, request: Request) -> Response:
    """`POST /task/{id}/identity-links`."""
    return await _link(context, request, remove=False)


async def delete_identity_link(context: Context, request: Request) -> Response:
    """`POST /task/{id}/identity-links/delete`."""
    return await _link(context, request, remove=True)


# ---------------------------------------------------------------- variables and forms


def _local(request: Request) -> bool:
    return "/localVariables" in request.url.path


async def get_variables(context: Context, request: Request) -> Response:
    """`GET /task/{id}/variables` and `/localVariables`: typed values."""
    Query(request.query_params, allowed={"deserializeValues": "boolean"})
    task = await _task(context, request)
    found = await context.read(context.manager.task_variables, task.id, local=_local(request))
    return json_response(typed_map(found, context.secret))


async def get_variable(context: Context, request: Request) -> Response:
    """`GET /task/{id}/variables/{name}` and `/localVariables/{name}`."""
    Query(request.query_params, allowed={"deserializeValue": "boolean"})
    task = await _task(context, request)
    name = request.path_params["name"]
    found = await context.read(context.manager.task_variables, task.id, local=_local(request))
    if name not in found:
        raise not_found(f"task variable with name {name} does not exist")
    return json_response(to_typed(found[name], secret=is_secret_name(name, context.secret)))


async def put_variable(context: Context, request: Request) -> Response:
    """`PUT /task/{id}/variables/{name}` and `/localVariables/{name}`: set one."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"value", "type", "valueInfo"})
    task = await _task(context, request, work=True)
    name = request.path_params["name"]
    values = from_typed({name: body})
    await context.write(context.manager.set_task_variables, task.id, values, local=_local(request))
    return Response(status_code=204)


async def delete_variable(context: Context, request: Request) -> Response:
    """`DELETE /task/{id}/variables/{name}` and `/localVariables/{name}`."""
    task = await _task(context, request, work=True)
    await context.write(
        context.manager.set_task_variables,
        task.id,
        {},
        local=_local(request),
        removed=[request.path_params["name"]],
    )
    return Response(status_code=204)


async def modify_variables(context: Context, request: Request) -> Response:
    """`POST /task/{id}/variables` and `/localVariables`: `{"modifications", "deletions"}`."""
    body = await json_body(request, context.max_upload_bytes)
    check_fields(body, {"modifications", "deletions"})
    deletions = body.get("deletions") or []
    if not isinstance(deletions, list) or not all(isinstance(d, str) for d in deletions):
        raise bad_request("'deletions' must be a list of variable names")
    task = await _task(context, request, work=True)
    await context.write(
        context.manager.set_task_variables,
        task.id,
        from_typed(body.get("modifications"), where="modifications"),
        local=_local(request),
        removed=deletions,
    )
    return Response(status_code=204)


def form_variables(
    fields: Sequence[Any],
    values: dict[str, Any],
    names: list[str] | None,
    secret: Sequence[str],
) -> dict[str, Any]:
    """Camunda's form variables: each field's current value (or default), typed as the field."""
    found: dict[str, Any] = {}
    for field in fields:
        field_id = field["id"] if isinstance(field, dict) else field.id
        kind = field["type"] if isinstance(field, dict) else field.type
        default = field["default_value"] if isinstance(field, dict) else field.default_value
        if names is not None and field_id not in names:
            continue
        value = values.get(field_id, default)
        if value is not None and is_secret_name(field_id, secret):
            found[field_id] = to_typed(value, secret=True)
            continue
        typed = to_typed(value)
        if value is not None and kind in _FORM_TYPES:
            typed["type"] = _FORM_TYPES[kind]
            if kind == "long":
                try:
                    typed["value"] = int(value)
                except (TypeError, ValueError):
                    typed["type"] = "String"
            elif kind == "boolean" and isinstance(value, str):
                typed["value"] = value.lower() == "true"
        found[field_id] = typed
    return found


async def get_form_variables(context: Context, request: Request) -> Response:
    """`GET /task/{id}/form-variables`: the generated form's fields with their values."""
    query = Query(
        request.query_params, allowed={"variableNames": "string", "deserializeValues": "boolean"}
    )
    task = await _task(context, request)
    values = await context.read(context.manager.task_variables, task.id)
    return json_response(
        form_variables(task.form_fields, values, query.texts("variableNames"), context.secret)
    )


async def get_form(context: Context, request: Request) -> Response:
    """`GET /task/{id}/form`: the form key."""
    task = await _task(context, request)
    return json_response({"key": task.form_key, "contextPath": None, "camundaFormRef": None})


_ID = "/task/{id}"
API: list[ApiRoute] = [
    *query_routes(
        "/task",
        Paged(_page, _count),
        params=_FILTERS,
        sort_keys=list(_SORT),
        schema="Task",
        permissions={READ},
        what="open user tasks",
    ),
    ApiRoute("GET", _ID, get_task, {READ}, "One open user task", ok=(200, "Task")),
    ApiRoute(
        "POST",
        f"{_ID}/complete",
        complete_task,
        {COMPLETE},
        "Complete a user task",
        body="CompleteTaskRequest",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        f"{_ID}/submit-form",
        submit_form,
        {COMPLETE},
        "Complete a user task with its form's values",
        body="CompleteTaskRequest",
        ok=(204, None),
    ),
    ApiRoute(
        "POST", f"{_ID}/claim", claim, {COMPLETE}, "Claim a task", body="UserId", ok=(204, None)
    ),
    ApiRoute("POST", f"{_ID}/unclaim", unclaim, {COMPLETE}, "Unclaim a task", ok=(204, None)),
    ApiRoute(
        "POST",
        f"{_ID}/assignee",
        set_assignee,
        {COMPLETE},
        "Set a task's assignee",
        body="UserId",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        f"{_ID}/delegate",
        delegate,
        {COMPLETE},
        "Delegate a task",
        body="UserId",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        f"{_ID}/resolve",
        resolve,
        {COMPLETE},
        "Hand a delegated task back to its owner",
        body="VariablesBody",
        ok=(204, None),
    ),
    ApiRoute(
        "GET",
        f"{_ID}/identity-links",
        identity_links,
        {READ},
        "A task's identity links",
        params={"type": "string"},
        ok=(200, "IdentityLink"),
        array=True,
    ),
    ApiRoute(
        "POST",
        f"{_ID}/identity-links",
        add_identity_link,
        {COMPLETE},
        "Add an identity link",
        body="IdentityLink",
        ok=(204, None),
    ),
    ApiRoute(
        "POST",
        f"{_ID}/identity-links/delete",
        delete_identity_link,
        {COMPLETE},
        "Remove an identity link",
        body="IdentityLink",
        ok=(204, None),
    ),
    ApiRoute("GET", f"{_ID}/form", get_form, {READ}, "A task's form key", ok=(200, "FormInfo")),
    ApiRoute(
        "GET",
        f"{_ID}/form-variables",
        get_form_variables,
        {READ},
        "A task's form fields with their values",
        params={"variableNames": "string", "deserializeValues": "boolean"},
        ok=(200, "VariableMap"),
    ),
]
for _kind, _what in (("variables", "visible"), ("localVariables", "local")):
    API += [
        ApiRoute(
            "GET",
            f"{_ID}/{_kind}",
            get_variables,
            {READ},
            f"A task's {_what} variables",
            params={"deserializeValues": "boolean"},
            ok=(200, "VariableMap"),
        ),
        ApiRoute(
            "POST",
            f"{_ID}/{_kind}",
            modify_variables,
            {COMPLETE},
            f"Set and delete a task's {_what} variables",
            body="VariableModifications",
            ok=(204, None),
        ),
        ApiRoute(
            "GET",
            f"{_ID}/{_kind}/{{name}}",
            get_variable,
            {READ},
            f"One of a task's {_what} variables",
            params={"deserializeValue": "boolean"},
            ok=(200, "VariableValue"),
        ),
        ApiRoute(
            "PUT",
            f"{_ID}/{_kind}/{{name}}",
            put_variable,
            {COMPLETE},
            f"Set one of a task's {_what} variables",
            body="VariableValue",
            ok=(204, None),
        ),
        ApiRoute(
            "DELETE",
            f"{_ID}/{_kind}/{{name}}",
            delete_variable,
            {COMPLETE},
            f"Delete one of a task's {_what} variables",
            ok=(204, None),
        ),
    ]
