"""Helpers for the PostgreSQL tests: DSNs, admin connections and a private server."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

try:
    # Imported once, at collection: pytester's in-process runs (tests/testing) restore
    # sys.modules afterwards, and a second import of psycopg makes its error classes differ.
    import psycopg
except ImportError:  # the `postgres` extra is not installed: the PostgreSQL tests skip
    psycopg = None  # type: ignore[assignment]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-postgres.sh"
HOW_TO_RUN = (
    "export MLC_POSTGRES_DSN=$(scripts/start-postgres.sh | tail -n 1), then run pytest again"
)


def required() -> bool:
    """Whether PostgreSQL tests must fail instead of skipping (CI)."""
    return os.environ.get("MLC_REQUIRE_POSTGRES") == "1"


def redact(dsn: str) -> str:
    """The DSN without its password."""
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", dsn)


def with_database(dsn: str, database: str) -> str:
    """The DSN with another database name (keeps user, password, host and query)."""
    head, sep, query = dsn.partition("?")
    base = head.rsplit("/", 1)[0] if head.count("/") > 2 else head
    return f"{base}/{database}{sep}{query}"


def with_schema(dsn: str, schema: str) -> str:
    """The DSN with `search_path` set to one schema."""
    option = "options=" + quote(f"-csearch_path={schema}")
    return f"{dsn}{'&' if '?' in dsn else '?'}{option}"


def admin(dsn: str) -> Any:
    """An autocommit psycopg connection for setup and checks."""
    if psycopg is None:
        raise RuntimeError("psycopg is not installed: pip install 'modelop-mlc[postgres]'")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


class PrivateServer:
    """A PostgreSQL server of one test's own: `scripts/start-postgres.sh` in a temp directory.

    The fault test that restarts PostgreSQL uses it, so that it never restarts a server that
    other tests or other sessions on the machine are using.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.dsn = ""

    def _script(self, command: str) -> str:
        env = {**os.environ, "MLC_POSTGRES_DIR": str(self.directory)}
        env.pop("MLC_POSTGRES_PORT", None)  # the first free port, never the shared server's
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"scripts/start-postgres.sh {command}: {done.stderr.strip()[-1500:]}"
            )
        lines = done.stdout.strip().splitlines()
        return lines[-1] if lines else ""

    def start(self) -> str:
        """Create and start the server; return its DSN."""
        self.dsn = self._script("start")
        return self.dsn

    def restart(self) -> None:
        """Restart it (`pg_ctl restart -m fast`: every connection is dropped)."""
        self._script("restart")

    def stop(self) -> None:
        """Stop it."""
        self._script("stop")
