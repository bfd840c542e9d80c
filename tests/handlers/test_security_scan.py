"""RunSecurityScan: bandit on the model source, pip-audit on its requirements, never a silent pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.errors import IntegrationError
from modelop_mlc.handlers._dependency_audit import (
    NO_SERVICE,
    audit_requirements,
    is_requirements_asset,
    parse_requirements,
)
from modelop_mlc.testing.fakes import FakeOsv

REQUESTS_CVE = {
    "schema_version": "1.6.0",
    "id": "GHSA-x84v-xcm2-53pg",
    "aliases": ["CVE-2018-18074"],
    "summary": "Insufficiently Protected Credentials in Requests",
    "affected": [
        {
            "package": {"name": "requests", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}],
        }
    ],
}
CLEAN_SOURCE = "def score(row):\n    return row\n"


@pytest.fixture(name="osv")
def _osv() -> Iterator[FakeOsv]:
    with FakeOsv([REQUESTS_CVE]) as fake:
        yield fake


def requirements(text: str, name: str = "requirements.txt") -> Asset:
    """A requirements asset as ModelOp attaches one."""
    return Asset(name=name, filename=name, file_content=text)


def scan(manager: LifecycleManager, source: str, *assets: Asset, **inputs: str) -> dict[str, Any]:
    """Run RunSecurityScan on a snapshot of a model with `source` and `assets`."""
    center = manager.center
    assert isinstance(center, LocalCenter)
    stored = center.register_model("scanned", source=source, assets=list(assets))
    snapshot = center.snapshot(stored.id)
    params = "".join(
        f'<camunda:inputParameter name="{k}">{v}</camunda:inputParameter>'
        for k, v in inputs.items()
    )
    extension = (
        f"<bpmn:extensionElements><camunda:inputOutput>{params}</camunda:inputOutput>"
        "</bpmn:extensionElements>"
        if params
        else ""
    )
    manager.deploy(
        process(
            '<bpmn:startEvent id="start"/>'
            '<bpmn:serviceTask id="scan" '
            'camunda:class="com.modelop.mlc.delegate.modelop.RunSecurityScan">'
            f"{extension}</bpmn:serviceTask>"
            '<bpmn:endEvent id="end"/>' + chain("start", "scan", "end"),
            pid="scan_once",
        )
    )
    instance = manager.start("scan_once", {"DEPLOYABLE_MODEL": snapshot.to_variable()})
    manager.run_due()
    final = manager.instance(instance.id)
    assert final.status == "completed", manager.incidents(instance_id=instance.id)
    result: dict[str, Any] = final.variables["SECURITY_SCAN"]
    return result


def test_requirement_lines_are_read_with_their_pins() -> None:
    """Pins, extras and markers are read; comments and index options dropped; includes kept."""
    found = parse_requirements(
        "# the model's environment\n"
        "--index-url https://pypi.internal/simple\n"
        "pandas==2.2.3  # data frames\n"
        "scikit-learn[alldeps]==1.5.2 ; python_version >= '3.10'\n"
        "requests==2.19.0 --hash=sha256:abc\n"
        "numpy>=1.26\n"
        "-r base.txt\n"
        "torch==2.*\n"
    )
    assert [(r.line, r.name, r.version) for r in found] == [
        (3, "pandas", "2.2.3"),
        (4, "scikit-learn", "1.5.2"),
        (5, "requests", "2.19.0"),
        (6, "numpy", None),
        (7, None, None),
        (8, "torch", None),
    ]


def test_requirements_assets_are_found_by_role_or_file_name() -> None:
    """REQUIRED_LIBRARIES (ModelOp's role) or a requirements*.txt file counts; data does not."""
    assert is_requirements_asset(requirements("x", "requirements-prod.txt"))
    assert is_requirements_asset(
        Asset(name="libs", asset_role=AssetRole.UNKNOWN).model_copy(
            update={"asset_role": "REQUIRED_LIBRARIES"}
        )
    )
    assert not is_requirements_asset(
        Asset(name="test.csv", filename="test.csv", asset_role=AssetRole.TEST_DATA)
    )


def test_without_vulnerability_data_every_requirement_is_not_scanned() -> None:
    """No service configured: each requirement is a NOT_SCANNED finding saying why."""
    findings = audit_requirements(
        "pandas==2.2.3\nnumpy>=1.26\n", filename="requirements.txt", service_url=None
    )
    assert [(f["package"], f["severity"]) for f in findings] == [
        ("pandas", "NOT_SCANNED"),
        ("numpy", "NOT_SCANNED"),
    ]
    assert NO_SERVICE in findings[0]["issue"]
    assert "not pinned to one version" in findings[1]["issue"]


def test_pip_audit_finds_a_known_vulnerability_in_the_local_database(osv: FakeOsv) -> None:
    """pip-audit asks the OSV-compatible service about each pin and reports what affects it."""
    findings = audit_requirements(
        "requests==2.19.0\npandas==2.2.3\nnumpy>=1.26\n",
        filename="requirements.txt",
        service_url=osv.query_url,
    )
    vulnerable = [f for f in findings if f["kind"] == "vulnerability"]
    assert [(f["package"], f["version"], f["line"]) for f in vulnerable] == [
        ("requests", "2.19.0", 1)
    ]
    assert vulnerable[0]["fix_versions"] == ["2.20.0"]
    assert "GHSA-x84v-xcm2-53pg" in [vulnerable[0]["test_id"], *vulnerable[0]["aliases"]]
    assert [f["package"] for f in findings if f["kind"] == "not_scanned"] == ["numpy"]
    asked = sorted(r.json["package"]["name"] for r in osv.requests if r.json)
    assert asked == ["pandas", "requests"]


def test_an_unreachable_service_is_a_retryable_failure_not_a_pass(osv: FakeOsv) -> None:
    """A service that does not answer raises a retryable IntegrationError without the URL."""
    url = osv.query_url
    osv.stop()
    with pytest.raises(IntegrationError) as caught:
        audit_requirements("requests==2.19.0\n", filename="requirements.txt", service_url=url)
    assert caught.value.retryable
    assert url not in str(caught.value)


def test_the_delegate_without_requirements_scans_only_the_source(manager: LifecycleManager) -> None:
    """A model with clean source and no requirements asset passes with nothing unscanned."""
    result = scan(manager, CLEAN_SOURCE)
    assert (result["high"], result["vulnerabilities"], result["not_scanned"]) == (0, 0, 0)
    assert result["passed"] is True


def test_the_delegate_reports_requirements_it_could_not_scan(manager: LifecycleManager) -> None:
    """Requirements and no vulnerability service: counted as not scanned, never as clean."""
    result = scan(manager, CLEAN_SOURCE, requirements("pandas==2.2.3\nrequests==2.19.0\n"))
    assert result["not_scanned"] == 2
    assert all(NO_SERVICE in f["issue"] for f in result["findings"])


def test_the_delegate_reads_the_service_from_a_configured_secret(
    tmp_path: Any, osv: FakeOsv
) -> None:
    """VULNERABILITY_SERVICE_URL as a manager secret: vulnerabilities found, URL not stored."""
    config = ManagerConfig(secrets={"VULNERABILITY_SERVICE_URL": SecretStr(osv.query_url)})
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        result = scan(manager, CLEAN_SOURCE, requirements("requests==2.19.0\n"))
        history = repr(manager.history(manager.instances(key="scan_once")[0].id, limit=None))
    assert (result["vulnerabilities"], result["passed"]) == (1, False)
    assert osv.query_url not in repr(result)
    assert osv.query_url not in history


def test_the_delegate_takes_the_service_as_an_input(
    manager: LifecycleManager, osv: FakeOsv
) -> None:
    """An input parameter names the service; risky source and a vulnerable pin both count."""
    risky = "import subprocess\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    result = scan(
        manager,
        risky,
        requirements("requests==2.19.0\n"),
        VULNERABILITY_SERVICE_URL=osv.query_url,
    )
    assert result["high"] >= 1
    assert result["vulnerabilities"] == 1
    assert {f["tool"] for f in result["findings"]} == {"bandit", "pip-audit"}


@pytest.fixture(name="manager")
def _manager(tmp_path: Any) -> Iterator[LifecycleManager]:
    with LifecycleManager.open(tmp_path / "mlc.db") as manager:
        yield manager
