"""Fixtures of the `mlc` tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_support import Mlc


@pytest.fixture(name="mlc")
def _mlc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Mlc:
    return Mlc(tmp_path / "cli.db", capsys)
