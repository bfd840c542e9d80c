"""`modelop_mlc.__version__` comes from the package metadata, pyproject.toml being the source."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import modelop_mlc
from modelop_mlc._version import UNKNOWN, source_version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_version_is_the_installed_distributions() -> None:
    """The package reports the version its installed metadata holds."""
    assert modelop_mlc.__version__ == metadata.version("modelop-mlc")


def test_a_source_tree_reads_its_pyproject() -> None:
    """Not installed, the version is the one pyproject.toml declares."""
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert source_version(PYPROJECT) == declared == modelop_mlc.__version__


def test_anything_else_is_unknown(tmp_path: Path) -> None:
    """No pyproject, another project's, or a broken one: the version is `0+unknown`."""
    other = tmp_path / "other.toml"
    other.write_text('[project]\nname = "someone-else"\nversion = "9.9"\n', encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\n", encoding="utf-8")
    versions = {source_version(p) for p in (tmp_path / "missing.toml", other, broken)}
    assert versions == {UNKNOWN}
