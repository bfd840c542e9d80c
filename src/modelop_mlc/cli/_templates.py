"""`mlc templates`: write the Camunda Modeler element templates into a folder."""

from __future__ import annotations

import argparse
from typing import Any

from modelop_mlc import element_templates
from modelop_mlc.cli._output import Output

__all__ = ["add_command", "templates"]


def templates(args: argparse.Namespace, out: Output) -> int:
    """Write every element template into `--out`; list the files written."""
    written = element_templates.write(args.out)
    out.result(
        {"folder": str(args.out), "files": [path.name for path in written]},
        f"wrote {len(written)} element templates to {args.out}\n"
        "Camunda Modeler loads them from .camunda/element-templates/ in or above a diagram's "
        "folder, or from resources/element-templates/ in its user data folder; restart it "
        "(or reload its window) to see them.",
    )
    return 0


def add_command(sub: Any) -> None:
    """Add `templates` to the `mlc` sub-commands."""
    command = sub.add_parser(
        "templates", help="write the Camunda Modeler element templates into a folder"
    )
    command.add_argument(
        "--out",
        required=True,
        help="the folder, e.g. .camunda/element-templates beside your diagrams",
    )
    command.set_defaults(run=templates)
