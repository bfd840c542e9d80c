"""Every example of the user guide runs: the code blocks of each page, in order, in a fresh folder.

For each page in `PAGES` the blocks run top to bottom in a new temporary directory (the current
directory while they run), sharing one namespace as a reader's session would; the rules are in
`scripts/doc_blocks.py`. Shell blocks run on the pages in `SHELL_PAGES`, with this environment's
`mlc` and `python` first on `PATH`. `scripts/run_doc_page.py` runs getting-started.md whole,
install step included, in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import blocks, run_python, run_shell, write_file

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
                write_file(block, tmp_path)
            elif block.language == "python":
                run_python(block, namespace)
            elif block.language == "sh" and page in SHELL_PAGES:
                failure = run_shell(block, tmp_path, bin_first=Path(sys.executable).parent)
                assert failure is None, failure
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
