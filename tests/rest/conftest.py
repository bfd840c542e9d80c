"""Fixtures for the REST app: a real manager on SQLite, the app mounted at /engine-rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from modelop_mlc import LifecycleManager
from modelop_mlc.rest import StaticTokens, create_app
from rest.support import (
    BACK_TEST_KEY,
    BACK_TEST_SIGNAL,
    BACK_TEST_TASK,
    BASE,
    TOKENS,
    TestClient,
    signal_start_diagram,
)


@pytest.fixture(name="back_test_diagram")
def _back_test_diagram() -> tuple[str, str]:
    """The back-test diagram as Camunda Modeler would upload it: (file name, XML)."""
    return "run_back_test.bpmn", signal_start_diagram(
        BACK_TEST_KEY, BACK_TEST_SIGNAL, task=BACK_TEST_TASK
    )


@pytest.fixture(name="app")
def _app(manager: LifecycleManager) -> Starlette:
    return create_app(manager, auth=StaticTokens(TOKENS))


@pytest.fixture(name="client")
def _client(app: Starlette) -> Iterator[TestClient]:
    host = Starlette(routes=[Mount("/engine-rest", app=app)])
    with TestClient(host, base_url=BASE) as client:
        yield client
