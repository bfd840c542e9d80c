"""`POST /gocli/token`: ModelOp's log-in for Camunda Modeler users, and the log-in limits.

ModelOp's MLC docs have users log in with curl (`-d username=... -d password=...`) and paste
the `access_token` into Camunda Modeler's deploy dialog as a bearer token. The route takes
that form (or JSON) and answers `{"access_token", "token_type", "expires_in"}`; too many
failed log-ins for a name or from an address are answered 429 with `Retry-After`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from modelop_mlc.rest._http import Context, read_body
from modelop_mlc.rest._login import LoginLimiter, TokenIssuer

__all__ = ["TOKEN_PATH", "log_in_refused", "record_log_in", "token_route"]

TOKEN_PATH = "/gocli/token"  # noqa: S105 - a path, not a secret
"""Where the token endpoint is served, relative to the app."""
_MAX_FORM_BYTES = 16 * 1024


def _keys(name: str, scope: Scope) -> list[str]:
    client = scope.get("client")
    address = client[0] if client else "unknown"
    return [f"user:{name}", f"address:{address}"]


def log_in_refused(limiter: LoginLimiter | None, name: str, scope: Scope) -> Response | None:
    """The 429 answer while `name` or the client's address is locked out, else None."""
    if limiter is None:
        return None
    wait = limiter.retry_after(_keys(name, scope))
    if wait is None:
        return None
    seconds = max(1, math.ceil(wait.total_seconds()))
    return JSONResponse(
        {
            "type": "AuthenticationException",
            "message": f"Too many failed log-ins; try again in {seconds} seconds",
            "code": 0,
        },
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def record_log_in(limiter: LoginLimiter | None, name: str, scope: Scope, *, ok: bool) -> None:
    """Count a failed log-in (or clear the failures after a good one)."""
    if limiter is None:
        return
    if ok:
        limiter.succeeded(_keys(name, scope)[:1])
    else:
        limiter.failed(_keys(name, scope))


def _bad(message: str, status: int = 400) -> Response:
    return JSONResponse(
        {"type": "InvalidRequestException", "message": message, "code": 0}, status_code=status
    )


def token_route(context: Context, issuer: TokenIssuer) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of `POST /gocli/token`."""

    async def token(request: Request) -> Response:
        body = await read_body(request, min(context.max_upload_bytes, _MAX_FORM_BYTES))
        fields: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return _bad("The request body is not valid JSON")
            if isinstance(data, dict):
                fields = {k: v for k, v in data.items() if isinstance(v, str)}
        else:
            parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            fields = {k: v[-1] for k, v in parsed.items()}
        name, password = fields.get("username", ""), fields.get("password", "")
        if not name or not password:
            return _bad("Send the form fields 'username' and 'password'")
        refused = log_in_refused(issuer.limiter, name, request.scope)
        if refused is not None:
            return refused
        principal = await run_in_threadpool(issuer.users.check, name, password)
        record_log_in(issuer.limiter, name, request.scope, ok=principal is not None)
        if principal is None:
            return JSONResponse(
                {
                    "type": "AuthenticationException",
                    "message": "Wrong user name or password",
                    "code": 0,
                },
                status_code=401,
            )
        return JSONResponse(issuer.issue(principal))

    return token
