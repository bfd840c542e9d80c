"""The Cockpit and Tasklist app: authentication, CSRF, routing, and `serve` for both apps."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modelop_mlc.errors import MlcError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.rest import PERMISSIONS, Principal, TokenVerifier
from modelop_mlc.rest._errors import ApiError
from modelop_mlc.rest._http import Context, map_error, read_body
from modelop_mlc.web._html import csrf_field, escape, page
from modelop_mlc.web._sessions import COOKIE, LOGIN_COOKIE, Session, Sessions, new_token, same_token

__all__ = [
    "LIFETIME",
    "MAX_FORM_BYTES",
    "Pages",
    "Web",
    "Who",
    "home",
    "login",
    "logout",
    "render",
    "root",
    "static",
]

log = logging.getLogger("modelop_mlc.web")

MAX_FORM_BYTES = 1024 * 1024
_ANONYMOUS = Principal("anonymous", PERMISSIONS)
_STATIC = {"cockpit.css": "text/css", "cockpit.js": "text/javascript"}


@dataclass
class Who:
    """Who is asking: the principal, and their browser session (None for bearer callers)."""

    principal: Principal
    session: Session | None
    new_session: bool = False

    @property
    def csrf(self) -> str:
        """The CSRF token forms must carry (empty for bearer callers, who need none)."""
        return self.session.csrf if self.session is not None else ""


@dataclass
class Web:
    """What every page needs: the manager (through the REST context), sessions, the verifier."""

    context: Context
    sessions: Sessions
    verifier: TokenVerifier | None

    @property
    def manager(self) -> LifecycleManager:
        """The manager the pages show."""
        return self.context.manager


Handler = Callable[[Web, Request, Who, dict[str, str]], Awaitable[Response]]


def root(request: Request) -> str:
    """Where the pages are mounted, without a trailing slash (`""` at the site root)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(request: Request, who: Who | None, title: str, body: str, **options: Any) -> str:
    """A page in the frame, with the user, the CSRF token and any kept messages."""
    flashes = who.session.take_flashes() if who and who.session else []
    return page(
        root(request),
        title,
        body,
        user=who.principal.name if who else None,
        csrf=who.csrf if who else None,
        flashes=flashes,
        **options,
    )


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=root(request) or "/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _error_page(request: Request, who: Who | None, status: int, message: str) -> Response:
    body = f'<p class="error-message">{escape(message)}</p>'
    titles = {401: "Please log in", 403: "Not allowed", 404: "Not found", 413: "Too large"}
    title = titles.get(status, "Bad request" if status < 500 else "Something went wrong")  # noqa: PLR2004
    return HTMLResponse(render(request, who, title, body), status_code=status)


async def _form(request: Request) -> dict[str, str]:
    """The posted URL-encoded form (the last value of a repeated name wins)."""
    body = await read_body(request, MAX_FORM_BYTES)
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.url.netloc


def _safe_next(request: Request, target: str | None) -> str:
    """Where to go after login: a path on this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{root(request)}/cockpit"


class Pages:
    """Turns handlers into endpoints with authentication, permissions and CSRF checks."""

    def __init__(self, web: Web) -> None:
        self.web = web

    async def identify(self, request: Request) -> Who | None:
        # An explicit bearer token wins over a session cookie; browsers never add one
        # on their own, so its requests need no CSRF token.
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if self.web.verifier is not None and scheme.lower() == "bearer" and token.strip():
            found = await run_in_threadpool(self.web.verifier, token.strip())
            return Who(found, None) if isinstance(found, Principal) else None
        session = self.web.sessions.find(request.cookies.get(COOKIE))
        if session is not None:
            return Who(session.principal, session)
        if self.web.verifier is None:
            # Anonymous mode: every browser still gets a session, so forms carry a CSRF token.
            return Who(_ANONYMOUS, self.web.sessions.create(_ANONYMOUS), new_session=True)
        return None

    def endpoint(
        self, handler: Handler, permissions: Collection[str]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            who = await self.identify(request)
            if who is None:
                if request.method == "GET":
                    target = quote(
                        request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    )
                    return RedirectResponse(f"{root(request)}/login?next={target}", 303)
                return _error_page(request, None, 401, "Log in first, then send the form again.")
            if permissions and not who.principal.permissions & set(permissions):
                wanted = " or ".join(f"'{p}'" for p in sorted(permissions))
                return _error_page(
                    request, who, 403, f"{who.principal.name} does not have {wanted} permission."
                )
            form: dict[str, str] = {}
            try:
                if request.method == "POST":
                    form = await _form(request)
                    if who.session is not None and not (
                        same_token(form.get("csrf_token"), who.session.csrf)
                        and _same_origin(request)
                    ):
                        return _error_page(
                            request,
                            who,
                            403,
                            "The form has expired; reload the page and try again.",
                        )
                response = await handler(self.web, request, who, form)
            except ApiError as err:
                return _error_page(request, who, err.status, err.message)
            except MlcError as err:
                mapped = map_error(err)
                return _error_page(request, who, mapped.status, mapped.message)
            if who.new_session and who.session is not None:
                lifetime = int(LIFETIME.total_seconds())
                _cookie(response, request, COOKIE, who.session.id, lifetime)
            return response

        return run


LIFETIME = timedelta(hours=8)


async def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    token = new_token()
    target = escape(request.query_params.get("next", ""))
    error = f'<p class="flash error" role="alert">{escape(message)}</p>' if message else ""
    body = (
        f'{error}<form method="post" action="{root(request)}/login?next={quote(target)}" '
        f'class="login">{csrf_field(token)}<div class="field"><label for="token">Access token'
        '</label><input type="password" id="token" name="token" autocomplete="current-password" '
        'required autofocus></div><p class="hint">The bearer token you use for the REST API.</p>'
        '<button type="submit">Log in</button></form>'
    )
    response = HTMLResponse(render(request, None, "Log in", body), status_code=status)
    _cookie(response, request, LOGIN_COOKIE, token, 600)
    return response


def login(web: Web) -> Callable[[Request], Awaitable[Response]]:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            if web.sessions.find(request.cookies.get(COOKIE)) or web.verifier is None:
                return RedirectResponse(_safe_next(request, request.query_params.get("next")), 303)
            return await _login_page(request)
        try:
            form = await _form(request)
        except ApiError as err:
            return await _login_page(request, err.message, err.status)
        if not same_token(form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)):
            return await _login_page(request, "The login form expired; please try again.", 403)
        if web.verifier is None:
            return RedirectResponse(_safe_next(request, request.query_params.get("next")), 303)
        found = await run_in_threadpool(web.verifier, form.get("token", "").strip())
        if not isinstance(found, Principal):
            log.info("a browser login was refused")
            return await _login_page(request, "That access token was not accepted.", 401)
        session = web.sessions.create(found)
        response = RedirectResponse(_safe_next(request, request.query_params.get("next")), 303)
        _cookie(response, request, COOKIE, session.id, int(LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_COOKIE, path=root(request) or "/")
        return response

    return login


async def logout(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    if who.session is not None:
        web.sessions.end(who.session.id)
    response = RedirectResponse(f"{root(request)}/login", 303)
    response.delete_cookie(COOKIE, path=root(request) or "/")
    return response


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    text = (resources.files("modelop_mlc.web") / "static" / name).read_text(encoding="utf-8")
    return Response(text, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})


async def home(request: Request) -> Response:
    return RedirectResponse(f"{root(request)}/cockpit", 303)
