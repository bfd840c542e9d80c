"""The `modelop_mlc` pytest plugin (registered through the `pytest11` entry point).

Fixtures (all named `mlc_*`): `mlc_clock`, `mlc_manager`, `mlc_manager_options`, `mlc_center`,
`mlc_tickets`, `mlc_deploy`, `mlc_harness`, `mlc_jira`, `mlc_servicenow` (aliases
`mlc_fake_jira`, `mlc_fake_servicenow`), `mlc_postgres_dsn` and `mlc_coverage`. Options:
`--mlc-store`, `--mlc-postgres`, `--mlc-postgres-dsn`, `--mlc-coverage[=DIR]`,
`--mlc-coverage-dir`, `--mlc-coverage-include` and `--mlc-coverage-fail-under`. Marker:
`mlc_postgres`.

It must stay cheap to import: it loads in every pytest session where the package is installed.
So it opens nothing, reads the environment only when `--mlc-postgres` asks it to, and imports
the library only inside fixtures and hooks that need it.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

import pytest

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from modelop_mlc import Deployment, LifecycleManager, ManualClock
    from modelop_mlc.manager import Source
    from modelop_mlc.ports import ModelOpCenter
    from modelop_mlc.testing._coverage import CoverageCollector
    from modelop_mlc.testing._harness import ProcessHarness
    from modelop_mlc.testing._options import DeployOptions, ManagerOptions
    from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow
    from modelop_mlc.tickets import Tickets

__all__ = [
    "mlc_center",
    "mlc_clock",
    "mlc_coverage",
    "mlc_deploy",
    "mlc_fake_jira",
    "mlc_fake_servicenow",
    "mlc_harness",
    "mlc_jira",
    "mlc_manager",
    "mlc_manager_options",
    "mlc_postgres_dsn",
    "mlc_servicenow",
    "mlc_tickets",
]

_COLLECTOR = pytest.StashKey["CoverageCollector"]()
_REPORT = pytest.StashKey[Path]()
_SHORTFALL = pytest.StashKey[tuple[float, float]]()


# ---------------------------------------------------------------------- options and hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the `--mlc-*` options."""
    group = parser.getgroup("mlc", "modelop_mlc: testing MLC processes")
    group.addoption(
        "--mlc-store",
        default="sqlite",
        metavar="STORE",
        help="where mlc_manager keeps its data: 'sqlite' (default: a fresh file per test), "
        "'postgres' (the database of --mlc-postgres-dsn or MLC_POSTGRES_DSN) or a "
        "postgresql://user:password@host/db URL; PostgreSQL gives each test a fresh schema",
    )
    group.addoption(
        "--mlc-postgres",
        action="store_true",
        default=False,
        help="same as --mlc-store=postgres: PostgreSQL from --mlc-postgres-dsn, else from the "
        "MLC_POSTGRES_DSN environment variable",
    )
    group.addoption(
        "--mlc-postgres-dsn",
        default=None,
        metavar="DSN",
        help="PostgreSQL for --mlc-store=postgres and tests marked mlc_postgres, e.g. "
        "postgresql://user:password@localhost/mlc_test",
    )
    group.addoption(
        "--mlc-coverage",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="write an HTML process coverage report per diagram to DIR (written as "
        "--mlc-coverage=DIR; without DIR: --mlc-coverage-dir). Off by default",
    )
    group.addoption(
        "--mlc-coverage-dir",
        default="build/mlc-coverage",
        metavar="DIR",
        help="where a bare --mlc-coverage writes its report (default: build/mlc-coverage, "
        "relative to the rootdir)",
    )
    group.addoption(
        "--mlc-coverage-include",
        action="append",
        default=[],
        metavar="GLOB",
        help="count only diagrams whose file name or process key matches GLOB (repeatable); "
        "by default every diagram deployed from a file, not those deployed as XML text "
        "('*' counts those too)",
    )
    group.addoption(
        "--mlc-coverage-fail-under",
        type=float,
        default=None,
        metavar="PERCENT",
        help="fail the session when the total process coverage is below PERCENT",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the `mlc_postgres` marker and check the store options.

    It runs after the project's own `pytest_configure` hooks, so a `conftest.py` may still
    fill in `config.option.mlc_postgres_dsn`.
    """
    config.addinivalue_line(
        "markers",
        "mlc_postgres: needs PostgreSQL (--mlc-postgres-dsn, or MLC_POSTGRES_DSN with "
        "--mlc-postgres); skipped with a reason without it",
    )
    store = config.getoption("mlc_store")
    if store not in {"sqlite", "postgres"} and not store.startswith(_POSTGRES_SCHEMES):
        raise pytest.UsageError(
            f"--mlc-store={store} is not understood; use sqlite, postgres or a "
            "postgresql://user:password@host/db URL"
        )
    if _wants_postgres(config) and not _postgres_dsn(config):
        raise pytest.UsageError(
            "--mlc-store=postgres and --mlc-postgres need a database: pass "
            "--mlc-postgres-dsn=postgresql://user:password@host/db or set MLC_POSTGRES_DSN"
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip tests marked `mlc_postgres` when no PostgreSQL DSN was given."""
    if item.get_closest_marker("mlc_postgres") and not _postgres_dsn(item.config):
        pytest.skip(_NO_POSTGRES)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the coverage report and apply `--mlc-coverage-fail-under`."""
    config = session.config
    collector = config.stash.get(_COLLECTOR, None)
    target = config.getoption("mlc_coverage")
    if target is not None:
        if collector is None:
            collector = _collector(config)
        folder = Path(target or config.getoption("mlc_coverage_dir"))
        if not folder.is_absolute():
            folder = config.rootpath / folder
        from modelop_mlc.testing._render import write_html  # noqa: PLC0415 - lazy

        config.stash[_REPORT] = write_html(collector, folder)
    threshold = config.getoption("mlc_coverage_fail_under")
    percent = collector.percent() if collector is not None else None
    if threshold is not None and percent is not None and percent < threshold:
        config.stash[_SHORTFALL] = (percent, threshold)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the process coverage table (and where the report went)."""
    collector = config.stash.get(_COLLECTOR, None)
    threshold = config.getoption("mlc_coverage_fail_under")
    if collector is None or not collector.diagrams():
        if threshold is not None:
            terminalreporter.write_line(
                "MLC process coverage: no diagram was deployed through mlc_manager; "
                "--mlc-coverage-fail-under was not checked"
            )
        return
    terminalreporter.write_sep("-", "MLC process coverage")
    for line in collector.summary_lines():
        terminalreporter.write_line(line)
    report = config.stash.get(_REPORT, None)
    if report is not None:
        terminalreporter.write_line(f"MLC process coverage report: {report}")
    shortfall = config.stash.get(_SHORTFALL, None)
    if shortfall is not None:
        terminalreporter.write_line(
            f"FAIL Required MLC process coverage of {shortfall[1]:g}% not reached. "
            f"Total coverage: {shortfall[0]:.1f}%",
            red=True,
            bold=True,
        )
    elif threshold is not None:
        terminalreporter.write_line(
            f"Required MLC process coverage of {threshold:g}% reached.", green=True
        )


def _collector(config: pytest.Config) -> CoverageCollector:
    collector = config.stash.get(_COLLECTOR, None)
    if collector is None:
        from modelop_mlc.testing._coverage import CoverageCollector  # noqa: PLC0415 - lazy

        include = config.getoption("mlc_coverage_include")
        # Without globs, the report is about the user's diagram files, not test-built XML.
        collector = config.stash[_COLLECTOR] = CoverageCollector(
            include=include, files_only=not include
        )
    return collector


# ---------------------------------------------------------------------- fixtures


@pytest.fixture
def mlc_clock() -> ManualClock:
    """A `ManualClock` at 2026-01-01T00:00Z; it moves only when a test moves it."""
    from modelop_mlc import ManualClock  # noqa: PLC0415 - keeps the plugin cheap to import

    return ManualClock()


@pytest.fixture
def mlc_manager_options() -> ManagerOptions:
    """Extra keyword arguments for `mlc_manager` (`config`, `tickets`, `center`, `registry`...).

    Override it in a `conftest.py` to configure every test's manager.
    """
    return {}


@pytest.fixture
def mlc_manager(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    mlc_clock: ManualClock,
    mlc_manager_options: ManagerOptions,
) -> Iterator[LifecycleManager]:
    """A `LifecycleManager` on a fresh database, with `mlc_clock`.

    SQLite: a new file under `tmp_path`. PostgreSQL (`--mlc-store=postgres` or a
    `postgresql://` URL, `--mlc-postgres`, or tests marked `mlc_postgres`): a new schema in
    that database, dropped afterwards.
    Its ticket systems (`mlc_manager.tickets`) include the embedded board in the same
    database. When the test ends, what its instances covered is added to the process
    coverage.
    """
    from modelop_mlc.testing._assertions import bound_manager  # noqa: PLC0415 - lazy

    options: ManagerOptions = {"clock": mlc_clock, **mlc_manager_options}
    dsn = _postgres_dsn(request.config)
    if _wants_postgres(request.config) or request.node.get_closest_marker("mlc_postgres"):
        if not dsn:
            pytest.skip(_NO_POSTGRES)
        opened = _postgres_manager(dsn, options)
    else:
        opened = _sqlite_manager(tmp_path / "mlc.db", options)
    with opened as manager, bound_manager(manager):
        yield manager
        _collector(request.config).record(manager, test_id=request.node.nodeid)


@pytest.fixture
def mlc_center(mlc_manager: LifecycleManager) -> ModelOpCenter:
    """The manager's ModelOp Center (a `LocalCenter` in the manager's database)."""
    return mlc_manager.center


@pytest.fixture
def mlc_tickets(mlc_manager: LifecycleManager) -> Tickets:
    """The manager's ticket systems (`mlc_manager.tickets`, a `modelop_mlc.tickets.Tickets`).

    Its embedded board (`.local`, a `LocalTickets`) lives in the manager's database; Jira and
    ServiceNow are there when `mlc_manager_options` passes `tickets=` configuring them.
    """
    return mlc_manager.tickets


@pytest.fixture
def mlc_deploy(
    request: pytest.FixtureRequest, mlc_manager: LifecycleManager
) -> Callable[..., Deployment]:
    """Deploy files by name: next to the test file, in the project's `bpmn/`, or packaged.

    Call it as `mlc_deploy("review.bpmn", name=...)`; XML text and `(name, content)` pairs
    pass through. Returns the `Deployment`.
    """
    from modelop_mlc.testing._harness import resolve_sources  # noqa: PLC0415 - lazy

    folders = _diagram_dirs(request)

    def deploy(*sources: Source | Traversable, **options: Unpack[DeployOptions]) -> Deployment:
        return mlc_manager.deploy(*resolve_sources(sources, folders), **options)

    return deploy


@pytest.fixture
def mlc_harness(
    request: pytest.FixtureRequest, mlc_manager: LifecycleManager
) -> Iterator[ProcessHarness]:
    """A `ProcessHarness` on `mlc_manager` and its clock; its scenarios close with the test."""
    from modelop_mlc.testing._harness import ProcessHarness  # noqa: PLC0415 - lazy

    with ProcessHarness(mlc_manager, diagram_dirs=_diagram_dirs(request)) as harness:
        yield harness


@pytest.fixture
def mlc_jira(mlc_clock: ManualClock) -> Iterator[FakeJira]:
    """A running `FakeJira` on 127.0.0.1 whose timestamps follow `mlc_clock`; stopped after."""
    from modelop_mlc.testing.fakes import FakeJira  # noqa: PLC0415 - lazy

    with FakeJira(clock=mlc_clock.now) as fake:
        yield fake


@pytest.fixture
def mlc_servicenow(mlc_clock: ManualClock) -> Iterator[FakeServiceNow]:
    """A running `FakeServiceNow` on 127.0.0.1 whose timestamps follow `mlc_clock`."""
    from modelop_mlc.testing.fakes import FakeServiceNow  # noqa: PLC0415 - lazy

    with FakeServiceNow(clock=mlc_clock.now) as fake:
        yield fake


@pytest.fixture
def mlc_fake_jira(mlc_jira: FakeJira) -> FakeJira:
    """The same server as `mlc_jira` (an alias)."""
    return mlc_jira


@pytest.fixture
def mlc_fake_servicenow(mlc_servicenow: FakeServiceNow) -> FakeServiceNow:
    """The same server as `mlc_servicenow` (an alias)."""
    return mlc_servicenow


@pytest.fixture(scope="session")
def mlc_postgres_dsn(pytestconfig: pytest.Config) -> str:
    """The PostgreSQL DSN the options name; the test is skipped, with the reason, without one."""
    dsn = _postgres_dsn(pytestconfig)
    if not dsn:
        pytest.skip(_NO_POSTGRES)
    return dsn


@pytest.fixture
def mlc_coverage(pytestconfig: pytest.Config) -> CoverageCollector:
    """The session's process coverage; `record(manager)` adds a manager of your own."""
    return _collector(pytestconfig)


# ---------------------------------------------------------------------- helpers

_NO_POSTGRES = (
    "needs PostgreSQL: run pytest with --mlc-postgres-dsn=postgresql://user:password@host/db "
    "(or set MLC_POSTGRES_DSN and pass --mlc-postgres)"
)
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_DSN_VARIABLE = "MLC_POSTGRES_DSN"


def _wants_postgres(config: pytest.Config) -> bool:
    """Whether every test's manager uses PostgreSQL (`--mlc-store`, `--mlc-postgres`)."""
    store: str = config.getoption("mlc_store")
    if config.getoption("mlc_postgres") or store == "postgres":
        return True
    return store.startswith(_POSTGRES_SCHEMES)


def _postgres_dsn(config: pytest.Config) -> str | None:
    """The DSN: a URL `--mlc-store`, else `--mlc-postgres-dsn`, else `MLC_POSTGRES_DSN`.

    The environment is read only when `--mlc-postgres` or `--mlc-store=postgres` asks for
    PostgreSQL, so a stray variable never moves a session off SQLite.
    """
    store: str = config.getoption("mlc_store")
    if store.startswith(_POSTGRES_SCHEMES):
        return store
    dsn: str | None = config.getoption("mlc_postgres_dsn")
    if dsn:
        return dsn
    if _wants_postgres(config):
        return os.environ.get(_DSN_VARIABLE) or None
    return None


def _diagram_dirs(request: pytest.FixtureRequest) -> list[Path]:
    return [Path(request.path).parent, request.config.rootpath / "bpmn"]


@contextmanager
def _sqlite_manager(path: Path, options: ManagerOptions) -> Iterator[LifecycleManager]:
    from modelop_mlc import LifecycleManager  # noqa: PLC0415 - lazy

    manager = LifecycleManager.open(path, **options)
    try:
        yield manager
    finally:
        manager.close()


@contextmanager
def _postgres_manager(dsn: str, options: ManagerOptions) -> Iterator[LifecycleManager]:
    """A manager in a new schema of `dsn`'s database; the schema is dropped afterwards."""
    try:
        import psycopg  # noqa: PLC0415 - optional extra
        from psycopg import conninfo  # noqa: PLC0415 - optional extra
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg: pip install 'modelop-mlc[postgres]'")
    from modelop_mlc import LifecycleManager  # noqa: PLC0415 - lazy
    from modelop_mlc.store.postgres import PostgresStore  # noqa: PLC0415 - optional extra

    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.Error as err:
        pytest.skip(f"PostgreSQL at {_redact(dsn)} is unreachable: {_redact(str(err))}")
    # A schema per test keeps tests apart even when several run against one database at once.
    schema = f"mlc_test_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            given = conninfo.conninfo_to_dict(dsn).get("options") or ""
            url = conninfo.make_conninfo(dsn, options=f"{given} -c search_path={schema}".strip())
            manager = LifecycleManager(PostgresStore(url), **options)
            try:
                yield manager
            finally:
                manager.close()
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _redact(text: str) -> str:
    text = re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", text)
    return re.sub(r"(password=)\S+", r"\1***", text)
