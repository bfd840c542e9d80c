"""The REST server keeps answering other clients while one request runs a hostile expression
(issue 25, item 4): over real HTTP on 127.0.0.1, with a generous hang guard, no timing claim."""

from __future__ import annotations

import threading
from pathlib import Path

import requests

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc.rest import PERMISSIONS, StaticTokens, create_app
from rest.live import serve_in_thread

TOKEN = "token-for-the-hostile-expression-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A nested FEEL `some` of 10^10 iterations: evaluated in the host until its iteration budget
# (derived from `script_cpu_seconds`) stops it, which keeps that request busy for a while.
HOSTILE = process(
    '<bpmn:startEvent id="start"/><bpmn:scriptTask id="s" scriptFormat="feel"><bpmn:script>'
    "some i in 1..100000, j in 1..100000 satisfies i &lt; 0</bpmn:script></bpmn:scriptTask>"
    '<bpmn:userTask id="w"/><bpmn:endEvent id="end"/>' + chain("start", "s", "w", "end"),
    pid="hostile",
)
HANG_GUARD = 5.0  # seconds; a frozen host would never answer, a working one answers at once


def test_version_answers_while_a_hostile_expression_runs(tmp_path: Path) -> None:
    """While one client's start evaluates a hostile FEEL expression until its budget stops it,
    another client's `GET /version` is answered, every time; the start is refused, not hung."""
    with LifecycleManager.open(tmp_path / "mlc.db") as manager:
        manager.deploy(HOSTILE)
        _race(manager)


def _race(manager: LifecycleManager) -> None:
    app = create_app(manager, auth=StaticTokens({TOKEN: set(PERMISSIONS)}))
    with serve_in_thread(app) as base:
        outcome: dict[str, requests.Response] = {}
        sent = threading.Event()

        def start() -> None:
            sent.set()
            outcome["start"] = requests.post(
                f"{base}/process-definition/key/hostile/start", json={}, headers=AUTH, timeout=120
            )

        hostile = threading.Thread(target=start)
        hostile.start()
        sent.wait(HANG_GUARD)
        answered, during = 0, 0
        while hostile.is_alive() or answered == 0:
            version = requests.get(f"{base}/version", headers=AUTH, timeout=HANG_GUARD)
            assert version.status_code == 200
            assert "version" in version.json()
            answered += 1
            during += hostile.is_alive()
        hostile.join(120)
        assert not hostile.is_alive()
    refused = outcome["start"]
    assert refused.status_code in {400, 500}, refused.text
    assert "was stopped" in refused.json()["message"]
    assert during >= 1, "no /version answer came while the hostile start ran"
    assert manager.instances(key="hostile") == []
