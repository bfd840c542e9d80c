"""Write the table of built-in ModelOp delegates into docs/delegates.md from the catalogue.

    python scripts/delegate_table.py            # print the generated Markdown
    python scripts/delegate_table.py --write    # replace the table in docs/delegates.md
    python scripts/delegate_table.py --check    # exit 1 when docs/delegates.md is out of date

The rows come from `modelop_mlc.handlers._base.CATALOGUE` (every delegate the manager registers
by default) and the first line of each delegate's docstring, so the page cannot drift from the
code: `tests/docs/test_delegate_table.py` fails when it does.
"""

# ruff: noqa: INP001 - a script run by path, not a package module

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from modelop_mlc.handlers import delegate_names
from modelop_mlc.handlers._base import CATALOGUE, Spec

__all__ = ["PAGE", "SECTION", "main", "render", "section"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_section import GeneratedSection

PAGE = Path(__file__).resolve().parents[1] / "docs" / "delegates.md"


def _summary(text: str | None) -> str:
    """The first paragraph of a docstring, on one line, safe inside a table cell."""
    lines = []
    for line in (text or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines).replace("|", "\\|") or "(undocumented)"


def _module(spec: Spec) -> str:
    return spec.function.__module__


def render(catalogue: Sequence[Spec] = CATALOGUE) -> str:
    """Return the Markdown for every catalogued delegate, one table per handler module."""
    by_module: dict[str, list[Spec]] = {}
    for spec in catalogue:
        by_module.setdefault(_module(spec), []).append(spec)
    parts = []
    for module_name in sorted(by_module):
        module = sys.modules[module_name]
        parts.append(f"### `{module_name}`\n")
        parts.append(_summary(module.__doc__) + "\n")
        parts.append("| Delegate | Also registered as | Runs | What it does |")
        parts.append("| --- | --- | --- | --- |")
        for spec in sorted(by_module[module_name], key=lambda s: s.name.lower()):
            aliases = ", ".join(f"`{a}`" for a in spec.aliases) or "-"
            runs = "as a job" if spec.asynchronous else "inline"
            parts.append(
                f"| `{spec.name}` | {aliases} | {runs} | {_summary(spec.function.__doc__)} |"
            )
        parts.append("")
    names = len(delegate_names()) if catalogue is CATALOGUE else None
    total = f"{len(catalogue)} delegates"
    if names is not None:
        total += f", {names} names with the aliases"
    parts.append(f"{total} (`modelop_mlc.handlers.delegate_names()` lists the names).")
    return "\n".join(parts).rstrip() + "\n"


SECTION = GeneratedSection(PAGE, "delegate_table.py")


def section(page: str) -> str:
    """Return what `page` holds between the markers."""
    return SECTION.section(page)


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the generated part of the page; return the exit code."""
    return SECTION.main(render, argv, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main())
