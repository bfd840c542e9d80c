"""Camunda's history routes: process instances, activity instances, user tasks and variables.

History here is what the manager records: every instance (running or ended) with its
variables, and the journal of activity starts and ends, task assignments and completions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.errors import InstanceNotFoundError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import HistoryEvent, ProcessInstance
from modelop_mlc.rest._auth import READ
from modelop_mlc.rest._camunda import activity_instances, camunda_date, parse_date
from modelop_mlc.rest._errors import not_found
from modelop_mlc.rest._http import Context, json_response
from modelop_mlc.rest._instances import select_variables, variable_record
from modelop_mlc.rest._query import Query, Window, kept_rows, like, variable_filter
from modelop_mlc.rest._routing import ApiRoute, Paged, query_routes
from modelop_mlc.store.queries import InstanceQuery

__all__ = ["API"]

_STATES = {
    "running": "ACTIVE",
    "incident": "ACTIVE",
    "completed": "COMPLETED",
    "cancelled": "EXTERNALLY_TERMINATED",
}


class _History:
    """What one request reads: instances, their definitions' names and types, their events."""

    def __init__(
        self, manager: LifecycleManager, instance_id: str | None = None, *, read: bool = True
    ) -> None:
        self.manager = manager
        self._records: dict[str, dict[str, Any]] = {}
        if not read:
            self.instances = []  # the caller reads them a page at a time
        elif instance_id is None:
            self.instances = manager.instances(limit=None)
        else:
            try:
                self.instances = [manager.instance(instance_id)]
            except InstanceNotFoundError:
                self.instances = []
        self._definitions: dict[str, Any] = {}
        self._events: dict[str, list[HistoryEvent]] = {}

    def definition(self, definition_id: str) -> Any:
        if definition_id not in self._definitions:
            self._definitions[definition_id] = self.manager.store.get_definition(definition_id)
        return self._definitions[definition_id]

    def types(self, definition_id: str) -> dict[str, str]:
        row = self.definition(definition_id)
        elements = row.info.get("elements", {}) if row is not None else {}
        return {k: v[5] for k, v in elements.items() if len(v) > 5 and v[5]}  # noqa: PLR2004

    def events(self, instance: ProcessInstance) -> list[HistoryEvent]:
        if instance.id not in self._events:
            self._events[instance.id] = self.manager.history(instance.id, limit=None)
        return self._events[instance.id]

    def record(self, instance: ProcessInstance) -> dict[str, Any]:
        """The instance's historic record (read once per request)."""
        if instance.id not in self._records:
            self._records[instance.id] = _instance_record(self, instance)
        return self._records[instance.id]

    @staticmethod
    def matching(
        manager: LifecycleManager,
        query: InstanceQuery,
        keep: Callable[[ProcessInstance], bool] | None,
    ) -> list[ProcessInstance]:
        """Every instance `query` selects that `keep` accepts, read a batch at a time."""
        read = partial(manager.find_instances, query)
        return list(kept_rows(read, keep or (lambda _i: True)))

    def activities(self, instance: ProcessInstance) -> list[dict[str, Any]]:
        return activity_instances(
            self.events(instance), instance, self.types(instance.definition_id)
        )


def _millis(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds() * 1000)


def _after(query: Query, name: str, moment: str | None) -> bool:
    wanted = query.date(name)
    return wanted is None or (moment is not None and parse_date(moment) > wanted)


def _before(query: Query, name: str, moment: str | None) -> bool:
    wanted = query.date(name)
    return wanted is None or (moment is not None and parse_date(moment) < wanted)


# ---------------------------------------------------------------- process instances


def _instance_record(history: _History, instance: ProcessInstance) -> dict[str, Any]:
    definition = history.definition(instance.definition_id)
    starts = [e for e in history.events(instance) if e.kind == "instance_start"]
    return {
        "id": instance.id,
        "businessKey": instance.business_key,
        "processDefinitionId": instance.definition_id,
        "processDefinitionKey": instance.key,
        "processDefinitionName": definition.name if definition is not None else None,
        "processDefinitionVersion": instance.version,
        "startTime": camunda_date(instance.started_at),
        "endTime": camunda_date(instance.ended_at),
        "removalTime": None,
        "durationInMillis": _millis(instance.started_at, instance.ended_at),
        "startUserId": None,
        "startActivityId": starts[0].activity_id if starts else None,
        "deleteReason": "deleted" if instance.status == "cancelled" else None,
        "rootProcessInstanceId": instance.root_instance_id or instance.id,
        "superProcessInstanceId": instance.super_instance_id,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "tenantId": None,
        "state": _STATES.get(instance.status, "ACTIVE"),
        "restartedProcessInstanceId": None,
    }


_INSTANCE_FILTERS = {
    **dict.fromkeys(
        (
            "processInstanceId",
            "processInstanceIds",
            "processDefinitionId",
            "processDefinitionKey",
            "processDefinitionKeyIn",
            "processDefinitionName",
            "processDefinitionNameLike",
            "processInstanceBusinessKey",
            "processInstanceBusinessKeyIn",
            "processInstanceBusinessKeyLike",
            "startedBefore",
            "startedAfter",
            "finishedBefore",
            "finishedAfter",
            "state",
            "variables",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "finished",
            "unfinished",
            "withIncidents",
            "completed",
            "externallyTerminated",
            "active",
            "suspended",
            "rootProcessInstances",
        ),
        "boolean",
    ),
}
_INSTANCE_SORT = {
    "instanceId": lambda r: r["id"],
    "definitionId": lambda r: r["processDefinitionId"],
    "definitionKey": lambda r: r["processDefinitionKey"],
    "definitionName": lambda r: r["processDefinitionName"],
    "definitionVersion": lambda r: r["processDefinitionVersion"],
    "businessKey": lambda r: r["businessKey"],
    "startTime": lambda r: r["startTime"],
    "endTime": lambda r: r["endTime"],
    "duration": lambda r: r["durationInMillis"],
    "tenantId": lambda _r: None,
}


# `sortBy` values the database orders by (its indexes); the others sort in memory.
_INSTANCE_ORDERS = {
    "instanceId": "id",
    "definitionId": "definition_id",
    "definitionKey": "key",
    "businessKey": "business_key",
    "startTime": "started",
    "tenantId": "started",  # every instance has tenant null: the default order
}


def _history_query(query: Query, *, ordered: bool) -> InstanceQuery:
    """The store query of `GET /history/process-instance`: what its indexes can answer."""
    statuses = set(_STATES)
    for flag, kept in (
        ("finished", {"completed", "cancelled"}),
        ("unfinished", {"running", "incident"}),
        ("active", {"running", "incident"}),
        ("completed", {"completed"}),
        ("externallyTerminated", {"cancelled"}),
        # An instance has open incidents exactly while its status is `incident`.
        ("withIncidents", {"incident"}),
    ):
        if query.boolean(flag):
            statuses &= kept
    state = query.text("state")
    if state is not None:
        statuses &= {status for status, name in _STATES.items() if name == state}
    if query.boolean("suspended"):
        statuses = set()  # never suspended
    ids = query.texts("processInstanceIds")
    one = query.text("processInstanceId")
    if one is not None:
        ids = [one] if ids is None or one in ids else []
    order, descending = (
        query.order(_INSTANCE_ORDERS, ("started", True)) if ordered else ("started", True)
    )
    if "tenantId" in (query.text("sortBy"), *(name for name, _ in query.sorting[:1])):
        descending = True  # tenantId sets nothing apart: newest first, either way
    return InstanceQuery(
        statuses=None if statuses == set(_STATES) else sorted(statuses),
        ids=ids,
        key=query.text("processDefinitionKey"),
        keys_in=query.texts("processDefinitionKeyIn"),
        business_key=query.text("processInstanceBusinessKey"),
        business_key_like=query.text("processInstanceBusinessKeyLike"),
        definition_id=query.text("processDefinitionId"),
        roots_only=bool(query.boolean("rootProcessInstances")),
        order=order,
        descending=descending,
    )


def _record_test(history: _History, query: Query) -> Callable[[ProcessInstance], bool] | None:
    """What the database cannot answer (names, dates, variables), as one test (None: nothing)."""
    businesses = query.texts("processInstanceBusinessKeyIn")
    name_like = query.text("processDefinitionNameLike")
    variables = variable_filter(query.text("variables"))
    dates = ("startedAfter", "startedBefore", "finishedAfter", "finishedBefore")
    if (
        businesses is None
        and name_like is None
        and variables is None
        and query.text("processDefinitionName") is None
        and all(query.text(name) is None for name in dates)
    ):
        return None

    def wanted(instance: ProcessInstance) -> bool:
        record = history.record(instance)
        return all(
            (
                query.text("processDefinitionName") in (None, record["processDefinitionName"]),
                name_like is None or like(name_like)(record["processDefinitionName"]),
                businesses is None or instance.business_key in businesses,
                _after(query, "startedAfter", record["startTime"]),
                _before(query, "startedBefore", record["startTime"]),
                _after(query, "finishedAfter", record["endTime"]),
                _before(query, "finishedBefore", record["endTime"]),
                variables is None or variables(instance.variables),
            )
        )

    return wanted


def _instance_page(manager: LifecycleManager, query: Query, window: Window) -> list[Any]:
    history = _History(manager, None, read=False)
    keep = _record_test(history, query)
    if query.sorts_beyond(_INSTANCE_ORDERS):
        # Sorted by a definition's name or version, an end time or a duration: no index
        # has that order, so every instance the database's filters let through is read.
        found = _History.matching(manager, _history_query(query, ordered=False), keep)
        return window.rows(query.sort([history.record(i) for i in found], _INSTANCE_SORT))
    store_query = _history_query(query, ordered=True)
    page = window.read(lambda p: manager.find_instances(store_query, p), keep)
    return [history.record(i) for i in page]


def _instance_count(manager: LifecycleManager, query: Query) -> int:
    history = _History(manager, None, read=False)
    keep = _record_test(history, query)
    store_query = _history_query(query, ordered=False)
    if keep is None:
        return manager.count_found_instances(store_query)
    return len(_History.matching(manager, store_query, keep))


async def _instances_page(
    context: Context, query: Query, _request: Request, window: Window
) -> Sequence[Any]:
    return await context.read(_instance_page, context.manager, query, window)


async def _instances_count(context: Context, query: Query, _request: Request) -> int:
    return await context.read(_instance_count, context.manager, query)


def _one_instance(manager: LifecycleManager, instance_id: str) -> dict[str, Any]:
    history = _History(manager, instance_id)
    if not history.instances:
        raise not_found(f"Historic process instance with id {instance_id} does not exist")
    return _instance_record(history, history.instances[0])


async def get_instance(context: Context, request: Request) -> Response:
    """`GET /history/process-instance/{id}`: running or ended."""
    return json_response(
        await context.read(_one_instance, context.manager, request.path_params["id"])
    )


# ---------------------------------------------------------------- activity instances

_ACTIVITY_FILTERS = {
    **dict.fromkeys(
        (
            "activityInstanceId",
            "processInstanceId",
            "processDefinitionId",
            "executionId",
            "activityId",
            "activityName",
            "activityType",
            "taskAssignee",
            "startedBefore",
            "startedAfter",
            "finishedBefore",
            "finishedAfter",
        ),
        "string",
    ),
    **dict.fromkeys(("finished", "unfinished", "canceled", "completeScope"), "boolean"),
}
_ACTIVITY_SORT = {
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
    "occurrence": lambda r: r["startTime"],
    "tenantId": lambda _r: None,
}


def _all_activities(manager: LifecycleManager, instance_id: str | None) -> list[dict[str, Any]]:
    history = _History(manager, instance_id)
    return [record for i in history.instances for record in history.activities(i)]


def _select_activities(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    records = _all_activities(manager, query.text("processInstanceId"))
    equal = [
        ("activityInstanceId", "id"),
        ("processDefinitionId", "processDefinitionId"),
        ("executionId", "executionId"),
        ("activityId", "activityId"),
        ("activityName", "activityName"),
        ("activityType", "activityType"),
        ("taskAssignee", "assignee"),
    ]
    found = [
        r
        for r in records
        if all(query.text(name) in (None, r[field]) for name, field in equal)
        and (query.boolean("finished") is not True or r["endTime"] is not None)
        and (query.boolean("unfinished") is not True or r["endTime"] is None)
        and (query.boolean("canceled") is not True or r["canceled"])
        and (query.boolean("completeScope") is not True or r["completeScope"])
        and _after(query, "startedAfter", r["startTime"])
        and _before(query, "startedBefore", r["startTime"])
        and _after(query, "finishedAfter", r["endTime"])
        and _before(query, "finishedBefore", r["endTime"])
    ]
    return query.sort(found, _ACTIVITY_SORT)


async def _activities(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_activities, context.manager, query)


def _one_activity(manager: LifecycleManager, activity_instance_id: str) -> dict[str, Any]:
    for record in _all_activities(manager, None):
        if record["id"] == activity_instance_id:
            return record
    raise not_found(f"Historic activity instance with id {activity_instance_id} does not exist")


async def get_activity(context: Context, request: Request) -> Response:
    """`GET /history/activity-instance/{id}`."""
    return json_response(
        await context.read(_one_activity, context.manager, request.path_params["id"])
    )


# ---------------------------------------------------------------- user tasks


def _task_records(history: _History, instance: ProcessInstance) -> list[dict[str, Any]]:
    open_tasks = {t.id: t for t in history.manager.tasks(instance_id=instance.id, limit=None)}
    found = []
    for record in history.activities(instance):
        if record["activityType"] != "userTask" or record["taskId"] is None:
            continue
        current = open_tasks.get(record["taskId"])
        ended = record["endTime"] is not None
        found.append(
            {
                "id": record["taskId"],
                "processDefinitionKey": instance.key,
                "processDefinitionId": instance.definition_id,
                "processInstanceId": instance.id,
                "executionId": instance.id,
                "caseDefinitionKey": None,
                "caseDefinitionId": None,
                "caseInstanceId": None,
                "caseExecutionId": None,
                "activityInstanceId": record["id"],
                "name": record["activityName"],
                "description": None,
                "deleteReason": (
                    ("deleted" if record["canceled"] else "completed") if ended else None
                ),
                "owner": None,
                "assignee": current.assignee if current is not None else record["assignee"],
                "startTime": record["startTime"],
                "endTime": record["endTime"],
                "duration": record["durationInMillis"],
                "taskDefinitionKey": record["activityId"],
                "priority": (
                    current.priority if current is not None and current.priority is not None else 50
                ),
                "due": camunda_date(current.due) if current is not None else None,
                "parentTaskId": None,
                "followUp": camunda_date(current.follow_up) if current is not None else None,
                "tenantId": None,
                "removalTime": None,
                "rootProcessInstanceId": instance.root_instance_id or instance.id,
                "taskState": "Updated"
                if current is not None
                else ("Deleted" if record["canceled"] else "Completed"),
            }
        )
    return found


_TASK_FILTERS = {
    **dict.fromkeys(
        (
            "taskId",
            "taskParentTaskId",
            "processInstanceId",
            "processInstanceBusinessKey",
            "processInstanceBusinessKeyIn",
            "processInstanceBusinessKeyLike",
            "executionId",
            "processDefinitionId",
            "processDefinitionKey",
            "taskName",
            "taskNameLike",
            "taskDefinitionKey",
            "taskDefinitionKeyIn",
            "taskDeleteReason",
            "taskDeleteReasonLike",
            "taskAssignee",
            "taskAssigneeLike",
            "startedBefore",
            "startedAfter",
            "finishedBefore",
            "finishedAfter",
            "processVariables",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "finished",
            "unfinished",
            "processFinished",
            "processUnfinished",
            "assigned",
            "unassigned",
        ),
        "boolean",
    ),
}
_TASK_SORT = {
    "taskId": lambda r: r["id"],
    "activityInstanceId": lambda r: r["activityInstanceId"],
    "processDefinitionId": lambda r: r["processDefinitionId"],
    "processInstanceId": lambda r: r["processInstanceId"],
    "executionId": lambda r: r["executionId"],
    "duration": lambda r: r["duration"],
    "endTime": lambda r: r["endTime"],
    "startTime": lambda r: r["startTime"],
    "taskName": lambda r: r["name"],
    "assignee": lambda r: r["assignee"],
    "deleteReason": lambda r: r["deleteReason"],
    "taskDefinitionKey": lambda r: r["taskDefinitionKey"],
    "priority": lambda r: r["priority"],
    "tenantId": lambda _r: None,
}


def _select_tasks(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    history = _History(manager, query.text("processInstanceId"))
    businesses = query.texts("processInstanceBusinessKeyIn")
    business_like = query.text("processInstanceBusinessKeyLike")
    keys_in = query.texts("taskDefinitionKeyIn")
    variables = variable_filter(query.text("processVariables"), "processVariables")
    found = []
    for instance in history.instances:
        if query.text("processInstanceBusinessKey") not in (None, instance.business_key):
            continue
        if businesses is not None and instance.business_key not in businesses:
            continue
        if business_like is not None and not like(business_like)(instance.business_key):
            continue
        if query.boolean("processFinished") is True and not instance.ended:
            continue
        if query.boolean("processUnfinished") is True and instance.ended:
            continue
        if variables is not None and not variables(instance.variables):
            continue
        for r in _task_records(history, instance):
            checks = (
                query.text("taskId") in (None, r["id"]),
                query.text("taskParentTaskId") is None,
                query.text("executionId") in (None, r["executionId"]),
                query.text("processDefinitionId") in (None, r["processDefinitionId"]),
                query.text("processDefinitionKey") in (None, r["processDefinitionKey"]),
                query.text("taskName") in (None, r["name"]),
                _like(query, "taskNameLike", r["name"]),
                query.text("taskDefinitionKey") in (None, r["taskDefinitionKey"]),
                keys_in is None or r["taskDefinitionKey"] in keys_in,
                query.text("taskDeleteReason") in (None, r["deleteReason"]),
                _like(query, "taskDeleteReasonLike", r["deleteReason"]),
                query.text("taskAssignee") in (None, r["assignee"]),
                _like(query, "taskAssigneeLike", r["assignee"]),
                query.boolean("assigned") is not True or r["assignee"] is not None,
                query.boolean("unassigned") is not True or r["assignee"] is None,
                query.boolean("finished") is not True or r["endTime"] is not None,
                query.boolean("unfinished") is not True or r["endTime"] is None,
                _after(query, "startedAfter", r["startTime"]),
                _before(query, "startedBefore", r["startTime"]),
                _after(query, "finishedAfter", r["endTime"]),
                _before(query, "finishedBefore", r["endTime"]),
            )
            if all(checks):
                found.append(r)
    return query.sort(found, _TASK_SORT)


def _like(query: Query, name: str, value: str | None) -> bool:
    pattern = query.text(name)
    return pattern is None or like(pattern)(value)


async def _tasks(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_tasks, context.manager, query)


# ---------------------------------------------------------------- variables

_VARIABLE_FILTERS = {
    **dict.fromkeys(
        (
            "variableName",
            "variableNameLike",
            "variableNameIn",
            "variableValues",
            "processInstanceId",
            "processInstanceIdIn",
            "processDefinitionId",
            "processDefinitionKey",
            "executionIdIn",
            "activityInstanceIdIn",
        ),
        "string",
    ),
    **dict.fromkeys(
        ("variableNamesIgnoreCase", "variableValuesIgnoreCase", "deserializeValues"), "boolean"
    ),
}
_VARIABLE_SORT = {
    "instanceId": lambda r: r["processInstanceId"],
    "variableName": lambda r: r["name"],
    "tenantId": lambda _r: None,
}


def _historic_variable(instance: ProcessInstance, record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "processDefinitionKey": instance.key,
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "createTime": camunda_date(instance.started_at),
        "removalTime": None,
        "rootProcessInstanceId": instance.root_instance_id or instance.id,
        "state": "CREATED",
    }


def _select_variables(manager: LifecycleManager, query: Query) -> list[dict[str, Any]]:
    history = _History(manager, query.text("processInstanceId"))
    instances = [
        i
        for i in history.instances
        if query.text("processDefinitionId") in (None, i.definition_id)
        and query.text("processDefinitionKey") in (None, i.key)
    ]
    by_id = {i.id: i for i in instances}
    records = select_variables(instances, query, manager.config.secret_variables)
    found = [_historic_variable(by_id[r["processInstanceId"]], r) for r in records]
    return query.sort(found, _VARIABLE_SORT)


async def _variables(context: Context, query: Query, _request: Request) -> Sequence[Any]:
    return await context.read(_select_variables, context.manager, query)


def _one_variable(manager: LifecycleManager, variable_id: str) -> dict[str, Any]:
    instance_id, _, name = variable_id.partition(":")
    try:
        instance = manager.instance(instance_id)
    except InstanceNotFoundError:
        instance = None
    if instance is None or name not in instance.variables:
        raise not_found(f"Historic variable instance with Id '{variable_id}' does not exist.")
    value = instance.variables[name]
    record = variable_record(instance, name, value, manager.config.secret_variables)
    return _historic_variable(instance, record)


async def get_variable(context: Context, request: Request) -> Response:
    """`GET /history/variable-instance/{id}`."""
    Query(request.query_params, allowed={"deserializeValue": "boolean"})
    return json_response(
        await context.read(_one_variable, context.manager, request.path_params["id"])
    )


API: list[ApiRoute] = [
    *query_routes(
        "/history/process-instance",
        Paged(_instances_page, _instances_count),
        params=_INSTANCE_FILTERS,
        sort_keys=list(_INSTANCE_SORT),
        schema="HistoricProcessInstance",
        permissions={READ},
        what="process instances, running and ended",
    ),
    ApiRoute(
        "GET",
        "/history/process-instance/{id}",
        get_instance,
        {READ},
        "One process instance, running or ended",
        ok=(200, "HistoricProcessInstance"),
    ),
    *query_routes(
        "/history/activity-instance",
        _activities,
        params=_ACTIVITY_FILTERS,
        sort_keys=list(_ACTIVITY_SORT),
        schema="HistoricActivityInstance",
        permissions={READ},
        what="activity instances",
    ),
    ApiRoute(
        "GET",
        "/history/activity-instance/{id}",
        get_activity,
        {READ},
        "One activity instance",
        ok=(200, "HistoricActivityInstance"),
    ),
    *query_routes(
        "/history/task",
        _tasks,
        params=_TASK_FILTERS,
        sort_keys=list(_TASK_SORT),
        schema="HistoricTaskInstance",
        permissions={READ},
        what="user tasks, open and done",
    ),
    *query_routes(
        "/history/variable-instance",
        _variables,
        params=_VARIABLE_FILTERS,
        sort_keys=list(_VARIABLE_SORT),
        schema="HistoricVariableInstance",
        permissions={READ},
        what="variables of running and ended instances",
    ),
    ApiRoute(
        "GET",
        "/history/variable-instance/{id}",
        get_variable,
        {READ},
        "One variable of a running or ended instance",
        params={"deserializeValue": "boolean"},
        ok=(200, "HistoricVariableInstance"),
    ),
]
