"""`modelop_mlc` imports without Starlette; `modelop_mlc.rest` says which extra it needs."""

from __future__ import annotations

import subprocess
import sys

BLOCK_STARLETTE = "import sys; sys.modules['starlette'] = None; "


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_STARLETTE + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_core_package_imports_without_starlette() -> None:
    """The library itself never imports Starlette."""
    result = _run(
        "import modelop_mlc, modelop_mlc.manager; "
        "print(sorted(m for m in sys.modules if m.startswith(('starlette.', 'uvicorn'))))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_rest_package_names_the_extra() -> None:
    """Importing `modelop_mlc.rest` without Starlette points at the `rest` extra."""
    result = _run("import modelop_mlc.rest")
    assert result.returncode != 0
    assert "pip install 'modelop-mlc[rest]'" in result.stderr
