"""docs/delegates.md lists every built-in delegate exactly as `scripts/delegate_table.py` renders it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from modelop_mlc.handlers import delegate_names

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "delegate_table.py"


def load_script() -> ModuleType:
    """Import the script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("delegate_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_table_is_what_the_script_generates() -> None:
    """The table on the page is the generated one: run `scripts/delegate_table.py --write`."""
    script = load_script()
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.section(page) == script.render(), (
        "docs/delegates.md is out of date: run python scripts/delegate_table.py --write"
    )


def test_every_builtin_delegate_and_alias_is_on_the_page() -> None:
    """Each registered built-in name appears in the table, so none is left undocumented."""
    script = load_script()
    table = script.section(script.PAGE.read_text(encoding="utf-8"))
    missing = [name for name in delegate_names() if f"`{name}`" not in table]
    assert missing == []


def test_replace_section_keeps_the_text_around_the_markers() -> None:
    """Writing the table changes only what lies between the markers."""
    script = load_script()
    section = script.SECTION
    page = f"intro\n{section.begin}\nold table\n{section.end}\noutro\n"
    replaced = section.replace(page, "| new |\n")
    assert replaced == f"intro\n{section.begin}\n| new |\n{section.end}\noutro\n"
    assert script.section(replaced) == "| new |\n"


def test_check_mode_exits_zero_on_the_current_page() -> None:
    """`--check` is what CI or a pre-commit hook runs; it passes on an up-to-date page."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert (done.returncode, done.stderr) == (0, "")
