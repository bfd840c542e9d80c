"""The HTTP connector sends a secret only to the hosts allowed for it, and no response puts a
configured secret into variables or history (issue 25, item 6)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.handlers.http import host_allowed

TOKEN = "Bearer hook-s3cr3t-7f1c"
OTHER = "jira-Passw0rd-91"

HOOK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="notify" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="post">
      <bpmn:extensionElements>
        <camunda:failedJobRetryTimeCycle>R0/PT5M</camunda:failedJobRetryTimeCycle>
        <camunda:connector>
          <camunda:connectorId>http-connector</camunda:connectorId>
          <camunda:inputOutput>
            <camunda:inputParameter name="url">${HOOK_URL}</camunda:inputParameter>
            <camunda:inputParameter name="headers">
              <camunda:map>
                <camunda:entry key="Authorization">secret:HOOK_TOKEN</camunda:entry>
              </camunda:map>
            </camunda:inputParameter>
            <camunda:outputParameter name="answer">${response}</camunda:outputParameter>
            <camunda:outputParameter name="answerHeaders">${headers}</camunda:outputParameter>
          </camunda:inputOutput>
        </camunda:connector>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:userTask id="done"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="post"/>
    <bpmn:sequenceFlow id="f2" sourceRef="post" targetRef="done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="done" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


class _Echo(BaseHTTPRequestHandler):
    """Answers every GET with the Authorization header it got (body and header), and an
    unrelated configured secret in the body: a hostile or careless service."""

    received: list[str | None]

    def do_GET(self) -> None:
        """Echo the credentials back."""
        auth = self.headers.get("Authorization")
        self.server.received.append(auth)  # type: ignore[attr-defined]
        body = json.dumps({"you_sent": auth, "leak": f"password={OTHER}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo", str(auth))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""


@pytest.fixture(name="echo")
def _echo() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _manager(tmp_path: Path, hosts: list[str] | None) -> LifecycleManager:
    config = ManagerConfig(
        secrets={"HOOK_TOKEN": SecretStr(TOKEN), "JIRA_PASSWORD": SecretStr(OTHER)},
        secret_hosts={"HOOK_TOKEN": hosts} if hosts is not None else {},
    )
    manager = LifecycleManager.open(tmp_path / "mlc.db", config=config)
    manager.deploy(HOOK)
    return manager


def _run(manager: LifecycleManager, url: str) -> str:
    instance = manager.start("notify", {"HOOK_URL": url})
    manager.run_due()
    return instance.id


def test_an_allowed_host_gets_the_secret_and_its_echo_is_redacted(
    tmp_path: Path, echo: ThreadingHTTPServer
) -> None:
    """127.0.0.1 is allowed: it receives the token; the echoed token and the other
    configured secret are cut out of the variables and the history."""
    port = echo.server_address[1]
    with _manager(tmp_path, ["127.0.0.1"]) as manager:
        instance_id = _run(manager, f"http://127.0.0.1:{port}/hook")
        instance = manager.instance(instance_id)
        history = repr(manager.history(instance_id))
    assert echo.received == [TOKEN]  # type: ignore[attr-defined]
    assert instance.waiting_at == ("done",)
    assert instance.variables["answer"] == {"you_sent": "***", "leak": "password=***"}
    assert instance.variables["answerHeaders"]["X-Echo"] == "***"
    for secret in (TOKEN, OTHER):
        assert secret not in repr(instance.variables)
        assert secret not in history


def test_a_host_the_starter_chose_gets_nothing(tmp_path: Path, echo: ThreadingHTTPServer) -> None:
    """The starter points HOOK_URL at `localhost` (not on the list): no request is made,
    and the incident names the secret and the host, never its value."""
    port = echo.server_address[1]
    with _manager(tmp_path, ["127.0.0.1"]) as manager:
        instance_id = _run(manager, f"http://localhost:{port}/steal")
        incidents = manager.incidents()
        status = manager.instance(instance_id).status
    assert echo.received == []  # type: ignore[attr-defined]
    assert status == "incident"
    (incident,) = incidents
    assert "the secret HOOK_TOKEN may not be sent to 'localhost'" in incident.message
    assert TOKEN not in incident.message


def test_a_secret_without_allowed_hosts_is_sent_nowhere(
    tmp_path: Path, echo: ThreadingHTTPServer
) -> None:
    """With no `secret_hosts` entry the secret is not sent, even to 127.0.0.1."""
    port = echo.server_address[1]
    with _manager(tmp_path, None) as manager:
        _run(manager, f"http://127.0.0.1:{port}/hook")
        (incident,) = manager.incidents()
    assert echo.received == []  # type: ignore[attr-defined]
    assert "allowed for: no host" in incident.message


def test_a_wildcard_entry_allows_subdomains_only() -> None:
    """`*.example.com` allows `hooks.example.com`, not `example.com.evil.net`."""
    assert host_allowed("https://hooks.example.com/x", ["*.example.com"])
    assert not host_allowed("https://example.com.evil.net/x", ["*.example.com"])
    assert host_allowed("http://127.0.0.1:8080/x", ["127.0.0.1:8080"])
    assert not host_allowed("http://127.0.0.1:8081/x", ["127.0.0.1:8080"])
