"""`RunSecurityScan`: a static scan (bandit) of a model's source before it is productionized."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from modelop_mlc.domain import AssetRole
from modelop_mlc.handlers._base import center, deployable_model, fail, modelop
from modelop_mlc.registry import DelegateContext

__all__ = ["scan_source"]

_TIMEOUT = 120


def scan_source(source: str, *, filename: str = "model.py") -> dict[str, Any]:
    """Run bandit over `source`; return counts by severity and the findings.

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
    counts = Counter(str(f["severity"]).lower() for f in findings)
    return {
        "high": counts.get("high", 0),
        "medium": counts.get("medium", 0),
        "low": counts.get("low", 0),
        "findings": findings,
        "passed": counts.get("high", 0) == 0,
    }


@modelop("RunSecurityScan", asynchronous=True)
def run_security_scan(ctx: DelegateContext) -> dict[str, Any]:
    """Scan the snapshot's model source with bandit.

    Scan `DEPLOYABLE_MODEL`'s MODEL_SOURCE asset with bandit into `SECURITY_SCAN`
    (`high`, `medium`, `low`, `findings`, `passed`: no high-severity finding).
    """
    snapshot = deployable_model(ctx)
    sources = snapshot.assets_with_role(AssetRole.MODEL_SOURCE)
    if not sources:
        raise fail(ctx, "the snapshot has no MODEL_SOURCE asset to scan")
    source = center(ctx).read_asset(sources[0])
    try:
        result = scan_source(source, filename=sources[0].filename or "model.py")
    except RuntimeError as err:
        raise fail(ctx, str(err)) from err
    return {"SECURITY_SCAN": result}
