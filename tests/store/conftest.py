"""Store fixtures: one SQLite file or one PostgreSQL schema per test.

PostgreSQL comes from `MLC_POSTGRES_DSN` (or `--mlc-postgres-dsn`, or a URL `--mlc-store`);
`scripts/start-postgres.sh` starts a private server and prints its DSN. The session creates a
database `mlc_test_<random>` there and drops it at the end; each test gets a fresh schema in
it (through `options=-csearch_path=...` in the URL, so worker processes started by a test see
the same tables). Without a server the PostgreSQL tests skip, and the terminal summary says
so in capitals with the command that runs them; `MLC_REQUIRE_POSTGRES=1` (CI) makes them fail
instead. The fault test that restarts PostgreSQL starts a server of its own
(`private_postgres`), so it never restarts a server other sessions use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store.support import (
    HOW_TO_RUN,
    PrivateServer,
    admin,
    redact,
    required,
    with_database,
    with_schema,
)


def pytest_configure(config: pytest.Config) -> None:
    """Take the server from `--mlc-postgres-dsn`, a URL `--mlc-store`, or `MLC_POSTGRES_DSN`."""
    # The modelop_mlc plugin reads the environment only with --mlc-postgres; this suite reads
    # it always, and without any DSN its tests skip (see the terminal summary below).
    if getattr(config.option, "mlc_postgres_dsn", None):
        return
    store = str(getattr(config.option, "mlc_store", "") or "")
    config.option.mlc_postgres_dsn = (
        store
        if store.startswith(("postgresql://", "postgres://"))
        else os.environ.get("MLC_POSTGRES_DSN") or None
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a PostgreSQL test without a DSN, saying how to get one; fail it in CI."""
    # Before the modelop_mlc plugin's own check, whose advice (--mlc-postgres) is about
    # running process tests on PostgreSQL, not about this suite.
    if item.get_closest_marker("mlc_postgres") and not item.config.option.mlc_postgres_dsn:
        if required():
            pytest.fail(
                f"MLC_REQUIRE_POSTGRES=1 but MLC_POSTGRES_DSN is not set: {HOW_TO_RUN}",
                pytrace=False,
            )
        pytest.skip(f"MLC_POSTGRES_DSN is not set: {HOW_TO_RUN}")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say loudly that the PostgreSQL suite did not run, and how to run it."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        if "mlc_postgres" in getattr(report, "keywords", {}):
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.write_sep(
        "=",
        f"PostgreSQL SUITE SKIPPED: {sum(reasons.values())} tests did not run",
        yellow=True,
        bold=True,
    )
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count} skipped: {reason}", yellow=True)
    terminalreporter.write_line(
        f"To run the PostgreSQL suite: {HOW_TO_RUN}. CI sets MLC_REQUIRE_POSTGRES=1, which "
        "turns these skips into failures.",
        yellow=True,
        bold=True,
    )


@pytest.fixture(name="pg_database", scope="session")
def _pg_database(pytestconfig: pytest.Config) -> Iterator[str]:
    """A fresh database for this test session (dropped at the end); its DSN."""
    dsn = str(pytestconfig.getoption("mlc_postgres_dsn", None) or "")
    if not dsn:  # `pytest_runtest_setup` has skipped (or failed) the test already
        pytest.skip(f"MLC_POSTGRES_DSN is not set: {HOW_TO_RUN}")
    try:
        with admin(dsn):
            pass
    except Exception as err:
        reason = (
            f"PostgreSQL tests need a server: none reachable at {redact(dsn)} "
            f"({str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}); "
            f"start one: {HOW_TO_RUN}"
        )
        if required():
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
    # A server that was just restarted (by hand, or by a fault test that shares it) may still
    # refuse connections for a few seconds.
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


@pytest.fixture(name="private_postgres")
def _private_postgres() -> Iterator[PrivateServer]:
    """A fresh PostgreSQL server for this test alone, stopped and deleted afterwards."""
    # Not under tmp_path: pytest's temp directories are private to root, and the server runs
    # as the postgres user when the tests run as root.
    directory = Path(tempfile.mkdtemp(prefix="mlc-pg-test-"))
    server = PrivateServer(directory)
    try:
        server.start()
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        shutil.rmtree(directory, ignore_errors=True)
        if required():
            pytest.fail(f"MLC_REQUIRE_POSTGRES=1: cannot start a private server: {err}")
        pytest.skip(f"this test starts a PostgreSQL server of its own and could not: {err}")
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
