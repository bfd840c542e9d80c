"""docs/camunda7.md holds the element table exactly as `scripts/element_table.py` renders it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from c7_elements import SAME

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "element_table.py"


def load_script() -> ModuleType:
    """Import the script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("element_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_table_is_what_the_script_generates() -> None:
    """The table on the page is the generated one: run `scripts/element_table.py --write`."""
    script = load_script()
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.section(page) == script.render(), (
        "docs/camunda7.md is out of date: run python scripts/element_table.py --write"
    )


def test_every_row_is_the_same_as_camunda_or_a_refusal() -> None:
    """No element row says it differs: each runs as Camunda 7 does or is refused at deploy."""
    script = load_script()
    rows = script.rows()
    assert len(rows) >= 4
    odd = [r for r in rows if r.here != SAME and not r.here.startswith("refused at deploy with ")]
    assert odd == []


def test_every_row_names_a_test_that_exists() -> None:
    """Each row's test is a function in the named test module."""
    script = load_script()
    for row in script.rows():
        module, name = row.test.split("::")
        source = (ROOT / "tests" / "engine" / f"{module}.py").read_text(encoding="utf-8")
        assert f"def {name}(" in source
