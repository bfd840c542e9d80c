"""Registry events start processes once: polling, MLflow's signed webhooks, restarts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, process
from mlflow_support import MlflowServer, free_port
from mlflow_world import World, log_credit, make_center, new_prefix
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import WebhookRejectedError
from modelop_mlc.rest import StaticTokens, create_app
from modelop_mlc.tickets import WebhookGuard
from rest.support import TOKENS, TestClient

SIGNAL = "com.modelop.mlc.definitions.Signals_deployable_model_changed"
WATCH = process(
    '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>'
    '<bpmn:userTask id="look" name="Look at the version"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "look", "end"),
    "watch_versions",
    extra=f'<bpmn:signal id="sig" name="{SIGNAL}"/>',
)
SECRET = "s3cret-for-tests"


def open_manager(server: MlflowServer, db: Path, prefix: str, **options: Any) -> LifecycleManager:
    center = make_center(server, prefix, **options)
    clock = ManualClock(datetime.now(UTC))
    manager = LifecycleManager.open(db, clock=clock, center=center)
    manager.deploy(("watch.bpmn", WATCH.encode()))
    return manager


@pytest.fixture(name="world")
def _world(mlflow_server: MlflowServer, tmp_path: Path) -> Iterator[World]:
    prefix = new_prefix()
    manager = open_manager(mlflow_server, tmp_path / "mlc.db", prefix, webhook_secret=SECRET)
    center = manager.center
    model = log_credit(center, f"{prefix}credit")
    yield World(mlflow_server, manager, center, model, prefix)
    manager.close()


def register_version(world: World, **tags: str) -> str:
    """A person registers a version with MLflow's own client; return its version number."""
    source = world.mlflow.get_registered_model(world.model.id).tags["mlc.source"]
    run_id = source.removeprefix("runs:/").split("/")[0]
    found = world.mlflow.create_model_version(world.model.id, source, run_id=run_id, tags=tags)
    return str(found.version)


def started(manager: LifecycleManager) -> list[tuple[str, str]]:
    """(snapshot id, event key) of every instance the events started, sorted."""
    found = []
    for instance in manager.instances(key="watch_versions"):
        event = instance.variables["MLFLOW_EVENT"]
        found.append((instance.variables["DEPLOYABLE_MODEL"]["id"], event["key"]))
    return sorted(found)


def test_polling_starts_one_process_per_event(world: World, tmp_path: Path) -> None:
    """A new version, then a person's tag and alias: one instance each, never twice."""
    version = register_version(world, run_test="true")
    snapshot = f"{world.model.id}/{version}"
    assert world.manager.run_due() >= 1
    assert started(world.manager) == [(snapshot, f"created:{snapshot}")]
    assert world.manager.run_due() == 0  # polled again: nothing new

    world.mlflow.set_model_version_tag(world.model.id, version, "jira", "MLC-7")
    world.mlflow.set_model_version_tag(world.model.id, version, "mlc.note", "ours, not an event")
    world.mlflow.set_registered_model_alias(world.model.id, "challenger", version)
    world.manager.run_due()
    assert started(world.manager) == [
        (snapshot, f"alias:{world.model.id}:challenger={version}"),
        (snapshot, f"created:{snapshot}"),
        (snapshot, f"tag:{snapshot}:jira=MLC-7"),
    ]

    # A restarted host on the same database starts nothing again.
    world.manager.close()
    again = open_manager(world.server, tmp_path / "mlc.db", world.prefix)
    try:
        again.run_due()
        assert len(started(again)) == 3
    finally:
        again.close()


def test_a_version_made_by_a_process_starts_its_processes_once(world: World) -> None:
    """create_deployable_model signals at once; the next poll knows the version."""
    snapshot = world.center.create_deployable_model(world.model.id, tags=["run_test"])
    assert started(world.manager) == [(snapshot.id, f"created:{snapshot.id}")]
    world.manager.run_due()
    assert len(started(world.manager)) == 1


def test_baseline_takes_existing_versions_as_seen(world: World) -> None:
    """Attaching to a registry with versions: baseline_events() starts nothing for them."""
    register_version(world)
    register_version(world, jira="MLC-1")
    assert world.center.baseline_events() == 3
    assert world.manager.run_due() == 0
    assert started(world.manager) == []


class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps every delivery."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.deliveries.append((body, dict(self.headers.items())))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mlflow"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(
        self, count: int, model: str, timeout: float = 60
    ) -> list[tuple[bytes, dict[str, str]]]:
        """The deliveries about `model`, once there are `count` (or the timeout passed)."""

        def about() -> list[tuple[bytes, dict[str, str]]]:
            return [d for d in self.deliveries if json.loads(d[0])["data"].get("name") == model]

        with self.arrived:
            self.arrived.wait_for(lambda: len(about()) >= count, timeout=timeout)
            return about()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="receiver")
def _receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_signed_webhooks_start_processes_and_polling_does_not_repeat_them(
    world: World, receiver: Receiver
) -> None:
    """MLflow's own deliveries, verified by signature; the same events polled start nothing."""
    assert world.center.supports_webhooks()
    hook = world.center.register_webhook(receiver.url, name=f"mlc-{world.prefix.strip('-')}")
    world.center.poll_interval = None  # webhooks only, until the poll below
    version = register_version(world, run_test="true")
    snapshot = f"{world.model.id}/{version}"
    world.mlflow.set_model_version_tag(world.model.id, version, "jira", "MLC-9")

    ours = receiver.wait_for(2, world.model.id)
    assert len(ours) == 2
    for body, headers in ours:
        world.center.handle_webhook(body, headers)
    assert started(world.manager) == [
        (snapshot, f"created:{snapshot}"),
        (snapshot, f"tag:{snapshot}:jira=MLC-9"),
    ]
    # Delivered again, or seen by a poll: nothing more starts.
    world.center.handle_webhook(*ours[0])
    assert world.center.poll_events() == 0
    assert len(started(world.manager)) == 2
    world.mlflow.delete_webhook(hook)


def test_webhooks_with_a_wrong_signature_or_stale_timestamp_are_refused(world: World) -> None:
    """Forged or replayed deliveries start nothing and say why."""
    body = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "data": {"name": world.model.id, "version": "1"},
        }
    ).encode()
    now = str(int(world.manager.clock.now().timestamp()))

    def signed(secret: str, stamp: str) -> dict[str, str]:
        digest = hmac.new(secret.encode(), f"d1.{stamp}.".encode() + body, hashlib.sha256).digest()
        return {
            "X-MLflow-Signature": "v1," + base64.b64encode(digest).decode(),
            "X-MLflow-Delivery-Id": "d1",
            "X-MLflow-Timestamp": stamp,
        }

    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        world.center.handle_webhook(body, signed("wrong", now))
    with pytest.raises(WebhookRejectedError, match="outside the accepted"):
        world.center.handle_webhook(body, signed(SECRET, str(int(now) - 3600)))
    with pytest.raises(WebhookRejectedError, match="malformed"):
        world.center.handle_webhook(body, {})
    assert started(world.manager) == []


def test_the_rest_app_takes_mlflows_own_deliveries_once(world: World, receiver: Receiver) -> None:
    """POST /webhook/mlflow: MLflow's signed deliveries start processes; forged, replayed refused."""
    guard = WebhookGuard(clock=world.manager.clock)
    app = create_app(world.manager, auth=StaticTokens(TOKENS), webhooks=guard)
    hook = world.center.register_webhook(receiver.url, name=f"mlc-{world.prefix.strip('-')}")
    world.center.poll_interval = None
    version = register_version(world, run_test="true")
    snapshot = f"{world.model.id}/{version}"
    ((body, headers),) = receiver.wait_for(1, world.model.id)
    world.mlflow.delete_webhook(hook)
    assert json.loads(body)["entity"] == "model_version"  # MLflow's own payload, as sent
    with TestClient(app) as client:
        forged = client.post(
            "/webhook/mlflow", content=body, headers={**headers, "X-MLflow-Signature": "v1,AA=="}
        )
        accepted = client.post("/webhook/mlflow", content=body, headers=headers)
        replayed = client.post("/webhook/mlflow", content=body, headers=headers)
    assert (forged.status_code, forged.json()["reason"]) == (401, "bad_signature")
    assert (accepted.status_code, accepted.json()) == (200, {"started": 1})
    assert (replayed.status_code, replayed.json()["reason"]) == (409, "replayed")
    assert started(world.manager) == [(snapshot, f"created:{snapshot}")]
    assert guard.counts() == {
        "mlflow.bad_signature": 1,
        "mlflow.accepted": 1,
        "mlflow.replayed": 1,
    }
