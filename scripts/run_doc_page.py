"""Run a docs page top to bottom as a new user would: install from a clone, then every example.

    python3 scripts/run_doc_page.py docs/getting-started.md

In a new temporary folder it clones this repository (its committed state), runs the shell
blocks of the page's "Install" section in the clone, then runs every other block in order in an
empty folder beside it, with the clone's `.venv/bin` first on PATH (the page calls that `mlc`
and `python`) and the Python blocks in that environment's interpreter, sharing one namespace.
Exits 1 at the first block that fails, naming its line, and leaves the folder to look at;
removes it after a success. `.ci/run` calls it; the block rules are in `scripts/doc_blocks.py`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from doc_blocks import Block, blocks, run_python, run_shell, write_file

ROOT = Path(__file__).resolve().parents[1]
INSTALL = "Install"


def say(text: str) -> None:
    """Print a progress line at once."""
    print(text, flush=True)


def install(page: Path, clone: Path) -> None:
    """Run the shell blocks of the page's Install section in the clone."""
    found = [b for b in blocks(page) if b.section == INSTALL and b.language == "sh"]
    runnable = [b for b in found if not b.skipped]
    if not runnable:
        raise SystemExit(f"{page.name}: no shell block to run in its '{INSTALL}' section")
    for block in runnable:
        say(f"run {block.where} in the clone")
        failure = run_shell(block, clone, bin_first=clone / ".venv" / "bin")
        if failure:
            raise SystemExit(failure)


def examples(page: Path, work: Path) -> None:
    """Run every block after the Install section in `work` (inside the installed venv)."""
    namespace: dict[str, Any] = {"__name__": "__doc_page__"}
    bin_folder = Path(sys.executable).parent
    for block in blocks(page):
        if block.section == INSTALL or block.skipped or not _runs(block):
            continue
        say(f"run {block.where}")
        if block.title is not None:
            write_file(block, work)
        elif block.language == "python":
            _python(block, namespace)
        else:
            failure = run_shell(block, work, bin_first=bin_folder)
            if failure:
                raise SystemExit(failure)


def _runs(block: Block) -> bool:
    return block.title is not None or block.language in {"python", "sh"}


def _python(block: Block, namespace: dict[str, Any]) -> None:
    try:
        run_python(block, namespace)
    except Exception:  # report the block and its traceback, then stop
        raise SystemExit(f"{block.where}: the Python block failed\n{traceback.format_exc()}")


def main() -> int:
    """Clone, install as the page says, and run the rest of the page in the new environment."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("page", help="the page, relative to the repository (docs/...)")
    parser.add_argument("--examples-in", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.examples_in:  # the second half, run by the installed environment's python
        work = Path(args.examples_in)
        examples(Path(args.page).resolve(), work)
        return 0
    top = Path(tempfile.mkdtemp(prefix="mlc-doc-page-"))
    clone = top / "modelop_mlc"
    say(f"clone {ROOT} into {clone}")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    page = clone / args.page
    install(page, clone)
    work = top / "work"
    work.mkdir()
    python = clone / ".venv" / "bin" / "python"
    if not python.is_file():
        raise SystemExit(f"{page.name}: its Install section made no .venv in the clone")
    done = subprocess.run(
        [str(python), str(clone / "scripts" / Path(__file__).name), str(page), "--examples-in",
         str(work)],
        cwd=work,
        check=False,
    )  # fmt: skip
    if done.returncode == 0:
        say(f"{page.name}: every block ran")
        shutil.rmtree(top)  # kept after a failure, to look at
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
