"""Write the table of built-in ModelOp delegates into docs/delegates.md from the catalogue.

    python scripts/delegate_table.py            # print the generated Markdown
    python scripts/delegate_table.py --write    # replace the table in docs/delegates.md
    python scripts/delegate_table.py --check    # exit 1 when docs/delegates.md is out of date

The rows come from the handlers' catalogue, the one source of truth: every delegate the
manager registers by default (`modelop_mlc.handlers._base.CATALOGUE`, with the inputs and
outputs each declares, the first line of its docstring, and the center capabilities it needs,
which decide the LocalCenter and RestCenter columns), the delegates refused at deploy
(`REFUSED`) and ModelOp 3.5's list (`MODELOP_35`). `tests/docs/test_delegate_table.py` fails
when the page drifts from the code.
"""

# ruff: noqa: INP001 - a script run by path, not a package module

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from modelop_mlc.center import LocalCenter, RestCenter
from modelop_mlc.handlers import delegate_names
from modelop_mlc.handlers._base import CATALOGUE, REFUSED, Refusal, Spec
from modelop_mlc.handlers._modelop35 import MODELOP_35
from modelop_mlc.handlers._variables import VARIABLES

__all__ = ["PAGE", "SECTION", "coverage", "main", "render", "runs_on", "section"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_section import GeneratedSection

PAGE = Path(__file__).resolve().parents[1] / "docs" / "delegates.md"
CENTERS: tuple[type, ...] = (LocalCenter, RestCenter)


def _summary(text: str | None) -> str:
    """The first paragraph of a docstring, on one line, safe inside a table cell."""
    lines = []
    for line in (text or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines).replace("|", "\\|") or "(undocumented)"


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) or "-"


def _inputs(spec: Spec) -> str:
    """The inputs cell: required ones in bold, defaults in brackets."""
    defaults = dict(spec.defaults)
    cells = []
    for name in spec.inputs:
        cell = f"**`{name}`**" if name in spec.required else f"`{name}`"
        if name in defaults:
            cell += f" ({defaults[name]})"
        cells.append(cell.replace("|", "\\|"))
    return ", ".join(cells) or "-"


def _glossary() -> list[str]:
    """The table of the variables the delegates read and write."""
    lines = [
        "### Variables",
        "",
        "What each input and output holds; the element templates show the same words "
        "(see [Modeler templates](modeler-templates.md)).",
        "",
        "| Variable | Label | What it holds | Given as |",
        "| --- | --- | --- | --- |",
    ]
    for name in sorted(VARIABLES, key=str.lower):
        variable = VARIABLES[name]
        given = variable.kind
        if variable.choices:
            given += ": " + ", ".join(f"`{c}`" for c in variable.choices)
        lines.append(f"| `{name}` | {variable.label} | {variable.description} | {given} |")
    return lines


def runs_on(spec: Spec, center: type) -> str:
    """The cell for one center: whether the delegate runs there, and any limit."""
    if not spec.uses_center:
        return "yes (no center used)"
    missing = [c.__name__ for c in spec.needs if not issubclass(center, c)]
    if missing:
        return f"no (needs {', '.join(missing)})"
    note = dict(spec.notes).get(center.__name__)
    return f"yes ({note})" if note else "yes"


def coverage(catalogue: Sequence[Spec] = CATALOGUE) -> dict[str, int]:
    """How many of ModelOp 3.5's delegates run on each center, and how many are refused."""
    by_name = {n: s for s in catalogue for n in (s.name, *s.aliases)}
    counts = {"listed": len(MODELOP_35), "refused": 0}
    for center in CENTERS:
        counts[center.__name__] = sum(
            1
            for name in MODELOP_35
            if name in by_name and runs_on(by_name[name], center).startswith("yes")
        )
    counts["refused"] = sum(1 for r in REFUSED if r.name in MODELOP_35)
    return counts


def _module(spec: Spec) -> str:
    return spec.function.__module__


def _refused_table(refused: Sequence[Refusal]) -> list[str]:
    lines = [
        "### Refused at deploy",
        "",
        "These need a system this library does not connect to. A diagram naming one does not "
        "deploy; the error names the delegate and says what to register instead. Registering "
        'a delegate of that name yourself (`@manager.delegate("CreateJenkinsJob")`) lifts the '
        "refusal.",
        "",
        "| Delegate | Needs | ModelOp writes | Register instead |",
        "| --- | --- | --- | --- |",
    ]
    for refusal in sorted(refused, key=lambda r: r.name.lower()):
        lines.append(
            f"| `{refusal.name}` | {refusal.system} | {_names(refusal.outputs)} | "
            f'`@manager.delegate("{refusal.name}")`, {refusal.hint} |'
        )
    return lines


def render(catalogue: Sequence[Spec] = CATALOGUE, refused: Sequence[Refusal] = REFUSED) -> str:
    """Return the Markdown for the catalogue: one table per handler module, then refusals."""
    by_module: dict[str, list[Spec]] = {}
    for spec in catalogue:
        by_module.setdefault(_module(spec), []).append(spec)
    parts = []
    for module_name in sorted(by_module):
        module = sys.modules[module_name]
        parts.append(f"### `{module_name}`\n")
        parts.append(_summary(module.__doc__) + "\n")
        parts.append("| Delegate | What it does | Inputs | Outputs | LocalCenter | RestCenter |")
        parts.append("| --- | --- | --- | --- | --- | --- |")
        for spec in sorted(by_module[module_name], key=lambda s: s.name.lower()):
            label = f"`{spec.name}`"
            if spec.aliases:
                label += " (also " + _names(spec.aliases) + ")"
            if spec.asynchronous:
                label += ", as a job"
            cells = [
                label,
                _summary(spec.function.__doc__),
                _inputs(spec),
                _names(spec.outputs),
                runs_on(spec, LocalCenter),
                runs_on(spec, RestCenter),
            ]
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    parts.extend(_refused_table(refused))
    parts.append("")
    if catalogue is CATALOGUE and refused is REFUSED:
        counts = coverage()
        parts.append(
            f"ModelOp 3.5 lists {counts['listed']} delegates: {counts['LocalCenter']} run on "
            f"LocalCenter, {counts['RestCenter']} on RestCenter, {counts['refused']} are "
            f"refused at deploy. The catalogue has {len(catalogue)} delegates, "
            f"{len(delegate_names())} names with the aliases "
            "(`modelop_mlc.handlers.delegate_names()` lists them). Inputs in bold are "
            "required (without one the task fails with `FAILURE`); in brackets, what the "
            "delegate uses when an input is not set."
        )
        parts.append("")
        parts.extend(_glossary())
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
