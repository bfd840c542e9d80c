"""The Cockpit and Tasklist as apps: the pages' app, one app with the REST API too, `serve`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.rest import Principal, TokenIssuer, TokenVerifier, Users
from modelop_mlc.rest import create_app as create_rest_app
from modelop_mlc.rest._http import Context
from modelop_mlc.web._app import (
    LIFETIME,
    MAX_FORM_BYTES,
    Pages,
    Web,
    home,
    login,
    logout,
    static,
)
from modelop_mlc.web._routes import ROUTES
from modelop_mlc.web._sessions import Sessions

__all__ = ["create_app", "serve", "site"]


def create_app(
    manager: LifecycleManager,
    *,
    auth: TokenVerifier | None,
    allow_anonymous: bool = False,
    session_lifetime: timedelta = LIFETIME,
) -> Starlette:
    """Build the Cockpit and Tasklist pages over `manager`, for a host to mount.

    People log in with the same tokens the REST API takes (a form sets a session cookie);
    scripts may send `Authorization: Bearer <token>` instead. Mount it beside the REST app
    with the same `auth`, e.g. `Mount("/engine-rest", create_rest_app(...))` and
    `Mount("/mlc", create_app(...))`.

    Args:
        manager: The manager the pages show and act on.
        auth: Turns a token into a `Principal` (`StaticTokens`, `HmacJwtVerifier`, ...).
        allow_anonymous: With `auth=None`, let everyone in with every permission (local
            development only).
        session_lifetime: How long a browser login lasts.

    Raises:
        ConfigurationError: If `auth` is None without `allow_anonymous=True`, or both are given.
    """
    if auth is None and not allow_anonymous:
        raise ConfigurationError(
            "the Cockpit needs auth= (the REST app's verifier); pass auth=None, "
            "allow_anonymous=True to run it without authentication"
        )
    if auth is not None and allow_anonymous:
        raise ConfigurationError("pass either auth= or allow_anonymous=True, not both")
    web = Web(Context(manager, MAX_FORM_BYTES), Sessions(manager.clock.now, session_lifetime), auth)
    pages = Pages(web)
    routes = [
        Route("/", home, methods=["GET"]),
        Route("/login", login(web), methods=["GET", "POST"]),
        Route("/logout", pages.endpoint(logout, ()), methods=["POST"]),
        Route("/static/{name}", static, methods=["GET"]),
    ]
    routes += [
        Route(path, pages.endpoint(handler, permissions), methods=[method])
        for method, path, handler, permissions in ROUTES
    ]
    return Starlette(routes=routes)


def serve(
    manager: LifecycleManager,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    auth: TokenVerifier | None,
    allow_anonymous: bool = False,
    rest_path: str = "/engine-rest",
    users: Users | None = None,
    tokens: TokenIssuer | None = None,
    log_level: str = "info",
    **uvicorn_options: Any,
) -> None:
    """Serve the REST API at `rest_path` and the Cockpit and Tasklist at `/`, until stopped.

    `users` and `tokens` are the REST app's (see `site`).

    Raises:
        ConfigurationError: As `site` does, or if uvicorn is not installed.
    """
    try:
        import uvicorn  # noqa: PLC0415 - an optional dependency, needed only to serve
    except ImportError as err:  # pragma: no cover - the rest extra installs uvicorn
        raise ConfigurationError("serving needs uvicorn: pip install 'modelop-mlc[rest]'") from err
    uvicorn.run(
        site(
            manager,
            auth=auth,
            allow_anonymous=allow_anonymous,
            rest_path=rest_path,
            users=users,
            tokens=tokens,
        ),
        host=host,
        port=port,
        log_level=log_level,
        **uvicorn_options,
    )


def site(
    manager: LifecycleManager,
    *,
    auth: TokenVerifier | None,
    allow_anonymous: bool = False,
    rest_path: str = "/engine-rest",
    users: Users | None = None,
    tokens: TokenIssuer | None = None,
) -> Starlette:
    """One app with both: the REST API at `rest_path` and the pages at `/`.

    With `users` the REST API takes HTTP Basic credentials too; with `tokens` it serves
    `POST /gocli/token`, and the pages take the tokens it signs beside `auth`'s.

    Raises:
        ConfigurationError: As `create_app` does, or if `users` are given without `auth`
            or `tokens` (the pages log in with a token).
    """
    rest = create_rest_app(
        manager, auth=auth, allow_anonymous=allow_anonymous, users=users, tokens=tokens
    )
    page_auth = _either(auth, tokens.verifier()) if tokens is not None else auth
    if page_auth is None and users is not None:
        raise ConfigurationError(
            "the Cockpit pages log in with a token: with users= pass tokens= (a TokenIssuer, "
            "so users log in at POST /gocli/token) or auth="
        )
    pages = create_app(manager, auth=page_auth, allow_anonymous=allow_anonymous)
    mount = "/" + rest_path.strip("/")
    return Starlette(routes=[Mount(mount, app=rest), Mount("/", app=pages)])


def _either(first: TokenVerifier | None, second: TokenVerifier) -> TokenVerifier:
    """A verifier taking the tokens of `first` (if any) and of `second`."""
    if first is None:
        return second

    def verify(token: str) -> Principal | None:
        return first(token) or second(token)

    return verify
