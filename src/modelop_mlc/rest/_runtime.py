"""Routes of Camunda's runtime, task and history services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.errors import CorrelationError
from modelop_mlc.models import MessageResult, ProcessDefinition, ProcessInstance
from modelop_mlc.rest._camunda import (
    instance_dto,
)
from modelop_mlc.rest._deploy import find_definition, latest_definition
from modelop_mlc.rest._errors import bad_request
from modelop_mlc.rest._http import Context, base_url, json_body, json_response
from modelop_mlc.rest._variables import from_typed, typed_map

__all__ = [
    "message",
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
        answer["variables"] = typed_map(instance.variables, context.secret)
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
    base: str,
    result: MessageResult,
    instance: ProcessInstance,
    with_variables: bool,
    secret: tuple[str, ...],
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
        answer["variables"] = typed_map(instance.variables, secret)
    return answer


async def message(context: Context, request: Request) -> Response:
    """`POST /message`: correlate a message to one receiver (or all, with `all`)."""
    body = await json_body(request, context.max_upload_bytes)
    name = _text(body, "messageName", required="No message name supplied")
    assert name is not None
    _unsupported(body, "localCorrelationKeys", "processVariablesLocal")
    business_key = _text(body, "businessKey")
    instance_id = _text(body, "processInstanceId")
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
                instance_id=instance_id,
            )
        else:
            results = [
                await context.write(
                    manager.message,
                    name,
                    variables,
                    business_key=business_key,
                    correlation_keys=keys,
                    instance_id=instance_id,
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
        answers.append(_message_result(base, result, instance, with_variables, context.secret))
    return json_response(answers)
