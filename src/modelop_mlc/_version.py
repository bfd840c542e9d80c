"""The package version: the installed distribution's, else the source tree's `pyproject.toml`."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

__all__ = ["DISTRIBUTION", "UNKNOWN", "source_version", "version"]

DISTRIBUTION = "modelop-mlc"
UNKNOWN = "0+unknown"
"""The version of a copy that is neither installed nor a source tree (PEP 440 local label)."""


def version() -> str:
    """The installed version, or the source tree's when the package is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return source_version(Path(__file__).resolve().parents[2] / "pyproject.toml")


def source_version(pyproject: Path) -> str:
    """The version `pyproject` declares for this distribution, else `UNKNOWN`."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return UNKNOWN
    if project.get("name") != DISTRIBUTION or not isinstance(project.get("version"), str):
        return UNKNOWN
    return str(project["version"])
