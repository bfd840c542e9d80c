"""Write the Camunda 7 element table into docs/camunda7.md from the tests that show each row.

    python scripts/element_table.py            # print the generated Markdown
    python scripts/element_table.py --write    # replace the table in docs/camunda7.md
    python scripts/element_table.py --check    # exit 1 when docs/camunda7.md is out of date

Each row comes from a test in `tests/engine/test_c7_*.py` decorated with `@camunda7(...)`
(`tests/c7_elements.py`): the element, what Camunda 7 does, what happens here ("same as
Camunda 7" or "refused at deploy with ..."), and the test that asserts it. A row exists only
because a test shows it; `tests/docs/test_element_table.py` fails when the page drifts.
"""

# ruff: noqa: INP001 - a script run by path, not a package module

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PAGE", "SECTION", "main", "render", "rows", "section"]

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_section import GeneratedSection

PAGE = ROOT / "docs" / "camunda7.md"
SECTION = GeneratedSection(PAGE, "element_table.py")


def rows() -> list[Any]:
    """Import every `tests/engine/test_c7_*.py` module and return the rows they declare."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import c7_elements  # noqa: PLC0415 - lives in tests/, importable only after the path change

    for path in sorted((TESTS / "engine").glob("test_c7_*.py")):
        name = f"c7_table_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    seen = set()
    found = []
    for row in c7_elements.ROWS:
        if row.test not in seen:
            seen.add(row.test)
            found.append(row)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """Return the Markdown table, one row per decorated test, sorted by element."""
    lines = ["| Element | Camunda 7 | Here | Test |", "| --- | --- | --- | --- |"]
    for row in sorted(rows(), key=lambda r: (r.element.lower(), r.test)):
        lines.append(
            f"| {_cell(row.element)} | {_cell(row.camunda)} | {_cell(row.here)} | `{row.test}` |"
        )
    return "\n".join(lines) + "\n"


def section(page: str) -> str:
    """Return what `page` holds between the markers."""
    return SECTION.section(page)


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the generated part of the page; return the exit code."""
    return SECTION.main(render, argv, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main())
