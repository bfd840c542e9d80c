"""Store fixtures: one SQLite file or one PostgreSQL schema per test.

PostgreSQL comes from `MLC_POSTGRES_DSN` (default
`postgresql://postgres:postgres@127.0.0.1:5432/postgres`; `scripts/start-postgres.sh` starts
one). The session creates a database `mlc_test_<random>` there and drops it at the end; each
test gets a fresh schema in it (through `options=-csearch_path=...` in the URL, so worker
processes started by a test see the same tables). Without a server the PostgreSQL tests skip
with the reason, unless `MLC_REQUIRE_POSTGRES=1` (CI) makes them fail instead.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

try:
    # Imported once, at collection: pytester's in-process runs (tests/testing) restore
    # sys.modules afterwards, and a second import of psycopg makes its error classes differ.
    import psycopg
except ImportError:  # the `postgres` extra is not installed: the PostgreSQL tests skip
    psycopg = None

DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"


def pytest_configure(config: pytest.Config) -> None:
    """Take the server from `--mlc-postgres-dsn`, a URL `--mlc-store`, or `MLC_POSTGRES_DSN`."""
    # The modelop_mlc plugin skips `mlc_postgres` tests when the option is empty. This suite
    # decides for itself in `pg_database`: skip when no server answers, fail in CI.
    if getattr(config.option, "mlc_postgres_dsn", None):
        return
    store = str(getattr(config.option, "mlc_store", "") or "")
    config.option.mlc_postgres_dsn = (
        store
        if store.startswith(("postgresql://", "postgres://"))
        else os.environ.get("MLC_POSTGRES_DSN", DEFAULT_DSN)
    )


def _redact(dsn: str) -> str:
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


@pytest.fixture(name="pg_database", scope="session")
def _pg_database(pytestconfig: pytest.Config) -> Iterator[str]:
    """A fresh database for this test session (dropped at the end); its DSN."""
    dsn = str(pytestconfig.getoption("mlc_postgres_dsn", None) or DEFAULT_DSN)
    required = os.environ.get("MLC_REQUIRE_POSTGRES") == "1"
    try:
        with admin(dsn):
            pass
    except Exception as err:
        reason = (
            f"PostgreSQL tests need a server: none reachable at {_redact(dsn)} "
            f"({str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}); "
            "run scripts/start-postgres.sh or set MLC_POSTGRES_DSN"
        )
        if required:
            pytest.fail(f"MLC_REQUIRE_POSTGRES=1: {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"mlc_test_{uuid.uuid4().hex[:12]}"
    with admin(dsn) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(dsn, name)
    finally:
        _drop_database(dsn, name)


def _drop_database(dsn: str, name: str) -> None:
    # A fault test restarts PostgreSQL; give a server that is still starting a few seconds.
    pause = threading.Event()
    for attempt in range(20):
        try:
            with admin(dsn) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception:
            if attempt == 19:
                raise
            pause.wait(0.5)
        else:
            return


@pytest.fixture(name="pg_url")
def _pg_url(pg_database: str) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema of the session database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin(pg_database) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield with_schema(pg_database, schema)
    with admin(pg_database) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(name="pg_connect")
def _pg_connect(pg_url: str) -> Any:
    """Open an autocommit psycopg connection to the test's schema (the caller closes it)."""
    return lambda: admin(pg_url)


@pytest.fixture(
    name="store_url",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.mlc_postgres)],
)
def _store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "mlc.db")
    return str(request.getfixturevalue("pg_url"))
