"""A live Cockpit on 127.0.0.1 (uvicorn in a thread) and the review process to show in it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from cockpit_review import GROUP, REVIEW_XML, prepare_review
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import PERMISSIONS, Principal, StaticTokens

ADMIN_TOKEN = "admin-token-for-the-cockpit-tests"
READER_TOKEN = "reader-token-for-the-cockpit-tests"
COMPLETER_TOKEN = "completer-token-for-the-cockpit-tests"
AUTH = StaticTokens(
    {
        ADMIN_TOKEN: Principal("ana", PERMISSIONS, groups=frozenset({GROUP})),
        READER_TOKEN: Principal("rob", frozenset({"read"})),
        COMPLETER_TOKEN: Principal("rob", frozenset({"read", "complete"})),
    }
)


def deploy_review(manager: LifecycleManager) -> None:
    """Register the review's delegate and deploy it."""
    manager.register_delegate("PrepareReview", prepare_review, asynchronous=True, replace=True)
    manager.deploy(("cockpit_review.bpmn", REVIEW_XML))


@contextmanager
def live_server(app: Starlette) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 on a free port until the block ends; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(2000):
        if server.started:
            started.set()
            break
        thread.join(0.01)
    assert started.is_set(), "the Cockpit server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
