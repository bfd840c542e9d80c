"""A missing extra is one `ConfigurationError` line naming it, when the part is built.

Each test runs where the extra's packages cannot be imported (see `without_modules`).
"""

from __future__ import annotations

from pathlib import Path

from without_modules import MLC, run_without

BUILD = """
import sys
from modelop_mlc.errors import ConfigurationError
try:
    {build}
except ConfigurationError as err:
    print(err)
else:
    print("built")
"""


def build_without(modules: list[str], build: str) -> str:
    """What building `build` says where `modules` are missing."""
    done = run_without(modules, BUILD.format(build=build))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_demo_without_pandas_is_refused_naming_models(tmp_path: Path) -> None:
    """`mlc demo` without pandas says `[models]` in one line, before creating anything."""
    done = run_without(["pandas"], MLC, "demo", "--dir", str(tmp_path / "demo"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "mlc demo: the demo needs pandas, from the [models] extra: "
        "pip install 'modelop-mlc[models]'\n"
    )
    assert not (tmp_path / "demo").exists()


def test_demo_without_numpy_and_pandas_names_both(tmp_path: Path) -> None:
    """Every missing package of the extra is named."""
    done = run_without(["pandas", "numpy"], MLC, "demo", "--dir", str(tmp_path))
    assert "needs pandas and numpy, from the [models] extra" in done.stderr


def test_serve_without_starlette_is_refused_naming_rest(tmp_path: Path) -> None:
    """`mlc serve` without Starlette is one line naming `[rest]`, not an ImportError trace."""
    done = run_without(["starlette"], MLC, "--db", str(tmp_path / "mlc.db"), "serve", "--anonymous")
    assert done.returncode == 1
    assert done.stderr == (
        "mlc serve: the REST API needs starlette, from the [rest] extra: "
        "pip install 'modelop-mlc[rest]'\n"
    )


def test_jira_tickets_without_jira_are_refused_when_built() -> None:
    """`JiraTickets(...)` raises at construction, not at the first ticket."""
    said = build_without(
        ["jira"],
        "from modelop_mlc.tickets import JiraConfig, JiraTickets\n"
        "    JiraTickets(JiraConfig(url='https://jira.example.com', project='MLC', "
        "api_token='t'))",
    )
    assert said == (
        "JiraTickets needs jira, from the [jira] extra: pip install 'modelop-mlc[jira]'"
    )


def test_servicenow_tickets_without_pysnow_are_refused_when_built() -> None:
    """`ServiceNowTickets(...)` raises at construction."""
    said = build_without(
        ["pysnow"],
        "from modelop_mlc.tickets import ServiceNowConfig, ServiceNowTickets\n"
        "    ServiceNowTickets(ServiceNowConfig(url='https://sn.example.com', "
        "username='u', password='p'))",
    )
    assert said == (
        "ServiceNowTickets needs pysnow, from the [servicenow] extra: "
        "pip install 'modelop-mlc[servicenow]'"
    )


def test_postgresql_without_psycopg_is_refused_when_opened() -> None:
    """Opening a PostgreSQL URL without psycopg names `[postgres]`."""
    said = build_without(
        ["psycopg"],
        "from modelop_mlc import LifecycleManager\n"
        "    LifecycleManager.open('postgresql://mlc@127.0.0.1:1/mlc')",
    )
    assert said == (
        "a PostgreSQL database needs psycopg, from the [postgres] extra: "
        "pip install 'modelop-mlc[postgres]'"
    )


def test_the_cli_on_postgresql_without_psycopg_is_one_line() -> None:
    """`mlc --db postgresql://...` without psycopg prints the same line and exits 1."""
    done = run_without(["psycopg"], MLC, "--db", "postgresql://mlc@127.0.0.1:1/mlc", "instances")
    assert (done.returncode, done.stderr.count("\n")) == (1, 1)
    assert "[postgres]" in done.stderr


def test_with_the_packages_the_parts_are_built() -> None:
    """The check itself passes where the packages are installed (this environment)."""
    said = build_without(
        [],
        "from modelop_mlc.tickets import JiraConfig, JiraTickets\n"
        "    JiraTickets(JiraConfig(url='https://jira.example.com', project='MLC', "
        "api_token='t'))",
    )
    assert said == "built"


def test_demo_without_the_scanners_skips_productionization(tmp_path: Path) -> None:
    """Without `[security]` the demo still runs, and says which step it left out and why."""
    done = run_without(["bandit"], MLC, "demo", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "   skipped: the security scan needs bandit, from the [security] extra: "
        "pip install 'modelop-mlc[security]'"
    ) in done.stdout.splitlines()
    assert "Look around:" in done.stdout
