"""Every library module stays under 800 lines: one job each (CONTRIBUTING's house rules)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "modelop_mlc"
MAX_LINES = 800


def test_no_library_module_is_over_800_lines() -> None:
    """A module that grows past 800 lines is split by job before it is merged."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in ROOT.rglob("*.py")
    }
    assert len(sizes) > 100  # the walk found the package
    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}
