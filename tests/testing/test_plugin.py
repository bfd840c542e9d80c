"""The pytest plugin in fresh projects (pytester): fixtures, options and reports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
import requests

from modelop_mlc import LifecycleManager
from modelop_mlc.testing.fakes import FakeJira, FakeServiceNow

pytest_plugins = ["pytester"]

APPROVAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="approval" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="approve" name="Approve"/>
    <bpmn:exclusiveGateway id="ok" default="yes"/>
    <bpmn:endEvent id="accepted"/>
    <bpmn:endEvent id="refused"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="ok"/>
    <bpmn:sequenceFlow id="yes" sourceRef="ok" targetRef="accepted"/>
    <bpmn:sequenceFlow id="no" sourceRef="ok" targetRef="refused">
      <bpmn:conditionExpression>${!approved}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="approval">
    <bpmndi:BPMNShape id="s1" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="approve"><dc:Bounds x="180" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="ok"><dc:Bounds x="330" y="93" width="50" height="50"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s4" bpmnElement="accepted"><dc:Bounds x="430" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s5" bpmnElement="refused"><dc:Bounds x="430" y="200" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="180" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2"><di:waypoint x="280" y="118"/><di:waypoint x="330" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e3" bpmnElement="yes"><di:waypoint x="380" y="118"/><di:waypoint x="430" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e4" bpmnElement="no"><di:waypoint x="355" y="143"/><di:waypoint x="355" y="218"/><di:waypoint x="430" y="218"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

# A host project's test file: no conftest, only the installed plugin's fixtures.
HOST_TESTS = """
from datetime import timedelta

from modelop_mlc.testing import assert_that


def test_approval(mlc_manager, mlc_clock, mlc_deploy):
    deployment = mlc_deploy("approval.bpmn")
    assert [d.key for d in deployment.definitions] == ["approval"]
    instance = mlc_manager.start("approval")
    assert_that(instance).is_waiting_at("approve")
    mlc_clock.advance(timedelta(days=1))
    (task,) = mlc_manager.tasks(instance_id=instance.id)
    mlc_manager.complete_task(task.id, {"approved": True})
    assert_that(instance).is_completed().has_passed("accepted")
    assert mlc_manager.instance(instance.id).ended_at == mlc_clock.now()
"""


@pytest.fixture(name="host")
def _host(pytester: pytest.Pytester) -> pytest.Pytester:
    """A fresh project with one diagram and one test file."""
    pytester.makefile(".bpmn", approval=APPROVAL)
    pytester.makepyfile(test_host=HOST_TESTS)
    return pytester


def test_plugin_runs_a_host_projects_tests(host: pytest.Pytester) -> None:
    """Named with -p or auto-loaded from the entry point, the fixtures are there."""
    host.runpytest("-p", "modelop_mlc").assert_outcomes(passed=1)
    host.runpytest().assert_outcomes(passed=1)


def test_plugin_can_be_switched_off(host: pytest.Pytester) -> None:
    """`-p no:modelop_mlc` removes the fixtures."""
    result = host.runpytest("-p", "no:modelop_mlc")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'mlc_manager' not found*"])


def test_plugin_loads_by_name_without_autoload(
    host: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With plugin autoloading off, only `-p modelop_mlc` brings the fixtures."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    host.runpytest("-p", "modelop_mlc").assert_outcomes(passed=1)
    host.runpytest().assert_outcomes(errors=1)


def test_plugin_runs_in_a_fresh_interpreter(host: pytest.Pytester) -> None:
    """A separate pytest process finds the plugin through the installed entry point."""
    result = host.runpytest_subprocess("-p", "modelop_mlc")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MLC process coverage*", "approval (approval.bpmn)*"])


def test_failing_assertion_names_where_the_instance_waits(pytester: pytest.Pytester) -> None:
    """pytest's report shows the actual waits, the status and the path."""
    pytester.makefile(".bpmn", approval=APPROVAL)
    pytester.makepyfile(
        test_wrong="""
        from modelop_mlc.testing import assert_that

        def test_wrong_wait(mlc_manager, mlc_deploy):
            mlc_deploy("approval.bpmn")
            instance = mlc_manager.start("approval")
            assert_that(instance).is_waiting_at("accepted")
        """
    )
    result = pytester.runpytest("-p", "modelop_mlc")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "to be waiting at 'accepted', but it waits at ['approve'] (status running)" in output
    assert "path:       start → approve" in output


def test_coverage_table_and_html_report(host: pytest.Pytester) -> None:
    """The terminal shows the table; --mlc-coverage writes the highlighted SVG report."""
    result = host.runpytest("-p", "modelop_mlc", "--mlc-coverage", "--mlc-coverage-dir=cov")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- MLC process coverage -*",
            "Diagram*Nodes*Flows*Cover",
            "approval (approval.bpmn)*4/5*3/4*77.8%",
            "TOTAL*4/5*3/4*77.8%",
            f"MLC process coverage report: {host.path / 'cov' / 'index.html'}",
        ]
    )
    (page,) = (host.path / "cov").glob("approval-*.html")
    html = page.read_text()
    assert 'class="mlc-element covered" data-element-id="approve"' in html
    assert 'class="mlc-element uncovered" data-element-id="refused"' in html
    assert 'class="mlc-flow uncovered" data-element-id="no"' in html
    assert "Not covered (2)" in html
    assert (host.path / "cov" / "coverage.json").is_file()


def test_coverage_dir_given_with_the_option(host: pytest.Pytester) -> None:
    """`--mlc-coverage=DIR` writes the report there; without the option nothing is written."""
    host.runpytest("-p", "modelop_mlc").assert_outcomes(passed=1)
    assert not (host.path / "build").exists()
    result = host.runpytest("-p", "modelop_mlc", "--mlc-coverage=reports/mlc")
    result.assert_outcomes(passed=1)
    index = host.path / "reports" / "mlc" / "index.html"
    result.stdout.fnmatch_lines([f"MLC process coverage report: {index}"])
    assert "approval (approval.bpmn)" in index.read_text()


def test_coverage_include_leaves_out_other_diagrams(pytester: pytest.Pytester) -> None:
    """`--mlc-coverage-include` counts only the diagrams whose file name or key matches."""
    pytester.makefile(".bpmn", approval=APPROVAL)
    pytester.makepyfile(
        test_two=HOST_TESTS
        + f"""

INLINE = {APPROVAL.replace('"approval"', '"inline"')!r}


def test_inline(mlc_manager):
    mlc_manager.deploy(INLINE)
    mlc_manager.start("inline")
"""
    )
    # By default the table is about the diagram files: XML built in a test is left out.
    files = pytester.runpytest("-p", "modelop_mlc")
    files.assert_outcomes(passed=2)
    files.stdout.fnmatch_lines(["approval (approval.bpmn)*", "TOTAL*4/5*3/4*77.8%"])
    assert "<string>" not in files.stdout.str()
    everything = pytester.runpytest("-p", "modelop_mlc", "--mlc-coverage-include=*")
    everything.stdout.fnmatch_lines(["approval (approval.bpmn)*", "inline (<string>)*"])
    only_files = pytester.runpytest("-p", "modelop_mlc", "--mlc-coverage-include=*.bpmn")
    only_files.stdout.fnmatch_lines(["approval (approval.bpmn)*", "TOTAL*4/5*3/4*77.8%"])
    assert "inline (<string>)" not in only_files.stdout.str()
    by_key = pytester.runpytest("-p", "modelop_mlc", "--mlc-coverage-include=inl*")
    by_key.stdout.fnmatch_lines(["inline (<string>)*", "TOTAL*2/5*1/4*33.3%"])


def test_coverage_fail_under(host: pytest.Pytester) -> None:
    """Below the threshold the session fails; at or above it passes."""
    failing = host.runpytest("-p", "modelop_mlc", "--mlc-coverage-fail-under=90")
    assert failing.ret == pytest.ExitCode.TESTS_FAILED
    failing.assert_outcomes(passed=1)
    failing.stdout.fnmatch_lines(
        ["*FAIL Required MLC process coverage of 90% not reached. Total coverage: 77.8%*"]
    )
    passing = host.runpytest("-p", "modelop_mlc", "--mlc-coverage-fail-under=75")
    assert passing.ret == pytest.ExitCode.OK
    passing.stdout.fnmatch_lines(["*Required MLC process coverage of 75% reached.*"])


def test_fail_under_without_diagrams_is_not_checked(pytester: pytest.Pytester) -> None:
    """A session that deployed nothing says so instead of failing."""
    pytester.makepyfile(test_plain="def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "modelop_mlc", "--mlc-coverage-fail-under=90")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*no diagram was deployed through mlc_manager*"])
    assert "- MLC process coverage -" not in result.stdout.str()


def test_options_and_marker_are_registered(pytester: pytest.Pytester) -> None:
    """`--help` lists the options and `--markers` the mlc_postgres marker."""
    help_text = pytester.runpytest("-p", "modelop_mlc", "--help").stdout.str()
    for option in (
        "--mlc-store=STORE",
        "--mlc-postgres ",
        "--mlc-postgres-dsn=DSN",
        "--mlc-coverage=[DIR]",
        "--mlc-coverage-dir=DIR",
        "--mlc-coverage-include=GLOB",
        "--mlc-coverage-fail-under=PERCENT",
    ):
        assert option in help_text
    markers = pytester.runpytest("-p", "modelop_mlc", "--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.mlc_postgres: needs PostgreSQL*"])


def test_postgres_needs_a_dsn(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Marked tests skip with the reason; --mlc-store=postgres without a DSN is a usage error."""
    monkeypatch.delenv("MLC_POSTGRES_DSN", raising=False)  # CI sets it for the real suite
    pytester.makepyfile(
        test_pg="""
        import pytest

        @pytest.mark.mlc_postgres
        def test_on_postgres(mlc_manager):
            pass

        def test_dsn(mlc_postgres_dsn):
            pass
        """
    )
    result = pytester.runpytest("-p", "modelop_mlc", "--strict-markers", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED *needs PostgreSQL: run pytest with --mlc-postgres-dsn*"])
    for asking in ("--mlc-store=postgres", "--mlc-postgres"):
        usage = pytester.runpytest("-p", "modelop_mlc", asking)
        assert usage.ret == pytest.ExitCode.USAGE_ERROR
        usage.stderr.fnmatch_lines(
            ["*--mlc-store=postgres and --mlc-postgres need a database: pass --mlc-postgres-dsn=*"]
        )


def test_unknown_store_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """`--mlc-store` takes sqlite, postgres or a postgresql:// URL, nothing else."""
    usage = pytester.runpytest("-p", "modelop_mlc", "--mlc-store=mysql://db")
    assert usage.ret == pytest.ExitCode.USAGE_ERROR
    usage.stderr.fnmatch_lines(["*--mlc-store=mysql://db is not understood; use sqlite, postgres*"])


def test_postgres_dsn_from_the_environment_only_when_asked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLC_POSTGRES_DSN counts with --mlc-postgres; alone it leaves the session on SQLite."""
    pytest.importorskip("psycopg")
    monkeypatch.setenv("MLC_POSTGRES_DSN", "postgresql://mlc:s3cret@127.0.0.1:9/mlc")
    pytester.makepyfile(
        test_where="""
        def test_store(mlc_manager):
            assert type(mlc_manager.store).__name__ == "SqliteStore"
        """
    )
    pytester.runpytest_subprocess("-p", "modelop_mlc").assert_outcomes(passed=1)
    asked = pytester.runpytest_subprocess("-p", "modelop_mlc", "-rs", "--mlc-postgres")
    asked.assert_outcomes(skipped=1)
    asked.stdout.fnmatch_lines(
        ["*PostgreSQL at postgresql://mlc:***@127.0.0.1:9/mlc is unreachable*"]
    )
    assert "s3cret" not in asked.stdout.str()


def test_postgres_url_as_the_store(pytester: pytest.Pytester) -> None:
    """`--mlc-store=postgresql://...` names the database directly."""
    pytest.importorskip("psycopg")
    pytester.makepyfile(test_pg="def test_on_postgres(mlc_manager):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "modelop_mlc", "-rs", "--mlc-store=postgresql://mlc:s3cret@127.0.0.1:9/mlc"
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL at postgresql://mlc:***@127.0.0.1:9/mlc is unreachable*"]
    )
    assert "s3cret" not in result.stdout.str()


def test_unreachable_postgres_skips_without_the_password(pytester: pytest.Pytester) -> None:
    """A server that does not answer skips the test, and the reason hides the password."""
    # Subprocesses: psycopg's C extension keeps the error classes of the first import, which
    # pytester's in-process runs would unload and load again.
    pytest.importorskip("psycopg")
    pytester.makepyfile(test_pg="def test_on_postgres(mlc_manager):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "modelop_mlc",
        "-rs",
        "--mlc-store=postgres",
        "--mlc-postgres-dsn=postgresql://mlc:s3cret@127.0.0.1:9/mlc",
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL at postgresql://mlc:***@127.0.0.1:9/mlc is unreachable*"]
    )
    assert "s3cret" not in result.stdout.str()


@pytest.mark.mlc_postgres
def test_postgres_gives_each_test_its_own_schema(
    pytester: pytest.Pytester, mlc_postgres_dsn: str
) -> None:
    """Each test gets a fresh schema in the database; it is dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect(mlc_postgres_dsn, connect_timeout=3).close()
    except psycopg.Error as err:
        pytest.skip(f"PostgreSQL is unreachable: {err}")
    pytester.makefile(".bpmn", approval=APPROVAL)
    pytester.makepyfile(
        test_pg=HOST_TESTS
        + """

def test_starts_empty(mlc_manager):
    assert mlc_manager.instances() == []
    ((schema,),) = mlc_manager.store.raw("SELECT current_schema()")
    assert schema.startswith("mlc_test_")
"""
    )
    result = pytester.runpytest(
        "-p", "modelop_mlc", "--mlc-store=postgres", f"--mlc-postgres-dsn={mlc_postgres_dsn}"
    )
    result.assert_outcomes(passed=2)
    with psycopg.connect(mlc_postgres_dsn) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mlc_test_%'"
        ).fetchall()
    assert left == []


def test_plugin_import_opens_and_loads_nothing() -> None:
    """Importing the plugin module imports no fixtures' machinery, drivers or fakes."""
    code = textwrap.dedent(
        """
        import sys
        import modelop_mlc.testing.plugin
        heavy = [m for m in sys.modules if m.startswith((
            "psycopg", "modelop_mlc.testing._", "modelop_mlc.testing.fakes", "jira", "pysnow"))]
        print(heavy)
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"


# ---------------------------------------------------------------------- fixtures here


def test_service_fixtures(mlc_manager: LifecycleManager, mlc_center: Any, mlc_tickets: Any) -> None:
    """`mlc_center` and `mlc_tickets` are the manager's own, the board in its database."""
    assert mlc_center is mlc_manager.center
    assert mlc_tickets is mlc_manager.tickets
    assert mlc_tickets.local.store is mlc_manager.store
    assert mlc_tickets.local.list() == []


def test_fake_fixtures_are_running(
    mlc_jira: FakeJira,
    mlc_servicenow: FakeServiceNow,
    mlc_fake_jira: FakeJira,
    mlc_fake_servicenow: FakeServiceNow,
) -> None:
    """The fake Jira and ServiceNow serve on 127.0.0.1 for the test (two names each)."""
    assert mlc_jira.url.startswith("http://127.0.0.1:")
    assert mlc_servicenow.url.startswith("http://127.0.0.1:")
    assert (mlc_fake_jira, mlc_fake_servicenow) == (mlc_jira, mlc_servicenow)
    assert requests.get(f"{mlc_jira.url}/rest/api/2/serverInfo", timeout=5).ok
