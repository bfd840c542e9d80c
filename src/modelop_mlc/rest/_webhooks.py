"""`POST /webhook/jira` and `POST /webhook/servicenow`: verified deliveries wake waiting tasks.

Jira and ServiceNow cannot send the app's bearer tokens, so these two routes skip bearer
authentication and are checked by the `WebhookGuard` instead: signature or shared secret,
age and replays. A refused delivery is answered 401, 409 or 400 and counted in
`guard.counts()` (the app keeps the guard as `app.state.webhooks`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from modelop_mlc.rest._errors import ApiError
from modelop_mlc.rest._http import Context, error_response, read_body
from modelop_mlc.tickets import WebhookGuard, WebhookRejectedError

__all__ = ["WEBHOOK_PATHS", "webhook_routes"]

WEBHOOK_PATHS = ("/webhook/jira", "/webhook/servicenow")
"""The routes that authenticate by webhook signature instead of a bearer token."""


def webhook_routes(
    context: Context, guard: WebhookGuard
) -> list[tuple[str, Callable[[Request], Awaitable[Response]]]]:
    """The two webhook routes as (path, endpoint) pairs."""

    async def jira(request: Request) -> Response:
        try:
            body = await read_body(request, context.max_upload_bytes)
            payload = guard.check_jira(body, request.headers)
        except WebhookRejectedError as err:
            return _refused(err)
        except ApiError as err:
            return error_response(err)
        woken = await context.write(context.manager.handle_jira_webhook, payload)
        return JSONResponse({"woken": woken})

    async def servicenow(request: Request) -> Response:
        try:
            body = await read_body(request, context.max_upload_bytes)
            payload = guard.check_servicenow(body, request.headers)
        except WebhookRejectedError as err:
            return _refused(err)
        except ApiError as err:
            return error_response(err)
        woken = await context.write(context.manager.handle_servicenow_event, payload)
        return JSONResponse({"woken": woken})

    return [(WEBHOOK_PATHS[0], jira), (WEBHOOK_PATHS[1], servicenow)]


def _refused(err: WebhookRejectedError) -> Response:
    return JSONResponse(
        {"type": "WebhookRejected", "reason": err.reason, "message": str(err)},
        status_code=err.status,
    )
