"""`POST /webhook/jira|servicenow|mlflow`: verified deliveries wake tasks or start processes.

Jira, ServiceNow and MLflow cannot send the app's bearer tokens, so these routes skip bearer
authentication and are checked by the `WebhookGuard` instead: signature or shared secret,
age and replays. A refused delivery is answered 401, 409 or 400 and counted in
`guard.counts()` (the app keeps the guard as `app.state.webhooks`). `/webhook/mlflow` is
served when the manager's center takes MLflow webhooks (`MlflowCenter`): the center checks
MLflow's HMAC signature and timestamp with its `webhook_secret`, the guard refuses a delivery
id seen before, and the center starts each registry event's processes once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from modelop_mlc.center import MlflowCenter
from modelop_mlc.center import WebhookRejectedError as MlflowWebhookRejectedError
from modelop_mlc.rest._errors import ApiError
from modelop_mlc.rest._http import Context, error_response, read_body
from modelop_mlc.tickets import WebhookGuard, WebhookRejectedError

__all__ = ["WEBHOOK_PATHS", "webhook_routes"]

WEBHOOK_PATHS = ("/webhook/jira", "/webhook/servicenow", "/webhook/mlflow")
"""The routes that authenticate by webhook signature instead of a bearer token."""
_DELIVERY_ID = "X-MLflow-Delivery-Id"


Endpoint = Callable[[Request], Awaitable[Response]]


def webhook_routes(context: Context, guard: WebhookGuard) -> list[tuple[str, Endpoint]]:
    """The webhook routes as (path, endpoint) pairs (MLflow's with an `MlflowCenter`)."""

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

    async def mlflow(request: Request) -> Response:
        center: Any = context.manager.center
        try:
            body = await read_body(request, context.max_upload_bytes)
            payload = center.verify_webhook(body, request.headers)
            guard.admit("mlflow", request.headers.get(_DELIVERY_ID, ""))
        except MlflowWebhookRejectedError as err:
            guard.count_refusal("mlflow", err.code)
            return JSONResponse(
                {"type": "WebhookRejected", "reason": err.code, "message": str(err)},
                status_code=err.status,
            )
        except WebhookRejectedError as err:
            return _refused(err)
        except ApiError as err:
            return error_response(err)
        started = await context.write(center.start_from_webhook, payload)
        return JSONResponse({"started": started})

    routes: list[tuple[str, Endpoint]] = [(WEBHOOK_PATHS[0], jira), (WEBHOOK_PATHS[1], servicenow)]
    if isinstance(context.manager.center, MlflowCenter):
        routes.append((WEBHOOK_PATHS[2], mlflow))
    return routes


def _refused(err: WebhookRejectedError) -> Response:
    return JSONResponse(
        {"type": "WebhookRejected", "reason": err.reason, "message": str(err)},
        status_code=err.status,
    )
