"""Write the API reference (docs/reference.md) from the public modules' `__all__` and docstrings.

    python scripts/api_reference.py            # print the generated Markdown
    python scripts/api_reference.py --write    # replace the generated part of docs/reference.md
    python scripts/api_reference.py --check    # exit 1 when docs/reference.md is out of date

Every public module listed in `MODULES` gets a section: its docstring's summary, then each name
of its `__all__` with the first paragraph of its docstring; public classes also list their
public methods and properties. `tests/docs/test_api_reference.py` fails when the page differs
from what this script generates, so a changed docstring or export shows up in review.
"""

# ruff: noqa: INP001 - a script run by path, not a package module

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["MODULES", "PAGE", "SECTION", "main", "render", "section"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_section import GeneratedSection

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"

MODULES = (
    "modelop_mlc",
    "modelop_mlc.manager",
    "modelop_mlc.registry",
    "modelop_mlc.ports",
    "modelop_mlc.config",
    "modelop_mlc.models",
    "modelop_mlc.errors",
    "modelop_mlc.clock",
    "modelop_mlc.validation",
    "modelop_mlc.diagrams",
    "modelop_mlc.element_templates",
    "modelop_mlc.drawing",
    "modelop_mlc.kpis",
    "modelop_mlc.domain",
    "modelop_mlc.handlers",
    "modelop_mlc.center",
    "modelop_mlc.center.watch",
    "modelop_mlc.tickets",
    "modelop_mlc.store",
    "modelop_mlc.store.postgres",
    "modelop_mlc.store.queries",
    "modelop_mlc.dmn",
    "modelop_mlc.rest",
    "modelop_mlc.web",
    "modelop_mlc.cli",
    "modelop_mlc.testing",
    "modelop_mlc.testing.fakes",
    "modelop_mlc.testing.plugin",
)
"""The public modules documented, in page order (the package root first)."""

_SHORT_REPR = 60  # longer constant values are described by type instead of shown
_LISTED_NAMES = 8  # longer collections of names are counted instead of listed
# Methods every pydantic model has; documented by pydantic, not here.
_PYDANTIC = frozenset(dir(__import__("pydantic").BaseModel))


def summary(text: str | None) -> str:
    """Return the first paragraph of a docstring on one line, safe inside a table cell."""
    lines = []
    for line in inspect.cleandoc(text or "").splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines).replace("|", "\\|")


def _attribute_docs(module: ModuleType) -> dict[str, str]:
    """Docstrings written under module-level assignments (`NAME = ...` then `\"\"\"...\"\"\"`)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    found: dict[str, str] = {}
    body = ast.parse(source).body
    for node, after in itertools.pairwise(body):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = after.value.value
    return found


def _home(obj: Any, fallback: str) -> str:
    """The public module a name is defined in (private modules fold into their package)."""
    module = getattr(obj, "__module__", None) or fallback
    if not isinstance(module, str) or not module.startswith("modelop_mlc"):
        return fallback
    parts = module.split(".")
    while len(parts) > 1 and parts[-1].startswith("_"):
        parts.pop()
    return ".".join(parts)


def _kind(obj: Any) -> str:
    if hasattr(obj, "_fixture_function_marker"):
        return "fixture"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "exception"
        if getattr(obj, "_is_protocol", False):
            return "protocol"
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    if typing.get_origin(obj) is not None:
        return "type"
    return "constant"


def _value(obj: Any) -> str:
    """A constant's value when it is short and plain, else what it is (never an address)."""
    if isinstance(obj, str | int | float | bool) or obj is None:
        shown = repr(obj)
        return f"`{shown}`" if len(shown) <= _SHORT_REPR else f"A `{type(obj).__name__}`."
    if isinstance(obj, frozenset | set | tuple | list) and all(isinstance(v, str) for v in obj):
        items = sorted(obj) if isinstance(obj, frozenset | set) else list(obj)
        if len(items) <= _LISTED_NAMES:
            return ", ".join(f"`{v}`" for v in items)
        return f"A `{type(obj).__name__}` of {len(items)} names."
    if isinstance(obj, dict):
        return f"A `dict` of {len(obj)} entries."
    return f"A `{type(obj).__name__}`."


def _describe(name: str, obj: Any, attribute_docs: dict[str, str]) -> str:
    kind = _kind(obj)
    if kind == "constant":
        text = attribute_docs.get(name)
        return summary(text) if text else _value(obj)
    if kind == "type":
        # `collections.abc.Callable[[str], modelop_mlc.rest._auth.Principal]` → bare names.
        return "`" + re.sub(r"\b(?:\w+\.)+(?=\w)", "", repr(obj)) + "`"
    return summary(obj.__doc__ if kind == "fixture" else inspect.getdoc(obj)) or "(undocumented)"


def _public(cls: type) -> bool:
    """Whether a class is one of the documented names (or lives outside the library)."""
    if not cls.__module__.startswith("modelop_mlc"):
        return True
    return any(cls is getattr(importlib.import_module(m), cls.__name__, None) for m in MODULES)


def _own_classes(cls: type) -> list[type]:
    """`cls` and the private base classes it is built from, up to its first public base."""
    classes = [cls]
    for base in cls.__mro__[1:]:
        if _public(base):
            break
        classes.append(base)
    return classes


def _members(cls: type) -> list[tuple[str, str]]:
    """Public methods and properties of `cls` itself (or a private base), with summaries."""
    rows = []
    seen: set[str] = set()
    members = [(n, v) for c in _own_classes(cls) for n, v in vars(c).items()]
    for name, value in members:
        if name.startswith("_") or name in _PYDANTIC or name in seen:
            continue
        seen.add(name)
        if isinstance(value, property):
            label, doc = f"{name}", value.__doc__
        elif isinstance(value, classmethod | staticmethod):
            label, doc = f"{name}()", value.__func__.__doc__
        elif inspect.isfunction(value):
            label, doc = f"{name}()", value.__doc__
        else:
            continue
        rows.append((label, summary(doc) or "(undocumented)"))
    return rows


def _module_section(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = list(getattr(module, "__all__", []))
    attribute_docs = _attribute_docs(module)
    lines = [f"## `{module_name}`", "", summary(module.__doc__), ""]
    if module_name == "modelop_mlc":
        lines += ["| Name | Kind | Defined in |", "| --- | --- | --- |"]
        for name in sorted(names, key=str.lower):
            obj = getattr(module, name)
            home = _home(obj, module_name)
            where = f"`{home}`" if home != module_name else "-"
            lines.append(f"| `{name}` | {_kind(obj)} | {where} |")
        return [*lines, ""]
    lines += ["| Name | Kind | Summary |", "| --- | --- | --- |"]
    members: list[str] = []
    for name in sorted(names, key=str.lower):
        obj = getattr(module, name)
        lines.append(f"| `{name}` | {_kind(obj)} | {_describe(name, obj, attribute_docs)} |")
        if inspect.isclass(obj) and _home(obj, module_name) == module_name:
            rows = _members(obj)
            if rows:
                members += [f"**`{name}`**", "", "| Member | Summary |", "| --- | --- |"]
                members += [f"| `{label}` | {text} |" for label, text in rows]
                members.append("")
    lines.append("")
    return lines + members


def render(modules: Sequence[str] = MODULES) -> str:
    """Return the generated Markdown for `modules`."""
    lines: list[str] = []
    for module_name in modules:
        lines += _module_section(module_name)
    return "\n".join(lines).rstrip() + "\n"


SECTION = GeneratedSection(PAGE, "api_reference.py")


def section(page: str) -> str:
    """Return what `page` holds between the markers."""
    return SECTION.section(page)


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the generated part of the page; return the exit code."""
    return SECTION.main(render, argv, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main())
