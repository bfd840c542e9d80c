"""Known vulnerabilities in a model's pinned requirements, found by pip-audit.

pip-audit asks a vulnerability service about every pinned requirement. Its services are online
(PyPI's JSON API, osv.dev) except one: `--osv-url` points it at any service that answers
OSV's query API (`POST /v1/query`), such as an organisation's own mirror of the OSV data. That
is the only way it runs without the internet, so that is how it runs here: the URL comes from
`VULNERABILITY_SERVICE_URL`, and without one nothing is looked up and every requirement gets a
`not_scanned` finding that says so. A requirement pip-audit cannot look up on its own (not
pinned with `==`, an include, an editable) gets one too. Nothing passes silently.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelop_mlc.domain import Asset
from modelop_mlc.errors import IntegrationError

__all__ = [
    "NO_SERVICE",
    "audit_requirements",
    "is_requirements_asset",
    "not_scanned",
    "parse_requirements",
]

_TIMEOUT = 120
_SOCKET_TIMEOUT = 15
_ROLE = "REQUIRED_LIBRARIES"
_FILENAME = re.compile(r"requirements[\w.-]*\.txt", re.IGNORECASE)
# PEP 508 name, optional extras, one exact pin, optional environment marker.
_PINNED = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*"
    r"(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;.*)?"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# pip options that bring in packages this file does not name; index options name none.
_INCLUDES = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")
NO_SERVICE = (
    "no vulnerability data: no VULNERABILITY_SERVICE_URL is configured (an OSV-compatible "
    "query API, e.g. a mirror of the OSV database)"
)
"""Why requirements are not scanned when no vulnerability service is configured."""


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file.

    Attributes:
        line: The line number (1-based).
        text: The line without comments and pip's per-requirement options.
        name: The package name, when the line names one.
        version: The pinned version, when the line pins exactly one.
    """

    line: int
    text: str
    name: str | None
    version: str | None


def is_requirements_asset(asset: Asset) -> bool:
    """Tell whether an asset is a requirements file (REQUIRED_LIBRARIES or `requirements*.txt`)."""
    role = getattr(asset.asset_role, "value", asset.asset_role)
    return str(role) == _ROLE or bool(_FILENAME.fullmatch(asset.filename or asset.name or ""))


def parse_requirements(text: str) -> list[Requirement]:
    """Read the requirement lines of a requirements file (comments and index options dropped)."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            if line.split()[0].split("=")[0] in _INCLUDES:
                found.append(Requirement(number, line, None, None))
            continue
        line = line.split(" --", 1)[0].strip()  # per-requirement options such as --hash
        pinned = _PINNED.fullmatch(line)
        if pinned and "*" not in pinned["version"]:
            found.append(Requirement(number, line, pinned["name"], pinned["version"]))
            continue
        name = _NAME.match(line)
        found.append(Requirement(number, line, name.group(0) if name else None, None))
    return found


def not_scanned(requirement: Requirement, filename: str, reason: str) -> dict[str, Any]:
    """A finding for a requirement that was not looked up, saying why."""
    return {
        "tool": "pip-audit",
        "kind": "not_scanned",
        "severity": "NOT_SCANNED",
        "test_id": None,
        "test_name": "dependency not scanned",
        "issue": f"{requirement.text}: not scanned: {reason}",
        "file": filename,
        "line": requirement.line,
        "package": requirement.name,
        "version": requirement.version,
    }


def _unscanned_reason(requirement: Requirement) -> str | None:
    if requirement.version is not None:
        return None
    if requirement.name is None:
        return "pip-audit cannot follow includes, editables or URLs; list the packages here"
    return "not pinned to one version (name==version), so its version is unknown"


def audit_requirements(
    text: str, *, filename: str, service_url: str | None
) -> list[dict[str, Any]]:
    """Find known vulnerabilities in the pinned requirements of `text`.

    Args:
        text: The requirements file.
        filename: Its name, for the findings.
        service_url: An OSV-compatible query URL; None means no vulnerability data.

    Returns:
        One finding per known vulnerability and per requirement that was not scanned.

    Raises:
        RuntimeError: If pip-audit is not installed or fails on the file.
        IntegrationError: If the vulnerability service does not answer (retryable).
    """
    requirements = parse_requirements(text)
    findings = []
    pinned = []
    for requirement in requirements:
        reason = _unscanned_reason(requirement)
        if reason is None and not service_url:
            reason = NO_SERVICE
        if reason is None:
            pinned.append(requirement)
        else:
            findings.append(not_scanned(requirement, filename, reason))
    if pinned and service_url:
        findings += _run_pip_audit(pinned, filename, service_url)
    return findings


def _run_pip_audit(
    pinned: list[Requirement], filename: str, service_url: str
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requirements.txt"
        path.write_text("".join(f"{r.name}=={r.version}\n" for r in pinned))
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(path),
            "--no-deps",  # the file is the model's whole environment, pinned
            "--disable-pip",  # nothing is installed or resolved, so no index is asked
            "--vulnerability-service",
            "osv",
            "--osv-url",
            service_url,
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--timeout",
            str(_SOCKET_TIMEOUT),
            "--cache-dir",
            str(Path(folder) / "cache"),
        ]
        try:
            run = subprocess.run(  # noqa: S603 - a fixed command over our own temp file
                command, capture_output=True, text=True, timeout=_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise IntegrationError(
                f"pip-audit did not finish in {_TIMEOUT} s",
                service="vulnerability service",
                retryable=True,
            ) from err
    return _findings(run, pinned, filename, service_url)


def _findings(
    run: subprocess.CompletedProcess[str],
    pinned: list[Requirement],
    filename: str,
    service_url: str,
) -> list[dict[str, Any]]:
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        # The URL may carry credentials (it can come from a secret): never repeat it.
        output = (run.stderr or run.stdout).replace(service_url, "<vulnerability service>")
        last = output.strip().splitlines()[-1:] or ["no output"]
        if "No module named pip_audit" in run.stderr:
            raise RuntimeError(
                "pip-audit is not installed (install it with pip install 'modelop-mlc[security]')"
            )
        if "onnection" in run.stderr or "ServiceError" in run.stderr:
            raise IntegrationError(
                f"pip-audit could not query the vulnerability service: {last[0]}",
                service="vulnerability service",
                retryable=True,
            )
        raise RuntimeError(f"pip-audit failed on {filename}: {last[0]}")  # noqa: TRY004 - its output, not our argument, is wrong
    lines = {_canonical(r.name or ""): r for r in pinned}
    findings = []
    for dependency in _entries(report.get("dependencies")):
        name = str(dependency.get("name"))
        requirement = lines.get(_canonical(name))
        line = requirement.line if requirement else None
        skipped = dependency.get("skip_reason")
        if skipped and requirement is not None:
            findings.append(not_scanned(requirement, filename, str(skipped)))
        for vuln in _entries(dependency.get("vulns")):
            fixes = [str(v) for v in vuln.get("fix_versions") or []]
            findings.append(
                {
                    "tool": "pip-audit",
                    "kind": "vulnerability",
                    "severity": "VULNERABILITY",
                    "test_id": vuln.get("id"),
                    "test_name": "known vulnerability",
                    "issue": f"{name} {dependency.get('version')}: {vuln.get('description')}"
                    + (f" (fixed in {', '.join(fixes)})" if fixes else " (no fix yet)"),
                    "file": filename,
                    "line": line,
                    "package": name,
                    "version": dependency.get("version"),
                    "fix_versions": fixes,
                    "aliases": [str(a) for a in vuln.get("aliases") or []],
                }
            )
    return findings


def _canonical(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _entries(value: Any) -> Iterable[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
