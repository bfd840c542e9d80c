"""Fuzz every operation of the OpenAPI document in-process with schemathesis.

Bounded for CI: a few examples per operation, valid and invalid. Every answer must be no
server error, and a documented status with a body matching the document's schema.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import StaticTokens, create_app, openapi_document
from rest.support import BACK_TEST_SIGNAL, TOKENS, signal_start_diagram

schemathesis = pytest.importorskip("schemathesis")

HEADERS = {"Authorization": "Bearer all-token"}
MAX_EXAMPLES = 5
EXTERNAL = process(
    '<bpmn:startEvent id="start"/><bpmn:serviceTask id="score" camunda:type="external"'
    ' camunda:topic="score"/><bpmn:endEvent id="end"/>' + chain("start", "score", "end"),
    pid="scoring",
)
OPERATIONS = [
    (method.upper(), path)
    for path, methods in openapi_document()["paths"].items()
    for method in methods
]


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_operation_answers_500(
    manager: LifecycleManager, method: str, path: str, mode: str
) -> None:
    """Generated requests, valid and invalid, never get a server error."""
    # Something real to find: a definition, a waiting instance and its open user task.
    manager.deploy(("run_back_test.bpmn", signal_start_diagram("run_back_test", BACK_TEST_SIGNAL)))
    manager.deploy(("scoring.bpmn", EXTERNAL))
    manager.signal(BACK_TEST_SIGNAL, {"MODEL_ID": "snap-1", "when": "2026-01-01T00:00:00+00:00"})
    manager.start("scoring", {"amount": 3}, business_key="b-1")
    app = create_app(manager, auth=StaticTokens(TOKENS))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HEADERS)
    operation = schema[path][method]
    generation_mode = schemathesis.GenerationMode(mode)

    @given(case=operation.as_strategy(generation_mode=generation_mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            headers=HEADERS,
            checks=[
                schemathesis.checks.not_a_server_error,
                schemathesis.checks.status_code_conformance,
                schemathesis.checks.response_schema_conformance,
                schemathesis.checks.content_type_conformance,
            ],
        )

    fuzz()
