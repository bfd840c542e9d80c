"""`RunSecurityScan`: a model's source (bandit) and requirements (pip-audit) before production."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from modelop_mlc.domain import AssetRole
from modelop_mlc.handlers._base import center, deployable_model, fail, modelop
from modelop_mlc.handlers._dependency_audit import audit_requirements, is_requirements_asset
from modelop_mlc.registry import DelegateContext

__all__ = ["scan_source", "summarize"]

_TIMEOUT = 120
_SERVICE = "VULNERABILITY_SERVICE_URL"


def scan_source(source: str, *, filename: str = "model.py") -> dict[str, Any]:
    """Run bandit over `source`; return counts by severity and the findings (see `summarize`).

    Raises:
        RuntimeError: If bandit is not installed or fails.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        path.write_text(source)
        try:
            run = subprocess.run(  # noqa: S603 - a fixed command over our own temp file
                [sys.executable, "-m", "bandit", "-q", "-f", "json", str(path)],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"bandit did not finish in {_TIMEOUT} s") from err
    if run.returncode not in {0, 1} or not run.stdout.strip():
        detail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(
            f"bandit failed: {detail[0]} (install it with pip install 'modelop-mlc[security]')"
        )
    report = json.loads(run.stdout)
    findings = [
        {
            "tool": "bandit",
            "kind": "code",
            "file": filename,
            "test_id": r.get("test_id"),
            "test_name": r.get("test_name"),
            "severity": r.get("issue_severity"),
            "confidence": r.get("issue_confidence"),
            "issue": r.get("issue_text"),
            "line": r.get("line_number"),
            "cwe": (r.get("issue_cwe") or {}).get("id"),
        }
        for r in report.get("results", [])
    ]
    return summarize(findings)


def summarize(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Count `findings` by severity into the `SECURITY_SCAN` shape.

    `passed` means no HIGH finding and no known vulnerability; requirements that were not
    scanned are counted in `not_scanned`, never taken as clean.
    """
    counts = Counter(str(f["severity"]).lower() for f in findings)
    summary = {
        "high": counts.get("high", 0),
        "medium": counts.get("medium", 0),
        "low": counts.get("low", 0),
        "vulnerabilities": counts.get("vulnerability", 0),
        "not_scanned": counts.get("not_scanned", 0),
        "findings": findings,
    }
    summary["passed"] = summary["high"] == 0 and summary["vulnerabilities"] == 0
    return summary


@modelop(
    "RunSecurityScan",
    asynchronous=True,
    inputs=("DEPLOYABLE_MODEL",),
    outputs=("SECURITY_SCAN",),
    required=("DEPLOYABLE_MODEL",),
)
def run_security_scan(ctx: DelegateContext) -> dict[str, Any]:
    """Scan the snapshot's model source with bandit and its requirements with pip-audit.

    Scan `DEPLOYABLE_MODEL`'s MODEL_SOURCE asset with bandit, and each requirements asset
    (REQUIRED_LIBRARIES, or a `requirements*.txt` file) with pip-audit against the OSV-compatible
    service at `VULNERABILITY_SERVICE_URL` (an input, a variable, or a configured secret of that
    name), into `SECURITY_SCAN`: `high`, `medium`, `low`, `vulnerabilities`, `not_scanned`,
    `findings` and `passed` (no HIGH finding and no known vulnerability). Without a service,
    each requirement is a `not_scanned` finding saying so.
    """
    snapshot = deployable_model(ctx)
    sources = snapshot.assets_with_role(AssetRole.MODEL_SOURCE)
    if not sources:
        raise fail(ctx, "the snapshot has no MODEL_SOURCE asset to scan")
    centre = center(ctx)
    source = centre.read_asset(sources[0])
    service = ctx.get("VULNERABILITY_SERVICE_URL") or ctx.secrets.get(_SERVICE)
    url = service.get_secret_value() if isinstance(service, SecretStr) else service
    try:
        findings = scan_source(source, filename=sources[0].filename or "model.py")["findings"]
        for asset in snapshot.all_assets:
            if is_requirements_asset(asset):
                findings += audit_requirements(
                    centre.read_asset(asset),
                    filename=asset.filename or asset.name or "requirements.txt",
                    service_url=str(url) if url else None,
                )
    except RuntimeError as err:
        raise fail(ctx, str(err)) from err
    return {"SECURITY_SCAN": summarize(findings)}
