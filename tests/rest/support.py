"""Constants, diagrams and request helpers shared by the REST tests."""

from __future__ import annotations

import warnings
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from bpmn_xml import chain, process
from modelop_mlc.rest import PERMISSIONS

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

BASE = "http://testserver/engine-rest"

# ModelOp's signal names; the packaged back-test process will start on the first one. To run
# these tests against it, point `back_test_diagram` at the packaged file (its user task must
# then be named in BACK_TEST_TASK).
BACK_TEST_SIGNAL = "com.modelop.mlc.definitions.Signals_Run_Back_Test_Jira"
BACK_TEST_KEY = "run_back_test"
BACK_TEST_TASK = "review_results"
DRIFT_SIGNAL = "com.modelop.mlc.definitions.Signals_MODEL_DATA_DRIFT_TEST"
BATCH_SIGNAL = "com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB"

TOKENS = {
    "all-token": set(PERMISSIONS),
    "read-token": {"read"},
    "deploy-token": {"deploy"},
    "signal-token": {"signal"},
    "responsive-token": {"signal-responsive"},
    "complete-token": {"complete"},
}
ALL = {"Authorization": "Bearer all-token"}


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def signal_start_diagram(key: str, signal: str, *, task: str = "review") -> str:
    """A process started by `signal` that waits at a user task for group `approvers`."""
    return process(
        '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="sig"/>'
        "</bpmn:startEvent>"
        f'<bpmn:userTask id="{task}" name="Review results" camunda:candidateGroups="approvers"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", task, "end"),
        pid=key,
        name="Run back test",
        extra=f'<bpmn:signal id="sig" name="{signal}"/>',
    )


def modeler_deploy(
    client: TestClient,
    file_name: str,
    xml: str,
    *,
    name: str = "run_back_test",
    token: str = "all-token",
    extra: dict[str, str] | None = None,
) -> Any:
    """POST /deployment/create exactly as Camunda Modeler 5 sends it."""
    fields = {
        "deployment-name": name,
        "deployment-source": "Camunda Modeler",
        "enable-duplicate-filtering": "true",
        **(extra or {}),
    }
    return client.post(
        "/deployment/create",
        headers=bearer(token),
        data=fields,
        files={file_name: (file_name, xml.encode("utf-8"), "text/xml")},
    )
