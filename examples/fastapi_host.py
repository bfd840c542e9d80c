"""Host the MLC REST API (Camunda 7 compatible) inside your own web application.

The app from `modelop_mlc.rest.create_app` is mounted at ModelOp's path `/mlc-service/rest`
of a FastAPI application (or, without FastAPI, of a plain Starlette one). Camunda Modeler's
deployment endpoint is then `http://127.0.0.1:8080/mlc-service/rest` with the bearer token.

    python examples/fastapi_host.py            # serve with uvicorn on 127.0.0.1:8080
    python examples/fastapi_host.py --check    # build the app, call /version in-process, exit

The token comes from MLC_REST_TOKEN; without it a random one is generated and printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from modelop_mlc import LifecycleManager
from modelop_mlc.rest import PERMISSIONS, StaticTokens, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x suggests httpx2 for its TestClient
    from starlette.testclient import TestClient

try:
    from fastapi import FastAPI
except ImportError:  # FastAPI is optional: fall back to a plain Starlette host
    FastAPI = None

MOUNT = "/mlc-service/rest"


def build_host(manager: LifecycleManager, token: str) -> Any:
    """Return the host application with the MLC REST API mounted at MOUNT."""
    mlc = create_app(manager, auth=StaticTokens({token: PERMISSIONS}))
    if FastAPI is None:

        async def health_route(_request: Any) -> JSONResponse:
            return JSONResponse({"status": "ok"})

        return Starlette(routes=[Route("/health", health_route), Mount(MOUNT, app=mlc)])
    app = FastAPI(title="Model service with MLC processes")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.mount(MOUNT, mlc)
    return app


def check(token: str) -> int:
    """Build everything over a throw-away database and call /version in-process."""
    with tempfile.TemporaryDirectory() as folder:
        manager = LifecycleManager.open(Path(folder) / "mlc.db")
        try:
            with TestClient(build_host(manager, token)) as client:
                denied = client.get(f"{MOUNT}/version")
                answer = client.get(
                    f"{MOUNT}/version", headers={"Authorization": f"Bearer {token}"}
                )
        finally:
            manager.close()
    print(f"without token: {denied.status_code}; with token: {answer.status_code} {answer.json()}")
    return 0 if denied.status_code == 401 and answer.status_code == 200 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="build, call /version, exit")
    parser.add_argument("--db", default="mlc.db", help="SQLite file (default: mlc.db)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    token = os.environ.get("MLC_REST_TOKEN") or secrets.token_urlsafe(32)
    if args.check:
        return check(token)
    if "MLC_REST_TOKEN" not in os.environ:
        print(f"bearer token for this run: {token}")
    import uvicorn  # noqa: PLC0415 - only needed to serve, not for --check

    manager = LifecycleManager.open(args.db)
    try:
        uvicorn.run(build_host(manager, token), host="127.0.0.1", port=args.port)
    finally:
        manager.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
