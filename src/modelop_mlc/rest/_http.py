"""Request plumbing shared by the routes: the context, bodies, errors and permission checks."""

from __future__ import annotations

import json
import logging
import threading
import uuid
import weakref
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from modelop_mlc.errors import (
    CorrelationError,
    DiagramError,
    ExternalTaskLockError,
    InstanceConflictError,
    MlcError,
    NotFoundError,
    ProcessError,
    TaskNotOpenError,
    VariableError,
)
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.rest._auth import Principal
from modelop_mlc.rest._errors import ApiError, bad_request

__all__ = [
    "PRINCIPAL_KEY",
    "Context",
    "Handler",
    "base_url",
    "endpoint",
    "error_response",
    "json_body",
    "json_response",
    "map_error",
    "read_body",
]

log = logging.getLogger("modelop_mlc.rest")

PRINCIPAL_KEY = "modelop_mlc.principal"
"""Where the authentication middleware leaves the request's `Principal` in the ASGI scope."""

T = TypeVar("T")


_LOCKS: weakref.WeakKeyDictionary[LifecycleManager, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _write_lock(manager: LifecycleManager) -> threading.Lock:
    # One lock per manager, so that apps sharing a manager (the REST app and the Cockpit
    # pages) write one at a time between them too.
    with _LOCKS_GUARD:
        found = _LOCKS.get(manager)
        if found is None:
            found = _LOCKS[manager] = threading.Lock()
        return found


@dataclass
class Context:
    """What every route needs: the manager, the limits, and the write lock.

    Writes run one at a time: the manager is synchronous and its event delivery is not
    meant to be re-entered from several threads of one process. Reads run concurrently.
    """

    manager: LifecycleManager
    max_upload_bytes: int
    # The app's users, whose groups make a candidate user of a group's tasks.
    users: Any = None
    _write_lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        """Share the manager's write lock."""
        self._write_lock = _write_lock(self.manager)

    @property
    def secret(self) -> tuple[str, ...]:
        """Variable-name patterns whose values answers mask (`ManagerConfig.secret_variables`)."""
        return self.manager.config.secret_variables

    async def read(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a manager read in a worker thread, keeping the event loop free."""
        return await run_in_threadpool(partial(function, *args, **kwargs))

    async def write(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a manager write in a worker thread, one write at a time."""

        def locked() -> T:
            with self._write_lock:
                return function(*args, **kwargs)

        return await run_in_threadpool(locked)


Handler = Callable[[Context, Request], Awaitable[Response]]


def base_url(request: Request) -> str:
    """The URL the app is mounted at (for Camunda's `links`), without a trailing slash."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def too_large(limit: int) -> ApiError:
    """The 413 answer for a body over `limit` bytes."""
    return ApiError(
        413,
        "InvalidRequestException",
        f"The request body is larger than the limit of {limit} bytes",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """Read the whole body, refusing more than `limit` bytes even without a Content-Length.

    Raises:
        ApiError: 413 when the body is too large, 400 for a bad Content-Length.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise bad_request("The Content-Length header is not a number")
        if int(declared) > limit:
            raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def json_body(request: Request, limit: int) -> dict[str, Any]:
    """Read the body as a JSON object; an empty body is `{}`.

    Raises:
        ApiError: 400 for malformed JSON or anything but an object, 413 when too large.
    """
    data = await read_body(request, limit)
    if not data.strip():
        return {}
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise bad_request(f"The request body is not valid JSON: {err}") from None
    except RecursionError:
        raise bad_request("The request body is nested too deeply") from None
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object")
    return value


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response (Camunda always answers `application/json`)."""
    return JSONResponse(body, status_code=status)


def error_response(error: ApiError) -> Response:
    """Camunda's error body for `error`."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def map_error(err: Exception) -> ApiError:
    """Turn an exception from the manager into the answer Camunda would give.

    Messages of our own errors are written for users and are passed on; anything else is
    logged with its traceback and answered with a generic message and a reference.
    """
    if isinstance(err, ApiError):
        return err
    if isinstance(err, NotFoundError):
        return ApiError(404, "InvalidRequestException", str(err))
    if isinstance(err, VariableError):
        return bad_request(str(err))
    if isinstance(err, CorrelationError):
        return ApiError(
            400,
            "RestException",
            "org.camunda.bpm.engine.MismatchingMessageCorrelationException: " + str(err),
        )
    if isinstance(err, ExternalTaskLockError):
        return ApiError(400, "BadUserRequestException", str(err))
    if isinstance(err, TaskNotOpenError):
        return ApiError(400, "RestException", str(err))
    if isinstance(err, InstanceConflictError):
        return ApiError(409, "OptimisticLockingException", str(err))
    if isinstance(err, DiagramError | ProcessError):
        # Our messages name the element and what to do; Camunda answers these with a 500.
        return ApiError(500, "ProcessEngineException", str(err))
    return _unexpected(err)


def _unexpected(err: BaseException) -> ApiError:
    reference = uuid.uuid4().hex[:12]
    # The traceback goes to the server log only; the client gets a reference to quote.
    log.error("unexpected error (reference %s)", reference, exc_info=err)
    return ApiError(
        500,
        "RestException",
        f"An unexpected error occurred; the server log has the details (reference {reference})",
    )


def _forbidden(principal: Principal, needed: Collection[str]) -> ApiError:
    wanted = " or ".join(f"'{p}'" for p in sorted(needed))
    return ApiError(
        403,
        "AuthorizationException",
        f"The user with id '{principal.name}' does not have {wanted} permission for this request",
        details={"userId": principal.name, "missingAuthorizations": []},
    )


def endpoint(
    context: Context, handler: Handler, permissions: Collection[str] | None
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with its permission check and the error mapping.

    Args:
        context: The app's context.
        handler: The route's handler.
        permissions: Any one of these grants access; `None` lets every authenticated caller in.
    """

    async def run(request: Request) -> Response:
        principal: Principal = request.scope[PRINCIPAL_KEY]
        if permissions is not None and not principal.permissions & set(permissions):
            return error_response(_forbidden(principal, permissions))
        try:
            return await handler(context, request)
        except ApiError as err:
            return error_response(err)
        except HTTPException as err:
            # Starlette's own parsers (multipart) raise these for malformed input.
            return error_response(ApiError(err.status_code, "InvalidRequestException", err.detail))
        except MlcError as err:
            return error_response(map_error(err))
        except Exception as err:  # noqa: BLE001 - the last line of defence: never leak a traceback
            return error_response(_unexpected(err))

    return run
