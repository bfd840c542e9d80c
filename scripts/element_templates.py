"""Write the Camunda Modeler element templates into element-templates/ from the catalogue.

    python scripts/element_templates.py            # list what would be written
    python scripts/element_templates.py --write    # regenerate element-templates/*.json
    python scripts/element_templates.py --check    # exit 1 when the files are out of date

The templates come from the delegate catalogue and its variable glossary
(`modelop_mlc.element_templates.generate`), the source of docs/delegates.md's table too. A
template whose content changes gets the next version; `tests/element_templates/` fails
when the shipped files differ from a fresh generation.
"""

# ruff: noqa: INP001 - a script run by path, not a package module

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelop_mlc.element_templates import file_name, generate

__all__ = ["FOLDER", "expected", "main", "render"]

FOLDER = Path(__file__).resolve().parents[1] / "element-templates"
_LISTED = 5  # stale files named in the message


def render(template: dict[str, Any]) -> str:
    """A template as its file holds it: JSON indented by two, ending in a newline."""
    return json.dumps(template, indent=2, ensure_ascii=False) + "\n"


def expected(folder: Path = FOLDER) -> dict[str, str]:
    """File name → content of every template, versioned against the files in `folder`."""
    previous = {}
    for path in sorted(folder.glob("*.json")):
        template = json.loads(path.read_text(encoding="utf-8"))
        previous[template["id"]] = template
    return {file_name(t): render(t) for t in generate(previous)}


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the templates; return the exit code."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"update {FOLDER}")
    action.add_argument("--check", action="store_true", help="exit 1 when the files differ")
    args = parser.parse_args(argv)
    files = expected()
    present = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.json")}
    if args.write:
        FOLDER.mkdir(exist_ok=True)
        for name in set(present) - set(files):
            (FOLDER / name).unlink()
        for name, text in files.items():
            if present.get(name) != text:
                (FOLDER / name).write_text(text, encoding="utf-8")
    elif args.check:
        stale = sorted(n for n in set(files) | set(present) if files.get(n) != present.get(n))
        if stale:
            sys.stderr.write(
                f"{FOLDER} is out of date ({', '.join(stale[:_LISTED])}"
                f"{', ...' if len(stale) > _LISTED else ''}): run "
                "python scripts/element_templates.py --write\n"
            )
            return 1
    else:
        sys.stdout.write("".join(f"{name}\n" for name in sorted(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
