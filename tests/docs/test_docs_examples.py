"""Every example of the user guide runs: the code blocks of each page, in order, in a fresh folder.

For each page in `PAGES` the blocks run top to bottom in a new temporary directory (the current
directory while they run), sharing one namespace as a reader's session would:

- a block whose info string has `title="name"` (```` ```xml title="review.bpmn" ````) is the
  content of that file, written before the blocks after it run;
- ```` ```python ```` blocks are executed; their tracebacks point at the page's lines;
- on the pages in `SHELL_PAGES`, ```` ```sh ```` blocks run with `bash -euo pipefail`, with
  this environment's `mlc` and `python` first on `PATH`, and must exit 0;
- a block preceded by `<!-- skip -->` is not run (only for code that needs a server).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc import LifecycleManager, ManagerConfig

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = (
    "getting-started.md",
    "embedding.md",
    "delegates.md",
    "cli.md",
    "errors.md",
    "modeler-templates.md",
)
SHELL_PAGES = frozenset({"cli.md", "modeler-templates.md"})
SKIP = "<!-- skip -->"
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_TITLE = re.compile(r"""title=["']([^"']+)["']""")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    language: str
    title: str | None
    code: str
    skipped: bool

    @property
    def where(self) -> str:
        """`page:line` of the block's first code line."""
        return f"{self.page.name}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Return the fenced code blocks of `page`, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence, info = len(match["indent"]), match["fence"], match["info"].strip()
        previous = next((p.strip() for p in reversed(lines[:index]) if p.strip()), "")
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        assert end < len(lines), f"{page.name}:{index + 1}: the code fence is never closed"
        title = _TITLE.search(info)
        found.append(
            Block(
                page=page,
                line=index + 2,
                language=info.split()[0] if info else "",
                title=title.group(1) if title else None,
                code="\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n",
                skipped=previous == SKIP,
            )
        )
        index = end + 1
    return found


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    """Execute a Python block; line numbers in tracebacks are the page's."""
    padded = "\n" * (block.line - 1) + block.code
    exec(compile(padded, str(block.page), "exec"), namespace)


def run_shell(block: Block, cwd: Path) -> None:
    """Run a shell block with this environment's `mlc` and `python` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in {"MLC_DB", "MLC_API_TOKEN"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, (
        f"{block.where}: the shell block exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's examples run in order in an empty folder, and its files are what they use."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.replace('-', '_')}"}
    runnable = [b for b in blocks(DOCS / page) if not b.skipped]
    assert any(b.language == "python" for b in runnable), f"{page} has no Python example"
    try:
        for block in runnable:
            if block.title is not None:
                (tmp_path / block.title).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / block.title).write_text(block.code, encoding="utf-8")
            elif block.language == "python":
                run_python(block, namespace)
            elif block.language == "sh" and page in SHELL_PAGES:
                run_shell(block, tmp_path)
    finally:
        # A failed example may leave its manager open; close it so the next test starts clean.
        for value in namespace.values():
            if isinstance(value, LifecycleManager):
                value.close()


def test_skip_marks_are_rare() -> None:
    """Skipped examples are the exception: each page runs most of its code."""
    for page in PAGES:
        found = [b for b in blocks(DOCS / page) if b.language in {"python", "sh"}]
        skipped = [b.where for b in found if b.skipped]
        assert len(skipped) <= 2, f"{page}: too many skipped examples: {skipped}"


def test_embedding_page_lists_every_setting() -> None:
    """The configuration table of the embedding guide names every `ManagerConfig` field."""
    text = (DOCS / "embedding.md").read_text(encoding="utf-8")
    missing = [name for name in ManagerConfig.model_fields if f"`{name}`" not in text]
    assert missing == []


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's embedding example runs on the diagram of the getting-started guide."""
    monkeypatch.chdir(tmp_path)
    [diagram] = [b for b in blocks(DOCS / "getting-started.md") if b.title == "model_review.bpmn"]
    (tmp_path / "model_review.bpmn").write_text(diagram.code, encoding="utf-8")
    [example] = [b for b in blocks(DOCS.parent / "README.md") if b.language == "python"]
    namespace: dict[str, Any] = {"__name__": "readme"}
    try:
        run_python(example, namespace)
        manager = namespace["manager"]
        [instance] = manager.instances()
        assert (instance.status, instance.variables["reviewResult"]) == ("completed", "APPROVED")
    finally:
        namespace["manager"].close()
