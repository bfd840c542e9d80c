"""What the stock-client tests share: diagrams, a served app that records calls, coverage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import User, Users, create_app, openapi_document
from rest.live import serve_in_thread

AUTH = ("demo", "demo-password")
# camunda-client expects user ids to be UUIDs (its users come from an identity provider).
UUID_AUTH = ("6f1c2a3e-9b7d-4c51-8a2e-0d4b5c6e7f80", "uuid-user-password")

REVIEW = process(
    '<bpmn:startEvent id="start" camunda:formKey="embedded:app:forms/start.html">'
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="amount" label="Amount" type="long" defaultValue="10"/>'
    "</camunda:formData></bpmn:extensionElements></bpmn:startEvent>"
    '<bpmn:userTask id="approve" name="Approve" camunda:candidateGroups="approvers"'
    ' camunda:formKey="embedded:app:forms/approve.html">'
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="approved" label="Approved?" type="boolean"/>'
    "</camunda:formData><camunda:inputOutput>"
    '<camunda:inputParameter name="hint">check the amount</camunda:inputParameter>'
    "</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>"
    '<bpmn:serviceTask id="score" name="Score" camunda:type="external" camunda:topic="score"/>'
    '<bpmn:intermediateCatchEvent id="go" name="Go"><bpmn:messageEventDefinition'
    ' messageRef="m"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end"/>' + chain("start", "approve", "score", "go", "end"),
    pid="review",
    name="Review",
    extra='<bpmn:message id="m" name="go"/>',
)
FLAKY = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="flaky" name="Flaky" camunda:asyncBefore="true" camunda:class="Flaky">'
    "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1M"
    "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
    '<bpmn:intermediateCatchEvent id="later"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:endEvent id="end"/>' + chain("start", "flaky", "later", "end"),
    pid="jobs",
)
SIGNALLED = process(
    '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>'
    '<bpmn:userTask id="look" name="Look"/><bpmn:endEvent id="end"/>'
    + chain("start", "look", "end"),
    pid="signalled",
    extra='<bpmn:signal id="s" name="wake-up"/>',
)

# Routes of ours that no Camunda client knows (ModelOp's, the document itself).
OURS = {
    ("POST", "/signalResponsive"),
    ("GET", "/openapi.json"),
    ("GET", "/process-instance/{id}/diagram.svg"),
}


@dataclass
class Served:
    """A served app: its base URL, the manager behind it, and the calls it received."""

    url: str
    manager: LifecycleManager
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def called_operations(self) -> set[tuple[str, str]]:
        """The document's operations (method, path template) that were called successfully."""
        templates = [
            (method.upper(), path, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"))
            for path, methods in openapi_document()["paths"].items()
            for method in methods
        ]
        found = set()
        for method, path, status in self.calls:
            if status >= 500:
                continue
            # Literal routes (`/task/count`) win over templates (`/task/{id}`), as in the app.
            matches = [(m, p) for m, p, rx in templates if m == method and rx.match(path)]
            if matches:
                found.add(min(matches, key=lambda mp: mp[1].count("{")))
        return found


class _Recorder:
    def __init__(self, app: Any, calls: list[tuple[str, str, int]]) -> None:
        self.app = app
        self.calls = calls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [0]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        path = scope["path"][len(scope.get("root_path", "")) :]
        self.calls.append((scope["method"], path.removeprefix("/engine/default"), status[0]))


@contextmanager
def served(manager: LifecycleManager) -> Iterator[Served]:
    """Deploy the client diagrams, serve the app with Basic auth and record every call."""
    manager.register_delegate("Flaky", _flaky)
    manager.deploy(("review.bpmn", REVIEW), ("flaky.bpmn", FLAKY), ("signalled.bpmn", SIGNALLED))
    users = Users(
        {
            AUTH[0]: User(AUTH[1], groups=frozenset({"approvers"})),
            UUID_AUTH[0]: User(UUID_AUTH[1], groups=frozenset({"approvers"})),
        }
    )
    app = create_app(manager, auth=None, users=users)
    calls: list[tuple[str, str, int]] = []
    with serve_in_thread(_Recorder(app, calls)) as url:
        yield Served(url, manager, calls)


def _flaky(_ctx: Any) -> dict[str, Any]:
    raise RuntimeError("the model server is down")


def camunda_operations() -> set[tuple[str, str]]:
    """Every operation of our document that Camunda's engine-rest has too."""
    return {
        (method.upper(), path)
        for path, methods in openapi_document()["paths"].items()
        for method in methods
    } - OURS
