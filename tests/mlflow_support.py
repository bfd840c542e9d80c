"""A real MLflow tracking server for the MLflow suites: `mlflow server` on 127.0.0.1.

One server per test session (it takes a minute to start on a slow machine): a SQLite backend
store and a local artifact root in a temporary directory, on a free port, with registry
webhooks allowed to call back to 127.0.0.1. Tests keep apart by model name (`unique_name`)
and give their `MlflowCenter` the matching `scope`.

Without MLflow installed the suites skip, loudly; CI sets `MLC_REQUIRE_MLFLOW=1`, which makes
that a failure (`pip install -e '.[mlflow]'` to run them).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

HOW_TO_RUN = "pip install -e '.[mlflow]' (CI sets MLC_REQUIRE_MLFLOW=1)"
_START_TIMEOUT = 300.0

# The client side of every MLflow test: fail fast (our own retries are under test) and never
# phone home.
CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}


def require_mlflow() -> None:
    """Skip (or, under CI, fail) when MLflow is not installed."""
    try:
        import mlflow  # noqa: F401
    except ImportError as err:
        reason = f"MLflow is not installed ({err}): {HOW_TO_RUN}"
        if os.environ.get("MLC_REQUIRE_MLFLOW") == "1":
            pytest.fail(f"MLC_REQUIRE_MLFLOW=1: {reason}", pytrace=False)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique_name(base: str = "credit") -> str:
    """A registered-model name no other test uses."""
    return f"t{uuid.uuid4().hex[:8]}-{base}"


class MlflowServer:
    """`mlflow server` in a child process, restartable on the same port and stores."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"

    def start(self) -> None:
        env = {
            **os.environ,
            **CLIENT_ENV,
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            # No cached webhook list: a webhook a test registers gets the very next event.
            "MLFLOW_WEBHOOK_CACHE_TTL": "0",
            "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "2",
        }
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination",
            str(self.root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.uri}/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"mlflow server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session", name="mlflow_server")
def _mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    require_mlflow()
    os.environ.update(CLIENT_ENV)
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    server.start()
    yield server
    server.stop()


def client(server: MlflowServer) -> Any:
    """MLflow's own client, to look at what the center did."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.uri)
