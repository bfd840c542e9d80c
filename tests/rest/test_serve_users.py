"""`mlc serve` with users from `MLC_API_USERS` and the token endpoint, as a real subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

SECRET = "s" * 40
USERS = {"ann": {"password": "ann-password", "groups": ["approvers"]}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`mlc serve` on a free port with a users file and a token secret; its REST base URL."""
    users = tmp_path / "users.json"
    users.write_text(json.dumps(USERS), encoding="utf-8")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLC_API_")},
        "MLC_API_USERS": str(users),
        "MLC_API_TOKEN_SECRET": SECRET,
    }
    command = [sys.executable, "-m", "modelop_mlc.cli", "--db", str(tmp_path / "mlc.db")]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Uvicorn running" in line:  # logged once the socket listens
                ready.set()
        ready.set()  # the process ended: stop waiting

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "mlc serve did not start"
        assert process.poll() is None, "".join(lines)
        yield f"http://127.0.0.1:{port}/engine-rest"
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def test_users_log_in_with_basic_auth_and_at_the_token_endpoint(served: str) -> None:
    """A user from the file gets in with Basic auth and with a token from /gocli/token."""
    assert requests.get(f"{served}/process-definition", timeout=10).status_code == 401
    basic = requests.get(f"{served}/process-definition", auth=("ann", "ann-password"), timeout=10)
    assert (basic.status_code, basic.json()) == (200, [])
    wrong = requests.get(f"{served}/task/count", auth=("ann", "nope"), timeout=10)
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "AuthenticationException"

    answer = requests.post(
        f"{served}/gocli/token", data={"username": "ann", "password": "ann-password"}, timeout=10
    )
    assert answer.status_code == 200
    token = answer.json()
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] > 0
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    counted = requests.get(f"{served}/task/count", headers=bearer, timeout=10)
    assert (counted.status_code, counted.json()) == (200, {"count": 0})


def test_users_without_a_token_secret_are_refused(tmp_path: Path) -> None:
    """`MLC_API_USERS` alone stops `mlc serve` with a message naming what to set."""
    users = tmp_path / "users.json"
    users.write_text(json.dumps(USERS), encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLC_API_")},
        "MLC_API_USERS": str(users),
    }
    database = str(tmp_path / "mlc.db")
    done = subprocess.run(
        [sys.executable, "-m", "modelop_mlc.cli", "--db", database, "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "MLC_API_USERS needs MLC_API_TOKEN_SECRET" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
