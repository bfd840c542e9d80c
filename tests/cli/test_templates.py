"""`mlc templates --out DIR` writes the shipped Camunda Modeler element templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelop_mlc import element_templates
from modelop_mlc.cli import main


def test_templates_writes_every_shipped_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each template lands in the folder, byte for byte, and the output says where Modeler looks."""
    out = tmp_path / ".camunda" / "element-templates"
    assert main(["templates", "--out", str(out)]) == 0
    shipped = sorted(element_templates.directory().glob("*.json"))
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in shipped]
    assert all((out / p.name).read_bytes() == p.read_bytes() for p in shipped)
    printed = capsys.readouterr().out
    assert f"wrote {len(shipped)} element templates to {out}" in printed
    assert ".camunda/element-templates/" in printed


def test_templates_json_lists_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the folder and file names come back for scripts."""
    assert main(["--json", "templates", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["folder"] == str(tmp_path)
    assert "modelop_mlc.delegate.DeployModel.json" in result["files"]


def test_templates_refuses_a_file_as_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file given as --out fails with exit 1 and a message naming it."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert main(["templates", "--out", str(blocker)]) == 1
    assert f"{blocker} is not a folder" in capsys.readouterr().err
