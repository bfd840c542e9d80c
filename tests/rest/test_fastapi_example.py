"""The FastAPI/Starlette host example builds and answers /version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_host.py"


def test_example_check_mode_exits_zero(tmp_path: Path) -> None:
    """`python examples/fastapi_host.py --check` mounts the app and gets 401 then 200."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "without token: 401; with token: 200 {'version': '7.21.0'}" in result.stdout
