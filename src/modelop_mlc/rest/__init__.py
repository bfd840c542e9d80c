"""A Camunda 7 compatible REST API over a `LifecycleManager`, as an ASGI app to mount.

Camunda Modeler deploys to it, and signals, messages and task completions arrive over
HTTP with the same paths, fields and status codes as Camunda's engine-rest (plus ModelOp's
`/signalResponsive`). Needs the `rest` extra (Starlette; uvicorn to `serve`).

Example:
    >>> from modelop_mlc.rest import StaticTokens, create_app
    >>> auth = StaticTokens({"s3cr3t": {"deploy", "read"}})
    >>> app = create_app(manager, auth=auth)  # doctest: +SKIP
"""

try:
    import starlette  # noqa: F401 - checked first for a clear message
except ImportError as err:  # pragma: no cover - exercised in a subprocess without starlette
    raise ImportError("modelop_mlc.rest needs Starlette: pip install 'modelop-mlc[rest]'") from err

from modelop_mlc.rest._app import CAMUNDA_VERSION, DEFAULT_MAX_UPLOAD_BYTES, create_app, serve
from modelop_mlc.rest._auth import (
    ADMIN,
    COMPLETE,
    DEPLOY,
    PERMISSIONS,
    READ,
    SIGNAL,
    SIGNAL_RESPONSIVE,
    HmacJwtVerifier,
    Principal,
    StaticTokens,
    TokenVerifier,
)
from modelop_mlc.rest._login import (
    LoginLimiter,
    TokenIssuer,
    User,
    Users,
    hash_password,
    users_from_file,
)
from modelop_mlc.rest._openapi import openapi_document

__all__ = [
    "ADMIN",
    "CAMUNDA_VERSION",
    "COMPLETE",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEPLOY",
    "PERMISSIONS",
    "READ",
    "SIGNAL",
    "SIGNAL_RESPONSIVE",
    "HmacJwtVerifier",
    "LoginLimiter",
    "Principal",
    "StaticTokens",
    "TokenIssuer",
    "TokenVerifier",
    "User",
    "Users",
    "create_app",
    "hash_password",
    "openapi_document",
    "serve",
    "users_from_file",
]
