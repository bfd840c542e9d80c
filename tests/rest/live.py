"""Serve an ASGI app with uvicorn on 127.0.0.1 from a thread, for real HTTP clients."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

__all__ = ["serve_in_thread"]


@contextmanager
def serve_in_thread(app: Any, base_path: str = "/engine-rest") -> Iterator[str]:
    """Serve `app` under `base_path` on a free port; yield its base URL, stop on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hosted = Starlette(routes=[Mount(base_path, app=app)])
    server = uvicorn.Server(
        uvicorn.Config(hosted, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    # uvicorn sets `started` once it listens; wait on an Event instead of sleeping.
    while not server.started and thread.is_alive():
        ready.wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}{base_path}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
