"""`create_app`: the Camunda 7 compatible ASGI app, and `serve` to run it with uvicorn."""

from __future__ import annotations

import base64
import logging
from collections.abc import Collection
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.rest import _deploy, _runtime
from modelop_mlc.rest._api import API
from modelop_mlc.rest._auth import (
    DEPLOY,
    PERMISSIONS,
    READ,
    SIGNAL,
    SIGNAL_RESPONSIVE,
    Principal,
    TokenVerifier,
)
from modelop_mlc.rest._http import (
    PRINCIPAL_KEY,
    Context,
    Handler,
    base_url,
    endpoint,
    json_response,
)
from modelop_mlc.rest._login import LoginLimiter, TokenIssuer, Users
from modelop_mlc.rest._openapi import openapi_document
from modelop_mlc.rest._token import TOKEN_PATH, log_in_refused, record_log_in, token_route
from modelop_mlc.rest._webhooks import webhook_routes
from modelop_mlc.tickets import WebhookGuard

__all__ = ["CAMUNDA_VERSION", "DEFAULT_MAX_UPLOAD_BYTES", "create_app", "serve"]

log = logging.getLogger("modelop_mlc.rest")

CAMUNDA_VERSION = "7.21.0"
"""The Camunda 7 version `GET /version` reports (Camunda Modeler checks it)."""
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""The default request-body limit: 10 MiB."""

_ANONYMOUS = Principal("anonymous", PERMISSIONS)
# Camunda serves every route of the default engine under this prefix too.
_ENGINE = "/engine/default"
_REALM = 'realm="modelop_mlc"'


def _unauthorized(message: str, *, basic: bool) -> Response:
    challenge = f"Basic {_REALM}" if basic else f"Bearer {_REALM}"
    return JSONResponse(
        {"type": "AuthenticationException", "message": message, "code": 0},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


class _Authenticate:
    """Refuse every HTTP request without valid credentials, before any routing.

    Bearer tokens go to the verifier; HTTP Basic credentials (when users are configured) to
    `Users`, with failed log-ins limited per name and client address. `open_paths` (the
    webhook routes, the token endpoint) authenticate themselves.
    """

    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier | None,
        open_paths: Collection[str] = (),
        users: Users | None = None,
        limiter: LoginLimiter | None = None,
        anonymous: bool = False,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.open_paths = frozenset(open_paths)
        self.users = users
        self.limiter = limiter
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route_path(scope) in self.open_paths:
            await self.app(scope, receive, send)
            return
        principal = _ANONYMOUS if self.anonymous else await self._principal(scope)
        if principal is None:
            wanted = "'Authorization: Bearer <token>'"
            if self.users is not None:
                wanted += " or HTTP Basic credentials"
            response = _unauthorized(
                f"Valid credentials are required: send a bearer token ({wanted})",
                basic=self.users is not None,
            )
            await response(scope, receive, send)
            return
        if isinstance(principal, Response):
            await principal(scope, receive, send)
            return
        await self.app({**scope, PRINCIPAL_KEY: principal}, receive, send)

    async def _principal(self, scope: Scope) -> Principal | Response | None:
        header = ""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "basic" and self.users is not None and token:
            return await self._basic(scope, token)
        if scheme.lower() != "bearer" or not token or self.verifier is None:
            return None
        try:
            # Verifiers may do I/O (token introspection); keep it off the event loop.
            found = await run_in_threadpool(self.verifier, token)
        except Exception:
            log.exception("the token verifier failed")
            return JSONResponse(
                {
                    "type": "RestException",
                    "message": "The token could not be checked",
                    "code": 0,
                },
                status_code=500,
            )
        return found if isinstance(found, Principal) else None

    async def _basic(self, scope: Scope, token: str) -> Principal | Response | None:
        assert self.users is not None
        try:
            name, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        refused = log_in_refused(self.limiter, name, scope)
        if refused is not None:
            return refused
        principal = await run_in_threadpool(self.users.check, name, password)
        record_log_in(self.limiter, name, scope, ok=principal is not None)
        return principal


def _route_path(scope: Scope) -> str:
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _http_error(request: Request, exc: Exception) -> Response:
    # Starlette's router answers unknown paths and methods with these.
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {
            "type": "RestException",
            "message": f"{exc.detail}: {request.method} {request.url.path}",
            "code": 0,
        },
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )


async def _engines(_context: Context, _request: Request) -> Response:
    return json_response([{"name": "default"}])


async def _version(_context: Context, _request: Request) -> Response:
    return json_response({"version": CAMUNDA_VERSION})


async def _openapi(_context: Context, request: Request) -> Response:
    return json_response(openapi_document(base_url(request)))


# (method, path, handler, permissions: any one grants access; None = any authenticated caller)
_ROUTES: list[tuple[str, str, Handler, Collection[str] | None]] = [
    ("GET", "/engine", _engines, None),
    ("GET", "/version", _version, None),
    ("GET", "/openapi.json", _openapi, None),
    ("POST", "/deployment/create", _deploy.create_deployment, {DEPLOY}),
    ("GET", "/deployment/{id}", _deploy.get_deployment, {READ, DEPLOY}),
    ("GET", "/process-definition/key/{key}", _deploy.get_definition_by_key, {READ}),
    ("GET", "/process-definition/key/{key}/xml", _deploy.get_definition_xml_by_key, {READ}),
    ("POST", "/process-definition/key/{key}/start", _runtime.start_by_key, {SIGNAL}),
    ("GET", "/process-definition/{id}", _deploy.get_definition, {READ}),
    ("GET", "/process-definition/{id}/xml", _deploy.get_definition_xml, {READ}),
    ("POST", "/process-definition/{id}/start", _runtime.start_by_id, {SIGNAL}),
    ("POST", "/signal", _runtime.signal, {SIGNAL}),
    ("POST", "/signalResponsive", _runtime.signal_responsive, {SIGNAL_RESPONSIVE}),
    ("POST", "/message", _runtime.message, {SIGNAL}),
]


def _specificity(route: tuple[str, str, Handler, Collection[str] | None]) -> list[tuple[int, str]]:
    # Literal segments before parameters, so `/task/count` is matched before `/task/{id}`.
    return [(1, "") if part.startswith("{") else (0, part) for part in route[1].split("/")]


def all_routes() -> list[tuple[str, str, Handler, Collection[str] | None]]:
    """Every route of the app as (method, path, handler, permissions), in matching order."""
    return sorted(
        [*_ROUTES, *(route.entry() for route in API)],
        key=_specificity,
    )


def _combined(first: TokenVerifier, second: TokenVerifier) -> TokenVerifier:
    def verify(token: str) -> Principal | None:
        return first(token) or second(token)

    return verify


def create_app(
    manager: LifecycleManager,
    *,
    auth: TokenVerifier | None,
    allow_anonymous: bool = False,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    webhooks: WebhookGuard | None = None,
    users: Users | None = None,
    tokens: TokenIssuer | None = None,
) -> Starlette:
    """Build the Camunda 7 compatible REST app over `manager`, for a host to mount.

    Mount it where Camunda's engine-rest would be (`/engine-rest`, or ModelOp's
    `/mlc-service/rest`); Camunda Modeler then deploys to `<host>/engine-rest`. Every route
    is also served under `/engine/default/` (Camunda's named-engine paths).

    Args:
        manager: The manager every route calls.
        auth: Turns a bearer token into a `Principal` (`StaticTokens`, `HmacJwtVerifier`,
            or any callable). Every request without valid credentials gets 401.
        allow_anonymous: With no `auth`, `users` or `tokens`, let every request in with
            every permission. For local development only.
        max_upload_bytes: Largest request body accepted (413 beyond it).
        webhooks: With a `WebhookGuard`, the app also serves `POST /webhook/jira` and
            `POST /webhook/servicenow`, authenticated by the guard (signature or shared
            secret) instead of a bearer token; the guard is kept as `app.state.webhooks`.
        users: With `Users`, HTTP Basic credentials are accepted too (Camunda's engine
            users); a user's groups decide which candidate-group tasks are theirs.
        tokens: With a `TokenIssuer`, the app serves `POST /gocli/token` (ModelOp's log-in:
            form fields `username` and `password`) and accepts the tokens it signs.

    Returns:
        A Starlette application.

    Raises:
        ConfigurationError: If no way to authenticate is given without
            `allow_anonymous=True`, if both are given, or if `max_upload_bytes` is not
            positive.

    Example:
        >>> app = create_app(manager, auth=StaticTokens({"t0ken": {"read"}}))  # doctest: +SKIP
    """
    authenticated = auth is not None or users is not None or tokens is not None
    if not authenticated and not allow_anonymous:
        raise ConfigurationError(
            "create_app needs auth= (e.g. StaticTokens({...}) or HmacJwtVerifier(secret)), "
            "users= or tokens=; pass auth=None, allow_anonymous=True to run without "
            "authentication"
        )
    if authenticated and allow_anonymous:
        raise ConfigurationError(
            "pass either auth=/users=/tokens= or allow_anonymous=True, not both"
        )
    if auth is not None and not callable(auth):
        raise ConfigurationError(f"auth must be callable (token -> Principal | None): {auth!r}")
    if max_upload_bytes < 1:
        raise ConfigurationError(f"max_upload_bytes must be positive, got {max_upload_bytes}")
    if not authenticated:
        log.warning("the MLC REST app accepts anonymous requests with every permission")
    verifier = auth
    if tokens is not None:
        verifier = tokens.verifier() if auth is None else _combined(auth, tokens.verifier())
    limiter = tokens.limiter if tokens is not None else LoginLimiter(clock=manager.clock.now)
    context = Context(manager, max_upload_bytes, users)
    routes: list[BaseRoute] = [
        Route(path, endpoint(context, handler, permissions), methods=[method])
        for method, path, handler, permissions in all_routes()
    ]
    hooks = webhook_routes(context, webhooks) if webhooks is not None else []
    open_routes = [(path, hook) for path, hook in hooks]
    if tokens is not None:
        open_routes.append((TOKEN_PATH, token_route(context, tokens)))
    routes += [Route(path, hook, methods=["POST"]) for path, hook in open_routes]
    app = Starlette(
        routes=[*routes, Mount("/engine/default", routes=list(routes))],
        middleware=[
            Middleware(
                _Authenticate,
                verifier=verifier,
                open_paths=[p for path, _ in open_routes for p in (path, _ENGINE + path)],
                users=users,
                limiter=limiter,
                anonymous=not authenticated,
            )
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.webhooks = webhooks
    return app


def serve(
    manager: LifecycleManager,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    auth: TokenVerifier | None,
    allow_anonymous: bool = False,
    base_path: str = "/engine-rest",
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    webhooks: WebhookGuard | None = None,
    users: Users | None = None,
    tokens: TokenIssuer | None = None,
    log_level: str = "info",
    **uvicorn_options: Any,
) -> None:
    """Serve the REST app with uvicorn until interrupted.

    Camunda Modeler's deployment endpoint is then `http://<host>:<port><base_path>`.

    Args:
        manager: The manager every route calls.
        host: The interface to listen on.
        port: The TCP port.
        auth: As for `create_app`.
        allow_anonymous: As for `create_app`.
        base_path: Where the app is mounted (`/engine-rest`, or `/mlc-service/rest`).
        max_upload_bytes: As for `create_app`.
        webhooks: As for `create_app`.
        users: As for `create_app`.
        tokens: As for `create_app`.
        log_level: uvicorn's log level.
        uvicorn_options: More `uvicorn.run` options (e.g. `ssl_certfile`, `ssl_keyfile`).

    Raises:
        ConfigurationError: As `create_app` does, or if uvicorn is not installed.
    """
    app = create_app(
        manager,
        auth=auth,
        allow_anonymous=allow_anonymous,
        max_upload_bytes=max_upload_bytes,
        webhooks=webhooks,
        users=users,
        tokens=tokens,
    )
    try:
        import uvicorn  # noqa: PLC0415 - an optional dependency, needed only to serve
    except ImportError as err:  # pragma: no cover - the rest extra installs uvicorn
        raise ConfigurationError("serving needs uvicorn: pip install 'modelop-mlc[rest]'") from err
    root = "/" + base_path.strip("/") if base_path.strip("/") else ""
    hosted: ASGIApp = Starlette(routes=[Mount(root, app=app)]) if root else app
    uvicorn.run(hosted, host=host, port=port, log_level=log_level, **uvicorn_options)
