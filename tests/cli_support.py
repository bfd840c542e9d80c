"""Running `mlc` in-process in tests: exit code, stdout and stderr of one command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc.cli import main


class Mlc:
    """Runs `mlc` with a database and returns (exit code, stdout, stderr)."""

    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(self.db), *argv])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *argv: str) -> Any:
        code, out, err = self("--json", *argv)
        assert code == 0, err
        return json.loads(out)
