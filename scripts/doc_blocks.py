"""The fenced code blocks of a Markdown page, and how to run them as a reader would.

Used by `tests/docs/test_docs_examples.py` (every page's examples, in-process) and by
`scripts/run_doc_page.py` (a whole page in a fresh folder, install step included, in CI). Only
the standard library: the runner also runs in a fresh environment with nothing else.

- A block whose info string has `title="name"` (```` ```xml title="review.bpmn" ````) is the
  content of that file, written before the blocks after it run.
- ```` ```python ```` blocks are executed in one namespace; tracebacks point at the page's lines.
- ```` ```sh ```` blocks run with `bash -euo pipefail` and must exit 0.
- A block preceded by `<!-- skip -->` is not run (only for code that needs a server, or a URL
  of yours).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SKIP", "Block", "blocks", "run_python", "run_shell", "write_file"]

SKIP = "<!-- skip -->"
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_TITLE = re.compile(r"""title=["']([^"']+)["']""")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, with the `## ` section it is in."""

    page: Path
    line: int
    language: str
    title: str | None
    code: str
    skipped: bool
    section: str = ""

    @property
    def where(self) -> str:
        """`page:line` of the block's first code line."""
        return f"{self.page.name}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Return the fenced code blocks of `page`, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    section = ""
    index = 0
    while index < len(lines):
        heading = _HEADING.match(lines[index])
        if heading is not None and len(heading.group(1)) == 2:  # noqa: PLR2004 - `## ` only
            section = heading.group(2).strip()
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence, info = len(match["indent"]), match["fence"], match["info"].strip()
        previous = next((p.strip() for p in reversed(lines[:index]) if p.strip()), "")
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if end >= len(lines):
            raise ValueError(f"{page.name}:{index + 1}: the code fence is never closed")
        title = _TITLE.search(info)
        found.append(
            Block(
                page=page,
                line=index + 2,
                language=info.split()[0] if info else "",
                title=title.group(1) if title else None,
                code="\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n",
                skipped=previous == SKIP,
                section=section,
            )
        )
        index = end + 1
    return found


def write_file(block: Block, folder: Path) -> None:
    """Write a titled block's content as its file under `folder`."""
    assert block.title is not None
    target = folder / block.title
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(block.code, encoding="utf-8")


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    """Execute a Python block; line numbers in tracebacks are the page's."""
    padded = "\n" * (block.line - 1) + block.code
    exec(compile(padded, str(block.page), "exec"), namespace)  # noqa: S102 - the docs' own code


def run_shell(
    block: Block, cwd: Path, *, bin_first: Path, env: Mapping[str, str] | None = None
) -> str | None:
    """Run a shell block in `cwd` with `bin_first` first on PATH; None, or what went wrong."""
    base = dict(os.environ if env is None else env)
    for private in ("MLC_DB", "MLC_API_TOKEN"):
        base.pop(private, None)
    base["PATH"] = f"{bin_first}{os.pathsep}{base.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],  # noqa: S607 - bash from PATH, as a reader
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode == 0:
        return None
    return (
        f"{block.where}: the shell block exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
