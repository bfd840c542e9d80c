"""docs/reference.md is what `scripts/api_reference.py` generates from the docstrings."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType

import modelop_mlc

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "api_reference.py"


def load_script() -> ModuleType:
    """Import the script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("api_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_is_what_the_script_generates() -> None:
    """The reference on the page is the generated one: run `scripts/api_reference.py --write`."""
    script = load_script()
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.section(page) == script.render(), (
        "docs/reference.md is out of date: run python scripts/api_reference.py --write"
    )


def test_every_exported_name_is_documented() -> None:
    """Each name of `modelop_mlc.__all__` has a row, and no summary is missing."""
    script = load_script()
    generated = script.render()
    missing = [name for name in modelop_mlc.__all__ if f"| `{name}` |" not in generated]
    assert missing == []
    assert "(undocumented)" not in generated


def test_the_page_covers_the_public_packages() -> None:
    """Every public sub-package of `modelop_mlc` has a section (private `_x` ones have none)."""
    script = load_script()
    packages = {
        info.name
        for info in pkgutil.iter_modules(modelop_mlc.__path__, "modelop_mlc.")
        if info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_")
    }
    assert packages - set(script.MODULES) == set()


def test_generated_text_names_no_private_module_or_address() -> None:
    """Summaries never point readers at private modules or print memory addresses."""
    script = load_script()
    generated = script.render()
    assert "._" not in generated.replace("`__version__`", "")
    assert " at 0x" not in generated
